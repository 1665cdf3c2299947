//! SigV4a's parsers of client text: the region set, the signature, the
//! public key, and (through `verify`) the `AWS4-ECDSA-P256-SHA256`
//! Authorization header and presigned query. What parses prints back as
//! read; nothing panics.
#![no_main]

use std::time::{Duration, UNIX_EPOCH};

use awsig::v4a::{PublicKey, RegionSet, Signature};
use awsig::{Credentials, Payload, Policy, SignableRequest, verify};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(set) = RegionSet::new(&text) {
        assert_eq!(set.as_str(), text);
        for region in set.regions() {
            if !region.contains('*') {
                assert!(set.contains(region));
            }
        }
        assert!(set.contains("us-east-1") || !set.regions().any(|r| r == "*"));
    }
    if let Some(sig) = Signature::parse(&text) {
        assert_eq!(sig.as_str(), text);
        assert_eq!(Signature::parse(sig.as_str()), Some(sig));
    }
    if let Ok(key) = PublicKey::from_sec1_bytes(data) {
        let again = PublicKey::from_sec1_bytes(&key.to_sec1_bytes()).unwrap();
        assert_eq!(again, key);
    }

    // The text as the rest of a SigV4a Authorization header, and as a
    // presigned query.
    let creds =
        Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY").unwrap();
    let now = UNIX_EPOCH + Duration::from_secs(1_440_938_160);
    let auth = format!("AWS4-ECDSA-P256-SHA256 {text}");
    let headers: &[(&str, &[u8])] = &[
        ("host", b"example.amazonaws.com"),
        ("x-amz-date", b"20150830T123600Z"),
        ("x-amz-region-set", b"us-east-1"),
        ("authorization", auth.as_bytes()),
    ];
    if let Ok(req) = SignableRequest::new("GET", "/", headers) {
        let _ = verify(&req, Payload::Body(b""), &creds, now, &Policy::new());
    }
    let query = text.replace(['#', ' '], "");
    let uri = format!("/?X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256&{query}");
    let host: &[(&str, &[u8])] = &[("host", b"example.amazonaws.com")];
    if let Ok(req) = SignableRequest::new("GET", &uri, host) {
        let _ = verify(&req, Payload::Body(b""), &creds, now, &Policy::new());
    }
});
