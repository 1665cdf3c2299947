//! `ChunkedEncoder` then `ChunkedDecoder`, in arbitrary pieces and chunk
//! sizes, every signing mode: the data comes back, the length is the one
//! computed up front, and a body with one byte changed is refused.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| awsig_fuzz::chunked::round_trip(data));
