//! The async driver (feature `tokio`).

use std::future::Future;
use std::time::SystemTime;

use super::attempts::{Run, Started, Verdict};
use super::{Budgets, Exchange, ResolveError, Timeouts, TransportError};
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
    let mut run = Run::new(budgets);
    loop {
        // The exchange's own steps may read files or run a process.
        let polled = tokio::task::spawn_blocking(move || {
            let step = exchange.poll(SystemTime::now());
            (exchange, step)
        })
        .await;
        let step;
        (exchange, step) = polled.map_err(|e| {
            run.fail(ProviderError::Process {
                message: format!("the blocking task stopped: {e}"),
            })
        })?;
        let mut attempts = match run.start(step, exchange.endpoint())? {
            Started::Done(out) => return Ok(out),
            Started::Send(attempts) => attempts,
        };
        let outcome = loop {
            let sent = match attempts.next() {
                Ok((request, timeouts)) => send_within(transport, request, timeouts).await,
                Err(error) => Err(error),
            };
            match attempts.judge(sent) {
                Verdict::Answer(response) => break Ok(response),
                Verdict::GiveUp(error) => break Err(error),
                Verdict::Retry(pause) => tokio::time::sleep(pause).await,
            }
        };
        run.finish(&mut exchange, attempts, outcome, SystemTime::now())?;
    }
}

/// Sends with `transport`, cut off at `timeouts.total` whatever the
/// transport does.
pub(crate) async fn send_within<T: AsyncTransport + ?Sized>(
    transport: &T,
    request: http::Request<Vec<u8>>,
    timeouts: Timeouts,
) -> Result<http::Response<Vec<u8>>, TransportError> {
    tokio::time::timeout(timeouts.total, transport.send(request, timeouts))
        .await
        .unwrap_or_else(|_| {
            Err(TransportError::timeout(format!(
                "no complete response within {:.1} s",
                timeouts.total.as_secs_f64()
            )))
        })
}
