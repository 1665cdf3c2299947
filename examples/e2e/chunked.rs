//! `aws-chunked` uploads built by `awsig::chunked`, sent by a real HTTP
//! client (ureq, streaming the body from the encoder) and read back byte for
//! byte: signed chunks, a signed trailer with CRC32C, an unsigned trailer
//! with CRC64/NVME. Each has tampered twins that the server must refuse
//! without storing anything; awsig's own decoder checks the same bodies, so
//! the two verifiers are seen to agree.

use std::io::{Cursor, Read};

use awsig::chunked::{ChecksumAlgorithm, ChunkSigning, ChunkedUpload, TrailerStringToSign};
use awsig::{Acceptance, AmzDate, Payload, Policy, Signature, Signer, verify_request};
use http::{Method, Request};

use super::{Client, Reply, Report, expect_body, expect_error};

/// What a tampered twin changes after signing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tamper {
    /// One byte of the second chunk's data.
    DataByte,
    /// One digit of the first chunk's signature.
    ChunkSignature,
    /// The checksum in the trailer; with a signed trailer, its signature is
    /// recomputed so that only the checksum is wrong.
    Checksum,
}

/// The three kinds of upload, with the twins each gets.
const KINDS: [(&str, ChunkSigning, &[Tamper]); 3] = [
    (
        "signed chunks",
        ChunkSigning::Signed,
        &[Tamper::DataByte, Tamper::ChunkSignature],
    ),
    (
        "signed chunks, signed trailer with CRC32C",
        ChunkSigning::SignedWithTrailer(ChecksumAlgorithm::Crc32c),
        &[Tamper::DataByte, Tamper::ChunkSignature, Tamper::Checksum],
    ),
    (
        "unsigned chunks, trailer with CRC64/NVME",
        ChunkSigning::UnsignedWithTrailer(ChecksumAlgorithm::Crc64Nvme),
        &[Tamper::DataByte, Tamper::Checksum],
    ),
];

/// 200 000 bytes: three full 64 KiB chunks and a short one.
fn data() -> Vec<u8> {
    (0..200_000u32)
        .map(|i| (i.wrapping_mul(7) % 251) as u8)
        .collect()
}

/// Signs an upload of `data` to `url` and streams it with ureq.
fn put_streaming(
    client: &Client,
    signer: &Signer,
    url: &str,
    data: &[u8],
    signing: ChunkSigning,
) -> Result<Reply, String> {
    let upload = ChunkedUpload::new(data.len() as u64, signing).map_err(|e| e.to_string())?;
    let mut req = Request::put(url).body(()).map_err(|e| e.to_string())?;
    let encoder = signer
        .sign_chunked(&mut req, &upload, super::now())
        .map_err(|e| format!("signing failed: {e}"))?;
    let (parts, ()) = req.into_parts();
    let body = ureq::SendBody::from_owned_reader(encoder.into_reader(Cursor::new(data.to_vec())));
    client.send(Request::from_parts(parts, body))
}

/// Signs an upload of `data` to `url` and encodes it in memory.
fn encoded(
    signer: &Signer,
    url: &str,
    data: &[u8],
    signing: ChunkSigning,
) -> Result<(Request<()>, Vec<u8>), String> {
    let upload = ChunkedUpload::new(data.len() as u64, signing).map_err(|e| e.to_string())?;
    let mut req = Request::put(url).body(()).map_err(|e| e.to_string())?;
    let encoder = signer
        .sign_chunked(&mut req, &upload, super::now())
        .map_err(|e| format!("signing failed: {e}"))?;
    let mut body = Vec::new();
    encoder
        .into_reader(data)
        .read_to_end(&mut body)
        .map_err(|e| format!("encoding failed: {e}"))?;
    Ok((req, body))
}

fn find(body: &[u8], text: &[u8]) -> Result<usize, String> {
    body.windows(text.len())
        .position(|w| w == text)
        .ok_or_else(|| format!("{:?} is not in the body", String::from_utf8_lossy(text)))
}

/// Changes the encoded body as `tamper` says.
fn tamper(
    signer: &Signer,
    req: &Request<()>,
    body: &[u8],
    how: Tamper,
    signing: ChunkSigning,
) -> Result<Vec<u8>, String> {
    let mut t = body.to_vec();
    let first_line = find(body, b"\r\n")? + 2;
    match how {
        Tamper::DataByte => {
            let second = first_line + 64 * 1024 + 2;
            let second_line = second + find(&body[second..], b"\r\n")? + 2;
            t[second_line + 1000] ^= 0x01;
        }
        Tamper::ChunkSignature => {
            let at = first_line - 3;
            t[at] = if t[at] == b'0' { b'1' } else { b'0' };
        }
        Tamper::Checksum => {
            let Some(algorithm) = signing.trailer() else {
                return Err("no trailer to tamper with".into());
            };
            let name = algorithm.header_name();
            let value_at = find(body, name.as_bytes())? + name.len() + 1;
            let value_end = value_at + algorithm.base64_len();
            // Another checksum of the same length: the first digit changed.
            t[value_at] = if t[value_at] == b'A' { b'B' } else { b'A' };
            if signing.signs_chunks() {
                let final_at = find(body, b"\r\n0;chunk-signature=")? + 20;
                let final_sig = std::str::from_utf8(&body[final_at..final_at + 64])
                    .ok()
                    .and_then(Signature::parse)
                    .ok_or("the final chunk has no signature")?;
                let date = req.headers()["x-amz-date"]
                    .to_str()
                    .map_err(|e| e.to_string())?;
                let date = AmzDate::parse(date).map_err(|e| e.to_string())?;
                let chunk_signer = signer.chunk_signer(&date);
                let canonical = [name.as_bytes(), b":", &t[value_at..value_end], b"\n"].concat();
                let sts = TrailerStringToSign::new(chunk_signer.scope(), &final_sig, &canonical);
                let trailer_sig = chunk_signer.sign_trailer(&sts);
                let sig_at = find(body, b"x-amz-trailer-signature:")? + 24;
                t[sig_at..sig_at + 64].copy_from_slice(trailer_sig.as_str().as_bytes());
            }
        }
    }
    Ok(t)
}

/// What awsig's decoder makes of a body: `Ok` with the data, or the code.
fn awsig_decode(signer: &Signer, req: &Request<()>, body: &[u8]) -> Result<Vec<u8>, String> {
    let policy = Policy::new().with_streaming_payload(Acceptance::Accept);
    let verified = verify_request(
        req,
        Payload::Declared,
        signer.credentials(),
        super::now(),
        &policy,
    )
    .map_err(|e| e.code().to_owned())?;
    let mut decoder = verified.chunked_decoder().ok_or("not a streaming upload")?;
    let mut out = Vec::new();
    decoder
        .decode_into(body, &mut out)
        .map_err(|e| e.code().to_owned())?;
    Ok(out)
}

/// The code awsig's decoder refuses a tampered body with: a wrong chunk
/// signature when chunks are signed, else a wrong checksum.
fn expected_code(how: Tamper, signing: ChunkSigning) -> &'static str {
    match how {
        Tamper::DataByte | Tamper::ChunkSignature if signing.signs_chunks() => {
            "SignatureDoesNotMatch"
        }
        _ => "BadDigest",
    }
}

/// The aws-chunked cases against s3s-fs.
pub(crate) fn run_s3(report: &mut Report, s3: &super::S3) {
    let data = data();
    for (kind, signing, twins) in KINDS {
        let case = |report: &mut Report, name: &str, result: Result<(), String>| {
            report.case(&format!("S3 (s3s-fs): aws-chunked, {kind}: {name}"), result);
        };
        let key = format!(
            "chunked/{}.bin",
            signing.payload_hash().as_str().to_lowercase()
        );
        case(report, "streamed by ureq, read back byte for byte", {
            put_streaming(&s3.client, &s3.signer, &s3.url(&key, ""), &data, signing)
                .and_then(|r| super::expect_success(&r))
                .and_then(|()| s3.get(&key))
                .and_then(|r| expect_body(&r, &data))
        });
        let twin_key = format!(
            "chunked/twin-{}.bin",
            signing.payload_hash().as_str().to_lowercase()
        );
        let signed = encoded(&s3.signer, &s3.url(&twin_key, ""), &data, signing);
        case(report, "awsig's decoder accepts the same body", {
            signed
                .as_ref()
                .map_err(Clone::clone)
                .and_then(|(req, body)| {
                    let out = awsig_decode(&s3.signer, req, body)?;
                    if out == data {
                        Ok(())
                    } else {
                        Err("decoded data differs".into())
                    }
                })
        });
        for &how in twins {
            case(
                report,
                &format!("{how:?} changed after signing is rejected"),
                {
                    signed
                        .as_ref()
                        .map_err(Clone::clone)
                        .and_then(|(req, body)| {
                            let t = tamper(&s3.signer, req, body, how, signing)?;
                            let code = expected_code(how, signing);
                            match awsig_decode(&s3.signer, req, &t) {
                                Err(c) if c == code => {}
                                other => return Err(format!("awsig's decoder: {other:?}")),
                            }
                            let reply = s3.client.send(req.clone().map(|()| t))?;
                            if code == "BadDigest" {
                                // s3s-fs checks the checksum once the body is
                                // written, and answers as S3 does (it leaves the
                                // file it wrote, so that is not checked here).
                                expect_error(&reply, 400, "BadDigest")
                            } else {
                                super::expect_upload_refused(s3, &reply, &twin_key)
                            }
                        })
                },
            );
        }
    }
}

/// The aws-chunked uploads against moto's S3, which decodes the chunks and
/// the trailer and checks the seed signature.
pub(crate) fn run_moto(
    report: &mut Report,
    moto: &super::Moto,
    signer: &Signer,
    wrong: &Signer,
    bucket: &str,
) {
    let data = data();
    for (kind, signing, _) in KINDS {
        let key = format!(
            "{bucket}/chunked-{}",
            signing.payload_hash().as_str().to_lowercase()
        );
        report.case(
            &format!("moto S3: aws-chunked, {kind}: streamed, read back"),
            {
                put_streaming(&moto.client, signer, &key, &data, signing)
                    .and_then(|r| super::expect_success(&r))
                    .and_then(|()| {
                        let mut get = super::request(Method::GET, &key, Vec::new());
                        signer
                            .sign(&mut get, &awsig::PayloadHash::empty(), super::now())
                            .map_err(|e| e.to_string())?;
                        moto.client.send(get)
                    })
                    .and_then(|r| expect_body(&r, &data))
            },
        );
    }
    // moto checks the seed signature: an upload signed with the wrong
    // secret is refused. It checks neither chunk signatures nor checksums
    // (tampered twins are stored as sent), so those are left to s3s-fs.
    let key = format!("{bucket}/chunked-wrong-secret");
    report.case(
        "moto S3: aws-chunked, signed with the wrong secret: rejected",
        {
            put_streaming(&moto.client, wrong, &key, &data, ChunkSigning::Signed)
                .and_then(|r| expect_error(&r, 403, "SignatureDoesNotMatch"))
        },
    );
}
