//! One task per relay connection: the TLS handshake (accepting or
//! connecting), then the I/O loop that moves bytes between the socket and
//! the relay core.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_io::{AsyncRead, AsyncWrite};
use futures_util::task::AtomicWaker;
use msrp_proto::relay::{ConnId, ConnState, Listener};
use tracing::{debug, trace};

use super::{Hub, unless_closed};
use crate::driver::Direction;
use crate::out_queue::{OutQueue, WRITE_BATCH};
use crate::runtime::{BoxIo, Runtime, Timer, deadline};
use crate::tls::server_name;
use crate::ws::{UpgradeRequest, WsError, WsFraming, WsStream};

/// Bytes one read may take.
pub(crate) const READ_SIZE: usize = 64 * 1024;
/// The parser's buffer grows by this much at a time (see the driver).
const READ_BLOCK: usize = 128 * 1024;
/// Reads of a connection whose last read was small (chat, control
/// traffic): a relay holds thousands of such connections, and each keeps
/// its read block while a chunk is in progress. A read that fills it
/// switches back to full-size reads.
const SMALL_READ: usize = 4 * 1024;
/// Bytes read per turn before writing.
const READ_PER_ROUND: usize = 4 * READ_SIZE;
/// Turns per poll before yielding to other tasks.
const BUDGET: usize = 32;
/// How long a closed connection may take to write what it was given.
const LINGER: Duration = Duration::from_secs(5);

thread_local! {
    /// Where TLS connections read to outside the core's lock: one per
    /// worker thread, not one per connection (a relay holds thousands).
    static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A connection accepted on `listener`: admitted by the core, TLS
/// handshake if the listener is TLS, WebSocket upgrade if it is a
/// WebSocket listener, then the I/O loop.
pub(super) async fn run_inbound<R: Runtime>(
    hub: Arc<Hub<R>>,
    tcp: R::Tcp,
    peer: SocketAddr,
    listener: Listener,
) {
    let task = Arc::new(AtomicWaker::new());
    let admitted = hub.with_core(|relay, now| relay.handle_accept(now, listener));
    let id = match admitted {
        Ok(id) => id,
        Err(err) => {
            debug!(target: "msrp::relay", %peer, %err, "connection refused");
            return;
        }
    };
    {
        let mut core = hub.lock();
        if core.stopped {
            return;
        }
        core.tasks.insert(id, task.clone());
    }
    let io = if listener.secure {
        let Some(config) = hub.tls_server.clone() else {
            return close(&hub, id);
        };
        let handshake = hub.rt.tls_accept(tcp, config);
        match opening_step(&hub, id, &task, peer, "TLS handshake", handshake).await {
            Some(io) => io,
            None => return,
        }
    } else {
        hub.rt.plain(tcp)
    };
    let io = if listener.is_websocket() {
        // Refused upgrades were answered with an HTTP error saying why.
        let upgrade = upgrade(&hub, io);
        match opening_step(&hub, id, &task, peer, "WebSocket upgrade", upgrade).await {
            Some((io, request)) => {
                debug!(
                    target: "msrp::relay",
                    conn = %id,
                    %peer,
                    resource = request.resource(),
                    origin = request.header("Origin").unwrap_or("-"),
                    "WebSocket upgrade accepted (msrp)"
                );
                io
            }
            None => return,
        }
    } else {
        io
    };
    debug!(target: "msrp::relay", conn = %id, %peer, "connection open");
    // TLS and WebSocket connections decode what they read outside the lock.
    let copy_reads = listener.secure || listener.is_websocket();
    ConnIo::new(hub, id, task, io, copy_reads).await;
}

/// One step of opening an inbound connection (TLS handshake, WebSocket
/// upgrade), bounded by the handshake timeout and the relay closing the
/// connection. On failure the core learns it, the task is forgotten, and
/// `None` comes back.
async fn opening_step<R: Runtime, T, E: std::fmt::Display>(
    hub: &Arc<Hub<R>>,
    id: ConnId,
    task: &Arc<AtomicWaker>,
    peer: SocketAddr,
    what: &'static str,
    step: impl Future<Output = Result<T, E>>,
) -> Option<T> {
    let bounded = deadline(&hub.rt, hub.rt.now() + hub.handshake_timeout, step);
    match unless_closed(hub, id, task, bounded).await {
        Some(Some(Ok(out))) => Some(out),
        Some(Some(Err(err))) => {
            debug!(target: "msrp::relay", conn = %id, %peer, %err, "{what} failed");
            reset(hub, id);
            None
        }
        Some(None) => {
            debug!(target: "msrp::relay", conn = %id, %peer, "{what} timed out");
            reset(hub, id);
            None
        }
        // Evicted meanwhile.
        None => {
            forget(hub, id);
            None
        }
    }
}

/// The WebSocket upgrade of a connection on a WebSocket listener (RFC 7977
/// §4.1: the `msrp` subprotocol is required; other requests get an HTTP
/// error whose body says why). After it every message received must be
/// one MSRP chunk (§5.1; else close 1002), none may exceed the receive
/// limit (close 1009); what the core writes goes out one chunk per
/// message, and quiet connections get pings.
async fn upgrade<R: Runtime>(
    hub: &Arc<Hub<R>>,
    io: BoxIo,
) -> Result<(BoxIo, UpgradeRequest), WsError> {
    let framing = WsFraming::server(hub.ws_limits).one_chunk_per_message(true);
    let (mut stream, request) = WsStream::accept_with(io, framing).await?;
    if let Some(every) = hub.ws_ping_interval {
        let rt = &hub.rt;
        stream = stream.keepalive(rt.timer(rt.now() + every), every);
    }
    Ok((Box::new(stream), request))
}

/// A connection the core asked for: connect (and TLS), tell the core, then
/// the I/O loop.
pub(super) async fn run_outbound<R: Runtime>(
    hub: Arc<Hub<R>>,
    id: ConnId,
    task: Arc<AtomicWaker>,
    host: String,
    port: u16,
    secure: bool,
) {
    let opened = unless_closed(&hub, id, &task, open(&hub, &host, port, secure)).await;
    let io = match opened {
        Some(Ok(io)) => io,
        Some(Err(reason)) => {
            debug!(target: "msrp::relay", conn = %id, %host, port, %reason, "connect failed");
            hub.with_core(|relay, now| relay.handle_connect_failed(now, id, &reason));
            return forget(&hub, id);
        }
        None => return forget(&hub, id),
    };
    debug!(target: "msrp::relay", conn = %id, %host, port, secure, "connected");
    hub.with_core(|relay, now| relay.handle_connected(now, id));
    ConnIo::new(hub, id, task, io, secure).await;
}

async fn open<R: Runtime>(
    hub: &Arc<Hub<R>>,
    host: &str,
    port: u16,
    secure: bool,
) -> Result<BoxIo, String> {
    let rt = &hub.rt;
    let tcp = deadline(rt, rt.now() + hub.connect_timeout, rt.connect(host, port))
        .await
        .ok_or("timed out")?
        .map_err(|e| e.to_string())?;
    if !secure {
        return Ok(rt.plain(tcp));
    }
    let config = hub
        .tls_client
        .clone()
        .ok_or("no TLS client settings to check the next hop's certificate")?;
    let name = server_name(host).map_err(|e| e.to_string())?;
    deadline(
        rt,
        rt.now() + hub.handshake_timeout,
        rt.tls_connect(tcp, config, name),
    )
    .await
    .ok_or("TLS handshake timed out")?
    .map_err(|e| format!("TLS handshake: {e}"))
}

fn reset<R: Runtime>(hub: &Arc<Hub<R>>, id: ConnId) {
    hub.with_core(|relay, now| relay.handle_reset(now, id));
    forget(hub, id);
}

fn close<R: Runtime>(hub: &Arc<Hub<R>>, id: ConnId) {
    hub.with_core(|relay, now| relay.close(now, id));
    forget(hub, id);
}

/// The task is gone: nobody to wake for `id` any more.
fn forget<R: Runtime>(hub: &Arc<Hub<R>>, id: ConnId) {
    hub.lock().tasks.remove(&id);
}

/// The I/O loop of one connection.
struct ConnIo<R: Runtime> {
    hub: Arc<Hub<R>>,
    id: ConnId,
    io: BoxIo,
    task: Arc<AtomicWaker>,
    readable: Direction,
    writable: Direction,
    out: OutQueue,
    read_done: bool,
    io_closed: bool,
    /// Whether the last read was small (see [`SMALL_READ`]).
    small: bool,
    /// TLS: read outside the lock, into [`SCRATCH`].
    copy_reads: bool,
    /// Whether the core wanted input when last asked.
    wants: bool,
    /// Set once the core closed the connection: the last bytes must be
    /// written by then.
    linger: Option<Box<dyn Timer>>,
    span: tracing::Span,
}

impl<R: Runtime> ConnIo<R> {
    fn new(
        hub: Arc<Hub<R>>,
        id: ConnId,
        task: Arc<AtomicWaker>,
        io: BoxIo,
        copy_reads: bool,
    ) -> Self {
        Self {
            readable: Direction::new(&task),
            writable: Direction::new(&task),
            hub,
            id,
            io,
            task,
            out: OutQueue::default(),
            read_done: false,
            io_closed: false,
            small: true,
            copy_reads,
            wants: true,
            linger: None,
            span: tracing::debug_span!(target: "msrp::relay", "relay", conn = %id),
        }
    }

    /// One turn with the core: read what may be read, take what is to be
    /// written. Returns whether anything happened and the state after.
    fn turn(&mut self) -> (bool, ConnState) {
        if self.copy_reads {
            return SCRATCH.with(|scratch| self.turn_with(&mut scratch.borrow_mut()));
        }
        self.turn_with(&mut Vec::new())
    }

    fn turn_with(&mut self, scratch: &mut Vec<u8>) -> (bool, ConnState) {
        let id = self.id;
        let now = self.hub.rt.now();
        let mut progress = false;
        // TLS: read (and decrypt) before taking the lock, so that the other
        // connections' tasks are not held up by the decryption; the bytes
        // are copied into the parser once, a small price beside it.
        let mut filled = 0;
        let mut end = None;
        if self.copy_reads && self.wants && !self.read_done {
            scratch.resize(READ_PER_ROUND, 0);
            let mut cx = Context::from_waker(&self.readable.waker);
            while filled < READ_PER_ROUND && self.readable.take() {
                let max = (READ_PER_ROUND - filled).min(READ_SIZE);
                match Pin::new(&mut self.io).poll_read(&mut cx, &mut scratch[filled..filled + max])
                {
                    Poll::Ready(Ok(0)) => {
                        self.readable.set();
                        end = Some(Ok(()));
                        break;
                    }
                    Poll::Ready(Ok(n)) => {
                        self.readable.set();
                        filled += n;
                        progress = true;
                    }
                    Poll::Ready(Err(err)) => {
                        end = Some(Err(err));
                        break;
                    }
                    Poll::Pending => break,
                }
            }
            if filled > 0 && tracing::enabled!(target: "msrp::relay", tracing::Level::TRACE) {
                trace!(target: "msrp::relay", parent: &self.span, "<<< {}", scratch[..filled].escape_ascii());
            }
        }
        let (state, work) = {
            let mut core = self.hub.lock();
            let relay = &mut core.relay;
            if filled > 0 {
                relay.handle_input(now, id, &scratch[..filled]);
            }
            match end {
                Some(Ok(())) => {
                    self.read_done = true;
                    relay.handle_eof(now, id);
                    progress = true;
                }
                Some(Err(err)) => {
                    debug!(target: "msrp::relay", parent: &self.span, %err, "read failed");
                    self.read_done = true;
                    relay.handle_reset(now, id);
                    progress = true;
                }
                None => {}
            }
            let mut read = 0;
            while !self.copy_reads
                && !self.read_done
                && read < READ_PER_ROUND
                && relay.wants_input(id)
                && self.readable.take()
            {
                let io = &mut self.io;
                let mut cx = Context::from_waker(&self.readable.waker);
                let span = &self.span;
                // Straight into the parser's buffer: no copy of what is read.
                let (max, block) = if self.small {
                    (SMALL_READ, 2 * SMALL_READ)
                } else {
                    (READ_SIZE, READ_BLOCK)
                };
                let polled = relay.handle_read(now, id, max, block, |buf| {
                    match Pin::new(io).poll_read(&mut cx, buf) {
                        Poll::Ready(Ok(n)) => {
                            if n > 0 && tracing::enabled!(target: "msrp::relay", tracing::Level::TRACE) {
                                trace!(target: "msrp::relay", parent: span, "<<< {}", buf[..n].escape_ascii());
                            }
                            (n, Poll::Ready(Ok(n)))
                        }
                        other => (0, other),
                    }
                });
                match polled {
                    None | Some(Poll::Pending) => break,
                    Some(Poll::Ready(Ok(0))) => {
                        self.readable.set();
                        self.read_done = true;
                        relay.handle_eof(now, id);
                        progress = true;
                    }
                    Some(Poll::Ready(Ok(n))) => {
                        self.readable.set();
                        self.small = n < max;
                        read += n;
                        progress = true;
                    }
                    Some(Poll::Ready(Err(err))) => {
                        debug!(target: "msrp::relay", parent: &self.span, %err, "read failed");
                        self.read_done = true;
                        relay.handle_reset(now, id);
                        progress = true;
                    }
                }
            }
            while self.out.len() < WRITE_BATCH {
                let Some(t) = relay.poll_transmit(now, id) else {
                    break;
                };
                if t.data.is_empty() {
                    continue;
                }
                progress = true;
                self.out.push(t.data);
            }
            // Input wanted again (room came downstream): read at once.
            let wanted = self.wants;
            self.wants = relay.wants_input(id);
            progress |= self.wants && !wanted;
            let state = relay.conn_state(id);
            (state, core.drain())
        };
        work.run(&self.hub);
        (progress, state)
    }

    /// Writes what was taken from the core. Whether anything went out.
    fn write(&mut self) -> io::Result<bool> {
        let mut progress = false;
        while let Some(n) = self.out.write_once(&mut self.io, &self.writable)? {
            if tracing::enabled!(target: "msrp::relay", tracing::Level::TRACE) {
                trace!(target: "msrp::relay", parent: &self.span, ">>> {n} bytes");
            }
            progress = true;
        }
        self.out.flush(&mut self.io, &self.writable)?;
        Ok(progress)
    }

    fn finish(&mut self) {
        self.hub.lock().tasks.remove(&self.id);
    }
}

impl<R: Runtime> Future for ConnIo<R> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        this.task.register(cx.waker());
        for _ in 0..BUDGET {
            let (mut progress, state) = this.turn();
            match this.write() {
                Ok(wrote) => progress |= wrote,
                Err(err) => {
                    debug!(target: "msrp::relay", parent: &this.span, %err, "write failed");
                    let id = this.id;
                    this.hub.with_core(|relay, now| relay.handle_reset(now, id));
                    this.out.clear();
                    continue;
                }
            }
            if state == ConnState::Closed {
                let flushed = this.out.is_drained();
                let linger = this.linger.get_or_insert_with(|| {
                    let rt = &this.hub.rt;
                    rt.timer(rt.now() + LINGER)
                });
                let late = linger.poll_fire(cx).is_ready();
                if flushed || late {
                    if !this.io_closed {
                        // Past the linger time, closed or not, it is given up.
                        if Pin::new(&mut this.io).poll_close(cx).is_pending() && !late {
                            return Poll::Pending;
                        }
                        this.io_closed = true;
                    }
                    this.finish();
                    return Poll::Ready(());
                }
            }
            if !progress {
                return Poll::Pending;
            }
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
