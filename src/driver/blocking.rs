//! The blocking driver.

use std::time::{Instant, SystemTime};

use super::{
    Budgets, Exchange, ResolveError, Step, Timeouts, TransportError, TransportFailure, Verdict,
    clone_request, endpoint_of, judge,
};

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
    let mut unreachable = Vec::new();
    loop {
        let step = exchange
            .poll(SystemTime::now())
            .map_err(|e| ResolveError::new(e, unreachable.clone()))?;
        let request = match step {
            Step::Done(out) => return Ok(out),
            Step::Send(r) => r,
        };
        let kind = exchange.endpoint();
        let budget = budgets.for_endpoint(kind);
        let started = Instant::now();
        let endpoint = endpoint_of(&request);
        let mut last_error = None;
        let mut attempt = 0;
        let outcome = loop {
            attempt += 1;
            let remaining = budget.total.saturating_sub(started.elapsed());
            let timeouts: Timeouts = budget.timeouts(remaining);
            let sent = if remaining.is_zero() {
                Err(last_error
                    .clone()
                    .unwrap_or_else(|| TransportError::timeout("the request's total time ran out")))
            } else {
                transport.send(clone_request(&request), timeouts)
            };
            let remaining = budget.total.saturating_sub(started.elapsed());
            match judge(sent, &budget, attempt, remaining, &mut last_error) {
                Verdict::Answer(r) => break Ok(r),
                Verdict::GiveUp(e) => break Err(e),
                Verdict::Retry => std::thread::sleep(budget.backoff),
            }
        };
        let result = match outcome {
            Ok(response) => exchange.handle_response(&response, SystemTime::now()),
            Err(error) => {
                unreachable.push(TransportFailure {
                    endpoint,
                    kind,
                    error: error.clone(),
                    attempts: attempt,
                    elapsed: started.elapsed(),
                });
                exchange.handle_send_error(&error)
            }
        };
        result.map_err(|e| ResolveError::new(e, unreachable.clone()))?;
    }
}
