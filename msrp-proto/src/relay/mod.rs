//! A sans-IO MSRP relay (RFC 4976): the AUTH server and the forwarding of
//! every connection of a relay, with no sockets, no clock and no ambient
//! randomness.
//!
//! ```
//! use std::time::Instant;
//! use msrp_proto::relay::{Listener, Relay, RelayConfig, Users};
//!
//! let mut users = Users::new();
//! users.add_password("alice", "example.com", "secret");
//! let config = RelayConfig::new("relay.example.com", "example.com");
//! let now = Instant::now();
//! // The seed comes from the operating system in a real relay.
//! let mut relay = Relay::new(config, users, [7; 32], now)?;
//! let listener = Listener::tls(2855);
//! relay.add_listener(listener);
//!
//! // A client connects and asks for a relay URI without credentials...
//! let conn = relay.handle_accept(now, listener)?;
//! relay.handle_input(now, conn, b"MSRP a1b2c3d4 AUTH\r\n\
//!     To-Path: msrps://relay.example.com:2855;tcp\r\n\
//!     From-Path: msrps://alice.example.com:9892/98cjs;tcp\r\n\
//!     -------a1b2c3d4$\r\n");
//! // ...and is challenged (RFC 4976 §5.1).
//! let answer = relay.poll_transmit(now, conn).expect("a response");
//! let text = String::from_utf8_lossy(&answer.data);
//! assert!(text.starts_with("MSRP a1b2c3d4 401 Unauthorized\r\n"));
//! assert!(text.contains("WWW-Authenticate: Digest realm=\"example.com\", nonce=\""));
//! assert!(text.contains("qop=\"auth\""));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # The contract
//!
//! One [`Relay`] holds every connection of a relay: they share its relay
//! URIs and forward to each other. The caller owns the sockets and the
//! clock, and drives it with calls of four kinds:
//!
//! | kind | methods |
//! |---|---|
//! | input | [`handle_accept`](Relay::handle_accept), [`handle_connected`](Relay::handle_connected), [`handle_connect_failed`](Relay::handle_connect_failed), [`handle_input`](Relay::handle_input) / [`handle_read`](Relay::handle_read), [`handle_eof`](Relay::handle_eof), [`handle_reset`](Relay::handle_reset), [`handle_timeout`](Relay::handle_timeout) |
//! | output | [`poll_transmit`](Relay::poll_transmit) per connection, [`poll_action`](Relay::poll_action) (connections to open, connections to look at again), [`poll_event`](Relay::poll_event), [`poll_timeout`](Relay::poll_timeout) |
//! | flow | [`wants_input`](Relay::wants_input), [`conn_state`](Relay::conn_state) |
//! | getters | [`stats`](Relay::stats), [`config`](Relay::config) |
//!
//! Outputs queue inside, so any order of calls is safe. After a call,
//! drain [`poll_action`](Relay::poll_action): an [`Action::Wake`] names a
//! connection whose output grew or that wants input again, so its I/O task
//! should run.
//!
//! # Streaming and backpressure
//!
//! A forwarded SEND chunk is never held whole: its head goes to the next
//! hop's queue when it arrives, then each body piece as the parser hands it
//! out (slices of the receive buffer, or copies for small bodies). When a
//! connection's queue passes
//! [`max_queued_bytes`](RelayConfig::max_queued_bytes), every
//! connection feeding it stops being read ([`wants_input`](Relay::wants_input)
//! turns false) until it drains to half; TCP then pushes back on the
//! senders. Memory per connection is bounded by that mark plus one read.

mod auth;
mod config;
mod conn;
mod forward;
mod frames;
mod output;
mod timers;
mod users;

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::ident::IdGenerator;
use crate::uri::MsrpUri;

pub use config::{Listener, ListenerKind, MIN_CHUNK_LIMIT, RelayConfig};
pub use conn::{CloseReason, ConnId, ConnState};
pub use output::Transmit;
pub use users::{Users, UsersError, UsersErrorKind};

use conn::{Conn, Incoming, PendingKind, Role, Target};
use output::Note;
use timers::{TimerKey, Timers};

/// Events kept for the application at most; older ones are dropped.
const MAX_EVENTS: usize = 4096;

/// A connection quiet this long gives its receive buffer back: thousands
/// of idle clients must not each hold a read block.
const RELEASE_AFTER: Duration = Duration::from_secs(2);

/// Something the I/O glue must do.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Action {
    /// Open a connection to `host:port` (TLS when `secure`, checking the
    /// certificate for `host`), then call
    /// [`handle_connected`](Relay::handle_connected) or
    /// [`handle_connect_failed`](Relay::handle_connect_failed).
    Connect {
        /// The connection to be.
        conn: ConnId,
        /// A name or an address (without IPv6 brackets).
        host: String,
        /// The port.
        port: u16,
        /// `msrps`: TLS.
        secure: bool,
    },
    /// Look at this connection again: it has output, wants input again, or
    /// changed state.
    Wake(ConnId),
}

/// What happened, for logs and metrics.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RelayEvent {
    /// A client was granted a relay URI (or had it renewed).
    Authenticated {
        /// Its connection.
        conn: ConnId,
        /// The user it authenticated as.
        user: String,
        /// The relay URI (Use-Path).
        uri: MsrpUri,
        /// For how long.
        expires: Duration,
        /// Whether it renewed a URI it had.
        renewed: bool,
    },
    /// An AUTH was refused.
    AuthRefused {
        /// Its connection.
        conn: ConnId,
        /// The user it named, if any.
        user: Option<String>,
        /// The status code sent: 400, 401, 403 or 423.
        code: u16,
    },
    /// A relay URI expired (RFC 4976 §6.3).
    GrantExpired {
        /// The URI.
        uri: MsrpUri,
    },
    /// A failure REPORT went to the sender of a forwarded SEND.
    Reported {
        /// The connection it went out on.
        conn: ConnId,
        /// Its status code.
        code: u16,
        /// The message it is about.
        message_id: String,
    },
    /// A connection is gone.
    Closed {
        /// Which.
        conn: ConnId,
        /// Why.
        reason: CloseReason,
    },
}

/// Why a connection was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AcceptError {
    /// At the connection limit, and every connection has proven itself.
    #[error("at the connection limit")]
    Full,
}

/// A configuration the relay cannot run with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The host cannot be the host of an MSRP URI.
    #[error("`{0}` cannot be the host of a relay URI")]
    Host(String),
    /// The realm cannot be written in a challenge.
    #[error("the realm must be printable text")]
    Realm,
    /// Min-Expires above Max-Expires.
    #[error("min-expires ({min}) is above max-expires ({max})")]
    Expires {
        /// The minimum.
        min: u32,
        /// The maximum.
        max: u32,
    },
    /// A limit that must be at least 1 is 0.
    #[error("{0} must be at least 1")]
    Zero(&'static str),
    /// A chunk size limit below [`MIN_CHUNK_LIMIT`].
    #[error("{name} must be at least {min} bytes")]
    TooSmall {
        /// The setting.
        name: &'static str,
        /// Its least value.
        min: usize,
    },
}

/// Figures about a relay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct RelayStats {
    /// Connections open or opening.
    pub connections: usize,
    /// Live relay URIs.
    pub grants: usize,
    /// Bytes queued for sending, all connections together.
    pub queued_bytes: usize,
    /// The most bytes ever queued for one connection.
    pub peak_queued_bytes: usize,
    /// Received bytes not yet handed out by the parsers.
    pub buffered_input: usize,
}

/// A relay URI handed out.
#[derive(Debug, Clone)]
pub(crate) struct Grant {
    pub(crate) uri: MsrpUri,
    pub(crate) owner: ConnId,
    pub(crate) user: String,
    pub(crate) expires: Instant,
}

/// A sans-IO MSRP relay: see the [module docs](self).
#[derive(Debug)]
pub struct Relay {
    config: Arc<RelayConfig>,
    users: Users,
    ids: IdGenerator,
    now: Instant,
    listeners: Vec<Listener>,
    conns: HashMap<ConnId, Conn>,
    next_conn: u64,
    grants: HashMap<String, Grant>,
    /// Previous hops seen on a connection: where their traffic goes back.
    routes: HashMap<MsrpUri, ConnId>,
    outbound: HashMap<Target, ConnId>,
    /// Inbound connections in the order they came, for eviction.
    probation: VecDeque<ConnId>,
    timers: Timers,
    actions: VecDeque<Action>,
    woken: HashSet<ConnId>,
    events: VecDeque<RelayEvent>,
    /// Connections whose buffered input may be processed again.
    runnable: VecDeque<ConnId>,
    serial: u64,
    next_stream: u64,
    peak_queued: usize,
}

impl Relay {
    /// A relay with this configuration and these users. `seed` drives every
    /// random choice (nonces, relay URIs, transaction ids): give 32 bytes
    /// from the operating system's CSPRNG (the generator is ChaCha12).
    pub fn new(
        config: RelayConfig,
        users: Users,
        seed: [u8; 32],
        now: Instant,
    ) -> Result<Self, ConfigError> {
        validate(&config)?;
        Ok(Self {
            config: Arc::new(config),
            users,
            ids: IdGenerator::from_seed(seed),
            now,
            listeners: Vec::new(),
            conns: HashMap::new(),
            next_conn: 0,
            grants: HashMap::new(),
            routes: HashMap::new(),
            outbound: HashMap::new(),
            probation: VecDeque::new(),
            timers: Timers::default(),
            actions: VecDeque::new(),
            woken: HashSet::new(),
            events: VecDeque::new(),
            runnable: VecDeque::new(),
            serial: 0,
            next_stream: 0,
            peak_queued: 0,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &RelayConfig {
        &self.config
    }

    /// Registers a listening socket: URIs on the relay's names with its
    /// port are this relay's (RFC 4976 §6.2).
    pub fn add_listener(&mut self, listener: Listener) {
        if !self.listeners.contains(&listener) {
            self.listeners.push(listener);
        }
    }

    /// Caps every chunk written on `conn`, start line to end-line, at
    /// `bytes` (at least [`MIN_CHUNK_LIMIT`]; `None`: no cap), for a
    /// message-oriented transport whose peer takes messages up to a size.
    /// Forwarded SEND chunks are cut into parts that fit (`+`, then the
    /// rest under a new transaction id from the next byte, RFC 4975 §7.1);
    /// a SEND whose head alone leaves too little room, or another request
    /// too large, is refused with 413; any other frame larger than the cap
    /// (an end-to-end response with an outsize head) is dropped, logged.
    /// Connections accepted on a WebSocket listener start with
    /// [`RelayConfig::max_ws_chunk`].
    pub fn set_max_chunk(&mut self, conn: ConnId, bytes: Option<usize>) {
        if let Some(c) = self.conns.get_mut(&conn) {
            c.out.max_chunk = bytes.map(|b| b.max(MIN_CHUNK_LIMIT));
        }
    }

    // ---- input -----------------------------------------------------------

    /// A connection was accepted on `listener`. At the connection limit the
    /// oldest connection still on probation is closed to make room (its
    /// owner learns it from [`conn_state`](Self::conn_state)): silent
    /// sockets cannot lock real clients out, who prove themselves within a
    /// round trip.
    pub fn handle_accept(
        &mut self,
        now: Instant,
        listener: Listener,
    ) -> Result<ConnId, AcceptError> {
        self.now = now;
        while self.conns.len() >= self.config.max_connections {
            let Some(oldest) = self.probation.pop_front() else {
                return Err(AcceptError::Full);
            };
            if self.conns.get(&oldest).is_some_and(|c| !c.proven) {
                self.finish_close(oldest, CloseReason::Evicted);
            }
        }
        let id = self.new_conn(Role::Inbound(listener), ConnState::Open);
        if listener.is_websocket() {
            // RFC 7977 §5.1: one chunk per message, within the peer's limit.
            self.set_max_chunk(id, Some(self.config.max_ws_chunk));
        }
        if self.probation.len() > 2 * self.conns.len() + 64 {
            // Ids of connections that proved themselves or went: dropped now
            // and then, so that the queue does not grow with every accept.
            let conns = &self.conns;
            self.probation
                .retain(|id| conns.get(id).is_some_and(|c| !c.proven));
        }
        self.probation.push_back(id);
        self.arm_conn_timer(id);
        self.run();
        Ok(id)
    }

    /// An outbound connection asked for by [`Action::Connect`] is open.
    pub fn handle_connected(&mut self, now: Instant, conn: ConnId) {
        self.now = now;
        if let Some(c) = self.conns.get_mut(&conn) {
            if c.state == ConnState::Connecting {
                c.state = ConnState::Open;
                c.last_input = now;
                self.wake(conn);
                self.arm_conn_timer(conn);
            }
        }
        self.run();
    }

    /// An outbound connection could not be opened: what waited for it
    /// fails (481 to whoever asked for a failure report).
    pub fn handle_connect_failed(&mut self, now: Instant, conn: ConnId, reason: &str) {
        self.now = now;
        if self.conns.contains_key(&conn) {
            self.finish_close(conn, CloseReason::ConnectFailed(reason.to_owned()));
        }
        self.run();
    }

    /// Bytes received on `conn` (copied into its parser).
    pub fn handle_input(&mut self, now: Instant, conn: ConnId, data: &[u8]) {
        self.now = now;
        let Some(c) = self
            .conns
            .get_mut(&conn)
            .filter(|c| c.state == ConnState::Open)
        else {
            return;
        };
        if data.is_empty() {
            return;
        }
        c.parser.feed(data);
        c.last_input = now;
        c.released = false;
        self.after_input(conn);
        self.run();
    }

    /// Bytes received on `conn`, read by `read` straight into its parser's
    /// buffer (see [`Parser::read_into`](crate::wire::Parser::read_into)):
    /// `read` fills at most `max` bytes and returns how many, with a value
    /// handed back. `None` (and `read` not called) when the connection
    /// takes no input.
    pub fn handle_read<T>(
        &mut self,
        now: Instant,
        conn: ConnId,
        max: usize,
        block: usize,
        read: impl FnOnce(&mut [u8]) -> (usize, T),
    ) -> Option<T> {
        self.now = now;
        let c = self
            .conns
            .get_mut(&conn)
            .filter(|c| c.state == ConnState::Open)?;
        let mut filled = 0;
        let out = c.parser.read_into(max, block, |buf| {
            let (n, out) = read(buf);
            filled = n;
            (n, out)
        });
        if filled > 0 {
            c.last_input = now;
            c.released = false;
            self.after_input(conn);
            self.run();
        }
        Some(out)
    }

    /// The peer closed its end of `conn`: what it sent is processed, what
    /// is queued for it still goes out, then the connection closes.
    pub fn handle_eof(&mut self, now: Instant, conn: ConnId) {
        self.now = now;
        if let Some(c) = self.conns.get_mut(&conn) {
            if c.state == ConnState::Open {
                c.closing = Some(CloseReason::PeerClosed);
                self.process(conn);
            }
        }
        self.run();
    }

    /// `conn` broke: nothing more goes in or out.
    pub fn handle_reset(&mut self, now: Instant, conn: ConnId) {
        self.now = now;
        if self.conns.contains_key(&conn) {
            self.finish_close(conn, CloseReason::ConnectionLost);
        }
        self.run();
    }

    /// Closes `conn` at once (the application's decision).
    pub fn close(&mut self, now: Instant, conn: ConnId) {
        self.now = now;
        if self.conns.contains_key(&conn) {
            self.finish_close(conn, CloseReason::Local);
        }
        self.run();
    }

    /// Time passed: fires every timer due by `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.now = now;
        while let Some(key) = self.timers.pop_due(now) {
            match key {
                TimerKey::Conn(id) => self.conn_timer(id),
                TimerKey::Transaction { conn, tid, serial } => {
                    self.transaction_timer(conn, &tid, serial);
                }
                TimerKey::Grant(token) => self.grant_timer(&token),
            }
        }
        self.run();
    }

    // ---- output ----------------------------------------------------------

    /// The next bytes to write on `conn`, or `None` for now.
    pub fn poll_transmit(&mut self, now: Instant, conn: ConnId) -> Option<Transmit> {
        self.now = now;
        let high = self.config.max_queued_bytes;
        let (quantum, piece) = (self.config.interrupt_after, self.config.max_piece);
        let c = self.conns.get_mut(&conn)?;
        if !matches!(c.state, ConnState::Open | ConnState::Draining) {
            return None;
        }
        let before = c.out.queued();
        let sent = c.out.poll(&mut self.ids, quantum, piece);
        let notes = std::mem::take(&mut c.out.notes);
        let drained = c.state == ConnState::Draining && c.out.is_empty();
        // Below the low-water mark again: who waited for room goes on, this
        // connection itself included (its peer's answers were piling up).
        let unblock = before > high / 2 && c.out.queued() <= high / 2;
        for note in notes {
            self.on_note(conn, note);
        }
        if unblock {
            self.unblock(conn);
            self.runnable.push_back(conn);
            self.wake(conn);
        }
        if drained {
            let reason = self
                .conns
                .get_mut(&conn)
                .and_then(|c| c.closing.take())
                .unwrap_or(CloseReason::Local);
            self.finish_close(conn, reason);
        }
        self.run();
        sent
    }

    /// The next thing for the I/O glue to do.
    pub fn poll_action(&mut self) -> Option<Action> {
        let action = self.actions.pop_front()?;
        if let Action::Wake(id) = &action {
            self.woken.remove(id);
        }
        Some(action)
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<RelayEvent> {
        self.events.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) should next be called
    /// (possibly early: a timer that moved later fires at its old time and
    /// does nothing).
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next_deadline()
    }

    // ---- getters -----------------------------------------------------------

    /// Whether to read from `conn` now: false while what it sends has
    /// nowhere to go (backpressure), and once it is not open.
    ///
    /// A connection held back by a full downstream is noted there, so that
    /// it is woken when room comes: the caller stops reading on `false`,
    /// and nothing else would look at it again (a connection that had no
    /// complete chunk to process when the window filled stalled for good).
    pub fn wants_input(&mut self, conn: ConnId) -> bool {
        if self.would_read(conn) {
            return true;
        }
        let open = self
            .conns
            .get(&conn)
            .is_some_and(|c| c.state == ConnState::Open && c.closing.is_none());
        if let (true, Some(down)) = (open, self.blocked_on(conn)) {
            if down != conn {
                if let Some(d) = self.conns.get_mut(&down) {
                    if !d.blocked.contains(&conn) {
                        d.blocked.push(conn);
                    }
                }
            }
        }
        false
    }

    /// [`wants_input`](Self::wants_input) without noting anything.
    pub(crate) fn would_read(&self, conn: ConnId) -> bool {
        self.conns
            .get(&conn)
            .is_some_and(|c| c.state == ConnState::Open && c.closing.is_none())
            && self.blocked_on(conn).is_none()
    }

    /// Where `conn` is in its life; [`ConnState::Closed`] for one the relay
    /// does not know (any more).
    pub fn conn_state(&self, conn: ConnId) -> ConnState {
        self.conns.get(&conn).map_or(ConnState::Closed, |c| c.state)
    }

    /// Figures about the relay now.
    pub fn stats(&self) -> RelayStats {
        RelayStats {
            connections: self.conns.len(),
            grants: self.grants.len(),
            queued_bytes: self.conns.values().map(|c| c.out.queued()).sum(),
            peak_queued_bytes: self.peak_queued,
            buffered_input: self.conns.values().map(|c| c.parser.buffered()).sum(),
        }
    }

    // ---- internals ---------------------------------------------------------

    fn new_conn(&mut self, role: Role, state: ConnState) -> ConnId {
        self.next_conn += 1;
        let id = ConnId(self.next_conn);
        let conn = Conn::new(role, state, &self.config.limits, self.now);
        self.conns.insert(id, conn);
        id
    }

    pub(crate) fn next_serial(&mut self) -> u64 {
        self.serial += 1;
        self.serial
    }

    pub(crate) fn wake(&mut self, id: ConnId) {
        if self.woken.insert(id) {
            self.actions.push_back(Action::Wake(id));
        }
    }

    pub(crate) fn push_event(&mut self, event: RelayEvent) {
        if self.events.len() >= MAX_EVENTS {
            self.events.pop_front();
        }
        self.events.push_back(event);
    }

    /// Queues a whole frame for `id`, unless it is larger than the
    /// connection's chunk size limit. A peer whose answers pile up past
    /// four times the queue bound does not read: it is closed.
    pub(crate) fn push_frame(&mut self, id: ConnId, frame: bytes::Bytes) {
        let limit = self.config.max_queued_bytes.saturating_mul(4);
        let Some(c) = self.conns.get_mut(&id) else {
            return;
        };
        if !matches!(
            c.state,
            ConnState::Open | ConnState::Draining | ConnState::Connecting
        ) {
            return;
        }
        if c.out.max_chunk.is_some_and(|max| frame.len() > max) {
            // Only SEND chunks can be cut (RFC 4975 §7.1): a frame too large
            // for the connection's messages (an end-to-end response with an
            // outsize head, a REPORT) cannot go there. Requests that would
            // not fit were answered 413 before.
            tracing::debug!(target: "msrp::relay", conn = %id, len = frame.len(), "a frame too large for the connection's chunk size limit: dropped");
            return;
        }
        c.out.push_frame(frame);
        let queued = c.out.queued();
        self.peak_queued = self.peak_queued.max(queued);
        self.wake(id);
        if queued > limit {
            self.finish_close(id, CloseReason::NotReading);
        }
    }

    /// Records the queue size of `id` after body bytes went in.
    pub(crate) fn note_queued(&mut self, id: ConnId) {
        if let Some(c) = self.conns.get(&id) {
            self.peak_queued = self.peak_queued.max(c.out.queued());
        }
    }

    /// The connection whose full queue keeps `id` from going on, if any.
    fn blocked_on(&self, id: ConnId) -> Option<ConnId> {
        let c = self.conns.get(&id)?;
        let high = self.config.max_queued_bytes;
        if c.out.queued() >= high {
            // Its own answers wait: read no more requests until they go.
            return Some(id);
        }
        let down = match &c.incoming {
            Incoming::Stream { down, .. } => *down,
            Incoming::Whole(w) => w.down,
            Incoming::Idle | Incoming::Skip { .. } => return None,
        };
        let d = self.conns.get(&down)?;
        // Transactions waiting there, and chunks on their way (the one
        // being read among them): past the window, wait.
        let in_flight = d.pending.len() + d.out.unstarted();
        (d.out.queued() >= high || in_flight > self.config.max_pending_transactions).then_some(down)
    }

    fn after_input(&mut self, id: ConnId) {
        self.process(id);
        let guard = self.config.max_queued_bytes.saturating_mul(4);
        let timing = self.blocked_on(id).is_none();
        let now = self.now;
        if let Some(c) = self.conns.get_mut(&id) {
            c.head_started = match c.head_started {
                _ if !c.parser.in_head() || !timing => None,
                Some(at) => Some(at),
                None => Some(now),
            };
            if c.parser.buffered() > guard {
                // Fed far more than it asked for (see `wants_input`).
                self.finish_close(id, CloseReason::NotReading);
                return;
            }
        }
        self.arm_conn_timer(id);
    }

    /// Takes events out of `id`'s parser while what they bring has
    /// somewhere to go.
    pub(crate) fn process(&mut self, id: ConnId) {
        loop {
            if let Some(down) = self.blocked_on(id) {
                if down != id {
                    if let Some(d) = self.conns.get_mut(&down) {
                        if !d.blocked.contains(&id) {
                            d.blocked.push(id);
                        }
                    }
                }
                return;
            }
            let Some(c) = self.conns.get_mut(&id) else {
                return;
            };
            if c.state != ConnState::Open {
                return;
            }
            match c.parser.next() {
                Ok(Some(event)) => self.on_wire_event(id, event),
                Ok(None) => break,
                Err(err) if err.framing_intact() => self.on_rejected(id, &err),
                Err(err) => {
                    self.finish_close(id, CloseReason::Protocol(err));
                    return;
                }
            }
        }
        // Everything received is processed: a pending end of stream applies.
        let Some(c) = self.conns.get_mut(&id) else {
            return;
        };
        if c.state == ConnState::Open && c.closing.is_some() {
            let clean = c.parser.finish().is_ok();
            if !clean {
                self.abort_incoming(id);
            }
            self.drain_or_close(id);
        }
    }

    /// Stops reading `id`: closes it once its output is out.
    pub(crate) fn drain_or_close(&mut self, id: ConnId) {
        let Some(c) = self.conns.get_mut(&id) else {
            return;
        };
        if c.out.is_empty() {
            let reason = c.closing.take().unwrap_or(CloseReason::Local);
            self.finish_close(id, reason);
        } else {
            c.state = ConnState::Draining;
            self.wake(id);
        }
    }

    /// Closes `id` once what is queued for it went out, with `reason`.
    pub(crate) fn close_after_output(&mut self, id: ConnId, reason: CloseReason) {
        let Some(c) = self.conns.get_mut(&id) else {
            return;
        };
        if c.state != ConnState::Open {
            return;
        }
        c.closing = Some(reason);
        self.abort_incoming(id);
        self.drain_or_close(id);
    }

    /// The chunk being read from `id` will not be finished.
    fn abort_incoming(&mut self, id: ConnId) {
        let Some(c) = self.conns.get_mut(&id) else {
            return;
        };
        if let Incoming::Stream { down, stream, .. } = std::mem::take(&mut c.incoming) {
            if let Some(d) = self.conns.get_mut(&down) {
                d.out.abort(stream);
                self.wake(down);
            }
        }
    }

    /// Lets the connections waiting for room on `id` go on.
    fn unblock(&mut self, id: ConnId) {
        let Some(c) = self.conns.get_mut(&id) else {
            return;
        };
        let waiting = std::mem::take(&mut c.blocked);
        for up in waiting {
            self.runnable.push_back(up);
            self.wake(up);
        }
    }

    /// Processes the connections that may go on again.
    fn run(&mut self) {
        // Each round processes one connection; what it unblocks is queued
        // behind. Bounded: a connection only comes back when a queue it
        // waits on drains.
        let mut rounds = 0;
        while let Some(id) = self.runnable.pop_front() {
            rounds += 1;
            if rounds > 100_000 {
                break;
            }
            self.process(id);
        }
    }

    /// Closes `id` now: its traffic in flight elsewhere is aborted or
    /// reported, its relay URIs and routes go.
    pub(crate) fn finish_close(&mut self, id: ConnId, reason: CloseReason) {
        let Some(mut c) = self.conns.remove(&id) else {
            return;
        };
        tracing::debug!(target: "msrp::relay", conn = %id, %reason, "connection closed");
        let reached = c.state != ConnState::Connecting;
        self.wake(id);
        // The chunk it was sending somewhere ends there with `#`.
        if let Incoming::Stream { down, stream, .. } = std::mem::take(&mut c.incoming) {
            if let Some(d) = self.conns.get_mut(&down) {
                d.out.abort(stream);
                self.wake(down);
            }
        }
        // What was on its way here fails: RFC 4976 §6.4.1, a failure
        // REPORT for Failure-Report yes or partial. 408 for what was
        // forwarded and not answered (as msrprelay, "session got
        // disconnected"), 481 when the next hop was never reached.
        let code = if reached { 408 } else { 481 };
        let mut parts: Vec<_> = c.pending.drain().collect();
        parts.sort_by_key(|(_, p)| p.serial);
        for (_, pending) in parts {
            if let PendingKind::Part {
                report,
                start,
                last,
                total,
            } = pending.kind
            {
                self.send_report(&report, (start, last, total), code);
            }
        }
        for (stream, s) in c.out.streams() {
            let Some(report) = &s.report else {
                continue;
            };
            // The part on the wire was reported with the pending ones.
            if c.out.open_part(stream).is_none() {
                let range = s.unsent_range();
                self.send_report(report, range, code);
            }
            self.stream_gone(s.upstream, stream);
        }
        for up in c.out.streams().map(|(_, s)| s.upstream).collect::<Vec<_>>() {
            self.runnable.push_back(up);
        }
        for token in &c.grants {
            self.grants.remove(token);
        }
        for uri in &c.sessions {
            if self.routes.get(uri) == Some(&id) {
                self.routes.remove(uri);
            }
        }
        if let Role::Outbound(target) = &c.role {
            if self.outbound.get(target) == Some(&id) {
                self.outbound.remove(target);
            }
        }
        for up in c.blocked {
            self.runnable.push_back(up);
            self.wake(up);
        }
        self.push_event(RelayEvent::Closed { conn: id, reason });
    }

    /// The stream `stream` that `up` was feeding is gone: the rest of the
    /// chunk is dropped as it comes.
    pub(crate) fn stream_gone(&mut self, up: ConnId, stream: u64) {
        let Some(u) = self.conns.get_mut(&up) else {
            return;
        };
        if let Incoming::Stream { stream: s, ok, .. } = &mut u.incoming {
            if *s == stream {
                let ok = ok.take();
                u.incoming = Incoming::Skip { ok };
            }
        }
    }

    fn on_note(&mut self, id: ConnId, note: Note) {
        match note {
            Note::PartStarted {
                tid,
                start,
                total,
                report,
                ..
            } => {
                let Some(report) = report else {
                    return;
                };
                let serial = self.next_serial();
                if let Some(c) = self.conns.get_mut(&id) {
                    c.pending.insert(
                        tid,
                        conn::Pending {
                            serial,
                            kind: PendingKind::Part {
                                report,
                                start,
                                last: None,
                                total,
                            },
                        },
                    );
                }
            }
            Note::PartEnded { tid, last, flag } => {
                let deadline = self.now + self.config.transaction_timeout;
                let Some(c) = self.conns.get_mut(&id) else {
                    return;
                };
                if flag == crate::wire::Continuation::Aborted {
                    // The sender is gone; nobody wants to hear about it.
                    c.pending.remove(&tid);
                    return;
                }
                let Some(pending) = c.pending.get_mut(&tid) else {
                    return;
                };
                if let PendingKind::Part { last: l, .. } = &mut pending.kind {
                    *l = Some(last);
                }
                // RFC 4976 §6.4.1: the timer starts with the last byte.
                let serial = pending.serial;
                self.timers.arm(
                    deadline,
                    TimerKey::Transaction {
                        conn: id,
                        tid,
                        serial,
                    },
                );
            }
        }
    }
}

fn validate(config: &RelayConfig) -> Result<(), ConfigError> {
    MsrpUri::builder(&config.host)
        .port(2855)
        .session_id("check")
        .build()
        .map_err(|_| ConfigError::Host(config.host.clone()))?;
    let mut probe = crate::wire::DigestParams::new();
    probe
        .push("realm", config.realm.clone(), true)
        .map_err(|_| ConfigError::Realm)?;
    if config.min_expires > config.max_expires {
        return Err(ConfigError::Expires {
            min: config.min_expires,
            max: config.max_expires,
        });
    }
    if config.max_ws_chunk < MIN_CHUNK_LIMIT {
        return Err(ConfigError::TooSmall {
            name: "max-ws-chunk",
            min: MIN_CHUNK_LIMIT,
        });
    }
    for (name, value) in [
        ("max-auth-failures", config.max_auth_failures as usize),
        ("max-connections", config.max_connections),
        ("max-queued-bytes", config.max_queued_bytes),
        ("max-pending-transactions", config.max_pending_transactions),
        (
            "max-grants-per-connection",
            config.max_grants_per_connection,
        ),
        (
            "max-sessions-per-connection",
            config.max_sessions_per_connection,
        ),
        ("interrupt-after", config.interrupt_after),
        ("max-piece", config.max_piece),
    ] {
        if value == 0 {
            return Err(ConfigError::Zero(name));
        }
    }
    Ok(())
}
