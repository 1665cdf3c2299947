//! AWS credentials: access key id, secret access key, optional session token and expiry.

use std::fmt;
use std::time::SystemTime;

use http::HeaderValue;
use sha2::{Digest, Sha256};
use zeroize::{ZeroizeOnDrop, Zeroizing};

use crate::error::{Error, Redacted};

/// A set of AWS credentials.
///
/// The secret access key and the session token are held in memory that is
/// zeroized when the last clone is dropped, and `Debug` prints neither.
///
/// Construction validates every part, so a `Credentials` value can always be
/// used to sign: the access key id and the secret are non-empty and hold no
/// whitespace or control characters; the session token, if any, is a valid
/// header value.
///
/// ```
/// use awsig::Credentials;
/// let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")?;
/// assert_eq!(creds.access_key_id(), "AKIDEXAMPLE");
/// assert!(!format!("{creds:?}").contains("EXAMPLEKEY"));
/// # Ok::<(), awsig::Error>(())
/// ```
#[derive(Clone)]
pub struct Credentials {
    access_key_id: String,
    secret_access_key: Zeroizing<String>,
    session_token: Option<SessionToken>,
    expiry: Option<SystemTime>,
    account_id: Option<String>,
    fingerprint: u64,
}

/// A session token: visible ASCII only, so always a valid header value.
///
/// Its header value is made once, so that signing puts the token in a
/// request without copying it. That copy (an `http::HeaderValue`, shared
/// and never wiped, like the one each signed request carries) is the one
/// form of the token that is not zeroized; a session token cannot sign
/// anything without the secret access key.
#[derive(Clone)]
struct SessionToken {
    text: Zeroizing<String>,
    header: HeaderValue,
}

impl Credentials {
    /// Long-term credentials: an access key id and a secret access key.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidAccessKeyId`](crate::Error::InvalidAccessKeyId) or [`Error::InvalidSecretAccessKey`](crate::Error::InvalidSecretAccessKey) when a key is empty, too long, or holds whitespace or control characters.
    pub fn new(access_key_id: &str, secret_access_key: &str) -> Result<Self, Error> {
        Self::build(access_key_id, secret_access_key, None, None)
    }

    /// Temporary credentials: adds a session token and, if known, when they expire.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidAccessKeyId`](crate::Error::InvalidAccessKeyId), [`Error::InvalidSecretAccessKey`](crate::Error::InvalidSecretAccessKey) or [`Error::InvalidSessionToken`](crate::Error::InvalidSessionToken) when a part is empty or holds characters it cannot (see [`Credentials::new`]).
    pub fn with_session_token(
        access_key_id: &str,
        secret_access_key: &str,
        session_token: &str,
        expiry: Option<SystemTime>,
    ) -> Result<Self, Error> {
        Self::build(
            access_key_id,
            secret_access_key,
            Some(session_token),
            expiry,
        )
    }

    /// Any combination of the parts.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidAccessKeyId`](crate::Error::InvalidAccessKeyId), [`Error::InvalidSecretAccessKey`](crate::Error::InvalidSecretAccessKey) or [`Error::InvalidSessionToken`](crate::Error::InvalidSessionToken) when a part is empty or holds characters it cannot (see [`Credentials::new`]).
    pub fn build(
        access_key_id: &str,
        secret_access_key: &str,
        session_token: Option<&str>,
        expiry: Option<SystemTime>,
    ) -> Result<Self, Error> {
        check_key_text(access_key_id)
            .and_then(|()| check_access_key_id(access_key_id))
            .map_err(|reason| Error::InvalidAccessKeyId { reason })?;
        check_key_text(secret_access_key)
            .map_err(|reason| Error::InvalidSecretAccessKey { reason })?;
        let session_token = match session_token {
            None => None,
            Some(token) => Some(SessionToken::new(token)?),
        };
        let fingerprint = fingerprint(access_key_id, secret_access_key);
        Ok(Self {
            access_key_id: access_key_id.to_owned(),
            secret_access_key: Zeroizing::new(secret_access_key.to_owned()),
            session_token,
            expiry,
            account_id: None,
            fingerprint,
        })
    }

    /// The access key id (not a secret: it appears in every signed request).
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// The secret access key. Handle with care: never log it.
    pub fn secret_access_key(&self) -> &str {
        &self.secret_access_key
    }

    /// The session token of temporary credentials. Handle with care: never log it.
    pub fn session_token(&self) -> Option<&str> {
        self.session_token.as_ref().map(|t| t.text.as_str())
    }

    /// When the credentials stop working, if known.
    pub fn expiry(&self) -> Option<SystemTime> {
        self.expiry
    }

    /// Returns the same credentials with another expiry.
    pub fn with_expiry(mut self, expiry: Option<SystemTime>) -> Self {
        self.expiry = expiry;
        self
    }

    /// The AWS account the credentials belong to, when their source says
    /// (`AWS_ACCOUNT_ID`, a profile's `aws_account_id`, an assumed role's
    /// ARN, an SSO profile, a container or process document). Not a secret,
    /// and not used in signing: SDKs use it to pick account-based endpoints.
    pub fn account_id(&self) -> Option<&str> {
        self.account_id.as_deref()
    }

    /// Returns the same credentials with another account id (`None` or an
    /// empty id clears it).
    pub fn with_account_id(mut self, account_id: Option<&str>) -> Self {
        self.account_id = account_id
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(str::to_owned);
        self
    }

    /// The token as a sensitive header value, shared rather than copied.
    pub(crate) fn session_token_header(&self) -> Option<HeaderValue> {
        self.session_token.as_ref().map(|t| t.header.clone())
    }

    /// A 64-bit digest of the key pair, used to key the daily signing-key cache
    /// so that a rotated secret never reuses an old key.
    pub(crate) fn fingerprint(&self) -> u64 {
        self.fingerprint
    }
}

impl PartialEq for Credentials {
    fn eq(&self, other: &Self) -> bool {
        self.access_key_id == other.access_key_id
            && crate::constant_time_eq(
                self.secret_access_key.as_bytes(),
                other.secret_access_key.as_bytes(),
            )
            && self.session_token() == other.session_token()
            && self.expiry == other.expiry
            && self.account_id == other.account_id
    }
}

impl Eq for Credentials {}

/// The secret access key and the session token are `Zeroizing`.
impl ZeroizeOnDrop for Credentials {}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Credentials");
        d.field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &Redacted);
        match self.session_token {
            Some(_) => d.field("session_token", &Some(Redacted)),
            None => d.field("session_token", &None::<Redacted>),
        };
        d.field("expiry", &self.expiry)
            .field("account_id", &self.account_id)
            .finish()
    }
}

impl SessionToken {
    fn new(token: &str) -> Result<Self, Error> {
        if token.is_empty() {
            return Err(Error::InvalidSessionToken {
                reason: "it is empty",
            });
        }
        if token.len() > crate::limits::MAX_HEADER_FIELD_BYTES {
            return Err(Error::InvalidSessionToken {
                reason: "it is longer than a header field may be (16384 bytes)",
            });
        }
        if token.bytes().any(|b| b.is_ascii_control() || b == b' ') || !token.is_ascii() {
            return Err(Error::InvalidSessionToken {
                reason: "it contains whitespace, control or non-ASCII characters",
            });
        }
        let mut header = HeaderValue::from_str(token).map_err(|_| Error::InvalidSessionToken {
            reason: "it is not a valid header value",
        })?;
        header.set_sensitive(true);
        Ok(Self {
            text: Zeroizing::new(token.to_owned()),
            header,
        })
    }
}

/// The access key id is written into the credential scope
/// (`AKID/20150830/...`) and the `Authorization` header, where '/' and ','
/// separate parts: an id holding one could never be read back.
fn check_access_key_id(id: &str) -> Result<(), &'static str> {
    if id.contains(['/', ',']) {
        return Err("it contains '/' or ',', which separate the parts of a credential");
    }
    Ok(())
}

fn check_key_text(text: &str) -> Result<(), &'static str> {
    if text.is_empty() {
        return Err("it is empty");
    }
    if text.len() > 1024 {
        return Err("it is longer than 1024 bytes");
    }
    if text
        .bytes()
        .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
    {
        return Err("it contains whitespace or control characters");
    }
    if !text.is_ascii() {
        return Err("it contains non-ASCII characters");
    }
    Ok(())
}

fn fingerprint(access_key_id: &str, secret: &str) -> u64 {
    let mut h = Sha256::new();
    h.update(b"awsig credentials fingerprint\0");
    h.update(access_key_id.as_bytes());
    h.update([0u8]);
    h.update(secret.as_bytes());
    let digest = Zeroizing::new(<[u8; 32]>::from(h.finalize()));
    let mut first = [0u8; 8];
    first.copy_from_slice(digest.get(..8).unwrap_or(&[0; 8]));
    u64::from_le_bytes(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_secret_and_token() {
        let c = Credentials::with_session_token("AKID", "SECRETKEY", "TOKENVALUE", None).unwrap();
        let s = format!("{c:?}");
        assert!(s.contains("AKID"));
        assert!(!s.contains("SECRETKEY"));
        assert!(!s.contains("TOKENVALUE"));
    }

    #[test]
    fn rejects_bad_parts() {
        assert!(matches!(
            Credentials::new("", "x"),
            Err(Error::InvalidAccessKeyId { .. })
        ));
        for id in ["AK/ID", "AK,ID"] {
            assert!(matches!(
                Credentials::new(id, "x"),
                Err(Error::InvalidAccessKeyId { .. })
            ));
        }
        assert!(matches!(
            Credentials::new("AKID", "a b"),
            Err(Error::InvalidSecretAccessKey { .. })
        ));
        assert!(matches!(
            Credentials::with_session_token("AKID", "s", "a\nb", None),
            Err(Error::InvalidSessionToken { .. })
        ));
    }

    #[test]
    fn rotated_secret_changes_fingerprint() {
        let a = Credentials::new("AKID", "one").unwrap();
        let b = Credentials::new("AKID", "two").unwrap();
        assert_ne!(a.fingerprint(), b.fingerprint());
        assert_ne!(a, b);
    }
}
