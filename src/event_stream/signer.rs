//! The sans-IO stream signer: wraps each message in a signed envelope.

use std::borrow::Borrow;
use std::fmt;
use std::time::SystemTime;

use sha2::{Digest, Sha256};

use super::error::EventStreamError;
use super::frame::{self, Header, MAX_MESSAGE_LEN, MIN_MESSAGE_LEN, Message, PRELUDE_LEN};
use super::string_to_sign::{
    CHUNK_SIGNATURE_HEADER, EventStringToSign, PriorSignature, date_header,
};
use crate::error::Error;
use crate::scope::AmzDate;
use crate::sign::Signer;
use crate::signature::Signature;

/// The headers section of an envelope: `:chunk-signature` (name length,
/// name, type 6, length 32, the signature) and `:date` (15 bytes).
const ENVELOPE_HEADERS_LEN: usize = 1 + 16 + 1 + 2 + 32 + 15;

/// The longest message that fits in an envelope, in bytes.
pub const MAX_WRAPPED_LEN: usize = MAX_MESSAGE_LEN - MIN_MESSAGE_LEN - ENVELOPE_HEADERS_LEN;

/// Signs the messages of one event stream, each in an envelope whose
/// signature chains from the one before.
///
/// Created from the seed signature (the signature of the request that
/// opened the stream); it keeps the prior signature itself. Each call takes
/// the time as an argument and appends the envelope's bytes: a message with
/// the headers `:chunk-signature` (bytes, the 32-byte signature) and
/// `:date` (timestamp, the signing time in whole seconds), whose payload is
/// the message being wrapped. [`EventSigner::end`] signs the empty message
/// that ends the stream.
///
/// `S` is anything that borrows a [`Signer`] (`&Signer`, `Arc<Signer>`,
/// `Signer`): its credentials, region and service sign every message, with
/// the day's key from its cache.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use awsig::{Credentials, Signature, Signer};
/// use awsig::event_stream::{self, EventSigner, Header, HeaderValue};
///
/// let signer = Signer::new(Credentials::new("AKID", "SECRET")?, "us-east-1", "transcribe")?;
/// let seed = Signature::parse(&"ab".repeat(32)).unwrap(); // from the signed request
/// let mut stream = EventSigner::new(&signer, &seed);
/// let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
///
/// let mut message = Vec::new();
/// event_stream::encode(&[Header::new(":message-type", HeaderValue::String("event"))], b"audio", &mut message)?;
/// let first = stream.sign(&message, now)?;
/// let end = stream.end(now)?;
/// assert_eq!(stream.prior_signature().to_string(), end.signature().as_str());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct EventSigner<S> {
    signer: S,
    prior: PriorSignature,
    signed: u64,
    ended: bool,
}

/// A signed envelope: its bytes and its signature.
#[derive(Clone, PartialEq, Eq)]
pub struct Envelope {
    bytes: Vec<u8>,
    signature: Signature,
}

impl Envelope {
    /// The envelope's bytes, to send.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The envelope's bytes, to send.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// The signature (also in the `:chunk-signature` header, as bytes).
    pub fn signature(&self) -> &Signature {
        &self.signature
    }
}

impl fmt::Debug for Envelope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Envelope")
            .field("len", &self.bytes.len())
            .field("signature", &self.signature)
            .finish()
    }
}

impl<S: Borrow<Signer>> EventSigner<S> {
    /// A stream signer whose first message chains from `seed`, the
    /// signature of the request that opened the stream.
    pub fn new(signer: S, seed: &Signature) -> Self {
        Self::with_prior(signer, PriorSignature::from_signature(seed))
    }

    /// A stream signer that chains from any prior signature (to resume a
    /// stream, or for a seed given as bytes).
    pub fn with_prior(signer: S, prior: PriorSignature) -> Self {
        Self {
            signer,
            prior,
            signed: 0,
            ended: false,
        }
    }

    /// The signature the next message chains from: the seed, then the last
    /// signature made.
    pub fn prior_signature(&self) -> &PriorSignature {
        &self.prior
    }

    /// How many envelopes have been signed.
    pub fn signed(&self) -> u64 {
        self.signed
    }

    /// Whether the end-of-stream message has been signed.
    pub fn is_ended(&self) -> bool {
        self.ended
    }

    /// Signs an encoded message (exactly one, see [`encode`](super::encode)) at
    /// `now` and returns its envelope.
    ///
    /// # Errors
    ///
    /// As [`EventSigner::sign_into`].
    pub fn sign(&mut self, message: &[u8], now: SystemTime) -> Result<Envelope, Error> {
        let mut bytes = Vec::new();
        let signature = self.sign_into(message, now, &mut bytes)?;
        Ok(Envelope { bytes, signature })
    }

    /// Signs an encoded message at `now` and appends its envelope to `out`.
    /// Returns the signature. On error `out` and the chain are left as
    /// they were.
    ///
    /// # Errors
    ///
    /// [`Error::EventStream`] with [`EventStreamError::Message`] when
    /// `message` is not exactly one valid message (an empty one included:
    /// the end of the stream is [`EventSigner::end`]),
    /// [`EventStreamError::EnvelopeTooLarge`] when it is longer than
    /// [`MAX_WRAPPED_LEN`], [`EventStreamError::Ended`] after the end of
    /// the stream; [`Error::TimeOutOfRange`] for a time before 1970 or
    /// after 9999.
    pub fn sign_into(
        &mut self,
        message: &[u8],
        now: SystemTime,
        out: &mut Vec<u8>,
    ) -> Result<Signature, Error> {
        self.check_open()?;
        check_wrapped_len(message.len())?;
        Message::decode_exact(message)
            .map_err(|e| Error::EventStream(EventStreamError::Message(e)))?;
        self.wrap(now, out, message.len(), |out| {
            out.extend_from_slice(message);
            Ok(())
        })
    }

    /// Encodes a message from its headers and payload straight into its
    /// envelope, signs it at `now` and appends the envelope to `out`.
    /// Returns the signature.
    ///
    /// # Errors
    ///
    /// As [`EventSigner::sign_into`], with [`EventStreamError::Message`]
    /// when the headers cannot be encoded ([`encode`](super::encode)).
    pub fn sign_parts_into(
        &mut self,
        headers: &[Header<'_>],
        payload: &[u8],
        now: SystemTime,
        out: &mut Vec<u8>,
    ) -> Result<Signature, Error> {
        self.check_open()?;
        let len = frame::encoded_len(headers, payload.len())
            .map_err(|e| Error::EventStream(EventStreamError::Message(e)))?;
        check_wrapped_len(len)?;
        self.wrap(now, out, len, |out| {
            frame::encode(headers, payload, out).map_err(EventStreamError::Message)?;
            Ok(())
        })
    }

    /// Signs the end of the stream (an envelope around the empty message)
    /// at `now`. Nothing can be signed after it.
    ///
    /// # Errors
    ///
    /// As [`EventSigner::end_into`].
    pub fn end(&mut self, now: SystemTime) -> Result<Envelope, Error> {
        let mut bytes = Vec::new();
        let signature = self.end_into(now, &mut bytes)?;
        Ok(Envelope { bytes, signature })
    }

    /// Signs the end of the stream at `now` and appends its envelope to
    /// `out`. Returns the signature.
    ///
    /// # Errors
    ///
    /// [`EventStreamError::Ended`] when the end is already signed;
    /// [`Error::TimeOutOfRange`] for a time before 1970 or after 9999.
    pub fn end_into(&mut self, now: SystemTime, out: &mut Vec<u8>) -> Result<Signature, Error> {
        self.check_open()?;
        let signature = self.wrap(now, out, 0, |_| Ok(()))?;
        self.ended = true;
        Ok(signature)
    }

    fn check_open(&self) -> Result<(), Error> {
        if self.ended {
            return Err(Error::EventStream(EventStreamError::Ended));
        }
        Ok(())
    }

    /// Appends the envelope around what `write` appends (`len` bytes),
    /// signed at `now`, and moves the chain on.
    fn wrap(
        &mut self,
        now: SystemTime,
        out: &mut Vec<u8>,
        len: usize,
        write: impl FnOnce(&mut Vec<u8>) -> Result<(), EventStreamError>,
    ) -> Result<Signature, Error> {
        let date = AmzDate::from_system_time(now)?;
        let date_header = date_header(&date);
        let start = out.len();
        let total = MIN_MESSAGE_LEN + ENVELOPE_HEADERS_LEN + len;
        out.reserve(total);
        frame::write_prelude(out, total, ENVELOPE_HEADERS_LEN);
        out.push(CHUNK_SIGNATURE_HEADER.len() as u8);
        out.extend_from_slice(CHUNK_SIGNATURE_HEADER.as_bytes());
        out.push(6);
        out.extend_from_slice(&32u16.to_be_bytes());
        let signature_at = out.len();
        out.extend_from_slice(&[0; 32]);
        out.extend_from_slice(&date_header);
        let payload_at = out.len();
        if let Err(e) = write(out) {
            out.truncate(start);
            return Err(Error::EventStream(e));
        }
        let signer = self.signer.borrow();
        let sts = EventStringToSign::from_digests(
            signer.scope(&date),
            self.prior,
            &Sha256::digest(date_header).into(),
            &Sha256::digest(out.get(payload_at..).unwrap_or(&[])).into(),
        );
        let signature = sts.sign(&signer.signing_key(&date));
        let prior = PriorSignature::from_signature(&signature);
        if let Some(slot) = out.get_mut(signature_at..signature_at + 32) {
            slot.copy_from_slice(prior.as_bytes());
        }
        frame::finish_message(out, start);
        debug_assert_eq!(out.len() - start, total);
        debug_assert!(out.len() >= start + PRELUDE_LEN);
        self.prior = prior;
        self.signed += 1;
        Ok(signature)
    }
}

fn check_wrapped_len(len: usize) -> Result<(), Error> {
    if len > MAX_WRAPPED_LEN {
        return Err(Error::EventStream(EventStreamError::EnvelopeTooLarge {
            message_len: len,
            limit: MAX_WRAPPED_LEN,
        }));
    }
    Ok(())
}

impl<S> fmt::Debug for EventSigner<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventSigner")
            .field("prior", &self.prior)
            .field("signed", &self.signed)
            .field("ended", &self.ended)
            .finish()
    }
}
