//! `awsig verify`: checks the SigV4 signature of one HTTP/1.1 request
//! written as text (request line, headers, blank line, body), header-signed
//! or presigned, with the credentials in the environment.
//!
//! ```text
//! awsig verify --request-file FILE [--time RFC3339] [--service S] [--region R]
//! ```
//!
//! Prints `OK` and exits 0 when the signature verifies; prints the AWS error
//! code and the reason and exits 1 when it does not; exits 2 on bad
//! arguments, a missing variable or an unreadable request.

use std::io::Write;
use std::time::SystemTime;

use awsig::{AmzDate, Credentials, Payload, Policy, RequestText};

/// The usage line.
pub const USAGE: &str =
    "usage: awsig verify --request-file FILE [--time RFC3339] [--service S] [--region R]
  Verifies the SigV4 signature of an HTTP/1.1 request written as text
  (header-signed or presigned), with the credentials in AWS_ACCESS_KEY_ID,
  AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN (optional).
  --time     the server's clock, RFC 3339 (default: now)
  --service  the service to accept (default: the one in the credential scope)
  --region   the region to accept (default: the one in the credential scope)
  Exit status: 0 verified, 1 rejected, 2 bad arguments or input.";

/// Runs `verify` with the arguments that follow it, reading the process
/// environment and clock and writing to stdout and stderr.
pub fn run(args: &[String]) -> i32 {
    let env = |name: &str| std::env::var(name).ok();
    run_with(
        args,
        &env,
        SystemTime::now(),
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    )
}

/// The arguments of `verify`.
#[derive(Debug, Default, PartialEq, Eq)]
struct Args {
    request_file: String,
    time: Option<String>,
    service: Option<String>,
    region: Option<String>,
}

fn parse_args(args: &[String]) -> Result<Args, String> {
    let mut out = Args::default();
    let mut file = None;
    // Tolerate being handed the subcommand name too.
    let args = match args.first().map(String::as_str) {
        Some("verify") => args.get(1..).unwrap_or(&[]),
        _ => args,
    };
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let (name, inline) = match flag.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n, Some(v.to_owned())),
            _ => (flag.as_str(), None),
        };
        let slot = match name {
            "--request-file" => &mut file,
            "--time" => &mut out.time,
            "--service" => &mut out.service,
            "--region" => &mut out.region,
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other:?}")),
        };
        if slot.is_some() {
            return Err(format!("{name} is given twice"));
        }
        let value = match inline {
            Some(v) => v,
            None => it
                .next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))?,
        };
        if value.is_empty() {
            return Err(format!("{name} needs a value"));
        }
        *slot = Some(value);
    }
    out.request_file = file.ok_or("--request-file is required")?;
    Ok(out)
}

/// Hides a session token in text shown to the user.
fn hide_token(text: &str, token: Option<&str>) -> String {
    match token {
        Some(t) if !t.is_empty() => {
            let encoded: String = t
                .bytes()
                .map(|b| {
                    if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                        char::from(b).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect();
            text.replace(&encoded, "<session token>")
                .replace(t, "<session token>")
        }
        _ => text.to_owned(),
    }
}

/// `run` with the environment, the clock and the outputs given: what the
/// tests drive.
pub fn run_with(
    args: &[String],
    env: &dyn Fn(&str) -> Option<String>,
    clock: SystemTime,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let args = match parse_args(args) {
        Ok(a) => a,
        Err(reason) => {
            if !reason.is_empty() {
                let _ = writeln!(err, "awsig verify: {reason}");
            }
            let _ = writeln!(err, "{USAGE}");
            return 2;
        }
    };
    let (Some(key_id), Some(secret)) = (env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY"))
    else {
        let _ = writeln!(
            err,
            "awsig verify: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set\n{USAGE}"
        );
        return 2;
    };
    let token = env("AWS_SESSION_TOKEN").filter(|t| !t.is_empty());
    let credentials = match Credentials::build(&key_id, &secret, token.as_deref(), None) {
        Ok(c) => c,
        Err(e) => {
            let _ = writeln!(err, "awsig verify: {e}");
            return 2;
        }
    };
    let now = match &args.time {
        None => clock,
        Some(t) => match AmzDate::parse_rfc3339(t) {
            Ok(d) => d.to_system_time(),
            Err(e) => {
                let _ = writeln!(err, "awsig verify: --time: {e}\n{USAGE}");
                return 2;
            }
        },
    };
    let bytes = match std::fs::read(&args.request_file) {
        Ok(b) => b,
        Err(e) => {
            let _ = writeln!(err, "awsig verify: cannot read {}: {e}", args.request_file);
            return 2;
        }
    };
    let text = match RequestText::parse(&bytes) {
        Ok(t) => t,
        Err(e) => {
            let _ = writeln!(err, "awsig verify: {}: {e}", args.request_file);
            return 2;
        }
    };
    let pairs = text.header_pairs();
    let request = match text.signable(&pairs) {
        Ok(r) => r,
        Err(e) => {
            let _ = writeln!(err, "awsig verify: {}: {e}", args.request_file);
            return 2;
        }
    };
    let mut policy = Policy::new();
    if let Some(s) = &args.service {
        policy = policy.with_services([s.clone()]);
    }
    if let Some(r) = &args.region {
        policy = policy.with_regions([r.clone()]);
    }
    match awsig::verify(
        &request,
        Payload::Body(text.body()),
        &credentials,
        now,
        &policy,
    ) {
        Ok(_) => {
            let _ = writeln!(out, "OK");
            0
        }
        Err(rejection) => {
            let _ = writeln!(out, "{}: {rejection}", rejection.code());
            if let Some(m) = rejection.mismatch() {
                let creq = hide_token(&m.canonical_request().to_string(), token.as_deref());
                let _ = writeln!(
                    out,
                    "\ncanonical request:\n{creq}\n\nstring to sign:\n{}",
                    m.string_to_sign()
                );
            }
            1
        }
    }
}
