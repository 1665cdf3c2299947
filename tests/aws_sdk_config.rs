//! The AWS SDKs' cross-SDK configuration and credential test data
//! (`testdata/aws-sdk-config/`, see its README): every case of every file
//! runs, each failure names its case, and each test fails if it ran fewer
//! cases than the file holds. A case awsig does not pass on purpose is in
//! [`LISTED`] with its reason; a listed case that starts passing fails the
//! run, so the list stays true.
#![cfg(feature = "credentials")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "support/sdk.rs"]
mod sdk;

use std::path::Path;

use serde_json::Value;

use sdk::{Outcome, root};

/// Cases not passed on purpose: (file, case, reason).
pub(crate) const LISTED: &[(&str, &str, &str)] = &[];

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

mod profile_parser {
    use awsig::provider::ProviderError;
    use awsig::provider::profile::{Profile, ProfileSet};

    use super::*;

    fn profile_json(profile: &Profile) -> Value {
        Value::Object(
            profile
                .keys()
                .map(|k| {
                    (
                        k.to_owned(),
                        Value::String(profile.get(k).unwrap().to_owned()),
                    )
                })
                .collect(),
        )
    }

    fn run_case(case: &Value) -> Result<(), String> {
        let input = &case["input"];
        let config = input["configFile"].as_str();
        let credentials = input["credentialsFile"].as_str();
        let parsed = ProfileSet::parse(config, credentials);
        let output = &case["output"];
        if let Some(needle) = output["errorContaining"].as_str() {
            return match parsed {
                Err(ProviderError::Parse { message, .. })
                    if message.to_lowercase().contains(&needle.to_lowercase()) =>
                {
                    Ok(())
                }
                other => Err(format!(
                    "expected an error containing {needle:?}, got {other:?}"
                )),
            };
        }
        let set = parsed.map_err(|e| format!("unexpected error: {e}"))?;
        let expected = &output["config"];
        let profiles: serde_json::Map<String, Value> = set
            .names()
            .map(|n| (n.to_owned(), profile_json(set.get(n).unwrap())))
            .collect();
        if Value::Object(profiles.clone()) != expected["profiles"] {
            return Err(format!(
                "profiles: expected {}, got {}",
                expected["profiles"],
                Value::Object(profiles)
            ));
        }
        if let Some(sessions) = expected.get("sso_sessions") {
            let got: serde_json::Map<String, Value> = set
                .sso_session_names()
                .map(|n| (n.to_owned(), profile_json(set.sso_session(n).unwrap())))
                .collect();
            if &Value::Object(got.clone()) != sessions {
                return Err(format!(
                    "sso_sessions: expected {sessions}, got {}",
                    Value::Object(got)
                ));
            }
        }
        Ok(())
    }

    #[test]
    fn profile_parser_tests() {
        let file = "aws-runtime/profile-parser-tests.json";
        let doc = read_json(&root().join(file));
        let cases = doc["tests"].as_array().unwrap();
        let mut outcome = Outcome::new(file, cases.len());
        for case in cases {
            let name = case["name"].as_str().unwrap();
            outcome.record(name, run_case(case));
        }
        outcome.finish(65);
    }
}

mod file_location {
    use awsig::provider::profile::{Platform, selected_profile, shared_file_locations};

    use super::*;
    use crate::sdk::MapEnv;

    fn run_case(case: &Value) -> Result<(), String> {
        let env = MapEnv::from_json(&case["environment"]);
        let platform = match case["platform"].as_str().unwrap() {
            "windows" => Platform::Windows,
            "linux" | "macos" => Platform::Unix,
            other => return Err(format!("unknown platform {other}")),
        };
        let found = shared_file_locations(&env, platform);
        let expect = |key: &str| case[key].as_str().map(str::to_owned);
        if found.config != expect("configLocation") {
            return Err(format!(
                "config: expected {:?}, got {:?}",
                expect("configLocation"),
                found.config
            ));
        }
        if found.credentials != expect("credentialsLocation") {
            return Err(format!(
                "credentials: expected {:?}, got {:?}",
                expect("credentialsLocation"),
                found.credentials
            ));
        }
        if let Some(profile) = case["profile"].as_str() {
            let got = selected_profile(&env, None);
            if got != profile {
                return Err(format!("profile: expected {profile}, got {got}"));
            }
        }
        Ok(())
    }

    #[test]
    fn file_location_tests() {
        let file = "aws-runtime/file-location-tests.json";
        let doc = read_json(&root().join(file));
        let cases = doc["tests"].as_array().unwrap();
        let mut outcome = Outcome::new(file, cases.len());
        for (i, case) in cases.iter().enumerate() {
            // Two cases share a name: the index keeps them apart.
            let name = format!("{i}: {}", case["name"].as_str().unwrap());
            outcome.record(&name, run_case(case));
        }
        outcome.finish(9);
    }
}

mod ecs {
    use awsig::provider::ProviderError;
    use awsig::provider::container::ContainerConfig;

    use super::*;
    use crate::sdk::MapEnv;

    fn run_case(case: &Value) -> Result<(), String> {
        let env = MapEnv::from_json(&case["env"]);
        let got = ContainerConfig::from_env(&env);
        let result = &case["result"];
        match (result.get("Ok"), result["ErrorContains"].as_str(), got) {
            (Some(uri), _, Ok(Some(config))) if *config.uri() == uri.as_str().unwrap() => Ok(()),
            // Nothing set: the provider is off, which awsig reports as no
            // configuration rather than an error.
            (None, Some(text), Ok(None)) if text.contains("No environment variables were set") => {
                Ok(())
            }
            (None, Some(text), Err(ProviderError::InvalidEndpoint { message, .. }))
                if text.contains("did not specify a host") && message.contains("no host") =>
            {
                Ok(())
            }
            (_, _, got) => Err(format!("expected {result}, got {got:?}")),
        }
    }

    #[test]
    fn ecs_tests() {
        let file = "aws-config/ecs-tests.json";
        let doc = read_json(&root().join(file));
        let cases = doc["tests"].as_array().unwrap();
        let mut outcome = Outcome::new(file, cases.len());
        for case in cases {
            outcome.record(case["docs"].as_str().unwrap(), run_case(case));
        }
        outcome.finish(11);
    }
}

mod imds_config {
    use awsig::provider::ProviderError;
    use awsig::provider::imds::{EndpointMode, ImdsConfig, ImdsOverrides};
    use awsig::provider::profile::{ProfileSet, selected_profile};

    use super::*;
    use crate::sdk::MapEnv;

    fn run_case(case: &Value) -> Result<(), String> {
        let mut env = MapEnv::from_json(&case["env"]);
        if let Some(files) = case["fs"].as_object() {
            for (path, text) in files {
                env.files
                    .insert(path.into(), text.as_str().unwrap().as_bytes().to_vec());
            }
        }
        let profiles = ProfileSet::load(&env).map_err(|e| e.to_string())?;
        let profile = profiles.get(&selected_profile(&env, None));
        let overrides = ImdsOverrides {
            endpoint: case["endpoint_override"].as_str().map(str::to_owned),
            mode: case["mode_override"]
                .as_str()
                .map(|m| EndpointMode::parse(m).unwrap()),
        };
        let got = ImdsConfig::resolve(&env, profile, &overrides);
        let result = &case["result"];
        match (result["Ok"].as_str(), result["Err"].as_str(), got) {
            (Some(uri), None, Ok(Some(config))) if config.token_uri() == uri => Ok(()),
            (None, Some(text), Err(ProviderError::InvalidEnvVar { message, .. }))
                if text.contains("is not a valid endpoint mode") && message.contains(text) =>
            {
                Ok(())
            }
            (None, Some("invalid uri character"), Err(ProviderError::InvalidEndpoint { .. })) => {
                Ok(())
            }
            (_, _, got) => Err(format!("expected {result}, got {got:?}")),
        }
    }

    #[test]
    fn imds_endpoint_tests() {
        let file = "aws-config/imds-config/imds-endpoint-tests.json";
        let doc = read_json(&root().join(file));
        let cases = doc["tests"].as_array().unwrap();
        let mut outcome = Outcome::new(file, cases.len());
        for case in cases {
            outcome.record(case["docs"].as_str().unwrap(), run_case(case));
        }
        outcome.finish(14);
    }
}
