//! [`Tunnel`]: the decisions of a desktop-sharing byte bridge, without I/O.
//!
//! The bridge in [`super`] moves bytes between a local socket and an MSRP
//! session; everything it decides — how much to read, what a message looks
//! like, which incoming bytes go to the socket, when and why it ends — is
//! here, driven by explicit calls, so that it can be tested without sockets.

use std::collections::HashSet;
use std::fmt;

use bytes::Bytes;
use msrp_proto::connection::{CloseReason, Outcome, OutgoingMessage};
use msrp_proto::wire::{FailureReport, SuccessReport};

use super::{DesktopConfig, RFB_CONTENT_TYPE};

/// Why a bridge ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BridgeEnd {
    /// The local socket reached its end or was reset: the viewer quit, or
    /// the VNC server closed the connection. What was read before went out
    /// first.
    LocalClosed,
    /// Reading or writing the local socket failed.
    LocalFailed(String),
    /// The MSRP session ended: the peer closed it, the connection was lost
    /// or broken, or ([`CloseReason::LocallyClosed`]) the session failed on
    /// a connection still open — a keep-alive refused by a relay whose
    /// next hop, the peer, is gone.
    SessionEnded(CloseReason),
    /// The peer refused a part of the RFB stream (an error response to a
    /// message): the byte stream has a hole, so the tunnel ends.
    Refused {
        /// The peer's status code.
        code: u16,
        /// Its comment.
        comment: String,
    },
    /// The application stopped the bridge.
    Stopped,
}

impl BridgeEnd {
    /// Whether this is an orderly end: a socket or session closed by its
    /// owner, or a stop, rather than a failure.
    pub fn is_clean(&self) -> bool {
        match self {
            Self::LocalClosed | Self::Stopped => true,
            Self::SessionEnded(reason) => {
                matches!(reason, CloseReason::PeerClosed | CloseReason::LocallyClosed)
            }
            Self::LocalFailed(_) | Self::Refused { .. } => false,
        }
    }

    /// Whether the MSRP session is still there to be shut down (every end
    /// but [`SessionEnded`](Self::SessionEnded)).
    pub fn session_open(&self) -> bool {
        !matches!(self, Self::SessionEnded(_))
    }
}

impl fmt::Display for BridgeEnd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::LocalClosed => f.write_str("the local socket closed"),
            Self::LocalFailed(err) => write!(f, "the local socket failed: {err}"),
            Self::SessionEnded(CloseReason::PeerClosed) => {
                f.write_str("the peer ended the session")
            }
            // The connection is still open: the session failed on it.
            Self::SessionEnded(CloseReason::LocallyClosed) => {
                f.write_str("the peer or its relay refused the session (the peer is gone)")
            }
            Self::SessionEnded(reason) => write!(f, "the MSRP session ended: {reason}"),
            Self::Refused { code, comment } => {
                write!(f, "the peer refused RFB data: {code} {comment}")
            }
            Self::Stopped => f.write_str("stopped by this side"),
        }
    }
}

/// What a bridge moved, and its high-water marks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BridgeStats {
    /// Bytes read from the local socket and sent to the peer.
    pub bytes_to_peer: u64,
    /// Messages sent to the peer (one per read).
    pub messages_to_peer: u64,
    /// Bytes from the peer written to the local socket.
    pub bytes_from_peer: u64,
    /// `application/x-rfb` messages received completely.
    pub messages_from_peer: u64,
    /// The largest message received, in bytes.
    pub largest_from_peer: u64,
    /// Bytes read from the local socket whose message has not left yet.
    pub in_flight: u64,
    /// The most [`in_flight`](Self::in_flight) ever was; never above
    /// [`DesktopConfig::send_window`].
    pub peak_in_flight: u64,
    /// Bytes from the peer held for the local socket (at most one piece);
    /// the most it ever was is [`peak_to_socket`](Self::peak_to_socket).
    pub to_socket: u64,
    /// The most [`to_socket`](Self::to_socket) ever was.
    pub peak_to_socket: u64,
}

/// The decision logic of a desktop-sharing bridge (sans-IO).
///
/// Outgoing: [`read_budget`](Self::read_budget) says how many bytes the next
/// read of the local socket may take, `None` while the send window is full
/// (the local socket is then not read: the VNC server or viewer is pushed
/// back by TCP); each read becomes one [`message`](Self::message); each
/// message's [`on_outcome`](Self::on_outcome) opens the window again.
/// Incoming: the pieces of `application/x-rfb` messages go to the socket in
/// arrival order ([`on_data`](Self::on_data)), one at a time: the next is
/// taken from the session only once [`on_written`](Self::on_written) says
/// the last one is written, so a socket that does not read stops the
/// session from being read, and TCP pushes back on the peer.
///
/// ```
/// use bytes::Bytes;
/// use msrp_chat::desktop::{BridgeEnd, DesktopConfig, Tunnel};
/// use msrp_proto::connection::Outcome;
///
/// let mut config = DesktopConfig::default();
/// config.max_message = 4;
/// config.send_window = 8;
/// let mut tunnel = Tunnel::new(&config);
/// assert_eq!(tunnel.read_budget(), Some(4));
/// let first = tunnel.message(Bytes::from_static(b"RFB "));
/// assert_eq!(first.content_type(), "application/x-rfb");
/// let _second = tunnel.message(Bytes::from_static(b"003."));
/// // Eight bytes wait to leave: the socket is not read until one has.
/// assert_eq!(tunnel.read_budget(), None);
/// tunnel.on_outcome(4, &Outcome::Sent);
/// assert_eq!(tunnel.read_budget(), Some(4));
///
/// // The peer's bytes go to the socket, then the socket closes.
/// tunnel.on_started("m1", Some("application/x-rfb"));
/// assert_eq!(tunnel.on_data("m1", Bytes::from_static(b"RFB 003.008\n")).as_deref(), Some(&b"RFB 003.008\n"[..]));
/// tunnel.on_written(12);
/// tunnel.on_local_eof();
/// assert_eq!(tunnel.end(), Some(&BridgeEnd::LocalClosed));
/// assert_eq!(tunnel.read_budget(), None);
/// ```
#[derive(Debug, Clone)]
pub struct Tunnel {
    max_message: usize,
    window: usize,
    in_flight: usize,
    stats: BridgeStats,
    /// Incoming messages of another type, whose bytes are dropped.
    ignored: HashSet<String>,
    end: Option<BridgeEnd>,
}

impl Tunnel {
    /// A tunnel with `config`'s bounds (a send window smaller than one
    /// message counts as one message).
    pub fn new(config: &DesktopConfig) -> Self {
        let max_message = config.max_message.max(1);
        Self {
            max_message,
            window: config.send_window.max(max_message),
            in_flight: 0,
            stats: BridgeStats::default(),
            ignored: HashSet::new(),
            end: None,
        }
    }

    /// How many bytes the next read of the local socket may take; `None`
    /// when the socket must not be read now: the bridge ended, or fewer
    /// than [`DesktopConfig::max_message`] bytes of the send window are
    /// free (so every read can be a full one, and the bytes waiting never
    /// exceed [`DesktopConfig::send_window`]).
    pub fn read_budget(&self) -> Option<usize> {
        let free = self.window - self.in_flight;
        (self.end.is_none() && free >= self.max_message).then_some(self.max_message)
    }

    /// The MSRP message for one read of the local socket (sipsimple's
    /// `ScreenSharingStream`): `application/x-rfb`, `Success-Report: no`,
    /// `Failure-Report: partial`, its whole body known (`Byte-Range:
    /// 1-N/N`). Its bytes count against the send window until
    /// [`on_outcome`](Self::on_outcome).
    pub fn message(&mut self, data: Bytes) -> OutgoingMessage {
        let n = data.len();
        self.in_flight += n;
        self.stats.bytes_to_peer += n as u64;
        self.stats.messages_to_peer += 1;
        self.stats.in_flight = self.in_flight as u64;
        self.stats.peak_in_flight = self.stats.peak_in_flight.max(self.stats.in_flight);
        OutgoingMessage::new(RFB_CONTENT_TYPE)
            .body(data)
            .success_report(SuccessReport::No)
            .failure_report(FailureReport::Partial)
    }

    /// A message of `size` bytes reached its outcome: its bytes have left
    /// (or never will), and the window opens by as much. A refusal by the
    /// peer ends the bridge ([`BridgeEnd::Refused`]): the RFB stream has a
    /// hole. A 408 does not: it stands for the connection ending with the
    /// message on its way (no response is awaited), and the session's end,
    /// which follows, says why.
    pub fn on_outcome(&mut self, size: usize, outcome: &Outcome) {
        self.in_flight = self.in_flight.saturating_sub(size);
        self.stats.in_flight = self.in_flight as u64;
        match outcome {
            Outcome::Failed { code: 408, .. } => {}
            Outcome::Failed { code, comment } => self.finish(BridgeEnd::Refused {
                code: *code,
                comment: comment.clone(),
            }),
            _ => {}
        }
    }

    /// An incoming message started. Only `application/x-rfb` is tunnelled
    /// (the session refuses other types with 415 before they get here;
    /// anything else that arrives anyway is dropped).
    pub fn on_started(&mut self, message: &str, content_type: Option<&str>) {
        let rfb = content_type.is_some_and(|t| {
            t.split(';')
                .next()
                .is_some_and(|t| t.trim().eq_ignore_ascii_case(RFB_CONTENT_TYPE))
        });
        if !rfb {
            self.ignored.insert(message.to_owned());
        }
    }

    /// Bytes of an incoming message: what to write to the local socket, in
    /// arrival order (continuation flags do not matter, as in sipsimple).
    /// Write all of it before taking the next item from the session, then
    /// call [`on_written`](Self::on_written).
    pub fn on_data(&mut self, message: &str, data: Bytes) -> Option<Bytes> {
        if self.end.is_some() || data.is_empty() || self.ignored.contains(message) {
            return None;
        }
        self.stats.to_socket = data.len() as u64;
        self.stats.peak_to_socket = self.stats.peak_to_socket.max(self.stats.to_socket);
        Some(data)
    }

    /// `n` bytes from [`on_data`](Self::on_data) are written to the socket.
    pub fn on_written(&mut self, n: usize) {
        self.stats.bytes_from_peer += n as u64;
        self.stats.to_socket = self.stats.to_socket.saturating_sub(n as u64);
    }

    /// An incoming message is complete.
    pub fn on_completed(&mut self, message: &str, size: u64) {
        if !self.ignored.remove(message) {
            self.stats.messages_from_peer += 1;
            self.stats.largest_from_peer = self.stats.largest_from_peer.max(size);
        }
    }

    /// An incoming message was cut off; its bytes already went to the
    /// socket.
    pub fn on_aborted(&mut self, message: &str) {
        self.ignored.remove(message);
    }

    /// The local socket reached its end.
    pub fn on_local_eof(&mut self) {
        self.finish(BridgeEnd::LocalClosed);
    }

    /// Reading or writing the local socket failed. A reset or broken pipe
    /// is the program at the other end going away (a viewer that quits
    /// with data unread resets the connection), which ends the bridge as
    /// [`BridgeEnd::LocalClosed`]; other errors as
    /// [`BridgeEnd::LocalFailed`].
    pub fn on_local_error(&mut self, err: &std::io::Error) {
        use std::io::ErrorKind::{BrokenPipe, ConnectionAborted, ConnectionReset};
        if matches!(err.kind(), ConnectionReset | ConnectionAborted | BrokenPipe) {
            self.finish(BridgeEnd::LocalClosed);
        } else {
            self.finish(BridgeEnd::LocalFailed(err.to_string()));
        }
    }

    /// The MSRP session ended.
    pub fn on_session_end(&mut self, reason: CloseReason) {
        self.finish(BridgeEnd::SessionEnded(reason));
    }

    /// The application stops the bridge.
    pub fn on_stop(&mut self) {
        self.finish(BridgeEnd::Stopped);
    }

    /// Why the bridge ended, once it has: the first reason wins.
    pub fn end(&self) -> Option<&BridgeEnd> {
        self.end.as_ref()
    }

    /// Bytes read and not yet sent.
    pub fn in_flight(&self) -> usize {
        self.in_flight
    }

    /// The send window: the most bytes [`in_flight`](Self::in_flight) may be.
    pub fn window(&self) -> usize {
        self.window
    }

    /// What moved so far.
    pub fn stats(&self) -> BridgeStats {
        self.stats
    }

    fn finish(&mut self, end: BridgeEnd) {
        if self.end.is_none() {
            self.end = Some(end);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn config(max_message: usize, send_window: usize) -> DesktopConfig {
        DesktopConfig {
            max_message,
            send_window,
            ..DesktopConfig::default()
        }
    }

    #[test]
    fn messages_follow_sipsimple() {
        let mut tunnel = Tunnel::new(&DesktopConfig::default());
        let message = tunnel.message(Bytes::from_static(b"\x03\x00"));
        assert_eq!(message.content_type(), "application/x-rfb");
        assert_eq!(
            message.reports(),
            (SuccessReport::No, FailureReport::Partial)
        );
        assert_eq!(message.body_bytes().map(|b| b.len()), Some(2));
    }

    #[test]
    fn a_failed_message_ends_the_bridge_and_the_first_end_wins() {
        let mut tunnel = Tunnel::new(&DesktopConfig::default());
        let _ = tunnel.message(Bytes::from_static(b"x"));
        tunnel.on_outcome(
            1,
            &Outcome::Failed {
                code: 415,
                comment: "Unsupported".into(),
            },
        );
        tunnel.on_local_eof();
        assert_eq!(
            tunnel.end(),
            Some(&BridgeEnd::Refused {
                code: 415,
                comment: "Unsupported".into()
            })
        );
        assert!(!tunnel.end().unwrap().is_clean());
        assert_eq!(tunnel.read_budget(), None);
        assert_eq!(tunnel.on_data("m", Bytes::from_static(b"late")), None);
    }

    #[test]
    fn a_message_cut_off_by_the_connection_leaves_the_end_to_the_session() {
        let mut tunnel = Tunnel::new(&DesktopConfig::default());
        let _ = tunnel.message(Bytes::from_static(b"x"));
        let lost = Outcome::Failed {
            code: 408,
            comment: "the peer closed the connection".into(),
        };
        tunnel.on_outcome(1, &lost);
        assert_eq!((tunnel.end(), tunnel.in_flight()), (None, 0));
        tunnel.on_session_end(CloseReason::PeerClosed);
        assert_eq!(
            tunnel.end(),
            Some(&BridgeEnd::SessionEnded(CloseReason::PeerClosed))
        );
    }

    #[test]
    fn other_types_are_dropped_and_not_counted() {
        let mut tunnel = Tunnel::new(&DesktopConfig::default());
        tunnel.on_started("chat", Some("text/plain"));
        tunnel.on_started("rfb", Some("Application/X-RFB; x=1"));
        assert_eq!(tunnel.on_data("chat", Bytes::from_static(b"hi")), None);
        assert!(tunnel.on_data("rfb", Bytes::from_static(b"ok")).is_some());
        tunnel.on_written(2);
        tunnel.on_completed("chat", 2);
        tunnel.on_completed("rfb", 2);
        let stats = tunnel.stats();
        assert_eq!(
            (stats.messages_from_peer, stats.bytes_from_peer),
            (1, 2),
            "{stats:?}"
        );
    }

    #[test]
    fn a_reset_local_socket_is_a_closed_one() {
        let mut tunnel = Tunnel::new(&DesktopConfig::default());
        tunnel.on_local_error(&std::io::ErrorKind::ConnectionReset.into());
        assert_eq!(tunnel.end(), Some(&BridgeEnd::LocalClosed));
        let mut tunnel = Tunnel::new(&DesktopConfig::default());
        tunnel.on_local_error(&std::io::ErrorKind::PermissionDenied.into());
        assert!(matches!(tunnel.end(), Some(BridgeEnd::LocalFailed(_))));
    }

    #[test]
    fn ends_say_whether_they_are_clean() {
        assert!(BridgeEnd::LocalClosed.is_clean());
        assert!(BridgeEnd::SessionEnded(CloseReason::PeerClosed).is_clean());
        assert!(!BridgeEnd::SessionEnded(CloseReason::ConnectionLost).is_clean());
        assert!(!BridgeEnd::SessionEnded(CloseReason::PeerClosed).session_open());
        assert!(BridgeEnd::LocalFailed("reset".into()).session_open());
        assert_eq!(
            BridgeEnd::SessionEnded(CloseReason::PeerClosed).to_string(),
            "the peer ended the session"
        );
    }

    #[test]
    fn a_window_smaller_than_a_message_holds_one_message() {
        let mut tunnel = Tunnel::new(&config(100, 10));
        assert_eq!(tunnel.window(), 100);
        assert_eq!(tunnel.read_budget(), Some(100));
        let _ = tunnel.message(Bytes::from(vec![0; 100]));
        assert_eq!(tunnel.read_budget(), None);
    }

    proptest! {
        /// Whatever the reads and outcomes, the bytes waiting never exceed
        /// the window, reads never exceed the message bound, and a window
        /// with nothing in flight is open.
        #[test]
        fn the_send_window_is_never_exceeded(
            max_message in 1usize..64,
            window in 1usize..512,
            steps in proptest::collection::vec((any::<bool>(), 0usize..64), 0..400),
        ) {
            let mut tunnel = Tunnel::new(&config(max_message, window));
            let mut sizes = std::collections::VecDeque::new();
            for (read, n) in steps {
                if read {
                    if let Some(budget) = tunnel.read_budget() {
                        prop_assert!(budget <= max_message);
                        let n = n.clamp(1, budget);
                        let _ = tunnel.message(Bytes::from(vec![0; n]));
                        sizes.push_back(n);
                    }
                } else if let Some(n) = sizes.pop_front() {
                    tunnel.on_outcome(n, &Outcome::Sent);
                }
                prop_assert!(tunnel.in_flight() <= tunnel.window());
                prop_assert!(tunnel.stats().peak_in_flight <= tunnel.window() as u64);
                if tunnel.in_flight() == 0 {
                    prop_assert!(tunnel.read_budget().is_some());
                }
            }
        }
    }
}
