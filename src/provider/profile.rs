//! The shared `config` and `credentials` files.
//!
//! Parsing is a pure function from text to a [`ProfileSet`]; reading the
//! files is the thin [`ProfileSet::load`].
//!
//! The format, with the AWS CLI's rules:
//!
//! - `[name]` starts a section. In the config file a profile is
//!   `[profile name]` (`[default]` also works); other sections
//!   (`[sso-session x]`, `[services x]`, ...) are not profiles. In the
//!   credentials file every section is a profile, named as written.
//! - `key = value` (or `key: value`); keys are case-insensitive
//!   (lowercased), values are trimmed and keep their case.
//! - A line whose first non-blank character is `#` or `;` is a comment.
//!   There are no inline comments: `region = us-east-1 # x` has the value
//!   `us-east-1 # x`.
//! - An indented line continues the previous value. A key with an empty
//!   value followed by indented `key = value` lines is a sub-section
//!   (`s3 =` / `  max_concurrent_requests = 20`).
//! - A section or key repeated in the same file is an error, as are a
//!   key before any section and a line without `=`.
//! - A profile present in both files has the keys of both; the credentials
//!   file wins for a key in both.

use std::collections::BTreeMap;
use std::path::PathBuf;

use zeroize::Zeroizing;

use super::{Environment, ProviderError, non_empty};

/// The config file's path variable.
pub const AWS_CONFIG_FILE: &str = "AWS_CONFIG_FILE";
/// The credentials file's path variable.
pub const AWS_SHARED_CREDENTIALS_FILE: &str = "AWS_SHARED_CREDENTIALS_FILE";
/// The profile variable.
pub const AWS_PROFILE: &str = "AWS_PROFILE";
/// The older profile variable, read first by the AWS CLI.
pub const AWS_DEFAULT_PROFILE: &str = "AWS_DEFAULT_PROFILE";

/// One profile: its keys and sub-sections.
///
/// Values are zeroized when dropped; `Debug` shows every key but masks the
/// values of keys that name a secret or a token.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Profile {
    properties: BTreeMap<String, Zeroizing<String>>,
    sub_sections: BTreeMap<String, BTreeMap<String, String>>,
}

impl Profile {
    /// A key's value (keys are lowercase).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.properties.get(key).map(|v| v.as_str())
    }

    /// A sub-section (`s3 =` followed by indented lines).
    pub fn sub_section(&self, key: &str) -> Option<&BTreeMap<String, String>> {
        self.sub_sections.get(key)
    }

    /// Whether the key is present, as a value or a sub-section.
    pub fn contains(&self, key: &str) -> bool {
        self.properties.contains_key(key) || self.sub_sections.contains_key(key)
    }

    /// The keys with plain values, sorted.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.properties.keys().map(String::as_str)
    }

    fn merge_from(&mut self, other: &Profile) {
        for (k, v) in &other.properties {
            self.sub_sections.remove(k);
            self.properties.insert(k.clone(), v.clone());
        }
        for (k, v) in &other.sub_sections {
            self.properties.remove(k);
            self.sub_sections.insert(k.clone(), v.clone());
        }
    }
}

/// Whether a key's value is a secret to mask in `Debug`.
fn is_sensitive(key: &str) -> bool {
    key.contains("secret") || key.ends_with("_token")
}

impl std::fmt::Debug for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut m = f.debug_map();
        for (k, v) in &self.properties {
            if is_sensitive(k) {
                m.entry(k, &"** redacted **");
            } else {
                m.entry(k, &v.as_str());
            }
        }
        for (k, v) in &self.sub_sections {
            m.entry(k, v);
        }
        m.finish()
    }
}

/// A section of an INI file as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// The text between the brackets.
    pub name: String,
    /// The 1-based line of its header.
    pub line: usize,
    /// Its contents.
    pub profile: Profile,
}

/// Which file a text comes from: decides how sections map to profiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// `~/.aws/config`: profiles are `[profile name]` or `[default]`.
    Config,
    /// `~/.aws/credentials`: every section is a profile.
    Credentials,
}

impl FileKind {
    fn label(self) -> &'static str {
        match self {
            FileKind::Config => "config",
            FileKind::Credentials => "credentials",
        }
    }
}

/// Parses an INI text into its sections, in file order.
///
/// `file` names the file in errors. Never panics.
///
/// # Errors
///
/// [`ProviderError::Parse`] when a line is neither a section, a property, a continuation, a comment nor blank; it names the file and the line.
pub fn parse_ini(text: &str, file: &str) -> Result<Vec<Section>, ProviderError> {
    struct Opt {
        key: String,
        lines: Vec<Zeroizing<String>>,
        line: usize,
    }
    struct Raw {
        name: String,
        line: usize,
        opts: Vec<Opt>,
        /// Key → line, to find repeats without a quadratic scan.
        keys: BTreeMap<String, usize>,
    }
    let err = |line: usize, message: String| ProviderError::Parse {
        file: file.to_owned(),
        line,
        message,
    };
    let mut sections: Vec<Raw> = Vec::new();
    let mut section_lines: BTreeMap<String, usize> = BTreeMap::new();
    let mut in_value = false;
    let mut indent_level = 0usize;
    for (index, raw_line) in text.split('\n').enumerate() {
        let lineno = index + 1;
        let stripped = raw_line.trim();
        if stripped.starts_with('#') || stripped.starts_with(';') {
            continue;
        }
        if stripped.is_empty() {
            if in_value {
                if let Some(opt) = sections.last_mut().and_then(|s| s.opts.last_mut()) {
                    opt.lines.push(Zeroizing::new(String::new()));
                }
            }
            continue;
        }
        let indent = raw_line.chars().take_while(|c| c.is_whitespace()).count();
        if in_value && indent > indent_level {
            if let Some(opt) = sections.last_mut().and_then(|s| s.opts.last_mut()) {
                opt.lines.push(Zeroizing::new(stripped.to_owned()));
            }
            continue;
        }
        indent_level = indent;
        if let Some(after) = stripped.strip_prefix('[') {
            if let Some(close) = after.rfind(']').filter(|&i| i > 0) {
                let name = after.get(..close).unwrap_or("");
                if let Some(first) = section_lines.get(name) {
                    return Err(err(
                        lineno,
                        format!("section [{name}] already appears on line {first}"),
                    ));
                }
                section_lines.insert(name.to_owned(), lineno);
                sections.push(Raw {
                    name: name.to_owned(),
                    line: lineno,
                    opts: Vec::new(),
                    keys: BTreeMap::new(),
                });
                in_value = false;
                continue;
            }
        }
        let Some(section) = sections.last_mut() else {
            return Err(err(lineno, "a key outside any [section]".to_owned()));
        };
        let Some(delim) = stripped.find(['=', ':']) else {
            return Err(err(
                lineno,
                "expected `key = value` or a [section] header".to_owned(),
            ));
        };
        let key = stripped
            .get(..delim)
            .unwrap_or("")
            .trim_end()
            .to_lowercase();
        if key.is_empty() {
            return Err(err(lineno, "a value without a key".to_owned()));
        }
        if let Some(first) = section.keys.get(&key) {
            return Err(err(
                lineno,
                format!("key {key:?} already appears on line {first} in this section"),
            ));
        }
        section.keys.insert(key.clone(), lineno);
        let value = stripped.get(delim + 1..).unwrap_or("").trim().to_owned();
        section.opts.push(Opt {
            key,
            lines: vec![Zeroizing::new(value)],
            line: lineno,
        });
        in_value = true;
    }
    let mut out = Vec::with_capacity(sections.len());
    for raw in sections {
        let mut profile = Profile::default();
        for opt in raw.opts {
            let total = opt.lines.iter().map(|l| l.len() + 1).sum();
            // Sized up front so the buffer never moves (and leaves no copy).
            let mut joined = Zeroizing::new(String::with_capacity(total));
            for (i, line) in opt.lines.iter().enumerate() {
                if i > 0 {
                    joined.push('\n');
                }
                joined.push_str(line);
            }
            let value = joined.trim_end().to_owned();
            if let Some(nested) = value.strip_prefix('\n') {
                let mut sub = BTreeMap::new();
                for (offset, line) in nested.split('\n').enumerate() {
                    let line = line.trim();
                    if line.is_empty() {
                        continue;
                    }
                    let Some((k, v)) = line.split_once('=') else {
                        return Err(err(
                            opt.line + offset + 1,
                            format!("expected `key = value` in the sub-section {:?}", opt.key),
                        ));
                    };
                    sub.insert(k.trim().to_owned(), v.trim().to_owned());
                }
                profile.sub_sections.insert(opt.key, sub);
            } else {
                profile.properties.insert(opt.key, Zeroizing::new(value));
            }
        }
        out.push(Section {
            name: raw.name,
            line: raw.line,
            profile,
        });
    }
    Ok(out)
}

/// The profile name a config-file section defines, if it defines one.
fn config_profile_name(section: &str) -> Option<String> {
    if section == "default" {
        return Some(section.to_owned());
    }
    if !section.starts_with("profile") {
        return None;
    }
    let parts = super::process::split_command(section).ok()?;
    match parts.as_slice() {
        [_, name] => Some(name.clone()),
        _ => None,
    }
}

/// The profiles of both shared files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileSet {
    config: BTreeMap<String, Profile>,
    credentials: BTreeMap<String, Profile>,
    merged: BTreeMap<String, Profile>,
}

impl ProfileSet {
    /// Parses the two files' texts (`None` for a missing file). Never panics.
    ///
    /// # Errors
    ///
    /// [`ProviderError::Parse`] when either file cannot be parsed (see [`parse_ini`]).
    pub fn parse(config: Option<&str>, credentials: Option<&str>) -> Result<Self, ProviderError> {
        Self::parse_named(config, "config", credentials, "credentials")
    }

    /// As [`ProfileSet::parse`], from bytes that must be UTF-8.
    ///
    /// # Errors
    ///
    /// [`ProviderError::Parse`] when either file is not UTF-8 or cannot be parsed (see [`parse_ini`]).
    pub fn parse_bytes(
        config: Option<&[u8]>,
        credentials: Option<&[u8]>,
    ) -> Result<Self, ProviderError> {
        let c = config.map(|b| utf8(b, "config")).transpose()?;
        let k = credentials.map(|b| utf8(b, "credentials")).transpose()?;
        Self::parse(c, k)
    }

    fn parse_named(
        config: Option<&str>,
        config_name: &str,
        credentials: Option<&str>,
        credentials_name: &str,
    ) -> Result<Self, ProviderError> {
        let mut set = ProfileSet::default();
        if let Some(text) = config {
            for section in parse_ini(text, config_name)? {
                if let Some(name) = config_profile_name(&section.name) {
                    set.config.insert(name, section.profile);
                }
            }
        }
        if let Some(text) = credentials {
            for section in parse_ini(text, credentials_name)? {
                set.credentials.insert(section.name, section.profile);
            }
        }
        set.merged = set.config.clone();
        for (name, profile) in &set.credentials {
            set.merged
                .entry(name.clone())
                .or_default()
                .merge_from(profile);
        }
        Ok(set)
    }

    /// Reads and parses the files named by `AWS_CONFIG_FILE` and
    /// `AWS_SHARED_CREDENTIALS_FILE` (default `~/.aws/config` and
    /// `~/.aws/credentials`). A missing file is an empty one.
    ///
    /// # Errors
    ///
    /// - [`ProviderError::Parse`] when a file exists but cannot be parsed;
    /// - [`ProviderError::Io`] when a file exists but cannot be read (a missing file is no error).
    pub fn load(env: &dyn Environment) -> Result<Self, ProviderError> {
        let config_path = file_path(env, AWS_CONFIG_FILE, "config");
        let credentials_path = file_path(env, AWS_SHARED_CREDENTIALS_FILE, "credentials");
        let read = |path: &Option<PathBuf>| -> Result<Option<Zeroizing<String>>, ProviderError> {
            let Some(path) = path else { return Ok(None) };
            match env.read_file(path) {
                Ok(bytes) => {
                    let bytes = Zeroizing::new(bytes);
                    Ok(Some(Zeroizing::new(
                        utf8(&bytes, &path.display().to_string())?.to_owned(),
                    )))
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(ProviderError::Io {
                    path: path.display().to_string(),
                    message: e.to_string(),
                }),
            }
        };
        let config = read(&config_path)?;
        let credentials = read(&credentials_path)?;
        let name = |p: &Option<PathBuf>, d: &str| {
            p.as_ref().map_or(d.to_owned(), |p| p.display().to_string())
        };
        Self::parse_named(
            config.as_deref().map(String::as_str),
            &name(&config_path, "config"),
            credentials.as_deref().map(String::as_str),
            &name(&credentials_path, "credentials"),
        )
    }

    /// A profile with the keys of both files.
    pub fn get(&self, name: &str) -> Option<&Profile> {
        self.merged.get(name)
    }

    /// A profile as the config file alone defines it.
    pub fn config_file(&self, name: &str) -> Option<&Profile> {
        self.config.get(name)
    }

    /// A profile as the credentials file alone defines it.
    pub fn credentials_file(&self, name: &str) -> Option<&Profile> {
        self.credentials.get(name)
    }

    /// The profile names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.merged.keys().map(String::as_str)
    }
}

fn utf8<'a>(bytes: &'a [u8], file: &str) -> Result<&'a str, ProviderError> {
    std::str::from_utf8(bytes).map_err(|e| {
        let before = bytes.get(..e.valid_up_to()).unwrap_or(&[]);
        ProviderError::Parse {
            file: file.to_owned(),
            line: before.iter().filter(|&&b| b == b'\n').count() + 1,
            message: "the file is not valid UTF-8".to_owned(),
        }
    })
}

/// The path of a shared file: the variable, else `~/.aws/<default>`.
/// A leading `~/` is the home directory.
pub fn file_path(env: &dyn Environment, var: &str, default: &str) -> Option<PathBuf> {
    match non_empty(env.var(var)) {
        Some(p) => Some(expand_home(env, &p)),
        None => env.home_dir().map(|h| h.join(".aws").join(default)),
    }
}

pub(crate) fn expand_home(env: &dyn Environment, path: &str) -> PathBuf {
    if path == "~" {
        if let Some(home) = env.home_dir() {
            return home;
        }
    }
    if let Some(rest) = path.strip_prefix("~/") {
        if let Some(home) = env.home_dir() {
            return home.join(rest);
        }
    }
    PathBuf::from(path)
}

/// The profile to use: the explicit one, else `AWS_DEFAULT_PROFILE`, else
/// `AWS_PROFILE`, else `default`.
pub fn selected_profile(env: &dyn Environment, explicit: Option<&str>) -> String {
    explicit
        .map(str::to_owned)
        .or_else(|| non_empty(env.var(AWS_DEFAULT_PROFILE)))
        .or_else(|| non_empty(env.var(AWS_PROFILE)))
        .unwrap_or_else(|| "default".to_owned())
}

impl FileKind {
    /// Parses one file's text into its profiles, by this kind's naming rule.
    ///
    /// # Errors
    ///
    /// [`ProviderError::Parse`] when a line cannot be parsed (see [`parse_ini`]).
    pub fn parse(self, text: &str) -> Result<BTreeMap<String, Profile>, ProviderError> {
        let mut out = BTreeMap::new();
        for section in parse_ini(text, self.label())? {
            let name = match self {
                FileKind::Config => config_profile_name(&section.name),
                FileKind::Credentials => Some(section.name),
            };
            if let Some(name) = name {
                out.insert(name, section.profile);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::env::tests::FakeEnv;

    #[test]
    fn config_profiles_need_the_profile_prefix() {
        // The layout of the AWS CLI's configuration documentation.
        let config = "[default]\nregion = us-west-2\noutput = json\n\n[profile user1]\nregion = us-east-1\noutput = text\n\n[sso-session my-sso]\nsso_region = us-east-1\n[user2]\nregion = eu-west-1\n";
        let set = ProfileSet::parse(Some(config), None).unwrap();
        assert_eq!(set.get("default").unwrap().get("region"), Some("us-west-2"));
        assert_eq!(set.get("user1").unwrap().get("output"), Some("text"));
        assert!(set.get("user2").is_none());
        assert!(set.get("my-sso").is_none());
    }

    #[test]
    fn credentials_sections_are_profile_names() {
        let creds = "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n\n[user1]\naws_access_key_id = AKIAI44QH8DHBEXAMPLE\naws_secret_access_key = je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY\n";
        let set = ProfileSet::parse(None, Some(creds)).unwrap();
        let p = set.credentials_file("user1").unwrap();
        assert_eq!(p.get("aws_access_key_id"), Some("AKIAI44QH8DHBEXAMPLE"));
        assert_eq!(
            p.get("aws_secret_access_key"),
            Some("je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY")
        );
        assert!(set.config_file("user1").is_none());
    }

    #[test]
    fn comments_whitespace_case_and_colon() {
        let text = "# comment\n; another\n  [default]  \n  Region=us-east-1\n\tOUTPUT : json\nregion_note = a # not a comment\n";
        let set = ProfileSet::parse(Some(text), None).unwrap();
        let p = set.get("default").unwrap();
        assert_eq!(p.get("region"), Some("us-east-1"));
        assert_eq!(p.get("output"), Some("json"));
        assert_eq!(p.get("region_note"), Some("a # not a comment"));
    }

    #[test]
    fn sub_sections_and_continuations() {
        // The s3 sub-section of the AWS CLI's S3 configuration documentation.
        let text = "[default]\ns3 =\n  max_concurrent_requests = 20\n  max_queue_size = 10000\n\n  addressing_style = path\nregion = us-west-2\nlong = first\n  second\n";
        let set = ProfileSet::parse(Some(text), None).unwrap();
        let p = set.get("default").unwrap();
        let s3 = p.sub_section("s3").unwrap();
        assert_eq!(
            s3.get("max_concurrent_requests").map(String::as_str),
            Some("20")
        );
        assert_eq!(s3.get("addressing_style").map(String::as_str), Some("path"));
        assert_eq!(p.get("region"), Some("us-west-2"));
        assert_eq!(p.get("long"), Some("first\nsecond"));
    }

    #[test]
    fn recognises_role_and_process_keys() {
        let text = "[profile marketingadmin]\nrole_arn = arn:aws:iam::123456789012:role/marketingadminrole\nsource_profile = user1\nexternal_id = 123456\nrole_session_name = session_name_example\nduration_seconds = 3600\n[profile web]\nrole_arn = arn:aws:iam::123456789012:role/web\nweb_identity_token_file = /path/to/token\n[profile developer]\ncredential_process = /opt/bin/awscreds-custom --username helen\n";
        let set = ProfileSet::parse(Some(text), None).unwrap();
        let m = set.get("marketingadmin").unwrap();
        assert_eq!(
            m.get("role_arn"),
            Some("arn:aws:iam::123456789012:role/marketingadminrole")
        );
        assert_eq!(m.get("source_profile"), Some("user1"));
        assert_eq!(m.get("external_id"), Some("123456"));
        assert_eq!(m.get("role_session_name"), Some("session_name_example"));
        assert_eq!(
            set.get("web").unwrap().get("web_identity_token_file"),
            Some("/path/to/token")
        );
        assert_eq!(
            set.get("developer").unwrap().get("credential_process"),
            Some("/opt/bin/awscreds-custom --username helen")
        );
    }

    #[test]
    fn debug_masks_secrets() {
        let set = ProfileSet::parse(
            None,
            Some("[a]\naws_access_key_id = AKIDVISIBLE\naws_secret_access_key = HIDDENSECRET\naws_session_token = HIDDENTOKEN\n"),
        )
        .unwrap();
        let text = format!("{set:?}");
        assert!(text.contains("AKIDVISIBLE"), "{text}");
        assert!(
            !text.contains("HIDDENSECRET") && !text.contains("HIDDENTOKEN"),
            "{text}"
        );
    }

    #[test]
    fn credentials_file_wins_when_merged() {
        let set = ProfileSet::parse(
            Some("[profile a]\nregion = us-east-1\naws_access_key_id = FROMCONFIG\n"),
            Some("[a]\naws_access_key_id = FROMCREDS\n"),
        )
        .unwrap();
        let a = set.get("a").unwrap();
        assert_eq!(a.get("aws_access_key_id"), Some("FROMCREDS"));
        assert_eq!(a.get("region"), Some("us-east-1"));
    }

    #[test]
    fn errors_carry_line_numbers() {
        let cases = [
            ("key = value\n", 1),
            ("[a]\nno delimiter here\n", 2),
            ("[a]\nx = 1\n[b]\n[a]\n", 4),
            ("[a]\nx = 1\nX = 2\n", 3),
            ("[a]\n= 2\n", 2),
            ("[a]\ns3 =\n  nodelimiter\n", 3),
        ];
        for (text, line) in cases {
            match parse_ini(text, "config") {
                Err(ProviderError::Parse { line: l, .. }) => assert_eq!(l, line, "{text:?}"),
                other => panic!("{text:?}: {other:?}"),
            }
        }
        match ProfileSet::parse_bytes(Some(b"[a]\nx = \xff\n"), None) {
            Err(ProviderError::Parse { line, .. }) => assert_eq!(line, 2),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn quoted_and_spaced_profile_names() {
        let set = ProfileSet::parse(Some("[profile   spaced  ]\nregion = a\n[profile \"with space\"]\nregion = b\n[profilex]\nregion = c\n"), None).unwrap();
        assert_eq!(set.get("spaced").unwrap().get("region"), Some("a"));
        assert_eq!(set.get("with space").unwrap().get("region"), Some("b"));
        assert!(set.get("profilex").is_none());
    }

    #[test]
    fn paths_come_from_variables_or_home() {
        let env = FakeEnv::with(&[("HOME", "/home/u")]);
        assert_eq!(
            file_path(&env, AWS_CONFIG_FILE, "config"),
            Some(PathBuf::from("/home/u/.aws/config"))
        );
        let env = FakeEnv::with(&[
            ("HOME", "/home/u"),
            ("AWS_SHARED_CREDENTIALS_FILE", "~/creds"),
        ]);
        assert_eq!(
            file_path(&env, AWS_SHARED_CREDENTIALS_FILE, "credentials"),
            Some(PathBuf::from("/home/u/creds"))
        );
        let env = FakeEnv::with(&[("AWS_PROFILE", "p1")]);
        assert_eq!(selected_profile(&env, None), "p1");
        assert_eq!(selected_profile(&env, Some("x")), "x");
        let env = FakeEnv::with(&[("AWS_PROFILE", "p1"), ("AWS_DEFAULT_PROFILE", "p0")]);
        assert_eq!(selected_profile(&env, None), "p0");
        assert_eq!(selected_profile(&FakeEnv::default(), None), "default");
    }

    #[test]
    fn load_reads_files_through_the_environment() {
        let env = FakeEnv::with(&[
            ("AWS_CONFIG_FILE", "/c"),
            ("AWS_SHARED_CREDENTIALS_FILE", "/k"),
        ])
        .file("/c", "[profile x]\nregion = eu-west-3\n")
        .file("/k", "[y]\naws_access_key_id = A\n");
        let set = ProfileSet::load(&env).unwrap();
        assert_eq!(set.names().collect::<Vec<_>>(), ["x", "y"]);
        let env = FakeEnv::with(&[("AWS_CONFIG_FILE", "/c")]).file("/c", "[profile x]\nbad line\n");
        match ProfileSet::load(&env) {
            Err(e @ ProviderError::Parse { .. }) => {
                assert!(e.to_string().starts_with("/c: line 2:"), "{e}")
            }
            other => panic!("{other:?}"),
        }
    }
}
