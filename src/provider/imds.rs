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
//! one once and goes on. There is no fallback to IMDSv1 (requests without
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

    /// The configuration from the environment and the profile; `Ok(None)`
    /// when `AWS_EC2_METADATA_DISABLED` is `true` (any case).
    ///
    /// # Errors
    ///
    /// - [`ProviderError::InvalidEndpoint`] when the configured endpoint is not a valid URI;
    /// - [`ProviderError::InvalidEnvVar`] or [`ProviderError::InvalidConfig`] when the endpoint mode is neither `IPv4` nor `IPv6`.
    pub fn from_env(
        env: &dyn Environment,
        profile: Option<&Profile>,
    ) -> Result<Option<Self>, ProviderError> {
        if non_empty(env.var("AWS_EC2_METADATA_DISABLED"))
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
        {
            return Ok(None);
        }
        let setting = |var: &str, key: &str| {
            non_empty(env.var(var)).or_else(|| profile.and_then(|p| p.get(key)).map(str::to_owned))
        };
        if let Some(endpoint) = setting(
            "AWS_EC2_METADATA_SERVICE_ENDPOINT",
            "ec2_metadata_service_endpoint",
        ) {
            return Self::new(&endpoint).map(Some);
        }
        let mode = setting(
            "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE",
            "ec2_metadata_service_endpoint_mode",
        );
        match mode.as_deref() {
            None => Self::new(IPV4_ENDPOINT).map(Some),
            Some(m) if m.eq_ignore_ascii_case("ipv4") => Self::new(IPV4_ENDPOINT).map(Some),
            Some(m) if m.eq_ignore_ascii_case("ipv6") => Self::new(IPV6_ENDPOINT).map(Some),
            Some(_) => Err(ProviderError::InvalidEnvVar {
                name: "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE".to_owned(),
                message: "expected IPv4 or IPv6".to_owned(),
            }),
        }
    }
}

fn invalid(uri: &str, message: &str) -> ProviderError {
    ProviderError::InvalidEndpoint {
        uri: super::short(uri),
        message: message.to_owned(),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    Token,
    Role,
    Credentials(String),
    Done,
}

/// The IMDSv2 credentials flow.
#[derive(Debug)]
pub struct ImdsFlow {
    config: ImdsConfig,
    state: State,
    token: Option<(HeaderValue, SystemTime)>,
    pending_token_at: Option<SystemTime>,
    retried: bool,
}

impl ImdsFlow {
    /// A flow that starts by fetching a token.
    pub fn new(config: ImdsConfig) -> Self {
        Self {
            config,
            state: State::Token,
            token: None,
            pending_token_at: None,
            retried: false,
        }
    }

    /// Starts over to fetch fresh credentials, keeping the token while it is valid.
    pub fn restart(&mut self, now: SystemTime) {
        self.retried = false;
        self.state = match &self.token {
            Some((_, until)) if *until > now => State::Role,
            _ => State::Token,
        };
    }

    /// The next request to send.
    ///
    /// # Errors
    ///
    /// [`ProviderError::UnexpectedCall`] when the flow is over or waits for a response.
    pub fn poll_request(
        &mut self,
        now: SystemTime,
    ) -> Result<http::Request<Vec<u8>>, ProviderError> {
        let get = |path: &str, token: &HeaderValue| {
            build_request(
                http::Request::builder()
                    .method(Method::GET)
                    .uri(format!("{}{path}", self.config.endpoint))
                    .header(TOKEN_HEADER, token.clone()),
                Vec::new(),
            )
        };
        match &self.state {
            State::Token => {
                self.pending_token_at = Some(now);
                build_request(
                    http::Request::builder()
                        .method(Method::PUT)
                        .uri(format!("{}{TOKEN_PATH}", self.config.endpoint))
                        .header(
                            TOKEN_TTL_HEADER,
                            self.config.token_ttl.as_secs().to_string(),
                        ),
                    Vec::new(),
                )
            }
            State::Role => {
                let (token, _) = self
                    .token
                    .as_ref()
                    .ok_or(ProviderError::UnexpectedCall("no token"))?;
                get(CREDENTIALS_PATH, token)
            }
            State::Credentials(role) => {
                let (token, _) = self
                    .token
                    .as_ref()
                    .ok_or(ProviderError::UnexpectedCall("no token"))?;
                let path = format!(
                    "{CREDENTIALS_PATH}{}",
                    percent_encoding::utf8_percent_encode(role, percent_encoding::NON_ALPHANUMERIC)
                );
                get(&path, token)
            }
            State::Done => Err(ProviderError::UnexpectedCall("the flow is over")),
        }
    }

    /// Handles the response to the last request.
    ///
    /// # Errors
    ///
    /// - [`ProviderError::Service`] when the instance metadata service answers with an error status (its code and message are kept);
    /// - [`ProviderError::InvalidResponse`] when the body cannot be read as credentials;
    /// - [`ProviderError::UnexpectedCall`] when no request is pending;
    /// - [`ProviderError::NoInstanceRole`] when the instance has no IAM role.
    pub fn handle_response<B: AsRef<[u8]>>(
        &mut self,
        response: &http::Response<B>,
        now: SystemTime,
    ) -> Result<Progress, ProviderError> {
        let status = response.status().as_u16();
        let body = response.body().as_ref();
        match std::mem::replace(&mut self.state, State::Done) {
            State::Token => {
                if status != 200 {
                    return Err(http_error(status, body));
                }
                let text = std::str::from_utf8(body)
                    .map_err(|_| bad("the token is not UTF-8"))?
                    .trim();
                let mut value = HeaderValue::from_str(text)
                    .map_err(|_| bad("the token is not a valid header value"))?;
                if text.is_empty() {
                    return Err(bad("the token is empty"));
                }
                value.set_sensitive(true);
                let from = self.pending_token_at.unwrap_or(now);
                self.token = Some((value, from + self.config.token_ttl));
                self.state = State::Role;
                Ok(Progress::Continue)
            }
            State::Role => match status {
                200 => {
                    let text =
                        std::str::from_utf8(body).map_err(|_| bad("the role name is not UTF-8"))?;
                    let role = text
                        .lines()
                        .map(str::trim)
                        .find(|l| !l.is_empty())
                        .ok_or(ProviderError::NoInstanceRole)?;
                    self.state = State::Credentials(role.to_owned());
                    Ok(Progress::Continue)
                }
                404 => Err(ProviderError::NoInstanceRole),
                401 => self.retry_token(status, body),
                _ => Err(http_error(status, body)),
            },
            State::Credentials(_) => match status {
                200 => {
                    let creds = parse_imds_credentials(body)?;
                    Ok(Progress::Done(creds))
                }
                401 => self.retry_token(status, body),
                _ => Err(http_error(status, body)),
            },
            State::Done => Err(ProviderError::UnexpectedCall("the flow is over")),
        }
    }

    fn retry_token(&mut self, status: u16, body: &[u8]) -> Result<Progress, ProviderError> {
        if self.retried {
            return Err(http_error(status, body));
        }
        self.retried = true;
        self.token = None;
        // After the new token, the flow lists the role again.
        self.state = State::Token;
        Ok(Progress::Continue)
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
    if let Some(code) = json::opt_str(&map, "Code", S)? {
        if code != "Success" {
            let message = json::opt_str(&map, "Message", S)?.unwrap_or("").to_owned();
            return Err(ProviderError::Service {
                service: S,
                status: 200,
                code: code.to_owned(),
                message,
            });
        }
    }
    let key = json::req_str(&map, "AccessKeyId", S)?;
    let secret = json::req_str(&map, "SecretAccessKey", S)?;
    let token = json::req_str(&map, "Token", S)?;
    let expiration = json::req_str(&map, "Expiration", S)?;
    let expiry =
        super::parse_time(expiration).ok_or_else(|| bad("Expiration is not an RFC 3339 time"))?;
    Ok(Credentials::build(key, secret, Some(token), Some(expiry))?)
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
    fn ipv6_uri_is_well_formed() {
        let mut flow = ImdsFlow::new(ImdsConfig::new(IPV6_ENDPOINT).unwrap());
        let r = flow.poll_request(UNIX_EPOCH).unwrap();
        assert_eq!(r.uri().host(), Some("[fd00:ec2::254]"));
    }
}
