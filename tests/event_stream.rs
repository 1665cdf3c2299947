//! Event streams against references we did not write: the Go SDK's stream
//! signer vectors, aws-c-auth's event signing test, aws-sigv4 1.6.4 on
//! random message sequences (every envelope byte for byte), and
//! aws-smithy-eventstream's message codec; then the verifier's properties:
//! what the signer produced verifies, and every reordering, drop, replay
//! and single-byte change is refused.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::cell::Cell;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_smithy_types::event_stream as smithy;
use awsig::event_stream::{
    self, Decoded, EventRejection, EventSigner, EventStreamError, EventStringToSign, EventVerifier,
    FrameError, Header, HeaderValue, Message, PriorSignature,
};
use awsig::{
    AmzDate, ContentSha256Header, Credentials, PayloadHash, Settings, Signer, UriEncoding,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

/// CRC-32/ISO-HDLC, to make a changed message's CRCs right again.
fn crc(bytes: &[u8]) -> u32 {
    crc_fast::checksum(crc_fast::CrcAlgorithm::Crc32IsoHdlc, bytes) as u32
}

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

/// aws-sdk-go-v2 `aws/signer/v4/stream_test.go` (`TestStreamSigner_GetSignature`),
/// the same as smithy-go `aws-http-auth/sigv4/stream_test.go`: raw
/// non-signature headers and payloads, chained from the seed `foobarbazqux`.
#[test]
fn go_sdk_stream_signer_vectors() {
    let signer = Signer::new(
        Credentials::new("AKID", "SECRET").unwrap(),
        "us-east-1",
        "transcribestreaming",
    )
    .unwrap();
    let mut prior = PriorSignature::from_bytes(b"foobarbazqux").unwrap();
    let cases: [(&[u8], &[u8], u64, &str); 4] = [
        (
            b"foo",
            b"foo",
            10,
            "e3a136405ec1152f62136742efd41f8639cd647a1cf21fab12aedb22cccd8999",
        ),
        (
            b"bar",
            b"bar",
            20,
            "92a6ad677e839d3003672cb2cefc71ef80d42e8cb300fefce0807e8398c74068",
        ),
        (
            b"baz",
            b"baz",
            30,
            "46d6660bd40f2ff5d6246a347895cabe7f4e89d9e1f4c6dad6dabdc801923be1",
        ),
        (
            b"",
            b"",
            30,
            "492bcb3e21de447c85f8a9bef6c0eb833e992e405b9b3584be84edaccc5aad18",
        ),
    ];
    let mut ran = 0;
    for (headers, payload, secs, expected) in cases {
        let date = AmzDate::from_unix_seconds(secs).unwrap();
        let sts = EventStringToSign::new(signer.scope(&date), prior, headers, payload);
        let signature = sts.sign(&signer.signing_key(&date));
        assert_eq!(signature.as_str(), expected, "at {secs}:\n{sts}");
        prior = PriorSignature::from_signature(&signature);
        ran += 1;
    }
    assert_eq!(ran, 4);
}

/// awslabs/aws-c-auth `tests/test_event_signing.c`: a request signed with
/// `STREAMING-AWS4-HMAC-SHA256-EVENTS`, then the events `A`, `B`, `C` and
/// the empty end event, one second apart, each with its `:date` header.
#[test]
fn aws_c_auth_event_signing_vectors() {
    let settings = Settings::for_service("demo")
        .with_uri_encoding(UriEncoding::Single)
        .with_content_sha256(ContentSha256Header::Include);
    let signer = Signer::new(
        Credentials::new("access", "secret").unwrap(),
        "us-east-1",
        "demo",
    )
    .unwrap()
    .with_settings(settings);
    let start = AmzDate::parse_rfc3339("1981-01-16T06:30:00Z").unwrap();
    let mut request = http::Request::post("/streaming")
        .header("host", "demo.us-east-1.amazonaws.com")
        .header("Content-Encoding", "application/vnd.amazon.eventstream")
        .body(())
        .unwrap();
    let seed = signer
        .sign(
            &mut request,
            &PayloadHash::StreamingEvents,
            start.to_system_time(),
        )
        .unwrap();
    assert_eq!(
        request.headers()["authorization"],
        "AWS4-HMAC-SHA256 Credential=access/19810116/us-east-1/demo/aws4_request, \
         SignedHeaders=content-encoding;host;x-amz-content-sha256;x-amz-date, \
         Signature=e1d8e8c8815e60969f2a34765c9a15945ffc0badbaa4b7e3b163ea19131e949b"
    );
    let mut prior = PriorSignature::from_signature(&seed);
    let events: [(&[u8], u64, &str); 4] = [
        (
            b"A",
            1,
            "7aabf85b765e6a4d0d500b6e968657b14726fa3e1eb7e839302728ffd77629a5",
        ),
        (
            b"B",
            2,
            "f72aa9642f571d24a6e1ae42f10f073ad9448d8a028b6bcd82da081335adda02",
        ),
        (
            b"C",
            3,
            "632af120435b57ec241d8bfbb12e496dfd5e2730a1a02ac0ab6eaa230ae02e9a",
        ),
        (
            b"",
            4,
            "c6f679ddb3af68f5e82f0cf6761244cb2338cf11e7d01a24130aea1b7c17e53e",
        ),
    ];
    let mut ran = 0;
    for (payload, offset, expected) in events {
        let date = AmzDate::from_unix_seconds(start.unix_seconds() + offset).unwrap();
        let sts = EventStringToSign::for_message(signer.scope(&date), prior, payload);
        let signature = sts.sign(&signer.signing_key(&date));
        assert_eq!(signature.as_str(), expected, "event {offset}:\n{sts}");
        prior = PriorSignature::from_signature(&signature);
        ran += 1;
    }
    assert_eq!(ran, 4);
}

// ---------------------------------------------------------------------
// Random messages, in our types and in aws-smithy-types'.

#[derive(Debug, Clone)]
enum Value {
    Bool(bool),
    Byte(i8),
    Int16(i16),
    Int32(i32),
    Int64(i64),
    Bytes(Vec<u8>),
    Text(String),
    Timestamp(i64),
    Uuid([u8; 16]),
}

#[derive(Debug, Clone)]
struct TestMessage {
    headers: Vec<(String, Value)>,
    payload: Vec<u8>,
}

impl TestMessage {
    fn ours(&self) -> Vec<Header<'_>> {
        self.headers
            .iter()
            .map(|(name, value)| {
                let value = match value {
                    Value::Bool(v) => HeaderValue::Bool(*v),
                    Value::Byte(v) => HeaderValue::Byte(*v),
                    Value::Int16(v) => HeaderValue::Int16(*v),
                    Value::Int32(v) => HeaderValue::Int32(*v),
                    Value::Int64(v) => HeaderValue::Int64(*v),
                    Value::Bytes(v) => HeaderValue::ByteArray(v),
                    Value::Text(v) => HeaderValue::String(v),
                    Value::Timestamp(v) => HeaderValue::Timestamp(*v),
                    Value::Uuid(v) => HeaderValue::Uuid(*v),
                };
                Header::new(name, value)
            })
            .collect()
    }

    fn smithy(&self) -> smithy::Message {
        let mut message = smithy::Message::new(self.payload.clone());
        for (name, value) in &self.headers {
            let value = match value {
                Value::Bool(v) => smithy::HeaderValue::Bool(*v),
                Value::Byte(v) => smithy::HeaderValue::Byte(*v),
                Value::Int16(v) => smithy::HeaderValue::Int16(*v),
                Value::Int32(v) => smithy::HeaderValue::Int32(*v),
                Value::Int64(v) => smithy::HeaderValue::Int64(*v),
                Value::Bytes(v) => smithy::HeaderValue::ByteArray(v.clone().into()),
                Value::Text(v) => smithy::HeaderValue::String(v.clone().into()),
                Value::Timestamp(v) => {
                    smithy::HeaderValue::Timestamp(aws_smithy_types::DateTime::from_millis(*v))
                }
                Value::Uuid(v) => smithy::HeaderValue::Uuid(u128::from_be_bytes(*v)),
            };
            message = message.add_header(smithy::Header::new(name.clone(), value));
        }
        message
    }

    fn encoded(&self) -> Vec<u8> {
        let mut out = Vec::new();
        event_stream::encode(&self.ours(), &self.payload, &mut out).unwrap();
        out
    }
}

fn smithy_encode(message: &smithy::Message) -> Vec<u8> {
    let mut out = Vec::new();
    aws_smithy_eventstream::frame::write_message_to(message, &mut out).unwrap();
    out
}

/// A smithy header value in our terms, to compare decodings.
fn from_smithy(value: &smithy::HeaderValue) -> String {
    match value {
        smithy::HeaderValue::Bool(v) => format!("bool {v}"),
        smithy::HeaderValue::Byte(v) => format!("byte {v}"),
        smithy::HeaderValue::Int16(v) => format!("int16 {v}"),
        smithy::HeaderValue::Int32(v) => format!("int32 {v}"),
        smithy::HeaderValue::Int64(v) => format!("int64 {v}"),
        smithy::HeaderValue::ByteArray(v) => format!("bytes {:?}", &v[..]),
        smithy::HeaderValue::String(v) => format!("string {:?}", v.as_str()),
        smithy::HeaderValue::Timestamp(v) => format!("timestamp {}", v.to_millis().unwrap()),
        smithy::HeaderValue::Uuid(v) => format!("uuid {:?}", v.to_be_bytes()),
        other => format!("other {other:?}"),
    }
}

fn describe(value: &HeaderValue<'_>) -> String {
    match value {
        HeaderValue::Bool(v) => format!("bool {v}"),
        HeaderValue::Byte(v) => format!("byte {v}"),
        HeaderValue::Int16(v) => format!("int16 {v}"),
        HeaderValue::Int32(v) => format!("int32 {v}"),
        HeaderValue::Int64(v) => format!("int64 {v}"),
        HeaderValue::ByteArray(v) => format!("bytes {v:?}"),
        HeaderValue::String(v) => format!("string {v:?}"),
        HeaderValue::Timestamp(v) => format!("timestamp {v}"),
        HeaderValue::Uuid(v) => format!("uuid {v:?}"),
    }
}

fn ours_described(message: &Message<'_>) -> Vec<(String, String)> {
    message
        .headers()
        .map(|h| (h.name.to_owned(), describe(&h.value)))
        .collect()
}

fn smithy_described(message: &smithy::Message) -> Vec<(String, String)> {
    message
        .headers()
        .iter()
        .map(|h| (h.name().as_str().to_owned(), from_smithy(h.value())))
        .collect()
}

fn value_strategy() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<bool>().prop_map(Value::Bool),
        any::<i8>().prop_map(Value::Byte),
        any::<i16>().prop_map(Value::Int16),
        any::<i32>().prop_map(Value::Int32),
        any::<i64>().prop_map(Value::Int64),
        proptest::collection::vec(any::<u8>(), 0..40).prop_map(Value::Bytes),
        "\\PC{0,20}".prop_map(Value::Text),
        // Milliseconds that aws-smithy-types' DateTime holds exactly.
        (-1_000_000_000_000_000i64..1_000_000_000_000_000).prop_map(Value::Timestamp),
        any::<[u8; 16]>().prop_map(Value::Uuid),
    ]
}

fn message_strategy() -> impl Strategy<Value = TestMessage> {
    (
        proptest::collection::vec(("[:a-z0-9-]{1,20}", value_strategy()), 0..6),
        proptest::collection::vec(any::<u8>(), 0..300),
    )
        .prop_map(|(headers, payload)| TestMessage { headers, payload })
}

/// Runs `cases` cases of `strategy` and returns how many ran.
fn run<S: Strategy>(cases: u32, strategy: S, test: impl Fn(S::Value)) -> u32
where
    S::Value: std::fmt::Debug,
{
    let ran = Cell::new(0);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&strategy, |value| {
            test(value);
            ran.set(ran.get() + 1);
            Ok(())
        })
        .unwrap();
    ran.get()
}

/// Our encoder writes what aws-smithy-eventstream writes, and each
/// decodes the other's bytes to the same message.
#[test]
fn codec_agrees_with_aws_smithy_eventstream() {
    let ran = run(400, message_strategy(), |m| {
        let ours = m.encoded();
        let reference = m.smithy();
        let theirs = smithy_encode(&reference);
        assert_eq!(ours, theirs, "{m:?}");
        let decoded = Message::decode_exact(&theirs).unwrap();
        assert_eq!(ours_described(&decoded), smithy_described(&reference));
        assert_eq!(decoded.payload(), &m.payload[..]);
        let back = aws_smithy_eventstream::frame::read_message_from(&ours[..]).unwrap();
        assert_eq!(back, reference);
    });
    assert_eq!(ran, 400);
}

/// Headers changed in place with both CRCs made right again: where we
/// accept, aws-smithy-eventstream reads the same message; where it
/// accepts and we refuse, it is for a rule we are stricter on (an empty
/// header name, a value over 32767 bytes).
#[test]
fn decoder_agrees_with_aws_smithy_eventstream_on_altered_headers() {
    let strategy = (
        message_strategy(),
        proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
    );
    let agreed = Cell::new(0);
    let ran = run(1000, strategy, |(m, changes)| {
        let mut bytes = m.encoded();
        let headers_len = u32::from_be_bytes(bytes[4..8].try_into().unwrap()) as usize;
        if headers_len == 0 {
            return;
        }
        for (index, byte) in changes {
            bytes[12 + index.index(headers_len)] = byte;
        }
        let body_end = bytes.len() - 4;
        let crc = crc(&bytes[..body_end]).to_be_bytes();
        bytes[body_end..].copy_from_slice(&crc);
        let ours = Message::decode_exact(&bytes);
        let theirs = aws_smithy_eventstream::frame::read_message_from(&bytes[..]);
        match (ours, theirs) {
            (Ok(ours), Ok(theirs)) => {
                assert_eq!(ours_described(&ours), smithy_described(&theirs));
                assert_eq!(ours.payload(), &theirs.payload()[..]);
                agreed.set(agreed.get() + 1);
            }
            (Err(_), Err(_)) => agreed.set(agreed.get() + 1),
            (Err(e), Ok(theirs)) => {
                let stricter = theirs.headers().iter().any(|h| {
                    h.name().as_str().is_empty()
                        || match h.value() {
                            smithy::HeaderValue::ByteArray(b) => b.len() > 32767,
                            smithy::HeaderValue::String(s) => s.as_str().len() > 32767,
                            _ => false,
                        }
                });
                assert!(
                    stricter,
                    "we refuse ({e}) what the reference reads: {bytes:?}"
                );
            }
            (Ok(ours), Err(e)) => panic!("we accept what the reference refuses ({e}): {ours:?}"),
        }
    });
    assert_eq!(ran, 1000);
    assert!(agreed.get() > 500, "only {} cases agreed", agreed.get());
}

// ---------------------------------------------------------------------
// aws-sigv4 1.6.4 signing the same sequences.

#[derive(Debug, Clone)]
struct Sequence {
    region: &'static str,
    service: &'static str,
    secret: String,
    seed: [u8; 32],
    start: u64,
    /// Each message and how long after the one before it is signed.
    messages: Vec<(TestMessage, Duration)>,
    end_after: Duration,
}

fn sequence_strategy() -> impl Strategy<Value = Sequence> {
    (
        prop::sample::select(vec!["us-east-1", "eu-west-1", "ap-southeast-2"]),
        prop::sample::select(vec!["transcribe", "bedrock", "lex", "kinesisvideo"]),
        "[A-Za-z0-9/+]{40}",
        any::<[u8; 32]>(),
        0u64..4_000_000_000,
        proptest::collection::vec((message_strategy(), 0u64..100_000_000_000), 1..6),
        0u64..100_000_000_000,
    )
        .prop_map(
            |(region, service, secret, seed, start, messages, end_after)| Sequence {
                region,
                service,
                secret,
                seed,
                start,
                messages: messages
                    .into_iter()
                    .map(|(m, nanos)| (m, Duration::from_nanos(nanos)))
                    .collect(),
                end_after: Duration::from_nanos(end_after),
            },
        )
}

/// Every envelope awsig makes is the one aws-sigv4 1.6.4's
/// `event_stream::sign_message` / `sign_empty_message` make, byte for
/// byte, over random sequences with sub-second times.
#[test]
fn envelopes_match_aws_sigv4() {
    let envelopes = Cell::new(0u32);
    let ran = run(128, sequence_strategy(), |seq| {
        let signer = Signer::new(
            Credentials::new("AKIDEXAMPLE", &seq.secret).unwrap(),
            seq.region,
            seq.service,
        )
        .unwrap();
        let identity: aws_smithy_runtime_api::client::identity::Identity =
            aws_credential_types::Credentials::new(
                "AKIDEXAMPLE",
                seq.secret.clone(),
                None,
                None,
                "test",
            )
            .into();
        let seed = awsig::Signature::parse(&hex::encode(seq.seed)).unwrap();
        let mut ours = EventSigner::new(&signer, &seed);
        let mut last = hex::encode(seq.seed);
        let mut now = UNIX_EPOCH + Duration::from_secs(seq.start) + Duration::from_nanos(123);
        let params = |now: SystemTime| {
            aws_sigv4::sign::v4::SigningParams::builder()
                .identity(&identity)
                .region(seq.region)
                .name(seq.service)
                .time(now)
                .settings(())
                .build()
                .unwrap()
        };
        for (message, after) in &seq.messages {
            now += *after;
            let envelope = ours.sign(&message.encoded(), now).unwrap();
            let (signed, signature) =
                aws_sigv4::event_stream::sign_message(&message.smithy(), &last, &params(now))
                    .unwrap()
                    .into_parts();
            assert_eq!(envelope.signature().as_str(), signature);
            assert_eq!(envelope.as_bytes(), smithy_encode(&signed), "{seq:?}");
            let mut parts = Vec::new();
            let mut again =
                EventSigner::with_prior(&signer, PriorSignature::from_hex(&last).unwrap());
            again
                .sign_parts_into(&message.ours(), &message.payload, now, &mut parts)
                .unwrap();
            assert_eq!(parts, envelope.as_bytes());
            last = signature;
            envelopes.set(envelopes.get() + 1);
        }
        now += seq.end_after;
        let end = ours.end(now).unwrap();
        let (signed, signature) = aws_sigv4::event_stream::sign_empty_message(&last, &params(now))
            .unwrap()
            .into_parts();
        assert_eq!(end.signature().as_str(), signature);
        assert_eq!(end.as_bytes(), smithy_encode(&signed));
        envelopes.set(envelopes.get() + 1);
    });
    assert_eq!(ran, 128);
    assert!(envelopes.get() >= 128 * 2);
}

// ---------------------------------------------------------------------
// The verifier.

struct Signed {
    signer: Signer,
    seed: awsig::Signature,
    envelopes: Vec<Vec<u8>>,
    times: Vec<SystemTime>,
}

fn sign_sequence(seq: &Sequence) -> Signed {
    let signer = Signer::new(
        Credentials::new("AKIDEXAMPLE", &seq.secret).unwrap(),
        seq.region,
        seq.service,
    )
    .unwrap();
    let seed = awsig::Signature::parse(&hex::encode(seq.seed)).unwrap();
    let mut stream = EventSigner::new(&signer, &seed);
    let mut now = at(seq.start);
    let mut envelopes = Vec::new();
    let mut times = Vec::new();
    for (message, after) in &seq.messages {
        now += *after;
        envelopes.push(stream.sign(&message.encoded(), now).unwrap().into_bytes());
        times.push(now);
    }
    now += seq.end_after;
    envelopes.push(stream.end(now).unwrap().into_bytes());
    times.push(now);
    Signed {
        signer,
        seed,
        envelopes,
        times,
    }
}

/// Verifies `envelopes` in order, each at the time it was signed, and
/// finishes: the first rejection, if any.
fn verify_all(
    signed: &Signed,
    envelopes: &[Vec<u8>],
    times: &[SystemTime],
) -> Result<(), EventRejection> {
    let mut verifier = EventVerifier::new(&signed.signer, &signed.seed);
    for (envelope, now) in envelopes.iter().zip(times) {
        verifier.verify(envelope, *now)?;
    }
    verifier.finish()
}

#[test]
fn what_is_signed_verifies_and_every_change_to_the_stream_is_refused() {
    let strategy = (
        sequence_strategy(),
        any::<prop::sample::Index>(),
        any::<prop::sample::Index>(),
        any::<prop::sample::Index>(),
        1u8..=255,
    );
    let ran = run(256, strategy, |(seq, a, b, byte, xor)| {
        let signed = sign_sequence(&seq);
        let n = signed.envelopes.len();
        let times = &signed.times;
        verify_all(&signed, &signed.envelopes, times).unwrap();

        // Each envelope carries its message, and the last one ends the stream.
        let mut verifier = EventVerifier::new(&signed.signer, &signed.seed);
        for (i, envelope) in signed.envelopes.iter().enumerate() {
            let event = verifier.verify(envelope, times[i]).unwrap();
            assert_eq!(event.index(), i as u64);
            match event.message() {
                Some(m) => assert_eq!(m.as_bytes(), seq.messages[i].0.encoded()),
                None => assert_eq!(i, n - 1),
            }
        }

        // Reordering: two envelopes swapped.
        let (i, j) = (a.index(n), b.index(n));
        if i != j {
            let mut swapped = signed.envelopes.clone();
            swapped.swap(i, j);
            assert!(
                verify_all(&signed, &swapped, times).is_err(),
                "swap {i} {j}"
            );
        }

        // A drop: any one envelope, the end of the stream included.
        let mut dropped = signed.envelopes.clone();
        dropped.remove(i);
        let mut fewer = times.clone();
        fewer.remove(i);
        assert!(verify_all(&signed, &dropped, &fewer).is_err(), "drop {i}");

        // A replay right after the original, and later.
        let mut replayed = signed.envelopes.clone();
        replayed.insert(i + 1, signed.envelopes[i].clone());
        let mut more = times.clone();
        more.insert(i + 1, times[i]);
        let refused = verify_all(&signed, &replayed, &more).unwrap_err();
        if i + 1 < n {
            assert_eq!(
                refused,
                EventRejection::Replayed {
                    index: i as u64 + 1
                }
            );
        } else {
            assert_eq!(refused, EventRejection::AfterEnd { index: n as u64 });
        }
        if j > i {
            let mut later = signed.envelopes.clone();
            later.insert(j + 1, signed.envelopes[i].clone());
            let mut more = times.clone();
            more.insert(j + 1, times[j]);
            assert!(
                verify_all(&signed, &later, &more).is_err(),
                "replay {i} at {j}"
            );
        }

        // One byte changed anywhere in envelope i.
        let mut altered = signed.envelopes.clone();
        let at = byte.index(altered[i].len());
        altered[i][at] ^= xor;
        assert!(
            verify_all(&signed, &altered, times).is_err(),
            "byte {at} of {i}"
        );

        // The same with both CRCs made right again, as an attacker would
        // (a change to a CRC itself is then undone).
        fix_crcs(&mut altered[i]);
        if altered[i] != signed.envelopes[i] {
            assert!(
                verify_all(&signed, &altered, times).is_err(),
                "byte {at} of {i}, CRCs fixed"
            );
        }
    });
    assert_eq!(ran, 256);
}

/// Recomputes both CRCs of a message in place (when its lengths still fit).
fn fix_crcs(bytes: &mut [u8]) {
    if bytes.len() < 16 {
        return;
    }
    let prelude = crc(&bytes[..8]).to_be_bytes();
    bytes[8..12].copy_from_slice(&prelude);
    let end = bytes.len() - 4;
    let message = crc(&bytes[..end]).to_be_bytes();
    bytes[end..].copy_from_slice(&message);
}

/// Every single-byte change of every envelope of one stream, with the CRCs
/// left as they are and made right again, is refused.
#[test]
fn every_single_byte_change_is_refused() {
    let message = TestMessage {
        headers: vec![
            (":message-type".into(), Value::Text("event".into())),
            (":event-type".into(), Value::Text("AudioEvent".into())),
        ],
        payload: b"pcm audio".to_vec(),
    };
    let seq = Sequence {
        region: "us-west-2",
        service: "transcribe",
        secret: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
        seed: [0x5a; 32],
        start: 1_700_000_000,
        messages: vec![
            (message.clone(), Duration::ZERO),
            (message, Duration::from_secs(1)),
        ],
        end_after: Duration::from_secs(1),
    };
    let signed = sign_sequence(&seq);
    let mut checked = 0;
    for i in 0..signed.envelopes.len() {
        for at in 0..signed.envelopes[i].len() {
            for xor in [0x01, 0x80, 0xff] {
                let mut altered = signed.envelopes.clone();
                altered[i][at] ^= xor;
                assert!(verify_all(&signed, &altered, &signed.times).is_err());
                fix_crcs(&mut altered[i]);
                let in_a_crc = (8..12).contains(&at) || at >= signed.envelopes[i].len() - 4;
                assert_eq!(altered[i] == signed.envelopes[i], in_a_crc);
                assert!(
                    in_a_crc || verify_all(&signed, &altered, &signed.times).is_err(),
                    "envelope {i}, byte {at} ^ {xor:#x}, CRCs fixed"
                );
                checked += 1;
            }
        }
    }
    let total: usize = signed.envelopes.iter().map(Vec::len).sum();
    assert_eq!(checked, 3 * total);
}

#[test]
fn rejections_name_the_fault() {
    let seq = Sequence {
        region: "us-east-1",
        service: "transcribe",
        secret: "SECRET".into(),
        seed: [1; 32],
        start: 1_700_000_000,
        messages: vec![(
            TestMessage {
                headers: vec![],
                payload: b"x".to_vec(),
            },
            Duration::ZERO,
        )],
        end_after: Duration::ZERO,
    };
    let signed = sign_sequence(&seq);
    let now = signed.times[0];
    let verifier = || EventVerifier::new(&signed.signer, &signed.seed);

    // A refusal is for good.
    let mut v = verifier();
    assert_eq!(
        v.verify(&signed.envelopes[1], now).unwrap_err(),
        EventRejection::SignatureMismatch {
            index: 0,
            string_to_sign: v_string_to_sign(&signed, 1),
        }
    );
    assert_eq!(
        v.verify(&signed.envelopes[0], now),
        Err(EventRejection::Failed)
    );
    assert_eq!(v.finish(), Err(EventRejection::Failed));

    // A cut stream.
    let mut v = verifier();
    v.verify(&signed.envelopes[0], now).unwrap();
    assert_eq!(
        v.finish(),
        Err(EventRejection::Unterminated { verified: 1 })
    );

    // Too far from now, either way.
    let mut v = verifier().with_max_clock_skew(Duration::from_secs(60));
    assert!(matches!(
        v.verify(&signed.envelopes[0], now + Duration::from_secs(61)),
        Err(EventRejection::ClockSkew { index: 0, .. })
    ));
    let mut v = verifier().with_max_clock_skew(Duration::from_secs(60));
    assert!(matches!(
        v.verify(&signed.envelopes[0], now - Duration::from_secs(61)),
        Err(EventRejection::ClockSkew { .. })
    ));

    // Envelopes made by hand: headers missing, repeated, extra, mistyped.
    let sig = [7u8; 32];
    let date = HeaderValue::Timestamp(1_700_000_000_000);
    let cases: Vec<(Vec<Header<'_>>, EventRejection)> = vec![
        (
            vec![Header::new(":date", date)],
            EventRejection::MissingHeader {
                index: 0,
                name: ":chunk-signature",
            },
        ),
        (
            vec![Header::new(
                ":chunk-signature",
                HeaderValue::ByteArray(&sig),
            )],
            EventRejection::MissingHeader {
                index: 0,
                name: ":date",
            },
        ),
        (
            vec![
                Header::new(":date", date),
                Header::new(":date", date),
                Header::new(":chunk-signature", HeaderValue::ByteArray(&sig)),
            ],
            EventRejection::RepeatedHeader {
                index: 0,
                name: ":date",
            },
        ),
        (
            vec![
                Header::new(":date", date),
                Header::new(":chunk-signature", HeaderValue::ByteArray(&sig)),
                Header::new(":event-type", HeaderValue::String("x")),
            ],
            EventRejection::UnexpectedHeader {
                index: 0,
                name: ":event-type".into(),
            },
        ),
        (
            vec![
                Header::new(":date", HeaderValue::Int64(1_700_000_000_000)),
                Header::new(":chunk-signature", HeaderValue::ByteArray(&sig)),
            ],
            EventRejection::InvalidHeader {
                index: 0,
                name: ":date",
                reason: "it is not a timestamp",
            },
        ),
        (
            vec![
                Header::new(":date", HeaderValue::Timestamp(-1)),
                Header::new(":chunk-signature", HeaderValue::ByteArray(&sig)),
            ],
            EventRejection::InvalidHeader {
                index: 0,
                name: ":date",
                reason: "it is not a time within 1970..=9999",
            },
        ),
        (
            vec![
                Header::new(":date", date),
                Header::new(":chunk-signature", HeaderValue::ByteArray(&sig[..31])),
            ],
            EventRejection::InvalidHeader {
                index: 0,
                name: ":chunk-signature",
                reason: "it is not 32 bytes",
            },
        ),
    ];
    for (headers, expected) in cases {
        let mut envelope = Vec::new();
        event_stream::encode(&headers, b"", &mut envelope).unwrap();
        assert_eq!(verifier().verify(&envelope, now), Err(expected));
    }

    // A payload that is not a message.
    let mut envelope = Vec::new();
    let headers = [
        Header::new(":chunk-signature", HeaderValue::ByteArray(&sig)),
        Header::new(":date", date),
    ];
    event_stream::encode(&headers, b"A", &mut envelope).unwrap();
    assert!(matches!(
        verifier().verify(&envelope, now),
        Err(EventRejection::MalformedMessage {
            index: 0,
            error: FrameError::Incomplete { .. }
        })
    ));
    assert!(matches!(
        verifier().verify(&envelope[1..], now),
        Err(EventRejection::Malformed { index: 0, .. })
    ));
}

/// The string to sign the verifier reports for envelope `i` of `signed`
/// verified first: built here from the stage, not read back from the
/// verifier.
fn v_string_to_sign(signed: &Signed, i: usize) -> String {
    let Decoded::Complete(m) = event_stream::decode(&signed.envelopes[i]).unwrap() else {
        panic!()
    };
    let Some(HeaderValue::Timestamp(ms)) = m.header(":date") else {
        panic!()
    };
    let date = AmzDate::from_unix_seconds(ms as u64 / 1000).unwrap();
    EventStringToSign::for_message(
        signed.signer.scope(&date),
        PriorSignature::from_signature(&signed.seed),
        m.payload(),
    )
    .to_string()
}

fn lex_signer() -> (Signer, awsig::Signature) {
    let credentials = Credentials::new("AKID", "SECRET").unwrap();
    let signer = Signer::new(credentials, "us-east-1", "lex").unwrap();
    (signer, awsig::Signature::parse(&"00".repeat(32)).unwrap())
}

#[test]
fn signer_refuses_what_it_cannot_sign_and_leaves_the_buffer() {
    let (signer, seed) = lex_signer();
    let mut stream = EventSigner::new(&signer, &seed);
    let now = at(1_700_000_000);
    let mut out = b"kept".to_vec();
    for bad in [&b""[..], b"A", &[0; 16][..]] {
        let err = stream.sign_into(bad, now, &mut out).unwrap_err();
        assert!(
            matches!(err, awsig::Error::EventStream(EventStreamError::Message(_))),
            "{err}"
        );
    }
    let too_long = "n".repeat(256);
    let err = stream
        .sign_parts_into(
            &[Header::new(&too_long, HeaderValue::Bool(true))],
            b"",
            now,
            &mut out,
        )
        .unwrap_err();
    assert!(matches!(
        err,
        awsig::Error::EventStream(EventStreamError::Message(FrameError::HeaderName { .. }))
    ));
    let big = vec![0u8; event_stream::MAX_WRAPPED_LEN + 1];
    assert!(matches!(
        stream.sign_into(&big, now, &mut out),
        Err(awsig::Error::EventStream(
            EventStreamError::EnvelopeTooLarge { .. }
        ))
    ));
    assert!(matches!(
        stream.sign_into(
            &TestMessage {
                headers: vec![],
                payload: vec![]
            }
            .encoded(),
            UNIX_EPOCH - Duration::from_secs(1),
            &mut out
        ),
        Err(awsig::Error::TimeOutOfRange { .. })
    ));
    assert_eq!(out, b"kept");
    assert_eq!(stream.signed(), 0);
    assert_eq!(
        stream.prior_signature(),
        &PriorSignature::from_signature(&seed)
    );

    // The largest message that fits makes a 16 MiB envelope.
    let mut largest = Vec::new();
    let payload = vec![0u8; event_stream::MAX_WRAPPED_LEN - 16];
    event_stream::encode(&[], &payload, &mut largest).unwrap();
    let envelope = stream.sign(&largest, now).unwrap();
    assert_eq!(envelope.as_bytes().len(), event_stream::MAX_MESSAGE_LEN);
    let mut verifier = EventVerifier::new(&signer, &seed);
    verifier.verify(envelope.as_bytes(), now).unwrap();

    stream.end(now).unwrap();
    assert!(stream.is_ended());
    assert!(matches!(
        stream.end(now),
        Err(awsig::Error::EventStream(EventStreamError::Ended))
    ));
    assert!(matches!(
        stream.sign(&largest, now),
        Err(awsig::Error::EventStream(EventStreamError::Ended))
    ));
}

/// The envelope's `:date` is the signing time in whole seconds, and its
/// headers are `:chunk-signature` then `:date`, as aws-sigv4 writes them.
#[test]
fn envelope_layout() {
    let (signer, seed) = lex_signer();
    let mut stream = EventSigner::new(&signer, &seed);
    let now = at(1_700_000_000) + Duration::from_millis(999);
    let end = stream.end(now).unwrap();
    let m = Message::decode_exact(end.as_bytes()).unwrap();
    let headers: Vec<_> = m.headers().collect();
    assert_eq!(headers.len(), 2);
    assert_eq!(headers[0].name, ":chunk-signature");
    assert_eq!(
        headers[0].value,
        HeaderValue::ByteArray(&hex::decode(end.signature().as_str()).unwrap())
    );
    assert_eq!(
        headers[1],
        Header::new(":date", HeaderValue::Timestamp(1_700_000_000_000))
    );
    assert!(m.payload().is_empty());
}

/// No secret key or signing key shows in the `Debug` of the stream signer
/// and verifier, or in a rejection.
#[test]
fn no_secret_is_shown() {
    let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    let signer = Signer::new(
        Credentials::new("AKIDEXAMPLE", secret).unwrap(),
        "us-east-1",
        "transcribe",
    )
    .unwrap();
    let seed = awsig::Signature::parse(&"11".repeat(32)).unwrap();
    let now = at(1_700_000_000);
    let key = hex::encode(
        signer
            .signing_key(&AmzDate::from_system_time(now).unwrap())
            .expose_secret_bytes(),
    );
    let mut stream = EventSigner::new(&signer, &seed);
    let envelope = stream.end(now).unwrap();
    let mut verifier =
        EventVerifier::new(&signer, &awsig::Signature::parse(&"22".repeat(32)).unwrap());
    let rejection = verifier.verify(envelope.as_bytes(), now).unwrap_err();
    assert!(matches!(
        rejection,
        EventRejection::SignatureMismatch { .. }
    ));
    let shown = format!("{stream:?} {verifier:?} {envelope:?} {rejection:?} {rejection}");
    assert!(!shown.contains(secret), "{shown}");
    assert!(!shown.contains(&key), "{shown}");
    assert!(!shown.contains("EXAMPLEKEY"), "{shown}");
}
