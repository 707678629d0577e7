//! Finding the Rust files to lint.

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    #[error("{}: no such file or directory", .0.display())]
    MissingPath(PathBuf),
    /// A path that exists but cannot be followed or read: a symlink loop, no permission.
    #[error("{}: {error}", .path.display())]
    Unreadable {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("cannot walk {}: {source}", .path.display())]
    Walk {
        path: PathBuf,
        #[source]
        source: ignore::Error,
    },
}

/// Expands files and directories into the Rust files to lint, in a stable order.
///
/// Directories are walked respecting `.gitignore` (also outside a git repository), skipping
/// hidden entries and `target/` directories; symlinks inside them are not followed, so a
/// symlink loop cannot make the walk go round. A file named explicitly is linted whatever
/// its extension.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<PathBuf>, DiscoverError> {
    let mut files = Vec::new();
    let mut directories = Vec::new();
    for path in paths {
        // Follows symlinks: a loop (ELOOP) or a directory without permission is named as
        // such, not reported as missing.
        let metadata = match std::fs::metadata(path) {
            Ok(metadata) => metadata,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Err(DiscoverError::MissingPath(path.clone()));
            }
            Err(error) => {
                return Err(DiscoverError::Unreadable {
                    path: path.clone(),
                    error,
                })
            }
        };
        if metadata.is_file() {
            files.push(path.clone());
            continue;
        }
        directories.push(path.as_path());
    }
    walk(&directories, &mut files)?;
    files.sort();
    files.dedup();
    Ok(files)
}

/// Adds the Rust files under `directories` to `files`, walking them all at once on every
/// CPU: a registry cache (800 crates, 27,000 files) walked one directory at a time on one
/// thread kept the run waiting before any file could be read. A walk error fails the run:
/// the first in message order, so a rerun names the same one.
fn walk(directories: &[&Path], files: &mut Vec<PathBuf>) -> Result<(), DiscoverError> {
    let Some((first, others)) = directories.split_first() else {
        return Ok(());
    };
    let mut builder = ignore::WalkBuilder::new(first);
    for directory in others {
        builder.add(directory);
    }
    let found = std::sync::Mutex::new((Vec::new(), Vec::new()));
    builder
        .require_git(false)
        .filter_entry(|entry| {
            !(entry.file_type().is_some_and(|t| t.is_dir()) && entry.file_name() == "target")
        })
        .build_parallel()
        .run(|| {
            let found = &found;
            Box::new(move |entry| {
                let mut found = found
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                match entry {
                    Ok(entry) => {
                        if entry.file_type().is_some_and(|t| t.is_file())
                            && is_rust_file(entry.path())
                        {
                            found.0.push(entry.into_path());
                        }
                    }
                    Err(error) => found.1.push(error),
                }
                ignore::WalkState::Continue
            })
        });
    let (mut found, mut errors) = found
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    errors.sort_by_cached_key(ToString::to_string);
    if let Some(source) = errors.into_iter().next() {
        let path = error_path(&source)
            .and_then(|at| directories.iter().find(|d| at.starts_with(d)))
            .unwrap_or(first);
        return Err(DiscoverError::Walk {
            path: path.to_path_buf(),
            source,
        });
    }
    files.append(&mut found);
    Ok(())
}

/// The path a walk error is about, when it names one.
fn error_path(error: &ignore::Error) -> Option<&Path> {
    match error {
        ignore::Error::WithPath { path, .. } => Some(path),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        _ => None,
    }
}

fn is_rust_file(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "rs")
}
