//! `awsig event`: signs one event stream message, or the end of the
//! stream, chained from a seed or prior signature, for debugging a stream
//! by hand. Prints the envelope's signature (or its string to sign) and
//! writes the envelope's bytes with `--out`.
//!
//! The subcommand exists in every build, so that its `--help` is there to
//! read; built without the `event-stream` feature it only says how to get
//! it.

use std::path::PathBuf;
use std::time::SystemTime;

use super::args::CredentialArgs;
use super::{Ctx, EXIT_CODES, Failure};

/// What `event` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EventStage {
    /// The envelope's string to sign.
    StringToSign,
    /// The envelope's signature (hex), the prior signature of the next one.
    Signature,
}

/// The flags of `event`.
#[derive(Debug, clap::Args)]
#[command(after_help = EXIT_CODES)]
pub struct Args {
    /// The prior signature, 64 hex digits: for the first message, the seed
    /// signature (the Signature= of the request that opened the stream);
    /// after that, the previous envelope's signature (what `awsig event`
    /// printed for it).
    #[arg(long, value_name = "HEX")]
    pub seed: String,
    /// The encoded event stream message to sign (exactly one message:
    /// prelude, headers, payload and CRCs), as the envelope's payload.
    #[arg(
        long,
        value_name = "FILE",
        required_unless_present = "end",
        conflicts_with = "end"
    )]
    pub message_file: Option<PathBuf>,
    /// Sign the end of the stream (an envelope around the empty message)
    /// instead of a message.
    #[arg(long)]
    pub end: bool,
    /// Write the envelope's bytes (its :date and :chunk-signature headers,
    /// the message as its payload) to this file.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// What to print.
    #[arg(long, value_enum, value_name = "STAGE", default_value = "signature")]
    pub print: EventStage,
    /// Signing name of the streaming service, as in the credential scope of
    /// the request that opened the stream: transcribe, bedrock, lex,
    /// kinesisvideo, ...
    #[arg(long, value_name = "NAME")]
    pub service: String,
    /// Region of the credential scope the seed signature was made for: the
    /// region in the Credential= of the request that opened the stream
    /// (every message is signed in that scope). Default: AWS_REGION,
    /// AWS_DEFAULT_REGION, else the profile's region. It must have the
    /// shape of an AWS region unless --allow-custom-region is given.
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// Accept a --region that is not shaped like an AWS region (for
    /// S3-compatible servers and test doubles).
    #[arg(long)]
    pub allow_custom_region: bool,
    #[command(flatten)]
    pub credentials: CredentialArgs,
    /// The message's signing time, sent in the envelope's :date header:
    /// RFC 3339 (2015-08-30T12:36:00Z) or 20150830T123600Z (default: the
    /// clock).
    #[arg(long, value_name = "TIME", value_parser = super::args::parse_time)]
    pub time: Option<SystemTime>,
}

/// The one-line failure of `event` in a build without event streams.
#[cfg(not(feature = "event-stream"))]
fn unavailable() -> Failure {
    Failure::usage(
        "event: this awsig was built without event stream support; run it with \
         `cargo run --features event-stream --example awsig -- event ...`",
    )
}

/// For a command line clap refused: built without event streams, an
/// `event` command fails whatever its flags, so the failure says what the
/// build lacks (its `--help` is still shown).
#[cfg(not(feature = "event-stream"))]
pub fn parse_error(args: &[String], error: &clap::Error) -> Option<Failure> {
    use clap::error::ErrorKind;
    let shown = matches!(
        error.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    );
    (args.first().map(String::as_str) == Some("event") && !shown).then(unavailable)
}

/// For a command line clap refused: with event streams, clap's message.
#[cfg(feature = "event-stream")]
pub fn parse_error(_: &[String], _: &clap::Error) -> Option<Failure> {
    None
}

/// Runs `event`: built without event streams, says how to get them.
#[cfg(not(feature = "event-stream"))]
pub fn run(_: &Args, _: &mut Ctx<'_>) -> Result<u8, Failure> {
    Err(unavailable())
}

/// The seed or prior signature: exactly the 64 hex digits of a SigV4
/// signature (either case).
#[cfg(feature = "event-stream")]
fn parse_seed(text: &str) -> Result<awsig::event_stream::PriorSignature, Failure> {
    let count = text.chars().count();
    if count != 64 {
        return Err(Failure::usage(format!(
            "--seed: expected 64 hex digits (the Signature= of the request that opened the \
             stream, or the previous envelope's signature), got {count} characters"
        )));
    }
    if let Some((at, c)) = text
        .chars()
        .enumerate()
        .find(|(_, c)| !c.is_ascii_hexdigit())
    {
        return Err(Failure::usage(format!(
            "--seed: expected 64 hex digits, got {c:?} at position {}",
            at + 1
        )));
    }
    awsig::event_stream::PriorSignature::from_hex(text)
        .map_err(|e| Failure::usage(format!("--seed: {e}")))
}

/// Runs `event`.
#[cfg(feature = "event-stream")]
pub fn run(args: &Args, ctx: &mut Ctx<'_>) -> Result<u8, Failure> {
    use awsig::event_stream::{EventSigner, EventStringToSign};
    use awsig::{AmzDate, Signer};

    use super::args::{check_region, check_service};

    let now = args.time.unwrap_or(ctx.now);
    check_service(&args.service, "--service")?;
    let prior = parse_seed(&args.seed)?;
    let message = match &args.message_file {
        Some(path) => std::fs::read(path)
            .map_err(|e| Failure::usage(format!("--message-file {}: {e}", path.display())))?,
        None => Vec::new(),
    };
    let config = super::args::Config::load(&ctx.env, &args.credentials.profile)?;
    let (region, source) = match (&args.region, config.region()) {
        (Some(r), _) => (r.clone(), "--region".to_owned()),
        (None, Some(found)) => found,
        (None, None) => {
            return Err(Failure::usage(
                "no region: give --region (the region of the request that opened the stream), \
                 or set AWS_REGION or the profile's region",
            ));
        }
    };
    check_region(&region, &source, args.allow_custom_region)?;
    let credentials = config.credentials(&args.credentials)?;
    let signer = Signer::new(credentials, &region, &args.service)
        .map_err(|e| Failure::usage(e.to_string()))?;

    let mut stream = EventSigner::with_prior(&signer, prior);
    let envelope = if args.end {
        stream.end(now)
    } else {
        stream.sign(&message, now)
    }
    .map_err(|e| match e {
        awsig::Error::EventStream(_) if !args.end => Failure::usage(format!("--message-file: {e}")),
        other => Failure::usage(other.to_string()),
    })?;
    let text = match args.print {
        EventStage::Signature => format!("{}\n", envelope.signature()),
        EventStage::StringToSign => {
            let date = AmzDate::from_system_time(now).map_err(|e| Failure::usage(e.to_string()))?;
            let sts = EventStringToSign::for_message(signer.scope(&date), prior, &message);
            format!("{sts}\n")
        }
    };
    if let Some(path) = &args.out {
        std::fs::write(path, envelope.as_bytes())
            .map_err(|e| Failure::failed(format!("cannot write --out {}: {e}", path.display())))?;
    }
    ctx.out
        .write_all(text.as_bytes())
        .map_err(|e| Failure::failed(format!("cannot write the output: {e}")))?;
    Ok(0)
}
