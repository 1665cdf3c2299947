//! The async driver (feature `tokio`).

use std::future::Future;
use std::time::{Instant, SystemTime};

use super::{
    Budgets, Exchange, ResolveError, Step, Timeouts, TransportError, TransportFailure, Verdict,
    clone_request, endpoint_of, judge,
};
use crate::provider::ProviderError;

/// Sends one request and reads the whole response, asynchronously: the
/// async half of a driver. Its future must be `Send`, so drivers run on a
/// multi-thread runtime.
///
/// Implement it as [`super::Transport`]: send the request as it is, keep
/// within `timeouts` (the driver also cuts the future off at
/// `timeouts.total`), and classify failures with [`TransportError`].
///
/// ```
/// use std::future::Future;
/// use awsig::driver::{AsyncTransport, Timeouts, TransportError};
///
/// struct Canned(&'static str);
///
/// impl AsyncTransport for Canned {
///     fn send(
///         &self,
///         _request: http::Request<Vec<u8>>,
///         _timeouts: Timeouts,
///     ) -> impl Future<Output = Result<http::Response<Vec<u8>>, TransportError>> + Send {
///         let body = self.0.as_bytes().to_vec();
///         async move { Ok(http::Response::new(body)) }
///     }
/// }
/// ```
pub trait AsyncTransport: Send + Sync {
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
    ) -> impl Future<Output = Result<http::Response<Vec<u8>>, TransportError>> + Send;
}

impl<T: AsyncTransport + ?Sized> AsyncTransport for std::sync::Arc<T> {
    fn send(
        &self,
        request: http::Request<Vec<u8>>,
        timeouts: Timeouts,
    ) -> impl Future<Output = Result<http::Response<Vec<u8>>, TransportError>> + Send {
        (**self).send(request, timeouts)
    }
}

/// Runs an exchange to the end with an async transport and the SDKs'
/// budgets ([`Budgets::default`]).
///
/// Needs a tokio runtime (multi-thread or current-thread): the exchange's
/// own steps, which may read the shared files or run `credential_process`,
/// run on tokio's blocking pool (`spawn_blocking`), so no async thread
/// ever blocks; every attempt is cut off at its budget with
/// `tokio::time::timeout`, whatever the transport does.
///
/// # Errors
///
/// A [`ResolveError`]: the exchange's error, with every request that could
/// not be sent on the way.
pub async fn resolve_async<E, T>(exchange: E, transport: &T) -> Result<E::Output, ResolveError>
where
    E: Exchange + Send + 'static,
    E::Output: Send + 'static,
    T: AsyncTransport + ?Sized,
{
    resolve_async_with(exchange, transport, &Budgets::default()).await
}

/// As [`resolve_async`], with other budgets.
///
/// # Errors
///
/// As [`resolve_async`].
pub async fn resolve_async_with<E, T>(
    mut exchange: E,
    transport: &T,
    budgets: &Budgets,
) -> Result<E::Output, ResolveError>
where
    E: Exchange + Send + 'static,
    E::Output: Send + 'static,
    T: AsyncTransport + ?Sized,
{
    let mut unreachable = Vec::new();
    loop {
        let (back, step) = tokio::task::spawn_blocking(move || {
            let step = exchange.poll(SystemTime::now());
            (exchange, step)
        })
        .await
        .map_err(|e| {
            ResolveError::new(
                ProviderError::Process {
                    message: format!("the blocking task stopped: {e}"),
                },
                unreachable.clone(),
            )
        })?;
        exchange = back;
        let request = match step.map_err(|e| ResolveError::new(e, unreachable.clone()))? {
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
                match tokio::time::timeout(
                    timeouts.total,
                    transport.send(clone_request(&request), timeouts),
                )
                .await
                {
                    Ok(sent) => sent,
                    Err(_) => Err(TransportError::timeout(format!(
                        "no complete response within {:.1} s",
                        timeouts.total.as_secs_f64()
                    ))),
                }
            };
            let remaining = budget.total.saturating_sub(started.elapsed());
            match judge(sent, &budget, attempt, remaining, &mut last_error) {
                Verdict::Answer(r) => break Ok(r),
                Verdict::GiveUp(e) => break Err(e),
                Verdict::Retry => tokio::time::sleep(budget.backoff).await,
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
