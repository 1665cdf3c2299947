//! A request shape prepared once and signed many times: the canonical
//! request is rendered once, with the SHA-256 state of its unchanging
//! beginning kept, so each signing hashes only the rest.

use std::fmt;
use std::ops::Range;
use std::time::SystemTime;

use crate::auth_buf::AuthorizationBuf;
use crate::canonical_request::headers::write_signed;
use crate::error::Error;
use crate::payload::PayloadHash;
use crate::request::SignableRequest;
use crate::scope::AmzDate;
use crate::sha256::Sha256;
use crate::sign::Signer;
use crate::signature::Signature;
use crate::sink::Sink;
use crate::string_to_sign::{ALGORITHM, StringToSign};

/// Stands for the signing time while the canonical request is rendered.
/// NUL never appears in canonical text (header values holding it are
/// refused; the path and query are percent-encoded).
const DATE_MARK: &[u8] = b"\0d\0";
/// Stands for the payload hash (on the payload line, and in
/// `x-amz-content-sha256` when it is signed).
const PAYLOAD_MARK: &str = "\0p\0";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Part {
    Text(usize, usize),
    Date,
    Payload,
}

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
    /// SHA-256 of the canonical request up to the first changing part.
    prefix: Sha256,
    /// The rest of the canonical request: its unchanging text, and where
    /// the changing parts go.
    text: Vec<u8>,
    parts: Vec<Part>,
    signed_headers: Vec<u8>,
}

impl Signer {
    /// Prepares a request to be signed many times at different times and
    /// with different payloads; see [`PreparedRequest`].
    pub fn prepare(&self, request: &SignableRequest<'_>) -> Result<PreparedRequest<'_>, Error> {
        let (rendered, signed_headers) = self.with_header_plan(
            self.credentials(),
            request,
            DATE_MARK,
            PAYLOAD_MARK,
            |plan| {
                let mut rendered = Vec::new();
                plan.write(&mut rendered, self.settings());
                let mut signed_headers = Vec::new();
                write_signed(&mut signed_headers, plan.fields());
                (rendered, signed_headers)
            },
        )?;
        let (prefix_end, text, parts) = split_marks(&rendered);
        let mut prefix = Sha256::new();
        prefix.put(rendered.get(..prefix_end).unwrap_or(&[]));
        Ok(PreparedRequest {
            signer: self,
            prefix,
            text,
            parts,
            signed_headers,
        })
    }
}

/// Splits rendered text at the marks: the length of the text before the
/// first mark, and the rest as unchanging text and parts.
fn split_marks(rendered: &[u8]) -> (usize, Vec<u8>, Vec<Part>) {
    let mut parts = Vec::new();
    let mut text = Vec::new();
    let mut prefix_end = None;
    let mut start = 0;
    let mut i = 0;
    let literal = |range: Range<usize>, text: &mut Vec<u8>, parts: &mut Vec<Part>| {
        if let Some(bytes) = rendered.get(range).filter(|b| !b.is_empty()) {
            let from = text.len();
            text.extend_from_slice(bytes);
            parts.push(Part::Text(from, text.len()));
        }
    };
    while i < rendered.len() {
        let rest = rendered.get(i..).unwrap_or(&[]);
        let part = if rest.starts_with(DATE_MARK) {
            Part::Date
        } else if rest.starts_with(PAYLOAD_MARK.as_bytes()) {
            Part::Payload
        } else {
            i += 1;
            continue;
        };
        if prefix_end.is_none() {
            prefix_end = Some(i);
        } else {
            literal(start..i, &mut text, &mut parts);
        }
        parts.push(part);
        i += DATE_MARK.len();
        start = i;
    }
    let prefix_end = match prefix_end {
        Some(end) => {
            literal(start..rendered.len(), &mut text, &mut parts);
            end
        }
        None => rendered.len(),
    };
    (prefix_end, text, parts)
}

impl PreparedRequest<'_> {
    /// Signs the prepared request at `now` for `payload`, writing the header
    /// values into `out` as [`Signer::sign_into`] does. Allocates nothing
    /// once `out` has grown to fit.
    pub fn sign_into(
        &self,
        payload: &PayloadHash,
        now: SystemTime,
        out: &mut AuthorizationBuf,
    ) -> Result<Signature, Error> {
        out.reset();
        let signer = self.signer;
        let date = AmzDate::from_system_time(now)?;
        let mut hash = self.prefix.clone();
        for part in &self.parts {
            match *part {
                Part::Text(from, to) => hash.put(self.text.get(from..to).unwrap_or(&[])),
                Part::Date => hash.put(date.as_bytes()),
                Part::Payload => hash.put(payload.as_str().as_bytes()),
            }
        }
        let digest = hash.finish();
        let scope = signer.scope(&date);
        let signature = signer
            .signing_key(&date)
            .sign(&StringToSign::from_digest(scope, &digest));

        let credentials = signer.credentials();
        let auth = &mut out.authorization;
        auth.reserve_exact(
            ALGORITHM.len()
                + 12
                + credentials.access_key_id().len()
                + 1
                + 8
                + 1
                + signer.region().as_str().len()
                + 1
                + signer.service().as_str().len()
                + 13
                + 16
                + self.signed_headers.len()
                + 12
                + 64,
        );
        auth.put(ALGORITHM.as_bytes());
        auth.put(b" Credential=");
        auth.put(credentials.access_key_id().as_bytes());
        auth.put(b"/");
        scope.write_to(auth);
        auth.put(b", SignedHeaders=");
        auth.put(&self.signed_headers);
        auth.put(b", Signature=");
        auth.put(signature.as_str().as_bytes());
        out.finish(signer, payload, date, signature);
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
                &String::from_utf8_lossy(&self.signed_headers),
            )
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_at_the_marks() {
        let rendered = b"GET\n/\n\nhost:h\nx-amz-date:\0d\0\n\nhost;x-amz-date\n\0p\0";
        let (end, text, parts) = split_marks(rendered);
        assert_eq!(&rendered[..end], b"GET\n/\n\nhost:h\nx-amz-date:");
        assert_eq!(text, b"\n\nhost;x-amz-date\n");
        assert_eq!(
            parts,
            [Part::Date, Part::Text(0, text.len()), Part::Payload]
        );
        let (end, text, parts) = split_marks(b"no marks");
        assert_eq!((end, text.len(), parts.len()), (8, 0, 0));
    }
}
