//! Signature Version 4a (feature `sigv4a`): ECDSA P-256 signatures valid in
//! a set of regions, for S3 Multi-Region Access Points, CloudFront
//! KeyValueStore, EventBridge global endpoints and any request whose region
//! set is `*`.
//!
//! The stages are those of SigV4, with their own types where they differ:
//!
//! ```text
//!  request ──▶ CanonicalRequest ──SHA-256──▶ StringToSign ──ECDSA P-256──▶ Signature
//!             (x-amz-region-set signed)          ▲            (RFC 6979 nonce, DER, hex)
//!  access key id, secret ──KDF──▶ SigningKey ────┘   (derived once per credentials)
//! ```
//!
//! - The canonical request is made by the same canonicalizer as SigV4's
//!   ([`crate::CanonicalRequest`]); header signing adds and signs
//!   `x-amz-region-set`, query signing the `X-Amz-Region-Set` parameter.
//! - [`StringToSign`]: `AWS4-ECDSA-P256-SHA256`, the date, the
//!   [`CredentialScope`] without a region (`YYYYMMDD/service/aws4_request`)
//!   and the hex SHA-256 of the canonical request.
//! - [`SigningKey`]: the P-256 private key derived from the access key id
//!   and the secret (NIST SP 800-108, HMAC-SHA256 in counter mode), with
//!   its [`PublicKey`]. It depends on neither the date nor the region, and
//!   the [`Signer`] derives it once per credentials.
//! - [`Signature`]: the DER-encoded ECDSA signature of the string to sign,
//!   lowercase hex. Its nonce comes from RFC 6979 (deterministic), so
//!   signing reads no random source and stays sans-IO.
//!
//! ECDSA signatures differ from one signer to another (their nonces do),
//! so SigV4a signatures are checked with the public key, never by
//! comparing: [`PublicKey::verify`], or [`crate::verify`], which accepts
//! SigV4a requests as well.
//!
//! A presigned SigV4a URL:
//!
//! ```
//! use std::time::{Duration, UNIX_EPOCH};
//! use awsig::{Credentials, PayloadHash};
//! use awsig::v4a::Signer;
//!
//! let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")?;
//! let signer = Signer::new(creds, "us-east-1,us-west-2", "s3")?;
//! let mut request = http::Request::get(
//!     "https://mfzwi23gnjvgw.mrap.accesspoint.s3-global.amazonaws.com/report.csv",
//! )
//! .body(())
//! .unwrap();
//! let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
//! signer.presign(&mut request, Duration::from_secs(900), &PayloadHash::Unsigned, now)?;
//! let query = request.uri().query().unwrap();
//! assert!(query.starts_with("X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20231114%2Fs3%2Faws4_request&"));
//! assert!(query.contains("&X-Amz-Region-Set=us-east-1%2Cus-west-2&X-Amz-Signature=30"));
//! # Ok::<(), awsig::Error>(())
//! ```
//!
//! See <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html>.

mod key;
mod presign;
mod region_set;
mod sign;
mod signature;
mod string_to_sign;
pub(crate) mod verify;

pub use key::{PublicKey, SigningKey};
pub use presign::{AUTH_PARAMS, PresignOutput};
pub use region_set::{MAX_REGION_SET_BYTES, RegionSet};
pub use sign::{Signer, SigningOutput};
pub use signature::{MAX_DER_BYTES, Signature};
pub use string_to_sign::{CredentialScope, StringToSign};

/// The algorithm name for SigV4a.
pub const ALGORITHM: &str = "AWS4-ECDSA-P256-SHA256";

/// The header that carries the region set of a header-signed request.
pub(crate) const X_AMZ_REGION_SET: &str = "x-amz-region-set";
