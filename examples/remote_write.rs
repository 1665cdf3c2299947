//! A Prometheus remote_write sender signing with SigV4, as an agent shipping
//! to Amazon Managed Service for Prometheus does.
//!
//! ```text
//! cargo run --example remote_write --features reqwest-middleware -- \
//!     --endpoint URL [--region R] [--samples N] [--interval-ms MS]
//! ```
//!
//! It sends N writes (default 10), `MS` milliseconds apart (default 1000),
//! each a snappy-compressed protobuf `WriteRequest` with one sample of the
//! series `awsig_remote_write_example{job="awsig"}`, through reqwest with
//! the `SigV4Middleware`. The signer is built from a `SigV4Config` (service
//! `aps`): credentials and, unless `--region` is given, the region come from
//! the default chain (environment, shared files, `AWS_PROFILE`, role
//! assumption, container, instance metadata), and refresh in the
//! background. It prints one line per write with the HTTP status and exits
//! 0 only when every write was accepted.
//!
//! `AWSIG_CLOCK_SKEW_SECONDS=N` starts the signer's clock N seconds off (the
//! machine's clock is untouched), to watch the skew correction work: the
//! first write is rejected as skewed, the signer learns the offset from the
//! response's `Date` and sends it again.
//!
//! For `https` endpoints, build reqwest with a TLS feature (for example add
//! `reqwest = { version = "0.13", features = ["rustls"] }` to the example's
//! dependencies); the end-to-end suite sends to a local `http` receiver.

use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use awsig::config::SigV4Config;
use awsig::middleware::SigV4Middleware;
use prost::Message;

/// `prometheus.WriteRequest` (remote write 1.0, prometheus/prompb/remote.proto).
#[derive(Clone, PartialEq, Message)]
struct WriteRequest {
    #[prost(message, repeated, tag = "1")]
    timeseries: Vec<TimeSeries>,
}

/// `prometheus.TimeSeries`.
#[derive(Clone, PartialEq, Message)]
struct TimeSeries {
    #[prost(message, repeated, tag = "1")]
    labels: Vec<Label>,
    #[prost(message, repeated, tag = "2")]
    samples: Vec<Sample>,
}

/// `prometheus.Label`.
#[derive(Clone, PartialEq, Message)]
struct Label {
    #[prost(string, tag = "1")]
    name: String,
    #[prost(string, tag = "2")]
    value: String,
}

/// `prometheus.Sample`: a value and a timestamp in milliseconds.
#[derive(Clone, PartialEq, Message)]
struct Sample {
    #[prost(double, tag = "1")]
    value: f64,
    #[prost(int64, tag = "2")]
    timestamp: i64,
}

struct Args {
    endpoint: String,
    region: Option<String>,
    samples: u32,
    interval: Duration,
}

fn parse_args() -> Result<Args, String> {
    let mut endpoint = None;
    let mut region = None;
    let mut samples = 10;
    let mut interval = Duration::from_millis(1000);
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--endpoint" => endpoint = Some(value()?),
            "--region" => region = Some(value()?),
            "--samples" => {
                samples = value()?
                    .parse()
                    .map_err(|_| "--samples takes a whole number".to_owned())?
            }
            "--interval-ms" => {
                interval = Duration::from_millis(
                    value()?
                        .parse()
                        .map_err(|_| "--interval-ms takes milliseconds".to_owned())?,
                )
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(Args {
        endpoint: endpoint.ok_or("--endpoint URL is required")?,
        region,
        samples,
        interval,
    })
}

/// One write: the series with one sample, encoded and compressed.
fn body(value: f64, at: SystemTime) -> Result<Vec<u8>, snap::Error> {
    let millis = at
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let request = WriteRequest {
        timeseries: vec![TimeSeries {
            labels: vec![
                Label {
                    name: "__name__".into(),
                    value: "awsig_remote_write_example".into(),
                },
                Label {
                    name: "job".into(),
                    value: "awsig".into(),
                },
            ],
            samples: vec![Sample {
                value,
                timestamp: millis,
            }],
        }],
    };
    snap::raw::Encoder::new().compress_vec(&request.encode_to_vec())
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!(
                "remote_write: {e}\nusage: remote_write --endpoint URL [--region R] [--samples N] [--interval-ms MS]"
            );
            return ExitCode::from(2);
        }
    };

    // The agent's glue: config, signer, middleware.
    let config = SigV4Config {
        region: args.region.clone(),
        ..SigV4Config::default()
    };
    let mut signer = match config.build() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("remote_write: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(skew) = std::env::var("AWSIG_CLOCK_SKEW_SECONDS")
        .ok()
        .and_then(|s| s.parse::<i64>().ok())
    {
        signer = signer.with_clock(move || awsig::skew::shift(SystemTime::now(), skew));
    }
    signer
        .credentials()
        .set_on_refresh_error(|e| eprintln!("remote_write: credentials refresh failed: {e}"));
    let _refresher = signer.credentials().spawn_background();
    let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(SigV4Middleware::new(signer.clone()))
        .build();

    let mut accepted = 0;
    for i in 1..=args.samples {
        let payload = match body(f64::from(i), SystemTime::now()) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("remote_write: snappy: {e}");
                return ExitCode::FAILURE;
            }
        };
        let size = payload.len();
        let sent = client
            .post(&args.endpoint)
            .header("content-type", "application/x-protobuf")
            .header("content-encoding", "snappy")
            .header("x-prometheus-remote-write-version", "0.1.0")
            .body(payload)
            .send()
            .await;
        let key = signer
            .credentials()
            .current()
            .map(|c| c.access_key_id().to_owned())
            .unwrap_or_default();
        match sent {
            Ok(response) => {
                let status = response.status();
                let text = response.text().await.unwrap_or_default();
                if status.is_success() {
                    accepted += 1;
                }
                println!(
                    "write {i}/{}: 1 sample, {size} bytes, HTTP {}{}, key {key}, clock offset {} s",
                    args.samples,
                    status.as_u16(),
                    if status.is_success() {
                        String::new()
                    } else {
                        format!(" {}", text.trim())
                    },
                    signer.clock_offset()
                );
            }
            Err(e) => println!("write {i}/{}: not sent: {e}", args.samples),
        }
        if i < args.samples {
            tokio::time::sleep(args.interval).await;
        }
    }
    println!("{accepted} of {} writes accepted", args.samples);
    if accepted == args.samples {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
