//! The two `aws-chunked` examples of the AWS S3 documentation, stage by
//! stage: seed signature, every chunk signature, the trailer signature, the
//! framed bytes and the content length.
//!
//! - "Signature Calculations for the Authorization Header: Transferring
//!   Payload in Multiple Chunks" (sigv4-streaming.html);
//! - "Signature Calculations for the Authorization Header: Including
//!   Trailing Headers" (sigv4-streaming-trailers.html).
//!
//! Both PUT 66560 bytes of `a` to `/examplebucket/chunkObject.txt` on
//! `s3.amazonaws.com` at 20130524T000000Z, in 64 KiB chunks.
#![cfg(feature = "chunked")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::time::{Duration, UNIX_EPOCH};

use awsig::chunked::{
    ChecksumAlgorithm, ChunkSigning, ChunkStringToSign, ChunkedEncoder, ChunkedUpload,
    TrailerStringToSign,
};
use awsig::{
    Acceptance, AmzDate, Credentials, Payload, PayloadHash, Policy, SignableRequest, Signature,
    Signer, verify_request,
};

#[path = "support/chunked.rs"]
mod support;

const ACCESS_KEY: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
/// 2013-05-24T00:00:00Z.
const NOW: u64 = 1_369_353_600;
const DECODED: usize = 66_560;

fn signer() -> Signer {
    Signer::new(
        Credentials::new(ACCESS_KEY, SECRET).unwrap(),
        "us-east-1",
        "s3",
    )
    .unwrap()
}

fn request() -> http::Request<()> {
    http::Request::put("https://s3.amazonaws.com/examplebucket/chunkObject.txt")
        .header("x-amz-storage-class", "REDUCED_REDUNDANCY")
        .body(())
        .unwrap()
}

fn sig(hex: &str) -> Signature {
    Signature::parse(hex).unwrap()
}

/// The body the documentation shows: each chunk with its signature.
fn framed(signatures: [&str; 3], trailer: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(format!("10000;chunk-signature={}\r\n", signatures[0]).as_bytes());
    body.extend_from_slice(&[b'a'; 65_536]);
    body.extend_from_slice(format!("\r\n400;chunk-signature={}\r\n", signatures[1]).as_bytes());
    body.extend_from_slice(&[b'a'; 1024]);
    body.extend_from_slice(format!("\r\n0;chunk-signature={}\r\n", signatures[2]).as_bytes());
    body.extend_from_slice(trailer);
    body.extend_from_slice(b"\r\n");
    body
}

/// Runs the encoder over the data in pieces of `piece` bytes.
fn encode(encoder: ChunkedEncoder, data: &[u8], piece: usize) -> Vec<u8> {
    support::encode(encoder, data, &[piece])
}

const SEED: &str = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
const SIGNATURES: [&str; 3] = [
    "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
    "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
    "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
];

#[test]
fn signed_chunks_example() {
    let signer = signer();
    let now = UNIX_EPOCH + Duration::from_secs(NOW);
    let upload = ChunkedUpload::new(DECODED as u64, ChunkSigning::Signed).unwrap();
    assert_eq!(upload.encoded_length(), 66_824);
    let mut req = request();
    let encoder = signer.sign_chunked(&mut req, &upload, now).unwrap();

    let h = req.headers();
    assert_eq!(h["content-encoding"], "aws-chunked");
    assert_eq!(h["content-length"], "66824");
    assert_eq!(h["x-amz-decoded-content-length"], "66560");
    assert_eq!(
        h["x-amz-content-sha256"],
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
    );
    assert!(h.get("x-amz-trailer").is_none());
    assert_eq!(
        h["authorization"],
        format!(
            "AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/20130524/us-east-1/s3/aws4_request, \
             SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;\
             x-amz-decoded-content-length;x-amz-storage-class, Signature={SEED}"
        )
    );

    // Each chunk's string to sign, and its signature, from the stages.
    let date = AmzDate::parse("20130524T000000Z").unwrap();
    let chunk_signer = signer.chunk_signer(&date);
    let mut previous = sig(SEED);
    for (data, expected) in [
        (&[b'a'; 65_536][..], SIGNATURES[0]),
        (&[b'a'; 1024][..], SIGNATURES[1]),
        (&[][..], SIGNATURES[2]),
    ] {
        let sts = ChunkStringToSign::new(chunk_signer.scope(), &previous, data);
        assert!(sts.to_string().starts_with(
            "AWS4-HMAC-SHA256-PAYLOAD\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
        ));
        previous = chunk_signer.sign_chunk(&sts);
        assert_eq!(previous.as_str(), expected);
    }

    let data = vec![b'a'; DECODED];
    let expected = framed(SIGNATURES, b"");
    assert_eq!(expected.len(), 66_824);
    for piece in [1, 1000, 8192, 65_536, 65_537, DECODED] {
        let encoder = signer.sign_chunked(&mut request(), &upload, now).unwrap();
        let got = encode(encoder, &data, piece);
        let at = got.iter().zip(&expected).position(|(a, b)| a != b);
        assert!(
            got == expected,
            "pieces of {piece}: lengths {} {}, first difference at {at:?}: {:?}",
            got.len(),
            expected.len(),
            at.map(|i| String::from_utf8_lossy(
                &got[i.saturating_sub(20)..(i + 60).min(got.len())]
            )
            .into_owned())
        );
    }
    assert!(encode(encoder, &data, 4096) == expected);

    // The server side: the headers verify, the body decodes.
    let policy = Policy::new().with_streaming_payload(Acceptance::Accept);
    let creds = Credentials::new(ACCESS_KEY, SECRET).unwrap();
    let verified = verify_request(&req, Payload::Declared, &creds, now, &policy).unwrap();
    assert_eq!(verified.signature().as_str(), SEED);
    let mut decoder = verified.chunked_decoder().unwrap();
    let mut decoded = Vec::new();
    decoder.decode_into(&expected, &mut decoded).unwrap();
    assert!(decoded == data);
}

const TRAILER_SEED: &str = "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e";
const TRAILER_SIGNATURES: [&str; 3] = [
    "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
    "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
    "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
];
const TRAILER_SIGNATURE: &str = "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435";

/// The trailer example signs no `content-length` (its signed headers are
/// content-encoding, host, x-amz-content-sha256, x-amz-date,
/// x-amz-decoded-content-length, x-amz-storage-class and x-amz-trailer),
/// so the request is signed as the page shows and the encoder built from
/// its seed signature.
///
/// The page's `Content-Length: 66824` is the first example's: the body it
/// shows, with its trailer, is 66946 bytes, which is what is checked here.
#[test]
fn signed_trailer_example() {
    let signer = signer();
    let now = UNIX_EPOCH + Duration::from_secs(NOW);
    let mut req = request();
    for (name, value) in [
        ("content-encoding", "aws-chunked"),
        ("x-amz-decoded-content-length", "66560"),
        ("x-amz-trailer", "x-amz-checksum-crc32c"),
    ] {
        req.headers_mut().insert(name, value.parse().unwrap());
    }
    let payload = PayloadHash::StreamingSignedTrailer;
    let creq = signer
        .canonical_request(&SignableRequest::from_request(&req).unwrap(), &payload, now)
        .unwrap();
    assert_eq!(
        creq.to_string(),
        "PUT\n/examplebucket/chunkObject.txt\n\n\
         content-encoding:aws-chunked\nhost:s3.amazonaws.com\n\
         x-amz-content-sha256:STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER\n\
         x-amz-date:20130524T000000Z\nx-amz-decoded-content-length:66560\n\
         x-amz-storage-class:REDUCED_REDUNDANCY\nx-amz-trailer:x-amz-checksum-crc32c\n\n\
         content-encoding;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;\
         x-amz-storage-class;x-amz-trailer\nSTREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
    );
    assert_eq!(
        hex::encode(creq.digest()),
        "44d48b8c2f70eae815a0198cc73d7a546a73a93359c070abbaa5e6c7de112559"
    );
    let seed = signer.sign(&mut req, &payload, now).unwrap();
    assert_eq!(seed.as_str(), TRAILER_SEED);

    let date = AmzDate::parse("20130524T000000Z").unwrap();
    let chunk_signer = signer.chunk_signer(&date);
    let first = ChunkStringToSign::new(chunk_signer.scope(), &seed, &[b'a'; 65_536]);
    assert_eq!(
        first.to_string(),
        format!(
            "AWS4-HMAC-SHA256-PAYLOAD\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n\
             {TRAILER_SEED}\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n\
             bf718b6f653bebc184e1479f1935b8da974d701b893afcf49e701f3e2f9f9c5a"
        )
    );
    assert_eq!(
        chunk_signer.sign_chunk(&first).as_str(),
        TRAILER_SIGNATURES[0]
    );
    let trailer = TrailerStringToSign::new(
        chunk_signer.scope(),
        &sig(TRAILER_SIGNATURES[2]),
        b"x-amz-checksum-crc32c:sOO8/Q==\n",
    );
    assert_eq!(
        trailer.trailer_hash(),
        "1e376db7e1a34a8ef1c4bcee131a2d60a1cb62503747488624e10995f448d774"
    );
    assert_eq!(
        chunk_signer.sign_trailer(&trailer).as_str(),
        TRAILER_SIGNATURE
    );

    let upload = ChunkedUpload::new(
        DECODED as u64,
        ChunkSigning::SignedWithTrailer(ChecksumAlgorithm::Crc32c),
    )
    .unwrap();
    let trailer_lines = format!(
        "x-amz-checksum-crc32c:sOO8/Q==\r\nx-amz-trailer-signature:{TRAILER_SIGNATURE}\r\n"
    );
    let expected = framed(TRAILER_SIGNATURES, trailer_lines.as_bytes());
    assert_eq!(expected.len(), 66_946);
    assert_eq!(upload.encoded_length(), 66_946);
    let data = vec![b'a'; DECODED];
    for piece in [7, 65_536, DECODED] {
        let encoder = ChunkedEncoder::new(&upload, signer.chunk_signer(&date), seed);
        let got = encode(encoder, &data, piece);
        let at = got.iter().zip(&expected).position(|(a, b)| a != b);
        assert!(
            got == expected,
            "pieces of {piece}: lengths {} {}, first difference at {at:?}: {:?}",
            got.len(),
            expected.len(),
            at.map(|i| String::from_utf8_lossy(
                &got[i.saturating_sub(20)..(i + 60).min(got.len())]
            )
            .into_owned())
        );
    }

    let policy = Policy::new().with_streaming_payload(Acceptance::Accept);
    let creds = Credentials::new(ACCESS_KEY, SECRET).unwrap();
    let verified = verify_request(&req, Payload::Declared, &creds, now, &policy).unwrap();
    let mut decoder = verified.chunked_decoder().unwrap();
    let mut decoded = Vec::new();
    decoder.decode_into(&expected, &mut decoded).unwrap();
    assert!(decoded == data);
    assert_eq!(decoder.checksum().unwrap().as_str(), "sOO8/Q==");
}
