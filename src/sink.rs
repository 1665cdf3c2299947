//! Where canonical text goes: into a string (to show it) or straight into
//! SHA-256 (to sign it). One writer feeds both, so what is shown is exactly
//! what is signed.

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

/// Counts bytes: used to size buffers exactly.
#[derive(Default)]
pub(crate) struct CountSink(pub(crate) usize);

impl Sink for CountSink {
    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        self.0 += bytes.len();
    }
}

/// Text of at most `N` bytes, on the stack (strings to sign of bounded
/// length). Bytes that would not fit are dropped: callers size `N` for the
/// longest text they write.
pub(crate) struct StackText<const N: usize> {
    bytes: [u8; N],
    len: usize,
}

impl<const N: usize> StackText<N> {
    pub(crate) fn new() -> Self {
        Self {
            bytes: [0; N],
            len: 0,
        }
    }

    pub(crate) fn get(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or(&[])
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }
}

impl<const N: usize> Sink for StackText<N> {
    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        let end = self.len + bytes.len();
        if let Some(slot) = self.bytes.get_mut(self.len..end) {
            if bytes.len() <= 16 {
                // Separators and short names: a few moves beat a call.
                for (d, b) in slot.iter_mut().zip(bytes) {
                    *d = *b;
                }
            } else {
                slot.copy_from_slice(bytes);
            }
            self.len = end;
        }
    }
}
