//! MSRP endpoints on tokio: the msrplib API — connectors, acceptors,
//! [`MsrpServer`], [`Transport`], [`Session`] — over tokio's TCP and
//! tokio-rustls.
//!
//! ```
//! use msrp_tokio::{get_acceptor, get_connector, EndpointConfig, Outcome, OutgoingMessage, Session};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), msrp_tokio::Error> {
//! // The answering side listens; its path goes into the SDP answer.
//! // No relay settings: both sides are direct.
//! let mut acceptor = get_acceptor(EndpointConfig::default(), None);
//! let bob_path = acceptor.prepare(Some("msrp://127.0.0.1:0/bob1234;tcp".parse().unwrap())).await?;
//! // The calling side's path went into the SDP offer.
//! let mut connector = get_connector(EndpointConfig::default(), None);
//! let alice_path = connector.prepare(None).await?;
//!
//! // Each side completes with the other's path: connect, bind, verify.
//! let (alice, bob) = tokio::join!(connector.complete(&bob_path), acceptor.complete(&alice_path));
//! let (alice, mut bob) = (Session::new(alice?), Session::new(bob?));
//!
//! let sent = alice.send_message(OutgoingMessage::new("text/plain").body("Hi, Bob")).await?;
//! assert_eq!(sent.outcome().await, Outcome::Delivered);
//! let msrp_tokio::Incoming::Started { .. } = bob.next_incoming().await.unwrap() else { panic!() };
//! # Ok(())
//! # }
//! ```
//!
//! Everything except the runtime glue in this crate comes from
//! [`msrp_endpoint`], which `msrp-async-std` shares, so the two behave the
//! same.

use std::future::Future;
use std::io::{self, IoSlice};
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
pub use tokio_rustls;

/// The tokio runtime, as [`msrp_endpoint`] sees it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Tokio;

/// Connectors, acceptors and the server, with tokio filled in.
pub mod connect {
    use super::Tokio;

    /// The calling endpoint without a relay.
    pub type ConnectorDirect = msrp_endpoint::ConnectorDirect<Tokio>;
    /// The answering endpoint without a relay.
    pub type AcceptorDirect = msrp_endpoint::AcceptorDirect<Tokio>;
    /// The calling endpoint behind a relay.
    pub type ConnectorRelay = msrp_endpoint::ConnectorRelay<Tokio>;
    /// The answering endpoint behind a relay.
    pub type AcceptorRelay = msrp_endpoint::AcceptorRelay<Tokio>;
    /// An authenticated relay connection that sessions share.
    pub type RelayConnection = msrp_endpoint::RelayConnection<Tokio>;
    /// The calling endpoint, direct or behind a relay.
    pub type Connector = msrp_endpoint::Connector<Tokio>;
    /// The answering endpoint, direct or behind a relay.
    pub type Acceptor = msrp_endpoint::Acceptor<Tokio>;
    /// One listening socket shared by many sessions.
    pub type MsrpServer = msrp_endpoint::MsrpServer<Tokio>;

    /// A connector for the calling side (msrplib's `get_connector`):
    /// through the relay when settings are given.
    pub fn get_connector(
        config: msrp_endpoint::EndpointConfig,
        relay: Option<msrp_endpoint::RelaySettings>,
    ) -> Connector {
        msrp_endpoint::get_connector(Tokio, config, relay)
    }

    /// An acceptor for the answering side (msrplib's `get_acceptor`):
    /// through the relay when settings are given.
    pub fn get_acceptor(
        config: msrp_endpoint::EndpointConfig,
        relay: Option<msrp_endpoint::RelaySettings>,
    ) -> Acceptor {
        msrp_endpoint::get_acceptor(Tokio, config, relay)
    }

    /// A server sharing one listening socket among many sessions.
    pub fn server(config: msrp_endpoint::EndpointConfig) -> MsrpServer {
        msrp_endpoint::MsrpServer::new(Tokio, config)
    }
}

/// An MSRP relay (RFC 4976) on tokio: see [`msrp_endpoint::RelayServer`].
pub type RelayServer = msrp_endpoint::RelayServer<Tokio>;

/// Starts an MSRP relay on tokio (within a tokio runtime).
pub async fn relay_server(
    config: RelayServerConfig,
    users: msrp_proto::relay::Users,
) -> Result<RelayServer, Error> {
    RelayServer::start(Tokio, config, users).await
}

pub use connect::{
    Acceptor, AcceptorDirect, AcceptorRelay, Connector, ConnectorDirect, ConnectorRelay,
    MsrpServer, RelayConnection, get_acceptor, get_connector,
};

/// A tokio stream as the futures-io stream the driver reads and writes.
///
/// Not tokio-util's `Compat`: it does not forward vectored writes, so each
/// piece of a chunk (head, body pieces, end-line) cost a system call of its
/// own; here one `writev` sends them together.
struct FuturesIo<T>(T);

impl<T: tokio::io::AsyncRead + Unpin> futures_io::AsyncRead for FuturesIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let mut buf = tokio::io::ReadBuf::new(buf);
        match Pin::new(&mut self.0).poll_read(cx, &mut buf) {
            Poll::Ready(Ok(())) => Poll::Ready(Ok(buf.filled().len())),
            Poll::Ready(Err(err)) => Poll::Ready(Err(err)),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T: tokio::io::AsyncWrite + Unpin> futures_io::AsyncWrite for FuturesIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write_vectored(cx, bufs)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

struct TokioTimer(Pin<Box<tokio::time::Sleep>>);

impl Timer for TokioTimer {
    fn reset(&mut self, at: Instant) {
        self.0.as_mut().reset(tokio::time::Instant::from_std(at));
    }

    fn poll_fire(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        self.0.as_mut().poll(cx)
    }
}

impl msrp_endpoint::Runtime for Tokio {
    type Tcp = tokio::net::TcpStream;
    type Listener = tokio::net::TcpListener;

    fn name(&self) -> &'static str {
        "tokio"
    }

    fn timer(&self, at: Instant) -> Box<dyn Timer> {
        Box::new(TokioTimer(Box::pin(tokio::time::sleep_until(at.into()))))
    }

    fn spawn(&self, future: Pin<Box<dyn Future<Output = ()> + Send>>) {
        tokio::spawn(future);
    }

    async fn connect(&self, host: &str, port: u16) -> io::Result<Self::Tcp> {
        let tcp = tokio::net::TcpStream::connect((host, port)).await?;
        tcp.set_nodelay(true)?;
        Ok(tcp)
    }

    async fn listen(&self, addr: SocketAddr) -> io::Result<Self::Listener> {
        tokio::net::TcpListener::bind(addr).await
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
        Box::new(FuturesIo(tcp))
    }

    async fn tls_connect(
        &self,
        tcp: Self::Tcp,
        config: Arc<rustls::ClientConfig>,
        name: ServerName<'static>,
    ) -> io::Result<BoxIo> {
        let mut tls = tokio_rustls::TlsConnector::from(config)
            .connect(name, tcp)
            .await?;
        tls.get_mut().1.set_buffer_limit(Some(TLS_SEND_BUFFER));
        Ok(Box::new(FuturesIo(tls)))
    }

    async fn tls_accept(
        &self,
        tcp: Self::Tcp,
        config: Arc<rustls::ServerConfig>,
    ) -> io::Result<BoxIo> {
        let mut tls = tokio_rustls::TlsAcceptor::from(config).accept(tcp).await?;
        tls.get_mut().1.set_buffer_limit(Some(TLS_SEND_BUFFER));
        Ok(Box::new(FuturesIo(tls)))
    }
}
