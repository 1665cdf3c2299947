//! SigV4a verification (feature `sigv4a`): the AWS signing test suite's own
//! signed v4a requests are accepted, awsig's signed and presigned requests
//! are accepted, and each tampered twin of them is refused with the AWS
//! error code.
#![cfg(feature = "sigv4a")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::fs;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use awsig::v4a::Signer;
use awsig::{
    AmzDate, ContentSha256Header, Credentials, PathNormalization, Payload, PayloadHash, Policy,
    RequestText, ServiceRules, SessionTokenMode, Settings, SignableRequest, verify, verify_request,
};

const SUITE: &str = "testdata/aws-signing-test-suite/v4a";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

/// Every case's signed requests, header and query, as the suite wrote them
/// (signed by AWS's own signer), pass awsig's verifier with the case's
/// credentials and signing rules, at the case's time.
#[test]
fn the_suite_signed_requests_verify() {
    let mut checked = 0;
    let mut cases = 0;
    for entry in fs::read_dir(SUITE).unwrap() {
        let dir = entry.unwrap().path();
        cases += 1;
        let ctx: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(dir.join("context.json")).unwrap()).unwrap();
        let c = &ctx["credentials"];
        let creds = Credentials::build(
            c["access_key_id"].as_str().unwrap(),
            c["secret_access_key"].as_str().unwrap(),
            c["token"].as_str(),
            None,
        )
        .unwrap();
        let settings = Settings::default()
            .with_path_normalization(if ctx["normalize"].as_bool().unwrap() {
                PathNormalization::Enabled
            } else {
                PathNormalization::Disabled
            })
            .with_content_sha256(if ctx["sign_body"].as_bool().unwrap() {
                ContentSha256Header::Include
            } else {
                ContentSha256Header::Omit
            })
            .with_session_token(if ctx["omit_session_token"].as_bool().unwrap_or(false) {
                SessionTokenMode::AddedAfterSigning
            } else {
                SessionTokenMode::Signed
            });
        let time = AmzDate::parse_rfc3339(ctx["timestamp"].as_str().unwrap())
            .unwrap()
            .to_system_time();
        let region = ctx["region"].as_str().unwrap();
        for file in ["header-signed-request.txt", "query-signed-request.txt"] {
            // The verifier takes `Include` to mean that presigned URLs sign
            // UNSIGNED-PAYLOAD (as S3's do); the suite's presigned requests
            // sign the body's hash, which is what `Omit` verifies.
            let settings = if file.starts_with("query") {
                settings.with_content_sha256(ContentSha256Header::Omit)
            } else {
                settings
            };
            let policy = Policy::new()
                .with_rules(ServiceRules::Fixed(settings))
                .with_regions([region]);
            let text = fs::read(dir.join(file)).unwrap();
            let req = RequestText::parse(&text).unwrap();
            let pairs = req.header_pairs();
            let view = SignableRequest::new(req.method(), req.target(), &pairs).unwrap();
            // The body of request.txt: the signed-request files hold none.
            let body = RequestText::parse(&fs::read(dir.join("request.txt")).unwrap())
                .unwrap()
                .body()
                .to_vec();
            let ok = verify(&view, Payload::Body(&body), &creds, time, &policy)
                .unwrap_or_else(|e| panic!("{}: {file}: {e}", dir.display()));
            assert_eq!(ok.algorithm(), "AWS4-ECDSA-P256-SHA256");
            assert_eq!(ok.region_set().unwrap().as_str(), region);
            assert_eq!(ok.region().as_str(), region);
            assert!(ok.signing_key().is_none() && ok.signature().is_none());
            checked += 1;
        }
    }
    assert_eq!(cases, 38);
    assert_eq!(checked, 2 * cases);
}

fn signer(region_set: &str, service: &str) -> Signer {
    Signer::new(
        Credentials::new("AKIDEXAMPLE", SECRET).unwrap(),
        region_set,
        service,
    )
    .unwrap()
}

fn creds() -> Credentials {
    Credentials::new("AKIDEXAMPLE", SECRET).unwrap()
}

fn signed_put(signer: &Signer, body: &[u8]) -> http::Request<Vec<u8>> {
    let mut req = http::Request::put(
        "https://mfzwi23gnjvgw.mrap.accesspoint.s3-global.amazonaws.com/reports/2024.csv?tagging",
    )
    .header("content-type", "text/csv")
    .header("x-amz-meta-owner", "ops")
    .body(body.to_vec())
    .unwrap();
    signer
        .sign(&mut req, &PayloadHash::of(body), now())
        .unwrap();
    req
}

fn code(
    req: &http::Request<Vec<u8>>,
    body: &[u8],
    creds: &Credentials,
    policy: &Policy,
) -> Option<&'static str> {
    verify_request(req, Payload::Body(body), creds, now(), policy)
        .err()
        .map(|e| e.code())
}

#[test]
fn header_signed_requests_and_their_tampered_twins() {
    let signer = signer("us-east-1,us-west-2", "s3");
    let body = b"id,total\n1,2\n";
    let req = signed_put(&signer, body);
    let served = Policy::new().with_regions(["us-west-2"]);
    let ok = verify_request(&req, Payload::Body(body), &creds(), now(), &served).unwrap();
    assert_eq!(ok.region().as_str(), "us-west-2");
    assert_eq!(ok.service().as_str(), "s3");
    assert_eq!(
        ok.signed_headers().join(";"),
        "content-type;host;x-amz-content-sha256;x-amz-date;x-amz-meta-owner;x-amz-region-set"
    );
    assert_eq!(ok.sigv4a_signature().unwrap().as_str().len() % 2, 0);
    assert_eq!(code(&req, body, &creds(), &Policy::new()), None);

    // The path.
    let mut t = req.clone();
    *t.uri_mut() =
        "https://mfzwi23gnjvgw.mrap.accesspoint.s3-global.amazonaws.com/reports/2025.csv?tagging"
            .parse()
            .unwrap();
    assert_eq!(
        code(&t, body, &creds(), &served),
        Some("SignatureDoesNotMatch")
    );
    // A signed header.
    let mut t = req.clone();
    t.headers_mut()
        .insert("x-amz-meta-owner", "intruder".parse().unwrap());
    assert_eq!(
        code(&t, body, &creds(), &served),
        Some("SignatureDoesNotMatch")
    );
    // The region set, widened.
    let mut t = req.clone();
    t.headers_mut()
        .insert("x-amz-region-set", "*".parse().unwrap());
    assert_eq!(
        code(&t, body, &creds(), &served),
        Some("SignatureDoesNotMatch")
    );
    // The body (its hash is declared and checked).
    assert_eq!(
        code(&req, b"id,total\n1,3\n", &creds(), &served),
        Some("XAmzContentSHA256Mismatch")
    );
    // The body with the declared hash changed to match it.
    let mut t = req.clone();
    t.headers_mut().insert(
        "x-amz-content-sha256",
        PayloadHash::of(b"other").as_str().parse().unwrap(),
    );
    assert_eq!(
        code(&t, b"other", &creds(), &served),
        Some("SignatureDoesNotMatch")
    );
    // Another secret under the same access key id.
    let wrong = Credentials::new("AKIDEXAMPLE", "another-secret").unwrap();
    assert_eq!(
        code(&req, body, &wrong, &served),
        Some("SignatureDoesNotMatch")
    );
    // A region this server does not serve.
    let elsewhere = Policy::new().with_regions(["eu-west-1"]);
    assert_eq!(
        code(&req, body, &creds(), &elsewhere),
        Some("AuthorizationHeaderMalformed")
    );
    // The region set dropped, or repeated.
    let mut t = req.clone();
    t.headers_mut().remove("x-amz-region-set");
    assert_eq!(
        code(&t, body, &creds(), &served),
        Some("IncompleteSignature")
    );
    let mut t = req.clone();
    t.headers_mut()
        .append("x-amz-region-set", "us-west-2".parse().unwrap());
    assert_eq!(
        code(&t, body, &creds(), &served),
        Some("AuthorizationHeaderMalformed")
    );
    // The region set left out of the signed headers.
    let mut t = req.clone();
    let auth = t.headers()["authorization"]
        .to_str()
        .unwrap()
        .replace(";x-amz-region-set", "");
    t.headers_mut()
        .insert("authorization", auth.parse().unwrap());
    assert_eq!(code(&t, body, &creds(), &served), Some("AccessDenied"));
    // A corrupted signature: still hex, no longer valid.
    let mut t = req.clone();
    let auth = t.headers()["authorization"].to_str().unwrap().to_owned();
    let flipped = format!(
        "{}{}",
        &auth[..auth.len() - 1],
        if auth.ends_with('0') { "1" } else { "0" }
    );
    t.headers_mut()
        .insert("authorization", flipped.parse().unwrap());
    assert_eq!(
        code(&t, body, &creds(), &served),
        Some("SignatureDoesNotMatch")
    );
    // Too late.
    let later = now() + Duration::from_secs(3600);
    let err = verify_request(&req, Payload::Body(body), &creds(), later, &served).unwrap_err();
    assert_eq!(err.code(), "RequestTimeTooSkewed");
}

#[test]
fn star_region_sets_are_valid_everywhere() {
    let signer = signer("*", "s3");
    let req = signed_put(&signer, b"x");
    for region in ["us-east-1", "ap-southeast-2"] {
        let policy = Policy::new().with_regions([region]);
        let ok = verify_request(&req, Payload::Body(b"x"), &creds(), now(), &policy).unwrap();
        assert_eq!(ok.region().as_str(), region);
        assert_eq!(ok.region_set().unwrap().as_str(), "*");
    }
}

#[test]
fn presigned_urls_and_their_tampered_twins() {
    let signer = signer("us-east-1,us-west-2", "s3");
    let mut req = http::Request::get(
        "https://mfzwi23gnjvgw.mrap.accesspoint.s3-global.amazonaws.com/reports/2024.csv",
    )
    .body(Vec::new())
    .unwrap();
    signer
        .presign(
            &mut req,
            Duration::from_secs(600),
            &PayloadHash::Unsigned,
            now(),
        )
        .unwrap();
    let served = Policy::new().with_regions(["us-east-1"]);
    let ok = verify_request(&req, Payload::Body(b""), &creds(), now(), &served).unwrap();
    assert_eq!(ok.expires_at(), Some(now() + Duration::from_secs(600)));
    assert_eq!(ok.region_set().unwrap().as_str(), "us-east-1,us-west-2");

    let with_uri = |uri: String| {
        let mut t = req.clone();
        *t.uri_mut() = uri.parse().unwrap();
        t
    };
    let uri = req.uri().to_string();
    // The region set in the query, widened.
    let t = with_uri(uri.replace(
        "X-Amz-Region-Set=us-east-1%2Cus-west-2",
        "X-Amz-Region-Set=%2A",
    ));
    assert_eq!(
        code(&t, b"", &creds(), &served),
        Some("SignatureDoesNotMatch")
    );
    // The region set removed.
    let t = with_uri(uri.replace("&X-Amz-Region-Set=us-east-1%2Cus-west-2", ""));
    assert_eq!(
        code(&t, b"", &creds(), &served),
        Some("AuthorizationQueryParametersError")
    );
    // The path.
    let t = with_uri(uri.replace("2024.csv", "2025.csv"));
    assert_eq!(
        code(&t, b"", &creds(), &served),
        Some("SignatureDoesNotMatch")
    );
    // The expiry.
    let t = with_uri(uri.replace("X-Amz-Expires=600", "X-Amz-Expires=6000"));
    assert_eq!(
        code(&t, b"", &creds(), &served),
        Some("SignatureDoesNotMatch")
    );
    // Another secret.
    let wrong = Credentials::new("AKIDEXAMPLE", "another-secret").unwrap();
    assert_eq!(
        code(&req, b"", &wrong, &served),
        Some("SignatureDoesNotMatch")
    );
    // A region not in the set.
    let elsewhere = Policy::new().with_regions(["eu-west-1"]);
    assert_eq!(
        code(&req, b"", &creds(), &elsewhere),
        Some("AuthorizationQueryParametersError")
    );
    // Used after it expired.
    let later = now() + Duration::from_secs(601);
    let err = verify_request(&req, Payload::Body(b""), &creds(), later, &served).unwrap_err();
    assert_eq!(err.code(), "RequestExpired");
}

/// A SigV4 verifier's answers are unchanged: a SigV4 request still verifies
/// and its signing key is there for chunk signatures.
#[test]
fn sigv4_requests_still_verify() {
    let mut req = http::Request::get("https://examplebucket.s3.amazonaws.com/k")
        .body(Vec::<u8>::new())
        .unwrap();
    awsig::Signer::new(creds(), "us-east-1", "s3")
        .unwrap()
        .sign(&mut req, &PayloadHash::empty(), now())
        .unwrap();
    let ok = verify_request(&req, Payload::Body(b""), &creds(), now(), &Policy::new()).unwrap();
    assert_eq!(ok.algorithm(), "AWS4-HMAC-SHA256");
    assert!(ok.signing_key().is_some() && ok.signature().is_some());
    assert!(ok.region_set().is_none());
}

/// As with SigV4, the URI is rewritten into the form every client sends
/// before it is signed: the host in lower case, a raw '+' in an S3 path
/// written `%2B`; the request as rewritten verifies.
#[test]
fn what_is_signed_is_what_is_sent() {
    let signer = signer("*", "s3");
    let url = "https://MFZWI23GNJVGW.mrap.accesspoint.s3-global.amazonaws.com/a+b.txt";
    let mut req = http::Request::get(url).body(Vec::<u8>::new()).unwrap();
    signer.sign(&mut req, &PayloadHash::empty(), now()).unwrap();
    assert_eq!(
        req.uri().to_string(),
        "https://mfzwi23gnjvgw.mrap.accesspoint.s3-global.amazonaws.com/a%2Bb.txt"
    );
    verify_request(&req, Payload::Body(b""), &creds(), now(), &Policy::new()).unwrap();

    let mut link = http::Request::get(url).body(Vec::<u8>::new()).unwrap();
    signer
        .presign(
            &mut link,
            Duration::from_secs(60),
            &PayloadHash::Unsigned,
            now(),
        )
        .unwrap();
    assert_eq!(link.uri().path(), "/a%2Bb.txt");
    verify_request(&link, Payload::Body(b""), &creds(), now(), &Policy::new()).unwrap();
}

/// No secret in the `Debug` of the SigV4a types: not the secret key, the
/// session token or the private key.
#[test]
fn debug_shows_no_secret() {
    let token = "FwoGZXIvYXdzEXAMPLESESSIONTOKEN";
    let creds = Credentials::with_session_token("AKIDEXAMPLE", SECRET, token, None).unwrap();
    let signer = Signer::new(creds.clone(), "*", "s3").unwrap();
    let key = signer.signing_key().unwrap();
    let private = hex::encode(*key.expose_secret_bytes());
    let headers: &[(&str, &[u8])] = &[("host", b"example.amazonaws.com")];
    let view = SignableRequest::new("GET", "/k", headers).unwrap();
    let out = signer
        .signing_output(&view, &PayloadHash::empty(), now())
        .unwrap();
    let link = signer
        .presign_output(
            &view,
            Duration::from_secs(60),
            &PayloadHash::Unsigned,
            now(),
        )
        .unwrap();
    let shown = format!("{signer:?} {key:?} {out:?} {link:?}");
    for secret in [SECRET, token, private.as_str()] {
        assert!(!shown.contains(secret), "{shown}");
    }
    assert!(shown.contains("AKIDEXAMPLE"));
}
