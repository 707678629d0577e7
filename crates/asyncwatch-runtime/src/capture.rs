//! Stack capture of a blocked worker: the watchdog signals the thread, whose handler walks its
//! own stack into the slot's preallocated buffer. Symbols are resolved later by the watchdog.

use std::sync::atomic::Ordering::*;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::slots::{self, Slot, CAPTURE_DONE, CAPTURE_IDLE, CAPTURE_REQUESTED, CAPTURE_RUNNING};

/// SIGURG is ignored by default, so a stray one can never kill the process.
const CAPTURE_SIGNAL: libc::c_int = libc::SIGURG;

static PREVIOUS_ACTION: OnceLock<libc::sigaction> = OnceLock::new();

pub(crate) fn install_handler() -> bool {
    let installed = PREVIOUS_ACTION.get_or_init(|| {
        // SAFETY: sigaction is called with valid, fully initialised structs.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = capture_signal_handler as *const () as usize;
            action.sa_flags = libc::SA_SIGINFO | libc::SA_RESTART | libc::SA_ONSTACK;
            libc::sigemptyset(&mut action.sa_mask);
            let mut previous: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(CAPTURE_SIGNAL, &action, &mut previous) != 0 {
                previous.sa_sigaction = usize::MAX;
            }
            previous
        }
    });
    installed.sa_sigaction != usize::MAX
}

extern "C" fn capture_signal_handler(
    signal: libc::c_int,
    info: *mut libc::siginfo_t,
    context: *mut libc::c_void,
) {
    // SAFETY: errno is thread-local; saving and restoring it keeps the interrupted code intact.
    let saved_errno = unsafe { *libc::__errno_location() };
    let ours = match slots::current_if_registered() {
        Some(slot) => {
            let claimed = slot
                .capture_state
                .compare_exchange(CAPTURE_REQUESTED, CAPTURE_RUNNING, Acquire, Relaxed)
                .is_ok();
            if claimed {
                walk_stack_into(slot);
            }
            claimed
        }
        None => false,
    };
    if !ours {
        chain_to_previous(signal, info, context);
    }
    // SAFETY: as above.
    unsafe { *libc::__errno_location() = saved_errno };
}

#[inline(never)]
fn walk_stack_into(slot: &Slot) {
    let mut count = 0;
    // SAFETY: the unsynchronized walk takes no lock and does not allocate; only this handler
    // writes the buffer while the state is CAPTURE_RUNNING.
    unsafe {
        backtrace::trace_unsynchronized(|frame| {
            slot.capture_ips[count].store(frame.ip() as usize, Relaxed);
            count += 1;
            count < slot.capture_ips.len()
        });
    }
    slot.capture_len.store(count, Relaxed);
    slot.capture_state.store(CAPTURE_DONE, Release);
}

fn chain_to_previous(signal: libc::c_int, info: *mut libc::siginfo_t, context: *mut libc::c_void) {
    let Some(previous) = PREVIOUS_ACTION.get() else {
        return;
    };
    let handler = previous.sa_sigaction;
    if handler == libc::SIG_DFL || handler == libc::SIG_IGN || handler == usize::MAX {
        return;
    }
    // SAFETY: the previous handler was installed for this signal with these flags.
    unsafe {
        if previous.sa_flags & libc::SA_SIGINFO != 0 {
            let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                std::mem::transmute(handler);
            f(signal, info, context);
        } else {
            let f: extern "C" fn(libc::c_int) = std::mem::transmute(handler);
            f(signal);
        }
    }
}

/// Captures the instruction pointers of the thread owning `slot` while it is blocked.
pub(crate) fn capture(slot: &Slot) -> Option<Vec<usize>> {
    if slot
        .capture_state
        .compare_exchange(CAPTURE_IDLE, CAPTURE_REQUESTED, AcqRel, Relaxed)
        .is_err()
    {
        slot.capture_state.store(CAPTURE_IDLE, Release);
        return None;
    }
    {
        let _signal = slots::SIGNAL_LOCK.lock().ok()?;
        if !slot.in_use.load(Acquire) {
            slot.capture_state.store(CAPTURE_IDLE, Release);
            return None;
        }
        let pthread = slot.pthread.load(Acquire) as libc::pthread_t;
        // SAFETY: the slot is in use, so its thread has not run its exit path yet (that path
        // takes SIGNAL_LOCK before releasing the slot).
        if unsafe { libc::pthread_kill(pthread, CAPTURE_SIGNAL) } != 0 {
            slot.capture_state.store(CAPTURE_IDLE, Release);
            return None;
        }
    }
    let deadline = Instant::now() + Duration::from_millis(200);
    loop {
        match slot.capture_state.load(Acquire) {
            CAPTURE_DONE => break,
            CAPTURE_REQUESTED if Instant::now() > deadline => {
                if slot
                    .capture_state
                    .compare_exchange(CAPTURE_REQUESTED, CAPTURE_IDLE, AcqRel, Relaxed)
                    .is_ok()
                {
                    return None;
                }
            }
            // A handler that never finishes leaves the slot marked busy so it is never
            // signalled again, rather than stalling the watchdog.
            _ if Instant::now() > deadline + Duration::from_secs(2) => return None,
            _ => std::thread::sleep(Duration::from_micros(100)),
        }
    }
    let len = slot.capture_len.load(Relaxed).min(slot.capture_ips.len());
    let ips = slot.capture_ips[..len]
        .iter()
        .map(|ip| ip.load(Relaxed))
        .collect();
    slot.capture_state.store(CAPTURE_IDLE, Release);
    Some(ips)
}
