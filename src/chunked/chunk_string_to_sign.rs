//! The string to sign of one chunk of an `aws-chunked` body.
//!
//! ```text
//! AWS4-HMAC-SHA256-PAYLOAD\n
//! 20130524T000000Z\n
//! 20130524/us-east-1/s3/aws4_request\n
//! <previous signature>\n
//! e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n
//! <hex SHA-256 of the chunk's data>
//! ```
//!
//! The previous signature is the seed signature (the request's own) for the
//! first chunk, and the signature of the chunk before for every other one.
//! See <https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html>.

use std::fmt;

use sha2::{Digest, Sha256};

use crate::payload::{EMPTY_SHA256, Sha256Hex};
use crate::scope::CredentialScope;
use crate::signature::Signature;
use crate::sink::Sink;

/// The algorithm line of a chunk's string to sign.
pub const CHUNK_ALGORITHM: &str = "AWS4-HMAC-SHA256-PAYLOAD";

/// The string to sign of one chunk. Its `Display` is exactly the signed text.
///
/// ```
/// use awsig::chunked::ChunkStringToSign;
/// use awsig::{AmzDate, CredentialScope, Region, Service, Signature};
///
/// let date = AmzDate::parse("20130524T000000Z")?;
/// let (region, service) = (Region::new("us-east-1")?, Service::new("s3")?);
/// let seed = Signature::parse("4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9").unwrap();
/// let sts = ChunkStringToSign::new(CredentialScope::new(&date, &region, &service), &seed, &[b'a'; 65536]);
/// assert_eq!(
///     sts.to_string(),
///     "AWS4-HMAC-SHA256-PAYLOAD\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n\
///      4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9\n\
///      e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n\
///      bf718b6f653bebc184e1479f1935b8da974d701b893afcf49e701f3e2f9f9c5a"
/// );
/// # Ok::<(), awsig::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ChunkStringToSign<'a> {
    scope: CredentialScope<'a>,
    previous: Signature,
    chunk_hash: Sha256Hex,
}

impl<'a> ChunkStringToSign<'a> {
    /// The string to sign of a chunk holding `data`, chained to `previous`.
    pub fn new(scope: CredentialScope<'a>, previous: &Signature, data: &[u8]) -> Self {
        let digest: [u8; 32] = Sha256::digest(data).into();
        Self::from_digest(scope, previous, &digest)
    }

    /// The string to sign from the raw SHA-256 of the chunk's data.
    pub fn from_digest(
        scope: CredentialScope<'a>,
        previous: &Signature,
        digest: &[u8; 32],
    ) -> Self {
        Self {
            scope,
            previous: *previous,
            chunk_hash: Sha256Hex::from_digest(digest),
        }
    }

    /// The credential scope (and through it the signing time).
    pub fn scope(&self) -> CredentialScope<'a> {
        self.scope
    }

    /// The signature this one is chained to.
    pub fn previous_signature(&self) -> &Signature {
        &self.previous
    }

    /// The hex SHA-256 of the chunk's data.
    pub fn chunk_hash(&self) -> &str {
        self.chunk_hash.as_str()
    }

    pub(crate) fn write_to(&self, sink: &mut impl Sink) {
        sink.put(CHUNK_ALGORITHM.as_bytes());
        sink.put(b"\n");
        sink.put(self.scope.amz_date().as_bytes());
        sink.put(b"\n");
        self.scope.write_to(sink);
        sink.put(b"\n");
        sink.put(self.previous.as_bytes());
        sink.put(b"\n");
        sink.put(EMPTY_SHA256.as_bytes());
        sink.put(b"\n");
        sink.put(self.chunk_hash.as_bytes());
    }
}

impl fmt::Display for ChunkStringToSign<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = Vec::new();
        self.write_to(&mut text);
        f.write_str(&String::from_utf8_lossy(&text))
    }
}

impl fmt::Debug for ChunkStringToSign<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ChunkStringToSign({:?})", self.to_string())
    }
}
