//! End-to-end: the credential flows against a local moto server (started
//! here on a free port, with signature checking on), and requests signed
//! with the credentials they produce.
//!
//! Needs `python3` with `moto` 5.x (`pip install 'moto[server]'`); fails
//! with a clear message when they are missing.
#![cfg(feature = "credentials")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use awsig::provider::chain::{ChainStep, DefaultChain, Resolved, Source};
use awsig::provider::{ProviderError, VarsEnvironment};
use awsig::{Credentials, PayloadHash, Signer};

/// The moto server; killed by PID when dropped, whatever happens.
struct Moto {
    child: Child,
    port: u16,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Moto {
    fn start() -> Moto {
        let probe = Command::new("python3")
            .args([
                "-c",
                "import moto.server, sys; sys.stdout.write(moto.__version__)",
            ])
            .output();
        match probe {
            Err(e) => panic!("python3 is required for this test and could not be run: {e}"),
            Ok(out) if !out.status.success() => panic!(
                "the Python package moto (5.x, with its server extra) is required for this test: {}",
                String::from_utf8_lossy(&out.stderr)
            ),
            Ok(_) => {}
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("python3")
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            // Every request must carry a valid signature from the start.
            .env("INITIAL_NO_AUTH_ACTION_COUNT", "0")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("cannot start python3 -m moto.server");
        let mut moto = Moto { child, port };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = moto.child.try_wait().unwrap() {
                panic!("moto exited early with {status}");
            }
            let ready = http::Request::get(moto.url("/moto-api/data.json"))
                .body(Vec::new())
                .unwrap();
            if send(ready).is_ok_and(|r| r.status() == 200) {
                return moto;
            }
            assert!(
                Instant::now() < deadline,
                "moto did not become ready in 60 s"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Lets the next `n` actions through without authentication (moto's
    /// `/moto-api/reset-auth`); afterwards every request is checked again.
    fn allow_unauthenticated(&self, n: u32) {
        let req = http::Request::post(self.url("/moto-api/reset-auth"))
            .header("content-type", "text/plain")
            .body(n.to_string().into_bytes())
            .unwrap();
        assert_eq!(send(req).unwrap().status(), 200);
    }

    /// A Query-protocol call signed with `creds`.
    fn call(&self, creds: &Credentials, service: &str, params: &str) -> http::Response<Vec<u8>> {
        let mut req = http::Request::post(self.url("/"))
            .header(
                "content-type",
                "application/x-www-form-urlencoded; charset=utf-8",
            )
            .body(params.as_bytes().to_vec())
            .unwrap();
        let signer = Signer::new(creds.clone(), "us-east-1", service).unwrap();
        let payload = PayloadHash::of(req.body());
        signer.sign(&mut req, &payload, SystemTime::now()).unwrap();
        send(req).unwrap()
    }
}

fn send(request: http::Request<Vec<u8>>) -> Result<http::Response<Vec<u8>>, String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into();
    let mut response = agent.run(request).map_err(|e| e.to_string())?;
    let status = response.status();
    let body = response
        .body_mut()
        .read_to_vec()
        .map_err(|e| e.to_string())?;
    Ok(http::Response::builder().status(status).body(body).unwrap())
}

fn text(r: &http::Response<Vec<u8>>) -> String {
    String::from_utf8_lossy(r.body()).into_owned()
}

fn between<'a>(s: &'a str, open: &str, close: &str) -> &'a str {
    let start = s.find(open).unwrap_or_else(|| panic!("{open} not in {s}")) + open.len();
    let end = s[start..].find(close).unwrap() + start;
    &s[start..end]
}

fn form(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Runs the default chain to the end, sending its requests.
fn resolve(env: &VarsEnvironment, profile: Option<&str>) -> Result<Resolved, ProviderError> {
    let mut chain = DefaultChain::new(env.clone(), profile)?;
    for _ in 0..16 {
        match chain.poll(SystemTime::now())? {
            ChainStep::Done(r) => return Ok(r),
            ChainStep::Send(req) => match send(req) {
                Ok(resp) => chain.handle_response(&resp, SystemTime::now())?,
                Err(e) => chain.handle_send_error(&e)?,
            },
        }
    }
    panic!("the chain did not finish");
}

/// Creates user alice with an access key allowed to do anything, and a role
/// she may assume with the external id `ext-42`. Returns her credentials.
fn set_up_iam(moto: &Moto) -> Credentials {
    moto.allow_unauthenticated(4);
    let setup = Credentials::new("AKIDSETUP", "setup-secret").unwrap();
    let ok = |r: http::Response<Vec<u8>>| {
        assert_eq!(r.status(), 200, "{}", text(&r));
        text(&r)
    };
    ok(moto.call(
        &setup,
        "iam",
        "Action=CreateUser&Version=2010-05-08&UserName=alice",
    ));
    let key = ok(moto.call(
        &setup,
        "iam",
        "Action=CreateAccessKey&Version=2010-05-08&UserName=alice",
    ));
    let allow_all =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
    ok(moto.call(
        &setup,
        "iam",
        &format!(
            "Action=PutUserPolicy&Version=2010-05-08&UserName=alice&PolicyName=all&PolicyDocument={}",
            form(allow_all)
        ),
    ));
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/alice"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"ext-42"}}}]}"#;
    ok(moto.call(
        &setup,
        "iam",
        &format!(
            "Action=CreateRole&Version=2010-05-08&RoleName=deployer&AssumeRolePolicyDocument={}",
            form(trust)
        ),
    ));
    Credentials::new(
        between(&key, "<AccessKeyId>", "</AccessKeyId>"),
        between(&key, "<SecretAccessKey>", "</SecretAccessKey>"),
    )
    .unwrap()
}

fn env_with(moto: &Moto, dir: &std::path::Path, extra: &[(&str, String)]) -> VarsEnvironment {
    let mut vars = BTreeMap::from([
        (
            "AWS_CONFIG_FILE".to_owned(),
            dir.join("config").display().to_string(),
        ),
        (
            "AWS_SHARED_CREDENTIALS_FILE".to_owned(),
            dir.join("credentials").display().to_string(),
        ),
        ("AWS_ENDPOINT_URL_STS".to_owned(), moto.url("")),
        ("AWS_EC2_METADATA_DISABLED".to_owned(), "true".to_owned()),
        ("AWS_REGION".to_owned(), "us-east-1".to_owned()),
    ]);
    for (k, v) in extra {
        vars.insert((*k).to_owned(), v.clone());
    }
    VarsEnvironment::new(vars)
}

fn caller_arn(moto: &Moto, creds: &Credentials) -> String {
    let r = moto.call(creds, "sts", "Action=GetCallerIdentity&Version=2011-06-15");
    assert_eq!(r.status(), 200, "GetCallerIdentity refused: {}", text(&r));
    between(&text(&r), "<Arn>", "</Arn>").to_owned()
}

#[test]
fn flows_against_moto() {
    let moto = Moto::start();
    let alice = set_up_iam(&moto);

    // Signatures are checked: a wrong secret is refused, the right one accepted.
    let forged = Credentials::new(alice.access_key_id(), "not-the-secret").unwrap();
    let r = moto.call(
        &forged,
        "sts",
        "Action=GetCallerIdentity&Version=2011-06-15",
    );
    assert_eq!(
        r.status(),
        403,
        "a forged signature was accepted: {}",
        text(&r)
    );
    assert_eq!(
        caller_arn(&moto, &alice),
        "arn:aws:iam::123456789012:user/alice"
    );

    // AssumeRole, signed by awsig with the source profile's keys.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("credentials"),
        format!(
            "[alice]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            alice.access_key_id(),
            alice.secret_access_key()
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("config"),
        "[profile deploy]\nrole_arn = arn:aws:iam::123456789012:role/deployer\nsource_profile = alice\nexternal_id = ext-42\nrole_session_name = e2e\nduration_seconds = 1800\n\n[profile wrong-id]\nrole_arn = arn:aws:iam::123456789012:role/deployer\nsource_profile = alice\nexternal_id = nope\n",
    )
    .unwrap();
    let env = env_with(&moto, dir.path(), &[]);
    let before = SystemTime::now();
    let resolved = resolve(&env, Some("deploy")).unwrap();
    assert_eq!(
        resolved.source,
        Source::AssumeRole {
            profile: "deploy".into()
        }
    );
    let session = resolved.credentials;
    assert_ne!(session.access_key_id(), alice.access_key_id());
    assert!(session.session_token().is_some());
    let expiry = session.expiry().unwrap();
    assert!(
        expiry > before + Duration::from_secs(1700) && expiry < before + Duration::from_secs(1900),
        "{expiry:?}"
    );
    assert_eq!(
        caller_arn(&moto, &session),
        "arn:aws:sts::123456789012:assumed-role/deployer/e2e"
    );

    // The wrong external id: moto's trust policy refuses, and the typed
    // error keeps STS's code.
    match resolve(&env, Some("wrong-id")) {
        Err(ProviderError::Service {
            service: "sts",
            status: 403,
            code,
            message,
        }) => assert_eq!(code, "AccessDenied", "{message}"),
        other => panic!("expected AccessDenied, got {other:?}"),
    }

    // AssumeRoleWithWebIdentity (IRSA variables). moto answers this
    // unsigned call only inside an unauthenticated window, so one action
    // is let through; the resulting credentials are then checked signed.
    std::fs::write(dir.path().join("token"), "eyJhbGciOiJSUzI1NiJ9.e30.c2ln\n").unwrap();
    let env = env_with(
        &moto,
        dir.path(),
        &[
            (
                "AWS_WEB_IDENTITY_TOKEN_FILE",
                dir.path().join("token").display().to_string(),
            ),
            (
                "AWS_ROLE_ARN",
                "arn:aws:iam::123456789012:role/irsa".to_owned(),
            ),
            ("AWS_ROLE_SESSION_NAME", "pod-1".to_owned()),
        ],
    );
    moto.allow_unauthenticated(1);
    let resolved = resolve(&env, None).unwrap();
    assert_eq!(resolved.source, Source::WebIdentity);
    assert_eq!(resolved.region.as_deref(), Some("us-east-1"));
    assert_eq!(
        caller_arn(&moto, &resolved.credentials),
        "arn:aws:sts::123456789012:assumed-role/irsa/pod-1"
    );

    // IMDSv2 against moto's instance metadata endpoints: token, role, credentials.
    let empty = tempfile::tempdir().unwrap();
    let mut vars = BTreeMap::from([
        (
            "AWS_CONFIG_FILE".to_owned(),
            empty.path().join("config").display().to_string(),
        ),
        (
            "AWS_SHARED_CREDENTIALS_FILE".to_owned(),
            empty.path().join("credentials").display().to_string(),
        ),
        ("AWS_EC2_METADATA_SERVICE_ENDPOINT".to_owned(), moto.url("")),
    ]);
    let env = VarsEnvironment::new(vars.clone());
    let resolved = resolve(&env, None).unwrap();
    assert_eq!(resolved.source, Source::InstanceMetadata);
    // moto's fixed instance credentials, valid for a day.
    assert_eq!(resolved.credentials.access_key_id(), "test-key");
    assert_eq!(resolved.credentials.secret_access_key(), "test-secret-key");
    assert_eq!(
        resolved.credentials.session_token(),
        Some("test-session-token")
    );
    let expiry = resolved.credentials.expiry().unwrap();
    let day = SystemTime::now() + Duration::from_secs(86_400);
    assert!(
        expiry > day - Duration::from_secs(120) && expiry < day + Duration::from_secs(120),
        "{expiry:?}"
    );

    // IMDS credentials as the source of a role (credential_source): the
    // AssumeRole request they sign reaches moto, which does not know
    // moto's own fixed instance key and says so in a typed error.
    std::fs::write(
        empty.path().join("config"),
        "[profile from-instance]\nrole_arn = arn:aws:iam::123456789012:role/deployer\ncredential_source = Ec2InstanceMetadata\n",
    )
    .unwrap();
    vars.insert("AWS_ENDPOINT_URL_STS".to_owned(), moto.url(""));
    let env = VarsEnvironment::new(vars);
    match resolve(&env, Some("from-instance")) {
        Err(ProviderError::Service {
            service: "sts",
            code,
            ..
        }) => assert_eq!(code, "InvalidClientTokenId"),
        other => panic!("expected InvalidClientTokenId, got {other:?}"),
    }
}

#[test]
fn unreachable_instance_metadata_means_no_credentials() {
    // A port nobody listens on.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let env = VarsEnvironment::new(BTreeMap::from([
        (
            "AWS_CONFIG_FILE".to_owned(),
            dir.path().join("config").display().to_string(),
        ),
        (
            "AWS_SHARED_CREDENTIALS_FILE".to_owned(),
            dir.path().join("credentials").display().to_string(),
        ),
        (
            "AWS_EC2_METADATA_SERVICE_ENDPOINT".to_owned(),
            format!("http://127.0.0.1:{port}"),
        ),
    ]));
    match resolve(&env, None) {
        Err(ProviderError::NoCredentials { tried }) => {
            assert!(
                tried.last().unwrap().starts_with("instance-metadata"),
                "{tried:?}"
            )
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn container_endpoint_over_loopback_with_token_file() {
    use std::io::{BufRead, BufReader, Write};

    // A one-shot container credentials endpoint on loopback, answering
    // with the documented document when the Authorization header matches.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut request_line = String::new();
        reader.read_line(&mut request_line).unwrap();
        let mut authorization = None;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if line == "\r\n" || line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("authorization") {
                    authorization = Some(value.trim().to_owned());
                }
            }
        }
        let body = if authorization.as_deref() == Some("pod-identity-token") {
            r#"{"AccessKeyId":"ASIACONTAINER","SecretAccessKey":"secret","Token":"session","Expiration":"2099-01-01T00:00:00Z"}"#
        } else {
            r#"{"code":"InvalidToken","message":"bad token"}"#
        };
        let status = if body.contains("ASIA") {
            "200 OK"
        } else {
            "401 Unauthorized"
        };
        let mut stream = stream;
        write!(
            stream,
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        request_line
    });
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("token"), "pod-identity-token\n").unwrap();
    let env = VarsEnvironment::new(BTreeMap::from([
        (
            "AWS_CONFIG_FILE".to_owned(),
            dir.path().join("config").display().to_string(),
        ),
        (
            "AWS_SHARED_CREDENTIALS_FILE".to_owned(),
            dir.path().join("credentials").display().to_string(),
        ),
        (
            "AWS_CONTAINER_CREDENTIALS_FULL_URI".to_owned(),
            format!("http://127.0.0.1:{port}/v1/credentials"),
        ),
        (
            "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE".to_owned(),
            dir.path().join("token").display().to_string(),
        ),
    ]));
    let resolved = resolve(&env, None).unwrap();
    assert_eq!(resolved.source, Source::Container);
    assert_eq!(resolved.credentials.access_key_id(), "ASIACONTAINER");
    assert_eq!(resolved.credentials.session_token(), Some("session"));
    assert_eq!(server.join().unwrap(), "GET /v1/credentials HTTP/1.1\r\n");
}
