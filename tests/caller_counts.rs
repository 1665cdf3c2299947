//! Every method of the streaming encoders, decoders and length functions
//! that takes a count or a size from the caller, called with the extreme
//! values 0, 1, the length at hand, one more, and `usize::MAX`: none
//! panics (the crate promises no panic on any input), and no byte is
//! duplicated or lost on the way.
//!
//! The counts: `ChunkedEncoder::consume` and `commit`, `ChunkedDecoder::consume`
//! and `with_max_chunk_size`, `ChunkedUpload::with_chunk_size`, the free
//! `chunked::encoded_length`, and `event_stream::encoded_len`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

/// The extreme counts for something `len` long.
#[cfg(any(feature = "chunked", feature = "event-stream"))]
fn extremes(len: usize) -> [usize; 5] {
    [0, 1, len, len.saturating_add(1), usize::MAX]
}

#[cfg(feature = "chunked")]
mod chunked {
    use std::io::Read;
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    use awsig::chunked::{
        ChecksumAlgorithm, ChunkSigning, ChunkedBody, ChunkedDecoder, ChunkedEncoder,
        ChunkedUpload, MAX_DECODED_LENGTH, MIN_CHUNK_SIZE, encoded_length,
    };
    use awsig::{Acceptance, AmzDate, Credentials, Payload, Policy, Signer, verify_request};
    use proptest::prelude::*;

    use super::extremes;

    fn now() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_700_000_000)
    }

    fn signer() -> Signer {
        let creds =
            Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY").unwrap();
        Signer::new(creds, "us-east-1", "s3").unwrap()
    }

    fn signing(mode: u8) -> ChunkSigning {
        match mode % 3 {
            0 => ChunkSigning::Signed,
            1 => ChunkSigning::SignedWithTrailer(ChecksumAlgorithm::Crc32c),
            _ => ChunkSigning::UnsignedWithTrailer(ChecksumAlgorithm::Sha256),
        }
    }

    /// A signed request for `upload`, its encoder, and the body the
    /// encoder gives when driven the plain way (through its reader).
    fn start(upload: &ChunkedUpload, data: &[u8]) -> (http::Request<()>, ChunkedEncoder, Vec<u8>) {
        let signer = signer();
        let mut req = http::Request::put("https://bucket.s3.amazonaws.com/key")
            .body(())
            .unwrap();
        let plain = signer.sign_chunked(&mut req, upload, now()).unwrap();
        let mut reference = Vec::new();
        plain.into_reader(data).read_to_end(&mut reference).unwrap();
        let mut again = http::Request::put("https://bucket.s3.amazonaws.com/key")
            .body(())
            .unwrap();
        let encoder = signer.sign_chunked(&mut again, upload, now()).unwrap();
        assert_eq!(req.headers(), again.headers());
        (req, encoder, reference)
    }

    /// Takes `n` bytes of the output as sent (`consume(n)`), checking that
    /// exactly the first `min(n, len)` bytes leave and the rest stays where
    /// it was.
    fn send(encoder: &mut ChunkedEncoder, n: usize, sent: &mut Vec<u8>) {
        let (start, len) = (encoder.output().as_ptr(), encoder.output().len());
        let k = n.min(len);
        sent.extend_from_slice(&encoder.output()[..k]);
        encoder.consume(n);
        let rest = encoder.output();
        assert_eq!(rest.len(), len - k, "consume({n}) of {len} bytes of output");
        assert!(
            rest.is_empty() || rest.as_ptr() == start.wrapping_add(k),
            "consume({n}) of {len} bytes of output"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(40))]

        /// The encoder driven with every extreme count, by `push` and by
        /// `buffer_mut` + `commit`, sends exactly the body it sends when
        /// driven the plain way.
        #[test]
        fn encoder_counts(
            len in prop_oneof![0usize..40, 8000usize..40_000],
            chunk in prop_oneof![Just(MIN_CHUNK_SIZE), 8192usize..20_000, Just(usize::MAX)],
            mode in 0u8..3,
            picks in prop::collection::vec(0usize..5, 1..12),
            by_commit in any::<bool>(),
        ) {
            let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            let upload = ChunkedUpload::new(len as u64, signing(mode))
                .unwrap()
                .with_chunk_size(chunk)
                .unwrap();
            let (_, mut encoder, reference) = start(&upload, &data);
            let mut picks = picks.iter().cycle();
            let mut pos = 0;
            let mut sent = Vec::new();
            let mut steps = 0;
            while !encoder.is_done() {
                steps += 1;
                prop_assert!(steps < 100_000, "no progress");
                let pick = *picks.next().unwrap();
                if !encoder.output().is_empty() {
                    // A pick of 0 would stall forever: 0 and then the rest.
                    let n = extremes(encoder.output().len())[pick];
                    send(&mut encoder, n, &mut sent);
                    if n == 0 {
                        let rest = encoder.output().len();
                        send(&mut encoder, rest, &mut sent);
                    }
                    continue;
                }
                if pos == data.len() {
                    encoder.finish().unwrap();
                    continue;
                }
                if by_commit {
                    let offered = encoder.buffer_mut().len();
                    prop_assert!(offered > 0 && offered <= data.len() - pos);
                    // More than offered: refused, nothing taken.
                    for n in [offered + 1, usize::MAX] {
                        let before = encoder.remaining();
                        prop_assert!(encoder.commit(n).is_err(), "commit({}) of {} offered", n, offered);
                        prop_assert_eq!(encoder.remaining(), before);
                    }
                    // 0 takes nothing: then all of it.
                    let n = match extremes(offered)[pick] {
                        n if n == 0 || n > offered => offered,
                        n => n,
                    };
                    prop_assert!(encoder.commit(0).is_ok());
                    encoder.buffer_mut()[..n].copy_from_slice(&data[pos..pos + n]);
                    let before = encoder.remaining();
                    prop_assert!(encoder.commit(n).is_ok(), "commit({}) of {} offered", n, offered);
                    prop_assert_eq!(encoder.remaining(), before - n as u64);
                    pos += n;
                } else {
                    let piece = extremes(data.len() - pos)[pick].clamp(1, data.len() - pos);
                    let n = encoder.push(&data[pos..pos + piece]).unwrap();
                    prop_assert!(n > 0);
                    pos += n;
                }
            }
            // Done: every count is a no-op.
            for n in extremes(0) {
                encoder.consume(n);
                prop_assert!(encoder.commit(n).is_ok() == (n == 0));
            }
            prop_assert!(encoder.output().is_empty());
            prop_assert!(sent == reference, "{} bytes sent, {} expected", sent.len(), reference.len());
            prop_assert_eq!(sent.len() as u64, upload.encoded_length());
        }

        /// The decoder's `consume` with every extreme count hands out every
        /// byte of data once, in order.
        #[test]
        fn decoder_counts(
            len in prop_oneof![0usize..40, 8000usize..40_000],
            mode in 0u8..3,
            picks in prop::collection::vec(0usize..5, 1..12),
            piece in prop_oneof![Just(1usize), 1usize..5000, Just(usize::MAX)],
            limit in 0usize..5,
        ) {
            let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            let upload = ChunkedUpload::new(len as u64, signing(mode))
                .unwrap()
                .with_chunk_size(MIN_CHUNK_SIZE)
                .unwrap();
            let (req, _, body) = start(&upload, &data);
            let policy = Policy::new().with_streaming_payload(Acceptance::Accept);
            let verified = verify_request(&req, Payload::Declared, &signer_creds(), now(), &policy).unwrap();
            let mut decoder = verified
                .chunked_decoder()
                .unwrap()
                .with_max_chunk_size(extremes(MIN_CHUNK_SIZE)[limit].max(MIN_CHUNK_SIZE));
            let mut picks = picks.iter().cycle();
            let mut rest = &body[..];
            let mut got = Vec::new();
            let mut steps = 0;
            loop {
                steps += 1;
                prop_assert!(steps < 100_000, "no progress");
                let (start, len) = (decoder.decoded().as_ptr(), decoder.decoded().len());
                if len > 0 {
                    let n = extremes(len)[*picks.next().unwrap()];
                    let k = n.min(len);
                    got.extend_from_slice(&decoder.decoded()[..k]);
                    decoder.consume(n);
                    let rest = decoder.decoded();
                    prop_assert_eq!(rest.len(), len - k, "consume({}) of {}", n, len);
                    prop_assert!(rest.is_empty() || rest.as_ptr() == start.wrapping_add(k));
                    if n == 0 {
                        got.extend_from_slice(decoder.decoded());
                        decoder.consume(len);
                    }
                    continue;
                }
                if rest.is_empty() {
                    break;
                }
                let n = decoder.push(&rest[..piece.min(rest.len())]).unwrap();
                rest = &rest[n..];
            }
            decoder.finish().unwrap();
            for n in extremes(0) {
                decoder.consume(n);
            }
            prop_assert!(decoder.decoded().is_empty());
            prop_assert!(got == data, "{} bytes decoded, {} expected", got.len(), data.len());
        }
    }

    fn signer_creds() -> Credentials {
        Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY").unwrap()
    }

    /// The lengths of the extreme chunk sizes and decoded lengths: no
    /// panic, never shorter than the data, and the upload's own length
    /// where the size is one an upload can have.
    #[test]
    fn length_of_extreme_sizes() {
        for decoded in [0, 1, 8192, MAX_DECODED_LENGTH - 1, MAX_DECODED_LENGTH] {
            for signing in [0, 1, 2].map(signing) {
                let body = ChunkedBody::new(decoded, signing).unwrap();
                for size in extremes(MIN_CHUNK_SIZE)
                    .into_iter()
                    .chain(extremes(usize::try_from(decoded).unwrap_or(usize::MAX)))
                {
                    let length = encoded_length(&body, size);
                    assert!(length >= decoded, "{decoded} in chunks of {size}: {length}");
                    match ChunkedUpload::new(decoded, signing)
                        .unwrap()
                        .with_chunk_size(size)
                    {
                        Ok(upload) => {
                            assert!(size >= MIN_CHUNK_SIZE);
                            assert_eq!(upload.encoded_length(), length);
                        }
                        Err(e) => {
                            assert!(size < MIN_CHUNK_SIZE, "{size}: {e}");
                        }
                    }
                }
            }
        }
    }

    /// A decoder told to take chunks of any size, reading a header that
    /// announces the largest chunk a body can declare: refused later or
    /// waiting for data, never a panic or an abort on the allocation.
    #[test]
    fn decoder_with_no_chunk_limit_and_a_huge_chunk() {
        let signer = signer();
        let date = AmzDate::from_system_time(now()).unwrap();
        let seed = awsig::Signature::parse(&"0".repeat(64)).unwrap();
        for limit in extremes(MIN_CHUNK_SIZE) {
            let body = ChunkedBody::new(MAX_DECODED_LENGTH, ChunkSigning::Signed).unwrap();
            let mut decoder = ChunkedDecoder::new(&body, signer.chunk_signer(&date), seed)
                .with_max_chunk_size(limit);
            let head = format!(
                "{MAX_DECODED_LENGTH:x};chunk-signature={}\r\n",
                "0".repeat(64)
            );
            match decoder.push(head.as_bytes()) {
                Ok(n) => {
                    assert_eq!(n, head.len(), "limit {limit}");
                    assert_eq!(decoder.push(b"some data").unwrap(), 9);
                    assert!(decoder.decoded().is_empty());
                    assert!(decoder.finish().is_err());
                }
                Err(e) => assert!(limit < usize::MAX, "limit {limit}: {e}"),
            }
        }
    }
}

#[cfg(feature = "event-stream")]
mod event_stream {
    use awsig::event_stream::{
        FrameError, Header, HeaderValue, MAX_MESSAGE_LEN, MIN_MESSAGE_LEN, encode, encoded_len,
    };

    use super::extremes;

    /// `encoded_len` for every extreme payload length: the length of the
    /// message `encode` writes, or `MessageLength` past the limit.
    #[test]
    fn encoded_len_of_extreme_payloads() {
        let headers = [Header::new(":event-type", HeaderValue::String("Records"))];
        let fits = MAX_MESSAGE_LEN - MIN_MESSAGE_LEN - 1 - 11 - 1 - 2 - 7;
        for payload in extremes(fits).into_iter().chain(extremes(MAX_MESSAGE_LEN)) {
            match encoded_len(&headers, payload) {
                Ok(len) => {
                    assert!(payload <= fits, "{payload}");
                    let mut out = Vec::new();
                    let written = encode(&headers, &vec![0; payload], &mut out).unwrap();
                    assert_eq!((written, out.len()), (len, len), "{payload}");
                }
                Err(FrameError::MessageLength { len }) => {
                    assert!(payload > fits && len > MAX_MESSAGE_LEN, "{payload}: {len}");
                }
                Err(e) => panic!("{payload}: {e}"),
            }
        }
    }
}
