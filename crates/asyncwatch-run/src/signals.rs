//! SIGINT and SIGTERM while the command runs: received on a thread of their own, passed on to
//! the command when the command could not have received them already, and finally re-raised
//! so that whoever started `asyncwatch run` sees it end by that signal.

use std::os::unix::process::CommandExt;
use std::process::Command;
use std::sync::mpsc::SyncSender;

/// A SIGINT or SIGTERM that reached asyncwatch.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Received {
    pub signal: i32,
    /// The process that sent it with `kill`/`sigqueue`; `None` when the kernel generated it,
    /// as the terminal does for Ctrl-C: then it went to the whole foreground process group,
    /// which the command shares with asyncwatch, so the command has it already.
    pub sender: Option<i32>,
}

/// The signal mask asyncwatch had before [`receive`] blocked SIGINT and SIGTERM.
pub(crate) struct Blocked {
    previous: libc::sigset_t,
}

impl Blocked {
    /// Starts `command` with the signal mask asyncwatch was started with: a mask is inherited
    /// through exec, and a command with SIGTERM still blocked would ignore it.
    pub(crate) fn restore_in(&self, command: &mut Command) {
        let previous = self.previous;
        // SAFETY: the closure runs between fork and exec, where only async-signal-safe calls
        // are allowed: pthread_sigmask is one, and nothing is allocated.
        unsafe {
            command.pre_exec(move || {
                match libc::pthread_sigmask(libc::SIG_SETMASK, &previous, std::ptr::null_mut()) {
                    0 => Ok(()),
                    error => Err(std::io::Error::from_raw_os_error(error)),
                }
            });
        }
    }
}

/// Blocks SIGINT and SIGTERM in the calling thread, and so in every thread it starts from now
/// on, and receives them on a thread of its own, which hands them to `deliver`.
///
/// Call it before any other thread of the process is started: a thread that still has them
/// unblocked would take them with their default action and end the process without a
/// report. Start commands through [`Blocked::restore_in`].
pub(crate) fn receive<M: Send + 'static>(
    deliver: SyncSender<M>,
    wrap: fn(Received) -> M,
) -> std::io::Result<Blocked> {
    let set = termination_signals();
    // SAFETY: sigset_t is plain data; pthread_sigmask fills it in.
    let mut previous: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: `set` is an initialised signal set and `previous` is valid for writing.
    let blocked = unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &set, &mut previous) };
    if blocked != 0 {
        return Err(std::io::Error::from_raw_os_error(blocked));
    }
    std::thread::Builder::new()
        .name("asyncwatch-signals".to_owned())
        .spawn(move || loop {
            // SAFETY: siginfo_t is plain data, valid when zeroed.
            let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
            // SAFETY: both pointers are valid for the call.
            let signal = unsafe { libc::sigwaitinfo(&set, &mut info) };
            if signal < 0 {
                continue; // EINTR: only a signal outside `set` can interrupt the wait.
            }
            // si_code <= 0: sent by a process (SI_USER from kill, SI_QUEUE, SI_TKILL); the
            // terminal's signals are SI_KERNEL.
            let sender = (info.si_code <= 0)
                // SAFETY: si_pid is set for signals sent by a process.
                .then(|| unsafe { info.si_pid() });
            if deliver.send(wrap(Received { signal, sender })).is_err() {
                return;
            }
        })?;
    Ok(Blocked { previous })
}

/// SIGINT and SIGTERM, less any that asyncwatch was started ignoring: a shell starts
/// background jobs with SIGINT ignored, and that choice is kept (the command inherits it).
fn termination_signals() -> libc::sigset_t {
    // SAFETY: sigset_t is plain data; sigemptyset initialises it before it is used.
    let mut set: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: `set` is a valid signal set and the signals are valid.
    unsafe { libc::sigemptyset(&mut set) };
    for signal in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: sigaction is plain data; a null new action only reads the current one.
        let mut current: libc::sigaction = unsafe { std::mem::zeroed() };
        let read = unsafe { libc::sigaction(signal, std::ptr::null(), &mut current) };
        if read == 0 && current.sa_sigaction == libc::SIG_IGN {
            continue;
        }
        // SAFETY: `set` is a valid signal set and the signal is valid.
        unsafe { libc::sigaddset(&mut set, signal) };
    }
    set
}

/// Sends `signal` to `pid`. The command is only reaped after asyncwatch stops forwarding to
/// it (see `collector::wait_without_reaping`), so `pid` cannot be another process by then.
pub(crate) fn forward(pid: u32, signal: i32) -> std::io::Result<()> {
    let pid = libc::pid_t::try_from(pid).map_err(|_| std::io::ErrorKind::InvalidInput)?;
    // SAFETY: kill has no memory preconditions.
    if unsafe { libc::kill(pid, signal) } == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Ends the process by `signal` with its default action, as a shell does after its
/// foreground job was interrupted: the caller then sees a death by that signal (a shell shows
/// status 128+N), and a calling shell script stops too, which it would not if asyncwatch
/// merely exited with 128+N (it would take the interrupt as handled). Exits with 128+N if the
/// signal somehow does not end the process.
pub fn exit_by_signal(signal: i32) -> ! {
    use std::io::Write;
    // Dying by a signal skips Rust's exit path, and with it any buffered output.
    let _ = std::io::stdout().flush();
    // SAFETY: sigset_t is plain data; sigemptyset initialises it before it is used.
    let mut set: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: resetting a signal's disposition and unblocking it in this thread; the raised
    // signal is directed at this thread, so the receiving thread cannot take it first.
    unsafe {
        libc::signal(signal, libc::SIG_DFL);
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, signal);
        libc::raise(signal);
        libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
    }
    std::process::exit(128 + signal)
}

/// The usual name of a Linux signal number.
pub fn signal_name(signal: i32) -> String {
    const NAMES: [&str; 31] = [
        "SIGHUP",
        "SIGINT",
        "SIGQUIT",
        "SIGILL",
        "SIGTRAP",
        "SIGABRT",
        "SIGBUS",
        "SIGFPE",
        "SIGKILL",
        "SIGUSR1",
        "SIGSEGV",
        "SIGUSR2",
        "SIGPIPE",
        "SIGALRM",
        "SIGTERM",
        "SIGSTKFLT",
        "SIGCHLD",
        "SIGCONT",
        "SIGSTOP",
        "SIGTSTP",
        "SIGTTIN",
        "SIGTTOU",
        "SIGURG",
        "SIGXCPU",
        "SIGXFSZ",
        "SIGVTALRM",
        "SIGPROF",
        "SIGWINCH",
        "SIGIO",
        "SIGPWR",
        "SIGSYS",
    ];
    usize::try_from(signal - 1)
        .ok()
        .and_then(|index| NAMES.get(index))
        .map_or_else(|| format!("SIG{signal}"), |name| (*name).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signal_numbers_have_their_linux_names() {
        assert_eq!(signal_name(libc::SIGKILL), "SIGKILL");
        assert_eq!(signal_name(libc::SIGSEGV), "SIGSEGV");
        assert_eq!(signal_name(libc::SIGABRT), "SIGABRT");
        assert_eq!(signal_name(libc::SIGTERM), "SIGTERM");
        assert_eq!(signal_name(libc::SIGSYS), "SIGSYS");
        assert_eq!(signal_name(40), "SIG40");
    }
}
