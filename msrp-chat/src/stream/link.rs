//! The MSRP side of a stream: a connector or an acceptor, direct or through
//! a relay, prepared before the SDP goes out and completed after.

use std::net::SocketAddr;

use msrp_endpoint::{
    Acceptor, Connector, EndpointConfig, Runtime, Session, get_acceptor, get_connector,
};
use msrp_proto::{MsrpUri, Path};

use super::StreamError;

/// A prepared connector or acceptor and the local path it gave.
#[derive(Debug)]
pub(crate) enum Link<R: Runtime> {
    Connect(Connector<R>, Vec<MsrpUri>),
    Accept(Acceptor<R>, Vec<MsrpUri>),
}

impl<R: Runtime> Link<R> {
    /// This side will connect (and bind) once it has the peer's path.
    pub(crate) async fn connector(
        rt: &R,
        config: &EndpointConfig,
        relay: Option<msrp_endpoint::RelaySettings>,
    ) -> Result<Self, StreamError> {
        let mut connector = get_connector(rt.clone(), config.clone(), relay);
        let path = connector.prepare(None).await?;
        Ok(Self::Connect(connector, path))
    }

    /// This side waits for the peer: listening (at `listen`, or a free
    /// port) or, through a relay, expecting the session there.
    pub(crate) async fn acceptor(
        rt: &R,
        config: &EndpointConfig,
        relay: Option<msrp_endpoint::RelaySettings>,
        listen: Option<SocketAddr>,
    ) -> Result<Self, StreamError> {
        let direct = relay.is_none();
        let mut acceptor = get_acceptor(rt.clone(), config.clone(), relay);
        let local = match listen {
            Some(addr) if direct => Some(listen_uri(addr, config.tls_server.is_some())?),
            _ => None,
        };
        let path = acceptor.prepare(local).await?;
        Ok(Self::Accept(acceptor, path))
    }

    /// The local `a=path`.
    pub(crate) fn path(&self) -> Result<Path, StreamError> {
        let uris = match self {
            Self::Connect(_, path) | Self::Accept(_, path) => path.clone(),
        };
        Path::new(uris).ok_or(StreamError::Order("an empty local path"))
    }

    /// Connects or waits, and binds with the peer whose path is given.
    pub(crate) async fn complete(self, remote: &[MsrpUri]) -> Result<Session, StreamError> {
        let transport = match self {
            Self::Connect(mut connector, _) => connector.complete(remote).await?,
            Self::Accept(mut acceptor, _) => acceptor.complete(remote).await?,
        };
        Ok(Session::new(transport))
    }
}

/// A local URI at `addr` with a fresh session id.
fn listen_uri(addr: SocketAddr, secure: bool) -> Result<MsrpUri, StreamError> {
    let host = addr.ip().to_string();
    let id = msrp_proto::ident::IdGenerator::from_seed(super::msrp_endpoint_seed()).session_id();
    MsrpUri::builder(&host)
        .secure(secure)
        .port(addr.port())
        .session_id(&id)
        .build()
        .map_err(|e| StreamError::Msrp(msrp_endpoint::Error::Config(e.to_string())))
}
