//! Stage 4: the signature, lowercase hex of HMAC-SHA256(signing key, string to sign).

use std::fmt;

/// A SigV4 signature: 64 lowercase hex digits.
///
/// Comparing two signatures with `==` takes the same time wherever they
/// differ.
#[derive(Clone, Copy, Eq)]
pub struct Signature([u8; 64]);

impl Signature {
    pub(crate) fn from_mac(mac: &[u8; 32]) -> Self {
        let mut out = [0u8; 64];
        let _ = hex::encode_to_slice(mac, &mut out);
        Self(out)
    }

    /// Parses 64 lowercase hex digits (as found in an `Authorization` header).
    pub fn parse(text: &str) -> Option<Self> {
        let b = text.as_bytes();
        if b.len() != 64 || !b.iter().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')) {
            return None;
        }
        let mut out = [0u8; 64];
        out.copy_from_slice(b);
        Some(Self(out))
    }

    /// The hex digits as bytes.
    pub(crate) fn as_bytes(&self) -> &[u8; 64] {
        &self.0
    }

    /// The hex text.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("")
    }

    /// Compares with a signature given as text, in constant time.
    pub fn matches(&self, text: &str) -> bool {
        crate::constant_time_eq(&self.0, text.as_bytes())
    }
}

impl PartialEq for Signature {
    fn eq(&self, other: &Self) -> bool {
        crate::constant_time_eq(&self.0, &other.0)
    }
}

impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature({})", self.as_str())
    }
}
