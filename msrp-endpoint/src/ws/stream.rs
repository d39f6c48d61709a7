//! [`WsStream`]: a WebSocket connection carrying MSRP, as the byte stream
//! the connection driver reads and writes.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use futures_io::{AsyncRead, AsyncWrite};
use futures_util::{AsyncReadExt, AsyncWriteExt};

use super::handshake::{ClientHandshake, ServerHandshake, UpgradeRequest, refusal_for};
use super::{WsError, WsFraming, WsLimits, WsUrl};
use crate::runtime::{BoxIo, Timer};

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
    /// The last write, flush or close was pending on the socket.
    writer_waiting: bool,
    socket_eof: bool,
    close_queued: bool,
    /// A failure of the input, reported once what came before it is read.
    failed: Option<io::Error>,
    /// Pings when nothing was sent for a while.
    keepalive: Option<Keepalive>,
}

/// A ping after `every` without anything sent (RFC 7977 §6).
struct Keepalive {
    timer: Box<dyn Timer>,
    every: Duration,
    last_sent: Instant,
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
    pub async fn accept(io: BoxIo, limits: WsLimits) -> Result<(Self, UpgradeRequest), WsError> {
        Self::accept_with(io, WsFraming::server(limits)).await
    }

    /// [`accept`](Self::accept) with `framing` for the connection (a
    /// [`WsFraming::server`], say with
    /// [`one_chunk_per_message`](WsFraming::one_chunk_per_message)); the
    /// handshake takes its limits. A refusal carries its reason in the
    /// body (for instance that the `msrp` subprotocol is required).
    pub async fn accept_with(
        mut io: BoxIo,
        framing: WsFraming,
    ) -> Result<(Self, UpgradeRequest), WsError> {
        let mut handshake = ServerHandshake::new(framing.limits());
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
                    let mut ws = framing;
                    let mut stream = if request.leftover().is_empty() {
                        Self::new(io, ws)
                    } else {
                        let first = ws.handle_input(request.leftover());
                        let mut stream = Self::new(io, ws);
                        if let Err(err) = first {
                            // Read after what came before it (see poll_read).
                            stream.ws.fail(&err);
                            stream.failed = Some(err.into());
                        }
                        stream
                    };
                    // Answers to the first frames (a pong, a close) go now.
                    let out = stream.ws.take_output();
                    if !out.is_empty() {
                        stream.io.write_all(&out).await?;
                    }
                    return Ok((stream, request));
                }
                Err(err) => {
                    // Best effort: the connection is refused either way.
                    let _ = io.write_all(&refusal_for(&err)).await;
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
            writer_waiting: false,
            socket_eof: false,
            close_queued: false,
            failed: None,
            keepalive: None,
        }
    }

    /// This stream, sending a ping whenever nothing went out for `every`
    /// (RFC 7977 §6 recommends WebSocket pings as keepalive: NATs and
    /// proxies drop quiet connections). `timer` is a timer of the runtime
    /// (its deadline is moved here); the pings go out while the stream is
    /// being read.
    pub fn keepalive(mut self, mut timer: Box<dyn Timer>, every: Duration) -> Self {
        let now = Instant::now();
        timer.reset(now + every);
        self.keepalive = Some(Keepalive {
            timer,
            every,
            last_sent: now,
        });
        self
    }

    /// Sends a ping when the keepalive timer says so, and arms it again.
    fn poll_keepalive(&mut self, cx: &mut Context<'_>) {
        let Some(ka) = &mut self.keepalive else {
            return;
        };
        while ka.timer.poll_fire(cx).is_ready() {
            let now = Instant::now();
            let due = ka.last_sent + ka.every;
            if due <= now {
                if self.ws.ping(b"").is_err() {
                    // Closed: no more pings.
                    self.keepalive = None;
                    return;
                }
                ka.last_sent = now;
                ka.timer.reset(now + ka.every);
            } else {
                ka.timer.reset(due);
            }
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
            Some(w) if !w.will_wake(cx.waker()) => {
                Waker::from(Arc::new(Both(cx.waker().clone(), w.clone())))
            }
            _ => cx.waker().clone(),
        };
        let mut both = Context::from_waker(&waker);
        if let Poll::Ready(result) = self.poll_drain(&mut both) {
            result?;
            if let Poll::Ready(Err(e)) = Pin::new(&mut self.io).poll_flush(&mut both) {
                return Err(e);
            }
            // Everything went from here: the socket will not wake a writer
            // that was waiting for room (its registration was this one, and
            // it did not wait), so wake it. Without this, a driver whose
            // write was pending stalled for good once a read sent the rest.
            if std::mem::take(&mut self.writer_waiting) {
                if let Some(writer) = &self.write_waker {
                    writer.wake_by_ref();
                }
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
            this.poll_keepalive(cx);
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
                        // A close frame that says why (1009 for a message
                        // too big, RFC 6455 §7.4.1) goes out at once; what
                        // was complete before the failure is read first.
                        this.ws.fail(&err);
                        this.push_from_read(cx)?;
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
        this.writer_waiting = false;
        if this.ws.output().len() >= HIGH_WATER {
            match this.poll_drain(cx) {
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                // Not all of it went: go on once some room is made.
                Poll::Pending if this.ws.output().len() >= HIGH_WATER => {
                    this.writer_waiting = true;
                    return Poll::Pending;
                }
                Poll::Pending => {}
            }
        }
        let n = buf.len().min(WRITE_SIZE);
        this.ws.send_stream(&buf[..n]).map_err(io::Error::from)?;
        if let Some(ka) = &mut this.keepalive {
            ka.last_sent = Instant::now();
        }
        // Out now if the socket takes it; the rest goes with the flush.
        if let Poll::Ready(Err(e)) = this.poll_drain(cx) {
            return Poll::Ready(Err(e));
        }
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.write_waker = Some(cx.waker().clone());
        let flushed = match this.poll_drain(cx) {
            Poll::Ready(Ok(())) => Pin::new(&mut this.io).poll_flush(cx),
            other => other,
        };
        this.writer_waiting = flushed.is_pending();
        flushed
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.write_waker = Some(cx.waker().clone());
        if !this.close_queued {
            this.close_queued = true;
            // After the peer's close the codec has answered it already.
            let _ = this.ws.close();
        }
        let closed = match this.poll_drain(cx) {
            Poll::Ready(Ok(())) => Pin::new(&mut this.io).poll_close(cx),
            // The socket is going anyway.
            Poll::Ready(Err(_)) => Pin::new(&mut this.io).poll_close(cx),
            Poll::Pending => Poll::Pending,
        };
        this.writer_waiting = closed.is_pending();
        closed
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::future::Future;
    use std::sync::Mutex;
    use std::thread::Thread;

    use futures_util::future::join;

    use super::*;

    /// One direction of an in-memory connection.
    #[derive(Default)]
    struct Pipe {
        bytes: VecDeque<u8>,
        closed: bool,
        reader: Option<Waker>,
        /// Writes are pending (the socket's send buffer is full).
        write_blocked: bool,
        /// The one waker a blocked write left, as a reactor keeps one per
        /// direction: a later registration replaces it.
        writer: Option<Waker>,
    }

    /// One end of an in-memory connection: reads one pipe, writes the other.
    struct End {
        read: Arc<Mutex<Pipe>>,
        write: Arc<Mutex<Pipe>>,
    }

    fn connection() -> (End, End) {
        let (a, b) = (Arc::default(), Arc::default());
        (
            End {
                read: Arc::clone(&a),
                write: Arc::clone(&b),
            },
            End { read: b, write: a },
        )
    }

    impl AsyncRead for End {
        fn poll_read(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut [u8],
        ) -> Poll<io::Result<usize>> {
            let mut pipe = self.read.lock().unwrap();
            if pipe.bytes.is_empty() {
                if pipe.closed {
                    return Poll::Ready(Ok(0));
                }
                pipe.reader = Some(cx.waker().clone());
                return Poll::Pending;
            }
            let n = pipe.bytes.len().min(buf.len());
            for (i, b) in pipe.bytes.drain(..n).enumerate() {
                buf[i] = b;
            }
            Poll::Ready(Ok(n))
        }
    }

    impl AsyncWrite for End {
        fn poll_write(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            let mut pipe = self.write.lock().unwrap();
            if pipe.write_blocked {
                pipe.writer = Some(cx.waker().clone());
                return Poll::Pending;
            }
            // Small writes, to exercise partial writes.
            let n = buf.len().min(1000);
            pipe.bytes.extend(&buf[..n]);
            if let Some(w) = pipe.reader.take() {
                w.wake();
            }
            Poll::Ready(Ok(n))
        }

        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }

        fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            let mut pipe = self.write.lock().unwrap();
            pipe.closed = true;
            if let Some(w) = pipe.reader.take() {
                w.wake();
            }
            Poll::Ready(Ok(()))
        }
    }

    struct Unpark(Thread);

    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }

    fn block_on<F: Future>(future: F) -> F::Output {
        let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
        let mut cx = Context::from_waker(&waker);
        let mut future = std::pin::pin!(future);
        loop {
            if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
                return out;
            }
            std::thread::park_timeout(Duration::from_millis(50));
        }
    }

    fn chunk(tid: &str, body_len: usize) -> Vec<u8> {
        let mut c = format!("MSRP {tid} SEND\r\nTo-Path: msrp://b:1/s;tcp\r\n\r\n").into_bytes();
        c.extend((0..body_len).map(|i| (i % 251) as u8));
        c.extend_from_slice(format!("\r\n-------{tid}$\r\n").as_bytes());
        c
    }

    /// A client and a server over `a` and `b`, upgraded.
    fn upgraded(a: End, b: End) -> (WsStream, (WsStream, UpgradeRequest)) {
        let url: WsUrl = "ws://relay.test/msrp".parse().unwrap();
        let limits = WsLimits::default();
        let (client, server) = block_on(join(
            WsStream::connect(Box::new(a), &url, limits),
            WsStream::accept(Box::new(b), limits),
        ));
        (client.unwrap(), server.unwrap())
    }

    #[test]
    fn client_and_server_carry_msrp_one_chunk_per_message() {
        let (a, b) = connection();
        let (mut client, (mut server, request)) = upgraded(a, b);
        assert_eq!(request.resource(), "/msrp");
        assert_eq!(request.header("host"), Some("relay.test"));

        let mut stream = chunk("c1xx", 10_240);
        stream.extend(chunk("c2xx", 0));
        stream.extend(chunk("c3xx", 5000));
        let sent = stream.clone();
        let (wrote, got) = block_on(join(
            async {
                for piece in sent.chunks(777) {
                    client.write_all(piece).await?;
                }
                client.flush().await
            },
            async {
                let mut got = vec![0; sent.len()];
                server.read_exact(&mut got).await.map(|()| got)
            },
        ));
        wrote.unwrap();
        assert_eq!(got.unwrap(), stream);
        assert_eq!(client.framing().messages_sent(), 3);
        assert_eq!(server.framing().messages_received(), 3);

        let back = chunk("s1xx", 100);
        block_on(async {
            server.write_all(&back).await.unwrap();
            server.flush().await.unwrap();
            let mut got = vec![0; back.len()];
            client.read_exact(&mut got).await.unwrap();
            assert_eq!(got, back);
            // The client closes: the server reads the end of the stream.
            client.close().await.unwrap();
            let mut rest = Vec::new();
            assert_eq!(server.read_to_end(&mut rest).await.unwrap(), 0);
        });
    }

    #[derive(Default)]
    struct Count(std::sync::atomic::AtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }

    #[test]
    fn a_read_that_sends_what_a_pending_write_left_wakes_the_writer() {
        let (a, b) = connection();
        let client_out = Arc::clone(&a.write);
        let (mut client, _server) = upgraded(a, b);

        // The socket stops taking bytes: writes pile up, then wait.
        client_out.lock().unwrap().write_blocked = true;
        let writer = Arc::new(Count::default());
        let writer_waker = Waker::from(Arc::clone(&writer));
        let mut cx = Context::from_waker(&writer_waker);
        let piece = chunk("w1xx", 8000);
        let mut pending = false;
        for _ in 0..100 {
            if Pin::new(&mut client)
                .poll_write(&mut cx, &piece)
                .is_pending()
            {
                pending = true;
                break;
            }
        }
        assert!(pending, "a write waits once the output is past its mark");

        // Room comes, but the socket's registration is the one a read makes
        // next, and that read sends everything without waiting.
        {
            let mut out = client_out.lock().unwrap();
            out.write_blocked = false;
            out.writer = None;
        }
        let reader = Arc::new(Count::default());
        let reader_waker = Waker::from(reader);
        let mut read_cx = Context::from_waker(&reader_waker);
        let mut buf = [0u8; 64];
        assert!(
            Pin::new(&mut client)
                .poll_read(&mut read_cx, &mut buf)
                .is_pending()
        );
        assert!(client.framing().output().is_empty(), "the read sent it all");
        assert_eq!(
            writer.0.load(std::sync::atomic::Ordering::SeqCst),
            1,
            "the waiting writer is told"
        );
    }

    #[test]
    fn an_oversize_chunk_fails_the_write() {
        let (a, b) = connection();
        let url: WsUrl = "ws://relay.test/".parse().unwrap();
        let limits = WsLimits::default().max_send_message(1000);
        let (client, server) = block_on(join(
            WsStream::connect(Box::new(a), &url, limits),
            WsStream::accept(Box::new(b), limits),
        ));
        let mut client = client.unwrap();
        let _server = server.unwrap();
        let err = block_on(client.write_all(&chunk("big1", 2000))).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert!(err.to_string().contains("1000"), "{err}");
    }

    #[test]
    fn a_server_refuses_an_upgrade_without_msrp() {
        let (a, b) = connection();
        let mut raw = a;
        let (written, accepted) = block_on(join(
            async {
                raw.write_all(
                    b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                      Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
                )
                .await?;
                let mut answer = Vec::new();
                raw.read_to_end(&mut answer).await.map(|_| answer)
            },
            WsStream::accept(Box::new(b), WsLimits::default()),
        ));
        assert!(matches!(accepted, Err(WsError::Subprotocol(None))));
        let answer = String::from_utf8(written.unwrap()).unwrap();
        assert!(answer.starts_with("HTTP/1.1 400 "), "{answer}");
    }

    #[test]
    fn a_client_refuses_a_server_that_does_not_select_msrp() {
        let (a, b) = connection();
        let mut raw = b;
        let url: WsUrl = "ws://relay.test/".parse().unwrap();
        let (connected, ()) = block_on(join(
            WsStream::connect(Box::new(a), &url, WsLimits::default()),
            async {
                let mut buf = [0u8; 1024];
                let _ = raw.read(&mut buf).await;
                let _ = raw
                    .write_all(
                        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
                          Connection: Upgrade\r\nSec-WebSocket-Accept: x\r\n\r\n",
                    )
                    .await;
            },
        ));
        assert!(matches!(
            connected,
            Err(WsError::NotUpgrade(_) | WsError::Subprotocol(_))
        ));
    }
}
