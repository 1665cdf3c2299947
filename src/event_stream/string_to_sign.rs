//! The string to sign of one event stream message, and the prior signature
//! it chains from.
//!
//! ```text
//! AWS4-HMAC-SHA256-PAYLOAD\n
//! 20150830T123600Z\n
//! 20150830/us-east-1/transcribe/aws4_request\n
//! hex(prior signature)\n
//! hex(SHA-256(encoded non-signature headers, the `:date` header))\n
//! hex(SHA-256(the message being wrapped))
//! ```
//!
//! See "Using Amazon Transcribe streaming with HTTP/2"
//! (<https://docs.aws.amazon.com/transcribe/latest/dg/how-streaming.html>).

use std::fmt;

use sha2::{Digest, Sha256};

use super::error::EventStreamError;
use crate::payload::Sha256Hex;
use crate::scope::{AmzDate, CredentialScope};
use crate::signature::Signature;
use crate::signing_key::SigningKey;
use crate::sink::{Sink, StackText};

/// The algorithm line of an event's string to sign.
pub const EVENT_ALGORITHM: &str = "AWS4-HMAC-SHA256-PAYLOAD";

/// The name of the header that carries the signing time (a timestamp).
pub const DATE_HEADER: &str = ":date";
/// The name of the header that carries the signature (32 bytes).
pub const CHUNK_SIGNATURE_HEADER: &str = ":chunk-signature";

/// The longest prior signature, in bytes.
const MAX_PRIOR_LEN: usize = 64;

/// The signature a message's signature chains from: the seed signature
/// (the signature of the request that opened the stream) for the first
/// message, the previous message's signature after that.
///
/// It is held as bytes (32 for a SigV4 signature) and enters the string to
/// sign as lowercase hex.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PriorSignature {
    bytes: [u8; MAX_PRIOR_LEN],
    len: u8,
}

impl PriorSignature {
    /// The bytes of a signature (the seed signature of a request signed by
    /// [`Signer::sign`](crate::Signer::sign), or a message's signature).
    pub fn from_signature(signature: &Signature) -> Self {
        let mut bytes = [0u8; MAX_PRIOR_LEN];
        // 64 hex digits always decode to 32 bytes.
        let _ = hex::decode_to_slice(signature.as_str(), &mut bytes[..32]);
        Self { bytes, len: 32 }
    }

    /// A prior signature from raw bytes.
    ///
    /// # Errors
    ///
    /// [`EventStreamError::InvalidSeed`] when `bytes` is empty or longer
    /// than 64 bytes.
    pub fn from_bytes(raw: &[u8]) -> Result<Self, EventStreamError> {
        if raw.is_empty() || raw.len() > MAX_PRIOR_LEN {
            return Err(EventStreamError::InvalidSeed {
                reason: "it must be 1 to 64 bytes",
            });
        }
        let mut bytes = [0u8; MAX_PRIOR_LEN];
        bytes
            .get_mut(..raw.len())
            .ok_or(EventStreamError::InvalidSeed {
                reason: "it must be 1 to 64 bytes",
            })?
            .copy_from_slice(raw);
        Ok(Self {
            bytes,
            // At most 64, checked above.
            len: raw.len() as u8,
        })
    }

    /// A prior signature from hex text (as in the `Signature=` part of an
    /// `Authorization` header); either case.
    ///
    /// # Errors
    ///
    /// [`EventStreamError::InvalidSeed`] when `text` is not an even number
    /// of hex digits, or decodes to no bytes or more than 64.
    pub fn from_hex(text: &str) -> Result<Self, EventStreamError> {
        let raw = hex::decode(text).map_err(|_| EventStreamError::InvalidSeed {
            reason: "it must be hex digits, an even number of them",
        })?;
        Self::from_bytes(&raw)
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or(&[])
    }

    fn write_hex(&self, sink: &mut impl Sink) {
        let mut buf = [0u8; 2 * MAX_PRIOR_LEN];
        let n = 2 * self.as_bytes().len();
        if let Some(out) = buf.get_mut(..n) {
            // `out` is exactly twice the length of the bytes.
            let _ = hex::encode_to_slice(self.as_bytes(), out);
            sink.put(out);
        }
    }
}

impl From<&Signature> for PriorSignature {
    fn from(signature: &Signature) -> Self {
        Self::from_signature(signature)
    }
}

impl fmt::Display for PriorSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.as_bytes() {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for PriorSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PriorSignature({self})")
    }
}

/// The `:date` header of an event as it is encoded and hashed: the name,
/// type 8 (timestamp) and the signing time in milliseconds, whole seconds
/// (sub-second parts are dropped, as the AWS SDKs do).
pub fn date_header(date: &AmzDate) -> [u8; 15] {
    // Dates end at year 9999, so the milliseconds fit an i64.
    let millis = date.unix_seconds().saturating_mul(1000);
    let mut out = [0u8; 15];
    let (name, value) = out.split_at_mut(7);
    name.copy_from_slice(b"\x05:date\x08");
    value.copy_from_slice(&millis.to_be_bytes());
    out
}

/// The string to sign of one event stream message. Its `Display` is
/// exactly the signed text.
///
/// ```
/// use awsig::{AmzDate, CredentialScope, Region, Service};
/// use awsig::event_stream::{EventStringToSign, PriorSignature};
///
/// let date = AmzDate::parse("19700101T000010Z")?;
/// let (region, service) = (Region::new("us-east-1")?, Service::new("transcribestreaming")?);
/// let scope = CredentialScope::new(&date, &region, &service);
/// let prior = PriorSignature::from_bytes(b"foobarbazqux")?;
/// // Non-signature headers "foo" and message "foo", as the Go SDK's test signs them.
/// let sts = EventStringToSign::new(scope, prior, b"foo", b"foo");
/// assert_eq!(sts.to_string(), "AWS4-HMAC-SHA256-PAYLOAD\n\
///     19700101T000010Z\n\
///     19700101/us-east-1/transcribestreaming/aws4_request\n\
///     666f6f62617262617a717578\n\
///     2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae\n\
///     2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct EventStringToSign<'a> {
    scope: CredentialScope<'a>,
    prior: PriorSignature,
    headers_hash: Sha256Hex,
    message_hash: Sha256Hex,
}

impl<'a> EventStringToSign<'a> {
    /// The string to sign for encoded non-signature headers and a message.
    pub fn new(
        scope: CredentialScope<'a>,
        prior: PriorSignature,
        non_signature_headers: &[u8],
        message: &[u8],
    ) -> Self {
        Self::from_digests(
            scope,
            prior,
            &Sha256::digest(non_signature_headers).into(),
            &Sha256::digest(message).into(),
        )
    }

    /// The string to sign for a message signed at the scope's time: the
    /// non-signature headers are the scope date's `:date` header
    /// ([`date_header`]). The message is the encoded message being wrapped
    /// (empty for the end of the stream).
    pub fn for_message(scope: CredentialScope<'a>, prior: PriorSignature, message: &[u8]) -> Self {
        let date = date_header(scope.amz_date());
        Self::new(scope, prior, &date, message)
    }

    /// The string to sign from the SHA-256 digests of the encoded
    /// non-signature headers and of the message.
    pub fn from_digests(
        scope: CredentialScope<'a>,
        prior: PriorSignature,
        headers_digest: &[u8; 32],
        message_digest: &[u8; 32],
    ) -> Self {
        Self {
            scope,
            prior,
            headers_hash: Sha256Hex::from_digest(headers_digest),
            message_hash: Sha256Hex::from_digest(message_digest),
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

    /// The prior signature.
    pub fn prior_signature(&self) -> &PriorSignature {
        &self.prior
    }

    /// The hex SHA-256 of the encoded non-signature headers.
    pub fn headers_hash(&self) -> &str {
        self.headers_hash.as_str()
    }

    /// The hex SHA-256 of the message.
    pub fn message_hash(&self) -> &str {
        self.message_hash.as_str()
    }

    /// Signs the text with a signing key (the day's key of the scope).
    pub fn sign(&self, key: &SigningKey) -> Signature {
        let mut text = StackText::<TEXT_CAP>::new();
        self.write_to(&mut text);
        key.sign_bytes(text.get())
    }

    fn write_to(&self, sink: &mut impl Sink) {
        sink.put(EVENT_ALGORITHM.as_bytes());
        sink.put(b"\n");
        sink.put(self.scope.amz_date().as_bytes());
        sink.put(b"\n");
        self.scope.write_to(sink);
        sink.put(b"\n");
        self.prior.write_hex(sink);
        sink.put(b"\n");
        sink.put(self.headers_hash.as_bytes());
        sink.put(b"\n");
        sink.put(self.message_hash.as_bytes());
    }
}

/// Room for the longest text: the algorithm (24), the date (16), a scope of
/// at most 151 bytes, a prior signature of 128 hex digits, two hashes and
/// five newlines.
const TEXT_CAP: usize = 24 + 16 + 151 + 128 + 64 + 64 + 5;

impl fmt::Display for EventStringToSign<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{EVENT_ALGORITHM}\n{}\n{}\n{}\n{}\n{}",
            self.scope.amz_date(),
            self.scope,
            self.prior,
            self.headers_hash.as_str(),
            self.message_hash.as_str()
        )
    }
}

impl fmt::Debug for EventStringToSign<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EventStringToSign({:?})", self.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scope::{Region, Service};

    #[test]
    fn text_is_what_is_signed_and_fits_the_longest_parts() {
        let date = AmzDate::parse("20240229T235959Z").unwrap();
        let region = Region::new(&"r".repeat(64)).unwrap();
        let service = Service::new(&"s".repeat(64)).unwrap();
        let scope = CredentialScope::new(&date, &region, &service);
        let prior = PriorSignature::from_bytes(&[0xab; 64]).unwrap();
        let sts = EventStringToSign::for_message(scope, prior, b"message");
        let key = SigningKey::derive("secret", &date, &region, &service);
        assert_eq!(sts.sign(&key), key.sign_bytes(sts.to_string().as_bytes()));
        assert_eq!(sts.to_string().len(), TEXT_CAP);
    }

    #[test]
    fn prior_signatures() {
        let sig = Signature::parse(&"0f".repeat(32)).unwrap();
        let prior = PriorSignature::from_signature(&sig);
        assert_eq!(prior.as_bytes(), &[0x0f; 32]);
        assert_eq!(prior.to_string(), sig.as_str());
        assert_eq!(PriorSignature::from_hex(&"0F".repeat(32)).unwrap(), prior);
        for bad in ["", "abc", "zz", &"00".repeat(65)] {
            assert!(PriorSignature::from_hex(bad).is_err(), "{bad}");
        }
        assert!(PriorSignature::from_bytes(&[]).is_err());
    }

    #[test]
    fn date_header_is_the_encoded_timestamp() {
        let date = AmzDate::from_unix_seconds(1).unwrap();
        let mut expected = vec![5];
        expected.extend_from_slice(b":date");
        expected.push(8);
        expected.extend_from_slice(&1000i64.to_be_bytes());
        assert_eq!(date_header(&date).to_vec(), expected);
    }
}
