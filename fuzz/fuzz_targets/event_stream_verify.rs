//! `EventVerifier` on any envelopes, and on signed streams with an
//! envelope swapped, dropped, replayed or altered: what is signed
//! verifies, every change is refused.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| awsig_fuzz::event_stream::verify_stream(data));
