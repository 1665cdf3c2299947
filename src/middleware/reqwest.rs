//! The reqwest-middleware integration (feature `reqwest-middleware`).

use http::Extensions;
use reqwest_middleware::{Middleware, Next};

use super::{RefreshingSigner, SignError};
use crate::PayloadHash;

/// A `reqwest_middleware::Middleware` that signs every request with a
/// [`RefreshingSigner`], and sends it once more, signed at the corrected
/// time, after a clock-skew rejection. See the [module
/// documentation](super) for bodies and skew.
///
/// Errors of its own are `reqwest_middleware::Error::Middleware` holding a
/// [`SignError`].
///
/// ```no_run
/// use awsig::middleware::{RefreshingSigner, SigV4Middleware};
/// use awsig::refresh::RefreshingCredentials;
/// use awsig::Credentials;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let credentials = RefreshingCredentials::new(|| async {
///     Ok(Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")?)
/// });
/// let signer = RefreshingSigner::new(credentials, "us-east-1", "sqs")?;
/// let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
///     .with(SigV4Middleware::new(signer))
///     .build();
/// let response = client
///     .post("https://sqs.us-east-1.amazonaws.com/")
///     .header("content-type", "application/x-amz-json-1.0")
///     .header("x-amz-target", "AmazonSQS.ListQueues")
///     .body("{}")
///     .send()
///     .await?;
/// println!("{}", response.status());
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct SigV4Middleware {
    signer: RefreshingSigner,
}

impl SigV4Middleware {
    /// A middleware signing with `signer`.
    pub fn new(signer: RefreshingSigner) -> Self {
        Self { signer }
    }

    /// The signer (to read or set the clock offset).
    pub fn signer(&self) -> &RefreshingSigner {
        &self.signer
    }

    async fn sign(&self, request: &mut reqwest::Request) -> Result<(), SignError> {
        let uri: http::Uri =
            request
                .url()
                .as_str()
                .parse()
                .map_err(|_| crate::Error::InvalidUri {
                    reason: "the URL is not a valid URI",
                })?;
        let limit = self.signer.max_buffered_body();
        let payload = match request.body() {
            None => PayloadHash::empty(),
            Some(body) => match body.as_bytes() {
                Some(bytes) if (bytes.len() as u64) <= limit => PayloadHash::of(bytes),
                Some(bytes) => self
                    .signer
                    .streaming_payload(&uri, &format!("{} bytes, over the limit", bytes.len()))?,
                None => self.signer.streaming_payload(&uri, "a stream")?,
            },
        };
        let method = request.method().clone();
        let mut signed_uri = uri.clone();
        self.signer
            .sign_headers(&method, &mut signed_uri, request.headers_mut(), &payload)
            .await?;
        if signed_uri != uri {
            // Send the URI as it was signed (with S3's rules, a raw '+'
            // in the path becomes %2B), and check that reqwest keeps it.
            let text = signed_uri.to_string();
            match reqwest::Url::parse(&text) {
                Ok(url) if url.as_str() == text => *request.url_mut() = url,
                _ => {
                    return Err(SignError::Signing(crate::Error::InvalidUri {
                        reason: "the signed URI would not be sent as it was signed",
                    }));
                }
            }
        }
        Ok(())
    }
}

fn middleware_error(e: SignError) -> reqwest_middleware::Error {
    reqwest_middleware::Error::middleware(e)
}

#[async_trait::async_trait]
impl Middleware for SigV4Middleware {
    async fn handle(
        &self,
        request: reqwest::Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        let replay = request.try_clone();
        let mut request = request;
        self.sign(&mut request).await.map_err(middleware_error)?;
        let response = next.clone().run(request, extensions).await?;
        let Some(mut replay) = replay else {
            return Ok(response);
        };
        let status = response.status();
        if !self.signer.may_be_skew(status.as_u16(), response.headers()) {
            return Ok(response);
        }
        let version = response.version();
        let headers = response.headers().clone();
        let body = response.bytes().await?;
        if self
            .signer
            .learn_skew(status.as_u16(), &headers, &body)
            .is_some()
        {
            self.sign(&mut replay).await.map_err(middleware_error)?;
            return next.run(replay, extensions).await;
        }
        let mut rebuilt = http::Response::new(body);
        *rebuilt.status_mut() = status;
        *rebuilt.version_mut() = version;
        *rebuilt.headers_mut() = headers;
        Ok(reqwest::Response::from(rebuilt))
    }
}
