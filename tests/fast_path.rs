//! The reusable-buffer path (`Signer::sign_into`), the prepared path
//! (`PreparedRequest::sign_into`) and the default path against the plain
//! staged path (canonical request, string to sign, signing key), on the
//! botocore vectors, the AWS signing test suite and on generated requests;
//! and how many heap allocations each path makes.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use awsig::{
    AmzDate, AuthorizationBuf, ContentSha256Header, Credentials, Error, PayloadHash, RequestText,
    Settings, SignableRequest, Signature, Signer, StringToSign,
};
use base64::Engine;
use proptest::prelude::*;
use serde_json::Value;

#[path = "support/counting.rs"]
mod counting;

#[global_allocator]
static ALLOCATOR: counting::Counting = counting::Counting;

/// The signature and `authorization` value of the plain staged path:
/// `Signer::canonical_request` → `StringToSign::new` → `signing_key().sign`.
fn staged(
    signer: &Signer,
    request: &SignableRequest<'_>,
    payload: &PayloadHash,
    now: SystemTime,
) -> Result<(Signature, String), awsig::Error> {
    let creq = signer.canonical_request(request, payload, now)?;
    let date = AmzDate::from_system_time(now)?;
    let sts = StringToSign::new(signer.scope(&date), &creq);
    let signature = signer.signing_key(&date).sign(&sts);
    let authorization = format!(
        "AWS4-HMAC-SHA256 Credential={}/{}, SignedHeaders={}, Signature={}",
        signer.credentials().access_key_id(),
        signer.scope(&date),
        creq.signed_headers(),
        signature
    );
    Ok((signature, authorization))
}

/// Signs with all three paths and checks that they agree byte for byte:
/// the same signature, the same `authorization`, the same header list.
/// Returns the signature, or `None` when every path refused the request.
fn all_paths_agree(
    signer: &Signer,
    request: &SignableRequest<'_>,
    payload: &PayloadHash,
    now: SystemTime,
    buf: &mut AuthorizationBuf,
) -> Option<(Signature, String)> {
    let plain = staged(signer, request, payload, now);
    let fast = signer.sign_into(request, payload, now, buf);
    let default = signer.signing_output(request, payload, now);
    match (plain, fast, default) {
        (Ok((sig, auth)), Ok(fast_sig), Ok(output)) => {
            assert_eq!(fast_sig, sig, "sign_into and the staged path differ");
            assert_eq!(buf.signature(), Some(&sig));
            assert_eq!(buf.authorization(), auth, "authorization differs");
            assert_eq!(output.authorization(), auth, "signing_output differs");
            let fast_headers: Vec<(&str, &str)> = buf.headers().collect();
            let default_headers: Vec<(&str, &str)> = output.headers().collect();
            assert_eq!(fast_headers, default_headers, "header lists differ");
            let prepared = signer
                .prepare(request)
                .expect("prepare refused a signable request");
            let mut other = AuthorizationBuf::new();
            assert_eq!(prepared.sign_into(payload, now, &mut other).unwrap(), sig);
            assert_eq!(
                other.authorization(),
                auth,
                "prepared authorization differs"
            );
            let prepared_headers: Vec<(&str, &str)> = other.headers().collect();
            assert_eq!(prepared_headers, default_headers, "prepared headers differ");
            // Signed twice in a row, the shape is now this thread's template:
            // the next signings come from it, at another time and payload too.
            let again = signer.signing_output(request, payload, now).unwrap();
            assert_eq!(
                again.authorization(),
                auth,
                "template authorization differs"
            );
            let later = now + Duration::from_secs(86_400 + 61);
            let other_payload = PayloadHash::of(b"another body");
            if let Ok((later_sig, later_auth)) = staged(signer, request, &other_payload, later) {
                let out = signer
                    .signing_output(request, &other_payload, later)
                    .unwrap();
                assert_eq!(out.signature(), &later_sig, "template signature differs");
                assert_eq!(out.authorization(), later_auth);
            }
            Some((sig, auth))
        }
        (Err(a), Err(b), Err(c)) => {
            assert_eq!(a.to_string(), b.to_string());
            assert_eq!(a.to_string(), c.to_string());
            assert!(
                buf.headers().next().is_none(),
                "a failed signing left headers"
            );
            // Preparing checks the request; the time is checked when signing.
            if let Ok(prepared) = signer.prepare(request) {
                let e = prepared.sign_into(payload, now, buf).unwrap_err();
                assert_eq!(e.to_string(), a.to_string());
            }
            None
        }
        // UNSIGNED-PAYLOAD where the server hashes the body and nothing
        // declares it: the stages write it, signing refuses it.
        (Ok(_), Err(Error::PayloadNotDeclared { .. }), Err(Error::PayloadNotDeclared { .. }))
            if *payload == PayloadHash::Unsigned
                && signer.settings().content_sha256 == ContentSha256Header::Omit =>
        {
            if let Ok(prepared) = signer.prepare(request) {
                let e = prepared.sign_into(payload, now, buf).unwrap_err();
                assert!(matches!(e, Error::PayloadNotDeclared { .. }), "{e:?}");
            }
            None
        }
        (a, b, c) => panic!(
            "the paths disagree on success: staged {:?}, sign_into {:?}, signing_output {:?}",
            a.map(|_| ()),
            b.map(|_| ()),
            c.map(|_| ())
        ),
    }
}

fn vectors() -> Vec<Value> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/testdata/botocore/vectors.json"
    ))
    .unwrap();
    let json: Value = serde_json::from_str(&text).unwrap();
    json["vectors"].as_array().unwrap().clone()
}

fn credentials(v: &Value) -> Credentials {
    let c = &v["credentials"];
    Credentials::build(
        c["access_key_id"].as_str().unwrap(),
        c["secret_access_key"].as_str().unwrap(),
        c["session_token"].as_str(),
        None,
    )
    .unwrap()
}

fn signing_time(v: &Value) -> SystemTime {
    AmzDate::parse_rfc3339(v["time"].as_str().unwrap())
        .unwrap()
        .to_system_time()
}

fn header_pairs(v: &Value) -> Vec<(String, String)> {
    v["headers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h[0].as_str().unwrap().to_owned(),
                h[1].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn botocore_header_vectors_sign_the_same_on_every_path() {
    let mut buf = AuthorizationBuf::new();
    let mut checked = 0;
    for v in vectors().iter().filter(|v| v["signing"] == "header") {
        let name = v["name"].as_str().unwrap();
        let service = v["service"].as_str().unwrap();
        let unsigned = v["payload"] == "unsigned";
        let mut settings = Settings::for_service(service);
        if unsigned {
            // botocore sends `x-amz-content-sha256: UNSIGNED-PAYLOAD` then.
            settings = settings.with_content_sha256(ContentSha256Header::Include);
        }
        let signer = Signer::new(credentials(v), v["region"].as_str().unwrap(), service)
            .unwrap()
            .with_settings(settings);
        let body = base64::engine::general_purpose::STANDARD
            .decode(v["body_base64"].as_str().unwrap())
            .unwrap();
        let payload = if unsigned {
            PayloadHash::Unsigned
        } else {
            PayloadHash::of(&body)
        };
        let pairs = header_pairs(v);
        let headers: Vec<(&str, &[u8])> = pairs
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_bytes()))
            .collect();
        let request = SignableRequest::new(
            v["method"].as_str().unwrap(),
            v["url"].as_str().unwrap(),
            &headers,
        )
        .unwrap();
        let (signature, authorization) =
            all_paths_agree(&signer, &request, &payload, signing_time(v), &mut buf)
                .unwrap_or_else(|| panic!("{name}: refused"));
        // And all of them match what botocore produced.
        let expected = &v["expected"];
        assert_eq!(
            signature.as_str(),
            expected["signature"].as_str().unwrap(),
            "{name}"
        );
        assert_eq!(
            authorization,
            expected["authorization"].as_str().unwrap(),
            "{name}"
        );
        checked += 1;
    }
    assert!(checked > 300, "only {checked} header vectors were checked");
}

/// A request of the AWS signing test suite (`request.txt`): the request
/// line, `Name:value` header lines (a line starting with whitespace
/// continues the previous value), a blank line and the body.
#[test]
fn aws_suite_requests_sign_the_same_on_every_path() {
    let root = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/testdata/aws-signing-test-suite/v4"
    );
    let mut buf = AuthorizationBuf::new();
    let mut checked = 0;
    for entry in std::fs::read_dir(root).unwrap() {
        let dir = entry.unwrap().path();
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        // Two requests come without a context (no credentials, no time).
        let Ok(context) = std::fs::read_to_string(dir.join("context.json")) else {
            continue;
        };
        let context: Value = serde_json::from_str(&context).unwrap();
        let request = RequestText::parse(&std::fs::read(dir.join("request.txt")).unwrap()).unwrap();
        let c = &context["credentials"];
        let creds = Credentials::build(
            c["access_key_id"].as_str().unwrap(),
            c["secret_access_key"].as_str().unwrap(),
            c["token"].as_str(),
            None,
        )
        .unwrap();
        let mut settings = Settings::for_service(context["service"].as_str().unwrap());
        if context["normalize"] == false {
            settings = settings.with_path_normalization(awsig::PathNormalization::Disabled);
        }
        if context["sign_body"] == true {
            settings = settings.with_content_sha256(ContentSha256Header::Include);
        }
        if context["omit_session_token"] == true {
            settings = settings.with_session_token(awsig::SessionTokenMode::AddedAfterSigning);
        }
        let signer = Signer::new(
            creds,
            context["region"].as_str().unwrap(),
            context["service"].as_str().unwrap(),
        )
        .unwrap()
        .with_settings(settings);
        let headers = request.header_pairs();
        let view = request.signable(&headers).unwrap();
        let now = AmzDate::parse_rfc3339(context["timestamp"].as_str().unwrap())
            .unwrap()
            .to_system_time();
        let payload = PayloadHash::of(request.body());
        let (signature, _) = all_paths_agree(&signer, &view, &payload, now, &mut buf)
            .unwrap_or_else(|| panic!("{name}: refused"));
        // tests/conformance.rs compares the signatures with the suite's.
        assert_eq!(signature.as_str().len(), 64, "{name}");
        checked += 1;
    }
    assert!(checked >= 38, "only {checked} suite requests were read");
}

#[test]
fn botocore_query_vectors_presign_to_the_same_url() {
    let mut checked = 0;
    for v in vectors().iter().filter(|v| v["signing"] == "query") {
        let name = v["name"].as_str().unwrap();
        let service = v["service"].as_str().unwrap();
        let signer = Signer::new(credentials(v), v["region"].as_str().unwrap(), service).unwrap();
        let payload = if v["payload"] == "unsigned" || service == "s3" {
            PayloadHash::Unsigned
        } else {
            PayloadHash::empty()
        };
        let expires = Duration::from_secs(v["expires"].as_u64().unwrap());
        let url = v["url"].as_str().unwrap();
        let pairs = header_pairs(v);
        let headers: Vec<(&str, &[u8])> = pairs
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_bytes()))
            .collect();
        let request = SignableRequest::new(v["method"].as_str().unwrap(), url, &headers).unwrap();
        let now = signing_time(v);
        let expected = &v["expected"];
        if payload == PayloadHash::Unsigned && service != "s3" {
            // A service that hashes the body: presigning UNSIGNED-PAYLOAD
            // without x-amz-content-sha256 is refused on every path, the
            // template's included (tests/botocore.rs checks the stages).
            for _ in 0..3 {
                assert!(
                    matches!(
                        signer.presign_output(&request, expires, &payload, now),
                        Err(awsig::Error::PayloadNotDeclared { .. })
                    ),
                    "{name}"
                );
            }
            checked += 1;
            continue;
        }
        let output = signer
            .presign_output(&request, expires, &payload, now)
            .unwrap();
        assert_eq!(
            output.signature().as_str(),
            expected["signature"].as_str().unwrap(),
            "{name}"
        );
        // The parameters are appended to the URL's own query as it is
        // (tests/botocore.rs compares them with botocore's URL).
        let added = output.append_to_query("");
        assert!(
            added.starts_with("X-Amz-Algorithm=") && added.ends_with(output.signature().as_str()),
            "{name}"
        );
        let mut appended = request.query().to_owned();
        if !appended.is_empty() {
            appended.push('&');
        }
        appended.push_str(&added);
        assert_eq!(output.append_to_query(request.query()), appended, "{name}");
        // The staged path signs the same canonical request.
        let creq = signer
            .presign_canonical_request(&request, expires, &payload, now)
            .unwrap();
        assert_eq!(
            creq.to_string(),
            expected["canonical_request"].as_str().unwrap(),
            "{name}"
        );
        // The default path on an `http::Request`, where `http` takes the URL.
        let mut builder = http::Request::builder()
            .method(v["method"].as_str().unwrap())
            .uri(url);
        for (n, value) in &pairs {
            builder = builder.header(n, value);
        }
        if let Ok(mut http_request) = builder.body(())
            && SignableRequest::from_request(&http_request).is_ok()
        {
            signer
                .presign(&mut http_request, expires, &payload, now)
                .unwrap();
            assert_eq!(http_request.uri().query().unwrap(), appended, "{name}");
        }
        checked += 1;
    }
    assert!(checked > 200, "only {checked} query vectors were checked");
}

fn header_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("Content-Type".to_owned()),
        Just("content-type".to_owned()),
        Just("X-Amz-Meta-Note".to_owned()),
        Just("x-amz-meta-note".to_owned()),
        Just("Accept".to_owned()),
        Just("User-Agent".to_owned()),
        Just("Host".to_owned()),
        Just("X-Amz-Date".to_owned()),
        "[A-Za-z][A-Za-z0-9-]{0,12}",
    ]
}

fn header_value() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ -~]{0,40}",
        "[ \t]{0,3}[a-z]{1,8}([ \t]{1,3}[a-z]{1,8}){0,3}[ \t]{0,3}",
        "[a-zA-Z0-9+/=]{100,400}",
        "[a-zé ]{0,10}",
    ]
}

fn path() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just(".".to_owned()),
            Just("..".to_owned()),
            Just(String::new()),
            "[a-zA-Z0-9._~-]{1,12}",
            "[a-z%0-9A-F ]{1,8}",
        ],
        0..6,
    )
    .prop_map(|segs| format!("/{}", segs.join("/")))
}

fn query() -> impl Strategy<Value = String> {
    prop::collection::vec(("[a-zA-Z0-9_.%+-]{0,8}", "[a-zA-Z0-9_.%+=/ -]{0,12}"), 0..7).prop_map(
        |pairs| {
            pairs
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("&")
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn generated_requests_sign_the_same_on_every_path(
        method in prop_oneof![Just("GET"), Just("POST"), Just("PUT"), Just("DELETE")],
        service in prop_oneof![Just("s3"), Just("aps"), Just("execute-api"), Just("sqs")],
        host in prop_oneof![
            Just("example.amazonaws.com"),
            Just("bucket.s3.amazonaws.com:8443"),
            Just("[::1]:9000"),
        ],
        path in path(),
        query in query(),
        headers in prop::collection::vec((header_name(), header_value()), 0..10),
        token in prop::option::of("[A-Za-z0-9+/=]{16,400}"),
        body in prop::collection::vec(any::<u8>(), 0..64),
        unsigned in any::<bool>(),
        secs in 0u64..4_000_000_000,
    ) {
        let creds = Credentials::build("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", token.as_deref(), None).unwrap();
        let signer = Signer::new(creds, "us-east-1", service).unwrap();
        let payload = if unsigned { PayloadHash::Unsigned } else { PayloadHash::of(&body) };
        let uri = if query.is_empty() {
            format!("https://{host}{path}")
        } else {
            format!("https://{host}{path}?{query}")
        };
        let list: Vec<(&str, &[u8])> = headers.iter().map(|(n, v)| (n.as_str(), v.as_bytes())).collect();
        let now = UNIX_EPOCH + Duration::from_secs(secs);
        let mut buf = AuthorizationBuf::new();
        if let Ok(request) = SignableRequest::new(method, &uri, &list) {
            all_paths_agree(&signer, &request, &payload, now, &mut buf);
            // A buffer that held a longer request gives the same bytes.
            all_paths_agree(&signer, &request, &payload, now, &mut buf);
            // One preparation serves other times (days) and payloads.
            if let Ok(prepared) = signer.prepare(&request) {
                let mut other = AuthorizationBuf::new();
                for (later, payload) in [
                    (1, PayloadHash::of(b"another body")),
                    (86_400 * 400, PayloadHash::Unsigned),
                    (3, PayloadHash::empty()),
                ] {
                    let at = now + Duration::from_secs(later);
                    if let Ok(want) = signer.sign_into(&request, &payload, at, &mut buf) {
                        prop_assert_eq!(prepared.sign_into(&payload, at, &mut other).unwrap(), want);
                        prop_assert_eq!(other.authorization(), buf.authorization());
                        let a: Vec<(&str, &str)> = other.headers().collect();
                        let b: Vec<(&str, &str)> = buf.headers().collect();
                        prop_assert_eq!(a, b);
                    }
                }
            }
        }
    }
}

fn amp_request(token_len: usize) -> (Signer, http::Request<Vec<u8>>, PayloadHash) {
    let token: String = "Ab+/".chars().cycle().take(token_len).collect();
    let creds = Credentials::with_session_token(
        "AKIDEXAMPLE",
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        &token,
        None,
    )
    .unwrap();
    let signer = Signer::new(creds, "us-west-2", "aps").unwrap();
    let request = http::Request::post(
        "https://aps-workspaces.us-west-2.amazonaws.com/workspaces/ws-12345678-abcd-1234-abcd-123456789012/api/v1/remote_write",
    )
    .header("Content-Type", "application/x-protobuf")
    .header("Content-Encoding", "snappy")
    .header("X-Prometheus-Remote-Write-Version", "0.1.0")
    .header("User-Agent", "agent/1.0")
    .body(vec![1u8; 1024])
    .unwrap();
    let payload = PayloadHash::of(request.body());
    (signer, request, payload)
}

/// Allocations made by `run`, over `n` calls, after three warm-up calls.
fn allocations(n: u64, mut run: impl FnMut()) -> u64 {
    for _ in 0..3 {
        run();
    }
    let before = counting::count();
    for _ in 0..n {
        run();
    }
    counting::count() - before
}

#[test]
fn sign_into_allocates_nothing_once_warm() {
    let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let (signer, request, payload) = amp_request(356);
    let view = SignableRequest::from_request(&request).unwrap();
    let mut buf = AuthorizationBuf::new();
    let n = allocations(100, || {
        signer.sign_into(&view, &payload, now, &mut buf).unwrap();
    });
    assert_eq!(n, 0, "sign_into allocated {n} times in 100 calls");
    let prepared = signer.prepare(&view).unwrap();
    let mut other = AuthorizationBuf::new();
    let n = allocations(100, || {
        prepared.sign_into(&payload, now, &mut other).unwrap();
    });
    assert_eq!(n, 0, "the prepared path allocated {n} times in 100 calls");
    assert_eq!(other.authorization(), buf.authorization());
    assert!(
        buf.authorization()
            .starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20231114/us-west-2/aps/aws4_request, SignedHeaders=content-encoding;content-type;host;x-amz-date;x-amz-security-token;x-prometheus-remote-write-version, Signature=")
    );

    // S3, with x-amz-content-sha256, a query and many headers.
    let s3 = Signer::new(
        Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY").unwrap(),
        "us-east-1",
        "s3",
    )
    .unwrap();
    let names: Vec<String> = (0..20).map(|i| format!("X-Amz-Meta-{i}")).collect();
    let headers: Vec<(&str, &[u8])> = names
        .iter()
        .map(|n| (n.as_str(), b"  some   value ".as_slice()))
        .collect();
    let request = SignableRequest::new(
        "PUT",
        "https://bucket.s3.amazonaws.com/a%20key/with//slashes?tagging&versionId=3&b=%7e",
        &headers,
    )
    .unwrap();
    let n = allocations(100, || {
        s3.sign_into(&request, &PayloadHash::Unsigned, now, &mut buf)
            .unwrap();
    });
    assert_eq!(n, 0, "sign_into allocated {n} times in 100 calls");
}

#[test]
fn default_paths_allocate_at_most_four_times() {
    let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let (signer, request, payload) = amp_request(356);
    let mut copies: Vec<_> = (0..103).map(|_| request.clone()).collect();
    let mut next = copies.iter_mut();
    let n = allocations(100, || {
        let r = next.next().unwrap();
        signer.sign(r, &payload, now).unwrap();
    });
    assert!(n <= 400, "sign allocated {n} times in 100 calls");

    let s3 = Signer::new(
        Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY").unwrap(),
        "us-east-1",
        "s3",
    )
    .unwrap();
    let get = http::Request::get("https://examplebucket.s3.amazonaws.com/test.txt")
        .body(())
        .unwrap();
    let mut copies: Vec<_> = (0..103).map(|_| get.clone()).collect();
    let mut next = copies.iter_mut();
    let n = allocations(100, || {
        let r = next.next().unwrap();
        s3.presign(r, Duration::from_secs(3600), &PayloadHash::Unsigned, now)
            .unwrap();
    });
    assert!(n <= 400, "presign allocated {n} times in 100 calls");
}

/// Requests that alternate between two shapes (here two `User-Agent`
/// values, never signed) never learn a template on every other call: the
/// per-thread template is made only for a shape seen twice in a row, so
/// alternating costs what the full path costs, with no more allocations
/// than signing one shape (3 per `sign`: the `authorization` value and the
/// header map's growth), whether one of the two shapes has the template
/// or neither does.
#[test]
fn alternating_shapes_allocate_no_more_than_one_shape() {
    let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let (signer, request, payload) = amp_request(356);
    let with_agent = |agent: &'static str| {
        let mut r = request.clone();
        r.headers_mut()
            .insert("user-agent", http::HeaderValue::from_static(agent));
        r
    };
    let one: Vec<_> = (0..103).map(|_| with_agent("agent/1.0")).collect();
    let mut copies = one.clone();
    let mut next = copies.iter_mut();
    let single = allocations(100, || {
        signer.sign(next.next().unwrap(), &payload, now).unwrap();
    });
    // "agent/1.0" now has this thread's template: alternate it with
    // another shape, then alternate two shapes that have none.
    for pair in [["agent/1.0", "agent/2.0"], ["agent/3.0", "agent/4.0"]] {
        let mut copies: Vec<_> = (0..103).map(|i| with_agent(pair[i % 2])).collect();
        let mut next = copies.iter_mut();
        let n = allocations(100, || {
            signer.sign(next.next().unwrap(), &payload, now).unwrap();
        });
        assert!(
            n <= single,
            "{pair:?}: {n} allocations in 100 calls, one shape {single}"
        );
    }
}

/// What signing leaves on a thread between calls, counted by the
/// allocator (bytes allocated on the thread and not freed): at most
/// `limits::THREAD_MEMO_BYTES`, after one shape, after two, and after many
/// shapes of every size. Printed for the record (`--nocapture`).
#[test]
fn what_a_thread_keeps_between_calls_is_bounded() {
    use awsig::limits::THREAD_MEMO_BYTES;
    std::thread::spawn(|| {
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let start = counting::live_bytes();
        let held = || counting::live_bytes() - start;
        let (signer, request, payload) = amp_request(356);
        for _ in 0..3 {
            let mut r = request.clone();
            signer.sign(&mut r, &payload, now).unwrap();
        }
        let one = held();
        let s3 = Signer::new(signer.credentials().clone(), "us-east-1", "s3").unwrap();
        for _ in 0..3 {
            let mut r = http::Request::get("https://bucket.s3.amazonaws.com/key.txt")
                .body(())
                .unwrap();
            s3.presign(&mut r, Duration::from_secs(3600), &PayloadHash::Unsigned, now)
                .unwrap();
        }
        let two = held();
        let mut most = two;
        for size in (0..=8000).step_by(250) {
            let value = "v".repeat(size);
            for _ in 0..3 {
                {
                    let mut r = request.clone();
                    r.headers_mut().insert("x-big", value.parse().unwrap());
                    signer.sign(&mut r, &payload, now).unwrap();
                    let mut p = http::Request::get(format!(
                        "https://bucket.s3.amazonaws.com/{}",
                        "k".repeat(size)
                    ))
                    .body(())
                    .unwrap();
                    s3.presign(&mut p, Duration::from_secs(60), &PayloadHash::Unsigned, now)
                        .unwrap();
                }
                most = most.max(held());
            }
        }
        println!(
            "held per thread: {one} bytes after one shape, {two} after two, at most {most} over many (bound {THREAD_MEMO_BYTES})"
        );
        // The memos, plus the last signing date and its header value.
        let bound = i64::try_from(THREAD_MEMO_BYTES).unwrap() + 256;
        assert!(one > 0 && one <= bound, "{one}");
        assert!(two <= bound, "{two}");
        assert!(most <= bound, "{most}");
    })
    .join()
    .unwrap();
}
