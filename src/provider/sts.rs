//! AWS STS as sans-IO flows: `AssumeRoleWithWebIdentity` (unsigned; IRSA
//! on EKS) and `AssumeRole` (signed with the source credentials by this
//! crate's [`Signer`]).
//!
//! Requests use the Query protocol (`POST /`, form-encoded, API version
//! `2011-06-15`); responses are XML. A successful response holds
//! `<Credentials>` with `AccessKeyId`, `SecretAccessKey`, `SessionToken`
//! and `Expiration`; an error response is
//! `<ErrorResponse><Error><Type/><Code/><Message/></Error></ErrorResponse>`
//! and becomes [`ProviderError::Service`] with that code and message.
//!
//! The endpoint is `AWS_ENDPOINT_URL_STS`, else `AWS_ENDPOINT_URL`, else
//! `https://sts.<region>.amazonaws.com`, else (no region)
//! `https://sts.amazonaws.com` signed for `us-east-1`.

use std::time::{Duration, SystemTime};

use http::Method;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use zeroize::Zeroizing;

use super::{
    Environment, Progress, ProviderError, body_text, build_request, non_empty, short, xml,
};
use crate::{Credentials, PayloadHash, SignableRequest, Signer};

const S: &str = "sts";
/// The STS API version.
pub const API_VERSION: &str = "2011-06-15";

/// Characters that stay as they are in a form value: RFC 3986 unreserved.
const FORM: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Where STS is and which region to sign for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StsEndpoint {
    uri: String,
    region: String,
}

impl StsEndpoint {
    /// The regional endpoint, or the global one (signed for `us-east-1`)
    /// without a region.
    pub fn for_region(region: Option<&str>) -> Self {
        match region {
            Some(r) => Self {
                uri: format!("https://sts.{r}.amazonaws.com"),
                region: r.to_owned(),
            },
            None => Self {
                uri: "https://sts.amazonaws.com".to_owned(),
                region: "us-east-1".to_owned(),
            },
        }
    }

    /// A custom endpoint (for example a local test server).
    ///
    /// # Errors
    ///
    /// - [`ProviderError::InvalidEndpoint`] when the URI is not an absolute `http` or `https` URI;
    /// - [`ProviderError::Credentials`] when the region is not valid.
    pub fn custom(uri: &str, region: &str) -> Result<Self, ProviderError> {
        let uri = uri.trim_end_matches('/');
        let parsed: http::Uri = uri.parse().map_err(|_| ProviderError::InvalidEndpoint {
            uri: short(uri),
            message: "it is not a valid URI".to_owned(),
        })?;
        if !matches!(parsed.scheme_str(), Some("http" | "https")) || parsed.host().is_none() {
            return Err(ProviderError::InvalidEndpoint {
                uri: short(uri),
                message: "it is not an absolute http(s) URI".to_owned(),
            });
        }
        Ok(Self {
            uri: uri.to_owned(),
            region: region.to_owned(),
        })
    }

    /// `AWS_ENDPOINT_URL_STS`, else `AWS_ENDPOINT_URL`, else [`StsEndpoint::for_region`].
    ///
    /// # Errors
    ///
    /// - [`ProviderError::InvalidEndpoint`] when `AWS_ENDPOINT_URL_STS` or `AWS_ENDPOINT_URL` is not a valid URI;
    /// - [`ProviderError::InvalidEnvVar`] when `AWS_STS_REGIONAL_ENDPOINTS` is neither `regional` nor `legacy`.
    pub fn from_env(env: &dyn Environment, region: Option<&str>) -> Result<Self, ProviderError> {
        match non_empty(env.var("AWS_ENDPOINT_URL_STS"))
            .or_else(|| non_empty(env.var("AWS_ENDPOINT_URL")))
        {
            Some(uri) => Self::custom(&uri, region.unwrap_or("us-east-1")),
            None => Ok(Self::for_region(region)),
        }
    }

    /// The endpoint for `region` under `endpoints`' settings: a configured
    /// URL (signed for `region`, else `us-east-1`), else the regional
    /// endpoint (FIPS or dual-stack as asked), else, without a region, the
    /// global `https://sts.amazonaws.com` signed for `us-east-1`.
    ///
    /// # Errors
    ///
    /// [`ProviderError::InvalidEndpoint`] for a configured URL that is not
    /// an absolute http(s) URI.
    pub fn resolve(
        endpoints: &super::endpoint::Endpoints,
        region: Option<&str>,
    ) -> Result<Self, ProviderError> {
        use super::endpoint::Service;
        if let Some(url) = endpoints.configured(Service::Sts) {
            return Self::custom(url, region.unwrap_or("us-east-1"));
        }
        match region {
            Some(r) => Ok(Self {
                uri: endpoints.url(Service::Sts, r),
                region: r.to_owned(),
            }),
            None if endpoints.fips() || endpoints.dual_stack() => Ok(Self {
                uri: endpoints.url(Service::Sts, "us-east-1"),
                region: "us-east-1".to_owned(),
            }),
            None => Ok(Self::for_region(None)),
        }
    }

    /// The endpoint URI.
    pub fn uri(&self) -> &str {
        &self.uri
    }

    /// The signing region.
    pub fn region(&self) -> &str {
        &self.region
    }
}

fn form(params: &[(&str, &str)]) -> Vec<u8> {
    let mut out = String::new();
    for (i, (k, v)) in params.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.extend(utf8_percent_encode(k, FORM));
        out.push('=');
        out.extend(utf8_percent_encode(v, FORM));
    }
    out.into_bytes()
}

fn post(endpoint: &StsEndpoint, body: Vec<u8>) -> Result<http::Request<Vec<u8>>, ProviderError> {
    build_request(
        http::Request::builder()
            .method(Method::POST)
            .uri(format!("{}/", endpoint.uri))
            .header(
                http::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded; charset=utf-8",
            ),
        body,
    )
}

/// A default session name: `awsig-session-<unix seconds>`.
pub fn default_session_name(now: SystemTime) -> String {
    let secs = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    format!("awsig-session-{secs}")
}

/// The parameters of `AssumeRoleWithWebIdentity`.
#[derive(Clone)]
pub struct WebIdentityConfig {
    /// The role to assume.
    pub role_arn: String,
    /// The session name.
    pub session_name: String,
    /// The OIDC token (a secret).
    pub token: Zeroizing<String>,
    /// How long the credentials should last.
    pub duration: Option<Duration>,
}

impl std::fmt::Debug for WebIdentityConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebIdentityConfig")
            .field("role_arn", &self.role_arn)
            .field("session_name", &self.session_name)
            .field("token", &"** redacted **")
            .field("duration", &self.duration)
            .finish()
    }
}

/// The `AssumeRoleWithWebIdentity` flow: one unsigned request.
#[derive(Debug)]
pub struct WebIdentityFlow {
    endpoint: StsEndpoint,
    config: WebIdentityConfig,
    done: bool,
}

impl WebIdentityFlow {
    /// A flow for this endpoint and configuration.
    pub fn new(endpoint: StsEndpoint, config: WebIdentityConfig) -> Self {
        Self {
            endpoint,
            config,
            done: false,
        }
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
        let duration = self.config.duration.map(|d| d.as_secs().to_string());
        let mut params = vec![
            ("Action", "AssumeRoleWithWebIdentity"),
            ("Version", API_VERSION),
            ("RoleArn", self.config.role_arn.as_str()),
            ("RoleSessionName", self.config.session_name.as_str()),
            ("WebIdentityToken", self.config.token.as_str()),
        ];
        if let Some(d) = &duration {
            params.push(("DurationSeconds", d));
        }
        post(&self.endpoint, form(&params))
    }

    /// Handles the response.
    ///
    /// # Errors
    ///
    /// - [`ProviderError::Service`] when STS answers with an error status (its code and message are kept);
    /// - [`ProviderError::InvalidResponse`] when the body cannot be read as credentials;
    /// - [`ProviderError::UnexpectedCall`] when no request is pending.
    pub fn handle_response<B: AsRef<[u8]>>(
        &mut self,
        response: &http::Response<B>,
        _now: SystemTime,
    ) -> Result<Progress, ProviderError> {
        answer(&mut self.done, response, parse_web_identity_response)
    }
}

/// The answer of a single-request STS flow: an error document becomes a
/// typed error, a success is parsed with `parse`. Retrying a transient
/// error (5xx, throttling) is the caller's choice; the
/// [`driver`](crate::driver) retries `5xx` and `429` answers within its
/// budget.
fn answer<B: AsRef<[u8]>>(
    done: &mut bool,
    response: &http::Response<B>,
    parse: fn(&[u8]) -> Result<Credentials, ProviderError>,
) -> Result<Progress, ProviderError> {
    if *done {
        return Err(ProviderError::UnexpectedCall("the flow is over"));
    }
    *done = true;
    let body = response.body().as_ref();
    if !response.status().is_success() {
        return Err(parse_sts_error(response.status().as_u16(), body));
    }
    parse(body).map(Progress::Done)
}

/// The parameters of `AssumeRole`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssumeRoleConfig {
    /// The role to assume.
    pub role_arn: String,
    /// The session name.
    pub session_name: String,
    /// The external id the role's trust policy may require.
    pub external_id: Option<String>,
    /// How long the credentials should last (900 s to the role's maximum).
    pub duration: Option<Duration>,
}

/// The `AssumeRole` flow: one request signed with the source credentials.
#[derive(Debug)]
pub struct AssumeRoleFlow {
    endpoint: StsEndpoint,
    source: Credentials,
    config: AssumeRoleConfig,
    done: bool,
}

impl AssumeRoleFlow {
    /// A flow that assumes `config.role_arn` with `source`.
    pub fn new(endpoint: StsEndpoint, source: Credentials, config: AssumeRoleConfig) -> Self {
        Self {
            endpoint,
            source,
            config,
            done: false,
        }
    }

    /// The signed request to send.
    ///
    /// # Errors
    ///
    /// [`ProviderError::UnexpectedCall`] when the flow is over or waits for a response.
    pub fn poll_request(
        &mut self,
        now: SystemTime,
    ) -> Result<http::Request<Vec<u8>>, ProviderError> {
        if self.done {
            return Err(ProviderError::UnexpectedCall("the flow is over"));
        }
        let duration = self.config.duration.map(|d| d.as_secs().to_string());
        let mut params = vec![
            ("Action", "AssumeRole"),
            ("Version", API_VERSION),
            ("RoleArn", self.config.role_arn.as_str()),
            ("RoleSessionName", self.config.session_name.as_str()),
        ];
        if let Some(id) = &self.config.external_id {
            params.push(("ExternalId", id));
        }
        if let Some(d) = &duration {
            params.push(("DurationSeconds", d));
        }
        let body = form(&params);
        let mut request = post(&self.endpoint, body)?;
        let signer = Signer::new(self.source.clone(), &self.endpoint.region, "sts")?;
        let payload = PayloadHash::of(request.body());
        let output =
            signer.signing_output(&SignableRequest::from_request(&request)?, &payload, now)?;
        output.apply_to(request.headers_mut())?;
        Ok(request)
    }

    /// Handles the response.
    ///
    /// # Errors
    ///
    /// - [`ProviderError::Service`] when STS answers with an error status (its code and message are kept);
    /// - [`ProviderError::InvalidResponse`] when the body cannot be read as credentials;
    /// - [`ProviderError::UnexpectedCall`] when no request is pending.
    pub fn handle_response<B: AsRef<[u8]>>(
        &mut self,
        response: &http::Response<B>,
        _now: SystemTime,
    ) -> Result<Progress, ProviderError> {
        answer(&mut self.done, response, parse_assume_role_response)
    }
}

/// Parses an `AssumeRole` response body. Never panics.
///
/// # Errors
///
/// [`ProviderError::InvalidResponse`] when the body is not an `AssumeRoleResponse` with complete credentials.
pub fn parse_assume_role_response(body: &[u8]) -> Result<Credentials, ProviderError> {
    parse_credentials(body, "AssumeRoleResponse", "AssumeRoleResult")
}

/// Parses an `AssumeRoleWithWebIdentity` response body. Never panics.
///
/// # Errors
///
/// [`ProviderError::InvalidResponse`] when the body is not an `AssumeRoleWithWebIdentityResponse` with complete credentials.
pub fn parse_web_identity_response(body: &[u8]) -> Result<Credentials, ProviderError> {
    parse_credentials(
        body,
        "AssumeRoleWithWebIdentityResponse",
        "AssumeRoleWithWebIdentityResult",
    )
}

fn bad(message: String) -> ProviderError {
    ProviderError::InvalidResponse {
        service: S,
        message,
    }
}

fn parse_credentials(
    body: &[u8],
    root_name: &str,
    result: &str,
) -> Result<Credentials, ProviderError> {
    let text = std::str::from_utf8(body).map_err(|_| bad("the body is not UTF-8".to_owned()))?;
    let root = xml::parse(text).map_err(bad)?;
    if root.name == "ErrorResponse" {
        return Err(sts_error_from(200, &root));
    }
    if root.name != root_name {
        return Err(bad(format!(
            "expected <{root_name}>, found <{}>",
            short(&root.name)
        )));
    }
    let creds = root
        .path(&[result, "Credentials"])
        .ok_or_else(|| bad(format!("<{result}><Credentials> is missing")))?;
    let field = |name: &str| {
        creds
            .text_at(&[name])
            .filter(|t| !t.is_empty())
            .ok_or_else(|| bad(format!("<Credentials><{name}> is missing")))
    };
    let expiration = field("Expiration")?;
    let expiry = super::parse_time(expiration)
        .ok_or_else(|| bad("Expiration is not an ISO 8601 time".to_owned()))?;
    // The account is the fifth part of the assumed role's ARN
    // (`arn:aws:sts::123456789012:assumed-role/name/session`).
    let account = root
        .path(&[result, "AssumedRoleUser", "Arn"])
        .and_then(|arn| arn.text.trim().split(':').nth(4).map(str::to_owned))
        .filter(|a| !a.is_empty() && a.bytes().all(|b| b.is_ascii_digit()));
    Ok(Credentials::build(
        field("AccessKeyId")?,
        field("SecretAccessKey")?,
        Some(field("SessionToken")?),
        Some(expiry),
    )?
    .with_account_id(account.as_deref()))
}

/// Turns an STS error response into [`ProviderError::Service`], keeping
/// AWS's code and message; a body that is not an STS error keeps its text.
/// Never panics.
pub fn parse_sts_error(status: u16, body: &[u8]) -> ProviderError {
    let root = std::str::from_utf8(body)
        .ok()
        .and_then(|t| xml::parse(t).ok());
    match root {
        Some(root) if error_element(&root).is_some() => sts_error_from(status, &root),
        _ => ProviderError::Service {
            service: S,
            status,
            code: http::StatusCode::from_u16(status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("error")
                .to_owned(),
            message: body_text(body),
        },
    }
}

/// The `<Error>` element with a `<Code>`: under `<ErrorResponse>` (STS) or
/// under `<ErrorResponse><Errors>` (the form some servers use).
fn error_element(root: &xml::Element) -> Option<&xml::Element> {
    root.find("Error").filter(|e| e.child("Code").is_some())
}

fn sts_error_from(status: u16, root: &xml::Element) -> ProviderError {
    let error = error_element(root);
    ProviderError::Service {
        service: S,
        status,
        code: short(error.and_then(|e| e.text_at(&["Code"])).unwrap_or("")),
        message: short(error.and_then(|e| e.text_at(&["Message"])).unwrap_or("")),
    }
}

#[cfg(test)]
mod tests {
    use std::time::UNIX_EPOCH;

    use super::*;

    // The example response of the STS API reference for AssumeRole.
    const ASSUME_ROLE: &str = r#"<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
  <SourceIdentity>DevUser123</SourceIdentity>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::123456789012:assumed-role/demo/John</Arn>
      <AssumedRoleId>ARO123EXAMPLE123:John</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <AccessKeyId>ASIAIOSFODNN7EXAMPLE</AccessKeyId>
      <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>
      <SessionToken>
       AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQW
      </SessionToken>
      <Expiration>2019-11-09T13:34:41Z</Expiration>
    </Credentials>
    <PackedPolicySize>6</PackedPolicySize>
  </AssumeRoleResult>
  <ResponseMetadata>
    <RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>
  </ResponseMetadata>
</AssumeRoleResponse>"#;

    // The example response of the STS API reference for AssumeRoleWithWebIdentity.
    const WEB_IDENTITY: &str = r#"<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <SubjectFromWebIdentityToken>amzn1.account.AF6RHO7KZU5XRVQJGXK6HB56KR2A</SubjectFromWebIdentityToken>
    <Audience>client.5498841531868486423.1548@apps.example.com</Audience>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::123456789012:assumed-role/FederatedWebIdentityRole/app1</Arn>
      <AssumedRoleId>AROACLKWSDQRAOEXAMPLE:app1</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <SessionToken>AQoDYXdzEE0a8ANXXXXXXXXNO1ewxE5TijQyp+IEXAMPLE</SessionToken>
      <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>
      <Expiration>2014-10-24T23:00:23Z</Expiration>
      <AccessKeyId>ASgeIAIOSFODNN7EXAMPLE</AccessKeyId>
    </Credentials>
    <SourceIdentity>SourceIdentityValue</SourceIdentity>
    <Provider>www.amazon.com</Provider>
  </AssumeRoleWithWebIdentityResult>
  <ResponseMetadata>
    <RequestId>ad4156e9-bce1-11e2-82e6-6b6efEXAMPLE</RequestId>
  </ResponseMetadata>
</AssumeRoleWithWebIdentityResponse>"#;

    // The error document format of the AWS Query protocol.
    const ERROR: &str = r#"<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error>
    <Type>Sender</Type>
    <Code>AccessDenied</Code>
    <Message>User: arn:aws:iam::123456789012:user/alice is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::123456789012:role/x</Message>
  </Error>
  <RequestId>4b5a5a5a-0000-0000-0000-000000000000</RequestId>
</ErrorResponse>"#;

    fn resp(status: u16, body: &str) -> http::Response<Vec<u8>> {
        http::Response::builder()
            .status(status)
            .body(body.as_bytes().to_vec())
            .unwrap()
    }

    #[test]
    fn parses_assume_role_example() {
        let c = parse_assume_role_response(ASSUME_ROLE.as_bytes()).unwrap();
        assert_eq!(c.access_key_id(), "ASIAIOSFODNN7EXAMPLE");
        assert_eq!(
            c.secret_access_key(),
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"
        );
        assert_eq!(
            c.session_token(),
            Some("AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQW")
        );
        assert_eq!(
            c.expiry(),
            Some(UNIX_EPOCH + Duration::from_secs(1_573_306_481))
        );
    }

    #[test]
    fn parses_web_identity_example() {
        let c = parse_web_identity_response(WEB_IDENTITY.as_bytes()).unwrap();
        assert_eq!(c.access_key_id(), "ASgeIAIOSFODNN7EXAMPLE");
        assert_eq!(
            c.session_token(),
            Some("AQoDYXdzEE0a8ANXXXXXXXXNO1ewxE5TijQyp+IEXAMPLE")
        );
        assert_eq!(
            c.expiry(),
            Some(UNIX_EPOCH + Duration::from_secs(1_414_191_623))
        );
        assert!(parse_assume_role_response(WEB_IDENTITY.as_bytes()).is_err());
    }

    #[test]
    fn errors_keep_code_and_message() {
        match parse_sts_error(403, ERROR.as_bytes()) {
            ProviderError::Service {
                service,
                status,
                code,
                message,
            } => {
                assert_eq!(
                    (service, status, code.as_str()),
                    ("sts", 403, "AccessDenied")
                );
                assert!(
                    message.starts_with(
                        "User: arn:aws:iam::123456789012:user/alice is not authorized"
                    )
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            parse_sts_error(502, b"<html>bad gateway"),
            ProviderError::Service { status: 502, .. }
        ));
        assert!(matches!(
            parse_assume_role_response(ERROR.as_bytes()),
            Err(ProviderError::Service { .. })
        ));
    }

    #[test]
    fn web_identity_request_is_unsigned_form_post() {
        let mut flow = WebIdentityFlow::new(
            StsEndpoint::for_region(Some("us-west-2")),
            WebIdentityConfig {
                role_arn: "arn:aws:iam::123456789012:role/FederatedWebIdentityRole".into(),
                session_name: "app1".into(),
                token: Zeroizing::new("eyJ.a+b/c=".into()),
                duration: Some(Duration::from_secs(3600)),
            },
        );
        let r = flow.poll_request(UNIX_EPOCH).unwrap();
        assert_eq!(r.method(), Method::POST);
        assert_eq!(r.uri(), "https://sts.us-west-2.amazonaws.com/");
        assert!(r.headers().get("authorization").is_none());
        assert_eq!(
            std::str::from_utf8(r.body()).unwrap(),
            "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2FFederatedWebIdentityRole&RoleSessionName=app1&WebIdentityToken=eyJ.a%2Bb%2Fc%3D&DurationSeconds=3600"
        );
        let Progress::Done(c) = flow
            .handle_response(&resp(200, WEB_IDENTITY), UNIX_EPOCH)
            .unwrap()
        else {
            panic!()
        };
        assert_eq!(c.access_key_id(), "ASgeIAIOSFODNN7EXAMPLE");
        assert!(format!("{flow:?}").contains("redacted"));
    }

    #[test]
    fn assume_role_request_is_signed() {
        let source =
            Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY").unwrap();
        let mut flow = AssumeRoleFlow::new(
            StsEndpoint::for_region(None),
            source,
            AssumeRoleConfig {
                role_arn: "arn:aws:iam::123456789012:role/demo".into(),
                session_name: "John".into(),
                external_id: Some("123ABC".into()),
                duration: Some(Duration::from_secs(900)),
            },
        );
        let now = UNIX_EPOCH + Duration::from_secs(1_440_938_160);
        let r = flow.poll_request(now).unwrap();
        assert_eq!(r.uri(), "https://sts.amazonaws.com/");
        let auth = r.headers()["authorization"].to_str().unwrap();
        assert!(
            auth.starts_with(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/sts/aws4_request"
            ),
            "{auth}"
        );
        assert_eq!(r.headers()["x-amz-date"], "20150830T123600Z");
        assert!(
            std::str::from_utf8(r.body())
                .unwrap()
                .contains("&ExternalId=123ABC&DurationSeconds=900")
        );
        let err = flow.handle_response(&resp(403, ERROR), now).unwrap_err();
        assert!(matches!(err, ProviderError::Service { ref code, .. } if code == "AccessDenied"));
        assert!(flow.poll_request(now).is_err());
    }

    #[test]
    fn endpoints() {
        use crate::provider::env::tests::FakeEnv;
        let e = StsEndpoint::from_env(
            &FakeEnv::with(&[("AWS_ENDPOINT_URL", "http://127.0.0.1:5000/")]),
            Some("eu-west-1"),
        )
        .unwrap();
        assert_eq!(
            (e.uri(), e.region()),
            ("http://127.0.0.1:5000", "eu-west-1")
        );
        let e = StsEndpoint::from_env(
            &FakeEnv::with(&[
                ("AWS_ENDPOINT_URL", "http://a"),
                ("AWS_ENDPOINT_URL_STS", "http://b"),
            ]),
            None,
        )
        .unwrap();
        assert_eq!((e.uri(), e.region()), ("http://b", "us-east-1"));
        assert!(StsEndpoint::custom("nope", "r").is_err());
    }
}
