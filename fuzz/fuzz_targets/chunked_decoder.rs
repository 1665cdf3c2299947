//! `ChunkedDecoder` on arbitrary framed input in arbitrary pieces: no
//! panic, memory within the chunk limit, refusals that stay refusals, and
//! what is accepted holds the declared length. Layout: `fuzz/src/lib.rs`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| awsig_fuzz::chunked::decoder(data));
