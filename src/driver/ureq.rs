//! A blocking transport over `ureq` (feature `ureq`).

use super::{Timeouts, Transport, TransportError, TransportErrorKind};

/// The largest response body read, in bytes (credential documents are a
/// few KiB).
const MAX_BODY: u64 = 1024 * 1024;

/// A [`Transport`] over a `ureq::Agent`.
///
/// HTTP error statuses come back as responses; redirects are not followed
/// (no credentials endpoint redirects). Which TLS stack it uses is the
/// agent's: `ureq`'s default features bring rustls; enable them in your
/// own `Cargo.toml` to reach `https` endpoints such as STS.
///
/// ```no_run
/// use awsig::driver::{self, UreqTransport};
/// use awsig::provider::{DefaultChain, SystemEnvironment};
///
/// let mut chain = DefaultChain::new(SystemEnvironment, None)?;
/// let resolved = driver::resolve(&mut chain, &UreqTransport::new())?;
/// println!("credentials from {}", resolved.source);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct UreqTransport {
    agent: ::ureq::Agent,
}

impl Default for UreqTransport {
    fn default() -> Self {
        Self::new()
    }
}

impl UreqTransport {
    /// A transport with its own agent.
    pub fn new() -> Self {
        let config = ::ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .build();
        Self {
            agent: ::ureq::Agent::new_with_config(config),
        }
    }

    /// A transport over an agent of your own. It must be configured with
    /// `http_status_as_error(false)`: error statuses are answers the flows
    /// read.
    pub fn with_agent(agent: ::ureq::Agent) -> Self {
        Self { agent }
    }
}

fn classify(error: &::ureq::Error, timeouts: Timeouts) -> TransportError {
    use ::ureq::{Error, Timeout};
    match error {
        Error::Timeout(Timeout::Resolve | Timeout::Connect) => TransportError::timeout(format!(
            "no connection within {:.1} s",
            timeouts.connect.as_secs_f64()
        )),
        Error::Timeout(_) => TransportError::timeout(format!(
            "no complete response within {:.1} s",
            timeouts.total.as_secs_f64()
        )),
        Error::HostNotFound => TransportError::dns("host not found"),
        Error::Io(io) => TransportError::from_io(io),
        Error::Tls(m) => TransportError::tls(*m),
        other => {
            let text = other.to_string();
            let kind = if text.starts_with("rustls") || text.starts_with("native-tls") {
                TransportErrorKind::Tls
            } else {
                TransportErrorKind::Other
            };
            TransportError::new(kind, text)
        }
    }
}

impl Transport for UreqTransport {
    fn send(
        &self,
        request: http::Request<Vec<u8>>,
        timeouts: Timeouts,
    ) -> Result<http::Response<Vec<u8>>, TransportError> {
        let request = self
            .agent
            .configure_request(request)
            .timeout_connect(Some(timeouts.connect))
            .timeout_global(Some(timeouts.total))
            .http_status_as_error(false)
            .build();
        let response = self
            .agent
            .run(request)
            .map_err(|e| classify(&e, timeouts))?;
        let (parts, mut body) = response.into_parts();
        let bytes = body
            .with_config()
            .limit(MAX_BODY)
            .read_to_vec()
            .map_err(|e| classify(&e, timeouts))?;
        Ok(http::Response::from_parts(parts, bytes))
    }
}
