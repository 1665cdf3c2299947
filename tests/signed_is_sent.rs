//! What is signed is what is sent, and whatever the signer signs, the
//! verifier accepts.
//!
//! Random requests (hosts in every letter case, IPv6 literals, ports,
//! user info, paths with dot segments, escapes, `+`, `\`, `{`, queries
//! with reserved characters, headers, session tokens in both placements)
//! are signed or presigned with `Signer::sign` / `Signer::presign`, then put
//! on the wire as two clients would send them:
//!
//! - as hyper does: the request target and the `Host` header taken from the
//!   URI byte for byte (user info dropped, a default port left out);
//! - as reqwest does: the URI read by the `url` crate (the WHATWG URL
//!   parser), which lower-cases the host, rewrites IPv6 literals, removes dot
//!   segments and percent-encodes some characters.
//!
//! The server side is awsig's verifier, given the request as it arrives. Also
//! here: signing the same request again (after a credentials refresh, with
//! the token signed or added after signing), and requests near every limit.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use awsig::limits::{MAX_HEADER_FIELD_BYTES, MAX_HEADER_FIELDS, MAX_QUERY_BYTES, MAX_QUERY_PARAMS};
use awsig::{
    Credentials, Payload, PayloadHash, Policy, ServiceRules, SessionTokenMode, Settings, Signer,
    verify_request,
};
use proptest::prelude::*;

const NOW: u64 = 1_440_938_160; // 2015-08-30T12:36:00Z

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(NOW)
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Client {
    Hyper,
    Url,
}

/// The request as the server receives it from `client`: origin-form target,
/// a `Host` header (the request's own, or what the client derives from the
/// URI), the other headers and the body.
fn as_sent(req: &http::Request<Vec<u8>>, client: Client) -> http::Request<Vec<u8>> {
    let uri = req.uri();
    let (host, target) = match client {
        Client::Hyper => {
            let secure = uri.scheme_str() == Some("https");
            let port = match (uri.port_u16(), secure) {
                (Some(443), true) | (Some(80), false) | (None, _) => String::new(),
                (Some(p), _) => format!(":{p}"),
            };
            let target = uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
            (format!("{}{port}", uri.host().unwrap()), target)
        }
        Client::Url => {
            let url = url::Url::parse(&uri.to_string()).unwrap();
            let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
            let mut target = url.path().to_owned();
            if let Some(q) = url.query() {
                target.push('?');
                target.push_str(q);
            }
            (format!("{}{port}", url.host_str().unwrap()), target)
        }
    };
    let mut sent = http::Request::builder()
        .method(req.method())
        .uri(target)
        .body(req.body().clone())
        .unwrap();
    if !req.headers().contains_key(http::header::HOST) {
        sent.headers_mut()
            .insert(http::header::HOST, host.parse().unwrap());
    }
    for (name, value) in req.headers() {
        sent.headers_mut().append(name, value.clone());
    }
    sent
}

fn policy_for(settings: Settings) -> Policy {
    Policy::new()
        .with_regions(["us-east-1"])
        .with_rules(ServiceRules::Fixed(settings))
}

// ---------------------------------------------------------------------------
// Generators

const AUTHORITIES: &[&str] = &[
    "example.amazonaws.com",
    "EXAMPLE.AmazonAWS.com",
    "Bucket.S3.us-east-1.amazonaws.com",
    "localhost:9000",
    "LocalHost:8080",
    "127.0.0.1:443",
    "h.example:443",
    "h.example:80",
    "[::1]:9000",
    "[2001:DB8::1]",
    "[2001:0db8:0:0::1]:8443",
    "[::ffff:192.0.2.1]",
    "user:Pass@Example.com",
    "example.com:01808",
    "example.com:018081",
    "127.1:8080",
    "0x7f.0.0.1",
    "2130706433",
];

const SEGMENTS: &[&str] = &[
    "a",
    "Z",
    ".",
    "..",
    "",
    "%7e",
    "%2B",
    "%2b",
    "+",
    "{x}",
    "\\",
    "'",
    "%20",
    "~",
    "a.b",
    "=",
    "@",
    "%2F",
    "!",
    "*",
    "%E2%82%AC",
    "(",
    ")",
    ":",
    ",",
];

const QUERY_PIECES: &[&str] = &[
    "a", "B", "'", "+", "%2B", "%20", "%3D", "{", "~", "x%41", "", "%7e", "!", "*", "/", "?",
];

const TOKENS: &[&str] = &[
    "tok",
    "FQoGZXIvYXdzEXAMPLE/+==",
    "AQoDYXdzEJr+session/token=",
];

#[derive(Debug, Clone)]
struct Input {
    https: bool,
    authority: &'static str,
    path: String,
    query: Vec<(String, Option<String>)>,
    headers: Vec<(&'static str, String)>,
    method: &'static str,
    body: Vec<u8>,
    s3: bool,
    token: Option<&'static str>,
    after_signing: bool,
    presign: bool,
}

impl Input {
    fn uri(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        let mut uri = format!("{scheme}://{}{}", self.authority, self.path);
        if !self.query.is_empty() {
            uri.push('?');
            let pairs: Vec<String> = self
                .query
                .iter()
                .map(|(k, v)| match v {
                    Some(v) => format!("{k}={v}"),
                    None => k.clone(),
                })
                .collect();
            uri.push_str(&pairs.join("&"));
        }
        uri
    }

    fn settings(&self) -> Settings {
        let base = if self.s3 {
            Settings::s3()
        } else {
            Settings::default()
        };
        base.with_session_token(if self.after_signing {
            SessionTokenMode::AddedAfterSigning
        } else {
            SessionTokenMode::Signed
        })
    }

    fn credentials(&self) -> Credentials {
        let (id, secret) = ("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
        match self.token {
            Some(t) => Credentials::with_session_token(id, secret, t, None).unwrap(),
            None => Credentials::new(id, secret).unwrap(),
        }
    }

    fn request(&self) -> Option<http::Request<Vec<u8>>> {
        let mut b = http::Request::builder().method(self.method).uri(self.uri());
        for (n, v) in &self.headers {
            b = b.header(*n, v.as_str());
        }
        b.body(self.body.clone()).ok()
    }
}

fn input() -> impl Strategy<Value = Input> {
    let path = (
        prop::collection::vec(prop::sample::select(SEGMENTS), 0..6),
        any::<bool>(),
    )
        .prop_map(|(segs, trailing)| {
            let mut p: String = segs.iter().map(|s| format!("/{s}")).collect();
            if trailing || p.is_empty() {
                p.push('/');
            }
            p
        });
    let piece =
        || prop::collection::vec(prop::sample::select(QUERY_PIECES), 0..3).prop_map(|v| v.concat());
    let query = prop::collection::vec((piece(), prop::option::of(piece())), 0..4);
    let header = (
        prop::sample::select(vec![
            "X-Custom",
            "x-amz-meta-a",
            "Content-Type",
            "X-Amz-Meta-B",
            "x-amz-tagging",
            "user-agent",
        ]),
        "[ -~]{0,12}",
    );
    (
        (
            any::<bool>(),
            prop::sample::select(AUTHORITIES),
            path,
            query,
            prop::collection::vec(header, 0..4),
        ),
        (
            prop::sample::select(vec!["GET", "PUT", "POST"]),
            prop::collection::vec(any::<u8>(), 0..16),
            any::<bool>(),
            prop::option::of(prop::sample::select(TOKENS)),
            any::<bool>(),
            any::<bool>(),
        ),
    )
        .prop_map(
            |(
                (https, authority, path, query, headers),
                (method, body, s3, token, after_signing, presign),
            )| {
                Input {
                    https,
                    authority,
                    path,
                    query,
                    headers: headers
                        .into_iter()
                        .map(|(n, v)| (n, v.trim().to_owned()))
                        .collect(),
                    method,
                    body,
                    s3,
                    token,
                    after_signing,
                    presign,
                }
            },
        )
}

/// Signs or presigns `input`; `None` when signing refuses it (the test
/// then checks only that the refusal is an error, which `?` ensures).
fn signed(input: &Input) -> Option<http::Request<Vec<u8>>> {
    let mut req = input.request()?;
    let signer = Signer::new(
        input.credentials(),
        "us-east-1",
        if input.s3 { "s3" } else { "service" },
    )
    .unwrap()
    .with_settings(input.settings());
    let result = if input.presign {
        let payload = if input.s3 {
            PayloadHash::Unsigned
        } else {
            PayloadHash::of(req.body())
        };
        signer.presign(&mut req, Duration::from_secs(600), &payload, now())
    } else {
        let payload = PayloadHash::of(req.body());
        signer.sign(&mut req, &payload, now())
    };
    result.ok().map(|_| req)
}

/// Whether the `url` crate sends this path as it is: it removes dot
/// segments (`.`, `..`) wherever they are, which S3 keys may hold.
fn url_keeps_path(input: &Input) -> bool {
    !(input.s3 && input.path.split('/').any(|s| s == "." || s == ".."))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn what_is_signed_is_what_every_client_sends(input in input()) {
        let Some(req) = signed(&input) else {
            // Refused inputs are not what this test is about; the refusals
            // themselves are tested in tests/bad_input.rs.
            return Ok(());
        };
        for client in [Client::Hyper, Client::Url] {
            if client == Client::Url && !url_keeps_path(&input) {
                continue;
            }
            let sent = as_sent(&req, client);
            let result = verify_request(
                &sent,
                Payload::Body(sent.body()),
                &input.credentials(),
                now(),
                &policy_for(input.settings()),
            );
            prop_assert!(
                result.is_ok(),
                "{:?} sends {} {:?} for {}: {:?}",
                client,
                sent.method(),
                sent.uri(),
                input.uri(),
                result.err().map(|e| format!("{e}: {:?}", e.mismatch().map(|m| m.canonical_request().to_string())))
            );
        }
    }

    /// Signing a request again (a retry after a credentials refresh, or
    /// after the token was dropped or added) leaves a request that verifies
    /// with the last credentials, and carries their token or none.
    #[test]
    fn signing_again_signs_what_is_sent(
        first in prop::option::of(prop::sample::select(TOKENS)),
        second in prop::option::of(prop::sample::select(TOKENS)),
        after_signing in any::<bool>(),
        s3 in any::<bool>(),
        later in 0u64..3600,
    ) {
        let base = Input {
            https: true,
            authority: "example.amazonaws.com",
            path: "/a".into(),
            query: vec![("x".into(), Some("1".into()))],
            headers: vec![("X-Custom", "v".into())],
            method: "POST",
            body: b"body".to_vec(),
            s3,
            token: first,
            after_signing,
            presign: false,
        };
        let mut req = signed(&base).unwrap();
        let again = Input { token: second, ..base.clone() };
        let signer = Signer::new(again.credentials(), "us-east-1", if s3 { "s3" } else { "service" })
            .unwrap()
            .with_settings(again.settings());
        let when = now() + Duration::from_secs(later);
        signer.sign(&mut req, &PayloadHash::of(b"body"), when).unwrap();
        prop_assert_eq!(
            req.headers().get("x-amz-security-token").map(|v| v.to_str().unwrap().to_owned()),
            second.map(str::to_owned)
        );
        let sent = as_sent(&req, Client::Hyper);
        let result = verify_request(
            &sent,
            Payload::Body(b"body"),
            &again.credentials(),
            when,
            &policy_for(again.settings()),
        );
        prop_assert!(result.is_ok(), "{:?}", result.err());
    }
}

// ---------------------------------------------------------------------------
// Limits

/// Signs (or presigns) a request with `headers` and `query` and the given
/// credentials; when signing accepts it, the verifier must too.
fn signs_and_verifies(
    headers: &[(String, String)],
    query: &str,
    credentials: &Credentials,
    presign: bool,
    s3: bool,
) -> Result<bool, String> {
    let mut b = http::Request::builder()
        .method("GET")
        .uri(format!("https://example.amazonaws.com/p?{query}"));
    for (n, v) in headers {
        b = b.header(n.as_str(), v.as_str());
    }
    let mut req = b.body(Vec::new()).map_err(|e| e.to_string())?;
    let settings = if s3 {
        Settings::s3()
    } else {
        Settings::default()
    };
    let signer = Signer::new(
        credentials.clone(),
        "us-east-1",
        if s3 { "s3" } else { "service" },
    )
    .unwrap()
    .with_settings(settings);
    // A presigned S3 URL stands for UNSIGNED-PAYLOAD; other services hash
    // the body.
    let presigned = if s3 {
        PayloadHash::Unsigned
    } else {
        PayloadHash::empty()
    };
    let signed = if presign {
        signer.presign(&mut req, Duration::from_secs(60), &presigned, now())
    } else {
        signer.sign(&mut req, &PayloadHash::empty(), now())
    };
    if signed.is_err() {
        return Ok(false);
    }
    let sent = as_sent(&req, Client::Hyper);
    let payload = if presign && s3 {
        Payload::Hash(PayloadHash::Unsigned)
    } else {
        Payload::Body(b"")
    };
    verify_request(&sent, payload, credentials, now(), &policy_for(settings))
        .map(|_| true)
        .map_err(|e| format!("signed but refused: {e}"))
}

/// As [`signs_and_verifies`], for a query too long for `http::Uri` (64 KiB):
/// the request given as text, signed with `signing_output` or
/// `presign_output`, verified as text.
fn signs_and_verifies_text(query: &str, presign: bool) -> Result<bool, String> {
    let creds = credentials(8, None);
    let signer = Signer::new(creds.clone(), "us-east-1", "service").unwrap();
    let uri = format!("https://example.amazonaws.com/p?{query}");
    let view = awsig::SignableRequest::new("GET", &uri, &[]).unwrap();
    let host: (&str, &[u8]) = ("Host", b"example.amazonaws.com");
    let (target, headers) = if presign {
        let Ok(out) =
            signer.presign_output(&view, Duration::from_secs(60), &PayloadHash::empty(), now())
        else {
            return Ok(false);
        };
        (format!("/p?{}", out.append_to_query(query)), vec![])
    } else {
        let Ok(out) = signer.signing_output(&view, &PayloadHash::empty(), now()) else {
            return Ok(false);
        };
        let headers: Vec<(String, Vec<u8>)> = out
            .headers()
            .map(|(n, v)| (n.to_owned(), v.as_bytes().to_vec()))
            .collect();
        (format!("/p?{query}"), headers)
    };
    let mut pairs: Vec<(&str, &[u8])> = vec![host];
    pairs.extend(headers.iter().map(|(n, v)| (n.as_str(), v.as_slice())));
    let sent = awsig::SignableRequest::new("GET", &target, &pairs).unwrap();
    awsig::verify(
        &sent,
        Payload::Body(b""),
        &creds,
        now(),
        &policy_for(Settings::default()),
    )
    .map(|_| true)
    .map_err(|e| format!("signed but refused: {e}"))
}

fn credentials(id_len: usize, token_len: Option<usize>) -> Credentials {
    let id = "A".repeat(id_len);
    match token_len {
        Some(n) => Credentials::with_session_token(&id, "secret", &"t".repeat(n), None).unwrap(),
        None => Credentials::new(&id, "secret").unwrap(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Near every limit, on both sides of it: whatever signs, verifies; and
    /// each limit is reached (some inputs sign, some are refused).
    #[test]
    fn near_every_limit_what_signs_verifies(
        fields in (MAX_HEADER_FIELDS - 6)..=MAX_HEADER_FIELDS,
        value_len in (MAX_HEADER_FIELD_BYTES - 4)..=(MAX_HEADER_FIELD_BYTES + 1),
        name_len in (MAX_HEADER_FIELD_BYTES - 250)..=(MAX_HEADER_FIELD_BYTES - 150),
        params in (MAX_QUERY_PARAMS - 10)..=MAX_QUERY_PARAMS,
        query_len in (MAX_QUERY_BYTES - 1200)..=MAX_QUERY_BYTES,
        id_len in 1000usize..=1024,
        token_len in prop::option::of((MAX_HEADER_FIELD_BYTES - 2)..=MAX_HEADER_FIELD_BYTES),
        which in 0usize..5,
        presign in any::<bool>(),
        s3 in any::<bool>(),
    ) {
        let creds = credentials(if which == 4 { id_len } else { 8 }, token_len.filter(|_| which != 1));
        let result = match which {
            // Header fields, counting those signing adds.
            0 => {
                let headers: Vec<(String, String)> =
                    (0..fields).map(|i| (format!("x-h{i}"), "v".into())).collect();
                signs_and_verifies(&headers, "a=1", &creds, presign, s3)
            }
            // A header value at the limit (and a token near it).
            1 => signs_and_verifies(&[("x-v".into(), "v".repeat(value_len))], "a=1", &creds, presign, s3),
            // A header name that makes the signed-headers list long.
            2 => signs_and_verifies(&[("x".repeat(name_len), "v".into())], "a=1", &creds, presign, s3),
            // Query parameters, and a long query.
            3 if params % 2 == 0 => {
                signs_and_verifies_text(&format!("a={}", "q".repeat(query_len - 2)), presign)
            }
            3 => signs_and_verifies(&[], &vec!["a=1"; params].join("&"), &creds, presign, s3),
            // A long access key id in the authorization value.
            _ => signs_and_verifies(&[("x".repeat(name_len), "v".into())], "a=1", &creds, presign, s3),
        };
        prop_assert!(result.is_ok(), "{}", result.unwrap_err());
    }
}

/// The limits are reached from both sides: the largest request of each
/// kind signs and verifies, one more is refused by the signer.
#[test]
fn each_limit_has_an_accepted_and_a_refused_side() {
    let creds = credentials(8, None);
    let headers = |n: usize| -> Vec<(String, String)> {
        (0..n).map(|i| (format!("x-h{i}"), "v".into())).collect()
    };
    // Host, x-amz-date and authorization are added to the request's fields.
    assert_eq!(
        signs_and_verifies(&headers(MAX_HEADER_FIELDS - 3), "", &creds, false, false),
        Ok(true)
    );
    assert_eq!(
        signs_and_verifies(&headers(MAX_HEADER_FIELDS - 2), "", &creds, false, false),
        Ok(false)
    );
    // A presigned request adds Host only.
    assert_eq!(
        signs_and_verifies(&headers(MAX_HEADER_FIELDS - 1), "", &creds, true, false),
        Ok(true)
    );
    assert_eq!(
        signs_and_verifies(&headers(MAX_HEADER_FIELDS), "", &creds, true, false),
        Ok(false)
    );
    // Presigning adds six parameters and the signature.
    let params = |n: usize| vec!["a=1"; n].join("&");
    assert_eq!(
        signs_and_verifies(&[], &params(MAX_QUERY_PARAMS), &creds, false, false),
        Ok(true)
    );
    assert_eq!(
        signs_and_verifies(&[], &params(MAX_QUERY_PARAMS - 6), &creds, true, false),
        Ok(true)
    );
    assert_eq!(
        signs_and_verifies(&[], &params(MAX_QUERY_PARAMS - 5), &creds, true, false),
        Ok(false)
    );
    // The query's length, with the presigned parameters.
    let long = |n: usize| format!("a={}", "q".repeat(n - 2));
    assert_eq!(
        signs_and_verifies_text(&long(MAX_QUERY_BYTES), false),
        Ok(true)
    );
    assert_eq!(
        signs_and_verifies_text(&long(MAX_QUERY_BYTES + 1), false),
        Ok(false)
    );
    // What presigning appends, '&' included, measured on a short query.
    let signer = Signer::new(creds.clone(), "us-east-1", "service").unwrap();
    let view =
        awsig::SignableRequest::new("GET", "https://example.amazonaws.com/p?a=b", &[]).unwrap();
    let out = signer
        .presign_output(&view, Duration::from_secs(60), &PayloadHash::empty(), now())
        .unwrap();
    let appended = out.append_to_query("a=b").len() - "a=b".len();
    assert_eq!(
        signs_and_verifies_text(&long(MAX_QUERY_BYTES - appended), true),
        Ok(true)
    );
    assert_eq!(
        signs_and_verifies_text(&long(MAX_QUERY_BYTES - appended + 1), true),
        Ok(false)
    );
    // A token at the header limit signs; one byte more is refused when the
    // credentials are made.
    assert_eq!(
        signs_and_verifies(
            &[],
            "a=1",
            &credentials(8, Some(MAX_HEADER_FIELD_BYTES)),
            false,
            false
        ),
        Ok(true)
    );
    assert!(
        Credentials::with_session_token(
            "AKID",
            "secret",
            &"t".repeat(MAX_HEADER_FIELD_BYTES + 1),
            None
        )
        .is_err()
    );
}

/// The reported inputs, each with its right outcome.
#[test]
fn reported_cases() {
    // An upper-case host: hyper sends the URI's host as written, and the
    // request is signed as it is sent (the URI is lower-cased first).
    let creds =
        Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY").unwrap();
    let signer = Signer::new(creds.clone(), "us-east-1", "service").unwrap();
    let mut req = http::Request::get("https://Example.AmazonAWS.com/path")
        .body(Vec::new())
        .unwrap();
    signer.sign(&mut req, &PayloadHash::empty(), now()).unwrap();
    assert_eq!(req.uri().host(), Some("example.amazonaws.com"));
    let sent = as_sent(&req, Client::Hyper);
    assert_eq!(sent.headers()["host"], "example.amazonaws.com");
    let policy = policy_for(Settings::default());
    verify_request(&sent, Payload::Body(b""), &creds, now(), &policy).unwrap();

    // SessionTokenMode::AddedAfterSigning, signed again after a refresh:
    // the old token is not signed, the new one is sent.
    let after = Settings::default().with_session_token(SessionTokenMode::AddedAfterSigning);
    let old = Credentials::with_session_token("AKIDEXAMPLE", "secret", "OLD-TOKEN", None).unwrap();
    let new = Credentials::with_session_token("AKIDEXAMPLE", "secret", "NEW-TOKEN", None).unwrap();
    let mut req = http::Request::get("https://example.amazonaws.com/")
        .body(Vec::new())
        .unwrap();
    let signing = |c: &Credentials| {
        Signer::new(c.clone(), "us-east-1", "service")
            .unwrap()
            .with_settings(after)
    };
    signing(&old)
        .sign(&mut req, &PayloadHash::empty(), now())
        .unwrap();
    signing(&new)
        .sign(&mut req, &PayloadHash::empty(), now())
        .unwrap();
    assert_eq!(req.headers()["x-amz-security-token"], "NEW-TOKEN");
    assert!(
        !req.headers()["authorization"]
            .to_str()
            .unwrap()
            .contains("x-amz-security-token")
    );
    let sent = as_sent(&req, Client::Hyper);
    verify_request(&sent, Payload::Body(b""), &new, now(), &policy_for(after)).unwrap();

    // 254 to 256 caller headers: refused by the signer (the request as
    // sent would have more than 256), never signed and then refused.
    for n in 254..=256 {
        let headers: Vec<(String, String)> =
            (0..n).map(|i| (format!("x-h{i}"), "v".into())).collect();
        assert_eq!(
            signs_and_verifies(&headers, "a=1", &creds, false, false),
            Ok(false),
            "{n}"
        );
    }
}

/// A presigned request may carry `x-amz-content-sha256` only with the
/// payload being presigned: the URL cannot change the header, and a server
/// reads the payload line from it.
#[test]
fn presigning_keeps_the_declared_payload() {
    let creds =
        Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY").unwrap();
    for service in ["s3", "sqs"] {
        let signer = Signer::new(creds.clone(), "us-east-1", service).unwrap();
        let settings = *signer.settings();
        let request = |declared: &str| {
            http::Request::put(format!("https://{service}.us-east-1.amazonaws.com/k"))
                .header("x-amz-content-sha256", declared)
                .body(Vec::new())
                .unwrap()
        };
        let mut differs = request("UNSIGNED-PAYLOAD");
        let err = signer
            .presign(
                &mut differs,
                Duration::from_secs(60),
                &PayloadHash::empty(),
                now(),
            )
            .unwrap_err();
        assert!(err.to_string().contains("x-amz-content-sha256"), "{err}");
        let mut same = request("UNSIGNED-PAYLOAD");
        signer
            .presign(
                &mut same,
                Duration::from_secs(60),
                &PayloadHash::Unsigned,
                now(),
            )
            .unwrap();
        let sent = as_sent(&same, Client::Hyper);
        verify_request(
            &sent,
            Payload::Declared,
            &creds,
            now(),
            &policy_for(settings),
        )
        .unwrap();
    }
}

/// A request that names two hosts is refused by the signer and by the
/// verifier: an absolute-form target whose authority differs from the
/// `Host` header (a server serves the target's), or two `Host` headers.
#[test]
fn two_hosts_are_refused() {
    let creds =
        Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY").unwrap();
    let signer = Signer::new(creds.clone(), "us-east-1", "s3").unwrap();
    let mut good = http::Request::get("http://good.example:18080/bucket/key")
        .body(Vec::new())
        .unwrap();
    signer
        .sign(&mut good, &PayloadHash::empty(), now())
        .unwrap();
    let policy = policy_for(Settings::s3());
    // Sent origin-form with its Host, it verifies.
    let sent = as_sent(&good, Client::Hyper);
    verify_request(&sent, Payload::Body(b""), &creds, now(), &policy).unwrap();
    // The same headers with an absolute-form target naming another host.
    let mut evil = sent.clone();
    *evil.uri_mut() = "http://evil.example/bucket/key".parse().unwrap();
    let err = verify_request(&evil, Payload::Body(b""), &creds, now(), &policy).unwrap_err();
    assert_eq!(
        (err.code(), err.status().as_u16()),
        ("InvalidRequest", 400),
        "{err}"
    );
    // The same host, written with its default port: one host.
    let mut same = sent.clone();
    *same.uri_mut() = "http://good.example:18080/bucket/key".parse().unwrap();
    verify_request(&same, Payload::Body(b""), &creds, now(), &policy).unwrap();
    // Two Host headers.
    let mut twice = sent.clone();
    twice
        .headers_mut()
        .append("host", "evil.example".parse().unwrap());
    let err = verify_request(&twice, Payload::Body(b""), &creds, now(), &policy).unwrap_err();
    assert_eq!(err.code(), "InvalidRequest", "{err}");
    // The signer refuses both shapes.
    let mut absolute = http::Request::get("http://good.example/bucket/key")
        .header("host", "evil.example")
        .body(Vec::<u8>::new())
        .unwrap();
    assert!(
        signer
            .sign(&mut absolute, &PayloadHash::empty(), now())
            .is_err()
    );
    let mut absolute = http::Request::get("http://good.example/bucket/key")
        .header("host", "evil.example")
        .body(Vec::<u8>::new())
        .unwrap();
    assert!(
        signer
            .presign(
                &mut absolute,
                Duration::from_secs(60),
                &PayloadHash::Unsigned,
                now()
            )
            .is_err()
    );
}

// ---------------------------------------------------------------------------
// The payload hash: signed as the server will compute it

/// For every service preset, header signing and presigning, each payload
/// hash a caller may give (`UNSIGNED-PAYLOAD`, the body's SHA-256, another
/// body's) and each `x-amz-content-sha256` the request may carry (none,
/// `UNSIGNED-PAYLOAD`, the body's hash): signing either refuses with
/// `Error::PayloadNotDeclared` (or, for a declared header the payload
/// contradicts, `InvalidHeaderValue`), or makes a request the verifier
/// accepts as a server holding the body reads it (`ServiceRules::ByService`,
/// `Payload::Body`), or refuses for the body's hash alone
/// (`XAmzContentSHA256Mismatch`, `SignatureDoesNotMatch` for another body).
#[test]
fn every_payload_hash_signed_is_the_one_the_server_computes() {
    let services = [
        "s3",
        "s3-object-lambda",
        "aoss",
        "sqs",
        "execute-api",
        "lambda",
        "service",
    ];
    let body = b"the body".to_vec();
    let hash = PayloadHash::of(&body);
    let other = PayloadHash::of(b"another body");
    let mut signed = 0;
    let mut refused = 0;
    for service in services {
        for presign in [false, true] {
            for payload in [PayloadHash::Unsigned, hash, other] {
                for declared in [None, Some(PayloadHash::Unsigned), Some(hash)] {
                    let mut b = http::Request::builder()
                        .method("PUT")
                        .uri("https://example.amazonaws.com/p");
                    if let Some(d) = declared {
                        b = b.header("x-amz-content-sha256", d.as_str());
                    }
                    let mut req = b.body(body.clone()).unwrap();
                    let signer = Signer::new(credentials(8, None), "us-east-1", service).unwrap();
                    let result = if presign {
                        signer.presign(&mut req, Duration::from_secs(60), &payload, now())
                    } else {
                        signer.sign(&mut req, &payload, now())
                    };
                    let case =
                        format!("{service} presign={presign} {payload:?} declared={declared:?}");
                    match result {
                        Err(awsig::Error::PayloadNotDeclared { .. }) => {
                            // Refused only where the server would compute
                            // another hash than the one given.
                            assert!(declared.is_none(), "{case}");
                            refused += 1;
                            continue;
                        }
                        Err(awsig::Error::InvalidHeaderValue { ref name, .. })
                            if name == "x-amz-content-sha256" =>
                        {
                            assert_ne!(declared, Some(payload), "{case}");
                            refused += 1;
                            continue;
                        }
                        Err(e) => panic!("{case}: {e}"),
                        Ok(_) => {}
                    }
                    let sent = as_sent(&req, Client::Hyper);
                    let policy = Policy::new().with_regions(["us-east-1"]);
                    let verdict = verify_request(
                        &sent,
                        Payload::Body(&body),
                        &credentials(8, None),
                        now(),
                        &policy,
                    );
                    if payload == other {
                        // Signed for another body: refused, never accepted.
                        assert!(verdict.is_err(), "{case}: accepted another body's hash");
                    } else {
                        assert!(
                            verdict.is_ok(),
                            "{case}: signed but refused: {}",
                            verdict.unwrap_err()
                        );
                    }
                    signed += 1;
                }
            }
        }
    }
    println!("{signed} signed, {refused} refused");
    assert_eq!(signed + refused, services.len() * 2 * 3 * 3);
    assert!(signed > 0 && refused > 0);
}
