//! Endpoint inference on real host names, each taken from the AWS page
//! cited beside it.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use awsig::endpoint::{self, Partition};

/// (host, signing name, region the host determines, partition)
type Case = (&'static str, &'static str, Option<&'static str>, Partition);

use Partition::{Aws, AwsCn, AwsUsGov};

const CASES: &[Case] = &[
    // https://docs.aws.amazon.com/general/latest/gr/prometheus-service.html
    (
        "aps-workspaces.us-east-2.amazonaws.com",
        "aps",
        Some("us-east-2"),
        Aws,
    ),
    (
        "aps-workspaces-fips.us-east-1.amazonaws.com",
        "aps",
        Some("us-east-1"),
        Aws,
    ),
    (
        "aps-workspaces.us-east-2.api.aws",
        "aps",
        Some("us-east-2"),
        Aws,
    ),
    (
        "aps-workspaces-fips.us-east-2.api.aws",
        "aps",
        Some("us-east-2"),
        Aws,
    ),
    ("aps.us-east-1.amazonaws.com", "aps", Some("us-east-1"), Aws),
    (
        "aps-fips.us-east-2.amazonaws.com",
        "aps",
        Some("us-east-2"),
        Aws,
    ),
    // https://docs.aws.amazon.com/AmazonS3/latest/userguide/VirtualHosting.html
    (
        "amzn-s3-demo-bucket.s3.us-west-2.amazonaws.com",
        "s3",
        Some("us-west-2"),
        Aws,
    ),
    ("s3.us-west-2.amazonaws.com", "s3", Some("us-west-2"), Aws),
    // Legacy global endpoint: path style is us-east-1, a bucket's host is
    // signed for the bucket's region, which the host does not say.
    ("s3.amazonaws.com", "s3", Some("us-east-1"), Aws),
    ("amzn-s3-demo-bucket.s3.amazonaws.com", "s3", None, Aws),
    // Legacy dash-region endpoints (VirtualHosting.html, "Backward compatibility").
    ("s3-us-west-2.amazonaws.com", "s3", Some("us-west-2"), Aws),
    (
        "examplebucket.s3-eu-west-1.amazonaws.com",
        "s3",
        Some("eu-west-1"),
        Aws,
    ),
    ("s3-external-1.amazonaws.com", "s3", Some("us-east-1"), Aws),
    // https://docs.aws.amazon.com/AmazonS3/latest/userguide/dual-stack-endpoints.html
    (
        "bucketname.s3.dualstack.us-west-2.amazonaws.com",
        "s3",
        Some("us-west-2"),
        Aws,
    ),
    (
        "s3.dualstack.eu-central-1.amazonaws.com",
        "s3",
        Some("eu-central-1"),
        Aws,
    ),
    // https://docs.aws.amazon.com/general/latest/gr/s3.html
    (
        "s3-fips.us-east-2.amazonaws.com",
        "s3",
        Some("us-east-2"),
        Aws,
    ),
    (
        "s3-fips.dualstack.us-west-1.amazonaws.com",
        "s3",
        Some("us-west-1"),
        Aws,
    ),
    (
        "s3.cn-northwest-1.amazonaws.com.cn",
        "s3",
        Some("cn-northwest-1"),
        AwsCn,
    ),
    (
        "s3.us-gov-west-1.amazonaws.com",
        "s3",
        Some("us-gov-west-1"),
        AwsUsGov,
    ),
    (
        "s3-fips.us-gov-east-1.amazonaws.com",
        "s3",
        Some("us-gov-east-1"),
        AwsUsGov,
    ),
    (
        "123456789012.s3-control.us-east-1.amazonaws.com",
        "s3",
        Some("us-east-1"),
        Aws,
    ),
    // https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-points-naming.html
    (
        "finance-docs-123456789012.s3-accesspoint.us-west-2.amazonaws.com",
        "s3",
        Some("us-west-2"),
        Aws,
    ),
    (
        "finance-docs-123456789012.s3-accesspoint.dualstack.us-west-2.amazonaws.com",
        "s3",
        Some("us-west-2"),
        Aws,
    ),
    (
        "finance-docs-123456789012.s3-accesspoint-fips.us-west-2.amazonaws.com",
        "s3",
        Some("us-west-2"),
        Aws,
    ),
    // https://docs.aws.amazon.com/AmazonS3/latest/userguide/olap-use.html
    (
        "my-olap-123456789012.s3-object-lambda.us-east-1.amazonaws.com",
        "s3-object-lambda",
        Some("us-east-1"),
        Aws,
    ),
    // https://docs.aws.amazon.com/AmazonS3/latest/userguide/MultiRegionAccessPointRequests.html
    // (SigV4a, signed for a region set: no single region).
    (
        "mfzwi23gnjvgw.mrap.accesspoint.s3-global.amazonaws.com",
        "s3",
        None,
        Aws,
    ),
    // https://docs.aws.amazon.com/AmazonS3/latest/userguide/transfer-acceleration-getting-started.html
    (
        "amzn-s3-demo-bucket.s3-accelerate.amazonaws.com",
        "s3",
        None,
        Aws,
    ),
    (
        "amzn-s3-demo-bucket.s3-accelerate.dualstack.amazonaws.com",
        "s3",
        None,
        Aws,
    ),
    // https://docs.aws.amazon.com/AmazonS3/latest/userguide/s3-express-Regions-and-Zones.html
    (
        "bucket-base-name--usw2-az1--x-s3.s3express-usw2-az1.us-west-2.amazonaws.com",
        "s3express",
        Some("us-west-2"),
        Aws,
    ),
    (
        "s3express-control.us-west-2.amazonaws.com",
        "s3express",
        Some("us-west-2"),
        Aws,
    ),
    // https://docs.aws.amazon.com/general/latest/gr/sqs-service.html
    ("sqs.us-east-2.amazonaws.com", "sqs", Some("us-east-2"), Aws),
    (
        "sqs-fips.us-east-1.amazonaws.com",
        "sqs",
        Some("us-east-1"),
        Aws,
    ),
    ("sqs.us-west-1.api.aws", "sqs", Some("us-west-1"), Aws),
    ("sqs-fips.us-east-2.api.aws", "sqs", Some("us-east-2"), Aws),
    (
        "sqs.cn-north-1.amazonaws.com.cn",
        "sqs",
        Some("cn-north-1"),
        AwsCn,
    ),
    (
        "sqs.us-gov-west-1.amazonaws.com",
        "sqs",
        Some("us-gov-west-1"),
        AwsUsGov,
    ),
    // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-general-identifiers.html
    // (legacy queue URLs).
    ("queue.amazonaws.com", "sqs", Some("us-east-1"), Aws),
    (
        "eu-west-1.queue.amazonaws.com",
        "sqs",
        Some("eu-west-1"),
        Aws,
    ),
    // https://docs.aws.amazon.com/general/latest/gr/cwl_region.html
    (
        "logs.us-east-2.amazonaws.com",
        "logs",
        Some("us-east-2"),
        Aws,
    ),
    (
        "logs-fips.us-east-1.amazonaws.com",
        "logs",
        Some("us-east-1"),
        Aws,
    ),
    (
        "logs.cn-north-1.amazonaws.com.cn",
        "logs",
        Some("cn-north-1"),
        AwsCn,
    ),
    (
        "logs.us-gov-west-1.amazonaws.com",
        "logs",
        Some("us-gov-west-1"),
        AwsUsGov,
    ),
    // https://docs.aws.amazon.com/general/latest/gr/cw_region.html
    (
        "monitoring.us-east-2.amazonaws.com",
        "monitoring",
        Some("us-east-2"),
        Aws,
    ),
    (
        "monitoring-fips.us-west-2.amazonaws.com",
        "monitoring",
        Some("us-west-2"),
        Aws,
    ),
    (
        "monitoring.cn-northwest-1.amazonaws.com.cn",
        "monitoring",
        Some("cn-northwest-1"),
        AwsCn,
    ),
    // https://docs.aws.amazon.com/general/latest/gr/ak.html
    (
        "kinesis.us-east-2.amazonaws.com",
        "kinesis",
        Some("us-east-2"),
        Aws,
    ),
    (
        "kinesis-fips.us-east-1.amazonaws.com",
        "kinesis",
        Some("us-east-1"),
        Aws,
    ),
    (
        "kinesis.us-gov-west-1.amazonaws.com",
        "kinesis",
        Some("us-gov-west-1"),
        AwsUsGov,
    ),
    // https://docs.aws.amazon.com/general/latest/gr/fh.html
    (
        "firehose.us-east-2.amazonaws.com",
        "firehose",
        Some("us-east-2"),
        Aws,
    ),
    (
        "firehose-fips.us-east-1.amazonaws.com",
        "firehose",
        Some("us-east-1"),
        Aws,
    ),
    (
        "firehose.cn-north-1.amazonaws.com.cn",
        "firehose",
        Some("cn-north-1"),
        AwsCn,
    ),
    // https://docs.aws.amazon.com/general/latest/gr/opensearch-service.html
    ("es.us-east-1.amazonaws.com", "es", Some("us-east-1"), Aws),
    (
        "es-fips.us-west-2.amazonaws.com",
        "es",
        Some("us-west-2"),
        Aws,
    ),
    // https://docs.aws.amazon.com/opensearch-service/latest/developerguide/request-signing.html
    (
        "search-my-domain-abcdefghijklmnop.us-west-1.es.amazonaws.com",
        "es",
        Some("us-west-1"),
        Aws,
    ),
    (
        "vpc-my-domain-abcdefghijklmnop.eu-west-1.es.amazonaws.com",
        "es",
        Some("eu-west-1"),
        Aws,
    ),
    // https://docs.aws.amazon.com/opensearch-service/latest/developerguide/serverless-collection-endpoints.html
    (
        "1tg2xudton46knx2a95g.us-east-1.aoss.amazonaws.com",
        "aoss",
        Some("us-east-1"),
        Aws,
    ),
    (
        "1tg2xudton46knx2a95g.aoss.us-east-1.on.aws",
        "aoss",
        Some("us-east-1"),
        Aws,
    ),
    (
        "aoss.us-east-1.amazonaws.com",
        "aoss",
        Some("us-east-1"),
        Aws,
    ),
    // https://docs.aws.amazon.com/apigateway/latest/developerguide/how-to-call-api.html
    (
        "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com",
        "execute-api",
        Some("us-east-1"),
        Aws,
    ),
    (
        "a1b2c3d4e5.execute-api.cn-north-1.amazonaws.com.cn",
        "execute-api",
        Some("cn-north-1"),
        AwsCn,
    ),
    // https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html
    (
        "abcdefg.lambda-url.us-east-1.on.aws",
        "lambda",
        Some("us-east-1"),
        Aws,
    ),
    // https://docs.aws.amazon.com/general/latest/gr/sts.html
    ("sts.amazonaws.com", "sts", Some("us-east-1"), Aws),
    ("sts.us-east-2.amazonaws.com", "sts", Some("us-east-2"), Aws),
    (
        "sts-fips.us-east-1.amazonaws.com",
        "sts",
        Some("us-east-1"),
        Aws,
    ),
    (
        "sts.cn-north-1.amazonaws.com.cn",
        "sts",
        Some("cn-north-1"),
        AwsCn,
    ),
    (
        "sts.us-gov-west-1.amazonaws.com",
        "sts",
        Some("us-gov-west-1"),
        AwsUsGov,
    ),
];

#[test]
fn real_endpoint_hosts() {
    for &(host, service, region, partition) in CASES {
        let e = endpoint::infer(host).unwrap_or_else(|| panic!("{host}: not recognized"));
        assert_eq!(
            (e.service(), e.region(), e.partition()),
            (service, region, partition),
            "{host}"
        );
        // The same host in capitals, with a port and a trailing dot.
        let loud = format!("{}.:443", host.to_ascii_uppercase());
        assert_eq!(endpoint::infer(&loud).as_ref(), Some(&e), "{loud}");
    }
    let services: std::collections::BTreeSet<_> = CASES.iter().map(|c| c.1).collect();
    for needed in [
        "aps",
        "s3",
        "sqs",
        "logs",
        "monitoring",
        "kinesis",
        "firehose",
        "es",
        "aoss",
        "execute-api",
        "lambda",
        "sts",
    ] {
        assert!(services.contains(needed), "no case for {needed}");
    }
}

#[test]
fn fips_and_dual_stack_are_reported() {
    let e = endpoint::infer("s3-fips.dualstack.us-west-1.amazonaws.com").unwrap();
    assert!(e.is_fips() && e.is_dual_stack());
    let e = endpoint::infer("sqs.us-west-1.api.aws").unwrap();
    assert!(!e.is_fips() && e.is_dual_stack());
    let e = endpoint::infer("logs.us-east-2.amazonaws.com").unwrap();
    assert!(!e.is_fips() && !e.is_dual_stack());
}

/// Hosts that are not AWS endpoints, or not ones this module knows: nothing
/// is guessed for them.
#[test]
fn unknown_hosts_give_none() {
    for host in [
        // S3-compatible servers.
        "localhost:9000",
        "127.0.0.1:3900",
        "garage.example.com",
        "0123456789abcdef.r2.cloudflarestorage.com",
        "storage.googleapis.com",
        "nyc3.digitaloceanspaces.com",
        // Website endpoints are not signed.
        "examplebucket.s3-website-us-east-1.amazonaws.com",
        "examplebucket.s3-website.eu-west-1.amazonaws.com",
        // Services outside the list, and malformed regions.
        "dynamodb.us-east-1.amazonaws.com",
        "sqs.us-east-l.amazonaws.com",
        "sqs.useast1.amazonaws.com",
        // A region of another partition than the suffix.
        "sqs.cn-north-1.amazonaws.com",
        "sqs.us-east-1.amazonaws.com.cn",
        // Look-alikes.
        "sqs.us-east-1.amazonaws.com.evil.example",
        "amazonaws.com",
        "s3.amazonaws.co",
    ] {
        assert_eq!(endpoint::infer(host), None, "{host}");
    }
}

#[test]
fn regions_are_checked_against_every_partition_pattern() {
    // Published regions of each partition (partitions.json), and a name
    // that is no region but has the `aws` shape all the same.
    assert_eq!(endpoint::check_aws_region("us-gov-1"), Ok(Partition::Aws));
    for (region, partition) in [
        ("us-east-1", Partition::Aws),
        ("mx-central-1", Partition::Aws),
        ("il-central-1", Partition::Aws),
        ("ap-southeast-7", Partition::Aws),
        ("cn-northwest-1", Partition::AwsCn),
        ("us-gov-east-1", Partition::AwsUsGov),
        ("us-iso-west-1", Partition::AwsIso),
        ("us-isob-east-1", Partition::AwsIsoB),
        ("eu-isoe-west-1", Partition::AwsIsoE),
        ("us-isof-south-1", Partition::AwsIsoF),
        ("eusc-de-east-1", Partition::AwsEusc),
    ] {
        assert_eq!(
            endpoint::check_aws_region(region),
            Ok(partition),
            "{region}"
        );
    }
    for bad in [
        "",
        "us-east",
        "us-east-l",
        "useast1",
        "us_east_1",
        "us-east-1 ",
        "US-EAST-1",
        "xx-east-1",
        "aws-global",
        "auto",
        "garage",
        "us-east-1-",
        "-us-east-1",
        "eusc-fr-east-1",
    ] {
        let err = match endpoint::check_aws_region(bad) {
            Ok(p) => panic!("{bad:?} was taken for a region of {p}"),
            Err(e) => e.to_string(),
        };
        assert!(err.contains("us-east-1"), "{bad}: {err}");
    }
}

#[test]
fn check_names_both_sides_of_a_mismatch() {
    let ok = endpoint::check("aps-workspaces.eu-west-1.amazonaws.com", "eu-west-1", "aps");
    assert_eq!(ok.unwrap().unwrap().service(), "aps");
    // S3-compatible servers: nothing to check.
    assert_eq!(endpoint::check("minio:9000", "us-east-1", "s3"), Ok(None));
    // No region in the host: only the service is compared.
    assert!(endpoint::check("bucket.s3.amazonaws.com", "eu-west-1", "s3").is_ok());

    let err =
        endpoint::check("aps-workspaces.eu-west-1.amazonaws.com", "us-east-1", "s3").unwrap_err();
    assert!(err.service_differs());
    assert_eq!(err.signing_region(), "us-east-1");
    assert_eq!(err.endpoint().region(), Some("eu-west-1"));
    assert_eq!(
        err.to_string(),
        "the host aps-workspaces.eu-west-1.amazonaws.com names service \"aps\" (the request is \
         signed for \"s3\") and region \"eu-west-1\" (the request is signed for \"us-east-1\")"
    );
    let err = endpoint::check("SQS.US-EAST-2.AMAZONAWS.COM:443", "us-east-1", "sqs").unwrap_err();
    assert!(!err.service_differs());
    assert_eq!(err.host(), "sqs.us-east-2.amazonaws.com");
}
