//! `aws login` sessions, as a sans-IO flow.
//!
//! `aws login` signs a person in through the browser and caches a session
//! in `~/.aws/login/cache/<sha256(login_session)>.json` (hex; the directory
//! is `AWS_LOGIN_CACHE_DIRECTORY` when set); the profile names it with
//! `login_session = <ARN of the signed-in identity>`. The cache holds
//! short-lived credentials (`accessToken`: `accessKeyId`,
//! `secretAccessKey`, `sessionToken`, `accountId`, `expiresAt`), a refresh
//! token, the client id and the session's P-256 key (`dpopKey`, a SEC1 PEM).
//!
//! The cached credentials serve until five minutes before they expire.
//! Then [`LoginFlow`] refreshes them with the AWS Sign-In service's
//! `CreateOAuth2Token` (`POST /v1/token` with `clientId`, `refreshToken`
//! and `grantType = refresh_token`), proving possession of the key with a
//! DPoP proof ([RFC 9449](https://www.rfc-editor.org/rfc/rfc9449)): a JWT
//! signed with ES256 whose header carries the public key and whose claims
//! are the method (`htm`), the URI (`htu`), the time (`iat`) and a unique
//! id (`jti`). The answer's credentials last `expiresIn` seconds; the
//! cache is rewritten with them and the new refresh token
//! ([`LoginFlow::take_cache_update`]).
//!
//! Signing the proof needs the `login` feature; without it a session whose
//! credentials have expired is an error that says so.

use std::time::{Duration, SystemTime};

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::{FlowStep, ProviderError, format_time, json, parse_time};
use crate::Credentials;

const S: &str = "signin";

/// How long before their expiry the cached credentials are refreshed.
pub const REFRESH_WINDOW: Duration = Duration::from_secs(5 * 60);

/// The cache file's name for a `login_session`: the hex SHA-256 of the
/// session, `.json`.
pub fn cache_file_name(login_session: &str) -> String {
    format!(
        "{}.json",
        hex::encode(Sha256::digest(login_session.trim().as_bytes()))
    )
}

fn bad(message: String) -> ProviderError {
    ProviderError::InvalidResponse {
        service: S,
        message,
    }
}

/// A login session's cache file.
#[derive(Clone)]
pub struct LoginCache {
    credentials: Credentials,
    expires_at: SystemTime,
    client_id: String,
    refresh_token: Zeroizing<String>,
    dpop_key: Zeroizing<String>,
    /// The file as read, rewritten with the refreshed fields.
    raw: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for LoginCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginCache")
            .field("credentials", &self.credentials)
            .field("expires_at", &self.expires_at)
            .field("client_id", &self.client_id)
            .field("refresh_token", &"** redacted **")
            .field("dpop_key", &"** redacted **")
            .finish()
    }
}

impl LoginCache {
    /// Parses a cache file. Never panics.
    ///
    /// # Errors
    ///
    /// [`ProviderError::InvalidResponse`] (service `signin`) when
    /// `accessToken` (with its five fields), `refreshToken`, `clientId` or
    /// `dpopKey` is missing or malformed.
    pub fn parse(bytes: &[u8]) -> Result<Self, ProviderError> {
        let map = json::object(bytes, S)?;
        let missing: Vec<&str> = ["accessToken", "refreshToken", "clientId", "dpopKey"]
            .into_iter()
            .filter(|k| !map.contains_key(*k))
            .collect();
        if !missing.is_empty() {
            return Err(bad(format!(
                "the login cache lacks {}: run `aws login` again",
                missing.join(", ")
            )));
        }
        let Some(Value::Object(token)) = map.get("accessToken") else {
            return Err(bad("accessToken is not an object".to_owned()));
        };
        let expires_at = parse_time(json::req_str(token, "expiresAt", S)?)
            .ok_or_else(|| bad("accessToken.expiresAt is not an RFC 3339 time".to_owned()))?;
        let credentials = Credentials::build(
            json::req_str(token, "accessKeyId", S)?,
            json::req_str(token, "secretAccessKey", S)?,
            super::token_text(json::opt_str(token, "sessionToken", S)?),
            Some(expires_at),
        )?
        .with_account_id(json::opt_str(token, "accountId", S)?);
        Ok(Self {
            credentials,
            expires_at,
            client_id: json::req_str(&map, "clientId", S)?.to_owned(),
            refresh_token: Zeroizing::new(json::req_str(&map, "refreshToken", S)?.to_owned()),
            dpop_key: Zeroizing::new(json::req_str(&map, "dpopKey", S)?.to_owned()),
            raw: Zeroizing::new(bytes.to_vec()),
        })
    }

    /// The cached credentials (with their account id and expiry).
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Start,
    Refreshing,
    Done,
}

/// Credentials of an `aws login` session: the cached ones while fresh,
/// else a refresh through the AWS Sign-In service.
#[derive(Debug)]
pub struct LoginFlow {
    cache: LoginCache,
    profile: String,
    token_url: Option<String>,
    state: State,
    jti: Option<String>,
    cache_update: Option<Zeroizing<Vec<u8>>>,
}

impl LoginFlow {
    /// A flow for a session's cache; `signin_url` is the Sign-In service
    /// ([`Endpoints::url`](super::endpoint::Endpoints::url) of
    /// [`Service::Signin`](super::endpoint::Service::Signin)), which a
    /// refresh needs: without it (no region configured) a refresh is an
    /// error.
    pub fn new(cache: LoginCache, signin_url: Option<&str>) -> Self {
        Self {
            cache,
            profile: String::new(),
            token_url: signin_url.map(|u| format!("{}/v1/token", u.trim_end_matches('/'))),
            state: State::Start,
            jti: None,
            cache_update: None,
        }
    }

    /// Names the profile with the `login_session`, for error messages.
    pub fn with_profile(mut self, profile: &str) -> Self {
        self.profile = profile.to_owned();
        self
    }

    /// Uses `jti` as the proof's unique id instead of a random one (for
    /// tests that compare proofs).
    pub fn with_jti(mut self, jti: &str) -> Self {
        self.jti = Some(jti.to_owned());
        self
    }

    /// The cached credentials when fresh at `now`, else the refresh request.
    ///
    /// # Errors
    ///
    /// [`ProviderError::FeatureDisabled`] when a refresh is needed in a
    /// build without the `login` feature; [`ProviderError::InvalidResponse`]
    /// when the cached key cannot sign; [`ProviderError::UnexpectedCall`]
    /// while a request is pending or once the flow is over.
    pub fn poll(&mut self, now: SystemTime) -> Result<FlowStep, ProviderError> {
        match self.state {
            State::Start => {}
            State::Refreshing => return Err(ProviderError::UnexpectedCall("a request is pending")),
            State::Done => return Err(ProviderError::UnexpectedCall("the flow is over")),
        }
        let fresh = self
            .cache
            .expires_at
            .checked_sub(REFRESH_WINDOW)
            .is_some_and(|start| now < start);
        if fresh {
            self.state = State::Done;
            return Ok(FlowStep::Done(self.cache.credentials.clone()));
        }
        let request = self.refresh_request(now)?;
        self.state = State::Refreshing;
        Ok(FlowStep::Send(request))
    }

    fn refresh_request(&self, now: SystemTime) -> Result<http::Request<Vec<u8>>, ProviderError> {
        let token_url = self.token_url.as_deref().ok_or_else(|| ProviderError::InvalidConfig {
            profile: self.profile.clone(),
            message: "refreshing an aws login session needs a region (AWS_REGION or the profile's region)".to_owned(),
        })?;
        let body = serde_json::json!({
            "clientId": self.cache.client_id,
            "refreshToken": self.cache.refresh_token.as_str(),
            "grantType": "refresh_token",
        });
        let body = Zeroizing::new(serde_json::to_vec(&body).map_err(|e| bad(e.to_string()))?);
        let jti = self.jti.clone().unwrap_or_else(random_uuid);
        let mut proof =
            http::HeaderValue::from_str(&dpop::proof(&self.cache.dpop_key, token_url, now, &jti)?)
                .map_err(|_| bad("the DPoP proof is not a header value".to_owned()))?;
        proof.set_sensitive(true);
        super::build_request(
            http::Request::builder()
                .method(http::Method::POST)
                .uri(token_url)
                .header(http::header::CONTENT_TYPE, "application/json")
                .header("dpop", proof),
            body.to_vec(),
        )
    }

    /// Handles the refresh's answer.
    ///
    /// # Errors
    ///
    /// [`ProviderError::TokenExpired`] when the service says the session
    /// ended (`TOKEN_EXPIRED`, `USER_CREDENTIALS_CHANGED`);
    /// [`ProviderError::Service`] for other errors;
    /// [`ProviderError::InvalidResponse`] for an unreadable answer.
    pub fn handle_response<B: AsRef<[u8]>>(
        &mut self,
        response: &http::Response<B>,
        now: SystemTime,
    ) -> Result<(), ProviderError> {
        if self.state != State::Refreshing {
            return Err(ProviderError::UnexpectedCall("no request is pending"));
        }
        self.state = State::Done;
        let body = response.body().as_ref();
        if !response.status().is_success() {
            return Err(refresh_error(response.status().as_u16(), body));
        }
        let map = json::object(body, S)?;
        let output = match map.get("tokenOutput") {
            Some(Value::Object(inner)) => inner,
            _ => &map,
        };
        let Some(Value::Object(token)) = output.get("accessToken") else {
            return Err(bad("accessToken is missing".to_owned()));
        };
        let expires_in = output
            .get("expiresIn")
            .and_then(Value::as_u64)
            .ok_or_else(|| bad("expiresIn is missing".to_owned()))?;
        let refresh = json::req_str(output, "refreshToken", S)?;
        let expires_at = now + Duration::from_secs(expires_in);
        let key = json::req_str(token, "accessKeyId", S)?;
        let secret = json::req_str(token, "secretAccessKey", S)?;
        let session = json::req_str(token, "sessionToken", S)?;
        let account = self.cache.credentials.account_id().map(str::to_owned);
        let credentials = Credentials::build(key, secret, Some(session), Some(expires_at))?
            .with_account_id(account.as_deref());
        // The cache as read, with the new credentials and refresh token.
        let mut doc: Map<String, Value> = json::object(&self.cache.raw, S)?;
        let mut access = Map::new();
        access.insert("accessKeyId".into(), key.into());
        access.insert("secretAccessKey".into(), secret.into());
        access.insert("sessionToken".into(), session.into());
        if let Some(a) = &account {
            access.insert("accountId".into(), a.as_str().into());
        }
        access.insert("expiresAt".into(), format_time(expires_at).into());
        doc.insert("accessToken".into(), Value::Object(access));
        doc.insert("refreshToken".into(), refresh.into());
        let bytes =
            serde_json::to_vec_pretty(&Value::Object(doc)).map_err(|e| bad(e.to_string()))?;
        self.cache_update = Some(Zeroizing::new(bytes));
        self.cache.refresh_token = Zeroizing::new(refresh.to_owned());
        self.cache.expires_at = expires_at;
        self.cache.credentials = credentials;
        Ok(())
    }

    /// The credentials after a successful refresh.
    ///
    /// # Errors
    ///
    /// [`ProviderError::UnexpectedCall`] before the refresh succeeded.
    pub fn credentials(&self) -> Result<Credentials, ProviderError> {
        if self.state == State::Done && self.cache_update.is_some() {
            Ok(self.cache.credentials.clone())
        } else {
            Err(ProviderError::UnexpectedCall("no refresh has succeeded"))
        }
    }

    /// After a refresh, the new contents of the cache file.
    pub fn take_cache_update(&mut self) -> Option<Zeroizing<Vec<u8>>> {
        self.cache_update.take()
    }
}

fn refresh_error(status: u16, body: &[u8]) -> ProviderError {
    let map = json::object(body, S).ok();
    let field = |k: &str| {
        map.as_ref()
            .and_then(|m| m.get(k))
            .and_then(Value::as_str)
            .map(super::short)
    };
    let code = field("error").unwrap_or_else(|| {
        http::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("error")
            .to_owned()
    });
    if code == "TOKEN_EXPIRED" || code == "USER_CREDENTIALS_CHANGED" {
        return ProviderError::TokenExpired {
            token: "the aws login session".to_owned(),
            hint: "run `aws login` to sign in again",
        };
    }
    ProviderError::Service {
        service: S,
        status,
        code,
        message: field("message").unwrap_or_else(|| super::body_text(body)),
    }
}

/// A version 4 UUID from the standard library's per-process random keys
/// (SipHash keyed from the operating system's random source), unique per
/// call: the proof's `jti` need only never repeat.
fn random_uuid() -> String {
    use std::collections::hash_map::RandomState;
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let half = || {
        let mut h = RandomState::new().build_hasher();
        h.write_u64(count);
        h.write_u128(nanos);
        h.finish()
    };
    let mut bytes = [0u8; 16];
    let (a, b) = bytes.split_at_mut(8);
    a.copy_from_slice(&half().to_be_bytes());
    b.copy_from_slice(&half().to_be_bytes());
    if let Some(v) = bytes.get_mut(6) {
        *v = (*v & 0x0f) | 0x40;
    }
    if let Some(v) = bytes.get_mut(8) {
        *v = (*v & 0x3f) | 0x80;
    }
    let hex = hex::encode(bytes);
    format!(
        "{}-{}-{}-{}-{}",
        hex.get(0..8).unwrap_or(""),
        hex.get(8..12).unwrap_or(""),
        hex.get(12..16).unwrap_or(""),
        hex.get(16..20).unwrap_or(""),
        hex.get(20..32).unwrap_or("")
    )
}

#[cfg(feature = "login")]
mod dpop {
    use std::time::SystemTime;

    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use p256::ecdsa::signature::Signer;
    use p256::ecdsa::{Signature, SigningKey};

    use super::{ProviderError, bad};

    /// The DPoP proof for a `POST` to `uri` at `now`: a compact JWT signed
    /// with ES256 by the session's key.
    pub(super) fn proof(
        pem: &str,
        uri: &str,
        now: SystemTime,
        jti: &str,
    ) -> Result<String, ProviderError> {
        let secret = p256::SecretKey::from_sec1_pem(pem.trim())
            .map_err(|_| bad("the cached dpopKey is not a P-256 key in SEC1 PEM".to_owned()))?;
        let key = SigningKey::from(&secret);
        let point = key.verifying_key().to_sec1_point(false);
        let (Some(x), Some(y)) = (point.x(), point.y()) else {
            return Err(bad("the cached dpopKey has no public point".to_owned()));
        };
        let header = serde_json::json!({
            "typ": "dpop+jwt",
            "alg": "ES256",
            "jwk": {
                "kty": "EC",
                "crv": "P-256",
                "x": URL_SAFE_NO_PAD.encode(x),
                "y": URL_SAFE_NO_PAD.encode(y),
            },
        });
        let iat = now
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let claims = serde_json::json!({
            "htm": "POST",
            "htu": uri,
            "iat": iat,
            "jti": jti,
        });
        let encode = |v: &serde_json::Value| -> Result<String, ProviderError> {
            let bytes = serde_json::to_vec(v).map_err(|e| bad(e.to_string()))?;
            Ok(URL_SAFE_NO_PAD.encode(bytes))
        };
        let signing_input = format!("{}.{}", encode(&header)?, encode(&claims)?);
        let signature: Signature = key.sign(signing_input.as_bytes());
        Ok(format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature.to_bytes())
        ))
    }
}

#[cfg(not(feature = "login"))]
mod dpop {
    use std::time::SystemTime;

    use super::ProviderError;

    pub(super) fn proof(
        _pem: &str,
        _uri: &str,
        _now: SystemTime,
        _jti: &str,
    ) -> Result<String, ProviderError> {
        Err(ProviderError::FeatureDisabled {
            what: "refreshing an aws login session",
            feature: "login",
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    // The P-256 key of the SDKs' login test data (testdata/aws-sdk-config).
    pub(crate) const KEY: &str = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIPt/u8InPLpQeQLJTvVX+sNDzni8vMDMt3Liu+nMBigfoAoGCCqGSM49\nAwEHoUQDQgAEILkGG7rNOnxiIJlMgimY1UPP8eDMFP0DAY6WGjngP4bvTAiUCQ/I\nffut2379uP+OBCm2ovGpBOJRgrl1RspUOQ==\n-----END EC PRIVATE KEY-----\n";

    fn cache(expires: &str) -> LoginCache {
        let doc = serde_json::json!({
            "accessToken": {
                "accessKeyId": "ASIAOLD",
                "secretAccessKey": "old",
                "sessionToken": "oldtoken",
                "accountId": "012345678901",
                "expiresAt": expires,
            },
            "clientId": "arn:aws:signin:::devtools/same-device",
            "refreshToken": "rt",
            "idToken": "id",
            "dpopKey": KEY,
        });
        LoginCache::parse(&serde_json::to_vec(&doc).unwrap()).unwrap()
    }

    #[test]
    fn cache_file_name_is_the_sha256_of_the_session() {
        // The file name of the SDKs' login test data for this session.
        assert_eq!(
            cache_file_name("arn:aws:sts::012345678910:assumed-role/Admin/admin"),
            "4b0ba8f99f075c0633e122fd73346ce203a3faf18ea0310eb2d29df1bab2e255.json"
        );
    }

    #[test]
    fn fresh_credentials_need_no_request() {
        let now = parse_time("2025-11-19T00:00:00Z").unwrap();
        let mut flow = LoginFlow::new(
            cache("2025-11-19T01:00:00Z"),
            Some("https://us-east-1.signin.aws.amazon.com"),
        );
        let FlowStep::Done(c) = flow.poll(now).unwrap() else {
            panic!("no request expected")
        };
        assert_eq!(c.access_key_id(), "ASIAOLD");
        assert_eq!(c.account_id(), Some("012345678901"));
        assert!(flow.poll(now).is_err());
    }

    #[test]
    fn a_refresh_without_a_region_says_so() {
        let now = parse_time("2025-11-19T00:00:00Z").unwrap();
        let mut flow = LoginFlow::new(cache("2025-11-18T00:00:00Z"), None).with_profile("signin");
        match flow.poll(now) {
            Err(ProviderError::InvalidConfig { profile, message }) => {
                assert_eq!(profile, "signin");
                assert!(message.contains("region"), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn missing_fields_are_errors() {
        for field in ["accessToken", "refreshToken", "clientId", "dpopKey"] {
            let mut doc: Map<String, Value> =
                serde_json::from_slice(&cache("2030-01-01T00:00:00Z").raw).unwrap();
            doc.remove(field);
            let err = LoginCache::parse(&serde_json::to_vec(&doc).unwrap()).unwrap_err();
            assert!(err.to_string().contains(field), "{err}");
        }
    }

    #[cfg(feature = "login")]
    #[test]
    fn expired_credentials_are_refreshed_with_a_signed_proof() {
        use base64::Engine;
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        use p256::ecdsa::signature::Verifier;
        use p256::ecdsa::{Signature, SigningKey};

        let now = parse_time("2025-11-19T00:00:00Z").unwrap();
        let mut flow = LoginFlow::new(
            cache("2025-11-19T00:04:00Z"),
            Some("https://us-east-1.signin.aws.amazon.com/"),
        )
        .with_jti("f0e1d2c3-0000-4000-8000-000000000001");
        let FlowStep::Send(request) = flow.poll(now).unwrap() else {
            panic!("expected a refresh")
        };
        assert_eq!(
            request.uri(),
            "https://us-east-1.signin.aws.amazon.com/v1/token"
        );
        let body: Value = serde_json::from_slice(request.body()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"clientId": "arn:aws:signin:::devtools/same-device", "refreshToken": "rt", "grantType": "refresh_token"})
        );
        let proof = request.headers()["dpop"].to_str().unwrap();
        assert!(request.headers()["dpop"].is_sensitive());
        let parts: Vec<&str> = proof.split('.').collect();
        assert_eq!(parts.len(), 3);
        let header: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
        let claims: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(header["typ"], "dpop+jwt");
        assert_eq!(header["alg"], "ES256");
        assert_eq!(claims["htm"], "POST");
        assert_eq!(
            claims["htu"],
            "https://us-east-1.signin.aws.amazon.com/v1/token"
        );
        assert_eq!(claims["iat"], 1_763_510_400);
        assert_eq!(claims["jti"], "f0e1d2c3-0000-4000-8000-000000000001");
        // The signature verifies with the public key of the cached key.
        let secret = p256::SecretKey::from_sec1_pem(KEY).unwrap();
        let verifying = *SigningKey::from(&secret).verifying_key();
        let point = verifying.to_sec1_point(false);
        assert_eq!(
            header["jwk"]["x"],
            URL_SAFE_NO_PAD.encode(point.x().unwrap())
        );
        let signature = Signature::from_slice(&URL_SAFE_NO_PAD.decode(parts[2]).unwrap()).unwrap();
        let input = format!("{}.{}", parts[0], parts[1]);
        verifying.verify(input.as_bytes(), &signature).unwrap();
        assert!(verifying.verify(b"tampered", &signature).is_err());

        let answer = serde_json::json!({"accessToken": {"accessKeyId": "ASIANEW", "secretAccessKey": "new", "sessionToken": "newtoken"}, "tokenType": "aws_sigv4", "expiresIn": 900, "refreshToken": "rt2"});
        let response = http::Response::builder()
            .status(200)
            .body(serde_json::to_vec(&answer).unwrap())
            .unwrap();
        flow.handle_response(&response, now).unwrap();
        let c = flow.credentials().unwrap();
        assert_eq!(c.access_key_id(), "ASIANEW");
        assert_eq!(c.expiry(), Some(now + Duration::from_secs(900)));
        assert_eq!(c.account_id(), Some("012345678901"));
        let written: Value = serde_json::from_slice(&flow.take_cache_update().unwrap()).unwrap();
        assert_eq!(written["refreshToken"], "rt2");
        assert_eq!(written["idToken"], "id");
        assert_eq!(written["accessToken"]["expiresAt"], "2025-11-19T00:15:00Z");
    }

    #[test]
    fn an_ended_session_says_to_sign_in_again() {
        assert!(matches!(
            refresh_error(401, br#"{"error":"TOKEN_EXPIRED","message":"m"}"#),
            ProviderError::TokenExpired { .. }
        ));
        assert!(matches!(
            refresh_error(400, b""),
            ProviderError::Service { status: 400, .. }
        ));
    }

    #[test]
    fn uuids_are_version_4_and_differ() {
        let a = random_uuid();
        let b = random_uuid();
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(a.as_bytes()[14], b'4');
    }
}
