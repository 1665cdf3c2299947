//! Why a request fails verification, and the AWS error a service answers.

use std::fmt;

use super::parse::AuthParseError;
use crate::canonical_request::CanonicalRequest;

/// Where the signature travelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuthKind {
    /// In the `Authorization` header.
    Header,
    /// In the query string of a presigned URL.
    Query,
}

/// What the verifier computed for a request whose signature does not
/// match: enough for the client to find which part it signed differently.
///
/// The canonical request shows the values only of the headers a client sets
/// itself and that hold no secret: `host`, the `content-*` headers,
/// `range`, `date`, the conditional headers and the `x-amz-*` headers but
/// the session token and the SSE-C keys, plus those the [`Policy`](crate::Policy)
/// discloses; every other value is `<redacted>`, so that a secret a front
/// proxy adds (and a client could list in `SignedHeaders`) never reaches the
/// client. The string to sign is the one computed from the whole canonical
/// request. Its `Debug` redacts every value. No secret key ever appears.
#[derive(Clone, PartialEq, Eq)]
pub struct Mismatch {
    pub(crate) canonical_request: CanonicalRequest,
    pub(crate) string_to_sign: String,
}

impl Mismatch {
    /// The canonical request the verifier computed, with the values of the
    /// headers the policy does not disclose as `<redacted>`.
    pub fn canonical_request(&self) -> &CanonicalRequest {
        &self.canonical_request
    }

    /// The string to sign the verifier computed.
    pub fn string_to_sign(&self) -> &str {
        &self.string_to_sign
    }
}

impl fmt::Debug for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mismatch")
            .field("canonical_request", &self.canonical_request)
            .field("string_to_sign", &self.string_to_sign)
            .finish()
    }
}

/// What is wrong with a request's session token ([`Rejection::InvalidToken`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenProblem {
    /// The credentials are temporary and the request carries no
    /// `X-Amz-Security-Token`.
    Missing,
    /// The request carries a token but the credentials have none.
    Unexpected,
    /// The request carries more than one token.
    Repeated,
    /// The token is not the one issued with the access key id.
    DoesNotMatch,
}

impl fmt::Display for TokenProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Missing => {
                "is missing: the access key id belongs to temporary credentials, send their X-Amz-Security-Token"
            }
            Self::Unexpected => {
                "was not expected: the access key id belongs to long-term credentials, which have no token"
            }
            Self::Repeated => "is given more than once",
            Self::DoesNotMatch => {
                "does not match the one issued with the access key id (expired, or from other credentials)"
            }
        })
    }
}

/// Why a request failed verification.
///
/// Each variant maps to the error code ([`Rejection::code`]) and HTTP
/// status ([`Rejection::status`]) that AWS services answer (S3's codes where
/// S3 has a more precise one than the common errors). No variant carries a
/// secret key or a session token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Rejection {
    /// The request carries neither an `Authorization` header nor an
    /// `X-Amz-Signature` query parameter.
    #[error("the request is not signed: no Authorization header and no X-Amz-Signature parameter")]
    MissingAuthentication,
    /// The request carries both an `Authorization` header and presigned
    /// query parameters.
    #[error(
        "only one authentication mechanism is allowed: the request has both an Authorization header and X-Amz-* query parameters"
    )]
    ConflictingAuthentication,
    /// The request has more than one `Authorization` header.
    #[error("the request has more than one Authorization header")]
    RepeatedAuthorization,
    /// The `Authorization` header or the presigned query could not be read.
    #[error("{}: {error}", match .kind { AuthKind::Header => "the Authorization header is malformed", AuthKind::Query => "the presigned query is malformed" })]
    Malformed {
        /// Header or query.
        kind: AuthKind,
        /// What is wrong.
        error: AuthParseError,
    },
    /// The credential scope names a region the policy does not accept.
    #[error("the region {region:?} is wrong; expecting one of {expected:?}")]
    WrongRegion {
        /// Header or query.
        kind: AuthKind,
        /// The region in the scope.
        region: String,
        /// The regions the policy accepts.
        expected: Vec<String>,
    },
    /// The credential scope names a service the policy does not accept.
    #[error("the service {service:?} is wrong; expecting one of {expected:?}")]
    WrongService {
        /// Header or query.
        kind: AuthKind,
        /// The service in the scope.
        service: String,
        /// The services the policy accepts.
        expected: Vec<String>,
    },
    /// A header-signed request has no `x-amz-date` header.
    #[error("AWS authentication requires a valid x-amz-date header")]
    MissingDate,
    /// The `x-amz-date` header is not `YYYYMMDDTHHMMSSZ` (or is repeated).
    #[error("the x-amz-date header is not a valid YYYYMMDDTHHMMSSZ time")]
    InvalidDate,
    /// The credential scope's date is not the date of the signing time.
    #[error("invalid credential date {scope_date:?}: it is not the date of {amz_date}")]
    ScopeDateMismatch {
        /// Header or query.
        kind: AuthKind,
        /// The date in the credential scope.
        scope_date: String,
        /// The signing time.
        amz_date: String,
    },
    /// A header the policy requires to be signed is not in the signed list.
    #[error("the header {name:?} must be signed")]
    HeaderNotSigned {
        /// The header's name.
        name: String,
    },
    /// `X-Amz-Expires` is larger than the policy allows (or zero).
    #[error("X-Amz-Expires must be between 1 and {max} seconds; it is {expires}")]
    ExpiresOutOfRange {
        /// The expiry asked for, in seconds.
        expires: u64,
        /// The most the policy allows, in seconds.
        max: u64,
    },
    /// A header-signed request's time is too far from the server's clock.
    #[error(
        "the difference between the request time {request_time} and the server time {server_time} is larger than {max_skew_seconds} seconds"
    )]
    RequestTimeTooSkewed {
        /// The request's `x-amz-date`.
        request_time: String,
        /// The server's time, in the same form.
        server_time: String,
        /// The allowed skew, in seconds.
        max_skew_seconds: u64,
    },
    /// A presigned URL is used before its signing time (beyond the allowed skew).
    #[error("the presigned request is not valid until {valid_from}")]
    NotYetValid {
        /// Its `X-Amz-Date`.
        valid_from: String,
    },
    /// A presigned URL has expired.
    #[error("the presigned request expired at {expired_at} (server time {server_time})")]
    Expired {
        /// When it expired (`X-Amz-Date` plus `X-Amz-Expires`).
        expired_at: String,
        /// The server's time.
        server_time: String,
    },
    /// The access key id is unknown.
    #[error("the access key id {access_key_id:?} does not exist in our records")]
    UnknownAccessKeyId {
        /// The access key id from the credential.
        access_key_id: String,
    },
    /// The credentials lookup failed (a back end is down, for example).
    #[error("the credentials could not be looked up: {reason}")]
    LookupFailed {
        /// The lookup's reason.
        reason: String,
    },
    /// The credentials found for the access key id have expired.
    #[error("the security token included in the request has expired")]
    ExpiredCredentials,
    /// The session token is missing, unexpected, repeated, or not the one
    /// issued with the access key id; [`TokenProblem`] says which.
    #[error("the security token {problem}")]
    InvalidToken {
        /// What is wrong with the token.
        problem: TokenProblem,
    },
    /// `x-amz-content-sha256` is not a hex SHA-256 or one of the known markers.
    #[error(
        "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, a STREAMING-* marker, or a valid SHA-256 value"
    )]
    InvalidContentSha256,
    /// `x-amz-content-sha256` does not match the body.
    #[error(
        "the provided x-amz-content-sha256 header does not match what was computed: {declared} (declared), {computed} (computed)"
    )]
    ContentSha256Mismatch {
        /// The value of the header.
        declared: String,
        /// The payload hash the server has.
        computed: String,
    },
    /// The payload is not known: the request declares no
    /// `x-amz-content-sha256` and the server gave no body nor hash.
    #[error("missing required header for this request: x-amz-content-sha256")]
    MissingContentSha256,
    /// The request declares a payload mode (`UNSIGNED-PAYLOAD`, streaming)
    /// the policy does not accept.
    #[error("the payload mode {declared:?} is not accepted")]
    PayloadModeNotAllowed {
        /// The declared marker.
        declared: String,
    },
    /// `x-amz-*` headers are present that the signature does not cover (and
    /// that the policy does not allow unsigned).
    #[error(
        "there were headers present in the request which were not signed: {}",
        names.join(", ")
    )]
    HeadersNotSigned {
        /// The headers' names, lowercase and sorted.
        names: Vec<String>,
    },
    /// The request names two hosts: an absolute-form target whose authority
    /// differs from its `Host` header, or repeated `Host` headers. A server
    /// uses the target's authority (RFC 9112 §3.2.2) and must refuse a
    /// repeated `Host` (§3.2): either way the signed `Host` is not the host
    /// served.
    #[error("the request names two hosts: {target:?} and {header:?}")]
    ConflictingHost {
        /// The host from the request target (or the first `Host` header).
        target: String,
        /// The other one.
        header: String,
    },
    /// A header listed as signed is not in the request.
    #[error("the signed header {name:?} is not in the request")]
    MissingSignedHeader {
        /// The header's name.
        name: String,
    },
    /// The request cannot be canonicalized: a malformed path, query or
    /// header (see the [`crate::Error`]).
    #[error("the request cannot be canonicalized: {error}")]
    InvalidRequest {
        /// What is wrong.
        error: crate::Error,
    },
    /// The `aws-chunked` body of a streaming upload, or the headers that
    /// declare it, failed verification.
    #[cfg(feature = "chunked")]
    #[error(transparent)]
    Chunked(#[from] crate::chunked::ChunkedRejection),
    /// The signature does not match the one computed from the request and
    /// the secret key.
    #[error(
        "the request signature we calculated does not match the signature you provided; check your key and signing method"
    )]
    SignatureDoesNotMatch {
        /// What the verifier computed, for the client to compare with its own.
        computed: Box<Mismatch>,
    },
}

impl Rejection {
    /// The AWS error code a service answers with, such as
    /// `SignatureDoesNotMatch`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::MissingAuthentication
            | Self::MissingDate
            | Self::InvalidDate
            | Self::HeaderNotSigned { .. }
            | Self::HeadersNotSigned { .. }
            | Self::NotYetValid { .. }
            | Self::PayloadModeNotAllowed { .. } => "AccessDenied",
            Self::ConflictingAuthentication | Self::InvalidContentSha256 => "InvalidArgument",
            Self::RepeatedAuthorization => "AuthorizationHeaderMalformed",
            Self::Malformed {
                kind: AuthKind::Header,
                error: AuthParseError::Missing { .. },
            } => "IncompleteSignature",
            Self::Malformed { kind, .. }
            | Self::WrongRegion { kind, .. }
            | Self::WrongService { kind, .. }
            | Self::ScopeDateMismatch { kind, .. } => match kind {
                AuthKind::Header => "AuthorizationHeaderMalformed",
                AuthKind::Query => "AuthorizationQueryParametersError",
            },
            Self::ExpiresOutOfRange { .. } => "AuthorizationQueryParametersError",
            Self::RequestTimeTooSkewed { .. } => "RequestTimeTooSkewed",
            Self::Expired { .. } => "RequestExpired",
            Self::UnknownAccessKeyId { .. } => "InvalidAccessKeyId",
            Self::LookupFailed { .. } => "InternalError",
            Self::ExpiredCredentials => "ExpiredToken",
            Self::InvalidToken { .. } => "InvalidToken",
            Self::ContentSha256Mismatch { .. } => "XAmzContentSHA256Mismatch",
            Self::MissingContentSha256
            | Self::InvalidRequest { .. }
            | Self::ConflictingHost { .. } => "InvalidRequest",
            Self::MissingSignedHeader { .. } | Self::SignatureDoesNotMatch { .. } => {
                "SignatureDoesNotMatch"
            }
            #[cfg(feature = "chunked")]
            Self::Chunked(r) => r.code(),
        }
    }

    /// The HTTP status a service answers with.
    pub fn status(&self) -> http::StatusCode {
        #[cfg(feature = "chunked")]
        if let Self::Chunked(r) = self {
            return r.status();
        }
        match self.code() {
            "AccessDenied"
            | "RequestTimeTooSkewed"
            | "InvalidAccessKeyId"
            | "SignatureDoesNotMatch" => http::StatusCode::FORBIDDEN,
            "InternalError" => http::StatusCode::INTERNAL_SERVER_ERROR,
            _ => http::StatusCode::BAD_REQUEST,
        }
    }

    /// For a signature mismatch, the canonical request and string to sign
    /// the verifier computed.
    pub fn mismatch(&self) -> Option<&Mismatch> {
        match self {
            Self::SignatureDoesNotMatch { computed } => Some(computed),
            _ => None,
        }
    }
}
