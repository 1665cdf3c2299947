//! What an event stream envelope costs: awsig against aws-sigv4 1.6.4
//! (`event_stream::sign_message`, then the envelope written with
//! aws-smithy-eventstream), on the same messages in the same run; and what
//! verifying one costs.
//!
//! Benchmarks are named `<message size>/<implementation>`. Before timing,
//! each case checks that both make the same envelope.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::hint::black_box;
use std::time::{Duration, UNIX_EPOCH};

use aws_smithy_runtime_api::client::identity::Identity;
use aws_smithy_types::event_stream as smithy;
use awsig::event_stream::{EventSigner, EventVerifier, Header, HeaderValue};
use awsig::{Credentials, Signature, Signer};
use criterion::{Criterion, Throughput};

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

fn headers() -> [Header<'static>; 3] {
    [
        Header::new(":message-type", HeaderValue::String("event")),
        Header::new(":event-type", HeaderValue::String("AudioEvent")),
        Header::new(
            ":content-type",
            HeaderValue::String("application/octet-stream"),
        ),
    ]
}

fn smithy_message(payload: &[u8]) -> smithy::Message {
    let mut message = smithy::Message::new(payload.to_vec());
    for h in headers() {
        let HeaderValue::String(v) = h.value else {
            unreachable!()
        };
        message = message.add_header(smithy::Header::new(
            h.name,
            smithy::HeaderValue::String(v.to_owned().into()),
        ));
    }
    message
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    let signer = Signer::new(
        Credentials::new("AKIDEXAMPLE", SECRET).unwrap(),
        "us-west-2",
        "transcribe",
    )
    .unwrap();
    let identity: Identity =
        aws_credential_types::Credentials::new("AKIDEXAMPLE", SECRET, None, None, "bench").into();
    let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let seed = Signature::parse(&"5a".repeat(32)).unwrap();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region("us-west-2")
        .name("transcribe")
        .time(now)
        .settings(())
        .build()
        .unwrap();

    // 100 ms of 16 kHz 16-bit PCM is 3200 bytes; Transcribe suggests
    // 50 to 200 ms chunks.
    for (label, size) in [("100B", 100), ("3200B", 3200), ("64KiB", 64 * 1024)] {
        let payload: Vec<u8> = (0..size).map(|i| (i * 31 % 251) as u8).collect();
        let reference = smithy_message(&payload);

        // The same envelope from both, first.
        let mut ours = Vec::new();
        EventSigner::new(&signer, &seed)
            .sign_parts_into(&headers(), &payload, now, &mut ours)
            .unwrap();
        let (signed, _) = aws_sigv4::event_stream::sign_message(&reference, seed.as_str(), &params)
            .unwrap()
            .into_parts();
        let mut theirs = Vec::new();
        aws_smithy_eventstream::frame::write_message_to(&signed, &mut theirs).unwrap();
        assert_eq!(ours, theirs, "{label}: the envelopes differ");

        let mut group = c.benchmark_group(label);
        group.throughput(Throughput::Bytes(size as u64));
        let mut stream = EventSigner::new(&signer, &seed);
        let mut out = Vec::new();
        group.bench_function("awsig", |b| {
            b.iter(|| {
                out.clear();
                stream
                    .sign_parts_into(&headers(), black_box(&payload), now, &mut out)
                    .unwrap()
            })
        });
        let mut last = seed.as_str().to_owned();
        group.bench_function("aws-sigv4", |b| {
            b.iter(|| {
                let (signed, signature) =
                    aws_sigv4::event_stream::sign_message(black_box(&reference), &last, &params)
                        .unwrap()
                        .into_parts();
                let mut envelope = Vec::new();
                aws_smithy_eventstream::frame::write_message_to(&signed, &mut envelope).unwrap();
                last = signature;
                envelope
            })
        });
        group.bench_function("awsig-verify", |b| {
            b.iter(|| {
                let mut verifier = EventVerifier::new(&signer, &seed);
                verifier.verify(black_box(&ours), now).unwrap().index()
            })
        });
        group.finish();
    }
    c.final_summary();
}
