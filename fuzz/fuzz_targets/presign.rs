//! Query signing with arbitrary settings, credentials, time and expiry:
//! `Signer::presign_output` and `Signer::presign`.
#![no_main]

use awsig::{AUTH_PARAMS, SignableRequest, StringToSign};
use awsig_fuzz::{RequestParts, check_canonical, check_no_secret, check_query_text, split};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let (ctl, text) = split(data);
    let parts = RequestParts::parse(text);
    let (Some(signer), Some(payload)) = (ctl.signer(&parts), ctl.payload(&parts)) else {
        return;
    };
    let (now, expires) = (ctl.now(), ctl.expires());
    let pairs = parts.pairs();
    let req = SignableRequest::new(&parts.method, &parts.uri, &pairs);
    let out = req
        .clone()
        .and_then(|r| signer.presign_output(&r, expires, &payload, now));
    match (req, out) {
        (Ok(req), Ok(out)) => {
            for (name, value) in out.params() {
                assert!(AUTH_PARAMS.contains(&name), "{name}");
                check_query_text(name, value);
            }
            let creq = signer
                .presign_canonical_request(&req, expires, &payload, now)
                .unwrap();
            check_canonical(&creq);
            check_no_secret("CanonicalRequest", &format!("{creq:?}"), data);
            check_no_secret("PresignOutput", &format!("{out:?}"), data);
            let date = *out.amz_date();
            let sts = StringToSign::new(signer.scope(&date), &creq);
            assert_eq!(signer.signing_key(&date).sign(&sts), *out.signature());
            // The third presigning comes from this thread's template.
            for _ in 0..2 {
                let again = signer
                    .presign_output(&req, expires, &payload, now)
                    .unwrap();
                assert_eq!(again.append_to_query(""), out.append_to_query(""));
            }
        }
        (_, Err(e)) => check_no_secret("Error", &format!("{e:?} {e}"), data),
        (Err(_), Ok(_)) => {}
    }
    if let Some(mut http) = parts.http_request() {
        let before = http.uri().clone();
        if signer.presign(&mut http, expires, &payload, now).is_ok() {
            // Only the query changes: the parameters are appended to it.
            let after = http.uri();
            assert_eq!(before.scheme(), after.scheme());
            assert_eq!(before.authority(), after.authority());
            assert_eq!(before.path(), after.path());
            let query = after.query().unwrap_or_default();
            assert!(query.starts_with(before.query().unwrap_or_default()));
            assert!(query.contains("X-Amz-Signature="));
        }
    }
});
