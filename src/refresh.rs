//! Credentials that refresh themselves, for async agents (feature `tokio`).
//!
//! [`RefreshingCredentials`] holds the current credentials and a way to
//! fetch new ones (usually the default chain run by the async driver).
//!
//! - **Lazy.** Building it fetches nothing, so an agent starts even while
//!   the instance metadata service or STS is down; the first
//!   [`credentials`](RefreshingCredentials::credentials) call fetches, and
//!   waits for the answer or fails with the reason.
//! - **Ahead of expiry.** Credentials are fresh until `window` (5 minutes
//!   by default) before they expire. A caller that finds them past that
//!   point gets them at once while one refresh runs in the background;
//!   [`spawn_background`](RefreshingCredentials::spawn_background) also
//!   refreshes on a timer, so requests rarely see the window at all.
//! - **One refresh at a time.** Callers that need a refresh together share
//!   it: the others wait for its outcome instead of starting their own.
//! - **Failures are kept and reported.** A refresh that fails while the
//!   credentials held have not expired keeps serving them; every failure
//!   goes to the `on_refresh_error` callback, to
//!   [`last_error`](RefreshingCredentials::last_error) and to the
//!   failure count, and to the caller when nothing valid is left.
//! - **Runtime.** It needs a tokio runtime (multi-thread or
//!   current-thread) with the time driver enabled; its futures are `Send`,
//!   and nothing in it blocks an async thread: the state sits behind a
//!   mutex held only for a few instructions, and the fetch is async (run
//!   by [`crate::driver::resolve_async`], the default chain sends its
//!   requests through the async transport, and reads its files and runs
//!   `credential_process` on the blocking pool).
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use awsig::refresh::RefreshingCredentials;
//! use awsig::Credentials;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // Any async fetch: here, credentials valid for an hour.
//! let source = RefreshingCredentials::new(|| async {
//!     let expiry = SystemTime::now() + Duration::from_secs(3600);
//!     Ok(Credentials::with_session_token("ASIAEXAMPLE", "secret", "token", Some(expiry))?)
//! })
//! .on_refresh_error(|e| eprintln!("credentials refresh failed: {e}"));
//!
//! let creds = source.credentials().await?;
//! assert_eq!(creds.access_key_id(), "ASIAEXAMPLE");
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, SystemTime};

use crate::Credentials;
use crate::driver::ResolveError;

/// The default refresh window: credentials are refreshed this long before
/// they expire (5 minutes, as the AWS SDKs for Java and JavaScript).
pub const DEFAULT_REFRESH_WINDOW: Duration = Duration::from_secs(300);

/// The pause after a failed background refresh before the next try.
pub const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(10);

type FetchFuture = Pin<Box<dyn Future<Output = Result<Credentials, ResolveError>> + Send>>;
type Fetch = dyn Fn() -> FetchFuture + Send + Sync;
type OnError = dyn Fn(&ResolveError) + Send + Sync;
type Clock = dyn Fn() -> SystemTime + Send + Sync;

#[derive(Default)]
struct State {
    current: Option<Credentials>,
    last_error: Option<ResolveError>,
    /// Bumped after every finished refresh.
    generation: u64,
    failures: u64,
}

struct Inner {
    fetch: Box<Fetch>,
    window: Duration,
    on_error: Mutex<Option<Arc<OnError>>>,
    clock: Box<Clock>,
    state: Mutex<State>,
    /// Held for the whole of a refresh.
    refresh: tokio::sync::Mutex<()>,
    /// A background refresh has been spawned and has not finished.
    spawned: AtomicBool,
}

/// Credentials that refresh themselves. Cheap to clone: clones share the
/// same credentials and refreshes. See the [module documentation](self).
#[derive(Clone)]
pub struct RefreshingCredentials {
    inner: Arc<Inner>,
}

impl fmt::Debug for RefreshingCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.inner.lock();
        f.debug_struct("RefreshingCredentials")
            .field("current", &state.current)
            .field("last_error", &state.last_error)
            .field("failures", &state.failures)
            .field("window", &self.inner.window)
            .finish()
    }
}

fn valid_at(c: &Credentials, now: SystemTime) -> bool {
    c.expiry().is_none_or(|e| now < e)
}

fn fresh_at(c: &Credentials, now: SystemTime, window: Duration) -> bool {
    c.expiry()
        .is_none_or(|e| e.checked_sub(window).is_some_and(|start| now < start))
}

/// How long to wait before refreshing credentials that expire at
/// `expiry`: until the window starts, or, for credentials that live less
/// than the window, half their remaining life; at least a second.
fn next_refresh(expiry: SystemTime, now: SystemTime, window: Duration) -> Duration {
    let until_window = expiry
        .checked_sub(window)
        .and_then(|start| start.duration_since(now).ok())
        .filter(|d| !d.is_zero());
    let until_expiry = expiry.duration_since(now).unwrap_or(Duration::ZERO);
    until_window
        .unwrap_or(until_expiry / 2)
        .max(Duration::from_secs(1))
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Fetches once, with the refresh lock held by the caller, and records
    /// the outcome.
    async fn fetch_and_store(&self) -> Result<Credentials, ResolveError> {
        let result = (self.fetch)().await;
        let mut state = self.lock();
        state.generation = state.generation.wrapping_add(1);
        match result {
            Ok(c) => {
                state.current = Some(c.clone());
                state.last_error = None;
                Ok(c)
            }
            Err(e) => {
                state.failures = state.failures.saturating_add(1);
                state.last_error = Some(e.clone());
                drop(state);
                let report = self
                    .on_error
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .clone();
                if let Some(report) = report {
                    report(&e);
                }
                Err(e)
            }
        }
    }
}

impl RefreshingCredentials {
    /// A source that calls `fetch` whenever it needs credentials. Fetches
    /// nothing yet.
    pub fn new<F, Fut>(fetch: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Credentials, ResolveError>> + Send + 'static,
    {
        Self {
            inner: Arc::new(Inner {
                fetch: Box::new(move || Box::pin(fetch())),
                window: DEFAULT_REFRESH_WINDOW,
                on_error: Mutex::new(None),
                clock: Box::new(SystemTime::now),
                state: Mutex::new(State::default()),
                refresh: tokio::sync::Mutex::new(()),
                spawned: AtomicBool::new(false),
            }),
        }
    }

    fn configure(self, change: impl FnOnce(&mut Inner)) -> Self {
        match Arc::try_unwrap(self.inner) {
            Ok(mut inner) => {
                change(&mut inner);
                Self {
                    inner: Arc::new(inner),
                }
            }
            // Shared already: settings are for building only.
            Err(inner) => Self { inner },
        }
    }

    /// Refreshes `window` before expiry instead of 5 minutes. Call it while
    /// building, before the source is cloned.
    pub fn with_window(self, window: Duration) -> Self {
        self.configure(|i| i.window = window)
    }

    /// Calls `report` with every refresh failure (for example to log it),
    /// whether or not valid credentials are still held.
    pub fn on_refresh_error(self, report: impl Fn(&ResolveError) + Send + Sync + 'static) -> Self {
        self.set_on_refresh_error(report);
        self
    }

    /// As [`RefreshingCredentials::on_refresh_error`], on a source already
    /// shared (for example the one inside a signer); replaces the previous
    /// callback.
    pub fn set_on_refresh_error(&self, report: impl Fn(&ResolveError) + Send + Sync + 'static) {
        *self
            .inner
            .on_error
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Arc::new(report));
    }

    /// Reads the time from `clock` instead of the system clock (tests, or
    /// a clock corrected for skew). Call it while building.
    pub fn with_clock(self, clock: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        self.configure(|i| i.clock = Box::new(clock))
    }

    /// Starts holding these credentials (for example read at start-up).
    pub fn with_credentials(self, credentials: Credentials) -> Self {
        self.inner.lock().current = Some(credentials);
        self
    }

    /// The refresh window.
    pub fn window(&self) -> Duration {
        self.inner.window
    }

    /// The credentials held now, fresh, stale or expired.
    pub fn current(&self) -> Option<Credentials> {
        self.inner.lock().current.clone()
    }

    /// The error of the last refresh, while no refresh has succeeded since.
    pub fn last_error(&self) -> Option<ResolveError> {
        self.inner.lock().last_error.clone()
    }

    /// How many refreshes have failed since the source was built.
    pub fn failures(&self) -> u64 {
        self.inner.lock().failures
    }

    /// Credentials valid now.
    ///
    /// Fresh credentials come back at once. Credentials inside the refresh
    /// window come back at once too, and start one background refresh
    /// (inline when no tokio runtime is running). Without valid
    /// credentials, the call refreshes, or waits for the refresh already
    /// running, and returns its outcome.
    ///
    /// # Errors
    ///
    /// The [`ResolveError`] of the refresh, when no valid credentials are
    /// held and fetching new ones failed.
    pub async fn credentials(&self) -> Result<Credentials, ResolveError> {
        let now = (self.inner.clock)();
        let held = {
            let state = self.inner.lock();
            match &state.current {
                Some(c) if fresh_at(c, now, self.inner.window) => return Ok(c.clone()),
                Some(c) if valid_at(c, now) => Ok(c.clone()),
                _ => Err(state.generation),
            }
        };
        let generation = match held {
            Ok(stale) => {
                self.refresh_in_background().await;
                return Ok(stale);
            }
            Err(generation) => generation,
        };
        let _guard = self.inner.refresh.lock().await;
        {
            let state = self.inner.lock();
            let now = (self.inner.clock)();
            if let Some(c) = state.current.as_ref().filter(|c| valid_at(c, now)) {
                return Ok(c.clone());
            }
            // A refresh finished while this call waited, and failed: share
            // its outcome rather than asking again at once.
            if state.generation != generation
                && let Some(e) = &state.last_error
            {
                return Err(e.clone());
            }
        }
        self.inner.fetch_and_store().await
    }

    /// Refreshes now, whatever the credentials held (after waiting for a
    /// refresh already running).
    ///
    /// # Errors
    ///
    /// The [`ResolveError`] of the fetch; the credentials held, if any,
    /// are kept.
    pub async fn refresh_now(&self) -> Result<Credentials, ResolveError> {
        let _guard = self.inner.refresh.lock().await;
        self.inner.fetch_and_store().await
    }

    async fn refresh_in_background(&self) {
        if self.inner.spawned.swap(true, Ordering::AcqRel) {
            return;
        }
        let inner = Arc::clone(&self.inner);
        let task = async move {
            if let Ok(_guard) = inner.refresh.try_lock() {
                let now = (inner.clock)();
                let fresh = inner
                    .lock()
                    .current
                    .as_ref()
                    .is_some_and(|c| fresh_at(c, now, inner.window));
                if !fresh {
                    // The failure is recorded and reported by fetch_and_store.
                    let _ = inner.fetch_and_store().await;
                }
            }
            inner.spawned.store(false, Ordering::Release);
        };
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => {
                handle.spawn(task);
            }
            Err(_) => task.await,
        }
    }

    /// Spawns a task that refreshes `window` before each expiry, and
    /// [`RETRY_AFTER_FAILURE`] after a failure, until every clone of the
    /// source is dropped. Credentials without an expiry end it.
    ///
    /// # Errors
    ///
    /// None are returned: failures go where every refresh failure goes
    /// (the callback, [`last_error`](Self::last_error), the count).
    ///
    /// # Panics
    ///
    /// When called outside a tokio runtime (`tokio::spawn`'s rule).
    pub fn spawn_background(&self) -> tokio::task::JoinHandle<()> {
        let weak: Weak<Inner> = Arc::downgrade(&self.inner);
        tokio::spawn(async move {
            loop {
                let Some(inner) = weak.upgrade() else { return };
                let now = (inner.clock)();
                let (wait, ends) = {
                    let state = inner.lock();
                    match (&state.current, &state.last_error) {
                        (Some(c), None) => match c.expiry() {
                            None => (Duration::ZERO, true),
                            Some(e) => (next_refresh(e, now, inner.window), false),
                        },
                        (_, Some(_)) => (RETRY_AFTER_FAILURE, false),
                        (None, None) => (Duration::ZERO, false),
                    }
                };
                if ends {
                    return;
                }
                drop(inner);
                if !wait.is_zero() {
                    tokio::time::sleep(wait).await;
                }
                let Some(inner) = weak.upgrade() else { return };
                let _guard = inner.refresh.lock().await;
                let now = (inner.clock)();
                let fresh = inner
                    .lock()
                    .current
                    .as_ref()
                    .is_some_and(|c| fresh_at(c, now, inner.window));
                let failed = inner.lock().last_error.is_some();
                if !fresh || failed {
                    let _ = inner.fetch_and_store().await;
                }
            }
        })
    }
}

#[cfg(test)]
mod tests;
