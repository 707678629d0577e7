//! A guard against code nested deeper than the parser's stack allows.
//!
//! syn parses (and the checker visits, and Rust drops) syntax trees recursively, so a few
//! thousand nested brackets or a chain of thousands of closures or method calls overflow even
//! the 64 MB stacks the analysis runs on, and a stack overflow aborts the whole process. No
//! hand-written code comes close to the limits here; before parsing, a file beyond them is
//! turned into a file error that names the place, and the run goes on.

use crate::prescan::{Kind, Token};

/// The deepest bracket nesting (`(`, `[` and `{` together) analyzed.
pub(crate) const MAX_BRACKET_DEPTH: usize = 256;

/// The most operator characters (`.`, `?`, `&`, `+`, `<` ...) one expression may have
/// between separators (`;`, `,`, `{`, `}`): a chain of N method calls or unary operators
/// nests N levels deep without a bracket. What costs the parser more stack per level counts
/// more: `|` (closures) four times, `!`, `-` and `*` (unary operators) twice. The largest run in 25,000 files of
/// published crates is 2,723 (a generated or-pattern in unicode-normalization's tables).
pub(crate) const MAX_OPERATOR_RUN: usize = 16_384;

/// Why `source` is too deeply nested to parse safely, or `None`. Comments, strings and
/// character literals are skipped, so brackets inside them do not count.
pub(crate) fn check(source: &str) -> Option<String> {
    let bytes = source.as_bytes();
    let mut nesting = Nesting::default();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                i = bytes[i..]
                    .iter()
                    .position(|&c| c == b'\n')
                    .map_or(bytes.len(), |end| i + end);
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let mut comment_depth = 0usize;
                while i < bytes.len() {
                    if bytes[i..].starts_with(b"/*") {
                        comment_depth += 1;
                        i += 2;
                    } else if bytes[i..].starts_with(b"*/") {
                        comment_depth -= 1;
                        i += 2;
                        if comment_depth == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
                continue;
            }
            b'r' | b'b' | b'c' if raw_string_opening(&bytes[i..]).is_some() => {
                let (opening, hashes) = raw_string_opening(&bytes[i..]).unwrap_or((1, 0));
                i += opening;
                while i < bytes.len() {
                    if bytes[i] == b'"'
                        && bytes[i + 1..]
                            .iter()
                            .take(hashes)
                            .filter(|&&c| c == b'#')
                            .count()
                            == hashes
                    {
                        i += 1 + hashes;
                        break;
                    }
                    i += 1;
                }
                continue;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
                continue;
            }
            b'\'' => {
                i += char_literal_length(&bytes[i..]);
                continue;
            }
            _ => {
                if let Err(message) = nesting.punct(source, b, i) {
                    return Some(message);
                }
            }
        }
        i += 1;
    }
    None
}

/// [`check`] of a text already lexed into `tokens`, which only reads its punctuation.
pub(crate) fn check_tokens(source: &str, tokens: &[Token]) -> Option<String> {
    let mut nesting = Nesting::default();
    for token in tokens {
        if let Kind::Punct(b) = token.kind {
            if let Err(message) = nesting.punct(source, b, token.start as usize) {
                return Some(message);
            }
        }
    }
    None
}

/// How deep the text checked so far nests where it stops.
#[derive(Default)]
struct Nesting {
    depth: usize,
    run: usize,
}

impl Nesting {
    /// Counts byte `b` of code (not of a comment or literal) at `offset` of `source`: `Err`
    /// with why it nests too deep there. Other bytes than brackets, separators and
    /// operators count nothing.
    fn punct(&mut self, source: &str, b: u8, offset: usize) -> Result<(), String> {
        match b {
            b'(' | b'[' | b'{' => {
                self.depth += 1;
                if b == b'{' {
                    self.run = 0;
                }
                if self.depth > MAX_BRACKET_DEPTH {
                    return Err(format!(
                        "brackets nest more than {MAX_BRACKET_DEPTH} levels deep at {}: asyncwatch \
                         does not analyze code nested this deep (its parser would overflow the \
                         stack)",
                        place(source, offset)
                    ));
                }
            }
            b')' | b']' | b'}' => {
                self.depth = self.depth.saturating_sub(1);
                if b == b'}' {
                    self.run = 0;
                }
            }
            b';' | b',' => self.run = 0,
            b'.' | b'?' | b'|' | b'&' | b'*' | b'-' | b'+' | b'!' | b'<' | b'>' | b'=' | b'^'
            | b'%' | b'/' | b'@' | b'#' | b'$' | b'~' | b':' => {
                self.run += match b {
                    b'|' => 4,
                    b'!' | b'-' | b'*' => 2,
                    _ => 1,
                };
                if self.run > MAX_OPERATOR_RUN {
                    return Err(format!(
                        "one expression chains more than {MAX_OPERATOR_RUN} operators at {}: \
                         asyncwatch does not analyze code nested this deep (its parser would \
                         overflow the stack)",
                        place(source, offset)
                    ));
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// `line:column` of byte `offset`.
fn place(source: &str, offset: usize) -> String {
    let before = &source.as_bytes()[..offset];
    let line = before.iter().filter(|&&c| c == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&c| c == b'\n')
        .map_or(0, |i| i + 1);
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    format!("{line}:{column}")
}

/// For `r"`, `r#"`, `br##"`, `cr"` ...: the length of the opening and the number of `#`.
fn raw_string_opening(bytes: &[u8]) -> Option<(usize, usize)> {
    let after_prefix = match bytes {
        [b'r', ..] => 1,
        [b'b' | b'c', b'r', ..] => 2,
        _ => return None,
    };
    let hashes = bytes[after_prefix..]
        .iter()
        .take_while(|&&b| b == b'#')
        .count();
    (bytes.get(after_prefix + hashes) == Some(&b'"')).then_some((after_prefix + hashes + 1, hashes))
}

/// The length of a char literal at the start of `bytes` (`'x'`, `'\''`, `'é'`), or 1 for the
/// quote of a lifetime or label (`'a`).
fn char_literal_length(bytes: &[u8]) -> usize {
    match bytes.get(1) {
        Some(b'\\') => bytes
            .get(3..)
            .and_then(|rest| rest.iter().position(|&c| c == b'\''))
            .map_or(1, |end| end + 4),
        Some(&first) if first != b'\'' => {
            // One character, which may take up to four bytes.
            let width = match first {
                0x00..=0x7f => 1,
                0xc0..=0xdf => 2,
                0xe0..=0xef => 3,
                _ => 4,
            };
            if bytes.get(1 + width) == Some(&b'\'') {
                width + 2
            } else {
                1
            }
        }
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`check`] of `source`, after asserting that [`check_tokens`] of its tokens agrees.
    fn checked(source: &str) -> Option<String> {
        let bytes = check(source);
        if let Some(lexed) = crate::prescan::lex(source) {
            assert_eq!(check_tokens(source, lexed.tokens()), bytes, "{source}");
        }
        bytes
    }

    #[test]
    fn ordinary_code_passes() {
        let source = r##"fn f<'a>(x: &'a str) -> Vec<Vec<u8>> {
    let s = "((((((((("; let c = '('; let e = '\''; let r = r#"[[[["#;
    /* {{{{ /* nested {{{ */ }}} */ // ((((
    let u = 'é'; vec![vec![(x.len() as u8)]]
}
"##;
        assert_eq!(checked(source), None);
    }

    #[test]
    fn brackets_past_the_limit_are_named_with_their_place() {
        let at_limit = format!("{}{}", "(".repeat(256), ")".repeat(256));
        assert_eq!(checked(&at_limit), None);
        let past = format!("fn f() {{\n  {}{}", "[".repeat(300), "]".repeat(300));
        let message = checked(&past).expect("too deep");
        assert!(message.contains("256 levels deep at 2:258"), "{message}");
    }

    #[test]
    fn brackets_in_strings_and_comments_do_not_count() {
        let text = "(".repeat(1000);
        for source in [
            format!("\"{text}\""),
            format!("r#\"{text}\"#"),
            format!("// {text}"),
            format!("/* {text} */"),
            format!("b\"\\\"{text}\""),
        ] {
            assert_eq!(checked(&source), None, "{source}");
        }
    }

    #[test]
    fn long_operator_chains_are_refused_but_separators_reset_them() {
        let chain = format!("x{}", ".a()".repeat(16_384));
        assert_eq!(checked(&chain), None);
        let chain = format!("x{}", ".a()".repeat(16_385));
        assert!(checked(&chain).is_some_and(|m| m.contains("16384 operators at 1:65538")));
        let closures = format!("{}1", "|| ".repeat(2048));
        assert_eq!(checked(&closures), None);
        let closures = format!("{}1", "|| ".repeat(2049));
        assert!(checked(&closures).is_some());
        let statements = "x.a();".repeat(20_000);
        assert_eq!(checked(&statements), None);
    }
}
