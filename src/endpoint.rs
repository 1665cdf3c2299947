//! What an AWS endpoint's host name says about how to sign for it: the
//! signing name (service) and the region, inferred from the host alone.
//!
//! Pure functions, no IO. [`infer`] knows the host names of the services
//! agents send to: Amazon Managed Service for Prometheus, S3 (virtual-hosted,
//! path, dual-stack, FIPS, legacy global and dash-region, transfer
//! acceleration, access points, Object Lambda, Multi-Region Access Points),
//! SQS, CloudWatch Logs and metrics, Kinesis, Firehose, OpenSearch Service
//! and OpenSearch Serverless, API Gateway, Lambda function URLs and STS, in
//! every partition (standard, China, GovCloud and the others). Any other host,
//! an S3-compatible server's for example, gives `None`: nothing is guessed.
//!
//! ```
//! use awsig::endpoint::{self, Partition};
//!
//! let e = endpoint::infer("aps-workspaces.us-west-2.amazonaws.com").unwrap();
//! assert_eq!((e.service(), e.region()), ("aps", Some("us-west-2")));
//!
//! let e = endpoint::infer("examplebucket.s3.cn-north-1.amazonaws.com.cn").unwrap();
//! assert_eq!((e.service(), e.region()), ("s3", Some("cn-north-1")));
//! assert_eq!(e.partition(), Partition::AwsCn);
//!
//! assert!(endpoint::infer("minio.internal:9000").is_none());
//! ```
//!
//! [`check`] compares a host with the region and service a signer uses, and
//! [`check_aws_region`] tells whether a region has the shape of an AWS region
//! (the library itself accepts any region name, for S3-compatible servers
//! such as MinIO, Garage's `garage` or Cloudflare R2's `auto`).
//!
//! Sources: the endpoint tables of the AWS General Reference
//! (<https://docs.aws.amazon.com/general/latest/gr/rande.html>), the S3
//! pages named in [`infer`], and the partitions of the AWS SDKs' endpoint
//! rules (`partitions.json`, whose `regionRegex` patterns
//! [`Partition::of_region`] implements).

use std::fmt;

use crate::error::{Error, lossy};

/// An AWS partition: a group of regions with its own DNS suffix.
///
/// From the AWS SDKs' `partitions.json` (version 1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Partition {
    /// `aws`: the standard regions (`us-east-1`, `eu-west-1`, `ap-south-1`, ...).
    Aws,
    /// `aws-cn`: China (`cn-north-1`, `cn-northwest-1`), `amazonaws.com.cn`.
    AwsCn,
    /// `aws-us-gov`: AWS GovCloud (US) (`us-gov-west-1`, `us-gov-east-1`).
    AwsUsGov,
    /// `aws-iso` (`us-iso-east-1`), `c2s.ic.gov`.
    AwsIso,
    /// `aws-iso-b` (`us-isob-east-1`), `sc2s.sgov.gov`.
    AwsIsoB,
    /// `aws-iso-e` (`eu-isoe-west-1`), `cloud.adc-e.uk`.
    AwsIsoE,
    /// `aws-iso-f` (`us-isof-south-1`), `csp.hci.ic.gov`.
    AwsIsoF,
    /// `aws-eusc`: the AWS European Sovereign Cloud (`eusc-de-east-1`), `amazonaws.eu`.
    AwsEusc,
}

/// Every partition, in the order of `partitions.json`'s region patterns.
const PARTITIONS: [Partition; 8] = [
    Partition::Aws,
    Partition::AwsCn,
    Partition::AwsEusc,
    Partition::AwsIso,
    Partition::AwsIsoB,
    Partition::AwsIsoE,
    Partition::AwsIsoF,
    Partition::AwsUsGov,
];

impl Partition {
    /// The partition whose `regionRegex` the region matches, or `None` when
    /// the name does not have the shape of an AWS region.
    ///
    /// The patterns (`\w` is `[A-Za-z0-9_]`, `\d` an ASCII digit):
    ///
    /// | partition | `regionRegex` |
    /// |---|---|
    /// | `aws` | `^(us\|eu\|ap\|sa\|ca\|me\|af\|il\|mx)\-\w+\-\d+$` |
    /// | `aws-cn` | `^cn\-\w+\-\d+$` |
    /// | `aws-us-gov` | `^us\-gov\-\w+\-\d+$` |
    /// | `aws-iso` | `^us\-iso\-\w+\-\d+$` |
    /// | `aws-iso-b` | `^us\-isob\-\w+\-\d+$` |
    /// | `aws-iso-e` | `^eu\-isoe\-\w+\-\d+$` |
    /// | `aws-iso-f` | `^us\-isof\-\w+\-\d+$` |
    /// | `aws-eusc` | `^eusc\-(de)\-\w+\-\d+$` |
    ///
    /// ```
    /// use awsig::endpoint::Partition;
    /// assert_eq!(Partition::of_region("eu-west-1"), Some(Partition::Aws));
    /// assert_eq!(Partition::of_region("us-gov-west-1"), Some(Partition::AwsUsGov));
    /// assert_eq!(Partition::of_region("us-east-l"), None);
    /// assert_eq!(Partition::of_region("auto"), None);
    /// ```
    pub fn of_region(region: &str) -> Option<Self> {
        let parts: Vec<&str> = region.split('-').collect();
        let word =
            |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        match parts.as_slice() {
            [area, place, n] if word(place) && digits(n) => match *area {
                "us" | "eu" | "ap" | "sa" | "ca" | "me" | "af" | "il" | "mx" => Some(Self::Aws),
                "cn" => Some(Self::AwsCn),
                _ => None,
            },
            [area, kind, place, n] if word(place) && digits(n) => match (*area, *kind) {
                ("us", "gov") => Some(Self::AwsUsGov),
                ("us", "iso") => Some(Self::AwsIso),
                ("us", "isob") => Some(Self::AwsIsoB),
                ("eu", "isoe") => Some(Self::AwsIsoE),
                ("us", "isof") => Some(Self::AwsIsoF),
                ("eusc", "de") => Some(Self::AwsEusc),
                _ => None,
            },
            _ => None,
        }
    }

    /// The partition's id: `aws`, `aws-cn`, `aws-us-gov`, ...
    pub fn id(&self) -> &'static str {
        match self {
            Self::Aws => "aws",
            Self::AwsCn => "aws-cn",
            Self::AwsUsGov => "aws-us-gov",
            Self::AwsIso => "aws-iso",
            Self::AwsIsoB => "aws-iso-b",
            Self::AwsIsoE => "aws-iso-e",
            Self::AwsIsoF => "aws-iso-f",
            Self::AwsEusc => "aws-eusc",
        }
    }

    /// The DNS suffix of its IPv4 endpoints: `amazonaws.com`, `amazonaws.com.cn`, ...
    pub fn dns_suffix(&self) -> &'static str {
        match self {
            Self::Aws | Self::AwsUsGov => "amazonaws.com",
            Self::AwsCn => "amazonaws.com.cn",
            Self::AwsIso => "c2s.ic.gov",
            Self::AwsIsoB => "sc2s.sgov.gov",
            Self::AwsIsoE => "cloud.adc-e.uk",
            Self::AwsIsoF => "csp.hci.ic.gov",
            Self::AwsEusc => "amazonaws.eu",
        }
    }

    /// The DNS suffix of its dual-stack (IPv4 and IPv6) endpoints:
    /// `api.aws`, `api.amazonwebservices.com.cn`, ...
    pub fn dual_stack_dns_suffix(&self) -> &'static str {
        match self {
            Self::Aws | Self::AwsUsGov => "api.aws",
            Self::AwsCn => "api.amazonwebservices.com.cn",
            Self::AwsIso => "api.aws.ic.gov",
            Self::AwsIsoB => "api.aws.scloud",
            Self::AwsIsoE => "api.cloud-aws.adc-e.uk",
            Self::AwsIsoF => "api.aws.hci.ic.gov",
            Self::AwsEusc => "api.amazonwebservices.eu",
        }
    }
}

impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// What [`check_aws_region`] says of a region that is not AWS-shaped.
const NOT_AWS_SHAPED: &str = "it does not have the shape of an AWS region: \
     area-place-number such as us-east-1, eu-west-1, cn-north-1 or us-gov-west-1";

/// Checks that a region has the shape of an AWS region (see
/// [`Partition::of_region`]) and returns its partition.
///
/// Signing accepts any region name, because S3-compatible servers use their
/// own (`garage`, `auto`, `minio`); call this where only AWS is meant, to
/// catch a typo such as `us-east-l` or `useast1` before AWS answers 403.
///
/// # Errors
///
/// [`Error::InvalidRegion`] when the region matches no partition's pattern;
/// its reason names the expected shape.
///
/// ```
/// use awsig::endpoint::{check_aws_region, Partition};
/// assert_eq!(check_aws_region("ap-southeast-2")?, Partition::Aws);
/// assert!(check_aws_region("US-EAST-1").is_err());
/// # Ok::<(), awsig::Error>(())
/// ```
pub fn check_aws_region(region: &str) -> Result<Partition, Error> {
    Partition::of_region(region).ok_or_else(|| Error::InvalidRegion {
        region: lossy(region.as_bytes()),
        reason: NOT_AWS_SHAPED,
    })
}

/// What a host name tells: the service to sign for, the region, and the
/// partition. Made by [`infer`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Endpoint {
    service: &'static str,
    region: Option<String>,
    partition: Partition,
    fips: bool,
    dual_stack: bool,
}

impl Endpoint {
    /// The signing name (the service in the credential scope): `s3`, `aps`,
    /// `sqs`, `logs`, `monitoring`, `kinesis`, `firehose`, `es`, `aoss`,
    /// `execute-api`, `lambda`, `sts`, `s3-object-lambda` or `s3express`.
    pub fn service(&self) -> &'static str {
        self.service
    }

    /// The signing region the host determines, or `None` when it does not
    /// determine one: an S3 bucket on the legacy global endpoint
    /// (`bucket.s3.amazonaws.com`) or through transfer acceleration is signed
    /// for the bucket's own region, and a Multi-Region Access Point is signed
    /// with SigV4a for a region set.
    ///
    /// Global endpoints that sign for one region give it: `sts.amazonaws.com`
    /// and path-style `s3.amazonaws.com` give `us-east-1`.
    pub fn region(&self) -> Option<&str> {
        self.region.as_deref()
    }

    /// The partition the host belongs to.
    pub fn partition(&self) -> Partition {
        self.partition
    }

    /// Whether the host is a FIPS endpoint (`sqs-fips.…`, `s3-fips.…`).
    pub fn is_fips(&self) -> bool {
        self.fips
    }

    /// Whether the host is a dual-stack endpoint (`….api.aws`, `s3.dualstack.…`).
    pub fn is_dual_stack(&self) -> bool {
        self.dual_stack
    }
}

/// A host that names another service or region than the one a request is
/// signed for. Made by [`check`]; both sides are named in the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.describe())]
pub struct EndpointMismatch {
    host: String,
    endpoint: Endpoint,
    service: String,
    region: String,
}

impl EndpointMismatch {
    /// The host, lower-cased, without port.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// What the host names.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// The service the request is signed for.
    pub fn signing_service(&self) -> &str {
        &self.service
    }

    /// The region the request is signed for.
    pub fn signing_region(&self) -> &str {
        &self.region
    }

    /// Whether the services differ (else only the regions do).
    pub fn service_differs(&self) -> bool {
        self.endpoint.service != self.service
    }

    fn describe(&self) -> String {
        crate::error::endpoint_mismatch(
            &self.host,
            self.endpoint.service,
            self.endpoint.region(),
            &self.service,
            &self.region,
        )
    }
}

impl EndpointMismatch {
    /// The crate's error for a signer that refuses the host:
    /// [`Error::EndpointMismatch`], with the same message.
    pub fn into_error(self) -> Error {
        let e = self;
        Error::EndpointMismatch(Box::new(crate::error::HostMismatch {
            host: e.host,
            host_service: e.endpoint.service.to_owned(),
            host_region: e.endpoint.region,
            service: e.service,
            region: e.region,
        }))
    }
}

/// Compares a host with the service and region a request is signed for.
///
/// Returns `Ok(Some(endpoint))` when the host is a known AWS endpoint that
/// agrees, `Ok(None)` when [`infer`] does not know the host (an S3-compatible
/// server, a proxy, an IP address), in which case nothing can be checked.
/// A host that determines no region ([`Endpoint::region`] is `None`) is
/// compared on the service only.
///
/// # Errors
///
/// [`EndpointMismatch`] when the host names another service, or another
/// region, than `service` and `region`.
///
/// ```
/// use awsig::endpoint::check;
/// assert!(check("sqs.eu-west-1.amazonaws.com", "eu-west-1", "sqs").is_ok());
/// let err = check("sqs.eu-west-1.amazonaws.com", "us-east-1", "sqs").unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     r#"the host sqs.eu-west-1.amazonaws.com names region "eu-west-1" (the request is signed for "us-east-1")"#
/// );
/// assert!(check("minio.local:9000", "garage", "s3")?.is_none());
/// # Ok::<(), awsig::endpoint::EndpointMismatch>(())
/// ```
pub fn check(
    host: &str,
    region: &str,
    service: &str,
) -> Result<Option<Endpoint>, EndpointMismatch> {
    let Some(endpoint) = infer(host) else {
        return Ok(None);
    };
    let region_differs = endpoint.region().is_some_and(|r| r != region);
    if endpoint.service != service || region_differs {
        return Err(EndpointMismatch {
            host: normalize(host).unwrap_or_default(),
            endpoint,
            service: service.to_owned(),
            region: region.to_owned(),
        });
    }
    Ok(Some(endpoint))
}

/// Lower-cases a host and removes a port and a trailing dot. `None` for an
/// IP-literal (`[::1]`) or an empty host.
fn normalize(host: &str) -> Option<String> {
    if host.starts_with('[') {
        return None;
    }
    let host = match host.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
        Some(_) => return None,
        None => host,
    };
    let host = host.strip_suffix('.').unwrap_or(host);
    if host.is_empty() {
        return None;
    }
    Some(host.to_ascii_lowercase())
}

/// The service-name labels of regional endpoints
/// (`service.region.amazonaws.com`, `service-fips.region.amazonaws.com`,
/// `service.region.api.aws`) and the signing name each signs for.
const REGIONAL: &[(&str, &str)] = &[
    // Amazon Managed Service for Prometheus: data plane and control plane.
    ("aps-workspaces", "aps"),
    ("aps", "aps"),
    ("sqs", "sqs"),
    ("logs", "logs"),
    ("monitoring", "monitoring"),
    ("kinesis", "kinesis"),
    ("firehose", "firehose"),
    // OpenSearch Service and OpenSearch Serverless control planes.
    ("es", "es"),
    ("aoss", "aoss"),
    ("sts", "sts"),
    ("lambda", "lambda"),
];

/// Infers the signing name and region from a host name (an authority's
/// host, with or without `:port`, in any case).
///
/// Returns `None` for hosts it does not know: S3-compatible servers, custom
/// domains, IP addresses, and AWS services outside the list in the
/// [module documentation](self). The forms, with the pages that give them:
///
/// - regional endpoints `service.region.amazonaws.com`, their FIPS
///   (`service-fips.…`) and dual-stack (`service.region.api.aws`) variants
///   (the General Reference's endpoint table of each service);
/// - Amazon Managed Service for Prometheus `aps-workspaces.region…` and `aps.region…`
///   (<https://docs.aws.amazon.com/general/latest/gr/prometheus-service.html>);
/// - S3 virtual-hosted `bucket.s3.region…`, path-style `s3.region…`, legacy
///   global `s3.amazonaws.com` and dash-region `s3-region.amazonaws.com`
///   (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/VirtualHosting.html>),
///   dual-stack `s3.dualstack.region…`
///   (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/dual-stack-endpoints.html>),
///   FIPS `s3-fips.region…` (<https://docs.aws.amazon.com/general/latest/gr/s3.html>),
///   access points `name-account.s3-accesspoint.region…`
///   (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-points-naming.html>),
///   Object Lambda (`s3-object-lambda`), S3 Control (`s3-control`),
///   S3 Express (`s3express`), transfer acceleration (`s3-accelerate`) and
///   Multi-Region Access Points (`alias.accesspoint.s3-global.amazonaws.com`);
/// - SQS, including the legacy `region.queue.amazonaws.com`
///   (<https://docs.aws.amazon.com/general/latest/gr/sqs-service.html>);
/// - OpenSearch domains `name.region.es.amazonaws.com` and Serverless
///   collections `id.region.aoss.amazonaws.com` and `id.aoss.region.on.aws`
///   (<https://docs.aws.amazon.com/opensearch-service/latest/developerguide/serverless-collection-endpoints.html>);
/// - API Gateway `api-id.execute-api.region.amazonaws.com`
///   (<https://docs.aws.amazon.com/apigateway/latest/developerguide/how-to-call-api.html>);
/// - Lambda function URLs `url-id.lambda-url.region.on.aws`, signing name
///   `lambda` (<https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html>);
/// - STS, including the global `sts.amazonaws.com` (signed for `us-east-1`)
///   (<https://docs.aws.amazon.com/general/latest/gr/sts.html>).
///
/// A region in the host must have the shape of its partition's regions
/// ([`Partition::of_region`]) and belong to the partition of the DNS suffix.
pub fn infer(host: &str) -> Option<Endpoint> {
    let host = normalize(host)?;
    let (labels, suffix) = split_suffix(&host)?;
    let labels: Vec<&str> = labels.split('.').collect();
    if labels.iter().any(|l| l.is_empty()) {
        return None;
    }
    let found = match suffix {
        Suffix::OnAws => on_aws(&labels)?,
        Suffix::Standard(p) => s3(&labels, p)
            .or_else(|| resource(&labels, p))
            .or_else(|| regional(&labels, p, false))
            .or_else(|| global(&labels, p))?,
        Suffix::DualStack(p) => regional(&labels, p, true)?,
    };
    // The region must belong to the partition the suffix names.
    if let Some(region) = &found.region
        && Partition::of_region(region) != Some(found.partition)
    {
        return None;
    }
    Some(found)
}

/// Which kind of DNS suffix a host ends with.
#[derive(Clone, Copy)]
enum Suffix {
    /// A partition's `dns_suffix`; for `amazonaws.com` the partition is
    /// settled by the region (standard or GovCloud).
    Standard(Option<Partition>),
    /// A partition's dual-stack suffix.
    DualStack(Option<Partition>),
    /// `on.aws` (Lambda function URLs, OpenSearch Serverless NextGen).
    OnAws,
}

/// Splits `labels.suffix` for the suffixes of every partition.
fn split_suffix(host: &str) -> Option<(&str, Suffix)> {
    let strip = |suffix: &str| {
        host.strip_suffix(suffix)
            .and_then(|rest| rest.strip_suffix('.'))
    };
    // `api.aws` and `amazonaws.com` are shared by `aws` and `aws-us-gov`.
    let mut candidates: Vec<(&str, Suffix)> = vec![
        ("on.aws", Suffix::OnAws),
        ("api.aws", Suffix::DualStack(None)),
        ("amazonaws.com", Suffix::Standard(None)),
    ];
    for p in PARTITIONS {
        if !matches!(p, Partition::Aws | Partition::AwsUsGov) {
            candidates.push((p.dns_suffix(), Suffix::Standard(Some(p))));
            candidates.push((p.dual_stack_dns_suffix(), Suffix::DualStack(Some(p))));
        }
    }
    // The longest suffix wins (`api.aws.ic.gov` before `ic.gov` forms).
    candidates.sort_by_key(|(s, _)| std::cmp::Reverse(s.len()));
    candidates
        .into_iter()
        .find_map(|(s, kind)| strip(s).map(|rest| (rest, kind)))
}

/// The partition of a region found in a host with this suffix.
fn partition_for(region: &str, suffix: Option<Partition>) -> Option<Partition> {
    let p = Partition::of_region(region)?;
    match suffix {
        Some(s) if s != p => None,
        Some(s) => Some(s),
        None if matches!(p, Partition::Aws | Partition::AwsUsGov) => Some(p),
        None => None,
    }
}

fn endpoint(
    service: &'static str,
    region: Option<&str>,
    partition: Partition,
    fips: bool,
    dual_stack: bool,
) -> Endpoint {
    Endpoint {
        service,
        region: region.map(str::to_owned),
        partition,
        fips,
        dual_stack,
    }
}

/// `service.region`, `service-fips.region` (any number of labels before it
/// for nothing but S3, which [`s3`] handles; here exactly two labels).
fn regional(labels: &[&str], suffix: Option<Partition>, dual_stack: bool) -> Option<Endpoint> {
    let [name, region] = labels else {
        return None;
    };
    let (name, fips) = match name.strip_suffix("-fips") {
        Some(n) => (n, true),
        None => (*name, false),
    };
    let service = REGIONAL
        .iter()
        .find(|(label, _)| *label == name)
        .map(|(_, s)| *s)?;
    let partition = partition_for(region, suffix)?;
    Some(endpoint(service, Some(region), partition, fips, dual_stack))
}

/// Hosts that carry a resource name before the service and region:
/// API Gateway, OpenSearch domains and Serverless collections, the legacy
/// SQS form.
fn resource(labels: &[&str], suffix: Option<Partition>) -> Option<Endpoint> {
    match labels {
        // api-id.execute-api.region
        [_, "execute-api", region] => {
            let p = partition_for(region, suffix)?;
            Some(endpoint("execute-api", Some(region), p, false, false))
        }
        // search-domain-id.region.es, vpc-domain-id.region.es
        [_, region, "es"] => {
            let p = partition_for(region, suffix)?;
            Some(endpoint("es", Some(region), p, false, false))
        }
        // collection-id.region.aoss
        [_, region, "aoss"] => {
            let p = partition_for(region, suffix)?;
            Some(endpoint("aoss", Some(region), p, false, false))
        }
        // region.queue (legacy SQS)
        [region, "queue"] => {
            let p = partition_for(region, suffix)?;
            Some(endpoint("sqs", Some(region), p, false, false))
        }
        _ => None,
    }
}

/// Global endpoints of the standard partition.
fn global(labels: &[&str], suffix: Option<Partition>) -> Option<Endpoint> {
    if suffix.is_some() {
        return None;
    }
    match labels {
        ["sts"] => Some(endpoint(
            "sts",
            Some("us-east-1"),
            Partition::Aws,
            false,
            false,
        )),
        ["queue"] => Some(endpoint(
            "sqs",
            Some("us-east-1"),
            Partition::Aws,
            false,
            false,
        )),
        _ => None,
    }
}

/// `on.aws` hosts: Lambda function URLs and OpenSearch Serverless NextGen.
fn on_aws(labels: &[&str]) -> Option<Endpoint> {
    let (service, region) = match labels {
        [_, "lambda-url", region] => ("lambda", *region),
        [_, "aoss", region] => ("aoss", *region),
        _ => return None,
    };
    let p = partition_for(region, None)?;
    Some(endpoint(service, Some(region), p, false, true))
}

/// The S3 forms. `labels` is everything before the DNS suffix.
fn s3(labels: &[&str], suffix: Option<Partition>) -> Option<Endpoint> {
    // Regional forms end with the region; the label before it (or the one
    // before `dualstack`) names the S3 endpoint kind.
    if let Some((region, rest)) = labels.split_last()
        && let Some(p) = partition_for(region, suffix)
    {
        let (rest, dual_stack) = match rest.split_last() {
            Some((&"dualstack", before)) => (before, true),
            _ => (rest, false),
        };
        let (kind, before) = rest.split_last()?;
        let (kind, fips) = match kind.strip_suffix("-fips") {
            Some(k) => (k, true),
            None => (*kind, false),
        };
        let service = match kind {
            // bucket.s3.region, s3.region
            "s3" => "s3",
            // name-account.s3-accesspoint.region
            "s3-accesspoint" if !before.is_empty() => "s3",
            // account.s3-control.region
            "s3-control" if !before.is_empty() => "s3",
            // name-account.s3-object-lambda.region
            "s3-object-lambda" if !before.is_empty() => "s3-object-lambda",
            // bucket--zone--x-s3.s3express-zone.region, s3express-control.region
            k if k.starts_with("s3express-") => "s3express",
            _ => return None,
        };
        return Some(endpoint(service, Some(region), p, fips, dual_stack));
    }
    // Forms without a region label exist in the standard partition only.
    if suffix.is_some() {
        return None;
    }
    let (last, before) = labels.split_last()?;
    let unknown_region = |dual_stack| Some(endpoint("s3", None, Partition::Aws, false, dual_stack));
    match *last {
        // s3.amazonaws.com (path style: us-east-1), bucket.s3.amazonaws.com
        // (legacy global: the bucket's region).
        "s3" if before.is_empty() => Some(endpoint(
            "s3",
            Some("us-east-1"),
            Partition::Aws,
            false,
            false,
        )),
        "s3" => unknown_region(false),
        "s3-external-1" => Some(endpoint(
            "s3",
            Some("us-east-1"),
            Partition::Aws,
            false,
            false,
        )),
        // bucket.s3-accelerate, bucket.s3-accelerate.dualstack
        "s3-accelerate" if !before.is_empty() => unknown_region(false),
        "dualstack" if before.last() == Some(&"s3-accelerate") && before.len() > 1 => {
            unknown_region(true)
        }
        // alias.accesspoint.s3-global (SigV4a, for a region set)
        "s3-global" if before.last() == Some(&"accesspoint") && before.len() > 1 => {
            unknown_region(false)
        }
        // s3-region, bucket.s3-region (legacy dash-region forms)
        dashed => {
            let region = dashed.strip_prefix("s3-")?;
            let p = partition_for(region, None)?;
            Some(endpoint("s3", Some(region), p, false, false))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_case_port_and_trailing_dot() {
        for host in [
            "SQS.US-EAST-1.AMAZONAWS.COM",
            "sqs.us-east-1.amazonaws.com:443",
            "sqs.us-east-1.amazonaws.com.",
        ] {
            let e = infer(host).unwrap_or_else(|| panic!("{host}"));
            assert_eq!(
                (e.service(), e.region()),
                ("sqs", Some("us-east-1")),
                "{host}"
            );
        }
        for host in [
            "",
            "[::1]:443",
            "127.0.0.1",
            "localhost:9000",
            "a..amazonaws.com",
        ] {
            assert_eq!(infer(host), None, "{host}");
        }
    }
}
