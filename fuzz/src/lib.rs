//! Shared pieces of the fuzz targets: turning raw bytes into signing inputs,
//! and the checks that several targets make.
//!
//! A request input is [`CONTROL_LEN`] control bytes (zero-padded when the
//! input is shorter) followed by a request written as text: a first line
//! `METHOD URI [HTTP/x]`, then `name:value` lines up to an empty line. Names
//! and the first line are read lossily as UTF-8; values stay raw bytes. So a
//! request file from the AWS signing test suite behind 16 control bytes is a
//! meaningful seed.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use awsig::{
    CanonicalRequest, ContentSha256Header, CredentialExpiryCheck, Credentials, HeaderPolicy,
    PathNormalization, PayloadHash, SessionTokenMode, Settings, Signer, UriEncoding,
};
use sha2::{Digest, Sha256};

pub mod event_stream;

/// How many bytes at the start of a request input choose the settings,
/// credentials, time, payload and expiry.
pub const CONTROL_LEN: usize = 16;

/// The most header lines read from an input: above `awsig::limits::MAX_HEADER_FIELDS`,
/// so the limit itself is exercised.
const MAX_LINES: usize = 300;

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const TOKEN: &str = "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";

const REGIONS: [&str; 4] = ["us-east-1", "us-west-2", "eu-central-1", "cn-north-1"];
const SERVICES: [&str; 8] = [
    "service",
    "s3",
    "sqs",
    "aps",
    "iam",
    "execute-api",
    "s3-object-lambda",
    "sts",
];

/// The control bytes of a request input.
pub struct Control([u8; CONTROL_LEN]);

/// Splits an input into its control bytes and the request text.
pub fn split(data: &[u8]) -> (Control, &[u8]) {
    let mut ctl = [0u8; CONTROL_LEN];
    let n = data.len().min(CONTROL_LEN);
    ctl[..n].copy_from_slice(&data[..n]);
    (Control(ctl), &data[n..])
}

fn pick<T: Copy>(items: &[T], byte: u8) -> T {
    items[usize::from(byte) % items.len()]
}

impl Control {
    fn bit(&self, byte: usize, bit: u8) -> bool {
        self.0[byte] & (1 << bit) != 0
    }

    fn u64_at(&self, at: usize) -> u64 {
        u64::from_le_bytes(self.0[at..at + 8].try_into().unwrap_or_default())
    }

    /// Every combination of the typed settings.
    pub fn settings(&self) -> Settings {
        let b = |i| self.bit(0, i);
        Settings::default()
            .with_path_normalization(if b(0) {
                PathNormalization::Disabled
            } else {
                PathNormalization::Enabled
            })
            .with_uri_encoding(if b(1) {
                UriEncoding::Single
            } else {
                UriEncoding::Double
            })
            .with_session_token(if b(2) {
                SessionTokenMode::AddedAfterSigning
            } else {
                SessionTokenMode::Signed
            })
            .with_content_sha256(if b(3) {
                ContentSha256Header::Include
            } else {
                ContentSha256Header::Omit
            })
            .with_header_policy(if b(4) {
                HeaderPolicy::AllowList
            } else {
                HeaderPolicy::AllExceptNeverSigned
            })
            .with_credential_expiry(if b(5) {
                CredentialExpiryCheck::Refuse
            } else {
                CredentialExpiryCheck::Ignore
            })
    }

    /// The signing time: anywhere from before 1970 to after 9999.
    pub fn now(&self) -> SystemTime {
        let secs = self.u64_at(4);
        if self.bit(3, 7) {
            UNIX_EPOCH
                .checked_sub(Duration::from_secs(secs % 1_000_000 + 1))
                .unwrap_or(UNIX_EPOCH)
        } else {
            // Up to a little past 9999-12-31T23:59:59Z (253402300799).
            let secs = secs % 253_402_400_000;
            UNIX_EPOCH
                .checked_add(Duration::new(secs, u32::from(self.0[2]) * 1_000_000))
                .unwrap_or(UNIX_EPOCH)
        }
    }

    /// A presign expiry: mostly in range, sometimes 0, too long or fractional.
    pub fn expires(&self) -> Duration {
        let secs = u64::from(u32::from_le_bytes(
            self.0[12..16].try_into().unwrap_or_default(),
        )) % 700_000;
        Duration::new(secs, u32::from(self.bit(1, 7)))
    }

    /// A payload hash: a marker, a digest, or whatever text the request's
    /// `x-amz-content-sha256` header holds (which may be refused).
    pub fn payload(&self, parts: &RequestParts) -> Option<PayloadHash> {
        Some(match self.0[3] % 6 {
            0 => PayloadHash::empty(),
            1 => PayloadHash::Unsigned,
            2 => PayloadHash::StreamingSigned,
            3 => PayloadHash::StreamingSignedTrailer,
            4 => PayloadHash::StreamingUnsignedTrailer,
            _ => {
                let v = parts.header("x-amz-content-sha256").unwrap_or_default();
                PayloadHash::parse(&String::from_utf8_lossy(v)).ok()?
            }
        })
    }

    /// Credentials: fixed ones, or with an access key id or session token
    /// taken from the request's `x-fuzz-key` / `x-fuzz-token` header (which
    /// `Credentials` may refuse: then `None`).
    pub fn credentials(&self, parts: &RequestParts) -> Option<Credentials> {
        let lossy = |name| String::from_utf8_lossy(parts.header(name).unwrap_or_default());
        let key = if self.bit(1, 4) {
            lossy("x-fuzz-key").into_owned()
        } else {
            "AKIDEXAMPLE".to_owned()
        };
        let token = match (self.bit(1, 5), self.bit(1, 6)) {
            (false, _) => None,
            (true, false) => Some(TOKEN.to_owned()),
            (true, true) => Some(lossy("x-fuzz-token").into_owned()),
        };
        let expiry = self
            .bit(3, 6)
            .then(|| {
                self.now()
                    .checked_add(Duration::from_secs(u64::from(self.0[13]) * 3600))
            })
            .flatten();
        Credentials::build(&key, SECRET, token.as_deref(), expiry).ok()
    }

    /// A signer with these credentials, a region and service from a short
    /// list, and the settings.
    pub fn signer(&self, parts: &RequestParts) -> Option<Signer> {
        let signer = Signer::new(
            self.credentials(parts)?,
            pick(&REGIONS, self.0[1]),
            pick(&SERVICES, self.0[1] >> 2),
        )
        .ok()?;
        Some(if self.bit(0, 7) {
            // Keep the service's own preset.
            signer
        } else {
            let settings = self.settings();
            signer.with_settings(settings)
        })
    }
}

/// A request read from fuzz text, with no checks at all.
pub struct RequestParts {
    /// Anything before the first space of the first line.
    pub method: String,
    /// The rest of the first line, less a trailing ` HTTP/...`.
    pub uri: String,
    /// `name:value` lines (a line with no ':' is a name with an empty value).
    pub headers: Vec<(String, Vec<u8>)>,
}

impl RequestParts {
    /// Reads the request text of an input.
    pub fn parse(text: &[u8]) -> Self {
        let mut lines = text.split(|&b| b == b'\n');
        let first = String::from_utf8_lossy(lines.next().unwrap_or_default());
        let (method, rest) = first.split_once(' ').unwrap_or((&first, ""));
        let uri = match rest.rsplit_once(' ') {
            Some((uri, version)) if version.starts_with("HTTP/") => uri,
            _ => rest,
        };
        let headers = lines
            .take_while(|l| !l.is_empty())
            .take(MAX_LINES)
            .map(|line| {
                let colon = line.iter().position(|&b| b == b':').unwrap_or(line.len());
                let name = String::from_utf8_lossy(&line[..colon]).into_owned();
                (name, line.get(colon + 1..).unwrap_or_default().to_vec())
            })
            .collect();
        Self {
            method: method.to_owned(),
            uri: uri.to_owned(),
            headers,
        }
    }

    /// The first value of a header, by name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_slice())
    }

    /// The headers as `SignableRequest::new` takes them.
    pub fn pairs(&self) -> Vec<(&str, &[u8])> {
        self.headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_slice()))
            .collect()
    }

    /// The same request as an `http::Request`, when the `http` crate accepts it.
    pub fn http_request(&self) -> Option<http::Request<()>> {
        let mut builder = http::Request::builder()
            .method(self.method.as_str())
            .uri(self.uri.as_str());
        for (name, value) in &self.headers {
            builder = builder.header(name.as_str(), value.as_slice());
        }
        builder.body(()).ok()
    }
}

/// Checks what every canonical request must be: one line per part, header
/// lines free of CR and matching the signed-headers list, and a digest that
/// is the SHA-256 of the displayed text.
pub fn check_canonical(creq: &CanonicalRequest) {
    for part in [
        creq.method(),
        creq.uri(),
        creq.query(),
        creq.signed_headers(),
        creq.payload_hash(),
    ] {
        assert!(!part.contains(['\r', '\n']), "a line break in {part:?}");
    }
    assert!(!creq.headers().contains('\r'), "CR in canonical headers");
    let names: Vec<&str> = creq
        .headers()
        .lines()
        .map(|l| l.split_once(':').map_or(l, |(n, _)| n))
        .collect();
    let signed: Vec<&str> = creq.signed_headers().split(';').collect();
    assert_eq!(names, signed, "canonical headers and signed headers differ");
    assert_eq!(
        creq.digest(),
        <[u8; 32]>::from(Sha256::digest(creq.to_string().as_bytes())),
        "the digest is not the hash of the text"
    );
}

/// A header value that signing produced must be a valid, single-line header value.
pub fn check_header_value(name: &str, value: &str) {
    assert!(
        !value.bytes().any(|b| b.is_ascii_control()),
        "{name} has a control character"
    );
    assert!(
        http::HeaderValue::from_str(value).is_ok(),
        "{name} is not a valid header value"
    );
}

/// Presign parameter values must be plain query text: unreserved characters
/// and `%XX` escapes with upper-case hex only.
pub fn check_query_text(name: &str, value: &str) {
    let b = value.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let ok = b
                .get(i + 1..i + 3)
                .is_some_and(|h| h.iter().all(|c| matches!(c, b'0'..=b'9' | b'A'..=b'F')));
            assert!(ok, "{name}: a bad escape in {value:?}");
            i += 3;
        } else {
            assert!(
                b[i].is_ascii_alphanumeric() || b"-_.~".contains(&b[i]),
                "{name}: {:?} is not unreserved in {value:?}",
                char::from(b[i])
            );
            i += 1;
        }
    }
}

/// Text shown by `Debug` or an error must not hold the fixed secret key or
/// session token: no 12-character alphanumeric piece of either (such pieces
/// survive percent-encoding; one from each long enough run) may show,
/// unless the input itself holds it, as is or percent-decoded (a canonical
/// query decodes escapes).
pub fn check_no_secret(what: &str, shown: &str, input: &[u8]) {
    let decoded = percent_decode(input);
    for secret in [SECRET, TOKEN] {
        for run in secret.split(|c: char| !c.is_ascii_alphanumeric()) {
            let Some(piece) = run.get(..12) else { continue };
            let piece_in = |text: &[u8]| text.windows(12).any(|w| w == piece.as_bytes());
            if !piece_in(input) && !piece_in(&decoded) {
                assert!(!shown.contains(piece), "{what} shows a secret: {shown}");
            }
        }
    }
}

fn percent_decode(input: &[u8]) -> Vec<u8> {
    let hex = |b: u8| char::from(b).to_digit(16);
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        match (input[i], input.get(i + 1), input.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                out.push((hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0)) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

/// `aws-chunked` bodies: how a decoder input is laid out, and the checks.
pub mod chunked {
    use awsig::chunked::{
        ChecksumAlgorithm, ChunkSigner, ChunkSigning, ChunkedBody, ChunkedDecoder, ChunkedEncoder,
        ChunkedRejection, ChunkedUpload,
    };
    use awsig::{AmzDate, Credentials, Signature, Signer};

    /// Control bytes before the body: the signing mode, the declared
    /// decoded length (u32, little-endian), two piece sizes, the chunk
    /// limit (decoder) or chunk size (encoder).
    pub const CONTROL_LEN: usize = 8;

    /// The seed signature every fuzzed body chains from.
    pub const SEED: &str = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";

    /// The signing time of every fuzzed body: 2013-05-24T00:00:00Z.
    pub const DATE: &str = "20130524T000000Z";

    /// The signing mode a control byte picks.
    pub fn signing(byte: u8) -> ChunkSigning {
        let algorithm = ChecksumAlgorithm::ALL[usize::from(byte % 5)];
        match byte % 11 {
            0 => ChunkSigning::Signed,
            1..=5 => ChunkSigning::SignedWithTrailer(algorithm),
            _ => ChunkSigning::UnsignedWithTrailer(algorithm),
        }
    }

    /// The chunk signer of every fuzzed body (the AWS documentation's
    /// example credentials, us-east-1, s3).
    pub fn chunk_signer() -> ChunkSigner {
        let creds =
            Credentials::new("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
                .unwrap();
        let signer = Signer::new(creds, "us-east-1", "s3").unwrap();
        signer.chunk_signer(&AmzDate::parse(DATE).unwrap())
    }

    /// An input split into its control bytes and the rest.
    pub struct Input<'a> {
        pub signing: ChunkSigning,
        pub declared: u64,
        pub pieces: [usize; 2],
        pub size_byte: u8,
        pub rest: &'a [u8],
    }

    pub fn split(data: &[u8]) -> Input<'_> {
        let mut ctl = [0u8; CONTROL_LEN];
        let n = data.len().min(CONTROL_LEN);
        ctl[..n].copy_from_slice(&data[..n]);
        Input {
            signing: signing(ctl[0]),
            declared: u64::from(u32::from_le_bytes([ctl[1], ctl[2], ctl[3], ctl[4]])),
            pieces: [1 + usize::from(ctl[5]), 1 + 64 * usize::from(ctl[6])],
            size_byte: ctl[7],
            rest: &data[n..],
        }
    }

    /// Feeds `body` to `decoder` in pieces cycling through `pieces`,
    /// checking as it goes that the data held never exceeds `limit` and
    /// that a refusal stays a refusal. Returns the data, or the refusal.
    pub fn decode(
        mut decoder: ChunkedDecoder,
        body: &[u8],
        pieces: [usize; 2],
        limit: usize,
    ) -> Result<Vec<u8>, ChunkedRejection> {
        let mut out = Vec::new();
        let mut rest = body;
        let mut sizes = pieces.iter().cycle();
        let result = (|| {
            while !rest.is_empty() {
                let size = (*sizes.next().unwrap()).clamp(1, rest.len());
                let mut piece = &rest[..size];
                rest = &rest[size..];
                loop {
                    let n = decoder.push(piece)?;
                    assert!(n <= piece.len());
                    piece = &piece[n..];
                    let ready = decoder.decoded();
                    assert!(ready.len() <= limit, "{} bytes held", ready.len());
                    out.extend_from_slice(ready);
                    let taken = ready.len();
                    decoder.consume(taken);
                    if piece.is_empty() && taken == 0 {
                        break;
                    }
                }
            }
            decoder.finish()
        })();
        match result {
            Ok(()) => {
                assert!(decoder.is_done());
                Ok(out)
            }
            Err(e) => {
                // Refused once, refused for good, with the same reason.
                assert_eq!(decoder.push(b"\r\n").unwrap_err(), e);
                assert_eq!(decoder.finish().unwrap_err(), e);
                let _ = (e.code(), e.status(), e.to_string());
                Err(e)
            }
        }
    }

    /// Arbitrary framed input, in arbitrary pieces: no panic, memory held
    /// within the chunk limit, and what is accepted holds exactly the
    /// declared number of bytes.
    pub fn decoder(data: &[u8]) {
        let input = split(data);
        let Ok(body) = ChunkedBody::new(input.declared, input.signing) else {
            return;
        };
        let limit = 8192 << (input.size_byte % 4);
        let decoder = ChunkedDecoder::new(&body, chunk_signer(), Signature::parse(SEED).unwrap())
            .with_max_chunk_size(limit);
        if let Ok(out) = decode(decoder, input.rest, input.pieces, limit) {
            assert_eq!(out.len() as u64, input.declared);
        }
    }

    /// The rest of the input as data, encoded in chunks of 8 KiB and up,
    /// then decoded in arbitrary pieces: the data comes back and the length
    /// is the one computed up front. Then one byte of the body, chosen by
    /// the declared-length bytes, is changed: the body is refused.
    pub fn round_trip(data: &[u8]) {
        let input = split(data);
        let chunk_size = 8192 + 37 * usize::from(input.size_byte);
        let upload = ChunkedUpload::new(input.rest.len() as u64, input.signing)
            .unwrap()
            .with_chunk_size(chunk_size)
            .unwrap();
        let seed = Signature::parse(SEED).unwrap();
        let mut encoder = ChunkedEncoder::new(&upload, chunk_signer(), seed);
        let mut body = Vec::new();
        let mut rest = input.rest;
        let mut sizes = input.pieces.iter().cycle();
        while !rest.is_empty() {
            let size = (*sizes.next().unwrap()).clamp(1, rest.len());
            let mut piece = &rest[..size];
            rest = &rest[size..];
            while !piece.is_empty() {
                let n = encoder.push(piece).unwrap();
                piece = &piece[n..];
                body.extend_from_slice(encoder.output());
                let sent = encoder.output().len();
                encoder.consume(sent);
            }
        }
        encoder.finish().unwrap();
        body.extend_from_slice(encoder.output());
        assert_eq!(body.len() as u64, upload.encoded_length());

        let decoder = || ChunkedDecoder::new(upload.body(), chunk_signer(), seed);
        let limit = awsig::chunked::DEFAULT_MAX_CHUNK_SIZE;
        let out = decode(decoder(), &body, input.pieces, limit).unwrap();
        assert!(out == input.rest);

        let at = (input.declared as usize) % body.len();
        let flip = (input.declared >> 24) as u8 | 1;
        body[at] ^= flip;
        assert!(
            decode(decoder(), &body, input.pieces, limit).is_err(),
            "byte {at} ^ {flip:#x} accepted"
        );
    }
}
