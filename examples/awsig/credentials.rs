//! `awsig credentials`: resolves the default credentials chain from the real
//! environment and files, sending the requests the flows ask for, and prints
//! where the credentials came from. Never prints the secret or the token.
//! Also the blocking HTTP client every subcommand's chain uses.

use std::time::{Duration, SystemTime};

use super::args::{Config, ProfileArg};
use super::{Ctx, EXIT_CODES, Failure};

/// The flags of `credentials`.
#[derive(Debug, clap::Args)]
#[command(after_help = EXIT_CODES)]
pub struct Args {
    #[command(flatten)]
    pub profile: ProfileArg,
}

/// Runs `credentials`.
pub fn run(args: &Args, ctx: &mut Ctx<'_>) -> Result<u8, Failure> {
    let config = Config::load(&ctx.env, &args.profile)?;
    let region = config.region();
    let r = config.resolve()?;
    let mut text = format!("source: {}\n", r.source.name());
    if let Some(p) = r.source.profile() {
        text += &format!("profile: {p}\n");
    }
    text += &format!("access_key_id: {}\n", r.credentials.access_key_id());
    let region = r.region.or(region.map(|(r, _)| r));
    text += &format!("region: {}\n", region.as_deref().unwrap_or("(none)"));
    let expiry = r
        .credentials
        .expiry()
        .map_or_else(|| "never".to_owned(), rfc3339);
    text += &format!("expiry: {expiry}\n");
    ctx.out
        .write_all(text.as_bytes())
        .map_err(|e| Failure::failed(format!("cannot write the output: {e}")))?;
    Ok(0)
}

/// Sends a request and reads the whole response.
pub fn send(request: http::Request<Vec<u8>>) -> Result<http::Response<Vec<u8>>, String> {
    // The metadata endpoints answer at once or not at all.
    let link_local = matches!(
        request.uri().host(),
        Some(
            "169.254.169.254"
                | "[fd00:ec2::254]"
                | "169.254.170.2"
                | "169.254.170.23"
                | "[fd00:ec2::23]"
        )
    );
    let connect = if link_local {
        Duration::from_secs(1)
    } else {
        Duration::from_secs(10)
    };
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_connect(Some(connect))
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into();
    let mut response = agent.run(request).map_err(|e| e.to_string())?;
    let status = response.status();
    let body = response
        .body_mut()
        .with_config()
        .limit(1024 * 1024)
        .read_to_vec()
        .map_err(|e| e.to_string())?;
    http::Response::builder()
        .status(status)
        .body(body)
        .map_err(|e| e.to_string())
}

/// `2015-08-30T12:36:00Z`.
fn rfc3339(t: SystemTime) -> String {
    match awsig::AmzDate::from_system_time(t) {
        Ok(d) => {
            let s = d.as_str();
            let part = |a: usize, b: usize| s.get(a..b).unwrap_or("");
            format!(
                "{}-{}-{}T{}:{}:{}Z",
                part(0, 4),
                part(4, 6),
                part(6, 8),
                part(9, 11),
                part(11, 13),
                part(13, 15)
            )
        }
        Err(_) => "(out of range)".to_owned(),
    }
}
