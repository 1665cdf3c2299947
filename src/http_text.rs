//! A small reader for HTTP/1.1 requests written as text: a request line,
//! `Name: value` header lines, a blank line, then the body.
//!
//! It reads what the AWS signing test suite and debugging sessions hold,
//! including what strict HTTP parsers refuse: a raw space or UTF-8 in the
//! request target, a missing HTTP version, `Name:value` with no space,
//! folded (continued) header lines, and LF or CRLF line ends.

use std::fmt;

use crate::error::{Error, redact_query};
use crate::request::SignableRequest;

/// The most bytes [`RequestText::parse`] reads before the body.
pub const MAX_HEAD_BYTES: usize = 1024 * 1024;

/// An HTTP request read from text.
///
/// ```
/// use awsig::RequestText;
/// let text = "GET /example space/?a=b HTTP/1.1\nHost:example.amazonaws.com\nMy-Header1:value1\n  value2\n\n";
/// let req = RequestText::parse(text.as_bytes())?;
/// assert_eq!(req.method(), "GET");
/// assert_eq!(req.target(), "/example space/?a=b");
/// assert_eq!(req.headers()[1], ("My-Header1".to_string(), b"value1 value2".to_vec()));
/// # Ok::<(), awsig::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct RequestText {
    method: String,
    target: String,
    version: Option<String>,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
}

impl RequestText {
    /// Parses a request. Header names are kept as written; values are
    /// trimmed, and a folded value is joined to its line with one space.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRequestText`](crate::Error::InvalidRequestText) when the request line or a header line cannot be read, or the head is over [`MAX_HEAD_BYTES`](crate::MAX_HEAD_BYTES); it names the line.
    pub fn parse(input: &[u8]) -> Result<Self, Error> {
        let bad = |line: usize, reason: &'static str| Error::InvalidRequestText { line, reason };
        let (head, body) = split_head(input);
        if head.len() > MAX_HEAD_BYTES {
            return Err(bad(1, "the request line and headers are longer than 1 MiB"));
        }
        let mut lines = head
            .split(|&b| b == b'\n')
            .map(|l| l.strip_suffix(b"\r").unwrap_or(l));
        let first = lines.next().unwrap_or_default();
        let first =
            std::str::from_utf8(first).map_err(|_| bad(1, "the request line is not UTF-8"))?;
        if first.is_empty() {
            return Err(bad(1, "the request line is empty"));
        }
        let (method, rest) = first
            .split_once(' ')
            .ok_or_else(|| bad(1, "the request line has no target after the method"))?;
        if method.is_empty() {
            return Err(bad(1, "the request line starts with a space"));
        }
        let (target, version) = match rest.rsplit_once(' ') {
            Some((t, v)) if v.starts_with("HTTP/") => (t, Some(v.to_owned())),
            _ => (rest, None),
        };
        if target.is_empty() {
            return Err(bad(1, "the request target is empty"));
        }
        if target.bytes().any(|b| b.is_ascii_control()) {
            return Err(bad(1, "the request target contains a control character"));
        }
        let mut headers: Vec<(String, Vec<u8>)> = Vec::new();
        for (i, line) in lines.enumerate() {
            let number = i + 2;
            if line.first().is_some_and(|&b| b == b' ' || b == b'\t') {
                let Some((_, value)) = headers.last_mut() else {
                    return Err(bad(number, "a continuation line comes before any header"));
                };
                let more = trim(line);
                if !more.is_empty() {
                    if !value.is_empty() {
                        value.push(b' ');
                    }
                    value.extend_from_slice(more);
                }
                continue;
            }
            let colon = line
                .iter()
                .position(|&b| b == b':')
                .ok_or_else(|| bad(number, "a header line has no ':'"))?;
            let name = line.get(..colon).unwrap_or_default();
            let value = line.get(colon + 1..).unwrap_or_default();
            let name =
                std::str::from_utf8(name).map_err(|_| bad(number, "a header name is not UTF-8"))?;
            if name.is_empty() {
                return Err(bad(number, "a header name is empty"));
            }
            if name.bytes().any(|b| b == b' ' || b == b'\t') {
                return Err(bad(number, "a header name contains whitespace"));
            }
            headers.push((name.to_owned(), trim(value).to_vec()));
        }
        Ok(Self {
            method: method.to_owned(),
            target: target.to_owned(),
            version,
            headers,
            body: body.to_vec(),
        })
    }

    /// The method.
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The request target as written (origin-form or absolute).
    pub fn target(&self) -> &str {
        &self.target
    }

    /// The HTTP version, when the request line has one.
    pub fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }

    /// The header fields in order, names as written.
    pub fn headers(&self) -> &[(String, Vec<u8>)] {
        &self.headers
    }

    /// The body.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The header fields as borrowed pairs, for [`SignableRequest::new`].
    pub fn header_pairs(&self) -> Vec<(&str, &[u8])> {
        self.headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_slice()))
            .collect()
    }

    /// A view for signing. `pairs` is [`RequestText::header_pairs`].
    ///
    /// # Errors
    ///
    /// [`Error::InvalidMethod`](crate::Error::InvalidMethod), [`Error::MissingHost`](crate::Error::MissingHost), [`Error::InvalidHost`](crate::Error::InvalidHost), [`Error::InvalidUri`](crate::Error::InvalidUri), [`Error::InvalidPath`](crate::Error::InvalidPath), [`Error::InvalidQuery`](crate::Error::InvalidQuery), [`Error::InvalidHeaderName`](crate::Error::InvalidHeaderName), [`Error::InvalidHeaderValue`](crate::Error::InvalidHeaderValue), [`Error::TooManyHeaders`](crate::Error::TooManyHeaders) or [`Error::HeaderTooLarge`](crate::Error::HeaderTooLarge) when the method, the URI or a header field breaks a rule (each variant names the part and the reason).
    pub fn signable<'a>(
        &'a self,
        pairs: &'a [(&'a str, &'a [u8])],
    ) -> Result<SignableRequest<'a>, Error> {
        SignableRequest::new(&self.method, &self.target, pairs)
    }
}

impl fmt::Debug for RequestText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        // The target of a presigned URL may carry a session token.
        let target = match self.target.split_once('?') {
            Some((path, query)) => format!("{path}?{}", redact_query(query)),
            None => self.target.clone(),
        };
        f.debug_struct("RequestText")
            .field("method", &self.method)
            .field("target", &target)
            .field("header_names", &names)
            .field("body_len", &self.body.len())
            .finish()
    }
}

fn trim(v: &[u8]) -> &[u8] {
    let is_ws = |b: &u8| *b == b' ' || *b == b'\t';
    let start = v.iter().position(|b| !is_ws(b)).unwrap_or(v.len());
    let end = v.iter().rposition(|b| !is_ws(b)).map_or(start, |p| p + 1);
    v.get(start..end).unwrap_or_default()
}

/// Splits at the first blank line (LF LF or CRLF CRLF).
fn split_head(input: &[u8]) -> (&[u8], &[u8]) {
    let mut i = 0;
    while let Some(&b) = input.get(i) {
        if b == b'\n' {
            let rest = input.get(i + 1..).unwrap_or_default();
            if rest.first() == Some(&b'\n') {
                return (
                    input.get(..i).unwrap_or_default(),
                    rest.get(1..).unwrap_or_default(),
                );
            }
            if rest.starts_with(b"\r\n") {
                return (
                    input.get(..i).unwrap_or_default(),
                    rest.get(2..).unwrap_or_default(),
                );
            }
        }
        i += 1;
    }
    let head = input.strip_suffix(b"\n").unwrap_or(input);
    (head.strip_suffix(b"\r").unwrap_or(head), &[])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_suite_shapes() {
        let r = RequestText::parse(
            b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length:13\r\n\r\nParam1=value1",
        )
        .unwrap();
        assert_eq!(r.version(), Some("HTTP/1.1"));
        assert_eq!(r.headers().len(), 2);
        assert_eq!(r.body(), b"Param1=value1");
        let r = RequestText::parse(b"POST /a%3Ab\nHost:h\nX:1").unwrap();
        assert_eq!((r.target(), r.version()), ("/a%3Ab", None));
        assert_eq!(r.headers()[1], ("X".into(), b"1".to_vec()));
        assert!(r.body().is_empty());
    }

    #[test]
    fn refuses_malformed() {
        for bad in [
            &b""[..],
            b"GET",
            b" / HTTP/1.1",
            b"GET / HTTP/1.1\nNoColon",
            b"GET / HTTP/1.1\n folded",
            b"GET / HTTP/1.1\n:v",
            b"\xff / HTTP/1.1",
        ] {
            assert!(RequestText::parse(bad).is_err(), "{bad:?}");
        }
    }
}
