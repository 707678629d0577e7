//! Every rule, registered in one table and grouped by family. A rule's code, docs, catalog
//! entries and fixture are all found from its file name: `rules/blocking_sleep.rs`,
//! `fixtures/lint/blocking_sleep.rs`, `docs/rules/blocking-sleep.md`.

use crate::catalog::Blocking;
use crate::rule::Rule;

pub mod blocking_db_client;
pub mod blocking_fs;
pub mod blocking_http_client;
pub mod blocking_net;
pub mod blocking_process;
pub mod blocking_sleep;
pub mod blocking_wait;
pub mod cpu_heavy_hash;
pub mod custom_blocking;
pub mod guard_across_await;
pub mod nested_block_on;
pub mod std_mutex_lock;
pub mod unused_suppression;

/// The registry: every rule with the catalog entries it reports. Order is the order of
/// `asyncwatch rules` and of the generated docs index.
const REGISTRY: &[(&Rule, &[&[Blocking]])] = &[
    (&blocking_sleep::BLOCKING_SLEEP, blocking_sleep::CATALOG),
    (&blocking_fs::BLOCKING_FS, blocking_fs::CATALOG),
    (&blocking_net::BLOCKING_NET, blocking_net::CATALOG),
    (
        &blocking_process::BLOCKING_PROCESS,
        blocking_process::CATALOG,
    ),
    (
        &blocking_http_client::BLOCKING_HTTP_CLIENT,
        blocking_http_client::CATALOG,
    ),
    (
        &blocking_db_client::BLOCKING_DB_CLIENT,
        blocking_db_client::CATALOG,
    ),
    (&blocking_wait::BLOCKING_WAIT, blocking_wait::CATALOG),
    (&nested_block_on::NESTED_BLOCK_ON, nested_block_on::CATALOG),
    (&cpu_heavy_hash::CPU_HEAVY_HASH, cpu_heavy_hash::CATALOG),
    (
        &guard_across_await::GUARD_ACROSS_AWAIT,
        guard_across_await::CATALOG,
    ),
    (&std_mutex_lock::STD_MUTEX_LOCK, std_mutex_lock::CATALOG),
    (&custom_blocking::CUSTOM_BLOCKING, custom_blocking::CATALOG),
    (
        &unused_suppression::UNUSED_SUPPRESSION,
        unused_suppression::CATALOG,
    ),
];

/// All rules, in registry order.
pub fn all() -> impl Iterator<Item = &'static Rule> {
    REGISTRY.iter().map(|(rule, _)| *rule)
}

/// Looks a rule up by its kebab-case name.
pub fn by_name(name: &str) -> Option<&'static Rule> {
    all().find(|rule| rule.name == name)
}

/// Each rule with its catalog entries, flattened.
pub(crate) fn families() -> impl Iterator<Item = (&'static Rule, &'static Blocking)> {
    REGISTRY.iter().flat_map(|(rule, groups)| {
        groups
            .iter()
            .flat_map(move |group| group.iter().map(move |entry| (*rule, entry)))
    })
}
