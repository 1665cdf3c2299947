//! `RequestText::parse`: never panics, and a parsed request written back
//! out reads the same.
#![no_main]

use awsig::{CanonicalRequest, MAX_HEAD_BYTES, PayloadHash, RequestText, Settings};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(parsed) = RequestText::parse(data) else {
        return;
    };
    let mut head = format!("{} {}", parsed.method(), parsed.target()).into_bytes();
    if let Some(version) = parsed.version() {
        head.extend_from_slice(format!(" {version}").as_bytes());
    }
    head.extend_from_slice(b"\r\n");
    for (name, value) in parsed.headers() {
        head.extend_from_slice(name.as_bytes());
        head.push(b':');
        head.extend_from_slice(value);
        head.extend_from_slice(b"\r\n");
    }
    if head.len() <= MAX_HEAD_BYTES {
        head.extend_from_slice(b"\r\n");
        head.extend_from_slice(parsed.body());
        assert_eq!(RequestText::parse(&head).unwrap(), parsed, "no round trip");
    }
    let pairs = parsed.header_pairs();
    if let Ok(req) = parsed.signable(&pairs) {
        let _ = CanonicalRequest::new(&req, &PayloadHash::of(parsed.body()), &Settings::s3());
    }
});
