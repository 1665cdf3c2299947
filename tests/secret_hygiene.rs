//! Secrets never show: no `Debug` string and no error carries a secret
//! access key, a session token or a signing key, and the types that hold
//! them zeroize them on drop.
//!
//! Review list of secret material (checked by reading the types; the
//! `ZeroizeOnDrop` impls below are what the compiler can hold us to):
//!
//! | where | what | how it is cleared |
//! | --- | --- | --- |
//! | `Credentials` | secret access key, session token | `Zeroizing<String>` each |
//! | `Credentials` | the session token's ready-made header value | not cleared: an `http::HeaderValue` cannot be; it is shared with each signed request rather than copied (a token cannot sign without the secret key) |
//! | `Credentials` | 64-bit fingerprint of the key pair | not cleared: a truncated SHA-256, it does not reveal the secret |
//! | `SigningKey` | the derived key | `Zeroizing<[u8; 32]>` |
//! | `SigningKey::derive` | `"AWS4" + secret`, kDate, kRegion, kService | `Zeroizing` temporaries |
//! | `Signer` | cached signing key (atomics) | overwritten with zeros in `Drop` |
//! | `SigningOutput` | session token header value | not cleared: it is meant for the request, where it goes unchanged |
//! | `PresignOutput` | encoded session token | not cleared: it is meant for the URL |
//! | HMAC state inside `hmac`/`sha2` | key-derived pads | not cleared: those crates do not zeroize |
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use awsig::{
    AmzDate, CanonicalRequest, Credentials, Error, PayloadHash, RequestText, Settings,
    SignableRequest, Signer, SigningKey,
};
use zeroize::ZeroizeOnDrop;

const AKID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
/// Has characters that percent-encoding changes, so the encoded form differs.
const TOKEN: &str = "IQoJb3JpZ2luX2VjEJr7wXq9Lm4/Tk+Pz8Yv=Qa1hR0";

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_440_938_160)
}

fn temporary() -> Credentials {
    Credentials::with_session_token(AKID, SECRET, TOKEN, None).unwrap()
}

fn signer() -> Signer {
    Signer::new(temporary(), "us-east-1", "s3").unwrap()
}

fn percent_encoded(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The secrets in their every form: raw, percent-encoded, and the signing
/// key of the signing date as hex.
fn secrets() -> Vec<String> {
    let key = signer().signing_key(&AmzDate::from_system_time(now()).unwrap());
    vec![
        SECRET.to_owned(),
        TOKEN.to_owned(),
        percent_encoded(TOKEN),
        hex::encode(key.expose_secret_bytes()),
    ]
}

/// Fails if `shown` holds any 8-byte piece of any secret.
#[track_caller]
fn assert_hides(what: &str, shown: &str) {
    for secret in secrets() {
        for piece in secret.as_bytes().windows(8) {
            let piece = std::str::from_utf8(piece).unwrap();
            assert!(
                !shown.contains(piece),
                "{what} shows {piece:?} of a secret: {shown}"
            );
        }
    }
}

fn request() -> http::Request<()> {
    http::Request::get("https://examplebucket.s3.amazonaws.com/test.txt?a=b")
        .header("x-amz-meta-note", "hello")
        .body(())
        .unwrap()
}

#[test]
fn the_check_itself_finds_secrets() {
    let caught = std::panic::catch_unwind(|| assert_hides("a leak", &format!("x{TOKEN}x")));
    assert!(caught.is_err());
    let caught = std::panic::catch_unwind(|| assert_hides("a leak", &percent_encoded(TOKEN)));
    assert!(caught.is_err());
}

#[test]
fn credentials_and_signer_debug() {
    let creds = temporary();
    let shown = format!("{creds:?} {creds:#?}");
    assert!(shown.contains(AKID), "the access key id is not a secret");
    assert_hides("Credentials", &shown);
    let signer = signer();
    let mut req = request();
    signer
        .sign(&mut req, &PayloadHash::Unsigned, now())
        .unwrap();
    // The cache now holds the day's key.
    assert_hides("Signer", &format!("{signer:?} {signer:#?}"));
}

#[test]
fn signing_key_debug() {
    let date = AmzDate::from_system_time(now()).unwrap();
    let key = signer().signing_key(&date);
    assert_hides("SigningKey", &format!("{key:?} {key:#?}"));
    let derived =
        SigningKey::from_credentials(&temporary(), &date, signer().region(), signer().service());
    assert_eq!(derived, key);
    assert_hides("SigningKey", &format!("{derived:?}"));
}

#[test]
fn signing_output_debug() {
    let signer = signer();
    let req = request();
    let out = signer
        .signing_output(
            &SignableRequest::from_request(&req).unwrap(),
            &PayloadHash::Unsigned,
            now(),
        )
        .unwrap();
    // The token is there to be sent...
    assert!(out.headers().any(|(_, v)| v == TOKEN));
    // ...but not to be printed.
    assert_hides("SigningOutput", &format!("{out:?} {out:#?}"));
    // Once applied, the header map marks the token sensitive too.
    let mut headers = http::HeaderMap::new();
    out.apply_to(&mut headers).unwrap();
    assert!(headers["x-amz-security-token"].is_sensitive());
    assert!(headers["authorization"].is_sensitive());
    assert_hides("HeaderMap", &format!("{headers:?}"));
}

#[test]
fn presign_output_debug() {
    let signer = signer();
    let req = request();
    let view = SignableRequest::from_request(&req).unwrap();
    let out = signer
        .presign_output(
            &view,
            Duration::from_secs(60),
            &PayloadHash::Unsigned,
            now(),
        )
        .unwrap();
    assert!(
        out.params()
            .any(|(k, v)| k == "X-Amz-Security-Token" && v == percent_encoded(TOKEN))
    );
    assert_hides("PresignOutput", &format!("{out:?} {out:#?}"));
}

#[test]
fn canonical_request_debug() {
    let signer = signer();
    let req = request();
    let view = SignableRequest::from_request(&req).unwrap();
    // Header signing: the token is a signed header.
    let creq = signer
        .canonical_request(&view, &PayloadHash::Unsigned, now())
        .unwrap();
    assert!(creq.to_string().contains(TOKEN));
    assert_hides("CanonicalRequest", &format!("{creq:?} {creq:#?}"));
    assert_hides("CanonicalRequest::redacted", &creq.redacted());
    // Query signing: the token is a signed query parameter.
    let creq = signer
        .presign_canonical_request(
            &view,
            Duration::from_secs(60),
            &PayloadHash::Unsigned,
            now(),
        )
        .unwrap();
    assert!(creq.to_string().contains(&percent_encoded(TOKEN)));
    assert_hides("presign CanonicalRequest", &format!("{creq:?}"));
    // A request that carries the token itself, header and query, any case.
    let query = format!("/?x-amz-security-token={}", percent_encoded(TOKEN));
    let headers: &[(&str, &[u8])] = &[
        ("Host", b"example.amazonaws.com"),
        ("X-Amz-Security-Token", TOKEN.as_bytes()),
    ];
    let view = SignableRequest::new("GET", &query, headers).unwrap();
    assert_hides("SignableRequest", &format!("{view:?}"));
    let creq = CanonicalRequest::new(&view, &PayloadHash::empty(), &Settings::default()).unwrap();
    assert_hides("CanonicalRequest::new", &format!("{creq:?}"));
}

#[test]
fn request_views_debug() {
    let mut req = request();
    let signer = signer();
    signer
        .presign(
            &mut req,
            Duration::from_secs(60),
            &PayloadHash::Unsigned,
            now(),
        )
        .unwrap();
    // The presigned URL carries the token; a view of it must not print it.
    assert!(req.uri().to_string().contains(&percent_encoded(TOKEN)));
    let view = SignableRequest::from_request(&req).unwrap();
    assert_hides("SignableRequest", &format!("{view:?}"));
    let text = format!(
        "GET {} HTTP/1.1\nHost: examplebucket.s3.amazonaws.com\nX-Amz-Security-Token: {TOKEN}\n\n",
        req.uri().path_and_query().unwrap()
    );
    let parsed = RequestText::parse(text.as_bytes()).unwrap();
    assert_hides("RequestText", &format!("{parsed:?}"));
}

/// Every error that bad credentials or a request carrying secrets can cause.
fn errors() -> Vec<Error> {
    let mut errors = vec![
        // A secret or token with one bad character: the rest must not show.
        Credentials::new(AKID, &format!("{SECRET} ")).unwrap_err(),
        Credentials::new(AKID, &format!("{SECRET}\n")).unwrap_err(),
        Credentials::new(AKID, &format!("{SECRET}\u{e9}")).unwrap_err(),
        Credentials::new(AKID, &SECRET.repeat(30)).unwrap_err(),
        Credentials::with_session_token(AKID, SECRET, &format!("{TOKEN} "), None).unwrap_err(),
        Credentials::with_session_token(AKID, SECRET, &format!("{TOKEN}\r\n"), None).unwrap_err(),
        Credentials::with_session_token(AKID, SECRET, &format!("{TOKEN}\u{e9}"), None).unwrap_err(),
        // The secret given where the access key id goes.
        Credentials::new(&format!("{SECRET} "), SECRET).unwrap_err(),
    ];
    // A request that carries secrets in headers, user info and query.
    let bad_value = format!("{TOKEN}\r\n");
    let headers: &[(&str, &[u8])] = &[
        ("Host", b"example.com"),
        ("X-Amz-Security-Token", bad_value.as_bytes()),
    ];
    errors.push(SignableRequest::new("GET", "/", headers).map_or_else(
        |e| e,
        |r| CanonicalRequest::new(&r, &PayloadHash::empty(), &Settings::default()).unwrap_err(),
    ));
    let big = TOKEN.repeat(400);
    let headers: &[(&str, &[u8])] = &[("Host", b"example.com"), ("Cookie", big.as_bytes())];
    let r = SignableRequest::new("GET", "/", headers).unwrap();
    errors
        .push(CanonicalRequest::new(&r, &PayloadHash::empty(), &Settings::default()).unwrap_err());
    // User info holding the secret as a password (encoded, as a URI needs).
    let userinfo = format!("{AKID}:{}", percent_encoded(SECRET));
    errors
        .push(SignableRequest::new("GET", &format!("https://{userinfo}@[::1/"), &[]).unwrap_err());
    errors.push(
        SignableRequest::new("GET", &format!("https://{userinfo}@host:99999/"), &[]).unwrap_err(),
    );
    errors
}

#[test]
fn errors_never_carry_secrets() {
    let errors = errors();
    assert_eq!(errors.len(), 12);
    for e in &errors {
        assert_hides("Error", &format!("{e:?} {e}"));
    }
    assert!(matches!(errors[0], Error::InvalidSecretAccessKey { .. }));
    assert!(matches!(errors[4], Error::InvalidSessionToken { .. }));
    assert!(matches!(errors[7], Error::InvalidAccessKeyId { .. }));
    assert!(matches!(errors[8], Error::InvalidHeaderValue { .. }));
    assert!(matches!(errors[9], Error::HeaderTooLarge { .. }));
    assert!(matches!(errors[10], Error::InvalidHost { .. }));
}

#[test]
fn secret_holders_zeroize_on_drop() {
    fn zeroize_on_drop<T: ZeroizeOnDrop>() {}
    zeroize_on_drop::<Credentials>();
    zeroize_on_drop::<SigningKey>();
    zeroize_on_drop::<Signer>();
}
