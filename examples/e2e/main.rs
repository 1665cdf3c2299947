//! End-to-end checks: requests signed by awsig, sent over HTTP to servers
//! that verify Signature Version 4 on their own.
//!
//! Two independent verifiers are used:
//!
//! - an S3-compatible file server (s3s-fs), which checks header signatures
//!   against the body hash, presigned URLs and their expiry, clock skew and
//!   `aws-chunked` uploads;
//! - a mock of several AWS services (moto), which checks header signatures
//!   for IAM, STS, SQS, DynamoDB and S3, and session tokens from `AssumeRole`;
//!   the credential flows (`credentials.rs`) get their credentials from its
//!   STS and instance metadata endpoints;
//! - a Prometheus remote_write receiver (`tests/e2e/servers.py`) that checks
//!   `aps` signatures with botocore and the signing time
//!   (`remote_write.rs`).
//!
//! `agent.rs` runs the agent path: the tower layer (`tower_sqs.rs`) and the
//! reqwest middleware (`reqwest_s3.rs`) with credentials that refresh
//! during the run and a clock that needs correcting.
//!
//! Every accepted case has tampered twins that the server must reject with
//! the error code it uses. Run it through `tests/e2e/run.sh`, which starts
//! the servers and passes their addresses in these variables:
//!
//! - `AWSIG_E2E_S3_ENDPOINT`, `AWSIG_E2E_S3_ACCESS_KEY`, `AWSIG_E2E_S3_SECRET_KEY`
//! - `AWSIG_E2E_MOTO_ENDPOINT`
//! - `AWSIG_E2E_RECEIVER_ENDPOINT`
//!
//! Without them it refuses to run (exit status 2) rather than pass.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod agent;
mod chunked;
mod credentials;
mod remote_write;
mod reqwest_s3;
mod tower_sqs;

use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use awsig::{AmzDate, Credentials, PathNormalization, PayloadHash, Settings, Signer};
use http::{HeaderValue, Method, Request, Uri};
use sha2::{Digest, Sha256};

const REGION: &str = "us-east-1";

// ---------------------------------------------------------------------------
// HTTP

/// What came back from a server.
struct Reply {
    status: u16,
    body: Vec<u8>,
    /// The `x-amzn-ErrorType` header (JSON protocols).
    error_type: Option<String>,
}

impl Reply {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The error code in an XML (`<Code>`) or JSON (`__type`) error body.
    fn error_code(&self) -> Option<String> {
        let text = self.text();
        if let Some(code) = xml_first(&text, "Code") {
            return Some(code);
        }
        let start = text.find("\"__type\"")?;
        let rest = &text[start + 8..];
        let open = rest.find('"')? + 1;
        let close = rest[open..].find('"')? + open;
        let full = &rest[open..close];
        Some(full.rsplit('#').next().unwrap_or(full).to_owned())
    }

    fn brief(&self) -> String {
        let mut text = self.text().replace('\n', " ");
        if text.len() > 300 {
            let mut cut = 300;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            text.truncate(cut);
            text.push('…');
        }
        format!("HTTP {}: {}", self.status, text)
    }
}

struct Client {
    http: ureq::Agent,
}

impl Client {
    fn new() -> Self {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(Duration::from_secs(30)))
            .build();
        Self {
            http: ureq::Agent::new_with_config(config),
        }
    }

    fn send(&self, request: Request<impl ureq::AsSendBody>) -> Result<Reply, String> {
        let mut response = self
            .http
            .run(request)
            .map_err(|e| format!("transport error: {e}"))?;
        let status = response.status().as_u16();
        let error_type = error_type(response.headers());
        let body = response
            .body_mut()
            .with_config()
            .limit(16 * 1024 * 1024)
            .read_to_vec()
            .map_err(|e| format!("reading the body: {e}"))?;
        Ok(Reply {
            status,
            body,
            error_type,
        })
    }
}

/// The `x-amzn-ErrorType` header (JSON protocols).
fn error_type(headers: &http::HeaderMap) -> Option<String> {
    headers
        .get("x-amzn-errortype")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// A 2xx reply, or a failure that shows what came back.
fn expect_success(reply: &Reply) -> Result<(), String> {
    if (200..300).contains(&reply.status) {
        Ok(())
    } else {
        Err(format!("expected success, got {}", reply.brief()))
    }
}

/// A rejection with this status and error code.
fn expect_error(reply: &Reply, status: u16, code: &str) -> Result<(), String> {
    let got = reply.error_code();
    if reply.status == status && got.as_deref() == Some(code) {
        Ok(())
    } else {
        Err(format!(
            "expected HTTP {status} {code}, got {}",
            reply.brief()
        ))
    }
}

fn expect_body(reply: &Reply, body: &[u8]) -> Result<(), String> {
    expect_success(reply)?;
    if reply.body == body {
        Ok(())
    } else {
        Err(format!(
            "body differs: got {} bytes, expected {}",
            reply.body.len(),
            body.len()
        ))
    }
}

// ---------------------------------------------------------------------------
// Text

/// Percent-encodes every byte but the unreserved ones (RFC 3986), and `/`
/// too when `keep_slash` holds: the rule S3 gives for object keys in paths
/// and for query values.
fn encode(text: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for &b in text.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else if b == b'/' && keep_slash {
            out.push('/');
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A query string from pairs, every name and value encoded.
fn query(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k, false), encode(v, false)))
        .collect::<Vec<_>>()
        .join("&")
}

fn xml_unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&amp;", "&")
}

/// The text of every `<tag>…</tag>` element, in order (no nesting of the
/// same tag, which is all these responses need).
fn xml_all(text: &str, tag: &str) -> Vec<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(&open) {
        let after = &rest[start + open.len()..];
        let Some(end) = after.find(&close) else { break };
        out.push(xml_unescape(&after[..end]));
        rest = &after[end + close.len()..];
    }
    out
}

fn xml_first(text: &str, tag: &str) -> Option<String> {
    xml_all(text, tag).into_iter().next()
}

fn hex_sha256(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

fn request(method: Method, uri: &str, body: Vec<u8>) -> Request<Vec<u8>> {
    Request::builder()
        .method(method)
        .uri(uri)
        .body(body)
        .unwrap_or_else(|e| panic!("building a request for {uri}: {e}"))
}

fn set_header(req: &mut Request<Vec<u8>>, name: &'static str, value: &str) {
    req.headers_mut()
        .insert(name, HeaderValue::from_str(value).unwrap());
}

/// Replaces one query parameter's value in a URI.
fn replace_query_param(uri: &Uri, name: &str, value: &str) -> Uri {
    let query = uri.query().unwrap_or("");
    let changed: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, _)) if k == name => format!("{k}={value}"),
            _ => pair.to_owned(),
        })
        .collect();
    let text = format!(
        "{}://{}{}?{}",
        uri.scheme_str().unwrap(),
        uri.authority().unwrap(),
        uri.path(),
        changed.join("&")
    );
    text.parse().unwrap()
}

fn now() -> SystemTime {
    SystemTime::now()
}

// ---------------------------------------------------------------------------
// The report

#[derive(Default)]
struct Report {
    passed: usize,
    failed: usize,
}

impl Report {
    fn case(&mut self, name: &str, result: Result<(), String>) {
        match result {
            Ok(()) => {
                self.passed += 1;
                println!("{name} ... PASS");
            }
            Err(detail) => {
                self.failed += 1;
                println!("{name} ... FAIL: {detail}");
            }
        }
    }
}

// ---------------------------------------------------------------------------
// S3 (s3s-fs)

struct S3 {
    client: Client,
    endpoint: String,
    signer: Signer,
    /// Same access key, wrong secret.
    wrong_secret: Signer,
    /// An access key the server does not know.
    unknown_key: Signer,
    bucket: String,
}

impl S3 {
    fn url(&self, key: &str, query: &str) -> String {
        let mut url = format!("{}/{}/{}", self.endpoint, self.bucket, encode(key, true));
        if !query.is_empty() {
            url.push('?');
            url.push_str(query);
        }
        url
    }

    fn bucket_url(&self, query: &str) -> String {
        let mut url = format!("{}/{}", self.endpoint, self.bucket);
        if !query.is_empty() {
            url.push('?');
            url.push_str(query);
        }
        url
    }

    /// A header-signed request with the body's SHA-256 as payload hash.
    fn signed(
        &self,
        signer: &Signer,
        method: Method,
        url: &str,
        body: &[u8],
        at: SystemTime,
    ) -> Result<Request<Vec<u8>>, String> {
        let mut req = request(method, url, body.to_vec());
        signer
            .sign(&mut req, &PayloadHash::of(body), at)
            .map_err(|e| format!("signing failed: {e}"))?;
        Ok(req)
    }

    fn put(&self, key: &str, body: &[u8]) -> Result<Reply, String> {
        let req = self.signed(&self.signer, Method::PUT, &self.url(key, ""), body, now())?;
        self.client.send(req)
    }

    fn get(&self, key: &str) -> Result<Reply, String> {
        let req = self.signed(&self.signer, Method::GET, &self.url(key, ""), b"", now())?;
        self.client.send(req)
    }

    fn list(&self, params: &[(&str, &str)]) -> Result<Reply, String> {
        let req = self.signed(
            &self.signer,
            Method::GET,
            &self.bucket_url(&query(params)),
            b"",
            now(),
        )?;
        self.client.send(req)
    }
}

fn s3_signer(access_key: &str, secret: &str) -> Signer {
    Signer::new(Credentials::new(access_key, secret).unwrap(), REGION, "s3").unwrap()
}

/// Keys that need percent-encoding in the path, each put, read back and
/// found by listing. They run against s3s-fs only (see `run_moto_s3`).
const AWKWARD_KEYS: &[(&str, &str)] = &[
    ("key with spaces", "dir one/file with  two spaces.txt"),
    ("key with unicode", "unicode/żółć-日本語-🦀.txt"),
    ("key with plus", "signs/a+b+c.txt"),
    ("key with equals", "signs/x=1&y=2.txt"),
    ("key with percent", "signs/100% and %41 and %2F.txt"),
    (
        "key with reserved characters",
        "reserved/!$'()*,;:@[]#?^`{|}<>\".txt",
    ),
    ("key with tilde and dots", "dots/~user/..a..b.~.txt"),
];

/// Keys with `.`, `..` and empty path segments, which S3 signs as sent (a
/// signer that normalized them would be rejected). s3s-fs stores objects
/// as files, so it folds these segments when it stores them: they are read
/// back by the same path, but not looked for in listings.
const SEGMENT_KEYS: &[(&str, &str)] = &[
    ("key with a '.' segment", "segments/./dot.txt"),
    ("key with a '..' segment", "segments/a/../dotdot.txt"),
    ("key with an empty segment", "segments//empty.txt"),
];

fn run_s3(report: &mut Report, s3: &S3) {
    let prefix = "S3 (s3s-fs)";
    let case = |report: &mut Report, name: &str, result: Result<(), String>| {
        report.case(&format!("{prefix}: {name}"), result);
    };

    // CreateBucket, and its twins.
    case(report, "CreateBucket with the wrong secret is rejected", {
        s3.signed(
            &s3.wrong_secret,
            Method::PUT,
            &s3.bucket_url(""),
            b"",
            now(),
        )
        .and_then(|r| s3.client.send(r))
        .and_then(|r| expect_error(&r, 403, "SignatureDoesNotMatch"))
    });
    case(
        report,
        "CreateBucket with an unknown access key is rejected",
        {
            s3.signed(&s3.unknown_key, Method::PUT, &s3.bucket_url(""), b"", now())
                .and_then(|r| s3.client.send(r))
                // AWS answers InvalidAccessKeyId; s3s answers NotSignedUp.
                .and_then(|r| expect_error(&r, 403, "NotSignedUp"))
        },
    );
    case(report, "CreateBucket", {
        s3.signed(&s3.signer, Method::PUT, &s3.bucket_url(""), b"", now())
            .and_then(|r| s3.client.send(r))
            .and_then(|r| expect_success(&r))
    });

    // PutObject with a signed body, and its twins.
    let body = b"hello from awsig\n".to_vec();
    case(report, "PutObject with a signed body", {
        s3.put("greeting.txt", &body)
            .and_then(|r| expect_success(&r))
            .and_then(|()| s3.get("greeting.txt"))
            .and_then(|r| expect_body(&r, &body))
    });
    case(
        report,
        "PutObject with a body byte changed after signing is rejected",
        {
            s3.signed(
                &s3.signer,
                Method::PUT,
                &s3.url("tampered-body.txt", ""),
                &body,
                now(),
            )
            .and_then(|mut r| {
                r.body_mut()[0] ^= 0x20;
                s3.client.send(r)
            })
            .and_then(|r| expect_upload_refused(s3, &r, "tampered-body.txt"))
        },
    );
    case(
        report,
        "PutObject with a signed header changed after signing is rejected",
        {
            let mut req = request(
                Method::PUT,
                &s3.url("tampered-header.txt", ""),
                body.clone(),
            );
            set_header(&mut req, "content-type", "text/plain");
            s3.signer
                .sign(&mut req, &PayloadHash::of(&body), now())
                .map_err(|e| e.to_string())
                .and_then(|_| {
                    set_header(&mut req, "content-type", "text/html");
                    s3.client.send(req)
                })
                .and_then(|r| expect_error(&r, 403, "SignatureDoesNotMatch"))
        },
    );
    case(report, "GetObject", {
        s3.get("greeting.txt").and_then(|r| expect_body(&r, &body))
    });
    case(
        report,
        "GetObject with x-amz-date moved a second after signing is rejected",
        {
            let at = now() - Duration::from_secs(5);
            s3.signed(
                &s3.signer,
                Method::GET,
                &s3.url("greeting.txt", ""),
                b"",
                at,
            )
            .and_then(|mut r| {
                let moved = AmzDate::from_system_time(at + Duration::from_secs(1)).unwrap();
                set_header(&mut r, "x-amz-date", moved.as_str());
                s3.client.send(r)
            })
            .and_then(|r| expect_error(&r, 403, "SignatureDoesNotMatch"))
        },
    );
    case(
        report,
        "GetObject dated 20 minutes ago is rejected as too skewed",
        {
            let at = now() - Duration::from_secs(20 * 60);
            s3.signed(
                &s3.signer,
                Method::GET,
                &s3.url("greeting.txt", ""),
                b"",
                at,
            )
            .and_then(|r| s3.client.send(r))
            .and_then(|r| expect_error(&r, 403, "RequestTimeTooSkewed"))
        },
    );

    // Keys that need encoding. moto rejects correct signatures for most of
    // them (see `run_moto_s3`), so they run here only.
    for (label, key) in AWKWARD_KEYS.iter().chain(SEGMENT_KEYS) {
        let content = format!("content of {key}").into_bytes();
        case(report, &format!("PutObject and GetObject, {label}"), {
            s3.put(key, &content)
                .and_then(|r| expect_success(&r))
                .and_then(|()| s3.get(key))
                .and_then(|r| expect_body(&r, &content))
        });
    }
    case(
        report,
        "GetObject of a '.' segment key signed with the path normalized is rejected",
        {
            // The rule of every service but S3; the server signs the path as sent.
            let settings = Settings::s3().with_path_normalization(PathNormalization::Enabled);
            let normalizing = s3_signer(
                s3.signer.credentials().access_key_id(),
                s3.signer.credentials().secret_access_key(),
            )
            .with_settings(settings);
            let (_, key) = SEGMENT_KEYS[0];
            // Signed from a view of the request as it stands: `Signer::sign`
            // would first send the path without its dot segments, and so
            // mean another key.
            let mut req = request(Method::GET, &s3.url(key, ""), Vec::new());
            let output = awsig::SignableRequest::from_request(&req)
                .and_then(|view| normalizing.signing_output(&view, &PayloadHash::empty(), now()))
                .map_err(|e| format!("signing failed: {e}"));
            output
                .and_then(|o| {
                    o.apply_to(req.headers_mut())
                        .map_err(|e| format!("signing failed: {e}"))
                })
                .and_then(|()| s3.client.send(req))
                .and_then(|r| expect_error(&r, 403, "SignatureDoesNotMatch"))
        },
    );
    case(
        report,
        "GetObject of an awkward key with the path changed after signing is rejected",
        {
            let (_, key) = AWKWARD_KEYS[4];
            // Signed for the key, sent for the key with its last byte removed.
            s3.signed(&s3.signer, Method::GET, &s3.url(key, ""), b"", now())
                .and_then(|mut r| {
                    let other = s3.url(&key[..key.len() - 1], "");
                    *r.uri_mut() = other.parse().unwrap();
                    s3.client.send(r)
                })
                .and_then(|r| expect_error(&r, 403, "SignatureDoesNotMatch"))
        },
    );
    case(
        report,
        "ListObjectsV2 finds every awkward key by its exact name",
        {
            s3.list(&[("list-type", "2")]).and_then(|r| {
                expect_success(&r)?;
                let keys = xml_all(&r.text(), "Key");
                let missing: Vec<&str> = AWKWARD_KEYS
                    .iter()
                    .map(|(_, k)| *k)
                    .filter(|k| !keys.iter().any(|got| got == k))
                    .collect();
                if missing.is_empty() {
                    Ok(())
                } else {
                    Err(format!("not listed: {missing:?}; listed: {keys:?}"))
                }
            })
        },
    );

    // ListObjectsV2 with query parameters.
    for name in ["list/a.txt", "list/b.txt", "list/c d.txt", "list/sub/e.txt"] {
        if let Err(e) = s3.put(name, b"x").and_then(|r| expect_success(&r)) {
            case(
                report,
                &format!("PutObject {name} for the listings"),
                Err(e),
            );
        }
    }
    let mut token = None;
    case(
        report,
        "ListObjectsV2 with prefix and max-keys returns a first page",
        {
            s3.list(&[("list-type", "2"), ("prefix", "list/"), ("max-keys", "2")])
                .and_then(|r| {
                    expect_success(&r)?;
                    let text = r.text();
                    let keys = xml_all(&text, "Key");
                    token = xml_first(&text, "NextContinuationToken");
                    if keys != ["list/a.txt", "list/b.txt"] {
                        return Err(format!("keys {keys:?}"));
                    }
                    if xml_first(&text, "IsTruncated").as_deref() != Some("true") || token.is_none()
                    {
                        return Err(format!("not truncated, or no token: {}", r.brief()));
                    }
                    Ok(())
                })
        },
    );
    case(
        report,
        "ListObjectsV2 with continuation-token returns the rest",
        {
            match &token {
                None => Err("no continuation token from the first page".to_owned()),
                Some(token) => s3
                    .list(&[
                        ("list-type", "2"),
                        ("prefix", "list/"),
                        ("max-keys", "2"),
                        ("continuation-token", token),
                    ])
                    .and_then(|r| {
                        expect_success(&r)?;
                        let keys = xml_all(&r.text(), "Key");
                        if keys == ["list/c d.txt", "list/sub/e.txt"] {
                            Ok(())
                        } else {
                            Err(format!("keys {keys:?}"))
                        }
                    }),
            }
        },
    );
    case(
        report,
        "ListObjectsV2 with delimiter returns common prefixes",
        {
            s3.list(&[("list-type", "2"), ("prefix", "list/"), ("delimiter", "/")])
                .and_then(|r| {
                    expect_success(&r)?;
                    let text = r.text();
                    let keys = xml_all(&text, "Key");
                    let prefixes = xml_all(&text, "Prefix");
                    if keys == ["list/a.txt", "list/b.txt", "list/c d.txt"]
                        && prefixes.iter().any(|p| p == "list/sub/")
                    {
                        Ok(())
                    } else {
                        Err(format!("keys {keys:?}, prefixes {prefixes:?}"))
                    }
                })
        },
    );
    for (label, prefix, key) in [
        ("spaces", "dir one/file with  two", AWKWARD_KEYS[0].1),
        (
            "non-ASCII characters",
            "unicode/żółć-日本語",
            AWKWARD_KEYS[1].1,
        ),
        ("'=' and '&'", "signs/x=1&", AWKWARD_KEYS[3].1),
    ] {
        case(
            report,
            &format!("ListObjectsV2 with a prefix holding {label}"),
            s3.list(&[("list-type", "2"), ("prefix", prefix)])
                .and_then(|r| {
                    expect_success(&r)?;
                    let keys = xml_all(&r.text(), "Key");
                    if keys == [key] {
                        Ok(())
                    } else {
                        Err(format!("keys {keys:?}"))
                    }
                }),
        );
    }
    case(
        report,
        "ListObjectsV2 with max-keys changed after signing is rejected",
        {
            let url = s3.bucket_url(&query(&[("list-type", "2"), ("max-keys", "2")]));
            s3.signed(&s3.signer, Method::GET, &url, b"", now())
                .and_then(|mut r| {
                    *r.uri_mut() = replace_query_param(r.uri(), "max-keys", "3");
                    s3.client.send(r)
                })
                .and_then(|r| expect_error(&r, 403, "SignatureDoesNotMatch"))
        },
    );

    // UNSIGNED-PAYLOAD.
    let unsigned_body = b"body outside the signature".to_vec();
    case(report, "PutObject with UNSIGNED-PAYLOAD", {
        let mut req = request(
            Method::PUT,
            &s3.url("unsigned.txt", ""),
            unsigned_body.clone(),
        );
        s3.signer
            .sign(&mut req, &PayloadHash::Unsigned, now())
            .map_err(|e| e.to_string())
            .and_then(|_| s3.client.send(req))
            .and_then(|r| expect_success(&r))
            .and_then(|()| s3.get("unsigned.txt"))
            .and_then(|r| expect_body(&r, &unsigned_body))
    });
    case(
        report,
        "UNSIGNED-PAYLOAD with x-amz-content-sha256 changed after signing is rejected",
        {
            let mut req = request(
                Method::PUT,
                &s3.url("unsigned-2.txt", ""),
                unsigned_body.clone(),
            );
            s3.signer
                .sign(&mut req, &PayloadHash::Unsigned, now())
                .map_err(|e| e.to_string())
                .and_then(|_| {
                    set_header(
                        &mut req,
                        "x-amz-content-sha256",
                        &hex_sha256(&unsigned_body),
                    );
                    s3.client.send(req)
                })
                .and_then(|r| expect_error(&r, 403, "SignatureDoesNotMatch"))
        },
    );

    // aws-chunked uploads: signed chunks, trailers, tampered twins.
    chunked::run_s3(report, s3);

    // Presigned URLs, used with no other authentication.
    case(report, "presigned GET", {
        let mut req = request(Method::GET, &s3.url("greeting.txt", ""), Vec::new());
        s3.signer
            .presign(
                &mut req,
                Duration::from_secs(300),
                &PayloadHash::Unsigned,
                now(),
            )
            .map_err(|e| e.to_string())
            .and_then(|_| s3.client.send(req))
            .and_then(|r| expect_body(&r, &body))
    });
    case(report, "presigned GET of an awkward key", {
        let (_, key) = AWKWARD_KEYS[5];
        let mut req = request(Method::GET, &s3.url(key, ""), Vec::new());
        s3.signer
            .presign(
                &mut req,
                Duration::from_secs(300),
                &PayloadHash::Unsigned,
                now(),
            )
            .map_err(|e| e.to_string())
            .and_then(|_| s3.client.send(req))
            .and_then(|r| expect_body(&r, format!("content of {key}").as_bytes()))
    });
    let presigned_put_body = b"uploaded through a presigned URL".to_vec();
    case(report, "presigned PUT", {
        let mut req = request(
            Method::PUT,
            &s3.url("presigned put.txt", ""),
            presigned_put_body.clone(),
        );
        s3.signer
            .presign(
                &mut req,
                Duration::from_secs(300),
                &PayloadHash::Unsigned,
                now(),
            )
            .map_err(|e| e.to_string())
            .and_then(|_| s3.client.send(req))
            .and_then(|r| expect_success(&r))
            .and_then(|()| s3.get("presigned put.txt"))
            .and_then(|r| expect_body(&r, &presigned_put_body))
    });
    case(report, "presigned PUT URL used for a GET is rejected", {
        let mut req = request(Method::PUT, &s3.url("presigned put.txt", ""), Vec::new());
        s3.signer
            .presign(
                &mut req,
                Duration::from_secs(300),
                &PayloadHash::Unsigned,
                now(),
            )
            .map_err(|e| e.to_string())
            .and_then(|_| {
                *req.method_mut() = Method::GET;
                s3.client.send(req)
            })
            .and_then(|r| expect_error(&r, 403, "SignatureDoesNotMatch"))
    });
    case(
        report,
        "presigned GET with X-Amz-Expires raised after signing is rejected",
        {
            let mut req = request(Method::GET, &s3.url("greeting.txt", ""), Vec::new());
            s3.signer
                .presign(
                    &mut req,
                    Duration::from_secs(300),
                    &PayloadHash::Unsigned,
                    now(),
                )
                .map_err(|e| e.to_string())
                .and_then(|_| {
                    *req.uri_mut() = replace_query_param(req.uri(), "X-Amz-Expires", "3600");
                    s3.client.send(req)
                })
                .and_then(|r| expect_error(&r, 403, "SignatureDoesNotMatch"))
        },
    );
    case(report, "presigned GET with the wrong secret is rejected", {
        let mut req = request(Method::GET, &s3.url("greeting.txt", ""), Vec::new());
        s3.wrong_secret
            .presign(
                &mut req,
                Duration::from_secs(300),
                &PayloadHash::Unsigned,
                now(),
            )
            .map_err(|e| e.to_string())
            .and_then(|_| s3.client.send(req))
            .and_then(|r| expect_error(&r, 403, "SignatureDoesNotMatch"))
    });
    case(report, "presigned GET used after its expiry is rejected", {
        // Signed two minutes ago for sixty seconds: expired a minute ago.
        let mut req = request(Method::GET, &s3.url("greeting.txt", ""), Vec::new());
        s3.signer
            .presign(
                &mut req,
                Duration::from_secs(60),
                &PayloadHash::Unsigned,
                now() - Duration::from_secs(120),
            )
            .map_err(|e| e.to_string())
            .and_then(|_| s3.client.send(req))
            .and_then(|r| expect_error(&r, 403, "AccessDenied"))
    });
}

/// An upload whose body does not match what was signed. s3s-fs finds the
/// mismatch while it streams the body to disk (the payload hash, or a chunk
/// signature) and answers 500 `InternalError` where AWS answers 400
/// `XAmzContentSHA256Mismatch` or 403 `SignatureDoesNotMatch`; what matters
/// is that the object was not stored, so that is checked too.
fn expect_upload_refused(s3: &S3, reply: &Reply, key: &str) -> Result<(), String> {
    expect_error(reply, 500, "InternalError")?;
    let after = s3.get(key)?;
    expect_error(&after, 404, "NoSuchKey").map_err(|e| format!("the object was stored: {e}"))
}

// ---------------------------------------------------------------------------
// IAM, STS, SQS, DynamoDB (moto)

struct Moto {
    client: Client,
    endpoint: String,
}

impl Moto {
    /// A form-encoded query-protocol call (IAM, STS), header-signed.
    fn query_call(
        &self,
        creds: &Credentials,
        service: &str,
        params: &[(&str, &str)],
        at: SystemTime,
    ) -> Result<Request<Vec<u8>>, String> {
        let body = query(params).into_bytes();
        let mut req = request(Method::POST, &format!("{}/", self.endpoint), body);
        set_header(
            &mut req,
            "content-type",
            "application/x-www-form-urlencoded; charset=utf-8",
        );
        sign(&mut req, creds, service, at)?;
        Ok(req)
    }

    /// A JSON-protocol call (DynamoDB, SQS), header-signed.
    fn json_call(
        &self,
        creds: &Credentials,
        service: &str,
        content_type: &str,
        target: &str,
        json: &str,
    ) -> Result<Request<Vec<u8>>, String> {
        let mut req = request(
            Method::POST,
            &format!("{}/", self.endpoint),
            json.as_bytes().to_vec(),
        );
        set_header(&mut req, "content-type", content_type);
        set_header(&mut req, "x-amz-target", target);
        sign(&mut req, creds, service, now())?;
        Ok(req)
    }

    fn send(&self, req: Result<Request<Vec<u8>>, String>) -> Result<Reply, String> {
        self.client.send(req?)
    }
}

fn sign(
    req: &mut Request<Vec<u8>>,
    creds: &Credentials,
    service: &str,
    at: SystemTime,
) -> Result<(), String> {
    let signer = Signer::new(creds.clone(), REGION, service).map_err(|e| e.to_string())?;
    let payload = PayloadHash::of(req.body());
    signer
        .sign(req, &payload, at)
        .map(|_| ())
        .map_err(|e| format!("signing failed: {e}"))
}

const STS_VERSION: (&str, &str) = ("Version", "2011-06-15");
const IAM_VERSION: (&str, &str) = ("Version", "2010-05-08");
const DYNAMODB_JSON: &str = "application/x-amz-json-1.0";
const SQS_JSON: &str = "application/x-amz-json-1.0";

const ALLOW_ALL: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;

/// Users, keys and a role created while the server still lets a fixed
/// number of actions through unauthenticated (`INITIAL_NO_AUTH_ACTION_COUNT`
/// in tests/e2e/run.sh, which must equal [`MOTO_SETUP_ACTIONS`]).
struct MotoSetup {
    user: Credentials,
    user_arn: String,
    /// A user with keys and no policy: authenticated, then denied.
    powerless: Credentials,
    role_arn: String,
}

/// The number of setup actions [`moto_setup`] sends.
const MOTO_SETUP_ACTIONS: usize = 7;

fn moto_setup(moto: &Moto) -> Result<MotoSetup, String> {
    // Within the unauthenticated budget the signature is not checked, but
    // the server still routes by the signed credential scope.
    let anyone = Credentials::new("AKIASETUPSETUPSETUP0", "setup-secret").unwrap();
    let mut count = 0;
    let mut call = |service: &str, params: &[(&str, &str)]| -> Result<String, String> {
        count += 1;
        let reply = moto.send(moto.query_call(&anyone, service, params, now()))?;
        expect_success(&reply).map_err(|e| format!("setup {:?}: {e}", params[0]))?;
        Ok(reply.text())
    };
    let user_name = "awsig-e2e";
    let created = call(
        "iam",
        &[
            ("Action", "CreateUser"),
            ("UserName", user_name),
            IAM_VERSION,
        ],
    )?;
    let user_arn = xml_first(&created, "Arn").ok_or("no Arn in CreateUser")?;
    let key = call(
        "iam",
        &[
            ("Action", "CreateAccessKey"),
            ("UserName", user_name),
            IAM_VERSION,
        ],
    )?;
    let user = access_key(&key, None)?;
    call(
        "iam",
        &[
            ("Action", "PutUserPolicy"),
            ("UserName", user_name),
            ("PolicyName", "everything"),
            ("PolicyDocument", ALLOW_ALL),
            IAM_VERSION,
        ],
    )?;
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{user_arn}"}},"Action":"sts:AssumeRole"}}]}}"#
    );
    let role = call(
        "iam",
        &[
            ("Action", "CreateRole"),
            ("RoleName", "awsig-e2e-role"),
            ("AssumeRolePolicyDocument", &trust),
            IAM_VERSION,
        ],
    )?;
    let role_arn = xml_first(&role, "Arn").ok_or("no Arn in CreateRole")?;
    call(
        "iam",
        &[
            ("Action", "PutRolePolicy"),
            ("RoleName", "awsig-e2e-role"),
            ("PolicyName", "everything"),
            ("PolicyDocument", ALLOW_ALL),
            IAM_VERSION,
        ],
    )?;
    call(
        "iam",
        &[
            ("Action", "CreateUser"),
            ("UserName", "awsig-e2e-powerless"),
            IAM_VERSION,
        ],
    )?;
    let key = call(
        "iam",
        &[
            ("Action", "CreateAccessKey"),
            ("UserName", "awsig-e2e-powerless"),
            IAM_VERSION,
        ],
    )?;
    let powerless = access_key(&key, None)?;
    assert_eq!(
        count, MOTO_SETUP_ACTIONS,
        "MOTO_SETUP_ACTIONS is out of date"
    );
    Ok(MotoSetup {
        user,
        user_arn,
        powerless,
        role_arn,
    })
}

/// Credentials from a CreateAccessKey or AssumeRole response.
fn access_key(xml: &str, token_tag: Option<&str>) -> Result<Credentials, String> {
    let id = xml_first(xml, "AccessKeyId").ok_or("no AccessKeyId")?;
    let secret = xml_first(xml, "SecretAccessKey").ok_or("no SecretAccessKey")?;
    match token_tag {
        None => Credentials::new(&id, &secret).map_err(|e| e.to_string()),
        Some(tag) => {
            let token = xml_first(xml, tag).ok_or("no SessionToken")?;
            Credentials::with_session_token(&id, &secret, &token, None).map_err(|e| e.to_string())
        }
    }
}

fn with_secret(creds: &Credentials, secret: &str) -> Credentials {
    Credentials::build(creds.access_key_id(), secret, creds.session_token(), None).unwrap()
}

fn run_moto(report: &mut Report, moto: &Moto, s3: &S3) {
    let case = |report: &mut Report, name: &str, result: Result<(), String>| {
        report.case(&format!("moto: {name}"), result);
    };
    let setup = match moto_setup(moto) {
        Ok(s) => s,
        Err(e) => {
            case(report, "setup (users, keys, role)", Err(e));
            return;
        }
    };
    let user = &setup.user;
    let caller = [("Action", "GetCallerIdentity"), STS_VERSION];
    let list_users = [("Action", "ListUsers"), IAM_VERSION];

    // First after the setup: a rejection here also shows that the server
    // has spent its unauthenticated budget, so every later acceptance was a
    // checked signature.
    case(report, "IAM ListUsers with the wrong secret is rejected", {
        let wrong = with_secret(user, "not-the-secret");
        moto.send(moto.query_call(&wrong, "iam", &list_users, now()))
            .and_then(|r| expect_error(&r, 403, "SignatureDoesNotMatch"))
    });

    // STS GetCallerIdentity, query protocol.
    case(report, "STS GetCallerIdentity (POST form)", {
        moto.send(moto.query_call(user, "sts", &caller, now()))
            .and_then(|r| {
                expect_success(&r)?;
                let arn = xml_first(&r.text(), "Arn");
                if arn.as_deref() == Some(setup.user_arn.as_str()) {
                    Ok(())
                } else {
                    Err(format!("caller {arn:?}, expected {}", setup.user_arn))
                }
            })
    });
    case(
        report,
        "STS GetCallerIdentity with a body byte changed after signing is rejected",
        {
            moto.query_call(user, "sts", &caller, now())
                .and_then(|mut r| {
                    // "2011-06-15" becomes "2011-06-16".
                    let last = r.body().len() - 1;
                    r.body_mut()[last] += 1;
                    moto.client.send(r)
                })
                .and_then(|r| expect_error(&r, 403, "SignatureDoesNotMatch"))
        },
    );
    // Not run here: a query-protocol GET with its parameters in the URL and
    // no body. moto hands the parsed parameters to its verifier as if they
    // were a form body, so it hashes a payload the client never sent and
    // rejects every correct signature of that shape (a botocore signer gives
    // the same signature as awsig for it). Parameters in the URL are
    // covered against s3s-fs instead: ListObjectsV2 and presigned URLs.

    // IAM.
    case(report, "IAM ListUsers", {
        moto.send(moto.query_call(user, "iam", &list_users, now()))
            .and_then(|r| {
                expect_success(&r)?;
                let names = xml_all(&r.text(), "UserName");
                if names.iter().any(|n| n == "awsig-e2e") {
                    Ok(())
                } else {
                    Err(format!("users {names:?}"))
                }
            })
    });
    case(
        report,
        "IAM ListUsers with an unknown access key is rejected",
        {
            let unknown = Credentials::new("AKIAUNKNOWNUNKNOWN00", "whatever").unwrap();
            moto.send(moto.query_call(&unknown, "iam", &list_users, now()))
                .and_then(|r| expect_error(&r, 403, "InvalidClientTokenId"))
        },
    );
    case(
        report,
        "IAM ListUsers by a user without a policy is denied (signature accepted)",
        {
            moto.send(moto.query_call(&setup.powerless, "iam", &list_users, now()))
                .and_then(|r| expect_error(&r, 403, "AccessDenied"))
        },
    );

    // DynamoDB and SQS, JSON protocol.
    let create_table = r#"{"TableName":"awsig-e2e","KeySchema":[{"AttributeName":"id","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"id","AttributeType":"S"}],"BillingMode":"PAY_PER_REQUEST"}"#;
    case(report, "DynamoDB CreateTable", {
        moto.send(moto.json_call(
            user,
            "dynamodb",
            DYNAMODB_JSON,
            "DynamoDB_20120810.CreateTable",
            create_table,
        ))
        .and_then(|r| expect_success(&r))
    });
    case(report, "DynamoDB ListTables", {
        moto.send(moto.json_call(
            user,
            "dynamodb",
            DYNAMODB_JSON,
            "DynamoDB_20120810.ListTables",
            "{}",
        ))
        .and_then(|r| {
            expect_success(&r)?;
            if r.text().contains("\"awsig-e2e\"") {
                Ok(())
            } else {
                Err(format!("table not listed: {}", r.brief()))
            }
        })
    });
    case(
        report,
        "DynamoDB ListTables with x-amz-target changed after signing is rejected",
        {
            moto.json_call(
                user,
                "dynamodb",
                DYNAMODB_JSON,
                "DynamoDB_20120810.ListTables",
                "{}",
            )
            .and_then(|mut r| {
                set_header(&mut r, "x-amz-target", "DynamoDB_20120810.DescribeLimits");
                moto.client.send(r)
            })
            .and_then(|r| expect_error(&r, 403, "SignatureDoesNotMatch"))
        },
    );
    case(report, "SQS CreateQueue (JSON protocol)", {
        moto.send(moto.json_call(
            user,
            "sqs",
            SQS_JSON,
            "AmazonSQS.CreateQueue",
            r#"{"QueueName":"awsig-e2e"}"#,
        ))
        .and_then(|r| {
            expect_success(&r)?;
            if r.text().contains("QueueUrl") {
                Ok(())
            } else {
                Err(format!("no QueueUrl: {}", r.brief()))
            }
        })
    });
    case(report, "SQS ListQueues (JSON protocol)", {
        moto.send(moto.json_call(
            user,
            "sqs",
            SQS_JSON,
            "AmazonSQS.ListQueues",
            r#"{"QueueNamePrefix":"awsig"}"#,
        ))
        .and_then(|r| {
            expect_success(&r)?;
            if r.text().contains("/awsig-e2e\"") {
                Ok(())
            } else {
                Err(format!("queue not listed: {}", r.brief()))
            }
        })
    });
    case(
        report,
        "SQS ListQueues with a body byte changed after signing is rejected",
        {
            moto.json_call(
                user,
                "sqs",
                SQS_JSON,
                "AmazonSQS.ListQueues",
                r#"{"QueueNamePrefix":"awsig"}"#,
            )
            .and_then(|mut r| {
                // "awsig" becomes "awsih".
                let at = r.body().len() - 3;
                r.body_mut()[at] += 1;
                moto.client.send(r)
            })
            .and_then(|r| expect_error(&r, 403, "SignatureDoesNotMatch"))
        },
    );

    // S3 on moto: a third verifier of S3 signatures. The keys that need
    // percent-escapes (AWKWARD_KEYS) run against s3s-fs only: moto rebuilds
    // the path it verifies from the decoded URL, so a correctly signed
    // request for a key with `+`, `=`, `%`, non-ASCII or reserved characters
    // gets SignatureDoesNotMatch there (`+` is signed as `%2B`, as S3 wants,
    // and moto signs it as `+`). Keys with spaces and `~` pass on both.
    run_moto_s3(report, moto, user);

    // AssumeRole, then the same calls with the session credentials.
    let assume = [
        ("Action", "AssumeRole"),
        ("RoleArn", setup.role_arn.as_str()),
        ("RoleSessionName", "awsig-e2e-session"),
        STS_VERSION,
    ];
    case(
        report,
        "STS AssumeRole with x-amz-date moved after signing is rejected",
        {
            let at = now() - Duration::from_secs(5);
            moto.query_call(user, "sts", &assume, at)
                .and_then(|mut r| {
                    let moved = AmzDate::from_system_time(at + Duration::from_secs(1)).unwrap();
                    set_header(&mut r, "x-amz-date", moved.as_str());
                    moto.client.send(r)
                })
                .and_then(|r| expect_error(&r, 403, "SignatureDoesNotMatch"))
        },
    );
    let mut session = None;
    case(report, "STS AssumeRole", {
        moto.send(moto.query_call(user, "sts", &assume, now()))
            .and_then(|r| {
                expect_success(&r)?;
                session = Some(access_key(&r.text(), Some("SessionToken"))?);
                Ok(())
            })
    });
    let Some(session) = session else {
        case(
            report,
            "session credentials",
            Err("AssumeRole gave none; the session cases did not run".to_owned()),
        );
        return;
    };
    case(report, "session: STS GetCallerIdentity", {
        moto.send(moto.query_call(&session, "sts", &caller, now()))
            .and_then(|r| {
                expect_success(&r)?;
                let arn = xml_first(&r.text(), "Arn").unwrap_or_default();
                if arn.contains(":assumed-role/awsig-e2e-role/awsig-e2e-session") {
                    Ok(())
                } else {
                    Err(format!("caller {arn}"))
                }
            })
    });
    case(report, "session: IAM ListUsers", {
        moto.send(moto.query_call(&session, "iam", &list_users, now()))
            .and_then(|r| expect_success(&r))
    });
    case(report, "session: DynamoDB ListTables", {
        moto.send(moto.json_call(
            &session,
            "dynamodb",
            DYNAMODB_JSON,
            "DynamoDB_20120810.ListTables",
            "{}",
        ))
        .and_then(|r| expect_success(&r))
    });
    case(
        report,
        "session: x-amz-security-token changed after signing is rejected",
        {
            moto.query_call(&session, "iam", &list_users, now())
                .and_then(|mut r| {
                    let token = session.session_token().unwrap();
                    let mut changed = token.to_owned();
                    let last = changed.pop().unwrap();
                    changed.push(if last == 'A' { 'B' } else { 'A' });
                    set_header(&mut r, "x-amz-security-token", &changed);
                    moto.client.send(r)
                })
                .and_then(|r| expect_error(&r, 403, "InvalidClientTokenId"))
        },
    );
    case(report, "session: the token left out is rejected", {
        let without =
            Credentials::new(session.access_key_id(), session.secret_access_key()).unwrap();
        moto.send(moto.query_call(&without, "iam", &list_users, now()))
            .and_then(|r| expect_error(&r, 403, "InvalidClientTokenId"))
    });
    case(report, "session: the wrong secret is rejected", {
        let wrong = with_secret(&session, "not-the-secret");
        moto.send(moto.query_call(&wrong, "sts", &caller, now()))
            .and_then(|r| expect_error(&r, 403, "SignatureDoesNotMatch"))
    });
    remote_write::run(report, moto, user, &setup.role_arn, &session);
    agent::run(report, moto, user, &setup.role_arn, s3);
}

fn run_moto_s3(report: &mut Report, moto: &Moto, user: &Credentials) {
    let case = |report: &mut Report, name: &str, result: Result<(), String>| {
        report.case(&format!("moto S3: {name}"), result);
    };
    let signer = Signer::new(user.clone(), REGION, "s3").unwrap();
    let wrong = Signer::new(with_secret(user, "not-the-secret"), REGION, "s3").unwrap();
    let bucket = format!("{}/awsig-e2e-moto", moto.endpoint);
    let object = format!("{bucket}/{}", encode("plain dir/object.txt", true));
    let body = b"stored in moto".to_vec();
    let signed = |signer: &Signer, method: Method, url: &str, body: &[u8]| {
        let mut req = request(method, url, body.to_vec());
        signer
            .sign(&mut req, &PayloadHash::of(body), now())
            .map(|_| req)
            .map_err(|e| e.to_string())
    };
    case(report, "CreateBucket", {
        signed(&signer, Method::PUT, &bucket, b"")
            .and_then(|r| moto.client.send(r))
            .and_then(|r| expect_success(&r))
    });
    case(report, "PutObject and GetObject", {
        signed(&signer, Method::PUT, &object, &body)
            .and_then(|r| moto.client.send(r))
            .and_then(|r| expect_success(&r))
            .and_then(|()| signed(&signer, Method::GET, &object, b""))
            .and_then(|r| moto.client.send(r))
            .and_then(|r| expect_body(&r, &body))
    });
    // moto signs over the x-amz-content-sha256 header as sent and never
    // hashes the body, so a body changed alone goes unnoticed there (s3s-fs
    // checks that case above). A body changed with its hash header is caught.
    case(
        report,
        "PutObject with the body and its x-amz-content-sha256 changed after signing is rejected",
        {
            signed(&signer, Method::PUT, &object, &body)
                .and_then(|mut r| {
                    r.body_mut()[0] ^= 0x20;
                    let hash = hex_sha256(r.body());
                    set_header(&mut r, "x-amz-content-sha256", &hash);
                    moto.client.send(r)
                })
                .and_then(|r| expect_error(&r, 403, "SignatureDoesNotMatch"))
        },
    );
    case(report, "GetObject with the wrong secret is rejected", {
        signed(&wrong, Method::GET, &object, b"")
            .and_then(|r| moto.client.send(r))
            .and_then(|r| expect_error(&r, 403, "SignatureDoesNotMatch"))
    });
    chunked::run_moto(report, moto, &signer, &wrong, &bucket);
}

// ---------------------------------------------------------------------------

fn env(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|_| format!("{name} is not set"))
}

fn main() -> ExitCode {
    let config = (|| {
        Ok::<_, String>((
            env("AWSIG_E2E_S3_ENDPOINT")?,
            env("AWSIG_E2E_S3_ACCESS_KEY")?,
            env("AWSIG_E2E_S3_SECRET_KEY")?,
            env("AWSIG_E2E_MOTO_ENDPOINT")?,
        ))
    })();
    let (s3_endpoint, s3_key, s3_secret, moto_endpoint) = match config {
        Ok(c) => c,
        Err(e) => {
            eprintln!("e2e: {e}. Run it through tests/e2e/run.sh, which starts the servers.");
            return ExitCode::from(2);
        }
    };

    let mut report = Report::default();
    let s3 = S3 {
        client: Client::new(),
        endpoint: s3_endpoint.trim_end_matches('/').to_owned(),
        signer: s3_signer(&s3_key, &s3_secret),
        wrong_secret: s3_signer(&s3_key, &format!("{s3_secret}x")),
        unknown_key: s3_signer("AKIDUNKNOWNE2E", &s3_secret),
        bucket: "awsig-e2e".to_owned(),
    };
    run_s3(&mut report, &s3);
    let moto = Moto {
        client: Client::new(),
        endpoint: moto_endpoint.trim_end_matches('/').to_owned(),
    };
    run_moto(&mut report, &moto, &s3);
    credentials::run(&mut report, &moto.endpoint);

    println!("{} passed, {} failed", report.passed, report.failed);
    if report.failed == 0 && report.passed > 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
