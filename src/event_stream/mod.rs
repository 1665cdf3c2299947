//! Event streams: signing and verifying each message of an
//! `application/vnd.amazon.eventstream` body (feature `event-stream`).
//!
//! Streaming APIs (Transcribe streaming, Bedrock bidirectional streams, Lex
//! streaming conversations) open with a request signed as usual, its
//! payload hash `STREAMING-AWS4-HMAC-SHA256-EVENTS`
//! ([`PayloadHash::StreamingEvents`](crate::PayloadHash::StreamingEvents)).
//! Its signature is the **seed signature**. Each message then travels in
//! an envelope, itself an event stream message, whose signature covers the
//! one before:
//!
//! ```text
//! request ──sign──▶ seed signature ─┐
//!                                   ▼
//! message 1 ──▶ EventStringToSign(prior = seed, :date, SHA-256(message 1)) ──HMAC──▶ signature 1
//! message 2 ──▶ EventStringToSign(prior = signature 1, …)                  ──HMAC──▶ signature 2
//!   …
//! (empty)   ──▶ EventStringToSign(prior = signature n, …, SHA-256(""))     ──HMAC──▶ end of stream
//! ```
//!
//! - [`EventStringToSign`]: the stage, `AWS4-HMAC-SHA256-PAYLOAD`, the date
//!   and time, the credential scope, the hex prior signature, the hex
//!   SHA-256 of the encoded `:date` header and the hex SHA-256 of the
//!   message; its `Display` is the exact text. It is signed with the day's
//!   [`SigningKey`](crate::SigningKey), from the [`Signer`](crate::Signer)'s
//!   cache.
//! - [`EventSigner`]: the sans-IO stream signer. It keeps the prior
//!   signature and appends each envelope (headers `:chunk-signature`, the
//!   32 signature bytes, and `:date`, the time in whole seconds; the
//!   payload is the message) to a buffer the caller sends.
//! - [`EventVerifier`]: the sans-IO stream verifier for servers and test
//!   doubles. It refuses a reordered, dropped, replayed or altered envelope
//!   with a typed [`EventRejection`].
//! - [`encode`], [`decode`], [`Message`]: the message format (prelude with
//!   the total and headers lengths, prelude CRC32, typed headers, payload,
//!   message CRC32). Decoding never panics and bounds memory: a message is
//!   at most 16 MiB ([`MAX_MESSAGE_LEN`]), its headers at most 128 KiB.
//!
//! The rules are those of "Using Amazon Transcribe streaming with HTTP/2"
//! (<https://docs.aws.amazon.com/transcribe/latest/dg/how-streaming.html>)
//! and "Event stream encoding"
//! (<https://docs.aws.amazon.com/transcribe/latest/dg/streaming-setting-up.html>).
//!
//! ## A Transcribe streaming request and its messages
//!
//! ```
//! use std::time::{Duration, UNIX_EPOCH};
//! use awsig::{ContentSha256Header, Credentials, PayloadHash, Signer};
//! use awsig::event_stream::{self, EventSigner, EventVerifier, Header, HeaderValue};
//!
//! let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")?;
//! let settings = awsig::Settings::for_service("transcribe")
//!     .with_content_sha256(ContentSha256Header::Include);
//! let signer = Signer::new(creds, "us-west-2", "transcribe")?.with_settings(settings);
//! let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
//!
//! // 1. The request that opens the stream; its signature is the seed.
//! let mut request = http::Request::post(
//!     "https://transcribestreaming.us-west-2.amazonaws.com/stream-transcription",
//! )
//! .header("content-type", "application/vnd.amazon.eventstream")
//! .header("x-amz-target", "com.amazonaws.transcribe.Transcribe.StartStreamTranscription")
//! .header("x-amzn-transcribe-language-code", "en-US")
//! .header("x-amzn-transcribe-media-encoding", "pcm")
//! .header("x-amzn-transcribe-sample-rate", "16000")
//! .body(())?;
//! let seed = signer.sign(&mut request, &PayloadHash::StreamingEvents, now)?;
//! assert_eq!(request.headers()["x-amz-content-sha256"], "STREAMING-AWS4-HMAC-SHA256-EVENTS");
//!
//! // 2. Each audio chunk, as an AudioEvent message in a signed envelope.
//! let mut stream = EventSigner::new(&signer, &seed);
//! let mut body = Vec::new();
//! for (i, chunk) in [&[0u8; 3200][..], &[1u8; 3200][..]].into_iter().enumerate() {
//!     let headers = [
//!         Header::new(":message-type", HeaderValue::String("event")),
//!         Header::new(":event-type", HeaderValue::String("AudioEvent")),
//!         Header::new(":content-type", HeaderValue::String("application/octet-stream")),
//!     ];
//!     let at = now + Duration::from_millis(100 * i as u64);
//!     stream.sign_parts_into(&headers, chunk, at, &mut body)?;
//! }
//! // 3. The end of the stream: an envelope around the empty message.
//! stream.end_into(now + Duration::from_secs(1), &mut body)?;
//!
//! // The server side: the same chain, checked envelope by envelope.
//! let mut verifier = EventVerifier::new(&signer, &seed);
//! let mut rest = &body[..];
//! while let event_stream::Decoded::Complete(envelope) = event_stream::decode(rest)? {
//!     let event = verifier.verify(envelope.as_bytes(), now)?;
//!     if let Some(message) = event.message() {
//!         assert_eq!(message.header(":event-type"), Some(HeaderValue::String("AudioEvent")));
//!         assert_eq!(message.payload().len(), 3200);
//!     }
//!     rest = &rest[envelope.len()..];
//! }
//! verifier.finish()?;
//! assert_eq!(verifier.verified(), 3);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod error;
mod frame;
mod signer;
mod string_to_sign;
mod verifier;

pub use error::{EventRejection, EventStreamError};
pub use frame::{
    Decoded, FrameError, Header, HeaderValue, Headers, MAX_HEADER_NAME_LEN, MAX_HEADER_VALUE_LEN,
    MAX_HEADERS_LEN, MAX_MESSAGE_LEN, MIN_MESSAGE_LEN, Message, PRELUDE_LEN, decode, encode,
    encoded_len, headers_len,
};
pub use signer::{Envelope, EventSigner, MAX_WRAPPED_LEN};
pub use string_to_sign::{
    CHUNK_SIGNATURE_HEADER, DATE_HEADER, EVENT_ALGORITHM, EventStringToSign, PriorSignature,
    date_header,
};
pub use verifier::{EventVerifier, VerifiedEvent};
