use std::sync::atomic::{AtomicU64, AtomicUsize};

use super::*;
use crate::provider::ProviderError;

const T0: u64 = 1_700_000_000;

fn at(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
}

fn creds(id: &str, expires: u64) -> Credentials {
    Credentials::with_session_token(id, "secret", "token", Some(at(expires))).unwrap()
}

/// A clock the test moves by hand.
#[derive(Clone)]
struct Hand(Arc<AtomicU64>);

impl Hand {
    fn new() -> Self {
        Self(Arc::new(AtomicU64::new(T0)))
    }
    fn set(&self, secs: u64) {
        self.0.store(secs, Ordering::SeqCst);
    }
    fn now(&self) -> SystemTime {
        at(self.0.load(Ordering::SeqCst))
    }
}

/// A source whose fetches are counted and answer from `answer`.
fn counted(
    hand: &Hand,
    answer: impl Fn(usize) -> Result<Credentials, ResolveError> + Send + Sync + 'static,
    delay: Duration,
) -> (RefreshingCredentials, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let answer = Arc::new(answer);
    let counter = Arc::clone(&calls);
    let clock = hand.clone();
    let source = RefreshingCredentials::new(move || {
        let n = counter.fetch_add(1, Ordering::SeqCst);
        let answer = Arc::clone(&answer);
        async move {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            answer(n)
        }
    })
    .with_clock(move || clock.now());
    (source, calls)
}

fn down() -> ResolveError {
    ResolveError::from(ProviderError::Transport {
        service: "imds",
        message: "timed out: no answer".to_owned(),
    })
}

async fn eventually(mut check: impl FnMut() -> bool) {
    for _ in 0..300 {
        if check() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the condition never held");
}

#[tokio::test]
async fn fetches_nothing_until_asked_and_then_once() {
    let hand = Hand::new();
    let (source, calls) = counted(&hand, |_| Ok(creds("A", T0 + 3600)), Duration::ZERO);
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    assert!(source.current().is_none());
    assert_eq!(source.credentials().await.unwrap().access_key_id(), "A");
    assert_eq!(source.credentials().await.unwrap().access_key_id(), "A");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn starts_while_the_source_is_down_and_recovers() {
    let hand = Hand::new();
    let up = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&up);
    let (source, _) = counted(
        &hand,
        move |_| {
            if flag.load(Ordering::SeqCst) {
                Ok(creds("UP", T0 + 3600))
            } else {
                Err(down())
            }
        },
        Duration::ZERO,
    );
    let err = source.credentials().await.unwrap_err();
    assert!(err.to_string().contains("timed out"), "{err}");
    assert_eq!(source.failures(), 1);
    up.store(true, Ordering::SeqCst);
    assert_eq!(source.credentials().await.unwrap().access_key_id(), "UP");
    assert!(source.last_error().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callers_without_credentials_share_one_refresh() {
    let hand = Hand::new();
    let (source, calls) = counted(
        &hand,
        |_| Ok(creds("ONE", T0 + 3600)),
        Duration::from_millis(100),
    );
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let s = source.clone();
            tokio::spawn(async move { s.credentials().await })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap().access_key_id(), "ONE");
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callers_waiting_on_a_failed_refresh_share_its_error() {
    let hand = Hand::new();
    let (source, calls) = counted(&hand, |_| Err(down()), Duration::from_millis(100));
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let s = source.clone();
            tokio::spawn(async move { s.credentials().await })
        })
        .collect();
    for t in tasks {
        assert!(t.await.unwrap().unwrap_err().to_string().contains("imds"));
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inside_the_window_serves_the_old_and_refreshes_in_the_background() {
    let hand = Hand::new();
    let (source, calls) = counted(
        &hand,
        |n| Ok(creds(&format!("K{n}"), T0 + 1000 * (n as u64 + 1))),
        Duration::from_millis(50),
    );
    assert_eq!(source.credentials().await.unwrap().access_key_id(), "K0");
    // 1000 - 300: the window starts at T0 + 700.
    hand.set(T0 + 699);
    assert_eq!(source.credentials().await.unwrap().access_key_id(), "K0");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    hand.set(T0 + 700);
    for _ in 0..10 {
        assert_eq!(source.credentials().await.unwrap().access_key_id(), "K0");
    }
    eventually(|| source.current().unwrap().access_key_id() == "K1").await;
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(source.credentials().await.unwrap().access_key_id(), "K1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_refresh_keeps_valid_credentials_and_reports_every_failure() {
    let hand = Hand::new();
    let reported = Arc::new(Mutex::new(Vec::<String>::new()));
    let log = Arc::clone(&reported);
    let (source, _) = counted(
        &hand,
        |n| {
            if n == 0 {
                Ok(creds("OLD", T0 + 1000))
            } else {
                Err(down())
            }
        },
        Duration::ZERO,
    );
    let source = source.on_refresh_error(move |e| log.lock().unwrap().push(e.to_string()));
    assert_eq!(source.credentials().await.unwrap().access_key_id(), "OLD");
    hand.set(T0 + 800);
    assert_eq!(source.credentials().await.unwrap().access_key_id(), "OLD");
    eventually(|| source.failures() == 1).await;
    assert_eq!(source.credentials().await.unwrap().access_key_id(), "OLD");
    eventually(|| source.failures() == 2).await;
    assert!(source.last_error().is_some());
    assert_eq!(reported.lock().unwrap().len(), 2);
    // On demand, the error reaches the caller and the old ones stay.
    assert!(source.refresh_now().await.is_err());
    assert_eq!(source.current().unwrap().access_key_id(), "OLD");
    assert_eq!(reported.lock().unwrap().len(), 3);
    // Expired: the caller gets the error.
    hand.set(T0 + 1000);
    let err = source.credentials().await.unwrap_err();
    assert!(err.to_string().contains("cannot reach imds"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_background_task_refreshes_before_expiry_and_stops_with_the_source() {
    // Real time here: credentials living 2.5 s, refreshed 1 s before expiry.
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&calls);
    let source = RefreshingCredentials::new(move || {
        let n = counter.fetch_add(1, Ordering::SeqCst);
        async move {
            let expiry = SystemTime::now() + Duration::from_millis(2500);
            Ok(Credentials::with_session_token(
                &format!("B{n}"),
                "s",
                "t",
                Some(expiry),
            )?)
        }
    })
    .with_window(Duration::from_secs(1));
    let task = source.spawn_background();
    eventually(|| calls.load(Ordering::SeqCst) == 1).await;
    let first = source.current().unwrap();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(calls.load(Ordering::SeqCst), 1, "refreshed too early");
    eventually(|| calls.load(Ordering::SeqCst) == 2).await;
    let second = source.current().unwrap();
    assert!(second.expiry() > first.expiry());
    assert!(
        valid_at(&first, SystemTime::now()),
        "refreshed after expiry"
    );
    drop(source);
    tokio::time::timeout(Duration::from_secs(3), task)
        .await
        .expect("the task ended")
        .unwrap();
}

#[test]
fn futures_are_send_and_the_source_is_send_and_sync() {
    fn send<T: Send>(_: &T) {}
    fn send_sync<T: Send + Sync + 'static>() {}
    send_sync::<RefreshingCredentials>();
    let source = RefreshingCredentials::new(|| async { Err(down()) });
    send(&source.credentials());
    send(&source.refresh_now());
}

#[test]
fn next_refresh_waits_for_the_window_or_half_a_short_life() {
    let w = Duration::from_secs(300);
    assert_eq!(next_refresh(at(1000), at(0), w), Duration::from_secs(700));
    assert_eq!(next_refresh(at(1000), at(800), w), Duration::from_secs(100));
    assert_eq!(next_refresh(at(1000), at(999), w), Duration::from_secs(1));
    assert_eq!(next_refresh(at(1000), at(2000), w), Duration::from_secs(1));
}
