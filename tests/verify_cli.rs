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

fn run(args: &[&str], vars: &[(&str, &str)]) -> (u8, String, String) {
    let args: Vec<String> = std::iter::once("verify")
        .chain(args.iter().copied().filter(|a| *a != "verify"))
        .map(str::to_owned)
        .collect();
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
