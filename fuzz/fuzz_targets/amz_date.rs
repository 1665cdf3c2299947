//! `AmzDate::parse` and `AmzDate::parse_rfc3339`: what parses prints back
//! as it was read and parses again to the same instant.
#![no_main]

use awsig::AmzDate;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(date) = AmzDate::parse(&text) {
        assert_eq!(date.as_str(), text);
        assert_eq!(
            AmzDate::from_unix_seconds(date.unix_seconds()).unwrap(),
            date
        );
    }
    if let Ok(date) = AmzDate::parse_rfc3339(&text) {
        assert_eq!(AmzDate::parse(date.as_str()).unwrap(), date);
    }
});
