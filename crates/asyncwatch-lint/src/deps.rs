//! `--deps`: reading the sources of a crate's dependencies.
//!
//! `cargo metadata` says where every dependency's sources are (it downloads nothing it
//! has not already resolved, and compiles nothing). The libraries that workspace members
//! depend on directly (normal and dev dependencies; build dependencies and proc macros run at
//! compile time, not in the runtime) are read as context crates: their functions get
//! blocking summaries, so async code calling a dependency function that blocks is reported
//! with the chain into the dependency. A registry crate's sources never change for a
//! version, so its facts are cached by name, version and analyzer version; a second run
//! reads the cache instead of parsing the dependency.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde::{Deserialize, Serialize};

use crate::checker::FileFindings;
use crate::crate_model::{Target, Unit};

#[derive(Debug, thiserror::Error)]
pub enum DepsError {
    #[error("cannot run `cargo metadata` for {}: {source}", .manifest.display())]
    Spawn {
        manifest: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`cargo metadata` failed for {}: {stderr}", .manifest.display())]
    Failed { manifest: PathBuf, stderr: String },
    #[error("cannot read `cargo metadata` output for {}: {source}", .manifest.display())]
    Parse {
        manifest: PathBuf,
        #[source]
        source: serde_json::Error,
    },
}

/// A dependency library to read.
#[derive(Debug, Clone)]
pub(crate) struct Dependency {
    pub target: Target,
    /// Set for registry crates, whose sources are immutable: the cache file name.
    pub cache_key: Option<String>,
}

#[derive(Deserialize)]
struct Metadata {
    packages: Vec<Package>,
    workspace_members: Vec<String>,
    resolve: Option<Resolve>,
}

#[derive(Deserialize)]
struct Package {
    id: String,
    manifest_path: PathBuf,
    name: String,
    version: String,
    source: Option<String>,
    targets: Vec<MetadataTarget>,
}

#[derive(Deserialize)]
struct MetadataTarget {
    name: String,
    kind: Vec<String>,
    src_path: PathBuf,
}

#[derive(Deserialize)]
struct Resolve {
    nodes: Vec<Node>,
}

#[derive(Deserialize)]
struct Node {
    id: String,
    #[serde(default)]
    deps: Vec<NodeDep>,
}

#[derive(Deserialize)]
struct NodeDep {
    pkg: String,
    #[serde(default)]
    dep_kinds: Vec<DepKind>,
}

#[derive(Deserialize)]
struct DepKind {
    kind: Option<String>,
}

/// The direct dependencies of the workspace that `manifest` belongs to, and the manifests
/// of that workspace's members (which need no second `cargo metadata`).
pub(crate) fn dependencies(manifest: &Path) -> Result<(Vec<Dependency>, Vec<PathBuf>), DepsError> {
    let output = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args(["metadata", "--format-version", "1", "--manifest-path"])
        .arg(manifest)
        .output()
        .map_err(|source| DepsError::Spawn {
            manifest: manifest.to_path_buf(),
            source,
        })?;
    if !output.status.success() {
        return Err(DepsError::Failed {
            manifest: manifest.to_path_buf(),
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        });
    }
    let metadata: Metadata =
        serde_json::from_slice(&output.stdout).map_err(|source| DepsError::Parse {
            manifest: manifest.to_path_buf(),
            source,
        })?;
    let members = metadata
        .packages
        .iter()
        .filter(|p| metadata.workspace_members.contains(&p.id))
        .map(|p| p.manifest_path.clone())
        .collect();
    Ok((direct_dependencies(&metadata), members))
}

fn direct_dependencies(metadata: &Metadata) -> Vec<Dependency> {
    let Some(resolve) = &metadata.resolve else {
        return Vec::new();
    };
    let mut wanted: Vec<&str> = Vec::new();
    for node in resolve
        .nodes
        .iter()
        .filter(|n| metadata.workspace_members.contains(&n.id))
    {
        for dep in &node.deps {
            let runtime = dep.dep_kinds.is_empty()
                || dep
                    .dep_kinds
                    .iter()
                    .any(|k| k.kind.as_deref() != Some("build"));
            if runtime
                && !metadata.workspace_members.contains(&dep.pkg)
                && !wanted.contains(&dep.pkg.as_str())
            {
                wanted.push(&dep.pkg);
            }
        }
    }
    let mut out = Vec::new();
    for package in metadata
        .packages
        .iter()
        .filter(|p| wanted.contains(&p.id.as_str()))
    {
        let Some(lib) = package
            .targets
            .iter()
            .find(|t| t.kind.iter().any(|k| k == "lib" || k == "rlib"))
        else {
            continue;
        };
        let registry = package
            .source
            .as_deref()
            .is_some_and(|s| s.starts_with("registry+") || s.starts_with("sparse+"));
        out.push(Dependency {
            target: Target {
                crate_name: lib.name.replace('-', "_"),
                root: lib.src_path.clone(),
            },
            cache_key: registry.then(|| format!("{}-{}", package.name, package.version)),
        });
    }
    out.sort_by(|a, b| a.target.crate_name.cmp(&b.target.crate_name));
    out
}

/// What a dependency contributes to summaries: everything but its own findings.
#[derive(Serialize, Deserialize)]
pub(crate) struct CachedFile {
    file: String,
    module: Vec<String>,
    functions: Vec<crate::checker::FnDef>,
    calls: Vec<crate::checker::CallRecord>,
    exports: crate::resolve::ModuleExports,
    wrappers: Vec<String>,
}

#[derive(Serialize, Deserialize)]
struct CachedCrate {
    /// The analyzer version and catalog size the facts were computed with.
    analyzer: String,
    crate_name: String,
    files: Vec<CachedFile>,
}

fn analyzer_stamp() -> String {
    format!(
        "{}+{}",
        env!("CARGO_PKG_VERSION"),
        crate::rules::all().count()
    )
}

/// Where cached dependency facts live: `$ASYNCWATCH_CACHE_DIR`, else the platform cache
/// directory (`$XDG_CACHE_HOME` or `~/.cache`) under `asyncwatch/deps`.
pub(crate) fn cache_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("ASYNCWATCH_CACHE_DIR") {
        return Some(PathBuf::from(dir).join("deps"));
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))?;
    Some(base.join("asyncwatch").join("deps"))
}

/// The cached facts of a dependency, if a cache entry for exactly this version and analyzer
/// exists. A damaged entry counts as a miss.
pub(crate) fn load(key: &str) -> Option<Vec<(FileFindings, Unit)>> {
    let path = cache_dir()?.join(format!("{key}.json"));
    let cached: CachedCrate = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
    if cached.analyzer != analyzer_stamp() {
        return None;
    }
    Some(
        cached
            .files
            .into_iter()
            .map(|file| {
                let unit = Unit {
                    crate_name: cached.crate_name.clone(),
                    module: file.module,
                    report: false,
                };
                let findings = FileFindings {
                    file: file.file,
                    pending: Vec::new(),
                    wrappers: file.wrappers.into_iter().collect(),
                    functions: file.functions,
                    calls: file.calls,
                    exports: file.exports,
                    packed: None,
                };
                (findings, unit)
            })
            .collect(),
    )
}

/// Stores a dependency's facts. Failing to write the cache only costs time next run, so
/// errors are ignored.
pub(crate) fn store(key: &str, crate_name: &str, files: &[&(FileFindings, Unit)]) {
    let Some(dir) = cache_dir() else { return };
    let cached = CachedCrate {
        analyzer: analyzer_stamp(),
        crate_name: crate_name.to_owned(),
        files: files
            .iter()
            .map(|(findings, unit)| CachedFile {
                file: findings.file.clone(),
                module: unit.module.clone(),
                functions: findings.functions.clone(),
                calls: findings.calls.clone(),
                exports: findings.exports.clone(),
                wrappers: findings.wrappers.iter().cloned().collect(),
            })
            .collect(),
    };
    let Ok(text) = serde_json::to_vec(&cached) else {
        return;
    };
    if std::fs::create_dir_all(&dir).is_err() {
        return;
    }
    // Written beside and renamed, so a concurrent run never reads half a file.
    let temporary = dir.join(format!("{key}.json.{}", std::process::id()));
    if std::fs::write(&temporary, text).is_ok() {
        let _ = std::fs::rename(&temporary, dir.join(format!("{key}.json")));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_direct_runtime_dependencies_of_workspace_members() {
        let metadata: Metadata = serde_json::from_value(serde_json::json!({
            "workspace_members": ["app 0.1.0 (path+file:///w/app)"],
            "packages": [
                {"id": "app 0.1.0 (path+file:///w/app)", "manifest_path": "/w/app/Cargo.toml", "name": "app", "version": "0.1.0", "source": null,
                 "targets": [{"name": "app", "kind": ["bin"], "src_path": "/w/app/src/main.rs"}]},
                {"id": "lib-a 1.2.0 (registry+https://github.com/rust-lang/crates.io-index)", "manifest_path": "/r/x/Cargo.toml", "name": "lib-a", "version": "1.2.0",
                 "source": "registry+https://github.com/rust-lang/crates.io-index",
                 "targets": [{"name": "lib-a", "kind": ["lib"], "src_path": "/r/lib-a/src/lib.rs"}]},
                {"id": "gen 0.1.0 (registry+x)", "manifest_path": "/r/x/Cargo.toml", "name": "gen", "version": "0.1.0", "source": "registry+x",
                 "targets": [{"name": "gen", "kind": ["lib"], "src_path": "/r/gen/src/lib.rs"}]},
                {"id": "deep 0.1.0 (registry+x)", "manifest_path": "/r/x/Cargo.toml", "name": "deep", "version": "0.1.0", "source": "registry+x",
                 "targets": [{"name": "deep", "kind": ["lib"], "src_path": "/r/deep/src/lib.rs"}]}
            ],
            "resolve": {"nodes": [
                {"id": "app 0.1.0 (path+file:///w/app)", "deps": [
                    {"pkg": "lib-a 1.2.0 (registry+https://github.com/rust-lang/crates.io-index)", "dep_kinds": [{"kind": null}]},
                    {"pkg": "gen 0.1.0 (registry+x)", "dep_kinds": [{"kind": "build"}]}
                ]},
                {"id": "lib-a 1.2.0 (registry+https://github.com/rust-lang/crates.io-index)", "deps": [
                    {"pkg": "deep 0.1.0 (registry+x)", "dep_kinds": [{"kind": null}]}
                ]}
            ]}
        }))
        .expect("metadata shape");
        let deps = direct_dependencies(&metadata);
        assert_eq!(
            deps.len(),
            1,
            "only lib-a: gen is a build dependency, deep is not direct"
        );
        assert_eq!(deps[0].target.crate_name, "lib_a");
        assert_eq!(deps[0].cache_key.as_deref(), Some("lib-a-1.2.0"));
    }
}
