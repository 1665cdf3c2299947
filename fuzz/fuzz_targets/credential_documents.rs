//! The credential documents the providers read: `credential_process`
//! output, IMDS and container JSON, STS XML answers and errors, SSO portal
//! answers and token caches, `aws login` caches, and the
//! `credential_process` command line. Whatever parses is usable credentials.
#![no_main]

use awsig::provider::{container, imds, login, process, sso, sts};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&which, body)) = data.split_first() else {
        return;
    };
    let parsed = match which % 9 {
        0 => process::parse_process_output(body),
        1 => imds::parse_imds_credentials(body),
        2 => container::parse_container_credentials(body),
        3 => sts::parse_assume_role_response(body),
        4 => sts::parse_web_identity_response(body),
        5 => {
            let status = u16::from_le_bytes([body.first().copied().unwrap_or(0), 1]);
            let error = sts::parse_sts_error(status, body);
            let _ = format!("{error:?} {error}");
            let _ = process::split_command(&String::from_utf8_lossy(body));
            return;
        }
        6 => sso::parse_role_credentials(body),
        7 => login::LoginCache::parse(body).map(|c| c.credentials().clone()),
        _ => {
            if let Ok(token) = sso::SsoCachedToken::parse(body) {
                assert!(format!("{token:?}").contains("redacted"));
            }
            return;
        }
    };
    if let Ok(creds) = parsed {
        assert!(!creds.access_key_id().is_empty());
        assert!(!creds.secret_access_key().is_empty());
        // The secret is shown redacted (tests/secret_hygiene.rs checks the text).
        assert!(format!("{creds:?}").contains("redacted"));
    }
});
