//! A `sigv4` configuration block, as Prometheus, Grafana Alloy and the
//! OpenTelemetry collector give their users, built into a
//! [`RefreshingSigner`] in one call (feature `tokio`; `serde` to
//! deserialize it).
//!
//! ```yaml
//! sigv4:
//!   region: us-west-2          # else AWS_REGION, AWS_DEFAULT_REGION, the profile's
//!   access_key: AKID...        # with secret_key: static keys
//!   secret_key: ...
//!   profile: prod              # else the default chain (environment, files, SSO, IMDS, ...)
//!   role_arn: arn:aws:iam::123456789012:role/writer   # assumed on top of the above
//!   external_id: ...           # optional, with role_arn
//!   session_name: ...          # optional, with role_arn
//!   service: aps               # the default
//! ```
//!
//! # What it needs from a runtime
//!
//! Building reads the shared files once, where it is called (to check the
//! profile and find the region), and fetches nothing. The signer then
//! fetches on the first request and refreshes ahead of expiry on a tokio
//! runtime (multi-thread or current-thread, with the time driver): each
//! refresh builds a fresh [`DefaultChain`] and runs it, then the role, with
//! [`driver::resolve_async`]. Its requests (the instance metadata service,
//! container endpoints, STS, IAM Identity Center, `aws login`) go through
//! the async transport within the SDKs' budget for each endpoint; its
//! local steps (the shared files, the web identity token, the SSO and
//! `aws login` caches, `credential_process`) run on tokio's blocking pool.
//! No thread waits on the network and every future is `Send`.
//!
//! ```
//! use awsig::config::SigV4Config;
//!
//! # #[cfg(not(feature = "reqwest"))] fn main() {}
//! # #[cfg(feature = "reqwest")]
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let config = SigV4Config {
//!     region: Some("us-west-2".into()),
//!     access_key: Some("AKIDEXAMPLE".into()),
//!     secret_key: Some("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into()),
//!     ..SigV4Config::default()
//! };
//! let signer = config.build_with(awsig::driver::ReqwestTransport::new())?;
//! assert_eq!(signer.service().as_str(), "aps");
//!
//! // A mistake is an error at build time that names the field.
//! let wrong = SigV4Config { secret_key: Some("s".into()), ..SigV4Config::default() };
//! let err = wrong.build_with(awsig::driver::ReqwestTransport::new()).unwrap_err();
//! assert_eq!(err.field(), "access_key");
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use zeroize::Zeroize;

use crate::driver::{self, AsyncTransport, FlowExchange, ResolveError};
use crate::middleware::RefreshingSigner;
use crate::provider::sts::{AssumeRoleConfig, AssumeRoleFlow, StsEndpoint, default_session_name};
use crate::provider::{DefaultChain, Environment, ProviderError, SystemEnvironment};
use crate::refresh::RefreshingCredentials;
use crate::{Credentials, Region, Service};

/// The default service: Amazon Managed Service for Prometheus.
pub const DEFAULT_SERVICE: &str = "aps";

/// A `sigv4` block. Every field is optional; see the [module
/// documentation](self). The secret key is a [`Secret`]: hidden from
/// `Debug`, zeroized on drop.
#[derive(Clone, Default, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Deserialize),
    serde(default, deny_unknown_fields)
)]
pub struct SigV4Config {
    /// The signing region. Default: `AWS_REGION`, `AWS_DEFAULT_REGION`,
    /// then the profile's `region`.
    pub region: Option<String>,
    /// A static access key id (with `secret_key`).
    pub access_key: Option<String>,
    /// A static secret access key (with `access_key`).
    pub secret_key: Option<Secret>,
    /// The shared-files profile to take credentials from. Default: the
    /// default chain (`AWS_PROFILE`, else `default`, after the environment).
    pub profile: Option<String>,
    /// A role to assume with the credentials the other fields give.
    pub role_arn: Option<String>,
    /// The external id for `role_arn`.
    pub external_id: Option<String>,
    /// The session name for `role_arn` (default `awsig-session-<unix time>`).
    pub session_name: Option<String>,
    /// The signing name. Default: `aps`.
    pub service: Option<String>,
}

impl fmt::Debug for SigV4Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigV4Config")
            .field("region", &self.region)
            .field("access_key", &self.access_key)
            .field("secret_key", &self.secret_key)
            .field("profile", &self.profile)
            .field("role_arn", &self.role_arn)
            .field("external_id", &self.external_id)
            .field("session_name", &self.session_name)
            .field("service", &self.service)
            .finish()
    }
}

/// A secret string: zeroized on drop, hidden from `Debug`.
#[derive(Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize), serde(transparent))]
pub struct Secret(String);

impl Secret {
    /// The secret.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Self(s.to_owned())
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Self(s)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("** redacted **")
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

/// A configuration mistake, naming the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("sigv4 config: {field}: {message}")]
pub struct ConfigError {
    field: &'static str,
    message: String,
}

impl ConfigError {
    fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }

    /// The field at fault (`region`, `access_key`, `secret_key`,
    /// `profile`, `role_arn`, `external_id`, `session_name`, `service`).
    pub fn field(&self) -> &'static str {
        self.field
    }

    /// What is wrong with it.
    pub fn message(&self) -> &str {
        &self.message
    }
}

fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Where the credentials under the role come from.
#[derive(Clone)]
enum Base {
    Static(Credentials),
    Chain { profile: Option<String> },
}

/// The environment a plan reads.
type Env = Arc<dyn Environment + Send + Sync>;

/// What a fetch needs, shared by every refresh.
struct Plan<T> {
    env: Env,
    base: Base,
    role: Option<(StsEndpoint, AssumeRoleConfig)>,
    transport: T,
}

impl SigV4Config {
    /// Checks the fields and reads the shared files (to find the profile and
    /// the region); fetches no credentials.
    fn plan<T>(&self, env: Env, transport: T) -> Result<(Plan<T>, String, String), ConfigError> {
        let secret = self
            .secret_key
            .as_ref()
            .map(|s| s.expose().trim())
            .filter(|s| !s.is_empty());
        let (key, secret) = (given(&self.access_key), secret);
        let profile = given(&self.profile).map(str::to_owned);
        let base = match (key, secret) {
            (Some(k), Some(s)) => {
                if profile.is_some() {
                    return Err(ConfigError::new(
                        "profile",
                        "give either a profile or access_key and secret_key, not both",
                    ));
                }
                let creds = Credentials::new(k, s).map_err(|e| match e {
                    crate::Error::InvalidAccessKeyId { .. } => {
                        ConfigError::new("access_key", e.to_string())
                    }
                    _ => ConfigError::new("secret_key", e.to_string()),
                })?;
                Base::Static(creds)
            }
            (None, Some(_)) => {
                return Err(ConfigError::new(
                    "access_key",
                    "missing: secret_key is set, so access_key must be too",
                ));
            }
            (Some(_), None) => {
                return Err(ConfigError::new(
                    "secret_key",
                    "missing: access_key is set, so secret_key must be too",
                ));
            }
            (None, None) => Base::Chain {
                profile: profile.clone(),
            },
        };
        // The files: the profile must exist, and they may hold the region.
        let chain =
            DefaultChain::new(Arc::clone(&env), profile.as_deref()).map_err(|e| match e {
                ProviderError::ProfileNotFound { profile } => ConfigError::new(
                    "profile",
                    format!(
                        "the profile {profile:?} is in neither the config nor the credentials file"
                    ),
                ),
                other => ConfigError::new("profile", other.to_string()),
            })?;
        let region = match given(&self.region) {
            Some(r) => r.to_owned(),
            None => chain.region().map(str::to_owned).ok_or_else(|| {
                ConfigError::new(
                    "region",
                    "missing: set it, or AWS_REGION, or region in the profile",
                )
            })?,
        };
        Region::new(&region).map_err(|e| ConfigError::new("region", e.to_string()))?;
        let service = given(&self.service).unwrap_or(DEFAULT_SERVICE).to_owned();
        Service::new(&service).map_err(|e| ConfigError::new("service", e.to_string()))?;
        let role = match given(&self.role_arn) {
            Some(arn) => {
                if !arn.starts_with("arn:") {
                    return Err(ConfigError::new(
                        "role_arn",
                        format!("{arn:?} is not an ARN (arn:aws:iam::<account>:role/<name>)"),
                    ));
                }
                let sts = StsEndpoint::from_env(env.as_ref(), Some(&region))
                    .map_err(|e| ConfigError::new("role_arn", e.to_string()))?;
                Some((
                    sts,
                    AssumeRoleConfig {
                        role_arn: arn.to_owned(),
                        session_name: given(&self.session_name)
                            .map(str::to_owned)
                            .unwrap_or_default(),
                        external_id: given(&self.external_id).map(str::to_owned),
                        duration: None,
                    },
                ))
            }
            None => {
                for (field, value) in [
                    ("external_id", &self.external_id),
                    ("session_name", &self.session_name),
                ] {
                    if given(value).is_some() {
                        return Err(ConfigError::new(field, "it needs role_arn"));
                    }
                }
                None
            }
        };
        drop(chain);
        Ok((
            Plan {
                env,
                base,
                role,
                transport,
            },
            region,
            service,
        ))
    }

    /// Builds the refreshing credentials and the signer, fetching nothing
    /// yet: credentials come on the first request, through `transport`.
    ///
    /// The signer checks each request's host
    /// ([`EndpointCheck::Refuse`](crate::EndpointCheck::Refuse)): a request
    /// to an AWS endpoint of another region or service than the block's is
    /// refused before it is sent, with an error naming both, instead of a
    /// `403` from AWS. Other hosts (proxies, test servers) are signed as
    /// usual; [`RefreshingSigner::with_endpoint_check`] turns it off.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] naming the field: a secret key without an access
    /// key (or the reverse), a profile in neither shared file, no region
    /// anywhere, an invalid region, service or role ARN, an external id or
    /// session name without a role.
    pub fn build_with<T>(&self, transport: T) -> Result<RefreshingSigner, ConfigError>
    where
        T: AsyncTransport + 'static,
    {
        self.build_in(Arc::new(SystemEnvironment), transport)
    }

    /// As [`SigV4Config::build_with`], reading environment variables and
    /// files through `env` instead of the process's own.
    ///
    /// # Errors
    ///
    /// As [`SigV4Config::build_with`].
    pub fn build_in<T>(
        &self,
        env: Arc<dyn Environment + Send + Sync>,
        transport: T,
    ) -> Result<RefreshingSigner, ConfigError>
    where
        T: AsyncTransport + 'static,
    {
        let (plan, region, service) = self.plan(env, transport)?;
        let plan = Arc::new(plan);
        let credentials = RefreshingCredentials::new(move || {
            let plan = Arc::clone(&plan);
            async move { fetch(plan).await }
        });
        let signer = RefreshingSigner::new(credentials, &region, &service)
            .map_err(|e| ConfigError::new("region", e.to_string()))?;
        Ok(signer.with_endpoint_check(crate::EndpointCheck::Refuse))
    }

    /// [`SigV4Config::build_with`] over reqwest (feature `reqwest`).
    ///
    /// # Errors
    ///
    /// As [`SigV4Config::build_with`].
    #[cfg(feature = "reqwest")]
    pub fn build(&self) -> Result<RefreshingSigner, ConfigError> {
        self.build_with(driver::ReqwestTransport::new())
    }
}

/// Runs the plan: the base credentials, then the role, each driven on the
/// runtime by [`driver::resolve_async`] (its requests through the async
/// transport, its local steps on the blocking pool).
async fn fetch<T: AsyncTransport + 'static>(
    plan: Arc<Plan<T>>,
) -> Result<Credentials, ResolveError> {
    let base = match &plan.base {
        Base::Static(c) => c.clone(),
        Base::Chain { profile } => {
            let chain = chain(Arc::clone(&plan.env), profile.clone()).await?;
            driver::resolve_async(chain, &plan.transport)
                .await?
                .credentials
        }
    };
    match &plan.role {
        None => Ok(base),
        Some((sts, role)) => {
            let mut role = role.clone();
            if role.session_name.is_empty() {
                role.session_name = default_session_name(SystemTime::now());
            }
            let flow = FlowExchange::new(AssumeRoleFlow::new(sts.clone(), base, role));
            driver::resolve_async(flow, &plan.transport).await
        }
    }
}

/// A fresh chain for one refresh. Building it reads the shared files, so it
/// runs on the blocking pool.
async fn chain(env: Env, profile: Option<String>) -> Result<DefaultChain, ProviderError> {
    driver::on_blocking_pool(move || {
        // The signer's region is settled: no need to ask the instance
        // metadata service for one on each refresh.
        let mut builder = DefaultChain::builder(env).region_from_imds(false);
        if let Some(p) = &profile {
            builder = builder.profile(p);
        }
        builder.build()
    })
    .await?
}

#[cfg(test)]
mod tests;
