//! A read-only view of the parts of a request that signing looks at.

use std::fmt;

use http::HeaderMap;

use crate::error::{Error, lossy, redact_query};

/// The headers of a request: an `http::HeaderMap`, or a plain list for
/// callers with other HTTP types.
#[derive(Clone, Copy)]
pub(crate) enum HeaderSource<'a> {
    Map(&'a HeaderMap),
    List(&'a [(&'a str, &'a [u8])]),
}

impl HeaderSource<'_> {
    pub(crate) fn len(&self) -> usize {
        match self {
            HeaderSource::Map(m) => m.len(),
            HeaderSource::List(l) => l.len(),
        }
    }
}

/// What signing reads from a request: method, path, query, host and headers.
///
/// Build it from `http` types with [`SignableRequest::from_parts`] or
/// [`SignableRequest::from_request`], or from plain text with
/// [`SignableRequest::new`] (which also accepts request targets that
/// `http::Uri` refuses, such as a raw space or UTF-8 in the path).
///
/// ```
/// use awsig::SignableRequest;
/// let headers: &[(&str, &[u8])] = &[("Content-Type", b"application/json")];
/// let req = SignableRequest::new("POST", "https://sqs.us-east-1.amazonaws.com/?Action=ListQueues", headers)?;
/// assert_eq!(req.path(), "/");
/// assert_eq!(req.query(), "Action=ListQueues");
/// assert_eq!(req.host(), Some("sqs.us-east-1.amazonaws.com"));
/// # Ok::<(), awsig::Error>(())
/// ```
#[derive(Clone, Copy)]
pub struct SignableRequest<'a> {
    method: &'a str,
    path: &'a str,
    query: &'a str,
    host: Option<&'a str>,
    pub(crate) headers: HeaderSource<'a>,
}

impl<'a> SignableRequest<'a> {
    /// A view of an `http::Request`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidMethod`](crate::Error::InvalidMethod), [`Error::MissingHost`](crate::Error::MissingHost), [`Error::InvalidHost`](crate::Error::InvalidHost), [`Error::InvalidUri`](crate::Error::InvalidUri), [`Error::InvalidPath`](crate::Error::InvalidPath), [`Error::InvalidQuery`](crate::Error::InvalidQuery), [`Error::InvalidHeaderName`](crate::Error::InvalidHeaderName), [`Error::InvalidHeaderValue`](crate::Error::InvalidHeaderValue), [`Error::TooManyHeaders`](crate::Error::TooManyHeaders) or [`Error::HeaderTooLarge`](crate::Error::HeaderTooLarge) when the method, the URI or a header field breaks a rule (each variant names the part and the reason).
    pub fn from_request<B>(request: &'a http::Request<B>) -> Result<Self, Error> {
        Self::from_http(request.method(), request.uri(), request.headers())
    }

    /// A view of `http::request::Parts`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidMethod`](crate::Error::InvalidMethod), [`Error::MissingHost`](crate::Error::MissingHost), [`Error::InvalidHost`](crate::Error::InvalidHost), [`Error::InvalidUri`](crate::Error::InvalidUri), [`Error::InvalidPath`](crate::Error::InvalidPath), [`Error::InvalidQuery`](crate::Error::InvalidQuery), [`Error::InvalidHeaderName`](crate::Error::InvalidHeaderName), [`Error::InvalidHeaderValue`](crate::Error::InvalidHeaderValue), [`Error::TooManyHeaders`](crate::Error::TooManyHeaders) or [`Error::HeaderTooLarge`](crate::Error::HeaderTooLarge) when the method, the URI or a header field breaks a rule (each variant names the part and the reason).
    pub fn from_parts(parts: &'a http::request::Parts) -> Result<Self, Error> {
        Self::from_http(&parts.method, &parts.uri, &parts.headers)
    }

    /// A view of a method, URI and headers from the `http` crate.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidMethod`](crate::Error::InvalidMethod), [`Error::MissingHost`](crate::Error::MissingHost), [`Error::InvalidHost`](crate::Error::InvalidHost), [`Error::InvalidUri`](crate::Error::InvalidUri), [`Error::InvalidPath`](crate::Error::InvalidPath), [`Error::InvalidQuery`](crate::Error::InvalidQuery), [`Error::InvalidHeaderName`](crate::Error::InvalidHeaderName), [`Error::InvalidHeaderValue`](crate::Error::InvalidHeaderValue), [`Error::TooManyHeaders`](crate::Error::TooManyHeaders) or [`Error::HeaderTooLarge`](crate::Error::HeaderTooLarge) when the method, the URI or a header field breaks a rule (each variant names the part and the reason).
    pub fn from_http(
        method: &'a http::Method,
        uri: &'a http::Uri,
        headers: &'a HeaderMap,
    ) -> Result<Self, Error> {
        let host = match uri.authority() {
            Some(a) => Some(host_for_signing(a.as_str(), uri.scheme_str())?),
            None => None,
        };
        let path = uri.path();
        check_path(path)?;
        Ok(Self {
            method: method.as_str(),
            path,
            query: uri.query().unwrap_or(""),
            host,
            headers: HeaderSource::Map(headers),
        })
    }

    /// A view of a request given as text: a method, a URI (absolute,
    /// `https://host/path?query`, or origin-form, `/path?query` with the host
    /// in a `Host` header) and a list of `(name, value)` header fields.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidMethod`](crate::Error::InvalidMethod), [`Error::MissingHost`](crate::Error::MissingHost), [`Error::InvalidHost`](crate::Error::InvalidHost), [`Error::InvalidUri`](crate::Error::InvalidUri), [`Error::InvalidPath`](crate::Error::InvalidPath), [`Error::InvalidQuery`](crate::Error::InvalidQuery), [`Error::InvalidHeaderName`](crate::Error::InvalidHeaderName), [`Error::InvalidHeaderValue`](crate::Error::InvalidHeaderValue), [`Error::TooManyHeaders`](crate::Error::TooManyHeaders) or [`Error::HeaderTooLarge`](crate::Error::HeaderTooLarge) when the method, the URI or a header field breaks a rule (each variant names the part and the reason).
    pub fn new(
        method: &'a str,
        uri: &'a str,
        headers: &'a [(&'a str, &'a [u8])],
    ) -> Result<Self, Error> {
        check_method(method)?;
        let (host, rest) = if uri.starts_with('/') {
            (None, uri)
        } else if let Some((scheme, after)) = uri.split_once("://") {
            if scheme.is_empty()
                || !scheme
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
            {
                return Err(Error::InvalidUri {
                    reason: "the scheme is not valid",
                });
            }
            let end = after.find(['/', '?', '#']).unwrap_or(after.len());
            let (authority, rest) = after.split_at(end);
            if authority.is_empty() {
                return Err(Error::MissingHost);
            }
            (Some(host_for_signing(authority, Some(scheme))?), rest)
        } else {
            return Err(Error::InvalidUri {
                reason: "expected an absolute URI (scheme://host/path) or a path starting with '/'",
            });
        };
        let rest = rest.split_once('#').map_or(rest, |(before, _)| before);
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        check_path(path)?;
        Ok(Self {
            method,
            path,
            query,
            host,
            headers: HeaderSource::List(headers),
        })
    }

    /// The HTTP method.
    pub fn method(&self) -> &'a str {
        self.method
    }

    /// The path as sent (wire form).
    pub fn path(&self) -> &'a str {
        self.path
    }

    /// The query string as sent, without '?'.
    pub fn query(&self) -> &'a str {
        self.query
    }

    /// The host from the URI's authority, with any user info and the scheme's
    /// default port removed; `None` for an origin-form URI.
    pub fn host(&self) -> Option<&'a str> {
        self.host
    }

    /// The same request with another (wire-form) query string.
    pub(crate) fn with_query<'b>(&self, query: &'b str) -> SignableRequest<'b>
    where
        'a: 'b,
    {
        SignableRequest {
            method: self.method,
            path: self.path,
            query,
            host: self.host,
            headers: self.headers,
        }
    }

    /// Calls `f` with the name of every header field, in order.
    pub(crate) fn for_each_header_name(&self, mut f: impl FnMut(&str)) {
        match self.headers {
            HeaderSource::Map(m) => m.keys().for_each(|k| f(k.as_str())),
            HeaderSource::List(l) => l.iter().for_each(|(n, _)| f(n)),
        }
    }

    /// The two hosts a request names, when it names two: the URI's
    /// authority and a `Host` header that differs from it, or two `Host`
    /// headers. Compared without regard to letter case; an explicit default
    /// port (`:443`, `:80`) in the header matches the URI's host without
    /// one. (Shortened for messages.)
    pub(crate) fn conflicting_hosts(&self) -> Option<(String, String)> {
        let trim = |v: &[u8]| {
            let is_ws = |b: &u8| *b == b' ' || *b == b'\t';
            let start = v.iter().position(|b| !is_ws(b)).unwrap_or(v.len());
            let end = v.iter().rposition(|b| !is_ws(b)).map_or(start, |p| p + 1);
            String::from_utf8_lossy(v.get(start..end).unwrap_or(&[])).to_ascii_lowercase()
        };
        if !self.has_header("host") {
            return None;
        }
        let headers = self.header_values("host");
        let pair = match (self.host, headers.as_slice()) {
            (_, [first, second, ..]) => Some((trim(first), trim(second))),
            (Some(target), [one]) => {
                let target = target.to_ascii_lowercase();
                let header = trim(one);
                let same = header == target
                    || [":443", ":80"]
                        .iter()
                        .any(|p| header.strip_suffix(p) == Some(target.as_str()));
                (!same).then_some((target, header))
            }
            _ => None,
        };
        pair.map(|(a, b)| (lossy(a.as_bytes()), lossy(b.as_bytes())))
    }

    /// Whether the request has a header field named `name` (lowercase).
    pub(crate) fn has_header(&self, name: &str) -> bool {
        match self.headers {
            // A map's names are lower case; comparing them (lengths first)
            // costs less than parsing `name` into a key for each lookup.
            HeaderSource::Map(m) => m.keys().any(|k| k.as_str().eq_ignore_ascii_case(name)),
            HeaderSource::List(l) => l.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)),
        }
    }

    /// The values of every header field named `name` (case-insensitively), in order.
    pub(crate) fn header_values(&self, name: &str) -> Vec<&'a [u8]> {
        match self.headers {
            HeaderSource::Map(m) => m.get_all(name).iter().map(|v| v.as_bytes()).collect(),
            HeaderSource::List(l) => l
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| *v)
                .collect(),
        }
    }
}

impl fmt::Debug for SignableRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Header values may be secrets (cookies, tokens): show names only.
        // A presigned URL's query may carry a session token.
        let names: Vec<String> = match self.headers {
            HeaderSource::Map(m) => m.keys().map(|k| k.as_str().to_owned()).collect(),
            HeaderSource::List(l) => l.iter().map(|(n, _)| (*n).to_owned()).collect(),
        };
        f.debug_struct("SignableRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &redact_query(self.query))
            .field("host", &self.host)
            .field("header_names", &names)
            .finish()
    }
}

/// Checks an HTTP method: an RFC 9110 token of at most 64 bytes.
pub(crate) fn check_method(method: &str) -> Result<(), Error> {
    let ok = !method.is_empty()
        && method.len() <= 64
        && method
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidMethod {
            method: lossy(method.as_bytes()),
        })
    }
}

/// Checks a wire-form path: valid escapes and no control characters.
pub(crate) fn check_path(path: &str) -> Result<(), Error> {
    crate::percent::check_wire_text(path.as_bytes()).map_err(|reason| Error::InvalidPath { reason })
}

/// Whether a host (with its port) may hold a byte: printable ASCII but for
/// the space and `/?#\\"<>{}|^` and the backquote.
#[inline]
fn host_byte(b: u8) -> bool {
    matches!(b, 0x21..=0x7e)
        && !matches!(
            b,
            b'/' | b'?' | b'#' | b'\\' | b'"' | b'<' | b'>' | b'{' | b'}' | b'|' | b'^' | b'`'
        )
}

/// The authority as it is signed: user info dropped, the scheme's default
/// port (443 for https, 80 for http) dropped, any other port kept.
pub(crate) fn host_for_signing<'a>(
    authority: &'a str,
    scheme: Option<&str>,
) -> Result<&'a str, Error> {
    // The common authority, a bare host name, settled in one pass.
    let (plain, special) = authority.bytes().fold((true, false), |(ok, sp), b| {
        (ok & host_byte(b), sp | matches!(b, b'@' | b':' | b'['))
    });
    if plain && !special && !authority.is_empty() {
        return Ok(authority);
    }
    let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    // User info may hold a password: the error shows the host and port only.
    let bad = |reason| Error::InvalidHost {
        host: lossy(hostport.as_bytes()),
        reason,
    };
    if hostport.is_empty() {
        return Err(Error::MissingHost);
    }
    if !hostport.bytes().all(host_byte) {
        return Err(bad("it contains a character not allowed in a host"));
    }
    let (host, port) = if let Some(rest) = hostport.strip_prefix('[') {
        let Some(close) = rest.find(']') else {
            return Err(bad("an IPv6 address is missing its closing ']'"));
        };
        let inner = rest.get(..close).unwrap_or("");
        if inner.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(bad("the IPv6 address is not valid"));
        }
        let after = rest.get(close + 1..).unwrap_or("");
        let port = match after {
            "" => None,
            p => Some(
                p.strip_prefix(':')
                    .ok_or_else(|| bad("unexpected text after the IPv6 address"))?,
            ),
        };
        (hostport.get(..close + 2).unwrap_or(hostport), port)
    } else {
        match hostport.rsplit_once(':') {
            Some((h, p)) => {
                if h.contains(':') {
                    return Err(bad("an IPv6 address must be enclosed in '[' and ']'"));
                }
                (h, Some(p))
            }
            None => (hostport, None),
        }
    };
    if host.is_empty() {
        return Err(Error::MissingHost);
    }
    let Some(port) = port else {
        return Ok(hostport);
    };
    // Leading zeros are allowed (`:018081` is port 18081, as clients read it).
    let digits = port.trim_start_matches('0');
    if port.is_empty()
        || port.len() > 16
        || digits.len() > 5
        || !port.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(bad("the port is not a number from 0 to 65535"));
    }
    let number: u32 = if digits.is_empty() {
        0
    } else {
        digits
            .parse()
            .map_err(|_| bad("the port is not a number"))?
    };
    if number > 65_535 {
        return Err(bad("the port is not a number from 0 to 65535"));
    }
    let is = |name: &str| scheme.is_some_and(|s| s.eq_ignore_ascii_case(name));
    let default = if is("https") || is("wss") {
        Some(443)
    } else if is("http") || is("ws") {
        Some(80)
    } else {
        None
    };
    if default == Some(number) {
        Ok(host)
    } else {
        Ok(hostport)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_rules() {
        for (auth, scheme, want) in [
            ("example.com", "https", "example.com"),
            ("example.com:443", "https", "example.com"),
            ("example.com:80", "https", "example.com:80"),
            ("example.com:80", "http", "example.com"),
            ("user:pw@example.com:8443", "https", "example.com:8443"),
            ("[::1]:443", "https", "[::1]"),
            ("[::1]:9000", "http", "[::1]:9000"),
            ("[::1]", "http", "[::1]"),
            ("[::ffff:192.0.2.1]:443", "https", "[::ffff:192.0.2.1]"),
            ("[2001:DB8::1]", "https", "[2001:DB8::1]"),
        ] {
            assert_eq!(
                host_for_signing(auth, Some(scheme)).unwrap(),
                want,
                "{auth}"
            );
        }
        for bad in [
            "[::1",
            "[zz]",
            "::1",
            "host:port",
            "host:99999",
            "ho st",
            "[::1]x",
            "[]",
            "[:::]",
            "[1:2:3:4:5:6:7:8:9]",
            "[::1.2.3]",
        ] {
            assert!(host_for_signing(bad, Some("https")).is_err(), "{bad}");
        }
    }

    #[test]
    fn parses_text_targets() {
        let r = SignableRequest::new("GET", "/example space/?a=b#frag", &[]).unwrap();
        assert_eq!(
            (r.path(), r.query(), r.host()),
            ("/example space/", "a=b", None)
        );
        let r = SignableRequest::new("GET", "http://h:80", &[]).unwrap();
        assert_eq!((r.path(), r.host()), ("", Some("h")));
        assert!(SignableRequest::new("GET", "example.com/x", &[]).is_err());
        assert!(SignableRequest::new("G ET", "/", &[]).is_err());
        assert!(matches!(
            SignableRequest::new("GET", "https:///x", &[]),
            Err(Error::MissingHost)
        ));
    }
}
