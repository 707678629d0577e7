//! The per-thread slot table shared by the poll hooks (writers) and the watchdog (reader).
//! Everything the hot path touches is preallocated here, so a poll hook never allocates,
//! locks or makes a syscall.

use std::cell::{Cell, RefCell};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, AtomicUsize, Ordering::*};
use std::sync::Mutex;

pub(crate) const MAX_SLOTS: usize = 128;
pub(crate) const MAX_FRAMES: usize = 96;
const RING: usize = 32;

pub(crate) const CAPTURE_IDLE: u8 = 0;
pub(crate) const CAPTURE_REQUESTED: u8 = 1;
pub(crate) const CAPTURE_RUNNING: u8 = 2;
pub(crate) const CAPTURE_DONE: u8 = 3;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SlotKind {
    /// A runtime worker, timed per task poll (precise mode) or per unpark (worker mode).
    Worker,
    /// A thread driving `block_on` through the attribute macros.
    BlockOn,
}

/// A poll that ended over the threshold, queued for the watchdog.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SlowPoll {
    /// The poll's stamp, as in [`Slot::poll_stamp`]: with the slot, it names the poll.
    pub stamp: u64,
    pub duration_ticks: u64,
    pub task_id: u64,
    pub spawn_location: usize,
}

struct RingEntry {
    stamp: AtomicU64,
    duration: AtomicU64,
    task_id: AtomicU64,
    spawn_location: AtomicUsize,
}

impl RingEntry {
    const fn new() -> Self {
        Self {
            stamp: AtomicU64::new(0),
            duration: AtomicU64::new(0),
            task_id: AtomicU64::new(0),
            spawn_location: AtomicUsize::new(0),
        }
    }
}

/// One thread's slot. `repr(C)` keeps the fields the poll hooks touch together at the start;
/// the 128-byte alignment (two cache lines, as adjacent-line prefetchers pair them) keeps one
/// worker's hot fields off the lines of any other slot.
#[repr(C, align(128))]
pub(crate) struct Slot {
    // Hot: written by the owning thread on every poll.
    /// Stamp of the running poll, 0 when none is running: its number tagged with
    /// [`crate::clock::SEQUENCE_TAG`] (precise mode), or its start in clock ticks.
    pub poll_stamp: AtomicU64,
    pub task_id: AtomicU64,
    pub spawn_location: AtomicUsize,
    /// Polls started on this slot; also the number in a sequence stamp.
    pub polls: AtomicU64,
    /// Set by the watchdog to the stamp of a poll it saw running long; only while it is
    /// non-zero does a poll end take the slow path (and read the clock).
    pub watched_stamp: AtomicU64,
    pub max_poll_ticks: AtomicU64,
    // Cold: the watched poll's start, registration, stack capture, slow-poll queue.
    /// The watchdog's estimate of the start of the poll in `watched_stamp`, in clock ticks;
    /// written before `watched_stamp` (Release), read only by a marked poll's end.
    pub watched_since: AtomicU64,
    pub in_use: AtomicBool,
    pub generation: AtomicU64,
    pub pthread: AtomicUsize,
    pub capture_state: AtomicU8,
    pub capture_len: AtomicUsize,
    pub capture_ips: [AtomicUsize; MAX_FRAMES],
    ring: [RingEntry; RING],
    ring_head: AtomicUsize,
    ring_tail: AtomicUsize,
    pub dropped: AtomicU64,
}

impl Slot {
    const fn new() -> Self {
        Self {
            in_use: AtomicBool::new(false),
            generation: AtomicU64::new(0),
            pthread: AtomicUsize::new(0),
            poll_stamp: AtomicU64::new(0),
            task_id: AtomicU64::new(0),
            spawn_location: AtomicUsize::new(0),
            watched_stamp: AtomicU64::new(0),
            watched_since: AtomicU64::new(0),
            polls: AtomicU64::new(0),
            max_poll_ticks: AtomicU64::new(0),
            capture_state: AtomicU8::new(CAPTURE_IDLE),
            capture_len: AtomicUsize::new(0),
            capture_ips: [const { AtomicUsize::new(0) }; MAX_FRAMES],
            ring: [const { RingEntry::new() }; RING],
            ring_head: AtomicUsize::new(0),
            ring_tail: AtomicUsize::new(0),
            dropped: AtomicU64::new(0),
        }
    }

    /// Single producer: only the thread owning the slot pushes.
    pub(crate) fn push_slow(&self, poll: SlowPoll) {
        let head = self.ring_head.load(Relaxed);
        let tail = self.ring_tail.load(Acquire);
        if head.wrapping_sub(tail) >= RING {
            self.dropped.fetch_add(1, Relaxed);
            return;
        }
        let entry = &self.ring[head % RING];
        entry.stamp.store(poll.stamp, Relaxed);
        entry.duration.store(poll.duration_ticks, Relaxed);
        entry.task_id.store(poll.task_id, Relaxed);
        entry.spawn_location.store(poll.spawn_location, Relaxed);
        self.ring_head.store(head.wrapping_add(1), Release);
    }

    /// Single consumer: only the watchdog (under its state lock) pops.
    pub(crate) fn pop_slow(&self) -> Option<SlowPoll> {
        let tail = self.ring_tail.load(Relaxed);
        let head = self.ring_head.load(Acquire);
        if tail == head {
            return None;
        }
        let entry = &self.ring[tail % RING];
        let poll = SlowPoll {
            stamp: entry.stamp.load(Relaxed),
            duration_ticks: entry.duration.load(Relaxed),
            task_id: entry.task_id.load(Relaxed),
            spawn_location: entry.spawn_location.load(Relaxed),
        };
        self.ring_tail.store(tail.wrapping_add(1), Release);
        Some(poll)
    }
}

pub(crate) static SLOTS: [Slot; MAX_SLOTS] = [const { Slot::new() }; MAX_SLOTS];
/// Where threads that found the table full write, so their hooks need no extra branch.
pub(crate) static OVERFLOW_SLOT: Slot = Slot::new();
pub(crate) static UNTRACKED_THREADS: AtomicU64 = AtomicU64::new(0);

/// Described off the hot path at registration, read by the watchdog for reports.
#[derive(Clone, Debug)]
pub(crate) struct ThreadInfo {
    pub name: String,
    pub tid: i64,
    pub kind: SlotKind,
}

pub(crate) static THREAD_INFO: Mutex<Vec<Option<ThreadInfo>>> = Mutex::new(Vec::new());
/// Held while signalling a slot's thread and while releasing a slot, so the watchdog never
/// signals a thread that has already left.
pub(crate) static SIGNAL_LOCK: Mutex<()> = Mutex::new(());

thread_local! {
    static CURRENT: Cell<*const Slot> = const { Cell::new(std::ptr::null()) };
    static GUARD: RefCell<Option<SlotGuard>> = const { RefCell::new(None) };
}

struct SlotGuard(usize);

impl Drop for SlotGuard {
    fn drop(&mut self) {
        let _ = CURRENT.try_with(|current| current.set(std::ptr::null()));
        let slot = &SLOTS[self.0];
        let _signal = SIGNAL_LOCK.lock();
        slot.poll_stamp.store(0, Release);
        slot.in_use.store(false, Release);
    }
}

/// The calling thread's slot, registering it on first use.
#[inline(always)]
pub(crate) fn current(kind: SlotKind) -> &'static Slot {
    let slot = CURRENT.with(Cell::get);
    if slot.is_null() {
        return register(kind);
    }
    // SAFETY: CURRENT only ever holds pointers into the statics above.
    unsafe { &*slot }
}

/// The calling thread's slot if it has one; safe to call from a signal handler because the
/// thread local is const-initialised and has no destructor.
#[inline(always)]
pub(crate) fn current_if_registered() -> Option<&'static Slot> {
    let slot = CURRENT.try_with(Cell::get).ok()?;
    // SAFETY: CURRENT only ever holds pointers into the statics above.
    (!slot.is_null()).then(|| unsafe { &*slot })
}

#[cold]
#[inline(never)]
fn register(kind: SlotKind) -> &'static Slot {
    let Some(index) = SLOTS.iter().position(|slot| {
        slot.in_use
            .compare_exchange(false, true, AcqRel, Relaxed)
            .is_ok()
    }) else {
        UNTRACKED_THREADS.fetch_add(1, Relaxed);
        CURRENT.with(|current| current.set(&OVERFLOW_SLOT));
        return &OVERFLOW_SLOT;
    };
    let slot = &SLOTS[index];
    slot.generation.fetch_add(1, AcqRel);
    slot.poll_stamp.store(0, Relaxed);
    slot.watched_stamp.store(0, Relaxed);
    slot.capture_state.store(CAPTURE_IDLE, Relaxed);
    // SAFETY: pthread_self and gettid have no preconditions.
    let (pthread, tid) = unsafe { (libc::pthread_self(), libc::syscall(libc::SYS_gettid)) };
    slot.pthread.store(pthread as usize, Release);
    let name = std::thread::current()
        .name()
        .unwrap_or("unnamed")
        .to_owned();
    if let Ok(mut infos) = THREAD_INFO.lock() {
        if infos.len() < MAX_SLOTS {
            infos.resize(MAX_SLOTS, None);
        }
        infos[index] = Some(ThreadInfo { name, tid, kind });
    }
    CURRENT.with(|current| current.set(slot));
    let _ = GUARD.try_with(|guard| *guard.borrow_mut() = Some(SlotGuard(index)));
    slot
}
