//! `awsig event`: signs one event stream message, or the end of the
//! stream, chained from a seed or prior signature, for debugging a stream
//! by hand. Prints the envelope's signature (or its string to sign) and
//! writes the envelope's bytes with `--out`.

use std::path::PathBuf;

use awsig::event_stream::{EventSigner, EventStringToSign, PriorSignature};
use awsig::{AmzDate, Signer};

use super::args::{CredentialArgs, RegionArgs, TimeArg, check_region, check_service};
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
    /// The prior signature, hex: for the first message, the seed signature
    /// (the Signature= of the request that opened the stream); after that,
    /// the previous envelope's signature.
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
    /// Write the envelope's bytes to this file.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// What to print.
    #[arg(long, value_enum, value_name = "STAGE", default_value = "signature")]
    pub print: EventStage,
    /// Signing name of the streaming service, as in the request's credential
    /// scope: transcribe, bedrock, lex, kinesisvideo, ...
    #[arg(long, value_name = "NAME")]
    pub service: String,
    #[command(flatten)]
    pub region: RegionArgs,
    #[command(flatten)]
    pub credentials: CredentialArgs,
    #[command(flatten)]
    pub time: TimeArg,
}

/// Runs `event`.
pub fn run(args: &Args, ctx: &mut Ctx<'_>) -> Result<u8, Failure> {
    let now = args.time.or_now(ctx);
    check_service(&args.service, "--service")?;
    let prior =
        PriorSignature::from_hex(&args.seed).map_err(|e| Failure::usage(format!("--seed: {e}")))?;
    let message = match &args.message_file {
        Some(path) => std::fs::read(path)
            .map_err(|e| Failure::usage(format!("--message-file {}: {e}", path.display())))?,
        None => Vec::new(),
    };
    let config = super::args::Config::load(&ctx.env, &args.credentials.profile)?;
    let (region, source) = match (&args.region.region, config.region()) {
        (Some(r), _) => (r.clone(), "--region".to_owned()),
        (None, Some(found)) => found,
        (None, None) => {
            return Err(Failure::usage(
                "no region: give --region, or set AWS_REGION or the profile's region",
            ));
        }
    };
    check_region(&region, &source, args.region.allow_custom_region)?;
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
