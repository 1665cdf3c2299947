//! Small helpers over `serde_json::Value` for the credential documents.

use serde_json::{Map, Value};

use super::ProviderError;

/// The largest JSON document accepted, in bytes.
const MAX_JSON: usize = 64 * 1024;

/// Parses a JSON object.
pub(crate) fn object(
    body: &[u8],
    service: &'static str,
) -> Result<Map<String, Value>, ProviderError> {
    let bad = |message: String| ProviderError::InvalidResponse { service, message };
    if body.len() > MAX_JSON {
        return Err(bad(format!("the document is larger than {MAX_JSON} bytes")));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(bad("the document is not a JSON object".to_owned())),
        Err(e) => Err(bad(format!("invalid JSON: {e}"))),
    }
}

/// A string member, `None` when absent or null; an error when of another type.
pub(crate) fn opt_str<'a>(
    map: &'a Map<String, Value>,
    key: &str,
    service: &'static str,
) -> Result<Option<&'a str>, ProviderError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(ProviderError::InvalidResponse {
            service,
            message: format!("{key} is not a string"),
        }),
    }
}

/// A required string member.
pub(crate) fn req_str<'a>(
    map: &'a Map<String, Value>,
    key: &str,
    service: &'static str,
) -> Result<&'a str, ProviderError> {
    opt_str(map, key, service)?.ok_or_else(|| ProviderError::InvalidResponse {
        service,
        message: format!("{key} is missing"),
    })
}
