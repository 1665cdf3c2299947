//! `awsig credentials [--profile NAME]`: resolves the default credentials
//! chain from the real environment and files, sending the requests the
//! flows ask for, and prints where the credentials came from. Never prints
//! the secret or the session token.

use std::time::{Duration, SystemTime};

use awsig::Credentials;
use awsig::provider::SystemEnvironment;
use awsig::provider::chain::{ChainStep, DefaultChain, Resolved};

/// Runs the subcommand; `args` are the arguments after `credentials`.
/// Returns the process exit code.
pub fn run(args: &[String]) -> i32 {
    let mut profile: Option<String> = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--profile" => match it.next() {
                Some(p) => profile = Some(p.clone()),
                None => {
                    eprintln!("error: --profile needs a profile name");
                    return 2;
                }
            },
            "-h" | "--help" => {
                println!("usage: awsig credentials [--profile NAME]");
                return 0;
            }
            other => {
                eprintln!(
                    "error: unexpected argument {other:?}\nusage: awsig credentials [--profile NAME]"
                );
                return 2;
            }
        }
    }
    match resolve(profile.as_deref()) {
        Ok(r) => {
            println!("source: {}", r.source.name());
            if let Some(p) = r.source.profile() {
                println!("profile: {p}");
            }
            println!("access_key_id: {}", r.credentials.access_key_id());
            println!("region: {}", r.region.as_deref().unwrap_or("(none)"));
            println!(
                "expiry: {}",
                r.credentials
                    .expiry()
                    .map_or_else(|| "never".to_owned(), rfc3339)
            );
            0
        }
        Err(e) => {
            eprintln!("error: {e}");
            1
        }
    }
}

/// The default chain's credentials and region, from the real environment.
pub fn resolve_default(profile: Option<&str>) -> Result<(Credentials, Option<String>), String> {
    resolve(profile).map(|r| (r.credentials, r.region))
}

/// Runs the chain to the end with a blocking HTTP client.
pub fn resolve(profile: Option<&str>) -> Result<Resolved, String> {
    let mut chain = DefaultChain::new(SystemEnvironment, profile).map_err(|e| e.to_string())?;
    // Bounded: each flow takes a handful of requests.
    for _ in 0..32 {
        let now = SystemTime::now();
        match chain.poll(now).map_err(|e| e.to_string())? {
            ChainStep::Done(resolved) => return Ok(resolved),
            ChainStep::Send(request) => match send(request) {
                Ok(response) => chain
                    .handle_response(&response, SystemTime::now())
                    .map_err(|e| e.to_string())?,
                Err(e) => chain.handle_send_error(&e).map_err(|e| e.to_string())?,
            },
        }
    }
    Err("the credentials chain did not finish".to_owned())
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
