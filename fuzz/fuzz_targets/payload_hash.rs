//! `PayloadHash::parse`: what parses prints back exactly as it was read.
#![no_main]

use awsig::PayloadHash;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(hash) = PayloadHash::parse(&text) {
        assert_eq!(hash.as_str(), text);
        assert_eq!(PayloadHash::parse(hash.as_str()).unwrap(), hash);
    }
});
