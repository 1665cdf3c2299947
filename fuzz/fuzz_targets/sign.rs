//! Header signing with arbitrary settings, credentials and time:
//! `Signer::signing_output` and `Signer::sign`.
#![no_main]

use awsig::{SignableRequest, StringToSign};
use awsig_fuzz::{RequestParts, check_canonical, check_header_value, check_no_secret, split};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let (ctl, text) = split(data);
    let parts = RequestParts::parse(text);
    let (Some(signer), Some(payload)) = (ctl.signer(&parts), ctl.payload(&parts)) else {
        return;
    };
    let now = ctl.now();
    check_no_secret("Signer", &format!("{signer:?}"), data);
    let pairs = parts.pairs();
    let req = SignableRequest::new(&parts.method, &parts.uri, &pairs);
    match (
        req.clone(),
        req.and_then(|r| signer.signing_output(&r, &payload, now)),
    ) {
        (Ok(req), Ok(out)) => {
            for (name, value) in out.headers() {
                check_header_value(name, value);
            }
            // What is shown is what is signed.
            let creq = signer.canonical_request(&req, &payload, now).unwrap();
            check_canonical(&creq);
            check_no_secret("CanonicalRequest", &format!("{creq:?}"), data);
            check_no_secret("SigningOutput", &format!("{out:?}"), data);
            let date = *out.amz_date();
            let sts = StringToSign::new(signer.scope(&date), &creq);
            assert_eq!(signer.signing_key(&date).sign(&sts), *out.signature());
            // Signed twice in a row, the shape is this thread's template:
            // the third signing comes from it, and must be the same.
            for _ in 0..2 {
                let again = signer.signing_output(&req, &payload, now).unwrap();
                assert_eq!(again.signature(), out.signature());
                assert_eq!(again.authorization(), out.authorization());
            }
            out.apply_to(&mut http::HeaderMap::new()).unwrap();
        }
        (_, Err(e)) => check_no_secret("Error", &format!("{e:?} {e}"), data),
        (Err(_), Ok(_)) => {}
    }
    if let Some(mut http) = parts.http_request()
        && signer.sign(&mut http, &payload, now).is_ok()
    {
        assert!(http.headers().contains_key("authorization"));
        assert!(http.headers().contains_key("x-amz-date"));
    }
});
