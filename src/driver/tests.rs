use std::cell::RefCell;
use std::collections::VecDeque;
use std::time::Duration;

use super::*;
use crate::provider::imds::ImdsConfig;

/// Answers from a script, recording each request's timeouts.
struct Script {
    answers: RefCell<VecDeque<Result<http::Response<Vec<u8>>, TransportError>>>,
    seen: RefCell<Vec<(String, Timeouts)>>,
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
            .push((request.uri().path().to_owned(), timeouts));
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
    let paths: Vec<&str> = seen.iter().map(|(p, _)| p.as_str()).collect();
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
