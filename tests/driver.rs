//! The drivers against local endpoints: one that accepts connections and
//! never answers, one that refuses them, and one that answers.

#![cfg(all(feature = "ureq", feature = "reqwest"))]

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};

use awsig::driver::{
    self, Budget, FlowExchange, ReqwestTransport, TransportErrorKind, UreqTransport,
};
use awsig::provider::imds::{ImdsConfig, ImdsFlow};
use awsig::provider::{DefaultChain, ProviderError, VarsEnvironment};

/// A listener that accepts every connection and never writes a byte. The
/// accepted sockets are kept open until the test ends.
fn silent_endpoint() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    format!("http://{addr}")
}

/// A port nothing listens on.
fn refusing_endpoint() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}")
}

/// An IMDS double: token, role, credentials, answered in order.
fn answering_imds() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let bodies = [
            "token",
            "role",
            r#"{"Code":"Success","AccessKeyId":"ASIALOCAL","SecretAccessKey":"s","Token":"t","Expiration":"2100-01-01T00:00:00Z"}"#,
        ];
        for (stream, body) in listener.incoming().zip(bodies) {
            let mut stream = stream.unwrap();
            let mut buf = [0u8; 4096];
            let mut seen = Vec::new();
            while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = stream.read(&mut buf).unwrap();
                if n == 0 {
                    break;
                }
                seen.extend_from_slice(&buf[..n]);
            }
            write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            )
            .unwrap();
        }
    });
    format!("http://{addr}")
}

fn chain_env(imds: &str) -> VarsEnvironment {
    VarsEnvironment::new(BTreeMap::from([
        (
            "AWS_CONFIG_FILE".to_owned(),
            "/nonexistent/config".to_owned(),
        ),
        (
            "AWS_SHARED_CREDENTIALS_FILE".to_owned(),
            "/nonexistent/credentials".to_owned(),
        ),
        (
            "AWS_EC2_METADATA_SERVICE_ENDPOINT".to_owned(),
            imds.to_owned(),
        ),
    ]))
}

/// The stated budget for one IMDS request, plus scheduling slack.
fn imds_deadline() -> Duration {
    Budget::IMDS.total + Budget::IMDS.backoff + Duration::from_millis(700)
}

#[test]
fn blocking_chain_gives_up_on_a_silent_imds_within_the_budget_and_says_timeout() {
    let env = chain_env(&silent_endpoint());
    let mut chain = DefaultChain::new(env.clone(), None).unwrap();
    let started = Instant::now();
    let err = driver::resolve(&mut chain, &UreqTransport::new()).unwrap_err();
    let elapsed = started.elapsed();
    assert!(elapsed <= imds_deadline(), "took {elapsed:?}");
    assert!(elapsed >= Budget::IMDS.read_timeout, "took {elapsed:?}");
    assert!(
        matches!(err.provider_error(), ProviderError::NoCredentials { .. }),
        "{err}"
    );
    assert!(err.is_timeout(), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("instance-metadata (unreachable: http://127.0.0.1:"),
        "{text}"
    );
    assert!(text.contains(" timed out: "), "{text}");
    assert!(text.contains("after 2 attempts"), "{text}");
    // The chain's own error says as much: `?` into a ProviderError keeps it.
    let plain = ProviderError::from(err.clone()).to_string();
    assert!(
        plain.contains(" timed out: ") && plain.contains("after 2 attempts"),
        "{plain}"
    );
    assert_eq!(err.transport_failures()[0].attempts, 2, "{text}");
}

#[test]
fn blocking_chain_on_a_refused_imds_moves_on_at_once_and_says_refused() {
    let env = chain_env(&refusing_endpoint());
    let mut chain = DefaultChain::new(env.clone(), None).unwrap();
    let started = Instant::now();
    let err = driver::resolve(&mut chain, &UreqTransport::new()).unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(1));
    let failure = &err.transport_failures()[0];
    assert_eq!(failure.error.kind(), TransportErrorKind::Refused, "{err}");
    assert_eq!(failure.attempts, 1);
    assert!(err.to_string().contains("connection refused"), "{err}");
}

#[test]
fn blocking_chain_reads_credentials_from_an_answering_imds() {
    let env = chain_env(&answering_imds());
    let mut chain = DefaultChain::new(env.clone(), None).unwrap();
    let resolved = driver::resolve(&mut chain, &UreqTransport::new()).unwrap();
    assert_eq!(resolved.source.name(), "instance-metadata");
    assert_eq!(resolved.credentials.access_key_id(), "ASIALOCAL");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_flow_gives_up_on_a_silent_imds_within_the_budget_and_says_timeout() {
    let config = ImdsConfig::new(&silent_endpoint()).unwrap();
    let started = Instant::now();
    let err = driver::resolve_async(
        FlowExchange::new(ImdsFlow::new(config)),
        &ReqwestTransport::new(),
    )
    .await
    .unwrap_err();
    let elapsed = started.elapsed();
    assert!(elapsed <= imds_deadline(), "took {elapsed:?}");
    assert!(err.is_timeout(), "{err}");
    assert!(
        err.to_string()
            .contains("cannot reach imds: http://127.0.0.1:"),
        "{err}"
    );
    assert!(err.to_string().contains(" timed out: "), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_flow_on_a_refused_endpoint_says_refused() {
    let config = ImdsConfig::new(&refusing_endpoint()).unwrap();
    let err = driver::resolve_async(
        FlowExchange::new(ImdsFlow::new(config)),
        &ReqwestTransport::new(),
    )
    .await
    .unwrap_err();
    assert_eq!(
        err.transport_failures()[0].error.kind(),
        TransportErrorKind::Refused,
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_flow_reads_credentials_from_an_answering_imds() {
    let config = ImdsConfig::new(&answering_imds()).unwrap();
    let creds = driver::resolve_async(
        FlowExchange::new(ImdsFlow::new(config)),
        &ReqwestTransport::new(),
    )
    .await
    .unwrap();
    assert_eq!(creds.access_key_id(), "ASIALOCAL");
}

/// The README's blocking agent, against a chain whose only source (the
/// instance metadata service) accepts connections and never answers: it
/// starts, and the first request fails saying what happened.
#[test]
fn the_blocking_agent_starts_and_its_first_request_says_timeout() {
    use awsig::provider::{ProviderSigner, RefreshingProvider};
    let env = chain_env(&silent_endpoint());
    let provider = RefreshingProvider::new(Duration::from_secs(300), |_now| {
        let mut chain = DefaultChain::new(env.clone(), None)?;
        Ok(driver::resolve(&mut chain, &UreqTransport::new())?.credentials)
    });
    let started = Instant::now();
    let signer = ProviderSigner::new(provider, "us-west-2", "aps").unwrap();
    assert!(started.elapsed() < Duration::from_millis(100));
    let mut request = http::Request::post("https://aps-workspaces.us-west-2.amazonaws.com/x")
        .body(b"payload".to_vec())
        .unwrap();
    let err = signer
        .sign_body(&mut request, std::time::SystemTime::now())
        .unwrap_err();
    assert!(
        started.elapsed() <= imds_deadline(),
        "took {:?}",
        started.elapsed()
    );
    let text = err.to_string();
    for part in [
        "no credentials to sign with",
        "instance-metadata (unreachable: http://127.0.0.1:",
        " timed out: no complete response within ",
        " s after 2 attempts in ",
    ] {
        assert!(text.contains(part), "{part:?} not in {text}");
    }
}
