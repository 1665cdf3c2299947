//! The EC2 instance metadata service, version 2 (session tokens), as a
//! sans-IO flow:
//!
//! 1. `PUT /latest/api/token` with `x-aws-ec2-metadata-token-ttl-seconds`;
//!    the body is the token.
//! 2. `GET /latest/meta-data/iam/security-credentials/` with
//!    `x-aws-ec2-metadata-token`; the body names the role.
//! 3. `GET /latest/meta-data/iam/security-credentials/<role>`; the body is
//!    a JSON document with `AccessKeyId`, `SecretAccessKey`, `Token`,
//!    `Expiration` (and `Code`, which must be `Success` when present).
//!
//! A `401` on step 2 or 3 means the token expired: the flow fetches a new
//! one once and goes on. Other failures are errors; retrying a `5xx` is the
//! caller's (the [`driver`](crate::driver) does, within its budget). There is no fallback to IMDSv1 (requests without
//! a token): a failed token request is an error.
//!
//! Configuration: `AWS_EC2_METADATA_DISABLED=true` turns the source off;
//! `AWS_EC2_METADATA_SERVICE_ENDPOINT` (or the profile's
//! `ec2_metadata_service_endpoint`) replaces the endpoint;
//! `AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE` (or
//! `ec2_metadata_service_endpoint_mode`) `IPv6` selects
//! `http://[fd00:ec2::254]` instead of `http://169.254.169.254`.

use std::time::{Duration, SystemTime};

use http::{HeaderValue, Method, Uri};

use super::profile::Profile;
use super::{Environment, Progress, ProviderError, body_text, build_request, json, non_empty};
use crate::Credentials;

/// The IPv4 endpoint.
pub const IPV4_ENDPOINT: &str = "http://169.254.169.254";
/// The IPv6 endpoint.
pub const IPV6_ENDPOINT: &str = "http://[fd00:ec2::254]";
/// The token request's TTL header.
pub const TOKEN_TTL_HEADER: &str = "x-aws-ec2-metadata-token-ttl-seconds";
/// The header carrying the token.
pub const TOKEN_HEADER: &str = "x-aws-ec2-metadata-token";
/// The token path.
pub const TOKEN_PATH: &str = "/latest/api/token";
/// The role listing path.
pub const CREDENTIALS_PATH: &str = "/latest/meta-data/iam/security-credentials/";
/// The token lifetime asked for (6 hours, the most IMDS grants).
pub const DEFAULT_TOKEN_TTL: Duration = Duration::from_secs(21_600);

const S: &str = "imds";

/// Where the metadata service is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImdsConfig {
    endpoint: String,
    token_ttl: Duration,
}

impl ImdsConfig {
    /// The service at `endpoint` (scheme, host and optional port).
    ///
    /// # Errors
    ///
    /// [`ProviderError::InvalidEndpoint`] when the endpoint is not an absolute `http` or `https` URI.
    pub fn new(endpoint: &str) -> Result<Self, ProviderError> {
        let endpoint = endpoint.trim_end_matches('/').to_owned();
        let uri: Uri = format!("{endpoint}{TOKEN_PATH}")
            .parse()
            .map_err(|_| invalid(&endpoint, "it is not an absolute http(s) URI"))?;
        if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.host().is_none() {
            return Err(invalid(&endpoint, "it is not an absolute http(s) URI"));
        }
        Ok(Self {
            endpoint,
            token_ttl: DEFAULT_TOKEN_TTL,
        })
    }

    /// Replaces the token lifetime asked for (1 s to 6 h).
    pub fn with_token_ttl(mut self, ttl: Duration) -> Self {
        self.token_ttl = ttl.clamp(Duration::from_secs(1), DEFAULT_TOKEN_TTL);
        self
    }

    /// The endpoint.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The token request's URI: `<endpoint>/latest/api/token`.
    pub fn token_uri(&self) -> String {
        format!("{}{TOKEN_PATH}", self.endpoint)
    }

    /// The configuration from the environment and the profile; `Ok(None)`
    /// when `AWS_EC2_METADATA_DISABLED` is `true` (any case).
    ///
    /// # Errors
    ///
    /// An endpoint that is not an absolute http(s) URI, or an endpoint mode
    /// other than `IPv4` and `IPv6`.
    pub fn from_env(
        env: &dyn Environment,
        profile: Option<&Profile>,
    ) -> Result<Option<Self>, ProviderError> {
        Self::resolve(env, profile, &ImdsOverrides::default())
    }

    /// As [`ImdsConfig::from_env`], with settings given in code. The
    /// endpoint is, first found: the override, then
    /// `AWS_EC2_METADATA_SERVICE_ENDPOINT`, the profile's
    /// `ec2_metadata_service_endpoint`; else the endpoint of the mode:
    /// the override, `AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE`, the
    /// profile's `ec2_metadata_service_endpoint_mode`, else IPv4.
    ///
    /// # Errors
    ///
    /// An endpoint that is not an absolute http(s) URI, or an endpoint mode
    /// other than `IPv4` and `IPv6` (any case).
    pub fn resolve(
        env: &dyn Environment,
        profile: Option<&Profile>,
        overrides: &ImdsOverrides,
    ) -> Result<Option<Self>, ProviderError> {
        if disabled(env) {
            return Ok(None);
        }
        if let Some(endpoint) = &overrides.endpoint {
            return Self::new(endpoint).map(Some);
        }
        let from_profile = |key: &str| {
            profile
                .and_then(|p| p.get(key))
                .and_then(|v| non_empty(Some(v.to_owned())))
        };
        if let Some(endpoint) = non_empty(env.var("AWS_EC2_METADATA_SERVICE_ENDPOINT"))
            .or_else(|| from_profile("ec2_metadata_service_endpoint"))
        {
            return Self::new(&endpoint).map(Some);
        }
        let mode = match overrides.mode {
            Some(mode) => mode,
            None => match non_empty(env.var("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE")) {
                Some(text) => {
                    EndpointMode::parse(&text).ok_or_else(|| ProviderError::InvalidEnvVar {
                        name: "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE".to_owned(),
                        message: bad_mode(&text),
                    })?
                }
                None => match from_profile("ec2_metadata_service_endpoint_mode") {
                    Some(text) => {
                        EndpointMode::parse(&text).ok_or_else(|| ProviderError::InvalidEnvVar {
                            name: "the profile's ec2_metadata_service_endpoint_mode".to_owned(),
                            message: bad_mode(&text),
                        })?
                    }
                    None => EndpointMode::IPv4,
                },
            },
        };
        Self::new(mode.endpoint()).map(Some)
    }
}

/// Whether `AWS_EC2_METADATA_DISABLED` is `true` (any case).
pub fn disabled(env: &dyn Environment) -> bool {
    non_empty(env.var("AWS_EC2_METADATA_DISABLED")).is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

fn bad_mode(text: &str) -> String {
    format!(
        "`{}` is not a valid endpoint mode (expected IPv4 or IPv6)",
        super::short(text)
    )
}

/// Which address the metadata service is reached at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointMode {
    /// `http://169.254.169.254`.
    IPv4,
    /// `http://[fd00:ec2::254]`.
    IPv6,
}

impl EndpointMode {
    /// `IPv4` or `IPv6`, in any case.
    pub fn parse(text: &str) -> Option<Self> {
        if text.eq_ignore_ascii_case("ipv4") {
            Some(EndpointMode::IPv4)
        } else if text.eq_ignore_ascii_case("ipv6") {
            Some(EndpointMode::IPv6)
        } else {
            None
        }
    }

    /// The mode's endpoint.
    pub fn endpoint(self) -> &'static str {
        match self {
            EndpointMode::IPv4 => IPV4_ENDPOINT,
            EndpointMode::IPv6 => IPV6_ENDPOINT,
        }
    }
}

/// Settings given in code, which win over the environment's and the
/// profile's (see [`ImdsConfig::resolve`] for the order).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImdsOverrides {
    /// The endpoint (scheme, host and optional port).
    pub endpoint: Option<String>,
    /// The endpoint mode.
    pub mode: Option<EndpointMode>,
}

fn invalid(uri: &str, message: &str) -> ProviderError {
    ProviderError::InvalidEndpoint {
        uri: super::short(uri),
        message: message.to_owned(),
    }
}

/// Characters of a role name sent as they are: RFC 3986 unreserved, and the
/// other characters IAM allows in role names (`+=,.@-_`), none of which
/// has a meaning in a path segment.
const ROLE_NAME: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'+')
    .remove(b'=')
    .remove(b',')
    .remove(b'@');

/// The region path.
pub const REGION_PATH: &str = "/latest/meta-data/placement/region";

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    Token,
    Role,
    Credentials(String),
    Region,
    Done,
}

/// What a flow reads once it holds a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Credentials,
    Region,
}

/// A session token and when it stops working.
#[derive(Debug, Clone)]
pub struct ImdsToken {
    value: HeaderValue,
    until: SystemTime,
}

/// The IMDSv2 steps shared by the credentials and the region flows: the
/// token and `401` renewals.
#[derive(Debug)]
struct Session {
    config: ImdsConfig,
    target: Target,
    state: State,
    token: Option<ImdsToken>,
    pending_token_at: Option<SystemTime>,
    renewed: bool,
}

/// What one answer means for a session.
enum Step {
    Continue,
    Body(Vec<u8>),
}

impl Session {
    fn new(config: ImdsConfig, target: Target, token: Option<ImdsToken>, now: SystemTime) -> Self {
        let mut session = Self {
            config,
            target,
            state: State::Token,
            token,
            pending_token_at: None,
            renewed: false,
        };
        session.restart(now);
        session
    }

    fn first_read(&self) -> State {
        match self.target {
            Target::Credentials => State::Role,
            Target::Region => State::Region,
        }
    }

    fn restart(&mut self, now: SystemTime) {
        self.renewed = false;
        self.state = match &self.token {
            Some(t) if t.until > now => self.first_read(),
            _ => State::Token,
        };
    }

    fn poll_request(&mut self, now: SystemTime) -> Result<http::Request<Vec<u8>>, ProviderError> {
        let get = |path: &str, token: &Option<ImdsToken>| {
            let token = token
                .as_ref()
                .ok_or(ProviderError::UnexpectedCall("no token"))?;
            build_request(
                http::Request::builder()
                    .method(Method::GET)
                    .uri(format!("{}{path}", self.config.endpoint))
                    .header(TOKEN_HEADER, token.value.clone()),
                Vec::new(),
            )
        };
        match &self.state {
            State::Token => {
                self.pending_token_at = Some(now);
                build_request(
                    http::Request::builder()
                        .method(Method::PUT)
                        .uri(self.config.token_uri())
                        .header(
                            TOKEN_TTL_HEADER,
                            self.config.token_ttl.as_secs().to_string(),
                        ),
                    Vec::new(),
                )
            }
            State::Role => get(CREDENTIALS_PATH, &self.token),
            State::Credentials(role) => {
                let path = format!(
                    "{CREDENTIALS_PATH}{}",
                    percent_encoding::utf8_percent_encode(role, ROLE_NAME)
                );
                get(&path, &self.token)
            }
            State::Region => get(REGION_PATH, &self.token),
            State::Done => Err(ProviderError::UnexpectedCall("the flow is over")),
        }
    }

    /// Handles an answer; `Body` when a read step (the role, the
    /// credentials, the region) succeeded, with the state left on it.
    fn handle(&mut self, status: u16, body: &[u8], now: SystemTime) -> Result<Step, ProviderError> {
        if self.state == State::Done {
            return Err(ProviderError::UnexpectedCall("the flow is over"));
        }
        if self.state == State::Token {
            if status != 200 {
                self.state = State::Done;
                return Err(http_error(status, body));
            }
            let text = std::str::from_utf8(body)
                .map_err(|_| bad("the token is not UTF-8"))?
                .trim();
            if text.is_empty() {
                return Err(bad("the token is empty"));
            }
            let mut value = HeaderValue::from_str(text)
                .map_err(|_| bad("the token is not a valid header value"))?;
            value.set_sensitive(true);
            let from = self.pending_token_at.unwrap_or(now);
            self.token = Some(ImdsToken {
                value,
                until: from + self.config.token_ttl,
            });
            self.state = self.first_read();
            return Ok(Step::Continue);
        }
        match status {
            200 => Ok(Step::Body(body.to_vec())),
            401 if !self.renewed => {
                // The token expired: fetch a new one once, then read again
                // from the first step.
                self.renewed = true;
                self.token = None;
                self.state = State::Token;
                Ok(Step::Continue)
            }
            404 if self.state == State::Role => {
                self.state = State::Done;
                Err(ProviderError::NoInstanceRole)
            }
            _ => {
                self.state = State::Done;
                Err(http_error(status, body))
            }
        }
    }
}

/// The IMDSv2 credentials flow.
#[derive(Debug)]
pub struct ImdsFlow {
    session: Session,
}

impl ImdsFlow {
    /// A flow that starts by fetching a token.
    pub fn new(config: ImdsConfig) -> Self {
        Self {
            session: Session::new(config, Target::Credentials, None, SystemTime::UNIX_EPOCH),
        }
    }

    /// Starts over to fetch fresh credentials, keeping the token while it is valid.
    pub fn restart(&mut self, now: SystemTime) {
        self.session.restart(now);
    }

    /// The session token, once fetched: hand it to an [`ImdsRegionFlow`] to
    /// spare it a request.
    pub fn token(&self) -> Option<&ImdsToken> {
        self.session.token.as_ref()
    }

    /// The next request to send.
    ///
    /// # Errors
    ///
    /// [`ProviderError::UnexpectedCall`] once the flow is over.
    pub fn poll_request(
        &mut self,
        now: SystemTime,
    ) -> Result<http::Request<Vec<u8>>, ProviderError> {
        self.session.poll_request(now)
    }

    /// Handles the response to the last request. A `401` fetches a new
    /// token once. A `5xx` answer is an error: sending a request again is
    /// the caller's choice (the [`driver`](crate::driver) retries `5xx` and
    /// `429` answers within its budget before handing them over).
    ///
    /// # Errors
    ///
    /// [`ProviderError::Service`] for a failed request,
    /// [`ProviderError::NoInstanceRole`] when the instance has no role,
    /// [`ProviderError::InvalidResponse`] for an unreadable answer.
    pub fn handle_response<B: AsRef<[u8]>>(
        &mut self,
        response: &http::Response<B>,
        now: SystemTime,
    ) -> Result<Progress, ProviderError> {
        let body = response.body().as_ref();
        let Step::Body(body) = self.session.handle(response.status().as_u16(), body, now)? else {
            return Ok(Progress::Continue);
        };
        match std::mem::replace(&mut self.session.state, State::Done) {
            State::Role => {
                let text =
                    std::str::from_utf8(&body).map_err(|_| bad("the role name is not UTF-8"))?;
                let role = text
                    .lines()
                    .map(str::trim)
                    .find(|l| !l.is_empty())
                    .ok_or(ProviderError::NoInstanceRole)?;
                self.session.state = State::Credentials(role.to_owned());
                Ok(Progress::Continue)
            }
            State::Credentials(_) => parse_imds_credentials(&body).map(Progress::Done),
            _ => Err(ProviderError::UnexpectedCall("no request is pending")),
        }
    }
}

/// The region of the instance, from `GET /latest/meta-data/placement/region`
/// after an IMDSv2 token (reused when given): the last source of the
/// region, as the AWS SDKs have it on EC2.
#[derive(Debug)]
pub struct ImdsRegionFlow {
    session: Session,
}

impl ImdsRegionFlow {
    /// A flow that starts by fetching a token, unless `token` is given and
    /// still valid at `now`.
    pub fn new(config: ImdsConfig, token: Option<ImdsToken>, now: SystemTime) -> Self {
        Self {
            session: Session::new(config, Target::Region, token, now),
        }
    }

    /// The next request to send.
    ///
    /// # Errors
    ///
    /// [`ProviderError::UnexpectedCall`] once the flow is over.
    pub fn poll_request(
        &mut self,
        now: SystemTime,
    ) -> Result<http::Request<Vec<u8>>, ProviderError> {
        self.session.poll_request(now)
    }

    /// Handles the response to the last request; `Done` with the region
    /// name (for example `us-east-1`).
    ///
    /// # Errors
    ///
    /// [`ProviderError::Service`] for a failed request,
    /// [`ProviderError::InvalidResponse`] for a body that is not a region
    /// name.
    pub fn handle_response<B: AsRef<[u8]>>(
        &mut self,
        response: &http::Response<B>,
        now: SystemTime,
    ) -> Result<Progress<String>, ProviderError> {
        let body = response.body().as_ref();
        let Step::Body(body) = self.session.handle(response.status().as_u16(), body, now)? else {
            return Ok(Progress::Continue);
        };
        self.session.state = State::Done;
        let region = std::str::from_utf8(&body)
            .map_err(|_| bad("the region is not UTF-8"))?
            .trim();
        let valid = !region.is_empty()
            && region.len() <= 64
            && region
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !valid {
            return Err(bad("the region is not a region name"));
        }
        Ok(Progress::Done(region.to_owned()))
    }
}

fn bad(message: &str) -> ProviderError {
    ProviderError::InvalidResponse {
        service: S,
        message: message.to_owned(),
    }
}

fn http_error(status: u16, body: &[u8]) -> ProviderError {
    ProviderError::Service {
        service: S,
        status,
        code: http::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("error")
            .to_owned(),
        message: body_text(body),
    }
}

/// Parses the IMDS credentials document. Never panics.
///
/// # Errors
///
/// [`ProviderError::InvalidResponse`] when the body is not the JSON credentials document or a field is missing or invalid.
pub fn parse_imds_credentials(body: &[u8]) -> Result<Credentials, ProviderError> {
    let map = json::object(body, S)?;
    if let Some(code) = json::opt_str(&map, "Code", S)?
        && code != "Success"
    {
        let message = json::opt_str(&map, "Message", S)?.unwrap_or("").to_owned();
        return Err(ProviderError::Service {
            service: S,
            status: 200,
            code: code.to_owned(),
            message,
        });
    }
    let key = json::req_str(&map, "AccessKeyId", S)?;
    let secret = json::req_str(&map, "SecretAccessKey", S)?;
    let token = json::req_str(&map, "Token", S)?;
    let expiration = json::req_str(&map, "Expiration", S)?;
    let expiry =
        super::parse_time(expiration).ok_or_else(|| bad("Expiration is not an RFC 3339 time"))?;
    let account = json::opt_str(&map, "AccountId", S)?;
    Ok(Credentials::build(key, secret, Some(token), Some(expiry))?.with_account_id(account))
}

#[cfg(test)]
mod tests {
    use std::time::UNIX_EPOCH;

    use super::*;
    use crate::provider::env::tests::FakeEnv;

    fn resp(status: u16, body: &str) -> http::Response<Vec<u8>> {
        http::Response::builder()
            .status(status)
            .body(body.as_bytes().to_vec())
            .unwrap()
    }

    // The credentials document shown in the EC2 user guide's "Retrieve
    // security credentials from instance metadata".
    const DOC: &str = r#"{
  "Code" : "Success",
  "LastUpdated" : "2012-04-26T16:39:16Z",
  "Type" : "AWS-HMAC",
  "AccessKeyId" : "ASIAIOSFODNN7EXAMPLE",
  "SecretAccessKey" : "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
  "Token" : "token",
  "Expiration" : "2017-05-17T15:09:54Z"
}"#;

    #[test]
    fn drives_token_role_credentials() {
        let now = UNIX_EPOCH + Duration::from_secs(1_000);
        let mut flow = ImdsFlow::new(ImdsConfig::new(IPV4_ENDPOINT).unwrap());
        let r = flow.poll_request(now).unwrap();
        assert_eq!(r.method(), Method::PUT);
        assert_eq!(r.uri(), "http://169.254.169.254/latest/api/token");
        assert_eq!(r.headers()[TOKEN_TTL_HEADER], "21600");
        assert_eq!(
            flow.handle_response(&resp(200, "AQAEAtoken=="), now)
                .unwrap(),
            Progress::Continue
        );
        let r = flow.poll_request(now).unwrap();
        assert_eq!(r.method(), Method::GET);
        assert_eq!(
            r.uri(),
            "http://169.254.169.254/latest/meta-data/iam/security-credentials/"
        );
        assert_eq!(r.headers()[TOKEN_HEADER], "AQAEAtoken==");
        assert_eq!(
            flow.handle_response(&resp(200, "s3access\n"), now).unwrap(),
            Progress::Continue
        );
        let r = flow.poll_request(now).unwrap();
        assert_eq!(
            r.uri(),
            "http://169.254.169.254/latest/meta-data/iam/security-credentials/s3access"
        );
        let Progress::Done(c) = flow.handle_response(&resp(200, DOC), now).unwrap() else {
            panic!("not done")
        };
        assert_eq!(c.access_key_id(), "ASIAIOSFODNN7EXAMPLE");
        assert_eq!(c.session_token(), Some("token"));
        assert_eq!(
            c.expiry(),
            Some(UNIX_EPOCH + Duration::from_secs(1_495_033_794))
        );
        assert!(flow.poll_request(now).is_err());
    }

    #[test]
    fn a_401_fetches_a_new_token_once() {
        let now = UNIX_EPOCH;
        let mut flow = ImdsFlow::new(ImdsConfig::new(IPV4_ENDPOINT).unwrap());
        flow.poll_request(now).unwrap();
        flow.handle_response(&resp(200, "t1"), now).unwrap();
        flow.poll_request(now).unwrap();
        assert_eq!(
            flow.handle_response(&resp(401, ""), now).unwrap(),
            Progress::Continue
        );
        assert_eq!(flow.poll_request(now).unwrap().method(), Method::PUT);
        flow.handle_response(&resp(200, "t2"), now).unwrap();
        let r = flow.poll_request(now).unwrap();
        assert_eq!(r.headers()[TOKEN_HEADER], "t2");
        assert!(matches!(
            flow.handle_response(&resp(401, ""), now),
            Err(ProviderError::Service { status: 401, .. })
        ));
    }

    #[test]
    fn restart_reuses_a_valid_token() {
        let now = UNIX_EPOCH;
        let mut flow = ImdsFlow::new(ImdsConfig::new(IPV4_ENDPOINT).unwrap());
        flow.poll_request(now).unwrap();
        flow.handle_response(&resp(200, "t1"), now).unwrap();
        flow.restart(now + Duration::from_secs(60));
        assert_eq!(flow.poll_request(now).unwrap().method(), Method::GET);
        flow.restart(now + DEFAULT_TOKEN_TTL);
        assert_eq!(flow.poll_request(now).unwrap().method(), Method::PUT);
    }

    #[test]
    fn no_role_and_errors() {
        let now = UNIX_EPOCH;
        let mut flow = ImdsFlow::new(ImdsConfig::new(IPV4_ENDPOINT).unwrap());
        flow.poll_request(now).unwrap();
        flow.handle_response(&resp(200, "t"), now).unwrap();
        flow.poll_request(now).unwrap();
        assert_eq!(
            flow.handle_response(&resp(404, ""), now),
            Err(ProviderError::NoInstanceRole)
        );
        let mut flow = ImdsFlow::new(ImdsConfig::new(IPV4_ENDPOINT).unwrap());
        flow.poll_request(now).unwrap();
        assert!(matches!(
            flow.handle_response(&resp(403, "forbidden"), now),
            Err(ProviderError::Service { status: 403, .. })
        ));
    }

    #[test]
    fn failed_code_keeps_code_and_message() {
        let doc = r#"{"Code":"AssumeRoleUnauthorizedAccess","Message":"EC2 cannot assume the role","LastUpdated":"2012-04-26T16:39:16Z"}"#;
        match parse_imds_credentials(doc.as_bytes()) {
            Err(ProviderError::Service { code, message, .. }) => {
                assert_eq!(code, "AssumeRoleUnauthorizedAccess");
                assert_eq!(message, "EC2 cannot assume the role");
            }
            other => panic!("{other:?}"),
        }
        assert!(parse_imds_credentials(b"{}").is_err());
        assert!(parse_imds_credentials(b"<html>").is_err());
    }

    #[test]
    fn configuration_from_environment() {
        let cfg = |vars: &[(&str, &str)]| ImdsConfig::from_env(&FakeEnv::with(vars), None);
        assert_eq!(
            cfg(&[]).unwrap().unwrap().endpoint(),
            "http://169.254.169.254"
        );
        assert_eq!(
            cfg(&[("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "IPv6")])
                .unwrap()
                .unwrap()
                .endpoint(),
            "http://[fd00:ec2::254]"
        );
        assert_eq!(
            cfg(&[(
                "AWS_EC2_METADATA_SERVICE_ENDPOINT",
                "http://127.0.0.1:1338/"
            )])
            .unwrap()
            .unwrap()
            .endpoint(),
            "http://127.0.0.1:1338"
        );
        assert_eq!(cfg(&[("AWS_EC2_METADATA_DISABLED", "TRUE")]).unwrap(), None);
        assert!(
            cfg(&[("AWS_EC2_METADATA_DISABLED", "false")])
                .unwrap()
                .is_some()
        );
        assert!(cfg(&[("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "IPv5")]).is_err());
        assert!(cfg(&[("AWS_EC2_METADATA_SERVICE_ENDPOINT", "not a uri")]).is_err());
        let set = crate::provider::profile::ProfileSet::parse(
            Some("[default]\nec2_metadata_service_endpoint_mode = IPv6\n"),
            None,
        )
        .unwrap();
        let c = ImdsConfig::from_env(&FakeEnv::default(), set.get("default"))
            .unwrap()
            .unwrap();
        assert_eq!(c.endpoint(), IPV6_ENDPOINT);
    }

    #[test]
    fn role_names_keep_their_iam_characters() {
        let now = UNIX_EPOCH;
        let mut flow = ImdsFlow::new(ImdsConfig::new(IPV4_ENDPOINT).unwrap());
        flow.poll_request(now).unwrap();
        flow.handle_response(&resp(200, "t"), now).unwrap();
        flow.poll_request(now).unwrap();
        flow.handle_response(&resp(200, "my-role_1.a+b=c,d@e\n"), now)
            .unwrap();
        assert_eq!(
            flow.poll_request(now).unwrap().uri().path(),
            "/latest/meta-data/iam/security-credentials/my-role_1.a+b=c,d@e"
        );
    }

    #[test]
    fn a_5xx_is_an_error_for_the_caller_to_retry() {
        let now = UNIX_EPOCH;
        let mut flow = ImdsFlow::new(ImdsConfig::new(IPV4_ENDPOINT).unwrap());
        flow.poll_request(now).unwrap();
        flow.handle_response(&resp(200, "t"), now).unwrap();
        flow.poll_request(now).unwrap();
        assert!(matches!(
            flow.handle_response(&resp(503, "down"), now),
            Err(ProviderError::Service { status: 503, .. })
        ));
        assert!(flow.poll_request(now).is_err());
    }

    #[test]
    fn region_flow_reads_the_placement_region() {
        let now = UNIX_EPOCH;
        let mut flow = ImdsRegionFlow::new(ImdsConfig::new(IPV4_ENDPOINT).unwrap(), None, now);
        assert_eq!(
            flow.poll_request(now).unwrap().uri(),
            "http://169.254.169.254/latest/api/token"
        );
        flow.handle_response(&resp(200, "tok"), now).unwrap();
        let r = flow.poll_request(now).unwrap();
        assert_eq!(
            r.uri(),
            "http://169.254.169.254/latest/meta-data/placement/region"
        );
        assert_eq!(r.headers()[TOKEN_HEADER], "tok");
        assert_eq!(
            flow.handle_response(&resp(200, "eu-central-1\n"), now)
                .unwrap(),
            Progress::Done("eu-central-1".to_owned())
        );
        // A token from the credentials flow spares the token request.
        let mut creds = ImdsFlow::new(ImdsConfig::new(IPV4_ENDPOINT).unwrap());
        creds.poll_request(now).unwrap();
        creds.handle_response(&resp(200, "shared"), now).unwrap();
        let mut flow = ImdsRegionFlow::new(
            ImdsConfig::new(IPV4_ENDPOINT).unwrap(),
            creds.token().cloned(),
            now,
        );
        let r = flow.poll_request(now).unwrap();
        assert_eq!(r.uri().path(), REGION_PATH);
        assert_eq!(r.headers()[TOKEN_HEADER], "shared");
        assert!(matches!(
            flow.handle_response(&resp(200, "<html>"), now),
            Err(ProviderError::InvalidResponse { .. })
        ));
    }

    #[test]
    fn ipv6_uri_is_well_formed() {
        let mut flow = ImdsFlow::new(ImdsConfig::new(IPV6_ENDPOINT).unwrap());
        let r = flow.poll_request(UNIX_EPOCH).unwrap();
        assert_eq!(r.uri().host(), Some("[fd00:ec2::254]"));
    }
}
