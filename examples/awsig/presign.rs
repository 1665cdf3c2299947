//! `awsig presign`: makes a presigned URL (query signing), printed alone,
//! as a curl command, or as one signing stage.

use std::time::Duration;

use super::args::{AlgorithmArgs, CredentialArgs, OutputArgs, RegionArgs, ServiceArg, TimeArg};
use super::request::{RequestArgs, prepare};
use super::{Ctx, EXIT_CODES, Failure};

/// The flags of `presign`.
#[derive(Debug, clap::Args)]
#[command(after_help = EXIT_CODES)]
pub struct Args {
    #[command(flatten)]
    pub request: RequestArgs,
    /// How long the URL is valid, in seconds (1 to 604800, 7 days).
    #[arg(long, value_name = "SECONDS", default_value_t = 3600)]
    pub expires: u64,
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
}

/// Runs `presign`.
pub fn run(args: &Args, ctx: &mut Ctx<'_>) -> Result<u8, Failure> {
    let now = args.time.or_now(ctx);
    if !(1..=604_800).contains(&args.expires) {
        return Err(Failure::usage(format!(
            "--expires {}: a presigned URL is valid for 1 to 604800 seconds (7 days)",
            args.expires
        )));
    }
    let p = prepare(
        &args.request,
        &args.service,
        &args.region,
        &args.algorithm,
        &args.credentials,
        true,
        ctx,
    )?;
    let mut pairs = Vec::new();
    let request = p.request(&args.request, &mut pairs)?;
    let signer = &p.signer;
    let expires = Duration::from_secs(args.expires);
    let input = |e: awsig::Error| Failure::usage(e.to_string());
    let text = if let Some(stage) = args.output.print {
        signer
            .stage(stage, &request, Some(expires), &p.payload, now)
            .map_err(input)?
    } else {
        let url = &p.url;
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let query = signer
            .presigned_query(&request, expires, &p.payload, now, query)
            .map_err(input)?;
        let presigned = format!("{base}?{query}");
        let headers = p.text_fields();
        if args.output.curl {
            super::curl::command(
                &args.request.method,
                &presigned,
                &headers,
                &super::curl::Body::of(&args.request),
            )
        } else {
            // The signed headers besides Host travel apart from the URL.
            let to_send: Vec<String> = headers
                .iter()
                .filter(|(n, _)| !n.eq_ignore_ascii_case("host"))
                .map(|(n, v)| format!("\n  {n}: {v}"))
                .collect();
            if !to_send.is_empty() {
                ctx.note(&format!(
                    "the URL is signed with these headers (X-Amz-SignedHeaders): send them with \
                     it as they are, or the server refuses it:{}",
                    to_send.concat()
                ));
            }
            format!("{presigned}\n")
        }
    };
    ctx.out
        .write_all(text.as_bytes())
        .map_err(|e| Failure::failed(format!("cannot write the output: {e}")))?;
    Ok(0)
}
