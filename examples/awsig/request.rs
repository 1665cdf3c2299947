//! The request `sign` and `presign` work on: the flags that describe it,
//! and the signer, fields and payload made from them.

use std::path::PathBuf;

use awsig::{ContentSha256Header, PayloadHash, SignableRequest, Signer, endpoint};

use super::args::{CredentialArgs, RegionArgs, ServiceArg};
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
    /// Sign with UNSIGNED-PAYLOAD instead of the body's SHA-256 (and send it
    /// in x-amz-content-sha256).
    #[arg(long)]
    pub unsigned_payload: bool,
    /// The URL, https://host/path?query.
    #[arg(value_name = "URL")]
    pub url: String,
}

/// Everything signing needs, made from the flags.
pub struct Prepared {
    pub signer: Signer,
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
        SignableRequest::new(&args.method, &args.url, pairs).map_err(|e| url_failure(&args.url, &e))
    }
}

fn url_failure(url: &str, e: &awsig::Error) -> Failure {
    Failure::usage(format!("{url:?}: {e}"))
}

/// Reads the body, picks the service and region, checks them against the
/// URL's host, and builds the signer with the credentials.
pub fn prepare(
    request: &RequestArgs,
    service: &ServiceArg,
    region: &RegionArgs,
    creds: &CredentialArgs,
    presign: bool,
    ctx: &mut Ctx<'_>,
) -> Result<Prepared, Failure> {
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
    let probe = SignableRequest::new(&request.method, &request.url, &[])
        .map_err(|e| url_failure(&request.url, &e))?;
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

    let (region_name, region_source) =
        match (&region.region, inferred.as_ref().and_then(|e| e.region())) {
            (Some(r), _) => (r.clone(), "--region".to_owned()),
            (None, Some(r)) => (r.to_owned(), "the URL's host".to_owned()),
            (None, None) => config.region().ok_or_else(|| {
                Failure::usage(format!(
                    "no region: the host {host} does not name one; give --region, or set AWS_REGION"
                ))
            })?,
        };
    super::args::check_region(&region_name, &region_source, region.allow_custom_region)?;

    if let Err(mismatch) = endpoint::check(&host, &region_name, &service_name) {
        ctx.warn(&format!(
            "{mismatch}; AWS will refuse the signature unless --region and --service match the host"
        ));
    }

    let credentials = config.credentials(creds)?;
    let signer = Signer::new(credentials, &region_name, &service_name)
        .map_err(|e| Failure::usage(e.to_string()))?;
    let signer = if request.unsigned_payload && !presign {
        let settings = signer
            .settings()
            .with_content_sha256(ContentSha256Header::Include);
        signer.with_settings(settings)
    } else {
        signer
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
    let s3 = matches!(service_name.as_str(), "s3" | "s3-object-lambda");
    let payload = if request.unsigned_payload || (presign && s3) {
        PayloadHash::Unsigned
    } else {
        PayloadHash::of(&body)
    };
    Ok(Prepared {
        signer,
        fields,
        body,
        payload,
    })
}
