//! Query signing with arbitrary settings, credentials, time and expiry:
//! `Signer::presign_output` and `Signer::presign`.
#![no_main]

use awsig::{AUTH_PARAMS, SignableRequest, StringToSign};
use awsig_fuzz::{RequestParts, check_canonical, check_query_text, split};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let (ctl, text) = split(data);
    let parts = RequestParts::parse(text);
    let (Some(signer), Some(payload)) = (ctl.signer(&parts), ctl.payload(&parts)) else {
        return;
    };
    let (now, expires) = (ctl.now(), ctl.expires());
    let pairs = parts.pairs();
    if let Ok(req) = SignableRequest::new(&parts.method, &parts.uri, &pairs)
        && let Ok(out) = signer.presign_output(&req, expires, &payload, now)
    {
        for (name, value) in out.params() {
            assert!(AUTH_PARAMS.contains(&name), "{name}");
            check_query_text(name, value);
        }
        let creq = signer
            .presign_canonical_request(&req, expires, &payload, now)
            .unwrap();
        check_canonical(&creq);
        let date = *out.amz_date();
        let sts = StringToSign::new(signer.scope(&date), &creq);
        assert_eq!(signer.signing_key(&date).sign(&sts), *out.signature());
    }
    if let Some(mut http) = parts.http_request() {
        let absolute = http.uri().scheme().is_some() && http.uri().authority().is_some();
        if signer.presign(&mut http, expires, &payload, now).is_ok() {
            let query = http.uri().query().unwrap_or_default();
            assert!(query.contains("X-Amz-Signature="));
            assert!(!absolute || http.uri().authority().is_some());
        }
    }
});
