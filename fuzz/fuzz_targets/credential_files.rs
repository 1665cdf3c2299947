//! The shared `config` and `credentials` files: parsing never panics, and
//! every profile found can be asked for its keys.
#![no_main]

use awsig::provider::profile::{ProfileSet, parse_ini};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    // The input is the config file, a 0xff byte, then the credentials file.
    let (config, credentials) = match data.iter().position(|&b| b == 0xff) {
        Some(at) => (&data[..at], Some(&data[at + 1..])),
        None => (data, None),
    };
    if let Ok(text) = std::str::from_utf8(config) {
        let _ = parse_ini(text, "config");
    }
    let _ = ProfileSet::parse_bytes(Some(config), credentials);
});
