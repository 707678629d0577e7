//! Reading a file to lint: what is not Rust source text (too large, binary, not UTF-8) is
//! refused with a message that says why and where, before anything is parsed.

use std::io::Read as _;
use std::path::Path;

/// The default of [`crate::Settings::max_file_size`]: 10 MiB, four times the largest file
/// among 25,000 of published crates (2.6 MB). A generated 50 MB file took 15 s and 1.9 GB
/// in a release build (71 s and 5.3 GB before the token pre-scan).
pub const DEFAULT_MAX_FILE_SIZE: u64 = 10 << 20;

/// How many leading bytes are searched for a NUL, as git does to tell binary files.
const BINARY_PROBE: usize = 8000;

/// Reads `path` as Rust source of at most `max_size` bytes.
pub(crate) fn read(path: &Path, max_size: u64) -> Result<String, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read file: {e}"))?;
    let known = file.metadata().map(|m| m.len()).unwrap_or(0);
    if known > max_size {
        return Err(too_large(known, max_size));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(known).unwrap_or(0));
    // A file that grows while being read, or reports no size (/proc), is still capped.
    file.take(max_size.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read file: {e}"))?;
    if bytes.len() as u64 > max_size {
        return Err(too_large(bytes.len() as u64, max_size));
    }
    text(bytes)
}

/// `bytes` as source text, or why they are not.
pub(crate) fn text(bytes: Vec<u8>) -> Result<String, String> {
    let probe = &bytes[..bytes.len().min(BINARY_PROBE)];
    if let Some(at) = probe.iter().position(|&b| b == 0) {
        return Err(format!(
            "not Rust source: a binary file (NUL byte at offset {at})"
        ));
    }
    String::from_utf8(bytes).map_err(|error| {
        let valid = &error.as_bytes()[..error.utf8_error().valid_up_to()];
        let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = valid.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        // The valid prefix is UTF-8, so its characters count the column.
        let column = String::from_utf8_lossy(&valid[line_start..]).chars().count() + 1;
        let byte = error.as_bytes()[valid.len()];
        format!("file is not valid UTF-8: byte 0x{byte:02x} at {line}:{column} (Rust source must be UTF-8)")
    })
}

pub(crate) fn too_large(size: u64, max: u64) -> String {
    format!(
        "file is {}, larger than the {} asyncwatch analyzes: `exclude` it, or raise \
         `max-file-size` (bytes) in asyncwatch.toml",
        megabytes(size),
        megabytes(max)
    )
}

fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1_000_000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_refuses_binary_and_names_the_first_invalid_byte() {
        assert_eq!(text(b"fn f() {}\n".to_vec()).as_deref(), Ok("fn f() {}\n"));
        assert_eq!(text(Vec::new()).as_deref(), Ok(""));
        let binary = text(b"\x7fELF\x02\x01\x01\x00\x00".to_vec()).unwrap_err();
        assert_eq!(
            binary,
            "not Rust source: a binary file (NUL byte at offset 7)"
        );
        let latin1 = text(b"fn f() {}\n// caf\xe9\n".to_vec()).unwrap_err();
        assert!(
            latin1.starts_with("file is not valid UTF-8: byte 0xe9 at 2:7"),
            "{latin1}"
        );
        let after_multibyte = text("é\u{20ac}".bytes().chain([0xff]).collect()).unwrap_err();
        assert!(
            after_multibyte.contains("byte 0xff at 1:3"),
            "{after_multibyte}"
        );
    }

    #[test]
    fn read_refuses_files_over_the_limit_before_reading_them() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("big.rs");
        std::fs::write(&path, "// x\n".repeat(1000)).expect("write");
        assert!(read(&path, 5000).is_ok());
        let error = read(&path, 4999).unwrap_err();
        assert!(
            error.starts_with("file is 0.0 MB, larger than the 0.0 MB"),
            "{error}"
        );
        let error = read(&dir.path().join("missing.rs"), 100).unwrap_err();
        assert!(error.starts_with("cannot read file: "), "{error}");
    }
}
