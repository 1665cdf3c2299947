//! Properties of signing over arbitrary requests: it returns `Ok` or `Err`
//! and never panics, the order of distinct header fields and the case of
//! their names do not change the signature, and canonicalization is
//! deterministic and the same whichever way the request is given.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use awsig::{
    CanonicalRequest, ContentSha256Header, CredentialExpiryCheck, Credentials, HeaderPolicy,
    PathNormalization, PayloadHash, SessionTokenMode, Settings, SignableRequest, Signer,
    UriEncoding,
};
use proptest::prelude::*;

/// A little past 9999-12-31T23:59:59Z, so out-of-range times come up too.
const TIME_RANGE: u64 = 253_402_400_000;

fn settings(bits: u8) -> Settings {
    let b = |i: u8| bits & (1 << i) != 0;
    Settings::default()
        .with_path_normalization(if b(0) {
            PathNormalization::Disabled
        } else {
            PathNormalization::Enabled
        })
        .with_uri_encoding(if b(1) {
            UriEncoding::Single
        } else {
            UriEncoding::Double
        })
        .with_session_token(if b(2) {
            SessionTokenMode::AddedAfterSigning
        } else {
            SessionTokenMode::Signed
        })
        .with_content_sha256(if b(3) {
            ContentSha256Header::Include
        } else {
            ContentSha256Header::Omit
        })
        .with_header_policy(if b(4) {
            HeaderPolicy::AllowList
        } else {
            HeaderPolicy::AllExceptNeverSigned
        })
        .with_credential_expiry(if b(5) {
            CredentialExpiryCheck::Refuse
        } else {
            CredentialExpiryCheck::Ignore
        })
}

fn signer(bits: u8) -> Signer {
    let creds = Credentials::with_session_token(
        "AKIDEXAMPLE",
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        "FwoGZXIvYXdzEXAMPLE/token+=",
        Some(UNIX_EPOCH + Duration::from_secs(1_700_000_000)),
    )
    .unwrap();
    Signer::new(creds, "us-east-1", "service")
        .unwrap()
        .with_settings(settings(bits))
}

fn method() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec!["GET", "PUT", "POST", "DELETE", "HEAD", "PATCH"])
            .prop_map(str::to_owned),
        "[A-Za-z0-9!#$%&'*+.^_`|~-]{1,8}",
        any::<String>(),
    ]
}

fn uri() -> impl Strategy<Value = String> {
    let host = prop_oneof![
        Just("https://example.amazonaws.com".to_owned()),
        Just("http://127.0.0.1:9000".to_owned()),
        Just("https://[::1]:443".to_owned()),
        Just(String::new()),
        "[a-z]{1,5}://[ -~]{0,20}",
    ];
    let path = prop_oneof![
        "(/[A-Za-z0-9._~%-]{0,6}){0,5}/?",
        "(/(\\.|\\.\\.|[a-z]{1,3}|%[0-9A-Fa-f]{2})){0,6}",
        "/[ -~]{0,24}",
        "/\\PC{0,12}",
        any::<String>(),
    ];
    let query = prop_oneof![
        Just(String::new()),
        "\\?([A-Za-z0-9%+=_.~-]{0,6}(&|=)?){0,5}",
        "\\?[ -~]{0,30}",
        "\\?\\PC{0,12}",
    ];
    (host, path, query).prop_map(|(h, p, q)| format!("{h}{p}{q}"))
}

fn headers() -> impl Strategy<Value = Vec<(String, Vec<u8>)>> {
    let name = prop_oneof![
        "[A-Za-z][A-Za-z0-9-]{0,10}",
        Just("Host".to_owned()),
        Just("X-Amz-Date".to_owned()),
        Just("User-Agent".to_owned()),
        any::<String>(),
    ];
    let value = prop_oneof![
        "[ -~\t]{0,20}".prop_map(String::into_bytes),
        prop::collection::vec(any::<u8>(), 0..20),
    ];
    prop::collection::vec((name, value), 0..8)
}

fn time() -> impl Strategy<Value = SystemTime> {
    prop_oneof![
        (0..TIME_RANGE).prop_map(|s| UNIX_EPOCH + Duration::from_secs(s)),
        (1..1_000_000u64).prop_map(|s| UNIX_EPOCH - Duration::from_secs(s)),
    ]
}

fn payload() -> impl Strategy<Value = PayloadHash> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..16).prop_map(|b| PayloadHash::of(&b)),
        Just(PayloadHash::Unsigned),
        Just(PayloadHash::StreamingSigned),
        Just(PayloadHash::StreamingUnsignedTrailer),
    ]
}

fn pairs(headers: &[(String, Vec<u8>)]) -> Vec<(&str, &[u8])> {
    headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_slice()))
        .collect()
}

fn http_request(
    method: &str,
    uri: &str,
    headers: &[(String, Vec<u8>)],
) -> Option<http::Request<()>> {
    let mut b = http::Request::builder().method(method).uri(uri);
    for (n, v) in headers {
        b = b.header(n.as_str(), v.as_slice());
    }
    b.body(()).ok()
}

proptest! {
    /// Every entry point returns `Ok` or `Err` for any input; a panic fails the test.
    #[test]
    fn signing_never_panics(
        method in method(),
        uri in uri(),
        headers in headers(),
        bits in any::<u8>(),
        now in time(),
        expires in 0..700_000u64,
        payload in payload(),
        key in prop_oneof![Just("AKIDEXAMPLE".to_owned()), any::<String>()],
        token in prop::option::of(any::<String>()),
    ) {
        let signer = signer(bits);
        let expires = Duration::from_secs(expires);
        let list = pairs(&headers);
        if let Ok(req) = SignableRequest::new(&method, &uri, &list) {
            let _ = signer.signing_output(&req, &payload, now);
            let _ = signer.canonical_request(&req, &payload, now);
            let _ = signer.presign_output(&req, expires, &payload, now);
            let _ = signer.presign_canonical_request(&req, expires, &payload, now);
            let _ = CanonicalRequest::new(&req, &payload, signer.settings());
            if let Ok(creds) = Credentials::build(&key, "secret", token.as_deref(), None) {
                if let Ok(out) = signer.signing_output_with(&creds, &req, &payload, now) {
                    out.apply_to(&mut http::HeaderMap::new()).unwrap();
                }
                let _ = signer.presign_output_with(&creds, &req, expires, &payload, now);
            }
        }
        if let Some(mut req) = http_request(&method, &uri, &headers) {
            let mut presigned = req.clone();
            let _ = signer.sign(&mut req, &payload, now);
            let _ = signer.presign(&mut presigned, expires, &payload, now);
        }
    }

    /// Shuffling distinct header fields, or changing the case of their
    /// names, leaves the signature as it was; so does giving the same
    /// request as an `http::Request`.
    #[test]
    fn header_order_and_case_do_not_matter(
        (fields, shuffled) in prop::collection::btree_map(
            "x-[a-z0-9-]{1,10}",
            "[!-~]([ -~]{0,12}[!-~])?",
            1..10,
        )
        .prop_map(|m| {
            let mut v: Vec<(String, String)> = m.into_iter().collect();
            v.push(("host".to_owned(), "example.amazonaws.com".to_owned()));
            v
        })
        .prop_flat_map(|v| (Just(v.clone()), Just(v).prop_shuffle())),
        upper in any::<u64>(),
        bits in any::<u8>(),
        now in (0..TIME_RANGE).prop_map(|s| UNIX_EPOCH + Duration::from_secs(s)),
    ) {
        let signer = signer(bits);
        let payload = PayloadHash::empty();
        let sign = |fields: &[(String, String)]| {
            let list: Vec<(&str, &[u8])> =
                fields.iter().map(|(n, v)| (n.as_str(), v.as_bytes())).collect();
            let req = SignableRequest::new("GET", "/a/b?x=1", &list).unwrap();
            signer.signing_output(&req, &payload, now).unwrap().signature().to_string()
        };
        let first = sign(&fields);
        prop_assert_eq!(&first, &sign(&shuffled));
        let mixed_case: Vec<(String, String)> = shuffled
            .iter()
            .enumerate()
            .map(|(i, (n, v))| {
                let n = if (upper >> (i % 64)) & 1 == 1 { n.to_ascii_uppercase() } else { n.clone() };
                (n, v.clone())
            })
            .collect();
        prop_assert_eq!(&first, &sign(&mixed_case));
        let mut req = http::Request::get("/a/b?x=1").body(()).unwrap();
        for (n, v) in &shuffled {
            req.headers_mut().append(
                http::HeaderName::from_bytes(n.as_bytes()).unwrap(),
                http::HeaderValue::from_str(v).unwrap(),
            );
        }
        prop_assert_eq!(first, signer.sign(&mut req, &payload, now).unwrap().to_string());
    }

    /// The same input gives the same canonical request every time, and the
    /// same from text as from an `http::Request`.
    #[test]
    fn canonicalization_is_deterministic(
        method in method(),
        uri in uri(),
        headers in headers(),
        bits in any::<u8>(),
        payload in payload(),
    ) {
        let settings = settings(bits);
        let list = pairs(&headers);
        let from_text = SignableRequest::new(&method, &uri, &list)
            .and_then(|r| CanonicalRequest::new(&r, &payload, &settings));
        let again = SignableRequest::new(&method, &uri, &list)
            .and_then(|r| CanonicalRequest::new(&r, &payload, &settings));
        prop_assert_eq!(&from_text, &again);
        if let (Ok(text), Some(req)) = (&from_text, http_request(&method, &uri, &headers))
            && let Ok(from_http) = SignableRequest::from_request(&req)
                .and_then(|r| CanonicalRequest::new(&r, &payload, &settings))
            {
                prop_assert_eq!(text, &from_http);
            }
    }
}
