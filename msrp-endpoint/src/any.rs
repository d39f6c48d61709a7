//! One connector type and one acceptor type for both cases, direct or
//! through a relay (msrplib's `get_connector(relay)` and
//! `get_acceptor(relay)`): callers use them without caring which.

use msrp_proto::uri::MsrpUri;

use crate::connect::{AcceptorDirect, ConnectorDirect, EndpointConfig};
use crate::error::Error;
use crate::relay::{AcceptorRelay, ConnectorRelay, RelaySettings};
use crate::runtime::Runtime;
use crate::session::Transport;

/// The calling side, direct or through a relay.
#[derive(Debug)]
pub enum Connector<R: Runtime> {
    /// Connects to the peer's first hop.
    Direct(ConnectorDirect<R>),
    /// Goes through this side's relay.
    Relay(ConnectorRelay<R>),
}

impl<R: Runtime> Connector<R> {
    /// This side's full path, for the SDP `a=path`.
    pub async fn prepare(&mut self, local_uri: Option<MsrpUri>) -> Result<Vec<MsrpUri>, Error> {
        match self {
            Self::Direct(c) => c.prepare(local_uri).await,
            Self::Relay(c) => c.prepare(local_uri).await,
        }
    }

    /// Binds the session with the peer whose full path is given.
    pub async fn complete(&mut self, full_remote_path: &[MsrpUri]) -> Result<Transport, Error> {
        match self {
            Self::Direct(c) => c.complete(full_remote_path).await,
            Self::Relay(c) => c.complete(full_remote_path).await,
        }
    }

    /// Releases what `prepare` took.
    pub fn cleanup(&mut self) {
        match self {
            Self::Direct(c) => c.cleanup(),
            Self::Relay(c) => c.cleanup(),
        }
    }
}

/// The answering side, direct or through a relay.
pub enum Acceptor<R: Runtime> {
    /// Listens for the peer's connection.
    Direct(AcceptorDirect<R>),
    /// Waits for the peer through this side's relay.
    Relay(AcceptorRelay<R>),
}

impl<R: Runtime> std::fmt::Debug for Acceptor<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Direct(_) => f.write_str("Acceptor::Direct"),
            Self::Relay(a) => f.debug_tuple("Acceptor::Relay").field(a).finish(),
        }
    }
}

impl<R: Runtime> Acceptor<R> {
    /// This side's full path, for the SDP `a=path`.
    pub async fn prepare(&mut self, local_uri: Option<MsrpUri>) -> Result<Vec<MsrpUri>, Error> {
        match self {
            Self::Direct(a) => a.prepare(local_uri).await,
            Self::Relay(a) => a.prepare(local_uri).await,
        }
    }

    /// Waits for the peer whose full path is given to bind the session.
    pub async fn complete(&mut self, full_remote_path: &[MsrpUri]) -> Result<Transport, Error> {
        match self {
            Self::Direct(a) => a.complete(full_remote_path).await,
            Self::Relay(a) => a.complete(full_remote_path).await,
        }
    }

    /// Waits for whichever peer binds the session.
    pub async fn complete_any(&mut self) -> Result<Transport, Error> {
        match self {
            Self::Direct(a) => a.complete_any().await,
            Self::Relay(a) => a.complete_any().await,
        }
    }

    /// Releases what `prepare` took.
    pub fn cleanup(&mut self) {
        match self {
            Self::Direct(a) => a.cleanup(),
            Self::Relay(a) => a.cleanup(),
        }
    }
}

/// A connector for the calling side (msrplib's `get_connector`): through
/// the relay when settings are given, direct otherwise.
pub fn get_connector<R: Runtime>(
    rt: R,
    config: EndpointConfig,
    relay: Option<RelaySettings>,
) -> Connector<R> {
    match relay {
        Some(settings) => Connector::Relay(ConnectorRelay::new(rt, config, settings)),
        None => Connector::Direct(ConnectorDirect::new(rt, config)),
    }
}

/// An acceptor for the answering side (msrplib's `get_acceptor`): through
/// the relay when settings are given, direct otherwise.
pub fn get_acceptor<R: Runtime>(
    rt: R,
    config: EndpointConfig,
    relay: Option<RelaySettings>,
) -> Acceptor<R> {
    match relay {
        Some(settings) => Acceptor::Relay(AcceptorRelay::new(rt, config, settings)),
        None => Acceptor::Direct(AcceptorDirect::new(rt, config)),
    }
}
