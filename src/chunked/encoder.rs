//! The sans-IO encoder: data in, framed `aws-chunked` bytes out.

use std::fmt;
use std::io;
use std::ops::Range;

use sha2::{Digest, Sha256};

use crate::error::Error;
use crate::signature::Signature;

use super::body::{ChunkSigning, ChunkedUpload};
use super::checksum::Checksum;
use super::signer::ChunkSigner;

/// Room before a chunk's data for its header, written once the chunk is
/// full: 16 hex digits, `;chunk-signature=`, 64 hex digits, CRLF (99
/// bytes), rounded up so that the data starts on a cache line of the
/// allocation.
const HEAD: usize = 128;
/// Room after the last chunk's data: its CRLF, the final chunk
/// (`0;chunk-signature=…\r\n`), the longest checksum line
/// (`x-amz-checksum-crc64nvme:` and 44 base64 digits, CRLF), the trailer
/// signature line and the closing CRLF.
const TAIL: usize = 2 + (1 + 17 + 64 + 2) + (24 + 1 + 44 + 2) + (24 + 64 + 2) + 2;

/// How much data is copied before it is hashed.
const STEP: usize = 16 * 1024;

/// SHA-256 of the empty string: the data of the final chunk.
const EMPTY_DIGEST: [u8; 32] = [
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
    0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
];

/// Encodes a body as `aws-chunked`, signing each chunk (and the trailer)
/// chained from the seed signature. Sans-IO: the caller hands it data in
/// pieces of any size and sends what it gives back.
///
/// - [`push`](Self::push) copies data into the current chunk (or write it
///   in place with [`buffer_mut`](Self::buffer_mut) and
///   [`commit`](Self::commit)), hashing it as it arrives;
/// - when a chunk is full, [`output`](Self::output) holds the whole framed
///   chunk, `hex-size;chunk-signature=…\r\n`, the data and `\r\n`, in one
///   slice; send it, then [`consume`](Self::consume) what was sent. The
///   encoder takes no more data until the output is consumed;
/// - [`finish`](Self::finish) once all the data is in: the output then
///   holds the last chunk, the final empty chunk and the trailer.
///
/// It holds one chunk at most, in a buffer allocated once; each byte of
/// data is copied once (none with `buffer_mut`). The data must add up to
/// the declared decoded length exactly, since `content-length` was signed
/// and sent before it.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use awsig::chunked::{ChunkSigning, ChunkedUpload};
/// use awsig::{Credentials, Signer};
///
/// let signer = Signer::new(Credentials::new("AKIDEXAMPLE", "secret")?, "us-east-1", "s3")?;
/// let data = vec![7u8; 100_000];
/// let upload = ChunkedUpload::new(data.len() as u64, ChunkSigning::Signed)?;
/// let mut request = http::Request::put("https://bucket.s3.amazonaws.com/key").body(())?;
/// let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
/// let mut encoder = signer.sign_chunked(&mut request, &upload, now)?;
///
/// let mut sent = Vec::new();
/// let mut rest = &data[..];
/// while !rest.is_empty() {
///     let taken = encoder.push(rest)?;
///     rest = &rest[taken..];
///     sent.extend_from_slice(encoder.output()); // send it
///     let n = encoder.output().len();
///     encoder.consume(n);
/// }
/// encoder.finish()?;
/// sent.extend_from_slice(encoder.output());
/// let n = encoder.output().len();
/// encoder.consume(n);
/// assert!(encoder.is_done());
/// assert_eq!(sent.len().to_string(), request.headers()["content-length"].to_str()?);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct ChunkedEncoder {
    signer: ChunkSigner,
    signing: ChunkSigning,
    previous: Signature,
    chunk_size: usize,
    declared: u64,
    /// Data bytes still to come.
    to_push: u64,
    checksum: Option<Checksum>,
    /// SHA-256 of the current chunk's data so far (signed chunks only).
    hash: Sha256,
    buf: Vec<u8>,
    /// Data bytes in the current chunk, at `buf[HEAD..HEAD + fill]`.
    fill: usize,
    /// The framed bytes waiting to be sent.
    out: Range<usize>,
    /// `finish` was called.
    finishing: bool,
    /// The final chunk and trailer are framed.
    done: bool,
}

impl ChunkedEncoder {
    /// An encoder for `upload`, chained from `seed`, the signature of the
    /// request that declared it. [`Signer::sign_chunked`](crate::Signer::sign_chunked)
    /// signs the request and builds the encoder in one step; use this when
    /// the request was signed some other way.
    pub fn new(upload: &ChunkedUpload, signer: ChunkSigner, seed: Signature) -> Self {
        let body = upload.body();
        let declared = body.decoded_length();
        let room = usize::try_from(declared)
            .unwrap_or(usize::MAX)
            .min(upload.chunk_size());
        let capacity = HEAD.saturating_add(room).saturating_add(TAIL);
        Self {
            signer,
            signing: body.signing(),
            previous: seed,
            chunk_size: upload.chunk_size(),
            declared,
            to_push: declared,
            checksum: body.signing().trailer().map(Checksum::new),
            hash: Sha256::new(),
            buf: vec![0; capacity],
            fill: 0,
            out: 0..0,
            finishing: false,
            done: false,
        }
    }

    /// Copies as much of `data` into the current chunk as fits and returns
    /// how many bytes it took: 0 while [`output`](Self::output) holds bytes
    /// not yet consumed. A full chunk is framed at once.
    ///
    /// # Errors
    ///
    /// [`Error::ChunkedLength`] when `data` goes past the declared decoded
    /// length (nothing is taken).
    pub fn push(&mut self, data: &[u8]) -> Result<usize, Error> {
        if data.is_empty() {
            return Ok(0);
        }
        if data.len() as u64 > self.to_push {
            return Err(self.length_error(data.len() as u64));
        }
        let n = self.buffer_mut().len().min(data.len());
        // Hashed, then copied, a step at a time: the hash reads the data
        // from memory while it computes, and the copy finds it in cache.
        for step in data.get(..n).unwrap_or(&[]).chunks(STEP) {
            self.absorb(step);
            let start = HEAD + self.fill;
            if let Some(dst) = self.buf.get_mut(start..start + step.len()) {
                dst.copy_from_slice(step);
            }
            self.advance(step.len());
        }
        Ok(n)
    }

    /// Where the next data bytes go: the free room of the current chunk,
    /// no more than the data still to come. Empty while the output holds
    /// bytes not yet consumed. Write data there, then [`commit`](Self::commit).
    pub fn buffer_mut(&mut self) -> &mut [u8] {
        if !self.out.is_empty() || self.finishing {
            return &mut [];
        }
        let room =
            (self.chunk_size - self.fill).min(usize::try_from(self.to_push).unwrap_or(usize::MAX));
        let start = HEAD + self.fill;
        self.buf
            .get_mut(start..start.saturating_add(room))
            .unwrap_or(&mut [])
    }

    /// Takes the first `n` bytes written into [`buffer_mut`](Self::buffer_mut)
    /// as data.
    ///
    /// # Errors
    ///
    /// [`Error::ChunkedLength`] when `n` is more than `buffer_mut` offered
    /// (nothing is taken).
    pub fn commit(&mut self, n: usize) -> Result<(), Error> {
        if n == 0 {
            return Ok(());
        }
        let offered = self.buffer_mut().len();
        if n > offered {
            return Err(self.length_error(n as u64));
        }
        let start = HEAD + self.fill;
        let buf = std::mem::take(&mut self.buf);
        self.absorb(buf.get(start..start + n).unwrap_or(&[]));
        self.buf = buf;
        self.advance(n);
        Ok(())
    }

    /// Adds data to the chunk's hash and the trailer's checksum.
    fn absorb(&mut self, data: &[u8]) {
        if self.signing.signs_chunks() {
            self.hash.update(data);
        }
        if let Some(checksum) = &mut self.checksum {
            checksum.update(data);
        }
    }

    /// Counts `n` bytes of data in; frames the chunk when it is full.
    fn advance(&mut self, n: usize) {
        self.fill += n;
        self.to_push -= n as u64;
        if self.fill == self.chunk_size {
            self.frame_chunk();
        }
    }

    /// Ends the data. The output then holds the last chunk (if it was not
    /// full), the final empty chunk and the trailer. Calling it again does
    /// nothing.
    ///
    /// # Errors
    ///
    /// [`Error::ChunkedLength`] when less data was given than declared.
    pub fn finish(&mut self) -> Result<(), Error> {
        if self.finishing {
            return Ok(());
        }
        if self.to_push > 0 {
            return Err(self.length_error(0));
        }
        self.finishing = true;
        let at = if !self.out.is_empty() {
            self.out.end
        } else if self.fill > 0 {
            self.frame_chunk()
        } else {
            self.out = HEAD..HEAD;
            HEAD
        };
        self.out.end = self.frame_final(at);
        self.done = true;
        Ok(())
    }

    /// The framed bytes ready to send, in order; empty when the encoder
    /// needs data (or is done).
    #[must_use]
    pub fn output(&self) -> &[u8] {
        self.buf.get(self.out.clone()).unwrap_or(&[])
    }

    /// Marks the first `n` bytes of [`output`](Self::output) as sent; more
    /// than the output holds counts as all of it.
    pub fn consume(&mut self, n: usize) {
        if self.out.is_empty() {
            return;
        }
        self.out.start += n.min(self.out.len());
        if self.out.is_empty() {
            self.out = 0..0;
            self.fill = 0;
        }
    }

    /// Whether everything was framed and consumed.
    pub fn is_done(&self) -> bool {
        self.done && self.out.is_empty()
    }

    /// The data bytes still to come.
    pub fn remaining(&self) -> u64 {
        self.to_push
    }

    /// Wraps the encoder and a source of exactly the declared number of
    /// data bytes into an [`io::Read`] of the encoded body, for HTTP
    /// clients that send a body from a reader.
    pub fn into_reader<R: io::Read>(self, source: R) -> ChunkedReader<R> {
        ChunkedReader {
            encoder: self,
            source,
        }
    }

    fn length_error(&self, adding: u64) -> Error {
        Error::ChunkedLength {
            declared: self.declared,
            given: (self.declared - self.to_push).saturating_add(adding),
        }
    }

    /// Frames the current chunk in place: its header just before the data
    /// and CRLF after. Sets the output's start; returns where it ends.
    fn frame_chunk(&mut self) -> usize {
        let size = self.fill;
        let mut head = [0u8; HEAD];
        let mut w = Writer::new(&mut head);
        w.hex(size as u64);
        if self.signing.signs_chunks() {
            let digest: [u8; 32] = self.hash.finalize_reset().into();
            self.previous = self.signer.chunk_signature(&self.previous, &digest);
            w.put(b";chunk-signature=");
            w.put(self.previous.as_bytes());
        }
        w.put(b"\r\n");
        let len = w.len;
        let start = HEAD - len;
        if let (Some(dst), Some(src)) = (self.buf.get_mut(start..HEAD), head.get(..len)) {
            dst.copy_from_slice(src);
        }
        let end = HEAD + size;
        if let Some(crlf) = self.buf.get_mut(end..end + 2) {
            crlf.copy_from_slice(b"\r\n");
        }
        self.out = start..end + 2;
        end + 2
    }

    /// Writes the final empty chunk and the trailer at `at`; returns where
    /// they end.
    fn frame_final(&mut self, at: usize) -> usize {
        let signed = self.signing.signs_chunks();
        let mut tail = [0u8; TAIL];
        let mut w = Writer::new(&mut tail);
        w.put(b"0");
        if signed {
            self.previous = self.signer.chunk_signature(&self.previous, &EMPTY_DIGEST);
            w.put(b";chunk-signature=");
            w.put(self.previous.as_bytes());
        }
        w.put(b"\r\n");
        if let Some(checksum) = &self.checksum {
            let value = checksum.finish();
            let name = value.algorithm().header_name().as_bytes();
            w.put(name);
            w.put(b":");
            w.put(value.as_bytes());
            w.put(b"\r\n");
            if signed {
                let mut canonical = Sha256::new();
                canonical.update(name);
                canonical.update(b":");
                canonical.update(value.as_bytes());
                canonical.update(b"\n");
                let digest: [u8; 32] = canonical.finalize().into();
                let signature = self.signer.trailer_signature(&self.previous, &digest);
                w.put(b"x-amz-trailer-signature:");
                w.put(signature.as_bytes());
                w.put(b"\r\n");
            }
        }
        w.put(b"\r\n");
        let len = w.len;
        if let (Some(dst), Some(src)) = (self.buf.get_mut(at..at + len), tail.get(..len)) {
            dst.copy_from_slice(src);
        }
        at + len
    }
}

/// Writes into a fixed buffer; what does not fit is dropped (the buffers
/// are sized for the longest framing).
struct Writer<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl<'a> Writer<'a> {
    fn new(buf: &'a mut [u8]) -> Self {
        Self { buf, len: 0 }
    }

    fn put(&mut self, bytes: &[u8]) {
        if let Some(dst) = self.buf.get_mut(self.len..self.len + bytes.len()) {
            dst.copy_from_slice(bytes);
            self.len += bytes.len();
        }
    }

    fn hex(&mut self, n: u64) {
        let digits = super::length::hex_digits(n) as usize;
        let mut text = [0u8; 16];
        for (i, d) in text.iter_mut().take(digits).enumerate() {
            let nibble = (n >> (4 * (digits - 1 - i))) & 0xf;
            *d = b"0123456789abcdef"
                .get(nibble as usize)
                .copied()
                .unwrap_or(b'0');
        }
        self.put(text.get(..digits).unwrap_or(&[]));
    }
}

impl fmt::Debug for ChunkedEncoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChunkedEncoder")
            .field("signing", &self.signing)
            .field("chunk_size", &self.chunk_size)
            .field("declared", &self.declared)
            .field("remaining", &self.to_push)
            .field("pending_output", &self.out.len())
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

/// An [`io::Read`] of an encoded body: the encoder's output, fed from a
/// source of the data. Built by [`ChunkedEncoder::into_reader`]. Reading
/// fails with [`io::ErrorKind::UnexpectedEof`] when the source ends early
/// and [`io::ErrorKind::InvalidData`] when it holds more than declared.
#[derive(Debug)]
pub struct ChunkedReader<R> {
    encoder: ChunkedEncoder,
    source: R,
}

impl<R> ChunkedReader<R> {
    /// The encoder and the source back.
    pub fn into_parts(self) -> (ChunkedEncoder, R) {
        (self.encoder, self.source)
    }
}

impl<R: io::Read> io::Read for ChunkedReader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        loop {
            let ready = self.encoder.output();
            if !ready.is_empty() {
                let n = ready.len().min(out.len());
                if let (Some(dst), Some(src)) = (out.get_mut(..n), ready.get(..n)) {
                    dst.copy_from_slice(src);
                }
                self.encoder.consume(n);
                return Ok(n);
            }
            if self.encoder.is_done() {
                return Ok(0);
            }
            if self.encoder.remaining() == 0 {
                let mut probe = [0u8; 1];
                if read_some(&mut self.source, &mut probe)? > 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "the source holds more data than the declared decoded length",
                    ));
                }
                self.encoder.finish().map_err(io::Error::other)?;
                continue;
            }
            let n = read_some(&mut self.source, self.encoder.buffer_mut())?;
            if n == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the source ended before the declared decoded length",
                ));
            }
            self.encoder.commit(n).map_err(io::Error::other)?;
        }
    }
}

/// A read that retries when interrupted.
fn read_some(source: &mut impl io::Read, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match source.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}
