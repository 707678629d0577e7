//! Static analysis that finds blocking calls in async Rust code.
//!
//! ```
//! let settings = asyncwatch_lint::Settings::default();
//! let diagnostics = asyncwatch_lint::check_source(
//!     "example.rs",
//!     "async fn f() { std::thread::sleep(std::time::Duration::from_secs(1)); }",
//!     &settings,
//! )
//! .unwrap();
//! assert_eq!(diagnostics[0].rule, "blocking-sleep");
//! ```
//!
//! The analyzer parses files with syn and never compiles or runs them. See ARCHITECTURE.md
//! for how a finding is made.

pub mod baseline;
mod catalog;
mod checker;
pub mod config;
mod crate_model;
mod deps;
mod discover;
mod fix;
mod macros;
pub mod manifest;
mod nesting;
mod prescan;
mod resolve;
pub mod rule;
pub mod rules;
mod source_file;
mod span;
mod summaries;
mod suppress;
mod types;

use foldhash::{HashMap, HashMapExt as _, HashSet, HashSetExt as _};
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

pub use asyncwatch_diagnostics::{Diagnostic, FileError, Report, Severity};
pub use discover::{discover, DiscoverError};
pub use fix::apply_fixes;
pub use rule::Rule;

/// Which rules run and how loudly they report.
#[derive(Debug, Clone)]
pub struct Settings {
    enabled: HashSet<&'static str>,
    severities: HashMap<&'static str, Severity>,
    /// Extra functions (canonical paths) whose closure arguments run off the async worker,
    /// for projects with their own `spawn_blocking` wrappers.
    pub offload_functions: Vec<String>,
    /// The project's own blocking functions (from configuration), by canonical path,
    /// reported under `custom-blocking`.
    custom_blocking: HashMap<String, &'static catalog::Blocking>,
    /// Files and directories not to lint: globs relative to a directory.
    exclude: Vec<(PathBuf, globset::GlobSet)>,
    /// Read the sources of the crates' dependencies (as `cargo metadata` locates them) and
    /// report async calls into dependency functions that block (`--deps`).
    pub dependencies: bool,
    /// Blank, before parsing, the function bodies that cannot change a finding (see the
    /// `prescan` module). Off only to check that it changes nothing.
    pub prescan: bool,
    /// Files larger than this many bytes are not analyzed but reported as file errors
    /// (`max-file-size` in configuration).
    pub max_file_size: u64,
}

/// A rule name that no rule has.
#[derive(Debug, thiserror::Error)]
#[error("unknown rule `{name}`{hint}", name = .0, hint = rule::suggestion(.0))]
pub struct UnknownRule(pub String);

impl Default for Settings {
    fn default() -> Self {
        Settings {
            enabled: rules::all()
                .filter(|r| r.enabled_by_default)
                .map(|r| r.name)
                .collect(),
            severities: HashMap::new(),
            offload_functions: Vec::new(),
            custom_blocking: HashMap::new(),
            exclude: Vec::new(),
            dependencies: false,
            prescan: true,
            max_file_size: source_file::DEFAULT_MAX_FILE_SIZE,
        }
    }
}

impl Settings {
    /// Runs only the named rules (`all` selects every rule, pedantic ones included).
    pub fn select_only<'a>(
        &mut self,
        names: impl IntoIterator<Item = &'a str>,
    ) -> Result<(), UnknownRule> {
        let mut enabled = HashSet::new();
        for name in names {
            if name == "all" {
                enabled.extend(rules::all().map(|r| r.name));
            } else {
                enabled.insert(lookup(name)?.name);
            }
        }
        self.enabled = enabled;
        Ok(())
    }

    /// Adds rules to the enabled set (for opting into pedantic rules).
    pub fn enable(&mut self, name: &str) -> Result<(), UnknownRule> {
        if name == "all" {
            self.enabled.extend(rules::all().map(|r| r.name));
            return Ok(());
        }
        self.enabled.insert(lookup(name)?.name);
        Ok(())
    }

    pub fn disable(&mut self, name: &str) -> Result<(), UnknownRule> {
        self.enabled.remove(lookup(name)?.name);
        Ok(())
    }

    pub fn set_severity(&mut self, name: &str, severity: Severity) -> Result<(), UnknownRule> {
        self.severities.insert(lookup(name)?.name, severity);
        Ok(())
    }

    pub fn is_enabled(&self, rule: &Rule) -> bool {
        self.enabled.contains(rule.name)
    }

    pub fn severity(&self, rule: &Rule) -> Severity {
        self.severities
            .get(rule.name)
            .copied()
            .unwrap_or(rule.default_severity)
    }
}

impl Settings {
    /// Declares a project function blocking: calls to `path` (a canonical path such as
    /// `crate::db::query_sync`, or `Type::method` for a method on a receiver of known type)
    /// in async code are reported under `custom-blocking` with `reason` as a note and
    /// `replacement` as help.
    pub fn add_blocking_function(&mut self, path: &str, reason: &str, replacement: &str) {
        // Catalog entries are static; configuration is read once per run, so leaking these
        // few strings is cheaper than making every entry owned.
        let blocking: &'static catalog::Blocking = Box::leak(Box::new(catalog::Blocking::func(
            Box::leak(path.to_owned().into_boxed_str()),
            Box::leak(reason.to_owned().into_boxed_str()),
            Box::leak(replacement.to_owned().into_boxed_str()),
        )));
        self.custom_blocking.insert(path.to_owned(), blocking);
    }

    /// Paths the configuration names (blocking functions and offload wrappers), for the
    /// pre-scan's seeds.
    pub(crate) fn known_paths(&self) -> impl Iterator<Item = String> + '_ {
        self.custom_blocking
            .keys()
            .chain(&self.offload_functions)
            .cloned()
    }

    /// The configured blocking function at this canonical path, as a catalog entry.
    pub(crate) fn custom_function(&self, path: &str) -> Option<catalog::Entry> {
        if !self.is_enabled(&rules::custom_blocking::CUSTOM_BLOCKING) {
            return None;
        }
        self.custom_blocking
            .get(path)
            .map(|blocking| catalog::Entry {
                rule: &rules::custom_blocking::CUSTOM_BLOCKING,
                blocking,
            })
    }

    /// The configured blocking method `method` on receivers of type `ty`.
    pub(crate) fn custom_method(&self, ty: &str, method: &str) -> Option<catalog::Entry> {
        if self.custom_blocking.is_empty() {
            return None;
        }
        self.custom_function(&format!("{ty}::{method}"))
    }

    /// Excludes files matching `pattern` (a glob relative to `dir`; a pattern matching a
    /// directory excludes everything below it).
    pub fn add_exclude(
        &mut self,
        dir: &std::path::Path,
        pattern: &str,
    ) -> Result<(), globset::Error> {
        let pattern = pattern.trim_start_matches("./").trim_end_matches('/');
        let glob = globset::GlobBuilder::new(pattern)
            .literal_separator(true)
            .build()?;
        let set = globset::GlobSetBuilder::new().add(glob).build()?;
        self.exclude.push((manifest::absolute_clean(dir), set));
        Ok(())
    }

    /// Whether configuration excludes `file`.
    pub fn is_excluded(&self, file: &std::path::Path) -> bool {
        if self.exclude.is_empty() {
            return false;
        }
        let file = manifest::absolute_clean(file);
        self.exclude.iter().any(|(dir, set)| {
            file.strip_prefix(dir).is_ok_and(|relative| {
                relative
                    .ancestors()
                    .any(|p| !p.as_os_str().is_empty() && set.is_match(p))
            })
        })
    }
}

fn lookup(name: &str) -> Result<&'static Rule, UnknownRule> {
    rules::by_name(name).ok_or_else(|| UnknownRule(name.to_owned()))
}

/// Analyzes one file's text. `file` is the name diagnostics carry. A syntax error is returned
/// as a [`FileError`] naming the line and column. Calls to helpers defined in the same text
/// are followed; for calls across files, lint the crate with [`lint_paths`].
///
/// The analysis runs on a thread of its own with a 64 MB stack, like [`lint_paths`]'s, so
/// deeply nested code cannot overflow the caller's (smaller) stack; code nested deeper than
/// that allows is a [`FileError`] too.
pub fn check_source(
    file: &str,
    source: &str,
    settings: &Settings,
) -> Result<Vec<Diagnostic>, FileError> {
    std::thread::scope(|scope| {
        match std::thread::Builder::new()
            .name("asyncwatch-check".to_owned())
            .stack_size(ANALYSIS_STACK)
            .spawn_scoped(scope, || check_source_here(file, source, settings))
        {
            Ok(thread) => thread.join().unwrap_or_else(|panic| {
                Err(FileError {
                    file: file.to_owned(),
                    message: format!("internal error while analyzing: {}", panic_text(&panic)),
                })
            }),
            // No thread to be had: analyze on the caller's stack.
            Err(_) => check_source_here(file, source, settings),
        }
    })
}

/// The stack size of the threads that parse and analyze files.
const ANALYSIS_STACK: usize = 64 << 20;

fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned())
}

fn check_source_here(
    file: &str,
    source: &str,
    settings: &Settings,
) -> Result<Vec<Diagnostic>, FileError> {
    if source.len() as u64 > settings.max_file_size {
        return Err(FileError {
            file: file.to_owned(),
            message: source_file::too_large(source.len() as u64, settings.max_file_size),
        });
    }
    let scan =
        screen(source, prescan::lex(source), settings.prescan).map_err(|message| FileError {
            file: file.to_owned(),
            message,
        })?;
    let unit = crate_model::Unit {
        crate_name: "@source".to_owned(),
        module: vec!["crate".to_owned()],
        report: true,
    };
    let blanks = if settings.prescan {
        let mut plan = prescan::plan(
            &[&scan],
            &[0],
            &["@source".to_owned()],
            &prescan::SeedSets::cached(settings),
        );
        plan.swap_remove(0)
    } else {
        Vec::new()
    };
    let findings = analyze_without(file, source, &blanks, settings, &unit, None, None)?;
    let mut diagnostics = summaries::resolve(vec![(findings, unit)], settings);
    suppress::apply(file, source, &mut diagnostics, settings);
    Ok(diagnostics)
}

/// What a file's analysis knows of the rest of the run.
struct RunContext {
    /// The crate names of the run: calls into other crates are not recorded.
    known_crates: Arc<HashSet<String>>,
    /// Declarations of every file, for types declared in another file.
    program: Arc<checker::ProgramItems>,
}

/// Refuses a text that nests too deep to parse, and pre-scans it when `prescan` (else its
/// scan is empty): what every text gets before a pass parses it. `lexed` is its tokens, or
/// `None` if it cannot be lexed.
fn screen(
    text: &str,
    lexed: Option<prescan::Lexed>,
    prescan: bool,
) -> Result<prescan::FileScan, String> {
    let too_deep = match &lexed {
        Some(lexed) => nesting::check_tokens(text, lexed.tokens()),
        None => nesting::check(text),
    };
    if let Some(message) = too_deep {
        return Err(message);
    }
    Ok(if prescan {
        prescan::scan_lexed(text, lexed)
    } else {
        prescan::FileScan::default()
    })
}

/// [`analyze`] of `whole` with the byte ranges `blanks` removed, every place mapped back to
/// `whole`.
fn analyze_without(
    file: &str,
    whole: &str,
    blanks: &[std::ops::Range<usize>],
    settings: &Settings,
    unit: &crate_model::Unit,
    run: Option<&RunContext>,
    own_items: Option<checker::FileItems>,
) -> Result<checker::FileFindings, FileError> {
    if blanks.is_empty() {
        analyze(file, whole, settings, unit, run, own_items)
    } else if whole.starts_with('\u{feff}') {
        // syn drops a byte order mark, which would shift every place mapped back.
        let text = prescan::elide(whole, blanks);
        analyze(file, &text, settings, unit, run, own_items)
    } else {
        // The blanks removed rather than blanked: a third of a typical crate's bytes that
        // proc-macro2 no longer skips.
        let (parsed, places) = prescan::compact_with_places(whole, blanks);
        span::with_places(places, || {
            analyze(file, &parsed, settings, unit, run, own_items)
        })
    }
}

/// Parses and checks one text. `own_items` are the file's declarations if the declarations
/// pass kept them (else the checker gathers them from this text).
fn analyze(
    file: &str,
    source: &str,
    settings: &Settings,
    unit: &crate_model::Unit,
    run: Option<&RunContext>,
    own_items: Option<checker::FileItems>,
) -> Result<checker::FileFindings, FileError> {
    let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
        let syntax = syn::parse_file(source).map_err(|error| {
            let start = span::to_span(error.span()).start;
            FileError {
                file: file.to_owned(),
                message: format!("syntax error at {}:{}: {error}", start.line, start.column),
            }
        })?;
        let mut checker = checker::Checker::new(file, settings)
            .with_module_path(unit.module.clone())
            .with_file_items(own_items);
        if let Some(run) = run {
            checker = checker
                .with_known_crates(run.known_crates.clone())
                .with_program_items(run.program.clone(), &unit.crate_name);
        }
        let mut findings = checker.check_file(&syntax);
        // syn drops a byte order mark before parsing, so its offsets start after it.
        if source.starts_with('\u{feff}') {
            findings.shift_offsets('\u{feff}'.len_utf8());
        }
        let shift = if source.starts_with('\u{feff}') {
            '\u{feff}'.len_utf8()
        } else {
            0
        };
        fix::attach(
            &syntax,
            file,
            shift,
            findings.pending.iter_mut().map(|p| &mut p.diagnostic),
        );
        Ok(findings)
    }));
    // Spans are resolved into positions above; dropping the thread's source map keeps memory
    // flat across thousands of files.
    proc_macro2::extra::invalidate_current_thread_spans();
    match result {
        Ok(outcome) => outcome,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_owned());
            Err(FileError {
                file: file.to_owned(),
                message: format!("internal error while analyzing: {what}"),
            })
        }
    }
}

/// A file of the run as read: its text waiting for the passes, and what the pre-scan found
/// in it; or why it cannot be analyzed.
type Digested = Result<(Source, prescan::FileScan), String>;

/// What is made of each text as soon as it is read, on the thread that read it.
struct Digester<'s> {
    settings: &'s Settings,
    /// Bytes of text the run has read so far.
    read: AtomicUsize,
    /// [`COMPRESS_ABOVE`], except in tests that compact a small run.
    compact_above: usize,
}

impl Digester<'_> {
    /// Whether the run has read more text than is kept whole: its texts are compressed, and
    /// its files' facts packed (see [`checker::FileFindings::pack`]) as each is analyzed.
    fn compacting(&self) -> bool {
        self.read.load(Ordering::Relaxed) > self.compact_above
    }

    /// Refuses a text that nests too deep to parse, pre-scans it, and compresses it once the
    /// run is [compacting](Digester::compacting) ([`read_sources`] compresses the first ones
    /// when the whole run does).
    fn digest(&self, read: crate_model::Read) -> Digested {
        let (text, lexed) = read?;
        let scan = screen(&text, lexed, self.settings.prescan)?;
        let read_so_far = self.read.fetch_add(text.len(), Ordering::Relaxed) + text.len();
        Ok((Source::new(text, read_so_far > self.compact_above), scan))
    }
}

/// A file of the run as read once: its text, and the function bodies each pass may blank.
struct Source {
    stored: Stored,
    /// Whether the text spells `struct`, `static` or `->`: one that does not declares no
    /// field, static or return type, and the first pass skips it (a sixth of a typical
    /// corpus).
    declares: bool,
    /// Bodies that cannot change a finding (see [`prescan`]).
    elided: Blanks,
    /// Bodies the first pass (declarations only) does not need.
    skeleton: Blanks,
}

/// Byte ranges of a text that a pass blanks, at 8 bytes each and no spare capacity: a
/// registry cache's run holds 3.6 million of them, every file's, from the plan until each
/// file is analyzed.
#[derive(Default)]
struct Blanks(Box<[std::ops::Range<u32>]>);

impl Blanks {
    /// `ranges`; none if one does not fit in 32 bits, since a text parsed with nothing
    /// blanked gives the same results, only slower.
    fn new(ranges: Vec<std::ops::Range<usize>>) -> Blanks {
        let narrow = |range: std::ops::Range<usize>| {
            Some(u32::try_from(range.start).ok()?..u32::try_from(range.end).ok()?)
        };
        Blanks(
            ranges
                .into_iter()
                .map(narrow)
                .collect::<Option<_>>()
                .unwrap_or_default(),
        )
    }

    fn widened(&self) -> Vec<std::ops::Range<usize>> {
        self.0
            .iter()
            .map(|range| range.start as usize..range.end as usize)
            .collect()
    }
}

/// How a text waits between the passes.
enum Stored {
    Plain(String),
    /// LZ4, in a run whose texts take more than [`COMPRESS_ABOVE`] bytes: a third to a
    /// quarter of the size (doc comments compress least), and each pass decompresses the
    /// file it parses. Each file's text is compressed on its own, then [`pack`]ed.
    Compressed(Vec<u8>),
    /// A compressed text at `range` of a chunk it shares with the texts read beside it.
    /// Tens of thousands of small compressed texts, allocated between the pre-scan's lists,
    /// pinned pages the allocator could not return once those lists were freed. A few
    /// chunks do not: on the registry cache, 0.73x the peak RSS.
    Packed(Arc<Vec<u8>>, std::ops::Range<usize>),
}

/// Compressed texts are packed into chunks of about this size. A chunk is freed when the
/// analysis has dropped every text in it, and the files are analyzed roughly in order, so a
/// few megabytes keep that release gradual.
const PACK_CHUNK: usize = 8 << 20;

/// Moves every compressed text of `sources` into shared chunks of about `chunk_size` bytes
/// ([`PACK_CHUNK`]), in order; a text larger than that has a chunk of its own.
fn pack(sources: &mut [Result<Source, String>], chunk_size: usize) {
    let mut start = 0;
    while start < sources.len() {
        let mut end = start;
        let mut size = 0;
        while let Some(file) = sources.get(end) {
            let len = compressed(file).map_or(0, <[u8]>::len);
            if size > 0 && size + len > chunk_size {
                break;
            }
            size += len;
            end += 1;
        }
        let mut chunk = Vec::with_capacity(size);
        for file in &sources[start..end] {
            chunk.extend_from_slice(compressed(file).unwrap_or_default());
        }
        let chunk = Arc::new(chunk);
        let mut at = 0;
        for file in &mut sources[start..end] {
            if let Some(len) = compressed(file).map(<[u8]>::len) {
                if let Ok(source) = file {
                    source.stored = Stored::Packed(chunk.clone(), at..at + len);
                }
                at += len;
            }
        }
        start = end;
    }
}

/// The text of `file` if it waits compressed on its own.
fn compressed(file: &Result<Source, String>) -> Option<&[u8]> {
    match file {
        Ok(Source {
            stored: Stored::Compressed(bytes),
            ..
        }) => Some(bytes),
        _ => None,
    }
}

/// Below this many bytes of text in a run, keeping every text whole costs less memory than
/// the rest of the run does (the 28-crate corpus: 25 MB of text, 100 MB peak), and
/// compressing would cost 3% of the CPU time; above it, the texts are hundreds of megabytes
/// (397 MB for the registry cache). Texts are compressed as they are read once the run has
/// read this much, so no more than this much ever waits whole: held whole until the crate
/// model was built, the registry cache's texts were the largest part of its peak.
const COMPRESS_ABOVE: usize = 64 << 20;

impl Source {
    /// `text`, waiting compressed when `compress`, with nothing blanked yet.
    fn new(text: String, compress: bool) -> Source {
        let declares = text.contains("struct") || text.contains("static") || text.contains("->");
        let stored = if compress {
            Stored::Compressed(lz4_flex::compress_prepend_size(text.as_bytes()))
        } else {
            Stored::Plain(text)
        };
        Source {
            stored,
            declares,
            elided: Blanks::default(),
            skeleton: Blanks::default(),
        }
    }

    /// Compresses the text if it waits whole.
    fn compress(&mut self) {
        if let Stored::Plain(text) = &self.stored {
            self.stored = Stored::Compressed(lz4_flex::compress_prepend_size(text.as_bytes()));
        }
    }

    /// The text as it was read.
    fn whole(&self) -> Result<std::borrow::Cow<'_, str>, String> {
        Ok(match &self.stored {
            Stored::Plain(text) => std::borrow::Cow::Borrowed(text.as_str()),
            Stored::Compressed(bytes) => std::borrow::Cow::Owned(decompress(bytes)?),
            Stored::Packed(chunk, range) => {
                std::borrow::Cow::Owned(decompress(&chunk[range.clone()])?)
            }
        })
    }

    /// The text the declarations pass parses: the skeleton's blanks removed rather than
    /// blanked ([`prescan::compact`]), since that pass reads no place.
    fn skeleton_text(&self) -> Result<String, String> {
        Ok(prescan::compact(&self.whole()?, &self.skeleton.widened()))
    }
}

fn decompress(bytes: &[u8]) -> Result<String, String> {
    lz4_flex::decompress_size_prepended(bytes)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(|| {
            "internal error: the text kept between passes does not decompress".to_owned()
        })
}

/// The first pass over the run: every file's struct fields, statics and return types, so the
/// second pass can type values whose types are declared in another file. A file that does
/// not parse contributes nothing here; the second pass reports it. In a run `kept_whole`
/// (not compacting), each file's own declarations are returned too, for its analysis, and
/// each file is a job of its own (see [`map_files`]).
fn collect_program_items(
    model: &crate_model::Model<Digested>,
    sources: &[Result<Source, String>],
    pool: &Option<rayon::ThreadPool>,
    kept_whole: bool,
) -> (checker::ProgramItems, Vec<Option<checker::FileItems>>) {
    let declarations =
        |((_, unit), source): (&(PathBuf, crate_model::Unit), &Result<Source, String>)| {
            let source = source.as_ref().ok()?;
            if !source.declares {
                return None;
            }
            let skeleton = source.skeleton_text().ok()?;
            let items = std::panic::catch_unwind(AssertUnwindSafe(|| {
                syn::parse_file(&skeleton)
                    .ok()
                    .map(|syntax| checker::file_items(&syntax, unit.module.clone()))
            }));
            proc_macro2::extra::invalidate_current_thread_spans();
            items
                .ok()
                .flatten()
                .map(|items| (items, unit.crate_name.clone()))
        };
    // A chunk at a time: each file's declarations are far larger before `ProgramItems::add`
    // keeps what can answer a lookup, and the whole run's at once were a registry cache's
    // peak.
    let mut program = checker::ProgramItems::default();
    let mut own = Vec::new();
    for (files, sources) in model
        .files
        .chunks(DECLARATION_CHUNK)
        .zip(sources.chunks(DECLARATION_CHUNK))
    {
        let items = map_files(
            pool,
            files,
            sources.iter().collect(),
            kept_whole,
            declarations,
        );
        for file in items {
            if kept_whole {
                own.push(file.as_ref().map(|(items, _)| items.clone()));
            }
            if let Some((items, crate_name)) = file {
                program.add(items, &crate_name);
            }
        }
    }
    (program, own)
}

/// Files whose declarations are gathered in parallel before they are added to the run's: a
/// few hundred keep both threads busy between the joins (a chunk waits for its slowest file).
const DECLARATION_CHUNK: usize = 512;

/// `f` for each file of the run with its item of `values` (one per file, in order), on
/// `pool` when there is one; the results keep the files' order.
///
/// With `per_file_jobs` each file is a job of its own: rayon otherwise cuts a range into a
/// few pieces per thread and runs a piece it has begun to the end, so a thread that ran out
/// of work sat idle while the other went through the last piece's files (on the corpus,
/// 0.18 s of the analysis's 0.73 s, on one thread of two). A compacting run keeps the
/// pieces: with a job per file, the registry cache's peak RSS rose from 444 to 619 MB.
fn map_files<T: Send, R: Send>(
    pool: &Option<rayon::ThreadPool>,
    files: &[(PathBuf, crate_model::Unit)],
    values: Vec<T>,
    per_file_jobs: bool,
    f: impl Fn((&(PathBuf, crate_model::Unit), T)) -> R + Sync + Send,
) -> Vec<R> {
    use rayon::prelude::*;
    let most = if per_file_jobs { 1 } else { usize::MAX };
    match pool {
        Some(pool) => pool.install(|| {
            files
                .par_iter()
                .zip(values)
                .with_max_len(most)
                .map(f)
                .collect()
        }),
        None => files.iter().zip(values).map(f).collect(),
    }
}

/// `f` on `pool` when there is one (its parallel iterators then use the pool's threads),
/// else on this thread.
fn on_pool<R: Send>(pool: &Option<rayon::ThreadPool>, f: impl FnOnce() -> R + Send) -> R {
    match pool {
        Some(pool) => pool.install(f),
        None => f(),
    }
}

/// Takes every file's text from the model (reading and digesting those it has not read)
/// and, unless `settings.prescan` is off, plans which function bodies each pass blanks (see
/// [`prescan`]).
fn read_sources(
    model: &mut crate_model::Model<Digested>,
    digester: &Digester,
    settings: &Settings,
    pool: &Option<rayon::ThreadPool>,
) -> Vec<Result<Source, String>> {
    let texts = std::mem::take(&mut model.texts);
    let read = |((path, _), read): (&(PathBuf, crate_model::Unit), Option<Digested>)| {
        read.unwrap_or_else(|| {
            digester.digest(crate_model::lexed(source_file::read(
                path,
                settings.max_file_size,
            )))
        })
    };
    let per_file_jobs = !digester.compacting();
    let mut scanned: Vec<Digested> = map_files(pool, &model.files, texts, per_file_jobs, read);
    let compress = digester.compacting();
    if compress {
        // The texts read before the run passed the threshold.
        on_pool(pool, || {
            use rayon::prelude::*;
            scanned
                .par_iter_mut()
                .flatten()
                .for_each(|(source, _)| source.compress());
        });
    }
    if !settings.prescan {
        let mut sources: Vec<Result<Source, String>> = scanned
            .into_iter()
            .map(|file| file.map(|(source, _)| source))
            .collect();
        if compress {
            pack(&mut sources, PACK_CHUNK);
        }
        return sources;
    }
    let mut crate_names: Vec<String> = Vec::new();
    // Searching the list for each file's crate made about eleven million string comparisons
    // on a registry cache (27,000 files, 800 crates).
    let mut crate_indices: HashMap<&str, usize> = HashMap::new();
    let mut crates = Vec::new();
    let mut scans = Vec::new();
    for (file, (_, unit)) in scanned.iter().zip(&model.files) {
        if let Ok((_, scan)) = file {
            let index = *crate_indices
                .entry(unit.crate_name.as_str())
                .or_insert_with(|| {
                    crate_names.push(unit.crate_name.clone());
                    crate_names.len() - 1
                });
            crates.push(index);
            scans.push(scan);
        }
    }
    let seeds = prescan::SeedSets::new(settings);
    let mut plans = on_pool(pool, || {
        prescan::plan(&scans, &crates, &crate_names, &seeds)
    })
    .into_iter();
    let offload_names = prescan::name_set(checker::offload_names());
    let mut sources: Vec<Result<Source, String>> = scanned
        .into_iter()
        .map(|file| {
            file.map(|(source, scan)| Source {
                elided: Blanks::new(plans.next().unwrap_or_default()),
                skeleton: Blanks::new(prescan::skeleton(&scan, &offload_names)),
                ..source
            })
        })
        .collect();
    // Once the scans are freed: the small compressed texts share pages with their lists,
    // and packing them while the scans lived allocated every chunk before any of those
    // pages could be returned (on the registry cache, 465 MB RSS became 523 MB, the run's
    // peak).
    if compress {
        pack(&mut sources, PACK_CHUNK);
    }
    sources
}

/// Lints every Rust file under `paths` (files or directories) in parallel.
///
/// A path that does not exist is an error for the whole run; a file that cannot be read or
/// parsed becomes an entry in [`Report::errors`] and the run continues.
pub fn lint_paths(paths: &[PathBuf], settings: &Settings) -> Result<Report, DiscoverError> {
    let mut files = discover(paths)?;
    files.retain(|file| !settings.is_excluded(file));
    Ok(lint_files(&files, settings))
}

/// Lints the given files, which must exist, as parts of their crates: the crate model (from
/// the nearest `Cargo.toml`) gives each file its module path, and the other files of those
/// crates and of their path dependencies are read too, so calls into sync helpers that block
/// are followed across files and workspace members.
pub fn lint_files(files: &[PathBuf], settings: &Settings) -> Report {
    lint_files_compacting_above(files, settings, COMPRESS_ABOVE)
}

/// [`lint_files`], compacting what waits between the passes once the run has read more than
/// `compact_above` bytes of text.
fn lint_files_compacting_above(
    files: &[PathBuf],
    settings: &Settings,
    compact_above: usize,
) -> Report {
    let mut report = Report {
        files: files.len(),
        ..Report::default()
    };
    let mut cached: Vec<(checker::FileFindings, crate_model::Unit)> = Vec::new();
    let mut to_cache: Vec<(String, String)> = Vec::new();
    let mut dependency_roots = Vec::new();
    if settings.dependencies {
        let mut covered: Vec<PathBuf> = Vec::new();
        for manifest in crate_model::package_manifests(files) {
            if covered.contains(&manifest) {
                continue;
            }
            match deps::dependencies(&manifest) {
                Ok((dependencies, members)) => {
                    covered.extend(members);
                    for dependency in dependencies {
                        if dependency_roots.iter().any(|t: &crate_model::Target| {
                            t.crate_name == dependency.target.crate_name
                        }) {
                            continue;
                        }
                        if let Some(key) = &dependency.cache_key {
                            if let Some(facts) = deps::load(key) {
                                cached.extend(facts);
                                continue;
                            }
                            to_cache.push((key.clone(), dependency.target.crate_name.clone()));
                        }
                        dependency_roots.push(dependency.target);
                    }
                }
                Err(error) => report.errors.push(FileError {
                    file: manifest.display().to_string(),
                    message: format!("cannot read dependencies: {error}"),
                }),
            }
        }
    }
    // Parsing recurses deeply on deeply nested code; big stacks keep that from overflowing.
    let pool = rayon::ThreadPoolBuilder::new()
        .stack_size(64 << 20)
        .build()
        .ok();
    let digester = Digester {
        settings,
        read: AtomicUsize::new(0),
        compact_above,
    };
    let mut model = on_pool(&pool, || {
        crate_model::build(files, &dependency_roots, settings.max_file_size, &|read| {
            digester.digest(read)
        })
    });
    let known_crates: Arc<HashSet<String>> = Arc::new(
        model
            .files
            .iter()
            .map(|(_, unit)| &unit.crate_name)
            .chain(cached.iter().map(|(_, unit)| &unit.crate_name))
            .filter(|name| !name.contains('@'))
            .cloned()
            .collect(),
    );
    let sources = read_sources(&mut model, &digester, settings, &pool);
    let pack_facts = digester.compacting();
    // Each file's own declarations are what the analysis would gather again from its text;
    // kept for it unless the run is large enough to compact (a registry cache's would be
    // a hundred megabytes more at its peak).
    let (program, own_items) = collect_program_items(&model, &sources, &pool, !pack_facts);
    let program = Arc::new(program);
    let run = RunContext {
        known_crates,
        program,
    };
    // Each file's text is dropped as soon as its analysis ends, not with the whole run's,
    // unless it holds suppression comments, which apply once every finding is known.
    type Checked = (
        Result<(checker::FileFindings, crate_model::Unit), (FileError, bool)>,
        Option<(String, String)>,
    );
    // A file's text, and its declarations when the declarations pass kept them.
    type Waiting = (Result<Source, String>, Option<checker::FileItems>);
    let check =
        |((path, unit), (source, own_items)): (&(PathBuf, crate_model::Unit), Waiting)| -> Checked {
            let name = path.display().to_string();
            let text = source.and_then(|source| {
                let whole = source.whole()?;
                let blanks = source.elided.widened();
                let analyzed = analyze_without(
                    &name,
                    &whole,
                    &blanks,
                    settings,
                    unit,
                    Some(&run),
                    own_items,
                );
                let suppressions =
                    (unit.report && whole.contains(suppress::MARKER)).then(|| whole.into_owned());
                Ok((analyzed, suppressions))
            });
            let (outcome, suppressions) = match text {
                Ok(analyzed) => analyzed,
                Err(message) => {
                    let error = FileError {
                        file: name,
                        message,
                    };
                    return (Err((error, unit.report)), None);
                }
            };
            let outcome = outcome
                .map(|mut findings| {
                    if pack_facts {
                        findings.pack();
                    }
                    (findings, unit.clone())
                })
                .map_err(|error| (error, unit.report));
            (outcome, suppressions.map(|text| (name, text)))
        };
    let sources: Vec<Waiting> = if own_items.is_empty() {
        sources.into_iter().map(|source| (source, None)).collect()
    } else {
        sources.into_iter().zip(own_items).collect()
    };
    let outcomes: Vec<Checked> = map_files(&pool, &model.files, sources, !pack_facts, check);
    let mut analyzed = Vec::new();
    let mut with_suppressions = Vec::new();
    for (outcome, suppressions) in outcomes {
        match outcome {
            Ok(file) => analyzed.push(file),
            // A context file that does not parse only loses its summaries.
            Err((error, reported)) => {
                if reported {
                    report.errors.push(error);
                }
            }
        }
        with_suppressions.extend(suppressions);
    }
    for (key, crate_name) in &to_cache {
        let facts: Vec<_> = analyzed
            .iter_mut()
            .filter(|(_, unit)| !unit.report && &unit.crate_name == crate_name)
            .map(|file| {
                file.0.unpack();
                &*file
            })
            .collect();
        deps::store(key, crate_name, &facts);
    }
    analyzed.extend(cached);
    // The declarations answered the analysis; the summaries need the memory.
    drop(run);
    report.diagnostics = on_pool(&pool, || summaries::resolve(analyzed, settings));
    for (name, text) in &with_suppressions {
        suppress::apply(name, text, &mut report.diagnostics, settings);
    }
    report.sort();
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_source_gives_back_its_text_whole_and_its_skeleton_stored_either_way() {
        let text = "fn a() { 1 }\nfn b() { \u{1f980} }\n";
        for compress in [false, true] {
            let mut source = Source::new(text.to_owned(), compress);
            assert_eq!(matches!(source.stored, Stored::Compressed(_)), compress);
            assert!(!source.declares);
            source.elided = Blanks::new(vec![8..11, 22..26]);
            let whole = source.whole().unwrap();
            assert_eq!(whole, text);
            let elided = prescan::elide(&whole, &source.elided.widened());
            assert_eq!(elided, "fn a() {   }\nfn b() {      }\n");
            source.skeleton = Blanks::new(vec![8..11, 22..26]);
            assert_eq!(
                source.skeleton_text().unwrap(),
                "fn a() { }\nfn b() {   }\n"
            );
        }
        assert!(Source::new("struct S;".to_owned(), true).declares);
    }

    #[test]
    fn a_compacted_run_reports_what_a_run_kept_whole_does() {
        // The run kept whole also hands the analysis each file's declarations from the
        // declarations pass; the compacted one gathers them again from the analyzed text.
        let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
        let files = discover(&[fixtures.join("lint"), fixtures.join("crates")]).unwrap();
        let mut settings = Settings::default();
        for rule in rules::all() {
            settings.enable(rule.name).unwrap();
        }
        let whole = lint_files_compacting_above(&files, &settings, usize::MAX);
        let compacted = lint_files_compacting_above(&files, &settings, 0);
        let chains = whole
            .diagnostics
            .iter()
            .filter(|d| d.notes.iter().any(|n| n.starts_with("call chain:")))
            .count();
        assert!(
            whole.diagnostics.len() > 50 && chains > 5,
            "{} findings, {chains} through call chains",
            whole.diagnostics.len()
        );
        assert_eq!(compacted.diagnostics, whole.diagnostics);
        assert_eq!(compacted.errors, whole.errors);
    }

    #[test]
    fn blanks_keep_their_ranges_or_none_when_one_does_not_fit_in_32_bits() {
        assert_eq!(
            Blanks::new(vec![3..9, 12..40]).widened(),
            vec![3..9, 12..40]
        );
        let beyond = u32::MAX as usize + 1;
        assert!(Blanks::new(vec![3..9, beyond..beyond + 2])
            .widened()
            .is_empty());
    }

    #[test]
    fn packed_texts_share_chunks_in_order_and_read_back_whole() {
        let texts: Vec<String> = (0..6)
            .map(|i| format!("fn f{i}() {{ {} }}\n", "x + ".repeat(i * 7)))
            .collect();
        let mut sources: Vec<Result<Source, String>> = texts
            .iter()
            .map(|text| Ok(Source::new(text.clone(), true)))
            .collect();
        sources.insert(2, Err("unreadable".to_owned()));
        let sizes: Vec<usize> = sources
            .iter()
            .map(|file| match file {
                Ok(source) => match &source.stored {
                    Stored::Compressed(bytes) => bytes.len(),
                    _ => unreachable!("Source::new compresses"),
                },
                Err(_) => 0,
            })
            .collect();
        // Room for about two texts per chunk.
        let chunk_size = sizes.iter().max().unwrap() * 2;
        pack(&mut sources, chunk_size);

        let mut chunks: Vec<*const Vec<u8>> = Vec::new();
        let mut read_back = Vec::new();
        for file in &sources {
            let Ok(source) = file else { continue };
            let Stored::Packed(chunk, range) = &source.stored else {
                panic!("every compressed text is packed");
            };
            assert!(chunk.len() <= chunk_size || chunk.len() == range.len());
            if chunks.last() != Some(&Arc::as_ptr(chunk)) {
                assert!(
                    !chunks.contains(&Arc::as_ptr(chunk)),
                    "a chunk's texts are adjacent"
                );
                chunks.push(Arc::as_ptr(chunk));
            }
            read_back.push(source.whole().unwrap().into_owned());
        }
        assert_eq!(read_back, texts);
        assert!(
            chunks.len() > 1 && chunks.len() < texts.len(),
            "{} chunks",
            chunks.len()
        );
        assert!(sources[2].is_err());
    }
}
