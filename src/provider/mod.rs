//! Where credentials come from: environment variables, the shared
//! `config` and `credentials` files, `credential_process`, and sans-IO flows
//! for the instance metadata service (IMDSv2), container endpoints (ECS, EKS
//! Pod Identity), STS (`AssumeRole`, `AssumeRoleWithWebIdentity`), IAM
//! Identity Center (SSO) and `aws login` sessions.
//!
//! ## Where the IO happens
//!
//! - Environment variables, files and `credential_process` are read through
//!   the [`Environment`] trait, and refreshed token caches are written
//!   through it. [`SystemEnvironment`] is the real one; tests pass their
//!   own, so they never touch the process environment.
//! - Every network exchange is a small state machine that never sends
//!   anything itself: [`poll_request`](imds::ImdsFlow::poll_request) gives
//!   the `http::Request` to send, the caller sends it with any HTTP client
//!   and hands the answer to
//!   [`handle_response`](imds::ImdsFlow::handle_response), until the flow
//!   reports [`Progress::Done`] or an error. Flows that may finish without a
//!   request ([`sso::SsoTokenFlow`], [`login::LoginFlow`]) have `poll`,
//!   which returns a [`FlowStep`]. The time is always an argument. Their
//!   `Debug` never shows a body or a secret header
//!   ([`RedactedRequest`], [`RedactedResponse`]).
//! - Every parser is a pure public function from text or bytes to a value
//!   or an error, and never panics: [`profile::parse_ini`],
//!   [`profile::ProfileSet::parse`], [`profile::ProfileSet::parse_bytes`],
//!   [`profile::FileKind::parse`], [`process::parse_process_output`],
//!   [`process::split_command`], [`imds::parse_imds_credentials`],
//!   [`container::parse_container_credentials`],
//!   [`sts::parse_assume_role_response`],
//!   [`sts::parse_web_identity_response`], [`sts::parse_sts_error`],
//!   [`sso::parse_role_credentials`], [`sso::SsoCachedToken::parse`],
//!   [`login::LoginCache::parse`]. [`plan::ProfileChain::resolve`] tells,
//!   from the files alone, what a profile's credentials are made of.
//!
//! ## Rules
//!
//! The shared files are read by the AWS SDKs' rules by default, the AWS
//! CLI's on request ([`profile::ProfileRules`]). Elsewhere, where the AWS
//! SDKs disagree, this module follows the AWS CLI. The places where it
//! departs from the CLI on purpose are named in the documentation of the
//! item concerned ([`env`](mod@env)). The AWS SDKs' cross-SDK test data
//! (`testdata/aws-sdk-config/`) runs case by case in
//! `tests/aws_sdk_config.rs`.
//!
//! ## The default chain
//!
//! [`chain::DefaultChain`] tries the sources in the AWS CLI's order and
//! reports which one won: environment variables, role assumption
//! configured in the profile, web identity (IRSA), IAM Identity Center, the
//! credentials file's static keys, an `aws login` session,
//! `credential_process`, the config file's static keys, the container
//! endpoint, the instance metadata service. The region comes from the
//! environment, the profile, or (on EC2) the instance metadata service.
//! The chain owns its environment and is `Send + Sync + 'static`.
//!
//! ```
//! use std::collections::BTreeMap;
//! use std::time::SystemTime;
//! use awsig::provider::{chain::{ChainStep, DefaultChain}, VarsEnvironment};
//!
//! let env = VarsEnvironment::new(BTreeMap::from([
//!     ("AWS_ACCESS_KEY_ID".to_owned(), "AKIDEXAMPLE".to_owned()),
//!     ("AWS_SECRET_ACCESS_KEY".to_owned(), "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".to_owned()),
//!     ("AWS_REGION".to_owned(), "eu-west-1".to_owned()),
//!     ("AWS_CONFIG_FILE".to_owned(), "/nonexistent/config".to_owned()),
//!     ("AWS_SHARED_CREDENTIALS_FILE".to_owned(), "/nonexistent/credentials".to_owned()),
//! ]));
//! let mut chain = DefaultChain::new(env, None)?;
//! match chain.poll(SystemTime::now())? {
//!     ChainStep::Done(resolved) => {
//!         assert_eq!(resolved.source.name(), "environment");
//!         assert_eq!(resolved.credentials.access_key_id(), "AKIDEXAMPLE");
//!         assert_eq!(resolved.region.as_deref(), Some("eu-west-1"));
//!     }
//!     ChainStep::Send(_) => unreachable!("the environment needs no request"),
//! }
//! # Ok::<(), awsig::provider::ProviderError>(())
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub mod cache;
pub mod chain;
pub mod container;
pub mod endpoint;
pub mod env;
pub mod imds;
pub mod login;
pub mod plan;
pub mod process;
pub mod profile;
pub mod sso;
pub mod sts;

mod json;
mod xml;

pub use cache::{
    Cached, CredentialsCache, ProvideCredentials, ProviderSigner, RefreshingProvider, SignError,
};
pub use chain::{ChainStep, DefaultChain, RegionSource, Resolved, Source};

/// What a flow reports after handling a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress<T = crate::Credentials> {
    /// Call `poll_request` again and send the request it returns.
    Continue,
    /// The flow is over: here is its result (credentials, for most flows).
    Done(T),
}

/// What a flow that may finish without a request asks for next (the SSO
/// token, `aws login`): send a request, or take the result.
#[allow(clippy::large_enum_variant)] // Moved once per step; a box would cost an allocation.
pub enum FlowStep<T = crate::Credentials> {
    /// Send this request, then hand the answer to the flow's
    /// `handle_response`.
    Send(http::Request<Vec<u8>>),
    /// The flow is over: here is its result.
    Done(T),
}

impl<T: std::fmt::Debug> std::fmt::Debug for FlowStep<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FlowStep::Send(r) => f.debug_tuple("Send").field(&RedactedRequest(r)).finish(),
            FlowStep::Done(t) => f.debug_tuple("Done").field(t).finish(),
        }
    }
}

/// Everything that can go wrong while finding credentials.
///
/// No variant carries a secret: values from files and responses appear
/// only when they are names (profiles, variables, roles) or AWS error codes
/// and messages.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProviderError {
    /// One half of a key pair is set and the other is not.
    #[error("partial credentials found in {source_name}: {present} is set but {missing} is not")]
    PartialCredentials {
        /// Where: "environment variables" or a profile.
        source_name: String,
        /// The variable or key that is set.
        present: String,
        /// The variable or key that is missing.
        missing: String,
    },
    /// A shared file could not be parsed.
    #[error("{file}: line {line}: {message}")]
    Parse {
        /// The file (its path, or "config"/"credentials" for text).
        file: String,
        /// The 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The profile asked for exists in neither file.
    #[error("the profile {profile:?} could not be found in the config or credentials file")]
    ProfileNotFound {
        /// The profile's name.
        profile: String,
    },
    /// A profile's configuration is contradictory or incomplete.
    #[error("invalid configuration in profile {profile:?}: {message}")]
    InvalidConfig {
        /// The profile's name.
        profile: String,
        /// What is wrong.
        message: String,
    },
    /// `source_profile` profiles form a cycle.
    #[error("infinite loop in profile configuration: {}", chain.join(" -> "))]
    InfiniteLoop {
        /// The profiles visited, in order.
        chain: Vec<String>,
    },
    /// An environment variable holds a value that cannot be used.
    #[error("invalid value in {name}: {message}")]
    InvalidEnvVar {
        /// The variable.
        name: String,
        /// What is wrong.
        message: String,
    },
    /// An endpoint URI is malformed or not allowed.
    #[error("invalid endpoint {uri:?}: {message}")]
    InvalidEndpoint {
        /// The URI as given.
        uri: String,
        /// What is wrong.
        message: String,
    },
    /// `credential_process` failed or printed something unusable.
    #[error("credential_process failed: {message}")]
    Process {
        /// What went wrong (the command's standard error when it failed).
        message: String,
    },
    /// A file (web identity token, container authorization token) could not be read.
    #[error("cannot read {path}: {message}")]
    Io {
        /// The path.
        path: String,
        /// The system's message.
        message: String,
    },
    /// A response body could not be parsed.
    #[error("invalid response from {service}: {message}")]
    InvalidResponse {
        /// "sts", "imds", "container" or "credential_process".
        service: &'static str,
        /// What is wrong.
        message: String,
    },
    /// The service answered with an error; AWS's code and message are kept.
    #[error("{service} returned HTTP {status}: {code}: {message}")]
    Service {
        /// "sts", "imds" or "container".
        service: &'static str,
        /// The HTTP status.
        status: u16,
        /// The error code (for example `AccessDenied`), or the status text.
        code: String,
        /// The error message.
        message: String,
    },
    /// The request could not be sent (reported by the caller).
    #[error("cannot reach {service}: {message}")]
    Transport {
        /// "sts", "imds" or "container".
        service: &'static str,
        /// The transport's message.
        message: String,
    },
    /// The instance has no IAM role attached.
    #[error("the instance metadata service reports no IAM role")]
    NoInstanceRole,
    /// No source in the chain had credentials.
    #[error("no credentials found (tried: {})", tried.join(", "))]
    NoCredentials {
        /// The sources tried, in order.
        tried: Vec<String>,
    },
    /// A cached token has expired and cannot be refreshed.
    #[error("{token} has expired: {hint}")]
    TokenExpired {
        /// Which token (for example "the SSO token of session corp").
        token: String,
        /// What to do (for example "run `aws sso login`").
        hint: &'static str,
    },
    /// A profile asked for (or used as a role's source) holds no
    /// credentials.
    #[error("the profile {profile:?} holds no credentials")]
    ProfileHasNoCredentials {
        /// The profile's name.
        profile: String,
    },
    /// A role's `credential_source` found no credentials.
    #[error("profile {profile:?}: no credentials found in credential_source {source_name}")]
    EmptyCredentialSource {
        /// The profile with the role.
        profile: String,
        /// `Environment`, `Ec2InstanceMetadata` or `EcsContainer`.
        source_name: String,
    },
    /// The configuration needs a part of awsig that this build leaves out.
    #[error("{what} needs awsig's `{feature}` feature, which this build leaves out")]
    FeatureDisabled {
        /// What was asked for.
        what: &'static str,
        /// The cargo feature.
        feature: &'static str,
    },
    /// `poll_request` or `handle_response` was called when the flow did not expect it.
    #[error("the flow is not waiting for this call: {0}")]
    UnexpectedCall(&'static str),
    /// The credentials found cannot sign (for example an empty key).
    #[error(transparent)]
    Credentials(#[from] crate::Error),
}

/// Where the chain reads environment variables and files, and how it runs
/// `credential_process`.
///
/// [`SystemEnvironment`] does the real thing; implement it to read from
/// elsewhere (tests, sandboxes). It is `Send + Sync` so that a
/// [`DefaultChain`] owning one can move between threads and tasks; share
/// one environment between several chains with an `Arc`.
pub trait Environment: Send + Sync {
    /// The value of an environment variable, `None` when unset.
    fn var(&self, name: &str) -> Option<String>;
    /// The contents of a file.
    ///
    /// # Errors
    ///
    /// the `std::io::Error` of reading the file (a missing shared file is not an error for the chain).
    fn read_file(&self, path: &Path) -> std::io::Result<Vec<u8>>;
    /// Runs a `credential_process` command (already split into program and
    /// arguments) and returns its standard output.
    ///
    /// # Errors
    ///
    /// [`ProviderError::Process`] when the command cannot be started, exits with a failure status, or prints too much.
    fn run_process(&self, argv: &[String]) -> Result<Vec<u8>, ProviderError>;

    /// Replaces a file's contents: the SSO and `aws login` token caches,
    /// after a refresh. The default refuses (`Unsupported`); the chain then
    /// keeps the refreshed credentials and leaves the cache as it was.
    ///
    /// # Errors
    ///
    /// The system's error when the file cannot be written.
    fn write_file(&self, path: &Path, contents: &[u8]) -> std::io::Result<()> {
        let _ = (path, contents);
        Err(std::io::Error::new(
            std::io::ErrorKind::Unsupported,
            "this environment does not write files",
        ))
    }

    /// The home directory, for `~/.aws/...`: `HOME`, then `USERPROFILE`.
    fn home_dir(&self) -> Option<PathBuf> {
        non_empty(self.var("HOME"))
            .or_else(|| non_empty(self.var("USERPROFILE")))
            .map(PathBuf::from)
    }
}

impl<E: Environment + ?Sized> Environment for std::sync::Arc<E> {
    fn var(&self, name: &str) -> Option<String> {
        (**self).var(name)
    }
    fn read_file(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        (**self).read_file(path)
    }
    fn run_process(&self, argv: &[String]) -> Result<Vec<u8>, ProviderError> {
        (**self).run_process(argv)
    }
    fn home_dir(&self) -> Option<PathBuf> {
        (**self).home_dir()
    }
    fn write_file(&self, path: &Path, contents: &[u8]) -> std::io::Result<()> {
        (**self).write_file(path, contents)
    }
}

/// The process's real environment, file system and processes.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemEnvironment;

impl Environment for SystemEnvironment {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
    fn read_file(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        std::fs::read(path)
    }
    fn run_process(&self, argv: &[String]) -> Result<Vec<u8>, ProviderError> {
        process::run(argv)
    }
    fn write_file(&self, path: &Path, contents: &[u8]) -> std::io::Result<()> {
        write_private_file(path, contents)
    }
}

/// Environment variables from a map; files and processes are real.
///
/// `Debug` shows the variables' names, never their values (the map may hold
/// `AWS_SECRET_ACCESS_KEY`).
#[derive(Clone, Default)]
pub struct VarsEnvironment {
    vars: BTreeMap<String, String>,
}

impl std::fmt::Debug for VarsEnvironment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VarsEnvironment")
            .field("vars", &self.vars.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl VarsEnvironment {
    /// The variables to see; every other variable is unset.
    pub fn new(vars: BTreeMap<String, String>) -> Self {
        Self { vars }
    }
}

impl Environment for VarsEnvironment {
    fn var(&self, name: &str) -> Option<String> {
        self.vars.get(name).cloned()
    }
    fn read_file(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        std::fs::read(path)
    }
    fn run_process(&self, argv: &[String]) -> Result<Vec<u8>, ProviderError> {
        process::run(argv)
    }
    fn write_file(&self, path: &Path, contents: &[u8]) -> std::io::Result<()> {
        write_private_file(path, contents)
    }
}

/// Writes a file readable by its owner only (on Unix), through a temporary
/// file in the same directory renamed over the old one, so a reader never
/// sees half a file. Creates the directory if needed.
fn write_private_file(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let result = options
        .open(&temp)
        .and_then(|mut f| f.write_all(contents).and_then(|()| f.sync_all()))
        .and_then(|()| std::fs::rename(&temp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// Header names whose values are secrets in the requests and responses of
/// the flows: signatures, session tokens, IMDS tokens, bearer tokens and
/// proofs of possession.
const SECRET_HEADERS: [&str; 6] = [
    "authorization",
    "x-amz-security-token",
    "x-aws-ec2-metadata-token",
    "x-amz-sso_bearer_token",
    "dpop",
    "cookie",
];

fn debug_headers(headers: &http::HeaderMap) -> Vec<(&str, &str)> {
    headers
        .iter()
        .map(|(name, value)| {
            let shown = if value.is_sensitive() || SECRET_HEADERS.contains(&name.as_str()) {
                "** redacted **"
            } else {
                value.to_str().unwrap_or("(not UTF-8)")
            };
            (name.as_str(), shown)
        })
        .collect()
}

/// A `Debug` view of a flow's request: method, URI and headers, with the
/// values of secret headers masked and the body shown as its length only.
///
/// The bodies of credential requests hold secrets (a web identity token, a
/// refresh token), so they never appear; [`chain::ChainStep`]'s `Debug`
/// prints its request through this view.
pub struct RedactedRequest<'a, B>(pub &'a http::Request<B>);

impl<B: AsRef<[u8]>> std::fmt::Debug for RedactedRequest<'_, B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Request")
            .field("method", self.0.method())
            .field("uri", self.0.uri())
            .field("headers", &debug_headers(self.0.headers()))
            .field(
                "body",
                &format_args!("<{} bytes redacted>", self.0.body().as_ref().len()),
            )
            .finish()
    }
}

/// A `Debug` view of a response to a flow: status and headers, with the
/// values of secret headers masked and the body (which holds credentials or
/// tokens) shown as its length only.
pub struct RedactedResponse<'a, B>(pub &'a http::Response<B>);

impl<B: AsRef<[u8]>> std::fmt::Debug for RedactedResponse<'_, B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.0.status())
            .field("headers", &debug_headers(self.0.headers()))
            .field(
                "body",
                &format_args!("<{} bytes redacted>", self.0.body().as_ref().len()),
            )
            .finish()
    }
}

/// Treats an empty or blank value as unset, as the AWS CLI does for empty
/// values and the AWS SDKs for blank ones; a set value loses the
/// whitespace around it.
pub(crate) fn non_empty(value: Option<String>) -> Option<String> {
    let value = value?;
    let trimmed = value.trim();
    if trimmed.is_empty() {
        None
    } else if trimmed.len() == value.len() {
        Some(value)
    } else {
        Some(trimmed.to_owned())
    }
}

/// A token read from a document or a file: `None` when empty or blank.
pub(crate) fn token_text(token: Option<&str>) -> Option<&str> {
    token.map(str::trim).filter(|t| !t.is_empty())
}

/// Parses an RFC 3339 time (`2015-08-30T12:36:00Z`, fractions and offsets allowed).
pub(crate) fn parse_time(text: &str) -> Option<SystemTime> {
    let text = text.trim();
    // Some AWS CLI versions wrote token expiries as `...T12:36:00UTC`.
    let fixed;
    let text = match text.strip_suffix("UTC") {
        Some(rest) => {
            fixed = format!("{rest}Z");
            fixed.as_str()
        }
        None => text,
    };
    let t =
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()?;
    let secs = u64::try_from(t.unix_timestamp()).ok()?;
    UNIX_EPOCH.checked_add(Duration::from_secs(secs))
}

/// Formats a time as `2015-08-30T12:36:00Z` (UTC, whole seconds), the form
/// the token caches use.
pub(crate) fn format_time(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    match time::OffsetDateTime::from_unix_timestamp(secs) {
        Ok(d) => format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            d.year(),
            u8::from(d.month()),
            d.day(),
            d.hour(),
            d.minute(),
            d.second()
        ),
        Err(_) => "9999-12-31T23:59:59Z".to_owned(),
    }
}

/// Cuts text for an error message to at most 512 bytes.
pub(crate) fn short(text: &str) -> String {
    let mut s = text.trim().to_owned();
    if s.len() > 512 {
        let mut cut = 512;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push('…');
    }
    s
}

/// Builds a request from parts that were validated beforehand.
pub(crate) fn build_request(
    builder: http::request::Builder,
    body: Vec<u8>,
) -> Result<http::Request<Vec<u8>>, ProviderError> {
    builder
        .body(body)
        .map_err(|e| ProviderError::InvalidEndpoint {
            uri: String::new(),
            message: e.to_string(),
        })
}

/// The body of a response as text (lossy), for error messages.
pub(crate) fn body_text(body: &[u8]) -> String {
    short(&String::from_utf8_lossy(body))
}
