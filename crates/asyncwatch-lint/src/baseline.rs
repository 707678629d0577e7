//! Baselines: a JSON file of the findings a project has accepted for now, so adopting the
//! linter on a big codebase reports only new findings.
//!
//! A finding is keyed by rule, file (as given, normalized to forward slashes without `./`),
//! enclosing function and an FNV-1a hash of its code with whitespace collapsed, so moving code
//! up or down or reindenting it keeps it baselined. Identical findings in one function are
//! counted. Fixed findings drop out when the baseline is written again.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use asyncwatch_diagnostics::fingerprint::{normalize_file, snippet_hash};
use asyncwatch_diagnostics::{Report, SourceCache};
use serde::{Deserialize, Serialize};

pub const BASELINE_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineEntry {
    pub rule: String,
    pub file: String,
    pub function: Option<String>,
    pub hash: String,
    /// How many identical findings the key stands for.
    pub count: usize,
    /// The finding's message when it was baselined, for a human reading the file.
    pub message: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub version: u32,
    pub findings: Vec<BaselineEntry>,
}

#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("cannot read baseline {}: {source}", .path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("baseline {} is not valid: {message}", .path.display())]
    Invalid { path: PathBuf, message: String },
    #[error("cannot write baseline {}: {source}", .path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

type Key = (String, String, Option<String>, String);

fn key_of(d: &asyncwatch_diagnostics::Diagnostic, sources: &mut SourceCache) -> Key {
    (
        d.rule.to_owned(),
        normalize_file(&d.file),
        d.function.clone(),
        snippet_hash(d, sources.get(&d.file)),
    )
}

impl Baseline {
    /// Every finding of the report (files that failed to parse are not findings).
    pub fn from_report(report: &Report, sources: &mut SourceCache) -> Baseline {
        let mut entries: BTreeMap<Key, BaselineEntry> = BTreeMap::new();
        for d in &report.diagnostics {
            let key = key_of(d, sources);
            entries
                .entry(key.clone())
                .or_insert_with(|| BaselineEntry {
                    rule: key.0,
                    file: key.1,
                    function: key.2,
                    hash: key.3,
                    count: 0,
                    message: d.message.clone(),
                })
                .count += 1;
        }
        Baseline {
            version: BASELINE_VERSION,
            findings: entries.into_values().collect(),
        }
    }

    pub fn load(path: &Path) -> Result<Baseline, BaselineError> {
        let text = std::fs::read_to_string(path).map_err(|source| BaselineError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let baseline: Baseline =
            serde_json::from_str(&text).map_err(|e| BaselineError::Invalid {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?;
        if baseline.version != BASELINE_VERSION {
            return Err(BaselineError::Invalid {
                path: path.to_path_buf(),
                message: format!(
                    "version {} is not supported (expected {BASELINE_VERSION})",
                    baseline.version
                ),
            });
        }
        Ok(baseline)
    }

    pub fn save(&self, path: &Path) -> Result<(), BaselineError> {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        std::fs::write(path, text).map_err(|source| BaselineError::Write {
            path: path.to_path_buf(),
            source,
        })
    }

    /// Removes the baselined findings from `report` and returns how many were removed.
    pub fn filter(&self, report: &mut Report, sources: &mut SourceCache) -> usize {
        let mut remaining: BTreeMap<Key, usize> = self
            .findings
            .iter()
            .map(|e| {
                (
                    (
                        e.rule.clone(),
                        e.file.clone(),
                        e.function.clone(),
                        e.hash.clone(),
                    ),
                    e.count,
                )
            })
            .collect();
        let before = report.diagnostics.len();
        report.diagnostics.retain(|d| {
            let key = key_of(d, sources);
            match remaining.get_mut(&key) {
                Some(count) if *count > 0 => {
                    *count -= 1;
                    false
                }
                _ => true,
            }
        });
        before - report.diagnostics.len()
    }
}
