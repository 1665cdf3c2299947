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
