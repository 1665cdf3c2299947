//! The URI a signed `http::Request` leaves with, written so that every
//! HTTP client sends exactly the bytes that were signed.
//!
//! Clients do not all send a URI as it is: hyper writes the path and the
//! `Host` header from the URI byte for byte, while reqwest (through the `url`
//! crate, which follows the WHATWG URL standard) lower-cases the host,
//! rewrites IPv6 literals, removes dot segments and percent-encodes `\`,
//! `{` and `}`. [`Signer::sign`](crate::Signer::sign) and
//! [`Signer::presign`](crate::Signer::presign) therefore first rewrite the
//! URI into a form both send unchanged and that means the same to the
//! server, and then sign that:
//!
//! - the host in lower case, and an IPv6 literal in its shortest form
//!   (RFC 5952, hexadecimal groups only);
//! - for services whose paths are normalized, the path without `.` and `..`
//!   segments (AWS removes them before signing, so the signature is the
//!   same);
//! - `\`, `{` and `}` in the path percent-encoded;
//! - with S3's rules, a raw `+` in the path written `%2B`: S3 reads a raw
//!   `+` as a space, and a caller who writes `+` in an object key almost
//!   always means the plus sign.

use std::fmt::Write as _;
use std::net::Ipv6Addr;

use crate::canonical_request::uri;
use crate::error::Error;
use crate::settings::{PathNormalization, Settings, UriEncoding};

/// The URI to send and sign instead of `uri`, or `None` when `uri` is
/// already in that form.
pub(crate) fn rewrite(uri: &http::Uri, settings: &Settings) -> Result<Option<http::Uri>, Error> {
    let authority = uri.authority().map(http::uri::Authority::as_str);
    let host = authority.and_then(host_to_send);
    let path = path_to_send(uri.path(), settings);
    if host.is_none() && path.is_none() {
        return Ok(None);
    }
    let failed = || Error::InvalidUri {
        reason: "the URI could not be rewritten into the form every client sends",
    };
    let mut parts = uri.clone().into_parts();
    if let Some(authority) = host {
        parts.authority = Some(http::uri::Authority::try_from(authority).map_err(|_| failed())?);
    }
    if let Some(mut path) = path {
        if let Some(query) = uri.query() {
            path.push('?');
            path.push_str(query);
        }
        parts.path_and_query = Some(http::uri::PathAndQuery::try_from(path).map_err(|_| failed())?);
    }
    http::Uri::from_parts(parts).map(Some).map_err(|_| failed())
}

/// The authority with its host in the form every client sends, or `None`
/// when it is in that form already.
fn host_to_send(authority: &str) -> Option<String> {
    let at = authority.rfind('@').map_or(0, |i| i + 1);
    let (userinfo, hostport) = authority.split_at(at);
    if let Some(rest) = hostport.strip_prefix('[') {
        let close = rest.find(']')?;
        let inner = rest.get(..close)?;
        let shortest = shortest_ipv6(inner.parse().ok()?);
        if shortest == inner {
            return None;
        }
        let port = rest.get(close + 1..).unwrap_or("");
        return Some(format!("{userinfo}[{shortest}]{port}"));
    }
    if !hostport.bytes().any(|b| b.is_ascii_uppercase()) {
        return None;
    }
    Some(format!("{userinfo}{}", hostport.to_ascii_lowercase()))
}

/// An IPv6 address as the WHATWG URL standard serializes it: lower-case
/// hexadecimal groups without leading zeros, the first longest run of two
/// or more zero groups written `::` (RFC 5952 §4), and never an embedded
/// IPv4 address.
pub(crate) fn shortest_ipv6(addr: Ipv6Addr) -> String {
    let groups = addr.segments();
    // The first longest run of zero groups, if it has at least two.
    let (mut best, mut best_len, mut run, mut run_len) = (0, 0, 0, 0);
    for (i, g) in groups.iter().enumerate() {
        if *g == 0 {
            if run_len == 0 {
                run = i;
            }
            run_len += 1;
            if run_len > best_len {
                best = run;
                best_len = run_len;
            }
        } else {
            run_len = 0;
        }
    }
    let mut out = String::with_capacity(39);
    let mut i = 0;
    while let Some(g) = groups.get(i) {
        if best_len >= 2 && i == best {
            out.push_str(if i == 0 { "::" } else { ":" });
            i += best_len;
            continue;
        }
        let _ = write!(out, "{g:x}");
        if i + 1 < groups.len() {
            out.push(':');
        }
        i += 1;
    }
    out
}

/// The path in the form every client sends, or `None` when it is in that
/// form already.
fn path_to_send(path: &str, settings: &Settings) -> Option<String> {
    let plus = settings.uri_encoding == UriEncoding::Single;
    let dots =
        settings.path_normalization == PathNormalization::Enabled && uri::has_dot_segments(path);
    let escape = |b: u8| matches!(b, b'\\' | b'{' | b'}') || (plus && b == b'+');
    if !dots && !path.bytes().any(escape) {
        return None;
    }
    let normalized;
    let path = if dots {
        normalized = uri::normalized_path(path);
        normalized.as_str()
    } else {
        path
    };
    let mut out = String::with_capacity(path.len() + 8);
    for c in path.chars() {
        match u8::try_from(c) {
            Ok(b) if escape(b) => {
                let _ = write!(out, "%{b:02X}");
            }
            _ => out.push(c),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewritten(uri: &str, settings: &Settings) -> String {
        let uri: http::Uri = uri.parse().unwrap();
        match rewrite(&uri, settings).unwrap() {
            Some(new) => new.to_string(),
            None => uri.to_string(),
        }
    }

    #[test]
    fn rewrites_what_clients_would_change() {
        let s3 = Settings::s3();
        let other = Settings::default();
        for (uri, settings, want) in [
            ("https://h.example/a", &other, "https://h.example/a"),
            ("https://H.Example/a", &other, "https://h.example/a"),
            (
                "https://u:P@H.Example:8443/a",
                &other,
                "https://u:P@h.example:8443/a",
            ),
            ("http://[2001:DB8::1]/", &other, "http://[2001:db8::1]/"),
            (
                "http://[2001:0db8:0:0::1]:9000/",
                &other,
                "http://[2001:db8::1]:9000/",
            ),
            (
                "http://[::ffff:192.0.2.1]/",
                &other,
                "http://[::ffff:c000:201]/",
            ),
            ("http://[::1]/", &other, "http://[::1]/"),
            ("https://h/a/./b/../c/..?x=1", &other, "https://h/a?x=1"),
            ("https://h/a/b/../", &other, "https://h/a/"),
            ("https://h/a//b", &other, "https://h/a//b"),
            ("https://h/a/./b", &s3, "https://h/a/./b"),
            ("https://h/a{b}\\c", &other, "https://h/a%7Bb%7D%5Cc"),
            (
                "https://b.s3.amazonaws.com/libstdc++.rpm?x=a+b",
                &s3,
                "https://b.s3.amazonaws.com/libstdc%2B%2B.rpm?x=a+b",
            ),
            ("https://h/a+b", &other, "https://h/a+b"),
        ] {
            assert_eq!(rewritten(uri, settings), want, "{uri}");
        }
    }

    #[test]
    fn ipv6_serialization_matches_the_url_standard() {
        for (text, want) in [
            ("::", "::"),
            ("::1", "::1"),
            ("1::", "1::"),
            ("1:0:0:2:0:0:0:3", "1:0:0:2::3"),
            ("1:0:0:2:0:0:3:4", "1::2:0:0:3:4"),
            ("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"),
            ("1:0:2:3:4:5:6:7", "1:0:2:3:4:5:6:7"),
            ("ABCD:00EF::", "abcd:ef::"),
            ("::ffff:10.0.0.1", "::ffff:a00:1"),
        ] {
            assert_eq!(shortest_ipv6(text.parse().unwrap()), want, "{text}");
        }
    }
}
