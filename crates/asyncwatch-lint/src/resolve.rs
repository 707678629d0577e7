//! Per-file name resolution: what a path written in the code means.
//!
//! Each module (the file root and every inline `mod`) and each block with items has a
//! [`Scope`]: the names its `use` declarations bring in, its glob imports, and the items it
//! defines. A path is resolved by looking its first segment up from the innermost scope
//! outwards; local items shadow imports and the extern prelude, and a glob is only trusted
//! for names the catalog knows. Paths into the user's own crate resolve to `crate::...` and
//! never match the catalog, so a local `fn sleep` or `mod fs` is never mistaken for std's.

use foldhash::{HashMap, HashSet};
use std::rc::Rc;

use syn::{Item, UseTree};

use crate::catalog::Catalog;
use crate::types::canonical;

/// What a name means in a scope.
#[derive(Debug, Clone)]
enum Binding {
    /// Imported: the full path it stands for, as written in the `use`.
    Import(Vec<String>),
    /// Defined here: an item of the user's crate in the scope's module, whose path is the
    /// module's and the name. Built when looked up: most items never are, and a copy of the
    /// module path for each was most of entering a scope.
    Local,
}

#[derive(Debug, Default, Clone)]
pub(crate) struct Scope {
    names: HashMap<String, Binding>,
    globs: Vec<Vec<String>>,
    /// The module path of the items of this scope (`crate::a::b`), for `self::` and `super::`.
    module: Vec<String>,
}

/// Names of the standard prelude that the analysis needs to recognize.
const PRELUDE: &[(&str, &str)] = &[
    ("Box", "std::boxed::Box"),
    ("Option", "std::option::Option"),
    ("Result", "std::result::Result"),
    ("Vec", "std::vec::Vec"),
    ("String", "std::string::String"),
    ("drop", "std::mem::drop"),
];

#[derive(Debug, Default)]
pub(crate) struct Resolver {
    /// Shared with `modules`: a scope never changes once entered, and a copy of a module's
    /// names for each lookup table was most of entering it.
    scopes: Vec<Rc<Scope>>,
    /// Module scopes by module path, so `use super::*` in a test module can see the parent's
    /// imports.
    modules: HashMap<Vec<String>, Rc<Scope>>,
    /// The module path of the file's root: `crate` for a crate root, `crate::util` for
    /// `src/util.rs`.
    root: Vec<String>,
}

/// The `use` bindings of a file's modules, keyed by the path they can be reached at, so a
/// whole-crate pass can follow `pub use` re-exports from other files.
#[derive(Debug, Default, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct ModuleExports {
    /// `crate::util::load` -> `crate::util::config::load`.
    pub aliases: Vec<(String, String)>,
    /// `crate::util` -> `crate::util::config` for `use self::config::*` in `util`.
    pub globs: Vec<(String, String)>,
}

impl Resolver {
    pub(crate) fn new() -> Self {
        Self::with_root(vec!["crate".to_owned()])
    }

    pub(crate) fn with_root(root: Vec<String>) -> Self {
        Resolver {
            root,
            ..Self::default()
        }
    }

    /// Candidate paths for a bare name nothing in this file binds: each glob import of a
    /// module of the crate (`use crate::util::*`) may provide it.
    pub(crate) fn glob_candidates(&self, name: &str) -> Vec<String> {
        let mut candidates = Vec::new();
        for scope in self.scopes.iter().rev() {
            for glob in &scope.globs {
                let glob = self.absolute(glob, scope, 0);
                if glob.first().is_some_and(|s| s == "crate")
                    || glob.first().is_some_and(|s| s != "std")
                {
                    candidates.push(format!("{}::{name}", glob.join("::")));
                }
            }
        }
        candidates
    }

    pub(crate) fn exports(&self) -> ModuleExports {
        let mut exports = ModuleExports::default();
        for (module, scope) in &self.modules {
            let prefix = module.join("::");
            for (name, binding) in &scope.names {
                if let Binding::Import(path) = binding {
                    let target = self.absolute(path, scope, 0);
                    exports
                        .aliases
                        .push((format!("{prefix}::{name}"), target.join("::")));
                }
            }
            for glob in &scope.globs {
                exports
                    .globs
                    .push((prefix.clone(), self.absolute(glob, scope, 0).join("::")));
            }
        }
        exports
    }

    /// Enters a module whose items are `items`. `name` is `None` for the file root.
    pub(crate) fn push_module(&mut self, name: Option<&str>, items: &[Item]) {
        let mut module = self.current_module();
        if let Some(name) = name {
            module.push(name.to_owned());
        }
        let mut scope = Scope {
            module: module.clone(),
            ..Scope::default()
        };
        scope.add_items(items);
        let scope = Rc::new(scope);
        self.modules.insert(module, Rc::clone(&scope));
        self.scopes.push(scope);
    }

    /// Enters a block; its items (nested `use`, `fn`, `mod`) are visible in the whole block.
    pub(crate) fn push_block(&mut self, items: &[&Item]) {
        let mut scope = Scope {
            module: self.current_module(),
            ..Scope::default()
        };
        for item in items {
            scope.add_item(item);
        }
        self.scopes.push(Rc::new(scope));
    }

    pub(crate) fn pop(&mut self) {
        self.scopes.pop();
    }

    pub(crate) fn current_module(&self) -> Vec<String> {
        self.scopes
            .last()
            .map_or_else(|| self.root.clone(), |s| s.module.clone())
    }

    /// The canonical path a path expression or type path refers to, or `None` when it is a
    /// single name nothing binds (a local variable, or a name from an unknown glob).
    pub(crate) fn resolve(&self, path: &syn::Path) -> Option<String> {
        if path.leading_colon.is_none() && path.segments.len() == 1 {
            // Most paths are one name (a local, a function); its text is borrowed, not
            // copied into a list of one.
            return path.segments[0]
                .ident
                .__with_text(|name| self.resolve_segments(&[name]));
        }
        let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        if path.leading_colon.is_some() {
            return Some(canonical(segments.join("::")));
        }
        self.resolve_segments(&segments)
    }

    pub(crate) fn resolve_segments<S: AsRef<str>>(&self, segments: &[S]) -> Option<String> {
        let owned = |segments: &[S]| -> Vec<String> {
            segments.iter().map(|s| s.as_ref().to_owned()).collect()
        };
        let first = segments.first()?.as_ref();
        let resolved = match first {
            "crate" => owned(segments),
            "self" => {
                let mut path = self.current_module();
                path.extend(owned(&segments[1..]));
                path
            }
            "super" => {
                let mut path = self.current_module();
                let mut rest = segments;
                while rest.first().is_some_and(|s| s.as_ref() == "super") {
                    path.pop();
                    rest = &rest[1..];
                }
                path.extend(owned(rest));
                path
            }
            _ => match self.lookup(first, 0) {
                Some(mut path) => {
                    path.extend(owned(&segments[1..]));
                    path
                }
                None if segments.len() > 1 => owned(segments),
                None => {
                    let prelude = PRELUDE.iter().find(|(name, _)| *name == first)?;
                    return Some(prelude.1.to_owned());
                }
            },
        };
        Some(canonical(self.follow_crate_path(resolved, 0).join("::")))
    }

    /// Follows a `crate::...` path through the imports of this file's modules, so
    /// `super::fs::read` (where the parent has `use std::fs`) or a `pub use std::fs as disk`
    /// re-export reached by `crate::m::disk` end up at the std path.
    fn follow_crate_path(&self, path: Vec<String>, depth: usize) -> Vec<String> {
        if depth > 4 || path.first().is_none_or(|s| s != "crate") {
            return path;
        }
        for split in (1..path.len()).rev() {
            let Some(module) = self.modules.get(&path[..split]) else {
                continue;
            };
            return match module.names.get(&path[split]) {
                Some(Binding::Import(target)) => {
                    let mut followed = self.absolute(target, module, depth);
                    followed.extend_from_slice(&path[split + 1..]);
                    self.follow_crate_path(followed, depth + 1)
                }
                _ => path,
            };
        }
        path
    }

    /// Looks a name up from the innermost scope out; `depth` guards against glob cycles.
    fn lookup(&self, name: &str, depth: usize) -> Option<Vec<String>> {
        for scope in self.scopes.iter().rev() {
            if let Some(found) = self.lookup_in(scope, name, depth) {
                return Some(found);
            }
        }
        None
    }

    fn lookup_in(&self, scope: &Scope, name: &str, depth: usize) -> Option<Vec<String>> {
        match scope.names.get(name) {
            Some(Binding::Local) => return Some(scope.item_path(name)),
            Some(Binding::Import(path)) => return Some(self.absolute(path, scope, depth)),
            None => {}
        }
        if depth > 4 {
            return None;
        }
        for glob in &scope.globs {
            let glob = self.absolute(glob, scope, depth);
            // A glob of one of this file's modules (`use super::*`) sees that module's
            // names, imports included.
            if glob.first().is_some_and(|s| s == "crate") {
                if let Some(module) = self.modules.get(&glob) {
                    if let Some(found) = self.lookup_in(module, name, depth + 1) {
                        return Some(found);
                    }
                }
                continue;
            }
            if !crate::types::may_name_a_known_path(name) {
                continue;
            }
            let candidate = canonical(format!("{}::{name}", glob.join("::")));
            if Catalog::get().knows(&candidate)
                || crate::types::fn_return(&candidate, &Vec::new).is_known()
            {
                return Some(candidate.split("::").map(str::to_owned).collect());
            }
        }
        None
    }

    /// Makes a `use` path absolute: `self::`/`super::`/`crate::` become module paths, and a
    /// path starting with a name bound in an outer scope (`use fs::File` after `use std::fs`)
    /// goes through that binding.
    fn absolute(&self, path: &[String], scope: &Scope, depth: usize) -> Vec<String> {
        let Some(first) = path.first() else {
            return Vec::new();
        };
        match first.as_str() {
            "crate" => path.to_vec(),
            "self" => {
                let mut out = scope.module.clone();
                out.extend_from_slice(&path[1..]);
                out
            }
            "super" => {
                let mut out = scope.module.clone();
                let mut rest = path;
                while rest.first().is_some_and(|s| s == "super") {
                    out.pop();
                    rest = &rest[1..];
                }
                out.extend_from_slice(rest);
                out
            }
            "::" => path[1..].to_vec(),
            _ if path.len() > 1 && depth < 4 => {
                // 2018 paths in `use` may start with a name from an outer scope.
                match self
                    .modules
                    .get(&scope.module)
                    .and_then(|m| m.names.get(first.as_str()))
                {
                    Some(Binding::Import(outer)) if outer.first() != Some(first) => {
                        let mut out = self.absolute(outer, scope, depth + 1);
                        out.extend_from_slice(&path[1..]);
                        out
                    }
                    Some(Binding::Local) => {
                        let mut out = scope.item_path(first);
                        out.extend_from_slice(&path[1..]);
                        out
                    }
                    _ => path.to_vec(),
                }
            }
            _ => path.to_vec(),
        }
    }
}

impl Scope {
    fn add_items(&mut self, items: &[Item]) {
        for item in items {
            self.add_item(item);
        }
    }

    fn add_item(&mut self, item: &Item) {
        let ident = match item {
            Item::Use(item_use) => {
                let leading = if item_use.leading_colon.is_some() {
                    vec!["::".to_owned()]
                } else {
                    Vec::new()
                };
                self.add_use_tree(&item_use.tree, leading);
                return;
            }
            Item::Fn(f) => &f.sig.ident,
            Item::Mod(m) => &m.ident,
            Item::Struct(s) => &s.ident,
            Item::Enum(e) => &e.ident,
            Item::Union(u) => &u.ident,
            Item::Trait(t) => &t.ident,
            Item::TraitAlias(t) => &t.ident,
            Item::Type(t) => &t.ident,
            Item::Const(c) => &c.ident,
            Item::Static(s) => &s.ident,
            Item::ExternCrate(c) => {
                // `extern crate foo as bar;` makes `bar` mean the crate `foo`.
                let name = c.rename.as_ref().map(|(_, r)| r).unwrap_or(&c.ident);
                self.names
                    .insert(name.to_string(), Binding::Import(vec![c.ident.to_string()]));
                return;
            }
            Item::Macro(m) => match &m.ident {
                Some(ident) => ident,
                None => {
                    // `lazy_static!` declares statics that code refers to by name.
                    if m.mac
                        .path
                        .segments
                        .last()
                        .is_some_and(|s| s.ident == "lazy_static")
                    {
                        for declared in crate::macros::lazy_static_items(&m.mac.tokens) {
                            self.names
                                .insert(declared.ident.to_string(), Binding::Local);
                        }
                    }
                    return;
                }
            },
            _ => return,
        };
        self.names.insert(ident.to_string(), Binding::Local);
    }

    /// The path of this scope's item `name`.
    fn item_path(&self, name: &str) -> Vec<String> {
        let mut path = Vec::with_capacity(self.module.len() + 1);
        path.extend_from_slice(&self.module);
        path.push(name.to_owned());
        path
    }

    fn add_use_tree(&mut self, tree: &UseTree, prefix: Vec<String>) {
        match tree {
            UseTree::Path(p) => {
                let mut next = prefix;
                next.push(p.ident.to_string());
                self.add_use_tree(&p.tree, next);
            }
            UseTree::Name(n) => {
                let name = n.ident.to_string();
                if name == "self" {
                    // `use std::fs::{self}` binds `fs`.
                    if let Some(last) = prefix.last().cloned() {
                        self.names.insert(last, Binding::Import(prefix));
                    }
                } else {
                    let mut path = prefix;
                    path.push(name.clone());
                    self.names.insert(name, Binding::Import(path));
                }
            }
            UseTree::Rename(r) => {
                let rename = r.rename.to_string();
                if rename == "_" {
                    return;
                }
                let mut path = prefix;
                if r.ident != "self" {
                    path.push(r.ident.to_string());
                }
                self.names.insert(rename, Binding::Import(path));
            }
            UseTree::Glob(_) => self.globs.push(prefix),
            UseTree::Group(g) => {
                for item in &g.items {
                    self.add_use_tree(item, prefix.clone());
                }
            }
        }
    }
}

/// Names bound as locals by a pattern (`let (tx, rx) = ..`), for shadowing.
pub(crate) fn pattern_names(pat: &syn::Pat, out: &mut HashSet<String>) {
    use syn::Pat;
    match pat {
        Pat::Ident(p) => {
            out.insert(p.ident.to_string());
            if let Some((_, sub)) = &p.subpat {
                pattern_names(sub, out);
            }
        }
        Pat::Tuple(t) => t.elems.iter().for_each(|p| pattern_names(p, out)),
        Pat::TupleStruct(t) => t.elems.iter().for_each(|p| pattern_names(p, out)),
        Pat::Struct(s) => s.fields.iter().for_each(|f| pattern_names(&f.pat, out)),
        Pat::Slice(s) => s.elems.iter().for_each(|p| pattern_names(p, out)),
        Pat::Reference(r) => pattern_names(&r.pat, out),
        Pat::Type(t) => pattern_names(&t.pat, out),
        Pat::Or(o) => o.cases.iter().for_each(|p| pattern_names(p, out)),
        Pat::Paren(p) => pattern_names(&p.pat, out),
        _ => {}
    }
}
