//! The single AST walk that finds blocking calls in async context.
//!
//! The walk keeps three stacks: [`Frame`]s saying whether the code being visited runs in
//! async context (an `async fn`/block/closure or a `poll` body), in plain sync code, or in a
//! closure handed to an offload entry point; the [`Resolver`] scopes that say what a path
//! means; and local variable types, so method calls are judged by their receiver's type.
//! Rules are data ([`Catalog`]); this module decides *where* a catalog entry applies.

use foldhash::{HashMap, HashMapExt as _, HashSet, HashSetExt as _};

use asyncwatch_diagnostics::{Diagnostic, Related};
use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::visit::{self, Visit};
use syn::{
    Block, Expr, ExprCall, ExprClosure, ExprMethodCall, FnArg, ImplItem, Item, Local, Pat,
    ReturnType, Signature, Stmt, TraitItem, Type,
};

use crate::catalog::{Catalog, Entry};
use crate::macros::{self, MacroBody};
use crate::resolve::{pattern_names, Resolver};
use crate::rules::guard_across_await::{self, GUARD_ACROSS_AWAIT};
use crate::span::to_span;
use crate::types::{self, last_segment, Ty};
use crate::Settings;

/// Where the code being visited runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) enum Context {
    /// Polled by the runtime on a worker thread: blocking here stalls other tasks.
    Async,
    /// Plain synchronous code; whether it blocks a runtime depends on who calls it.
    Sync,
    /// A closure handed to `spawn_blocking`, `std::thread::spawn`, rayon and the like.
    Offloaded,
}

struct Frame {
    context: Context,
    function: Option<String>,
    /// An `async fn`/block/closure: code inside runs when polled, whatever surrounds it.
    async_boundary: bool,
    /// Set on a closure handed to a crate-local function (`asyncify(move || ..)`): findings
    /// inside hold only if no file of the run shows that function to be an offload wrapper.
    offload_candidate: Option<String>,
}

/// A finding, possibly conditional on a crate-local function not being an offload wrapper.
pub(crate) struct Pending {
    pub diagnostic: Diagnostic,
    pub unless_wrapper: Option<String>,
}

/// What one file contributes to a run.
pub(crate) struct FileFindings {
    pub file: String,
    pub pending: Vec<Pending>,
    /// Names of this file's functions and methods that hand a closure parameter to an
    /// offload entry point (`fn asyncify<F>(f: F) { spawn_blocking(f) }`).
    pub wrappers: HashSet<String>,
    /// Every function body in the file, for whole-crate blocking summaries.
    pub functions: Vec<FnDef>,
    /// Calls that may reach a function of the crate, a workspace member or a dependency.
    pub calls: Vec<CallRecord>,
    /// `use` bindings and globs of this file's modules, to follow re-exports across files.
    pub exports: crate::resolve::ModuleExports,
    /// `functions`, `calls` and `exports`, encoded, while they are left empty (see
    /// [`FileFindings::pack`]).
    pub packed: Option<PackedFacts>,
}

/// A file's functions and exports, and apart from them its calls (the whole-program pass
/// reads the calls only once every file's functions are known), each encoded with postcard
/// and compressed with LZ4 into a buffer of exact size; and how many functions it holds.
pub(crate) struct PackedFacts {
    definitions: Option<Box<[u8]>>,
    calls: Option<Box<[u8]>>,
    function_count: usize,
}

/// `value` encoded and compressed; `None` if postcard refuses it, which it never does for
/// these types (the caller would then keep the facts as they are, costing only memory).
fn encode<T: serde::Serialize>(value: &T) -> Option<Box<[u8]>> {
    let encoded = postcard::to_allocvec(value).ok()?;
    Some(lz4_flex::compress_prepend_size(&encoded).into_boxed_slice())
}

fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> T {
    // The bytes were encoded by `encode` in this process from the very same types: a
    // failure here is a bug in this crate, not something the input can cause.
    let encoded = lz4_flex::decompress_size_prepended(bytes).expect("packed facts decompress");
    postcard::from_bytes(&encoded).expect("packed facts decode as the types they were encoded from")
}

impl FileFindings {
    /// Moves every byte offset, for sources whose first bytes the parser did not see.
    pub(crate) fn shift_offsets(&mut self, shift: usize) {
        let shift_span = |span: &mut asyncwatch_diagnostics::Span| {
            span.start.offset += shift;
            span.end.offset += shift;
        };
        for pending in &mut self.pending {
            shift_span(&mut pending.diagnostic.span);
        }
        for call in &mut self.calls {
            shift_span(&mut call.span);
        }
        for function in &mut self.functions {
            shift_span(&mut function.span);
            if let Some(direct) = &mut function.direct {
                shift_span(&mut direct.span);
            }
        }
    }

    /// Encodes `functions`, `calls` and `exports` into `packed` and empties them. A large
    /// run holds every file's facts until the whole-program pass: on a registry cache of
    /// 27,000 files they took 196 MB as they are, 35 MB packed.
    pub(crate) fn pack(&mut self) {
        if self.packed.is_some() {
            return;
        }
        let (Some(definitions), Some(calls)) = (
            encode(&(&self.functions, &self.exports)),
            encode(&self.calls),
        ) else {
            return;
        };
        self.packed = Some(PackedFacts {
            definitions: Some(definitions),
            calls: Some(calls),
            function_count: self.functions.len(),
        });
        self.functions = Vec::new();
        self.calls = Vec::new();
        self.exports = crate::resolve::ModuleExports::default();
    }

    /// Decodes the functions and exports [`FileFindings::pack`] encoded back into
    /// `functions` and `exports`.
    pub(crate) fn unpack_definitions(&mut self) {
        if let Some(bytes) = self.packed.as_mut().and_then(|p| p.definitions.take()) {
            (self.functions, self.exports) = decode(&bytes);
        }
    }

    /// Decodes the calls [`FileFindings::pack`] encoded back into `calls`.
    pub(crate) fn unpack_calls(&mut self) {
        if let Some(bytes) = self.packed.as_mut().and_then(|p| p.calls.take()) {
            self.calls = decode(&bytes);
        }
    }

    /// Decodes everything [`FileFindings::pack`] encoded.
    pub(crate) fn unpack(&mut self) {
        self.unpack_definitions();
        self.unpack_calls();
        self.packed = None;
    }

    /// How many functions the file holds, packed or not.
    pub(crate) fn function_count(&self) -> usize {
        match &self.packed {
            Some(packed) => packed.function_count,
            None => self.functions.len(),
        }
    }
}

/// A function body: where it is, and the first blocking call its sync code makes directly.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct FnDef {
    /// Definition path within its crate: `crate::util::load_config`, `crate::db::Pool::get`.
    pub path: String,
    pub is_async: bool,
    pub span: asyncwatch_diagnostics::Span,
    /// Boxed: few functions block directly, and a large run holds hundreds of thousands.
    pub direct: Option<Box<DirectBlocking>>,
}

/// A catalog call made directly in a sync function body (outside offloaded closures).
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct DirectBlocking {
    #[serde(with = "crate::rule::by_name")]
    pub rule: &'static crate::rule::Rule,
    pub what: String,
    pub span: asyncwatch_diagnostics::Span,
    pub why: String,
    pub instead: String,
}

/// A call whose callee is resolved across files later.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct CallRecord {
    /// The calling function (index into [`FileFindings::functions`]); `None` outside any.
    pub caller: Option<usize>,
    /// Paths the callee may have, most likely first.
    pub candidates: Vec<String>,
    pub span: asyncwatch_diagnostics::Span,
    /// `Async`: a finding if the callee blocks. `Sync`: an edge of the call graph.
    pub context: Context,
    pub function: Option<String>,
    pub unless_wrapper: Option<String>,
}

/// Free functions that run a closure off the async worker (or are allowed to block it).
const OFFLOAD_FNS: &[&str] = &[
    "tokio::task::spawn_blocking",
    "tokio::task::block_in_place",
    "std::thread::spawn",
    "std::thread::scope",
    "rayon::spawn",
    "rayon::spawn_fifo",
    "rayon::scope",
    "rayon::scope_fifo",
    "rayon::in_place_scope",
    "rayon::join",
    "rayon::join_context",
    "rayon::broadcast",
    "rayon::spawn_broadcast",
    "rayon_core::spawn",
    "rayon_core::join",
    "rayon_core::scope",
    "async_std::task::spawn_blocking",
    "smol::unblock",
    "blocking::unblock",
    "actix_web::web::block",
    "actix_rt::task::spawn_blocking",
    "tokio_rayon::spawn",
    "tokio_rayon::spawn_fifo",
];

/// Methods that offload their closure whatever the receiver: no async API shares the name.
/// (`interact` is deadpool's: it runs the closure on a blocking thread with the connection.)
const OFFLOAD_METHODS: &[&str] = &[
    "spawn_blocking",
    "block_in_place",
    "spawn_blocking_on",
    "interact",
];

/// Methods that offload their closure on receivers of a known type.
const OFFLOAD_TYPED_METHODS: &[(&str, &[&str])] = &[
    (
        "std::thread::Builder",
        &["spawn", "spawn_scoped", "spawn_unchecked"],
    ),
    ("std::thread::Scope", &["spawn"]),
    (
        "rayon::ThreadPool",
        &[
            "install",
            "spawn",
            "spawn_fifo",
            "scope",
            "scope_fifo",
            "join",
            "broadcast",
            "in_place_scope",
        ],
    ),
    ("rayon::Scope", &["spawn"]),
];

/// Method names that may hand a closure bound to a local to another thread; used only to
/// find such locals before the walk reaches them.
const OFFLOAD_METHOD_NAMES_FOR_LOCALS: &[&str] = &[
    "spawn_blocking",
    "block_in_place",
    "spawn",
    "spawn_scoped",
    "install",
    "spawn_fifo",
];

/// Functions whose closure argument is polled like a future.
const POLL_FN: &[&str] = &[
    "std::future::poll_fn",
    "futures::future::poll_fn",
    "futures_util::future::poll_fn",
];

/// Traits whose `poll*` methods are called by the executor.
const POLLED_TRAITS: &[&str] = &[
    "Future",
    "Stream",
    "AsyncRead",
    "AsyncWrite",
    "AsyncBufRead",
    "AsyncSeek",
    "Sink",
    "Service",
];

/// Functions that read or write a stream argument, blocking when it is a std file, socket or
/// stdin: readers and writers of serialization crates, and `Read`/`Write` methods called
/// with function syntax.
const IO_FUNCTIONS: &[&str] = &[
    "std::io::copy",
    "std::io::read_to_string",
    "std::io::Read::read",
    "std::io::Read::read_exact",
    "std::io::Read::read_to_end",
    "std::io::Read::read_to_string",
    "std::io::BufRead::read_line",
    "std::io::BufRead::read_until",
    "std::io::Write::write",
    "std::io::Write::write_all",
    "std::io::Write::write_fmt",
    "std::io::Write::flush",
    "serde_json::to_writer",
    "serde_json::to_writer_pretty",
    "serde_yaml::to_writer",
    "bincode::serialize_into",
    "ciborium::into_writer",
    "ciborium::ser::into_writer",
    "rmp_serde::encode::write",
    "serde_json::from_reader",
    "serde_yaml::from_reader",
    "serde_cbor::from_reader",
    "ciborium::from_reader",
    "ciborium::de::from_reader",
    "rmp_serde::from_read",
    "rmp_serde::decode::from_read",
    "bincode::deserialize_from",
    "quick_xml::de::from_reader",
];

const SOCKET_ADDRESS_TYPES: &[&str] = &[
    "std::net::SocketAddr",
    "std::net::SocketAddrV4",
    "std::net::SocketAddrV6",
];

/// Types whose zero-argument filesystem queries are surely path queries.
const PATH_TYPES: &[&str] = &["std::path::Path", "std::path::PathBuf"];

/// Methods that produce a path from a path, so their result is a plausible path receiver.
const PATH_PRODUCING_METHODS: &[&str] = &[
    "join",
    "parent",
    "with_extension",
    "with_file_name",
    "as_path",
    "to_path_buf",
    "path",
    "canonicalize",
];

/// Streams whose reads and writes block when reached through `BufReader`/`BufWriter`.
const IO_WRAPPERS: &[&str] = &[
    "std::io::BufReader",
    "std::io::BufWriter",
    "std::io::LineWriter",
];

/// The declarations of every file of the run, keyed by crate-qualified path (`app::state::
/// AppState`), so a file can type `state.db` when `AppState` is declared in another file.
#[derive(Default)]
pub(crate) struct ProgramItems {
    fields: HashMap<String, HashMap<String, Ty>>,
    statics: HashMap<String, Ty>,
    returns: HashMap<String, Ty>,
}

impl ProgramItems {
    /// Adds a file's declarations, replacing its `crate::` prefixes with the crate's name.
    ///
    /// A declaration of unknown type is kept only where it answers a lookup differently from
    /// no declaration at all: every lookup but one reads a missing type as unknown, and that
    /// one (a field or method found along an auto-deref chain) stops at the first type that
    /// declares the name, which only a type that derefs further can be without being the
    /// chain's last. Most of a large run's declarations are of types the model does not
    /// know (a registry cache: 390,000 of its 494,000 statics and consts). A later
    /// declaration of the same path still replaces an earlier one, as before.
    pub(crate) fn add(&mut self, items: FileItems, crate_name: &str) {
        let key = |path: String| qualify_owned(path, crate_name);
        for (owner, fields) in items.fields {
            let owner = key(owner);
            let keep_unknown = types::derefs(&owner);
            let fields: HashMap<String, Ty> = fields
                .into_iter()
                .filter(|(_, ty)| keep_unknown || ty.is_known())
                .map(|(name, ty)| (name, ty.qualified(crate_name)))
                .collect();
            if fields.is_empty() {
                self.fields.remove(&owner);
            } else {
                self.fields.insert(owner, fields);
            }
        }
        for (path, ty) in items.statics {
            let path = key(path);
            if ty.is_known() {
                self.statics.insert(path, ty.qualified(crate_name));
            } else {
                self.statics.remove(&path);
            }
        }
        for (path, ty) in items.returns {
            let path = key(path);
            let keep_unknown = path
                .rsplit_once("::")
                .is_some_and(|(owner, _)| types::derefs(owner));
            if keep_unknown || ty.is_known() {
                self.returns.insert(path, ty.qualified(crate_name));
            } else {
                self.returns.remove(&path);
            }
        }
    }
}

/// `crate::a::B` in crate `app` is `app::a::B`; other paths are unchanged.
pub(crate) fn qualify(path: &str, crate_name: &str) -> String {
    match path.strip_prefix("crate") {
        Some("") => crate_name.to_owned(),
        // Not `format!`: this runs for every lookup of a declaration and every function
        // key, and the formatting machinery cost four times the copy.
        Some(rest) if rest.starts_with("::") => [crate_name, rest].concat(),
        _ => path.to_owned(),
    }
}

/// [`qualify`] of a path the caller owns: one that names no `crate::` is moved, not copied.
/// A large run's declarations, function keys and call candidates are tens of megabytes, and
/// the copies would be made while the facts they come from are still held.
pub(crate) fn qualify_owned(path: String, crate_name: &str) -> String {
    if path.starts_with("crate") {
        qualify(&path, crate_name)
    } else {
        path
    }
}

/// The declarations of a parsed file, for [`ProgramItems`]; `module` is its module path.
pub(crate) fn file_items(file: &syn::File, module: Vec<String>) -> FileItems {
    collect_items(file, module)
}

/// Declarations gathered before the walk, since an `impl` may come before its `struct`.
#[derive(Default, Clone)]
pub(crate) struct FileItems {
    /// Field types by struct path (`crate::a::Worker`) and field name (or tuple index).
    fields: HashMap<String, HashMap<String, Ty>>,
    /// `type X = ..;` aliases by path.
    aliases: HashMap<String, Ty>,
    /// `static`/`const` item types by path.
    statics: HashMap<String, Ty>,
    /// Functions of this file that offload a closure parameter (see [`FileFindings`]).
    wrappers: HashSet<String>,
    /// Declared return types of this file's functions and methods, by definition path
    /// (`crate::db::open`, `crate::db::Pool::conn`), so `let conn = db::open()?` is typed.
    returns: HashMap<String, Ty>,
}

pub(crate) struct Checker<'s> {
    file: String,
    settings: &'s Settings,
    catalog: &'static Catalog,
    resolver: Resolver,
    frames: Vec<Frame>,
    vars: Vec<HashMap<String, Ty>>,
    self_types: Vec<Ty>,
    items: FileItems,
    /// What [`Checker::with_file_items`] gave, until `check_file` takes it.
    own_items: Option<FileItems>,
    /// Declarations of the whole run and this file's crate name, when linting crates.
    program: Option<(std::sync::Arc<ProgramItems>, String)>,
    /// Addresses of call expressions that are the operand of an `.await` (or are awaited by a
    /// macro). Entries are removed when the call is visited, right after being added.
    awaited: HashSet<usize>,
    /// Names of locals, in the current function, that are handed to an offload entry point.
    offloaded_locals: HashSet<String>,
    diagnostics: Vec<Pending>,
    functions: Vec<FnDef>,
    known_crates: Option<std::sync::Arc<HashSet<String>>>,
    /// The function whose body is being visited, innermost last (`None` inside a module).
    function_stack: Vec<Option<usize>>,
    calls: Vec<CallRecord>,
}

impl<'s> Checker<'s> {
    pub(crate) fn new(file: &str, settings: &'s Settings) -> Self {
        Checker {
            file: file.to_owned(),
            settings,
            catalog: Catalog::get(),
            resolver: Resolver::new(),
            frames: vec![Frame {
                context: Context::Sync,
                function: None,
                async_boundary: false,
                offload_candidate: None,
            }],
            vars: vec![HashMap::new()],
            self_types: Vec::new(),
            items: FileItems::default(),
            own_items: None,
            program: None,
            awaited: HashSet::new(),
            offloaded_locals: HashSet::new(),
            diagnostics: Vec::new(),
            functions: Vec::new(),
            known_crates: None,
            function_stack: Vec::new(),
            calls: Vec::new(),
        }
    }

    /// Sets the module path of the file's root (`crate::util` for `src/util.rs`), so that
    /// paths resolve the same from every file of a crate.
    pub(crate) fn with_module_path(mut self, module: Vec<String>) -> Self {
        self.resolver = Resolver::with_root(module);
        self
    }

    /// This file's own declarations, as the declarations pass found them in its skeleton,
    /// which blanks nothing [`collect_items`] reads (and keeps the bodies of offload
    /// wrappers the analysis may elide, which no kept body calls): `check_file` then does
    /// not gather them again.
    pub(crate) fn with_file_items(mut self, items: Option<FileItems>) -> Self {
        self.own_items = items;
        self
    }

    /// Declarations of the other files of the run, for types declared elsewhere.
    pub(crate) fn with_program_items(
        mut self,
        items: std::sync::Arc<ProgramItems>,
        crate_name: &str,
    ) -> Self {
        self.program = Some((items, crate_name.to_owned()));
        self
    }

    fn field_type(&self, owner: &str, member: &str) -> Option<Ty> {
        if let Some(ty) = self.items.fields.get(owner).and_then(|f| f.get(member)) {
            return Some(ty.clone());
        }
        let (program, crate_name) = self.program.as_ref()?;
        program
            .fields
            .get(&qualify(owner, crate_name))?
            .get(member)
            .cloned()
    }

    fn static_type(&self, path: &str) -> Option<Ty> {
        if let Some(ty) = self.items.statics.get(path) {
            return Some(ty.clone());
        }
        let (program, crate_name) = self.program.as_ref()?;
        program.statics.get(&qualify(path, crate_name)).cloned()
    }

    fn return_type(&self, path: &str) -> Option<Ty> {
        if let Some(ty) = self.items.returns.get(path) {
            return Some(ty.clone());
        }
        let (program, crate_name) = self.program.as_ref()?;
        program.returns.get(&qualify(path, crate_name)).cloned()
    }

    /// The crate names of the run: calls into any other crate are not recorded.
    pub(crate) fn with_known_crates(mut self, known: std::sync::Arc<HashSet<String>>) -> Self {
        self.known_crates = Some(known);
        self
    }

    pub(crate) fn check_file(mut self, file: &syn::File) -> FileFindings {
        self.items = match self.own_items.take() {
            Some(items) => items,
            None => collect_items(file, self.resolver.current_module()),
        };
        self.resolver.push_module(None, &file.items);
        for item in &file.items {
            self.visit_item(item);
        }
        self.resolver.pop();
        FileFindings {
            file: self.file,
            pending: self.diagnostics,
            wrappers: std::mem::take(&mut self.items.wrappers),
            functions: self.functions,
            calls: self.calls,
            exports: self.resolver.exports(),
            packed: None,
        }
    }

    fn context(&self) -> Context {
        self.frames.last().map_or(Context::Sync, |f| f.context)
    }

    fn in_async(&self) -> bool {
        self.context() == Context::Async
    }

    fn current_function(&self) -> Option<String> {
        self.frames.iter().rev().find_map(|f| f.function.clone())
    }

    fn with_frame(
        &mut self,
        context: Context,
        function: Option<String>,
        body: impl FnOnce(&mut Self),
    ) {
        let function = function.or_else(|| self.current_function());
        let async_boundary = context == Context::Async;
        self.push_frame(
            Frame {
                context,
                function,
                async_boundary,
                offload_candidate: None,
            },
            body,
        );
    }

    fn push_frame(&mut self, frame: Frame, body: impl FnOnce(&mut Self)) {
        self.frames.push(frame);
        self.vars.push(HashMap::new());
        body(self);
        self.vars.pop();
        self.frames.pop();
    }

    /// The crate-local function whose closure argument the current code is in, if no async
    /// boundary lies between.
    fn offload_candidate(&self) -> Option<String> {
        for frame in self.frames.iter().rev() {
            if frame.offload_candidate.is_some() {
                return frame.offload_candidate.clone();
            }
            if frame.async_boundary {
                return None;
            }
        }
        None
    }

    // ----- variables and types -----

    fn lookup_var(&self, name: &str) -> Option<&Ty> {
        self.vars.iter().rev().find_map(|scope| scope.get(name))
    }

    fn bind(&mut self, name: String, ty: Ty) {
        if let Some(scope) = self.vars.last_mut() {
            scope.insert(name, ty);
        }
    }

    fn bind_pattern(&mut self, pat: &Pat, ty: Ty) {
        match pat {
            Pat::Ident(p) if p.subpat.is_none() => self.bind(p.ident.to_string(), ty),
            Pat::Type(t) => {
                let annotated = self.resolve_type(&t.ty);
                let ty = if annotated.is_known() { annotated } else { ty };
                self.bind_pattern(&t.pat, ty);
            }
            Pat::Tuple(t) => {
                let items = match ty {
                    Ty::Tuple(items) => items,
                    _ => Vec::new(),
                };
                for (i, elem) in t.elems.iter().enumerate() {
                    self.bind_pattern(elem, items.get(i).cloned().unwrap_or_default());
                }
            }
            Pat::Reference(r) => self.bind_pattern(&r.pat, ty),
            Pat::Paren(p) => self.bind_pattern(&p.pat, ty),
            // Extractors destructured in place: `State(db): State<Arc<Db>>`, `Json(body)`.
            Pat::TupleStruct(t) if t.elems.len() == 1 && wrapper_matches(&t.path, &ty) => {
                let inner = match &ty {
                    Ty::Path(_, args) => args.first().cloned().unwrap_or_default(),
                    _ => Ty::Unknown,
                };
                self.bind_pattern(&t.elems[0], inner);
            }
            other => {
                // Anything destructured further is unknown, but it still shadows outer names.
                let mut names = HashSet::new();
                pattern_names(other, &mut names);
                for name in names {
                    self.bind(name, Ty::Unknown);
                }
            }
        }
    }

    fn self_type(&self) -> Ty {
        self.self_types.last().cloned().unwrap_or_default()
    }

    fn resolve_type(&self, ty: &Type) -> Ty {
        resolve_type_with(&self.resolver, &self.items, ty, &self.self_type())
    }

    /// The canonical path of a callee or path expression, with `Self` and type aliases
    /// resolved. `None` for a local variable or a name nothing binds.
    fn resolve_path(&self, path: &syn::Path) -> Option<String> {
        let first = path.segments.first()?;
        if path.leading_colon.is_none()
            && path.segments.len() == 1
            && first
                .ident
                .__with_text(|name| self.lookup_var(name).is_some())
        {
            return None;
        }
        if first.ident == "Self" {
            let self_path = self.self_type().path()?.to_owned();
            let rest: Vec<String> = path
                .segments
                .iter()
                .skip(1)
                .map(|s| s.ident.to_string())
                .collect();
            return Some(if rest.is_empty() {
                self_path
            } else {
                format!("{self_path}::{}", rest.join("::"))
            });
        }
        let resolved = self.resolver.resolve(path)?;
        if let Some((owner, function)) = types::split_last(&resolved) {
            if let Some(Ty::Path(alias_target, _)) = self.items.aliases.get(owner) {
                return Some(format!("{alias_target}::{function}"));
            }
        }
        Some(resolved)
    }

    fn callee_path(&self, func: &Expr) -> Option<String> {
        match func {
            Expr::Path(p) => match &p.qself {
                None => self.resolve_path(&p.path),
                // `<T as Trait>::method`: the path after the type (`Trait::method`) names it.
                Some(qself) if qself.position > 0 => self.resolve_path(&p.path),
                // `<T>::method`: an associated function of `T`.
                Some(qself) => {
                    let owner = self.resolve_type(&qself.ty);
                    let method = p.path.segments.last()?;
                    Some(format!("{}::{}", owner.path()?, method.ident))
                }
            },
            Expr::Paren(p) => self.callee_path(&p.expr),
            _ => None,
        }
    }

    pub(crate) fn infer(&self, expr: &Expr) -> Ty {
        match expr {
            Expr::Path(p) if p.qself.is_none() => {
                if let Some(ident) = p.path.get_ident() {
                    if ident == "self" {
                        return self.self_type();
                    }
                    if let Some(ty) = ident.__with_text(|name| self.lookup_var(name).cloned()) {
                        return ty;
                    }
                }
                self.resolver
                    .resolve(&p.path)
                    .and_then(|path| self.static_type(&path))
                    .unwrap_or_default()
            }
            Expr::Field(f) => {
                let base = self.infer(&f.base);
                let field = |member: &str| {
                    base.deref_chain()
                        .find_map(|ty| self.field_type(ty.path()?, member))
                        .unwrap_or_default()
                };
                match &f.member {
                    syn::Member::Named(ident) => ident.__with_text(field),
                    syn::Member::Unnamed(index) => field(&index.index.to_string()),
                }
            }
            Expr::Call(call) => match self.callee_path(&call.func) {
                Some(path) => {
                    let known = types::fn_return(&path, &|| {
                        call.args.iter().map(|a| self.infer(a)).collect()
                    });
                    if known.is_known() {
                        known
                    } else {
                        self.return_type(&path).unwrap_or_default()
                    }
                }
                None => Ty::Unknown,
            },
            Expr::MethodCall(call) => {
                let receiver = self.infer(&call.receiver);
                if !receiver.is_known() {
                    return Ty::Unknown;
                }
                let method = call.method.to_string();
                let known = types::method_return(&receiver, &method, &|| {
                    call.args.iter().map(|a| self.infer(a)).collect()
                });
                if known.is_known() {
                    return known;
                }
                receiver
                    .deref_chain()
                    .find_map(|ty| self.return_type(&format!("{}::{method}", ty.path()?)))
                    .unwrap_or_default()
            }
            Expr::Try(t) => self.infer(&t.expr).unwrapped(),
            Expr::Reference(r) => self.infer(&r.expr),
            Expr::Paren(p) => self.infer(&p.expr),
            Expr::Group(g) => self.infer(&g.expr),
            Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => {
                // References are erased in this model, so `*r` of a `&T` is `T` itself.
                let inner = self.infer(&u.expr);
                inner.deref().unwrap_or(inner)
            }
            Expr::Tuple(t) => Ty::Tuple(t.elems.iter().map(|e| self.infer(e)).collect()),
            Expr::Cast(c) => self.resolve_type(&c.ty),
            _ => Ty::Unknown,
        }
    }

    // ----- reporting -----

    /// Reports a catalog match (or, in sync code, records it for the function); false when
    /// the rule is off.
    fn report(&mut self, entry: Entry, what: &str, span: Span) -> bool {
        if !self.settings.is_enabled(entry.rule) {
            return false;
        }
        if self.context() != Context::Async {
            self.record_direct_blocking(entry, what, span);
            return true;
        }
        let unless_wrapper = self.offload_candidate();
        let diagnostic = Diagnostic {
            file: self.file.clone(),
            span: to_span(span),
            rule: entry.rule.name,
            severity: self.settings.severity(entry.rule),
            message: format!("blocking call to `{what}` in async context"),
            label: Some("blocks the worker thread that polls this task".to_owned()),
            help: Some(entry.blocking.instead.to_owned()),
            notes: vec![entry.blocking.why.to_owned()],
            related: Vec::new(),
            fix: None,
            function: self.current_function(),
        };
        self.diagnostics.push(Pending {
            diagnostic,
            unless_wrapper,
        });
        true
    }

    /// In sync code a catalog call is not a finding: it makes the enclosing function a
    /// blocking one, reported where async code calls it.
    fn record_direct_blocking(&mut self, entry: Entry, what: &str, span: Span) {
        // Pedantic lock taking does not make a function "blocking"; closures handed to a
        // crate-local function might run elsewhere.
        if self.context() != Context::Sync
            || !entry.rule.enabled_by_default
            || self.offload_candidate().is_some()
        {
            return;
        }
        let Some(Some(index)) = self.function_stack.last().copied() else {
            return;
        };
        let function = &mut self.functions[index];
        if function.direct.is_none() {
            function.direct = Some(Box::new(DirectBlocking {
                rule: entry.rule,
                what: what.to_owned(),
                span: to_span(span),
                why: entry.blocking.why.to_owned(),
                instead: entry.blocking.instead.to_owned(),
            }));
        }
    }

    /// Records a call to something that is not in the catalog, for the whole-crate pass.
    fn record_call(&mut self, mut candidates: Vec<String>, span: Span) {
        let context = self.context();
        if context == Context::Offloaded {
            return;
        }
        // Only paths into this crate or another crate of the run can ever resolve; keeping
        // the rest (every call into tokio, serde, ...) would only cost memory.
        if let Some(known) = &self.known_crates {
            candidates.retain(|c| {
                let first = c.split("::").next().unwrap_or(c);
                first == "crate" || known.contains(first)
            });
        }
        if candidates.is_empty() {
            return;
        }
        let caller = self.function_stack.last().copied().flatten();
        if context == Context::Sync && caller.is_none() {
            return;
        }
        self.calls.push(CallRecord {
            caller,
            candidates,
            span: to_span(span),
            context,
            // Only async call sites become findings that name their function.
            function: if context == Context::Async {
                self.current_function()
            } else {
                None
            },
            unless_wrapper: self.offload_candidate(),
        });
    }

    fn report_guard(&mut self, guard: &Ty, guard_span: Span, await_span: Span) {
        if !self.settings.is_enabled(&GUARD_ACROSS_AWAIT) {
            return;
        }
        let guard_name = guard.path().unwrap_or("lock guard").to_owned();
        let await_at = to_span(await_span);
        self.diagnostics.push(Pending {
            unless_wrapper: None,
            diagnostic: Diagnostic {
                file: self.file.clone(),
                span: to_span(guard_span),
                rule: GUARD_ACROSS_AWAIT.name,
                severity: self.settings.severity(&GUARD_ACROSS_AWAIT),
                message: format!("`{guard_name}` held across an `.await`"),
                label: Some("this guard stays locked while the task is suspended".to_owned()),
                help: Some(guard_across_await::HELP.to_owned()),
                notes: vec![guard_across_await::WHY.to_owned()],
                related: vec![Related {
                    file: self.file.clone(),
                    line: await_at.start.line,
                    column: await_at.start.column,
                    message: "the guard is still alive at this `.await`".to_owned(),
                }],
                fix: None,
                function: self.current_function(),
            },
        });
    }

    // ----- functions -----

    fn enter_fn(
        &mut self,
        name: String,
        definition: String,
        sig: &Signature,
        polled: bool,
        block: &Block,
    ) {
        let context = if sig.asyncness.is_some() || polled || takes_task_context(sig) {
            Context::Async
        } else {
            Context::Sync
        };
        self.functions.push(FnDef {
            path: definition,
            is_async: sig.asyncness.is_some(),
            span: to_span(sig.ident.span()),
            direct: None,
        });
        self.function_stack.push(Some(self.functions.len() - 1));
        let saved_offloaded = std::mem::replace(
            &mut self.offloaded_locals,
            offloaded_locals(&self.resolver, block),
        );
        self.with_frame(context, Some(name), |this| {
            for input in &sig.inputs {
                if let FnArg::Typed(pat_type) = input {
                    let ty = this.resolve_type(&pat_type.ty);
                    this.bind_pattern(&pat_type.pat, ty);
                }
            }
            this.visit_block(block);
        });
        self.offloaded_locals = saved_offloaded;
        self.function_stack.pop();
    }

    /// The path a function defined here has within its crate.
    fn definition_path(&self, owner: Option<&str>, name: &syn::Ident) -> String {
        match owner {
            Some(owner) => format!("{owner}::{name}"),
            None => format!("{}::{name}", self.resolver.current_module().join("::")),
        }
    }

    fn qualified(&self, name: &syn::Ident) -> String {
        match self.self_type().path() {
            Some(path) => format!("{}::{name}", path.rsplit("::").next().unwrap_or(path)),
            None => name.to_string(),
        }
    }

    fn closure(&mut self, closure: &ExprClosure, offloaded: bool) {
        self.closure_with_candidate(closure, offloaded, None);
    }

    fn closure_with_candidate(
        &mut self,
        closure: &ExprClosure,
        offloaded: bool,
        candidate: Option<String>,
    ) {
        let asynchronous = closure.asyncness.is_some();
        let context = if asynchronous {
            Context::Async
        } else if offloaded {
            Context::Offloaded
        } else {
            self.context()
        };
        let frame = Frame {
            context,
            function: self.current_function(),
            async_boundary: asynchronous,
            offload_candidate: if asynchronous { None } else { candidate },
        };
        self.push_frame(frame, |this| {
            for input in &closure.inputs {
                this.bind_pattern(input, Ty::Unknown);
            }
            this.visit_expr(&closure.body);
        });
    }

    /// Visits the arguments of a call to a crate-local function; closures among them may turn
    /// out to be offloaded once every file of the run is known.
    fn visit_candidate_args<'a>(&mut self, name: &str, args: impl Iterator<Item = &'a Expr>) {
        for arg in args {
            match arg {
                Expr::Closure(closure) => {
                    self.closure_with_candidate(closure, false, Some(name.to_owned()))
                }
                other => self.visit_expr(other),
            }
        }
    }

    fn visit_offloaded(&mut self, arg: &Expr) {
        match arg {
            Expr::Closure(closure) => self.closure(closure, true),
            Expr::Paren(p) => self.visit_offloaded(&p.expr),
            other => self.visit_expr(other),
        }
    }

    fn is_offload_fn(&self, path: &str) -> bool {
        is_known_offload(path)
            || self.settings.offload_functions.iter().any(|f| f == path)
            || (is_crate_local(path) && self.items.wrappers.contains(last_segment(path)))
    }

    fn method_offloads(&self, call: &ExprMethodCall, method: &str) -> bool {
        if OFFLOAD_METHODS.contains(&method) {
            return true;
        }
        if call.args.iter().any(|a| matches!(a, Expr::Closure(_)))
            && in_parallel_iterator_chain(&call.receiver)
        {
            return true;
        }
        let receiver = self.infer(&call.receiver);
        receiver.deref_chain().any(|ty| {
            ty.path().is_some_and(|path| {
                OFFLOAD_TYPED_METHODS
                    .iter()
                    .any(|(t, methods)| *t == path && methods.contains(&method))
            })
        })
    }

    // ----- checks -----

    /// Whether the call matched an enabled catalog entry.
    fn check_method_call(&mut self, call: &ExprMethodCall, method: &str, span: Span) -> bool {
        let receiver = self.infer(&call.receiver);
        let mut lookup = method.to_owned();
        for ty in receiver.deref_chain() {
            let Some(path) = ty.path() else { break };
            if let Some(entry) = self
                .catalog
                .method(path, &lookup)
                .or_else(|| self.settings.custom_method(path, &lookup))
            {
                return self.report(entry, &format!("{path}::{method}"), span);
            }
            if IO_WRAPPERS.contains(&path) {
                // A buffered reader blocks exactly when the stream it wraps does.
                match io_representative(method) {
                    Some(representative) => lookup = representative.to_owned(),
                    None => return false,
                }
            }
        }
        if let Some(entry) = self.catalog.method_by_name(method, call.args.len()) {
            if method == "to_socket_addrs" && self.is_resolved_address(&call.receiver, &receiver) {
                return false;
            }
            return self.report(entry, method, span);
        }
        if call.args.is_empty() {
            if let Some(entry) = self.catalog.path_query(method) {
                if self.is_pathlike(&call.receiver, &receiver) {
                    return self.report(entry, &format!("std::path::Path::{method}"), span);
                }
            }
        }
        false
    }

    /// A receiver whose `to_socket_addrs()` needs no DNS lookup: a socket address already,
    /// or a string literal that parses as one (std tries that before the resolver).
    fn is_resolved_address(&self, expr: &Expr, ty: &Ty) -> bool {
        if ty.path().is_some_and(|p| SOCKET_ADDRESS_TYPES.contains(&p)) {
            return true;
        }
        match expr {
            Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(text),
                ..
            }) => text.value().parse::<std::net::SocketAddr>().is_ok(),
            // `("127.0.0.1", 8080)`: an IP literal and a port.
            Expr::Tuple(t) => matches!(
                t.elems.first(),
                Some(Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(host), .. }))
                    if host.value().parse::<std::net::IpAddr>().is_ok()
            ),
            Expr::Paren(p) => self.is_resolved_address(&p.expr, ty),
            Expr::Reference(r) => self.is_resolved_address(&r.expr, ty),
            _ => false,
        }
    }

    /// The blocking read or write entry of a std file, socket or stdin handed to a function
    /// that reads or writes it (`serde_json::from_reader(file)`), looking through `BufReader`.
    fn blocking_io_argument<'a>(&self, args: impl Iterator<Item = &'a Expr>) -> Option<Entry> {
        args.map(|arg| self.infer(arg)).find_map(|ty| {
            ty.deref_chain().find_map(|t| {
                let path = t.path()?;
                self.catalog
                    .method(path, "read")
                    .or_else(|| self.catalog.method(path, "write"))
            })
        })
    }

    fn is_pathlike(&self, expr: &Expr, ty: &Ty) -> bool {
        if let Some(path) = ty
            .deref_chain()
            .last()
            .and_then(|t| t.path().map(str::to_owned))
        {
            return PATH_TYPES.contains(&path.as_str());
        }
        match expr {
            Expr::Path(p) => p
                .path
                .get_ident()
                .is_some_and(|i| name_suggests_path(&i.to_string())),
            Expr::Field(f) => match &f.member {
                syn::Member::Named(ident) => name_suggests_path(&ident.to_string()),
                syn::Member::Unnamed(_) => false,
            },
            Expr::Call(call) => self.callee_path(&call.func).is_some_and(|p| {
                p.starts_with("std::path::Path::") || p.starts_with("std::path::PathBuf::")
            }),
            Expr::MethodCall(m) => {
                let name = m.method.to_string();
                PATH_PRODUCING_METHODS.contains(&name.as_str())
                    || (matches!(name.as_str(), "as_ref" | "clone" | "to_owned")
                        && self.is_pathlike(&m.receiver, &Ty::Unknown))
            }
            Expr::Reference(r) => self.is_pathlike(&r.expr, ty),
            Expr::Paren(p) => self.is_pathlike(&p.expr, ty),
            _ => false,
        }
    }

    /// Query builders that take a sync connection as an argument (`.load(&mut conn)`).
    fn check_connection_arguments<'a>(
        &mut self,
        args: impl Iterator<Item = &'a Expr>,
        what: &str,
        span: Span,
    ) {
        for arg in args {
            let connection = match arg {
                Expr::Reference(reference) => &*reference.expr,
                // A parameter that already is `&mut PgConnection`, passed on as is.
                Expr::Path(_) => arg,
                _ => continue,
            };
            let ty = self.infer(connection);
            let entry = ty
                .deref_chain()
                .find_map(|t| t.path().and_then(|p| self.catalog.connection_argument(p)));
            if let Some(entry) = entry {
                self.report(entry, what, span);
                return;
            }
        }
    }

    /// A `let` that binds a lock guard to a name, which then lives to the end of the block.
    fn guard_binding(&self, local: &Local) -> Option<(String, Ty, Span)> {
        let (ident, _) = single_binding(&local.pat)?;
        let ty = self.lookup_var(&ident)?.clone();
        if !ty.is_lock_guard() {
            return None;
        }
        let span = local
            .init
            .as_ref()
            .map_or(local.pat.span(), |init| init.expr.span());
        Some((ident, ty, span))
    }

    /// A lock guard created as a temporary inside a `match`/`if let`/`while let` scrutinee:
    /// it lives until the end of the construct.
    fn guard_temporary(&self, expr: &Expr) -> Option<(Ty, Span)> {
        let ty = match expr {
            Expr::MethodCall(_) | Expr::Call(_) | Expr::Try(_) => self.infer(expr),
            _ => Ty::Unknown,
        };
        if ty.is_lock_guard() {
            return Some((ty, expr.span()));
        }
        match expr {
            Expr::MethodCall(m) => self
                .guard_temporary(&m.receiver)
                .or_else(|| m.args.iter().find_map(|a| self.guard_temporary(a))),
            Expr::Call(c) => c.args.iter().find_map(|a| self.guard_temporary(a)),
            Expr::Try(t) => self.guard_temporary(&t.expr),
            Expr::Field(f) => self.guard_temporary(&f.base),
            Expr::Index(i) => self.guard_temporary(&i.expr),
            Expr::Unary(u) => self.guard_temporary(&u.expr),
            Expr::Reference(r) => self.guard_temporary(&r.expr),
            Expr::Paren(p) => self.guard_temporary(&p.expr),
            _ => None,
        }
    }

    fn check_scrutinee<'a>(
        &mut self,
        scrutinee: &Expr,
        bodies: impl IntoIterator<Item = &'a Expr>,
    ) {
        if !self.in_async() {
            return;
        }
        let Some((ty, guard_span)) = self.guard_temporary(scrutinee) else {
            return;
        };
        for body in bodies {
            if let Some(await_span) = first_await_in_expr(body) {
                self.report_guard(&ty, guard_span, await_span);
                return;
            }
        }
    }

    fn visit_macro_body(&mut self, body: MacroBody) {
        match body {
            MacroBody::Select(branches) => {
                for branch in branches {
                    if let Some(future) = &branch.future {
                        self.mark_awaited(future);
                        self.visit_expr(future);
                    }
                    if let Some(precondition) = &branch.precondition {
                        self.visit_expr(precondition);
                    }
                    if let Some(handler) = &branch.handler {
                        self.visit_expr(handler);
                    }
                }
            }
            MacroBody::Futures(futures) => {
                for future in &futures {
                    self.mark_awaited(future);
                    self.visit_expr(future);
                }
            }
            MacroBody::Code(stmts) => {
                for stmt in &stmts {
                    self.visit_stmt(stmt);
                }
            }
            MacroBody::Items(items) => {
                for item in &items {
                    self.visit_item(item);
                }
            }
            MacroBody::Opaque => {}
        }
    }

    fn mark_awaited(&mut self, expr: &Expr) {
        match expr {
            Expr::Call(call) => {
                self.awaited.insert(call as *const ExprCall as usize);
            }
            Expr::MethodCall(call) => {
                self.awaited.insert(call as *const ExprMethodCall as usize);
            }
            Expr::Paren(p) => self.mark_awaited(&p.expr),
            _ => {}
        }
    }
}

impl<'ast> Visit<'ast> for Checker<'_> {
    fn visit_item_mod(&mut self, module: &'ast syn::ItemMod) {
        if let Some((_, items)) = &module.content {
            self.resolver
                .push_module(Some(&module.ident.to_string()), items);
            // A module starts a fresh item scope: enclosing functions' locals are not visible.
            self.with_frame(Context::Sync, None, |this| {
                for item in items {
                    this.visit_item(item);
                }
            });
            self.resolver.pop();
        }
    }

    fn visit_item_fn(&mut self, function: &'ast syn::ItemFn) {
        let definition = self.definition_path(None, &function.sig.ident);
        self.enter_fn(
            function.sig.ident.to_string(),
            definition,
            &function.sig,
            false,
            &function.block,
        );
    }

    fn visit_item_impl(&mut self, item: &'ast syn::ItemImpl) {
        let self_ty = self.resolve_type(&item.self_ty);
        let trait_name = item
            .trait_
            .as_ref()
            .and_then(|(_, path, _)| path.segments.last())
            .map(|s| s.ident.to_string());
        let polled_trait = trait_name
            .as_deref()
            .is_some_and(|t| POLLED_TRAITS.contains(&t));
        // tower's `Service::call` runs inside the caller's poll, before its future exists.
        let service = trait_name.as_deref() == Some("Service");
        self.self_types.push(self_ty);
        for impl_item in &item.items {
            match impl_item {
                ImplItem::Fn(method) => {
                    let name = self.qualified(&method.sig.ident);
                    let method_name = method.sig.ident.to_string();
                    let polled = polled_trait && method_name.starts_with("poll")
                        || service && method_name == "call";
                    let owner = self.self_type().path().map(str::to_owned);
                    let definition = self.definition_path(owner.as_deref(), &method.sig.ident);
                    self.enter_fn(name, definition, &method.sig, polled, &method.block);
                }
                other => self.visit_impl_item(other),
            }
        }
        self.self_types.pop();
    }

    fn visit_item_trait(&mut self, item: &'ast syn::ItemTrait) {
        self.self_types.push(Ty::Unknown);
        for trait_item in &item.items {
            match trait_item {
                TraitItem::Fn(method) => {
                    if let Some(block) = &method.default {
                        let name = format!("{}::{}", item.ident, method.sig.ident);
                        let owner = format!(
                            "{}::{}",
                            self.resolver.current_module().join("::"),
                            item.ident
                        );
                        let definition = self.definition_path(Some(&owner), &method.sig.ident);
                        self.enter_fn(name, definition, &method.sig, false, block);
                    }
                }
                other => self.visit_trait_item(other),
            }
        }
        self.self_types.pop();
    }

    fn visit_item_macro(&mut self, item: &'ast syn::ItemMacro) {
        let name = macro_name(&item.mac);
        let body = macros::parse_item_macro(&name, &item.mac.tokens);
        self.visit_macro_body(body);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        let name = macro_name(mac);
        if matches!(name.as_str(), "write" | "writeln") && self.context() != Context::Offloaded {
            // `writeln!(file, ..)` calls `write_fmt` on its first argument.
            let destination = macros::split_top_level(&mac.tokens, ',')
                .into_iter()
                .next()
                .and_then(|tokens| syn::parse2::<Expr>(tokens).ok());
            if let Some(entry) =
                destination.and_then(|d| self.blocking_io_argument(std::iter::once(&d)))
            {
                self.report(entry, &format!("{name}!"), mac.span());
            }
        }
        let body = macros::parse_expression_macro(&name, &mac.tokens);
        self.visit_macro_body(body);
    }

    fn visit_block(&mut self, block: &'ast Block) {
        let items: Vec<&Item> = block
            .stmts
            .iter()
            .filter_map(|s| if let Stmt::Item(i) = s { Some(i) } else { None })
            .collect();
        self.resolver.push_block(&items);
        self.vars.push(HashMap::new());
        let track_guards = self.in_async() && self.settings.is_enabled(&GUARD_ACROSS_AWAIT);
        let mut live_guards: Vec<(String, Ty, Span)> = Vec::new();
        for stmt in &block.stmts {
            if track_guards && !live_guards.is_empty() {
                live_guards.retain(|(name, _, _)| !moves_name(stmt, name));
                if let Some(await_span) = first_await_in_stmt(stmt) {
                    for (_, ty, span) in std::mem::take(&mut live_guards) {
                        self.report_guard(&ty, span, await_span);
                    }
                }
            }
            self.visit_stmt(stmt);
            if track_guards {
                if let Stmt::Local(local) = stmt {
                    if let Some(guard) = self.guard_binding(local) {
                        live_guards.retain(|(name, _, _)| *name != guard.0);
                        live_guards.push(guard);
                    }
                }
            }
        }
        self.vars.pop();
        self.resolver.pop();
    }

    fn visit_local(&mut self, local: &'ast Local) {
        for attr in &local.attrs {
            self.visit_attribute(attr);
        }
        let mut ty = Ty::Unknown;
        if let Some(init) = &local.init {
            let offloaded_closure = matches!(&*init.expr, Expr::Closure(_))
                && single_binding(&local.pat)
                    .is_some_and(|(name, _)| self.offloaded_locals.contains(&name));
            if offloaded_closure {
                self.visit_offloaded(&init.expr);
            } else {
                self.visit_expr(&init.expr);
            }
            if let Some((_, diverge)) = &init.diverge {
                self.visit_expr(diverge);
            }
            ty = self.infer(&init.expr);
        }
        self.bind_pattern(&local.pat, ty);
    }

    fn visit_expr_closure(&mut self, closure: &'ast ExprClosure) {
        self.closure(closure, false);
    }

    fn visit_expr_async(&mut self, block: &'ast syn::ExprAsync) {
        self.with_frame(Context::Async, None, |this| this.visit_block(&block.block));
    }

    fn visit_expr_await(&mut self, expr: &'ast syn::ExprAwait) {
        self.mark_awaited(&expr.base);
        self.visit_expr(&expr.base);
    }

    fn visit_expr_call(&mut self, call: &'ast ExprCall) {
        let awaited = self.awaited.remove(&(call as *const ExprCall as usize));
        let path = self.callee_path(&call.func);
        // A bare name nothing resolves (a glob import of a crate module) is judged by name.
        let bare_name = match (&path, &*call.func) {
            (None, Expr::Path(p)) => p.path.get_ident().map(ToString::to_string),
            _ => None,
        };
        if bare_name
            .as_deref()
            .is_some_and(|name| is_known_offload(name) || self.items.wrappers.contains(name))
        {
            self.visit_expr(&call.func);
            for arg in &call.args {
                self.visit_offloaded(arg);
            }
            return;
        }
        if let Some(path) = &path {
            if self.is_offload_fn(path) {
                self.visit_expr(&call.func);
                for arg in &call.args {
                    self.visit_offloaded(arg);
                }
                return;
            }
            if POLL_FN.contains(&path.as_str()) {
                for arg in &call.args {
                    match arg {
                        Expr::Closure(closure) => {
                            self.with_frame(Context::Async, None, |this| {
                                this.closure(closure, false)
                            });
                        }
                        other => self.visit_expr(other),
                    }
                }
                return;
            }
            if self.context() != Context::Offloaded && !awaited {
                if let Some(entry) = self
                    .catalog
                    .function(path)
                    .or_else(|| self.settings.custom_function(path))
                {
                    self.report(entry, path, call_span(call));
                    visit::visit_expr_call(self, call);
                    return;
                }
                if IO_FUNCTIONS.contains(&path.as_str()) {
                    if let Some(entry) = self.blocking_io_argument(call.args.iter()) {
                        self.report(entry, path, call_span(call));
                        visit::visit_expr_call(self, call);
                        return;
                    }
                }
            }
            if !is_standard_library(path) {
                self.record_call(vec![path.clone()], call_span(call));
            }
        } else if let Some(name) = &bare_name {
            let candidates = self.resolver.glob_candidates(name);
            self.record_call(candidates, call_span(call));
        }
        if self.context() != Context::Offloaded
            && !awaited
            && path.as_deref() != Some("std::mem::drop")
        {
            // Whatever is called, handing it a sync connection means a query on this thread.
            let what = path
                .clone()
                .unwrap_or_else(|| quote::ToTokens::to_token_stream(&call.func).to_string());
            self.check_connection_arguments(call.args.iter(), &what, call_span(call));
        }
        let crate_local = path.as_deref().map_or(bare_name.is_some(), is_crate_local);
        if crate_local && call.args.iter().any(|a| matches!(a, Expr::Closure(_))) {
            let name = path.as_deref().map_or_else(
                || bare_name.clone().unwrap_or_default(),
                |p| last_segment(p).to_owned(),
            );
            self.visit_expr(&call.func);
            self.visit_candidate_args(&name, call.args.iter());
            return;
        }
        visit::visit_expr_call(self, call);
    }

    fn visit_expr_method_call(&mut self, call: &'ast ExprMethodCall) {
        let awaited = self
            .awaited
            .remove(&(call as *const ExprMethodCall as usize));
        let method = call.method.to_string();
        if self.method_offloads(call, &method) {
            self.visit_expr(&call.receiver);
            for arg in &call.args {
                self.visit_offloaded(arg);
            }
            return;
        }
        if self.context() != Context::Offloaded {
            let span = method_call_span(call);
            if !awaited && !self.check_method_call(call, &method, span) {
                self.check_connection_arguments(call.args.iter(), &method, span);
            }
            // A method of a type of ours (or of a workspace member or a dependency).
            let receiver = self.infer(&call.receiver);
            let owner = receiver.deref_chain().find_map(|t| {
                t.path()
                    .filter(|p| !is_standard_library(p))
                    .map(str::to_owned)
            });
            if let Some(owner) = owner {
                self.record_call(vec![format!("{owner}::{method}")], span);
            }
        }
        let on_self = matches!(&*call.receiver, Expr::Path(p) if p.path.is_ident("self"));
        if on_self && call.args.iter().any(|a| matches!(a, Expr::Closure(_))) {
            if self.items.wrappers.contains(&method) {
                for arg in &call.args {
                    self.visit_offloaded(arg);
                }
            } else {
                self.visit_candidate_args(&method, call.args.iter());
            }
            return;
        }
        visit::visit_expr_method_call(self, call);
    }

    fn visit_expr_for_loop(&mut self, for_loop: &'ast syn::ExprForLoop) {
        self.visit_expr(&for_loop.expr);
        if self.context() != Context::Offloaded {
            // `for msg in rx` receives with a blocking `recv` per item; `for entry in
            // WalkDir::new(dir)` reads directories as it goes.
            let ty = self.infer(&for_loop.expr);
            let entry = ty.deref_chain().find_map(|t| {
                let path = t.path()?.to_owned();
                if let Some(entry) = self.catalog.method(&path, "into_iter") {
                    return Some((entry, format!("{path}::into_iter")));
                }
                self.catalog
                    .method(&path, "iter")
                    .map(|entry| (entry, format!("{path}::recv")))
            });
            if let Some((entry, what)) = entry {
                self.report(entry, &what, for_loop.expr.span());
            }
        }
        self.vars.push(HashMap::new());
        self.bind_pattern(&for_loop.pat, Ty::Unknown);
        self.visit_block(&for_loop.body);
        self.vars.pop();
    }

    fn visit_expr_match(&mut self, expr: &'ast syn::ExprMatch) {
        self.check_scrutinee(&expr.expr, expr.arms.iter().map(|arm| &*arm.body));
        visit::visit_expr_match(self, expr);
    }

    fn visit_arm(&mut self, arm: &'ast syn::Arm) {
        self.vars.push(HashMap::new());
        self.bind_pattern(&arm.pat, Ty::Unknown);
        if let Some((_, guard)) = &arm.guard {
            self.visit_expr(guard);
        }
        self.visit_expr(&arm.body);
        self.vars.pop();
    }

    fn visit_expr_if(&mut self, expr: &'ast syn::ExprIf) {
        if let Expr::Let(let_expr) = &*expr.cond {
            if self.in_async() {
                if let Some((ty, guard_span)) = self.guard_temporary(&let_expr.expr) {
                    if let Some(await_span) = first_await_in_block(&expr.then_branch) {
                        self.report_guard(&ty, guard_span, await_span);
                    }
                }
            }
        }
        self.vars.push(HashMap::new());
        self.visit_expr(&expr.cond);
        self.visit_block(&expr.then_branch);
        self.vars.pop();
        if let Some((_, else_branch)) = &expr.else_branch {
            self.visit_expr(else_branch);
        }
    }

    fn visit_expr_while(&mut self, expr: &'ast syn::ExprWhile) {
        if let Expr::Let(let_expr) = &*expr.cond {
            if self.in_async() {
                if let Some((ty, guard_span)) = self.guard_temporary(&let_expr.expr) {
                    if let Some(await_span) = first_await_in_block(&expr.body) {
                        self.report_guard(&ty, guard_span, await_span);
                    }
                }
            }
        }
        self.vars.push(HashMap::new());
        self.visit_expr(&expr.cond);
        self.visit_block(&expr.body);
        self.vars.pop();
    }

    fn visit_expr_let(&mut self, expr: &'ast syn::ExprLet) {
        self.visit_expr(&expr.expr);
        self.bind_pattern(&expr.pat, Ty::Unknown);
    }
}

/// Offload entry points known by path, or by a name no async API uses: crate-local helpers
/// such as `rt::spawn_blocking` or `maybe_spawn_blocking`, and `loom::thread::spawn`.
/// What the checker itself matches, for the pre-scan: offload entry points (a sync function
/// handing them a closure parameter is an offload wrapper). Stream functions
/// (`std::io::copy`, `serde_json::from_reader`) and path queries block only on an argument
/// or receiver whose type or name the catalog seeds already, so they are no seeds.
pub(crate) fn seeds() -> impl Iterator<Item = crate::prescan::Seed> {
    use crate::prescan::Seed;
    OFFLOAD_FNS
        .iter()
        .copied()
        .map(Seed::Path)
        .chain(OFFLOAD_TYPED_METHODS.iter().map(|(ty, _)| Seed::Type(ty)))
        .chain(OFFLOAD_METHODS.iter().copied().map(Seed::Name))
}

/// Every name a call to an offload entry point spells (see `offloaded_locals`), for the
/// pre-scan's skeleton of the first pass.
pub(crate) fn offload_names() -> impl Iterator<Item = &'static str> {
    OFFLOAD_FNS
        .iter()
        .map(|path| last_segment(path))
        .chain(OFFLOAD_METHOD_NAMES_FOR_LOCALS.iter().copied())
        .chain([
            "spawn_blocking",
            "block_in_place",
            "unblock",
            "spawn",
            "scope",
        ])
}

fn is_known_offload(path: &str) -> bool {
    if OFFLOAD_FNS.contains(&path) {
        return true;
    }
    let (last, parent) = match types::split_last(path) {
        Some((before, last)) => (last, Some(last_segment(before))),
        None => (path, None),
    };
    last.contains("spawn_blocking")
        || last == "block_in_place"
        || last == "unblock"
        || (parent == Some("thread") && matches!(last, "spawn" | "scope"))
}

/// Whether a tuple-struct pattern names the type it destructures (`State(x): State<T>`).
fn wrapper_matches(pattern: &syn::Path, ty: &Ty) -> bool {
    let Some(pattern_name) = pattern.segments.last().map(|s| s.ident.to_string()) else {
        return false;
    };
    ty.path()
        .is_some_and(|path| path.rsplit("::").next() == Some(pattern_name.as_str()))
}

fn is_standard_library(path: &str) -> bool {
    ["std::", "core::", "alloc::"]
        .iter()
        .any(|prefix| path.starts_with(prefix))
        || !path.contains("::")
}

fn is_crate_local(path: &str) -> bool {
    path.starts_with("crate::")
}

fn macro_name(mac: &syn::Macro) -> String {
    mac.path
        .segments
        .last()
        .map(|s| s.ident.to_string())
        .unwrap_or_default()
}

/// A call's span without its outer attributes (`#[allow(..)] f(x)` underlines `f(x)`).
fn call_span(call: &ExprCall) -> Span {
    let start = first_token_span(&call.func);
    start.join(call.paren_token.span.close()).unwrap_or(start)
}

/// The span of `expr`'s first token. syn's `Spanned::span` prints the whole expression back
/// to tokens to find it, which costs an allocation per identifier on every recorded call; a
/// path, the usual callee, starts at its `<`, its leading `::` or its first segment.
fn first_token_span(expr: &Expr) -> Span {
    match expr {
        Expr::Path(path) if path.attrs.is_empty() => match (&path.qself, &path.path) {
            (Some(qself), _) => qself.lt_token.span,
            (
                None,
                syn::Path {
                    leading_colon: Some(colon),
                    ..
                },
            ) => colon.spans[0],
            (None, syn::Path { segments, .. }) => segments
                .first()
                .map_or_else(|| expr.span(), |segment| segment.ident.span()),
        },
        _ => expr.span(),
    }
}

/// The span rustc would underline for a method call: from the method name to the `)`.
fn method_call_span(call: &ExprMethodCall) -> Span {
    let start = call.method.span();
    start.join(call.paren_token.span.close()).unwrap_or(start)
}

/// `fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<..>`: the executor polls it.
fn takes_task_context(sig: &Signature) -> bool {
    let returns_poll = match &sig.output {
        ReturnType::Type(_, ty) => last_type_segment(ty).is_some_and(|s| s == "Poll"),
        ReturnType::Default => false,
    };
    returns_poll
        && sig.inputs.iter().any(|input| match input {
            FnArg::Typed(pat_type) => {
                last_type_segment(&pat_type.ty).is_some_and(|s| s == "Context")
            }
            FnArg::Receiver(_) => false,
        })
}

fn last_type_segment(ty: &Type) -> Option<String> {
    match ty {
        Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        Type::Reference(r) => last_type_segment(&r.elem),
        Type::Paren(p) => last_type_segment(&p.elem),
        Type::Group(g) => last_type_segment(&g.elem),
        _ => None,
    }
}

fn single_binding(pat: &Pat) -> Option<(String, Span)> {
    match pat {
        Pat::Ident(p) if p.subpat.is_none() => Some((p.ident.to_string(), p.ident.span())),
        Pat::Type(t) => single_binding(&t.pat),
        _ => None,
    }
}

fn name_suggests_path(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name.contains("path")
        || name.contains("dir")
        || name.contains("folder")
        || name == "file"
        || name.ends_with("_file")
}

/// For methods of `Read`/`BufRead`/`Write` reached through a buffered wrapper, the stream
/// method that decides whether they block.
fn io_representative(method: &str) -> Option<&'static str> {
    match method {
        "read" | "read_exact" | "read_to_end" | "read_to_string" | "read_line" | "read_until"
        | "lines" | "split" | "fill_buf" | "bytes" => Some("read"),
        "write" | "write_all" | "write_fmt" | "flush" => Some("write"),
        _ => None,
    }
}

/// Whether a method call chain goes through rayon's parallel iterators (`par_iter()`,
/// `into_par_iter()`, `par_chunks(..)`, `par_bridge()`): closures there run on the pool.
fn in_parallel_iterator_chain(mut expr: &Expr) -> bool {
    loop {
        match expr {
            Expr::MethodCall(m) => {
                let name = m.method.to_string();
                if name.starts_with("par_") || name == "into_par_iter" {
                    return true;
                }
                expr = &m.receiver;
            }
            Expr::Paren(p) => expr = &p.expr,
            Expr::Reference(r) => expr = &r.expr,
            _ => return false,
        }
    }
}

pub(crate) fn resolve_type_with(
    resolver: &Resolver,
    items: &FileItems,
    ty: &Type,
    self_ty: &Ty,
) -> Ty {
    match ty {
        Type::Path(p) if p.qself.is_none() => {
            if p.path.is_ident("Self") {
                return self_ty.clone();
            }
            let Some(path) = resolver.resolve(&p.path) else {
                return Ty::Unknown;
            };
            if let Some(alias) = items.aliases.get(&path) {
                return alias.clone();
            }
            let args = match p.path.segments.last().map(|s| &s.arguments) {
                Some(syn::PathArguments::AngleBracketed(generics)) => generics
                    .args
                    .iter()
                    .filter_map(|arg| match arg {
                        syn::GenericArgument::Type(t) => {
                            Some(resolve_type_with(resolver, items, t, self_ty))
                        }
                        _ => None,
                    })
                    .collect(),
                _ => Vec::new(),
            };
            Ty::Path(path, args)
        }
        Type::Reference(r) => resolve_type_with(resolver, items, &r.elem, self_ty),
        Type::Paren(p) => resolve_type_with(resolver, items, &p.elem, self_ty),
        Type::Group(g) => resolve_type_with(resolver, items, &g.elem, self_ty),
        Type::Tuple(t) => Ty::Tuple(
            t.elems
                .iter()
                .map(|e| resolve_type_with(resolver, items, e, self_ty))
                .collect(),
        ),
        _ => Ty::Unknown,
    }
}

/// Gathers struct fields, type aliases and statics, resolving their types in their module.
/// `root` is the file's module path: the keys must match what the checker's resolver, rooted
/// at the same module, resolves the file's own names to.
fn collect_items(file: &syn::File, root: Vec<String>) -> FileItems {
    fn walk(
        resolver: &mut Resolver,
        items: &[Item],
        out: &mut FileItems,
        module_name: Option<&str>,
    ) {
        resolver.push_module(module_name, items);
        let module_path = |resolver: &Resolver, ident: &syn::Ident| {
            resolver
                .resolve_segments(&[ident.to_string()])
                .unwrap_or_else(|| ident.to_string())
        };
        // Aliases first, so fields may use them.
        for item in items {
            if let Item::Type(alias) = item {
                let ty = resolve_type_with(resolver, out, &alias.ty, &Ty::Unknown);
                out.aliases.insert(module_path(resolver, &alias.ident), ty);
            }
        }
        for item in items {
            match item {
                Item::Struct(s) => {
                    let self_ty = Ty::named(module_path(resolver, &s.ident));
                    let fields = s
                        .fields
                        .iter()
                        .enumerate()
                        .map(|(i, field)| {
                            let name = field
                                .ident
                                .as_ref()
                                .map_or_else(|| i.to_string(), ToString::to_string);
                            (name, resolve_type_with(resolver, out, &field.ty, &self_ty))
                        })
                        .collect();
                    out.fields.insert(module_path(resolver, &s.ident), fields);
                }
                Item::Static(s) => {
                    let ty = resolve_type_with(resolver, out, &s.ty, &Ty::Unknown);
                    out.statics.insert(module_path(resolver, &s.ident), ty);
                }
                Item::Const(c) => {
                    let ty = resolve_type_with(resolver, out, &c.ty, &Ty::Unknown);
                    out.statics.insert(module_path(resolver, &c.ident), ty);
                }
                Item::Macro(m) if macro_name(&m.mac) == "lazy_static" => {
                    for declared in macros::lazy_static_items(&m.mac.tokens) {
                        let ty = resolve_type_with(resolver, out, &declared.ty, &Ty::Unknown);
                        out.statics
                            .insert(module_path(resolver, &declared.ident), ty);
                    }
                }
                Item::Mod(m) => {
                    if let Some((_, items)) = &m.content {
                        walk(resolver, items, out, Some(&m.ident.to_string()));
                    }
                }
                Item::Fn(f) => {
                    if forwards_parameter_to_offload(resolver, &f.sig, &f.block) {
                        out.wrappers.insert(f.sig.ident.to_string());
                    }
                    if let ReturnType::Type(_, ty) = &f.sig.output {
                        let ty = resolve_type_with(resolver, out, ty, &Ty::Unknown);
                        out.returns.insert(module_path(resolver, &f.sig.ident), ty);
                    }
                }
                Item::Impl(i) => {
                    let self_ty = resolve_type_with(resolver, out, &i.self_ty, &Ty::Unknown);
                    for item in &i.items {
                        let ImplItem::Fn(f) = item else { continue };
                        if forwards_parameter_to_offload(resolver, &f.sig, &f.block) {
                            out.wrappers.insert(f.sig.ident.to_string());
                        }
                        if let (ReturnType::Type(_, ty), Some(owner)) =
                            (&f.sig.output, self_ty.path())
                        {
                            let ty = resolve_type_with(resolver, out, ty, &self_ty);
                            out.returns.insert(format!("{owner}::{}", f.sig.ident), ty);
                        }
                    }
                }
                _ => {}
            }
        }
        resolver.pop();
    }
    let mut out = FileItems::default();
    walk(&mut Resolver::with_root(root), &file.items, &mut out, None);
    out
}

/// Whether a function hands one of its parameters to an offload entry point, which makes it
/// an offload wrapper itself (tokio's `asyncify`, object_store's `maybe_spawn_blocking`).
fn forwards_parameter_to_offload(resolver: &Resolver, sig: &Signature, block: &Block) -> bool {
    let mut parameters = HashSet::new();
    for input in &sig.inputs {
        if let FnArg::Typed(pat_type) = input {
            pattern_names(&pat_type.pat, &mut parameters);
        }
    }
    !parameters.is_empty()
        && offloaded_locals(resolver, block)
            .iter()
            .any(|name| parameters.contains(name))
}

/// Locals handed to an offload entry point somewhere in a function body, so that
/// `let work = || ..; spawn_blocking(work)` treats the closure as offloaded.
fn offloaded_locals(resolver: &Resolver, block: &Block) -> HashSet<String> {
    struct Finder<'r> {
        resolver: &'r Resolver,
        names: HashSet<String>,
    }
    impl Finder<'_> {
        fn collect<'a>(&mut self, args: impl Iterator<Item = &'a Expr>) {
            for arg in args {
                if let Expr::Path(p) = arg {
                    if let Some(ident) = p.path.get_ident() {
                        self.names.insert(ident.to_string());
                    }
                }
            }
        }
    }
    impl<'ast> Visit<'ast> for Finder<'_> {
        fn visit_item(&mut self, _: &'ast Item) {}
        fn visit_expr_call(&mut self, call: &'ast ExprCall) {
            if let Expr::Path(p) = &*call.func {
                if self
                    .resolver
                    .resolve(&p.path)
                    .is_some_and(|path| is_known_offload(&path))
                {
                    self.collect(call.args.iter());
                }
            }
            visit::visit_expr_call(self, call);
        }
        fn visit_expr_method_call(&mut self, call: &'ast ExprMethodCall) {
            if OFFLOAD_METHOD_NAMES_FOR_LOCALS.contains(&call.method.to_string().as_str()) {
                self.collect(call.args.iter());
            }
            visit::visit_expr_method_call(self, call);
        }
    }
    let mut finder = Finder {
        resolver,
        names: HashSet::new(),
    };
    finder.visit_block(block);
    finder.names
}

/// Finds the first `.await` that runs as part of the visited code: not inside a closure, an
/// async block or a nested item, which run (if ever) as separate code.
#[derive(Default)]
struct AwaitFinder {
    found: Option<Span>,
}

impl<'ast> Visit<'ast> for AwaitFinder {
    fn visit_expr_await(&mut self, expr: &'ast syn::ExprAwait) {
        if self.found.is_none() {
            self.visit_expr(&expr.base);
        }
        if self.found.is_none() {
            self.found = Some(expr.await_token.span());
        }
    }
    fn visit_expr_closure(&mut self, _: &'ast ExprClosure) {}
    fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
    fn visit_item(&mut self, _: &'ast Item) {}
    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        if self.found.is_none() {
            let name = macro_name(mac);
            if matches!(
                name.as_str(),
                "select" | "select_biased" | "join" | "try_join"
            ) || macros::tokens_await(&mac.tokens)
            {
                self.found = Some(mac.span());
            }
        }
    }
}

fn first_await_in_stmt(stmt: &Stmt) -> Option<Span> {
    let mut finder = AwaitFinder::default();
    finder.visit_stmt(stmt);
    finder.found
}

fn first_await_in_expr(expr: &Expr) -> Option<Span> {
    let mut finder = AwaitFinder::default();
    finder.visit_expr(expr);
    finder.found
}

fn first_await_in_block(block: &Block) -> Option<Span> {
    let mut finder = AwaitFinder::default();
    finder.visit_block(block);
    finder.found
}

/// Whether a statement moves `name` away: `drop(name)`, or `name` passed by value to a call.
fn moves_name(stmt: &Stmt, name: &str) -> bool {
    struct MoveFinder<'n> {
        name: &'n str,
        found: bool,
    }
    impl MoveFinder<'_> {
        fn check_args<'a>(&mut self, args: impl Iterator<Item = &'a Expr>) {
            for arg in args {
                if let Expr::Path(p) = arg {
                    if p.path.is_ident(self.name) {
                        self.found = true;
                    }
                }
            }
        }
    }
    impl<'ast> Visit<'ast> for MoveFinder<'_> {
        fn visit_expr_call(&mut self, call: &'ast ExprCall) {
            self.check_args(call.args.iter());
            visit::visit_expr_call(self, call);
        }
        fn visit_expr_method_call(&mut self, call: &'ast ExprMethodCall) {
            self.check_args(call.args.iter());
            visit::visit_expr_method_call(self, call);
        }
        fn visit_item(&mut self, _: &'ast Item) {}
    }
    let mut finder = MoveFinder { name, found: false };
    finder.visit_stmt(stmt);
    finder.found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn declarations(
        fields: &[(&str, &str, Ty)],
        statics: &[(&str, Ty)],
        returns: &[(&str, Ty)],
    ) -> FileItems {
        let mut items = FileItems::default();
        for (owner, name, ty) in fields {
            items
                .fields
                .entry((*owner).to_owned())
                .or_default()
                .insert((*name).to_owned(), ty.clone());
        }
        let by_path = |list: &[(&str, Ty)]| {
            list.iter()
                .map(|(path, ty)| ((*path).to_owned(), ty.clone()))
                .collect()
        };
        items.statics = by_path(statics);
        items.returns = by_path(returns);
        items
    }

    #[test]
    fn declarations_of_unknown_type_answer_lookups_as_they_did_when_kept() {
        let file = || Ty::named("std::fs::File");
        let mut program = ProgramItems::default();
        program.add(
            declarations(
                &[
                    ("crate::Outer", "a", Ty::Unknown),
                    ("crate::Outer", "b", file()),
                ],
                &[("crate::S", file()), ("crate::T", file())],
                &[("crate::open", Ty::Unknown)],
            ),
            "app",
        );
        // A later declaration of a path replaces an earlier one, also when its type is unknown.
        program.add(declarations(&[], &[("crate::S", Ty::Unknown)], &[]), "app");
        // A type that derefs further: its unknown field and method stop an auto-deref chain.
        program.add(
            declarations(
                &[("std::sync::MutexGuard", "poison", Ty::Unknown)],
                &[],
                &[("std::sync::MutexGuard::map", Ty::Unknown)],
            ),
            "app",
        );
        let settings = Settings::default();
        let checker = Checker::new("src/lib.rs", &settings)
            .with_program_items(std::sync::Arc::new(program), "app");

        assert_eq!(
            checker.field_type("crate::Outer", "a").unwrap_or_default(),
            Ty::Unknown
        );
        assert_eq!(checker.field_type("crate::Outer", "b"), Some(file()));
        assert_eq!(
            checker.static_type("crate::S").unwrap_or_default(),
            Ty::Unknown
        );
        assert_eq!(checker.static_type("crate::T"), Some(file()));
        assert_eq!(
            checker.return_type("crate::open").unwrap_or_default(),
            Ty::Unknown
        );
        assert_eq!(
            checker.field_type("std::sync::MutexGuard", "poison"),
            Some(Ty::Unknown)
        );
        assert_eq!(
            checker.return_type("std::sync::MutexGuard::map"),
            Some(Ty::Unknown)
        );
    }

    #[test]
    fn packed_facts_unpack_to_what_was_packed() {
        let source = r#"
            pub use self::inner::*;
            use std::fs::read_to_string as read;
            mod inner {
                pub fn load() -> String { std::fs::read_to_string("a").unwrap() }
            }
            pub fn helper() { inner::load(); }
            pub async fn handler() { helper(); crate::inner::load(); }
        "#;
        let settings = Settings::default();
        let syntax = syn::parse_file(source).unwrap();
        let mut findings = Checker::new("src/lib.rs", &settings).check_file(&syntax);
        let facts = |findings: &FileFindings| {
            serde_json::to_string(&(&findings.functions, &findings.calls, &findings.exports))
                .unwrap()
        };
        let before = facts(&findings);
        let functions = findings.function_count();
        assert!(functions >= 3 && findings.calls.len() >= 3);
        assert!(findings.functions.iter().any(|f| f.direct.is_some()));
        assert!(!findings.exports.globs.is_empty() && !findings.exports.aliases.is_empty());

        findings.pack();
        assert!(findings.functions.is_empty() && findings.calls.is_empty());
        assert!(findings.exports.aliases.is_empty() && findings.exports.globs.is_empty());
        assert_eq!(findings.function_count(), functions);
        findings.unpack();
        assert!(findings.packed.is_none());
        assert_eq!(facts(&findings), before);
    }
}
