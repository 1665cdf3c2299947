//! Helpers for the AWS SDKs' test data: where it is, an environment made
//! of maps and a case directory, and the tally every suite ends with.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use awsig::provider::{Environment, ProviderError};
use serde_json::Value;

/// `testdata/aws-sdk-config/`.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/aws-sdk-config")
}

/// Variables from a map; files from a map first, then from a case's `fs/`
/// directory (an absolute path `/x` is `<fs>/x`); written files land in a
/// shared map the test can read back; processes run for real, without a
/// shell.
#[derive(Clone, Default)]
pub struct MapEnv {
    pub vars: BTreeMap<String, String>,
    pub files: BTreeMap<PathBuf, Vec<u8>>,
    pub fs_root: Option<PathBuf>,
    pub written: Arc<Mutex<BTreeMap<PathBuf, Vec<u8>>>>,
}

impl MapEnv {
    /// Variables from a JSON object of strings.
    pub fn from_json(vars: &Value) -> Self {
        let mut env = MapEnv::default();
        if let Some(map) = vars.as_object() {
            for (k, v) in map {
                env.vars.insert(k.clone(), v.as_str().unwrap().to_owned());
            }
        }
        env
    }
}

impl Environment for MapEnv {
    fn var(&self, name: &str) -> Option<String> {
        self.vars.get(name).cloned()
    }

    fn read_file(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        if let Some(bytes) = self.written.lock().unwrap().get(path) {
            return Ok(bytes.clone());
        }
        if let Some(bytes) = self.files.get(path) {
            return Ok(bytes.clone());
        }
        match &self.fs_root {
            Some(fs) if path.is_absolute() => {
                std::fs::read(fs.join(path.strip_prefix("/").unwrap_or(path)))
            }
            _ => Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "No such file or directory (os error 2)",
            )),
        }
    }

    fn run_process(&self, argv: &[String]) -> Result<Vec<u8>, ProviderError> {
        awsig::provider::process::run(argv)
    }

    fn write_file(&self, path: &Path, contents: &[u8]) -> std::io::Result<()> {
        self.written
            .lock()
            .unwrap()
            .insert(path.to_owned(), contents.to_vec());
        Ok(())
    }
}

/// The tally of one file's cases.
pub struct Outcome {
    file: &'static str,
    total: usize,
    passed: Vec<String>,
    listed: Vec<String>,
    failures: Vec<String>,
}

impl Outcome {
    pub fn new(file: &'static str, total: usize) -> Self {
        Self {
            file,
            total,
            passed: Vec::new(),
            listed: Vec::new(),
            failures: Vec::new(),
        }
    }

    /// Records a case's result, checking it against the list of cases not
    /// passed on purpose.
    pub fn record(&mut self, case: &str, result: Result<(), String>) {
        let listed = crate::LISTED
            .iter()
            .find(|(file, name, _)| *file == self.file && *name == case);
        match (result, listed) {
            (Ok(()), None) => self.passed.push(case.to_owned()),
            (Ok(()), Some(_)) => self.failures.push(format!(
                "{case}: listed as not passing, but passes: take it off the list"
            )),
            (Err(_), Some((_, _, reason))) => {
                self.listed.push(format!("{case}: {reason}"));
            }
            (Err(e), None) => self.failures.push(format!("{case}: {e}")),
        }
    }

    /// Fails with every failing case named, or when fewer cases ran than
    /// the file holds (`expected` is the count read from the file by hand,
    /// so a file that shrinks is noticed too).
    pub fn finish(self, expected: usize) {
        let ran = self.passed.len() + self.listed.len() + self.failures.len();
        println!(
            "{}: {} cases, {} passed, {} listed",
            self.file,
            self.total,
            self.passed.len(),
            self.listed.len()
        );
        for l in &self.listed {
            println!("  listed: {l}");
        }
        let listed_here = crate::LISTED
            .iter()
            .filter(|(file, _, _)| *file == self.file)
            .count();
        assert!(
            self.failures.is_empty(),
            "{}: {} of {} cases failed:\n{}",
            self.file,
            self.failures.len(),
            self.total,
            self.failures.join("\n")
        );
        assert_eq!(
            listed_here,
            self.listed.len(),
            "{}: a listed case names no case of the file",
            self.file
        );
        assert_eq!(
            ran, self.total,
            "{}: ran {ran} of {} cases",
            self.file, self.total
        );
        assert_eq!(
            self.total, expected,
            "{}: the file holds {} cases, {expected} expected",
            self.file, self.total
        );
    }
}

/// Seconds since 1970 of `YYYY-MM-DDTHH:MM:SSZ`.
pub fn epoch_of(text: &str) -> u64 {
    let n = |a: usize, b: usize| -> i64 { text[a..b].parse().unwrap() };
    let (y, m, d) = (n(0, 4), n(5, 7), n(8, 10));
    // Days from civil (proleptic Gregorian), 1970-01-01 = 0.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    u64::try_from(days * 86_400 + n(11, 13) * 3600 + n(14, 16) * 60 + n(17, 19)).unwrap()
}
