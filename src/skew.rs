//! Clock skew: telling a rejection caused by a wrong local clock from any
//! other, and the offset that corrects it.
//!
//! AWS refuses a request whose signing time is too far from its own clock
//! (15 minutes for most services, 5 for some) with one of a few error
//! codes. The AWS SDKs (Java, .NET, JavaScript) treat these as clock skew:
//!
//! - always: `RequestTimeTooSkewed`, `RequestExpired`, `RequestInTheFuture`,
//!   and `InvalidSignatureException` whose message says `Signature expired`;
//! - only when the response's `Date` is more than 4 minutes from the local
//!   clock: `InvalidSignatureException`, `SignatureDoesNotMatch`,
//!   `AuthFailure`.
//!
//! [`detect`] applies these rules to a response's status, headers and body
//! and, for a skew, returns the offset to add to the local clock: the
//! response's `Date` minus the local time it arrived. Nothing here reads a
//! clock: the local time is an argument.
//!
//! ```
//! use std::time::{Duration, UNIX_EPOCH};
//! use awsig::skew;
//!
//! let local = UNIX_EPOCH + Duration::from_secs(1_700_000_000 + 20 * 60);
//! let response = http::Response::builder()
//!     .status(403)
//!     .header("date", "Tue, 14 Nov 2023 22:13:20 GMT") // 1_700_000_000
//!     .body(b"<Error><Code>RequestTimeTooSkewed</Code></Error>".to_vec())
//!     .unwrap();
//! let found = skew::detect(response.status().as_u16(), response.headers(), response.body(), local);
//! assert_eq!(found.map(|s| s.offset_secs), Some(-20 * 60));
//! ```

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::HeaderMap;

/// Codes that always mean the signing time was too far off.
pub const SKEW_CODES: [&str; 3] = [
    "RequestTimeTooSkewed",
    "RequestExpired",
    "RequestInTheFuture",
];

/// Codes that mean skew when the response's `Date` is far from the local
/// clock ([`POSSIBLE_SKEW_THRESHOLD`]).
pub const POSSIBLE_SKEW_CODES: [&str; 3] = [
    "InvalidSignatureException",
    "SignatureDoesNotMatch",
    "AuthFailure",
];

/// How far the response's `Date` must be from the local clock for a
/// possible skew code to count as skew (the AWS SDK for Java's 4 minutes).
pub const POSSIBLE_SKEW_THRESHOLD: Duration = Duration::from_secs(240);

/// Below this distance between the response's `Date` and the local clock
/// a rejection is not treated as skew at all: `Date` has a one-second
/// resolution and the response took time to arrive.
pub const MIN_SKEW: Duration = Duration::from_secs(60);

/// The most bytes of an error body read for its code.
pub const MAX_ERROR_BODY: usize = 64 * 1024;

/// A clock skew found in a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skew {
    /// The error code that reported it.
    pub code: String,
    /// Seconds to add to the local clock: positive when the server's clock
    /// is ahead.
    pub offset_secs: i64,
}

/// Whether a rejection may be a clock skew, from the status and `Date`
/// alone: a 400, 401 or 403 whose `Date` is at least [`MIN_SKEW`] from
/// `local`. Only then is the body worth reading.
pub fn may_be_skew(status: u16, headers: &HeaderMap, local: SystemTime) -> bool {
    matches!(status, 400 | 401 | 403)
        && date_offset(headers, local).is_some_and(|o| o.unsigned_abs() >= MIN_SKEW.as_secs())
}

/// The clock skew a response reports, if it is one. `local` is the local
/// time the response arrived (with any correction already in use).
pub fn detect(status: u16, headers: &HeaderMap, body: &[u8], local: SystemTime) -> Option<Skew> {
    if !may_be_skew(status, headers, local) {
        return None;
    }
    let offset_secs = date_offset(headers, local)?;
    let body = body.get(..MAX_ERROR_BODY).unwrap_or(body);
    let code = error_code(headers, body)?;
    let definite = SKEW_CODES.contains(&code.as_str())
        || (code == "InvalidSignatureException"
            && String::from_utf8_lossy(body).contains("Signature expired"));
    let possible = POSSIBLE_SKEW_CODES.contains(&code.as_str())
        && offset_secs.unsigned_abs() > POSSIBLE_SKEW_THRESHOLD.as_secs();
    (definite || possible).then_some(Skew { code, offset_secs })
}

/// The response's `Date` minus `local`, in whole seconds.
pub fn date_offset(headers: &HeaderMap, local: SystemTime) -> Option<i64> {
    let date = headers.get(http::header::DATE)?.to_str().ok()?;
    let server = parse_http_date(date)?;
    let local = unix_secs(local)?;
    server.checked_sub(local)
}

fn unix_secs(t: SystemTime) -> Option<i64> {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).ok(),
        Err(e) => i64::try_from(e.duration().as_secs()).ok().map(|s| -s),
    }
}

/// Adds an offset in seconds to a time.
pub fn shift(t: SystemTime, offset_secs: i64) -> SystemTime {
    let by = Duration::from_secs(offset_secs.unsigned_abs());
    let shifted = if offset_secs >= 0 {
        t.checked_add(by)
    } else {
        t.checked_sub(by)
    };
    shifted.unwrap_or(t)
}

/// Parses an HTTP date in the IMF-fixdate form (`Sun, 06 Nov 1994 08:49:37
/// GMT`, RFC 9110 §5.6.7) into unix seconds.
pub fn parse_http_date(text: &str) -> Option<i64> {
    let rest = text.trim().split_once(", ")?.1;
    let mut parts = rest.split(' ');
    let day: u8 = parts.next()?.parse().ok()?;
    let month = match parts.next()? {
        "Jan" => time::Month::January,
        "Feb" => time::Month::February,
        "Mar" => time::Month::March,
        "Apr" => time::Month::April,
        "May" => time::Month::May,
        "Jun" => time::Month::June,
        "Jul" => time::Month::July,
        "Aug" => time::Month::August,
        "Sep" => time::Month::September,
        "Oct" => time::Month::October,
        "Nov" => time::Month::November,
        "Dec" => time::Month::December,
        _ => return None,
    };
    let year: i32 = parts.next()?.parse().ok()?;
    let mut hms = parts.next()?.split(':');
    let hour: u8 = hms.next()?.parse().ok()?;
    let minute: u8 = hms.next()?.parse().ok()?;
    let second: u8 = hms.next()?.parse().ok()?;
    if hms.next().is_some() || parts.next()? != "GMT" || parts.next().is_some() {
        return None;
    }
    let date = time::Date::from_calendar_date(year, month, day).ok()?;
    let clock = time::Time::from_hms(hour, minute, second).ok()?;
    Some(
        time::PrimitiveDateTime::new(date, clock)
            .assume_utc()
            .unix_timestamp(),
    )
}

/// The AWS error code of an error response: the `x-amzn-errortype` header
/// (JSON and REST protocols), else `<Code>` in an XML body, else `__type`
/// or `code` in a JSON body; a namespace before `#` and details after `:`
/// are cut.
pub fn error_code(headers: &HeaderMap, body: &[u8]) -> Option<String> {
    if let Some(v) = headers
        .get("x-amzn-errortype")
        .and_then(|v| v.to_str().ok())
    {
        return Some(clean_code(v));
    }
    let text = String::from_utf8_lossy(body.get(..MAX_ERROR_BODY).unwrap_or(body));
    if let Some(start) = text.find("<Code>") {
        let after = text.get(start + "<Code>".len()..)?;
        let end = after.find("</Code>")?;
        return Some(after.get(..end)?.trim().to_owned());
    }
    for key in ["\"__type\"", "\"code\"", "\"Code\""] {
        if let Some(start) = text.find(key) {
            let after = text.get(start + key.len()..)?.trim_start();
            let after = after.strip_prefix(':')?.trim_start().strip_prefix('"')?;
            let end = after.find('"')?;
            return Some(clean_code(after.get(..end)?));
        }
    }
    None
}

fn clean_code(v: &str) -> String {
    let v = v.split(':').next().unwrap_or(v);
    let v = v.rsplit('#').next().unwrap_or(v);
    v.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const DATE: &str = "Tue, 14 Nov 2023 22:13:20 GMT";
    const SERVER: u64 = 1_700_000_000;

    fn local(offset_from_server: i64) -> SystemTime {
        shift(UNIX_EPOCH + Duration::from_secs(SERVER), offset_from_server)
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn http_dates_parse_as_rfc_9110_gives_them() {
        // RFC 9110's example, and a date from an S3 response.
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777)
        );
        assert_eq!(parse_http_date(DATE), Some(SERVER as i64));
        for bad in [
            "",
            "Sun, 06 Nov 1994 08:49:37",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 31 Feb 1994 08:49:37 GMT",
            "Sun, 06 Foo 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 25:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
        ] {
            assert_eq!(parse_http_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn error_codes_from_each_protocol() {
        let none = HeaderMap::new();
        let cases: [(&HeaderMap, &str, &str); 5] = [
            (
                &none,
                "<Error><Code>RequestTimeTooSkewed</Code></Error>",
                "RequestTimeTooSkewed",
            ),
            (
                &none,
                r#"{"__type":"com.amazon.coral.service#InvalidSignatureException","message":"Signature expired"}"#,
                "InvalidSignatureException",
            ),
            (&none, r#"{"code": "AuthFailure"}"#, "AuthFailure"),
            (
                &none,
                "<ErrorResponse><Error><Code>SignatureDoesNotMatch</Code></Error></ErrorResponse>",
                "SignatureDoesNotMatch",
            ),
            (&none, r#"{"Code":"RequestExpired"}"#, "RequestExpired"),
        ];
        for (h, body, code) in cases {
            assert_eq!(
                error_code(h, body.as_bytes()).as_deref(),
                Some(code),
                "{body}"
            );
        }
        let h = headers(&[(
            "x-amzn-errortype",
            "InvalidSignatureException:http://internal.amazon.com/coral/",
        )]);
        assert_eq!(
            error_code(&h, b"{}").as_deref(),
            Some("InvalidSignatureException")
        );
        assert_eq!(error_code(&none, b"plain text"), None);
    }

    #[test]
    fn definite_codes_are_skew_past_a_minute() {
        for code in SKEW_CODES {
            let body = format!("<Error><Code>{code}</Code></Error>");
            let h = headers(&[("date", DATE)]);
            let found = detect(403, &h, body.as_bytes(), local(20 * 60)).unwrap();
            assert_eq!((found.code.as_str(), found.offset_secs), (code, -1200));
            let found = detect(400, &h, body.as_bytes(), local(-6 * 60)).unwrap();
            assert_eq!(found.offset_secs, 360);
            assert_eq!(detect(403, &h, body.as_bytes(), local(30)), None);
        }
    }

    #[test]
    fn signature_expired_is_skew_and_other_signature_errors_need_four_minutes() {
        let h = headers(&[
            ("date", DATE),
            ("x-amzn-errortype", "InvalidSignatureException"),
        ]);
        let expired = br#"{"message":"Signature expired: 20231114T223320Z is now earlier than 20231114T220820Z (20231114T221320Z - 5 min.)"}"#;
        assert_eq!(
            detect(403, &h, expired, local(120)).map(|s| s.offset_secs),
            Some(-120)
        );
        let mismatch = br#"{"message":"The request signature we calculated does not match"}"#;
        assert_eq!(detect(403, &h, mismatch, local(120)), None);
        assert_eq!(
            detect(403, &h, mismatch, local(241)).map(|s| s.offset_secs),
            Some(-241)
        );
        for code in POSSIBLE_SKEW_CODES {
            let body = format!("<Error><Code>{code}</Code></Error>");
            let h = headers(&[("date", DATE)]);
            assert_eq!(detect(403, &h, body.as_bytes(), local(200)), None, "{code}");
            assert!(
                detect(403, &h, body.as_bytes(), local(-300)).is_some(),
                "{code}"
            );
        }
    }

    #[test]
    fn not_skew_without_a_date_with_another_status_or_code() {
        let body = b"<Error><Code>RequestTimeTooSkewed</Code></Error>";
        assert_eq!(detect(403, &HeaderMap::new(), body, local(1200)), None);
        let h = headers(&[("date", DATE)]);
        assert_eq!(detect(500, &h, body, local(1200)), None);
        assert_eq!(detect(200, &h, body, local(1200)), None);
        let other = b"<Error><Code>AccessDenied</Code></Error>";
        assert_eq!(detect(403, &h, other, local(1200)), None);
        let h = headers(&[("date", "yesterday")]);
        assert_eq!(detect(403, &h, body, local(1200)), None);
    }

    #[test]
    fn shift_moves_both_ways() {
        let t = UNIX_EPOCH + Duration::from_secs(1000);
        assert_eq!(shift(t, -1000), UNIX_EPOCH);
        assert_eq!(shift(t, 5), UNIX_EPOCH + Duration::from_secs(1005));
    }
}
