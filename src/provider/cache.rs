//! A refreshing credentials cache shared between threads, and a signer that
//! signs with whatever credentials a provider currently has.
//!
//! The cache returns its credentials until `window` (default 5 minutes)
//! before they expire, then asks for new ones. Only one caller refreshes
//! at a time: while it does, the others get the still-valid credentials,
//! or wait for the refresh when there are none. A failed refresh keeps
//! serving credentials that have not expired yet and reports the error
//! in [`Cached::refresh_error`]. Credentials without an expiry never
//! expire. The time is always an argument, so tests need no sleeping.
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use awsig::provider::cache::DEFAULT_REFRESH_WINDOW;
//! use awsig::provider::{ProviderSigner, RefreshingProvider};
//! use awsig::{Credentials, PayloadHash};
//!
//! // The fetch function would run the default chain or one flow; this one
//! // mints credentials valid for an hour.
//! let provider = RefreshingProvider::new(DEFAULT_REFRESH_WINDOW, |now: SystemTime| {
//!     let expiry = now + Duration::from_secs(3600);
//!     Ok(Credentials::with_session_token("ASIAEXAMPLE", "secret", "token", Some(expiry))?)
//! });
//! let signer = ProviderSigner::new(provider, "us-east-1", "s3")?;
//! let mut request = http::Request::get("https://examplebucket.s3.amazonaws.com/test.txt")
//!     .body(())
//!     .unwrap();
//! signer.sign(&mut request, &PayloadHash::Unsigned, SystemTime::now())?;
//! assert!(request.headers().contains_key("x-amz-security-token"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::sync::{Condvar, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, SystemTime};

use super::ProviderError;
use crate::{
    Credentials, PayloadHash, PresignOutput, Region, Service, Settings, SignableRequest, Signature,
    Signer, SigningOutput,
};

/// The default refresh window, as in the AWS SDKs.
pub const DEFAULT_REFRESH_WINDOW: Duration = Duration::from_secs(300);

/// What [`CredentialsCache::get_or_refresh`] returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cached {
    /// Credentials valid at the time asked.
    pub credentials: Credentials,
    /// The error of a refresh that failed while these were still valid.
    pub refresh_error: Option<ProviderError>,
}

#[derive(Debug, Default)]
struct State {
    current: Option<Credentials>,
    refreshing: bool,
    /// Bumped after every refresh, so waiters notice one finished.
    generation: u64,
    last_error: Option<ProviderError>,
}

/// Credentials kept until shortly before they expire, refreshed by one
/// caller at a time. Share it (for example in an `Arc`) between threads.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use awsig::Credentials;
/// use awsig::provider::CredentialsCache;
///
/// let cache = CredentialsCache::new(Duration::from_secs(300));
/// let now = SystemTime::now();
/// // The first call runs the refresh (here, credentials valid for an hour)...
/// let first = cache.get_or_refresh(now, || {
///     Ok(Credentials::build("ASIAEXAMPLE", "secret", Some("token"), Some(now + Duration::from_secs(3600)))?)
/// })?;
/// assert_eq!(first.credentials.access_key_id(), "ASIAEXAMPLE");
/// // ...the next ones, while the credentials are fresh, do not.
/// let again = cache.get_or_refresh(now, || unreachable!("still fresh"))?;
/// assert_eq!(again.credentials, first.credentials);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct CredentialsCache {
    window: Duration,
    state: Mutex<State>,
    done: Condvar,
}

impl Default for CredentialsCache {
    fn default() -> Self {
        Self::new(DEFAULT_REFRESH_WINDOW)
    }
}

fn valid_at(c: &Credentials, now: SystemTime) -> bool {
    c.expiry().is_none_or(|e| now < e)
}

fn fresh_at(c: &Credentials, now: SystemTime, window: Duration) -> bool {
    match c.expiry() {
        None => true,
        Some(e) => e.checked_sub(window).is_some_and(|start| now < start),
    }
}

impl CredentialsCache {
    /// An empty cache that refreshes `window` before expiry.
    pub fn new(window: Duration) -> Self {
        Self {
            window,
            state: Mutex::new(State::default()),
            done: Condvar::new(),
        }
    }

    /// A cache holding these credentials already.
    pub fn with_credentials(window: Duration, credentials: Credentials) -> Self {
        let cache = Self::new(window);
        cache.lock().current = Some(credentials);
        cache
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The credentials held now, fresh or not.
    pub fn current(&self) -> Option<Credentials> {
        self.lock().current.clone()
    }

    /// Cached credentials if fresh at `now`; otherwise runs `refresh` (in
    /// one caller only) and caches its result.
    ///
    /// # Errors
    ///
    /// the error `refresh` returns, when no still-valid credentials are cached to serve instead (a refresh that fails while they are valid is reported in [`Cached::refresh_error`] instead).
    pub fn get_or_refresh<F>(&self, now: SystemTime, refresh: F) -> Result<Cached, ProviderError>
    where
        F: FnOnce() -> Result<Credentials, ProviderError>,
    {
        let mut state = self.lock();
        loop {
            if let Some(c) = &state.current
                && fresh_at(c, now, self.window)
            {
                return Ok(Cached {
                    credentials: c.clone(),
                    refresh_error: None,
                });
            }
            if !state.refreshing {
                break;
            }
            // Someone else refreshes: serve what is still valid, or wait.
            if let Some(c) = state.current.as_ref().filter(|c| valid_at(c, now)) {
                return Ok(Cached {
                    credentials: c.clone(),
                    refresh_error: None,
                });
            }
            let generation = state.generation;
            while state.refreshing && state.generation == generation {
                state = self
                    .done
                    .wait(state)
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
            }
            if let Some(c) = state.current.as_ref().filter(|c| valid_at(c, now)) {
                return Ok(Cached {
                    credentials: c.clone(),
                    refresh_error: None,
                });
            }
            if let Some(e) = &state.last_error {
                return Err(e.clone());
            }
        }
        state.refreshing = true;
        drop(state);

        // A panicking refresh must not leave the others waiting forever.
        struct Reset<'a>(&'a CredentialsCache, bool);
        impl Drop for Reset<'_> {
            fn drop(&mut self) {
                if !self.1 {
                    let mut s = self.0.lock();
                    s.refreshing = false;
                    s.generation = s.generation.wrapping_add(1);
                    drop(s);
                    self.0.done.notify_all();
                }
            }
        }
        let mut guard = Reset(self, false);
        let result = refresh();
        guard.1 = true;

        let mut state = self.lock();
        state.refreshing = false;
        state.generation = state.generation.wrapping_add(1);
        let out = match result {
            Ok(c) => {
                state.current = Some(c.clone());
                state.last_error = None;
                Ok(Cached {
                    credentials: c,
                    refresh_error: None,
                })
            }
            Err(e) => {
                state.last_error = Some(e.clone());
                match state.current.as_ref().filter(|c| valid_at(c, now)) {
                    Some(c) => Ok(Cached {
                        credentials: c.clone(),
                        refresh_error: Some(e),
                    }),
                    None => Err(e),
                }
            }
        };
        drop(state);
        self.done.notify_all();
        out
    }
}

/// Anything that can give credentials valid at a time.
pub trait ProvideCredentials: Send + Sync {
    /// Credentials valid at `now`.
    ///
    /// # Errors
    ///
    /// the provider's [`ProviderError`] when it has no valid credentials to give at `now`.
    fn provide(&self, now: SystemTime) -> Result<Credentials, ProviderError>;
}

/// Static credentials provide themselves.
impl ProvideCredentials for Credentials {
    fn provide(&self, _now: SystemTime) -> Result<Credentials, ProviderError> {
        Ok(self.clone())
    }
}

/// A fetch function behind a [`CredentialsCache`].
pub struct RefreshingProvider<F> {
    cache: CredentialsCache,
    fetch: F,
}

impl<F> std::fmt::Debug for RefreshingProvider<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RefreshingProvider")
            .field("cache", &self.cache)
            .finish()
    }
}

impl<F> RefreshingProvider<F>
where
    F: Fn(SystemTime) -> Result<Credentials, ProviderError> + Send + Sync,
{
    /// Calls `fetch` whenever the cache needs fresh credentials.
    pub fn new(window: Duration, fetch: F) -> Self {
        Self {
            cache: CredentialsCache::new(window),
            fetch,
        }
    }

    /// The cache.
    pub fn cache(&self) -> &CredentialsCache {
        &self.cache
    }

    /// Credentials with the error of a failed refresh, if any.
    ///
    /// # Errors
    ///
    /// what the fetch function returns, when no still-valid credentials are cached (see [`CredentialsCache::get_or_refresh`]).
    pub fn get(&self, now: SystemTime) -> Result<Cached, ProviderError> {
        self.cache.get_or_refresh(now, || (self.fetch)(now))
    }
}

impl<F> ProvideCredentials for RefreshingProvider<F>
where
    F: Fn(SystemTime) -> Result<Credentials, ProviderError> + Send + Sync,
{
    fn provide(&self, now: SystemTime) -> Result<Credentials, ProviderError> {
        self.get(now).map(|c| c.credentials)
    }
}

/// Why [`ProviderSigner`] could not sign: no credentials, or a request
/// that cannot be signed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// The provider has no valid credentials.
    #[error("no credentials to sign with: {0}")]
    Credentials(ProviderError),
    /// The request cannot be signed (its URI, headers, expiry, ...).
    #[error("cannot sign the request: {0}")]
    Signing(#[from] crate::Error),
}

/// A [`Signer`] whose credentials come from a provider at each request.
///
/// Building it fetches nothing: an agent starts even while the instance
/// metadata service or STS is down, and the first request asks the
/// provider (and fails with [`SignError::Credentials`], saying why, while
/// the source is still down).
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use awsig::{Credentials, PayloadHash};
/// use awsig::provider::{ProviderSigner, RefreshingProvider};
///
/// // Any `ProvideCredentials`: here a fetch function behind a cache that
/// // refreshes 5 minutes before expiry (fetching from STS, IMDS, ...).
/// let provider = RefreshingProvider::new(Duration::from_secs(300), |now: SystemTime| {
///     Ok(Credentials::build(
///         "ASIAEXAMPLE",
///         "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
///         Some("session-token"),
///         Some(now + Duration::from_secs(3600)),
///     )?)
/// });
/// let signer = ProviderSigner::new(provider, "us-west-2", "aps")?;
///
/// let body = b"snappy-compressed remote_write payload".to_vec();
/// let mut request = http::Request::post(
///     "https://aps-workspaces.us-west-2.amazonaws.com/workspaces/ws-1/api/v1/remote_write",
/// )
/// .body(body)
/// .unwrap();
/// signer.sign_body(&mut request, SystemTime::now())?;
/// assert!(request.headers().contains_key("x-amz-security-token"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// Its daily signing-key cache is keyed by the credentials, so a rotation
/// derives a new key on the next request.
pub struct ProviderSigner<P> {
    signer: LazySigner,
    provider: P,
}

impl<P> std::fmt::Debug for ProviderSigner<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderSigner")
            .field("region", self.signer.region())
            .field("service", self.signer.service())
            .field("settings", self.signer.settings())
            .finish()
    }
}

/// A region, service and settings, and the [`Signer`] for them, built with
/// the first credentials that come (it holds the daily key cache; each
/// request is signed with the credentials of the moment).
#[derive(Debug)]
pub(crate) struct LazySigner {
    region: Region,
    service: Service,
    settings: Settings,
    signer: OnceLock<Signer>,
}

impl LazySigner {
    /// Checks the region and service; builds nothing yet.
    pub(crate) fn new(region: &str, service: &str) -> Result<Self, crate::Error> {
        let region = Region::new(region)?;
        let service = Service::new(service)?;
        Ok(Self {
            settings: Settings::for_service(service.as_str()),
            region,
            service,
            signer: OnceLock::new(),
        })
    }

    pub(crate) fn set_settings(&mut self, settings: Settings) {
        self.settings = settings;
        if let Some(signer) = self.signer.take() {
            self.signer = OnceLock::from(signer.with_settings(settings));
        }
    }

    pub(crate) fn region(&self) -> &Region {
        &self.region
    }

    pub(crate) fn service(&self) -> &Service {
        &self.service
    }

    pub(crate) fn settings(&self) -> &Settings {
        &self.settings
    }

    pub(crate) fn built(&self) -> Option<&Signer> {
        self.signer.get()
    }

    /// The signer, built with `credentials` if it is not yet.
    pub(crate) fn get(&self, credentials: &Credentials) -> Result<&Signer, crate::Error> {
        if let Some(signer) = self.signer.get() {
            return Ok(signer);
        }
        let built = Signer::new(
            credentials.clone(),
            self.region.as_str(),
            self.service.as_str(),
        )?
        .with_settings(self.settings);
        Ok(self.signer.get_or_init(|| built))
    }
}

impl<P: ProvideCredentials> ProviderSigner<P> {
    /// A signer for `region` and `service`, with the service's preset
    /// settings ([`Settings::for_service`]). Asks the provider nothing yet.
    ///
    /// # Errors
    ///
    /// [`ProviderError::Credentials`] wrapping [`Error::InvalidRegion`](crate::Error::InvalidRegion) or [`Error::InvalidService`](crate::Error::InvalidService) when `region` or `service` is not valid.
    pub fn new(provider: P, region: &str, service: &str) -> Result<Self, ProviderError> {
        Ok(Self {
            signer: LazySigner::new(region, service)?,
            provider,
        })
    }

    /// Replaces the settings.
    pub fn with_settings(mut self, settings: Settings) -> Self {
        self.signer.set_settings(settings);
        self
    }

    /// Sets the check of each request's host against the region and
    /// service ([`Settings::with_endpoint_check`]).
    pub fn with_endpoint_check(self, check: crate::EndpointCheck) -> Self {
        let settings = self.settings().with_endpoint_check(check);
        self.with_settings(settings)
    }

    /// The region.
    pub fn region(&self) -> &Region {
        self.signer.region()
    }

    /// The service.
    pub fn service(&self) -> &Service {
        self.signer.service()
    }

    /// The settings.
    pub fn settings(&self) -> &Settings {
        self.signer.settings()
    }

    /// The inner signer, once a request has been signed (it is built with
    /// the first credentials the provider gives).
    pub fn signer(&self) -> Option<&Signer> {
        self.signer.built()
    }

    /// The provider.
    pub fn provider(&self) -> &P {
        &self.provider
    }

    /// The provider's credentials at `now`, and the signer to sign with.
    fn credentials(&self, now: SystemTime) -> Result<(Credentials, &Signer), SignError> {
        let credentials = self.provider.provide(now).map_err(SignError::Credentials)?;
        let signer = self.signer.get(&credentials)?;
        Ok((credentials, signer))
    }

    /// Signs headers in place with the provider's current credentials, as
    /// [`Signer::sign`] (the URI rewritten into the form every client sends).
    ///
    /// # Errors
    ///
    /// [`SignError::Credentials`] when the provider has none,
    /// [`SignError::Signing`] when the request cannot be signed.
    pub fn sign<B>(
        &self,
        request: &mut http::Request<B>,
        payload: &PayloadHash,
        now: SystemTime,
    ) -> Result<Signature, SignError> {
        let (credentials, signer) = self.credentials(now)?;
        let method = request.method().clone();
        let mut uri = std::mem::take(request.uri_mut());
        let signed = signer.sign_head_with(
            &credentials,
            &method,
            &mut uri,
            request.headers_mut(),
            payload,
            now,
        );
        *request.uri_mut() = uri;
        Ok(signed?)
    }

    /// Signs headers in place, hashing the request's own body:
    /// `signer.sign_body(&mut request, now)`.
    ///
    /// # Errors
    ///
    /// As [`ProviderSigner::sign`].
    pub fn sign_body<B: AsRef<[u8]>>(
        &self,
        request: &mut http::Request<B>,
        now: SystemTime,
    ) -> Result<Signature, SignError> {
        let payload = PayloadHash::of(request.body().as_ref());
        self.sign(request, &payload, now)
    }

    /// Presigns an `http::Request` in place (the signature goes into the
    /// query), as [`Signer::presign`], with the provider's current
    /// credentials.
    ///
    /// # Errors
    ///
    /// As [`ProviderSigner::sign`]; an expiry over 7 days is a
    /// [`SignError::Signing`].
    pub fn presign<B>(
        &self,
        request: &mut http::Request<B>,
        expires: Duration,
        payload: &PayloadHash,
        now: SystemTime,
    ) -> Result<Signature, SignError> {
        let (credentials, signer) = self.credentials(now)?;
        let method = request.method().clone();
        let mut uri = std::mem::take(request.uri_mut());
        let signed = signer.presign_head_with(
            &credentials,
            &method,
            &mut uri,
            request.headers(),
            expires,
            payload,
            now,
        );
        *request.uri_mut() = uri;
        Ok(signed?)
    }

    /// The headers to add, with the provider's current credentials.
    ///
    /// # Errors
    ///
    /// As [`ProviderSigner::sign`].
    pub fn signing_output(
        &self,
        request: &SignableRequest<'_>,
        payload: &PayloadHash,
        now: SystemTime,
    ) -> Result<SigningOutput, SignError> {
        let (credentials, signer) = self.credentials(now)?;
        Ok(signer.signing_output_with(&credentials, request, payload, now)?)
    }

    /// The presign parameters, with the provider's current credentials.
    ///
    /// # Errors
    ///
    /// As [`ProviderSigner::presign`].
    pub fn presign_output(
        &self,
        request: &SignableRequest<'_>,
        expires: Duration,
        payload: &PayloadHash,
        now: SystemTime,
    ) -> Result<PresignOutput, SignError> {
        let (credentials, signer) = self.credentials(now)?;
        Ok(signer.presign_output_with(&credentials, request, expires, payload, now)?)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Barrier};
    use std::time::UNIX_EPOCH;

    use super::*;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn creds(id: &str, expires: Option<u64>) -> Credentials {
        Credentials::with_session_token(id, "secret", "token", expires.map(at)).unwrap()
    }

    #[test]
    fn refreshes_inside_the_window_only() {
        let cache = CredentialsCache::default();
        let calls = AtomicUsize::new(0);
        let fetch = |id: &'static str, exp: u64| {
            let calls = &calls;
            move || {
                calls.fetch_add(1, Ordering::SeqCst);
                Ok(creds(id, Some(exp)))
            }
        };
        // Empty: fetches.
        assert_eq!(
            cache
                .get_or_refresh(at(0), fetch("A", 1000))
                .unwrap()
                .credentials
                .access_key_id(),
            "A"
        );
        // 1000 - 300 = 700: before it, cached.
        assert_eq!(
            cache
                .get_or_refresh(at(699), fetch("B", 2000))
                .unwrap()
                .credentials
                .access_key_id(),
            "A"
        );
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        // At 700, inside the window: refreshes.
        assert_eq!(
            cache
                .get_or_refresh(at(700), fetch("B", 2000))
                .unwrap()
                .credentials
                .access_key_id(),
            "B"
        );
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn configurable_window() {
        let cache =
            CredentialsCache::with_credentials(Duration::from_secs(10), creds("A", Some(100)));
        let got = cache
            .get_or_refresh(at(89), || Ok(creds("B", Some(200))))
            .unwrap();
        assert_eq!(got.credentials.access_key_id(), "A");
        let got = cache
            .get_or_refresh(at(90), || Ok(creds("B", Some(200))))
            .unwrap();
        assert_eq!(got.credentials.access_key_id(), "B");
    }

    #[test]
    fn failed_refresh_serves_stale_but_valid_and_reports() {
        let cache =
            CredentialsCache::with_credentials(DEFAULT_REFRESH_WINDOW, creds("A", Some(1000)));
        let err = ProviderError::NoInstanceRole;
        let got = cache.get_or_refresh(at(800), || Err(err.clone())).unwrap();
        assert_eq!(got.credentials.access_key_id(), "A");
        assert_eq!(got.refresh_error, Some(err.clone()));
        // Expired: the error comes through.
        assert_eq!(
            cache.get_or_refresh(at(1000), || Err(err.clone())),
            Err(err)
        );
        // And a later success replaces them.
        let got = cache
            .get_or_refresh(at(1001), || Ok(creds("B", Some(5000))))
            .unwrap();
        assert_eq!(
            (got.credentials.access_key_id(), got.refresh_error),
            ("B", None)
        );
    }

    #[test]
    fn static_credentials_never_expire() {
        let cache = CredentialsCache::with_credentials(DEFAULT_REFRESH_WINDOW, creds("S", None));
        let got = cache
            .get_or_refresh(at(u32::MAX as u64), || {
                panic!("static credentials refreshed")
            })
            .unwrap();
        assert_eq!(got.credentials.access_key_id(), "S");
    }

    #[test]
    fn concurrent_callers_trigger_one_refresh_while_stale_is_served() {
        const N: usize = 8;
        let cache = Arc::new(CredentialsCache::with_credentials(
            DEFAULT_REFRESH_WINDOW,
            creds("OLD", Some(1000)),
        ));
        let calls = Arc::new(AtomicUsize::new(0));
        let served_old = Arc::new(AtomicUsize::new(0));
        let start = Arc::new(Barrier::new(N));
        let handles: Vec<_> = (0..N)
            .map(|_| {
                let (cache, calls, served_old, start) = (
                    cache.clone(),
                    calls.clone(),
                    served_old.clone(),
                    start.clone(),
                );
                std::thread::spawn(move || {
                    start.wait();
                    let got = cache
                        .get_or_refresh(at(900), || {
                            calls.fetch_add(1, Ordering::SeqCst);
                            // Hold the refresh until every other caller was served.
                            let deadline = std::time::Instant::now() + Duration::from_secs(10);
                            while served_old.load(Ordering::SeqCst) < N - 1
                                && std::time::Instant::now() < deadline
                            {
                                std::thread::yield_now();
                            }
                            Ok(creds("NEW", Some(5000)))
                        })
                        .unwrap();
                    if got.credentials.access_key_id() == "OLD" {
                        served_old.fetch_add(1, Ordering::SeqCst);
                    }
                    got.credentials.access_key_id().to_owned()
                })
            })
            .collect();
        let ids: Vec<String> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(ids.iter().filter(|i| *i == "NEW").count(), 1);
        assert_eq!(ids.iter().filter(|i| *i == "OLD").count(), N - 1);
    }

    #[test]
    fn concurrent_callers_on_an_empty_cache_wait_for_one_refresh() {
        const N: usize = 8;
        let cache = Arc::new(CredentialsCache::default());
        let calls = Arc::new(AtomicUsize::new(0));
        let start = Arc::new(Barrier::new(N));
        let handles: Vec<_> = (0..N)
            .map(|_| {
                let (cache, calls, start) = (cache.clone(), calls.clone(), start.clone());
                std::thread::spawn(move || {
                    start.wait();
                    cache
                        .get_or_refresh(at(0), || {
                            calls.fetch_add(1, Ordering::SeqCst);
                            std::thread::sleep(Duration::from_millis(50));
                            Ok(creds("ONE", Some(5000)))
                        })
                        .unwrap()
                        .credentials
                        .access_key_id()
                        .to_owned()
                })
            })
            .collect();
        for h in handles {
            assert_eq!(h.join().unwrap(), "ONE");
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn provider_signer_signs_its_own_body_presigns_and_keeps_errors_apart() {
        let provider = creds("AKIDBODY", Some(1_000_000));
        let signer = ProviderSigner::new(provider, "us-east-1", "sqs").unwrap();
        let mut req = http::Request::post("https://sqs.us-east-1.amazonaws.com/")
            .body(b"{}".to_vec())
            .unwrap();
        signer.sign_body(&mut req, at(10)).unwrap();
        let mut plain = http::Request::post("https://sqs.us-east-1.amazonaws.com/")
            .body(b"{}".to_vec())
            .unwrap();
        Signer::new(creds("AKIDBODY", Some(1_000_000)), "us-east-1", "sqs")
            .unwrap()
            .sign(&mut plain, &PayloadHash::of(b"{}"), at(10))
            .unwrap();
        assert_eq!(req.headers(), plain.headers());

        let mut get = http::Request::get("https://sqs.us-east-1.amazonaws.com/?Action=ListQueues")
            .body(())
            .unwrap();
        signer
            .presign(
                &mut get,
                Duration::from_secs(60),
                &PayloadHash::empty(),
                at(10),
            )
            .unwrap();
        assert!(get.uri().query().unwrap().contains("X-Amz-Signature="));
        assert!(matches!(
            signer.presign(
                &mut get,
                Duration::from_secs(8 * 86_400),
                &PayloadHash::empty(),
                at(10)
            ),
            Err(SignError::Signing(_))
        ));

        struct Down;
        impl ProvideCredentials for Down {
            fn provide(&self, _: SystemTime) -> Result<Credentials, ProviderError> {
                Err(ProviderError::NoInstanceRole)
            }
        }
        let signer = ProviderSigner::new(Down, "us-east-1", "sqs").unwrap();
        let mut req = http::Request::get("https://sqs.us-east-1.amazonaws.com/")
            .body(Vec::new())
            .unwrap();
        assert_eq!(
            signer.sign_body(&mut req, at(0)),
            Err(SignError::Credentials(ProviderError::NoInstanceRole))
        );
        assert!(matches!(
            ProviderSigner::new(Down, "us east", "sqs"),
            Err(ProviderError::Credentials(
                crate::Error::InvalidRegion { .. }
            ))
        ));
    }

    /// A source that is down until `up` is set, counting the calls.
    struct Flaky {
        up: std::sync::atomic::AtomicBool,
        calls: AtomicUsize,
    }

    impl ProvideCredentials for Flaky {
        fn provide(&self, _: SystemTime) -> Result<Credentials, ProviderError> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            if self.up.load(Ordering::SeqCst) {
                Ok(creds("AKIDUP", None))
            } else {
                Err(ProviderError::Transport {
                    service: "imds",
                    message: "http://169.254.169.254 timed out".to_owned(),
                })
            }
        }
    }

    #[test]
    fn provider_signer_starts_while_the_source_is_down() {
        let signer = ProviderSigner::new(
            Flaky {
                up: false.into(),
                calls: AtomicUsize::new(0),
            },
            "us-east-1",
            "sqs",
        )
        .unwrap();
        // Building asked nothing.
        assert_eq!(signer.provider().calls.load(Ordering::SeqCst), 0);
        assert!(signer.signer().is_none());
        let mut req = http::Request::post("https://sqs.us-east-1.amazonaws.com/")
            .body(b"{}".to_vec())
            .unwrap();
        // The first request fails with the reason, and sends nothing signed.
        let err = signer.sign_body(&mut req, at(10)).unwrap_err();
        assert!(err.to_string().contains("timed out"), "{err}");
        assert!(!req.headers().contains_key("authorization"));
        assert_eq!(signer.provider().calls.load(Ordering::SeqCst), 1);
        // Once the source is up, the same signer signs.
        signer.provider().up.store(true, Ordering::SeqCst);
        signer.sign_body(&mut req, at(10)).unwrap();
        assert!(
            req.headers()["authorization"]
                .to_str()
                .unwrap()
                .contains("Credential=AKIDUP/")
        );
        assert_eq!(signer.provider().calls.load(Ordering::SeqCst), 2);
        assert!(signer.signer().is_some());
    }

    #[test]
    fn provider_signer_sends_what_it_signs_and_checks_the_endpoint() {
        // With S3's rules a raw '+' is sent as %2B, as Signer::sign sends it.
        let signer = ProviderSigner::new(creds("AKIDS3", None), "us-east-1", "s3").unwrap();
        let plain = Signer::new(creds("AKIDS3", None), "us-east-1", "s3").unwrap();
        let request = || {
            http::Request::put("https://bucket.s3.us-east-1.amazonaws.com/a+b.txt")
                .body(b"x".to_vec())
                .unwrap()
        };
        let (mut ours, mut theirs) = (request(), request());
        signer.sign_body(&mut ours, at(10)).unwrap();
        plain
            .sign(&mut theirs, &PayloadHash::of(b"x"), at(10))
            .unwrap();
        assert_eq!(ours.uri().path(), "/a%2Bb.txt");
        assert_eq!(
            (ours.uri(), ours.headers()),
            (theirs.uri(), theirs.headers())
        );
        let mut get = request();
        signer
            .presign(
                &mut get,
                Duration::from_secs(60),
                &PayloadHash::Unsigned,
                at(10),
            )
            .unwrap();
        assert!(
            get.uri()
                .path_and_query()
                .unwrap()
                .as_str()
                .starts_with("/a%2Bb.txt?")
        );

        // The endpoint check refuses another region's host, naming both.
        let signer = ProviderSigner::new(creds("AKIDS3", None), "us-east-1", "sqs")
            .unwrap()
            .with_endpoint_check(crate::EndpointCheck::Refuse);
        let mut req = http::Request::post("https://sqs.eu-west-1.amazonaws.com/")
            .body(Vec::new())
            .unwrap();
        let err = signer.sign_body(&mut req, at(10)).unwrap_err();
        assert!(
            matches!(&err, SignError::Signing(crate::Error::EndpointMismatch(m))
                if m.host_region.as_deref() == Some("eu-west-1") && m.region == "us-east-1"),
            "{err:?}"
        );
        assert!(!req.headers().contains_key("authorization"));
    }

    #[test]
    fn provider_signer_follows_rotation() {
        let n = AtomicUsize::new(0);
        let provider = RefreshingProvider::new(DEFAULT_REFRESH_WINDOW, move |now: SystemTime| {
            let i = n.fetch_add(1, Ordering::SeqCst);
            let exp = now + Duration::from_secs(600);
            Credentials::with_session_token(
                &format!("AKID{i}"),
                &format!("secret{i}"),
                "tok",
                Some(exp),
            )
            .map_err(ProviderError::from)
        });
        let signer = ProviderSigner::new(provider, "us-east-1", "sts").unwrap();
        let sign = |now| {
            let mut req = http::Request::get("https://sts.amazonaws.com/")
                .body(())
                .unwrap();
            signer.sign(&mut req, &PayloadHash::of(b""), now).unwrap();
            req.headers()["authorization"].to_str().unwrap().to_owned()
        };
        let a = sign(at(1_000_000));
        assert!(a.contains("Credential=AKID0/"), "{a}");
        // Same credentials, same time: same signature.
        assert_eq!(sign(at(1_000_000)), a);
        // Inside the window: rotated, and the new key signs.
        let b = sign(at(1_000_400));
        assert!(b.contains("Credential=AKID1/"), "{b}");
        // The signature matches a fresh signer built with the new credentials.
        let fresh = Signer::new(
            signer.provider().cache().current().unwrap(),
            "us-east-1",
            "sts",
        )
        .unwrap();
        let mut req = http::Request::get("https://sts.amazonaws.com/")
            .body(())
            .unwrap();
        fresh
            .sign(&mut req, &PayloadHash::of(b""), at(1_000_400))
            .unwrap();
        assert_eq!(req.headers()["authorization"].to_str().unwrap(), b);
    }
}
