//! Percent-encoding as SigV4 defines it: every byte except the unreserved
//! characters `A-Z a-z 0-9 - _ . ~` becomes `%XX` with upper-case hex.

use std::borrow::Cow;

use crate::sink::Sink;

/// Which bytes stay bare.
#[derive(Clone, Copy)]
pub(crate) enum Set {
    /// The unreserved characters only: for query keys and values.
    Component,
    /// The unreserved characters and '/': for paths.
    Path,
}

/// For each byte: 1 if it is unreserved, 2 if it is '/', 0 otherwise.
// Evaluated at compile time: an index out of range fails the build.
#[allow(clippy::indexing_slicing)]
const BARE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        if c.is_ascii_alphanumeric() || c == b'-' || c == b'_' || c == b'.' || c == b'~' {
            t[b] = 1;
        }
        b += 1;
    }
    t[b'/' as usize] = 2;
    t
};

/// Everything but the unreserved characters.
pub(crate) const COMPONENT: Set = Set::Component;

/// As [`COMPONENT`], but '/' stays bare: for paths.
pub(crate) const PATH: Set = Set::Path;

/// Writes `bytes` percent-encoded: runs of bare bytes as they are, every
/// other byte as `%XX` with upper-case hex.
pub(crate) fn encode(sink: &mut impl Sink, bytes: &[u8], set: Set) {
    let bare_mask = match set {
        Set::Component => 1,
        Set::Path => 3,
    };
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if BARE.get(usize::from(b)).copied().unwrap_or(0) & bare_mask == 0 {
            sink.put(bytes.get(start..i).unwrap_or(&[]));
            sink.put(percent_encoding::percent_encode_byte(b).as_bytes());
            start = i + 1;
        }
    }
    sink.put(bytes.get(start..).unwrap_or(&[]));
}

/// The value of an ASCII hex digit.
#[inline]
pub(crate) fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// If `bytes[i]` starts a valid `%XX` escape, the byte it stands for.
#[inline]
pub(crate) fn escape_at(bytes: &[u8], i: usize) -> Option<u8> {
    if bytes.get(i) != Some(&b'%') {
        return None;
    }
    let hi = hex_value(*bytes.get(i + 1)?)?;
    let lo = hex_value(*bytes.get(i + 2)?)?;
    Some(hi << 4 | lo)
}

/// Percent-decodes text: each valid `%XX` escape becomes its byte, anything
/// else (an invalid escape included) stays as it is. Borrows when there is
/// nothing to decode.
pub(crate) fn decode(text: &[u8]) -> Cow<'_, [u8]> {
    if !text.contains(&b'%') {
        return Cow::Borrowed(text);
    }
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while let Some(&b) = text.get(i) {
        match escape_at(text, i) {
            Some(decoded) => {
                out.push(decoded);
                i += 3;
            }
            None => {
                out.push(b);
                i += 1;
            }
        }
    }
    Cow::Owned(out)
}

/// Checks that every '%' starts a valid escape and that no byte is a control
/// character. Returns a reason on failure.
pub(crate) fn check_wire_text(bytes: &[u8]) -> Result<(), &'static str> {
    // Most text has no escape and no control character: one pass that the
    // compiler can vectorize settles it.
    let (plain, escapes) = bytes.iter().fold((true, false), |(ok, pct), &b| {
        (ok & (b >= 0x20) & (b != 0x7f), pct | (b == b'%'))
    });
    if plain {
        // No control character: only the escapes are left to check.
        let valid = |piece: &[u8]| matches!(piece, [hi, lo, ..] if hex_value(*hi).is_some() && hex_value(*lo).is_some());
        if !escapes || bytes.split(|&b| b == b'%').skip(1).all(valid) {
            return Ok(());
        }
        return Err("a '%' is not followed by two hexadecimal digits");
    }
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            if escape_at(bytes, i).is_none() {
                return Err("a '%' is not followed by two hexadecimal digits");
            }
            i += 3;
            continue;
        }
        if b < 0x20 || b == 0x7f {
            return Err("it contains a control character");
        }
        i += 1;
    }
    Ok(())
}

/// Iterates over the canonical encoding of a query component, one byte at a
/// time, without building it. Wire-form input (as found in a URL) is decoded
/// first, so `%41`, `A` and an already-canonical `%E1` all compare as they
/// will be written.
pub(crate) struct CanonicalBytes<'a> {
    src: &'a [u8],
    pos: usize,
    decode: bool,
    pending: [u8; 2],
    pending_len: u8,
}

impl<'a> CanonicalBytes<'a> {
    pub(crate) fn new(src: &'a [u8], decode: bool) -> Self {
        Self {
            src,
            pos: 0,
            decode,
            pending: [0; 2],
            pending_len: 0,
        }
    }
}

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

impl Iterator for CanonicalBytes<'_> {
    type Item = u8;

    #[inline]
    fn next(&mut self) -> Option<u8> {
        if self.pending_len > 0 {
            let idx = 2 - usize::from(self.pending_len);
            self.pending_len -= 1;
            return self.pending.get(idx).copied();
        }
        let b = *self.src.get(self.pos)?;
        let raw = if self.decode {
            if let Some(decoded) = escape_at(self.src, self.pos) {
                self.pos += 3;
                decoded
            } else {
                self.pos += 1;
                b
            }
        } else {
            self.pos += 1;
            b
        };
        if !(raw.is_ascii_alphanumeric() || matches!(raw, b'-' | b'_' | b'.' | b'~')) {
            self.pending = [
                HEX_UPPER
                    .get(usize::from(raw >> 4))
                    .copied()
                    .unwrap_or(b'0'),
                HEX_UPPER
                    .get(usize::from(raw & 15))
                    .copied()
                    .unwrap_or(b'0'),
            ];
            self.pending_len = 2;
            Some(b'%')
        } else {
            Some(raw)
        }
    }
}

/// Whether text is made of unreserved characters only (and so is its own
/// encoding). No early exit, so the compiler can vectorize it.
#[inline]
pub(crate) fn is_unreserved(text: &str) -> bool {
    text.bytes().fold(true, |ok, b| {
        ok & (b.is_ascii_alphanumeric() | matches!(b, b'-' | b'_' | b'.' | b'~'))
    })
}

/// Writes the canonical encoding of a query component.
pub(crate) fn write_component(sink: &mut impl Sink, src: &str, decode: bool) {
    if is_unreserved(src) {
        sink.put(src.as_bytes());
        return;
    }
    if !decode || !src.as_bytes().contains(&b'%') {
        encode(sink, src.as_bytes(), COMPONENT);
        return;
    }
    // Decode runs between escapes and encode each byte; escapes are
    // re-encoded from the byte they stand for (normalizing hex case and
    // bare-ing unreserved characters).
    let bytes = src.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        if let Some(decoded) = escape_at(bytes, i) {
            encode(sink, bytes.get(start..i).unwrap_or(&[]), COMPONENT);
            encode(sink, &[decoded], COMPONENT);
            i += 3;
            start = i;
        } else {
            i += 1;
        }
    }
    encode(sink, bytes.get(start..).unwrap_or(&[]), COMPONENT);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(s: &str, decode: bool) -> String {
        let via_iter: Vec<u8> = CanonicalBytes::new(s.as_bytes(), decode).collect();
        let mut via_sink = Vec::new();
        write_component(&mut via_sink, s, decode);
        assert_eq!(via_iter, via_sink, "iterator and writer agree for {s:?}");
        String::from_utf8(via_sink).unwrap()
    }

    #[test]
    fn encodes_per_sigv4() {
        assert_eq!(canon("a b+c/d~e", false), "a%20b%2Bc%2Fd~e");
        assert_eq!(canon("%E1%88%b4", true), "%E1%88%B4");
        assert_eq!(canon("%41%2b", true), "A%2B");
        assert_eq!(canon("%41", false), "%2541");
        assert_eq!(canon("ሴ", true), "%E1%88%B4");
    }

    /// Every byte, bare or escaped, against the definition of the
    /// unreserved characters.
    #[test]
    fn encodes_every_byte() {
        for b in 0..=255u8 {
            let unreserved = b.is_ascii_alphanumeric() || b"-_.~".contains(&b);
            let escaped = format!("%{b:02X}");
            for (set, bare) in [(COMPONENT, unreserved), (PATH, unreserved || b == b'/')] {
                let mut out = Vec::new();
                encode(&mut out, &[b'a', b, b'z'], set);
                let middle = if bare {
                    (b as char).to_string()
                } else {
                    escaped.clone()
                };
                assert_eq!(out, format!("a{middle}z").into_bytes(), "byte {b}");
            }
        }
    }

    #[test]
    fn checks_wire_text() {
        assert!(check_wire_text(b"/a%20b").is_ok());
        assert!(check_wire_text(b"%25%41x%7e").is_ok());
        assert!(check_wire_text(b"%25%").is_err());
        assert!(check_wire_text(b"%%41").is_err());
        assert!(check_wire_text(b"a%4").is_err());
        assert_eq!(
            check_wire_text(b"a\x01%zz"),
            Err("it contains a control character")
        );
        assert_eq!(
            check_wire_text(b"a%zz\x01"),
            Err("a '%' is not followed by two hexadecimal digits")
        );
        assert!(check_wire_text(b"/a%2").is_err());
        assert!(check_wire_text(b"/a%zz").is_err());
        assert!(check_wire_text(b"/a\nb").is_err());
    }
}
