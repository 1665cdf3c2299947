//! Drivers: run the sans-IO credential flows to the end over a real
//! HTTP client.
//!
//! The flows in [`crate::provider`] never send anything: they hand out an
//! `http::Request`, take back the `http::Response`, and say what comes next.
//! A driver is the loop around them:
//!
//! ```text
//!            ┌──────────── Exchange::poll(now) ───────────┐
//!            ▼                                            │
//!   Step::Send(request) ──▶ Transport::send(request, timeouts)
//!            │                   │ Ok(response)  → Exchange::handle_response
//!            │                   │ Err(timeout, refused, DNS, TLS, other)
//!            │                   │               → retry within the budget,
//!            │                   │                 then Exchange::handle_send_error
//!   Step::Done(output) ◀─────────┘
//! ```
//!
//! - [`Exchange`] is the shape every flow shares; it is implemented for
//!   [`DefaultChain`] and, through [`FlowExchange`], for each single flow
//!   (IMDS, container, STS).
//! - [`Transport`] (blocking) and `AsyncTransport` (feature `tokio`) send
//!   one request. Ready ones: `UreqTransport` (feature `ureq`) and
//!   `ReqwestTransport` (feature `reqwest`). Any other client is a few
//!   lines (see [`Transport`]).
//! - [`Budget`] holds the time limits the AWS SDKs use for each kind of
//!   endpoint: the instance metadata service and container endpoints get a
//!   short connect timeout, one retry and a small total, then the chain
//!   moves on; STS, IAM Identity Center (the portal and its OIDC service)
//!   and `aws login`'s sign-in service get longer limits. The driver picks
//!   the budget of each request by [`Exchange::endpoint`].
//! - [`resolve`] runs an exchange with a blocking transport; `resolve_async`
//!   (feature `tokio`) with an async one, on the runtime: its requests go
//!   through the async transport, and the exchange's local steps (the
//!   chain's file reads and writes, `credential_process`) run on tokio's
//!   blocking pool.
//!
//! ```
//! use std::collections::BTreeMap;
//! use awsig::driver::{self, Transport, TransportError, Timeouts};
//! use awsig::provider::{DefaultChain, VarsEnvironment};
//!
//! /// A transport for a client of your own: send one request, or say why not.
//! struct MyClient;
//! impl Transport for MyClient {
//!     fn send(
//!         &self,
//!         request: http::Request<Vec<u8>>,
//!         timeouts: Timeouts,
//!     ) -> Result<http::Response<Vec<u8>>, TransportError> {
//!         // Here: your client, with `timeouts.connect` and `timeouts.total`.
//!         # let _ = (request, timeouts);
//!         Err(TransportError::refused("no network in this example"))
//!     }
//! }
//!
//! let env = VarsEnvironment::new(BTreeMap::from([
//!     ("AWS_ACCESS_KEY_ID".to_owned(), "AKIDEXAMPLE".to_owned()),
//!     ("AWS_SECRET_ACCESS_KEY".to_owned(), "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".to_owned()),
//!     ("AWS_CONFIG_FILE".to_owned(), "/nonexistent".to_owned()),
//!     ("AWS_SHARED_CREDENTIALS_FILE".to_owned(), "/nonexistent".to_owned()),
//! ]));
//! let mut chain = DefaultChain::new(env, None)?;
//! let resolved = driver::resolve(&mut chain, &MyClient)?;
//! assert_eq!(resolved.source.name(), "environment");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::time::{Duration, SystemTime};

use crate::Credentials;
use crate::provider::chain::{ChainStep, DefaultChain, Resolved};
use crate::provider::container::ContainerFlow;
use crate::provider::imds::ImdsFlow;
use crate::provider::sts::{AssumeRoleFlow, WebIdentityFlow};
use crate::provider::{Progress, ProviderError};

mod attempts;
mod blocking;
#[cfg(feature = "tokio")]
mod nonblocking;
#[cfg(feature = "reqwest")]
mod reqwest;
#[cfg(feature = "ureq")]
mod ureq;

pub use blocking::{Transport, resolve, resolve_with};
#[cfg(feature = "tokio")]
pub(crate) use nonblocking::on_blocking_pool;
#[cfg(feature = "tokio")]
pub use nonblocking::{AsyncTransport, resolve_async, resolve_async_with};
#[cfg(feature = "reqwest")]
pub use reqwest::ReqwestTransport;
#[cfg(feature = "ureq")]
pub use ureq::UreqTransport;

/// Why a request could not be sent or answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// No connection, or no complete response, within the time allowed.
    Timeout,
    /// The host refused the connection (nothing listens on the port).
    Refused,
    /// The host name could not be resolved.
    Dns,
    /// The TLS handshake failed (certificate, protocol).
    Tls,
    /// Anything else: reset connections, malformed responses, unreachable networks.
    Other,
}

impl TransportErrorKind {
    /// A short text: `timed out`, `connection refused`, `DNS lookup failed`,
    /// `TLS failed`, `transport error`.
    pub fn as_str(self) -> &'static str {
        match self {
            TransportErrorKind::Timeout => "timed out",
            TransportErrorKind::Refused => "connection refused",
            TransportErrorKind::Dns => "DNS lookup failed",
            TransportErrorKind::Tls => "TLS failed",
            TransportErrorKind::Other => "transport error",
        }
    }
}

/// A request that could not be sent or answered, with its kind.
///
/// The message is the client's own (cut to 512 bytes); it never holds a
/// request body or header value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportError {
    kind: TransportErrorKind,
    message: String,
}

impl TransportError {
    /// An error of this kind with the client's message.
    pub fn new(kind: TransportErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: crate::provider::short(&message.into()),
        }
    }

    /// A timeout.
    pub fn timeout(message: impl Into<String>) -> Self {
        Self::new(TransportErrorKind::Timeout, message)
    }

    /// A refused connection.
    pub fn refused(message: impl Into<String>) -> Self {
        Self::new(TransportErrorKind::Refused, message)
    }

    /// A failed DNS lookup.
    pub fn dns(message: impl Into<String>) -> Self {
        Self::new(TransportErrorKind::Dns, message)
    }

    /// A TLS failure.
    pub fn tls(message: impl Into<String>) -> Self {
        Self::new(TransportErrorKind::Tls, message)
    }

    /// Any other failure.
    pub fn other(message: impl Into<String>) -> Self {
        Self::new(TransportErrorKind::Other, message)
    }

    /// Classifies an I/O error by its kind: `TimedOut` and `WouldBlock`
    /// (a socket read timeout) are timeouts, `ConnectionRefused` is refused,
    /// everything else is other.
    pub fn from_io(error: &std::io::Error) -> Self {
        use std::io::ErrorKind;
        let kind = match error.kind() {
            ErrorKind::TimedOut | ErrorKind::WouldBlock => TransportErrorKind::Timeout,
            ErrorKind::ConnectionRefused => TransportErrorKind::Refused,
            _ => TransportErrorKind::Other,
        };
        Self::new(kind, error.to_string())
    }

    /// The kind.
    pub fn kind(&self) -> TransportErrorKind {
        self.kind
    }

    /// The client's message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Whether this is a timeout.
    pub fn is_timeout(&self) -> bool {
        self.kind == TransportErrorKind::Timeout
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.message.is_empty() {
            f.write_str(self.kind.as_str())
        } else {
            write!(f, "{}: {}", self.kind.as_str(), self.message)
        }
    }
}

impl std::error::Error for TransportError {}

/// The time limits of one request, handed to the transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// The longest wait for the connection (TCP and TLS).
    pub connect: Duration,
    /// The longest wait for the whole exchange, connecting included, until
    /// the last byte of the response body.
    pub total: Duration,
}

/// How long a driver may spend on one kind of endpoint, and how often it
/// tries.
///
/// The presets follow the AWS SDKs: the instance metadata service gets a
/// 1 s connect and 1 s read timeout (botocore and the Rust SDK), the
/// container endpoint 2 s and 5 s (the Rust SDK), with one retry each; STS
/// and other services the SDKs' 3.1 s connect timeout and 3 attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Budget {
    /// The connect timeout of each attempt.
    pub connect_timeout: Duration,
    /// The time from connected to the last byte of the response, per attempt.
    pub read_timeout: Duration,
    /// Attempts per request (1 means no retry). Timeouts, reset
    /// connections, `429` and `5xx` answers are retried; refused
    /// connections, DNS and TLS failures are not (trying again does not
    /// change them).
    pub attempts: u32,
    /// The pause before a retry.
    pub backoff: Duration,
    /// The most time one request may take over all its attempts.
    pub total: Duration,
}

impl Budget {
    /// The instance metadata service: 1 s to connect, 1 s to answer, 2
    /// attempts, 100 ms apart, at most 3 s per request.
    pub const IMDS: Budget = Budget {
        connect_timeout: Duration::from_secs(1),
        read_timeout: Duration::from_secs(1),
        attempts: 2,
        backoff: Duration::from_millis(100),
        total: Duration::from_secs(3),
    };

    /// Container endpoints (ECS, EKS Pod Identity): 2 s to connect, 5 s to
    /// answer, 2 attempts, 1 s apart (botocore's pause), at most 10 s per
    /// request.
    pub const CONTAINER: Budget = Budget {
        connect_timeout: Duration::from_secs(2),
        read_timeout: Duration::from_secs(5),
        attempts: 2,
        backoff: Duration::from_secs(1),
        total: Duration::from_secs(10),
    };

    /// STS and other AWS services: 3.1 s to connect (the SDKs' default),
    /// 10 s to answer, 3 attempts (the SDKs' standard retry mode), at most
    /// 30 s per request.
    pub const SERVICE: Budget = Budget {
        connect_timeout: Duration::from_millis(3100),
        read_timeout: Duration::from_secs(10),
        attempts: 3,
        backoff: Duration::from_millis(500),
        total: Duration::from_secs(30),
    };

    /// Replaces the connect timeout.
    pub fn with_connect_timeout(mut self, v: Duration) -> Self {
        self.connect_timeout = v;
        self
    }

    /// Replaces the read timeout.
    pub fn with_read_timeout(mut self, v: Duration) -> Self {
        self.read_timeout = v;
        self
    }

    /// Replaces the number of attempts (at least 1).
    pub fn with_attempts(mut self, v: u32) -> Self {
        self.attempts = v.max(1);
        self
    }

    /// Replaces the pause between attempts.
    pub fn with_backoff(mut self, v: Duration) -> Self {
        self.backoff = v;
        self
    }

    /// Replaces the total time per request.
    pub fn with_total(mut self, v: Duration) -> Self {
        self.total = v;
        self
    }

    /// The timeouts of an attempt that may take at most `remaining`.
    pub(crate) fn timeouts(&self, remaining: Duration) -> Timeouts {
        Timeouts {
            connect: self.connect_timeout.min(remaining),
            total: self
                .connect_timeout
                .saturating_add(self.read_timeout)
                .min(remaining),
        }
    }
}

/// Budgets per kind of endpoint, for a driver to choose from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Budgets {
    /// The instance metadata service.
    pub imds: Budget,
    /// Container endpoints.
    pub container: Budget,
    /// STS and other services.
    pub service: Budget,
}

impl Default for Budgets {
    fn default() -> Self {
        Self {
            imds: Budget::IMDS,
            container: Budget::CONTAINER,
            service: Budget::SERVICE,
        }
    }
}

impl Budgets {
    /// The budget for a kind of endpoint.
    pub fn for_endpoint(&self, endpoint: Endpoint) -> Budget {
        match endpoint {
            Endpoint::InstanceMetadata => self.imds,
            Endpoint::Container => self.container,
            Endpoint::Service => self.service,
        }
    }
}

/// Which kind of endpoint a request goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Endpoint {
    /// The instance metadata service.
    InstanceMetadata,
    /// A container credentials endpoint.
    Container,
    /// STS, IAM Identity Center (the portal and its OIDC service), the
    /// `aws login` sign-in service, or another AWS service.
    Service,
}

/// What an exchange asks for next.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // returned once per request, moved at once
pub enum Step<T> {
    /// Send this request and hand back the answer.
    Send(http::Request<Vec<u8>>),
    /// Finished.
    Done(T),
}

/// A sans-IO exchange that a driver can run to the end: the shape shared
/// by [`DefaultChain`] and every flow.
pub trait Exchange {
    /// What the exchange gives when it is over.
    type Output;

    /// The next request, or the result.
    ///
    /// # Errors
    ///
    /// The flow's error (configuration, service answer, parse failure).
    fn poll(&mut self, now: SystemTime) -> Result<Step<Self::Output>, ProviderError>;

    /// Hands over the response to the last request.
    ///
    /// # Errors
    ///
    /// The flow's error when the response ends it (an AWS error, a body
    /// that cannot be parsed).
    fn handle_response(
        &mut self,
        response: &http::Response<Vec<u8>>,
        now: SystemTime,
    ) -> Result<(), ProviderError>;

    /// Reports that the last request could not be sent or answered, after
    /// every attempt its budget allowed. The failure's text (endpoint,
    /// kind, the client's message, attempts and time spent) goes into the
    /// exchange's error, so that error alone says what happened.
    ///
    /// # Errors
    ///
    /// [`ProviderError::Transport`] unless the exchange can go on without
    /// an answer (the default chain moves past the instance metadata
    /// service).
    fn handle_send_error(&mut self, failure: &TransportFailure) -> Result<(), ProviderError>;

    /// The kind of endpoint the last polled request goes to.
    fn endpoint(&self) -> Endpoint;
}

impl Exchange for DefaultChain {
    type Output = Resolved;

    fn poll(&mut self, now: SystemTime) -> Result<Step<Resolved>, ProviderError> {
        Ok(match DefaultChain::poll(self, now)? {
            ChainStep::Send(r) => Step::Send(r),
            ChainStep::Done(r) => Step::Done(r),
        })
    }

    fn handle_response(
        &mut self,
        response: &http::Response<Vec<u8>>,
        now: SystemTime,
    ) -> Result<(), ProviderError> {
        DefaultChain::handle_response(self, response, now)
    }

    fn handle_send_error(&mut self, failure: &TransportFailure) -> Result<(), ProviderError> {
        DefaultChain::handle_send_error(self, &failure.to_string())
    }

    fn endpoint(&self) -> Endpoint {
        match self.pending_service() {
            Some("imds") => Endpoint::InstanceMetadata,
            Some("container") => Endpoint::Container,
            // `sts`, `sso` (the portal and its OIDC service), `signin`.
            _ => Endpoint::Service,
        }
    }
}

/// One of the single flows, as [`FlowExchange`] drives it.
pub trait CredentialsFlow {
    /// The kind of endpoint it talks to.
    const ENDPOINT: Endpoint;
    /// The service name in errors: `imds`, `container`, `sts`.
    const SERVICE: &'static str;

    /// The next request.
    ///
    /// # Errors
    ///
    /// The flow's error.
    fn poll_request(&mut self, now: SystemTime) -> Result<http::Request<Vec<u8>>, ProviderError>;

    /// Handles the response to it.
    ///
    /// # Errors
    ///
    /// The flow's error.
    fn handle_response(
        &mut self,
        response: &http::Response<Vec<u8>>,
        now: SystemTime,
    ) -> Result<Progress, ProviderError>;
}

macro_rules! credentials_flow {
    ($flow:ty, $endpoint:expr, $service:literal) => {
        impl CredentialsFlow for $flow {
            const ENDPOINT: Endpoint = $endpoint;
            const SERVICE: &'static str = $service;

            fn poll_request(
                &mut self,
                now: SystemTime,
            ) -> Result<http::Request<Vec<u8>>, ProviderError> {
                <$flow>::poll_request(self, now)
            }

            fn handle_response(
                &mut self,
                response: &http::Response<Vec<u8>>,
                now: SystemTime,
            ) -> Result<Progress, ProviderError> {
                <$flow>::handle_response(self, response, now)
            }
        }
    };
}

credentials_flow!(ImdsFlow, Endpoint::InstanceMetadata, "imds");
credentials_flow!(ContainerFlow, Endpoint::Container, "container");
credentials_flow!(WebIdentityFlow, Endpoint::Service, "sts");
credentials_flow!(AssumeRoleFlow, Endpoint::Service, "sts");

/// A single flow (IMDS, container, STS) as an [`Exchange`] that ends with
/// [`Credentials`].
#[derive(Debug)]
pub struct FlowExchange<F> {
    flow: F,
    done: Option<Credentials>,
}

impl<F: CredentialsFlow> FlowExchange<F> {
    /// Wraps a flow.
    pub fn new(flow: F) -> Self {
        Self { flow, done: None }
    }

    /// The flow.
    pub fn into_inner(self) -> F {
        self.flow
    }
}

impl<F: CredentialsFlow> Exchange for FlowExchange<F> {
    type Output = Credentials;

    fn poll(&mut self, now: SystemTime) -> Result<Step<Credentials>, ProviderError> {
        match self.done.take() {
            Some(c) => Ok(Step::Done(c)),
            None => self.flow.poll_request(now).map(Step::Send),
        }
    }

    fn handle_response(
        &mut self,
        response: &http::Response<Vec<u8>>,
        now: SystemTime,
    ) -> Result<(), ProviderError> {
        if let Progress::Done(c) = self.flow.handle_response(response, now)? {
            self.done = Some(c);
        }
        Ok(())
    }

    fn handle_send_error(&mut self, failure: &TransportFailure) -> Result<(), ProviderError> {
        Err(ProviderError::Transport {
            service: F::SERVICE,
            message: crate::provider::short(&failure.to_string()),
        })
    }

    fn endpoint(&self) -> Endpoint {
        F::ENDPOINT
    }
}

/// A request that could not be sent, as a driver saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportFailure {
    /// The scheme, host and port the request went to.
    pub endpoint: String,
    /// The kind of endpoint.
    pub kind: Endpoint,
    /// The error of the last attempt.
    pub error: TransportError,
    /// The attempts made.
    pub attempts: u32,
    /// The time spent on them.
    pub elapsed: Duration,
}

impl fmt::Display for TransportFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} after {} attempt{} in {:.1} s",
            self.endpoint,
            self.error,
            self.attempts,
            if self.attempts == 1 { "" } else { "s" },
            self.elapsed.as_secs_f64()
        )
    }
}

/// Why a driver could not finish: the exchange's error, with every request
/// that could not be sent on the way (also those the chain moved past).
///
/// The exchange's error already tells of each request that could not be
/// sent (the driver hands it the endpoint, kind, attempts and time), so
/// converting into a [`ProviderError`] (`?` does it) loses nothing but the
/// typed list of [`TransportFailure`]s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolveError {
    error: ProviderError,
    unreachable: Vec<TransportFailure>,
}

impl ResolveError {
    pub(crate) fn new(error: ProviderError, unreachable: Vec<TransportFailure>) -> Self {
        Self { error, unreachable }
    }

    /// The exchange's error.
    pub fn provider_error(&self) -> &ProviderError {
        &self.error
    }

    /// The requests that could not be sent, in order.
    pub fn transport_failures(&self) -> &[TransportFailure] {
        &self.unreachable
    }

    /// Whether a request timed out on the way.
    pub fn is_timeout(&self) -> bool {
        self.unreachable.iter().any(|f| f.error.is_timeout())
    }
}

impl fmt::Display for ResolveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let error = self.error.to_string();
        f.write_str(&error)?;
        // Failures the exchange's error does not tell of already.
        for failure in &self.unreachable {
            let text = failure.to_string();
            if !error.contains(&text) {
                write!(f, "; {text}")?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for ResolveError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

impl From<crate::Error> for ResolveError {
    fn from(error: crate::Error) -> Self {
        Self::new(ProviderError::Credentials(error), Vec::new())
    }
}

impl From<ProviderError> for ResolveError {
    fn from(error: ProviderError) -> Self {
        Self::new(error, Vec::new())
    }
}

/// The exchange's error, which tells of every request that could not be
/// sent.
impl From<ResolveError> for ProviderError {
    fn from(error: ResolveError) -> Self {
        error.error
    }
}

#[cfg(test)]
mod tests;
