//! Round trip: whatever `sign()` or `presign()` accepts verifies, for random
//! requests, times, regions, services and settings; another secret, a
//! clock beyond the skew and an expired URL are rejected with AWS's codes.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use awsig::{
    ContentSha256Header, Credentials, HeaderPolicy, PathNormalization, Payload, PayloadHash,
    Policy, ServiceRules, SessionTokenMode, Settings, Signer, UriEncoding, verify_request,
};
use proptest::prelude::*;

#[derive(Debug, Clone)]
struct Input {
    method: String,
    host: String,
    path: String,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    key_id: String,
    secret: String,
    token: Option<String>,
    region: String,
    service: String,
    settings: Option<Settings>,
    unix: u64,
    presign: Option<u64>,
    offset_permille: u16,
}

fn settings() -> impl Strategy<Value = Option<Settings>> {
    prop::option::of(
        (
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
        )
            .prop_map(|(norm, double, token_after, sha, allow)| {
                Settings::default()
                    .with_path_normalization(if norm {
                        PathNormalization::Enabled
                    } else {
                        PathNormalization::Disabled
                    })
                    .with_uri_encoding(if double {
                        UriEncoding::Double
                    } else {
                        UriEncoding::Single
                    })
                    .with_session_token(if token_after {
                        SessionTokenMode::AddedAfterSigning
                    } else {
                        SessionTokenMode::Signed
                    })
                    .with_content_sha256(if sha {
                        ContentSha256Header::Include
                    } else {
                        ContentSha256Header::Omit
                    })
                    .with_header_policy(if allow {
                        HeaderPolicy::AllowList
                    } else {
                        HeaderPolicy::AllExceptNeverSigned
                    })
            }),
    )
}

fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "([A-Za-z0-9._~!$'()*+,;=:@-]|%[0-9A-Fa-f]{2}){0,10}",
        1 => Just(".".to_owned()),
        1 => Just("..".to_owned()),
    ]
}

fn input() -> impl Strategy<Value = Input> {
    let request = (
        prop_oneof![
            Just("GET".to_owned()),
            Just("PUT".to_owned()),
            Just("POST".to_owned()),
            Just("DELETE".to_owned()),
            Just("HEAD".to_owned()),
            "[A-Z]{1,10}",
        ],
        "[a-z0-9]{1,10}\\.example\\.com(:[0-9]{2,5})?",
        prop::collection::vec(segment(), 0..5).prop_map(|s| format!("/{}", s.join("/"))),
        prop::collection::vec(
            (
                "[A-Za-z0-9._~-]{1,8}",
                "([A-Za-z0-9._~-]|%[0-9A-F]{2}){0,8}",
            ),
            0..5,
        ),
        prop::collection::vec(
            (
                prop_oneof![
                    "x-h-[a-z0-9-]{1,8}",
                    Just("content-type".to_owned()),
                    Just("user-agent".to_owned()),
                    Just("x-amz-meta-a".to_owned()),
                ],
                "[ -~]{0,16}",
            ),
            0..5,
        ),
        prop::collection::vec(any::<u8>(), 0..64),
    );
    let who = (
        "[A-Z0-9]{16,20}",
        "[A-Za-z0-9/+]{20,40}",
        prop::option::of("[A-Za-z0-9/+=]{16,64}"),
        prop_oneof![
            Just("us-east-1".to_owned()),
            Just("eu-west-3".to_owned()),
            "[a-z]{2}-[a-z]{4,9}-[1-9]",
        ],
        prop_oneof![
            Just("s3".to_owned()),
            Just("sqs".to_owned()),
            Just("execute-api".to_owned()),
            Just("aps".to_owned()),
            "[a-z][a-z0-9-]{0,11}",
        ],
        settings(),
    );
    let when = (
        946_684_800u64..4_102_444_800,
        prop::option::of(1u64..=604_800),
        0u16..=1000,
    );
    (request, who, when).prop_map(
        |(
            (method, host, path, query, headers, body),
            (key_id, secret, token, region, service, settings),
            (unix, presign, offset_permille),
        )| Input {
            method,
            host,
            path,
            query,
            headers,
            body,
            key_id,
            secret,
            token,
            region,
            service,
            settings,
            unix,
            presign,
            offset_permille,
        },
    )
}

struct Signed {
    request: http::Request<Vec<u8>>,
    credentials: Credentials,
    policy: Policy,
    signed_at: SystemTime,
}

/// Signs (or presigns) the input; `None` when the signer refuses it.
fn sign(input: &Input) -> Option<Signed> {
    let query: Vec<String> = input
        .query
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let mut uri = format!("https://{}{}", input.host, input.path);
    if !query.is_empty() {
        uri.push('?');
        uri.push_str(&query.join("&"));
    }
    let mut builder = http::Request::builder()
        .method(input.method.as_str())
        .uri(uri);
    for (n, v) in &input.headers {
        builder = builder.header(n, v);
    }
    let mut request = builder.body(input.body.clone()).ok()?;
    let credentials =
        Credentials::build(&input.key_id, &input.secret, input.token.as_deref(), None).ok()?;
    let mut signer = Signer::new(credentials.clone(), &input.region, &input.service).ok()?;
    let mut policy = Policy::new()
        .with_regions([input.region.clone()])
        .with_services([input.service.clone()]);
    if let Some(settings) = input.settings {
        signer = signer.with_settings(settings);
        policy = policy.with_rules(ServiceRules::Fixed(settings));
    }
    let signed_at = UNIX_EPOCH + Duration::from_secs(input.unix);
    let result = match input.presign {
        None => signer.sign(&mut request, &PayloadHash::of(&input.body), signed_at),
        Some(expires) => {
            let payload = if signer.settings().content_sha256 == ContentSha256Header::Include {
                PayloadHash::Unsigned
            } else {
                PayloadHash::of(&input.body)
            };
            signer.presign(
                &mut request,
                Duration::from_secs(expires),
                &payload,
                signed_at,
            )
        }
    };
    result.ok()?;
    Some(Signed {
        request,
        credentials,
        policy,
        signed_at,
    })
}

const SKEW: u64 = 15 * 60;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1500))]

    #[test]
    fn whatever_is_signed_verifies(input in input()) {
        let Some(s) = sign(&input) else {
            // The signer refused the input: nothing to verify.
            return Ok(());
        };
        let body = Payload::Body(&input.body);
        // Any time the request is valid at: within the skew of a header
        // signature, or between the signing time and the expiry of a URL.
        let window = input.presign.unwrap_or(SKEW);
        let later = s.signed_at + Duration::from_secs(window * u64::from(input.offset_permille) / 1000);
        let ok = verify_request(&s.request, body, &s.credentials, later, &s.policy);
        prop_assert!(ok.is_ok(), "{:?}", ok.map(|_| ()).map_err(|e| (e.code(), e.to_string(), e.mismatch().map(|m| m.canonical_request().to_string()))));
        let ok = ok.unwrap();
        prop_assert_eq!(ok.access_key_id(), input.key_id.as_str());
        prop_assert_eq!(ok.service().as_str(), input.service.as_str());

        // Another secret for the same key id.
        let other = Credentials::build(&input.key_id, "another/secret+key", input.token.as_deref(), None).unwrap();
        let err = verify_request(&s.request, body, &other, later, &s.policy).unwrap_err();
        prop_assert_eq!(err.code(), "SignatureDoesNotMatch");
        prop_assert_eq!(err.status().as_u16(), 403);
        let shown = format!("{err:?} {err}");
        prop_assert!(!shown.contains(&input.secret));

        // An unknown key id.
        let stranger = Credentials::new("AKIDSTRANGER", &input.secret).unwrap();
        let err = verify_request(&s.request, body, &stranger, later, &s.policy).unwrap_err();
        prop_assert_eq!((err.code(), err.status().as_u16()), ("InvalidAccessKeyId", 403));

        let extra = Duration::from_secs(1 + u64::from(input.offset_permille) * 1000);
        match input.presign {
            None => {
                let late = s.signed_at + Duration::from_secs(SKEW) + extra;
                let err = verify_request(&s.request, body, &s.credentials, late, &s.policy).unwrap_err();
                prop_assert_eq!((err.code(), err.status().as_u16()), ("RequestTimeTooSkewed", 403));
                let early = s.signed_at - Duration::from_secs(SKEW) - extra;
                let err = verify_request(&s.request, body, &s.credentials, early, &s.policy).unwrap_err();
                prop_assert_eq!((err.code(), err.status().as_u16()), ("RequestTimeTooSkewed", 403));
            }
            Some(expires) => {
                let late = s.signed_at + Duration::from_secs(expires) + extra;
                let err = verify_request(&s.request, body, &s.credentials, late, &s.policy).unwrap_err();
                prop_assert_eq!((err.code(), err.status().as_u16()), ("RequestExpired", 400));
                let early = s.signed_at - Duration::from_secs(SKEW) - extra;
                let err = verify_request(&s.request, body, &s.credentials, early, &s.policy).unwrap_err();
                prop_assert_eq!((err.code(), err.status().as_u16()), ("AccessDenied", 403));
                // A policy with a shorter maximum expiry refuses longer URLs.
                if expires > 1 {
                    let strict = s.policy.clone().with_max_presign_expiry(Duration::from_secs(expires - 1));
                    let err = verify_request(&s.request, body, &s.credentials, later, &strict).unwrap_err();
                    prop_assert_eq!((err.code(), err.status().as_u16()), ("AuthorizationQueryParametersError", 400));
                }
            }
        }
    }
}

#[test]
fn the_generator_mostly_produces_signable_requests() {
    // The property is only worth something if most inputs get signed.
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = input();
    let mut signed = 0;
    let mut presigned = 0;
    for _ in 0..500 {
        let input = strategy.new_tree(&mut runner).unwrap().current();
        if sign(&input).is_some() {
            signed += 1;
            if input.presign.is_some() {
                presigned += 1;
            }
        }
    }
    assert!(signed > 400, "only {signed} of 500 inputs were signed");
    assert!(
        presigned > 150,
        "only {presigned} of 500 inputs were presigned"
    );
}
