//! Stable identities for findings, shared by baselines and SARIF `partialFingerprints`.
//!
//! A finding is identified by its rule, its file, its enclosing function and a hash of the
//! code it points at with whitespace collapsed, so moving code up or down (or reindenting it)
//! keeps its identity while editing the call itself gives it a new one. The hash is FNV-1a
//! (64 bit), which is stable across Rust versions and platforms, unlike `DefaultHasher`.

use crate::Diagnostic;

/// FNV-1a, 64 bit.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// The text a diagnostic points at with every run of whitespace collapsed to one space, or
/// an empty string when the text is unavailable or the span does not fit it.
pub fn normalized_snippet(d: &Diagnostic, source: Option<&str>) -> String {
    let Some(text) = source.and_then(|s| s.get(d.span.start.offset..d.span.end.offset)) else {
        return String::new();
    };
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A file name as it appears in keys and URIs: forward slashes, no leading `./`.
pub fn normalize_file(file: &str) -> String {
    let mut file = file.replace('\\', "/");
    while let Some(rest) = file.strip_prefix("./") {
        file = rest.to_owned();
    }
    file
}

/// The 16-hex-digit hash of a finding's normalized code.
pub fn snippet_hash(d: &Diagnostic, source: Option<&str>) -> String {
    format!("{:016x}", fnv1a64(normalized_snippet(d, source).as_bytes()))
}

/// One hash over rule, file, function and code: the SARIF `partialFingerprints` value.
pub fn fingerprint(d: &Diagnostic, source: Option<&str>) -> String {
    let key = format!(
        "{}\0{}\0{}\0{}",
        d.rule,
        normalize_file(&d.file),
        d.function.as_deref().unwrap_or(""),
        normalized_snippet(d, source)
    );
    format!("{:016x}", fnv1a64(key.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_matches_the_reference_vectors() {
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn file_names_are_normalized() {
        assert_eq!(normalize_file("./src/lib.rs"), "src/lib.rs");
        assert_eq!(normalize_file("src\\lib.rs"), "src/lib.rs");
    }
}
