//! Endpoint inference on real host names, each taken from the AWS page
//! cited beside it.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

#[path = "support/aws_sigv4.rs"]
mod aws_sigv4_reference;

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

/// Another region than `region`, in any partition.
fn other_region(region: &str) -> &'static str {
    if region == "eu-central-1" {
        "us-west-2"
    } else {
        "eu-central-1"
    }
}

fn signer(region: &str, service: &str, check: awsig::EndpointCheck) -> awsig::Signer {
    let creds =
        awsig::Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY").unwrap();
    awsig::Signer::new(creds, region, service)
        .unwrap()
        .with_endpoint_check(check)
}

/// Header signing and presigning of `GET https://host/`.
fn sign_both(signer: &awsig::Signer, host: &str) -> [Result<(), awsig::Error>; 2] {
    let now = std::time::SystemTime::now();
    let request = || {
        http::Request::get(format!("https://{host}/"))
            .body(())
            .unwrap()
    };
    let payload = awsig::PayloadHash::empty();
    // What a presigned URL of the signer's service stands for: S3 does not
    // hash the body of a presigned request.
    let presigned = if signer.settings().content_sha256 == awsig::ContentSha256Header::Include {
        awsig::PayloadHash::Unsigned
    } else {
        payload
    };
    [
        signer.sign(&mut request(), &payload, now).map(|_| ()),
        signer
            .presign(
                &mut request(),
                std::time::Duration::from_secs(60),
                &presigned,
                now,
            )
            .map(|_| ()),
    ]
}

#[test]
fn the_signer_refuses_a_host_of_another_region_or_service_when_asked() {
    use awsig::EndpointCheck::{Off, Refuse};
    for &(host, service, region, _) in CASES {
        let own = region.unwrap_or("us-east-1");
        for result in sign_both(&signer(own, service, Refuse), host) {
            assert_eq!(result, Ok(()), "{host}");
        }
        // Another region: refused when the host names one, naming both.
        let other = other_region(own);
        for result in sign_both(&signer(other, service, Refuse), host) {
            match region {
                None => assert_eq!(result, Ok(()), "{host}"),
                Some(region) => {
                    let err = result.unwrap_err();
                    let awsig::Error::EndpointMismatch(m) = &err else {
                        panic!("{host}: {err:?}");
                    };
                    assert_eq!(
                        (
                            m.host.as_str(),
                            m.host_service.as_str(),
                            m.host_region.as_deref(),
                            m.service.as_str(),
                            m.region.as_str()
                        ),
                        (host, service, Some(region), service, other),
                        "{host}"
                    );
                    assert_eq!(
                        err.to_string(),
                        format!(
                            "the host {host} names region {region:?} (the request is signed for {other:?})"
                        )
                    );
                }
            }
        }
        // Another service: refused, naming both.
        let wrong = if service == "s3" { "sqs" } else { "s3" };
        for result in sign_both(&signer(own, wrong, Refuse), host) {
            let err = result.unwrap_err();
            assert!(
                matches!(&err, awsig::Error::EndpointMismatch(m)
                    if m.host_service == service && m.service == wrong),
                "{host}: {err:?}"
            );
            let text = err.to_string();
            assert!(
                text.contains(&format!(
                    "service {service:?} (the request is signed for {wrong:?})"
                )),
                "{text}"
            );
        }
        // Without the check, anything is signed.
        for result in sign_both(&signer(other, wrong, Off), host) {
            assert_eq!(result, Ok(()), "{host}");
        }
    }
}

#[test]
fn the_check_reads_the_host_header_and_lets_unknown_hosts_through() {
    let refusing = signer("us-east-1", "sqs", awsig::EndpointCheck::Refuse);
    let now = std::time::SystemTime::now();
    let payload = awsig::PayloadHash::empty();
    // Origin-form: the host comes from the Host header.
    let headers = [("Host", b"sqs.eu-west-1.amazonaws.com".as_slice())];
    let view = awsig::SignableRequest::new("GET", "/", &headers).unwrap();
    assert!(matches!(
        refusing.signing_output(&view, &payload, now),
        Err(awsig::Error::EndpointMismatch(_))
    ));
    // A port and upper case do not hide the host.
    let view = awsig::SignableRequest::new("GET", "https://SQS.EU-WEST-1.AMAZONAWS.COM:443/", &[])
        .unwrap();
    assert!(refusing.signing_output(&view, &payload, now).is_err());
    // Hosts that are no known AWS endpoint are signed as usual.
    for host in ["localhost:9000", "queue.internal.example", "127.0.0.1"] {
        for result in sign_both(&refusing, host) {
            assert_eq!(result, Ok(()), "{host}");
        }
    }
}

/// aws-sigv4 (the AWS SDK for Rust's signer), told to add the
/// `x-amz-content-sha256` header: (signed headers, signature).
fn aws_sigv4_with_payload_header(
    method: &str,
    uri: &str,
    service: &str,
    body: &[u8],
    now: std::time::SystemTime,
) -> (String, String) {
    use aws_sigv4::http_request::{PayloadChecksumKind, SigningSettings};
    let mut settings = SigningSettings::default();
    settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    let (authorization, signature) =
        aws_sigv4_reference::sign(method, uri, service, body, settings, now);
    let signed = authorization
        .split("SignedHeaders=")
        .nth(1)
        .and_then(|rest| rest.split(',').next())
        .unwrap_or_default()
        .to_owned();
    (signed, signature)
}

#[test]
fn aoss_and_lambda_function_url_presets_sign_the_payload_hash() {
    use awsig::{ContentSha256Header, Settings};
    assert_eq!(Settings::for_service("aoss"), Settings::aoss());
    assert_eq!(
        Settings::aoss().content_sha256,
        ContentSha256Header::Include
    );
    // The Lambda API keeps the default; function URLs choose their preset.
    assert_eq!(Settings::for_service("lambda"), Settings::default());
    assert_eq!(
        Settings::lambda_function_url().content_sha256,
        ContentSha256Header::Include
    );

    let now = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
    let cases: [(&str, &str, &str, Settings, &[u8]); 3] = [
        (
            "GET",
            "https://1tg2xudton46knx2a95g.us-east-1.aoss.amazonaws.com/movies/_search",
            "aoss",
            Settings::for_service("aoss"),
            b"",
        ),
        (
            "PUT",
            "https://1tg2xudton46knx2a95g.us-east-1.aoss.amazonaws.com/movies/_doc/1",
            "aoss",
            Settings::aoss(),
            br#"{"title":"Thor"}"#,
        ),
        (
            "POST",
            "https://abcdefg.lambda-url.us-east-1.on.aws/orders",
            "lambda",
            Settings::lambda_function_url(),
            br#"{"id":7}"#,
        ),
    ];
    for (method, uri, service, settings, body) in cases {
        let creds =
            awsig::Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
                .unwrap();
        let signer = awsig::Signer::new(creds, "us-east-1", service)
            .unwrap()
            .with_settings(settings);
        let mut request = http::Request::builder()
            .method(method)
            .uri(uri)
            .body(body.to_vec())
            .unwrap();
        let signature = signer
            .sign(&mut request, &awsig::PayloadHash::of(body), now)
            .unwrap();
        // The header carries the body's SHA-256 (for no body, the hash of
        // the empty string the OpenSearch Serverless page gives).
        let expected_hash = if body.is_empty() {
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855".to_owned()
        } else {
            hex::encode(<sha2::Sha256 as sha2::Digest>::digest(body))
        };
        assert_eq!(
            request.headers()["x-amz-content-sha256"],
            expected_hash.as_str(),
            "{uri}"
        );
        let (signed, reference) = aws_sigv4_with_payload_header(method, uri, service, body, now);
        assert_eq!(signed, "host;x-amz-content-sha256;x-amz-date", "{uri}");
        assert!(
            request.headers()["authorization"]
                .to_str()
                .unwrap()
                .contains(&format!("SignedHeaders={signed},")),
            "{uri}"
        );
        assert_eq!(signature.as_str(), reference, "{uri}");
    }
}
