//! A request shape prepared once and signed many times: the canonical
//! request is rendered once, with the SHA-256 state of its unchanging
//! beginning kept, so each signing hashes only the rest.

use std::fmt;
use std::time::SystemTime;

use crate::error::Error;
use crate::fast_path::auth_buf::AuthorizationBuf;
use crate::fast_path::template::{Template, TokenText, signed_token};
use crate::payload::PayloadHash;
use crate::request::SignableRequest;
use crate::scope::AmzDate;
use crate::sign::{SignedList, Signer};
use crate::signature::Signature;
use crate::string_to_sign::StringToSign;

/// A request whose method, URI and headers stay the same from one signing
/// to the next, only the time and the payload changing: a remote-write
/// endpoint, a queue, a health check.
///
/// [`Signer::prepare`] checks and canonicalizes the request once and keeps
/// the SHA-256 state of the canonical request up to the first part that
/// changes; [`PreparedRequest::sign_into`] then hashes only the rest. The
/// result is byte for byte what [`Signer::sign_into`] gives for the same
/// request. It borrows the signer, so the credentials and settings cannot
/// change under it.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use awsig::{AuthorizationBuf, Credentials, PayloadHash, SignableRequest, Signer};
///
/// let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")?;
/// let signer = Signer::new(creds, "us-west-2", "aps")?;
/// let headers: &[(&str, &[u8])] = &[("Content-Type", b"application/x-protobuf")];
/// let request = SignableRequest::new(
///     "POST",
///     "https://aps-workspaces.us-west-2.amazonaws.com/workspaces/ws-1/api/v1/remote_write",
///     headers,
/// )?;
/// let prepared = signer.prepare(&request)?;
/// let mut buf = AuthorizationBuf::new();
/// for second in 0..3 {
///     let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000 + second);
///     let payload = PayloadHash::of(b"...batch...");
///     let signature = prepared.sign_into(&payload, now, &mut buf)?;
///     assert_eq!(signature, signer.sign_into(&request, &payload, now, &mut buf)?);
/// }
/// # Ok::<(), awsig::Error>(())
/// ```
pub struct PreparedRequest<'s> {
    signer: &'s Signer,
    template: Template,
}

impl Signer {
    /// Prepares a request to be signed many times at different times and
    /// with different payloads; see [`PreparedRequest`].
    ///
    /// # Errors
    ///
    /// [`Error::InvalidMethod`](crate::Error::InvalidMethod), [`Error::MissingHost`](crate::Error::MissingHost), [`Error::InvalidHost`](crate::Error::InvalidHost), [`Error::InvalidUri`](crate::Error::InvalidUri), [`Error::InvalidPath`](crate::Error::InvalidPath), [`Error::InvalidQuery`](crate::Error::InvalidQuery), [`Error::InvalidHeaderName`](crate::Error::InvalidHeaderName), [`Error::InvalidHeaderValue`](crate::Error::InvalidHeaderValue), [`Error::TooManyHeaders`](crate::Error::TooManyHeaders) or [`Error::HeaderTooLarge`](crate::Error::HeaderTooLarge) when the request cannot be signed as it stands (each variant names the part and the reason).
    pub fn prepare(&self, request: &SignableRequest<'_>) -> Result<PreparedRequest<'_>, Error> {
        let mut template = Template::empty();
        let mut scratch = Vec::new();
        if !self.render_template(&mut template, self.credentials(), request, &mut scratch)? {
            // The marks hold NUL, which checked requests never carry: only
            // a NUL byte that slipped through could get here.
            return Err(Error::InvalidHeaderValue {
                name: "(request)".to_owned(),
                reason: "it contains NUL",
            });
        }
        Ok(PreparedRequest {
            signer: self,
            template,
        })
    }
}

impl PreparedRequest<'_> {
    /// Signs the prepared request at `now` for `payload`, writing the header
    /// values into `out` as [`Signer::sign_into`] does. Allocates nothing
    /// once `out` has grown to fit.
    ///
    /// # Errors
    ///
    /// - [`Error::TimeOutOfRange`](crate::Error::TimeOutOfRange) when `now` is before 1970 or after the year 9999;
    /// - [`Error::InvalidPayloadHash`](crate::Error::InvalidPayloadHash) never for a [`PayloadHash`](crate::PayloadHash), which is valid by construction;
    /// - [`Error::PayloadNotDeclared`](crate::Error::PayloadNotDeclared) for `UNSIGNED-PAYLOAD` when the prepared request does not sign `x-amz-content-sha256` (see [`Signer::sign_into`]).
    pub fn sign_into(
        &self,
        payload: &PayloadHash,
        now: SystemTime,
        out: &mut AuthorizationBuf,
    ) -> Result<Signature, Error> {
        out.reset();
        let signer = self.signer;
        if *payload == PayloadHash::Unsigned && !self.template.signs_payload_header() {
            return Err(Error::PayloadNotDeclared {
                payload: payload.as_str().to_owned(),
                reason: "this service hashes the body unless the request carries x-amz-content-sha256: prepare a request with that header set to UNSIGNED-PAYLOAD, or sign the body's SHA-256",
            });
        }
        let credentials = signer.credentials();
        let date = AmzDate::from_system_time(now)?;
        let token = signed_token(signer.settings(), credentials).unwrap_or_default();
        let digest = self
            .template
            .digest(&date, payload, TokenText::Raw(token.as_bytes()));
        let scope = signer.scope(&date);
        let auth = &mut out.authorization;
        signer.write_authorization_head(
            credentials,
            &scope,
            SignedList::Bytes(self.template.signed_headers()),
            auth,
        )?;
        let signature = signer.sign_string(
            credentials,
            &date,
            &StringToSign::from_digest(scope, &digest),
        );
        auth.extend_from_slice(signature.as_bytes());
        let payload_header = self.template.signs_payload_header().then_some(payload);
        out.finish(signer, payload_header, date, signature);
        Ok(signature)
    }
}

impl fmt::Debug for PreparedRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The text holds header values, which may be secrets: show only
        // what is signed.
        f.debug_struct("PreparedRequest")
            .field(
                "signed_headers",
                &String::from_utf8_lossy(self.template.signed_headers()),
            )
            .finish_non_exhaustive()
    }
}
