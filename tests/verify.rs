//! Verification against the AWS signing test suite: every signed request
//! verifies with its context's credentials and time, and any single-byte
//! change to a signed part is rejected with the code AWS would answer.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use awsig::{
    AmzDate, Credentials, PathNormalization, Payload, Policy, Rejection, RequestText, ServiceRules,
    SessionTokenMode, Settings, Verified,
};
use proptest::prelude::*;

const SUITE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/testdata/aws-signing-test-suite/v4"
);
const SUITE_SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

/// One signed request of the suite, with what verifying it needs.
#[derive(Clone, Debug)]
struct Case {
    name: String,
    query_signed: bool,
    credentials: Credentials,
    region: String,
    service: String,
    time: SystemTime,
    normalize: bool,
    /// The token is added after signing and not signed.
    omit_token: bool,
    req: Req,
}

/// A request as plain parts, easy to change one byte of.
#[derive(Clone, Debug)]
struct Req {
    method: String,
    target: String,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
}

impl Req {
    fn read(path: &Path) -> Self {
        let text = RequestText::parse(&std::fs::read(path).unwrap()).unwrap();
        Self {
            method: text.method().to_owned(),
            target: text.target().to_owned(),
            headers: text.headers().to_vec(),
            body: text.body().to_vec(),
        }
    }

    fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_slice())
    }
}

impl Case {
    fn policy(&self) -> Policy {
        let normalization = if self.normalize {
            PathNormalization::Enabled
        } else {
            PathNormalization::Disabled
        };
        let token = if self.omit_token {
            SessionTokenMode::AddedAfterSigning
        } else {
            SessionTokenMode::Signed
        };
        Policy::new()
            .with_regions([self.region.clone()])
            .with_services([self.service.clone()])
            .with_rules(ServiceRules::Fixed(
                Settings::default()
                    .with_path_normalization(normalization)
                    .with_session_token(token),
            ))
    }

    fn verify(&self, req: &Req) -> Result<Verified, Rejection> {
        self.verify_with(req, &self.policy())
    }

    fn verify_with(&self, req: &Req, policy: &Policy) -> Result<Verified, Rejection> {
        let pairs: Vec<(&str, &[u8])> = req
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_slice()))
            .collect();
        let view = awsig::SignableRequest::new(&req.method, &req.target, &pairs)
            .map_err(|error| Rejection::InvalidRequest { error })?;
        awsig::verify(
            &view,
            Payload::Body(&req.body),
            &self.credentials,
            self.time,
            policy,
        )
    }

    /// The signed header names the request itself lists.
    fn signed_headers(&self) -> Vec<String> {
        if self.query_signed {
            let q = self.req.target.split_once('?').unwrap().1;
            let v = param(q, "X-Amz-SignedHeaders").unwrap();
            v.replace("%3B", ";")
                .split(';')
                .map(str::to_owned)
                .collect()
        } else {
            let auth =
                String::from_utf8(self.req.header("authorization").unwrap().to_vec()).unwrap();
            let sh = auth.split("SignedHeaders=").nth(1).unwrap();
            let sh = sh.split(',').next().unwrap();
            sh.split(';').map(str::to_owned).collect()
        }
    }
}

fn param<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    query
        .split('&')
        .find_map(|p| p.strip_prefix(name).and_then(|r| r.strip_prefix('=')))
}

fn rfc3339(t: &str) -> SystemTime {
    AmzDate::parse_rfc3339(t).unwrap().to_system_time()
}

fn cases() -> Vec<Case> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(SUITE)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    dirs.sort();
    let mut out = Vec::new();
    for dir in dirs {
        let name = dir.file_name().unwrap().to_str().unwrap().to_owned();
        let ctx = dir.join("context.json");
        let (credentials, region, service, time, normalize, omit_token) = if ctx.exists() {
            let v: serde_json::Value =
                serde_json::from_slice(&std::fs::read(&ctx).unwrap()).unwrap();
            let c = &v["credentials"];
            let creds = Credentials::build(
                c["access_key_id"].as_str().unwrap(),
                c["secret_access_key"].as_str().unwrap(),
                c["token"].as_str(),
                None,
            )
            .unwrap();
            (
                creds,
                v["region"].as_str().unwrap().to_owned(),
                v["service"].as_str().unwrap().to_owned(),
                rfc3339(v["timestamp"].as_str().unwrap()),
                v["normalize"].as_bool().unwrap(),
                v["omit_session_token"].as_bool().unwrap_or(false),
            )
        } else if name == "double-url-encode" {
            (
                Credentials::new("AKIDEXAMPLE", SUITE_SECRET).unwrap(),
                "us-east-2".to_owned(),
                "lambda".to_owned(),
                rfc3339("2021-05-11T15:40:45Z"),
                true,
                false,
            )
        } else if name == "double-encode-path" {
            (
                Credentials::new("ANOTREAL", "notrealrnrELgWzOk3IfjzDKtFBhDby").unwrap(),
                "us-east-1".to_owned(),
                "service".to_owned(),
                rfc3339("2015-08-30T12:36:00Z"),
                true,
                false,
            )
        } else {
            panic!("suite case {name} has no context and is not a known legacy case");
        };
        for (file, query_signed) in [
            ("header-signed-request.txt", false),
            ("query-signed-request.txt", true),
        ] {
            let path = dir.join(file);
            if !path.exists() {
                continue;
            }
            out.push(Case {
                name: format!("{name}/{file}"),
                query_signed,
                credentials: credentials.clone(),
                region: region.clone(),
                service: service.clone(),
                time,
                normalize,
                omit_token,
                req: Req::read(&path),
            });
        }
    }
    out
}

#[test]
fn every_suite_signed_request_verifies() {
    let cases = cases();
    assert!(
        cases.len() >= 78,
        "only {} signed requests found",
        cases.len()
    );
    for case in &cases {
        let ok = case
            .verify(&case.req)
            .unwrap_or_else(|e| panic!("{}: {} ({e})", case.name, e.code()));
        assert_eq!(ok.access_key_id(), case.credentials.access_key_id());
        assert_eq!(ok.region().as_str(), case.region);
        assert_eq!(ok.service().as_str(), case.service);
    }
}

#[test]
fn suite_requests_fail_with_another_secret_and_show_what_was_computed() {
    for mut case in cases() {
        case.credentials = Credentials::build(
            case.credentials.access_key_id(),
            "another-secret",
            case.credentials.session_token(),
            None,
        )
        .unwrap();
        // Every header value disclosed, as S3 does.
        let disclosing = case.policy().with_disclosed_headers(["*"]);
        let err = case.verify_with(&case.req, &disclosing).unwrap_err();
        assert_eq!(err.code(), "SignatureDoesNotMatch", "{}", case.name);
        assert_eq!(err.status(), 403);
        // By default, the values of headers that a client does not set as
        // part of the AWS protocol (`my-header1`, ...) and the token are
        // withheld; the rest of the text is the same.
        let default = case.verify(&case.req).unwrap_err();
        let shown = default.mismatch().unwrap().canonical_request().to_string();
        let full = err.mismatch().unwrap().canonical_request().to_string();
        assert_eq!(shown.lines().count(), full.lines().count());
        // The documented rule: values shown for `host`, `content-*`, `range`,
        // `date`, `cache-control`, `expires`, the conditional headers and
        // `x-amz-*` but the token and the SSE-C keys.
        let disclosed = |n: &str| {
            (matches!(n, "host" | "range" | "date" | "cache-control" | "expires")
                || n.starts_with("content-")
                || n.starts_with("if-")
                || n.starts_with("x-amz-"))
                && n != "x-amz-security-token"
        };
        let header_lines = 3..3 + full.lines().skip(3).position(|l| l.is_empty()).unwrap();
        for (i, (s, f)) in shown.lines().zip(full.lines()).enumerate() {
            let name = f.split_once(':').map_or("", |(n, _)| n);
            if header_lines.contains(&i) && !disclosed(name) {
                assert_eq!(s, format!("{name}:<redacted>"), "{}", case.name);
            } else {
                assert_eq!(s, f, "{}", case.name);
            }
        }
        // The computed canonical request is the suite's own, for this case.
        let dir = Path::new(SUITE).join(case.name.split('/').next().unwrap());
        let file = if case.query_signed {
            "query-canonical-request.txt"
        } else {
            "header-canonical-request.txt"
        };
        if case.name.starts_with("double-encode-path/") {
            // Its canonical file carries another x-amz-date (20210511T154045Z)
            // than its signed request (20150830T123600Z): it does not
            // describe that request.
            continue;
        }
        let expected = std::fs::read_to_string(dir.join(file)).unwrap();
        let mismatch = err.mismatch().unwrap();
        // get-space-normalized: the suite's canonical file is for `%20`,
        // the signed file has a raw space; both canonicalize alike.
        assert_eq!(
            mismatch.canonical_request().to_string(),
            expected.trim_end_matches('\n'),
            "{}",
            case.name
        );
        assert!(!format!("{err:?}").contains("another-secret"));
        if let Some(token) = case.credentials.session_token() {
            assert!(!format!("{err:?}").contains(token), "{}", case.name);
        }
    }
}

/// Which part of a request a mutation changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Part {
    Method,
    Path,
    Query,
    HeaderName,
    HeaderValue,
    Body,
    Date,
    Scope,
    Expires,
}

const PARTS: [Part; 9] = [
    Part::Method,
    Part::Path,
    Part::Query,
    Part::HeaderName,
    Part::HeaderValue,
    Part::Body,
    Part::Date,
    Part::Scope,
    Part::Expires,
];

/// Where one byte can change: which string, and the byte's position.
#[derive(Clone, Copy, Debug)]
enum Spot {
    Method(usize),
    Target(usize),
    Name(usize, usize),
    Value(usize, usize),
    Body(usize),
}

/// The positions of bytes in `text[range]` whose change alters the
/// canonical request: ASCII letters and digits outside `%XX` escapes.
fn alnum_positions(text: &[u8], from: usize, to: usize) -> Vec<usize> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < text.len() {
        if text[i] == b'%' {
            i += 3;
            continue;
        }
        if i >= from && i < to && text[i].is_ascii_alphanumeric() {
            out.push(i);
        }
        i += 1;
    }
    out
}

/// Byte ranges of the path segments that survive RFC 3986 dot-segment
/// removal (all of them when the case does not normalize).
fn kept_segments(path: &str, normalize: bool) -> Vec<(usize, usize)> {
    let mut stack: Vec<(usize, usize)> = Vec::new();
    let mut start = 0;
    for seg in path.split('/') {
        let range = (start, start + seg.len());
        start += seg.len() + 1;
        if normalize {
            match seg {
                "" | "." => {}
                ".." => {
                    stack.pop();
                }
                _ => stack.push(range),
            }
        } else {
            stack.push(range);
        }
    }
    stack
}

/// Query parameters in `target` as (key start, value start, end) byte offsets.
fn query_params(target: &str) -> Vec<(String, usize, usize, usize)> {
    let Some(q) = target.find('?') else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut start = q + 1;
    for piece in target[q + 1..].split('&') {
        let end = start + piece.len();
        let (key, vstart) = match piece.find('=') {
            Some(eq) => (&piece[..eq], start + eq + 1),
            None => (piece, end),
        };
        out.push((key.to_owned(), start, vstart, end));
        start = end + 1;
    }
    out
}

fn spots(case: &Case, part: Part) -> Vec<Spot> {
    let req = &case.req;
    let target = req.target.as_bytes();
    let path_end = req.target.find('?').unwrap_or(req.target.len());
    let signed = case.signed_headers();
    let is_signed = |n: &str| signed.iter().any(|s| s.eq_ignore_ascii_case(n));
    let param_spots = |name: &str| -> Vec<Spot> {
        query_params(&req.target)
            .into_iter()
            .filter(|(k, ..)| k == name)
            .flat_map(|(_, _, v, e)| alnum_positions(target, v, e))
            .map(Spot::Target)
            .collect()
    };
    let header_value_spots = |name: &str| -> Vec<Spot> {
        req.headers
            .iter()
            .enumerate()
            .filter(|(_, (n, _))| n.eq_ignore_ascii_case(name))
            .flat_map(|(i, (_, v))| {
                alnum_positions(v, 0, v.len())
                    .into_iter()
                    .map(move |p| Spot::Value(i, p))
            })
            .collect()
    };
    match part {
        Part::Method => (0..req.method.len()).map(Spot::Method).collect(),
        Part::Path => kept_segments(&req.target[..path_end], case.normalize)
            .into_iter()
            .flat_map(|(a, b)| alnum_positions(&target[..path_end], a, b))
            .map(Spot::Target)
            .collect(),
        Part::Query => query_params(&req.target)
            .into_iter()
            .filter(|(k, ..)| !awsig::AUTH_PARAMS.contains(&k.as_str()))
            .flat_map(|(_, k, _, e)| alnum_positions(target, k, e))
            .map(Spot::Target)
            .collect(),
        Part::HeaderName => req
            .headers
            .iter()
            .enumerate()
            .filter(|(_, (n, _))| is_signed(n))
            .flat_map(|(i, (n, _))| {
                alnum_positions(n.as_bytes(), 0, n.len())
                    .into_iter()
                    .map(move |p| Spot::Name(i, p))
            })
            .collect(),
        Part::HeaderValue => req
            .headers
            .iter()
            .enumerate()
            .filter(|(_, (n, _))| is_signed(n) && !n.eq_ignore_ascii_case("x-amz-date"))
            .flat_map(|(i, (_, v))| {
                alnum_positions(v, 0, v.len())
                    .into_iter()
                    .map(move |p| Spot::Value(i, p))
            })
            .collect(),
        Part::Body => (0..req.body.len())
            .filter(|&i| req.body[i].is_ascii_alphanumeric())
            .map(Spot::Body)
            .collect(),
        Part::Date if case.query_signed => param_spots("X-Amz-Date"),
        Part::Date => header_value_spots("x-amz-date"),
        Part::Scope if case.query_signed => param_spots("X-Amz-Credential"),
        Part::Scope => {
            let (i, v) = req
                .headers
                .iter()
                .enumerate()
                .find(|(_, (n, _))| n.eq_ignore_ascii_case("authorization"))
                .map(|(i, (_, v))| (i, v))
                .unwrap();
            let text = std::str::from_utf8(v).unwrap();
            let start = text.find("Credential=").unwrap() + "Credential=".len();
            let end = start + text[start..].find(',').unwrap();
            alnum_positions(v, start, end)
                .into_iter()
                .map(|p| Spot::Value(i, p))
                .collect()
        }
        Part::Expires if case.query_signed => param_spots("X-Amz-Expires"),
        Part::Expires => Vec::new(),
    }
}

/// A different byte of the same class: digit for digit, letter for a
/// letter that differs even ignoring case (same case as the original).
fn replacement(original: u8, seed: u8) -> u8 {
    if original.is_ascii_digit() {
        b'0' + (original - b'0' + 1 + seed % 9) % 10
    } else {
        let lower = original.to_ascii_lowercase() - b'a';
        let new = b'a' + (lower + 1 + seed % 25) % 26;
        if original.is_ascii_uppercase() {
            new.to_ascii_uppercase()
        } else {
            new
        }
    }
}

fn apply(req: &Req, spot: Spot, seed: u8) -> Req {
    let mut out = req.clone();
    let change = |b: &mut u8| *b = replacement(*b, seed);
    match spot {
        Spot::Method(p) => edit_ascii(&mut out.method, p, seed),
        Spot::Target(p) => edit_ascii(&mut out.target, p, seed),
        Spot::Name(i, p) => edit_ascii(&mut out.headers[i].0, p, seed),
        Spot::Value(i, p) => change(&mut out.headers[i].1[p]),
        Spot::Body(p) => change(&mut out.body[p]),
    }
    out
}

/// Replaces the ASCII byte at `p` of a string.
fn edit_ascii(s: &mut String, p: usize, seed: u8) {
    let mut bytes = std::mem::take(s).into_bytes();
    bytes[p] = replacement(bytes[p], seed);
    *s = String::from_utf8(bytes).unwrap();
}

/// Checks YYYYMMDDTHHMMSSZ by the calendar, independently of the crate.
fn valid_amz_date(t: &str) -> bool {
    let b = t.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| t[r].parse::<u32>().ok();
    let (Some(y), Some(m), Some(d), Some(h), Some(mi), Some(s)) = (
        num(0..4),
        num(4..6),
        num(6..8),
        num(9..11),
        num(11..13),
        num(13..15),
    ) else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = [
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
    y >= 1970
        && (1..=12).contains(&m)
        && d >= 1
        && d <= days[m as usize - 1]
        && h < 24
        && mi < 60
        && s < 60
}

/// Seconds since the epoch of a valid YYYYMMDDTHHMMSSZ (days counted by hand).
fn amz_unix(t: &str) -> i64 {
    let num = |r: std::ops::Range<usize>| t[r].parse::<i64>().unwrap();
    let (y, m, d) = (num(0..4), num(4..6), num(6..8));
    let leap = |y: i64| (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let mut days = 0;
    for year in 1970..y {
        days += if leap(year) { 366 } else { 365 };
    }
    let month_days = [
        31,
        if leap(y) { 29 } else { 28 },
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
    days += month_days[..(m - 1) as usize].iter().sum::<i64>() + d - 1;
    days * 86_400 + num(9..11) * 3600 + num(11..13) * 60 + num(13..15)
}

/// The AWS error code a changed request must get, reasoned from the change
/// and the AWS rules (not from the crate's output).
fn expected_code(case: &Case, part: Part, spot: Spot, changed: &Req) -> &'static str {
    let header_name = |i: usize| case.req.headers[i].0.to_ascii_lowercase();
    let malformed = if case.query_signed {
        "AuthorizationQueryParametersError"
    } else {
        "AuthorizationHeaderMalformed"
    };
    let time = case
        .time
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    match part {
        Part::Method | Part::Path | Part::Query => "SignatureDoesNotMatch",
        Part::HeaderName | Part::HeaderValue => {
            let (Spot::Name(i, _) | Spot::Value(i, _)) = spot else {
                unreachable!()
            };
            let renamed = changed.headers[i].0.to_ascii_lowercase();
            if part == Part::HeaderName
                && renamed.starts_with("x-amz-")
                && !case.signed_headers().contains(&renamed)
            {
                // An x-amz-* header the signature does not cover: S3's
                // "headers present in the request which were not signed".
                return "AccessDenied";
            }
            match (header_name(i).as_str(), part) {
                ("x-amz-date", Part::HeaderName) => "AccessDenied",
                ("x-amz-security-token", _) => "InvalidToken",
                ("x-amz-content-sha256", Part::HeaderValue) => {
                    let v = &changed.headers[i].1;
                    if v.len() == 64 && v.iter().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
                        "XAmzContentSHA256Mismatch"
                    } else {
                        "InvalidArgument"
                    }
                }
                _ => "SignatureDoesNotMatch",
            }
        }
        Part::Body => {
            if case.req.header("x-amz-content-sha256").is_some() {
                "XAmzContentSHA256Mismatch"
            } else {
                "SignatureDoesNotMatch"
            }
        }
        Part::Date => {
            let date = if case.query_signed {
                let q = changed.target.split_once('?').unwrap().1;
                param(q, "X-Amz-Date").unwrap().to_owned()
            } else {
                String::from_utf8(changed.header("x-amz-date").unwrap().to_vec()).unwrap()
            };
            let scope_date = AmzDate::from_system_time(case.time)
                .unwrap()
                .date()
                .to_owned();
            if !valid_amz_date(&date) {
                if case.query_signed {
                    malformed
                } else {
                    "AccessDenied"
                }
            } else if date[..8] != scope_date {
                malformed
            } else {
                let delta = amz_unix(&date) - time;
                if case.query_signed {
                    // Valid from 15 minutes before the signing time, for
                    // X-Amz-Expires (3600 in the suite) seconds after it.
                    if delta > 15 * 60 {
                        "AccessDenied"
                    } else if -delta > 3600 {
                        "RequestExpired"
                    } else {
                        "SignatureDoesNotMatch"
                    }
                } else if delta.abs() > 15 * 60 {
                    "RequestTimeTooSkewed"
                } else {
                    "SignatureDoesNotMatch"
                }
            }
        }
        Part::Scope => {
            // The access key id comes first, up to the first '/'.
            let (text, pos) = match spot {
                Spot::Value(i, p) => (String::from_utf8(case.req.headers[i].1.clone()).unwrap(), p),
                Spot::Target(p) => (case.req.target.clone(), p),
                _ => unreachable!(),
            };
            let start = if case.query_signed {
                text.find("X-Amz-Credential=").unwrap() + "X-Amz-Credential=".len()
            } else {
                text.find("Credential=").unwrap() + "Credential=".len()
            };
            let key_end = start + text[start..].find(['/', '%']).unwrap();
            if pos < key_end {
                "InvalidAccessKeyId"
            } else {
                malformed
            }
        }
        Part::Expires => {
            let q = changed.target.split_once('?').unwrap().1;
            let expires: u64 = param(q, "X-Amz-Expires").unwrap().parse().unwrap();
            if expires == 0 || expires > 604_800 {
                malformed
            } else {
                "SignatureDoesNotMatch"
            }
        }
    }
}

fn check_mutation(case: &Case, part: Part, pick: usize, seed: u8) -> Result<(), TestCaseError> {
    let spots = spots(case, part);
    if spots.is_empty() {
        return Ok(());
    }
    let spot = spots[pick % spots.len()];
    let changed = apply(&case.req, spot, seed);
    let want = expected_code(case, part, spot, &changed);
    match case.verify(&changed) {
        Ok(_) => Err(TestCaseError::fail(format!(
            "{}: {part:?} change at {spot:?} was accepted",
            case.name
        ))),
        Err(e) => {
            prop_assert_eq!(
                e.code(),
                want,
                "{}: {:?} change at {:?}: {}",
                &case.name,
                part,
                spot,
                e
            );
            Ok(())
        }
    }
}

#[test]
fn every_part_of_every_case_has_something_to_change() {
    // The property below only means something if the parts exist.
    let cases = cases();
    for part in PARTS {
        let n = cases.iter().filter(|c| !spots(c, part).is_empty()).count();
        assert!(n > 0, "{part:?} can be changed in no case");
    }
    for c in &cases {
        for part in [
            Part::Method,
            Part::HeaderName,
            Part::HeaderValue,
            Part::Date,
            Part::Scope,
        ] {
            assert!(!spots(c, part).is_empty(), "{}: no {part:?}", c.name);
        }
    }
}

/// Every byte change of every part of every case, once (deterministic sweep).
#[test]
fn every_single_byte_change_is_rejected() {
    let mut checked = 0;
    for case in cases() {
        assert!(case.verify(&case.req).is_ok(), "{}", case.name);
        for part in PARTS {
            for pick in 0..spots(&case, part).len() {
                check_mutation(&case, part, pick, (pick % 7) as u8).unwrap();
                checked += 1;
            }
        }
    }
    eprintln!("{checked} single-byte changes checked");
    assert!(checked > 3000, "only {checked} changes checked");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Random single-byte changes with random replacement bytes.
    #[test]
    fn any_single_byte_change_is_rejected(
        index in any::<prop::sample::Index>(),
        part in prop::sample::select(PARTS.to_vec()),
        pick in any::<usize>(),
        seed in any::<u8>(),
    ) {
        thread_local! {
            static CASES: Vec<Case> = cases();
        }
        CASES.with(|cases| {
            let case = index.get(cases);
            check_mutation(case, part, pick, seed)
        })?;
    }
}

/// The token error says what is wrong with the token: missing, unexpected,
/// repeated, or another one.
#[test]
fn token_errors_say_what_is_wrong() {
    use awsig::{Credentials, Payload, PayloadHash, Policy, Rejection, Signer, TokenProblem};
    use std::time::{Duration, UNIX_EPOCH};

    let now = UNIX_EPOCH + Duration::from_secs(1_440_938_160);
    let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    let plain = Credentials::new("AKIDEXAMPLE", secret).unwrap();
    let temporary =
        |token: &str| Credentials::build("AKIDEXAMPLE", secret, Some(token), None).unwrap();
    let signed = |creds: &Credentials| {
        let signer = Signer::new(creds.clone(), "us-east-1", "sqs").unwrap();
        let mut req = http::Request::get("https://sqs.us-east-1.amazonaws.com/")
            .body(Vec::new())
            .unwrap();
        signer.sign(&mut req, &PayloadHash::of(b""), now).unwrap();
        req
    };
    let problem = |req: &http::Request<Vec<u8>>, server: &Credentials| match awsig::verify_request(
        req,
        Payload::Body(req.body()),
        server,
        now,
        &Policy::new(),
    ) {
        Err(Rejection::InvalidToken { problem }) => problem,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        problem(&signed(&plain), &temporary("t1")),
        TokenProblem::Missing
    );
    assert_eq!(
        problem(&signed(&temporary("t1")), &plain),
        TokenProblem::Unexpected
    );
    assert_eq!(
        problem(&signed(&temporary("t1")), &temporary("t2")),
        TokenProblem::DoesNotMatch
    );
    let mut twice = signed(&temporary("t1"));
    twice
        .headers_mut()
        .append("x-amz-security-token", http::HeaderValue::from_static("t1"));
    assert_eq!(problem(&twice, &temporary("t1")), TokenProblem::Repeated);
    let message = Rejection::InvalidToken {
        problem: TokenProblem::Missing,
    }
    .to_string();
    assert!(message.contains("missing"), "{message}");
}
