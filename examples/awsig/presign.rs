//! `awsig presign`: makes a presigned URL (query signing), printed alone,
//! as a curl command, or as one signing stage.

use std::time::Duration;

use awsig::AmzDate;

use super::args::{CredentialArgs, OutputArgs, RegionArgs, ServiceArg, TimeArg};
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
        let date = AmzDate::from_system_time(now).map_err(input)?;
        let creq = signer
            .presign_canonical_request(&request, expires, &p.payload, now)
            .map_err(input)?;
        stage.render(signer, &creq, &date)
    } else {
        let out = signer
            .presign_output(&request, expires, &p.payload, now)
            .map_err(input)?;
        let url = &args.request.url;
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let base = base.split_once('#').map_or(base, |(b, _)| b);
        let presigned = format!("{base}?{}", out.append_to_query(query));
        if args.output.curl {
            let headers: Vec<(String, String)> = p
                .fields
                .iter()
                .map(|(n, v)| (n.clone(), String::from_utf8_lossy(v).into_owned()))
                .collect();
            super::curl::command(
                &args.request.method,
                &presigned,
                &headers,
                &super::curl::Body::of(&args.request),
            )
        } else {
            format!("{presigned}\n")
        }
    };
    ctx.out
        .write_all(text.as_bytes())
        .map_err(|e| Failure::failed(format!("cannot write the output: {e}")))?;
    Ok(0)
}
