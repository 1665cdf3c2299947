//! The `awsig` command line (minimal: `credentials` only).

// `resolve_default` serves `sign` and `presign`, not wired up here.
#[allow(dead_code)]
mod credentials;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = match args.split_first() {
        Some((cmd, rest)) if cmd == "credentials" => credentials::run(rest),
        _ => {
            eprintln!("usage: awsig credentials [--profile NAME]");
            2
        }
    };
    std::process::exit(code);
}
