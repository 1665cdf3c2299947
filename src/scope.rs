//! The signing date, region, service and the credential scope they form.
//!
//! See <https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html#create-string-to-sign>.

use std::cell::Cell;
use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::error::{Error, lossy};

/// The latest instant that can be signed: 9999-12-31T23:59:59Z.
const MAX_UNIX_SECONDS: u64 = 253_402_300_799;

/// The signing time in the ISO 8601 basic form AWS uses: `20150830T123600Z`.
///
/// The first eight characters are the date that goes into the credential scope.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct AmzDate {
    text: [u8; 16],
    unix: u64,
}

impl AmzDate {
    /// The signing time for an instant. Fails before 1970 or after year 9999.
    /// Sub-second parts are dropped, as in every AWS signer.
    ///
    /// # Errors
    ///
    /// [`Error::TimeOutOfRange`](crate::Error::TimeOutOfRange) when the time is before 1970-01-01 or after 9999-12-31T23:59:59Z.
    pub fn from_system_time(time: SystemTime) -> Result<Self, Error> {
        let secs = time
            .duration_since(UNIX_EPOCH)
            .map_err(|_| Error::TimeOutOfRange {
                reason: "it is before 1970-01-01T00:00:00Z",
            })?
            .as_secs();
        Self::from_unix_seconds(secs)
    }

    /// The signing time for whole seconds since the Unix epoch.
    ///
    /// # Errors
    ///
    /// [`Error::TimeOutOfRange`](crate::Error::TimeOutOfRange) when the time is after 9999-12-31T23:59:59Z.
    pub fn from_unix_seconds(secs: u64) -> Result<Self, Error> {
        thread_local! {
            /// The last date made on this thread: callers that sign at high
            /// rates ask for the same second many times.
            static LAST: Cell<Option<AmzDate>> = const { Cell::new(None) };
        }
        if let Ok(Some(last)) = LAST.try_with(Cell::get)
            && last.unix == secs
        {
            return Ok(last);
        }
        let date = Self::compute(secs)?;
        let _ = LAST.try_with(|last| last.set(Some(date)));
        Ok(date)
    }

    fn compute(secs: u64) -> Result<Self, Error> {
        if secs > MAX_UNIX_SECONDS {
            return Err(Error::TimeOutOfRange {
                reason: "it is after 9999-12-31T23:59:59Z",
            });
        }
        let days = secs / 86_400;
        let rem = secs % 86_400;
        let (y, m, d) = civil_from_days(days);
        let (hh, mm, ss) = (rem / 3600, (rem / 60) % 60, rem % 60);
        let mut text = *b"00000000T000000Z";
        put_digits(&mut text, 0, y, 4);
        put_digits(&mut text, 4, m, 2);
        put_digits(&mut text, 6, d, 2);
        put_digits(&mut text, 9, hh, 2);
        put_digits(&mut text, 11, mm, 2);
        put_digits(&mut text, 13, ss, 2);
        Ok(Self { text, unix: secs })
    }

    /// Parses the basic form `YYYYMMDDTHHMMSSZ` (as in `X-Amz-Date`).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidDate`](crate::Error::InvalidDate) when the text is not `YYYYMMDDTHHMMSSZ` or names no real date and time.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let bad = || Error::InvalidDate {
            text: lossy(text.as_bytes()),
            expected: "YYYYMMDDTHHMMSSZ",
        };
        let b = text.as_bytes();
        if b.len() != 16 || b.get(8) != Some(&b'T') || b.get(15) != Some(&b'Z') {
            return Err(bad());
        }
        let num = |from: usize, len: usize| -> Result<u64, Error> {
            let digits = b.get(from..from + len).ok_or_else(bad)?;
            digits.iter().try_fold(0u64, |acc, &c| {
                if c.is_ascii_digit() {
                    Ok(acc * 10 + u64::from(c - b'0'))
                } else {
                    Err(bad())
                }
            })
        };
        let (y, mo, d) = (num(0, 4)?, num(4, 2)?, num(6, 2)?);
        let (h, mi, s) = (num(9, 2)?, num(11, 2)?, num(13, 2)?);
        let secs = unix_from_parts(y, mo, d, h, mi, s).ok_or_else(bad)?;
        let parsed = Self::from_unix_seconds(secs)?;
        if parsed.text != *<&[u8; 16]>::try_from(b).map_err(|_| bad())? {
            return Err(bad());
        }
        Ok(parsed)
    }

    /// Parses an RFC 3339 UTC time such as `2015-08-30T12:36:00Z`.
    ///
    /// # Errors
    ///
    /// - [`Error::InvalidDate`](crate::Error::InvalidDate) when the text is not an RFC 3339 time;
    /// - [`Error::TimeOutOfRange`](crate::Error::TimeOutOfRange) when it is before 1970 or after the year 9999.
    pub fn parse_rfc3339(text: &str) -> Result<Self, Error> {
        let t = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
            .map_err(|_| Error::InvalidDate {
            text: lossy(text.as_bytes()),
            expected: "an RFC 3339 time such as 2015-08-30T12:36:00Z",
        })?;
        let secs = u64::try_from(t.unix_timestamp()).map_err(|_| Error::TimeOutOfRange {
            reason: "it is before 1970-01-01T00:00:00Z",
        })?;
        Self::from_unix_seconds(secs)
    }

    /// The full text, `YYYYMMDDTHHMMSSZ`.
    pub fn as_str(&self) -> &str {
        // The buffer only ever holds ASCII digits, 'T' and 'Z'.
        std::str::from_utf8(&self.text).unwrap_or("")
    }

    /// The date part, `YYYYMMDD`.
    pub fn date(&self) -> &str {
        self.as_str().get(..8).unwrap_or("")
    }

    /// Whole seconds since the Unix epoch.
    pub fn unix_seconds(&self) -> u64 {
        self.unix
    }

    /// Days since the Unix epoch (the key of the daily signing-key cache).
    pub fn day_number(&self) -> u64 {
        self.unix / 86_400
    }

    /// The instant.
    pub fn to_system_time(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(self.unix)
    }

    pub(crate) fn as_bytes(&self) -> &[u8; 16] {
        &self.text
    }
}

impl fmt::Display for AmzDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for AmzDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AmzDate({})", self.as_str())
    }
}

fn put_digits(buf: &mut [u8; 16], at: usize, mut value: u64, width: usize) {
    for i in (0..width).rev() {
        if let Some(slot) = buf.get_mut(at + i) {
            // `value % 10` is below 10, so the cast cannot truncate.
            *slot = b'0' + (value % 10) as u8;
        }
        value /= 10;
    }
}

/// Year, month, day from days since 1970-01-01 (proleptic Gregorian calendar).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    // Shift the epoch to 0000-03-01 so leap days fall at the end of a year.
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    (y, m, d)
}

fn unix_from_parts(y: u64, mo: u64, d: u64, h: u64, mi: u64, s: u64) -> Option<u64> {
    if !(1970..=9999).contains(&y) || !(1..=12).contains(&mo) || d == 0 || h > 23 || mi > 59 {
        return None;
    }
    if s > 59 {
        return None;
    }
    let leap = (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400);
    let month_days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    let max_d = *month_days.get(usize::try_from(mo - 1).ok()?)?;
    if d > max_d {
        return None;
    }
    let (yy, mm) = if mo <= 2 {
        (y - 1, mo + 9)
    } else {
        (y, mo - 3)
    };
    let era = yy / 400;
    let yoe = yy - era * 400;
    let doy = (153 * mm + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = (era * 146_097 + doe).checked_sub(719_468)?;
    Some(days * 86_400 + h * 3600 + mi * 60 + s)
}

macro_rules! scope_part {
    ($(#[$doc:meta])* $name:ident, $variant:ident, $field:ident, $check:path) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash)]
        pub struct $name(String);

        impl $name {
            /// Validates the name (see the type's documentation for the rules).
            ///
            /// # Errors
            ///
            #[doc = concat!("[`Error::", stringify!($variant), "`] when the name breaks a rule; its reason says which.")]
            pub fn new(name: &str) -> Result<Self, Error> {
                $check(name).map_err(|reason| Error::$variant {
                    $field: lossy(name.as_bytes()),
                    reason,
                })?;
                Ok(Self(name.to_owned()))
            }

            /// The name.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self, Error> {
                Self::new(s)
            }
        }
    };
}

scope_part!(
    /// A region such as `us-east-1`, as it appears in the credential scope.
    ///
    /// Any name of 1 to 64 ASCII bytes without '/', whitespace or control
    /// characters is accepted, because S3-compatible servers name their own
    /// regions (MinIO's `us-east-1` by default, Garage's `garage`, Cloudflare
    /// R2's `auto`). To refuse what is not shaped like an AWS region, use
    /// [`check_aws_region`](crate::endpoint::check_aws_region).
    Region,
    InvalidRegion,
    region,
    check_scope_part
);
scope_part!(
    /// An AWS signing name such as `s3`, `sqs` or `aps`, as it appears in the
    /// credential scope: 1 to 64 ASCII bytes, no '/', whitespace, control
    /// characters or upper-case letters. Signing names are lower-case; `S3`
    /// would silently get the rules of every other service instead of the S3
    /// rules ([`Settings::for_service`](crate::Settings::for_service)), so it
    /// is refused.
    Service,
    InvalidService,
    service,
    check_service
);

fn check_scope_part(name: &str) -> Result<(), &'static str> {
    if name.is_empty() {
        return Err("it is empty");
    }
    if name.len() > 64 {
        return Err("it is longer than 64 bytes");
    }
    if name.contains('/') {
        return Err("it contains '/'");
    }
    if name
        .bytes()
        .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
    {
        return Err("it contains whitespace or control characters");
    }
    if !name.is_ascii() {
        return Err("it contains non-ASCII characters");
    }
    Ok(())
}

fn check_service(name: &str) -> Result<(), &'static str> {
    check_scope_part(name)?;
    if name.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(
            "it has upper-case letters: signing names are lower-case, such as s3, aps or sqs",
        );
    }
    Ok(())
}

/// The credential scope: `YYYYMMDD/region/service/aws4_request`.
///
/// ```
/// use awsig::{AmzDate, CredentialScope, Region, Service};
/// let date = AmzDate::parse("20150830T123600Z")?;
/// let region = Region::new("us-east-1")?;
/// let service = Service::new("iam")?;
/// let scope = CredentialScope::new(&date, &region, &service);
/// assert_eq!(scope.to_string(), "20150830/us-east-1/iam/aws4_request");
/// # Ok::<(), awsig::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct CredentialScope<'a> {
    date: &'a AmzDate,
    region: &'a Region,
    service: &'a Service,
}

impl<'a> CredentialScope<'a> {
    /// The scope for a signing date, region and service.
    pub fn new(date: &'a AmzDate, region: &'a Region, service: &'a Service) -> Self {
        Self {
            date,
            region,
            service,
        }
    }

    /// The signing time whose date the scope carries.
    pub fn amz_date(&self) -> &'a AmzDate {
        self.date
    }

    /// The region.
    pub fn region(&self) -> &'a Region {
        self.region
    }

    /// The service.
    pub fn service(&self) -> &'a Service {
        self.service
    }

    /// The length of the scope text.
    pub(crate) fn text_len(&self) -> usize {
        8 + 1 + self.region.as_str().len() + 1 + self.service.as_str().len() + 13
    }

    /// Feeds the scope text to a sink without building a string.
    pub(crate) fn write_to(&self, sink: &mut impl crate::sink::Sink) {
        sink.put(self.date.date().as_bytes());
        sink.put(b"/");
        sink.put(self.region.as_str().as_bytes());
        sink.put(b"/");
        sink.put(self.service.as_str().as_bytes());
        sink.put(b"/aws4_request");
    }
}

impl fmt::Display for CredentialScope<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}/{}/aws4_request",
            self.date.date(),
            self.region,
            self.service
        )
    }
}

impl fmt::Debug for CredentialScope<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CredentialScope({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses_dates() {
        let d = AmzDate::from_unix_seconds(1_440_938_160).unwrap();
        assert_eq!(d.as_str(), "20150830T123600Z");
        assert_eq!(AmzDate::parse("20150830T123600Z").unwrap(), d);
        assert_eq!(AmzDate::parse_rfc3339("2015-08-30T12:36:00Z").unwrap(), d);
        let leap = AmzDate::parse_rfc3339("2024-02-29T23:59:59Z").unwrap();
        assert_eq!(leap.as_str(), "20240229T235959Z");
        assert_eq!(
            AmzDate::from_unix_seconds(0).unwrap().as_str(),
            "19700101T000000Z"
        );
        assert_eq!(
            AmzDate::from_unix_seconds(MAX_UNIX_SECONDS)
                .unwrap()
                .as_str(),
            "99991231T235959Z"
        );
        assert!(AmzDate::from_unix_seconds(MAX_UNIX_SECONDS + 1).is_err());
        assert!(AmzDate::parse("20150230T123600Z").is_err());
        assert!(AmzDate::parse("20150830T123660Z").is_err());
        assert!(AmzDate::parse("2015083OT123600Z").is_err());
    }

    #[test]
    fn scope_parts_are_validated() {
        for bad in ["", "us/east", "us east", "us\neast", "é"] {
            assert!(Region::new(bad).is_err(), "{bad:?}");
            assert!(Service::new(bad).is_err(), "{bad:?}");
        }
        // Signing names are lower-case; regions of S3-compatible servers
        // are whatever the server calls them.
        for upper in ["S3", "APS", "Sqs"] {
            let err = Service::new(upper).unwrap_err().to_string();
            assert!(err.contains("upper-case"), "{err}");
        }
        for region in ["garage", "auto", "US-EAST", "minio_local"] {
            assert!(Region::new(region).is_ok(), "{region}");
        }
    }
}
