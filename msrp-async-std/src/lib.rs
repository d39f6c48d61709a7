//! MSRP endpoints on `futures-io`: the msrplib API — connectors, acceptors,
//! [`MsrpServer`], [`Transport`], [`Session`] — for **async-std and smol**.
//!
//! async-std is discontinued upstream (its README points to smol), so this
//! crate is not built on it: sockets come from `async-net` and timers from
//! `async-io`, the reactor that both async-std and smol run on, and TLS from
//! futures-rustls. The only runtime-specific piece is where connection tasks
//! are spawned: [`AsyncIo::async_std`] or [`AsyncIo::smol`] (or any executor
//! with [`AsyncIo::with_spawner`]). The crate keeps the name
//! `msrp-async-std`; it serves smol just as well.
//!
//! ```
//! use msrp_async_std::{AsyncIo, EndpointConfig, Outcome, OutgoingMessage, Session};
//!
//! # fn main() -> Result<(), msrp_async_std::Error> {
//! smol::block_on(async {
//!     let rt = AsyncIo::smol();
//!     // No relay settings: both sides are direct.
//!     let mut acceptor = rt.acceptor(EndpointConfig::default(), None);
//!     let bob_path = acceptor.prepare(Some("msrp://127.0.0.1:0/bob1234;tcp".parse().unwrap())).await?;
//!     let mut connector = rt.connector(EndpointConfig::default(), None);
//!     let alice_path = connector.prepare(None).await?;
//!
//!     let (alice, bob) = futures_lite_join(connector.complete(&bob_path), acceptor.complete(&alice_path)).await;
//!     let alice = Session::new(alice?);
//!     let _bob = Session::new(bob?);
//!     let sent = alice.send_message(OutgoingMessage::new("text/plain").body("Hi, Bob")).await?;
//!     assert_eq!(sent.outcome().await, Outcome::Delivered);
//!     Ok(())
//! })
//! # }
//! # async fn futures_lite_join<A: std::future::Future, B: std::future::Future>(a: A, b: B) -> (A::Output, B::Output) {
//! #     smol::future::zip(a, b).await
//! # }
//! ```
//!
//! Everything except the runtime glue here comes from [`msrp_endpoint`],
//! which `msrp-tokio` shares, so switching runtime is a change of crate name.

use std::fmt;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use msrp_endpoint::{BoxIo, TLS_SEND_BUFFER, Timer};
use rustls_pki_types::ServerName;

pub use msrp_endpoint::{
    ChunkResponse, EndpointConfig, Error, Incoming, MessageUpdate, MessageWriter, OutgoingHandle,
    Phase, ReceivedMessage, RelayListen, RelayServerConfig, RelaySettings, ResponseFuture, Session,
    TlsClient, TlsServer, Transport, tls,
};
pub use msrp_proto;
pub use msrp_proto::connection::{Outcome, OutgoingMessage, ReceiveMode};

type Spawner = dyn Fn(Pin<Box<dyn Future<Output = ()> + Send>>) + Send + Sync;

/// The futures-io world as [`msrp_endpoint`] sees it: async-net sockets,
/// async-io timers, futures-rustls, and an executor for connection tasks.
#[derive(Clone)]
pub struct AsyncIo {
    name: &'static str,
    spawner: Arc<Spawner>,
}

impl fmt::Debug for AsyncIo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncIo")
            .field("executor", &self.name)
            .finish()
    }
}

impl AsyncIo {
    /// Connection tasks on async-std's executor.
    #[cfg(feature = "async-std")]
    pub fn async_std() -> Self {
        Self::with_spawner("async-std", |future| {
            async_std::task::spawn(future);
        })
    }

    /// Connection tasks on smol's global executor.
    #[cfg(feature = "smol")]
    pub fn smol() -> Self {
        Self::with_spawner("smol", |future| smol::spawn(future).detach())
    }

    /// Connection tasks on any executor: `spawn` must run the future to
    /// completion in the background.
    pub fn with_spawner(
        name: &'static str,
        spawn: impl Fn(Pin<Box<dyn Future<Output = ()> + Send>>) + Send + Sync + 'static,
    ) -> Self {
        Self {
            name,
            spawner: Arc::new(spawn),
        }
    }

    /// A connector for the calling side (msrplib's `get_connector`):
    /// through the relay when settings are given.
    pub fn connector(&self, config: EndpointConfig, relay: Option<RelaySettings>) -> Connector {
        msrp_endpoint::get_connector(self.clone(), config, relay)
    }

    /// An acceptor for the answering side (msrplib's `get_acceptor`):
    /// through the relay when settings are given.
    pub fn acceptor(&self, config: EndpointConfig, relay: Option<RelaySettings>) -> Acceptor {
        msrp_endpoint::get_acceptor(self.clone(), config, relay)
    }

    /// A server sharing one listening socket among many sessions.
    pub fn server(&self, config: EndpointConfig) -> MsrpServer {
        msrp_endpoint::MsrpServer::new(self.clone(), config)
    }
}

/// The calling endpoint without a relay.
pub type ConnectorDirect = msrp_endpoint::ConnectorDirect<AsyncIo>;
/// The answering endpoint without a relay.
pub type AcceptorDirect = msrp_endpoint::AcceptorDirect<AsyncIo>;
/// The calling endpoint behind a relay.
pub type ConnectorRelay = msrp_endpoint::ConnectorRelay<AsyncIo>;
/// The answering endpoint behind a relay.
pub type AcceptorRelay = msrp_endpoint::AcceptorRelay<AsyncIo>;
/// An authenticated relay connection that sessions share.
pub type RelayConnection = msrp_endpoint::RelayConnection<AsyncIo>;
/// The calling endpoint, direct or behind a relay.
pub type Connector = msrp_endpoint::Connector<AsyncIo>;
/// The answering endpoint, direct or behind a relay.
pub type Acceptor = msrp_endpoint::Acceptor<AsyncIo>;
/// One listening socket shared by many sessions.
pub type MsrpServer = msrp_endpoint::MsrpServer<AsyncIo>;
/// An MSRP relay (RFC 4976): start it with `RelayServer::start(rt, config, users)`.
pub type RelayServer = msrp_endpoint::RelayServer<AsyncIo>;

/// Connectors, acceptors and the server, under the names msrplib uses.
pub mod connect {
    pub use super::{
        Acceptor, AcceptorDirect, AcceptorRelay, Connector, ConnectorDirect, ConnectorRelay,
        MsrpServer, RelayConnection,
    };

    /// A connector for the calling side on `rt` (msrplib's `get_connector`).
    pub fn get_connector(
        rt: &super::AsyncIo,
        config: super::EndpointConfig,
        relay: Option<super::RelaySettings>,
    ) -> Connector {
        rt.connector(config, relay)
    }

    /// An acceptor for the answering side on `rt` (msrplib's `get_acceptor`).
    pub fn get_acceptor(
        rt: &super::AsyncIo,
        config: super::EndpointConfig,
        relay: Option<super::RelaySettings>,
    ) -> Acceptor {
        rt.acceptor(config, relay)
    }
}

struct AsyncIoTimer(async_io::Timer);

impl Timer for AsyncIoTimer {
    fn reset(&mut self, at: Instant) {
        self.0.set_at(at);
    }

    fn poll_fire(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.0).poll(cx).map(drop)
    }
}

impl msrp_endpoint::Runtime for AsyncIo {
    type Tcp = async_net::TcpStream;
    type Listener = async_net::TcpListener;

    fn name(&self) -> &'static str {
        self.name
    }

    fn timer(&self, at: Instant) -> Box<dyn Timer> {
        Box::new(AsyncIoTimer(async_io::Timer::at(at)))
    }

    fn spawn(&self, future: Pin<Box<dyn Future<Output = ()> + Send>>) {
        (self.spawner)(future);
    }

    async fn connect(&self, host: &str, port: u16) -> io::Result<Self::Tcp> {
        let tcp = async_net::TcpStream::connect((host, port)).await?;
        tcp.set_nodelay(true)?;
        Ok(tcp)
    }

    async fn listen(&self, addr: SocketAddr) -> io::Result<Self::Listener> {
        async_net::TcpListener::bind(addr).await
    }

    fn local_addr(&self, listener: &Self::Listener) -> io::Result<SocketAddr> {
        listener.local_addr()
    }

    async fn accept<'a>(
        &'a self,
        listener: &'a Self::Listener,
    ) -> io::Result<(Self::Tcp, SocketAddr)> {
        let (tcp, peer) = listener.accept().await?;
        tcp.set_nodelay(true)?;
        Ok((tcp, peer))
    }

    fn plain(&self, tcp: Self::Tcp) -> BoxIo {
        Box::new(tcp)
    }

    async fn tls_connect(
        &self,
        tcp: Self::Tcp,
        config: Arc<rustls::ClientConfig>,
        name: ServerName<'static>,
    ) -> io::Result<BoxIo> {
        let mut tls = futures_rustls::TlsConnector::from(config)
            .connect(name, tcp)
            .await?;
        tls.get_mut().1.set_buffer_limit(Some(TLS_SEND_BUFFER));
        Ok(Box::new(tls))
    }

    async fn tls_accept(
        &self,
        tcp: Self::Tcp,
        config: Arc<rustls::ServerConfig>,
    ) -> io::Result<BoxIo> {
        let mut tls = futures_rustls::TlsAcceptor::from(config)
            .accept(tcp)
            .await?;
        tls.get_mut().1.set_buffer_limit(Some(TLS_SEND_BUFFER));
        Ok(Box::new(tls))
    }
}
