//! The shared `config` and `credentials` files.
//!
//! Parsing is a pure function from text to a [`ProfileSet`]; reading the
//! files is the thin [`ProfileSet::load`].
//!
//! Two sets of rules read the files ([`ProfileRules`]). Where the AWS SDKs
//! and the AWS CLI disagree (inline comments, `:` as a delimiter, repeated
//! sections and keys, which names are valid), awsig follows the SDKs by
//! default: their rules are the cross-SDK specification that the AWS
//! Common Runtime (aws-c-sdkutils) implements, and the test data in
//! `testdata/aws-sdk-config/` pins them. The AWS CLI's rules (botocore,
//! Python's `configparser`) are one argument away.
//!
//! Both rule sets agree on the common shape:
//!
//! - `[name]` starts a section. In the config file a profile is
//!   `[profile name]` (`[default]` also works), `[sso-session name]` is an
//!   IAM Identity Center session and `[services name]` a set of per-service
//!   settings; other sections are ignored. In the credentials file every
//!   section is a profile, named as written.
//! - `key = value`; keys are case-insensitive (lowercased), values are
//!   trimmed and keep their case. A line whose first character is `#` or
//!   `;` is a comment.
//! - An indented line continues the previous value. A key with an empty
//!   value followed by indented `key = value` lines is a sub-section
//!   (`s3 =` / `  max_concurrent_requests = 20`); its value is the raw text
//!   (`"\nmax_concurrent_requests = 20"`) and [`Profile::sub_section`]
//!   gives the pairs.
//! - A profile present in both files has the keys of both; the credentials
//!   file wins for a key in both.
//!
//! | | [`ProfileRules::AwsSdk`] (default) | [`ProfileRules::AwsCli`] |
//! |---|---|---|
//! | `region = us-east-1 # note` | `us-east-1`: whitespace then `#` or `;` starts a comment | `us-east-1 # note` |
//! | `[profile foo] # note` | a comment after the header is allowed | allowed |
//! | `key: value` | an error | `key = value` |
//! | a section repeated in one file | merged, the last value of a key wins | an error |
//! | a key repeated in one section | the last one wins | an error |
//! | `[profile default]` and `[default]` | `[profile default]` wins | the last one wins |
//! | a name with other characters than letters, digits and ``-/.%@_:+`` | the section or key is ignored | kept (`[profile "my profile"]` is quoted like a shell word) |

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

/// Which rules read the shared files. See the [module documentation](self).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProfileRules {
    /// The AWS SDKs' rules, as the cross-SDK test data pins them.
    #[default]
    AwsSdk,
    /// The AWS CLI's rules (botocore, Python's `configparser`).
    AwsCli,
}

/// One profile (or an `sso-session` or `services` section): its keys and
/// sub-sections.
///
/// Values are zeroized when dropped; `Debug` shows every key but masks the
/// values of keys that name a secret or a token.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Profile {
    properties: BTreeMap<String, Zeroizing<String>>,
    sub_sections: BTreeMap<String, BTreeMap<String, String>>,
}

impl Profile {
    /// A key's value (keys are lowercase). For a sub-section, its raw text
    /// (`"\nkey = value"`).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.properties.get(key).map(|v| v.as_str())
    }

    /// A sub-section (`s3 =` followed by indented lines), as its pairs.
    pub fn sub_section(&self, key: &str) -> Option<&BTreeMap<String, String>> {
        self.sub_sections.get(key)
    }

    /// Whether the key is present.
    pub fn contains(&self, key: &str) -> bool {
        self.properties.contains_key(key)
    }

    /// The keys, sorted.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.properties.keys().map(String::as_str)
    }

    /// Whether the profile has no key at all.
    pub fn is_empty(&self) -> bool {
        self.properties.is_empty()
    }

    fn merge_from(&mut self, other: &Profile) {
        for (k, v) in &other.properties {
            self.properties.insert(k.clone(), v.clone());
            match other.sub_sections.get(k) {
                Some(sub) => self.sub_sections.insert(k.clone(), sub.clone()),
                None => self.sub_sections.remove(k),
            };
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
            } else if let Some(sub) = self.sub_sections.get(k) {
                m.entry(k, sub);
            } else {
                m.entry(k, &v.as_str());
            }
        }
        m.finish()
    }
}

/// A section of an INI text as written.
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

/// What a section header names.
#[derive(Debug, Clone, PartialEq, Eq)]
enum SectionKind {
    /// A profile; `prefixed` when written `[profile name]`.
    Profile {
        name: String,
        prefixed: bool,
    },
    SsoSession(String),
    Services(String),
    Ignored,
}

/// The characters of a valid profile, section or key name (SDK rules).
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-/.%@_:+".contains(c))
}

/// Splits `prefix<whitespace>name`, the name trimmed.
fn prefixed<'a>(inner: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = inner.strip_prefix(prefix)?;
    rest.starts_with([' ', '\t']).then(|| rest.trim())
}

fn section_kind(inner: &str, kind: FileKind, rules: ProfileRules) -> SectionKind {
    let name_kind = |name: &str, make: fn(String) -> SectionKind| {
        let ok = match rules {
            ProfileRules::AwsSdk => valid_name(name),
            ProfileRules::AwsCli => !name.is_empty(),
        };
        if ok {
            make(name.to_owned())
        } else {
            SectionKind::Ignored
        }
    };
    if kind == FileKind::Credentials {
        return name_kind(inner, |name| SectionKind::Profile {
            name,
            prefixed: false,
        });
    }
    if inner == "default" {
        return SectionKind::Profile {
            name: inner.to_owned(),
            prefixed: false,
        };
    }
    let cli_name = |prefix: &str| -> Option<String> {
        if !inner.starts_with(prefix) {
            return None;
        }
        let parts = super::process::split_command(inner).ok()?;
        match parts.as_slice() {
            [_, name] => Some(name.clone()),
            _ => None,
        }
    };
    let name_of = |prefix: &str| -> Option<String> {
        match rules {
            ProfileRules::AwsSdk => prefixed(inner, prefix).map(str::to_owned),
            ProfileRules::AwsCli => cli_name(prefix),
        }
    };
    if let Some(name) = name_of("profile") {
        return name_kind(&name, |name| SectionKind::Profile {
            name,
            prefixed: true,
        });
    }
    if let Some(name) = name_of("sso-session") {
        return name_kind(&name, SectionKind::SsoSession);
    }
    if let Some(name) = name_of("services") {
        return name_kind(&name, SectionKind::Services);
    }
    SectionKind::Ignored
}

/// Cuts an inline comment: whitespace followed by `#` or `;` (SDK rules).
fn strip_inline_comment(value: &str) -> &str {
    let bytes = value.as_bytes();
    for (i, pair) in bytes.windows(2).enumerate() {
        if let [a, b] = pair
            && (*a == b' ' || *a == b'\t')
            && (*b == b'#' || *b == b';')
        {
            return value.get(..i).unwrap_or(value);
        }
    }
    value
}

/// One file parsed by the SDK rules: sections in file order.
fn parse_sdk(
    text: &str,
    file: &str,
    kind: FileKind,
) -> Result<Vec<(SectionKind, Profile)>, ProviderError> {
    struct Current {
        key: Option<String>,
        /// The value as built so far.
        value: Zeroizing<String>,
        /// Declared empty, so its continuation lines are sub-properties.
        sub: Option<BTreeMap<String, String>>,
        declared_empty: bool,
    }
    let err = |line: usize, message: &str| ProviderError::Parse {
        file: file.to_owned(),
        line,
        message: message.to_owned(),
    };
    let mut sections: Vec<(SectionKind, Profile)> = Vec::new();
    let mut current: Option<Current> = None;
    let finish = |sections: &mut Vec<(SectionKind, Profile)>, current: &mut Option<Current>| {
        if let Some(c) = current.take()
            && let (Some(key), Some((_, profile))) = (c.key, sections.last_mut())
        {
            if let Some(sub) = c.sub {
                profile.sub_sections.insert(key.clone(), sub);
            } else {
                profile.sub_sections.remove(&key);
            }
            profile.properties.insert(key, c.value);
        }
    };
    for (index, raw_line) in text.split('\n').enumerate() {
        let lineno = index + 1;
        let line = raw_line.strip_suffix('\r').unwrap_or(raw_line);
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with(['#', ';']) {
            continue;
        }
        if line.starts_with([' ', '\t']) {
            // A continuation of the current property.
            if sections.is_empty() {
                return Err(err(lineno, "expected a profile definition"));
            }
            let Some(c) = current.as_mut() else {
                return Err(err(
                    lineno,
                    "expected a property definition, found continuation",
                ));
            };
            if c.declared_empty {
                let Some((k, v)) = trimmed.split_once('=') else {
                    return Err(err(lineno, "expected an '=' sign defining a sub-property"));
                };
                let k = k.trim();
                if k.is_empty() {
                    return Err(err(lineno, "a sub-property did not have a name"));
                }
                c.sub
                    .get_or_insert_with(BTreeMap::new)
                    .insert(k.to_owned(), v.trim().to_owned());
            }
            c.value.push('\n');
            c.value.push_str(trimmed);
            continue;
        }
        if let Some(after) = line.strip_prefix('[') {
            finish(&mut sections, &mut current);
            let Some(close) = after.find(']') else {
                return Err(err(lineno, "a profile definition must end with ']'"));
            };
            let rest = after.get(close + 1..).unwrap_or("").trim();
            if !rest.is_empty() && !rest.starts_with(['#', ';']) {
                return Err(err(
                    lineno,
                    "unexpected text after a profile definition (only a comment may follow)",
                ));
            }
            let inner = after.get(..close).unwrap_or("").trim();
            sections.push((
                section_kind(inner, kind, ProfileRules::AwsSdk),
                Profile::default(),
            ));
            continue;
        }
        // A property.
        finish(&mut sections, &mut current);
        if sections.is_empty() {
            return Err(err(lineno, "expected a profile definition"));
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err(err(lineno, "expected an '=' sign defining a property"));
        };
        let key = key.trim();
        if key.is_empty() {
            return Err(err(lineno, "a property did not have a name"));
        }
        let value = strip_inline_comment(value).trim();
        current = Some(Current {
            // An invalid name is ignored, with its continuation lines.
            key: valid_name(key).then(|| key.to_lowercase()),
            value: Zeroizing::new(value.to_owned()),
            sub: None,
            declared_empty: value.is_empty(),
        });
    }
    finish(&mut sections, &mut current);
    Ok(sections)
}

/// The sections of one file, grouped by what they name. Sections with the
/// same name merge in file order (SDK rules) or replace each other (CLI).
#[derive(Default)]
struct FileSections {
    profiles: BTreeMap<String, Profile>,
    sso_sessions: BTreeMap<String, Profile>,
    services: BTreeMap<String, Profile>,
}

fn group(sections: Vec<(SectionKind, Profile)>, rules: ProfileRules) -> FileSections {
    let mut out = FileSections::default();
    let has_prefixed_default = sections.iter().any(
        |(k, _)| matches!(k, SectionKind::Profile { name, prefixed: true } if name == "default"),
    );
    for (kind, profile) in sections {
        let (map, name) = match kind {
            SectionKind::Profile { name, prefixed } => {
                if rules == ProfileRules::AwsSdk
                    && name == "default"
                    && !prefixed
                    && has_prefixed_default
                {
                    continue;
                }
                (&mut out.profiles, name)
            }
            SectionKind::SsoSession(name) => (&mut out.sso_sessions, name),
            SectionKind::Services(name) => (&mut out.services, name),
            SectionKind::Ignored => continue,
        };
        match rules {
            ProfileRules::AwsSdk => map.entry(name).or_default().merge_from(&profile),
            ProfileRules::AwsCli => {
                map.insert(name, profile);
            }
        }
    }
    out
}

fn parse_file(
    text: &str,
    file: &str,
    kind: FileKind,
    rules: ProfileRules,
) -> Result<FileSections, ProviderError> {
    let sections = match rules {
        ProfileRules::AwsSdk => parse_sdk(text, file, kind)?,
        ProfileRules::AwsCli => parse_ini(text, file)?
            .into_iter()
            .map(|s| (section_kind(&s.name, kind, rules), s.profile))
            .collect(),
    };
    Ok(group(sections, rules))
}

/// Parses an INI text into its sections, in file order, by the AWS CLI's
/// rules ([`ProfileRules::AwsCli`]).
///
/// `file` names the file in errors. Never panics.
///
/// # Errors
///
/// [`ProviderError::Parse`], with the line: a key before any section, a
/// line that is neither a section nor `key = value`, a section or a key
/// repeated, a sub-section line without `=`.
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
            if in_value && let Some(opt) = sections.last_mut().and_then(|s| s.opts.last_mut()) {
                opt.lines.push(Zeroizing::new(String::new()));
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
        if let Some(after) = stripped.strip_prefix('[')
            && let Some(close) = after.rfind(']').filter(|&i| i > 0)
        {
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
                profile.sub_sections.insert(opt.key.clone(), sub);
                profile.properties.insert(opt.key, Zeroizing::new(value));
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

/// The profiles of both shared files, with the config file's
/// `sso-session` and `services` sections.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileSet {
    rules: ProfileRules,
    config: BTreeMap<String, Profile>,
    credentials: BTreeMap<String, Profile>,
    merged: BTreeMap<String, Profile>,
    sso_sessions: BTreeMap<String, Profile>,
    services: BTreeMap<String, Profile>,
}

impl ProfileSet {
    /// Parses the two files' texts (`None` for a missing file) by the
    /// SDKs' rules. Never panics.
    ///
    /// # Errors
    ///
    /// [`ProviderError::Parse`] naming the file and line of the first
    /// malformed line.
    pub fn parse(config: Option<&str>, credentials: Option<&str>) -> Result<Self, ProviderError> {
        Self::parse_with(ProfileRules::default(), config, credentials)
    }

    /// As [`ProfileSet::parse`], by the given rules.
    ///
    /// # Errors
    ///
    /// [`ProviderError::Parse`] naming the file and line of the first
    /// malformed line.
    pub fn parse_with(
        rules: ProfileRules,
        config: Option<&str>,
        credentials: Option<&str>,
    ) -> Result<Self, ProviderError> {
        Self::parse_named(rules, config, "config", credentials, "credentials")
    }

    /// As [`ProfileSet::parse`], from bytes that must be UTF-8.
    ///
    /// # Errors
    ///
    /// [`ProviderError::Parse`]: a file is not UTF-8 or has a malformed line.
    pub fn parse_bytes(
        config: Option<&[u8]>,
        credentials: Option<&[u8]>,
    ) -> Result<Self, ProviderError> {
        Self::parse_bytes_with(ProfileRules::default(), config, credentials)
    }

    /// As [`ProfileSet::parse_bytes`], by the given rules.
    ///
    /// # Errors
    ///
    /// [`ProviderError::Parse`]: a file is not UTF-8 or has a malformed line.
    pub fn parse_bytes_with(
        rules: ProfileRules,
        config: Option<&[u8]>,
        credentials: Option<&[u8]>,
    ) -> Result<Self, ProviderError> {
        let c = config.map(|b| utf8(b, "config")).transpose()?;
        let k = credentials.map(|b| utf8(b, "credentials")).transpose()?;
        Self::parse_with(rules, c, k)
    }

    fn parse_named(
        rules: ProfileRules,
        config: Option<&str>,
        config_name: &str,
        credentials: Option<&str>,
        credentials_name: &str,
    ) -> Result<Self, ProviderError> {
        let mut set = ProfileSet {
            rules,
            ..ProfileSet::default()
        };
        if let Some(text) = config {
            let file = parse_file(text, config_name, FileKind::Config, rules)?;
            set.config = file.profiles;
            set.sso_sessions = file.sso_sessions;
            set.services = file.services;
        }
        if let Some(text) = credentials {
            let file = parse_file(text, credentials_name, FileKind::Credentials, rules)?;
            set.credentials = file.profiles;
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
    /// `~/.aws/credentials`) by the SDKs' rules. A missing file is an empty
    /// one.
    ///
    /// # Errors
    ///
    /// [`ProviderError::Io`] when a file exists but cannot be read,
    /// [`ProviderError::Parse`] when it is malformed.
    pub fn load(env: &dyn Environment) -> Result<Self, ProviderError> {
        Self::load_with(env, ProfileRules::default())
    }

    /// As [`ProfileSet::load`], by the given rules.
    ///
    /// # Errors
    ///
    /// [`ProviderError::Io`] when a file exists but cannot be read,
    /// [`ProviderError::Parse`] when it is malformed.
    pub fn load_with(env: &dyn Environment, rules: ProfileRules) -> Result<Self, ProviderError> {
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
            rules,
            config.as_deref().map(String::as_str),
            &name(&config_path, "config"),
            credentials.as_deref().map(String::as_str),
            &name(&credentials_path, "credentials"),
        )
    }

    /// The rules the files were read by.
    pub fn rules(&self) -> ProfileRules {
        self.rules
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

    /// An `[sso-session name]` section of the config file.
    pub fn sso_session(&self, name: &str) -> Option<&Profile> {
        self.sso_sessions.get(name)
    }

    /// The `sso-session` names, sorted.
    pub fn sso_session_names(&self) -> impl Iterator<Item = &str> {
        self.sso_sessions.keys().map(String::as_str)
    }

    /// A `[services name]` section of the config file.
    pub fn services(&self, name: &str) -> Option<&Profile> {
        self.services.get(name)
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

/// The operating system whose path rules apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    /// Linux, macOS and other Unix systems: `/` separates.
    Unix,
    /// Windows: `\` separates, and the home may be `%HOMEDRIVE%%HOMEPATH%`.
    Windows,
}

impl Platform {
    /// The platform this program runs on.
    pub fn current() -> Self {
        if cfg!(windows) {
            Platform::Windows
        } else {
            Platform::Unix
        }
    }

    fn separator(self) -> char {
        match self {
            Platform::Unix => '/',
            Platform::Windows => '\\',
        }
    }
}

/// Where the shared files are, as the SDKs find them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedFileLocations {
    /// The config file, `None` when there is no home directory to look in.
    pub config: Option<String>,
    /// The credentials file, `None` when there is no home directory.
    pub credentials: Option<String>,
}

/// The home directory by the SDKs' rules: `HOME`, then (on Windows)
/// `USERPROFILE`, then `HOMEDRIVE` followed by `HOMEPATH`.
pub fn home_dir_for(env: &dyn Environment, platform: Platform) -> Option<String> {
    if let Some(home) = non_empty(env.var("HOME")) {
        return Some(home);
    }
    if platform == Platform::Windows {
        if let Some(profile) = non_empty(env.var("USERPROFILE")) {
            return Some(profile);
        }
        if let (Some(drive), Some(path)) = (
            non_empty(env.var("HOMEDRIVE")),
            non_empty(env.var("HOMEPATH")),
        ) {
            return Some(format!("{drive}{path}"));
        }
    }
    None
}

/// Where the config and credentials files are on `platform`:
/// `AWS_CONFIG_FILE` and `AWS_SHARED_CREDENTIALS_FILE` (a leading `~` is
/// the home directory), else `.aws/config` and `.aws/credentials` in the
/// home directory. A pure function of the environment's variables.
pub fn shared_file_locations(env: &dyn Environment, platform: Platform) -> SharedFileLocations {
    let sep = platform.separator();
    let home = home_dir_for(env, platform);
    let locate = |var: &str, default: &str| match non_empty(env.var(var)) {
        Some(path) => Some(expand_home_text(home.as_deref(), &path, sep)),
        None => home
            .as_ref()
            .map(|h| format!("{}{sep}.aws{sep}{default}", h.trim_end_matches(['/', '\\']))),
    };
    SharedFileLocations {
        config: locate(AWS_CONFIG_FILE, "config"),
        credentials: locate(AWS_SHARED_CREDENTIALS_FILE, "credentials"),
    }
}

fn expand_home_text(home: Option<&str>, path: &str, sep: char) -> String {
    let Some(home) = home else {
        return path.to_owned();
    };
    if path == "~" {
        return home.to_owned();
    }
    match path
        .strip_prefix("~/")
        .or_else(|| path.strip_prefix("~\\").filter(|_| sep == '\\'))
    {
        Some(rest) => format!("{}{sep}{rest}", home.trim_end_matches(['/', '\\'])),
        None => path.to_owned(),
    }
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
    if path == "~"
        && let Some(home) = env.home_dir()
    {
        return home;
    }
    if let Some(rest) = path.strip_prefix("~/")
        && let Some(home) = env.home_dir()
    {
        return home.join(rest);
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
    /// Parses one file's text into its profiles, by the SDKs' rules.
    ///
    /// # Errors
    ///
    /// [`ProviderError::Parse`] naming the line of the first malformed line.
    pub fn parse(self, text: &str) -> Result<BTreeMap<String, Profile>, ProviderError> {
        self.parse_with(ProfileRules::default(), text)
    }

    /// Parses one file's text into its profiles, by the given rules.
    ///
    /// # Errors
    ///
    /// [`ProviderError::Parse`] naming the line of the first malformed line.
    pub fn parse_with(
        self,
        rules: ProfileRules,
        text: &str,
    ) -> Result<BTreeMap<String, Profile>, ProviderError> {
        Ok(parse_file(text, self.label(), self, rules)?.profiles)
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
    fn comments_whitespace_case_and_colon_by_the_cli_rules() {
        let text = "# comment\n; another\n  [default]  \n  Region=us-east-1\n\tOUTPUT : json\nregion_note = a # not a comment\n";
        let set = ProfileSet::parse_with(ProfileRules::AwsCli, Some(text), None).unwrap();
        let p = set.get("default").unwrap();
        assert_eq!(p.get("region"), Some("us-east-1"));
        assert_eq!(p.get("output"), Some("json"));
        assert_eq!(p.get("region_note"), Some("a # not a comment"));
        // The SDKs read an indented line as a continuation, and `:` as no delimiter.
        assert!(ProfileSet::parse(Some(text), None).is_err());
    }

    #[test]
    fn comments_case_and_repeats_by_the_sdk_rules() {
        let text = "# comment\n[default] ; note\nRegion=us-east-1\nregion_note = a # a comment\nx = a;b\n[default]\nregion = eu-west-1\n[profile in valid]\nregion = c\n";
        let set = ProfileSet::parse(Some(text), None).unwrap();
        let p = set.get("default").unwrap();
        assert_eq!(p.get("region"), Some("eu-west-1"));
        assert_eq!(p.get("region_note"), Some("a"));
        assert_eq!(p.get("x"), Some("a;b"));
        assert_eq!(set.names().collect::<Vec<_>>(), ["default"]);
        assert!(ProfileSet::parse_with(ProfileRules::AwsCli, Some(text), None).is_err());
    }

    #[test]
    fn sso_sessions_and_services_sections() {
        let text = "[profile dev]\nsso_session = corp\nservices = local\n[sso-session corp]\nsso_region = us-east-1\nsso_start_url = https://example.awsapps.com/start\n[services local]\nsts =\n  endpoint_url = http://localhost:4566\n";
        for rules in [ProfileRules::AwsSdk, ProfileRules::AwsCli] {
            let set = ProfileSet::parse_with(rules, Some(text), None).unwrap();
            assert_eq!(set.names().collect::<Vec<_>>(), ["dev"], "{rules:?}");
            let corp = set.sso_session("corp").unwrap();
            assert_eq!(corp.get("sso_region"), Some("us-east-1"));
            let sts = set.services("local").unwrap().sub_section("sts").unwrap();
            assert_eq!(
                sts.get("endpoint_url").map(String::as_str),
                Some("http://localhost:4566")
            );
        }
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
        let set = ProfileSet::parse_with(ProfileRules::AwsCli, Some("[profile   spaced  ]\nregion = a\n[profile \"with space\"]\nregion = b\n[profilex]\nregion = c\n"), None).unwrap();
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
