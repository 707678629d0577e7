//! Project configuration: `asyncwatch.toml`, or `[package.metadata.asyncwatch]` /
//! `[workspace.metadata.asyncwatch]` in `Cargo.toml`, found by walking up from the linted
//! path. Every key is documented in docs/configuration.md. Unknown keys are errors naming the
//! key and the file.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::{Settings, Severity};

/// The configuration keys. Rule names are checked when the configuration is applied.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    /// Run only these rules (`all` includes the pedantic ones).
    #[serde(default)]
    pub select: Option<Vec<String>>,
    /// Also run these (pedantic) rules.
    #[serde(default)]
    pub enable: Vec<String>,
    /// Do not run these rules.
    #[serde(default)]
    pub ignore: Vec<String>,
    /// Severity per rule: `error`, `warning` or `note`.
    #[serde(default)]
    pub severity: std::collections::BTreeMap<String, ConfigSeverity>,
    /// The project's own blocking functions, reported under `custom-blocking`.
    #[serde(default)]
    pub blocking_functions: Vec<BlockingFunction>,
    /// The project's own offload wrappers: functions whose closure argument runs off the
    /// async worker (like `spawn_blocking`).
    #[serde(default)]
    pub offload_functions: Vec<String>,
    /// Globs, relative to the configuration's directory, of files and directories not to lint.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Files larger than this many bytes are reported as not analyzed (default 10 MiB).
    #[serde(default)]
    pub max_file_size: Option<u64>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConfigSeverity {
    Error,
    Warning,
    Note,
}

impl From<ConfigSeverity> for Severity {
    fn from(s: ConfigSeverity) -> Self {
        match s {
            ConfigSeverity::Error => Severity::Error,
            ConfigSeverity::Warning => Severity::Warning,
            ConfigSeverity::Note => Severity::Note,
        }
    }
}

/// One `[[blocking-functions]]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlockingFunction {
    /// Canonical path: `crate::db::query_sync` for the project's own crate,
    /// `legacy_client::Client::fetch` for a dependency's function or method.
    pub path: String,
    /// Why it blocks (shown as a note).
    pub reason: String,
    /// What to use instead (shown as help).
    pub replacement: String,
}

/// A configuration that could not be read or applied. The message names the file and key.
#[derive(Debug, thiserror::Error)]
#[error("{}: {message}", .file.display())]
pub struct ConfigError {
    pub file: PathBuf,
    pub message: String,
}

/// A configuration and where it came from.
#[derive(Debug, Clone)]
pub struct LoadedConfig {
    /// The file it was read from (`asyncwatch.toml` or `Cargo.toml`).
    pub file: PathBuf,
    /// The table inside the file (`[package.metadata.asyncwatch]`), or empty for
    /// `asyncwatch.toml`.
    pub table: String,
    pub config: Config,
}

impl LoadedConfig {
    /// The directory relative exclude globs are resolved against.
    pub fn dir(&self) -> PathBuf {
        self.file
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default()
    }

    fn error(&self, key: &str, message: impl std::fmt::Display) -> ConfigError {
        let key = if self.table.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.table)
        };
        ConfigError {
            file: self.file.clone(),
            message: format!("`{key}`: {message}"),
        }
    }

    /// Applies the configuration on top of `settings`.
    pub fn apply(&self, settings: &mut Settings) -> Result<(), ConfigError> {
        let config = &self.config;
        if let Some(select) = &config.select {
            settings
                .select_only(select.iter().map(String::as_str))
                .map_err(|e| self.error("select", e))?;
        }
        for name in &config.enable {
            settings.enable(name).map_err(|e| self.error("enable", e))?;
        }
        for name in &config.ignore {
            settings
                .disable(name)
                .map_err(|e| self.error("ignore", e))?;
        }
        for (name, severity) in &config.severity {
            settings
                .set_severity(name, (*severity).into())
                .map_err(|e| self.error(&format!("severity.{name}"), e))?;
        }
        for (i, function) in config.blocking_functions.iter().enumerate() {
            if !is_path(&function.path) {
                return Err(self.error(
                    &format!("blocking-functions[{i}].path"),
                    format!(
                        "`{}` is not a path like `crate::module::function`",
                        function.path
                    ),
                ));
            }
            settings.add_blocking_function(&function.path, &function.reason, &function.replacement);
        }
        for (i, path) in config.offload_functions.iter().enumerate() {
            if !is_path(path) {
                return Err(self.error(
                    &format!("offload-functions[{i}]"),
                    format!("`{path}` is not a path like `crate::module::function`"),
                ));
            }
            settings.offload_functions.push(path.clone());
        }
        if let Some(max) = config.max_file_size {
            settings.max_file_size = max;
        }
        let dir = self.dir();
        for (i, pattern) in config.exclude.iter().enumerate() {
            settings
                .add_exclude(&dir, pattern)
                .map_err(|e| self.error(&format!("exclude[{i}]"), e))?;
        }
        Ok(())
    }
}

fn is_path(path: &str) -> bool {
    !path.is_empty()
        && path.split("::").all(|segment| {
            !segment.is_empty() && segment.chars().all(|c| c.is_alphanumeric() || c == '_')
        })
}

/// Reads `asyncwatch.toml` (or any file in that format).
pub fn load_file(file: &Path) -> Result<LoadedConfig, ConfigError> {
    let text = std::fs::read_to_string(file).map_err(|e| ConfigError {
        file: file.to_path_buf(),
        message: format!("cannot read: {e}"),
    })?;
    load_str(file, &text)
}

/// Reads `text` as the contents of `file` in `asyncwatch.toml` format (errors name `file`).
pub fn load_str(file: &Path, text: &str) -> Result<LoadedConfig, ConfigError> {
    let config = toml::from_str::<Config>(text).map_err(|e| ConfigError {
        file: file.to_path_buf(),
        message: toml_error(text, &e),
    })?;
    Ok(LoadedConfig {
        file: file.to_path_buf(),
        table: String::new(),
        config,
    })
}

/// The `[package.metadata.asyncwatch]` (preferred) or `[workspace.metadata.asyncwatch]`
/// table of a `Cargo.toml`, if it has one.
pub fn load_cargo_metadata(manifest: &Path) -> Result<Option<LoadedConfig>, ConfigError> {
    let text = std::fs::read_to_string(manifest).map_err(|e| ConfigError {
        file: manifest.to_path_buf(),
        message: format!("cannot read: {e}"),
    })?;
    cargo_metadata_str(manifest, &text)
}

/// [`load_cargo_metadata`] for `text` as the contents of `manifest`.
pub fn cargo_metadata_str(
    manifest: &Path,
    text: &str,
) -> Result<Option<LoadedConfig>, ConfigError> {
    let table: toml::Table = toml::from_str(text).map_err(|e| ConfigError {
        file: manifest.to_path_buf(),
        message: toml_error(text, &e),
    })?;
    for section in ["package", "workspace"] {
        let Some(value) = table
            .get(section)
            .and_then(|s| s.get("metadata"))
            .and_then(|m| m.get("asyncwatch"))
        else {
            continue;
        };
        let name = format!("{section}.metadata.asyncwatch");
        let config: Config =
            value
                .clone()
                .try_into()
                .map_err(|e: toml::de::Error| ConfigError {
                    file: manifest.to_path_buf(),
                    message: format!("`[{name}]`: {}", metadata_error(text, section, &e)),
                })?;
        return Ok(Some(LoadedConfig {
            file: manifest.to_path_buf(),
            table: name,
            config,
        }));
    }
    Ok(None)
}

/// A `[SECTION.metadata.asyncwatch]` error with its line: the table, once taken out of the
/// document, has no positions, so the document is read again as that one table.
fn metadata_error(text: &str, section: &str, error: &toml::de::Error) -> String {
    // Read only for their errors.
    #![allow(dead_code)]
    #[derive(Deserialize)]
    struct Package {
        package: Section,
    }
    #[derive(Deserialize)]
    struct Workspace {
        workspace: Section,
    }
    #[derive(Deserialize)]
    struct Section {
        metadata: Metadata,
    }
    #[derive(Deserialize)]
    struct Metadata {
        asyncwatch: Config,
    }
    let spanned = if section == "package" {
        toml::from_str::<Package>(text).err()
    } else {
        toml::from_str::<Workspace>(text).err()
    };
    match spanned {
        Some(spanned) if spanned.span().is_some() => toml_error(text, &spanned),
        _ => one_line(&error.to_string()),
    }
}

/// A toml error on one line: where it is, the offending line (which names the key) and what
/// is wrong.
fn toml_error(text: &str, error: &toml::de::Error) -> String {
    let Some(span) = error.span() else {
        return one_line(&error.to_string());
    };
    let start = span.start.min(text.len());
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let line = text[..start].matches('\n').count() + 1;
    let column = text[line_start..start].chars().count() + 1;
    format!(
        "line {line}, column {column} (`{}`): {}",
        text[line_start..line_end].trim(),
        error.message().trim()
    )
}

/// toml's messages span several lines with a source excerpt; keep them on one line.
fn one_line(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|l| {
            let excerpt = l.trim_start_matches(|c: char| c.is_ascii_digit());
            !l.is_empty()
                && !excerpt.starts_with('|')
                && !excerpt.starts_with(" |")
                && !l.starts_with('^')
        })
        .collect::<Vec<_>>()
        .join(": ")
}

/// Walks up from `start` (a file or directory) and returns the first configuration found: in
/// each directory `asyncwatch.toml` wins over `Cargo.toml` metadata.
pub fn discover(start: &Path) -> Result<Option<LoadedConfig>, ConfigError> {
    let start = crate::manifest::absolute_clean(start);
    let dir = if start.is_dir() {
        start.as_path()
    } else {
        start.parent().unwrap_or(Path::new("/"))
    };
    for dir in dir.ancestors() {
        let own = dir.join("asyncwatch.toml");
        if own.is_file() {
            return load_file(&own).map(Some);
        }
        let manifest = dir.join("Cargo.toml");
        if manifest.is_file() {
            if let Some(loaded) = load_cargo_metadata(&manifest)? {
                return Ok(Some(loaded));
            }
        }
    }
    Ok(None)
}
