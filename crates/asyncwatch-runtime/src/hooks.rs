//! The hot path: what runs on every poll (precise mode) or every park/unpark (worker mode).

use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::*};
use std::task::{Context, Poll};

use crate::clock::{self, Clock};
use crate::slots::{self, SlotKind, SlowPoll};

pub(crate) static ENABLED: AtomicBool = AtomicBool::new(false);
pub(crate) static THRESHOLD_TICKS: AtomicU64 = AtomicU64::new(u64::MAX);

/// Per poll: one thread-local read, one load and four stores; in precise mode no clock read
/// (the stamp is the poll's number), elsewhere one (the TSC, or the vDSO behind `Instant`). No
/// lock, no allocation, no syscall.
#[inline(always)]
pub(crate) fn poll_begin<C: Clock>(kind: SlotKind, task: impl FnOnce() -> (u64, usize)) {
    match slots::current_if_registered() {
        Some(slot) => begin_on(slot, C::stamp, task),
        // A tail call: with the task read only after the slot check, the hot path above
        // needs no saved registers.
        None => begin_registering::<C>(kind, task()),
    }
}

#[inline(always)]
fn begin_on(slot: &slots::Slot, stamp: fn(u64) -> u64, task: impl FnOnce() -> (u64, usize)) {
    // Only this thread writes its counters, so a plain load/store avoids a locked instruction.
    // Counted at the start, every poll gets a new number even if an end were ever skipped.
    let poll = slot.polls.load(Relaxed).wrapping_add(1);
    slot.polls.store(poll, Relaxed);
    let (task_id, spawn_location) = task();
    slot.task_id.store(task_id, Relaxed);
    slot.spawn_location.store(spawn_location, Relaxed);
    // Release: the watchdog reads the task fields after seeing this stamp.
    slot.poll_stamp.store(stamp(poll), Release);
}

#[cold]
#[inline(never)]
fn begin_registering<C: Clock>(kind: SlotKind, task: (u64, usize)) {
    begin_on(slots::current(kind), C::stamp, || task);
}

/// Per poll: one thread-local read, one load, one store; the clock is read only for a poll
/// the watchdog marked as long.
#[inline(always)]
pub(crate) fn poll_end(kind: SlotKind) {
    let Some(slot) = slots::current_if_registered() else {
        return;
    };
    // The watchdog scans every quarter threshold (at most) and marks polls it estimates
    // older than three quarters of it, so every poll that reaches the threshold is marked
    // before it ends: the others need no clock read.
    if slot.watched_stamp.load(Relaxed) != 0 {
        return end_marked_poll(slot, kind);
    }
    // Release: a watchdog that sees 0 also sees everything this poll wrote before.
    slot.poll_stamp.store(0, Release);
}

#[cold]
#[inline(never)]
fn end_marked_poll(slot: &slots::Slot, kind: SlotKind) {
    let stamp = slot.poll_stamp.load(Relaxed);
    // Acquire: pairs with the watchdog's Release store, so `watched_since` is the estimate
    // written for this stamp.
    let watched = slot.watched_stamp.load(Acquire);
    // The mark may be left from an earlier poll (or set after that poll ended): clear it. A
    // mark landing between the load above and this store is for a poll that is ending now,
    // the same window as a mark that comes too late.
    slot.watched_stamp.store(0, Relaxed);
    if stamp != 0 && watched == stamp {
        end_watched_poll(slot, kind, stamp, slot.watched_since.load(Relaxed));
    }
    slot.poll_stamp.store(0, Release);
}

/// `since` is the poll's start as the watchdog estimates it: exact for a time stamp; for a
/// sequence stamp, one scan interval before the watchdog first saw the poll, so the duration
/// is rounded up to within one scan interval and never below the estimate that had the
/// poll's stack captured.
#[inline(never)]
fn end_watched_poll(slot: &slots::Slot, kind: SlotKind, stamp: u64, since: u64) {
    let duration = clock::now().wrapping_sub(since);
    if duration > slot.max_poll_ticks.load(Relaxed) {
        slot.max_poll_ticks.store(duration, Relaxed);
    }
    if duration >= THRESHOLD_TICKS.load(Relaxed) {
        record_slow_poll(slot, kind, stamp, duration);
    }
}

#[cold]
#[inline(never)]
fn record_slow_poll(slot: &slots::Slot, kind: SlotKind, stamp: u64, duration_ticks: u64) {
    if kind == SlotKind::Worker && handed_off_by_block_in_place() {
        return;
    }
    slot.push_slow(SlowPoll {
        stamp,
        duration_ticks,
        task_id: slot.task_id.load(Relaxed),
        spawn_location: slot.spawn_location.load(Relaxed),
    });
}

/// `block_in_place` moves the worker role to another thread while this poll goes on blocking;
/// when the poll ends here this thread is no longer the thread of any worker.
#[cfg(tokio_unstable)]
fn handed_off_by_block_in_place() -> bool {
    let Ok(handle) = tokio::runtime::Handle::try_current() else {
        return false;
    };
    if handle.runtime_flavor() != tokio::runtime::RuntimeFlavor::MultiThread {
        return false;
    }
    let metrics = handle.metrics();
    let me = std::thread::current().id();
    !(0..metrics.num_workers()).any(|worker| metrics.worker_thread_id(worker) == Some(me))
}

#[cfg(not(tokio_unstable))]
fn handed_off_by_block_in_place() -> bool {
    false
}

/// `tokio::task::Id` only exposes its number through `Display` and `Hash`; hashing into this
/// hasher reads it without formatting.
#[cfg(tokio_unstable)]
#[inline(always)]
pub(crate) fn task_id_number(id: tokio::task::Id) -> u64 {
    use std::hash::{Hash, Hasher};
    struct Capture(u64);
    impl Hasher for Capture {
        fn finish(&self) -> u64 {
            self.0
        }
        fn write(&mut self, bytes: &[u8]) {
            for byte in bytes {
                self.0 = (self.0 << 8) | u64::from(*byte);
            }
        }
        fn write_u64(&mut self, value: u64) {
            self.0 = value;
        }
    }
    let mut capture = Capture(0);
    id.hash(&mut capture);
    capture.0
}

pub(crate) fn location_address(location: &'static Location<'static>) -> usize {
    location as *const Location<'static> as usize
}

/// Wraps the future given to `block_on` by the attribute macros: it is not a task, so the
/// runtime's poll hooks never see it.
#[doc(hidden)]
#[track_caller]
pub fn watch_block_on<F: Future>(future: F) -> WatchBlockOn<F> {
    WatchBlockOn {
        future,
        location: Location::caller(),
    }
}

#[doc(hidden)]
pub struct WatchBlockOn<F> {
    future: F,
    location: &'static Location<'static>,
}

impl<F: Future> Future for WatchBlockOn<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // SAFETY: `future` is structurally pinned; it is never moved out of `self`.
        let this = unsafe { self.get_unchecked_mut() };
        let location = this.location;
        // SAFETY: see above.
        let future = unsafe { Pin::new_unchecked(&mut this.future) };
        if !ENABLED.load(Relaxed) {
            return future.poll(cx);
        }
        poll_begin::<clock::Dynamic>(SlotKind::BlockOn, || (0, location_address(location)));
        let result = future.poll(cx);
        poll_end(SlotKind::BlockOn);
        result
    }
}
