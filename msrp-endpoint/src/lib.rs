//! The MSRP endpoint API — connectors, acceptors, [`MsrpServer`],
//! [`Transport`] and [`Session`] — written once for any async runtime.
//!
//! Applications use it through a runtime crate: `msrp-tokio`, or
//! `msrp-async-std` (which also serves smol). Those crates implement
//! [`Runtime`] and re-export everything here with their runtime filled in.
//! All protocol decisions are made by [`msrp_proto`]'s sans-IO connection;
//! this crate moves bytes and timers and turns events into futures.
//!
//! The shape follows python msrplib, the reference most MSRP developers know:
//!
//! | msrplib | here |
//! |---|---|
//! | `ConnectorDirect`, `AcceptorDirect` | [`ConnectorDirect`], [`AcceptorDirect`] |
//! | `RelaySettings`, `ConnectorRelay`, `AcceptorRelay` (RFC 4976) | [`RelaySettings`], [`ConnectorRelay`], [`AcceptorRelay`], and [`RelayConnection`] for sessions sharing one authenticated relay connection |
//! | `get_connector(relay)`, `get_acceptor(relay)` | [`get_connector`], [`get_acceptor`]: one [`Connector`] / [`Acceptor`] type, direct or through the relay |
//! | `prepare(local_uri)` → full local path | `prepare(Option<MsrpUri>)` |
//! | `complete(full_remote_path)` → `MSRPTransport` | `complete(&[MsrpUri])` → [`Transport`] |
//! | `MSRPServer` | [`MsrpServer`] |
//! | `MSRPTransport.make_chunk / write / read_chunk / check_incoming_SEND_chunk` | [`Transport::make_chunk`], [`Transport::write`], [`Transport::read_chunk`], [`Transport::check_incoming_send_chunk`] |
//! | `MSRPSession.send_chunk / deliver_chunk / shutdown`, `GreenMSRPSession.receive_chunk` | [`Session::send_chunk`], [`Session::deliver_chunk`], [`Session::shutdown`], [`Session::receive_chunk`] |
//! | sipsimple `ChatStream.set_local_nickname` (RFC 7701) | [`Session::set_nickname`]; a focus takes [`Incoming::Nickname`] and answers with [`Session::answer_nickname`] |
//! | `trafficlog.Logger` | `tracing`, target `msrp::traffic` (the whole wire at TRACE) |
//! | AG msrprelay (a separate server) | [`RelayServer`]: an RFC 4976 relay over [`msrp_proto::relay`], logging to `msrp::relay` |
//!
//! Beyond msrplib: whole messages and streams with their delivery
//! [`Outcome`](msrp_proto::connection::Outcome)
//! ([`Session::send_message`], [`Session::begin_message`]), incoming messages
//! as a stream of [`Incoming`] items, TLS 1.2+ with rustls, bounded memory
//! everywhere (a reader that stops reading pushes back on the peer through
//! TCP), and many sessions per connection.

mod accepted;
mod any;
mod connect;
mod driver;
mod error;
mod inbox;
mod out_queue;
mod relay;
mod relay_server;
mod runtime;
mod server;
mod session;
mod srv;
pub mod tls;
mod unbound;
pub mod ws;

pub use any::{Acceptor, Connector, get_acceptor, get_connector};
pub use connect::{AcceptorDirect, ConnectorDirect, DEFAULT_PORT, EndpointConfig};
pub use error::{Error, Phase};
pub use relay::{AcceptorRelay, ConnectorRelay, RelayConnection, RelaySettings};
pub use relay_server::{RelayListen, RelayServer, RelayServerConfig};
pub use runtime::{BoxIo, Io, Runtime, TLS_SEND_BUFFER, Timer, deadline, timeout};
pub use server::MsrpServer;
pub use session::{
    ChunkResponse, Incoming, MessageUpdate, MessageWriter, OutgoingHandle, ReceivedMessage,
    ResponseFuture, Session, Transport,
};
pub use tls::{TlsClient, TlsServer};

pub use msrp_proto;

/// A fresh seed for a connection's random choices, from the operating system.
pub(crate) fn seed() -> [u8; 32] {
    let mut seed = [0u8; 32];
    if getrandom::fill(&mut seed).is_err() {
        // No OS randomness (should not happen on any supported system): fall
        // back to the clock and a counter rather than fail, and say so.
        tracing::warn!("no operating-system randomness; identifiers are predictable");
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        seed[..16].copy_from_slice(&t.to_le_bytes());
        seed[16..24].copy_from_slice(&n.to_le_bytes());
    }
    seed
}
