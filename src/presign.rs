//! Query signing: presigned URLs.
//!
//! See <https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html>.

use std::fmt;
use std::time::{Duration, SystemTime};

use crate::canonical_request::encode::{COMPONENT, encode};
use crate::canonical_request::headers::Additions;
use crate::canonical_request::query::Param;
use crate::canonical_request::{CanonicalRequest, Plan};
use crate::credentials::Credentials;
use crate::error::Error;
use crate::payload::PayloadHash;
use crate::request::SignableRequest;
use crate::scope::{AmzDate, CredentialScope};
use crate::settings::{CredentialExpiryCheck, SessionTokenMode};
use crate::sign::Signer;
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
    /// The parameters as they are appended: `name=value&...`, encoded.
    text: String,
    /// Each parameter's name and the range of its value in `text`.
    params: [(&'static str, usize, usize); 7],
    count: usize,
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
        self.params
            .iter()
            .take(self.count)
            .map(|&(name, start, end)| (name, self.text.get(start..end).unwrap_or("")))
    }

    /// `query` (the URL's query string, without '?') with the parameters
    /// appended.
    pub fn append_to_query(&self, query: &str) -> String {
        let mut out = String::with_capacity(query.len() + 1 + self.text.len());
        self.write_query(&mut out, query);
        out
    }

    fn write_query(&self, out: &mut String, query: &str) {
        out.push_str(query);
        if !query.is_empty() {
            out.push('&');
        }
        out.push_str(&self.text);
    }

    /// The URI with the parameters appended to its query.
    pub fn apply_to_uri(&self, uri: &http::Uri) -> Result<http::Uri, Error> {
        let failed = || Error::InvalidUri {
            reason: "the presigned URI could not be built",
        };
        let query = uri.query().unwrap_or("");
        let path = uri.path();
        // Exactly the length, so that the text becomes the URI's storage
        // without another allocation.
        let mut text = String::with_capacity(path.len() + 1 + query.len() + 1 + self.text.len());
        text.push_str(path);
        text.push('?');
        self.write_query(&mut text, query);
        let mut parts = uri.clone().into_parts();
        parts.path_and_query = Some(http::uri::PathAndQuery::try_from(text).map_err(|_| failed())?);
        http::Uri::from_parts(parts).map_err(|_| failed())
    }
}

impl fmt::Debug for PresignOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
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
        f.debug_struct("PresignOutput")
            .field("params", &shown)
            .finish()
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

/// A sink that percent-encodes what it is given (every byte but the
/// unreserved characters) into another sink.
struct Encoding<'s, S: Sink>(&'s mut S);

impl<S: Sink> Sink for Encoding<'_, S> {
    fn put(&mut self, bytes: &[u8]) {
        encode(self.0, bytes, COMPONENT);
    }
}

/// Writes a number in decimal.
fn write_decimal(sink: &mut impl Sink, mut n: u64) {
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

/// Records where each value starts and ends while the parameters are written.
struct Layout {
    params: [(&'static str, usize, usize); 7],
    count: usize,
}

/// Writes the parameters that presigning signs (all but the signature),
/// `name=value&` each, values encoded, into `sink`; records their ranges in
/// `layout`.
fn write_auth_params(
    sink: &mut Vec<u8>,
    layout: &mut Layout,
    credentials: &Credentials,
    scope: &CredentialScope<'_>,
    signed_headers: &crate::canonical_request::headers::Fields<'_>,
    expires: u64,
) {
    let mut param = |sink: &mut Vec<u8>, name: &'static str, value: &dyn Fn(&mut Vec<u8>)| {
        sink.put(name.as_bytes());
        sink.put(b"=");
        let start = sink.len();
        value(sink);
        let end = sink.len();
        sink.put(b"&");
        if let Some(slot) = layout.params.get_mut(layout.count) {
            *slot = (name, start, end);
            layout.count += 1;
        }
    };
    param(sink, "X-Amz-Algorithm", &|s| s.put(ALGORITHM.as_bytes()));
    param(sink, "X-Amz-Credential", &|s| {
        let mut e = Encoding(s);
        e.put(credentials.access_key_id().as_bytes());
        e.put(b"/");
        scope.write_to(&mut e);
    });
    param(sink, "X-Amz-Date", &|s| s.put(scope.amz_date().as_bytes()));
    // The order of the AWS signing test suite's signed requests.
    param(sink, "X-Amz-SignedHeaders", &|s| {
        crate::canonical_request::headers::write_signed(&mut Encoding(s), signed_headers);
    });
    param(sink, "X-Amz-Expires", &|s| write_decimal(s, expires));
    if let Some(token) = credentials.session_token() {
        param(sink, "X-Amz-Security-Token", &|s| {
            encode(s, token.as_bytes(), COMPONENT);
        });
    }
}

const SIGNATURE_PARAM: &str = "X-Amz-Signature=";

impl Signer {
    /// Presigns an `http::Request` in place: appends the `X-Amz-*`
    /// parameters to its URI. `expires` must be 1..=604800 whole seconds.
    pub fn presign<B>(
        &self,
        request: &mut http::Request<B>,
        expires: Duration,
        payload: &PayloadHash,
        now: SystemTime,
    ) -> Result<Signature, Error> {
        let output = self.presign_output(
            &SignableRequest::from_request(request)?,
            expires,
            payload,
            now,
        )?;
        let uri = output.apply_to_uri(request.uri())?;
        *request.uri_mut() = uri;
        Ok(output.signature)
    }

    /// Presigns `http::request::Parts` in place, as [`Signer::presign`].
    pub fn presign_parts(
        &self,
        parts: &mut http::request::Parts,
        expires: Duration,
        payload: &PayloadHash,
        now: SystemTime,
    ) -> Result<Signature, Error> {
        let output =
            self.presign_output(&SignableRequest::from_parts(parts)?, expires, payload, now)?;
        parts.uri = output.apply_to_uri(&parts.uri)?;
        Ok(output.signature)
    }

    /// Computes the query parameters to add without touching the request.
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
    pub fn presign_output_with(
        &self,
        credentials: &Credentials,
        request: &SignableRequest<'_>,
        expires: Duration,
        payload: &PayloadHash,
        now: SystemTime,
    ) -> Result<PresignOutput, Error> {
        let (digest, mut prepared) = self.presign_plan(
            credentials,
            request,
            expires,
            payload,
            now,
            |plan, settings| plan.hash(settings),
        )?;
        let date = prepared.date;
        let string_to_sign = StringToSign::from_digest(self.scope(&date), &digest);
        let signature = self.sign_string(credentials, &date, &string_to_sign);
        let text = &mut prepared.text;
        text.put(SIGNATURE_PARAM.as_bytes());
        let start = text.len();
        text.put(signature.as_bytes());
        let layout = &mut prepared.layout;
        if let Some(slot) = layout.params.get_mut(layout.count) {
            *slot = ("X-Amz-Signature", start, text.len());
            layout.count += 1;
        }
        Ok(PresignOutput {
            // Only ASCII was written: names, encoded values and hex.
            text: String::from_utf8(prepared.text).unwrap_or_default(),
            params: prepared.layout.params,
            count: prepared.layout.count,
            signature,
            amz_date: date,
            expires,
        })
    }

    /// The canonical request that [`Signer::presign`] would sign.
    pub fn presign_canonical_request(
        &self,
        request: &SignableRequest<'_>,
        expires: Duration,
        payload: &PayloadHash,
        now: SystemTime,
    ) -> Result<CanonicalRequest, Error> {
        let (creq, _) = self.presign_plan(
            self.credentials(),
            request,
            expires,
            payload,
            now,
            CanonicalRequest::from_plan,
        )?;
        Ok(creq)
    }

    fn presign_plan<T>(
        &self,
        credentials: &Credentials,
        request: &SignableRequest<'_>,
        expires: Duration,
        payload: &PayloadHash,
        now: SystemTime,
        finish: impl FnOnce(&Plan<'_>, &crate::Settings) -> T,
    ) -> Result<(T, Prepared), Error> {
        let secs = check_expires(expires)?;
        let date = AmzDate::from_system_time(now)?;
        if self.settings().credential_expiry == CredentialExpiryCheck::Refuse {
            if let Some(limit) = credentials.expiry() {
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
        }
        let additions = Additions {
            fields: &[],
            host: request.host(),
            only: None,
        };
        let scope = self.scope(&date);
        let mut plan = Plan::start(request, payload);
        plan.collect_fields(request, self.settings(), &additions)?;

        // The parameters, encoded, in one buffer with room for the signature
        // too: encoding at most triples the token, and the other values are
        // short.
        let token_room = credentials.session_token().map_or(0, |t| 3 * t.len());
        let mut text = Vec::with_capacity(384 + token_room + 3 * signed_len(&plan));
        let mut layout = Layout {
            params: [("", 0, 0); 7],
            count: 0,
        };
        write_auth_params(
            &mut text,
            &mut layout,
            credentials,
            &scope,
            plan.fields(),
            secs,
        );

        let token_signed = self.settings().session_token == SessionTokenMode::Signed;
        let mut extra: StackVec<Param<'_>, 7> = StackVec::new();
        for &(key, start, end) in layout.params.iter().take(layout.count) {
            if key == "X-Amz-Security-Token" && !token_signed {
                continue;
            }
            // The values were written encoded, which is their canonical form.
            let value = text
                .get(start..end)
                .and_then(|v| std::str::from_utf8(v).ok())
                .unwrap_or("");
            extra.push(Param::canonical(key, value));
        }
        plan.collect_params(request, extra.as_slice())?;
        if let Some(clash) = request
            .query()
            .split('&')
            .map(|piece| piece.split_once('=').map_or(piece, |(k, _)| k))
            .find(|key| AUTH_PARAMS.iter().any(|a| a.eq_ignore_ascii_case(key)))
        {
            return Err(Error::InvalidQuery {
                reason: format!("it already contains {clash}, which presigning adds"),
            });
        }
        let out = finish(&plan, self.settings());
        drop(plan);
        drop(extra);
        Ok((out, Prepared { text, layout, date }))
    }
}

/// The length of the signed-headers list.
fn signed_len(plan: &Plan<'_>) -> usize {
    let mut count = CountSink::default();
    plan.write_signed_headers(&mut count);
    count.0
}

struct Prepared {
    text: Vec<u8>,
    layout: Layout,
    date: AmzDate,
}
