use crate::catalog::{Blocking, Target};
use crate::rule::declare_rule;

declare_rule! {
    /// ## What it does
    /// Finds calls that wait for another thread in async code: `recv` on `std::sync::mpsc`,
    /// `crossbeam_channel` and `flume` receivers (and iterating over them), `send` on a full
    /// `std::sync::mpsc::SyncSender`, `Condvar::wait`, `Barrier::wait`, `JoinHandle::join`,
    /// `std::thread::park`, and reads from `std::io::stdin()`.
    ///
    /// ## Why is this bad?
    /// The call returns when some other thread acts, which may be much later or never. The
    /// worker thread waits the whole time; if the thread being waited for needs the runtime to
    /// make progress, the program deadlocks.
    ///
    /// ## Example
    /// ```rust,ignore
    /// async fn next_job(rx: &std::sync::mpsc::Receiver<u32>) -> Option<u32> {
    ///     rx.recv().ok()
    /// }
    /// ```
    ///
    /// ## Use instead
    /// ```rust,ignore
    /// async fn next_job(rx: &mut tokio::sync::mpsc::Receiver<u32>) -> Option<u32> {
    ///     rx.recv().await
    /// }
    /// ```
    pub static BLOCKING_WAIT = {
        name: "blocking-wait",
        severity: Warning,
        default: enabled,
        summary: "waiting on a channel, condition variable, barrier, thread or stdin in async code",
    }
}

const WHY: &str = "it waits on the worker thread until another thread acts";
const CHANNEL: &str =
    "use `tokio::sync::mpsc` (or `flume`'s `recv_async`) and `.await` the receive";
const CONDVAR: &str = "use `tokio::sync::Notify` and `notified().await`";
const BARRIER: &str = "use `tokio::sync::Barrier` and `wait().await`";
const JOIN: &str = "spawn with `tokio::task::spawn_blocking` and `.await` its `JoinHandle`";
const STDIN: &str = "use `tokio::io::stdin()` with `tokio::io::AsyncBufReadExt`";
const PARK: &str = "wait on a `tokio::sync::Notify` or a channel instead";

const fn on(ty: &'static str, method: &'static str, instead: &'static str) -> Blocking {
    Blocking::method(ty, method, WHY, instead)
}

pub(crate) const CATALOG: &[&[Blocking]] = &[&[
    on("std::sync::mpsc::Receiver", "recv", CHANNEL),
    on("std::sync::mpsc::Receiver", "recv_timeout", CHANNEL),
    on("std::sync::mpsc::Receiver", "recv_deadline", CHANNEL),
    on("std::sync::mpsc::Receiver", "iter", CHANNEL),
    on("std::sync::mpsc::SyncSender", "send", CHANNEL),
    on("crossbeam_channel::Receiver", "recv", CHANNEL),
    on("crossbeam_channel::Receiver", "recv_timeout", CHANNEL),
    on("crossbeam_channel::Receiver", "recv_deadline", CHANNEL),
    on("crossbeam_channel::Receiver", "iter", CHANNEL),
    on("flume::Receiver", "recv", CHANNEL),
    on("flume::Receiver", "recv_timeout", CHANNEL),
    on("flume::Receiver", "recv_deadline", CHANNEL),
    on("flume::Receiver", "iter", CHANNEL),
    on("std::sync::Condvar", "wait", CONDVAR),
    on("std::sync::Condvar", "wait_while", CONDVAR),
    on("std::sync::Condvar", "wait_timeout", CONDVAR),
    on("std::sync::Condvar", "wait_timeout_while", CONDVAR),
    on("parking_lot::Condvar", "wait", CONDVAR),
    on("parking_lot::Condvar", "wait_for", CONDVAR),
    on("parking_lot::Condvar", "wait_until", CONDVAR),
    on("parking_lot::Condvar", "wait_while", CONDVAR),
    on("std::sync::Barrier", "wait", BARRIER),
    on("crossbeam_utils::sync::WaitGroup", "wait", BARRIER),
    on("std::thread::JoinHandle", "join", JOIN),
    on("std::thread::ScopedJoinHandle", "join", JOIN),
    Blocking::func("std::thread::park", WHY, PARK),
    Blocking::func("std::thread::park_timeout", WHY, PARK),
    on("std::io::Stdin", "read_line", STDIN),
    on("std::io::Stdin", "read_to_string", STDIN),
    on("std::io::Stdin", "read_to_end", STDIN),
    on("std::io::Stdin", "read", STDIN),
    on("std::io::Stdin", "lines", STDIN),
    on("std::io::StdinLock", "read_line", STDIN),
    on("std::io::StdinLock", "read_to_string", STDIN),
    on("std::io::StdinLock", "read_to_end", STDIN),
    on("std::io::StdinLock", "read", STDIN),
    on("std::io::StdinLock", "lines", STDIN),
    // tokio's own bridges for sync code; inside a runtime they panic or block a worker.
    tokio_bridge("blocking_recv", 0),
    tokio_bridge("blocking_send", 1),
    tokio_bridge("blocking_lock", 0),
    tokio_bridge("blocking_read", 0),
    tokio_bridge("blocking_write", 0),
    tokio_bridge("blocking_recv_many", 2),
]];

const TOKIO_BRIDGE_WHY: &str =
    "the `blocking_*` methods of tokio's sync types are for sync code: in async code they panic or block the worker";

const fn tokio_bridge(method: &'static str, args: usize) -> Blocking {
    Blocking {
        target: Target::MethodByName { method, args },
        why: TOKIO_BRIDGE_WHY,
        instead:
            "use the async form with `.await` (`recv().await`, `send(..).await`, `lock().await`)",
    }
}
