//! The verifier's parsers of client text: the Authorization header, the
//! presigned query, the credential and the signed-headers list. Whatever
//! they accept is well formed.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(auth) = awsig::parse_authorization(&text) {
        assert_eq!(auth.signature().len(), 64);
        assert!(auth.signature().bytes().all(|b| b.is_ascii_hexdigit()));
        assert!(!auth.signed_headers().is_empty());
        assert!(auth.signed_headers().windows(2).all(|w| w[0] < w[1]));
    }
    if let Ok(query) = awsig::parse_presigned_query(&text) {
        assert!(!query.signed_headers().is_empty());
        assert!(
            !query
                .unsigned_query()
                .split('&')
                .any(|p| p.starts_with("X-Amz-Signature="))
        );
        let _ = query.unsigned_query_without_token();
    }
    let _ = awsig::is_presigned_query(&text);
    if let Ok(credential) = awsig::parse_credential(&text, "Credential") {
        assert_eq!(credential.date().len(), 8);
        assert!(!credential.access_key_id().is_empty());
    }
    if let Ok(names) = awsig::parse_signed_headers(&text, "SignedHeaders") {
        assert!(
            names
                .iter()
                .all(|n| !n.is_empty() && !n.bytes().any(|b| b.is_ascii_uppercase()))
        );
    }
});
