//! Arbitrary text as `asyncwatch.toml`: reading it gives a configuration or an error that
//! names the file, and applying a configuration gives settings or such an error: never a
//! panic (the error formatter slices the text around toml's span).
#![no_main]

use std::path::Path;

use asyncwatch_lint::{config, Settings};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let file = Path::new("/project/asyncwatch.toml");
    match config::load_str(file, text) {
        Ok(loaded) => {
            let mut settings = Settings::default();
            if let Err(error) = loaded.apply(&mut settings) {
                assert!(error.to_string().starts_with("/project/asyncwatch.toml: "));
            }
        }
        Err(error) => assert!(error.to_string().starts_with("/project/asyncwatch.toml: ")),
    }
    // The same text as a Cargo.toml with (or without) `[package.metadata.asyncwatch]`.
    let manifest = Path::new("/project/Cargo.toml");
    match config::cargo_metadata_str(manifest, text) {
        Ok(Some(loaded)) => {
            let mut settings = Settings::default();
            if let Err(error) = loaded.apply(&mut settings) {
                assert!(error.to_string().starts_with("/project/Cargo.toml: "));
            }
        }
        Ok(None) => {}
        Err(error) => assert!(error.to_string().starts_with("/project/Cargo.toml: ")),
    }
});
