//! Header signing with arbitrary settings, credentials and time:
//! `Signer::signing_output` and `Signer::sign`.
#![no_main]

use awsig::{SignableRequest, StringToSign};
use awsig_fuzz::{RequestParts, check_canonical, check_header_value, split};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let (ctl, text) = split(data);
    let parts = RequestParts::parse(text);
    let (Some(signer), Some(payload)) = (ctl.signer(&parts), ctl.payload(&parts)) else {
        return;
    };
    let now = ctl.now();
    let pairs = parts.pairs();
    if let Ok(req) = SignableRequest::new(&parts.method, &parts.uri, &pairs)
        && let Ok(out) = signer.signing_output(&req, &payload, now)
    {
        for (name, value) in out.headers() {
            check_header_value(name, value);
        }
        // What is shown is what is signed.
        let creq = signer.canonical_request(&req, &payload, now).unwrap();
        check_canonical(&creq);
        let date = *out.amz_date();
        let sts = StringToSign::new(signer.scope(&date), &creq);
        assert_eq!(signer.signing_key(&date).sign(&sts), *out.signature());
        out.apply_to(&mut http::HeaderMap::new()).unwrap();
    }
    if let Some(mut http) = parts.http_request()
        && signer.sign(&mut http, &payload, now).is_ok()
    {
        assert!(http.headers().contains_key("authorization"));
    }
});
