//! SigV4a against an implementation we did not write: aws-sigv4 1.6.4 (the
//! AWS SDK for Rust's signer), on generated requests of many shapes, both
//! ways (feature `sigv4a`).
//!
//! - What aws-sigv4 signs, awsig's verifier accepts.
//! - What awsig signs verifies with the public key of the private key that
//!   aws-sigv4 derives (computed by `p256` directly, not by awsig), over
//!   awsig's string to sign; aws-sigv4's signature of the same request
//!   verifies over that same text, so both signed the same bytes.
//! - Everything but the signatures is the same in both signed requests.
#![cfg(feature = "sigv4a")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sigv4::http_request::{
    PayloadChecksumKind, PercentEncodingMode, SignableBody, SignatureLocation, SigningSettings,
    UriPathNormalizationMode,
};
use aws_smithy_runtime_api::client::identity::Identity;
use awsig::v4a::{Signer, StringToSign};
use awsig::{AmzDate, Credentials, Payload, PayloadHash, Policy, SignableRequest, verify_request};
use p256::ecdsa::signature::Verifier;

const ACCESS_KEY_ID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const TOKEN: &str = "IQoJb3JpZ2luX2VjEXAMPLETOKEN+/=abc123";

/// A small deterministic generator (xorshift64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() % items.len() as u64) as usize]
    }
}

struct Case {
    method: &'static str,
    uri: String,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    service: &'static str,
    region_set: &'static str,
    served: &'static str,
    token: bool,
    presign: bool,
    time: SystemTime,
}

fn case(rng: &mut Rng, presign: bool) -> Case {
    let service = *rng.pick(&["s3", "execute-api", "cloudfront-keyvaluestore", "events"]);
    let (region_set, served) = *rng.pick(&[
        ("us-east-1", "us-east-1"),
        ("us-east-1,us-west-2", "us-west-2"),
        ("*", "eu-central-1"),
        ("eu-west-1,eu-west-2,ap-south-1", "ap-south-1"),
    ]);
    let host = if service == "s3" {
        "mfzwi23gnjvgw.mrap.accesspoint.s3-global.amazonaws.com"
    } else {
        "global.example.amazonaws.com"
    };
    // Reserved characters appear encoded: with S3's single encoding,
    // aws-sigv4 signs a raw '=' or '+' in the path as sent, where awsig
    // encodes it; and awsig reads an encoded '/' in an S3 path as a '/'
    // (SigV4 canonicalization questions, the same for SigV4a).
    let segments = [
        "reports",
        "2024",
        "a%20b",
        "caf%C3%A9",
        "x~y_z-1.2",
        "plus%2Bsign",
        "key%3Dvalue",
        "",
    ];
    let mut path = String::new();
    for _ in 0..(1 + rng.next() % 4) {
        path.push('/');
        let segment = *rng.pick(&segments);
        path.push_str(segment);
    }
    let params = [
        "list-type=2",
        "prefix=logs%2F2024",
        "max-keys=100",
        "tagging",
        "marker=a%20b",
        "versionId=3%2BL4k",
        "empty=",
        "%C3%A9t%C3%A9=summer",
    ];
    let mut query = Vec::new();
    for _ in 0..(rng.next() % 4) {
        let p = *rng.pick(&params);
        if !query.contains(&p) {
            query.push(p);
        }
    }
    let uri = if query.is_empty() {
        format!("https://{host}{path}")
    } else {
        format!("https://{host}{path}?{}", query.join("&"))
    };
    let mut headers = Vec::new();
    // No tab in a value: awsig collapses tabs with spaces, aws-sigv4 keeps
    // them (again a SigV4 canonicalization question).
    let optional: [(&str, &[&str]); 4] = [
        (
            "content-type",
            &["text/csv", "application/json", "application/octet-stream"],
        ),
        ("x-amz-meta-owner", &["ops", "data  team", " padded "]),
        ("x-custom", &["1", "a,b", "a  b   c"]),
        ("content-md5", &["1B2M2Y8AsgTpgAmY7PhCfg=="]),
    ];
    for (name, values) in optional {
        if rng.next().is_multiple_of(2) {
            headers.push((name, (*rng.pick(values)).to_owned()));
        }
    }
    let method = *rng.pick(&["GET", "PUT", "POST", "DELETE", "HEAD"]);
    let body = if matches!(method, "PUT" | "POST") {
        (0..(rng.next() % 300))
            .map(|i| (i * 7 % 251) as u8)
            .collect()
    } else {
        Vec::new()
    };
    Case {
        method,
        uri,
        headers,
        body,
        service,
        region_set,
        served,
        token: rng.next().is_multiple_of(3),
        presign,
        time: UNIX_EPOCH + Duration::from_secs(1_600_000_000 + rng.next() % 300_000_000),
    }
}

impl Case {
    fn request(&self) -> http::Request<Vec<u8>> {
        let mut b = http::Request::builder().method(self.method).uri(&self.uri);
        for (n, v) in &self.headers {
            b = b.header(*n, v.as_str());
        }
        b.body(self.body.clone()).unwrap()
    }

    fn s3(&self) -> bool {
        self.service == "s3"
    }

    fn payload(&self) -> PayloadHash {
        if self.presign && self.s3() {
            PayloadHash::Unsigned
        } else {
            PayloadHash::of(&self.body)
        }
    }

    fn credentials(&self) -> Credentials {
        if self.token {
            Credentials::with_session_token(ACCESS_KEY_ID, SECRET, TOKEN, None).unwrap()
        } else {
            Credentials::new(ACCESS_KEY_ID, SECRET).unwrap()
        }
    }

    fn awsig(&self) -> (http::Request<Vec<u8>>, String) {
        let signer = Signer::new(self.credentials(), self.region_set, self.service).unwrap();
        let mut req = self.request();
        let sig = if self.presign {
            signer
                .presign(
                    &mut req,
                    Duration::from_secs(900),
                    &self.payload(),
                    self.time,
                )
                .unwrap()
        } else {
            signer.sign(&mut req, &self.payload(), self.time).unwrap()
        };
        (req, sig.as_str().to_owned())
    }

    /// awsig's string to sign for the request.
    fn string_to_sign(&self) -> String {
        let signer = Signer::new(self.credentials(), self.region_set, self.service).unwrap();
        let req = self.request();
        let view = SignableRequest::from_request(&req).unwrap();
        let creq = if self.presign {
            signer
                .presign_canonical_request(
                    &view,
                    Duration::from_secs(900),
                    &self.payload(),
                    self.time,
                )
                .unwrap()
        } else {
            signer
                .canonical_request(&view, &self.payload(), self.time)
                .unwrap()
        };
        let date = AmzDate::from_system_time(self.time).unwrap();
        StringToSign::new(signer.scope(&date), &creq).to_string()
    }

    fn aws(&self) -> (http::Request<Vec<u8>>, String) {
        let identity: Identity = aws_credential_types::Credentials::new(
            ACCESS_KEY_ID,
            SECRET,
            self.token.then(|| TOKEN.to_owned()),
            None,
            "test",
        )
        .into();
        let mut settings = SigningSettings::default();
        if self.s3() {
            settings.percent_encoding_mode = PercentEncodingMode::Single;
            settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
            if !self.presign {
                settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
            }
        }
        if self.presign {
            settings.signature_location = SignatureLocation::QueryParams;
            settings.expires_in = Some(Duration::from_secs(900));
        }
        let params = aws_sigv4::sign::v4a::SigningParams::builder()
            .identity(&identity)
            .region_set(self.region_set)
            .name(self.service)
            .time(self.time)
            .settings(settings)
            .build()
            .unwrap()
            .into();
        let mut req = self.request();
        let body = if self.presign && self.s3() {
            SignableBody::UnsignedPayload
        } else {
            SignableBody::Bytes(&self.body)
        };
        let headers = self.headers.iter().map(|(n, v)| (*n, v.as_str()));
        let signable = aws_sigv4::http_request::SignableRequest::new(
            self.method,
            self.uri.clone(),
            headers,
            body,
        )
        .unwrap();
        let (instructions, signature) = aws_sigv4::http_request::sign(signable, &params)
            .unwrap()
            .into_parts();
        instructions.apply_to_request_http1x(&mut req);
        (req, signature)
    }
}

/// The request with its signature (header or query) replaced by `SIG`, its
/// headers and its query parameters sorted (their order carries no
/// meaning for the signature; the two signers append the query signing
/// parameters in different orders).
fn without_signature(req: &http::Request<Vec<u8>>, sig: &str) -> String {
    let mut headers: Vec<(String, String)> = req
        .headers()
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_str().unwrap().replace(sig, "SIG")))
        .collect();
    headers.sort();
    let uri = req.uri().to_string().replace(sig, "SIG");
    let (base, query) = uri.split_once('?').unwrap_or((&uri, ""));
    let mut params: Vec<&str> = query.split('&').collect();
    params.sort_unstable();
    format!("{} {base}?{}\n{headers:?}", req.method(), params.join("&"))
}

#[test]
fn awsig_and_aws_sigv4_agree_both_ways() {
    let aws_private = aws_sigv4::sign::v4a::generate_signing_key(ACCESS_KEY_ID, SECRET);
    let aws_key = *p256::ecdsa::SigningKey::from_slice(aws_private.as_ref())
        .unwrap()
        .verifying_key();
    let mut rng = Rng(0x5eed_1234_abcd_0042);
    let (mut header_cases, mut query_cases) = (0, 0);
    for i in 0..240 {
        let case = case(&mut rng, i % 2 == 1);
        let what = format!(
            "{} {} ({} in {}, presign {})",
            case.method, case.uri, case.service, case.region_set, case.presign
        );
        let policy = Policy::new().with_regions([case.served]);
        let creds = case.credentials();

        // aws-sigv4 signs, awsig verifies.
        let (aws_req, aws_sig) = case.aws();
        let ok = verify_request(
            &aws_req,
            Payload::Body(&case.body),
            &creds,
            case.time,
            &policy,
        )
        .unwrap_or_else(|e| {
            panic!(
                "{what}: aws-sigv4's request refused: {e}\n{:?}\n{}",
                aws_req.headers(),
                e.mismatch()
                    .map(|m| m.canonical_request().to_string())
                    .unwrap_or_default()
            )
        });
        assert_eq!(ok.region_set().unwrap().as_str(), case.region_set, "{what}");

        // awsig signs; aws-sigv4's key verifies it over awsig's string to
        // sign, which aws-sigv4's own signature also verifies over.
        let (ours_req, ours_sig) = case.awsig();
        let sts = case.string_to_sign();
        for (who, sig) in [("awsig", &ours_sig), ("aws-sigv4", &aws_sig)] {
            let der =
                p256::ecdsa::DerSignature::try_from(hex::decode(sig).unwrap().as_slice()).unwrap();
            assert!(
                aws_key.verify(sts.as_bytes(), &der).is_ok(),
                "{what}: {who}'s signature does not verify over awsig's string to sign"
            );
        }
        // And the two signed requests differ only in their signatures.
        assert_eq!(
            without_signature(&ours_req, &ours_sig),
            without_signature(&aws_req, &aws_sig),
            "{what}"
        );
        verify_request(
            &ours_req,
            Payload::Body(&case.body),
            &creds,
            case.time,
            &policy,
        )
        .unwrap_or_else(|e| panic!("{what}: awsig's own request refused: {e}"));
        if case.presign {
            query_cases += 1;
        } else {
            header_cases += 1;
        }
    }
    assert!(header_cases >= 100 && query_cases >= 100);
    assert_eq!(header_cases + query_cases, 240);
}
