//! `--format sarif`: SARIF 2.1.0 as GitHub code scanning accepts it. Rules carry short and full
//! descriptions and help; results carry relative URIs (against `%SRCROOT%`, the checkout),
//! regions and `partialFingerprints` that survive code moving up or down.

use std::path::Path;

use serde_json::{json, Value};

use crate::fingerprint::{fingerprint, normalize_file};
use crate::human::SourceCache;
use crate::{Applicability, Diagnostic, Report, Severity, Span};

pub const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// What SARIF says about a rule; the CLI fills it from the rule registry.
#[derive(Debug, Clone)]
pub struct SarifRule {
    pub id: String,
    /// One line, lowercase without a trailing period.
    pub short_description: String,
    /// The rule's documentation as markdown.
    pub full_description: String,
    pub default_severity: Severity,
    pub help_uri: Option<String>,
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

/// A file name as a URI reference relative to `base` (the checkout root). Absolute paths
/// outside `base` become `file://` URIs.
pub fn relative_uri(file: &str, base: &Path) -> String {
    let path = Path::new(file);
    let relative = if path.is_absolute() {
        match path.strip_prefix(base) {
            Ok(rest) => rest.to_string_lossy().into_owned(),
            Err(_) => return format!("file://{}", encode(&file.replace('\\', "/"))),
        }
    } else {
        file.to_owned()
    };
    encode(&normalize_file(&relative))
}

fn encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        match c {
            '%' => out.push_str("%25"),
            ' ' => out.push_str("%20"),
            '#' => out.push_str("%23"),
            '?' => out.push_str("%3F"),
            _ => out.push(c),
        }
    }
    out
}

fn region(span: &Span) -> Value {
    json!({
        "startLine": span.start.line,
        "startColumn": span.start.column,
        "endLine": span.end.line,
        "endColumn": span.end.column,
    })
}

fn artifact(file: &str, base: &Path) -> Value {
    let uri = relative_uri(file, base);
    if uri.starts_with("file://") {
        json!({ "uri": uri })
    } else {
        json!({ "uri": uri, "uriBaseId": "%SRCROOT%" })
    }
}

fn result(
    d: &Diagnostic,
    rule_index: Option<usize>,
    base: &Path,
    sources: &mut SourceCache,
) -> Value {
    let source = sources.get(&d.file);
    let print = fingerprint(d, source);
    let mut text = d.message.clone();
    if let Some(help) = &d.help {
        text.push_str("\nhelp: ");
        text.push_str(help);
    }
    let mut result = json!({
        "ruleId": d.rule,
        "level": level(d.severity),
        "message": { "text": text },
        "locations": [{
            "physicalLocation": {
                "artifactLocation": artifact(&d.file, base),
                "region": region(&d.span),
            }
        }],
        "partialFingerprints": { "asyncwatchFingerprint/v1": print },
    });
    if let Some(index) = rule_index {
        result["ruleIndex"] = json!(index);
    }
    if let Some(function) = &d.function {
        result["locations"][0]["logicalLocations"] =
            json!([{ "fullyQualifiedName": function, "kind": "function" }]);
    }
    if !d.related.is_empty() {
        result["relatedLocations"] = d
            .related
            .iter()
            .enumerate()
            .map(|(i, r)| {
                json!({
                    "id": i,
                    "message": { "text": r.message },
                    "physicalLocation": {
                        "artifactLocation": artifact(&r.file, base),
                        "region": { "startLine": r.line, "startColumn": r.column },
                    }
                })
            })
            .collect();
    }
    if let Some(fix) = d.fix.as_ref().filter(|f| !f.edits.is_empty()) {
        result["fixes"] = json!([{
            "description": { "text": fix.message },
            "artifactChanges": [{
                "artifactLocation": artifact(&d.file, base),
                "replacements": fix.edits.iter().map(|e| json!({
                    "deletedRegion": region(&e.span),
                    "insertedContent": { "text": e.replacement },
                })).collect::<Vec<_>>(),
            }],
        }]);
        result["properties"] = json!({
            "fixApplicability": match fix.applicability {
                Applicability::MachineApplicable => "machine-applicable",
                Applicability::MaybeIncorrect => "maybe-incorrect",
            }
        });
    }
    result
}

/// Renders the report as one SARIF 2.1.0 log with a single run. `base` is the directory
/// relative URIs are taken against (the current directory, which in CI is the checkout).
pub fn render_sarif(
    report: &Report,
    rules: &[SarifRule],
    sources: &mut SourceCache,
    base: &Path,
    tool_version: &str,
) -> String {
    let driver_rules: Vec<Value> = rules
        .iter()
        .map(|rule| {
            let mut value = json!({
                "id": rule.id,
                "name": rule.id,
                "shortDescription": { "text": rule.short_description },
                "fullDescription": { "text": first_paragraph(&rule.full_description) },
                "help": {
                    "text": rule.full_description,
                    "markdown": rule.full_description,
                },
                "defaultConfiguration": { "level": level(rule.default_severity) },
                "properties": { "tags": ["async", "performance"] },
            });
            if let Some(uri) = &rule.help_uri {
                value["helpUri"] = json!(uri);
            }
            value
        })
        .collect();
    let results: Vec<Value> = report
        .diagnostics
        .iter()
        .map(|d| {
            let index = rules.iter().position(|r| r.id == d.rule);
            result(d, index, base, sources)
        })
        .collect();
    let notifications: Vec<Value> = report
        .errors
        .iter()
        .map(|e| {
            json!({
                "level": "error",
                "message": { "text": format!("could not analyze {}: {}", e.file, e.message) },
                "locations": [{ "physicalLocation": { "artifactLocation": artifact(&e.file, base) } }],
            })
        })
        .collect();
    let log = json!({
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "asyncwatch",
                    "version": tool_version,
                    "semanticVersion": tool_version,
                    "informationUri": "https://example.invalid/asyncwatch",
                    "rules": driver_rules,
                }
            },
            "invocations": [{
                "executionSuccessful": report.errors.is_empty(),
                "toolExecutionNotifications": notifications,
            }],
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    });
    let mut out = serde_json::to_string_pretty(&log).unwrap_or_default();
    out.push('\n');
    out
}

/// The markdown's first paragraph below its first heading, as plain-ish text.
fn first_paragraph(markdown: &str) -> String {
    let paragraph: Vec<&str> = markdown
        .lines()
        .map(str::trim)
        .skip_while(|l| l.is_empty() || l.starts_with('#'))
        .take_while(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    if paragraph.is_empty() {
        markdown.trim().to_owned()
    } else {
        paragraph.join(" ")
    }
}
