//! Vectors signed by botocore (the AWS CLI's signer), re-signed by awsig.
//!
//! `testdata/botocore/vectors.json` is written by
//! `testdata/botocore/generate.py`; see the README there for how botocore
//! departs from the spec and how the generator keeps those inputs out.
//! One departure shows in the output and is handled here: botocore rebuilds
//! a presigned URL's own query, writing a key without '=' as `key=`, while
//! awsig appends its parameters to the query exactly as the caller wrote it
//! (both sign the same canonical query). Presigned URLs are therefore
//! compared as: same base, same added `X-Amz-*` parameters,
//! and the same caller parameters once `key` is read as `key=`. The added
//! parameters are compared without regard to order, except that
//! `X-Amz-Signature` is last: botocore writes `X-Amz-Expires` before
//! `X-Amz-SignedHeaders`, the AWS suite's signed requests (which awsig
//! follows) after, and order carries no meaning in a query.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::Duration;

use awsig::{
    AmzDate, ContentSha256Header, Credentials, PayloadHash, Settings, SignableRequest, Signer,
    StringToSign,
};
use base64::Engine;

fn caller_params(query: &str) -> Vec<String> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            if p.contains('=') {
                p.to_owned()
            } else {
                format!("{p}=")
            }
        })
        .collect()
}

/// Splits a presigned URL into base, caller parameters and added parameters.
fn split_signed_url(url: &str) -> (String, Vec<String>, Vec<String>) {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let params: Vec<&str> = query.split('&').filter(|p| !p.is_empty()).collect();
    let first_added = params
        .iter()
        .position(|p| p.starts_with("X-Amz-Algorithm="))
        .expect("a presigned URL has X-Amz-Algorithm");
    let caller = caller_params(&params[..first_added].join("&"));
    let added = params[first_added..]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    (base.to_owned(), caller, added)
}

#[test]
fn every_botocore_vector_matches() {
    let text = std::fs::read_to_string("testdata/botocore/vectors.json").unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let vectors = doc["vectors"].as_array().unwrap();
    assert!(
        vectors.len() >= 300,
        "expected at least 300 vectors, found {}",
        vectors.len()
    );

    let mut failures = Vec::new();
    let mut checked = 0;
    let mut undeclared_refused = 0;
    for v in vectors {
        let name = v["name"].as_str().unwrap();
        let service = v["service"].as_str().unwrap();
        let creds = &v["credentials"];
        let credentials = Credentials::build(
            creds["access_key_id"].as_str().unwrap(),
            creds["secret_access_key"].as_str().unwrap(),
            creds["session_token"].as_str(),
            None,
        )
        .unwrap();
        let body = base64::engine::general_purpose::STANDARD
            .decode(v["body_base64"].as_str().unwrap())
            .unwrap();
        let unsigned = v["payload"].as_str().unwrap() == "unsigned";
        let payload = if unsigned {
            PayloadHash::Unsigned
        } else {
            PayloadHash::of(&body)
        };
        let query_signing = v["signing"].as_str().unwrap() == "query";
        let mut settings = Settings::for_service(service);
        if unsigned && !query_signing {
            // An unsigned payload is declared in x-amz-content-sha256.
            settings = settings.with_content_sha256(ContentSha256Header::Include);
        }
        let signer = Signer::new(credentials, v["region"].as_str().unwrap(), service)
            .unwrap()
            .with_settings(settings);
        let now = AmzDate::parse_rfc3339(v["time"].as_str().unwrap())
            .unwrap()
            .to_system_time();
        let date = AmzDate::from_system_time(now).unwrap();

        let headers: Vec<(String, String)> = v["headers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                (
                    h[0].as_str().unwrap().to_owned(),
                    h[1].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        let pairs: Vec<(&str, &[u8])> = headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_bytes()))
            .collect();
        // The URL as the client sends it: for the S3 `wire-path` vectors,
        // botocore signed S3's reading of this path (see the README).
        let url = v["sent_url"].as_str().unwrap_or(v["url"].as_str().unwrap());
        let request = SignableRequest::new(v["method"].as_str().unwrap(), url, &pairs).unwrap();
        let expected = &v["expected"];
        if service == "s3" && request.path().contains('+') {
            // S3 reads a raw '+' as a space; signing refuses the path and
            // names both spellings (the verifier accepts botocore's
            // signature of S3's reading: tests/verify_botocore.rs).
            let refused =
                |r: Result<(), awsig::Error>| matches!(r, Err(awsig::Error::PlusInPath { .. }));
            let expires = Duration::from_secs(60);
            assert!(
                refused(signer.signing_output(&request, &payload, now).map(drop)),
                "{name}"
            );
            assert!(
                refused(
                    signer
                        .presign_output(&request, expires, &PayloadHash::Unsigned, now)
                        .map(drop)
                ),
                "{name}"
            );
            checked += 1;
            continue;
        }

        let mut check = |stage: &str, got: &str, want: &str| {
            if got != want {
                failures.push(format!(
                    "{name}: {stage}\n--- botocore\n{want}\n--- awsig\n{got}\n"
                ));
            }
        };
        if query_signing {
            let expires = Duration::from_secs(v["expires"].as_u64().unwrap());
            let creq = signer
                .presign_canonical_request(&request, expires, &payload, now)
                .unwrap();
            check(
                "canonical request",
                &creq.to_string(),
                expected["canonical_request"].as_str().unwrap(),
            );
            let sts = StringToSign::new(signer.scope(&date), &creq);
            check(
                "string to sign",
                &sts.to_string(),
                expected["string_to_sign"].as_str().unwrap(),
            );
            // botocore presigns UNSIGNED-PAYLOAD for a service that hashes
            // the body of a presigned request (when payload signing is
            // off): the stages reproduce it, and presigning refuses to make
            // that URL, which such a server (and the verifier) would reject.
            let undeclared = payload == PayloadHash::Unsigned
                && Settings::for_service(v["service"].as_str().unwrap()).content_sha256
                    == ContentSha256Header::Omit
                && !pairs
                    .iter()
                    .any(|(n, _)| n.eq_ignore_ascii_case("x-amz-content-sha256"));
            if undeclared {
                let staged = signer.signing_key(&date).sign(&sts);
                check(
                    "signature (stages)",
                    staged.as_str(),
                    expected["signature"].as_str().unwrap(),
                );
                let refused = signer.presign_output(&request, expires, &payload, now);
                assert!(
                    matches!(refused, Err(awsig::Error::PayloadNotDeclared { .. })),
                    "{name}: {refused:?}"
                );
                undeclared_refused += 1;
                checked += 1;
                continue;
            }
            let out = signer
                .presign_output(&request, expires, &payload, now)
                .unwrap();
            check(
                "signature",
                out.signature().as_str(),
                expected["signature"].as_str().unwrap(),
            );
            let (base, query) = url.split_once('?').unwrap_or((url, ""));
            let ours = format!("{base}?{}", out.append_to_query(query));
            // Presigned twice in a row, the shape becomes this thread's
            // template: the third presigning comes from it, and so does one
            // at another time, with another payload.
            for _ in 0..2 {
                let again = signer
                    .presign_output(&request, expires, &payload, now)
                    .unwrap();
                check(
                    "URL from the template",
                    &again.append_to_query(query),
                    &out.append_to_query(query),
                );
            }
            let later = now + Duration::from_secs(86_400 + 61);
            // Another payload where the service reads one from the body.
            let other = if payload == PayloadHash::Unsigned {
                payload
            } else {
                PayloadHash::of(b"another body")
            };
            let creq = signer
                .presign_canonical_request(&request, expires, &other, later)
                .unwrap();
            let later_date = AmzDate::from_system_time(later).unwrap();
            let staged = signer
                .signing_key(&later_date)
                .sign(&StringToSign::new(signer.scope(&later_date), &creq));
            let again = signer
                .presign_output(&request, expires, &other, later)
                .unwrap();
            check(
                "signature from the template, later",
                again.signature().as_str(),
                staged.as_str(),
            );
            let (ob, oc, oa) = split_signed_url(&ours);
            let (mut bb, bc, ba) = split_signed_url(expected["signed_url"].as_str().unwrap());
            if let Some(sent) = v["sent_url"].as_str() {
                bb = sent.split_once('?').map_or(sent, |(b, _)| b).to_owned();
            }
            check("signed URL base", &ob, &bb);
            check("signed URL caller parameters", &oc.join("&"), &bc.join("&"));
            // The added parameters may come in any order (botocore puts
            // X-Amz-Expires before X-Amz-SignedHeaders, the AWS suite after);
            // the signature is last in both.
            let sorted = |mut v: Vec<String>| {
                let last = v.pop();
                v.sort();
                v.extend(last);
                v.join("&")
            };
            check("signed URL added parameters", &sorted(oa), &sorted(ba));
        } else {
            let creq = signer.canonical_request(&request, &payload, now).unwrap();
            check(
                "canonical request",
                &creq.to_string(),
                expected["canonical_request"].as_str().unwrap(),
            );
            check(
                "signed headers",
                creq.signed_headers(),
                expected["signed_headers"].as_str().unwrap(),
            );
            let sts = StringToSign::new(signer.scope(&date), &creq);
            check(
                "string to sign",
                &sts.to_string(),
                expected["string_to_sign"].as_str().unwrap(),
            );
            let out = signer.signing_output(&request, &payload, now).unwrap();
            check(
                "signature",
                out.signature().as_str(),
                expected["signature"].as_str().unwrap(),
            );
            check(
                "authorization",
                out.authorization(),
                expected["authorization"].as_str().unwrap(),
            );
        }
        checked += 1;
    }
    println!("botocore: {checked} vectors checked");
    assert_eq!(checked, vectors.len());
    // The generator's four presigned UNSIGNED-PAYLOAD vectors of services
    // that hash the body.
    assert_eq!(undeclared_refused, 4);
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
