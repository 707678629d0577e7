//! Helpers for the CLI tests: throwaway projects in temporary directories and a runner.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Project {
    pub dir: tempfile::TempDir,
}

impl Project {
    /// A directory holding `files` (path, text).
    pub fn new(files: &[(&str, &str)]) -> Project {
        let dir = tempfile::tempdir().expect("tempdir");
        for (path, text) in files {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(path, text).expect("write");
        }
        Project { dir }
    }

    pub fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    pub fn read(&self, relative: &str) -> String {
        std::fs::read_to_string(self.path(relative)).expect("read")
    }

    pub fn write(&self, relative: &str, text: &str) {
        std::fs::write(self.path(relative), text).expect("write");
    }

    /// Runs asyncwatch in the project's directory.
    pub fn run(&self, args: &[&str]) -> Output {
        run_in(self.dir.path(), args)
    }
}

pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn run_in(dir: &Path, args: &[&str]) -> Output {
    let output = Command::new(env!("CARGO_BIN_EXE_asyncwatch"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("asyncwatch runs");
    Output {
        code: output.status.code().expect("exit code"),
        stdout: String::from_utf8(output.stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(output.stderr).expect("utf-8 stderr"),
    }
}

pub const TOKIO_MANIFEST: &str = r#"[package]
name = "demo"
version = "0.2.0"
edition = "2021"

[dependencies]
tokio = { version = "1", features = ["full"] }
"#;

pub const NO_TOKIO_MANIFEST: &str = r#"[package]
name = "plain"
version = "0.1.0"
edition = "2021"
"#;

/// Two findings with mechanical fixes (sleep and fs::read) and one without (read_dir).
pub const HANDLER: &str = r#"use std::time::Duration;

pub async fn handler() -> std::io::Result<Vec<u8>> {
    std::thread::sleep(Duration::from_millis(5));
    let data = std::fs::read("in.txt")?;
    let _ = std::fs::read_dir(".");
    Ok(data)
}
"#;

pub fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Builds a package of `fixtures/apps` in release and precise mode (`--cfg tokio_unstable`)
/// into `<target>/fixture-apps/precise`, where `run_fixtures.rs` builds too so that both share
/// the dependencies, and returns its binary. Release: symbolizing a stack of a debug build
/// takes about half a second of CPU per process, too much for a test that runs a dozen.
pub fn precise_release_fixture_app(package: &str) -> PathBuf {
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"))
        .join("fixture-apps/precise");
    let status = Command::new(env!("CARGO"))
        .arg("build")
        .arg("--manifest-path")
        .arg(repo_root().join("fixtures/apps/Cargo.toml"))
        .args(["--release", "-p", package])
        .env("CARGO_TARGET_DIR", &target_dir)
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_BUILD_RUSTFLAGS")
        .env("RUSTFLAGS", "--cfg tokio_unstable")
        .status()
        .expect("cargo runs");
    assert!(
        status.success(),
        "building fixtures/apps -p {package} failed"
    );
    target_dir.join("release").join(package)
}
