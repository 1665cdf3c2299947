//! Why an event cannot be signed, and why a stream fails verification.

use super::frame::FrameError;
use crate::scope::AmzDate;

/// Why an event stream message cannot be signed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EventStreamError {
    /// The bytes to sign are not exactly one valid event stream message, or
    /// the headers and payload given cannot be encoded as one.
    #[error("the message to sign is not a valid event stream message: {0}")]
    Message(FrameError),
    /// The signed envelope would be larger than the 16 MiB a message may be.
    #[error(
        "the envelope of a {message_len}-byte message would be over 16 MiB: the message may be at most {limit} bytes"
    )]
    EnvelopeTooLarge {
        /// The length of the message to wrap, in bytes.
        message_len: usize,
        /// The longest message that can be wrapped, in bytes.
        limit: usize,
    },
    /// The end of the stream (the empty message) has been signed: nothing
    /// can follow it.
    #[error("the stream has ended: nothing can be signed after the end-of-stream message")]
    Ended,
    /// A seed or prior signature is not usable.
    #[error("invalid seed signature: {reason}")]
    InvalidSeed {
        /// What is wrong with it.
        reason: &'static str,
    },
}

/// Why an event stream fails verification. `index` is the position of the
/// refused envelope in the stream, from 0.
///
/// After a rejection the stream stays refused: every later envelope gets
/// [`EventRejection::Failed`]. No variant carries a key or a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EventRejection {
    /// The envelope is not exactly one valid event stream message.
    #[error("envelope {index} is malformed: {error}")]
    Malformed {
        /// The envelope's position.
        index: u64,
        /// What is wrong.
        error: FrameError,
    },
    /// The envelope's payload is neither empty (the end of the stream) nor
    /// exactly one valid event stream message.
    #[error("the message wrapped in envelope {index} is malformed: {error}")]
    MalformedMessage {
        /// The envelope's position.
        index: u64,
        /// What is wrong.
        error: FrameError,
    },
    /// The envelope lacks `:date` or `:chunk-signature`.
    #[error("envelope {index} has no {name} header")]
    MissingHeader {
        /// The envelope's position.
        index: u64,
        /// The header's name.
        name: &'static str,
    },
    /// The envelope has `:date` or `:chunk-signature` more than once.
    #[error("envelope {index} has more than one {name} header")]
    RepeatedHeader {
        /// The envelope's position.
        index: u64,
        /// The header's name.
        name: &'static str,
    },
    /// The envelope has a header other than `:date` and `:chunk-signature`.
    #[error("envelope {index} has a header that envelopes do not carry: {name:?}")]
    UnexpectedHeader {
        /// The envelope's position.
        index: u64,
        /// The header's name (lossy, at most 64 bytes).
        name: String,
    },
    /// `:date` is not a timestamp within 1970..=9999, or `:chunk-signature`
    /// is not 32 bytes.
    #[error("envelope {index}: header {name} is not valid: {reason}")]
    InvalidHeader {
        /// The envelope's position.
        index: u64,
        /// The header's name.
        name: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
    /// The envelope's `:date` is further from now than the allowed clock
    /// skew.
    #[error("envelope {index} was signed at {date}, further from now than the allowed clock skew")]
    ClockSkew {
        /// The envelope's position.
        index: u64,
        /// Its signing time.
        date: AmzDate,
    },
    /// The signature does not follow the chain: the envelope was altered,
    /// reordered, or one before it was dropped.
    #[error(
        "envelope {index}: the signature does not match (altered, reordered, or a message before it dropped); the string to sign computed is {string_to_sign:?}"
    )]
    SignatureMismatch {
        /// The envelope's position.
        index: u64,
        /// The string to sign the verifier computed.
        string_to_sign: String,
    },
    /// The envelope repeats the one before it (its signature is the prior
    /// signature).
    #[error("envelope {index} replays the envelope before it")]
    Replayed {
        /// The envelope's position.
        index: u64,
    },
    /// An envelope follows the end of the stream (the empty message).
    #[error("envelope {index} follows the end of the stream")]
    AfterEnd {
        /// The envelope's position.
        index: u64,
    },
    /// An earlier envelope was refused: the stream is no longer verified.
    #[error("an earlier envelope was refused: the stream is no longer verified")]
    Failed,
    /// The stream stopped before its end-of-stream message (the last
    /// messages may have been dropped).
    #[error("the stream stopped after {verified} envelopes without its end-of-stream message")]
    Unterminated {
        /// How many envelopes were verified.
        verified: u64,
    },
}
