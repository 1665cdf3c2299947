//! The crate's one error type.

use std::fmt;

/// Everything that can make signing refuse a request.
///
/// Each variant names the offending input. None carries a secret: header
/// *values*, secret keys and session tokens are never copied into an error,
/// only header names and a short reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The access key id is empty or contains whitespace or control characters.
    #[error("invalid access key id: {reason}")]
    InvalidAccessKeyId {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The secret access key is empty or contains whitespace or control characters.
    #[error("invalid secret access key: {reason}")]
    InvalidSecretAccessKey {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The session token is empty or contains characters a header value cannot hold.
    #[error("invalid session token: {reason}")]
    InvalidSessionToken {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The region is empty, too long, or contains '/', whitespace or control characters.
    #[error("invalid region {region:?}: {reason}")]
    InvalidRegion {
        /// The region as given (lossy if it was not printable).
        region: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The service name is empty, too long, or contains '/', whitespace or control characters.
    #[error("invalid service {service:?}: {reason}")]
    InvalidService {
        /// The service as given.
        service: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A SigV4a region set is empty, too long, or has an empty or malformed
    /// entry.
    #[error("invalid region set {region_set:?}: {reason}")]
    InvalidRegionSet {
        /// The region set as given.
        region_set: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A SigV4a public key is not a point on P-256.
    #[error("invalid public key: {reason}")]
    InvalidPublicKey {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The HTTP method is empty or not an HTTP token.
    #[error("invalid HTTP method {method:?}")]
    InvalidMethod {
        /// The method as given.
        method: String,
    },
    /// The request has no host: no `Host` header and no authority in its URI.
    #[error(
        "the request has no host: give the URI an authority (https://host/...) or add a Host header"
    )]
    MissingHost,
    /// The URI's authority (host and port) is malformed.
    #[error("invalid host {host:?}: {reason}")]
    InvalidHost {
        /// The authority as given.
        host: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The URI could not be parsed at all.
    #[error("invalid URI: {reason}")]
    InvalidUri {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The URI path is not valid: a '%' not followed by two hex digits, or a control character.
    #[error("invalid URI path: {reason}")]
    InvalidPath {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// With S3's rules ([`UriEncoding::Single`](crate::UriEncoding::Single)),
    /// the path holds a raw `+`. S3 reads it as a space, so the request
    /// would not mean what it most likely says. [`Signer::sign`](crate::Signer::sign)
    /// and [`Signer::presign`](crate::Signer::presign) write it `%2B`
    /// themselves; a request signed from a [`SignableRequest`](crate::SignableRequest)
    /// must spell it out.
    #[error(
        "the path {path:?} holds a raw '+', which S3 reads as a space: write %2B for a plus sign or %20 for a space"
    )]
    PlusInPath {
        /// The path as given (shortened).
        path: String,
    },
    /// The query string is not valid: a '%' not followed by two hex digits, a control
    /// character, too many parameters, or a parameter that signing itself adds.
    #[error("invalid query string: {reason}")]
    InvalidQuery {
        /// What is wrong with it.
        reason: String,
    },
    /// A header name is empty or is not an HTTP token (RFC 9110 §5.1).
    #[error("invalid header name {name:?}: {reason}")]
    InvalidHeaderName {
        /// The name as given (lossy).
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A header value cannot be signed: it contains CR, LF, NUL or another control
    /// character, or it is not UTF-8.
    #[error("header {name:?} has a value that cannot be signed: {reason}")]
    InvalidHeaderValue {
        /// The header's name (its value is never included).
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The request has more header fields than [`crate::limits::MAX_HEADER_FIELDS`].
    #[error("too many header fields: {count} (the limit is {limit})")]
    TooManyHeaders {
        /// How many header fields the request has.
        count: usize,
        /// The limit.
        limit: usize,
    },
    /// One header field is larger than [`crate::limits::MAX_HEADER_FIELD_BYTES`].
    #[error("header {name:?} is {len} bytes (the limit is {limit})")]
    HeaderTooLarge {
        /// The header's name.
        name: String,
        /// Its value's length in bytes.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// A precomputed payload hash is not 64 lowercase hexadecimal digits.
    #[error("invalid payload hash: {reason}")]
    InvalidPayloadHash {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The payload hash given is not the one the server will compute for
    /// this request: a service other than S3 hashes the body unless the
    /// request carries `x-amz-content-sha256`, so signing
    /// `UNSIGNED-PAYLOAD` there needs that header; and a presigned URL with
    /// S3's rules signs `UNSIGNED-PAYLOAD` unless the request carries the
    /// hash in that header
    /// (<https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html>).
    #[error("the payload hash {payload} cannot be signed for this request: {reason}")]
    PayloadNotDeclared {
        /// The payload hash given (`UNSIGNED-PAYLOAD` or 64 hex digits).
        payload: String,
        /// What the server computes instead, and how to sign it.
        reason: &'static str,
    },
    /// A presigned URL's expiry is outside 1..=604800 seconds (7 days).
    #[error("presign expiry of {seconds} s is out of range: it must be 1..=604800 seconds")]
    ExpiresOutOfRange {
        /// The expiry asked for, in whole seconds.
        seconds: u64,
    },
    /// The presigned URL would outlive the credentials that sign it.
    #[error(
        "the presigned URL would be valid until {url_expires} but the credentials expire at {credentials_expire} (unix seconds)"
    )]
    PresignOutlivesCredentials {
        /// When the URL would expire, in unix seconds.
        url_expires: u64,
        /// When the credentials expire, in unix seconds.
        credentials_expire: u64,
    },
    /// The signing time is before 1970-01-01 or after 9999-12-31T23:59:59Z.
    #[error("signing time is out of range: {reason}")]
    TimeOutOfRange {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A request written as text could not be read (see [`crate::RequestText`]).
    #[error("invalid request text at line {line}: {reason}")]
    InvalidRequestText {
        /// The 1-based line number.
        line: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// The data given to an `aws-chunked` encoder is longer or shorter than
    /// the decoded length declared (and signed) up front.
    #[error("the data is {given} bytes but the upload declares {declared}")]
    ChunkedLength {
        /// The declared decoded length, in bytes.
        declared: u64,
        /// The bytes given (so far, when too many).
        given: u64,
    },
    /// An `aws-chunked` chunk size below AWS's minimum of 8 KiB.
    #[error("chunks of {size} bytes are too small: AWS's minimum is {min}")]
    InvalidChunkSize {
        /// The size asked for, in bytes.
        size: usize,
        /// The minimum.
        min: usize,
    },
    /// An `aws-chunked` decoded length too large to encode.
    #[error("a decoded length of {length} bytes is over the limit of {limit}")]
    DecodedLengthTooLarge {
        /// The length asked for, in bytes.
        length: u64,
        /// The limit.
        limit: u64,
    },
    /// A checksum algorithm name that is not `crc32`, `crc32c`,
    /// `crc64nvme`, `sha1` or `sha256`.
    #[error(
        "unknown checksum algorithm {name:?}: expected crc32, crc32c, crc64nvme, sha1 or sha256"
    )]
    UnknownChecksumAlgorithm {
        /// The name as given.
        name: String,
    },
    /// A date-time text could not be parsed.
    #[error("invalid date {text:?}: expected {expected}")]
    InvalidDate {
        /// The text as given.
        text: String,
        /// The format that was expected.
        expected: &'static str,
    },
    /// The host is an AWS endpoint of another service or region than the
    /// one the request is signed for, and the settings refuse that
    /// ([`EndpointCheck::Refuse`](crate::EndpointCheck::Refuse)). The
    /// message names both sides.
    #[error("{0}")]
    EndpointMismatch(Box<HostMismatch>),
    /// An event stream message cannot be signed (see
    /// [`crate::event_stream::EventStreamError`]).
    #[cfg(feature = "event-stream")]
    #[error(transparent)]
    EventStream(crate::event_stream::EventStreamError),
}

/// The two sides of an [`Error::EndpointMismatch`]: what the host names,
/// and what the request is signed for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", endpoint_mismatch(.host, .host_service, .host_region.as_deref(), .service, .region))]
#[non_exhaustive]
pub struct HostMismatch {
    /// The host, lower-cased, without port.
    pub host: String,
    /// The service the host is an endpoint of.
    pub host_service: String,
    /// The region the host names, when it names one.
    pub host_region: Option<String>,
    /// The service the request is signed for.
    pub service: String,
    /// The region the request is signed for.
    pub region: String,
}

/// What a host that names another service or region says: each part that
/// differs, the host's value first and then the signer's.
pub(crate) fn endpoint_mismatch(
    host: &str,
    host_service: &str,
    host_region: Option<&str>,
    service: &str,
    region: &str,
) -> String {
    let mut parts = Vec::new();
    if host_service != service {
        parts.push(format!(
            "service {host_service:?} (the request is signed for {service:?})"
        ));
    }
    if let Some(host_region) = host_region.filter(|r| *r != region) {
        parts.push(format!(
            "region {host_region:?} (the request is signed for {region:?})"
        ));
    }
    format!("the host {host} names {}", parts.join(" and "))
}

/// A short `Debug`-free rendering of possibly unprintable input for error messages.
pub(crate) fn lossy(bytes: &[u8]) -> String {
    let mut s = String::from_utf8_lossy(bytes).into_owned();
    if s.len() > 64 {
        let mut cut = 64;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push('…');
    }
    s
}

/// A query string with the value of any `X-Amz-Security-Token` parameter
/// replaced by `<redacted>`. Keys are compared decoded and without regard
/// to letter case (`X-Amz-Security-%54oken` is the token too).
pub(crate) fn redact_query(query: &str) -> String {
    let mut out = String::with_capacity(query.len());
    for (i, piece) in query.split('&').enumerate() {
        if i > 0 {
            out.push('&');
        }
        let key = piece.split_once('=').map_or(piece, |(k, _)| k);
        if crate::percent::decode(key.as_bytes()).eq_ignore_ascii_case(b"X-Amz-Security-Token") {
            out.push_str(key);
            out.push_str("=<redacted>");
        } else {
            out.push_str(piece);
        }
    }
    out
}

/// A `Display` adapter that prints a fixed mask instead of a secret.
pub(crate) struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"** redacted **\"")
    }
}
