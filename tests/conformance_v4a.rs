//! The AWS signing test suite, every v4a case, every stage (feature `sigv4a`).
//!
//! Each case folder under `testdata/aws-signing-test-suite/v4a` holds a
//! request, its signing context and, for header signing and for query
//! signing, the expected canonical request, string to sign, a signature
//! and a signed request (whose signature is another one: ECDSA nonces
//! differ from one signing to the next), and the public key of the case's
//! credentials (`public-key.json`).
//!
//! The canonical requests and strings to sign are compared byte for byte.
//! Signatures cannot be compared, so each of the suite's signatures is
//! verified with the suite's public key, and so is awsig's own; the public
//! key awsig derives must equal the suite's. Signed requests are compared as
//! HTTP messages (as in `tests/conformance.rs`) with each signature taken
//! out after it was verified.
#![cfg(feature = "sigv4a")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use awsig::v4a::{PublicKey, Signature, Signer, SigningKey, StringToSign};
use awsig::{
    AmzDate, CanonicalRequest, ContentSha256Header, Credentials, PathNormalization, PayloadHash,
    RequestText, SessionTokenMode, Settings, SignableRequest,
};

const SUITE: &str = "testdata/aws-signing-test-suite/v4a";

struct Context {
    access_key_id: String,
    secret: String,
    token: Option<String>,
    region: String,
    service: String,
    time: SystemTime,
    normalize: bool,
    sign_body: bool,
    omit_session_token: bool,
    expires: u64,
}

fn read_context(dir: &Path) -> Context {
    let text = fs::read_to_string(dir.join("context.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let creds = &v["credentials"];
    Context {
        access_key_id: creds["access_key_id"].as_str().unwrap().to_owned(),
        secret: creds["secret_access_key"].as_str().unwrap().to_owned(),
        token: creds["token"].as_str().map(str::to_owned),
        region: v["region"].as_str().unwrap().to_owned(),
        service: v["service"].as_str().unwrap().to_owned(),
        time: AmzDate::parse_rfc3339(v["timestamp"].as_str().unwrap())
            .unwrap()
            .to_system_time(),
        normalize: v["normalize"].as_bool().unwrap(),
        sign_body: v["sign_body"].as_bool().unwrap(),
        omit_session_token: v["omit_session_token"].as_bool().unwrap_or(false),
        expires: v["expiration_in_seconds"].as_u64().unwrap(),
    }
}

fn settings(ctx: &Context) -> Settings {
    Settings::default()
        .with_path_normalization(if ctx.normalize {
            PathNormalization::Enabled
        } else {
            PathNormalization::Disabled
        })
        .with_content_sha256(if ctx.sign_body {
            ContentSha256Header::Include
        } else {
            ContentSha256Header::Omit
        })
        .with_session_token(if ctx.omit_session_token {
            SessionTokenMode::AddedAfterSigning
        } else {
            SessionTokenMode::Signed
        })
}

fn credentials(ctx: &Context) -> Credentials {
    Credentials::build(&ctx.access_key_id, &ctx.secret, ctx.token.as_deref(), None).unwrap()
}

fn public_key(dir: &Path) -> PublicKey {
    let text = fs::read_to_string(dir.join("public-key.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    PublicKey::from_coordinates_hex(v["X"].as_str().unwrap(), v["Y"].as_str().unwrap()).unwrap()
}

/// A request as an HTTP message, for comparison.
#[derive(Debug, PartialEq)]
struct Message {
    request_line: String,
    headers: BTreeMap<String, Vec<String>>,
    body: Vec<u8>,
}

fn message(method: &str, target: &str, headers: &[(String, Vec<u8>)], body: &[u8]) -> Message {
    let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (n, v) in headers {
        map.entry(n.to_ascii_lowercase())
            .or_default()
            .push(String::from_utf8_lossy(v).into_owned());
    }
    Message {
        request_line: format!("{method} {target}"),
        headers: map,
        body: body.to_vec(),
    }
}

/// The text after `marker` up to the next `delimiter` (or the end).
fn value_after<'t>(text: &'t str, marker: &str, delimiter: char) -> &'t str {
    let at = text.find(marker).unwrap() + marker.len();
    let rest = &text[at..];
    &rest[..rest.find(delimiter).unwrap_or(rest.len())]
}

/// `text` with the signature after `marker` (hex, ended by `delimiter` or
/// the end) replaced by `SIG`, and the signature.
fn take_signature(text: &str, marker: &str, delimiter: char) -> (String, Signature) {
    let sig = value_after(text, marker, delimiter);
    let parsed = Signature::parse(sig).unwrap_or_else(|| panic!("not a signature: {sig}"));
    (
        text.replacen(&format!("{marker}{sig}"), &format!("{marker}SIG"), 1),
        parsed,
    )
}

struct Tally {
    counts: BTreeMap<&'static str, usize>,
    failures: Vec<String>,
}

impl Tally {
    fn check(&mut self, case: &str, stage: &'static str, got: &str, want: &str) {
        *self.counts.entry(stage).or_default() += 1;
        if got != want {
            self.failures.push(format!(
                "{case}: {stage} differs\n--- expected\n{want}\n--- got\n{got}\n"
            ));
        }
    }

    fn check_true(&mut self, case: &str, stage: &'static str, ok: bool) {
        *self.counts.entry(stage).or_default() += 1;
        if !ok {
            self.failures.push(format!("{case}: {stage} fails"));
        }
    }

    fn check_message(&mut self, case: &str, stage: &'static str, got: &Message, want: &Message) {
        *self.counts.entry(stage).or_default() += 1;
        if got != want {
            self.failures.push(format!(
                "{case}: {stage} differs\n--- expected\n{want:#?}\n--- got\n{got:#?}\n"
            ));
        }
    }
}

fn read(dir: &Path, file: &str) -> Option<String> {
    fs::read_to_string(dir.join(file)).ok()
}

fn run_case(case: &str, dir: &Path, tally: &mut Tally) {
    let ctx = read_context(dir);
    let raw = fs::read(dir.join("request.txt")).unwrap();
    let req = RequestText::parse(&raw).unwrap();
    let pairs = req.header_pairs();
    let view = req.signable(&pairs).unwrap();
    let payload = PayloadHash::of(req.body());
    let creds = credentials(&ctx);
    let signer = Signer::new(creds.clone(), &ctx.region, &ctx.service)
        .unwrap()
        .with_settings(settings(&ctx));
    let date = AmzDate::from_system_time(ctx.time).unwrap();
    let suite_key = public_key(dir);

    // The derived key pair.
    let key = SigningKey::derive(&creds).unwrap();
    tally.check_true(
        case,
        "derived public key equals public-key.json",
        *key.public_key() == suite_key,
    );

    // Header signing, stage by stage.
    let creq = signer.canonical_request(&view, &payload, ctx.time).unwrap();
    let want_creq = read(dir, "header-canonical-request.txt").unwrap();
    tally.check(
        case,
        "header: canonical request",
        &creq.to_string(),
        &want_creq,
    );
    if let Some(legacy) = read(dir, "canonical-request.txt") {
        tally.check(
            case,
            "header: canonical-request.txt (older file name)",
            &creq.to_string(),
            &legacy,
        );
    }
    let sts = StringToSign::new(signer.scope(&date), &creq);
    let want_sts = read(dir, "header-string-to-sign.txt").unwrap();
    tally.check(
        case,
        "header: string to sign",
        &sts.to_string(),
        want_sts.trim_end_matches('\n'),
    );
    if let Some(legacy) = read(dir, "string-to-sign.txt") {
        tally.check(
            case,
            "header: string-to-sign.txt (older file name)",
            &sts.to_string(),
            legacy.trim_end_matches('\n'),
        );
    }
    let want_sig = Signature::parse(read(dir, "header-signature.txt").unwrap().trim()).unwrap();
    tally.check_true(
        case,
        "header: suite signature verifies with the suite key",
        suite_key.verify(&sts, &want_sig),
    );
    let ours = key.sign(&sts);
    tally.check_true(
        case,
        "header: awsig signature verifies with the suite key",
        suite_key.verify(&sts, &ours),
    );

    // The whole signed request.
    let output = signer.signing_output(&view, &payload, ctx.time).unwrap();
    tally.check_true(
        case,
        "header: signing_output's signature verifies with the suite key",
        suite_key.verify(&sts, output.signature()),
    );
    let added: Vec<(String, Vec<u8>)> = output
        .headers()
        .map(|(n, v)| (n.to_owned(), v.as_bytes().to_vec()))
        .collect();
    let mut headers: Vec<(String, Vec<u8>)> = req
        .headers()
        .iter()
        .filter(|(n, _)| !added.iter().any(|(a, _)| a.eq_ignore_ascii_case(n)))
        .cloned()
        .collect();
    headers.extend(added);
    let want_signed = read(dir, "header-signed-request.txt").unwrap();
    let (want_text, want_signed_sig) = take_signature(&want_signed, "Signature=", '\n');
    tally.check_true(
        case,
        "header: signed request's signature verifies with the suite key",
        suite_key.verify(&sts, &want_signed_sig),
    );
    let unsigned_headers: Vec<(String, Vec<u8>)> = headers
        .iter()
        .map(|(n, v)| {
            if n == "authorization" {
                let text = String::from_utf8(v.clone()).unwrap();
                let (text, _) = take_signature(&text, "Signature=", '\n');
                (n.clone(), text.into_bytes())
            } else {
                (n.clone(), v.clone())
            }
        })
        .collect();
    let want = RequestText::parse(want_text.as_bytes()).unwrap();
    tally.check_message(
        case,
        "header: signed request",
        &message(req.method(), req.target(), &unsigned_headers, req.body()),
        &message(want.method(), want.target(), want.headers(), want.body()),
    );

    // The first stage on its own, from the suite's signed request as it
    // stands (not when the token was added after signing: the signed
    // request then carries a header that was not signed).
    if !ctx.omit_session_token {
        let signed = RequestText::parse(want_signed.as_bytes()).unwrap();
        let unsigned: Vec<(&str, &[u8])> = signed
            .header_pairs()
            .into_iter()
            .filter(|(n, _)| !n.eq_ignore_ascii_case("authorization"))
            .collect();
        let view = SignableRequest::new(signed.method(), signed.target(), &unsigned).unwrap();
        let creq = CanonicalRequest::new(&view, &payload, &settings(&ctx)).unwrap();
        tally.check(
            case,
            "header: CanonicalRequest::new of the signed request",
            &creq.to_string(),
            &want_creq,
        );
    }

    // Query signing.
    let expires = Duration::from_secs(ctx.expires);
    let creq = signer
        .presign_canonical_request(&view, expires, &payload, ctx.time)
        .unwrap();
    let want_creq = read(dir, "query-canonical-request.txt").unwrap();
    tally.check(
        case,
        "query: canonical request",
        &creq.to_string(),
        &want_creq,
    );
    let sts = StringToSign::new(signer.scope(&date), &creq);
    let want_sts = read(dir, "query-string-to-sign.txt").unwrap();
    tally.check(
        case,
        "query: string to sign",
        &sts.to_string(),
        want_sts.trim_end_matches('\n'),
    );
    let want_sig = Signature::parse(read(dir, "query-signature.txt").unwrap().trim()).unwrap();
    tally.check_true(
        case,
        "query: suite signature verifies with the suite key",
        suite_key.verify(&sts, &want_sig),
    );
    let output = signer
        .presign_output(&view, expires, &payload, ctx.time)
        .unwrap();
    tally.check_true(
        case,
        "query: presign_output's signature verifies with the suite key",
        suite_key.verify(&sts, output.signature()),
    );
    let target = format!("{}?{}", view.path(), output.append_to_query(view.query()));
    let (target, _) = take_signature(&target, "X-Amz-Signature=", '&');
    let want_signed = read(dir, "query-signed-request.txt").unwrap();
    let (want_text, want_signed_sig) = take_signature(&want_signed, "X-Amz-Signature=", ' ');
    tally.check_true(
        case,
        "query: signed request's signature verifies with the suite key",
        suite_key.verify(&sts, &want_signed_sig),
    );
    let want = RequestText::parse(want_text.as_bytes()).unwrap();
    tally.check_message(
        case,
        "query: signed request",
        &message(req.method(), &target, req.headers(), req.body()),
        &message(want.method(), want.target(), want.headers(), want.body()),
    );
}

fn case_dirs() -> Vec<(String, PathBuf)> {
    let mut dirs: Vec<(String, PathBuf)> = fs::read_dir(SUITE)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), p))
        .collect();
    dirs.sort();
    dirs
}

#[test]
fn every_v4a_case_every_stage() {
    let dirs = case_dirs();
    assert_eq!(dirs.len(), 38, "the suite has 38 v4a cases");
    let mut tally = Tally {
        counts: BTreeMap::new(),
        failures: Vec::new(),
    };
    for (case, dir) in &dirs {
        run_case(case, dir, &mut tally);
    }
    println!("conformance: {} v4a cases", dirs.len());
    for (stage, n) in &tally.counts {
        println!("  {stage}: {n} checked");
    }
    assert!(
        tally.failures.is_empty(),
        "{} mismatches:\n{}",
        tally.failures.len(),
        tally.failures.join("\n")
    );
    // Every case at every stage; the older file names only in get-vanilla;
    // the canonical request of the signed request as it stands for all but
    // the case whose token is added after signing.
    let n = dirs.len();
    let expect = [
        ("derived public key equals public-key.json", n),
        ("header: canonical request", n),
        ("header: canonical-request.txt (older file name)", 1),
        ("header: string to sign", n),
        ("header: string-to-sign.txt (older file name)", 1),
        ("header: suite signature verifies with the suite key", n),
        ("header: awsig signature verifies with the suite key", n),
        (
            "header: signing_output's signature verifies with the suite key",
            n,
        ),
        (
            "header: signed request's signature verifies with the suite key",
            n,
        ),
        ("header: signed request", n),
        ("header: CanonicalRequest::new of the signed request", n - 1),
        ("query: canonical request", n),
        ("query: string to sign", n),
        ("query: suite signature verifies with the suite key", n),
        (
            "query: presign_output's signature verifies with the suite key",
            n,
        ),
        (
            "query: signed request's signature verifies with the suite key",
            n,
        ),
        ("query: signed request", n),
    ];
    for (stage, count) in expect {
        assert_eq!(tally.counts.get(stage).copied(), Some(count), "{stage}");
    }
    assert_eq!(tally.counts.len(), expect.len());
}
