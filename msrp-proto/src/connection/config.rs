//! Everything a [`Connection`](super::Connection) can be tuned with.

use std::time::Duration;

use crate::wire::Limits;

/// Settings of a connection. Start from [`Config::default`] and change the
/// fields you need; the defaults follow RFC 4975 and what deployed peers
/// accept.
///
/// ```
/// use std::time::Duration;
/// use msrp_proto::connection::Config;
/// let mut config = Config::default();
/// config.chunk_size = 2048;
/// assert_eq!(config.transaction_timeout, Duration::from_secs(30));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// Limits of the chunk parser.
    pub limits: Limits,
    /// Largest body of a SEND chunk this side sends on a direct connection.
    /// Default 64 KiB (sipsimple's file-transfer chunk).
    pub chunk_size: usize,
    /// Largest body of a SEND chunk when a relay is in the path, on this
    /// side (a session's local relays) or the peer's (a peer path of more
    /// than one URI): Kamailio relays whole frames of at most 10 KiB of
    /// body and drops larger ones. Default 10240.
    pub relay_chunk_size: usize,
    /// How many body bytes one [`poll_transmit`](super::Connection::poll_transmit)
    /// hands out at most. Between two pieces a chunk in flight can be
    /// interrupted to let a response or a short message through
    /// (RFC 4975 §7.1.1). Default 16 KiB.
    pub transmit_piece: usize,
    /// How long to wait for the response to a request (RFC 4975 §7.1.1:
    /// 30 s, then treat it as 408). Default 30 s.
    pub transaction_timeout: Duration,
    /// How long to wait, once every chunk was acknowledged, for the success
    /// REPORT of a message sent with `Success-Report: yes`. Default 30 s.
    pub report_timeout: Duration,
    /// How long a message sent with `Failure-Report: partial` (and
    /// `Success-Report: no`) waits after its last byte for an error
    /// response before its outcome is [`Outcome::Sent`](super::Outcome::Sent):
    /// the peer answers only errors (RFC 4975 §7.1.1), so silence is all
    /// there is to learn. Zero reports it sent as soon as the last byte left.
    /// Default 30 s, the transaction timeout.
    pub partial_report_wait: Duration,
    /// How long a connection that no session has bound may stay open
    /// (msrplib `MSRPBindSessionTimeout`). Default 30 s.
    pub bind_timeout: Duration,
    /// Close the connection when a chunk's start line and headers take
    /// longer than this to arrive (a slowloris peer trickling a header
    /// block). Default 10 s.
    pub head_timeout: Option<Duration>,
    /// Close the connection after this long without receiving anything.
    /// Default: never.
    pub idle_timeout: Option<Duration>,
    /// Send a bodiless SEND on each bound session after this long without
    /// sending anything, to keep NATs and relays from dropping the
    /// connection (msrplib sends one every 60 s). Default: never.
    pub keepalive_interval: Option<Duration>,
    /// Most sessions on one connection. Default 64.
    pub max_sessions: usize,
    /// Most requests sent and not yet answered, across the connection. When
    /// it is reached, no new chunk starts until responses arrive: a window
    /// that keeps a slow peer from accumulating unbounded state. Default 256.
    pub max_pending_transactions: usize,
    /// Most messages sent on one session whose outcome is not yet known.
    /// Default 1024.
    pub max_outgoing_messages: usize,
    /// Most messages being sent at once: begun (their first chunk went out)
    /// and not ended. Chunks of several messages may interleave (RFC 4975
    /// §7.1.1), but a receiver holds only so many incomplete messages
    /// (ours refuses more than [`max_incomplete_messages`](Self::max_incomplete_messages)
    /// with 413); the others wait their turn. Default 16.
    pub max_open_messages: usize,
    /// Bytes the streaming send API buffers per message before `write`
    /// answers [`CommandError::Blocked`](super::CommandError::Blocked). Default 1 MiB.
    pub send_buffer: usize,
    /// Most incoming messages per session that have started and not ended;
    /// a new one beyond it is refused with 413. Default 32.
    pub max_incomplete_messages: usize,
    /// Largest message the assembled receive mode holds in memory; a larger
    /// one is refused with 413 (RFC 4975 §7.3.1). Default 16 MiB.
    pub max_message_size: u64,
    /// Received body bytes the application has not yet taken out with
    /// [`poll_event`](super::Connection::poll_event) before the connection
    /// stops reading ([`wants_input`](super::Connection::wants_input) turns
    /// false). Default 256 KiB: a reader that lags keeps the bytes it has
    /// not taken, and the receive buffers they are part of, from reuse;
    /// at 1 MiB a bulk transfer reused fewer of its read blocks and ran
    /// slower (`msrp bench`, TLS: 0.65–0.68 of raw against 0.70–0.79).
    pub max_pending_event_bytes: usize,
    /// Bytes fed while the connection does not want input before it gives up
    /// and closes. Default 4 MiB.
    pub max_buffered_input: usize,
    /// Responses and REPORTs waiting to be sent before the connection stops
    /// reading (a peer that sends but never reads). Default 1024.
    pub max_queued_responses: usize,
    /// Match incoming requests to sessions by session id alone instead of
    /// the whole URI (RFC 6714 CEMA, the sessmatch behaviour needed behind
    /// SBCs that rewrite addresses). Default off.
    pub match_session_id_only: bool,
    /// Report requests for sessions this connection does not know as
    /// [`Event::BindRequest`](super::Event::BindRequest) instead of answering
    /// 481, so that a server holding many expected sessions can decide.
    /// Default off.
    pub ask_to_bind: bool,
    /// NICKNAME requests (RFC 7701 §7) in flight each way: sent with
    /// [`set_nickname`](super::Connection::set_nickname) and not yet
    /// answered (more give [`CommandError::TooManyRequests`](super::CommandError::TooManyRequests)),
    /// and received on a session with
    /// [`nicknames`](super::SessionConfig::nicknames) on and not yet
    /// answered by the application (more are answered 403 at once). A
    /// participant asks for one nickname at a time; the bound only keeps a
    /// peer or an application that never answers from growing the tables.
    /// Default 16.
    pub max_pending_nicknames: usize,
    /// Relay AUTH attempts before giving up (a wrong password gives 401
    /// again). Default 3.
    pub max_auth_attempts: u32,
    /// Fraction of the granted Expires after which a relay AUTH is renewed.
    /// Default 0.8.
    pub auth_refresh_ratio: Ratio,
}

/// A number between 0 and 1, in thousandths (keeps [`Config`] `Eq`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ratio(u16);

impl Ratio {
    /// `per_mille` thousandths, at most 1000.
    pub const fn per_mille(per_mille: u16) -> Self {
        Self(if per_mille > 1000 { 1000 } else { per_mille })
    }

    /// This fraction of `d`.
    pub fn of(self, d: Duration) -> Duration {
        d * u32::from(self.0) / 1000
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            limits: Limits::default(),
            chunk_size: 64 * 1024,
            relay_chunk_size: 10240,
            transmit_piece: 16 * 1024,
            transaction_timeout: Duration::from_secs(30),
            report_timeout: Duration::from_secs(30),
            partial_report_wait: Duration::from_secs(30),
            bind_timeout: Duration::from_secs(30),
            head_timeout: Some(Duration::from_secs(10)),
            idle_timeout: None,
            keepalive_interval: None,
            max_sessions: 64,
            max_pending_transactions: 256,
            max_outgoing_messages: 1024,
            max_open_messages: 16,
            send_buffer: 1 << 20,
            max_incomplete_messages: 32,
            max_message_size: 16 << 20,
            max_pending_event_bytes: 256 << 10,
            max_buffered_input: 4 << 20,
            max_queued_responses: 1024,
            match_session_id_only: false,
            ask_to_bind: false,
            max_pending_nicknames: 16,
            max_auth_attempts: 3,
            auth_refresh_ratio: Ratio::per_mille(800),
        }
    }
}
