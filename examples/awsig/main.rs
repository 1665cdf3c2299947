//! `awsig`: a command-line front end to the crate.
//!
//! Only `verify` is wired here so far.

mod verify;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = match args.first().map(String::as_str) {
        Some("verify") => verify::run(args.get(1..).unwrap_or(&[])),
        _ => {
            eprintln!(
                "usage: awsig verify --request-file FILE [--time RFC3339] [--service S] [--region R]"
            );
            2
        }
    };
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}
