//! Header signing into a caller-owned, reusable buffer: no heap allocation
//! once the buffer has grown to fit.

use std::fmt;
use std::time::SystemTime;

use zeroize::Zeroize;

use crate::error::{Error, Redacted};
use crate::payload::PayloadHash;
use crate::request::SignableRequest;
use crate::scope::AmzDate;
use crate::sign::{Signer, X_AMZ_CONTENT_SHA256, X_AMZ_DATE, X_AMZ_SECURITY_TOKEN};
use crate::signature::Signature;

/// The header values that header signing produces, held in buffers that are
/// reused from one request to the next.
///
/// [`Signer::sign_into`] fills it; after the first few requests have grown
/// the buffers, signing allocates nothing. The values are the same bytes
/// that [`Signer::signing_output`] produces. Read them with
/// [`AuthorizationBuf::headers`] and write them into your own request type.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use awsig::{AuthorizationBuf, Credentials, PayloadHash, SignableRequest, Signer};
///
/// let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")?;
/// let signer = Signer::new(creds, "us-east-1", "service")?;
/// let headers: &[(&str, &[u8])] = &[("Accept", b"application/json")];
/// let request = SignableRequest::new("GET", "https://example.amazonaws.com/?a=1", headers)?;
/// let now = UNIX_EPOCH + Duration::from_secs(1_440_938_160);
/// let mut buf = AuthorizationBuf::new();
/// signer.sign_into(&request, &PayloadHash::empty(), now, &mut buf)?;
/// let names: Vec<&str> = buf.headers().map(|(name, _)| name).collect();
/// assert_eq!(names, ["x-amz-date", "authorization"]);
/// assert_eq!(buf.amz_date().map(|d| d.as_str()), Some("20150830T123600Z"));
/// # Ok::<(), awsig::Error>(())
/// ```
#[derive(Default)]
pub struct AuthorizationBuf {
    pub(crate) authorization: Vec<u8>,
    security_token: Vec<u8>,
    has_token: bool,
    amz_date: Option<AmzDate>,
    content_sha256: Option<PayloadHash>,
    signature: Option<Signature>,
}

impl AuthorizationBuf {
    /// An empty buffer.
    pub fn new() -> Self {
        Self::default()
    }

    /// The `authorization` header value of the last signing (empty before).
    pub fn authorization(&self) -> &str {
        std::str::from_utf8(&self.authorization).unwrap_or("")
    }

    /// The signature of the last signing.
    pub fn signature(&self) -> Option<&Signature> {
        self.signature.as_ref()
    }

    /// The signing time of the last signing (the `x-amz-date` value).
    pub fn amz_date(&self) -> Option<&AmzDate> {
        self.amz_date.as_ref()
    }

    /// The `x-amz-security-token` value, when the credentials carry a token.
    /// A secret: do not log it.
    pub fn security_token(&self) -> Option<&str> {
        if self.has_token {
            std::str::from_utf8(&self.security_token).ok()
        } else {
            None
        }
    }

    /// The headers to add, as `(lowercase name, value)`, in the same order
    /// as [`SigningOutput::headers`](crate::SigningOutput::headers):
    /// `x-amz-security-token`, `x-amz-date`, `x-amz-content-sha256`,
    /// `authorization` (the ones that apply). Empty before the first signing.
    /// Signing never signs an `x-amz-security-token` the request already
    /// carries: when this yields none, remove any such header before sending.
    pub fn headers(&self) -> impl Iterator<Item = (&'static str, &str)> {
        let signed = self.amz_date.is_some();
        let token = self
            .security_token()
            .filter(|_| signed)
            .map(|t| (X_AMZ_SECURITY_TOKEN, t));
        let date = self.amz_date.as_ref().map(|d| (X_AMZ_DATE, d.as_str()));
        let sha = self
            .content_sha256
            .as_ref()
            .filter(|_| signed)
            .map(|p| (X_AMZ_CONTENT_SHA256, p.as_str()));
        let auth = signed.then(|| ("authorization", self.authorization()));
        token.into_iter().chain(date).chain(sha).chain(auth)
    }

    pub(crate) fn reset(&mut self) {
        self.authorization.clear();
        // Not zeroized here: the next signing writes the same token over it,
        // and dropping the buffer zeroizes its whole capacity.
        self.security_token.clear();
        self.has_token = false;
        self.amz_date = None;
        self.content_sha256 = None;
        self.signature = None;
    }
}

impl AuthorizationBuf {
    /// Records the rest of a signing whose `authorization` is written.
    pub(crate) fn finish(
        &mut self,
        signer: &Signer,
        payload_header: Option<&PayloadHash>,
        date: AmzDate,
        signature: Signature,
    ) {
        if let Some(token) = signer.credentials().session_token() {
            self.security_token.extend_from_slice(token.as_bytes());
            self.has_token = true;
        }
        self.content_sha256 = payload_header.copied();
        self.amz_date = Some(date);
        self.signature = Some(signature);
    }
}

impl Drop for AuthorizationBuf {
    fn drop(&mut self) {
        self.security_token.zeroize();
    }
}

impl fmt::Debug for AuthorizationBuf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthorizationBuf")
            .field("amz_date", &self.amz_date)
            .field("authorization", &self.authorization())
            .field("content_sha256", &self.content_sha256)
            .field("security_token", &self.has_token.then_some(Redacted))
            .finish()
    }
}

impl Signer {
    /// Signs as [`Signer::signing_output`] does, but writes the header
    /// values into `out`, reusing its buffers. Once they have grown to fit
    /// (after the first request of a given shape), signing makes no heap
    /// allocation: for callers that sign at high rates and write the
    /// headers themselves. On error `out` is left empty.
    ///
    /// # Errors
    ///
    /// - [`Error::InvalidMethod`](crate::Error::InvalidMethod), [`Error::MissingHost`](crate::Error::MissingHost), [`Error::InvalidHost`](crate::Error::InvalidHost), [`Error::InvalidUri`](crate::Error::InvalidUri), [`Error::InvalidPath`](crate::Error::InvalidPath), [`Error::InvalidQuery`](crate::Error::InvalidQuery), [`Error::InvalidHeaderName`](crate::Error::InvalidHeaderName), [`Error::InvalidHeaderValue`](crate::Error::InvalidHeaderValue), [`Error::TooManyHeaders`](crate::Error::TooManyHeaders) or [`Error::HeaderTooLarge`](crate::Error::HeaderTooLarge) when the request cannot be signed as it stands (each variant names the part and the reason);
    /// - [`Error::TimeOutOfRange`](crate::Error::TimeOutOfRange) when `now` is before 1970 or after the year 9999.
    pub fn sign_into(
        &self,
        request: &SignableRequest<'_>,
        payload: &PayloadHash,
        now: SystemTime,
        out: &mut AuthorizationBuf,
    ) -> Result<Signature, Error> {
        out.reset();
        let credentials = self.credentials();
        let date = AmzDate::from_system_time(now)?;
        let (signature, payload_header) =
            self.write_authorization(credentials, request, payload, &date, &mut out.authorization)?;
        out.finish(self, payload_header.then_some(payload), date, signature);
        Ok(signature)
    }
}
