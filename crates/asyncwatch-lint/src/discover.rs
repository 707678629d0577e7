//! Finding the Rust files to lint.

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    #[error("{}: no such file or directory", .0.display())]
    MissingPath(PathBuf),
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
/// hidden entries and `target/` directories. A file named explicitly is linted whatever its
/// extension.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<PathBuf>, DiscoverError> {
    let mut files = Vec::new();
    for path in paths {
        if !path.exists() {
            return Err(DiscoverError::MissingPath(path.clone()));
        }
        if path.is_file() {
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
