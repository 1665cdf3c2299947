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
pub(crate) const LISTED: &[(&str, &str, &str)] = &[
    ("aws-config/profile-provider", "credential_process", SHELL),
    (
        "aws-config/profile-provider",
        "credential_process_account_id_fallback",
        SHELL,
    ),
    (
        "aws-config/profile-provider",
        "credential_process_failure",
        SHELL,
    ),
];

/// Why the `credential_process` cases that rely on a shell are listed.
const SHELL: &str = "the command is shell syntax (`echo ... | base64 --decode`, the `exit` builtin): the AWS SDK for Rust runs credential_process through `sh -c`, while awsig runs it without a shell, split into words, as the AWS CLI (botocore) does; the output parsing and the aws_account_id fallback these cases also pin are unit-tested in src/provider/process.rs and src/provider/chain.rs";

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

/// The recorded traffic of a case, as (request, response) exchanges in
/// connection order.
mod traffic {
    use serde_json::Value;

    pub struct Recorded {
        pub method: String,
        pub uri: String,
        pub headers: Vec<(String, String)>,
        pub body: String,
    }

    pub struct Exchange {
        pub request: Recorded,
        pub status: u16,
        pub response_headers: Vec<(String, String)>,
        pub response_body: String,
    }

    fn header_list(v: &Value) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if let Some(map) = v.as_object() {
            for (k, values) in map {
                for value in values.as_array().unwrap() {
                    out.push((k.to_lowercase(), value.as_str().unwrap().to_owned()));
                }
            }
        }
        out
    }

    pub fn read(doc: &Value) -> Vec<Exchange> {
        let mut by_connection: std::collections::BTreeMap<u64, Exchange> = Default::default();
        for event in doc["events"].as_array().unwrap() {
            let id = event["connection_id"].as_u64().unwrap();
            let action = &event["action"];
            if let Some(r) = action.get("Request") {
                let r = &r["request"];
                by_connection.insert(
                    id,
                    Exchange {
                        request: Recorded {
                            method: r["method"].as_str().unwrap().to_owned(),
                            uri: r["uri"].as_str().unwrap().to_owned(),
                            headers: header_list(&r["headers"]),
                            body: String::new(),
                        },
                        status: 0,
                        response_headers: Vec::new(),
                        response_body: String::new(),
                    },
                );
            } else if let Some(r) = action.get("Response") {
                let ok = &r["response"]["Ok"];
                let x = by_connection.get_mut(&id).unwrap();
                x.status = u16::try_from(ok["status"].as_u64().unwrap()).unwrap();
                x.response_headers = header_list(&ok["headers"]);
            } else if let Some(d) = action.get("Data") {
                let text = d["data"]["Utf8"].as_str().unwrap();
                let x = by_connection.get_mut(&id).unwrap();
                match d["direction"].as_str().unwrap() {
                    "Request" => x.request.body.push_str(text),
                    _ => x.response_body.push_str(text),
                }
            }
        }
        by_connection.into_values().collect()
    }
}

/// The default credential chain and the profile provider, over each case's
/// `env.json` and `fs/`, answering from its `http-traffic.json`.
mod chain_cases {
    use std::path::PathBuf;
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    use awsig::provider::ProviderError;
    use awsig::provider::chain::{ChainStep, DefaultChain, Resolved, Sources};

    use super::traffic::{Exchange, Recorded};
    use super::*;
    use crate::sdk::MapEnv;

    /// Request fields that a case's recording does not show as its
    /// configuration asks: (case, field, why). Checked to hold, so the
    /// list stays true.
    const NOT_COMPARED: &[(&str, usize, &str, &str)] = &[
        (
            "ecs_assume_role",
            2,
            "authorization",
            "the STS exchange was recorded for imds_assume_role: it is signed with ASIARSTSBASE, the key the IMDS recording hands out, where this case's container answer hands out ASIARTEST",
        ),
        (
            "web_identity_token_env",
            1,
            "RoleArn WebIdentityToken",
            "the recording names account 123456789123, where AWS_ROLE_ARN names 123456789012; and its token lacks the final newline of the token file, which the recording of web_identity_token_invalid_jwt (and botocore) send as the file holds it",
        ),
        (
            "web_identity_token_profile",
            1,
            "RoleArn WebIdentityToken",
            "the recording was made for another configuration: it names the role s3-reader of account 134095065856 and a JWT, where the case's profile names RoleA of account 1234567890123 and the token file holds `sometoken`",
        ),
        (
            "web_identity_token_source_profile",
            1,
            "RoleArn WebIdentityToken",
            "the first exchange was recorded for another configuration: it names account 134095065856 and a JWT, where profile B names account 123456789012 and the token file holds `sometoken`",
        ),
    ];

    fn exempt(case: &str, request: usize, field: &str) -> bool {
        NOT_COMPARED.iter().any(|(c, n, fields, _)| {
            *c == case && *n == request && fields.split(' ').any(|f| f == field)
        })
    }

    fn form(body: &str) -> Vec<(String, String)> {
        body.split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                let decode = |s: &str| {
                    percent_encoding::percent_decode_str(&s.replace('+', " "))
                        .decode_utf8()
                        .unwrap()
                        .into_owned()
                };
                (decode(k), decode(v))
            })
            .collect()
    }

    fn query(uri: &http::Uri) -> Vec<(String, String)> {
        let mut q = form(uri.query().unwrap_or(""));
        q.sort();
        q
    }

    /// Checks the chain's request against the recorded one: method, URI,
    /// the headers that matter, and the STS form fields.
    fn compare(
        case: &str,
        request: usize,
        configured_session_name: bool,
        ours: &http::Request<Vec<u8>>,
        recorded: &Recorded,
    ) -> Result<(), String> {
        if ours.method().as_str() != recorded.method {
            return Err(format!(
                "method {} instead of {}",
                ours.method(),
                recorded.method
            ));
        }
        let want: http::Uri = recorded.uri.parse().unwrap();
        let got = ours.uri();
        let path = |u: &http::Uri| match u.path() {
            "" => "/".to_owned(),
            p => p.to_owned(),
        };
        if got.scheme() != want.scheme()
            || got.authority() != want.authority()
            || path(got) != path(&want)
            || query(got) != query(&want)
        {
            return Err(format!("URI {got} instead of {want}"));
        }
        let ours_header = |name: &str| {
            ours.headers()
                .get(name)
                .map(|v| v.to_str().unwrap().to_owned())
        };
        for (name, value) in &recorded.headers {
            match name.as_str() {
                "x-amz-sso_bearer_token"
                | "x-aws-ec2-metadata-token"
                | "x-aws-ec2-metadata-token-ttl-seconds"
                | "accept" => {
                    if ours_header(name).as_deref() != Some(value) {
                        return Err(format!(
                            "{name}: {:?} instead of {value:?}",
                            ours_header(name)
                        ));
                    }
                }
                "content-type" => {
                    let media = |v: &str| v.split(';').next().unwrap_or("").trim().to_owned();
                    if ours_header(name).map(|v| media(&v)) != Some(media(value)) {
                        return Err(format!(
                            "content-type {:?} instead of {value:?}",
                            ours_header(name)
                        ));
                    }
                }
                "host" => {
                    // One recording holds a URL here; its authority is the host.
                    let value = value
                        .strip_prefix("http://")
                        .or_else(|| value.strip_prefix("https://"))
                        .unwrap_or(value);
                    if got.authority().map(|a| a.as_str()) != Some(value) {
                        return Err(format!("host {:?} instead of {value:?}", got.authority()));
                    }
                }
                "authorization" if exempt(case, request, "authorization") => {}
                "authorization" => {
                    let Some(auth) = ours_header(name) else {
                        return Err("the request is not signed".to_owned());
                    };
                    // Credential=<key id>/<date>/<region>/<service>/aws4_request:
                    // the key id and the service; the recorded region and
                    // date are the SDK run's own.
                    let scope = |a: &str| {
                        let c = a.split("Credential=").nth(1).unwrap_or("");
                        let parts: Vec<&str> = c.split(['/', ',']).collect();
                        (
                            parts[0].to_owned(),
                            parts.get(3).copied().unwrap_or("").to_owned(),
                        )
                    };
                    if scope(&auth) != scope(value) {
                        return Err(format!(
                            "signed as {:?}, recorded {:?}",
                            scope(&auth),
                            scope(value)
                        ));
                    }
                    if value.contains("x-amz-security-token")
                        != ours.headers().contains_key("x-amz-security-token")
                    {
                        return Err("x-amz-security-token differs from the recording".to_owned());
                    }
                }
                _ => {}
            }
        }
        if want.host().is_some_and(|h| h.starts_with("sts"))
            && !recorded.headers.iter().any(|(n, _)| n == "authorization")
            && ours.headers().contains_key("authorization")
        {
            return Err("signed, but the recorded request is not".to_owned());
        }
        if recorded.body.contains("Action=") {
            let recorded_form = form(&recorded.body);
            let our_form = form(std::str::from_utf8(ours.body()).unwrap());
            for (k, v) in &recorded_form {
                if exempt(case, request, k) {
                    continue;
                }
                if k == "RoleSessionName" && !configured_session_name {
                    continue;
                }
                let got = our_form.iter().find(|(ok, _)| ok == k).map(|(_, ov)| ov);
                if got != Some(v) {
                    return Err(format!("form field {k}: {got:?} instead of {v:?}"));
                }
            }
            for (k, _) in &our_form {
                if !recorded_form.iter().any(|(rk, _)| rk == k) {
                    return Err(format!("form field {k} is not in the recording"));
                }
            }
        }
        Ok(())
    }

    fn response(x: &Exchange) -> http::Response<Vec<u8>> {
        let mut b = http::Response::builder().status(x.status);
        for (k, v) in &x.response_headers {
            b = b.header(k.as_str(), v.as_str());
        }
        b.body(x.response_body.clone().into_bytes()).unwrap()
    }

    /// Whether our error is the one the SDK's text describes.
    fn same_error(expected: &str, e: &ProviderError) -> bool {
        use ProviderError as E;
        if expected.contains("external process exited") {
            return matches!(e, E::Process { message } if message.contains("exited with"));
        }
        if let Some(rest) = expected.strip_prefix("failed to read `") {
            let path = rest.split('`').next().unwrap();
            return matches!(e, E::Io { path: p, message } if p == path && message.contains("No such file or directory"));
        }
        if expected.contains("No such file or directory") {
            return matches!(e, E::Io { message, .. } if message.contains("No such file or directory"));
        }
        if expected.contains("provider was not enabled") {
            return matches!(
                e,
                E::NoCredentials { .. } | E::NoInstanceRole | E::EmptyCredentialSource { .. }
            );
        }
        if expected.contains("request forbidden") {
            return matches!(
                e,
                E::Service {
                    service: "imds",
                    status: 403,
                    ..
                }
            );
        }
        if expected.contains("InvalidIdentityToken") {
            return matches!(e, E::Service { code, message, .. }
                if code == "InvalidIdentityToken" && message.contains("No OpenIDConnect provider found"));
        }
        if expected.contains("`web_identity_token_file` was specified but `role_arn` was missing") {
            return matches!(e, E::InvalidConfig { message, .. } if message.contains("role_arn is missing"));
        }
        if expected.contains("invalid JSON") {
            return matches!(e, E::InvalidResponse { service: "credential_process", message } if message.contains("invalid JSON"));
        }
        if expected.contains("could not parse profile file") {
            return matches!(e, E::Parse { .. });
        }
        if expected.contains("access token instead of credentials") {
            return matches!(e, E::InvalidConfig { message, .. } if message.contains("access token instead of credentials"));
        }
        if expected.contains("an error occurred while loading credentials") {
            return matches!(
                e,
                E::Service {
                    service: "sso",
                    status: 503,
                    ..
                }
            );
        }
        false
    }

    fn check_ok(expected: &Value, r: &Resolved) -> Result<(), String> {
        let c = &r.credentials;
        let s = |k: &str| expected[k].as_str();
        let expiry = c
            .expiry()
            .map(|t| t.duration_since(UNIX_EPOCH).unwrap().as_secs());
        let checks = [
            (
                "access_key_id",
                Some(c.access_key_id()) == s("access_key_id"),
            ),
            (
                "secret_access_key",
                Some(c.secret_access_key()) == s("secret_access_key"),
            ),
            ("session_token", c.session_token() == s("session_token")),
            ("account_id", c.account_id() == s("account_id")),
            ("expiry", expiry == expected["expiry"].as_u64()),
        ];
        for (field, ok) in checks {
            if !ok {
                return Err(format!(
                    "{field}: expected {}, got {c:?} from {}",
                    expected[field], r.source
                ));
            }
        }
        Ok(())
    }

    pub(super) fn run_case(dir: &Path, sources: Sources) -> Result<(), String> {
        let case = dir.file_name().unwrap().to_str().unwrap().to_owned();
        let mut env = MapEnv::from_json(&read_json(&dir.join("env.json")));
        env.fs_root = Some(dir.join("fs"));
        let configured_session_name = env.vars.contains_key("AWS_ROLE_SESSION_NAME")
            || walk(&dir.join("fs"))
                .iter()
                .any(|f| std::fs::read_to_string(f).is_ok_and(|t| t.contains("role_session_name")));
        let test_case = read_json(&dir.join("test-case.json"));
        let exchanges = match std::fs::read_to_string(dir.join("http-traffic.json")) {
            Ok(text) => traffic::read(&serde_json::from_str(&text).unwrap()),
            Err(_) => Vec::new(),
        };
        // The time of the recordings; the SSO tokens last until 2080.
        let now = UNIX_EPOCH + Duration::from_secs(1_632_246_085);
        // The SDKs' credential chains never ask for the region.
        let outcome = DefaultChain::builder(env)
            .sources(sources)
            .region_from_imds(false)
            .build()
            .map_err(Drive::Provider)
            .and_then(|mut chain| {
                drive(&case, configured_session_name, &mut chain, &exchanges, now)
            });
        let result = &test_case["result"];
        match (result.get("Ok"), result["ErrorContains"].as_str(), outcome) {
            (_, _, Err(Drive::Mismatch(m))) => Err(m),
            (Some(expected), _, Ok(r)) => check_ok(expected, &r),
            (None, Some(text), Err(Drive::Provider(e))) if same_error(text, &e) => Ok(()),
            (_, _, got) => Err(format!("expected {result}, got {got:?}")),
        }
    }

    #[derive(Debug)]
    enum Drive {
        Provider(ProviderError),
        Mismatch(String),
    }

    impl From<ProviderError> for Drive {
        fn from(e: ProviderError) -> Self {
            Drive::Provider(e)
        }
    }

    fn drive(
        case: &str,
        configured_session_name: bool,
        chain: &mut DefaultChain,
        exchanges: &[Exchange],
        now: SystemTime,
    ) -> Result<Resolved, Drive> {
        let mut next = 0;
        let result = loop {
            match chain.poll(now) {
                Err(e) => break Err(Drive::Provider(e)),
                Ok(ChainStep::Done(r)) => break Ok(r),
                Ok(ChainStep::Send(request)) => {
                    let Some(x) = exchanges.get(next) else {
                        return Err(Drive::Mismatch(format!(
                            "the chain sent a request beyond the {} recorded: {} {}",
                            exchanges.len(),
                            request.method(),
                            request.uri()
                        )));
                    };
                    next += 1;
                    compare(case, next, configured_session_name, &request, &x.request)
                        .map_err(|m| Drive::Mismatch(format!("request {next}: {m}")))?;
                    if let Err(e) = chain.handle_response(&response(x), now) {
                        break Err(Drive::Provider(e));
                    }
                }
            }
        };
        if next != exchanges.len() {
            return Err(Drive::Mismatch(format!(
                "the chain sent {next} of the {} recorded requests ({result:?})",
                exchanges.len()
            )));
        }
        result
    }

    fn walk(dir: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        if let Ok(entries) = std::fs::read_dir(dir) {
            for e in entries {
                let p = e.unwrap().path();
                if p.is_dir() {
                    out.extend(walk(&p));
                } else {
                    out.push(p);
                }
            }
        }
        out
    }

    fn cases(folder: &str) -> Vec<PathBuf> {
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(root().join(folder))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_dir())
            .collect();
        dirs.sort();
        dirs
    }

    #[test]
    fn default_credential_provider_chain() {
        let file = "aws-config/default-credential-provider-chain";
        let dirs = cases(file);
        let mut outcome = Outcome::new(file, dirs.len());
        for dir in &dirs {
            let name = dir.file_name().unwrap().to_str().unwrap();
            outcome.record(name, run_case(dir, Sources::All));
        }
        outcome.finish(29);
    }

    #[test]
    fn profile_provider() {
        let file = "aws-config/profile-provider";
        let dirs = cases(file);
        let mut outcome = Outcome::new(file, dirs.len());
        for dir in &dirs {
            let name = dir.file_name().unwrap().to_str().unwrap();
            outcome.record(name, run_case(dir, Sources::ProfileOnly));
        }
        outcome.finish(18);
    }

    #[test]
    fn every_request_field_exemption_is_needed() {
        // Each exemption names a recorded value that does not follow from
        // the case's configuration: a token that is not the token file as
        // it is, or another value that appears neither in the case's files
        // and environment nor in the answers recorded before it.
        for (case, request, fields, _) in NOT_COMPARED {
            let dir = root()
                .join("aws-config/default-credential-provider-chain")
                .join(case);
            let traffic = traffic::read(&read_json(&dir.join("http-traffic.json")));
            let files: Vec<String> = walk(&dir.join("fs"))
                .iter()
                .map(|f| std::fs::read_to_string(f).unwrap_or_default())
                .collect();
            let mut config_text = std::fs::read_to_string(dir.join("env.json")).unwrap();
            config_text.push_str(&files.concat());
            let x = &traffic[request - 1];
            for field in fields.split(' ') {
                let recorded = if field == "authorization" {
                    x.request
                        .headers
                        .iter()
                        .find(|(n, _)| n == "authorization")
                        .and_then(|(_, v)| v.split("Credential=").nth(1))
                        .map(|c| c.split('/').next().unwrap().to_owned())
                } else {
                    form(&x.request.body)
                        .into_iter()
                        .find(|(k, _)| k == field)
                        .map(|(_, v)| v)
                };
                let recorded = recorded.unwrap_or_else(|| panic!("{case}: no recorded {field}"));
                if field == "WebIdentityToken" {
                    assert!(
                        !files.contains(&recorded),
                        "{case}: the recorded token is a token file as it is"
                    );
                } else {
                    let answered_before = traffic[..request - 1]
                        .iter()
                        .any(|p| p.response_body.contains(&recorded));
                    assert!(
                        !config_text.contains(&recorded) && !answered_before,
                        "{case}: {field} {recorded:?} follows from the case's configuration"
                    );
                }
            }
        }
    }
}
