//! The async driver (feature `tokio`).

use std::future::Future;
use std::time::SystemTime;

use super::attempts::{Run, Started, Verdict};
use super::{Budgets, Exchange, ResolveError, Step, Timeouts, TransportError};
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
/// Its future is `Send` (a task on a multi-thread runtime may hold it, or
/// `tokio::spawn` it) and it never blocks an async thread:
///
/// - **Requests** go through `transport`, each attempt within its budget
///   (chosen per endpoint by [`Exchange::endpoint`]: the instance metadata
///   service, a container endpoint, or STS, IAM Identity Center and
///   `aws login`'s sign-in service), and cut off at that budget with
///   `tokio::time::timeout` whatever the transport does. No thread waits
///   on the network.
/// - **The exchange's own steps** ([`Exchange::poll`], then
///   [`Exchange::handle_response`] with the next poll) run on tokio's
///   blocking pool with `spawn_blocking`, one hop per request, as
///   `tokio::fs` does for its reads. For the default chain these steps
///   are local: reading the shared files, the web identity token and the
///   SSO and `aws login` token caches, writing a refreshed cache, and
///   running `credential_process`, which may take seconds (it is a
///   program of the user's, often one that calls out itself).
///
/// # What it needs from a runtime
///
/// A tokio runtime, multi-thread or current-thread, with the time driver
/// enabled (`tokio::time`) and its blocking pool (every runtime has one;
/// `max_blocking_threads` bounds it). The exchange and its output move
/// between threads, hence `Send + 'static`.
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
    exchange: E,
    transport: &T,
    budgets: &Budgets,
) -> Result<E::Output, ResolveError>
where
    E: Exchange + Send + 'static,
    E::Output: Send + 'static,
    T: AsyncTransport + ?Sized,
{
    let mut run = Run::new(budgets);
    let (mut exchange, mut step) = local(exchange, |e| e.poll(SystemTime::now()))
        .await
        .map_err(|e| run.fail(e))?;
    loop {
        let mut attempts = match run.start(step, exchange.endpoint())? {
            Started::Done(out) => return Ok(out),
            Started::Send(attempts) => attempts,
        };
        let sent = loop {
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
        let outcome = run.conclude(attempts, sent);
        (exchange, step) = local(exchange, move |e| outcome.hand_to(e, SystemTime::now()))
            .await
            .map_err(|e| run.fail(e))?;
    }
}

/// The exchange and what one of its steps gave.
type Stepped<E> = (E, Result<Step<<E as Exchange>::Output>, ProviderError>);

/// Runs one of the exchange's own steps on tokio's blocking pool, and
/// hands the exchange back with the step's result.
async fn local<E, F>(mut exchange: E, step: F) -> Result<Stepped<E>, ProviderError>
where
    E: Exchange + Send + 'static,
    E::Output: Send + 'static,
    F: FnOnce(&mut E) -> Result<Step<E::Output>, ProviderError> + Send + 'static,
{
    on_blocking_pool(move || {
        let stepped = step(&mut exchange);
        (exchange, stepped)
    })
    .await
}

/// Runs local work (file reads and writes, a process) on tokio's blocking
/// pool.
pub(crate) async fn on_blocking_pool<R, F>(work: F) -> Result<R, ProviderError>
where
    R: Send + 'static,
    F: FnOnce() -> R + Send + 'static,
{
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ProviderError::Process {
            message: format!("the blocking task stopped: {e}"),
        })
}

/// Sends with `transport`, cut off at `timeouts.total` whatever the
/// transport does.
async fn send_within<T: AsyncTransport + ?Sized>(
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
