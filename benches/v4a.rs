//! What a SigV4a signature costs (feature `sigv4a`): awsig against
//! aws-sigv4 1.6.4's SigV4a signer on the same requests in the same run,
//! and the cold key derivation.
//!
//! `cargo bench --features sigv4a --bench v4a`. After the timings the run
//! prints heap allocations per sign and a summary that compares the
//! figures with the targets: signing with a cached key at least 2× faster
//! than aws-sigv4, and at most 4 allocations on the default path.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::hint::black_box;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sigv4::http_request::{
    PayloadChecksumKind, PercentEncodingMode, SignableBody, SignatureLocation, SigningSettings,
    UriPathNormalizationMode,
};
use aws_smithy_runtime_api::client::identity::Identity;
use awsig::v4a::{Signer, SigningKey};
use awsig::{Credentials, Payload, PayloadHash, Policy, verify_request};
use criterion::{BatchSize, Criterion};

#[path = "../tests/support/counting.rs"]
mod counting;

#[global_allocator]
static ALLOCATOR: counting::Counting = counting::Counting;

const ACCESS_KEY_ID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const EXPIRES: Duration = Duration::from_secs(900);
const SMALL_BATCH: BatchSize = BatchSize::NumIterations(32);

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Header,
    Presign,
}

struct Case {
    name: &'static str,
    kind: Kind,
    request: http::Request<Vec<u8>>,
    payload: PayloadHash,
    signer: Signer,
    region_set: &'static str,
    identity: Identity,
    aws_settings: SigningSettings,
}

fn s3_settings(kind: Kind) -> SigningSettings {
    let mut s = SigningSettings::default();
    s.percent_encoding_mode = PercentEncodingMode::Single;
    s.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    match kind {
        Kind::Header => s.payload_checksum_kind = PayloadChecksumKind::XAmzSha256,
        Kind::Presign => {
            s.signature_location = SignatureLocation::QueryParams;
            s.expires_in = Some(EXPIRES);
        }
    }
    s
}

fn cases() -> Vec<Case> {
    let creds = Credentials::new(ACCESS_KEY_ID, SECRET).unwrap();
    let identity: Identity =
        aws_credential_types::Credentials::new(ACCESS_KEY_ID, SECRET, None, None, "bench").into();
    let mrap = "https://mfzwi23gnjvgw.mrap.accesspoint.s3-global.amazonaws.com";
    let body: Vec<u8> = (0..1024u32).map(|i| (i * 31 % 251) as u8).collect();
    let put = http::Request::put(format!("{mrap}/logs/2024/06/01/part-0001.json"))
        .header("Content-Type", "application/json")
        .header("x-amz-meta-source", "agent")
        .header("User-Agent", "agent/1.0")
        .body(body.clone())
        .unwrap();
    let get = http::Request::get(format!("{mrap}/reports/2024.csv"))
        .body(Vec::new())
        .unwrap();
    let signer = |set| {
        let s = Signer::new(creds.clone(), set, "s3").unwrap();
        // Warm the key cache: these cases measure signing with a cached key.
        s.signing_key().unwrap();
        s
    };
    vec![
        Case {
            name: "v4a_mrap_put",
            kind: Kind::Header,
            payload: PayloadHash::of(&body),
            request: put,
            signer: signer("*"),
            region_set: "*",
            identity: identity.clone(),
            aws_settings: s3_settings(Kind::Header),
        },
        Case {
            name: "v4a_presign",
            kind: Kind::Presign,
            request: get,
            payload: PayloadHash::Unsigned,
            signer: signer("us-east-1,us-west-2"),
            region_set: "us-east-1,us-west-2",
            identity,
            aws_settings: s3_settings(Kind::Presign),
        },
    ]
}

impl Case {
    /// awsig's default path: sign the `http::Request` in place.
    fn awsig(&self, request: &mut http::Request<Vec<u8>>) -> awsig::v4a::Signature {
        match self.kind {
            Kind::Header => self.signer.sign(request, &self.payload, now()).unwrap(),
            Kind::Presign => self
                .signer
                .presign(request, EXPIRES, &self.payload, now())
                .unwrap(),
        }
    }

    fn aws_params(&self) -> aws_sigv4::http_request::SigningParams<'_> {
        aws_sigv4::sign::v4a::SigningParams::builder()
            .identity(&self.identity)
            .region_set(self.region_set)
            .name("s3")
            .time(now())
            .settings(self.aws_settings.clone())
            .build()
            .unwrap()
            .into()
    }

    /// aws-sigv4: convert the request, sign, apply the instructions. The
    /// signing parameters are built once outside, which favours it.
    fn aws(
        &self,
        params: &aws_sigv4::http_request::SigningParams<'_>,
        request: &mut http::Request<Vec<u8>>,
        precomputed: String,
    ) -> String {
        let (instructions, signature) = {
            let uri = request.uri().to_string();
            let headers = request
                .headers()
                .iter()
                .map(|(k, v)| (k.as_str(), v.to_str().unwrap()));
            let body = match self.kind {
                Kind::Header => SignableBody::Precomputed(precomputed),
                Kind::Presign => SignableBody::UnsignedPayload,
            };
            let signable = aws_sigv4::http_request::SignableRequest::new(
                request.method().as_str(),
                uri,
                headers,
                body,
            )
            .unwrap();
            aws_sigv4::http_request::sign(signable, params)
                .unwrap()
                .into_parts()
        };
        instructions.apply_to_request_http1x(request);
        signature
    }
}

/// The `p256` key behind a derived key (built outside the timing).
fn floor_key(key: &SigningKey) -> p256::ecdsa::SigningKey {
    p256::ecdsa::SigningKey::from_slice(&key.expose_secret_bytes()[..]).unwrap()
}

/// Checks once that what each signs the other's verifier side accepts:
/// awsig's verifier takes both signed requests.
fn check_agreement(cases: &[Case]) {
    let creds = Credentials::new(ACCESS_KEY_ID, SECRET).unwrap();
    for case in cases {
        let mut a = case.request.clone();
        case.awsig(&mut a);
        let mut b = case.request.clone();
        let params = case.aws_params();
        case.aws(&params, &mut b, case.payload.as_str().to_owned());
        for (who, req) in [("awsig", &a), ("aws-sigv4", &b)] {
            verify_request(
                req,
                Payload::Body(req.body()),
                &creds,
                now(),
                &Policy::new(),
            )
            .unwrap_or_else(|e| panic!("{}: {who}'s request refused: {e}", case.name));
        }
    }
}

fn bench(c: &mut Criterion, cases: &[Case]) {
    for case in cases {
        let mut group = c.benchmark_group(case.name);
        group.bench_function("awsig", |b| {
            b.iter_batched_ref(|| case.request.clone(), |req| case.awsig(req), SMALL_BATCH)
        });
        // What no signer can avoid: one ECDSA P-256 signature of a SHA-256
        // digest with a key at hand (p256's, RFC 6979 nonce).
        let key = floor_key(&case.signer.signing_key().unwrap());
        let digest = [7u8; 32];
        group.bench_function("ecdsa-floor", |b| {
            b.iter(|| {
                let der: p256::ecdsa::DerSignature =
                    p256::ecdsa::signature::hazmat::PrehashSigner::sign_prehash(
                        &key,
                        black_box(&digest),
                    )
                    .unwrap();
                der
            })
        });
        let params = case.aws_params();
        group.bench_function("aws-sigv4", |b| {
            b.iter_batched_ref(
                || (case.request.clone(), case.payload.as_str().to_owned()),
                |(req, hash)| case.aws(&params, req, std::mem::take(hash)),
                SMALL_BATCH,
            )
        });
        group.finish();
    }
    let creds = Credentials::new(ACCESS_KEY_ID, SECRET).unwrap();
    let mut group = c.benchmark_group("v4a_key");
    group.bench_function("awsig-derive-cold", |b| {
        b.iter(|| SigningKey::derive(black_box(&creds)).unwrap())
    });
    group.bench_function("aws-sigv4-private-key-only", |b| {
        b.iter(|| {
            let key = aws_sigv4::sign::v4a::generate_signing_key(black_box(ACCESS_KEY_ID), SECRET);
            black_box(key.as_ref().len())
        })
    });
    group.bench_function("awsig-cached", |b| {
        b.iter(|| cases[0].signer.signing_key().unwrap())
    });
    group.finish();

    let mut signed = cases[0].request.clone();
    cases[0].awsig(&mut signed);
    let mut group = c.benchmark_group("v4a_verify");
    group.bench_function("awsig", |b| {
        b.iter(|| {
            verify_request(
                black_box(&signed),
                Payload::Body(signed.body()),
                &creds,
                now(),
                &Policy::new(),
            )
            .unwrap()
        })
    });
    group.finish();
}

/// Allocations per call of `run` on inputs made by `setup` (not counted).
fn allocations<I>(mut setup: impl FnMut() -> I, mut run: impl FnMut(&mut I)) -> f64 {
    const N: u64 = 200;
    for _ in 0..5 {
        run(&mut setup());
    }
    let mut inputs: Vec<I> = (0..N).map(|_| setup()).collect();
    let before = counting::count();
    for input in &mut inputs {
        run(input);
    }
    let after = counting::count();
    drop(inputs);
    (after - before) as f64 / N as f64
}

/// The mean of a finished benchmark, from criterion's saved estimates.
fn mean_ns(id: &str) -> Option<f64> {
    let dir = std::env::var_os("CRITERION_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| {
            std::env::var_os("CARGO_TARGET_DIR")
                .map(|t| std::path::PathBuf::from(t).join("criterion"))
        })
        .unwrap_or_else(|| std::path::PathBuf::from("target/criterion"));
    let text = std::fs::read_to_string(dir.join(id).join("new/estimates.json")).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    json["mean"]["point_estimate"].as_f64()
}

/// Per-call medians of awsig, aws-sigv4 and the ECDSA floor, timed in
/// turn within the same loop: on a busy machine the three see the same
/// load, so their ratio holds where separate criterion runs drift.
fn interleaved(case: &Case) -> (f64, f64, f64) {
    const ROUNDS: usize = 600;
    let params = case.aws_params();
    let key = floor_key(&case.signer.signing_key().unwrap());
    let (mut ours, mut theirs, mut floor) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let mut a = case.request.clone();
        let t = std::time::Instant::now();
        black_box(case.awsig(&mut a));
        ours.push(t.elapsed().as_nanos() as f64);
        let mut b = case.request.clone();
        let hash = case.payload.as_str().to_owned();
        let t = std::time::Instant::now();
        black_box(case.aws(&params, &mut b, hash));
        theirs.push(t.elapsed().as_nanos() as f64);
        let t = std::time::Instant::now();
        let der: p256::ecdsa::DerSignature =
            p256::ecdsa::signature::hazmat::PrehashSigner::sign_prehash(
                &key,
                black_box(&[7u8; 32]),
            )
            .unwrap();
        black_box(der);
        floor.push(t.elapsed().as_nanos() as f64);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    (median(&mut ours), median(&mut theirs), median(&mut floor))
}

fn report(cases: &[Case]) {
    println!();
    println!(
        "SigV4a, per sign (criterion means; allocations counted on 200 signs, request cloned outside):"
    );
    println!(
        "{:<14} {:>10} {:>12} {:>8} {:>14} {:>13} {:>16} {:>8}",
        "case",
        "awsig ns",
        "aws-sigv4 ns",
        "speedup",
        "ECDSA floor ns",
        "awsig allocs",
        "aws-sigv4 allocs",
        "targets"
    );
    for case in cases {
        let ours = mean_ns(&format!("{}/awsig", case.name));
        let theirs = mean_ns(&format!("{}/aws-sigv4", case.name));
        let floor = mean_ns(&format!("{}/ecdsa-floor", case.name));
        let ours_allocs = allocations(
            || case.request.clone(),
            |r| {
                black_box(case.awsig(r));
            },
        );
        let params = case.aws_params();
        let theirs_allocs = allocations(
            || (case.request.clone(), case.payload.as_str().to_owned()),
            |(r, h)| drop(case.aws(&params, r, std::mem::take(h))),
        );
        let speedup = match (ours, theirs) {
            (Some(a), Some(b)) => Some(b / a),
            _ => None,
        };
        let met = match speedup {
            Some(s) => {
                let speed = if s >= 2.0 { "2x met" } else { "2x MISSED" };
                let allocs = if ours_allocs <= 4.0 {
                    "allocs met"
                } else {
                    "allocs MISSED"
                };
                format!("{speed}, {allocs}")
            }
            None => "-".to_owned(),
        };
        let show = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |v| format!("{v:.0}"));
        println!(
            "{:<14} {:>10} {:>12} {:>8} {:>14} {:>13} {:>16} {}",
            case.name,
            show(ours),
            show(theirs),
            speedup.map_or_else(|| "-".to_owned(), |s| format!("{s:.2}x")),
            show(floor),
            ours_allocs,
            theirs_allocs,
            met
        );
    }
    println!();
    println!("Interleaved medians (each call timed in turn with the others, 600 rounds):");
    for case in cases {
        let (ours, theirs, floor) = interleaved(case);
        println!(
            "{:<14} awsig {ours:.0} ns, aws-sigv4 {theirs:.0} ns ({:.2}x), ECDSA floor {floor:.0} ns (awsig at {:.2}x the floor)",
            case.name,
            theirs / ours,
            ours / floor
        );
    }
    for id in [
        "v4a_key/awsig-derive-cold",
        "v4a_key/aws-sigv4-private-key-only",
        "v4a_key/awsig-cached",
        "v4a_verify/awsig",
    ] {
        if let Some(ns) = mean_ns(id) {
            println!("{id}: {ns:.0} ns");
        }
    }
    println!(
        "Targets: signing with a cached key at least 2x faster than aws-sigv4; at most 4 allocations on the default path."
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let listing = args.iter().any(|a| a == "--list" || a == "--test");
    let cases = cases();
    check_agreement(&cases);
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(700))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30)
        .configure_from_args();
    bench(&mut c, &cases);
    c.final_summary();
    if !listing {
        report(&cases);
    }
}
