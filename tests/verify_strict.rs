//! The verifier's defaults are at least as strict as S3: unsigned `x-amz-*`
//! headers are refused (403 `AccessDenied`, "There were headers present in
//! the request which were not signed"), streaming payload markers are
//! refused unless the caller checks the chunks, and a rejection never
//! shows the value of a header a client does not set itself.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::{Duration, UNIX_EPOCH};

use awsig::{
    Acceptance, Credentials, Payload, PayloadHash, Policy, Rejection, Signer, verify_request,
};
use proptest::prelude::*;

fn now() -> std::time::SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_440_938_160)
}

fn creds() -> Credentials {
    Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY").unwrap()
}

fn s3() -> Signer {
    Signer::new(creds(), "us-east-1", "s3").unwrap()
}

fn check(req: &http::Request<Vec<u8>>, policy: &Policy) -> Result<(), Rejection> {
    verify_request(req, Payload::Body(req.body()), &creds(), now(), policy).map(drop)
}

fn presigned_put() -> http::Request<Vec<u8>> {
    let mut req = http::Request::put("https://bucket.s3.amazonaws.com/upload.bin")
        .body(b"data".to_vec())
        .unwrap();
    s3().presign(
        &mut req,
        Duration::from_secs(600),
        &PayloadHash::Unsigned,
        now(),
    )
    .unwrap();
    req
}

#[test]
fn unsigned_amz_headers_are_refused_on_presigned_urls() {
    let req = presigned_put();
    assert_eq!(check(&req, &Policy::new()), Ok(()));
    for (name, value) in [
        ("x-amz-copy-source", "/other-bucket/secret.txt"),
        ("x-amz-acl", "public-read"),
        ("x-amz-tagging", "a=b"),
        ("x-amz-website-redirect-location", "https://evil.example/"),
        ("X-Amz-Meta-Owner", "me"),
    ] {
        let mut added = req.clone();
        added.headers_mut().insert(
            http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            value.parse().unwrap(),
        );
        let err = check(&added, &Policy::new()).unwrap_err();
        assert_eq!(
            (err.code(), err.status().as_u16()),
            ("AccessDenied", 403),
            "{name}"
        );
        assert!(
            matches!(&err, Rejection::HeadersNotSigned { names } if names == &[name.to_ascii_lowercase()]),
            "{name}: {err:?}"
        );
        assert!(err.to_string().contains("were not signed"), "{err}");
        // A server that reads the header only after verification may let it
        // through by name.
        let lenient = Policy::new().with_unsigned_headers_allowed([name]);
        assert_eq!(check(&added, &lenient), Ok(()), "{name}");
    }
}

#[test]
fn unsigned_amz_headers_are_refused_on_header_signed_requests() {
    let mut req = http::Request::put("https://bucket.s3.amazonaws.com/k")
        .header("x-amz-meta-a", "1")
        .body(b"data".to_vec())
        .unwrap();
    s3().sign(&mut req, &PayloadHash::of(b"data"), now())
        .unwrap();
    assert_eq!(check(&req, &Policy::new()), Ok(()));
    let mut added = req.clone();
    added
        .headers_mut()
        .insert("x-amz-acl", "public-read".parse().unwrap());
    added
        .headers_mut()
        .insert("x-amz-storage-class", "GLACIER".parse().unwrap());
    let err = check(&added, &Policy::new()).unwrap_err();
    assert!(
        matches!(&err, Rejection::HeadersNotSigned { names } if names == &["x-amz-acl", "x-amz-storage-class"]),
        "{err:?}"
    );
    // Headers that are not x-amz-* may be unsigned, as with S3.
    let mut other = req.clone();
    other
        .headers_mut()
        .insert("x-forwarded-for", "10.0.0.1".parse().unwrap());
    assert_eq!(check(&other, &Policy::new()), Ok(()));
}

#[test]
fn streaming_markers_are_refused_unless_the_caller_checks_chunks() {
    for marker in [
        PayloadHash::StreamingSigned,
        PayloadHash::StreamingSignedTrailer,
        PayloadHash::StreamingUnsignedTrailer,
    ] {
        // The headers an aws-chunked upload declares itself with (the
        // `chunked` feature checks them too).
        let mut req = http::Request::put("https://bucket.s3.amazonaws.com/k")
            .header("x-amz-decoded-content-length", "8")
            .body(b"anything".to_vec())
            .unwrap();
        if marker != PayloadHash::StreamingSigned {
            req.headers_mut()
                .insert("x-amz-trailer", "x-amz-checksum-crc32".parse().unwrap());
        }
        s3().sign(&mut req, &marker, now()).unwrap();
        let err = check(&req, &Policy::new()).unwrap_err();
        assert_eq!((err.code(), err.status().as_u16()), ("AccessDenied", 403));
        let checks_chunks = Policy::new().with_streaming_payload(Acceptance::Accept);
        assert_eq!(check(&req, &checks_chunks), Ok(()));
    }
}

/// A front proxy adds a shared secret; a client lists it in SignedHeaders
/// and signs with the wrong key to read it back from the rejection.
#[test]
fn a_rejection_never_shows_a_header_the_client_did_not_set() {
    let wrong = Signer::new(
        Credentials::new("AKIDEXAMPLE", "not-the-secret").unwrap(),
        "us-east-1",
        "s3",
    )
    .unwrap();
    let mut req = http::Request::get("https://bucket.s3.amazonaws.com/k")
        .header("x-origin-secret", "PROXY-SHARED-SECRET")
        .header("content-type", "text/plain")
        .header("x-amz-meta-a", "visible")
        .body(Vec::new())
        .unwrap();
    wrong.sign(&mut req, &PayloadHash::empty(), now()).unwrap();
    let shown = |policy: &Policy| {
        let err = check(&req, policy).unwrap_err();
        assert_eq!(err.code(), "SignatureDoesNotMatch");
        err.mismatch().unwrap().canonical_request().to_string()
    };
    let default = shown(&Policy::new());
    assert!(!default.contains("PROXY-SHARED-SECRET"), "{default}");
    assert!(
        default.contains("x-origin-secret:<redacted>\n"),
        "{default}"
    );
    assert!(default.contains("content-type:text/plain\n"), "{default}");
    assert!(default.contains("x-amz-meta-a:visible\n"), "{default}");
    let secret = shown(&Policy::new().with_secret_headers(["X-Amz-Meta-A"]));
    assert!(secret.contains("x-amz-meta-a:<redacted>\n"), "{secret}");
    let all = shown(&Policy::new().with_disclosed_headers(["*"]));
    assert!(
        all.contains("x-origin-secret:PROXY-SHARED-SECRET\n"),
        "{all}"
    );
}

proptest! {
    /// Any x-amz-* header added to a signed request, in any letter case, is
    /// refused and named.
    #[test]
    fn any_added_amz_header_is_refused(
        suffix in "[a-z0-9-]{1,20}",
        upper in any::<bool>(),
        presign in any::<bool>(),
    ) {
        let mut req = http::Request::get("https://bucket.s3.amazonaws.com/k")
            .body(Vec::new())
            .unwrap();
        if presign {
            s3().presign(&mut req, Duration::from_secs(60), &PayloadHash::Unsigned, now()).unwrap();
        } else {
            s3().sign(&mut req, &PayloadHash::empty(), now()).unwrap();
        }
        let name = format!("x-amz-{suffix}");
        prop_assume!(!req.headers().contains_key(name.as_str()));
        let spelled = if upper { name.to_ascii_uppercase() } else { name.clone() };
        let mut added = req.clone();
        added.headers_mut().insert(
            http::HeaderName::from_bytes(spelled.as_bytes()).unwrap(),
            "v".parse().unwrap(),
        );
        let err = check(&added, &Policy::new()).unwrap_err();
        prop_assert!(
            matches!(&err, Rejection::HeadersNotSigned { names } if names == std::slice::from_ref(&name)),
            "{:?}", err
        );
    }
}
