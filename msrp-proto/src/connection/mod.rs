//! The connection state machine: everything an MSRP endpoint decides, for
//! one transport connection carrying one or many sessions.
//!
//! # The contract
//!
//! A [`Connection`] never does I/O and never reads the clock. The methods
//! fall into four kinds (after quinn-proto):
//!
//! | kind | methods | |
//! |---|---|---|
//! | input | [`handle_input`](Connection::handle_input), [`handle_eof`](Connection::handle_eof), [`handle_reset`](Connection::handle_reset), [`handle_timeout`](Connection::handle_timeout) | bytes from the peer, the end of the stream, the passing of time |
//! | output | [`poll_transmit`](Connection::poll_transmit), [`poll_event`](Connection::poll_event), [`poll_timeout`](Connection::poll_timeout) | bytes to send, events for the application, the next deadline |
//! | commands | [`open_session`](Connection::open_session), [`expect_session`](Connection::expect_session), [`send_message`](Connection::send_message), [`begin_message`](Connection::begin_message), [`write`](Connection::write), [`finish`](Connection::finish), [`abort`](Connection::abort), [`send_chunk`](Connection::send_chunk), [`set_nickname`](Connection::set_nickname), [`authenticate`](Connection::authenticate), [`close`](Connection::close), … | what the application wants |
//! | getters | [`wants_input`](Connection::wants_input), [`is_closed`](Connection::is_closed), … | state |
//!
//! Outputs queue inside the connection, so any order of calls is safe. A
//! runtime adapter loops: take events, write what `poll_transmit` gives
//! (while the socket accepts it), then wait for the first of: readable
//! socket (only while [`wants_input`](Connection::wants_input)), the deadline
//! of `poll_timeout`, or a command.
//!
//! ```
//! use std::sync::Arc;
//! use std::time::{Duration, Instant};
//! use msrp_proto::connection::{Config, Connection, Event, Outcome, OutgoingMessage, SessionConfig};
//! use msrp_proto::MsrpUri;
//!
//! let config = Arc::new(Config::default());
//! let alice_uri: MsrpUri = "msrp://127.0.0.1:7777/alice1234;tcp".parse()?;
//! let bob_uri: MsrpUri = "msrp://127.0.0.1:8888/bob56789;tcp".parse()?;
//! let mut now = Instant::now(); // a fake clock: only ever moved by hand
//!
//! // Bob answers: he expects Alice's path from the SDP offer.
//! let mut bob = Connection::new(config.clone(), [2; 32], now);
//! bob.expect_session(SessionConfig::new(bob_uri).remote_path(alice_uri.clone().into()))?;
//! // Alice calls: her connection binds the session and sends a message.
//! let mut alice = Connection::new(config, [1; 32], now);
//! let session = alice.open_session(SessionConfig::new(alice_uri).remote_path(
//!     "msrp://127.0.0.1:8888/bob56789;tcp".parse()?))?;
//! let id = alice.send_message(session, OutgoingMessage::new("text/plain").body("Hi, Bob"))?;
//!
//! // The "network": move bytes both ways until nothing moves.
//! let mut received = None;
//! let mut outcome = None;
//! for _ in 0..20 {
//!     while let Some(bytes) = alice.poll_transmit(now) { bob.handle_input(now, &bytes); }
//!     while let Some(bytes) = bob.poll_transmit(now) { alice.handle_input(now, &bytes); }
//!     while let Some(event) = bob.poll_event() {
//!         if let Event::MessageData { data, .. } = event { received = Some(data); }
//!     }
//!     while let Some(event) = alice.poll_event() {
//!         if let Event::Outcome { message, outcome: o, .. } = event { assert_eq!(message, id); outcome = Some(o); }
//!     }
//!     now += Duration::from_millis(1);
//! }
//! assert_eq!(received.as_deref(), Some(&b"Hi, Bob"[..]));
//! assert_eq!(outcome, Some(Outcome::Delivered)); // every chunk was answered 200
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod auth;
mod config;
pub(crate) mod digest;
mod error;
mod event;
mod fast_hash;
mod incoming;
mod lifecycle;
mod nickname;
mod outgoing;
mod ranges;
mod relay;
pub(crate) mod respond;
mod session;
mod transactions;

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use memchr::memmem::Finder;

use crate::ident::IdGenerator;
use crate::path::Path;
use crate::wire::{self, Chunk, Encoder, Parser};

pub use auth::AuthConfig;
pub use config::{Config, Ratio};
pub use error::CommandError;
pub use event::{BindRequest, CloseReason, Event, MessageId, Outcome, RequestId, SessionHandle};
pub use outgoing::OutgoingMessage;
pub use session::{ReceiveMode, SessionConfig};

use auth::AuthClient;
use fast_hash::FastMap;
use incoming::Inbound;
use nickname::Unanswered;
use outgoing::{CurrentChunk, OutMessage, Stop};
use session::{Session, SessionState};
use transactions::{Transactions, TxId, TxKind};

/// Where the connection is in its life.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Lifecycle {
    Open,
    /// `shutdown` was called: no new work; closes once everything is sent
    /// and every outcome known.
    ShuttingDown,
    /// The peer is gone; the responses already queued still go out.
    Draining(CloseReason),
    Closed,
}

/// One MSRP connection: bytes in, bytes and events out. See the
/// [module documentation](self) for the contract and a complete example.
#[derive(Debug)]
pub struct Connection {
    config: Arc<Config>,
    ids: IdGenerator,
    parser: Parser,
    now: Instant,
    created: Instant,
    last_input: Instant,
    last_output: Instant,
    lifecycle: Lifecycle,
    ever_bound: bool,

    sessions: Vec<Session>,
    next_session: u32,

    messages: FastMap<MessageId, OutMessage>,
    ready: VecDeque<MessageId>,
    /// Messages begun and not ended on the wire (`Config::max_open_messages`).
    open_messages: usize,
    current: Option<CurrentChunk>,
    control: VecDeque<Bytes>,
    transactions: Transactions,
    message_timers: BTreeMap<(Instant, u64), MessageId>,
    timer_seq: u64,
    next_request: u64,

    inbound: Inbound,
    parked: Option<wire::ChunkHead>,
    events: VecDeque<Event>,
    event_bytes: usize,

    /// NICKNAME requests sent and not yet answered.
    nicknames_sent: usize,
    /// NICKNAME requests received and not yet answered by the application.
    unanswered: Vec<Unanswered>,

    auth: Option<AuthClient>,
    relay_path: Option<Path>,
    /// The peer closed while input was paused: handle it once the buffered
    /// input has been processed.
    eof_pending: bool,
    /// When the chunk head being received began to arrive.
    head_started: Option<Instant>,
    /// Input processing stopped because the connection wanted no input.
    input_stalled: bool,
    /// The path lines of the last SEND response, by the URIs they name.
    last_response_paths: Option<(crate::uri::MsrpUri, crate::uri::MsrpUri, Bytes)>,
    /// The per-chunk headers last rendered for a message without MIME headers.
    last_mime: Option<(String, wire::SuccessReport, wire::FailureReport, Bytes)>,
    /// Where chunk heads are written before they are copied out.
    scratch: Vec<u8>,
}

impl Connection {
    /// A new connection. `seed` seeds every random choice it makes
    /// (transaction ids, Message-IDs, digest nonces): take it from the
    /// operating system in production, pin it in tests.
    pub fn new(config: Arc<Config>, seed: [u8; 32], now: Instant) -> Self {
        Self {
            parser: Parser::new(config.limits.clone()),
            config,
            ids: IdGenerator::from_seed(seed),
            now,
            created: now,
            last_input: now,
            last_output: now,
            lifecycle: Lifecycle::Open,
            ever_bound: false,
            sessions: Vec::new(),
            next_session: 0,
            messages: FastMap::default(),
            ready: VecDeque::new(),
            open_messages: 0,
            current: None,
            control: VecDeque::new(),
            transactions: Transactions::default(),
            message_timers: BTreeMap::new(),
            timer_seq: 0,
            next_request: 0,
            inbound: Inbound::Idle,
            parked: None,
            events: VecDeque::new(),
            event_bytes: 0,
            nicknames_sent: 0,
            unanswered: Vec::new(),
            auth: None,
            relay_path: None,
            eof_pending: false,
            head_started: None,
            input_stalled: false,
            last_response_paths: None,
            last_mime: None,
            scratch: Vec::new(),
        }
    }

    // ---- getters -----------------------------------------------------

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Whether the connection wants more input now. While it does not (a
    /// bind request awaits an answer, or the application has not taken its
    /// events), stop reading the socket: this is how backpressure reaches
    /// the peer.
    pub fn wants_input(&self) -> bool {
        self.accepts_input() && !self.input_paused()
    }

    /// Whether received bytes are all consumed and the parser sits between
    /// two chunks: the moment a caller may read into a buffer of its own
    /// and [`handle_input`](Self::handle_input) what came, instead of
    /// keeping a read buffer in the connection.
    pub fn input_idle(&self) -> bool {
        self.parser.is_idle()
    }

    /// Gives back the receive buffer's memory when the input is idle (see
    /// [`input_idle`](Self::input_idle)), so that a quiet connection holds
    /// none; the next [`handle_read`](Self::handle_read) allocates anew.
    /// Returns whether it did.
    pub fn release_input_buffer(&mut self) -> bool {
        self.parser.release_idle_buffer()
    }

    /// Whether the connection holds receive-buffer memory (see
    /// [`Parser::holds_buffer`](crate::wire::Parser::holds_buffer)): for
    /// a caller checking that a quiet connection costs no buffer.
    pub fn holds_input_buffer(&self) -> bool {
        self.parser.holds_buffer()
    }

    fn accepts_input(&self) -> bool {
        matches!(self.lifecycle, Lifecycle::Open | Lifecycle::ShuttingDown)
    }

    /// Whether the connection is closed ([`Event::Closed`] was queued).
    pub fn is_closed(&self) -> bool {
        self.lifecycle == Lifecycle::Closed
    }

    /// The relay path granted by [`authenticate`](Self::authenticate), if any.
    pub fn relay_path(&self) -> Option<&Path> {
        self.relay_path.as_ref()
    }

    /// The sessions on this connection.
    pub fn sessions(&self) -> impl Iterator<Item = SessionHandle> + '_ {
        self.sessions.iter().map(|s| s.handle)
    }

    /// Whether a session is bound.
    pub fn is_bound(&self, session: SessionHandle) -> bool {
        self.session(session)
            .is_some_and(|s| s.state == SessionState::Bound)
    }

    /// The peer's full path of a session, once known.
    pub fn remote_path(&self, session: SessionHandle) -> Option<&Path> {
        self.session(session).and_then(|s| s.remote_path.as_ref())
    }

    /// The configuration of a session.
    pub fn session_config(&self, session: SessionHandle) -> Option<&SessionConfig> {
        self.session(session).map(|s| &s.config)
    }

    /// Requests sent and not yet answered.
    pub fn pending_transactions(&self) -> usize {
        self.transactions.len()
    }

    /// Outgoing messages whose outcome is not yet known.
    pub fn pending_messages(&self) -> usize {
        self.messages.len()
    }

    /// Incoming messages started and not yet complete, across sessions.
    pub fn incomplete_messages(&self) -> usize {
        self.sessions.iter().map(|s| s.incoming.len()).sum()
    }

    /// Bytes received and not yet processed.
    pub fn buffered_input(&self) -> usize {
        self.parser.buffered()
    }

    pub(crate) fn session(&self, handle: SessionHandle) -> Option<&Session> {
        self.sessions.iter().find(|s| s.handle == handle)
    }

    pub(crate) fn session_index(&self, handle: SessionHandle) -> Option<usize> {
        self.sessions.iter().position(|s| s.handle == handle)
    }

    fn closing(&self) -> bool {
        self.lifecycle != Lifecycle::Open
    }

    fn input_paused(&self) -> bool {
        self.parked.is_some()
            || self.event_bytes >= self.config.max_pending_event_bytes
            || self.control.len() >= self.config.max_queued_responses
    }

    // ---- input -------------------------------------------------------

    /// Bytes received from the peer.
    pub fn handle_input(&mut self, now: Instant, data: &[u8]) {
        self.input(now, |parser| parser.feed(data));
    }

    /// Bytes received from the peer, read by `read` straight into the
    /// parser's buffer (see [`Parser::read_into`]): `read` fills at most
    /// `max` bytes and returns how many, with a value passed back.
    pub fn handle_read<T>(
        &mut self,
        now: Instant,
        max: usize,
        block: usize,
        read: impl FnOnce(&mut [u8]) -> (usize, T),
    ) -> T {
        let mut filled = 0;
        let out = self.parser.read_into(max, block, |buf| {
            let (n, out) = read(buf);
            filled = n;
            (n, out)
        });
        if filled > 0 {
            self.input(now, |_| {});
        }
        out
    }

    fn input(&mut self, now: Instant, feed: impl FnOnce(&mut Parser)) {
        self.now = now;
        if !self.accepts_input() {
            return;
        }
        self.last_input = now;
        feed(&mut self.parser);
        self.process_input();
        // Slowloris defence: time how long a chunk head takes to complete.
        self.head_started = match self.head_started {
            // Time spent paused is this side's doing, not the peer's.
            _ if !self.parser.in_head() || self.input_paused() => None,
            Some(started) => Some(started),
            None => Some(now),
        };
        if self.parser.buffered() > self.config.max_buffered_input {
            // Fed while it asked for nothing (see `wants_input`).
            self.close_with(CloseReason::InputOverflow);
        }
    }

    /// The peer closed its side of the connection. Responses already queued
    /// still go out; then the connection closes.
    pub fn handle_eof(&mut self, now: Instant) {
        self.now = now;
        if !self.accepts_input() {
            return;
        }
        self.process_input();
        if self.input_paused() {
            // Bytes are still waiting for the application to catch up.
            self.eof_pending = true;
            return;
        }
        self.finish_input();
    }

    fn finish_input(&mut self) {
        self.eof_pending = false;
        let reason = match self.parser.finish() {
            Ok(()) => CloseReason::PeerClosed,
            Err(_) => CloseReason::ConnectionLost,
        };
        self.fail_everything(&reason);
        if self.control.is_empty() {
            self.close_with(reason);
        } else {
            self.lifecycle = Lifecycle::Draining(reason);
        }
    }

    /// The connection broke (reset, or a transport error): nothing more can
    /// be sent or received.
    pub fn handle_reset(&mut self, now: Instant) {
        self.now = now;
        if self.is_closed() {
            return;
        }
        self.close_with(CloseReason::ConnectionLost);
    }

    /// Time passed: fires every timer due by `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.now = now;
        if self.is_closed() {
            return;
        }
        while let Some(expired) = self.transactions.expire_one(now) {
            self.on_transaction_expired(expired.kind, expired.timed_out, now);
        }
        while let Some((&key, _)) = self
            .message_timers
            .iter()
            .next()
            .filter(|((at, _), _)| *at <= now)
        {
            if let Some(id) = self.message_timers.remove(&key) {
                self.on_message_timer(&id);
            }
        }
        // A connection to a relay carries its AUTH before any session.
        if !self.ever_bound
            && self.auth.is_none()
            && self.sessions.iter().all(|s| s.state != SessionState::Bound)
            && now >= self.created + self.config.bind_timeout
        {
            self.close_with(CloseReason::BindTimeout);
            return;
        }
        if let (Some(limit), Some(started)) = (self.config.head_timeout, self.head_started) {
            if now >= started + limit {
                self.close_with(CloseReason::HeadTimeout);
                return;
            }
        }
        if let Some(idle) = self.config.idle_timeout {
            if now >= self.last_input + idle {
                self.close_with(CloseReason::IdleTimeout);
                return;
            }
        }
        if let Some(interval) = self.config.keepalive_interval {
            if now >= self.last_output + interval {
                self.send_keepalives(now);
            }
        }
        self.auth_timer(now);
        self.maybe_finish_shutdown();
    }

    fn process_input(&mut self) {
        loop {
            if !self.wants_input() {
                // Stopped with input perhaps left: `resume_input` goes on.
                self.input_stalled = true;
                return;
            }
            match self.parser.next() {
                Ok(Some(wire::Event::Head(head))) => self.on_head(head),
                Ok(Some(wire::Event::Body(data))) => self.on_body(data),
                Ok(Some(wire::Event::End(flag))) => self.on_end(flag),
                Ok(None) => break,
                Err(err) if err.framing_intact() => {
                    self.on_rejected(&err);
                    self.inbound = Inbound::Discard;
                }
                Err(err) => {
                    self.close_with(CloseReason::Protocol(err));
                    break;
                }
            }
        }
        self.input_stalled = false;
    }

    // ---- output ------------------------------------------------------

    /// The next bytes to send, or `None` when there is nothing to send now.
    /// Hand them to the socket in order; call again until `None`.
    pub fn poll_transmit(&mut self, now: Instant) -> Option<Bytes> {
        self.now = now;
        let bytes = match &self.lifecycle {
            Lifecycle::Closed => return None,
            Lifecycle::Draining(reason) => {
                let reason = reason.clone();
                let bytes = self.pop_control();
                if self.control.is_empty() {
                    self.close_with(reason);
                }
                bytes
            }
            Lifecycle::Open | Lifecycle::ShuttingDown => {
                let bytes = self.transmit_message(now);
                // Sending responses may let paused input go on.
                self.resume_input();
                bytes
            }
        };
        if bytes.is_some() {
            self.last_output = now;
        } else {
            self.maybe_finish_shutdown();
        }
        bytes
    }

    /// The next event for the application.
    pub fn poll_event(&mut self) -> Option<Event> {
        let Some(event) = self.events.pop_front() else {
            // Drained: a connection with a message at a time keeps no queue
            // (1 KiB on each connection of a server).
            crate::spare::release_drained_queue(&mut self.events);
            return None;
        };
        self.event_bytes = self.event_bytes.saturating_sub(event_size(&event));
        self.resume_input();
        Some(event)
    }

    /// When [`handle_timeout`](Self::handle_timeout) should next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.is_closed() {
            return None;
        }
        let bind = (!self.ever_bound && self.auth.is_none())
            .then_some(self.created + self.config.bind_timeout);
        let idle = self.config.idle_timeout.map(|d| self.last_input + d);
        let head = self
            .config
            .head_timeout
            .zip(self.head_started)
            .map(|(d, at)| at + d);
        let keepalive = self
            .config
            .keepalive_interval
            .filter(|_| self.sessions.iter().any(|s| s.state == SessionState::Bound))
            .map(|d| self.last_output + d);
        [
            self.transactions.next_deadline(),
            self.message_timers.keys().next().map(|&(at, _)| at),
            bind,
            idle,
            head,
            keepalive,
            self.auth.as_ref().and_then(AuthClient::deadline),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    fn resume_input(&mut self) {
        // Not `buffered() > 0`: the parser may hold an event with no bytes
        // left behind it (the end-line of a chunk whose head was parked for
        // a bind request), and the request must not wait for more input to
        // be answered (RFC 4975 §5.4).
        // Only after a pause: otherwise the parser has already taken all it
        // can, and asking again would re-scan a partial head for nothing.
        if self.input_stalled && self.wants_input() && !self.parser.is_idle() {
            self.process_input();
        }
        if self.eof_pending && self.wants_input() {
            self.finish_input();
        }
    }

    pub(crate) fn push_event(&mut self, event: Event) {
        self.event_bytes += event_size(&event);
        self.events.push_back(event);
    }

    pub(crate) fn push_control(&mut self, bytes: Bytes) {
        self.control.push_back(bytes);
    }

    pub(crate) fn pop_control(&mut self) -> Option<Bytes> {
        self.control.pop_front()
    }

    pub(crate) fn has_control(&self) -> bool {
        !self.control.is_empty()
    }

    pub(crate) fn arm_message_timer(&mut self, id: MessageId, at: Instant) {
        self.timer_seq += 1;
        self.message_timers.insert((at, self.timer_seq), id);
    }

    /// Whether `tid` occurs as `\r\n-------<tid>` in the first `len` bytes
    /// of `data`, including across piece boundaries.
    pub(crate) fn body_collides<'a>(
        &self,
        data: impl Iterator<Item = &'a Bytes>,
        len: usize,
        tid: &TxId,
    ) -> bool {
        body_collides(wire::end_line::end_line_finder(), data, len, tid)
    }

    // ---- commands: sessions ------------------------------------------

    fn add_session(
        &mut self,
        mut config: SessionConfig,
        state: SessionState,
    ) -> Result<SessionHandle, CommandError> {
        if config.local_relays.is_empty() {
            // RFC 4976 §5: the Use-Path granted by the relay heads this
            // side's path for the sessions opened through it.
            if let Some(relays) = &self.relay_path {
                config.local_relays = relays.uris().to_vec();
            }
        }
        if self.closing() {
            return Err(CommandError::Closed);
        }
        if self.sessions.len() >= self.config.max_sessions {
            return Err(CommandError::TooManySessions);
        }
        let by_sid = self.config.match_session_id_only;
        if self
            .sessions
            .iter()
            .any(|s| s.addressed_by(&config.local_uri, by_sid))
        {
            return Err(CommandError::DuplicateSession);
        }
        let handle = SessionHandle(self.next_session);
        self.next_session += 1;
        let session = Session::new(
            handle,
            config,
            state,
            self.config.chunk_size,
            self.config.relay_chunk_size,
        );
        if self.sessions.is_empty() {
            // Most connections carry one session: room for one, where a
            // first `push` makes room for four, saves 1.4 KiB on each
            // (`msrp bench --sessions 10000`, one connection per session).
            self.sessions.reserve_exact(1);
        }
        self.sessions.push(session);
        Ok(handle)
    }

    /// Opens a session as the active side (RFC 4975 §5.4): sends the bodiless
    /// SEND that binds it, and holds messages until its 200 arrives. The
    /// configuration must have a [`remote_path`](SessionConfig::remote_path).
    pub fn open_session(&mut self, config: SessionConfig) -> Result<SessionHandle, CommandError> {
        if config.remote_path.is_none() {
            return Err(CommandError::NotBound);
        }
        let handle = self.add_session(config, SessionState::Binding)?;
        let tid = self.ids.transaction_id();
        let message_id = self.ids.message_id();
        let paths = self
            .session(handle)
            .map(|s| s.request_paths.clone())
            .unwrap_or_default();
        self.push_control(respond::bodiless_send(&tid, &paths, &message_id));
        if let Some(tid) = TxId::new(tid.as_bytes()) {
            self.transactions.insert(tid, TxKind::Bind(handle), true);
            let deadline = self.now + self.config.transaction_timeout;
            self.transactions.arm(tid, deadline);
        }
        Ok(handle)
    }

    /// Expects a session as the passive side: the peer's first valid request
    /// to its local URI binds it (RFC 4975 §5.4), and
    /// [`Event::SessionBound`] follows.
    pub fn expect_session(&mut self, config: SessionConfig) -> Result<SessionHandle, CommandError> {
        let handle = self.add_session(config, SessionState::Expected)?;
        self.resume_input();
        Ok(handle)
    }

    /// Accepts the pending [`Event::BindRequest`] with this session
    /// configuration; the waiting request is then processed.
    pub fn accept_bind(&mut self, config: SessionConfig) -> Result<SessionHandle, CommandError> {
        let Some(head) = self.parked.take() else {
            return Err(CommandError::UnknownBindRequest);
        };
        let handle = match self.add_session(config, SessionState::Expected) {
            Ok(handle) => handle,
            Err(err) => {
                self.parked = Some(head);
                return Err(err);
            }
        };
        self.inbound = self.route_send(head);
        self.resume_input();
        Ok(handle)
    }

    /// Refuses the pending [`Event::BindRequest`] with a status code: 481 if
    /// no such session is expected, 506 if it is bound on another
    /// connection (RFC 4975 §5.4, §10).
    pub fn reject_bind(&mut self, code: u16) -> Result<(), CommandError> {
        let Some(head) = self.parked.take() else {
            return Err(CommandError::UnknownBindRequest);
        };
        self.respond(&head, code);
        self.inbound = Inbound::Discard;
        self.resume_input();
        Ok(())
    }

    /// Ends a session on this connection: its outgoing messages end as
    /// [`Outcome::Aborted`] (a chunk in flight ends with `#`), its incoming
    /// ones are dropped.
    pub fn close_session(&mut self, session: SessionHandle) -> Result<(), CommandError> {
        self.remove_session(session, &Stop::Aborted)
    }

    fn remove_session(&mut self, session: SessionHandle, stop: &Stop) -> Result<(), CommandError> {
        let Some(index) = self.session_index(session) else {
            return Err(CommandError::UnknownSession);
        };
        for id in self.messages_of(session) {
            self.stop_message(&id, stop.clone());
            // Only the chunk in flight can still end with `#`: a message
            // interrupted earlier would need a `#` chunk addressed through
            // the session, which is going away. It ends now (its peer drops
            // it with the session), or it would never get its outcome.
            if !self.is_in_flight(&id) {
                self.conclude(&id);
            }
        }
        let incoming: Vec<MessageId> = self.sessions[index].incoming.keys().cloned().collect();
        for id in incoming {
            self.drop_incoming(index, &id, true);
        }
        self.sessions.remove(index);
        for kind in self.transactions.forget_session(session) {
            if let TxKind::Nickname { session, request } = kind {
                let comment = "the session ended before the answer came".to_owned();
                self.nickname_result(session, request, 408, Some(comment));
            }
        }
        self.forget_nickname_requests(Some(session));
        Ok(())
    }

    // ---- commands: messages ------------------------------------------

    /// Sends a whole message ([`OutgoingMessage::body`]). Its outcome
    /// arrives as [`Event::Outcome`]; progress from success REPORTs as
    /// [`Event::Progress`].
    pub fn send_message(
        &mut self,
        session: SessionHandle,
        message: OutgoingMessage,
    ) -> Result<MessageId, CommandError> {
        let message = if message.body.is_none() {
            message.body(Bytes::new())
        } else {
            message
        };
        self.queue_message(session, message, true, None)
    }

    /// Like [`send_message`](Self::send_message), with a Message-ID the
    /// caller made (with [`MessageId::random`]), so that a caller in
    /// another task can hand out the message's handle before the connection
    /// has taken it. [`CommandError::DuplicateMessage`] if a message with
    /// that id is still open.
    pub fn send_message_as(
        &mut self,
        session: SessionHandle,
        message: OutgoingMessage,
        id: MessageId,
    ) -> Result<(), CommandError> {
        let message = if message.body.is_none() {
            message.body(Bytes::new())
        } else {
            message
        };
        self.queue_message(session, message, true, Some(id))
            .map(drop)
    }

    /// Starts a message written piece by piece with [`write`](Self::write)
    /// and ended with [`finish`](Self::finish); at most
    /// [`Config::send_buffer`] bytes wait in memory.
    pub fn begin_message(
        &mut self,
        session: SessionHandle,
        mut message: OutgoingMessage,
    ) -> Result<MessageId, CommandError> {
        message.body = None;
        self.queue_message(session, message, false, None)
    }

    /// Appends bytes to a message started with
    /// [`begin_message`](Self::begin_message). [`CommandError::Blocked`]
    /// means the send buffer is full: wait for [`Event::Writable`].
    pub fn write(&mut self, message: &MessageId, data: Bytes) -> Result<(), CommandError> {
        self.write_message(message, data)
    }

    /// Ends a message started with [`begin_message`](Self::begin_message).
    /// A message whose size was announced ends by itself once that many
    /// bytes are written (its outcome may then come before `finish`, which
    /// gives [`CommandError::UnknownMessage`] if it did).
    pub fn finish(&mut self, message: &MessageId) -> Result<(), CommandError> {
        self.finish_message(message)
    }

    /// Abandons a message (RFC 4975 §7.1.1: the chunk in flight ends with
    /// `#`). Its outcome is [`Outcome::Aborted`].
    pub fn abort(&mut self, message: &MessageId) -> Result<(), CommandError> {
        if !self.messages.contains_key(message) {
            return Err(CommandError::UnknownMessage);
        }
        self.abort_message(message)
    }

    /// Sends one chunk as given, with a transaction id of its own (msrplib's
    /// `send_chunk`). Its response, or a 408 after the transaction timeout,
    /// arrives as [`Event::ChunkResponse`] unless its Failure-Report is `no`.
    pub fn send_chunk(&mut self, chunk: &Chunk) -> Result<RequestId, CommandError> {
        if self.closing() {
            return Err(CommandError::Closed);
        }
        let encoded = Encoder::new()
            .encode(chunk, &mut self.ids)
            .map_err(|_| CommandError::Closed)?;
        let request = RequestId(self.next_request);
        self.next_request += 1;
        let policy = chunk.head().failure_report().unwrap_or_default();
        let wants_response = chunk.head().is_request()
            && chunk.head().method() != Some(&wire::Method::Report)
            && policy != wire::FailureReport::No;
        // The id is the head's (an ident, so it fits) or a generated one.
        let tid = TxId::new(encoded.transaction_id().as_bytes());
        if let Some(tid) = tid.filter(|_| wants_response) {
            let expects_ok = policy == wire::FailureReport::Yes;
            self.transactions
                .insert(tid, TxKind::Raw(request), expects_ok);
            let deadline = self.now + self.config.transaction_timeout;
            self.transactions.arm(tid, deadline);
        }
        for part in [encoded.head(), encoded.body(), encoded.end()] {
            if !part.is_empty() {
                self.push_control(part.clone());
            }
        }
        Ok(request)
    }

    // ---- responses -----------------------------------------------------

    /// A response arrived: it ends the transaction with its tid, if any is
    /// pending (late and unknown responses are ignored).
    fn on_response(&mut self, head: &wire::ChunkHead) {
        let Some(code) = head.response_code() else {
            return;
        };
        let now = self.now;
        let comment = head.response_comment();
        let Some(kind) = self.transactions.take(head.transaction_id_bytes()) else {
            // An error for a chunk sent with `Failure-Report: partial`.
            if let Some(message) = self.partial_message_of(head.transaction_id()) {
                self.on_chunk_response(&message, code, comment, now);
            }
            return;
        };
        match kind {
            TxKind::Chunk { message, .. } => self.on_chunk_response(&message, code, comment, now),
            TxKind::Bind(session) if code == 200 => {
                if let Some(s) = self.sessions.iter_mut().find(|s| s.handle == session) {
                    s.state = SessionState::Bound;
                    let remote_path = s
                        .remote_path
                        .clone()
                        .unwrap_or_else(|| head.from_path().clone());
                    self.ever_bound = true;
                    self.push_event(Event::SessionBound {
                        session,
                        remote_path,
                    });
                    self.release_messages(session);
                }
            }
            TxKind::Bind(session) | TxKind::Keepalive(session) if code != 200 => {
                self.fail_session(session, code, comment.unwrap_or("refused"));
            }
            TxKind::Bind(_) | TxKind::Keepalive(_) => {}
            TxKind::Raw(request) => self.push_event(Event::ChunkResponse {
                request,
                code,
                comment: comment.map(str::to_owned),
            }),
            TxKind::Nickname { session, request } => {
                self.nickname_result(session, request, code, comment.map(str::to_owned));
            }
            TxKind::Auth => self.on_auth_response(head, now),
        }
    }
}

/// Bytes an event holds, for the input backpressure limit.
fn event_size(event: &Event) -> usize {
    match event {
        Event::MessageData { data, .. } => data.len(),
        Event::MessageReceived { body, .. } => body.len(),
        Event::ChunkReceived { chunk, .. } => chunk.body().map_or(0, Bytes::len),
        _ => 0,
    }
}

/// Whether `\r\n-------<tid>` occurs in the first `len` bytes of `data`,
/// including across the boundaries between pieces.
fn body_collides<'a>(
    finder: &Finder<'_>,
    data: impl Iterator<Item = &'a Bytes>,
    len: usize,
    tid: &TxId,
) -> bool {
    let tid = tid.as_bytes();
    // Bytes of a needle that can lie before the piece it ends in.
    let keep = 9 + tid.len() - 1;
    // The last `keep` bytes before the current piece, across as many
    // earlier pieces as it takes: a needle may span several short pieces
    // (RFC 4975 §7.1 — the end-line must not occur in the body). On the
    // stack, since a transaction id is at most 32 bytes: two vectors here
    // were two allocations per chunk sent (benches/connection.rs, small).
    let mut tail = [0u8; MAX_SEAM / 2];
    let mut tail_len = 0;
    let mut seam = [0u8; MAX_SEAM];
    let mut left = len;
    for piece in data {
        if left == 0 {
            break;
        }
        let piece = &piece[..piece.len().min(left)];
        left -= piece.len();
        if wire::find_end_line_in_body(piece, tid, finder).is_some() {
            return true;
        }
        // A needle that ends in this piece and starts before it.
        if tail_len > 0 {
            let head = &piece[..piece.len().min(keep)];
            let seam_len = tail_len + head.len();
            seam[..tail_len].copy_from_slice(&tail[..tail_len]);
            seam[tail_len..seam_len].copy_from_slice(head);
            if wire::find_end_line_in_body(&seam[..seam_len], tid, finder).is_some() {
                return true;
            }
        }
        if piece.len() >= keep {
            tail[..keep].copy_from_slice(&piece[piece.len() - keep..]);
            tail_len = keep;
        } else {
            let excess = (tail_len + piece.len()).saturating_sub(keep);
            tail.copy_within(excess..tail_len, 0);
            tail_len -= excess;
            tail[tail_len..tail_len + piece.len()].copy_from_slice(piece);
            tail_len += piece.len();
        }
    }
    false
}

/// Room for the seam of [`body_collides`]: twice the bytes of a needle
/// (`\r\n-------` and a transaction id of at most 32 bytes) but one.
const MAX_SEAM: usize = 2 * (9 + crate::ident::IDENT_MAX_LEN - 1);

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(clippy::disallowed_methods)] // tests take one real instant as the epoch
    fn epoch() -> Instant {
        Instant::now()
    }

    /// A connection with one session keeps room for one; more sessions
    /// still come in as usual.
    #[test]
    fn a_connection_keeps_room_for_the_sessions_it_has() {
        let mut conn = Connection::new(Arc::new(Config::default()), [1; 32], epoch());
        let session = |i: usize| {
            let uri = |s: String| s.parse::<crate::uri::MsrpUri>().unwrap();
            SessionConfig::new(uri(format!("msrp://bob.example:2855/s{i};tcp")))
                .remote_path(uri(format!("msrp://alice.example:2855/a{i};tcp")).into())
        };
        conn.expect_session(session(1)).unwrap();
        assert_eq!(conn.sessions.capacity(), 1);
        for i in 2..=5 {
            conn.expect_session(session(i)).unwrap();
        }
        assert_eq!(conn.sessions.len(), 5);
    }

    /// Once a message is taken and its events drained, a quiet connection
    /// holds neither an event queue nor a table of incoming messages; the
    /// next message comes in as usual.
    #[test]
    fn a_quiet_connection_keeps_no_queues() {
        let now = epoch();
        let mut conn = Connection::new(Arc::new(Config::default()), [1; 32], now);
        let (bob, alice) = (
            "msrp://bob.example:2855/s1;tcp",
            "msrp://alice.example:2855/a1;tcp",
        );
        let config = SessionConfig::new(bob.parse().unwrap())
            .remote_path(alice.parse::<crate::uri::MsrpUri>().unwrap().into());
        conn.expect_session(config).unwrap();
        let send = |i: usize| {
            format!(
                "MSRP tx{i}0000 SEND\r\nTo-Path: {bob}\r\nFrom-Path: {alice}\r\n\
                 Message-ID: m{i}0000\r\nByte-Range: 1-5/5\r\nContent-Type: text/plain\r\n\r\n\
                 Hello\r\n-------tx{i}0000$\r\n"
            )
        };
        for i in 0..2 {
            conn.handle_input(now, send(i).as_bytes());
            assert!(conn.events.capacity() > 0);
            let mut completed = 0;
            while let Some(event) = conn.poll_event() {
                completed += usize::from(matches!(event, Event::MessageCompleted { .. }));
            }
            assert_eq!(completed, 1, "message {i}");
            assert_eq!(conn.events.capacity(), 0);
            assert_eq!(conn.sessions[0].incoming.capacity(), 0);
        }
        // A read with many messages: the queue grown for it stays.
        let many: String = (2..12).map(send).collect();
        conn.handle_input(now, many.as_bytes());
        while conn.poll_event().is_some() {}
        assert!(conn.events.capacity() > crate::spare::FIRST_QUEUE_ALLOCATION);
    }

    proptest::proptest! {
        /// Searching piece by piece finds what a search of the pieces
        /// joined finds, needles across several seams included.
        #[test]
        fn body_collides_sees_across_pieces(
            tokens in proptest::collection::vec(0usize..6, 0..10),
            mut cuts in proptest::collection::vec(0usize..120, 0..8),
            tid_len in 1usize..=32,
            len in 0usize..120,
        ) {
            let tid = TxId::new(&b"0123456789abcdefghijklmnopqrstuv"[..tid_len]).unwrap();
            let fragments: [&[u8]; 6] =
                [b"\r\n-------", tid.as_bytes(), &tid.as_bytes()[..tid_len / 2], b"\r\n", b"-", b"x"];
            let joined: Vec<u8> = tokens.iter().flat_map(|&t| fragments[t].iter().copied()).collect();
            cuts.push(joined.len());
            cuts.sort_unstable();
            let mut pieces = Vec::new();
            let mut from = 0;
            for cut in cuts {
                let cut = cut.min(joined.len()).max(from);
                pieces.push(Bytes::copy_from_slice(&joined[from..cut]));
                from = cut;
            }
            let finder = Finder::new(b"\r\n-------");
            let len = len.min(joined.len());
            let want = wire::find_end_line_in_body(&joined[..len], tid.as_bytes(), &finder).is_some();
            proptest::prop_assert_eq!(body_collides(&finder, pieces.iter(), len, &tid), want);
        }
    }

    #[test]
    fn body_collides_finds_a_needle_split_over_many_pieces() {
        let tid = TxId::new(b"abcd1234").unwrap();
        let finder = Finder::new(b"\r\n-------");
        let wire = b"xx\r\n-------abcd1234$";
        let pieces: Vec<Bytes> = wire.iter().map(|&b| Bytes::from(vec![b])).collect();
        assert!(body_collides(&finder, pieces.iter(), wire.len(), &tid));
        assert!(!body_collides(&finder, pieces.iter(), wire.len() - 2, &tid));
    }
}
