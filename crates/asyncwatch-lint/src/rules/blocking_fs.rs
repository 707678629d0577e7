use crate::catalog::{Blocking, Target};
use crate::rule::declare_rule;

declare_rule! {
    /// ## What it does
    /// Finds synchronous filesystem calls in async code: `std::fs` functions, `std::fs::File`
    /// reads and writes (also through `BufReader`/`BufWriter`), `OpenOptions::open`, and path
    /// queries such as `Path::exists`, `Path::metadata` and `Path::canonicalize`.
    ///
    /// ## Why is this bad?
    /// Filesystem calls block the calling thread until the kernel answers. On a local SSD that
    /// is usually fast, but a network filesystem, a cold cache, a full disk or a large file turn
    /// it into milliseconds or seconds during which the worker runs no other task. There is no
    /// non-blocking file I/O on most platforms, which is why `tokio::fs` runs these calls on the
    /// blocking thread pool.
    ///
    /// ## Example
    /// ```rust,ignore
    /// async fn load() -> std::io::Result<String> {
    ///     std::fs::read_to_string("config.toml")
    /// }
    /// ```
    ///
    /// ## Use instead
    /// ```rust,ignore
    /// async fn load() -> std::io::Result<String> {
    ///     tokio::fs::read_to_string("config.toml").await
    /// }
    /// ```
    pub static BLOCKING_FS = {
        name: "blocking-fs",
        severity: Warning,
        default: enabled,
        summary: "synchronous filesystem I/O in async code blocks the worker thread",
    }
}

const WHY: &str = "it waits for the filesystem on the worker thread";
const FILE_INSTEAD: &str = "use `tokio::fs::File` with `tokio::io::AsyncReadExt`/`AsyncWriteExt`, or run the work in `tokio::task::spawn_blocking`";
const PATH_INSTEAD: &str = "use `tokio::fs::metadata(path).await` / `tokio::fs::try_exists(path).await`, or run the check in `tokio::task::spawn_blocking`";

/// `std::fs::NAME` with `tokio::fs::NAME` as its alternative; also declares the list of
/// names, which the fixes use.
macro_rules! std_fs {
    ($catalog:ident, $names:ident; $($name:literal),* $(,)?) => {
        const $catalog: [Blocking; [$($name),*].len()] = [$(Blocking::func(
            concat!("std::fs::", $name),
            WHY,
            concat!("use `tokio::fs::", $name, "(..).await`, or run the work in `tokio::task::spawn_blocking`"),
        )),*];

        /// The `std::fs` functions (and `File` constructors) that `tokio::fs` has under the
        /// same name.
        pub(crate) const $names: &[&str] = &[$($name),*];
    };
}

std_fs![
    STD_FS, TOKIO_FS_NAMESAKES;
    "read",
    "read_to_string",
    "write",
    "copy",
    "create_dir",
    "create_dir_all",
    "remove_file",
    "remove_dir",
    "remove_dir_all",
    "rename",
    "metadata",
    "symlink_metadata",
    "read_dir",
    "read_link",
    "canonicalize",
    "hard_link",
    "set_permissions",
    "File::open",
    "File::create",
    "File::create_new",
];

const STD_FILE: [Blocking; 13] = {
    const fn file(method: &'static str) -> Blocking {
        Blocking::method("std::fs::File", method, WHY, FILE_INSTEAD)
    }
    [
        file("read"),
        file("read_exact"),
        file("read_to_end"),
        file("read_to_string"),
        file("write"),
        file("write_all"),
        file("sync_all"),
        file("sync_data"),
        file("set_len"),
        file("metadata"),
        file("set_permissions"),
        file("seek"),
        file("read_at"),
    ]
};

const PATH_QUERIES: [Blocking; 11] = {
    const fn query(method: &'static str) -> Blocking {
        Blocking {
            target: Target::PathQuery(method),
            why: WHY,
            instead: PATH_INSTEAD,
        }
    }
    [
        query("exists"),
        query("try_exists"),
        query("is_file"),
        query("is_dir"),
        query("is_symlink"),
        query("metadata"),
        query("symlink_metadata"),
        query("canonicalize"),
        query("read_dir"),
        query("read_link"),
        query("read_to_string"),
    ]
};

const OTHER: [Blocking; 10] = [
    Blocking::method(
        "std::fs::OpenOptions",
        "open",
        WHY,
        "use `tokio::fs::OpenOptions::open(..).await`",
    ),
    Blocking::func(
        "std::fs::exists",
        WHY,
        "use `tokio::fs::try_exists(..).await`",
    ),
    Blocking::func(
        "std::fs::soft_link",
        WHY,
        "use `tokio::fs::symlink(..).await`",
    ),
    Blocking::method(
        "std::fs::DirEntry",
        "metadata",
        WHY,
        "use `tokio::fs::DirEntry::metadata(..).await`",
    ),
    Blocking::method(
        "std::fs::DirEntry",
        "file_type",
        WHY,
        "use `tokio::fs::DirEntry::file_type(..).await`",
    ),
    Blocking::method(
        "std::fs::ReadDir",
        "next",
        WHY,
        "use `tokio::fs::read_dir(..).await` and `next_entry().await`",
    ),
    Blocking::func(
        "tempfile::tempfile",
        WHY,
        "create the file in `tokio::task::spawn_blocking`",
    ),
    Blocking::func(
        "tempfile::NamedTempFile::new",
        WHY,
        "create the file in `tokio::task::spawn_blocking`",
    ),
    Blocking::func(
        "tempfile::tempdir",
        WHY,
        "create the directory in `tokio::task::spawn_blocking`",
    ),
    Blocking::func(
        "tempfile::TempDir::new",
        WHY,
        "create the directory in `tokio::task::spawn_blocking`",
    ),
];

/// Crates whose calls read or write files on the calling thread.
const ECOSYSTEM: &[Blocking] = &[
    Blocking::func(
        "std::os::unix::fs::symlink",
        WHY,
        "use `tokio::fs::symlink(..).await`",
    ),
    Blocking::func("image::open", DECODE_WHY, DECODE),
    Blocking::func("image::io::Reader::open", DECODE_WHY, DECODE),
    Blocking::func("image::ImageReader::open", DECODE_WHY, DECODE),
    Blocking::func("csv::Reader::from_path", WHY, OFFLOAD),
    Blocking::func("csv::Writer::from_path", WHY, OFFLOAD),
    Blocking::method("csv::ReaderBuilder", "from_path", WHY, OFFLOAD),
    Blocking::method("csv::WriterBuilder", "from_path", WHY, OFFLOAD),
    // Iterating a `WalkDir` (a `for` loop or `.into_iter()`) reads directories.
    Blocking::method("walkdir::WalkDir", "into_iter", WHY, OFFLOAD),
    Blocking::func("glob::glob", WHY, OFFLOAD),
    Blocking::func("glob::glob_with", WHY, OFFLOAD),
    Blocking::func("fs_extra::dir::copy", WHY, OFFLOAD),
    Blocking::func("fs_extra::dir::remove", WHY, OFFLOAD),
    Blocking::func("fs_extra::file::copy", WHY, OFFLOAD),
    Blocking::func("fs_extra::file::move_file", WHY, OFFLOAD),
    Blocking::func("fs_extra::copy_items", WHY, OFFLOAD),
    Blocking::func("fs_extra::remove_items", WHY, OFFLOAD),
];

const DECODE_WHY: &str = "it reads the file and decodes the image on the worker thread";
const DECODE: &str = "load and decode the image in `tokio::task::spawn_blocking`";
const OFFLOAD: &str = "run the filesystem work in `tokio::task::spawn_blocking`";

pub(crate) const CATALOG: &[&[Blocking]] = &[&STD_FS, &STD_FILE, &PATH_QUERIES, &OTHER, ECOSYSTEM];
