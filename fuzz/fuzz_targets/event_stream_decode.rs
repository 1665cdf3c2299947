//! `event_stream::decode` on any bytes: messages decode within the limits
//! and encode back to the same bytes.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| awsig_fuzz::event_stream::decode_all(data));
