//! MSRP over WebSocket (RFC 7977): the transport of browsers and WebRTC
//! gateways, always to an MSRP relay that speaks WebSocket.
//!
//! Three layers, each usable alone:
//!
//! - [`handshake`]: the HTTP/1.1 upgrade, sans-IO, both sides.
//!   [`ClientHandshake`] offers the `msrp` subprotocol and refuses a server
//!   that does not select it; [`ServerHandshake`] validates a client's
//!   upgrade request and requires `msrp` (for a relay's WebSocket listener).
//! - [`framing`]: the WebSocket messages, sans-IO ([`WsFraming`], bytes in,
//!   bytes out). Outgoing, the byte stream of MSRP chunks the connection
//!   driver writes is cut into whole chunks by a [`ChunkCutter`], and each
//!   chunk goes out as one WebSocket message (RFC 7977 §5.1: never two
//!   chunks in one message, never a chunk across messages). Incoming,
//!   message payloads are concatenated into the byte stream the MSRP parser
//!   reads; pings are answered, a close frame ends the stream.
//! - [`WsStream`]: the two above over any [`BoxIo`](crate::BoxIo) (TCP, or
//!   TLS for `wss`), as an [`Io`](crate::Io) the driver uses like a socket.
//!   [`WsStream::connect`] is the client, [`WsStream::accept`] the server.
//!
//! The frame codec itself is [`tungstenite`]'s, driven from in-memory
//! buffers, so one implementation serves every runtime.
//!
//! # Frames: binary
//!
//! RFC 7977 §4.2 lets either end send text or binary frames and makes both
//! accept both. Chunks go out as **binary** frames: MSRP bodies are often
//! not UTF-8 (files), a text frame must be valid UTF-8 or the receiver
//! fails the connection (RFC 6455 §8.1), and binary needs no check. Kamailio
//! and browsers accept binary frames for `msrp`.
//!
//! # Message size limit
//!
//! One chunk is one WebSocket message, so the largest chunk this side sends
//! is bounded by [`WsLimits::max_send_message`], 16 320 bytes by default:
//! Kamailio's TCP reader drops a connection whose WebSocket frame exceeds
//! 16 383 bytes with its header. Through a relay the chunk body is at most
//! [`relay_chunk_size`](msrp_proto::connection::Config::relay_chunk_size)
//! (10 KiB), about 11 KiB with its headers: well inside. A chunk above the
//! limit is an error ([`WsError::ChunkTooLarge`]), never a silent split.
//! Incoming messages may be larger (a relay of our own forwards whole
//! chunks), up to [`WsLimits::max_receive_message`].

pub mod framing;
pub mod handshake;
mod stream;
mod url;

pub use framing::{ChunkCutter, WsFraming};
pub use handshake::{ClientHandshake, ServerHandshake, UpgradeRequest};
pub use stream::WsStream;
pub use url::WsUrl;

use std::io;

/// The WebSocket subprotocol of MSRP (RFC 7977 §4.1, §10).
pub const SUBPROTOCOL: &str = "msrp";

/// Size limits of a WebSocket connection carrying MSRP.
///
/// ```
/// use msrp_endpoint::ws::WsLimits;
/// let limits = WsLimits::default();
/// assert_eq!(limits.max_send_message, 16_320);
/// assert!(limits.max_receive_message >= 1 << 20);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct WsLimits {
    /// The largest MSRP chunk (start line to end-line) sent, which is the
    /// largest WebSocket message sent. Default 16 320 bytes (see the
    /// [module docs](self)).
    pub max_send_message: usize,
    /// The largest WebSocket message (one MSRP chunk) accepted; a larger one
    /// fails the connection. Default 1 MiB + 16 KiB.
    pub max_receive_message: usize,
    /// The largest HTTP head of the upgrade, either way. Default 8 KiB.
    pub max_handshake: usize,
}

impl Default for WsLimits {
    fn default() -> Self {
        Self {
            max_send_message: 16_320,
            max_receive_message: (1 << 20) + (16 << 10),
            max_handshake: 8 << 10,
        }
    }
}

impl WsLimits {
    /// These limits with `max_send_message` set.
    pub fn max_send_message(mut self, bytes: usize) -> Self {
        self.max_send_message = bytes;
        self
    }

    /// These limits with `max_receive_message` set.
    pub fn max_receive_message(mut self, bytes: usize) -> Self {
        self.max_receive_message = bytes;
        self
    }
}

/// Why a WebSocket connection for MSRP failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WsError {
    /// The other side's HTTP upgrade message is not valid HTTP/1.1.
    #[error("malformed WebSocket handshake: {0}")]
    Malformed(String),
    /// The HTTP head of the upgrade is larger than the limit.
    #[error("the WebSocket handshake is longer than {0} bytes")]
    HandshakeTooLarge(usize),
    /// The server answered the upgrade with something other than 101.
    #[error("the server refused the WebSocket upgrade: {status} {reason}")]
    Refused {
        /// The HTTP status.
        status: u16,
        /// The HTTP reason phrase.
        reason: String,
    },
    /// A header required for the upgrade is missing or wrong.
    #[error("not a valid WebSocket upgrade: {0}")]
    NotUpgrade(&'static str),
    /// The subprotocol is not `msrp`: the server selected none or another,
    /// or the client did not offer it.
    #[error("the WebSocket peer did not agree on the msrp subprotocol (got {0:?})")]
    Subprotocol(Option<String>),
    /// The client asked for a WebSocket version other than 13.
    #[error("unsupported WebSocket version {0:?} (13 is supported)")]
    Version(Option<String>),
    /// The data written is not a sequence of MSRP chunks.
    #[error("not an MSRP chunk: {0}")]
    NotMsrp(&'static str),
    /// An MSRP chunk larger than one WebSocket message may be.
    #[error("an MSRP chunk longer than {limit} bytes cannot go in one WebSocket message")]
    ChunkTooLarge {
        /// [`WsLimits::max_send_message`].
        limit: usize,
    },
    /// The peer sent a message (or frame) larger than
    /// [`WsLimits::max_receive_message`].
    #[error("the WebSocket peer sent a message longer than {limit} bytes")]
    MessageTooLarge {
        /// [`WsLimits::max_receive_message`].
        limit: usize,
    },
    /// The peer broke the WebSocket protocol (RFC 6455).
    #[error("WebSocket protocol error: {0}")]
    Protocol(String),
    /// A text message that is not UTF-8 (RFC 6455 §8.1).
    #[error("a WebSocket text message that is not UTF-8: {0}")]
    NotUtf8(String),
    /// A message that is not exactly one MSRP chunk (RFC 7977 §5.1: one
    /// chunk per message, never two, never part of one), with
    /// [`WsFraming::one_chunk_per_message`].
    #[error(
        "a WebSocket message must hold exactly one MSRP chunk (RFC 7977 §5.1): \
         {chunks} whole chunk(s) and {rest} byte(s) more"
    )]
    NotOneChunk {
        /// Whole chunks found in the message.
        chunks: usize,
        /// Bytes after them.
        rest: usize,
    },
    /// The WebSocket connection is closed.
    #[error("the WebSocket connection is closed")]
    Closed,
    /// The socket failed.
    #[error("I/O error: {0}")]
    Io(#[from] io::Error),
}

impl WsError {
    /// The status code of the close frame answering an input that failed
    /// this way (RFC 6455 §7.4.1): 1009 for a message too big, 1007 for a
    /// text message that is not UTF-8, 1002 for other broken framing (a
    /// message that is not one MSRP chunk among them), 1011 otherwise.
    pub fn close_code(&self) -> u16 {
        match self {
            Self::MessageTooLarge { .. } | Self::ChunkTooLarge { .. } => 1009,
            Self::NotUtf8(_) => 1007,
            Self::Protocol(_) | Self::NotMsrp(_) | Self::NotOneChunk { .. } => 1002,
            _ => 1011,
        }
    }

    /// The HTTP status a server answers an upgrade request that failed
    /// this way with (RFC 6455 §4.2.2): 426 for a version, 400 otherwise.
    pub fn http_status(&self) -> u16 {
        match self {
            Self::Version(_) => 426,
            Self::HandshakeTooLarge(_) => 431,
            _ => 400,
        }
    }
}

impl From<WsError> for io::Error {
    fn from(err: WsError) -> Self {
        let kind = match &err {
            WsError::Io(e) => return Self::new(e.kind(), err),
            WsError::Closed => io::ErrorKind::BrokenPipe,
            WsError::ChunkTooLarge { .. } | WsError::NotMsrp(_) => io::ErrorKind::InvalidInput,
            _ => io::ErrorKind::InvalidData,
        };
        Self::new(kind, err)
    }
}

/// Standard base64 with padding (RFC 4648 §4), for the handshake's key and
/// accept values.
pub(crate) fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for group in data.chunks(3) {
        let b = [
            group[0],
            group.get(1).copied().unwrap_or(0),
            group.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18u32, 12, 6, 0].into_iter().enumerate() {
            if i <= group.len() {
                out.push(char::from(ALPHABET[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        for (input, expected) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(input.as_bytes()), expected);
        }
    }

    #[test]
    fn errors_map_to_io_kinds() {
        let e: io::Error = WsError::ChunkTooLarge { limit: 1 }.into();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
        let e: io::Error = WsError::Protocol("x".into()).into();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        let e: io::Error = WsError::Io(io::ErrorKind::ConnectionReset.into()).into();
        assert_eq!(e.kind(), io::ErrorKind::ConnectionReset);
    }
}
