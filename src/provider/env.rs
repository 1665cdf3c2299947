//! Credentials and region from environment variables.
//!
//! | variable | meaning |
//! |---|---|
//! | `AWS_ACCESS_KEY_ID` (alias `AWS_ACCESS_KEY`) | access key id |
//! | `AWS_SECRET_ACCESS_KEY` (alias `AWS_SECRET_KEY`) | secret access key |
//! | `AWS_SESSION_TOKEN` (legacy `AWS_SECURITY_TOKEN`) | session token |
//! | `AWS_CREDENTIAL_EXPIRATION` | RFC 3339 expiry of the above |
//! | `AWS_ACCOUNT_ID` | the account of the above |
//! | `AWS_REGION`, then `AWS_DEFAULT_REGION` | region |
//!
//! Rules, as the AWS CLI applies them:
//!
//! - An empty or blank variable counts as unset; values are trimmed.
//! - An access key id without a secret is an error that names the missing
//!   variable. The reverse, a secret without an access key id, is an error
//!   too here, naming `AWS_ACCESS_KEY_ID`; the AWS CLI silently ignores a
//!   lone secret and goes on down the chain, which hides the mistake.
//! - When both `AWS_SECURITY_TOKEN` and `AWS_SESSION_TOKEN` are set, the
//!   first wins (the CLI's order).
//! - The aliases `AWS_ACCESS_KEY` and `AWS_SECRET_KEY` (accepted by the
//!   Java SDK, not by the CLI) are read only when the canonical variable
//!   is unset.
//! - `AWS_REGION` wins over `AWS_DEFAULT_REGION`, as in the AWS CLI v2 and
//!   the SDKs.

use super::{Environment, ProviderError, non_empty};
use crate::Credentials;

/// The access key id variable.
pub const AWS_ACCESS_KEY_ID: &str = "AWS_ACCESS_KEY_ID";
/// The access key id's alias.
pub const AWS_ACCESS_KEY: &str = "AWS_ACCESS_KEY";
/// The secret access key variable.
pub const AWS_SECRET_ACCESS_KEY: &str = "AWS_SECRET_ACCESS_KEY";
/// The secret access key's alias.
pub const AWS_SECRET_KEY: &str = "AWS_SECRET_KEY";
/// The session token variable.
pub const AWS_SESSION_TOKEN: &str = "AWS_SESSION_TOKEN";
/// The legacy session token variable.
pub const AWS_SECURITY_TOKEN: &str = "AWS_SECURITY_TOKEN";
/// The expiry of the credentials in the environment.
pub const AWS_CREDENTIAL_EXPIRATION: &str = "AWS_CREDENTIAL_EXPIRATION";
/// The account the environment's credentials belong to.
pub const AWS_ACCOUNT_ID: &str = "AWS_ACCOUNT_ID";
/// The region variable.
pub const AWS_REGION: &str = "AWS_REGION";
/// The older region variable.
pub const AWS_DEFAULT_REGION: &str = "AWS_DEFAULT_REGION";

fn first(env: &dyn Environment, names: &[&str]) -> Option<String> {
    names.iter().find_map(|n| non_empty(env.var(n)))
}

/// Credentials from the environment: `Ok(None)` when no key variable is set.
///
/// # Errors
///
/// - [`ProviderError::PartialCredentials`] when only one of `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY` is set;
/// - [`ProviderError::Credentials`] when a value cannot be used as a key or token;
/// - [`ProviderError::InvalidEnvVar`] when `AWS_CREDENTIAL_EXPIRATION` is not an RFC 3339 time.
pub fn credentials_from_env(env: &dyn Environment) -> Result<Option<Credentials>, ProviderError> {
    let key = first(env, &[AWS_ACCESS_KEY_ID, AWS_ACCESS_KEY]);
    let secret = first(env, &[AWS_SECRET_ACCESS_KEY, AWS_SECRET_KEY]);
    let partial = |present: &str, missing: &str| ProviderError::PartialCredentials {
        source_name: "environment variables".to_owned(),
        present: present.to_owned(),
        missing: missing.to_owned(),
    };
    let (key, secret) = match (key, secret) {
        (None, None) => return Ok(None),
        (Some(_), None) => return Err(partial(AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)),
        (None, Some(_)) => return Err(partial(AWS_SECRET_ACCESS_KEY, AWS_ACCESS_KEY_ID)),
        (Some(k), Some(s)) => (k, zeroize::Zeroizing::new(s)),
    };
    let token = first(env, &[AWS_SECURITY_TOKEN, AWS_SESSION_TOKEN]).map(zeroize::Zeroizing::new);
    let expiry = match non_empty(env.var(AWS_CREDENTIAL_EXPIRATION)) {
        None => None,
        Some(text) => {
            Some(
                super::parse_time(&text).ok_or_else(|| ProviderError::InvalidEnvVar {
                    name: AWS_CREDENTIAL_EXPIRATION.to_owned(),
                    message: "expected an RFC 3339 time such as 2015-08-30T12:36:00Z".to_owned(),
                })?,
            )
        }
    };
    let account = non_empty(env.var(AWS_ACCOUNT_ID));
    Ok(Some(
        Credentials::build(&key, &secret, token.as_deref().map(String::as_str), expiry)?
            .with_account_id(account.as_deref()),
    ))
}

/// The region from the environment: `AWS_REGION`, then `AWS_DEFAULT_REGION`.
pub fn region_from_env(env: &dyn Environment) -> Option<String> {
    first(env, &[AWS_REGION, AWS_DEFAULT_REGION])
}

#[cfg(test)]
pub(crate) mod tests {
    use std::collections::BTreeMap;
    use std::path::{Path, PathBuf};
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    /// Variables and files from maps; processes answer from a map too.
    #[derive(Clone, Default)]
    pub(crate) struct FakeEnv {
        pub(crate) vars: BTreeMap<String, String>,
        pub(crate) files: BTreeMap<PathBuf, Vec<u8>>,
        pub(crate) processes: BTreeMap<Vec<String>, Result<Vec<u8>, String>>,
        pub(crate) written: std::sync::Arc<std::sync::Mutex<BTreeMap<PathBuf, Vec<u8>>>>,
    }

    impl FakeEnv {
        pub(crate) fn with(vars: &[(&str, &str)]) -> Self {
            Self {
                vars: vars
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect(),
                ..Self::default()
            }
        }
        pub(crate) fn file(mut self, path: &str, text: &str) -> Self {
            self.files
                .insert(PathBuf::from(path), text.as_bytes().to_vec());
            self
        }
    }

    impl Environment for FakeEnv {
        fn var(&self, name: &str) -> Option<String> {
            self.vars.get(name).cloned()
        }
        fn read_file(&self, path: &Path) -> std::io::Result<Vec<u8>> {
            self.files
                .get(path)
                .cloned()
                .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "not found"))
        }
        fn write_file(&self, path: &Path, contents: &[u8]) -> std::io::Result<()> {
            self.written
                .lock()
                .map_err(|_| std::io::Error::other("poisoned"))?
                .insert(path.to_owned(), contents.to_vec());
            Ok(())
        }
        fn run_process(&self, argv: &[String]) -> Result<Vec<u8>, ProviderError> {
            match self.processes.get(argv) {
                Some(Ok(out)) => Ok(out.clone()),
                Some(Err(e)) => Err(ProviderError::Process { message: e.clone() }),
                None => Err(ProviderError::Process {
                    message: "no such program".to_owned(),
                }),
            }
        }
    }

    #[test]
    fn reads_key_secret_token() {
        // The example key pair and variables of the AWS CLI's environment
        // variable documentation.
        let env = FakeEnv::with(&[
            ("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE"),
            (
                "AWS_SECRET_ACCESS_KEY",
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            ),
            ("AWS_SESSION_TOKEN", "AQoDYXdzEJr"),
        ]);
        let c = credentials_from_env(&env).unwrap().unwrap();
        assert_eq!(c.access_key_id(), "AKIAIOSFODNN7EXAMPLE");
        assert_eq!(
            c.secret_access_key(),
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
        );
        assert_eq!(c.session_token(), Some("AQoDYXdzEJr"));
        assert_eq!(c.expiry(), None);
    }

    #[test]
    fn nothing_set_is_none() {
        assert_eq!(credentials_from_env(&FakeEnv::default()).unwrap(), None);
        let empty = FakeEnv::with(&[("AWS_ACCESS_KEY_ID", ""), ("AWS_SECRET_ACCESS_KEY", "")]);
        assert_eq!(credentials_from_env(&empty).unwrap(), None);
    }

    #[test]
    fn partial_pairs_name_the_missing_variable() {
        let err =
            credentials_from_env(&FakeEnv::with(&[("AWS_ACCESS_KEY_ID", "AKID")])).unwrap_err();
        assert!(err.to_string().contains("AWS_SECRET_ACCESS_KEY"), "{err}");
        let err =
            credentials_from_env(&FakeEnv::with(&[("AWS_SECRET_ACCESS_KEY", "s")])).unwrap_err();
        assert!(
            matches!(&err, ProviderError::PartialCredentials { missing, .. } if missing == "AWS_ACCESS_KEY_ID")
        );
    }

    #[test]
    fn aliases_are_read_when_canonical_names_are_unset() {
        let env = FakeEnv::with(&[
            ("AWS_ACCESS_KEY", "AKIDALIAS"),
            ("AWS_SECRET_KEY", "secretalias"),
        ]);
        let c = credentials_from_env(&env).unwrap().unwrap();
        assert_eq!(c.access_key_id(), "AKIDALIAS");
        assert_eq!(c.secret_access_key(), "secretalias");
        let env = FakeEnv::with(&[
            ("AWS_ACCESS_KEY_ID", "AKIDMAIN"),
            ("AWS_ACCESS_KEY", "AKIDALIAS"),
            ("AWS_SECRET_ACCESS_KEY", "main"),
            ("AWS_SECRET_KEY", "alias"),
        ]);
        let c = credentials_from_env(&env).unwrap().unwrap();
        assert_eq!(c.access_key_id(), "AKIDMAIN");
        assert_eq!(c.secret_access_key(), "main");
    }

    #[test]
    fn security_token_is_read_and_expiration_parsed() {
        let env = FakeEnv::with(&[
            ("AWS_ACCESS_KEY_ID", "AKID"),
            ("AWS_SECRET_ACCESS_KEY", "s"),
            ("AWS_SECURITY_TOKEN", "legacy"),
            ("AWS_CREDENTIAL_EXPIRATION", "2020-01-01T00:00:00Z"),
        ]);
        let c = credentials_from_env(&env).unwrap().unwrap();
        assert_eq!(c.session_token(), Some("legacy"));
        assert_eq!(
            c.expiry(),
            Some(UNIX_EPOCH + Duration::from_secs(1_577_836_800))
        );
        let bad = FakeEnv::with(&[
            ("AWS_ACCESS_KEY_ID", "AKID"),
            ("AWS_SECRET_ACCESS_KEY", "s"),
            ("AWS_CREDENTIAL_EXPIRATION", "tomorrow"),
        ]);
        assert!(matches!(
            credentials_from_env(&bad),
            Err(ProviderError::InvalidEnvVar { .. })
        ));
    }

    #[test]
    fn region_prefers_aws_region() {
        let both = FakeEnv::with(&[
            ("AWS_REGION", "us-west-2"),
            ("AWS_DEFAULT_REGION", "eu-west-1"),
        ]);
        assert_eq!(region_from_env(&both).as_deref(), Some("us-west-2"));
        let old = FakeEnv::with(&[("AWS_DEFAULT_REGION", "eu-west-1")]);
        assert_eq!(region_from_env(&old).as_deref(), Some("eu-west-1"));
        assert_eq!(region_from_env(&FakeEnv::default()), None);
    }
}
