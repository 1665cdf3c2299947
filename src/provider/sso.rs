//! IAM Identity Center (SSO) profiles, as sans-IO flows.
//!
//! A profile uses SSO in one of two forms
//! ([IAM Identity Center credential provider](https://docs.aws.amazon.com/sdkref/latest/guide/feature-sso-credentials.html)):
//!
//! - **with a session**: `sso_session = name` names an `[sso-session name]`
//!   section holding `sso_start_url` and `sso_region`; the profile adds
//!   `sso_account_id` and `sso_role_name`. The token the AWS CLI's
//!   `aws sso login` cached is in `~/.aws/sso/cache/<sha1(name)>.json` and
//!   is refreshed through the OIDC service when it is near expiry and the
//!   cache holds a refresh token and a client registration that has not
//!   expired. A profile with a session and no account or role configures
//!   a bearer token ([`SsoTokenFlow`]), not credentials.
//! - **legacy**: the profile holds `sso_start_url`, `sso_region`,
//!   `sso_account_id` and `sso_role_name`; the token is in
//!   `~/.aws/sso/cache/<sha1(sso_start_url)>.json` and is never refreshed.
//!
//! [`SsoFlow`] then calls the portal's `GetRoleCredentials`
//! (`GET /federation/credentials?account_id=..&role_name=..` with the token
//! in `x-amz-sso_bearer_token`). The cache file is read by the caller (the
//! chain reads it through its [`Environment`](super::Environment)); after a
//! refresh, [`SsoFlow::take_cache_update`] gives the new file contents to
//! write back.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{HeaderValue, Method};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Map, Value, json};
use sha1::{Digest, Sha1};
use zeroize::Zeroizing;

use super::profile::{Profile, ProfileSet};
use super::{FlowStep, ProviderError, body_text, build_request, format_time, json, parse_time};
use crate::Credentials;

const S: &str = "sso";
const OIDC: &str = "sso-oidc";

/// The bearer token header of the portal.
pub const BEARER_TOKEN_HEADER: &str = "x-amz-sso_bearer_token";

/// How long before its expiry a token is refreshed (botocore's window).
pub const TOKEN_REFRESH_WINDOW: Duration = Duration::from_secs(15 * 60);

/// A profile's SSO settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoConfig {
    /// The `sso-session` name; `None` for the legacy form.
    pub session_name: Option<String>,
    /// The AWS access portal URL.
    pub start_url: String,
    /// The region of the IAM Identity Center instance.
    pub region: String,
    /// The account to get credentials for (with `role_name`).
    pub account_id: Option<String>,
    /// The permission set's role (with `account_id`).
    pub role_name: Option<String>,
}

fn invalid(profile: &str, message: String) -> ProviderError {
    ProviderError::InvalidConfig {
        profile: profile.to_owned(),
        message,
    }
}

impl SsoConfig {
    /// Whether a profile configures SSO at all.
    pub fn is_configured(profile: &Profile) -> bool {
        [
            "sso_session",
            "sso_start_url",
            "sso_account_id",
            "sso_role_name",
        ]
        .iter()
        .any(|k| profile.contains(k))
    }

    /// The SSO settings of profile `name`; `Ok(None)` when it has none.
    ///
    /// # Errors
    ///
    /// [`ProviderError::InvalidConfig`]: an account without a role or the
    /// reverse, a session that does not exist or lacks `sso_start_url` or
    /// `sso_region`, a profile whose `sso_start_url` or `sso_region`
    /// differs from its session's, a legacy profile missing a key.
    pub fn from_profile(profiles: &ProfileSet, name: &str) -> Result<Option<Self>, ProviderError> {
        let Some(profile) = profiles.get(name) else {
            return Ok(None);
        };
        if !Self::is_configured(profile) {
            return Ok(None);
        }
        let get = |key: &str| {
            profile
                .get(key)
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let account_id = get("sso_account_id");
        let role_name = get("sso_role_name");
        match (&account_id, &role_name) {
            (None, Some(_)) => {
                return Err(invalid(
                    name,
                    "sso_role_name is set, so sso_account_id must be set too".to_owned(),
                ));
            }
            (Some(_), None) => {
                return Err(invalid(
                    name,
                    "sso_account_id is set, so sso_role_name must be set too".to_owned(),
                ));
            }
            _ => {}
        }
        if let Some(session_name) = get("sso_session") {
            let session = profiles.sso_session(&session_name).ok_or_else(|| {
                invalid(
                    name,
                    format!("the sso-session {session_name:?} it names does not exist"),
                )
            })?;
            let from_session = |key: &str| -> Result<String, ProviderError> {
                let value = session
                    .get(key)
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
                    .ok_or_else(|| {
                        invalid(
                            name,
                            format!(
                                "{key} must be set in the [sso-session {session_name}] section"
                            ),
                        )
                    })?;
                if let Some(own) = get(key)
                    && own != value
                {
                    return Err(invalid(
                        name,
                        format!(
                            "its {key} differs from the one of the sso-session {session_name:?}"
                        ),
                    ));
                }
                Ok(value.to_owned())
            };
            return Ok(Some(Self {
                start_url: from_session("sso_start_url")?,
                region: from_session("sso_region")?,
                session_name: Some(session_name),
                account_id,
                role_name,
            }));
        }
        let missing: Vec<&str> = [
            "sso_start_url",
            "sso_region",
            "sso_account_id",
            "sso_role_name",
        ]
        .into_iter()
        .filter(|k| get(k).is_none())
        .collect();
        if !missing.is_empty() {
            return Err(invalid(
                name,
                format!(
                    "an SSO profile without sso_session needs {}",
                    missing.join(", ")
                ),
            ));
        }
        Ok(Some(Self {
            session_name: None,
            start_url: get("sso_start_url").unwrap_or_default(),
            region: get("sso_region").unwrap_or_default(),
            account_id,
            role_name,
        }))
    }

    /// Whether the profile configures a bearer token only (a session
    /// without an account and a role).
    pub fn is_token_only(&self) -> bool {
        self.account_id.is_none() || self.role_name.is_none()
    }

    /// The token cache file's name, as the AWS SDKs compute it: the hex
    /// SHA-1 of the session name (or, legacy, of the start URL), `.json`.
    pub fn cache_file_name(&self) -> String {
        let key = self.session_name.as_deref().unwrap_or(&self.start_url);
        format!("{}.json", hex::encode(Sha1::digest(key.as_bytes())))
    }
}

/// A token of the SSO cache (`~/.aws/sso/cache/*.json`).
#[derive(Clone)]
pub struct SsoCachedToken {
    access_token: Zeroizing<String>,
    expires_at: SystemTime,
    refresh_token: Option<Zeroizing<String>>,
    client_id: Option<String>,
    client_secret: Option<Zeroizing<String>>,
    registration_expires_at: Option<(String, SystemTime)>,
}

impl std::fmt::Debug for SsoCachedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SsoCachedToken")
            .field("access_token", &"** redacted **")
            .field("expires_at", &self.expires_at)
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "** redacted **"),
            )
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "** redacted **"),
            )
            .field(
                "registration_expires_at",
                &self.registration_expires_at.as_ref().map(|(_, t)| t),
            )
            .finish()
    }
}

impl SsoCachedToken {
    /// Parses a cache file. Never panics.
    ///
    /// # Errors
    ///
    /// [`ProviderError::InvalidResponse`]: not a JSON object, or
    /// `accessToken` or `expiresAt` missing or malformed.
    pub fn parse(bytes: &[u8]) -> Result<Self, ProviderError> {
        let map = json::object(bytes, S)?;
        let time_of = |key: &str| -> Result<Option<(String, SystemTime)>, ProviderError> {
            match json::opt_str(&map, key, S)? {
                None => Ok(None),
                Some(text) => parse_time(text)
                    .map(|t| Some((text.to_owned(), t)))
                    .ok_or_else(|| bad(S, format!("{key} is not an RFC 3339 time"))),
            }
        };
        let access_token = json::req_str(&map, "accessToken", S)?;
        if access_token.trim().is_empty() {
            return Err(bad(S, "accessToken is empty".to_owned()));
        }
        let (_, expires_at) =
            time_of("expiresAt")?.ok_or_else(|| bad(S, "expiresAt is missing".to_owned()))?;
        let text = |key: &str| -> Result<Option<String>, ProviderError> {
            Ok(super::token_text(json::opt_str(&map, key, S)?).map(str::to_owned))
        };
        Ok(Self {
            access_token: Zeroizing::new(access_token.trim().to_owned()),
            expires_at,
            refresh_token: text("refreshToken")?.map(Zeroizing::new),
            client_id: text("clientId")?,
            client_secret: text("clientSecret")?.map(Zeroizing::new),
            registration_expires_at: time_of("registrationExpiresAt")?,
        })
    }

    /// When the access token expires.
    pub fn expires_at(&self) -> SystemTime {
        self.expires_at
    }

    fn refreshable(&self, now: SystemTime) -> bool {
        self.refresh_token.is_some()
            && self.client_id.is_some()
            && self.client_secret.is_some()
            && self
                .registration_expires_at
                .as_ref()
                .is_some_and(|(_, t)| *t > now)
    }
}

/// A bearer token and its expiry.
#[derive(Clone, PartialEq, Eq)]
pub struct SsoToken {
    /// The token.
    pub token: Zeroizing<String>,
    /// When it expires.
    pub expiry: SystemTime,
}

impl std::fmt::Debug for SsoToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SsoToken")
            .field("token", &"** redacted **")
            .field("expiry", &self.expiry)
            .finish()
    }
}

fn bad(service: &'static str, message: String) -> ProviderError {
    ProviderError::InvalidResponse { service, message }
}

/// An error answer of the portal or the OIDC service (REST-JSON): the code
/// from `x-amzn-errortype` or the body's `__type`/`error`, and its message.
fn rest_json_error<B: AsRef<[u8]>>(
    service: &'static str,
    response: &http::Response<B>,
) -> ProviderError {
    let status = response.status().as_u16();
    let body = response.body().as_ref();
    let map = json::object(body, service).ok();
    let field = |keys: &[&str]| {
        map.as_ref().and_then(|m| {
            keys.iter()
                .find_map(|k| m.get(*k).and_then(Value::as_str))
                .map(super::short)
        })
    };
    let header_code = response
        .headers()
        .get("x-amzn-errortype")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(':').next().unwrap_or(v).to_owned());
    let code = header_code
        .or_else(|| {
            field(&["__type", "error", "code"])
                .map(|c| c.rsplit('#').next().unwrap_or(&c).to_owned())
        })
        .unwrap_or_else(|| {
            http::StatusCode::from_u16(status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("error")
                .to_owned()
        });
    let message = field(&["message", "Message", "error_description"]).unwrap_or_else(|| {
        if map.is_some() {
            String::new()
        } else {
            body_text(body)
        }
    });
    ProviderError::Service {
        service,
        status,
        code,
        message,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TokenState {
    /// The refresh request is to be sent.
    Refresh,
    /// The refresh request was sent.
    Refreshing,
    /// The token is settled.
    Ready,
    Failed,
}

/// The token part shared by [`SsoTokenFlow`] and [`SsoFlow`].
struct TokenSource {
    config: SsoConfig,
    oidc_url: String,
    cached: SsoCachedToken,
    state: TokenState,
    cache_update: Option<Zeroizing<Vec<u8>>>,
}

impl std::fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSource")
            .field("config", &self.config)
            .field("oidc_url", &self.oidc_url)
            .field("cached", &self.cached)
            .field("state", &self.state)
            .field("cache_update", &self.cache_update.as_ref().map(|u| u.len()))
            .finish()
    }
}

impl TokenSource {
    fn new(
        config: SsoConfig,
        oidc_url: &str,
        cached: SsoCachedToken,
        now: SystemTime,
    ) -> Result<Self, ProviderError> {
        let near_expiry = cached
            .expires_at
            .checked_sub(TOKEN_REFRESH_WINDOW)
            .is_none_or(|start| now >= start);
        let state = if config.session_name.is_some() && near_expiry && cached.refreshable(now) {
            TokenState::Refresh
        } else {
            TokenState::Ready
        };
        let source = Self {
            config,
            oidc_url: oidc_url.trim_end_matches('/').to_owned(),
            cached,
            state,
            cache_update: None,
        };
        if state == TokenState::Ready {
            source.check_valid(now)?;
        }
        Ok(source)
    }

    fn check_valid(&self, now: SystemTime) -> Result<(), ProviderError> {
        if self.cached.expires_at > now {
            return Ok(());
        }
        let token = match &self.config.session_name {
            Some(name) => format!("the SSO token of sso-session {name:?}"),
            None => format!("the SSO token of {}", self.config.start_url),
        };
        Err(ProviderError::TokenExpired {
            token,
            hint: "run `aws sso login` to sign in again",
        })
    }

    fn refresh_request(&mut self) -> Result<http::Request<Vec<u8>>, ProviderError> {
        let body = json!({
            "clientId": self.cached.client_id.as_deref().unwrap_or_default(),
            "clientSecret": self.cached.client_secret.as_deref().map(String::as_str).unwrap_or_default(),
            "grantType": "refresh_token",
            "refreshToken": self.cached.refresh_token.as_deref().map(String::as_str).unwrap_or_default(),
        });
        let body = Zeroizing::new(serde_json::to_vec(&body).map_err(|e| bad(OIDC, e.to_string()))?);
        self.state = TokenState::Refreshing;
        build_request(
            http::Request::builder()
                .method(Method::POST)
                .uri(format!("{}/token", self.oidc_url))
                .header(http::header::CONTENT_TYPE, "application/json"),
            body.to_vec(),
        )
    }

    /// Takes the refresh answer. A failed refresh falls back on the cached
    /// token while it is valid.
    fn handle_refresh<B: AsRef<[u8]>>(
        &mut self,
        response: &http::Response<B>,
        now: SystemTime,
    ) -> Result<(), ProviderError> {
        self.state = TokenState::Ready;
        let result = if response.status().is_success() {
            self.apply_refresh(response.body().as_ref(), now)
        } else {
            Err(rest_json_error(OIDC, response))
        };
        match result {
            Ok(()) => Ok(()),
            Err(e) if self.cached.expires_at > now => {
                let _ = e;
                Ok(())
            }
            Err(e) => {
                self.state = TokenState::Failed;
                Err(e)
            }
        }
    }

    fn apply_refresh(&mut self, body: &[u8], now: SystemTime) -> Result<(), ProviderError> {
        let map = json::object(body, OIDC)?;
        let token = super::token_text(json::opt_str(&map, "accessToken", OIDC)?)
            .ok_or_else(|| bad(OIDC, "accessToken is missing".to_owned()))?;
        let expires_in = map
            .get("expiresIn")
            .and_then(Value::as_u64)
            .ok_or_else(|| bad(OIDC, "expiresIn is missing".to_owned()))?;
        let refresh = super::token_text(json::opt_str(&map, "refreshToken", OIDC)?);
        self.cached.access_token = Zeroizing::new(token.to_owned());
        self.cached.expires_at = now + Duration::from_secs(expires_in);
        if let Some(r) = refresh {
            self.cached.refresh_token = Some(Zeroizing::new(r.to_owned()));
        }
        self.cache_update = Some(self.cache_document()?);
        Ok(())
    }

    /// The cache file after a refresh, with the fields the AWS CLI writes.
    fn cache_document(&self) -> Result<Zeroizing<Vec<u8>>, ProviderError> {
        let mut doc = Map::new();
        let mut put = |k: &str, v: &str| {
            doc.insert(k.to_owned(), Value::String(v.to_owned()));
        };
        put("startUrl", &self.config.start_url);
        put("region", &self.config.region);
        put("accessToken", &self.cached.access_token);
        put("expiresAt", &format_time(self.cached.expires_at));
        if let Some(id) = &self.cached.client_id {
            put("clientId", id);
        }
        if let Some(secret) = &self.cached.client_secret {
            put("clientSecret", secret);
        }
        if let Some((text, _)) = &self.cached.registration_expires_at {
            put("registrationExpiresAt", text);
        }
        if let Some(r) = &self.cached.refresh_token {
            put("refreshToken", r);
        }
        let bytes =
            serde_json::to_vec_pretty(&Value::Object(doc)).map_err(|e| bad(OIDC, e.to_string()))?;
        Ok(Zeroizing::new(bytes))
    }

    fn token(&self) -> SsoToken {
        SsoToken {
            token: self.cached.access_token.clone(),
            expiry: self.cached.expires_at,
        }
    }
}

/// The SSO bearer token of a profile with an `sso_session`: the cached
/// token, refreshed through the OIDC service when it is near expiry.
#[derive(Debug)]
pub struct SsoTokenFlow {
    source: TokenSource,
}

impl SsoTokenFlow {
    /// A flow for `config`'s token, read from its cache file (`cached`);
    /// `oidc_url` is the OIDC service
    /// ([`Endpoints::url`](super::endpoint::Endpoints::url) of
    /// [`Service::SsoOidc`](super::endpoint::Service::SsoOidc)).
    ///
    /// # Errors
    ///
    /// [`ProviderError::TokenExpired`] when the token has expired and
    /// cannot be refreshed.
    pub fn new(
        config: SsoConfig,
        oidc_url: &str,
        cached: SsoCachedToken,
        now: SystemTime,
    ) -> Result<Self, ProviderError> {
        Ok(Self {
            source: TokenSource::new(config, oidc_url, cached, now)?,
        })
    }

    /// The refresh request to send, or the token.
    ///
    /// # Errors
    ///
    /// [`ProviderError::UnexpectedCall`] while a request is pending or after
    /// a failure.
    pub fn poll(&mut self, _now: SystemTime) -> Result<FlowStep<SsoToken>, ProviderError> {
        match self.source.state {
            TokenState::Refresh => self.source.refresh_request().map(FlowStep::Send),
            TokenState::Ready => Ok(FlowStep::Done(self.source.token())),
            TokenState::Refreshing => Err(ProviderError::UnexpectedCall("a request is pending")),
            TokenState::Failed => Err(ProviderError::UnexpectedCall("the flow is over")),
        }
    }

    /// Handles the refresh's answer.
    ///
    /// # Errors
    ///
    /// The OIDC service's error when the refresh failed and the cached
    /// token has expired.
    pub fn handle_response<B: AsRef<[u8]>>(
        &mut self,
        response: &http::Response<B>,
        now: SystemTime,
    ) -> Result<(), ProviderError> {
        if self.source.state != TokenState::Refreshing {
            return Err(ProviderError::UnexpectedCall("no request is pending"));
        }
        self.source.handle_refresh(response, now)
    }

    /// After a refresh, the new contents of the cache file (to write back
    /// where it was read).
    pub fn take_cache_update(&mut self) -> Option<Zeroizing<Vec<u8>>> {
        self.source.cache_update.take()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RoleState {
    Ask,
    Asked,
    Done,
}

/// Role credentials from the portal (`GetRoleCredentials`), with the
/// profile's token (refreshed first when needed).
#[derive(Debug)]
pub struct SsoFlow {
    source: TokenSource,
    portal_url: String,
    account_id: String,
    role_name: String,
    state: RoleState,
}

impl SsoFlow {
    /// A flow for `config` (which must name an account and a role), its
    /// cached token, the portal's URL and the OIDC service's.
    ///
    /// # Errors
    ///
    /// [`ProviderError::InvalidConfig`] when `config` names no account and
    /// role; [`ProviderError::TokenExpired`] when the token has expired and
    /// cannot be refreshed.
    pub fn new(
        config: SsoConfig,
        portal_url: &str,
        oidc_url: &str,
        cached: SsoCachedToken,
        now: SystemTime,
    ) -> Result<Self, ProviderError> {
        let (Some(account_id), Some(role_name)) =
            (config.account_id.clone(), config.role_name.clone())
        else {
            return Err(token_only_error(""));
        };
        Ok(Self {
            source: TokenSource::new(config, oidc_url, cached, now)?,
            portal_url: portal_url.trim_end_matches('/').to_owned(),
            account_id,
            role_name,
            state: RoleState::Ask,
        })
    }

    /// The next request: the token refresh when needed, then
    /// `GetRoleCredentials`.
    ///
    /// # Errors
    ///
    /// [`ProviderError::UnexpectedCall`] while a request is pending or once
    /// the flow is over.
    pub fn poll_request(
        &mut self,
        _now: SystemTime,
    ) -> Result<http::Request<Vec<u8>>, ProviderError> {
        match (self.source.state, self.state) {
            (TokenState::Refresh, _) => self.source.refresh_request(),
            (TokenState::Ready, RoleState::Ask) => {
                let mut token =
                    HeaderValue::from_str(&self.source.cached.access_token).map_err(|_| {
                        bad(S, "the cached token is not a valid header value".to_owned())
                    })?;
                token.set_sensitive(true);
                self.state = RoleState::Asked;
                build_request(
                    http::Request::builder()
                        .method(Method::GET)
                        .uri(format!(
                            "{}/federation/credentials?account_id={}&role_name={}",
                            self.portal_url,
                            utf8_percent_encode(&self.account_id, NON_ALPHANUMERIC),
                            utf8_percent_encode(&self.role_name, NON_ALPHANUMERIC)
                        ))
                        .header(BEARER_TOKEN_HEADER, token),
                    Vec::new(),
                )
            }
            (TokenState::Refreshing, _) | (_, RoleState::Asked) => {
                Err(ProviderError::UnexpectedCall("a request is pending"))
            }
            _ => Err(ProviderError::UnexpectedCall("the flow is over")),
        }
    }

    /// Handles the answer to the last request.
    ///
    /// # Errors
    ///
    /// The portal's error ([`ProviderError::Service`], service `sso`), an
    /// unreadable answer, or the refresh's error when the cached token has
    /// expired.
    pub fn handle_response<B: AsRef<[u8]>>(
        &mut self,
        response: &http::Response<B>,
        now: SystemTime,
    ) -> Result<super::Progress, ProviderError> {
        if self.source.state == TokenState::Refreshing {
            self.source.handle_refresh(response, now)?;
            return Ok(super::Progress::Continue);
        }
        if self.state != RoleState::Asked {
            return Err(ProviderError::UnexpectedCall("no request is pending"));
        }
        self.state = RoleState::Done;
        if !response.status().is_success() {
            return Err(rest_json_error(S, response));
        }
        parse_role_credentials(response.body().as_ref())
            .map(|c| c.with_account_id(Some(&self.account_id)))
            .map(super::Progress::Done)
    }

    /// After a token refresh, the new contents of the cache file.
    pub fn take_cache_update(&mut self) -> Option<Zeroizing<Vec<u8>>> {
        self.source.cache_update.take()
    }
}

/// The token cache file of `config`: `~/.aws/sso/cache/<name>` in the
/// environment's home directory.
pub fn cache_path(env: &dyn super::Environment, config: &SsoConfig) -> std::path::PathBuf {
    env.home_dir()
        .unwrap_or_default()
        .join(".aws")
        .join("sso")
        .join("cache")
        .join(config.cache_file_name())
}

/// Reads and parses `config`'s cached token through `env`.
///
/// # Errors
///
/// [`ProviderError::Io`] naming the file when it cannot be read (`aws sso
/// login` has not run), [`ProviderError::InvalidResponse`] when it is
/// malformed.
pub fn read_cached_token(
    env: &dyn super::Environment,
    config: &SsoConfig,
) -> Result<(std::path::PathBuf, SsoCachedToken), ProviderError> {
    let path = cache_path(env, config);
    let bytes = Zeroizing::new(env.read_file(&path).map_err(|e| ProviderError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    })?);
    let token = SsoCachedToken::parse(&bytes)?;
    Ok((path, token))
}

/// The bearer-token flow of profile `profile`, its cache read through
/// `env`; the OIDC service is `endpoints`' (see
/// [`Endpoints`](super::endpoint::Endpoints)). Returns the cache file's
/// path too, where [`SsoTokenFlow::take_cache_update`] goes.
///
/// # Errors
///
/// [`ProviderError::InvalidConfig`] when the profile configures no SSO
/// session; the errors of [`SsoConfig::from_profile`],
/// [`read_cached_token`] and [`SsoTokenFlow::new`].
pub fn token_flow(
    env: &dyn super::Environment,
    profiles: &ProfileSet,
    profile: &str,
    endpoints: &super::endpoint::Endpoints,
    now: SystemTime,
) -> Result<(SsoTokenFlow, std::path::PathBuf), ProviderError> {
    let config = SsoConfig::from_profile(profiles, profile)?
        .filter(|c| c.session_name.is_some())
        .ok_or_else(|| invalid(profile, "it configures no sso_session".to_owned()))?;
    let (path, cached) = read_cached_token(env, &config)?;
    let oidc = endpoints.url(super::endpoint::Service::SsoOidc, &config.region);
    Ok((SsoTokenFlow::new(config, &oidc, cached, now)?, path))
}

/// The error for a profile that configures a token, not credentials.
pub(crate) fn token_only_error(profile: &str) -> ProviderError {
    invalid(
        profile,
        "its sso-session has no sso_account_id and sso_role_name: the profile resolves an access token instead of credentials".to_owned(),
    )
}

/// Parses a `GetRoleCredentials` answer:
/// `{"roleCredentials": {"accessKeyId", "secretAccessKey", "sessionToken",
/// "expiration"}}`, the expiration in milliseconds since 1970. Never panics.
///
/// # Errors
///
/// [`ProviderError::InvalidResponse`] for a malformed document,
/// [`ProviderError::Credentials`] for unusable keys.
pub fn parse_role_credentials(body: &[u8]) -> Result<Credentials, ProviderError> {
    let map = json::object(body, S)?;
    let Some(Value::Object(creds)) = map.get("roleCredentials") else {
        return Err(bad(S, "roleCredentials is missing".to_owned()));
    };
    let key = json::req_str(creds, "accessKeyId", S)?;
    let secret = json::req_str(creds, "secretAccessKey", S)?;
    let token = super::token_text(json::opt_str(creds, "sessionToken", S)?);
    let millis = creds
        .get("expiration")
        .and_then(Value::as_u64)
        .ok_or_else(|| bad(S, "expiration is missing or not a number".to_owned()))?;
    let expiry = UNIX_EPOCH
        .checked_add(Duration::from_millis(millis))
        .ok_or_else(|| bad(S, "expiration is out of range".to_owned()))?;
    Ok(Credentials::build(key, secret, token, Some(expiry))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(status: u16, body: &str) -> http::Response<Vec<u8>> {
        http::Response::builder()
            .status(status)
            .body(body.as_bytes().to_vec())
            .unwrap()
    }

    const NOW: Duration = Duration::from_secs(1_700_000_000);

    fn session_config() -> SsoConfig {
        let config = "[profile dev]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = ReadOnly\n[sso-session corp]\nsso_region = us-east-1\nsso_start_url = https://corp.awsapps.com/start\n";
        let set = ProfileSet::parse(Some(config), None).unwrap();
        SsoConfig::from_profile(&set, "dev").unwrap().unwrap()
    }

    fn cached(expires: &str, refreshable: bool) -> SsoCachedToken {
        let extra = if refreshable {
            ",\"refreshToken\":\"rt\",\"clientId\":\"cid\",\"clientSecret\":\"cs\",\"registrationExpiresAt\":\"2099-01-01T00:00:00Z\""
        } else {
            ""
        };
        SsoCachedToken::parse(
            format!("{{\"accessToken\":\"at\",\"expiresAt\":\"{expires}\"{extra}}}").as_bytes(),
        )
        .unwrap()
    }

    #[test]
    fn cache_file_names_are_sha1_of_session_or_start_url() {
        assert_eq!(
            session_config().cache_file_name(),
            format!("{}.json", hex::encode(Sha1::digest(b"corp")))
        );
        let legacy = SsoConfig {
            session_name: None,
            start_url: "https://ssotest.awsapps.com/start".into(),
            region: "us-east-2".into(),
            account_id: Some("1".into()),
            role_name: Some("r".into()),
        };
        // The file name of the SDKs' test data for this start URL.
        assert_eq!(
            legacy.cache_file_name(),
            "dace00cba5f8355ec9d274ceb2bcebdfbeed0e12.json"
        );
    }

    #[test]
    fn a_fresh_token_goes_straight_to_the_portal() {
        let now = UNIX_EPOCH + NOW;
        let mut flow = SsoFlow::new(
            session_config(),
            "https://portal.sso.us-east-1.amazonaws.com",
            "https://oidc.us-east-1.amazonaws.com",
            cached("2099-01-01T00:00:00Z", true),
            now,
        )
        .unwrap();
        let r = flow.poll_request(now).unwrap();
        assert_eq!(
            r.uri(),
            "https://portal.sso.us-east-1.amazonaws.com/federation/credentials?account_id=111122223333&role_name=ReadOnly"
        );
        assert_eq!(r.headers()[BEARER_TOKEN_HEADER], "at");
        assert!(r.headers()[BEARER_TOKEN_HEADER].is_sensitive());
        let body = r#"{"roleCredentials":{"accessKeyId":"ASIA","secretAccessKey":"s","sessionToken":"t","expiration":1700003600000}}"#;
        let super::super::Progress::Done(c) = flow.handle_response(&resp(200, body), now).unwrap()
        else {
            panic!()
        };
        assert_eq!(c.account_id(), Some("111122223333"));
        assert_eq!(
            c.expiry(),
            Some(UNIX_EPOCH + NOW + Duration::from_secs(3600))
        );
        assert!(flow.take_cache_update().is_none());
    }

    #[test]
    fn a_token_near_expiry_is_refreshed_and_the_cache_rewritten() {
        let now = UNIX_EPOCH + NOW;
        let soon = format_time(now + Duration::from_secs(60));
        let mut flow = SsoTokenFlow::new(
            session_config(),
            "https://oidc.us-east-1.amazonaws.com",
            cached(&soon, true),
            now,
        )
        .unwrap();
        let FlowStep::Send(r) = flow.poll(now).unwrap() else {
            panic!("expected a refresh")
        };
        assert_eq!(r.uri(), "https://oidc.us-east-1.amazonaws.com/token");
        let sent: Value = serde_json::from_slice(r.body()).unwrap();
        assert_eq!(
            sent,
            json!({"clientId":"cid","clientSecret":"cs","grantType":"refresh_token","refreshToken":"rt"})
        );
        flow.handle_response(
            &resp(200, r#"{"accessToken":"new","expiresIn":28800,"refreshToken":"rt2","tokenType":"Bearer"}"#),
            now,
        )
        .unwrap();
        let FlowStep::Done(token) = flow.poll(now).unwrap() else {
            panic!()
        };
        assert_eq!(token.token.as_str(), "new");
        assert_eq!(token.expiry, now + Duration::from_secs(28800));
        let written: Value = serde_json::from_slice(&flow.take_cache_update().unwrap()).unwrap();
        assert_eq!(written["accessToken"], "new");
        assert_eq!(written["refreshToken"], "rt2");
        assert_eq!(
            written["expiresAt"],
            format_time(now + Duration::from_secs(28800))
        );
        assert_eq!(written["registrationExpiresAt"], "2099-01-01T00:00:00Z");
    }

    #[test]
    fn a_failed_refresh_keeps_a_valid_token_and_reports_an_expired_one() {
        let now = UNIX_EPOCH + NOW;
        let soon = format_time(now + Duration::from_secs(60));
        let mut flow =
            SsoTokenFlow::new(session_config(), "https://oidc", cached(&soon, true), now).unwrap();
        flow.poll(now).unwrap();
        flow.handle_response(&resp(400, r#"{"error":"invalid_grant"}"#), now)
            .unwrap();
        assert!(matches!(flow.poll(now).unwrap(), FlowStep::Done(_)));

        let past = format_time(now - Duration::from_secs(60));
        let mut flow =
            SsoTokenFlow::new(session_config(), "https://oidc", cached(&past, true), now).unwrap();
        flow.poll(now).unwrap();
        let err = flow
            .handle_response(&resp(400, r#"{"error":"invalid_grant"}"#), now)
            .unwrap_err();
        assert!(
            matches!(err, ProviderError::Service { ref code, .. } if code == "invalid_grant"),
            "{err:?}"
        );
        // Expired and not refreshable: an error before any request.
        let err = SsoTokenFlow::new(session_config(), "https://oidc", cached(&past, false), now)
            .unwrap_err();
        assert!(matches!(err, ProviderError::TokenExpired { .. }), "{err:?}");
    }

    #[test]
    fn configuration_errors() {
        let cases = [
            (
                "[profile a]\nsso_role_name = r\nsso_start_url = u\nsso_region = x\n",
                "sso_account_id must be set",
            ),
            (
                "[profile a]\nsso_account_id = 1\nsso_start_url = u\nsso_region = x\n",
                "sso_role_name must be set",
            ),
            ("[profile a]\nsso_session = ghost\n", "does not exist"),
            (
                "[profile a]\nsso_session = s\nsso_region = x\n[sso-session s]\nsso_start_url = u\n",
                "sso_region must be set in the [sso-session s]",
            ),
            (
                "[profile a]\nsso_session = s\nsso_region = y\n[sso-session s]\nsso_start_url = u\nsso_region = x\n",
                "differs",
            ),
            (
                "[profile a]\nsso_start_url = u\nsso_account_id = 1\nsso_role_name = r\n",
                "sso_region",
            ),
        ];
        for (config, needle) in cases {
            let set = ProfileSet::parse(Some(config), None).unwrap();
            let err = SsoConfig::from_profile(&set, "a").unwrap_err().to_string();
            assert!(err.contains(needle), "{config:?}: {err}");
        }
        let set = ProfileSet::parse(Some("[profile a]\nregion = x\n"), None).unwrap();
        assert_eq!(SsoConfig::from_profile(&set, "a").unwrap(), None);
    }

    #[test]
    fn portal_errors_keep_code_and_message() {
        let now = UNIX_EPOCH + NOW;
        let mut flow = SsoFlow::new(
            session_config(),
            "https://portal",
            "https://oidc",
            cached("2099-01-01T00:00:00Z", false),
            now,
        )
        .unwrap();
        flow.poll_request(now).unwrap();
        let response = http::Response::builder()
            .status(401)
            .header("x-amzn-errortype", "UnauthorizedException:http://internal")
            .body(br#"{"message":"Session token not found or invalid"}"#.to_vec())
            .unwrap();
        assert_eq!(
            flow.handle_response(&response, now).unwrap_err(),
            ProviderError::Service {
                service: "sso",
                status: 401,
                code: "UnauthorizedException".into(),
                message: "Session token not found or invalid".into()
            }
        );
    }
}
