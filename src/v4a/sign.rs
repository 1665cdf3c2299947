//! SigV4a header signing and the [`Signer`] that holds what does not change
//! between requests.

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use http::{HeaderMap, HeaderName, HeaderValue};

use super::key::{KeyCache, SigningKey};
use super::region_set::RegionSet;
use super::signature::Signature;
use super::string_to_sign::{CredentialScope, StringToSign};
use super::{ALGORITHM, X_AMZ_REGION_SET};
use crate::canonical_request::headers::Additions;
use crate::canonical_request::{CanonicalRequest, Plan};
use crate::credentials::Credentials;
use crate::error::{Error, Redacted};
use crate::fast_path::template::signed_token;
use crate::limits::MAX_HEADER_FIELD_BYTES;
use crate::payload::PayloadHash;
use crate::request::SignableRequest;
use crate::scope::{AmzDate, Service};
use crate::settings::{ContentSha256Header, Settings};
use crate::sign::{
    AddedHeaders, HEADER_SIGNING, X_AMZ_CONTENT_SHA256, X_AMZ_DATE, X_AMZ_SECURITY_TOKEN,
    apply_headers,
};
use crate::sink::{CountSink, Sink};

/// Signs requests with SigV4a for one set of credentials, region set and
/// service.
///
/// It derives the ECDSA key once per credentials and keeps it (the key
/// depends on neither the date nor the region); the cache is keyed by the
/// access key id and the secret, so a rotated secret never reuses an old
/// key. A `Signer` is `Send + Sync`: share one between threads.
///
/// A request to an S3 Multi-Region Access Point:
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use awsig::{Credentials, PayloadHash};
/// use awsig::v4a::Signer;
///
/// let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")?;
/// let signer = Signer::new(creds, "*", "s3")?;
/// let mut req = http::Request::get("https://mfzwi23gnjvgw.mrap.accesspoint.s3-global.amazonaws.com/report.csv")
///     .body(())
///     .unwrap();
/// let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
/// signer.sign(&mut req, &PayloadHash::empty(), now)?;
/// assert_eq!(req.headers()["x-amz-region-set"], "*");
/// assert!(req.headers()["authorization"].to_str().unwrap().starts_with(
///     "AWS4-ECDSA-P256-SHA256 Credential=AKIDEXAMPLE/20231114/s3/aws4_request, \
///      SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-region-set, Signature=30"));
/// # Ok::<(), awsig::Error>(())
/// ```
pub struct Signer {
    credentials: Credentials,
    region_set: RegionSet,
    /// The region set as a header value, made once and shared.
    region_set_header: HeaderValue,
    service: Service,
    settings: Settings,
    cache: KeyCache,
}

impl Signer {
    /// A signer with the preset for `service` ([`Settings::for_service`]).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRegionSet`] or [`Error::InvalidService`] when one of
    /// them is not valid.
    pub fn new(credentials: Credentials, region_set: &str, service: &str) -> Result<Self, Error> {
        let region_set = RegionSet::new(region_set)?;
        let service = Service::new(service)?;
        let region_set_header =
            HeaderValue::from_str(region_set.as_str()).map_err(|_| Error::InvalidRegionSet {
                region_set: region_set.as_str().to_owned(),
                reason: "it is not a valid header value",
            })?;
        Ok(Self {
            credentials,
            region_set,
            region_set_header,
            settings: Settings::for_service(service.as_str()),
            service,
            cache: KeyCache::new(),
        })
    }

    /// Replaces the settings.
    pub fn with_settings(mut self, settings: Settings) -> Self {
        self.settings = settings;
        self
    }

    /// Replaces the credentials (after a rotation). The next request
    /// derives a new key.
    pub fn set_credentials(&mut self, credentials: Credentials) {
        self.credentials = credentials;
        self.cache.clear();
    }

    /// The credentials.
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// The region set.
    pub fn region_set(&self) -> &RegionSet {
        &self.region_set
    }

    /// The service.
    pub fn service(&self) -> &Service {
        &self.service
    }

    /// The settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The credential scope for a date.
    pub fn scope<'a>(&'a self, date: &'a AmzDate) -> CredentialScope<'a> {
        CredentialScope::new(date, &self.service)
    }

    /// The derived key for the signer's credentials, from the cache when it
    /// holds it.
    ///
    /// # Errors
    ///
    /// As [`SigningKey::derive`].
    pub fn signing_key(&self) -> Result<Arc<SigningKey>, Error> {
        self.cache.get(&self.credentials)
    }

    /// The derived key for `credentials`, from the cache when it holds it.
    pub(crate) fn key_for(&self, credentials: &Credentials) -> Result<Arc<SigningKey>, Error> {
        self.cache.get(credentials)
    }

    /// Signs an `http::Request` in place: adds `x-amz-date`,
    /// `x-amz-region-set`, `x-amz-security-token` (with temporary
    /// credentials), `x-amz-content-sha256` (when the settings ask for it)
    /// and `authorization`. Returns the signature.
    ///
    /// The URI is first put in the form every HTTP client sends unchanged,
    /// as [`crate::Signer::sign`] describes, and signed as it will be sent.
    ///
    /// # Errors
    ///
    /// As [`Signer::signing_output`], and
    /// [`Error::InvalidHeaderValue`] when a header cannot be added.
    pub fn sign<B>(
        &self,
        request: &mut http::Request<B>,
        payload: &PayloadHash,
        now: SystemTime,
    ) -> Result<Signature, Error> {
        let rewritten = crate::wire::rewrite(request.uri(), &self.settings)?;
        let uri = rewritten.as_ref().unwrap_or(request.uri());
        let view = SignableRequest::from_http(request.method(), uri, request.headers())?;
        let output = self.signing_output(&view, payload, now)?;
        let signature = output.signature;
        if let Some(uri) = rewritten {
            *request.uri_mut() = uri;
        }
        output.apply_to(request.headers_mut())?;
        Ok(signature)
    }

    /// Signs `http::request::Parts` in place, as [`Signer::sign`].
    ///
    /// # Errors
    ///
    /// As [`Signer::sign`].
    pub fn sign_parts(
        &self,
        parts: &mut http::request::Parts,
        payload: &PayloadHash,
        now: SystemTime,
    ) -> Result<Signature, Error> {
        let rewritten = crate::wire::rewrite(&parts.uri, &self.settings)?;
        let uri = rewritten.as_ref().unwrap_or(&parts.uri);
        let view = SignableRequest::from_http(&parts.method, uri, &parts.headers)?;
        let output = self.signing_output(&view, payload, now)?;
        let signature = output.signature;
        if let Some(uri) = rewritten {
            parts.uri = uri;
        }
        output.apply_to(&mut parts.headers)?;
        Ok(signature)
    }

    /// Computes the headers to add without touching the request.
    ///
    /// # Errors
    ///
    /// What canonicalizing the request refuses (a malformed path, query or
    /// header, too many headers, no host), a signing time out of range,
    /// [`Error::InvalidPayloadHash`] for the SigV4 streaming markers (their
    /// chunks are signed with HMAC, which a SigV4a request cannot use),
    /// [`Error::PayloadNotDeclared`] for `UNSIGNED-PAYLOAD` where the
    /// service hashes the body and the request does not declare it, and
    /// as [`SigningKey::derive`].
    pub fn signing_output(
        &self,
        request: &SignableRequest<'_>,
        payload: &PayloadHash,
        now: SystemTime,
    ) -> Result<SigningOutput, Error> {
        self.signing_output_with(&self.credentials, request, payload, now)
    }

    /// As [`Signer::signing_output`], with other credentials than the
    /// signer's own. The key cache notices the change.
    ///
    /// # Errors
    ///
    /// As [`Signer::signing_output`].
    pub fn signing_output_with(
        &self,
        credentials: &Credentials,
        request: &SignableRequest<'_>,
        payload: &PayloadHash,
        now: SystemTime,
    ) -> Result<SigningOutput, Error> {
        check_payload(payload)?;
        let date = AmzDate::from_system_time(now)?;
        let key = self.key_for(credentials)?;
        let token = signed_token(&self.settings, credentials).map(str::as_bytes);
        let (authorization, signature) =
            self.with_header_plan(request, &date, payload, token, |plan| {
                // Signing, not the canonical-request stage, refuses a
                // payload hash the server would not compute.
                crate::sign::check_payload_mode(
                    &self.settings,
                    self.service().as_str(),
                    request,
                    payload,
                    false,
                )?;
                let digest = plan.hash(&self.settings);
                let signature = key.sign(&StringToSign::from_digest(self.scope(&date), &digest));
                let auth = self.authorization(credentials, &date, plan, &signature)?;
                Ok::<_, Error>((auth, signature))
            })??;
        Ok(SigningOutput {
            amz_date: date,
            region_set: self.region_set_header.clone(),
            authorization,
            content_sha256: self.signs_payload_header(request).then_some(*payload),
            security_token: credentials.session_token_header(),
            signature,
        })
    }

    /// The canonical request that [`Signer::sign`] would sign at `now`.
    ///
    /// # Errors
    ///
    /// As [`Signer::signing_output`], but for the key derivation.
    pub fn canonical_request(
        &self,
        request: &SignableRequest<'_>,
        payload: &PayloadHash,
        now: SystemTime,
    ) -> Result<CanonicalRequest, Error> {
        check_payload(payload)?;
        let date = AmzDate::from_system_time(now)?;
        let token = signed_token(&self.settings, &self.credentials).map(str::as_bytes);
        self.with_header_plan(request, &date, payload, token, |plan| {
            CanonicalRequest::from_plan(plan, &self.settings)
        })
    }

    /// Gathers what header signing signs (the request's fields and query,
    /// and the fields signing adds) and hands the plan to `finish`.
    fn with_header_plan<T>(
        &self,
        request: &SignableRequest<'_>,
        date: &AmzDate,
        payload: &PayloadHash,
        token: Option<&[u8]>,
        finish: impl FnOnce(&Plan<'_>) -> T,
    ) -> Result<T, Error> {
        let mut fields: [(&'static str, &[u8]); 4] = [
            (X_AMZ_DATE, date.as_bytes()),
            (X_AMZ_REGION_SET, self.region_set.as_str().as_bytes()),
            ("", b""),
            ("", b""),
        ];
        let mut n = 2;
        if let Some(token) = token
            && let Some(slot) = fields.get_mut(n)
        {
            *slot = (X_AMZ_SECURITY_TOKEN, token);
            n += 1;
        }
        if self.signs_payload_header(request)
            && let Some(slot) = fields.get_mut(n)
        {
            *slot = (X_AMZ_CONTENT_SHA256, payload.as_bytes());
            n += 1;
        }
        let additions = Additions {
            fields: fields.get(..n).unwrap_or(&[]),
            host: request.host(),
            only: None,
            wire: Some(HEADER_SIGNING),
        };
        crate::sign::check_path_to_sign(request, &self.settings)?;
        crate::sign::check_header_signable(request)?;
        crate::sign::check_streaming(request, payload)?;
        let mut plan = Plan::start(request, payload);
        plan.collect_fields(request, &self.settings, &additions)?;
        plan.collect_params(request, &[])?;
        Ok(finish(&plan))
    }

    /// Whether header signing sets and signs `x-amz-content-sha256`: when
    /// the settings ask for it, and whenever the request already carries
    /// one (as [`crate::Signer`] does).
    fn signs_payload_header(&self, request: &SignableRequest<'_>) -> bool {
        self.settings.content_sha256 == ContentSha256Header::Include
            || request.has_header(X_AMZ_CONTENT_SHA256)
    }

    /// `AWS4-ECDSA-P256-SHA256 Credential=…, SignedHeaders=…, Signature=…`,
    /// in a buffer of exactly its length (so that it becomes a header value
    /// without another allocation). Refuses a value longer than a header
    /// field may be.
    fn authorization(
        &self,
        credentials: &Credentials,
        date: &AmzDate,
        plan: &Plan<'_>,
        signature: &Signature,
    ) -> Result<Vec<u8>, Error> {
        let write = |sink: &mut dyn FnMut(&[u8])| {
            sink(ALGORITHM.as_bytes());
            sink(b" Credential=");
            sink(credentials.access_key_id().as_bytes());
            sink(b"/");
            sink(date.date().as_bytes());
            sink(b"/");
            sink(self.service.as_str().as_bytes());
            sink(b"/aws4_request, SignedHeaders=");
        };
        let mut count = CountSink::default();
        write(&mut |b| count.put(b));
        plan.write_signed_headers(&mut count);
        let len = count.0 + b", Signature=".len() + signature.as_bytes().len();
        if len > MAX_HEADER_FIELD_BYTES {
            return Err(Error::HeaderTooLarge {
                name: "authorization".to_owned(),
                len,
                limit: MAX_HEADER_FIELD_BYTES,
            });
        }
        let mut auth = Vec::with_capacity(len);
        write(&mut |b| auth.put(b));
        plan.write_signed_headers(&mut auth);
        auth.put(b", Signature=");
        auth.put(signature.as_bytes());
        Ok(auth)
    }
}

/// Refuses the payload markers whose chunks SigV4 signs with HMAC.
pub(crate) fn check_payload(payload: &PayloadHash) -> Result<(), Error> {
    match payload {
        PayloadHash::StreamingSigned | PayloadHash::StreamingSignedTrailer => {
            Err(Error::InvalidPayloadHash {
                reason: "the STREAMING-AWS4-HMAC-SHA256 markers sign chunks with HMAC, which SigV4a does not use",
            })
        }
        _ => Ok(()),
    }
}

/// The credentials are [`ZeroizeOnDrop`](zeroize::ZeroizeOnDrop), and the
/// derived key is zeroized when its last holder drops it.
impl zeroize::ZeroizeOnDrop for Signer {}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("credentials", &self.credentials)
            .field("region_set", &self.region_set)
            .field("service", &self.service)
            .field("settings", &self.settings)
            .finish()
    }
}

/// What SigV4a header signing adds to a request. Apply it with
/// [`SigningOutput::apply_to`], or read the pairs with
/// [`SigningOutput::headers`] for another HTTP type.
pub struct SigningOutput {
    amz_date: AmzDate,
    region_set: HeaderValue,
    authorization: Vec<u8>,
    content_sha256: Option<PayloadHash>,
    security_token: Option<HeaderValue>,
    signature: Signature,
}

impl SigningOutput {
    /// The signature.
    pub fn signature(&self) -> &Signature {
        &self.signature
    }

    /// The signing time (the `x-amz-date` value).
    pub fn amz_date(&self) -> &AmzDate {
        &self.amz_date
    }

    /// The `authorization` header value.
    pub fn authorization(&self) -> &str {
        std::str::from_utf8(&self.authorization).unwrap_or("")
    }

    /// The headers to add, as `(lowercase name, value)`, in the order
    /// `x-amz-security-token`, `x-amz-date`, `x-amz-region-set`,
    /// `x-amz-content-sha256`, `authorization` (the ones that apply). The
    /// token is a secret: do not log it.
    pub fn headers(&self) -> impl Iterator<Item = (&'static str, &str)> {
        let token = self
            .security_token
            .as_ref()
            .and_then(|t| t.to_str().ok())
            .map(|t| (X_AMZ_SECURITY_TOKEN, t));
        let sha = self
            .content_sha256
            .as_ref()
            .map(|p| (X_AMZ_CONTENT_SHA256, p.as_str()));
        token
            .into_iter()
            .chain(std::iter::once((X_AMZ_DATE, self.amz_date.as_str())))
            .chain(std::iter::once((
                X_AMZ_REGION_SET,
                self.region_set.to_str().unwrap_or(""),
            )))
            .chain(sha)
            .chain(std::iter::once(("authorization", self.authorization())))
    }

    /// Inserts the headers into a header map, replacing any of the same
    /// names. `authorization` and the token are marked sensitive.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidHeaderValue`] when a value cannot be a header value
    /// (it always can: every value is checked visible ASCII).
    pub fn apply_to(self, headers: &mut HeaderMap) -> Result<(), Error> {
        apply_headers(
            headers,
            AddedHeaders {
                security_token: self.security_token,
                amz_date: &self.amz_date,
                content_sha256: self.content_sha256,
                authorization: self.authorization,
                extra: Some((
                    const { HeaderName::from_static(X_AMZ_REGION_SET) },
                    self.region_set,
                )),
            },
        )
    }
}

impl fmt::Debug for SigningOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningOutput")
            .field("amz_date", &self.amz_date)
            .field("region_set", &self.region_set)
            .field("authorization", &self.authorization())
            .field("content_sha256", &self.content_sha256)
            .field(
                "security_token",
                &self.security_token.as_ref().map(|_| Redacted),
            )
            .finish()
    }
}
