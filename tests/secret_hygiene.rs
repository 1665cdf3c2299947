//! Secrets never show: no `Debug` string and no error carries a secret
//! access key, a session token or a signing key, and the types that hold
//! them zeroize them on drop.
//!
//! Review list of secret material (checked by reading the types; the
//! `ZeroizeOnDrop` impls below are what the compiler can hold us to):
//!
//! | where | what | how it is cleared |
//! | --- | --- | --- |
//! | `Credentials` | secret access key, session token | `Zeroizing<String>` each |
//! | `Credentials` | the session token's ready-made header value | not cleared: an `http::HeaderValue` cannot be; it is shared with each signed request rather than copied (a token cannot sign without the secret key) |
//! | `Credentials` | 64-bit fingerprint of the key pair | not cleared: a truncated SHA-256, it does not reveal the secret |
//! | `SigningKey` | the derived key | `Zeroizing<[u8; 32]>` |
//! | `SigningKey::derive` | `"AWS4" + secret`, kDate, kRegion, kService | `Zeroizing` temporaries |
//! | `Signer` | cached signing key (atomics) | overwritten with zeros in `Drop` |
//! | `SigningOutput` | session token header value | not cleared: it is meant for the request, where it goes unchanged |
//! | `PresignOutput` | encoded session token | not cleared: it is meant for the URL |
//! | HMAC state inside `hmac`/`sha2` | key-derived pads | not cleared: those crates do not zeroize |
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use awsig::{
    AmzDate, CanonicalRequest, Credentials, Error, PayloadHash, RequestText, Settings,
    SignableRequest, Signer, SigningKey,
};
use zeroize::ZeroizeOnDrop;

const AKID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
/// Has characters that percent-encoding changes, so the encoded form differs.
const TOKEN: &str = "IQoJb3JpZ2luX2VjEJr7wXq9Lm4/Tk+Pz8Yv=Qa1hR0";

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_440_938_160)
}

fn temporary() -> Credentials {
    Credentials::with_session_token(AKID, SECRET, TOKEN, None).unwrap()
}

fn signer() -> Signer {
    Signer::new(temporary(), "us-east-1", "s3").unwrap()
}

fn percent_encoded(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The secrets in their every form: raw, percent-encoded, and the signing
/// key of the signing date as hex.
fn secrets() -> Vec<String> {
    let key = signer().signing_key(&AmzDate::from_system_time(now()).unwrap());
    vec![
        SECRET.to_owned(),
        TOKEN.to_owned(),
        percent_encoded(TOKEN),
        hex::encode(key.expose_secret_bytes()),
        // As `Debug` prints a `Vec<u8>` body: decimal bytes.
        format!("{:?}", SECRET.as_bytes()),
        format!("{:?}", TOKEN.as_bytes()),
        format!("{:?}", percent_encoded(TOKEN).as_bytes()),
    ]
}

/// Fails if `shown` holds any 8-byte piece of any secret.
#[track_caller]
fn assert_hides(what: &str, shown: &str) {
    for secret in secrets() {
        for piece in secret.as_bytes().windows(8) {
            let piece = std::str::from_utf8(piece).unwrap();
            assert!(
                !shown.contains(piece),
                "{what} shows {piece:?} of a secret: {shown}"
            );
        }
    }
}

fn request() -> http::Request<()> {
    http::Request::get("https://examplebucket.s3.amazonaws.com/test.txt?a=b")
        .header("x-amz-meta-note", "hello")
        .body(())
        .unwrap()
}

#[test]
fn the_check_itself_finds_secrets() {
    let caught = std::panic::catch_unwind(|| assert_hides("a leak", &format!("x{TOKEN}x")));
    assert!(caught.is_err());
    let caught = std::panic::catch_unwind(|| assert_hides("a leak", &percent_encoded(TOKEN)));
    assert!(caught.is_err());
}

#[test]
fn credentials_and_signer_debug() {
    let creds = temporary();
    let shown = format!("{creds:?} {creds:#?}");
    assert!(shown.contains(AKID), "the access key id is not a secret");
    assert_hides("Credentials", &shown);
    let signer = signer();
    let mut req = request();
    signer
        .sign(&mut req, &PayloadHash::Unsigned, now())
        .unwrap();
    // The cache now holds the day's key.
    assert_hides("Signer", &format!("{signer:?} {signer:#?}"));
}

#[test]
fn signing_key_debug() {
    let date = AmzDate::from_system_time(now()).unwrap();
    let key = signer().signing_key(&date);
    assert_hides("SigningKey", &format!("{key:?} {key:#?}"));
    let derived =
        SigningKey::from_credentials(&temporary(), &date, signer().region(), signer().service());
    assert_eq!(derived, key);
    assert_hides("SigningKey", &format!("{derived:?}"));
}

#[test]
fn signing_output_debug() {
    let signer = signer();
    let req = request();
    let out = signer
        .signing_output(
            &SignableRequest::from_request(&req).unwrap(),
            &PayloadHash::Unsigned,
            now(),
        )
        .unwrap();
    // The token is there to be sent...
    assert!(out.headers().any(|(_, v)| v == TOKEN));
    // ...but not to be printed.
    assert_hides("SigningOutput", &format!("{out:?} {out:#?}"));
    // Once applied, the header map marks the token sensitive too.
    let mut headers = http::HeaderMap::new();
    out.apply_to(&mut headers).unwrap();
    assert!(headers["x-amz-security-token"].is_sensitive());
    assert!(headers["authorization"].is_sensitive());
    assert_hides("HeaderMap", &format!("{headers:?}"));
}

#[test]
fn presign_output_debug() {
    let signer = signer();
    let req = request();
    let view = SignableRequest::from_request(&req).unwrap();
    let out = signer
        .presign_output(
            &view,
            Duration::from_secs(60),
            &PayloadHash::Unsigned,
            now(),
        )
        .unwrap();
    assert!(
        out.params()
            .any(|(k, v)| k == "X-Amz-Security-Token" && v == percent_encoded(TOKEN))
    );
    assert_hides("PresignOutput", &format!("{out:?} {out:#?}"));
}

#[test]
fn canonical_request_debug() {
    let signer = signer();
    let req = request();
    let view = SignableRequest::from_request(&req).unwrap();
    // Header signing: the token is a signed header.
    let creq = signer
        .canonical_request(&view, &PayloadHash::Unsigned, now())
        .unwrap();
    assert!(creq.to_string().contains(TOKEN));
    assert_hides("CanonicalRequest", &format!("{creq:?} {creq:#?}"));
    assert_hides("CanonicalRequest::redacted", &creq.redacted());
    // Query signing: the token is a signed query parameter.
    let creq = signer
        .presign_canonical_request(
            &view,
            Duration::from_secs(60),
            &PayloadHash::Unsigned,
            now(),
        )
        .unwrap();
    assert!(creq.to_string().contains(&percent_encoded(TOKEN)));
    assert_hides("presign CanonicalRequest", &format!("{creq:?}"));
    // A request that carries the token itself, header and query, any case.
    let query = format!("/?x-amz-security-token={}", percent_encoded(TOKEN));
    let headers: &[(&str, &[u8])] = &[
        ("Host", b"example.amazonaws.com"),
        ("X-Amz-Security-Token", TOKEN.as_bytes()),
    ];
    let view = SignableRequest::new("GET", &query, headers).unwrap();
    assert_hides("SignableRequest", &format!("{view:?}"));
    let creq = CanonicalRequest::new(&view, &PayloadHash::empty(), &Settings::default()).unwrap();
    assert_hides("CanonicalRequest::new", &format!("{creq:?}"));
}

#[test]
fn request_views_debug() {
    let mut req = request();
    let signer = signer();
    signer
        .presign(
            &mut req,
            Duration::from_secs(60),
            &PayloadHash::Unsigned,
            now(),
        )
        .unwrap();
    // The presigned URL carries the token; a view of it must not print it.
    assert!(req.uri().to_string().contains(&percent_encoded(TOKEN)));
    let view = SignableRequest::from_request(&req).unwrap();
    assert_hides("SignableRequest", &format!("{view:?}"));
    let text = format!(
        "GET {} HTTP/1.1\nHost: examplebucket.s3.amazonaws.com\nX-Amz-Security-Token: {TOKEN}\n\n",
        req.uri().path_and_query().unwrap()
    );
    let parsed = RequestText::parse(text.as_bytes()).unwrap();
    assert_hides("RequestText", &format!("{parsed:?}"));
}

/// Every error that bad credentials or a request carrying secrets can cause.
fn errors() -> Vec<Error> {
    let mut errors = vec![
        // A secret or token with one bad character: the rest must not show.
        Credentials::new(AKID, &format!("{SECRET} ")).unwrap_err(),
        Credentials::new(AKID, &format!("{SECRET}\n")).unwrap_err(),
        Credentials::new(AKID, &format!("{SECRET}\u{e9}")).unwrap_err(),
        Credentials::new(AKID, &SECRET.repeat(30)).unwrap_err(),
        Credentials::with_session_token(AKID, SECRET, &format!("{TOKEN} "), None).unwrap_err(),
        Credentials::with_session_token(AKID, SECRET, &format!("{TOKEN}\r\n"), None).unwrap_err(),
        Credentials::with_session_token(AKID, SECRET, &format!("{TOKEN}\u{e9}"), None).unwrap_err(),
        // The secret given where the access key id goes.
        Credentials::new(&format!("{SECRET} "), SECRET).unwrap_err(),
    ];
    // A request that carries secrets in headers, user info and query.
    let bad_value = format!("{TOKEN}\r\n");
    let headers: &[(&str, &[u8])] = &[
        ("Host", b"example.com"),
        ("X-Amz-Security-Token", bad_value.as_bytes()),
    ];
    errors.push(SignableRequest::new("GET", "/", headers).map_or_else(
        |e| e,
        |r| CanonicalRequest::new(&r, &PayloadHash::empty(), &Settings::default()).unwrap_err(),
    ));
    let big = TOKEN.repeat(400);
    let headers: &[(&str, &[u8])] = &[("Host", b"example.com"), ("Cookie", big.as_bytes())];
    let r = SignableRequest::new("GET", "/", headers).unwrap();
    errors
        .push(CanonicalRequest::new(&r, &PayloadHash::empty(), &Settings::default()).unwrap_err());
    // User info holding the secret as a password (encoded, as a URI needs).
    let userinfo = format!("{AKID}:{}", percent_encoded(SECRET));
    errors
        .push(SignableRequest::new("GET", &format!("https://{userinfo}@[::1/"), &[]).unwrap_err());
    errors.push(
        SignableRequest::new("GET", &format!("https://{userinfo}@host:99999/"), &[]).unwrap_err(),
    );
    errors
}

#[test]
fn errors_never_carry_secrets() {
    let errors = errors();
    assert_eq!(errors.len(), 12);
    for e in &errors {
        assert_hides("Error", &format!("{e:?} {e}"));
    }
    assert!(matches!(errors[0], Error::InvalidSecretAccessKey { .. }));
    assert!(matches!(errors[4], Error::InvalidSessionToken { .. }));
    assert!(matches!(errors[7], Error::InvalidAccessKeyId { .. }));
    assert!(matches!(errors[8], Error::InvalidHeaderValue { .. }));
    assert!(matches!(errors[9], Error::HeaderTooLarge { .. }));
    assert!(matches!(errors[10], Error::InvalidHost { .. }));
}

#[test]
fn secret_holders_zeroize_on_drop() {
    fn zeroize_on_drop<T: ZeroizeOnDrop>() {}
    zeroize_on_drop::<Credentials>();
    zeroize_on_drop::<SigningKey>();
    zeroize_on_drop::<Signer>();
}

/// Every provider type that holds or handles a secret: profiles, the
/// environment, each flow before and after its answer, the chain with a
/// request pending, the requests it asks to send, and the caches.
#[cfg(feature = "credentials")]
mod providers {
    use std::collections::BTreeMap;
    use std::path::{Path, PathBuf};
    use std::time::{Duration, SystemTime};

    use awsig::provider::chain::{ChainStep, DefaultChain};
    use awsig::provider::container::{ContainerConfig, ContainerFlow};
    use awsig::provider::imds::{IPV4_ENDPOINT, ImdsConfig, ImdsFlow};
    use awsig::provider::profile::ProfileSet;
    use awsig::provider::sts::{
        AssumeRoleConfig, AssumeRoleFlow, StsEndpoint, WebIdentityConfig, WebIdentityFlow,
    };
    use awsig::provider::{
        CredentialsCache, Environment, ProviderError, ProviderSigner, RedactedRequest,
        RedactedResponse, RefreshingProvider, VarsEnvironment,
    };
    use awsig::{Credentials, PayloadHash};

    use super::{AKID, SECRET, TOKEN, assert_hides, now, temporary};

    fn shown<T: std::fmt::Debug>(value: &T) -> String {
        format!("{value:?} {value:#?}")
    }

    /// Files and variables from maps.
    #[derive(Clone, Default)]
    struct MapEnv {
        vars: BTreeMap<String, String>,
        files: BTreeMap<PathBuf, Vec<u8>>,
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
            Err(ProviderError::Process {
                message: "no process".to_owned(),
            })
        }
    }

    fn map_env(vars: &[(&str, &str)], files: &[(&str, String)]) -> MapEnv {
        MapEnv {
            vars: vars
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            files: files
                .iter()
                .map(|(k, v)| (PathBuf::from(k), v.clone().into_bytes()))
                .collect(),
        }
    }

    fn response(status: u16, body: &str) -> http::Response<Vec<u8>> {
        http::Response::builder()
            .status(status)
            .body(body.as_bytes().to_vec())
            .unwrap()
    }

    fn sts_answer(action: &str) -> http::Response<Vec<u8>> {
        response(
            200,
            &format!(
                "<{action}Response><{action}Result><Credentials><AccessKeyId>ASIANEXT</AccessKeyId><SecretAccessKey>{SECRET}</SecretAccessKey><SessionToken>{TOKEN}</SessionToken><Expiration>2030-01-01T00:00:00Z</Expiration></Credentials></{action}Result></{action}Response>"
            ),
        )
    }

    #[test]
    fn profiles_and_environments() {
        let creds = format!(
            "[default]\naws_access_key_id = {AKID}\naws_secret_access_key = {SECRET}\naws_session_token = {TOKEN}\n[legacy]\naws_security_token = {TOKEN}\n"
        );
        let set = ProfileSet::parse(None, Some(&creds)).unwrap();
        let text = shown(&set);
        assert!(text.contains(AKID));
        assert_hides("ProfileSet", &text);
        assert_hides("Profile", &shown(set.get("default").unwrap()));
        let env = VarsEnvironment::new(BTreeMap::from([
            ("AWS_ACCESS_KEY_ID".to_owned(), AKID.to_owned()),
            ("AWS_SECRET_ACCESS_KEY".to_owned(), SECRET.to_owned()),
            ("AWS_SESSION_TOKEN".to_owned(), TOKEN.to_owned()),
        ]));
        let text = shown(&env);
        assert!(text.contains("AWS_SESSION_TOKEN"), "{text}");
        assert_hides("VarsEnvironment", &text);
    }

    #[test]
    fn web_identity_flow_and_its_request() {
        let config = WebIdentityConfig {
            role_arn: "arn:aws:iam::123456789012:role/r".to_owned(),
            session_name: "s".to_owned(),
            token: zeroize::Zeroizing::new(TOKEN.to_owned()),
            duration: None,
        };
        assert_hides("WebIdentityConfig", &shown(&config));
        let mut flow = WebIdentityFlow::new(StsEndpoint::for_region(Some("us-east-1")), config);
        let request = flow.poll_request(now()).unwrap();
        // The body holds the token: the check must catch a plain Debug of it.
        let plain = format!("{request:?}");
        let caught = std::panic::catch_unwind(|| assert_hides("http::Request", &plain));
        assert!(caught.is_err(), "the request body should hold the token");
        assert_hides("RedactedRequest", &shown(&RedactedRequest(&request)));
        assert_hides("WebIdentityFlow", &shown(&flow));
        let answer = sts_answer("AssumeRoleWithWebIdentity");
        assert_hides("RedactedResponse", &shown(&RedactedResponse(&answer)));
        let progress = flow.handle_response(&answer, now()).unwrap();
        assert_hides("Progress", &shown(&progress));
        assert_hides("WebIdentityFlow", &shown(&flow));
    }

    #[test]
    fn assume_role_flow_and_its_signed_request() {
        let mut flow = AssumeRoleFlow::new(
            StsEndpoint::for_region(Some("us-east-1")),
            temporary(),
            AssumeRoleConfig {
                role_arn: "arn:aws:iam::123456789012:role/r".to_owned(),
                session_name: "s".to_owned(),
                external_id: None,
                duration: None,
            },
        );
        assert_hides("AssumeRoleFlow", &shown(&flow));
        let request = flow.poll_request(now()).unwrap();
        assert!(request.headers().contains_key("x-amz-security-token"));
        assert_hides("RedactedRequest", &shown(&RedactedRequest(&request)));
        let progress = flow
            .handle_response(&sts_answer("AssumeRole"), now())
            .unwrap();
        assert_hides("Progress", &shown(&progress));
    }

    #[test]
    fn container_and_imds_flows() {
        let config = ContainerConfig::full("http://127.0.0.1/creds", Some(TOKEN)).unwrap();
        assert_hides("ContainerConfig", &shown(&config));
        let mut flow = ContainerFlow::new(config);
        let request = flow.poll_request(now()).unwrap();
        assert_hides("RedactedRequest", &shown(&RedactedRequest(&request)));
        assert_hides("ContainerFlow", &shown(&flow));
        let doc = format!(
            "{{\"AccessKeyId\":\"ASIA\",\"SecretAccessKey\":\"{SECRET}\",\"Token\":\"{TOKEN}\"}}"
        );
        let progress = flow.handle_response(&response(200, &doc), now()).unwrap();
        assert_hides("Progress", &shown(&progress));

        let mut flow = ImdsFlow::new(ImdsConfig::new(IPV4_ENDPOINT).unwrap());
        flow.poll_request(now()).unwrap();
        flow.handle_response(&response(200, TOKEN), now()).unwrap();
        assert_hides("ImdsFlow", &shown(&flow));
        let request = flow.poll_request(now()).unwrap();
        assert_hides("RedactedRequest", &shown(&RedactedRequest(&request)));
    }

    #[test]
    fn the_chain_its_steps_and_its_result() {
        let env = map_env(
            &[
                ("AWS_CONFIG_FILE", "/cfg"),
                ("AWS_SHARED_CREDENTIALS_FILE", "/creds"),
                ("AWS_EC2_METADATA_DISABLED", "true"),
                ("AWS_WEB_IDENTITY_TOKEN_FILE", "/token"),
                ("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/r"),
            ],
            &[("/token", TOKEN.to_owned())],
        );
        let mut chain = DefaultChain::new(env, None).unwrap();
        let step = chain.poll(now()).unwrap();
        assert!(matches!(step, ChainStep::Send(_)));
        assert_hides("ChainStep::Send", &shown(&step));
        assert_hides("DefaultChain", &shown(&chain));
        chain
            .handle_response(&sts_answer("AssumeRoleWithWebIdentity"), now())
            .unwrap();
        assert_hides("DefaultChain", &shown(&chain));
        let step = chain.poll(now()).unwrap();
        assert!(matches!(step, ChainStep::Done(_)));
        assert_hides("ChainStep::Done", &shown(&step));

        // A role assumed with a source profile's temporary credentials.
        let files = [
            (
                "/creds",
                format!(
                    "[base]\naws_access_key_id = {AKID}\naws_secret_access_key = {SECRET}\naws_session_token = {TOKEN}\n"
                ),
            ),
            (
                "/cfg",
                "[profile r]\nrole_arn = arn:aws:iam::123456789012:role/r\nsource_profile = base\n"
                    .to_owned(),
            ),
        ];
        let env = map_env(
            &[
                ("AWS_CONFIG_FILE", "/cfg"),
                ("AWS_SHARED_CREDENTIALS_FILE", "/creds"),
                ("AWS_EC2_METADATA_DISABLED", "true"),
            ],
            &files,
        );
        let mut chain = DefaultChain::new(env, Some("r")).unwrap();
        assert_hides("DefaultChain", &shown(&chain));
        let step = chain.poll(now()).unwrap();
        assert_hides("ChainStep::Send", &shown(&step));
        assert_hides("DefaultChain", &shown(&chain));
    }

    #[test]
    fn caches_and_provider_signers() {
        let cache = CredentialsCache::with_credentials(Duration::from_secs(300), temporary());
        assert_hides("CredentialsCache", &shown(&cache));
        let cached = cache.get_or_refresh(now(), || Ok(temporary())).unwrap();
        assert_hides("Cached", &shown(&cached));
        let provider = RefreshingProvider::new(Duration::from_secs(300), |_now: SystemTime| {
            Ok(Credentials::with_session_token(AKID, SECRET, TOKEN, None)?)
        });
        let signer = ProviderSigner::new(provider, "us-east-1", "s3").unwrap();
        let mut request = super::request();
        signer
            .sign(&mut request, &PayloadHash::Unsigned, now())
            .unwrap();
        assert_hides("ProviderSigner", &shown(&signer));
        assert_hides("RefreshingProvider", &shown(signer.provider()));
    }

    #[test]
    fn sso_cache_flows_and_their_requests() {
        use awsig::provider::FlowStep;
        use awsig::provider::sso::{SsoCachedToken, SsoConfig, SsoFlow, SsoTokenFlow};

        let config = SsoConfig {
            session_name: Some("corp".to_owned()),
            start_url: "https://corp.awsapps.com/start".to_owned(),
            region: "us-east-1".to_owned(),
            account_id: Some("111122223333".to_owned()),
            role_name: Some("ReadOnly".to_owned()),
        };
        // The access token, refresh token and client secret are all secrets.
        let cache = format!(
            "{{\"accessToken\":\"{TOKEN}\",\"expiresAt\":\"2015-08-30T12:37:00Z\",\"refreshToken\":\"{SECRET}\",\"clientId\":\"cid\",\"clientSecret\":\"{SECRET}\",\"registrationExpiresAt\":\"2099-01-01T00:00:00Z\"}}"
        );
        let cached = SsoCachedToken::parse(cache.as_bytes()).unwrap();
        assert_hides("SsoCachedToken", &shown(&cached));
        let mut flow =
            SsoTokenFlow::new(config.clone(), "https://oidc", cached.clone(), now()).unwrap();
        assert_hides("SsoTokenFlow", &shown(&flow));
        let step = flow.poll(now()).unwrap();
        assert!(
            matches!(step, FlowStep::Send(_)),
            "the token is near expiry"
        );
        assert_hides("FlowStep::Send", &shown(&step));
        let answer = format!(
            "{{\"accessToken\":\"{TOKEN}\",\"expiresIn\":3600,\"refreshToken\":\"{SECRET}\"}}"
        );
        flow.handle_response(&response(200, &answer), now())
            .unwrap();
        assert_hides("SsoTokenFlow", &shown(&flow));
        let step = flow.poll(now()).unwrap();
        assert_hides("FlowStep::Done", &shown(&step));

        let mut flow =
            SsoFlow::new(config, "https://portal", "https://oidc", cached, now()).unwrap();
        flow.poll_request(now()).unwrap();
        flow.handle_response(&response(200, &answer), now())
            .unwrap();
        let request = flow.poll_request(now()).unwrap();
        assert_hides("RedactedRequest", &shown(&RedactedRequest(&request)));
        assert_hides("SsoFlow", &shown(&flow));
        let role = format!(
            "{{\"roleCredentials\":{{\"accessKeyId\":\"ASIA\",\"secretAccessKey\":\"{SECRET}\",\"sessionToken\":\"{TOKEN}\",\"expiration\":1893456000000}}}}"
        );
        let progress = flow.handle_response(&response(200, &role), now()).unwrap();
        assert_hides("Progress", &shown(&progress));
        assert_hides("SsoFlow", &shown(&flow));
    }

    #[test]
    fn login_cache_and_flow() {
        use awsig::provider::FlowStep;
        use awsig::provider::login::{LoginCache, LoginFlow};

        let key = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIPt/u8InPLpQeQLJTvVX+sNDzni8vMDMt3Liu+nMBigfoAoGCCqGSM49\nAwEHoUQDQgAEILkGG7rNOnxiIJlMgimY1UPP8eDMFP0DAY6WGjngP4bvTAiUCQ/I\nffut2379uP+OBCm2ovGpBOJRgrl1RspUOQ==\n-----END EC PRIVATE KEY-----\n";
        let doc = serde_json::json!({
            "accessToken": {"accessKeyId": AKID, "secretAccessKey": SECRET, "sessionToken": TOKEN, "accountId": "1", "expiresAt": "2015-08-30T12:37:00Z"},
            "clientId": "arn:aws:signin:::devtools/same-device",
            "refreshToken": SECRET,
            "dpopKey": key,
        });
        let cache = LoginCache::parse(&serde_json::to_vec(&doc).unwrap()).unwrap();
        let text = shown(&cache);
        assert_hides("LoginCache", &text);
        assert!(!text.contains("MHcCAQEEIPt"), "the key shows: {text}");
        let mut flow = LoginFlow::new(cache, Some("https://us-east-1.signin.aws.amazon.com"));
        assert_hides("LoginFlow", &shown(&flow));
        match flow.poll(now()) {
            Ok(step @ FlowStep::Send(_)) => {
                let text = shown(&step);
                assert_hides("FlowStep::Send", &text);
                assert!(!text.contains("eyJ"), "the proof shows: {text}");
                let answer = serde_json::json!({"accessToken": {"accessKeyId": "ASIA", "secretAccessKey": SECRET, "sessionToken": TOKEN}, "expiresIn": 900, "refreshToken": SECRET});
                flow.handle_response(&response(200, &answer.to_string()), now())
                    .unwrap();
                assert_hides("LoginFlow", &shown(&flow));
            }
            // Without the login feature, a refresh cannot be signed.
            Err(e) => assert_hides("ProviderError", &format!("{e:?} {e}")),
            Ok(other) => panic!("{other:?}"),
        }
    }

    #[test]
    fn profile_plans() {
        use awsig::provider::plan::ProfileChain;
        let creds = format!(
            "[base]\naws_access_key_id = {AKID}\naws_secret_access_key = {SECRET}\naws_session_token = {TOKEN}\n"
        );
        let config =
            "[profile r]\nrole_arn = arn:aws:iam::123456789012:role/r\nsource_profile = base\n";
        let set = ProfileSet::parse(Some(config), Some(&creds)).unwrap();
        let plan = ProfileChain::resolve(&set, "r").unwrap();
        assert_hides("ProfileChain", &shown(&plan));
    }

    #[test]
    fn flow_errors_never_carry_secrets() {
        let mut errors = Vec::new();
        // Documents that hold secrets but fail to parse.
        let imds = format!(
            "{{\"Code\":\"Failed\",\"Message\":\"m\",\"SecretAccessKey\":\"{SECRET}\",\"Token\":\"{TOKEN}\"}}"
        );
        errors.push(awsig::provider::imds::parse_imds_credentials(imds.as_bytes()).unwrap_err());
        let no_expiry = format!(
            "{{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"{SECRET}\",\"Token\":\"{TOKEN}\",\"Expiration\":\"soon\"}}"
        );
        errors.push(
            awsig::provider::container::parse_container_credentials(no_expiry.as_bytes())
                .unwrap_err(),
        );
        let process = format!(
            "{{\"Version\":1,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"{SECRET}\",\"SessionToken\":\"{TOKEN} x\"}}"
        );
        errors
            .push(awsig::provider::process::parse_process_output(process.as_bytes()).unwrap_err());
        let sts = format!(
            "<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>A</AccessKeyId><SecretAccessKey>{SECRET}</SecretAccessKey><SessionToken>{TOKEN}</SessionToken><Expiration>never</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>"
        );
        errors.push(awsig::provider::sts::parse_assume_role_response(sts.as_bytes()).unwrap_err());
        let bad_token = format!("{TOKEN}\u{e9}");
        let sts = format!(
            "<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>A</AccessKeyId><SecretAccessKey>{SECRET}</SecretAccessKey><SessionToken>{bad_token}</SessionToken><Expiration>2030-01-01T00:00:00Z</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>"
        );
        errors.push(awsig::provider::sts::parse_assume_role_response(sts.as_bytes()).unwrap_err());
        // A container token that is not a header value.
        errors.push(
            ContainerConfig::full("http://127.0.0.1/c", Some(&format!("{TOKEN}\r\nX: y")))
                .unwrap_err(),
        );
        assert_eq!(errors.len(), 6);
        for e in &errors {
            assert_hides("ProviderError", &format!("{e:?} {e}"));
        }
    }
}
