use crate::catalog::{Blocking, Target};
use crate::rule::declare_rule;

declare_rule! {
    /// ## What it does
    /// Finds blocking network and DNS calls in async code: `std::net::TcpStream::connect`,
    /// reads and writes on `std::net` sockets, `TcpListener::accept`/`incoming`, `UdpSocket`
    /// sends and receives, `std::os::unix::net` sockets, and `to_socket_addrs()` name lookups.
    ///
    /// ## Why is this bad?
    /// A `std::net` socket waits in the kernel until the peer answers, which may take as long
    /// as the peer likes. `to_socket_addrs()` calls the system resolver (`getaddrinfo`), which
    /// blocks for the whole DNS round trip and its retries. Meanwhile the worker runs no task.
    ///
    /// ## Example
    /// ```rust,ignore
    /// async fn ping(addr: &str) -> std::io::Result<()> {
    ///     let stream = std::net::TcpStream::connect(addr)?;
    ///     Ok(())
    /// }
    /// ```
    ///
    /// ## Use instead
    /// ```rust,ignore
    /// async fn ping(addr: &str) -> std::io::Result<()> {
    ///     let stream = tokio::net::TcpStream::connect(addr).await?;
    ///     Ok(())
    /// }
    /// ```
    pub static BLOCKING_NET = {
        name: "blocking-net",
        severity: Warning,
        default: enabled,
        summary: "blocking socket or DNS call in async code",
    }
}

const WHY: &str = "it waits for the network on the worker thread";
const DNS_WHY: &str =
    "it resolves the name with the system resolver, blocking for the whole lookup";
const TCP: &str = "use `tokio::net::TcpStream` (`connect(..).await`) and `tokio::io::AsyncReadExt`/`AsyncWriteExt`";
const LISTENER: &str = "use `tokio::net::TcpListener` and `accept().await`";
const UDP: &str = "use `tokio::net::UdpSocket` and `.await` its sends and receives";
const UNIX: &str = "use `tokio::net::UnixStream`/`UnixListener` with `.await`";
const DNS: &str = "use `tokio::net::lookup_host(addr).await`";

macro_rules! stream {
    ($ty:literal, $instead:expr) => {
        [
            Blocking::method($ty, "read", WHY, $instead),
            Blocking::method($ty, "read_exact", WHY, $instead),
            Blocking::method($ty, "read_to_end", WHY, $instead),
            Blocking::method($ty, "read_to_string", WHY, $instead),
            Blocking::method($ty, "write", WHY, $instead),
            Blocking::method($ty, "write_all", WHY, $instead),
            Blocking::method($ty, "peek", WHY, $instead),
        ]
    };
}

const TCP_STREAM: [Blocking; 7] = stream!("std::net::TcpStream", TCP);
const UNIX_STREAM: [Blocking; 7] = stream!("std::os::unix::net::UnixStream", UNIX);

const OTHER: &[Blocking] = &[
    Blocking::func("std::net::TcpStream::connect", WHY, TCP),
    Blocking::func("std::net::TcpStream::connect_timeout", WHY, TCP),
    Blocking::method("std::net::TcpListener", "accept", WHY, LISTENER),
    Blocking::method("std::net::TcpListener", "incoming", WHY, LISTENER),
    Blocking::method("std::net::UdpSocket", "recv", WHY, UDP),
    Blocking::method("std::net::UdpSocket", "recv_from", WHY, UDP),
    Blocking::method("std::net::UdpSocket", "send", WHY, UDP),
    Blocking::method("std::net::UdpSocket", "send_to", WHY, UDP),
    Blocking::method("std::net::UdpSocket", "peek_from", WHY, UDP),
    Blocking::func("std::os::unix::net::UnixStream::connect", WHY, UNIX),
    Blocking::method("std::os::unix::net::UnixListener", "accept", WHY, UNIX),
    Blocking::method("std::os::unix::net::UnixListener", "incoming", WHY, UNIX),
    Blocking::method("std::os::unix::net::UnixDatagram", "recv", WHY, UNIX),
    Blocking::method("std::os::unix::net::UnixDatagram", "recv_from", WHY, UNIX),
    Blocking {
        target: Target::MethodByName {
            method: "to_socket_addrs",
            args: 0,
        },
        why: DNS_WHY,
        instead: DNS,
    },
    Blocking::func("std::net::ToSocketAddrs::to_socket_addrs", DNS_WHY, DNS),
    Blocking::func("dns_lookup::lookup_host", DNS_WHY, DNS),
    Blocking::func("dns_lookup::lookup_addr", DNS_WHY, DNS),
];

/// Protocol clients whose sync forms hold the worker for a network round trip.
const PROTOCOL_CLIENTS: &[Blocking] = &[
    Blocking::method(
        "lettre::SmtpTransport",
        "send",
        WHY,
        "use `lettre::AsyncSmtpTransport<Tokio1Executor>` and `.await` its `send`",
    ),
    Blocking::method(
        "lettre::SendmailTransport",
        "send",
        WHY,
        "use `lettre::AsyncSendmailTransport` and `.await` its `send`",
    ),
    Blocking::func("tungstenite::connect", WHY, WEBSOCKET),
    Blocking::func("tungstenite::client::connect", WHY, WEBSOCKET),
    Blocking::func("tungstenite::accept", WHY, WEBSOCKET),
    Blocking::func("tungstenite::server::accept", WHY, WEBSOCKET),
    Blocking::method("tungstenite::WebSocket", "read", WHY, WEBSOCKET),
    Blocking::method("tungstenite::WebSocket", "send", WHY, WEBSOCKET),
    Blocking::method("tungstenite::WebSocket", "read_message", WHY, WEBSOCKET),
    Blocking::method("tungstenite::WebSocket", "write_message", WHY, WEBSOCKET),
    Blocking::method("rdkafka::consumer::BaseConsumer", "poll", WHY, KAFKA),
    Blocking::method("rdkafka::producer::BaseProducer", "flush", WHY, KAFKA),
    Blocking::method("rdkafka::producer::ThreadedProducer", "flush", WHY, KAFKA),
];

const WEBSOCKET: &str =
    "use `tokio_tungstenite` (`connect_async(..).await`) and `.await` reads and sends";
const KAFKA: &str = "use rdkafka's `StreamConsumer`/`FutureProducer` and `.await` them";

pub(crate) const CATALOG: &[&[Blocking]] = &[&TCP_STREAM, &UNIX_STREAM, OTHER, PROTOCOL_CLIENTS];
