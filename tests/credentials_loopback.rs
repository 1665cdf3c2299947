//! The credential flows that need no server but a socket on loopback: an
//! instance metadata endpoint nobody answers, and a container credentials
//! endpoint with an authorization token file. (The flows against STS and
//! IMDS at moto are in the end-to-end suite, `examples/e2e/credentials.rs`.)
#![cfg(feature = "credentials")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::time::{Duration, SystemTime};

use awsig::provider::chain::{ChainStep, DefaultChain, Resolved, Source};
use awsig::provider::{ProviderError, VarsEnvironment};

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
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("authorization")
            {
                authorization = Some(value.trim().to_owned());
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
