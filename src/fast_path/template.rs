//! A canonical request rendered once, with marks where the signing time (and
//! for presigning, the day), the payload hash and the session token go, and
//! the SHA-256 state of its beginning (up to the first mark) kept.
//!
//! Signing a request of the same shape (method, URI, headers and settings)
//! then hashes only the rest: [`PreparedRequest`](crate::PreparedRequest)
//! holds one explicitly, and header signing and presigning each keep one
//! per thread for the last shape signed twice in a row ([`lookup`],
//! [`learn`]).
//! Either way the digest is byte for byte the one of the full canonical
//! request: the same writer renders both, and the marks are replaced by the
//! same bytes signing would have written there.

use std::cell::RefCell;
use std::ops::Range;
use std::thread::LocalKey;

use crate::credentials::Credentials;
use crate::error::Error;
use crate::payload::PayloadHash;
use crate::percent::{COMPONENT, encode};
use crate::request::{HeaderSource, SignableRequest};
use crate::scope::AmzDate;
use crate::settings::{
    ContentSha256Header, HeaderPolicy, PathNormalization, SessionTokenMode, Settings, UriEncoding,
};
use crate::sha256::Sha256;
use crate::sink::{CountSink, Sink};

/// Stands for the signing time while the canonical request is rendered.
/// NUL never appears in canonical text (header values holding it are
/// refused; the path and query are percent-encoded).
pub(crate) const DATE_MARK: &[u8] = b"\0d\0";
/// Stands for the payload hash (on the payload line, and in
/// `x-amz-content-sha256` when it is signed).
pub(crate) const PAYLOAD_MARK: &str = "\0p\0";
/// Stands for the session token (in `x-amz-security-token` when it is
/// signed, or in the `X-Amz-Security-Token` parameter of a presigned URL),
/// so that no template holds a secret.
pub(crate) const TOKEN_MARK: &[u8] = b"\0t\0";
/// Stands for the date (`YYYYMMDD`) in a presigned URL's credential.
pub(crate) const DAY_MARK: &[u8] = b"\0y\0";

const MARK_LEN: usize = 3;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Part {
    Text(usize, usize),
    Date,
    Payload,
    Token,
    Day,
}

/// How the session token is written where its mark was.
#[derive(Clone, Copy)]
pub(crate) enum TokenText<'a> {
    /// As it is (a header value).
    Raw(&'a [u8]),
    /// Percent-encoded (a query parameter value).
    Encoded(&'a [u8]),
}

/// How many of each mark (date, payload, token, day) a rendering holds.
pub(crate) type MarkCounts = [usize; 4];

/// A rendered canonical request with marks; see the module documentation.
#[derive(Clone)]
pub(crate) struct Template {
    /// SHA-256 of the canonical request up to the first mark.
    prefix: Sha256,
    /// The rest: its unchanging text, and where the marks were.
    text: Vec<u8>,
    parts: Vec<Part>,
    signed_headers: Vec<u8>,
}

impl Template {
    pub(crate) fn empty() -> Self {
        Self {
            prefix: Sha256::new(),
            text: Vec::new(),
            parts: Vec::new(),
            signed_headers: Vec::new(),
        }
    }

    /// Sets the template from rendered text and its signed-headers list;
    /// returns how many of each mark the text holds.
    pub(crate) fn set(&mut self, rendered: &[u8], signed_headers: &[u8]) -> MarkCounts {
        self.signed_headers.clear();
        self.signed_headers.extend_from_slice(signed_headers);
        self.split(rendered)
    }

    /// Splits rendered text at the marks; returns how many of each it found.
    fn split(&mut self, rendered: &[u8]) -> MarkCounts {
        self.text.clear();
        self.parts.clear();
        self.prefix = Sha256::new();
        let mut counts = [0usize; 4];
        let mut prefix_end = None;
        let mut start = 0;
        let mut i = 0;
        while i < rendered.len() {
            let rest = rendered.get(i..).unwrap_or(&[]);
            let (part, slot) = if rest.starts_with(DATE_MARK) {
                (Part::Date, 0)
            } else if rest.starts_with(PAYLOAD_MARK.as_bytes()) {
                (Part::Payload, 1)
            } else if rest.starts_with(TOKEN_MARK) {
                (Part::Token, 2)
            } else if rest.starts_with(DAY_MARK) {
                (Part::Day, 3)
            } else {
                i += 1;
                continue;
            };
            if let Some(c) = counts.get_mut(slot) {
                *c += 1;
            }
            if prefix_end.is_none() {
                prefix_end = Some(i);
            } else {
                self.literal(rendered, start..i);
            }
            self.parts.push(part);
            i += MARK_LEN;
            start = i;
        }
        let prefix_end = match prefix_end {
            Some(end) => {
                self.literal(rendered, start..rendered.len());
                end
            }
            None => rendered.len(),
        };
        self.prefix.put(rendered.get(..prefix_end).unwrap_or(&[]));
        counts
    }

    fn literal(&mut self, rendered: &[u8], range: Range<usize>) {
        if let Some(bytes) = rendered.get(range).filter(|b| !b.is_empty()) {
            let from = self.text.len();
            self.text.extend_from_slice(bytes);
            self.parts.push(Part::Text(from, self.text.len()));
        }
    }

    /// SHA-256 of the canonical request for these values.
    pub(crate) fn digest(
        &self,
        date: &AmzDate,
        payload: &PayloadHash,
        token: TokenText<'_>,
    ) -> [u8; 32] {
        let mut hash = self.prefix.clone();
        for part in &self.parts {
            match *part {
                Part::Text(from, to) => hash.put(self.text.get(from..to).unwrap_or(&[])),
                Part::Date => hash.put(date.as_bytes()),
                Part::Payload => hash.put(payload.as_bytes()),
                Part::Token => match token {
                    TokenText::Raw(t) => hash.put(t),
                    TokenText::Encoded(t) => encode(&mut hash, t, COMPONENT),
                },
                Part::Day => hash.put(date.date().as_bytes()),
            }
        }
        hash.finish()
    }

    /// Whether signing sets `x-amz-content-sha256`: the payload hash is
    /// written twice, on the payload line and in that header.
    pub(crate) fn signs_payload_header(&self) -> bool {
        self.parts.iter().filter(|p| **p == Part::Payload).count() == 2
    }

    /// The bytes the template holds beyond its own size.
    fn bytes(&self) -> usize {
        self.text.capacity()
            + self.parts.capacity() * std::mem::size_of::<Part>()
            + self.signed_headers.capacity()
    }

    /// Gives back the room its buffers do not use.
    fn shrink(&mut self) {
        self.text.shrink_to_fit();
        self.parts.shrink_to_fit();
        self.signed_headers.shrink_to_fit();
    }

    /// The signed-headers list.
    pub(crate) fn signed_headers(&self) -> &[u8] {
        &self.signed_headers
    }
}

/// The session token when signing adds and signs it.
pub(crate) fn signed_token<'c>(
    settings: &Settings,
    credentials: &'c Credentials,
) -> Option<&'c str> {
    match settings.session_token {
        SessionTokenMode::Signed => credentials.session_token(),
        SessionTokenMode::AddedAfterSigning => None,
    }
}

/// What a template depends on, written so that two requests write the same
/// bytes exactly when they render the same template.
pub(crate) trait Shape {
    fn write<S: Sink>(&self, sink: &mut S);
}

/// The shape of header signing: the settings that change the canonical
/// request, whether a token is signed, and the request.
pub(crate) struct HeaderShape<'r, 'a> {
    pub(crate) settings: &'r Settings,
    pub(crate) token: bool,
    pub(crate) request: &'r SignableRequest<'a>,
}

impl Shape for HeaderShape<'_, '_> {
    fn write<S: Sink>(&self, sink: &mut S) {
        write_shape(sink, self.settings, self.token, self.request);
    }
}

/// Writes a piece length-prefixed.
pub(crate) fn write_piece(sink: &mut impl Sink, bytes: &[u8]) {
    sink.put(&u32::try_from(bytes.len()).unwrap_or(u32::MAX).to_le_bytes());
    sink.put(bytes);
}

/// Writes everything a canonical request with marks depends on, each piece
/// length-prefixed.
fn write_shape(
    sink: &mut impl Sink,
    settings: &Settings,
    token: bool,
    request: &SignableRequest<'_>,
) {
    let flags = [
        match settings.path_normalization {
            PathNormalization::Enabled => 1,
            PathNormalization::Disabled => 2,
        },
        match settings.uri_encoding {
            UriEncoding::Double => 1,
            UriEncoding::Single => 2,
        },
        match settings.content_sha256 {
            ContentSha256Header::Omit => 1,
            ContentSha256Header::Include => 2,
        },
        match settings.header_policy {
            HeaderPolicy::AllExceptNeverSigned => 1,
            HeaderPolicy::AllowList => 2,
        },
        u8::from(token),
    ];
    sink.put(&flags);
    // The lengths of each group first, in one piece, then the bytes.
    let host = request.host();
    let texts = [
        request.method().as_bytes(),
        request.path().as_bytes(),
        request.query().as_bytes(),
        host.unwrap_or_default().as_bytes(),
    ];
    let mut lengths = [0u8; 17];
    for (slot, text) in lengths.chunks_exact_mut(4).zip(texts) {
        slot.copy_from_slice(&len32(text));
    }
    if let Some(kind) = lengths.last_mut() {
        *kind = u8::from(host.is_some());
    }
    sink.put(&lengths);
    for text in texts {
        sink.put(text);
    }
    let mut field = |name: &[u8], value: &[u8]| {
        let mut lengths = [0u8; 8];
        let (n, v) = lengths.split_at_mut(4);
        n.copy_from_slice(&len32(name));
        v.copy_from_slice(&len32(value));
        sink.put(&lengths);
        sink.put(name);
        sink.put(value);
    };
    match request.headers {
        HeaderSource::Map(map) => {
            field(b"map", b"");
            for (name, value) in map {
                field(name.as_str().as_bytes(), value.as_bytes());
            }
        }
        HeaderSource::List(list) => {
            field(b"list", b"");
            for (name, value) in list {
                field(name.as_bytes(), value);
            }
        }
    }
}

fn len32(bytes: &[u8]) -> [u8; 4] {
    u32::try_from(bytes.len()).unwrap_or(u32::MAX).to_le_bytes()
}

/// Compares what is written with bytes written before.
struct SameAs<'a> {
    expected: &'a [u8],
    at: usize,
    same: bool,
}

impl Sink for SameAs<'_> {
    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        if !self.same {
            return;
        }
        let end = self.at + bytes.len();
        self.same = match self.expected.get(self.at..end) {
            // Lengths and short pieces: a few compares beat a call.
            Some(e) if bytes.len() <= 16 => {
                e.iter().zip(bytes).fold(true, |s, (a, b)| s & (a == b))
            }
            Some(e) => e == bytes,
            None => false,
        };
        self.at = end;
    }
}

fn same_shape(expected: &[u8], shape: &impl Shape) -> bool {
    let mut cmp = SameAs {
        expected,
        at: 0,
        same: true,
    };
    shape.write(&mut cmp);
    cmp.same && cmp.at == expected.len()
}

/// A per-thread memo: the template of the last shape signed twice in a
/// row, and the shape of the last request that missed.
pub(crate) struct Memo {
    /// The shape `template` is for; empty when there is none.
    shape: Vec<u8>,
    template: Template,
    /// The shape of the last request that did not match.
    candidate: Vec<u8>,
}

impl Memo {
    /// The bytes this memo holds: the memo itself and the capacity of
    /// every buffer it owns.
    fn bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.shape.capacity()
            + self.candidate.capacity()
            + self.template.bytes()
    }

    /// Forgets the template and gives its memory back.
    fn forget(&mut self) {
        self.shape = Vec::new();
        self.template = Template::empty();
    }
}

/// Which memo: header signing and presigning keep one each.
#[derive(Clone, Copy)]
pub(crate) enum Kind {
    Header,
    Presign,
}

thread_local! {
    static HEADER: RefCell<Option<Memo>> = const { RefCell::new(None) };
    static PRESIGN: RefCell<Option<Memo>> = const { RefCell::new(None) };
}

fn memo(kind: Kind) -> &'static LocalKey<RefCell<Option<Memo>>> {
    match kind {
        Kind::Header => &HEADER,
        Kind::Presign => &PRESIGN,
    }
}

/// Runs `with` on this thread's template when it is for `shape`. A hit
/// breaks any run of a shape noted by [`learn`], so that a shape is learnt
/// only when seen twice in a row: requests that alternate between the
/// template's shape and another never replace the template (nor render one
/// on every other call).
pub(crate) fn lookup<T>(
    kind: Kind,
    shape: &impl Shape,
    with: impl FnOnce(&Template) -> T,
) -> Option<T> {
    memo(kind)
        .try_with(|cell| {
            let mut memo = cell.try_borrow_mut().ok()?;
            let memo = memo.as_mut()?;
            if memo.shape.is_empty() || !same_shape(&memo.shape, shape) {
                return None;
            }
            memo.candidate.clear();
            Some(with(&memo.template))
        })
        .ok()
        .flatten()
}

/// Notes a request whose shape the memo did not hold (and that signed
/// without error): the second time in a row a shape is seen, `render`
/// renders its template (into the template, with a scratch buffer that is
/// not kept), which is kept when `render` answers `Ok(true)` and the memo
/// stays within [`MEMO_BYTES`].
pub(crate) fn learn(
    kind: Kind,
    shape: &impl Shape,
    render: impl FnOnce(&mut Template, &mut Vec<u8>) -> Result<bool, Error>,
) {
    let _ = memo(kind).try_with(|cell| {
        let Ok(mut slot) = cell.try_borrow_mut() else {
            return;
        };
        let memo = slot.get_or_insert_with(|| Memo {
            shape: Vec::new(),
            template: Template::empty(),
            candidate: Vec::new(),
        });
        if !memo.candidate.is_empty() && same_shape(&memo.candidate, shape) {
            memo.shape.clear();
            let mut scratch = Vec::new();
            if let Ok(true) = render(&mut memo.template, &mut scratch) {
                memo.template.shrink();
                std::mem::swap(&mut memo.shape, &mut memo.candidate);
            }
            memo.candidate.clear();
        } else {
            let mut len = CountSink::default();
            shape.write(&mut len);
            memo.candidate.clear();
            if len.0 > MAX_SHAPE_BYTES {
                // Not worth a template; and the memory is given back.
                memo.candidate = Vec::new();
            } else {
                memo.candidate.reserve_exact(len.0);
                shape.write(&mut memo.candidate);
            }
        }
        if memo.bytes() > MEMO_BYTES {
            memo.forget();
        }
    });
}

/// Shapes larger than this (headers and URI together) get no template.
const MAX_SHAPE_BYTES: usize = 4 * 1024;

/// The most one memo holds, in bytes: half of
/// [`THREAD_MEMO_BYTES`](crate::limits::THREAD_MEMO_BYTES), for header
/// signing and presigning each.
pub(crate) const MEMO_BYTES: usize = crate::limits::THREAD_MEMO_BYTES / 2;

/// The bytes this thread's memos hold now.
#[cfg(test)]
pub(crate) fn held_bytes() -> usize {
    [Kind::Header, Kind::Presign]
        .into_iter()
        .map(|kind| {
            memo(kind)
                .try_with(|cell| cell.borrow().as_ref().map_or(0, Memo::bytes))
                .unwrap_or(0)
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Signer;

    #[test]
    fn splits_at_the_marks() {
        let mut t = Template::empty();
        let rendered =
            b"GET\n/\n\nhost:h\nx-amz-date:\0d\0\nx-amz-security-token:\0t\0\n\nhost;x-amz-date\n\0p\0";
        assert_eq!(t.split(rendered), [1, 1, 1, 0]);
        assert_eq!(t.text, b"\nx-amz-security-token:\n\nhost;x-amz-date\n");
        assert_eq!(
            t.parts,
            [
                Part::Date,
                Part::Text(0, 22),
                Part::Token,
                Part::Text(22, t.text.len()),
                Part::Payload
            ]
        );
        let mut full = Sha256::new();
        full.put(b"GET\n/\n\nhost:h\nx-amz-date:");
        let date = AmzDate::parse("20150830T123600Z").unwrap();
        full.put(date.as_bytes());
        full.put(b"\nx-amz-security-token:tok\n\nhost;x-amz-date\n");
        full.put(PayloadHash::empty().as_str().as_bytes());
        assert_eq!(
            t.digest(&date, &PayloadHash::empty(), TokenText::Raw(b"tok")),
            full.finish()
        );
        assert_eq!(t.split(b"no marks"), [0, 0, 0, 0]);
        assert!(t.parts.is_empty());
    }

    #[test]
    fn shapes_differ_when_any_input_differs() {
        let settings = Settings::default();
        let h1: &[(&str, &[u8])] = &[("a", b"1"), ("b", b"2")];
        let h2: &[(&str, &[u8])] = &[("a", b"12")];
        let h3: &[(&str, &[u8])] = &[("a", b"1"), ("b", b"2 ")];
        let base = SignableRequest::new("GET", "https://h/p?q", h1).unwrap();
        let of = |settings: &Settings, token: bool, request: &SignableRequest<'_>| {
            let mut shape = Vec::new();
            HeaderShape {
                settings,
                token,
                request,
            }
            .write(&mut shape);
            shape
        };
        let shape = of(&settings, false, &base);
        let same = |settings: &Settings, token: bool, request: &SignableRequest<'_>| {
            same_shape(
                &shape,
                &HeaderShape {
                    settings,
                    token,
                    request,
                },
            )
        };
        assert!(same(&settings, false, &base));
        assert!(!same(&settings, true, &base));
        assert!(!same(&Settings::s3(), false, &base));
        for other in [
            SignableRequest::new("GET", "https://h/p?q", h2).unwrap(),
            SignableRequest::new("GET", "https://h/p?q", h3).unwrap(),
            SignableRequest::new("PUT", "https://h/p?q", h1).unwrap(),
            SignableRequest::new("GET", "https://h/pq", h1).unwrap(),
            SignableRequest::new("GET", "https://h/p?", h1).unwrap(),
            SignableRequest::new("GET", "https://hh/p?q", h1).unwrap(),
            SignableRequest::new("GET", "/p?q", h1).unwrap(),
            SignableRequest::new("GET", "https://h/p?q", &h1[..1]).unwrap(),
        ] {
            assert!(!same(&settings, false, &other));
        }
    }

    fn memo_shape_len() -> usize {
        HEADER.with(|m| m.borrow().as_ref().map_or(0, |m| m.shape.len()))
    }

    /// The memo is filled on the second signing of a shape and used from
    /// the third; what it signs is what the plain staged path signs, for
    /// other times, payloads and tokens than the ones it was learned with.
    #[test]
    fn memo_signs_as_the_staged_path() {
        use crate::{AuthorizationBuf, StringToSign};
        use std::time::{Duration, UNIX_EPOCH};
        let headers: &[(&str, &[u8])] = &[("Content-Type", b"a/b"), ("X-Amz-Meta-K", b" v  w ")];
        let request =
            SignableRequest::new("POST", "https://h.example/p/../q?b=2&a=1", headers).unwrap();
        let plain = Credentials::new("AKID", "secret").unwrap();
        let temporary = Credentials::with_session_token("AKID", "secret", "tok1", None).unwrap();
        let other_token = Credentials::with_session_token("AKID", "secret", "tok2", None).unwrap();
        for settings in [Settings::default(), Settings::s3()] {
            let signer = Signer::new(temporary.clone(), "us-east-1", "svc")
                .unwrap()
                .with_settings(settings);
            let mut buf = AuthorizationBuf::new();
            let t0 = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
            signer
                .sign_into(&request, &PayloadHash::empty(), t0, &mut buf)
                .unwrap();
            signer
                .sign_into(&request, &PayloadHash::empty(), t0, &mut buf)
                .unwrap();
            assert!(memo_shape_len() > 0, "the second signing learns the shape");
            for (i, creds) in [&temporary, &other_token, &plain, &temporary]
                .into_iter()
                .enumerate()
            {
                let now = t0 + Duration::from_secs(86_400 * i as u64 + 17);
                let payload = PayloadHash::of(&[i as u8; 3]);
                let expected = {
                    let with = Signer::new(creds.clone(), "us-east-1", "svc")
                        .unwrap()
                        .with_settings(settings);
                    let creq = with.canonical_request(&request, &payload, now).unwrap();
                    let date = AmzDate::from_system_time(now).unwrap();
                    with.signing_key(&date)
                        .sign(&StringToSign::new(with.scope(&date), &creq))
                };
                let got = signer
                    .signing_output_with(creds, &request, &payload, now)
                    .unwrap();
                assert_eq!(
                    got.signature(),
                    &expected,
                    "settings {settings:?}, credentials {i}"
                );
            }
        }
    }

    #[test]
    fn large_shapes_get_no_template() {
        use crate::AuthorizationBuf;
        use std::time::{Duration, UNIX_EPOCH};
        let big = vec![b'v'; 6000];
        let headers: Vec<(&str, &[u8])> = vec![("a", &big), ("b", &big), ("c", &big)];
        let request = SignableRequest::new("GET", "https://h.example/", &headers).unwrap();
        let small = SignableRequest::new("GET", "https://h.example/", &[]).unwrap();
        let signer = Signer::new(Credentials::new("AKID", "secret").unwrap(), "r1", "svc").unwrap();
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let mut buf = AuthorizationBuf::new();
        for _ in 0..3 {
            signer
                .sign_into(&small, &PayloadHash::empty(), now, &mut buf)
                .unwrap();
        }
        let small_shape = memo_shape_len();
        assert!(small_shape > 0);
        let mut signatures = Vec::new();
        for _ in 0..3 {
            signatures.push(
                signer
                    .sign_into(&request, &PayloadHash::empty(), now, &mut buf)
                    .unwrap(),
            );
        }
        assert_eq!(memo_shape_len(), small_shape, "a large shape is not kept");
        let capacity = HEADER.with(|m| m.borrow().as_ref().map_or(0, |m| m.candidate.capacity()));
        assert!(capacity <= MAX_SHAPE_BYTES, "{capacity}");
        assert!(signatures.iter().all(|s| *s == signatures[0]));
    }

    /// Whatever a thread signs, its memos stay within the bound: shapes of
    /// every size up to past the limit, each signed twice in a row (so that
    /// it becomes the template) and presigned too.
    #[test]
    fn what_a_thread_keeps_is_bounded() {
        use crate::AuthorizationBuf;
        use crate::limits::THREAD_MEMO_BYTES;
        use std::time::{Duration, UNIX_EPOCH};
        std::thread::spawn(|| {
            let creds =
                Credentials::with_session_token("AKID", "secret", &"t".repeat(2000), None).unwrap();
            let signer = Signer::new(creds, "us-east-1", "s3").unwrap();
            let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
            let mut buf = AuthorizationBuf::new();
            let mut most = 0;
            for size in (0..=6000).step_by(97) {
                let value = vec![b'v'; size];
                // Percent-encoding makes the rendered text three times the
                // shape's path and query.
                let uri = format!(
                    "https://h.example/{}?q={}",
                    "%20".repeat(size / 6),
                    "~".repeat(size / 6)
                );
                let headers: Vec<(&str, &[u8])> = vec![("x-a", &value), ("x-b", b"1")];
                let request = SignableRequest::new("PUT", &uri, &headers).unwrap();
                for _ in 0..3 {
                    signer
                        .sign_into(&request, &PayloadHash::empty(), now, &mut buf)
                        .unwrap();
                    signer
                        .presign_output(
                            &request,
                            Duration::from_secs(60),
                            &PayloadHash::Unsigned,
                            now,
                        )
                        .unwrap();
                    most = most.max(held_bytes());
                    assert!(
                        held_bytes() <= THREAD_MEMO_BYTES,
                        "{size}: {}",
                        held_bytes()
                    );
                }
            }
            // Templates were made (the bound is not met by keeping nothing).
            assert!(most > THREAD_MEMO_BYTES / 4, "{most}");
        })
        .join()
        .unwrap();
    }
}
