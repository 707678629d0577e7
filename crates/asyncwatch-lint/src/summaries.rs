//! Whole-program blocking summaries.
//!
//! Every file contributes its function bodies (with the first blocking call each makes
//! directly in sync code), its calls, and its `use` bindings. This module keys them all by
//! crate name (`crate::util::f` in crate `app` becomes `app::util::f`, so calls between
//! workspace members and into dependencies resolve the same way), follows re-exports, and
//! computes which sync functions block: those that make a blocking call, or call a function
//! that blocks, to a fixed point (cycles are fine: a function is marked once, by the first
//! chain found, which is a shortest one). A call from async code to a blocking function is a
//! finding at the call site, with the whole chain as related locations.

use foldhash::{HashMap, HashSet, HashSetExt as _};
use std::collections::VecDeque;
use std::sync::Arc;

use asyncwatch_diagnostics::{Diagnostic, Related};

use crate::checker::{qualify_owned as key, Context, DirectBlocking, FileFindings, Pending};
use crate::crate_model::Unit;
use crate::Settings;

// Names of files and crates are shared by every function and call of the file: a
// reference count, not a copy each (tens of MB on a large run), atomic so that calls can be
// resolved in parallel.
struct Function {
    key: String,
    crate_name: Arc<str>,
    file: Arc<str>,
    is_async: bool,
    direct: Option<Box<DirectBlocking>>,
}

/// A call that can matter: an edge of the call graph (a sync call from a function), or an
/// async call of a reported file, a finding if its callee blocks; each to the one function
/// its candidates name. The other calls are dropped as they are resolved.
struct Call {
    caller: Option<usize>,
    callee: usize,
    /// The callee as the call site names it, for the message of an async call's finding.
    written: Option<String>,
    file: Arc<str>,
    crate_name: Arc<str>,
    span: asyncwatch_diagnostics::Span,
    context: Context,
    function: Option<String>,
    unless_wrapper: Option<String>,
}

#[derive(Clone, Copy)]
enum Reason {
    Direct,
    /// Blocks because of this call (index into calls) to this function.
    Via {
        call: usize,
        callee: usize,
    },
}

/// Where [`Program::add_definitions`] put a file's functions: the index of the first, and
/// the file's and crate's names its calls share.
struct Added {
    base: usize,
    file: Arc<str>,
    crate_name: Arc<str>,
}

#[derive(Default)]
struct Program {
    functions: Vec<Function>,
    by_key: HashMap<String, Vec<usize>>,
    calls: Vec<Call>,
    aliases: HashMap<String, String>,
    globs: HashMap<String, Vec<String>>,
}

impl Program {
    /// Adds a file's functions and `use` exports; returns where they went, for its calls.
    fn add_definitions(&mut self, findings: &mut FileFindings, unit: &Unit) -> Added {
        findings.unpack_definitions();
        let base = self.functions.len();
        let file: Arc<str> = Arc::from(findings.file.as_str());
        let crate_name: Arc<str> = Arc::from(unit.crate_name.as_str());
        for function in std::mem::take(&mut findings.functions) {
            let key = key(function.path, &unit.crate_name);
            self.by_key
                .entry(key.clone())
                .or_default()
                .push(self.functions.len());
            self.functions.push(Function {
                key,
                crate_name: crate_name.clone(),
                file: file.clone(),
                is_async: function.is_async,
                direct: function.direct,
            });
        }
        let exports = std::mem::take(&mut findings.exports);
        for (from, to) in exports.aliases {
            let from = key(from, &unit.crate_name);
            let to = key(to, &unit.crate_name);
            // A binding to itself (`use self::x` in x's own module) would loop.
            if from != to {
                self.aliases.insert(from, to);
            }
        }
        for (module, glob) in exports.globs {
            self.globs
                .entry(key(module, &unit.crate_name))
                .or_default()
                .push(key(glob, &unit.crate_name));
        }
        Added {
            base,
            file,
            crate_name,
        }
    }

    /// A file's calls that can matter (see [`Call`]), resolved against every file's
    /// functions and exports, which must all have been added (`added`: where the file's
    /// went).
    fn resolve_calls(&self, findings: &mut FileFindings, unit: &Unit, added: &Added) -> Vec<Call> {
        findings.unpack_calls();
        let Added {
            base,
            file,
            crate_name,
        } = added;
        let mut resolved = Vec::new();
        for call in std::mem::take(&mut findings.calls) {
            let matters = match call.context {
                Context::Sync => call.caller.is_some(),
                Context::Async => unit.report,
                Context::Offloaded => false,
            };
            if !matters {
                continue;
            }
            let candidates = call
                .candidates
                .into_iter()
                .map(|c| key(c, &unit.crate_name));
            let Some((callee, written)) = self.callee(candidates) else {
                continue;
            };
            resolved.push(Call {
                caller: call.caller.map(|c| base + c),
                callee,
                written: (call.context == Context::Async).then_some(written),
                file: file.clone(),
                crate_name: crate_name.clone(),
                span: call.span,
                context: call.context,
                function: call.function,
                unless_wrapper: call.unless_wrapper,
            });
        }
        resolved
    }

    /// The functions a path may name, following `use` re-exports and globs.
    fn resolve(&self, path: &str) -> Vec<usize> {
        self.resolve_from(path, 0, &mut HashMap::default())
    }

    /// [`Program::resolve`] of `path` reached after `depth` re-exports. `failed` holds the
    /// paths this search found nothing at, with the least depth they were searched from:
    /// modules that glob-import each other (zerocopy's, a dozen deep) make the same paths
    /// recur exponentially often, and a path that yielded nothing with more of the depth
    /// budget left yields nothing with less, so it is not searched again.
    fn resolve_from(
        &self,
        path: &str,
        depth: usize,
        failed: &mut HashMap<String, usize>,
    ) -> Vec<usize> {
        if depth > 8 || failed.get(path).is_some_and(|&searched| searched <= depth) {
            return Vec::new();
        }
        let found = self.search(path, depth, failed);
        if found.is_empty() {
            failed.insert(path.to_owned(), depth);
        }
        found
    }

    fn search(&self, path: &str, depth: usize, failed: &mut HashMap<String, usize>) -> Vec<usize> {
        if let Some(found) = self.by_key.get(path) {
            return found.clone();
        }
        // Prefixes are slices of `path` up to a `::`, longest first: no string is built
        // unless an alias or a glob is followed.
        let ends: Vec<usize> = path
            .match_indices("::")
            .map(|(at, _)| at)
            .chain([path.len()])
            .collect();
        for &end in ends.iter().rev() {
            if let Some(target) = self.aliases.get(&path[..end]) {
                let followed = format!("{target}{}", &path[end..]);
                return self.resolve_from(&followed, depth + 1, failed);
            }
        }
        if let [.., module_end, _] = ends[..] {
            let module = &path[..module_end];
            let name = &path[module_end + 2..];
            if let Some(globs) = self.globs.get(module) {
                for glob in globs {
                    let found = self.resolve_from(&format!("{glob}::{name}"), depth + 1, failed);
                    if !found.is_empty() {
                        return found;
                    }
                }
            }
        }
        Vec::new()
    }

    /// The one function a call reaches, the first of its candidates that names exactly one,
    /// and that candidate.
    fn callee(&self, mut candidates: impl Iterator<Item = String>) -> Option<(usize, String)> {
        candidates.find_map(|candidate| match self.resolve(&candidate).as_slice() {
            [single] => Some((*single, candidate)),
            _ => None,
        })
    }

    fn blocking_reasons(&self) -> Vec<Option<Reason>> {
        let mut callers_of: Vec<Vec<(usize, usize)>> = vec![Vec::new(); self.functions.len()];
        for (index, call) in self.calls.iter().enumerate() {
            if let (Context::Sync, Some(caller)) = (call.context, call.caller) {
                callers_of[call.callee].push((caller, index));
            }
        }
        let mut reasons: Vec<Option<Reason>> = vec![None; self.functions.len()];
        let mut queue = VecDeque::new();
        for (index, function) in self.functions.iter().enumerate() {
            if function.direct.is_some()
                && !function.is_async
                && !is_async_runtime(&function.crate_name)
            {
                reasons[index] = Some(Reason::Direct);
                queue.push_back(index);
            }
        }
        while let Some(callee) = queue.pop_front() {
            for &(caller, call) in &callers_of[callee] {
                let function = &self.functions[caller];
                if reasons[caller].is_none()
                    && !function.is_async
                    && !is_async_runtime(&function.crate_name)
                {
                    reasons[caller] = Some(Reason::Via { call, callee });
                    queue.push_back(caller);
                }
            }
        }
        reasons
    }

    fn display(&self, function: usize, from_crate: &str) -> String {
        let function = &self.functions[function];
        let own = *function.crate_name == *from_crate || function.crate_name.contains('@');
        match function.key.strip_prefix(&*function.crate_name) {
            Some(rest) if own => rest.trim_start_matches("::").to_owned(),
            _ => function.key.clone(),
        }
    }

    fn chain_finding(
        &self,
        call: &Call,
        start: usize,
        reasons: &[Option<Reason>],
        settings: &Settings,
    ) -> Option<Diagnostic> {
        let mut hops = Vec::new();
        let mut current = start;
        let mut seen = HashSet::new();
        let root = loop {
            if !seen.insert(current) {
                return None;
            }
            match reasons[current]? {
                Reason::Direct => break self.functions[current].direct.as_deref()?.clone(),
                Reason::Via { call, callee } => {
                    hops.push((current, call, callee));
                    current = callee;
                }
            }
        };
        if !settings.is_enabled(root.rule) {
            return None;
        }
        let from = &call.crate_name;
        // The callee as the call site names it (`tempfile::TempDir::close`), which may be a
        // re-export of where it is defined (`tempfile::dir::TempDir::close`).
        let callee_name = match &call.written {
            Some(written) => strip_crate(written, from),
            None => self.display(start, from),
        };
        let mut related = Vec::new();
        let mut names = vec![format!("`{}`", self.display(start, from))];
        for &(caller, via, callee) in &hops {
            let site = &self.calls[via];
            let callee_display = self.display(callee, from);
            related.push(Related {
                file: site.file.to_string(),
                line: site.span.start.line,
                column: site.span.start.column,
                message: format!(
                    "`{}` calls `{callee_display}` here",
                    self.display(caller, from)
                ),
            });
            names.push(format!("`{callee_display}`"));
        }
        let last = &self.functions[current];
        related.push(Related {
            file: last.file.to_string(),
            line: root.span.start.line,
            column: root.span.start.column,
            message: format!(
                "`{}` calls `{}` here",
                self.display(current, from),
                root.what
            ),
        });
        names.push(format!("`{}`", root.what));
        Some(Diagnostic {
            file: call.file.to_string(),
            span: call.span,
            rule: root.rule.name,
            severity: settings.severity(root.rule),
            message: format!("blocking call to `{callee_name}` in async context"),
            label: Some(format!("blocks the worker thread: reaches `{}`", root.what)),
            help: Some(format!(
                "call `{callee_name}` inside `tokio::task::spawn_blocking`, or replace the blocking call it reaches: {}",
                root.instead
            )),
            notes: vec![
                format!("call chain: {} at {}:{}", names.join(" -> "), last.file, root.span.start.line),
                root.why.to_owned(),
            ],
            related,
            fix: None,
            function: call.function.clone(),
        })
    }
}

/// Crates whose sync functions are designed to be called from async code (tokio's
/// `pipe::OpenOptions::open_receiver` opens a FIFO without blocking). Their truly blocking
/// entry points (`block_on`, `blocking_recv`, ...) are in the catalog, matched where they are
/// called; summaries never mark their functions blocking.
const ASYNC_RUNTIME_CRATES: &[&str] = &[
    "tokio",
    "tokio_util",
    "tokio_stream",
    "async_std",
    "smol",
    "async_io",
    "async_net",
    "async_fs",
    "async_executor",
    "futures",
    "futures_util",
    "futures_lite",
];

fn is_async_runtime(crate_name: &str) -> bool {
    ASYNC_RUNTIME_CRATES.contains(&crate_name)
}

fn strip_crate(path: &str, crate_name: &str) -> String {
    match path.strip_prefix(crate_name) {
        Some(rest) if rest.starts_with("::") => rest[2..].to_owned(),
        _ => path.to_owned(),
    }
}

/// Turns every file's facts into findings: each file's own (kept when the file is
/// reported), and those of async calls into blocking functions anywhere in the program.
pub(crate) fn resolve(
    mut files: Vec<(FileFindings, Unit)>,
    settings: &Settings,
) -> Vec<Diagnostic> {
    let wrappers: HashSet<String> = files
        .iter()
        .flat_map(|(f, _)| f.wrappers.iter().cloned())
        .collect();
    let functions = files.iter().map(|(file, _)| file.function_count()).sum();
    let mut program = Program {
        functions: Vec::with_capacity(functions),
        by_key: HashMap::with_capacity_and_hasher(functions, Default::default()),
        ..Program::default()
    };
    let mut pending: Vec<Pending> = Vec::new();
    let mut bases = Vec::with_capacity(files.len());
    for (findings, unit) in &mut files {
        bases.push(program.add_definitions(findings, unit));
        if unit.report {
            pending.append(&mut findings.pending);
        }
    }
    // Resolving every call is most of this pass on a large run; files are independent. A
    // file's calls are decoded, resolved and mostly dropped on one thread, so the run never
    // holds all of them at once.
    let resolve_file = |((findings, unit), added): (&mut (FileFindings, Unit), &Added)| {
        program.resolve_calls(findings, unit, added)
    };
    let per_file: Vec<Vec<Call>> = if files.len() > 1 {
        use rayon::prelude::*;
        files.par_iter_mut().zip(&bases).map(resolve_file).collect()
    } else {
        files.iter_mut().zip(&bases).map(resolve_file).collect()
    };
    drop(files);
    program.calls = Vec::with_capacity(per_file.iter().map(Vec::len).sum());
    for calls in per_file {
        program.calls.extend(calls);
    }
    let mut diagnostics: Vec<Diagnostic> = pending
        .into_iter()
        .filter(|p| {
            p.unless_wrapper
                .as_ref()
                .is_none_or(|name| !wrappers.contains(name))
        })
        .map(|p| p.diagnostic)
        .collect();
    let reasons = program.blocking_reasons();
    for call in &program.calls {
        if call.context != Context::Async {
            continue;
        }
        if call
            .unless_wrapper
            .as_ref()
            .is_some_and(|name| wrappers.contains(name))
        {
            continue;
        }
        let callee = call.callee;
        if program.functions[callee].is_async || reasons[callee].is_none() {
            continue;
        }
        if let Some(diagnostic) = program.chain_finding(call, callee, &reasons, settings) {
            diagnostics.push(diagnostic);
        }
    }
    diagnostics
}

#[cfg(test)]
mod tests {
    use super::*;

    fn program(functions: &[&str]) -> Program {
        let mut program = Program::default();
        for (index, key) in functions.iter().enumerate() {
            program.functions.push(Function {
                key: (*key).to_owned(),
                crate_name: Arc::from("m"),
                file: Arc::from("lib.rs"),
                is_async: false,
                direct: None,
            });
            program
                .by_key
                .entry((*key).to_owned())
                .or_default()
                .push(index);
        }
        program
    }

    #[test]
    fn paths_resolve_through_chains_of_globs_and_aliases_and_cycles_end() {
        let mut program = program(&["m::b5::target", "m::real::f"]);
        // b0 -> b1 -> ... -> b5, each `pub use` of the next with a glob.
        for k in 0..5 {
            program
                .globs
                .insert(format!("m::b{k}"), vec![format!("m::b{}", k + 1)]);
        }
        program
            .aliases
            .insert("m::renamed".to_owned(), "m::real".to_owned());
        // A dozen modules that each glob-import all the others: the search must still end,
        // and find what one of them defines.
        let ring: Vec<String> = (0..12).map(|k| format!("m::r{k}")).collect();
        for module in &ring {
            let others = ring.iter().filter(|o| *o != module).cloned().collect();
            program.globs.insert(module.clone(), others);
        }
        program
            .globs
            .get_mut("m::r11")
            .unwrap()
            .push("m::b5".to_owned());

        assert_eq!(program.resolve("m::b0::target"), vec![0]);
        assert_eq!(program.resolve("m::renamed::f"), vec![1]);
        assert_eq!(program.resolve("m::r0::target"), vec![0]);
        assert!(program.resolve("m::r0::missing").is_empty());
        assert!(program.resolve("m::b0::missing").is_empty());
    }
}
