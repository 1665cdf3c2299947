//! The event stream message format (`application/vnd.amazon.eventstream`).
//!
//! ```text
//! ┌──────────────┬───────────────┬─────────────┬─────────┬─────────┬─────────────┐
//! │ total length │ headers length│ prelude CRC │ headers │ payload │ message CRC │
//! │   4 bytes    │    4 bytes    │   4 bytes   │         │         │   4 bytes   │
//! └──────────────┴───────────────┴─────────────┴─────────┴─────────┴─────────────┘
//! header: name length (1 byte) │ name │ value type (1 byte) │ value
//! ```
//!
//! Integers are big-endian. The prelude CRC is the CRC32 (the GZIP one) of
//! the two lengths; the message CRC is the CRC32 of everything before it.
//! String and byte-array values carry a 2-byte length; timestamps are
//! milliseconds since the Unix epoch. See "Event stream encoding" in
//! <https://docs.aws.amazon.com/transcribe/latest/dg/streaming-setting-up.html>.
//!
//! Decoding never panics and never asks for more than [`MAX_MESSAGE_LEN`]
//! bytes: the prelude is checked (its CRC, then the lengths) as soon as its
//! 12 bytes are in, before the rest of the message is waited for.

use std::fmt;

/// The largest message, in bytes, prelude and CRCs included: 16 MiB, the
/// limit of AWS's event stream implementations.
pub const MAX_MESSAGE_LEN: usize = 16 * 1024 * 1024;
/// The largest headers section of a message, in bytes: 128 KiB.
pub const MAX_HEADERS_LEN: usize = 128 * 1024;
/// The longest header name, in bytes (its length is one byte).
pub const MAX_HEADER_NAME_LEN: usize = 255;
/// The longest string or byte-array header value, in bytes (`i16::MAX`, as
/// the AWS SDKs write them).
pub const MAX_HEADER_VALUE_LEN: usize = i16::MAX as usize;
/// The prelude: total length, headers length and the prelude CRC.
pub const PRELUDE_LEN: usize = 12;
/// The shortest message: a prelude and a message CRC, no headers, no payload.
pub const MIN_MESSAGE_LEN: usize = PRELUDE_LEN + 4;

const TYPE_TRUE: u8 = 0;
const TYPE_FALSE: u8 = 1;
const TYPE_BYTE: u8 = 2;
const TYPE_INT16: u8 = 3;
const TYPE_INT32: u8 = 4;
const TYPE_INT64: u8 = 5;
const TYPE_BYTE_ARRAY: u8 = 6;
const TYPE_STRING: u8 = 7;
const TYPE_TIMESTAMP: u8 = 8;
const TYPE_UUID: u8 = 9;

/// A typed header value, borrowing its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HeaderValue<'a> {
    /// Type 0 (`true`) or 1 (`false`); no value bytes.
    Bool(bool),
    /// Type 2: one signed byte.
    Byte(i8),
    /// Type 3: a big-endian `i16`.
    Int16(i16),
    /// Type 4: a big-endian `i32`.
    Int32(i32),
    /// Type 5: a big-endian `i64`.
    Int64(i64),
    /// Type 6: bytes, at most [`MAX_HEADER_VALUE_LEN`].
    ByteArray(&'a [u8]),
    /// Type 7: UTF-8 text, at most [`MAX_HEADER_VALUE_LEN`] bytes.
    String(&'a str),
    /// Type 8: milliseconds since the Unix epoch, a big-endian `i64`.
    Timestamp(i64),
    /// Type 9: 16 bytes.
    Uuid([u8; 16]),
}

impl HeaderValue<'_> {
    /// The type byte.
    pub fn type_byte(&self) -> u8 {
        match self {
            Self::Bool(true) => TYPE_TRUE,
            Self::Bool(false) => TYPE_FALSE,
            Self::Byte(_) => TYPE_BYTE,
            Self::Int16(_) => TYPE_INT16,
            Self::Int32(_) => TYPE_INT32,
            Self::Int64(_) => TYPE_INT64,
            Self::ByteArray(_) => TYPE_BYTE_ARRAY,
            Self::String(_) => TYPE_STRING,
            Self::Timestamp(_) => TYPE_TIMESTAMP,
            Self::Uuid(_) => TYPE_UUID,
        }
    }

    /// The encoded length of the value, type byte included.
    fn encoded_len(&self) -> usize {
        1 + match self {
            Self::Bool(_) => 0,
            Self::Byte(_) => 1,
            Self::Int16(_) => 2,
            Self::Int32(_) => 4,
            Self::Int64(_) | Self::Timestamp(_) => 8,
            Self::ByteArray(b) => 2 + b.len(),
            Self::String(s) => 2 + s.len(),
            Self::Uuid(_) => 16,
        }
    }
}

/// One header: a name of 1 to 255 bytes and a typed value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Header<'a> {
    /// The name, as sent (names are case-sensitive).
    pub name: &'a str,
    /// The value.
    pub value: HeaderValue<'a>,
}

impl<'a> Header<'a> {
    /// A header.
    pub fn new(name: &'a str, value: HeaderValue<'a>) -> Self {
        Self { name, value }
    }

    /// The encoded length of the header.
    fn encoded_len(&self) -> usize {
        1 + self.name.len() + self.value.encoded_len()
    }
}

/// Why bytes are not an event stream message, or why a message cannot be
/// encoded. Offsets count from the start of the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// The prelude's CRC does not match its two lengths.
    #[error("prelude CRC mismatch: computed {computed:#010x}, the message carries {carried:#010x}")]
    PreludeChecksum {
        /// The CRC32 of the first 8 bytes.
        computed: u32,
        /// The CRC the prelude carries.
        carried: u32,
    },
    /// The message CRC does not match the message.
    #[error("message CRC mismatch: computed {computed:#010x}, the message carries {carried:#010x}")]
    MessageChecksum {
        /// The CRC32 of everything before the message CRC.
        computed: u32,
        /// The CRC the message carries.
        carried: u32,
    },
    /// The total length is below 16 bytes or above [`MAX_MESSAGE_LEN`].
    #[error("message length {len} is out of range: it must be 16..=16777216 bytes")]
    MessageLength {
        /// The length, in bytes.
        len: usize,
    },
    /// The headers length does not fit in the message, or is above
    /// [`MAX_HEADERS_LEN`].
    #[error(
        "headers length {len} is out of range: at most {MAX_HEADERS_LEN} bytes and the message length less 16"
    )]
    HeadersLength {
        /// The length, in bytes.
        len: usize,
    },
    /// A header name is empty, longer than 255 bytes, not UTF-8, or runs
    /// past the headers section.
    #[error("header at offset {offset}: bad name: {reason}")]
    HeaderName {
        /// Where the header starts.
        offset: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// A header value type byte is not 0 to 9.
    #[error("header at offset {offset}: unknown value type {type_byte}")]
    HeaderValueType {
        /// Where the header starts.
        offset: usize,
        /// The type byte.
        type_byte: u8,
    },
    /// A header value runs past the headers section, is longer than
    /// [`MAX_HEADER_VALUE_LEN`], or (a string) is not UTF-8.
    #[error("header at offset {offset}: bad value: {reason}")]
    HeaderValue {
        /// Where the header starts.
        offset: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// The bytes end before the message does.
    #[error("the bytes end before the message does: {len} bytes, the message needs {needed}")]
    Incomplete {
        /// How many bytes there are.
        len: usize,
        /// How many the message needs (at least the 12-byte prelude).
        needed: usize,
    },
    /// More bytes follow the message.
    #[error("{extra} bytes follow the {message_len}-byte message")]
    TrailingBytes {
        /// The message's length.
        message_len: usize,
        /// How many bytes follow it.
        extra: usize,
    },
}

/// What [`decode`] found at the start of a buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decoded<'a> {
    /// A whole, valid message; it is [`Message::len`] bytes long.
    Complete(Message<'a>),
    /// Not enough bytes yet. `needed` is the length of the message once the
    /// prelude is in and checked (the prelude's 12 bytes before that).
    Incomplete {
        /// How many bytes the buffer must hold to go on.
        needed: usize,
    },
}

/// A decoded message: a view of valid bytes, its headers read as they are
/// iterated.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Message<'a> {
    bytes: &'a [u8],
    headers: &'a [u8],
    payload: &'a [u8],
}

impl<'a> Message<'a> {
    /// Decodes the one message that `bytes` holds, exactly.
    ///
    /// # Errors
    ///
    /// [`FrameError::Incomplete`] when `bytes` ends before the message,
    /// [`FrameError::TrailingBytes`] when more follows it, and the error of
    /// [`decode`] when the bytes are not a valid message.
    pub fn decode_exact(bytes: &'a [u8]) -> Result<Self, FrameError> {
        match decode(bytes)? {
            Decoded::Complete(message) if message.len() == bytes.len() => Ok(message),
            Decoded::Complete(message) => Err(FrameError::TrailingBytes {
                message_len: message.len(),
                extra: bytes.len() - message.len(),
            }),
            Decoded::Incomplete { needed } => Err(FrameError::Incomplete {
                len: bytes.len(),
                needed,
            }),
        }
    }

    /// The whole message, prelude and CRCs included.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The message's length in bytes.
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// The encoded headers section.
    pub fn header_bytes(&self) -> &'a [u8] {
        self.headers
    }

    /// The payload.
    pub fn payload(&self) -> &'a [u8] {
        self.payload
    }

    /// The headers, in order (repeats included).
    pub fn headers(&self) -> Headers<'a> {
        Headers {
            rest: self.headers,
            offset: PRELUDE_LEN,
        }
    }

    /// The value of the first header named `name`.
    pub fn header(&self, name: &str) -> Option<HeaderValue<'a>> {
        self.headers().find(|h| h.name == name).map(|h| h.value)
    }
}

impl fmt::Debug for Message<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Message")
            .field("headers", &self.headers().collect::<Vec<_>>())
            .field("payload_len", &self.payload.len())
            .finish()
    }
}

/// The headers of a [`Message`], in order.
#[derive(Debug, Clone)]
pub struct Headers<'a> {
    rest: &'a [u8],
    offset: usize,
}

impl<'a> Iterator for Headers<'a> {
    type Item = Header<'a>;

    fn next(&mut self) -> Option<Header<'a>> {
        // The section was checked whole when the message was decoded.
        let (header, used) = read_header(self.rest, self.offset).ok()??;
        self.rest = self.rest.get(used..).unwrap_or(&[]);
        self.offset += used;
        Some(header)
    }
}

fn be_u32(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at + 4)?;
    Some(u32::from_be_bytes(b.try_into().ok()?))
}

/// CRC-32/ISO-HDLC, the GZIP CRC32.
fn crc32(bytes: &[u8]) -> u32 {
    // A CRC-32 is 32 bits wide: the high half of the u64 is zero.
    crc_fast::checksum(crc_fast::CrcAlgorithm::Crc32IsoHdlc, bytes) as u32
}

/// Decodes the message at the start of `buf`.
///
/// Returns [`Decoded::Incomplete`] while `buf` is shorter than the message
/// (the prelude is checked as soon as its 12 bytes are in, so a bad length
/// is refused before the rest is waited for), else the message, which may
/// be followed by more bytes in `buf`.
///
/// # Errors
///
/// A [`FrameError`] naming the first fault: a CRC mismatch, a total length
/// outside 16 bytes..=16 MiB, a headers length over 128 KiB or past the
/// message, or a malformed header (empty or non-UTF-8 name, unknown type,
/// value past the headers section, string value not UTF-8).
pub fn decode(buf: &[u8]) -> Result<Decoded<'_>, FrameError> {
    let (Some(total), Some(headers_len), Some(carried)) =
        (be_u32(buf, 0), be_u32(buf, 4), be_u32(buf, 8))
    else {
        return Ok(Decoded::Incomplete {
            needed: PRELUDE_LEN,
        });
    };
    let computed = crc32(buf.get(..8).unwrap_or(&[]));
    if computed != carried {
        return Err(FrameError::PreludeChecksum { computed, carried });
    }
    let total = total as usize;
    let headers_len = headers_len as usize;
    if !(MIN_MESSAGE_LEN..=MAX_MESSAGE_LEN).contains(&total) {
        return Err(FrameError::MessageLength { len: total });
    }
    if headers_len > MAX_HEADERS_LEN || headers_len > total - MIN_MESSAGE_LEN {
        return Err(FrameError::HeadersLength { len: headers_len });
    }
    let Some(bytes) = buf.get(..total) else {
        return Ok(Decoded::Incomplete { needed: total });
    };
    let (body, crc) = bytes.split_at(total - 4);
    let computed = crc32(body);
    let carried = be_u32(crc, 0).unwrap_or_default();
    if computed != carried {
        return Err(FrameError::MessageChecksum { computed, carried });
    }
    let headers = body
        .get(PRELUDE_LEN..PRELUDE_LEN + headers_len)
        .unwrap_or(&[]);
    let payload = body.get(PRELUDE_LEN + headers_len..).unwrap_or(&[]);
    let mut rest = headers;
    let mut offset = PRELUDE_LEN;
    while !rest.is_empty() {
        let (_, used) = read_header(rest, offset)?.ok_or(FrameError::HeaderName {
            offset,
            reason: "the headers section ends inside a header",
        })?;
        rest = rest.get(used..).unwrap_or(&[]);
        offset += used;
    }
    Ok(Decoded::Complete(Message {
        bytes,
        headers,
        payload,
    }))
}

/// Reads the header at the start of `bytes` (a non-empty rest of a headers
/// section; `offset` is where it starts in the message): the header and
/// its length, or `None` for nothing left.
fn read_header(bytes: &[u8], offset: usize) -> Result<Option<(Header<'_>, usize)>, FrameError> {
    let Some((&name_len, rest)) = bytes.split_first() else {
        return Ok(None);
    };
    let name_err = |reason| FrameError::HeaderName { offset, reason };
    let value_err = |reason| FrameError::HeaderValue { offset, reason };
    let name_len = usize::from(name_len);
    if name_len == 0 {
        return Err(name_err("it is empty"));
    }
    let name = rest
        .get(..name_len)
        .ok_or(name_err("it runs past the headers section"))?;
    let name = std::str::from_utf8(name).map_err(|_| name_err("it is not UTF-8"))?;
    let rest = rest.get(name_len..).unwrap_or(&[]);
    let (&type_byte, rest) = rest
        .split_first()
        .ok_or(value_err("the value type runs past the headers section"))?;
    let fixed = |n: usize| {
        rest.get(..n)
            .ok_or(value_err("the value runs past the headers section"))
    };
    let (value, value_len) = match type_byte {
        TYPE_TRUE => (HeaderValue::Bool(true), 0),
        TYPE_FALSE => (HeaderValue::Bool(false), 0),
        TYPE_BYTE => (HeaderValue::Byte(i8::from_be_bytes(array(fixed(1)?))), 1),
        TYPE_INT16 => (HeaderValue::Int16(i16::from_be_bytes(array(fixed(2)?))), 2),
        TYPE_INT32 => (HeaderValue::Int32(i32::from_be_bytes(array(fixed(4)?))), 4),
        TYPE_INT64 => (HeaderValue::Int64(i64::from_be_bytes(array(fixed(8)?))), 8),
        TYPE_TIMESTAMP => (
            HeaderValue::Timestamp(i64::from_be_bytes(array(fixed(8)?))),
            8,
        ),
        TYPE_UUID => (HeaderValue::Uuid(array(fixed(16)?)), 16),
        TYPE_BYTE_ARRAY | TYPE_STRING => {
            let len = usize::from(u16::from_be_bytes(array(fixed(2)?)));
            if len > MAX_HEADER_VALUE_LEN {
                return Err(value_err("it is longer than 32767 bytes"));
            }
            let data = rest
                .get(2..2 + len)
                .ok_or(value_err("the value runs past the headers section"))?;
            let value = if type_byte == TYPE_STRING {
                HeaderValue::String(
                    std::str::from_utf8(data).map_err(|_| value_err("the string is not UTF-8"))?,
                )
            } else {
                HeaderValue::ByteArray(data)
            };
            (value, 2 + len)
        }
        _ => return Err(FrameError::HeaderValueType { offset, type_byte }),
    };
    Ok(Some((Header { name, value }, 1 + name_len + 1 + value_len)))
}

/// The first `N` bytes of a slice known to hold them.
fn array<const N: usize>(bytes: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    for (o, b) in out.iter_mut().zip(bytes) {
        *o = *b;
    }
    out
}

/// The length of the headers section `headers` encode to.
///
/// # Errors
///
/// [`FrameError::HeaderName`] for an empty name or one over 255 bytes,
/// [`FrameError::HeaderValue`] for a value over [`MAX_HEADER_VALUE_LEN`],
/// [`FrameError::HeadersLength`] when the section would be over
/// [`MAX_HEADERS_LEN`].
pub fn headers_len(headers: &[Header<'_>]) -> Result<usize, FrameError> {
    let mut len = 0usize;
    for header in headers {
        let offset = PRELUDE_LEN + len;
        if header.name.is_empty() {
            return Err(FrameError::HeaderName {
                offset,
                reason: "it is empty",
            });
        }
        if header.name.len() > MAX_HEADER_NAME_LEN {
            return Err(FrameError::HeaderName {
                offset,
                reason: "it is longer than 255 bytes",
            });
        }
        if let HeaderValue::ByteArray(b) = header.value {
            check_value_len(b.len(), offset)?;
        }
        if let HeaderValue::String(s) = header.value {
            check_value_len(s.len(), offset)?;
        }
        len += header.encoded_len();
        if len > MAX_HEADERS_LEN {
            return Err(FrameError::HeadersLength { len });
        }
    }
    Ok(len)
}

fn check_value_len(len: usize, offset: usize) -> Result<(), FrameError> {
    if len > MAX_HEADER_VALUE_LEN {
        return Err(FrameError::HeaderValue {
            offset,
            reason: "it is longer than 32767 bytes",
        });
    }
    Ok(())
}

/// The length of the message that `headers` and a payload of `payload_len`
/// bytes encode to.
///
/// # Errors
///
/// The errors of [`headers_len`], and [`FrameError::MessageLength`] when
/// the message would be over [`MAX_MESSAGE_LEN`].
pub fn encoded_len(headers: &[Header<'_>], payload_len: usize) -> Result<usize, FrameError> {
    let len = MIN_MESSAGE_LEN
        .saturating_add(headers_len(headers)?)
        .saturating_add(payload_len);
    if len > MAX_MESSAGE_LEN {
        return Err(FrameError::MessageLength { len });
    }
    Ok(len)
}

/// Appends the message made of `headers` (in the order given) and
/// `payload` to `out`. Returns its length.
///
/// # Errors
///
/// The errors of [`encoded_len`]; `out` is then left as it was.
pub fn encode(
    headers: &[Header<'_>],
    payload: &[u8],
    out: &mut Vec<u8>,
) -> Result<usize, FrameError> {
    let total = encoded_len(headers, payload.len())?;
    let start = out.len();
    out.reserve(total);
    let headers_len = total - MIN_MESSAGE_LEN - payload.len();
    write_prelude(out, total, headers_len);
    for header in headers {
        write_header(out, header);
    }
    out.extend_from_slice(payload);
    finish_message(out, start);
    Ok(total)
}

/// Writes the prelude of a message of `total` bytes with `headers_len`
/// bytes of headers (both checked against the limits by the caller).
pub(super) fn write_prelude(out: &mut Vec<u8>, total: usize, headers_len: usize) {
    let start = out.len();
    // Both are at most 16 MiB, checked by the callers.
    out.extend_from_slice(&(total as u32).to_be_bytes());
    out.extend_from_slice(&(headers_len as u32).to_be_bytes());
    let crc = crc32(out.get(start..).unwrap_or(&[]));
    out.extend_from_slice(&crc.to_be_bytes());
}

/// Appends the message CRC of the message that starts at `start`.
pub(super) fn finish_message(out: &mut Vec<u8>, start: usize) {
    let crc = crc32(out.get(start..).unwrap_or(&[]));
    out.extend_from_slice(&crc.to_be_bytes());
}

/// Writes one header (its name and value lengths checked by the caller).
pub(super) fn write_header(out: &mut Vec<u8>, header: &Header<'_>) {
    // At most 255, checked by the callers.
    out.push(header.name.len() as u8);
    out.extend_from_slice(header.name.as_bytes());
    out.push(header.value.type_byte());
    match header.value {
        HeaderValue::Bool(_) => {}
        HeaderValue::Byte(v) => out.extend_from_slice(&v.to_be_bytes()),
        HeaderValue::Int16(v) => out.extend_from_slice(&v.to_be_bytes()),
        HeaderValue::Int32(v) => out.extend_from_slice(&v.to_be_bytes()),
        HeaderValue::Int64(v) | HeaderValue::Timestamp(v) => {
            out.extend_from_slice(&v.to_be_bytes());
        }
        HeaderValue::ByteArray(b) => {
            // At most 32767, checked by the callers.
            out.extend_from_slice(&(b.len() as u16).to_be_bytes());
            out.extend_from_slice(b);
        }
        HeaderValue::String(s) => {
            out.extend_from_slice(&(s.len() as u16).to_be_bytes());
            out.extend_from_slice(s.as_bytes());
        }
        HeaderValue::Uuid(u) => out.extend_from_slice(&u),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_types() -> Vec<Header<'static>> {
        vec![
            Header::new("t", HeaderValue::Bool(true)),
            Header::new("f", HeaderValue::Bool(false)),
            Header::new("b", HeaderValue::Byte(-3)),
            Header::new("s", HeaderValue::Int16(-300)),
            Header::new("i", HeaderValue::Int32(70_000)),
            Header::new("l", HeaderValue::Int64(-1 << 40)),
            Header::new("a", HeaderValue::ByteArray(b"\x00\xff")),
            Header::new(":event-type", HeaderValue::String("AudioEvent")),
            Header::new("ts", HeaderValue::Timestamp(1_700_000_000_123)),
            Header::new("u", HeaderValue::Uuid([7; 16])),
        ]
    }

    /// The check value of CRC-32/ISO-HDLC (the catalogue's "123456789").
    #[test]
    fn crc_is_the_gzip_crc32() {
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
    }

    #[test]
    fn round_trips_every_type() {
        let headers = all_types();
        let mut out = vec![9, 9];
        let len = encode(&headers, b"payload", &mut out).unwrap();
        assert_eq!(out.len(), 2 + len);
        let message = Message::decode_exact(&out[2..]).unwrap();
        assert_eq!(message.headers().collect::<Vec<_>>(), headers);
        assert_eq!(message.payload(), b"payload");
        assert_eq!(
            message.header(":event-type"),
            Some(HeaderValue::String("AudioEvent"))
        );
        assert_eq!(message.header("missing"), None);
    }

    /// Every prefix of a message is incomplete, never an error or a panic;
    /// the prelude gives the length as soon as it is in.
    #[test]
    fn prefixes_are_incomplete() {
        let mut out = Vec::new();
        encode(&all_types(), b"xyz", &mut out).unwrap();
        for n in 0..out.len() {
            let needed = if n < PRELUDE_LEN {
                PRELUDE_LEN
            } else {
                out.len()
            };
            assert_eq!(decode(&out[..n]), Ok(Decoded::Incomplete { needed }), "{n}");
        }
        let mut two = out.clone();
        two.extend_from_slice(&out);
        match decode(&two).unwrap() {
            Decoded::Complete(m) => assert_eq!(m.len(), out.len()),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            Message::decode_exact(&two),
            Err(FrameError::TrailingBytes {
                message_len: out.len(),
                extra: out.len()
            })
        );
    }

    fn with_prelude(total: u32, headers: u32) -> Vec<u8> {
        let mut b = total.to_be_bytes().to_vec();
        b.extend_from_slice(&headers.to_be_bytes());
        let crc = crc32(&b);
        b.extend_from_slice(&crc.to_be_bytes());
        b
    }

    #[test]
    fn refuses_bad_preludes_before_waiting() {
        for (total, headers, err) in [
            (15, 0, FrameError::MessageLength { len: 15 }),
            (
                MAX_MESSAGE_LEN as u32 + 1,
                0,
                FrameError::MessageLength {
                    len: MAX_MESSAGE_LEN + 1,
                },
            ),
            (
                u32::MAX,
                0,
                FrameError::MessageLength {
                    len: u32::MAX as usize,
                },
            ),
            (20, 5, FrameError::HeadersLength { len: 5 }),
            (
                MAX_MESSAGE_LEN as u32,
                MAX_HEADERS_LEN as u32 + 1,
                FrameError::HeadersLength {
                    len: MAX_HEADERS_LEN + 1,
                },
            ),
        ] {
            assert_eq!(decode(&with_prelude(total, headers)), Err(err));
        }
        let mut bad = with_prelude(16, 0);
        bad[11] ^= 1;
        assert!(matches!(
            decode(&bad),
            Err(FrameError::PreludeChecksum { .. })
        ));
    }

    fn message_with_headers(headers: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        write_prelude(&mut out, 16 + headers.len(), headers.len());
        out.extend_from_slice(headers);
        finish_message(&mut out, 0);
        out
    }

    #[test]
    fn refuses_malformed_headers() {
        for (headers, what) in [
            (&b"\x00\x00"[..], "empty name"),
            (b"\x05ab", "name past the section"),
            (b"\x01a", "no type"),
            (b"\x01a\x0a", "unknown type"),
            (b"\x01a\x04\x00\x00", "short int32"),
            (b"\x01a\x07\x00\x05abc", "string past the section"),
            (b"\x01a\x07\x00\x02\xff\xfe", "string not UTF-8"),
            (b"\x01\xff\x00", "name not UTF-8"),
            (b"\x01a\x06\x80\x00", "value over 32767 bytes"),
        ] {
            assert!(
                Message::decode_exact(&message_with_headers(headers)).is_err(),
                "{what}"
            );
        }
        let ok = message_with_headers(b"\x01a\x00\x01b\x06\x00\x01z");
        let m = Message::decode_exact(&ok).unwrap();
        assert_eq!(m.headers().count(), 2);
    }

    #[test]
    fn encode_refuses_what_cannot_be_sent() {
        let long_name = "n".repeat(256);
        let long_value = "v".repeat(MAX_HEADER_VALUE_LEN + 1);
        let mut out = vec![1];
        for headers in [
            vec![Header::new("", HeaderValue::Bool(true))],
            vec![Header::new(&long_name, HeaderValue::Bool(true))],
            vec![Header::new("v", HeaderValue::String(&long_value))],
            vec![Header::new(
                "v",
                HeaderValue::ByteArray(long_value.as_bytes()),
            )],
        ] {
            assert!(encode(&headers, b"", &mut out).is_err());
        }
        let big = vec![0u8; MAX_MESSAGE_LEN - MIN_MESSAGE_LEN + 1];
        assert_eq!(
            encode(&[], &big, &mut out),
            Err(FrameError::MessageLength {
                len: MAX_MESSAGE_LEN + 1
            })
        );
        assert_eq!(out, [1]);
        let max_value = "v".repeat(MAX_HEADER_VALUE_LEN);
        let max_name = "n".repeat(MAX_HEADER_NAME_LEN);
        let headers = [Header::new(&max_name, HeaderValue::String(&max_value))];
        encode(&headers, b"", &mut out).unwrap();
        let m = Message::decode_exact(&out[1..]).unwrap();
        assert_eq!(m.headers().collect::<Vec<_>>(), headers);
    }
}
