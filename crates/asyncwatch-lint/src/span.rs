//! Converting proc-macro2 spans (with `span-locations`) into report positions.

use asyncwatch_diagnostics::{Position, Span};
use std::cell::RefCell;

/// proc-macro2 gives 1-based lines and 0-based character columns; reports use 1-based
/// columns. Byte offsets are relative to the start of the file. While a compacted text is
/// analyzed ([`with_places`]), positions are those of the text it was made from.
pub(crate) fn to_span(span: proc_macro2::Span) -> Span {
    let bytes = span.byte_range();
    let (start, end) = (span.start(), span.end());
    PLACES.with(|places| {
        let places = places.borrow();
        Span {
            start: place(places.as_ref(), bytes.start, start),
            end: place(places.as_ref(), bytes.end, end),
        }
    })
}

fn place(places: Option<&Places>, offset: usize, at: proc_macro2::LineColumn) -> Position {
    // The kept run the offset is in (an end offset may be just past one).
    let run = places.and_then(|places| {
        let index = places.runs.partition_point(|run| run.parsed <= offset);
        places.runs.get(index.saturating_sub(1))
    });
    let Some(run) = run else {
        return Position {
            line: at.line,
            column: at.column + 1,
            offset,
        };
    };
    // The run's bytes are the original's: on its first line the column moves by as much,
    // past a newline inside it the columns are the same.
    let (line, column) = if at.line == run.parsed_line {
        (
            run.line,
            run.column + at.column.saturating_sub(run.parsed_column),
        )
    } else {
        (run.line + (at.line - run.parsed_line), at.column)
    };
    Position {
        line,
        column: column + 1,
        offset: run.original + (offset - run.parsed),
    }
}

/// Where each run of a compacted text ([`crate::prescan::compact_with_places`]) was in the
/// text it was made from.
#[derive(Debug, Default)]
pub(crate) struct Places {
    pub(crate) runs: Vec<Run>,
}

/// A run of bytes a compacted text kept as they were.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Run {
    /// Its byte offset, line (1-based) and character column (0-based) in the compacted
    /// text, as proc-macro2 counts them.
    pub(crate) parsed: usize,
    pub(crate) parsed_line: usize,
    pub(crate) parsed_column: usize,
    /// The same in the original text.
    pub(crate) original: usize,
    pub(crate) line: usize,
    pub(crate) column: usize,
}

thread_local! {
    static PLACES: RefCell<Option<Places>> = const { RefCell::new(None) };
}

/// Runs `f` (which parses a compacted text and converts its spans) with [`to_span`] giving
/// positions in the text `places` maps back to. Spans cannot carry that themselves:
/// proc-macro2 knows only the text it lexed.
pub(crate) fn with_places<R>(places: Places, f: impl FnOnce() -> R) -> R {
    struct Restore;
    impl Drop for Restore {
        fn drop(&mut self) {
            PLACES.with(|current| current.borrow_mut().take());
        }
    }
    PLACES.with(|current| *current.borrow_mut() = Some(places));
    let _restore = Restore;
    f()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prescan::{compact_with_places, elide};
    use syn::visit::Visit;

    /// The span of every identifier of `text`, parsed with `places` in effect.
    fn identifier_spans(text: &str, places: Option<Places>) -> Vec<(String, Span)> {
        struct Idents(Vec<(String, Span)>);
        impl Visit<'_> for Idents {
            fn visit_ident(&mut self, ident: &proc_macro2::Ident) {
                self.0.push((ident.to_string(), to_span(ident.span())));
            }
        }
        let spans = || {
            let mut idents = Idents(Vec::new());
            idents.visit_file(&syn::parse_file(text).expect("parses"));
            idents.0
        };
        let spans = match places {
            Some(places) => with_places(places, spans),
            None => spans(),
        };
        proc_macro2::extra::invalidate_current_thread_spans();
        spans
    }

    #[test]
    fn places_in_a_compacted_text_are_those_of_the_text_it_was_made_from() {
        let src = "/// é doc\n/// more\nfn a() {\n    let x = \"ü\"; x\n}\n\
                   fn b() { c(1) }  /* é */ fn d() { e() }\n\tfn f() {}\n";
        let range_of = |needle: &str| {
            let start = src.find(needle).expect("in the text");
            start..start + needle.len()
        };
        let ranges = [
            range_of("/// é doc\n/// more"),
            range_of("\n    let x = \"ü\"; x\n"),
            range_of(" c(1) "),
        ];
        let (compacted, places) = compact_with_places(src, &ranges);
        assert!(compacted.len() < src.len() - 30, "{compacted}");
        let blanked = identifier_spans(&elide(src, &ranges), None);
        assert_eq!(identifier_spans(&compacted, Some(places)), blanked);
        let names: Vec<&str> = blanked.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(names, ["a", "b", "d", "e", "f"]);
        // Outside `with_places`, spans are those of the text parsed again.
        assert_ne!(identifier_spans(&compacted, None), blanked);
    }
}
