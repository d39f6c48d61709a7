//! The byte bridge on a real session and socket: one task moves bytes both
//! ways as the [`Tunnel`] decides, and tears down both ends.

use std::future::{Future, poll_fn};
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::Duration;

use bytes::{Buf, Bytes};
use futures_channel::oneshot;
use futures_util::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use futures_util::stream::FuturesUnordered;
use futures_util::{FutureExt, StreamExt};
use msrp_endpoint::{Error, Incoming, Runtime, Session, timeout};
use msrp_proto::connection::{CloseReason, Outcome};

use super::tunnel::{BridgeEnd, BridgeStats, Tunnel};

/// How long the end may take: the last messages leaving, the session
/// closing, the socket shutting down. A peer that reads nothing for this
/// long is not waited for.
const TEARDOWN: Duration = Duration::from_secs(10);

/// Before closing, the session is read (and what arrives dropped) until
/// the peer has sent nothing for this long: the VNC server finishes the
/// update it was sending, and the connection then closes without bytes
/// unread, which would reset it and make the end look like a failure to
/// the peer.
const QUIET: Duration = Duration::from_millis(200);

/// The longest that wait may take (a peer that never stops sending).
const LINGER: Duration = Duration::from_secs(2);

/// How a bridge ended and what it moved.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct BridgeReport {
    /// Why it ended.
    pub end: BridgeEnd,
    /// What it moved.
    pub stats: BridgeStats,
}

/// A bridge running as a task of its own (see
/// [`DesktopSession::spawn`](super::DesktopSession::spawn)).
#[derive(Debug)]
pub struct Bridge {
    stats: Arc<Mutex<BridgeStats>>,
    stop: Option<oneshot::Sender<()>>,
    done: oneshot::Receiver<BridgeReport>,
}

impl Bridge {
    /// What it moved so far, and its buffers now.
    pub fn stats(&self) -> BridgeStats {
        self.stats.lock().map_or_else(|e| *e.into_inner(), |s| *s)
    }

    /// Ends it: the messages already read go out, then the session and
    /// the socket close. [`wait`](Self::wait) gives the report.
    pub fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    /// Waits for its end. Dropping a [`Bridge`] instead lets it run on.
    pub async fn wait(self) -> BridgeReport {
        let stats = self.stats.clone();
        self.done.await.unwrap_or_else(|_| BridgeReport {
            end: BridgeEnd::LocalFailed("the bridge task was dropped".into()),
            stats: stats.lock().map_or_else(|e| *e.into_inner(), |s| *s),
        })
    }

    pub(super) fn spawn<R, S>(rt: &R, session: Session, socket: S, tunnel: Tunnel) -> Self
    where
        R: Runtime,
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let stats = Arc::new(Mutex::new(tunnel.stats()));
        let (stop_tx, stop_rx) = oneshot::channel();
        let (done_tx, done) = oneshot::channel();
        let pump = Pump {
            session,
            socket,
            tunnel,
            shared: Some(stats.clone()),
            stop: Some(stop_rx),
        };
        let task_rt = rt.clone();
        rt.spawn(Box::pin(async move {
            let _ = done_tx.send(pump.run(&task_rt).await);
        }));
        Self {
            stats,
            stop: Some(stop_tx),
            done,
        }
    }
}

/// The size of each message and its outcome.
type OutcomeFuture = Pin<Box<dyn Future<Output = (usize, Outcome)> + Send>>;

/// What one wait of the bridge brought.
enum Step {
    Read(Bytes),
    LocalEof,
    LocalError(io::Error),
    Written(usize),
    Incoming(Incoming),
    SessionEnded,
    Outcome(usize, Outcome),
    Stop,
}

pub(super) struct Pump<S> {
    pub(super) session: Session,
    pub(super) socket: S,
    pub(super) tunnel: Tunnel,
    pub(super) shared: Option<Arc<Mutex<BridgeStats>>>,
    pub(super) stop: Option<oneshot::Receiver<()>>,
}

impl<S: AsyncRead + AsyncWrite + Unpin + Send> Pump<S> {
    pub(super) async fn run<R: Runtime>(mut self, rt: &R) -> BridgeReport {
        let mut outcomes: FuturesUnordered<OutcomeFuture> = FuturesUnordered::new();
        let mut buf = vec![0u8; self.tunnel.read_budget().unwrap_or(1)];
        let mut pending: Option<Bytes> = None;
        let mut written = 0usize;
        let mut turn = 0u8;
        while self.tunnel.end().is_none() {
            let budget = self.tunnel.read_budget();
            let step = poll_fn(|cx| {
                turn = turn.wrapping_add(1);
                if let Some(stop) = self.stop.as_mut() {
                    match stop.poll_unpin(cx) {
                        Poll::Ready(Ok(())) => return Poll::Ready(Step::Stop),
                        // The handle is gone: the bridge runs on.
                        Poll::Ready(Err(_)) => self.stop = None,
                        Poll::Pending => {}
                    }
                }
                if let Poll::Ready(Some((n, outcome))) = outcomes.poll_next_unpin(cx) {
                    return Poll::Ready(Step::Outcome(n, outcome));
                }
                // The two directions take turns at going first, so that
                // neither starves the other.
                for direction in [turn & 1, (turn & 1) ^ 1] {
                    let ready = if direction == 0 {
                        poll_inbound(
                            cx,
                            &mut self.socket,
                            &mut self.session,
                            &mut pending,
                            &mut written,
                        )
                    } else {
                        poll_outbound(cx, &mut self.socket, budget, &mut buf)
                    };
                    if let Poll::Ready(step) = ready {
                        return Poll::Ready(step);
                    }
                }
                Poll::Pending
            })
            .await;
            match step {
                Step::Read(data) => {
                    let size = data.len();
                    let message = self.tunnel.message(data);
                    match self.session.send_message(message).await {
                        Ok(handle) => {
                            outcomes.push(Box::pin(async move { (size, handle.outcome().await) }));
                        }
                        Err(err) => self.tunnel.on_session_end(close_reason(err)),
                    }
                }
                Step::LocalEof => self.tunnel.on_local_eof(),
                Step::LocalError(err) => self.tunnel.on_local_error(&err),
                Step::Written(n) => self.tunnel.on_written(n),
                Step::Incoming(item) => {
                    if let Some(data) = self.on_incoming(item) {
                        pending = Some(data);
                    }
                }
                Step::SessionEnded => {
                    let reason = match self.session.receive_message().await {
                        Err(err) => close_reason(err),
                        Ok(_) => CloseReason::PeerClosed,
                    };
                    self.tunnel.on_session_end(reason);
                }
                Step::Outcome(n, outcome) => self.tunnel.on_outcome(n, &outcome),
                Step::Stop => self.tunnel.on_stop(),
            }
            self.publish();
        }
        let end = self.tunnel.end().cloned().unwrap_or(BridgeEnd::Stopped);
        let Self {
            session,
            mut socket,
            mut tunnel,
            shared,
            ..
        } = self;
        if end.session_open() {
            teardown_session(rt, session, &mut tunnel, outcomes).await;
        }
        // Closing the socket tells the VNC server or viewer.
        let _ = timeout(rt, TEARDOWN, socket.close()).await;
        let stats = tunnel.stats();
        publish(shared.as_ref(), stats);
        BridgeReport { end, stats }
    }

    fn on_incoming(&mut self, item: Incoming) -> Option<Bytes> {
        match item {
            Incoming::Started { message, head, .. } => {
                self.tunnel
                    .on_started(message.as_str(), head.content_type());
                None
            }
            Incoming::Data { message, data, .. } => self.tunnel.on_data(message.as_str(), data),
            Incoming::Completed { message, size, .. } => {
                self.tunnel.on_completed(message.as_str(), size);
                None
            }
            Incoming::Aborted { message, .. } => {
                self.tunnel.on_aborted(message.as_str());
                None
            }
            _ => None,
        }
    }

    fn publish(&self) {
        publish(self.shared.as_ref(), self.tunnel.stats());
    }
}

fn publish(shared: Option<&Arc<Mutex<BridgeStats>>>, stats: BridgeStats) {
    if let Some(shared) = shared {
        if let Ok(mut slot) = shared.lock() {
            *slot = stats;
        }
    }
}

/// Ends a session that is still open: the messages already read go out
/// first (what still arrives is read and dropped meanwhile, so that their
/// outcomes are not held up behind it), the peer's sending stops (see
/// [`QUIET`]), then it closes.
async fn teardown_session<R: Runtime>(
    rt: &R,
    mut session: Session,
    tunnel: &mut Tunnel,
    mut outcomes: FuturesUnordered<OutcomeFuture>,
) {
    let drained = timeout(
        rt,
        TEARDOWN,
        poll_fn(|cx| {
            loop {
                match outcomes.poll_next_unpin(cx) {
                    Poll::Ready(Some((n, outcome))) => {
                        tunnel.on_outcome(n, &outcome);
                        continue;
                    }
                    Poll::Ready(None) => return Poll::Ready(()),
                    Poll::Pending => {}
                }
                match session.poll_next_unpin(cx) {
                    Poll::Ready(Some(_)) => {}
                    Poll::Ready(None) => return Poll::Ready(()),
                    Poll::Pending => return Poll::Pending,
                }
            }
        }),
    )
    .await;
    if drained.is_none() {
        return;
    }
    let until = rt.now() + LINGER;
    loop {
        let left = until.saturating_duration_since(rt.now());
        if left.is_zero() {
            break;
        }
        match timeout(rt, QUIET.min(left), session.next()).await {
            Some(Some(_)) => {}
            Some(None) => return,
            None => break,
        }
    }
    let _ = timeout(rt, TEARDOWN, session.shutdown()).await;
}

/// Writes the piece in hand to the socket; with none, takes the next item
/// from the session.
fn poll_inbound<S: AsyncWrite + Unpin>(
    cx: &mut std::task::Context<'_>,
    socket: &mut S,
    session: &mut Session,
    pending: &mut Option<Bytes>,
    written: &mut usize,
) -> Poll<Step> {
    if let Some(data) = pending.as_mut() {
        while !data.is_empty() {
            match Pin::new(&mut *socket).poll_write(cx, data) {
                Poll::Ready(Ok(0)) => {
                    return Poll::Ready(Step::LocalError(io::ErrorKind::WriteZero.into()));
                }
                Poll::Ready(Ok(n)) => {
                    data.advance(n);
                    *written += n;
                }
                Poll::Ready(Err(err)) => return Poll::Ready(Step::LocalError(err)),
                Poll::Pending => return Poll::Pending,
            }
        }
        // Written (a socket with a buffer of its own passes it on now).
        return match Pin::new(&mut *socket).poll_flush(cx) {
            Poll::Ready(Ok(())) => {
                *pending = None;
                Poll::Ready(Step::Written(std::mem::take(written)))
            }
            Poll::Ready(Err(err)) => Poll::Ready(Step::LocalError(err)),
            Poll::Pending => Poll::Pending,
        };
    }
    match session.poll_next_unpin(cx) {
        Poll::Ready(Some(item)) => Poll::Ready(Step::Incoming(item)),
        Poll::Ready(None) => Poll::Ready(Step::SessionEnded),
        Poll::Pending => Poll::Pending,
    }
}

/// Reads the local socket, when the window allows.
fn poll_outbound<S: AsyncRead + Unpin>(
    cx: &mut std::task::Context<'_>,
    socket: &mut S,
    budget: Option<usize>,
    buf: &mut Vec<u8>,
) -> Poll<Step> {
    let Some(budget) = budget else {
        return Poll::Pending;
    };
    if buf.len() < budget {
        buf.resize(budget, 0);
    }
    match Pin::new(socket).poll_read(cx, &mut buf[..budget]) {
        Poll::Ready(Ok(0)) => Poll::Ready(Step::LocalEof),
        Poll::Ready(Ok(n)) => Poll::Ready(Step::Read(Bytes::copy_from_slice(&buf[..n]))),
        Poll::Ready(Err(err)) => Poll::Ready(Step::LocalError(err)),
        Poll::Pending => Poll::Pending,
    }
}

/// Why the session ended, from the error it now gives.
fn close_reason(err: Error) -> CloseReason {
    match err {
        Error::Closed(reason) => reason,
        _ => CloseReason::LocallyClosed,
    }
}
