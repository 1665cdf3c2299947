//! What a profile's credentials are made of: a base source and the roles
//! to assume with it, found from the shared files alone (a pure function,
//! no IO). [`DefaultChain`](super::chain::DefaultChain) carries the plan
//! out; tests and tools can inspect it.
//!
//! Rules, as the AWS CLI and the SDKs apply them
//! ([Assume role credential provider](https://docs.aws.amazon.com/sdkref/latest/guide/feature-assume-role-credentials.html)):
//!
//! - A profile with `role_arn` (and no `web_identity_token_file`) assumes
//!   that role with the credentials of `source_profile` or of
//!   `credential_source` (`Environment`, `Ec2InstanceMetadata`,
//!   `EcsContainer`), never both; its own static keys are ignored.
//! - A source profile with static keys gives them, even if it also has a
//!   `role_arn` (the chain stops there); a source profile with a role and
//!   no keys assumes its own role first, recursively. A profile may name
//!   itself as its source when it has static keys; any other repeat is an
//!   infinite loop.
//! - Otherwise a profile's own source is, first found: web identity
//!   (`web_identity_token_file` with `role_arn`), IAM Identity Center,
//!   static keys of the credentials file, an `aws login` session,
//!   `credential_process`, static keys of the config file.

use std::time::Duration;

use super::ProviderError;
use super::profile::{Profile, ProfileSet};
use super::sso::SsoConfig;
use crate::Credentials;

/// A `credential_source` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NamedSource {
    /// `Environment`: the environment variables.
    Environment,
    /// `Ec2InstanceMetadata`: the instance metadata service.
    Ec2InstanceMetadata,
    /// `EcsContainer`: the container credentials endpoint.
    EcsContainer,
}

impl NamedSource {
    /// The value as written in a profile.
    pub fn name(self) -> &'static str {
        match self {
            NamedSource::Environment => "Environment",
            NamedSource::Ec2InstanceMetadata => "Ec2InstanceMetadata",
            NamedSource::EcsContainer => "EcsContainer",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "Environment" => Some(NamedSource::Environment),
            "Ec2InstanceMetadata" => Some(NamedSource::Ec2InstanceMetadata),
            "EcsContainer" => Some(NamedSource::EcsContainer),
            _ => None,
        }
    }
}

/// Which shared file static keys come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeysFile {
    /// The credentials file.
    Credentials,
    /// The config file.
    Config,
}

/// Where a chain of profiles starts.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BaseSource {
    /// Static keys of a profile.
    AccessKey {
        /// The profile.
        profile: String,
        /// The file holding them.
        file: KeysFile,
        /// The keys (with the profile's `aws_account_id`).
        credentials: Credentials,
    },
    /// A role's `credential_source`.
    NamedSource {
        /// The profile with the role.
        profile: String,
        /// The source.
        source: NamedSource,
    },
    /// `AssumeRoleWithWebIdentity` configured in a profile.
    WebIdentity {
        /// The profile.
        profile: String,
        /// The role.
        role_arn: String,
        /// The token file, as written.
        token_file: String,
        /// The session name, if set.
        session_name: Option<String>,
        /// `duration_seconds`, if set.
        duration: Option<Duration>,
    },
    /// IAM Identity Center.
    Sso {
        /// The profile.
        profile: String,
        /// Its settings.
        config: SsoConfig,
    },
    /// An `aws login` session.
    Login {
        /// The profile.
        profile: String,
        /// The `login_session` value.
        session: String,
    },
    /// `credential_process`.
    Process {
        /// The profile.
        profile: String,
        /// The command line.
        command: String,
    },
}

/// A role to assume.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleStep {
    /// The profile that names the role.
    pub profile: String,
    /// `role_arn`.
    pub role_arn: String,
    /// `role_session_name`, if set.
    pub session_name: Option<String>,
    /// `external_id`, if set.
    pub external_id: Option<String>,
    /// `duration_seconds`, if set.
    pub duration: Option<Duration>,
}

/// A base source and the roles to assume with it, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileChain {
    /// Where the first credentials come from.
    pub base: BaseSource,
    /// The roles to assume, the first with the base's credentials.
    pub roles: Vec<RoleStep>,
}

fn invalid(profile: &str, message: String) -> ProviderError {
    ProviderError::InvalidConfig {
        profile: profile.to_owned(),
        message,
    }
}

/// Whether a profile assumes a role (`role_arn` without web identity).
pub(crate) fn has_role(p: &Profile) -> bool {
    p.contains("role_arn") && !p.contains("web_identity_token_file")
}

/// Whether a profile has either static key.
pub(crate) fn has_static(p: &Profile) -> bool {
    p.contains("aws_access_key_id") || p.contains("aws_secret_access_key")
}

fn value<'a>(p: &'a Profile, key: &str) -> Option<&'a str> {
    p.get(key).map(str::trim).filter(|v| !v.is_empty())
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

/// Static keys of one file's profile. `strict`: a secret without a key id
/// is an error too (a role's source profile); otherwise it is ignored, as
/// botocore does for the profile in use.
pub(crate) fn static_keys(
    p: Option<&Profile>,
    name: &str,
    strict: bool,
) -> Result<Option<Credentials>, ProviderError> {
    let Some(p) = p else { return Ok(None) };
    let partial = |present: &str, missing: &str| ProviderError::PartialCredentials {
        source_name: format!("profile {name}"),
        present: present.to_owned(),
        missing: missing.to_owned(),
    };
    let key = p.get("aws_access_key_id");
    let secret = p.get("aws_secret_access_key");
    let (key, secret) = match (key, secret) {
        (None, None) => return Ok(None),
        (None, Some(_)) if !strict => return Ok(None),
        (None, Some(_)) => {
            return Err(partial("aws_secret_access_key", "aws_access_key_id"));
        }
        (Some(_), None) => return Err(partial("aws_access_key_id", "aws_secret_access_key")),
        (Some(k), Some(s)) => (k, s),
    };
    Ok(Some(
        Credentials::build(key, secret, profile_token(p), None)?
            .with_account_id(p.get("aws_account_id")),
    ))
}

fn duration(p: &Profile) -> Option<Duration> {
    value(p, "duration_seconds")
        .and_then(|d| d.parse::<u64>().ok())
        .map(Duration::from_secs)
}

impl ProfileChain {
    /// The plan for profile `name`.
    ///
    /// # Errors
    ///
    /// [`ProviderError::ProfileNotFound`] for a missing profile;
    /// [`ProviderError::ProfileHasNoCredentials`] for a profile (or a
    /// role's source profile) without any source;
    /// [`ProviderError::PartialCredentials`],
    /// [`ProviderError::InvalidConfig`] and
    /// [`ProviderError::InfiniteLoop`] for contradictory settings.
    pub fn resolve(profiles: &ProfileSet, name: &str) -> Result<Self, ProviderError> {
        let profile = profiles
            .get(name)
            .ok_or_else(|| ProviderError::ProfileNotFound {
                profile: name.to_owned(),
            })?;
        if has_role(profile) {
            let mut visited = vec![name.to_owned()];
            return role_chain(profiles, name, &mut visited);
        }
        let base = profile_base(profiles, name, false)?.ok_or_else(|| {
            ProviderError::ProfileHasNoCredentials {
                profile: name.to_owned(),
            }
        })?;
        Ok(Self {
            base,
            roles: Vec::new(),
        })
    }

    /// The plan for a profile that assumes a role; `Ok(None)` when profile
    /// `name` has no `role_arn` (or is a web identity profile).
    ///
    /// # Errors
    ///
    /// As [`ProfileChain::resolve`].
    pub fn for_role(profiles: &ProfileSet, name: &str) -> Result<Option<Self>, ProviderError> {
        match profiles.get(name) {
            Some(p) if has_role(p) => {
                let mut visited = vec![name.to_owned()];
                role_chain(profiles, name, &mut visited).map(Some)
            }
            _ => Ok(None),
        }
    }
}

/// The role of profile `name` and how to get its source's credentials.
fn role_chain(
    profiles: &ProfileSet,
    name: &str,
    visited: &mut Vec<String>,
) -> Result<ProfileChain, ProviderError> {
    let profile = profiles
        .get(name)
        .ok_or_else(|| ProviderError::ProfileNotFound {
            profile: name.to_owned(),
        })?;
    let role = RoleStep {
        profile: name.to_owned(),
        role_arn: value(profile, "role_arn").unwrap_or_default().to_owned(),
        session_name: value(profile, "role_session_name").map(str::to_owned),
        external_id: value(profile, "external_id").map(str::to_owned),
        duration: duration(profile),
    };
    if profile.contains("mfa_serial") {
        return Err(invalid(
            name,
            "mfa_serial needs a token code typed by a person, which is not supported".to_owned(),
        ));
    }
    let mut chain = match (
        value(profile, "source_profile"),
        value(profile, "credential_source"),
    ) {
        (Some(_), Some(_)) => {
            return Err(invalid(
                name,
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
        (None, Some(source)) => {
            let source = NamedSource::parse(source).ok_or_else(|| {
                invalid(
                    name,
                    format!("the credential_source {source:?} is not valid (Environment, Ec2InstanceMetadata or EcsContainer)"),
                )
            })?;
            ProfileChain {
                base: BaseSource::NamedSource {
                    profile: name.to_owned(),
                    source,
                },
                roles: Vec::new(),
            }
        }
        (Some(source), None) => {
            let source_profile = profiles.get(source).ok_or_else(|| {
                invalid(
                    name,
                    format!("the source_profile {source:?} does not exist"),
                )
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
                let base = profile_base(profiles, source, true)?.ok_or_else(|| {
                    ProviderError::ProfileHasNoCredentials {
                        profile: source.to_owned(),
                    }
                })?;
                ProfileChain {
                    base,
                    roles: Vec::new(),
                }
            } else {
                role_chain(profiles, source, visited)?
            }
        }
    };
    chain.roles.push(role);
    Ok(chain)
}

/// A profile's own source, without roles: web identity, SSO, credentials
/// file keys, login, process, config file keys. `strict` for a role's
/// source profile (see [`static_keys`]).
fn profile_base(
    profiles: &ProfileSet,
    name: &str,
    strict: bool,
) -> Result<Option<BaseSource>, ProviderError> {
    let Some(profile) = profiles.get(name) else {
        return Ok(None);
    };
    if let Some(token_file) = value(profile, "web_identity_token_file") {
        let role_arn = value(profile, "role_arn").ok_or_else(|| {
            invalid(
                name,
                "web_identity_token_file is set but role_arn is missing".to_owned(),
            )
        })?;
        return Ok(Some(BaseSource::WebIdentity {
            profile: name.to_owned(),
            role_arn: role_arn.to_owned(),
            token_file: token_file.to_owned(),
            session_name: value(profile, "role_session_name").map(str::to_owned),
            duration: duration(profile),
        }));
    }
    if let Some(config) = SsoConfig::from_profile(profiles, name)? {
        return Ok(Some(BaseSource::Sso {
            profile: name.to_owned(),
            config,
        }));
    }
    if let Some(credentials) = static_keys(profiles.credentials_file(name), name, strict)? {
        return Ok(Some(BaseSource::AccessKey {
            profile: name.to_owned(),
            file: KeysFile::Credentials,
            credentials,
        }));
    }
    if let Some(session) = value(profile, "login_session") {
        return Ok(Some(BaseSource::Login {
            profile: name.to_owned(),
            session: session.to_owned(),
        }));
    }
    if let Some(command) = value(profile, "credential_process") {
        return Ok(Some(BaseSource::Process {
            profile: name.to_owned(),
            command: command.to_owned(),
        }));
    }
    if let Some(credentials) = static_keys(profiles.config_file(name), name, strict)? {
        return Ok(Some(BaseSource::AccessKey {
            profile: name.to_owned(),
            file: KeysFile::Config,
            credentials,
        }));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(config: &str, name: &str) -> Result<ProfileChain, ProviderError> {
        ProfileChain::resolve(&ProfileSet::parse(Some(config), None).unwrap(), name)
    }

    #[test]
    fn roles_chain_to_the_first_static_keys() {
        let p = plan(
            "[profile a]\nrole_arn = ra\nsource_profile = b\nexternal_id = x\n[profile b]\nrole_arn = rb\nsource_profile = c\n[profile c]\naws_access_key_id = AKID\naws_secret_access_key = s\naws_account_id = 1234\n",
            "a",
        )
        .unwrap();
        let BaseSource::AccessKey {
            profile,
            credentials,
            ..
        } = &p.base
        else {
            panic!("{p:?}")
        };
        assert_eq!(profile, "c");
        assert_eq!(credentials.account_id(), Some("1234"));
        let arns: Vec<_> = p.roles.iter().map(|r| r.role_arn.as_str()).collect();
        assert_eq!(arns, ["rb", "ra"]);
        assert_eq!(p.roles[1].external_id.as_deref(), Some("x"));
    }

    #[test]
    fn errors() {
        assert!(matches!(
            plan("[profile a]\nregion = x\n", "a"),
            Err(ProviderError::ProfileHasNoCredentials { .. })
        ));
        assert!(matches!(
            plan("[profile a]\nrole_arn = r\nsource_profile = b\n[profile b]\naws_secret_access_key = s\n", "a"),
            Err(ProviderError::PartialCredentials { ref missing, .. }) if missing == "aws_access_key_id"
        ));
        assert!(matches!(
            plan(
                "[profile a]\nrole_arn = r\nsource_profile = b\n[profile b]\nrole_arn = r\nsource_profile = a\n",
                "a"
            ),
            Err(ProviderError::InfiniteLoop { .. })
        ));
        assert!(matches!(
            plan("", "a"),
            Err(ProviderError::ProfileNotFound { .. })
        ));
    }
}
