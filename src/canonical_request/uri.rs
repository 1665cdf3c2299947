//! The canonical URI: the path, optionally normalized, then encoded.
//!
//! See <https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html#create-canonical-request>.

use crate::percent::{PATH, encode, escape_at};
use crate::settings::{PathNormalization, Settings, UriEncoding};
use crate::sink::Sink;
use crate::stack_vec::StackVec;

/// Writes the canonical URI for a (checked) wire-form path.
pub(crate) fn write_canonical_path(sink: &mut impl Sink, path: &str, settings: &Settings) {
    if path.is_empty() {
        sink.put(b"/");
        return;
    }
    match settings.path_normalization {
        PathNormalization::Enabled if needs_normalizing(path) => {
            for_each_normalized(path, |piece| {
                write_encoded(sink, piece, settings.uri_encoding);
            });
        }
        _ => write_encoded(sink, path, settings.uri_encoding),
    }
}

/// Hands each piece of the normalized path to `piece`, in order: the
/// segments that remain and the '/' between them. AWS keeps a trailing
/// slash only where the path as sent has one: `/a/b/..` is `/a`, not
/// RFC 3986's `/a/`.
fn for_each_normalized<'a>(path: &'a str, mut piece: impl FnMut(&'a str)) {
    let mut segments: StackVec<&str, 32> = StackVec::new();
    normalize(path, &mut segments);
    piece("/");
    for (i, seg) in segments.as_slice().iter().enumerate() {
        if i > 0 {
            piece("/");
        }
        piece(seg);
    }
    if path.ends_with('/') && segments.len() > 0 {
        piece("/");
    }
}

/// The path with its dot and empty segments removed, still in wire form.
pub(crate) fn normalized_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for_each_normalized(path, |piece| out.push_str(piece));
    out
}

/// Whether a segment of the path is `.` or `..`.
pub(crate) fn has_dot_segments(path: &str) -> bool {
    // Each '.' that starts a segment (first in the path or after '/') and
    // is followed by the segment's end, or by one more '.' and its end.
    let bytes = path.as_bytes();
    let mut from = 0;
    while let Some(at) = bytes
        .get(from..)
        .and_then(|rest| rest.iter().position(|&b| b == b'.'))
        .map(|i| i + from)
    {
        let starts = at == 0 || bytes.get(at.wrapping_sub(1)) == Some(&b'/');
        let end = if bytes.get(at + 1) == Some(&b'.') {
            at + 2
        } else {
            at + 1
        };
        if starts && matches!(bytes.get(end), None | Some(b'/')) {
            return true;
        }
        from = at + 1;
    }
    false
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
        // S3 decodes the path and encodes it again, once: escapes stand for
        // their byte (`%7e` is `~`, `%2b` is `%2B`), a raw '+' reads as a
        // space, and every byte but the unreserved characters and '/' is
        // written `%XX` with upper-case hex.
        UriEncoding::Single => {
            let bytes = text.as_bytes();
            let mut start = 0;
            let mut i = 0;
            while let Some(&b) = bytes.get(i) {
                let (decoded, len) = match escape_at(bytes, i) {
                    Some(decoded) => (decoded, 3),
                    None if b == b'+' => (b' ', 1),
                    None => {
                        i += 1;
                        continue;
                    }
                };
                encode(sink, bytes.get(start..i).unwrap_or(&[]), PATH);
                encode(sink, &[decoded], PATH);
                i += len;
                start = i;
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
/// duplicate slashes), keeping the segments that remain.
fn normalize<'a, const N: usize>(path: &'a str, kept: &mut StackVec<&'a str, N>) {
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => kept.pop(),
            _ => kept.push(seg),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The scan agrees with the definition: some '/'-separated segment is
    /// `.` or `..`.
    #[test]
    fn dot_segments_are_found_as_defined() {
        for (path, expected) in [
            ("/a/b", false),
            ("/a/.", true),
            ("/a/..", true),
            ("./a", true),
            ("../a", true),
            (".", true),
            ("/.a/b.", false),
            ("/a/.../b", false),
            ("/a/..b", false),
            ("/a/./b", true),
            ("", false),
        ] {
            assert_eq!(has_dot_segments(path), expected, "{path:?}");
        }
        proptest!(ProptestConfig::with_cases(5000), |(path in "[/.a]{0,12}")| {
            let defined = path.split('/').any(|seg| matches!(seg, "." | ".."));
            prop_assert_eq!(has_dot_segments(&path), defined, "{:?}", path);
        });
    }

    fn canon(path: &str, settings: &Settings) -> String {
        let mut v = Vec::new();
        write_canonical_path(&mut v, path, settings);
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn normalizes_like_aws_and_merges_slashes() {
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
            ("/a/b/..", "/a"),
            ("/a/./b/.", "/a/b"),
            ("/./i//.", "/i"),
            ("/a/.", "/a"),
            ("/a/..", "/"),
            ("/a/b/../", "/a/"),
            ("/a/b/./", "/a/b/"),
            ("/.", "/"),
            ("/..", "/"),
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
            // S3 decodes the path and encodes it again.
            ("/%7E", "/~"),
            ("/a%2bb/%41%7e", "/a%2Bb/A~"),
            ("/%e1%88%b4", "/%E1%88%B4"),
            ("/a%2Fb", "/a/b"),
            ("/a%252F", "/a%252F"),
            // A raw '+' is a space to S3.
            (
                "/libstdc++-docs.x86_64.rpm",
                "/libstdc%20%20-docs.x86_64.rpm",
            ),
            ("/+askhn", "/%20askhn"),
            ("/a%2Bb", "/a%2Bb"),
        ] {
            assert_eq!(canon(input, &s), want, "{input:?}");
        }
    }
}
