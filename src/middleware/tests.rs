use std::sync::Mutex;
use std::sync::atomic::AtomicUsize;
use std::time::{Duration, UNIX_EPOCH};

use super::*;
use crate::{Credentials, Payload, Policy, Rejection, verify_request};

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
