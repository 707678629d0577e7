//! What the nearest `Cargo.toml` says about a file: its package and cargo target (for
//! rustc-shaped output) and its tokio dependency (for deciding whether a fix is safe).
//!
//! Manifests are found by walking up from the file; no `cargo metadata` is run, so targets
//! are inferred from cargo's layout conventions (`src/bin/`, `tests/`, `examples/`,
//! `benches/`, `build.rs`, otherwise the library or `src/main.rs`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use asyncwatch_diagnostics::{CargoContext, CargoTarget};

/// A parsed `Cargo.toml`.
#[derive(Debug)]
pub struct Manifest {
    /// Absolute path of the `Cargo.toml`.
    pub path: PathBuf,
    pub table: toml::Table,
}

impl Manifest {
    pub fn dir(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new("/"))
    }

    fn package(&self) -> Option<&toml::Table> {
        self.table.get("package")?.as_table()
    }

    fn is_workspace_root(&self) -> bool {
        self.table.contains_key("workspace")
    }

    /// A `[package]` key, following `key.workspace = true` to `[workspace.package]`.
    fn package_str(&self, key: &str) -> Option<String> {
        match self.package()?.get(key)? {
            toml::Value::String(s) => Some(s.clone()),
            toml::Value::Table(t) if t.get("workspace").and_then(|v| v.as_bool()) == Some(true) => {
                let root = workspace_root(self)?;
                let value = root.table.get("workspace")?.get("package")?.get(key)?;
                value.as_str().map(str::to_owned)
            }
            _ => None,
        }
    }
}

fn cache() -> &'static Mutex<HashMap<PathBuf, Option<Arc<Manifest>>>> {
    static CACHE: OnceLock<Mutex<HashMap<PathBuf, Option<Arc<Manifest>>>>> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|cwd| cwd.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    }
}

/// Strips `.` and resolves `..` lexically, so paths look the way cargo prints them.
fn clean(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// The manifest in `dir` itself, if any (cached; an unreadable or invalid one counts as none).
fn manifest_in(dir: &Path) -> Option<Arc<Manifest>> {
    let mut cache = cache().lock().unwrap_or_else(|e| e.into_inner());
    cache
        .entry(dir.to_path_buf())
        .or_insert_with(|| {
            let path = dir.join("Cargo.toml");
            let text = std::fs::read_to_string(&path).ok()?;
            let table = text.parse::<toml::Table>().ok()?;
            Some(Arc::new(Manifest { path, table }))
        })
        .clone()
}

/// The parsed manifest at `path` (a `Cargo.toml`), from the same cache.
pub(crate) fn manifest_at(path: &Path) -> Option<Arc<Manifest>> {
    manifest_in(path.parent()?)
}

/// The nearest manifest with a `[package]` above `file`.
pub fn package_manifest(file: &Path) -> Option<Arc<Manifest>> {
    let file = clean(&absolute(file));
    file.ancestors()
        .skip(1)
        .filter_map(manifest_in)
        .find(|m| m.package().is_some())
}

fn workspace_root(member: &Manifest) -> Option<Arc<Manifest>> {
    if member.is_workspace_root() {
        return manifest_in(member.dir());
    }
    member
        .dir()
        .ancestors()
        .skip(1)
        .filter_map(manifest_in)
        .find(|m| m.is_workspace_root())
}

/// The features a file's package enables on its `tokio` dependency, or `None` when the
/// package does not depend on tokio (or no manifest is found). `[workspace.dependencies]`
/// inheritance is followed.
pub fn tokio_features(file: &Path) -> Option<Vec<String>> {
    let manifest = package_manifest(file)?;
    let dep = manifest.table.get("dependencies")?.get("tokio")?;
    let mut features = Vec::new();
    let strings = |v: Option<&toml::Value>| -> Vec<String> {
        v.and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|f| f.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    if let toml::Value::Table(t) = dep {
        features.extend(strings(t.get("features")));
        if t.get("workspace").and_then(|v| v.as_bool()) == Some(true) {
            let root = workspace_root(&manifest)?;
            let inherited = root
                .table
                .get("workspace")?
                .get("dependencies")?
                .get("tokio")?;
            if let toml::Value::Table(t) = inherited {
                features.extend(strings(t.get("features")));
            }
        }
    }
    Some(features)
}

/// Whether the file's package enables the tokio feature (`full` counts for all).
pub fn has_tokio_feature(file: &Path, feature: &str) -> bool {
    tokio_features(file).is_some_and(|f| f.iter().any(|x| x == feature || x == "full"))
}

fn target(kind: &str, name: String, src_path: &Path, edition: &str) -> CargoTarget {
    let crate_type = if kind == "lib" { "lib" } else { "bin" };
    CargoTarget {
        kind: vec![kind.to_owned()],
        crate_types: vec![crate_type.to_owned()],
        name,
        src_path: src_path.display().to_string(),
        edition: edition.to_owned(),
        doc: kind == "lib" || kind == "bin",
        doctest: kind == "lib",
        test: kind != "custom-build",
    }
}

/// The package id, manifest path and target cargo would print for `file`.
///
/// Outside any cargo package the package is named `unknown` at version `0.0.0` in the file's
/// directory, with a `lib` target whose source is the file itself.
pub fn cargo_context(file: &str) -> CargoContext {
    let path = clean(&absolute(Path::new(file)));
    let Some(manifest) = package_manifest(&path) else {
        let dir = path.parent().unwrap_or(Path::new("/")).to_path_buf();
        return CargoContext {
            package_id: format!("path+file://{}#unknown@0.0.0", dir.display()),
            manifest_path: dir.join("Cargo.toml").display().to_string(),
            target: target("lib", "unknown".to_owned(), &path, "2021"),
        };
    };
    let dir = manifest.dir().to_path_buf();
    let name = manifest
        .package_str("name")
        .unwrap_or_else(|| "unknown".to_owned());
    let version = manifest
        .package_str("version")
        .unwrap_or_else(|| "0.0.0".to_owned());
    let edition = manifest
        .package_str("edition")
        .unwrap_or_else(|| "2015".to_owned());
    let relative = path.strip_prefix(&dir).unwrap_or(&path);
    let parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let stem = |p: &str| p.strip_suffix(".rs").unwrap_or(p).to_owned();
    let named = |kind: &str, folder: &str| -> Option<CargoTarget> {
        let first = parts.get(1)?;
        let src = if parts.len() == 2 {
            dir.join(folder).join(first)
        } else {
            dir.join(folder).join(first).join("main.rs")
        };
        Some(target(kind, stem(first), &src, &edition))
    };
    let found = match parts.first().map(String::as_str) {
        Some("src") if parts.get(1).map(String::as_str) == Some("bin") && parts.len() > 2 => {
            let first = &parts[2];
            let src = if parts.len() == 3 {
                dir.join("src/bin").join(first)
            } else {
                dir.join("src/bin").join(first).join("main.rs")
            };
            Some(target("bin", stem(first), &src, &edition))
        }
        Some("tests") => named("test", "tests"),
        Some("examples") => named("example", "examples"),
        Some("benches") => named("bench", "benches"),
        Some("build.rs") => Some(target(
            "custom-build",
            "build-script-build".to_owned(),
            &dir.join("build.rs"),
            &edition,
        )),
        _ => None,
    };
    let target = found.unwrap_or_else(|| {
        let lib_path = manifest
            .table
            .get("lib")
            .and_then(|l| l.get("path"))
            .and_then(|p| p.as_str())
            .map(|p| dir.join(p))
            .unwrap_or_else(|| dir.join("src/lib.rs"));
        if lib_path.exists() || !dir.join("src/main.rs").exists() {
            target("lib", name.replace('-', "_"), &lib_path, &edition)
        } else {
            target("bin", name.clone(), &dir.join("src/main.rs"), &edition)
        }
    });
    CargoContext {
        package_id: format!("path+file://{}#{name}@{version}", dir.display()),
        manifest_path: manifest.path.display().to_string(),
        target,
    }
}

/// `path` made absolute (against the current directory) with `.` and `..` resolved lexically.
pub fn absolute_clean(path: &Path) -> PathBuf {
    clean(&absolute(path))
}
