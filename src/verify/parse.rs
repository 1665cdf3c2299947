//! Parsers for the two places a SigV4 signature travels: the
//! `Authorization` header and the `X-Amz-*` query parameters of a presigned
//! URL. They are pure functions of their input, never panic, and reject
//! repeated or missing parts with a reason.

use std::fmt;

use crate::error::{Redacted, lossy};
use crate::percent::escape_at;
use crate::scope::{AmzDate, Region, Service};
use crate::string_to_sign::ALGORITHM;

/// The longest `Authorization` header or presigned query the parsers read.
pub const MAX_AUTH_TEXT_BYTES: usize = crate::limits::MAX_HEADER_FIELD_BYTES;

/// Why an `Authorization` header or a presigned query could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthParseError {
    /// The algorithm is not `AWS4-HMAC-SHA256`.
    #[error("the algorithm {algorithm:?} is not supported: expected AWS4-HMAC-SHA256")]
    UnsupportedAlgorithm {
        /// The algorithm as given (lossy, shortened).
        algorithm: String,
    },
    /// A required part is absent.
    #[error("{part} is missing")]
    Missing {
        /// The part's name (`Credential`, `X-Amz-Date`, ...).
        part: &'static str,
    },
    /// A part appears more than once.
    #[error("{part} appears more than once")]
    Repeated {
        /// The part's name.
        part: &'static str,
    },
    /// A part is present but not well formed.
    #[error("{part} is malformed: {reason}")]
    Malformed {
        /// The part's name.
        part: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
}

fn malformed(part: &'static str, reason: &'static str) -> AuthParseError {
    AuthParseError::Malformed { part, reason }
}

/// A parsed credential: `AKID/YYYYMMDD/region/service/aws4_request`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialText {
    access_key_id: String,
    date: String,
    region: Region,
    service: Service,
}

impl CredentialText {
    /// The access key id.
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// The scope's date, `YYYYMMDD`.
    pub fn date(&self) -> &str {
        &self.date
    }

    /// The scope's region.
    pub fn region(&self) -> &Region {
        &self.region
    }

    /// The scope's service.
    pub fn service(&self) -> &Service {
        &self.service
    }
}

/// Parses a credential, `AKID/YYYYMMDD/region/service/aws4_request`.
/// `part` names where it came from, for the error.
///
/// ```
/// let c = awsig::parse_credential("AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request", "Credential")?;
/// assert_eq!((c.access_key_id(), c.date(), c.region().as_str(), c.service().as_str()),
///            ("AKIDEXAMPLE", "20150830", "us-east-1", "iam"));
/// # Ok::<(), awsig::AuthParseError>(())
/// ```
///
/// # Errors
///
/// [`AuthParseError::Missing`](crate::AuthParseError::Missing) or [`AuthParseError::Malformed`](crate::AuthParseError::Malformed) when the text is not `AKID/YYYYMMDD/region/service/aws4_request` or a part is not valid; it names `part`.
pub fn parse_credential(text: &str, part: &'static str) -> Result<CredentialText, AuthParseError> {
    let mut it = text.rsplitn(5, '/');
    let (Some(terminator), Some(service), Some(region), Some(date), Some(key)) =
        (it.next(), it.next(), it.next(), it.next(), it.next())
    else {
        return Err(malformed(
            part,
            "expected access-key-id/YYYYMMDD/region/service/aws4_request",
        ));
    };
    if terminator != "aws4_request" {
        return Err(malformed(part, "the scope does not end with aws4_request"));
    }
    if key.is_empty() {
        return Err(malformed(part, "the access key id is empty"));
    }
    if key.contains('/')
        || key
            .bytes()
            .any(|b| b.is_ascii_whitespace() || b.is_ascii_control() || !b.is_ascii())
    {
        return Err(malformed(
            part,
            "the access key id contains '/', whitespace, control or non-ASCII characters",
        ));
    }
    if date.len() != 8 || !date.bytes().all(|b| b.is_ascii_digit()) {
        return Err(malformed(part, "the scope date is not YYYYMMDD"));
    }
    if AmzDate::parse(&format!("{date}T000000Z")).is_err() {
        return Err(malformed(part, "the scope date is not a valid date"));
    }
    let region = Region::new(region).map_err(|_| malformed(part, "the region is not valid"))?;
    let service = Service::new(service).map_err(|_| malformed(part, "the service is not valid"))?;
    Ok(CredentialText {
        access_key_id: key.to_owned(),
        date: date.to_owned(),
        region,
        service,
    })
}

/// Parses a signed-headers list, `host;x-amz-date`: lowercase header
/// names, sorted, without repeats, joined with ';'.
///
/// ```
/// assert_eq!(awsig::parse_signed_headers("host;x-amz-date", "SignedHeaders")?, vec!["host", "x-amz-date"]);
/// assert!(awsig::parse_signed_headers("x-amz-date;host", "SignedHeaders").is_err());
/// # Ok::<(), awsig::AuthParseError>(())
/// ```
///
/// # Errors
///
/// [`AuthParseError::Malformed`](crate::AuthParseError::Malformed) when the list is empty, not lower-case and sorted, repeats a name, or holds a character a header name cannot.
pub fn parse_signed_headers<'a>(
    text: &'a str,
    part: &'static str,
) -> Result<Vec<&'a str>, AuthParseError> {
    if text.is_empty() {
        return Err(malformed(part, "it is empty"));
    }
    let mut names: Vec<&str> = Vec::new();
    for name in text.split(';') {
        if name.is_empty() {
            return Err(malformed(part, "it has an empty header name"));
        }
        if !name.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || b"!#$%&'*+-.^_`|~".contains(&b)
        }) {
            return Err(malformed(
                part,
                "a header name is not a lowercase HTTP token",
            ));
        }
        if let Some(prev) = names.last() {
            if *prev == name {
                return Err(malformed(part, "a header name is repeated"));
            }
            if *prev > name {
                return Err(malformed(part, "the header names are not sorted"));
            }
        }
        if names.len() >= crate::limits::MAX_HEADER_FIELDS {
            return Err(malformed(part, "it lists too many headers"));
        }
        names.push(name);
    }
    Ok(names)
}

fn parse_signature(text: &str, part: &'static str) -> Result<(), AuthParseError> {
    if text.len() != 64 || !text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return Err(malformed(part, "expected 64 lowercase hexadecimal digits"));
    }
    Ok(())
}

/// A parsed `Authorization` header of a SigV4 request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationHeader<'a> {
    credential: CredentialText,
    signed_headers: Vec<&'a str>,
    signature: &'a str,
}

impl<'a> AuthorizationHeader<'a> {
    /// The credential.
    pub fn credential(&self) -> &CredentialText {
        &self.credential
    }

    /// The signed header names, lowercase and sorted.
    pub fn signed_headers(&self) -> &[&'a str] {
        &self.signed_headers
    }

    /// The signature, 64 lowercase hex digits.
    pub fn signature(&self) -> &'a str {
        self.signature
    }
}

/// Parses an `Authorization` header value:
/// `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`.
///
/// The three components may come in any order, with or without spaces (or
/// tabs) after the commas and around the text; each must appear exactly
/// once, and nothing else may appear.
///
/// ```
/// let value = "AWS4-HMAC-SHA256 SignedHeaders=host;x-amz-date,Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31,  Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request";
/// let auth = awsig::parse_authorization(value)?;
/// assert_eq!(auth.credential().access_key_id(), "AKIDEXAMPLE");
/// assert_eq!(auth.signed_headers(), ["host", "x-amz-date"]);
/// # Ok::<(), awsig::AuthParseError>(())
/// ```
///
/// # Errors
///
/// - [`AuthParseError::Missing`](crate::AuthParseError::Missing) when `Credential`, `SignedHeaders` or `Signature` is absent;
/// - [`AuthParseError::Malformed`](crate::AuthParseError::Malformed) when the algorithm is not `AWS4-HMAC-SHA256`, a part is repeated or not valid, or the text is over its length limit.
pub fn parse_authorization(value: &str) -> Result<AuthorizationHeader<'_>, AuthParseError> {
    if value.len() > MAX_AUTH_TEXT_BYTES {
        return Err(malformed("Authorization", "it is too long"));
    }
    let is_ws = |c: char| c == ' ' || c == '\t';
    let value = value.trim_matches(is_ws);
    let (algorithm, rest) = value.split_once(is_ws).unwrap_or((value, ""));
    if algorithm != ALGORITHM {
        if algorithm.is_empty() {
            return Err(AuthParseError::Missing {
                part: "the algorithm",
            });
        }
        return Err(AuthParseError::UnsupportedAlgorithm {
            algorithm: lossy(algorithm.as_bytes()),
        });
    }
    let mut credential = None;
    let mut signed_headers = None;
    let mut signature = None;
    let rest = rest.trim_matches(is_ws);
    if !rest.is_empty() {
        for component in rest.split(',') {
            let component = component.trim_matches(is_ws);
            if component.is_empty() {
                return Err(malformed("Authorization", "it has an empty component"));
            }
            let Some((key, val)) = component.split_once('=') else {
                return Err(malformed(
                    "Authorization",
                    "a component is not of the form Name=value",
                ));
            };
            let (key, val) = (key.trim_end_matches(is_ws), val.trim_start_matches(is_ws));
            let (slot, part) = match key {
                "Credential" => (&mut credential, "Credential"),
                "SignedHeaders" => (&mut signed_headers, "SignedHeaders"),
                "Signature" => (&mut signature, "Signature"),
                _ => {
                    return Err(malformed(
                        "Authorization",
                        "it has a component other than Credential, SignedHeaders and Signature",
                    ));
                }
            };
            if slot.is_some() {
                return Err(AuthParseError::Repeated { part });
            }
            *slot = Some(val);
        }
    }
    let credential = credential.ok_or(AuthParseError::Missing { part: "Credential" })?;
    let signed_headers = signed_headers.ok_or(AuthParseError::Missing {
        part: "SignedHeaders",
    })?;
    let signature = signature.ok_or(AuthParseError::Missing { part: "Signature" })?;
    let credential = parse_credential(credential, "Credential")?;
    let signed_headers = parse_signed_headers(signed_headers, "SignedHeaders")?;
    parse_signature(signature, "Signature")?;
    Ok(AuthorizationHeader {
        credential,
        signed_headers,
        signature,
    })
}

/// The `X-Amz-*` parameters of a presigned URL, decoded.
#[derive(Clone, PartialEq, Eq)]
pub struct PresignedQuery {
    credential: CredentialText,
    date: AmzDate,
    expires: u64,
    signed_headers: String,
    signature: String,
    security_token: Option<String>,
    unsigned_query: String,
}

impl PresignedQuery {
    /// The credential (`X-Amz-Credential`).
    pub fn credential(&self) -> &CredentialText {
        &self.credential
    }

    /// The signing time (`X-Amz-Date`).
    pub fn date(&self) -> &AmzDate {
        &self.date
    }

    /// `X-Amz-Expires`, in seconds.
    pub fn expires(&self) -> u64 {
        self.expires
    }

    /// The signed header names (`X-Amz-SignedHeaders`), lowercase and sorted.
    pub fn signed_headers(&self) -> Vec<&str> {
        // Checked when parsed.
        parse_signed_headers(&self.signed_headers, "X-Amz-SignedHeaders").unwrap_or_default()
    }

    /// The signature (`X-Amz-Signature`).
    pub fn signature(&self) -> &str {
        &self.signature
    }

    /// The session token (`X-Amz-Security-Token`). A secret: never log it.
    pub fn security_token(&self) -> Option<&str> {
        self.security_token.as_deref()
    }

    /// The query string as sent, minus `X-Amz-Signature`: the query that
    /// was signed.
    pub fn unsigned_query(&self) -> &str {
        &self.unsigned_query
    }

    /// As [`PresignedQuery::unsigned_query`], without `X-Amz-Security-Token`
    /// (for tokens added after signing).
    pub fn unsigned_query_without_token(&self) -> String {
        self.unsigned_query
            .split('&')
            .filter(|piece| {
                let key = piece.split_once('=').map_or(*piece, |(k, _)| k);
                decode(key).as_deref() != Some("X-Amz-Security-Token")
            })
            .collect::<Vec<_>>()
            .join("&")
    }
}

impl fmt::Debug for PresignedQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PresignedQuery")
            .field("credential", &self.credential)
            .field("date", &self.date)
            .field("expires", &self.expires)
            .field("signed_headers", &self.signed_headers)
            .field("signature", &self.signature)
            .field(
                "security_token",
                &self.security_token.as_ref().map(|_| Redacted),
            )
            .finish()
    }
}

const SIGNATURE_PARAM: &str = "X-Amz-Signature";

/// Whether a query string carries a presigned signature: any of
/// `X-Amz-Algorithm`, `X-Amz-Credential` or `X-Amz-Signature`.
///
/// ```
/// assert!(awsig::is_presigned_query("a=1&X-Amz-Signature=abc"));
/// assert!(!awsig::is_presigned_query("a=1&X-Amz-Date=20150830T123600Z"));
/// ```
pub fn is_presigned_query(query: &str) -> bool {
    crate::canonical_request::query::carries_presigned_signature(query)
}

/// Percent-decodes a query component ('+' stays a plus sign, as when
/// signing); `None` if it is not valid escapes or not UTF-8.
fn decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    if !bytes.contains(&b'%') {
        return Some(text.to_owned());
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            out.push(escape_at(bytes, i)?);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Parses the `X-Amz-*` parameters of a presigned URL's query string
/// (wire form, without '?').
///
/// Parameter names are case-sensitive; each of `X-Amz-Algorithm`,
/// `X-Amz-Credential`, `X-Amz-Date`, `X-Amz-Expires`, `X-Amz-SignedHeaders`
/// and `X-Amz-Signature` must appear exactly once, `X-Amz-Security-Token` at
/// most once. The other parameters are left as they are, for the canonical
/// query.
///
/// ```
/// let q = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host&X-Amz-Expires=3600&X-Amz-Signature=e93c787ed7f371d5c6b165c1b38ede9550f4dce4144713e844b25b7192d3865d";
/// let p = awsig::parse_presigned_query(q)?;
/// assert_eq!(p.expires(), 3600);
/// assert!(!p.unsigned_query().contains("X-Amz-Signature"));
/// # Ok::<(), awsig::AuthParseError>(())
/// ```
///
/// # Errors
///
/// - [`AuthParseError::Missing`](crate::AuthParseError::Missing) when a required `X-Amz-*` parameter is absent;
/// - [`AuthParseError::Malformed`](crate::AuthParseError::Malformed) when one is repeated, not valid, or the algorithm is not `AWS4-HMAC-SHA256`.
pub fn parse_presigned_query(query: &str) -> Result<PresignedQuery, AuthParseError> {
    if query.len() > crate::limits::MAX_QUERY_BYTES {
        return Err(malformed("the query", "it is too long"));
    }
    // The slots of `values` below follow this order.
    const NAMES: [&str; 7] = crate::presign::AUTH_PARAMS;
    let mut values: [Option<String>; 7] = Default::default();
    let mut unsigned_query = String::with_capacity(query.len());
    for piece in query.split('&') {
        if piece.is_empty() {
            continue;
        }
        let (raw_key, raw_value) = piece.split_once('=').unwrap_or((piece, ""));
        let key = decode(raw_key);
        let known = key
            .as_deref()
            .and_then(|k| NAMES.iter().position(|n| *n == k));
        if let Some(index) = known {
            let part = NAMES.get(index).copied().unwrap_or("X-Amz-*");
            let value = decode(raw_value)
                .ok_or_else(|| malformed(part, "it is not valid percent-encoded UTF-8"))?;
            let slot = values
                .get_mut(index)
                .ok_or_else(|| malformed(part, "unexpected parameter"))?;
            if slot.is_some() {
                return Err(AuthParseError::Repeated { part });
            }
            *slot = Some(value);
            if part == SIGNATURE_PARAM {
                continue;
            }
        } else if key
            .as_deref()
            .is_some_and(|k| NAMES.iter().any(|n| n.eq_ignore_ascii_case(k)))
        {
            return Err(malformed(
                "the query",
                "an X-Amz-* parameter name has the wrong letter case",
            ));
        }
        if !unsigned_query.is_empty() {
            unsigned_query.push('&');
        }
        unsigned_query.push_str(piece);
    }
    let [
        algorithm,
        credential,
        date,
        expires,
        signed_headers,
        token,
        signature,
    ] = values;
    let algorithm = algorithm.ok_or(AuthParseError::Missing {
        part: "X-Amz-Algorithm",
    })?;
    if algorithm != ALGORITHM {
        return Err(AuthParseError::UnsupportedAlgorithm {
            algorithm: lossy(algorithm.as_bytes()),
        });
    }
    let credential = credential.ok_or(AuthParseError::Missing {
        part: "X-Amz-Credential",
    })?;
    let date = date.ok_or(AuthParseError::Missing { part: "X-Amz-Date" })?;
    let expires = expires.ok_or(AuthParseError::Missing {
        part: "X-Amz-Expires",
    })?;
    let signed_headers = signed_headers.ok_or(AuthParseError::Missing {
        part: "X-Amz-SignedHeaders",
    })?;
    let signature = signature.ok_or(AuthParseError::Missing {
        part: "X-Amz-Signature",
    })?;
    let credential = parse_credential(&credential, "X-Amz-Credential")?;
    let date =
        AmzDate::parse(&date).map_err(|_| malformed("X-Amz-Date", "expected YYYYMMDDTHHMMSSZ"))?;
    if expires.is_empty() || expires.len() > 12 || !expires.bytes().all(|b| b.is_ascii_digit()) {
        return Err(malformed("X-Amz-Expires", "expected a number of seconds"));
    }
    let expires: u64 = expires
        .parse()
        .map_err(|_| malformed("X-Amz-Expires", "expected a number of seconds"))?;
    parse_signed_headers(&signed_headers, "X-Amz-SignedHeaders")?;
    parse_signature(&signature, "X-Amz-Signature")?;
    if token.as_deref() == Some("") {
        return Err(malformed("X-Amz-Security-Token", "it is empty"));
    }
    Ok(PresignedQuery {
        credential,
        date,
        expires,
        signed_headers,
        signature,
        security_token: token,
        unsigned_query,
    })
}
