//! Why an `aws-chunked` body, or the headers that declare it, is refused.

/// Why an `aws-chunked` upload failed verification, with the error code
/// S3 answers ([`code`](Self::code)) and its HTTP status
/// ([`status`](Self::status)).
///
/// Chunks are numbered from 1 in the order they are sent; offsets count
/// bytes of the encoded body from 0. No variant carries a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChunkedRejection {
    /// The request declares a streaming marker but no
    /// `x-amz-decoded-content-length`.
    #[error("an aws-chunked upload needs the x-amz-decoded-content-length header")]
    MissingDecodedContentLength,
    /// `x-amz-decoded-content-length` is not one decimal number of bytes
    /// (up to [`MAX_DECODED_LENGTH`](super::MAX_DECODED_LENGTH)).
    #[error("x-amz-decoded-content-length is not a valid length")]
    InvalidDecodedContentLength,
    /// `x-amz-trailer` is missing for a trailer marker, present without
    /// one, or names anything but one `x-amz-checksum-*` header.
    #[error("the x-amz-trailer header {value:?} does not fit the payload marker: {reason}")]
    InvalidTrailerHeader {
        /// The header's value (empty when it is missing).
        value: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// A chunk header is not `hex-size;chunk-signature=<64 hex>` (signed
    /// chunks) or `hex-size` (unsigned) followed by CRLF, or a chunk's data
    /// is not followed by CRLF.
    #[error("chunk {chunk} is malformed at byte {offset} of the body: {reason}")]
    MalformedChunk {
        /// The chunk.
        chunk: u64,
        /// Where in the encoded body.
        offset: u64,
        /// What is wrong.
        reason: &'static str,
    },
    /// A chunk's signature is not the one computed from its data and the
    /// signature before it.
    #[error("the signature of chunk {chunk} does not match its data")]
    ChunkSignatureMismatch {
        /// The chunk.
        chunk: u64,
    },
    /// A chunk other than the last holds less than 8 KiB of data.
    #[error("chunk {chunk} holds {size} bytes; only the last chunk may hold less than {min} bytes")]
    ChunkTooSmall {
        /// The chunk.
        chunk: u64,
        /// Its size in bytes.
        size: u64,
        /// The minimum, 8192.
        min: u64,
    },
    /// A chunk is larger than the decoder's limit.
    #[error("chunk {chunk} declares {size} bytes, more than the limit of {limit}")]
    ChunkTooLarge {
        /// The chunk.
        chunk: u64,
        /// The size it declares, in bytes.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// The chunks hold more data than `x-amz-decoded-content-length`, or
    /// the final chunk comes before they hold that much.
    #[error(
        "the chunks hold {decoded} bytes where x-amz-decoded-content-length declares {declared}"
    )]
    DecodedLengthMismatch {
        /// The declared length.
        declared: u64,
        /// What the chunks hold (so far, when too many).
        decoded: u64,
    },
    /// The body ended before its final chunk and trailer.
    #[error("the body ended after {offset} bytes, in chunk {chunk}, before the final chunk")]
    Truncated {
        /// The chunk that was being read.
        chunk: u64,
        /// The length of the body received.
        offset: u64,
    },
    /// Bytes follow the end of the encoded body.
    #[error("the body goes on after its end, at byte {offset}")]
    TrailingBytes {
        /// Where the extra bytes start.
        offset: u64,
    },
    /// The trailer is not the one declared, in the form
    /// `name:value\r\n`, (`x-amz-trailer-signature:<64 hex>\r\n`) `\r\n`.
    #[error("the trailer is malformed at byte {offset} of the body: {reason}")]
    MalformedTrailer {
        /// Where in the encoded body.
        offset: u64,
        /// What is wrong.
        reason: &'static str,
    },
    /// The trailer's signature is not the one computed from its headers.
    #[error("the trailer signature does not match the trailing headers")]
    TrailerSignatureMismatch,
    /// The checksum in the trailer is not the one of the data.
    #[error("{header} is {declared:?} but the data's is {computed:?}")]
    ChecksumMismatch {
        /// The trailing header, such as `x-amz-checksum-crc32c`.
        header: &'static str,
        /// Its value.
        declared: String,
        /// The checksum of the data received.
        computed: String,
    },
}

impl ChunkedRejection {
    /// The S3 error code: `SignatureDoesNotMatch` for a wrong chunk or
    /// trailer signature, `IncompleteBody` for a bad frame, a wrong decoded
    /// length or a body cut short, `InvalidChunkSizeError` for a chunk too
    /// small or too large, `MalformedTrailerError`, `BadDigest` for a wrong
    /// checksum, `MissingContentLength`, `InvalidArgument` and
    /// `InvalidRequest` for the headers. See
    /// <https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html>.
    pub fn code(&self) -> &'static str {
        match self {
            Self::MissingDecodedContentLength => "MissingContentLength",
            Self::InvalidDecodedContentLength => "InvalidArgument",
            Self::InvalidTrailerHeader { .. } => "InvalidRequest",
            Self::MalformedChunk { .. }
            | Self::DecodedLengthMismatch { .. }
            | Self::Truncated { .. }
            | Self::TrailingBytes { .. } => "IncompleteBody",
            Self::ChunkSignatureMismatch { .. } | Self::TrailerSignatureMismatch => {
                "SignatureDoesNotMatch"
            }
            Self::ChunkTooSmall { .. } | Self::ChunkTooLarge { .. } => "InvalidChunkSizeError",
            Self::MalformedTrailer { .. } => "MalformedTrailerError",
            Self::ChecksumMismatch { .. } => "BadDigest",
        }
    }

    /// The HTTP status: 403 for a wrong signature, 411 for a missing
    /// decoded length, 400 for everything else.
    pub fn status(&self) -> http::StatusCode {
        match self.code() {
            "SignatureDoesNotMatch" => http::StatusCode::FORBIDDEN,
            "MissingContentLength" => http::StatusCode::LENGTH_REQUIRED,
            _ => http::StatusCode::BAD_REQUEST,
        }
    }

    /// The chunk the rejection is about, when it is about one.
    pub fn chunk(&self) -> Option<u64> {
        match self {
            Self::MalformedChunk { chunk, .. }
            | Self::ChunkSignatureMismatch { chunk }
            | Self::ChunkTooSmall { chunk, .. }
            | Self::ChunkTooLarge { chunk, .. }
            | Self::Truncated { chunk, .. } => Some(*chunk),
            _ => None,
        }
    }
}
