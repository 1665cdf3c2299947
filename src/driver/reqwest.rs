//! An async transport over `reqwest` (feature `reqwest`).

use std::future::Future;

use super::{AsyncTransport, Timeouts, TransportError};

/// The largest response body read, in bytes (credential documents are a
/// few KiB).
const MAX_BODY: usize = 1024 * 1024;

/// An [`AsyncTransport`] over a `reqwest::Client`.
///
/// The connect timeout is the client's (reqwest sets it per client, not per
/// request): [`ReqwestTransport::new`] sets 1 s, the instance metadata
/// budget; the per-request total comes from the driver. Which TLS stack it
/// uses is reqwest's: enable one of its TLS features in your own
/// `Cargo.toml` to reach `https` endpoints such as STS.
#[derive(Debug, Clone)]
pub struct ReqwestTransport {
    client: ::reqwest::Client,
}

impl Default for ReqwestTransport {
    fn default() -> Self {
        Self::new()
    }
}

impl ReqwestTransport {
    /// A transport with its own client: 1 s connect timeout, no redirects,
    /// no proxy from the environment (instance metadata and container
    /// endpoints are link-local).
    pub fn new() -> Self {
        let client = ::reqwest::Client::builder()
            .connect_timeout(std::time::Duration::from_secs(1))
            .redirect(::reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .unwrap_or_default();
        Self { client }
    }

    /// A transport over a client of your own (connect timeout and proxy
    /// settings are then yours).
    pub fn with_client(client: ::reqwest::Client) -> Self {
        Self { client }
    }
}

/// Classifies a reqwest error; the source chain tells refused connections
/// and DNS failures apart.
pub(crate) fn classify(error: &::reqwest::Error) -> TransportError {
    if error.is_timeout() {
        return TransportError::timeout(error.to_string());
    }
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            let mut classified = TransportError::from_io(io);
            if classified.kind() != super::TransportErrorKind::Other {
                classified = TransportError::new(classified.kind(), text);
                return classified;
            }
        }
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    let lower = text.to_ascii_lowercase();
    if lower.contains("dns error") || lower.contains("failed to lookup address") {
        TransportError::dns(text)
    } else if lower.contains("certificate") || lower.contains("tls") || lower.contains("handshake")
    {
        TransportError::tls(text)
    } else if lower.contains("connection refused") {
        TransportError::refused(text)
    } else {
        TransportError::other(text)
    }
}

impl AsyncTransport for ReqwestTransport {
    fn send(
        &self,
        request: http::Request<Vec<u8>>,
        timeouts: Timeouts,
    ) -> impl Future<Output = Result<http::Response<Vec<u8>>, TransportError>> + Send {
        let client = self.client.clone();
        async move {
            let mut request = ::reqwest::Request::try_from(request)
                .map_err(|e| TransportError::other(e.to_string()))?;
            *request.timeout_mut() = Some(timeouts.total);
            let response = client.execute(request).await.map_err(|e| classify(&e))?;
            let status = response.status();
            let version = response.version();
            let headers = response.headers().clone();
            if response
                .content_length()
                .is_some_and(|n| n > MAX_BODY as u64)
            {
                return Err(TransportError::other(format!(
                    "the response body is over {MAX_BODY} bytes"
                )));
            }
            let body = response.bytes().await.map_err(|e| classify(&e))?;
            if body.len() > MAX_BODY {
                return Err(TransportError::other(format!(
                    "the response body is over {MAX_BODY} bytes"
                )));
            }
            let mut out = http::Response::new(body.to_vec());
            *out.status_mut() = status;
            *out.version_mut() = version;
            *out.headers_mut() = headers;
            Ok(out)
        }
    }
}
