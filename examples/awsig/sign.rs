//! `awsig sign`: signs a request with headers and prints it as HTTP/1.1
//! text (headers as `Name:value`, the form of the AWS signing test suite's
//! signed requests), as a curl command, or one signing stage.

use std::time::SystemTime;

use awsig::{AmzDate, Signature};

use super::args::{AlgorithmArgs, CredentialArgs, OutputArgs, RegionArgs, ServiceArg, TimeArg};
use super::request::AnySigner;
use super::request::{Prepared, RequestArgs, prepare};
use super::{Ctx, EXIT_CODES, Failure};

/// The flags of `sign`.
#[derive(Debug, clap::Args)]
#[command(after_help = EXIT_CODES)]
pub struct Args {
    #[command(flatten)]
    pub request: RequestArgs,
    #[command(flatten)]
    pub service: ServiceArg,
    #[command(flatten)]
    pub region: RegionArgs,
    #[command(flatten)]
    pub algorithm: AlgorithmArgs,
    #[command(flatten)]
    pub credentials: CredentialArgs,
    #[command(flatten)]
    pub time: TimeArg,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub chunked: super::chunked::ChunkedArgs,
    /// Refused with a pointer to `presign`: a header-signed request has no expiry.
    #[arg(long, hide = true, value_name = "SECONDS")]
    pub expires: Option<String>,
}

/// Runs `sign`.
pub fn run(args: &Args, ctx: &mut Ctx<'_>) -> Result<u8, Failure> {
    if let Some(e) = &args.expires {
        return Err(Failure::usage(format!(
            "--expires {e}: sign makes header signatures, which do not expire; use awsig presign \
             for a URL valid for a time"
        )));
    }
    // Before anything else is asked for: this build cannot do it at all.
    #[cfg(not(feature = "chunked"))]
    if args.chunked.chunked.is_some() {
        return Err(super::chunked::unavailable());
    }
    let now = args.time.or_now(ctx);
    let prepared = prepare(
        &args.request,
        &args.service,
        &args.region,
        &args.algorithm,
        &args.credentials,
        false,
        ctx,
    )?;
    #[cfg(feature = "chunked")]
    if let Some(upload) = super::chunked::upload(&args.chunked, prepared.body.len())? {
        let prepared = super::chunked::declare(prepared, &upload)?;
        let (text, seed) = render(args, &prepared, now)?;
        let seed = seed.ok_or_else(super::chunked::not_sigv4a)?;
        super::chunked::write_body(&args.chunked, &prepared, &upload, seed, now)?;
        ctx.out
            .write_all(&text)
            .map_err(|e| Failure::failed(format!("cannot write the output: {e}")))?;
        return Ok(0);
    }
    let (text, _) = render(args, &prepared, now)?;
    ctx.out
        .write_all(&text)
        .map_err(|e| Failure::failed(format!("cannot write the output: {e}")))?;
    Ok(0)
}

/// The output, and the request's SigV4 signature (the seed of an
/// aws-chunked body; `--print` shows a stage and signs nothing); no seed
/// for SigV4a.
fn render(
    args: &Args,
    p: &Prepared,
    now: SystemTime,
) -> Result<(Vec<u8>, Option<Signature>), Failure> {
    let mut pairs = Vec::new();
    let request = p.request(&args.request, &mut pairs)?;
    let input = |e: awsig::Error| Failure::usage(e.to_string());
    if let Some(stage) = args.output.print {
        let text = p
            .signer
            .stage(stage, &request, None, &p.payload, now)
            .map_err(input)?;
        let seed = match &p.signer {
            AnySigner::V4(signer) => {
                let date = AmzDate::from_system_time(now).map_err(input)?;
                let creq = signer
                    .canonical_request(&request, &p.payload, now)
                    .map_err(input)?;
                let sts = awsig::StringToSign::new(signer.scope(&date), &creq);
                Some(signer.signing_key(&date).sign(&sts))
            }
            #[cfg(feature = "sigv4a")]
            AnySigner::V4a(_) => None,
        };
        return Ok((text.into_bytes(), seed));
    }
    let (added, seed) = p
        .signer
        .added_headers(&request, &p.payload, now)
        .map_err(input)?;
    // The fields given, less any that signing replaced, then the ones it added.
    let mut headers: Vec<(String, String)> = p
        .fields
        .iter()
        .filter(|(n, _)| !added.iter().any(|(a, _)| a.eq_ignore_ascii_case(n)))
        .map(|(n, v)| (n.clone(), String::from_utf8_lossy(v).into_owned()))
        .collect();
    headers.extend(added);
    if args.output.curl {
        let command = super::curl::command(
            &args.request.method,
            &p.url,
            &headers,
            &super::curl::Body::of(&args.request),
        );
        return Ok((command.into_bytes(), seed));
    }
    let mut text = format!("{} {} HTTP/1.1\n", args.request.method, target(&request));
    for (n, v) in &headers {
        text.push_str(&format!("{n}:{v}\n"));
    }
    text.push('\n');
    let mut bytes = text.into_bytes();
    // An aws-chunked body goes to --body-out, encoded.
    if args.chunked.chunked.is_none() {
        bytes.extend_from_slice(&p.body);
    }
    Ok((bytes, seed))
}

/// `x-amz-date` → `X-Amz-Date`.
pub fn title_case(name: &str) -> String {
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
fn target(request: &awsig::SignableRequest<'_>) -> String {
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
