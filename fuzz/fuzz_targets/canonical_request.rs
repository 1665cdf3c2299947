//! Canonical request building from an arbitrary method, URI, headers and
//! query, through `SignableRequest::new` and `SignableRequest::from_request`.
#![no_main]

use awsig::{CanonicalRequest, SignableRequest};
use awsig_fuzz::{RequestParts, check_canonical, split};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let (ctl, text) = split(data);
    let parts = RequestParts::parse(text);
    let (Some(payload), settings) = (ctl.payload(&parts), ctl.settings()) else {
        return;
    };
    let pairs = parts.pairs();
    if let Ok(req) = SignableRequest::new(&parts.method, &parts.uri, &pairs)
        && let Ok(creq) = CanonicalRequest::new(&req, &payload, &settings)
    {
        check_canonical(&creq);
        let again = SignableRequest::new(&parts.method, &parts.uri, &pairs).unwrap();
        let again = CanonicalRequest::new(&again, &payload, &settings).unwrap();
        assert_eq!(creq, again, "canonicalization is not deterministic");
        let _ = format!("{creq:?}");
    }
    if let Some(http) = parts.http_request()
        && let Ok(req) = SignableRequest::from_request(&http)
        && let Ok(creq) = CanonicalRequest::new(&req, &payload, &settings)
    {
        check_canonical(&creq);
    }
});
