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
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
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
    // No credentials anywhere: one line that says where to put them, and
    // no usage text.
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
        err.contains("AWS_ACCESS_KEY_ID")
            && err.contains("AWS_SECRET_ACCESS_KEY")
            && err.contains("--example-credentials"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(!err.contains("Usage:"), "{err}");

    // Mistakes in the command line itself: the usage line and exit 2.
    for args in [
        &["sign"][..],
        &["sign", "--bogus", "https://a/"],
        &["frobnicate"],
        &["sign", "--data", "x", "--data-file", "f", "https://a/"],
        &[],
    ] {
        let out = awsig(args, &SUITE_CREDS);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("Usage:"),
            "{args:?}"
        );
    }

    // Mistakes in a value: one line naming the flag, no usage.
    let out = awsig(&["sign", "--service", "s3", "https://a/"], &SUITE_CREDS);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--region") && !err.contains("Usage:"), "{err}");
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

/// Mistakes a user makes, each with the exit status it must get and the
/// text its message must name: the bad input (and, where there is one, the
/// fix).
#[test]
fn mistakes_get_exit_2_and_a_message_naming_the_input() {
    const URL: &str = "https://examplebucket.s3.us-east-1.amazonaws.com/photos/cat.jpg";
    let req = format!("{SUITE}/get-vanilla/header-signed-request.txt");
    let ex = "--example-credentials";
    let creds_file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        creds_file.path(),
        "[ci]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = x\n",
    )
    .unwrap();
    let creds_path = creds_file.path().to_str().unwrap();
    // (arguments, environment, exit status, text the message must contain)
    type Mistake<'a> = (Vec<&'a str>, Vec<(&'a str, &'a str)>, i32, Vec<&'a str>);
    let cases: Vec<Mistake<'_>> = vec![
        (vec![], vec![], 2, vec!["sign", "presign", "verify"]),
        (vec!["frobnicate"], vec![], 2, vec!["frobnicate"]),
        (vec!["sign", ex], vec![], 2, vec!["<URL>"]),
        (vec!["sign", ex, "--bogus", URL], vec![], 2, vec!["--bogus"]),
        (
            vec!["sign", ex, "--data", "x", "--data-file", "f", URL],
            vec![],
            2,
            vec!["--data", "--data-file"],
        ),
        (
            vec!["sign", ex, "--expires", "60", URL],
            vec![],
            2,
            vec!["--expires 60", "presign"],
        ),
        (
            vec!["sign", ex, "--print", "nonsense", URL],
            vec![],
            2,
            vec!["nonsense"],
        ),
        (
            vec!["sign", ex, "--print", "signature", "--curl", URL],
            vec![],
            2,
            vec!["--curl", "--print"],
        ),
        (
            vec!["sign", ex, "--time", "yesterday", URL],
            vec![],
            2,
            vec!["yesterday", "20150830T123600Z"],
        ),
        (
            vec!["sign", ex, "--time", "2015-13-01T00:00:00Z", URL],
            vec![],
            2,
            vec!["2015-13-01T00:00:00Z"],
        ),
        (
            vec!["sign", ex, "--service", "S3", URL],
            vec![],
            2,
            vec!["\"S3\"", "--service s3"],
        ),
        (
            vec!["sign", ex, "--service", "APS", URL],
            vec![],
            2,
            vec!["\"APS\"", "--service aps"],
        ),
        (
            vec!["sign", ex, "--region", "us-east-l", URL],
            vec![],
            2,
            vec!["us-east-l", "us-east-1", "--allow-custom-region"],
        ),
        (
            vec!["sign", ex, "--region", "useast1", URL],
            vec![],
            2,
            vec!["useast1"],
        ),
        (
            vec![
                "sign",
                ex,
                "--service",
                "s3",
                "https://minio.local:9000/b/k",
            ],
            vec![("AWS_REGION", "eu-west")],
            2,
            vec!["AWS_REGION", "\"eu-west\""],
        ),
        (
            vec![
                "sign",
                ex,
                "--service",
                "s3",
                "https://minio.local:9000/b/k",
            ],
            vec![],
            2,
            vec!["minio.local", "--region"],
        ),
        (
            vec!["sign", ex, "https://storage.example.com/b/k"],
            vec![],
            2,
            vec!["storage.example.com", "--service"],
        ),
        (
            vec!["sign", ex, "-H", "NoColon", URL],
            vec![],
            2,
            vec!["NoColon", "Name: value"],
        ),
        (
            vec!["sign", ex, "-H", ": value", URL],
            vec![],
            2,
            vec![": value"],
        ),
        (
            vec!["sign", ex, "--data-file", "/nonexistent/body.bin", URL],
            vec![],
            2,
            vec!["/nonexistent/body.bin"],
        ),
        (
            vec![
                "sign",
                ex,
                "--service",
                "s3",
                "--region",
                "us-east-1",
                "/photos/cat.jpg",
            ],
            vec![],
            2,
            vec!["/photos/cat.jpg"],
        ),
        (
            vec!["sign", ex, "-X", "BAD METHOD", URL],
            vec![],
            2,
            vec!["BAD METHOD"],
        ),
        (
            vec![
                "sign",
                ex,
                "https://examplebucket.s3.us-east-1.amazonaws.com/a%zz",
            ],
            vec![],
            2,
            vec!["%zz"],
        ),
        (
            vec!["sign", "--profile", "nope", URL],
            vec![],
            2,
            vec!["--profile", "\"nope\""],
        ),
        (
            vec!["sign", URL],
            vec![("AWS_PROFILE", "nope")],
            2,
            vec!["AWS_PROFILE", "\"nope\""],
        ),
        (
            vec!["sign", "--profile", "ci", ex, URL],
            vec![],
            2,
            vec!["--profile", "--example-credentials"],
        ),
        (
            vec!["sign", URL],
            vec![],
            2,
            vec!["AWS_ACCESS_KEY_ID", "--example-credentials"],
        ),
        (
            vec!["sign", URL],
            vec![("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")],
            2,
            vec!["AWS_SECRET_ACCESS_KEY"],
        ),
        (
            vec!["sign", "--profile", "broken", URL],
            vec![("AWS_SHARED_CREDENTIALS_FILE", creds_path)],
            2,
            vec!["\"broken\""],
        ),
        (
            vec!["presign", ex, "--expires", "0", URL],
            vec![],
            2,
            vec!["--expires 0", "604800"],
        ),
        (
            vec!["presign", ex, "--expires", "604801", URL],
            vec![],
            2,
            vec!["604801"],
        ),
        (
            vec!["presign", ex, "--expires", "ten", URL],
            vec![],
            2,
            vec!["ten"],
        ),
        (
            vec!["presign", ex, "--region", "Europe", URL],
            vec![],
            2,
            vec!["Europe"],
        ),
        (vec!["verify", ex], vec![], 2, vec!["--request-file"]),
        (
            vec!["verify", ex, "--request-file", "/nonexistent/req.txt"],
            vec![],
            2,
            vec!["/nonexistent/req.txt"],
        ),
        (
            vec!["verify", ex, "--request-file", SUITE],
            vec![],
            2,
            vec![SUITE],
        ),
        (
            vec![
                "verify",
                ex,
                "--request-file",
                &req,
                "--region",
                "eu_west_1",
            ],
            vec![],
            2,
            vec!["eu_west_1"],
        ),
        (
            vec!["verify", "--profile", "nope", "--request-file", &req],
            vec![],
            2,
            vec!["\"nope\""],
        ),
        (
            vec!["credentials", "--profile", "nope"],
            vec![],
            2,
            vec!["\"nope\""],
        ),
        (vec!["credentials", "--bogus"], vec![], 2, vec!["--bogus"]),
        (
            vec!["credentials"],
            vec![],
            2,
            vec!["no credentials", "AWS_ACCESS_KEY_ID"],
        ),
        // The operation itself fails: exit 1.
        (
            vec!["verify", ex, "--request-file", &req],
            vec![],
            1,
            vec!["RequestTimeTooSkewed"],
        ),
    ];
    assert!(cases.len() >= 25, "{} cases", cases.len());
    for (args, env, code, named) in &cases {
        let out = awsig(args, env);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let text = format!("{stdout}{stderr}");
        assert_eq!(out.status.code(), Some(*code), "{args:?} {env:?}: {text}");
        for n in named {
            assert!(
                text.contains(n),
                "{args:?}: the message should name {n:?}: {text}"
            );
        }
        // As the README says: our own errors are one line, without a usage
        // dump; clap's errors (the command line itself is wrong) are its
        // multi-line message ending in a pointer to --help; both exit 2. A
        // refused verification prints the AWS code on standard output and
        // exits 1.
        if stderr.starts_with("awsig: error: ") {
            assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
            assert!(!stderr.contains("Usage:"), "{args:?}: {stderr}");
        } else if args.is_empty() {
            // `awsig` alone: the help, on standard error.
            assert_eq!(*code, 2);
            assert!(
                stderr.starts_with("Sign and verify AWS Signature Version 4 requests\n"),
                "{stderr}"
            );
        } else if *code == 2 {
            assert!(stderr.starts_with("error: "), "{args:?}: {stderr}");
            assert!(stderr.lines().count() > 1, "{args:?}: {stderr}");
            assert!(
                stderr.ends_with("For more information, try '--help'.\n"),
                "{args:?}: {stderr}"
            );
        } else {
            assert_eq!((*code, stderr.as_ref()), (1, ""), "{args:?}");
        }
        assert!(stdout.is_empty() || *code == 1, "{args:?}: {stdout}");
    }
}

/// `--help` of each subcommand exits 0 and describes every flag and the
/// exit statuses.
#[test]
fn help_describes_every_flag() {
    let signing = [
        "--request",
        "-X",
        "--header",
        "-H",
        "--data",
        "--data-file",
        "--unsigned-payload",
        "--service",
        "--region",
        "--allow-custom-region",
        "--profile",
        "--example-credentials",
        "--time",
        "--print",
        "--curl",
        "<URL>",
    ];
    let mut presign = signing.to_vec();
    presign.push("--expires");
    let verify = [
        "--request-file",
        "--service",
        "--region",
        "--allow-custom-region",
        "--no-normalize",
        "--token-after-signing",
        "--profile",
        "--example-credentials",
        "--time",
    ];
    let event = [
        "--seed",
        "--message-file",
        "--end",
        "--out",
        "--print",
        "--service",
        "--region",
        "--allow-custom-region",
        "--profile",
        "--example-credentials",
        "--time",
    ];
    for (cmd, flags) in [
        ("sign", signing.to_vec()),
        ("presign", presign),
        ("verify", verify.to_vec()),
        ("credentials", vec!["--profile"]),
        ("event", event.to_vec()),
    ] {
        let out = awsig(&[cmd, "--help"], &[]);
        assert_eq!(out.status.code(), Some(0), "{cmd} --help");
        let help = String::from_utf8_lossy(&out.stdout);
        for flag in flags {
            assert!(help.contains(flag), "{cmd} --help does not mention {flag}");
        }
        for status in ["Exit status", "  0  ", "  1  ", "  2  "] {
            assert!(help.contains(status), "{cmd} --help: {status:?}");
        }
        // Every option line of the help has a description under it.
        let lines: Vec<&str> = help.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let t = line.trim_start();
            let option =
                t.starts_with("--") || (t.len() > 3 && t.starts_with('-') && &t[2..4] == ", ");
            if option {
                // The description follows on the same line (short help) or
                // on the next (long help).
                let same_line = t.split("  ").filter(|p| !p.trim().is_empty()).count() >= 2;
                let next = lines.get(i + 1).map_or("", |l| l.trim());
                assert!(
                    same_line || !next.is_empty(),
                    "{cmd}: {line} has no description"
                );
            }
        }
    }
    let out = awsig(&["--help"], &[]);
    assert_eq!(out.status.code(), Some(0));

    // The flags whose meaning differs in `event`: the region and time are
    // those of the stream, not of a URL.
    let out = awsig(&["event", "--help"], &[]);
    let help = String::from_utf8_lossy(&out.stdout);
    for says in [
        "Needs awsig built with `--features event-stream`",
        "--seed <HEX>\n          The prior signature, 64 hex digits: for the first message, the \
         seed signature (the Signature= of the request that opened the stream)",
        "--region <REGION>\n          Region of the credential scope the seed signature was made \
         for: the region in the Credential= of the request that opened the stream",
        "--time <TIME>\n          The message's signing time, sent in the envelope's :date header",
        "--service <NAME>\n          Signing name of the streaming service, as in the credential \
         scope of the request that opened the stream",
    ] {
        assert!(help.contains(says), "event --help lacks {says:?}:\n{help}");
    }
    assert!(!help.contains("URL"), "{help}");
}

/// `awsig event` signing the end of a transcribe stream in us-west-2 with
/// the example credentials, chained from `seed`.
fn event_end(seed: &str) -> [&str; 11] {
    [
        "event",
        "--seed",
        seed,
        "--end",
        "--service",
        "transcribe",
        "--region",
        "us-west-2",
        "--example-credentials",
        "--time",
        "2015-08-30T12:36:00Z",
    ]
}

/// `awsig event` exists in every build. Built without `event-stream`, it
/// fails whatever its flags with one line naming the feature to enable
/// (exit 2), and its --help still describes it; built with it, clap checks
/// the flags and a complete command signs.
#[test]
fn event_exists_in_every_build_and_names_its_feature() {
    let seed = "a".repeat(64);
    let complete = event_end(&seed);
    let help = awsig(&["event", "--help"], &[]);
    assert_eq!(help.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&help.stdout).contains("--features event-stream"));
    for args in [&["event"][..], &["event", "--bogus"], &complete] {
        let out = awsig(args, &[]);
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
        );
        if cfg!(feature = "event-stream") {
            if args.len() == complete.len() {
                assert_eq!(out.status.code(), Some(0), "{stderr}");
                assert_eq!(stdout.len(), 65, "{stdout}");
            } else {
                assert_eq!(out.status.code(), Some(2), "{args:?}");
                assert!(stderr.contains("Usage: awsig event"), "{stderr}");
            }
        } else {
            assert_eq!(
                (out.status.code(), stdout.as_ref(), stderr.as_ref()),
                (
                    Some(2),
                    "",
                    "awsig: error: event: this awsig was built without event stream support; run \
                     it with `cargo run --features event-stream --example awsig -- event ...`\n"
                ),
                "{args:?}"
            );
        }
    }
}

/// `--seed` is the 64 hex digits of a SigV4 signature, in either case;
/// anything else is refused with one line saying what was expected and
/// what was given, though the library's `PriorSignature::from_hex` takes
/// any even number of hex digits.
#[cfg(feature = "event-stream")]
#[test]
fn event_seed_is_64_hex_digits() {
    let run = |seed: &str| awsig(&event_end(seed), &[]);
    let expected = |got: &str| {
        format!(
            "awsig: error: --seed: expected 64 hex digits (the Signature= of the request that \
             opened the stream, or the previous envelope's signature), got {got}\n"
        )
    };
    for (seed, says) in [
        ("00".to_owned(), expected("2 characters")),
        ("a".repeat(62), expected("62 characters")),
        ("a".repeat(63), expected("63 characters")),
        ("a".repeat(65), expected("65 characters")),
        ("a".repeat(128), expected("128 characters")),
        (
            format!("g{}", "a".repeat(63)),
            "awsig: error: --seed: expected 64 hex digits, got 'g' at position 1\n".to_owned(),
        ),
        (
            format!("{}\u{e9}", "a".repeat(63)),
            "awsig: error: --seed: expected 64 hex digits, got '\u{e9}' at position 64\n"
                .to_owned(),
        ),
    ] {
        let out = run(&seed);
        assert_eq!(
            (
                out.status.code(),
                String::from_utf8_lossy(&out.stdout).as_ref(),
                String::from_utf8_lossy(&out.stderr).as_ref()
            ),
            (Some(2), "", says.as_str()),
            "{seed}"
        );
    }
    let lower = run(&"ab".repeat(32));
    let upper = run(&"AB".repeat(32));
    assert_eq!(lower.status.code(), Some(0));
    assert_eq!(lower.stdout, upper.stdout);
}

/// `sign --curl` quotes every value for the shell: header values with
/// quotes and spaces come back unchanged when a shell reads the command.
#[test]
fn curl_output_reads_back_through_a_shell() {
    let value = "it's a \"test\" $HOME `x` \\";
    let out = awsig(
        &[
            "sign",
            "--example-credentials",
            "--time",
            "20150830T123600Z",
            "--curl",
            "-X",
            "PUT",
            "-H",
            &format!("x-amz-meta-note: {value}"),
            "--data",
            "body with 'quotes'",
            "https://examplebucket.s3.us-east-1.amazonaws.com/a[1].txt",
        ],
        &[],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let command = String::from_utf8(out.stdout).unwrap();
    assert!(
        command.starts_with("curl --globoff --path-as-is"),
        "{command}"
    );
    // Replace curl with printf: the shell passes each argument as one line.
    let script = command.replacen("curl", "printf '%s\\n'", 1);
    let shell = Command::new("sh").arg("-c").arg(&script).output().unwrap();
    let args = String::from_utf8(shell.stdout).unwrap();
    let args: Vec<&str> = args.lines().collect();
    assert!(
        args.contains(&format!("x-amz-meta-note: {value}").as_str()),
        "{args:?}"
    );
    assert!(args.contains(&"body with 'quotes'"), "{args:?}");
    assert!(
        args.contains(&"https://examplebucket.s3.us-east-1.amazonaws.com/a[1].txt"),
        "{args:?}"
    );
    let auth = args
        .iter()
        .find(|a| a.starts_with("Authorization: "))
        .unwrap();
    assert!(
        auth.contains(
            "SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-meta-note"
        ) || auth.contains("SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-meta-note"),
        "{auth}"
    );
}

/// Answers one HTTP request on a loopback port with `body`, and hands back
/// the request's head.
fn one_shot_server(body: String) -> (String, std::thread::JoinHandle<String>) {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut head = String::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if line == "\r\n" || line.is_empty() {
                break;
            }
            head.push_str(&line);
        }
        let mut stream = stream;
        write!(
            stream,
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        head
    });
    (url, handle)
}

/// Writes the IAM Identity Center token cache of the `corp` session
/// (token `sso-token`, valid until 2099) under `home`.
fn write_sso_token_cache(home: &std::path::Path) {
    let name = awsig::provider::sso::SsoConfig {
        session_name: Some("corp".into()),
        start_url: String::new(),
        region: String::new(),
        account_id: None,
        role_name: None,
    }
    .cache_file_name();
    let cache = home.join(".aws/sso/cache");
    std::fs::create_dir_all(&cache).unwrap();
    std::fs::write(
        cache.join(name),
        r#"{"accessToken":"sso-token","expiresAt":"2099-01-01T00:00:00Z"}"#,
    )
    .unwrap();
}

#[test]
fn credentials_reports_an_sso_profile_and_where_the_region_came_from() {
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config");
    std::fs::write(
        &config,
        "[profile dev]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = ReadOnly\nregion = eu-central-1\n\
         [sso-session corp]\nsso_region = eu-west-1\nsso_start_url = https://corp.awsapps.com/start\n",
    )
    .unwrap();
    write_sso_token_cache(home.path());
    let (url, server) = one_shot_server(
        r#"{"roleCredentials":{"accessKeyId":"ASIASSOEXAMPLE","secretAccessKey":"ssosecretEXAMPLEKEY","sessionToken":"ssotokenEXAMPLE","expiration":4070908800000}}"#
            .to_owned(),
    );
    let env = [
        ("AWS_CONFIG_FILE", config.to_str().unwrap()),
        ("HOME", home.path().to_str().unwrap()),
        ("AWS_ENDPOINT_URL_SSO", url.as_str()),
    ];
    let out = awsig(&["credentials", "--profile", "dev"], &env);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let head = server.join().unwrap();
    assert!(
        head.starts_with(
            "GET /federation/credentials?account_id=111122223333&role_name=ReadOnly HTTP/1.1"
        ),
        "{head}"
    );
    assert!(
        head.to_lowercase()
            .contains("x-amz-sso_bearer_token: sso-token"),
        "{head}"
    );
    for line in [
        "source: sso\n",
        "profile: dev\n",
        "sso_session: corp\n",
        "sso_account_id: 111122223333\n",
        "sso_role_name: ReadOnly\n",
        "access_key_id: ASIASSOEXAMPLE\n",
        "account_id: 111122223333\n",
        "region: eu-central-1\n",
        "region_source: profile dev\n",
        "expiry: 2099-01-01T00:00:00Z\n",
    ] {
        assert!(text.contains(line), "{line:?} missing from:\n{text}");
    }
    assert!(
        !text.contains("EXAMPLEKEY") && !text.contains("sso-token"),
        "{text}"
    );
}

#[test]
fn credentials_reports_an_aws_login_session() {
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config");
    let session = "arn:aws:sts::012345678910:assumed-role/Admin/admin";
    std::fs::write(
        &config,
        format!("[profile signin]\nlogin_session = {session}\n"),
    )
    .unwrap();
    let cache = home.path().join(".aws/login/cache");
    std::fs::create_dir_all(&cache).unwrap();
    std::fs::write(
        cache.join(awsig::provider::login::cache_file_name(session)),
        r#"{"accessToken":{"accessKeyId":"ASIALOGINEXAMPLE","secretAccessKey":"loginsecretEXAMPLEKEY","sessionToken":"t","accountId":"012345678901","expiresAt":"2099-01-01T00:00:00Z"},"clientId":"arn:aws:signin:::devtools/same-device","refreshToken":"r","dpopKey":"k"}"#,
    )
    .unwrap();
    let env = [
        ("AWS_CONFIG_FILE", config.to_str().unwrap()),
        ("HOME", home.path().to_str().unwrap()),
        ("AWS_REGION", "us-west-2"),
    ];
    let out = awsig(&["credentials", "--profile", "signin"], &env);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for line in [
        "source: login\n",
        "profile: signin\n",
        &format!("login_session: {session}\n"),
        "access_key_id: ASIALOGINEXAMPLE\n",
        "account_id: 012345678901\n",
        "region: us-west-2\n",
        "region_source: environment (AWS_REGION)\n",
    ] {
        assert!(text.contains(line), "{line:?} missing from:\n{text}");
    }
    assert!(!text.contains("EXAMPLEKEY"), "{text}");
}

/// `awsig event` signs the end of aws-c-auth's event stream
/// (`tests/test_event_signing.c`: the fourth, empty event, chained from
/// the third event's signature) and writes an envelope that verifies.
#[cfg(feature = "event-stream")]
#[test]
fn event_signs_aws_c_auths_end_of_stream() {
    use awsig::event_stream::{EventVerifier, PriorSignature};
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("end.bin");
    let prior = "632af120435b57ec241d8bfbb12e496dfd5e2730a1a02ac0ab6eaa230ae02e9a";
    let creds = [
        ("AWS_ACCESS_KEY_ID", "access"),
        ("AWS_SECRET_ACCESS_KEY", "secret"),
    ];
    let args = |print: &str| {
        vec![
            "event".to_owned(),
            "--seed".to_owned(),
            prior.to_owned(),
            "--end".to_owned(),
            "--time".to_owned(),
            "1981-01-16T06:30:04Z".to_owned(),
            "--service".to_owned(),
            "demo".to_owned(),
            "--region".to_owned(),
            "us-east-1".to_owned(),
            "--print".to_owned(),
            print.to_owned(),
            "--out".to_owned(),
            out_path.display().to_string(),
        ]
    };
    let run = |print: &str| {
        let args = args(print);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = awsig(&args, &creds);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    assert_eq!(
        run("signature"),
        "c6f679ddb3af68f5e82f0cf6761244cb2338cf11e7d01a24130aea1b7c17e53e\n"
    );
    let sts = run("string-to-sign");
    assert!(
        sts.starts_with(&format!(
            "AWS4-HMAC-SHA256-PAYLOAD\n19810116T063004Z\n19810116/us-east-1/demo/aws4_request\n{prior}\n"
        )),
        "{sts}"
    );
    let envelope = std::fs::read(&out_path).unwrap();
    let signer = awsig::Signer::new(
        awsig::Credentials::new("access", "secret").unwrap(),
        "us-east-1",
        "demo",
    )
    .unwrap();
    let mut verifier = EventVerifier::with_prior(&signer, PriorSignature::from_hex(prior).unwrap());
    let time = awsig::AmzDate::parse("19810116T063004Z").unwrap();
    assert!(
        verifier
            .verify(&envelope, time.to_system_time())
            .unwrap()
            .is_end()
    );
}

/// The envelope `awsig event --out` writes for a message is the one
/// aws-sigv4 1.6.4 makes; a bad seed or a file that is not one message is
/// bad usage.
#[cfg(feature = "event-stream")]
#[test]
fn event_envelope_is_aws_sigv4s() {
    use aws_smithy_types::event_stream::{Header, HeaderValue, Message};
    let dir = tempfile::tempdir().unwrap();
    let message = Message::new(&b"audio bytes"[..])
        .add_header(Header::new(
            ":message-type",
            HeaderValue::String("event".into()),
        ))
        .add_header(Header::new(
            ":event-type",
            HeaderValue::String("AudioEvent".into()),
        ));
    let mut encoded = Vec::new();
    aws_smithy_eventstream::frame::write_message_to(&message, &mut encoded).unwrap();
    let message_path = dir.path().join("message.bin");
    std::fs::write(&message_path, &encoded).unwrap();
    let out_path = dir.path().join("envelope.bin");
    let seed = "a".repeat(64);
    let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    let message_arg = message_path.display().to_string();
    let out_arg = out_path.display().to_string();
    let out = awsig(
        &[
            "event",
            "--seed",
            &seed,
            "--message-file",
            &message_arg,
            "--time",
            "2023-11-14T22:13:20Z",
            "--service",
            "transcribe",
            "--region",
            "us-west-2",
            "--example-credentials",
            "--out",
            &out_arg,
        ],
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let identity: aws_smithy_runtime_api::client::identity::Identity =
        aws_credential_types::Credentials::new("AKIDEXAMPLE", secret, None, None, "test").into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region("us-west-2")
        .name("transcribe")
        .time(std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000))
        .settings(())
        .build()
        .unwrap();
    let (signed, signature) = aws_sigv4::event_stream::sign_message(&message, &seed, &params)
        .unwrap()
        .into_parts();
    let mut expected = Vec::new();
    aws_smithy_eventstream::frame::write_message_to(&signed, &mut expected).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{signature}\n")
    );
    assert_eq!(std::fs::read(&out_path).unwrap(), expected);

    let bad = dir.path().join("bad.bin");
    std::fs::write(&bad, b"A").unwrap();
    let bad_arg = bad.display().to_string();
    for (args, says) in [
        (
            vec!["event", "--seed", "zz", "--end"],
            "--seed: expected 64 hex digits",
        ),
        (
            vec!["event", "--seed", &seed, "--message-file", bad_arg.as_str()],
            "--message-file: the message to sign is not a valid event stream message",
        ),
    ] {
        let mut args = args;
        args.extend([
            "--service",
            "transcribe",
            "--region",
            "us-west-2",
            "--example-credentials",
        ]);
        let out = awsig(&args, &[]);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(says), "{stderr}");
    }
}

/// `sign --chunked` prints the head and writes the encoded body; `verify`
/// checks every chunk of that request and says which one a changed byte
/// broke. The data goes through awsig's decoder, and the body's length is
/// the `content-length` the head declares.
#[cfg(feature = "chunked")]
#[test]
fn sign_chunked_and_verify_say_which_chunk_failed() {
    let dir = tempfile::tempdir().unwrap();
    let data: Vec<u8> = (0..70_000u32).map(|i| (i % 251) as u8).collect();
    let data_file = dir.path().join("data.bin");
    std::fs::write(&data_file, &data).unwrap();
    let body_out = dir.path().join("body.bin");
    let time = ["--time", "2024-01-01T00:00:00Z"];
    for (flags, marker) in [
        (&[][..], "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
        (
            &["--trailer", "crc32c"][..],
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
        ),
        (
            &["--trailer", "crc64nvme", "--unsigned-chunks"][..],
            "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        ),
    ] {
        let mut args = vec![
            "sign",
            "-X",
            "PUT",
            "--example-credentials",
            "--chunked",
            "64KiB",
        ];
        args.extend(time);
        args.extend(flags);
        args.extend([
            "--data-file",
            data_file.to_str().unwrap(),
            "--body-out",
            body_out.to_str().unwrap(),
            "https://bucket.s3.us-east-1.amazonaws.com/key",
        ]);
        let out = awsig(&args, &[]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let head = String::from_utf8(out.stdout).unwrap();
        assert!(head.ends_with("\n\n"), "{head}");
        assert!(
            head.contains(&format!("X-Amz-Content-Sha256:{marker}\n")),
            "{head}"
        );
        assert!(
            head.contains("X-Amz-Decoded-Content-Length:70000\n"),
            "{head}"
        );
        let body = std::fs::read(&body_out).unwrap();
        assert!(
            head.contains(&format!("Content-Length:{}\n", body.len())),
            "{head}"
        );

        let request_file = dir.path().join("request.txt");
        let mut request = head.clone().into_bytes();
        request.extend_from_slice(&body);
        std::fs::write(&request_file, &request).unwrap();
        let verify = |file: &std::path::Path| {
            let mut args = vec![
                "verify",
                "--example-credentials",
                "--request-file",
                file.to_str().unwrap(),
            ];
            args.extend(time);
            awsig(&args, &[])
        };
        let ok = verify(&request_file);
        assert_eq!(
            ok.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&ok.stdout)
        );
        assert!(String::from_utf8_lossy(&ok.stdout).starts_with("OK (aws-chunked: 70000 bytes"));

        // A byte of the second chunk's data changed.
        let first = body.windows(2).position(|w| w == b"\r\n").unwrap() + 2;
        let second = first + 65_536 + 2;
        let second_data = second
            + body[second..]
                .windows(2)
                .position(|w| w == b"\r\n")
                .unwrap()
            + 2;
        let mut bad = request.clone();
        bad[head.len() + second_data + 10] ^= 1;
        std::fs::write(&request_file, &bad).unwrap();
        let refused = verify(&request_file);
        assert_eq!(refused.status.code(), Some(1));
        let text = String::from_utf8_lossy(&refused.stdout).into_owned();
        if marker.contains("UNSIGNED") {
            // The chunks are unsigned: only the trailer's checksum tells.
            assert!(
                text.starts_with(
                    "BadDigest: the data does not match the trailer: x-amz-checksum-crc64nvme is \""
                ) && text.ends_with(
                    "; the chunks are unsigned (STREAMING-UNSIGNED-PAYLOAD-TRAILER), so this \
                     checksum is all that covers the data, and which chunk changed cannot be \
                     told\n"
                ),
                "{text}"
            );
        } else {
            assert_eq!(
                text,
                "SignatureDoesNotMatch: the signature of chunk 2 does not match its data\n"
            );
        }
    }

    // Mistakes: a chunk size under 8 KiB, no --body-out, unsigned chunks
    // without a trailer.
    for (args, needle) in [
        (vec!["--chunked", "4096", "--body-out", "x"], "8192"),
        (vec!["--chunked", "64KiB"], "--body-out"),
        (
            vec!["--chunked", "64KiB", "--body-out", "x", "--unsigned-chunks"],
            "--trailer",
        ),
    ] {
        let mut all = vec!["sign", "-X", "PUT", "--example-credentials", "--data", "x"];
        all.extend(args);
        all.push("https://bucket.s3.us-east-1.amazonaws.com/key");
        let out = awsig(&all, &[]);
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{err}");
    }
}

/// `--algorithm sigv4a`: each stage of the v4a suite's get-vanilla case,
/// header and query, as the suite writes it; a signed request and the
/// suite's own signed request verify; a region outside the set is refused
/// with the AWS code; `--region-set` without SigV4a is a usage error.
#[cfg(feature = "sigv4a")]
#[test]
fn sigv4a_sign_presign_and_verify() {
    let case = "testdata/aws-signing-test-suite/v4a/get-vanilla";
    let common = [
        "--algorithm",
        "sigv4a",
        "--region-set",
        "us-east-1",
        "--service",
        "service",
        "--example-credentials",
        "--time",
        "2015-08-30T12:36:00Z",
    ];
    let url = "https://example.amazonaws.com/";
    let run = |sub: &str, extra: &[&str]| {
        let mut args = vec![sub];
        args.extend(common);
        args.extend(extra);
        args.push(url);
        let out = awsig(&args, &[]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{sub} {extra:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let file = |name: &str| std::fs::read_to_string(format!("{case}/{name}")).unwrap();
    for (sub, extra, expected) in [
        (
            "sign",
            vec!["--print", "canonical-request"],
            "header-canonical-request.txt",
        ),
        (
            "sign",
            vec!["--print", "string-to-sign"],
            "header-string-to-sign.txt",
        ),
        (
            "presign",
            vec!["--expires", "3600", "--print", "canonical-request"],
            "query-canonical-request.txt",
        ),
        (
            "presign",
            vec!["--expires", "3600", "--print", "string-to-sign"],
            "query-string-to-sign.txt",
        ),
    ] {
        assert_eq!(
            run(sub, &extra).trim_end(),
            file(expected).trim_end(),
            "{sub} {extra:?}"
        );
    }

    let dir = tempfile::tempdir().unwrap();
    let signed = dir.path().join("signed.txt");
    std::fs::write(&signed, run("sign", &[])).unwrap();
    let suite_signed = format!("{case}/header-signed-request.txt");
    for (request, region, code, first) in [
        (signed.to_str().unwrap(), "us-east-1", 0, "OK"),
        (suite_signed.as_str(), "us-east-1", 0, "OK"),
        (
            signed.to_str().unwrap(),
            "eu-west-1",
            1,
            "AuthorizationHeaderMalformed",
        ),
    ] {
        let out = awsig(
            &[
                "verify",
                "--example-credentials",
                "--time",
                "2015-08-30T12:36:00Z",
                "--region",
                region,
                "--request-file",
                request,
            ],
            &[],
        );
        assert_eq!(out.status.code(), Some(code), "{request} {region}");
        assert!(String::from_utf8_lossy(&out.stdout).starts_with(first));
    }

    let out = awsig(
        &[
            "sign",
            "--region-set",
            "us-east-1",
            "--service",
            "s3",
            "--example-credentials",
            url,
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--algorithm sigv4a"));
}

/// A loopback server that checks the signature of every request it gets
/// with awsig's verifier, as of `now`, with the example credentials, and
/// answers `200 OK` or `403` with the AWS error code and the reason.
fn verifying_server(now: std::time::SystemTime) -> String {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let creds =
            awsig::Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
                .unwrap();
        for stream in listener.incoming() {
            let mut stream = stream.unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut raw = Vec::new();
            let mut length = 0;
            loop {
                let mut line = Vec::new();
                reader.read_until(b'\n', &mut line).unwrap();
                raw.extend_from_slice(&line);
                let text = String::from_utf8_lossy(&line).to_ascii_lowercase();
                if let Some(v) = text.strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap();
                }
                if line == b"\r\n" || line.is_empty() {
                    break;
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            raw.extend_from_slice(&body);
            let verdict = awsig::RequestText::parse(&raw)
                .map_err(|e| e.to_string())
                .and_then(|text| {
                    let pairs = text.header_pairs();
                    let request = text.signable(&pairs).map_err(|e| e.to_string())?;
                    awsig::verify(
                        &request,
                        awsig::Payload::Body(text.body()),
                        &creds,
                        now,
                        &awsig::Policy::new(),
                    )
                    .map(|_| ())
                    .map_err(|r| format!("{}: {r}", r.code()))
                });
            let (status, text) = match verdict {
                Ok(()) => ("200 OK", "OK".to_owned()),
                Err(e) => (
                    "403 Forbidden",
                    format!("{e}\nrequest line: {:?}", raw.split(|&b| b == b'\r').next()),
                ),
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}",
                text.len()
            );
        }
    });
    url
}

/// Runs a printed curl command through `sh`; returns curl's exit status
/// and what it printed: the answer's body, then the status code.
fn run_curl(command: &str) -> (Option<i32>, String) {
    let script = format!("{} -s -w ' %{{http_code}}'", command.trim_end());
    let out = Command::new("sh").arg("-c").arg(&script).output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// `--curl` sends what was signed whatever bytes the URL holds: non-ASCII
/// text (which curl would write in lower-case hex, and a server of a
/// service other than S3 would then encode again), spaces and control
/// characters (which curl refuses), and the characters RFC 3986 does not
/// allow in a URL. Each printed command is run through `sh` against a
/// server that verifies what arrives, for S3 and another service, signed
/// and presigned.
#[test]
fn curl_sends_what_was_signed_whatever_the_url_holds() {
    let time = "2015-08-30T12:36:00Z";
    let now = awsig::AmzDate::parse_rfc3339(time)
        .unwrap()
        .to_system_time();
    let server = verifying_server(now);
    let paths = [
        "/é",
        "/a b",
        "/a\tb",
        "/q?q=a b",
        "/q?q=é&ሴ=1",
        "/a\"b<c>d`e{f}g|h\\i^j",
        "/q?k=\"<>`{}|\\^",
        "/ሴ/a b?k=v w&x=é%20",
    ];
    let mut checked = 0;
    for path in paths {
        for (service, prefix) in [("s3", "/bucket"), ("execute-api", "/stage")] {
            for subcommand in ["sign", "presign"] {
                let url = format!("{server}{prefix}{path}");
                let out = awsig(
                    &[
                        subcommand,
                        "--example-credentials",
                        "--time",
                        time,
                        "--service",
                        service,
                        "--region",
                        "us-east-1",
                        "--curl",
                        &url,
                    ],
                    &[],
                );
                let case = format!("{subcommand} --service {service} {url:?}");
                assert_eq!(
                    out.status.code(),
                    Some(0),
                    "{case}: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                let command = String::from_utf8(out.stdout).unwrap();
                // Only ASCII that every client sends as it is.
                assert!(
                    command
                        .bytes()
                        .all(|b| b == b'\n' || (b' '..=b'~').contains(&b)),
                    "{case}: {command}"
                );
                let (status, answer) = run_curl(&command);
                assert_eq!(status, Some(0), "{case}: curl failed: {command}");
                assert!(answer.ends_with(" 200"), "{case}: {answer}\n{command}");
                checked += 1;
            }
        }
    }
    assert_eq!(checked, paths.len() * 4);

    // The request text `sign` prints holds the same encoded target, and
    // the rewriting is said on standard error.
    let out = awsig(
        &[
            "sign",
            "--example-credentials",
            "--time",
            time,
            "--service",
            "execute-api",
            "--region",
            "us-east-1",
            "http://example.com/é x?q=a b#fragment",
        ],
        &[],
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("GET /%C3%A9%20x?q=a%20b HTTP/1.1\n"),
        "{text}"
    );
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("percent-encoded") && err.contains("http://example.com/%C3%A9%20x?q=a%20b"),
        "{err}"
    );
}

/// `presign --unsigned-payload` for a service other than S3 signs an
/// `x-amz-content-sha256: UNSIGNED-PAYLOAD` header, the only way such a
/// server learns that the payload is not signed; the header is in
/// `X-Amz-SignedHeaders`, the curl command sends it, a note says that it
/// must be sent, and the verifier accepts the request that carries it. An
/// S3 URL needs no header: S3 presigned URLs always sign UNSIGNED-PAYLOAD.
#[test]
fn presign_unsigned_payload_signs_the_header_the_server_needs() {
    let time = "2015-08-30T12:36:00Z";
    let now = awsig::AmzDate::parse_rfc3339(time)
        .unwrap()
        .to_system_time();
    let server = verifying_server(now);
    for (service, needs_header) in [("sqs", true), ("execute-api", true), ("s3", false)] {
        let url = format!("{server}/path?Action=Send");
        let args = |extra: &[&'static str]| {
            let mut a: Vec<String> = [
                "presign",
                "--unsigned-payload",
                "--example-credentials",
                "--time",
                time,
                "--service",
                service,
                "--region",
                "us-east-1",
            ]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
            a.extend(extra.iter().map(|s| (*s).to_owned()));
            a.push(url.clone());
            a
        };
        let run = |extra: &[&'static str]| {
            let a = args(extra);
            let a: Vec<&str> = a.iter().map(String::as_str).collect();
            awsig(&a, &[])
        };

        let out = run(&[]);
        assert_eq!(out.status.code(), Some(0), "{service}");
        let presigned = String::from_utf8(out.stdout).unwrap();
        let note = String::from_utf8(out.stderr).unwrap();
        let signed = if needs_header {
            "X-Amz-SignedHeaders=host%3Bx-amz-content-sha256&"
        } else {
            "X-Amz-SignedHeaders=host&"
        };
        assert!(presigned.contains(signed), "{service}: {presigned}");
        assert_eq!(
            note.contains("X-Amz-Content-Sha256: UNSIGNED-PAYLOAD"),
            needs_header,
            "{service}: {note}"
        );
        if needs_header {
            assert!(note.contains("send them"), "{note}");
        }

        // The canonical request: the header signed, and UNSIGNED-PAYLOAD.
        let out = run(&["--print", "canonical-request"]);
        let creq = String::from_utf8(out.stdout).unwrap();
        assert!(creq.ends_with("\nUNSIGNED-PAYLOAD\n"), "{service}: {creq}");
        assert_eq!(
            creq.contains("\nx-amz-content-sha256:UNSIGNED-PAYLOAD\n"),
            needs_header,
            "{service}: {creq}"
        );

        // The curl command sends it, and the server accepts the request.
        let out = run(&["--curl"]);
        let command = String::from_utf8(out.stdout).unwrap();
        assert_eq!(
            command.contains("-H 'X-Amz-Content-Sha256: UNSIGNED-PAYLOAD'"),
            needs_header,
            "{service}: {command}"
        );
        let (status, answer) = run_curl(&command);
        assert_eq!(status, Some(0), "{command}");
        assert!(answer.ends_with(" 200"), "{service}: {answer}\n{command}");

        // `awsig verify` on the request as sent: OK; without the header,
        // refused. For S3 the header is not signed, so sending it anyway
        // is refused as an unsigned x-amz-* header, as S3 does.
        let target = presigned.trim_end().strip_prefix(&server).unwrap();
        let host = server.strip_prefix("http://").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("request.txt");
        let with = format!(
            "GET {target} HTTP/1.1\nHost:{host}\nX-Amz-Content-Sha256:UNSIGNED-PAYLOAD\n\n"
        );
        let without = format!("GET {target} HTTP/1.1\nHost:{host}\n\n");
        for (text, ok) in [(with, needs_header), (without, !needs_header)] {
            std::fs::write(&file, &text).unwrap();
            let out = awsig(
                &[
                    "verify",
                    "--example-credentials",
                    "--time",
                    time,
                    "--request-file",
                    file.to_str().unwrap(),
                ],
                &[],
            );
            let said = String::from_utf8_lossy(&out.stdout);
            assert_eq!(
                out.status.code(),
                Some(if ok { 0 } else { 1 }),
                "{service}: {text}\n{said}"
            );
        }
    }
}

/// A loopback server that answers every request with `status` and `body`
/// (as `content_type`), and records each request line.
fn failing_server(
    status: &'static str,
    content_type: &'static str,
    body: &'static str,
) -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = std::sync::Arc::clone(&seen);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut first = String::new();
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if first.is_empty() {
                    first = line.trim_end().to_owned();
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut request_body = vec![0; length];
            let _ = reader.read_exact(&mut request_body);
            log.lock().unwrap().push(first);
            let mut stream = stream;
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n\
                 connection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (url, seen)
}

/// A credentials endpoint that fails is named by its URL, on one line:
/// STS for web identity and for an assumed role, IAM Identity Center, a
/// container endpoint (answering with an error, or not at all) and the
/// instance metadata service, whose failure means no credentials (exit 2).
#[test]
fn credentials_endpoint_failures_name_the_url() {
    let home = tempfile::tempdir().unwrap();
    let token_file = home.path().join("token");
    std::fs::write(&token_file, "web-identity-token").unwrap();
    let token_file = token_file.to_str().unwrap().to_owned();
    let config = home.path().join("config");
    std::fs::write(
        &config,
        "[profile role]\nrole_arn = arn:aws:iam::123456789012:role/r\nsource_profile = base\n\
         [profile base]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = secret\n\
         [profile dev]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = ReadOnly\n\
         [sso-session corp]\nsso_region = eu-west-1\nsso_start_url = https://corp.awsapps.com/start\n",
    )
    .unwrap();
    let config = config.to_str().unwrap().to_owned();
    write_sso_token_cache(home.path());
    let home = home.path().to_str().unwrap().to_owned();

    let sts_error = "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n  \
                     <Error>\n    <Type>Sender</Type>\n    <Code>AccessDenied</Code>\n    \
                     <Message>Not authorized to perform sts:AssumeRoleWithWebIdentity</Message>\n  \
                     </Error>\n</ErrorResponse>\n";
    let (sts, _) = failing_server("403 Forbidden", "text/xml", sts_error);
    let (sso, _) = failing_server(
        "401 Unauthorized",
        "application/json",
        r#"{"message":"Session token not found or invalid"}"#,
    );
    let (container, container_seen) = failing_server(
        "500 Internal Server Error",
        "text/html",
        "<html>\n  <body>\n    internal error\n  </body>\n</html>\n",
    );
    let (imds, imds_seen) = failing_server("500 Internal Server Error", "text/plain", "broken\n");
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };

    let web_identity = [
        ("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/web"),
        ("AWS_WEB_IDENTITY_TOKEN_FILE", token_file.as_str()),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ENDPOINT_URL_STS", sts.as_str()),
    ];
    let role = [
        ("AWS_CONFIG_FILE", config.as_str()),
        ("AWS_PROFILE", "role"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ENDPOINT_URL_STS", sts.as_str()),
    ];
    let sso_env = [
        ("AWS_CONFIG_FILE", config.as_str()),
        ("HOME", home.as_str()),
        ("AWS_PROFILE", "dev"),
        ("AWS_ENDPOINT_URL_SSO", sso.as_str()),
    ];
    let container_uri = format!("{container}/v2/credentials");
    let closed_uri = format!("{closed}/v2/credentials");
    let container_env = [("AWS_CONTAINER_CREDENTIALS_FULL_URI", container_uri.as_str())];
    let closed_env = [("AWS_CONTAINER_CREDENTIALS_FULL_URI", closed_uri.as_str())];
    let imds_env = [
        ("AWS_EC2_METADATA_DISABLED", "false"),
        ("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.as_str()),
    ];
    let sts_says = "sts returned HTTP 403: AccessDenied: Not authorized to perform \
                    sts:AssumeRoleWithWebIdentity";
    // (environment, exit status, what the one line says)
    type Case<'a> = (&'a [(&'a str, &'a str)], i32, String);
    let cases: [Case<'_>; 6] = [
        (
            &web_identity,
            1,
            format!("cannot get credentials from {sts}/: {sts_says}"),
        ),
        (
            &role,
            1,
            format!("cannot get credentials from {sts}/: {sts_says}"),
        ),
        (
            &sso_env,
            1,
            format!(
                "cannot get credentials from {sso}/federation/credentials: sso returned HTTP \
                 401: Unauthorized: Session token not found or invalid"
            ),
        ),
        (
            &container_env,
            1,
            format!(
                "cannot get credentials from {container_uri}: container returned HTTP 500: \
                 Internal Server Error: <html> <body> internal error </body> </html>"
            ),
        ),
        (
            &closed_env,
            1,
            format!("cannot get credentials from {closed_uri}: cannot reach container: "),
        ),
        (
            &imds_env,
            2,
            format!("endpoints that failed: {imds}/latest/api/token (HTTP 500)"),
        ),
    ];
    for (env, code, says) in &cases {
        let out = awsig(&["credentials"], env);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(*code), "{env:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{env:?}: {stderr}");
        assert!(stderr.starts_with("awsig: error: "), "{stderr}");
        if *code == 1 && !says.ends_with(": ") {
            assert_eq!(stderr, format!("awsig: error: {says}\n"));
        } else {
            assert!(stderr.contains(says.as_str()), "{env:?}: {stderr}");
        }
    }
    assert_eq!(
        container_seen.lock().unwrap().as_slice(),
        ["GET /v2/credentials HTTP/1.1"]
    );
    assert!(
        imds_seen
            .lock()
            .unwrap()
            .iter()
            .any(|l| l == "PUT /latest/api/token HTTP/1.1")
    );
}

/// What a new user ran into: a presigned URL of a service whose preset
/// signs `x-amz-content-sha256` (OpenSearch Serverless) stands for
/// UNSIGNED-PAYLOAD as S3's does; a stray `X-Amz-Security-Token` header is
/// dropped, not sent unsigned; a user name or password in the URL, and a
/// `Content-Length` that is not the body's, are refused (neither is what
/// is signed); a port written with a leading zero is the port.
#[test]
fn what_is_sent_is_what_is_signed_for_a_new_users_inputs() {
    let time = "2015-08-30T12:36:00Z";
    let now = awsig::AmzDate::parse_rfc3339(time)
        .unwrap()
        .to_system_time();
    let server = verifying_server(now);
    let base = [
        "--example-credentials",
        "--time",
        time,
        "--region",
        "us-east-1",
    ];
    let run = |extra: &[&str]| {
        let mut a: Vec<&str> = extra.to_vec();
        a.splice(1..1, base);
        awsig(&a, &[])
    };

    // aoss presigned, with and without a body: curl's request verifies.
    for data in [None, Some("abc")] {
        let url = format!("{server}/index/_search");
        let mut args = vec!["presign", "--service", "aoss", "--curl"];
        if let Some(d) = data {
            args.extend(["-X", "PUT", "--data", d]);
        }
        args.push(&url);
        let out = run(&args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let command = String::from_utf8(out.stdout).unwrap();
        assert!(command.contains("X-Amz-SignedHeaders=host&"), "{command}");
        let (status, answer) = run_curl(&command);
        assert_eq!(status, Some(0), "{command}");
        assert!(answer.ends_with(" 200"), "{answer}\n{command}");
    }

    // A stray token header: dropped with a warning; the request verifies.
    let url = format!("{server}/stage/p");
    let out = run(&[
        "sign",
        "--service",
        "execute-api",
        "-H",
        "X-Amz-Security-Token: tok",
        "--curl",
        &url,
    ]);
    assert_eq!(out.status.code(), Some(0));
    let command = String::from_utf8(out.stdout).unwrap();
    assert!(
        !command
            .to_ascii_lowercase()
            .contains("x-amz-security-token"),
        "{command}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("X-Amz-Security-Token: dropped"));
    let (_, answer) = run_curl(&command);
    assert!(answer.ends_with(" 200"), "{answer}");

    // A password in the URL: refused, and not echoed.
    let with_password = server.replacen("http://", "http://user:s3cr3t@", 1) + "/x";
    for sub in ["sign", "presign"] {
        let out = run(&[sub, "--service", "execute-api", &with_password]);
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("user name or password") && !err.contains("s3cr3t"),
            "{err}"
        );
    }

    // A Content-Length that is not the body's.
    let out = run(&[
        "sign",
        "--service",
        "execute-api",
        "-X",
        "POST",
        "-H",
        "Content-Length: 5",
        "--data",
        "abc",
        &url,
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("Content-Length: 5") && err.contains("3 bytes"),
        "{err}"
    );

    // A port with a leading zero is the port: signed, sent by curl, and
    // verified.
    let (host, port) = server.rsplit_once(':').unwrap();
    let zero = format!("{host}:0{port}/x");
    let out = run(&["sign", "--service", "execute-api", "--curl", &zero]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let command = String::from_utf8(out.stdout).unwrap();
    let (_, answer) = run_curl(&command);
    assert!(answer.ends_with(" 200"), "{answer}\n{command}");
}

/// Built without `chunked`, `sign --chunked` names the feature first,
/// before asking for a region or credentials it would not use.
#[cfg(not(feature = "chunked"))]
#[test]
fn sign_chunked_names_its_feature_first() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::write(&data, b"abc").unwrap();
    let out = awsig(
        &[
            "sign",
            "--chunked",
            "64KiB",
            "--data-file",
            data.to_str().unwrap(),
            "--body-out",
            dir.path().join("out").to_str().unwrap(),
            "https://example.com/x",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--features chunked") && !err.contains("region"),
        "{err}"
    );
}
