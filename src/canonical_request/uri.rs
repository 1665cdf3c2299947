//! The canonical URI: the path, optionally normalized, then encoded.
//!
//! See <https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html#create-canonical-request>.

use super::encode::{PATH, check_wire_text, encode, escape_at};
use crate::error::Error;
use crate::settings::{PathNormalization, Settings, UriEncoding};
use crate::sink::Sink;
use crate::stack_vec::StackVec;

/// Checks a wire-form path: valid escapes and no control characters.
pub(crate) fn check_path(path: &str) -> Result<(), Error> {
    check_wire_text(path.as_bytes()).map_err(|reason| Error::InvalidPath { reason })
}

/// Writes the canonical URI for a (checked) wire-form path.
pub(crate) fn write_canonical_path(sink: &mut impl Sink, path: &str, settings: &Settings) {
    if path.is_empty() {
        sink.put(b"/");
        return;
    }
    match settings.path_normalization {
        PathNormalization::Enabled if needs_normalizing(path) => {
            let mut segments: StackVec<&str, 32> = StackVec::new();
            let trailing = normalize(path, &mut segments);
            let mut out = Normalized {
                sink,
                encoding: settings.uri_encoding,
            };
            out.put("/");
            for (i, seg) in segments.as_slice().iter().enumerate() {
                if i > 0 {
                    out.put("/");
                }
                out.put(seg);
            }
            if trailing && segments.len() > 0 {
                out.put("/");
            }
        }
        _ => write_encoded(sink, path, settings.uri_encoding),
    }
}

struct Normalized<'s, S: Sink> {
    sink: &'s mut S,
    encoding: UriEncoding,
}

impl<S: Sink> Normalized<'_, S> {
    fn put(&mut self, text: &str) {
        write_encoded(self.sink, text, self.encoding);
    }
}

fn write_encoded(sink: &mut impl Sink, text: &str, encoding: UriEncoding) {
    // A path of unreserved characters and '/' is its own encoding, in
    // either mode; one pass without early exit settles it.
    if text.bytes().fold(true, |ok, b| {
        ok & (b.is_ascii_alphanumeric() | matches!(b, b'-' | b'_' | b'.' | b'~' | b'/'))
    }) {
        sink.put(text.as_bytes());
        return;
    }
    match encoding {
        // The path as sent is already encoded once; encode it again, so that
        // '%' becomes '%25' (AWS: "each path segment must be URI-encoded twice").
        UriEncoding::Double => encode(sink, text.as_bytes(), PATH),
        // Encoded once: keep valid escapes as they are, encode anything else
        // that is not unreserved or '/'.
        UriEncoding::Single => {
            let bytes = text.as_bytes();
            let mut start = 0;
            let mut i = 0;
            while i < bytes.len() {
                if escape_at(bytes, i).is_some() {
                    encode(sink, bytes.get(start..i).unwrap_or(&[]), PATH);
                    sink.put(bytes.get(i..i + 3).unwrap_or(&[]));
                    i += 3;
                    start = i;
                } else {
                    i += 1;
                }
            }
            encode(sink, bytes.get(start..).unwrap_or(&[]), PATH);
        }
    }
}

/// Whether the path has empty, `.` or `..` segments to remove (or does
/// not start with '/'). One pass over the bytes.
fn needs_normalizing(path: &str) -> bool {
    let b = path.as_bytes();
    if b.first() != Some(&b'/') {
        return true;
    }
    let dots = |seg: Option<&[u8]>| matches!(seg, Some(b"." | b".."));
    let mut start = 1;
    for (i, &c) in b.iter().enumerate().skip(1) {
        if c == b'/' {
            // An empty segment ("//") or a dot segment ends here.
            if i == start || dots(b.get(start..i)) {
                return true;
            }
            start = i + 1;
        }
    }
    dots(b.get(start..))
}

/// Removes dot segments (RFC 3986 §5.2.4) and empty segments (AWS merges
/// duplicate slashes). Returns whether the result ends with '/'.
fn normalize<'a, const N: usize>(path: &'a str, kept: &mut StackVec<&'a str, N>) -> bool {
    let mut last = "";
    for seg in path.split('/') {
        last = seg;
        match seg {
            "" | "." => {}
            ".." => kept.pop(),
            _ => kept.push(seg),
        }
    }
    matches!(last, "" | "." | "..")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(path: &str, settings: &Settings) -> String {
        let mut v = Vec::new();
        write_canonical_path(&mut v, path, settings);
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn normalizes_like_rfc3986_and_merges_slashes() {
        let s = Settings::default();
        for (input, want) in [
            ("/", "/"),
            ("", "/"),
            ("//", "/"),
            ("/./", "/"),
            ("/example/..", "/"),
            ("/example1/example2/../..", "/"),
            ("/./example", "/example"),
            ("//example//", "/example/"),
            ("/a/b/../c", "/a/c"),
            ("/a/b/..", "/a/"),
            ("/a/./b/.", "/a/b/"),
            ("/../a", "/a"),
            ("/a b", "/a%20b"),
            ("/a%20b", "/a%2520b"),
        ] {
            assert_eq!(canon(input, &s), want, "{input:?}");
        }
    }

    #[test]
    fn needs_normalizing_finds_every_case() {
        for (path, want) in [
            ("/", false),
            ("", true),
            ("a/b", true),
            ("/a/b", false),
            ("/a//b", true),
            ("//", true),
            ("/a/.", true),
            ("/a/..", true),
            ("/./a", true),
            ("/a/.b/..c/...", false),
            ("/a/", false),
        ] {
            assert_eq!(needs_normalizing(path), want, "{path:?}");
        }
    }

    #[test]
    fn s3_keeps_the_path() {
        let s = Settings::s3();
        for (input, want) in [
            ("//a/./b/../", "//a/./b/../"),
            ("/a%20b", "/a%20b"),
            ("/a b=c", "/a%20b%3Dc"),
            ("/ሴ", "/%E1%88%B4"),
        ] {
            assert_eq!(canon(input, &s), want, "{input:?}");
        }
    }
}
