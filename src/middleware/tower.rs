//! The tower integration (feature `tower`).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use http_body_util::{BodyExt, Full, Limited};
use tower_layer::Layer;
use tower_service::Service;

use super::{RefreshingSigner, SignError};
use crate::PayloadHash;
use crate::skew::MAX_ERROR_BODY;

/// The error type of [`SigV4Service`]: the inner service's error, or a
/// [`SignError`], boxed.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A `tower::Layer` that signs every request with a [`RefreshingSigner`].
/// See the [module documentation](super) for bodies and skew.
///
/// The request body type `B` must be buildable from `Bytes` (as
/// `http_body_util::Full<Bytes>`, `axum::body::Body` and
/// `reqwest::Body` are): a buffered body is read, hashed and rebuilt, and
/// kept to be sent again after a skew rejection. Responses come back with
/// a [`ResponseBody`]: the inner body untouched, or, after a rejection
/// whose body was read to look for skew, that body.
///
/// A task given to `tokio::spawn` that awaits a call of a service whose
/// error type is [`BoxError`] itself (a `BoxCloneService`, or a stack under
/// tower's own timeout or buffer layers) may fail to compile with
/// "implementation of `From` is not general enough": a compiler limitation
/// that tower's own layers share. Box the call's future as
/// `Pin<Box<dyn Future<Output = ...> + Send>>` before awaiting it, or await
/// it outside `tokio::spawn`.
///
/// ```
/// use awsig::middleware::{RefreshingSigner, SigV4Layer};
/// use awsig::refresh::RefreshingCredentials;
/// use awsig::Credentials;
/// use bytes::Bytes;
/// use http_body_util::Full;
/// use tower_layer::Layer;
/// use tower_service::Service;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
/// let credentials = RefreshingCredentials::new(|| async {
///     Ok(Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")?)
/// });
/// let signer = RefreshingSigner::new(credentials, "us-east-1", "sqs")?;
///
/// // Any tower service: here one that checks the request and answers 200
/// // (a hyper client in real use).
/// let inner = tower::service_fn(|request: http::Request<Full<Bytes>>| async move {
///     assert!(request.headers().contains_key("authorization"));
///     Ok::<_, std::convert::Infallible>(http::Response::new(Full::new(Bytes::new())))
/// });
/// let mut client = SigV4Layer::new(signer).layer(inner);
/// let request = http::Request::post("https://sqs.us-east-1.amazonaws.com/")
///     .body(Full::new(Bytes::from_static(b"{}")))?;
/// let response = client.call(request).await?;
/// assert_eq!(response.status(), 200);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct SigV4Layer {
    signer: RefreshingSigner,
}

impl SigV4Layer {
    /// A layer signing with `signer`.
    pub fn new(signer: RefreshingSigner) -> Self {
        Self { signer }
    }

    /// The signer.
    pub fn signer(&self) -> &RefreshingSigner {
        &self.signer
    }
}

impl<S> Layer<S> for SigV4Layer {
    type Service = SigV4Service<S>;

    fn layer(&self, inner: S) -> SigV4Service<S> {
        SigV4Service {
            inner,
            signer: self.signer.clone(),
        }
    }
}

/// The service [`SigV4Layer`] makes.
#[derive(Debug, Clone)]
pub struct SigV4Service<S> {
    inner: S,
    signer: RefreshingSigner,
}

impl<S> SigV4Service<S> {
    /// The signer.
    pub fn signer(&self) -> &RefreshingSigner {
        &self.signer
    }

    /// The inner service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }
}

/// A response body: the inner service's, or one read to look for a clock
/// skew.
#[derive(Debug)]
pub enum ResponseBody<B> {
    /// The inner service's body, untouched.
    Inner(B),
    /// A body that was read.
    Buffered(Full<Bytes>),
}

impl<B> Body for ResponseBody<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match self.get_mut() {
            ResponseBody::Inner(b) => Pin::new(b).poll_frame(cx).map_err(Into::into),
            ResponseBody::Buffered(b) => Pin::new(b).poll_frame(cx).map_err(|e| match e {}),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            ResponseBody::Inner(b) => b.is_end_stream(),
            ResponseBody::Buffered(b) => b.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            ResponseBody::Inner(b) => b.size_hint(),
            ResponseBody::Buffered(b) => b.size_hint(),
        }
    }
}

/// What is kept of a request to sign and send it again.
struct Replay {
    method: http::Method,
    uri: http::Uri,
    version: http::Version,
    headers: http::HeaderMap,
    extensions: http::Extensions,
    body: Bytes,
}

impl Replay {
    fn request<B: From<Bytes>>(&self) -> http::Request<B> {
        let mut r = http::Request::new(B::from(self.body.clone()));
        *r.method_mut() = self.method.clone();
        *r.uri_mut() = self.uri.clone();
        *r.version_mut() = self.version;
        *r.headers_mut() = self.headers.clone();
        *r.extensions_mut() = self.extensions.clone();
        r
    }
}

impl<S, B, RB> Service<http::Request<B>> for SigV4Service<S>
where
    S: Service<http::Request<B>, Response = http::Response<RB>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: Body + From<Bytes> + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
    RB: Body<Data = Bytes> + Send + Unpin + 'static,
    RB::Error: Into<BoxError>,
{
    type Response = http::Response<ResponseBody<RB>>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        // The ready service goes into the future; a fresh clone stays.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let signer = self.signer.clone();
        Box::pin(async move {
            let (mut parts, body) = request.into_parts();
            let limit = signer.max_buffered_body();
            let (payload, body, replay) = match body.size_hint().exact() {
                Some(n) if n <= limit => {
                    let bytes = body
                        .collect()
                        .await
                        .map_err(|e| SignError::Body(e.into().to_string()))?
                        .to_bytes();
                    let replay = Replay {
                        method: parts.method.clone(),
                        uri: parts.uri.clone(),
                        version: parts.version,
                        headers: parts.headers.clone(),
                        extensions: parts.extensions.clone(),
                        body: bytes.clone(),
                    };
                    (PayloadHash::of(&bytes), B::from(bytes), Some(replay))
                }
                Some(n) => {
                    let reason = format!("{n} bytes, over the limit");
                    (signer.streaming_payload(&parts.uri, &reason)?, body, None)
                }
                None => (
                    signer.streaming_payload(&parts.uri, "a stream")?,
                    body,
                    None,
                ),
            };
            signer
                .sign_headers(&parts.method, &mut parts.uri, &mut parts.headers, &payload)
                .await?;
            let response = inner
                .call(http::Request::from_parts(parts, body))
                .await
                .map_err(Into::into)?;
            let Some(replay) = replay else {
                return Ok(response.map(ResponseBody::Inner));
            };
            let status = response.status().as_u16();
            if !signer.may_be_skew(status, response.headers()) {
                return Ok(response.map(ResponseBody::Inner));
            }
            let (head, body) = response.into_parts();
            let bytes = Limited::new(body, MAX_ERROR_BODY)
                .collect()
                .await?
                .to_bytes();
            if signer.learn_skew(status, &head.headers, &bytes).is_none() {
                return Ok(http::Response::from_parts(
                    head,
                    ResponseBody::Buffered(Full::new(bytes)),
                ));
            }
            let mut again: http::Request<B> = replay.request();
            signer
                .sign(&mut again, &PayloadHash::of(&replay.body))
                .await?;
            std::future::poll_fn(|cx| inner.poll_ready(cx))
                .await
                .map_err(Into::into)?;
            let response = inner.call(again).await.map_err(Into::into)?;
            Ok(response.map(ResponseBody::Inner))
        })
    }
}
