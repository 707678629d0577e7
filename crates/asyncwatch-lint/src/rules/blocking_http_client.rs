use crate::catalog::Blocking;
use crate::rule::declare_rule;

declare_rule! {
    /// ## What it does
    /// Finds synchronous HTTP clients used in async code: `reqwest::blocking`, `ureq` and
    /// `attohttpc` requests, and building a `reqwest::blocking::Client`.
    ///
    /// ## Why is this bad?
    /// A synchronous request holds the worker thread for the DNS lookup, the connection, the
    /// TLS handshake and the whole response. `reqwest::blocking` goes further: it runs its own
    /// runtime internally and panics when created or dropped inside another runtime.
    ///
    /// ## Example
    /// ```rust,ignore
    /// async fn fetch(url: &str) -> reqwest::Result<String> {
    ///     reqwest::blocking::get(url)?.text()
    /// }
    /// ```
    ///
    /// ## Use instead
    /// ```rust,ignore
    /// async fn fetch(url: &str) -> reqwest::Result<String> {
    ///     reqwest::get(url).await?.text().await
    /// }
    /// ```
    pub static BLOCKING_HTTP_CLIENT = {
        name: "blocking-http-client",
        severity: Warning,
        default: enabled,
        summary: "synchronous HTTP client request in async code",
    }
}

const WHY: &str = "it holds the worker thread for the whole request and response";
const REQWEST: &str = "use the async `reqwest::Client` and `.await` the request";
const REQWEST_BUILD_WHY: &str =
    "`reqwest::blocking` starts its own runtime, which panics inside an async context";
const UREQ: &str = "use an async client such as `reqwest::Client`, or run the request in `tokio::task::spawn_blocking`";

/// Other synchronous clients: minreq, curl's easy interface, isahc's sync API.
const OTHER_CLIENTS: &[Blocking] = &[
    Blocking::method("minreq::Request", "send", WHY, UREQ),
    Blocking::method("curl::easy::Easy", "perform", WHY, UREQ),
    Blocking::method("curl::easy::Easy2", "perform", WHY, UREQ),
    Blocking::func("isahc::get", WHY, ISAHC),
    Blocking::func("isahc::post", WHY, ISAHC),
    Blocking::func("isahc::put", WHY, ISAHC),
    Blocking::func("isahc::delete", WHY, ISAHC),
    Blocking::func("isahc::head", WHY, ISAHC),
    Blocking::func("isahc::send", WHY, ISAHC),
    Blocking::method("isahc::HttpClient", "get", WHY, ISAHC),
    Blocking::method("isahc::HttpClient", "post", WHY, ISAHC),
    Blocking::method("isahc::HttpClient", "send", WHY, ISAHC),
];

const ISAHC: &str = "use isahc's `_async` functions (`isahc::get_async(..).await`)";

pub(crate) const CATALOG: &[&[Blocking]] = &[
    OTHER_CLIENTS,
    &[
        Blocking::func("reqwest::blocking::get", WHY, REQWEST),
        Blocking::func("reqwest::blocking::Client::new", REQWEST_BUILD_WHY, REQWEST),
        Blocking::method(
            "reqwest::blocking::ClientBuilder",
            "build",
            REQWEST_BUILD_WHY,
            REQWEST,
        ),
        Blocking::method("reqwest::blocking::RequestBuilder", "send", WHY, REQWEST),
        Blocking::method("reqwest::blocking::Client", "execute", WHY, REQWEST),
        Blocking::method("reqwest::blocking::Response", "text", WHY, REQWEST),
        Blocking::method("reqwest::blocking::Response", "json", WHY, REQWEST),
        Blocking::method("reqwest::blocking::Response", "bytes", WHY, REQWEST),
        Blocking::method("ureq::Request", "call", WHY, UREQ),
        Blocking::method("ureq::Request", "send", WHY, UREQ),
        Blocking::method("ureq::Request", "send_string", WHY, UREQ),
        Blocking::method("ureq::Request", "send_json", WHY, UREQ),
        Blocking::method("ureq::Request", "send_form", WHY, UREQ),
        Blocking::method("ureq::Request", "send_bytes", WHY, UREQ),
        Blocking::method("ureq::RequestBuilder", "call", WHY, UREQ),
        Blocking::method("ureq::RequestBuilder", "send", WHY, UREQ),
        Blocking::method("ureq::RequestBuilder", "send_json", WHY, UREQ),
        Blocking::method("ureq::RequestBuilder", "send_form", WHY, UREQ),
        Blocking::method("ureq::RequestBuilder", "send_empty", WHY, UREQ),
        Blocking::method("ureq::Response", "into_string", WHY, UREQ),
        Blocking::method("ureq::Response", "into_json", WHY, UREQ),
        Blocking::method("attohttpc::RequestBuilder", "send", WHY, UREQ),
        Blocking::method("attohttpc::Session", "send", WHY, UREQ),
    ],
];
