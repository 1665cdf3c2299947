//! Query signing: presigned URLs.
//!
//! See <https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html>.

use std::fmt;
use std::time::{Duration, SystemTime};

use crate::canonical_request::encode::{COMPONENT, encode};
use crate::canonical_request::headers::Additions;
use crate::canonical_request::query::Param;
use crate::canonical_request::{CanonicalRequest, Plan};
use crate::credentials::Credentials;
use crate::error::Error;
use crate::payload::PayloadHash;
use crate::request::SignableRequest;
use crate::scope::AmzDate;
use crate::settings::{CredentialExpiryCheck, SessionTokenMode};
use crate::sign::Signer;
use crate::signature::Signature;
use crate::string_to_sign::{ALGORITHM, StringToSign};

/// The longest expiry AWS accepts for a presigned URL: 7 days.
pub const MAX_PRESIGN_EXPIRY: Duration = Duration::from_secs(604_800);

/// The query parameters that query signing adds; a request that already
/// carries one of them is refused.
pub const AUTH_PARAMS: &[&str] = &[
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Security-Token",
    "X-Amz-Signature",
];

/// What query signing adds to a URL: the `X-Amz-*` parameters, encoded, in
/// the order AWS SDKs write them.
#[derive(Clone)]
pub struct PresignOutput {
    params: Vec<(&'static str, String)>,
    signature: Signature,
    amz_date: AmzDate,
    expires: Duration,
}

impl PresignOutput {
    /// The signature.
    pub fn signature(&self) -> &Signature {
        &self.signature
    }

    /// The signing time.
    pub fn amz_date(&self) -> &AmzDate {
        &self.amz_date
    }

    /// When the URL stops working.
    pub fn expires_at(&self) -> SystemTime {
        self.amz_date.to_system_time() + self.expires
    }

    /// The parameters to append, `(name, percent-encoded value)`.
    /// `X-Amz-Security-Token` is a secret: do not log it.
    pub fn params(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.params.iter().map(|(k, v)| (*k, v.as_str()))
    }

    /// `query` (the URL's query string, without '?') with the parameters
    /// appended.
    pub fn append_to_query(&self, query: &str) -> String {
        let mut out = String::with_capacity(
            query.len()
                + 64
                + self
                    .params
                    .iter()
                    .map(|(k, v)| k.len() + v.len() + 2)
                    .sum::<usize>(),
        );
        out.push_str(query);
        for (k, v) in &self.params {
            if !out.is_empty() {
                out.push('&');
            }
            out.push_str(k);
            out.push('=');
            out.push_str(v);
        }
        out
    }

    /// The URI with the parameters appended to its query.
    pub fn apply_to_uri(&self, uri: &http::Uri) -> Result<http::Uri, Error> {
        let query = self.append_to_query(uri.query().unwrap_or(""));
        let mut text = String::with_capacity(query.len() + 128);
        if let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) {
            text.push_str(scheme);
            text.push_str("://");
            text.push_str(authority.as_str());
        }
        text.push_str(uri.path());
        text.push('?');
        text.push_str(&query);
        http::Uri::try_from(text).map_err(|_| Error::InvalidUri {
            reason: "the presigned URI could not be built",
        })
    }
}

impl fmt::Debug for PresignOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown: Vec<(&str, &str)> = self
            .params
            .iter()
            .map(|(k, v)| {
                if *k == "X-Amz-Security-Token" {
                    (*k, "** redacted **")
                } else {
                    (*k, v.as_str())
                }
            })
            .collect();
        f.debug_struct("PresignOutput")
            .field("params", &shown)
            .finish()
    }
}

/// Checks an expiry: 1 to 604800 whole seconds.
pub(crate) fn check_expires(expires: Duration) -> Result<u64, Error> {
    let secs = expires.as_secs();
    if secs == 0 || expires > MAX_PRESIGN_EXPIRY || expires.subsec_nanos() != 0 {
        return Err(Error::ExpiresOutOfRange { seconds: secs });
    }
    Ok(secs)
}

fn encoded(text: &str) -> String {
    let mut v = Vec::with_capacity(text.len() + 16);
    encode(&mut v, text.as_bytes(), COMPONENT);
    String::from_utf8(v).unwrap_or_default()
}

struct Prepared {
    credential: String,
    expires: String,
    signed_headers: String,
    date: AmzDate,
}

impl Signer {
    /// Presigns an `http::Request` in place: appends the `X-Amz-*`
    /// parameters to its URI. `expires` must be 1..=604800 whole seconds.
    pub fn presign<B>(
        &self,
        request: &mut http::Request<B>,
        expires: Duration,
        payload: &PayloadHash,
        now: SystemTime,
    ) -> Result<Signature, Error> {
        let output = self.presign_output(
            &SignableRequest::from_request(request)?,
            expires,
            payload,
            now,
        )?;
        let uri = output.apply_to_uri(request.uri())?;
        *request.uri_mut() = uri;
        Ok(output.signature)
    }

    /// Presigns `http::request::Parts` in place, as [`Signer::presign`].
    pub fn presign_parts(
        &self,
        parts: &mut http::request::Parts,
        expires: Duration,
        payload: &PayloadHash,
        now: SystemTime,
    ) -> Result<Signature, Error> {
        let output =
            self.presign_output(&SignableRequest::from_parts(parts)?, expires, payload, now)?;
        parts.uri = output.apply_to_uri(&parts.uri)?;
        Ok(output.signature)
    }

    /// Computes the query parameters to add without touching the request.
    pub fn presign_output(
        &self,
        request: &SignableRequest<'_>,
        expires: Duration,
        payload: &PayloadHash,
        now: SystemTime,
    ) -> Result<PresignOutput, Error> {
        self.presign_output_with(self.credentials(), request, expires, payload, now)
    }

    /// As [`Signer::presign_output`], with other credentials than the signer's own.
    pub fn presign_output_with(
        &self,
        credentials: &Credentials,
        request: &SignableRequest<'_>,
        expires: Duration,
        payload: &PayloadHash,
        now: SystemTime,
    ) -> Result<PresignOutput, Error> {
        let (plan_out, prepared) = self.presign_plan(
            credentials,
            request,
            expires,
            payload,
            now,
            |plan, settings| plan.hash(settings),
        )?;
        let date = prepared.date;
        let string_to_sign = StringToSign::from_digest(self.scope(&date), &plan_out);
        let signature = self
            .signing_key_for(credentials, &date)
            .sign(&string_to_sign);
        let mut params = Vec::with_capacity(7);
        params.push(("X-Amz-Algorithm", ALGORITHM.to_owned()));
        params.push(("X-Amz-Credential", encoded(&prepared.credential)));
        params.push(("X-Amz-Date", date.as_str().to_owned()));
        params.push(("X-Amz-SignedHeaders", encoded(&prepared.signed_headers)));
        params.push(("X-Amz-Expires", prepared.expires));
        if let Some(token) = credentials.session_token() {
            params.push(("X-Amz-Security-Token", encoded(token)));
        }
        params.push(("X-Amz-Signature", signature.as_str().to_owned()));
        Ok(PresignOutput {
            params,
            signature,
            amz_date: date,
            expires,
        })
    }

    /// The canonical request that [`Signer::presign`] would sign.
    pub fn presign_canonical_request(
        &self,
        request: &SignableRequest<'_>,
        expires: Duration,
        payload: &PayloadHash,
        now: SystemTime,
    ) -> Result<CanonicalRequest, Error> {
        let (creq, _) = self.presign_plan(
            self.credentials(),
            request,
            expires,
            payload,
            now,
            CanonicalRequest::from_plan,
        )?;
        Ok(creq)
    }

    fn presign_plan<T>(
        &self,
        credentials: &Credentials,
        request: &SignableRequest<'_>,
        expires: Duration,
        payload: &PayloadHash,
        now: SystemTime,
        finish: impl FnOnce(&Plan<'_>, &crate::Settings) -> T,
    ) -> Result<(T, Prepared), Error> {
        let secs = check_expires(expires)?;
        let date = AmzDate::from_system_time(now)?;
        if self.settings().credential_expiry == CredentialExpiryCheck::Refuse {
            if let Some(limit) = credentials.expiry() {
                let url_expires = date.to_system_time() + expires;
                if url_expires > limit {
                    let unix = |t: SystemTime| {
                        t.duration_since(std::time::UNIX_EPOCH)
                            .map_or(0, |d| d.as_secs())
                    };
                    return Err(Error::PresignOutlivesCredentials {
                        url_expires: unix(url_expires),
                        credentials_expire: unix(limit),
                    });
                }
            }
        }
        let additions = Additions {
            fields: &[],
            host: request.host(),
            only: None,
        };
        let fields = Plan::fields(request, self.settings(), &additions)?;
        let mut signed_headers = Vec::new();
        crate::canonical_request::headers::write_signed(&mut signed_headers, &fields);
        let signed_headers = String::from_utf8(signed_headers).unwrap_or_default();
        let credential = format!("{}/{}", credentials.access_key_id(), self.scope(&date));
        let expires_text = secs.to_string();
        let mut extra = vec![
            Param {
                key: "X-Amz-Algorithm",
                value: ALGORITHM,
                wire: false,
            },
            Param {
                key: "X-Amz-Credential",
                value: &credential,
                wire: false,
            },
            Param {
                key: "X-Amz-Date",
                value: date.as_str(),
                wire: false,
            },
            Param {
                key: "X-Amz-Expires",
                value: &expires_text,
                wire: false,
            },
            Param {
                key: "X-Amz-SignedHeaders",
                value: &signed_headers,
                wire: false,
            },
        ];
        if let (Some(token), SessionTokenMode::Signed) =
            (credentials.session_token(), self.settings().session_token)
        {
            extra.push(Param {
                key: "X-Amz-Security-Token",
                value: token,
                wire: false,
            });
        }
        let plan = Plan::new(request, fields, &extra, payload)?;
        if let Some(clash) = plan
            .params()
            .iter()
            .find(|p| p.wire && AUTH_PARAMS.iter().any(|a| a.eq_ignore_ascii_case(p.key)))
        {
            return Err(Error::InvalidQuery {
                reason: format!("it already contains {}, which presigning adds", clash.key),
            });
        }
        let out = finish(&plan, self.settings());
        drop(plan);
        drop(extra);
        Ok((
            out,
            Prepared {
                credential,
                expires: expires_text,
                signed_headers,
                date,
            },
        ))
    }
}
