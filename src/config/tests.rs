use std::collections::BTreeMap;
use std::io::Write;

use super::*;
use crate::driver::{Timeouts, TransportError};
use crate::provider::VarsEnvironment;

/// A transport that must never be called: building fetches nothing.
struct Never;

impl AsyncTransport for Never {
    #[allow(clippy::manual_async_fn)] // the trait asks for a Send future
    fn send(
        &self,
        _: http::Request<Vec<u8>>,
        _: Timeouts,
    ) -> impl std::future::Future<Output = Result<http::Response<Vec<u8>>, TransportError>> + Send
    {
        async { panic!("building must not send anything") }
    }
}

fn env(vars: &[(&str, &str)], config: &str) -> (Env, tempfile::NamedTempFile) {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(config.as_bytes()).unwrap();
    let mut map = BTreeMap::from([
        (
            "AWS_CONFIG_FILE".to_owned(),
            file.path().to_str().unwrap().to_owned(),
        ),
        (
            "AWS_SHARED_CREDENTIALS_FILE".to_owned(),
            "/nonexistent/credentials".to_owned(),
        ),
    ]);
    for (k, v) in vars {
        map.insert((*k).to_owned(), (*v).to_owned());
    }
    (Arc::new(VarsEnvironment::new(map)), file)
}

fn sk(v: &str) -> Option<Secret> {
    Some(v.into())
}

fn s(v: &str) -> Option<String> {
    Some(v.to_owned())
}

#[test]
fn mistakes_name_their_field() {
    let (e, _f) = env(&[], "[profile prod]\nregion = eu-west-1\n");
    let cases = [
        (
            SigV4Config {
                region: s("us-east-1"),
                secret_key: sk("secret"),
                ..Default::default()
            },
            "access_key",
        ),
        (
            SigV4Config {
                region: s("us-east-1"),
                access_key: s("AKID"),
                ..Default::default()
            },
            "secret_key",
        ),
        (
            SigV4Config {
                region: s("us-east-1"),
                profile: s("ghost"),
                ..Default::default()
            },
            "profile",
        ),
        (
            SigV4Config {
                access_key: s("AKID"),
                secret_key: sk("secret"),
                ..Default::default()
            },
            "region",
        ),
        (
            SigV4Config {
                region: s("us east 1"),
                ..Default::default()
            },
            "region",
        ),
        (
            SigV4Config {
                region: s("us-east-1"),
                service: s("a/b"),
                ..Default::default()
            },
            "service",
        ),
        (
            SigV4Config {
                region: s("us-east-1"),
                role_arn: s("writer"),
                ..Default::default()
            },
            "role_arn",
        ),
        (
            SigV4Config {
                region: s("us-east-1"),
                external_id: s("x"),
                ..Default::default()
            },
            "external_id",
        ),
        (
            SigV4Config {
                region: s("us-east-1"),
                access_key: s("AKID"),
                secret_key: sk("secret"),
                profile: s("prod"),
                ..Default::default()
            },
            "profile",
        ),
    ];
    for (config, field) in cases {
        let err = config.build_in(Arc::clone(&e), Never).unwrap_err();
        assert_eq!(err.field(), field, "{config:?}: {err}");
        assert!(
            err.to_string()
                .starts_with(&format!("sigv4 config: {field}: "))
        );
    }
}

#[test]
fn region_and_service_defaults() {
    let (e, _f) = env(&[], "[profile prod]\nregion = eu-west-1\n");
    let signer = SigV4Config {
        profile: s("prod"),
        ..Default::default()
    }
    .build_in(Arc::clone(&e), Never)
    .unwrap();
    assert_eq!(signer.region().as_str(), "eu-west-1");
    assert_eq!(signer.service().as_str(), "aps");
    let (e, _f) = env(&[("AWS_REGION", "ap-south-1")], "");
    let signer = SigV4Config {
        service: s("sqs"),
        ..Default::default()
    }
    .build_in(e, Never)
    .unwrap();
    assert_eq!(signer.region().as_str(), "ap-south-1");
    assert_eq!(signer.service().as_str(), "sqs");
}

#[test]
fn the_secret_is_never_shown() {
    let config = SigV4Config {
        access_key: s("AKID"),
        secret_key: sk("very-secret-value"),
        ..Default::default()
    };
    let text = format!("{config:?}");
    assert!(!text.contains("very-secret-value"), "{text}");
    assert!(text.contains("redacted"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn static_keys_sign_and_a_role_is_assumed_with_them() {
    // An STS double: answers AssumeRole with session credentials and
    // records what it was asked.
    struct Sts(std::sync::Mutex<Vec<String>>);
    impl AsyncTransport for Sts {
        fn send(
            &self,
            request: http::Request<Vec<u8>>,
            _: Timeouts,
        ) -> impl std::future::Future<Output = Result<http::Response<Vec<u8>>, TransportError>> + Send
        {
            let auth = request.headers()["authorization"]
                .to_str()
                .unwrap()
                .to_owned();
            let body = String::from_utf8(request.body().clone()).unwrap();
            self.0.lock().unwrap().push(format!("{auth}\n{body}"));
            async {
                Ok(http::Response::new(
                    b"<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>ASIAROLE</AccessKeyId><SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken><Expiration>2100-01-01T00:00:00Z</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>".to_vec(),
                ))
            }
        }
    }
    let (e, _f) = env(&[("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9")], "");
    let sts = Arc::new(Sts(std::sync::Mutex::new(Vec::new())));
    let signer = SigV4Config {
        region: s("us-west-2"),
        access_key: s("AKIDBASE"),
        secret_key: sk("secret"),
        role_arn: s("arn:aws:iam::123456789012:role/writer"),
        external_id: s("ext-1"),
        session_name: s("agent"),
        ..Default::default()
    }
    .build_in(e, Arc::clone(&sts))
    .unwrap();
    assert!(sts.0.lock().unwrap().is_empty(), "building fetched");
    let mut request = http::Request::post("https://aps-workspaces.us-west-2.amazonaws.com/x")
        .body(Vec::new())
        .unwrap();
    signer.sign_body(&mut request).await.unwrap();
    let auth = request.headers()["authorization"].to_str().unwrap();
    assert!(auth.contains("Credential=ASIAROLE/"), "{auth}");
    let asked = sts.0.lock().unwrap().clone();
    assert_eq!(asked.len(), 1);
    assert!(asked[0].contains("Credential=AKIDBASE/"), "{}", asked[0]);
    assert!(asked[0].contains("ExternalId=ext-1"), "{}", asked[0]);
    assert!(asked[0].contains("RoleSessionName=agent"), "{}", asked[0]);
    // The host is checked against the region: another region's endpoint
    // is refused before anything is sent, naming both.
    let mut request = http::Request::post("https://aps-workspaces.eu-west-1.amazonaws.com/x")
        .body(Vec::new())
        .unwrap();
    let err = signer.sign_body(&mut request).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("names region \"eu-west-1\" (the request is signed for \"us-west-2\")"),
        "{err}"
    );
}
