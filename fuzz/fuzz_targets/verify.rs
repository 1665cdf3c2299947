//! `verify` on arbitrary requests never panics; and whatever `sign` or
//! `presign` signs, `verify` accepts with the same credentials, settings and
//! time.
#![no_main]

use awsig::{Acceptance, Payload, PayloadHash, Policy, ServiceRules, SignableRequest, verify};
use awsig_fuzz::{RequestParts, check_no_secret, split};

/// Requests whose query holds `x-amz-*` parameters take part in
/// verification on their own (a presigned signature, a token): they are
/// only checked for not panicking. Headers need no such care: signing owns
/// `authorization`, `x-amz-date`, `x-amz-security-token` and
/// `x-amz-content-sha256`, and whatever it signs must verify.
fn self_describing(parts: &RequestParts) -> bool {
    parts.uri.to_ascii_lowercase().contains("x-amz-")
}

/// Headers that signing sets or removes: a request as sent carries the
/// ones signing output gives, and none of the request's own.
const OWNED: [&str; 4] = [
    "authorization",
    "x-amz-date",
    "x-amz-security-token",
    "x-amz-content-sha256",
];

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let (ctl, text) = split(data);
    let parts = RequestParts::parse(text);
    let (Some(signer), Some(payload)) = (ctl.signer(&parts), ctl.payload(&parts)) else {
        return;
    };
    let now = ctl.now();
    let settings = *signer.settings();
    // The streaming markers are accepted: checking chunks is not this
    // target's concern.
    let policy = Policy::new()
        .with_rules(ServiceRules::Fixed(settings))
        .with_streaming_payload(Acceptance::Accept);
    let creds = signer.credentials();
    let pairs = parts.pairs();
    let Ok(request) = SignableRequest::new(&parts.method, &parts.uri, &pairs) else {
        return;
    };

    // The request as it came: any answer but a panic, and no secret in it.
    if let Err(rejection) = verify(&request, Payload::Hash(payload), creds, now, &policy) {
        check_no_secret("Rejection", &format!("{rejection:?} {rejection}"), data);
    }
    let checked = !self_describing(&parts);

    // Header signing, then verification of the signed request.
    if let Ok(out) = signer.signing_output(&request, &payload, now) {
        let added: Vec<(String, Vec<u8>)> = out
            .headers()
            .map(|(n, v)| (n.to_owned(), v.as_bytes().to_vec()))
            .collect();
        let mut signed: Vec<(&str, &[u8])> = pairs
            .iter()
            .filter(|(n, _)| !OWNED.iter().any(|a| a.eq_ignore_ascii_case(n)))
            .copied()
            .collect();
        signed.extend(added.iter().map(|(n, v)| (n.as_str(), v.as_slice())));
        let signed = SignableRequest::new(&parts.method, &parts.uri, &signed).unwrap();
        let result = verify(&signed, Payload::Hash(payload), creds, now, &policy);
        if checked && let Err(rejection) = result {
            panic!("a signed request was rejected: {rejection}");
        }
    }

    // Query signing, then verification of the presigned URL. S3's rules
    // presign UNSIGNED-PAYLOAD, which is what a server expects of them.
    let s3_like = settings.content_sha256 == awsig::ContentSha256Header::Include;
    if s3_like && payload != PayloadHash::Unsigned {
        return;
    }
    if let Ok(out) = signer.presign_output(&request, ctl.expires(), &payload, now) {
        let (target, fragment_free) = match parts.uri.split_once('#') {
            Some((t, _)) => (t, false),
            None => (parts.uri.as_str(), true),
        };
        let (base, query) = target.split_once('?').unwrap_or((target, ""));
        let uri = format!("{base}?{}", out.append_to_query(query));
        let presigned = SignableRequest::new(&parts.method, &uri, &pairs).unwrap();
        let result = verify(&presigned, Payload::Hash(payload), creds, now, &policy);
        if checked
            && fragment_free
            && let Err(rejection) = result
        {
            panic!("a presigned request was rejected: {rejection}");
        }
    }
});
