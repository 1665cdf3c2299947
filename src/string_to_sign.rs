//! Stage 2: the string to sign.
//!
//! ```text
//! AWS4-HMAC-SHA256\n
//! 20150830T123600Z\n
//! 20150830/us-east-1/iam/aws4_request\n
//! hex(SHA-256(canonical request))
//! ```
//!
//! See <https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html#create-string-to-sign>.

use std::fmt;

use crate::canonical_request::CanonicalRequest;
use crate::payload::Sha256Hex;
use crate::scope::{AmzDate, CredentialScope};
use crate::sink::Sink;

/// The algorithm name for SigV4 with HMAC-SHA256.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// The string to sign. Its `Display` is exactly the signed text.
///
/// ```
/// use awsig::{AmzDate, CredentialScope, Region, Service, StringToSign};
/// let date = AmzDate::parse("20150830T123600Z")?;
/// let (region, service) = (Region::new("us-east-1")?, Service::new("iam")?);
/// let scope = CredentialScope::new(&date, &region, &service);
/// let hash = "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59";
/// let sts = StringToSign::from_hex_hash(scope, hash)?;
/// assert_eq!(sts.to_string(), format!("AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/iam/aws4_request\n{hash}"));
/// # Ok::<(), awsig::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct StringToSign<'a> {
    scope: CredentialScope<'a>,
    hash: Sha256Hex,
}

impl<'a> StringToSign<'a> {
    /// The string to sign for a canonical request.
    pub fn new(scope: CredentialScope<'a>, canonical_request: &CanonicalRequest) -> Self {
        Self::from_digest(scope, &canonical_request.digest())
    }

    /// The string to sign from the raw SHA-256 of a canonical request.
    pub fn from_digest(scope: CredentialScope<'a>, digest: &[u8; 32]) -> Self {
        Self {
            scope,
            hash: Sha256Hex::from_digest(digest),
        }
    }

    /// The string to sign from the hex SHA-256 of a canonical request.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidPayloadHash`](crate::Error::InvalidPayloadHash) when `hex_hash` is not 64 lowercase hexadecimal digits.
    pub fn from_hex_hash(scope: CredentialScope<'a>, hex_hash: &str) -> Result<Self, crate::Error> {
        match crate::PayloadHash::from_hex(hex_hash)? {
            crate::PayloadHash::Sha256(hash) => Ok(Self { scope, hash }),
            _ => Err(crate::Error::InvalidPayloadHash {
                reason: "expected a hex SHA-256 digest",
            }),
        }
    }

    /// The signing time.
    pub fn amz_date(&self) -> &'a AmzDate {
        self.scope.amz_date()
    }

    /// The credential scope.
    pub fn scope(&self) -> CredentialScope<'a> {
        self.scope
    }

    /// The hex SHA-256 of the canonical request.
    pub fn canonical_request_hash(&self) -> &str {
        self.hash.as_str()
    }

    pub(crate) fn write_to(&self, sink: &mut impl Sink) {
        sink.put(ALGORITHM.as_bytes());
        sink.put(b"\n");
        sink.put(self.scope.amz_date().as_bytes());
        sink.put(b"\n");
        self.scope.write_to(sink);
        sink.put(b"\n");
        sink.put(self.hash.as_bytes());
    }
}

impl fmt::Display for StringToSign<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{ALGORITHM}\n{}\n{}\n{}",
            self.scope.amz_date(),
            self.scope,
            self.hash.as_str()
        )
    }
}

impl fmt::Debug for StringToSign<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StringToSign({:?})", self.to_string())
    }
}
