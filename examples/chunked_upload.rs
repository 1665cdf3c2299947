//! Uploads a file to S3 (or an S3-compatible server) as an `aws-chunked`
//! stream: each 64 KiB chunk signed as it is read, a CRC32C of the whole
//! file in a signed trailer, never more than one chunk in memory.
//!
//! ```sh
//! AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=... AWS_REGION=us-east-1 \
//!   cargo run --features chunked --example chunked_upload -- access.log \
//!   https://bucket.s3.us-east-1.amazonaws.com/logs/access.log
//! ```
//!
//! `--unsigned-chunks` sends `STREAMING-UNSIGNED-PAYLOAD-TRAILER` (chunks
//! without signatures, what the AWS SDKs do over HTTPS); `--no-trailer`
//! sends signed chunks without a checksum. This build of ureq has no TLS:
//! use an `http://` endpoint (a local S3-compatible server, say), or give
//! ureq a TLS feature.

use std::process::ExitCode;
use std::time::SystemTime;

use awsig::chunked::{ChecksumAlgorithm, ChunkSigning, ChunkedUpload};
use awsig::{Credentials, Signer};

fn run() -> Result<(), String> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut flag = |name: &str| {
        let found = args.iter().any(|a| a == name);
        args.retain(|a| a != name);
        found
    };
    let signing = match (flag("--unsigned-chunks"), flag("--no-trailer")) {
        (true, true) => return Err("--unsigned-chunks needs the trailer".into()),
        (true, false) => ChunkSigning::UnsignedWithTrailer(ChecksumAlgorithm::Crc32c),
        (false, true) => ChunkSigning::Signed,
        (false, false) => ChunkSigning::SignedWithTrailer(ChecksumAlgorithm::Crc32c),
    };
    let [path, url] = args.as_slice() else {
        return Err("usage: chunked_upload [--unsigned-chunks|--no-trailer] FILE URL".into());
    };
    let env = |name: &str| std::env::var(name).map_err(|_| format!("{name} is not set"));
    let credentials = match std::env::var("AWS_SESSION_TOKEN") {
        Ok(token) => Credentials::with_session_token(
            &env("AWS_ACCESS_KEY_ID")?,
            &env("AWS_SECRET_ACCESS_KEY")?,
            &token,
            None,
        ),
        Err(_) => Credentials::new(&env("AWS_ACCESS_KEY_ID")?, &env("AWS_SECRET_ACCESS_KEY")?),
    }
    .map_err(|e| e.to_string())?;
    let region = std::env::var("AWS_REGION").unwrap_or_else(|_| "us-east-1".to_owned());
    let signer = Signer::new(credentials, &region, "s3").map_err(|e| e.to_string())?;

    let file = std::fs::File::open(path).map_err(|e| format!("{path}: {e}"))?;
    let length = file.metadata().map_err(|e| format!("{path}: {e}"))?.len();
    let upload = ChunkedUpload::new(length, signing).map_err(|e| e.to_string())?;
    let mut request = http::Request::put(url.as_str())
        .body(())
        .map_err(|e| e.to_string())?;
    let encoder = signer
        .sign_chunked(&mut request, &upload, SystemTime::now())
        .map_err(|e| e.to_string())?;
    eprintln!(
        "sending {length} bytes as {} encoded bytes",
        upload.encoded_length()
    );

    // The encoder frames the file as ureq reads it: the body streams, and
    // its length is the content-length signed above.
    let (parts, ()) = request.into_parts();
    let body = ureq::SendBody::from_owned_reader(encoder.into_reader(file));
    let agent = ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build(),
    );
    let mut response = agent
        .run(http::Request::from_parts(parts, body))
        .map_err(|e| e.to_string())?;
    let status = response.status();
    let text = response
        .body_mut()
        .read_to_string()
        .map_err(|e| e.to_string())?;
    println!("{status}\n{text}");
    if status.is_success() {
        Ok(())
    } else {
        Err(format!("the server answered {status}"))
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("chunked_upload: {e}");
            ExitCode::FAILURE
        }
    }
}
