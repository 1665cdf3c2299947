//! The blocking driver.

use std::time::SystemTime;

use super::attempts::{Run, Started, Verdict};
use super::{Budgets, Exchange, ResolveError, Timeouts, TransportError};

/// Sends one request and waits for the whole response: the blocking half
/// of a driver.
///
/// Implement it for any blocking client: send the request as it is (every
/// header, the body bytes), keep within `timeouts`, return the status,
/// headers and body, and classify failures with [`TransportError`]'s
/// constructors. An HTTP error status is a response, not an error.
///
/// ```
/// use awsig::driver::{Timeouts, Transport, TransportError};
///
/// /// A client that answers every request itself (a test double).
/// struct Canned(&'static str);
///
/// impl Transport for Canned {
///     fn send(
///         &self,
///         _request: http::Request<Vec<u8>>,
///         _timeouts: Timeouts,
///     ) -> Result<http::Response<Vec<u8>>, TransportError> {
///         Ok(http::Response::new(self.0.as_bytes().to_vec()))
///     }
/// }
/// ```
pub trait Transport {
    /// Sends `request` and reads the whole response.
    ///
    /// # Errors
    ///
    /// A [`TransportError`] saying whether the request timed out, was
    /// refused, could not resolve its host, failed TLS, or failed otherwise.
    fn send(
        &self,
        request: http::Request<Vec<u8>>,
        timeouts: Timeouts,
    ) -> Result<http::Response<Vec<u8>>, TransportError>;
}

impl<T: Transport + ?Sized> Transport for &T {
    fn send(
        &self,
        request: http::Request<Vec<u8>>,
        timeouts: Timeouts,
    ) -> Result<http::Response<Vec<u8>>, TransportError> {
        (**self).send(request, timeouts)
    }
}

/// Runs an exchange to the end with a blocking transport and the SDKs'
/// budgets ([`Budgets::default`]). Reads the system clock.
///
/// # Errors
///
/// A [`ResolveError`]: the exchange's error, with every request that could
/// not be sent on the way (kind, endpoint, attempts, time spent).
pub fn resolve<E: Exchange, T: Transport + ?Sized>(
    exchange: &mut E,
    transport: &T,
) -> Result<E::Output, ResolveError> {
    resolve_with(exchange, transport, &Budgets::default())
}

/// As [`resolve`], with other budgets.
///
/// # Errors
///
/// As [`resolve`].
pub fn resolve_with<E: Exchange, T: Transport + ?Sized>(
    exchange: &mut E,
    transport: &T,
    budgets: &Budgets,
) -> Result<E::Output, ResolveError> {
    let mut run = Run::new(budgets);
    let mut step = exchange.poll(SystemTime::now());
    loop {
        let mut attempts = match run.start(step, exchange.endpoint())? {
            Started::Done(out) => return Ok(out),
            Started::Send(attempts) => attempts,
        };
        let sent = loop {
            let sent = attempts
                .next()
                .and_then(|(request, timeouts)| transport.send(request, timeouts));
            match attempts.judge(sent) {
                Verdict::Answer(response) => break Ok(response),
                Verdict::GiveUp(error) => break Err(error),
                Verdict::Retry(pause) => std::thread::sleep(pause),
            }
        };
        step = run
            .conclude(attempts, sent)
            .hand_to(exchange, SystemTime::now());
    }
}
