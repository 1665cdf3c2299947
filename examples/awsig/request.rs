//! The request `sign` and `presign` work on: the flags that describe it,
//! and the signer, fields and payload made from them.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use awsig::{AmzDate, ContentSha256Header, PayloadHash, SignableRequest, Signer, endpoint};

use super::args::{Algorithm, AlgorithmArgs, CredentialArgs, RegionArgs, ServiceArg, Stage};
use super::{Ctx, Failure};

/// A header given with `-H 'Name: value'`.
#[derive(Debug, Clone)]
pub struct Header {
    pub name: String,
    pub value: String,
}

fn parse_header(text: &str) -> Result<Header, String> {
    let (name, value) = text
        .split_once(':')
        .ok_or_else(|| "a header is written 'Name: value' (the ':' is missing)".to_owned())?;
    let name = name.trim();
    if name.is_empty() {
        return Err("the header name before ':' is empty".to_owned());
    }
    Ok(Header {
        name: name.to_owned(),
        value: value.trim().to_owned(),
    })
}

/// The request to sign.
#[derive(Debug, clap::Args)]
pub struct RequestArgs {
    /// HTTP method.
    #[arg(
        short = 'X',
        long = "request",
        value_name = "METHOD",
        default_value = "GET"
    )]
    pub method: String,
    /// A header to send and sign, as 'Name: value' (repeat for more).
    #[arg(short = 'H', long = "header", value_name = "'NAME: VALUE'", value_parser = parse_header)]
    pub headers: Vec<Header>,
    /// The body, given inline.
    #[arg(long, value_name = "TEXT", conflicts_with = "data_file")]
    pub data: Option<String>,
    /// The body, read from a file.
    #[arg(long, value_name = "FILE")]
    pub data_file: Option<PathBuf>,
    /// Sign with UNSIGNED-PAYLOAD instead of the body's SHA-256, and send it
    /// in x-amz-content-sha256 (signed). A presigned URL of S3 always signs
    /// UNSIGNED-PAYLOAD; one of another service then carries a signed
    /// x-amz-content-sha256 header that whoever uses the URL must send.
    #[arg(long)]
    pub unsigned_payload: bool,
    /// The URL, https://host/path?query. Bytes a URL cannot hold as they are
    /// (non-ASCII, spaces, control characters, and " < > ` { } | \ ^) in
    /// the path and query are percent-encoded before signing, so that what
    /// is signed, printed and sent is the same text.
    #[arg(value_name = "URL")]
    pub url: String,
}

/// Header fields as `(name, value)`.
pub type Headers = Vec<(String, String)>;

/// The signer of the algorithm asked for.
pub enum AnySigner {
    /// Signature Version 4.
    V4(Signer),
    /// Signature Version 4a.
    #[cfg(feature = "sigv4a")]
    V4a(awsig::v4a::Signer),
}

impl AnySigner {
    /// The SigV4 signer; `None` for SigV4a.
    #[cfg(feature = "chunked")]
    pub fn as_v4(&self) -> Option<&Signer> {
        match self {
            Self::V4(s) => Some(s),
            #[cfg(feature = "sigv4a")]
            Self::V4a(_) => None,
        }
    }

    /// As [`AnySigner::as_v4`], by value.
    #[cfg(feature = "chunked")]
    pub fn into_v4(self) -> Option<Signer> {
        match self {
            Self::V4(s) => Some(s),
            #[cfg(feature = "sigv4a")]
            Self::V4a(_) => None,
        }
    }

    /// The header fields header signing adds, `(Title-Case name, value)`,
    /// and the SigV4 signature (none for SigV4a).
    pub fn added_headers(
        &self,
        request: &SignableRequest<'_>,
        payload: &PayloadHash,
        now: SystemTime,
    ) -> Result<(Headers, Option<awsig::Signature>), awsig::Error> {
        let title = |(n, v): (&str, &str)| (super::sign::title_case(n), v.to_owned());
        Ok(match self {
            Self::V4(s) => {
                let out = s.signing_output(request, payload, now)?;
                (out.headers().map(title).collect(), Some(*out.signature()))
            }
            #[cfg(feature = "sigv4a")]
            Self::V4a(s) => {
                let out = s.signing_output(request, payload, now)?;
                (out.headers().map(title).collect(), None)
            }
        })
    }

    /// The query with the presigning parameters appended.
    pub fn presigned_query(
        &self,
        request: &SignableRequest<'_>,
        expires: Duration,
        payload: &PayloadHash,
        now: SystemTime,
        query: &str,
    ) -> Result<String, awsig::Error> {
        Ok(match self {
            Self::V4(s) => s
                .presign_output(request, expires, payload, now)?
                .append_to_query(query),
            #[cfg(feature = "sigv4a")]
            Self::V4a(s) => s
                .presign_output(request, expires, payload, now)?
                .append_to_query(query),
        })
    }

    /// One stage of header signing (`expires: None`) or presigning, with a
    /// final newline.
    pub fn stage(
        &self,
        stage: Stage,
        request: &SignableRequest<'_>,
        expires: Option<Duration>,
        payload: &PayloadHash,
        now: SystemTime,
    ) -> Result<String, awsig::Error> {
        let date = AmzDate::from_system_time(now)?;
        match self {
            Self::V4(s) => {
                let creq = match expires {
                    Some(e) => s.presign_canonical_request(request, e, payload, now)?,
                    None => s.canonical_request(request, payload, now)?,
                };
                Ok(stage.render(s, &creq, &date))
            }
            #[cfg(feature = "sigv4a")]
            Self::V4a(s) => {
                let creq = match expires {
                    Some(e) => s.presign_canonical_request(request, e, payload, now)?,
                    None => s.canonical_request(request, payload, now)?,
                };
                let sts = awsig::v4a::StringToSign::new(s.scope(&date), &creq);
                Ok(match stage {
                    Stage::CanonicalRequest => format!("{creq}\n"),
                    Stage::StringToSign => format!("{sts}\n"),
                    Stage::Signature => format!("{}\n", s.signing_key()?.sign(&sts)),
                })
            }
        }
    }
}

/// Everything signing needs, made from the flags.
pub struct Prepared {
    pub signer: AnySigner,
    /// The URL to sign and send ([`url_to_send`]).
    pub url: String,
    /// The header fields, in order: `Host` first (as an HTTP client sends
    /// it), then the ones given.
    pub fields: Vec<(String, Vec<u8>)>,
    pub body: Vec<u8>,
    pub payload: PayloadHash,
}

impl Prepared {
    /// The request to sign, borrowing the fields.
    pub fn request<'a>(
        &'a self,
        args: &'a RequestArgs,
        pairs: &'a mut Vec<(&'a str, &'a [u8])>,
    ) -> Result<SignableRequest<'a>, Failure> {
        pairs.extend(self.fields.iter().map(|(n, v)| (n.as_str(), v.as_slice())));
        SignableRequest::new(&args.method, &self.url, pairs).map_err(|e| url_failure(&self.url, &e))
    }

    /// The header fields as text, `(name, value)`.
    pub fn text_fields(&self) -> Headers {
        self.fields
            .iter()
            .map(|(n, v)| (n.clone(), String::from_utf8_lossy(v).into_owned()))
            .collect()
    }
}

/// Whether a byte of a URL's path or query must be percent-encoded to be
/// sent as it is: what RFC 3986 does not allow there (non-ASCII, space,
/// control characters, `"`, `<`, `>`, `` ` ``, `{`, `}`, `|`, `\`, `^`).
/// curl refuses a space or a control character (exit 3) and encodes
/// non-ASCII bytes in the path with lower-case hex digits; `http::Uri`
/// (hyper) refuses `<`, `>` and `` ` `` in the path and `"` in the query;
/// WHATWG URL parsers (reqwest) encode several of the others.
fn must_encode(b: u8) -> bool {
    b <= b' ' || b >= 0x7f || b"\"<>`{}|\\^".contains(&b)
}

/// The URL as it is signed, printed and sent: each byte of its path and
/// query that a URL cannot hold as it is percent-encoded with upper-case
/// hex digits (`/é` is `/%C3%A9`, `a b` is `a%20b`); escapes already there
/// are kept. The fragment, which is never sent, is dropped.
pub fn url_to_send(url: &str) -> String {
    let url = url.split_once('#').map_or(url, |(u, _)| u);
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let rest = &url[scheme_end..];
    let path_start = scheme_end + rest.find(['/', '?']).unwrap_or(rest.len());
    let mut out = url[..path_start].to_owned();
    for &b in &url.as_bytes()[path_start..] {
        if must_encode(b) {
            out.push_str(&format!("%{b:02X}"));
        } else {
            out.push(char::from(b));
        }
    }
    out
}

/// The URL with anything between `://` and `@` in its authority hidden.
fn redact_userinfo(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest.get(..end).and_then(|a| a.rfind('@')) {
        Some(at) => format!("{scheme}://***{}", rest.get(at..).unwrap_or("")),
        None => url.to_owned(),
    }
}

fn url_failure(url: &str, e: &awsig::Error) -> Failure {
    Failure::usage(format!("{:?}: {e}", redact_userinfo(url)))
}

/// Reads the body, picks the service and region, checks them against the
/// URL's host, and builds the signer with the credentials.
pub fn prepare(
    request: &RequestArgs,
    service: &ServiceArg,
    region: &RegionArgs,
    algorithm: &AlgorithmArgs,
    creds: &CredentialArgs,
    presign: bool,
    ctx: &mut Ctx<'_>,
) -> Result<Prepared, Failure> {
    algorithm.check()?;
    let config = super::args::Config::load(&ctx.env, &creds.profile)?;
    let body = match (&request.data, &request.data_file) {
        (Some(text), _) => text.clone().into_bytes(),
        (None, Some(path)) => std::fs::read(path).map_err(|e| {
            Failure::usage(format!(
                "--data-file {}: cannot read it ({e}); give a readable file",
                path.display()
            ))
        })?,
        (None, None) => Vec::new(),
    };
    let url = url_to_send(&request.url);
    if url.len() > request.url.split('#').next().map_or(0, str::len) {
        ctx.warn(&format!(
            "the URL holds bytes a URL cannot carry as they are: signed and sent percent-encoded, as {url}"
        ));
    }
    let probe =
        SignableRequest::new(&request.method, &url, &[]).map_err(|e| url_failure(&url, &e))?;
    // A user name or password in the URL is never signed, and curl would
    // send it as an Authorization: Basic header beside the signature.
    if redact_userinfo(&request.url) != request.url {
        return Err(Failure::usage(format!(
            "{:?} holds a user name or password before '@': the signature is the              request's credentials, so remove it",
            redact_userinfo(&request.url)
        )));
    }
    // The body is what is sent and signed: a Content-Length that says
    // otherwise would send another request than the one signed.
    for h in &request.headers {
        if h.name.eq_ignore_ascii_case("content-length")
            && h.value.trim().parse::<usize>().ok() != Some(body.len())
        {
            return Err(Failure::usage(format!(
                "-H 'Content-Length: {}': the body is {} bytes; leave Content-Length out                  (it is not needed to sign) or give the body's length",
                h.value.trim(),
                body.len()
            )));
        }
    }
    let host = probe
        .host()
        .ok_or_else(|| {
            Failure::usage(format!(
                "{:?} has no host: give an absolute URL such as https://examplebucket.s3.amazonaws.com/key",
                request.url
            ))
        })?
        .to_ascii_lowercase();
    let inferred = endpoint::infer(&host);

    let (service_name, service_source) = match (&service.service, &inferred) {
        (Some(s), _) => (s.clone(), "--service"),
        (None, Some(e)) => (e.service().to_owned(), "the URL's host"),
        (None, None) => {
            return Err(Failure::usage(format!(
                "no --service: the host {host} is not an AWS endpoint awsig knows; give the \
                 signing name, for example --service s3"
            )));
        }
    };
    super::args::check_service(&service_name, service_source)?;

    // A SigV4a region set stands for the region.
    let region_set = match (algorithm.algorithm, &algorithm.region_set) {
        (Algorithm::Sigv4a, Some(set)) => Some(set.clone()),
        _ => None,
    };
    let (region_name, region_source) = match (&region_set, &region.region) {
        (Some(set), None) => (set.clone(), "--region-set".to_owned()),
        _ => match (&region.region, inferred.as_ref().and_then(|e| e.region())) {
            (Some(r), _) => (r.clone(), "--region".to_owned()),
            (None, Some(r)) => (r.to_owned(), "the URL's host".to_owned()),
            (None, None) => config.region().ok_or_else(|| {
                Failure::usage(match algorithm.algorithm {
                    Algorithm::Sigv4 => format!(
                        "no region: the host {host} does not name one; give --region, or set AWS_REGION"
                    ),
                    Algorithm::Sigv4a => format!(
                        "no region set: the host {host} does not name a region; give --region-set \
                         (us-east-1,us-west-2, or * for every region)"
                    ),
                })
            })?,
        },
    };
    if region_set.is_none() {
        super::args::check_region(&region_name, &region_source, region.allow_custom_region)?;
        if let Err(mismatch) = endpoint::check(&host, &region_name, &service_name) {
            ctx.warn(&format!(
                "{mismatch}; AWS will refuse the signature unless --region and --service match the host"
            ));
        }
    }

    let credentials = config.credentials(creds)?;
    let unsigned = request.unsigned_payload && !presign;
    let with_unsigned = |settings: awsig::Settings| {
        if unsigned {
            settings.with_content_sha256(ContentSha256Header::Include)
        } else {
            settings
        }
    };
    let signer = match algorithm.algorithm {
        Algorithm::Sigv4 => {
            let signer = Signer::new(credentials, &region_name, &service_name)
                .map_err(|e| Failure::usage(e.to_string()))?;
            let settings = with_unsigned(*signer.settings());
            AnySigner::V4(signer.with_settings(settings))
        }
        #[cfg(feature = "sigv4a")]
        Algorithm::Sigv4a => {
            let signer = awsig::v4a::Signer::new(credentials, &region_name, &service_name)
                .map_err(|e| Failure::usage(format!("{region_source}: {e}")))?;
            let settings = with_unsigned(*signer.settings());
            AnySigner::V4a(signer.with_settings(settings))
        }
        #[cfg(not(feature = "sigv4a"))]
        Algorithm::Sigv4a => {
            return Err(Failure::usage(
                "--algorithm sigv4a: this awsig was built without SigV4a; run it with \
                 cargo run --features sigv4a --example awsig",
            ));
        }
    };

    let mut fields: Vec<(String, Vec<u8>)> = Vec::new();
    if !request
        .headers
        .iter()
        .any(|h| h.name.eq_ignore_ascii_case("host"))
    {
        fields.push(("Host".into(), host.into_bytes()));
    }
    fields.extend(
        request
            .headers
            .iter()
            .map(|h| (h.name.clone(), h.value.clone().into_bytes())),
    );
    // The session token is the credentials': signing sets it, or leaves it
    // out when they have none.
    let before = fields.len();
    fields.retain(|(n, _)| !n.eq_ignore_ascii_case("x-amz-security-token"));
    if fields.len() < before {
        ctx.warn(
            "-H X-Amz-Security-Token: dropped; the token comes with the credentials              (AWS_SESSION_TOKEN, a profile or --example-credentials), and signing sets it",
        );
    }
    // A presigned URL of a service whose preset signs x-amz-content-sha256
    // (S3) stands for UNSIGNED-PAYLOAD: the server does not hash its body.
    let s3 =
        awsig::Settings::for_service(&service_name).content_sha256 == ContentSha256Header::Include;
    let payload = if request.unsigned_payload || (presign && s3) {
        PayloadHash::Unsigned
    } else {
        PayloadHash::of(&body)
    };
    // A server of another service reads the payload hash of a presigned
    // URL from a signed x-amz-content-sha256 header, else hashes the body.
    let declared = fields
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("x-amz-content-sha256"));
    if presign && request.unsigned_payload && !s3 && !declared {
        fields.push((
            "X-Amz-Content-Sha256".into(),
            awsig::UNSIGNED_PAYLOAD.as_bytes().to_vec(),
        ));
    }
    Ok(Prepared {
        signer,
        url,
        fields,
        body,
        payload,
    })
}
