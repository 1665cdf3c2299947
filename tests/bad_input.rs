//! Inputs that signing must refuse, each with the exact error variant.
//!
//! Every row is one bad input (request, settings, credentials or time) and a
//! pattern for the `Error` it must produce. A row that is accepted, fails
//! with another variant, or panics fails the test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use awsig::limits::{MAX_HEADER_FIELD_BYTES, MAX_HEADER_FIELDS, MAX_QUERY_PARAMS};
use awsig::{
    AmzDate, CanonicalRequest, CredentialExpiryCheck, Credentials, Error, PayloadHash, RequestText,
    Settings, SignableRequest, Signer,
};

const AKID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const HOST: (&str, &[u8]) = ("Host", b"example.amazonaws.com");
/// 2015-08-30T12:36:00Z, the AWS signing test suite's time.
const SUITE_TIME: u64 = 1_440_938_160;
/// 9999-12-31T23:59:59Z, the last instant that can be signed.
const LAST_SECOND: u64 = 253_402_300_799;

type Run = Box<dyn Fn() -> Result<(), Error>>;

struct Row {
    name: &'static str,
    run: Run,
    expect: fn(&Error) -> bool,
}

macro_rules! row {
    ($name:expr, $run:expr, $pat:pat) => {
        Row {
            name: $name,
            run: Box::new($run),
            expect: |e| matches!(e, $pat),
        }
    };
}

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(SUITE_TIME)
}

fn signer() -> Signer {
    Signer::new(
        Credentials::new(AKID, SECRET).unwrap(),
        "us-east-1",
        "service",
    )
    .unwrap()
}

/// Header-signs a request given as text.
fn sign(method: &str, uri: &str, headers: &[(&str, &[u8])]) -> Result<(), Error> {
    let req = SignableRequest::new(method, uri, headers)?;
    signer()
        .signing_output(&req, &PayloadHash::empty(), now())
        .map(drop)
}

/// Header-signs a request for a host: the header list gets a valid Host first.
fn sign_headers(headers: &[(&str, &[u8])]) -> Result<(), Error> {
    let mut all = vec![HOST];
    all.extend_from_slice(headers);
    sign("GET", "/", &all)
}

/// Signs an `http::Request` in place.
fn sign_http(mut req: http::Request<()>) -> Result<(), Error> {
    signer()
        .sign(&mut req, &PayloadHash::empty(), now())
        .map(drop)
}

fn presign(uri: &str, expires: Duration) -> Result<(), Error> {
    let req = SignableRequest::new("GET", uri, &[])?;
    signer()
        .presign_output(&req, expires, &PayloadHash::empty(), now())
        .map(drop)
}

fn sign_at(time: SystemTime) -> Result<(), Error> {
    let req = SignableRequest::new("GET", "https://example.amazonaws.com/", &[])?;
    signer()
        .signing_output(&req, &PayloadHash::empty(), time)
        .map(drop)
}

fn new_signer(region: &str, service: &str) -> Result<(), Error> {
    Signer::new(Credentials::new(AKID, SECRET)?, region, service).map(drop)
}

fn creds(key: &str, secret: &str, token: Option<&str>) -> Result<(), Error> {
    Credentials::build(key, secret, token, None).map(drop)
}

fn payload(text: &str) -> Result<(), Error> {
    PayloadHash::parse(text).map(drop)
}

fn request_text(text: &[u8]) -> Result<(), Error> {
    RequestText::parse(text).map(drop)
}

fn many_headers(n: usize) -> Vec<(String, Vec<u8>)> {
    (0..n).map(|i| (format!("x-h{i}"), b"v".to_vec())).collect()
}

fn sign_owned(headers: &[(String, Vec<u8>)]) -> Result<(), Error> {
    let pairs: Vec<(&str, &[u8])> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_slice()))
        .collect();
    sign_headers(&pairs)
}

fn http_get(uri: &str) -> http::request::Builder {
    http::Request::get(uri)
}

fn rows() -> Vec<Row> {
    vec![
        // Header names.
        row!(
            "CR in a header name",
            || sign_headers(&[("X-A\rB", b"v")]),
            Error::InvalidHeaderName { .. }
        ),
        row!(
            "LF in a header name",
            || sign_headers(&[("X-A\nB", b"v")]),
            Error::InvalidHeaderName { .. }
        ),
        row!(
            "CRLF injection in a header name",
            || sign_headers(&[("X-A\r\nX-B", b"v")]),
            Error::InvalidHeaderName { .. }
        ),
        row!(
            "NUL in a header name",
            || sign_headers(&[("X-A\0B", b"v")]),
            Error::InvalidHeaderName { .. }
        ),
        row!(
            "non-ASCII header name",
            || sign_headers(&[("X-Amz-Meta-Ünïcode", b"v")]),
            Error::InvalidHeaderName { .. }
        ),
        row!(
            "empty header name",
            || sign_headers(&[("", b"v")]),
            Error::InvalidHeaderName { .. }
        ),
        row!(
            "space-only header name",
            || sign_headers(&[(" ", b"v")]),
            Error::InvalidHeaderName { .. }
        ),
        row!(
            "tab-only header name",
            || sign_headers(&[("\t", b"v")]),
            Error::InvalidHeaderName { .. }
        ),
        row!(
            "space inside a header name",
            || sign_headers(&[("X Custom", b"v")]),
            Error::InvalidHeaderName { .. }
        ),
        row!(
            "colon in a header name",
            || sign_headers(&[("X-Custom:", b"v")]),
            Error::InvalidHeaderName { .. }
        ),
        row!(
            "bad name of an unsigned header",
            || sign_headers(&[("User Agent", b"v")]),
            Error::InvalidHeaderName { .. }
        ),
        // Header values.
        row!(
            "CR in a header value",
            || sign_headers(&[("X-A", b"a\rb")]),
            Error::InvalidHeaderValue { .. }
        ),
        row!(
            "LF in a header value",
            || sign_headers(&[("X-A", b"a\nb")]),
            Error::InvalidHeaderValue { .. }
        ),
        row!(
            "CRLF injection in a header value",
            || sign_headers(&[("X-A", b"a\r\nAuthorization: x")]),
            Error::InvalidHeaderValue { .. }
        ),
        row!(
            "NUL in a header value",
            || sign_headers(&[("X-A", b"a\0b")]),
            Error::InvalidHeaderValue { .. }
        ),
        row!(
            "DEL in a header value",
            || sign_headers(&[("X-A", b"a\x7fb")]),
            Error::InvalidHeaderValue { .. }
        ),
        row!(
            "invalid UTF-8 in a header value",
            || sign_headers(&[("X-A", b"caf\xe9")]),
            Error::InvalidHeaderValue { .. }
        ),
        row!(
            "CRLF in the Host header",
            || sign("GET", "/", &[("Host", b"example.com\r\nX-B: 1")]),
            Error::InvalidHeaderValue { .. }
        ),
        row!(
            "invalid UTF-8 in an http::HeaderValue",
            || sign_http(
                http_get("https://example.amazonaws.com/")
                    .header("x-a", &b"caf\xe9"[..])
                    .body(())
                    .unwrap()
            ),
            Error::InvalidHeaderValue { .. }
        ),
        // Text that must be UTF-8.
        row!(
            "invalid UTF-8 in a request line",
            || request_text(b"G\xffT / HTTP/1.1\nHost: h\n\n"),
            Error::InvalidRequestText { line: 1, .. }
        ),
        row!(
            "invalid UTF-8 in a request-text header name",
            || request_text(b"GET / HTTP/1.1\nX-\xff: 1\n\n"),
            Error::InvalidRequestText { line: 2, .. }
        ),
        row!(
            "control character in a request target",
            || request_text(b"GET /a\x01b HTTP/1.1\n\n"),
            Error::InvalidRequestText { line: 1, .. }
        ),
        row!(
            "request head over 1 MiB",
            || request_text(
                &[
                    b"GET / HTTP/1.1\nX-A: ".as_slice(),
                    &vec![b'a'; awsig::MAX_HEAD_BYTES]
                ]
                .concat()
            ),
            Error::InvalidRequestText { .. }
        ),
        // Hosts.
        row!(
            "origin-form URI without a Host header",
            || sign("GET", "/path", &[]),
            Error::MissingHost
        ),
        row!(
            "absolute URI with an empty authority",
            || sign("GET", "https:///path", &[]),
            Error::MissingHost
        ),
        row!(
            "authority with only user info",
            || sign("GET", "https://user@/path", &[]),
            Error::MissingHost
        ),
        row!(
            "port without a host",
            || sign("GET", "https://:443/", &[]),
            Error::MissingHost
        ),
        row!(
            "http::Request without a host",
            || sign_http(http_get("/path").body(()).unwrap()),
            Error::MissingHost
        ),
        row!(
            "IPv6 host with no closing bracket",
            || sign("GET", "https://[::1/x", &[]),
            Error::InvalidHost { .. }
        ),
        row!(
            "IPv6 host with no closing bracket, with port",
            || sign("GET", "https://[::1:8443/x", &[]),
            Error::InvalidHost { .. }
        ),
        row!(
            "IPv6 host with a bad character",
            || sign("GET", "https://[::g]/", &[]),
            Error::InvalidHost { .. }
        ),
        row!(
            "IPv6 host with a bad character, with port",
            || sign("GET", "https://[::g]:8443/", &[]),
            Error::InvalidHost { .. }
        ),
        row!(
            "IPv6 host with too many groups",
            || sign("GET", "https://[1:2:3:4:5:6:7:8:9]/", &[]),
            Error::InvalidHost { .. }
        ),
        row!(
            "IPv6 host of colons only, with port",
            || sign("GET", "https://[:::]:443/", &[]),
            Error::InvalidHost { .. }
        ),
        row!(
            "empty IPv6 brackets",
            || sign("GET", "https://[]/", &[]),
            Error::InvalidHost { .. }
        ),
        row!(
            "IPv6 host without brackets",
            || sign("GET", "https://::1/", &[]),
            Error::InvalidHost { .. }
        ),
        row!(
            "text after an IPv6 host",
            || sign("GET", "https://[::1]x/", &[]),
            Error::InvalidHost { .. }
        ),
        row!(
            "empty port",
            || sign("GET", "https://[::1]:/", &[]),
            Error::InvalidHost { .. }
        ),
        row!(
            "port above 65535",
            || sign("GET", "https://example.com:65536/", &[]),
            Error::InvalidHost { .. }
        ),
        row!(
            "port that is not a number",
            || sign("GET", "https://example.com:12ab/", &[]),
            Error::InvalidHost { .. }
        ),
        row!(
            "space in a host",
            || sign("GET", "https://exa mple.com/", &[]),
            Error::InvalidHost { .. }
        ),
        row!(
            "non-ASCII host",
            || sign("GET", "https://exämple.com/", &[]),
            Error::InvalidHost { .. }
        ),
        // URIs, paths, queries and methods.
        row!(
            "URI that is neither absolute nor a path",
            || sign("GET", "example.com/x", &[HOST]),
            Error::InvalidUri { .. }
        ),
        row!(
            "URI with an empty scheme",
            || sign("GET", "://example.com/", &[]),
            Error::InvalidUri { .. }
        ),
        row!(
            "URI with a space in the scheme",
            || sign("GET", "ht tp://example.com/", &[]),
            Error::InvalidUri { .. }
        ),
        row!(
            "'%' followed by non-hex in a path",
            || sign("GET", "/a%zz", &[HOST]),
            Error::InvalidPath { .. }
        ),
        row!(
            "'%' with one hex digit at the end of a path",
            || sign("GET", "/a%2", &[HOST]),
            Error::InvalidPath { .. }
        ),
        row!(
            "bare '%' at the end of a path",
            || sign("GET", "https://example.com/a%", &[]),
            Error::InvalidPath { .. }
        ),
        row!(
            "LF in a path",
            || sign("GET", "/a\nb", &[HOST]),
            Error::InvalidPath { .. }
        ),
        row!(
            "NUL in a path",
            || sign("GET", "/a\0b", &[HOST]),
            Error::InvalidPath { .. }
        ),
        row!(
            "'%' followed by non-hex in a query",
            || sign("GET", "/?a=%zz", &[HOST]),
            Error::InvalidQuery { .. }
        ),
        row!(
            "CR in a query",
            || sign("GET", "/?a=\rb", &[HOST]),
            Error::InvalidQuery { .. }
        ),
        row!(
            "too many query parameters",
            || sign(
                "GET",
                &format!("/?{}", vec!["a=1"; MAX_QUERY_PARAMS + 1].join("&")),
                &[HOST]
            ),
            Error::InvalidQuery { .. }
        ),
        row!(
            "presign a URL that already has X-Amz-Signature",
            || presign(
                "https://example.com/?x-amz-signature=abc",
                Duration::from_secs(60)
            ),
            Error::InvalidQuery { .. }
        ),
        row!(
            "empty method",
            || sign("", "/", &[HOST]),
            Error::InvalidMethod { .. }
        ),
        row!(
            "method with CRLF",
            || sign("GET\r\n", "/", &[HOST]),
            Error::InvalidMethod { .. }
        ),
        row!(
            "method with a space",
            || sign("G ET", "/", &[HOST]),
            Error::InvalidMethod { .. }
        ),
        // Regions and services.
        row!(
            "empty region",
            || new_signer("", "s3"),
            Error::InvalidRegion { .. }
        ),
        row!(
            "region with '/'",
            || new_signer("us-east-1/x", "s3"),
            Error::InvalidRegion { .. }
        ),
        row!(
            "region with a space",
            || new_signer("us east-1", "s3"),
            Error::InvalidRegion { .. }
        ),
        row!(
            "region with LF",
            || new_signer("us-east-1\n", "s3"),
            Error::InvalidRegion { .. }
        ),
        row!(
            "non-ASCII region",
            || new_signer("üs-east-1", "s3"),
            Error::InvalidRegion { .. }
        ),
        row!(
            "empty service",
            || new_signer("us-east-1", ""),
            Error::InvalidService { .. }
        ),
        row!(
            "service with '/'",
            || new_signer("us-east-1", "s3/x"),
            Error::InvalidService { .. }
        ),
        row!(
            "service with a space",
            || new_signer("us-east-1", "s 3"),
            Error::InvalidService { .. }
        ),
        row!(
            "service with LF",
            || new_signer("us-east-1", "s3\n"),
            Error::InvalidService { .. }
        ),
        // Credentials.
        row!(
            "empty access key id",
            || creds("", SECRET, None),
            Error::InvalidAccessKeyId { .. }
        ),
        row!(
            "access key id with a space",
            || creds("AKID EXAMPLE", SECRET, None),
            Error::InvalidAccessKeyId { .. }
        ),
        row!(
            "access key id with a trailing LF",
            || creds("AKIDEXAMPLE\n", SECRET, None),
            Error::InvalidAccessKeyId { .. }
        ),
        row!(
            "access key id with NUL",
            || creds("AKID\0EXAMPLE", SECRET, None),
            Error::InvalidAccessKeyId { .. }
        ),
        row!(
            "access key id with '/', the credential scope's separator",
            || creds("AKID/EXAMPLE", SECRET, None),
            Error::InvalidAccessKeyId { .. }
        ),
        row!(
            "access key id with ',', the Authorization header's separator",
            || creds("AKID,EXAMPLE", SECRET, None),
            Error::InvalidAccessKeyId { .. }
        ),
        row!(
            "access key id with a tab",
            || creds("\tAKIDEXAMPLE", SECRET, None),
            Error::InvalidAccessKeyId { .. }
        ),
        row!(
            "empty secret",
            || creds(AKID, "", None),
            Error::InvalidSecretAccessKey { .. }
        ),
        row!(
            "secret with a space",
            || creds(AKID, "wJalr XUtn", None),
            Error::InvalidSecretAccessKey { .. }
        ),
        row!(
            "secret with CR",
            || creds(AKID, "wJalrXUtn\r", None),
            Error::InvalidSecretAccessKey { .. }
        ),
        row!(
            "secret with a control character",
            || creds(AKID, "wJalr\x01XUtn", None),
            Error::InvalidSecretAccessKey { .. }
        ),
        row!(
            "empty session token",
            || creds(AKID, SECRET, Some("")),
            Error::InvalidSessionToken { .. }
        ),
        row!(
            "session token with a space",
            || creds(AKID, SECRET, Some("tok en")),
            Error::InvalidSessionToken { .. }
        ),
        row!(
            "session token with CRLF",
            || creds(AKID, SECRET, Some("tok\r\nen")),
            Error::InvalidSessionToken { .. }
        ),
        row!(
            "session token with NUL",
            || creds(AKID, SECRET, Some("tok\0en")),
            Error::InvalidSessionToken { .. }
        ),
        row!(
            "non-ASCII session token",
            || creds(AKID, SECRET, Some("tökén")),
            Error::InvalidSessionToken { .. }
        ),
        // Payload hashes.
        row!(
            "payload hash of 63 digits",
            || payload(&"a".repeat(63)),
            Error::InvalidPayloadHash { .. }
        ),
        row!(
            "payload hash of 65 digits",
            || payload(&"a".repeat(65)),
            Error::InvalidPayloadHash { .. }
        ),
        row!(
            "empty payload hash",
            || payload(""),
            Error::InvalidPayloadHash { .. }
        ),
        row!(
            "upper-case payload hash",
            || payload(&awsig::EMPTY_SHA256.to_uppercase()),
            Error::InvalidPayloadHash { .. }
        ),
        row!(
            "payload hash with a non-hex digit",
            || payload(&format!("{}g", &awsig::EMPTY_SHA256[..63])),
            Error::InvalidPayloadHash { .. }
        ),
        row!(
            "lower-case payload marker",
            || payload("unsigned-payload"),
            Error::InvalidPayloadHash { .. }
        ),
        // Presign expiry.
        row!(
            "expiry of 0 s",
            || presign("https://example.com/", Duration::ZERO),
            Error::ExpiresOutOfRange { seconds: 0 }
        ),
        row!(
            "expiry of 604801 s",
            || presign("https://example.com/", Duration::from_secs(604_801)),
            Error::ExpiresOutOfRange { seconds: 604_801 }
        ),
        row!(
            "expiry of 604800.5 s",
            || presign("https://example.com/", Duration::from_millis(604_800_500)),
            Error::ExpiresOutOfRange { .. }
        ),
        row!(
            "fractional expiry",
            || presign("https://example.com/", Duration::from_millis(1500)),
            Error::ExpiresOutOfRange { seconds: 1 }
        ),
        row!(
            "longest Duration as expiry",
            || presign("https://example.com/", Duration::MAX),
            Error::ExpiresOutOfRange { .. }
        ),
        row!(
            "presigned URL outliving its credentials",
            || {
                let creds = Credentials::with_session_token(
                    AKID,
                    SECRET,
                    "token",
                    Some(now() + Duration::from_secs(60)),
                )?;
                let signer = Signer::new(creds, "us-east-1", "s3")?.with_settings(
                    Settings::s3().with_credential_expiry(CredentialExpiryCheck::Refuse),
                );
                let req = SignableRequest::new("GET", "https://example.com/", &[])?;
                signer
                    .presign_output(
                        &req,
                        Duration::from_secs(3600),
                        &PayloadHash::Unsigned,
                        now(),
                    )
                    .map(drop)
            },
            Error::PresignOutlivesCredentials { .. }
        ),
        // Time.
        row!(
            "signing time one second before 1970",
            || sign_at(UNIX_EPOCH - Duration::from_secs(1)),
            Error::TimeOutOfRange { .. }
        ),
        row!(
            "signing time in 1900",
            || sign_at(UNIX_EPOCH - Duration::from_secs(2_208_988_800)),
            Error::TimeOutOfRange { .. }
        ),
        row!(
            "signing time one second after 9999",
            || sign_at(UNIX_EPOCH + Duration::from_secs(LAST_SECOND + 1)),
            Error::TimeOutOfRange { .. }
        ),
        row!(
            "presign time after 9999",
            || {
                let req = SignableRequest::new("GET", "https://example.com/", &[])?;
                signer()
                    .presign_output(
                        &req,
                        Duration::from_secs(60),
                        &PayloadHash::Unsigned,
                        UNIX_EPOCH + Duration::from_secs(LAST_SECOND + 1),
                    )
                    .map(drop)
            },
            Error::TimeOutOfRange { .. }
        ),
        row!(
            "unix seconds after 9999",
            || AmzDate::from_unix_seconds(LAST_SECOND + 1).map(drop),
            Error::TimeOutOfRange { .. }
        ),
        row!(
            "RFC 3339 time before 1970",
            || AmzDate::parse_rfc3339("1969-12-31T23:59:59Z").map(drop),
            Error::TimeOutOfRange { .. }
        ),
        row!(
            "X-Amz-Date before 1970",
            || AmzDate::parse("19691231T235959Z").map(drop),
            Error::InvalidDate { .. }
        ),
        row!(
            "X-Amz-Date with a 5-digit year",
            || AmzDate::parse("100000101T000000Z").map(drop),
            Error::InvalidDate { .. }
        ),
        row!(
            "X-Amz-Date on 30 February",
            || AmzDate::parse("20240230T000000Z").map(drop),
            Error::InvalidDate { .. }
        ),
        row!(
            "RFC 3339 year 10000",
            || AmzDate::parse_rfc3339("10000-01-01T00:00:00Z").map(drop),
            Error::InvalidDate { .. }
        ),
        // Limits.
        row!(
            "one header field over the limit once signed",
            // With Host, x-amz-date and authorization: one over.
            || sign_owned(&many_headers(MAX_HEADER_FIELDS - 2)),
            Error::TooManyHeaders { .. }
        ),
        row!(
            "http::HeaderMap with one field over the limit",
            || {
                let mut req = http_get("https://example.amazonaws.com/").body(()).unwrap();
                for i in 0..MAX_HEADER_FIELDS + 1 {
                    req.headers_mut().append(
                        http::HeaderName::from_bytes(format!("x-h{i}").as_bytes()).unwrap(),
                        http::HeaderValue::from_static("v"),
                    );
                }
                sign_http(req)
            },
            Error::TooManyHeaders { .. }
        ),
        row!(
            "repeated header fields over the limit",
            || {
                let pairs = vec![("x-same", &b"v"[..]); MAX_HEADER_FIELDS + 1];
                sign_headers(&pairs)
            },
            Error::TooManyHeaders { .. }
        ),
        row!(
            "header value one byte over the limit",
            || sign_headers(&[("X-A", &vec![b'a'; MAX_HEADER_FIELD_BYTES + 1])]),
            Error::HeaderTooLarge { .. }
        ),
        row!(
            "http::HeaderValue one byte over the limit",
            || sign_http(
                http_get("https://example.amazonaws.com/")
                    .header("x-a", vec![b'a'; MAX_HEADER_FIELD_BYTES + 1])
                    .body(())
                    .unwrap()
            ),
            Error::HeaderTooLarge { .. }
        ),
        row!(
            "header name one byte over the limit",
            || sign_headers(&[(&"x".repeat(MAX_HEADER_FIELD_BYTES + 1), b"v")]),
            Error::InvalidHeaderName { .. }
        ),
        row!(
            "http::HeaderName one byte over the limit",
            || sign_http(
                http_get("https://example.amazonaws.com/")
                    .header("x".repeat(MAX_HEADER_FIELD_BYTES + 1), "v")
                    .body(())
                    .unwrap()
            ),
            Error::InvalidHeaderName { .. }
        ),
    ]
}

#[test]
fn every_bad_input_is_refused_with_its_variant() {
    let rows = rows();
    assert!(rows.len() >= 40, "the table has only {} rows", rows.len());
    let mut failures = Vec::new();
    for row in &rows {
        match catch_unwind(AssertUnwindSafe(|| (row.run)())) {
            Err(_) => failures.push(format!("{}: panicked", row.name)),
            Ok(Ok(())) => failures.push(format!("{}: accepted", row.name)),
            Ok(Err(e)) if (row.expect)(&e) => {}
            Ok(Err(e)) => failures.push(format!("{}: wrong error {e:?}", row.name)),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The limits are exact: one less than each refused input above is signed.
#[test]
fn inputs_at_the_limits_are_accepted() {
    // With Host, x-amz-date and authorization: exactly the limit.
    sign_owned(&many_headers(MAX_HEADER_FIELDS - 3)).unwrap();
    sign_headers(&[("X-A", &vec![b'a'; MAX_HEADER_FIELD_BYTES])]).unwrap();
    // The longest header name is the one whose `authorization` value (which
    // lists it) is exactly a header field's limit.
    let authorization_len = |name: &str| {
        let headers: &[(&str, &[u8])] = &[HOST, (name, b"v")];
        let req = SignableRequest::new("GET", "/", headers).unwrap();
        signer()
            .signing_output(&req, &PayloadHash::empty(), now())
            .unwrap()
            .authorization()
            .len()
    };
    let longest = MAX_HEADER_FIELD_BYTES - (authorization_len("x") - 1);
    assert_eq!(
        authorization_len(&"x".repeat(longest)),
        MAX_HEADER_FIELD_BYTES
    );
    let over = "x".repeat(longest + 1);
    assert!(matches!(
        sign_headers(&[(&over, b"v")]),
        Err(Error::HeaderTooLarge { ref name, .. }) if name == "authorization"
    ));
    sign(
        "GET",
        &format!("/?{}", vec!["a=1"; MAX_QUERY_PARAMS].join("&")),
        &[HOST],
    )
    .unwrap();
    presign("https://example.com/", Duration::from_secs(1)).unwrap();
    presign("https://example.com/", Duration::from_secs(604_800)).unwrap();
    sign_at(UNIX_EPOCH).unwrap();
    sign_at(UNIX_EPOCH + Duration::from_secs(LAST_SECOND)).unwrap();
    sign("GET", "https://[::1]:8443/", &[]).unwrap();
    sign("GET", "https://[::ffff:192.0.2.1]/", &[]).unwrap();
    let empty: &[(&str, &[u8])] = &[HOST];
    let req = SignableRequest::new("GET", "/", empty).unwrap();
    CanonicalRequest::new(&req, &PayloadHash::empty(), &Settings::default()).unwrap();
}
