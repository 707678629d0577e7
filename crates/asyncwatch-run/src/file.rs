//! Writing the report so that readers only ever see a whole one.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Replaces `path` with `contents` atomically: the text goes to a temporary file in the same
/// directory, is synced, and is renamed over `path` (a rename within one file system is
/// atomic), then the directory is synced so that the rename survives a crash. A reader sees
/// the old file or the new one, never a part; on failure `path` is left as it was and the
/// temporary file is removed. A symbolic link at `path` is followed, so its target is
/// replaced and the link kept.
pub(crate) fn write_atomically(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let target = follow_link(path)?;
    let directory = match target.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => PathBuf::from("."),
    };
    let name = target
        .file_name()
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file name"))?;
    let mut temporary_name = std::ffi::OsString::from(".");
    temporary_name.push(name);
    temporary_name.push(format!(".asyncwatch-{}.tmp", std::process::id()));
    let temporary = directory.join(temporary_name);
    let written = write_synced(&temporary, &target, contents)
        .and_then(|()| std::fs::rename(&temporary, &target));
    if let Err(error) = written {
        let _ = std::fs::remove_file(&temporary);
        return Err(error);
    }
    // The new file is in place; only its durability across a crash depends on this.
    if let Ok(directory) = std::fs::File::open(&directory) {
        let _ = directory.sync_all();
    }
    Ok(())
}

fn follow_link(path: &Path) -> std::io::Result<PathBuf> {
    match std::fs::symlink_metadata(path) {
        Ok(metadata) if metadata.file_type().is_symlink() => {
            let link = std::fs::read_link(path)?;
            Ok(match path.parent() {
                Some(parent) if link.is_relative() => parent.join(link),
                _ => link,
            })
        }
        _ => Ok(path.to_owned()),
    }
}

fn write_synced(temporary: &Path, target: &Path, contents: &[u8]) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(temporary)?;
    // A report replacing another keeps its permissions, as writing in place would have.
    if let Ok(existing) = std::fs::metadata(target) {
        file.set_permissions(existing.permissions())?;
    }
    file.write_all(contents)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_directory_is_an_error_and_leaves_nothing_behind() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("missing/report.json");
        let error = write_atomically(&path, b"{}").expect_err("no directory to write in");
        assert_eq!(error.kind(), std::io::ErrorKind::NotFound);
        assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 0);
    }

    #[test]
    fn a_symbolic_link_keeps_pointing_at_the_replaced_report() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("real.json"), "old").expect("write");
        std::os::unix::fs::symlink("real.json", dir.path().join("link.json")).expect("symlink");
        write_atomically(&dir.path().join("link.json"), b"new").expect("written");
        assert!(std::fs::symlink_metadata(dir.path().join("link.json"))
            .expect("link")
            .file_type()
            .is_symlink());
        assert_eq!(
            std::fs::read_to_string(dir.path().join("real.json")).expect("read"),
            "new"
        );
        assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 2);
    }
}
