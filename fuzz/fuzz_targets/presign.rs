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
                let again = signer.presign_output(&req, expires, &payload, now).unwrap();
                assert_eq!(again.append_to_query(""), out.append_to_query(""));
            }
        }
        (_, Err(e)) => check_no_secret("Error", &format!("{e:?} {e}"), data),
        (Err(_), Ok(_)) => {}
    }
    if let Some(mut http) = parts.http_request() {
        let before = http.clone();
        if signer.presign(&mut http, expires, &payload, now).is_ok() {
            // The URI may be rewritten into the form every client sends
            // (host case, dot segments, a few escapes), which signs the same
            // canonical URI; the parameters are appended to its query.
            let after = http.uri();
            assert_eq!(before.uri().scheme(), after.scheme());
            let host = |u: &http::Uri| u.host().map(str::to_ascii_lowercase);
            if !before.uri().host().is_some_and(|h| h.starts_with('[')) {
                assert_eq!(host(before.uri()), host(after));
            }
            let canonical_uri = |r: &http::Request<()>| {
                SignableRequest::from_request(r).and_then(|v| {
                    signer
                        .presign_canonical_request(&v, expires, &payload, now)
                        .map(|c| c.uri().to_owned())
                })
            };
            let mut unsigned = http.clone();
            *unsigned.uri_mut() = {
                let path = after.path();
                let query = before
                    .uri()
                    .query()
                    .map(|q| format!("?{q}"))
                    .unwrap_or_default();
                let mut p = after.clone().into_parts();
                p.path_and_query = format!("{path}{query}").parse().ok();
                http::Uri::from_parts(p).unwrap_or_else(|_| after.clone())
            };
            // With S3's rules the path is read decoded, so the rewrite keeps
            // its canonical URI; with the others, escaping `{`, `}` or `\`
            // changes it, as it changes what is sent.
            if signer.settings().uri_encoding == awsig::UriEncoding::Single
                && let Ok(was) = canonical_uri(&before)
            {
                assert_eq!(Ok(was), canonical_uri(&unsigned));
            }
            // The rewritten URI is in its final form: presigning it again
            // leaves its path alone.
            let mut again = unsigned.clone();
            if signer.presign(&mut again, expires, &payload, now).is_ok() {
                assert_eq!(again.uri().path(), after.path());
            }
            let query = after.query().unwrap_or_default();
            assert!(query.starts_with(before.uri().query().unwrap_or_default()));
            assert!(query.contains("X-Amz-Signature="));
        }
    }
});
