//! Mechanical fixes: where a finding's async alternative is a drop-in replacement, the
//! diagnostic carries the edit. Only obviously safe edits are `MachineApplicable` (what
//! `asyncwatch lint --fix` applies):
//!
//! - `std::thread::sleep(d)` -> `tokio::time::sleep(d).await` when the call is a statement
//!   of an `async` fn, block or closure and the crate enables tokio's `time` feature;
//! - `std::fs::NAME(..)` -> `tokio::fs::NAME(..).await` for the functions `tokio::fs` has
//!   with the same signature and result, when the call is in an `async` body (not inside a
//!   plain closure) and the crate enables tokio's `fs` feature.
//!
//! Anywhere else the same edit is offered as `MaybeIncorrect`.

use std::collections::HashMap;
use std::path::Path;

use asyncwatch_diagnostics::{Applicability, Diagnostic, Edit, Fix};
use syn::spanned::Spanned;
use syn::visit::{self, Visit};

use crate::span::to_span;

/// Whether `tokio::fs::NAME` takes the same arguments and returns the same type as
/// `std::fs::NAME`: every namesake but `read_dir` (tokio's `ReadDir` is not an iterator) and
/// the `File` constructors (tokio's `File` has other methods).
fn drop_in_tokio_fs(name: &str) -> bool {
    crate::rules::blocking_fs::TOKIO_FS_NAMESAKES.contains(&name)
        && name != "read_dir"
        && !name.starts_with("File::")
}

/// Where a call sits: its callee, its end, and whether an `.await` may follow it.
struct CallSite {
    callee: proc_macro2::Span,
    close: proc_macro2::Span,
    awaitable: bool,
    statement: bool,
}

#[derive(Default)]
struct Calls {
    /// By (start, end) byte offsets of the call without attributes.
    sites: HashMap<(usize, usize), CallSite>,
    awaitable: bool,
    statement_calls: Vec<usize>,
}

impl Calls {
    fn with(&mut self, awaitable: bool, body: impl FnOnce(&mut Self)) {
        let saved = std::mem::replace(&mut self.awaitable, awaitable);
        body(self);
        self.awaitable = saved;
    }
}

impl<'ast> Visit<'ast> for Calls {
    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        let is_async = f.sig.asyncness.is_some();
        self.with(is_async, |this| visit::visit_item_fn(this, f));
    }
    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        let is_async = f.sig.asyncness.is_some();
        self.with(is_async, |this| visit::visit_impl_item_fn(this, f));
    }
    fn visit_trait_item_fn(&mut self, f: &'ast syn::TraitItemFn) {
        let is_async = f.sig.asyncness.is_some();
        self.with(is_async, |this| visit::visit_trait_item_fn(this, f));
    }
    fn visit_expr_async(&mut self, e: &'ast syn::ExprAsync) {
        self.with(true, |this| visit::visit_expr_async(this, e));
    }
    fn visit_expr_closure(&mut self, c: &'ast syn::ExprClosure) {
        let is_async = c.asyncness.is_some();
        self.with(is_async, |this| visit::visit_expr_closure(this, c));
    }
    fn visit_stmt(&mut self, stmt: &'ast syn::Stmt) {
        if let syn::Stmt::Expr(syn::Expr::Call(call), _) = stmt {
            self.statement_calls
                .push(call as *const syn::ExprCall as usize);
        }
        visit::visit_stmt(self, stmt);
    }
    fn visit_expr_call(&mut self, call: &'ast syn::ExprCall) {
        let callee = call.func.span();
        let close = call.paren_token.span.close();
        let whole = to_span(callee.join(close).unwrap_or(callee));
        let address = call as *const syn::ExprCall as usize;
        self.sites.insert(
            (whole.start.offset, whole.end.offset),
            CallSite {
                callee,
                close,
                awaitable: self.awaitable,
                statement: self.statement_calls.contains(&address),
            },
        );
        visit::visit_expr_call(self, call);
    }
}

/// The path a call diagnostic names: the text between its message's first backticks.
fn called_path(d: &Diagnostic) -> Option<&str> {
    let (_, rest) = d.message.split_once('`')?;
    rest.split_once('`').map(|(path, _)| path)
}

/// Attaches fixes to the call diagnostics of one parsed file. `shift` is added to every
/// offset (a byte order mark syn does not see).
pub(crate) fn attach<'d>(
    syntax: &syn::File,
    file: &str,
    shift: usize,
    diagnostics: impl Iterator<Item = &'d mut Diagnostic>,
) {
    let mut diagnostics: Vec<&mut Diagnostic> = diagnostics
        .filter(|d| d.fix.is_none() && matches!(d.rule, "blocking-sleep" | "blocking-fs"))
        .collect();
    if diagnostics.is_empty() {
        return;
    }
    let mut calls = Calls::default();
    calls.visit_file(syntax);
    for d in &mut diagnostics {
        let key = (
            d.span.start.offset.wrapping_sub(shift),
            d.span.end.offset.wrapping_sub(shift),
        );
        let Some(site) = calls.sites.get(&key) else {
            continue;
        };
        let Some(path) = called_path(d) else { continue };
        let (replacement, feature, safe_position) = match path {
            "std::thread::sleep" => ("tokio::time::sleep".to_owned(), "time", site.statement),
            _ => match path.strip_prefix("std::fs::") {
                Some(name) if drop_in_tokio_fs(name) => (format!("tokio::fs::{name}"), "fs", true),
                _ => continue,
            },
        };
        let has_tokio = crate::manifest::has_tokio_feature(Path::new(file), feature);
        let safe = safe_position && site.awaitable && has_tokio;
        let mut callee = to_span(site.callee);
        let mut end = to_span(site.close).end;
        for position in [&mut callee.start, &mut callee.end, &mut end] {
            position.offset += shift;
        }
        let mut message = format!("replace with `{replacement}(..).await`");
        if !has_tokio {
            message.push_str(&format!(
                " (the crate needs tokio with the `{feature}` feature)"
            ));
        } else if !safe {
            message.push_str(" (check that the surrounding code can `.await` here)");
        }
        d.fix = Some(Fix {
            message,
            applicability: if safe {
                Applicability::MachineApplicable
            } else {
                Applicability::MaybeIncorrect
            },
            edits: vec![
                Edit {
                    span: callee,
                    replacement,
                },
                Edit {
                    span: asyncwatch_diagnostics::Span { start: end, end },
                    replacement: ".await".to_owned(),
                },
            ],
        });
    }
}

/// Applies the `MachineApplicable` fixes among `diagnostics` that belong to `file` to its
/// text. Edits of a fix are applied together or not at all; a fix overlapping one already
/// taken is skipped (the next `--fix` run picks it up). Returns the new text and how many
/// fixes were applied.
pub fn apply_fixes(file: &str, source: &str, diagnostics: &[Diagnostic]) -> (String, usize) {
    let mut fixes: Vec<&Fix> = diagnostics
        .iter()
        .filter(|d| d.file == file)
        .filter_map(|d| d.fix.as_ref())
        .filter(|f| f.applicability == Applicability::MachineApplicable && !f.edits.is_empty())
        .collect();
    fixes.sort_by_key(|f| f.edits.iter().map(|e| e.span.start.offset).min());
    let mut taken: Vec<(usize, usize)> = Vec::new();
    let mut edits: Vec<&Edit> = Vec::new();
    let mut applied = 0;
    for fix in fixes {
        let ranges: Vec<(usize, usize)> = fix
            .edits
            .iter()
            .map(|e| (e.span.start.offset, e.span.end.offset))
            .collect();
        let fits = ranges.iter().all(|&(s, e)| {
            s <= e
                && e <= source.len()
                && source.is_char_boundary(s)
                && source.is_char_boundary(e)
                && taken
                    .iter()
                    .all(|&(ts, te)| e <= ts || s >= te || (s == e && s == te))
        });
        if !fits {
            continue;
        }
        taken.extend(ranges);
        edits.extend(fix.edits.iter());
        applied += 1;
    }
    edits.sort_by_key(|e| std::cmp::Reverse((e.span.start.offset, e.span.end.offset)));
    let mut text = source.to_owned();
    for edit in edits {
        text.replace_range(
            edit.span.start.offset..edit.span.end.offset,
            &edit.replacement,
        );
    }
    (text, applied)
}
