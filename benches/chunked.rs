//! What an `aws-chunked` upload costs: the encoder and the verifying
//! decoder against the floor, the work no chunk signer can avoid (SHA-256
//! of every byte and one HMAC per chunk, from `sha2` and `hmac`), on the
//! same bodies in the same run: 1 MiB and 16 MiB in 64 KiB chunks.
//!
//! Benchmarks are named `<size>/<implementation>`. After the timings the
//! run prints heap allocations per chunk and a summary of throughputs
//! against the floor.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::hint::black_box;
use std::time::{Duration, UNIX_EPOCH};

use awsig::chunked::{
    ChecksumAlgorithm, ChunkSigner, ChunkSigning, ChunkedDecoder, ChunkedEncoder, ChunkedUpload,
};
use awsig::{AmzDate, Credentials, Signature, Signer};
use criterion::{Criterion, Throughput};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

#[path = "../tests/support/counting.rs"]
mod counting;

#[global_allocator]
static ALLOCATOR: counting::Counting = counting::Counting;

const CHUNK: usize = 64 * 1024;
const SEED: &str = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";

struct Case {
    name: &'static str,
    data: Vec<u8>,
    signing: ChunkSigning,
}

fn cases() -> Vec<Case> {
    let data = |n: usize| (0..n).map(|i| (i * 31 % 251) as u8).collect::<Vec<u8>>();
    vec![
        Case {
            name: "1MiB",
            data: data(1 << 20),
            signing: ChunkSigning::Signed,
        },
        Case {
            name: "16MiB",
            data: data(16 << 20),
            signing: ChunkSigning::Signed,
        },
        Case {
            name: "16MiB_crc32c_trailer",
            data: data(16 << 20),
            signing: ChunkSigning::SignedWithTrailer(ChecksumAlgorithm::Crc32c),
        },
    ]
}

fn chunk_signer() -> (Signer, ChunkSigner) {
    let creds =
        Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY").unwrap();
    let signer = Signer::new(creds, "us-east-1", "s3").unwrap();
    let date = AmzDate::from_system_time(UNIX_EPOCH + Duration::from_secs(1_700_000_000)).unwrap();
    let chunk_signer = signer.chunk_signer(&date);
    (signer, chunk_signer)
}

fn upload(case: &Case) -> ChunkedUpload {
    ChunkedUpload::new(case.data.len() as u64, case.signing).unwrap()
}

/// Encodes the data, pushed in 64 KiB pieces as a file read would give
/// them; the output is "sent" by touching its length. Returns the bytes
/// framed.
fn encode(case: &Case, signer: &ChunkSigner) -> usize {
    let mut encoder = ChunkedEncoder::new(
        &upload(case),
        signer.clone(),
        Signature::parse(SEED).unwrap(),
    );
    let mut sent = 0;
    for mut piece in case.data.chunks(CHUNK) {
        while !piece.is_empty() {
            let n = encoder.push(piece).unwrap();
            piece = &piece[n..];
            let out = black_box(encoder.output());
            sent += out.len();
            encoder.consume(out.len());
        }
    }
    encoder.finish().unwrap();
    sent += encoder.output().len();
    sent
}

fn encoded(case: &Case, signer: &ChunkSigner) -> Vec<u8> {
    let encoder = ChunkedEncoder::new(
        &upload(case),
        signer.clone(),
        Signature::parse(SEED).unwrap(),
    );
    let mut out = Vec::new();
    std::io::Read::read_to_end(&mut encoder.into_reader(&case.data[..]), &mut out).unwrap();
    out
}

/// Decodes the body, read in 64 KiB pieces as from a socket; the data is
/// "stored" by touching its length. Returns the data bytes.
fn decode(case: &Case, signer: &ChunkSigner, body: &[u8]) -> usize {
    let mut decoder = ChunkedDecoder::new(
        upload(case).body(),
        signer.clone(),
        Signature::parse(SEED).unwrap(),
    );
    let mut stored = 0;
    for mut piece in body.chunks(CHUNK) {
        loop {
            let n = decoder.push(piece).unwrap();
            piece = &piece[n..];
            let data = black_box(decoder.decoded());
            stored += data.len();
            let taken = data.len();
            decoder.consume(taken);
            if piece.is_empty() && taken == 0 {
                break;
            }
        }
    }
    decoder.finish().unwrap();
    stored
}

/// The floor: SHA-256 of each chunk and one HMAC-SHA256 per chunk (and one
/// for the final chunk) over a chunk string to sign, with `sha2`/`hmac`.
fn floor(data: &[u8], key: &[u8; 32]) -> [u8; 32] {
    let mut previous = [0u8; 32];
    let mut sts = [b'x'; 24 + 1 + 16 + 1 + 34 + 1 + 64 + 1 + 64 + 1 + 64];
    let mut sign = |digest: &[u8], previous: &mut [u8; 32]| {
        let len = sts.len();
        hex::encode_to_slice(
            &previous[..],
            &mut sts[len - 64 - 1 - 64 - 1 - 64..len - 64 - 1 - 64 - 1],
        )
        .unwrap();
        hex::encode_to_slice(digest, &mut sts[len - 64..]).unwrap();
        let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
        mac.update(&sts);
        *previous = mac.finalize().into_bytes().into();
    };
    for chunk in data.chunks(CHUNK).chain([&[][..]]) {
        let digest = Sha256::digest(chunk);
        sign(&digest, &mut previous);
    }
    previous
}

fn bench(c: &mut Criterion, cases: &[Case], signer: &ChunkSigner) {
    let key = [7u8; 32];
    for case in cases {
        let body = encoded(case, signer);
        let mut group = c.benchmark_group(case.name);
        group.throughput(Throughput::Bytes(case.data.len() as u64));
        group.sample_size(if case.data.len() > 2 << 20 { 20 } else { 40 });
        group.bench_function("encoder", |b| b.iter(|| encode(case, signer)));
        group.bench_function("decoder", |b| {
            b.iter(|| decode(case, signer, black_box(&body)))
        });
        group.bench_function("floor", |b| b.iter(|| floor(black_box(&case.data), &key)));
        group.finish();
    }
}

/// Allocations of one encode and one decode: the 1 MiB and 16 MiB bodies
/// differ by 240 chunks, so the difference over 240 is what a chunk costs.
fn report_allocations(cases: &[Case], signer: &ChunkSigner) {
    println!();
    println!("Heap allocations (encoder built to done; decoder built to finish):");
    let count = |f: &dyn Fn() -> usize| {
        let before = counting::count();
        black_box(f());
        counting::count() - before
    };
    let mut per_size = Vec::new();
    for case in cases.iter().filter(|c| c.signing == ChunkSigning::Signed) {
        let body = encoded(case, signer);
        let enc = count(&|| encode(case, signer));
        let dec = count(&|| decode(case, signer, &body));
        let chunks = case.data.len().div_ceil(CHUNK) + 1;
        println!(
            "  {:<6} {chunks:>4} chunks: encoder {enc}, decoder {dec}",
            case.name
        );
        per_size.push((chunks, enc, dec));
    }
    if let [(c1, e1, d1), (c2, e2, d2)] = per_size[..] {
        let extra = (c2 - c1) as f64;
        println!(
            "  per chunk after the first: encoder {:.3}, decoder {:.3}",
            (e2 as f64 - e1 as f64) / extra,
            (d2 as f64 - d1 as f64) / extra
        );
    }
}

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

fn report_summary(cases: &[Case]) {
    println!();
    println!(
        "Summary (criterion means; throughput in MiB/s of data; targets: encoder >= 90%, decoder >= 85% of the floor):"
    );
    println!(
        "{:<22} {:>10} {:>10} {:>10} {:>16} {:>16}",
        "case", "encoder", "decoder", "floor", "encoder/floor", "decoder/floor"
    );
    for case in cases {
        let mib = case.data.len() as f64 / f64::from(1 << 20);
        let rate = |ns: Option<f64>| ns.map(|ns| mib / (ns / 1e9));
        let enc = rate(mean_ns(&format!("{}/encoder", case.name)));
        let dec = rate(mean_ns(&format!("{}/decoder", case.name)));
        let flo = rate(mean_ns(&format!("{}/floor", case.name)));
        let show = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |v| format!("{v:.0}"));
        let pct = |a: Option<f64>| match (a, flo) {
            (Some(a), Some(f)) => format!("{:.1}%", 100.0 * a / f),
            _ => "-".to_owned(),
        };
        println!(
            "{:<22} {:>10} {:>10} {:>10} {:>16} {:>16}",
            case.name,
            show(enc),
            show(dec),
            show(flo),
            pct(enc),
            pct(dec)
        );
    }
}

/// The three implementations run in turn, round after round. Reported:
/// each one's fastest round, and the median over rounds of its time
/// against the floor's in the same round (a paired figure, so that work
/// from other processes, which comes and goes, touches both sides alike).
struct Interleaved {
    /// Fastest rounds: encoder, decoder, floor, in MiB/s.
    best: [f64; 3],
    /// Median per-round throughput against the floor: encoder, decoder.
    paired: [f64; 2],
}

fn interleaved(case: &Case, signer: &ChunkSigner, rounds: usize) -> Interleaved {
    let body = encoded(case, signer);
    let key = [7u8; 32];
    let mut best = [f64::MAX; 3];
    let mut ratios = [Vec::new(), Vec::new()];
    for _ in 0..rounds {
        let times = [
            time(|| encode(case, signer)),
            time(|| decode(case, signer, &body)),
            time(|| floor(&case.data, &key)),
        ];
        for (b, t) in best.iter_mut().zip(times) {
            *b = b.min(t);
        }
        ratios[0].push(times[2] / times[0]);
        ratios[1].push(times[2] / times[1]);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let mib = case.data.len() as f64 / f64::from(1 << 20);
    Interleaved {
        best: best.map(|t| mib / t),
        paired: [median(&mut ratios[0]), median(&mut ratios[1])],
    }
}

fn time<T>(f: impl FnOnce() -> T) -> f64 {
    let start = std::time::Instant::now();
    black_box(f());
    start.elapsed().as_secs_f64()
}

fn report_interleaved(cases: &[Case], signer: &ChunkSigner) {
    const ROUNDS: usize = 41;
    println!();
    println!(
        "{ROUNDS} interleaved rounds: fastest round of each (MiB/s of data), and the median of the per-round ratio to the floor:"
    );
    println!(
        "{:<22} {:>8} {:>8} {:>8} {:>14} {:>14} {:>15} {:>15}",
        "case",
        "encoder",
        "decoder",
        "floor",
        "enc/floor best",
        "dec/floor best",
        "enc/floor paired",
        "dec/floor paired"
    );
    for case in cases {
        let r = interleaved(case, signer, ROUNDS);
        let [enc, dec, flo] = r.best;
        println!(
            "{:<22} {:>8.0} {:>8.0} {:>8.0} {:>13.1}% {:>13.1}% {:>15.1}% {:>15.1}%",
            case.name,
            enc,
            dec,
            flo,
            100.0 * enc / flo,
            100.0 * dec / flo,
            100.0 * r.paired[0],
            100.0 * r.paired[1]
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let listing = args.iter().any(|a| a == "--list" || a == "--test");
    let cases = cases();
    let (_signer, chunk_signer) = chunk_signer();

    // The decoder accepts what the encoder frames, with the length the
    // upload declares.
    for case in &cases {
        let body = encoded(case, &chunk_signer);
        assert_eq!(body.len() as u64, upload(case).encoded_length());
        assert_eq!(encode(case, &chunk_signer), body.len());
        assert_eq!(decode(case, &chunk_signer, &body), case.data.len());
    }

    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    bench(&mut c, &cases, &chunk_signer);
    c.final_summary();
    if listing {
        return;
    }
    report_allocations(&cases, &chunk_signer);
    report_summary(&cases);
    report_interleaved(&cases, &chunk_signer);
    println!();
    println!(
        "Machine: {}, {} cores",
        cpu_model(),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned())
}
