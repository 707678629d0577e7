//! The diagnostic and report model shared by asyncwatch's analyzers, and its printers.
//!
//! Analyzers produce [`Diagnostic`]s and [`FileError`]s into a [`Report`]; the CLI picks a
//! printer. Nothing here knows how a diagnostic was found, so every output format shows the
//! same facts.

pub mod fingerprint;
mod github;
mod human;
mod json;
mod model;
mod rustc_json;
mod sarif;

pub use github::render_github;
pub use human::{render_human, SourceCache};
pub use json::{render_json, JSON_FORMAT_VERSION};
pub use model::{
    Applicability, Diagnostic, Edit, FileError, Fix, Position, Related, Report, Severity, Span,
};
pub use rustc_json::{render_rustc_json, CargoContext, CargoTarget};
pub use sarif::{relative_uri, render_sarif, SarifRule, SARIF_SCHEMA};
