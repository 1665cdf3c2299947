//! Every request botocore signed (testdata/botocore/vectors.json) verifies:
//! the request is rebuilt from the vector as botocore sent it (the URL and
//! headers, plus the headers botocore added; or the presigned URL).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use awsig::{AmzDate, Credentials, Payload, Policy, SignableRequest};
use base64::Engine;
use serde_json::Value;

const VECTORS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/testdata/botocore/vectors.json"
);

struct Vector {
    v: Value,
}

impl Vector {
    fn s(&self, key: &str) -> &str {
        self.v[key].as_str().unwrap()
    }

    fn credentials(&self) -> Credentials {
        let c = &self.v["credentials"];
        Credentials::build(
            c["access_key_id"].as_str().unwrap(),
            c["secret_access_key"].as_str().unwrap(),
            c["session_token"].as_str(),
            None,
        )
        .unwrap()
    }

    fn body(&self) -> Vec<u8> {
        base64::engine::general_purpose::STANDARD
            .decode(self.s("body_base64"))
            .unwrap()
    }

    /// The headers as botocore sent them: the given ones plus the ones it
    /// adds (see testdata/botocore/README.md).
    fn headers(&self) -> Vec<(String, Vec<u8>)> {
        let mut out: Vec<(String, Vec<u8>)> = self.v["headers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                (
                    h[0].as_str().unwrap().to_owned(),
                    h[1].as_str().unwrap().as_bytes().to_vec(),
                )
            })
            .collect();
        if self.s("signing") == "header" {
            let time = self.s("time").replace(['-', ':'], "");
            out.push(("X-Amz-Date".into(), time.into_bytes()));
            if let Some(token) = self.v["credentials"]["session_token"].as_str() {
                out.push(("X-Amz-Security-Token".into(), token.as_bytes().to_vec()));
            }
            let unsigned = self.s("payload") == "unsigned";
            if self.s("service") == "s3" || unsigned {
                let value = if unsigned {
                    "UNSIGNED-PAYLOAD".to_owned()
                } else {
                    // The last line of botocore's canonical request.
                    let creq = self.v["expected"]["canonical_request"].as_str().unwrap();
                    creq.rsplit('\n').next().unwrap().to_owned()
                };
                out.push(("X-Amz-Content-SHA256".into(), value.into_bytes()));
            }
            out.push((
                "Authorization".into(),
                self.v["expected"]["authorization"]
                    .as_str()
                    .unwrap()
                    .as_bytes()
                    .to_vec(),
            ));
        }
        out
    }

    /// The URL as sent: botocore signs the host lower-cased, and its HTTP
    /// stack (urllib3) sends it lower-cased too. For the S3 `wire-path`
    /// vectors, the path is the one in `sent_url` (botocore signed S3's
    /// reading of it).
    fn url(&self) -> String {
        let signed = match self.s("signing") {
            "header" => self.s("url"),
            _ => self.v["expected"]["signed_url"].as_str().unwrap(),
        };
        let replaced;
        let url = match self.v["sent_url"].as_str() {
            Some(sent) => {
                let query = signed.split_once('?').map(|(_, q)| q);
                replaced = match query {
                    Some(q) => format!("{sent}?{q}"),
                    None => sent.to_owned(),
                };
                replaced.as_str()
            }
            None => signed,
        };
        let (scheme, rest) = url.split_once("://").unwrap();
        let end = rest.find(['/', '?']).unwrap_or(rest.len());
        format!(
            "{scheme}://{}{}",
            rest[..end].to_ascii_lowercase(),
            &rest[end..]
        )
    }
}

#[test]
fn every_botocore_vector_verifies() {
    let doc: Value = serde_json::from_slice(&std::fs::read(VECTORS).unwrap()).unwrap();
    let vectors = doc["vectors"].as_array().unwrap();
    assert!(vectors.len() >= 600);
    let mut checked = 0;
    for v in vectors {
        let v = Vector { v: v.clone() };
        let name = v.s("name");
        let headers = v.headers();
        let pairs: Vec<(&str, &[u8])> = headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_slice()))
            .collect();
        let url = v.url();
        let request = SignableRequest::new(v.s("method"), &url, &pairs).unwrap();
        let body = v.body();
        let now = AmzDate::parse_rfc3339(v.s("time"))
            .unwrap()
            .to_system_time();
        let policy = Policy::new()
            .with_regions([v.s("region")])
            .with_services([v.s("service")]);
        // S3 presigned URLs sign UNSIGNED-PAYLOAD, which the verifier knows
        // from the service. Other services presigned with payload signing
        // turned off (vectors `query-*-unsigned-payload-*`) sign it too: the
        // server states that it expects it.
        let payload = if v.s("signing") == "query" && v.s("payload") == "unsigned" {
            Payload::Hash(awsig::PayloadHash::Unsigned)
        } else {
            Payload::Body(&body)
        };
        let creds = v.credentials();
        match awsig::verify(&request, payload, &creds, now, &policy) {
            Ok(ok) => {
                assert_eq!(
                    ok.signature().as_str(),
                    v.v["expected"]["signature"].as_str().unwrap(),
                    "{name}"
                );
                assert_eq!(
                    ok.signed_headers().join(";"),
                    v.v["expected"]["signed_headers"].as_str().unwrap(),
                    "{name}"
                );
            }
            Err(e) => {
                let computed = e
                    .mismatch()
                    .map(|m| m.canonical_request().to_string())
                    .unwrap_or_default();
                panic!(
                    "{name}: {} ({e})\ncomputed:\n{computed}\nbotocore:\n{}",
                    e.code(),
                    v.v["expected"]["canonical_request"].as_str().unwrap()
                );
            }
        }
        checked += 1;
    }
    assert_eq!(checked, vectors.len());
}
