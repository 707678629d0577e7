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
        let walker = ignore::WalkBuilder::new(path)
            .require_git(false)
            .filter_entry(|entry| {
                !(entry.file_type().is_some_and(|t| t.is_dir()) && entry.file_name() == "target")
            })
            .build();
        for entry in walker {
            let entry = entry.map_err(|source| DiscoverError::Walk {
                path: path.clone(),
                source,
            })?;
            if entry.file_type().is_some_and(|t| t.is_file()) && is_rust_file(entry.path()) {
                files.push(entry.into_path());
            }
        }
    }
    files.sort();
    files.dedup();
    Ok(files)
}

fn is_rust_file(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "rs")
}
