//! `awsig`: sign a request, make a presigned URL or verify a signed request
//! from the shell, and see each signing stage when a server answers
//! SignatureDoesNotMatch.
//!
//! ```text
//! awsig verify  --request-file F [--time T] [--service S] [--region R]
//! awsig sign    [-X METHOD] [-H 'Name: value']... [--data TEXT | --data-file F]
//!               [--unsigned-payload] --service S --region R [--time T]
//!               [--print canonical-request|string-to-sign|signature] URL
//! awsig presign [-X METHOD] [-H 'Name: value']... [--expires SECONDS]
//!               [--unsigned-payload] --service S --region R [--time T]
//!               [--print canonical-request|string-to-sign|signature] URL
//! ```
//!
//! Credentials come from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
//! AWS_SESSION_TOKEN; when those are not set, from the default chain (shared
//! files and profiles, web identity, container and instance credentials), as
//! `awsig credentials [--profile NAME]` shows.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod credentials;
mod verify;

use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use awsig::{
    AmzDate, ContentSha256Header, Credentials, PayloadHash, SignableRequest, Signer, StringToSign,
};

const USAGE: &str = "usage:
  awsig credentials [--profile NAME]
  awsig verify  --request-file FILE [--time RFC3339] [--service SERVICE] [--region REGION]
  awsig sign    [-X METHOD] [-H 'Name: value']... [--data TEXT | --data-file FILE]
                [--unsigned-payload] --service SERVICE --region REGION [--time RFC3339]
                [--print canonical-request|string-to-sign|signature] URL
  awsig presign [-X METHOD] [-H 'Name: value']... [--expires SECONDS]
                [--unsigned-payload] --service SERVICE --region REGION [--time RFC3339]
                [--print canonical-request|string-to-sign|signature] URL

Credentials are read from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN,
or else from the default chain (--profile NAME picks a profile of the shared files).
`sign` prints the signed request as HTTP/1.1 text; `presign` prints the presigned URL;
`verify` checks a signed request written as text and prints OK or the AWS error code.
The S3 rules apply when --service is s3, the rules of every other service otherwise.";

#[derive(Clone, Copy, PartialEq)]
enum Stage {
    CanonicalRequest,
    StringToSign,
    Signature,
}

struct Args {
    method: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    unsigned: bool,
    service: String,
    region: String,
    time: Option<SystemTime>,
    expires: u64,
    print: Option<Stage>,
    profile: Option<String>,
    url: String,
}

fn usage(problem: &str) -> ExitCode {
    eprintln!("awsig: {problem}\n\n{USAGE}");
    ExitCode::from(2)
}

fn parse_args(args: &[String]) -> Result<Args, String> {
    let mut a = Args {
        method: "GET".into(),
        headers: Vec::new(),
        body: Vec::new(),
        unsigned: false,
        service: String::new(),
        region: String::new(),
        time: None,
        expires: 3600,
        print: None,
        profile: None,
        url: String::new(),
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match arg.as_str() {
            "-X" | "--request" => a.method = value(arg)?,
            "-H" | "--header" => {
                let h = value(arg)?;
                let (n, v) = h
                    .split_once(':')
                    .ok_or_else(|| format!("header {h:?} has no ':'"))?;
                a.headers.push((n.trim().to_owned(), v.trim().to_owned()));
            }
            "--data" => a.body = value(arg)?.into_bytes(),
            "--data-file" => {
                let f = value(arg)?;
                a.body = std::fs::read(&f).map_err(|e| format!("cannot read {f}: {e}"))?;
            }
            "--unsigned-payload" => a.unsigned = true,
            "--profile" => a.profile = Some(value(arg)?),
            "--service" => a.service = value(arg)?,
            "--region" => a.region = value(arg)?,
            "--time" => {
                let t = value(arg)?;
                a.time = Some(
                    AmzDate::parse_rfc3339(&t)
                        .map_err(|e| e.to_string())?
                        .to_system_time(),
                );
            }
            "--expires" => {
                let e = value(arg)?;
                a.expires = e
                    .parse()
                    .map_err(|_| format!("--expires {e:?} is not a number of seconds"))?;
            }
            "--print" => {
                a.print = Some(match value(arg)?.as_str() {
                    "canonical-request" => Stage::CanonicalRequest,
                    "string-to-sign" => Stage::StringToSign,
                    "signature" => Stage::Signature,
                    other => {
                        return Err(format!(
                            "--print {other:?}: expected canonical-request, string-to-sign or signature"
                        ));
                    }
                })
            }
            flag if flag.starts_with('-') => return Err(format!("unknown option {flag}")),
            url => {
                if !a.url.is_empty() {
                    return Err("more than one URL".into());
                }
                a.url = url.to_owned();
            }
        }
    }
    if a.url.is_empty() {
        return Err("no URL".into());
    }
    if a.service.is_empty() || a.region.is_empty() {
        return Err("--service and --region are required".into());
    }
    Ok(a)
}

/// Credentials from the environment, else from the default chain, or why
/// there are none.
fn credentials(profile: Option<&str>) -> Result<Credentials, String> {
    let get = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    match (get("AWS_ACCESS_KEY_ID"), get("AWS_SECRET_ACCESS_KEY")) {
        (Some(id), Some(secret)) => {
            let token = get("AWS_SESSION_TOKEN");
            Credentials::build(&id, &secret, token.as_deref(), None).map_err(|e| e.to_string())
        }
        (Some(_), None) => Err("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not".into()),
        (None, Some(_)) => Err("AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not".into()),
        (None, None) => credentials::resolve_default(profile)
            .map(|(creds, _region)| creds)
            .map_err(|e| {
                format!(
                    "no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary credentials), or configure a profile ({e})"
                )
            }),
    }
}

/// `x-amz-date` → `X-Amz-Date`.
fn title_case(name: &str) -> String {
    name.split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// The origin-form target (`/path?query`) of an absolute URL.
fn target(request: &SignableRequest<'_>) -> String {
    let path = if request.path().is_empty() {
        "/"
    } else {
        request.path()
    };
    if request.query().is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{}", request.query())
    }
}

fn run(cmd: &str, a: &Args) -> Result<String, String> {
    let creds = credentials(a.profile.as_deref()).map_err(|e| format!("{e}\x00"))?;
    let signer = Signer::new(creds, &a.region, &a.service).map_err(|e| e.to_string())?;
    let signer = if a.unsigned && cmd == "sign" {
        let s = signer
            .settings()
            .with_content_sha256(ContentSha256Header::Include);
        signer.with_settings(s)
    } else {
        signer
    };
    let now = a.time.unwrap_or_else(SystemTime::now);
    let date = AmzDate::from_system_time(now).map_err(|e| e.to_string())?;

    // The Host header goes first, as an HTTP client sends it.
    let probe = SignableRequest::new(&a.method, &a.url, &[]).map_err(|e| e.to_string())?;
    let host = probe
        .host()
        .ok_or("the URL has no host")?
        .to_ascii_lowercase();
    let mut fields: Vec<(String, Vec<u8>)> = Vec::new();
    if !a
        .headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("host"))
    {
        fields.push(("Host".into(), host.into_bytes()));
    }
    fields.extend(
        a.headers
            .iter()
            .map(|(n, v)| (n.clone(), v.clone().into_bytes())),
    );
    let pairs: Vec<(&str, &[u8])> = fields
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_slice()))
        .collect();
    let request = SignableRequest::new(&a.method, &a.url, &pairs).map_err(|e| e.to_string())?;

    let is_s3 = a.service == "s3";
    let payload = if a.unsigned || (cmd == "presign" && is_s3) {
        PayloadHash::Unsigned
    } else {
        PayloadHash::of(&a.body)
    };
    let expires = Duration::from_secs(a.expires);
    let creq = if cmd == "sign" {
        signer.canonical_request(&request, &payload, now)
    } else {
        signer.presign_canonical_request(&request, expires, &payload, now)
    }
    .map_err(|e| e.to_string())?;
    let sts = StringToSign::new(signer.scope(&date), &creq);
    match a.print {
        Some(Stage::CanonicalRequest) => return Ok(format!("{creq}\n")),
        Some(Stage::StringToSign) => return Ok(format!("{sts}\n")),
        Some(Stage::Signature) => return Ok(format!("{}\n", signer.signing_key(&date).sign(&sts))),
        None => {}
    }
    if cmd == "presign" {
        let out = signer
            .presign_output(&request, expires, &payload, now)
            .map_err(|e| e.to_string())?;
        let (base, query) = a.url.split_once('?').unwrap_or((&a.url, ""));
        let base = base.split_once('#').map_or(base, |(b, _)| b);
        return Ok(format!("{base}?{}\n", out.append_to_query(query)));
    }
    let out = signer
        .signing_output(&request, &payload, now)
        .map_err(|e| e.to_string())?;
    let mut text = format!("{} {} HTTP/1.1\n", a.method, target(&request));
    let added: Vec<(&str, &str)> = out.headers().collect();
    for (n, v) in &fields {
        if !added.iter().any(|(a, _)| a.eq_ignore_ascii_case(n)) {
            text.push_str(&format!("{n}:{}\n", String::from_utf8_lossy(v)));
        }
    }
    for (n, v) in added {
        text.push_str(&format!("{}:{v}\n", title_case(n)));
    }
    text.push('\n');
    let mut bytes = text.into_bytes();
    bytes.extend_from_slice(&a.body);
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((cmd, rest)) = args.split_first() else {
        return usage("no command");
    };
    match cmd.as_str() {
        "sign" | "presign" => {
            let a = match parse_args(rest) {
                Ok(a) => a,
                Err(e) => return usage(&e),
            };
            match run(cmd, &a) {
                Ok(out) => {
                    print!("{out}");
                    ExitCode::SUCCESS
                }
                Err(e) if e.ends_with('\x00') => {
                    eprintln!("awsig: {}", e.trim_end_matches('\x00'));
                    ExitCode::from(2)
                }
                Err(e) => {
                    eprintln!("awsig: {e}");
                    ExitCode::from(1)
                }
            }
        }
        "verify" => ExitCode::from(u8::try_from(verify::run(rest)).unwrap_or(1)),
        "credentials" => ExitCode::from(u8::try_from(credentials::run(rest)).unwrap_or(1)),
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        other => usage(&format!("unknown command {other:?}")),
    }
}
