//! What an `aws-chunked` body is: its decoded length, how its chunks are
//! signed, and the trailer it ends with.

use crate::error::Error;
use crate::payload::PayloadHash;
use crate::request::SignableRequest;

use super::checksum::ChecksumAlgorithm;
use super::length;
use super::rejection::ChunkedRejection;

/// `content-encoding` value of an `aws-chunked` body.
pub const AWS_CHUNKED: &str = "aws-chunked";
/// The header that carries [`AWS_CHUNKED`].
pub(crate) const AWS_CHUNKED_HEADER: &str = "content-encoding";
/// The header that carries the length of the data.
pub const X_AMZ_DECODED_CONTENT_LENGTH: &str = crate::payload::X_AMZ_DECODED_CONTENT_LENGTH;
/// The header that names the trailing headers.
pub const X_AMZ_TRAILER: &str = crate::payload::X_AMZ_TRAILER;

/// The exact length in bytes of `body` encoded in chunks of `chunk_size`
/// bytes of data (the last one shorter), the final empty chunk and the
/// trailer: the `content-length` of the request. A signed chunk is
/// `hex(size);chunk-signature=<64 hex>\r\n<data>\r\n`, an unsigned one
/// `hex(size)\r\n<data>\r\n`; the final chunk has size 0 and no data; then,
/// with a trailer, `name:value\r\n` and (signed)
/// `x-amz-trailer-signature:<64 hex>\r\n`; and last an empty line.
///
/// A `chunk_size` of 0 counts as 1. Only chunks of a few bytes framing a
/// length near [`MAX_DECODED_LENGTH`] make the length larger than a `u64`:
/// it is then `u64::MAX`. ([`ChunkedUpload`] takes chunks of
/// [`MIN_CHUNK_SIZE`] or more, whose lengths always fit.)
///
/// ```
/// use awsig::chunked::{ChunkSigning, ChunkedBody, ChecksumAlgorithm, encoded_length};
/// let body = ChunkedBody::new(10, ChunkSigning::UnsignedWithTrailer(ChecksumAlgorithm::Crc32))?;
/// // "a\r\n" + 10 bytes + "\r\n" + "0\r\n" + "x-amz-checksum-crc32:AAAAAA==\r\n" + "\r\n"
/// assert_eq!(encoded_length(&body, 65_536), 3 + 10 + 2 + 3 + 31 + 2);
/// # Ok::<(), awsig::Error>(())
/// ```
pub fn encoded_length(body: &ChunkedBody, chunk_size: usize) -> u64 {
    length::framed_length(
        body.decoded_length(),
        chunk_size as u64,
        body.signing().signs_chunks(),
        body.signing().trailer(),
    )
}

/// AWS's smallest chunk: every chunk but the last must hold at least this
/// many bytes of data (8 KiB).
pub const MIN_CHUNK_SIZE: usize = 8 * 1024;

/// The chunk size the AWS SDKs use, and the default here (64 KiB).
pub const DEFAULT_CHUNK_SIZE: usize = 64 * 1024;

/// The largest decoded length accepted (2^62 bytes), so that every length
/// computed from it fits in a `u64`. S3's largest object is 5 TiB.
pub const MAX_DECODED_LENGTH: u64 = crate::payload::MAX_DECODED_LENGTH;

/// How the chunks and the trailer of an `aws-chunked` body are signed: the
/// streaming marker sent as `x-amz-content-sha256`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ChunkSigning {
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`: each chunk signed, no trailer.
    Signed,
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`: each chunk signed, and
    /// a signed trailer carrying a checksum of the data.
    SignedWithTrailer(ChecksumAlgorithm),
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`: chunks without signatures, and
    /// a trailer carrying a checksum. The seed signature covers the headers
    /// only: for HTTPS, where the AWS SDKs use it for uploads.
    UnsignedWithTrailer(ChecksumAlgorithm),
}

impl ChunkSigning {
    /// The streaming marker, the payload line of the canonical request.
    pub fn payload_hash(self) -> PayloadHash {
        match self {
            Self::Signed => PayloadHash::StreamingSigned,
            Self::SignedWithTrailer(_) => PayloadHash::StreamingSignedTrailer,
            Self::UnsignedWithTrailer(_) => PayloadHash::StreamingUnsignedTrailer,
        }
    }

    /// The checksum in the trailer, if there is a trailer.
    pub fn trailer(self) -> Option<ChecksumAlgorithm> {
        match self {
            Self::Signed => None,
            Self::SignedWithTrailer(a) | Self::UnsignedWithTrailer(a) => Some(a),
        }
    }

    /// Whether each chunk carries a signature.
    pub fn signs_chunks(self) -> bool {
        !matches!(self, Self::UnsignedWithTrailer(_))
    }
}

/// What the headers of an `aws-chunked` upload declare about its body: the
/// decoded length (`x-amz-decoded-content-length`), the streaming marker
/// (`x-amz-content-sha256`) and the trailer (`x-amz-trailer`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ChunkedBody {
    decoded_length: u64,
    signing: ChunkSigning,
}

impl ChunkedBody {
    /// A body of `decoded_length` bytes of data.
    ///
    /// # Errors
    ///
    /// [`Error::DecodedLengthTooLarge`] above [`MAX_DECODED_LENGTH`].
    pub fn new(decoded_length: u64, signing: ChunkSigning) -> Result<Self, Error> {
        if decoded_length > MAX_DECODED_LENGTH {
            return Err(Error::DecodedLengthTooLarge {
                length: decoded_length,
                limit: MAX_DECODED_LENGTH,
            });
        }
        Ok(Self {
            decoded_length,
            signing,
        })
    }

    /// What a request with the payload line `payload` declares about its
    /// body: `None` unless `payload` is a streaming marker; else the
    /// decoded length from `x-amz-decoded-content-length` and the trailer
    /// from `x-amz-trailer`, which must name one `x-amz-checksum-*` header
    /// exactly when the marker has a trailer.
    ///
    /// # Errors
    ///
    /// [`ChunkedRejection::MissingDecodedContentLength`],
    /// [`ChunkedRejection::InvalidDecodedContentLength`] (also when the
    /// header is repeated) and [`ChunkedRejection::InvalidTrailerHeader`].
    pub fn from_request(
        payload: &PayloadHash,
        request: &SignableRequest<'_>,
    ) -> Result<Option<Self>, ChunkedRejection> {
        let trailer_wanted = match payload {
            PayloadHash::StreamingSigned => false,
            PayloadHash::StreamingSignedTrailer | PayloadHash::StreamingUnsignedTrailer => true,
            _ => return Ok(None),
        };
        let decoded_length = match request
            .header_values(X_AMZ_DECODED_CONTENT_LENGTH)
            .as_slice()
        {
            [] => return Err(ChunkedRejection::MissingDecodedContentLength),
            [one] => parse_length(one).ok_or(ChunkedRejection::InvalidDecodedContentLength)?,
            _ => return Err(ChunkedRejection::InvalidDecodedContentLength),
        };
        let values = request.header_values(X_AMZ_TRAILER);
        let invalid = |value: &[u8], reason| ChunkedRejection::InvalidTrailerHeader {
            value: crate::error::lossy(value),
            reason,
        };
        let trailer = match (values.as_slice(), trailer_wanted) {
            ([], false) => None,
            ([], true) => return Err(invalid(b"", "the marker announces a trailer")),
            ([one], true) => {
                let name = std::str::from_utf8(one).map(|v| v.trim_matches([' ', '\t']));
                let algorithm = name
                    .ok()
                    .and_then(ChecksumAlgorithm::from_header_name)
                    .ok_or_else(|| invalid(one, "it must name one x-amz-checksum-* header"))?;
                Some(algorithm)
            }
            ([one, ..], true) => return Err(invalid(one, "it is repeated")),
            ([one, ..], false) => return Err(invalid(one, "the marker announces no trailer")),
        };
        let signing = match (payload, trailer) {
            (PayloadHash::StreamingSignedTrailer, Some(a)) => ChunkSigning::SignedWithTrailer(a),
            (PayloadHash::StreamingUnsignedTrailer, Some(a)) => {
                ChunkSigning::UnsignedWithTrailer(a)
            }
            _ => ChunkSigning::Signed,
        };
        Ok(Some(Self {
            decoded_length,
            signing,
        }))
    }

    /// The length of the data, in bytes (`x-amz-decoded-content-length`).
    pub fn decoded_length(&self) -> u64 {
        self.decoded_length
    }

    /// How the chunks and the trailer are signed.
    pub fn signing(&self) -> ChunkSigning {
        self.signing
    }
}

/// A decimal length of 1 to 19 digits, up to [`MAX_DECODED_LENGTH`].
fn parse_length(text: &[u8]) -> Option<u64> {
    crate::payload::parse_decoded_length(text)
}

/// An `aws-chunked` upload to sign: the body, and the size it is cut into.
///
/// ```
/// use awsig::chunked::{ChecksumAlgorithm, ChunkSigning, ChunkedUpload};
///
/// // The AWS documentation's example: 66560 bytes in 64 KiB chunks.
/// let upload = ChunkedUpload::new(66_560, ChunkSigning::Signed)?;
/// assert_eq!(upload.encoded_length(), 66_824);
///
/// let with_crc = ChunkedUpload::new(66_560, ChunkSigning::SignedWithTrailer(ChecksumAlgorithm::Crc32c))?;
/// assert_eq!(with_crc.encoded_length(), 66_946);
/// # Ok::<(), awsig::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ChunkedUpload {
    body: ChunkedBody,
    chunk_size: usize,
}

impl ChunkedUpload {
    /// An upload of `decoded_length` bytes in chunks of
    /// [`DEFAULT_CHUNK_SIZE`].
    ///
    /// # Errors
    ///
    /// [`Error::DecodedLengthTooLarge`] above [`MAX_DECODED_LENGTH`].
    pub fn new(decoded_length: u64, signing: ChunkSigning) -> Result<Self, Error> {
        Ok(Self {
            body: ChunkedBody::new(decoded_length, signing)?,
            chunk_size: DEFAULT_CHUNK_SIZE,
        })
    }

    /// Sets the size of every chunk but the last, in bytes of data.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidChunkSize`] below [`MIN_CHUNK_SIZE`], AWS's minimum.
    pub fn with_chunk_size(mut self, chunk_size: usize) -> Result<Self, Error> {
        if chunk_size < MIN_CHUNK_SIZE {
            return Err(Error::InvalidChunkSize {
                size: chunk_size,
                min: MIN_CHUNK_SIZE,
            });
        }
        self.chunk_size = chunk_size;
        Ok(self)
    }

    /// The body.
    pub fn body(&self) -> &ChunkedBody {
        &self.body
    }

    /// The size of every chunk but the last, in bytes of data.
    pub fn chunk_size(&self) -> usize {
        self.chunk_size
    }

    /// The exact length of the encoded body in bytes: the `content-length`
    /// to send. See [`encoded_length`].
    pub fn encoded_length(&self) -> u64 {
        encoded_length(&self.body, self.chunk_size)
    }

    /// The headers that declare the upload, to add (and sign) before the
    /// request is signed with [`ChunkSigning::payload_hash`]:
    /// `content-encoding: aws-chunked`, `x-amz-decoded-content-length`,
    /// `x-amz-trailer` when there is a trailer, and `content-length`.
    /// [`Signer::sign_chunked`](crate::Signer::sign_chunked) adds them
    /// itself; this is for requests of other HTTP types.
    ///
    /// ```
    /// use awsig::chunked::{ChecksumAlgorithm, ChunkSigning, ChunkedUpload};
    /// let upload = ChunkedUpload::new(66_560, ChunkSigning::SignedWithTrailer(ChecksumAlgorithm::Crc32c))?;
    /// let headers: Vec<_> = upload.headers().collect();
    /// assert_eq!(headers, [
    ///     ("content-encoding", "aws-chunked".to_owned()),
    ///     ("x-amz-decoded-content-length", "66560".to_owned()),
    ///     ("x-amz-trailer", "x-amz-checksum-crc32c".to_owned()),
    ///     ("content-length", "66946".to_owned()),
    /// ]);
    /// # Ok::<(), awsig::Error>(())
    /// ```
    pub fn headers(&self) -> impl Iterator<Item = (&'static str, String)> {
        let trailer = self
            .body
            .signing()
            .trailer()
            .map(|a| (X_AMZ_TRAILER, a.header_name().to_owned()));
        [
            (AWS_CHUNKED_HEADER, AWS_CHUNKED.to_owned()),
            (
                X_AMZ_DECODED_CONTENT_LENGTH,
                self.body.decoded_length().to_string(),
            ),
        ]
        .into_iter()
        .chain(trailer)
        .chain([("content-length", self.encoded_length().to_string())])
    }
}
