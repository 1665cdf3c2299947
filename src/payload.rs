//! The payload hash: the last line of the canonical request.

use std::fmt;

use sha2::{Digest, Sha256};

use crate::error::Error;

/// Hex SHA-256 of the empty string.
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
/// The payload is not signed (S3 and a few others accept this, over TLS).
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
/// An `aws-chunked` body whose chunks are each signed.
pub const STREAMING_SIGNED: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
/// An `aws-chunked` body with signed chunks and signed trailers.
pub const STREAMING_SIGNED_TRAILER: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
/// An `aws-chunked` body with unsigned chunks and a trailer (for example a checksum).
pub const STREAMING_UNSIGNED_TRAILER: &str = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";
/// An event stream body (`application/vnd.amazon.eventstream`) whose
/// messages are each signed, chained from the request's signature
/// (Transcribe streaming, Bedrock bidirectional streams, Lex).
pub const STREAMING_EVENTS: &str = "STREAMING-AWS4-HMAC-SHA256-EVENTS";

/// What the canonical request says about the body.
///
/// ```
/// use awsig::PayloadHash;
/// assert_eq!(PayloadHash::of(b"").as_str(), awsig::EMPTY_SHA256);
/// assert_eq!(PayloadHash::Unsigned.as_str(), "UNSIGNED-PAYLOAD");
/// assert!(PayloadHash::from_hex("E3B0").is_err());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PayloadHash {
    /// A hex SHA-256 digest (64 lowercase hex digits).
    Sha256(Sha256Hex),
    /// `UNSIGNED-PAYLOAD`.
    Unsigned,
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`.
    StreamingSigned,
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`.
    StreamingSignedTrailer,
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`.
    StreamingUnsignedTrailer,
    /// `STREAMING-AWS4-HMAC-SHA256-EVENTS`.
    StreamingEvents,
}

/// 64 lowercase hex digits of a SHA-256 digest, kept inline.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sha256Hex([u8; 64]);

impl Sha256Hex {
    /// Hex of a raw digest.
    pub fn from_digest(digest: &[u8; 32]) -> Self {
        let mut out = [0u8; 64];
        // Writing 32 bytes as hex always fits in 64 bytes.
        let _ = hex::encode_to_slice(digest, &mut out);
        Self(out)
    }

    /// The hex text.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("")
    }

    /// The hex digits as bytes.
    pub(crate) fn as_bytes(&self) -> &[u8; 64] {
        &self.0
    }
}

impl fmt::Debug for Sha256Hex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PayloadHash {
    /// The SHA-256 of a body held in memory.
    pub fn of(body: &[u8]) -> Self {
        let digest: [u8; 32] = Sha256::digest(body).into();
        Self::Sha256(Sha256Hex::from_digest(&digest))
    }

    /// The hash of the empty body.
    pub fn empty() -> Self {
        Self::of(b"")
    }

    /// A hash computed elsewhere: must be exactly 64 lowercase hex digits.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidPayloadHash`](crate::Error::InvalidPayloadHash) when the text is not 64 lowercase hexadecimal digits.
    pub fn from_hex(hex: &str) -> Result<Self, Error> {
        let b = hex.as_bytes();
        if b.len() != 64 {
            return Err(Error::InvalidPayloadHash {
                reason: "it must be 64 hexadecimal digits",
            });
        }
        if !b.iter().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(Error::InvalidPayloadHash {
                reason: "it must be lowercase hexadecimal digits only",
            });
        }
        let mut out = [0u8; 64];
        out.copy_from_slice(b);
        Ok(Self::Sha256(Sha256Hex(out)))
    }

    /// Parses any value `x-amz-content-sha256` may carry: a hex digest or one
    /// of the markers.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidPayloadHash`](crate::Error::InvalidPayloadHash) when the text is neither 64 lowercase hexadecimal digits nor one of the markers (`UNSIGNED-PAYLOAD`, `STREAMING-…`).
    pub fn parse(text: &str) -> Result<Self, Error> {
        match text {
            UNSIGNED_PAYLOAD => Ok(Self::Unsigned),
            STREAMING_SIGNED => Ok(Self::StreamingSigned),
            STREAMING_SIGNED_TRAILER => Ok(Self::StreamingSignedTrailer),
            STREAMING_UNSIGNED_TRAILER => Ok(Self::StreamingUnsignedTrailer),
            STREAMING_EVENTS => Ok(Self::StreamingEvents),
            other => Self::from_hex(other),
        }
    }

    /// The bytes of [`PayloadHash::as_str`], without a UTF-8 check.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        match self {
            Self::Sha256(h) => h.as_bytes(),
            other => other.as_str().as_bytes(),
        }
    }

    /// The text that goes into the canonical request.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Sha256(h) => h.as_str(),
            Self::Unsigned => UNSIGNED_PAYLOAD,
            Self::StreamingSigned => STREAMING_SIGNED,
            Self::StreamingSignedTrailer => STREAMING_SIGNED_TRAILER,
            Self::StreamingUnsignedTrailer => STREAMING_UNSIGNED_TRAILER,
            Self::StreamingEvents => STREAMING_EVENTS,
        }
    }
}

impl fmt::Display for PayloadHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for PayloadHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PayloadHash({})", self.as_str())
    }
}

impl std::str::FromStr for PayloadHash {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::parse(s)
    }
}

/// The header that carries the length of an `aws-chunked` body's data.
pub(crate) const X_AMZ_DECODED_CONTENT_LENGTH: &str = "x-amz-decoded-content-length";
/// The header that names an `aws-chunked` body's trailing headers.
pub(crate) const X_AMZ_TRAILER: &str = "x-amz-trailer";

/// The largest decoded length of an `aws-chunked` body accepted (2^62
/// bytes), so that every length computed from it fits in a `u64`. S3's
/// largest object is 5 TiB.
pub(crate) const MAX_DECODED_LENGTH: u64 = 1 << 62;

/// The checksum headers an `aws-chunked` trailer may carry (the value of
/// `x-amz-trailer`), as S3 reads them.
pub(crate) const TRAILER_CHECKSUMS: [&str; 5] = [
    "x-amz-checksum-crc32",
    "x-amz-checksum-crc32c",
    "x-amz-checksum-crc64nvme",
    "x-amz-checksum-sha1",
    "x-amz-checksum-sha256",
];

/// Reads an `x-amz-decoded-content-length` value: decimal bytes (spaces
/// and tabs around it allowed), at most [`MAX_DECODED_LENGTH`].
pub(crate) fn parse_decoded_length(text: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(text).ok()?.trim_matches([' ', '\t']);
    if text.is_empty() || text.len() > 19 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok().filter(|n| *n <= MAX_DECODED_LENGTH)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes() {
        assert_eq!(PayloadHash::empty().as_str(), EMPTY_SHA256);
        assert_eq!(
            PayloadHash::parse(EMPTY_SHA256).unwrap(),
            PayloadHash::empty()
        );
        assert_eq!(
            PayloadHash::parse(STREAMING_SIGNED).unwrap(),
            PayloadHash::StreamingSigned
        );
        assert_eq!(
            PayloadHash::parse("STREAMING-AWS4-HMAC-SHA256-EVENTS").unwrap(),
            PayloadHash::StreamingEvents
        );
        assert!(PayloadHash::from_hex(&EMPTY_SHA256.to_uppercase()).is_err());
        assert!(PayloadHash::from_hex(&EMPTY_SHA256[..63]).is_err());
        assert!(PayloadHash::from_hex(&format!("{}g", &EMPTY_SHA256[..63])).is_err());
    }
}
