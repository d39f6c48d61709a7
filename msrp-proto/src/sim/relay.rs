//! A deterministic in-memory network around a sans-IO [`Relay`]: endpoint
//! [`Connection`]s and raw byte peers joined to it by simulated TCP
//! connections with latency and a bounded window, in virtual time.
//!
//! Peers connect to the relay's listeners; the relay's own outbound
//! connections ([`Action::Connect`]) land on peers registered with
//! [`RelayNet::listen`], or fail. Time only moves when nothing else
//! happens: it jumps to the next arrival or timer, so a 30 s timeout takes
//! microseconds. A peer may be a WebSocket client ([`RelayNet::connect_raw`]
//! on a WebSocket listener): what the relay writes to it then travels as
//! messages cut at [`Transmit::end_of_chunk`](crate::relay::Transmit),
//! each checked to be one whole chunk within the connection's limit. Not a
//! stable API.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::connection::{Connection, Event};
use crate::relay::{Action, ConnId, ConnState, Listener, Relay, RelayEvent};
use crate::wire::{Chunk, ChunkReader, Limits};

/// A peer that is only bytes: the test writes what it sends and reads the
/// chunks that come.
#[derive(Debug)]
pub struct RawPeer {
    reader: ChunkReader,
    /// Chunks received, in order.
    pub chunks: Vec<Chunk>,
    /// Whether the relay closed the connection (all its bytes read).
    pub eof: bool,
    /// Messages received, for a WebSocket peer.
    pub messages: u64,
    /// The largest message received, for a WebSocket peer.
    pub largest_message: usize,
}

impl RawPeer {
    fn new() -> Self {
        let limits = Limits {
            max_chunk: 256 << 20,
            ..Limits::default()
        };
        Self {
            reader: ChunkReader::new(limits),
            chunks: Vec::new(),
            eof: false,
            messages: 0,
            largest_message: 0,
        }
    }

    /// Takes the chunks received so far.
    pub fn take(&mut self) -> Vec<Chunk> {
        std::mem::take(&mut self.chunks)
    }
}

/// What is at the end of a simulated connection.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // a handful per test
pub enum PeerKind {
    /// An MSRP endpoint.
    Endpoint(Connection),
    /// Bytes written by the test.
    Raw(RawPeer),
}

/// One simulated connection to the relay.
#[derive(Debug)]
pub struct Peer {
    /// The endpoint or raw peer.
    pub kind: PeerKind,
    /// The relay's id for the connection.
    pub conn: ConnId,
    /// Events of an endpoint peer, oldest first.
    pub events: Vec<Event>,
    /// While set, the peer reads nothing (its window fills up).
    pub stalled: bool,
    to_relay: VecDeque<(Instant, Bytes)>,
    to_relay_len: usize,
    from_relay: VecDeque<(Instant, Bytes)>,
    from_relay_len: usize,
    relay_closed: bool,
    closed: bool,
    /// A WebSocket peer: its message limit, and the message being put
    /// together from what the relay writes.
    ws: Option<(usize, Vec<u8>)>,
}

impl Peer {
    fn new(kind: PeerKind, conn: ConnId) -> Self {
        Self {
            kind,
            conn,
            events: Vec::new(),
            stalled: false,
            to_relay: VecDeque::new(),
            to_relay_len: 0,
            from_relay: VecDeque::new(),
            from_relay_len: 0,
            relay_closed: false,
            closed: false,
            ws: None,
        }
    }

    /// The endpoint connection, for an endpoint peer.
    pub fn endpoint(&mut self) -> &mut Connection {
        match &mut self.kind {
            PeerKind::Endpoint(conn) => conn,
            PeerKind::Raw(_) => panic!("not an endpoint peer"),
        }
    }

    /// The raw peer, for a raw peer.
    pub fn raw(&mut self) -> &mut RawPeer {
        match &mut self.kind {
            PeerKind::Raw(raw) => raw,
            PeerKind::Endpoint(_) => panic!("not a raw peer"),
        }
    }

    /// Takes the endpoint events collected so far.
    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    /// Bytes on their way to the relay, not read by it yet.
    pub fn queued_to_relay(&self) -> usize {
        self.to_relay_len
    }

    /// Whether the relay's side of the connection is gone and everything it
    /// sent was read.
    pub fn closed_by_relay(&self) -> bool {
        self.closed
    }
}

/// What the relay finds when it connects to a registered address.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // a handful per test
pub enum Listening {
    /// This endpoint connection takes the connection.
    Endpoint(Connection),
    /// A raw peer takes it.
    Raw,
}

/// The relay and its peers.
#[derive(Debug)]
pub struct RelayNet {
    /// The relay.
    pub relay: Relay,
    /// Virtual time.
    pub now: Instant,
    /// The peers, by index.
    pub peers: Vec<Peer>,
    /// One-way delay of every segment.
    pub latency: Duration,
    /// Bytes in flight one way before the sender stops writing.
    pub window: usize,
    /// The relay's events, oldest first.
    pub events: Vec<RelayEvent>,
    listening: HashMap<(String, u16), Listening>,
    /// The most bytes the relay held at once (queues and parsers).
    pub peak_held: usize,
}

impl RelayNet {
    /// A network around `relay`, at `now`.
    pub fn new(relay: Relay, now: Instant) -> Self {
        Self {
            relay,
            now,
            peers: Vec::new(),
            latency: Duration::from_millis(1),
            window: 256 * 1024,
            events: Vec::new(),
            listening: HashMap::new(),
            peak_held: 0,
        }
    }

    /// Connects an endpoint to the relay's `listener`; returns its index.
    pub fn connect(&mut self, conn: Connection, listener: Listener) -> usize {
        self.attach(PeerKind::Endpoint(conn), listener)
    }

    /// Connects a raw peer to the relay's `listener`; returns its index.
    pub fn connect_raw(&mut self, listener: Listener) -> usize {
        self.attach(PeerKind::Raw(RawPeer::new()), listener)
    }

    fn attach(&mut self, kind: PeerKind, listener: Listener) -> usize {
        let conn = self
            .relay
            .handle_accept(self.now, listener)
            .expect("the relay accepts");
        let mut peer = Peer::new(kind, conn);
        if listener.is_websocket() {
            peer.ws = Some((self.relay.config().max_ws_chunk, Vec::new()));
        }
        self.peers.push(peer);
        self.peers.len() - 1
    }

    /// What the relay finds at `host:port` when it connects there.
    pub fn listen(&mut self, host: &str, port: u16, what: Listening) {
        self.listening
            .insert((host.to_ascii_lowercase(), port), what);
    }

    /// The peer on the relay's connection `conn`.
    pub fn peer_of(&self, conn: ConnId) -> Option<usize> {
        self.peers.iter().position(|p| p.conn == conn)
    }

    /// Sends bytes from raw peer `i`.
    pub fn send_raw(&mut self, i: usize, bytes: &[u8]) {
        let at = self.now + self.latency;
        let peer = &mut self.peers[i];
        peer.to_relay_len += bytes.len();
        peer.to_relay.push_back((at, Bytes::copy_from_slice(bytes)));
    }

    /// Peer `i` closes its end: the relay sees the end of the stream after
    /// what it sent.
    pub fn close_peer(&mut self, i: usize) {
        if let PeerKind::Endpoint(conn) = &mut self.peers[i].kind {
            conn.close();
        }
        let at = self.now + self.latency;
        self.peers[i].to_relay.push_back((at, Bytes::new()));
    }

    /// Peer `i`'s connection breaks: the relay sees a reset.
    pub fn reset_peer(&mut self, i: usize) {
        let now = self.now;
        let peer = &mut self.peers[i];
        peer.to_relay.clear();
        peer.from_relay.clear();
        peer.closed = true;
        if let PeerKind::Endpoint(conn) = &mut peer.kind {
            conn.handle_reset(now);
        }
        self.relay.handle_reset(now, peer.conn);
    }

    /// Takes the relay events collected so far.
    pub fn take_events(&mut self) -> Vec<RelayEvent> {
        std::mem::take(&mut self.events)
    }

    /// One round of work; whether anything happened.
    pub fn step(&mut self) -> bool {
        let now = self.now;
        let mut busy = self.actions();
        for i in 0..self.peers.len() {
            busy |= self.step_peer(i, now);
        }
        if self.relay.poll_timeout().is_some_and(|t| t <= now) {
            self.relay.handle_timeout(now);
            busy = true;
        }
        while let Some(event) = self.relay.poll_event() {
            self.events.push(event);
            busy = true;
        }
        let stats = self.relay.stats();
        self.peak_held = self
            .peak_held
            .max(stats.queued_bytes + stats.buffered_input);
        busy
    }

    fn actions(&mut self) -> bool {
        let mut busy = false;
        while let Some(action) = self.relay.poll_action() {
            busy = true;
            let Action::Connect {
                conn, host, port, ..
            } = action
            else {
                continue;
            };
            match self.listening.remove(&(host.to_ascii_lowercase(), port)) {
                Some(Listening::Endpoint(endpoint)) => {
                    self.peers
                        .push(Peer::new(PeerKind::Endpoint(endpoint), conn));
                    self.relay.handle_connected(self.now, conn);
                }
                Some(Listening::Raw) => {
                    self.peers
                        .push(Peer::new(PeerKind::Raw(RawPeer::new()), conn));
                    self.relay.handle_connected(self.now, conn);
                }
                None => self
                    .relay
                    .handle_connect_failed(self.now, conn, "connection refused"),
            }
        }
        busy
    }

    fn step_peer(&mut self, i: usize, now: Instant) -> bool {
        let mut busy = false;
        let window = self.window;
        let arrival = now + self.latency;
        let relay = &mut self.relay;
        let peer = &mut self.peers[i];
        // Peer to relay.
        if let PeerKind::Endpoint(conn) = &mut peer.kind {
            while peer.to_relay_len < window && !peer.closed {
                let Some(bytes) = conn.poll_transmit(now) else {
                    break;
                };
                peer.to_relay_len += bytes.len();
                peer.to_relay.push_back((arrival, bytes));
                busy = true;
            }
        }
        while peer.to_relay.front().is_some_and(|(at, _)| *at <= now) {
            if relay.conn_state(peer.conn) == ConnState::Closed {
                peer.to_relay.clear();
                peer.to_relay_len = 0;
                break;
            }
            if !relay.wants_input(peer.conn) {
                break;
            }
            let Some((_, bytes)) = peer.to_relay.pop_front() else {
                break;
            };
            busy = true;
            if bytes.is_empty() {
                relay.handle_eof(now, peer.conn);
            } else {
                peer.to_relay_len -= bytes.len();
                relay.handle_input(now, peer.conn, &bytes);
            }
        }
        // Relay to peer.
        while peer.from_relay_len < window && !peer.relay_closed {
            let Some(t) = relay.poll_transmit(now, peer.conn) else {
                break;
            };
            if let Some((limit, message)) = &mut peer.ws {
                // One message per chunk (RFC 7977 §5.1), within the limit.
                message.extend_from_slice(&t.data);
                assert!(
                    message.len() <= *limit,
                    "a chunk of {} bytes and more for a WebSocket peer (limit {limit})",
                    message.len()
                );
                if !t.end_of_chunk {
                    continue;
                }
                let message = Bytes::from(std::mem::take(message));
                peer.from_relay_len += message.len();
                peer.from_relay.push_back((arrival, message));
                busy = true;
                continue;
            }
            if t.data.is_empty() {
                continue;
            }
            peer.from_relay_len += t.data.len();
            peer.from_relay.push_back((arrival, t.data));
            busy = true;
        }
        if !peer.relay_closed && relay.conn_state(peer.conn) == ConnState::Closed {
            peer.relay_closed = true;
            let at = peer
                .from_relay
                .back()
                .map_or(arrival, |(t, _)| *t)
                .max(arrival);
            peer.from_relay.push_back((at, Bytes::new()));
            busy = true;
        }
        while !peer.stalled && peer.from_relay.front().is_some_and(|(at, _)| *at <= now) {
            let wants = match &peer.kind {
                PeerKind::Endpoint(conn) => conn.wants_input(),
                PeerKind::Raw(_) => true,
            };
            if !wants {
                break;
            }
            let Some((_, bytes)) = peer.from_relay.pop_front() else {
                break;
            };
            busy = true;
            peer.from_relay_len -= bytes.len();
            match &mut peer.kind {
                PeerKind::Endpoint(conn) if bytes.is_empty() => {
                    conn.handle_eof(now);
                    peer.closed = true;
                }
                PeerKind::Endpoint(conn) => conn.handle_input(now, &bytes),
                PeerKind::Raw(raw) if bytes.is_empty() => {
                    raw.eof = true;
                    peer.closed = true;
                }
                PeerKind::Raw(raw) => {
                    raw.reader.feed(&bytes);
                    let before = raw.chunks.len();
                    while let Ok(Some(chunk)) = raw.reader.next_chunk() {
                        raw.chunks.push(chunk);
                    }
                    if peer.ws.is_some() {
                        assert_eq!(
                            (raw.chunks.len() - before, raw.reader.parser().buffered()),
                            (1, 0),
                            "a WebSocket message is exactly one chunk"
                        );
                        raw.messages += 1;
                        raw.largest_message = raw.largest_message.max(bytes.len());
                    }
                }
            }
        }
        if let PeerKind::Endpoint(conn) = &mut peer.kind {
            while let Some(event) = conn.poll_event() {
                peer.events.push(event);
                busy = true;
            }
            if conn.poll_timeout().is_some_and(|t| t <= now) {
                conn.handle_timeout(now);
                busy = true;
            }
        }
        busy
    }

    /// When something next happens without outside help.
    pub fn next_wakeup(&self) -> Option<Instant> {
        let mut next: Option<Instant> = self.relay.poll_timeout();
        let mut consider = |t: Option<Instant>| {
            if let Some(t) = t {
                next = Some(next.map_or(t, |n| n.min(t)));
            }
        };
        for peer in &self.peers {
            if self.relay.would_read(peer.conn)
                || self.relay.conn_state(peer.conn) == ConnState::Closed
            {
                consider(peer.to_relay.front().map(|(t, _)| *t));
            }
            let reads = match &peer.kind {
                PeerKind::Endpoint(conn) => conn.wants_input(),
                PeerKind::Raw(_) => true,
            };
            if !peer.stalled && reads {
                consider(peer.from_relay.front().map(|(t, _)| *t));
            }
            if let PeerKind::Endpoint(conn) = &peer.kind {
                consider(conn.poll_timeout());
            }
        }
        next
    }

    /// Runs until `done` holds or nothing more happens (or a day of virtual
    /// time passed: clients renew their relay URIs forever); whether `done`
    /// held.
    pub fn drive_until(&mut self, mut done: impl FnMut(&mut Self) -> bool) -> bool {
        let limit = self.now + Duration::from_secs(86_400);
        for _ in 0..10_000_000u64 {
            if self.now > limit {
                return done(self);
            }
            if done(self) {
                return true;
            }
            if self.step() {
                continue;
            }
            match self.next_wakeup() {
                Some(at) if at > self.now => self.now = at,
                Some(_) => {}
                None => return done(self),
            }
        }
        done(self)
    }

    /// Runs until nothing more happens (timers included: time jumps).
    pub fn drive(&mut self) {
        self.drive_until(|_| false);
    }

    /// Runs until `now + d`, or until nothing more happens before then.
    pub fn drive_for(&mut self, d: Duration) {
        let until = self.now + d;
        for _ in 0..10_000_000u64 {
            if self.step() {
                continue;
            }
            match self.next_wakeup() {
                Some(at) if at <= until => self.now = self.now.max(at),
                _ => {
                    self.now = until;
                    self.step();
                    return;
                }
            }
        }
    }
}
