//! Server side: checks the SigV4 signature of a request, signed in the
//! `Authorization` header or presigned in its query, with the same
//! canonicalizer the signer uses.
//!
//! The verifier signs exactly the headers the request lists as signed, at
//! the request's own signing time, with the secret key that a
//! [`CredentialsLookup`] finds for the access key id, and compares the
//! signatures in constant time. A [`Policy`] sets what else a request must
//! satisfy: the clock skew, the longest presign expiry, the regions and
//! services, the headers that must be signed, the payload rules.
//!
//! By default the verifier is at least as strict as S3: an `x-amz-*` header
//! the signature does not cover is refused (403 `AccessDenied`, "There were
//! headers present in the request which were not signed"), the streaming
//! payload markers are refused unless the caller says it checks the chunk
//! signatures, and a [`Mismatch`] shows only the header values a client
//! sets itself.
//!
//! A note on `+` in a query: SigV4 reads the query as percent-encoded text
//! in which `+` is a plus sign, so `a+b` and `a%2Bb` canonicalize alike (as
//! `a%2Bb`) and both verify against the same signature. A server that then
//! decodes the query the way HTML forms are decoded (`+` as a space) reads a
//! value that was not signed: decode the values of a verified request as
//! SigV4 does, `+` as a plus sign.

pub(crate) mod parse;
mod rejection;

use std::fmt;
use std::time::{Duration, SystemTime};

pub use parse::{
    AuthParseError, AuthorizationHeader, CredentialText, MAX_AUTH_TEXT_BYTES, PresignedQuery,
    is_presigned_query, parse_authorization, parse_credential, parse_presigned_query,
    parse_signed_headers,
};
pub use rejection::{AuthKind, Mismatch, Rejection, TokenProblem};

use crate::canonical_request::headers::Additions;
use crate::canonical_request::{CanonicalRequest, Plan};
use crate::credentials::Credentials;
use crate::payload::PayloadHash;
use crate::request::SignableRequest;
use crate::scope::{AmzDate, CredentialScope, Region, Service};
use crate::settings::{ContentSha256Header, SessionTokenMode, Settings};
use crate::signature::Signature;
use crate::signing_key::SigningKey;
use crate::string_to_sign::StringToSign;

/// The clock skew AWS allows between a request's signing time and the
/// server's clock: 15 minutes.
pub const DEFAULT_MAX_CLOCK_SKEW: Duration = Duration::from_secs(15 * 60);

/// Why a credentials lookup failed (not "unknown key": that is `Ok(None)`).
/// Its text is shown in the rejection: put no secret in it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct LookupError {
    reason: String,
}

impl LookupError {
    /// A failure with a reason.
    pub fn new(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
        }
    }
}

/// Finds the credentials (secret key, and the session token issued with
/// them, if any) for an access key id.
///
/// Implemented for closures `Fn(&str) -> Result<Option<Credentials>, LookupError>`,
/// for one [`Credentials`] value and for a slice of them.
pub trait CredentialsLookup {
    /// The credentials for `access_key_id`; `Ok(None)` when the key is unknown.
    ///
    /// # Errors
    ///
    /// a [`LookupError`] when the store cannot be asked (it becomes [`Rejection::LookupFailed`]); an unknown key is `Ok(None)`, not an error.
    fn lookup(&self, access_key_id: &str) -> Result<Option<Credentials>, LookupError>;
}

impl<F> CredentialsLookup for F
where
    F: Fn(&str) -> Result<Option<Credentials>, LookupError>,
{
    fn lookup(&self, access_key_id: &str) -> Result<Option<Credentials>, LookupError> {
        self(access_key_id)
    }
}

impl CredentialsLookup for Credentials {
    fn lookup(&self, access_key_id: &str) -> Result<Option<Credentials>, LookupError> {
        Ok((self.access_key_id() == access_key_id).then(|| self.clone()))
    }
}

impl CredentialsLookup for [Credentials] {
    fn lookup(&self, access_key_id: &str) -> Result<Option<Credentials>, LookupError> {
        Ok(self
            .iter()
            .find(|c| c.access_key_id() == access_key_id)
            .cloned())
    }
}

/// What the server knows about the body.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum Payload<'a> {
    /// The body, in memory.
    Body(&'a [u8]),
    /// The payload hash computed by the server (for example while spooling
    /// the body to disk), or the payload mode it expects.
    Hash(PayloadHash),
    /// The body is not at hand: take what the request declares in
    /// `x-amz-content-sha256` (a hash to check later, `UNSIGNED-PAYLOAD` or
    /// a streaming marker whose chunks the server checks itself).
    Declared,
}

/// Which signing rules apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServiceRules {
    /// The preset for the service in the credential scope
    /// ([`Settings::for_service`]): S3 signs the path as sent (single
    /// encoding, no normalization) and presigns `UNSIGNED-PAYLOAD`; every
    /// other service normalizes the path and encodes it twice.
    ByService,
    /// These settings, whatever the service. Only the path rules matter
    /// here, plus [`Settings::content_sha256`]: `Include` means presigned
    /// URLs sign `UNSIGNED-PAYLOAD`, as S3's do.
    Fixed(Settings),
}

/// Whether a hex `x-amz-content-sha256` is checked against the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ContentSha256Check {
    /// The declared hash must match the body (or the hash) the server
    /// gives; a mismatch is `XAmzContentSHA256Mismatch`, as S3 answers.
    MustMatch,
    /// The declared hash is signed, so it is trusted as it is: for servers
    /// that check the body later, while streaming it.
    Trust,
}

/// Whether a payload marker is accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Acceptance {
    /// Accept it.
    Accept,
    /// Refuse it with `AccessDenied`.
    Refuse,
}

/// What a request must satisfy besides a matching signature.
///
/// ```
/// use std::time::Duration;
/// use awsig::Policy;
/// let policy = Policy::new()
///     .with_regions(["us-east-1"])
///     .with_services(["s3"])
///     .with_max_clock_skew(Duration::from_secs(300));
/// assert_eq!(policy.max_presign_expiry, awsig::MAX_PRESIGN_EXPIRY);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Policy {
    /// How far the signing time of a header-signed request may be from the
    /// server's clock, either way; and how early a presigned URL may be
    /// used. Default: 15 minutes.
    pub max_clock_skew: Duration,
    /// The longest `X-Amz-Expires` accepted. Default: 7 days.
    pub max_presign_expiry: Duration,
    /// The regions accepted in the credential scope; empty accepts any.
    pub regions: Vec<String>,
    /// The services accepted in the credential scope; empty accepts any.
    pub services: Vec<String>,
    /// The signing rules.
    pub rules: ServiceRules,
    /// Whether a hex `x-amz-content-sha256` must match the body (or the
    /// hash) the server gives. Default: must match.
    pub content_sha256: ContentSha256Check,
    /// Whether `UNSIGNED-PAYLOAD` is accepted. Default: accepted.
    pub unsigned_payload: Acceptance,
    /// Whether the `STREAMING-*` payload markers are accepted. Their
    /// signature covers only the headers: the body's chunks carry their own
    /// signatures, chained from this one, which the server must check
    /// while it reads the body: with the decoder that
    /// `Verified::chunked_decoder` gives (feature `chunked`), or itself
    /// with [`Verified::signing_key`] and [`Verified::signature`]. So
    /// `Accept` says that the caller checks them. Default: refused
    /// (`AccessDenied`).
    pub streaming_payload: Acceptance,
    /// `x-amz-*` headers that may be present without being signed. S3
    /// refuses any unsigned `x-amz-*` header ("There were headers present
    /// in the request which were not signed", 403 `AccessDenied`), so that
    /// whoever holds a presigned URL or replays a request cannot add
    /// `x-amz-acl`, `x-amz-copy-source` or `x-amz-tagging`; so does the
    /// verifier. Name here (lowercase) only headers a server reads after
    /// verification, knowing they are not signed. Default: none (and
    /// `x-amz-security-token` when the rules add the token after signing).
    pub unsigned_headers_allowed: Vec<String>,
    /// Headers whose values a rejection may show, besides the standard ones
    /// (see [`Mismatch::canonical_request`]); `"*"` shows every value, as S3
    /// does. Default: none.
    pub disclosed_headers: Vec<String>,
    /// Headers whose values a rejection never shows, even standard ones (a
    /// secret a front proxy adds, for example). Default: none.
    pub secret_headers: Vec<String>,
    /// Headers that must be signed, lowercase, besides `host` and
    /// `x-amz-date` (which always must, for header signing; for presigned
    /// URLs the date is in the query).
    pub required_signed_headers: Vec<String>,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            max_clock_skew: DEFAULT_MAX_CLOCK_SKEW,
            max_presign_expiry: crate::presign::MAX_PRESIGN_EXPIRY,
            regions: Vec::new(),
            services: Vec::new(),
            rules: ServiceRules::ByService,
            content_sha256: ContentSha256Check::MustMatch,
            unsigned_payload: Acceptance::Accept,
            streaming_payload: Acceptance::Refuse,
            required_signed_headers: Vec::new(),
            unsigned_headers_allowed: Vec::new(),
            disclosed_headers: Vec::new(),
            secret_headers: Vec::new(),
        }
    }
}

impl Policy {
    /// The default policy: AWS's limits, any region and service.
    pub fn new() -> Self {
        Self::default()
    }

    /// Accepts only these regions.
    pub fn with_regions<S: Into<String>>(mut self, regions: impl IntoIterator<Item = S>) -> Self {
        self.regions = regions.into_iter().map(Into::into).collect();
        self
    }

    /// Accepts only these services.
    pub fn with_services<S: Into<String>>(mut self, services: impl IntoIterator<Item = S>) -> Self {
        self.services = services.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the allowed clock skew.
    pub fn with_max_clock_skew(mut self, skew: Duration) -> Self {
        self.max_clock_skew = skew;
        self
    }

    /// Sets the longest presign expiry.
    pub fn with_max_presign_expiry(mut self, expiry: Duration) -> Self {
        self.max_presign_expiry = expiry;
        self
    }

    /// Sets the signing rules.
    pub fn with_rules(mut self, rules: ServiceRules) -> Self {
        self.rules = rules;
        self
    }

    /// Sets whether a hex `x-amz-content-sha256` must match the body.
    pub fn with_content_sha256(mut self, check: ContentSha256Check) -> Self {
        self.content_sha256 = check;
        self
    }

    /// Sets whether `UNSIGNED-PAYLOAD` is accepted.
    pub fn with_unsigned_payload(mut self, acceptance: Acceptance) -> Self {
        self.unsigned_payload = acceptance;
        self
    }

    /// Sets whether the streaming payload markers are accepted: `Accept`
    /// only when the caller checks the chunk signatures itself (see
    /// [`Policy::streaming_payload`]).
    pub fn with_streaming_payload(mut self, acceptance: Acceptance) -> Self {
        self.streaming_payload = acceptance;
        self
    }

    /// Lets these `x-amz-*` headers be present without being signed (see
    /// [`Policy::unsigned_headers_allowed`]).
    pub fn with_unsigned_headers_allowed<S: Into<String>>(
        mut self,
        names: impl IntoIterator<Item = S>,
    ) -> Self {
        self.unsigned_headers_allowed = lowercase(names);
        self
    }

    /// Lets a rejection show the values of these headers too (`"*"`: of
    /// every header); see [`Mismatch::canonical_request`].
    pub fn with_disclosed_headers<S: Into<String>>(
        mut self,
        names: impl IntoIterator<Item = S>,
    ) -> Self {
        self.disclosed_headers = lowercase(names);
        self
    }

    /// Never shows the values of these headers in a rejection.
    pub fn with_secret_headers<S: Into<String>>(
        mut self,
        names: impl IntoIterator<Item = S>,
    ) -> Self {
        self.secret_headers = lowercase(names);
        self
    }

    /// Whether a rejection may show the value of header `name` (lowercase).
    fn discloses(&self, name: &str) -> bool {
        if self.secret_headers.iter().any(|n| n == name) {
            return false;
        }
        let standard = match name {
            "x-amz-security-token"
            | "x-amz-server-side-encryption-customer-key"
            | "x-amz-copy-source-server-side-encryption-customer-key" => false,
            _ => STANDARD_DISCLOSED.contains(&name) || name.starts_with("x-amz-"),
        };
        standard || self.disclosed_headers.iter().any(|n| n == "*" || n == name)
    }

    /// Requires these headers (besides `host` and the date) to be signed.
    pub fn with_required_signed_headers<S: Into<String>>(
        mut self,
        names: impl IntoIterator<Item = S>,
    ) -> Self {
        self.required_signed_headers = lowercase(names);
        self
    }

    fn settings_for(&self, service: &Service) -> Settings {
        match self.rules {
            ServiceRules::ByService => Settings::for_service(service.as_str()),
            ServiceRules::Fixed(s) => s,
        }
    }
}

/// Header names lowercased.
fn lowercase<S: Into<String>>(names: impl IntoIterator<Item = S>) -> Vec<String> {
    names
        .into_iter()
        .map(|n| n.into().to_ascii_lowercase())
        .collect()
}

/// The headers whose values a rejection shows by default, besides the
/// `x-amz-*` ones (but the session token and the SSE-C keys): what a client
/// sets itself and needs to compare, and no proxy adds as a secret.
const STANDARD_DISCLOSED: &[&str] = &[
    "host",
    "content-type",
    "content-md5",
    "content-length",
    "content-encoding",
    "content-language",
    "content-disposition",
    "cache-control",
    "expires",
    "range",
    "date",
    "if-match",
    "if-none-match",
    "if-modified-since",
    "if-unmodified-since",
];

/// A request whose signature checked out.
pub struct Verified {
    kind: AuthKind,
    access_key_id: String,
    region: Region,
    service: Service,
    amz_date: AmzDate,
    expires_at: Option<SystemTime>,
    payload: PayloadHash,
    signed_headers: Vec<String>,
    proof: Proof,
    #[cfg(feature = "chunked")]
    chunked: Option<crate::chunked::ChunkedBody>,
}

/// What checked out: the signature, and what it was checked with.
pub(crate) enum Proof {
    /// SigV4: the HMAC signature and the signing key.
    V4 {
        signature: Signature,
        signing_key: SigningKey,
    },
    /// SigV4a: the ECDSA signature and the region set.
    #[cfg(feature = "sigv4a")]
    V4a {
        signature: crate::v4a::Signature,
        region_set: crate::v4a::RegionSet,
    },
}

impl Verified {
    /// Header or query signing.
    pub fn kind(&self) -> AuthKind {
        self.kind
    }

    /// The access key id that signed.
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// The region of the credential scope. For SigV4a, the region this
    /// server serves that the region set holds (the first of
    /// [`Policy::regions`] it holds; with no regions in the policy, the
    /// set's first entry as written).
    pub fn region(&self) -> &Region {
        &self.region
    }

    /// The service of the credential scope.
    pub fn service(&self) -> &Service {
        &self.service
    }

    /// The signing time.
    pub fn amz_date(&self) -> &AmzDate {
        &self.amz_date
    }

    /// When a presigned URL expires; `None` for header signing.
    pub fn expires_at(&self) -> Option<SystemTime> {
        self.expires_at
    }

    /// The payload line that was signed. For the streaming markers, the
    /// server still has to check each chunk's signature.
    pub fn payload(&self) -> &PayloadHash {
        &self.payload
    }

    /// The algorithm the request was signed with: [`crate::ALGORITHM`]
    /// (SigV4), or `AWS4-ECDSA-P256-SHA256` (SigV4a).
    pub fn algorithm(&self) -> &'static str {
        match self.proof {
            Proof::V4 { .. } => crate::ALGORITHM,
            #[cfg(feature = "sigv4a")]
            Proof::V4a { .. } => crate::v4a::ALGORITHM,
        }
    }

    /// The request's SigV4 signature (the seed signature of a streaming
    /// upload); `None` for SigV4a.
    pub fn signature(&self) -> Option<&Signature> {
        match &self.proof {
            Proof::V4 { signature, .. } => Some(signature),
            #[cfg(feature = "sigv4a")]
            Proof::V4a { .. } => None,
        }
    }

    /// The request's SigV4a signature; `None` for SigV4.
    #[cfg(feature = "sigv4a")]
    pub fn sigv4a_signature(&self) -> Option<&crate::v4a::Signature> {
        match &self.proof {
            Proof::V4a { signature, .. } => Some(signature),
            Proof::V4 { .. } => None,
        }
    }

    /// The SigV4a region set; `None` for SigV4.
    #[cfg(feature = "sigv4a")]
    pub fn region_set(&self) -> Option<&crate::v4a::RegionSet> {
        match &self.proof {
            Proof::V4a { region_set, .. } => Some(region_set),
            Proof::V4 { .. } => None,
        }
    }

    /// The signed header names, lowercase and sorted.
    pub fn signed_headers(&self) -> &[String] {
        &self.signed_headers
    }

    /// The SigV4 signing key, for checking chunk or event signatures; `None`
    /// for SigV4a. A secret.
    pub fn signing_key(&self) -> Option<&SigningKey> {
        match &self.proof {
            Proof::V4 { signing_key, .. } => Some(signing_key),
            #[cfg(feature = "sigv4a")]
            Proof::V4a { .. } => None,
        }
    }

    /// What the headers of a streaming upload declare about its body;
    /// `None` for any other payload.
    #[cfg(feature = "chunked")]
    pub fn chunked_body(&self) -> Option<&crate::chunked::ChunkedBody> {
        self.chunked.as_ref()
    }

    /// The signer of the chunks and trailer of this request's body; `None`
    /// for SigV4a, whose chunks are signed with ECDSA (not implemented).
    #[cfg(feature = "chunked")]
    pub fn chunk_signer(&self) -> Option<crate::chunked::ChunkSigner> {
        let signing_key = self.signing_key()?;
        Some(crate::chunked::ChunkSigner::new(
            signing_key.clone(),
            self.amz_date,
            self.region.clone(),
            self.service.clone(),
        ))
    }

    /// The decoder that checks the `aws-chunked` body of a streaming
    /// upload, chained from this request's signature; `None` for any other
    /// payload, and for SigV4a.
    #[cfg(feature = "chunked")]
    pub fn chunked_decoder(&self) -> Option<crate::chunked::ChunkedDecoder> {
        let body = self.chunked.as_ref()?;
        Some(crate::chunked::ChunkedDecoder::new(
            body,
            self.chunk_signer()?,
            *self.signature()?,
        ))
    }
}

impl fmt::Debug for Verified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verified")
            .field("kind", &self.kind)
            .field("access_key_id", &self.access_key_id)
            .field("region", &self.region)
            .field("service", &self.service)
            .field("amz_date", &self.amz_date)
            .field("payload", &self.payload)
            .field("signed_headers", &self.signed_headers)
            .field("algorithm", &self.algorithm())
            .field("signing_key", &self.signing_key())
            .finish()
    }
}

/// Verifies an `http::Request` (the body is passed separately as `payload`).
///
/// # Errors
///
/// a [`Rejection`] naming why the request is refused, with the AWS error code ([`Rejection::code`]) and HTTP status: see [`verify`].
pub fn verify_request<B, L: CredentialsLookup + ?Sized>(
    request: &http::Request<B>,
    payload: Payload<'_>,
    credentials: &L,
    now: SystemTime,
    policy: &Policy,
) -> Result<Verified, Rejection> {
    let view = SignableRequest::from_request(request)
        .map_err(|error| Rejection::InvalidRequest { error })?;
    verify(&view, payload, credentials, now, policy)
}

/// Verifies `http::request::Parts` (the body is passed separately as `payload`).
///
/// # Errors
///
/// a [`Rejection`] naming why the request is refused: see [`verify`].
pub fn verify_parts<L: CredentialsLookup + ?Sized>(
    parts: &http::request::Parts,
    payload: Payload<'_>,
    credentials: &L,
    now: SystemTime,
    policy: &Policy,
) -> Result<Verified, Rejection> {
    let view =
        SignableRequest::from_parts(parts).map_err(|error| Rejection::InvalidRequest { error })?;
    verify(&view, payload, credentials, now, policy)
}

/// Verifies the signature of a request, header-signed or presigned.
///
/// `now` is the server's clock. See [`Policy`] for what else is checked.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use awsig::{Credentials, Payload, PayloadHash, Policy, Signer, verify_request};
///
/// let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")?;
/// let now = UNIX_EPOCH + Duration::from_secs(1_440_938_160);
/// let mut req = http::Request::get("https://example.amazonaws.com/?a=b").body(()).unwrap();
/// Signer::new(creds.clone(), "us-east-1", "service")?.sign(&mut req, &PayloadHash::empty(), now)?;
///
/// let ok = verify_request(&req, Payload::Body(b""), &creds, now, &Policy::new()).unwrap();
/// assert_eq!(ok.access_key_id(), "AKIDEXAMPLE");
///
/// let later = now + Duration::from_secs(3600);
/// let err = verify_request(&req, Payload::Body(b""), &creds, later, &Policy::new()).unwrap_err();
/// assert_eq!((err.code(), err.status().as_u16()), ("RequestTimeTooSkewed", 403));
/// # Ok::<(), awsig::Error>(())
/// ```
///
/// # Errors
///
/// a [`Rejection`]: [`Rejection::MissingAuthentication`] or [`Rejection::ConflictingAuthentication`] when the request has no or two signatures, [`Rejection::Malformed`] when they cannot be read, [`Rejection::WrongRegion`], [`Rejection::WrongService`], [`Rejection::ScopeDateMismatch`] or [`Rejection::HeaderNotSigned`] when the policy refuses the scope or the signed headers, [`Rejection::RequestTimeTooSkewed`], [`Rejection::NotYetValid`] or [`Rejection::Expired`] for the time, [`Rejection::UnknownAccessKeyId`], [`Rejection::LookupFailed`], [`Rejection::ExpiredCredentials`] or [`Rejection::InvalidToken`] for the credentials, [`Rejection::ContentSha256Mismatch`] and its neighbours for the payload, [`Rejection::InvalidRequest`] when the request cannot be canonicalized, and [`Rejection::SignatureDoesNotMatch`] (with what the verifier computed) when the signature differs.
pub fn verify<L: CredentialsLookup + ?Sized>(
    request: &SignableRequest<'_>,
    payload: Payload<'_>,
    credentials: &L,
    now: SystemTime,
    policy: &Policy,
) -> Result<Verified, Rejection> {
    check_host(request)?;
    let authorization = request.header_values("authorization");
    let presigned = is_presigned_query(request.query());
    match (authorization.as_slice(), presigned) {
        ([], false) => Err(Rejection::MissingAuthentication),
        ([_, ..], true) => Err(Rejection::ConflictingAuthentication),
        ([value], false) => {
            #[cfg(feature = "sigv4a")]
            if crate::v4a::verify::is_sigv4a_authorization(value) {
                return crate::v4a::verify::verify_header(
                    request,
                    value,
                    payload,
                    credentials,
                    now,
                    policy,
                );
            }
            verify_header(request, value, payload, credentials, now, policy)
        }
        ([_, _, ..], false) => Err(Rejection::RepeatedAuthorization),
        ([], true) => {
            #[cfg(feature = "sigv4a")]
            if crate::v4a::verify::is_sigv4a_query(request.query()) {
                return crate::v4a::verify::verify_query(
                    request,
                    payload,
                    credentials,
                    now,
                    policy,
                );
            }
            verify_query(request, payload, credentials, now, policy)
        }
    }
}

/// Refuses a request that names two hosts (see
/// [`Rejection::ConflictingHost`]). Header values are compared without
/// regard to letter case, and an explicit default port (`:443`, `:80`) in
/// the `Host` header is the target's port left out.
fn check_host(request: &SignableRequest<'_>) -> Result<(), Rejection> {
    match request.conflicting_hosts() {
        Some((target, header)) => Err(Rejection::ConflictingHost { target, header }),
        None => Ok(()),
    }
}

/// What the two kinds of signing have in common once parsed.
pub(crate) struct Claim<'r> {
    pub(crate) kind: AuthKind,
    pub(crate) access_key_id: String,
    /// The date of the credential scope, `YYYYMMDD`.
    pub(crate) scope_date: String,
    /// The scope's region (SigV4), or the served region the set holds (SigV4a).
    pub(crate) region: Region,
    pub(crate) service: Service,
    pub(crate) date: AmzDate,
    pub(crate) signed_headers: Vec<&'r str>,
    pub(crate) signature: &'r str,
    pub(crate) token: Option<&'r [u8]>,
    pub(crate) expires: Option<u64>,
}

impl Claim<'_> {
    fn from_credential(credential: &CredentialText) -> (String, String, Region, Service) {
        (
            credential.access_key_id().to_owned(),
            credential.date().to_owned(),
            credential.region().clone(),
            credential.service().clone(),
        )
    }
}

fn verify_header<L: CredentialsLookup + ?Sized>(
    request: &SignableRequest<'_>,
    value: &[u8],
    payload: Payload<'_>,
    credentials: &L,
    now: SystemTime,
    policy: &Policy,
) -> Result<Verified, Rejection> {
    let malformed = |error| Rejection::Malformed {
        kind: AuthKind::Header,
        error,
    };
    let text = std::str::from_utf8(value).map_err(|_| {
        malformed(AuthParseError::Malformed {
            part: "Authorization",
            reason: "it is not UTF-8",
        })
    })?;
    let auth = parse_authorization(text).map_err(malformed)?;
    check_scope(AuthKind::Header, auth.credential(), policy)?;
    let date = header_date(request)?;
    let token = header_token(request)?;
    let (access_key_id, scope_date, region, service) = Claim::from_credential(auth.credential());
    let claim = Claim {
        kind: AuthKind::Header,
        access_key_id,
        scope_date,
        region,
        service,
        date,
        signed_headers: auth.signed_headers().to_vec(),
        signature: auth.signature(),
        token,
        expires: None,
    };
    finish(
        request,
        request,
        claim,
        payload,
        credentials,
        now,
        policy,
        check_v4,
    )
}

fn verify_query<L: CredentialsLookup + ?Sized>(
    request: &SignableRequest<'_>,
    payload: Payload<'_>,
    credentials: &L,
    now: SystemTime,
    policy: &Policy,
) -> Result<Verified, Rejection> {
    let q = parse_presigned_query(request.query()).map_err(|error| Rejection::Malformed {
        kind: AuthKind::Query,
        error,
    })?;
    check_scope(AuthKind::Query, q.credential(), policy)?;
    check_expires(q.expires(), policy)?;
    let token = query_token(q.security_token(), request)?;
    let (access_key_id, scope_date, region, service) = Claim::from_credential(q.credential());
    let claim = Claim {
        kind: AuthKind::Query,
        access_key_id,
        scope_date,
        region,
        service,
        date: *q.date(),
        signed_headers: q.signed_headers(),
        signature: q.signature(),
        token,
        expires: Some(q.expires()),
    };
    // A token added after signing is not part of the signed query.
    let query = signed_query(q.unsigned_query(), q.credential().service(), policy);
    let signed = request.with_query(&query);
    finish(
        request,
        &signed,
        claim,
        payload,
        credentials,
        now,
        policy,
        check_v4,
    )
}

/// The signing time of a header-signed request: its one `x-amz-date`.
pub(crate) fn header_date(request: &SignableRequest<'_>) -> Result<AmzDate, Rejection> {
    match request.header_values("x-amz-date").as_slice() {
        [] => Err(Rejection::MissingDate),
        [one] => std::str::from_utf8(one)
            .ok()
            .and_then(|t| AmzDate::parse(t.trim_matches([' ', '\t'])).ok())
            .ok_or(Rejection::InvalidDate),
        _ => Err(Rejection::InvalidDate),
    }
}

/// The session token of a header-signed request: at most one
/// `x-amz-security-token`.
pub(crate) fn header_token<'a>(
    request: &SignableRequest<'a>,
) -> Result<Option<&'a [u8]>, Rejection> {
    match request.header_values("x-amz-security-token").as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(*one)),
        _ => Err(Rejection::InvalidToken {
            problem: TokenProblem::Repeated,
        }),
    }
}

/// The session token of a presigned request: in the query, or (added
/// after signing) in one header, not both.
pub(crate) fn query_token<'a>(
    in_query: Option<&'a str>,
    request: &SignableRequest<'a>,
) -> Result<Option<&'a [u8]>, Rejection> {
    match (
        in_query,
        request.header_values("x-amz-security-token").as_slice(),
    ) {
        (Some(t), []) => Ok(Some(t.as_bytes())),
        (None, []) => Ok(None),
        (None, [one]) => Ok(Some(*one)),
        _ => Err(Rejection::InvalidToken {
            problem: TokenProblem::Repeated,
        }),
    }
}

/// Checks `X-Amz-Expires` against the policy.
pub(crate) fn check_expires(expires: u64, policy: &Policy) -> Result<(), Rejection> {
    let max = policy.max_presign_expiry.as_secs();
    if expires == 0 || expires > max {
        return Err(Rejection::ExpiresOutOfRange { expires, max });
    }
    Ok(())
}

/// The query that was signed: the query minus the signature, and minus the
/// token when the service's rules add it after signing.
pub(crate) fn signed_query(unsigned_query: &str, service: &Service, policy: &Policy) -> String {
    match policy.settings_for(service).session_token {
        SessionTokenMode::AddedAfterSigning => parse::without_token(unsigned_query),
        _ => unsigned_query.to_owned(),
    }
}

fn check_scope(
    kind: AuthKind,
    credential: &CredentialText,
    policy: &Policy,
) -> Result<(), Rejection> {
    if !policy.regions.is_empty()
        && !policy
            .regions
            .iter()
            .any(|r| r == credential.region().as_str())
    {
        return Err(Rejection::WrongRegion {
            kind,
            region: credential.region().as_str().to_owned(),
            expected: policy.regions.clone(),
        });
    }
    check_service(kind, credential.service(), policy)
}

/// Checks that the policy accepts the scope's service.
pub(crate) fn check_service(
    kind: AuthKind,
    service: &Service,
    policy: &Policy,
) -> Result<(), Rejection> {
    if !policy.services.is_empty() && !policy.services.iter().any(|s| s == service.as_str()) {
        return Err(Rejection::WrongService {
            kind,
            service: service.as_str().to_owned(),
            expected: policy.services.clone(),
        });
    }
    Ok(())
}

fn unix(t: SystemTime) -> i128 {
    match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => i128::from(d.as_secs()),
        Err(e) => -i128::from(e.duration().as_secs()),
    }
}

fn time_text(t: SystemTime) -> String {
    AmzDate::from_system_time(t)
        .map_or_else(|_| format!("{} (unix seconds)", unix(t)), |d| d.to_string())
}

pub(crate) fn check_time(
    claim: &Claim<'_>,
    now: SystemTime,
    policy: &Policy,
) -> Result<Option<SystemTime>, Rejection> {
    if claim.scope_date != claim.date.date() {
        return Err(Rejection::ScopeDateMismatch {
            kind: claim.kind,
            scope_date: claim.scope_date.clone(),
            amz_date: claim.date.to_string(),
        });
    }
    let signed = i128::from(claim.date.unix_seconds());
    let now_s = unix(now);
    let skew = i128::from(policy.max_clock_skew.as_secs());
    match claim.expires {
        None => {
            if (now_s - signed).abs() > skew {
                return Err(Rejection::RequestTimeTooSkewed {
                    request_time: claim.date.to_string(),
                    server_time: time_text(now),
                    max_skew_seconds: policy.max_clock_skew.as_secs(),
                });
            }
            Ok(None)
        }
        Some(expires) => {
            if now_s < signed - skew {
                return Err(Rejection::NotYetValid {
                    valid_from: claim.date.to_string(),
                });
            }
            let expires_at = claim.date.to_system_time() + Duration::from_secs(expires);
            if now_s > signed + i128::from(expires) {
                return Err(Rejection::Expired {
                    expired_at: time_text(expires_at),
                    server_time: time_text(now),
                });
            }
            Ok(Some(expires_at))
        }
    }
}

pub(crate) fn check_required(claim: &Claim<'_>, policy: &Policy) -> Result<(), Rejection> {
    let date_header = match claim.kind {
        AuthKind::Header => Some("x-amz-date"),
        AuthKind::Query => None,
    };
    let required = ["host"]
        .into_iter()
        .chain(date_header)
        .chain(policy.required_signed_headers.iter().map(String::as_str));
    for name in required {
        if !claim
            .signed_headers
            .iter()
            .any(|h| h.eq_ignore_ascii_case(name))
        {
            return Err(Rejection::HeaderNotSigned {
                name: name.to_owned(),
            });
        }
    }
    Ok(())
}

/// Refuses `x-amz-*` headers the signature does not cover, as S3 does.
fn check_unsigned(
    request: &SignableRequest<'_>,
    claim: &Claim<'_>,
    policy: &Policy,
) -> Result<(), Rejection> {
    let token_after_signing =
        policy.settings_for(&claim.service).session_token == SessionTokenMode::AddedAfterSigning;
    let mut names: Vec<String> = Vec::new();
    request.for_each_header_name(|name| {
        let is_amz = name
            .get(..6)
            .is_some_and(|p| p.eq_ignore_ascii_case("x-amz-"));
        if !is_amz {
            return;
        }
        let name = name.to_ascii_lowercase();
        let allowed = claim.signed_headers.iter().any(|s| *s == name)
            || policy.unsigned_headers_allowed.contains(&name)
            || (token_after_signing && name == "x-amz-security-token");
        if !allowed && !names.contains(&name) {
            names.push(name);
        }
    });
    if names.is_empty() {
        return Ok(());
    }
    names.sort();
    Err(Rejection::HeadersNotSigned { names })
}

pub(crate) fn lookup<L: CredentialsLookup + ?Sized>(
    claim: &Claim<'_>,
    credentials: &L,
    now: SystemTime,
) -> Result<Credentials, Rejection> {
    let id = claim.access_key_id.as_str();
    let found = credentials
        .lookup(id)
        .map_err(|e| Rejection::LookupFailed {
            reason: e.to_string(),
        })?
        .filter(|c| c.access_key_id() == id)
        .ok_or_else(|| Rejection::UnknownAccessKeyId {
            access_key_id: id.to_owned(),
        })?;
    if found.expiry().is_some_and(|e| now > e) {
        return Err(Rejection::ExpiredCredentials);
    }
    let problem = match (found.session_token(), claim.token) {
        (None, None) => None,
        (Some(expected), Some(given)) => {
            let given = trim_ws(given);
            (!crate::constant_time_eq(expected.as_bytes(), given))
                .then_some(TokenProblem::DoesNotMatch)
        }
        (Some(_), None) => Some(TokenProblem::Missing),
        (None, Some(_)) => Some(TokenProblem::Unexpected),
    };
    if let Some(problem) = problem {
        return Err(Rejection::InvalidToken { problem });
    }
    Ok(found)
}

pub(crate) fn trim_ws(v: &[u8]) -> &[u8] {
    let is_ws = |b: &u8| *b == b' ' || *b == b'\t';
    let start = v.iter().position(|b| !is_ws(b)).unwrap_or(v.len());
    let end = v.iter().rposition(|b| !is_ws(b)).map_or(start, |p| p + 1);
    v.get(start..end).unwrap_or(&[])
}

/// The payload line to sign.
pub(crate) fn payload_line(
    request: &SignableRequest<'_>,
    kind: AuthKind,
    settings: &Settings,
    payload: Payload<'_>,
    policy: &Policy,
) -> Result<PayloadHash, Rejection> {
    let known = match payload {
        Payload::Body(body) => Some(PayloadHash::of(body)),
        Payload::Hash(h) => Some(h),
        Payload::Declared => None,
    };
    let declared = match request.header_values("x-amz-content-sha256").as_slice() {
        [] => None,
        [one] => Some(
            std::str::from_utf8(trim_ws(one))
                .ok()
                .and_then(|t| PayloadHash::parse(t).ok())
                .ok_or(Rejection::InvalidContentSha256)?,
        ),
        _ => return Err(Rejection::InvalidContentSha256),
    };
    let line = match (declared, known) {
        (Some(d), Some(k)) => {
            let mismatch = match (d, k) {
                (PayloadHash::Sha256(_), PayloadHash::Sha256(_)) => {
                    policy.content_sha256 == ContentSha256Check::MustMatch && d != k
                }
                // A declared marker is what was signed; the body is checked
                // some other way (chunk signatures) or not at all.
                (_, PayloadHash::Sha256(_)) => false,
                // The server expects a payload mode: the request must declare it.
                _ => d != k,
            };
            if mismatch {
                return Err(Rejection::ContentSha256Mismatch {
                    declared: d.as_str().to_owned(),
                    computed: k.as_str().to_owned(),
                });
            }
            d
        }
        (Some(d), None) => d,
        (None, Some(k)) => match kind {
            AuthKind::Query if settings.content_sha256 == ContentSha256Header::Include => {
                PayloadHash::Unsigned
            }
            _ => k,
        },
        (None, None) => match kind {
            AuthKind::Query if settings.content_sha256 == ContentSha256Header::Include => {
                PayloadHash::Unsigned
            }
            _ => return Err(Rejection::MissingContentSha256),
        },
    };
    let allowed = match line {
        PayloadHash::Sha256(_) => true,
        PayloadHash::Unsigned => policy.unsigned_payload == Acceptance::Accept,
        _ => policy.streaming_payload == Acceptance::Accept,
    };
    if !allowed {
        return Err(Rejection::PayloadModeNotAllowed {
            declared: line.as_str().to_owned(),
        });
    }
    Ok(line)
}

/// Checks what both kinds of signing and both algorithms check, rebuilds
/// the canonical request, and has `check` verify the signature of its
/// digest with the credentials found: `Err` with the string to sign it
/// computed when the signature does not match.
#[allow(clippy::too_many_arguments)]
pub(crate) fn finish<L: CredentialsLookup + ?Sized>(
    request: &SignableRequest<'_>,
    signed_request: &SignableRequest<'_>,
    claim: Claim<'_>,
    payload: Payload<'_>,
    credentials: &L,
    now: SystemTime,
    policy: &Policy,
    check: impl FnOnce(&Credentials, &Claim<'_>, &[u8; 32]) -> Result<Proof, String>,
) -> Result<Verified, Rejection> {
    check_required(&claim, policy)?;
    check_unsigned(request, &claim, policy)?;
    let expires_at = check_time(&claim, now, policy)?;
    let found = lookup(&claim, credentials, now)?;
    let settings = policy.settings_for(&claim.service);
    let line = payload_line(request, claim.kind, &settings, payload, policy)?;

    let additions = Additions {
        fields: &[],
        host: signed_request.host(),
        only: Some(&claim.signed_headers),
        wire: None,
    };
    let mut plan = Plan::start(signed_request, &line);
    plan.collect_fields(signed_request, &settings, &additions)
        .map_err(|error| match error {
            crate::Error::MissingHost => Rejection::MissingSignedHeader {
                name: "host".to_owned(),
            },
            error => Rejection::InvalidRequest { error },
        })?;
    for name in &claim.signed_headers {
        if !plan
            .fields()
            .as_slice()
            .iter()
            .any(|f| f.name.eq_ignore_ascii_case(name))
        {
            return Err(Rejection::MissingSignedHeader {
                name: (*name).to_owned(),
            });
        }
    }
    plan.collect_params(signed_request, &[])
        .map_err(|error| Rejection::InvalidRequest { error })?;
    let digest = plan.hash(&settings);
    let proof = check(&found, &claim, &digest).map_err(|string_to_sign| {
        Rejection::SignatureDoesNotMatch {
            computed: Box::new(Mismatch {
                canonical_request: CanonicalRequest::from_plan(&plan, &settings)
                    .with_values_redacted(|name| !policy.discloses(name)),
                string_to_sign,
            }),
        }
    })?;
    #[cfg(feature = "chunked")]
    let chunked = crate::chunked::ChunkedBody::from_request(&line, request)?;
    Ok(Verified {
        #[cfg(feature = "chunked")]
        chunked,
        kind: claim.kind,
        access_key_id: claim.access_key_id,
        region: claim.region,
        service: claim.service,
        amz_date: claim.date,
        expires_at,
        payload: line,
        signed_headers: claim
            .signed_headers
            .iter()
            .map(|s| (*s).to_owned())
            .collect(),
        proof,
    })
}

/// Checks a SigV4 signature: HMAC with the key derived for the scope.
fn check_v4(found: &Credentials, claim: &Claim<'_>, digest: &[u8; 32]) -> Result<Proof, String> {
    let scope = CredentialScope::new(&claim.date, &claim.region, &claim.service);
    let string_to_sign = StringToSign::from_digest(scope, digest);
    let signing_key =
        SigningKey::from_credentials(found, &claim.date, &claim.region, &claim.service);
    let signature = signing_key.sign(&string_to_sign);
    if !signature.matches(claim.signature) {
        return Err(string_to_sign.to_string());
    }
    Ok(Proof::V4 {
        signature,
        signing_key,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_policies() {
        let creds = Credentials::new("AKIDEXAMPLE", "secret").unwrap();
        let signer = crate::Signer::new(creds.clone(), "us-east-1", "s3").unwrap();
        let now = std::time::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let sign = |payload: PayloadHash| {
            let mut req = http::Request::put("https://b.s3.amazonaws.com/k")
                .body(())
                .unwrap();
            signer.sign(&mut req, &payload, now).unwrap();
            req
        };
        let check = |req: &http::Request<()>, body: &[u8], policy: &Policy| {
            verify_request(req, Payload::Body(body), &creds, now, policy).map(|_| ())
        };
        let code = |r: Result<(), Rejection>| r.err().map(|e| e.code());

        let unsigned = sign(PayloadHash::Unsigned);
        assert_eq!(code(check(&unsigned, b"x", &Policy::new())), None);
        let refuse = Policy::new().with_unsigned_payload(Acceptance::Refuse);
        assert_eq!(code(check(&unsigned, b"x", &refuse)), Some("AccessDenied"));

        // Nothing here checks the chunks: refused unless the caller says it
        // checks them.
        let mut streaming = http::Request::put("https://b.s3.amazonaws.com/k")
            .header("x-amz-decoded-content-length", "1")
            .body(())
            .unwrap();
        signer
            .sign(&mut streaming, &PayloadHash::StreamingSigned, now)
            .unwrap();
        assert_eq!(
            code(check(&streaming, b"x", &Policy::new())),
            Some("AccessDenied")
        );
        let accept = Policy::new().with_streaming_payload(Acceptance::Accept);
        assert_eq!(code(check(&streaming, b"x", &accept)), None);

        let hashed = sign(PayloadHash::of(b"body"));
        assert_eq!(code(check(&hashed, b"body", &Policy::new())), None);
        assert_eq!(
            code(check(&hashed, b"other", &Policy::new())),
            Some("XAmzContentSHA256Mismatch")
        );
        let trust = Policy::new().with_content_sha256(ContentSha256Check::Trust);
        assert_eq!(code(check(&hashed, b"other", &trust)), None);
    }

    /// Every code's HTTP status, as the AWS documentation lists them: the
    /// Amazon S3 error code list (ErrorResponses.html#ErrorCodeList) and
    /// the common errors of the AWS APIs (CommonErrors.html) for
    /// IncompleteSignature and RequestExpired.
    #[test]
    fn statuses_are_the_documented_ones() {
        let documented = [
            ("AccessDenied", 403),
            ("AuthorizationHeaderMalformed", 400),
            ("AuthorizationQueryParametersError", 400),
            ("ExpiredToken", 400),
            ("IncompleteSignature", 400),
            ("InternalError", 500),
            ("InvalidAccessKeyId", 403),
            ("InvalidArgument", 400),
            ("InvalidRequest", 400),
            ("InvalidToken", 400),
            ("RequestExpired", 400),
            ("RequestTimeTooSkewed", 403),
            ("SignatureDoesNotMatch", 403),
            ("XAmzContentSHA256Mismatch", 400),
        ];
        let parse = |kind, error| Rejection::Malformed { kind, error };
        let all = [
            Rejection::MissingAuthentication,
            Rejection::ConflictingAuthentication,
            Rejection::RepeatedAuthorization,
            parse(
                AuthKind::Header,
                AuthParseError::Missing { part: "Signature" },
            ),
            parse(
                AuthKind::Query,
                AuthParseError::Missing { part: "X-Amz-Date" },
            ),
            Rejection::MissingDate,
            Rejection::InvalidDate,
            Rejection::ExpiresOutOfRange { expires: 0, max: 1 },
            Rejection::RequestTimeTooSkewed {
                request_time: String::new(),
                server_time: String::new(),
                max_skew_seconds: 900,
            },
            Rejection::NotYetValid {
                valid_from: String::new(),
            },
            Rejection::Expired {
                expired_at: String::new(),
                server_time: String::new(),
            },
            Rejection::UnknownAccessKeyId {
                access_key_id: String::new(),
            },
            Rejection::LookupFailed {
                reason: String::new(),
            },
            Rejection::ExpiredCredentials,
            Rejection::InvalidToken {
                problem: TokenProblem::Missing,
            },
            Rejection::InvalidContentSha256,
            Rejection::ContentSha256Mismatch {
                declared: String::new(),
                computed: String::new(),
            },
            Rejection::MissingContentSha256,
            Rejection::MissingSignedHeader {
                name: String::new(),
            },
        ];
        for r in &all {
            let (_, status) = documented
                .iter()
                .find(|(c, _)| *c == r.code())
                .unwrap_or_else(|| panic!("{} is not a documented code", r.code()));
            assert_eq!(r.status().as_u16(), *status, "{}", r.code());
        }
    }

    #[test]
    fn debug_hides_secrets() {
        let q = parse_presigned_query(
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20150830%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Security-Token=TOKENVALUE&X-Amz-Signature=0000000000000000000000000000000000000000000000000000000000000000",
        )
        .unwrap();
        assert_eq!(q.security_token(), Some("TOKENVALUE"));
        assert!(!format!("{q:?}").contains("TOKENVALUE"));

        let creds =
            Credentials::with_session_token("AKID", "SECRETKEY", "TOKENVALUE", None).unwrap();
        let date = AmzDate::parse("20150830T123600Z").unwrap();
        let (region, service) = (
            Region::new("us-east-1").unwrap(),
            Service::new("s3").unwrap(),
        );
        let key = SigningKey::from_credentials(&creds, &date, &region, &service);
        let key_hex = hex::encode(key.expose_secret_bytes());
        let verified = Verified {
            kind: AuthKind::Header,
            access_key_id: "AKID".into(),
            region,
            service,
            amz_date: date,
            expires_at: None,
            payload: PayloadHash::Unsigned,
            signed_headers: vec!["host".into()],
            proof: Proof::V4 {
                signature: key.sign_bytes(b"x"),
                signing_key: key,
            },
            #[cfg(feature = "chunked")]
            chunked: None,
        };
        let shown = format!("{verified:?}");
        assert!(!shown.contains(&key_hex) && !shown.contains("SECRETKEY"));
    }
}
