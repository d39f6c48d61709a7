//! What an async runtime must provide: tasks, timers, TCP, and TLS.
//!
//! Everything else — the connection driver, connectors, acceptors,
//! [`MsrpServer`](crate::MsrpServer), sessions — is written once against
//! this trait. `msrp-tokio` implements it with tokio and tokio-rustls,
//! `msrp-async-std` with futures-io, async-io and futures-rustls, so the two
//! cannot drift apart.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use futures_io::{AsyncRead, AsyncWrite};
use rustls_pki_types::ServerName;

/// A byte stream the driver reads and writes: TCP, or TLS over TCP.
pub trait Io: AsyncRead + AsyncWrite + Send + Unpin + 'static {}

impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Io for T {}

/// A boxed [`Io`].
pub type BoxIo = Box<dyn Io>;

/// The most encrypted bytes a TLS stream may hold for sending: adapters set
/// it on every stream they make, with rustls's
/// `ConnectionCommon::set_buffer_limit`.
///
/// A write gives rustls plaintext only up to this limit, less what it
/// still holds. Its default, 64 KiB, is just short of a default chunk
/// (64 KiB of body with its head and end-line), so every such chunk went
/// out in two system calls, the second a TLS record of a few hundred bytes
/// that the peer had to read and decrypt on its own. This limit takes what
/// the driver or a relay connection offers in one write: pieces gathered
/// until they reach 256 KiB (`WRITE_BATCH`), the last of them whole. That
/// last piece is at most 16 KiB of body when an endpoint sends
/// (`transmit_piece`), one read of body (64 KiB) when a relay forwards,
/// or a head (at most 16 KiB, the parser's `max_head`); the other 16 KiB
/// leave room for the records' own bytes, 22 per 16 KiB record.
///
/// A connection whose peer stops reading therefore holds up to this much
/// in rustls, besides the driver's own queue (up to the same batch) and
/// the kernel's socket buffer.
///
/// ```
/// // The figure the guide gives (docs/guide/03-endpoints.md, TLS).
/// assert_eq!(msrp_endpoint::TLS_SEND_BUFFER, 336 * 1024);
/// ```
pub const TLS_SEND_BUFFER: usize = crate::out_queue::WRITE_BATCH + (64 + 16) * 1024;

/// A one-shot timer that can be moved.
pub trait Timer: Send + Unpin {
    /// Sets the instant at which the timer fires.
    fn reset(&mut self, at: Instant);
    /// Ready once the instant set last has passed.
    fn poll_fire(&mut self, cx: &mut Context<'_>) -> Poll<()>;
}

/// The services of an async runtime that MSRP endpoints need.
pub trait Runtime: Clone + Send + Sync + std::fmt::Debug + 'static {
    /// A connected TCP stream.
    type Tcp: Send + 'static;
    /// A listening TCP socket.
    type Listener: Send + Sync + 'static;

    /// A short name for logs and benchmarks (`tokio`, `async-std`, `smol`).
    fn name(&self) -> &'static str;

    /// The current time.
    fn now(&self) -> Instant {
        #[allow(clippy::disallowed_methods)] // runtimes read the clock; the protocol core does not
        Instant::now()
    }

    /// A timer firing at `at`.
    fn timer(&self, at: Instant) -> Box<dyn Timer>;

    /// Runs a task in the background.
    fn spawn(&self, future: Pin<Box<dyn Future<Output = ()> + Send>>);

    /// Connects to `host:port`, resolving the name if it is not an address.
    fn connect(&self, host: &str, port: u16) -> impl Future<Output = io::Result<Self::Tcp>> + Send;

    /// Listens on `addr` (port 0 picks a free port).
    fn listen(&self, addr: SocketAddr) -> impl Future<Output = io::Result<Self::Listener>> + Send;

    /// The address a listener is bound to.
    fn local_addr(&self, listener: &Self::Listener) -> io::Result<SocketAddr>;

    /// Accepts the next connection.
    fn accept<'a>(
        &'a self,
        listener: &'a Self::Listener,
    ) -> impl Future<Output = io::Result<(Self::Tcp, SocketAddr)>> + Send + 'a;

    /// The stream as is (`msrp://`).
    fn plain(&self, tcp: Self::Tcp) -> BoxIo;

    /// A TLS client handshake over the stream (`msrps://`). The stream's
    /// send buffer limit is [`TLS_SEND_BUFFER`].
    fn tls_connect(
        &self,
        tcp: Self::Tcp,
        config: Arc<rustls::ClientConfig>,
        name: ServerName<'static>,
    ) -> impl Future<Output = io::Result<BoxIo>> + Send;

    /// A TLS server handshake over the stream (`msrps://`). The stream's
    /// send buffer limit is [`TLS_SEND_BUFFER`].
    fn tls_accept(
        &self,
        tcp: Self::Tcp,
        config: Arc<rustls::ServerConfig>,
    ) -> impl Future<Output = io::Result<BoxIo>> + Send;
}

/// Runs `future` with a deadline on `rt`'s timers; `None` if the deadline
/// passed first.
pub async fn deadline<R: Runtime, F: Future>(rt: &R, at: Instant, future: F) -> Option<F::Output> {
    let mut timer = rt.timer(at);
    let mut future = std::pin::pin!(future);
    std::future::poll_fn(move |cx| {
        if let Poll::Ready(out) = future.as_mut().poll(cx) {
            return Poll::Ready(Some(out));
        }
        timer.poll_fire(cx).map(|()| None)
    })
    .await
}

/// Runs `future` for at most `limit` on `rt`'s timers; `None` on timeout.
///
/// ```
/// # use std::time::Duration;
/// # fn check<R: msrp_endpoint::Runtime>(rt: R) {
/// # let _ = async move {
/// let late = msrp_endpoint::timeout(&rt, Duration::from_millis(10), std::future::pending::<()>()).await;
/// assert!(late.is_none());
/// # };
/// # }
/// ```
pub async fn timeout<R: Runtime, F: Future>(
    rt: &R,
    limit: std::time::Duration,
    future: F,
) -> Option<F::Output> {
    deadline(rt, rt.now() + limit, future).await
}

#[cfg(test)]
mod tests {
    use super::TLS_SEND_BUFFER;
    use crate::out_queue::WRITE_BATCH;

    /// The largest piece a batch can end with, and the record overhead of
    /// the whole write, must fit beside `WRITE_BATCH` (see `TLS_SEND_BUFFER`).
    #[test]
    fn a_whole_batch_and_its_last_piece_fit_the_tls_send_buffer() {
        let protocol = msrp_proto::connection::Config::default();
        let last_piece = [
            protocol.transmit_piece,
            crate::relay_server::READ_SIZE,
            protocol.limits.max_head,
        ]
        .into_iter()
        .max()
        .expect("three sizes");
        let plaintext = WRITE_BATCH - 1 + last_piece;
        // TLS 1.3 with AES-GCM: 5 bytes of header, 1 of content type and a
        // 16-byte tag per record of at most 16 KiB.
        let records = plaintext.div_ceil(16 * 1024);
        let encrypted = plaintext + records * 22;
        assert!(
            encrypted <= TLS_SEND_BUFFER,
            "a batch of {plaintext} bytes ({encrypted} encrypted) does not fit TLS_SEND_BUFFER ({TLS_SEND_BUFFER})"
        );
    }
}
