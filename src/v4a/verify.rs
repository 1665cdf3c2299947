//! Server side of SigV4a: reads an `AWS4-ECDSA-P256-SHA256` request,
//! header-signed or presigned, and checks it with the public key derived
//! from the credentials looked up; [`crate::verify`] hands such requests
//! here.
//!
//! Besides what SigV4 verification checks, the region set must be signed
//! (`x-amz-region-set` among the signed headers, or `X-Amz-Region-Set` in
//! the signed query) and must hold a region the server serves
//! ([`Policy::regions`](crate::Policy::regions); `*` holds every region).

use std::time::SystemTime;

use super::region_set::RegionSet;
use super::signature::Signature;
use super::string_to_sign::{CredentialScope, StringToSign};
use super::{ALGORITHM, SigningKey, X_AMZ_REGION_SET};
use crate::credentials::Credentials;
use crate::request::SignableRequest;
use crate::scope::{AmzDate, Region, Service};
use crate::verify::parse::{
    self, check_algorithm, malformed, parse_expires, parse_signed_headers, split_authorization,
    split_presigned_query,
};
use crate::verify::{
    AuthKind, AuthParseError, Claim, CredentialsLookup, Payload, Policy, Proof, Rejection,
    Verified, check_expires, check_service, finish, header_date, header_token, query_token,
    signed_query,
};

/// Whether an `Authorization` value is of SigV4a.
pub(crate) fn is_sigv4a_authorization(value: &[u8]) -> bool {
    let value = value.trim_ascii_start();
    value.starts_with(ALGORITHM.as_bytes())
        && matches!(value.get(ALGORITHM.len()), None | Some(b' ' | b'\t'))
}

/// Whether a presigned query names the SigV4a algorithm.
pub(crate) fn is_sigv4a_query(query: &str) -> bool {
    query.split('&').any(|piece| {
        let (key, value) = piece.split_once('=').unwrap_or((piece, ""));
        parse::decode(key).as_deref() == Some("X-Amz-Algorithm")
            && parse::decode(value).as_deref() == Some(ALGORITHM)
    })
}

/// A SigV4a credential: `AKID/YYYYMMDD/service/aws4_request`.
struct Credential<'a> {
    access_key_id: &'a str,
    date: &'a str,
    service: Service,
}

fn parse_credential<'a>(
    text: &'a str,
    part: &'static str,
) -> Result<Credential<'a>, AuthParseError> {
    let mut it = text.rsplitn(4, '/');
    let (Some(terminator), Some(service), Some(date), Some(key)) =
        (it.next(), it.next(), it.next(), it.next())
    else {
        return Err(malformed(
            part,
            "expected access-key-id/YYYYMMDD/service/aws4_request",
        ));
    };
    if terminator != "aws4_request" {
        return Err(malformed(part, "the scope does not end with aws4_request"));
    }
    if key.is_empty()
        || key.contains('/')
        || key
            .bytes()
            .any(|b| b.is_ascii_whitespace() || b.is_ascii_control() || !b.is_ascii())
    {
        return Err(malformed(
            part,
            "the access key id is empty or contains '/', whitespace, control or non-ASCII characters",
        ));
    }
    if date.len() != 8
        || !date.bytes().all(|b| b.is_ascii_digit())
        || AmzDate::parse(&format!("{date}T000000Z")).is_err()
    {
        return Err(malformed(
            part,
            "the scope date is not a valid YYYYMMDD date",
        ));
    }
    let service = Service::new(service).map_err(|_| malformed(part, "the service is not valid"))?;
    Ok(Credential {
        access_key_id: key,
        date,
        service,
    })
}

fn parse_signature(text: &str, part: &'static str) -> Result<Signature, AuthParseError> {
    Signature::parse(text).ok_or_else(|| {
        malformed(
            part,
            "expected the lowercase hex of a DER-encoded ECDSA signature",
        )
    })
}

/// The region set: one value, valid, holding a region the server serves.
/// Returns it and that region.
fn served_region(
    kind: AuthKind,
    values: &[&[u8]],
    policy: &Policy,
) -> Result<(RegionSet, Region), Rejection> {
    let part = match kind {
        AuthKind::Header => X_AMZ_REGION_SET,
        AuthKind::Query => "X-Amz-Region-Set",
    };
    let bad = |error| Rejection::Malformed { kind, error };
    let text = match values {
        [] => return Err(bad(AuthParseError::Missing { part })),
        [one] => std::str::from_utf8(one)
            .map_err(|_| bad(malformed(part, "it is not UTF-8")))?
            .trim_matches([' ', '\t']),
        _ => return Err(bad(AuthParseError::Repeated { part })),
    };
    let set =
        RegionSet::new(text).map_err(|_| bad(malformed(part, "it is not a valid region set")))?;
    let region = if policy.regions.is_empty() {
        set.regions().next().and_then(|r| Region::new(r).ok())
    } else {
        policy
            .regions
            .iter()
            .find(|r| set.contains(r))
            .and_then(|r| Region::new(r).ok())
    };
    let region = region.ok_or_else(|| Rejection::WrongRegion {
        kind,
        region: set.as_str().to_owned(),
        expected: policy.regions.clone(),
    })?;
    Ok((set, region))
}

/// Checks the ECDSA signature of the digest with the public key derived
/// from the credentials found.
fn check_v4a(
    region_set: RegionSet,
) -> impl FnOnce(&Credentials, &Claim<'_>, &[u8; 32]) -> Result<Proof, String> {
    move |found, claim, digest| {
        let string_to_sign =
            StringToSign::from_digest(CredentialScope::new(&claim.date, &claim.service), digest);
        let signature = Signature::parse(claim.signature);
        let key = SigningKey::derive(found);
        match (signature, key) {
            (Some(signature), Ok(key)) if key.public_key().verify(&string_to_sign, &signature) => {
                Ok(Proof::V4a {
                    signature,
                    region_set,
                })
            }
            _ => Err(string_to_sign.to_string()),
        }
    }
}

pub(crate) fn verify_header<L: CredentialsLookup + ?Sized>(
    request: &SignableRequest<'_>,
    value: &[u8],
    payload: Payload<'_>,
    credentials: &L,
    now: SystemTime,
    policy: &Policy,
) -> Result<Verified, Rejection> {
    let malformed_header = |error| Rejection::Malformed {
        kind: AuthKind::Header,
        error,
    };
    let text = std::str::from_utf8(value)
        .map_err(|_| malformed_header(malformed("Authorization", "it is not UTF-8")))?;
    let (credential, signed_headers, signature) =
        split_authorization(text, ALGORITHM).map_err(malformed_header)?;
    let credential = parse_credential(credential, "Credential").map_err(malformed_header)?;
    let signed_headers =
        parse_signed_headers(signed_headers, "SignedHeaders").map_err(malformed_header)?;
    parse_signature(signature, "Signature").map_err(malformed_header)?;
    check_service(AuthKind::Header, &credential.service, policy)?;
    if !signed_headers.contains(&X_AMZ_REGION_SET) {
        return Err(Rejection::HeaderNotSigned {
            name: X_AMZ_REGION_SET.to_owned(),
        });
    }
    let (region_set, region) = served_region(
        AuthKind::Header,
        &request.header_values(X_AMZ_REGION_SET),
        policy,
    )?;
    let claim = Claim {
        kind: AuthKind::Header,
        access_key_id: credential.access_key_id.to_owned(),
        scope_date: credential.date.to_owned(),
        region,
        service: credential.service,
        date: header_date(request)?,
        signed_headers,
        signature,
        token: header_token(request)?,
        expires: None,
    };
    finish(
        request,
        request,
        claim,
        payload,
        credentials,
        now,
        policy,
        check_v4a(region_set),
    )
}

pub(crate) fn verify_query<L: CredentialsLookup + ?Sized>(
    request: &SignableRequest<'_>,
    payload: Payload<'_>,
    credentials: &L,
    now: SystemTime,
    policy: &Policy,
) -> Result<Verified, Rejection> {
    let malformed_query = |error| Rejection::Malformed {
        kind: AuthKind::Query,
        error,
    };
    let mut raw = split_presigned_query(request.query()).map_err(malformed_query)?;
    let mut require = |name| raw.require(name).map_err(malformed_query);
    check_algorithm(&require("X-Amz-Algorithm")?, ALGORITHM).map_err(malformed_query)?;
    let credential_text = require("X-Amz-Credential")?;
    let date = require("X-Amz-Date")?;
    let expires = require("X-Amz-Expires")?;
    let signed_headers_text = require("X-Amz-SignedHeaders")?;
    let signature = require("X-Amz-Signature")?;
    let token = raw.take("X-Amz-Security-Token");
    let credential =
        parse_credential(&credential_text, "X-Amz-Credential").map_err(malformed_query)?;
    let date = AmzDate::parse(&date)
        .map_err(|_| malformed_query(malformed("X-Amz-Date", "expected YYYYMMDDTHHMMSSZ")))?;
    let expires = parse_expires(&expires).map_err(malformed_query)?;
    let signed_headers = parse_signed_headers(&signed_headers_text, "X-Amz-SignedHeaders")
        .map_err(malformed_query)?;
    parse_signature(&signature, "X-Amz-Signature").map_err(malformed_query)?;
    if token.as_deref() == Some("") {
        return Err(malformed_query(malformed(
            "X-Amz-Security-Token",
            "it is empty",
        )));
    }
    check_service(AuthKind::Query, &credential.service, policy)?;
    let region_values: Vec<String> = raw
        .unsigned_query
        .split('&')
        .filter_map(|piece| {
            let (key, value) = piece.split_once('=').unwrap_or((piece, ""));
            (parse::decode(key).as_deref() == Some("X-Amz-Region-Set"))
                .then(|| parse::decode(value).unwrap_or_default())
        })
        .collect();
    let region_values: Vec<&[u8]> = region_values.iter().map(|v| v.as_bytes()).collect();
    let (region_set, region) = served_region(AuthKind::Query, &region_values, policy)?;
    check_expires(expires, policy)?;
    let token = query_token(token.as_deref(), request)?;
    let query = signed_query(&raw.unsigned_query, &credential.service, policy);
    let signed = request.with_query(&query);
    let claim = Claim {
        kind: AuthKind::Query,
        access_key_id: credential.access_key_id.to_owned(),
        scope_date: credential.date.to_owned(),
        region,
        service: credential.service,
        date,
        signed_headers,
        signature: &signature,
        token,
        expires: Some(expires),
    };
    finish(
        request,
        &signed,
        claim,
        payload,
        credentials,
        now,
        policy,
        check_v4a(region_set),
    )
}
