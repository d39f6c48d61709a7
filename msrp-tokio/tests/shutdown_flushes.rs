//! `Session::shutdown` on the last session returns only once the connection
//! has written everything and closed its socket, so a program may exit
//! right after it.
//! (It used to return as soon as the session was closed: a message whose
//! outcome is `Sent` — Failure-Report `no` — could still be partly in the
//! driver's write queue, and a program ending its runtime then lost it.)
//!
//! The calling side runs on a runtime whose sockets take at most 16 KiB per
//! write and are "not ready" for a millisecond every other time, so that
//! bytes are still queued when the outcome arrives; its runtime is dropped
//! right after `shutdown` returns. Its socket also closes only on the second
//! try, a millisecond after the first (as TLS may, sending close_notify).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::io::{AsyncRead, AsyncWrite};
use msrp_endpoint::{BoxIo, Runtime, Timer};
use msrp_tokio::msrp_proto::wire::FailureReport;
use msrp_tokio::{EndpointConfig, Incoming, Outcome, OutgoingMessage, Session, Tokio};
use rustls_pki_types::ServerName;

/// Tokio, with slow plain sockets.
#[derive(Debug, Clone, Copy)]
struct Slow;

/// Set once a slow socket has been closed.
static CLOSED: AtomicBool = AtomicBool::new(false);

/// Writes at most 16 KiB, and only every other call; closes only on the
/// second try.
struct SlowIo {
    inner: BoxIo,
    ready: bool,
    close_tried: bool,
}

/// Wakes the task a millisecond from now.
fn wake_soon(cx: &Context<'_>) {
    let waker = cx.waker().clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(1)).await;
        waker.wake();
    });
}

impl AsyncRead for SlowIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for SlowIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.ready = !self.ready;
        if !self.ready {
            // Ready again in a millisecond: long enough for the application
            // to see the outcome and shut down while bytes are queued.
            wake_soon(cx);
            return Poll::Pending;
        }
        let n = buf.len().min(16 * 1024);
        Pin::new(&mut self.inner).poll_write(cx, &buf[..n])
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if !self.close_tried {
            self.close_tried = true;
            wake_soon(cx);
            return Poll::Pending;
        }
        let closed = Pin::new(&mut self.inner).poll_close(cx);
        if closed.is_ready() {
            CLOSED.store(true, Ordering::SeqCst);
        }
        closed
    }
}

impl Runtime for Slow {
    type Tcp = tokio::net::TcpStream;
    type Listener = tokio::net::TcpListener;

    fn name(&self) -> &'static str {
        "slow tokio"
    }

    fn timer(&self, at: Instant) -> Box<dyn Timer> {
        Tokio.timer(at)
    }

    fn spawn(&self, future: Pin<Box<dyn Future<Output = ()> + Send>>) {
        Tokio.spawn(future);
    }

    async fn connect(&self, host: &str, port: u16) -> io::Result<Self::Tcp> {
        Tokio.connect(host, port).await
    }

    async fn listen(&self, addr: SocketAddr) -> io::Result<Self::Listener> {
        Tokio.listen(addr).await
    }

    fn local_addr(&self, listener: &Self::Listener) -> io::Result<SocketAddr> {
        Tokio.local_addr(listener)
    }

    async fn accept<'a>(
        &'a self,
        listener: &'a Self::Listener,
    ) -> io::Result<(Self::Tcp, SocketAddr)> {
        Tokio.accept(listener).await
    }

    fn plain(&self, tcp: Self::Tcp) -> BoxIo {
        Box::new(SlowIo {
            inner: Tokio.plain(tcp),
            ready: false,
            close_tried: false,
        })
    }

    async fn tls_connect(
        &self,
        tcp: Self::Tcp,
        config: Arc<rustls::ClientConfig>,
        name: ServerName<'static>,
    ) -> io::Result<BoxIo> {
        Tokio.tls_connect(tcp, config, name).await
    }

    async fn tls_accept(
        &self,
        tcp: Self::Tcp,
        config: Arc<rustls::ServerConfig>,
    ) -> io::Result<BoxIo> {
        Tokio.tls_accept(tcp, config).await
    }
}

const SIZE: usize = 1 << 20;

#[test]
fn a_program_may_exit_right_after_shutdown() {
    let bob_rt = tokio::runtime::Runtime::new().unwrap();
    let mut acceptor = msrp_tokio::get_acceptor(EndpointConfig::default(), None);
    let bob_path = bob_rt.block_on(acceptor.prepare(None)).unwrap();
    let (path_tx, path_rx) = tokio::sync::oneshot::channel();

    let alice = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let outcome = rt.block_on(async move {
            let mut connector = msrp_endpoint::get_connector(Slow, EndpointConfig::default(), None);
            let alice_path = connector.prepare(None).await.unwrap();
            path_tx.send(alice_path).unwrap();
            let session = Session::new(connector.complete(&bob_path).await.unwrap());
            let message = OutgoingMessage::new("application/octet-stream")
                .body(Bytes::from(vec![7u8; SIZE]))
                .failure_report(FailureReport::No);
            let outcome = session.send_message(message).await.unwrap().outcome().await;
            session.shutdown().await;
            assert!(
                CLOSED.load(Ordering::SeqCst),
                "shutdown returned before the close"
            );
            outcome
        });
        // The runtime, and with it every task it still has, ends here.
        drop(rt);
        outcome
    });

    let received = bob_rt.block_on(async move {
        tokio::time::timeout(Duration::from_secs(20), async move {
            let alice_path = path_rx.await.unwrap();
            let mut bob = Session::new(acceptor.complete(&alice_path).await.unwrap());
            loop {
                match bob.next_incoming().await {
                    Some(Incoming::Completed { size, .. }) => return Ok(size),
                    Some(Incoming::Aborted { received, .. }) => return Err(received),
                    Some(_) => {}
                    None => return Err(0),
                }
            }
        })
        .await
        .expect("bounded")
    });
    assert_eq!(alice.join().unwrap(), Outcome::Sent);
    assert_eq!(received, Ok(SIZE as u64));
}
