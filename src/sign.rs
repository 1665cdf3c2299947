//! Header signing and the [`Signer`] that holds what does not change
//! between requests.

use std::cell::RefCell;
use std::fmt;
use std::time::SystemTime;

use http::{HeaderMap, HeaderName, HeaderValue};

use crate::canonical_request::headers::{Additions, WireChange};
use crate::canonical_request::query;
use crate::canonical_request::{CanonicalRequest, Plan};
use crate::credentials::Credentials;
use crate::error::{Error, Redacted};
use crate::fast_path::template::{
    self, DATE_MARK, HeaderShape, Kind, PAYLOAD_MARK, TOKEN_MARK, Template, TokenText, signed_token,
};
use crate::limits::MAX_HEADER_FIELD_BYTES;
use crate::payload::PayloadHash;
use crate::request::SignableRequest;
use crate::scope::{AmzDate, CredentialScope, Region, Service};
use crate::settings::{ContentSha256Header, EndpointCheck, Settings, UriEncoding};
use crate::signature::Signature;
use crate::signing_key::{KeyCache, KeyFor, SigningKey};
use crate::sink::{CountSink, Sink};
use crate::string_to_sign::{ALGORITHM, StringToSign};

pub(crate) const X_AMZ_DATE: &str = "x-amz-date";
pub(crate) const X_AMZ_SECURITY_TOKEN: &str = "x-amz-security-token";
pub(crate) const X_AMZ_CONTENT_SHA256: &str = "x-amz-content-sha256";

/// Signs requests for one set of credentials, region and service.
///
/// It keeps the day's derived signing key and reuses it for every request
/// signed that day; the cache is keyed by the credentials too, so
/// [`Signer::set_credentials`] with a rotated secret never reuses an old key.
/// A `Signer` is `Send + Sync`: share one between threads (for example in an
/// `Arc`); signing takes no lock.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use awsig::{Credentials, PayloadHash, Signer};
///
/// let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")?;
/// let signer = Signer::new(creds, "us-west-2", "aps")?;
/// let body = b"...snappy-compressed protobuf...".to_vec();
/// let mut req = http::Request::post(
///     "https://aps-workspaces.us-west-2.amazonaws.com/workspaces/ws-1/api/v1/remote_write",
/// )
/// .header("content-type", "application/x-protobuf")
/// .body(body)
/// .unwrap();
/// let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
/// let payload = PayloadHash::of(req.body());
/// signer.sign(&mut req, &payload, now)?;
/// assert!(req.headers()["authorization"].as_bytes().starts_with(b"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20231114/us-west-2/aps/aws4_request"));
/// # Ok::<(), awsig::Error>(())
/// ```
pub struct Signer {
    credentials: Credentials,
    region: Region,
    service: Service,
    settings: Settings,
    cache: KeyCache,
}

impl Signer {
    /// A signer with the preset for `service` ([`Settings::for_service`]).
    ///
    /// # Errors
    ///
    /// - [`Error::InvalidRegion`](crate::Error::InvalidRegion) when the region is empty, longer than 64 bytes, or holds '/', whitespace, control or non-ASCII characters;
    /// - [`Error::InvalidService`](crate::Error::InvalidService) for the same faults in the service, or upper-case letters.
    pub fn new(credentials: Credentials, region: &str, service: &str) -> Result<Self, Error> {
        let region = Region::new(region)?;
        let service = Service::new(service)?;
        let settings = Settings::for_service(service.as_str());
        Ok(Self {
            credentials,
            region,
            service,
            settings,
            cache: KeyCache::new(),
        })
    }

    /// Replaces the settings.
    pub fn with_settings(mut self, settings: Settings) -> Self {
        self.settings = settings;
        self
    }

    /// Sets the check of each request's host against the signer's region
    /// and service ([`EndpointCheck`]): with [`EndpointCheck::Refuse`],
    /// signing a request for an AWS endpoint of another region or service
    /// fails with [`Error::EndpointMismatch`](crate::Error::EndpointMismatch).
    ///
    /// ```
    /// use awsig::{Credentials, EndpointCheck, PayloadHash, Signer};
    ///
    /// let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")?;
    /// let signer = Signer::new(creds, "us-east-1", "sqs")?.with_endpoint_check(EndpointCheck::Refuse);
    /// let mut req = http::Request::post("https://sqs.eu-west-1.amazonaws.com/").body(()).unwrap();
    /// let err = signer.sign(&mut req, &PayloadHash::empty(), std::time::SystemTime::now()).unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     r#"the host sqs.eu-west-1.amazonaws.com names region "eu-west-1" (the request is signed for "us-east-1")"#
    /// );
    /// # Ok::<(), awsig::Error>(())
    /// ```
    pub fn with_endpoint_check(mut self, check: EndpointCheck) -> Self {
        self.settings.endpoint_check = check;
        self
    }

    /// With [`EndpointCheck::Refuse`], refuses a request whose host is an
    /// AWS endpoint of another service or region than the signer's.
    pub(crate) fn check_endpoint(&self, request: &SignableRequest<'_>) -> Result<(), Error> {
        if self.settings.endpoint_check == EndpointCheck::Off {
            return Ok(());
        }
        let header;
        let host = match request.host() {
            Some(host) => host,
            None => {
                header = request.header_values("host");
                match header.first().map(|v| std::str::from_utf8(v)) {
                    Some(Ok(host)) => host,
                    _ => return Ok(()),
                }
            }
        };
        crate::endpoint::check(host.trim(), self.region.as_str(), self.service.as_str())
            .map(|_| ())
            .map_err(crate::endpoint::EndpointMismatch::into_error)
    }

    /// Replaces the credentials (after a rotation). The next request
    /// derives a new key.
    pub fn set_credentials(&mut self, credentials: Credentials) {
        self.credentials = credentials;
    }

    /// The credentials.
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// The region.
    pub fn region(&self) -> &Region {
        &self.region
    }

    /// The service.
    pub fn service(&self) -> &Service {
        &self.service
    }

    /// The settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The signing key for a date, from the cache when it holds it.
    pub fn signing_key(&self, date: &AmzDate) -> SigningKey {
        self.signing_key_for(&self.credentials, date)
    }

    pub(crate) fn signing_key_for(&self, credentials: &Credentials, date: &AmzDate) -> SigningKey {
        self.cache.get(&self.key_for(credentials, date))
    }

    fn key_for<'a>(&'a self, credentials: &'a Credentials, date: &'a AmzDate) -> KeyFor<'a> {
        KeyFor {
            credentials,
            fingerprint: credentials.fingerprint(),
            date,
            region: &self.region,
            service: &self.service,
        }
    }

    /// Signs a string to sign with the key for `date`, from the cache.
    pub(crate) fn sign_string(
        &self,
        credentials: &Credentials,
        date: &AmzDate,
        string_to_sign: &StringToSign<'_>,
    ) -> Signature {
        self.cache
            .sign(&self.key_for(credentials, date), string_to_sign)
    }

    /// The credential scope for a date.
    pub fn scope<'a>(&'a self, date: &'a AmzDate) -> CredentialScope<'a> {
        CredentialScope::new(date, &self.region, &self.service)
    }

    /// Signs an `http::Request` in place: adds `x-amz-date`,
    /// `x-amz-security-token` (with temporary credentials),
    /// `x-amz-content-sha256` (when the settings ask for it) and
    /// `authorization`. Returns the signature.
    ///
    /// Before signing, the URI is put in the form every HTTP client sends
    /// unchanged (hyper as it is, reqwest through the `url` crate): the host
    /// in lower case, IPv6 literals in their shortest form, dot segments
    /// removed where the service normalizes paths, `\`, `{` and `}`
    /// percent-encoded, and with S3's rules a raw `+` in the path written
    /// `%2B` (S3 reads a raw `+` as a space). Each rewrite means the same to
    /// the server; the request is signed as it will be sent.
    ///
    /// # Errors
    ///
    /// - [`Error::InvalidMethod`](crate::Error::InvalidMethod), [`Error::MissingHost`](crate::Error::MissingHost), [`Error::InvalidHost`](crate::Error::InvalidHost), [`Error::InvalidUri`](crate::Error::InvalidUri), [`Error::InvalidPath`](crate::Error::InvalidPath), [`Error::InvalidQuery`](crate::Error::InvalidQuery), [`Error::InvalidHeaderName`](crate::Error::InvalidHeaderName), [`Error::InvalidHeaderValue`](crate::Error::InvalidHeaderValue), [`Error::TooManyHeaders`](crate::Error::TooManyHeaders) or [`Error::HeaderTooLarge`](crate::Error::HeaderTooLarge) when the request cannot be signed as it stands (each variant names the part and the reason);
    /// - [`Error::TimeOutOfRange`](crate::Error::TimeOutOfRange) when `now` is before 1970 or after the year 9999;
    /// - [`Error::PayloadNotDeclared`](crate::Error::PayloadNotDeclared) for `UNSIGNED-PAYLOAD` when the service hashes the body and the request does not declare it (see [`ContentSha256Header::Include`](crate::ContentSha256Header::Include)).
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

    /// Signs `http::request::Parts` in place, as [`Signer::sign`] (the URI
    /// rewritten the same way).
    ///
    /// # Errors
    ///
    /// - [`Error::InvalidMethod`](crate::Error::InvalidMethod), [`Error::MissingHost`](crate::Error::MissingHost), [`Error::InvalidHost`](crate::Error::InvalidHost), [`Error::InvalidUri`](crate::Error::InvalidUri), [`Error::InvalidPath`](crate::Error::InvalidPath), [`Error::InvalidQuery`](crate::Error::InvalidQuery), [`Error::InvalidHeaderName`](crate::Error::InvalidHeaderName), [`Error::InvalidHeaderValue`](crate::Error::InvalidHeaderValue), [`Error::TooManyHeaders`](crate::Error::TooManyHeaders) or [`Error::HeaderTooLarge`](crate::Error::HeaderTooLarge) when the request cannot be signed as it stands (each variant names the part and the reason);
    /// - [`Error::TimeOutOfRange`](crate::Error::TimeOutOfRange) when `now` is before 1970 or after the year 9999;
    /// - [`Error::PayloadNotDeclared`](crate::Error::PayloadNotDeclared) for `UNSIGNED-PAYLOAD` when the service hashes the body and the request does not declare it (see [`ContentSha256Header::Include`](crate::ContentSha256Header::Include)).
    pub fn sign_parts(
        &self,
        parts: &mut http::request::Parts,
        payload: &PayloadHash,
        now: SystemTime,
    ) -> Result<Signature, Error> {
        self.sign_head_with(
            &self.credentials,
            &parts.method,
            &mut parts.uri,
            &mut parts.headers,
            payload,
            now,
        )
    }

    /// Signs a request's method, URI and headers in place with
    /// `credentials`, as [`Signer::sign_parts`] does with the signer's own.
    pub(crate) fn sign_head_with(
        &self,
        credentials: &Credentials,
        method: &http::Method,
        uri: &mut http::Uri,
        headers: &mut HeaderMap,
        payload: &PayloadHash,
        now: SystemTime,
    ) -> Result<Signature, Error> {
        let rewritten = crate::wire::rewrite(uri, &self.settings)?;
        let view = SignableRequest::from_http(method, rewritten.as_ref().unwrap_or(uri), headers)?;
        let output = self.signing_output_with(credentials, &view, payload, now)?;
        let signature = output.signature;
        if let Some(rewritten) = rewritten {
            *uri = rewritten;
        }
        output.apply_to(headers)?;
        Ok(signature)
    }

    /// Computes the headers to add without touching the request: for callers
    /// with other HTTP types, or that want to inspect before applying.
    ///
    /// # Errors
    ///
    /// - [`Error::InvalidMethod`](crate::Error::InvalidMethod), [`Error::MissingHost`](crate::Error::MissingHost), [`Error::InvalidHost`](crate::Error::InvalidHost), [`Error::InvalidUri`](crate::Error::InvalidUri), [`Error::InvalidPath`](crate::Error::InvalidPath), [`Error::InvalidQuery`](crate::Error::InvalidQuery), [`Error::InvalidHeaderName`](crate::Error::InvalidHeaderName), [`Error::InvalidHeaderValue`](crate::Error::InvalidHeaderValue), [`Error::TooManyHeaders`](crate::Error::TooManyHeaders) or [`Error::HeaderTooLarge`](crate::Error::HeaderTooLarge) when the request cannot be signed as it stands (each variant names the part and the reason);
    /// - [`Error::TimeOutOfRange`](crate::Error::TimeOutOfRange) when `now` is before 1970 or after the year 9999;
    /// - [`Error::PayloadNotDeclared`](crate::Error::PayloadNotDeclared) for `UNSIGNED-PAYLOAD` when the service hashes the body and the request does not declare it (see [`ContentSha256Header::Include`](crate::ContentSha256Header::Include)).
    pub fn signing_output(
        &self,
        request: &SignableRequest<'_>,
        payload: &PayloadHash,
        now: SystemTime,
    ) -> Result<SigningOutput, Error> {
        self.signing_output_with(&self.credentials, request, payload, now)
    }

    /// As [`Signer::signing_output`], with other credentials than the
    /// signer's own (for example fresh ones from a provider). The key cache
    /// notices the change.
    ///
    /// # Errors
    ///
    /// - [`Error::InvalidMethod`](crate::Error::InvalidMethod), [`Error::MissingHost`](crate::Error::MissingHost), [`Error::InvalidHost`](crate::Error::InvalidHost), [`Error::InvalidUri`](crate::Error::InvalidUri), [`Error::InvalidPath`](crate::Error::InvalidPath), [`Error::InvalidQuery`](crate::Error::InvalidQuery), [`Error::InvalidHeaderName`](crate::Error::InvalidHeaderName), [`Error::InvalidHeaderValue`](crate::Error::InvalidHeaderValue), [`Error::TooManyHeaders`](crate::Error::TooManyHeaders) or [`Error::HeaderTooLarge`](crate::Error::HeaderTooLarge) when the request cannot be signed as it stands (each variant names the part and the reason);
    /// - [`Error::TimeOutOfRange`](crate::Error::TimeOutOfRange) when `now` is before 1970 or after the year 9999;
    /// - [`Error::PayloadNotDeclared`](crate::Error::PayloadNotDeclared) for `UNSIGNED-PAYLOAD` when the service hashes the body and the request does not declare it (see [`ContentSha256Header::Include`](crate::ContentSha256Header::Include)).
    pub fn signing_output_with(
        &self,
        credentials: &Credentials,
        request: &SignableRequest<'_>,
        payload: &PayloadHash,
        now: SystemTime,
    ) -> Result<SigningOutput, Error> {
        let date = AmzDate::from_system_time(now)?;
        let mut auth = Vec::new();
        let (signature, payload_header) =
            self.write_authorization(credentials, request, payload, &date, &mut auth)?;
        let content_sha256 = payload_header.then_some(*payload);
        Ok(SigningOutput {
            amz_date: date,
            authorization: auth,
            content_sha256,
            security_token: credentials.session_token_header(),
            signature,
        })
    }

    /// Signs `request` at `date` and writes the `authorization` value into
    /// `auth` (cleared first; grown to the exact length when it is too small).
    /// Shared by [`Signer::signing_output_with`] and the reusable-buffer path.
    /// Returns the signature, and whether signing set `x-amz-content-sha256`
    /// (see [`Signer::signs_payload_header`]).
    ///
    /// The canonical request's digest comes from this thread's template
    /// when it holds the request's shape, else from canonicalizing the
    /// request (and the shape is noted, see [`crate::fast_path::template`]).
    pub(crate) fn write_authorization(
        &self,
        credentials: &Credentials,
        request: &SignableRequest<'_>,
        payload: &PayloadHash,
        date: &AmzDate,
        auth: &mut Vec<u8>,
    ) -> Result<(Signature, bool), Error> {
        self.check_endpoint(request)?;
        check_streaming(request, payload)?;
        // After the request's own checks (which a template's shape has
        // passed before), so that a request wrong in both ways is refused
        // for the same reason on every path.
        let check_payload = || {
            check_payload_mode(
                &self.settings,
                self.service.as_str(),
                request,
                payload,
                false,
            )
        };
        let scope = self.scope(date);
        let token = signed_token(&self.settings, credentials);
        let shape = HeaderShape {
            settings: &self.settings,
            token: token.is_some(),
            request,
        };
        let memo = template::lookup(Kind::Header, &shape, |template| {
            check_payload()?;
            let list = SignedList::Bytes(template.signed_headers());
            self.write_authorization_head(credentials, &scope, list, auth)?;
            let token = TokenText::Raw(token.unwrap_or_default().as_bytes());
            Ok((
                template.digest(date, payload, token),
                template.signs_payload_header(),
            ))
        });
        let (digest, payload_header) = match memo {
            Some(digest) => digest?,
            None => {
                let digest = self.with_header_plan(
                    request,
                    date.as_bytes(),
                    payload.as_str(),
                    token.map(str::as_bytes),
                    |plan| {
                        check_payload()?;
                        self.write_authorization_head(
                            credentials,
                            &scope,
                            SignedList::Plan(plan),
                            auth,
                        )?;
                        Ok(plan.hash(&self.settings))
                    },
                )??;
                template::learn(Kind::Header, &shape, |template, scratch| {
                    self.render_template(template, credentials, request, scratch)
                });
                (digest, self.signs_payload_header(request))
            }
        };
        let signature = self.sign_string(
            credentials,
            date,
            &StringToSign::from_digest(scope, &digest),
        );
        auth.put(signature.as_bytes());
        Ok((signature, payload_header))
    }

    /// Renders the header-signing template of `request` as this signer signs
    /// it with `credentials`: its canonical request with marks for the date,
    /// the payload hash and the token. `Ok(false)` when the rendered text does
    /// not hold exactly the marks expected (then the template must not be
    /// used).
    pub(crate) fn render_template(
        &self,
        template: &mut Template,
        credentials: &Credentials,
        request: &SignableRequest<'_>,
        scratch: &mut Vec<u8>,
    ) -> Result<bool, Error> {
        let token = signed_token(&self.settings, credentials).map(|_| TOKEN_MARK);
        scratch.clear();
        let mut signed = Vec::new();
        self.with_header_plan(request, DATE_MARK, PAYLOAD_MARK, token, |plan| {
            plan.write(scratch, &self.settings);
            plan.write_signed_headers(&mut signed);
        })?;
        let payloads = if self.signs_payload_header(request) {
            2
        } else {
            1
        };
        Ok(template.set(scratch, &signed) == [1, payloads, usize::from(token.is_some()), 0])
    }

    /// Whether header signing sets and signs `x-amz-content-sha256` for
    /// `request`: when the settings ask for it, and whenever the request
    /// already carries one, so that the header a server reads as the payload
    /// hash is always the one signed.
    pub(crate) fn signs_payload_header(&self, request: &SignableRequest<'_>) -> bool {
        self.settings.content_sha256 == ContentSha256Header::Include
            || request.has_header(X_AMZ_CONTENT_SHA256)
    }

    /// Gathers what header signing signs (the request's fields and query
    /// and the fields signing adds: `date`, `payload` when the settings add
    /// `x-amz-content-sha256`, and `token`) and hands the plan to `finish`.
    pub(crate) fn with_header_plan<T>(
        &self,
        request: &SignableRequest<'_>,
        date: &[u8],
        payload: &str,
        token: Option<&[u8]>,
        finish: impl FnOnce(&Plan<'_>) -> T,
    ) -> Result<T, Error> {
        let mut additions_buf: [(&'static str, &[u8]); 3] = [("", b""); 3];
        let fields = header_additions(
            self.signs_payload_header(request),
            date,
            token,
            payload.as_bytes(),
            &mut additions_buf,
        );
        let additions = Additions {
            fields,
            host: request.host(),
            only: None,
            wire: Some(HEADER_SIGNING),
        };
        check_path_to_sign(request, &self.settings)?;
        check_header_signable(request)?;
        let mut plan = Plan::start_with_payload_text(request, payload);
        plan.collect_fields(request, &self.settings, &additions)?;
        plan.collect_params(request, &[])?;
        Ok(finish(&plan))
    }

    /// Writes `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=`
    /// into `auth`, cleared and sized for the whole value: the signature's
    /// 64 digits are all that is left to add. Refuses a value longer than a
    /// header field may be.
    pub(crate) fn write_authorization_head(
        &self,
        credentials: &Credentials,
        scope: &CredentialScope<'_>,
        signed: SignedList<'_, '_>,
        auth: &mut Vec<u8>,
    ) -> Result<(), Error> {
        let signed_len = match signed {
            SignedList::Plan(plan) => {
                let mut count = CountSink::default();
                plan.write_signed_headers(&mut count);
                count.0
            }
            SignedList::Bytes(list) => list.len(),
        };
        let len = ALGORITHM.len()
            + 12
            + credentials.access_key_id().len()
            + 1
            + 8
            + 1
            + self.region.as_str().len()
            + 1
            + self.service.as_str().len()
            + 13
            + 16
            + signed_len
            + 12
            + 64;
        if len > MAX_HEADER_FIELD_BYTES {
            return Err(Error::HeaderTooLarge {
                name: "authorization".to_owned(),
                len,
                limit: MAX_HEADER_FIELD_BYTES,
            });
        }
        auth.clear();
        // Exactly the length, so that a fresh buffer becomes a header value
        // without another allocation.
        auth.reserve_exact(len);
        auth.put(ALGORITHM.as_bytes());
        auth.put(b" Credential=");
        auth.put(credentials.access_key_id().as_bytes());
        auth.put(b"/");
        scope.write_to(auth);
        auth.put(b", SignedHeaders=");
        match signed {
            SignedList::Plan(plan) => plan.write_signed_headers(auth),
            SignedList::Bytes(list) => auth.put(list),
        }
        auth.put(b", Signature=");
        Ok(())
    }

    /// The canonical request that [`Signer::sign`] would sign at `now`.
    ///
    /// # Errors
    ///
    /// - [`Error::InvalidMethod`](crate::Error::InvalidMethod), [`Error::MissingHost`](crate::Error::MissingHost), [`Error::InvalidHost`](crate::Error::InvalidHost), [`Error::InvalidUri`](crate::Error::InvalidUri), [`Error::InvalidPath`](crate::Error::InvalidPath), [`Error::InvalidQuery`](crate::Error::InvalidQuery), [`Error::InvalidHeaderName`](crate::Error::InvalidHeaderName), [`Error::InvalidHeaderValue`](crate::Error::InvalidHeaderValue), [`Error::TooManyHeaders`](crate::Error::TooManyHeaders) or [`Error::HeaderTooLarge`](crate::Error::HeaderTooLarge) when the request cannot be signed as it stands (each variant names the part and the reason);
    /// - [`Error::TimeOutOfRange`](crate::Error::TimeOutOfRange) when `now` is before 1970 or after the year 9999.
    pub fn canonical_request(
        &self,
        request: &SignableRequest<'_>,
        payload: &PayloadHash,
        now: SystemTime,
    ) -> Result<CanonicalRequest, Error> {
        let date = AmzDate::from_system_time(now)?;
        let token = signed_token(&self.settings, &self.credentials).map(str::as_bytes);
        self.with_header_plan(request, date.as_bytes(), payload.as_str(), token, |plan| {
            CanonicalRequest::from_plan(plan, &self.settings)
        })
    }
}

/// What header signing does to a request's fields besides adding
/// `x-amz-date` (and the token and payload hash when it signs them): it
/// replaces any `authorization`, and it owns `x-amz-security-token`, which
/// the credentials set or, when they have no token, remove.
pub(crate) const HEADER_SIGNING: WireChange = WireChange {
    dropped: &["authorization", X_AMZ_SECURITY_TOKEN],
    extra: 1,
};

/// Refuses a path that would not mean to the server what it says: with
/// S3's rules, a raw `+` (S3 reads it as a space).
pub(crate) fn check_path_to_sign(
    request: &SignableRequest<'_>,
    settings: &Settings,
) -> Result<(), Error> {
    if settings.uri_encoding == UriEncoding::Single && request.path().contains('+') {
        return Err(Error::PlusInPath {
            path: crate::error::lossy(request.path().as_bytes()),
        });
    }
    Ok(())
}

/// Refuses to sign a streaming (`aws-chunked`) marker for a request that
/// does not say how to read its body: exactly one
/// `x-amz-decoded-content-length` (the data's length in decimal bytes) and,
/// for the markers with a trailer, exactly one `x-amz-trailer` naming an
/// `x-amz-checksum-*` header (none for the marker without). S3 refuses
/// such an upload, and so does the verifier.
/// See <https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html>.
/// Refuses a payload hash the server would not compute for `request`, as
/// the verifier reads it ([`crate::ServiceRules::ByService`]): a server
/// hashes the body unless `x-amz-content-sha256` is sent, so
/// `UNSIGNED-PAYLOAD` needs that header (header signing adds it with
/// [`ContentSha256Header::Include`]); and a presigned URL of a service
/// whose preset includes that header (S3) stands for `UNSIGNED-PAYLOAD`
/// unless the header carries the hash.
pub(crate) fn check_payload_mode(
    settings: &Settings,
    service: &str,
    request: &SignableRequest<'_>,
    payload: &PayloadHash,
    presigned: bool,
) -> Result<(), Error> {
    let adds_header = !presigned && settings.content_sha256 == ContentSha256Header::Include;
    let presigns_unsigned =
        presigned && Settings::for_service(service).content_sha256 == ContentSha256Header::Include;
    let reason = match payload {
        PayloadHash::Unsigned
            if !adds_header && !presigns_unsigned && !request.has_header(X_AMZ_CONTENT_SHA256) =>
        {
            if presigned {
                "this service hashes the body of a presigned request unless it carries x-amz-content-sha256: add that header with UNSIGNED-PAYLOAD (it is signed and must be sent with the URL), or presign the body's SHA-256"
            } else {
                "this service hashes the body unless the request carries x-amz-content-sha256: add that header with UNSIGNED-PAYLOAD, or sign with Settings::with_content_sha256(ContentSha256Header::Include), or sign the body's SHA-256"
            }
        }
        PayloadHash::Sha256(_)
            if presigns_unsigned && !request.has_header(X_AMZ_CONTENT_SHA256) =>
        {
            "a presigned URL of this service stands for UNSIGNED-PAYLOAD (S3 does not hash the body of a presigned request): presign PayloadHash::Unsigned, or carry the hash in an x-amz-content-sha256 header, which is then signed and must be sent with the URL"
        }
        _ => return Ok(()),
    };
    Err(Error::PayloadNotDeclared {
        payload: payload.as_str().to_owned(),
        reason,
    })
}

pub(crate) fn check_streaming(
    request: &SignableRequest<'_>,
    payload: &PayloadHash,
) -> Result<(), Error> {
    let trailer_wanted = match payload {
        PayloadHash::StreamingSigned => false,
        PayloadHash::StreamingSignedTrailer | PayloadHash::StreamingUnsignedTrailer => true,
        _ => return Ok(()),
    };
    let length = request.header_values(crate::payload::X_AMZ_DECODED_CONTENT_LENGTH);
    if !matches!(length.as_slice(), [one] if crate::payload::parse_decoded_length(one).is_some()) {
        return Err(Error::InvalidHeaderValue {
            name: crate::payload::X_AMZ_DECODED_CONTENT_LENGTH.to_owned(),
            reason: "an aws-chunked upload needs exactly one, the length of its data in decimal bytes",
        });
    }
    let trailers = request.header_values(crate::payload::X_AMZ_TRAILER);
    let names_checksum = |v: &[u8]| {
        std::str::from_utf8(v).is_ok_and(|v| {
            let v = v.trim_matches([' ', '\t']);
            crate::payload::TRAILER_CHECKSUMS
                .iter()
                .any(|n| n.eq_ignore_ascii_case(v))
        })
    };
    let ok = match (trailers.as_slice(), trailer_wanted) {
        ([], false) => true,
        ([one], true) => names_checksum(one),
        _ => false,
    };
    if !ok {
        return Err(Error::InvalidHeaderValue {
            name: crate::payload::X_AMZ_TRAILER.to_owned(),
            reason: if trailer_wanted {
                "a marker with a trailer needs exactly one, naming an x-amz-checksum-* header"
            } else {
                "STREAMING-AWS4-HMAC-SHA256-PAYLOAD has no trailer: remove it"
            },
        });
    }
    Ok(())
}

/// Refuses a request that names two hosts (the URI's and a different
/// `Host` header, or two `Host` headers): a server serves one of them, and
/// the verifier refuses such a request.
pub(crate) fn check_one_host(request: &SignableRequest<'_>) -> Result<(), Error> {
    match request.conflicting_hosts() {
        Some((uri, header)) => Err(Error::InvalidHost {
            host: format!("{uri} / {header}"),
            reason: "the request names two hosts (its URI and a Host header, or two Host headers): give one",
        }),
        None => Ok(()),
    }
}

/// Refuses a query that carries a presigned signature's parameters
/// (`X-Amz-Algorithm`, `X-Amz-Credential`, `X-Amz-Signature`, however
/// spelled): a request signed in its headers and its query at once is
/// refused by servers.
pub(crate) fn check_header_signable(request: &SignableRequest<'_>) -> Result<(), Error> {
    check_one_host(request)?;
    if query::carries_presigned_signature(request.query()) {
        return Err(Error::InvalidQuery {
            reason: "it carries a presigned signature (X-Amz-Algorithm, X-Amz-Credential or X-Amz-Signature): sign it in its headers or its query, not both".to_owned(),
        });
    }
    Ok(())
}

/// The headers signing adds and signs, in the order they are added.
fn header_additions<'a>(
    payload_header: bool,
    date: &'a [u8],
    token: Option<&'a [u8]>,
    payload: &'a [u8],
    buf: &'a mut [(&'static str, &'a [u8]); 3],
) -> &'a [(&'static str, &'a [u8])] {
    let mut n = 0;
    let mut push = |name: &'static str, value: &'a [u8]| {
        if let Some(slot) = buf.get_mut(n) {
            *slot = (name, value);
            n += 1;
        }
    };
    push(X_AMZ_DATE, date);
    if let Some(token) = token {
        push(X_AMZ_SECURITY_TOKEN, token);
    }
    if payload_header {
        push(X_AMZ_CONTENT_SHA256, payload);
    }
    buf.get(..n).unwrap_or(&[])
}

/// Where the signed-headers list of an `authorization` value comes from.
#[derive(Clone, Copy)]
pub(crate) enum SignedList<'p, 'a> {
    /// Written from a plan.
    Plan(&'p Plan<'a>),
    /// Written before (a template's).
    Bytes(&'p [u8]),
}

/// The credentials are [`ZeroizeOnDrop`](zeroize::ZeroizeOnDrop), and the
/// key cache clears the cached signing key when dropped.
impl zeroize::ZeroizeOnDrop for Signer {}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("credentials", &self.credentials)
            .field("region", &self.region)
            .field("service", &self.service)
            .field("settings", &self.settings)
            .finish()
    }
}

/// What header signing adds to a request. Apply it with
/// [`SigningOutput::apply_to`], or read the pairs with
/// [`SigningOutput::headers`] for another HTTP type.
pub struct SigningOutput {
    amz_date: AmzDate,
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
    /// `x-amz-security-token`, `x-amz-date`, `x-amz-content-sha256`,
    /// `authorization` (the ones that apply). The token is a secret: do not
    /// log it. Signing never signs an `x-amz-security-token` the request
    /// already carries: when this yields none, remove any such header
    /// before sending.
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
            .chain(sha)
            .chain(std::iter::once(("authorization", self.authorization())))
    }

    /// Inserts the headers into a header map, replacing any of the same
    /// names, and removes an `x-amz-security-token` that the credentials
    /// did not set (one left from an earlier signing is never signed).
    /// `authorization` and the token are marked sensitive.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidHeaderValue`](crate::Error::InvalidHeaderValue) when a value is not a valid `http::HeaderValue` (it cannot be, for values signing made from valid input).
    pub fn apply_to(self, headers: &mut HeaderMap) -> Result<(), Error> {
        apply_headers(
            headers,
            AddedHeaders {
                security_token: self.security_token,
                amz_date: &self.amz_date,
                content_sha256: self.content_sha256,
                authorization: self.authorization,
                extra: None,
            },
        )
    }
}

/// The headers signing adds, as [`apply_headers`] inserts them.
pub(crate) struct AddedHeaders<'a> {
    pub(crate) security_token: Option<HeaderValue>,
    pub(crate) amz_date: &'a AmzDate,
    pub(crate) content_sha256: Option<PayloadHash>,
    pub(crate) authorization: Vec<u8>,
    /// One more header to set (SigV4a's region set).
    pub(crate) extra: Option<(HeaderName, HeaderValue)>,
}

/// Inserts the headers signing adds into a header map, replacing any of
/// the same names. `authorization` and the token are marked sensitive.
pub(crate) fn apply_headers(headers: &mut HeaderMap, added: AddedHeaders<'_>) -> Result<(), Error> {
    let invalid = |name: &str| Error::InvalidHeaderValue {
        name: name.to_owned(),
        reason: "it is not a valid header value",
    };
    // One growth of the map for all the headers added, rather than one
    // per insertion. Only a hint, so its result is not needed.
    let adding = 2
        + usize::from(added.security_token.is_some())
        + usize::from(added.content_sha256.is_some())
        + usize::from(added.extra.is_some());
    let _ = headers.try_reserve(adding);
    let token_name = const { HeaderName::from_static(X_AMZ_SECURITY_TOKEN) };
    match added.security_token {
        Some(token) => {
            headers.insert(token_name, token);
        }
        // A token left from an earlier signing was not signed, and
        // belongs to other credentials.
        None => {
            headers.remove(token_name);
        }
    }
    let date = date_header(added.amz_date).ok_or_else(|| invalid(X_AMZ_DATE))?;
    headers.insert(const { HeaderName::from_static(X_AMZ_DATE) }, date);
    if let Some((name, value)) = added.extra {
        headers.insert(name, value);
    }
    if let Some(payload) = added.content_sha256 {
        let v =
            HeaderValue::from_str(payload.as_str()).map_err(|_| invalid(X_AMZ_CONTENT_SHA256))?;
        headers.insert(const { HeaderName::from_static(X_AMZ_CONTENT_SHA256) }, v);
    }
    // Takes the buffer over without copying it.
    let mut auth =
        HeaderValue::try_from(added.authorization).map_err(|_| invalid("authorization"))?;
    auth.set_sensitive(true);
    headers.insert(http::header::AUTHORIZATION, auth);
    Ok(())
}

/// The `x-amz-date` value for a date: the last one made on this thread is
/// shared (a header value clones without copying), since callers that sign
/// at high rates sign many requests in the same second.
fn date_header(date: &AmzDate) -> Option<HeaderValue> {
    thread_local! {
        static LAST: RefCell<Option<(AmzDate, HeaderValue)>> = const { RefCell::new(None) };
    }
    let cached = LAST
        .try_with(|last| {
            let last = last.try_borrow().ok()?;
            let (d, value) = last.as_ref()?;
            (d == date).then(|| value.clone())
        })
        .ok()
        .flatten();
    if cached.is_some() {
        return cached;
    }
    let value = HeaderValue::from_bytes(date.as_bytes()).ok()?;
    let _ = LAST.try_with(|last| {
        if let Ok(mut last) = last.try_borrow_mut() {
            *last = Some((*date, value.clone()));
        }
    });
    Some(value)
}

impl fmt::Debug for SigningOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningOutput")
            .field("amz_date", &self.amz_date)
            .field("authorization", &self.authorization())
            .field("content_sha256", &self.content_sha256)
            .field(
                "security_token",
                &self.security_token.as_ref().map(|_| Redacted),
            )
            .finish()
    }
}
