//! Signing the request that carries an `aws-chunked` body.

use std::time::SystemTime;

use http::{HeaderMap, HeaderName, HeaderValue};

use crate::error::Error;
use crate::scope::AmzDate;
use crate::settings::ContentSha256Header;
use crate::sign::{Signer, X_AMZ_CONTENT_SHA256};

use super::body::{AWS_CHUNKED, ChunkedUpload, X_AMZ_DECODED_CONTENT_LENGTH, X_AMZ_TRAILER};
use super::encoder::ChunkedEncoder;
use super::signer::ChunkSigner;

impl Signer {
    /// The chunk signer for a request signed at `date`, with the day's key
    /// from this signer's cache.
    pub fn chunk_signer(&self, date: &AmzDate) -> ChunkSigner {
        ChunkSigner::new(
            self.signing_key(date),
            *date,
            self.region().clone(),
            self.service().clone(),
        )
    }

    /// Signs an `aws-chunked` upload: sets the headers that declare it,
    /// signs the request with the streaming marker, and returns the encoder
    /// of its body, chained from the request's (seed) signature.
    ///
    /// The headers set, and signed: `content-encoding: aws-chunked` (added
    /// to any other coding), `x-amz-decoded-content-length`, `x-amz-trailer`
    /// when there is a trailer (removed otherwise), `content-length` (the
    /// exact encoded length, [`ChunkedUpload::encoded_length`]) and
    /// `x-amz-content-sha256` (the marker), besides what
    /// [`Signer::sign`] adds. See
    /// <https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html>.
    ///
    /// # Errors
    ///
    /// What [`Signer::sign`] refuses.
    pub fn sign_chunked<B>(
        &self,
        request: &mut http::Request<B>,
        upload: &ChunkedUpload,
        now: SystemTime,
    ) -> Result<ChunkedEncoder, Error> {
        self.declare_chunked(request.headers_mut(), upload)?;
        let seed = self.sign(request, &upload.body().signing().payload_hash(), now)?;
        let date = AmzDate::from_system_time(now)?;
        Ok(ChunkedEncoder::new(upload, self.chunk_signer(&date), seed))
    }

    /// As [`Signer::sign_chunked`], for `http::request::Parts`.
    ///
    /// # Errors
    ///
    /// What [`Signer::sign`] refuses.
    pub fn sign_chunked_parts(
        &self,
        parts: &mut http::request::Parts,
        upload: &ChunkedUpload,
        now: SystemTime,
    ) -> Result<ChunkedEncoder, Error> {
        self.declare_chunked(&mut parts.headers, upload)?;
        let seed = self.sign_parts(parts, &upload.body().signing().payload_hash(), now)?;
        let date = AmzDate::from_system_time(now)?;
        Ok(ChunkedEncoder::new(upload, self.chunk_signer(&date), seed))
    }

    fn declare_chunked(
        &self,
        headers: &mut HeaderMap,
        upload: &ChunkedUpload,
    ) -> Result<(), Error> {
        let body = upload.body();
        let encoding = http::header::CONTENT_ENCODING;
        let has_chunked = headers.get_all(&encoding).iter().any(|v| {
            v.to_str().is_ok_and(|v| {
                v.split(',')
                    .any(|c| c.trim().eq_ignore_ascii_case(AWS_CHUNKED))
            })
        });
        if !has_chunked {
            headers.append(encoding, HeaderValue::from_static(AWS_CHUNKED));
        }
        headers.insert(
            const { HeaderName::from_static(X_AMZ_DECODED_CONTENT_LENGTH) },
            HeaderValue::from(body.decoded_length()),
        );
        let trailer = const { HeaderName::from_static(X_AMZ_TRAILER) };
        match body.signing().trailer() {
            Some(a) => {
                headers.insert(trailer, HeaderValue::from_static(a.header_name()));
            }
            None => {
                headers.remove(trailer);
            }
        }
        headers.insert(
            http::header::CONTENT_LENGTH,
            HeaderValue::from(upload.encoded_length()),
        );
        if self.settings().content_sha256 == ContentSha256Header::Omit {
            let marker = body.signing().payload_hash();
            let value =
                HeaderValue::from_str(marker.as_str()).map_err(|_| Error::InvalidHeaderValue {
                    name: X_AMZ_CONTENT_SHA256.to_owned(),
                    reason: "it is not a valid header value",
                })?;
            headers.insert(
                const { HeaderName::from_static(X_AMZ_CONTENT_SHA256) },
                value,
            );
        }
        Ok(())
    }
}
