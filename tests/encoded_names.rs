//! Names are compared decoded: every check of a query parameter's name
//! (the parameters presigning adds, the session token, redaction) reads the
//! name as it decodes, however it is spelled; and every signing path (the
//! stages, the per-thread template, `sign_into`, `PreparedRequest`) gives
//! the same answer for such requests.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::{Duration, UNIX_EPOCH};

use awsig::{
    AmzDate, AuthorizationBuf, Credentials, Error, Payload, PayloadHash, Policy, SignableRequest,
    Signer, StringToSign,
};
use proptest::prelude::*;

fn signer() -> Signer {
    let creds = Credentials::with_session_token(
        "AKIDEXAMPLE",
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        "SECRET-SESSION-TOKEN",
        None,
    )
    .unwrap();
    Signer::new(creds, "us-east-1", "s3").unwrap()
}

fn now() -> std::time::SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_440_938_160)
}

/// Presigning refuses a query that already holds one of its parameters,
/// however the name is spelled; the refusal is the same on every attempt
/// (no template ever signs it).
#[test]
fn presigning_refuses_its_own_parameters_in_any_spelling() {
    let signer = signer();
    for key in [
        "X-Amz-Date",
        "X-Amz-D%61te",
        "x-amz-date",
        "X%2DAmz%2DCredential",
        "X-Amz-Security-%54oken",
        "x-amz-signature",
        "X-Amz-Signed%48eaders",
        "X-Amz-%45xpires",
        "X-Amz-Algorithm",
    ] {
        let uri = format!("https://b.s3.amazonaws.com/k?{key}=v");
        let view = SignableRequest::new("GET", &uri, &[]).unwrap();
        for attempt in 0..3 {
            let err = signer
                .presign_output(
                    &view,
                    Duration::from_secs(60),
                    &PayloadHash::Unsigned,
                    now(),
                )
                .unwrap_err();
            assert!(
                matches!(&err, Error::InvalidQuery { reason } if reason.contains("presigning adds")),
                "{key} (attempt {attempt}): {err:?}"
            );
        }
    }
}

/// Header signing refuses a query that carries a presigned signature,
/// however spelled: servers refuse a request signed both ways.
#[test]
fn header_signing_refuses_a_presigned_query_in_any_spelling() {
    let signer = signer();
    for key in ["X-Amz-Signature", "X-Amz-Sign%61ture", "X%2DAmz-Credential"] {
        let uri = format!("https://b.s3.amazonaws.com/k?{key}=v");
        let view = SignableRequest::new("GET", &uri, &[]).unwrap();
        assert!(
            matches!(
                signer.signing_output(&view, &PayloadHash::empty(), now()),
                Err(Error::InvalidQuery { .. })
            ),
            "{key}"
        );
    }
}

/// `Debug` never prints a session token in a query, however its name is
/// spelled.
#[test]
fn debug_redacts_the_token_in_any_spelling() {
    for key in [
        "X-Amz-Security-Token",
        "X-Amz-Security-%54oken",
        "x-amz-security-token",
        "X%2DAmz%2DSecurity%2DToken",
    ] {
        let uri = format!("https://b.s3.amazonaws.com/k?a=1&{key}=SECRET-SESSION-TOKEN");
        let view = SignableRequest::new("GET", &uri, &[]).unwrap();
        let shown = format!("{view:?}");
        assert!(!shown.contains("SECRET-SESSION-TOKEN"), "{key}: {shown}");
        let text = awsig::RequestText::parse(
            format!("GET /k?{key}=SECRET-SESSION-TOKEN HTTP/1.1\nHost: h\n\n").as_bytes(),
        )
        .unwrap();
        assert!(
            !format!("{text:?}").contains("SECRET-SESSION-TOKEN"),
            "{key}"
        );
    }
}

/// The verifier reads `X-Amz-Security-%54oken` as the token, as S3 decodes
/// parameter names: a wrong token in that spelling is refused as a wrong
/// token, and the right one accepted.
#[test]
fn the_verifier_reads_the_token_in_any_spelling() {
    let signer = signer();
    let mut req = http::Request::get("https://b.s3.amazonaws.com/k")
        .body(())
        .unwrap();
    signer
        .presign(
            &mut req,
            Duration::from_secs(60),
            &PayloadHash::Unsigned,
            now(),
        )
        .unwrap();
    let uri = req.uri().to_string();
    let creds = signer.credentials().clone();
    let policy = Policy::new();
    for (from, to, ok) in [
        ("X-Amz-Security-Token=", "X-Amz-Security-%54oken=", true),
        (
            "X-Amz-Security-Token=SECRET-SESSION-TOKEN",
            "X-Amz-Security-%54oken=OTHER",
            false,
        ),
    ] {
        let respelled = uri.replace(from, to);
        assert_ne!(respelled, uri);
        let view = SignableRequest::new("GET", &respelled, &[]).unwrap();
        let result = awsig::verify(&view, Payload::Body(b""), &creds, now(), &policy);
        if ok {
            assert!(result.is_ok(), "{respelled}: {result:?}");
        } else {
            assert_eq!(result.unwrap_err().code(), "InvalidToken", "{respelled}");
        }
    }
}

// ---------------------------------------------------------------------------
// Every path agrees

/// A name, possibly with some of its characters percent-encoded (upper or
/// lower hex): the auth parameter names and a few others.
fn spelled() -> impl Strategy<Value = String> {
    let names = prop::sample::select(vec![
        "X-Amz-Date",
        "X-Amz-Security-Token",
        "X-Amz-Credential",
        "X-Amz-Signature",
        "X-Amz-Expires",
        "x-amz-meta",
        "prefix",
        "a b",
        "~",
    ]);
    (names, prop::collection::vec(any::<(bool, bool)>(), 24)).prop_map(|(name, flips)| {
        let mut out = String::new();
        for (c, (encode, lower)) in name.chars().zip(flips) {
            if encode || c == ' ' {
                let hex = format!("%{:02X}", c as u32);
                out.push_str(&if lower { hex.to_lowercase() } else { hex });
            } else {
                out.push(c);
            }
        }
        out
    })
}

/// What the staged path (canonical request, string to sign, key) gives.
fn staged(signer: &Signer, view: &SignableRequest<'_>, presign: bool) -> Result<String, Error> {
    let date = AmzDate::from_system_time(now()).unwrap();
    let creq = if presign {
        signer.presign_canonical_request(
            view,
            Duration::from_secs(60),
            &PayloadHash::Unsigned,
            now(),
        )?
    } else {
        signer.canonical_request(view, &PayloadHash::empty(), now())?
    };
    Ok(signer
        .signing_key(&date)
        .sign(&StringToSign::new(signer.scope(&date), &creq))
        .as_str()
        .to_owned())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn every_path_agrees_on_encoded_names(
        keys in prop::collection::vec(
            (spelled(), prop::sample::select(vec!["v", "0", "", "20150830T123600Z", "A", "%41"])),
            1..4,
        ),
        presign in any::<bool>(),
    ) {
        // A fresh thread each time, so that its template memo starts empty.
        std::thread::spawn(move || {
            let signer = signer();
            let query: Vec<String> = keys.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let uri = format!("https://b.s3.amazonaws.com/k?{}", query.join("&"));
            let view = SignableRequest::new("GET", &uri, &[]).unwrap();
            let expected = staged(&signer, &view, presign);
            let mut buf = AuthorizationBuf::new();
            // Three times: the third comes from the per-thread template.
            for attempt in 0..3 {
                let got = if presign {
                    signer
                        .presign_output(&view, Duration::from_secs(60), &PayloadHash::Unsigned, now())
                        .map(|o| o.signature().as_str().to_owned())
                } else {
                    signer
                        .signing_output(&view, &PayloadHash::empty(), now())
                        .map(|o| o.signature().as_str().to_owned())
                };
                assert_eq!(got, expected, "{uri} attempt {attempt}");
                if !presign {
                    let into = signer
                        .sign_into(&view, &PayloadHash::empty(), now(), &mut buf)
                        .map(|s| s.as_str().to_owned());
                    assert_eq!(into, expected, "{uri} sign_into");
                    let prepared = signer.prepare(&view).and_then(|p| {
                        p.sign_into(&PayloadHash::empty(), now(), &mut buf)
                            .map(|s| s.as_str().to_owned())
                    });
                    assert_eq!(prepared, expected, "{uri} prepared");
                }
            }
        })
        .join()
        .map_err(|_| TestCaseError::fail("a signing path disagreed"))?;
    }
}
