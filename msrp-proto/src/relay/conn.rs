//! One connection of the relay: its parser, what it is doing with the chunk
//! being read, its output, the transactions forwarded on it, and what it
//! proved (probation, AUTH).

use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt;
use std::time::Instant;

use bytes::{Bytes, BytesMut};

use crate::uri::MsrpUri;
use crate::wire::{ChunkHead, Limits, ParseError, Parser};

use super::config::Listener;
use super::output::{Output, ReportTarget};

/// A connection of the relay, by the number the relay gave it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnId(pub(crate) u64);

impl ConnId {
    /// The number, for logs.
    pub fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for ConnId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// Where a connection is in its life, as the I/O glue sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnState {
    /// An outbound connection being opened: nothing to read or write yet.
    Connecting,
    /// Reading and writing.
    Open,
    /// Reading no more; write what [`poll_transmit`](super::Relay::poll_transmit)
    /// still gives, then close.
    Draining,
    /// Gone (or never known): write what was already taken out, close.
    Closed,
}

/// Why the relay closed a connection.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CloseReason {
    /// The peer closed its end.
    #[error("the peer closed the connection")]
    PeerClosed,
    /// The socket failed.
    #[error("the connection broke")]
    ConnectionLost,
    /// The peer sent bytes that are not MSRP, or broke the framing.
    #[error("protocol error: {0}")]
    Protocol(ParseError),
    /// No successful request within the probation time (RFC 4976 §6.1).
    #[error("no successful request within the probation time")]
    Probation,
    /// A chunk's head took longer than the head timeout (slowloris).
    #[error("a chunk head took too long to arrive")]
    HeadTimeout,
    /// Idle too long without a live relay URI (RFC 4976 §6.5).
    #[error("idle")]
    Idle,
    /// Too many failed AUTH attempts (RFC 4976 §6.3).
    #[error("too many failed AUTH attempts")]
    AuthFailures,
    /// A request whose first To-Path URI is not this relay's (RFC 4976 §6.2).
    #[error("a request for a URI that is not this relay's")]
    ForeignUri,
    /// Pushed out by a newer connection at the connection limit.
    #[error("evicted at the connection limit")]
    Evicted,
    /// Responses piled up: the peer sends and never reads.
    #[error("the peer does not read what it asked for")]
    NotReading,
    /// The outbound connection could not be opened.
    #[error("could not connect: {0}")]
    ConnectFailed(String),
    /// Closed by the application (shutdown).
    #[error("closed locally")]
    Local,
}

/// How a connection came to be.
#[derive(Debug, Clone)]
pub(crate) enum Role {
    /// Accepted on one of the relay's listeners.
    Inbound(Listener),
    /// Opened by the relay towards a URI that is not its own.
    Outbound(Target),
}

/// Where an outbound connection goes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Target {
    pub(crate) secure: bool,
    /// Lower case, without IPv6 brackets.
    pub(crate) host: String,
    pub(crate) port: u16,
}

/// What happens to the rest of the chunk being read.
#[derive(Debug, Default)]
pub(crate) enum Incoming {
    /// Between chunks.
    #[default]
    Idle,
    /// A SEND chunk streaming to `down`; `ok` (the hop-by-hop 200 of
    /// RFC 4976 §6.4.1) goes back once its end-line is in.
    Stream {
        down: ConnId,
        stream: u64,
        ok: Option<Bytes>,
    },
    /// A request other than SEND, forwarded whole once its (small) body is
    /// in.
    Whole(Box<WholeRequest>),
    /// The rest is dropped; `ok` as for a stream.
    Skip { ok: Option<Bytes> },
}

#[derive(Debug)]
pub(crate) struct WholeRequest {
    pub(crate) down: ConnId,
    pub(crate) head: ChunkHead,
    pub(crate) to: Vec<MsrpUri>,
    pub(crate) from: Vec<MsrpUri>,
    pub(crate) body: Option<BytesMut>,
    /// Whether a response comes back (not for REPORT, RFC 4975 §7.1.2).
    pub(crate) answered: bool,
}

/// A forwarded request waiting on this connection for its response.
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    pub(crate) serial: u64,
    pub(crate) kind: PendingKind,
}

#[derive(Debug, Clone)]
pub(crate) enum PendingKind {
    /// One part of a forwarded SEND chunk: its response stays here; a
    /// failure becomes a REPORT to the sender (RFC 4976 §6.4.1).
    Part {
        report: std::sync::Arc<ReportTarget>,
        start: u64,
        last: Option<u64>,
        total: Option<u64>,
    },
    /// A request whose response goes back end to end (RFC 4976 §6.4.3),
    /// under the transaction id it came with.
    EndToEnd { upstream: ConnId, tid: String },
}

/// A nonce this connection was challenged with (RFC 2617 §3.2.1).
#[derive(Debug, Clone)]
pub(crate) struct Nonce {
    pub(crate) value: String,
    pub(crate) opaque: String,
    pub(crate) expires: Instant,
    /// The highest `nc` accepted with it: a lower or equal one is a replay.
    pub(crate) last_nc: u32,
}

/// One connection.
#[derive(Debug)]
pub(crate) struct Conn {
    pub(crate) role: Role,
    pub(crate) state: ConnState,
    pub(crate) parser: Parser,
    pub(crate) incoming: Incoming,
    pub(crate) out: Output,
    /// Forwarded requests waiting here for a response, by the transaction
    /// id they were sent with.
    pub(crate) pending: HashMap<String, Pending>,
    /// Made a successful request: out of probation (RFC 4976 §6.1).
    pub(crate) proven: bool,
    pub(crate) created: Instant,
    pub(crate) last_input: Instant,
    pub(crate) head_started: Option<Instant>,
    pub(crate) auth_failures: u32,
    pub(crate) nonces: VecDeque<Nonce>,
    /// Session ids of the relay URIs this connection obtained.
    pub(crate) grants: Vec<String>,
    /// Previous hops seen here (first From-Path URIs): where traffic for
    /// them goes back (connection reuse), and the sessions it carries.
    pub(crate) sessions: HashSet<MsrpUri>,
    /// Connections not read while this one's queue is full.
    pub(crate) blocked: Vec<ConnId>,
    /// The earliest of its own deadlines armed in the timer heap.
    pub(crate) timer_at: Option<Instant>,
    /// Why it is draining, once it is.
    pub(crate) closing: Option<CloseReason>,
    /// Whether the parser's buffer was given back since the last input.
    pub(crate) released: bool,
    /// When it was last found quiet with traffic still queued or pending:
    /// the idle time counts from there too.
    pub(crate) busy_at: Instant,
}

impl Conn {
    pub(crate) fn new(role: Role, state: ConnState, limits: &Limits, now: Instant) -> Self {
        Self {
            role,
            state,
            parser: Parser::new(limits.clone()),
            incoming: Incoming::Idle,
            out: Output::default(),
            pending: HashMap::new(),
            proven: false,
            created: now,
            last_input: now,
            head_started: None,
            auth_failures: 0,
            nonces: VecDeque::new(),
            grants: Vec::new(),
            sessions: HashSet::new(),
            blocked: Vec::new(),
            timer_at: None,
            closing: None,
            released: false,
            busy_at: now,
        }
    }

    pub(crate) fn listener(&self) -> Option<Listener> {
        match &self.role {
            Role::Inbound(listener) => Some(*listener),
            Role::Outbound(_) => None,
        }
    }

    pub(crate) fn is_inbound(&self) -> bool {
        matches!(self.role, Role::Inbound(_))
    }
}
