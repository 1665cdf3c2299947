//! SigV4a: `verify` on arbitrary requests never panics; whatever the SigV4a
//! signer signs or presigns, `verify` accepts with the same credentials,
//! settings and time when the server serves a region of the set, and
//! refuses it when it does not.
#![no_main]

use awsig::{Payload, Policy, ServiceRules, SignableRequest, verify};
use awsig_fuzz::{RequestParts, check_no_secret, split};

/// Requests that carry their own body hash, token, region set or
/// authorization are only checked for not panicking.
fn self_describing(parts: &RequestParts) -> bool {
    parts.headers.iter().any(|(n, _)| {
        [
            "x-amz-content-sha256",
            "x-amz-security-token",
            "x-amz-region-set",
            "authorization",
        ]
        .iter()
        .any(|h| n.eq_ignore_ascii_case(h))
    }) || parts.uri.to_ascii_lowercase().contains("x-amz-")
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let (ctl, text) = split(data);
    let parts = RequestParts::parse(text);
    let (Some(signer), Some(payload)) = (ctl.v4a_signer(&parts), ctl.payload(&parts)) else {
        return;
    };
    let now = ctl.now();
    let settings = *signer.settings();
    let served = ctl.served_region();
    // The streaming marker SigV4a signs (STREAMING-UNSIGNED-PAYLOAD-TRAILER)
    // is accepted, as a server that takes it would.
    let policy = Policy::new()
        .with_rules(ServiceRules::Fixed(settings))
        .with_regions(served)
        .with_streaming_payload(awsig::Acceptance::Accept);
    let in_set = served.is_none_or(|r| signer.region_set().contains(r));
    let creds = signer.credentials();
    let pairs = parts.pairs();
    let Ok(request) = SignableRequest::new(&parts.method, &parts.uri, &pairs) else {
        return;
    };

    // The request as it came: any answer but a panic, and no secret in it.
    if let Err(rejection) = verify(&request, awsig::Payload::Hash(payload), creds, now, &policy) {
        check_no_secret("Rejection", &format!("{rejection:?} {rejection}"), data);
    }
    // A streaming upload's request needs its x-amz-decoded-content-length,
    // which the caller adds: those are only checked for not panicking.
    let checked = !self_describing(&parts)
        && matches!(
            payload,
            awsig::PayloadHash::Sha256(_) | awsig::PayloadHash::Unsigned
        );

    if let Ok(out) = signer.signing_output(&request, &payload, now) {
        let added: Vec<(String, Vec<u8>)> = out
            .headers()
            .map(|(n, v)| (n.to_owned(), v.as_bytes().to_vec()))
            .collect();
        let mut signed: Vec<(&str, &[u8])> = pairs
            .iter()
            .filter(|(n, _)| !added.iter().any(|(a, _)| a.eq_ignore_ascii_case(n)))
            .copied()
            .collect();
        signed.extend(added.iter().map(|(n, v)| (n.as_str(), v.as_slice())));
        let signed = SignableRequest::new(&parts.method, &parts.uri, &signed).unwrap();
        let result = verify(&signed, Payload::Hash(payload), creds, now, &policy);
        if checked {
            match (result, in_set) {
                (Ok(_), true) => {}
                (Err(r), false) if r.code() == "AuthorizationHeaderMalformed" => {}
                (Ok(_), false) => panic!("a request for other regions was accepted"),
                (Err(r), _) => panic!("a signed request was rejected: {r}"),
            }
        }
    }

    let s3_like = settings.content_sha256 == awsig::ContentSha256Header::Include;
    if s3_like && payload != awsig::PayloadHash::Unsigned {
        return;
    }
    if let Ok(out) = signer.presign_output(&request, ctl.expires(), &payload, now) {
        for (name, value) in out.params() {
            awsig_fuzz::check_query_text(name, value);
        }
        let (target, fragment_free) = match parts.uri.split_once('#') {
            Some((t, _)) => (t, false),
            None => (parts.uri.as_str(), true),
        };
        let (base, query) = target.split_once('?').unwrap_or((target, ""));
        let uri = format!("{base}?{}", out.append_to_query(query));
        let presigned = SignableRequest::new(&parts.method, &uri, &pairs).unwrap();
        let result = verify(&presigned, Payload::Hash(payload), creds, now, &policy);
        if checked && fragment_free {
            match (result, in_set) {
                (Ok(_), true) => {}
                (Err(r), false) if r.code() == "AuthorizationQueryParametersError" => {}
                (Ok(_), false) => panic!("a presigned URL for other regions was accepted"),
                (Err(r), _) => panic!("a presigned request was rejected: {r}"),
            }
        }
    }
});
