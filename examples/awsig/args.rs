//! Flags shared by several subcommands, and how each is resolved: the
//! credentials and profile, the region and service, the signing time, the
//! output. A subcommand flattens the structs it needs into its own `Args`;
//! a new shared option gets its own struct here.

use std::sync::Arc;
use std::time::SystemTime;

use awsig::provider::chain::{ChainStep, DefaultChain, Resolved};
use awsig::provider::{Environment, ProviderError};
use awsig::{AmzDate, Credentials, endpoint};

use super::{Ctx, Failure};

/// The AWS documentation's example key pair (the AWS signing test suite and
/// the Signature Version 4 examples use it). AWS refuses it.
pub const EXAMPLE_ACCESS_KEY_ID: &str = "AKIDEXAMPLE";
/// The secret of [`EXAMPLE_ACCESS_KEY_ID`].
pub const EXAMPLE_SECRET_ACCESS_KEY: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

/// `--profile`, for every subcommand.
#[derive(Debug, clap::Args)]
pub struct ProfileArg {
    /// Profile of the shared config and credentials files
    /// (default: AWS_DEFAULT_PROFILE, AWS_PROFILE, else `default`). An unknown
    /// profile is an error. Naming one skips the AWS_ACCESS_KEY_ID variables,
    /// as in the AWS CLI.
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
}

/// Where credentials come from: `--profile`, `--example-credentials`, else
/// the default chain.
#[derive(Debug, clap::Args)]
pub struct CredentialArgs {
    #[command(flatten)]
    pub profile: ProfileArg,
    /// Use the AWS documentation's example key pair (AKIDEXAMPLE,
    /// wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY) instead of your own: to try
    /// awsig or compare with AWS examples. AWS refuses these keys. Without this
    /// flag, credentials come from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
    /// AWS_SESSION_TOKEN, else from the default chain (profiles, web identity,
    /// container and instance credentials), as `awsig credentials` shows.
    #[arg(long, conflicts_with = "profile")]
    pub example_credentials: bool,
}

/// `--region` and `--allow-custom-region` for the subcommands that sign.
#[derive(Debug, clap::Args)]
pub struct RegionArgs {
    /// Region to sign for (default: the region the URL's host names, else
    /// AWS_REGION, AWS_DEFAULT_REGION, or the profile's `region`). It must
    /// have the shape of an AWS region (us-east-1, cn-north-1, us-gov-west-1)
    /// unless --allow-custom-region is given.
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// Accept a region that is not shaped like an AWS region, for
    /// S3-compatible servers (MinIO, Garage's `garage`, Cloudflare R2's `auto`).
    #[arg(long)]
    pub allow_custom_region: bool,
}

/// `--service` for the subcommands that sign.
#[derive(Debug, clap::Args)]
pub struct ServiceArg {
    /// Signing name, the service in the credential scope: s3, aps, sqs, logs,
    /// monitoring, kinesis, firehose, es, aoss, execute-api, lambda, sts, ...
    /// (default: the one the URL's host names). Lower-case; the S3 signing
    /// rules apply to s3 and s3-object-lambda, the other services' rules to
    /// everything else.
    #[arg(long, value_name = "NAME")]
    pub service: Option<String>,
}

/// `--time`, for every subcommand that signs or verifies.
#[derive(Debug, clap::Args)]
pub struct TimeArg {
    /// Use this time instead of the clock: RFC 3339 (2015-08-30T12:36:00Z) or
    /// the x-amz-date form that AWS error messages show (20150830T123600Z).
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub time: Option<SystemTime>,
}

impl TimeArg {
    /// The time given, else the clock.
    pub fn or_now(&self, ctx: &Ctx<'_>) -> SystemTime {
        self.time.unwrap_or(ctx.now)
    }
}

/// The signature algorithm of `sign` and `presign`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Algorithm {
    /// Signature Version 4 (HMAC-SHA256): valid in one region.
    Sigv4,
    /// Signature Version 4a (ECDSA P-256): valid in a set of regions, for S3
    /// Multi-Region Access Points and `*` region sets. Needs awsig built
    /// with the `sigv4a` feature.
    Sigv4a,
}

/// `--algorithm` and `--region-set`, for the subcommands that sign.
#[derive(Debug, clap::Args)]
pub struct AlgorithmArgs {
    /// The signature algorithm.
    #[arg(long, value_enum, value_name = "ALGORITHM", default_value = "sigv4")]
    pub algorithm: Algorithm,
    /// With --algorithm sigv4a: the regions the signature is valid in,
    /// joined with ',' (us-east-1,us-west-2), or `*` for every region
    /// (default: the region).
    #[arg(long, value_name = "REGIONS")]
    pub region_set: Option<String>,
}

impl AlgorithmArgs {
    /// Refuses `--region-set` without `--algorithm sigv4a`.
    pub fn check(&self) -> Result<(), Failure> {
        match (&self.region_set, self.algorithm) {
            (Some(set), Algorithm::Sigv4) => Err(Failure::usage(format!(
                "--region-set {set}: a region set is signed only with --algorithm sigv4a; add it, \
                 or give one region with --region"
            ))),
            _ => Ok(()),
        }
    }
}

/// A stage `--print` shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Stage {
    /// The canonical request.
    CanonicalRequest,
    /// The string to sign.
    StringToSign,
    /// The signature (hex).
    Signature,
}

impl Stage {
    /// The stage's text for a canonical request signed at `date`, with a
    /// final newline.
    pub fn render(
        self,
        signer: &awsig::Signer,
        creq: &awsig::CanonicalRequest,
        date: &AmzDate,
    ) -> String {
        let sts = awsig::StringToSign::new(signer.scope(date), creq);
        match self {
            Self::CanonicalRequest => format!("{creq}\n"),
            Self::StringToSign => format!("{sts}\n"),
            Self::Signature => format!("{}\n", signer.signing_key(date).sign(&sts)),
        }
    }
}

/// What `sign` and `presign` print.
#[derive(Debug, clap::Args)]
pub struct OutputArgs {
    /// Print one signing stage instead of the request, to compare with what
    /// a server reports in a SignatureDoesNotMatch answer.
    #[arg(long, value_enum, value_name = "STAGE")]
    pub print: Option<Stage>,
    /// Print a curl command that sends the signed request (quoted for a
    /// POSIX shell: paste it and press enter).
    #[arg(long, conflicts_with = "print")]
    pub curl: bool,
}

/// `--time`'s parser: RFC 3339 or `YYYYMMDDTHHMMSSZ`.
pub fn parse_time(text: &str) -> Result<SystemTime, String> {
    AmzDate::parse_rfc3339(text)
        .or_else(|_| AmzDate::parse(text))
        .map(|d| d.to_system_time())
        .map_err(|_| {
            "expected an RFC 3339 time such as 2015-08-30T12:36:00Z, or 20150830T123600Z".to_owned()
        })
}

/// The profile's configuration: read once, so that an unknown profile is
/// an error for every subcommand, whatever it then needs.
pub struct Config {
    chain: DefaultChain,
    env: Arc<dyn Environment>,
    /// Where the profile's name came from, for messages.
    profile_source: &'static str,
}

impl Config {
    /// Reads the shared files and checks the profile.
    pub fn load(env: &Arc<dyn Environment>, profile: &ProfileArg) -> Result<Self, Failure> {
        let set = |name: &str| env.var(name).is_some_and(|v| !v.is_empty());
        let profile_source = if profile.profile.is_some() {
            "--profile"
        } else if set("AWS_DEFAULT_PROFILE") {
            "AWS_DEFAULT_PROFILE"
        } else {
            "AWS_PROFILE"
        };
        let chain = DefaultChain::new(Arc::clone(env), profile.profile.as_deref()).map_err(|e| match e {
            ProviderError::ProfileNotFound { profile } => Failure::usage(format!(
                "{profile_source} {profile:?}: no such profile in the config or credentials file \
                 (~/.aws/config, ~/.aws/credentials, or AWS_CONFIG_FILE and \
                 AWS_SHARED_CREDENTIALS_FILE); name an existing profile"
            )),
            other => provider_failure(&other),
        })?;
        Ok(Self {
            chain,
            env: Arc::clone(env),
            profile_source,
        })
    }

    /// The profile in use.
    pub fn profile(&self) -> &str {
        self.chain.profile()
    }

    /// The shared files as read.
    pub fn profiles(&self) -> &awsig::provider::profile::ProfileSet {
        self.chain.profiles()
    }

    /// The configured region and where it came from: AWS_REGION,
    /// AWS_DEFAULT_REGION, then the profile's `region`.
    pub fn region(&self) -> Option<(String, String)> {
        for var in ["AWS_REGION", "AWS_DEFAULT_REGION"] {
            if let Some(v) = self.env.var(var).filter(|v| !v.is_empty()) {
                return Some((v, var.to_owned()));
            }
        }
        self.chain.region().map(|r| {
            (
                r.to_owned(),
                format!("the region of profile {:?}", self.profile()),
            )
        })
    }

    /// Credentials: the example pair when asked for, else the default chain
    /// run to the end (sending its requests).
    pub fn credentials(self, args: &CredentialArgs) -> Result<Credentials, Failure> {
        if args.example_credentials {
            return Credentials::new(EXAMPLE_ACCESS_KEY_ID, EXAMPLE_SECRET_ACCESS_KEY)
                .map_err(|e| Failure::failed(e.to_string()));
        }
        self.resolve().map(|r| r.credentials)
    }

    /// Runs the default chain to the end with a blocking HTTP client. A
    /// credentials endpoint that fails (STS, IAM Identity Center, a
    /// container or instance metadata endpoint) is named by its URL.
    pub fn resolve(mut self) -> Result<Resolved, Failure> {
        let profile_source = self.profile_source;
        // The endpoints that answered with an error or could not be reached,
        // for when the chain ends finding nothing.
        let mut failed: Vec<String> = Vec::new();
        let fail = |e: ProviderError, failed: &[String]| match e {
            ProviderError::NoCredentials { tried } => {
                let endpoints = if failed.is_empty() {
                    String::new()
                } else {
                    format!("; endpoints that failed: {}", failed.join(", "))
                };
                Failure::usage(format!(
                    "no credentials found (tried: {}{endpoints}): set AWS_ACCESS_KEY_ID and \
                     AWS_SECRET_ACCESS_KEY, choose a profile with --profile, or add \
                     --example-credentials to try the AWS documentation's example keys",
                    tried
                        .iter()
                        .map(|t| shortened(t, 120))
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            }
            ProviderError::PartialCredentials {
                source_name,
                present,
                missing,
            } => Failure::usage(format!(
                "{present} is set in {source_name} but {missing} is not: set both, or neither"
            )),
            ProviderError::ProfileNotFound { profile } => Failure::usage(format!(
                "{profile_source}: the profile {profile:?} is referred to but does not exist; add it"
            )),
            other => provider_failure(&other),
        };
        // An endpoint's failure, with its URL.
        let endpoint_fail = |e: ProviderError, url: &str, failed: &[String]| match e {
            ProviderError::Service { .. }
            | ProviderError::Transport { .. }
            | ProviderError::InvalidResponse { .. }
            | ProviderError::NoInstanceRole => Failure::failed(format!(
                "cannot get credentials from {url}: {}",
                shortened(&e.to_string(), 300)
            )),
            other => fail(other, failed),
        };
        // Bounded: each flow takes a handful of requests.
        for _ in 0..32 {
            match self
                .chain
                .poll(SystemTime::now())
                .map_err(|e| fail(e, &failed))?
            {
                ChainStep::Done(resolved) => return Ok(resolved),
                ChainStep::Send(request) => {
                    let url = endpoint_url(request.uri());
                    match super::credentials::send(request) {
                        Ok(response) => {
                            let status = response.status();
                            if !status.is_success() {
                                failed.push(format!("{url} (HTTP {})", status.as_u16()));
                            }
                            self.chain
                                .handle_response(&response, SystemTime::now())
                                .map_err(|e| endpoint_fail(e, &url, &failed))?;
                        }
                        Err(e) => {
                            failed.push(format!("{url} (unreachable)"));
                            self.chain
                                .handle_send_error(&e)
                                .map_err(|e| endpoint_fail(e, &url, &failed))?;
                        }
                    }
                }
            }
        }
        Err(Failure::failed("the credentials chain did not finish"))
    }
}

/// The URL a credentials request went to, as `scheme://host[:port]/path`:
/// without user information or query.
fn endpoint_url(uri: &http::Uri) -> String {
    let scheme = uri.scheme_str().unwrap_or("http");
    let host = uri.host().unwrap_or("");
    let port = uri.port_u16().map(|p| format!(":{p}")).unwrap_or_default();
    format!("{scheme}://{host}{port}{}", uri.path())
}

/// A service's answer cut to `max` characters: an HTML error page says
/// little after its first lines.
fn shortened(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text.to_owned(),
    }
}

/// A provider error other than the usage mistakes handled where they occur.
fn provider_failure(e: &ProviderError) -> Failure {
    match e {
        ProviderError::Parse { .. }
        | ProviderError::InvalidConfig { .. }
        | ProviderError::InfiniteLoop { .. }
        | ProviderError::InvalidEnvVar { .. } => {
            Failure::usage(format!("{e}: fix the configuration"))
        }
        _ => Failure::failed(format!(
            "cannot get credentials: {}",
            shortened(&e.to_string(), 300)
        )),
    }
}

/// Checks a region's shape unless custom regions are allowed; `source`
/// names where it came from (`--region`, `AWS_REGION`, ...).
pub fn check_region(region: &str, source: &str, allow_custom: bool) -> Result<(), Failure> {
    awsig::Region::new(region)
        .map_err(|e| Failure::usage(format!("{source} {region:?}: {}", reason(&e))))?;
    if allow_custom {
        return Ok(());
    }
    endpoint::check_aws_region(region).map(|_| ()).map_err(|_| {
        Failure::usage(format!(
            "{source} {region:?} does not have the shape of an AWS region (area-place-number: \
             us-east-1, eu-west-1, cn-north-1, us-gov-west-1); fix it, or add \
             --allow-custom-region for an S3-compatible server's region"
        ))
    })
}

/// Checks a signing name; upper case is refused with the lower-case form
/// to use instead.
pub fn check_service(service: &str, source: &str) -> Result<(), Failure> {
    if service.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(Failure::usage(format!(
            "{source} {service:?}: signing names are lower-case; use {source} {}",
            service.to_ascii_lowercase()
        )));
    }
    awsig::Service::new(service)
        .map(|_| ())
        .map_err(|e| Failure::usage(format!("{source} {service:?}: {}", reason(&e))))
}

/// The reason part of a scope error (the part after the name).
fn reason(e: &awsig::Error) -> String {
    match e {
        awsig::Error::InvalidRegion { reason, .. }
        | awsig::Error::InvalidService { reason, .. } => (*reason).to_owned(),
        other => other.to_string(),
    }
}
