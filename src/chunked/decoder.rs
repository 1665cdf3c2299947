//! The sans-IO verifying decoder: framed `aws-chunked` bytes in, checked
//! data out.

use std::fmt;
use std::ops::Range;

use sha2::{Digest, Sha256};

use crate::signature::Signature;

use super::body::{ChunkSigning, ChunkedBody, MIN_CHUNK_SIZE};
use super::checksum::{Checksum, ChecksumValue};
use super::rejection::ChunkedRejection;
use super::signer::ChunkSigner;

/// The largest chunk a decoder accepts unless told otherwise: 1 MiB, 16
/// times what the AWS SDKs send. The decoder holds one chunk at most.
pub const DEFAULT_MAX_CHUNK_SIZE: usize = 1024 * 1024;

/// How much data is hashed and copied at a time.
const STEP: usize = 16 * 1024;

/// The longest chunk header or trailer line, CRLF included.
const MAX_LINE: usize = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading a chunk header line.
    Header,
    /// Reading a chunk's data.
    Data,
    /// Reading the CRLF after a chunk's data; how much of it was read.
    DataEnd(u8),
    /// Reading the trailer (and the closing empty line).
    Trailer(TrailerStep),
    /// The whole body was read and checked.
    Done,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TrailerStep {
    Checksum,
    Signature,
    End,
}

/// Decodes and verifies an `aws-chunked` body. Sans-IO: the caller hands it
/// the body in pieces of any size, as they arrive, and takes the data out.
///
/// - [`push`](Self::push) reads framed bytes and returns how many it took.
///   It stops after each chunk whose signature checked out: that chunk's
///   data is then in [`decoded`](Self::decoded) until it is
///   [`consume`](Self::consume)d, and `push` takes nothing more until then;
/// - [`finish`](Self::finish) when the body has ended: it fails unless the
///   final chunk and the trailer were read and checked.
///
/// It checks each chunk's signature, chained from the seed signature, the
/// trailer's signature and the checksum, the 8 KiB minimum for every chunk
/// but the last, a limit on the chunk size, and that the chunks add up to
/// the declared decoded length; anything else is a [`ChunkedRejection`]
/// that names the chunk. Memory is bounded by the chunk limit whatever the
/// input.
///
/// It reads the form the AWS SDKs send and nothing looser: chunk sizes in
/// lowercase hex without leading zeros, `chunk-signature=` and trailing
/// header names in lowercase, CRLF line ends, the checksum line before
/// `x-amz-trailer-signature`, and the empty line that ends the body. So no
/// byte of an encoded body can change without the body being refused.
///
/// Data is handed out chunk by chunk once that chunk checks out, but the
/// upload as a whole is good only when `finish` returns `Ok`: keep what was
/// decoded aside (a temporary file, say) until then. With
/// [`ChunkSigning::UnsignedWithTrailer`] the chunks carry no signature;
/// only the checksum at the end vouches for the data.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use awsig::chunked::{ChunkSigning, ChunkedUpload};
/// use awsig::{Acceptance, Credentials, Payload, Policy, Signer, verify_request};
///
/// // A client signs an upload...
/// let creds = Credentials::new("AKIDEXAMPLE", "secret")?;
/// let signer = Signer::new(creds.clone(), "us-east-1", "s3")?;
/// let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
/// let data = vec![1u8; 70_000];
/// let upload = ChunkedUpload::new(data.len() as u64, ChunkSigning::Signed)?;
/// let mut request = http::Request::put("https://bucket.s3.amazonaws.com/key").body(())?;
/// let mut body = Vec::new();
/// signer.sign_chunked(&mut request, &upload, now)?.into_reader(&data[..]).read_to_end(&mut body)?;
/// # use std::io::Read;
///
/// // ...and the server checks its headers, then its body, piece by piece.
/// let policy = Policy::new().with_streaming_payload(Acceptance::Accept);
/// let verified = verify_request(&request, Payload::Declared, &creds, now, &policy)?;
/// let mut decoder = verified.chunked_decoder().expect("a streaming upload");
/// let mut stored = Vec::new();
/// for mut piece in body.chunks(1000) {
///     while !piece.is_empty() {
///         let taken = decoder.push(piece)?;
///         piece = &piece[taken..];
///         stored.extend_from_slice(decoder.decoded());
///         let n = decoder.decoded().len();
///         decoder.consume(n);
///     }
/// }
/// decoder.finish()?;
/// assert_eq!(stored, data);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct ChunkedDecoder {
    signer: ChunkSigner,
    signing: ChunkSigning,
    previous: Signature,
    declared: u64,
    /// The sum of the sizes the chunk headers declared so far.
    announced: u64,
    max_chunk: usize,
    checksum: Option<Checksum>,
    hash: Sha256,
    state: State,
    line: [u8; MAX_LINE],
    line_len: usize,
    /// The current chunk, from 1.
    chunk: u64,
    /// Bytes of the encoded body read so far.
    offset: u64,
    /// The size of the previous data chunk.
    previous_size: Option<u64>,
    /// The signature the current chunk's header carries.
    claimed: Option<Signature>,
    size: usize,
    data: Vec<u8>,
    /// Checked data not yet consumed, in `data`.
    ready: Range<usize>,
    /// The checksum value the trailer carries, and the SHA-256 of the
    /// canonical trailer.
    received: Option<(ChecksumValue, [u8; 32])>,
    received_text: ([u8; 64], usize),
    failed: Option<ChunkedRejection>,
}

impl ChunkedDecoder {
    /// A decoder for `body`, chained from `seed`, the signature of the
    /// verified request that declared it. [`Verified::chunked_decoder`](crate::Verified::chunked_decoder)
    /// builds it from a verified request.
    pub fn new(body: &ChunkedBody, signer: ChunkSigner, seed: Signature) -> Self {
        Self {
            signer,
            signing: body.signing(),
            previous: seed,
            declared: body.decoded_length(),
            announced: 0,
            max_chunk: DEFAULT_MAX_CHUNK_SIZE,
            checksum: body.signing().trailer().map(Checksum::new),
            hash: Sha256::new(),
            state: State::Header,
            line: [0; MAX_LINE],
            line_len: 0,
            chunk: 1,
            offset: 0,
            previous_size: None,
            claimed: None,
            size: 0,
            data: Vec::new(),
            ready: 0..0,
            received: None,
            received_text: ([0; 64], 0),
            failed: None,
        }
    }

    /// Sets the largest chunk accepted, in bytes of data (at least 8 KiB).
    /// Default: [`DEFAULT_MAX_CHUNK_SIZE`].
    pub fn with_max_chunk_size(mut self, limit: usize) -> Self {
        self.max_chunk = limit.max(MIN_CHUNK_SIZE);
        self
    }

    /// What the request declared about the body.
    pub fn signing(&self) -> ChunkSigning {
        self.signing
    }

    /// Reads framed bytes and returns how many it took. It stops after a
    /// chunk that checked out, whose data is then in
    /// [`decoded`](Self::decoded); it takes nothing while that data is not
    /// consumed.
    ///
    /// # Errors
    ///
    /// A [`ChunkedRejection`] for the first fault found; every call after
    /// that returns it again.
    pub fn push(&mut self, input: &[u8]) -> Result<usize, ChunkedRejection> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        match self.read(input) {
            Ok(n) => Ok(n),
            Err(e) => {
                self.failed = Some(e.clone());
                Err(e)
            }
        }
    }

    /// The checked data ready to take.
    #[must_use]
    pub fn decoded(&self) -> &[u8] {
        self.data.get(self.ready.clone()).unwrap_or(&[])
    }

    /// Marks the first `n` bytes of [`decoded`](Self::decoded) as taken;
    /// more than it holds counts as all of it.
    pub fn consume(&mut self, n: usize) {
        self.ready.start += n.min(self.ready.len());
    }

    /// Ends the body: checks that it was read to its end.
    ///
    /// # Errors
    ///
    /// [`ChunkedRejection::Truncated`] when the final chunk or the trailer
    /// has not been read, or the fault `push` found.
    pub fn finish(&mut self) -> Result<(), ChunkedRejection> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        if self.state == State::Done {
            return Ok(());
        }
        let e = ChunkedRejection::Truncated {
            chunk: self.chunk,
            offset: self.offset,
        };
        self.failed = Some(e.clone());
        Err(e)
    }

    /// Whether the whole body was read and checked.
    pub fn is_done(&self) -> bool {
        self.state == State::Done && self.failed.is_none()
    }

    /// The checksum the trailer carried, once it checked out.
    pub fn checksum(&self) -> Option<ChecksumValue> {
        if self.is_done() {
            self.received.map(|(v, _)| v)
        } else {
            None
        }
    }

    /// Decodes a whole body held in memory, appending the data to `out`.
    ///
    /// # Errors
    ///
    /// The first [`ChunkedRejection`], as [`push`](Self::push) and
    /// [`finish`](Self::finish) give it.
    pub fn decode_into(
        &mut self,
        mut framed: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), ChunkedRejection> {
        loop {
            let taken = self.push(framed)?;
            framed = framed.get(taken..).unwrap_or(&[]);
            out.extend_from_slice(self.decoded());
            let n = self.decoded().len();
            self.consume(n);
            if framed.is_empty() && taken == 0 {
                break;
            }
        }
        self.finish()
    }

    fn read(&mut self, input: &[u8]) -> Result<usize, ChunkedRejection> {
        if !self.ready.is_empty() {
            return Ok(0);
        }
        let mut used = 0;
        while let Some(rest) = input.get(used..).filter(|r| !r.is_empty()) {
            match self.state {
                State::Header | State::Trailer(_) => {
                    let (taken, complete) = self.take_line(rest)?;
                    used += taken;
                    self.offset += taken as u64;
                    if !complete {
                        continue;
                    }
                    if self.state == State::Header {
                        self.chunk_header()?;
                    } else {
                        self.trailer_line()?;
                    }
                    self.line_len = 0;
                }
                State::Data => {
                    let want = self.size - self.data.len();
                    let piece = rest.get(..want.min(rest.len())).unwrap_or(&[]);
                    // A step at a time, so that each pass reads from the
                    // nearest cache.
                    for step in piece.chunks(STEP) {
                        if self.signing.signs_chunks() {
                            self.hash.update(step);
                        }
                        if let Some(c) = &mut self.checksum {
                            c.update(step);
                        }
                        self.data.extend_from_slice(step);
                    }
                    used += piece.len();
                    self.offset += piece.len() as u64;
                    if self.data.len() == self.size {
                        self.state = State::DataEnd(0);
                    }
                }
                State::DataEnd(k) => {
                    let expected = if k == 0 { b'\r' } else { b'\n' };
                    if rest.first() != Some(&expected) {
                        return Err(self.malformed("the chunk's data is not followed by CRLF"));
                    }
                    used += 1;
                    self.offset += 1;
                    if k == 0 {
                        self.state = State::DataEnd(1);
                    } else {
                        self.end_chunk()?;
                        self.ready = 0..self.data.len();
                        return Ok(used);
                    }
                }
                State::Done => {
                    return Err(ChunkedRejection::TrailingBytes {
                        offset: self.offset,
                    });
                }
            }
        }
        Ok(used)
    }

    /// Adds bytes to the current line, up to and including its LF. Returns
    /// how many it took and whether the line is complete.
    fn take_line(&mut self, rest: &[u8]) -> Result<(usize, bool), ChunkedRejection> {
        let (piece, complete) = match rest.iter().position(|&b| b == b'\n') {
            Some(i) => (rest.get(..=i).unwrap_or(rest), true),
            None => (rest, false),
        };
        let end = self.line_len + piece.len();
        let Some(slot) = self.line.get_mut(self.line_len..end) else {
            return Err(match self.state {
                State::Header => self.malformed("the chunk header is too long"),
                _ => self.bad_trailer("a trailer line is too long"),
            });
        };
        slot.copy_from_slice(piece);
        self.line_len = end;
        Ok((piece.len(), complete))
    }

    /// A copy of the current line, and its length.
    fn line_copy(&self) -> ([u8; MAX_LINE], usize) {
        (self.line, self.line_len)
    }

    fn malformed(&self, reason: &'static str) -> ChunkedRejection {
        ChunkedRejection::MalformedChunk {
            chunk: self.chunk,
            offset: self.offset,
            reason,
        }
    }

    fn bad_trailer(&self, reason: &'static str) -> ChunkedRejection {
        ChunkedRejection::MalformedTrailer {
            offset: self.offset,
            reason,
        }
    }

    fn chunk_header(&mut self) -> Result<(), ChunkedRejection> {
        let (buf, len) = self.line_copy();
        let line = without_crlf(&buf, len)
            .ok_or_else(|| self.malformed("the chunk header does not end in CRLF"))?;
        let (size_text, signature) = match line.iter().position(|&b| b == b';') {
            Some(i) => (
                line.get(..i).unwrap_or(&[]),
                Some(line.get(i + 1..).unwrap_or(&[])),
            ),
            None => (line, None),
        };
        let claimed = match (self.signing.signs_chunks(), signature) {
            (true, Some(ext)) => {
                let sig = ext
                    .strip_prefix(b"chunk-signature=")
                    .and_then(|s| std::str::from_utf8(s).ok())
                    .and_then(Signature::parse)
                    .ok_or_else(|| {
                        self.malformed("expected chunk-signature= and 64 lowercase hex digits")
                    })?;
                Some(sig)
            }
            (true, None) => return Err(self.malformed("the chunk has no chunk-signature")),
            (false, Some(_)) => {
                return Err(self.malformed("unsigned chunks carry no extension"));
            }
            (false, None) => None,
        };
        if size_text.is_empty()
            || size_text.len() > 16
            || !size_text
                .iter()
                .all(|d| matches!(d, b'0'..=b'9' | b'a'..=b'f'))
            || (size_text.len() > 1 && size_text.first() == Some(&b'0'))
        {
            return Err(self.malformed(
                "the chunk size is not 1 to 16 lowercase hex digits without leading zeros",
            ));
        }
        let size = size_text
            .iter()
            .fold(0u64, |n, &d| (n << 4) | u64::from(hex_value(d)));
        if size > self.max_chunk as u64 {
            return Err(ChunkedRejection::ChunkTooLarge {
                chunk: self.chunk,
                size,
                limit: self.max_chunk as u64,
            });
        }
        if let Some(previous) = self
            .previous_size
            .filter(|p| size > 0 && *p < MIN_CHUNK_SIZE as u64)
        {
            return Err(ChunkedRejection::ChunkTooSmall {
                chunk: self.chunk - 1,
                size: previous,
                min: MIN_CHUNK_SIZE as u64,
            });
        }
        let announced = self.announced + size;
        if announced > self.declared || (size == 0 && announced < self.declared) {
            return Err(ChunkedRejection::DecodedLengthMismatch {
                declared: self.declared,
                decoded: announced,
            });
        }
        self.announced = announced;
        self.claimed = claimed;
        self.size = size as usize;
        self.data.clear();
        if size == 0 {
            self.end_chunk()?;
            self.state = State::Trailer(match self.signing.trailer() {
                Some(_) => TrailerStep::Checksum,
                None => TrailerStep::End,
            });
        } else {
            // Room for the whole chunk at once (bounded by the limit), so
            // that filling it never moves it. Without a limit a chunk can
            // announce more than memory holds: the buffer then grows with
            // the data that actually arrives.
            let _ = self.data.try_reserve(self.size);
            self.state = State::Data;
        }
        Ok(())
    }

    /// Checks the signature of the chunk just read.
    fn end_chunk(&mut self) -> Result<(), ChunkedRejection> {
        if let Some(claimed) = self.claimed.take() {
            let digest: [u8; 32] = self.hash.finalize_reset().into();
            let computed = self.signer.chunk_signature(&self.previous, &digest);
            if computed != claimed {
                return Err(ChunkedRejection::ChunkSignatureMismatch { chunk: self.chunk });
            }
            self.previous = computed;
        }
        if self.size > 0 {
            self.previous_size = Some(self.size as u64);
            self.chunk += 1;
        }
        self.state = State::Header;
        Ok(())
    }

    fn trailer_line(&mut self) -> Result<(), ChunkedRejection> {
        let State::Trailer(step) = self.state else {
            return Ok(());
        };
        let (buf, len) = self.line_copy();
        let line = without_crlf(&buf, len)
            .ok_or_else(|| self.bad_trailer("a trailer line does not end in CRLF"))?;
        match step {
            TrailerStep::Checksum => {
                let (name, value) =
                    split_header(line).ok_or_else(|| self.bad_trailer("expected name:value"))?;
                let expected = self.checksum.as_ref().map(|c| c.algorithm());
                let algorithm = expected
                    .filter(|a| a.header_name().as_bytes() == name)
                    .ok_or_else(|| {
                        self.bad_trailer("the trailer is not the one x-amz-trailer names")
                    })?;
                let mut canonical = Sha256::new();
                canonical.update(algorithm.header_name());
                canonical.update(b":");
                canonical.update(value);
                canonical.update(b"\n");
                if value.len() > self.received_text.0.len() {
                    return Err(self.bad_trailer("the checksum value is too long"));
                }
                if let Some(slot) = self.received_text.0.get_mut(..value.len()) {
                    slot.copy_from_slice(value);
                }
                self.received_text.1 = value.len();
                let computed = self.checksum.as_ref().map(|c| c.finish());
                if let Some(computed) = computed {
                    self.received = Some((computed, canonical.finalize().into()));
                }
                self.state = State::Trailer(if self.signing.signs_chunks() {
                    TrailerStep::Signature
                } else {
                    TrailerStep::End
                });
            }
            TrailerStep::Signature => {
                let (name, value) = split_header(line)
                    .ok_or_else(|| self.bad_trailer("expected x-amz-trailer-signature:"))?;
                if name != b"x-amz-trailer-signature" {
                    return Err(
                        self.bad_trailer("expected x-amz-trailer-signature after the checksum")
                    );
                }
                let claimed = std::str::from_utf8(value)
                    .ok()
                    .and_then(Signature::parse)
                    .ok_or_else(|| {
                        self.bad_trailer("the trailer signature is not 64 lowercase hex digits")
                    })?;
                let digest = self.received.map(|(_, d)| d).unwrap_or_default();
                let computed = self.signer.trailer_signature(&self.previous, &digest);
                if computed != claimed {
                    return Err(ChunkedRejection::TrailerSignatureMismatch);
                }
                self.state = State::Trailer(TrailerStep::End);
            }
            TrailerStep::End => {
                if !line.is_empty() {
                    return Err(self.bad_trailer("expected the empty line that ends the body"));
                }
                if let Some((computed, _)) = &self.received {
                    let (text, len) = &self.received_text;
                    let declared = text.get(..*len).unwrap_or(&[]);
                    if !crate::constant_time_eq(declared, computed.as_bytes()) {
                        return Err(ChunkedRejection::ChecksumMismatch {
                            header: computed.algorithm().header_name(),
                            declared: String::from_utf8_lossy(declared).into_owned(),
                            computed: computed.as_str().to_owned(),
                        });
                    }
                }
                self.state = State::Done;
            }
        }
        Ok(())
    }
}

/// The first `len` bytes of `buf` without their closing CRLF, or `None`
/// when they do not end in CRLF.
fn without_crlf(buf: &[u8], len: usize) -> Option<&[u8]> {
    buf.get(..len)?.strip_suffix(b"\r\n")
}

/// `name:value`, the value without surrounding spaces and tabs.
fn split_header(line: &[u8]) -> Option<(&[u8], &[u8])> {
    let colon = line.iter().position(|&b| b == b':')?;
    let name = line.get(..colon)?;
    let value = line.get(colon + 1..)?;
    let is_ws = |b: &u8| *b == b' ' || *b == b'\t';
    let start = value.iter().position(|b| !is_ws(b)).unwrap_or(value.len());
    let end = value
        .iter()
        .rposition(|b| !is_ws(b))
        .map_or(start, |p| p + 1);
    if name.is_empty() {
        return None;
    }
    Some((name, value.get(start..end)?))
}

fn hex_value(d: u8) -> u8 {
    match d {
        b'0'..=b'9' => d - b'0',
        b'a'..=b'f' => d - b'a' + 10,
        _ => 0,
    }
}

impl fmt::Debug for ChunkedDecoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChunkedDecoder")
            .field("signing", &self.signing)
            .field("declared", &self.declared)
            .field("chunk", &self.chunk)
            .field("offset", &self.offset)
            .field("state", &self.state)
            .field("failed", &self.failed)
            .finish_non_exhaustive()
    }
}
