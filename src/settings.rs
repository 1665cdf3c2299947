//! Typed signing settings and the service presets.
//!
//! Services differ in a few signing rules. S3 signs the path exactly as sent
//! (encoded once, never normalized) and wants an `x-amz-content-sha256`
//! header; every other service normalizes the path and encodes it twice,
//! and a few of them (OpenSearch Serverless, Lambda function URLs) want the
//! `x-amz-content-sha256` header too. [`Settings::for_service`] picks the
//! preset from the signing name.

/// Whether the path is normalized before it is signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PathNormalization {
    /// Remove `.` and `..` segments and merge duplicate slashes, keeping a
    /// trailing slash only where the path as sent ends in one (`/a/b/..` is
    /// signed as `/a`, as aws-c-auth and botocore do, not RFC 3986's `/a/`).
    /// What every service except S3 expects.
    Enabled,
    /// Sign the path as sent. S3 needs this: `a//b` and `a/./b` are distinct
    /// object keys there.
    Disabled,
}

/// How many times the path is percent-encoded for the canonical URI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum UriEncoding {
    /// Encode the (already encoded) path once more, so `%3D` is signed as
    /// `%253D`. What every service except S3 expects (API Gateway, Lambda
    /// function ARNs in paths, and so on).
    Double,
    /// Sign the path as S3 reads it: decoded (a raw `+` reading as a space)
    /// and encoded once again, unreserved characters and `/` bare and every
    /// other byte `%XX` with upper-case hex, so `/%7E` is signed as `/~` and
    /// `/a%2bb` as `/a%2Bb`. S3 needs this.
    Single,
}

/// Whether the session token is part of the signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionTokenMode {
    /// `X-Amz-Security-Token` is added before signing and signed. What
    /// almost every service expects.
    Signed,
    /// The token is added after signing and left out of the signature. A few
    /// older services and IoT endpoints require this.
    AddedAfterSigning,
}

/// Whether header signing adds an `x-amz-content-sha256` header carrying
/// the payload hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ContentSha256Header {
    /// No such header. Most services.
    Omit,
    /// Add and sign `x-amz-content-sha256`. S3 requires it (and S3-compatible
    /// servers too), as does anything that takes `UNSIGNED-PAYLOAD` or a
    /// streaming payload.
    Include,
}

/// Which request headers are signed (the ones signing adds always are).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum HeaderPolicy {
    /// Every header except those in [`NEVER_SIGNED`](crate::NEVER_SIGNED).
    /// The default, and what AWS SDKs do.
    AllExceptNeverSigned,
    /// Only `host`, `content-type`, `content-md5` and `x-amz-*`: for requests
    /// that cross proxies which add or rewrite other headers.
    AllowList,
}

/// Whether a presigned URL may outlive the credentials that sign it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CredentialExpiryCheck {
    /// Presign whatever expiry is asked for, as AWS SDKs do; the URL stops
    /// working when temporary credentials expire.
    Ignore,
    /// Refuse with [`Error::PresignOutlivesCredentials`](crate::Error::PresignOutlivesCredentials)
    /// when the URL would expire after the credentials do.
    Refuse,
}

/// Whether signing compares the request's host with the signer's region and
/// service.
///
/// A region typo, or a signer for one service sent to another's endpoint,
/// is otherwise a `403` from AWS. The host is read with
/// [`crate::endpoint::infer`]; hosts it does not know (S3-compatible
/// servers, proxies, custom domains, IP addresses) are signed as usual,
/// and a host that determines no region (`bucket.s3.amazonaws.com`) is
/// compared on the service only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EndpointCheck {
    /// Sign whatever the host. The default.
    Off,
    /// Refuse with [`Error::EndpointMismatch`](crate::Error::EndpointMismatch),
    /// which names the host's service and region and the signer's, when the
    /// host is an AWS endpoint of another service or region (see
    /// [`crate::endpoint::check`]).
    Refuse,
}

/// All signing settings. Start from a preset and change what you need.
///
/// ```
/// use awsig::{Settings, UriEncoding};
/// assert_eq!(Settings::for_service("s3"), Settings::s3());
/// assert_eq!(Settings::for_service("aps").uri_encoding, UriEncoding::Double);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Settings {
    /// Path normalization.
    pub path_normalization: PathNormalization,
    /// Path encoding.
    pub uri_encoding: UriEncoding,
    /// Session token placement.
    pub session_token: SessionTokenMode,
    /// The `x-amz-content-sha256` header.
    pub content_sha256: ContentSha256Header,
    /// Which headers are signed.
    pub header_policy: HeaderPolicy,
    /// Presigned URLs and credential expiry.
    pub credential_expiry: CredentialExpiryCheck,
    /// The check of the host against the region and service.
    pub endpoint_check: EndpointCheck,
}

impl Default for Settings {
    /// The preset for every service but S3: normalize, double-encode.
    fn default() -> Self {
        Self {
            path_normalization: PathNormalization::Enabled,
            uri_encoding: UriEncoding::Double,
            session_token: SessionTokenMode::Signed,
            content_sha256: ContentSha256Header::Omit,
            header_policy: HeaderPolicy::AllExceptNeverSigned,
            credential_expiry: CredentialExpiryCheck::Ignore,
            endpoint_check: EndpointCheck::Off,
        }
    }
}

impl Settings {
    /// The S3 preset: no normalization, single encoding, and the
    /// `x-amz-content-sha256` header.
    pub fn s3() -> Self {
        Self {
            path_normalization: PathNormalization::Disabled,
            uri_encoding: UriEncoding::Single,
            content_sha256: ContentSha256Header::Include,
            ..Self::default()
        }
    }

    /// The OpenSearch Serverless preset (signing name `aoss`): the default
    /// path rules, and the `x-amz-content-sha256` header, which OpenSearch
    /// Serverless requires on every request, with the hash of the empty
    /// string when there is no body
    /// (<https://docs.aws.amazon.com/opensearch-service/latest/developerguide/serverless-clients.html#serverless-signing>).
    pub fn aoss() -> Self {
        Self::default().with_content_sha256(ContentSha256Header::Include)
    }

    /// The preset for Lambda function URLs (`https://<url-id>.lambda-url.<region>.on.aws`,
    /// signing name `lambda`): the default path rules, and the
    /// `x-amz-content-sha256` header with the SHA-256 of the body. A `PUT`
    /// or `POST` to a function URL must carry it, and Lambda does not take
    /// `UNSIGNED-PAYLOAD`
    /// (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-lambda.html>).
    ///
    /// [`Settings::for_service`] cannot tell a function URL from the
    /// Lambda API by the signing name alone, so `lambda` gets the default
    /// preset there: choose this one for function URLs.
    pub fn lambda_function_url() -> Self {
        Self::default().with_content_sha256(ContentSha256Header::Include)
    }

    /// The preset for a signing name: [`Settings::s3`] for `s3` and
    /// `s3-object-lambda`, [`Settings::aoss`] for `aoss`,
    /// [`Settings::default`] for everything else (including `aps`, `sqs`,
    /// `logs`, `kinesis`, `sts`, and `lambda`: see
    /// [`Settings::lambda_function_url`]).
    pub fn for_service(service: &str) -> Self {
        match service {
            "s3" | "s3-object-lambda" => Self::s3(),
            "aoss" => Self::aoss(),
            _ => Self::default(),
        }
    }

    /// Sets path normalization.
    pub fn with_path_normalization(mut self, v: PathNormalization) -> Self {
        self.path_normalization = v;
        self
    }

    /// Sets path encoding.
    pub fn with_uri_encoding(mut self, v: UriEncoding) -> Self {
        self.uri_encoding = v;
        self
    }

    /// Sets session token placement.
    pub fn with_session_token(mut self, v: SessionTokenMode) -> Self {
        self.session_token = v;
        self
    }

    /// Sets the `x-amz-content-sha256` header.
    pub fn with_content_sha256(mut self, v: ContentSha256Header) -> Self {
        self.content_sha256 = v;
        self
    }

    /// Sets the header policy.
    pub fn with_header_policy(mut self, v: HeaderPolicy) -> Self {
        self.header_policy = v;
        self
    }

    /// Sets the presign check against credential expiry.
    pub fn with_credential_expiry(mut self, v: CredentialExpiryCheck) -> Self {
        self.credential_expiry = v;
        self
    }

    /// Sets the check of the host against the region and service.
    pub fn with_endpoint_check(mut self, v: EndpointCheck) -> Self {
        self.endpoint_check = v;
        self
    }
}
