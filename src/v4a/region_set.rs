//! The region set: the regions a SigV4a signature is valid in.

use std::fmt;

use crate::error::{Error, lossy};

/// The longest region set accepted, in bytes.
pub const MAX_REGION_SET_BYTES: usize = 1024;

/// The regions a SigV4a signature is valid in: one region, several joined
/// with ',' (`us-east-1,us-west-2`), or `*` for every region. It travels in
/// the signed `x-amz-region-set` header, or in the `X-Amz-Region-Set`
/// parameter of a presigned URL.
///
/// An entry may hold `*`, which stands for any run of characters: `*` is
/// every region, `us-*` every region whose name starts with `us-`.
///
/// ```
/// use awsig::v4a::RegionSet;
/// let set = RegionSet::new("us-east-1,us-west-2")?;
/// assert!(set.contains("us-west-2"));
/// assert!(!set.contains("eu-west-1"));
/// assert!(RegionSet::new("*")?.contains("eu-west-1"));
/// assert!(RegionSet::new("us-east-1, us-west-2").is_err());
/// # Ok::<(), awsig::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct RegionSet(String);

impl RegionSet {
    /// Validates a region set: 1 to [`MAX_REGION_SET_BYTES`] bytes of
    /// entries joined with ','; each entry 1 to 64 bytes of visible ASCII
    /// other than '/' and ','.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRegionSet`] naming what is wrong.
    pub fn new(text: &str) -> Result<Self, Error> {
        check(text).map_err(|reason| Error::InvalidRegionSet {
            region_set: lossy(text.as_bytes()),
            reason,
        })?;
        Ok(Self(text.to_owned()))
    }

    /// The set as it is signed: `us-east-1,us-west-2`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The entries, in the order given.
    pub fn regions(&self) -> impl Iterator<Item = &str> {
        self.0.split(',')
    }

    /// Whether `region` is in the set (matching `*` in an entry as any run
    /// of characters).
    pub fn contains(&self, region: &str) -> bool {
        self.regions().any(|entry| glob_match(entry, region))
    }
}

fn check(text: &str) -> Result<(), &'static str> {
    if text.is_empty() {
        return Err("it is empty");
    }
    if text.len() > MAX_REGION_SET_BYTES {
        return Err("it is longer than 1024 bytes");
    }
    for entry in text.split(',') {
        if entry.is_empty() {
            return Err("it has an empty entry");
        }
        if entry.len() > 64 {
            return Err("an entry is longer than 64 bytes");
        }
        if !entry.bytes().all(|b| b.is_ascii_graphic() && b != b'/') {
            return Err("an entry holds whitespace, '/', a control or a non-ASCII character");
        }
    }
    Ok(())
}

/// Whether `text` matches `pattern`, where `*` stands for any run of
/// characters. Linear in their lengths: on a mismatch after a `*`, that
/// `*` takes one more character.
fn glob_match(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some(b'*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(&c) if t.get(ti) == Some(&c) => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..).unwrap_or(&[]).iter().all(|&c| c == b'*')
}

impl fmt::Display for RegionSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for RegionSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RegionSet({:?})", self.0)
    }
}

impl std::str::FromStr for RegionSet {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates() {
        for good in ["us-east-1", "us-east-1,us-west-2", "*", "us-*", "a"] {
            assert!(RegionSet::new(good).is_ok(), "{good}");
        }
        let long = "a".repeat(65);
        for bad in [
            "",
            ",",
            "us-east-1,",
            ",us-east-1",
            "us-east-1,,us-west-2",
            "us east",
            "us/east",
            "é",
            "us-east-1\n",
            long.as_str(),
        ] {
            assert!(
                matches!(RegionSet::new(bad), Err(Error::InvalidRegionSet { .. })),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn matches_entries_and_wildcards() {
        let set = RegionSet::new("us-east-1,eu-*").unwrap();
        assert!(set.contains("us-east-1"));
        assert!(set.contains("eu-west-1"));
        assert!(!set.contains("us-east-2"));
        assert!(!set.contains("us-east-"));
        assert!(RegionSet::new("*").unwrap().contains("ap-south-1"));
        assert!(RegionSet::new("*-1").unwrap().contains("ap-south-1"));
        assert!(!RegionSet::new("*-1").unwrap().contains("ap-south-2"));
        assert!(RegionSet::new("a*b*c").unwrap().contains("axxbyyc"));
        assert!(!RegionSet::new("a*b*c").unwrap().contains("axxbyy"));
    }
}
