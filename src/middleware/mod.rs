//! Signing every request a client sends: a [`RefreshingSigner`] that signs
//! with the current credentials and a clock corrected for skew, and the
//! client integrations built on it.
//!
//! - `SigV4Layer` (feature `tower`): a `tower::Layer` for hyper, tonic and
//!   axum clients.
//! - `SigV4Middleware` (feature `reqwest-middleware`): a
//!   `reqwest_middleware::Middleware`.
//!
//! Both do the same thing for each request:
//!
//! 1. **Body.** A buffered body is hashed and its SHA-256 signed. A
//!    streaming body (one whose length is not known up front, or over the
//!    buffering limit) cannot be hashed before it is sent: for S3 over
//!    HTTPS it is signed as `UNSIGNED-PAYLOAD` (TLS protects it); for
//!    everything else the request is refused with
//!    [`SignError::StreamingBody`], which says how to send it instead.
//! 2. **Sign** with the credentials of the [`RefreshingCredentials`] (which
//!    fetch or refresh as needed) at the signer's corrected time.
//! 3. **Clock skew.** When the answer is a skew rejection ([`crate::skew`]:
//!    `RequestTimeTooSkewed`, `InvalidSignatureException` "Signature
//!    expired", ...), the signer learns the offset from the response's
//!    `Date`, keeps it for the next requests, signs the request again and
//!    sends it once more. The offset is visible and settable
//!    ([`RefreshingSigner::clock_offset`],
//!    [`RefreshingSigner::set_clock_offset`]). A streaming body is sent
//!    once: it cannot be replayed.
//!
//! The signer needs a tokio runtime (see [`crate::refresh`]).

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::SystemTime;

use http::HeaderMap;

use crate::driver::ResolveError;
use crate::provider::cache::LazySigner;
use crate::refresh::RefreshingCredentials;
use crate::skew::{self, Skew};
use crate::{
    ContentSha256Header, EndpointCheck, PayloadHash, Region, Service, Settings, Signature,
};

#[cfg(feature = "reqwest-middleware")]
mod reqwest;
#[cfg(feature = "tower")]
mod tower;

#[cfg(feature = "reqwest-middleware")]
pub use reqwest::SigV4Middleware;
#[cfg(feature = "tower")]
pub use tower::{BoxError, ResponseBody, SigV4Layer, SigV4Service};

/// The largest body buffered to be hashed by default: 16 MiB. A body with
/// a known length over it is treated as a stream.
pub const DEFAULT_MAX_BUFFERED_BODY: u64 = 16 * 1024 * 1024;

/// Why a request could not be signed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// No valid credentials: the refresh failed (its error says why).
    #[error("no credentials to sign with: {0}")]
    Credentials(ResolveError),
    /// The request itself cannot be signed (its URI, headers, ...).
    #[error("cannot sign the request: {0}")]
    Signing(#[from] crate::Error),
    /// The body is a stream, and the service needs its hash.
    #[error(
        "cannot sign a streaming body for {service} ({reason}): send a buffered body \
         (bytes with a known length up to {limit} bytes), or sign it yourself with a \
         payload hash computed beforehand"
    )]
    StreamingBody {
        /// The signing name.
        service: String,
        /// Why the body is a stream: unknown length, or over the limit.
        reason: String,
        /// The buffering limit, in bytes.
        limit: u64,
    },
    /// The body could not be read.
    #[error("cannot read the request body: {0}")]
    Body(String),
}

impl From<ResolveError> for SignError {
    fn from(e: ResolveError) -> Self {
        SignError::Credentials(e)
    }
}

type Clock = dyn Fn() -> SystemTime + Send + Sync;

struct Inner {
    credentials: RefreshingCredentials,
    signer: LazySigner,
    clock: Box<Clock>,
    offset_secs: AtomicI64,
    max_buffered_body: u64,
}

/// A signer for async clients: credentials from a
/// [`RefreshingCredentials`], and its own clock corrected for skew. Cheap
/// to clone: clones share everything, the learned offset included.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use awsig::middleware::RefreshingSigner;
/// use awsig::refresh::RefreshingCredentials;
/// use awsig::Credentials;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let credentials = RefreshingCredentials::new(|| async {
///     Ok(Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")?)
/// });
/// let signer = RefreshingSigner::new(credentials, "us-west-2", "aps")?;
/// let mut request = http::Request::post(
///     "https://aps-workspaces.us-west-2.amazonaws.com/workspaces/ws-1/api/v1/remote_write",
/// )
/// .body(b"snappy-compressed protobuf".to_vec())?;
/// signer.sign_body(&mut request).await?;
/// assert!(request.headers().contains_key("authorization"));
///
/// // The clock offset, learned from skew rejections, or set by hand.
/// signer.set_clock_offset(-30);
/// assert_eq!(signer.clock_offset(), -30);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct RefreshingSigner {
    inner: Arc<Inner>,
}

impl fmt::Debug for RefreshingSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RefreshingSigner")
            .field("region", self.region())
            .field("service", self.service())
            .field("settings", self.settings())
            .field("clock_offset_secs", &self.clock_offset())
            .field("credentials", &self.inner.credentials)
            .finish()
    }
}

impl RefreshingSigner {
    /// A signer for `region` and `service`, with the service's preset
    /// settings ([`Settings::for_service`]). Fetches nothing yet.
    ///
    /// # Errors
    ///
    /// [`crate::Error::InvalidRegion`] or [`crate::Error::InvalidService`].
    pub fn new(
        credentials: RefreshingCredentials,
        region: &str,
        service: &str,
    ) -> Result<Self, crate::Error> {
        Ok(Self {
            inner: Arc::new(Inner {
                credentials,
                signer: LazySigner::new(region, service)?,
                clock: Box::new(SystemTime::now),
                offset_secs: AtomicI64::new(0),
                max_buffered_body: DEFAULT_MAX_BUFFERED_BODY,
            }),
        })
    }

    fn configure(self, change: impl FnOnce(&mut Inner)) -> Self {
        match Arc::try_unwrap(self.inner) {
            Ok(mut inner) => {
                change(&mut inner);
                Self {
                    inner: Arc::new(inner),
                }
            }
            Err(inner) => Self { inner },
        }
    }

    /// Replaces the settings. Call it while building, before cloning.
    pub fn with_settings(self, settings: Settings) -> Self {
        self.configure(|i| i.signer.set_settings(settings))
    }

    /// Sets the check of each request's host against the region and
    /// service ([`EndpointCheck`]): with [`EndpointCheck::Refuse`], a
    /// request to an AWS endpoint of another region or service is refused
    /// before it is sent, with [`SignError::Signing`] holding
    /// [`crate::Error::EndpointMismatch`], which names both. Call it while
    /// building.
    pub fn with_endpoint_check(self, check: EndpointCheck) -> Self {
        let settings = self.settings().with_endpoint_check(check);
        self.with_settings(settings)
    }

    /// Reads the local time from `clock` instead of the system clock; the
    /// learned offset is added to it. Call it while building.
    pub fn with_clock(self, clock: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        self.configure(|i| i.clock = Box::new(clock))
    }

    /// Buffers and hashes bodies up to `bytes` long (default
    /// [`DEFAULT_MAX_BUFFERED_BODY`]). Call it while building.
    pub fn with_max_buffered_body(self, bytes: u64) -> Self {
        self.configure(|i| i.max_buffered_body = bytes)
    }

    /// The credentials source.
    pub fn credentials(&self) -> &RefreshingCredentials {
        &self.inner.credentials
    }

    /// The region.
    pub fn region(&self) -> &Region {
        self.inner.signer.region()
    }

    /// The service.
    pub fn service(&self) -> &Service {
        self.inner.signer.service()
    }

    /// The settings.
    pub fn settings(&self) -> &Settings {
        self.inner.signer.settings()
    }

    /// The buffering limit, in bytes.
    pub fn max_buffered_body(&self) -> u64 {
        self.inner.max_buffered_body
    }

    /// The clock offset in seconds, added to the local clock when signing:
    /// positive when the servers' clock is ahead.
    pub fn clock_offset(&self) -> i64 {
        self.inner.offset_secs.load(Ordering::Relaxed)
    }

    /// Sets the clock offset in seconds.
    pub fn set_clock_offset(&self, secs: i64) {
        self.inner.offset_secs.store(secs, Ordering::Relaxed);
    }

    /// The signing time: the local clock plus the offset.
    pub fn now(&self) -> SystemTime {
        skew::shift((self.inner.clock)(), self.clock_offset())
    }

    /// Whether a response may be a skew rejection, worth reading its body
    /// for ([`skew::may_be_skew`] at the signer's time).
    pub fn may_be_skew(&self, status: u16, headers: &HeaderMap) -> bool {
        skew::may_be_skew(status, headers, self.now())
    }

    /// Looks for a clock skew in a response ([`skew::detect`] at the
    /// signer's time) and, when there is one, adds what it reports to the
    /// offset. Returns the skew found.
    pub fn learn_skew(&self, status: u16, headers: &HeaderMap, body: &[u8]) -> Option<Skew> {
        let found = skew::detect(status, headers, body, self.now())?;
        self.inner
            .offset_secs
            .fetch_add(found.offset_secs, Ordering::Relaxed);
        Some(found)
    }

    /// The payload hash for a body that cannot be hashed: `UNSIGNED-PAYLOAD`
    /// for S3 over HTTPS.
    ///
    /// # Errors
    ///
    /// [`SignError::StreamingBody`] for every other service or scheme.
    pub fn streaming_payload(
        &self,
        uri: &http::Uri,
        reason: &str,
    ) -> Result<PayloadHash, SignError> {
        let s3 = self.settings().content_sha256 == ContentSha256Header::Include
            && matches!(self.service().as_str(), "s3" | "s3-object-lambda");
        if s3 && uri.scheme_str() == Some("https") {
            Ok(PayloadHash::Unsigned)
        } else {
            Err(SignError::StreamingBody {
                service: self.service().as_str().to_owned(),
                reason: reason.to_owned(),
                limit: self.inner.max_buffered_body,
            })
        }
    }

    /// Signs a method, URI and headers with `payload`, adding the signing
    /// headers to `headers`. The URI is first rewritten into the form every
    /// client sends (as [`Signer::sign`](crate::Signer::sign) does), so send `uri` as it is
    /// afterwards.
    ///
    /// # Errors
    ///
    /// [`SignError::Credentials`] when no valid credentials can be had,
    /// [`SignError::Signing`] when the request cannot be signed (or its
    /// host is refused by the endpoint check).
    pub async fn sign_headers(
        &self,
        method: &http::Method,
        uri: &mut http::Uri,
        headers: &mut HeaderMap,
        payload: &PayloadHash,
    ) -> Result<Signature, SignError> {
        let credentials = self.inner.credentials.credentials().await?;
        let signer = self.inner.signer.get(&credentials)?;
        Ok(signer.sign_head_with(&credentials, method, uri, headers, payload, self.now())?)
    }

    /// Signs an `http::Request` in place with `payload` (its URI rewritten
    /// as [`RefreshingSigner::sign_headers`] says).
    ///
    /// # Errors
    ///
    /// As [`RefreshingSigner::sign_headers`].
    pub async fn sign<B>(
        &self,
        request: &mut http::Request<B>,
        payload: &PayloadHash,
    ) -> Result<Signature, SignError> {
        let method = request.method().clone();
        let mut uri = std::mem::take(request.uri_mut());
        let signed = self
            .sign_headers(&method, &mut uri, request.headers_mut(), payload)
            .await;
        *request.uri_mut() = uri;
        signed
    }

    /// Signs an `http::Request` in place, hashing its own body.
    ///
    /// # Errors
    ///
    /// As [`RefreshingSigner::sign_headers`].
    pub async fn sign_body<B: AsRef<[u8]>>(
        &self,
        request: &mut http::Request<B>,
    ) -> Result<Signature, SignError> {
        let payload = PayloadHash::of(request.body().as_ref());
        self.sign(request, &payload).await
    }
}

#[cfg(test)]
mod tests;
