use std::cell::RefCell;
use std::collections::VecDeque;
use std::time::{Duration, SystemTime};

use super::*;
use crate::provider::imds::ImdsConfig;

/// Answers from a script, recording each request's timeouts.
struct Script {
    answers: RefCell<VecDeque<Result<http::Response<Vec<u8>>, TransportError>>>,
    seen: RefCell<Vec<(http::Uri, Timeouts)>>,
}

impl Script {
    fn new(answers: Vec<Result<http::Response<Vec<u8>>, TransportError>>) -> Self {
        Self {
            answers: RefCell::new(answers.into()),
            seen: RefCell::new(Vec::new()),
        }
    }
}

impl Transport for Script {
    fn send(
        &self,
        request: http::Request<Vec<u8>>,
        timeouts: Timeouts,
    ) -> Result<http::Response<Vec<u8>>, TransportError> {
        self.seen
            .borrow_mut()
            .push((request.uri().clone(), timeouts));
        self.answers
            .borrow_mut()
            .pop_front()
            .unwrap_or_else(|| Err(TransportError::other("script over")))
    }
}

fn ok(status: u16, body: &str) -> Result<http::Response<Vec<u8>>, TransportError> {
    Ok(http::Response::builder()
        .status(status)
        .body(body.as_bytes().to_vec())
        .unwrap())
}

const CREDS: &str = r#"{"Code":"Success","AccessKeyId":"ASIAIMDS","SecretAccessKey":"s","Token":"t","Expiration":"2100-01-01T00:00:00Z"}"#;

fn fast() -> Budgets {
    Budgets {
        imds: Budget::IMDS.with_backoff(Duration::ZERO),
        ..Budgets::default()
    }
}

#[test]
fn imds_flow_runs_to_the_end_and_retries_a_timeout_once() {
    let script = Script::new(vec![
        Err(TransportError::timeout("read")),
        ok(200, "token"),
        ok(503, "busy"),
        ok(200, "role"),
        ok(200, CREDS),
    ]);
    let mut flow = FlowExchange::new(ImdsFlow::new(
        ImdsConfig::new("http://127.0.0.1:1").unwrap(),
    ));
    let creds = resolve_with(&mut flow, &script, &fast()).unwrap();
    assert_eq!(creds.access_key_id(), "ASIAIMDS");
    let seen = script.seen.borrow();
    let paths: Vec<&str> = seen.iter().map(|(uri, _)| uri.path()).collect();
    assert_eq!(
        paths,
        [
            "/latest/api/token",
            "/latest/api/token",
            "/latest/meta-data/iam/security-credentials/",
            "/latest/meta-data/iam/security-credentials/",
            "/latest/meta-data/iam/security-credentials/role",
        ]
    );
    // The IMDS budget: 1 s to connect, 2 s in all.
    assert_eq!(seen[0].1.connect, Duration::from_secs(1));
    assert_eq!(seen[0].1.total, Duration::from_secs(2));
}

#[test]
fn a_second_timeout_gives_up_with_the_kind_and_the_attempts() {
    let script = Script::new(vec![
        Err(TransportError::timeout("first")),
        Err(TransportError::timeout("second")),
    ]);
    let mut flow = FlowExchange::new(ImdsFlow::new(
        ImdsConfig::new("http://127.0.0.1:1").unwrap(),
    ));
    let err = resolve_with(&mut flow, &script, &fast()).unwrap_err();
    assert!(err.is_timeout());
    assert_eq!(err.transport_failures().len(), 1);
    let failure = &err.transport_failures()[0];
    assert_eq!(failure.attempts, 2);
    assert_eq!(failure.endpoint, "http://127.0.0.1:1");
    assert_eq!(failure.error.message(), "second");
    // The flow's error alone tells the endpoint, the kind, the client's
    // message and the attempts, so `?` into a ProviderError loses nothing.
    let text = err.to_string();
    let expected = "cannot reach imds: http://127.0.0.1:1 timed out: second after 2 attempts in ";
    assert!(text.starts_with(expected), "{text}");
    assert_eq!(text.matches("after 2 attempts").count(), 1, "{text}");
    let plain = ProviderError::from(err).to_string();
    assert!(plain.starts_with(expected), "{plain}");
}

#[test]
fn refused_dns_and_tls_are_not_retried() {
    for error in [
        TransportError::refused("no"),
        TransportError::dns("no"),
        TransportError::tls("no"),
    ] {
        let kind = error.kind();
        let script = Script::new(vec![Err(error), ok(200, "never")]);
        let mut flow = FlowExchange::new(ImdsFlow::new(
            ImdsConfig::new("http://127.0.0.1:1").unwrap(),
        ));
        let err = resolve_with(&mut flow, &script, &fast()).unwrap_err();
        assert_eq!(script.seen.borrow().len(), 1, "{kind:?}");
        assert_eq!(err.transport_failures()[0].error.kind(), kind);
        assert!(!err.is_timeout());
    }
}

#[test]
fn a_5xx_on_the_last_attempt_reaches_the_flow() {
    let script = Script::new(vec![ok(500, "a"), ok(500, "b")]);
    let mut flow = FlowExchange::new(ImdsFlow::new(
        ImdsConfig::new("http://127.0.0.1:1").unwrap(),
    ));
    let err = resolve_with(&mut flow, &script, &fast()).unwrap_err();
    assert!(err.transport_failures().is_empty());
    assert!(
        matches!(
            err.provider_error(),
            ProviderError::Service { status: 500, .. }
        ),
        "{err}"
    );
}

#[test]
fn the_total_budget_caps_each_attempt() {
    let budget = Budget::IMDS.with_total(Duration::from_millis(1500));
    let t = budget.timeouts(Duration::from_millis(1500));
    assert_eq!(t.connect, Duration::from_secs(1));
    assert_eq!(t.total, Duration::from_millis(1500));
    let t = budget.timeouts(Duration::from_millis(300));
    assert_eq!(
        (t.connect, t.total),
        (Duration::from_millis(300), Duration::from_millis(300))
    );
}

#[test]
fn transport_errors_say_their_kind() {
    let cases = [
        (TransportError::timeout("x"), "timed out: x"),
        (TransportError::refused("x"), "connection refused: x"),
        (TransportError::dns("x"), "DNS lookup failed: x"),
        (TransportError::tls("x"), "TLS failed: x"),
        (TransportError::other(""), "transport error"),
    ];
    for (e, text) in cases {
        assert_eq!(e.to_string(), text);
    }
    let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
    assert_eq!(
        TransportError::from_io(&io).kind(),
        TransportErrorKind::Refused
    );
    let io = std::io::Error::new(std::io::ErrorKind::WouldBlock, "read timed out");
    assert!(TransportError::from_io(&io).is_timeout());
}

/// The budget a request was given, by its connect timeout (each preset
/// has its own).
fn budget_name(timeouts: Timeouts) -> &'static str {
    let budgets = Budgets::default();
    if timeouts.connect == budgets.imds.connect_timeout {
        "imds"
    } else if timeouts.connect == budgets.container.connect_timeout {
        "container"
    } else if timeouts.connect == budgets.service.connect_timeout {
        "service"
    } else {
        "unknown"
    }
}

/// Runs a chain over scripted answers and lists each request's host, path
/// and budget.
fn chain_requests(
    env: crate::provider::env::tests::FakeEnv,
    profile: Option<&str>,
    answers: Vec<Result<http::Response<Vec<u8>>, TransportError>>,
) -> (Result<Resolved, ResolveError>, Vec<String>) {
    let script = Script::new(answers);
    let mut chain = DefaultChain::new(env, profile).unwrap();
    let resolved = resolve(&mut chain, &script);
    let seen = script
        .seen
        .borrow()
        .iter()
        .map(|(uri, timeouts)| {
            format!(
                "{}{} {}",
                uri.host().unwrap_or_default(),
                uri.path(),
                budget_name(*timeouts)
            )
        })
        .collect();
    (resolved, seen)
}

#[test]
fn the_chain_gives_each_request_the_budget_of_its_endpoint() {
    use crate::provider::env::tests::FakeEnv;
    let files = [
        ("AWS_CONFIG_FILE", "/cfg"),
        ("AWS_SHARED_CREDENTIALS_FILE", "/creds"),
    ];
    let assume_role = ok(
        200,
        "<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>ASIAROLE</AccessKeyId><SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken><Expiration>2100-01-01T00:00:00Z</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>",
    );

    // A role on top of the instance metadata service, then the region
    // lookup: IMDS, STS, IMDS again.
    let env = FakeEnv::with(&files).file(
        "/cfg",
        "[profile r]\nrole_arn = arn:aws:iam::123456789012:role/r\ncredential_source = Ec2InstanceMetadata\n",
    );
    let answers = vec![
        ok(200, "token"),
        ok(200, "role"),
        ok(200, CREDS),
        assume_role.clone(),
        ok(200, "eu-west-3"),
    ];
    let (resolved, seen) = chain_requests(env, Some("r"), answers);
    let resolved = resolved.unwrap();
    assert_eq!(resolved.credentials.access_key_id(), "ASIAROLE");
    assert_eq!(resolved.region.as_deref(), Some("eu-west-3"));
    assert_eq!(
        seen,
        [
            "169.254.169.254/latest/api/token imds",
            "169.254.169.254/latest/meta-data/iam/security-credentials/ imds",
            "169.254.169.254/latest/meta-data/iam/security-credentials/role imds",
            "sts.amazonaws.com/ service",
            "169.254.169.254/latest/meta-data/placement/region imds",
        ]
    );

    // A container endpoint.
    let mut vars = files.to_vec();
    vars.extend([
        (
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            "http://127.0.0.1:9/creds",
        ),
        ("AWS_REGION", "us-west-2"),
    ]);
    let (resolved, seen) = chain_requests(FakeEnv::with(&vars), None, vec![ok(200, CREDS)]);
    assert_eq!(resolved.unwrap().source.name(), "container");
    assert_eq!(seen, ["127.0.0.1/creds container"]);

    // IAM Identity Center: the OIDC service refreshes the token, the
    // portal gives the role's credentials.
    let (env, _) = crate::provider::chain::tests::sso_profile(
        &[],
        SystemTime::now() + Duration::from_secs(60),
    );
    let answers = vec![
        ok(
            200,
            r#"{"accessToken":"new","expiresIn":3600,"tokenType":"Bearer"}"#,
        ),
        ok(
            200,
            r#"{"roleCredentials":{"accessKeyId":"ASIASSO","secretAccessKey":"s","sessionToken":"t","expiration":4102444800000}}"#,
        ),
    ];
    let (resolved, seen) = chain_requests(env, Some("dev"), answers);
    assert_eq!(resolved.unwrap().credentials.access_key_id(), "ASIASSO");
    assert_eq!(
        seen,
        [
            "oidc.eu-west-1.amazonaws.com/token service",
            "portal.sso.eu-west-1.amazonaws.com/federation/credentials service",
        ]
    );
}

/// An `aws login` session near its end is refreshed at the sign-in
/// service, with the services' budget.
#[cfg(feature = "login")]
#[test]
fn the_chain_refreshes_an_aws_login_session_with_the_service_budget() {
    use crate::provider::env::tests::FakeEnv;
    let session = "arn:aws:sts::012345678910:assumed-role/Admin/admin";
    let soon = crate::provider::format_time(SystemTime::now() + Duration::from_secs(60));
    let cache = serde_json::json!({
        "accessToken": {
            "accessKeyId": "ASIAOLD",
            "secretAccessKey": "old",
            "sessionToken": "oldtoken",
            "accountId": "012345678901",
            "expiresAt": soon,
        },
        "clientId": "arn:aws:signin:::devtools/same-device",
        "refreshToken": "rt",
        "dpopKey": crate::provider::login::tests::KEY,
    });
    let env = FakeEnv::with(&[
        ("AWS_CONFIG_FILE", "/cfg"),
        ("AWS_SHARED_CREDENTIALS_FILE", "/creds"),
        ("HOME", "/home"),
        ("AWS_REGION", "us-west-2"),
    ])
    .file(
        "/cfg",
        &format!("[profile signin]\nlogin_session = {session}\n"),
    )
    .file(
        &format!(
            "/home/.aws/login/cache/{}",
            crate::provider::login::cache_file_name(session)
        ),
        &cache.to_string(),
    );
    let answer = r#"{"accessToken":{"accessKeyId":"ASIANEW","secretAccessKey":"new","sessionToken":"newtoken"},"tokenType":"aws_sigv4","expiresIn":900,"refreshToken":"rt2"}"#;
    let (resolved, seen) = chain_requests(env, Some("signin"), vec![ok(200, answer)]);
    let resolved = resolved.unwrap();
    assert_eq!(resolved.source.name(), "login");
    assert_eq!(resolved.credentials.access_key_id(), "ASIANEW");
    assert_eq!(seen, ["us-west-2.signin.aws.amazon.com/v1/token service"]);
}
