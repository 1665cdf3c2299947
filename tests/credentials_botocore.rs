//! The default chain picks the same credentials and region as botocore (the
//! AWS CLI's library) for the configurations recorded by
//! `testdata/credentials/generate.py` in `botocore_chain.json`, with the
//! shared files read by the AWS CLI's rules.
#![cfg(feature = "credentials")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use awsig::provider::chain::{ChainStep, DefaultChain};
use awsig::provider::profile::{ProfileRules, ProfileSet};
use awsig::provider::{ProviderError, VarsEnvironment};
use serde_json::Value;

fn our_method(source: &str) -> &'static str {
    match source {
        "environment" => "env",
        "assume-role" => "assume-role",
        "web-identity" => "assume-role-with-web-identity",
        "credentials-file" => "shared-credentials-file",
        "process" => "custom-process",
        "config-file" => "config-file",
        "container" => "container-role",
        "instance-metadata" => "iam-role",
        other => panic!("unknown source {other}"),
    }
}

fn our_error(e: &ProviderError) -> &'static str {
    match e {
        ProviderError::PartialCredentials { .. } => "PartialCredentialsError",
        ProviderError::ProfileNotFound { .. } => "ProfileNotFound",
        ProviderError::InvalidConfig { .. } => "InvalidConfigError",
        ProviderError::InfiniteLoop { .. } => "InfiniteLoopConfigError",
        ProviderError::Parse { .. } => "ConfigParseError",
        ProviderError::Process { .. }
        | ProviderError::InvalidResponse {
            service: "credential_process",
            ..
        } => "CredentialRetrievalError",
        ProviderError::NoCredentials { .. } => "none",
        other => panic!("unmapped error {other:?}"),
    }
}

fn rfc3339(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).unwrap().as_secs();
    let d = awsig::AmzDate::from_unix_seconds(secs).unwrap();
    let s = d.as_str();
    format!(
        "{}-{}-{}T{}:{}:{}Z",
        &s[0..4],
        &s[4..6],
        &s[6..8],
        &s[9..11],
        &s[11..13],
        &s[13..15]
    )
}

#[test]
fn default_chain_matches_botocore() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/testdata/credentials/botocore_chain.json"
    );
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let configs = doc["configurations"].as_array().unwrap();
    assert!(configs.len() >= 20, "only {} configurations", configs.len());
    let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let mut compared = 0;
    for config in configs {
        let name = config["name"].as_str().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_str().unwrap().to_owned();
        for (file, text) in config["files"].as_object().unwrap() {
            std::fs::write(
                dir.path().join(file),
                text.as_str().unwrap().replace("{dir}", &d),
            )
            .unwrap();
        }
        let mut vars = BTreeMap::from([
            ("AWS_CONFIG_FILE".to_owned(), format!("{d}/config")),
            (
                "AWS_SHARED_CREDENTIALS_FILE".to_owned(),
                format!("{d}/credentials"),
            ),
            ("AWS_EC2_METADATA_DISABLED".to_owned(), "true".to_owned()),
            ("HOME".to_owned(), format!("{d}/home")),
        ]);
        for (k, v) in config["env"].as_object().unwrap() {
            vars.insert(k.clone(), v.as_str().unwrap().replace("{dir}", &d));
        }
        let env = VarsEnvironment::new(vars);
        let profile = config["profile"].as_str();
        let expected = &config["botocore"];

        // botocore reads the files by the AWS CLI's rules.
        let chain = ProfileSet::load_with(&env, ProfileRules::AwsCli)
            .and_then(|profiles| DefaultChain::with_profiles(env, profiles, profile));
        // Region.
        match (&chain, expected.get("region"), expected.get("region_error")) {
            (Ok(c), Some(region), None) => {
                assert_eq!(c.region(), region.as_str(), "{name}: region")
            }
            (Err(e), None, Some(err)) => {
                assert_eq!(our_error(e), err.as_str().unwrap(), "{name}: region error")
            }
            (got, _, _) => panic!("{name}: region: botocore {expected}, ours {got:?}"),
        }
        // Credentials.
        let result = chain.and_then(|mut c| {
            let step = c.poll(now)?;
            Ok((step, c.pending_source().map(|s| s.name())))
        });
        match (
            expected.get("credentials"),
            expected.get("credentials_error"),
        ) {
            (_, Some(err)) => match &result {
                Err(e) => assert_eq!(our_error(e), err.as_str().unwrap(), "{name}: {e}"),
                Ok(r) => panic!("{name}: botocore failed with {err}, ours gave {r:?}"),
            },
            (Some(Value::Null), None) => match &result {
                Err(e) => assert_eq!(our_error(e), "none", "{name}: {e}"),
                Ok(r) => panic!("{name}: botocore found nothing, ours gave {r:?}"),
            },
            (Some(creds), None) => {
                let method = creds["method"].as_str().unwrap();
                match result {
                    Ok((ChainStep::Send(_), Some(pending))) => {
                        assert_eq!(our_method(pending), method, "{name}: pending source");
                        assert!(creds.get("access_key_id").is_none(), "{name}");
                    }
                    Ok((ChainStep::Done(r), _)) => {
                        assert_eq!(our_method(r.source.name()), method, "{name}: source");
                        let c = &r.credentials;
                        assert_eq!(
                            c.access_key_id(),
                            creds["access_key_id"].as_str().unwrap(),
                            "{name}"
                        );
                        assert_eq!(
                            c.secret_access_key(),
                            creds["secret_access_key"].as_str().unwrap(),
                            "{name}"
                        );
                        assert_eq!(c.session_token(), creds["session_token"].as_str(), "{name}");
                        assert_eq!(
                            c.expiry().map(rfc3339).as_deref(),
                            creds["expiry"].as_str(),
                            "{name}: expiry"
                        );
                    }
                    other => panic!("{name}: botocore {creds}, ours {other:?}"),
                }
            }
            _ => panic!("{name}: malformed expectation {expected}"),
        }
        compared += 1;
    }
    assert_eq!(compared, configs.len());
}
