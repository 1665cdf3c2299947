//! The default credentials chain, sans-IO.
//!
//! Sources are tried in the AWS CLI's order; the first that has
//! credentials wins:
//!
//! 1. **environment**: `AWS_ACCESS_KEY_ID` and friends ([`super::env`]).
//!    Skipped when a profile is chosen explicitly (`--profile`), as in the
//!    AWS CLI; `AWS_PROFILE` does not skip it.
//! 2. **assume-role**: the profile has `role_arn` (and no
//!    `web_identity_token_file`): the source credentials come from
//!    `source_profile` (recursively, cycles are an error) or
//!    `credential_source` (`Environment`, `Ec2InstanceMetadata`,
//!    `EcsContainer`), then `AssumeRole` is called with `external_id`,
//!    `role_session_name` and `duration_seconds`.
//! 3. **web-identity**: `AWS_WEB_IDENTITY_TOKEN_FILE`, `AWS_ROLE_ARN`,
//!    `AWS_ROLE_SESSION_NAME` (or the profile's `web_identity_token_file`,
//!    `role_arn`, `role_session_name`), then `AssumeRoleWithWebIdentity`.
//! 4. **credentials-file**: `aws_access_key_id`, `aws_secret_access_key`,
//!    `aws_session_token` in the credentials file's profile.
//! 5. **process**: the profile's `credential_process`.
//! 6. **config-file**: static keys in the config file's profile.
//! 7. **container**: `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` or
//!    `..._FULL_URI` ([`super::container`]). A failure here is an error.
//! 8. **instance-metadata**: IMDSv2 unless `AWS_EC2_METADATA_DISABLED`
//!    ([`super::imds`]). A failure here means "no credentials".
//!
//! A profile chosen with `AWS_PROFILE` (or explicitly) that exists in
//! neither file is an error; the `default` profile may be missing.
//! The region is `AWS_REGION`, `AWS_DEFAULT_REGION`, then the profile's
//! `region`.
//!
//! Drive it with [`DefaultChain::poll`]: it returns either a request to
//! send (then call [`DefaultChain::handle_response`], or
//! [`DefaultChain::handle_send_error`] when it could not be sent) or the
//! result, with the [`Source`] that won.

use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use zeroize::Zeroizing;

use super::container::{ContainerConfig, ContainerFlow};
use super::imds::{ImdsConfig, ImdsFlow};
use super::process::{parse_process_output, split_command};
use super::profile::{Profile, ProfileSet, expand_home, selected_profile};
use super::sts::{
    AssumeRoleConfig, AssumeRoleFlow, StsEndpoint, WebIdentityConfig, WebIdentityFlow,
    default_session_name,
};
use super::{Environment, Progress, ProviderError, env, non_empty};
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
    /// Static keys in the credentials file.
    CredentialsFile {
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
    /// `credentials-file`, `process`, `config-file`, `container`,
    /// `instance-metadata`.
    pub fn name(&self) -> &'static str {
        match self {
            Source::Environment => "environment",
            Source::AssumeRole { .. } => "assume-role",
            Source::WebIdentity => "web-identity",
            Source::CredentialsFile { .. } => "credentials-file",
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
            | Source::CredentialsFile { profile }
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

/// The chain's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The credentials.
    pub credentials: Credentials,
    /// Where they came from.
    pub source: Source,
    /// The region, if configured.
    pub region: Option<String>,
}

/// What to do next.
///
/// `Debug` shows the request through [`RedactedRequest`](super::RedactedRequest):
/// its body (which may hold a web identity or refresh token) and secret
/// headers never appear.
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
}

impl Flow {
    fn poll(&mut self, now: SystemTime) -> Result<http::Request<Vec<u8>>, ProviderError> {
        match self {
            Flow::Imds(f) => f.poll_request(now),
            Flow::Container(f) => f.poll_request(now),
            Flow::WebIdentity(f) => f.poll_request(now),
            Flow::AssumeRole(f) => f.poll_request(now),
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
        }
    }

    fn service(&self) -> &'static str {
        match self {
            Flow::Imds(_) => "imds",
            Flow::Container(_) => "container",
            Flow::WebIdentity(_) | Flow::AssumeRole(_) => "sts",
        }
    }
}

/// Credentials at hand, or a flow that will give them.
#[derive(Debug)]
enum Work {
    Ready(Credentials),
    Flow(Flow),
}

#[derive(Debug)]
struct Active {
    source: Source,
    work: Work,
    /// Roles still to assume, the next one last.
    roles: Vec<AssumeRoleConfig>,
    /// A failure means "not here" rather than an error (the instance metadata stage).
    optional: bool,
}

const STAGES: [&str; 8] = [
    "environment",
    "assume-role",
    "web-identity",
    "credentials-file",
    "process",
    "config-file",
    "container",
    "instance-metadata",
];

/// The default chain. See the [module documentation](self).
///
/// It owns its [`Environment`] (behind an `Arc`), so it is
/// `Send + Sync + 'static`: a task or thread may hold it while a request is
/// in flight.
pub struct DefaultChain {
    env: Arc<dyn Environment>,
    profiles: ProfileSet,
    profile: String,
    explicit_profile: bool,
    region: Option<String>,
    sts: StsEndpoint,
    next_stage: usize,
    active: Option<Active>,
    tried: Vec<String>,
    /// Set once the result or an error has been returned.
    over: bool,
}

impl fmt::Debug for DefaultChain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DefaultChain")
            .field("profile", &self.profile)
            .field("region", &self.region)
            .field("next_stage", &self.next_stage)
            .field("active", &self.active)
            .finish()
    }
}

impl DefaultChain {
    /// Reads the shared files through `env` and prepares the chain.
    /// `profile` is an explicit choice (it disables the environment source).
    ///
    /// The chain keeps `env`; pass an `Arc<E>` to share one environment
    /// between several chains.
    ///
    /// # Errors
    ///
    /// A shared file that cannot be read or parsed, a selected profile that
    /// exists in neither file, or an invalid STS endpoint variable.
    pub fn new<E: Environment + 'static>(
        env: E,
        profile: Option<&str>,
    ) -> Result<Self, ProviderError> {
        let env: Arc<dyn Environment> = Arc::new(env);
        let profiles = ProfileSet::load(&*env)?;
        Self::build(env, profiles, profile)
    }

    /// As [`DefaultChain::new`] with profiles already parsed.
    ///
    /// # Errors
    ///
    /// A selected profile that exists in neither file, or an invalid STS
    /// endpoint variable.
    pub fn with_profiles<E: Environment + 'static>(
        env: E,
        profiles: ProfileSet,
        profile: Option<&str>,
    ) -> Result<Self, ProviderError> {
        Self::build(Arc::new(env), profiles, profile)
    }

    fn build(
        env: Arc<dyn Environment>,
        profiles: ProfileSet,
        profile: Option<&str>,
    ) -> Result<Self, ProviderError> {
        let name = selected_profile(&*env, profile);
        if name != "default" && profiles.get(&name).is_none() {
            return Err(ProviderError::ProfileNotFound { profile: name });
        }
        let region = env::region_from_env(&*env).or_else(|| {
            profiles
                .get(&name)
                .and_then(|p| p.get("region"))
                .map(str::to_owned)
        });
        let sts = StsEndpoint::from_env(&*env, region.as_deref())?;
        Ok(Self {
            env,
            profiles,
            profile: name,
            explicit_profile: profile.is_some(),
            region,
            sts,
            next_stage: 0,
            active: None,
            tried: Vec::new(),
            over: false,
        })
    }

    /// The profile in use.
    pub fn profile(&self) -> &str {
        &self.profile
    }

    /// The region, if configured.
    pub fn region(&self) -> Option<&str> {
        self.region.as_deref()
    }

    /// The parsed shared files.
    pub fn profiles(&self) -> &ProfileSet {
        &self.profiles
    }

    /// The source being tried, while a request is pending.
    pub fn pending_source(&self) -> Option<&Source> {
        self.active.as_ref().map(|a| &a.source)
    }

    /// The next request to send, or the result. After the result or an
    /// error the chain is over: further calls return
    /// [`ProviderError::UnexpectedCall`]; build a new chain to resolve again.
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
            if let Some(active) = &mut self.active {
                match &mut active.work {
                    Work::Flow(flow) => return flow.poll(now).map(ChainStep::Send),
                    Work::Ready(creds) => {
                        let creds = creds.clone();
                        if let Some(role) = active.roles.pop() {
                            active.work = Work::Flow(Flow::AssumeRole(AssumeRoleFlow::new(
                                self.sts.clone(),
                                creds,
                                role,
                            )));
                            continue;
                        }
                        let source = active.source.clone();
                        self.active = None;
                        return Ok(ChainStep::Done(Resolved {
                            credentials: creds,
                            source,
                            region: self.region.clone(),
                        }));
                    }
                }
            }
            let Some(&stage) = STAGES.get(self.next_stage) else {
                return Err(ProviderError::NoCredentials {
                    tried: self.tried.clone(),
                });
            };
            self.next_stage += 1;
            self.active = self.start(stage, now)?;
            if self.active.is_none() {
                self.tried.push(stage.to_owned());
            }
        }
    }

    /// Hands over the response to the last request.
    pub fn handle_response<B: AsRef<[u8]>>(
        &mut self,
        response: &http::Response<B>,
        now: SystemTime,
    ) -> Result<(), ProviderError> {
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

    /// Reports that the last request could not be sent (connection
    /// refused, timeout). Ends the chain with an error, except for the
    /// instance metadata source, which then simply has no credentials.
    pub fn handle_send_error(&mut self, message: &str) -> Result<(), ProviderError> {
        let active = self
            .active
            .take()
            .ok_or(ProviderError::UnexpectedCall("no request is pending"))?;
        if active.optional {
            self.tried
                .push(format!("{} (unreachable)", active.source.name()));
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

    fn start(&self, stage: &str, now: SystemTime) -> Result<Option<Active>, ProviderError> {
        let ready = |source: Source, c: Credentials| Active {
            source,
            work: Work::Ready(c),
            roles: Vec::new(),
            optional: false,
        };
        let name = self.profile.clone();
        match stage {
            "environment" => {
                if self.explicit_profile {
                    return Ok(None);
                }
                Ok(env::credentials_from_env(&*self.env)?.map(|c| ready(Source::Environment, c)))
            }
            "assume-role" => match self.profile_data() {
                Some(p) if has_role(p) => {
                    let mut visited = vec![name.clone()];
                    let (work, roles) = self.role_plan(&name, &mut visited, now)?;
                    Ok(Some(Active {
                        source: Source::AssumeRole { profile: name },
                        work,
                        roles,
                        optional: false,
                    }))
                }
                _ => Ok(None),
            },
            "web-identity" => {
                Ok(self
                    .web_identity(&name, !self.explicit_profile, now)?
                    .map(|flow| Active {
                        source: Source::WebIdentity,
                        work: Work::Flow(flow),
                        roles: Vec::new(),
                        optional: false,
                    }))
            }
            "credentials-file" => Ok(self
                .static_keys(self.profiles.credentials_file(&name), &name)?
                .map(|c| {
                    ready(
                        Source::CredentialsFile {
                            profile: name.clone(),
                        },
                        c,
                    )
                })),
            "process" => Ok(self.process(&name)?.map(|c| {
                ready(
                    Source::Process {
                        profile: name.clone(),
                    },
                    c,
                )
            })),
            "config-file" => Ok(self
                .static_keys(self.profiles.config_file(&name), &name)?
                .map(|c| {
                    ready(
                        Source::ConfigFile {
                            profile: name.clone(),
                        },
                        c,
                    )
                })),
            "container" => Ok(ContainerConfig::from_env(&*self.env)?.map(|cfg| Active {
                source: Source::Container,
                work: Work::Flow(Flow::Container(ContainerFlow::new(cfg))),
                roles: Vec::new(),
                optional: false,
            })),
            "instance-metadata" => Ok(ImdsConfig::from_env(&*self.env, self.profile_data())?.map(
                |cfg| Active {
                    source: Source::InstanceMetadata,
                    work: Work::Flow(Flow::Imds(ImdsFlow::new(cfg))),
                    roles: Vec::new(),
                    optional: true,
                },
            )),
            _ => Ok(None),
        }
    }

    /// Static keys of one file's profile.
    fn static_keys(
        &self,
        profile: Option<&Profile>,
        name: &str,
    ) -> Result<Option<Credentials>, ProviderError> {
        let Some(p) = profile else { return Ok(None) };
        let Some(key) = p.get("aws_access_key_id") else {
            return Ok(None);
        };
        let secret =
            p.get("aws_secret_access_key")
                .ok_or_else(|| ProviderError::PartialCredentials {
                    source_name: format!("profile {name}"),
                    present: "aws_access_key_id".to_owned(),
                    missing: "aws_secret_access_key".to_owned(),
                })?;
        Ok(Some(Credentials::build(
            key,
            secret,
            profile_token(p),
            None,
        )?))
    }

    fn process(&self, name: &str) -> Result<Option<Credentials>, ProviderError> {
        let Some(command) = self
            .profiles
            .get(name)
            .and_then(|p| p.get("credential_process"))
        else {
            return Ok(None);
        };
        let argv = split_command(command)?;
        let out = Zeroizing::new(self.env.run_process(&argv)?);
        parse_process_output(&out).map(Some)
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
            let from_env = if use_env { self.env.var(var) } else { None };
            from_env.or_else(|| profile.and_then(|p| p.get(key)).map(str::to_owned))
        };
        let Some(token_file) = non_empty(get(
            "AWS_WEB_IDENTITY_TOKEN_FILE",
            "web_identity_token_file",
        )) else {
            return Ok(None);
        };
        let role_arn = non_empty(get("AWS_ROLE_ARN", "role_arn")).ok_or_else(|| {
            ProviderError::InvalidConfig {
                profile: name.to_owned(),
                message:
                    "web identity is configured but no role ARN is: set role_arn or AWS_ROLE_ARN"
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
                duration: duration.map(Duration::from_secs),
            },
        ))))
    }

    fn read_token(&self, path: &Path) -> Result<Zeroizing<String>, ProviderError> {
        let bytes = Zeroizing::new(self.env.read_file(path).map_err(|e| ProviderError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        })?);
        let text = std::str::from_utf8(&bytes).map_err(|_| ProviderError::Io {
            path: path.display().to_string(),
            message: "the token is not UTF-8".to_owned(),
        })?;
        Ok(Zeroizing::new(text.trim().to_owned()))
    }

    /// The source profile's own providers: web identity (profile keys
    /// only), credentials file, process, config file.
    fn source_profile_work(&self, name: &str, now: SystemTime) -> Result<Work, ProviderError> {
        if let Some(flow) = self.web_identity(name, false, now)? {
            return Ok(Work::Flow(flow));
        }
        if let Some(c) = self.static_keys(self.profiles.credentials_file(name), name)? {
            return Ok(Work::Ready(c));
        }
        if let Some(c) = self.process(name)? {
            return Ok(Work::Ready(c));
        }
        if let Some(c) = self.static_keys(self.profiles.config_file(name), name)? {
            return Ok(Work::Ready(c));
        }
        Err(ProviderError::InvalidConfig {
            profile: name.to_owned(),
            message: "the source profile has no credentials".to_owned(),
        })
    }

    /// How to get the source credentials of `name`'s role, and the roles to
    /// assume with them (the next one last).
    fn role_plan(
        &self,
        name: &str,
        visited: &mut Vec<String>,
        now: SystemTime,
    ) -> Result<(Work, Vec<AssumeRoleConfig>), ProviderError> {
        let invalid = |message: String| ProviderError::InvalidConfig {
            profile: name.to_owned(),
            message,
        };
        let profile = self
            .profiles
            .get(name)
            .ok_or_else(|| ProviderError::ProfileNotFound {
                profile: name.to_owned(),
            })?;
        let role = self.role_config(name, profile, now)?;
        let (work, mut roles) = match (
            profile.get("source_profile"),
            profile.get("credential_source"),
        ) {
            (Some(_), Some(_)) => {
                return Err(invalid(
                    "it has both source_profile and credential_source".to_owned(),
                ));
            }
            (None, None) => {
                return Err(ProviderError::PartialCredentials {
                    source_name: format!("profile {name}"),
                    present: "role_arn".to_owned(),
                    missing: "source_profile or credential_source".to_owned(),
                });
            }
            (None, Some(source)) => (self.credential_source(name, source)?, Vec::new()),
            (Some(source), None) => {
                let source_profile = self.profiles.get(source).ok_or_else(|| {
                    invalid(format!("the source_profile {source:?} does not exist"))
                })?;
                if visited.iter().any(|v| v == source)
                    && (source != name || !has_static(source_profile))
                {
                    let mut chain = visited.clone();
                    chain.push(source.to_owned());
                    return Err(ProviderError::InfiniteLoop { chain });
                }
                visited.push(source.to_owned());
                if has_static(source_profile) || !has_role(source_profile) {
                    (self.source_profile_work(source, now)?, Vec::new())
                } else {
                    let (work, roles) = self.role_plan(source, visited, now)?;
                    (work, roles)
                }
            }
        };
        // The roles vector pops from the end: this profile's role comes
        // after the source's, so it goes to the front.
        roles.insert(0, role);
        Ok((work, roles))
    }

    fn role_config(
        &self,
        name: &str,
        profile: &Profile,
        now: SystemTime,
    ) -> Result<AssumeRoleConfig, ProviderError> {
        if profile.get("mfa_serial").is_some() {
            return Err(ProviderError::InvalidConfig {
                profile: name.to_owned(),
                message: "mfa_serial needs a token code typed by a person, which is not supported"
                    .to_owned(),
            });
        }
        Ok(AssumeRoleConfig {
            role_arn: profile.get("role_arn").unwrap_or_default().to_owned(),
            session_name: profile
                .get("role_session_name")
                .map_or_else(|| default_session_name(now), str::to_owned),
            external_id: profile.get("external_id").map(str::to_owned),
            duration: profile
                .get("duration_seconds")
                .and_then(|d| d.trim().parse::<u64>().ok())
                .map(Duration::from_secs),
        })
    }

    fn credential_source(&self, name: &str, source: &str) -> Result<Work, ProviderError> {
        let missing = || ProviderError::InvalidConfig {
            profile: name.to_owned(),
            message: format!("no credentials found in credential_source {source}"),
        };
        match source {
            "Environment" => env::credentials_from_env(&*self.env)?
                .map(Work::Ready)
                .ok_or_else(missing),
            "EcsContainer" => ContainerConfig::from_env(&*self.env)?
                .map(|c| Work::Flow(Flow::Container(ContainerFlow::new(c))))
                .ok_or_else(missing),
            "Ec2InstanceMetadata" => ImdsConfig::from_env(&*self.env, self.profiles.get(name))?
                .map(|c| Work::Flow(Flow::Imds(ImdsFlow::new(c))))
                .ok_or_else(missing),
            other => Err(ProviderError::InvalidConfig {
                profile: name.to_owned(),
                message: format!("the credential_source {other:?} is not valid"),
            }),
        }
    }
}

/// A profile's session token: the first of `aws_security_token` and
/// `aws_session_token` that is present, as botocore reads it; an empty value
/// means no token (botocore and the AWS CLI then sign without one, as for an
/// empty `AWS_SESSION_TOKEN`).
pub(crate) fn profile_token(p: &Profile) -> Option<&str> {
    super::token_text(
        p.get("aws_security_token")
            .or_else(|| p.get("aws_session_token")),
    )
}

fn has_static(p: &Profile) -> bool {
    p.contains("aws_access_key_id") || p.contains("aws_secret_access_key")
}

fn has_role(p: &Profile) -> bool {
    p.contains("role_arn") && !p.contains("web_identity_token_file")
}

#[cfg(test)]
mod tests {
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
        .file("/token", "eyJtoken\n");
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
            Err(ProviderError::NoCredentials { tried }) => assert_eq!(tried.len(), 8, "{tried:?}"),
            other => panic!("{other:?}"),
        }
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
