//! What the blocking and the async driver share: the decisions of a run,
//! kept apart from the IO, so that each driver is only the loop that sends,
//! sleeps and polls in its own way.
//!
//! A [`Run`] follows an exchange from step to step and collects the
//! requests that could not be sent; [`Attempts`] follows one request
//! through its tries within its [`Budget`].

use std::time::{Duration, Instant};

use super::{
    Budget, Budgets, Endpoint, Exchange, ResolveError, Step, Timeouts, TransportError,
    TransportErrorKind, TransportFailure,
};
use crate::provider::ProviderError;

/// What a run does after a step of the exchange.
#[allow(clippy::large_enum_variant)] // made once per request, moved at once
pub(crate) enum Started<T> {
    /// The exchange is over.
    Done(T),
    /// Send this request, through its attempts.
    Send(Attempts),
}

/// An exchange's run: the budgets, and every request that could not be
/// sent on the way.
pub(crate) struct Run<'b> {
    budgets: &'b Budgets,
    unreachable: Vec<TransportFailure>,
}

impl<'b> Run<'b> {
    pub(crate) fn new(budgets: &'b Budgets) -> Self {
        Self {
            budgets,
            unreachable: Vec::new(),
        }
    }

    /// The exchange's error, with the requests that could not be sent.
    pub(crate) fn fail(&self, error: ProviderError) -> ResolveError {
        ResolveError::new(error, self.unreachable.clone())
    }

    /// Takes the exchange's step: its result, or the request to send to
    /// `kind` of endpoint.
    pub(crate) fn start<T>(
        &self,
        step: Result<Step<T>, ProviderError>,
        kind: Endpoint,
    ) -> Result<Started<T>, ResolveError> {
        match step.map_err(|e| self.fail(e))? {
            Step::Done(out) => Ok(Started::Done(out)),
            Step::Send(request) => Ok(Started::Send(Attempts::new(
                request,
                kind,
                self.budgets.for_endpoint(kind),
            ))),
        }
    }

    /// Concludes a request with the outcome of its last attempt: the
    /// response, or what kept it from coming (with the endpoint, the
    /// attempts and the time spent, so the exchange's error says it all).
    /// A request that could not be sent is recorded for the run's error.
    pub(crate) fn conclude(
        &mut self,
        attempts: Attempts,
        outcome: Result<http::Response<Vec<u8>>, TransportError>,
    ) -> Outcome {
        match outcome {
            Ok(response) => Outcome::Answer(response),
            Err(error) => {
                let failure = attempts.failure(error);
                self.unreachable.push(failure.clone());
                Outcome::Unreachable(failure)
            }
        }
    }
}

/// How a request ended, to hand to the exchange.
#[allow(clippy::large_enum_variant)] // made once per request, moved at once
pub(crate) enum Outcome {
    /// The response.
    Answer(http::Response<Vec<u8>>),
    /// No response, after every attempt the budget allowed.
    Unreachable(TransportFailure),
}

impl Outcome {
    /// Hands the outcome to the exchange, then polls it for its next step
    /// (both may read or write local files, or run a process).
    pub(crate) fn hand_to<E: Exchange>(
        self,
        exchange: &mut E,
        now: std::time::SystemTime,
    ) -> Result<Step<E::Output>, ProviderError> {
        match self {
            Outcome::Answer(response) => exchange.handle_response(&response, now)?,
            Outcome::Unreachable(failure) => exchange.handle_send_error(&failure)?,
        }
        exchange.poll(now)
    }
}

/// What to do after one attempt.
pub(crate) enum Verdict {
    /// Hand the response to the exchange.
    Answer(http::Response<Vec<u8>>),
    /// Try again after this pause.
    Retry(Duration),
    /// Give up on the request: report the error to the exchange.
    GiveUp(TransportError),
}

/// One request through its attempts.
pub(crate) struct Attempts {
    request: http::Request<Vec<u8>>,
    kind: Endpoint,
    budget: Budget,
    started: Instant,
    attempt: u32,
    last_error: Option<TransportError>,
}

impl Attempts {
    fn new(request: http::Request<Vec<u8>>, kind: Endpoint, budget: Budget) -> Self {
        Self {
            request,
            kind,
            budget,
            started: Instant::now(),
            attempt: 0,
            last_error: None,
        }
    }

    fn remaining(&self) -> Duration {
        self.budget.total.saturating_sub(self.started.elapsed())
    }

    /// The next attempt: a copy of the request and its time limits, or,
    /// when the request's total time has run out, the error to give up
    /// with (the last attempt's, or a timeout).
    pub(crate) fn next(&mut self) -> Result<(http::Request<Vec<u8>>, Timeouts), TransportError> {
        self.attempt += 1;
        let remaining = self.remaining();
        if remaining.is_zero() {
            return Err(self
                .last_error
                .clone()
                .unwrap_or_else(|| TransportError::timeout("the request's total time ran out")));
        }
        Ok((
            clone_request(&self.request),
            self.budget.timeouts(remaining),
        ))
    }

    /// Judges what the attempt brought. Timeouts, other transport errors,
    /// `429` and `5xx` answers are tried again while attempts and time are
    /// left; refused connections, DNS and TLS failures are not.
    pub(crate) fn judge(
        &mut self,
        outcome: Result<http::Response<Vec<u8>>, TransportError>,
    ) -> Verdict {
        let budget = &self.budget;
        let more = self.attempt < budget.attempts && self.remaining() > budget.backoff;
        match outcome {
            Ok(response) => {
                let status = response.status().as_u16();
                if more && (status == 429 || (500..600).contains(&status)) {
                    self.last_error = None;
                    Verdict::Retry(budget.backoff)
                } else {
                    Verdict::Answer(response)
                }
            }
            Err(error) => {
                let retryable = matches!(
                    error.kind(),
                    TransportErrorKind::Timeout | TransportErrorKind::Other
                );
                if more && retryable {
                    self.last_error = Some(error);
                    Verdict::Retry(budget.backoff)
                } else {
                    Verdict::GiveUp(error)
                }
            }
        }
    }

    /// The request as given up on, with `error`.
    fn failure(&self, error: TransportError) -> TransportFailure {
        TransportFailure {
            endpoint: endpoint_of(&self.request),
            kind: self.kind,
            error,
            attempts: self.attempt,
            elapsed: self.started.elapsed(),
        }
    }
}

/// `scheme://authority` of a request, for error messages.
fn endpoint_of(request: &http::Request<Vec<u8>>) -> String {
    let uri = request.uri();
    match (uri.scheme_str(), uri.authority()) {
        (Some(s), Some(a)) => format!("{s}://{a}"),
        _ => uri.to_string(),
    }
}

/// A copy of a request to send again.
fn clone_request(request: &http::Request<Vec<u8>>) -> http::Request<Vec<u8>> {
    let mut copy = http::Request::new(request.body().clone());
    *copy.method_mut() = request.method().clone();
    *copy.uri_mut() = request.uri().clone();
    *copy.version_mut() = request.version();
    *copy.headers_mut() = request.headers().clone();
    copy
}
