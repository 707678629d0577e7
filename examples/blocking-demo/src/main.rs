//! A toy order service. `asyncwatch lint examples/blocking-demo` reports the five marked
//! mistakes and nothing in the correct code below them.

use std::collections::HashMap;
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

#[derive(Default)]
struct Stats {
    orders: u64,
}

#[tokio::main]
async fn main() {
    let stats = Arc::new(Mutex::new(Stats::default()));
    let (audit_tx, audit_rx) = mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in audit_rx {
            println!("audit: {line}");
        }
    });
    for id in 0..3 {
        let stats = Arc::clone(&stats);
        let audit = audit_tx.clone();
        tokio::spawn(async move { handle_order(id, &stats, &audit).await });
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// The request handler: every line marked MISTAKE blocks the runtime's worker thread.
async fn handle_order(id: u64, stats: &Mutex<Stats>, audit: &mpsc::Sender<String>) {
    // MISTAKE: parks the worker thread; use tokio::time::sleep(..).await
    std::thread::sleep(Duration::from_millis(50));

    // MISTAKE: synchronous file I/O; use tokio::fs::read_to_string(..).await
    let prices = std::fs::read_to_string("prices.toml").unwrap_or_default();

    // MISTAKE: a std mutex guard held across the .await below
    let mut guard = stats.lock().unwrap();
    guard.orders += 1;
    notify_shipping(id).await;
    drop(guard);

    // MISTAKE: reqwest's blocking client inside async code
    let quote = reqwest::blocking::get("https://rates.example/eur").and_then(|r| r.text());

    let (done_tx, done_rx) = mpsc::channel::<u64>();
    std::thread::spawn(move || done_tx.send(id).ok());
    // MISTAKE: waiting on a std channel blocks the worker until a message arrives
    let confirmed = done_rx.recv();

    let _ = audit.send(format!("{id}: {} {quote:?} {confirmed:?}", prices.len()));
}

/// The same handler written correctly: nothing here is reported.
async fn handle_order_fixed(id: u64, stats: &Mutex<Stats>, client: &reqwest::Client) {
    tokio::time::sleep(Duration::from_millis(50)).await;
    let prices = tokio::fs::read_to_string("prices.toml").await.unwrap_or_default();
    {
        // Scoped: the guard is dropped before the .await.
        let mut guard = stats.lock().unwrap();
        guard.orders += 1;
    }
    notify_shipping(id).await;
    let quote = match client.get("https://rates.example/eur").send().await {
        Ok(response) => response.text().await.ok(),
        Err(_) => None,
    };
    // Blocking work belongs on the blocking pool.
    let checksum = tokio::task::spawn_blocking(move || {
        let report = std::fs::read("report.csv").unwrap_or_default();
        report.iter().map(|b| u64::from(*b)).sum::<u64>()
    })
    .await
    .unwrap_or(0);
    let (done_tx, mut done_rx) = tokio::sync::mpsc::channel::<u64>(1);
    tokio::spawn(async move { done_tx.send(id).await.ok() });
    let confirmed = done_rx.recv().await;
    let mut cache: HashMap<u64, usize> = HashMap::new();
    cache.insert(id, prices.len());
    println!("{id}: {quote:?} {checksum} {confirmed:?} {}", cache.len());
}

async fn notify_shipping(id: u64) {
    tokio::time::sleep(Duration::from_millis(id)).await;
}

/// Synchronous code may block: it is not run on the async runtime.
#[allow(dead_code)]
fn load_config_sync() -> String {
    std::fs::read_to_string("config.toml").unwrap_or_default()
}
