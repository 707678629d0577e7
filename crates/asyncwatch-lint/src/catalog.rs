//! The blocking-call catalog: which canonical paths block, why, and what to use instead.
//!
//! Each rule family (one file under `rules/`) contributes its own entries; this module merges
//! them into lookup tables once per process. Type facts (what a constructor or method returns)
//! live in [`crate::types`].

use foldhash::HashMap;
use std::sync::OnceLock;

use crate::rule::Rule;

/// How a catalog entry is matched against code.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Target {
    /// A free or associated function by canonical path, e.g. `std::fs::read` or
    /// `std::fs::File::open`.
    Fn(&'static str),
    /// A method on a receiver whose type is known, e.g. (`std::sync::mpsc::Receiver`, `recv`).
    Method(&'static str, &'static str),
    /// A method that blocks whatever its receiver is, because no async API shares its name and
    /// arity (`to_socket_addrs()`, `block_on(fut)`). `args` is the exact argument count.
    MethodByName { method: &'static str, args: usize },
    /// A zero-argument filesystem query (`exists()`, `metadata()`) reported when the receiver
    /// is plausibly a path even though its type is unknown.
    PathQuery(&'static str),
    /// Every method on a receiver of this type (a sync redis connection: one method per
    /// command, each a round trip).
    AnyMethod(&'static str),
    /// Any call handed `&mut conn` or `&conn` where `conn` has this type: query builders that
    /// take the connection as an argument (`.load(&mut conn)`, `cmd.query(&mut con)`).
    ConnectionArgument(&'static str),
}

#[derive(Debug)]
pub(crate) struct Blocking {
    pub target: Target,
    /// Why it blocks, as a note: lowercase, no trailing period.
    pub why: &'static str,
    /// The async alternative, as a help line: lowercase, no trailing period.
    pub instead: &'static str,
}

impl Blocking {
    pub(crate) const fn func(path: &'static str, why: &'static str, instead: &'static str) -> Self {
        Blocking {
            target: Target::Fn(path),
            why,
            instead,
        }
    }

    pub(crate) const fn method(
        ty: &'static str,
        method: &'static str,
        why: &'static str,
        instead: &'static str,
    ) -> Self {
        Blocking {
            target: Target::Method(ty, method),
            why,
            instead,
        }
    }
}

/// A catalog entry together with the rule it reports under.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Entry {
    pub rule: &'static Rule,
    pub blocking: &'static Blocking,
}

#[derive(Default)]
pub(crate) struct Catalog {
    fns: HashMap<&'static str, Entry>,
    methods: HashMap<(&'static str, &'static str), Entry>,
    /// Methods reported by name, with the argument counts each is reported at.
    by_name: HashMap<&'static str, Vec<(usize, Entry)>>,
    path_queries: HashMap<&'static str, Entry>,
    any_method: HashMap<&'static str, Entry>,
    connection_arguments: HashMap<&'static str, Entry>,
    /// Every proper prefix of a catalog path (`std`, `std::fs`, ...), so glob imports can tell
    /// whether `prefix::name` could mean something to us.
    module_prefixes: std::collections::HashSet<String>,
}

impl Catalog {
    pub(crate) fn get() -> &'static Catalog {
        static CATALOG: OnceLock<Catalog> = OnceLock::new();
        CATALOG.get_or_init(|| {
            let mut catalog = Catalog::default();
            for (rule, blocking) in crate::rules::families() {
                catalog.insert(Entry { rule, blocking });
            }
            catalog
        })
    }

    fn insert(&mut self, entry: Entry) {
        match entry.blocking.target {
            Target::Fn(path) => {
                self.note_prefixes(path);
                self.fns.insert(path, entry);
            }
            Target::Method(ty, method) => {
                self.note_prefixes(ty);
                self.module_prefixes.insert(ty.to_owned());
                self.methods.insert((ty, method), entry);
            }
            Target::MethodByName { method, args } => {
                self.by_name.entry(method).or_default().push((args, entry));
            }
            Target::PathQuery(method) => {
                self.path_queries.insert(method, entry);
            }
            Target::AnyMethod(ty) => {
                self.note_prefixes(ty);
                self.module_prefixes.insert(ty.to_owned());
                self.any_method.insert(ty, entry);
            }
            Target::ConnectionArgument(ty) => {
                self.note_prefixes(ty);
                self.module_prefixes.insert(ty.to_owned());
                self.connection_arguments.insert(ty, entry);
            }
        }
    }

    fn note_prefixes(&mut self, path: &str) {
        let mut end = 0;
        while let Some(found) = path[end..].find("::") {
            end += found;
            self.module_prefixes.insert(path[..end].to_owned());
            end += 2;
        }
    }

    pub(crate) fn function(&self, path: &str) -> Option<Entry> {
        self.fns.get(path).copied()
    }

    pub(crate) fn method(&self, ty: &str, method: &str) -> Option<Entry> {
        self.methods
            .get(&(ty, method))
            .copied()
            .or_else(|| self.any_method.get(ty).copied())
    }

    pub(crate) fn connection_argument(&self, ty: &str) -> Option<Entry> {
        self.connection_arguments.get(ty).copied()
    }

    pub(crate) fn method_by_name(&self, method: &str, args: usize) -> Option<Entry> {
        self.by_name
            .get(method)?
            .iter()
            .find(|(arity, _)| *arity == args)
            .map(|(_, e)| *e)
    }

    pub(crate) fn path_query(&self, method: &str) -> Option<Entry> {
        self.path_queries.get(method).copied()
    }

    /// What code must spell for a catalog entry to match, for the pre-scan: the path of a
    /// function or receiver type, or the name of a method matched by name.
    /// For sync code (`in_async` false) only the rules that make sync functions blocking
    /// count (see `record_direct_blocking`); async code can also hold what pedantic rules
    /// report, and `guard-across-await` needs the lock types whose guards it follows.
    pub(crate) fn seeds<'a>(
        &'a self,
        settings: &'a crate::Settings,
        in_async: bool,
    ) -> impl Iterator<Item = crate::prescan::Seed> + 'a {
        use crate::prescan::Seed;
        let guards =
            in_async && settings.is_enabled(&crate::rules::guard_across_await::GUARD_ACROSS_AWAIT);
        crate::rules::families()
            .filter(move |(rule, _)| {
                settings.is_enabled(rule) && (rule.enabled_by_default || in_async)
                    || guards && rule.name == crate::rules::std_mutex_lock::STD_MUTEX_LOCK.name
            })
            .map(|(_, blocking)| match blocking.target {
                Target::Fn(path) => Seed::Path(path),
                Target::AnyMethod(ty) | Target::ConnectionArgument(ty) | Target::Method(ty, _) => {
                    Seed::Type(ty)
                }
                Target::MethodByName { method, .. } | Target::PathQuery(method) => {
                    Seed::Name(method)
                }
            })
    }

    /// Whether `path` names something the catalog knows: a function, a type with blocking
    /// methods, or a module containing either.
    pub(crate) fn knows(&self, path: &str) -> bool {
        self.fns.contains_key(path) || self.module_prefixes.contains(path)
    }

    /// Every path [`Catalog::knows`].
    pub(crate) fn known_paths(&self) -> impl Iterator<Item = &str> {
        self.fns
            .keys()
            .copied()
            .chain(self.module_prefixes.iter().map(String::as_str))
    }
}
