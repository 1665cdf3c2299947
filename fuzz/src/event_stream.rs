//! The event stream targets: the message decoder on any bytes, and the
//! stream verifier on any bytes and on signed streams changed as the input
//! says.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use awsig::event_stream::{
    Decoded, EventSigner, EventVerifier, Header, HeaderValue, MAX_MESSAGE_LEN, MIN_MESSAGE_LEN,
    Message, decode, encode,
};
use awsig::{Credentials, Signature, Signer};

/// Decodes every message in `data`, one after another: what decodes is
/// within the buffer and the limits and encodes back to the same bytes; an
/// incomplete message asks for more than there is and at most 16 MiB.
pub fn decode_all(data: &[u8]) {
    let mut rest = data;
    loop {
        match decode(rest) {
            Ok(Decoded::Complete(message)) => {
                let len = message.len();
                assert!((MIN_MESSAGE_LEN..=MAX_MESSAGE_LEN).contains(&len));
                assert!(len <= rest.len());
                let headers: Vec<Header<'_>> = message.headers().collect();
                let mut again = Vec::new();
                encode(&headers, message.payload(), &mut again).unwrap();
                assert_eq!(again, message.as_bytes(), "a decoded message encodes differently");
                assert_eq!(Message::decode_exact(message.as_bytes()), Ok(message));
                let _ = format!("{message:?}");
                rest = &rest[len..];
            }
            Ok(Decoded::Incomplete { needed }) => {
                assert!(needed > rest.len() && needed <= MAX_MESSAGE_LEN);
                assert!(Message::decode_exact(rest).is_err());
                return;
            }
            Err(error) => {
                let _ = error.to_string();
                assert!(Message::decode_exact(rest).is_err());
                return;
            }
        }
    }
}

const START: u64 = 1_700_000_000;

fn signer() -> Signer {
    Signer::new(
        Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY").unwrap(),
        "us-east-1",
        "transcribe",
    )
    .unwrap()
}

fn at(i: usize) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(START + i as u64)
}

/// The first byte picks what happens to the rest:
///
/// - even: the rest is a stream of envelopes, verified in order (any
///   answer but a panic);
/// - odd: the next 6 bytes are a change (kind, two positions, a byte
///   offset, an XOR mask, a message length), and the rest is cut into
///   messages that are signed as a stream, which verifies; then the change
///   is made (two envelopes swapped, one dropped, one replayed, one byte
///   altered, with or without the CRCs made right again) and the stream is
///   refused.
pub fn verify_stream(data: &[u8]) {
    let signer = signer();
    let seed = Signature::parse(&"5a".repeat(32)).unwrap();
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode % 2 == 0 {
        let mut verifier = EventVerifier::new(&signer, &seed);
        let mut rest = rest;
        let mut i = 0;
        while let Ok(Decoded::Complete(envelope)) = decode(rest) {
            match verifier.verify(envelope.as_bytes(), at(i)) {
                Ok(event) => assert_eq!(event.index(), i as u64),
                Err(rejection) => {
                    let _ = rejection.to_string();
                }
            }
            rest = &rest[envelope.len()..];
            i += 1;
        }
        let _ = verifier.finish();
        return;
    }
    let Some((change, text)) = rest.split_first_chunk::<6>() else {
        return;
    };
    let [kind, a, b, offset, xor, size] = *change;
    let size = usize::from(size).max(1);
    let mut stream = EventSigner::new(&signer, &seed);
    let mut envelopes = Vec::new();
    for (i, chunk) in text.chunks(size).take(8).enumerate() {
        let headers = [Header::new(":event-type", HeaderValue::String("AudioEvent"))];
        let mut envelope = Vec::new();
        stream
            .sign_parts_into(&headers, chunk, at(i), &mut envelope)
            .unwrap();
        envelopes.push(envelope);
    }
    envelopes.push(stream.end(at(envelopes.len())).unwrap().into_bytes());
    verify_all(&signer, &seed, &envelopes).unwrap();

    let n = envelopes.len();
    let (a, b) = (usize::from(a) % n, usize::from(b) % n);
    let mut changed = envelopes.clone();
    match kind % 5 {
        0 if a != b => changed.swap(a, b),
        1 => {
            changed.remove(a);
        }
        2 => changed.insert(a.max(b) + 1, envelopes[a].clone()),
        k @ (3 | 4) => {
            let envelope = &mut changed[a];
            let at = usize::from(offset) * 7 % envelope.len();
            envelope[at] ^= xor.max(1);
            if k == 4 {
                fix_crcs(envelope);
                if changed[a] == envelopes[a] {
                    return;
                }
            }
        }
        _ => return,
    }
    assert!(
        verify_all(&signer, &seed, &changed).is_err(),
        "a changed stream verified (change {kind} {a} {b} {offset} {xor})"
    );
}

fn verify_all(
    signer: &Signer,
    seed: &Signature,
    envelopes: &[Vec<u8>],
) -> Result<(), awsig::event_stream::EventRejection> {
    let mut verifier = EventVerifier::new(signer, seed);
    // Every envelope of these streams is signed within seconds of START.
    for envelope in envelopes {
        verifier.verify(envelope, at(4))?;
    }
    verifier.finish()
}

fn crc(bytes: &[u8]) -> u32 {
    crc_fast::checksum(crc_fast::CrcAlgorithm::Crc32IsoHdlc, bytes) as u32
}

fn fix_crcs(bytes: &mut [u8]) {
    let prelude = crc(&bytes[..8]).to_be_bytes();
    bytes[8..12].copy_from_slice(&prelude);
    let end = bytes.len() - 4;
    let message = crc(&bytes[..end]).to_be_bytes();
    bytes[end..].copy_from_slice(&message);
}
