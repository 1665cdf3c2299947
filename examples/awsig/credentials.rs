//! `awsig credentials`: resolves the default credentials chain from the real
//! environment and files, sending the requests the flows ask for, and prints
//! where the credentials came from. Never prints the secret or the token.
//! Also the blocking HTTP client every subcommand's chain uses.

use std::time::{Duration, SystemTime};

use awsig::provider::chain::Source;
use awsig::provider::sso::SsoConfig;

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
    let details = source_details(&config);
    let r = config.resolve()?;
    let mut text = format!("source: {}\n", r.source.name());
    if let Some(p) = r.source.profile() {
        text += &format!("profile: {p}\n");
    }
    match &r.source {
        Source::Sso { .. } => text += &details.sso,
        Source::Login { .. } => text += &details.login,
        _ => {}
    }
    text += &format!("access_key_id: {}\n", r.credentials.access_key_id());
    if let Some(account) = r.credentials.account_id() {
        text += &format!("account_id: {account}\n");
    }
    text += &format!("region: {}\n", r.region.as_deref().unwrap_or("(none)"));
    let region_source = r
        .region_source
        .as_ref()
        .map_or_else(|| "(none)".to_owned(), ToString::to_string);
    text += &format!("region_source: {region_source}\n");
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

/// The lines that say which SSO or `aws login` settings the profile has,
/// printed when that source wins.
struct SourceDetails {
    sso: String,
    login: String,
}

fn source_details(config: &Config) -> SourceDetails {
    let profiles = config.profiles();
    let profile = config.profile();
    let mut sso = String::new();
    if let Ok(Some(c)) = SsoConfig::from_profile(profiles, profile) {
        match &c.session_name {
            Some(session) => sso += &format!("sso_session: {session}\n"),
            None => sso += "sso_session: (none: legacy profile)\n",
        }
        sso += &format!("sso_start_url: {}\nsso_region: {}\n", c.start_url, c.region);
        if let (Some(account), Some(role)) = (&c.account_id, &c.role_name) {
            sso += &format!("sso_account_id: {account}\nsso_role_name: {role}\n");
        }
    }
    let login = profiles
        .get(profile)
        .and_then(|p| p.get("login_session"))
        .map(|s| format!("login_session: {}\n", s.trim()))
        .unwrap_or_default();
    SourceDetails { sso, login }
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
