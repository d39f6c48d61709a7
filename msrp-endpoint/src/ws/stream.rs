//! [`WsStream`]: a WebSocket connection carrying MSRP, as the byte stream
//! the connection driver reads and writes.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use futures_io::{AsyncRead, AsyncWrite};
use futures_util::{AsyncReadExt, AsyncWriteExt};

use super::handshake::{ClientHandshake, ServerHandshake, UpgradeRequest, refusal};
use super::{WsError, WsFraming, WsLimits, WsUrl};
use crate::runtime::BoxIo;

/// Socket bytes read at a time.
const READ_SIZE: usize = 16 << 10;

/// Encoded bytes waiting for the socket above which writes wait.
const HIGH_WATER: usize = 64 << 10;

/// MSRP bytes taken per write.
const WRITE_SIZE: usize = 64 << 10;

/// MSRP over a WebSocket connection, as an [`Io`](crate::Io): reads give
/// the MSRP byte stream of the messages received, writes take MSRP chunks
/// and send each as one WebSocket message (see [`WsFraming`]). Works over
/// any [`BoxIo`], so on every runtime, over TCP (`ws`) or TLS (`wss`).
///
/// Reading answers pings at once, without waiting for a write. A close
/// frame from the peer reads as the end of the stream; closing sends one.
/// Errors of the WebSocket layer come out as [`io::Error`]s wrapping a
/// [`WsError`].
pub struct WsStream {
    io: BoxIo,
    ws: WsFraming,
    read_buf: Box<[u8]>,
    /// The waker of the last write, flush or close: woken, together with
    /// the reader's, when a read had to leave control frames unsent.
    write_waker: Option<Waker>,
    socket_eof: bool,
    close_queued: bool,
    /// A failure of the input, reported once what came before it is read.
    failed: Option<io::Error>,
}

impl std::fmt::Debug for WsStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WsStream")
            .field("ws", &self.ws)
            .field("socket_eof", &self.socket_eof)
            .finish_non_exhaustive()
    }
}

impl WsStream {
    /// The client handshake over `io` (already TLS for `wss`): asks for
    /// `url`'s resource with the `msrp` subprotocol and fails unless the
    /// server selects it. Bound the wait with the runtime's timers.
    pub async fn connect(mut io: BoxIo, url: &WsUrl, limits: WsLimits) -> Result<Self, WsError> {
        let mut nonce = [0u8; 16];
        nonce.copy_from_slice(&crate::seed()[..16]);
        let mut handshake = ClientHandshake::new(url, nonce, limits);
        io.write_all(&handshake.request()).await?;
        io.flush().await?;
        let mut buf = vec![0u8; 4096];
        loop {
            let n = io.read(&mut buf).await?;
            if n == 0 {
                return Err(WsError::Closed);
            }
            if let Some(rest) = handshake.feed(&buf[..n])? {
                let ws = WsFraming::client(limits).with_input(&rest)?;
                return Ok(Self::new(io, ws));
            }
        }
    }

    /// The server handshake over `io`: reads the client's upgrade request
    /// and answers 101 with `msrp` if it is valid and offers `msrp`, or an
    /// HTTP error (and fails) if not. Returns the stream and the request
    /// (resource, `Host`, `Origin`, cookies, … for the caller's own checks).
    /// Bound the wait with the runtime's timers.
    pub async fn accept(mut io: BoxIo, limits: WsLimits) -> Result<(Self, UpgradeRequest), WsError> {
        let mut handshake = ServerHandshake::new(limits);
        let mut buf = vec![0u8; 4096];
        loop {
            let n = io.read(&mut buf).await?;
            if n == 0 {
                return Err(WsError::Closed);
            }
            match handshake.feed(&buf[..n]) {
                Ok(None) => {}
                Ok(Some(request)) => {
                    io.write_all(&request.accept()).await?;
                    io.flush().await?;
                    let ws = WsFraming::server(limits).with_input(request.leftover())?;
                    return Ok((Self::new(io, ws), request));
                }
                Err(err) => {
                    // Best effort: the connection is refused either way.
                    let _ = io.write_all(&refusal(err.http_status())).await;
                    let _ = io.close().await;
                    return Err(err);
                }
            }
        }
    }

    /// A stream over `io` whose handshake is done, with `ws` for its
    /// framing.
    pub fn new(io: BoxIo, ws: WsFraming) -> Self {
        Self {
            io,
            ws,
            read_buf: vec![0u8; READ_SIZE].into_boxed_slice(),
            write_waker: None,
            socket_eof: false,
            close_queued: false,
            failed: None,
        }
    }

    /// The framing state (messages sent and received, sizes).
    pub fn framing(&self) -> &WsFraming {
        &self.ws
    }

    /// Writes what the framing has for the socket; ready once all of it is
    /// written.
    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while !self.ws.output().is_empty() {
            match Pin::new(&mut self.io).poll_write(cx, self.ws.output()) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => self.ws.consume_output(n),
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
        Poll::Ready(Ok(()))
    }

    /// From the read side: sends pending control frames (pongs, the answer
    /// to a close) without taking the socket's write readiness from the
    /// writer: the waker registered wakes both.
    fn push_from_read(&mut self, cx: &mut Context<'_>) -> io::Result<()> {
        if self.ws.output().is_empty() {
            return Ok(());
        }
        let waker = match &self.write_waker {
            Some(w) if !w.will_wake(cx.waker()) => Waker::from(Arc::new(Both(
                cx.waker().clone(),
                w.clone(),
            ))),
            _ => cx.waker().clone(),
        };
        let mut both = Context::from_waker(&waker);
        if let Poll::Ready(result) = self.poll_drain(&mut both) {
            result?;
            if let Poll::Ready(Err(e)) = Pin::new(&mut self.io).poll_flush(&mut both) {
                return Err(e);
            }
        }
        Ok(())
    }
}

/// Wakes two tasks (or two directions of one).
struct Both(Waker, Waker);

impl Wake for Both {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.wake_by_ref();
        self.1.wake_by_ref();
    }
}

impl AsyncRead for WsStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        loop {
            if this.ws.received_len() > 0 {
                return Poll::Ready(Ok(this.ws.read_stream(buf)));
            }
            if let Some(err) = this.failed.take() {
                return Poll::Ready(Err(err));
            }
            this.push_from_read(cx)?;
            if this.ws.peer_closed() || this.socket_eof {
                return Poll::Ready(Ok(0));
            }
            let read = Pin::new(&mut this.io).poll_read(cx, &mut this.read_buf);
            match read {
                Poll::Ready(Ok(0)) => {
                    this.socket_eof = true;
                    this.ws.handle_eof();
                }
                Poll::Ready(Ok(n)) => {
                    let input = &this.read_buf[..n];
                    if let Err(err) = this.ws.handle_input(input) {
                        // What was complete before the failure is read first.
                        this.failed = Some(err.into());
                    }
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

impl AsyncWrite for WsStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.write_waker = Some(cx.waker().clone());
        if this.ws.output().len() >= HIGH_WATER {
            match this.poll_drain(cx) {
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                // Not all of it went: go on once some room is made.
                Poll::Pending if this.ws.output().len() >= HIGH_WATER => return Poll::Pending,
                Poll::Pending => {}
            }
        }
        let n = buf.len().min(WRITE_SIZE);
        this.ws.send_stream(&buf[..n]).map_err(io::Error::from)?;
        // Out now if the socket takes it; the rest goes with the flush.
        if let Poll::Ready(Err(e)) = this.poll_drain(cx) {
            return Poll::Ready(Err(e));
        }
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.write_waker = Some(cx.waker().clone());
        match this.poll_drain(cx) {
            Poll::Ready(Ok(())) => Pin::new(&mut this.io).poll_flush(cx),
            other => other,
        }
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.write_waker = Some(cx.waker().clone());
        if !this.close_queued {
            this.close_queued = true;
            // After the peer's close the codec has answered it already.
            let _ = this.ws.close();
        }
        match this.poll_drain(cx) {
            Poll::Ready(Ok(())) => Pin::new(&mut this.io).poll_close(cx),
            // The socket is going anyway.
            Poll::Ready(Err(_)) => Pin::new(&mut this.io).poll_close(cx),
            Poll::Pending => Poll::Pending,
        }
    }
}
