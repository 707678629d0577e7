//! `#[asyncwatch_runtime::main]` and `#[asyncwatch_runtime::test]`: `#[tokio::main]` and
//! `#[tokio::test]` with the runtime builder passed through `asyncwatch_runtime::instrument`.

use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as TokenStream2};
use quote::{quote, quote_spanned};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, ItemFn, Lit, Meta, Token};

/// Stands in for `#[tokio::main]`, with the same arguments.
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    expand(args.into(), item.into(), Entry::Main).into()
}

/// Stands in for `#[tokio::test]`, with the same arguments.
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    expand(args.into(), item.into(), Entry::Test).into()
}

#[derive(Clone, Copy, PartialEq)]
enum Entry {
    Main,
    Test,
}

#[derive(Clone, Copy, PartialEq)]
enum Flavor {
    CurrentThread,
    MultiThread,
}

struct Settings {
    flavor: Option<Flavor>,
    worker_threads: Option<Expr>,
    start_paused: Option<Expr>,
    tokio_path: Option<syn::Path>,
}

fn expand(args: TokenStream2, item: TokenStream2, entry: Entry) -> TokenStream2 {
    let function: ItemFn = match syn::parse2(item.clone()) {
        Ok(function) => function,
        Err(error) => return with_error(item, error),
    };
    match expand_function(args, function, entry) {
        Ok(tokens) => tokens,
        Err(error) => with_error(item, error),
    }
}

/// Keeps the original item next to the error so that other diagnostics still make sense.
fn with_error(item: TokenStream2, error: syn::Error) -> TokenStream2 {
    let error = error.to_compile_error();
    quote! { #error #item }
}

fn parse_settings(args: TokenStream2) -> syn::Result<Settings> {
    let metas = Punctuated::<Meta, Token![,]>::parse_terminated.parse2(args)?;
    let mut settings = Settings {
        flavor: None,
        worker_threads: None,
        start_paused: None,
        tokio_path: None,
    };
    for meta in metas {
        let Meta::NameValue(pair) = &meta else {
            return Err(syn::Error::new(
                meta.span(),
                "expected `name = value`, e.g. `flavor = \"multi_thread\"`",
            ));
        };
        let name = pair
            .path
            .get_ident()
            .map(ToString::to_string)
            .unwrap_or_default();
        match name.as_str() {
            "flavor" => {
                let flavor = string_value(&pair.value)?;
                settings.flavor = Some(match flavor.as_str() {
                    "current_thread" => Flavor::CurrentThread,
                    "multi_thread" => Flavor::MultiThread,
                    other => {
                        return Err(syn::Error::new(
                            pair.value.span(),
                            format!("unknown flavor `{other}`: expected `current_thread` or `multi_thread`"),
                        ))
                    }
                });
            }
            "worker_threads" => settings.worker_threads = Some(pair.value.clone()),
            "start_paused" => settings.start_paused = Some(pair.value.clone()),
            "crate" => {
                let path = string_value(&pair.value)?;
                settings.tokio_path = Some(syn::parse_str(&path).map_err(|_| {
                    syn::Error::new(pair.value.span(), format!("`{path}` is not a path"))
                })?);
            }
            other => {
                return Err(syn::Error::new(
                    pair.path.span(),
                    format!("unknown argument `{other}`: expected flavor, worker_threads, start_paused or crate"),
                ))
            }
        }
    }
    Ok(settings)
}

fn string_value(expr: &Expr) -> syn::Result<String> {
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Str(text),
            ..
        }) => Ok(text.value()),
        _ => Err(syn::Error::new(expr.span(), "expected a string literal")),
    }
}

fn expand_function(
    args: TokenStream2,
    mut function: ItemFn,
    entry: Entry,
) -> syn::Result<TokenStream2> {
    if function.sig.asyncness.take().is_none() {
        return Err(syn::Error::new(
            function.sig.fn_token.span(),
            "the `async` keyword is missing from the function declaration",
        ));
    }
    let settings = parse_settings(args)?;
    let flavor = settings.flavor.unwrap_or(match entry {
        Entry::Main => Flavor::MultiThread,
        Entry::Test => Flavor::CurrentThread,
    });
    if settings.worker_threads.is_some() && flavor == Flavor::CurrentThread {
        return Err(syn::Error::new(
            Span::call_site(),
            "the `worker_threads` option requires the `multi_thread` runtime flavor",
        ));
    }
    let tokio = match &settings.tokio_path {
        Some(path) => quote! { #path },
        None => quote! { ::asyncwatch_runtime::__private::tokio },
    };
    let new_builder = match flavor {
        Flavor::CurrentThread => quote! { #tokio::runtime::Builder::new_current_thread() },
        Flavor::MultiThread => quote! { #tokio::runtime::Builder::new_multi_thread() },
    };
    let worker_threads = settings
        .worker_threads
        .map(|threads| quote! { builder.worker_threads(#threads); });
    let start_paused = settings
        .start_paused
        .map(|paused| quote! { builder.start_paused(#paused); });
    let body = &function.block;
    let span = body.span();
    let run = quote_spanned! {span=>
        let body = async #body;
        let mut builder = #new_builder;
        builder.enable_all();
        #worker_threads
        #start_paused
        ::asyncwatch_runtime::__private::instrument(&mut builder);
        #[allow(clippy::expect_used, clippy::diverging_sub_expression)]
        {
            return builder
                .build()
                .expect("Failed building the Runtime")
                .block_on(::asyncwatch_runtime::__private::watch_block_on(body));
        }
    };
    let block: syn::Block = syn::parse2(quote! { { #run } })?;
    *function.block = block;
    let test_attribute = (entry == Entry::Test).then(|| quote! { #[::core::prelude::v1::test] });
    Ok(quote! {
        #test_attribute
        #function
    })
}
