//! Turning captured instruction pointers into frames, choosing the blocking site, and encoding
//! events. Runs on the watchdog thread only.

use std::fmt::Write as _;
use std::panic::Location;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Frame {
    pub function: String,
    pub file: Option<String>,
    pub line: Option<u32>,
}

pub(crate) fn symbolize(ips: &[usize]) -> Vec<Frame> {
    let mut frames = Vec::with_capacity(ips.len());
    for &ip in ips {
        // Every frame but the interrupted one holds a return address, which points past the
        // call; one byte back lands inside the calling line.
        let address = ip.saturating_sub(1) as *mut std::ffi::c_void;
        let before = frames.len();
        backtrace::resolve(address, |symbol| {
            frames.push(Frame {
                function: symbol
                    .name()
                    .map(|name| format!("{name:#}"))
                    .unwrap_or_else(|| "<unknown>".to_owned()),
                file: symbol.filename().map(|path| path.display().to_string()),
                line: symbol.lineno(),
            });
        });
        if frames.len() == before {
            frames.push(Frame {
                function: "<unknown>".to_owned(),
                file: None,
                line: None,
            });
        }
    }
    frames
}

/// The frames of the blocked code: the signal machinery above it and the scheduler below it
/// are cut off.
pub(crate) fn interesting_frames(frames: &[Frame]) -> &[Frame] {
    let handler = frames
        .iter()
        .rposition(|frame| frame.function.contains("capture_signal_handler"))
        .map_or(0, |index| index + 1);
    let mut start = handler;
    while start < frames.len()
        && frames[start].file.is_none()
        && (frames[start].function.contains("restore_rt") || frames[start].function == "<unknown>")
    {
        start += 1;
    }
    let end = frames[start..]
        .iter()
        .position(|frame| is_scheduler(&frame.function))
        .map_or(frames.len(), |offset| start + offset);
    &frames[start..end.min(start + 48)]
}

fn is_scheduler(function: &str) -> bool {
    let function = function.trim_start_matches('<');
    function.starts_with("tokio::runtime::task::")
        || function.starts_with("tokio::runtime::scheduler::")
        || function.starts_with("tokio::runtime::park")
}

pub(crate) fn is_block_in_place(frames: &[Frame]) -> bool {
    frames.iter().any(|frame| {
        frame.function.contains("block_in_place") && frame.function.contains("tokio::")
    })
}

const LIBRARY_PREFIXES: &[&str] = &[
    "std::",
    "core::",
    "alloc::",
    "tokio::",
    "backtrace::",
    "asyncwatch_runtime",
    "futures",
    "libc::",
    "parking_lot",
    "crossbeam",
];

const LIBRARY_PATHS: &[&str] = &[
    "/rustc/",
    "/rustlib/",
    "/registry/src/",
    "/git/checkouts/",
    "/library/std/",
    "/library/core/",
    "/library/alloc/",
];

pub(crate) fn is_user_frame(frame: &Frame) -> bool {
    let (Some(file), Some(_)) = (&frame.file, frame.line) else {
        return false;
    };
    let function = frame.function.trim_start_matches('<');
    // Rust functions always carry a path; C library frames (with glibc debug info installed)
    // have a file and line but no `::`.
    function.contains("::")
        && !LIBRARY_PREFIXES
            .iter()
            .any(|prefix| function.starts_with(prefix))
        && !LIBRARY_PATHS.iter().any(|path| file.contains(path))
        && !file.starts_with("library/")
}

pub(crate) struct Stall {
    pub key: String,
    /// The stall's number among the distinct stalls this process reported, from 1; its
    /// updates (the end of a poll reported while blocked) repeat it.
    pub seq: u64,
    pub in_progress: bool,
    pub duration_ns: u64,
    pub kind: &'static str,
    pub task_id: u64,
    pub spawned_at: Option<&'static Location<'static>>,
    pub thread: String,
    pub frames: Vec<Frame>,
    pub blocking_site: Option<usize>,
}

pub(crate) fn json_string(out: &mut String, value: &str) {
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn json_frame(out: &mut String, frame: &Frame) {
    out.push_str("{\"function\":");
    json_string(out, &frame.function);
    out.push_str(",\"file\":");
    match &frame.file {
        Some(file) => json_string(out, file),
        None => out.push_str("null"),
    }
    out.push_str(",\"line\":");
    match frame.line {
        Some(line) => {
            let _ = write!(out, "{line}");
        }
        None => out.push_str("null"),
    }
    out.push('}');
}

pub(crate) fn millis(nanos: u64) -> f64 {
    (nanos as f64 / 1e4).round() / 100.0
}

pub(crate) fn stall_json(stall: &Stall, pid: u32) -> String {
    let mut out = String::with_capacity(512);
    let _ = write!(
        out,
        "{{\"event\":\"stall\",\"pid\":{pid},\"key\":\"{}\",\"seq\":{},\"in_progress\":{},\"duration_ms\":{},\"kind\":\"{}\",\"task\":",
        stall.key,
        stall.seq,
        stall.in_progress,
        millis(stall.duration_ns),
        stall.kind
    );
    match (stall.kind, stall.spawned_at) {
        ("worker", _) => out.push_str("null"),
        (_, spawned_at) => {
            let _ = write!(out, "{{\"id\":{},\"spawned_at\":", stall.task_id);
            match spawned_at {
                Some(location) => {
                    out.push_str("{\"file\":");
                    json_string(&mut out, location.file());
                    let _ = write!(
                        out,
                        ",\"line\":{},\"column\":{}}}",
                        location.line(),
                        location.column()
                    );
                }
                None => out.push_str("null"),
            }
            out.push('}');
        }
    }
    out.push_str(",\"thread\":");
    json_string(&mut out, &stall.thread);
    out.push_str(",\"blocking_site\":");
    match stall
        .blocking_site
        .and_then(|index| stall.frames.get(index))
    {
        Some(frame) => json_frame(&mut out, frame),
        None => out.push_str("null"),
    }
    out.push_str(",\"frames\":[");
    for (index, frame) in stall.frames.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        json_frame(&mut out, frame);
    }
    out.push_str("]}");
    out
}

pub(crate) fn stall_human(stall: &Stall) -> String {
    let mut out = String::new();
    let what = match stall.kind {
        "worker" => "a worker".to_owned(),
        "block_on" => "the block_on future".to_owned(),
        _ => format!("task {}", stall.task_id),
    };
    let _ = writeln!(
        out,
        "asyncwatch: stall: {what} blocked thread {} for {} ms{}",
        stall.thread,
        millis(stall.duration_ns),
        if stall.in_progress { " so far" } else { "" }
    );
    match stall
        .blocking_site
        .and_then(|index| stall.frames.get(index))
    {
        Some(frame) => {
            let _ = writeln!(
                out,
                "  blocking site: {} at {}:{}",
                frame.function,
                frame.file.as_deref().unwrap_or("?"),
                frame.line.unwrap_or(0)
            );
        }
        None => out.push_str("  blocking site: not sampled while blocked\n"),
    }
    if let Some(location) = stall.spawned_at {
        let _ = writeln!(out, "  spawned at: {location}");
    }
    out
}
