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
    use std::time::{Duration, UNIX_EPOCH};

    use awsig::driver::{Budgets, Timeouts, Transport, TransportError, resolve_with};
    use awsig::provider::ProviderError;
    use awsig::provider::chain::{DefaultChain, Resolved, Sources};

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
                | "accept"
                    if ours_header(name).as_deref() != Some(value) =>
                {
                    return Err(format!(
                        "{name}: {:?} instead of {value:?}",
                        ours_header(name)
                    ));
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
        // The SDKs' credential chains never ask for the region.
        let outcome = DefaultChain::builder(env)
            .sources(sources)
            .region_from_imds(false)
            .build()
            .map_err(Drive::Provider)
            .and_then(|mut chain| drive(&case, configured_session_name, &mut chain, &exchanges));
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

    /// The recorded traffic as a transport for awsig's blocking driver:
    /// each request is checked against the next recorded one and answered
    /// with its recorded response. The driver retries `5xx` and `429`
    /// answers, as the recordings show the SDK did; a server whose last
    /// recorded answer to a request was a `5xx` keeps giving it, so a
    /// driver that tries more often than the SDK did meets the same error.
    struct Replay<'a> {
        case: &'a str,
        configured_session_name: bool,
        exchanges: &'a [Exchange],
        next: std::cell::Cell<usize>,
        mismatch: std::cell::RefCell<Option<String>>,
    }

    impl Transport for Replay<'_> {
        fn send(
            &self,
            request: http::Request<Vec<u8>>,
            _timeouts: Timeouts,
        ) -> Result<http::Response<Vec<u8>>, TransportError> {
            let n = self.next.get();
            let fail = |m: String| {
                self.mismatch.borrow_mut().get_or_insert(m);
                Err(TransportError::refused("no recorded answer"))
            };
            let Some(x) = self.exchanges.get(n) else {
                // Exhausted: the last answer, if it was a server error for
                // this same request, comes again.
                return match self.exchanges.last() {
                    Some(last)
                        if last.status >= 500
                            && compare(
                                self.case,
                                n,
                                self.configured_session_name,
                                &request,
                                &last.request,
                            )
                            .is_ok() =>
                    {
                        Ok(response(last))
                    }
                    _ => fail(format!(
                        "the chain sent a request beyond the {} recorded: {} {}",
                        self.exchanges.len(),
                        request.method(),
                        request.uri()
                    )),
                };
            };
            self.next.set(n + 1);
            if let Err(m) = compare(
                self.case,
                n + 1,
                self.configured_session_name,
                &request,
                &x.request,
            ) {
                return fail(format!("request {}: {m}", n + 1));
            }
            Ok(response(x))
        }
    }

    fn drive(
        case: &str,
        configured_session_name: bool,
        chain: &mut DefaultChain,
        exchanges: &[Exchange],
    ) -> Result<Resolved, Drive> {
        let transport = Replay {
            case,
            configured_session_name,
            exchanges,
            next: std::cell::Cell::new(0),
            mismatch: std::cell::RefCell::new(None),
        };
        // No pauses between attempts: the recordings have no clock.
        let mut budgets = Budgets::default();
        budgets.imds = budgets.imds.with_backoff(Duration::ZERO);
        budgets.container = budgets.container.with_backoff(Duration::ZERO);
        budgets.service = budgets.service.with_backoff(Duration::ZERO);
        let result = resolve_with(chain, &transport, &budgets);
        if let Some(m) = transport.mismatch.take() {
            return Err(Drive::Mismatch(m));
        }
        let sent = transport.next.get();
        if sent != exchanges.len() {
            return Err(Drive::Mismatch(format!(
                "the chain sent {sent} of the {} recorded requests ({:?})",
                exchanges.len(),
                result.as_ref().err()
            )));
        }
        result.map_err(|e| Drive::Provider(e.provider_error().clone()))
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

/// SSO bearer tokens of `sso_session` profiles.
mod token_chain {
    use std::time::{Duration, UNIX_EPOCH};

    use awsig::provider::FlowStep;
    use awsig::provider::endpoint::Endpoints;
    use awsig::provider::profile::{ProfileSet, selected_profile};
    use awsig::provider::sso::token_flow;

    use super::*;
    use crate::sdk::{MapEnv, epoch_of};

    fn run_case(dir: &Path) -> Result<(), String> {
        let mut env = MapEnv::from_json(&read_json(&dir.join("env.json")));
        env.fs_root = Some(dir.join("fs"));
        let expected = &read_json(&dir.join("test-case.json"))["result"]["Ok"];
        let traffic = read_json(&dir.join("http-traffic.json"));
        if !traffic["events"].as_array().unwrap().is_empty() {
            return Err("recorded traffic: the case expects requests".to_owned());
        }
        let now = UNIX_EPOCH + Duration::from_secs(1_632_246_085);
        let profiles = ProfileSet::load(&env).map_err(|e| e.to_string())?;
        let profile = selected_profile(&env, None);
        let endpoints = Endpoints::from_env(&env, &profiles, &profile);
        let (mut flow, _) =
            token_flow(&env, &profiles, &profile, &endpoints, now).map_err(|e| e.to_string())?;
        match flow.poll(now).map_err(|e| e.to_string())? {
            FlowStep::Send(r) => Err(format!("unexpected request to {}", r.uri())),
            FlowStep::Done(token) => {
                let want_expiry = UNIX_EPOCH
                    + Duration::from_secs(epoch_of(expected["expiration"].as_str().unwrap()));
                if token.token.as_str() != expected["token"].as_str().unwrap()
                    || token.expiry != want_expiry
                {
                    return Err(format!("got {token:?}, expected {expected}"));
                }
                Ok(())
            }
        }
    }

    #[test]
    fn default_token_provider_chain() {
        let file = "aws-config/default-token-provider-chain";
        let mut dirs: Vec<_> = std::fs::read_dir(root().join(file))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        dirs.sort();
        let mut outcome = Outcome::new(file, dirs.len());
        for dir in &dirs {
            outcome.record(dir.file_name().unwrap().to_str().unwrap(), run_case(dir));
        }
        outcome.finish(3);
    }
}

/// Which providers a profile chains together.
mod assume_role {
    use awsig::provider::ProviderError;
    use awsig::provider::plan::{BaseSource, ProfileChain};
    use awsig::provider::profile::ProfileSet;

    use super::*;

    fn config_text(input: &Value) -> String {
        let mut text = String::new();
        for (section, map) in [
            ("profile ", &input["profiles"]),
            ("sso-session ", &input["sso_sessions"]),
        ] {
            if let Some(map) = map.as_object() {
                for (name, keys) in map {
                    text.push_str(&format!("[{section}{name}]\n"));
                    for (k, v) in keys.as_object().unwrap() {
                        text.push_str(&format!("{k} = {}\n", v.as_str().unwrap()));
                    }
                }
            }
        }
        text
    }

    fn base_json(base: &BaseSource) -> Value {
        let opt = |m: &mut serde_json::Map<String, Value>, k: &str, v: Option<&str>| {
            if let Some(v) = v {
                m.insert(k.to_owned(), Value::String(v.to_owned()));
            }
        };
        match base {
            BaseSource::AccessKey { credentials, .. } => {
                let mut m = serde_json::Map::new();
                opt(&mut m, "access_key_id", Some(credentials.access_key_id()));
                opt(
                    &mut m,
                    "secret_access_key",
                    Some(credentials.secret_access_key()),
                );
                opt(&mut m, "account_id", credentials.account_id());
                serde_json::json!({ "AccessKey": m })
            }
            BaseSource::NamedSource { source, .. } => {
                serde_json::json!({ "NamedSource": source.name() })
            }
            BaseSource::WebIdentity {
                role_arn,
                token_file,
                session_name,
                ..
            } => {
                let mut m = serde_json::Map::new();
                opt(&mut m, "role_arn", Some(role_arn));
                opt(&mut m, "web_identity_token_file", Some(token_file));
                opt(&mut m, "role_session_name", session_name.as_deref());
                serde_json::json!({ "WebIdentityToken": m })
            }
            BaseSource::Sso { config, .. } => {
                let mut m = serde_json::Map::new();
                opt(&mut m, "sso_session", config.session_name.as_deref());
                opt(&mut m, "sso_account_id", config.account_id.as_deref());
                opt(&mut m, "sso_region", Some(&config.region));
                opt(&mut m, "sso_role_name", config.role_name.as_deref());
                opt(&mut m, "sso_start_url", Some(&config.start_url));
                serde_json::json!({ "Sso": m })
            }
            other => serde_json::json!({ "Other": format!("{other:?}") }),
        }
    }

    fn chain_json(chain: &ProfileChain) -> Value {
        let mut items = vec![base_json(&chain.base)];
        for role in &chain.roles {
            let mut m = serde_json::Map::new();
            m.insert("role_arn".into(), role.role_arn.clone().into());
            if let Some(s) = &role.session_name {
                m.insert("role_session_name".into(), s.clone().into());
            }
            if let Some(e) = &role.external_id {
                m.insert("external_id".into(), e.clone().into());
            }
            items.push(serde_json::json!({ "AssumeRole": m }));
        }
        Value::Array(items)
    }

    /// Whether our error is the one the SDK's text describes.
    fn same_error(expected: &str, e: &ProviderError) -> bool {
        use ProviderError as E;
        let config = |needle: &str| matches!(e, E::InvalidConfig { message, .. } if message.contains(needle));
        if expected.contains("must contain `source_profile`") {
            return matches!(e, E::PartialCredentials { missing, .. } if missing.contains("source_profile"));
        }
        if let Some(key) = expected.strip_prefix("profile missing ") {
            return matches!(e, E::PartialCredentials { missing, .. } if missing == key);
        }
        if expected.contains("both source_profile and credential_source") {
            return config("both source_profile and credential_source");
        }
        if expected.contains("did not contain credential information") {
            let name = expected.split('`').nth(1).unwrap();
            return matches!(e, E::ProfileHasNoCredentials { profile } if profile == name);
        }
        if let Some(rest) = expected.strip_prefix("could not find source profile ") {
            let source = rest.split(' ').next().unwrap();
            return config("does not exist") && e.to_string().contains(source);
        }
        if expected.contains("No profiles were defined") {
            return matches!(e, E::ProfileNotFound { .. });
        }
        if expected.contains("infinite loop") {
            return matches!(e, E::InfiniteLoop { .. });
        }
        if expected.contains("`role_arn` was missing") {
            return config("role_arn is missing");
        }
        if expected.contains("if `sso_role_name` is set, then `sso_account_id` must also be set") {
            return config("sso_account_id must be set");
        }
        if expected.contains("if `sso_account_id` is set, then `sso_role_name` must also be set") {
            return config("sso_role_name must be set");
        }
        if expected.contains("`sso_region` can only be specified in the [sso-session] config") {
            return config("sso_region must be set in the [sso-session");
        }
        if expected.contains("sso-session named") {
            let session = expected.split('`').nth(1).unwrap();
            return config("does not exist") && e.to_string().contains(session);
        }
        false
    }

    fn run_case(case: &Value) -> Result<(), String> {
        let input = &case["input"];
        let text = config_text(input);
        let profiles = ProfileSet::parse(Some(&text), None).map_err(|e| e.to_string())?;
        let got = ProfileChain::resolve(&profiles, input["selected_profile"].as_str().unwrap());
        let output = &case["output"];
        match (output.get("ProfileChain"), output["Error"].as_str(), got) {
            (Some(expected), _, Ok(chain)) if &chain_json(&chain) == expected => Ok(()),
            (_, Some(text), Err(e)) if same_error(text, &e) => Ok(()),
            (_, _, Ok(chain)) => Err(format!("expected {output}, got {}", chain_json(&chain))),
            (_, _, Err(e)) => Err(format!("expected {output}, got the error {e:?}")),
        }
    }

    #[test]
    fn assume_role_tests() {
        let file = "aws-config/assume-role-tests.json";
        let doc = read_json(&root().join(file));
        let cases = doc.as_array().unwrap();
        let mut outcome = Outcome::new(file, cases.len());
        for (i, case) in cases.iter().enumerate() {
            // Two cases share their description: the index keeps them apart.
            let name = format!("{i}: {}", case["docs"].as_str().unwrap());
            outcome.record(&name, run_case(case));
        }
        outcome.finish(28);
    }
}

/// `aws login` sessions: the cached credentials, and the refresh with its
/// DPoP proof, answered as each case's `mockApiCalls` say. The refresh
/// signs with P-256: the `login` feature.
#[cfg(feature = "login")]
mod login {
    use std::path::PathBuf;
    use std::time::{Duration, UNIX_EPOCH};

    use awsig::provider::chain::{ChainStep, DefaultChain, Sources};

    use super::*;
    use crate::sdk::{MapEnv, epoch_of};

    /// The time the cases' refreshed expiry (`expiresIn` 900 s, expected
    /// `2025-11-19T00:15:00Z`) is counted from.
    const NOW: &str = "2025-11-19T00:00:00Z";

    /// Checks the refresh request: its body is the case's `tokenInput`,
    /// and its DPoP proof is an ES256 JWT over the POST to the request's
    /// URI, signed by the cached key.
    fn check_refresh(
        request: &http::Request<Vec<u8>>,
        call: &Value,
        cache: &Value,
    ) -> Result<(), String> {
        use base64::Engine;
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        use p256::ecdsa::signature::Verifier;
        use p256::ecdsa::{Signature, SigningKey};

        if request.method() != http::Method::POST || request.uri().path() != "/v1/token" {
            return Err(format!(
                "refresh sent as {} {}",
                request.method(),
                request.uri()
            ));
        }
        let body: Value = serde_json::from_slice(request.body()).map_err(|e| e.to_string())?;
        if body != call["request"]["tokenInput"] {
            return Err(format!(
                "refresh body {body}, expected {}",
                call["request"]["tokenInput"]
            ));
        }
        let proof = request.headers()["dpop"].to_str().unwrap();
        let parts: Vec<&str> = proof.split('.').collect();
        let decode = |p: &str| -> Value {
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).unwrap()).unwrap()
        };
        let (header, claims) = (decode(parts[0]), decode(parts[1]));
        let key = p256::SecretKey::from_sec1_pem(cache["dpopKey"].as_str().unwrap()).unwrap();
        let verifying = *SigningKey::from(&key).verifying_key();
        let point = verifying.to_sec1_point(false);
        let checks = [
            header["typ"] == "dpop+jwt",
            header["alg"] == "ES256",
            header["jwk"]["crv"] == "P-256",
            header["jwk"]["x"] == URL_SAFE_NO_PAD.encode(point.x().unwrap()),
            header["jwk"]["y"] == URL_SAFE_NO_PAD.encode(point.y().unwrap()),
            claims["htm"] == "POST",
            claims["htu"] == request.uri().to_string(),
            claims["iat"] == epoch_of(NOW),
            claims["jti"].as_str().is_some_and(|j| !j.is_empty()),
        ];
        if checks.contains(&false) {
            return Err(format!("DPoP proof {header} {claims}"));
        }
        let signature = Signature::from_slice(&URL_SAFE_NO_PAD.decode(parts[2]).unwrap())
            .map_err(|e| e.to_string())?;
        verifying
            .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature)
            .map_err(|_| "the DPoP proof's signature does not verify".to_owned())
    }

    fn run_case(case: &Value) -> Result<(), String> {
        let mut env = MapEnv::default();
        for (k, v) in [
            ("HOME", "/home"),
            ("AWS_PROFILE", "signin"),
            // The Sign-In endpoint is regional; the cases name no region.
            ("AWS_REGION", "us-east-1"),
        ] {
            env.vars.insert(k.to_owned(), v.to_owned());
        }
        env.files.insert(
            PathBuf::from("/home/.aws/config"),
            case["configContents"].as_str().unwrap().as_bytes().to_vec(),
        );
        let cache_dir = PathBuf::from("/home/.aws/login/cache");
        let mut cache_doc = Value::Null;
        for (name, doc) in case["cacheContents"].as_object().unwrap() {
            env.files
                .insert(cache_dir.join(name), serde_json::to_vec(doc).unwrap());
            cache_doc = doc.clone();
        }
        let written = env.written.clone();
        let now = UNIX_EPOCH + Duration::from_secs(epoch_of(NOW));
        let calls = case["mockApiCalls"].as_array().cloned().unwrap_or_default();
        let mut chain = DefaultChain::builder(env)
            .sources(Sources::ProfileOnly)
            .build()
            .map_err(|e| e.to_string())?;
        let mut used = 0;
        let result = loop {
            match chain.poll(now) {
                Err(e) => break Err(e),
                Ok(ChainStep::Done(r)) => break Ok(r),
                Ok(ChainStep::Send(request)) => {
                    let call = calls
                        .get(used)
                        .ok_or_else(|| format!("unexpected request to {}", request.uri()))?;
                    used += 1;
                    check_refresh(&request, call, &cache_doc)?;
                    let response = match call.get("response") {
                        Some(r) => http::Response::builder()
                            .status(200)
                            .body(serde_json::to_vec(&r["tokenOutput"]).unwrap())
                            .unwrap(),
                        None => http::Response::builder()
                            .status(u16::try_from(call["responseCode"].as_u64().unwrap()).unwrap())
                            .body(Vec::new())
                            .unwrap(),
                    };
                    if let Err(e) = chain.handle_response(&response, now) {
                        break Err(e);
                    }
                }
            }
        };
        if used != calls.len() {
            return Err(format!(
                "{used} of {} refresh calls made ({result:?})",
                calls.len()
            ));
        }
        for outcome in case["outcomes"].as_array().unwrap() {
            match outcome["result"].as_str().unwrap() {
                "error" => {
                    if result.is_ok() {
                        return Err(format!("expected an error, got {result:?}"));
                    }
                }
                "credentials" => {
                    let r = result
                        .as_ref()
                        .map_err(|e| format!("expected credentials, got {e}"))?;
                    let c = &r.credentials;
                    let expiry = c
                        .expiry()
                        .map(|t| t.duration_since(UNIX_EPOCH).unwrap().as_secs());
                    let ok = Some(c.access_key_id()) == outcome["accessKeyId"].as_str()
                        && Some(c.secret_access_key()) == outcome["secretAccessKey"].as_str()
                        && c.session_token() == outcome["sessionToken"].as_str()
                        && c.account_id() == outcome["accountId"].as_str()
                        && expiry == Some(epoch_of(outcome["expiresAt"].as_str().unwrap()));
                    if !ok || r.source.name() != "login" {
                        return Err(format!("expected {outcome}, got {c:?} from {}", r.source));
                    }
                }
                "cacheContents" => {
                    for (name, expected) in outcome.as_object().unwrap() {
                        if name == "result" {
                            continue;
                        }
                        let files = written.lock().unwrap();
                        let got = files
                            .get(&cache_dir.join(name))
                            .ok_or_else(|| format!("{name} was not written"))?;
                        let got: Value = serde_json::from_slice(got).map_err(|e| e.to_string())?;
                        if &got != expected {
                            return Err(format!("cache {name}: expected {expected}, wrote {got}"));
                        }
                    }
                }
                other => return Err(format!("unknown outcome {other}")),
            }
        }
        Ok(())
    }

    #[test]
    fn login_provider_test_cases() {
        let file = "aws-config/login-provider-test-cases.json";
        let doc = read_json(&root().join(file));
        let cases = doc.as_array().unwrap();
        let mut outcome = Outcome::new(file, cases.len());
        for case in cases {
            outcome.record(case["documentation"].as_str().unwrap(), run_case(case));
        }
        outcome.finish(8);
    }
}

/// At most a tenth of all the cases may be listed.
#[test]
fn at_most_a_tenth_of_the_cases_are_listed() {
    let count_dirs = |folder: &str| {
        std::fs::read_dir(root().join(folder))
            .unwrap()
            .filter(|e| e.as_ref().unwrap().path().is_dir())
            .count()
    };
    let count_json = |file: &str, key: Option<&str>| {
        let doc = read_json(&root().join(file));
        match key {
            Some(k) => doc[k].as_array().unwrap().len(),
            None => doc.as_array().unwrap().len(),
        }
    };
    let total = count_json("aws-runtime/profile-parser-tests.json", Some("tests"))
        + count_json("aws-runtime/file-location-tests.json", Some("tests"))
        + count_json("aws-config/ecs-tests.json", Some("tests"))
        + count_json(
            "aws-config/imds-config/imds-endpoint-tests.json",
            Some("tests"),
        )
        + count_json("aws-config/assume-role-tests.json", None)
        + count_json("aws-config/login-provider-test-cases.json", None)
        + count_dirs("aws-config/default-credential-provider-chain")
        + count_dirs("aws-config/profile-provider")
        + count_dirs("aws-config/default-token-provider-chain");
    assert_eq!(total, 185);
    assert!(
        LISTED.len() * 10 <= total,
        "{} of {total} cases listed",
        LISTED.len()
    );
    println!("{} cases in all, {} listed", total, LISTED.len());
}
