//! Behaviour of the public API: settings, outputs, errors and the key cache.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use awsig::{
    AmzDate, ContentSha256Header, CredentialExpiryCheck, Credentials, Error, HeaderPolicy,
    PayloadHash, SessionTokenMode, Settings, SignableRequest, Signer, SigningKey,
};

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

fn t(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

fn signer(service: &str) -> Signer {
    let creds =
        Credentials::with_session_token("AKIDEXAMPLE", SECRET, "TOKEN/with+chars=", None).unwrap();
    Signer::new(creds, "us-east-1", service).unwrap()
}

#[test]
fn sign_adds_the_headers_and_marks_secrets_sensitive() {
    let s = signer("s3");
    let mut req = http::Request::put("https://b.s3.amazonaws.com/k")
        .body(b"data".to_vec())
        .unwrap();
    let sig = s
        .sign(&mut req, &PayloadHash::of(b"data"), t(1_700_000_000))
        .unwrap();
    let h = req.headers();
    assert_eq!(h["x-amz-date"], "20231114T221320Z");
    assert_eq!(h["x-amz-security-token"], "TOKEN/with+chars=");
    assert!(h["x-amz-security-token"].is_sensitive());
    assert!(h["authorization"].is_sensitive());
    assert_eq!(h["x-amz-content-sha256"], PayloadHash::of(b"data").as_str());
    let auth = h["authorization"].to_str().unwrap();
    assert!(auth.ends_with(&format!("Signature={sig}")), "{auth}");
    assert!(
        auth.contains("SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,"),
        "{auth}"
    );
}

#[test]
fn sign_parts_and_sign_request_agree() {
    let s = signer("sqs");
    let mut a = http::Request::get("https://sqs.us-east-1.amazonaws.com/?Action=ListQueues")
        .body(())
        .unwrap();
    let (mut parts, ()) =
        http::Request::get("https://sqs.us-east-1.amazonaws.com/?Action=ListQueues")
            .body(())
            .unwrap()
            .into_parts();
    let p = PayloadHash::empty();
    assert_eq!(
        s.sign(&mut a, &p, t(1)).unwrap(),
        s.sign_parts(&mut parts, &p, t(1)).unwrap()
    );
    assert_eq!(a.headers(), &parts.headers);
}

#[test]
fn session_token_added_after_signing_is_not_signed() {
    let s = signer("iot")
        .with_settings(Settings::default().with_session_token(SessionTokenMode::AddedAfterSigning));
    let req = SignableRequest::new("GET", "https://example.amazonaws.com/", &[]).unwrap();
    let out = s.signing_output(&req, &PayloadHash::empty(), t(1)).unwrap();
    assert!(
        out.authorization()
            .contains("SignedHeaders=host;x-amz-date,")
    );
    assert!(
        out.headers()
            .any(|(n, v)| n == "x-amz-security-token" && v == "TOKEN/with+chars=")
    );
    let creq = s
        .presign_canonical_request(&req, Duration::from_secs(60), &PayloadHash::empty(), t(1))
        .unwrap();
    assert!(!creq.query().contains("Security-Token"));
    let out = s
        .presign_output(&req, Duration::from_secs(60), &PayloadHash::empty(), t(1))
        .unwrap();
    assert!(out.params().any(|(n, _)| n == "X-Amz-Security-Token"));
}

#[test]
fn allowlist_policy_signs_only_host_content_and_amz_headers() {
    let s = signer("execute-api")
        .with_settings(Settings::default().with_header_policy(HeaderPolicy::AllowList));
    let headers: &[(&str, &[u8])] = &[
        ("Content-Type", b"application/json"),
        ("Content-MD5", b"1B2M2Y8AsgTpgAmY7PhCfg=="),
        ("X-Amz-Meta-A", b"1"),
        ("X-Forwarded-For", b"10.0.0.1"),
        ("Accept", b"*/*"),
        ("User-Agent", b"agent/1.0"),
    ];
    let req = SignableRequest::new("POST", "https://api.example.com/x", headers).unwrap();
    let creq = s
        .canonical_request(&req, &PayloadHash::empty(), t(1))
        .unwrap();
    assert_eq!(
        creq.signed_headers(),
        "content-md5;content-type;host;x-amz-date;x-amz-meta-a;x-amz-security-token"
    );
}

#[test]
fn never_signed_headers_are_left_out() {
    let s = signer("sqs");
    let headers: &[(&str, &[u8])] = &[
        ("User-Agent", b"a"),
        ("X-Amzn-Trace-Id", b"Root=1"),
        ("Expect", b"100-continue"),
        ("Transfer-Encoding", b"chunked"),
        ("Connection", b"keep-alive"),
        ("Authorization", b"old"),
        ("X-Custom", b"kept"),
    ];
    let req =
        SignableRequest::new("POST", "https://sqs.us-east-1.amazonaws.com/", headers).unwrap();
    let creq = s
        .canonical_request(&req, &PayloadHash::empty(), t(1))
        .unwrap();
    assert_eq!(
        creq.signed_headers(),
        "host;x-amz-date;x-amz-security-token;x-custom"
    );
}

#[test]
fn presign_expiry_bounds_and_credential_expiry() {
    let s = signer("s3");
    let req = SignableRequest::new("GET", "https://b.s3.amazonaws.com/k", &[]).unwrap();
    let p = PayloadHash::Unsigned;
    for (secs, ok) in [(0, false), (1, true), (604_800, true), (604_801, false)] {
        let r = s.presign_output(&req, Duration::from_secs(secs), &p, t(1));
        assert_eq!(r.is_ok(), ok, "{secs}");
        if !ok {
            assert_eq!(r.unwrap_err(), Error::ExpiresOutOfRange { seconds: secs });
        }
    }
    let creds = Credentials::with_session_token("AKID", SECRET, "tok", Some(t(1_000))).unwrap();
    let refusing = Signer::new(creds.clone(), "us-east-1", "s3")
        .unwrap()
        .with_settings(Settings::s3().with_credential_expiry(CredentialExpiryCheck::Refuse));
    assert!(
        refusing
            .presign_output(&req, Duration::from_secs(999), &p, t(1))
            .is_ok()
    );
    assert_eq!(
        refusing
            .presign_output(&req, Duration::from_secs(1_000), &p, t(1))
            .unwrap_err(),
        Error::PresignOutlivesCredentials {
            url_expires: 1_001,
            credentials_expire: 1_000
        }
    );
    // The default follows the AWS SDKs and presigns anyway.
    let lenient = Signer::new(creds, "us-east-1", "s3").unwrap();
    assert!(
        lenient
            .presign_output(&req, Duration::from_secs(3_600), &p, t(1))
            .is_ok()
    );
}

#[test]
fn presign_refuses_a_url_that_is_already_signed() {
    let s = signer("s3");
    let req = SignableRequest::new(
        "GET",
        "https://b.s3.amazonaws.com/k?X-Amz-Signature=abc",
        &[],
    )
    .unwrap();
    let err = s
        .presign_output(&req, Duration::from_secs(60), &PayloadHash::Unsigned, t(1))
        .unwrap_err();
    assert!(matches!(err, Error::InvalidQuery { .. }), "{err}");
}

#[test]
fn presign_on_http_request_appends_to_the_query() {
    let s = signer("s3");
    let mut req = http::Request::get("https://b.s3.amazonaws.com/a%20b?versionId=3")
        .body(())
        .unwrap();
    let sig = s
        .presign(
            &mut req,
            Duration::from_secs(60),
            &PayloadHash::Unsigned,
            t(1),
        )
        .unwrap();
    let q = req.uri().query().unwrap();
    assert!(
        q.starts_with("versionId=3&X-Amz-Algorithm=AWS4-HMAC-SHA256&"),
        "{q}"
    );
    assert!(q.ends_with(&format!("&X-Amz-Signature={sig}")), "{q}");
    assert_eq!(req.uri().path(), "/a%20b");
    assert_eq!(req.uri().host(), Some("b.s3.amazonaws.com"));
}

#[test]
fn header_signing_does_not_depend_on_field_order() {
    let s = signer("sqs");
    let a: &[(&str, &[u8])] = &[("X-A", b"1"), ("x-b", b"2"), ("X-A", b"3")];
    let b: &[(&str, &[u8])] = &[("x-b", b"2"), ("x-a", b"1"), ("X-A", b"3")];
    let sign = |h| {
        let req = SignableRequest::new("GET", "https://h.example/", h).unwrap();
        *s.signing_output(&req, &PayloadHash::empty(), t(1))
            .unwrap()
            .signature()
    };
    assert_eq!(sign(a), sign(b));
    // Repeated values keep their order: swapping them changes the signature.
    let c: &[(&str, &[u8])] = &[("X-A", b"3"), ("x-b", b"2"), ("X-A", b"1")];
    assert_ne!(sign(a), sign(c));
}

#[test]
fn content_sha256_header_follows_the_setting() {
    let base = signer("sqs");
    let req = SignableRequest::new("POST", "https://sqs.us-east-1.amazonaws.com/", &[]).unwrap();
    let out = base
        .signing_output(&req, &PayloadHash::empty(), t(1))
        .unwrap();
    assert!(!out.headers().any(|(n, _)| n == "x-amz-content-sha256"));
    // UNSIGNED-PAYLOAD is only signed where the request says so: SQS hashes
    // the body otherwise.
    assert!(matches!(
        base.signing_output(&req, &PayloadHash::Unsigned, t(1)),
        Err(awsig::Error::PayloadNotDeclared { .. })
    ));
    let declared: &[(&str, &[u8])] = &[("x-amz-content-sha256", b"UNSIGNED-PAYLOAD")];
    let req_declared =
        SignableRequest::new("POST", "https://sqs.us-east-1.amazonaws.com/", declared).unwrap();
    let out = base
        .signing_output(&req_declared, &PayloadHash::Unsigned, t(1))
        .unwrap();
    assert!(out.authorization().contains("x-amz-content-sha256"));
    let with = signer("sqs")
        .with_settings(Settings::default().with_content_sha256(ContentSha256Header::Include));
    let streaming: &[(&str, &[u8])] = &[("x-amz-decoded-content-length", b"0")];
    let req =
        SignableRequest::new("POST", "https://sqs.us-east-1.amazonaws.com/", streaming).unwrap();
    let out = with
        .signing_output(&req, &PayloadHash::StreamingSigned, t(1))
        .unwrap();
    assert!(
        out.headers()
            .any(|(n, v)| n == "x-amz-content-sha256" && v == "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
    );
}

#[test]
fn the_key_cache_is_reused_and_follows_rotation() {
    let mut s = signer("aps");
    let day1 = AmzDate::from_system_time(t(86_400 * 10 + 5)).unwrap();
    let same_day = AmzDate::from_system_time(t(86_400 * 10 + 80_000)).unwrap();
    let k1 = s.signing_key(&day1);
    assert_eq!(s.signing_key(&same_day), k1);
    let want = SigningKey::derive(SECRET, &day1, s.region(), s.service());
    assert_eq!(k1, want);
    // Rotate the secret under the same access key id.
    s.set_credentials(Credentials::new("AKIDEXAMPLE", "another-secret").unwrap());
    let k2 = s.signing_key(&day1);
    assert_ne!(k2, k1);
    assert_eq!(
        k2,
        SigningKey::derive("another-secret", &day1, s.region(), s.service())
    );
    // Other credentials passed per call are noticed too.
    let other = Credentials::new("AKID2", "third").unwrap();
    let req = SignableRequest::new("GET", "https://h.example/", &[]).unwrap();
    let a = s
        .signing_output_with(&other, &req, &PayloadHash::empty(), t(86_400 * 10))
        .unwrap();
    let fresh = Signer::new(other, "us-east-1", "aps").unwrap();
    let b = fresh
        .signing_output(&req, &PayloadHash::empty(), t(86_400 * 10))
        .unwrap();
    assert_eq!(a.signature(), b.signature());
}

#[test]
fn one_signer_many_threads() {
    let s = Arc::new(signer("aps"));
    let req = http::Request::post("https://aps-workspaces.us-west-2.amazonaws.com/x")
        .body(())
        .unwrap();
    let want = {
        let mut r = req.clone();
        s.sign(&mut r, &PayloadHash::empty(), t(1_000)).unwrap()
    };
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let s = Arc::clone(&s);
            let req = req.clone();
            std::thread::spawn(move || {
                for n in 0..200u64 {
                    // Alternate days so threads race on the cache.
                    let when = if (n + i) % 2 == 0 {
                        t(1_000)
                    } else {
                        t(1_000 + 86_400)
                    };
                    let mut r = req.clone();
                    let sig = s.sign(&mut r, &PayloadHash::empty(), when).unwrap();
                    if when == t(1_000) {
                        assert_eq!(sig, want);
                    }
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
}

#[test]
fn stage_types_display_the_spec_text() {
    let s = signer("service");
    let req = SignableRequest::new("GET", "https://example.amazonaws.com/", &[]).unwrap();
    let now = t(1_440_938_160);
    let creq = s
        .canonical_request(&req, &PayloadHash::empty(), now)
        .unwrap();
    assert_eq!(creq.method(), "GET");
    assert_eq!(creq.uri(), "/");
    assert_eq!(creq.query(), "");
    assert_eq!(creq.payload_hash(), awsig::EMPTY_SHA256);
    // The redacted form hides header values (the token) but keeps names.
    let red = creq.redacted();
    assert!(!red.contains("TOKEN"));
    assert!(red.contains("x-amz-security-token:<redacted>"));
    assert!(!format!("{creq:?}").contains("TOKEN"));
}

/// The stages write any payload hash they are given, as botocore does;
/// signing and presigning refuse the ones the server would not compute
/// (UNSIGNED-PAYLOAD undeclared where SQS hashes the body), for SigV4 and
/// SigV4a alike.
#[test]
fn stages_write_any_payload_hash_signing_refuses_the_undeclared() {
    let req = SignableRequest::new("POST", "https://sqs.us-east-1.amazonaws.com/", &[]).unwrap();
    let expires = std::time::Duration::from_secs(60);
    let unsigned = PayloadHash::Unsigned;
    let refused =
        |r: Result<(), awsig::Error>| matches!(r, Err(awsig::Error::PayloadNotDeclared { .. }));
    let s = signer("sqs");
    let creq = s.canonical_request(&req, &unsigned, t(1)).unwrap();
    assert!(creq.to_string().ends_with("\nUNSIGNED-PAYLOAD"));
    s.presign_canonical_request(&req, expires, &unsigned, t(1))
        .unwrap();
    assert!(refused(s.signing_output(&req, &unsigned, t(1)).map(drop)));
    assert!(refused(
        s.presign_output(&req, expires, &unsigned, t(1)).map(drop)
    ));
    #[cfg(feature = "sigv4a")]
    {
        let creds =
            Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY").unwrap();
        let v4a = awsig::v4a::Signer::new(creds, "*", "sqs").unwrap();
        let creq = v4a.canonical_request(&req, &unsigned, t(1)).unwrap();
        assert!(creq.to_string().ends_with("\nUNSIGNED-PAYLOAD"));
        v4a.presign_canonical_request(&req, expires, &unsigned, t(1))
            .unwrap();
        assert!(refused(v4a.signing_output(&req, &unsigned, t(1)).map(drop)));
        assert!(refused(
            v4a.presign_output(&req, expires, &unsigned, t(1)).map(drop)
        ));
    }
}
