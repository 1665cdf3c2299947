//! Stage 3: the signing key, and the cache that derives it once a day.
//!
//! ```text
//! kDate    = HMAC("AWS4" + secret, "20150830")
//! kRegion  = HMAC(kDate, "us-east-1")
//! kService = HMAC(kRegion, "iam")
//! kSigning = HMAC(kService, "aws4_request")
//! ```
//!
//! See <https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html#derive-signing-key>.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering, fence};

use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::{Zeroize, Zeroizing};

use crate::credentials::Credentials;
use crate::error::Redacted;
use crate::scope::{AmzDate, Region, Service};
use crate::sha256::HmacKey;
use crate::signature::Signature;
use crate::sink::{Sink, StackText};
use crate::string_to_sign::StringToSign;

type HmacSha256 = Hmac<Sha256>;

fn hmac(key: &[u8], data: &[&[u8]]) -> Zeroizing<[u8; 32]> {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = match HmacSha256::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => return Zeroizing::new([0; 32]),
    };
    for d in data {
        Mac::update(&mut mac, d);
    }
    Zeroizing::new(mac.finalize().into_bytes().into())
}

/// The derived signing key for one date, region and service. Zeroized on
/// drop; `Debug` does not print it.
///
/// It keeps HMAC's two keyed states beside the key, so that signing with it
/// hashes only the message.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKey {
    key: Zeroizing<[u8; 32]>,
    hmac: HmacKey,
}

impl SigningKey {
    /// Derives the key from a secret access key.
    pub fn derive(
        secret_access_key: &str,
        date: &AmzDate,
        region: &Region,
        service: &Service,
    ) -> Self {
        let mut k_secret = Zeroizing::new(Vec::with_capacity(4 + secret_access_key.len()));
        k_secret.extend_from_slice(b"AWS4");
        k_secret.extend_from_slice(secret_access_key.as_bytes());
        let k_date = hmac(&k_secret, &[date.date().as_bytes()]);
        let k_region = hmac(&*k_date, &[region.as_str().as_bytes()]);
        let k_service = hmac(&*k_region, &[service.as_str().as_bytes()]);
        Self::from_key(hmac(&*k_service, &[b"aws4_request"]))
    }

    fn from_key(key: Zeroizing<[u8; 32]>) -> Self {
        let hmac = HmacKey::new(&*key);
        Self { key, hmac }
    }

    /// Derives the key from credentials.
    pub fn from_credentials(
        credentials: &Credentials,
        date: &AmzDate,
        region: &Region,
        service: &Service,
    ) -> Self {
        Self::derive(credentials.secret_access_key(), date, region, service)
    }

    /// Signs a string to sign.
    pub fn sign(&self, string_to_sign: &StringToSign<'_>) -> Signature {
        sign_with(&self.hmac, string_to_sign)
    }

    /// HMAC-SHA256 of arbitrary bytes with this key (chunk and event
    /// signatures sign other strings with the same key).
    pub fn sign_bytes(&self, data: &[u8]) -> Signature {
        let mut mac = self.hmac.mac();
        mac.put(data);
        Signature::from_mac(&mac.finish())
    }

    #[cfg(feature = "chunked")]
    /// HMAC-SHA256 with this key of what `write` puts into the MAC: for
    /// the other strings to sign (chunks, trailers), written straight into
    /// the hash.
    pub(crate) fn sign_with_writer(
        &self,
        write: impl FnOnce(&mut crate::sha256::Mac<'_>),
    ) -> Signature {
        let mut mac = self.hmac.mac();
        write(&mut mac);
        Signature::from_mac(&mac.finish())
    }

    /// The raw key bytes. A secret: use only to compare with a known
    /// derivation, never to log.
    pub fn expose_secret_bytes(&self) -> &[u8; 32] {
        &self.key
    }

    /// The key and its keyed states as words, for the cache.
    fn to_words(&self) -> Zeroizing<[u64; WORDS]> {
        let mut words = Zeroizing::new([0u64; WORDS]);
        let (key_words, rest) = words.split_at_mut(4);
        let (inner_words, outer_words) = rest.split_at_mut(4);
        for (w, chunk) in key_words.iter_mut().zip(self.key.chunks_exact(8)) {
            let mut b = [0u8; 8];
            b.copy_from_slice(chunk);
            *w = u64::from_le_bytes(b);
            b.zeroize();
        }
        for (words, state) in [
            (inner_words, &self.hmac.inner),
            (outer_words, &self.hmac.outer),
        ] {
            for (w, pair) in words.iter_mut().zip(state.chunks_exact(2)) {
                if let [lo, hi] = pair {
                    *w = u64::from(*lo) | (u64::from(*hi) << 32);
                }
            }
        }
        words
    }

    fn from_words(words: &[u64; WORDS]) -> Self {
        let (key_words, rest) = words.split_at(4);
        let (inner_words, outer_words) = rest.split_at(4);
        let mut key = Zeroizing::new([0u8; 32]);
        for (chunk, w) in key.chunks_exact_mut(8).zip(key_words) {
            chunk.copy_from_slice(&w.to_le_bytes());
        }
        let hmac = hmac_from_words(inner_words.iter().chain(outer_words).copied());
        Self { key, hmac }
    }
}

/// The keyed states from the 8 words the cache keeps them in (inner state
/// first, two state words a cache word).
fn hmac_from_words(words: impl Iterator<Item = u64>) -> HmacKey {
    let mut hmac = HmacKey {
        inner: [0; 8],
        outer: [0; 8],
    };
    let pairs = hmac
        .inner
        .chunks_exact_mut(2)
        .chain(hmac.outer.chunks_exact_mut(2));
    for (pair, w) in pairs.zip(words) {
        if let [lo, hi] = pair {
            *lo = w as u32;
            *hi = (w >> 32) as u32;
        }
    }
    hmac
}

fn sign_with(hmac: &HmacKey, string_to_sign: &StringToSign<'_>) -> Signature {
    let mut mac = hmac.mac();
    string_to_sign.write_to(&mut mac);
    Signature::from_mac(&mac.finish())
}

/// The key bytes are `Zeroizing`.
impl zeroize::ZeroizeOnDrop for SigningKey {}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SigningKey").field(&Redacted).finish()
    }
}

/// One cache entry guarded by a sequence counter rather than a lock:
/// readers never write shared memory, so many threads can sign at once
/// without contending; a writer that loses a race simply does not store,
/// and every reader that sees a torn entry computes the value itself. The
/// counter is odd while a write is in progress. The entry is tagged with
/// what it is for (a day or a second) and the fingerprint of the
/// credentials; its words are cleared on drop.
struct Slot<const N: usize> {
    seq: AtomicU64,
    tag: AtomicU64,
    fingerprint: AtomicU64,
    words: [AtomicU64; N],
}

impl<const N: usize> Slot<N> {
    fn new() -> Self {
        Self {
            seq: AtomicU64::new(0),
            // u64::MAX is no day and no second: the slot starts empty.
            tag: AtomicU64::new(u64::MAX),
            fingerprint: AtomicU64::new(0),
            words: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }

    /// Reads the entry with `load` when it is for `tag` and `fingerprint`
    /// and no write overlapped the read; what `load` made of a torn entry is
    /// dropped (zeroized by its own `Drop`).
    fn read_with<T>(
        &self,
        tag: u64,
        fingerprint: u64,
        load: impl FnOnce(&[AtomicU64; N]) -> T,
    ) -> Option<T> {
        let s1 = self.seq.load(Ordering::Acquire);
        if s1 & 1 == 1 {
            return None;
        }
        let cached_tag = self.tag.load(Ordering::Relaxed);
        let cached_fp = self.fingerprint.load(Ordering::Relaxed);
        let value = load(&self.words);
        fence(Ordering::Acquire);
        if self.seq.load(Ordering::Relaxed) != s1 || cached_tag != tag || cached_fp != fingerprint {
            return None;
        }
        Some(value)
    }

    fn write(&self, tag: u64, fingerprint: u64, words: &[u64; N]) {
        let s = self.seq.load(Ordering::Relaxed);
        if s & 1 == 1
            || self
                .seq
                .compare_exchange(s, s.wrapping_add(1), Ordering::Acquire, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        fence(Ordering::Release);
        self.tag.store(tag, Ordering::Relaxed);
        self.fingerprint.store(fingerprint, Ordering::Relaxed);
        for (slot, w) in self.words.iter().zip(words) {
            slot.store(*w, Ordering::Relaxed);
        }
        self.seq.store(s.wrapping_add(2), Ordering::Release);
    }
}

impl<const N: usize> Drop for Slot<N> {
    fn drop(&mut self) {
        for slot in &self.words {
            slot.store(0, Ordering::Relaxed);
        }
    }
}

/// The signer's key cache: the day's key (with HMAC's keyed states), and
/// the HMAC state after the first block of the current second's strings to
/// sign.
///
/// That block (`AWS4-HMAC-SHA256`, the date and time, and the start of the
/// credential scope) is the same for every request a signer signs in the
/// same second, so a signer at high rates hashes it once a second rather
/// than once a request. The state is as secret as the key: it lives here,
/// beside the key, and is cleared with it.
pub(crate) struct KeyCache {
    key: Slot<WORDS>,
    second: Slot<4>,
}

impl KeyCache {
    pub(crate) fn new() -> Self {
        Self {
            key: Slot::new(),
            second: Slot::new(),
        }
    }

    /// The key for `date`, from the cache when it holds one for the same day
    /// and fingerprint, else derived (and stored).
    pub(crate) fn get(&self, of: &KeyFor<'_>) -> SigningKey {
        let day = of.date.day_number();
        if let Some(key) = self.read(day, of.fingerprint) {
            return key;
        }
        let key = SigningKey::from_credentials(of.credentials, of.date, of.region, of.service);
        self.key.write(day, of.fingerprint, &key.to_words());
        key
    }

    /// Signs with the key for `date`: straight from the cached keyed
    /// states when the cache holds them (the raw key is not read), else
    /// with the key [`KeyCache::get`] gives; and from the cached state after
    /// the first block when it is for this second.
    pub(crate) fn sign(&self, of: &KeyFor<'_>, string_to_sign: &StringToSign<'_>) -> Signature {
        let cached = self
            .key
            .read_with(of.date.day_number(), of.fingerprint, |words| {
                let states = words.get(4..).unwrap_or(&[]);
                hmac_from_words(states.iter().map(|w| w.load(Ordering::Relaxed)))
            });
        let hmac = match cached {
            Some(hmac) => hmac,
            None => self.get(of).hmac.clone(),
        };
        // The first block is the same all second only when it ends inside
        // the scope (`AWS4-HMAC-SHA256\n` and the date line are 34 bytes).
        let scope_line = string_to_sign.scope().text_len() + 1;
        if 34 + scope_line < 64 || 34 + scope_line + 64 > 256 {
            return sign_with(&hmac, string_to_sign);
        }
        let second = of.date.unix_seconds();
        let after_first = self.second.read_with(second, of.fingerprint, |words| {
            let mut state = Zeroizing::new([0u32; 8]);
            for (pair, w) in state.chunks_exact_mut(2).zip(words) {
                let w = w.load(Ordering::Relaxed);
                if let [lo, hi] = pair {
                    *lo = w as u32;
                    *hi = (w >> 32) as u32;
                }
            }
            state
        });
        let mut text = TextBuf::new();
        string_to_sign.write_to(&mut text);
        let (first, rest) = text.get().split_at(64.min(text.len()));
        let mac = match &after_first {
            Some(state) => {
                let mut mac = hmac.mac_after(**state, 2);
                mac.put(rest);
                mac
            }
            None => {
                let mut mac = hmac.mac();
                mac.put(first);
                if let Some(state) = mac.inner_midstate().map(Zeroizing::new) {
                    let mut words = Zeroizing::new([0u64; 4]);
                    for (w, pair) in words.iter_mut().zip(state.chunks_exact(2)) {
                        if let [lo, hi] = pair {
                            *w = u64::from(*lo) | (u64::from(*hi) << 32);
                        }
                    }
                    self.second.write(second, of.fingerprint, &words);
                }
                mac.put(rest);
                mac
            }
        };
        Signature::from_mac(&mac.finish())
    }

    fn read(&self, day: u64, fingerprint: u64) -> Option<SigningKey> {
        let words = self.key.read_with(day, fingerprint, |slots| {
            let mut words = Zeroizing::new([0u64; WORDS]);
            for (w, slot) in words.iter_mut().zip(slots) {
                *w = slot.load(Ordering::Relaxed);
            }
            words
        })?;
        Some(SigningKey::from_words(&words))
    }
}

/// What a signing key is derived from, and the fingerprint of the
/// credentials that the cache is keyed by.
pub(crate) struct KeyFor<'a> {
    pub(crate) credentials: &'a Credentials,
    pub(crate) fingerprint: u64,
    pub(crate) date: &'a AmzDate,
    pub(crate) region: &'a Region,
    pub(crate) service: &'a Service,
}

/// Words of a cached key: 4 of key, 4 of each keyed state.
const WORDS: usize = 12;

/// The text of a string to sign, when it fits in 256 bytes (it does for
/// regions and services of up to 64 bytes each, the limit; `KeyCache::sign`
/// checks that the text fits before it writes).
type TextBuf = StackText<256>;

impl fmt::Debug for KeyCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyCache").field("key", &Redacted).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scope::CredentialScope;

    /// The derivation example of the AWS documentation ("Examples of how to
    /// derive a signing key for Signature Version 4"): secret
    /// wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY, 20120215, us-east-1, iam.
    #[test]
    fn matches_the_aws_documentation_example() {
        let date = AmzDate::parse("20120215T000000Z").unwrap();
        let key = SigningKey::derive(
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            &date,
            &Region::new("us-east-1").unwrap(),
            &Service::new("iam").unwrap(),
        );
        assert_eq!(
            hex::encode(key.expose_secret_bytes()),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
        );
        assert_eq!(format!("{key:?}"), "SigningKey(\"** redacted **\")");
    }

    #[test]
    fn cache_is_keyed_by_day_and_credentials() {
        let cache = KeyCache::new();
        let a = Credentials::new("AKID", "secret-one").unwrap();
        let b = Credentials::new("AKID", "secret-two").unwrap();
        let r = Region::new("us-east-1").unwrap();
        let s = Service::new("sqs").unwrap();
        let d1 = AmzDate::parse("20240101T000000Z").unwrap();
        let d2 = AmzDate::parse("20240102T000000Z").unwrap();
        assert!(cache.read(d1.day_number(), a.fingerprint()).is_none());
        fn of<'a>(
            credentials: &'a Credentials,
            date: &'a AmzDate,
            region: &'a Region,
            service: &'a Service,
        ) -> KeyFor<'a> {
            KeyFor {
                credentials,
                fingerprint: credentials.fingerprint(),
                date,
                region,
                service,
            }
        }
        let k1 = cache.get(&of(&a, &d1, &r, &s));
        assert_eq!(
            cache.read(d1.day_number(), a.fingerprint()),
            Some(k1.clone())
        );
        assert!(cache.read(d1.day_number(), b.fingerprint()).is_none());
        assert!(cache.read(d2.day_number(), a.fingerprint()).is_none());
        let kb = cache.get(&of(&b, &d1, &r, &s));
        assert_ne!(kb, k1);
        assert_eq!(kb, SigningKey::from_credentials(&b, &d1, &r, &s));
        // Signing straight from the cached states (and, on a miss, from a
        // derived key) gives what the key itself gives.
        let sts = StringToSign::from_digest(CredentialScope::new(&d1, &r, &s), &[7; 32]);
        assert!(cache.read(d1.day_number(), b.fingerprint()).is_some());
        assert_eq!(cache.sign(&of(&b, &d1, &r, &s), &sts), kb.sign(&sts));
        let empty = KeyCache::new();
        assert_eq!(
            empty.sign(&of(&a, &d2, &r, &s), &sts),
            SigningKey::from_credentials(&a, &d2, &r, &s).sign(&sts)
        );
    }

    /// The state after the first block of the string to sign is kept for
    /// the second it is for: signatures from it equal the key's own, across
    /// seconds, days, credentials and digests; scopes too short for the
    /// block to end inside them never use it.
    #[test]
    fn first_block_state_is_kept_per_second() {
        let a = Credentials::new("AKID", "secret-one").unwrap();
        let b = Credentials::new("AKID", "secret-two").unwrap();
        for (region, service, kept) in [("us-west-2", "aps", true), ("r", "s", false)] {
            let cache = KeyCache::new();
            let r = Region::new(region).unwrap();
            let s = Service::new(service).unwrap();
            for (i, secs) in [
                1_700_000_000u64,
                1_700_000_000,
                1_700_000_001,
                1_700_086_400,
            ]
            .into_iter()
            .enumerate()
            {
                for creds in [&a, &b, &a] {
                    let date = AmzDate::from_unix_seconds(secs).unwrap();
                    let of = KeyFor {
                        credentials: creds,
                        fingerprint: creds.fingerprint(),
                        date: &date,
                        region: &r,
                        service: &s,
                    };
                    let digest = [i as u8; 32];
                    let sts =
                        StringToSign::from_digest(CredentialScope::new(&date, &r, &s), &digest);
                    let expected = SigningKey::from_credentials(creds, &date, &r, &s).sign(&sts);
                    assert_eq!(cache.sign(&of, &sts), expected, "{region} {secs}");
                    let held = cache
                        .second
                        .read_with(secs, creds.fingerprint(), |_| ())
                        .is_some();
                    assert_eq!(held, kept, "{region} {secs}");
                }
            }
        }
    }
}
