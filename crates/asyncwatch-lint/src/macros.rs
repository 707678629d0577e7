//! Reading the expressions inside macro invocations.
//!
//! syn leaves a macro's body as tokens. Blocking calls hide there often enough
//! (`tokio::select!` branches, `println!("{}", std::fs::read_to_string(p)?)`, tracing fields)
//! that we parse the bodies of the macros we understand, and make a tolerant attempt at every
//! other one: split at top-level commas, drop the `name =`, `name:`, `%` and `?` prefixes of
//! tracing-style fields, and parse what remains as expressions or statements. A body that does
//! not parse is skipped, never reported as an error: it is not ours to judge.

use proc_macro2::{TokenStream, TokenTree};
use syn::parse::{ParseStream, Parser};
use syn::{Block, Expr, Item, Pat, Stmt, Token};

/// One `pattern = future, if precondition => handler` branch of `select!`.
pub(crate) struct SelectBranch {
    pub future: Option<Expr>,
    pub precondition: Option<Expr>,
    pub handler: Option<Expr>,
}

pub(crate) enum MacroBody {
    /// `select!`: futures are awaited by the macro; handlers run in the enclosing context.
    Select(Vec<SelectBranch>),
    /// `join!`/`try_join!`: every argument is a future the macro awaits.
    Futures(Vec<Expr>),
    /// Expressions and statements to analyze as if written in place.
    Code(Vec<Stmt>),
    /// Items, for item-position macros such as `cfg_if!`-style wrappers.
    Items(Vec<Item>),
    Opaque,
}

/// Macros whose bodies are not Rust expressions, or that define rather than run code: the
/// checker reads none of what they hold, and the pre-scan blanks it.
const OPAQUE: &[&str] = &[
    "macro_rules",
    "include",
    "include_str",
    "include_bytes",
    "concat",
    "stringify",
    "env",
    "option_env",
    "cfg",
    "line",
    "column",
    "file",
    "module_path",
    "compile_error",
    "quote",
    "quote_spanned",
    "parse_quote",
    "parse_quote_spanned",
    "html",
    "sql",
    "query",
    "query_as",
    "query_scalar",
    "json",
    "doc",
    "global_asm",
    "asm",
    "thread_local",
];

/// Whether the checker reads nothing inside a macro named `name` (the last segment of its
/// path).
pub(crate) fn is_opaque(name: &[u8]) -> bool {
    OPAQUE.iter().any(|opaque| opaque.as_bytes() == name)
}

pub(crate) fn parse_expression_macro(name: &str, tokens: &TokenStream) -> MacroBody {
    match name {
        n if OPAQUE.contains(&n) => MacroBody::Opaque,
        "select" | "select_biased" => parse_select
            .parse2(tokens.clone())
            .map(MacroBody::Select)
            .unwrap_or(MacroBody::Opaque),
        "join" | "try_join" => MacroBody::Futures(
            split_top_level(tokens, ',')
                .into_iter()
                .filter_map(|piece| syn::parse2(piece).ok())
                .collect(),
        ),
        _ if !may_hold_code(tokens) => MacroBody::Opaque,
        _ => MacroBody::Code(parse_tolerant(tokens)),
    }
}

/// Words that start what the checker reads without a call: a binding whose type later code
/// infers from, an `.await`, a loop over a receiver, an async block, a branch.
const CODE_WITHOUT_CALLS: &[&str] = &[
    "let", "await", "for", "while", "loop", "async", "match", "if",
];

/// Whether a macro body can hold anything the checker reads. Everything it reports or
/// records is a call, a method call, a block, or starts with one of [`CODE_WITHOUT_CALLS`];
/// a body with no parentheses, no braces and none of those words (`debug!("{}", self.id)`,
/// `matches!(x, Kind::A)`, `write!(f, "{}", self.0)`) can only be values and paths, and
/// parsing it as expressions finds nothing. Nested macros count by their own tokens.
fn may_hold_code(tokens: &TokenStream) -> bool {
    tokens.clone().into_iter().any(|token| match token {
        TokenTree::Group(group) => {
            matches!(
                group.delimiter(),
                proc_macro2::Delimiter::Parenthesis | proc_macro2::Delimiter::Brace
            ) || may_hold_code(&group.stream())
        }
        TokenTree::Ident(ident) => CODE_WITHOUT_CALLS.iter().any(|word| ident == word),
        _ => false,
    })
}

pub(crate) fn parse_item_macro(name: &str, tokens: &TokenStream) -> MacroBody {
    if OPAQUE.contains(&name) {
        return MacroBody::Opaque;
    }
    if let Ok(file) = syn::parse2::<syn::File>(tokens.clone()) {
        if !file.items.is_empty() {
            return MacroBody::Items(file.items);
        }
    }
    match parse_expression_macro(name, tokens) {
        MacroBody::Code(stmts) if !stmts.is_empty() => MacroBody::Code(stmts),
        _ => MacroBody::Opaque,
    }
}

fn parse_tolerant(tokens: &TokenStream) -> Vec<Stmt> {
    if tokens.is_empty() {
        return Vec::new();
    }
    // A body of statements (`tokio::pin! { let f = fut; }`, a DSL with blocks) parses whole.
    if contains_top_level(tokens, ';') {
        if let Ok(stmts) = Block::parse_within.parse2(tokens.clone()) {
            return stmts;
        }
    }
    let mut out = Vec::new();
    for piece in split_top_level(tokens, ',') {
        let piece = strip_field_prefix(piece);
        if let Ok(expr) = syn::parse2::<Expr>(piece.clone()) {
            out.push(Stmt::Expr(expr, None));
        } else if let Ok(stmts) = Block::parse_within.parse2(piece) {
            out.extend(stmts);
        }
    }
    out
}

/// Drops what tracing and log put before a value: `target: "x"`, `name = `, `%`, `?`.
fn strip_field_prefix(piece: TokenStream) -> TokenStream {
    let tokens: Vec<TokenTree> = piece.into_iter().collect();
    let mut start = 0;
    // `a.b.c = value` or `name: value` (but not `a::b` paths or `==`).
    for (i, token) in tokens.iter().enumerate() {
        match token {
            TokenTree::Punct(p)
                if p.as_char() == '=' && p.spacing() == proc_macro2::Spacing::Alone =>
            {
                let before_is_operator = i > 0
                    && matches!(&tokens[i - 1], TokenTree::Punct(q) if q.spacing() == proc_macro2::Spacing::Joint);
                if !before_is_operator && tokens[..i].iter().all(is_field_name_token) {
                    start = i + 1;
                }
                break;
            }
            TokenTree::Punct(p)
                if p.as_char() == ':' && p.spacing() == proc_macro2::Spacing::Alone =>
            {
                let path_separator =
                    i > 0 && matches!(&tokens[i - 1], TokenTree::Punct(q) if q.as_char() == ':');
                if !path_separator && i == 1 {
                    start = i + 1;
                }
                break;
            }
            _ if is_field_name_token(token) => continue,
            _ => break,
        }
    }
    let mut rest = &tokens[start..];
    while let Some(TokenTree::Punct(p)) = rest.first() {
        if p.as_char() == '%' || p.as_char() == '?' {
            rest = &rest[1..];
        } else {
            break;
        }
    }
    rest.iter().cloned().collect()
}

fn is_field_name_token(token: &TokenTree) -> bool {
    match token {
        TokenTree::Ident(_) => true,
        TokenTree::Punct(p) => p.as_char() == '.',
        _ => false,
    }
}

fn contains_top_level(tokens: &TokenStream, separator: char) -> bool {
    tokens
        .clone()
        .into_iter()
        .any(|t| matches!(t, TokenTree::Punct(p) if p.as_char() == separator))
}

/// Splits at top-level separators. Commas inside generics (`HashMap<K, V>`) are rare in macro
/// arguments and only make a piece fail to parse, which is skipped.
pub(crate) fn split_top_level(tokens: &TokenStream, separator: char) -> Vec<TokenStream> {
    let mut pieces = Vec::new();
    let mut current = Vec::new();
    for token in tokens.clone() {
        if matches!(&token, TokenTree::Punct(p) if p.as_char() == separator) {
            pieces.push(current.drain(..).collect());
        } else {
            current.push(token);
        }
    }
    if !current.is_empty() {
        pieces.push(current.into_iter().collect());
    }
    pieces
}

/// The statics of a `lazy_static!` body: `static ref NAME: Type = init;` is not item syntax,
/// so the `ref` is dropped before parsing.
pub(crate) fn lazy_static_items(tokens: &TokenStream) -> Vec<syn::ItemStatic> {
    let mut cleaned = Vec::new();
    let mut after_static = false;
    for token in tokens.clone() {
        let is_ref = matches!(&token, TokenTree::Ident(ident) if ident == "ref");
        if !(after_static && is_ref) {
            cleaned.push(token.clone());
        }
        after_static = matches!(&token, TokenTree::Ident(ident) if ident == "static");
    }
    match syn::parse2::<syn::File>(cleaned.into_iter().collect()) {
        Ok(file) => file
            .items
            .into_iter()
            .filter_map(|item| match item {
                Item::Static(s) => Some(s),
                _ => None,
            })
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// Whether tokens contain `.await` (or a macro that awaits), without parsing them.
pub(crate) fn tokens_await(tokens: &TokenStream) -> bool {
    let mut previous_dot = false;
    for token in tokens.clone() {
        match &token {
            TokenTree::Ident(ident) if previous_dot && ident == "await" => return true,
            TokenTree::Group(group) if tokens_await(&group.stream()) => return true,
            _ => {}
        }
        previous_dot = matches!(&token, TokenTree::Punct(p) if p.as_char() == '.');
    }
    false
}

fn parse_select(input: ParseStream) -> syn::Result<Vec<SelectBranch>> {
    let mut branches = Vec::new();
    if input.peek(syn::Ident) && input.peek2(Token![;]) {
        let _biased: syn::Ident = input.parse()?;
        let _: Token![;] = input.parse()?;
    }
    while !input.is_empty() {
        if input.peek(Token![else]) {
            let _: Token![else] = input.parse()?;
            let _: Token![=>] = input.parse()?;
            let handler = parse_handler(input)?;
            branches.push(SelectBranch {
                future: None,
                precondition: None,
                handler: Some(handler),
            });
            continue;
        }
        let _pattern = Pat::parse_multi_with_leading_vert(input)?;
        let _: Token![=] = input.parse()?;
        let future: Expr = input.call(Expr::parse_without_eager_brace)?;
        let mut precondition = None;
        if input.peek(Token![,]) && input.peek2(Token![if]) {
            let _: Token![,] = input.parse()?;
            let _: Token![if] = input.parse()?;
            precondition = Some(input.call(Expr::parse_without_eager_brace)?);
        }
        let _: Token![=>] = input.parse()?;
        let handler = parse_handler(input)?;
        branches.push(SelectBranch {
            future: Some(future),
            precondition,
            handler: Some(handler),
        });
    }
    Ok(branches)
}

fn parse_handler(input: ParseStream) -> syn::Result<Expr> {
    let handler: Expr = input.parse()?;
    if input.peek(Token![,]) {
        let _: Token![,] = input.parse()?;
    }
    Ok(handler)
}
