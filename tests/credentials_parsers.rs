//! The credential parsers never panic, whatever the input, and read back
//! what a well-formed file says.
#![cfg(feature = "credentials")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use awsig::provider::container::parse_container_credentials;
use awsig::provider::imds::parse_imds_credentials;
use awsig::provider::process::{parse_process_output, split_command};
use awsig::provider::profile::{FileKind, ProfileRules, ProfileSet, parse_ini};
use awsig::provider::sts::{
    parse_assume_role_response, parse_sts_error, parse_web_identity_response,
};
use proptest::prelude::*;

/// A value as the SDKs' rules read it: cut at the first whitespace that
/// is followed by `#` or `;`, then trimmed.
fn sdk_value(value: &str) -> String {
    let bytes = value.as_bytes();
    let cut = (1..bytes.len())
        .find(|&i| matches!(bytes[i - 1], b' ' | b'\t') && matches!(bytes[i], b'#' | b';'))
        .unwrap_or(bytes.len());
    value[..cut].trim().to_owned()
}

fn all_parsers(bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    let _ = ProfileSet::parse_bytes(Some(bytes), Some(bytes));
    let _ = ProfileSet::parse_bytes_with(ProfileRules::AwsCli, Some(bytes), Some(bytes));
    let _ = parse_ini(&text, "fuzz");
    let _ = FileKind::Config.parse(&text);
    let _ = FileKind::Credentials.parse(&text);
    let _ = FileKind::Config.parse_with(ProfileRules::AwsCli, &text);
    let _ = split_command(&text);
    let _ = parse_process_output(bytes);
    let _ = parse_imds_credentials(bytes);
    let _ = parse_container_credentials(bytes);
    let _ = parse_assume_role_response(bytes);
    let _ = parse_web_identity_response(bytes);
    let _ = parse_sts_error(400, bytes);
    let _ = awsig::provider::sso::parse_role_credentials(bytes);
    let _ = awsig::provider::sso::SsoCachedToken::parse(bytes);
    let _ = awsig::provider::login::LoginCache::parse(bytes);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        all_parsers(&bytes);
    }

    #[test]
    fn ini_like_text(text in "[\\[\\]=:#; \n\t\rA-Za-z0-9\"'_-]{0,300}") {
        all_parsers(text.as_bytes());
    }

    #[test]
    fn xml_like_text(text in "[<>/!?=\"' a-zA-Z&;#x0-9\\[\\]:-]{0,300}") {
        all_parsers(text.as_bytes());
    }

    #[test]
    fn json_like_text(text in "[{}\\[\\]:,\" a-zA-Z0-9.\\\\-]{0,300}") {
        all_parsers(text.as_bytes());
    }

    #[test]
    fn well_formed_profiles_read_back(
        name in "[a-z][a-z0-9_-]{0,15}",
        key in "[a-z][a-z0-9_]{0,15}",
        value in "[!-~]([ -~]{0,30}[!-~])?",
        pad in "[ \t]{0,3}",
    ) {
        // The AWS CLI's rules: keys may be indented, `#` is part of a value.
        let config = format!("# c\n[profile {name}]\n{pad}{key}{pad}={pad}{value}{pad}\n");
        let set = ProfileSet::parse_with(ProfileRules::AwsCli, Some(&config), None).unwrap();
        prop_assert_eq!(set.get(&name).unwrap().get(&key), Some(value.as_str()));
        let creds = format!("[{name}]\n{key} = {value}\n");
        let set = ProfileSet::parse_with(ProfileRules::AwsCli, None, Some(&creds)).unwrap();
        prop_assert_eq!(set.credentials_file(&name).unwrap().get(&key), Some(value.as_str()));
        // The SDKs' rules: keys start the line; whitespace then `#` or `;`
        // starts a comment, so the value read is what comes before it.
        let config = format!("# c\n[profile {name}]\n{key}{pad}={pad}{value}{pad}\n");
        let set = ProfileSet::parse(Some(&config), None).unwrap();
        let expected = sdk_value(&format!("{pad}{value}{pad}"));
        prop_assert_eq!(set.get(&name).unwrap().get(&key), Some(expected.as_str()));
    }

    #[test]
    fn quoted_words_split_back(words in proptest::collection::vec("[ -~]{0,12}", 1..6)) {
        // Single-quoting each word (with ' written as '\'') must give the words back.
        let line = words
            .iter()
            .map(|w| format!("'{}'", w.replace('\'', "'\\''")))
            .collect::<Vec<_>>()
            .join(" ");
        prop_assert_eq!(split_command(&line).unwrap(), words);
    }
}
