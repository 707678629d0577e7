//! A deliberately small type model: enough to know that `rx` is a
//! `std::sync::mpsc::Receiver`, that `m.lock().unwrap()` is a `std::sync::MutexGuard`, and that
//! `Arc<Mutex<Receiver<T>>>` reaches a receiver through two derefs. Anything it cannot follow is
//! [`Ty::Unknown`], and unknown receivers are never reported by type.

use foldhash::HashMap;
use std::sync::OnceLock;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) enum Ty {
    /// A named type by canonical path, with its generic arguments.
    Path(String, Vec<Ty>),
    Tuple(Vec<Ty>),
    #[default]
    Unknown,
}

impl Ty {
    pub(crate) fn named(path: impl Into<String>) -> Ty {
        Ty::Path(path.into(), Vec::new())
    }

    pub(crate) fn path(&self) -> Option<&str> {
        match self {
            Ty::Path(path, _) => Some(path),
            _ => None,
        }
    }

    pub(crate) fn is_known(&self) -> bool {
        !matches!(self, Ty::Unknown)
    }

    fn arg(&self, index: usize) -> Ty {
        match self {
            Ty::Path(_, args) => args.get(index).cloned().unwrap_or_default(),
            _ => Ty::Unknown,
        }
    }

    /// The value a `?`, `.unwrap()` or `.expect(..)` yields: the `Ok`/`Some` type of a
    /// result-like type, and the type itself otherwise (so a constructor whose `Result` we did
    /// not model still flows through `?`).
    pub(crate) fn unwrapped(&self) -> Ty {
        match self {
            Ty::Path(path, args) if is_result_like(path) => {
                args.first().cloned().unwrap_or_default()
            }
            other => other.clone(),
        }
    }

    /// The type a method call may auto-deref to, if this is a smart pointer or guard.
    pub(crate) fn deref(&self) -> Option<Ty> {
        match self {
            Ty::Path(path, args) if derefs(path) => args.first().cloned(),
            _ => None,
        }
    }

    /// Walks the auto-deref chain: the type itself, then what it derefs to, and so on.
    pub(crate) fn deref_chain(&self) -> impl Iterator<Item = Ty> {
        let mut next = Some(self.clone());
        let mut depth = 0;
        std::iter::from_fn(move || {
            let current = next.take()?;
            depth += 1;
            // Bounded so a self-referential type alias cannot loop.
            if depth < 8 {
                next = current.deref();
            }
            Some(current)
        })
    }

    /// The same type with `crate::` paths qualified by the crate's name.
    pub(crate) fn qualified(self, crate_name: &str) -> Ty {
        match self {
            Ty::Path(path, args) => Ty::Path(
                crate::checker::qualify_owned(path, crate_name),
                args.into_iter().map(|a| a.qualified(crate_name)).collect(),
            ),
            Ty::Tuple(items) => {
                Ty::Tuple(items.into_iter().map(|a| a.qualified(crate_name)).collect())
            }
            Ty::Unknown => Ty::Unknown,
        }
    }

    pub(crate) fn is_lock_guard(&self) -> bool {
        self.path().is_some_and(|p| LOCK_GUARDS.contains(&p))
    }
}

/// `path.rsplit_once("::")`, by a byte search: `str`'s substring searcher took more setting
/// up than the search, on the hundreds of thousands of paths a run splits.
pub(crate) fn split_last(path: &str) -> Option<(&str, &str)> {
    let colon = memchr::memrchr(b':', path.as_bytes())?;
    if colon > 0 && path.as_bytes()[colon - 1] == b':' {
        Some((&path[..colon - 1], &path[colon + 1..]))
    } else {
        path.rsplit_once("::")
    }
}

/// The last segment of `path` (`sleep` of `std::thread::sleep`), or all of it.
pub(crate) fn last_segment(path: &str) -> &str {
    split_last(path).map_or(path, |(_, last)| last)
}

fn is_result_like(path: &str) -> bool {
    let last = last_segment(path);
    last.ends_with("Result") || last == "Option"
}

/// Whether the type at `path` auto-derefs to its first generic argument.
pub(crate) fn derefs(path: &str) -> bool {
    DEREF_WRAPPERS.contains(&path) || LOCK_GUARDS.contains(&path)
}

const DEREF_WRAPPERS: &[&str] = &[
    "std::sync::Arc",
    "std::rc::Rc",
    "std::boxed::Box",
    "std::pin::Pin",
    "std::mem::ManuallyDrop",
    "std::sync::LazyLock",
    "std::cell::LazyCell",
    "once_cell::sync::Lazy",
    "once_cell::unsync::Lazy",
    "lazy_static::Lazy",
    "std::io::BufReader",
    "std::io::BufWriter",
    "std::io::LineWriter",
    "r2d2::PooledConnection",
    // Web framework extractors deref to the state they carry.
    "actix_web::web::Data",
    "actix_web::Data",
    "axum::extract::State",
    "axum::Extension",
    "axum::extract::Extension",
    "rocket::State",
];

pub(crate) const LOCK_GUARDS: &[&str] = &[
    "std::sync::MutexGuard",
    "std::sync::RwLockReadGuard",
    "std::sync::RwLockWriteGuard",
    "parking_lot::MutexGuard",
    "parking_lot::RwLockReadGuard",
    "parking_lot::RwLockWriteGuard",
    "parking_lot::FairMutexGuard",
];

/// Paths that name the same item as a canonical one. Applied to every resolved path, so the
/// catalog only lists canonical spellings.
const ALIASES: &[(&str, &str)] = &[
    ("core::", "std::"),
    ("alloc::", "std::"),
    ("crossbeam::channel::", "crossbeam_channel::"),
    ("crossbeam::sync::", "crossbeam_utils::sync::"),
    ("crossbeam_utils::sync::", "crossbeam_utils::sync::"),
    ("futures_executor::", "futures::executor::"),
    ("futures::executor::", "futures::executor::"),
    ("std::sync::mpmc::", "std::sync::mpsc::"),
    ("std::sync::poison::", "std::sync::"),
    ("std::sync::nonpoison::", "std::sync::"),
    ("std::sync::mpsc::SendError", "std::sync::mpsc::SendError"),
    ("std::io::stdio::", "std::io::"),
    ("std::fs::file::", "std::fs::"),
    ("std::net::tcp::", "std::net::"),
    ("std::net::udp::", "std::net::"),
    ("std::os::unix::net::stream::", "std::os::unix::net::"),
    ("tokio::runtime::handle::", "tokio::runtime::"),
    ("parking_lot::lock_api::", "parking_lot::"),
    ("lock_api::", "parking_lot::"),
    ("diesel::pg::PgConnection", "diesel::PgConnection"),
    (
        "diesel::sqlite::SqliteConnection",
        "diesel::SqliteConnection",
    ),
    ("diesel::mysql::MysqlConnection", "diesel::MysqlConnection"),
    ("diesel::prelude::", "diesel::"),
    ("diesel::r2d2::", "r2d2::"),
    ("r2d2_postgres::r2d2::", "r2d2::"),
    ("argon2::password_hash::", "argon2::"),
    ("scrypt::password_hash::", "scrypt::"),
    ("pbkdf2::password_hash::", "pbkdf2::"),
    ("postgres::client::", "postgres::"),
    ("lettre::transport::smtp::", "lettre::"),
    ("lettre::transport::sendmail::", "lettre::"),
    ("tungstenite::protocol::WebSocket", "tungstenite::WebSocket"),
    ("image::io::Reader::open", "image::ImageReader::open"),
    ("redis::aio::", "redis::aio::"),
    ("std::prelude::rust_2021::", "std::"),
];

/// Rewrites an alias spelling (`core::time`, `crossbeam::channel`) to the canonical one.
pub(crate) fn canonical(path: String) -> String {
    // Every resolved path comes through here; most start with a crate no alias names
    // (`crate`, the user's crates), so the aliases are looked up by first segment, each
    // group in the table's order (the first match wins).
    static BY_FIRST_SEGMENT: std::sync::OnceLock<
        foldhash::HashMap<&'static str, Vec<(&'static str, &'static str)>>,
    > = std::sync::OnceLock::new();
    let groups = BY_FIRST_SEGMENT.get_or_init(|| {
        let mut groups: foldhash::HashMap<&str, Vec<(&str, &str)>> = Default::default();
        for &(from, to) in ALIASES {
            let first = from.split("::").next().unwrap_or(from);
            groups.entry(first).or_default().push((from, to));
        }
        groups
    });
    // A byte search: `split("::")` sets up a substring searcher, which cost more than the
    // rest of the lookup.
    let first = path.find(':').map_or(path.as_str(), |end| &path[..end]);
    let Some(aliases) = groups.get(first) else {
        return path;
    };
    for (from, to) in aliases {
        if let Some(rest) = path.strip_prefix(from) {
            if from == to {
                return path;
            }
            return format!("{to}{rest}");
        }
    }
    path
}

/// What calling a function or method returns, for the paths whose return type is not simply
/// the type they are called on. `Self` is the receiver's type, `$0` its first generic argument,
/// `$a0` the type of the call's first argument.
const RETURNS: &[(&str, &str)] = &[
    ("std::fs::File::open", "std::io::Result<std::fs::File>"),
    ("std::fs::File::create", "std::io::Result<std::fs::File>"),
    (
        "std::fs::File::create_new",
        "std::io::Result<std::fs::File>",
    ),
    ("std::fs::File::options", "std::fs::OpenOptions"),
    ("std::fs::File::try_clone", "std::io::Result<std::fs::File>"),
    (
        "std::fs::OpenOptions::open",
        "std::io::Result<std::fs::File>",
    ),
    ("std::fs::read_dir", "std::io::Result<std::fs::ReadDir>"),
    ("std::io::stdin", "std::io::Stdin"),
    ("std::io::Stdin::lock", "std::io::StdinLock"),
    (
        "std::sync::mpsc::channel",
        "(std::sync::mpsc::Sender<$a0>, std::sync::mpsc::Receiver<$a0>)",
    ),
    (
        "std::sync::mpsc::sync_channel",
        "(std::sync::mpsc::SyncSender<$a0>, std::sync::mpsc::Receiver<$a0>)",
    ),
    (
        "crossbeam_channel::unbounded",
        "(crossbeam_channel::Sender<$a0>, crossbeam_channel::Receiver<$a0>)",
    ),
    (
        "crossbeam_channel::bounded",
        "(crossbeam_channel::Sender<$a0>, crossbeam_channel::Receiver<$a0>)",
    ),
    (
        "flume::unbounded",
        "(flume::Sender<$a0>, flume::Receiver<$a0>)",
    ),
    (
        "flume::bounded",
        "(flume::Sender<$a0>, flume::Receiver<$a0>)",
    ),
    ("std::sync::Arc::new", "std::sync::Arc<$a0>"),
    ("std::sync::Arc::clone", "$a0"),
    ("std::rc::Rc::new", "std::rc::Rc<$a0>"),
    ("std::boxed::Box::new", "std::boxed::Box<$a0>"),
    ("std::sync::Mutex::new", "std::sync::Mutex<$a0>"),
    ("std::sync::RwLock::new", "std::sync::RwLock<$a0>"),
    ("parking_lot::Mutex::new", "parking_lot::Mutex<$a0>"),
    ("parking_lot::RwLock::new", "parking_lot::RwLock<$a0>"),
    ("parking_lot::const_mutex", "parking_lot::Mutex<$a0>"),
    ("std::io::BufReader::new", "std::io::BufReader<$a0>"),
    (
        "std::io::BufReader::with_capacity",
        "std::io::BufReader<$a1>",
    ),
    ("std::io::BufWriter::new", "std::io::BufWriter<$a0>"),
    ("std::io::LineWriter::new", "std::io::LineWriter<$a0>"),
    (
        "std::sync::Mutex::lock",
        "std::sync::LockResult<std::sync::MutexGuard<$0>>",
    ),
    (
        "std::sync::Mutex::try_lock",
        "std::sync::TryLockResult<std::sync::MutexGuard<$0>>",
    ),
    (
        "std::sync::RwLock::read",
        "std::sync::LockResult<std::sync::RwLockReadGuard<$0>>",
    ),
    (
        "std::sync::RwLock::write",
        "std::sync::LockResult<std::sync::RwLockWriteGuard<$0>>",
    ),
    (
        "std::sync::RwLock::try_read",
        "std::sync::TryLockResult<std::sync::RwLockReadGuard<$0>>",
    ),
    (
        "std::sync::RwLock::try_write",
        "std::sync::TryLockResult<std::sync::RwLockWriteGuard<$0>>",
    ),
    ("parking_lot::Mutex::lock", "parking_lot::MutexGuard<$0>"),
    (
        "parking_lot::Mutex::try_lock",
        "std::option::Option<parking_lot::MutexGuard<$0>>",
    ),
    (
        "parking_lot::FairMutex::lock",
        "parking_lot::FairMutexGuard<$0>",
    ),
    (
        "parking_lot::RwLock::read",
        "parking_lot::RwLockReadGuard<$0>",
    ),
    (
        "parking_lot::RwLock::write",
        "parking_lot::RwLockWriteGuard<$0>",
    ),
    ("std::thread::spawn", "std::thread::JoinHandle"),
    (
        "std::thread::Builder::spawn",
        "std::io::Result<std::thread::JoinHandle>",
    ),
    ("std::thread::Builder::new", "std::thread::Builder"),
    ("std::thread::Builder::name", "std::thread::Builder"),
    ("rayon::ThreadPoolBuilder::new", "rayon::ThreadPoolBuilder"),
    (
        "rayon::ThreadPoolBuilder::num_threads",
        "rayon::ThreadPoolBuilder",
    ),
    (
        "rayon::ThreadPoolBuilder::thread_name",
        "rayon::ThreadPoolBuilder",
    ),
    (
        "rayon::ThreadPoolBuilder::build",
        "std::result::Result<rayon::ThreadPool>",
    ),
    ("std::thread::Builder::stack_size", "std::thread::Builder"),
    ("std::thread::Scope::spawn", "std::thread::ScopedJoinHandle"),
    (
        "std::process::Command::spawn",
        "std::io::Result<std::process::Child>",
    ),
    (
        "std::net::TcpListener::accept",
        "std::io::Result<(std::net::TcpStream, std::net::SocketAddr)>",
    ),
    (
        "std::net::TcpStream::try_clone",
        "std::io::Result<std::net::TcpStream>",
    ),
    (
        "std::os::unix::net::UnixListener::accept",
        "std::io::Result<(std::os::unix::net::UnixStream, std::os::unix::net::SocketAddr)>",
    ),
    (
        "tokio::runtime::Runtime::new",
        "std::io::Result<tokio::runtime::Runtime>",
    ),
    ("tokio::runtime::Runtime::handle", "tokio::runtime::Handle"),
    ("tokio::runtime::Handle::current", "tokio::runtime::Handle"),
    (
        "tokio::runtime::Handle::try_current",
        "std::result::Result<tokio::runtime::Handle>",
    ),
    (
        "tokio::runtime::Builder::new_multi_thread",
        "tokio::runtime::Builder",
    ),
    (
        "tokio::runtime::Builder::new_current_thread",
        "tokio::runtime::Builder",
    ),
    (
        "tokio::runtime::Builder::build",
        "std::io::Result<tokio::runtime::Runtime>",
    ),
    (
        "reqwest::blocking::Client::builder",
        "reqwest::blocking::ClientBuilder",
    ),
    (
        "reqwest::blocking::ClientBuilder::build",
        "reqwest::Result<reqwest::blocking::Client>",
    ),
    (
        "reqwest::blocking::get",
        "reqwest::Result<reqwest::blocking::Response>",
    ),
    (
        "reqwest::blocking::RequestBuilder::send",
        "reqwest::Result<reqwest::blocking::Response>",
    ),
    ("ureq::get", "ureq::Request"),
    ("ureq::post", "ureq::Request"),
    ("ureq::put", "ureq::Request"),
    ("ureq::delete", "ureq::Request"),
    ("ureq::patch", "ureq::Request"),
    ("ureq::head", "ureq::Request"),
    ("ureq::request", "ureq::Request"),
    ("ureq::agent", "ureq::Agent"),
    ("ureq::AgentBuilder::build", "ureq::Agent"),
    ("ureq::Request::call", "std::result::Result<ureq::Response>"),
    ("attohttpc::get", "attohttpc::RequestBuilder"),
    ("attohttpc::post", "attohttpc::RequestBuilder"),
    ("attohttpc::put", "attohttpc::RequestBuilder"),
    ("attohttpc::delete", "attohttpc::RequestBuilder"),
    ("attohttpc::patch", "attohttpc::RequestBuilder"),
    ("attohttpc::head", "attohttpc::RequestBuilder"),
    (
        "rusqlite::Connection::open_in_memory",
        "rusqlite::Result<rusqlite::Connection>",
    ),
    (
        "rusqlite::Connection::prepare",
        "rusqlite::Result<rusqlite::Statement>",
    ),
    (
        "rusqlite::Connection::prepare_cached",
        "rusqlite::Result<rusqlite::Statement>",
    ),
    (
        "rusqlite::Connection::transaction",
        "rusqlite::Result<rusqlite::Transaction>",
    ),
    (
        "postgres::Client::transaction",
        "std::result::Result<postgres::Transaction>",
    ),
    ("mysql::Pool::get_conn", "mysql::Result<mysql::PooledConn>"),
    ("redis::Client::open", "redis::RedisResult<redis::Client>"),
    (
        "redis::Client::get_connection",
        "redis::RedisResult<redis::Connection>",
    ),
    (
        "redis::Client::get_connection_with_timeout",
        "redis::RedisResult<redis::Connection>",
    ),
    (
        "r2d2::Pool::get",
        "std::result::Result<r2d2::PooledConnection<$0>>",
    ),
    ("r2d2::Pool::builder", "r2d2::Builder<$0>"),
    (
        "r2d2::Builder::build",
        "std::result::Result<r2d2::Pool<$0>>",
    ),
    (
        "diesel::PgConnection::establish",
        "diesel::ConnectionResult<diesel::PgConnection>",
    ),
    (
        "diesel::SqliteConnection::establish",
        "diesel::ConnectionResult<diesel::SqliteConnection>",
    ),
    (
        "diesel::MysqlConnection::establish",
        "diesel::ConnectionResult<diesel::MysqlConnection>",
    ),
    ("argon2::Argon2::default", "argon2::Argon2"),
    ("argon2::Argon2::new", "argon2::Argon2"),
    (
        "futures::executor::LocalPool::new",
        "futures::executor::LocalPool",
    ),
    ("minreq::get", "minreq::Request"),
    ("minreq::post", "minreq::Request"),
    ("minreq::put", "minreq::Request"),
    ("minreq::delete", "minreq::Request"),
    ("minreq::head", "minreq::Request"),
    (
        "lettre::SmtpTransport::relay",
        "std::result::Result<lettre::SmtpTransportBuilder>",
    ),
    (
        "lettre::SmtpTransport::starttls_relay",
        "std::result::Result<lettre::SmtpTransportBuilder>",
    ),
    (
        "lettre::SmtpTransport::builder_dangerous",
        "lettre::SmtpTransportBuilder",
    ),
    (
        "lettre::SmtpTransport::unencrypted_localhost",
        "lettre::SmtpTransport",
    ),
    (
        "lettre::SmtpTransportBuilder::build",
        "lettre::SmtpTransport",
    ),
    (
        "tungstenite::connect",
        "std::result::Result<(tungstenite::WebSocket, tungstenite::handshake::client::Response)>",
    ),
    (
        "tungstenite::client::connect",
        "std::result::Result<(tungstenite::WebSocket, tungstenite::handshake::client::Response)>",
    ),
    (
        "tungstenite::accept",
        "std::result::Result<tungstenite::WebSocket>",
    ),
    (
        "mongodb::sync::Client::with_uri_str",
        "mongodb::error::Result<mongodb::sync::Client>",
    ),
    ("mongodb::sync::Client::database", "mongodb::sync::Database"),
    (
        "mongodb::sync::Database::collection",
        "mongodb::sync::Collection<$a0>",
    ),
];

/// Builder methods that return the builder they are called on.
const SELF_RETURNING: &[(&str, &[&str])] = &[
    (
        "std::process::Command",
        &[
            "arg",
            "args",
            "env",
            "envs",
            "env_remove",
            "env_clear",
            "current_dir",
            "stdin",
            "stdout",
            "stderr",
            "uid",
            "gid",
            "process_group",
        ],
    ),
    (
        "std::fs::OpenOptions",
        &[
            "read",
            "write",
            "append",
            "truncate",
            "create",
            "create_new",
            "mode",
            "custom_flags",
        ],
    ),
    (
        "tokio::runtime::Builder",
        &[
            "enable_all",
            "enable_io",
            "enable_time",
            "worker_threads",
            "thread_name",
            "thread_stack_size",
            "max_blocking_threads",
            "event_interval",
            "global_queue_interval",
            "start_paused",
        ],
    ),
    (
        "reqwest::blocking::ClientBuilder",
        &[
            "timeout",
            "connect_timeout",
            "user_agent",
            "default_headers",
            "redirect",
            "proxy",
            "no_proxy",
            "danger_accept_invalid_certs",
            "gzip",
            "pool_max_idle_per_host",
        ],
    ),
    (
        "reqwest::blocking::RequestBuilder",
        &[
            "header",
            "headers",
            "body",
            "json",
            "form",
            "query",
            "timeout",
            "basic_auth",
            "bearer_auth",
            "multipart",
        ],
    ),
    ("ureq::Request", &["set", "query", "timeout", "query_pairs"]),
    (
        "ureq::AgentBuilder",
        &[
            "timeout",
            "timeout_read",
            "timeout_write",
            "timeout_connect",
            "user_agent",
            "proxy",
            "redirects",
            "max_idle_connections",
        ],
    ),
    (
        "attohttpc::RequestBuilder",
        &[
            "header",
            "param",
            "params",
            "json",
            "text",
            "bytes",
            "timeout",
            "read_timeout",
            "connect_timeout",
            "basic_auth",
            "bearer_auth",
            "form",
        ],
    ),
    (
        "r2d2::Builder",
        &[
            "max_size",
            "min_idle",
            "connection_timeout",
            "idle_timeout",
            "max_lifetime",
            "test_on_check_out",
        ],
    ),
    (
        "walkdir::WalkDir",
        &[
            "min_depth",
            "max_depth",
            "follow_links",
            "follow_root_links",
            "max_open",
            "sort_by",
            "sort_by_key",
            "sort_by_file_name",
            "contents_first",
            "same_file_system",
        ],
    ),
    (
        "minreq::Request",
        &[
            "with_header",
            "with_body",
            "with_json",
            "with_timeout",
            "with_param",
            "with_max_redirects",
        ],
    ),
    (
        "lettre::SmtpTransportBuilder",
        &[
            "credentials",
            "port",
            "tls",
            "timeout",
            "authentication",
            "pool_config",
            "hello_name",
        ],
    ),
];

/// Methods of `Result`/`Option` (and anyhow/eyre's extensions) that keep the success type,
/// so `File::open(p).map_err(..)?` is still a `File`.
const KEEPS_SUCCESS_TYPE: &[&str] = &[
    "map_err",
    "context",
    "with_context",
    "wrap_err",
    "wrap_err_with",
    "inspect",
    "inspect_err",
    "or_else",
    "or",
    "ok_or",
    "ok_or_else",
    "as_mut",
    "as_ref",
    "as_deref",
    "as_deref_mut",
];

/// Methods whose result is the receiver's type whatever it is.
const CLONING: &[&str] = &["clone", "to_owned", "by_ref"];

/// Methods on `reqwest::blocking::Client` and `ureq::Agent` that start a request.
const REQUEST_STARTERS: &[(&str, &str, &[&str])] = &[
    (
        "reqwest::blocking::Client",
        "reqwest::blocking::RequestBuilder",
        &["get", "post", "put", "patch", "delete", "head", "request"],
    ),
    (
        "ureq::Agent",
        "ureq::Request",
        &["get", "post", "put", "patch", "delete", "head", "request"],
    ),
    (
        "attohttpc::Session",
        "attohttpc::RequestBuilder",
        &["get", "post", "put", "patch", "delete", "head"],
    ),
];

struct Facts {
    returns: HashMap<String, Ty>,
}

fn facts() -> &'static Facts {
    static FACTS: OnceLock<Facts> = OnceLock::new();
    FACTS.get_or_init(|| {
        let mut returns: HashMap<String, Ty> = RETURNS
            .iter()
            .map(|(path, spec)| ((*path).to_owned(), parse_spec(spec)))
            .collect();
        for (ty, methods) in SELF_RETURNING {
            for method in *methods {
                returns.insert(format!("{ty}::{method}"), Ty::named("Self"));
            }
        }
        for (ty, returned, methods) in REQUEST_STARTERS {
            for method in *methods {
                returns.insert(format!("{ty}::{method}"), Ty::named(*returned));
            }
        }
        Facts { returns }
    })
}

/// The paths of the type facts that lead to one of `interesting` (receiver types the
/// catalog matches), for the pre-scan: a value gets such a type only through code that
/// spells one of these. Grows `interesting` with the receiver types on the way
/// (`redis::Client` for `redis::Client::get_connection`).
pub(crate) fn seeds(interesting: &mut std::collections::HashSet<String>) -> Vec<&'static str> {
    let mut spelled = Vec::new();
    let mentions = |spec: &str, interesting: &std::collections::HashSet<String>| {
        spec.split(|c: char| !(c == '_' || c == ':' || c.is_alphanumeric()))
            .any(|path| interesting.contains(path))
    };
    let mut done = vec![false; RETURNS.len() + REQUEST_STARTERS.len()];
    loop {
        let mut changed = false;
        let edges = RETURNS.iter().map(|(path, spec)| (*path, *spec)).chain(
            REQUEST_STARTERS
                .iter()
                .map(|(ty, returned, _)| (*ty, *returned)),
        );
        for (k, (path, spec)) in edges.enumerate() {
            if done[k] || !mentions(spec, interesting) {
                continue;
            }
            done[k] = true;
            changed = true;
            spelled.push(path);
            // `a::Type::method` makes `a::Type` a receiver worth following; `a::Type` (a
            // request starter's receiver) is one itself.
            let receiver = match path.rsplit_once("::") {
                Some((owner, last)) if last.starts_with(|c: char| c.is_ascii_lowercase()) => owner,
                _ => path,
            };
            if receiver
                .rsplit("::")
                .next()
                .is_some_and(|s| s.starts_with(|c: char| c.is_ascii_uppercase()))
            {
                interesting.insert(receiver.to_owned());
            }
        }
        if !changed {
            return spelled;
        }
    }
}

/// The ways code may spell a canonical path: itself and every alias of [`ALIASES`] that
/// canonicalizes to it (`crossbeam::channel::Receiver` for `crossbeam_channel::Receiver`).
pub(crate) fn spellings(path: &str) -> Vec<String> {
    let mut spellings = vec![path.to_owned()];
    for (from, to) in ALIASES {
        if from != to {
            if let Some(rest) = path.strip_prefix(to) {
                spellings.push(format!("{from}{rest}"));
            }
        }
    }
    spellings
}

/// Parses the tiny type language of [`RETURNS`]: `a::b<T, U>`, `(A, B)`.
fn parse_spec(spec: &str) -> Ty {
    fn parse(input: &mut &str) -> Ty {
        *input = input.trim_start();
        if let Some(rest) = input.strip_prefix('(') {
            *input = rest;
            let mut items = Vec::new();
            loop {
                *input = input.trim_start();
                if let Some(rest) = input.strip_prefix(')') {
                    *input = rest;
                    return Ty::Tuple(items);
                }
                items.push(parse(input));
                *input = input.trim_start();
                if let Some(rest) = input.strip_prefix(',') {
                    *input = rest;
                }
            }
        }
        let end = input.find(['<', '>', ',', ')']).unwrap_or(input.len());
        let path = input[..end].trim().to_owned();
        *input = &input[end..];
        let mut args = Vec::new();
        if let Some(rest) = input.strip_prefix('<') {
            *input = rest;
            loop {
                args.push(parse(input));
                *input = input.trim_start();
                if let Some(rest) = input.strip_prefix(',') {
                    *input = rest;
                    continue;
                }
                if let Some(rest) = input.strip_prefix('>') {
                    *input = rest;
                }
                break;
            }
        }
        Ty::Path(path, args)
    }
    let mut input = spec;
    parse(&mut input)
}

/// Fills in `Self`, `$0` and `$aN` placeholders of a return spec.
fn instantiate(spec: &Ty, receiver: &Ty, call_args: &[Ty]) -> Ty {
    match spec {
        Ty::Path(path, args) => match path.as_str() {
            "Self" => receiver.clone(),
            "$0" => receiver.arg(0),
            p if p.starts_with("$a") => {
                let index: usize = p[2..].parse().unwrap_or(usize::MAX);
                call_args.get(index).cloned().unwrap_or_default()
            }
            _ => Ty::Path(
                path.clone(),
                args.iter()
                    .map(|a| instantiate(a, receiver, call_args))
                    .collect(),
            ),
        },
        Ty::Tuple(items) => Ty::Tuple(
            items
                .iter()
                .map(|a| instantiate(a, receiver, call_args))
                .collect(),
        ),
        Ty::Unknown => Ty::Unknown,
    }
}

/// The type returned by calling the associated function `path` (already canonical).
/// `call_args` is asked only when the return type depends on an argument, so callers can
/// pass inference lazily.
pub(crate) fn fn_return(path: &str, call_args: &dyn Fn() -> Vec<Ty>) -> Ty {
    if let Some(spec) = facts().returns.get(path) {
        return instantiate(spec, &Ty::Unknown, &call_args());
    }
    // `Type::new(..)`, `Type::open(..)` and friends on a type the catalog knows build that
    // type; `?` then looks through a `Result` we did not model.
    if let Some((ty, function)) = split_last(path) {
        if is_constructor(function)
            && crate::catalog::Catalog::get().knows(ty)
            && starts_uppercase(ty)
        {
            return Ty::named(ty);
        }
    }
    Ty::Unknown
}

/// Whether [`fn_return`] reads a call of `function` on a type the catalog knows as
/// building that type.
fn is_constructor(function: &str) -> bool {
    matches!(
        function,
        "new" | "default" | "open" | "connect" | "bind" | "builder" | "create"
    ) || function.starts_with("new_")
        || function.starts_with("with_")
        || function.starts_with("open_")
        || function.starts_with("connect_")
        || function.starts_with("from")
}

/// Whether some path ending in `::name` (after [`canonical`], which rewrites only a
/// path's first segments) can be one that [`fn_return`] types or the catalog knows: a
/// quick refusal for the names a glob import is searched for.
pub(crate) fn may_name_a_known_path(name: &str) -> bool {
    static LAST_SEGMENTS: OnceLock<std::collections::HashSet<&'static str>> = OnceLock::new();
    let last_segments = LAST_SEGMENTS.get_or_init(|| {
        let catalog: &'static crate::catalog::Catalog = crate::catalog::Catalog::get();
        catalog
            .known_paths()
            .chain(facts().returns.keys().map(String::as_str))
            .map(|path| path.rsplit("::").next().unwrap_or(path))
            .collect()
    });
    last_segments.contains(name) || is_constructor(name)
}

fn starts_uppercase(path: &str) -> bool {
    path.rsplit("::")
        .next()
        .and_then(|s| s.chars().next())
        .is_some_and(char::is_uppercase)
}

/// The type returned by `receiver.method(args)`, following auto-deref.
pub(crate) fn method_return(receiver: &Ty, method: &str, call_args: &dyn Fn() -> Vec<Ty>) -> Ty {
    if KEEPS_SUCCESS_TYPE.contains(&method) && receiver.path().is_some_and(is_result_like) {
        return receiver.clone();
    }
    if CLONING.contains(&method) {
        // Guards are not `Clone`: `guard.clone()` auto-derefs and clones the protected value.
        if receiver.is_lock_guard() {
            return receiver.deref().unwrap_or_default();
        }
        return receiver.clone();
    }
    if matches!(
        method,
        "unwrap"
            | "expect"
            | "unwrap_or_default"
            | "unwrap_or_else"
            | "unwrap_unchecked"
            | "ok"
            | "into_inner"
    ) {
        // `into_inner` on a poisoned-lock error or a `Result` both yield the payload.
        return receiver.unwrapped();
    }
    for ty in receiver.deref_chain() {
        if let Ty::Path(path, _) = &ty {
            if let Some(spec) = facts().returns.get(&format!("{path}::{method}")) {
                return instantiate(spec, &ty, &call_args());
            }
        }
    }
    Ty::Unknown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_rewrite_only_the_first_segments_of_a_path() {
        // `may_name_a_known_path` relies on it: the last segment of `glob::name` stays `name`.
        for &(from, to) in ALIASES {
            if !from.ends_with("::") {
                assert_eq!(from.rsplit("::").next(), to.rsplit("::").next(), "{from}");
            }
            assert_eq!(from.ends_with("::"), to.ends_with("::"), "{from}");
        }
    }

    #[test]
    fn split_last_splits_as_rsplit_once_does() {
        for path in [
            "std::thread::sleep",
            "sleep",
            "::x",
            "a::::b",
            "a:b",
            "a:b::c",
            "",
            "a::",
        ] {
            assert_eq!(split_last(path), path.rsplit_once("::"), "{path}");
        }
    }

    #[test]
    fn a_glob_is_searched_only_for_names_a_known_path_ends_with() {
        assert!(may_name_a_known_path("sleep"));
        assert!(may_name_a_known_path("File"));
        assert!(may_name_a_known_path("new_with_config"));
        assert!(!may_name_a_known_path("frobnicate_the_widget"));
    }
}
