//! The crate model: which crate and module each file belongs to.
//!
//! Starting from the `Cargo.toml` nearest to each linted file, every target of the package
//! (library, binaries, tests, examples, benches, build script) is a crate root; `mod`
//! declarations are followed from each root (`foo.rs`, `foo/mod.rs`, `#[path]`, nested inline
//! modules) to give every file its module path. Path dependencies are read too, as context:
//! their functions get blocking summaries but their own findings are not reported. A file no
//! crate reaches is a crate of its own, so loose files still work.
//!
//! `mod` declarations are found by scanning lines rather than by parsing, because module
//! paths must be known before a file is analyzed and a second parse of every file would
//! double the cost of a run. The scan also sees declarations inside macro bodies
//! (`cfg_rt! { mod spawn; }`), which a parse would not.

use crate::prescan::{Kind, Lexed, Token};
use foldhash::{HashMap, HashMapExt as _, HashSet, HashSetExt as _};
use std::path::{Path, PathBuf};

/// Where a file sits in the program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unit {
    /// The name other crates use for this crate (`my_lib`), or a name no path can spell
    /// (`my_app@bin:server`, `@file:src/x.rs`) for crates nothing imports.
    pub crate_name: String,
    /// The file's module path, starting with `crate`.
    pub module: Vec<String>,
    /// Whether findings in this file are reported (context files only feed summaries).
    pub report: bool,
}

pub(crate) struct Model<T> {
    /// Every file to analyze, linted files first, with its place in the program.
    pub files: Vec<(PathBuf, Unit)>,
    /// What `build`'s `digest` made of the text of `files[i]` as read while following `mod`
    /// declarations (see [`crate::source_file::read`]), so no file is read twice; `None` for
    /// a file no crate reaches, which is read later.
    pub texts: Vec<Option<T>>,
}

#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub crate_name: String,
    pub root: PathBuf,
}

/// A file as read: its text with its tokens (`None` if it cannot be lexed), or why it could
/// not be read.
pub(crate) type Read = Result<(String, Option<Lexed>), String>;

/// `read` with its text lexed.
pub(crate) fn lexed(read: Result<String, String>) -> Read {
    read.map(|text| {
        let lexed = crate::prescan::lex(&text);
        (text, lexed)
    })
}

/// Builds the model for the files of a run. `extra_roots` are more crates to read as
/// context (dependency sources for `--deps`). Files larger than `max_file_size` bytes are
/// not read (nor followed into their `mod` declarations). Each text read is handed to
/// `digest`, lexed, as soon as its `mod` declarations are found, on the thread that read
/// it, and the model keeps what `digest` returns: a large run's texts never wait whole all
/// at once.
pub(crate) fn build<T: Send>(
    files: &[PathBuf],
    extra_roots: &[Target],
    max_file_size: u64,
    digest: &(dyn Fn(Read) -> T + Sync),
) -> Model<T> {
    let mut packages = package_manifests(files);
    // Path dependencies, transitively, so calls into workspace members resolve.
    let mut seen: HashSet<PathBuf> = packages.iter().cloned().collect();
    let mut index = 0;
    while index < packages.len() {
        for dependency in path_dependencies(&packages[index]) {
            if seen.insert(dependency.clone()) {
                packages.push(dependency);
            }
        }
        index += 1;
    }

    let mut assigned: HashMap<PathBuf, (String, Vec<String>)> = HashMap::new();
    let targets: Vec<Target> = packages
        .iter()
        .flat_map(|manifest| targets(manifest))
        .chain(extra_roots.iter().cloned())
        .collect();
    let roots: Vec<&Path> = targets.iter().map(|t| t.root.as_path()).collect();
    let mut loaded = prefetch(&roots, max_file_size, digest);
    for target in &targets {
        walk_modules(
            &target.root,
            vec!["crate".to_owned()],
            &target.crate_name,
            &mut assigned,
            &loaded,
            0,
        );
    }

    let reported_paths: Vec<PathBuf> = {
        use rayon::prelude::*;
        files.par_iter().map(|f| canonical(f)).collect()
    };
    let reported: HashSet<&PathBuf> = reported_paths.iter().collect();
    let mut model = Model {
        files: Vec::new(),
        texts: Vec::new(),
    };
    // A file named twice (through a symlink) is read again for its second name.
    let mut take_text = |path: &Path| loaded.texts.remove(path);
    for (file, canonical_path) in files.iter().zip(&reported_paths) {
        let text = if assigned.contains_key(canonical_path) {
            take_text(canonical_path)
        } else {
            None
        };
        model.texts.push(text);
        let unit = match assigned.get(canonical_path) {
            Some((crate_name, module)) => Unit {
                crate_name: crate_name.clone(),
                module: module.clone(),
                report: true,
            },
            None => Unit {
                crate_name: format!("@file:{}", file.display()),
                module: vec!["crate".to_owned()],
                report: true,
            },
        };
        model.files.push((file.clone(), unit));
    }
    let mut context: Vec<(PathBuf, Unit)> = assigned
        .into_iter()
        .filter(|(path, _)| !reported.contains(path))
        .map(|(path, (crate_name, module))| {
            (
                path,
                Unit {
                    crate_name,
                    module,
                    report: false,
                },
            )
        })
        .collect();
    context.sort_by(|a, b| a.0.cmp(&b.0));
    for (path, _) in &context {
        model.texts.push(take_text(path));
    }
    model.files.extend(context);
    model
}

/// A file reached from a crate root.
struct Loaded {
    /// Whether it could be read as source text.
    readable: bool,
    decls: Vec<ModDecl>,
}

/// Every file reachable from `roots` through `mod` declarations, read and scanned in
/// parallel, each queuing its children as it is read, so that [`walk_modules`] (which
/// decides, in order, which crate and module each file belongs to) only looks things up.
struct Prefetched<T> {
    /// By canonical path.
    files: HashMap<PathBuf, Loaded>,
    /// What the digest of each file's text gave, by canonical path, until the model takes it.
    texts: HashMap<PathBuf, T>,
    /// Canonical paths of the paths met, as given.
    canonical: HashMap<PathBuf, PathBuf>,
}

fn prefetch<T: Send>(
    roots: &[&Path],
    max_file_size: u64,
    digest: &(dyn Fn(Read) -> T + Sync),
) -> Prefetched<T> {
    let prefetching = std::sync::Mutex::new(Prefetching {
        out: Prefetched {
            files: HashMap::new(),
            texts: HashMap::new(),
            canonical: HashMap::new(),
        },
        queued: HashSet::new(),
    });
    let visit = Visit {
        prefetching: &prefetching,
        max_file_size,
        digest,
    };
    // Each file queues its children as soon as it is read, rather than a level of the module
    // trees at a time: a level waited for its slowest file, and the phase sped up only
    // 1.1x-1.6x on two threads.
    rayon::scope(|scope| {
        for root in roots {
            scope.spawn(move |scope| visit.file(scope, root.to_path_buf(), 0));
        }
    });
    let prefetching = prefetching.into_inner().unwrap_or_else(|e| e.into_inner());
    prefetching.out
}

/// What [`prefetch`] has found so far.
struct Prefetching<T> {
    out: Prefetched<T>,
    /// Children, each queued once. A crate root met again as a child is expanded once
    /// more, as a child: a root's children live beside it, a child's in a directory of its
    /// name.
    queued: HashSet<PathBuf>,
}

/// One visit of [`prefetch`]: a file, then its children.
struct Visit<'a, T> {
    prefetching: &'a std::sync::Mutex<Prefetching<T>>,
    max_file_size: u64,
    digest: &'a (dyn Fn(Read) -> T + Sync),
}

impl<T> Clone for Visit<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Visit<'_, T> {}

impl<'a, T: Send> Visit<'a, T> {
    fn lock(&self) -> std::sync::MutexGuard<'a, Prefetching<T>> {
        self.prefetching
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Reads and digests the file at `path` (once, unless two visits of it overlap), and
    /// queues the children its `mod` declarations name. Every level is expanded (the queue
    /// never takes a file twice): the walk decides how deep to go.
    fn file(self, scope: &rayon::Scope<'a>, path: PathBuf, depth: usize) {
        let canonical_path = canonical(&path);
        let known = {
            let mut prefetching = self.lock();
            prefetching
                .out
                .canonical
                .insert(path, canonical_path.clone());
            let known = prefetching.out.files.get(&canonical_path);
            known.map(|loaded| loaded.decls.clone())
        };
        let (decls, loaded) = match known {
            Some(decls) => (decls, None),
            None => {
                let read = lexed(crate::source_file::read(
                    &canonical_path,
                    self.max_file_size,
                ));
                let decls = match &read {
                    Ok((text, Some(lexed))) => mod_decls(text, lexed.tokens()),
                    Ok((text, None)) => scan_mod_decls(text),
                    Err(_) => Vec::new(),
                };
                let readable = read.is_ok();
                (decls, Some((readable, (self.digest)(read))))
            }
        };
        let children: Vec<PathBuf> = decls
            .iter()
            .map(|decl| child_path(&canonical_path, depth, decl))
            .filter(|child| child.is_file())
            .collect();
        let mut prefetching = self.lock();
        if let Some((readable, text)) = loaded {
            if !prefetching.out.files.contains_key(&canonical_path) {
                prefetching
                    .out
                    .files
                    .insert(canonical_path.clone(), Loaded { readable, decls });
                prefetching.out.texts.insert(canonical_path, text);
            }
        }
        for child in children {
            if prefetching.queued.insert(child.clone()) {
                scope.spawn(move |scope| self.file(scope, child, depth + 1));
            }
        }
    }
}

/// The manifests of the packages the files belong to.
pub(crate) fn package_manifests(files: &[PathBuf]) -> Vec<PathBuf> {
    use rayon::prelude::*;
    // In parallel: canonicalizing each file's path is a system call a path component, and
    // this ran alone before the files are read.
    let nearest: Vec<Option<PathBuf>> = files.par_iter().map(|f| nearest_manifest(f)).collect();
    // A set beside the list: searching the list for each of a registry cache's 27,000
    // files was 3% of the run's instructions.
    let mut seen: HashSet<PathBuf> = HashSet::new();
    let mut out: Vec<PathBuf> = Vec::new();
    for manifest in nearest.into_iter().flatten() {
        if seen.insert(manifest.clone()) {
            out.push(manifest);
        }
    }
    out
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// The nearest `[package]` manifest above `file`, by canonical path so that a package reached
/// from a file and again as a path dependency is one package.
fn nearest_manifest(file: &Path) -> Option<PathBuf> {
    crate::manifest::package_manifest(&canonical(file)).map(|m| m.path.clone())
}

fn identifier(name: &str) -> String {
    name.replace('-', "_")
}

/// Manifests of the package's `path = ".."` dependencies (normal and dev).
fn path_dependencies(manifest: &Path) -> Vec<PathBuf> {
    let Some(parsed) = crate::manifest::manifest_at(manifest) else {
        return Vec::new();
    };
    let table = &parsed.table;
    let dir = manifest.parent().unwrap_or(Path::new("."));
    let mut out = Vec::new();
    for section in ["dependencies", "dev-dependencies"] {
        let Some(deps) = table.get(section).and_then(|d| d.as_table()) else {
            continue;
        };
        for spec in deps.values() {
            if let Some(path) = spec.get("path").and_then(|p| p.as_str()) {
                let candidate = canonical(&dir.join(path).join("Cargo.toml"));
                if candidate.is_file() {
                    out.push(candidate);
                }
            }
        }
    }
    out
}

/// The crate roots of a package, library first, following Cargo's target auto-discovery.
pub(crate) fn targets(manifest: &Path) -> Vec<Target> {
    let Some(parsed) = crate::manifest::manifest_at(manifest) else {
        return Vec::new();
    };
    let table = &parsed.table;
    let Some(package) = table.get("package").and_then(|p| p.as_table()) else {
        return Vec::new();
    };
    let package_name = package
        .get("name")
        .and_then(|n| n.as_str())
        .unwrap_or("package");
    let dir = manifest.parent().unwrap_or(Path::new("."));
    let lib_table = table.get("lib").and_then(|l| l.as_table());
    let lib_name = identifier(
        lib_table
            .and_then(|l| l.get("name"))
            .and_then(|n| n.as_str())
            .unwrap_or(package_name),
    );
    let mut out = Vec::new();
    let lib_path = lib_table
        .and_then(|l| l.get("path"))
        .and_then(|p| p.as_str())
        .map(|p| dir.join(p))
        .unwrap_or_else(|| dir.join("src/lib.rs"));
    if lib_path.is_file() {
        out.push(Target {
            crate_name: lib_name.clone(),
            root: lib_path,
        });
    }
    let mut add = |kind: &str, name: &str, root: PathBuf| {
        if root.is_file() && !out.iter().any(|t| t.root == root) {
            out.push(Target {
                crate_name: format!("{lib_name}@{kind}:{name}"),
                root,
            });
        }
    };
    let declared = |section: &str| -> Vec<(String, Option<String>)> {
        table
            .get(section)
            .and_then(|s| s.as_array())
            .map(|entries| {
                entries
                    .iter()
                    .filter_map(|e| {
                        let name = e.get("name")?.as_str()?.to_owned();
                        Some((
                            name,
                            e.get("path").and_then(|p| p.as_str()).map(str::to_owned),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    for (section, kind, folder) in [
        ("bin", "bin", "src/bin"),
        ("test", "test", "tests"),
        ("example", "example", "examples"),
        ("bench", "bench", "benches"),
    ] {
        for (name, path) in declared(section) {
            let root = match path {
                Some(path) => dir.join(path),
                None if kind == "bin" && name == package_name => dir.join("src/main.rs"),
                None => dir.join(folder).join(format!("{name}.rs")),
            };
            add(kind, &name, root);
        }
        if kind == "bin" {
            add("bin", package_name, dir.join("src/main.rs"));
        }
        for (name, root) in discovered(&dir.join(folder)) {
            add(kind, &name, root);
        }
    }
    add("build", "build", dir.join("build.rs"));
    out
}

/// `folder/*.rs` and `folder/*/main.rs`, as Cargo discovers targets.
fn discovered(folder: &Path) -> Vec<(String, PathBuf)> {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return Vec::new();
    };
    let mut out: Vec<(String, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let path = entry.path();
            let name = path.file_stem()?.to_string_lossy().into_owned();
            if path.is_file() && path.extension().is_some_and(|e| e == "rs") {
                Some((name, path))
            } else if path.join("main.rs").is_file() {
                Some((name, path.join("main.rs")))
            } else {
                None
            }
        })
        .collect();
    out.sort();
    out
}

/// A `mod name;` declaration found in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ModDecl {
    /// Inline modules the declaration sits in (`mod a { mod b; }` gives `["a"]`).
    inline: Vec<String>,
    name: String,
    path_attribute: Option<String>,
}

fn walk_modules<T>(
    file: &Path,
    module: Vec<String>,
    crate_name: &str,
    assigned: &mut HashMap<PathBuf, (String, Vec<String>)>,
    loaded: &Prefetched<T>,
    depth: usize,
) {
    let Some(file) = loaded.canonical.get(file) else {
        return;
    };
    if depth > 64 || assigned.contains_key(file) {
        return;
    }
    let Some(Loaded {
        readable: true,
        decls,
    }) = loaded.files.get(file)
    else {
        return;
    };
    assigned.insert(file.clone(), (crate_name.to_owned(), module.clone()));
    for decl in decls {
        let mut child_module = module.clone();
        child_module.extend(decl.inline.iter().cloned());
        child_module.push(decl.name.clone());
        let child = child_path(file, depth, decl);
        if child.is_file() {
            walk_modules(
                &child,
                child_module,
                crate_name,
                assigned,
                loaded,
                depth + 1,
            );
        }
    }
}

/// The file a `mod` declaration of `file` (a crate root when `depth` is 0) names.
fn child_path(file: &Path, depth: usize, decl: &ModDecl) -> PathBuf {
    let dir = file.parent().unwrap_or(Path::new("."));
    let file_name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    match &decl.path_attribute {
        // `#[path]` is relative to the declaring file's directory (plus inline modules).
        Some(path) => {
            let mut base = dir.to_path_buf();
            base.extend(decl.inline.iter());
            base.join(path)
        }
        None => {
            // Children of `foo.rs` live in `foo/`; children of a root or of `mod.rs` live
            // beside it.
            let owns_directory = depth == 0 || file_name == "mod.rs";
            let mut base = if owns_directory {
                dir.to_path_buf()
            } else {
                dir.join(file.file_stem().unwrap_or_default())
            };
            base.extend(decl.inline.iter());
            let flat = base.join(format!("{}.rs", decl.name));
            if flat.is_file() {
                flat
            } else {
                base.join(&decl.name).join("mod.rs")
            }
        }
    }
}

/// The `mod` declarations of a text lexed into `tokens`: `[pub[(..)]] mod name;` anywhere
/// but in a macro's body (where the name is a `$` variable), with the inline modules each
/// sits in and the `#[path]` attribute among the attributes just before it.
fn mod_decls(src: &str, tokens: &[Token]) -> Vec<ModDecl> {
    let src = src.as_bytes();
    let text = |token: &Token| token.text(src);
    let is_ident = |index: usize, word: &[u8]| {
        tokens
            .get(index)
            .is_some_and(|t| t.kind == Kind::Ident && text(t) == word)
    };
    let is_punct = |index: usize, punct: u8| {
        tokens
            .get(index)
            .is_some_and(|t| t.kind == Kind::Punct(punct))
    };
    // The index just past the group opened at `open`, counting only its own delimiters:
    // the others in an attribute or a visibility balance within it.
    let past_group = |open: usize, opening: u8, closing: u8| {
        let mut depth = 0usize;
        for (index, token) in tokens.iter().enumerate().skip(open) {
            match token.kind {
                Kind::Punct(b) if b == opening => depth += 1,
                Kind::Punct(b) if b == closing => {
                    depth -= 1;
                    if depth == 0 {
                        return index + 1;
                    }
                }
                _ => {}
            }
        }
        tokens.len()
    };
    let mut out = Vec::new();
    // Inline modules open around the current token, with the brace depth outside each.
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    let mut pending_path: Option<String> = None;
    let mut i = 0;
    while i < tokens.len() {
        let token = &tokens[i];
        match token.kind {
            Kind::Punct(b'#') if is_punct(i + 1, b'[') => {
                let end = past_group(i + 1, b'[', b']');
                let inner = &tokens[i + 2..end.saturating_sub(1).max(i + 2)];
                if let [name, equals, value] = inner {
                    if name.kind == Kind::Ident
                        && text(name) == b"path"
                        && equals.kind == Kind::Punct(b'=')
                        && value.kind == Kind::Literal
                    {
                        pending_path = string_literal(text(value));
                    }
                }
                i = end;
                continue;
            }
            Kind::Ident if text(token) == b"pub" => {
                i += 1;
                if is_punct(i, b'(') {
                    i = past_group(i, b'(', b')');
                }
                if !is_ident(i, b"mod") {
                    pending_path = None;
                }
                continue;
            }
            Kind::Ident if text(token) == b"mod" => {
                let name = tokens.get(i + 1).filter(|t| t.kind == Kind::Ident);
                let name = name.map(|t| {
                    let name = text(t);
                    String::from_utf8_lossy(name.strip_prefix(b"r#").unwrap_or(name)).into_owned()
                });
                match name {
                    Some(name) if is_punct(i + 2, b';') => out.push(ModDecl {
                        inline: inline.iter().map(|(n, _)| n.clone()).collect(),
                        name,
                        path_attribute: pending_path.take(),
                    }),
                    Some(name) if is_punct(i + 2, b'{') => inline.push((name, depth)),
                    _ => {}
                }
                pending_path = None;
                i += 2;
                continue;
            }
            Kind::Punct(b'{') => depth += 1,
            Kind::Punct(b'}') => {
                depth = depth.saturating_sub(1);
                while inline.last().is_some_and(|(_, outside)| depth <= *outside) {
                    inline.pop();
                }
            }
            _ => {}
        }
        pending_path = None;
        i += 1;
    }
    out
}

/// The value of a string literal token (`"a/b.rs"`, `r"a/b.rs"`, `r#"a"#`), escapes left
/// as written; `None` for a byte string or another literal.
fn string_literal(token: &[u8]) -> Option<String> {
    let raw = token.strip_prefix(b"r");
    let hashes = raw.map_or(0, |rest| rest.iter().take_while(|&&b| b == b'#').count());
    let quoted = raw.map_or(token, |rest| {
        &rest[hashes..rest.len() - hashes.min(rest.len())]
    });
    let value = quoted.strip_prefix(b"\"")?.strip_suffix(b"\"")?;
    std::str::from_utf8(value).ok().map(str::to_owned)
}

/// [`mod_decls`] of a text that cannot be lexed, by lines: in such a file (an unterminated
/// string or comment) what precedes the error still names its modules.
fn scan_mod_decls(text: &str) -> Vec<ModDecl> {
    let mut out = Vec::new();
    let mut inline: Vec<(String, i64)> = Vec::new();
    let mut depth: i64 = 0;
    let mut pending_path: Option<String> = None;
    let mut in_block_comment = false;
    for raw in text.lines() {
        let line = strip_comments(raw, &mut in_block_comment);
        // Attribute values live in strings, which the stripped line has emptied; the raw line
        // is parsed unless the whole line is comment.
        let mut rest = if line.trim().is_empty() {
            ""
        } else {
            raw.trim()
        };
        // Attributes, possibly several, before the item on the same line.
        while let Some(attribute) = rest.strip_prefix("#[") {
            let Some(end) = attribute.find(']') else {
                break;
            };
            let inner = attribute[..end].trim();
            if let Some(value) = inner.strip_prefix("path") {
                let value = value.trim_start().trim_start_matches('=').trim();
                pending_path = Some(value.trim_matches('"').to_owned());
            }
            rest = attribute[end + 1..].trim_start();
        }
        if let Some((name, kind)) = parse_mod_item(rest) {
            match kind {
                ModKind::Declaration => out.push(ModDecl {
                    inline: inline.iter().map(|(n, _)| n.clone()).collect(),
                    name,
                    path_attribute: pending_path.take(),
                }),
                ModKind::Inline => inline.push((name, depth)),
            }
        }
        if !rest.is_empty() && !rest.starts_with("#[") {
            pending_path = None;
        }
        depth += brace_delta(&line);
        while inline
            .last()
            .is_some_and(|(_, opened_at)| depth <= *opened_at)
        {
            inline.pop();
        }
    }
    out
}

enum ModKind {
    Declaration,
    Inline,
}

/// `[pub[(..)]] mod name;` or `[pub[(..)]] mod name {`.
fn parse_mod_item(line: &str) -> Option<(String, ModKind)> {
    let mut rest = line;
    if let Some(after) = rest.strip_prefix("pub") {
        rest = after.trim_start();
        if rest.starts_with('(') {
            rest = rest[rest.find(')')? + 1..].trim_start();
        }
    }
    rest = rest.strip_prefix("mod")?;
    if !rest.starts_with(char::is_whitespace) {
        return None;
    }
    rest = rest.trim_start();
    let rest = rest.strip_prefix("r#").unwrap_or(rest);
    let end = rest
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    let name = &rest[..end];
    if name.is_empty() {
        return None;
    }
    match rest[end..].trim_start().chars().next() {
        Some(';') => Some((name.to_owned(), ModKind::Declaration)),
        Some('{') => Some((name.to_owned(), ModKind::Inline)),
        _ => None,
    }
}

/// Removes `//` and `/* */` comments and string contents, so braces in them are not counted.
fn strip_comments(line: &str, in_block_comment: &mut bool) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        if *in_block_comment {
            if c == '*' && chars.peek() == Some(&'/') {
                chars.next();
                *in_block_comment = false;
            }
            continue;
        }
        if in_string {
            if c == '\\' {
                chars.next();
            } else if c == '"' {
                in_string = false;
                out.push('"');
            }
            continue;
        }
        match c {
            '/' if chars.peek() == Some(&'/') => break,
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                *in_block_comment = true;
            }
            '"' => {
                in_string = true;
                out.push('"');
            }
            // A char literal such as '{' must not count as a brace.
            '\'' => {
                let lookahead: String = chars.clone().take(3).collect();
                if lookahead.chars().nth(1) == Some('\'') {
                    chars.next();
                    chars.next();
                } else if lookahead.starts_with('\\') {
                    for next in chars.by_ref() {
                        if next == '\'' {
                            break;
                        }
                    }
                } else {
                    out.push(c);
                }
            }
            _ => out.push(c),
        }
    }
    // A string still open at the end of the line: keep its quote so a later `path = "..."`
    // attribute parse is not confused; multi-line strings are rare around `mod` items.
    out
}

fn brace_delta(line: &str) -> i64 {
    line.chars().fold(0, |d, c| match c {
        '{' => d + 1,
        '}' => d - 1,
        _ => d,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    type Described = Vec<(Vec<String>, String, Option<String>)>;

    fn described(decls: Vec<ModDecl>) -> Described {
        decls
            .into_iter()
            .map(|d| (d.inline, d.name, d.path_attribute))
            .collect()
    }

    fn by_tokens(text: &str) -> Described {
        let lexed = crate::prescan::lex(text).expect("lexes");
        described(mod_decls(text, lexed.tokens()))
    }

    #[test]
    fn tokens_find_declarations_that_lines_miss_or_invent() {
        let text = r##"
mod a; mod b;
const DOC: &str = "
mod not_a_module;
";
#[path = r#"raw/path.rs"#] #[cfg(unix)]
pub(in crate::x) mod c;
#[path = "ignored.rs"]
fn f() {}
mod d;
macro_rules! m { ($name:ident) => { mod $name; } }
mod r#type;
"##;
        let string = |s: &str| s.to_owned();
        assert_eq!(
            by_tokens(text),
            vec![
                (vec![], string("a"), None),
                (vec![], string("b"), None),
                (vec![], string("c"), Some(string("raw/path.rs"))),
                (vec![], string("d"), None),
                (vec![], string("type"), None),
            ]
        );
    }

    #[test]
    fn finds_declarations_with_attributes_visibility_and_inline_nesting() {
        let text = r#"
pub mod api;
pub(crate) mod db; // comment { not a brace
#[cfg(test)]
mod tests;
#[path = "other/impl.rs"]
mod imp;
mod outer {
    fn f() { let s = "}"; let c = '{'; }
    pub mod inner;
}
mod after;
/* mod commented; */
"#;
        let by_lines = described(scan_mod_decls(text));
        assert_eq!(by_tokens(text), by_lines);
        assert_eq!(
            by_lines,
            vec![
                (vec![], "api".to_owned(), None),
                (vec![], "db".to_owned(), None),
                (vec![], "tests".to_owned(), None),
                (vec![], "imp".to_owned(), Some("other/impl.rs".to_owned())),
                (vec!["outer".to_owned()], "inner".to_owned(), None),
                (vec![], "after".to_owned(), None),
            ]
        );
    }
}
