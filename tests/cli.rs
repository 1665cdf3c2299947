//! The `awsig` example, run as a user runs it.
#![cfg(feature = "credentials")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::PathBuf;
use std::process::{Command, Output};

const SUITE: &str = "testdata/aws-signing-test-suite/v4";

fn example() -> PathBuf {
    // `cargo test` builds the examples next to the test binaries' `deps/`.
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().parent().unwrap();
    let bin = dir
        .join("examples")
        .join(format!("awsig{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.exists(),
        "{} is missing: build it with `cargo build --example awsig`",
        bin.display()
    );
    bin
}

fn awsig(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(example());
    cmd.args(args);
    // Nothing from the machine: no environment credentials, no shared files,
    // and no instance metadata service to ask.
    for var in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_ACCESS_KEY",
        "AWS_SECRET_KEY",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_ROLE_ARN",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("AWS_CONFIG_FILE", "/nonexistent/awsig-test/config")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/awsig-test/credentials",
        )
        .env("AWS_EC2_METADATA_DISABLED", "true");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

const SUITE_CREDS: [(&str, &str); 3] = [
    ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
    (
        "AWS_SECRET_ACCESS_KEY",
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    ),
    (
        "AWS_SESSION_TOKEN",
        "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267",
    ),
];

#[test]
fn sign_prints_the_suite_signed_request_exactly() {
    let out = awsig(
        &[
            "sign",
            "--time",
            "2015-08-30T12:36:00Z",
            "--service",
            "service",
            "--region",
            "us-east-1",
            "https://example.amazonaws.com/",
        ],
        &SUITE_CREDS,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let want = std::fs::read(format!(
        "{SUITE}/get-vanilla-with-session-token/header-signed-request.txt"
    ))
    .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&want)
    );
}

#[test]
fn print_shows_each_stage_of_a_suite_case() {
    let case = format!("{SUITE}/get-vanilla-with-session-token");
    for (stage, file) in [
        ("canonical-request", "header-canonical-request.txt"),
        ("string-to-sign", "header-string-to-sign.txt"),
        ("signature", "header-signature.txt"),
    ] {
        let out = awsig(
            &[
                "sign",
                "--print",
                stage,
                "--time",
                "2015-08-30T12:36:00Z",
                "--service",
                "service",
                "--region",
                "us-east-1",
                "https://example.amazonaws.com/",
            ],
            &SUITE_CREDS,
        );
        let want = std::fs::read_to_string(format!("{case}/{file}")).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim_end(),
            want.trim_end(),
            "{stage}"
        );
    }

    // Presigning a POST with a body and headers the URL's user must send.
    let form = format!("{SUITE}/post-x-www-form-urlencoded");
    let out = awsig(
        &[
            "presign",
            "-X",
            "POST",
            "-H",
            "Content-Type: application/x-www-form-urlencoded",
            "-H",
            "Content-Length: 13",
            "--data",
            "Param1=value1",
            "--print",
            "signature",
            "--time",
            "2015-08-30T12:36:00Z",
            "--service",
            "service",
            "--region",
            "us-east-1",
            "https://example.amazonaws.com/",
        ],
        &SUITE_CREDS[..2],
    );
    let want = std::fs::read_to_string(format!("{form}/query-signature.txt")).unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), want.trim());

    // --unsigned-payload declares UNSIGNED-PAYLOAD, in the canonical request
    // and in x-amz-content-sha256.
    let out = awsig(
        &[
            "sign",
            "--unsigned-payload",
            "--print",
            "canonical-request",
            "--service",
            "sqs",
            "--region",
            "us-east-1",
            "https://sqs.us-east-1.amazonaws.com/",
        ],
        &SUITE_CREDS,
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        text.contains("\nx-amz-content-sha256:UNSIGNED-PAYLOAD\n")
            && text.ends_with("\nUNSIGNED-PAYLOAD\n"),
        "{text}"
    );
}

#[test]
fn presign_prints_the_suite_presigned_target() {
    let out = awsig(
        &[
            "presign",
            "--expires",
            "3600",
            "--time",
            "2015-08-30T12:36:00Z",
            "--service",
            "service",
            "--region",
            "us-east-1",
            "https://example.amazonaws.com/",
        ],
        &SUITE_CREDS,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let want = std::fs::read_to_string(format!(
        "{SUITE}/get-vanilla-with-session-token/query-signed-request.txt"
    ))
    .unwrap();
    let target = want
        .lines()
        .next()
        .unwrap()
        .trim_start_matches("GET ")
        .trim_end_matches(" HTTP/1.1");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("https://example.amazonaws.com{target}")
    );
}

#[test]
fn missing_credentials_and_bad_arguments_exit_2() {
    let out = awsig(
        &[
            "sign",
            "--service",
            "s3",
            "--region",
            "us-east-1",
            "https://b.s3.amazonaws.com/k",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("AWS_ACCESS_KEY_ID") && err.contains("AWS_SECRET_ACCESS_KEY"),
        "{err}"
    );

    for args in [
        &["sign"][..],
        &["sign", "--bogus"],
        &["frobnicate"],
        &["sign", "--service", "s3", "https://a/"],
        &[],
    ] {
        let out = awsig(args, &SUITE_CREDS);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("usage:"),
            "{args:?}"
        );
    }
}

#[test]
fn verify_accepts_a_suite_request_and_rejects_a_wrong_secret() {
    let file = format!("{SUITE}/get-vanilla-with-session-token/header-signed-request.txt");
    let args = [
        "verify",
        "--request-file",
        &file,
        "--time",
        "2015-08-30T12:36:00Z",
    ];
    let out = awsig(&args, &SUITE_CREDS);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "OK");

    let wrong = [
        SUITE_CREDS[0],
        ("AWS_SECRET_ACCESS_KEY", "not-the-secret"),
        SUITE_CREDS[2],
    ];
    let out = awsig(&args, &wrong);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("SignatureDoesNotMatch"));

    let out = awsig(&["verify"], &SUITE_CREDS);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn sign_falls_back_to_a_profile_and_credentials_shows_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("credentials");
    std::fs::write(
        &file,
        "[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = s1\n\n\
         [ci]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\n",
    )
    .unwrap();
    let file = file.to_str().unwrap();
    let env = [("AWS_SHARED_CREDENTIALS_FILE", file)];
    let out = awsig(
        &[
            "sign",
            "--profile",
            "ci",
            "--print",
            "signature",
            "--time",
            "2015-08-30T12:36:00Z",
            "--service",
            "service",
            "--region",
            "us-east-1",
            "https://example.amazonaws.com/",
        ],
        &env,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let want =
        std::fs::read_to_string(format!("{SUITE}/get-vanilla/header-signature.txt")).unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), want.trim());

    let out = awsig(&["credentials", "--profile", "ci"], &env);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(text.contains("access_key_id: AKIDEXAMPLE\n"), "{text}");
    assert!(
        !text.contains("EXAMPLEKEY"),
        "the secret is never printed: {text}"
    );
}
