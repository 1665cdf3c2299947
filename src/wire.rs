//! The URI a signed `http::Request` leaves with, written so that every
//! HTTP client sends exactly the bytes that were signed.
//!
//! Clients do not all send a URI as it is: hyper writes the path and the
//! `Host` header from the URI byte for byte (a port as its number), while
//! reqwest (through the `url` crate, which follows the WHATWG URL standard)
//! lower-cases the host, rewrites IPv4 and IPv6 literals, removes dot
//! segments and percent-encodes `\`, `{`, `}` and `"`.
//! [`Signer::sign`](crate::Signer::sign) and
//! [`Signer::presign`](crate::Signer::presign) therefore first rewrite the
//! URI into a form both send unchanged and that means the same to the
//! server, and then sign that:
//!
//! - the host in lower case, an IPv6 literal in its shortest form (RFC 5952,
//!   hexadecimal groups only), an IPv4 address however written (`127.1`,
//!   `0x7f.0.0.1`) as a dotted quad, and a port without leading zeros;
//! - with S3's rules, the path in its canonical form: decoded and encoded
//!   once (`/a:b` is sent as `/a%3Ab`, `/%7e` as `/~`), a raw `+` taken as
//!   the plus sign the caller most likely meant (`%2B`; S3 would read it as a
//!   space). S3 decodes the path it receives, and a server that signs the
//!   path as it arrives (botocore, aws-c-auth) reads it as is: both compute
//!   what was signed;
//! - with the other rules, the path without `.` and `..` segments where the
//!   service normalizes paths (AWS removes them before signing, so the
//!   signature is the same), and `\`, `{`, `}` and `"` percent-encoded.
//!
//! Two kinds of path cannot be sent through the `url` crate as signed,
//! because it resolves them itself: dot segments in an S3 key (`a/./b`),
//! and segments spelled with escaped dots (`%2e`, `.%2E`), which it reads as
//! `.` and `..` whatever the service. Send those with a client that sends
//! the path as it is (hyper), or through the crate's middleware, which
//! signs the URL after the `url` crate has read it.

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

/// The authority with its host and port in the form every client sends, or
/// `None` when it is in that form already.
fn host_to_send(authority: &str) -> Option<String> {
    let at = authority.rfind('@').map_or(0, |i| i + 1);
    let (userinfo, hostport) = authority.split_at(at);
    let (host, port) = match hostport.strip_prefix('[') {
        Some(rest) => {
            let close = rest.find(']')?;
            (hostport.get(..close + 2)?, rest.get(close + 1..)?)
        }
        None => match hostport.rsplit_once(':') {
            Some((h, _)) => (h, hostport.get(h.len()..)?),
            None => (hostport, ""),
        },
    };
    let leading_zero_port = port.len() > 2 && port.as_bytes().get(1) == Some(&b'0');
    // The common host, a lower-case name, needs nothing: settled without
    // allocating.
    let ends_in_number = host
        .rsplit('.')
        .find(|l| !l.is_empty())
        .and_then(|l| l.bytes().next())
        .is_some_and(|b| b.is_ascii_digit());
    if !leading_zero_port
        && !host.starts_with('[')
        && !ends_in_number
        && !host.bytes().any(|b| b.is_ascii_uppercase())
    {
        return None;
    }
    let new_host = if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        format!("[{}]", shortest_ipv6(inner.parse().ok()?))
    } else if let Some(v4) = whatwg_ipv4(host) {
        v4.to_string()
    } else {
        host.to_ascii_lowercase()
    };
    // A port is sent as its number: `:01808` as `:1808`.
    let new_port = match port.strip_prefix(':') {
        Some(digits) if digits.len() > 1 && digits.starts_with('0') => {
            format!(":{}", digits.parse::<u16>().ok()?)
        }
        _ => port.to_owned(),
    };
    if new_host == host && new_port == port {
        return None;
    }
    Some(format!("{userinfo}{new_host}{new_port}"))
}

/// A host the WHATWG URL standard reads as an IPv4 address, however it is
/// written (`127.1`, `0x7f.0.0.1`, `2130706433`, `010.0.0.1`, a trailing
/// dot): the `url` crate sends it as a dotted quad. `None` for a host
/// whose last label is not a number (a domain name), or that the standard
/// refuses (then no client built on it sends the request at all).
pub(crate) fn whatwg_ipv4(host: &str) -> Option<std::net::Ipv4Addr> {
    let host = host.strip_suffix('.').unwrap_or(host);
    let parts: Vec<&str> = host.split('.').collect();
    let number = |part: &str| -> Option<u64> {
        let (digits, radix) =
            if let Some(hex) = part.strip_prefix("0x").or_else(|| part.strip_prefix("0X")) {
                (hex, 16)
            } else if part.len() > 1 && part.starts_with('0') {
                (part.get(1..)?, 8)
            } else {
                (part, 10)
            };
        if digits.is_empty() {
            return (radix != 10).then_some(0);
        }
        if digits.len() > 20 {
            return None;
        }
        u64::from_str_radix(digits, radix).ok()
    };
    let last = parts.last()?;
    let numeric = !last.is_empty()
        && (last.bytes().all(|b| b.is_ascii_digit())
            || (last.len() >= 2
                && last.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("0x"))
                && last.bytes().skip(2).all(|b| b.is_ascii_hexdigit())));
    if !numeric || parts.len() > 4 || parts.iter().any(|p| p.is_empty()) {
        return None;
    }
    let values: Vec<u64> = parts.iter().map(|p| number(p)).collect::<Option<_>>()?;
    let (init, last) = values.split_at(values.len() - 1);
    if init.iter().any(|v| *v > 255) {
        return None;
    }
    let last = *last.first()?;
    let room = 8 * (5 - values.len() as u32);
    if room < 64 && last >= 1u64 << room {
        return None;
    }
    let mut address = last;
    for (i, v) in init.iter().enumerate() {
        address += v << (8 * (3 - i as u32));
    }
    u32::try_from(address).ok().map(std::net::Ipv4Addr::from)
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
///
/// With S3's rules, the path is sent in its canonical form (decoded and
/// encoded once, a raw `+` first written `%2B`): S3 reads it the same way,
/// and so does a server that signs the path as it arrives (botocore,
/// aws-c-auth), so both compute what was signed. With the other rules, dot
/// segments are removed where the path is normalized, and the characters the
/// `url` crate would percent-encode are.
fn path_to_send(path: &str, settings: &Settings) -> Option<String> {
    if settings.uri_encoding == UriEncoding::Single {
        // The common path, unreserved characters and '/' only (and no dot
        // segment to remove), is its own canonical form.
        let bare = path
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/'));
        let dots = settings.path_normalization == PathNormalization::Enabled
            && uri::has_dot_segments(path);
        if bare && !dots && !path.is_empty() && !path.contains("//") {
            return None;
        }
        let plus = path.replace('+', "%2B");
        let mut canonical = Vec::with_capacity(plus.len());
        uri::write_canonical_path(&mut canonical, &plus, settings);
        let canonical = String::from_utf8(canonical).ok()?;
        return (canonical != path).then_some(canonical);
    }
    let dots =
        settings.path_normalization == PathNormalization::Enabled && uri::has_dot_segments(path);
    let escape = |b: u8| matches!(b, b'\\' | b'{' | b'}' | b'"');
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
            ("https://h/a\"b", &other, "https://h/a%22b"),
            // S3: the canonical form, which S3 and a raw-path signer agree on.
            (
                "https://b.s3.amazonaws.com/a:b@c(1)",
                &s3,
                "https://b.s3.amazonaws.com/a%3Ab%40c%281%29",
            ),
            (
                "https://b.s3.amazonaws.com/%7e%41",
                &s3,
                "https://b.s3.amazonaws.com/~A",
            ),
            (
                "https://b.s3.amazonaws.com/a%2Fb%2b",
                &s3,
                "https://b.s3.amazonaws.com/a/b%2B",
            ),
            // Ports as numbers, IPv4 addresses as dotted quads.
            ("http://h.example:01808/", &other, "http://h.example:1808/"),
            ("http://127.1:8080/", &other, "http://127.0.0.1:8080/"),
            ("http://0x7f.1/", &other, "http://127.0.0.1/"),
            ("http://2130706433/", &other, "http://127.0.0.1/"),
            ("http://1.a/", &other, "http://1.a/"),
        ] {
            assert_eq!(rewritten(uri, settings), want, "{uri}");
        }
    }

    /// The IPv4 reading of a host, against the `url` crate's (the WHATWG
    /// URL parser reqwest uses) on generated hosts.
    #[test]
    fn ipv4_reading_matches_the_url_crate() {
        use proptest::prelude::*;
        let part = prop::sample::select(vec![
            "0",
            "1",
            "01",
            "010",
            "08",
            "09",
            "0x",
            "0x7f",
            "0X7F",
            "255",
            "256",
            "4294967295",
            "4294967296",
            "99999999999999999999999",
            "a",
            "0xg",
            "1e3",
            "",
        ]);
        let host = (prop::collection::vec(part, 1..6), any::<bool>()).prop_map(|(p, dot)| {
            let mut h = p.join(".");
            if dot {
                h.push('.');
            }
            h
        });
        proptest!(ProptestConfig::with_cases(3000), |(host in host)| {
            let theirs = url::Url::parse(&format!("http://{host}/"))
                .ok()
                .and_then(|u| u.host_str().map(str::to_owned));
            match whatwg_ipv4(&host) {
                Some(v4) => prop_assert_eq!(Some(v4.to_string()), theirs, "{}", host),
                // Not an IPv4 reading: a domain name url keeps as it is, or
                // a host it refuses.
                None => prop_assert!(
                    theirs.as_deref().is_none_or(|t| t == host.to_ascii_lowercase()
                        || t.parse::<std::net::Ipv4Addr>().is_err()),
                    "{} -> {:?}", host, theirs
                ),
            }
        });
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
