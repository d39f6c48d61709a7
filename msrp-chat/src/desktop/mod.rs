//! Desktop sharing over MSRP (sipsimple's `MSRPDesktopSharing`, today
//! `ScreenSharingStream`): an RFB (VNC) connection tunnelled through an MSRP
//! session, on any runtime of `msrp-endpoint` (tokio, async-std, smol).
//!
//! ```
//! use std::time::Duration;
//! use msrp_chat::desktop::{DesktopConfig, DesktopRole, DesktopStream, ViewerListener, connect_vnc_server};
//! use msrp_endpoint::EndpointConfig;
//! use msrp_tokio::Tokio;
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // A stand-in VNC server: it greets, reads the answer, and hangs up.
//! let vnc = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let vnc_port = vnc.local_addr()?.port();
//! tokio::spawn(async move {
//!     let (mut socket, _) = vnc.accept().await?;
//!     socket.write_all(b"RFB 003.008\n").await?;
//!     let mut version = [0; 12];
//!     socket.read_exact(&mut version).await?;
//!     std::io::Result::Ok(())
//! });
//!
//! // The viewing side waits for its peer; the sharing side calls it. (With
//! // SIP, `offer` and `answer` make the SDP and `start` follows.)
//! let new = || DesktopStream::new(Tokio, DesktopConfig::default(), EndpointConfig::default(), None);
//! let (mut viewing, mut sharing) = (new(), new());
//! let path = viewing.listen(DesktopRole::Viewer).await?;
//! sharing.call(DesktopRole::Server).await?;
//! let (viewer_side, server_side) =
//!     futures_util::future::join(viewing.start_any(), sharing.start_to(&path)).await;
//!
//! // The sharing side tunnels its VNC server, the viewing side one local viewer.
//! let vnc_socket = connect_vnc_server(&Tokio, "127.0.0.1", vnc_port, Duration::from_secs(5)).await?;
//! let server_bridge = server_side?.spawn(vnc_socket);
//! let listener = ViewerListener::bind(Tokio, "127.0.0.1:0".parse()?).await?;
//! let mut viewer = tokio::net::TcpStream::connect(listener.local_addr()).await?;
//! let (socket, _) = listener.accept().await?;
//! let viewer_bridge = viewer_side?.spawn(socket);
//!
//! // The viewer talks to the VNC server through MSRP.
//! let mut version = [0; 12];
//! viewer.read_exact(&mut version).await?;
//! assert_eq!(&version, b"RFB 003.008\n");
//! viewer.write_all(&version).await?;
//!
//! // The server hangs up: its bridge ends the session, the other closes the viewer.
//! assert_eq!(viewer.read(&mut version).await?, 0);
//! let (server, viewer) = (server_bridge.wait().await, viewer_bridge.wait().await);
//! assert!(server.end.is_clean() && viewer.end.is_clean());
//! assert_eq!((server.stats.bytes_to_peer, viewer.stats.bytes_from_peer), (12, 12));
//! assert_eq!((viewer.stats.bytes_to_peer, server.stats.bytes_from_peer), (12, 12));
//! # Ok(())
//! # }
//! ```
//!
//! # The stream
//!
//! - SDP ([`crate::sdp`]): `m=application <port> TCP/MSRP *` (or
//!   `TCP/TLS/MSRP`), `a=accept-types:application/x-rfb`, and
//!   `a=rfbsetup:active` on the viewer's side, `passive` on the VNC
//!   server's; the answer takes the role opposite to the offer's, and an
//!   offer without `a=rfbsetup` means `active` (the offerer views).
//!   [`DesktopStream::offer`] and [`answer`](DesktopStream::answer) write
//!   it; [`DesktopRole`] reads it. Who connects follows `a=setup` as for
//!   chat: the offerer is active.
//! - Bytes read from the local socket go out as MSRP messages of
//!   `application/x-rfb` with `Success-Report: no` and `Failure-Report:
//!   partial` (no 200s, no REPORTs, as sipsimple sends them); the bytes of
//!   incoming `application/x-rfb` messages go to the local socket in
//!   arrival order. Other types are refused with 415 by the session.
//!
//! # One message per read
//!
//! Each read of the local socket (at most [`DesktopConfig::max_message`]
//! bytes, 8 KiB by default) becomes one whole message, rather than all of
//! them becoming one open-ended message of `+` chunks. Both are fine for
//! sipsimple, which writes the bytes of every chunk to its socket whatever
//! the message; a message per read is chosen because:
//!
//! - what is read goes out at once, whole: a message of unknown size
//!   written piece by piece keeps its last byte back until the next write
//!   or the end (so that its last chunk can end with `$`), which would hold
//!   up an interactive protocol's replies;
//! - every chunk is complete when sent, and at 8 KiB a message is one chunk
//!   even through a relay that forwards whole frames of at most 10 KiB
//!   (Kamailio);
//! - it is exactly what sipsimple sends (it reads up to 2048 bytes).
//!
//! A message refused by the peer leaves a hole in the RFB stream, so it
//! ends the bridge ([`BridgeEnd::Refused`]).
//!
//! # Bounded buffers, both ways
//!
//! - To the peer: at most [`DesktopConfig::send_window`] bytes (128 KiB)
//!   read from the local socket wait to leave; at the bound the socket is
//!   not read, and the VNC server (or viewer) is pushed back by TCP. A
//!   message leaves the window once its last byte is handed to the
//!   connection (its outcome: `Failure-Report: partial` gets no 200, and
//!   the session waits for no error response), which writes at most
//!   256 KiB at a time: a peer that does not read stops the window.
//! - From the peer: one piece at a time goes to the local socket; the next
//!   is taken from the session only once it is written. A viewer (or
//!   server) that does not read stops the session from being read; the
//!   session holds at most [`DesktopConfig::receive_window`] bytes
//!   (256 KiB) before its connection stops reading, and TCP pushes back on
//!   the peer, whose window then fills.
//!
//! The decisions are in [`Tunnel`] (sans-IO, tested without sockets); the
//! bridge task moves the bytes.
//!
//! # The end
//!
//! When the local socket ends (the viewer quits, the VNC server hangs up)
//! or fails, the messages already read go out, then the MSRP session
//! closes, and with it the connection: the peer's bridge sees the session
//! end and closes its own local socket after writing what it had received.
//! When the session ends first, the local socket is closed.
//! [`Bridge::stop`] ends a bridge from the application.

mod bridge;
mod local;
mod tunnel;

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::io::{AsyncRead, AsyncWrite};
use msrp_endpoint::{EndpointConfig, RelaySettings, Runtime, Session};
use msrp_proto::connection::ReceiveMode;
use msrp_proto::{MsrpUri, Path};

use crate::sdp::{
    Capabilities, LocalEndpoint, MsrpMedia, RfbSetup, Role, Setup, Side, answer_desktop,
    desktop_offer, negotiated_role,
};
use crate::stream::StreamError;

pub use bridge::{Bridge, BridgeReport};
pub use local::{ViewerListener, connect_vnc_server};
pub use tunnel::{BridgeEnd, BridgeStats, Tunnel};

use crate::stream::link::Link;

/// The content type of the RFB bytes (sipsimple's `ScreenSharingStream`).
pub const RFB_CONTENT_TYPE: &str = "application/x-rfb";

/// Which end of the RFB connection this side is (`a=rfbsetup`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DesktopRole {
    /// The RFB client: this side views the peer's desktop and tunnels a
    /// local VNC viewer (`a=rfbsetup:active`).
    Viewer,
    /// The RFB server: this side shares its desktop and tunnels a local VNC
    /// server (`a=rfbsetup:passive`).
    Server,
}

impl DesktopRole {
    /// The role an `a=rfbsetup` value gives; absent is `active`, the viewer
    /// (sipsimple).
    ///
    /// ```
    /// use msrp_chat::desktop::DesktopRole;
    /// use msrp_chat::sdp::RfbSetup;
    /// assert_eq!(DesktopRole::from_rfbsetup(None), DesktopRole::Viewer);
    /// assert_eq!(DesktopRole::from_rfbsetup(Some(RfbSetup::Passive)), DesktopRole::Server);
    /// ```
    pub fn from_rfbsetup(setup: Option<RfbSetup>) -> Self {
        match setup.unwrap_or(RfbSetup::Active) {
            RfbSetup::Active => Self::Viewer,
            RfbSetup::Passive => Self::Server,
        }
    }

    /// Its `a=rfbsetup` value.
    pub fn rfbsetup(self) -> RfbSetup {
        match self {
            Self::Viewer => RfbSetup::Active,
            Self::Server => RfbSetup::Passive,
        }
    }

    /// The peer's role.
    pub fn opposite(self) -> Self {
        match self {
            Self::Viewer => Self::Server,
            Self::Server => Self::Viewer,
        }
    }
}

/// The bounds of a desktop-sharing bridge.
///
/// ```
/// use msrp_chat::desktop::DesktopConfig;
/// let mut config = DesktopConfig::default();
/// config.max_message = 2048; // as sipsimple reads
/// assert_eq!(config.send_window, 128 * 1024);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DesktopConfig {
    /// The most bytes one read of the local socket takes, and so the
    /// largest message sent. Default 8192: one chunk even through a relay
    /// (Kamailio forwards at most 10 KiB per chunk).
    pub max_message: usize,
    /// The most bytes read from the local socket that have not left yet;
    /// the socket is not read while fewer than `max_message` are free.
    /// Default 128 KiB.
    pub send_window: usize,
    /// The most received bytes the session holds for the bridge before its
    /// connection stops reading (the connection's
    /// `max_pending_event_bytes`). Default 256 KiB.
    pub receive_window: usize,
}

impl Default for DesktopConfig {
    fn default() -> Self {
        Self {
            max_message: 8192,
            send_window: 128 * 1024,
            receive_window: 256 * 1024,
        }
    }
}

/// A desktop-sharing stream being set up: the SDP and the MSRP session,
/// like [`ChatStream`](crate::stream::ChatStream).
///
/// 1. [`DesktopStream::new`] with the runtime, the bounds, the endpoint
///    settings and, optionally, a relay.
/// 2. [`offer`](Self::offer) with this side's role, or
///    [`answer`](Self::answer) (the role is the opposite of the offer's):
///    prepares the connector or acceptor and gives the local SDP media
///    description.
/// 3. [`start`](Self::start) with the remote description: the session
///    binds and gives a [`DesktopSession`], which bridges a local socket.
///
/// Without SIP, [`listen`](Self::listen) and [`start_any`](Self::start_any)
/// on one side, [`call`](Self::call) and [`start_to`](Self::start_to) on the
/// other.
#[derive(Debug)]
pub struct DesktopStream<R: Runtime> {
    rt: R,
    config: DesktopConfig,
    endpoint: EndpointConfig,
    relay: Option<RelaySettings>,
    listen: Option<SocketAddr>,
    role: Option<DesktopRole>,
    link: Option<Link<R>>,
}

impl<R: Runtime> DesktopStream<R> {
    /// A stream on `rt`; `relay` routes it through an MSRP relay. The
    /// endpoint settings are adjusted for RFB: streaming receive,
    /// `application/x-rfb` only, no wait for error responses to
    /// `Failure-Report: partial` messages, and `config.receive_window` as
    /// the bytes held for the bridge.
    pub fn new(
        rt: R,
        config: DesktopConfig,
        mut endpoint: EndpointConfig,
        relay: Option<RelaySettings>,
    ) -> Self {
        endpoint.receive_mode = ReceiveMode::Stream;
        endpoint.accept_types = vec![RFB_CONTENT_TYPE.to_owned()];
        endpoint.protocol.partial_report_wait = Duration::ZERO;
        endpoint.protocol.max_pending_event_bytes = config.receive_window.max(1);
        Self {
            rt,
            config,
            endpoint,
            relay,
            listen: None,
            role: None,
            link: None,
        }
    }

    /// Where an answering side without relay listens (default: the
    /// endpoint's local host, a free port).
    pub fn listen_on(mut self, addr: SocketAddr) -> Self {
        self.listen = Some(addr);
        self
    }

    /// This side's role, once [`offer`](Self::offer),
    /// [`answer`](Self::answer), [`listen`](Self::listen) or
    /// [`call`](Self::call) settled it.
    pub fn role(&self) -> Option<DesktopRole> {
        self.role
    }

    /// Prepares the offering side and returns the SDP offer
    /// (`a=rfbsetup` from `role`): an active endpoint that connects once it
    /// has the answer.
    pub async fn offer(&mut self, role: DesktopRole) -> Result<MsrpMedia, StreamError> {
        let link = Link::connector(&self.rt, &self.endpoint, self.relay.clone()).await?;
        let mut local = LocalEndpoint::new(link.path()?);
        local.reachable = false; // a=setup:active
        let offer = desktop_offer(&local, &Capabilities::desktop_sharing(), role.rfbsetup());
        self.role = Some(role);
        self.link = Some(link);
        Ok(offer)
    }

    /// Prepares the answering side for `offer` and returns the SDP answer:
    /// the role opposite to the offered one, passive (it waits for the peer
    /// to bind) unless the offer is passive. An offer this side cannot take
    /// (not `m=application`, no `application/x-rfb`, the other transport,
    /// port 0) is an error: answer it with [`reject`](crate::sdp::reject).
    pub async fn answer(&mut self, offer: &MsrpMedia) -> Result<MsrpMedia, StreamError> {
        if offer.is_rejected() {
            return Err(StreamError::Sdp("the offered stream has port 0".into()));
        }
        let active = offer.setup == Some(Setup::Passive);
        let link = if active {
            Link::connector(&self.rt, &self.endpoint, self.relay.clone()).await?
        } else {
            Link::acceptor(&self.rt, &self.endpoint, self.relay.clone(), self.listen).await?
        };
        let local = LocalEndpoint::new(link.path()?);
        let answer = answer_desktop(offer, &local, &Capabilities::desktop_sharing())
            .map_err(|e| StreamError::Sdp(e.to_string()))?;
        let role = negotiated_role(Side::Answerer, offer.setup, answer.setup)
            .map_err(|e| StreamError::Sdp(e.to_string()))?;
        if (role == Role::Active) != active {
            return Err(StreamError::Sdp(
                "the offer and this answer disagree on who connects".into(),
            ));
        }
        self.role = Some(DesktopRole::from_rfbsetup(answer.rfbsetup));
        self.link = Some(link);
        Ok(answer)
    }

    /// Starts with the peer's description (the answer to this side's
    /// offer, or the offer this side answered): connects or waits for the
    /// peer and binds. An answer that takes this side's own role is refused.
    pub async fn start(mut self, remote: &MsrpMedia) -> Result<DesktopSession<R>, StreamError> {
        let (Some(link), Some(role)) = (self.link.take(), self.role) else {
            return Err(StreamError::Order("call offer or answer before start"));
        };
        if let Some(theirs) = remote.rfbsetup {
            if DesktopRole::from_rfbsetup(Some(theirs)) == role {
                return Err(StreamError::Sdp(format!(
                    "both sides say a=rfbsetup:{theirs}: one must view, the other serve"
                )));
            }
        }
        let path = remote
            .path
            .as_ref()
            .ok_or_else(|| StreamError::Sdp("no a=path in the remote description".into()))?;
        let session = link.complete(path.uris()).await?;
        Ok(self.bound(role, session))
    }

    /// Without SIP: prepares to wait for any peer and returns this side's
    /// path, for the peer to call with [`start_to`](Self::start_to).
    pub async fn listen(&mut self, role: DesktopRole) -> Result<Vec<MsrpUri>, StreamError> {
        let link =
            Link::acceptor(&self.rt, &self.endpoint, self.relay.clone(), self.listen).await?;
        let path = link.path()?.into_vec();
        self.role = Some(role);
        self.link = Some(link);
        Ok(path)
    }

    /// Without SIP: waits until a peer binds the session that
    /// [`listen`](Self::listen) prepared.
    pub async fn start_any(mut self) -> Result<DesktopSession<R>, StreamError> {
        let (Some(Link::Accept(mut acceptor, _)), Some(role)) = (self.link.take(), self.role)
        else {
            return Err(StreamError::Order("call listen before start_any"));
        };
        let session = Session::new(acceptor.complete_any().await?);
        Ok(self.bound(role, session))
    }

    /// Without SIP: prepares to call a peer and returns this side's path
    /// (through the relay, when there is one).
    pub async fn call(&mut self, role: DesktopRole) -> Result<Vec<MsrpUri>, StreamError> {
        let link = Link::connector(&self.rt, &self.endpoint, self.relay.clone()).await?;
        let path = link.path()?.into_vec();
        self.role = Some(role);
        self.link = Some(link);
        Ok(path)
    }

    /// Without SIP: calls the peer at `remote_path` (what its
    /// [`listen`](Self::listen) gave) and binds.
    pub async fn start_to(
        mut self,
        remote_path: &[MsrpUri],
    ) -> Result<DesktopSession<R>, StreamError> {
        let (Some(link @ Link::Connect(..)), Some(role)) = (self.link.take(), self.role) else {
            return Err(StreamError::Order("call, not listen, before start_to"));
        };
        let session = link.complete(remote_path).await?;
        Ok(self.bound(role, session))
    }

    fn bound(self, role: DesktopRole, session: Session) -> DesktopSession<R> {
        DesktopSession {
            rt: self.rt,
            role,
            session,
            config: self.config,
        }
    }
}

/// A bound desktop-sharing session, ready to bridge a local socket: the
/// VNC server's on the serving side, one viewer's on the viewing side.
#[derive(Debug)]
pub struct DesktopSession<R: Runtime> {
    rt: R,
    role: DesktopRole,
    session: Session,
    config: DesktopConfig,
}

impl<R: Runtime> DesktopSession<R> {
    /// This side's role.
    pub fn role(&self) -> DesktopRole {
        self.role
    }

    /// This side's full path.
    pub fn local_path(&self) -> &Path {
        self.session.local_path()
    }

    /// The peer's full path.
    pub fn remote_path(&self) -> &Path {
        self.session.remote_path()
    }

    /// Bridges `socket` and the session until either ends (see the
    /// [module docs](self)), then closes both.
    pub async fn run<S>(self, socket: S) -> BridgeReport
    where
        S: AsyncRead + AsyncWrite + Unpin + Send,
    {
        let pump = bridge::Pump {
            session: self.session,
            socket,
            tunnel: Tunnel::new(&self.config),
            shared: None,
            stop: None,
        };
        pump.run(&self.rt).await
    }

    /// [`run`](Self::run) as a task of its own, with a handle to watch and
    /// stop it.
    pub fn spawn<S>(self, socket: S) -> Bridge
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        Bridge::spawn(&self.rt, self.session, socket, Tunnel::new(&self.config))
    }

    /// Ends the session without bridging anything (the VNC server could
    /// not be reached, say): the peer sees the session end.
    pub async fn end(self) {
        let _ = msrp_endpoint::timeout(&self.rt, Duration::from_secs(10), self.session.shutdown())
            .await;
    }
}

#[cfg(test)]
mod tests;
