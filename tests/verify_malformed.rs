//! Malformed `Authorization` headers and presigned queries: each is
//! rejected with the code AWS answers, and nothing panics. The requests are
//! the AWS suite's get-vanilla case with one thing changed.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::{Duration, SystemTime};

use awsig::{
    AmzDate, Credentials, Payload, Policy, Rejection, SignableRequest, Verified,
    parse_authorization, parse_presigned_query,
};
use proptest::prelude::*;

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const SCOPE: &str = "AKIDEXAMPLE/20150830/us-east-1/service/aws4_request";
/// get-vanilla/header-signed-request.txt
const SIG: &str = "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";
/// get-vanilla/query-signed-request.txt
const QSIG: &str = "e93c787ed7f371d5c6b165c1b38ede9550f4dce4144713e844b25b7192d3865d";

fn now() -> SystemTime {
    AmzDate::parse("20150830T123600Z").unwrap().to_system_time()
}

fn policy() -> Policy {
    Policy::new()
        .with_regions(["us-east-1"])
        .with_services(["service"])
}

fn check(
    target: &str,
    headers: &[(&str, &[u8])],
    creds: &Credentials,
    at: SystemTime,
) -> Result<Verified, Rejection> {
    let mut all: Vec<(&str, &[u8])> = vec![("Host", b"example.amazonaws.com")];
    all.extend_from_slice(headers);
    let request = SignableRequest::new("GET", target, &all).unwrap();
    awsig::verify(&request, Payload::Body(b""), creds, at, &policy())
}

fn header_signed(auth: &[u8]) -> Result<Verified, Rejection> {
    let creds = Credentials::new("AKIDEXAMPLE", SECRET).unwrap();
    check(
        "/",
        &[("X-Amz-Date", b"20150830T123600Z"), ("Authorization", auth)],
        &creds,
        now(),
    )
}

fn query_signed(query: &str) -> Result<Verified, Rejection> {
    let creds = Credentials::new("AKIDEXAMPLE", SECRET).unwrap();
    check(&format!("/?{query}"), &[], &creds, now())
}

fn auth(credential: &str, signed: &str, signature: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential={credential}, SignedHeaders={signed}, Signature={signature}"
    )
}

/// The presigned query of get-vanilla with `(name, value)` replaced (value
/// `None` removes the parameter) or appended when not there.
fn query_with(changes: &[(&str, Option<&str>)]) -> String {
    let base = [
        ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
        (
            "X-Amz-Credential",
            "AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request",
        ),
        ("X-Amz-Date", "20150830T123600Z"),
        ("X-Amz-SignedHeaders", "host"),
        ("X-Amz-Expires", "3600"),
        ("X-Amz-Signature", QSIG),
    ];
    let mut out: Vec<String> = Vec::new();
    for (k, v) in base {
        match changes.iter().find(|(n, _)| *n == k) {
            Some((_, Some(new))) => out.push(format!("{k}={new}")),
            Some((_, None)) => {}
            None => out.push(format!("{k}={v}")),
        }
    }
    for (k, v) in changes {
        if !base.iter().any(|(n, _)| n == k) {
            out.push(format!("{k}={}", v.unwrap_or("")));
        }
    }
    out.join("&")
}

#[test]
fn the_unchanged_requests_verify() {
    header_signed(auth(SCOPE, "host;x-amz-date", SIG).as_bytes()).unwrap();
    query_signed(&query_with(&[])).unwrap();
}

#[test]
fn what_real_clients_send_is_tolerated() {
    for value in [
        // No space after the commas.
        format!(
            "AWS4-HMAC-SHA256 Credential={SCOPE},SignedHeaders=host;x-amz-date,Signature={SIG}"
        ),
        // Another order.
        format!(
            "AWS4-HMAC-SHA256 Signature={SIG}, Credential={SCOPE}, SignedHeaders=host;x-amz-date"
        ),
        // Several spaces and tabs, leading and trailing blanks.
        format!(
            "  AWS4-HMAC-SHA256   Credential={SCOPE} ,\tSignedHeaders=host;x-amz-date,   Signature={SIG}  "
        ),
    ] {
        header_signed(value.as_bytes()).unwrap_or_else(|e| panic!("{value}: {e}"));
    }
    // A credential whose slashes are not percent-encoded.
    query_signed(&query_with(&[("X-Amz-Credential", Some(SCOPE))])).unwrap();
    // Parameters in another order, the signature first.
    let q = query_with(&[]);
    let mut parts: Vec<&str> = q.split('&').collect();
    parts.reverse();
    query_signed(&parts.join("&")).unwrap();
}

#[test]
fn malformed_authorization_headers_are_rejected_with_aws_codes() {
    let other_sig = "0".repeat(64);
    let long = format!(
        "{} {}",
        auth(SCOPE, "host;x-amz-date", SIG),
        "x".repeat(20_000)
    );
    let table: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty", b"".to_vec(), "IncompleteSignature"),
        (
            "algorithm only",
            b"AWS4-HMAC-SHA256".to_vec(),
            "IncompleteSignature",
        ),
        (
            "no Signature",
            format!("AWS4-HMAC-SHA256 Credential={SCOPE}, SignedHeaders=host;x-amz-date").into(),
            "IncompleteSignature",
        ),
        (
            "no SignedHeaders",
            format!("AWS4-HMAC-SHA256 Credential={SCOPE}, Signature={SIG}").into(),
            "IncompleteSignature",
        ),
        (
            "no Credential",
            format!("AWS4-HMAC-SHA256 SignedHeaders=host;x-amz-date, Signature={SIG}").into(),
            "IncompleteSignature",
        ),
        (
            "SigV2",
            b"AWS AKIDEXAMPLE:qgk2+6Sv9/oM7G3qLEjTH1a1l1g=".to_vec(),
            "AuthorizationHeaderMalformed",
        ),
        (
            "SigV4a",
            auth(SCOPE, "host;x-amz-date", SIG)
                .replace("AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256")
                .into(),
            "AuthorizationHeaderMalformed",
        ),
        (
            "lowercase algorithm",
            auth(SCOPE, "host;x-amz-date", SIG)
                .replace("AWS4-HMAC-SHA256", "aws4-hmac-sha256")
                .into(),
            "AuthorizationHeaderMalformed",
        ),
        (
            "repeated Signature",
            format!("{}, Signature={SIG}", auth(SCOPE, "host;x-amz-date", SIG)).into(),
            "AuthorizationHeaderMalformed",
        ),
        (
            "repeated Credential",
            format!(
                "{}, Credential={SCOPE}",
                auth(SCOPE, "host;x-amz-date", SIG)
            )
            .into(),
            "AuthorizationHeaderMalformed",
        ),
        (
            "unknown component",
            format!("{}, Foo=bar", auth(SCOPE, "host;x-amz-date", SIG)).into(),
            "AuthorizationHeaderMalformed",
        ),
        (
            "component without '='",
            format!("{}, Signature", auth(SCOPE, "host;x-amz-date", SIG)).into(),
            "AuthorizationHeaderMalformed",
        ),
        (
            "empty component",
            auth(SCOPE, "host;x-amz-date", SIG)
                .replace(", Signature", ",, Signature")
                .into(),
            "AuthorizationHeaderMalformed",
        ),
        (
            "lowercase component name",
            auth(SCOPE, "host;x-amz-date", SIG)
                .replace("Signature=", "signature=")
                .into(),
            "AuthorizationHeaderMalformed",
        ),
        (
            "credential with four parts",
            auth(
                "AKIDEXAMPLE/20150830/us-east-1/aws4_request",
                "host;x-amz-date",
                SIG,
            )
            .into(),
            "AuthorizationHeaderMalformed",
        ),
        (
            "credential with a wrong terminator",
            auth(
                "AKIDEXAMPLE/20150830/us-east-1/service/aws4_requests",
                "host;x-amz-date",
                SIG,
            )
            .into(),
            "AuthorizationHeaderMalformed",
        ),
        (
            "credential date of seven digits",
            auth(
                "AKIDEXAMPLE/2015083/us-east-1/service/aws4_request",
                "host;x-amz-date",
                SIG,
            )
            .into(),
            "AuthorizationHeaderMalformed",
        ),
        (
            "credential date that does not exist",
            auth(
                "AKIDEXAMPLE/20150230/us-east-1/service/aws4_request",
                "host;x-amz-date",
                SIG,
            )
            .into(),
            "AuthorizationHeaderMalformed",
        ),
        (
            "credential without access key id",
            auth(
                "/20150830/us-east-1/service/aws4_request",
                "host;x-amz-date",
                SIG,
            )
            .into(),
            "AuthorizationHeaderMalformed",
        ),
        (
            "credential date other than x-amz-date's",
            auth(
                "AKIDEXAMPLE/20150831/us-east-1/service/aws4_request",
                "host;x-amz-date",
                SIG,
            )
            .into(),
            "AuthorizationHeaderMalformed",
        ),
        (
            "wrong region",
            auth(
                "AKIDEXAMPLE/20150830/us-west-2/service/aws4_request",
                "host;x-amz-date",
                SIG,
            )
            .into(),
            "AuthorizationHeaderMalformed",
        ),
        (
            "wrong service",
            auth(
                "AKIDEXAMPLE/20150830/us-east-1/s3/aws4_request",
                "host;x-amz-date",
                SIG,
            )
            .into(),
            "AuthorizationHeaderMalformed",
        ),
        (
            "unsorted signed headers",
            auth(SCOPE, "x-amz-date;host", SIG).into(),
            "AuthorizationHeaderMalformed",
        ),
        (
            "uppercase signed header",
            auth(SCOPE, "Host;x-amz-date", SIG).into(),
            "AuthorizationHeaderMalformed",
        ),
        (
            "empty signed header name",
            auth(SCOPE, "host;;x-amz-date", SIG).into(),
            "AuthorizationHeaderMalformed",
        ),
        (
            "repeated signed header",
            auth(SCOPE, "host;host;x-amz-date", SIG).into(),
            "AuthorizationHeaderMalformed",
        ),
        (
            "uppercase signature",
            auth(SCOPE, "host;x-amz-date", &SIG.to_uppercase()).into(),
            "AuthorizationHeaderMalformed",
        ),
        (
            "short signature",
            auth(SCOPE, "host;x-amz-date", &SIG[..63]).into(),
            "AuthorizationHeaderMalformed",
        ),
        (
            "non-hex signature",
            auth(SCOPE, "host;x-amz-date", &format!("{}g", &SIG[..63])).into(),
            "AuthorizationHeaderMalformed",
        ),
        ("too long", long.into(), "AuthorizationHeaderMalformed"),
        (
            "not UTF-8",
            [auth(SCOPE, "host;x-amz-date", SIG).as_bytes(), b"\xff"].concat(),
            "AuthorizationHeaderMalformed",
        ),
        (
            "host not signed",
            auth(SCOPE, "x-amz-date", SIG).into(),
            "AccessDenied",
        ),
        (
            "date not signed",
            auth(SCOPE, "host", SIG).into(),
            "AccessDenied",
        ),
        (
            "a signed header the request does not have",
            auth(SCOPE, "host;x-amz-date;x-foo", SIG).into(),
            "SignatureDoesNotMatch",
        ),
        (
            "unknown access key id",
            auth(
                "AKIDOTHER/20150830/us-east-1/service/aws4_request",
                "host;x-amz-date",
                SIG,
            )
            .into(),
            "InvalidAccessKeyId",
        ),
        (
            "another signature",
            auth(SCOPE, "host;x-amz-date", &other_sig).into(),
            "SignatureDoesNotMatch",
        ),
    ];
    assert!(table.len() >= 25);
    for (what, value, code) in &table {
        let err = header_signed(value).expect_err(what);
        assert_eq!(err.code(), *code, "{what}: {err}");
    }
}

/// What is wrong, the target, the headers, the code and the status.
type RequestCase<'a> = (&'a str, String, Vec<(&'a str, &'a [u8])>, &'a str, u16);

#[test]
fn request_level_problems_are_rejected_with_aws_codes() {
    let creds = Credentials::new("AKIDEXAMPLE", SECRET).unwrap();
    let good = auth(SCOPE, "host;x-amz-date", SIG);
    let date: &[u8] = b"20150830T123600Z";
    let cases: Vec<RequestCase<'_>> = vec![
        (
            "not signed",
            "/".into(),
            vec![("X-Amz-Date", date)],
            "AccessDenied",
            403,
        ),
        (
            "two Authorization headers",
            "/".into(),
            vec![
                ("X-Amz-Date", date),
                ("Authorization", good.as_bytes()),
                ("Authorization", good.as_bytes()),
            ],
            "AuthorizationHeaderMalformed",
            400,
        ),
        (
            "no x-amz-date",
            "/".into(),
            vec![("Authorization", good.as_bytes())],
            "AccessDenied",
            403,
        ),
        (
            "x-amz-date in another format",
            "/".into(),
            vec![
                ("X-Amz-Date", b"2015-08-30T12:36:00Z"),
                ("Authorization", good.as_bytes()),
            ],
            "AccessDenied",
            403,
        ),
        (
            "header and query signature",
            format!("/?{}", query_with(&[])),
            vec![("X-Amz-Date", date), ("Authorization", good.as_bytes())],
            "InvalidArgument",
            400,
        ),
        (
            // Unsigned, and not one the credentials have: the unsigned
            // x-amz-* header is refused first, as S3 does.
            "an unsigned session token the credentials do not have",
            "/".into(),
            vec![
                ("X-Amz-Date", date),
                ("X-Amz-Security-Token", b"token"),
                ("Authorization", good.as_bytes()),
            ],
            "AccessDenied",
            403,
        ),
    ];
    for (what, target, headers, code, status) in cases {
        let err = check(&target, &headers, &creds, now()).expect_err(what);
        assert_eq!(
            (err.code(), err.status().as_u16()),
            (code, status),
            "{what}: {err}"
        );
    }
    // The credentials expired before the request came.
    let expired = Credentials::with_session_token(
        "AKIDEXAMPLE",
        SECRET,
        "token",
        Some(now() - Duration::from_secs(1)),
    )
    .unwrap();
    // (The token is not signed here: the policy lets it be, as for a token
    // added after signing.)
    let with_token: Vec<(&str, &[u8])> = vec![
        ("Host", b"example.amazonaws.com"),
        ("X-Amz-Date", date),
        ("X-Amz-Security-Token", b"token"),
        ("Authorization", good.as_bytes()),
    ];
    let request = SignableRequest::new("GET", "/", &with_token).unwrap();
    let lenient = policy().with_unsigned_headers_allowed(["x-amz-security-token"]);
    let err = awsig::verify(&request, Payload::Body(b""), &expired, now(), &lenient).unwrap_err();
    assert_eq!((err.code(), err.status().as_u16()), ("ExpiredToken", 400));
    // The lookup itself fails.
    let failing = |_: &str| -> Result<Option<Credentials>, awsig::LookupError> {
        Err(awsig::LookupError::new("the key store is unreachable"))
    };
    let request_headers: Vec<(&str, &[u8])> = vec![
        ("Host", b"example.amazonaws.com"),
        ("X-Amz-Date", date),
        ("Authorization", good.as_bytes()),
    ];
    let request = SignableRequest::new("GET", "/", &request_headers).unwrap();
    let err = awsig::verify(&request, Payload::Body(b""), &failing, now(), &policy()).unwrap_err();
    assert_eq!((err.code(), err.status().as_u16()), ("InternalError", 500));
}

#[test]
fn malformed_presigned_queries_are_rejected_with_aws_codes() {
    const E: &str = "AuthorizationQueryParametersError";
    let table: Vec<(&str, String, &str)> = vec![
        ("no algorithm", query_with(&[("X-Amz-Algorithm", None)]), E),
        (
            "no credential",
            query_with(&[("X-Amz-Credential", None)]),
            E,
        ),
        ("no date", query_with(&[("X-Amz-Date", None)]), E),
        ("no expires", query_with(&[("X-Amz-Expires", None)]), E),
        (
            "no signed headers",
            query_with(&[("X-Amz-SignedHeaders", None)]),
            E,
        ),
        ("no signature", query_with(&[("X-Amz-Signature", None)]), E),
        (
            "SHA-1 algorithm",
            query_with(&[("X-Amz-Algorithm", Some("AWS4-HMAC-SHA1"))]),
            E,
        ),
        (
            "repeated date",
            format!("{}&X-Amz-Date=20150830T123600Z", query_with(&[])),
            E,
        ),
        (
            "repeated signature",
            format!("{}&X-Amz-Signature={QSIG}", query_with(&[])),
            E,
        ),
        (
            "repeated expires",
            format!("{}&X-Amz-Expires=3600", query_with(&[])),
            E,
        ),
        (
            "expires not a number",
            query_with(&[("X-Amz-Expires", Some("abc"))]),
            E,
        ),
        (
            "negative expires",
            query_with(&[("X-Amz-Expires", Some("-1"))]),
            E,
        ),
        (
            "zero expires",
            query_with(&[("X-Amz-Expires", Some("0"))]),
            E,
        ),
        (
            "expires over 7 days",
            query_with(&[("X-Amz-Expires", Some("604801"))]),
            E,
        ),
        (
            "expires overflowing",
            query_with(&[("X-Amz-Expires", Some("99999999999999999999"))]),
            E,
        ),
        (
            "date without T and Z",
            query_with(&[("X-Amz-Date", Some("20150830123600"))]),
            E,
        ),
        (
            "date that does not exist",
            query_with(&[("X-Amz-Date", Some("20150231T123600Z"))]),
            E,
        ),
        (
            "credential with a wrong terminator",
            query_with(&[(
                "X-Amz-Credential",
                Some("AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4"),
            )]),
            E,
        ),
        (
            "credential date other than X-Amz-Date's",
            query_with(&[(
                "X-Amz-Credential",
                Some("AKIDEXAMPLE%2F20150829%2Fus-east-1%2Fservice%2Faws4_request"),
            )]),
            E,
        ),
        (
            "wrong region",
            query_with(&[(
                "X-Amz-Credential",
                Some("AKIDEXAMPLE%2F20150830%2Feu-west-1%2Fservice%2Faws4_request"),
            )]),
            E,
        ),
        (
            "bad escape in the signature",
            query_with(&[("X-Amz-Signature", Some("%zz"))]),
            E,
        ),
        (
            "uppercase signature",
            query_with(&[("X-Amz-Signature", Some(&QSIG.to_uppercase()))]),
            E,
        ),
        (
            "unsorted signed headers",
            query_with(&[("X-Amz-SignedHeaders", Some("x-amz-date%3Bhost"))]),
            E,
        ),
        (
            "name in the wrong case",
            format!("{}&x-amz-date=20150830T123600Z", query_with(&[])),
            E,
        ),
        (
            "empty token",
            query_with(&[("X-Amz-Security-Token", Some(""))]),
            E,
        ),
        (
            "host not signed",
            query_with(&[("X-Amz-SignedHeaders", Some("x-foo"))]),
            "AccessDenied",
        ),
        (
            "unknown access key id",
            query_with(&[(
                "X-Amz-Credential",
                Some("AKIDOTHER%2F20150830%2Fus-east-1%2Fservice%2Faws4_request"),
            )]),
            "InvalidAccessKeyId",
        ),
        (
            "a token the credentials do not have",
            query_with(&[("X-Amz-Security-Token", Some("abc"))]),
            "InvalidToken",
        ),
        (
            "another signature",
            query_with(&[("X-Amz-Signature", Some(&"1".repeat(64)))]),
            "SignatureDoesNotMatch",
        ),
        (
            "a parameter added",
            format!("{}&extra=1", query_with(&[])),
            "SignatureDoesNotMatch",
        ),
    ];
    assert!(table.len() >= 25);
    for (what, query, code) in &table {
        let err = query_signed(query).expect_err(what);
        assert_eq!(err.code(), *code, "{what}: {err}");
    }
    // Time: before the signing time (beyond the skew), and after the expiry.
    let creds = Credentials::new("AKIDEXAMPLE", SECRET).unwrap();
    let target = format!("/?{}", query_with(&[]));
    let early = now() - Duration::from_secs(15 * 60 + 1);
    let err = check(&target, &[], &creds, early).unwrap_err();
    assert_eq!((err.code(), err.status().as_u16()), ("AccessDenied", 403));
    check(&target, &[], &creds, now() - Duration::from_secs(15 * 60)).unwrap();
    check(&target, &[], &creds, now() + Duration::from_secs(3600)).unwrap();
    let late = now() + Duration::from_secs(3601);
    let err = check(&target, &[], &creds, late).unwrap_err();
    assert_eq!((err.code(), err.status().as_u16()), ("RequestExpired", 400));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    /// The parsers and the verifier never panic, whatever the text.
    #[test]
    fn nothing_panics(text in ".{0,300}", bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = parse_authorization(&text);
        let _ = parse_presigned_query(&text);
        let _ = header_signed(text.as_bytes());
        let _ = header_signed(&bytes);
        let spliced = format!("AWS4-HMAC-SHA256 Credential={text}, SignedHeaders={text}, Signature={text}");
        prop_assert!(header_signed(spliced.as_bytes()).is_err());
        let q = query_with(&[("X-Amz-Credential", Some(&text))]);
        let _ = SignableRequest::new("GET", &format!("/?{q}"), &[]).map(|r| {
            awsig::verify(&r, Payload::Body(b""), &Credentials::new("AKIDEXAMPLE", SECRET).unwrap(), now(), &policy())
        });
    }

    /// Near-valid headers: every component shuffled, spaced and sometimes repeated or dropped.
    #[test]
    fn near_valid_headers_never_panic(
        order in Just(vec![0usize, 1, 2]).prop_shuffle(),
        drop in prop::option::of(0usize..3),
        repeat in prop::option::of(0usize..3),
        spaces in prop::collection::vec("[ \t]{0,3}", 3),
    ) {
        let parts = [
            format!("Credential={SCOPE}"),
            "SignedHeaders=host;x-amz-date".to_owned(),
            format!("Signature={SIG}"),
        ];
        let mut chosen: Vec<&str> = order.iter().filter(|i| Some(**i) != drop).map(|i| parts[*i].as_str()).collect();
        if let Some(r) = repeat {
            chosen.push(&parts[r]);
        }
        let mut value = String::from("AWS4-HMAC-SHA256 ");
        for (i, p) in chosen.iter().enumerate() {
            if i > 0 {
                value.push(',');
                value.push_str(&spaces[i % 3]);
            }
            value.push_str(p);
        }
        let result = header_signed(value.as_bytes());
        let mut count = [1usize; 3];
        if let Some(d) = drop {
            count[d] -= 1;
        }
        if let Some(r) = repeat {
            count[r] += 1;
        }
        if count.iter().any(|c| *c > 1) {
            prop_assert_eq!(result.unwrap_err().code(), "AuthorizationHeaderMalformed");
        } else if count.contains(&0) {
            prop_assert_eq!(result.unwrap_err().code(), "IncompleteSignature");
        } else {
            prop_assert!(result.is_ok(), "{}", value);
        }
    }
}
