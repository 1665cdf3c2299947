//! Where canonical text goes: into a string (to show it) or straight into
//! SHA-256 (to sign it). One writer feeds both, so what is shown is exactly
//! what is signed.

use sha2::{Digest, Sha256};

/// A consumer of canonical-request bytes.
pub(crate) trait Sink {
    fn put(&mut self, bytes: &[u8]);
}

impl Sink for Vec<u8> {
    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

/// SHA-256 fed through a small buffer, so the many short writes of
/// canonicalization cost a copy each rather than a hasher call each.
pub(crate) struct HashSink {
    hasher: Sha256,
    buf: [u8; 256],
    len: usize,
}

impl HashSink {
    pub(crate) fn new() -> Self {
        Self {
            hasher: Sha256::new(),
            buf: [0; 256],
            len: 0,
        }
    }

    pub(crate) fn finish(mut self) -> [u8; 32] {
        self.flush();
        self.hasher.finalize().into()
    }

    fn flush(&mut self) {
        if let Some(pending) = self.buf.get(..self.len) {
            self.hasher.update(pending);
        }
        self.len = 0;
    }
}

impl Sink for HashSink {
    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        let end = self.len + bytes.len();
        if let Some(slot) = self.buf.get_mut(self.len..end) {
            slot.copy_from_slice(bytes);
            self.len = end;
        } else {
            self.flush();
            if bytes.len() >= self.buf.len() {
                self.hasher.update(bytes);
            } else if let Some(slot) = self.buf.get_mut(..bytes.len()) {
                slot.copy_from_slice(bytes);
                self.len = bytes.len();
            }
        }
    }
}

/// Counts bytes: used to size buffers exactly.
#[derive(Default)]
pub(crate) struct CountSink(pub(crate) usize);

impl Sink for CountSink {
    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        self.0 += bytes.len();
    }
}
