//! The canonical query string: each key and value percent-encoded, pairs
//! sorted by encoded key then encoded value, joined with '&'.

use std::borrow::Cow;
use std::cmp::Ordering;

use crate::error::Error;
use crate::limits::{MAX_QUERY_BYTES, MAX_QUERY_PARAMS};
use crate::percent::{CanonicalBytes, check_wire_text, decode, is_unreserved, write_component};
use crate::sink::Sink;
use crate::stack_vec::StackVec;

/// One query parameter. `wire` parameters come from a URL and are decoded
/// before they are encoded; the others are plain text signing adds.
#[derive(Clone, Copy, Default)]
pub(crate) struct Param<'a> {
    pub(crate) key: &'a str,
    pub(crate) value: &'a str,
    pub(crate) wire: bool,
    /// Key and value are made of unreserved characters only, and so are
    /// their own canonical encodings.
    plain: (bool, bool),
}

impl<'a> Param<'a> {
    pub(crate) fn new(key: &'a str, value: &'a str, wire: bool) -> Self {
        Self {
            key,
            value,
            wire,
            plain: (is_unreserved(key), is_unreserved(value)),
        }
    }

    /// A parameter whose key and value are already in canonical form (as
    /// written by [`encode`](crate::percent::encode)): written as they are.
    pub(crate) fn canonical(key: &'a str, value: &'a str) -> Self {
        Self {
            key,
            value,
            // Decoding canonical text and encoding it again gives it back,
            // so comparing it as wire text is comparing it as it is.
            wire: true,
            plain: (true, true),
        }
    }

    fn canonical_cmp(&self, other: &Self) -> Ordering {
        let keys = if self.plain.0 && other.plain.0 {
            self.key.cmp(other.key)
        } else {
            canonical(self.key, self.wire).cmp(canonical(other.key, other.wire))
        };
        keys.then_with(|| {
            if self.plain.1 && other.plain.1 {
                self.value.cmp(other.value)
            } else {
                canonical(self.value, self.wire).cmp(canonical(other.value, other.wire))
            }
        })
    }
}

fn canonical(text: &str, wire: bool) -> CanonicalBytes<'_> {
    CanonicalBytes::new(text.as_bytes(), wire)
}

/// The parameters of a query string, in canonical order.
pub(crate) type Params<'a> = StackVec<Param<'a>, 16>;

/// Splits a wire-form query string into parameters and checks each. Empty
/// pieces (`a=1&&b=2`) carry no parameter and are skipped; a piece without
/// '=' is a key with an empty value. A literal '+' is a plus sign, not a space.
pub(crate) fn parse_into<'a>(query: &'a str, params: &mut Params<'a>) -> Result<(), Error> {
    if query.is_empty() {
        return Ok(());
    }
    check_len(query.len())?;
    check_wire_text(query.as_bytes()).map_err(|reason| Error::InvalidQuery {
        reason: reason.to_owned(),
    })?;
    // Query strings are short: plain scans beat the setup of a searcher.
    let pieces = query.as_bytes().split(|&b| b == b'&');
    let mut start = 0;
    for piece in pieces {
        let end = start + piece.len();
        let text = query.get(start..end).unwrap_or("");
        start = end + 1;
        if text.is_empty() {
            continue;
        }
        let (key, value) = match piece.iter().position(|&b| b == b'=') {
            Some(eq) => (
                text.get(..eq).unwrap_or(""),
                text.get(eq + 1..).unwrap_or(""),
            ),
            None => (text, ""),
        };
        if params.len() >= MAX_QUERY_PARAMS {
            return Err(Error::InvalidQuery {
                reason: format!("it has more than {MAX_QUERY_PARAMS} parameters"),
            });
        }
        params.push(Param::new(key, value, true));
    }
    Ok(())
}

/// Refuses a query string longer than [`MAX_QUERY_BYTES`].
pub(crate) fn check_len(len: usize) -> Result<(), Error> {
    if len > MAX_QUERY_BYTES {
        return Err(Error::InvalidQuery {
            reason: format!("it is {len} bytes long (the limit is {MAX_QUERY_BYTES})"),
        });
    }
    Ok(())
}

/// The keys of a wire-form query string, percent-decoded (an invalid escape
/// is kept as it is), for checks on parameter names: a name is the same
/// whatever its spelling (`X-Amz-D%61te` is `X-Amz-Date`).
pub(crate) fn decoded_keys(query: &str) -> impl Iterator<Item = Cow<'_, [u8]>> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|piece| decode(piece.split_once('=').map_or(piece, |(k, _)| k).as_bytes()))
}

/// The decoded names a query string carrying a presigned signature holds:
/// any of them makes a request presigned (see
/// [`is_presigned_query`](crate::is_presigned_query)).
pub(crate) const PRESIGNED_MARKERS: [&str; 3] =
    ["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature"];

/// Whether a query string carries a presigned signature: a parameter whose
/// decoded name is one of [`PRESIGNED_MARKERS`].
pub(crate) fn carries_presigned_signature(query: &str) -> bool {
    decoded_keys(query).any(|k| PRESIGNED_MARKERS.iter().any(|m| m.as_bytes() == &*k))
}

/// Sorts parameters into canonical order.
pub(crate) fn sort(params: &mut Params<'_>) {
    let slice = params.as_mut_slice();
    if slice.windows(2).all(|w| match w {
        [a, b] => a.canonical_cmp(b) != Ordering::Greater,
        _ => true,
    }) {
        return;
    }
    slice.sort_unstable_by(Param::canonical_cmp);
}

/// Writes sorted parameters as the canonical query string.
pub(crate) fn write(sink: &mut impl Sink, params: &Params<'_>) {
    for (i, p) in params.as_slice().iter().enumerate() {
        if i > 0 {
            sink.put(b"&");
        }
        if p.plain.0 {
            sink.put(p.key.as_bytes());
        } else {
            write_component(sink, p.key, p.wire);
        }
        sink.put(b"=");
        if p.plain.1 {
            sink.put(p.value.as_bytes());
        } else {
            write_component(sink, p.value, p.wire);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(q: &str) -> String {
        let mut p = Params::new();
        parse_into(q, &mut p).unwrap();
        sort(&mut p);
        let mut v = Vec::new();
        write(&mut v, &p);
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn canonical_query_rules() {
        for (input, want) in [
            ("", ""),
            ("Param2=value2&Param1=value1", "Param1=value1&Param2=value2"),
            (
                "Param-3=Value3&Param=Value2&%E1%88%B4=Value1",
                "%E1%88%B4=Value1&Param=Value2&Param-3=Value3",
            ),
            ("a", "a="),
            ("a=&b", "a=&b="),
            ("b=2&a=2&a=1", "a=1&a=2&b=2"),
            ("a+b=c+d", "a%2Bb=c%2Bd"),
            ("a=1&&b=2&", "a=1&b=2"),
            ("k=%7e%41", "k=~A"),
            ("sp=a b", "sp=a%20b"),
            ("=v", "=v"),
        ] {
            assert_eq!(canon(input), want, "{input:?}");
        }
    }

    #[test]
    fn rejects_bad_escapes() {
        let mut p = Params::new();
        assert!(parse_into("a=%zz", &mut p).is_err());
    }
}
