//! `aws-chunked` streaming uploads: each chunk of the body signed, chained
//! from the request's signature, and a trailer that can carry a checksum
//! (feature `chunked`).
//!
//! S3's `PutObject` and `UploadPart` take the body in chunks when the
//! request declares a streaming marker as `x-amz-content-sha256`:
//!
//! ```text
//!  request headers ──sign──▶ seed signature
//!                                 │
//!  chunk 1 ──SHA-256──▶ ChunkStringToSign ──HMAC──▶ chunk signature 1
//!                                 │               (each chained to the one before)
//!  ...                            ▼
//!  final, empty chunk ─────────▶ chunk signature n
//!                                 │
//!  trailer (checksum) ─────────▶ TrailerStringToSign ──HMAC──▶ trailer signature
//! ```
//!
//! On the wire, each chunk is `hex-size;chunk-signature=<sig>\r\n<data>\r\n`,
//! then `0;chunk-signature=<sig>\r\n`, the trailer lines, and an empty line.
//! See the AWS pages
//! [Transferring payload in multiple chunks](https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html)
//! and [Including trailing headers](https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming-trailers.html).
//!
//! - Client side: describe the upload with a [`ChunkedUpload`] (decoded
//!   length, [`ChunkSigning`], chunk size), sign the request with
//!   [`Signer::sign_chunked`](crate::Signer::sign_chunked), which sets the
//!   headers (the exact `content-length` among them) and returns a
//!   [`ChunkedEncoder`]; feed it the data and send what it frames. It never
//!   holds more than one chunk.
//! - Server side: [`verify`](crate::verify()) checks the headers of a
//!   request with a streaming marker (when the [`Policy`](crate::Policy)
//!   accepts them) and [`Verified::chunked_decoder`](crate::Verified::chunked_decoder)
//!   gives the [`ChunkedDecoder`] that checks every chunk, the trailer and
//!   the checksum as the body arrives.
//!
//! # Uploading with a real HTTP client
//!
//! With `ureq`, whose bodies can come from a reader:
//!
//! ```no_run
//! use std::time::SystemTime;
//! use awsig::chunked::{ChecksumAlgorithm, ChunkSigning, ChunkedUpload};
//! use awsig::{Credentials, Signer};
//!
//! let signer = Signer::new(Credentials::new("AKIDEXAMPLE", "secret")?, "us-east-1", "s3")?;
//! let file = std::fs::File::open("access.log")?;
//! let length = file.metadata()?.len();
//! let upload = ChunkedUpload::new(length, ChunkSigning::SignedWithTrailer(ChecksumAlgorithm::Crc32c))?;
//! let mut request = http::Request::put("https://bucket.s3.us-east-1.amazonaws.com/logs/access.log").body(())?;
//! let encoder = signer.sign_chunked(&mut request, &upload, SystemTime::now())?;
//! let (parts, ()) = request.into_parts();
//! let body = ureq::SendBody::from_owned_reader(encoder.into_reader(file));
//! let response = ureq::run(http::Request::from_parts(parts, body))?;
//! assert!(response.status().is_success());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod body;
mod checksum;
mod chunk_string_to_sign;
mod decoder;
mod encoder;
mod length;
mod rejection;
mod sign;
mod signer;
mod trailer_string_to_sign;

pub use body::{
    AWS_CHUNKED, ChunkSigning, ChunkedBody, ChunkedUpload, DEFAULT_CHUNK_SIZE, MAX_DECODED_LENGTH,
    MIN_CHUNK_SIZE, X_AMZ_DECODED_CONTENT_LENGTH, X_AMZ_TRAILER, encoded_length,
};
pub use checksum::{Checksum, ChecksumAlgorithm, ChecksumValue};
pub use chunk_string_to_sign::{CHUNK_ALGORITHM, ChunkStringToSign};
pub use decoder::{ChunkedDecoder, DEFAULT_MAX_CHUNK_SIZE};
pub use encoder::{ChunkedEncoder, ChunkedReader};
pub use rejection::ChunkedRejection;
pub use signer::ChunkSigner;
pub use trailer_string_to_sign::{TRAILER_ALGORITHM, TrailerStringToSign};
