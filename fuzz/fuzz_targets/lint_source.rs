//! Arbitrary bytes as a source file: whatever the text, linting it returns diagnostics or a
//! file error, never a panic, a hang or a crash. Seeds: fixtures/lint and examples/.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    if let Ok(source) = std::str::from_utf8(data) {
        common::lint(source);
    }
});
