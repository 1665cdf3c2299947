//! Driving the `aws-chunked` encoder and decoder over data cut in pieces,
//! shared by the chunked tests (included with `#[path]`; each uses what it
//! needs).
#![allow(dead_code)]

use awsig::chunked::{ChunkedDecoder, ChunkedEncoder, ChunkedRejection};

/// Cuts `data` into pieces whose sizes cycle through `sizes` (each at
/// least 1).
pub fn pieces<'a>(mut data: &'a [u8], sizes: &'a [usize]) -> impl Iterator<Item = &'a [u8]> + 'a {
    let mut sizes = sizes.iter().cycle();
    std::iter::from_fn(move || {
        if data.is_empty() {
            return None;
        }
        let size = (*sizes.next()?).clamp(1, data.len());
        let (piece, rest) = data.split_at(size);
        data = rest;
        Some(piece)
    })
}

/// Pushes `data` in pieces cycling through `sizes`, sending all the
/// output; returns the encoded body.
pub fn encode(mut encoder: ChunkedEncoder, data: &[u8], sizes: &[usize]) -> Vec<u8> {
    let mut out = Vec::new();
    for mut piece in pieces(data, sizes) {
        while !piece.is_empty() {
            let n = encoder.push(piece).unwrap();
            piece = &piece[n..];
            out.extend_from_slice(encoder.output());
            let sent = encoder.output().len();
            encoder.consume(sent);
        }
    }
    encoder.finish().unwrap();
    out.extend_from_slice(encoder.output());
    let sent = encoder.output().len();
    encoder.consume(sent);
    assert!(encoder.is_done());
    out
}

/// Feeds `body` to the decoder in pieces cycling through `sizes`; returns
/// the data, or the refusal.
pub fn decode(
    mut decoder: ChunkedDecoder,
    body: &[u8],
    sizes: &[usize],
) -> Result<Vec<u8>, ChunkedRejection> {
    let mut out = Vec::new();
    for mut piece in pieces(body, sizes) {
        loop {
            let n = decoder.push(piece)?;
            piece = &piece[n..];
            let ready = decoder.decoded();
            out.extend_from_slice(ready);
            let taken = ready.len();
            decoder.consume(taken);
            if piece.is_empty() && taken == 0 {
                break;
            }
        }
    }
    decoder.finish()?;
    Ok(out)
}
