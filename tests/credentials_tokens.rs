//! An empty session token means no token, wherever a token is read: the
//! environment, the credentials file, the config file, a role's source
//! profile in either file, `credential_process` output and the container
//! endpoint's document. Generated over every combination of absent, empty,
//! blank and set values for both token names, in every place.
#![cfg(feature = "credentials")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use awsig::provider::chain::{ChainStep, DefaultChain};
use awsig::provider::{Environment, ProviderError};
use proptest::prelude::*;

/// Variables, files and process outputs from maps.
#[derive(Clone, Default)]
struct MapEnv {
    vars: BTreeMap<String, String>,
    files: BTreeMap<PathBuf, Vec<u8>>,
    process_output: Option<Vec<u8>>,
}

impl Environment for MapEnv {
    fn var(&self, name: &str) -> Option<String> {
        self.vars.get(name).cloned()
    }
    fn read_file(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        self.files
            .get(path)
            .cloned()
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "not found"))
    }
    fn run_process(&self, _argv: &[String]) -> Result<Vec<u8>, ProviderError> {
        self.process_output.clone().ok_or(ProviderError::Process {
            message: "no process".to_owned(),
        })
    }
}

/// A token value as written: absent, empty, blank or set.
#[derive(Debug, Clone, Copy)]
enum Written {
    Absent,
    Empty,
    Blank,
    Set(&'static str),
}

impl Written {
    fn text(self) -> Option<&'static str> {
        match self {
            Written::Absent => None,
            Written::Empty => Some(""),
            Written::Blank => Some("   "),
            Written::Set(t) => Some(t),
        }
    }
}

fn written() -> impl Strategy<Value = Written> {
    prop_oneof![
        Just(Written::Absent),
        Just(Written::Empty),
        Just(Written::Blank),
        Just(Written::Set("TOKENSET1")),
    ]
}

/// Where the token is read.
#[derive(Debug, Clone, Copy)]
enum Place {
    Environment,
    CredentialsFile,
    ConfigFile,
    SourceProfileInCredentialsFile,
    SourceProfileInConfigFile,
    Process,
    Container,
}

fn place() -> impl Strategy<Value = Place> {
    prop_oneof![
        Just(Place::Environment),
        Just(Place::CredentialsFile),
        Just(Place::ConfigFile),
        Just(Place::SourceProfileInCredentialsFile),
        Just(Place::SourceProfileInConfigFile),
        Just(Place::Process),
        Just(Place::Container),
    ]
}

fn profile_lines(security: Written, session: Written) -> String {
    let mut text = String::from("aws_access_key_id = AKIDFILE\naws_secret_access_key = secret\n");
    if let Some(t) = security.text() {
        text.push_str(&format!("aws_security_token = {t}\n"));
    }
    if let Some(t) = session.text() {
        text.push_str(&format!("aws_session_token = {t}\n"));
    }
    text
}

fn json_token(name: &str, token: Written) -> String {
    match token.text() {
        None => String::new(),
        Some(t) => format!(",\"{name}\":\"{t}\""),
    }
}

const NOW: Duration = Duration::from_secs(1_700_000_000);

/// Runs the chain and returns the session token it signs with: the
/// credentials' token, or the `x-amz-security-token` of the `AssumeRole`
/// request signed with the source profile's credentials.
fn token_used(place: Place, security: Written, session: Written) -> Result<Option<String>, String> {
    let now = UNIX_EPOCH + NOW;
    let mut env = MapEnv::default();
    for (k, v) in [
        ("AWS_CONFIG_FILE", "/cfg"),
        ("AWS_SHARED_CREDENTIALS_FILE", "/creds"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("AWS_REGION", "us-east-1"),
    ] {
        env.vars.insert(k.to_owned(), v.to_owned());
    }
    let role = "[profile r]\nrole_arn = arn:aws:iam::123456789012:role/r\nsource_profile = base\n";
    let mut profile = None;
    match place {
        Place::Environment => {
            env.vars
                .insert("AWS_ACCESS_KEY_ID".into(), "AKIDENV".into());
            env.vars
                .insert("AWS_SECRET_ACCESS_KEY".into(), "secret".into());
            if let Some(t) = security.text() {
                env.vars.insert("AWS_SECURITY_TOKEN".into(), t.into());
            }
            if let Some(t) = session.text() {
                env.vars.insert("AWS_SESSION_TOKEN".into(), t.into());
            }
        }
        Place::CredentialsFile => {
            let text = format!("[default]\n{}", profile_lines(security, session));
            env.files.insert("/creds".into(), text.into_bytes());
        }
        Place::ConfigFile => {
            let text = format!("[default]\n{}", profile_lines(security, session));
            env.files.insert("/cfg".into(), text.into_bytes());
        }
        Place::SourceProfileInCredentialsFile => {
            let text = format!("[base]\n{}", profile_lines(security, session));
            env.files.insert("/creds".into(), text.into_bytes());
            env.files.insert("/cfg".into(), role.as_bytes().to_vec());
            profile = Some("r");
        }
        Place::SourceProfileInConfigFile => {
            let text = format!("{role}[profile base]\n{}", profile_lines(security, session));
            env.files.insert("/cfg".into(), text.into_bytes());
            profile = Some("r");
        }
        Place::Process => {
            env.files.insert(
                "/cfg".into(),
                b"[default]\ncredential_process = tool\n".to_vec(),
            );
            // The process prints one token name only: SessionToken.
            let out = format!(
                "{{\"Version\":1,\"AccessKeyId\":\"AKIDPROC\",\"SecretAccessKey\":\"s\"{}}}",
                json_token("SessionToken", session)
            );
            env.process_output = Some(out.into_bytes());
        }
        Place::Container => {
            env.vars.insert(
                "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI".into(),
                "/creds".into(),
            );
        }
    }
    let mut chain = DefaultChain::new(env, profile).map_err(|e| e.to_string())?;
    match chain.poll(now).map_err(|e| e.to_string())? {
        ChainStep::Done(r) => Ok(r.credentials.session_token().map(str::to_owned)),
        ChainStep::Send(request) if request.uri().path().starts_with("/creds") => {
            let body = format!(
                "{{\"AccessKeyId\":\"ASIACONT\",\"SecretAccessKey\":\"s\",\"Expiration\":\"2030-01-01T00:00:00Z\"{}}}",
                json_token("Token", session)
            );
            let response = http::Response::builder()
                .status(200)
                .body(body.into_bytes())
                .unwrap();
            chain
                .handle_response(&response, now)
                .map_err(|e| e.to_string())?;
            match chain.poll(now).map_err(|e| e.to_string())? {
                ChainStep::Done(r) => Ok(r.credentials.session_token().map(str::to_owned)),
                ChainStep::Send(r) => Err(format!("unexpected request {:?}", r.uri())),
            }
        }
        ChainStep::Send(request) => Ok(request
            .headers()
            .get("x-amz-security-token")
            .map(|v| v.to_str().unwrap().to_owned())),
    }
}

/// The rule: in the environment, the first non-blank of
/// `AWS_SECURITY_TOKEN` and `AWS_SESSION_TOKEN`; in a profile, the first of
/// `aws_security_token` and `aws_session_token` that is present, where an
/// empty or blank value means no token (botocore's reading); in a JSON
/// document, the one member, empty meaning none.
fn expected(place: Place, security: Written, session: Written) -> Option<&'static str> {
    let set = |w: Written| match w {
        Written::Set(t) => Some(t),
        _ => None,
    };
    match place {
        Place::Environment => set(security).or(set(session)),
        Place::Process | Place::Container => set(session),
        _ => match security {
            Written::Absent => set(session),
            present => set(present),
        },
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn an_empty_token_is_no_token_wherever_it_is_read(
        place in place(),
        security in written(),
        session in written(),
    ) {
        let got = token_used(place, security, session);
        prop_assert_eq!(
            got.as_ref().map(|t| t.as_deref()).map_err(String::as_str),
            Ok(expected(place, security, session)),
            "{:?}: aws_security_token {:?}, aws_session_token {:?}", place, security, session
        );
    }
}

#[test]
fn every_combination_in_every_place() {
    let values = [
        Written::Absent,
        Written::Empty,
        Written::Blank,
        Written::Set("TOKENSET1"),
    ];
    let places = [
        Place::Environment,
        Place::CredentialsFile,
        Place::ConfigFile,
        Place::SourceProfileInCredentialsFile,
        Place::SourceProfileInConfigFile,
        Place::Process,
        Place::Container,
    ];
    let mut checked = 0;
    for place in places {
        for security in values {
            for session in values {
                let got = token_used(place, security, session);
                assert_eq!(
                    got.as_ref().map(|t| t.as_deref()).map_err(String::as_str),
                    Ok(expected(place, security, session)),
                    "{place:?}: aws_security_token {security:?}, aws_session_token {session:?}"
                );
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 7 * 16);
}

#[test]
fn an_empty_profile_token_signs_with_the_keys_alone() {
    // The report that started this: `aws_session_token =` in the
    // credentials file made resolution fail.
    let mut env = MapEnv::default();
    env.vars
        .insert("AWS_SHARED_CREDENTIALS_FILE".into(), "/creds".into());
    env.vars.insert("AWS_CONFIG_FILE".into(), "/cfg".into());
    env.vars
        .insert("AWS_EC2_METADATA_DISABLED".into(), "true".into());
    env.files.insert(
        "/creds".into(),
        b"[default]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = secret\naws_session_token =\n"
            .to_vec(),
    );
    let mut chain = DefaultChain::new(env, None).unwrap();
    let ChainStep::Done(r) = chain.poll(SystemTime::now()).unwrap() else {
        panic!("no request expected")
    };
    assert_eq!(r.credentials.access_key_id(), "AKIDEXAMPLE");
    assert_eq!(r.credentials.session_token(), None);
}
