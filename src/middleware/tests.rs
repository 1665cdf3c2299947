use std::sync::Mutex;
use std::sync::atomic::AtomicUsize;
use std::time::{Duration, UNIX_EPOCH};

use super::*;
use crate::{Credentials, Payload, Policy, Rejection, Signer, verify_request};

const AKID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

fn credentials() -> RefreshingCredentials {
    RefreshingCredentials::new(|| async { Ok(Credentials::new(AKID, SECRET)?) })
}

fn lookup(id: &str) -> Result<Option<Credentials>, crate::LookupError> {
    Ok((id == AKID).then(|| Credentials::new(AKID, SECRET).unwrap()))
}

fn http_date(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).unwrap().as_secs() as i64;
    let dt = time::OffsetDateTime::from_unix_timestamp(secs).unwrap();
    let days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} GMT",
        days[dt.weekday().number_days_from_monday() as usize],
        dt.day(),
        months[dt.month() as usize - 1],
        dt.year(),
        dt.hour(),
        dt.minute(),
        dt.second()
    )
}

#[tokio::test]
async fn signs_as_the_plain_signer_at_the_corrected_time() {
    let local = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let signer = RefreshingSigner::new(credentials(), "us-west-2", "aps")
        .unwrap()
        .with_clock(move || local);
    signer.set_clock_offset(-90);
    assert_eq!(signer.now(), local - Duration::from_secs(90));
    let uri = "https://aps-workspaces.us-west-2.amazonaws.com/workspaces/ws-1/api/v1/remote_write";
    let mut a = http::Request::post(uri).body(b"payload".to_vec()).unwrap();
    signer.sign_body(&mut a).await.unwrap();
    let plain = Signer::new(Credentials::new(AKID, SECRET).unwrap(), "us-west-2", "aps").unwrap();
    let mut b = http::Request::post(uri).body(b"payload".to_vec()).unwrap();
    plain
        .sign(
            &mut b,
            &PayloadHash::of(b"payload"),
            local - Duration::from_secs(90),
        )
        .unwrap();
    assert_eq!(a.headers(), b.headers());
}

#[tokio::test]
async fn credentials_failures_and_signing_failures_are_apart() {
    let down = RefreshingCredentials::new(|| async {
        Err(ResolveError::from(
            crate::provider::ProviderError::NoInstanceRole,
        ))
    });
    let signer = RefreshingSigner::new(down, "us-east-1", "sqs").unwrap();
    let mut r = http::Request::get("https://sqs.us-east-1.amazonaws.com/")
        .body(Vec::new())
        .unwrap();
    assert!(matches!(
        signer.sign_body(&mut r).await,
        Err(SignError::Credentials(_))
    ));
    let signer = RefreshingSigner::new(credentials(), "us-east-1", "sqs").unwrap();
    let mut r = http::Request::get("/no-host").body(Vec::new()).unwrap();
    assert!(matches!(
        signer.sign_body(&mut r).await,
        Err(SignError::Signing(crate::Error::MissingHost))
    ));
}

#[test]
fn streaming_bodies_are_unsigned_for_s3_over_https_only() {
    let s3 = RefreshingSigner::new(credentials(), "us-east-1", "s3").unwrap();
    let https: http::Uri = "https://b.s3.amazonaws.com/k".parse().unwrap();
    let http: http::Uri = "http://b.s3.amazonaws.com/k".parse().unwrap();
    assert_eq!(
        s3.streaming_payload(&https, "a stream"),
        Ok(PayloadHash::Unsigned)
    );
    assert!(s3.streaming_payload(&http, "a stream").is_err());
    let aps = RefreshingSigner::new(credentials(), "us-east-1", "aps").unwrap();
    let err = aps.streaming_payload(&https, "a stream").unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("cannot sign a streaming body for aps (a stream)"),
        "{text}"
    );
}

#[cfg(feature = "tower")]
/// A server double that verifies signatures against its own clock and
/// rejects skewed ones as S3 does, counting requests.
fn skew_checking_server(
    calls: Arc<AtomicUsize>,
    seen_bodies: Arc<Mutex<Vec<Vec<u8>>>>,
) -> impl tower_service::Service<
    http::Request<http_body_util::Full<bytes::Bytes>>,
    Response = http::Response<http_body_util::Full<bytes::Bytes>>,
    Error = std::convert::Infallible,
    Future = impl Send,
> + Clone
+ Send
+ 'static {
    use http_body_util::BodyExt;
    ::tower::service_fn(
        move |request: http::Request<http_body_util::Full<bytes::Bytes>>| {
            let calls = Arc::clone(&calls);
            let seen = Arc::clone(&seen_bodies);
            async move {
                calls.fetch_add(1, Ordering::SeqCst);
                let (parts, body) = request.into_parts();
                let body = body.collect().await.unwrap().to_bytes().to_vec();
                seen.lock().unwrap().push(body.clone());
                let request = http::Request::from_parts(parts, body);
                let now = SystemTime::now();
                let outcome = verify_request(
                    &request,
                    Payload::Body(request.body()),
                    &lookup,
                    now,
                    &Policy::new(),
                );
                let (status, text) = match outcome {
                    Ok(_) => (200, "ok".to_owned()),
                    Err(r @ Rejection::RequestTimeTooSkewed { .. }) => {
                        (403, format!("<Error><Code>{}</Code></Error>", r.code()))
                    }
                    Err(r) => (403, format!("<Error><Code>{}</Code></Error>", r.code())),
                };
                Ok(http::Response::builder()
                    .status(status)
                    .header("date", http_date(now))
                    .body(http_body_util::Full::new(bytes::Bytes::from(text)))
                    .unwrap())
            }
        },
    )
}

#[cfg(feature = "tower")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tower_learns_the_skew_and_sends_once_more() {
    use http_body_util::BodyExt;
    use tower_layer::Layer;
    use tower_service::Service;

    let calls = Arc::new(AtomicUsize::new(0));
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let server = skew_checking_server(Arc::clone(&calls), Arc::clone(&bodies));
    // The local clock is 20 minutes ahead.
    let signer = RefreshingSigner::new(credentials(), "us-east-1", "sqs")
        .unwrap()
        .with_clock(|| SystemTime::now() + Duration::from_secs(1200));
    let mut client = SigV4Layer::new(signer.clone()).layer(server);
    let body = bytes::Bytes::from_static(b"{\"QueueName\":\"jobs\"}");
    let request = http::Request::post("https://sqs.us-east-1.amazonaws.com/")
        .header("content-type", "application/x-amz-json-1.0")
        .body(http_body_util::Full::new(body.clone()))
        .unwrap();
    let response = client.call(request).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert!(
        (signer.clock_offset() + 1200).abs() <= 2,
        "{}",
        signer.clock_offset()
    );
    assert_eq!(*bodies.lock().unwrap(), vec![body.to_vec(), body.to_vec()]);
    // The next request is right the first time.
    let request = http::Request::post("https://sqs.us-east-1.amazonaws.com/")
        .body(http_body_util::Full::new(body.clone()))
        .unwrap();
    let response = client.call(request).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    let text = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(&text[..], b"ok");
}

#[cfg(feature = "tower")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tower_passes_other_rejections_through_with_their_body() {
    use http_body_util::BodyExt;
    use tower_layer::Layer;
    use tower_service::Service;

    let calls = Arc::new(AtomicUsize::new(0));
    let server = skew_checking_server(Arc::clone(&calls), Arc::new(Mutex::new(Vec::new())));
    // Wrong secret, right clock: a mismatch that is no skew.
    let wrong = RefreshingCredentials::new(|| async { Ok(Credentials::new(AKID, "not-it")?) });
    let signer = RefreshingSigner::new(wrong, "us-east-1", "sqs")
        .unwrap()
        .with_clock(|| SystemTime::now() + Duration::from_secs(90));
    let mut client = SigV4Layer::new(signer.clone()).layer(server);
    let request = http::Request::post("https://sqs.us-east-1.amazonaws.com/")
        .body(http_body_util::Full::new(bytes::Bytes::from_static(b"x")))
        .unwrap();
    let response = client.call(request).await.unwrap();
    assert_eq!(response.status(), 403);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(signer.clock_offset(), 0);
    let text = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(
        &text[..],
        b"<Error><Code>SignatureDoesNotMatch</Code></Error>"
    );
}

/// A body of unknown length.
#[cfg(feature = "tower")]
struct Streaming(Option<bytes::Bytes>);

#[cfg(feature = "tower")]
impl From<bytes::Bytes> for Streaming {
    fn from(b: bytes::Bytes) -> Self {
        Streaming(Some(b))
    }
}

#[cfg(feature = "tower")]
impl http_body::Body for Streaming {
    type Data = bytes::Bytes;
    type Error = std::convert::Infallible;
    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<bytes::Bytes>, Self::Error>>> {
        std::task::Poll::Ready(
            self.get_mut()
                .0
                .take()
                .map(|b| Ok(http_body::Frame::data(b))),
        )
    }
}

#[cfg(feature = "tower")]
#[tokio::test]
async fn tower_refuses_a_stream_it_cannot_sign_and_sends_s3_streams_unsigned() {
    use tower_layer::Layer;
    use tower_service::Service;

    let seen = Arc::new(Mutex::new(Vec::new()));
    let server = {
        let seen = Arc::clone(&seen);
        ::tower::service_fn(move |r: http::Request<Streaming>| {
            seen.lock().unwrap().push(
                r.headers()
                    .get("x-amz-content-sha256")
                    .map(|v| v.to_str().unwrap().to_owned()),
            );
            async {
                Ok::<_, std::convert::Infallible>(http::Response::new(http_body_util::Full::new(
                    bytes::Bytes::new(),
                )))
            }
        })
    };
    let aps = RefreshingSigner::new(credentials(), "us-east-1", "aps").unwrap();
    let mut client = SigV4Layer::new(aps).layer(server.clone());
    let request = http::Request::post("https://aps-workspaces.us-east-1.amazonaws.com/x")
        .body(Streaming(Some(bytes::Bytes::from_static(b"chunk"))))
        .unwrap();
    let err = client.call(request).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("cannot sign a streaming body for aps"),
        "{err}"
    );
    assert!(seen.lock().unwrap().is_empty());
    let s3 = RefreshingSigner::new(credentials(), "us-east-1", "s3").unwrap();
    let mut client = SigV4Layer::new(s3).layer(server);
    let request = http::Request::put("https://bucket.s3.amazonaws.com/key")
        .body(Streaming(Some(bytes::Bytes::from_static(b"chunk"))))
        .unwrap();
    assert_eq!(client.call(request).await.unwrap().status(), 200);
    assert_eq!(
        *seen.lock().unwrap(),
        vec![Some("UNSIGNED-PAYLOAD".to_owned())]
    );
}

#[tokio::test]
async fn the_endpoint_check_refuses_another_regions_host_naming_both() {
    let signer = RefreshingSigner::new(credentials(), "us-east-1", "sqs")
        .unwrap()
        .with_endpoint_check(EndpointCheck::Refuse);
    assert_eq!(signer.settings().endpoint_check, EndpointCheck::Refuse);
    let mut r = http::Request::post("https://sqs.eu-west-1.amazonaws.com/")
        .body(b"{}".to_vec())
        .unwrap();
    let err = signer.sign_body(&mut r).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot sign the request: the host sqs.eu-west-1.amazonaws.com names region \
         \"eu-west-1\" (the request is signed for \"us-east-1\")"
    );
    assert!(!r.headers().contains_key("authorization"));
    // The signer's own region passes.
    let mut r = http::Request::post("https://sqs.us-east-1.amazonaws.com/")
        .body(b"{}".to_vec())
        .unwrap();
    signer.sign_body(&mut r).await.unwrap();
}

/// Verifies a request as a server would, with S3's rules for `s3`.
fn verifies(request: &http::Request<Vec<u8>>) -> Result<(), String> {
    verify_request(
        request,
        Payload::Body(request.body()),
        &lookup,
        SystemTime::now(),
        &Policy::new(),
    )
    .map(|_| ())
    .map_err(|r| r.to_string())
}

#[cfg(feature = "tower")]
#[tokio::test]
async fn tower_sends_the_uri_it_signed_and_refuses_a_mismatched_host() {
    use http_body_util::BodyExt;
    use tower_layer::Layer;
    use tower_service::Service;

    let seen = Arc::new(Mutex::new(Vec::new()));
    let server = {
        let seen = Arc::clone(&seen);
        ::tower::service_fn(
            move |r: http::Request<http_body_util::Full<bytes::Bytes>>| {
                let seen = Arc::clone(&seen);
                async move {
                    let (parts, body) = r.into_parts();
                    let body = body.collect().await.unwrap().to_bytes().to_vec();
                    seen.lock()
                        .unwrap()
                        .push(http::Request::from_parts(parts, body));
                    Ok::<_, std::convert::Infallible>(http::Response::new(
                        http_body_util::Full::new(bytes::Bytes::new()),
                    ))
                }
            },
        )
    };
    let s3 = RefreshingSigner::new(credentials(), "us-east-1", "s3")
        .unwrap()
        .with_endpoint_check(EndpointCheck::Refuse);
    let mut client = SigV4Layer::new(s3).layer(server);
    // A raw '+' in an S3 key is sent as %2B, and signed so.
    let request = http::Request::put("https://bucket.s3.us-east-1.amazonaws.com/a+b.txt")
        .body(http_body_util::Full::new(bytes::Bytes::from_static(b"x")))
        .unwrap();
    assert_eq!(client.call(request).await.unwrap().status(), 200);
    {
        let seen = seen.lock().unwrap();
        assert_eq!(seen[0].uri().path(), "/a%2Bb.txt");
        verifies(&seen[0]).unwrap();
    }
    // Another region's host never reaches the inner service.
    let request = http::Request::put("https://bucket.s3.eu-west-1.amazonaws.com/k")
        .body(http_body_util::Full::new(bytes::Bytes::from_static(b"x")))
        .unwrap();
    let err = client.call(request).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("names region \"eu-west-1\" (the request is signed for \"us-east-1\")"),
        "{err}"
    );
    assert_eq!(seen.lock().unwrap().len(), 1);
}

/// A server on 127.0.0.1 that answers `200` to each request and hands
/// over what it read, as an `http::Request` in origin form.
#[cfg(feature = "reqwest-middleware")]
fn capturing_server() -> (String, std::sync::mpsc::Receiver<http::Request<Vec<u8>>>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let mut stream = stream.unwrap();
            let mut raw = Vec::new();
            let mut buf = [0u8; 4096];
            let head_end = loop {
                let n = stream.read(&mut buf).unwrap();
                raw.extend_from_slice(&buf[..n]);
                if let Some(i) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
                    break i;
                }
                assert!(n > 0, "the client closed early");
            };
            let head = String::from_utf8(raw[..head_end].to_vec()).unwrap();
            let mut lines = head.split("\r\n");
            let mut first = lines.next().unwrap().split(' ');
            let mut request = http::Request::builder()
                .method(first.next().unwrap())
                .uri(first.next().unwrap());
            let mut length = 0;
            for line in lines {
                let (name, value) = line.split_once(':').unwrap();
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap();
                }
                request = request.header(name, value.trim());
            }
            let mut body = raw[head_end + 4..].to_vec();
            while body.len() < length {
                let n = stream.read(&mut buf).unwrap();
                body.extend_from_slice(&buf[..n]);
            }
            stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                .unwrap();
            if tx.send(request.body(body).unwrap()).is_err() {
                return;
            }
        }
    });
    (format!("http://{addr}"), rx)
}

#[cfg(feature = "reqwest-middleware")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reqwest_sends_the_uri_it_signed_and_refuses_a_mismatched_host() {
    let (endpoint, seen) = capturing_server();
    let s3 = RefreshingSigner::new(credentials(), "us-east-1", "s3")
        .unwrap()
        .with_endpoint_check(EndpointCheck::Refuse);
    let client = reqwest_middleware::ClientBuilder::new(::reqwest::Client::new())
        .with(SigV4Middleware::new(s3))
        .build();
    let response = client
        .put(format!("{endpoint}/bucket/a+b.txt"))
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let request = seen.recv().unwrap();
    assert_eq!(request.uri().path(), "/bucket/a%2Bb.txt");
    verifies(&request).unwrap();

    let err = client
        .put("https://bucket.s3.eu-west-1.amazonaws.com/k")
        .body("x")
        .send()
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("names region \"eu-west-1\" (the request is signed for \"us-east-1\")"),
        "{text}"
    );
}
