//! The sans-IO stream verifier: checks each envelope's place in the chain.

use std::borrow::Borrow;
use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

use super::error::EventRejection;
use super::frame::{HeaderValue, Message};
use super::string_to_sign::{
    CHUNK_SIGNATURE_HEADER, DATE_HEADER, EventStringToSign, PriorSignature, date_header,
};
use crate::error::lossy;
use crate::scope::AmzDate;
use crate::sign::Signer;
use crate::signature::Signature;
use crate::verify::DEFAULT_MAX_CLOCK_SKEW;

/// Verifies the envelopes of one event stream, in order, for servers and
/// test doubles.
///
/// Created from the seed signature (the verified signature of the request
/// that opened the stream) and a [`Signer`] with the credentials, region
/// and service the request was signed with. Each envelope must be exactly
/// one message with the headers `:chunk-signature` (32 bytes) and `:date`
/// (a timestamp) and nothing else, in either order; its payload must be
/// empty (the end of the stream) or exactly one valid message; its `:date`
/// must be within the clock skew of `now`; and its signature must chain
/// from the one before. A reordered, dropped, replayed or altered envelope
/// is refused, and after a refusal every later envelope is too. When the
/// transport ends, [`EventVerifier::finish`] tells whether the stream ended
/// with its end-of-stream message.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use awsig::{Credentials, Signature, Signer};
/// use awsig::event_stream::{self, EventSigner, EventVerifier};
///
/// let signer = Signer::new(Credentials::new("AKID", "SECRET")?, "us-east-1", "transcribe")?;
/// let seed = Signature::parse(&"ab".repeat(32)).unwrap();
/// let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
/// let mut message = Vec::new();
/// event_stream::encode(&[], b"audio", &mut message)?;
///
/// let mut client = EventSigner::new(&signer, &seed);
/// let first = client.sign(&message, now)?;
/// let end = client.end(now)?;
///
/// let mut server = EventVerifier::new(&signer, &seed);
/// let event = server.verify(first.as_bytes(), now)?;
/// assert_eq!(event.message().unwrap().payload(), b"audio");
/// assert!(server.verify(end.as_bytes(), now)?.is_end());
/// server.finish()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct EventVerifier<S> {
    signer: S,
    prior: PriorSignature,
    verified: u64,
    state: State,
    max_clock_skew: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Open,
    Ended,
    Failed,
}

/// An envelope that verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifiedEvent<'m> {
    index: u64,
    date: AmzDate,
    signature: Signature,
    message: Option<Message<'m>>,
}

impl<'m> VerifiedEvent<'m> {
    /// The envelope's position in the stream, from 0.
    pub fn index(&self) -> u64 {
        self.index
    }

    /// The signing time (`:date`, whole seconds).
    pub fn amz_date(&self) -> &AmzDate {
        &self.date
    }

    /// The envelope's signature.
    pub fn signature(&self) -> &Signature {
        &self.signature
    }

    /// The wrapped message; `None` for the end of the stream.
    pub fn message(&self) -> Option<Message<'m>> {
        self.message
    }

    /// Whether this is the end-of-stream envelope (an empty payload).
    pub fn is_end(&self) -> bool {
        self.message.is_none()
    }
}

impl<S: Borrow<Signer>> EventVerifier<S> {
    /// A verifier whose first envelope chains from `seed`.
    pub fn new(signer: S, seed: &Signature) -> Self {
        Self::with_prior(signer, PriorSignature::from_signature(seed))
    }

    /// A verifier that chains from any prior signature.
    pub fn with_prior(signer: S, prior: PriorSignature) -> Self {
        Self {
            signer,
            prior,
            verified: 0,
            state: State::Open,
            max_clock_skew: DEFAULT_MAX_CLOCK_SKEW,
        }
    }

    /// Sets how far an envelope's `:date` may be from `now` (15 minutes by
    /// default, as for requests).
    pub fn with_max_clock_skew(mut self, skew: Duration) -> Self {
        self.max_clock_skew = skew;
        self
    }

    /// How many envelopes have verified.
    pub fn verified(&self) -> u64 {
        self.verified
    }

    /// Whether the end-of-stream envelope has verified.
    pub fn is_ended(&self) -> bool {
        self.state == State::Ended
    }

    /// The signature the next envelope must chain from.
    pub fn prior_signature(&self) -> &PriorSignature {
        &self.prior
    }

    /// Verifies the next envelope (exactly one message's bytes) at `now`.
    ///
    /// # Errors
    ///
    /// An [`EventRejection`] naming the first fault; the stream is then
    /// refused for good ([`EventRejection::Failed`] for every later call).
    pub fn verify<'m>(
        &mut self,
        envelope: &'m [u8],
        now: SystemTime,
    ) -> Result<VerifiedEvent<'m>, EventRejection> {
        let index = self.verified;
        let result = match self.state {
            State::Failed => return Err(EventRejection::Failed),
            State::Ended => Err(EventRejection::AfterEnd { index }),
            State::Open => self.check(envelope, now),
        };
        match &result {
            Ok(event) => {
                self.prior = PriorSignature::from_signature(&event.signature);
                self.verified += 1;
                if event.is_end() {
                    self.state = State::Ended;
                }
            }
            Err(_) => self.state = State::Failed,
        }
        result
    }

    /// Tells whether the stream ended properly, when its transport ends.
    ///
    /// # Errors
    ///
    /// [`EventRejection::Unterminated`] when no end-of-stream envelope has
    /// verified (the stream was cut, or its last envelopes dropped);
    /// [`EventRejection::Failed`] when an envelope was refused.
    pub fn finish(&self) -> Result<(), EventRejection> {
        match self.state {
            State::Ended => Ok(()),
            State::Failed => Err(EventRejection::Failed),
            State::Open => Err(EventRejection::Unterminated {
                verified: self.verified,
            }),
        }
    }

    fn check<'m>(
        &self,
        envelope: &'m [u8],
        now: SystemTime,
    ) -> Result<VerifiedEvent<'m>, EventRejection> {
        let index = self.verified;
        let outer = Message::decode_exact(envelope)
            .map_err(|error| EventRejection::Malformed { index, error })?;
        let mut carried: Option<&[u8]> = None;
        let mut millis: Option<i64> = None;
        for header in outer.headers() {
            let invalid = |name, reason| EventRejection::InvalidHeader {
                index,
                name,
                reason,
            };
            let repeated = |name| EventRejection::RepeatedHeader { index, name };
            match (header.name, header.value) {
                (CHUNK_SIGNATURE_HEADER, _) if carried.is_some() => {
                    return Err(repeated(CHUNK_SIGNATURE_HEADER));
                }
                (CHUNK_SIGNATURE_HEADER, HeaderValue::ByteArray(b)) if b.len() == 32 => {
                    carried = Some(b);
                }
                (CHUNK_SIGNATURE_HEADER, HeaderValue::ByteArray(_)) => {
                    return Err(invalid(CHUNK_SIGNATURE_HEADER, "it is not 32 bytes"));
                }
                (CHUNK_SIGNATURE_HEADER, _) => {
                    return Err(invalid(CHUNK_SIGNATURE_HEADER, "it is not a byte array"));
                }
                (DATE_HEADER, _) if millis.is_some() => return Err(repeated(DATE_HEADER)),
                (DATE_HEADER, HeaderValue::Timestamp(ms)) => millis = Some(ms),
                (DATE_HEADER, _) => return Err(invalid(DATE_HEADER, "it is not a timestamp")),
                (name, _) => {
                    return Err(EventRejection::UnexpectedHeader {
                        index,
                        name: lossy(name.as_bytes()),
                    });
                }
            }
        }
        let missing = |name| EventRejection::MissingHeader { index, name };
        let carried = carried.ok_or(missing(CHUNK_SIGNATURE_HEADER))?;
        let millis = millis.ok_or(missing(DATE_HEADER))?;
        let out_of_range = EventRejection::InvalidHeader {
            index,
            name: DATE_HEADER,
            reason: "it is not a time within 1970..=9999",
        };
        let secs = u64::try_from(millis.div_euclid(1000)).map_err(|_| out_of_range.clone())?;
        let date = AmzDate::from_unix_seconds(secs).map_err(|_| out_of_range)?;
        let now_secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        if secs.abs_diff(now_secs) > self.max_clock_skew.as_secs() {
            return Err(EventRejection::ClockSkew { index, date });
        }
        let payload = outer.payload();
        let message = if payload.is_empty() {
            None
        } else {
            Some(
                Message::decode_exact(payload)
                    .map_err(|error| EventRejection::MalformedMessage { index, error })?,
            )
        };
        // The `:date` header as sent: its milliseconds may not be whole
        // seconds, and the hash covers them as they are.
        let mut sent_date = date_header(&date);
        if let Some(value) = sent_date.get_mut(7..) {
            value.copy_from_slice(&millis.to_be_bytes());
        }
        let signer = self.signer.borrow();
        let sts = EventStringToSign::from_digests(
            signer.scope(&date),
            self.prior,
            &Sha256::digest(sent_date).into(),
            &Sha256::digest(payload).into(),
        );
        let signature = sts.sign(&signer.signing_key(&date));
        let expected = PriorSignature::from_signature(&signature);
        if !crate::constant_time_eq(expected.as_bytes(), carried) {
            if crate::constant_time_eq(self.prior.as_bytes(), carried) {
                return Err(EventRejection::Replayed { index });
            }
            return Err(EventRejection::SignatureMismatch {
                index,
                string_to_sign: sts.to_string(),
            });
        }
        Ok(VerifiedEvent {
            index,
            date,
            signature,
            message,
        })
    }
}

impl<S> fmt::Debug for EventVerifier<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventVerifier")
            .field("prior", &self.prior)
            .field("verified", &self.verified)
            .field("state", &self.state)
            .field("max_clock_skew", &self.max_clock_skew)
            .finish()
    }
}
