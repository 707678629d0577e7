//! The token pre-scan: finds the function bodies that cannot change a run's findings and
//! blanks them before syn parses the file, so the parser and the checker only see code that
//! matters.
//!
//! A byte-level lexer (comments, strings, raw strings, chars and lifetimes, identifiers) splits
//! each file into functions, type-like items and `as` renames, with the identifiers each
//! mentions. Over every file of a crate group, a fixed point then grows a set of *seed* names
//! from the catalog's names:
//!
//! - a sync function that mentions a seed is *relevant*: it may block, or hand a closure to an
//!   offload entry point. Its name becomes a seed (for an associated function without `self`,
//!   the name of its type, since callers spell `Type::f` or `Self::f`);
//! - a struct, enum, union, static, const or type alias that mentions a seed makes its name and
//!   its field names seeds, since values of those types can carry what the catalog knows;
//! - `a as b` with `a` a seed makes `b` one.
//!
//! A body that can hold an async context (an `async fn`, block or closure, a closure handed
//! to `poll_fn`, a function the executor polls) is kept when it mentions a seed of async
//! code; a sync body is kept when it is relevant and a kept body reaches it through a chain
//! of relevant functions that spell each other's names, since a blocking helper only
//! matters where async code calls it. Every other body is replaced by spaces
//! (newlines kept), which preserves every byte offset, line and column. What an elided body
//! contains cannot be a finding (it has no async context) and cannot make a function that
//! async code reaches blocking (it names nothing the catalog, the type facts or a blocking
//! helper could match, or nothing async calls it),
//! so the findings are the same with and without the pre-scan; `tests/prescan.rs` checks that
//! on the fixtures and the corpus test compares both on real crates.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};
use std::ops::Range;

/// An identifier's hash. 32 bits halve the pre-scan's memory (its mentions are most of a
/// run's peak on a large tree), and a collision only ever keeps a body: two names that share
/// a hash make a body mention a seed it does not spell. The comparisons that blank or
/// stop propagation instead (`Header::followed`, the polled traits) compare bytes.
pub(crate) type NameHash = u32;

/// Identifier hashes are already well mixed: hash sets of them need no second hash. The hash
/// fills both halves of the 64 bits, since the table reads its top bits too.
#[derive(Default)]
pub(crate) struct IdentityHasher(u64);

impl Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.0 = (u64::from(n) << 32) | u64::from(n);
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

pub(crate) type NameSet = HashSet<NameHash, BuildHasherDefault<IdentityHasher>>;

/// FNV-1a, then a final mix folded to 32 bits: stable across runs and cheap on short
/// identifiers.
pub(crate) fn name_hash(name: &[u8]) -> NameHash {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in name {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash ^= hash >> 33;
    hash = hash.wrapping_mul(0xff51_afd7_ed55_8ccd);
    hash ^= hash >> 33;
    // Truncation keeps the low half, which the final mix has spread every input bit into.
    hash as NameHash
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Kind {
    Ident,
    /// One byte of punctuation: `::` is two tokens.
    Punct(u8),
    Literal,
    Lifetime,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Token {
    pub(crate) kind: Kind,
    pub(crate) start: u32,
    pub(crate) end: u32,
    hash: NameHash,
}

impl Token {
    /// The bytes of `src` (the text it was lexed from) the token spans.
    pub(crate) fn text<'a>(&self, src: &'a [u8]) -> &'a [u8] {
        &src[self.start as usize..self.end as usize]
    }
}

/// A text split into tokens once, for everything that reads a file's tokens before syn
/// parses it: its `mod` declarations (`crate_model`), its nesting depth (`nesting`) and
/// the pre-scan. Lexing was a third of their cost when each walked the bytes itself.
pub(crate) struct Lexed {
    tokens: Vec<Token>,
    /// Doc comments that document something (see [`tokenize`]).
    docs: Vec<Range<usize>>,
}

impl Lexed {
    pub(crate) fn tokens(&self) -> &[Token] {
        &self.tokens
    }
}

/// `src` as tokens, or `None` when it cannot be lexed (an unterminated string or comment):
/// syn then reports the error.
pub(crate) fn lex(src: &str) -> Option<Lexed> {
    let mut docs = Vec::new();
    let tokens = tokenize(src.as_bytes(), &mut docs)?;
    Some(Lexed { tokens, docs })
}

/// Splits `src` into tokens; `None` when it cannot be lexed (an unterminated string or
/// comment), in which case nothing is elided and syn reports the error. The byte ranges of
/// doc comments go to `docs`.
fn tokenize(src: &[u8], docs: &mut Vec<Range<usize>>) -> Option<Vec<Token>> {
    // Doc comments with whether they are inner (`//!`) and the index of the token after them.
    let mut found: Vec<(Range<usize>, bool, usize)> = Vec::new();
    let tokens = tokenize_into(src, &mut found)?;
    // Only doc comments that document something: syn rejects one before a closing
    // delimiter or the end of the file, and an inner one after other tokens, as rustc
    // does; blanking those would hide a syntax error.
    for (range, inner, next) in found {
        let documents = if inner {
            next == 0 || tokens[next - 1].kind == Kind::Punct(b'{')
        } else {
            tokens
                .get(next)
                .is_some_and(|t| !matches!(t.kind, Kind::Punct(b')' | b']' | b'}')))
        };
        if documents {
            push_blank(docs, range, src);
        }
    }
    Some(tokens)
}

/// Adds `range` to a list of ranges to blank, as part of the last one when only whitespace
/// lies between them: blanking whitespace changes nothing a parser sees, and a run holds
/// millions of these ranges until each file is analyzed (a doc comment is a range a line).
fn push_blank(list: &mut Vec<Range<usize>>, range: Range<usize>, src: &[u8]) {
    if let Some(last) = list.last_mut() {
        if last.end <= range.start
            && src[last.end..range.start]
                .iter()
                .all(u8::is_ascii_whitespace)
        {
            last.end = last.end.max(range.end);
            return;
        }
    }
    list.push(range);
}

fn tokenize_into(src: &[u8], docs: &mut Vec<(Range<usize>, bool, usize)>) -> Option<Vec<Token>> {
    let mut tokens = Vec::with_capacity(src.len() / 5);
    let mut i = 0usize;
    let n = src.len();
    let is_ident_start = |b: u8| b == b'_' || b.is_ascii_alphabetic() || b >= 0x80;
    // A table: identifier bytes are a third of a text, each tested here.
    let is_ident_continue = |b: u8| IDENT_CONTINUE[usize::from(b)];
    while i < n {
        let b = src[i];
        if b.is_ascii_whitespace() {
            i += 1;
            while i < n && src[i].is_ascii_whitespace() {
                i += 1;
            }
            continue;
        }
        let start = i;
        // Comments.
        if b == b'/' && i + 1 < n && src[i + 1] == b'/' {
            // Comments are a fifth of a typical crate's bytes: find their ends by memchr.
            i = memchr::memchr(b'\n', &src[i..]).map_or(n, |end| i + end);
            // `///` and `//!`, not `////`.
            let line = &src[start..i];
            if line.starts_with(b"//!") || (line.starts_with(b"///") && !line.starts_with(b"////"))
            {
                docs.push((start..i, line.starts_with(b"//!"), tokens.len()));
            }
            continue;
        }
        if b == b'/' && i + 1 < n && src[i + 1] == b'*' {
            let mut depth = 0usize;
            while i < n {
                if src[i] == b'/' && i + 1 < n && src[i + 1] == b'*' {
                    depth += 1;
                    i += 2;
                } else if src[i] == b'*' && i + 1 < n && src[i + 1] == b'/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            if depth != 0 {
                return None;
            }
            // `/** .. */` and `/*! .. */`, not `/***`, nor the empty `/**/`.
            let comment = &src[start..i];
            if comment.starts_with(b"/*!")
                || (comment.starts_with(b"/**")
                    && !comment.starts_with(b"/***")
                    && comment.len() > 4)
            {
                docs.push((start..i, comment.starts_with(b"/*!"), tokens.len()));
            }
            continue;
        }
        // Raw strings and raw identifiers: r"..", r#".."#, br"..", cr#".."#, r#ident.
        if matches!(b, b'r' | b'b' | b'c') {
            let mut j = i;
            if b != b'r' && j + 1 < n && src[j + 1] == b'r' {
                j += 1;
            }
            if src[j] == b'r' && j + 1 < n && (src[j + 1] == b'"' || src[j + 1] == b'#') {
                let mut k = j + 1;
                let mut hashes = 0usize;
                while k < n && src[k] == b'#' {
                    hashes += 1;
                    k += 1;
                }
                if k < n && src[k] == b'"' {
                    k += 1;
                    loop {
                        if k >= n {
                            return None;
                        }
                        if src[k] == b'"'
                            && src[k + 1..].len() >= hashes
                            && src[k + 1..k + 1 + hashes].iter().all(|&h| h == b'#')
                        {
                            k += 1 + hashes;
                            break;
                        }
                        k += 1;
                    }
                    tokens.push(Token {
                        kind: Kind::Literal,
                        start: start as u32,
                        end: k as u32,
                        hash: 0,
                    });
                    i = skip_suffix(src, k);
                    continue;
                }
                if b == b'r' && hashes == 1 && k < n && is_ident_start(src[k]) {
                    // r#ident: the identifier without its prefix.
                    let ident_start = k;
                    while k < n && is_ident_continue(src[k]) {
                        k += 1;
                    }
                    tokens.push(Token {
                        kind: Kind::Ident,
                        start: start as u32,
                        end: k as u32,
                        hash: name_hash(&src[ident_start..k]),
                    });
                    i = k;
                    continue;
                }
            }
            // b"..", c"..", b'x'
            if b != b'r' && i + 1 < n && (src[i + 1] == b'"' || (b == b'b' && src[i + 1] == b'\''))
            {
                let quote = src[i + 1];
                let end = skip_quoted(src, i + 2, quote)?;
                tokens.push(Token {
                    kind: Kind::Literal,
                    start: start as u32,
                    end: end as u32,
                    hash: 0,
                });
                i = skip_suffix(src, end);
                continue;
            }
        }
        if is_ident_start(b) {
            while i < n && is_ident_continue(src[i]) {
                i += 1;
            }
            let word = &src[start..i];
            // Every name containing `spawn_blocking` is an offload entry point to the checker.
            let hash = if word.len() > SPAWN_BLOCKING.len()
                && word
                    .windows(SPAWN_BLOCKING.len())
                    .any(|w| w == SPAWN_BLOCKING)
            {
                name_hash(SPAWN_BLOCKING)
            } else {
                name_hash(word)
            };
            tokens.push(Token {
                kind: Kind::Ident,
                start: start as u32,
                end: i as u32,
                hash,
            });
            continue;
        }
        if b.is_ascii_digit() {
            i += 1;
            while i < n {
                let c = src[i];
                let fraction = c == b'.'
                    && i + 1 < n
                    && src[i + 1].is_ascii_digit()
                    && !src[start..i].contains(&b'.');
                let exponent_sign = (c == b'+' || c == b'-')
                    && matches!(src[i - 1], b'e' | b'E')
                    && !src[start..i].starts_with(b"0x");
                if c.is_ascii_alphanumeric() || c == b'_' || fraction || exponent_sign {
                    i += 1;
                } else {
                    break;
                }
            }
            tokens.push(Token {
                kind: Kind::Literal,
                start: start as u32,
                end: i as u32,
                hash: 0,
            });
            continue;
        }
        if b == b'"' {
            let end = skip_quoted(src, i + 1, b'"')?;
            tokens.push(Token {
                kind: Kind::Literal,
                start: start as u32,
                end: end as u32,
                hash: 0,
            });
            i = skip_suffix(src, end);
            continue;
        }
        if b == b'\'' {
            // A char literal ('a', '\n', '\u{1F600}', 'é') or a lifetime/label ('a, 'static).
            if i + 1 < n && src[i + 1] == b'\\' {
                let end = skip_quoted(src, i + 1, b'\'')?;
                tokens.push(Token {
                    kind: Kind::Literal,
                    start: start as u32,
                    end: end as u32,
                    hash: 0,
                });
                i = end;
                continue;
            }
            let char_len = utf8_len(src.get(i + 1).copied().unwrap_or(0));
            if i + 1 + char_len < n && src[i + 1 + char_len] == b'\'' {
                i += 2 + char_len;
                tokens.push(Token {
                    kind: Kind::Literal,
                    start: start as u32,
                    end: i as u32,
                    hash: 0,
                });
                continue;
            }
            i += 1;
            while i < n && is_ident_continue(src[i]) {
                i += 1;
            }
            tokens.push(Token {
                kind: Kind::Lifetime,
                start: start as u32,
                end: i as u32,
                hash: 0,
            });
            continue;
        }
        tokens.push(Token {
            kind: Kind::Punct(b),
            start: start as u32,
            end: (i + 1) as u32,
            hash: 0,
        });
        i += 1;
    }
    Some(tokens)
}

const SPAWN_BLOCKING: &[u8] = b"spawn_blocking";

/// The bytes that continue an identifier: `_`, ASCII letters and digits, and every byte of a
/// non-ASCII character.
static IDENT_CONTINUE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let byte = b as u8;
        table[b] = byte == b'_' || byte.is_ascii_alphanumeric() || byte >= 0x80;
        b += 1;
    }
    table
};

fn utf8_len(first: u8) -> usize {
    match first {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

/// The index just past the closing `quote` of a literal whose content starts at `from`.
fn skip_quoted(src: &[u8], mut from: usize, quote: u8) -> Option<usize> {
    while from < src.len() {
        from += memchr::memchr2(b'\\', quote, &src[from..])?;
        if src[from] == quote {
            return Some(from + 1);
        }
        from += 2;
    }
    None
}

/// Literal suffixes (`"a"suffix`, rare in practice) are part of the literal.
fn skip_suffix(src: &[u8], mut from: usize) -> usize {
    while from < src.len() && (src[from] == b'_' || src[from].is_ascii_alphanumeric()) {
        from += 1;
    }
    from
}

/// A function found by the pre-scan.
#[derive(Debug)]
pub(crate) struct ScannedFn {
    /// The name that a relevant function adds to the seeds, if any.
    propagates: Option<NameHash>,
    /// An `async fn` or a function the executor polls: calling it blocks nothing.
    is_async_fn: bool,
    /// May hold an async context: kept whatever it mentions.
    async_marker: bool,
    /// The bytes between the body's braces.
    body: Range<usize>,
    /// Identifiers of the signature and the body, sorted and deduplicated (in
    /// [`FileScan::hashes`]).
    mentions: Range<u32>,
    /// The enclosing impl or trait header (index into [`FileScan::headers`]), whose
    /// identifiers the function mentions too.
    header: Option<u32>,
    /// The body spells a name its parameter patterns bind: it may hand a parameter to an
    /// offload entry point, which makes the function an offload wrapper.
    body_spells_parameter: bool,
}

/// A type-like item: its names (the item, its fields) and what it mentions.
#[derive(Debug)]
struct ScannedType {
    names: Range<u32>,
    mentions: Range<u32>,
}

/// What the pre-scan learned of one file.
#[derive(Debug, Default)]
pub(crate) struct FileScan {
    /// The identifier lists of the file's functions, types and headers, end to end: one
    /// allocation per file, not one or two per item (a registry cache has over a million
    /// items, mostly statics and consts).
    hashes: Vec<NameHash>,
    functions: Vec<ScannedFn>,
    types: Vec<ScannedType>,
    /// `a as b`: `b` names whatever `a` names.
    renames: Vec<(NameHash, NameHash)>,
    /// The file could not be lexed or its delimiters do not balance: nothing is elided.
    opaque: bool,
    /// Every identifier of the file, sorted and deduplicated.
    idents: Vec<NameHash>,
    /// Identifiers of the file's `use` declarations, sorted and deduplicated.
    use_idents: Vec<NameHash>,
    /// A glob import that may bring names another file imported.
    foreign_glob: bool,
    /// Identifiers of each impl or trait header, sorted and deduplicated: stored once, not
    /// in each of its functions' mentions.
    headers: Vec<Range<u32>>,
    /// Doc comments: syn makes each a `#[doc = ".."]` attribute (a string literal escaped
    /// and unescaped again), which no rule reads; a fifth of a typical crate's bytes.
    docs: Vec<Range<usize>>,
    /// What the declarations pass never reads ([`skeleton`]) though the analysis does:
    /// the bodies of traits (only their names are read) and of item macros (only
    /// `lazy_static!` declares what it reads), outside function bodies.
    undeclaring: Vec<Range<usize>>,
    /// What no pass reads, and a blank where it was still parses:
    /// - attributes outside function bodies, brackets included (the checker reads only
    ///   those of `let` statements, and the crate model its `#[path]`s from the text);
    /// - the generic parameters (inside their `<>`) and `where` clauses of functions,
    ///   impls, traits, structs, enums and unions (neither the checker nor the resolver
    ///   binds a type parameter);
    /// - the bodies of enums (the resolver reads only their names) and of `extern` blocks.
    ///
    /// In the corpus, attributes were a tenth of what the analysis parsed outside function
    /// bodies, and in generic code bounds and `where` clauses are much of every signature.
    unread: Vec<Range<usize>>,
    /// Initializers of statics and consts that spell no identifier (data tables): no pass
    /// reads anything in them.
    inert: Vec<Range<usize>>,
    /// Per function (index into [`FileScan::functions`]), the part of its signature the
    /// declarations pass never reads when it does not read the body either: the inside of
    /// its parameter list (of the rest, only the return type is read, see
    /// [`FileScan::unread`]).
    unread_signature: Vec<(u32, Range<usize>)>,
}

impl FileScan {
    /// Every list of a run's scans waits for the plan, which sees them all at once; the
    /// lists grow by doubling, and `idents` is deduplicated in place from every identifier
    /// the file spells: on a registry cache (397 MB of text), 310 MB of capacity held
    /// 152 MB of lists.
    fn shrink_to_fit(&mut self) {
        self.hashes.shrink_to_fit();
        self.functions.shrink_to_fit();
        self.types.shrink_to_fit();
        self.renames.shrink_to_fit();
        self.idents.shrink_to_fit();
        self.use_idents.shrink_to_fit();
        self.headers.shrink_to_fit();
        self.docs.shrink_to_fit();
        self.undeclaring.shrink_to_fit();
        self.unread.shrink_to_fit();
        self.inert.shrink_to_fit();
        self.unread_signature.shrink_to_fit();
    }

    /// Every identifier `function` mentions, with those of its impl or trait header.
    fn mentions<'a>(&'a self, function: &'a ScannedFn) -> impl Iterator<Item = &'a NameHash> + 'a {
        let header = function
            .header
            .map_or(&[][..], |h| self.list(&self.headers[h as usize]));
        self.list(&function.mentions).iter().chain(header)
    }

    /// An identifier list of [`FileScan::hashes`].
    fn list(&self, range: &Range<u32>) -> &[NameHash] {
        &self.hashes[range.start as usize..range.end as usize]
    }
}

/// Words after `const` that make it a function qualifier, not a constant.
const QUALIFIERS: &[&[u8]] = &[b"fn", b"unsafe", b"async", b"extern"];

/// Keywords that a `!` can follow in an expression (`return !(a && b)`): not macro names.
const EXPRESSION_KEYWORDS: &[&[u8]] = &[
    b"return", b"break", b"in", b"match", b"if", b"while", b"else", b"yield", b"move", b"let",
];

const KEYWORDS_BEFORE_ITEM: &[&[u8]] = &[b"pub", b"unsafe", b"default", b"auto", b"extern"];

struct Scanner<'a> {
    src: &'a [u8],
    tokens: Vec<Token>,
    /// For each opening delimiter, the index of its closing one.
    closing: Vec<u32>,
    scan: FileScan,
    /// How many function bodies enclose the tokens being scanned: a function body the
    /// declarations pass keeps is read whole, its macros included.
    in_function: u32,
}

impl<'a> Scanner<'a> {
    /// The bytes of `token`.
    fn text(&self, token: Token) -> &'a [u8] {
        &self.src[token.start as usize..token.end as usize]
    }

    /// The bytes between delimiter tokens `open` and `close`.
    fn inside(&self, open: usize, close: usize) -> Range<usize> {
        self.tokens[open].end as usize..self.tokens[close].start as usize
    }

    fn ident_is(&self, index: usize, word: &[u8]) -> bool {
        self.tokens
            .get(index)
            .is_some_and(|t| t.kind == Kind::Ident && self.text(*t) == word)
    }

    /// Whether the `>` at `index` ends a `->` or `=>` rather than closing an angle bracket.
    fn is_arrow_head(&self, index: usize) -> bool {
        index > 0
            && matches!(self.tokens[index - 1].kind, Kind::Punct(b'-' | b'='))
            && self.tokens[index - 1].end == self.tokens[index].start
    }

    fn punct_is(&self, index: usize, c: u8) -> bool {
        self.tokens
            .get(index)
            .is_some_and(|t| t.kind == Kind::Punct(c))
    }

    /// Whether the token at `index` starts an item: after `;`, `{`, `}`, an attribute's `]`
    /// or a visibility or qualifier keyword.
    fn at_item_position(&self, index: usize) -> bool {
        let mut i = index;
        while i > 0 {
            let previous = &self.tokens[i - 1];
            match previous.kind {
                Kind::Punct(b';' | b'{' | b'}' | b']') => return true,
                // `pub(crate)`
                Kind::Punct(b')') => {
                    return i >= 2 && {
                        let mut j = i - 2;
                        while j > 0 && !self.punct_is(j, b'(') {
                            j -= 1;
                        }
                        j > 0 && self.ident_is(j - 1, b"pub")
                    };
                }
                Kind::Ident => {
                    let word = self.text(*previous);
                    if KEYWORDS_BEFORE_ITEM.contains(&word) {
                        i -= 1;
                        continue;
                    }
                    return false;
                }
                // `extern "C"`
                Kind::Literal if i >= 2 && self.ident_is(i - 2, b"extern") => {
                    i -= 1;
                    continue;
                }
                _ => return false,
            }
        }
        true
    }

    /// Whether the innermost braces around token `index` are an inline `mod name { .. }`.
    fn in_inline_module(&self, index: usize) -> bool {
        let mut depth = 0usize;
        let mut k = index;
        while k > 0 {
            k -= 1;
            match self.tokens[k].kind {
                Kind::Punct(b'}') => depth += 1,
                Kind::Punct(b'{') if depth > 0 => depth -= 1,
                Kind::Punct(b'{') => {
                    return k >= 2 && self.ident_is(k - 2, b"mod");
                }
                _ => {}
            }
        }
        false
    }

    /// The identifiers of `range`, sorted and deduplicated, appended to the file's lists.
    fn mentions(&mut self, range: Range<usize>) -> Range<u32> {
        let hashes = ident_hashes(&self.tokens[range]);
        append_sorted_unique(&mut self.scan.hashes, hashes)
    }

    /// Scans tokens `range` (an item list or a block): items found inside blocks count too.
    /// `header` is the enclosing impl or trait: its identifiers and self type.
    fn scan(&mut self, range: Range<usize>, header: Option<&Header>) {
        let mut i = range.start;
        while i < range.end {
            let token = self.tokens[i];
            if token.kind == Kind::Punct(b'#') && self.in_function == 0 {
                self.attribute(i);
            }
            if token.kind != Kind::Ident {
                i += 1;
                continue;
            }
            if self.punct_is(i + 1, b'!') {
                if let Some(after) = self.opaque_macro(i) {
                    i = after;
                    continue;
                }
            }
            let word = self.text(token);
            match word {
                b"fn"
                    if self
                        .tokens
                        .get(i + 1)
                        .is_some_and(|t| t.kind == Kind::Ident) =>
                {
                    i = self.function(i, range.end, header);
                }
                b"impl" | b"trait" if self.at_item_position(i) => {
                    i = self.impl_or_trait(i, range.end, word == b"trait");
                }
                b"struct" | b"enum" | b"union"
                    if self
                        .tokens
                        .get(i + 1)
                        .is_some_and(|t| t.kind == Kind::Ident)
                        && self.at_item_position(i) =>
                {
                    i = self.type_item(i, range.end, true, false);
                }
                b"static" | b"const" | b"type"
                    if (self.at_item_position(i) || self.ident_is(i.wrapping_sub(1), b"ref"))
                        && !QUALIFIERS.iter().any(|q| self.ident_is(i + 1, q)) =>
                {
                    i = self.type_item(i, range.end, false, header.is_some());
                }
                // `use a::b as c;`, `extern crate a as b;`: casts and `<T as Trait>` rename
                // nothing.
                b"use" | b"extern" if self.at_item_position(i) => {
                    let mut k = i + 1;
                    while k < range.end && !self.punct_is(k, b';') {
                        // `extern "C" { .. }` holds declarations, not a use list.
                        if word == b"extern" && self.punct_is(k, b'{') {
                            if k == i + 1
                                || (k == i + 2 && self.tokens[i + 1].kind == Kind::Literal)
                            {
                                let body = self.inside(k, self.closing[k] as usize);
                                push_blank(&mut self.scan.unread, body, self.src);
                            }
                            break;
                        }
                        if self.ident_is(k, b"as") {
                            if let (Some(before), Some(after)) =
                                (self.tokens.get(k - 1), self.tokens.get(k + 1))
                            {
                                // `use io::Write as _` names nothing.
                                if before.kind == Kind::Ident
                                    && after.kind == Kind::Ident
                                    && self.text(*after) != b"_"
                                {
                                    self.scan.renames.push((before.hash, after.hash));
                                }
                            }
                        }
                        if self.tokens[k].kind == Kind::Ident {
                            self.scan.use_idents.push(self.tokens[k].hash);
                        }
                        // A glob brings names spelled in another file, except `super::*`
                        // in an inline module, whose parent is this file.
                        if self.punct_is(k, b'*') {
                            let inline_super = k == i + 4
                                && self.ident_is(i + 1, b"super")
                                && self.in_inline_module(i);
                            if !inline_super {
                                self.scan.foreign_glob = true;
                            }
                        }
                        k += 1;
                    }
                    i += 1;
                }
                _ if self.in_function == 0 && self.punct_is(i + 1, b'!') => {
                    self.item_macro(i);
                    i += 1;
                }
                _ => i += 1,
            }
        }
    }

    /// The opening delimiter of the invocation whose name is token `name` (followed by
    /// `!`), if a delimited body follows: after the defined name for `macro_rules! m { .. }`.
    fn macro_delimiter(&self, name: usize) -> Option<usize> {
        let mut open = name + 2;
        if self.ident_is(name, b"macro_rules")
            && self.tokens.get(open).is_some_and(|t| t.kind == Kind::Ident)
        {
            open += 1;
        }
        matches!(
            self.tokens.get(open).map(|t| t.kind),
            Some(Kind::Punct(b'{' | b'(' | b'['))
        )
        .then_some(open)
    }

    /// Records in [`FileScan::unread`] the inside of the invocation whose name is token
    /// `name` (followed by `!`) when the checker never reads what a macro of that name
    /// holds ([`crate::macros::OPAQUE`]: `macro_rules!` definitions, `quote!`,
    /// `include_str!`, ..): a blank between its delimiters still parses, as an invocation
    /// of nothing. Returns the token after the invocation, whose inside is not scanned
    /// either: no pass sees the functions it spells.
    fn opaque_macro(&mut self, name: usize) -> Option<usize> {
        if !crate::macros::is_opaque(self.text(self.tokens[name])) {
            return None;
        }
        let open = self.macro_delimiter(name)?;
        let close = self.closing[open] as usize;
        let inside = self.inside(open, close);
        push_blank(&mut self.scan.unread, inside, self.src);
        Some(close + 1)
    }

    /// Records the body of the item macro whose name is token `name` (`cfg_rt! { .. }`,
    /// `a::b!(..);`, `macro_rules! m { .. }`) as unread by the declarations pass, unless it
    /// is `lazy_static!`, whose statics that pass reads.
    fn item_macro(&mut self, name: usize) {
        let Some(open) = self.macro_delimiter(name) else {
            return;
        };
        if self.ident_is(name, b"lazy_static")
            || EXPRESSION_KEYWORDS.contains(&self.text(self.tokens[name]))
        {
            return;
        }
        // The path's first segment must start an item: `a::b!` at `a`.
        let mut start = name;
        while start >= 2 && self.punct_is(start - 1, b':') && self.punct_is(start - 2, b':') {
            start -= 2;
            if start >= 1 && self.tokens[start - 1].kind == Kind::Ident {
                start -= 1;
            }
        }
        if self.at_item_position(start) {
            self.undeclare(open, self.closing[open] as usize);
        }
    }

    /// Records the initializer of the static or const whose name is token `name` and whose
    /// `;` is token `end`, when it is one delimited group (after an optional `&`, `&mut`, or
    /// path with an optional `!`: `[..]`, `&[..]`, `Table { .. }`, `Lazy::new(..)`,
    /// `vec![..]`), blank inside, which still parses: the declarations pass reads a static's
    /// type only. A group that spells no identifier at all (a data table: numbers, strings,
    /// punctuation) holds no path, call or async context, so no pass needs it.
    fn initializer(&mut self, name: usize, end: usize) {
        if !self.punct_is(end, b';') {
            return;
        }
        let mut k = name;
        while k < end && !self.punct_is(k, b'=') {
            if matches!(self.tokens[k].kind, Kind::Punct(b'(' | b'[' | b'{')) {
                k = self.closing[k] as usize;
            }
            k += 1;
        }
        let mut open = k + 1;
        if self.punct_is(open, b'&') {
            open += 1;
            if self.ident_is(open, b"mut") {
                open += 1;
            }
        }
        if self.tokens.get(open).is_some_and(|t| t.kind == Kind::Ident) {
            while self.punct_is(open + 1, b':')
                && self.punct_is(open + 2, b':')
                && self
                    .tokens
                    .get(open + 3)
                    .is_some_and(|t| t.kind == Kind::Ident)
            {
                open += 3;
            }
            open += 1;
            if self.punct_is(open, b'!') {
                open += 1;
            }
        }
        if open >= end
            || !matches!(self.tokens[open].kind, Kind::Punct(b'(' | b'[' | b'{'))
            || self.closing[open] as usize != end - 1
        {
            return;
        }
        let close = end - 1;
        let body = self.inside(open, close);
        if self.tokens[open + 1..close]
            .iter()
            .all(|t| t.kind != Kind::Ident)
        {
            self.scan.inert.push(body);
        } else if self.in_function == 0 {
            self.scan.undeclaring.push(body);
        }
    }

    /// Records the attribute starting at `#` token `hash` (`#[..]`, `#![..]`) in
    /// [`FileScan::unread`].
    fn attribute(&mut self, hash: usize) {
        let open = if self.punct_is(hash + 1, b'[') {
            hash + 1
        } else if self.punct_is(hash + 1, b'!') && self.punct_is(hash + 2, b'[') {
            hash + 2
        } else {
            return;
        };
        let close = self.closing[open] as usize;
        let whole = self.tokens[hash].start as usize..self.tokens[close].end as usize;
        push_blank(&mut self.scan.unread, whole, self.src);
    }

    /// Records the bytes between delimiter tokens `open` and `close` in
    /// [`FileScan::undeclaring`].
    fn undeclare(&mut self, open: usize, close: usize) {
        let body = self.inside(open, close);
        self.scan.undeclaring.push(body);
    }

    /// The index of the `{` or `;` that ends a signature or header starting at `from`:
    /// the first one outside parentheses, brackets and angle brackets.
    fn header_end(&self, from: usize, limit: usize) -> Option<usize> {
        let mut angle = 0i32;
        let mut i = from;
        while i < limit {
            match self.tokens[i].kind {
                Kind::Punct(b'(' | b'[') => {
                    i = self.closing[i] as usize + 1;
                    continue;
                }
                Kind::Punct(b'<') => angle += 1,
                Kind::Punct(b'>') if !self.is_arrow_head(i) => angle -= 1,
                Kind::Punct(b'{') if angle <= 0 => return Some(i),
                // `Foo<{ N + 1 }>`: a const argument, not the body.
                Kind::Punct(b'{') => {
                    i = self.closing[i] as usize + 1;
                    continue;
                }
                Kind::Punct(b';') if angle <= 0 => return Some(i),
                _ => {}
            }
            i += 1;
        }
        None
    }

    fn function(&mut self, fn_index: usize, limit: usize, header: Option<&Header>) -> usize {
        let name_token = self.tokens[fn_index + 1];
        let name = self.text(name_token);
        let Some(end) = self.header_end(fn_index + 2, limit) else {
            return fn_index + 2;
        };
        if self.tokens[end].kind == Kind::Punct(b';') {
            return end + 1;
        }
        let close = self.closing[end] as usize;
        // Qualifiers before `fn`: `pub(crate) const async unsafe extern "C"`.
        let mut is_async_fn = false;
        let mut j = fn_index;
        while j > 0 {
            let t = self.tokens[j - 1];
            match t.kind {
                Kind::Ident | Kind::Literal => {
                    if t.kind == Kind::Ident && self.text(t) == b"async" {
                        is_async_fn = true;
                    }
                    j -= 1;
                }
                _ => break,
            }
        }
        let mentions = self.mentions(fn_index..close + 1);
        let header_mentions =
            header.map_or(&[][..], |h| self.scan.list(&self.scan.headers[h.index]));
        // The checker's executor-polled functions: their code is an async context, so they
        // never make their callers block.
        let polled = header.and_then(|h| h.trait_name).is_some_and(|t| {
            let t = self.text(t);
            (POLLED_TRAITS.contains(&t) && name.starts_with(b"poll"))
                || (t == b"Service" && name == b"call")
        }) || self.takes_task_context(fn_index + 2, end);
        // Everything else the checker runs as an async context is spelled: `async` blocks
        // and closures, and closures handed to `poll_fn` (or a rename of it, see `scan`).
        let markers = async_markers();
        let async_marker = is_async_fn
            || polled
            || self
                .scan
                .list(&mentions)
                .iter()
                .chain(header_mentions)
                .any(|m| markers.contains(m));
        // A method is reached as `x.f(..)` (callers spell its name); an associated function
        // as `Type::f(..)` (callers spell its type). Calls on the standard library's types
        // and on type parameters are never followed (`is_standard_library`, and a bare
        // type parameter names no crate of the run): what such impls hold seeds nothing.
        let has_self = (fn_index + 2..end).any(|k| self.ident_is(k, b"self"));
        let propagates = match header {
            Some(header) if header.self_type.is_some() && !header.followed => None,
            Some(Header {
                self_type: Some(owner),
                ..
            }) if !has_self => Some(*owner),
            _ => Some(name_token.hash),
        };
        self.unread_signature(fn_index + 2, end);
        self.generics(fn_index + 2, end);
        let parameters = self.parameter_names(fn_index + 2, end);
        let body_spells_parameter = !parameters.is_empty()
            && self.tokens[end + 1..close]
                .iter()
                .any(|t| t.kind == Kind::Ident && parameters.contains(&t.hash));
        self.scan.functions.push(ScannedFn {
            propagates,
            is_async_fn: is_async_fn || polled,
            async_marker,
            body: self.inside(end, close),
            mentions,
            header: header.map(|h| h.index as u32),
            body_spells_parameter,
        });
        // Items inside the body (nested functions, impls) are functions of their own.
        self.in_function += 1;
        self.scan(end + 1..close, None);
        self.in_function -= 1;
        close + 1
    }

    /// Records, for the function about to be pushed, the inside of its parameter list: the
    /// signature tokens from `from` (after the name) to the body's `{` at `end`. Its generic
    /// parameters and `where` clause are [`FileScan::unread`].
    fn unread_signature(&mut self, from: usize, end: usize) {
        let function = self.scan.functions.len() as u32;
        let mut i = from;
        if self.punct_is(i, b'<') {
            let Some(close) = self.generics_close(from, end) else {
                return;
            };
            i = close + 1;
        }
        if !self.punct_is(i, b'(') {
            return;
        }
        let close = self.closing[i] as usize;
        self.scan
            .unread_signature
            .push((function, self.inside(i, close)));
    }

    /// Records in [`FileScan::unread`] the inside of the generic parameters opening at
    /// token `from`, if any, and the `where` clause that ends at the `{` or `;` at `end`:
    /// the first `where` outside delimiters (a function's parameters, a tuple struct's
    /// fields).
    fn generics(&mut self, from: usize, end: usize) {
        let mut k = from;
        if self.punct_is(from, b'<') {
            let Some(close) = self.generics_close(from, end) else {
                return;
            };
            let inside = self.inside(from, close);
            push_blank(&mut self.scan.unread, inside, self.src);
            k = close + 1;
        }
        while k < end {
            if matches!(self.tokens[k].kind, Kind::Punct(b'(' | b'[' | b'{')) {
                k = self.closing[k] as usize + 1;
                continue;
            }
            if self.ident_is(k, b"where") {
                let clause = self.tokens[k].start as usize..self.tokens[end].start as usize;
                push_blank(&mut self.scan.unread, clause, self.src);
                break;
            }
            k += 1;
        }
    }

    /// The `>` that closes the generic parameters opening with the `<` at `open`, if it
    /// comes before `end`.
    fn generics_close(&self, open: usize, end: usize) -> Option<usize> {
        let mut depth = 0i32;
        let mut i = open;
        while i < end {
            match self.tokens[i].kind {
                Kind::Punct(b'(' | b'[' | b'{') => i = self.closing[i] as usize,
                Kind::Punct(b'<') => depth += 1,
                Kind::Punct(b'>') if !self.is_arrow_head(i) => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(i);
                    }
                }
                _ => {}
            }
            i += 1;
        }
        None
    }

    /// Every identifier of the parameter patterns of the signature from `from` (after the
    /// name) to the body's `{` at `end`, but `self`: the names the parameters bind, with
    /// whatever else a pattern spells (struct names of destructuring patterns) and, where a
    /// type's generic arguments hold a comma, some of that type's names.
    fn parameter_names(&self, from: usize, end: usize) -> Vec<NameHash> {
        let mut names = Vec::new();
        let open = if self.punct_is(from, b'<') {
            match self.generics_close(from, end) {
                Some(close) => close + 1,
                None => return names,
            }
        } else {
            from
        };
        if open >= end || !self.punct_is(open, b'(') {
            return names;
        }
        let close = self.closing[open] as usize;
        let mut in_pattern = true;
        let mut depth = 0usize;
        for k in open + 1..close {
            let token = self.tokens[k];
            match token.kind {
                Kind::Punct(b'(' | b'[' | b'{') => depth += 1,
                Kind::Punct(b')' | b']' | b'}') => depth = depth.saturating_sub(1),
                Kind::Punct(b',') if depth == 0 => in_pattern = true,
                // A lone `:` (not half of `::`) ends the pattern.
                Kind::Punct(b':')
                    if depth == 0 && !self.punct_is(k + 1, b':') && !self.punct_is(k - 1, b':') =>
                {
                    in_pattern = false;
                }
                Kind::Ident if in_pattern && self.text(token) != b"self" => names.push(token.hash),
                _ => {}
            }
        }
        names
    }

    fn impl_or_trait(&mut self, start: usize, limit: usize, is_trait: bool) -> usize {
        let Some(end) = self.header_end(start + 1, limit) else {
            return start + 1;
        };
        if self.tokens[end].kind == Kind::Punct(b';') {
            return end + 1;
        }
        let close = self.closing[end] as usize;
        let self_type = if is_trait {
            self.tokens
                .get(start + 1)
                .copied()
                .filter(|t| t.kind == Kind::Ident)
        } else {
            self.impl_self_type(start + 1, end)
        };
        let trait_name = if is_trait {
            None
        } else {
            self.impl_trait_name(start + 1, end)
        };
        let followed = self_type.is_some_and(|ty| {
            let ty = self.text(ty);
            !UNFOLLOWED_TYPES.contains(&ty) && !self.impl_generics(start + 1, end).contains(&ty)
        });
        self.generics(if is_trait { start + 2 } else { start + 1 }, end);
        let mentions = self.mentions(start..end);
        self.scan.headers.push(mentions);
        let header = Header {
            index: self.scan.headers.len() - 1,
            self_type: self_type.map(|t| t.hash),
            followed,
            trait_name,
        };
        if is_trait {
            self.undeclare(end, close);
        }
        self.scan(end + 1..close, Some(&header));
        close + 1
    }

    /// The type parameters of `impl<'a, T: X, const N: usize>` starting at token `from`.
    fn impl_generics(&self, from: usize, end: usize) -> Vec<&'a [u8]> {
        let mut params = Vec::new();
        if !self.punct_is(from, b'<') {
            return params;
        }
        let mut depth = 0i32;
        let mut expect_param = false;
        for i in from..end {
            let token = self.tokens[i];
            match token.kind {
                Kind::Punct(b'<') => {
                    depth += 1;
                    expect_param = depth == 1;
                }
                Kind::Punct(b'>') if !self.is_arrow_head(i) => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                Kind::Punct(b',') if depth == 1 => expect_param = true,
                Kind::Ident if expect_param => {
                    if !self.ident_is(i, b"const") {
                        params.push(self.text(token));
                        expect_param = false;
                    }
                }
                _ => expect_param = false,
            }
        }
        params
    }

    /// The last path segment of the trait in `impl<T> a::Trait<T> for Type`.
    fn impl_trait_name(&self, from: usize, end: usize) -> Option<Token> {
        let mut angle = 0i32;
        let mut last = None;
        for i in from..end {
            match self.tokens[i].kind {
                Kind::Punct(b'<') => angle += 1,
                Kind::Punct(b'>') => angle -= 1,
                Kind::Ident if angle == 0 => {
                    if self.ident_is(i, b"for") {
                        return last;
                    }
                    last = Some(self.tokens[i]);
                }
                _ => {}
            }
        }
        None
    }

    /// The last identifier outside angle brackets in tokens `range`: a type's name.
    fn type_name(&self, range: Range<usize>) -> Option<&[u8]> {
        let mut angle = 0i32;
        let mut last = None;
        for i in range {
            match self.tokens[i].kind {
                Kind::Punct(b'<') => angle += 1,
                Kind::Punct(b'>') => angle -= 1,
                Kind::Punct(b'(' | b'[') if angle == 0 => return None,
                Kind::Ident if angle == 0 => {
                    let t = self.tokens[i];
                    last = Some(self.text(t));
                }
                _ => {}
            }
        }
        last
    }

    /// The checker's `takes_task_context`: a signature (tokens `from..end`, after the name)
    /// returning `Poll<..>` with a parameter of type `Context`.
    fn takes_task_context(&self, from: usize, end: usize) -> bool {
        let Some(open) = (from..end).find(|&k| self.punct_is(k, b'(')) else {
            return false;
        };
        let close = self.closing[open] as usize;
        let Some(arrow) =
            (close..end).find(|&k| self.punct_is(k, b'-') && self.punct_is(k + 1, b'>'))
        else {
            return false;
        };
        let return_end = (arrow + 2..end)
            .find(|&k| self.ident_is(k, b"where"))
            .unwrap_or(end);
        if self.type_name(arrow + 2..return_end) != Some(b"Poll") {
            return false;
        }
        // Parameters: `pattern: Type` separated by top-level commas.
        let mut start = open + 1;
        let mut k = open + 1;
        let mut angle = 0i32;
        while k <= close {
            match self.tokens[k].kind {
                Kind::Punct(b'(' | b'[' | b'{') if k < close => {
                    k = self.closing[k] as usize + 1;
                    continue;
                }
                Kind::Punct(b'<') => angle += 1,
                Kind::Punct(b'>') => angle -= 1,
                Kind::Punct(b',') | Kind::Punct(b')') if angle <= 0 => {
                    if let Some(colon) = (start..k).find(|&c| {
                        self.punct_is(c, b':')
                            && !self.punct_is(c + 1, b':')
                            && !self.punct_is(c.wrapping_sub(1), b':')
                    }) {
                        if self.type_name(colon + 1..k) == Some(b"Context") {
                            return true;
                        }
                    }
                    start = k + 1;
                }
                _ => {}
            }
            k += 1;
        }
        false
    }

    /// The last path segment of an impl's self type: `Foo` in `impl<T> Trait for a::Foo<T>`.
    fn impl_self_type(&self, from: usize, end: usize) -> Option<Token> {
        let mut angle = 0i32;
        let mut start = from;
        let mut stop = end;
        for i in from..end {
            match self.tokens[i].kind {
                Kind::Punct(b'<') => angle += 1,
                Kind::Punct(b'>') => angle -= 1,
                Kind::Ident if angle == 0 => {
                    if self.ident_is(i, b"for") {
                        start = i + 1;
                    } else if self.ident_is(i, b"where") {
                        stop = i;
                        break;
                    }
                }
                _ => {}
            }
        }
        let mut angle = 0i32;
        let mut last = None;
        for i in start..stop {
            match self.tokens[i].kind {
                Kind::Punct(b'<') => angle += 1,
                Kind::Punct(b'>') => angle -= 1,
                Kind::Ident if angle == 0 => last = Some(self.tokens[i]),
                _ => {}
            }
        }
        last
    }

    /// struct/enum/union (with `braced` fields), static, const or type alias. An
    /// `associated` type or const (in an impl or trait) is never a declaration the checker
    /// reads, so it names nothing.
    fn type_item(&mut self, start: usize, limit: usize, braced: bool, associated: bool) -> usize {
        let mut names = Vec::new();
        let mut i = start + 1;
        // `static mut X`, `static ref X` (lazy_static!)
        while self.ident_is(i, b"mut") || self.ident_is(i, b"ref") {
            i += 1;
        }
        if let Some(t) = self
            .tokens
            .get(i)
            .filter(|t| t.kind == Kind::Ident && self.text(**t) != b"_")
        {
            names.push(t.hash);
        }
        let is_enum = self.ident_is(start, b"enum");
        let end = if braced {
            let header_end = self.header_end(i + 1, limit);
            if let Some(end) = header_end {
                self.generics(i + 1, end);
            }
            match header_end {
                Some(end) if self.tokens[end].kind == Kind::Punct(b'{') && !is_enum => {
                    let close = self.closing[end] as usize;
                    // Each named field is its own item: its name is a seed when its type
                    // mentions one (a sibling's type says nothing of it), and code reaches
                    // the field's value only by spelling its name.
                    let mut k = end + 1;
                    while k < close {
                        if self.tokens[k].kind == Kind::Punct(b'#') && self.in_function == 0 {
                            self.attribute(k);
                        }
                        if self.tokens[k].kind == Kind::Ident
                            && self.punct_is(k + 1, b':')
                            && !self.punct_is(k + 2, b':')
                        {
                            let type_end = self.field_type_end(k + 2, close);
                            let names =
                                append_sorted_unique(&mut self.scan.hashes, [self.tokens[k].hash]);
                            let mentions = self.mentions(k + 2..type_end);
                            self.scan.types.push(ScannedType { names, mentions });
                            k = type_end;
                        }
                        k += 1;
                    }
                    return close + 1;
                }
                Some(end) if self.tokens[end].kind == Kind::Punct(b'{') => {
                    let close = self.closing[end] as usize;
                    let body = self.inside(end, close);
                    push_blank(&mut self.scan.unread, body, self.src);
                    close
                }
                // A tuple or unit struct: `self.0` spells no field name, so the type's name
                // carries the seed into its impls.
                Some(end) => end,
                None => return start + 1,
            }
        } else {
            // Up to the `;` that ends the item, over initializers' blocks and closures.
            let mut k = i;
            while k < limit && !self.punct_is(k, b';') {
                if matches!(self.tokens[k].kind, Kind::Punct(b'(' | b'[' | b'{')) {
                    k = self.closing[k] as usize;
                }
                k += 1;
            }
            k.min(limit.saturating_sub(1))
        };
        if !braced && !self.ident_is(start, b"type") {
            self.initializer(i, end);
        }
        if associated {
            names.clear();
        }
        let names = append_list(&mut self.scan.hashes, names);
        let mentions = self.mentions(start..end + 1);
        self.scan.types.push(ScannedType { names, mentions });
        // A const or static initializer may hold items (a block with a function in it).
        if !braced {
            return i + 1;
        }
        end + 1
    }

    /// The index of the `,` (or `close`) that ends a field type starting at `from`.
    fn field_type_end(&self, from: usize, close: usize) -> usize {
        let mut angle = 0i32;
        let mut k = from;
        while k < close {
            match self.tokens[k].kind {
                Kind::Punct(b'(' | b'[' | b'{') => {
                    k = self.closing[k] as usize;
                }
                Kind::Punct(b'<') => angle += 1,
                Kind::Punct(b'>')
                    if !(k > 0
                        && matches!(self.tokens[k - 1].kind, Kind::Punct(b'-' | b'='))
                        && self.tokens[k - 1].end == self.tokens[k].start) =>
                {
                    angle -= 1
                }
                Kind::Punct(b',') if angle <= 0 => return k,
                _ => {}
            }
            k += 1;
        }
        close
    }
}

struct Header {
    /// Its identifiers, in [`FileScan::headers`].
    index: usize,
    self_type: Option<NameHash>,
    /// Whether the checker ever follows calls into the self type: not into the standard
    /// library's types, nor into a type parameter (`impl<T: Read> Ext for T`).
    followed: bool,
    /// The trait of `impl Trait for Type`.
    trait_name: Option<Token>,
}

/// Traits whose `poll*` methods the executor calls (as the checker's list).
const POLLED_TRAITS: &[&[u8]] = &[
    b"Future",
    b"Stream",
    b"AsyncRead",
    b"AsyncWrite",
    b"AsyncBufRead",
    b"AsyncSeek",
    b"Sink",
    b"Service",
];

fn async_markers() -> &'static NameSet {
    static MARKERS: std::sync::OnceLock<NameSet> = std::sync::OnceLock::new();
    MARKERS.get_or_init(|| {
        ["async", "await", "poll_fn"]
            .iter()
            .map(|w| name_hash(w.as_bytes()))
            .collect()
    })
}

/// Standard library types the checker never follows calls into (`is_standard_library`):
/// primitives and the prelude's containers, by the names impls spell them with.
const UNFOLLOWED_TYPES: &[&[u8]] = &[
    b"bool", b"char", b"str", b"u8", b"u16", b"u32", b"u64", b"u128", b"usize", b"i8", b"i16",
    b"i32", b"i64", b"i128", b"isize", b"f32", b"f64", b"String", b"Vec", b"Option", b"Box",
];

/// Matches every delimiter; `None` when they do not balance.
fn match_delimiters(tokens: &[Token]) -> Option<Vec<u32>> {
    let mut closing = vec![0u32; tokens.len()];
    let mut stack: Vec<(usize, u8)> = Vec::new();
    for (i, token) in tokens.iter().enumerate() {
        match token.kind {
            Kind::Punct(open @ (b'(' | b'[' | b'{')) => stack.push((i, open)),
            Kind::Punct(close @ (b')' | b']' | b'}')) => {
                let (open_index, open) = stack.pop()?;
                let expected = match open {
                    b'(' => b')',
                    b'[' => b']',
                    _ => b'}',
                };
                if close != expected {
                    return None;
                }
                closing[open_index] = i as u32;
            }
            _ => {}
        }
    }
    stack.is_empty().then_some(closing)
}

/// [`scan_lexed`] of a text not lexed yet.
#[cfg(test)]
fn scan(src: &str) -> FileScan {
    scan_lexed(src, lex(src))
}

/// Scans one file's text, already [`lex`]ed into `lexed` (`None`: it cannot be lexed).
pub(crate) fn scan_lexed(src: &str, lexed: Option<Lexed>) -> FileScan {
    let bytes = src.as_bytes();
    let Some(Lexed { tokens, docs }) = lexed else {
        return FileScan {
            opaque: true,
            ..FileScan::default()
        };
    };
    let Some(closing) = match_delimiters(&tokens) else {
        return FileScan {
            opaque: true,
            ..FileScan::default()
        };
    };
    let count = tokens.len();
    let mut scanner = Scanner {
        src: bytes,
        tokens,
        closing,
        scan: FileScan {
            docs,
            ..FileScan::default()
        },
        in_function: 0,
    };
    scanner.scan(0..count, None);
    // `use std::future::poll_fn as f`: callers of `f` hold an async context too.
    let poll_fn = name_hash(b"poll_fn");
    let renamed_poll_fn: Vec<NameHash> = scanner
        .scan
        .renames
        .iter()
        .filter(|(from, _)| *from == poll_fn)
        .map(|(_, to)| *to)
        .collect();
    if !renamed_poll_fn.is_empty() {
        let scan = &mut scanner.scan;
        for k in 0..scan.functions.len() {
            if !scan.functions[k].async_marker
                && scan
                    .mentions(&scan.functions[k])
                    .any(|m| renamed_poll_fn.contains(m))
            {
                scan.functions[k].async_marker = true;
            }
        }
    }
    // Deduplicated before sorting: a file spells each name many times over, and sorting
    // every occurrence cost more than hashing each one.
    let mut seen = NameSet::default();
    scanner.scan.idents = ident_hashes(&scanner.tokens[..count])
        .filter(|hash| seen.insert(*hash))
        .collect();
    scanner.scan.idents.sort_unstable();
    scanner.scan.use_idents.sort_unstable();
    scanner.scan.use_idents.dedup();
    scanner.scan.shrink_to_fit();
    scanner.scan
}

/// Decides, over every file of a run, which function bodies to elide: for each file (in the
/// order given), the byte ranges to blank. `crates[f]` is the crate of file `f`, and
/// `crate_names` the identifiers code uses for each crate (`tokio_util`).
///
/// A body that may hold an async context is kept when it may hold a finding (it spells an
/// async seed); a sync body when it may block (it spells a sync seed) and a kept body may
/// call it. Every other body, and every doc comment, is blanked.
pub(crate) fn plan(
    scans: &[&FileScan],
    crates: &[usize],
    crate_names: &[String],
    seeds: &SeedSets,
) -> Vec<Vec<Range<usize>>> {
    plan_bodies(scans, crates, crate_names, seeds, Reach::FromAsync)
}

/// Which relevant sync bodies [`plan_bodies`] keeps.
#[derive(Clone, Copy, PartialEq)]
enum Reach {
    /// Only those a kept async context reaches: what a run needs.
    FromAsync,
    /// Every one: what the seed rules alone decide, for tests of those rules.
    #[cfg(test)]
    Everywhere,
}

fn plan_bodies(
    scans: &[&FileScan],
    crates: &[usize],
    crate_names: &[String],
    seeds: &SeedSets,
    reach: Reach,
) -> Vec<Vec<Range<usize>>> {
    let visible = Visibility::new(scans, crates, crate_names);
    // Two independent fixed points, each sequential over the run's files.
    let (sync, in_async) = rayon::join(
        || relevance(scans, crates, &visible, &seeds.sync),
        || relevance(scans, crates, &visible, &seeds.in_async),
    );
    let kept: Vec<Vec<bool>> = match reach {
        Reach::FromAsync => reached_from_async(scans, crates, &visible, &sync, &in_async),
        #[cfg(test)]
        Reach::Everywhere => scans
            .iter()
            .enumerate()
            .map(|(f, scan)| {
                (0..scan.functions.len())
                    .map(|k| sync[f][k] || (scan.functions[k].async_marker && in_async[f][k]))
                    .collect()
            })
            .collect(),
    };
    scans
        .iter()
        .enumerate()
        .map(|(f, scan)| {
            outermost(
                scan,
                scan.functions
                    .iter()
                    .enumerate()
                    .filter(|(k, _)| !kept[f][*k])
                    .map(|(_, function)| function.body.clone())
                    .chain(scan.docs.iter().cloned())
                    .chain(scan.unread.iter().cloned())
                    .chain(scan.inert.iter().cloned()),
            )
        })
        .collect()
}

/// Which crates' names a crate's files can reach: its own, and those of the crates it
/// spells (transitively, for re-exports through a third crate). Only a library can be
/// spelled (its name is an identifier); tests, examples, binaries and loose files are crates
/// nobody else reaches, so reachability is a matrix of bits over libraries, closed over
/// libraries only: a run over the whole registry cache has thousands of crates.
struct Visibility {
    /// For each crate, its column among the spellable crates, if it is one.
    column: Vec<Option<usize>>,
    /// For each crate, the spellable crates it reaches, as bits.
    reach: Vec<Vec<u64>>,
}

impl Visibility {
    fn new(scans: &[&FileScan], crates: &[usize], crate_names: &[String]) -> Visibility {
        let mut column = vec![None; crate_names.len()];
        let mut by_name: std::collections::HashMap<
            NameHash,
            Vec<usize>,
            BuildHasherDefault<IdentityHasher>,
        > = Default::default();
        let mut columns = 0;
        for (c, name) in crate_names.iter().enumerate() {
            if !name.contains('@') {
                column[c] = Some(columns);
                by_name
                    .entry(name_hash(name.as_bytes()))
                    .or_default()
                    .push(columns);
                columns += 1;
            }
        }
        let words = columns.div_ceil(64);
        let mut reach = vec![vec![0u64; words]; crate_names.len()];
        for (f, scan) in scans.iter().enumerate() {
            for ident in &scan.idents {
                if let Some(spelled) = by_name.get(ident) {
                    for &x in spelled {
                        set_bit(&mut reach[crates[f]], x);
                    }
                }
            }
        }
        for (c, row) in reach.iter_mut().enumerate() {
            if let Some(x) = column[c] {
                set_bit(row, x);
            }
        }
        // Warshall over the spellable crates, a word at a time.
        let library: Vec<usize> = (0..crate_names.len())
            .filter(|c| column[*c].is_some())
            .collect();
        for &k in &library {
            let x = column[k].unwrap_or_default();
            let through = reach[k].clone();
            for &c in &library {
                if bit(&reach[c], x) {
                    for (word, via) in reach[c].iter_mut().zip(&through) {
                        *word |= via;
                    }
                }
            }
        }
        // Every other crate reaches what the libraries it spells reach.
        let closed: Vec<Vec<u64>> = library.iter().map(|&k| reach[k].clone()).collect();
        for c in 0..crate_names.len() {
            if column[c].is_some() {
                continue;
            }
            let mut row = reach[c].clone();
            for (i, &k) in library.iter().enumerate() {
                let x = column[k].unwrap_or_default();
                if bit(&reach[c], x) {
                    for (word, via) in row.iter_mut().zip(&closed[i]) {
                        *word |= via;
                    }
                }
            }
            reach[c] = row;
        }
        Visibility { column, reach }
    }

    /// Whether code of crate `home` can reach names of crate `other`.
    fn sees(&self, home: usize, other: usize) -> bool {
        home == other || self.column[other].is_some_and(|x| bit(&self.reach[home], x))
    }
}

/// The hashes of the identifiers among `tokens`.
fn ident_hashes(tokens: &[Token]) -> impl Iterator<Item = NameHash> + '_ {
    tokens
        .iter()
        .filter(|t| t.kind == Kind::Ident)
        .map(|t| t.hash)
}

/// Appends `hashes` to `list`, sorted and deduplicated, and returns where they are.
fn append_sorted_unique(
    list: &mut Vec<NameHash>,
    hashes: impl IntoIterator<Item = NameHash>,
) -> Range<u32> {
    let start = list.len();
    list.extend(hashes);
    list[start..].sort_unstable();
    let mut kept = start;
    for read in start..list.len() {
        if kept == start || list[read] != list[kept - 1] {
            list[kept] = list[read];
            kept += 1;
        }
    }
    list.truncate(kept);
    start as u32..kept as u32
}

/// Appends `hashes` to `list` as they are, and returns where they are.
fn append_list(list: &mut Vec<NameHash>, hashes: Vec<NameHash>) -> Range<u32> {
    let start = list.len();
    list.extend(hashes);
    start as u32..list.len() as u32
}

/// Whether bit `x` of the bit row `row` is set.
fn bit(row: &[u64], x: usize) -> bool {
    row[x / 64] & (1 << (x % 64)) != 0
}

fn set_bit(row: &mut [u64], x: usize) {
    row[x / 64] |= 1 << (x % 64);
}

/// For every function of every file, whether it spells one of `seeds` or a name the fixed
/// point derives from them (see the module documentation). `visible[c]`: the crates whose
/// names crate `c` can reach.
fn relevance(
    scans: &[&FileScan],
    crates: &[usize],
    visible: &Visibility,
    seeds: &Seeds,
) -> Vec<Vec<bool>> {
    // The modules the conditional seeds are spelled with, each looked up once per file
    // (`spells[f]`, bits in the order of `modules`) rather than once per spelling: the
    // catalog has about 700 module spellings of a few hundred modules, and a registry
    // cache 27,000 files.
    let mut modules: Vec<NameHash> = seeds
        .conditional
        .iter()
        .flat_map(|(_, spellings)| spellings.iter().flatten().copied())
        .collect();
    modules.sort_unstable();
    modules.dedup();
    let words = modules.len().div_ceil(64);
    let spells: Vec<Vec<u64>> = scans
        .iter()
        .map(|scan| {
            let mut row = vec![0u64; words];
            for (x, module) in modules.iter().enumerate() {
                if scan.idents.binary_search(module).is_ok() {
                    set_bit(&mut row, x);
                }
            }
            row
        })
        .collect();
    let mut spelled_in_run = vec![0u64; words];
    for row in &spells {
        for (run, file) in spelled_in_run.iter_mut().zip(row) {
            *run |= file;
        }
    }
    let in_run = |name: NameHash| {
        modules
            .binary_search(&name)
            .is_ok_and(|x| bit(&spelled_in_run, x))
    };
    // Each spelling as the bits of its modules.
    let spellings: Vec<Vec<Vec<usize>>> = seeds
        .conditional
        .iter()
        .map(|(_, spellings)| {
            spellings
                .iter()
                .map(|spelling| {
                    spelling
                        .iter()
                        .filter_map(|m| modules.binary_search(m).ok())
                        .collect()
                })
                .collect()
        })
        .collect();
    // A conditional seed counts in a file that spells its modules, or that may import it
    // from another file (a glob, or a `use` of the bare name) when the run spells them.
    let run_active = seeds.active(&in_run);
    // Per file, the conditional seeds that count there (the unconditional ones count
    // everywhere and are not copied per file), as a sorted list of exact size rather than
    // a hash table per file: with the derived names below, 40 MB at a registry cache's plan.
    let active: Vec<Box<[NameHash]>> = scans
        .iter()
        .zip(&spells)
        .map(|(scan, row)| {
            let mut active: Vec<NameHash> = seeds
                .conditional
                .iter()
                .zip(&spellings)
                .filter(|((name, _), spellings)| {
                    let spelled_here = spellings
                        .iter()
                        .any(|modules| modules.iter().all(|&x| bit(row, x)));
                    let imported = (scan.foreign_glob
                        || scan.use_idents.binary_search(name).is_ok())
                        && run_active.contains(name);
                    spelled_here || imported
                })
                .map(|((name, _), _)| *name)
                .collect();
            active.sort_unstable();
            active.into_boxed_slice()
        })
        .collect();
    // Names of functions, fields and types that carry a seed, with the crates they were
    // found in: a name counts in the crates that can see one of those.
    let mut derived = FoundIn::default();
    let mut relevant: Vec<Vec<bool>> = scans
        .iter()
        .map(|s| vec![false; s.functions.len()])
        .collect();
    let mut typed: Vec<Vec<bool>> = scans.iter().map(|s| vec![false; s.types.len()]).collect();
    loop {
        let mut changed = false;
        for (f, scan) in scans.iter().enumerate() {
            let home = crates[f];
            let mut found = Vec::new();
            {
                let is_seed = |m: &NameHash| {
                    seeds.always.contains(m)
                        || active[f].binary_search(m).is_ok()
                        || derived
                            .crates(*m)
                            .iter()
                            .any(|&c| visible.sees(home, c as usize))
                };
                for (k, function) in scan.functions.iter().enumerate() {
                    if !relevant[f][k] && scan.mentions(function).any(is_seed) {
                        relevant[f][k] = true;
                        // Calling an async fn only makes a future: its name blocks nothing.
                        if !function.is_async_fn {
                            found.extend(function.propagates);
                        }
                    }
                }
                for (k, item) in scan.types.iter().enumerate() {
                    if !typed[f][k] && scan.list(&item.mentions).iter().any(is_seed) {
                        typed[f][k] = true;
                        found.extend(scan.list(&item.names).iter().copied());
                    }
                }
                for (from, to) in &scan.renames {
                    if is_seed(from) {
                        found.push(*to);
                    }
                }
            }
            for name in found {
                changed |= derived.insert(name, home as u32);
            }
        }
        if !changed {
            break;
        }
    }
    relevant
}

/// The crates each name [`relevance`] derives was found in, at 8 bytes a name: a registry
/// cache derives over 300,000 names, nearly every one in a single crate, and a list per name
/// took 40 MB more at the plan's peak.
#[derive(Default)]
struct FoundIn {
    /// The crate a name was found in, or with [`FoundIn::MANY`] set, the index of its list
    /// of crates in `many`.
    by_name: std::collections::HashMap<NameHash, u32, BuildHasherDefault<IdentityHasher>>,
    many: Vec<Vec<u32>>,
}

impl FoundIn {
    const MANY: u32 = 1 << 31;

    fn crates(&self, name: NameHash) -> &[u32] {
        match self.by_name.get(&name) {
            None => &[],
            Some(&entry) if entry & Self::MANY != 0 => &self.many[(entry & !Self::MANY) as usize],
            Some(single) => std::slice::from_ref(single),
        }
    }

    /// Records that `name` was found in crate `home`; whether it had not been.
    fn insert(&mut self, name: NameHash, home: u32) -> bool {
        debug_assert!(home < Self::MANY);
        let entry = match self.by_name.entry(name) {
            std::collections::hash_map::Entry::Vacant(vacant) => {
                vacant.insert(home);
                return true;
            }
            std::collections::hash_map::Entry::Occupied(occupied) => occupied.into_mut(),
        };
        if *entry & Self::MANY != 0 {
            let crates = &mut self.many[(*entry & !Self::MANY) as usize];
            if crates.contains(&home) {
                return false;
            }
            crates.push(home);
            return true;
        }
        if *entry == home {
            return false;
        }
        self.many.push(vec![*entry, home]);
        *entry = Self::MANY | (self.many.len() - 1) as u32;
        true
    }
}

/// Which bodies can change a finding: those that may hold an async context with a finding
/// (`in_async`), and the sync bodies that may block (`sync`) which such a context reaches
/// through a chain of calls between them. A blocking sync function that no kept body
/// spells is never a hop of a reported chain: the whole-crate pass walks from each blocking
/// function to its callers, so one that only unreached functions call marks only
/// unreached functions. Every enclosing function of a kept one is kept too, since blanking
/// a body blanks the items inside it.
fn reached_from_async(
    scans: &[&FileScan],
    crates: &[usize],
    visible: &Visibility,
    sync: &[Vec<bool>],
    in_async: &[Vec<bool>],
) -> Vec<Vec<bool>> {
    let mut kept: Vec<Vec<bool>> = scans
        .iter()
        .map(|s| vec![false; s.functions.len()])
        .collect();
    // The blocking sync functions by the name their callers spell.
    let mut callable: std::collections::HashMap<
        NameHash,
        Vec<(u32, u32)>,
        BuildHasherDefault<IdentityHasher>,
    > = Default::default();
    let mut queue: Vec<(u32, u32)> = Vec::new();
    for (f, scan) in scans.iter().enumerate() {
        for (k, function) in scan.functions.iter().enumerate() {
            if function.async_marker && (in_async[f][k] || sync[f][k]) {
                kept[f][k] = true;
                queue.push((f as u32, k as u32));
            } else if sync[f][k] {
                if let Some(name) = function.propagates {
                    callable.entry(name).or_default().push((f as u32, k as u32));
                }
            }
        }
    }
    // A body may call a function by the name a `use .. as` gives it, in its own file or
    // where it is re-exported: the new name reaches what the old one does, through chains
    // of renames too.
    let mut renames: Vec<(NameHash, NameHash)> = scans
        .iter()
        .flat_map(|scan| scan.renames.iter().copied())
        .filter(|(from, to)| from != to)
        .collect();
    renames.sort_unstable();
    renames.dedup();
    loop {
        let mut grew = false;
        for (from, to) in &renames {
            let Some(callees) = callable.get(from).cloned() else {
                continue;
            };
            // Sorted and deduplicated, so a name borne by thousands of functions costs
            // no product of list lengths; the walk does not depend on the order.
            let reached = callable.entry(*to).or_default();
            let before = reached.len();
            reached.extend(callees);
            reached.sort_unstable();
            reached.dedup();
            grew |= reached.len() != before;
        }
        if !grew {
            break;
        }
    }
    // A name reaches the same functions from every body of a crate: each (name, crate) is
    // followed once, or a name that thousands of bodies spell and hundreds of functions
    // bear (`len`) costs their product on a large run.
    let mut followed: foldhash::HashSet<(NameHash, u32)> = foldhash::HashSet::default();
    while let Some((f, k)) = queue.pop() {
        let scan = scans[f as usize];
        let home = crates[f as usize];
        for name in scan.mentions(&scan.functions[k as usize]) {
            let Some(callees) = callable.get(name) else {
                continue;
            };
            if !followed.insert((*name, home as u32)) {
                continue;
            }
            for &(g, j) in callees {
                if !kept[g as usize][j as usize] && visible.sees(home, crates[g as usize]) {
                    kept[g as usize][j as usize] = true;
                    queue.push((g, j));
                }
            }
        }
    }
    for (f, scan) in scans.iter().enumerate() {
        // Functions come in source order, an enclosing one before those inside it.
        let mut enclosing: Vec<usize> = Vec::new();
        for (k, function) in scan.functions.iter().enumerate() {
            while enclosing
                .last()
                .is_some_and(|&e| scan.functions[e].body.end <= function.body.start)
            {
                enclosing.pop();
            }
            if kept[f][k] {
                for &e in &enclosing {
                    kept[f][e] = true;
                }
            }
            enclosing.push(k);
        }
    }
    kept
}

/// The bodies to blank for the first pass, which reads only declarations (fields, statics,
/// signatures) and which functions hand a parameter to an offload entry point: every
/// function body but those that spell one of `offload_names` and a name a parameter
/// pattern binds (the checker's `forwards_parameter_to_offload` looks for a parameter passed
/// as an argument), and the bodies that pass never reads (see [`FileScan::undeclaring`]).
pub(crate) fn skeleton(scan: &FileScan, offload_names: &NameSet) -> Vec<Range<usize>> {
    let unread: Vec<bool> = scan
        .functions
        .iter()
        .map(|function| {
            !(function.body_spells_parameter
                && scan.mentions(function).any(|m| offload_names.contains(m)))
        })
        .collect();
    outermost(
        scan,
        scan.functions
            .iter()
            .zip(&unread)
            .filter(|(_, unread)| **unread)
            .map(|(function, _)| function.body.clone())
            .chain(
                scan.unread_signature
                    .iter()
                    .filter(|(function, _)| unread[*function as usize])
                    .map(|(_, range)| range.clone()),
            )
            .chain(scan.docs.iter().cloned())
            .chain(scan.undeclaring.iter().cloned())
            .chain(scan.unread.iter().cloned())
            .chain(scan.inert.iter().cloned()),
    )
}

/// The outermost of `ranges`: a body inside an elided one is gone already. Nothing for a
/// file the scan could not read.
fn outermost(scan: &FileScan, ranges: impl Iterator<Item = Range<usize>>) -> Vec<Range<usize>> {
    if scan.opaque {
        return Vec::new();
    }
    let mut ranges: Vec<Range<usize>> = ranges.collect();
    ranges.sort_by_key(|r| (r.start, std::cmp::Reverse(r.end)));
    let mut outermost: Vec<Range<usize>> = Vec::with_capacity(ranges.len());
    for range in ranges {
        if outermost.last().is_some_and(|last| range.end <= last.end) {
            continue;
        }
        outermost.push(range);
    }
    outermost
}

/// Hashes of `names`, with `spawn_blocking` standing for every name containing it.
pub(crate) fn name_set<'a>(names: impl Iterator<Item = &'a str>) -> NameSet {
    names.map(|n| name_hash(n.as_bytes())).collect()
}

/// `src` with the `ranges` blanked: spaces, newlines kept, so offsets, lines and columns
/// of everything else are unchanged.
pub(crate) fn elide(src: &str, ranges: &[Range<usize>]) -> String {
    let mut bytes = src.as_bytes().to_vec();
    for range in ranges {
        // Without a branch, so that the loop is vectorized: blanked bytes are a third of a
        // typical crate's.
        for b in &mut bytes[range.clone()] {
            *b = if *b == b'\n' || *b == b'\r' { *b } else { b' ' };
        }
    }
    // Only whole UTF-8 sequences inside the ranges were replaced, by ASCII: still UTF-8.
    String::from_utf8(bytes).unwrap_or_else(|_| src.to_owned())
}

/// `src` without the `ranges` (sorted by start): each becomes a newline if it held one,
/// else a space. The tokens are those of [`elide`]'s text, since a range never starts or
/// ends inside a comment or a literal, but their places are not: for a pass that reports no
/// place, which then lexes a few megabytes instead of the whole text (in the declarations
/// pass, seven bytes in eight were blanks), or with [`compact_with_places`].
pub(crate) fn compact(src: &str, ranges: &[Range<usize>]) -> String {
    compacted(src, ranges, |_, _| {})
}

/// [`compact`], with where each kept run of bytes was in `src`, for [`crate::span`] to give
/// places in `src`.
pub(crate) fn compact_with_places(
    src: &str,
    ranges: &[Range<usize>],
) -> (String, crate::span::Places) {
    let mut places = crate::span::Places::default();
    let (mut original, mut line, mut column) = (0, 1, 0);
    let (mut parsed, mut parsed_line, mut parsed_column) = (0, 1, 0);
    let text = compacted(src, ranges, |out, run_start| {
        advance(&src.as_bytes()[original..run_start], &mut line, &mut column);
        advance(&out[parsed..], &mut parsed_line, &mut parsed_column);
        (original, parsed) = (run_start, out.len());
        places.runs.push(crate::span::Run {
            parsed,
            parsed_line,
            parsed_column,
            original,
            line,
            column,
        });
    });
    (text, places)
}

/// Moves a 1-based line and 0-based character column past `bytes`.
fn advance(bytes: &[u8], line: &mut usize, column: &mut usize) {
    let chars = |bytes: &[u8]| bytes.iter().filter(|&&b| b & 0xc0 != 0x80).count();
    match memchr::memrchr(b'\n', bytes) {
        Some(last) => {
            *line += memchr::memchr_iter(b'\n', bytes).count();
            *column = chars(&bytes[last + 1..]);
        }
        None => *column += chars(bytes),
    }
}

/// [`compact`], calling `run(out, start)` before each kept run of bytes is copied to `out`,
/// with the run's offset in `src`.
fn compacted(src: &str, ranges: &[Range<usize>], mut run: impl FnMut(&[u8], usize)) -> String {
    let bytes = src.as_bytes();
    let mut out = Vec::with_capacity(src.len());
    let mut kept_from = 0;
    run(&out, 0);
    for range in ranges {
        let start = range.start.max(kept_from);
        if start >= range.end {
            continue;
        }
        out.extend_from_slice(&bytes[kept_from..start]);
        let removed = &bytes[start..range.end];
        out.push(if memchr::memchr(b'\n', removed).is_some() {
            b'\n'
        } else {
            b' '
        });
        kept_from = range.end;
        run(&out, kept_from);
    }
    out.extend_from_slice(&bytes[kept_from..]);
    // Ranges hold whole UTF-8 sequences: what is left is UTF-8.
    String::from_utf8(out).unwrap_or_else(|_| src.to_owned())
}

/// A name or path the pre-scan must treat as a seed.
pub(crate) enum Seed {
    /// Matched by name whatever the receiver: the name itself.
    Name(&'static str),
    /// A canonical path that code must spell to reach: its first type name (`File` for
    /// `std::fs::File::open`) or, for a free function, its last segment (`sleep`).
    Path(&'static str),
    /// A receiver type whose methods the catalog matches: spelled like a path, and what
    /// the type facts start from.
    Type(&'static str),
}

/// The seeds of a run: for sync bodies, and for async contexts, which can also hold what
/// only async code reports (pedantic rules, lock guards held across `.await`).
pub(crate) struct SeedSets {
    sync: Seeds,
    in_async: Seeds,
}

impl SeedSets {
    pub(crate) fn new(settings: &crate::Settings) -> SeedSets {
        SeedSets {
            sync: Seeds::new(settings, false),
            in_async: Seeds::new(settings, true),
        }
    }

    /// [`SeedSets::new`], built once per configuration: building them walks the catalog and
    /// the type facts (about a millisecond), which would dominate `check_source` on small
    /// texts.
    pub(crate) fn cached(settings: &crate::Settings) -> std::sync::Arc<SeedSets> {
        type Key = (Vec<&'static str>, Vec<String>);
        static CACHE: std::sync::Mutex<Vec<(Key, std::sync::Arc<SeedSets>)>> =
            std::sync::Mutex::new(Vec::new());
        let mut enabled: Vec<&'static str> = settings.enabled.iter().copied().collect();
        enabled.sort_unstable();
        let mut paths: Vec<String> = settings.known_paths().collect();
        paths.sort_unstable();
        let key = (enabled, paths);
        let mut cache = CACHE
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((_, seeds)) = cache.iter().find(|(k, _)| *k == key) {
            return seeds.clone();
        }
        let seeds = std::sync::Arc::new(SeedSets::new(settings));
        // A few configurations at most in one process (a test suite, a fuzzer).
        if cache.len() >= 8 {
            cache.remove(0);
        }
        cache.push((key, seeds.clone()));
        seeds
    }
}

/// The seeds a run starts from. A path's name counts only where its modules (`fs` for
/// `std::fs::read`, `tokio` and `runtime` for `tokio::runtime::Builder`) are spelled too: a
/// path is reached through `use` trees and qualified paths, which spell every segment, so a
/// file that never writes `fs`, and imports nothing from a file that does, cannot call
/// `std::fs::read` by its bare name `read`.
#[derive(Default)]
pub(crate) struct Seeds {
    always: NameSet,
    /// A name and the module paths (any one will do, all of its modules spelled) that
    /// make it a seed.
    conditional: Vec<(NameHash, Vec<Vec<NameHash>>)>,
}

impl Seeds {
    /// Names the catalog, the type facts, the offload entry points and the configuration
    /// know: what a sync body must spell to block (`in_async` false) or an async context to
    /// hold a finding (`in_async` true).
    fn new(settings: &crate::Settings, in_async: bool) -> Seeds {
        let mut seeds = Seeds::default();
        let mut types: HashSet<String> = HashSet::new();
        let mut paths: Vec<String> = Vec::new();
        let sources = crate::catalog::Catalog::get()
            .seeds(settings, in_async)
            .chain(crate::checker::seeds());
        for seed in sources {
            match seed {
                Seed::Name(name) => {
                    seeds.always.insert(name_hash(name.as_bytes()));
                }
                Seed::Path(path) => paths.push(path.to_owned()),
                Seed::Type(path) => {
                    types.insert(path.to_owned());
                    paths.push(path.to_owned());
                }
            }
        }
        // The project's own paths are resolved from inside the project too (`query()` in
        // `crate::db` is `crate::db::query`): their names count everywhere.
        for path in settings.known_paths() {
            if let Some(ty) = type_prefix(&path) {
                types.insert(ty.to_owned());
            }
            let segments: Vec<&str> = path.split("::").collect();
            let at = segments
                .iter()
                .position(|s| s.starts_with(|c: char| c.is_ascii_uppercase()))
                .unwrap_or(segments.len().saturating_sub(1));
            seeds.always.insert(name_hash(segments[at].as_bytes()));
        }
        paths.extend(
            crate::types::seeds(&mut types)
                .into_iter()
                .map(str::to_owned),
        );
        for path in paths {
            for spelling in crate::types::spellings(&path) {
                seeds.add_path(&spelling);
            }
        }
        seeds
    }

    fn add_path(&mut self, path: &str) {
        let segments: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
        let at = segments
            .iter()
            .position(|s| s.starts_with(|c: char| c.is_ascii_uppercase()))
            .unwrap_or(segments.len().saturating_sub(1));
        let Some(name) = segments.get(at) else { return };
        if STOP.contains(name) {
            return;
        }
        let hash = name_hash(name.as_bytes());
        // The checker resolves names by joining the segments of `use` trees and paths, so
        // every module segment of a path it matches is spelled somewhere; `std` is
        // everywhere and says nothing.
        let modules: Vec<NameHash> = segments[..at]
            .iter()
            .filter(|s| !matches!(**s, "std" | "core" | "alloc"))
            .map(|s| name_hash(s.as_bytes()))
            .collect();
        if modules.is_empty() {
            self.always.insert(hash);
            return;
        }
        match self.conditional.iter_mut().find(|(n, _)| *n == hash) {
            Some((_, spellings)) if !spellings.contains(&modules) => spellings.push(modules),
            Some(_) => {}
            None => self.conditional.push((hash, vec![modules])),
        }
    }

    /// The seeds of a group whose files mention `mentioned`.
    fn active(&self, mentioned: &dyn Fn(NameHash) -> bool) -> NameSet {
        let mut active = self.always.clone();
        for (name, spellings) in &self.conditional {
            if spellings
                .iter()
                .any(|modules| modules.iter().all(|m| mentioned(*m)))
            {
                active.insert(*name);
            }
        }
        active
    }
}

/// `a::b::Type` of `a::b::Type::method`, when the path goes through a type.
fn type_prefix(path: &str) -> Option<&str> {
    let mut end = 0;
    for segment in path.split("::") {
        end += segment.len();
        if segment.starts_with(|c: char| c.is_ascii_uppercase()) {
            return Some(&path[..end]);
        }
        end += 2;
    }
    None
}

/// Type names that say nothing: prelude containers every body uses.
const STOP: &[&str] = &["Self", "Result", "Option", "Vec", "String", "Box"];

#[cfg(test)]
mod tests {
    use super::*;

    /// Seed sets where `names` count everywhere, for sync bodies and async contexts alike.
    fn unconditional(names: &[&str]) -> SeedSets {
        let seeds = || Seeds {
            always: name_set(names.iter().copied()),
            conditional: Vec::new(),
        };
        SeedSets {
            sync: seeds(),
            in_async: seeds(),
        }
    }

    fn elided(src: &str, seeds: &[&str]) -> String {
        let scan = scan(src);
        let seeds = unconditional(seeds);
        let plan = plan_bodies(
            &[&scan],
            &[0],
            &["example".to_owned()],
            &seeds,
            Reach::Everywhere,
        );
        elide(src, &plan[0])
    }

    #[test]
    fn blanks_bodies_that_mention_no_seed_and_keeps_offsets() {
        let src = "fn a() -> u8 {\n    1 + 2\n}\nfn b() { sleep(d) }\n";
        let out = elided(src, &["sleep"]);
        assert_eq!(out, "fn a() -> u8 {\n         \n}\nfn b() { sleep(d) }\n");
        assert_eq!(out.len(), src.len());
    }

    #[test]
    fn keeps_async_contexts_that_may_block_and_callers_of_blocking_helpers() {
        let src = "async fn a() { x(); caller2() }\nfn poll_thing(cx: &mut Context) { sleep(y) }\n\
                   fn helper() { sleep(d) }\nfn caller() { helper() }\n\
                   fn caller2() { caller() }\nfn unrelated() { other() }\n\
                   fn spawner() { tokio::spawn(async move { z(); helper() }); }\n\
                   async fn quiet() { w().await }\nfn poll_quiet(cx: &mut Context) { v() }\n\
                   fn spawns_quietly() { tokio::spawn(async move { u() }); }\n";
        let out = elided(src, &["sleep"]);
        for kept in ["x()", "sleep(y)", "sleep(d)", "helper()", "caller()", "z()"] {
            assert!(out.contains(kept), "{kept} elided:\n{out}");
        }
        // An async context that spells nothing that blocks cannot hold a finding.
        for gone in ["other()", "w().await", "v()", "u()"] {
            assert!(!out.contains(gone), "{gone} kept:\n{out}");
        }
    }

    #[test]
    fn keeps_blocking_helpers_only_where_async_code_reaches_them() {
        let src = "async fn root() { caller(); inner() }\nfn caller() { helper() }\n\
                   fn helper() { sleep(d) }\nfn orphan() { sleep(o) }\n\
                   fn orphan_caller() { helper(); other() }\n\
                   fn outer() { unrelated(); fn inner() { sleep(z) } }\n\
                   fn poll_ready(cx: &mut Context) { sleep(p) }\n\
                   fn poll_next(cx: &mut Context<'_>) -> Poll<()> { sleep(q) }\n\
                   use std::future::poll_fn as pf;\nfn renamed() { pf(|cx| sleep(r)) }\n";
        let scan = scan(src);
        let seeds = unconditional(&["sleep"]);
        let out = elide(
            src,
            &plan(&[&scan], &[0], &["example".to_owned()], &seeds)[0],
        );
        // Reached from `root` (`inner` keeps the function it is declared in), polled, or a
        // closure handed to `poll_fn` under another name.
        for kept in [
            "helper()",
            "sleep(d)",
            "sleep(z)",
            "unrelated()",
            "sleep(q)",
            "sleep(r)",
        ] {
            assert!(out.contains(kept), "{kept} elided:\n{out}");
        }
        // Blocking, but nothing async calls them; `poll_ready` takes a `Context` but returns
        // no `Poll`, so no executor polls it.
        for gone in ["sleep(o)", "other()", "sleep(p)"] {
            assert!(!out.contains(gone), "{gone} kept:\n{out}");
        }
    }

    #[test]
    fn derived_names_count_in_crates_that_spell_their_crate_transitively() {
        let files = [
            ("liba", "pub fn helper() { sleep(d) }\n"),
            ("libb", "pub fn relay() { liba::helper() }\n"),
            ("libc", "fn through() { libb::other(); helper() }\n"),
            ("app@bin:x", "fn main() { libb::relay() }\n"),
            ("app@bin:y", "fn caller() { relay(); helper() }\n"),
        ];
        let scans: Vec<FileScan> = files.iter().map(|(_, src)| scan(src)).collect();
        let scan_refs: Vec<&FileScan> = scans.iter().collect();
        let names: Vec<String> = files.iter().map(|(name, _)| (*name).to_owned()).collect();
        let crates: Vec<usize> = (0..files.len()).collect();
        let seeds = unconditional(&["sleep"]);
        let plans = plan_bodies(&scan_refs, &crates, &names, &seeds, Reach::Everywhere);
        let out: Vec<String> = files
            .iter()
            .zip(&plans)
            .map(|((_, src), ranges)| elide(src, ranges))
            .collect();
        assert!(out[1].contains("liba::helper()"), "{}", out[1]);
        // libc spells only libb, which spells liba: liba's `helper` reaches it through libb.
        assert!(out[2].contains("helper()"), "{}", out[2]);
        assert!(out[3].contains("libb::relay()"), "{}", out[3]);
        // A binary that spells neither library sees none of their names.
        assert!(!out[4].contains("relay()"), "{}", out[4]);
    }

    #[test]
    fn impls_on_type_parameters_and_std_types_seed_nothing() {
        let src = "struct Db;\nimpl Db { fn query(&self) { sleep(d) } }\n\
                   fn typed(db: &Db) { db.query() }\n\
                   impl<T: Read> Ext for T { fn slurp(&mut self) { sleep(d) } }\n\
                   fn slurps(r: R) { r.slurp() }\n\
                   impl Ext for String { fn grow(&mut self) { sleep(d) } fn make() { sleep(d) } }\n\
                   fn grows(s: S) { s.grow() }\nfn makes() { String::make() }\n";
        let out = elided(src, &["sleep"]);
        assert!(out.contains("db.query()"), "{out}");
        // Neither a type parameter nor a standard library type is ever a followed
        // receiver: their methods' names are no seeds.
        for gone in ["r.slurp()", "s.grow()", "String::make()"] {
            assert!(!out.contains(gone), "{gone} kept:\n{out}");
        }
    }

    #[test]
    fn fields_tuple_structs_and_associated_functions_carry_seeds() {
        let src = "struct Db { conn: Connection, name: String }\n\
                   impl Db { fn new() -> Self { todo() } fn query(&self) { self.conn.q() } }\n\
                   fn uses_field(s: &S) { s.conn.x() }\n\
                   fn uses_name(s: &S) { s.name.len() }\n\
                   struct Wrap(Connection);\n\
                   impl Wrap { fn open() -> Self { w() } fn q(&self) { self.0.q() } }\n\
                   fn caller() { Wrap::open() }\n\
                   fn neither() { a.b() }\n";
        let out = elided(src, &["Connection"]);
        for kept in [
            "self.conn.q()",
            "s.conn.x()",
            "self.0.q()",
            "w()",
            "Wrap::open()",
        ] {
            assert!(out.contains(kept), "{kept} elided:\n{out}");
        }
        // A sibling field's type says nothing of `name`; `new` touches no connection.
        for gone in ["a.b()", "s.name.len()", "todo()"] {
            assert!(!out.contains(gone), "{gone} kept:\n{out}");
        }
    }

    #[test]
    fn renames_and_statics_carry_seeds() {
        let src = "use std::thread::sleep as nap;\nfn a() { nap(d) }\n\
                   static ref POOL: Pool = make();\nfn b() { POOL.get() }\nfn c() { d() }\n";
        let out = elided(src, &["sleep", "Pool"]);
        assert!(
            out.contains("nap(d)") && out.contains("POOL.get()"),
            "{out}"
        );
        assert!(
            !out.contains("d()\n") || !out.contains("fn c() { d() }"),
            "{out}"
        );
    }

    #[test]
    fn strings_comments_chars_and_lifetimes_do_not_confuse_the_lexer() {
        let src = "fn a<'a>(x: &'a str) -> char { let s = \"}{\"; let r = r#\"\"}\"#; \
                   /* } */ // }\n let c = '}'; let q = '\\''; '{' }\nfn b() { sleep(d) }\n";
        let out = elided(src, &["sleep"]);
        assert!(out.contains("fn b() { sleep(d) }"), "{out}");
        assert!(!out.contains("let s"), "{out}");
        assert!(syn::parse_file(&out).is_ok(), "{out}");
    }

    #[test]
    fn doc_comments_are_blanked_and_other_comments_kept() {
        let src = "//! crate docs\n/// outer } {\n/** block */\n/*! inner */\n\
                   //// rule\n/***/\n/**/\n// plain\nasync fn a() {\n    /// inside\n    x();\n}\n";
        let out = elided(src, &["x"]);
        assert_eq!(out.len(), src.len());
        for gone in ["crate docs", "outer", "block", "inner", "inside"] {
            assert!(!out.contains(gone), "{gone} kept:\n{out}");
        }
        for kept in ["//// rule", "/***/", "/**/", "// plain", "x();"] {
            assert!(out.contains(kept), "{kept} blanked:\n{out}");
        }
        assert_eq!(out.lines().count(), src.lines().count());
        assert!(syn::parse_file(&out).is_ok(), "{out}");
    }

    #[test]
    fn skeleton_blanks_what_the_declarations_pass_never_reads() {
        let src = "#![no_std]\n#[derive(Debug)]\nenum E { A(Inner), B = 2 }\n\
                   trait T { fn f(&self) -> u8; }\n\
                   macro_rules! m { ($x:expr) => { $x }; }\ncfg_rt! { pub struct Hidden; }\n\
                   a::b!(one, two);\nextern \"C\" { fn ext(); }\n\
                   lazy_static! { static ref L: Lock = Lock::new(); }\n\
                   struct S { #[serde(skip)] field: Kept }\nconst C: Typed = 1;\n\
                   fn wrap(f: F) { #[rustfmt::skip] inner!(f); spawn_blocking(f) }\n\
                   fn other() { gone!(x) }\nfn not(a: bool) -> bool { return !(a) }\n";
        let scan = scan(src);
        let out = elide(
            src,
            &skeleton(&scan, &name_set(["spawn_blocking"].into_iter())),
        );
        assert_eq!(out.len(), src.len());
        for gone in [
            "Inner", "-> u8", "$x", "Hidden", "one", "fn ext", "gone", "return", "no_std",
            "derive", "serde",
        ] {
            assert!(!out.contains(gone), "{gone} kept:\n{out}");
        }
        for kept in [
            "enum E {",
            "trait T {",
            "macro_rules! m {",
            "Lock::new()",
            "field: Kept",
            "const C: Typed = 1;",
            "#[rustfmt::skip] inner!(f); spawn_blocking(f)",
        ] {
            assert!(out.contains(kept), "{kept} blanked:\n{out}");
        }
        assert!(syn::parse_file(&out).is_ok(), "{out}");
    }

    #[test]
    fn skeleton_keeps_only_the_return_type_of_a_signature_whose_body_it_blanks() {
        let src = "impl<T> S<T> {\n\
                   pub fn get<'a, F: Fn(u8) -> Vec<u8>>(&'a self, f: F) -> Option<Conn> where F: Send { f(1) }\n\
                   fn run(self: Box<Self>, job: Job) { spawn_blocking(job) }\n\
                   fn plain() -> Pool<Manager> { todo!() }\n}\n";
        let scan = scan(src);
        let out = elide(
            src,
            &skeleton(&scan, &name_set(["spawn_blocking"].into_iter())),
        );
        assert_eq!(out.len(), src.len());
        for gone in ["impl<T>", "'a,", "Fn(u8)", "f: F", "where", "Send"] {
            assert!(!out.contains(gone), "{gone} kept:\n{out}");
        }
        for kept in [
            "S<T> {",
            "-> Option<Conn>",
            "-> Pool<Manager>",
            // Its body hands a parameter to an offload entry point: the pass reads it whole.
            "fn run(self: Box<Self>, job: Job) { spawn_blocking(job) }",
        ] {
            assert!(out.contains(kept), "{kept} blanked:\n{out}");
        }
        assert!(syn::parse_file(&out).is_ok(), "{out}");
    }

    #[test]
    fn a_compacted_text_has_the_tokens_of_the_blanked_one() {
        let src = "/// doc\nimpl<T: X> S<T> where T: Y { // note\n    fn f(&self) -> u8 { 1 } /* c */ fn g() {}\n}\n\
                   #[derive(Debug)] struct A { s: &'static str } const C: &str = \"}\";\n";
        let scan = scan(src);
        let ranges = skeleton(&scan, &name_set(std::iter::empty()));
        let texts = |text: &str| {
            let lexed = lex(text).expect("lexes");
            let words: Vec<String> = lexed
                .tokens()
                .iter()
                .map(|t| String::from_utf8_lossy(t.text(text.as_bytes())).into_owned())
                .collect();
            words
        };
        let compacted = compact(src, &ranges);
        assert!(compacted.len() < src.len(), "{compacted}");
        assert_eq!(texts(&compacted), texts(&elide(src, &ranges)));
        assert!(syn::parse_file(&compacted).is_ok(), "{compacted}");
    }

    #[test]
    fn blanks_separated_by_whitespace_are_one_range() {
        let src =
            "/// a\n\t/// b\r\n/// c\n#[derive(Debug)]\n#[serde(x)] struct S;\n/// d\nfn f() {}\n";
        let scan = scan(src);
        assert_eq!(scan.docs.len(), 2, "{:?}", scan.docs);
        assert_eq!(scan.unread.len(), 1, "{:?}", scan.unread);
        let out = elide(src, &skeleton(&scan, &name_set(std::iter::empty())));
        // The tab between two doc comments is blanked too: one byte, one column, as before.
        assert_eq!(
            out,
            "     \n      \r\n     \n                \n            struct S;\n     \nfn f() {}\n"
        );
    }

    #[test]
    fn no_pass_parses_generics_where_clauses_enum_bodies_or_extern_blocks() {
        let src = "struct Conn<T: Read> where T: Send { io: T }\n\
                   struct Pair<A, B>(A, B) where A: Clone;\n\
                   enum Kind<T> { Plain(Vec<T>), Named { inner: Conn<T> } }\n\
                   extern \"C\" { fn ffi_call(x: u8) -> u8; }\n\
                   trait Tr<X>: Sized where X: Copy { fn f(&self) -> X; }\n\
                   impl<T, const N: usize> Tr<[u8; N]> for Conn<T> where T: Read + Send {\n\
                   async fn go<'a, F: Fn() -> u8>(x: &'a F, n: Vec<u8>) -> u8 where F: Sync { std::thread::sleep(d); x() }\n\
                   }\n";
        let scan = scan(src);
        let seeds = unconditional(&["sleep"]);
        let analyzed = elide(src, &plan(&[&scan], &[0], &["app".to_owned()], &seeds)[0]);
        let skeleton = elide(src, &skeleton(&scan, &name_set(["spawn"].into_iter())));
        for out in [&analyzed, &skeleton] {
            for gone in [
                "T: Read", "where", "<A, B>", "X: Copy", "const N", "F: Fn()", "Plain", "ffi_call",
            ] {
                assert!(!out.contains(gone), "{gone} kept:\n{out}");
            }
            for kept in ["{ io: T }", "(A, B)", "Tr<[u8; N]> for Conn<T>"] {
                assert!(out.contains(kept), "{kept} blanked:\n{out}");
            }
            assert!(syn::parse_file(out).is_ok(), "{out}");
        }
        assert!(
            analyzed.contains("(x: &'a F, n: Vec<u8>) -> u8") && analyzed.contains("sleep(d)"),
            "{analyzed}"
        );
    }

    #[test]
    fn skeleton_keeps_only_bodies_that_may_hand_a_parameter_to_an_offload_entry_point() {
        let src = "fn wrap<F: FnOnce()>(work: F) { tokio::task::spawn_blocking(work); }\n\
                   fn pair((left, right): (Job, Job), n: usize) { spawn(right) }\n\
                   fn typed(table: HashMap<K, V>, job: Job) { spawn(job) }\n\
                   impl S { fn on(&self, job: Job) { self.pool.spawn(job) } }\n\
                   async fn test_case() { let h = spawn(async {}); h.await }\n\
                   fn other(job: Job) { spawn_blocking(make_job()) }\n\
                   fn receiver_only(&self) { spawn(self) }\n\
                   fn no_offload(job: Job) { job.run() }\n";
        let out = elide(
            src,
            &skeleton(
                &scan(src),
                &name_set(["spawn_blocking", "spawn"].into_iter()),
            ),
        );
        for kept in [
            "{ tokio::task::spawn_blocking(work); }",
            "{ spawn(right) }",
            "{ spawn(job) }",
            "{ self.pool.spawn(job) }",
        ] {
            assert!(out.contains(kept), "{kept} blanked:\n{out}");
        }
        // No parameter, or none the body spells, or no offload name: nothing to forward.
        for gone in ["h.await", "make_job", "spawn(self)", "job.run"] {
            assert!(!out.contains(gone), "{gone} kept:\n{out}");
        }
        assert!(syn::parse_file(&out).is_ok(), "{out}");
    }

    #[test]
    fn data_initializers_are_blanked_for_every_pass_and_others_for_declarations_only() {
        let src =
            "static TABLE: [u16; 3] = [1, 0x2, 3];\nconst NAMES: &[&str] = &[\"a\", \"b\"];\n\
                   static CLIENT: Lazy<Client> = Lazy::new(|| Client::new());\n\
                   const P: Point = Point { x: 1 };\ntype Row = [u8; 4];\n\
                   const E: u8 = 1 + 2;\nconst OFF: u8 = a::B;\n";
        let main = elided(src, &["Client"]);
        for gone in ["0x2", "\"a\""] {
            assert!(!main.contains(gone), "{gone} kept:\n{main}");
        }
        for kept in [
            "Lazy::new(|| Client::new())",
            "Point { x: 1 }",
            "[u8; 4]",
            "1 + 2",
            "a::B",
        ] {
            assert!(main.contains(kept), "{kept} blanked:\n{main}");
        }
        let scan = scan(src);
        let skeleton = elide(src, &skeleton(&scan, &NameSet::default()));
        for gone in ["0x2", "|| Client", "x: 1"] {
            assert!(!skeleton.contains(gone), "{gone} kept:\n{skeleton}");
        }
        for kept in [
            "Lazy<Client> = Lazy::new(",
            "type Row = [u8; 4];",
            "1 + 2",
            "a::B",
        ] {
            assert!(skeleton.contains(kept), "{kept} blanked:\n{skeleton}");
        }
        for out in [&main, &skeleton] {
            assert_eq!(out.len(), src.len());
            assert!(syn::parse_file(out).is_ok(), "{out}");
        }
    }

    #[test]
    fn what_opaque_macros_hold_is_blanked_for_every_pass_and_seeds_nothing() {
        let src = "macro_rules! make { () => { pub fn helper() { sleep(d) } }; }\n\
                   fn relay() { helper() }\n\
                   async fn handler() { relay(); let t = quote::quote! { sleep(d) }; }\n\
                   const S: &str = include_str!(\"x.txt\");\nthread_local! { static A: u8 = 1; }\n\
                   async fn logs() { println!(\"{}\", env!(\"HOME\")); file!(); x.file(); block_on(f) }\n";
        let main = elided(src, &["sleep", "block_on"]);
        let scan = scan(src);
        let skeleton = elide(src, &skeleton(&scan, &NameSet::default()));
        for out in [&main, &skeleton] {
            for gone in ["=>", "sleep", "x.txt", "static A", "HOME"] {
                assert!(!out.contains(gone), "{gone} kept:\n{out}");
            }
            for kept in ["macro_rules! make {", "include_str!(", "thread_local! {"] {
                assert!(out.contains(kept), "{kept} blanked:\n{out}");
            }
            assert_eq!(out.len(), src.len());
            assert!(syn::parse_file(out).is_ok(), "{out}");
        }
        // No function is spelled inside a definition the checker never reads, so `helper`
        // blocks nothing and `relay` is no longer relevant; a method named like an opaque
        // macro is no invocation.
        assert!(!main.contains("helper()"), "{main}");
        for kept in [
            "relay();",
            "quote::quote! {",
            "println!(",
            "file!(",
            "x.file()",
        ] {
            assert!(main.contains(kept), "{kept} blanked:\n{main}");
        }
    }

    #[test]
    fn doc_comments_that_document_nothing_are_kept_for_syn_to_reject() {
        for src in [
            "/// a template with nothing after it\n",
            "struct S { a: u8, /// trailing\n }\n",
            "fn f() {}\n//! inner docs after an item\n",
        ] {
            assert_eq!(elided(src, &[]), src);
            assert!(syn::parse_file(src).is_err(), "{src}");
        }
    }

    #[test]
    fn unbalanced_input_is_left_alone() {
        let src = "fn a() { x( }\n";
        assert_eq!(elided(src, &[]), src);
        let src = "fn a() { \"unterminated }\n";
        assert_eq!(elided(src, &[]), src);
    }

    #[test]
    fn const_generic_blocks_in_signatures_are_not_bodies() {
        let src = "fn a() -> Foo<{ N + 1 }> { x() }\n";
        let out = elided(src, &[]);
        assert!(
            out.contains("Foo<{ N + 1 }>") && !out.contains("x()"),
            "{out}"
        );
    }
}
