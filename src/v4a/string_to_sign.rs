//! Stage 2 of SigV4a: the credential scope without a region, and the
//! string to sign.
//!
//! ```text
//! AWS4-ECDSA-P256-SHA256\n
//! 20150830T123600Z\n
//! 20150830/service/aws4_request\n
//! hex(SHA-256(canonical request))
//! ```
//!
//! See <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html#create-string-to-sign-sigv4a>.

use std::fmt;

use sha2::{Digest, Sha256};

use super::ALGORITHM;
use crate::canonical_request::CanonicalRequest;
use crate::payload::Sha256Hex;
use crate::scope::{AmzDate, Service};
use crate::sink::Sink;

/// The SigV4a credential scope: `YYYYMMDD/service/aws4_request`. The
/// region is not in it: the region set is signed as a header (or query
/// parameter) instead.
///
/// ```
/// use awsig::{AmzDate, Service};
/// use awsig::v4a::CredentialScope;
/// let date = AmzDate::parse("20150830T123600Z")?;
/// let service = Service::new("s3")?;
/// assert_eq!(CredentialScope::new(&date, &service).to_string(), "20150830/s3/aws4_request");
/// # Ok::<(), awsig::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct CredentialScope<'a> {
    date: &'a AmzDate,
    service: &'a Service,
}

impl<'a> CredentialScope<'a> {
    /// The scope for a signing date and service.
    pub fn new(date: &'a AmzDate, service: &'a Service) -> Self {
        Self { date, service }
    }

    /// The signing time whose date the scope carries.
    pub fn amz_date(&self) -> &'a AmzDate {
        self.date
    }

    /// The service.
    pub fn service(&self) -> &'a Service {
        self.service
    }

    pub(crate) fn write_to(&self, sink: &mut impl Sink) {
        sink.put(self.date.date().as_bytes());
        sink.put(b"/");
        sink.put(self.service.as_str().as_bytes());
        sink.put(b"/aws4_request");
    }
}

impl fmt::Display for CredentialScope<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/aws4_request", self.date.date(), self.service)
    }
}

impl fmt::Debug for CredentialScope<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CredentialScope({self})")
    }
}

/// The SigV4a string to sign. Its `Display` is exactly the signed text.
///
/// ```
/// use awsig::{AmzDate, Service};
/// use awsig::v4a::{CredentialScope, StringToSign};
/// let date = AmzDate::parse("20150830T123600Z")?;
/// let service = Service::new("service")?;
/// let hash = "cf59db423e841c8b7e3444158185aa261b724a5c27cbe762676f3eed19f4dc02";
/// let sts = StringToSign::from_hex_hash(CredentialScope::new(&date, &service), hash)?;
/// assert_eq!(sts.to_string(), format!("AWS4-ECDSA-P256-SHA256\n20150830T123600Z\n20150830/service/aws4_request\n{hash}"));
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
    /// [`crate::Error::InvalidPayloadHash`] when `hex_hash` is not 64
    /// lowercase hex digits.
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

    /// SHA-256 of the text: what ECDSA signs.
    pub(crate) fn digest(&self) -> [u8; 32] {
        let mut h = Sha256::new();
        self.write_to(&mut DigestSink(&mut h));
        h.finalize().into()
    }

    pub(crate) fn write_to(&self, sink: &mut impl Sink) {
        sink.put(ALGORITHM.as_bytes());
        sink.put(b"\n");
        sink.put(self.scope.amz_date().as_bytes());
        sink.put(b"\n");
        self.scope.write_to(sink);
        sink.put(b"\n");
        sink.put(self.hash.as_str().as_bytes());
    }
}

/// Feeds a `sha2` hasher.
struct DigestSink<'h>(&'h mut Sha256);

impl Sink for DigestSink<'_> {
    fn put(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
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
