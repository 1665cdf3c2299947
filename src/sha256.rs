//! SHA-256 written straight into its compression function, and HMAC-SHA256
//! that starts from kept keyed states.
//!
//! Canonicalization writes many short pieces; here each one is a copy into
//! the current 64-byte block, and a full block is compressed where it lies.
//! HMAC's two key blocks (key XOR ipad, key XOR opad) are compressed once
//! when a signing key is derived, so a signature costs only the blocks of
//! the string to sign and of the inner digest (RFC 2104, FIPS 180-4).

use sha2::compress256;
use sha2::digest::generic_array::GenericArray;
use zeroize::Zeroize;

use crate::sink::Sink;

/// The initial hash value of SHA-256 (FIPS 180-4 §5.3.3).
const IV: [u32; 8] = [
    0x6a09_e667,
    0xbb67_ae85,
    0x3c6e_f372,
    0xa54f_f53a,
    0x510e_527f,
    0x9b05_688c,
    0x1f83_d9ab,
    0x5be0_cd19,
];

const BLOCK: usize = 64;

fn compress(state: &mut [u32; 8], block: &[u8; BLOCK]) {
    compress256(state, std::slice::from_ref(GenericArray::from_slice(block)));
}

/// A running SHA-256.
#[derive(Clone)]
pub(crate) struct Sha256 {
    state: [u32; 8],
    block: [u8; BLOCK],
    /// Bytes waiting in `block`.
    fill: usize,
    /// Whole blocks compressed so far.
    blocks: u64,
}

impl Sha256 {
    pub(crate) fn new() -> Self {
        Self::resume(IV, 0)
    }

    /// Continues from `state`, the state after `blocks` whole blocks.
    pub(crate) fn resume(state: [u32; 8], blocks: u64) -> Self {
        Self {
            state,
            block: [0; BLOCK],
            fill: 0,
            blocks,
        }
    }

    /// The state after the whole blocks written so far, when nothing waits
    /// in the block buffer.
    pub(crate) fn midstate(&self) -> Option<[u32; 8]> {
        (self.fill == 0).then_some(self.state)
    }

    /// The digest. The hash must not be written to again.
    pub(crate) fn finish(&mut self) -> [u8; 32] {
        let bits = (self.blocks * BLOCK as u64 + self.fill as u64) * 8;
        // Padding: 0x80, zeros, then the length in bits as 8 bytes, ending
        // on a block boundary (one more block when the length does not fit).
        if let Some(rest) = self.block.get_mut(self.fill..) {
            rest.fill(0);
            if let Some(first) = rest.first_mut() {
                *first = 0x80;
            }
        }
        if self.fill >= BLOCK - 8 {
            compress(&mut self.state, &self.block);
            self.block = [0; BLOCK];
        }
        if let Some(tail) = self.block.get_mut(BLOCK - 8..) {
            tail.copy_from_slice(&bits.to_be_bytes());
        }
        compress(&mut self.state, &self.block);
        let mut out = [0u8; 32];
        for (chunk, word) in out.chunks_exact_mut(4).zip(self.state) {
            chunk.copy_from_slice(&word.to_be_bytes());
        }
        out
    }
}

impl Sink for Sha256 {
    #[inline]
    fn put(&mut self, mut bytes: &[u8]) {
        let room = BLOCK - self.fill;
        if bytes.len() < room {
            if let Some(slot) = self.block.get_mut(self.fill..self.fill + bytes.len()) {
                if bytes.len() <= 16 {
                    // Separators and short names: a few moves beat a call.
                    for (d, b) in slot.iter_mut().zip(bytes) {
                        *d = *b;
                    }
                } else {
                    slot.copy_from_slice(bytes);
                }
            }
            self.fill += bytes.len();
            return;
        }
        if self.fill > 0 {
            let (head, rest) = bytes.split_at(room);
            if let Some(slot) = self.block.get_mut(self.fill..) {
                slot.copy_from_slice(head);
            }
            compress(&mut self.state, &self.block);
            self.blocks += 1;
            self.fill = 0;
            bytes = rest;
        }
        let mut whole = bytes.chunks_exact(BLOCK);
        for block in &mut whole {
            if let Ok(block) = <&[u8; BLOCK]>::try_from(block) {
                compress(&mut self.state, block);
                self.blocks += 1;
            }
        }
        let rest = whole.remainder();
        if let Some(slot) = self.block.get_mut(..rest.len()) {
            slot.copy_from_slice(rest);
        }
        self.fill = rest.len();
    }
}

/// The two keyed states of HMAC-SHA256 for one key: SHA-256 after the block
/// `key XOR ipad`, and after `key XOR opad`. Equivalent to the key itself,
/// so zeroized on drop.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct HmacKey {
    pub(crate) inner: [u32; 8],
    pub(crate) outer: [u32; 8],
}

impl HmacKey {
    /// The keyed states for a key (a key longer than a block is hashed
    /// first, as HMAC specifies).
    pub(crate) fn new(key: &[u8]) -> Self {
        let hashed;
        let key = if key.len() > BLOCK {
            let mut h = Sha256::new();
            h.put(key);
            hashed = zeroize::Zeroizing::new(h.finish());
            hashed.as_slice()
        } else {
            key
        };
        let mut block = [0u8; BLOCK];
        for (b, k) in block.iter_mut().zip(key) {
            *b = *k;
        }
        let pad = |byte: u8| {
            let mut padded = block;
            for b in &mut padded {
                *b ^= byte;
            }
            let mut state = IV;
            compress(&mut state, &padded);
            padded.zeroize();
            state
        };
        let inner = pad(0x36);
        let outer = pad(0x5c);
        block.zeroize();
        Self { inner, outer }
    }

    /// A MAC under this key that has hashed `blocks` blocks (the key
    /// block included) and holds `inner`, the inner state after them.
    pub(crate) fn mac_after(&self, inner: [u32; 8], blocks: u64) -> Mac<'_> {
        Mac {
            inner: Sha256::resume(inner, blocks),
            key: self,
        }
    }

    /// A MAC under this key, ready for the message.
    pub(crate) fn mac(&self) -> Mac<'_> {
        Mac {
            inner: Sha256::resume(self.inner, 1),
            key: self,
        }
    }
}

impl Drop for HmacKey {
    fn drop(&mut self) {
        self.inner.zeroize();
        self.outer.zeroize();
    }
}

/// An HMAC-SHA256 in progress.
pub(crate) struct Mac<'k> {
    inner: Sha256,
    key: &'k HmacKey,
}

impl Mac<'_> {
    /// The inner hash's state after the whole blocks so far, when the
    /// message written so far ends on a block boundary.
    pub(crate) fn inner_midstate(&self) -> Option<[u32; 8]> {
        self.inner.midstate()
    }

    /// The MAC. Compressing overwrites the copies of the keyed states.
    pub(crate) fn finish(mut self) -> [u8; 32] {
        let inner = self.inner.finish();
        let mut outer = Sha256::resume(self.key.outer, 1);
        outer.put(&inner);
        outer.finish()
    }
}

impl Sink for Mac<'_> {
    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        self.inner.put(bytes);
    }
}

/// A MAC dropped unfinished may still hold the keyed inner state: it is
/// wiped. The block buffer holds only the message.
impl Drop for Mac<'_> {
    fn drop(&mut self) {
        self.inner.state.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hmac::Mac as _;
    use sha2::Digest;

    /// Lengths around every block and padding boundary, written in pieces
    /// of every size, against the `sha2` and `hmac` crates.
    #[test]
    fn agrees_with_sha2_and_hmac() {
        let data: Vec<u8> = (0..400u32).map(|i| (i * 131 % 251) as u8).collect();
        for len in (0..200).chain([255, 256, 257, 319, 320, 399]) {
            let msg = &data[..len];
            let expected: [u8; 32] = sha2::Sha256::digest(msg).into();
            for piece in [1, 3, 7, 16, 17, 55, 56, 63, 64, 65, 130, 400] {
                let mut h = Sha256::new();
                for chunk in msg.chunks(piece) {
                    h.put(chunk);
                }
                assert_eq!(h.finish(), expected, "len {len}, pieces of {piece}");
            }
            for key_len in [0, 1, 32, 63, 64, 65, 150] {
                let key = &data[200..200 + key_len];
                let mut reference = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
                reference.update(msg);
                let expected: [u8; 32] = reference.finalize().into_bytes().into();
                let hmac_key = HmacKey::new(key);
                let mut mac = hmac_key.mac();
                for chunk in msg.chunks(29) {
                    mac.put(chunk);
                }
                assert_eq!(mac.finish(), expected, "hmac: len {len}, key {key_len}");
            }
        }
    }

    #[test]
    fn midstate_resumes_the_hash() {
        let data = [7u8; 200];
        let mut h = Sha256::new();
        h.put(&data[..128]);
        let state = h.midstate().unwrap();
        let mut resumed = Sha256::resume(state, 2);
        resumed.put(&data[128..]);
        assert_eq!(
            resumed.finish(),
            <[u8; 32]>::from(sha2::Sha256::digest(data))
        );
        h.put(&data[128..129]);
        assert!(h.midstate().is_none());
    }
}
