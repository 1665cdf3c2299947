//! Amazon Managed Service for Prometheus, played by the remote_write
//! receiver in `tests/e2e/servers.py`: it checks SigV4 (service `aps`) with
//! botocore against the session credentials moto's STS issued, refuses
//! expired credentials and signing times more than 5 minutes off, and
//! decodes the samples.
//!
//! Signed requests and their tampered twins first, then the
//! `remote_write` example run as an agent would run it: the default chain
//! assuming a role at moto's STS with credentials that live 8 seconds (so
//! they expire and refresh during the run), and the signer's clock 20
//! minutes ahead (so the first write is refused and the skew correction
//! has to work).

use std::process::Command;
use std::time::Duration;

use awsig::{Credentials, PayloadHash, Signer};
use http::Method;

use crate::{Client, Moto, Report, expect_success, now, request, set_header, with_secret};

pub(crate) const PATH: &str = "/workspaces/ws-e2e/api/v1/remote_write";
const WRITES: u32 = 12;

/// A snappy-compressed WriteRequest with one sample (`awsig_e2e 1` at
/// 1_700_000_000_000 ms), as the Rust snap and prost crates produce it.
pub(crate) fn write_request() -> Vec<u8> {
    // WriteRequest { timeseries: [TimeSeries { labels: [__name__=awsig_e2e],
    // samples: [Sample { value: 1.0, timestamp: 1700000000000 }] }] }
    let mut label = Vec::new();
    label.extend_from_slice(&[0x0a, 8]);
    label.extend_from_slice(b"__name__");
    label.extend_from_slice(&[0x12, 9]);
    label.extend_from_slice(b"awsig_e2e");
    let mut sample = vec![0x09];
    sample.extend_from_slice(&1.0f64.to_le_bytes());
    sample.push(0x10);
    let mut ts = 1_700_000_000_000u64;
    while ts >= 0x80 {
        sample.push((ts as u8 & 0x7f) | 0x80);
        ts >>= 7;
    }
    sample.push(ts as u8);
    let mut series = vec![0x0a, label.len() as u8];
    series.extend_from_slice(&label);
    series.push(0x12);
    series.push(sample.len() as u8);
    series.extend_from_slice(&sample);
    let mut message = vec![0x0a, series.len() as u8];
    message.extend_from_slice(&series);
    // Snappy, raw format: the length, then the whole message as a literal.
    let mut out = vec![message.len() as u8];
    out.push(((message.len() - 1) as u8) << 2);
    out.extend_from_slice(&message);
    out
}

fn stats(client: &Client, receiver: &str) -> Result<serde_json::Value, String> {
    let reply = client.send(request(
        Method::GET,
        &format!("{receiver}/stats"),
        Vec::new(),
    ))?;
    expect_success(&reply)?;
    serde_json::from_slice(&reply.body).map_err(|e| format!("stats: {e}"))
}

/// A rejection with this status and `x-amzn-ErrorType`.
fn expect_aps_error(reply: &crate::Reply, code: &str) -> Result<(), String> {
    let text = reply.text();
    if reply.status == 403 && text.contains("message") && reply.error_type.as_deref() == Some(code)
    {
        Ok(())
    } else {
        Err(format!(
            "expected HTTP 403 {code}, got {} {:?}",
            reply.brief(),
            reply.error_type
        ))
    }
}

pub(crate) fn run(
    report: &mut Report,
    moto: &Moto,
    user: &Credentials,
    role_arn: &str,
    session: &Credentials,
) {
    let case = |report: &mut Report, name: &str, result: Result<(), String>| {
        report.case(&format!("remote_write (aps receiver): {name}"), result);
    };
    let Ok(receiver) = std::env::var("AWSIG_E2E_RECEIVER_ENDPOINT") else {
        case(
            report,
            "receiver",
            Err("AWSIG_E2E_RECEIVER_ENDPOINT is not set".to_owned()),
        );
        return;
    };
    let client = Client::new();
    let url = format!("{receiver}{PATH}");
    let body = write_request();
    let signed = |creds: &Credentials, body: &[u8], at| {
        let signer = Signer::new(creds.clone(), crate::REGION, "aps").unwrap();
        let mut req = request(Method::POST, &url, body.to_vec());
        set_header(&mut req, "content-type", "application/x-protobuf");
        set_header(&mut req, "content-encoding", "snappy");
        signer
            .sign(&mut req, &PayloadHash::of(body), at)
            .map_err(|e| e.to_string())?;
        Ok::<_, String>(req)
    };
    case(
        report,
        "a signed write is accepted and its sample decoded",
        {
            signed(session, &body, now())
                .and_then(|r| client.send(r))
                .and_then(|r| expect_success(&r))
                .and_then(|()| stats(&client, &receiver))
                .and_then(|s| {
                    let series = &s["series"][0];
                    if s["samples"] == 1
                        && series["labels"]["__name__"] == "awsig_e2e"
                        && series["samples"][0][0] == 1.0
                    {
                        Ok(())
                    } else {
                        Err(format!("stats {s}"))
                    }
                })
        },
    );
    case(report, "a body byte changed after signing is rejected", {
        signed(session, &body, now())
            .and_then(|mut r| {
                let last = r.body().len() - 1;
                r.body_mut()[last] ^= 1;
                client.send(r)
            })
            .and_then(|r| expect_aps_error(&r, "InvalidSignatureException"))
    });
    case(report, "the wrong secret is rejected", {
        signed(&with_secret(session, "not-the-secret"), &body, now())
            .and_then(|r| client.send(r))
            .and_then(|r| expect_aps_error(&r, "InvalidSignatureException"))
    });
    case(
        report,
        "the session token changed after signing is rejected",
        {
            signed(session, &body, now())
                .and_then(|mut r| {
                    set_header(&mut r, "x-amz-security-token", "changed");
                    client.send(r)
                })
                .and_then(|r| expect_aps_error(&r, "UnrecognizedClientException"))
        },
    );
    case(
        report,
        "a write signed 20 minutes ago is rejected as expired",
        {
            signed(session, &body, now() - Duration::from_secs(1200))
                .and_then(|r| client.send(r))
                .and_then(|r| {
                    expect_aps_error(&r, "InvalidSignatureException")?;
                    if r.text().contains("Signature expired") {
                        Ok(())
                    } else {
                        Err(r.brief())
                    }
                })
        },
    );

    // The example, as an agent runs it.
    let before = stats(&client, &receiver).ok();
    let dir = tempfile_dir();
    let config = format!(
        "[profile e2e-base]\naws_access_key_id = {}\naws_secret_access_key = {}\n\
         [profile e2e-writer]\nrole_arn = {role_arn}\nsource_profile = e2e-base\n\
         role_session_name = remote-write\nduration_seconds = 8\nregion = {}\n",
        user.access_key_id(),
        user.secret_access_key(),
        crate::REGION
    );
    let config_path = format!("{dir}/config");
    std::fs::write(&config_path, config).unwrap();
    let example = std::env::current_exe()
        .unwrap()
        .with_file_name("remote_write");
    let output = Command::new(&example)
        .args([
            "--endpoint",
            &url,
            "--samples",
            &WRITES.to_string(),
            "--interval-ms",
            "1000",
        ])
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_REGION")
        .env("AWS_CONFIG_FILE", &config_path)
        .env("AWS_SHARED_CREDENTIALS_FILE", format!("{dir}/credentials"))
        .env("AWS_PROFILE", "e2e-writer")
        .env("AWS_ENDPOINT_URL_STS", &moto.endpoint)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWSIG_CLOCK_SKEW_SECONDS", "1200")
        .output();
    let _ = std::fs::remove_dir_all(&dir);
    let output = match output {
        Ok(o) => o,
        Err(e) => {
            case(
                report,
                "the example runs",
                Err(format!("{}: {e}", example.display())),
            );
            return;
        }
    };
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    for line in stdout.lines() {
        println!("    {line}");
    }
    case(report, "the example exits 0 with every write accepted", {
        let ok_lines = stdout.lines().filter(|l| l.contains("HTTP 200")).count();
        if output.status.success() && ok_lines == WRITES as usize {
            Ok(())
        } else {
            Err(format!(
                "status {}, {ok_lines} accepted; stderr: {stderr}",
                output.status
            ))
        }
    });
    let after = stats(&client, &receiver).ok();
    let count = |s: &Option<serde_json::Value>, k: &str| {
        s.as_ref().and_then(|s| s[k].as_u64()).unwrap_or(0)
    };
    let rejected = |s: &Option<serde_json::Value>| {
        s.as_ref()
            .and_then(|s| s["rejected"]["InvalidSignatureException"].as_u64())
            .unwrap_or(0)
    };
    case(report, "the receiver decoded every sample", {
        let n = count(&after, "samples") - count(&before, "samples");
        if n == u64::from(WRITES) {
            Ok(())
        } else {
            Err(format!("{n} samples"))
        }
    });
    case(
        report,
        "the skew correction fired: one rejection, then the offset learned",
        {
            let skewed = rejected(&after) - rejected(&before);
            let offset = stdout
                .lines()
                .filter_map(|l| l.split("clock offset ").nth(1))
                .filter_map(|r| r.trim_end_matches(" s").parse::<i64>().ok())
                .next_back();
            let offset_ok = offset.is_some_and(|o| (o + 1200).abs() <= 2);
            if skewed == 1 && offset_ok {
                Ok(())
            } else {
                Err(format!("{skewed} skew rejections; output: {stdout}"))
            }
        },
    );
    case(
        report,
        "the credentials expired and were refreshed during the run",
        {
            let keys: Vec<&str> = stdout
                .lines()
                .filter_map(|l| l.split("key ").nth(1))
                .map(|r| r.split(',').next().unwrap_or(""))
                .collect();
            let mut distinct = keys.clone();
            distinct.dedup();
            if distinct.len() >= 2 {
                Ok(())
            } else {
                Err(format!("keys used: {keys:?}"))
            }
        },
    );
}

fn tempfile_dir() -> String {
    let dir = std::env::temp_dir().join(format!("awsig-e2e-rw-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.to_string_lossy().into_owned()
}
