//! Stage 4 of SigV4a: the signature, an ECDSA P-256 signature in DER,
//! written as lowercase hex.

use std::fmt;

/// The most bytes a DER-encoded P-256 ECDSA signature takes: a sequence of
/// two integers of up to 33 bytes each.
pub const MAX_DER_BYTES: usize = 72;

/// A SigV4a signature: an ECDSA P-256 signature, DER-encoded (70 to 72
/// bytes as a rule), whose `Display` is its lowercase hex, as it appears
/// in the `Authorization` header or the `X-Amz-Signature` parameter.
///
/// Two signatures of the same text by the same key are equal (RFC 6979),
/// but signatures made by other signers differ: check them with
/// [`PublicKey::verify`](super::PublicKey::verify), never by comparing.
#[derive(Clone, Copy)]
pub struct Signature {
    der: [u8; MAX_DER_BYTES],
    len: u8,
    hex: [u8; 2 * MAX_DER_BYTES],
}

impl Signature {
    /// A signature from its DER bytes as `p256` wrote them (at most
    /// [`MAX_DER_BYTES`]).
    pub(crate) fn from_der_unchecked(der: &[u8]) -> Self {
        let mut out = Self::empty();
        let len = der.len().min(MAX_DER_BYTES);
        if let (Some(slot), Some(src)) = (out.der.get_mut(..len), der.get(..len)) {
            slot.copy_from_slice(src);
        }
        if let Some(hex_slot) = out.hex.get_mut(..2 * len) {
            let _ = hex::encode_to_slice(der.get(..len).unwrap_or(&[]), hex_slot);
        }
        out.len = u8::try_from(len).unwrap_or(0);
        out
    }

    pub(crate) fn empty() -> Self {
        Self {
            der: [0; MAX_DER_BYTES],
            len: 0,
            hex: [0; 2 * MAX_DER_BYTES],
        }
    }

    /// Parses the hex text of a signature (as found in an `Authorization`
    /// header): an even number of lowercase hex digits, at most
    /// 2 × [`MAX_DER_BYTES`]. Whether the bytes are well-formed DER is
    /// checked when the signature is verified.
    pub fn parse(text: &str) -> Option<Self> {
        let b = text.as_bytes();
        if b.is_empty()
            || !b.len().is_multiple_of(2)
            || b.len() > 2 * MAX_DER_BYTES
            || !b.iter().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'))
        {
            return None;
        }
        let mut der = [0u8; MAX_DER_BYTES];
        let len = b.len() / 2;
        hex::decode_to_slice(b, der.get_mut(..len)?).ok()?;
        Some(Self::from_der_unchecked(der.get(..len)?))
    }

    /// The DER bytes.
    pub fn der(&self) -> &[u8] {
        self.der.get(..usize::from(self.len)).unwrap_or(&[])
    }

    /// The lowercase hex text.
    pub fn as_str(&self) -> &str {
        let hex = self.hex.get(..2 * usize::from(self.len)).unwrap_or(&[]);
        std::str::from_utf8(hex).unwrap_or("")
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.as_str().as_bytes()
    }
}

impl PartialEq for Signature {
    fn eq(&self, other: &Self) -> bool {
        crate::constant_time_eq(self.der(), other.der())
    }
}

impl Eq for Signature {}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_hex() {
        let text = "3045022018b4e277d0281864beb51d3600e23f88510ea5031d68ddfbb68614b82a5eb7d2022100effb9c5f22ed9ef3ae0ab243d21f06bce82365bbb79529a07b6888c343ae5f8c";
        let sig = Signature::parse(text).unwrap();
        assert_eq!(sig.as_str(), text);
        assert_eq!(sig.der().len(), 71);
        for bad in ["", "0", "AB", "zz", &"00".repeat(73)] {
            assert!(Signature::parse(bad).is_none(), "{bad}");
        }
    }
}
