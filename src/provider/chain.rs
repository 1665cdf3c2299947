//! The default chain, sans-IO.
//!
//! Sources are tried in the AWS CLI's order; the first that has
//! credentials wins:
//!
//! 1. **environment**: `AWS_ACCESS_KEY_ID` and friends ([`super::env`]).
//!    Skipped when a profile is chosen explicitly (`--profile`), as in the
//!    AWS CLI; `AWS_PROFILE` does not skip it.
//! 2. **assume-role**: the profile has `role_arn` (and no
//!    `web_identity_token_file`): the plan of [`ProfileChain`] (source
//!    profiles, recursively, or `credential_source`), then `AssumeRole` for
//!    each role with `external_id`, `role_session_name` and
//!    `duration_seconds`.
//! 3. **web-identity**: `AWS_WEB_IDENTITY_TOKEN_FILE`, `AWS_ROLE_ARN`,
//!    `AWS_ROLE_SESSION_NAME` (or the profile's `web_identity_token_file`,
//!    `role_arn`, `role_session_name`), then `AssumeRoleWithWebIdentity`.
//! 4. **sso**: IAM Identity Center ([`super::sso`]): the cached token,
//!    refreshed when near expiry, then `GetRoleCredentials`.
//! 5. **credentials-file**: `aws_access_key_id`, `aws_secret_access_key`,
//!    `aws_session_token` in the credentials file's profile.
//! 6. **login**: an `aws login` session ([`super::login`]).
//! 7. **process**: the profile's `credential_process`.
//! 8. **config-file**: static keys in the config file's profile.
//! 9. **container**: `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` or
//!    `..._FULL_URI` ([`super::container`]). A failure here is an error.
//! 10. **instance-metadata**: IMDSv2 unless `AWS_EC2_METADATA_DISABLED`
//!     ([`super::imds`]). A failure here means "no credentials".
//!
//! A profile chosen with `AWS_PROFILE` (or explicitly) that exists in
//! neither file is an error; the `default` profile may be missing.
//!
//! The region is `AWS_REGION`, `AWS_DEFAULT_REGION`, then the profile's
//! `region`; when none is set, once the credentials are found, the chain
//! asks the instance metadata service
//! (`/latest/meta-data/placement/region`, [`ImdsRegionFlow`]) unless it is
//! disabled, as the SDKs do on EC2; a failure there leaves the region
//! unset. [`Resolved::region_source`] says where it came from.
//!
//! Service endpoints follow [`Endpoints`] (configured URLs, FIPS,
//! dual-stack). Token caches refreshed on the way (SSO, `aws login`) are
//! written back through [`Environment::write_file`]; a failed write keeps
//! the credentials and leaves the cache as it was.
//!
//! Drive it with [`DefaultChain::poll`]: it returns either a request to
//! send (then call [`DefaultChain::handle_response`], or
//! [`DefaultChain::handle_send_error`] when it could not be sent) or the
//! result, with the [`Source`] that won.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use zeroize::Zeroizing;

use super::container::{ContainerConfig, ContainerFlow};
use super::endpoint::{Endpoints, Service};
use super::imds::{ImdsConfig, ImdsFlow, ImdsOverrides, ImdsRegionFlow, ImdsToken};
use super::login::{LoginCache, LoginFlow};
use super::plan::{BaseSource, KeysFile, NamedSource, ProfileChain, RoleStep, static_keys};
use super::process::{parse_process_output, split_command};
use super::profile::{Profile, ProfileRules, ProfileSet, expand_home, selected_profile};
use super::sso::{SsoConfig, SsoFlow, read_cached_token, token_only_error};
use super::sts::{
    AssumeRoleConfig, AssumeRoleFlow, StsEndpoint, WebIdentityConfig, WebIdentityFlow,
    default_session_name,
};
use super::{Environment, FlowStep, Progress, ProviderError, env, non_empty};
use crate::Credentials;

/// Which source produced the credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Source {
    /// Environment variables.
    Environment,
    /// `AssumeRole` configured in a profile.
    AssumeRole {
        /// The profile with `role_arn`.
        profile: String,
    },
    /// `AssumeRoleWithWebIdentity` (environment or profile).
    WebIdentity,
    /// IAM Identity Center (`GetRoleCredentials`).
    Sso {
        /// The profile.
        profile: String,
    },
    /// Static keys in the credentials file.
    CredentialsFile {
        /// The profile.
        profile: String,
    },
    /// An `aws login` session.
    Login {
        /// The profile.
        profile: String,
    },
    /// `credential_process`.
    Process {
        /// The profile.
        profile: String,
    },
    /// Static keys in the config file.
    ConfigFile {
        /// The profile.
        profile: String,
    },
    /// The container credentials endpoint.
    Container,
    /// The instance metadata service.
    InstanceMetadata,
}

impl Source {
    /// A short, stable name: `environment`, `assume-role`, `web-identity`,
    /// `sso`, `credentials-file`, `login`, `process`, `config-file`,
    /// `container`, `instance-metadata`.
    pub fn name(&self) -> &'static str {
        match self {
            Source::Environment => "environment",
            Source::AssumeRole { .. } => "assume-role",
            Source::WebIdentity => "web-identity",
            Source::Sso { .. } => "sso",
            Source::CredentialsFile { .. } => "credentials-file",
            Source::Login { .. } => "login",
            Source::Process { .. } => "process",
            Source::ConfigFile { .. } => "config-file",
            Source::Container => "container",
            Source::InstanceMetadata => "instance-metadata",
        }
    }

    /// The profile involved, if any.
    pub fn profile(&self) -> Option<&str> {
        match self {
            Source::AssumeRole { profile }
            | Source::Sso { profile }
            | Source::CredentialsFile { profile }
            | Source::Login { profile }
            | Source::Process { profile }
            | Source::ConfigFile { profile } => Some(profile),
            _ => None,
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.profile() {
            Some(p) => write!(f, "{} (profile {p})", self.name()),
            None => f.write_str(self.name()),
        }
    }
}

/// Where the region came from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RegionSource {
    /// An environment variable (`AWS_REGION` or `AWS_DEFAULT_REGION`).
    Environment {
        /// The variable.
        variable: &'static str,
    },
    /// The profile's `region`.
    Profile {
        /// The profile.
        profile: String,
    },
    /// The instance metadata service.
    InstanceMetadata,
}

impl fmt::Display for RegionSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegionSource::Environment { variable } => write!(f, "environment ({variable})"),
            RegionSource::Profile { profile } => write!(f, "profile {profile}"),
            RegionSource::InstanceMetadata => f.write_str("instance-metadata"),
        }
    }
}

/// The chain's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The credentials.
    pub credentials: Credentials,
    /// Where they came from.
    pub source: Source,
    /// The region, if configured or found.
    pub region: Option<String>,
    /// Where the region came from.
    pub region_source: Option<RegionSource>,
}

/// What to do next.
///
/// `Debug` shows the request through [`RedactedRequest`](super::RedactedRequest):
/// its body (which may hold a web identity or refresh token) and secret
/// headers never appear.
#[allow(clippy::large_enum_variant)] // Moved once per step; a box would cost an allocation.
pub enum ChainStep {
    /// Send this request, then call [`DefaultChain::handle_response`].
    Send(http::Request<Vec<u8>>),
    /// Finished.
    Done(Resolved),
}

impl fmt::Debug for ChainStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChainStep::Send(request) => f
                .debug_tuple("Send")
                .field(&super::RedactedRequest(request))
                .finish(),
            ChainStep::Done(resolved) => f.debug_tuple("Done").field(resolved).finish(),
        }
    }
}

#[derive(Debug)]
enum Flow {
    Imds(ImdsFlow),
    Container(ContainerFlow),
    WebIdentity(WebIdentityFlow),
    AssumeRole(AssumeRoleFlow),
    Sso(SsoFlow),
    Login(LoginFlow),
}

impl Flow {
    fn poll(&mut self, now: SystemTime) -> Result<FlowStep, ProviderError> {
        match self {
            Flow::Imds(f) => f.poll_request(now).map(FlowStep::Send),
            Flow::Container(f) => f.poll_request(now).map(FlowStep::Send),
            Flow::WebIdentity(f) => f.poll_request(now).map(FlowStep::Send),
            Flow::AssumeRole(f) => f.poll_request(now).map(FlowStep::Send),
            Flow::Sso(f) => f.poll_request(now).map(FlowStep::Send),
            Flow::Login(f) => f.poll(now),
        }
    }

    fn handle<B: AsRef<[u8]>>(
        &mut self,
        r: &http::Response<B>,
        now: SystemTime,
    ) -> Result<Progress, ProviderError> {
        match self {
            Flow::Imds(f) => f.handle_response(r, now),
            Flow::Container(f) => f.handle_response(r, now),
            Flow::WebIdentity(f) => f.handle_response(r, now),
            Flow::AssumeRole(f) => f.handle_response(r, now),
            Flow::Sso(f) => f.handle_response(r, now),
            Flow::Login(f) => {
                f.handle_response(r, now)?;
                f.credentials().map(Progress::Done)
            }
        }
    }

    fn service(&self) -> &'static str {
        match self {
            Flow::Imds(_) => "imds",
            Flow::Container(_) => "container",
            Flow::WebIdentity(_) | Flow::AssumeRole(_) => "sts",
            Flow::Sso(_) => "sso",
            Flow::Login(_) => "signin",
        }
    }

    fn take_cache_update(&mut self) -> Option<Zeroizing<Vec<u8>>> {
        match self {
            Flow::Sso(f) => f.take_cache_update(),
            Flow::Login(f) => f.take_cache_update(),
            _ => None,
        }
    }
}

/// Credentials at hand, or a flow that will give them.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // One per chain, replaced in place.
enum Work {
    Ready(Credentials),
    Flow(Flow),
}

#[derive(Debug)]
struct Active {
    source: Source,
    work: Work,
    /// Roles still to assume, the next one last.
    roles: Vec<RoleStep>,
    /// A failure means "not here" rather than an error (the instance metadata stage).
    optional: bool,
    /// Where a refreshed token cache goes.
    cache_path: Option<PathBuf>,
}

impl Active {
    fn new(source: Source, work: Work) -> Self {
        Self {
            source,
            work,
            roles: Vec::new(),
            optional: false,
            cache_path: None,
        }
    }
}

/// A stage of the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Environment,
    AssumeRole,
    WebIdentity,
    Sso,
    CredentialsFile,
    Login,
    Process,
    ConfigFile,
    Container,
    InstanceMetadata,
}

impl Stage {
    fn name(self) -> &'static str {
        match self {
            Stage::Environment => "environment",
            Stage::AssumeRole => "assume-role",
            Stage::WebIdentity => "web-identity",
            Stage::Sso => "sso",
            Stage::CredentialsFile => "credentials-file",
            Stage::Login => "login",
            Stage::Process => "process",
            Stage::ConfigFile => "config-file",
            Stage::Container => "container",
            Stage::InstanceMetadata => "instance-metadata",
        }
    }
}

const ALL_STAGES: [Stage; 10] = [
    Stage::Environment,
    Stage::AssumeRole,
    Stage::WebIdentity,
    Stage::Sso,
    Stage::CredentialsFile,
    Stage::Login,
    Stage::Process,
    Stage::ConfigFile,
    Stage::Container,
    Stage::InstanceMetadata,
];

const PROFILE_STAGES: [Stage; 7] = [
    Stage::AssumeRole,
    Stage::WebIdentity,
    Stage::Sso,
    Stage::CredentialsFile,
    Stage::Login,
    Stage::Process,
    Stage::ConfigFile,
];

/// Which sources a chain tries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Sources {
    /// Every source, in the order of the [module documentation](self).
    #[default]
    All,
    /// Only the sources a profile configures (role assumption, web
    /// identity from the profile, SSO, the files' keys, `aws login`,
    /// `credential_process`): the SDKs' profile provider.
    ProfileOnly,
}

/// Settings of a [`DefaultChain`]; see [`DefaultChain::builder`].
#[must_use = "a builder does nothing until `build` is called"]
pub struct ChainBuilder {
    env: Arc<dyn Environment>,
    profile: Option<String>,
    rules: ProfileRules,
    profiles: Option<ProfileSet>,
    sources: Sources,
    region_from_imds: bool,
    imds: ImdsOverrides,
}

impl fmt::Debug for ChainBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChainBuilder")
            .field("profile", &self.profile)
            .field("rules", &self.rules)
            .field("sources", &self.sources)
            .field("region_from_imds", &self.region_from_imds)
            .field("imds", &self.imds)
            .finish()
    }
}

impl ChainBuilder {
    /// Chooses the profile explicitly (as `--profile` does): the
    /// environment's keys are then skipped.
    pub fn profile(mut self, profile: &str) -> Self {
        self.profile = Some(profile.to_owned());
        self
    }

    /// The rules the shared files are read by (default: the SDKs').
    pub fn profile_rules(mut self, rules: ProfileRules) -> Self {
        self.rules = rules;
        self
    }

    /// Profiles already parsed, instead of reading the files.
    pub fn profiles(mut self, profiles: ProfileSet) -> Self {
        self.profiles = Some(profiles);
        self
    }

    /// Which sources to try (default: all).
    pub fn sources(mut self, sources: Sources) -> Self {
        self.sources = sources;
        self
    }

    /// Whether to ask the instance metadata service for the region when
    /// nothing else sets it (default: yes).
    pub fn region_from_imds(mut self, ask: bool) -> Self {
        self.region_from_imds = ask;
        self
    }

    /// The instance metadata endpoint or mode given in code.
    pub fn imds(mut self, overrides: ImdsOverrides) -> Self {
        self.imds = overrides;
        self
    }

    /// Reads the shared files (unless given) and prepares the chain.
    ///
    /// # Errors
    ///
    /// A shared file that cannot be read or parsed, a selected profile that
    /// exists in neither file, or an invalid configured STS endpoint.
    pub fn build(self) -> Result<DefaultChain, ProviderError> {
        let profiles = match self.profiles {
            Some(p) => p,
            None => ProfileSet::load_with(&*self.env, self.rules)?,
        };
        let env = self.env;
        let name = selected_profile(&*env, self.profile.as_deref());
        if name != "default" && profiles.get(&name).is_none() {
            return Err(ProviderError::ProfileNotFound { profile: name });
        }
        let (region, region_source) = match env::region_from_env(&*env) {
            Some(r) => {
                let variable = if non_empty(env.var(env::AWS_REGION)).is_some() {
                    env::AWS_REGION
                } else {
                    env::AWS_DEFAULT_REGION
                };
                (Some(r), Some(RegionSource::Environment { variable }))
            }
            None => match profiles
                .get(&name)
                .and_then(|p| p.get("region"))
                .map(str::trim)
                .filter(|r| !r.is_empty())
            {
                Some(r) => (
                    Some(r.to_owned()),
                    Some(RegionSource::Profile {
                        profile: name.clone(),
                    }),
                ),
                None => (None, None),
            },
        };
        let endpoints = Endpoints::from_env(&*env, &profiles, &name);
        let sts = StsEndpoint::resolve(&endpoints, region.as_deref())?;
        let stages: &'static [Stage] = match self.sources {
            Sources::All => &ALL_STAGES,
            Sources::ProfileOnly => &PROFILE_STAGES,
        };
        Ok(DefaultChain {
            env,
            profiles,
            profile: name,
            explicit_profile: self.profile.is_some(),
            sources: self.sources,
            region,
            region_source,
            region_from_imds: self.region_from_imds,
            imds: self.imds,
            endpoints,
            sts,
            stages,
            next_stage: 0,
            active: None,
            region_flow: None,
            found: None,
            imds_token: None,
            tried: Vec::new(),
            over: false,
        })
    }
}

/// The default chain: finds credentials where the AWS CLI does, and says
/// which source had them. See the [module documentation](self) for the order.
///
/// It owns its [`Environment`] (behind an `Arc`), so it is
/// `Send + Sync + 'static`: a task or thread may hold it while a request is
/// in flight.
///
/// Drive it to the end: send each request it asks for with any HTTP client,
/// with short timeouts for the metadata endpoints.
///
/// ```no_run
/// use std::time::SystemTime;
/// use awsig::provider::{ChainStep, DefaultChain, SystemEnvironment};
///
/// /// Your HTTP client (ureq, reqwest, hyper, ...).
/// fn send(request: http::Request<Vec<u8>>) -> Result<http::Response<Vec<u8>>, String> {
///     # Err(format!("no HTTP client in this example for {}", request.uri()))
/// }
///
/// let mut chain = DefaultChain::new(SystemEnvironment, None)?;
/// let resolved = loop {
///     match chain.poll(SystemTime::now())? {
///         ChainStep::Done(resolved) => break resolved,
///         ChainStep::Send(request) => match send(request) {
///             Ok(response) => chain.handle_response(&response, SystemTime::now())?,
///             Err(reason) => chain.handle_send_error(&reason)?,
///         },
///     }
/// };
/// println!("credentials from {}, region {:?}", resolved.source.name(), resolved.region);
/// # Ok::<(), awsig::provider::ProviderError>(())
/// ```
pub struct DefaultChain {
    env: Arc<dyn Environment>,
    profiles: ProfileSet,
    profile: String,
    explicit_profile: bool,
    sources: Sources,
    region: Option<String>,
    region_source: Option<RegionSource>,
    region_from_imds: bool,
    imds: ImdsOverrides,
    endpoints: Endpoints,
    sts: StsEndpoint,
    stages: &'static [Stage],
    next_stage: usize,
    active: Option<Active>,
    /// The region lookup, once the credentials are found.
    region_flow: Option<ImdsRegionFlow>,
    /// The credentials found, while the region is looked up.
    found: Option<(Credentials, Source)>,
    /// The token of an instance metadata flow, for the region lookup.
    imds_token: Option<ImdsToken>,
    tried: Vec<String>,
    /// Set once the result or an error has been returned.
    over: bool,
}

impl fmt::Debug for DefaultChain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DefaultChain")
            .field("profile", &self.profile)
            .field("sources", &self.sources)
            .field("region", &self.region)
            .field("region_source", &self.region_source)
            .field("next_stage", &self.next_stage)
            .field("active", &self.active)
            .field("region_flow", &self.region_flow)
            .finish()
    }
}

fn missing_file(path: &Path, e: &std::io::Error) -> ProviderError {
    ProviderError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

impl DefaultChain {
    /// Reads the shared files through `env` and prepares the chain.
    /// `profile` is an explicit choice (it disables the environment source).
    ///
    /// The chain keeps `env`; pass an `Arc<E>` to share one environment
    /// between several chains. [`DefaultChain::builder`] has more settings.
    ///
    /// # Errors
    ///
    /// A shared file that cannot be read or parsed, a selected profile that
    /// exists in neither file, or an invalid configured STS endpoint.
    pub fn new<E: Environment + 'static>(
        env: E,
        profile: Option<&str>,
    ) -> Result<Self, ProviderError> {
        let mut builder = Self::builder(env);
        if let Some(p) = profile {
            builder = builder.profile(p);
        }
        builder.build()
    }

    /// As [`DefaultChain::new`] with profiles already parsed.
    ///
    /// # Errors
    ///
    /// A selected profile that exists in neither file, or an invalid
    /// configured STS endpoint.
    pub fn with_profiles<E: Environment + 'static>(
        env: E,
        profiles: ProfileSet,
        profile: Option<&str>,
    ) -> Result<Self, ProviderError> {
        let mut builder = Self::builder(env).profiles(profiles);
        if let Some(p) = profile {
            builder = builder.profile(p);
        }
        builder.build()
    }

    /// A chain with settings: the profile, the files' rules, the sources,
    /// the region lookup, the instance metadata endpoint.
    ///
    /// ```
    /// use std::collections::BTreeMap;
    /// use awsig::provider::chain::{DefaultChain, Sources};
    /// use awsig::provider::VarsEnvironment;
    ///
    /// let env = VarsEnvironment::new(BTreeMap::from([
    ///     ("AWS_CONFIG_FILE".to_owned(), "/nonexistent/config".to_owned()),
    ///     ("AWS_SHARED_CREDENTIALS_FILE".to_owned(), "/nonexistent/credentials".to_owned()),
    /// ]));
    /// let chain = DefaultChain::builder(env)
    ///     .sources(Sources::ProfileOnly)
    ///     .region_from_imds(false)
    ///     .build()?;
    /// assert_eq!(chain.profile(), "default");
    /// # Ok::<(), awsig::provider::ProviderError>(())
    /// ```
    pub fn builder<E: Environment + 'static>(env: E) -> ChainBuilder {
        ChainBuilder {
            env: Arc::new(env),
            profile: None,
            rules: ProfileRules::default(),
            profiles: None,
            sources: Sources::All,
            region_from_imds: true,
            imds: ImdsOverrides::default(),
        }
    }

    /// The profile in use.
    pub fn profile(&self) -> &str {
        &self.profile
    }

    /// The region: configured, or found by the instance metadata service
    /// once the chain has asked it.
    pub fn region(&self) -> Option<&str> {
        self.region.as_deref()
    }

    /// Where the region came from.
    pub fn region_source(&self) -> Option<&RegionSource> {
        self.region_source.as_ref()
    }

    /// The parsed shared files.
    pub fn profiles(&self) -> &ProfileSet {
        &self.profiles
    }

    /// The source being tried, while a request is pending.
    pub fn pending_source(&self) -> Option<&Source> {
        self.active.as_ref().map(|a| &a.source)
    }

    /// The service the pending request goes to: `imds`, `container`,
    /// `sts`, `sso` (the portal or its OIDC service) or `signin`. A role
    /// whose source is the instance metadata service asks `imds` first,
    /// then `sts`; the region lookup asks `imds`. Drivers choose timeouts
    /// by it.
    pub fn pending_service(&self) -> Option<&'static str> {
        if self.region_flow.is_some() {
            return Some("imds");
        }
        match &self.active.as_ref()?.work {
            Work::Flow(flow) => Some(flow.service()),
            Work::Ready(_) => None,
        }
    }

    /// The next request to send, or the result. After the result or an
    /// error the chain is over: further calls return
    /// [`ProviderError::UnexpectedCall`]; build a new chain to resolve again.
    ///
    /// # Errors
    ///
    /// - [`ProviderError::NoCredentials`] when no source had credentials (it lists the sources tried);
    /// - [`ProviderError::PartialCredentials`], [`ProviderError::InvalidConfig`], [`ProviderError::InfiniteLoop`], [`ProviderError::InvalidEnvVar`], [`ProviderError::Process`] or [`ProviderError::Io`] when a source is configured wrongly or fails locally;
    /// - [`ProviderError::TokenExpired`] when an SSO or `aws login` token has expired and cannot be refreshed;
    /// - [`ProviderError::UnexpectedCall`] when the chain is over or waits for a response.
    pub fn poll(&mut self, now: SystemTime) -> Result<ChainStep, ProviderError> {
        if self.over {
            return Err(ProviderError::UnexpectedCall("the chain is over"));
        }
        let result = self.poll_inner(now);
        self.over = !matches!(result, Ok(ChainStep::Send(_)));
        result
    }

    fn poll_inner(&mut self, now: SystemTime) -> Result<ChainStep, ProviderError> {
        loop {
            if self.found.is_some() {
                if let Some(flow) = &mut self.region_flow
                    && let Ok(r) = flow.poll_request(now)
                {
                    return Ok(ChainStep::Send(r));
                }
                return self.finish_region();
            }
            if let Some(active) = &mut self.active {
                match &mut active.work {
                    Work::Flow(flow) => match flow.poll(now)? {
                        FlowStep::Send(r) => return Ok(ChainStep::Send(r)),
                        FlowStep::Done(c) => {
                            active.work = Work::Ready(c);
                            continue;
                        }
                    },
                    Work::Ready(creds) => {
                        let creds = creds.clone();
                        if let Some(role) = active.roles.pop() {
                            let config = AssumeRoleConfig {
                                role_arn: role.role_arn,
                                session_name: role
                                    .session_name
                                    .unwrap_or_else(|| default_session_name(now)),
                                external_id: role.external_id,
                                duration: role.duration,
                            };
                            active.work = Work::Flow(Flow::AssumeRole(AssumeRoleFlow::new(
                                self.sts.clone(),
                                creds,
                                config,
                            )));
                            continue;
                        }
                        let source = active.source.clone();
                        self.active = None;
                        return self.found(creds, source, now);
                    }
                }
            }
            let Some(&stage) = self.stages.get(self.next_stage) else {
                return Err(ProviderError::NoCredentials {
                    tried: self.tried.clone(),
                });
            };
            self.next_stage += 1;
            self.active = self.start(stage, now)?;
            if self.active.is_none() {
                self.tried.push(stage.name().to_owned());
            }
        }
    }

    /// The credentials are found: look the region up if needed, else finish.
    fn found(
        &mut self,
        credentials: Credentials,
        source: Source,
        now: SystemTime,
    ) -> Result<ChainStep, ProviderError> {
        if self.region.is_none()
            && self.region_from_imds
            && self.sources == Sources::All
            && let Ok(Some(config)) =
                ImdsConfig::resolve(&*self.env, self.profiles.get(&self.profile), &self.imds)
        {
            let mut flow = ImdsRegionFlow::new(config, self.imds_token.take(), now);
            if let Ok(request) = flow.poll_request(now) {
                self.region_flow = Some(flow);
                self.found = Some((credentials, source));
                return Ok(ChainStep::Send(request));
            }
        }
        Ok(ChainStep::Done(Resolved {
            credentials,
            source,
            region: self.region.clone(),
            region_source: self.region_source.clone(),
        }))
    }

    fn finish_region(&mut self) -> Result<ChainStep, ProviderError> {
        self.region_flow = None;
        let (credentials, source) = self
            .found
            .take()
            .ok_or(ProviderError::UnexpectedCall("no credentials were found"))?;
        Ok(ChainStep::Done(Resolved {
            credentials,
            source,
            region: self.region.clone(),
            region_source: self.region_source.clone(),
        }))
    }

    /// Hands over the response to the last request.
    ///
    /// # Errors
    ///
    /// The error the response means for the source being tried (except
    /// for the instance metadata source and the region lookup, whose
    /// failures only mean "not found"), or
    /// [`ProviderError::UnexpectedCall`] when no request is pending.
    pub fn handle_response<B: AsRef<[u8]>>(
        &mut self,
        response: &http::Response<B>,
        now: SystemTime,
    ) -> Result<(), ProviderError> {
        if let Some(flow) = &mut self.region_flow {
            match flow.handle_response(response, now) {
                Ok(Progress::Continue) => {}
                Ok(Progress::Done(region)) => {
                    self.region = Some(region);
                    self.region_source = Some(RegionSource::InstanceMetadata);
                    self.region_flow = None;
                }
                // No region from the service: the chain finishes without one.
                Err(_) => self.region_flow = None,
            }
            return Ok(());
        }
        let active = self
            .active
            .as_mut()
            .ok_or(ProviderError::UnexpectedCall("no request is pending"))?;
        let Work::Flow(flow) = &mut active.work else {
            return Err(ProviderError::UnexpectedCall("no request is pending"));
        };
        match flow.handle(response, now) {
            Ok(Progress::Continue) => Ok(()),
            Ok(Progress::Done(c)) => {
                if let (Some(update), Some(path)) = (flow.take_cache_update(), &active.cache_path) {
                    // A cache that cannot be written is left as it was.
                    let _ = self.env.write_file(path, &update);
                }
                if let Flow::Imds(imds) = flow {
                    self.imds_token = imds.token().cloned();
                }
                active.work = Work::Ready(c);
                Ok(())
            }
            Err(e) if active.optional => {
                self.tried.push(format!("{} ({e})", active.source.name()));
                self.active = None;
                Ok(())
            }
            Err(e) => {
                self.active = None;
                self.over = true;
                Err(e)
            }
        }
    }
}

impl DefaultChain {
    /// Reports that the last request could not be sent (connection
    /// refused, timeout). Ends the chain with an error, except for the
    /// instance metadata source and the region lookup, which then simply
    /// find nothing.
    ///
    /// # Errors
    ///
    /// [`ProviderError::Transport`] naming the service, or
    /// [`ProviderError::UnexpectedCall`] when no request is pending.
    pub fn handle_send_error(&mut self, message: &str) -> Result<(), ProviderError> {
        if self.region_flow.take().is_some() {
            return Ok(());
        }
        let active = self
            .active
            .take()
            .ok_or(ProviderError::UnexpectedCall("no request is pending"))?;
        if active.optional {
            self.tried.push(format!(
                "{} (unreachable: {})",
                active.source.name(),
                super::short(message)
            ));
            return Ok(());
        }
        let service = match &active.work {
            Work::Flow(f) => f.service(),
            Work::Ready(_) => "sts",
        };
        self.over = true;
        Err(ProviderError::Transport {
            service,
            message: super::short(message),
        })
    }

    fn profile_data(&self) -> Option<&Profile> {
        self.profiles.get(&self.profile)
    }

    fn start(&mut self, stage: Stage, now: SystemTime) -> Result<Option<Active>, ProviderError> {
        let name = self.profile.clone();
        let ready = |source: Source, c: Credentials| Active::new(source, Work::Ready(c));
        match stage {
            Stage::Environment => {
                if self.explicit_profile {
                    return Ok(None);
                }
                Ok(env::credentials_from_env(&*self.env)?.map(|c| ready(Source::Environment, c)))
            }
            Stage::AssumeRole => {
                let Some(plan) = ProfileChain::for_role(&self.profiles, &name)? else {
                    return Ok(None);
                };
                let mut active = self.base_work(&plan.base, now)?;
                active.source = Source::AssumeRole { profile: name };
                active.roles = plan.roles;
                // Popped from the end: the first role to assume goes last.
                active.roles.reverse();
                Ok(Some(active))
            }
            Stage::WebIdentity => Ok(self
                .web_identity(
                    &name,
                    self.sources == Sources::All && !self.explicit_profile,
                    now,
                )?
                .map(|flow| Active::new(Source::WebIdentity, Work::Flow(flow)))),
            Stage::Sso => {
                let Some(config) = SsoConfig::from_profile(&self.profiles, &name)? else {
                    return Ok(None);
                };
                self.sso_work(&name, config, now).map(Some)
            }
            Stage::CredentialsFile => {
                Ok(
                    static_keys(self.profiles.credentials_file(&name), &name, false)?.map(|c| {
                        ready(
                            Source::CredentialsFile {
                                profile: name.clone(),
                            },
                            c,
                        )
                    }),
                )
            }
            Stage::Login => match self
                .profile_data()
                .and_then(|p| p.get("login_session"))
                .map(str::trim)
                .filter(|s| !s.is_empty())
            {
                Some(session) => {
                    let session = session.to_owned();
                    self.login_work(&name, &session).map(Some)
                }
                None => Ok(None),
            },
            Stage::Process => Ok(self.process(&name)?.map(|c| {
                ready(
                    Source::Process {
                        profile: name.clone(),
                    },
                    c,
                )
            })),
            Stage::ConfigFile => Ok(static_keys(self.profiles.config_file(&name), &name, false)?
                .map(|c| {
                    ready(
                        Source::ConfigFile {
                            profile: name.clone(),
                        },
                        c,
                    )
                })),
            Stage::Container => Ok(ContainerConfig::from_env(&*self.env)?.map(|cfg| {
                Active::new(
                    Source::Container,
                    Work::Flow(Flow::Container(ContainerFlow::new(cfg))),
                )
            })),
            Stage::InstanceMetadata => {
                Ok(
                    ImdsConfig::resolve(&*self.env, self.profile_data(), &self.imds)?.map(|cfg| {
                        let mut active = Active::new(
                            Source::InstanceMetadata,
                            Work::Flow(Flow::Imds(ImdsFlow::new(cfg))),
                        );
                        active.optional = true;
                        active
                    }),
                )
            }
        }
    }

    /// The work that gets a plan's base credentials.
    fn base_work(&self, base: &BaseSource, now: SystemTime) -> Result<Active, ProviderError> {
        match base {
            BaseSource::AccessKey {
                profile,
                file,
                credentials,
            } => {
                let source = match file {
                    KeysFile::Credentials => Source::CredentialsFile {
                        profile: profile.clone(),
                    },
                    KeysFile::Config => Source::ConfigFile {
                        profile: profile.clone(),
                    },
                };
                Ok(Active::new(source, Work::Ready(credentials.clone())))
            }
            BaseSource::NamedSource { profile, source } => self.named_source(profile, *source),
            BaseSource::WebIdentity { profile, .. } => {
                let flow = self.web_identity(profile, false, now)?.ok_or_else(|| {
                    ProviderError::ProfileHasNoCredentials {
                        profile: profile.clone(),
                    }
                })?;
                Ok(Active::new(Source::WebIdentity, Work::Flow(flow)))
            }
            BaseSource::Sso { profile, config } => self.sso_work(profile, config.clone(), now),
            BaseSource::Login { profile, session } => self.login_work(profile, session),
            BaseSource::Process { profile, .. } => {
                let c = self.process(profile)?.ok_or_else(|| {
                    ProviderError::ProfileHasNoCredentials {
                        profile: profile.clone(),
                    }
                })?;
                Ok(Active::new(
                    Source::Process {
                        profile: profile.clone(),
                    },
                    Work::Ready(c),
                ))
            }
        }
    }

    fn named_source(&self, profile: &str, source: NamedSource) -> Result<Active, ProviderError> {
        let empty = || ProviderError::EmptyCredentialSource {
            profile: profile.to_owned(),
            source_name: source.name().to_owned(),
        };
        match source {
            NamedSource::Environment => {
                let c = env::credentials_from_env(&*self.env)?.ok_or_else(empty)?;
                Ok(Active::new(Source::Environment, Work::Ready(c)))
            }
            NamedSource::EcsContainer => {
                let cfg = ContainerConfig::from_env(&*self.env)?.ok_or_else(empty)?;
                Ok(Active::new(
                    Source::Container,
                    Work::Flow(Flow::Container(ContainerFlow::new(cfg))),
                ))
            }
            NamedSource::Ec2InstanceMetadata => {
                let cfg = ImdsConfig::resolve(&*self.env, self.profiles.get(profile), &self.imds)?
                    .ok_or_else(empty)?;
                Ok(Active::new(
                    Source::InstanceMetadata,
                    Work::Flow(Flow::Imds(ImdsFlow::new(cfg))),
                ))
            }
        }
    }

    fn sso_work(
        &self,
        profile: &str,
        config: SsoConfig,
        now: SystemTime,
    ) -> Result<Active, ProviderError> {
        if config.is_token_only() {
            return Err(token_only_error(profile));
        }
        let (path, cached) = read_cached_token(&*self.env, &config)?;
        let portal = self.endpoints.url(Service::Sso, &config.region);
        let oidc = self.endpoints.url(Service::SsoOidc, &config.region);
        let flow = SsoFlow::new(config, &portal, &oidc, cached, now)?;
        let mut active = Active::new(
            Source::Sso {
                profile: profile.to_owned(),
            },
            Work::Flow(Flow::Sso(flow)),
        );
        active.cache_path = Some(path);
        Ok(active)
    }

    fn login_work(&self, profile: &str, session: &str) -> Result<Active, ProviderError> {
        let dir = match non_empty(self.env.var("AWS_LOGIN_CACHE_DIRECTORY")) {
            Some(d) => expand_home(&*self.env, &d),
            None => self
                .env
                .home_dir()
                .unwrap_or_default()
                .join(".aws")
                .join("login")
                .join("cache"),
        };
        let path = dir.join(super::login::cache_file_name(session));
        let bytes = Zeroizing::new(
            self.env
                .read_file(&path)
                .map_err(|e| missing_file(&path, &e))?,
        );
        let cache = LoginCache::parse(&bytes)?;
        let signin = self
            .region
            .as_deref()
            .map(|r| self.endpoints.url(Service::Signin, r));
        let flow = LoginFlow::new(cache, signin.as_deref()).with_profile(profile);
        let mut active = Active::new(
            Source::Login {
                profile: profile.to_owned(),
            },
            Work::Flow(Flow::Login(flow)),
        );
        active.cache_path = Some(path);
        Ok(active)
    }

    fn process(&self, name: &str) -> Result<Option<Credentials>, ProviderError> {
        let Some(profile) = self.profiles.get(name) else {
            return Ok(None);
        };
        let Some(command) = profile.get("credential_process") else {
            return Ok(None);
        };
        let argv = split_command(command)?;
        let out = Zeroizing::new(self.env.run_process(&argv)?);
        let credentials = parse_process_output(&out)?;
        // The profile's account id stands in when the output has none.
        Ok(Some(match credentials.account_id() {
            Some(_) => credentials,
            None => {
                let account = profile.get("aws_account_id").map(str::to_owned);
                credentials.with_account_id(account.as_deref())
            }
        }))
    }

    /// The web identity flow for a profile, with the environment's
    /// variables first when `use_env`.
    fn web_identity(
        &self,
        name: &str,
        use_env: bool,
        now: SystemTime,
    ) -> Result<Option<Flow>, ProviderError> {
        let profile = self.profiles.get(name);
        let get = |var: &str, key: &str| {
            let from_env = if use_env {
                non_empty(self.env.var(var))
            } else {
                None
            };
            from_env.or_else(|| {
                profile
                    .and_then(|p| p.get(key))
                    .and_then(|v| non_empty(Some(v.to_owned())))
            })
        };
        let Some(token_file) = get("AWS_WEB_IDENTITY_TOKEN_FILE", "web_identity_token_file") else {
            return Ok(None);
        };
        let role_arn = get("AWS_ROLE_ARN", "role_arn").ok_or_else(|| {
            ProviderError::InvalidConfig {
                profile: name.to_owned(),
                message: "web_identity_token_file is set but role_arn is missing (set role_arn or AWS_ROLE_ARN)"
                    .to_owned(),
            }
        })?;
        let session_name = get("AWS_ROLE_SESSION_NAME", "role_session_name")
            .unwrap_or_else(|| default_session_name(now));
        let path = expand_home(&*self.env, &token_file);
        let token = self.read_token(&path)?;
        let duration = profile
            .and_then(|p| p.get("duration_seconds"))
            .and_then(|d| d.trim().parse::<u64>().ok());
        Ok(Some(Flow::WebIdentity(WebIdentityFlow::new(
            self.sts.clone(),
            WebIdentityConfig {
                role_arn,
                session_name,
                token,
                duration: duration.map(std::time::Duration::from_secs),
            },
        ))))
    }

    fn read_token(&self, path: &Path) -> Result<Zeroizing<String>, ProviderError> {
        let bytes = Zeroizing::new(
            self.env
                .read_file(path)
                .map_err(|e| missing_file(path, &e))?,
        );
        let text = std::str::from_utf8(&bytes).map_err(|_| ProviderError::Io {
            path: path.display().to_string(),
            message: "the token is not UTF-8".to_owned(),
        })?;
        if text.trim().is_empty() {
            return Err(ProviderError::Io {
                path: path.display().to_string(),
                message: "the token file is empty".to_owned(),
            });
        }
        // Sent as the file holds it, final newline included, as botocore and
        // the AWS SDKs send it.
        Ok(Zeroizing::new(text.to_owned()))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::time::UNIX_EPOCH;

    use super::*;
    use crate::provider::env::tests::FakeEnv;

    const NOW: SystemTime = UNIX_EPOCH;

    fn base(vars: &[(&str, &str)]) -> FakeEnv {
        let mut all = vec![
            ("AWS_CONFIG_FILE", "/cfg"),
            ("AWS_SHARED_CREDENTIALS_FILE", "/creds"),
            ("AWS_EC2_METADATA_DISABLED", "true"),
        ];
        all.extend_from_slice(vars);
        FakeEnv::with(&all)
    }

    fn done(chain: &mut DefaultChain) -> Resolved {
        match chain.poll(NOW).unwrap() {
            ChainStep::Done(r) => r,
            ChainStep::Send(r) => panic!("unexpected request {r:?}"),
        }
    }

    fn xml_creds(action: &str, id: &str) -> http::Response<Vec<u8>> {
        let body = format!(
            "<{action}Response><{action}Result><Credentials><AccessKeyId>{id}</AccessKeyId><SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken><Expiration>2030-01-01T00:00:00Z</Expiration></Credentials></{action}Result></{action}Response>"
        );
        http::Response::builder()
            .status(200)
            .body(body.into_bytes())
            .unwrap()
    }

    #[test]
    fn the_chain_moves_between_threads_mid_flow() {
        fn send_sync_static<T: Send + Sync + 'static>() {}
        send_sync_static::<DefaultChain>();
        send_sync_static::<ChainStep>();
        let env = base(&[
            ("AWS_WEB_IDENTITY_TOKEN_FILE", "/token"),
            ("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/irsa"),
        ])
        .file("/token", "tok");
        let mut chain = DefaultChain::new(env, None).unwrap();
        let ChainStep::Send(_) = chain.poll(NOW).unwrap() else {
            panic!("expected a request")
        };
        // The chain, waiting for its answer, goes to another thread.
        let resolved = std::thread::spawn(move || {
            chain
                .handle_response(&xml_creds("AssumeRoleWithWebIdentity", "ASIATHREAD"), NOW)
                .unwrap();
            done(&mut chain)
        })
        .join()
        .unwrap();
        assert_eq!(resolved.credentials.access_key_id(), "ASIATHREAD");
    }

    #[test]
    fn environment_wins_and_reports_region() {
        let env = base(&[
            ("AWS_ACCESS_KEY_ID", "AKIDENV"),
            ("AWS_SECRET_ACCESS_KEY", "s"),
            ("AWS_DEFAULT_REGION", "ap-south-1"),
        ])
        .file(
            "/creds",
            "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = s\n",
        );
        let mut chain = DefaultChain::new(env.clone(), None).unwrap();
        let r = done(&mut chain);
        assert!(matches!(
            chain.poll(NOW),
            Err(ProviderError::UnexpectedCall(_))
        ));
        assert_eq!(r.source, Source::Environment);
        assert_eq!(r.credentials.access_key_id(), "AKIDENV");
        assert_eq!(r.region.as_deref(), Some("ap-south-1"));
    }

    #[test]
    fn explicit_profile_skips_the_environment() {
        let env = base(&[("AWS_ACCESS_KEY_ID", "AKIDENV"), ("AWS_SECRET_ACCESS_KEY", "s")])
            .file("/creds", "[dev]\naws_access_key_id = AKIDDEV\naws_secret_access_key = s\naws_session_token = tok\n")
            .file("/cfg", "[profile dev]\nregion = eu-north-1\n");
        let mut chain = DefaultChain::new(env.clone(), Some("dev")).unwrap();
        let r = done(&mut chain);
        assert_eq!(
            r.source,
            Source::CredentialsFile {
                profile: "dev".into()
            }
        );
        assert_eq!(r.credentials.session_token(), Some("tok"));
        assert_eq!(r.region.as_deref(), Some("eu-north-1"));
    }

    #[test]
    fn missing_profile_is_an_error_but_default_may_be_missing() {
        let env = base(&[("AWS_PROFILE", "nope")]);
        assert_eq!(
            DefaultChain::new(env.clone(), None).unwrap_err(),
            ProviderError::ProfileNotFound {
                profile: "nope".into()
            }
        );
        let env = base(&[]);
        let mut chain = DefaultChain::new(env.clone(), None).unwrap();
        assert!(matches!(
            chain.poll(NOW),
            Err(ProviderError::NoCredentials { .. })
        ));
    }

    #[test]
    fn assume_role_chain_with_source_profile_and_external_id() {
        let env = base(&[("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9")])
            .file("/creds", "[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = s\n")
            .file(
                "/cfg",
                "[profile mid]\nrole_arn = arn:aws:iam::123456789012:role/mid\nsource_profile = base\n[profile top]\nrole_arn = arn:aws:iam::123456789012:role/top\nsource_profile = mid\nexternal_id = xyz\nrole_session_name = me\nregion = us-west-2\n",
            );
        let mut chain = DefaultChain::new(env.clone(), Some("top")).unwrap();
        let ChainStep::Send(first) = chain.poll(NOW).unwrap() else {
            panic!()
        };
        let body = String::from_utf8(first.body().clone()).unwrap();
        assert!(body.contains("role%2Fmid"), "{body}");
        assert!(
            first.headers()["authorization"]
                .to_str()
                .unwrap()
                .contains("Credential=AKIDBASE/")
        );
        chain
            .handle_response(&xml_creds("AssumeRole", "ASIAMID"), NOW)
            .unwrap();
        let ChainStep::Send(second) = chain.poll(NOW).unwrap() else {
            panic!()
        };
        let body = String::from_utf8(second.body().clone()).unwrap();
        assert!(
            body.contains("role%2Ftop")
                && body.contains("ExternalId=xyz")
                && body.contains("RoleSessionName=me"),
            "{body}"
        );
        assert!(
            second.headers()["authorization"]
                .to_str()
                .unwrap()
                .contains("Credential=ASIAMID/19700101/us-west-2/sts/")
        );
        chain
            .handle_response(&xml_creds("AssumeRole", "ASIATOP"), NOW)
            .unwrap();
        let r = done(&mut chain);
        assert_eq!(
            r.source,
            Source::AssumeRole {
                profile: "top".into()
            }
        );
        assert_eq!(r.credentials.access_key_id(), "ASIATOP");
    }

    #[test]
    fn role_configuration_errors() {
        let cases = [
            (
                "[profile a]\nrole_arn = r\n",
                "source_profile or credential_source",
            ),
            (
                "[profile a]\nrole_arn = r\nsource_profile = b\ncredential_source = Environment\n",
                "both",
            ),
            (
                "[profile a]\nrole_arn = r\nsource_profile = ghost\n",
                "does not exist",
            ),
            (
                "[profile a]\nrole_arn = r\nsource_profile = b\n[profile b]\nrole_arn = r\nsource_profile = a\n",
                "infinite loop",
            ),
            (
                "[profile a]\nrole_arn = r\ncredential_source = Bogus\n",
                "not valid",
            ),
            (
                "[profile a]\nrole_arn = r\nsource_profile = b\n[profile b]\nregion = x\n",
                "no credentials",
            ),
        ];
        for (cfg, needle) in cases {
            let env = base(&[]).file("/cfg", cfg);
            let mut chain = DefaultChain::new(env.clone(), Some("a")).unwrap();
            let err = chain.poll(NOW).unwrap_err().to_string();
            assert!(err.contains(needle), "{cfg:?}: {err}");
        }
    }

    #[test]
    fn self_sourcing_profile_uses_its_own_keys() {
        let env = base(&[("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9")]).file(
            "/cfg",
            "[profile a]\nrole_arn = r\nsource_profile = a\naws_access_key_id = AKIDSELF\naws_secret_access_key = s\n",
        );
        let mut chain = DefaultChain::new(env.clone(), Some("a")).unwrap();
        let ChainStep::Send(req) = chain.poll(NOW).unwrap() else {
            panic!()
        };
        assert!(
            req.headers()["authorization"]
                .to_str()
                .unwrap()
                .contains("Credential=AKIDSELF/")
        );
    }

    #[test]
    fn web_identity_from_environment() {
        let env = base(&[
            ("AWS_WEB_IDENTITY_TOKEN_FILE", "/token"),
            ("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/irsa"),
            ("AWS_ROLE_SESSION_NAME", "pod"),
        ])
        .file("/token", "eyJtoken");
        let mut chain = DefaultChain::new(env.clone(), None).unwrap();
        let ChainStep::Send(req) = chain.poll(NOW).unwrap() else {
            panic!()
        };
        assert_eq!(chain.pending_source(), Some(&Source::WebIdentity));
        let body = String::from_utf8(req.body().clone()).unwrap();
        assert!(
            body.contains("WebIdentityToken=eyJtoken&")
                || body.ends_with("WebIdentityToken=eyJtoken"),
            "{body}"
        );
        assert!(body.contains("RoleSessionName=pod"));
        assert!(req.headers().get("authorization").is_none());
        chain
            .handle_response(&xml_creds("AssumeRoleWithWebIdentity", "ASIAWEB"), NOW)
            .unwrap();
        assert_eq!(done(&mut chain).credentials.access_key_id(), "ASIAWEB");

        let env = base(&[("AWS_WEB_IDENTITY_TOKEN_FILE", "/token")]).file("/token", "t");
        let mut chain = DefaultChain::new(env.clone(), None).unwrap();
        assert!(matches!(
            chain.poll(NOW),
            Err(ProviderError::InvalidConfig { .. })
        ));
        let env = base(&[
            ("AWS_WEB_IDENTITY_TOKEN_FILE", "/missing"),
            ("AWS_ROLE_ARN", "r"),
        ]);
        let mut chain = DefaultChain::new(env.clone(), None).unwrap();
        assert!(matches!(chain.poll(NOW), Err(ProviderError::Io { .. })));
    }

    #[test]
    fn web_identity_from_profile_and_env_overrides_per_key() {
        let cfg = "[default]\nweb_identity_token_file = /ptoken\nrole_arn = arn:aws:iam::123456789012:role/fromprofile\nrole_session_name = psession\n";
        let env = base(&[]).file("/cfg", cfg).file("/ptoken", "profiletoken");
        let mut chain = DefaultChain::new(env.clone(), None).unwrap();
        let ChainStep::Send(req) = chain.poll(NOW).unwrap() else {
            panic!()
        };
        let body = String::from_utf8(req.body().clone()).unwrap();
        assert!(
            body.contains("role%2Ffromprofile")
                && body.contains("RoleSessionName=psession")
                && body.contains("WebIdentityToken=profiletoken"),
            "{body}"
        );
        // The environment's AWS_ROLE_ARN replaces the profile's role_arn only.
        let env = base(&[("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/fromenv")])
            .file("/cfg", cfg)
            .file("/ptoken", "profiletoken");
        let mut chain = DefaultChain::new(env.clone(), None).unwrap();
        let ChainStep::Send(req) = chain.poll(NOW).unwrap() else {
            panic!()
        };
        let body = String::from_utf8(req.body().clone()).unwrap();
        assert!(
            body.contains("role%2Ffromenv") && body.contains("RoleSessionName=psession"),
            "{body}"
        );
    }

    #[test]
    fn the_chain_is_over_after_an_error() {
        let env = base(&[("AWS_ACCESS_KEY_ID", "AKID")]);
        let mut chain = DefaultChain::new(env.clone(), None).unwrap();
        assert!(matches!(
            chain.poll(NOW),
            Err(ProviderError::PartialCredentials { .. })
        ));
        assert!(matches!(
            chain.poll(NOW),
            Err(ProviderError::UnexpectedCall(_))
        ));
    }

    #[test]
    fn credentials_file_beats_process_which_beats_config_file() {
        let mut env = base(&[]).file("/cfg", "[default]\ncredential_process = tool --json\naws_access_key_id = AKIDCFG\naws_secret_access_key = s\n");
        env.processes.insert(
            vec!["tool".into(), "--json".into()],
            Ok(br#"{"Version":1,"AccessKeyId":"AKIDPROC","SecretAccessKey":"s"}"#.to_vec()),
        );
        let mut chain = DefaultChain::new(env.clone(), None).unwrap();
        let r = done(&mut chain);
        assert_eq!(
            (r.source.name(), r.credentials.access_key_id()),
            ("process", "AKIDPROC")
        );
        env.files.insert(
            "/creds".into(),
            b"[default]\naws_access_key_id = AKIDCREDS\naws_secret_access_key = s\n".to_vec(),
        );
        let mut chain = DefaultChain::new(env.clone(), None).unwrap();
        assert_eq!(done(&mut chain).source.name(), "credentials-file");
        env.processes.clear();
        env.files.insert(
            "/cfg".into(),
            b"[default]\naws_access_key_id = AKIDCFG\naws_secret_access_key = s\n".to_vec(),
        );
        env.files.remove(Path::new("/creds"));
        let mut chain = DefaultChain::new(env.clone(), None).unwrap();
        assert_eq!(
            done(&mut chain).source,
            Source::ConfigFile {
                profile: "default".into()
            }
        );
    }

    #[test]
    fn process_account_id_falls_back_on_the_profile() {
        let mut env = base(&[]).file(
            "/cfg",
            "[default]\ncredential_process = tool\naws_account_id = 123456789001\n",
        );
        env.processes.insert(
            vec!["tool".into()],
            Ok(br#"{"Version":1,"AccessKeyId":"ASIA","SecretAccessKey":"s","SessionToken":"t","Expiration":"2022-05-02T18:36:00+00:00"}"#.to_vec()),
        );
        let r = done(&mut DefaultChain::new(env.clone(), None).unwrap());
        assert_eq!(r.credentials.account_id(), Some("123456789001"));
        env.processes.insert(
            vec!["tool".into()],
            Ok(br#"{"Version":1,"AccessKeyId":"ASIA","SecretAccessKey":"s","AccountId":"123456789002"}"#.to_vec()),
        );
        let r = done(&mut DefaultChain::new(env, None).unwrap());
        assert_eq!(r.credentials.account_id(), Some("123456789002"));
    }

    #[test]
    fn partial_profile_keys_name_the_missing_key() {
        let env = base(&[]).file("/creds", "[default]\naws_access_key_id = AKID\n");
        let mut chain = DefaultChain::new(env.clone(), None).unwrap();
        let err = chain.poll(NOW).unwrap_err();
        assert!(err.to_string().contains("aws_secret_access_key"), "{err}");
    }

    #[test]
    fn container_then_instance_metadata() {
        let env = base(&[("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/creds-path")]);
        let mut chain = DefaultChain::new(env.clone(), None).unwrap();
        let ChainStep::Send(req) = chain.poll(NOW).unwrap() else {
            panic!()
        };
        assert_eq!(req.uri(), "http://169.254.170.2/creds-path");
        // A container failure is an error.
        assert!(chain.handle_send_error("connection refused").is_err());

        let env = FakeEnv::with(&[
            ("AWS_CONFIG_FILE", "/cfg"),
            ("AWS_SHARED_CREDENTIALS_FILE", "/creds"),
        ]);
        let mut chain = DefaultChain::new(env.clone(), None).unwrap();
        let ChainStep::Send(req) = chain.poll(NOW).unwrap() else {
            panic!()
        };
        assert_eq!(req.uri(), "http://169.254.169.254/latest/api/token");
        assert_eq!(chain.pending_source(), Some(&Source::InstanceMetadata));
        // An unreachable IMDS means no credentials.
        chain.handle_send_error("timed out").unwrap();
        match chain.poll(NOW) {
            Err(ProviderError::NoCredentials { tried }) => assert_eq!(tried.len(), 10, "{tried:?}"),
            other => panic!("{other:?}"),
        }
    }

    fn resp(status: u16, body: &str) -> http::Response<Vec<u8>> {
        http::Response::builder()
            .status(status)
            .body(body.as_bytes().to_vec())
            .unwrap()
    }

    #[test]
    fn the_region_comes_from_instance_metadata_when_nothing_sets_it() {
        let env = FakeEnv::with(&[
            ("AWS_CONFIG_FILE", "/cfg"),
            ("AWS_SHARED_CREDENTIALS_FILE", "/creds"),
            ("AWS_ACCESS_KEY_ID", "AKIDENV"),
            ("AWS_SECRET_ACCESS_KEY", "s"),
        ]);
        let mut chain = DefaultChain::new(env.clone(), None).unwrap();
        assert_eq!(chain.region(), None);
        let ChainStep::Send(r) = chain.poll(NOW).unwrap() else {
            panic!("expected the token request")
        };
        assert_eq!(
            (r.method().as_str(), r.uri().path()),
            ("PUT", "/latest/api/token")
        );
        chain
            .handle_response(&resp(200, "AQAEAtoken=="), NOW)
            .unwrap();
        let ChainStep::Send(r) = chain.poll(NOW).unwrap() else {
            panic!("expected the region request")
        };
        assert_eq!(
            r.uri(),
            "http://169.254.169.254/latest/meta-data/placement/region"
        );
        assert_eq!(r.headers()["x-aws-ec2-metadata-token"], "AQAEAtoken==");
        chain.handle_response(&resp(200, "eu-west-3"), NOW).unwrap();
        let r = done(&mut chain);
        assert_eq!(r.source, Source::Environment);
        assert_eq!(r.region.as_deref(), Some("eu-west-3"));
        assert_eq!(r.region_source, Some(RegionSource::InstanceMetadata));
        assert_eq!(chain.region(), Some("eu-west-3"));

        // Unreachable, or answering with an error: no region, no error.
        let mut chain = DefaultChain::new(env.clone(), None).unwrap();
        chain.poll(NOW).unwrap();
        chain.handle_send_error("timed out").unwrap();
        assert_eq!(done(&mut chain).region, None);
        let mut chain = DefaultChain::new(env.clone(), None).unwrap();
        chain.poll(NOW).unwrap();
        chain.handle_response(&resp(403, ""), NOW).unwrap();
        assert_eq!(done(&mut chain).region, None);

        // Off when asked, and when IMDS is disabled.
        let mut chain = DefaultChain::builder(env.clone())
            .region_from_imds(false)
            .build()
            .unwrap();
        assert_eq!(done(&mut chain).region, None);
        let mut disabled = env;
        disabled
            .vars
            .insert("AWS_EC2_METADATA_DISABLED".into(), "true".into());
        assert_eq!(
            done(&mut DefaultChain::new(disabled, None).unwrap()).region,
            None
        );
    }

    #[test]
    fn credentials_from_instance_metadata_lend_their_token_to_the_region_lookup() {
        let env = FakeEnv::with(&[
            ("AWS_CONFIG_FILE", "/cfg"),
            ("AWS_SHARED_CREDENTIALS_FILE", "/creds"),
        ]);
        let mut chain = DefaultChain::new(env, None).unwrap();
        let doc = r#"{"Code":"Success","AccessKeyId":"ASIAIMDS","SecretAccessKey":"s","Token":"t","Expiration":"2030-01-01T00:00:00Z"}"#;
        let mut paths = Vec::new();
        for answer in ["tok", "role", doc, "ap-southeast-2"] {
            let ChainStep::Send(r) = chain.poll(NOW).unwrap() else {
                panic!("expected a request")
            };
            paths.push(r.uri().path().to_owned());
            chain.handle_response(&resp(200, answer), NOW).unwrap();
        }
        assert_eq!(
            paths,
            [
                "/latest/api/token",
                "/latest/meta-data/iam/security-credentials/",
                "/latest/meta-data/iam/security-credentials/role",
                "/latest/meta-data/placement/region"
            ]
        );
        let r = done(&mut chain);
        assert_eq!(r.source, Source::InstanceMetadata);
        assert_eq!(r.region.as_deref(), Some("ap-southeast-2"));
    }

    /// An IAM Identity Center profile, `dev` (session `corp`, region
    /// `eu-west-1`), whose cached token expires at `expires`, with the
    /// environment's `vars`; and the cache's path.
    pub(crate) fn sso_profile(vars: &[(&str, &str)], expires: SystemTime) -> (FakeEnv, String) {
        let soon = crate::provider::format_time(expires);
        let cache = format!(
            r#"{{"accessToken":"old","expiresAt":"{soon}","refreshToken":"rt","clientId":"cid","clientSecret":"cs","registrationExpiresAt":"2099-01-01T00:00:00Z","region":"eu-west-1","startUrl":"https://corp.awsapps.com/start"}}"#
        );
        let cache_path = format!(
            "/home/.aws/sso/cache/{}",
            crate::provider::sso::SsoConfig {
                session_name: Some("corp".into()),
                start_url: String::new(),
                region: String::new(),
                account_id: None,
                role_name: None,
            }
            .cache_file_name()
        );
        let mut all = vec![
            ("AWS_CONFIG_FILE", "/cfg"),
            ("AWS_SHARED_CREDENTIALS_FILE", "/creds"),
            ("HOME", "/home"),
        ];
        all.extend_from_slice(vars);
        let env = FakeEnv::with(&all)
            .file(
                "/cfg",
                "[profile dev]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = ReadOnly\nregion = eu-west-1\n[sso-session corp]\nsso_region = eu-west-1\nsso_start_url = https://corp.awsapps.com/start\n",
            )
            .file(&cache_path, &cache);
        (env, cache_path)
    }

    #[test]
    fn an_sso_profile_refreshes_its_token_writes_the_cache_and_gets_role_credentials() {
        let (env, cache_path) = sso_profile(
            &[
                ("AWS_EC2_METADATA_DISABLED", "true"),
                ("AWS_PROFILE", "dev"),
            ],
            NOW + std::time::Duration::from_secs(60),
        );
        let written = env.written.clone();
        let mut chain = DefaultChain::new(env, None).unwrap();
        let ChainStep::Send(r) = chain.poll(NOW).unwrap() else {
            panic!("expected the refresh")
        };
        assert_eq!(r.uri(), "https://oidc.eu-west-1.amazonaws.com/token");
        assert_eq!(chain.pending_source().map(Source::name), Some("sso"));
        chain
            .handle_response(
                &resp(
                    200,
                    r#"{"accessToken":"new","expiresIn":3600,"tokenType":"Bearer"}"#,
                ),
                NOW,
            )
            .unwrap();
        let ChainStep::Send(r) = chain.poll(NOW).unwrap() else {
            panic!("expected GetRoleCredentials")
        };
        assert_eq!(r.headers()["x-amz-sso_bearer_token"], "new");
        chain
            .handle_response(
                &resp(
                    200,
                    r#"{"roleCredentials":{"accessKeyId":"ASIASSO","secretAccessKey":"s","sessionToken":"t","expiration":1893456000000}}"#,
                ),
                NOW,
            )
            .unwrap();
        let r = done(&mut chain);
        assert_eq!(
            r.source,
            Source::Sso {
                profile: "dev".into()
            }
        );
        assert_eq!(r.credentials.account_id(), Some("111122223333"));
        let written = written.lock().unwrap();
        let doc: serde_json::Value =
            serde_json::from_slice(written.get(Path::new(&cache_path)).unwrap()).unwrap();
        assert_eq!(doc["accessToken"], "new");
        assert_eq!(doc["refreshToken"], "rt");
    }

    #[test]
    fn configured_regions_name_their_source() {
        let env = base(&[
            ("AWS_DEFAULT_REGION", "eu-west-1"),
            ("AWS_ACCESS_KEY_ID", "A"),
            ("AWS_SECRET_ACCESS_KEY", "s"),
        ]);
        let r = done(&mut DefaultChain::new(env, None).unwrap());
        assert_eq!(
            r.region_source,
            Some(RegionSource::Environment {
                variable: "AWS_DEFAULT_REGION"
            })
        );
        let env = base(&[]).file(
            "/cfg",
            "[profile p]\nregion = sa-east-1\naws_access_key_id = A\naws_secret_access_key = s\n",
        );
        let r = done(&mut DefaultChain::new(env, Some("p")).unwrap());
        assert_eq!(
            r.region_source,
            Some(RegionSource::Profile {
                profile: "p".into()
            })
        );
    }

    #[test]
    fn credential_source_environment() {
        let env = base(&[("AWS_ACCESS_KEY_ID", "AKIDENV"), ("AWS_SECRET_ACCESS_KEY", "s")])
            .file("/cfg", "[profile r]\nrole_arn = arn:aws:iam::123456789012:role/r\ncredential_source = Environment\n");
        let mut chain = DefaultChain::new(env.clone(), Some("r")).unwrap();
        let ChainStep::Send(req) = chain.poll(NOW).unwrap() else {
            panic!()
        };
        assert!(
            req.headers()["authorization"]
                .to_str()
                .unwrap()
                .contains("Credential=AKIDENV/")
        );
    }
}
