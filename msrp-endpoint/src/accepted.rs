//! One accepted connection, from the TLS handshake until it binds a
//! session, fails or is evicted — shared by [`AcceptorDirect`] and
//! [`MsrpServer`], so that a connection that misbehaves costs either of
//! them only itself.
//!
//! [`AcceptorDirect`]: crate::AcceptorDirect
//! [`MsrpServer`]: crate::MsrpServer

use std::net::SocketAddr;
use std::pin::pin;

use futures_util::future::{Either, select};

use crate::connect::{EndpointConfig, secure_accepted};
use crate::driver::{Command, DriverHandle};
use crate::error::Error;
use crate::runtime::{BoxIo, Runtime};
use crate::unbound::{Evicted, Ticket};

/// Starts the driver of a connection whose transport is up. The ticket goes
/// with it, to be dropped when a session binds or the connection ends.
pub(crate) type StartDriver = Box<dyn FnOnce(BoxIo, Ticket) -> DriverHandle + Send>;

/// An accepted TCP connection and where it stands among the unbound ones.
pub(crate) struct Accepted<R: Runtime> {
    pub(crate) tcp: R::Tcp,
    pub(crate) peer: SocketAddr,
    pub(crate) secure: bool,
    pub(crate) ticket: Ticket,
    pub(crate) evicted: Evicted,
}

/// Runs the TLS handshake (for `msrps`) and starts the driver; closes the
/// connection if it is evicted before it binds. A handshake failure goes to
/// `failed`; a failure after the driver started goes wherever the driver's
/// bind reply sends it.
pub(crate) async fn run_accepted<R: Runtime>(
    rt: R,
    config: EndpointConfig,
    accepted: Accepted<R>,
    start: StartDriver,
    failed: impl FnOnce(Error),
) {
    let Accepted {
        tcp,
        peer,
        secure,
        ticket,
        mut evicted,
    } = accepted;
    let handshake = pin!(secure_accepted(&rt, &config, secure, tcp));
    let io = match select(handshake, &mut evicted).await {
        Either::Left((Ok(io), _)) => io,
        Either::Left((Err(err), _)) => {
            tracing::debug!(target: "msrp::traffic", %peer, %err, "incoming connection dropped");
            failed(err);
            return;
        }
        Either::Right(_) => {
            tracing::debug!(target: "msrp::traffic", %peer, "incoming connection dropped in its TLS handshake: too many connections waiting to bind");
            return;
        }
    };
    let handle = start(io, ticket);
    if evicted.await {
        tracing::debug!(target: "msrp::traffic", %peer, "incoming connection dropped: too many connections waiting to bind");
        let _ = handle.send(Command::Close);
    }
}
