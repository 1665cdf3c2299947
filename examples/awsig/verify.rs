//! `awsig verify`: checks the SigV4 (or, built with the `sigv4a` feature,
//! SigV4a) signature of one HTTP/1.1 request
//! written as text (request line, headers, blank line, body), header-signed
//! or presigned, with the credentials the other subcommands use.
//!
//! Prints `OK` and exits 0 when the signature verifies; prints the AWS error
//! code and the reason (and, on a mismatch, the canonical request and string
//! to sign the verifier computed) and exits 1 when it does not. A request
//! this build cannot check (SigV4a without the `sigv4a` feature, an
//! aws-chunked body without `chunked`) is a one-line failure naming the
//! feature, exit 2.

use std::io::Read;
use std::path::PathBuf;

use awsig::{
    Acceptance, PathNormalization, Payload, PayloadHash, Policy, RequestText, ServiceRules,
    SessionTokenMode, Settings,
};

use super::args::{Config, CredentialArgs, TimeArg, check_region, check_service};
use super::{Ctx, EXIT_CODES, Failure};

/// The flags of `verify`.
#[derive(Debug, clap::Args)]
#[command(after_help = EXIT_CODES)]
pub struct Args {
    /// The signed request as HTTP/1.1 text: request line, headers, a blank
    /// line, the body (`-` reads standard input).
    #[arg(long, value_name = "FILE")]
    pub request_file: PathBuf,
    /// Accept only this service in the credential scope (default: any).
    #[arg(long, value_name = "NAME")]
    pub service: Option<String>,
    /// Accept only this region in the credential scope (default: any); for
    /// a SigV4a request, the region its region set must hold. It must have
    /// the shape of an AWS region unless --allow-custom-region is given.
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// Accept a --region that is not shaped like an AWS region (S3-compatible
    /// servers).
    #[arg(long)]
    pub allow_custom_region: bool,
    /// Check the signature of the path as sent, not normalized. By default
    /// the path is normalized (`.` and `..` segments removed, repeated
    /// slashes merged) before it is signed, for every service but S3, whose
    /// paths are never normalized (for s3 this flag changes nothing). For
    /// clients and services that sign the path unnormalized.
    #[arg(long)]
    pub no_normalize: bool,
    /// The session token (X-Amz-Security-Token) was added after signing and
    /// is not covered by the signature, as some services (such as AWS IoT)
    /// expect; it must still be the token of the credentials. By default
    /// the token is signed.
    #[arg(long)]
    pub token_after_signing: bool,
    #[command(flatten)]
    pub credentials: CredentialArgs,
    /// The server's clock.
    #[command(flatten)]
    pub time: TimeArg,
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

/// Runs `verify`.
pub fn run(args: &Args, ctx: &mut Ctx<'_>) -> Result<u8, Failure> {
    if let Some(s) = &args.service {
        check_service(s, "--service")?;
    }
    if let Some(r) = &args.region {
        check_region(r, "--region", args.allow_custom_region)?;
    }
    let now = args.time.or_now(ctx);
    let file = args.request_file.display().to_string();
    let bytes = if file == "-" {
        let mut buf = Vec::new();
        std::io::stdin().read_to_end(&mut buf).map_err(|e| {
            Failure::usage(format!(
                "--request-file -: cannot read standard input ({e})"
            ))
        })?;
        buf
    } else {
        std::fs::read(&args.request_file).map_err(|e| {
            Failure::usage(format!(
                "--request-file {file}: cannot read it ({e}); give a file holding the request as HTTP/1.1 text"
            ))
        })?
    };
    let bad_text = |e: awsig::Error| {
        Failure::usage(format!(
            "--request-file {file}: {e}; write the request line, the headers, a blank line, then the body"
        ))
    };
    let text = RequestText::parse(&bytes).map_err(bad_text)?;
    let pairs = text.header_pairs();
    let request = text.signable(&pairs).map_err(bad_text)?;
    #[cfg(not(feature = "sigv4a"))]
    if is_sigv4a(&text) {
        return Err(Failure::usage(format!(
            "--request-file {file}: the request is signed with SigV4a (AWS4-ECDSA-P256-SHA256), \
             and this awsig was built without SigV4a; run it with \
             `cargo run --features sigv4a --example awsig -- verify ...`"
        )));
    }
    let config = Config::load(&ctx.env, &args.credentials.profile)?;
    let credentials = config.credentials(&args.credentials)?;
    // A streaming body is checked below (or said to be unchecked).
    let mut policy = Policy::new()
        .with_streaming_payload(Acceptance::Accept)
        .with_rules(rules(args, &text));
    if let Some(s) = &args.service {
        policy = policy.with_services([s.clone()]);
    }
    if let Some(r) = &args.region {
        policy = policy.with_regions([r.clone()]);
    }
    let token = credentials.session_token().map(str::to_owned);
    let ecdsa_marker = ecdsa_chunked(&text);
    let mut out = String::new();
    let code = match awsig::verify(
        &request,
        Payload::Body(text.body()),
        &credentials,
        now,
        &policy,
    ) {
        Ok(verified) => match check_body(&verified, text.body())? {
            Ok(note) => {
                out.push_str("OK");
                out.push_str(&note);
                out.push('\n');
                0
            }
            Err((code, reason)) => {
                out += &format!("{code}: {reason}\n");
                1
            }
        },
        Err(awsig::Rejection::InvalidContentSha256) if ecdsa_marker.is_some() => {
            let marker = ecdsa_marker.unwrap_or_default();
            out += &format!(
                "NotImplemented: x-amz-content-sha256 is {marker}: aws-chunked bodies whose chunks \
                 are signed with SigV4a (ECDSA) cannot be checked by awsig\n"
            );
            1
        }
        Err(rejection) => {
            out += &format!("{}: {rejection}\n", rejection.code());
            if let Some(m) = rejection.mismatch() {
                let creq = hide_token(&m.canonical_request().to_string(), token.as_deref());
                out += &format!(
                    "\ncanonical request:\n{creq}\n\nstring to sign:\n{}\n",
                    m.string_to_sign()
                );
            }
            1
        }
    };
    ctx.out
        .write_all(out.as_bytes())
        .map_err(|e| Failure::failed(format!("cannot write the output: {e}")))?;
    Ok(code)
}

/// The value of the request's (first) header `name`, any case, trimmed.
fn header<'t>(text: &'t RequestText, name: &str) -> Option<&'t str> {
    let mut values = text
        .headers()
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name));
    let (_, value) = values.next()?;
    std::str::from_utf8(value).ok().map(str::trim)
}

/// The value of the query parameter `name` (exact case), as sent.
fn query_param<'t>(text: &'t RequestText, name: &str) -> Option<&'t str> {
    let (_, query) = text.target().split_once('?')?;
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
}

/// Whether the request is signed with SigV4a, in its header or its query.
#[cfg(not(feature = "sigv4a"))]
fn is_sigv4a(text: &RequestText) -> bool {
    const ECDSA: &str = "AWS4-ECDSA-P256-SHA256";
    header(text, "authorization").is_some_and(|v| v.starts_with(ECDSA))
        || query_param(text, "X-Amz-Algorithm") == Some(ECDSA)
}

/// The SigV4a streaming marker the request declares, if any: awsig does
/// not check chunks signed with ECDSA.
fn ecdsa_chunked(text: &RequestText) -> Option<&str> {
    header(text, "x-amz-content-sha256")
        .filter(|v| v.starts_with("STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD"))
}

/// The service in the request's credential scope (the part before
/// `aws4_request`), from its Authorization header or X-Amz-Credential.
fn claimed_service(text: &RequestText) -> Option<String> {
    let credential = match header(text, "authorization") {
        Some(auth) => {
            let start = auth.find("Credential=")? + "Credential=".len();
            let rest = auth.get(start..)?;
            let end = rest.find([',', ' ', '\t']).unwrap_or(rest.len());
            rest.get(..end)?.to_owned()
        }
        None => query_param(text, "X-Amz-Credential")?
            .replace("%2F", "/")
            .replace("%2f", "/"),
    };
    let mut parts = credential.rsplit('/');
    (parts.next()? == "aws4_request").then_some(())?;
    parts.next().map(str::to_owned)
}

/// The signing rules: each service's own, unless --no-normalize or
/// --token-after-signing change them for the service the request claims
/// (or --service names).
fn rules(args: &Args, text: &RequestText) -> ServiceRules {
    if !args.no_normalize && !args.token_after_signing {
        return ServiceRules::ByService;
    }
    let Some(service) = args.service.clone().or_else(|| claimed_service(text)) else {
        // No scope to read: the verifier says what is malformed.
        return ServiceRules::ByService;
    };
    let mut settings = Settings::for_service(&service);
    if args.no_normalize {
        settings = settings.with_path_normalization(PathNormalization::Disabled);
    }
    if args.token_after_signing {
        settings = settings.with_session_token(SessionTokenMode::AddedAfterSigning);
    }
    ServiceRules::Fixed(settings)
}

/// Checks the body of a verified request whose signature covers a
/// streaming marker: the chunks of an aws-chunked body; an event stream's
/// messages are signed one by one (`awsig event`) and not checked here.
fn check_body(verified: &awsig::Verified, body: &[u8]) -> super::chunked::BodyCheck {
    match verified.payload() {
        PayloadHash::StreamingEvents => Ok(Ok(
            " (the request's signature only: the event stream messages in the body are not \
             checked)"
                .to_owned(),
        )),
        PayloadHash::StreamingSigned
        | PayloadHash::StreamingSignedTrailer
        | PayloadHash::StreamingUnsignedTrailer => super::chunked::check_body(verified, body),
        _ => Ok(Ok(String::new())),
    }
}
