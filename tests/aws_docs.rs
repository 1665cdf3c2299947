//! The worked examples of the AWS documentation, reproduced exactly.
//!
//! - IAM `ListUsers` from "Create a signed AWS API request" (IAM User Guide).
//! - The S3 examples of "Signature Calculations for the Authorization Header"
//!   (GET object with a range, PUT object, GET bucket lifecycle, list
//!   objects) and of "Authenticating Requests: Using Query Parameters"
//!   (a presigned GET), all with the documentation's example key pair.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::Duration;

use awsig::{AmzDate, Credentials, PayloadHash, SignableRequest, Signer, StringToSign};

const S3_KEY: (&str, &str) = (
    "AKIAIOSFODNN7EXAMPLE",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
);

fn s3_signer() -> Signer {
    Signer::new(
        Credentials::new(S3_KEY.0, S3_KEY.1).unwrap(),
        "us-east-1",
        "s3",
    )
    .unwrap()
}

fn at(text: &str) -> std::time::SystemTime {
    AmzDate::parse(text).unwrap().to_system_time()
}

#[test]
fn iam_list_users() {
    let signer = Signer::new(
        Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY").unwrap(),
        "us-east-1",
        "iam",
    )
    .unwrap();
    let headers: &[(&str, &[u8])] = &[(
        "Content-Type",
        b"application/x-www-form-urlencoded; charset=utf-8",
    )];
    let req = SignableRequest::new(
        "GET",
        "https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08",
        headers,
    )
    .unwrap();
    let now = at("20150830T123600Z");
    let creq = signer
        .canonical_request(&req, &PayloadHash::empty(), now)
        .unwrap();
    assert_eq!(
        creq.to_string(),
        "GET\n/\nAction=ListUsers&Version=2010-05-08\n\
         content-type:application/x-www-form-urlencoded; charset=utf-8\n\
         host:iam.amazonaws.com\nx-amz-date:20150830T123600Z\n\n\
         content-type;host;x-amz-date\n\
         e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    let date = AmzDate::from_system_time(now).unwrap();
    let sts = StringToSign::new(signer.scope(&date), &creq);
    assert_eq!(
        sts.canonical_request_hash(),
        "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59"
    );
    let out = signer
        .signing_output(&req, &PayloadHash::empty(), now)
        .unwrap();
    assert_eq!(
        out.signature().as_str(),
        "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
    );
    assert_eq!(
        out.authorization(),
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, \
         SignedHeaders=content-type;host;x-amz-date, \
         Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
    );
}

fn s3_header_signature(
    method: &str,
    url: &str,
    headers: &[(&str, &[u8])],
    body: &[u8],
) -> (String, String) {
    let req = SignableRequest::new(method, url, headers).unwrap();
    let out = s3_signer()
        .signing_output(&req, &PayloadHash::of(body), at("20130524T000000Z"))
        .unwrap();
    let signed = out
        .authorization()
        .split("SignedHeaders=")
        .nth(1)
        .unwrap()
        .split(',')
        .next()
        .unwrap()
        .to_owned();
    (signed, out.signature().as_str().to_owned())
}

#[test]
fn s3_get_object_with_range() {
    let (signed, sig) = s3_header_signature(
        "GET",
        "https://examplebucket.s3.amazonaws.com/test.txt",
        &[("Range", b"bytes=0-9")],
        b"",
    );
    assert_eq!(signed, "host;range;x-amz-content-sha256;x-amz-date");
    assert_eq!(
        sig,
        "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
    );
}

#[test]
fn s3_put_object() {
    let (signed, sig) = s3_header_signature(
        "PUT",
        "https://examplebucket.s3.amazonaws.com/test%24file.text",
        &[
            ("Date", b"Fri, 24 May 2013 00:00:00 GMT"),
            ("x-amz-storage-class", b"REDUCED_REDUNDANCY"),
        ],
        b"Welcome to Amazon S3.",
    );
    assert_eq!(
        signed,
        "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class"
    );
    assert_eq!(
        sig,
        "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"
    );
}

#[test]
fn s3_get_bucket_lifecycle() {
    let (_, sig) = s3_header_signature(
        "GET",
        "https://examplebucket.s3.amazonaws.com/?lifecycle",
        &[],
        b"",
    );
    assert_eq!(
        sig,
        "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"
    );
}

#[test]
fn s3_list_objects() {
    let (_, sig) = s3_header_signature(
        "GET",
        "https://examplebucket.s3.amazonaws.com/?max-keys=2&prefix=J",
        &[],
        b"",
    );
    assert_eq!(
        sig,
        "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"
    );
}

#[test]
fn s3_presigned_get() {
    let req = SignableRequest::new(
        "GET",
        "https://examplebucket.s3.amazonaws.com/test.txt",
        &[],
    )
    .unwrap();
    let out = s3_signer()
        .presign_output(
            &req,
            Duration::from_secs(86_400),
            &PayloadHash::Unsigned,
            at("20130524T000000Z"),
        )
        .unwrap();
    assert_eq!(
        out.signature().as_str(),
        "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
    );
    // The documentation's URL, with its parameters in its own order. awsig
    // appends them in the order of the AWS signing test suite's signed
    // requests (X-Amz-SignedHeaders before X-Amz-Expires); order carries no
    // meaning in a query, so the parameters are compared as a set, with the
    // signature last in both.
    let documented = "https://examplebucket.s3.amazonaws.com/test.txt\
        ?X-Amz-Algorithm=AWS4-HMAC-SHA256\
        &X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request\
        &X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host\
        &X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";
    let sorted = |query: &str| {
        let mut params: Vec<String> = query.split('&').map(str::to_owned).collect();
        let last = params.pop();
        params.sort_unstable();
        params.extend(last);
        params
    };
    let ours = out.append_to_query("");
    assert_eq!(sorted(&ours), sorted(documented.split_once('?').unwrap().1));
}
