//! Stage 1: the canonical request.
//!
//! ```text
//! HTTPMethod\n
//! CanonicalURI\n
//! CanonicalQueryString\n
//! CanonicalHeaders\n        (one "name:value\n" per header)
//! \n
//! SignedHeaders\n
//! HashedPayload
//! ```
//!
//! See <https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html#create-canonical-request>.

pub(crate) mod headers;
pub(crate) mod query;
pub(crate) mod uri;

use std::fmt;

use crate::error::{Error, redact_query};
use crate::payload::PayloadHash;
use crate::request::SignableRequest;
use crate::settings::Settings;
use crate::sha256::Sha256;
use crate::sink::Sink;

use headers::{Additions, Fields};
use query::{Param, Params};

/// Everything the canonical request is made of, gathered, checked and
/// sorted, but not yet written. Writing it into a hasher is the hot path;
/// writing it into a string is [`CanonicalRequest`].
pub(crate) struct Plan<'a> {
    method: &'a str,
    path: &'a str,
    fields: Fields<'a>,
    params: Params<'a>,
    payload: &'a str,
}

impl<'a> Plan<'a> {
    /// A plan with no header field and no query parameter yet. Filled in
    /// place ([`Plan::collect_fields`], [`Plan::collect_params`]) so that the
    /// inline vectors are never moved.
    pub(crate) fn start(request: &SignableRequest<'a>, payload: &'a PayloadHash) -> Self {
        Self::start_with_payload_text(request, payload.as_str())
    }

    /// As [`Plan::start`], with any text on the payload line.
    pub(crate) fn start_with_payload_text(request: &SignableRequest<'a>, payload: &'a str) -> Self {
        Self {
            method: request.method(),
            path: request.path(),
            fields: Fields::new(),
            params: Params::new(),
            payload,
        }
    }

    /// Gathers, checks and sorts the header fields to sign.
    pub(crate) fn collect_fields(
        &mut self,
        request: &SignableRequest<'a>,
        settings: &Settings,
        additions: &Additions<'a>,
    ) -> Result<(), Error> {
        headers::collect(&request.headers, settings, additions, &mut self.fields)
    }

    /// Parses the query, adds `extra_params` and sorts them all.
    pub(crate) fn collect_params(
        &mut self,
        request: &SignableRequest<'a>,
        extra_params: &[Param<'a>],
    ) -> Result<(), Error> {
        query::parse_into(request.query(), &mut self.params)?;
        for p in extra_params {
            self.params.push(*p);
        }
        query::sort(&mut self.params);
        Ok(())
    }

    /// How many query parameters the plan holds.
    pub(crate) fn param_count(&self) -> usize {
        self.params.len()
    }

    pub(crate) fn fields(&self) -> &Fields<'a> {
        &self.fields
    }

    pub(crate) fn write(&self, sink: &mut impl Sink, settings: &Settings) {
        sink.put(self.method.as_bytes());
        sink.put(b"\n");
        uri::write_canonical_path(sink, self.path, settings);
        sink.put(b"\n");
        query::write(sink, &self.params);
        sink.put(b"\n");
        headers::write_canonical(sink, &self.fields);
        sink.put(b"\n");
        headers::write_signed(sink, &self.fields);
        sink.put(b"\n");
        sink.put(self.payload.as_bytes());
    }

    pub(crate) fn write_signed_headers(&self, sink: &mut impl Sink) {
        headers::write_signed(sink, &self.fields);
    }

    pub(crate) fn hash(&self, settings: &Settings) -> [u8; 32] {
        let mut h = Sha256::new();
        self.write(&mut h, settings);
        h.finish()
    }
}

/// The canonical request, each part as text. Its `Display` is exactly the
/// text whose SHA-256 goes into the string to sign.
///
/// Build one for a request as it stands with [`CanonicalRequest::new`] (the
/// request must already carry `x-amz-date` and any other header to sign), or
/// get the one that signing would produce from
/// [`Signer::canonical_request`](crate::Signer::canonical_request).
///
/// ```
/// use awsig::{CanonicalRequest, PayloadHash, Settings, SignableRequest};
/// let headers: &[(&str, &[u8])] = &[
///     ("Host", b"example.amazonaws.com"),
///     ("X-Amz-Date", b"20150830T123600Z"),
/// ];
/// let req = SignableRequest::new("GET", "/?Param2=value2&Param1=value1", headers)?;
/// let creq = CanonicalRequest::new(&req, &PayloadHash::empty(), &Settings::default())?;
/// assert_eq!(creq.to_string(), "GET\n/\nParam1=value1&Param2=value2\n\
///     host:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n\
///     host;x-amz-date\n\
///     e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
/// # Ok::<(), awsig::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct CanonicalRequest {
    method: String,
    uri: String,
    query: String,
    headers: String,
    signed_headers: String,
    payload: String,
}

impl CanonicalRequest {
    /// The canonical request for a request as it stands.
    ///
    /// # Errors
    ///
    /// - [`Error::InvalidMethod`](crate::Error::InvalidMethod), [`Error::MissingHost`](crate::Error::MissingHost), [`Error::InvalidHost`](crate::Error::InvalidHost), [`Error::InvalidUri`](crate::Error::InvalidUri), [`Error::InvalidPath`](crate::Error::InvalidPath), [`Error::InvalidQuery`](crate::Error::InvalidQuery), [`Error::InvalidHeaderName`](crate::Error::InvalidHeaderName), [`Error::InvalidHeaderValue`](crate::Error::InvalidHeaderValue), [`Error::TooManyHeaders`](crate::Error::TooManyHeaders) or [`Error::HeaderTooLarge`](crate::Error::HeaderTooLarge) when the request cannot be signed as it stands (each variant names the part and the reason);
    /// - [`Error::TimeOutOfRange`](crate::Error::TimeOutOfRange) when `now` is before 1970 or after the year 9999.
    pub fn new(
        request: &SignableRequest<'_>,
        payload: &PayloadHash,
        settings: &Settings,
    ) -> Result<Self, Error> {
        let additions = Additions {
            fields: &[],
            host: request.host(),
            only: None,
            wire: None,
        };
        let mut plan = Plan::start(request, payload);
        plan.collect_fields(request, settings, &additions)?;
        plan.collect_params(request, &[])?;
        Ok(Self::from_plan(&plan, settings))
    }

    /// The canonical request for `http::request::Parts` as they stand.
    ///
    /// # Errors
    ///
    /// - [`Error::InvalidMethod`](crate::Error::InvalidMethod), [`Error::MissingHost`](crate::Error::MissingHost), [`Error::InvalidHost`](crate::Error::InvalidHost), [`Error::InvalidUri`](crate::Error::InvalidUri), [`Error::InvalidPath`](crate::Error::InvalidPath), [`Error::InvalidQuery`](crate::Error::InvalidQuery), [`Error::InvalidHeaderName`](crate::Error::InvalidHeaderName), [`Error::InvalidHeaderValue`](crate::Error::InvalidHeaderValue), [`Error::TooManyHeaders`](crate::Error::TooManyHeaders) or [`Error::HeaderTooLarge`](crate::Error::HeaderTooLarge) when the request cannot be signed as it stands (each variant names the part and the reason);
    /// - [`Error::TimeOutOfRange`](crate::Error::TimeOutOfRange) when `now` is before 1970 or after the year 9999.
    pub fn from_parts(
        parts: &http::request::Parts,
        payload: &PayloadHash,
        settings: &Settings,
    ) -> Result<Self, Error> {
        Self::new(&SignableRequest::from_parts(parts)?, payload, settings)
    }

    pub(crate) fn from_plan(plan: &Plan<'_>, settings: &Settings) -> Self {
        let text = |f: &dyn Fn(&mut Vec<u8>)| {
            let mut v = Vec::new();
            f(&mut v);
            String::from_utf8_lossy(&v).into_owned()
        };
        Self {
            method: plan.method.to_owned(),
            uri: text(&|v| uri::write_canonical_path(v, plan.path, settings)),
            query: text(&|v| query::write(v, &plan.params)),
            headers: text(&|v| headers::write_canonical(v, &plan.fields)),
            signed_headers: text(&|v| headers::write_signed(v, &plan.fields)),
            payload: plan.payload.to_owned(),
        }
    }

    /// The HTTP method.
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The canonical URI.
    pub fn uri(&self) -> &str {
        &self.uri
    }

    /// The canonical query string.
    pub fn query(&self) -> &str {
        &self.query
    }

    /// The canonical headers: one `name:value\n` line per header.
    pub fn headers(&self) -> &str {
        &self.headers
    }

    /// The signed-headers list, `host;x-amz-date`.
    pub fn signed_headers(&self) -> &str {
        &self.signed_headers
    }

    /// The payload hash line.
    pub fn payload_hash(&self) -> &str {
        &self.payload
    }

    /// The SHA-256 of the text.
    pub fn digest(&self) -> [u8; 32] {
        let mut h = Sha256::new();
        self.write_to(&mut h);
        h.finish()
    }

    fn write_to(&self, sink: &mut impl Sink) {
        for (i, part) in [
            &self.method,
            &self.uri,
            &self.query,
            &self.headers,
            &self.signed_headers,
            &self.payload,
        ]
        .into_iter()
        .enumerate()
        {
            if i > 0 {
                sink.put(b"\n");
            }
            sink.put(part.as_bytes());
        }
    }

    /// The same canonical request with the values of the headers for which
    /// `redact` answers `true` (given the lowercase name) replaced by
    /// `<redacted>`.
    pub(crate) fn with_values_redacted(mut self, redact: impl Fn(&str) -> bool) -> Self {
        let mut headers = String::with_capacity(self.headers.len());
        for line in self.headers.lines() {
            match line.split_once(':') {
                Some((name, _)) if redact(name) => {
                    headers.push_str(name);
                    headers.push_str(":<redacted>");
                }
                _ => headers.push_str(line),
            }
            headers.push('\n');
        }
        self.headers = headers;
        self
    }

    /// The text with every header value replaced by `<redacted>`: safe to
    /// log, still enough to spot which part differs from what a server saw.
    pub fn redacted(&self) -> String {
        let mut headers = String::new();
        for line in self.headers.lines() {
            let name = line.split_once(':').map_or(line, |(n, _)| n);
            headers.push_str(name);
            headers.push_str(":<redacted>\n");
        }
        format!(
            "{}\n{}\n{}\n{}\n{}\n{}",
            self.method,
            self.uri,
            redact_query(&self.query),
            headers,
            self.signed_headers,
            self.payload
        )
    }
}

impl fmt::Display for CanonicalRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}\n{}\n{}\n{}\n{}\n{}",
            self.method, self.uri, self.query, self.headers, self.signed_headers, self.payload
        )
    }
}

impl fmt::Debug for CanonicalRequest {
    /// Header values may hold secrets (a session token), so `Debug` shows
    /// the redacted form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CanonicalRequest")
            .field("text", &self.redacted())
            .finish()
    }
}
