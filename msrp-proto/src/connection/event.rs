//! What a [`Connection`](super::Connection) tells the application.
//!
//! Events own their data (handles, `Bytes`, owned strings), never borrows
//! into the connection, so a runtime adapter can send them across tasks.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use crate::path::Path;
use crate::uri::MsrpUri;
use crate::wire::{Chunk, ChunkHead, ParseError};

/// A session on a connection. Handles are never reused within a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionHandle(pub(crate) u32);

/// A Message-ID (RFC 4975 §9 `ident`), cheap to clone.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MessageId(Arc<str>);

impl MessageId {
    pub(crate) fn new(id: &str) -> Self {
        Self(Arc::from(id))
    }

    /// A fresh Message-ID from the generator (RFC 4975 §9 `ident`; about
    /// 95 random bits), built in place.
    pub fn random(ids: &mut crate::ident::IdGenerator) -> Self {
        let mut buf = [0u8; crate::ident::GENERATED_IDENT_LEN];
        ids.fill_alphanumeric(&mut buf);
        Self::new(std::str::from_utf8(&buf).unwrap_or("msrp0000"))
    }

    /// The id as sent on the wire.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MessageId({})", self.0)
    }
}

/// A request this side sent and awaits the response to — a raw chunk from
/// [`Connection::send_chunk`](super::Connection::send_chunk)
/// ([`Event::ChunkResponse`]), a NICKNAME from
/// [`Connection::set_nickname`](super::Connection::set_nickname)
/// ([`Event::NicknameResult`]) — or a request it received and the
/// application answers ([`Event::NicknameRequest`]). Ids are never reused
/// within a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RequestId(pub(crate) u64);

/// A request from a peer to bind a session this connection does not know,
/// reported when [`Config::ask_to_bind`](super::Config::ask_to_bind) is on.
/// Answer it with [`Connection::accept_bind`](super::Connection::accept_bind)
/// or [`Connection::reject_bind`](super::Connection::reject_bind); until then
/// the connection reads nothing more.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct BindRequest {
    /// The URI the peer addressed (the first URI of its To-Path).
    pub local_uri: MsrpUri,
    /// The peer's path as its From-Path gives it.
    pub remote_path: Path,
}

/// How a message sent by this side ended. Every message gets exactly one.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// Delivery confirmed as the report settings asked: every chunk was
    /// answered 200 (Failure-Report `yes`), and a success REPORT covered the
    /// whole message (Success-Report `yes`).
    Delivered,
    /// Every byte was sent, and the report settings asked for no
    /// confirmation (Failure-Report `no` or `partial` with Success-Report
    /// `no`); with `partial`, no error arrived within
    /// [`Config::partial_report_wait`](super::Config::partial_report_wait)
    /// or before the peer closed the connection cleanly.
    Sent,
    /// An error response or failure REPORT, a timeout, or a lost connection.
    Failed {
        /// The MSRP status code: the peer's, or 408 for a timeout or a lost
        /// connection (RFC 4975 §7.1.1 treats both as a timeout).
        code: u16,
        /// Why, in words.
        comment: String,
    },
    /// Abandoned by this side with [`abort`](super::Connection::abort) or
    /// by closing the session.
    Aborted,
}

/// Why a connection ended.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CloseReason {
    /// The peer closed the connection between chunks.
    #[error("the peer closed the connection")]
    PeerClosed,
    /// The peer closed or reset the connection in the middle of a chunk.
    #[error("the connection was lost in the middle of a chunk")]
    ConnectionLost,
    /// The peer sent bytes that break the framing.
    #[error("protocol error: {0}")]
    Protocol(ParseError),
    /// No session was bound within [`Config::bind_timeout`](super::Config::bind_timeout).
    #[error("no session was bound in time")]
    BindTimeout,
    /// A chunk head took longer than [`Config::head_timeout`](super::Config::head_timeout).
    #[error("a chunk's header block took too long to arrive")]
    HeadTimeout,
    /// Nothing was received within [`Config::idle_timeout`](super::Config::idle_timeout).
    #[error("the connection was idle too long")]
    IdleTimeout,
    /// A keep-alive request got no response.
    #[error("the peer did not answer a keep-alive request")]
    KeepaliveTimeout,
    /// More input was fed than [`Config::max_buffered_input`](super::Config::max_buffered_input)
    /// allows while the connection asked for none.
    #[error("input was fed while the connection asked for none")]
    InputOverflow,
    /// The relay refused to renew the authentication of this connection
    /// (RFC 4976 §5.1): its path, and every session through it, is gone.
    #[error("the relay refused to renew the authentication: {code} {comment}")]
    AuthRenewalFailed {
        /// The status code of the failed renewal.
        code: u16,
        /// Why, in words.
        comment: String,
    },
    /// This side closed the connection.
    #[error("closed by this side")]
    LocallyClosed,
}

/// What happened on a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
// Events are moved once; boxing the large variants would cost an allocation.
#[allow(clippy::large_enum_variant)]
pub enum Event {
    /// A peer wants to bind a session this connection does not know.
    BindRequest(BindRequest),
    /// A session is bound: messages can flow.
    SessionBound {
        /// The session.
        session: SessionHandle,
        /// The peer's full path.
        remote_path: Path,
    },
    /// A session could not be bound (its binding SEND was refused or timed
    /// out), or its peer stopped accepting it; it is gone.
    SessionFailed {
        /// The session.
        session: SessionHandle,
        /// The status code: the peer's, or 408 for a timeout.
        code: u16,
        /// Why, in words.
        comment: String,
    },
    /// The peer confirmed more of an outgoing message with a success REPORT.
    Progress {
        /// The session.
        session: SessionHandle,
        /// The message.
        message: MessageId,
        /// Bytes confirmed so far.
        confirmed: u64,
        /// The message size, if known.
        total: Option<u64>,
    },
    /// An outgoing message ended.
    Outcome {
        /// The session.
        session: SessionHandle,
        /// The message.
        message: MessageId,
        /// How it ended.
        outcome: Outcome,
    },
    /// A streamed outgoing message has room in its send buffer again.
    Writable {
        /// The session.
        session: SessionHandle,
        /// The message.
        message: MessageId,
    },
    /// The first chunk of an incoming message arrived (streaming mode).
    MessageStarted {
        /// The session.
        session: SessionHandle,
        /// The message.
        message: MessageId,
        /// The head of the first chunk that arrived: Content-Type and the
        /// other MIME headers, reports, Byte-Range.
        head: ChunkHead,
        /// The message size, if the sender gave it.
        total: Option<u64>,
    },
    /// Bytes of an incoming message, at a 0-based offset (streaming mode).
    /// Pieces arrive in the order the peer sent them, which may not be the
    /// order of their offsets.
    MessageData {
        /// The session.
        session: SessionHandle,
        /// The message.
        message: MessageId,
        /// Where `data` goes in the message, counting from 0.
        offset: u64,
        /// The bytes.
        data: Bytes,
    },
    /// Every byte of an incoming message arrived (streaming mode).
    MessageCompleted {
        /// The session.
        session: SessionHandle,
        /// The message.
        message: MessageId,
        /// Its size.
        size: u64,
        /// How many chunks carried it.
        chunks: u32,
    },
    /// The sender aborted an incoming message (`#`), or the connection or
    /// session ended before it was complete.
    MessageAborted {
        /// The session.
        session: SessionHandle,
        /// The message.
        message: MessageId,
        /// Bytes received before the end.
        received: u64,
    },
    /// A whole incoming message (assembled mode).
    MessageReceived {
        /// The session.
        session: SessionHandle,
        /// The message.
        message: MessageId,
        /// The head of its first chunk.
        head: ChunkHead,
        /// The message.
        body: Bytes,
        /// How many chunks carried it.
        chunks: u32,
    },
    /// A chunk, as received (chunk mode: msrplib's `receive_chunk`).
    ChunkReceived {
        /// The session.
        session: SessionHandle,
        /// The chunk.
        chunk: Chunk,
    },
    /// The response to a chunk sent with
    /// [`send_chunk`](super::Connection::send_chunk): the peer's, or a local
    /// 408 when none came in time.
    ChunkResponse {
        /// The request.
        request: RequestId,
        /// The status code.
        code: u16,
        /// The comment, if any.
        comment: Option<String>,
    },
    /// The answer to a NICKNAME request sent with
    /// [`set_nickname`](super::Connection::set_nickname) (RFC 7701 §7.1):
    /// the focus's status code — 200, 424 (malformed nickname), 425
    /// (reserved or already in use), 501 from a peer that is no focus, or
    /// any other — or a local 408 when none came within
    /// [`Config::transaction_timeout`](super::Config::transaction_timeout)
    /// or the session or connection ended first. Exactly one per request.
    NicknameResult {
        /// The session.
        session: SessionHandle,
        /// The request.
        request: RequestId,
        /// The status code.
        code: u16,
        /// The comment, if any.
        comment: Option<String>,
    },
    /// A participant asks for a nickname (RFC 7701 §7.1), on a session with
    /// [`SessionConfig::nicknames`](super::SessionConfig::nicknames) on.
    /// Answer it with [`answer_nickname`](super::Connection::answer_nickname):
    /// 200, 424, 425, … An empty nickname asks to drop the current one
    /// (SylkServer's reading).
    NicknameRequest {
        /// The session.
        session: SessionHandle,
        /// The request, for the answer.
        request: RequestId,
        /// The nickname asked for, unquoted.
        nickname: String,
    },
    /// The relay accepted the credentials (RFC 4976).
    Authenticated {
        /// The path the relay granted: the head of this side's path.
        use_path: Path,
        /// How long it is valid; it is renewed automatically before then.
        expires: Duration,
    },
    /// The relay refused the credentials, or the exchange failed.
    AuthFailed {
        /// The status code (401 after too many attempts, 403, 408, …).
        code: u16,
        /// Why, in words.
        comment: String,
    },
    /// The connection is over; nothing more will happen on it.
    Closed {
        /// Why.
        reason: CloseReason,
    },
}
