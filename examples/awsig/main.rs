//! `awsig`: sign a request, make a presigned URL, verify a signed request or
//! see where credentials come from, from the shell; and see each signing
//! stage when a server answers SignatureDoesNotMatch.
//!
//! ```text
//! awsig sign        [OPTIONS] URL     the signed request as HTTP/1.1 text, or a curl command
//! awsig presign     [OPTIONS] URL     a presigned URL
//! awsig verify      --request-file F  checks a signed request written as text
//! awsig credentials [--profile NAME]  where the default chain finds credentials
//! awsig event       --seed HEX ...    signs one event stream message (feature event-stream)
//! ```
//!
//! `awsig SUBCOMMAND --help` describes every flag. Exit status: 0 success,
//! 1 the operation failed, 2 bad usage (see [`EXIT_CODES`]). The tool's own
//! failures are one line on standard error, `awsig: error: ...`; clap's
//! errors (the command line cannot be parsed) are clap's multi-line
//! messages.
//!
//! Layout: one module per subcommand (`sign.rs`, `presign.rs`, `verify.rs`,
//! `credentials.rs`), each with its own `Args` and `run`; flags that several
//! subcommands share are structs in `args.rs` that a subcommand flattens
//! into its `Args`; the `--curl` rendering is in `curl.rs`. A new subcommand
//! is a module and a variant of [`Command`]; a new shared option is a struct
//! in `args.rs` flattened where it applies.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod args;
mod chunked;
mod credentials;
mod curl;
mod event;
mod presign;
mod request;
mod sign;
mod verify;

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::SystemTime;

use awsig::provider::{Environment, SystemEnvironment};
use clap::{Parser, Subcommand};

/// The exit statuses, shown at the end of every `--help`.
pub const EXIT_CODES: &str = "Exit status:
  0  success (verify: the signature is valid)
  1  the operation failed: verify refused the request (the AWS error code
     and reason on standard output), a credentials endpoint (STS, IAM
     Identity Center, a container endpoint) or credential_process failed,
     or an output file cannot be written
  2  bad usage: a flag or value is wrong, missing or conflicting, a file
     named on the command line cannot be read, the profile does not exist,
     no credentials are found, or this awsig was built without the feature
     the command needs
awsig's own errors are one line on standard error, `awsig: error: ...`; a
command line that cannot be parsed gets clap's multi-line message (exit 2).";

/// Sign and verify AWS Signature Version 4 requests.
#[derive(Debug, Parser)]
#[command(
    name = "awsig",
    version,
    arg_required_else_help = true,
    after_help = EXIT_CODES
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
enum Command {
    /// Sign a request and print it as HTTP/1.1 text (or as a curl command).
    Sign(sign::Args),
    /// Make a presigned URL.
    Presign(presign::Args),
    /// Verify the signature of a request written as text.
    Verify(verify::Args),
    /// Show where the default chain finds credentials (never the secret).
    Credentials(credentials::Args),
    /// Sign one event stream message (or the end of the stream) chained from
    /// a seed or prior signature: print the envelope's signature, write its
    /// bytes with --out. Needs awsig built with `--features event-stream`.
    Event(event::Args),
}

/// What a subcommand runs with: the environment and files, the clock, and
/// where to write.
pub struct Ctx<'a> {
    /// Environment variables and files (shared with the credentials chain).
    pub env: Arc<dyn Environment>,
    /// The clock.
    pub now: SystemTime,
    /// Standard output.
    pub out: &'a mut dyn Write,
    /// Standard error, for warnings.
    pub err: &'a mut dyn Write,
}

impl Ctx<'_> {
    /// Prints a warning on standard error.
    pub fn warn(&mut self, message: &str) {
        let _ = writeln!(self.err, "awsig: warning: {message}");
    }

    /// Prints what the user must do with the output, on standard error.
    pub fn note(&mut self, message: &str) {
        let _ = writeln!(self.err, "awsig: note: {message}");
    }
}

/// Why a subcommand did not succeed: a one-line message naming the input
/// and the fix, and the exit status.
#[derive(Debug)]
pub struct Failure {
    code: u8,
    message: String,
}

impl Failure {
    /// Bad usage: exit status 2.
    pub fn usage(message: impl Into<String>) -> Self {
        Self {
            code: 2,
            message: message.into(),
        }
    }

    /// The operation failed: exit status 1.
    pub fn failed(message: impl Into<String>) -> Self {
        Self {
            code: 1,
            message: message.into(),
        }
    }
}

/// Runs `awsig` with these arguments (without the program name) and
/// returns the exit status.
pub fn run_with(
    args: &[String],
    env: Arc<dyn Environment>,
    now: SystemTime,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    let argv = std::iter::once("awsig".to_owned()).chain(args.iter().cloned());
    let cli = match Cli::try_parse_from(argv) {
        Ok(cli) => cli,
        Err(e) => {
            // Built without event streams, `event` cannot succeed whatever
            // its flags: say what it needs rather than what clap would.
            if let Some(failure) = event::parse_error(args, &e) {
                let _ = writeln!(err, "awsig: error: {}", failure.message);
                return failure.code;
            }
            let code = u8::try_from(e.exit_code()).unwrap_or(2);
            let text = e.render().to_string();
            let _ = if code == 0 {
                write!(out, "{text}")
            } else {
                write!(err, "{text}")
            };
            return code;
        }
    };
    let mut ctx = Ctx { env, now, out, err };
    let result = match &cli.command {
        Command::Sign(a) => sign::run(a, &mut ctx),
        Command::Presign(a) => presign::run(a, &mut ctx),
        Command::Verify(a) => verify::run(a, &mut ctx),
        Command::Credentials(a) => credentials::run(a, &mut ctx),
        Command::Event(a) => event::run(a, &mut ctx),
    };
    match result {
        Ok(code) => code,
        Err(failure) => {
            let _ = writeln!(ctx.err, "awsig: error: {}", one_line(&failure.message));
            failure.code
        }
    }
}

/// `text` on one line: its lines (a server's HTML error page, a
/// multi-line reason) trimmed and joined with one space.
fn one_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let code = run_with(
        &args,
        Arc::new(SystemEnvironment),
        SystemTime::now(),
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    );
    ExitCode::from(code)
}
