//! The string to sign of the trailer of an `aws-chunked` body.
//!
//! ```text
//! AWS4-HMAC-SHA256-TRAILER\n
//! 20130524T000000Z\n
//! 20130524/us-east-1/s3/aws4_request\n
//! <signature of the final, empty chunk>\n
//! <hex SHA-256 of the canonical trailer>
//! ```
//!
//! The canonical trailer is each trailing header as `name:value\n`, names
//! lowercase and sorted: lines end in `\n` here, though they are sent with
//! `\r\n`. See
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming-trailers.html>.

use std::fmt;

use sha2::{Digest, Sha256};

use crate::payload::Sha256Hex;
use crate::scope::CredentialScope;
use crate::signature::Signature;
use crate::sink::Sink;

/// The algorithm line of a trailer's string to sign.
pub const TRAILER_ALGORITHM: &str = "AWS4-HMAC-SHA256-TRAILER";

/// The string to sign of a trailer. Its `Display` is exactly the signed text.
///
/// ```
/// use awsig::chunked::TrailerStringToSign;
/// use awsig::{AmzDate, CredentialScope, Region, Service, Signature};
///
/// let date = AmzDate::parse("20130524T000000Z")?;
/// let (region, service) = (Region::new("us-east-1")?, Service::new("s3")?);
/// let last = Signature::parse("2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992").unwrap();
/// let scope = CredentialScope::new(&date, &region, &service);
/// let sts = TrailerStringToSign::new(scope, &last, b"x-amz-checksum-crc32c:sOO8/Q==\n");
/// assert_eq!(
///     sts.to_string(),
///     "AWS4-HMAC-SHA256-TRAILER\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n\
///      2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992\n\
///      1e376db7e1a34a8ef1c4bcee131a2d60a1cb62503747488624e10995f448d774"
/// );
/// # Ok::<(), awsig::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct TrailerStringToSign<'a> {
    scope: CredentialScope<'a>,
    previous: Signature,
    trailer_hash: Sha256Hex,
}

impl<'a> TrailerStringToSign<'a> {
    /// The string to sign of a trailer whose canonical form is
    /// `canonical_trailer` (`name:value\n` lines), chained to `previous`,
    /// the signature of the final chunk.
    pub fn new(scope: CredentialScope<'a>, previous: &Signature, canonical_trailer: &[u8]) -> Self {
        let digest: [u8; 32] = Sha256::digest(canonical_trailer).into();
        Self::from_digest(scope, previous, &digest)
    }

    /// The string to sign from the raw SHA-256 of the canonical trailer.
    pub fn from_digest(
        scope: CredentialScope<'a>,
        previous: &Signature,
        digest: &[u8; 32],
    ) -> Self {
        Self {
            scope,
            previous: *previous,
            trailer_hash: Sha256Hex::from_digest(digest),
        }
    }

    /// The credential scope (and through it the signing time).
    pub fn scope(&self) -> CredentialScope<'a> {
        self.scope
    }

    /// The signature this one is chained to: the final chunk's.
    pub fn previous_signature(&self) -> &Signature {
        &self.previous
    }

    /// The hex SHA-256 of the canonical trailer.
    pub fn trailer_hash(&self) -> &str {
        self.trailer_hash.as_str()
    }

    pub(crate) fn write_to(&self, sink: &mut impl Sink) {
        sink.put(TRAILER_ALGORITHM.as_bytes());
        sink.put(b"\n");
        sink.put(self.scope.amz_date().as_bytes());
        sink.put(b"\n");
        self.scope.write_to(sink);
        sink.put(b"\n");
        sink.put(self.previous.as_bytes());
        sink.put(b"\n");
        sink.put(self.trailer_hash.as_bytes());
    }
}

impl fmt::Display for TrailerStringToSign<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = Vec::new();
        self.write_to(&mut text);
        f.write_str(&String::from_utf8_lossy(&text))
    }
}

impl fmt::Debug for TrailerStringToSign<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TrailerStringToSign({:?})", self.to_string())
    }
}
