//! # awsig: AWS Signature Version 4, staged and sans-IO
//!
//! `awsig` signs HTTP requests for AWS (and S3-compatible servers) with
//! [Signature Version 4](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html),
//! in headers or as presigned URLs.
//!
//! ## The contract
//!
//! - **No IO.** Nothing in the signing and verifying path reads a clock, an
//!   environment variable, a file or a socket. The signing time, the
//!   credentials and the payload hash are arguments. Finding credentials
//!   lives at the edge, in `provider` (feature `credentials`): it reads
//!   the environment and the shared files through a trait, and for the
//!   network (instance metadata, container endpoints, STS) it builds the
//!   `http::Request`, the caller sends it with its own client, and it parses
//!   the answer.
//! - **No shared state.** A [`Signer`] keeps the day's derived key for
//!   itself. Each thread also keeps memos of what it signed last, which
//!   change no result and hold no secret: the last signing date, and the
//!   canonical-request template of the last request shape it signed twice
//!   in a row (see below).
//! - **No panics on input.** Bad input is an [`Error`] that names what is
//!   wrong; no secret ever appears in an error or a `Debug` string.
//! - **No unsafe code.**
//!
//! ## The stages
//!
//! Each stage is a public type whose `Display` is the exact text AWS
//! specifies, so each can be built, printed and compared on its own:
//!
//! ```text
//!  request ──▶ CanonicalRequest ──SHA-256──▶ StringToSign ──HMAC──▶ Signature
//!                                                 ▲
//!  secret, date, region, service ──▶ SigningKey ──┘   (derived once a day, cached)
//! ```
//!
//! - [`CanonicalRequest`]: method, canonical URI, canonical query,
//!   canonical headers, signed headers, payload hash.
//! - [`StringToSign`]: `AWS4-HMAC-SHA256`, the [`AmzDate`], the
//!   [`CredentialScope`] and the hex SHA-256 of the canonical request.
//! - [`SigningKey`]: kDate → kRegion → kService → kSigning. It is a secret:
//!   it has no `Display`, and its `Debug` is redacted.
//! - [`Signature`]: lowercase hex HMAC-SHA256 of the string to sign.
//!
//! Signing computes an output first ([`SigningOutput`], [`PresignOutput`])
//! and applies it to the request as a separate, cheap step, so callers with
//! other HTTP types can use the output directly.
//!
//! ## Speed
//!
//! Agents sign the same request shape (method, URI, headers) again and
//! again, with only the time and the payload changing. The default path
//! notices: once a thread has signed a shape twice in a row, it keeps that
//! shape's canonical request as a template, with marks where the date, the
//! payload hash and the session token go (never the token itself), and the
//! SHA-256 state of the text before the first mark. A request of that shape
//! is then checked byte for byte against the shape and signed by hashing
//! only the rest of the template. The signature is the same one the full
//! canonicalization gives: the tests sign every AWS suite request, botocore
//! vector and generated request again from the template, at the original
//! and at another time, and compare. Noting a new shape costs about a tenth
//! of a microsecond; shapes over 4 KiB get no template, and a thread keeps
//! at most [`limits::THREAD_MEMO_BYTES`] (32 KiB) between calls.
//!
//! For high rates there are two allocation-free paths that sign exactly
//! the same bytes: [`Signer::sign_into`] writes the header values into a
//! reused [`AuthorizationBuf`], and [`Signer::prepare`] turns a request shape
//! into a [`PreparedRequest`] that holds its template explicitly.
//!
//! HMAC's two keyed blocks are compressed once a day, with the key, and the
//! first block of the string to sign (the algorithm, the date and time, the
//! start of the credential scope) once a second: kept in the signer beside
//! the key, and cleared with it.
//!
//! Streaming uploads (`aws-chunked`, the body in chunks each signed in a
//! chain from the request's signature, with an optional checksum trailer)
//! have stages of their own, chunk and trailer strings to sign, in the
//! `chunked` module (feature `chunked`), with a sans-IO encoder and a
//! verifying decoder.
//!
//! [`verify`] runs the same stages on the server side: it rebuilds the
//! canonical request of a header-signed or presigned request with the same
//! canonicalizer and compares signatures in constant time, answering with a
//! typed [`Rejection`] that carries the AWS error code.
//!
//! ## Quick start
//!
//! ```
//! use std::time::SystemTime;
//! use awsig::{Credentials, PayloadHash, Signer};
//!
//! let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")?;
//! // Build once, share between threads, sign every request with it.
//! let signer = Signer::new(creds, "us-east-1", "sqs")?;
//!
//! let body = r#"{"QueueName":"jobs"}"#;
//! let mut request = http::Request::post("https://sqs.us-east-1.amazonaws.com/")
//!     .header("content-type", "application/x-amz-json-1.0")
//!     .header("x-amz-target", "AmazonSQS.GetQueueUrl")
//!     .body(body)
//!     .unwrap();
//! signer.sign(&mut request, &PayloadHash::of(body.as_bytes()), SystemTime::now())?;
//! assert!(request.headers().contains_key("authorization"));
//! # Ok::<(), awsig::Error>(())
//! ```
//!
//! A presigned S3 download link:
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use awsig::{Credentials, PayloadHash, Signer};
//!
//! let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")?;
//! let signer = Signer::new(creds, "us-east-1", "s3")?;
//! let mut request = http::Request::get("https://examplebucket.s3.amazonaws.com/test.txt")
//!     .body(())
//!     .unwrap();
//! signer.presign(&mut request, Duration::from_secs(3600), &PayloadHash::Unsigned, SystemTime::now())?;
//! assert!(request.uri().query().unwrap().contains("X-Amz-Signature="));
//! # Ok::<(), awsig::Error>(())
//! ```
//!
//! ## What to use for what
//!
//! - **Sign a request** in its headers: [`Signer::sign`] on an
//!   `http::Request`, [`Signer::signing_output`] for any other HTTP type
//!   (from a [`SignableRequest`]), [`Signer::sign_into`] without allocating.
//! - **Presign** a URL: [`Signer::presign`], [`Signer::presign_output`].
//! - **Verify** a signed request on the server side: [`verify_request`],
//!   [`verify_parts`] or [`verify`] with a [`Policy`]; a failure is a
//!   [`Rejection`] carrying the AWS error code.
//! - **Find credentials** (feature `credentials`): `provider::DefaultChain`
//!   tries the sources in the AWS CLI's order; `provider::CredentialsCache`
//!   and `provider::ProviderSigner` refresh them before they expire.
//! - **Stream a body**: sign with [`PayloadHash::Unsigned`]
//!   (`UNSIGNED-PAYLOAD`, for S3 over HTTPS) or with a hash computed while
//!   the body was written ([`PayloadHash::from_hex`]); or, with the
//!   `chunked` feature, as an `aws-chunked` upload whose every chunk is
//!   signed as it is sent (`Signer::sign_chunked`, the `chunked` module).
//! - **Pick the service and region from a URL**: [`endpoint::infer`],
//!   [`endpoint::check`]; [`endpoint::check_aws_region`] for the shape of an
//!   AWS region. **Refuse a host of another region or service** when
//!   signing: [`Signer::with_endpoint_check`] ([`EndpointCheck`]).
//! - **See each stage**, to find why a server disagrees:
//!   [`Signer::canonical_request`], [`CanonicalRequest`], [`StringToSign`],
//!   [`SigningKey`], [`Signature`].
//!
//! ## S3 and every other service
//!
//! [`Settings::for_service`] picks the rules: S3 signs the path as sent
//! (no normalization, single encoding) and adds `x-amz-content-sha256`;
//! every other service, `aps` (Amazon Managed Prometheus) included,
//! normalizes the path and encodes it twice; OpenSearch Serverless
//! ([`Settings::aoss`]) and Lambda function URLs
//! ([`Settings::lambda_function_url`]) add `x-amz-content-sha256` too.
//! Signing names are lower-case
//! ([`Service`] refuses `S3`); any region name is accepted, since
//! S3-compatible servers name their own (`garage`, `auto`), and
//! [`endpoint::check_aws_region`] is there to refuse what does not look like
//! an AWS region.
//!
//! ## Crate features
//!
//! - `credentials` (default): the `provider` module, credentials from the environment,
//!   the shared files, `credential_process`, and sans-IO flows for IMDS,
//!   container endpoints and STS. Adds `serde_json`.
//! - `chunked`: the `chunked` module, `aws-chunked` streaming uploads: chunk
//!   and trailer signatures, a sans-IO encoder
//!   (`Signer::sign_chunked`), the verifying decoder
//!   (`Verified::chunked_decoder`), and the trailer checksums. Adds
//!   `crc-fast`, `sha1` and `base64`.
//! - `event-stream`: the `event_stream` module, the event stream
//!   message codec and the signing and verifying of each message of a
//!   stream (Transcribe streaming, Bedrock bidirectional streams, Lex).
//!   Adds `crc-fast`.
//! - `tokio`: `driver::resolve_async`, `refresh::RefreshingCredentials`
//!   (lazy, refreshed ahead of expiry), `middleware::RefreshingSigner`
//!   (with a clock corrected for skew) and `config::SigV4Config`.
//! - `ureq` / `reqwest`: ready transports for the drivers.
//! - `tower`: `middleware::SigV4Layer`; `reqwest-middleware`:
//!   `middleware::SigV4Middleware`. Both sign every request and retry once
//!   after a clock-skew rejection.
//! - `serde`: deserialize `config::SigV4Config`.
//!
//! [`skew`] (always available, no IO) tells a clock-skew rejection from
//! others, as the AWS SDKs do.

#![forbid(unsafe_code)]
#![deny(missing_docs, missing_debug_implementations, unreachable_pub)]
#![deny(clippy::missing_errors_doc, clippy::missing_panics_doc)]
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

mod canonical_request;
#[cfg(feature = "chunked")]
pub mod chunked;
#[cfg(feature = "tokio")]
pub mod config;
mod credentials;
#[cfg(feature = "credentials")]
pub mod driver;
pub mod endpoint;
mod error;
#[cfg(feature = "event-stream")]
pub mod event_stream;
mod fast_path;
mod http_text;
#[cfg(feature = "tokio")]
pub mod middleware;
mod payload;
mod percent;
mod presign;
#[cfg(feature = "credentials")]
pub mod provider;
#[cfg(feature = "tokio")]
pub mod refresh;
mod request;
mod scope;
mod settings;
mod sha256;
mod sign;
mod signature;
mod signing_key;
mod sink;
pub mod skew;
mod stack_vec;
mod string_to_sign;
mod verify;
mod wire;

pub use canonical_request::CanonicalRequest;
pub use canonical_request::headers::NEVER_SIGNED;
pub use credentials::Credentials;
pub use error::{Error, HostMismatch};
pub use fast_path::auth_buf::AuthorizationBuf;
pub use fast_path::prepared::PreparedRequest;
pub use http_text::{MAX_HEAD_BYTES, RequestText};
pub use payload::{
    EMPTY_SHA256, PayloadHash, STREAMING_EVENTS, STREAMING_SIGNED, STREAMING_SIGNED_TRAILER,
    STREAMING_UNSIGNED_TRAILER, Sha256Hex, UNSIGNED_PAYLOAD,
};
pub use presign::{AUTH_PARAMS, MAX_PRESIGN_EXPIRY, PresignOutput};
pub use request::SignableRequest;
pub use scope::{AmzDate, CredentialScope, Region, Service};
pub use settings::{
    ContentSha256Header, CredentialExpiryCheck, EndpointCheck, HeaderPolicy, PathNormalization,
    SessionTokenMode, Settings, UriEncoding,
};
pub use sign::{Signer, SigningOutput};
pub use signature::Signature;
pub use signing_key::SigningKey;
pub use string_to_sign::{ALGORITHM, StringToSign};
pub use verify::{
    Acceptance, AuthKind, AuthParseError, AuthorizationHeader, ContentSha256Check, CredentialText,
    CredentialsLookup, DEFAULT_MAX_CLOCK_SKEW, LookupError, MAX_AUTH_TEXT_BYTES, Mismatch, Payload,
    Policy, PresignedQuery, Rejection, ServiceRules, TokenProblem, Verified, is_presigned_query,
    parse_authorization, parse_credential, parse_presigned_query, parse_signed_headers, verify,
    verify_parts, verify_request,
};

/// Limits on the work one request can ask for.
///
/// The signer and the verifier apply the same limits to the request as it
/// goes on the wire: signing counts the header fields and query parameters
/// it adds, and refuses what the verifier would refuse, so that whatever is
/// signed can be verified.
pub mod limits {
    /// The most header fields a request may have on the wire (repeats
    /// count, and so do the fields signing adds).
    pub const MAX_HEADER_FIELDS: usize = 256;
    /// The largest header field value (or name), in bytes; this includes
    /// the `authorization` value signing writes and the session token.
    pub const MAX_HEADER_FIELD_BYTES: usize = 16 * 1024;
    /// The most query parameters a request may have on the wire (with a
    /// presigned URL's `X-Amz-*` parameters).
    pub const MAX_QUERY_PARAMS: usize = 4096;
    /// The longest query string on the wire, in bytes (with a presigned
    /// URL's `X-Amz-*` parameters).
    pub const MAX_QUERY_BYTES: usize = 128 * 1024;
    /// The most memory, in bytes, that signing keeps per thread between
    /// calls: the canonical-request templates of the last request shapes it
    /// signed (one for header signing, one for presigning, each at most half
    /// of this, buffers counted by capacity). Shapes over 4 KiB of headers
    /// and URI get no template. With the 512 threads of a tokio blocking
    /// pool that is at most 16 MiB.
    pub const THREAD_MEMO_BYTES: usize = 32 * 1024;
}

/// Compares two byte strings in time that depends only on their lengths.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

#[cfg(test)]
mod tests {
    #[test]
    fn signer_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<crate::Signer>();
        assert_send_sync::<crate::Credentials>();
    }

    #[test]
    fn constant_time_eq_compares() {
        assert!(super::constant_time_eq(b"abc", b"abc"));
        assert!(!super::constant_time_eq(b"abc", b"abd"));
        assert!(!super::constant_time_eq(b"abc", b"ab"));
    }
}

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
