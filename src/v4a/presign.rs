//! SigV4a query signing: presigned URLs whose signature is valid in a
//! region set.
//!
//! The parameters are those of SigV4, with the SigV4a algorithm, a
//! credential without a region, and `X-Amz-Region-Set` (signed, like the
//! others). See <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html>.

use std::fmt;
use std::time::{Duration, SystemTime};

use super::ALGORITHM;
use super::sign::{Signer, check_payload};
use super::signature::MAX_DER_BYTES;
use super::signature::Signature;
use super::string_to_sign::StringToSign;
use crate::canonical_request::headers::{Additions, WireChange};
use crate::canonical_request::query;
use crate::canonical_request::{CanonicalRequest, Plan};
use crate::credentials::Credentials;
use crate::error::Error;
use crate::payload::PayloadHash;
use crate::percent::{COMPONENT, encode};
use crate::presign::{
    Encoding, Layout, ParamText, check_param_count, check_presign, check_presignable, write_decimal,
};
use crate::request::SignableRequest;
use crate::scope::AmzDate;
use crate::settings::SessionTokenMode;
use crate::sink::Sink;

/// The query parameters that SigV4a query signing adds, in this fixed
/// order (the order of the AWS signing test suite's signed requests); a
/// request that already carries one of them is refused.
pub const AUTH_PARAMS: [&str; 8] = [
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-SignedHeaders",
    "X-Amz-Expires",
    "X-Amz-Security-Token",
    "X-Amz-Region-Set",
    "X-Amz-Signature",
];

/// What SigV4a query signing adds to a URL: the `X-Amz-*` parameters,
/// encoded.
#[derive(Clone)]
pub struct PresignOutput {
    params: ParamText<8>,
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
        self.params.params()
    }

    /// `query` (the URL's query string, without '?') with the parameters
    /// appended.
    pub fn append_to_query(&self, query: &str) -> String {
        self.params.append_to_query(query)
    }

    /// The URI with the parameters appended to its query.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidUri`] when the URI cannot be rebuilt.
    pub fn apply_to_uri(&self, uri: &http::Uri) -> Result<http::Uri, Error> {
        self.params.apply_to_uri(uri)
    }
}

impl fmt::Debug for PresignOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.params.fmt_redacted("PresignOutput", f)
    }
}

impl Signer {
    /// Presigns an `http::Request` in place: appends the `X-Amz-*`
    /// parameters to its URI. `expires` must be 1..=604800 whole seconds.
    ///
    /// The URI is first put in the form every HTTP client sends unchanged,
    /// as [`crate::Signer::sign`] describes.
    ///
    /// # Errors
    ///
    /// As [`Signer::presign_output`], and [`Error::InvalidUri`] when the URI
    /// cannot be rebuilt.
    pub fn presign<B>(
        &self,
        request: &mut http::Request<B>,
        expires: Duration,
        payload: &PayloadHash,
        now: SystemTime,
    ) -> Result<Signature, Error> {
        let rewritten = crate::wire::rewrite(request.uri(), self.settings())?;
        let uri = rewritten.as_ref().unwrap_or(request.uri());
        let view = SignableRequest::from_http(request.method(), uri, request.headers())?;
        let output = self.presign_output(&view, expires, payload, now)?;
        *request.uri_mut() = output.apply_to_uri(uri)?;
        Ok(output.signature)
    }

    /// Presigns `http::request::Parts` in place, as [`Signer::presign`].
    ///
    /// # Errors
    ///
    /// As [`Signer::presign`].
    pub fn presign_parts(
        &self,
        parts: &mut http::request::Parts,
        expires: Duration,
        payload: &PayloadHash,
        now: SystemTime,
    ) -> Result<Signature, Error> {
        let rewritten = crate::wire::rewrite(&parts.uri, self.settings())?;
        let uri = rewritten.as_ref().unwrap_or(&parts.uri);
        let view = SignableRequest::from_http(&parts.method, uri, &parts.headers)?;
        let output = self.presign_output(&view, expires, payload, now)?;
        parts.uri = output.apply_to_uri(uri)?;
        Ok(output.signature)
    }

    /// Computes the query parameters to add without touching the request.
    ///
    /// # Errors
    ///
    /// [`Error::ExpiresOutOfRange`], [`Error::PresignOutlivesCredentials`]
    /// (when the settings ask for that check), [`Error::InvalidQuery`] when
    /// the query already holds one of [`AUTH_PARAMS`],
    /// [`Error::PayloadNotDeclared`] when the payload hash is not what the
    /// server computes for a presigned request (S3 reads `UNSIGNED-PAYLOAD`,
    /// other services hash the body, unless the request carries
    /// `x-amz-content-sha256`), and as [`Signer::signing_output`].
    pub fn presign_output(
        &self,
        request: &SignableRequest<'_>,
        expires: Duration,
        payload: &PayloadHash,
        now: SystemTime,
    ) -> Result<PresignOutput, Error> {
        self.presign_output_with(self.credentials(), request, expires, payload, now)
    }

    /// As [`Signer::presign_output`], with other credentials than the
    /// signer's own.
    ///
    /// # Errors
    ///
    /// As [`Signer::presign_output`].
    pub fn presign_output_with(
        &self,
        credentials: &Credentials,
        request: &SignableRequest<'_>,
        expires: Duration,
        payload: &PayloadHash,
        now: SystemTime,
    ) -> Result<PresignOutput, Error> {
        check_payload(payload)?;
        let (secs, date) = check_presign(self.settings(), credentials, expires, now)?;
        let key = self.key_for(credentials)?;
        let (digest, mut text, mut layout) =
            self.presign_plan(credentials, request, secs, &date, payload, |plan| {
                // Presigning, not the canonical-request stage, refuses a
                // payload hash the server would not compute.
                crate::sign::check_payload_mode(
                    self.settings(),
                    self.service().as_str(),
                    request,
                    payload,
                    true,
                )
                .map(|()| plan.hash(self.settings()))
            })?;
        let digest = digest?;
        let signature = key.sign(&StringToSign::from_digest(self.scope(&date), &digest));
        text.put(b"X-Amz-Signature=");
        let start = text.len();
        text.put(signature.as_bytes());
        layout.record("X-Amz-Signature", start, text.len());
        Ok(PresignOutput {
            params: ParamText::new(text, layout),
            signature,
            amz_date: date,
            expires,
        })
    }

    /// The canonical request that [`Signer::presign`] would sign.
    ///
    /// # Errors
    ///
    /// As [`Signer::presign_output`], but for the key derivation.
    pub fn presign_canonical_request(
        &self,
        request: &SignableRequest<'_>,
        expires: Duration,
        payload: &PayloadHash,
        now: SystemTime,
    ) -> Result<CanonicalRequest, Error> {
        check_payload(payload)?;
        let credentials = self.credentials();
        let (secs, date) = check_presign(self.settings(), credentials, expires, now)?;
        let (creq, _, _) =
            self.presign_plan(credentials, request, secs, &date, payload, |plan| {
                CanonicalRequest::from_plan(plan, self.settings())
            })?;
        Ok(creq)
    }

    /// Gathers what presigning signs (the request's fields and query, and
    /// the parameters presigning adds) and hands the plan to `finish`.
    /// Returns what `finish` made, and the parameters' text (each followed
    /// by '&') and layout.
    fn presign_plan<T>(
        &self,
        credentials: &Credentials,
        request: &SignableRequest<'_>,
        secs: u64,
        date: &AmzDate,
        payload: &PayloadHash,
        finish: impl FnOnce(&Plan<'_>) -> T,
    ) -> Result<(T, Vec<u8>, Layout<8>), Error> {
        let additions = Additions {
            fields: &[],
            host: request.host(),
            only: None,
            wire: Some(WireChange {
                dropped: &[],
                extra: 0,
            }),
        };
        crate::sign::check_path_to_sign(request, self.settings())?;
        check_presignable(request, &AUTH_PARAMS)?;
        crate::presign::check_declared_payload(request, payload)?;
        crate::sign::check_streaming(request, payload)?;
        let mut plan = Plan::start(request, payload);
        plan.collect_fields(request, self.settings(), &additions)?;

        let token = credentials.session_token();
        let token_len = token.map_or(0, str::len);
        let room = 512
            + 3 * (credentials.access_key_id().len()
                + token_len
                + self.region_set().as_str().len()
                + signed_len(&plan));
        let mut text = Vec::with_capacity(room);
        let mut layout = Layout::new();
        let mut param = |text: &mut Vec<u8>, name: &'static str, value: &dyn Fn(&mut Vec<u8>)| {
            text.put(name.as_bytes());
            text.put(b"=");
            let start = text.len();
            value(text);
            layout.record(name, start, text.len());
            text.put(b"&");
        };
        param(&mut text, "X-Amz-Algorithm", &|s| {
            s.put(ALGORITHM.as_bytes())
        });
        param(&mut text, "X-Amz-Credential", &|s| {
            encode(s, credentials.access_key_id().as_bytes(), COMPONENT);
            s.put(b"%2F");
            s.put(date.date().as_bytes());
            s.put(b"%2F");
            encode(s, self.service().as_str().as_bytes(), COMPONENT);
            s.put(b"%2Faws4_request");
        });
        param(&mut text, "X-Amz-Date", &|s| s.put(date.as_bytes()));
        param(&mut text, "X-Amz-SignedHeaders", &|s| {
            plan.write_signed_headers(&mut Encoding(s));
        });
        param(&mut text, "X-Amz-Expires", &|s| write_decimal(s, secs));
        if let Some(token) = token {
            param(&mut text, "X-Amz-Security-Token", &|s| {
                encode(s, token.as_bytes(), COMPONENT);
            });
        }
        param(&mut text, "X-Amz-Region-Set", &|s| {
            encode(s, self.region_set().as_str().as_bytes(), COMPONENT);
        });

        let token_signed = self.settings().session_token == SessionTokenMode::Signed;
        let extra = layout.signed_params(&text, token_signed);
        plan.collect_params(request, extra.as_slice())?;
        check_param_count(plan.param_count(), extra.len(), layout.count)?;
        let query = request.query().len();
        query::check_len(
            query
                + usize::from(query > 0)
                + text.len()
                + b"X-Amz-Signature=".len()
                + 2 * MAX_DER_BYTES,
        )?;
        let out = finish(&plan);
        drop(plan);
        drop(extra);
        Ok((out, text, layout))
    }
}

/// Where each parameter's value starts and ends in the text.
/// The length of the signed-headers list.
fn signed_len(plan: &Plan<'_>) -> usize {
    let mut count = crate::sink::CountSink::default();
    plan.write_signed_headers(&mut count);
    count.0
}
