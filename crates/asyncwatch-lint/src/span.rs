//! Converting proc-macro2 spans (with `span-locations`) into report positions.

use asyncwatch_diagnostics::{Position, Span};

/// proc-macro2 gives 1-based lines and 0-based character columns; reports use 1-based
/// columns. Byte offsets are relative to the start of the file.
pub(crate) fn to_span(span: proc_macro2::Span) -> Span {
    let bytes = span.byte_range();
    let start = span.start();
    let end = span.end();
    Span {
        start: Position {
            line: start.line,
            column: start.column + 1,
            offset: bytes.start,
        },
        end: Position {
            line: end.line,
            column: end.column + 1,
            offset: bytes.end,
        },
    }
}
