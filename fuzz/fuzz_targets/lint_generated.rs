//! Rust that parses, generated from the fuzzer's bytes: arbitrary bytes rarely get past the
//! parser, so this target builds items and statements from a small grammar of what the
//! analyzer looks at (async fns and blocks, closures, offloads, blocking calls, guards held
//! across `.await`, helpers calling helpers, `use` renames, typed fields and receivers,
//! macros, suppression comments) and lints the result like `lint_source` does.
#![no_main]

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

/// Calls that block, or that the analyzer knows by name.
const CALLS: &[&str] = &[
    "std::thread::sleep(std::time::Duration::from_millis(1))",
    "thread::sleep(d)",
    "sleep(d)",
    "std::fs::read(\"x\")",
    "std::fs::read_to_string(path)",
    "fs::write(\"o\", b\"1\")",
    "std::fs::File::open(\"f\")",
    "File::create(p)",
    "std::fs::read_dir(\".\")",
    "std::process::Command::new(\"ls\").output()",
    "std::net::TcpStream::connect(\"a:1\")",
    "reqwest::blocking::get(\"u\")",
    "futures::executor::block_on(fut)",
    "tokio::runtime::Handle::current().block_on(async {})",
    "rt.block_on(f())",
    "pollster::block_on(x)",
    "bcrypt::hash(\"p\", 12)",
    "rx.recv()",
    "handle.join()",
    "m.lock()",
    "m.lock().unwrap()",
    "self.mutex.lock().unwrap()",
    "self.db.query_sync()",
    "crate::db::query_sync(\"q\")",
    "rusqlite::Connection::open(\"db\")",
    "conn.execute(\"q\", [])",
    "tokio::time::sleep(d).await",
    "tokio::fs::read(\"x\").await",
    "tokio::task::spawn_blocking(move || std::thread::sleep(d))",
    "tokio::task::spawn_blocking(|| helper())",
    "tokio::spawn(async move { std::fs::read(\"x\") })",
    "tokio::task::block_in_place(|| std::fs::read(\"x\"))",
    "helper()",
    "helper2(1)",
    "inner::deep()",
    "Self::assoc()",
    "self.method()",
    "S::new().method()",
    "x.await",
    "fut.await?",
    "(async { 1 }).await",
    "drop(guard)",
    "vec![1, 2]",
    "format!(\"{}\", std::fs::read(\"x\").is_ok())",
    "println!(\"{:?}\", std::thread::sleep(d))",
    "tokio::select! { _ = a => std::thread::sleep(d), _ = b => {} }",
    "tokio::join!(a, async { std::fs::read(\"x\") })",
    "assert!(std::fs::metadata(\"x\").is_ok())",
    "blocking_thing!()",
    "todo!()",
];

const NAMES: &[&str] = &[
    "helper",
    "helper2",
    "method",
    "assoc",
    "deep",
    "f",
    "main",
    "run",
    "new",
    "query_sync",
];
const TYPES: &[&str] = &[
    "std::sync::Mutex<u8>",
    "Mutex<()>",
    "tokio::sync::Mutex<u8>",
    "parking_lot::Mutex<u8>",
    "std::sync::RwLock<Vec<u8>>",
    "rusqlite::Connection",
    "reqwest::blocking::Client",
    "std::fs::File",
    "Arc<Mutex<u8>>",
    "Db",
    "S",
    "Option<Box<dyn Fn()>>",
];
const USES: &[&str] = &[
    "use std::thread;",
    "use std::thread::sleep;",
    "use std::fs;",
    "use std::fs::File;",
    "use std::sync::{Arc, Mutex};",
    "use std::fs::read as slurp;",
    "use std::thread::sleep as nap;",
    "use tokio::sync::Mutex;",
    "use crate::inner::deep;",
    "use super::*;",
    "use reqwest::blocking::*;",
    "extern crate std as other;",
];
const COMMENTS: &[&str] = &[
    "// asyncwatch: allow(blocking-sleep)",
    "// asyncwatch: allow(blocking-fs, blocking-sleep) -- reason",
    "// asyncwatch: allow(no-such-rule)",
    "// asyncwatch: allow(all)",
    "// asyncwatch: allow()",
    "// asyncwatch: allow(unused-suppression)",
    "/* asyncwatch: allow(blocking-fs) */",
    "// asyncwatch:allow(blocking-wait)",
    "// ordinary comment",
];

struct Gen<'a, 'b> {
    u: &'b mut Unstructured<'a>,
    out: String,
    depth: usize,
}

impl Gen<'_, '_> {
    fn pick(&mut self, list: &[&str]) -> Result<()> {
        let item = *self.u.choose(list)?;
        self.out.push_str(item);
        Ok(())
    }

    fn file(&mut self) -> Result<()> {
        if self.u.ratio(1, 4)? {
            self.out.push_str("//! asyncwatch: allow(blocking-net)\n");
        }
        let items = self.u.int_in_range(1..=8)?;
        for _ in 0..items {
            self.item()?;
        }
        Ok(())
    }

    fn item(&mut self) -> Result<()> {
        match self.u.int_in_range(0..=9)? {
            0 => self.pick(USES)?,
            1 | 2 | 3 => self.function(false)?,
            4 => {
                self.out.push_str("struct ");
                self.pick(&["S", "Db", "State"])?;
                self.out.push_str(" { ");
                for field in ["mutex", "db", "client"] {
                    if self.u.arbitrary()? {
                        self.out.push_str(field);
                        self.out.push_str(": ");
                        self.pick(TYPES)?;
                        self.out.push_str(", ");
                    }
                }
                self.out.push('}');
            }
            5 => {
                self.out.push_str("impl ");
                if self.u.arbitrary()? {
                    self.out.push_str("Trait for ");
                }
                self.pick(&["S", "Db", "State"])?;
                self.out.push_str(" {\n");
                for _ in 0..self.u.int_in_range(0..=3)? {
                    self.function(true)?;
                }
                self.out.push('}');
            }
            6 if self.depth < 3 => {
                self.out.push_str("mod ");
                self.pick(&["inner", "db", "util"])?;
                self.out.push_str(" {\n");
                self.depth += 1;
                for _ in 0..self.u.int_in_range(0..=3)? {
                    self.item()?;
                }
                self.depth -= 1;
                self.out.push('}');
            }
            7 => {
                self.out.push_str("static ");
                self.pick(&["M", "DB", "LOCK"])?;
                self.out.push_str(": ");
                self.pick(TYPES)?;
                self.out.push_str(" = todo!();");
            }
            8 => {
                self.out.push_str("trait Trait { ");
                self.function(true)?;
                self.out.push_str(" }");
            }
            _ => {
                self.out.push_str("macro_rules! blocking_thing { () => { ");
                self.pick(CALLS)?;
                self.out.push_str(" }; }");
            }
        }
        self.out.push('\n');
        Ok(())
    }

    fn function(&mut self, method: bool) -> Result<()> {
        if self.u.ratio(1, 5)? {
            self.pick(COMMENTS)?;
            self.out.push('\n');
        }
        if self.u.ratio(1, 5)? {
            self.pick(&[
                "#[tokio::main]\n",
                "#[tokio::test]\n",
                "#[test]\n",
                "#[cfg(test)]\n",
            ])?;
        }
        if self.u.arbitrary()? {
            self.out.push_str("pub ");
        }
        if self.u.arbitrary()? {
            self.out.push_str("async ");
        }
        self.out.push_str("fn ");
        self.pick(NAMES)?;
        self.out.push('(');
        if method && self.u.arbitrary()? {
            self.pick(&["&self", "&mut self", "self: Arc<Self>"])?;
            self.out.push_str(", ");
        }
        if self.u.arbitrary()? {
            self.out.push_str("m: &");
            self.pick(TYPES)?;
        }
        self.out.push(')');
        if self.u.arbitrary()? {
            self.out.push_str(" -> ");
            self.pick(TYPES)?;
        }
        self.block()
    }

    fn block(&mut self) -> Result<()> {
        self.out.push_str(" {\n");
        self.depth += 1;
        for _ in 0..self.u.int_in_range(0..=5)? {
            self.statement()?;
        }
        self.depth -= 1;
        self.out.push('}');
        Ok(())
    }

    fn statement(&mut self) -> Result<()> {
        let deep = self.depth < 6;
        match self.u.int_in_range(0..=13)? {
            0 | 1 | 2 => {
                self.pick(CALLS)?;
                self.out.push(';');
            }
            3 => {
                self.out.push_str("let ");
                self.pick(&["guard", "_g", "_", "x", "(a, b)", "mut v"])?;
                self.out.push_str(" = ");
                self.pick(CALLS)?;
                self.out.push(';');
            }
            4 => {
                self.pick(CALLS)?;
                self.out.push_str("; ");
                self.pick(COMMENTS)?;
            }
            5 => {
                self.pick(COMMENTS)?;
                self.out.push('\n');
                self.pick(CALLS)?;
                self.out.push(';');
            }
            6 if deep => {
                // Only an async block may be awaited where a statement starts.
                let (opening, endings): (&str, &[&str]) = *self.u.choose(&[
                    ("async ", &[";", ".await;"][..]),
                    ("async move ", &[";", ".await;"][..]),
                    ("unsafe ", &["", ";"][..]),
                    ("loop ", &["", ";"][..]),
                    ("if c ", &["", ";"][..]),
                    ("while c ", &["", ";"][..]),
                ])?;
                self.out.push_str(opening);
                self.block()?;
                self.pick(endings)?;
            }
            7 if deep => {
                let (opening, endings): (&str, &[&str]) = *self.u.choose(&[
                    ("let c = || ", &[";"][..]),
                    ("let c = move || ", &[";"][..]),
                    ("let c = async || ", &[";"][..]),
                    ("let c = async move || ", &[";"][..]),
                    (
                        "tokio::task::spawn_blocking(move || ",
                        &[");", ").await;"][..],
                    ),
                    ("std::thread::spawn(|| ", &[");", ").join();"][..]),
                    ("tokio::spawn(async move ", &[");", ").await;"][..]),
                    ("rt.block_on(async ", &[");"][..]),
                    ("items.iter().for_each(|x| ", &[");"][..]),
                ])?;
                self.out.push_str(opening);
                self.block()?;
                self.pick(endings)?;
            }
            8 if deep => {
                self.out.push_str("match x { Some(y) => ");
                self.block()?;
                self.out.push_str(", None => ");
                self.pick(CALLS)?;
                self.out.push_str(" }");
            }
            9 if deep => {
                self.function(false)?;
            }
            10 => {
                self.out.push_str("let v: ");
                self.pick(TYPES)?;
                self.out.push_str(" = todo!(); v.");
                self.pick(&[
                    "lock()",
                    "read()",
                    "write()",
                    "execute(\"q\")",
                    "get(\"u\")",
                    "send()",
                    "read_to_end(&mut b)",
                ])?;
                self.out.push(';');
            }
            11 if deep => {
                self.out.push_str("if let Ok(g) = ");
                self.pick(CALLS)?;
                self.block()?;
                self.out.push_str(" else ");
                self.block()?;
            }
            12 => self.pick(&[
                "return;",
                "break;",
                "continue;",
                "x.await;",
                "drop(guard);",
                "let _ = x?;",
            ])?,
            _ => self.pick(USES)?,
        }
        self.out.push('\n');
        Ok(())
    }
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let mut generator = Gen {
        u: &mut u,
        out: String::new(),
        depth: 0,
    };
    // Running out of bytes ends the text early: lint whatever was made.
    let _ = generator.file();
    common::lint(&generator.out);
});
