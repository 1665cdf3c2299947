//! The exact length of an encoded body, known before its first byte.
//!
//! A signed chunk is `hex(size);chunk-signature=<64 hex>\r\n<data>\r\n`, an
//! unsigned one `hex(size)\r\n<data>\r\n`; the final chunk has size 0 and no
//! data. Then, with a trailer, `name:value\r\n` and (signed)
//! `x-amz-trailer-signature:<64 hex>\r\n`; and last an empty line.

use super::checksum::ChecksumAlgorithm;

/// `;chunk-signature=` and 64 hex digits.
const SIGNATURE_EXTENSION: u64 = 17 + 64;
/// `x-amz-trailer-signature:`, 64 hex digits and CRLF.
const TRAILER_SIGNATURE_LINE: u64 = 24 + 64 + 2;

/// The number of hex digits of `n` (1 for 0).
pub(crate) fn hex_digits(n: u64) -> u64 {
    u64::from((64 - n.leading_zeros()).div_ceil(4).max(1))
}

/// The length of one chunk's framing around `size` bytes of data (the data
/// excluded; the final chunk, of size 0, has no CRLF after its empty data).
fn chunk_overhead(size: u64, signed: bool) -> u64 {
    let extension = if signed { SIGNATURE_EXTENSION } else { 0 };
    let data_end = if size == 0 { 0 } else { 2 };
    hex_digits(size) + extension + 2 + data_end
}

/// The exact length in bytes of `decoded` bytes of data encoded in chunks
/// of `chunk_size` bytes (the last one shorter, `chunk_size` at least 1),
/// signed or not, the final empty chunk and the trailer holding the
/// checksum `trailer` (if any). A length past `u64::MAX` (only chunks of a
/// few bytes framing a length near [`MAX_DECODED_LENGTH`](super::MAX_DECODED_LENGTH)
/// come to that) is `u64::MAX`.
pub(crate) fn framed_length(
    decoded: u64,
    chunk_size: u64,
    signed: bool,
    trailer: Option<ChecksumAlgorithm>,
) -> u64 {
    let size = chunk_size.max(1);
    let full = decoded / size;
    let rest = decoded % size;
    let mut length = decoded.saturating_add(full.saturating_mul(chunk_overhead(size, signed)));
    if rest > 0 {
        length = length.saturating_add(chunk_overhead(rest, signed));
    }
    length = length.saturating_add(chunk_overhead(0, signed));
    if let Some(algorithm) = trailer {
        let line = algorithm.header_name().len() as u64 + 1 + algorithm.base64_len() as u64 + 2;
        length = length.saturating_add(line);
        if signed {
            length = length.saturating_add(TRAILER_SIGNATURE_LINE);
        }
    }
    length.saturating_add(2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_digit_counts() {
        for (n, d) in [
            (0, 1),
            (1, 1),
            (15, 1),
            (16, 2),
            (255, 2),
            (256, 3),
            (65_536, 5),
        ] {
            assert_eq!(hex_digits(n), d, "{n}");
            assert_eq!(format!("{n:x}").len() as u64, d, "{n}");
        }
        assert_eq!(hex_digits(u64::MAX), 16);
    }
}
