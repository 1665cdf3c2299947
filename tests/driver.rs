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
    chain_env_with(imds, &[])
}

/// No shared files, the instance metadata service at `imds`, and `extra`.
fn chain_env_with(imds: &str, extra: &[(&str, &str)]) -> VarsEnvironment {
    let mut vars = BTreeMap::from([
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
    ]);
    for (k, v) in extra {
        vars.insert((*k).to_owned(), (*v).to_owned());
    }
    VarsEnvironment::new(vars)
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

/// A local AWS double on the tokio runtime of the test: the instance
/// metadata service (token, role, credentials) and STS (`AssumeRole`), on
/// one port. It records each request as `METHOD PATH` with its
/// `authorization` header.
async fn local_aws() -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = std::sync::Arc::clone(&log);
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let seen = std::sync::Arc::clone(&seen);
            tokio::spawn(async move {
                let mut data = Vec::new();
                let mut buf = [0u8; 4096];
                // The head, then as much body as content-length says.
                let head_end = loop {
                    let n = read_some(&stream, &mut buf).await;
                    assert!(n > 0, "the client closed early");
                    data.extend_from_slice(&buf[..n]);
                    if let Some(i) = data.windows(4).position(|w| w == b"\r\n\r\n") {
                        break i + 4;
                    }
                };
                let head = String::from_utf8_lossy(&data[..head_end]).into_owned();
                let header = |name: &str| {
                    head.lines()
                        .find_map(|l| {
                            let (k, v) = l.split_once(':')?;
                            k.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
                        })
                        .unwrap_or_default()
                };
                let length: usize = header("content-length").parse().unwrap_or(0);
                while data.len() < head_end + length {
                    let n = read_some(&stream, &mut buf).await;
                    assert!(n > 0, "the client closed early");
                    data.extend_from_slice(&buf[..n]);
                }
                let body = String::from_utf8_lossy(&data[head_end..]).into_owned();
                let mut line = head.split(' ');
                let (method, path) = (line.next().unwrap_or(""), line.next().unwrap_or(""));
                seen.lock()
                    .unwrap()
                    .push(format!("{method} {path} {}", header("authorization")));
                let (status, answer) = match (method, path) {
                    ("PUT", "/latest/api/token") => (200, "token".to_owned()),
                    ("GET", "/latest/meta-data/iam/security-credentials/") => {
                        (200, "role".to_owned())
                    }
                    ("GET", "/latest/meta-data/iam/security-credentials/role") => (
                        200,
                        r#"{"Code":"Success","AccessKeyId":"ASIAIMDS","SecretAccessKey":"s","Token":"t","Expiration":"2100-01-01T00:00:00Z"}"#.to_owned(),
                    ),
                    ("POST", "/") if body.contains("Action=AssumeRole&") => {
                        // `role/NAME` gives ASIA<NAME>.
                        let name = body
                            .split("role%2F")
                            .nth(1)
                            .and_then(|rest| rest.split('&').next())
                            .unwrap_or_default()
                            .to_ascii_uppercase();
                        (
                            200,
                            format!("<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>ASIA{name}</AccessKeyId><SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken><Expiration>2100-01-01T00:00:00Z</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>"),
                        )
                    }
                    _ => (404, String::new()),
                };
                let reply = format!(
                    "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
                    answer.len()
                );
                write_all(&stream, reply.as_bytes()).await;
            });
        }
    });
    (format!("http://{addr}"), log)
}

/// Reads what has come, waiting until something has (0: the peer closed).
async fn read_some(stream: &tokio::net::TcpStream, buf: &mut [u8]) -> usize {
    loop {
        stream.readable().await.unwrap();
        match stream.try_read(buf) {
            Ok(n) => return n,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(e) => panic!("{e}"),
        }
    }
}

/// Writes all of `data`.
async fn write_all(stream: &tokio::net::TcpStream, mut data: &[u8]) {
    while !data.is_empty() {
        stream.writable().await.unwrap();
        match stream.try_write(data) {
            Ok(n) => data = &data[n..],
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(e) => panic!("{e}"),
        }
    }
}

/// An async transport over reqwest that records each request's path and
/// the connect timeout it was given.
struct Recording {
    inner: ReqwestTransport,
    seen: std::sync::Mutex<Vec<(String, Duration)>>,
}

impl driver::AsyncTransport for Recording {
    fn send(
        &self,
        request: http::Request<Vec<u8>>,
        timeouts: driver::Timeouts,
    ) -> impl std::future::Future<Output = Result<http::Response<Vec<u8>>, driver::TransportError>> + Send
    {
        self.seen
            .lock()
            .unwrap()
            .push((request.uri().path().to_owned(), timeouts.connect));
        self.inner.send(request, timeouts)
    }
}

/// A `sigv4` block with a role on top of the default chain, on a
/// multi-thread runtime. The profile's role takes its credentials from
/// the instance metadata service; the block's role is assumed on top. The
/// chain's requests (IMDS, then STS) and the block's (STS) go to local
/// doubles, each within its endpoint's budget, and the signing runs in a
/// spawned task (so its future is `Send + 'static`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigv4_config_resolves_the_chain_and_the_role_on_the_runtime() {
    use awsig::config::SigV4Config;
    let (aws, log) = local_aws().await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    std::fs::write(
        &config,
        "[profile agent]\nrole_arn = arn:aws:iam::123456789012:role/base\ncredential_source = Ec2InstanceMetadata\n",
    )
    .unwrap();
    let env = chain_env_with(
        &aws,
        &[
            ("AWS_ENDPOINT_URL_STS", &aws),
            ("AWS_CONFIG_FILE", config.to_str().unwrap()),
        ],
    );
    let transport = std::sync::Arc::new(Recording {
        inner: ReqwestTransport::new(),
        seen: std::sync::Mutex::new(Vec::new()),
    });
    let signer = SigV4Config {
        region: Some("us-west-2".into()),
        profile: Some("agent".into()),
        role_arn: Some("arn:aws:iam::123456789012:role/writer".into()),
        ..SigV4Config::default()
    }
    .build_in(std::sync::Arc::new(env), std::sync::Arc::clone(&transport))
    .unwrap();
    assert!(log.lock().unwrap().is_empty(), "building fetched");
    let request = tokio::spawn(async move {
        let mut request = http::Request::post(
            "https://aps-workspaces.us-west-2.amazonaws.com/api/v1/remote_write",
        )
        .body(b"payload".to_vec())
        .unwrap();
        signer.sign_body(&mut request).await.map(|_| request)
    })
    .await
    .unwrap()
    .unwrap();
    let auth = request.headers()["authorization"].to_str().unwrap();
    assert!(auth.contains("Credential=ASIAWRITER/"), "{auth}");
    let log = log.lock().unwrap().clone();
    let methods_and_paths: Vec<String> = log
        .iter()
        .map(|l| l.splitn(3, ' ').take(2).collect::<Vec<_>>().join(" "))
        .collect();
    assert_eq!(
        methods_and_paths,
        [
            "PUT /latest/api/token",
            "GET /latest/meta-data/iam/security-credentials/",
            "GET /latest/meta-data/iam/security-credentials/role",
            "POST /",
            "POST /",
        ]
    );
    // The profile's role with the instance's credentials, the block's
    // role with the profile role's.
    assert!(log[3].contains("Credential=ASIAIMDS/"), "{}", log[3]);
    assert!(log[4].contains("Credential=ASIABASE/"), "{}", log[4]);
    // The instance metadata service's budget, then STS's.
    let seen = transport.seen.lock().unwrap().clone();
    let connects: Vec<Duration> = seen.iter().map(|(_, c)| *c).collect();
    assert_eq!(
        connects,
        [
            Budget::IMDS.connect_timeout,
            Budget::IMDS.connect_timeout,
            Budget::IMDS.connect_timeout,
            Budget::SERVICE.connect_timeout,
            Budget::SERVICE.connect_timeout,
        ]
    );
}

/// An environment that counts the calls made on one thread (the async
/// thread of a current-thread runtime) and on others.
struct Watched {
    inner: VarsEnvironment,
    async_thread: std::thread::ThreadId,
    on_async_thread: std::sync::atomic::AtomicUsize,
    elsewhere: std::sync::atomic::AtomicUsize,
}

impl Watched {
    fn count(&self) {
        use std::sync::atomic::Ordering::Relaxed;
        if std::thread::current().id() == self.async_thread {
            self.on_async_thread.fetch_add(1, Relaxed);
        } else {
            self.elsewhere.fetch_add(1, Relaxed);
        }
    }
}

impl awsig::provider::Environment for Watched {
    fn var(&self, name: &str) -> Option<String> {
        self.count();
        self.inner.var(name)
    }
    fn read_file(&self, path: &std::path::Path) -> std::io::Result<Vec<u8>> {
        self.count();
        self.inner.read_file(path)
    }
    fn run_process(&self, argv: &[String]) -> Result<Vec<u8>, ProviderError> {
        self.count();
        self.inner.run_process(argv)
    }
}

/// On a current-thread runtime the local double runs on the one thread
/// that also drives the chain: resolution finishes only if that thread
/// never waits on the network. The chain's own steps (its environment
/// and files) run on the blocking pool, never on that thread.
#[tokio::test(flavor = "current_thread")]
async fn the_chain_resolves_on_a_current_thread_runtime_beside_its_endpoint() {
    use std::sync::atomic::Ordering::Relaxed;
    let (aws, _log) = local_aws().await;
    let env = std::sync::Arc::new(Watched {
        inner: chain_env(&aws),
        async_thread: std::thread::current().id(),
        on_async_thread: 0.into(),
        elsewhere: 0.into(),
    });
    let chain = DefaultChain::builder(std::sync::Arc::clone(&env))
        .region_from_imds(false)
        .build()
        .unwrap();
    // Building reads the files where it is called; only resolving counts.
    env.on_async_thread.store(0, Relaxed);
    let resolved = tokio::time::timeout(
        Duration::from_secs(10),
        driver::resolve_async(chain, &ReqwestTransport::new()),
    )
    .await
    .expect("the resolution stalled")
    .unwrap();
    assert_eq!(resolved.source.name(), "instance-metadata");
    assert_eq!(resolved.credentials.access_key_id(), "ASIAIMDS");
    assert_eq!(env.on_async_thread.load(Relaxed), 0);
    assert!(env.elsewhere.load(Relaxed) > 0);
}

/// The async paths' futures are `Send`: a multi-thread runtime's tasks
/// may hold them.
#[tokio::test]
async fn the_async_futures_are_send() {
    fn send<T: Send>(_: &T) {}
    let transport = ReqwestTransport::new();
    let chain = DefaultChain::new(chain_env(&refusing_endpoint()), None).unwrap();
    send(&driver::resolve_async(chain, &transport));
    let flow = FlowExchange::new(ImdsFlow::new(
        ImdsConfig::new(&refusing_endpoint()).unwrap(),
    ));
    send(&driver::resolve_async(flow, &transport));
    let signer = awsig::config::SigV4Config {
        region: Some("us-west-2".into()),
        ..Default::default()
    }
    .build_in(
        std::sync::Arc::new(chain_env(&refusing_endpoint())),
        ReqwestTransport::new(),
    )
    .unwrap();
    send(&signer.credentials().credentials());
    let mut request = http::Request::new(Vec::new());
    send(&signer.sign_body(&mut request));
}
