//! aws-sigv4 1.6.4 (the AWS SDK for Rust's signer) as a reference: its
//! signature of a request, signed with the AWS documentation's example
//! keys for `us-east-1`.

use aws_sigv4::http_request::{SignableBody, SigningSettings};
use aws_smithy_runtime_api::client::identity::Identity;

/// aws-sigv4's `authorization` header and signature for a request without
/// headers of its own.
pub fn sign(
    method: &str,
    uri: &str,
    service: &str,
    body: &[u8],
    settings: SigningSettings,
    now: std::time::SystemTime,
) -> (String, String) {
    let identity: Identity = aws_credential_types::Credentials::new(
        "AKIDEXAMPLE",
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        None,
        None,
        "test",
    )
    .into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name(service)
        .time(now)
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let signable = aws_sigv4::http_request::SignableRequest::new(
        method,
        uri,
        std::iter::empty(),
        SignableBody::Bytes(body),
    )
    .unwrap();
    let (instructions, signature) = aws_sigv4::http_request::sign(signable, &params)
        .unwrap()
        .into_parts();
    let authorization = instructions
        .headers()
        .find(|(name, _)| name.eq_ignore_ascii_case("authorization"))
        .map(|(_, value)| value.to_owned())
        .unwrap_or_default();
    (authorization, signature)
}
