//! The poll clock. Poll hooks run on every task poll, so reading the time must cost as little
//! as possible: where the kernel itself trusts the TSC (it is the clocksource) we read it
//! directly, which skips the vDSO's sequence lock and conversion; elsewhere `Instant`. Cheaper
//! still, precise mode with a threshold of 4 ms or more reads no clock per poll: a poll is
//! stamped with its number ([`Sequence`]) and the watchdog times it from the scan that first
//! sees it running.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

static USE_TSC: AtomicBool = AtomicBool::new(false);
static EPOCH: OnceLock<Instant> = OnceLock::new();
/// Nanoseconds per tick as f64 bits; 1.0 for the `Instant` clock.
static NANOS_PER_TICK: AtomicU64 = AtomicU64::new(0x3ff0_0000_0000_0000);

pub(crate) fn init() {
    let epoch = *EPOCH.get_or_init(Instant::now);
    if !tsc_is_trusted() {
        return;
    }
    #[cfg(target_arch = "x86_64")]
    {
        // A short calibration against `Instant` is enough: over 2 ms the error of either
        // clock is far below the millisecond thresholds that durations are compared to.
        let t0 = read_tsc();
        let i0 = epoch.elapsed();
        let wait = Duration::from_millis(2);
        while epoch.elapsed() - i0 < wait {
            std::hint::spin_loop();
        }
        let t1 = read_tsc();
        let i1 = epoch.elapsed();
        let ticks = t1.wrapping_sub(t0);
        if ticks == 0 {
            return;
        }
        let per_tick = (i1 - i0).as_nanos() as f64 / ticks as f64;
        NANOS_PER_TICK.store(per_tick.to_bits(), Relaxed);
        USE_TSC.store(true, Relaxed);
    }
}

fn tsc_is_trusted() -> bool {
    if !cfg!(target_arch = "x86_64") || std::env::var_os("ASYNCWATCH_NO_TSC").is_some() {
        return false;
    }
    std::fs::read_to_string("/sys/devices/system/clocksource/clocksource0/current_clocksource")
        .map(|source| source.trim() == "tsc")
        .unwrap_or(false)
}

#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn read_tsc() -> u64 {
    // SAFETY: `rdtsc` is available on every x86_64 CPU and has no memory effects.
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// Current time in ticks; never 0, which marks "no poll running".
#[inline(always)]
pub(crate) fn now() -> u64 {
    if uses_tsc() {
        Tsc::stamp(0)
    } else {
        Monotonic::stamp(0)
    }
}

/// Whether `now` reads the TSC; fixed once `init` has run.
pub(crate) fn uses_tsc() -> bool {
    cfg!(target_arch = "x86_64") && USE_TSC.load(Relaxed)
}

/// Marks a poll stamp as a sequence number rather than a time: no clock tick count gets there
/// (the TSC would need centuries, `Instant` nanoseconds since `init` even longer).
pub(crate) const SEQUENCE_TAG: u64 = 1 << 63;

/// Whether `stamp` is a poll number (the watchdog times the poll from when it first sees
/// it) rather than the poll's start in clock ticks.
pub(crate) fn is_sequence(stamp: u64) -> bool {
    stamp & SEQUENCE_TAG != 0
}

/// How a poll start is stamped, chosen once when the hooks are installed, so the per-poll
/// stamp has no branch.
pub(crate) trait Clock {
    /// The stamp of the slot's poll number `poll` (never 0): a time in ticks, or the number.
    fn stamp(poll: u64) -> u64;
}

/// No clock read at all: the poll's number, tagged. The watchdog notes when it first sees
/// each number, so a poll is timed to within one scan interval.
#[cfg_attr(not(tokio_unstable), allow(dead_code))]
pub(crate) struct Sequence;

impl Clock for Sequence {
    #[inline(always)]
    fn stamp(poll: u64) -> u64 {
        poll | SEQUENCE_TAG
    }
}

/// The TSC; only used after `init` found it trusted (its ticks are then the shared unit).
pub(crate) struct Tsc;

impl Clock for Tsc {
    #[inline(always)]
    fn stamp(_: u64) -> u64 {
        #[cfg(target_arch = "x86_64")]
        {
            read_tsc() | 1
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            Monotonic::stamp(0)
        }
    }
}

/// Whichever of the two `init` chose, decided on each read.
pub(crate) struct Dynamic;

impl Clock for Dynamic {
    #[inline(always)]
    fn stamp(_: u64) -> u64 {
        now()
    }
}

/// Nanoseconds since the epoch of `init`, through `Instant`.
pub(crate) struct Monotonic;

impl Clock for Monotonic {
    #[inline(always)]
    fn stamp(_: u64) -> u64 {
        match EPOCH.get() {
            Some(epoch) => (epoch.elapsed().as_nanos() as u64) | 1,
            None => 1,
        }
    }
}

pub(crate) fn ticks_to_nanos(ticks: u64) -> u64 {
    (ticks as f64 * f64::from_bits(NANOS_PER_TICK.load(Relaxed))) as u64
}

pub(crate) fn nanos_to_ticks(nanos: u64) -> u64 {
    (nanos as f64 / f64::from_bits(NANOS_PER_TICK.load(Relaxed))) as u64
}
