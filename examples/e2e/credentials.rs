//! The credential flows against moto: AssumeRole from a profile's source
//! keys (right and wrong external id), AssumeRoleWithWebIdentity, IMDSv2 at
//! moto's instance metadata endpoints, and IMDS credentials as a role's
//! source, each checked by signing a request with the credentials they give.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use awsig::provider::chain::{ChainStep, DefaultChain, Resolved, Source};
use awsig::provider::{ProviderError, VarsEnvironment};
use awsig::{Credentials, PayloadHash, Signer};

/// The moto server the suite started.
struct Moto {
    endpoint: String,
}

impl Moto {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.endpoint)
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

/// Runs the flows as one case of the report.
pub fn run(report: &mut super::Report, endpoint: &str) {
    let moto = Moto {
        endpoint: endpoint.trim_end_matches('/').to_owned(),
    };
    let result = std::panic::catch_unwind(|| flows_against_moto(&moto)).map_err(|panic| {
        panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_else(|| "panicked".to_owned())
    });
    report.case(
        "credentials: profile AssumeRole, web identity, IMDSv2, credential_source",
        result,
    );
}

fn flows_against_moto(moto: &Moto) {
    let alice = set_up_iam(moto);

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
        caller_arn(moto, &alice),
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
    let env = env_with(moto, dir.path(), &[]);
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
        caller_arn(moto, &session),
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
        moto,
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
        caller_arn(moto, &resolved.credentials),
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
