//! `credential_process`: the command is split like a POSIX shell would
//! split it (no shell runs it), its standard output is a JSON document:
//!
//! ```json
//! {"Version": 1, "AccessKeyId": "...", "SecretAccessKey": "...",
//!  "SessionToken": "...", "Expiration": "2020-01-01T00:00:00Z"}
//! ```
//!
//! `Version` must be the number 1; `SessionToken` and `Expiration` are
//! optional. A non-zero exit status is an error carrying the command's
//! standard error.

use super::{ProviderError, json, short};
use crate::Credentials;

/// The largest command line accepted, in bytes.
const MAX_COMMAND: usize = 64 * 1024;

/// Splits a command line into words with POSIX shell quoting rules:
/// whitespace separates words, `'...'` is literal, `"..."` allows `\"`,
/// `\\`, `` \` ``, `\$` and `\<newline>` escapes, and `\x` outside quotes
/// is `x`. Never panics.
///
/// # Errors
///
/// [`ProviderError::Process`] when the command is empty or has an unclosed quote.
pub fn split_command(command: &str) -> Result<Vec<String>, ProviderError> {
    if command.len() > MAX_COMMAND {
        return Err(ProviderError::Process {
            message: format!("the command is longer than {MAX_COMMAND} bytes"),
        });
    }
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = command.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => return Err(unbalanced("'")),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\' | '$' | '`')) => word.push(c),
                            Some('\n') => {}
                            Some(c) => {
                                word.push('\\');
                                word.push(c);
                            }
                            None => return Err(unbalanced("\"")),
                        },
                        Some(c) => word.push(c),
                        None => return Err(unbalanced("\"")),
                    }
                }
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some('\n') => {}
                    Some(c) => word.push(c),
                    None => return Err(unbalanced("\\")),
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

fn unbalanced(what: &str) -> ProviderError {
    ProviderError::Process {
        message: format!("the command has an unterminated {what}"),
    }
}

/// Parses `credential_process` output. Never panics.
///
/// # Errors
///
/// [`ProviderError::Process`] or [`ProviderError::InvalidResponse`] when the output is not the JSON document `credential_process` must print (version 1), or a field is missing or invalid.
pub fn parse_process_output(stdout: &[u8]) -> Result<Credentials, ProviderError> {
    const S: &str = "credential_process";
    let map = json::object(stdout, S)?;
    match map.get("Version") {
        Some(v) if v.as_u64() == Some(1) => {}
        Some(v) => {
            return Err(ProviderError::InvalidResponse {
                service: S,
                message: format!(
                    "unsupported Version {}, supported versions: 1",
                    short(&v.to_string())
                ),
            });
        }
        None => {
            return Err(ProviderError::InvalidResponse {
                service: S,
                message: "Version is missing".to_owned(),
            });
        }
    }
    let key = json::req_str(&map, "AccessKeyId", S)?;
    let secret = json::req_str(&map, "SecretAccessKey", S)?;
    let token = super::token_text(json::opt_str(&map, "SessionToken", S)?);
    let expiry = match json::opt_str(&map, "Expiration", S)? {
        None => None,
        Some(t) => Some(
            super::parse_time(t).ok_or_else(|| ProviderError::InvalidResponse {
                service: S,
                message: "Expiration is not an RFC 3339 time".to_owned(),
            })?,
        ),
    };
    let account = json::opt_str(&map, "AccountId", S)?;
    Ok(Credentials::build(key, secret, token, expiry)?.with_account_id(account))
}

/// Runs a command (program and arguments, no shell) and returns its
/// standard output; a non-zero exit is an error with its standard error.
///
/// # Errors
///
/// [`ProviderError::Process`] when the command cannot be started, exits with a failure status (its standard error is kept), or prints too much.
pub fn run(argv: &[String]) -> Result<Vec<u8>, ProviderError> {
    let Some((program, args)) = argv.split_first() else {
        return Err(ProviderError::Process {
            message: "the command is empty".to_owned(),
        });
    };
    let output = std::process::Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| ProviderError::Process {
            message: format!("cannot run {program:?}: {e}"),
        })?;
    if !output.status.success() {
        return Err(ProviderError::Process {
            message: format!(
                "{program:?} exited with {}: {}",
                output.status,
                short(&String::from_utf8_lossy(&output.stderr))
            ),
        });
    }
    Ok(output.stdout)
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    #[test]
    fn splits_like_a_shell() {
        // The example command of the AWS CLI's sourcing-credentials documentation.
        assert_eq!(
            split_command("/opt/bin/awscreds-custom --username helen").unwrap(),
            ["/opt/bin/awscreds-custom", "--username", "helen"]
        );
        assert_eq!(
            split_command(r#""C:\Program Files\tool" 'a b' c\ d "x\"y" '' "#).unwrap(),
            [r"C:\Program Files\tool", "a b", "c d", "x\"y", ""]
        );
        assert!(split_command("'open").is_err());
        assert!(split_command("\"open").is_err());
        assert!(split_command("trailing\\").is_err());
        assert_eq!(split_command("   ").unwrap(), Vec::<String>::new());
    }

    #[test]
    fn parses_version_1_output() {
        // The output format documented for credential_process.
        let out = br#"{"Version": 1, "AccessKeyId": "an AWS access key", "SecretAccessKey": "your AWS secret access key", "SessionToken": "the AWS session token for temporary credentials", "Expiration": "ISO8601 timestamp when the credentials expire"}"#;
        // Spaces make these example values unusable as keys.
        assert!(parse_process_output(out).is_err());
        let out = br#"{"Version": 1, "AccessKeyId": "ASIAEXAMPLE", "SecretAccessKey": "secret", "SessionToken": "token", "Expiration": "2019-05-29T00:21:43Z"}"#;
        let c = parse_process_output(out).unwrap();
        assert_eq!(c.access_key_id(), "ASIAEXAMPLE");
        assert_eq!(c.session_token(), Some("token"));
        assert_eq!(
            c.expiry(),
            Some(UNIX_EPOCH + Duration::from_secs(1_559_089_303))
        );
        let long_term = br#"{"Version": 1, "AccessKeyId": "AKID", "SecretAccessKey": "s"}"#;
        let c = parse_process_output(long_term).unwrap();
        assert_eq!((c.session_token(), c.expiry()), (None, None));
    }

    #[test]
    fn rejects_bad_output() {
        for out in [
            &br#"{"Version": 2, "AccessKeyId": "A", "SecretAccessKey": "s"}"#[..],
            br#"{"Version": "1", "AccessKeyId": "A", "SecretAccessKey": "s"}"#,
            br#"{"AccessKeyId": "A", "SecretAccessKey": "s"}"#,
            br#"{"Version": 1, "SecretAccessKey": "s"}"#,
            br#"{"Version": 1, "AccessKeyId": "A"}"#,
            br#"{"Version": 1, "AccessKeyId": 5, "SecretAccessKey": "s"}"#,
            br#"{"Version": 1, "AccessKeyId": "A", "SecretAccessKey": "s", "Expiration": "soon"}"#,
            b"[1]",
            b"not json",
            b"",
        ] {
            assert!(
                parse_process_output(out).is_err(),
                "{}",
                String::from_utf8_lossy(out)
            );
        }
    }

    #[test]
    fn runs_a_real_command_and_reports_failure() {
        let out = run(&["sh".into(), "-c".into(), "printf ok".into()]).unwrap();
        assert_eq!(out, b"ok");
        let err = run(&["sh".into(), "-c".into(), "echo nope >&2; exit 3".into()]).unwrap_err();
        assert!(err.to_string().contains("nope"), "{err}");
        assert!(run(&[]).is_err());
    }
}
