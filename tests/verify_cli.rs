//! `awsig verify` (examples/awsig/verify.rs), driven in-process: the
//! example's own code is compiled into this test, with a fake environment
//! and captured output, so no binary has to be built or spawned.
#![cfg(feature = "credentials")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[allow(dead_code)]
#[path = "../examples/awsig/main.rs"]
mod awsig_cli;

use std::collections::BTreeMap;
use std::time::SystemTime;

use awsig::provider::VarsEnvironment;

const SUITE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/testdata/aws-signing-test-suite/v4"
);
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

/// Runs `awsig verify` with these arguments (`verify` in front is
/// optional).
fn run(args: &[&str], vars: &[(&str, &str)]) -> (u8, String, String) {
    let args: Vec<&str> = std::iter::once("verify")
        .chain(args.iter().copied().filter(|a| *a != "verify"))
        .collect();
    run_cli(&args, vars)
}

/// Runs `awsig` with these arguments and environment variables.
fn run_cli(args: &[&str], vars: &[(&str, &str)]) -> (u8, String, String) {
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    // Nothing from the machine: no shared files, no instance metadata.
    let mut map = BTreeMap::from([
        (
            "AWS_CONFIG_FILE".to_owned(),
            "/nonexistent/awsig-test/config".to_owned(),
        ),
        (
            "AWS_SHARED_CREDENTIALS_FILE".to_owned(),
            "/nonexistent/awsig-test/credentials".to_owned(),
        ),
        ("AWS_EC2_METADATA_DISABLED".to_owned(), "true".to_owned()),
    ]);
    for (k, v) in vars {
        map.insert((*k).to_owned(), (*v).to_owned());
    }
    let env = VarsEnvironment::new(map);
    let (mut out, mut err) = (Vec::new(), Vec::new());
    // A clock far from the suite's time: only --time makes the cases valid.
    let code = awsig_cli::run_with(
        &args,
        std::sync::Arc::new(env),
        SystemTime::now(),
        &mut out,
        &mut err,
    );
    (
        code,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

fn file(case: &str, name: &str) -> String {
    format!("{SUITE}/{case}/{name}")
}

const CREDS: &[(&str, &str)] = &[
    ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
    ("AWS_SECRET_ACCESS_KEY", SECRET),
];

#[test]
fn suite_requests_verify() {
    for (case, name) in [
        ("get-vanilla", "header-signed-request.txt"),
        ("get-vanilla", "query-signed-request.txt"),
        ("post-x-www-form-urlencoded", "header-signed-request.txt"),
        ("get-utf8", "header-signed-request.txt"),
    ] {
        let path = file(case, name);
        let (code, out, err) = run(
            &["--request-file", &path, "--time", "2015-08-30T12:36:00Z"],
            CREDS,
        );
        assert_eq!(
            (code, out.as_str(), err.as_str()),
            (0, "OK\n", ""),
            "{case}/{name}"
        );
    }
    // With the subcommand name in front, and --flag=value forms.
    let path = file("get-vanilla", "header-signed-request.txt");
    let (code, out, _) = run(
        &[
            "verify",
            &format!("--request-file={path}"),
            "--time=2015-08-30T12:40:00Z",
            "--service=service",
            "--region=us-east-1",
        ],
        CREDS,
    );
    assert_eq!((code, out.as_str()), (0, "OK\n"));
}

#[test]
fn session_token_comes_from_the_environment() {
    let path = file(
        "get-vanilla-with-session-token",
        "header-signed-request.txt",
    );
    let token = "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267";
    let mut vars = CREDS.to_vec();
    vars.push(("AWS_SESSION_TOKEN", token));
    let args = [
        "--request-file",
        path.as_str(),
        "--time",
        "2015-08-30T12:36:00Z",
    ];
    assert_eq!(run(&args, &vars).0, 0);
    let (code, out, _) = run(&args, CREDS);
    assert_eq!(code, 1);
    assert!(out.starts_with("InvalidToken: "), "{out}");
    // The message says what is wrong with the token: here the request
    // carries one and the credentials have none.
    assert!(out.contains("not expected"), "{out}");
}

#[test]
fn rejections_print_the_aws_code_and_exit_1() {
    let path = file("get-vanilla", "header-signed-request.txt");
    // The real clock is years after the suite's time.
    let (code, out, _) = run(&["--request-file", &path], CREDS);
    assert_eq!(code, 1);
    assert!(out.starts_with("RequestTimeTooSkewed: "), "{out}");

    let (code, out, _) = run(
        &[
            "--request-file",
            &path,
            "--time",
            "2015-08-30T12:36:00Z",
            "--region",
            "eu-west-1",
        ],
        CREDS,
    );
    assert_eq!(code, 1);
    assert!(out.starts_with("AuthorizationHeaderMalformed: "), "{out}");

    let (code, out, _) = run(
        &[
            "--request-file",
            &path,
            "--time",
            "2015-08-30T12:36:00Z",
            "--service",
            "s3",
        ],
        CREDS,
    );
    assert_eq!(code, 1);
    assert!(out.starts_with("AuthorizationHeaderMalformed: "), "{out}");

    let wrong = [
        ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
        ("AWS_SECRET_ACCESS_KEY", "not-the-secret"),
    ];
    let (code, out, _) = run(
        &["--request-file", &path, "--time", "2015-08-30T12:36:00Z"],
        &wrong,
    );
    assert_eq!(code, 1);
    assert!(out.starts_with("SignatureDoesNotMatch: "), "{out}");
    // What the server computed, for the client to compare: the suite's own
    // canonical request for this case.
    let expected =
        std::fs::read_to_string(file("get-vanilla", "header-canonical-request.txt")).unwrap();
    assert!(out.contains(expected.trim_end()), "{out}");
    assert!(!out.contains("not-the-secret"));

    let other = [
        ("AWS_ACCESS_KEY_ID", "AKIDOTHER"),
        ("AWS_SECRET_ACCESS_KEY", SECRET),
    ];
    let (code, out, _) = run(
        &["--request-file", &path, "--time", "2015-08-30T12:36:00Z"],
        &other,
    );
    assert_eq!(code, 1);
    assert!(out.starts_with("InvalidAccessKeyId: "), "{out}");
}

#[test]
fn bad_arguments_and_environment_exit_2() {
    let path = file("get-vanilla", "header-signed-request.txt");
    // (arguments, what the message must name)
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec![], "--request-file"),
        (vec!["--request-file"], "--request-file"),
        (vec!["--time", "2015-08-30T12:36:00Z"], "--request-file"),
        (vec!["--request-file", path.as_str(), "--bogus"], "--bogus"),
        (
            vec![
                "--request-file",
                path.as_str(),
                "--request-file",
                path.as_str(),
            ],
            "--request-file",
        ),
        (
            vec!["--request-file", path.as_str(), "--time", "yesterday"],
            "yesterday",
        ),
        (
            vec!["--request-file", "/nonexistent/request.txt"],
            "/nonexistent/request.txt",
        ),
        (vec!["--request-file", SUITE], SUITE),
        (
            vec!["--request-file", path.as_str(), "--region", "us-east-l"],
            "us-east-l",
        ),
        (
            vec!["--request-file", path.as_str(), "--service", "S3"],
            "S3",
        ),
    ];
    for (args, named) in cases {
        let (code, out, err) = run(&args, CREDS);
        assert_eq!(code, 2, "{args:?}");
        assert!(out.is_empty(), "{args:?}");
        assert!(err.contains(named), "{args:?}: {err}");
    }
    // Half a key pair: one line naming the missing variable.
    let (code, _, err) = run(
        &["--request-file", &path],
        &[("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")],
    );
    assert_eq!(code, 2);
    assert!(err.contains("AWS_SECRET_ACCESS_KEY"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    // An unknown profile, from the flag or from AWS_PROFILE.
    let (code, _, err) = run(&["--request-file", &path, "--profile", "nope"], CREDS);
    assert_eq!(code, 2);
    assert!(
        err.contains("\"nope\"") && err.contains("--profile"),
        "{err}"
    );
    let mut vars = CREDS.to_vec();
    vars.push(("AWS_PROFILE", "nope"));
    let (code, _, err) = run(&["--request-file", &path], &vars);
    assert_eq!(code, 2);
    assert!(err.contains("AWS_PROFILE"), "{err}");
}

#[test]
fn example_credentials_are_used_only_when_asked_for() {
    let path = file("get-vanilla", "header-signed-request.txt");
    let args = [
        "--request-file",
        path.as_str(),
        "--time",
        "20150830T123600Z",
    ];
    let (code, _, err) = run(&args, &[]);
    assert_eq!(code, 2, "no credentials, no fallback: {err}");
    let mut with_flag = args.to_vec();
    with_flag.push("--example-credentials");
    assert_eq!(run(&with_flag, &[]).0, 0);
}

/// A suite case's signing context: from its `context.json`, or, for the
/// two older-format cases that have none, from their Authorization
/// header's scope and date (the same contexts `tests/verify.rs` uses).
struct SuiteContext {
    access_key_id: String,
    secret: String,
    token: Option<String>,
    region: String,
    service: String,
    time: String,
    normalize: bool,
    omit_session_token: bool,
}

fn suite_context(dir: &std::path::Path) -> SuiteContext {
    let name = dir.file_name().unwrap().to_str().unwrap();
    let Ok(text) = std::fs::read(dir.join("context.json")) else {
        let (access_key_id, secret, region, service, time) = match name {
            "double-url-encode" => (
                "AKIDEXAMPLE",
                SECRET,
                "us-east-2",
                "lambda",
                "2021-05-11T15:40:45Z",
            ),
            "double-encode-path" => (
                "ANOTREAL",
                "notrealrnrELgWzOk3IfjzDKtFBhDby",
                "us-east-1",
                "service",
                "2015-08-30T12:36:00Z",
            ),
            other => panic!("{other}: no context.json and not a known older-format case"),
        };
        return SuiteContext {
            access_key_id: access_key_id.to_owned(),
            secret: secret.to_owned(),
            token: None,
            region: region.to_owned(),
            service: service.to_owned(),
            time: time.to_owned(),
            normalize: true,
            omit_session_token: false,
        };
    };
    let v: serde_json::Value = serde_json::from_slice(&text).unwrap();
    let c = &v["credentials"];
    SuiteContext {
        access_key_id: c["access_key_id"].as_str().unwrap().to_owned(),
        secret: c["secret_access_key"].as_str().unwrap().to_owned(),
        token: c["token"].as_str().map(str::to_owned),
        region: v["region"].as_str().unwrap().to_owned(),
        service: v["service"].as_str().unwrap().to_owned(),
        time: v["timestamp"].as_str().unwrap().to_owned(),
        normalize: v["normalize"].as_bool().unwrap(),
        omit_session_token: v["omit_session_token"].as_bool().unwrap_or(false),
    }
}

/// `awsig verify` accepts every signed request of the AWS signing test
/// suite (header-signed and presigned), run with the flags its context
/// asks for: `--no-normalize` where the case does not normalize the path,
/// `--token-after-signing` where the token was left out of the signature.
/// Every case directory is counted; none is skipped. Without those flags,
/// exactly the cases that need them are refused.
#[test]
fn every_suite_signed_request_verifies_with_the_flags_of_its_context() {
    let mut dirs: Vec<std::path::PathBuf> = std::fs::read_dir(SUITE)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    let (mut cases, mut requests) = (0, 0);
    let mut need_flags = Vec::new();
    for dir in &dirs {
        let ctx = suite_context(dir);
        let mut vars = vec![
            ("AWS_ACCESS_KEY_ID", ctx.access_key_id.as_str()),
            ("AWS_SECRET_ACCESS_KEY", ctx.secret.as_str()),
        ];
        if let Some(token) = &ctx.token {
            vars.push(("AWS_SESSION_TOKEN", token));
        }
        let mut verified_here = 0;
        for file in ["header-signed-request.txt", "query-signed-request.txt"] {
            let path = dir.join(file);
            if !path.exists() {
                continue;
            }
            let path = path.to_str().unwrap().to_owned();
            let mut args = vec![
                "--request-file",
                &path,
                "--time",
                &ctx.time,
                "--service",
                &ctx.service,
                "--region",
                &ctx.region,
            ];
            let plain = args.clone();
            if !ctx.normalize {
                args.push("--no-normalize");
            }
            if ctx.omit_session_token {
                args.push("--token-after-signing");
            }
            let (code, out, err) = run(&args, &vars);
            assert_eq!(
                (code, out.as_str(), err.as_str()),
                (0, "OK\n", ""),
                "{path} {args:?}"
            );
            if args.len() > plain.len() {
                // Without --service, the flags apply to the service the
                // request's credential scope names.
                let mut unscoped = args.clone();
                unscoped.drain(4..8);
                let (code, out, _) = run(&unscoped, &vars);
                assert_eq!((code, out.as_str()), (0, "OK\n"), "{path} {unscoped:?}");
                let (code, out, _) = run(&plain, &vars);
                if code != 0 {
                    assert_eq!(code, 1, "{path}: {out}");
                    let name = dir.file_name().unwrap().to_str().unwrap();
                    let refusal = out.split(':').next().unwrap().to_owned();
                    need_flags.push((format!("{name}/{file}"), refusal));
                }
            }
            verified_here += 1;
        }
        assert!(verified_here > 0, "{}: no signed request", dir.display());
        requests += verified_here;
        cases += 1;
    }
    assert_eq!(cases, dirs.len());
    assert_eq!(cases, 40, "the suite's v4 case directories");
    assert_eq!(
        requests, 78,
        "38 cases signed both ways, 2 older ones by header"
    );
    let mismatch = "SignatureDoesNotMatch";
    let expected = [
        ("get-relative-relative-unnormalized", mismatch, mismatch),
        ("get-relative-unnormalized", mismatch, mismatch),
        ("get-slash-dot-slash-unnormalized", mismatch, mismatch),
        ("get-slash-pointless-dot-unnormalized", mismatch, mismatch),
        ("get-slash-unnormalized", mismatch, mismatch),
        ("get-slashes-unnormalized", mismatch, mismatch),
        // An unsigned token header is refused before the signature is
        // checked, as S3 refuses unsigned x-amz-* headers.
        ("post-sts-header-after", "AccessDenied", mismatch),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .flat_map(|(case, header, query)| {
            [
                (
                    format!("{case}/header-signed-request.txt"),
                    (*header).to_owned(),
                ),
                (
                    format!("{case}/query-signed-request.txt"),
                    (*query).to_owned(),
                ),
            ]
        })
        .collect();
    assert_eq!(need_flags, expected);
}

/// A request as `awsig verify` reads it: request line, headers, a blank
/// line, the body.
fn request_text(request: &http::Request<Vec<u8>>) -> Vec<u8> {
    let target = request
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    let mut text = format!("{} {target} HTTP/1.1\n", request.method());
    text += &format!("Host:{}\n", request.uri().host().unwrap());
    for (name, value) in request.headers() {
        text += &format!("{name}:{}\n", value.to_str().unwrap());
    }
    text.push('\n');
    let mut bytes = text.into_bytes();
    bytes.extend_from_slice(request.body());
    bytes
}

/// `--token-after-signing` applies to the service the request's scope
/// names when --service is not given: an S3 request (its path signed as
/// sent, encoded once) signed with the token added afterwards verifies,
/// header-signed and presigned, and is refused without the flag.
#[test]
fn token_after_signing_keeps_the_rules_of_the_service_in_the_scope() {
    use awsig::{Credentials, PayloadHash, SessionTokenMode, Settings, Signer};
    let token = "token/with+special=chars";
    let creds = Credentials::build("AKIDEXAMPLE", SECRET, Some(token), None).unwrap();
    let signer = Signer::new(creds, "us-east-1", "s3")
        .unwrap()
        .with_settings(Settings::s3().with_session_token(SessionTokenMode::AddedAfterSigning));
    let now = awsig::AmzDate::parse("20150830T123600Z")
        .unwrap()
        .to_system_time();
    let url = "https://bucket.s3.us-east-1.amazonaws.com/a//b/../c%2Bd";
    let dir = tempfile::tempdir().unwrap();
    let mut vars = CREDS.to_vec();
    vars.push(("AWS_SESSION_TOKEN", token));
    for presigned in [false, true] {
        let mut request = http::Request::put(url).body(b"data".to_vec()).unwrap();
        if presigned {
            // S3's presigned URLs sign UNSIGNED-PAYLOAD.
            signer
                .presign(
                    &mut request,
                    std::time::Duration::from_secs(60),
                    &PayloadHash::Unsigned,
                    now,
                )
                .unwrap();
        } else {
            signer
                .sign(&mut request, &PayloadHash::of(b"data"), now)
                .unwrap();
        }
        let path = dir.path().join("request.txt");
        std::fs::write(&path, request_text(&request)).unwrap();
        let path = path.to_str().unwrap();
        let args = ["--request-file", path, "--time", "20150830T123600Z"];
        for extra in [
            &["--token-after-signing"][..],
            &["--token-after-signing", "--service", "s3"],
        ] {
            let mut all = args.to_vec();
            all.extend(extra);
            let (code, out, err) = run(&all, &vars);
            assert_eq!(
                (code, out.as_str(), err.as_str()),
                (0, "OK\n", ""),
                "{all:?}"
            );
        }
        let (code, out, _) = run(&args, &vars);
        let refusal = if presigned {
            "SignatureDoesNotMatch: "
        } else {
            "AccessDenied: there were headers present in the request which were not signed: \
             x-amz-security-token\n"
        };
        assert_eq!(code, 1, "{out}");
        assert!(out.starts_with(refusal), "{out}");
    }
}

/// An S3 upload declaring the streaming `marker`, its headers signed with
/// SigV4 (or SigV4a), written as `awsig verify` reads it with `body` after
/// the head. `body` is taken as it is: the chunks are not encoded here.
fn streaming_request(
    marker: awsig::PayloadHash,
    data_len: usize,
    body: &[u8],
    v4a: bool,
) -> Vec<u8> {
    use awsig::{Credentials, PayloadHash};
    let mut builder = http::Request::put("https://bucket.s3.us-east-1.amazonaws.com/key")
        .header("content-encoding", "aws-chunked")
        .header("x-amz-decoded-content-length", data_len.to_string())
        .header("content-length", body.len().to_string());
    if matches!(
        marker,
        PayloadHash::StreamingSignedTrailer | PayloadHash::StreamingUnsignedTrailer
    ) {
        builder = builder.header("x-amz-trailer", "x-amz-checksum-crc32c");
    }
    let mut request = builder.body(body.to_vec()).unwrap();
    let creds = Credentials::new("AKIDEXAMPLE", SECRET).unwrap();
    let now = awsig::AmzDate::parse("20240101T000000Z")
        .unwrap()
        .to_system_time();
    if v4a {
        #[cfg(feature = "sigv4a")]
        awsig::v4a::Signer::new(creds, "us-east-1", "s3")
            .unwrap()
            .sign(&mut request, &marker, now)
            .unwrap();
        #[cfg(not(feature = "sigv4a"))]
        panic!("SigV4a signing needs the sigv4a feature");
    } else {
        awsig::Signer::new(creds, "us-east-1", "s3")
            .unwrap()
            .sign(&mut request, &marker, now)
            .unwrap();
    }
    request_text(&request)
}

/// Runs `awsig verify` on `request` at the time `streaming_request` signs.
fn verify_text(request: &[u8]) -> (u8, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("request.txt");
    std::fs::write(&path, request).unwrap();
    run(
        &[
            "--request-file",
            path.to_str().unwrap(),
            "--time",
            "20240101T000000Z",
        ],
        CREDS,
    )
}

/// Built without `chunked`, a request whose signature is valid but whose
/// body is aws-chunked is not called OK: one line says which feature
/// checks its chunks.
#[cfg(not(feature = "chunked"))]
#[test]
fn aws_chunked_needs_the_chunked_feature() {
    use awsig::PayloadHash;
    for marker in [
        PayloadHash::StreamingSigned,
        PayloadHash::StreamingSignedTrailer,
        PayloadHash::StreamingUnsignedTrailer,
    ] {
        let request = streaming_request(marker, 5, b"5\r\nhello\r\n0\r\n\r\n", false);
        let (code, out, err) = verify_text(&request);
        assert_eq!(
            (code, out.as_str(), err.as_str()),
            (
                2,
                "",
                format!(
                    "awsig: error: the request's signature is valid, but its body is aws-chunked \
                     (x-amz-content-sha256: {marker}) and this awsig was built without aws-chunked \
                     support, so its chunks cannot be checked; run it with `cargo run --features \
                     chunked --example awsig -- verify ...`\n"
                )
                .as_str()
            ),
            "{marker}"
        );
    }
}

/// Built without `sigv4a`, a SigV4a request (the v4a suite's, header-signed
/// and presigned) gets one line naming the feature, not a parse error.
#[cfg(not(feature = "sigv4a"))]
#[test]
fn sigv4a_needs_the_sigv4a_feature() {
    for name in ["header-signed-request.txt", "query-signed-request.txt"] {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/testdata/aws-signing-test-suite/v4a/get-vanilla/"
        )
        .to_owned()
            + name;
        let (code, out, err) = run(
            &["--request-file", &path, "--time", "2015-08-30T12:36:00Z"],
            CREDS,
        );
        assert_eq!(
            (code, out.as_str(), err.as_str()),
            (
                2,
                "",
                format!(
                    "awsig: error: --request-file {path}: the request is signed with SigV4a \
                     (AWS4-ECDSA-P256-SHA256), and this awsig was built without SigV4a; run it \
                     with `cargo run --features sigv4a --example awsig -- verify ...`\n"
                )
                .as_str()
            )
        );
    }
}

/// Signs `data` as an aws-chunked upload with `awsig sign --chunked 8KiB`
/// and `flags`, and returns the head and the encoded body.
#[cfg(feature = "chunked")]
fn chunked_upload(data: &[u8], flags: &[&str]) -> (String, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let data_file = dir.path().join("data.bin");
    std::fs::write(&data_file, data).unwrap();
    let body_file = dir.path().join("body.bin");
    let mut args = vec![
        "sign",
        "-X",
        "PUT",
        "--example-credentials",
        "--time",
        "20240101T000000Z",
        "--chunked",
        "8KiB",
        "--data-file",
        data_file.to_str().unwrap(),
        "--body-out",
        body_file.to_str().unwrap(),
    ];
    args.extend(flags);
    args.push("https://bucket.s3.us-east-1.amazonaws.com/key");
    let (code, out, err) = run_cli(&args, &[]);
    assert_eq!(code, 0, "{err}");
    (out, std::fs::read(&body_file).unwrap())
}

/// `verify` of an aws-chunked body says in plain words what is wrong and
/// where: the chunk (or the trailer), the byte of the body, the header
/// line at fault, and what the request's x-amz-content-sha256 declares;
/// and `OK` says what was checked: chunk signatures, or, for unsigned
/// chunks, only the trailer's checksum.
#[cfg(feature = "chunked")]
#[test]
fn chunked_refusals_name_the_chunk_and_the_problem() {
    let data: Vec<u8> = (0..20_000u32).map(|i| (i % 251) as u8).collect();
    let with = |head: &str, body: &[u8]| {
        let mut request = head.as_bytes().to_vec();
        request.extend_from_slice(body);
        let (code, out, err) = verify_text(&request);
        assert_eq!(err, "");
        (code, out)
    };
    let signed = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";

    // Signed chunks: 8192 + 8192 + 3616 bytes, then the final chunk.
    let (head, body) = chunked_upload(&data, &[]);
    assert_eq!(
        with(&head, &body),
        (
            0,
            "OK (aws-chunked: 20000 bytes of data, every chunk's signature checked)\n".to_owned()
        )
    );
    let header_len = "2000;chunk-signature=".len() + 64 + 2;
    let second = header_len + 8192 + 2;
    // The second chunk's header without its signature.
    let mut unsigned_second = body[..second].to_vec();
    unsigned_second.extend_from_slice(b"2000\r\n");
    unsigned_second.extend_from_slice(&body[second + header_len..]);
    assert_eq!(
        with(&head, &unsigned_second),
        (
            1,
            format!(
                "IncompleteBody: chunk 2 (byte {} of the body): its header \"2000\" has no \
                 ;chunk-signature=, but x-amz-content-sha256 {signed} says every chunk is signed\n",
                second + 6
            )
        )
    );
    // Cut short in the third chunk.
    let cut = second + header_len + 8192 + 2 + 100;
    assert_eq!(
        with(&head, &body[..cut]),
        (
            1,
            format!(
                "IncompleteBody: the body ends after {cut} bytes, in chunk 3: the final zero-size \
                 chunk and the empty line that end an aws-chunked body never came (the body is cut \
                 short)\n"
            )
        )
    );
    // Bytes after the end.
    let mut longer = body.clone();
    longer.extend_from_slice(b"xyz");
    assert_eq!(
        with(&head, &longer),
        (
            1,
            format!(
                "IncompleteBody: 3 more bytes follow the end of the aws-chunked body (its final \
                 chunk), at byte {}: the body is longer than its encoding\n",
                body.len()
            )
        )
    );
    // The first chunk declares more data than it holds.
    let mut bigger = body.clone();
    bigger[..4].copy_from_slice(b"3000");
    assert_eq!(
        with(&head, &bigger),
        (
            1,
            format!(
                "IncompleteBody: chunk 1 (byte {} of the body): its data is not followed by CRLF \
                 where the size in its header says it ends: the size is wrong, or the data is \
                 longer or shorter than it\n",
                header_len + 0x3000
            )
        )
    );

    // Unsigned chunks with a CRC32C trailer: "123456789" is CRC-32C's
    // check input, whose checksum is e3069283 (base64 4waSgw==).
    let unsigned = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";
    let (head, body) = chunked_upload(b"123456789", &["--trailer", "crc32c", "--unsigned-chunks"]);
    assert_eq!(
        String::from_utf8_lossy(&body),
        "9\r\n123456789\r\n0\r\nx-amz-checksum-crc32c:4waSgw==\r\n\r\n"
    );
    assert_eq!(
        with(&head, &body),
        (
            0,
            "OK (aws-chunked: 9 bytes of data, chunks unsigned; the data matches the trailer \
             x-amz-checksum-crc32c:4waSgw==)\n"
                .to_owned()
        )
    );
    let cases: [(&[u8], &str); 5] = [
        (
            b"9\r\n123456789\r\n0\r\nx-amz-checksum-crc32c:AAAAAA==\r\n\r\n",
            "BadDigest: the data does not match the trailer: x-amz-checksum-crc32c is \
             \"AAAAAA==\" but the data's is \"4waSgw==\"; the chunks are unsigned \
             (STREAMING-UNSIGNED-PAYLOAD-TRAILER), so this checksum is all that covers the data, \
             and which chunk changed cannot be told\n",
        ),
        (
            b"9;chunk-signature=0000000000000000000000000000000000000000000000000000000000000000\r\n\
              123456789\r\n0\r\nx-amz-checksum-crc32c:4waSgw==\r\n\r\n",
            &format!(
                "IncompleteBody: chunk 1 (byte 84 of the body): its header \
                 \"9;chunk-signature={}...\" carries more than the size (such as ;chunk-signature=), but x-amz-content-sha256 \
                 {unsigned} says the chunks are unsigned: the header is the size in hex alone\n",
                "0".repeat(80 - "9;chunk-signature=".len())
            ),
        ),
        (
            b"9\r\n123456789\r\n0\r\n\r\n",
            "MalformedTrailerError: the trailer (byte 19 of the body): x-amz-checksum-crc32c, \
             which x-amz-trailer declares, is missing: the body ends after the final chunk\n",
        ),
        (
            b"9\r\n123456789\r\n0\r\nx-amz-checksum-crc32:4waSgw==\r\n\r\n",
            "MalformedTrailerError: the trailer (byte 48 of the body): the trailer \
             \"x-amz-checksum-crc32:4waSgw==\" is not x-amz-checksum-crc32c, the one x-amz-trailer \
             declares\n",
        ),
        // Not aws-chunked at all.
        (
            b"hello, world\r\n",
            "IncompleteBody: chunk 1 (byte 14 of the body): its header \"hello, world\" does not \
             start with the chunk's size: 1 to 16 lowercase hex digits without leading zeros (is \
             the body aws-chunked encoded?)\n",
        ),
    ];
    for (bad, says) in cases {
        assert_eq!(
            with(&head, bad),
            (1, says.to_owned()),
            "{}",
            String::from_utf8_lossy(bad)
        );
    }
}

/// A streaming body awsig does not check is never called OK as if it had
/// been: an event stream's messages are said to be unchecked, and an
/// upload whose chunks are signed with SigV4a (ECDSA) is refused as not
/// implemented.
#[test]
fn unchecked_streaming_bodies_are_not_plain_ok() {
    use awsig::PayloadHash;
    let events = streaming_request(PayloadHash::StreamingEvents, 5, b"events", false);
    assert_eq!(
        verify_text(&events),
        (
            0,
            "OK (the request's signature only: the event stream messages in the body are not \
             checked)\n"
                .to_owned(),
            String::new()
        )
    );
    // The SigV4a marker is refused before the signature is computed.
    let ecdsa = "PUT /key HTTP/1.1\n\
        Host:bucket.s3.us-east-1.amazonaws.com\n\
        X-Amz-Date:20240101T000000Z\n\
        X-Amz-Content-Sha256:STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD\n\
        X-Amz-Decoded-Content-Length:5\n\
        Authorization:AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/s3/aws4_request, \
        SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length, \
        Signature=0000000000000000000000000000000000000000000000000000000000000000\n\n";
    assert_eq!(
        verify_text(ecdsa.as_bytes()),
        (
            1,
            "NotImplemented: x-amz-content-sha256 is STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD: \
             aws-chunked bodies whose chunks are signed with SigV4a (ECDSA) cannot be checked by \
             awsig\n"
                .to_owned(),
            String::new()
        )
    );
}

/// A SigV4a request with an aws-chunked body verifies its headers, but
/// awsig cannot check its body: refused, not OK.
#[cfg(all(feature = "chunked", feature = "sigv4a"))]
#[test]
fn sigv4a_aws_chunked_is_not_implemented() {
    let body = b"5\r\nhello\r\n0\r\nx-amz-checksum-crc32c:mnG7TA==\r\n\r\n";
    let v4a = streaming_request(awsig::PayloadHash::StreamingUnsignedTrailer, 5, body, true);
    assert_eq!(
        verify_text(&v4a),
        (
            1,
            "NotImplemented: the request's signature is valid, but awsig cannot check the \
             aws-chunked body (x-amz-content-sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER) of a \
             request signed with AWS4-ECDSA-P256-SHA256\n"
                .to_owned(),
            String::new()
        )
    );
}
