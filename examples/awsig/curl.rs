//! `--curl`: a curl command that sends exactly the request that was signed,
//! quoted so that a POSIX shell passes every byte through unchanged.

use std::path::PathBuf;

use super::request::RequestArgs;

/// The body to send.
pub enum Body {
    None,
    Inline(String),
    File(PathBuf),
}

impl Body {
    /// The body the flags give.
    pub fn of(args: &RequestArgs) -> Self {
        match (&args.data, &args.data_file) {
            (Some(text), _) => Self::Inline(text.clone()),
            (None, Some(path)) => Self::File(path.clone()),
            (None, None) => Self::None,
        }
    }
}

/// Quotes a word for a POSIX shell: as it is when it holds only characters
/// no shell treats specially, else in single quotes (a `'` inside written
/// as `'\''`).
pub fn quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:@%+=,".contains(&b));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// The command, one option per line. `--globoff` keeps curl from reading
/// `[]{}` in the URL as ranges and `--path-as-is` from removing `.` and `..`
/// segments, so the path sent is the path signed; each header is sent as
/// signed, and curl's own `Content-Type` for a body is removed when none was
/// signed.
pub fn command(method: &str, url: &str, headers: &[(String, String)], body: &Body) -> String {
    let mut words: Vec<String> = vec!["curl --globoff --path-as-is".to_owned()];
    match method {
        "GET" if matches!(body, Body::None) => {}
        "HEAD" => words.push("--head".to_owned()),
        m => words.push(format!("-X {}", quote(m))),
    }
    words.push(quote(url));
    for (name, value) in headers {
        // `Name;` sends a header with an empty value; `Name:` would remove it.
        let header = if value.is_empty() {
            format!("{name};")
        } else {
            format!("{name}: {value}")
        };
        words.push(format!("-H {}", quote(&header)));
    }
    let has_content_type = headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("content-type"));
    match body {
        Body::None => {}
        Body::Inline(text) => words.push(format!("--data-raw {}", quote(text))),
        Body::File(path) => words.push(format!(
            "--data-binary {}",
            quote(&format!("@{}", path.display()))
        )),
    }
    if !matches!(body, Body::None) && !has_content_type {
        words.push(format!("-H {}", quote("Content-Type:")));
    }
    let mut text = words.join(" \\\n  ");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::quote;

    #[test]
    fn quotes_for_a_posix_shell() {
        assert_eq!(quote("abc"), "abc");
        assert_eq!(quote(""), "''");
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote("$HOME `x` \\"), r"'$HOME `x` \'");
    }
}
