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

/// Without aws-chunked support, a request with a streaming marker is
/// refused by the policy before its body is looked at.
#[cfg(not(feature = "chunked"))]
pub fn check_body(_: &awsig::Verified, _: &[u8]) -> Result<String, awsig::Rejection> {
    Ok(String::new())
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

    use awsig::chunked::{ChecksumAlgorithm, ChunkSigning, ChunkedEncoder, ChunkedUpload};
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
    /// the body: every chunk signature, the trailer and its checksum.
    /// Returns what to add to `OK`.
    pub fn check_body(verified: &awsig::Verified, body: &[u8]) -> Result<String, awsig::Rejection> {
        let Some(mut decoder) = verified.chunked_decoder() else {
            return Ok(String::new());
        };
        let mut data = Vec::new();
        decoder.decode_into(body, &mut data)?;
        let checksum = decoder
            .checksum()
            .map(|c| format!(", {}:{}", c.algorithm().header_name(), c.as_str()))
            .unwrap_or_default();
        Ok(format!(
            " (aws-chunked: {} bytes of data, every chunk checked{checksum})",
            data.len()
        ))
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
