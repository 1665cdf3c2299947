//! The agent path end to end: requests signed by the tower layer
//! (`tower_sqs.rs`) and the reqwest middleware (`reqwest_s3.rs`) with
//! credentials that refresh themselves, sent to servers that verify them.
//!
//! The role credentials come as an agent gets them: a `SigV4Config` naming
//! a profile that assumes a role at moto's STS with the user's keys, for
//! credentials that live [`ROLE_SECONDS`]; each refresh run sends for
//! [`RUN`], longer than that, so the credentials are refreshed while it
//! runs.
//!
//! Which server checks what: moto checks signatures and session tokens,
//! but neither the signing time nor the expiry of session credentials (a
//! call signed 20 minutes off is accepted: a case below shows it). The skew
//! correction is therefore shown against the two verifiers that check the
//! time: s3s-fs (S3's 15 minutes, `RequestTimeTooSkewed`) and the aps
//! receiver (5 minutes, `InvalidSignatureException` "Signature expired").

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use awsig::Credentials;
use awsig::config::SigV4Config;
use awsig::driver::ReqwestTransport;
use awsig::middleware::RefreshingSigner;
use awsig::provider::VarsEnvironment;
use awsig::refresh::RefreshingCredentials;

use crate::{Moto, Report, S3};

/// How long the role's credentials live, in seconds.
pub(crate) const ROLE_SECONDS: u64 = 8;
/// How long each refresh run sends for.
pub(crate) const RUN: Duration = Duration::from_secs(12);
/// The pause between two requests of a refresh run.
pub(crate) const PAUSE: Duration = Duration::from_millis(750);
/// How far ahead the skewed signers' clocks are, in seconds.
pub(crate) const SKEW_SECS: i64 = 20 * 60;

/// Named outcomes, kept in order and reported after the runs (which go
/// side by side).
#[derive(Default)]
pub(crate) struct Cases(Vec<(String, Result<(), String>)>);

impl Cases {
    pub(crate) fn case(&mut self, name: &str, result: Result<(), String>) {
        self.0.push((name.to_owned(), result));
    }

    fn report(self, report: &mut Report) {
        for (name, result) in self.0 {
            report.case(&name, result);
        }
    }
}

/// A profile that assumes the role at moto's STS, in a config file of its
/// own, and the environment that points the chain at it.
pub(crate) struct RoleProfile {
    dir: PathBuf,
    env: Arc<VarsEnvironment>,
}

impl RoleProfile {
    fn new(moto: &Moto, user: &Credentials, role_arn: &str) -> Result<Self, String> {
        let dir = std::env::temp_dir().join(format!("awsig-e2e-agent-{}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let config = format!(
            "[profile e2e-user]\naws_access_key_id = {}\naws_secret_access_key = {}\n\
             [profile e2e-agent]\nrole_arn = {role_arn}\nsource_profile = e2e-user\n\
             role_session_name = agent\nduration_seconds = {ROLE_SECONDS}\nregion = {}\n",
            user.access_key_id(),
            user.secret_access_key(),
            crate::REGION
        );
        let path = dir.join("config");
        std::fs::write(&path, config).map_err(|e| e.to_string())?;
        let vars = [
            ("AWS_CONFIG_FILE", path.to_string_lossy().into_owned()),
            (
                "AWS_SHARED_CREDENTIALS_FILE",
                dir.join("credentials").to_string_lossy().into_owned(),
            ),
            ("AWS_ENDPOINT_URL_STS", moto.endpoint.clone()),
            ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
        ];
        let env = VarsEnvironment::new(
            vars.into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect::<BTreeMap<_, _>>(),
        );
        Ok(Self {
            dir,
            env: Arc::new(env),
        })
    }

    /// A signer for `service` from the `sigv4` block an agent would write:
    /// the profile, nothing else. It fetches nothing until the first
    /// request.
    pub(crate) fn signer(&self, service: &str) -> Result<RefreshingSigner, String> {
        SigV4Config {
            profile: Some("e2e-agent".into()),
            service: Some(service.into()),
            ..SigV4Config::default()
        }
        .build_in(self.env.clone(), ReqwestTransport::new())
        .map_err(|e| e.to_string())
    }

    /// A signer with static keys (for s3s-fs, which knows no sessions).
    pub(crate) fn static_signer(
        &self,
        key: &str,
        secret: &str,
        service: &str,
    ) -> Result<RefreshingSigner, String> {
        SigV4Config {
            region: Some(crate::REGION.into()),
            access_key: Some(key.into()),
            secret_key: Some(secret.into()),
            service: Some(service.into()),
            ..SigV4Config::default()
        }
        .build_in(self.env.clone(), ReqwestTransport::new())
        .map_err(|e| e.to_string())
    }
}

impl Drop for RoleProfile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A signer's clock set `SKEW_SECS` ahead of the machine's.
pub(crate) fn skewed(signer: RefreshingSigner) -> RefreshingSigner {
    signer.with_clock(|| awsig::skew::shift(SystemTime::now(), SKEW_SECS))
}

/// Whether the signer learned the skew: an offset of minus `SKEW_SECS`,
/// give or take the seconds the requests took.
pub(crate) fn learned_skew(signer: &RefreshingSigner) -> Result<(), String> {
    let offset = signer.clock_offset();
    if (offset + SKEW_SECS).abs() <= 3 {
        Ok(())
    } else {
        Err(format!(
            "clock offset {offset} s, expected about -{SKEW_SECS} s"
        ))
    }
}

/// One request as it went on the wire, below the signer.
#[derive(Debug, Clone)]
pub(crate) struct Sent {
    /// The access key in its `authorization` header.
    pub(crate) key: String,
    /// Whether the credentials of that key had expired when it was sent
    /// (known when they were still the source's current ones).
    pub(crate) expired: bool,
    /// The status of the answer (0 when none came).
    pub(crate) status: u16,
}

/// The requests a tap saw, in order.
#[derive(Clone, Default)]
pub(crate) struct Wire(Arc<Mutex<Vec<Sent>>>);

impl Wire {
    /// Notes a request about to be sent; returns its place.
    pub(crate) fn record(
        &self,
        headers: &http::HeaderMap,
        credentials: &RefreshingCredentials,
    ) -> usize {
        let key = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|a| a.split("Credential=").nth(1))
            .and_then(|c| c.split('/').next())
            .unwrap_or_default()
            .to_owned();
        let expired = credentials.current().is_some_and(|c| {
            c.access_key_id() == key && c.expiry().is_some_and(|e| e <= SystemTime::now())
        });
        let mut sent = self.0.lock().unwrap();
        sent.push(Sent {
            key,
            expired,
            status: 0,
        });
        sent.len() - 1
    }

    pub(crate) fn answered(&self, at: usize, status: u16) {
        if let Some(s) = self.0.lock().unwrap().get_mut(at) {
            s.status = status;
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.0.lock().unwrap().len()
    }

    /// The statuses of the requests sent from `from` on.
    pub(crate) fn statuses_since(&self, from: usize) -> Vec<u16> {
        let sent = self.0.lock().unwrap();
        sent.get(from..)
            .unwrap_or_default()
            .iter()
            .map(|s| s.status)
            .collect()
    }

    /// That the requests from `from` on used at least two keys (the
    /// credentials were refreshed), none of them expired, over a run
    /// longer than the credentials live.
    pub(crate) fn refreshed_since(&self, from: usize, lasted: Duration) -> Result<(), String> {
        let sent = self
            .0
            .lock()
            .unwrap()
            .get(from..)
            .unwrap_or_default()
            .to_vec();
        let mut keys: Vec<&str> = sent.iter().map(|s| s.key.as_str()).collect();
        keys.dedup();
        let expired = sent.iter().filter(|s| s.expired).count();
        if lasted <= Duration::from_secs(ROLE_SECONDS) {
            Err(format!("the run lasted only {lasted:?}"))
        } else if keys.len() < 2 || expired > 0 {
            Err(format!(
                "{} requests, keys in turn {keys:?}, {expired} sent with expired credentials",
                sent.len()
            ))
        } else {
            Ok(())
        }
    }
}

/// Calls `send` with 0, 1, 2, ... every [`PAUSE`] for [`RUN`], longer
/// than the role's credentials live, and reports that every call was
/// accepted and that the credentials were refreshed on the way without
/// one expired pair being used.
pub(crate) async fn refresh_run(
    cases: &mut Cases,
    prefix: &str,
    calls: &str,
    wire: &Wire,
    mut send: impl AsyncFnMut(u32) -> Result<(), String>,
) {
    let from = wire.len();
    let started = Instant::now();
    let mut failures = Vec::new();
    let mut sent = 0;
    while started.elapsed() < RUN {
        if let Err(e) = send(sent).await {
            failures.push(format!("call {sent}: {e}"));
        }
        sent += 1;
        tokio::time::sleep(PAUSE).await;
    }
    let lasted = started.elapsed();
    cases.case(
        &format!(
            "{prefix}: {calls} every {PAUSE:?} for {RUN:?}, every call accepted ({sent} calls)"
        ),
        if failures.is_empty() {
            Ok(())
        } else {
            Err(failures.join("; "))
        },
    );
    cases.case(
        &format!(
            "{prefix}: the role's credentials expired and were refreshed during the run, none used expired"
        ),
        wire.refreshed_since(from, lasted),
    );
}

/// A change made to a signed request before it is sent: its headers and
/// body.
pub(crate) type Tamper = Arc<dyn Fn(&mut http::HeaderMap, &mut Vec<u8>) + Send + Sync>;

/// No change.
pub(crate) fn untouched() -> Tamper {
    Arc::new(|_, _| {})
}

/// The first `from` in the body becomes `to`.
pub(crate) fn replace_in_body(from: &'static str, to: &'static str) -> Tamper {
    Arc::new(move |_, body| {
        let text = String::from_utf8_lossy(body).replacen(from, to, 1);
        *body = text.into_bytes();
    })
}

/// A header's value replaced.
pub(crate) fn set_header(name: &'static str, value: String) -> Tamper {
    Arc::new(move |headers, _| {
        headers.insert(name, http::HeaderValue::from_str(&value).unwrap());
    })
}

/// The session token with its last character changed.
pub(crate) fn changed_token() -> Tamper {
    Arc::new(|headers, _| {
        let mut token = headers
            .get("x-amz-security-token")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let last = token.pop().unwrap_or('A');
        token.push(if last == 'A' { 'B' } else { 'A' });
        headers.insert(
            "x-amz-security-token",
            http::HeaderValue::from_str(&token).unwrap(),
        );
    })
}

/// `x-amz-date` moved one second on.
pub(crate) fn moved_date() -> Tamper {
    Arc::new(|headers, _| {
        let date = headers
            .get("x-amz-date")
            .and_then(|v| v.to_str().ok())
            .and_then(|d| awsig::AmzDate::parse(d).ok())
            .map(|d| d.to_system_time() + Duration::from_secs(1))
            .and_then(|t| awsig::AmzDate::from_system_time(t).ok());
        if let Some(date) = date {
            headers.insert(
                "x-amz-date",
                http::HeaderValue::from_str(date.as_str()).unwrap(),
            );
        }
    })
}

/// The tower and reqwest paths against moto, s3s-fs and the aps receiver.
pub(crate) fn run(report: &mut Report, moto: &Moto, user: &Credentials, role_arn: &str, s3: &S3) {
    let profile = match RoleProfile::new(moto, user, role_arn) {
        Ok(p) => p,
        Err(e) => {
            report.case("agent path: the role profile", Err(e));
            return;
        }
    };
    let receiver = std::env::var("AWSIG_E2E_RECEIVER_ENDPOINT").ok();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            report.case("agent path: a tokio runtime", Err(e.to_string()));
            return;
        }
    };
    // The two refresh runs go side by side.
    let (tower, reqwest) = runtime.block_on(async {
        tokio::join!(
            crate::tower_sqs::run(
                moto.endpoint.clone(),
                receiver,
                profile.signer("sqs"),
                profile.signer("sqs"),
                profile.signer("aps"),
            ),
            crate::reqwest_s3::run(
                moto.endpoint.clone(),
                s3.endpoint.clone(),
                s3.bucket.clone(),
                profile.signer("s3"),
                s3_signers(&profile, s3),
            )
        )
    });
    tower.report(report);
    reqwest.report(report);
}

/// Signers for s3s-fs: the right keys with a clock 20 minutes ahead, the
/// wrong secret, and the right keys with a buffering limit of 1 KiB.
fn s3_signers(profile: &RoleProfile, s3: &S3) -> Result<[RefreshingSigner; 3], String> {
    let creds = s3.signer.credentials();
    let (key, secret) = (creds.access_key_id(), creds.secret_access_key());
    Ok([
        skewed(profile.static_signer(key, secret, "s3")?),
        profile.static_signer(key, &format!("{secret}x"), "s3")?,
        profile
            .static_signer(key, secret, "s3")?
            .with_max_buffered_body(1024),
    ])
}
