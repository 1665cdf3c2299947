//! Stage 3 of SigV4a: the ECDSA P-256 key pair derived from the access key
//! id and the secret access key, and the cache that derives it once per
//! credentials.
//!
//! The private key is derived with the NIST SP 800-108 KDF in counter mode,
//! HMAC-SHA256 as the pseudorandom function:
//!
//! ```text
//! input key  = "AWS4A" + secret access key
//! fixed input = be32(1) || "AWS4-ECDSA-P256-SHA256" || 0x00
//!               || access key id || counter (one byte, from 1) || be32(256)
//! k0 = HMAC-SHA256(input key, fixed input)
//! k0 > n - 2 ? try the next counter : private key = k0 + 1
//! ```
//!
//! where n is the order of the P-256 group. Unlike the SigV4 signing key,
//! it depends on neither the date, the region nor the service: one key
//! serves every request the credentials sign.
//!
//! See <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html#derive-signing-key-sigv4a>.

use std::cmp::Ordering;
use std::fmt;
use std::sync::{Arc, RwLock};

use hmac::{Hmac, Mac};
use p256::ecdsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
use sha2::Sha256;
use zeroize::Zeroizing;

use super::ALGORITHM;
use super::signature::Signature;
use super::string_to_sign::StringToSign;
use crate::credentials::Credentials;
use crate::error::{Error, Redacted};

/// The order of the P-256 group minus 2, big-endian (NIST SP 800-186 §3.2.1.3).
const ORDER_MINUS_2: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x4f,
];

/// The ECDSA P-256 private key that SigV4a signs with, derived from
/// credentials with the NIST SP 800-108 KDF in counter mode (HMAC-SHA256):
///
/// ```text
/// input key   = "AWS4A" + secret access key
/// fixed input = be32(1) || "AWS4-ECDSA-P256-SHA256" || 0x00
///               || access key id || counter (one byte, from 1) || be32(256)
/// k0 = HMAC-SHA256(input key, fixed input)
/// k0 > n - 2 ? try the next counter : private key = k0 + 1
/// ```
///
/// where n is the order of the P-256 group. It depends on neither the date,
/// the region nor the service.
///
/// A secret: zeroized on drop, no `Display`, a redacted `Debug`. Its
/// [`PublicKey`] is computed once, when the key is derived (that scalar
/// multiplication is most of the derivation's cost), and is what a verifier
/// checks signatures with.
///
/// ```
/// use awsig::Credentials;
/// use awsig::v4a::SigningKey;
///
/// let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")?;
/// let key = SigningKey::derive(&creds)?;
/// // The public key of the AWS signing test suite's v4a cases.
/// assert_eq!(key.public_key().x_hex(), "b6618f6a65740a99e650b33b6b4b5bd0d43b176d721a3edfea7e7d2d56d936b1");
/// assert!(!format!("{key:?}").contains(&hex::encode(key.expose_secret_bytes())));
/// # Ok::<(), awsig::Error>(())
/// ```
#[derive(Clone)]
pub struct SigningKey {
    key: p256::ecdsa::SigningKey,
    public: PublicKey,
}

impl SigningKey {
    /// Derives the key pair from credentials (their access key id and
    /// secret access key; a session token plays no part).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidSecretAccessKey`] when no counter from 1 to 255 gives
    /// a candidate below n − 1: for a random secret the chance is about
    /// 2⁻⁸¹⁶⁰, so it happens only for crafted inputs, if any.
    pub fn derive(credentials: &Credentials) -> Result<Self, Error> {
        Self::derive_from(credentials.access_key_id(), credentials.secret_access_key())
    }

    /// As [`SigningKey::derive`], from the two texts.
    ///
    /// # Errors
    ///
    /// As [`SigningKey::derive`].
    pub fn derive_from(access_key_id: &str, secret_access_key: &str) -> Result<Self, Error> {
        let private = derive_private_key(access_key_id, secret_access_key)?;
        Self::from_private_bytes(&private)
    }

    /// A key from its 32 private-key bytes (big-endian scalar), for keys
    /// derived elsewhere.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidSecretAccessKey`] when the bytes are zero or not
    /// below the group order.
    pub fn from_private_bytes(bytes: &[u8; 32]) -> Result<Self, Error> {
        let field = Zeroizing::new(p256::FieldBytes::from(*bytes));
        let key = p256::ecdsa::SigningKey::from_bytes(&field).map_err(|_| {
            Error::InvalidSecretAccessKey {
                reason: "it does not give a valid P-256 private key",
            }
        })?;
        let public = PublicKey(*key.verifying_key());
        Ok(Self { key, public })
    }

    /// The public key: what a verifier checks signatures with.
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// Signs a string to sign: ECDSA P-256 over its SHA-256, with the nonce
    /// of RFC 6979 (deterministic, so no random source is needed).
    pub fn sign(&self, string_to_sign: &StringToSign<'_>) -> Signature {
        self.sign_digest(&string_to_sign.digest())
    }

    /// Signs arbitrary bytes the way a string to sign is signed.
    pub fn sign_bytes(&self, message: &[u8]) -> Signature {
        use sha2::Digest;
        self.sign_digest(&Sha256::digest(message).into())
    }

    /// Signs a SHA-256 digest.
    pub(crate) fn sign_digest(&self, digest: &[u8; 32]) -> Signature {
        // A 32-byte digest is the size P-256 signs; signing cannot fail
        // then, and a failure would only be reported as an empty signature.
        let signature: Result<p256::ecdsa::DerSignature, _> = self.key.sign_prehash(digest);
        match signature {
            Ok(der) => Signature::from_der_unchecked(der.as_bytes()),
            Err(_) => Signature::empty(),
        }
    }

    /// The 32 private-key bytes, big-endian. A secret: use only to compare
    /// with a known derivation, never to log.
    pub fn expose_secret_bytes(&self) -> Zeroizing<[u8; 32]> {
        let bytes = Zeroizing::new(self.key.to_bytes());
        let mut out = Zeroizing::new([0u8; 32]);
        out.copy_from_slice(bytes.as_slice());
        out
    }
}

/// The key is zeroized when dropped (`p256` wipes its scalar).
impl zeroize::ZeroizeOnDrop for SigningKey {}

impl PartialEq for SigningKey {
    /// Compares in constant time.
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl Eq for SigningKey {}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("private", &Redacted)
            .field("public", &self.public)
            .finish()
    }
}

/// A P-256 public key: what a SigV4a signature is checked with.
///
/// ```
/// use awsig::v4a::PublicKey;
/// let key = PublicKey::from_coordinates_hex(
///     "b6618f6a65740a99e650b33b6b4b5bd0d43b176d721a3edfea7e7d2d56d936b1",
///     "865ed22a7eadc9c5cb9d2cbaca1b3699139fedc5043dc6661864218330c8e518",
/// )?;
/// assert_eq!(key.y_hex(), "865ed22a7eadc9c5cb9d2cbaca1b3699139fedc5043dc6661864218330c8e518");
/// # Ok::<(), awsig::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(p256::ecdsa::VerifyingKey);

impl PublicKey {
    /// A key from its affine coordinates, 32 bytes each, big-endian.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidPublicKey`] when the point is not on the curve.
    pub fn from_coordinates(x: &[u8; 32], y: &[u8; 32]) -> Result<Self, Error> {
        let mut sec1 = [0u8; 65];
        sec1[0] = 4;
        sec1[1..33].copy_from_slice(x);
        sec1[33..].copy_from_slice(y);
        Self::from_sec1_bytes(&sec1)
    }

    /// A key from its affine coordinates as 64 hex digits each (the form of
    /// the AWS signing test suite's `public-key.json`).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidPublicKey`] when a coordinate is not 64 hex digits
    /// or the point is not on the curve.
    pub fn from_coordinates_hex(x: &str, y: &str) -> Result<Self, Error> {
        let parse = |text: &str| {
            let mut out = [0u8; 32];
            hex::decode_to_slice(text, &mut out).map_err(|_| Error::InvalidPublicKey {
                reason: "a coordinate is not 64 hexadecimal digits",
            })?;
            Ok::<_, Error>(out)
        };
        Self::from_coordinates(&parse(x)?, &parse(y)?)
    }

    /// A key from its SEC1 encoding (65 bytes uncompressed, `04 || x || y`,
    /// or 33 bytes compressed).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidPublicKey`] when the bytes are no SEC1 encoding of a
    /// point on the curve.
    pub fn from_sec1_bytes(bytes: &[u8]) -> Result<Self, Error> {
        p256::ecdsa::VerifyingKey::from_sec1_bytes(bytes)
            .map(Self)
            .map_err(|_| Error::InvalidPublicKey {
                reason: "it is not a SEC1-encoded point on P-256",
            })
    }

    /// The uncompressed SEC1 encoding, `04 || x || y` (65 bytes).
    pub fn to_sec1_bytes(&self) -> [u8; 65] {
        let point = self.0.to_sec1_point(false);
        let mut out = [0u8; 65];
        if let Some(slot) = out.get_mut(..point.as_bytes().len()) {
            slot.copy_from_slice(point.as_bytes());
        }
        out
    }

    /// The x coordinate, 64 lowercase hex digits.
    pub fn x_hex(&self) -> String {
        hex::encode(self.to_sec1_bytes().get(1..33).unwrap_or(&[]))
    }

    /// The y coordinate, 64 lowercase hex digits.
    pub fn y_hex(&self) -> String {
        hex::encode(self.to_sec1_bytes().get(33..).unwrap_or(&[]))
    }

    /// Whether `signature` is this key's signature of `string_to_sign`.
    pub fn verify(&self, string_to_sign: &StringToSign<'_>, signature: &Signature) -> bool {
        self.verify_digest(&string_to_sign.digest(), signature)
    }

    /// Whether `signature` is this key's signature of the SHA-256 digest.
    pub(crate) fn verify_digest(&self, digest: &[u8; 32], signature: &Signature) -> bool {
        let Ok(parsed) = p256::ecdsa::Signature::from_der(signature.der()) else {
            return false;
        };
        self.0.verify_prehash(digest, &parsed).is_ok()
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey")
            .field("x", &self.x_hex())
            .field("y", &self.y_hex())
            .finish()
    }
}

/// The private key bytes for credentials: the KDF of the module
/// documentation.
fn derive_private_key(
    access_key_id: &str,
    secret_access_key: &str,
) -> Result<Zeroizing<[u8; 32]>, Error> {
    let mut input_key = Zeroizing::new(Vec::with_capacity(5 + secret_access_key.len()));
    input_key.extend_from_slice(b"AWS4A");
    input_key.extend_from_slice(secret_access_key.as_bytes());
    let keyed = <Hmac<Sha256> as Mac>::new_from_slice(&input_key).map_err(|_| {
        Error::InvalidSecretAccessKey {
            reason: "it cannot key HMAC-SHA256",
        }
    })?;
    for counter in 1..=u8::MAX {
        let mut mac = keyed.clone();
        mac.update(&1u32.to_be_bytes());
        mac.update(ALGORITHM.as_bytes());
        mac.update(&[0]);
        mac.update(access_key_id.as_bytes());
        mac.update(&[counter]);
        mac.update(&256u32.to_be_bytes());
        let mut candidate = Zeroizing::new([0u8; 32]);
        candidate.copy_from_slice(&mac.finalize().into_bytes());
        if compare_be(&candidate[..], &ORDER_MINUS_2) != Some(Ordering::Greater) {
            add_one_be(&mut candidate[..]);
            return Ok(candidate);
        }
    }
    Err(Error::InvalidSecretAccessKey {
        reason: "no counter derives a P-256 private key from it",
    })
}

/// Compares two big-endian numbers of the same length in time that depends
/// only on the length; `None` when the lengths differ.
fn compare_be(a: &[u8], b: &[u8]) -> Option<Ordering> {
    if a.len() != b.len() {
        return None;
    }
    // From the least significant byte up: a later (more significant)
    // difference overrides an earlier one, without a branch on the data.
    let (mut greater, mut less) = (0u8, 0u8);
    for (&x, &y) in a.iter().zip(b).rev() {
        let gt = u8::from(x > y);
        let lt = u8::from(x < y);
        let differ = gt | lt;
        greater = (greater & !(0u8.wrapping_sub(differ))) | gt;
        less = (less & !(0u8.wrapping_sub(differ))) | lt;
    }
    let order = i8::try_from(greater).unwrap_or(0) - i8::try_from(less).unwrap_or(0);
    Some(std::hint::black_box(order).cmp(&0))
}

/// Adds one to a big-endian number in place, wrapping at its width, in
/// time that depends only on its length.
fn add_one_be(number: &mut [u8]) {
    let mut carry = 1u16;
    for byte in number.iter_mut().rev() {
        let sum = u16::from(*byte) + carry;
        *byte = sum as u8;
        carry = sum >> 8;
    }
}

/// The signer's derived key, kept for the credentials it was derived from
/// (their fingerprint covers the access key id and the secret, so a rotated
/// secret under the same key id derives a new key).
pub(crate) struct KeyCache {
    slot: RwLock<Option<(u64, Arc<SigningKey>)>>,
}

impl KeyCache {
    pub(crate) fn new() -> Self {
        Self {
            slot: RwLock::new(None),
        }
    }

    /// The key for `credentials`: the cached one when it was derived from
    /// the same credentials, else derived now (and kept).
    pub(crate) fn get(&self, credentials: &Credentials) -> Result<Arc<SigningKey>, Error> {
        let fingerprint = credentials.fingerprint();
        if let Ok(slot) = self.slot.read()
            && let Some((fp, key)) = slot.as_ref()
            && *fp == fingerprint
        {
            return Ok(Arc::clone(key));
        }
        let key = Arc::new(SigningKey::derive(credentials)?);
        if let Ok(mut slot) = self.slot.write() {
            *slot = Some((fingerprint, Arc::clone(&key)));
        }
        Ok(key)
    }

    /// Forgets the key (after the signer's credentials changed).
    pub(crate) fn clear(&mut self) {
        if let Ok(slot) = self.slot.get_mut() {
            *slot = None;
        }
    }
}

impl fmt::Debug for KeyCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyCache").field("key", &Redacted).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(text: &str) -> Vec<u8> {
        hex::decode(text).unwrap()
    }

    /// aws-c-auth's `be_sequence_add_one` vectors.
    #[test]
    fn adds_one() {
        for (input, expected) in [
            ("000000", "000001"),
            ("0000ff", "000100"),
            ("00ffff", "010000"),
            ("ffffffff", "00000000"),
        ] {
            let mut n = unhex(input);
            add_one_be(&mut n);
            assert_eq!(hex::encode(&n), expected, "{input}");
        }
    }

    /// aws-c-auth's `be_sequence_compare` vectors, both ways round.
    #[test]
    fn compares() {
        assert_eq!(compare_be(&unhex("000000"), &unhex("000001ff")), None);
        for (a, b, expected) in [
            ("000000", "000001", Ordering::Less),
            ("abcd80ff010a", "abcd80ff010a", Ordering::Equal),
            ("ffcd80ff010a", "fecd80ff010a", Ordering::Greater),
        ] {
            assert_eq!(compare_be(&unhex(a), &unhex(b)), Some(expected), "{a} {b}");
            assert_eq!(
                compare_be(&unhex(b), &unhex(a)),
                Some(expected.reverse()),
                "{b} {a}"
            );
        }
    }

    /// A comparison against n − 2 that agrees with `Ord` on byte arrays
    /// (which compares big-endian numbers of one width).
    #[test]
    fn compare_agrees_with_ord() {
        let mut x = 0x1234_5678_9abc_def1u64;
        for _ in 0..2000 {
            let mut a = ORDER_MINUS_2;
            let mut b = ORDER_MINUS_2;
            for i in 0..4 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                a[(x % 32) as usize] = (x >> 8) as u8;
                b[((x >> 16) % 32) as usize] = (x >> 24) as u8;
                if i == 3 && x.is_multiple_of(5) {
                    b = a;
                }
            }
            assert_eq!(compare_be(&a, &b), Some(a.cmp(&b)));
        }
    }

    /// aws-c-auth's fixed derivation vector (`credentials_derive_ecc_key_fixed`):
    /// the private key and both public coordinates.
    #[test]
    fn derives_the_aws_c_auth_fixed_key() {
        let key = SigningKey::derive_from(
            "AKISORANDOMAASORANDOM",
            "q+jcrXGc+0zWN6uzclKVhvMmUsIfRPa4rlRandom",
        )
        .unwrap();
        assert_eq!(
            hex::encode(*key.expose_secret_bytes()),
            "7fd3bd010c0d9c292141c2b77bfbde1042c92e6836fff749d1269ec890fca1bd"
        );
        assert_eq!(
            key.public_key().x_hex(),
            "15d242ceebf8d8169fd6a8b5a746c41140414c3b07579038da06af89190fffcb"
        );
        assert_eq!(
            key.public_key().y_hex(),
            "0515242cedd82e94799482e4c0514b505afccf2c0c98d6a553bf539f424c5ec0"
        );
        let shown = format!("{key:?}");
        assert!(!shown.contains("7fd3bd01"), "{shown}");
    }

    /// aws-c-auth's `credentials_derive_ecc_key_long_access_key`: a
    /// 300-byte access key id derives a key.
    #[test]
    fn derives_from_a_long_access_key_id() {
        let id = format!("AKISORANDOMAASORANDOM{}f", "F".repeat(308));
        assert!(SigningKey::derive_from(&id, "q+jcrXGc+0zWN6uzclKVhvMmUsIfRPa4rlRandom").is_ok());
    }

    #[test]
    fn cache_is_keyed_by_the_secret_too() {
        let cache = KeyCache::new();
        let a = Credentials::new("AKID", "secret-one").unwrap();
        let b = Credentials::new("AKID", "secret-two").unwrap();
        let ka = cache.get(&a).unwrap();
        assert!(Arc::ptr_eq(&ka, &cache.get(&a).unwrap()));
        let kb = cache.get(&b).unwrap();
        assert_ne!(*ka, *kb);
        assert_eq!(*kb, SigningKey::derive(&b).unwrap());
    }
}
