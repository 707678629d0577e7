//! The diagnostic and report model shared by asyncwatch's analyzers, and its printers.
//!
//! Analyzers produce [`Diagnostic`]s and [`FileError`]s into a [`Report`]; the CLI picks a
//! printer. Nothing here knows how a diagnostic was found, so every output format shows the
//! same facts.

mod human;
mod json;
mod model;

pub use human::{render_human, SourceCache};
pub use json::{render_json, JSON_FORMAT_VERSION};
pub use model::{
    Applicability, Diagnostic, Edit, FileError, Fix, Position, Related, Report, Severity, Span,
};
