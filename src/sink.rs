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
        if bytes.len() <= 16 && self.capacity() - self.len() >= bytes.len() {
            // Separators and short names: a few moves beat a call.
            self.extend(bytes.iter().copied());
        } else {
            self.extend_from_slice(bytes);
        }
    }
}

/// Something that absorbs bytes: a hash or a MAC.
pub(crate) trait Update {
    fn update(&mut self, bytes: &[u8]);
    /// The 32-byte result, in place (no move of the state).
    fn finish(&mut self) -> [u8; 32];
}

impl Update for Sha256 {
    #[inline]
    fn update(&mut self, bytes: &[u8]) {
        Digest::update(self, bytes);
    }

    fn finish(&mut self) -> [u8; 32] {
        Digest::finalize_reset(self).into()
    }
}

/// A hash or MAC fed through a small buffer, so the many short writes of
/// canonicalization cost a copy each rather than a hasher call each.
pub(crate) struct Buffered<U: Update> {
    inner: U,
    buf: [u8; 256],
    len: usize,
}

/// SHA-256 fed through a small buffer.
pub(crate) type HashSink = Buffered<Sha256>;

impl HashSink {
    pub(crate) fn new() -> Self {
        Self::wrap(Sha256::new())
    }
}

impl<U: Update> Buffered<U> {
    pub(crate) fn wrap(inner: U) -> Self {
        Self {
            inner,
            buf: [0; 256],
            len: 0,
        }
    }

    /// The hash or MAC of everything written so far.
    pub(crate) fn finish(&mut self) -> [u8; 32] {
        self.flush();
        self.inner.finish()
    }

    fn flush(&mut self) {
        if let Some(pending) = self.buf.get(..self.len) {
            self.inner.update(pending);
        }
        self.len = 0;
    }
}

impl<U: Update> Sink for Buffered<U> {
    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        let end = self.len + bytes.len();
        if let Some(slot) = self.buf.get_mut(self.len..end) {
            if bytes.len() <= 16 {
                // Separators and short names: a few moves beat a call.
                for (d, b) in slot.iter_mut().zip(bytes) {
                    *d = *b;
                }
            } else {
                slot.copy_from_slice(bytes);
            }
            self.len = end;
        } else {
            self.flush();
            if bytes.len() >= self.buf.len() {
                self.inner.update(bytes);
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
