//! `sign --chunked`: an `aws-chunked` upload, its head printed as `sign`
//! prints a request, its encoded body written to a file; and the body check
//! of `verify` for a request that declares a streaming marker.

use std::path::PathBuf;

use super::Failure;

/// A trailer checksum `--trailer` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Trailer {
    /// x-amz-checksum-crc32.
    Crc32,
    /// x-amz-checksum-crc32c.
    Crc32c,
    /// x-amz-checksum-crc64nvme.
    Crc64nvme,
    /// x-amz-checksum-sha1.
    Sha1,
    /// x-amz-checksum-sha256.
    Sha256,
}

/// The flags of `sign` for an `aws-chunked` upload.
#[derive(Debug, clap::Args)]
pub struct ChunkedArgs {
    /// Send the body as aws-chunked, each chunk of SIZE bytes of data
    /// (8192 at least; K, KiB, M and MiB suffixes count in 1024s) signed in
    /// a chain from the request's signature. Prints the request's head and
    /// writes the encoded body to --body-out. Needs awsig built with
    /// `--features chunked`.
    #[arg(long, value_name = "SIZE", value_parser = parse_size, requires = "body_out",
          conflicts_with_all = ["unsigned_payload", "curl", "print"])]
    pub chunked: Option<usize>,
    /// Add a trailer carrying this checksum of the data
    /// (STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER).
    #[arg(long, value_enum, value_name = "ALGORITHM", requires = "chunked")]
    pub trailer: Option<Trailer>,
    /// Leave the chunks unsigned (STREAMING-UNSIGNED-PAYLOAD-TRAILER, for
    /// HTTPS); needs --trailer.
    #[arg(long, requires = "trailer")]
    pub unsigned_chunks: bool,
    /// Where to write the encoded body.
    #[arg(long, value_name = "OUT", requires = "chunked")]
    pub body_out: Option<PathBuf>,
}

/// `--chunked`'s parser: bytes, or K/KiB/M/MiB.
fn parse_size(text: &str) -> Result<usize, String> {
    let t = text.trim();
    let (digits, unit) = match t.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => t.split_at(i),
        None => (t, ""),
    };
    let scale = match unit.to_ascii_lowercase().as_str() {
        "" => 1,
        "k" | "kib" => 1024,
        "m" | "mib" => 1024 * 1024,
        _ => return Err("expected bytes such as 65536, or 64KiB, 1MiB".into()),
    };
    let n: usize = digits
        .parse()
        .map_err(|_| "expected bytes such as 65536, or 64KiB, 1MiB".to_owned())?;
    n.checked_mul(scale).ok_or_else(|| "too large".to_owned())
}

#[cfg(not(feature = "chunked"))]
pub fn unavailable() -> Failure {
    Failure::usage(
        "--chunked: this awsig was built without aws-chunked support; run it with \
         `cargo run --features chunked --example awsig -- sign --chunked ...`",
    )
}

/// The verdict on a body `verify` reads: `Ok` with what to add to `OK`,
/// or the error code and the reason it is refused; a `Failure` when this
/// build cannot check it.
pub type BodyCheck = Result<Result<String, (&'static str, String)>, Failure>;

/// Without aws-chunked support, the chunks of a body cannot be checked:
/// says which feature checks them.
#[cfg(not(feature = "chunked"))]
pub fn check_body(verified: &awsig::Verified, _: &[u8]) -> BodyCheck {
    Err(Failure::usage(format!(
        "the request's signature is valid, but its body is aws-chunked (x-amz-content-sha256: \
         {}) and this awsig was built without aws-chunked support, so its chunks cannot be \
         checked; run it with `cargo run --features chunked --example awsig -- verify ...`",
        verified.payload()
    )))
}

/// `--chunked` with `--algorithm sigv4a`: its chunks would be signed with
/// ECDSA, which awsig does not do.
#[cfg(feature = "chunked")]
pub fn not_sigv4a() -> Failure {
    Failure::usage(
        "--chunked: aws-chunked bodies are signed with SigV4 only; drop --algorithm sigv4a",
    )
}

#[cfg(feature = "chunked")]
pub use with_feature::*;

#[cfg(feature = "chunked")]
mod with_feature {
    use std::io::Write;
    use std::time::SystemTime;

    use awsig::chunked::{
        ChecksumAlgorithm, ChunkSigning, ChunkedEncoder, ChunkedRejection, ChunkedUpload,
    };
    use awsig::{AmzDate, ContentSha256Header, Signature};

    use super::super::request::{AnySigner, Prepared};
    use super::{ChunkedArgs as Args, Failure, Trailer};

    /// The upload the flags describe, for a body of `len` bytes.
    pub fn upload(args: &Args, len: usize) -> Result<Option<ChunkedUpload>, Failure> {
        let Some(size) = args.chunked else {
            return Ok(None);
        };
        let algorithm = args.trailer.map(|t| match t {
            Trailer::Crc32 => ChecksumAlgorithm::Crc32,
            Trailer::Crc32c => ChecksumAlgorithm::Crc32c,
            Trailer::Crc64nvme => ChecksumAlgorithm::Crc64Nvme,
            Trailer::Sha1 => ChecksumAlgorithm::Sha1,
            Trailer::Sha256 => ChecksumAlgorithm::Sha256,
        });
        let signing = match (algorithm, args.unsigned_chunks) {
            (None, _) => ChunkSigning::Signed,
            (Some(a), false) => ChunkSigning::SignedWithTrailer(a),
            (Some(a), true) => ChunkSigning::UnsignedWithTrailer(a),
        };
        let upload = ChunkedUpload::new(len as u64, signing)
            .and_then(|u| u.with_chunk_size(size))
            .map_err(|e| Failure::usage(format!("--chunked {size}: {e}")))?;
        Ok(Some(upload))
    }

    /// Declares the upload in the request: its headers, the streaming
    /// marker as payload, and `x-amz-content-sha256` sent.
    pub fn declare(p: Prepared, upload: &ChunkedUpload) -> Result<Prepared, Failure> {
        let Prepared {
            signer,
            url,
            mut fields,
            body,
            payload: _,
        } = p;
        let signer = signer.into_v4().ok_or_else(super::not_sigv4a)?;
        for (name, value) in upload.headers() {
            if name != "content-encoding" {
                fields.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
            }
            fields.push((super::super::sign::title_case(name), value.into_bytes()));
        }
        let settings = signer
            .settings()
            .with_content_sha256(ContentSha256Header::Include);
        Ok(Prepared {
            signer: AnySigner::V4(signer.with_settings(settings)),
            url,
            fields,
            body,
            payload: upload.body().signing().payload_hash(),
        })
    }

    /// For a verified request that declares an aws-chunked body, checks
    /// the body: every chunk signature, the trailer and its checksum; a
    /// refusal names the chunk (or the trailer) and the problem.
    pub fn check_body(verified: &awsig::Verified, body: &[u8]) -> super::BodyCheck {
        let (Some(mut decoder), Some(declared)) =
            (verified.chunked_decoder(), verified.chunked_body())
        else {
            return Ok(Err((
                "NotImplemented",
                format!(
                    "the request's signature is valid, but awsig cannot check the aws-chunked \
                     body (x-amz-content-sha256: {}) of a request signed with {}",
                    verified.payload(),
                    verified.algorithm()
                ),
            )));
        };
        let signing = declared.signing();
        let mut data = Vec::new();
        if let Err(e) = decoder.decode_into(body, &mut data) {
            return Ok(Err((e.code(), describe(&e, signing, body))));
        }
        let trailer = decoder
            .checksum()
            .map(|c| format!("{}:{}", c.algorithm().header_name(), c.as_str()));
        let what = match (signing.signs_chunks(), trailer) {
            (true, None) => "every chunk's signature checked".to_owned(),
            (true, Some(t)) => {
                format!("every chunk's signature checked, and the signed trailer {t}")
            }
            (false, Some(t)) => {
                format!("chunks unsigned; the data matches the trailer {t}")
            }
            (false, None) => "chunks unsigned".to_owned(),
        };
        Ok(Ok(format!(
            " (aws-chunked: {} bytes of data, {what})",
            data.len()
        )))
    }

    /// The line of the body that ends at `end` (its CRLF left out), quoted
    /// and escaped, at most 80 bytes of it.
    fn line_before(body: &[u8], end: u64) -> String {
        let end = usize::try_from(end).unwrap_or(usize::MAX).min(body.len());
        let upto = &body[..end];
        let upto = upto.strip_suffix(b"\n").unwrap_or(upto);
        let upto = upto.strip_suffix(b"\r").unwrap_or(upto);
        let start = upto.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let line = &upto[start..];
        let shown = &line[..line.len().min(80)];
        let more = if line.len() > shown.len() { "..." } else { "" };
        format!("\"{}{more}\"", shown.escape_ascii())
    }

    /// A chunked rejection in plain words: which chunk (or the trailer),
    /// where in the body, and what is wrong with it, in terms of what the
    /// request's headers declare.
    fn describe(e: &ChunkedRejection, signing: ChunkSigning, body: &[u8]) -> String {
        let marker = signing.payload_hash();
        let trailer = signing.trailer().map_or("the trailer", |a| a.header_name());
        match e {
            ChunkedRejection::MalformedChunk {
                chunk,
                offset,
                reason,
            } => {
                let line = line_before(body, *offset);
                let problem = match *reason {
                    "the chunk has no chunk-signature" => format!(
                        "its header {line} has no ;chunk-signature=, but x-amz-content-sha256 \
                         {marker} says every chunk is signed"
                    ),
                    "unsigned chunks carry no extension" => format!(
                        "its header {line} carries more than the size (such as \
                         ;chunk-signature=), but x-amz-content-sha256 {marker} says the chunks \
                         are unsigned: the header is the size in hex alone"
                    ),
                    "expected chunk-signature= and 64 lowercase hex digits" => format!(
                        "its header {line} does not end in ;chunk-signature= and the 64 \
                         lowercase hex digits of a signature"
                    ),
                    "the chunk size is not 1 to 16 lowercase hex digits without leading zeros" => {
                        format!(
                            "its header {line} does not start with the chunk's size: 1 to 16 \
                             lowercase hex digits without leading zeros (is the body \
                             aws-chunked encoded?)"
                        )
                    }
                    "the chunk's data is not followed by CRLF" => "its data is not followed by \
                         CRLF where the size in its header says it ends: the size is wrong, or \
                         the data is longer or shorter than it"
                        .to_owned(),
                    "the chunk header does not end in CRLF" => {
                        format!("its header {line} ends in a bare LF instead of CRLF")
                    }
                    other => other.to_owned(),
                };
                format!("chunk {chunk} (byte {offset} of the body): {problem}")
            }
            ChunkedRejection::Truncated { chunk, offset } => {
                let end = match signing.trailer() {
                    Some(_) => format!("the final zero-size chunk, {trailer} and the empty line"),
                    None => "the final zero-size chunk and the empty line".to_owned(),
                };
                format!(
                    "the body ends after {offset} bytes, in chunk {chunk}: {end} that end an \
                     aws-chunked body never came (the body is cut short)"
                )
            }
            ChunkedRejection::TrailingBytes { offset } => format!(
                "{} more bytes follow the end of the aws-chunked body (its final chunk{}), at \
                 byte {offset}: the body is longer than its encoding",
                (body.len() as u64).saturating_sub(*offset),
                if signing.trailer().is_some() {
                    " and trailer"
                } else {
                    ""
                }
            ),
            ChunkedRejection::ChecksumMismatch {
                header,
                declared,
                computed,
            } => {
                let unsigned = if signing.signs_chunks() {
                    String::new()
                } else {
                    format!(
                        "; the chunks are unsigned ({marker}), so this checksum is all that \
                         covers the data, and which chunk changed cannot be told"
                    )
                };
                format!(
                    "the data does not match the trailer: {header} is {declared:?} but the \
                     data's is {computed:?}{unsigned}"
                )
            }
            ChunkedRejection::MalformedTrailer { offset, reason } => {
                let line = line_before(body, *offset);
                let problem = match *reason {
                    "expected name:value" if line == "\"\"" => format!(
                        "{trailer}, which x-amz-trailer declares, is missing: the body ends \
                         after the final chunk"
                    ),
                    "expected name:value" => format!(
                        "expected {trailer}:VALUE after the final chunk, as x-amz-trailer \
                         declares, but found {line}"
                    ),
                    "the trailer is not the one x-amz-trailer names" => format!(
                        "the trailer {line} is not {trailer}, the one x-amz-trailer declares"
                    ),
                    "expected x-amz-trailer-signature:"
                    | "expected x-amz-trailer-signature \
                     after the checksum" => format!(
                        "after {trailer} comes {line}, not x-amz-trailer-signature: and the 64 \
                         hex digits of a signature (x-amz-content-sha256 {marker} says the \
                         trailer is signed)"
                    ),
                    "expected the empty line that ends the body" => format!(
                        "after the trailer comes {line}, not the empty line that ends the body"
                    ),
                    "a trailer line does not end in CRLF" => {
                        format!("the trailer line {line} ends in a bare LF instead of CRLF")
                    }
                    other => other.to_owned(),
                };
                format!("the trailer (byte {offset} of the body): {problem}")
            }
            other => other.to_string(),
        }
    }

    /// Encodes the body, chained from `seed`, into the file `--body-out`.
    pub fn write_body(
        args: &Args,
        p: &Prepared,
        upload: &ChunkedUpload,
        seed: Signature,
        now: SystemTime,
    ) -> Result<(), Failure> {
        let Some(path) = &args.body_out else {
            return Ok(());
        };
        let date = AmzDate::from_system_time(now).map_err(|e| Failure::usage(e.to_string()))?;
        let signer = p.signer.as_v4().ok_or_else(super::not_sigv4a)?;
        let encoder = ChunkedEncoder::new(upload, signer.chunk_signer(&date), seed);
        let fail = |e: std::io::Error| {
            Failure::failed(format!(
                "--body-out {}: cannot write it ({e})",
                path.display()
            ))
        };
        let mut out = std::io::BufWriter::new(std::fs::File::create(path).map_err(fail)?);
        std::io::copy(&mut encoder.into_reader(&p.body[..]), &mut out).map_err(fail)?;
        out.flush().map_err(fail)
    }
}
