//! [`RelayConfig`]: the policy and the limits of a relay, and the
//! [`Listener`] an accepted connection came in on.

use std::time::Duration;

use crate::wire::Limits;

/// Settings of a relay. Start from [`RelayConfig::new`] and change the fields
/// you need; every limit has a defined answer (see the field docs).
///
/// ```
/// use std::time::Duration;
/// use msrp_proto::relay::RelayConfig;
/// let mut config = RelayConfig::new("relay.example.com", "example.com");
/// config.min_expires = 60;
/// config.transaction_timeout = Duration::from_secs(30);
/// assert_eq!(config.limits.max_path_uris, 16);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RelayConfig {
    /// The relay's name in the URIs it hands out (Use-Path). RFC 4976 §4.2:
    /// a fully qualified domain name, the one its certificate carries.
    pub host: String,
    /// Other names and addresses that mean this relay (the addresses it
    /// listens on, say): a request whose first To-Path URI names one of
    /// them with a session id this relay does not know is answered 481
    /// instead of dropping the connection (RFC 4976 §6.2).
    pub aliases: Vec<String>,
    /// The digest realm of the challenges (RFC 4976 §5.1: policy; the
    /// relay's host or domain is usual).
    pub realm: String,
    /// Parser limits of every connection. `max_path_uris` (default 16) also
    /// caps the From-Path a forwarded request gets: one that would grow
    /// past it is answered 400.
    pub limits: Limits,
    /// Shortest Expires granted; an AUTH asking for less gets 423 with
    /// Min-Expires (RFC 4976 §6.3). Default 60 s.
    pub min_expires: u32,
    /// Longest Expires granted; an AUTH asking for more gets 423 with
    /// Max-Expires. Default 3600 s.
    pub max_expires: u32,
    /// Expires granted to an AUTH that names none. Default 600 s.
    pub default_expires: u32,
    /// How long a nonce of a 401 stays good; credentials computed with an
    /// older one get 401 with `stale=TRUE` (RFC 2617 §3.2.1). Default 60 s.
    pub nonce_lifetime: Duration,
    /// Failed AUTH attempts (wrong credentials, unknown user, forbidden
    /// user, malformed credentials) after which the connection is closed,
    /// once the last answer went out (RFC 4976 §6.3). Default 3.
    pub max_auth_failures: u32,
    /// How long an accepted connection may go without a successful request
    /// (an AUTH granted, or a request forwarded) before it is closed
    /// (RFC 4976 §6.1: 30 s). Default 30 s.
    pub probation: Duration,
    /// Close a connection that has no live relay URI after this long
    /// without receiving anything (RFC 4976 §6.5 allows one hour).
    /// Default one hour.
    pub idle_timeout: Option<Duration>,
    /// Close a connection whose peer takes longer than this to send the
    /// start line and headers of a chunk (a slowloris peer). Default 10 s.
    pub head_timeout: Option<Duration>,
    /// How long to wait, after the last byte of a forwarded SEND chunk with
    /// `Failure-Report: yes` went out, for the next hop's response before
    /// reporting 408 to the sender (RFC 4976 §6.4.1). Also how long the
    /// transaction of a forwarded request with an end-to-end response is
    /// remembered. Default 30 s.
    pub transaction_timeout: Duration,
    /// Most connections at a time. At the limit a new connection pushes out
    /// the oldest one that has not made a successful request yet; when
    /// there is none, the new one is refused. Default 10 000.
    pub max_connections: usize,
    /// Most relay URIs one connection may hold (one per user it
    /// authenticated as); beyond it AUTH is answered 403. Default 16.
    pub max_grants_per_connection: usize,
    /// Most sessions one connection may carry: distinct previous-hop URIs
    /// (the first From-Path URI of its requests). A request that would
    /// start one more is answered 403. Default 1024.
    pub max_sessions_per_connection: usize,
    /// Bytes queued for one connection above which the relay stops reading
    /// every connection whose traffic goes there (backpressure, resumed
    /// below half of it). A connection whose own responses pile up past
    /// four times this much (a peer that sends and never reads) is
    /// closed. Default 1 MiB.
    pub max_queued_bytes: usize,
    /// Forwarded requests waiting for their response on one connection; at
    /// the limit the connections sending there are not read until
    /// responses come. Default 4096.
    pub max_pending_transactions: usize,
    /// Body bytes of one forwarded chunk sent in a row while a chunk of
    /// another connection waits for the same downstream connection; then
    /// the chunk is interrupted (`+`) and resumed later under a new
    /// transaction id (RFC 4975 §7.1). Responses and REPORTs interrupt at
    /// once. Default 64 KiB.
    pub interrupt_after: usize,
    /// Largest body piece one [`poll_transmit`](super::Relay::poll_transmit)
    /// hands out. Default 64 KiB.
    pub max_piece: usize,
    /// Largest chunk, start line to end-line, written to a client of a
    /// WebSocket listener: one chunk is one WebSocket message (RFC 7977
    /// §5.1), and many WebSocket peers take no large ones (Kamailio drops
    /// a connection whose frame exceeds 16 383 bytes). Longer chunks for
    /// them are cut into parts that fit (`+`, then the next byte under a
    /// new transaction id, RFC 4975 §7.1, RFC 4976 §6.4.1). Default
    /// 16 320 bytes; at least [`MIN_CHUNK_LIMIT`].
    pub max_ws_chunk: usize,
}

/// The smallest chunk size limit a connection may have
/// ([`RelayConfig::max_ws_chunk`], [`Relay::set_max_chunk`](super::Relay::set_max_chunk)):
/// room for a head and end-line and a useful body.
pub const MIN_CHUNK_LIMIT: usize = 2048;

impl RelayConfig {
    /// The defaults, for a relay called `host` with digest realm `realm`.
    pub fn new(host: impl Into<String>, realm: impl Into<String>) -> Self {
        Self {
            host: host.into(),
            aliases: Vec::new(),
            realm: realm.into(),
            limits: Limits::default(),
            min_expires: 60,
            max_expires: 3600,
            default_expires: 600,
            nonce_lifetime: Duration::from_secs(60),
            max_auth_failures: 3,
            probation: Duration::from_secs(30),
            idle_timeout: Some(Duration::from_secs(3600)),
            head_timeout: Some(Duration::from_secs(10)),
            transaction_timeout: Duration::from_secs(30),
            max_connections: 10_000,
            max_grants_per_connection: 16,
            max_sessions_per_connection: 1024,
            max_queued_bytes: 1 << 20,
            max_pending_transactions: 4096,
            interrupt_after: 64 * 1024,
            max_piece: 64 * 1024,
            max_ws_chunk: 16_320,
        }
    }

    /// The Expires granted for a request: `asked` (or the default), or the
    /// bound it falls outside of as `Err((header, bound))`.
    pub(crate) fn grant_expires(&self, asked: Option<u32>) -> Result<u32, (&'static str, u32)> {
        let asked = asked.unwrap_or_else(|| {
            self.default_expires
                .clamp(self.min_expires, self.max_expires.max(self.min_expires))
        });
        if asked < self.min_expires {
            Err(("Min-Expires", self.min_expires))
        } else if asked > self.max_expires {
            Err(("Max-Expires", self.max_expires))
        } else {
            Ok(asked)
        }
    }

    /// Whether `host` (as written in a URI) names this relay.
    pub(crate) fn is_own_host(&self, host: &str) -> bool {
        let bare = |h: &str| h.trim_start_matches('[').trim_end_matches(']').to_owned();
        let host = bare(host);
        std::iter::once(&self.host)
            .chain(&self.aliases)
            .any(|name| bare(name).eq_ignore_ascii_case(&host))
    }
}

/// The listening socket an accepted connection came in on: the relay URI
/// handed out on it carries its scheme and port (RFC 4976 §4.2: Use-Path
/// URIs carry an explicit port).
///
/// ```
/// use msrp_proto::relay::{Listener, ListenerKind};
/// let tls = Listener::tls(2855);
/// // Browsers reach the relay over WebSocket on 443; the relay URI they
/// // are given is the one of the TLS listener (RFC 7977).
/// let wss = Listener::websocket(true, 443, tls);
/// assert_eq!(wss.kind, ListenerKind::WebSocket { use_secure: true, use_port: 2855 });
/// assert_eq!(wss.use_path(), (true, 2855));
/// assert_eq!(tls.use_path(), (true, 2855));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Listener {
    /// TLS (`msrps`; `wss` for a WebSocket listener) or plain TCP (`msrp`;
    /// `ws`).
    pub secure: bool,
    /// The port peers reach it on.
    pub port: u16,
    /// MSRP itself, or MSRP over WebSocket.
    pub kind: ListenerKind,
}

/// What a [`Listener`] speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ListenerKind {
    /// MSRP over TCP or TLS: its clients' relay URIs name this listener.
    Msrp,
    /// MSRP over WebSocket (RFC 7977). A WebSocket client cannot be
    /// connected to, so peers reach it through the relay's MSRP listener on
    /// `use_port` (TLS when `use_secure`): that listener's URI is the relay
    /// URI (Use-Path) its clients get (RFC 7977 §8.1: `msrps://…:2855/…;tcp`
    /// for a client on port 443), and what comes for them is delivered on
    /// their own WebSocket connection.
    WebSocket {
        /// Whether the MSRP listener of the relay URIs is TLS.
        use_secure: bool,
        /// Its port.
        use_port: u16,
    },
}

impl Listener {
    /// A TLS listener (`msrps`).
    pub const fn tls(port: u16) -> Self {
        Self {
            secure: true,
            port,
            kind: ListenerKind::Msrp,
        }
    }

    /// A plain TCP listener (`msrp`).
    pub const fn tcp(port: u16) -> Self {
        Self {
            secure: false,
            port,
            kind: ListenerKind::Msrp,
        }
    }

    /// A WebSocket listener (`wss` when `secure`, else `ws`) on `port`
    /// whose clients get relay URIs of `via`, an MSRP listener (of a
    /// WebSocket listener, its own MSRP listener is taken).
    pub const fn websocket(secure: bool, port: u16, via: Self) -> Self {
        let (use_secure, use_port) = via.use_path();
        Self {
            secure,
            port,
            kind: ListenerKind::WebSocket {
                use_secure,
                use_port,
            },
        }
    }

    /// Whether it is a WebSocket listener.
    pub const fn is_websocket(&self) -> bool {
        matches!(self.kind, ListenerKind::WebSocket { .. })
    }

    /// The scheme (TLS or not) and port of the relay URIs its clients get.
    pub const fn use_path(&self) -> (bool, u16) {
        match self.kind {
            ListenerKind::Msrp => (self.secure, self.port),
            ListenerKind::WebSocket {
                use_secure,
                use_port,
            } => (use_secure, use_port),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expires_bounds() {
        let mut c = RelayConfig::new("r.example", "example");
        c.min_expires = 10;
        c.max_expires = 100;
        c.default_expires = 600;
        assert_eq!(c.grant_expires(None), Ok(100), "the default is clamped");
        assert_eq!(c.grant_expires(Some(10)), Ok(10));
        assert_eq!(c.grant_expires(Some(9)), Err(("Min-Expires", 10)));
        assert_eq!(c.grant_expires(Some(101)), Err(("Max-Expires", 100)));
    }

    #[test]
    fn own_hosts_ignore_case_and_brackets() {
        let mut c = RelayConfig::new("Relay.Example.com", "example");
        c.aliases = vec!["127.0.0.1".into(), "::1".into()];
        assert!(c.is_own_host("relay.example.COM"));
        assert!(c.is_own_host("127.0.0.1"));
        assert!(c.is_own_host("[::1]"));
        assert!(!c.is_own_host("other.example.com"));
    }
}
