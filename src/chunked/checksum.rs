//! The checksums a trailer can carry, computed as the data passes.
//!
//! S3 sends and expects each one base64-encoded, the CRCs as their
//! big-endian bytes: `x-amz-checksum-crc32c:sOO8/Q==`. See
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html>.

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use crc_fast::{CrcAlgorithm, Digest as CrcDigest};
use sha1::Digest as _;

use crate::error::Error;

/// A checksum algorithm S3 accepts in a trailer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ChecksumAlgorithm {
    /// CRC-32 (ISO-HDLC, the one of zip and Ethernet): `x-amz-checksum-crc32`.
    Crc32,
    /// CRC-32C (Castagnoli): `x-amz-checksum-crc32c`.
    Crc32c,
    /// CRC-64/NVME: `x-amz-checksum-crc64nvme`.
    Crc64Nvme,
    /// SHA-1: `x-amz-checksum-sha1`.
    Sha1,
    /// SHA-256: `x-amz-checksum-sha256`.
    Sha256,
}

impl ChecksumAlgorithm {
    /// Every algorithm.
    pub const ALL: [Self; 5] = [
        Self::Crc32,
        Self::Crc32c,
        Self::Crc64Nvme,
        Self::Sha1,
        Self::Sha256,
    ];

    /// The trailing header that carries it, such as `x-amz-checksum-crc32c`.
    pub fn header_name(self) -> &'static str {
        match self {
            Self::Crc32 => "x-amz-checksum-crc32",
            Self::Crc32c => "x-amz-checksum-crc32c",
            Self::Crc64Nvme => "x-amz-checksum-crc64nvme",
            Self::Sha1 => "x-amz-checksum-sha1",
            Self::Sha256 => "x-amz-checksum-sha256",
        }
    }

    /// The algorithm a trailing header name stands for, compared without
    /// regard to case.
    pub fn from_header_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|a| a.header_name().eq_ignore_ascii_case(name))
    }

    /// The short name, as in `x-amz-sdk-checksum-algorithm`: `crc32`,
    /// `crc32c`, `crc64nvme`, `sha1`, `sha256`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Crc32 => "crc32",
            Self::Crc32c => "crc32c",
            Self::Crc64Nvme => "crc64nvme",
            Self::Sha1 => "sha1",
            Self::Sha256 => "sha256",
        }
    }

    /// The length of the digest in bytes.
    pub fn digest_len(self) -> usize {
        match self {
            Self::Crc32 | Self::Crc32c => 4,
            Self::Crc64Nvme => 8,
            Self::Sha1 => 20,
            Self::Sha256 => 32,
        }
    }

    /// The length of the base64 value in the trailer, in bytes.
    pub fn base64_len(self) -> usize {
        self.digest_len().div_ceil(3) * 4
    }
}

impl fmt::Display for ChecksumAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ChecksumAlgorithm {
    type Err = Error;

    /// Parses the short name (`crc32`, `crc32c`, `crc64nvme`, `sha1`,
    /// `sha256`, any case) or the header name.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownChecksumAlgorithm`] for anything else.
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::ALL
            .into_iter()
            .find(|a| a.as_str().eq_ignore_ascii_case(s))
            .or_else(|| Self::from_header_name(s))
            .ok_or_else(|| Error::UnknownChecksumAlgorithm {
                name: crate::error::lossy(s.as_bytes()),
            })
    }
}

/// A checksum in progress.
#[derive(Clone)]
pub struct Checksum {
    state: State,
}

#[derive(Clone)]
enum State {
    Crc(ChecksumAlgorithm, CrcDigest),
    Sha1(sha1::Sha1),
    Sha256(sha2::Sha256),
}

impl Checksum {
    /// A checksum of nothing yet.
    pub fn new(algorithm: ChecksumAlgorithm) -> Self {
        let state = match algorithm {
            ChecksumAlgorithm::Crc32 => {
                State::Crc(algorithm, CrcDigest::new(CrcAlgorithm::Crc32IsoHdlc))
            }
            ChecksumAlgorithm::Crc32c => {
                State::Crc(algorithm, CrcDigest::new(CrcAlgorithm::Crc32Iscsi))
            }
            ChecksumAlgorithm::Crc64Nvme => {
                State::Crc(algorithm, CrcDigest::new(CrcAlgorithm::Crc64Nvme))
            }
            ChecksumAlgorithm::Sha1 => State::Sha1(sha1::Sha1::new()),
            ChecksumAlgorithm::Sha256 => State::Sha256(sha2::Sha256::new()),
        };
        Self { state }
    }

    /// The algorithm.
    pub fn algorithm(&self) -> ChecksumAlgorithm {
        match &self.state {
            State::Crc(a, _) => *a,
            State::Sha1(_) => ChecksumAlgorithm::Sha1,
            State::Sha256(_) => ChecksumAlgorithm::Sha256,
        }
    }

    /// Adds bytes.
    pub fn update(&mut self, data: &[u8]) {
        match &mut self.state {
            State::Crc(_, d) => d.update(data),
            State::Sha1(d) => d.update(data),
            State::Sha256(d) => d.update(data),
        }
    }

    /// The checksum of everything added, base64-encoded as S3 expects.
    pub fn finish(&self) -> ChecksumValue {
        let mut digest = [0u8; 32];
        let len = self.algorithm().digest_len();
        match &self.state {
            State::Crc(a, d) => {
                let value = d.finalize();
                let bytes = value.to_be_bytes();
                // A CRC-32's value is in the low 4 bytes of the u64.
                let from = if *a == ChecksumAlgorithm::Crc64Nvme {
                    0
                } else {
                    4
                };
                copy_into(&mut digest, bytes.get(from..).unwrap_or(&[]));
            }
            State::Sha1(d) => copy_into(&mut digest, &d.clone().finalize()),
            State::Sha256(d) => copy_into(&mut digest, &d.clone().finalize()),
        }
        ChecksumValue::from_digest(self.algorithm(), digest.get(..len).unwrap_or(&[]))
    }

    /// The checksum of `data` in one go.
    pub fn of(algorithm: ChecksumAlgorithm, data: &[u8]) -> ChecksumValue {
        let mut c = Self::new(algorithm);
        c.update(data);
        c.finish()
    }
}

fn copy_into(dst: &mut [u8; 32], src: &[u8]) {
    for (d, s) in dst.iter_mut().zip(src) {
        *d = *s;
    }
}

impl fmt::Debug for Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Checksum")
            .field("algorithm", &self.algorithm())
            .finish_non_exhaustive()
    }
}

/// A finished checksum: its algorithm and base64 text, kept inline.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ChecksumValue {
    algorithm: ChecksumAlgorithm,
    text: [u8; 44],
    len: usize,
}

impl ChecksumValue {
    fn from_digest(algorithm: ChecksumAlgorithm, digest: &[u8]) -> Self {
        let mut text = [0u8; 44];
        let len = STANDARD.encode_slice(digest, &mut text).unwrap_or(0);
        Self {
            algorithm,
            text,
            len,
        }
    }

    /// The algorithm.
    pub fn algorithm(&self) -> ChecksumAlgorithm {
        self.algorithm
    }

    /// The base64 text, as it goes into the trailer.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(self.as_bytes()).unwrap_or("")
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.text.get(..self.len).unwrap_or(&[])
    }
}

impl fmt::Display for ChecksumValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for ChecksumValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algorithm.header_name(), self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The check values of the CRC catalogue (the CRC of "123456789") and
    /// the FIPS 180 "abc" digests, base64-encoded big-endian.
    #[test]
    fn known_values() {
        let b64 = |bytes: &[u8]| STANDARD.encode(bytes);
        let cases = [
            (
                ChecksumAlgorithm::Crc32,
                b"123456789".as_slice(),
                b64(&0xcbf4_3926u32.to_be_bytes()),
            ),
            (
                ChecksumAlgorithm::Crc32c,
                b"123456789",
                b64(&0xe306_9283u32.to_be_bytes()),
            ),
            (
                ChecksumAlgorithm::Crc64Nvme,
                b"123456789",
                b64(&0xae8b_1486_0a79_9888u64.to_be_bytes()),
            ),
            (
                ChecksumAlgorithm::Sha1,
                b"abc",
                b64(&hex::decode("a9993e364706816aba3e25717850c26c9cd0d89d").unwrap()),
            ),
            (
                ChecksumAlgorithm::Sha256,
                b"abc",
                b64(&hex::decode(
                    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                )
                .unwrap()),
            ),
        ];
        for (algorithm, data, expected) in cases {
            let mut c = Checksum::new(algorithm);
            for piece in data.chunks(2) {
                c.update(piece);
            }
            assert_eq!(c.finish().as_str(), expected, "{algorithm}");
            assert_eq!(expected.len(), algorithm.base64_len(), "{algorithm}");
        }
        // The AWS documentation's trailer example: 66560 bytes of 'a'.
        assert_eq!(
            Checksum::of(ChecksumAlgorithm::Crc32c, &[b'a'; 66560]).as_str(),
            "sOO8/Q=="
        );
    }

    #[test]
    fn names() {
        for a in ChecksumAlgorithm::ALL {
            assert_eq!(
                ChecksumAlgorithm::from_header_name(a.header_name()),
                Some(a)
            );
            assert_eq!(a.as_str().parse::<ChecksumAlgorithm>().unwrap(), a);
            assert_eq!(
                a.as_str()
                    .to_uppercase()
                    .parse::<ChecksumAlgorithm>()
                    .unwrap(),
                a
            );
        }
        assert!("md5".parse::<ChecksumAlgorithm>().is_err());
        assert_eq!(
            ChecksumAlgorithm::from_header_name("X-Amz-Checksum-CRC32C"),
            Some(ChecksumAlgorithm::Crc32c)
        );
    }
}
