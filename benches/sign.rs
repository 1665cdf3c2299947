//! What a signature costs: awsig against aws-sigv4 1.6.4 and against the
//! hashing no signer can avoid, on the same requests in the same run.
//!
//! Benchmarks are named `<case>/<implementation>`, so
//! `cargo bench --bench sign -- amp_precomputed` runs one case for every
//! implementation. After the timings the run prints heap allocations per
//! sign, the throughput of one shared `Signer` on 1 and 2 threads, and a
//! summary table of the timings.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_sigv4::http_request::{
    PercentEncodingMode, SignableBody, SignatureLocation, SigningSettings, UriPathNormalizationMode,
};
use aws_smithy_runtime_api::client::identity::Identity;
use awsig::{
    AmzDate, AuthorizationBuf, Credentials, PayloadHash, PreparedRequest, Region, Service,
    SignableRequest, Signer, SigningKey, StringToSign,
};
use criterion::{BatchSize, Criterion, Throughput};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

#[path = "../tests/support/counting.rs"]
mod counting;

#[global_allocator]
static ALLOCATOR: counting::Counting = counting::Counting;

type HmacSha256 = Hmac<Sha256>;

const ACCESS_KEY_ID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const PRESIGN_EXPIRES: Duration = Duration::from_secs(3600);

/// Requests are cloned in batches of this many, outside the timing, and
/// signed while the batch is still in cache, as a request just built is.
/// (Large batches would make the timing include cache misses and page
/// faults of fresh memory, which no caller pays.)
const SMALL_BATCH: BatchSize = BatchSize::NumIterations(32);

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

/// A 356-character session token, the length STS hands out for a role.
fn session_token() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let token: String = (0..356)
        .map(|i| char::from(ALPHABET[(i * 7 + 3) % ALPHABET.len()]))
        .collect();
    assert_eq!(token.len(), 356);
    token
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Header signing with a payload hash computed beforehand.
    Precomputed,
    /// Header signing that hashes the body in the timed part.
    HashBody,
    /// A presigned URL.
    Presign,
}

struct Case {
    name: &'static str,
    kind: Kind,
    request: http::Request<Vec<u8>>,
    payload: PayloadHash,
    signer: Signer,
    region: &'static str,
    service: &'static str,
    identity: Identity,
    aws_settings: SigningSettings,
}

fn amp_request() -> http::Request<Vec<u8>> {
    http::Request::post(
        "https://aps-workspaces.us-west-2.amazonaws.com/workspaces/ws-12345678-abcd-1234-abcd-123456789012/api/v1/remote_write",
    )
    .header("Content-Type", "application/x-protobuf")
    .header("Content-Encoding", "snappy")
    .header("X-Prometheus-Remote-Write-Version", "0.1.0")
    .header("User-Agent", "agent/1.0")
    .body((0..1024u32).map(|i| (i * 31 % 251) as u8).collect())
    .unwrap()
}

fn cases() -> Vec<Case> {
    let token = session_token();
    let amp_creds = Credentials::with_session_token(ACCESS_KEY_ID, SECRET, &token, None).unwrap();
    let amp_identity: Identity = aws_credential_types::Credentials::new(
        ACCESS_KEY_ID,
        SECRET,
        Some(token.clone()),
        None,
        "bench",
    )
    .into();
    let plain_identity: Identity =
        aws_credential_types::Credentials::new(ACCESS_KEY_ID, SECRET, None, None, "bench").into();
    let plain_creds = Credentials::new(ACCESS_KEY_ID, SECRET).unwrap();

    let amp = amp_request();
    let amp_payload = PayloadHash::of(amp.body());

    let mut presign_settings = SigningSettings::default();
    presign_settings.signature_location = SignatureLocation::QueryParams;
    presign_settings.expires_in = Some(PRESIGN_EXPIRES);
    presign_settings.percent_encoding_mode = PercentEncodingMode::Single;
    presign_settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;

    let query = http::Request::get(
        "https://api.example.us-east-1.amazonaws.com/v1/items?limit=50&sort=created_at&order=desc&filter=status%3Aactive&page_token=eyJpZCI6MTIzfQ",
    )
    .header("Accept", "application/json")
    .body(Vec::new())
    .unwrap();

    vec![
        Case {
            name: "amp_precomputed",
            kind: Kind::Precomputed,
            request: amp.clone(),
            payload: amp_payload,
            signer: Signer::new(amp_creds.clone(), "us-west-2", "aps").unwrap(),
            region: "us-west-2",
            service: "aps",
            identity: amp_identity.clone(),
            aws_settings: SigningSettings::default(),
        },
        Case {
            name: "amp_body_1k",
            kind: Kind::HashBody,
            request: amp,
            payload: amp_payload,
            signer: Signer::new(amp_creds, "us-west-2", "aps").unwrap(),
            region: "us-west-2",
            service: "aps",
            identity: amp_identity,
            aws_settings: SigningSettings::default(),
        },
        Case {
            name: "presign",
            kind: Kind::Presign,
            request: http::Request::get("https://examplebucket.s3.amazonaws.com/test.txt")
                .body(Vec::new())
                .unwrap(),
            payload: PayloadHash::Unsigned,
            signer: Signer::new(plain_creds.clone(), "us-east-1", "s3").unwrap(),
            region: "us-east-1",
            service: "s3",
            identity: plain_identity.clone(),
            aws_settings: presign_settings,
        },
        Case {
            name: "query",
            kind: Kind::Precomputed,
            request: query,
            payload: PayloadHash::empty(),
            signer: Signer::new(plain_creds, "us-east-1", "execute-api").unwrap(),
            region: "us-east-1",
            service: "execute-api",
            identity: plain_identity,
            aws_settings: SigningSettings::default(),
        },
    ]
}

impl Case {
    /// awsig's default path: sign the `http::Request` in place.
    fn awsig(&self, request: &mut http::Request<Vec<u8>>) -> awsig::Signature {
        match self.kind {
            Kind::Precomputed => self.signer.sign(request, &self.payload, now()).unwrap(),
            Kind::HashBody => {
                let payload = PayloadHash::of(request.body());
                self.signer.sign(request, &payload, now()).unwrap()
            }
            Kind::Presign => self
                .signer
                .presign(request, PRESIGN_EXPIRES, &self.payload, now())
                .unwrap(),
        }
    }

    /// The case's request in two shapes that sign the same canonical
    /// request: they differ only in `User-Agent`, which is never signed,
    /// and neither is the shape of `self.request`, whose template the
    /// `awsig` timing leaves on the thread.
    fn two_shapes(&self) -> [http::Request<Vec<u8>>; 2] {
        ["agent/2.0", "agent/2.1"].map(|agent| {
            let mut request = self.request.clone();
            request
                .headers_mut()
                .insert("user-agent", http::HeaderValue::from_static(agent));
            request
        })
    }

    /// awsig's reusable-buffer path (header signing only): the values are
    /// left in `buf`, ready to be written out.
    fn awsig_into(
        &self,
        request: &http::Request<Vec<u8>>,
        buf: &mut AuthorizationBuf,
    ) -> awsig::Signature {
        let view = SignableRequest::from_request(request).unwrap();
        match self.kind {
            Kind::HashBody => {
                let payload = PayloadHash::of(request.body());
                self.signer.sign_into(&view, &payload, now(), buf).unwrap()
            }
            _ => self
                .signer
                .sign_into(&view, &self.payload, now(), buf)
                .unwrap(),
        }
    }

    /// awsig's prepared path: the request prepared once, outside.
    fn awsig_prepared(
        &self,
        prepared: &PreparedRequest<'_>,
        request: &http::Request<Vec<u8>>,
        buf: &mut AuthorizationBuf,
    ) -> awsig::Signature {
        match self.kind {
            Kind::HashBody => {
                let payload = PayloadHash::of(request.body());
                prepared.sign_into(&payload, now(), buf).unwrap()
            }
            _ => prepared.sign_into(&self.payload, now(), buf).unwrap(),
        }
    }

    fn prepare(&self) -> PreparedRequest<'_> {
        self.signer
            .prepare(&SignableRequest::from_request(&self.request).unwrap())
            .unwrap()
    }

    fn aws_params(&self) -> aws_sigv4::http_request::SigningParams<'_> {
        aws_sigv4::sign::v4::SigningParams::builder()
            .identity(&self.identity)
            .region(self.region)
            .name(self.service)
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
                Kind::Precomputed => SignableBody::Precomputed(precomputed),
                Kind::HashBody => SignableBody::Bytes(request.body()),
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

/// What any signer must hash for a case, prepared outside the timing.
struct Floor {
    canonical_request: Vec<u8>,
    body: Option<Vec<u8>>,
    string_to_sign: Vec<u8>,
    hash_at: usize,
    key: [u8; 32],
}

impl Floor {
    fn new(case: &Case) -> Self {
        let view = SignableRequest::from_request(&case.request).unwrap();
        let creq = match case.kind {
            Kind::Presign => case
                .signer
                .presign_canonical_request(&view, PRESIGN_EXPIRES, &case.payload, now())
                .unwrap(),
            _ => case
                .signer
                .canonical_request(&view, &case.payload, now())
                .unwrap(),
        };
        let date = AmzDate::from_system_time(now()).unwrap();
        let sts = StringToSign::new(case.signer.scope(&date), &creq).to_string();
        let canonical_request = creq.to_string().into_bytes();
        assert_eq!(
            hex::encode(Sha256::digest(&canonical_request)),
            &sts[sts.len() - 64..],
            "{}: the string to sign ends with the hash of the canonical request",
            case.name
        );
        Self {
            canonical_request,
            body: (case.kind == Kind::HashBody).then(|| case.request.body().clone()),
            hash_at: sts.len() - 64,
            string_to_sign: sts.into_bytes(),
            key: *case.signer.signing_key(&date).expose_secret_bytes(),
        }
    }

    /// SHA-256 of the body (when the case hashes it), SHA-256 of the
    /// canonical request, one HMAC of the string to sign, hex of each.
    fn run(&self, sts: &mut [u8]) -> [u8; 64] {
        if let Some(body) = &self.body {
            let mut hex = [0u8; 64];
            hex::encode_to_slice(Sha256::digest(body), &mut hex).unwrap();
            black_box(&hex);
        }
        let digest = Sha256::digest(&self.canonical_request);
        hex::encode_to_slice(digest, &mut sts[self.hash_at..]).unwrap();
        let mut mac = HmacSha256::new_from_slice(&self.key).unwrap();
        mac.update(sts);
        let mut out = [0u8; 64];
        hex::encode_to_slice(mac.finalize().into_bytes(), &mut out).unwrap();
        out
    }
}

/// Checks once that the three implementations agree on every case.
fn check_agreement(cases: &[Case]) {
    for case in cases {
        let mut a = case.request.clone();
        let ours = case.awsig(&mut a);
        let mut b = case.request.clone();
        let params = case.aws_params();
        let theirs = case.aws(&params, &mut b, case.payload.as_str().to_owned());
        let floor = Floor::new(case);
        let mut sts = floor.string_to_sign.clone();
        let bare = floor.run(&mut sts);
        assert_eq!(
            ours.as_str(),
            theirs,
            "{}: awsig and aws-sigv4 differ",
            case.name
        );
        assert_eq!(
            ours.as_str().as_bytes(),
            &bare,
            "{}: floor differs",
            case.name
        );
        if case.kind != Kind::Presign {
            let mut buf = AuthorizationBuf::new();
            assert_eq!(case.awsig_into(&case.request, &mut buf), ours);
            let prepared = case.prepare();
            assert_eq!(
                case.awsig_prepared(&prepared, &case.request, &mut buf),
                ours
            );
            for name in ["authorization", "x-amz-date", "x-amz-security-token"] {
                assert_eq!(
                    a.headers().get(name),
                    b.headers().get(name),
                    "{}: {name} differs",
                    case.name
                );
            }
        } else {
            assert_eq!(a.uri().query().is_some(), b.uri().query().is_some());
        }
    }
}

fn bench_cases(c: &mut Criterion, cases: &[Case]) {
    for case in cases {
        let mut group = c.benchmark_group(case.name);
        group.bench_function("awsig", |b| {
            b.iter_batched_ref(|| case.request.clone(), |req| case.awsig(req), SMALL_BATCH)
        });
        // Two shapes in turn: the per-thread template never applies, so
        // every signing canonicalizes the request in full.
        let shapes = case.two_shapes();
        let turn = std::cell::Cell::new(0usize);
        group.bench_function("awsig-new-shape", |b| {
            b.iter_batched_ref(
                || {
                    turn.set(turn.get() ^ 1);
                    shapes[turn.get()].clone()
                },
                |req| case.awsig(req),
                SMALL_BATCH,
            )
        });
        if case.kind != Kind::Presign {
            let mut buf = AuthorizationBuf::new();
            group.bench_function("awsig-into", |b| {
                b.iter(|| case.awsig_into(black_box(&case.request), &mut buf))
            });
            let prepared = case.prepare();
            group.bench_function("awsig-prepared", |b| {
                b.iter(|| case.awsig_prepared(&prepared, black_box(&case.request), &mut buf))
            });
        }
        let params = case.aws_params();
        group.bench_function("aws-sigv4", |b| {
            b.iter_batched_ref(
                || (case.request.clone(), case.payload.as_str().to_owned()),
                |(req, hash)| case.aws(&params, req, std::mem::take(hash)),
                SMALL_BATCH,
            )
        });
        let floor = Floor::new(case);
        let mut sts = floor.string_to_sign.clone();
        group.bench_function("floor", |b| b.iter(|| floor.run(black_box(&mut sts))));
        group.finish();
    }
}

fn bench_stages(c: &mut Criterion, case: &Case) {
    let date = AmzDate::from_system_time(now()).unwrap();
    let region = Region::new(case.region).unwrap();
    let service = Service::new(case.service).unwrap();
    let view = SignableRequest::from_request(&case.request).unwrap();
    let creq = case
        .signer
        .canonical_request(&view, &case.payload, now())
        .unwrap();
    let mut group = c.benchmark_group("stages");
    group.bench_function("key_derivation_cold", |b| {
        b.iter(|| SigningKey::derive(black_box(SECRET), &date, &region, &service))
    });
    group.bench_function("key_cache_hit", |b| {
        b.iter(|| case.signer.signing_key(black_box(&date)))
    });
    group.bench_function("canonical_request", |b| {
        b.iter(|| {
            case.signer
                .canonical_request(black_box(&view), &case.payload, now())
                .unwrap()
        })
    });
    group.bench_function("string_to_sign", |b| {
        b.iter(|| StringToSign::new(case.signer.scope(&date), black_box(&creq)).to_string())
    });
    group.finish();

    for (label, size) in [("payload_1KiB", 1024usize), ("payload_1MiB", 1 << 20)] {
        let body: Vec<u8> = (0..size).map(|i| (i * 131 % 251) as u8).collect();
        let mut group = c.benchmark_group(label);
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_function("awsig", |b| b.iter(|| PayloadHash::of(black_box(&body))));
        group.bench_function("sha2", |b| b.iter(|| Sha256::digest(black_box(&body))));
        group.finish();
    }
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

fn report_allocations(cases: &[&Case]) {
    println!();
    println!("Heap allocations per sign (signing and applying; request cloned outside):");
    println!(
        "{:<18} {:>8} {:>16} {:>12} {:>16} {:>11} {:>7}",
        "case", "awsig", "awsig-new-shape", "awsig-into", "awsig-prepared", "aws-sigv4", "floor"
    );
    for &case in cases {
        let ours = allocations(
            || case.request.clone(),
            |r| {
                black_box(case.awsig(r));
            },
        );
        let shapes = case.two_shapes();
        let mut turn = 0;
        let new_shape = allocations(
            || {
                turn ^= 1;
                shapes[turn].clone()
            },
            |r| {
                black_box(case.awsig(r));
            },
        );
        let prepared = if case.kind == Kind::Presign {
            "-".to_owned()
        } else {
            let mut buf = AuthorizationBuf::new();
            let prepared = case.prepare();
            format!(
                "{}",
                allocations(
                    || (),
                    |_| {
                        black_box(case.awsig_prepared(&prepared, &case.request, &mut buf));
                    }
                )
            )
        };
        let into = if case.kind == Kind::Presign {
            "-".to_owned()
        } else {
            let mut buf = AuthorizationBuf::new();
            format!(
                "{}",
                allocations(
                    || (),
                    |_| {
                        black_box(case.awsig_into(&case.request, &mut buf));
                    }
                )
            )
        };
        let params = case.aws_params();
        let theirs = allocations(
            || (case.request.clone(), case.payload.as_str().to_owned()),
            |(r, h)| drop(case.aws(&params, r, std::mem::take(h))),
        );
        let floor = Floor::new(case);
        let mut sts = floor.string_to_sign.clone();
        let bare = allocations(
            || (),
            |_| {
                black_box(floor.run(&mut sts));
            },
        );
        println!(
            "{:<18} {:>8} {:>16} {:>12} {:>16} {:>11} {:>7}",
            case.name, ours, new_shape, into, prepared, theirs, bare
        );
    }
}

/// CPU time this thread has used (user + system), from
/// `/proc/thread-self/stat`; `None` where that file does not exist.
fn thread_cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    // The fields after the command name, which is in parentheses.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the file: 12 and 13 here.
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // The kernel reports them in USER_HZ, 100 per second on Linux.
    Some(Duration::from_millis(ticks * 10))
}

/// Operations per second of `threads` threads running `op` for `time`, by
/// the wall clock and per second of CPU time the threads got.
fn throughput(threads: usize, time: Duration, op: &(impl Fn() + Sync)) -> (f64, f64) {
    let total = AtomicU64::new(0);
    let cpu_ms = AtomicU64::new(0);
    let stop = AtomicBool::new(false);
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                let cpu0 = thread_cpu_time();
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    for _ in 0..64 {
                        op();
                    }
                    n += 64;
                }
                if let (Some(a), Some(b)) = (cpu0, thread_cpu_time()) {
                    cpu_ms.fetch_add((b - a).as_millis() as u64, Ordering::Relaxed);
                }
                total.fetch_add(n, Ordering::Relaxed);
            });
        }
        std::thread::sleep(time);
        stop.store(true, Ordering::Relaxed);
    });
    let ops = total.load(Ordering::Relaxed) as f64;
    let cpu = cpu_ms.load(Ordering::Relaxed) as f64 / 1000.0;
    (ops / start.elapsed().as_secs_f64(), ops / cpu.max(1e-3))
}

/// A request with nothing shared with `request` (its header values are
/// copied, not reference-counted).
fn deep_copy(request: &http::Request<Vec<u8>>) -> http::Request<Vec<u8>> {
    let mut builder = http::Request::builder()
        .method(request.method().as_str())
        .uri(request.uri().to_string());
    for (name, value) in request.headers() {
        builder = builder.header(name.as_str(), value.as_bytes());
    }
    builder.body(request.body().clone()).unwrap()
}

fn report_threads(case: &Case) {
    println!();
    println!(
        "One shared Signer, {} (best of 3 runs of 1 s each):",
        case.name
    );
    let view = SignableRequest::from_request(&case.request).unwrap();
    // Each thread builds its requests from its own copy, as an agent's
    // workers do: clones of one shared request would share its header
    // values' reference counts between the threads.
    let default_path = || {
        thread_local! {
            static SOURCE: std::cell::RefCell<Option<http::Request<Vec<u8>>>> =
                const { std::cell::RefCell::new(None) };
        }
        SOURCE.with(|source| {
            let mut source = source.borrow_mut();
            let source = source.get_or_insert_with(|| deep_copy(&case.request));
            let mut req = source.clone();
            black_box(case.awsig(&mut req));
        });
    };
    let output_only = || {
        black_box(
            case.signer
                .signing_output(black_box(&view), &case.payload, now())
                .unwrap(),
        );
    };
    let into = || {
        thread_local! {
            static BUF: std::cell::RefCell<AuthorizationBuf> =
                std::cell::RefCell::new(AuthorizationBuf::new());
        }
        BUF.with(|b| {
            black_box(case.awsig_into(&case.request, &mut b.borrow_mut()));
        });
    };
    let runs: [(&str, &(dyn Fn() + Sync)); 3] = [
        ("sign (clone + sign + apply)", &default_path),
        ("signing_output", &output_only),
        ("sign_into", &into),
    ];
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "  load average before: {}",
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    for (label, op) in runs {
        let best = |threads| {
            (0..3)
                .map(|_| throughput(threads, Duration::from_secs(1), &op))
                .fold((0.0f64, 0.0f64), |a, b| (a.0.max(b.0), a.1.max(b.1)))
        };
        let one = best(1);
        let two = best(2);
        println!(
            "  {label:<28} wall: 1 thread {:>8.0}/s, 2 threads {:>8.0}/s, ratio {:.2}x;  per CPU-second: 1 thread {:>8.0}, 2 threads {:>8.0}, ratio {:.2}",
            one.0,
            two.0,
            two.0 / one.0,
            one.1,
            two.1,
            two.1 / one.1
        );
    }
    println!(
        "  (2 threads reach 2x only on 2 idle cores; the per-CPU-second ratio shows whether each thread"
    );
    println!("   works as fast beside another one: 1.00 means no contention inside the signer)");
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

/// Batches of each implementation timed in turn within one loop, `ROUNDS`
/// rounds of `BATCH` calls: on a shared machine the implementations of a
/// round see the same load, so the median of the per-round ratios holds
/// where separate criterion runs drift (neighbours moved aws-sigv4's
/// criterion mean by half between back-to-back runs here). Requests are
/// cloned before each batch, outside its timing.
fn report_paired(cases: &[&Case]) {
    const ROUNDS: usize = 201;
    const BATCH: usize = 32;
    println!();
    println!(
        "Paired rounds ({ROUNDS} rounds of {BATCH} calls each, in turn): median ns per call, and the median of the per-round ratios:"
    );
    println!(
        "{:<18} {:>7} {:>16} {:>11} {:>10} {:>7} {:>16} {:>12} {:>12}",
        "case",
        "awsig",
        "awsig-new-shape",
        "awsig-into",
        "aws-sigv4",
        "floor",
        "aws-sigv4/awsig",
        "awsig/floor",
        "into/floor"
    );
    for case in cases {
        let params = case.aws_params();
        let floor = Floor::new(case);
        let mut sts = floor.string_to_sign.clone();
        let shapes = case.two_shapes();
        let mut buf = AuthorizationBuf::new();
        let time = |run: &mut dyn FnMut()| {
            let t = Instant::now();
            run();
            t.elapsed().as_nanos() as f64 / BATCH as f64
        };
        let mut rows: [Vec<f64>; 5] = Default::default();
        for _ in 0..ROUNDS {
            let mut same: Vec<_> = (0..BATCH).map(|_| case.request.clone()).collect();
            let mut other: Vec<_> = (0..BATCH).map(|i| shapes[i % 2].clone()).collect();
            let mut theirs: Vec<_> = (0..BATCH)
                .map(|_| (case.request.clone(), case.payload.as_str().to_owned()))
                .collect();
            let ours = time(&mut || {
                for r in &mut same {
                    black_box(case.awsig(r));
                }
            });
            let new_shape = time(&mut || {
                for r in &mut other {
                    black_box(case.awsig(r));
                }
            });
            let into = if case.kind == Kind::Presign {
                f64::NAN
            } else {
                time(&mut || {
                    for _ in 0..BATCH {
                        black_box(case.awsig_into(black_box(&case.request), &mut buf));
                    }
                })
            };
            let aws = time(&mut || {
                for (r, hash) in &mut theirs {
                    black_box(case.aws(&params, r, std::mem::take(hash)));
                }
            });
            let bare = time(&mut || {
                for _ in 0..BATCH {
                    black_box(floor.run(black_box(&mut sts)));
                }
            });
            for (row, v) in rows.iter_mut().zip([ours, new_shape, into, aws, bare]) {
                row.push(v);
            }
        }
        let median = |v: Vec<f64>| {
            let mut v: Vec<f64> = v.into_iter().filter(|x| !x.is_nan()).collect();
            v.sort_by(f64::total_cmp);
            v.get(v.len() / 2).copied()
        };
        let ratio = |a: &[f64], b: &[f64]| median(a.iter().zip(b).map(|(a, b)| a / b).collect());
        let [ours, new_shape, into, aws, bare] = &rows;
        let ns =
            |v: &[f64]| median(v.to_vec()).map_or_else(|| "-".to_owned(), |v| format!("{v:.0}"));
        let x = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |v| format!("{v:.2}x"));
        println!(
            "{:<18} {:>7} {:>16} {:>11} {:>10} {:>7} {:>16} {:>12} {:>12}",
            case.name,
            ns(ours),
            ns(new_shape),
            ns(into),
            ns(aws),
            ns(bare),
            x(ratio(aws, ours)),
            x(ratio(ours, bare)),
            x(ratio(into, bare)),
        );
    }
}

fn report_summary(cases: &[Case]) {
    println!();
    println!("Summary (criterion means, ns per sign):");
    println!(
        "{:<18} {:>7} {:>16} {:>11} {:>15} {:>10} {:>7} {:>16} {:>12} {:>14} {:>15}",
        "case",
        "awsig",
        "awsig-new-shape",
        "awsig-into",
        "awsig-prepared",
        "aws-sigv4",
        "floor",
        "aws-sigv4/awsig",
        "awsig/floor",
        "into/floor",
        "prepared/floor"
    );
    let show = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |v| format!("{v:.0}"));
    for case in cases {
        let ours = mean_ns(&format!("{}/awsig", case.name));
        let new_shape = mean_ns(&format!("{}/awsig-new-shape", case.name));
        let into = mean_ns(&format!("{}/awsig-into", case.name));
        let prepared = mean_ns(&format!("{}/awsig-prepared", case.name));
        let theirs = mean_ns(&format!("{}/aws-sigv4", case.name));
        let floor = mean_ns(&format!("{}/floor", case.name));
        let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) => format!("{:.2}x", a / b),
            _ => "-".to_owned(),
        };
        println!(
            "{:<18} {:>7} {:>16} {:>11} {:>15} {:>10} {:>7} {:>16} {:>12} {:>14} {:>15}",
            case.name,
            show(ours),
            show(new_shape),
            show(into),
            show(prepared),
            show(theirs),
            show(floor),
            ratio(theirs, ours),
            ratio(ours, floor),
            ratio(into, floor),
            ratio(prepared, floor)
        );
    }
    for size in ["payload_1KiB", "payload_1MiB"] {
        if let (Some(ours), Some(raw)) = (
            mean_ns(&format!("{size}/awsig")),
            mean_ns(&format!("{size}/sha2")),
        ) {
            println!(
                "{size}: awsig {ours:.0} ns, sha2 {raw:.0} ns, awsig at {:.1}% of raw sha2 throughput",
                100.0 * raw / ours
            );
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let listing = args.iter().any(|a| a == "--list" || a == "--test");
    let filter = args.iter().find(|a| !a.starts_with('-')).cloned();
    let wants = |name: &str| filter.as_deref().is_none_or(|f| name.contains(f));

    let cases = cases();
    check_agreement(&cases);

    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(700))
        .measurement_time(Duration::from_secs(2))
        .sample_size(40)
        .configure_from_args();
    bench_cases(&mut c, &cases);
    bench_stages(&mut c, &cases[0]);
    c.final_summary();

    if listing {
        return;
    }
    let chosen: Vec<&Case> = cases.iter().filter(|c| wants(c.name)).collect();
    if !chosen.is_empty() {
        report_allocations(&chosen);
    }
    if wants("threads") || filter.is_none() {
        report_threads(&cases[0]);
    }
    report_summary(&cases);
    if !chosen.is_empty() {
        report_paired(&chosen);
    }
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
