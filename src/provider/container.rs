//! Container credentials (Amazon ECS task roles, EKS Pod Identity) as a
//! sans-IO flow: one `GET`, answered by a JSON document with
//! `AccessKeyId`, `SecretAccessKey`, `Token` and `Expiration`.
//!
//! Configuration:
//!
//! - `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`: a path on
//!   `http://169.254.170.2` (ECS). Sent without an authorization header.
//! - otherwise `AWS_CONTAINER_CREDENTIALS_FULL_URI`: any `https` URI, or an
//!   `http` URI whose host is a loopback address (`127.0.0.0/8`, `::1`,
//!   `localhost`) or one of the container hosts `169.254.170.2` (ECS),
//!   `169.254.170.23` and `fd00:ec2::23` (EKS Pod Identity). With it, the
//!   `Authorization` header is the contents of the file named by
//!   `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE`, else the value of
//!   `AWS_CONTAINER_AUTHORIZATION_TOKEN` (the file wins, as in the AWS CLI).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;
use std::time::SystemTime;

use http::{HeaderValue, Method, Uri};

use super::{
    Environment, Progress, ProviderError, body_text, build_request, json, non_empty, short,
};
use crate::Credentials;

/// The ECS credentials host.
pub const ECS_HOST: &str = "169.254.170.2";
/// The relative URI variable.
pub const RELATIVE_URI: &str = "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI";
/// The full URI variable.
pub const FULL_URI: &str = "AWS_CONTAINER_CREDENTIALS_FULL_URI";
/// The authorization token variable.
pub const AUTH_TOKEN: &str = "AWS_CONTAINER_AUTHORIZATION_TOKEN";
/// The authorization token file variable.
pub const AUTH_TOKEN_FILE: &str = "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE";

const S: &str = "container";

/// Where to ask and with which token.
#[derive(Clone, PartialEq, Eq)]
pub struct ContainerConfig {
    uri: Uri,
    authorization: Option<HeaderValue>,
}

impl std::fmt::Debug for ContainerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContainerConfig")
            .field("uri", &self.uri)
            .field(
                "authorization",
                &self.authorization.as_ref().map(|_| "** redacted **"),
            )
            .finish()
    }
}

impl ContainerConfig {
    /// A relative URI on the ECS host.
    ///
    /// # Errors
    ///
    /// [`ProviderError::InvalidEndpoint`] when the path does not make a valid URI with the ECS host.
    pub fn relative(path: &str) -> Result<Self, ProviderError> {
        let text = format!("http://{ECS_HOST}{path}");
        let uri: Uri = text
            .parse()
            .map_err(|_| invalid(&text, "it is not a valid URI"))?;
        Ok(Self {
            uri,
            authorization: None,
        })
    }

    /// A full URI, checked against the allowed hosts, with an optional token.
    ///
    /// # Errors
    ///
    /// - [`ProviderError::InvalidEndpoint`] when the URI is malformed, or is plain HTTP to a host other than loopback or the ECS and EKS link-local addresses;
    /// - [`ProviderError::InvalidEnvVar`] when the authorization token cannot be a header value.
    pub fn full(uri: &str, authorization: Option<&str>) -> Result<Self, ProviderError> {
        let parsed: Uri = uri
            .parse()
            .map_err(|_| invalid(uri, "it is not a valid URI"))?;
        let host = parsed
            .host()
            .ok_or_else(|| invalid(uri, "it has no host"))?;
        match parsed.scheme_str() {
            Some("https") => {}
            Some("http") if allowed_http_host(host) => {}
            Some("http") => {
                return Err(invalid(
                    uri,
                    "over http the host must be a loopback address, 169.254.170.2, 169.254.170.23 or fd00:ec2::23",
                ));
            }
            _ => return Err(invalid(uri, "the scheme must be http or https")),
        }
        let authorization = match authorization {
            None => None,
            Some(token) => {
                let mut v = HeaderValue::from_str(token.trim_end_matches(['\r', '\n']))
                    .ok()
                    .filter(|v| !v.as_bytes().iter().any(|&b| b == b'\r' || b == b'\n'))
                    .ok_or_else(|| ProviderError::InvalidEnvVar {
                        name: AUTH_TOKEN.to_owned(),
                        message: "the token is not a valid header value".to_owned(),
                    })?;
                v.set_sensitive(true);
                Some(v)
            }
        };
        Ok(Self {
            uri: parsed,
            authorization,
        })
    }

    /// The configuration from the environment; `Ok(None)` when neither URI
    /// variable is set. Reads the token file through `env`.
    ///
    /// # Errors
    ///
    /// - [`ProviderError::InvalidEndpoint`] or [`ProviderError::InvalidEnvVar`] when the variables name an endpoint that is not allowed or a token that cannot be sent;
    /// - [`ProviderError::Io`] when the authorization token file cannot be read.
    pub fn from_env(env: &dyn Environment) -> Result<Option<Self>, ProviderError> {
        if let Some(rel) = non_empty(env.var(RELATIVE_URI)) {
            return Self::relative(&rel).map(Some);
        }
        let Some(full) = non_empty(env.var(FULL_URI)) else {
            return Ok(None);
        };
        let token = match non_empty(env.var(AUTH_TOKEN_FILE)) {
            Some(path) => {
                let bytes = env
                    .read_file(Path::new(&path))
                    .map_err(|e| ProviderError::Io {
                        path: path.clone(),
                        message: e.to_string(),
                    })?;
                Some(
                    String::from_utf8(bytes).map_err(|_| ProviderError::InvalidEnvVar {
                        name: AUTH_TOKEN_FILE.to_owned(),
                        message: "the token file is not UTF-8".to_owned(),
                    })?,
                )
            }
            None => non_empty(env.var(AUTH_TOKEN)),
        };
        Self::full(&full, token.as_deref()).map(Some)
    }

    /// The URI asked.
    pub fn uri(&self) -> &Uri {
        &self.uri
    }
}

fn invalid(uri: &str, message: &str) -> ProviderError {
    ProviderError::InvalidEndpoint {
        uri: short(uri),
        message: message.to_owned(),
    }
}

/// Whether an `http` URI may use this host (as `Uri::host` returns it).
pub fn allowed_http_host(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    match bare.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => {
            v4.is_loopback()
                || v4 == Ipv4Addr::new(169, 254, 170, 2)
                || v4 == Ipv4Addr::new(169, 254, 170, 23)
        }
        Ok(IpAddr::V6(v6)) => {
            v6.is_loopback() || v6 == Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x23)
        }
        Err(_) => false,
    }
}

/// The container credentials flow: one request.
#[derive(Debug)]
pub struct ContainerFlow {
    config: ContainerConfig,
    done: bool,
}

impl ContainerFlow {
    /// A flow for this configuration.
    pub fn new(config: ContainerConfig) -> Self {
        Self {
            config,
            done: false,
        }
    }

    /// Starts over, to fetch fresh credentials.
    pub fn restart(&mut self) {
        self.done = false;
    }

    /// The request to send.
    ///
    /// # Errors
    ///
    /// [`ProviderError::UnexpectedCall`] when the flow is over or waits for a response.
    pub fn poll_request(
        &mut self,
        _now: SystemTime,
    ) -> Result<http::Request<Vec<u8>>, ProviderError> {
        if self.done {
            return Err(ProviderError::UnexpectedCall("the flow is over"));
        }
        let mut b = http::Request::builder()
            .method(Method::GET)
            .uri(self.config.uri.clone())
            .header(http::header::ACCEPT, "application/json");
        if let Some(auth) = &self.config.authorization {
            b = b.header(http::header::AUTHORIZATION, auth.clone());
        }
        build_request(b, Vec::new())
    }

    /// Handles the response.
    ///
    /// # Errors
    ///
    /// - [`ProviderError::Service`] when the container endpoint answers with an error status (its code and message are kept);
    /// - [`ProviderError::InvalidResponse`] when the body cannot be read as credentials;
    /// - [`ProviderError::UnexpectedCall`] when no request is pending.
    pub fn handle_response<B: AsRef<[u8]>>(
        &mut self,
        response: &http::Response<B>,
        _now: SystemTime,
    ) -> Result<Progress, ProviderError> {
        if self.done {
            return Err(ProviderError::UnexpectedCall("the flow is over"));
        }
        self.done = true;
        let status = response.status().as_u16();
        let body = response.body().as_ref();
        if status != 200 {
            return Err(container_error(status, body));
        }
        parse_container_credentials(body).map(Progress::Done)
    }
}

fn container_error(status: u16, body: &[u8]) -> ProviderError {
    let fallback = || {
        http::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("error")
            .to_owned()
    };
    if let Ok(map) = json::object(body, S) {
        let get = |a: &str, b: &str| {
            map.get(a)
                .or_else(|| map.get(b))
                .and_then(|v| v.as_str())
                .map(str::to_owned)
        };
        if let Some(code) = get("code", "Code") {
            return ProviderError::Service {
                service: S,
                status,
                code,
                message: get("message", "Message").unwrap_or_default(),
            };
        }
    }
    ProviderError::Service {
        service: S,
        status,
        code: fallback(),
        message: body_text(body),
    }
}

/// Parses the container credentials document. Never panics.
///
/// # Errors
///
/// [`ProviderError::InvalidResponse`] when the body is not the JSON credentials document or a field is missing or invalid.
pub fn parse_container_credentials(body: &[u8]) -> Result<Credentials, ProviderError> {
    let map = json::object(body, S)?;
    let key = json::req_str(&map, "AccessKeyId", S)?;
    let secret = json::req_str(&map, "SecretAccessKey", S)?;
    let token = super::token_text(json::opt_str(&map, "Token", S)?);
    let expiry = match json::opt_str(&map, "Expiration", S)? {
        None => None,
        Some(t) => Some(
            super::parse_time(t).ok_or_else(|| ProviderError::InvalidResponse {
                service: S,
                message: "Expiration is not an RFC 3339 time".to_owned(),
            })?,
        ),
    };
    let account = json::opt_str(&map, "AccountId", S)?;
    Ok(Credentials::build(key, secret, token, expiry)?.with_account_id(account))
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;
    use crate::provider::env::tests::FakeEnv;

    // The shape of the ECS task credentials document (ECS developer guide).
    const DOC: &str = r#"{
    "AccessKeyId": "ACCESS_KEY_ID",
    "Expiration": "EXPIRATION_DATE",
    "RoleArn": "TASK_ROLE_ARN",
    "SecretAccessKey": "SECRET_ACCESS_KEY",
    "Token": "SECURITY_TOKEN_STRING"
}"#;

    fn resp(status: u16, body: &str) -> http::Response<Vec<u8>> {
        http::Response::builder()
            .status(status)
            .body(body.as_bytes().to_vec())
            .unwrap()
    }

    #[test]
    fn relative_uri_uses_the_ecs_host_without_token() {
        let env = FakeEnv::with(&[
            (RELATIVE_URI, "/v2/credentials/abc"),
            (AUTH_TOKEN, "ignored"),
        ]);
        let cfg = ContainerConfig::from_env(&env).unwrap().unwrap();
        let mut flow = ContainerFlow::new(cfg);
        let r = flow.poll_request(UNIX_EPOCH).unwrap();
        assert_eq!(r.uri(), "http://169.254.170.2/v2/credentials/abc");
        assert!(r.headers().get("authorization").is_none());
        let doc = DOC.replace("EXPIRATION_DATE", "2024-01-01T00:00:00Z");
        let Progress::Done(c) = flow.handle_response(&resp(200, &doc), UNIX_EPOCH).unwrap() else {
            panic!()
        };
        assert_eq!(c.access_key_id(), "ACCESS_KEY_ID");
        assert_eq!(c.session_token(), Some("SECURITY_TOKEN_STRING"));
        assert_eq!(
            c.expiry(),
            Some(UNIX_EPOCH + Duration::from_secs(1_704_067_200))
        );
    }

    #[test]
    fn full_uri_with_token_and_token_file() {
        // EKS Pod Identity agent address and token file, as documented.
        let env = FakeEnv::with(&[
            (FULL_URI, "http://169.254.170.23/v1/credentials"),
            (
                AUTH_TOKEN_FILE,
                "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token",
            ),
            (AUTH_TOKEN, "from-env"),
        ])
        .file(
            "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token",
            "from-file\n",
        );
        let mut flow = ContainerFlow::new(ContainerConfig::from_env(&env).unwrap().unwrap());
        let r = flow.poll_request(UNIX_EPOCH).unwrap();
        assert_eq!(r.headers()["authorization"], "from-file");
        let env = FakeEnv::with(&[
            (FULL_URI, "http://[fd00:ec2::23]/v1/credentials"),
            (AUTH_TOKEN, "from-env"),
        ]);
        let mut flow = ContainerFlow::new(ContainerConfig::from_env(&env).unwrap().unwrap());
        assert_eq!(
            flow.poll_request(UNIX_EPOCH).unwrap().headers()["authorization"],
            "from-env"
        );
        let env = FakeEnv::with(&[
            (FULL_URI, "http://127.0.0.1/c"),
            (AUTH_TOKEN, "a\r\nInjected: x"),
        ]);
        assert!(ContainerConfig::from_env(&env).is_err());
        let env = FakeEnv::with(&[
            (FULL_URI, "http://127.0.0.1/c"),
            (AUTH_TOKEN_FILE, "/missing"),
        ]);
        assert!(matches!(
            ContainerConfig::from_env(&env),
            Err(ProviderError::Io { .. })
        ));
    }

    #[test]
    fn full_uri_hosts() {
        for ok in [
            "http://127.0.0.1/x",
            "http://127.1.2.3:8080/x",
            "http://localhost/x",
            "http://[::1]/x",
            "http://169.254.170.2/x",
            "http://169.254.170.23/x",
            "http://[fd00:ec2::23]/x",
            "https://example.com/x",
        ] {
            assert!(ContainerConfig::full(ok, None).is_ok(), "{ok}");
        }
        for bad in [
            "http://example.com/x",
            "http://169.254.169.254/x",
            "http://10.0.0.1/x",
            "ftp://127.0.0.1/x",
            "nonsense",
        ] {
            assert!(ContainerConfig::full(bad, None).is_err(), "{bad}");
        }
        assert_eq!(
            ContainerConfig::from_env(&FakeEnv::default()).unwrap(),
            None
        );
    }

    #[test]
    fn errors_keep_code_and_message() {
        let mut flow = ContainerFlow::new(ContainerConfig::relative("/c").unwrap());
        flow.poll_request(UNIX_EPOCH).unwrap();
        let err = flow
            .handle_response(
                &resp(
                    400,
                    r#"{"code":"InvalidToken","message":"Service account token cannot be empty"}"#,
                ),
                UNIX_EPOCH,
            )
            .unwrap_err();
        assert_eq!(
            err,
            ProviderError::Service {
                service: "container",
                status: 400,
                code: "InvalidToken".into(),
                message: "Service account token cannot be empty".into()
            }
        );
        let mut flow = ContainerFlow::new(ContainerConfig::relative("/c").unwrap());
        flow.poll_request(UNIX_EPOCH).unwrap();
        assert!(matches!(
            flow.handle_response(&resp(500, "oops"), UNIX_EPOCH),
            Err(ProviderError::Service { status: 500, .. })
        ));
        assert!(parse_container_credentials(DOC.as_bytes()).is_err());
        assert!(parse_container_credentials(b"{\"AccessKeyId\":\"A\"}").is_err());
    }
}
