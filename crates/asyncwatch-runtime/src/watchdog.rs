//! Two background threads. The watchdog scans the slots, captures the stacks of polls still
//! running past the threshold and queues finished slow polls; it never waits on anything slow,
//! so a second stall is caught while the first is being symbolized. The reporter resolves
//! symbols (the first resolution of a debug binary takes hundreds of milliseconds), builds the
//! events and writes them out. Nothing here runs on a runtime thread.

use std::collections::HashMap;
use std::io::Write;
use std::panic::Location;
use std::sync::atomic::{AtomicU64, Ordering::*};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, SyncSender, TrySendError};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::report::{self, Stall};
use crate::slots::{self, SlotKind, SLOTS};
use crate::{clock, Output};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    Precise,
    Worker,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Precise => "precise",
            Mode::Worker => "worker",
        }
    }
}

pub(crate) const PRECISE_MODE_HINT: &str = "asyncwatch: worker mode: stalls are timed per worker, not per task poll; for precise mode build with `--cfg tokio_unstable` (add `[build] rustflags = [\"--cfg\", \"tokio_unstable\"]` to .cargo/config.toml)";

/// Worker mode reports a busy worker once two consecutive samples agree on the blocking site:
/// a worker running many short polls back to back shows different sites.
const WORKER_MODE_MAX_SAMPLES: u32 = 8;

/// Jobs waiting for the reporter. Symbolizing a stack costs far more than capturing one, so
/// under a flood of stalls the reporter falls behind: the queue is bounded so that the
/// process's memory is too, and a job that finds it full is counted in `dropped_events`.
const JOB_QUEUE: usize = 1024;

/// Jobs the watchdog could not queue because the reporter was that far behind.
static QUEUE_DROPPED: AtomicU64 = AtomicU64::new(0);

/// A tracked poll whose end never reached the reporter (its slot's ring or the job queue was
/// full) is forgotten once it is no longer running and this old, so that the reporter's
/// memory stays bounded under a flood.
const FORGET_AFTER: Duration = Duration::from_secs(10);

type Key = (usize, u64, u64);

struct PollFacts {
    key: Key,
    kind: &'static str,
    task_id: u64,
    spawn_location: usize,
    thread: String,
}

enum Job {
    Captured {
        facts: PollFacts,
        ips: Vec<usize>,
        blocked_ns: u64,
    },
    Finished {
        facts: PollFacts,
        duration_ns: u64,
    },
    /// Polls still blocked at exit, with how long they have been blocked.
    Final {
        still_blocked: Vec<(Key, u64)>,
        done: Sender<()>,
    },
}

struct Scanner {
    mode: Mode,
    threshold_ns: u64,
    /// The scan interval in clock ticks.
    interval_ticks: u64,
    /// Per slot, the sequence-stamped poll last seen running: (generation, stamp, estimated
    /// start in ticks). Only the watchdog (under the scanner lock) reads or writes it.
    sequence_polls: Vec<(u64, u64, u64)>,
    samples: HashMap<Key, (u32, Instant)>,
    jobs: SyncSender<Job>,
    finished: bool,
}

static SCANNER: Mutex<Option<Scanner>> = Mutex::new(None);

pub(crate) fn start(threshold: Duration, output: &Output, mode: Mode) {
    let sink = open_sink(output);
    let (jobs, job_receiver) = mpsc::sync_channel(JOB_QUEUE);
    let mut reporter = Reporter {
        mode,
        sink,
        stalls: HashMap::new(),
        worker_sites: HashMap::new(),
        undelivered: 0,
        stalls_emitted: 0,
        pid: std::process::id(),
    };
    reporter.hello(threshold);
    let reporter_thread = std::thread::Builder::new()
        .name("asyncwatch-reporter".to_owned())
        .spawn(move || reporter.run(job_receiver));
    if let Err(error) = reporter_thread {
        eprintln!("asyncwatch: cannot start the reporter thread: {error}");
        return;
    }
    if let Ok(mut scanner) = SCANNER.lock() {
        *scanner = Some(Scanner {
            mode,
            threshold_ns: threshold.as_nanos() as u64,
            interval_ticks: clock::nanos_to_ticks(scan_interval(threshold).as_nanos() as u64),
            sequence_polls: vec![(0, 0, 0); slots::MAX_SLOTS],
            samples: HashMap::new(),
            jobs,
            finished: false,
        });
    }
    let interval = scan_interval(threshold);
    let spawned = std::thread::Builder::new()
        .name("asyncwatch-watchdog".to_owned())
        .spawn(move || loop {
            std::thread::sleep(interval);
            if !scan() {
                break;
            }
        });
    if let Err(error) = spawned {
        eprintln!("asyncwatch: cannot start the watchdog thread: {error}");
    }
    // SAFETY: registering a plain extern "C" function with no preconditions.
    unsafe {
        libc::atexit(flush_at_exit);
    }
}

/// How often the watchdog scans the slots: a quarter threshold, within 1-250 ms.
pub(crate) fn scan_interval(threshold: Duration) -> Duration {
    (threshold / 4).clamp(Duration::from_millis(1), Duration::from_millis(250))
}

/// Whether precise mode can stamp polls with their number instead of a clock read: the
/// watchdog then times a poll from when it first sees it running, to within one scan
/// interval, which is precise enough when the interval is at most a quarter threshold (that
/// is, for thresholds of 4 ms and more).
#[cfg_attr(not(tokio_unstable), allow(dead_code))]
pub(crate) fn sequence_stamps_suffice(threshold: Duration) -> bool {
    scan_interval(threshold) * 4 <= threshold
}

fn open_sink(output: &Output) -> Sink {
    match output {
        Output::Stderr => Sink::Stderr,
        Output::Socket(path) => match std::os::unix::net::UnixStream::connect(path) {
            Ok(stream) => Sink::Lines(Box::new(std::io::BufWriter::new(stream))),
            Err(error) => {
                eprintln!(
                    "asyncwatch: cannot connect to {}: {error}; reporting stalls on stderr",
                    path.display()
                );
                Sink::Stderr
            }
        },
        Output::JsonFile(path) => match std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
            Ok(file) => Sink::Lines(Box::new(std::io::LineWriter::new(file))),
            Err(error) => {
                eprintln!(
                    "asyncwatch: cannot open {}: {error}; reporting stalls on stderr",
                    path.display()
                );
                Sink::Stderr
            }
        },
    }
}

extern "C" fn flush_at_exit() {
    finish(Duration::from_secs(5));
}

/// Scans once more, then waits until the reporter has written everything.
pub(crate) fn finish(timeout: Duration) {
    let Ok(mut guard) = SCANNER.lock() else {
        return;
    };
    let Some(scanner) = guard.as_mut() else {
        return;
    };
    if scanner.finished {
        return;
    }
    scanner.scan_slots();
    let now = clock::now();
    let still_blocked = scanner
        .samples
        .keys()
        .filter(|(index, _, stamp)| SLOTS[*index].poll_stamp.load(Acquire) == *stamp)
        .map(|&key| {
            let since = scanner.since(key);
            (key, clock::ticks_to_nanos(now.wrapping_sub(since)))
        })
        .collect();
    let (done, wait) = mpsc::channel();
    scanner.finished = true;
    let deadline = Instant::now() + timeout;
    let mut job = Job::Final {
        still_blocked,
        done,
    };
    // The final job must not be dropped like the others, yet a full queue must not hold the
    // process at exit for longer than `timeout` either.
    loop {
        match scanner.jobs.try_send(job) {
            Ok(()) => break,
            Err(TrySendError::Full(returned)) if Instant::now() < deadline => {
                job = returned;
                std::thread::sleep(Duration::from_millis(1));
            }
            Err(_) => return,
        }
    }
    drop(guard);
    let _ = wait.recv_timeout(deadline.saturating_duration_since(Instant::now()));
}

/// Queues a job for the reporter, counting it as dropped when the queue is full.
fn queue(jobs: &SyncSender<Job>, job: Job) {
    if let Err(TrySendError::Full(_)) = jobs.try_send(job) {
        QUEUE_DROPPED.fetch_add(1, Relaxed);
    }
}

/// One pass of the watchdog; returns false once it should stop.
fn scan() -> bool {
    let Ok(mut guard) = SCANNER.lock() else {
        return false;
    };
    match guard.as_mut() {
        Some(scanner) if !scanner.finished => {
            scanner.scan_slots();
            true
        }
        _ => false,
    }
}

impl Scanner {
    /// The start of the poll stamped `stamp` in slot `index`, in clock ticks: the stamp
    /// itself when it is a time. A sequence stamp is timed from when a scan first sees it,
    /// less one scan interval: the poll started after the previous scan of the slot (which
    /// saw another stamp or none), so the estimate errs early and a poll is taken for up to
    /// one interval longer than it is, never shorter (unless the watchdog itself was held up
    /// between the two scans). Every decision (mark, capture, record) and every reported
    /// duration uses this one estimate, so a poll whose stack was captured is also recorded.
    fn poll_start(&mut self, index: usize, generation: u64, stamp: u64, now: u64) -> u64 {
        if !clock::is_sequence(stamp) {
            return stamp;
        }
        let seen = &mut self.sequence_polls[index];
        if (seen.0, seen.1) != (generation, stamp) {
            *seen = (generation, stamp, now.wrapping_sub(self.interval_ticks));
        }
        seen.2
    }

    /// The estimated start of a poll being tracked by `samples`.
    fn since(&self, (index, generation, stamp): Key) -> u64 {
        match self.sequence_polls.get(index) {
            Some(&(g, s, since)) if clock::is_sequence(stamp) && (g, s) == (generation, stamp) => {
                since
            }
            _ => stamp,
        }
    }

    fn scan_slots(&mut self) {
        let infos = slots::THREAD_INFO
            .lock()
            .map(|infos| infos.clone())
            .unwrap_or_default();
        for (index, slot) in SLOTS.iter().enumerate() {
            let info = infos.get(index).cloned().flatten();
            let generation = slot.generation.load(Acquire);
            let slot_kind = info.as_ref().map_or(SlotKind::Worker, |info| info.kind);
            let kind = kind_name(self.mode, slot_kind);
            let facts = |stamp: u64, task_id: u64, spawn_location: usize| PollFacts {
                key: (index, generation, stamp),
                kind,
                task_id,
                spawn_location,
                thread: match &info {
                    Some(info) => format!("{} (tid {})", info.name, info.tid),
                    None => "unknown".to_owned(),
                },
            };
            while let Some(slow) = slot.pop_slow() {
                self.samples.remove(&(index, generation, slow.stamp));
                queue(
                    &self.jobs,
                    Job::Finished {
                        facts: facts(slow.stamp, slow.task_id, slow.spawn_location),
                        duration_ns: clock::ticks_to_nanos(slow.duration_ticks),
                    },
                );
            }
            if !slot.in_use.load(Acquire) {
                continue;
            }
            let stamp = slot.poll_stamp.load(Acquire);
            if stamp == 0 {
                continue;
            }
            let task_id = slot.task_id.load(Relaxed);
            let spawn_location = slot.spawn_location.load(Relaxed);
            let now = clock::now();
            let start = self.poll_start(index, generation, stamp, now);
            let elapsed_ns = clock::ticks_to_nanos(now.wrapping_sub(start));
            if elapsed_ns >= self.threshold_ns / 4 * 3 {
                slot.watched_since.store(start, Relaxed);
                // Release: the poll's end reads `watched_since` after seeing its stamp here.
                slot.watched_stamp.store(stamp, Release);
            }
            if elapsed_ns < self.threshold_ns || slot.poll_stamp.load(Acquire) != stamp {
                continue;
            }
            let wanted_samples = if self.mode == Mode::Worker && slot_kind == SlotKind::Worker {
                WORKER_MODE_MAX_SAMPLES
            } else {
                1
            };
            let (taken, seen) = self
                .samples
                .entry((index, generation, stamp))
                .or_insert((0, Instant::now()));
            *seen = Instant::now();
            if *taken >= wanted_samples {
                continue;
            }
            *taken += 1;
            let Some(ips) = crate::capture::capture(slot) else {
                continue;
            };
            let blocked_ns = clock::ticks_to_nanos(clock::now().wrapping_sub(start));
            if slot.poll_stamp.load(Acquire) != stamp {
                // The poll ended while the signal was on its way: the stack is of other code.
                continue;
            }
            queue(
                &self.jobs,
                Job::Captured {
                    facts: facts(stamp, task_id, spawn_location),
                    ips,
                    blocked_ns,
                },
            );
        }
        // Polls whose end was never queued (ring full) would otherwise be kept forever.
        self.samples.retain(|&(index, _, stamp), (_, seen)| {
            SLOTS[index].poll_stamp.load(Relaxed) == stamp
                || seen.elapsed() < Duration::from_secs(10)
        });
    }
}

fn kind_name(mode: Mode, kind: SlotKind) -> &'static str {
    match (mode, kind) {
        (_, SlotKind::BlockOn) => "block_on",
        (Mode::Precise, SlotKind::Worker) => "task",
        (Mode::Worker, SlotKind::Worker) => "worker",
    }
}

enum Sink {
    Stderr,
    Lines(Box<dyn Write + Send>),
    Broken,
}

enum Tracked {
    Reported(Stall),
    Excluded,
}

struct Reporter {
    mode: Mode,
    sink: Sink,
    /// Polls seen blocked, until their end arrives; with when each was first seen.
    stalls: HashMap<Key, (Tracked, Instant)>,
    worker_sites: HashMap<Key, (report::Frame, Instant)>,
    undelivered: u64,
    /// Distinct stalls emitted so far; each stall's `seq` is its number in this count, so a
    /// collector can tell a new stall from an update of one it chose not to keep.
    stalls_emitted: u64,
    pid: u32,
}

impl Reporter {
    fn hello(&mut self, threshold: Duration) {
        let program = std::env::current_exe()
            .map(|path| path.display().to_string())
            .unwrap_or_default();
        let mut hello = format!(
            "{{\"event\":\"hello\",\"pid\":{},\"mode\":\"{}\",\"threshold_ms\":{},\"program\":",
            self.pid,
            self.mode.name(),
            report::millis(threshold.as_nanos() as u64)
        );
        report::json_string(&mut hello, &program);
        hello.push('}');
        match self.sink {
            Sink::Stderr if self.mode == Mode::Worker => eprintln!("{PRECISE_MODE_HINT}"),
            _ => self.write_line(&hello),
        }
        self.flush_sink();
    }

    fn run(mut self, jobs: Receiver<Job>) {
        let mut last_stats = Instant::now();
        loop {
            match jobs.recv_timeout(Duration::from_millis(500)) {
                Ok(Job::Captured {
                    facts,
                    ips,
                    blocked_ns,
                }) => self.captured(facts, &ips, blocked_ns),
                Ok(Job::Finished { facts, duration_ns }) => self.finished(facts, duration_ns),
                Ok(Job::Final {
                    still_blocked,
                    done,
                }) => {
                    while let Ok(job) = jobs.try_recv() {
                        match job {
                            Job::Captured {
                                facts,
                                ips,
                                blocked_ns,
                            } => self.captured(facts, &ips, blocked_ns),
                            Job::Finished { facts, duration_ns } => {
                                self.finished(facts, duration_ns)
                            }
                            Job::Final { .. } => {}
                        }
                    }
                    for (key, blocked_ns) in still_blocked {
                        if let Some((Tracked::Reported(mut stall), _)) = self.stalls.remove(&key) {
                            stall.duration_ns = blocked_ns;
                            self.emit(&stall);
                        }
                    }
                    self.write_stats(true);
                    self.flush_sink();
                    let _ = done.send(());
                    return;
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return,
            }
            if last_stats.elapsed() >= Duration::from_millis(500) {
                self.forget_lost_ends();
                self.write_stats(false);
                last_stats = Instant::now();
            }
            self.flush_sink();
        }
    }

    fn captured(&mut self, facts: PollFacts, ips: &[usize], blocked_ns: u64) {
        if self.stalls.contains_key(&facts.key) {
            return;
        }
        let all_frames = report::symbolize(ips);
        if report::is_block_in_place(&all_frames) {
            self.stalls
                .insert(facts.key, (Tracked::Excluded, Instant::now()));
            return;
        }
        let frames = report::interesting_frames(&all_frames).to_vec();
        let blocking_site = frames.iter().position(report::is_user_frame);
        if facts.kind == "worker" {
            let Some(site) = blocking_site.map(|index| frames[index].clone()) else {
                self.worker_sites.remove(&facts.key);
                return;
            };
            if self.worker_sites.get(&facts.key).map(|(known, _)| known) != Some(&site) {
                self.worker_sites.insert(facts.key, (site, Instant::now()));
                return;
            }
            self.worker_sites.remove(&facts.key);
        }
        let stall = Stall {
            key: format!("{}:{}:{}", facts.key.0, facts.key.1, facts.key.2),
            seq: self.next_seq(),
            in_progress: true,
            duration_ns: blocked_ns,
            kind: facts.kind,
            task_id: facts.task_id,
            spawned_at: location_from(facts.spawn_location),
            thread: facts.thread,
            frames,
            blocking_site,
        };
        self.emit(&stall);
        self.stalls
            .insert(facts.key, (Tracked::Reported(stall), Instant::now()));
    }

    fn next_seq(&mut self) -> u64 {
        self.stalls_emitted += 1;
        self.stalls_emitted
    }

    /// Drops what is tracked for polls whose end will never come (see [`FORGET_AFTER`]).
    fn forget_lost_ends(&mut self) {
        let lost = |&(index, generation, stamp): &Key, since: &Instant| {
            let slot = &SLOTS[index];
            let running = slot.generation.load(Relaxed) == generation
                && slot.poll_stamp.load(Relaxed) == stamp;
            !running && since.elapsed() >= FORGET_AFTER
        };
        self.stalls.retain(|key, (_, since)| !lost(key, since));
        self.worker_sites
            .retain(|key, (_, since)| !lost(key, since));
    }

    fn finished(&mut self, facts: PollFacts, duration_ns: u64) {
        self.worker_sites.remove(&facts.key);
        let stall = match self.stalls.remove(&facts.key).map(|(tracked, _)| tracked) {
            Some(Tracked::Excluded) => return,
            // A worker busy past the threshold may have run many short polls; worker mode
            // only reports busy periods that the samples confirmed as one blocked site.
            None if facts.kind == "worker" => return,
            Some(Tracked::Reported(mut stall)) => {
                stall.in_progress = false;
                stall.duration_ns = duration_ns;
                stall
            }
            None => Stall {
                key: format!("{}:{}:{}", facts.key.0, facts.key.1, facts.key.2),
                seq: self.next_seq(),
                in_progress: false,
                duration_ns,
                kind: facts.kind,
                task_id: facts.task_id,
                spawned_at: location_from(facts.spawn_location),
                thread: facts.thread,
                frames: Vec::new(),
                blocking_site: None,
            },
        };
        self.emit(&stall);
    }

    fn emit(&mut self, stall: &Stall) {
        match self.sink {
            Sink::Stderr => {
                // The live report names the site; the final one of the same stall only adds
                // the duration.
                if stall.in_progress || stall.blocking_site.is_none() {
                    eprint!("{}", report::stall_human(stall));
                } else {
                    eprintln!(
                        "asyncwatch: stall on thread {} ended after {} ms",
                        stall.thread,
                        report::millis(stall.duration_ns)
                    );
                }
            }
            _ => {
                let line = report::stall_json(stall, self.pid);
                self.write_line(&line);
            }
        }
    }

    /// `last`: nothing follows; a collector that never sees it knows the process ended
    /// before it could report everything.
    fn write_stats(&mut self, last: bool) {
        let polls: u64 = SLOTS.iter().map(|slot| slot.polls.load(Relaxed)).sum();
        let max_ticks = SLOTS
            .iter()
            .map(|slot| slot.max_poll_ticks.load(Relaxed))
            .max()
            .unwrap_or(0);
        let dropped: u64 = SLOTS
            .iter()
            .map(|slot| slot.dropped.load(Relaxed))
            .sum::<u64>()
            + QUEUE_DROPPED.load(Relaxed)
            + self.undelivered;
        let untracked = slots::UNTRACKED_THREADS.load(Relaxed);
        let line = format!(
            "{{\"event\":\"stats\",\"pid\":{},\"polls\":{polls},\"max_poll_ms\":{},\"dropped_events\":{dropped},\"untracked_threads\":{untracked},\"stalls\":{},\"final\":{last}}}",
            self.pid,
            report::millis(clock::ticks_to_nanos(max_ticks)),
            self.stalls_emitted
        );
        match self.sink {
            Sink::Stderr if dropped > 0 => {
                eprintln!("asyncwatch: {dropped} slow-poll events were dropped")
            }
            Sink::Stderr => {}
            _ => self.write_line(&line),
        }
    }

    fn write_line(&mut self, line: &str) {
        if let Sink::Lines(writer) = &mut self.sink {
            if writer
                .write_all(line.as_bytes())
                .and_then(|()| writer.write_all(b"\n"))
                .is_err()
            {
                self.sink = Sink::Broken;
            }
        }
        if matches!(self.sink, Sink::Broken) {
            self.undelivered += 1;
        }
    }

    fn flush_sink(&mut self) {
        if let Sink::Lines(writer) = &mut self.sink {
            if writer.flush().is_err() {
                self.sink = Sink::Broken;
            }
        }
    }
}

fn location_from(address: usize) -> Option<&'static Location<'static>> {
    // SAFETY: non-zero addresses were stored from `&'static Location<'static>` references.
    (address != 0).then(|| unsafe { &*(address as *const Location<'static>) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finished_job(stamp: u64) -> Job {
        Job::Finished {
            facts: PollFacts {
                key: (slots::MAX_SLOTS - 1, 0, stamp),
                kind: "task",
                task_id: 1,
                spawn_location: 0,
                thread: "test".to_owned(),
            },
            duration_ns: 1,
        }
    }

    #[test]
    fn a_job_that_finds_the_queue_full_is_counted_not_kept() {
        let (jobs, queued) = mpsc::sync_channel(2);
        let before = QUEUE_DROPPED.load(Relaxed);
        for stamp in 1..=5 {
            queue(&jobs, finished_job(stamp));
        }
        assert_eq!(queued.try_iter().count(), 2);
        // Other tests never queue, so the counter moved by this test's three jobs alone.
        assert_eq!(QUEUE_DROPPED.load(Relaxed) - before, 3);
    }

    #[test]
    fn polls_whose_end_never_came_are_forgotten_once_old() {
        let mut reporter = Reporter {
            mode: Mode::Precise,
            sink: Sink::Broken,
            stalls: HashMap::new(),
            worker_sites: HashMap::new(),
            undelivered: 0,
            stalls_emitted: 0,
            pid: 1,
        };
        let old = Instant::now()
            .checked_sub(FORGET_AFTER + Duration::from_secs(1))
            .expect("the clock has run that long");
        // The last slot is never used by these tests: its stamp is 0, so neither poll runs.
        let slot = slots::MAX_SLOTS - 1;
        reporter
            .stalls
            .insert((slot, 7, 1), (Tracked::Excluded, old));
        reporter
            .stalls
            .insert((slot, 7, 2), (Tracked::Excluded, Instant::now()));
        reporter.forget_lost_ends();
        let kept: Vec<_> = reporter.stalls.keys().copied().collect();
        assert_eq!(kept, vec![(slot, 7, 2)]);
    }
}
