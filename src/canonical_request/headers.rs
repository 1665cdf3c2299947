//! Canonical headers and the signed-headers list.
//!
//! Names are lowercased and sorted; each value is trimmed and its runs of
//! spaces and tabs collapsed to one space; repeated headers are joined with
//! ',' in the order they appear.

use std::cmp::Ordering;

use crate::error::{Error, lossy};
use crate::limits::{MAX_HEADER_FIELD_BYTES, MAX_HEADER_FIELDS};
use crate::request::HeaderSource;
use crate::settings::{HeaderPolicy, Settings};
use crate::sink::Sink;
use crate::stack_vec::StackVec;

/// One header field to sign.
#[derive(Clone, Copy, Default)]
pub(crate) struct Field<'a> {
    pub(crate) name: &'a str,
    pub(crate) value: &'a [u8],
    order: u32,
    /// The name has no upper-case letter (always so for `http` header maps).
    lower: bool,
    /// The first field of its name in canonical order (set by sorting).
    first: bool,
    /// Write the value in lowercase (a host taken from the URI).
    lowercase_value: bool,
}

impl<'a> Field<'a> {
    fn new(name: &'a str, value: &'a [u8], order: u32) -> Self {
        Self {
            name,
            value,
            order,
            lower: !name.bytes().any(|b| b.is_ascii_uppercase()),
            first: false,
            lowercase_value: false,
        }
    }

    fn same_name(&self, other: &Self) -> bool {
        if self.lower && other.lower {
            self.name == other.name
        } else {
            self.name.eq_ignore_ascii_case(other.name)
        }
    }

    fn cmp_name(&self, other: &Self) -> Ordering {
        if self.lower && other.lower {
            self.name.cmp(other.name)
        } else {
            cmp_lower(self.name, other.name)
        }
    }
}

/// The fields to sign, in canonical order once sorted.
pub(crate) type Fields<'a> = StackVec<Field<'a>, 24>;

/// Headers AWS signers never sign: `authorization` holds the signature
/// itself; the rest are changed or dropped by clients, proxies and load
/// balancers on the way (hop-by-hop fields of RFC 9110 §7.6.1, the user agent
/// that SDKs rewrite, and the trace id that AWS X-Ray adds in transit), so
/// signing them would break the signature for no security gain.
pub const NEVER_SIGNED: &[&str] = &[
    "authorization",
    "connection",
    "expect",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "user-agent",
    "x-amzn-trace-id",
];

/// Whether a header is signed under a policy (names compared case-insensitively).
pub(crate) fn is_signed(name: &str, policy: HeaderPolicy) -> bool {
    // Names of other lengths cannot match: skip the comparisons.
    let candidate = matches!(name.len(), 2 | 6 | 7 | 10 | 13 | 15..=19);
    if candidate && NEVER_SIGNED.iter().any(|n| n.eq_ignore_ascii_case(name)) {
        return false;
    }
    match policy {
        HeaderPolicy::AllExceptNeverSigned => true,
        HeaderPolicy::AllowList => {
            name.eq_ignore_ascii_case("host")
                || name.eq_ignore_ascii_case("content-type")
                || name.eq_ignore_ascii_case("content-md5")
                || name
                    .get(..6)
                    .is_some_and(|p| p.eq_ignore_ascii_case("x-amz-"))
        }
    }
}

/// What signing adds to the headers it signs.
pub(crate) struct Additions<'a> {
    /// Fields that signing sets; a request field with the same name is replaced.
    pub(crate) fields: &'a [(&'static str, &'a [u8])],
    /// The host to sign when the request has no Host header.
    pub(crate) host: Option<&'a str>,
    /// When set, sign exactly these (lowercase) header names, whatever the
    /// header policy: what a verifier reads from `SignedHeaders`.
    pub(crate) only: Option<&'a [&'a str]>,
    /// How signing changes the header fields that go on the wire; `None`
    /// for a request taken as it stands (a verifier, the stage).
    pub(crate) wire: Option<WireChange>,
}

/// What signing does to a request's header fields besides adding
/// [`Additions::fields`]: the request fields it removes or replaces, and how
/// many more it adds (`authorization`). The limit on header fields applies
/// to the request as it will be sent, so that whatever is signed can be
/// verified.
#[derive(Clone, Copy)]
pub(crate) struct WireChange {
    /// Request fields of these names are neither signed nor sent.
    pub(crate) dropped: &'static [&'static str],
    /// Fields added after signing.
    pub(crate) extra: usize,
}

/// Gathers, checks and sorts the fields to sign.
pub(crate) fn collect<'a>(
    source: &HeaderSource<'a>,
    settings: &Settings,
    additions: &Additions<'a>,
    out: &mut Fields<'a>,
) -> Result<(), Error> {
    let mut seen_host = false;
    let mut count = 0usize;
    let mut order = 0u32;
    // Fields that signing itself puts on the wire.
    let added = additions
        .wire
        .map_or(0, |w| additions.fields.len() + w.extra);
    let mut visit = |name: &'a str, value: &'a [u8], from_list: bool| -> Result<(), Error> {
        // Signing adds, replaces and drops only `x-amz-*` fields and
        // `authorization`: other names need no lookup.
        let maybe_added = name
            .get(..6)
            .is_some_and(|p| p.eq_ignore_ascii_case("x-amz-"));
        let replaced = maybe_added
            && additions
                .fields
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case(name));
        let dropped = additions.wire.is_some_and(|w| {
            (maybe_added || name.len() == 13)
                && w.dropped.iter().any(|n| n.eq_ignore_ascii_case(name))
        });
        let on_wire = additions.wire.is_none() || !(replaced || dropped);
        if on_wire {
            count += 1;
            if count + added > MAX_HEADER_FIELDS {
                return Err(Error::TooManyHeaders {
                    count: source.len().max(count) + added,
                    limit: MAX_HEADER_FIELDS,
                });
            }
        }
        // `http` names are valid tokens already, but may be longer than the limit.
        if from_list || name.len() > MAX_HEADER_FIELD_BYTES {
            check_name(name)?;
        }
        let selected = match additions.only {
            Some(list) => list.iter().any(|n| n.eq_ignore_ascii_case(name)),
            None => is_signed(name, settings.header_policy),
        };
        if !selected || replaced || dropped {
            return Ok(());
        }
        check_value(name, value)?;
        if name.eq_ignore_ascii_case("host") {
            seen_host = true;
        }
        out.push(Field::new(name, value, order));
        order += 1;
        Ok(())
    };
    match source {
        HeaderSource::Map(map) => {
            for (name, value) in map.iter() {
                visit(name.as_str(), value.as_bytes(), false)?;
            }
        }
        HeaderSource::List(list) => {
            for (name, value) in list.iter() {
                visit(name, value, true)?;
            }
        }
    }
    // Without a Host field, the client sends one taken from the URI.
    if additions.wire.is_some() && !seen_host && count + added >= MAX_HEADER_FIELDS {
        return Err(Error::TooManyHeaders {
            count: count + added + 1,
            limit: MAX_HEADER_FIELDS,
        });
    }
    let host_wanted = additions.only.is_none_or(|list| list.contains(&"host"));
    if !seen_host && host_wanted {
        let host = additions.host.ok_or(Error::MissingHost)?;
        // Host names are case-insensitive (RFC 3986 §3.2.2); the one taken
        // from the URI is signed in lowercase, as URL parsers send it.
        let mut field = Field::new("host", host.as_bytes(), order);
        field.lowercase_value = true;
        out.push(field);
        order += 1;
    }
    for (name, value) in additions.fields {
        out.push(Field::new(name, value, order));
        order += 1;
    }
    let fields = out.as_mut_slice();
    fields.sort_unstable_by(|a, b| a.cmp_name(b).then(a.order.cmp(&b.order)));
    let mut previous: Option<&Field<'a>> = None;
    for field in fields.iter_mut() {
        field.first = previous.is_none_or(|p| !p.same_name(field));
        previous = Some(field);
    }
    Ok(())
}

fn cmp_lower(a: &str, b: &str) -> Ordering {
    a.bytes()
        .map(|c| c.to_ascii_lowercase())
        .cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
}

/// RFC 9110 token characters.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

pub(crate) fn check_name(name: &str) -> Result<(), Error> {
    let bad = |reason| Error::InvalidHeaderName {
        name: lossy(name.as_bytes()),
        reason,
    };
    if name.is_empty() {
        return Err(bad("it is empty"));
    }
    if name.len() > MAX_HEADER_FIELD_BYTES {
        return Err(bad("it is too long"));
    }
    if !name.bytes().all(is_tchar) {
        return Err(bad(
            "it contains a character that is not allowed in a header name (whitespace, a separator, a control or non-ASCII character)",
        ));
    }
    Ok(())
}

pub(crate) fn check_value(name: &str, value: &[u8]) -> Result<(), Error> {
    if value.len() > MAX_HEADER_FIELD_BYTES {
        return Err(Error::HeaderTooLarge {
            name: lossy(name.as_bytes()),
            len: value.len(),
            limit: MAX_HEADER_FIELD_BYTES,
        });
    }
    // Most values are printable ASCII: one pass that the compiler can
    // vectorize settles them.
    if value
        .iter()
        .fold(true, |ok, &b| ok & (0x20..0x7f).contains(&b))
    {
        return Ok(());
    }
    let bad = |reason| Error::InvalidHeaderValue {
        name: lossy(name.as_bytes()),
        reason,
    };
    for &b in value {
        match b {
            b'\r' | b'\n' => return Err(bad("it contains CR or LF")),
            0 => return Err(bad("it contains NUL")),
            b'\t' => {}
            0x01..=0x1f | 0x7f => return Err(bad("it contains a control character")),
            _ => {}
        }
    }
    if !value.is_ascii() && std::str::from_utf8(value).is_err() {
        return Err(bad("it is not valid UTF-8"));
    }
    Ok(())
}

/// Writes `name:value\n` for each header, values joined with ','.
pub(crate) fn write_canonical(sink: &mut impl Sink, fields: &Fields<'_>) {
    let mut open = false;
    for f in fields.as_slice() {
        if f.first {
            if open {
                sink.put(b"\n");
            }
            write_name(sink, f);
            sink.put(b":");
            open = true;
        } else {
            sink.put(b",");
        }
        if f.lowercase_value {
            write_lower(sink, std::str::from_utf8(f.value).unwrap_or_default());
        } else {
            write_value(sink, f.value);
        }
    }
    if open {
        sink.put(b"\n");
    }
}

/// Writes the signed-headers list: lowercase names joined with ';'.
pub(crate) fn write_signed(sink: &mut impl Sink, fields: &Fields<'_>) {
    let mut any = false;
    for f in fields.as_slice().iter().filter(|f| f.first) {
        if any {
            sink.put(b";");
        }
        write_name(sink, f);
        any = true;
    }
}

fn write_name(sink: &mut impl Sink, field: &Field<'_>) {
    if field.lower {
        sink.put(field.name.as_bytes());
    } else {
        write_lower(sink, field.name);
    }
}

/// Whether a value has anything to trim or collapse: a space or tab at
/// either end, a tab anywhere, or two spaces in a row. Most values (tokens,
/// dates, media types) have none; the two passes below have no early exit,
/// so the compiler can vectorize them.
fn needs_trimming(value: &[u8]) -> bool {
    let is_ws = |b: Option<&u8>| matches!(b, Some(b' ' | b'\t'));
    if is_ws(value.first()) || is_ws(value.last()) {
        return true;
    }
    let tabs = value.iter().fold(false, |found, &b| found | (b == b'\t'));
    let doubled = value
        .iter()
        .zip(value.get(1..).unwrap_or(&[]))
        .fold(false, |found, (&a, &b)| found | ((a == b' ') & (b == b' ')));
    tabs | doubled
}

fn write_lower(sink: &mut impl Sink, name: &str) {
    let bytes = name.as_bytes();
    if !bytes.iter().any(u8::is_ascii_uppercase) {
        sink.put(bytes);
        return;
    }
    let mut buf = [0u8; 64];
    for chunk in bytes.chunks(64) {
        let out = buf.get_mut(..chunk.len()).unwrap_or(&mut []);
        for (o, c) in out.iter_mut().zip(chunk) {
            *o = c.to_ascii_lowercase();
        }
        sink.put(out);
    }
}

/// Trims spaces and tabs and collapses inner runs of them to one space.
fn write_value(sink: &mut impl Sink, value: &[u8]) {
    if !needs_trimming(value) {
        sink.put(value);
        return;
    }
    let is_ws = |b: &u8| *b == b' ' || *b == b'\t';
    let start = value.iter().position(|b| !is_ws(b)).unwrap_or(value.len());
    let end = value
        .iter()
        .rposition(|b| !is_ws(b))
        .map_or(start, |p| p + 1);
    let trimmed = value.get(start..end).unwrap_or(&[]);
    let mut first = true;
    for word in trimmed.split(is_ws).filter(|w| !w.is_empty()) {
        if !first {
            sink.put(b" ");
        }
        sink.put(word);
        first = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(v: &str) -> String {
        let mut out = Vec::new();
        write_value(&mut out, v.as_bytes());
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn trimming_check_agrees_with_the_slow_path() {
        let samples = [
            "",
            " ",
            "a",
            "a b",
            "a  b",
            "a\tb",
            " a",
            "a ",
            "abcdefg h",
            "abcdefg  h",
            "abcdefgh  ijk",
            "abcdefg  hijk",
            "abcdefgh ijklmnop qrstuvwx",
            "0123456 89abcdef",
            "0123456  89abcdef",
            "01234567\t9",
            "é  ü",
        ];
        for s in samples {
            let mut slow = Vec::new();
            let is_ws = |b: &u8| *b == b' ' || *b == b'\t';
            let words: Vec<&[u8]> = s
                .as_bytes()
                .split(is_ws)
                .filter(|w| !w.is_empty())
                .collect();
            slow.extend_from_slice(&words.join(&b' '));
            assert_eq!(needs_trimming(s.as_bytes()), slow != s.as_bytes(), "{s:?}");
            assert_eq!(value(s).as_bytes(), slow.as_slice(), "{s:?}");
        }
    }

    #[test]
    fn trims_and_collapses() {
        assert_eq!(value("  a   b \t c  "), "a b c");
        assert_eq!(value("\"a   b   c\""), "\"a b c\"");
        assert_eq!(value("   "), "");
        assert_eq!(value(""), "");
    }

    #[test]
    fn checks_values_and_names() {
        assert!(check_value("x", b"a\r\nb").is_err());
        assert!(check_value("x", b"a\0b").is_err());
        assert!(check_value("x", b"\xff").is_err());
        assert!(check_value("x", "é".as_bytes()).is_ok());
        assert!(check_name("").is_err());
        assert!(check_name("a b").is_err());
        assert!(check_name("a:b").is_err());
        assert!(check_name("X-Amz-Meta-é").is_err());
        assert!(check_name("X-Custom").is_ok());
    }

    #[test]
    fn never_signed_lengths_are_all_candidates() {
        for name in NEVER_SIGNED {
            assert!(
                !is_signed(name, HeaderPolicy::AllExceptNeverSigned),
                "{name}"
            );
            assert!(
                !is_signed(
                    &name.to_ascii_uppercase(),
                    HeaderPolicy::AllExceptNeverSigned
                ),
                "{name}"
            );
        }
    }

    #[test]
    fn policy() {
        assert!(!is_signed("User-Agent", HeaderPolicy::AllExceptNeverSigned));
        assert!(is_signed(
            "content-length",
            HeaderPolicy::AllExceptNeverSigned
        ));
        assert!(!is_signed("content-length", HeaderPolicy::AllowList));
        assert!(is_signed("X-Amz-Meta-A", HeaderPolicy::AllowList));
        assert!(is_signed("content-md5", HeaderPolicy::AllowList));
    }
}
