//! Signs the chunks and the trailer of one upload with the day's key.

use std::fmt;

use crate::error::Redacted;
use crate::scope::{AmzDate, CredentialScope, Region, Service};
use crate::signature::Signature;
use crate::signing_key::SigningKey;

use super::chunk_string_to_sign::ChunkStringToSign;
use super::trailer_string_to_sign::TrailerStringToSign;

/// What every chunk and trailer signature of one upload is computed from:
/// the signing key of the request's day, its signing time and its scope.
///
/// Get one from [`Signer::chunk_signer`](crate::Signer::chunk_signer) (the
/// key comes from the signer's daily cache) or, on the server side, from
/// [`Verified::chunk_signer`](crate::Verified::chunk_signer). The key is a
/// secret: it is zeroized on drop and `Debug` does not show it.
#[derive(Clone)]
pub struct ChunkSigner {
    key: SigningKey,
    date: AmzDate,
    region: Region,
    service: Service,
}

impl ChunkSigner {
    /// A chunk signer from a signing key and the request's signing time and
    /// scope. The key must be the one derived for that date, region and
    /// service.
    pub fn new(key: SigningKey, date: AmzDate, region: Region, service: Service) -> Self {
        Self {
            key,
            date,
            region,
            service,
        }
    }

    /// The signing time (the request's `x-amz-date`).
    pub fn amz_date(&self) -> &AmzDate {
        &self.date
    }

    /// The credential scope.
    pub fn scope(&self) -> CredentialScope<'_> {
        CredentialScope::new(&self.date, &self.region, &self.service)
    }

    /// Signs a chunk's string to sign.
    pub fn sign_chunk(&self, string_to_sign: &ChunkStringToSign<'_>) -> Signature {
        self.key
            .sign_with_writer(|mac| string_to_sign.write_to(mac))
    }

    /// Signs a trailer's string to sign.
    pub fn sign_trailer(&self, string_to_sign: &TrailerStringToSign<'_>) -> Signature {
        self.key
            .sign_with_writer(|mac| string_to_sign.write_to(mac))
    }

    /// The signature of a chunk whose data hashes to `digest`, chained to
    /// `previous`.
    pub(crate) fn chunk_signature(&self, previous: &Signature, digest: &[u8; 32]) -> Signature {
        self.sign_chunk(&ChunkStringToSign::from_digest(
            self.scope(),
            previous,
            digest,
        ))
    }

    /// The signature of a trailer whose canonical form hashes to `digest`.
    pub(crate) fn trailer_signature(&self, previous: &Signature, digest: &[u8; 32]) -> Signature {
        self.sign_trailer(&TrailerStringToSign::from_digest(
            self.scope(),
            previous,
            digest,
        ))
    }
}

/// The key is [`ZeroizeOnDrop`](zeroize::ZeroizeOnDrop).
impl zeroize::ZeroizeOnDrop for ChunkSigner {}

impl fmt::Debug for ChunkSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChunkSigner")
            .field("key", &Redacted)
            .field("scope", &self.scope())
            .finish()
    }
}
