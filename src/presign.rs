//! Query signing: presigned URLs.
//!
//! See <https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html>.

use std::fmt;
use std::time::{Duration, SystemTime};

use crate::canonical_request::headers::{Additions, WireChange};
use crate::canonical_request::query::{self, Param};
use crate::canonical_request::{CanonicalRequest, Plan};
use crate::credentials::Credentials;
use crate::error::Error;
use crate::fast_path::template::{
    self, DATE_MARK, DAY_MARK, HeaderShape, Kind, PAYLOAD_MARK, Shape, TOKEN_MARK, Template,
    TokenText, signed_token, write_piece,
};
use crate::limits::MAX_QUERY_PARAMS;
use crate::payload::PayloadHash;
use crate::percent::{COMPONENT, encode};
use crate::request::SignableRequest;
use crate::scope::AmzDate;
use crate::settings::{CredentialExpiryCheck, SessionTokenMode};
use crate::sign::{SignedList, Signer};
use crate::signature::Signature;
use crate::sink::{CountSink, Sink};
use crate::stack_vec::StackVec;
use crate::string_to_sign::{ALGORITHM, StringToSign};

/// The longest expiry AWS accepts for a presigned URL: 7 days.
pub const MAX_PRESIGN_EXPIRY: Duration = Duration::from_secs(604_800);

/// The query parameters that query signing adds, in this fixed order; a
/// request that already carries one of them is refused.
pub const AUTH_PARAMS: [&str; 7] = [
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Security-Token",
    "X-Amz-Signature",
];

/// What query signing adds to a URL: the `X-Amz-*` parameters, encoded, in
/// the order AWS SDKs write them.
#[derive(Clone)]
pub struct PresignOutput {
    params: ParamText<7>,
    signature: Signature,
    amz_date: AmzDate,
    expires: Duration,
}

impl PresignOutput {
    /// The signature.
    pub fn signature(&self) -> &Signature {
        &self.signature
    }

    /// The signing time.
    pub fn amz_date(&self) -> &AmzDate {
        &self.amz_date
    }

    /// When the URL stops working.
    pub fn expires_at(&self) -> SystemTime {
        self.amz_date.to_system_time() + self.expires
    }

    /// The parameters to append, `(name, percent-encoded value)`.
    /// `X-Amz-Security-Token` is a secret: do not log it.
    pub fn params(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.params.params()
    }

    /// `query` (the URL's query string, without '?') with the parameters
    /// appended.
    pub fn append_to_query(&self, query: &str) -> String {
        self.params.append_to_query(query)
    }

    /// The URI with the parameters appended to its query.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidUri`](crate::Error::InvalidUri) when the URI with the parameters appended cannot be parsed again.
    pub fn apply_to_uri(&self, uri: &http::Uri) -> Result<http::Uri, Error> {
        self.params.apply_to_uri(uri)
    }
}

/// Records where each value starts and ends while the parameters are
/// written: up to `N` parameters, each `(name, start, end)` in the text.
#[derive(Clone)]
pub(crate) struct Layout<const N: usize> {
    pub(crate) params: [(&'static str, usize, usize); N],
    pub(crate) count: usize,
}

impl<const N: usize> Layout<N> {
    pub(crate) fn new() -> Self {
        Self {
            params: [("", 0, 0); N],
            count: 0,
        }
    }

    /// Notes that the value of `name` is `text[start..end]`.
    pub(crate) fn record(&mut self, name: &'static str, start: usize, end: usize) {
        if let Some(slot) = self.params.get_mut(self.count) {
            *slot = (name, start, end);
            self.count += 1;
        }
    }

    /// The parameters written so far, `(name, start, end)`.
    pub(crate) fn recorded(&self) -> &[(&'static str, usize, usize)] {
        self.params.get(..self.count).unwrap_or(&[])
    }

    /// The parameters the canonical query holds besides the request's own:
    /// each recorded one (its value in `text` is already encoded, its
    /// canonical form), but for `X-Amz-Security-Token` when the token is
    /// added after signing.
    pub(crate) fn signed_params<'t>(
        &self,
        text: &'t [u8],
        token_signed: bool,
    ) -> StackVec<Param<'t>, N> {
        let mut extra = StackVec::new();
        for &(key, start, end) in self.recorded() {
            if key == "X-Amz-Security-Token" && !token_signed {
                continue;
            }
            let value = text
                .get(start..end)
                .and_then(|v| std::str::from_utf8(v).ok())
                .unwrap_or("");
            extra.push(Param::canonical(key, value));
        }
        extra
    }
}

/// Refuses a presigned URL that would hold more than
/// [`MAX_QUERY_PARAMS`] parameters: the request's own, the `signed` ones
/// presigning adds, the token when it is added but not signed
/// (`recorded` > `signed`), and the signature.
pub(crate) fn check_param_count(own: usize, signed: usize, recorded: usize) -> Result<(), Error> {
    let params = own + 1 + usize::from(signed < recorded);
    if params > MAX_QUERY_PARAMS {
        return Err(Error::InvalidQuery {
            reason: format!(
                "it has {params} parameters once presigned (the limit is {MAX_QUERY_PARAMS})"
            ),
        });
    }
    Ok(())
}

/// The parameters presigning appends: their text (`name=value&...`,
/// encoded, ASCII only) and where each value stands in it.
#[derive(Clone)]
pub(crate) struct ParamText<const N: usize> {
    text: Vec<u8>,
    layout: Layout<N>,
}

impl<const N: usize> ParamText<N> {
    pub(crate) fn new(text: Vec<u8>, layout: Layout<N>) -> Self {
        Self { text, layout }
    }

    /// `(name, percent-encoded value)` of each parameter, in order.
    pub(crate) fn params(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.layout.recorded().iter().map(|&(name, start, end)| {
            let value = self.text.get(start..end).unwrap_or(&[]);
            (name, std::str::from_utf8(value).unwrap_or(""))
        })
    }

    pub(crate) fn append_to_query(&self, query: &str) -> String {
        append_params(query, &self.text)
    }

    pub(crate) fn apply_to_uri(&self, uri: &http::Uri) -> Result<http::Uri, Error> {
        uri_with_params(uri, &self.text)
    }

    /// Writes `name { params: [...] }` with the session token redacted.
    pub(crate) fn fmt_redacted(&self, name: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown: Vec<(&str, &str)> = self
            .params()
            .map(|(k, v)| {
                if k == "X-Amz-Security-Token" {
                    (k, "** redacted **")
                } else {
                    (k, v)
                }
            })
            .collect();
        f.debug_struct(name).field("params", &shown).finish()
    }
}

fn write_query(out: &mut Vec<u8>, query: &str, params: &[u8]) {
    out.extend_from_slice(query.as_bytes());
    if !query.is_empty() {
        out.push(b'&');
    }
    out.extend_from_slice(params);
}

/// `query` with the encoded parameters `params` (ASCII) appended.
pub(crate) fn append_params(query: &str, params: &[u8]) -> String {
    let mut out = Vec::with_capacity(query.len() + 1 + params.len());
    write_query(&mut out, query, params);
    // Only ASCII was added to the caller's text.
    String::from_utf8(out).unwrap_or_default()
}

/// `uri` with the encoded parameters `params` appended to its query.
pub(crate) fn uri_with_params(uri: &http::Uri, params: &[u8]) -> Result<http::Uri, Error> {
    let failed = || Error::InvalidUri {
        reason: "the presigned URI could not be built",
    };
    let query = uri.query().unwrap_or("");
    let path = uri.path();
    // Exactly the length, so that the text becomes the URI's storage
    // without another allocation.
    let mut text = Vec::with_capacity(path.len() + 1 + query.len() + 1 + params.len());
    text.extend_from_slice(path.as_bytes());
    text.push(b'?');
    write_query(&mut text, query, params);
    let mut parts = uri.clone().into_parts();
    parts.path_and_query = Some(http::uri::PathAndQuery::try_from(text).map_err(|_| failed())?);
    http::Uri::from_parts(parts).map_err(|_| failed())
}

impl fmt::Debug for PresignOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.params.fmt_redacted("PresignOutput", f)
    }
}

/// Checks an expiry: 1 to 604800 whole seconds.
pub(crate) fn check_expires(expires: Duration) -> Result<u64, Error> {
    let secs = expires.as_secs();
    if secs == 0 || expires > MAX_PRESIGN_EXPIRY || expires.subsec_nanos() != 0 {
        return Err(Error::ExpiresOutOfRange { seconds: secs });
    }
    Ok(secs)
}

/// Checks a presign expiry (and, when the settings ask, that the URL does
/// not outlive the credentials); returns it in seconds, and the date.
pub(crate) fn check_presign(
    settings: &crate::Settings,
    credentials: &Credentials,
    expires: Duration,
    now: SystemTime,
) -> Result<(u64, AmzDate), Error> {
    let secs = check_expires(expires)?;
    let date = AmzDate::from_system_time(now)?;
    if settings.credential_expiry == CredentialExpiryCheck::Refuse
        && let Some(limit) = credentials.expiry()
    {
        let url_expires = date.to_system_time() + expires;
        if url_expires > limit {
            let unix = |t: SystemTime| {
                t.duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs())
            };
            return Err(Error::PresignOutlivesCredentials {
                url_expires: unix(url_expires),
                credentials_expire: unix(limit),
            });
        }
    }
    Ok((secs, date))
}

/// A sink that percent-encodes what it is given (every byte but the
/// unreserved characters) into another sink.
pub(crate) struct Encoding<'s, S: Sink>(pub(crate) &'s mut S);

impl<S: Sink> Sink for Encoding<'_, S> {
    fn put(&mut self, bytes: &[u8]) {
        encode(self.0, bytes, COMPONENT);
    }
}

/// Writes a number in decimal.
pub(crate) fn write_decimal(sink: &mut impl Sink, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        if let Some(d) = digits.get_mut(at) {
            // n % 10 < 10, so this fits in a byte.
            *d = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 || at == 0 {
            break;
        }
    }
    sink.put(digits.get(at..).unwrap_or(&[]));
}

/// The values of the parameters that change from one signing to the next,
/// or the marks that stand for them in a template.
#[derive(Clone, Copy)]
enum Changing<'a> {
    Values {
        date: &'a AmzDate,
        token: Option<&'a str>,
    },
    Marks {
        token: bool,
    },
}

/// Writes the parameters that presigning signs (all but the signature),
/// `name=value&` each, values encoded, into `sink`; records their ranges in
/// `layout`. Marks are written as they are.
fn write_auth_params(
    sink: &mut Vec<u8>,
    layout: &mut Layout<7>,
    signer: &Signer,
    access_key_id: &str,
    changing: Changing<'_>,
    signed_headers: SignedList<'_, '_>,
    expires: u64,
) {
    let mut param = |sink: &mut Vec<u8>, name: &'static str, value: &dyn Fn(&mut Vec<u8>)| {
        sink.put(name.as_bytes());
        sink.put(b"=");
        let start = sink.len();
        value(sink);
        let end = sink.len();
        sink.put(b"&");
        layout.record(name, start, end);
    };
    param(sink, "X-Amz-Algorithm", &|s| s.put(ALGORITHM.as_bytes()));
    // `AKID/YYYYMMDD/region/service/aws4_request`, encoded.
    param(sink, "X-Amz-Credential", &|s| {
        encode(s, access_key_id.as_bytes(), COMPONENT);
        s.put(b"%2F");
        match changing {
            Changing::Values { date, .. } => s.put(date.date().as_bytes()),
            Changing::Marks { .. } => s.put(DAY_MARK),
        }
        s.put(b"%2F");
        encode(s, signer.region().as_str().as_bytes(), COMPONENT);
        s.put(b"%2F");
        encode(s, signer.service().as_str().as_bytes(), COMPONENT);
        s.put(b"%2Faws4_request");
    });
    param(sink, "X-Amz-Date", &|s| match changing {
        Changing::Values { date, .. } => s.put(date.as_bytes()),
        Changing::Marks { .. } => s.put(DATE_MARK),
    });
    // The order of the AWS signing test suite's signed requests.
    param(sink, "X-Amz-SignedHeaders", &|s| match signed_headers {
        SignedList::Plan(plan) => plan.write_signed_headers(&mut Encoding(s)),
        SignedList::Bytes(list) => encode(s, list, COMPONENT),
    });
    param(sink, "X-Amz-Expires", &|s| write_decimal(s, expires));
    match changing {
        Changing::Values {
            token: Some(token), ..
        } => param(sink, "X-Amz-Security-Token", &|s| {
            encode(s, token.as_bytes(), COMPONENT);
        }),
        Changing::Marks { token: true } => {
            param(sink, "X-Amz-Security-Token", &|s| s.put(TOKEN_MARK));
        }
        _ => {}
    }
}

const SIGNATURE_PARAM: &str = "X-Amz-Signature=";

impl Signer {
    /// Presigns an `http::Request` in place: appends the `X-Amz-*`
    /// parameters to its URI. `expires` must be 1..=604800 whole seconds.
    ///
    /// The URI is first put in the form every HTTP client sends unchanged,
    /// as [`Signer::sign`] describes.
    ///
    /// # Errors
    ///
    /// - [`Error::InvalidMethod`](crate::Error::InvalidMethod), [`Error::MissingHost`](crate::Error::MissingHost), [`Error::InvalidHost`](crate::Error::InvalidHost), [`Error::InvalidUri`](crate::Error::InvalidUri), [`Error::InvalidPath`](crate::Error::InvalidPath), [`Error::InvalidQuery`](crate::Error::InvalidQuery), [`Error::InvalidHeaderName`](crate::Error::InvalidHeaderName), [`Error::InvalidHeaderValue`](crate::Error::InvalidHeaderValue), [`Error::TooManyHeaders`](crate::Error::TooManyHeaders) or [`Error::HeaderTooLarge`](crate::Error::HeaderTooLarge) when the request cannot be signed as it stands (each variant names the part and the reason);
    /// - [`Error::TimeOutOfRange`](crate::Error::TimeOutOfRange) when `now` is before 1970 or after the year 9999;
    /// - [`Error::PayloadNotDeclared`](crate::Error::PayloadNotDeclared) when the payload hash is not what the server computes for a presigned request: S3 reads `UNSIGNED-PAYLOAD`, other services hash the body, unless the request carries `x-amz-content-sha256`;
    /// - [`Error::ExpiresOutOfRange`](crate::Error::ExpiresOutOfRange) when `expires` is not 1 to 604800 seconds;
    /// - [`Error::PresignOutlivesCredentials`](crate::Error::PresignOutlivesCredentials) when the settings refuse a URL that would outlive temporary credentials;
    /// - [`Error::InvalidUri`](crate::Error::InvalidUri) when the presigned URI cannot be built.
    pub fn presign<B>(
        &self,
        request: &mut http::Request<B>,
        expires: Duration,
        payload: &PayloadHash,
        now: SystemTime,
    ) -> Result<Signature, Error> {
        let rewritten = crate::wire::rewrite(request.uri(), self.settings())?;
        let uri = rewritten.as_ref().unwrap_or(request.uri());
        let view = SignableRequest::from_http(request.method(), uri, request.headers())?;
        let output = self.presign_output(&view, expires, payload, now)?;
        let uri = output.apply_to_uri(uri)?;
        *request.uri_mut() = uri;
        Ok(output.signature)
    }

    /// Presigns `http::request::Parts` in place, as [`Signer::presign`].
    ///
    /// # Errors
    ///
    /// - [`Error::InvalidMethod`](crate::Error::InvalidMethod), [`Error::MissingHost`](crate::Error::MissingHost), [`Error::InvalidHost`](crate::Error::InvalidHost), [`Error::InvalidUri`](crate::Error::InvalidUri), [`Error::InvalidPath`](crate::Error::InvalidPath), [`Error::InvalidQuery`](crate::Error::InvalidQuery), [`Error::InvalidHeaderName`](crate::Error::InvalidHeaderName), [`Error::InvalidHeaderValue`](crate::Error::InvalidHeaderValue), [`Error::TooManyHeaders`](crate::Error::TooManyHeaders) or [`Error::HeaderTooLarge`](crate::Error::HeaderTooLarge) when the request cannot be signed as it stands (each variant names the part and the reason);
    /// - [`Error::TimeOutOfRange`](crate::Error::TimeOutOfRange) when `now` is before 1970 or after the year 9999;
    /// - [`Error::PayloadNotDeclared`](crate::Error::PayloadNotDeclared) when the payload hash is not what the server computes for a presigned request: S3 reads `UNSIGNED-PAYLOAD`, other services hash the body, unless the request carries `x-amz-content-sha256`;
    /// - [`Error::ExpiresOutOfRange`](crate::Error::ExpiresOutOfRange) when `expires` is not 1 to 604800 seconds;
    /// - [`Error::PresignOutlivesCredentials`](crate::Error::PresignOutlivesCredentials) when the settings refuse a URL that would outlive temporary credentials;
    /// - [`Error::InvalidUri`](crate::Error::InvalidUri) when the presigned URI cannot be built.
    pub fn presign_parts(
        &self,
        parts: &mut http::request::Parts,
        expires: Duration,
        payload: &PayloadHash,
        now: SystemTime,
    ) -> Result<Signature, Error> {
        self.presign_head_with(
            self.credentials(),
            &parts.method,
            &mut parts.uri,
            &parts.headers,
            expires,
            payload,
            now,
        )
    }

    /// Presigns a request's URI in place with `credentials`, as
    /// [`Signer::presign_parts`] does with the signer's own.
    #[allow(clippy::too_many_arguments)] // the parts of a request, and how to presign it
    pub(crate) fn presign_head_with(
        &self,
        credentials: &Credentials,
        method: &http::Method,
        uri: &mut http::Uri,
        headers: &http::HeaderMap,
        expires: Duration,
        payload: &PayloadHash,
        now: SystemTime,
    ) -> Result<Signature, Error> {
        let rewritten = crate::wire::rewrite(uri, self.settings())?;
        let base = rewritten.as_ref().unwrap_or(uri);
        let view = SignableRequest::from_http(method, base, headers)?;
        let output = self.presign_output_with(credentials, &view, expires, payload, now)?;
        *uri = output.apply_to_uri(base)?;
        Ok(output.signature)
    }

    /// Computes the query parameters to add without touching the request.
    ///
    /// # Errors
    ///
    /// - [`Error::InvalidMethod`](crate::Error::InvalidMethod), [`Error::MissingHost`](crate::Error::MissingHost), [`Error::InvalidHost`](crate::Error::InvalidHost), [`Error::InvalidUri`](crate::Error::InvalidUri), [`Error::InvalidPath`](crate::Error::InvalidPath), [`Error::InvalidQuery`](crate::Error::InvalidQuery), [`Error::InvalidHeaderName`](crate::Error::InvalidHeaderName), [`Error::InvalidHeaderValue`](crate::Error::InvalidHeaderValue), [`Error::TooManyHeaders`](crate::Error::TooManyHeaders) or [`Error::HeaderTooLarge`](crate::Error::HeaderTooLarge) when the request cannot be signed as it stands (each variant names the part and the reason);
    /// - [`Error::TimeOutOfRange`](crate::Error::TimeOutOfRange) when `now` is before 1970 or after the year 9999;
    /// - [`Error::PayloadNotDeclared`](crate::Error::PayloadNotDeclared) when the payload hash is not what the server computes for a presigned request: S3 reads `UNSIGNED-PAYLOAD`, other services hash the body, unless the request carries `x-amz-content-sha256`;
    /// - [`Error::ExpiresOutOfRange`](crate::Error::ExpiresOutOfRange) when `expires` is not 1 to 604800 seconds;
    /// - [`Error::PresignOutlivesCredentials`](crate::Error::PresignOutlivesCredentials) when the settings refuse a URL that would outlive temporary credentials.
    pub fn presign_output(
        &self,
        request: &SignableRequest<'_>,
        expires: Duration,
        payload: &PayloadHash,
        now: SystemTime,
    ) -> Result<PresignOutput, Error> {
        self.presign_output_with(self.credentials(), request, expires, payload, now)
    }

    /// As [`Signer::presign_output`], with other credentials than the signer's own.
    ///
    /// # Errors
    ///
    /// - [`Error::InvalidMethod`](crate::Error::InvalidMethod), [`Error::MissingHost`](crate::Error::MissingHost), [`Error::InvalidHost`](crate::Error::InvalidHost), [`Error::InvalidUri`](crate::Error::InvalidUri), [`Error::InvalidPath`](crate::Error::InvalidPath), [`Error::InvalidQuery`](crate::Error::InvalidQuery), [`Error::InvalidHeaderName`](crate::Error::InvalidHeaderName), [`Error::InvalidHeaderValue`](crate::Error::InvalidHeaderValue), [`Error::TooManyHeaders`](crate::Error::TooManyHeaders) or [`Error::HeaderTooLarge`](crate::Error::HeaderTooLarge) when the request cannot be signed as it stands (each variant names the part and the reason);
    /// - [`Error::TimeOutOfRange`](crate::Error::TimeOutOfRange) when `now` is before 1970 or after the year 9999;
    /// - [`Error::PayloadNotDeclared`](crate::Error::PayloadNotDeclared) when the payload hash is not what the server computes for a presigned request: S3 reads `UNSIGNED-PAYLOAD`, other services hash the body, unless the request carries `x-amz-content-sha256`;
    /// - [`Error::ExpiresOutOfRange`](crate::Error::ExpiresOutOfRange) when `expires` is not 1 to 604800 seconds;
    /// - [`Error::PresignOutlivesCredentials`](crate::Error::PresignOutlivesCredentials) when the settings refuse a URL that would outlive temporary credentials.
    pub fn presign_output_with(
        &self,
        credentials: &Credentials,
        request: &SignableRequest<'_>,
        expires: Duration,
        payload: &PayloadHash,
        now: SystemTime,
    ) -> Result<PresignOutput, Error> {
        self.check_endpoint(request)?;
        crate::sign::check_streaming(request, payload)?;
        check_declared_payload(request, payload)?;
        let (secs, date) = self.presign_checks(credentials, expires, now)?;
        // After the request's own checks (which a template's shape has
        // passed before), so that a request wrong in both ways is refused
        // for the same reason on every path.
        let check_payload = || {
            crate::sign::check_payload_mode(
                self.settings(),
                self.service().as_str(),
                request,
                payload,
                true,
            )
        };
        let token = credentials.session_token();
        let shape = PresignShape {
            header: HeaderShape {
                settings: self.settings(),
                token: signed_token(self.settings(), credentials).is_some(),
                request,
            },
            signer: self,
            access_key_id: credentials.access_key_id(),
            expires: secs,
        };
        let changing = Changing::Values { date: &date, token };
        let mut text = Vec::new();
        let mut layout = Layout::new();
        let memo = template::lookup(Kind::Presign, &shape, |template| {
            check_payload()?;
            let signed = template.signed_headers();
            text.reserve_exact(text_room(credentials, signed.len()));
            let list = SignedList::Bytes(signed);
            write_auth_params(
                &mut text,
                &mut layout,
                self,
                shape.access_key_id,
                changing,
                list,
                secs,
            );
            let token = TokenText::Encoded(token.unwrap_or_default().as_bytes());
            Ok(template.digest(&date, payload, token))
        });
        let digest = match memo {
            Some(digest) => digest?,
            None => {
                let (digest, plain_text, plain_layout) = self.presign_plan(
                    credentials,
                    request,
                    secs,
                    changing,
                    payload.as_str(),
                    |plan, settings| check_payload().map(|()| plan.hash(settings)),
                )?;
                let digest = digest?;
                text = plain_text;
                layout = plain_layout;
                template::learn(Kind::Presign, &shape, |template, scratch| {
                    self.render_presign(template, credentials, request, secs, scratch)
                });
                digest
            }
        };
        let string_to_sign = StringToSign::from_digest(self.scope(&date), &digest);
        let signature = self.sign_string(credentials, &date, &string_to_sign);
        text.put(SIGNATURE_PARAM.as_bytes());
        let start = text.len();
        text.put(signature.as_bytes());
        layout.record("X-Amz-Signature", start, text.len());
        Ok(PresignOutput {
            params: ParamText::new(text, layout),
            signature,
            amz_date: date,
            expires,
        })
    }

    /// The canonical request that [`Signer::presign`] would sign.
    ///
    /// # Errors
    ///
    /// - [`Error::InvalidMethod`](crate::Error::InvalidMethod), [`Error::MissingHost`](crate::Error::MissingHost), [`Error::InvalidHost`](crate::Error::InvalidHost), [`Error::InvalidUri`](crate::Error::InvalidUri), [`Error::InvalidPath`](crate::Error::InvalidPath), [`Error::InvalidQuery`](crate::Error::InvalidQuery), [`Error::InvalidHeaderName`](crate::Error::InvalidHeaderName), [`Error::InvalidHeaderValue`](crate::Error::InvalidHeaderValue), [`Error::TooManyHeaders`](crate::Error::TooManyHeaders) or [`Error::HeaderTooLarge`](crate::Error::HeaderTooLarge) when the request cannot be signed as it stands (each variant names the part and the reason);
    /// - [`Error::TimeOutOfRange`](crate::Error::TimeOutOfRange) when `now` is before 1970 or after the year 9999;
    /// - [`Error::ExpiresOutOfRange`](crate::Error::ExpiresOutOfRange) when `expires` is not 1 to 604800 seconds;
    /// - [`Error::PresignOutlivesCredentials`](crate::Error::PresignOutlivesCredentials) when the settings refuse a URL that would outlive temporary credentials.
    pub fn presign_canonical_request(
        &self,
        request: &SignableRequest<'_>,
        expires: Duration,
        payload: &PayloadHash,
        now: SystemTime,
    ) -> Result<CanonicalRequest, Error> {
        let credentials = self.credentials();
        let (secs, date) = self.presign_checks(credentials, expires, now)?;
        let changing = Changing::Values {
            date: &date,
            token: credentials.session_token(),
        };
        let (creq, _, _) = self.presign_plan(
            credentials,
            request,
            secs,
            changing,
            payload.as_str(),
            CanonicalRequest::from_plan,
        )?;
        Ok(creq)
    }

    /// Checks the expiry (and, when the settings ask, that the URL does not
    /// outlive the credentials); returns it in seconds, and the date.
    fn presign_checks(
        &self,
        credentials: &Credentials,
        expires: Duration,
        now: SystemTime,
    ) -> Result<(u64, AmzDate), Error> {
        check_presign(self.settings(), credentials, expires, now)
    }

    /// Renders the presigning template of a request: its canonical request
    /// with marks for the date, the day, the payload hash and the token.
    fn render_presign(
        &self,
        template: &mut Template,
        credentials: &Credentials,
        request: &SignableRequest<'_>,
        secs: u64,
        scratch: &mut Vec<u8>,
    ) -> Result<bool, Error> {
        let changing = Changing::Marks {
            token: credentials.session_token().is_some(),
        };
        let (signed, _, _) = self.presign_plan(
            credentials,
            request,
            secs,
            changing,
            PAYLOAD_MARK,
            |plan, settings| {
                scratch.clear();
                plan.write(scratch, settings);
                let mut signed = Vec::new();
                plan.write_signed_headers(&mut signed);
                signed
            },
        )?;
        let token = usize::from(signed_token(self.settings(), credentials).is_some());
        Ok(template.set(scratch, &signed) == [1, 1, token, 1])
    }

    /// Gathers what presigning signs: the request's fields and query and the
    /// parameters presigning adds (with the values or marks of `changing`),
    /// and hands the plan to `finish`. Returns what `finish` made, and the
    /// parameters' text and layout.
    fn presign_plan<T>(
        &self,
        credentials: &Credentials,
        request: &SignableRequest<'_>,
        secs: u64,
        changing: Changing<'_>,
        payload: &str,
        finish: impl FnOnce(&Plan<'_>, &crate::Settings) -> T,
    ) -> Result<(T, Vec<u8>, Layout<7>), Error> {
        let additions = Additions {
            fields: &[],
            host: request.host(),
            only: None,
            wire: Some(WireChange {
                dropped: &[],
                extra: 0,
            }),
        };
        crate::sign::check_path_to_sign(request, self.settings())?;
        check_presignable(request, &AUTH_PARAMS)?;
        let mut plan = Plan::start_with_payload_text(request, payload);
        plan.collect_fields(request, self.settings(), &additions)?;

        let mut text = Vec::with_capacity(text_room(credentials, signed_len(&plan)));
        let mut layout = Layout::new();
        write_auth_params(
            &mut text,
            &mut layout,
            self,
            credentials.access_key_id(),
            changing,
            SignedList::Plan(&plan),
            secs,
        );

        let token_signed = self.settings().session_token == SessionTokenMode::Signed;
        let extra = layout.signed_params(&text, token_signed);
        plan.collect_params(request, extra.as_slice())?;
        check_param_count(plan.param_count(), extra.len(), layout.count)?;
        let query = request.query().len();
        query::check_len(query + usize::from(query > 0) + text.len() + SIGNATURE_PARAM.len() + 64)?;
        let out = finish(&plan, self.settings());
        drop(plan);
        drop(extra);
        Ok((out, text, layout))
    }
}

/// Refuses to presign a request whose own `x-amz-content-sha256` header
/// declares another payload than the one presigned: the URL cannot change
/// the header, and a server takes the payload line from it.
pub(crate) fn check_declared_payload(
    request: &SignableRequest<'_>,
    payload: &PayloadHash,
) -> Result<(), Error> {
    if !request.has_header(crate::sign::X_AMZ_CONTENT_SHA256) {
        return Ok(());
    }
    let values = request.header_values(crate::sign::X_AMZ_CONTENT_SHA256);
    let trim = |v: &[u8]| -> Vec<u8> {
        let s = String::from_utf8_lossy(v);
        s.trim_matches([' ', '\t']).as_bytes().to_vec()
    };
    match values.as_slice() {
        [one] if trim(one) == payload.as_str().as_bytes() => Ok(()),
        _ => Err(Error::InvalidHeaderValue {
            name: crate::sign::X_AMZ_CONTENT_SHA256.to_owned(),
            reason: "it must be the payload hash being presigned (a presigned URL cannot change it, and a server reads the payload from it)",
        }),
    }
}

/// Refuses what a presigned request cannot carry: a query parameter whose
/// name, decoded, is one that presigning adds (compared without regard to
/// letter case), and the `authorization` and `x-amz-security-token` headers,
/// which would compete with the signature and the token in the query.
pub(crate) fn check_presignable(
    request: &SignableRequest<'_>,
    auth_params: &[&str],
) -> Result<(), Error> {
    crate::sign::check_one_host(request)?;
    if let Some(clash) = query::decoded_keys(request.query()).find(|key| {
        auth_params
            .iter()
            .any(|a| a.as_bytes().eq_ignore_ascii_case(key))
    }) {
        return Err(Error::InvalidQuery {
            reason: format!(
                "it already contains {}, which presigning adds",
                crate::error::lossy(&clash)
            ),
        });
    }
    for name in ["authorization", crate::sign::X_AMZ_SECURITY_TOKEN] {
        if request.has_header(name) {
            return Err(Error::InvalidHeaderName {
                name: name.to_owned(),
                reason: "a presigned request carries its signature and session token in the query: remove this header",
            });
        }
    }
    Ok(())
}

/// What a presigning template depends on: the header shape, and what the
/// credential parameter and the expiry hold.
struct PresignShape<'r, 'a> {
    header: HeaderShape<'r, 'a>,
    signer: &'r Signer,
    access_key_id: &'r str,
    expires: u64,
}

impl Shape for PresignShape<'_, '_> {
    fn write<S: Sink>(&self, sink: &mut S) {
        self.header.write(sink);
        write_piece(sink, self.access_key_id.as_bytes());
        write_piece(sink, self.signer.region().as_str().as_bytes());
        write_piece(sink, self.signer.service().as_str().as_bytes());
        write_piece(sink, &self.expires.to_le_bytes());
    }
}

/// Room for the parameters and the signature: encoding at most triples the
/// token and the signed-headers list, and the other values are short.
fn text_room(credentials: &Credentials, signed_headers: usize) -> usize {
    let token = credentials.session_token().map_or(0, str::len);
    384 + credentials.access_key_id().len() * 3 + 3 * token + 3 * signed_headers
}

/// The length of the signed-headers list.
fn signed_len(plan: &Plan<'_>) -> usize {
    let mut count = CountSink::default();
    plan.write_signed_headers(&mut count);
    count.0
}
