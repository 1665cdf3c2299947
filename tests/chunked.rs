//! `aws-chunked` uploads through the public API: random bodies, chunk sizes
//! and piece boundaries round-trip through the encoder and the verifying
//! decoder; any single changed byte of an encoded body is refused; and each
//! kind of fault gets the rejection and S3 error code it should.
#![cfg(feature = "chunked")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::Read;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use awsig::chunked::{
    ChecksumAlgorithm, ChunkSigning, ChunkedDecoder, ChunkedRejection, ChunkedUpload,
};
use awsig::{Acceptance, Credentials, Payload, Policy, Rejection, Signer, verify_request};
use proptest::prelude::*;

#[path = "support/chunked.rs"]
mod support;

const NOW: u64 = 1_700_000_000;

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(NOW)
}

fn creds() -> Credentials {
    Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY").unwrap()
}

fn policy() -> Policy {
    Policy::new().with_streaming_payload(Acceptance::Accept)
}

fn signing(mode: u8) -> ChunkSigning {
    let algorithm = ChecksumAlgorithm::ALL[usize::from(mode % 5)];
    match mode % 11 {
        0 => ChunkSigning::Signed,
        1..=5 => ChunkSigning::SignedWithTrailer(algorithm),
        _ => ChunkSigning::UnsignedWithTrailer(algorithm),
    }
}

/// Signs an upload of `data` and encodes it, pushing it in pieces whose
/// sizes cycle through `pieces`. Returns the request and the encoded body.
fn upload(
    data: &[u8],
    chunk_size: usize,
    signing: ChunkSigning,
    pieces: &[usize],
) -> (http::Request<()>, Vec<u8>) {
    let signer = Signer::new(creds(), "us-east-1", "s3").unwrap();
    let upload = ChunkedUpload::new(data.len() as u64, signing)
        .unwrap()
        .with_chunk_size(chunk_size)
        .unwrap();
    let mut req = http::Request::put("https://bucket.s3.amazonaws.com/key")
        .body(())
        .unwrap();
    let encoder = signer.sign_chunked(&mut req, &upload, now()).unwrap();
    let out = support::encode(encoder, data, pieces);
    assert_eq!(out.len() as u64, upload.encoded_length());
    assert_eq!(
        req.headers()["content-length"].to_str().unwrap(),
        out.len().to_string()
    );
    (req, out)
}

fn decoder(req: &http::Request<()>) -> ChunkedDecoder {
    verify_request(req, Payload::Declared, &creds(), now(), &policy())
        .unwrap()
        .chunked_decoder()
        .unwrap()
}

/// Feeds `body` to the decoder in pieces cycling through `pieces`.
fn decode(
    decoder: ChunkedDecoder,
    body: &[u8],
    pieces: &[usize],
) -> Result<Vec<u8>, ChunkedRejection> {
    support::decode(decoder, body, pieces)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn round_trips_and_refuses_any_changed_byte(
        len in prop_oneof![0usize..64, 8000usize..70_000],
        seed in any::<u8>(),
        chunk_size in 8192usize..20_000,
        mode in 0u8..11,
        pieces in prop::collection::vec(1usize..30_000, 1..6),
        cuts in prop::collection::vec(1usize..30_000, 1..6),
        at in any::<prop::sample::Index>(),
        flip in 1u8..=255,
    ) {
        let data: Vec<u8> = (0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect();
        let signing = signing(mode);
        let (req, body) = upload(&data, chunk_size, signing, &pieces);
        let decoded = decode(decoder(&req), &body, &cuts).unwrap();
        prop_assert!(decoded == data);

        let i = at.index(body.len());
        let mut tampered = body.clone();
        tampered[i] ^= flip;
        let refused = decode(decoder(&req), &tampered, &cuts);
        prop_assert!(refused.is_err(), "byte {} of {} changed ({:?}) was accepted", i, body.len(), signing);

        // Cut short anywhere: refused too.
        let cut = at.index(body.len());
        prop_assert!(decode(decoder(&req), &body[..cut], &cuts).is_err());
    }
}

/// A signed upload of 20 000 bytes in 8 KiB chunks, and its body.
fn sample(signing: ChunkSigning) -> (http::Request<()>, Vec<u8>, Vec<u8>) {
    let data: Vec<u8> = (0..20_000u32).map(|i| (i % 251) as u8).collect();
    let (req, body) = upload(&data, 8192, signing, &[4096]);
    (req, body, data)
}

fn refusal(req: &http::Request<()>, body: &[u8]) -> ChunkedRejection {
    decode(decoder(req), body, &[997]).unwrap_err()
}

fn replace(body: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let at = body
        .windows(from.len())
        .position(|w| w == from)
        .expect("the text to replace");
    let mut out = body[..at].to_vec();
    out.extend_from_slice(to);
    out.extend_from_slice(&body[at + from.len()..]);
    out
}

#[test]
fn each_fault_has_its_code() {
    let crc = ChunkSigning::SignedWithTrailer(ChecksumAlgorithm::Crc32c);
    let (req, body, _) = sample(crc);
    let header_len = body.iter().position(|&b| b == b'\n').unwrap() + 1;

    // A changed data byte of the second chunk.
    let mut t = body.clone();
    t[header_len + 8192 + 2 + 90] ^= 1;
    let r = refusal(&req, &t);
    assert_eq!(r, ChunkedRejection::ChunkSignatureMismatch { chunk: 2 });
    assert_eq!(
        (r.code(), r.status().as_u16()),
        ("SignatureDoesNotMatch", 403)
    );

    // A changed chunk signature.
    let mut t = body.clone();
    t[header_len - 3] = if t[header_len - 3] == b'0' {
        b'1'
    } else {
        b'0'
    };
    assert_eq!(
        refusal(&req, &t),
        ChunkedRejection::ChunkSignatureMismatch { chunk: 1 }
    );

    // A wrong checksum, signed with the right key: the trailer signature
    // still covers what was sent, so only the checksum is wrong.
    let r = refusal(
        &req,
        &replace(&body, b"x-amz-checksum-crc32c:", b"x-amz-checksum-crc32c:A"),
    );
    assert_eq!(r, ChunkedRejection::TrailerSignatureMismatch);
    let final_sig_at = body
        .windows(20)
        .position(|w| w == b"\r\n0;chunk-signature=")
        .unwrap()
        + 20;
    let final_sig = awsig::Signature::parse(
        std::str::from_utf8(&body[final_sig_at..final_sig_at + 64]).unwrap(),
    )
    .unwrap();
    let date = awsig::AmzDate::from_system_time(now()).unwrap();
    let chunk_signer = Signer::new(creds(), "us-east-1", "s3")
        .unwrap()
        .chunk_signer(&date);
    let wrong = b"x-amz-checksum-crc32c:AAAAAA==\n";
    let trailer_sig = chunk_signer.sign_trailer(&awsig::chunked::TrailerStringToSign::new(
        chunk_signer.scope(),
        &final_sig,
        wrong,
    ));
    let mut t = body[..final_sig_at + 66].to_vec();
    t.extend_from_slice(
        format!("x-amz-checksum-crc32c:AAAAAA==\r\nx-amz-trailer-signature:{trailer_sig}\r\n\r\n")
            .as_bytes(),
    );
    let r = refusal(&req, &t);
    assert!(
        matches!(&r, ChunkedRejection::ChecksumMismatch { header: "x-amz-checksum-crc32c", declared, .. } if declared == "AAAAAA=="),
        "{r}"
    );
    assert_eq!((r.code(), r.status().as_u16()), ("BadDigest", 400));
    // A trailer that is not the declared one.
    let r = refusal(
        &req,
        &replace(&body, b"x-amz-checksum-crc32c:", b"x-amz-checksum-crc32 :"),
    );
    assert_eq!(r.code(), "MalformedTrailerError", "{r}");
    let (req_sha, body_sha, _) =
        sample(ChunkSigning::UnsignedWithTrailer(ChecksumAlgorithm::Sha256));
    let value_at = body_sha
        .windows(22)
        .position(|w| w == b"x-amz-checksum-sha256:")
        .unwrap()
        + 22;
    let mut t = body_sha.clone();
    t[value_at] = if t[value_at] == b'A' { b'B' } else { b'A' };
    let r = refusal(&req_sha, &t);
    assert!(
        matches!(
            r,
            ChunkedRejection::ChecksumMismatch {
                header: "x-amz-checksum-sha256",
                ..
            }
        ),
        "{r}"
    );
    assert_eq!((r.code(), r.status().as_u16()), ("BadDigest", 400));

    // The trailer signature.
    let sig_at = body
        .windows(24)
        .position(|w| w == b"x-amz-trailer-signature:")
        .unwrap()
        + 24;
    let mut t = body.clone();
    t[sig_at] = if t[sig_at] == b'0' { b'1' } else { b'0' };
    assert_eq!(
        refusal(&req, &t),
        ChunkedRejection::TrailerSignatureMismatch
    );

    // No final chunk: the body ends after the last data chunk.
    let final_at = body.windows(3).position(|w| w == b"\r\n0").unwrap() + 2;
    let r = refusal(&req, &body[..final_at]);
    assert!(
        matches!(r, ChunkedRejection::Truncated { chunk: 4, .. }),
        "{r}"
    );
    assert_eq!(r.code(), "IncompleteBody");

    // Bytes after the end.
    let mut t = body.clone();
    t.extend_from_slice(b"x");
    assert!(matches!(
        refusal(&req, &t),
        ChunkedRejection::TrailingBytes { .. }
    ));

    // A malformed chunk header.
    let t = replace(&body, b"2000;chunk-signature=", b"2000;chunk-signatur=");
    let r = refusal(&req, &t);
    assert!(
        matches!(r, ChunkedRejection::MalformedChunk { chunk: 1, .. }),
        "{r}"
    );
    assert_eq!(r.code(), "IncompleteBody");
}

#[test]
fn sizes_and_lengths() {
    let signer = Signer::new(creds(), "us-east-1", "s3").unwrap();
    let date = awsig::AmzDate::from_system_time(now()).unwrap();
    let chunk_signer = signer.chunk_signer(&date);

    // Builds a signed body from chunk sizes of its own choosing.
    let build = |sizes: &[usize], declared: u64| -> (http::Request<()>, Vec<u8>) {
        let mut req = http::Request::put("https://bucket.s3.amazonaws.com/key")
            .header("x-amz-decoded-content-length", declared.to_string())
            .header("content-encoding", "aws-chunked")
            .body(())
            .unwrap();
        let seed = signer
            .sign(&mut req, &awsig::PayloadHash::StreamingSigned, now())
            .unwrap();
        let mut previous = seed;
        let mut body = Vec::new();
        for &size in sizes.iter().chain([&0]) {
            let data = vec![b'z'; size];
            let sts =
                awsig::chunked::ChunkStringToSign::new(chunk_signer.scope(), &previous, &data);
            previous = chunk_signer.sign_chunk(&sts);
            body.extend_from_slice(format!("{size:x};chunk-signature={previous}\r\n").as_bytes());
            body.extend_from_slice(&data);
            if size > 0 {
                body.extend_from_slice(b"\r\n");
            }
        }
        body.extend_from_slice(b"\r\n");
        (req, body)
    };

    let (req, body) = build(&[9000, 100, 9000], 18_100);
    let r = refusal(&req, &body);
    assert_eq!(
        r,
        ChunkedRejection::ChunkTooSmall {
            chunk: 2,
            size: 100,
            min: 8192
        }
    );
    assert_eq!(
        (r.code(), r.status().as_u16()),
        ("InvalidChunkSizeError", 400)
    );

    let (req, body) = build(&[9000, 100], 9100);
    assert_eq!(decode(decoder(&req), &body, &[50]).unwrap().len(), 9100);

    let (req, body) = build(&[9000], 9100);
    let r = refusal(&req, &body);
    assert_eq!(
        r,
        ChunkedRejection::DecodedLengthMismatch {
            declared: 9100,
            decoded: 9000
        }
    );
    assert_eq!(r.code(), "IncompleteBody");
    let (req, body) = build(&[9000, 200], 9100);
    assert_eq!(
        refusal(&req, &body),
        ChunkedRejection::DecodedLengthMismatch {
            declared: 9100,
            decoded: 9200
        }
    );

    let (req, body) = build(&[20_000], 20_000);
    let limited = decoder(&req).with_max_chunk_size(16_384);
    let r = decode(limited, &body, &[100]).unwrap_err();
    assert_eq!(
        r,
        ChunkedRejection::ChunkTooLarge {
            chunk: 1,
            size: 20_000,
            limit: 16_384
        }
    );
    assert_eq!(r.code(), "InvalidChunkSizeError");
}

#[test]
fn headers_that_declare_the_body() {
    let signer = Signer::new(creds(), "us-east-1", "s3").unwrap();
    // Signed through the stages, which take the request as it stands (the
    // signer refuses to sign a streaming marker without these headers, as
    // checked below): what a hand-rolled client would send.
    let verify = |headers: &[(&'static str, &str)], payload: awsig::PayloadHash| {
        let mut req = http::Request::put("https://bucket.s3.amazonaws.com/key")
            .body(())
            .unwrap();
        for (n, v) in headers {
            req.headers_mut().append(*n, v.parse().unwrap());
        }
        let date = awsig::AmzDate::from_system_time(now()).unwrap();
        req.headers_mut()
            .insert("x-amz-date", date.as_str().parse().unwrap());
        req.headers_mut()
            .insert("x-amz-content-sha256", payload.as_str().parse().unwrap());
        let staged = signer.sign(&mut req.clone(), &payload, now());
        let (parts, ()) = req.into_parts();
        let creq =
            awsig::CanonicalRequest::from_parts(&parts, &payload, signer.settings()).unwrap();
        let sts = awsig::StringToSign::new(signer.scope(&date), &creq);
        let signature = signer.signing_key(&date).sign(&sts);
        let auth = format!(
            "AWS4-HMAC-SHA256 Credential={}/{}, SignedHeaders={}, Signature={}",
            creds().access_key_id(),
            signer.scope(&date),
            creq.signed_headers(),
            signature.as_str()
        );
        let mut req = http::Request::from_parts(parts, ());
        req.headers_mut()
            .insert("authorization", auth.parse().unwrap());
        let verified = verify_request(&req, Payload::Declared, &creds(), now(), &policy())
            .map(|v| v.chunked_body().copied());
        // Whatever the signer signs, the verifier accepts: the signer
        // refuses exactly what the verifier refuses here.
        assert_eq!(staged.is_ok(), verified.is_ok(), "{headers:?} {payload:?}");
        verified
    };
    let code = |r: Result<_, Rejection>| r.err().map(|e| (e.code(), e.status().as_u16()));
    use awsig::PayloadHash::{StreamingSigned, StreamingSignedTrailer, StreamingUnsignedTrailer};

    assert_eq!(
        code(verify(&[], StreamingSigned)),
        Some(("MissingContentLength", 411))
    );
    assert_eq!(
        code(verify(
            &[("x-amz-decoded-content-length", "12a")],
            StreamingSigned
        )),
        Some(("InvalidArgument", 400))
    );
    assert_eq!(
        code(verify(
            &[
                ("x-amz-decoded-content-length", "1"),
                ("x-amz-decoded-content-length", "1")
            ],
            StreamingSigned
        )),
        Some(("InvalidArgument", 400))
    );
    let len = ("x-amz-decoded-content-length", "5");
    assert_eq!(
        code(verify(&[len], StreamingSignedTrailer)),
        Some(("InvalidRequest", 400))
    );
    assert_eq!(
        code(verify(
            &[len, ("x-amz-trailer", "x-amz-checksum-md5")],
            StreamingUnsignedTrailer
        )),
        Some(("InvalidRequest", 400))
    );
    assert_eq!(
        code(verify(
            &[len, ("x-amz-trailer", "x-amz-checksum-crc32")],
            StreamingSigned
        )),
        Some(("InvalidRequest", 400))
    );
    let body = verify(
        &[len, ("x-amz-trailer", "X-Amz-Checksum-CRC64NVME")],
        StreamingUnsignedTrailer,
    )
    .unwrap()
    .unwrap();
    assert_eq!(body.decoded_length(), 5);
    assert_eq!(
        body.signing(),
        ChunkSigning::UnsignedWithTrailer(ChecksumAlgorithm::Crc64Nvme)
    );
    // Not a streaming payload: no body to decode.
    assert_eq!(verify(&[], awsig::PayloadHash::Unsigned).unwrap(), None);
}

/// The reader adapter gives the same bytes as the encoder driven by hand,
/// and refuses a source of the wrong length.
#[test]
fn reader_adapter() {
    let data: Vec<u8> = (0..100_000u32).map(|i| (i % 7) as u8).collect();
    let signing = ChunkSigning::SignedWithTrailer(ChecksumAlgorithm::Sha1);
    let (req, body) = upload(&data, 65_536, signing, &[100_000]);
    let signer = Signer::new(creds(), "us-east-1", "s3").unwrap();
    let upload = ChunkedUpload::new(data.len() as u64, signing).unwrap();
    let mut again = http::Request::put("https://bucket.s3.amazonaws.com/key")
        .body(())
        .unwrap();
    let mut read = Vec::new();
    signer
        .sign_chunked(&mut again, &upload, now())
        .unwrap()
        .into_reader(&data[..])
        .read_to_end(&mut read)
        .unwrap();
    assert!(read == body);
    assert_eq!(
        again.headers()["authorization"],
        req.headers()["authorization"]
    );

    let mut short = Vec::new();
    let err = signer
        .sign_chunked(&mut again, &upload, now())
        .unwrap()
        .into_reader(&data[1..])
        .read_to_end(&mut short)
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof);
    let mut long = data.clone();
    long.push(0);
    let err = signer
        .sign_chunked(&mut again, &upload, now())
        .unwrap()
        .into_reader(&long[..])
        .read_to_end(&mut Vec::new())
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
}

#[test]
fn encoder_refuses_the_wrong_length() {
    let signer = Signer::new(creds(), "us-east-1", "s3").unwrap();
    let upload = ChunkedUpload::new(10, ChunkSigning::Signed).unwrap();
    let mut req = http::Request::put("https://b.s3.amazonaws.com/k")
        .body(())
        .unwrap();
    let mut e = signer.sign_chunked(&mut req, &upload, now()).unwrap();
    assert_eq!(
        e.push(&[0; 11]).unwrap_err(),
        awsig::Error::ChunkedLength {
            declared: 10,
            given: 11
        }
    );
    assert_eq!(e.push(&[0; 4]).unwrap(), 4);
    assert_eq!(
        e.finish().unwrap_err(),
        awsig::Error::ChunkedLength {
            declared: 10,
            given: 4
        }
    );
    assert!(
        ChunkedUpload::new(10, ChunkSigning::Signed)
            .unwrap()
            .with_chunk_size(8191)
            .is_err()
    );
}

/// Every byte of the framing (and every 97th byte of data) of a two-chunk
/// body, changed in three ways (low bit, ASCII case bit, high bit), in
/// every signing mode: each is refused.
#[test]
fn every_changed_byte_is_refused() {
    let data: Vec<u8> = (0..8300u32).map(|i| (i % 253) as u8).collect();
    for mode in 0..11 {
        let signing = signing(mode);
        let (req, body) = upload(&data, 8192, signing, &[8300]);
        let first_data = body.iter().position(|&b| b == b'\n').unwrap() + 1;
        let second_data = first_data
            + 8192
            + 2
            + body[first_data + 8194..]
                .iter()
                .position(|&b| b == b'\n')
                .unwrap()
            + 1;
        let is_data = |i: usize| {
            (first_data..first_data + 8192).contains(&i)
                || (second_data..second_data + 108).contains(&i)
        };
        for i in (0..body.len()).filter(|&i| !is_data(i) || i % 97 == 0) {
            for flip in [0x01, 0x20, 0x80] {
                let mut tampered = body.clone();
                tampered[i] ^= flip;
                assert!(
                    decode(decoder(&req), &tampered, &[4096]).is_err(),
                    "{signing:?}: byte {i} ({:?}) ^ {flip:#x} accepted",
                    char::from(body[i])
                );
            }
        }
    }
}

/// The fuzz seeds of `chunked_decoder` are bodies framed and signed by
/// `fuzz/seeds.py` in Python (hmac, hashlib, zlib), an implementation of
/// the AWS pages that shares no code with awsig: each decodes.
#[test]
fn bodies_built_in_python_decode() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/chunked_decoder");
    let creds = Credentials::new(
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    )
    .unwrap();
    let signer = Signer::new(creds, "us-east-1", "s3").unwrap();
    let chunk_signer = signer.chunk_signer(&awsig::AmzDate::parse("20130524T000000Z").unwrap());
    let seed =
        awsig::Signature::parse("4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9")
            .unwrap();
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if !path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("seed-")
        {
            continue;
        }
        let input = std::fs::read(&path).unwrap();
        let (control, body) = input.split_at(8);
        let declared = u64::from(u32::from_le_bytes([
            control[1], control[2], control[3], control[4],
        ]));
        let chunked = awsig::chunked::ChunkedBody::new(declared, signing(control[0])).unwrap();
        let decoder = ChunkedDecoder::new(&chunked, chunk_signer.clone(), seed);
        let data =
            decode(decoder, body, &[333]).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let expected: Vec<u8> = (0..declared).map(|i| (i * 31 % 251) as u8).collect();
        assert!(data == expected, "{}", path.display());
        seen += 1;
    }
    assert_eq!(seen, 20, "seeds in {}", dir.display());
}
