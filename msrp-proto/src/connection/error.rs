//! Errors returned to the caller of a [`Connection`](super::Connection)
//! command. Faults of the peer never come back this way: they become MSRP
//! responses or an [`Event::Closed`](super::Event::Closed).

use crate::wire::ParseError;

/// Why a command could not be carried out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CommandError {
    /// No such session on this connection (never opened, or closed).
    #[error("no such session on this connection")]
    UnknownSession,
    /// No such message (never sent, or already ended).
    #[error("no such message")]
    UnknownMessage,
    /// No such bind request (already answered).
    #[error("no such bind request")]
    UnknownBindRequest,
    /// The connection is closed or closing.
    #[error("the connection is closed")]
    Closed,
    /// The session is not bound yet (or failed).
    #[error("the session is not bound")]
    NotBound,
    /// [`Config::max_sessions`](super::Config::max_sessions) is reached.
    #[error("too many sessions on this connection")]
    TooManySessions,
    /// A session with an equal local URI exists on this connection.
    #[error("a session with this local URI exists on this connection")]
    DuplicateSession,
    /// [`Config::max_outgoing_messages`](super::Config::max_outgoing_messages) is reached.
    #[error("too many messages in flight on this session")]
    TooManyMessages,
    /// The message's send buffer is full: wait for [`Event::Writable`](super::Event::Writable).
    #[error("the send buffer is full")]
    Blocked,
    /// More bytes were written than the message's announced size.
    #[error("more bytes than the announced message size")]
    TooLong,
    /// The message was finished with fewer bytes than its announced size.
    #[error("fewer bytes than the announced message size")]
    TooShort,
    /// The message was already finished.
    #[error("the message was already finished")]
    Finished,
    /// A header given for the message or chunk is invalid.
    #[error("invalid header: {0}")]
    InvalidHeader(ParseError),
    /// A header that the connection writes itself (To-Path, Message-ID,
    /// Byte-Range, …) was given for a message.
    #[error("the {0} header is written by the connection and cannot be set")]
    ReservedHeader(String),
    /// A message with this Message-ID is already open on the connection
    /// ([`Connection::send_message_as`](super::Connection::send_message_as)).
    #[error("a message with this Message-ID is already open")]
    DuplicateMessage,
    /// A relay authentication is already under way.
    #[error("a relay authentication is already under way")]
    AuthInProgress,
    /// The nickname cannot be sent as the quoted-string of a Use-Nickname
    /// header (RFC 7701 §7.1, RFC 4975 §9 `quoted-string`): it holds a
    /// control character other than HTAB (CR, LF, NUL, DEL, …), or its
    /// header line would be longer than [`Limits::max_header_line`](crate::wire::Limits::max_header_line).
    #[error("the nickname cannot be sent in a Use-Nickname header")]
    InvalidNickname,
    /// [`Config::max_pending_nicknames`](super::Config::max_pending_nicknames)
    /// NICKNAME requests already wait for their answer.
    #[error("too many NICKNAME requests waiting for an answer")]
    TooManyRequests,
    /// No such request waits for an answer (never received, already
    /// answered, or its session or connection is gone).
    #[error("no such request waits for an answer")]
    UnknownRequest,
    /// A status code a response cannot carry: MSRP has three-digit codes and
    /// no provisional responses (RFC 4975 §9 `status-code`, §10), so only
    /// 200 to 999.
    #[error("{0} is not a status code a response can carry")]
    InvalidStatusCode(u16),
}
