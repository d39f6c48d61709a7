//! The connection driver: one task per transport connection. It moves bytes
//! and timers in and out of a [`Connection`] and hands events to the session
//! handles. Every protocol decision stays in msrp-proto.
//!
//! The driver is a hand-written future rather than a `select!` loop so that
//! it runs unchanged on any runtime. Each poll: take commands, read (only
//! while the connection [wants input](Connection::wants_input)), fire due
//! timers (the deadline is compared with the clock before the timer is
//! polled, so a timer that fires late is never missed), write what
//! `poll_transmit` gives with vectored writes, and dispatch events. Incoming
//! data goes to each session through a bounded channel; when the application
//! does not read, the channel fills, the driver stops taking events, the
//! connection stops reading, and TCP pushes back on the peer.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_channel::{mpsc, oneshot};
use futures_core::Stream;
use futures_io::AsyncWrite;
use futures_util::task::AtomicWaker;
use msrp_proto::connection::{
    AuthConfig, BindRequest, CloseReason, CommandError, Connection, Event, MessageId, Outcome,
    OutgoingMessage, RequestId, SessionConfig, SessionHandle,
};
use msrp_proto::path::Path;
use msrp_proto::wire::Chunk;
use tracing::{debug, trace};

use crate::error::{Error, Phase};
use crate::inbox::{InboxSender, inbox};
use crate::out_queue::{OutQueue, WRITE_BATCH};
use crate::runtime::{BoxIo, Timer};
use crate::session::{ChunkResponse, Incoming, MessageUpdate, ReceivedMessage, SessionParts};

mod read;
#[cfg(test)]
mod tests;

use read::READ_SIZE;

/// Bytes read per round before writing: the responses to what they bring go
/// out together. Counted in bytes, not reads: a TLS stream gives at most one
/// record (16 KiB) per read.
const READ_PER_ROUND: usize = 4 * READ_SIZE;
/// Reads per round at most.
const READS_PER_ROUND: usize = 16;
/// Rounds of work per poll before yielding to other tasks.
const BUDGET: usize = 64;

/// What the handles ask of the driver.
pub(crate) enum Command {
    Open {
        config: SessionConfig,
        reply: BindReply,
    },
    Expect {
        config: SessionConfig,
        reply: BindReply,
    },
    Send {
        session: SessionHandle,
        message: OutgoingMessage,
        stream: bool,
        reply: oneshot::Sender<Result<(MessageId, mpsc::UnboundedReceiver<MessageUpdate>), Error>>,
    },
    /// A whole message whose handle the session already gave out.
    Queue {
        session: SessionHandle,
        message: OutgoingMessage,
        id: MessageId,
        updates: mpsc::UnboundedSender<MessageUpdate>,
    },
    Write {
        message: MessageId,
        data: Bytes,
        reply: oneshot::Sender<Result<(), Error>>,
    },
    Finish {
        message: MessageId,
        reply: oneshot::Sender<Result<(), Error>>,
    },
    Abort {
        message: MessageId,
    },
    SendChunk {
        chunk: Chunk,
        reply: oneshot::Sender<Result<oneshot::Receiver<ChunkResponse>, Error>>,
    },
    /// Sends NICKNAME (RFC 7701 §7.1); the reply gets the focus's answer.
    SetNickname {
        session: SessionHandle,
        nickname: String,
        reply: oneshot::Sender<Result<(), Error>>,
    },
    /// Answers a NICKNAME request taken as `Incoming::Nickname`.
    AnswerNickname {
        request: RequestId,
        code: u16,
        reply: oneshot::Sender<Result<(), Error>>,
    },
    CloseSession {
        session: SessionHandle,
    },
    Shutdown {
        session: SessionHandle,
        reply: oneshot::Sender<()>,
    },
    /// Closes the connection at once (an unbound connection evicted to
    /// make room).
    Close,
    /// Keeps the connection open while it has no session (a relay
    /// connection waiting for sessions to come).
    Keep,
    /// Undoes `Keep`: the connection closes once it has no session.
    Release,
    /// Answered once every command sent before it was applied (an
    /// acceptor's `Expect` must be in force before its path is handed out).
    Sync(oneshot::Sender<()>),
    /// Authenticates to the relay at the other end (RFC 4976 §5); the reply
    /// gets the granted Use-Path and its lifetime, or why not. Renewals
    /// follow on their own.
    Authenticate {
        config: AuthConfig,
        reply: oneshot::Sender<Result<(Path, Duration), Error>>,
    },
}

/// Where a session goes once bound (or the error if it cannot be).
pub(crate) type BindReply = Box<dyn FnOnce(Result<SessionParts, Error>) + Send>;

/// Decides requests to bind sessions the connection does not know
/// (`Config::ask_to_bind`): the [`MsrpServer`](crate::MsrpServer)'s registry.
pub(crate) trait BindPolicy: Send + Sync {
    fn decide(&self, request: &BindRequest) -> BindDecision;
}

pub(crate) enum BindDecision {
    Accept {
        config: Box<SessionConfig>,
        reply: BindReply,
    },
    Reject(u16),
}

/// Writes waiting for room in a message's send buffer, with their replies.
type WriteQueue = VecDeque<(Bytes, oneshot::Sender<Result<(), Error>>)>;

/// State the handles can read.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    pub(crate) close_reason: Mutex<Option<CloseReason>>,
}

/// A handle on a driver: commands in.
#[derive(Clone)]
pub(crate) struct DriverHandle {
    pub(crate) commands: mpsc::UnboundedSender<Command>,
    pub(crate) shared: Arc<Shared>,
}

impl DriverHandle {
    pub(crate) fn send(&self, command: Command) -> Result<(), Error> {
        self.commands
            .unbounded_send(command)
            .map_err(|_| self.closed_error())
    }

    /// An error if the connection has closed (its reason is known).
    pub(crate) fn check_open(&self) -> Result<(), Error> {
        let closed = self
            .shared
            .close_reason
            .lock()
            .map_or(true, |reason| reason.is_some());
        if closed {
            return Err(self.closed_error());
        }
        Ok(())
    }

    pub(crate) fn closed_error(&self) -> Error {
        let reason = self.shared.close_reason.lock().ok().and_then(|r| r.clone());
        Error::Closed(reason.unwrap_or(CloseReason::LocallyClosed))
    }
}

/// One direction of the socket (reading or writing) as the driver polls it:
/// with a waker of its own, so that the driver knows which direction woke
/// it and polls a direction again only once it may get somewhere.
///
/// The driver task also wakes for commands, for its sessions' channels and
/// for timers, and a socket polled on every wake-up answers "would block"
/// most of the time: on async-io each such answer is a system call and a
/// re-registration with the reactor (its registrations are one-shot), and a
/// write polled whenever any room appears in the send buffer goes out in
/// small pieces, one system call each (TLS: one record each).
pub(crate) struct Direction {
    state: Arc<Ready>,
    pub(crate) waker: Waker,
}

/// Set when the socket wakes a [`Direction`]; wakes the driver task too.
struct Ready {
    ready: AtomicBool,
    task: Arc<AtomicWaker>,
}

impl Wake for Ready {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.ready.store(true, Ordering::Release);
        self.task.wake();
    }
}

impl Direction {
    pub(crate) fn new(task: &Arc<AtomicWaker>) -> Self {
        let state = Arc::new(Ready {
            // Nothing known yet: poll.
            ready: AtomicBool::new(true),
            task: task.clone(),
        });
        Self {
            waker: Waker::from(state.clone()),
            state,
        }
    }

    /// Whether polling may get somewhere: not if the last poll was pending
    /// and the socket has not woken this direction since. Clears the mark
    /// before a poll, so that a wake-up during the poll is not lost.
    pub(crate) fn take(&self) -> bool {
        self.state.ready.swap(false, Ordering::AcqRel)
    }

    /// The poll got somewhere (it was not pending): poll again.
    pub(crate) fn set(&self) {
        self.state.ready.store(true, Ordering::Release);
    }
}

struct SessionSink {
    incoming: InboxSender,
    /// In `Driver::unflushed`.
    unflushed: bool,
}

/// The driver task of one connection.
pub(crate) struct Driver {
    conn: Connection,
    io: BoxIo,
    timer: Box<dyn Timer>,
    timer_at: Option<Instant>,
    clock: Box<dyn Fn() -> Instant + Send>,
    commands: mpsc::UnboundedReceiver<Command>,
    handle: DriverHandle,
    policy: Option<Arc<dyn BindPolicy>>,
    event_capacity: usize,
    event_bytes: usize,

    /// The driver task's waker, for the two below.
    task: Arc<AtomicWaker>,
    readable: Direction,
    writable: Direction,
    read_done: bool,
    /// The peer's end of stream, held back until `out` is written or, for a
    /// peer that stopped reading, until this instant.
    eof_deferred: Option<Instant>,
    out: OutQueue,
    io_closed: bool,

    sessions: HashMap<SessionHandle, SessionSink>,
    ever_had_session: bool,
    /// Stays open without sessions (`Command::Keep`).
    kept: bool,
    /// Sessions waiting to bind: who to tell, and their local path.
    binding: HashMap<SessionHandle, (BindReply, Path)>,
    messages: HashMap<MessageId, (SessionHandle, mpsc::UnboundedSender<MessageUpdate>)>,
    blocked_writes: HashMap<MessageId, WriteQueue>,
    chunk_replies: HashMap<RequestId, oneshot::Sender<ChunkResponse>>,
    /// Who waits for the answer to each NICKNAME sent.
    nickname_replies: HashMap<RequestId, oneshot::Sender<Result<(), Error>>>,
    shutdowns: Vec<(SessionHandle, oneshot::Sender<()>)>,
    /// Shutdowns that closed the connection's last session: answered (by
    /// being dropped) only when the driver ends, once the connection has
    /// written everything and closed, so that an application returning right
    /// after `Session::shutdown` loses nothing it had sent.
    closing: Vec<oneshot::Sender<()>>,
    /// Who waits for the relay's answer to AUTH.
    auth_reply: Option<oneshot::Sender<Result<(Path, Duration), Error>>>,
    held: Option<(SessionHandle, Incoming)>,
    /// The end of stream or error a read met after it had bytes to give:
    /// the bytes went first, this is the next read's result.
    read_stash: Option<Poll<io::Result<usize>>>,
    /// Until when the connection counts as in bulk (see `BULK_READ`).
    bulk_until: Option<Instant>,
    /// Sessions given items since their reader was last woken.
    unflushed: Vec<SessionHandle>,
    span: tracing::Span,
}

/// Everything needed to start a driver.
pub(crate) struct DriverSetup {
    pub(crate) conn: Connection,
    pub(crate) io: BoxIo,
    pub(crate) timer: Box<dyn Timer>,
    pub(crate) clock: Box<dyn Fn() -> Instant + Send>,
    pub(crate) policy: Option<Arc<dyn BindPolicy>>,
    pub(crate) event_capacity: usize,
    pub(crate) event_bytes: usize,
    pub(crate) label: String,
}

impl Driver {
    pub(crate) fn new(setup: DriverSetup) -> (Self, DriverHandle) {
        let (tx, rx) = mpsc::unbounded();
        let handle = DriverHandle {
            commands: tx,
            shared: Arc::new(Shared::default()),
        };
        let task = Arc::new(AtomicWaker::new());
        let driver = Self {
            readable: Direction::new(&task),
            writable: Direction::new(&task),
            task,
            conn: setup.conn,
            io: setup.io,
            timer: setup.timer,
            timer_at: None,
            clock: setup.clock,
            commands: rx,
            handle: handle.clone(),
            policy: setup.policy,
            event_capacity: setup.event_capacity.max(1),
            event_bytes: setup.event_bytes,
            read_done: false,
            eof_deferred: None,
            out: OutQueue::default(),
            io_closed: false,
            sessions: HashMap::new(),
            ever_had_session: false,
            kept: false,
            binding: HashMap::new(),
            messages: HashMap::new(),
            blocked_writes: HashMap::new(),
            chunk_replies: HashMap::new(),
            nickname_replies: HashMap::new(),
            shutdowns: Vec::new(),
            closing: Vec::new(),
            auth_reply: None,
            held: None,
            read_stash: None,
            bulk_until: None,
            unflushed: Vec::new(),
            span: tracing::debug_span!(target: "msrp::traffic", "msrp", conn = %setup.label),
        };
        (driver, handle)
    }

    fn now(&self) -> Instant {
        (self.clock)()
    }

    // ---- commands ----------------------------------------------------

    /// Applies a command before the driver runs (see `spawn_driver`).
    pub(crate) fn command(&mut self, command: Command) {
        self.on_command(command);
    }

    fn on_command(&mut self, command: Command) {
        match command {
            Command::Open { config, reply } => {
                let result = self.conn.open_session(config.clone());
                self.track_bind(result, config, reply);
            }
            Command::Expect { config, reply } => {
                let result = self.conn.expect_session(config.clone());
                self.track_bind(result, config, reply);
            }
            Command::Send {
                session,
                message,
                stream,
                reply,
            } => {
                let result = if stream {
                    self.conn.begin_message(session, message)
                } else {
                    self.conn.send_message(session, message)
                };
                let _ = reply.send(result.map_err(Error::from).map(|id| {
                    let (tx, rx) = mpsc::unbounded();
                    self.messages.insert(id.clone(), (session, tx));
                    (id, rx)
                }));
            }
            Command::Queue {
                session,
                message,
                id,
                updates,
            } => match self.conn.send_message_as(session, message, id.clone()) {
                Ok(()) => {
                    self.messages.insert(id, (session, updates));
                }
                Err(err) => {
                    let outcome = not_queued(&err, &self.handle);
                    let _ = updates.unbounded_send(MessageUpdate::Outcome(outcome));
                }
            },
            Command::Write {
                message,
                data,
                reply,
            } => {
                self.blocked_writes
                    .entry(message.clone())
                    .or_default()
                    .push_back((data, reply));
                self.retry_writes(&message);
            }
            Command::Finish { message, reply } => {
                let _ = reply.send(self.conn.finish(&message).map_err(Error::from));
            }
            Command::Abort { message } => {
                let _ = self.conn.abort(&message);
            }
            Command::SendChunk { chunk, reply } => {
                let result = self.conn.send_chunk(&chunk).map(|request| {
                    let (tx, rx) = oneshot::channel();
                    self.chunk_replies.insert(request, tx);
                    rx
                });
                let _ = reply.send(result.map_err(Error::from));
            }
            Command::SetNickname {
                session,
                nickname,
                reply,
            } => match self.conn.set_nickname(session, &nickname) {
                Ok(request) => {
                    self.nickname_replies.insert(request, reply);
                }
                Err(err) => {
                    let _ = reply.send(Err(err.into()));
                }
            },
            Command::AnswerNickname {
                request,
                code,
                reply,
            } => {
                let result = self.conn.answer_nickname(request, code);
                let _ = reply.send(result.map_err(Error::from));
            }
            Command::CloseSession { session } => self.close_session(session),
            Command::Shutdown { session, reply } => {
                self.shutdowns.push((session, reply));
                self.check_shutdowns();
            }
            Command::Close => self.conn.close(),
            Command::Keep => self.kept = true,
            Command::Sync(reply) => {
                let _ = reply.send(());
            }
            Command::Release => {
                self.kept = false;
                if self.sessions.is_empty() && self.binding.is_empty() {
                    self.conn.shutdown();
                }
            }
            Command::Authenticate { config, reply } => match self.conn.authenticate(config) {
                Ok(()) => self.auth_reply = Some(reply),
                Err(err) => {
                    let _ = reply.send(Err(err.into()));
                }
            },
        }
    }

    fn track_bind(
        &mut self,
        result: Result<SessionHandle, CommandError>,
        config: SessionConfig,
        reply: BindReply,
    ) {
        match result {
            Ok(session) => {
                self.ever_had_session = true;
                self.binding.insert(session, (reply, config.local_path()));
            }
            Err(err) => reply(Err(err.into())),
        }
    }

    fn close_session(&mut self, session: SessionHandle) {
        if self.sessions.remove(&session).is_some() {
            let _ = self.conn.close_session(session);
        }
        if self.ever_had_session
            && !self.kept
            && self.sessions.is_empty()
            && self.binding.is_empty()
        {
            // The last session is gone: finish what is under way and close,
            // as msrplib does when a session ends.
            self.conn.shutdown();
        }
    }

    fn retry_writes(&mut self, message: &MessageId) {
        let Some(queue) = self.blocked_writes.get_mut(message) else {
            return;
        };
        while let Some((data, reply)) = queue.pop_front() {
            match self.conn.write(message, data.clone()) {
                Ok(()) => {
                    let _ = reply.send(Ok(()));
                }
                Err(CommandError::Blocked) => {
                    queue.push_front((data, reply));
                    return;
                }
                Err(err) => {
                    let _ = reply.send(Err(err.into()));
                }
            }
        }
        self.blocked_writes.remove(message);
    }

    fn check_shutdowns(&mut self) {
        let messages = &self.messages;
        let (done, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut self.shutdowns)
            .into_iter()
            .partition(|(session, _)| !messages.values().any(|(s, _)| s == session));
        self.shutdowns = waiting;
        for (session, reply) in done {
            self.close_session(session);
            if !self.kept && self.sessions.is_empty() && self.binding.is_empty() {
                // That was the last session, so the connection is finishing:
                // answer when it is done.
                self.closing.push(reply);
            } else {
                let _ = reply.send(());
            }
        }
    }

    // ---- events ------------------------------------------------------

    /// Hands events to their receivers; `false` when a session's channel
    /// is full (the event waits, and so does the connection's input).
    fn dispatch(&mut self, cx: &mut Context<'_>) -> bool {
        let progress = self.dispatch_events(cx);
        // One wake-up per session for all this round brought it (see
        // `inbox`), also when a full queue stopped the round.
        for session in self.unflushed.drain(..) {
            if let Some(sink) = self.sessions.get_mut(&session) {
                sink.unflushed = false;
                sink.incoming.flush();
            }
        }
        progress
    }

    fn dispatch_events(&mut self, cx: &mut Context<'_>) -> bool {
        let mut progress = false;
        loop {
            if let Some((session, item)) = self.held.take() {
                match self
                    .sessions
                    .get_mut(&session)
                    .map(|s| s.incoming.poll_ready(cx))
                {
                    Some(Poll::Pending) => {
                        self.held = Some((session, item));
                        return progress;
                    }
                    Some(Poll::Ready(Ok(()))) => {
                        if let Some(sink) = self.sessions.get_mut(&session) {
                            sink.incoming.push(item);
                            if !sink.unflushed {
                                sink.unflushed = true;
                                self.unflushed.push(session);
                            }
                        }
                    }
                    // The application dropped the session's receiver: it
                    // wants nothing more from this session.
                    Some(Poll::Ready(Err(_))) => self.close_session(session),
                    None => {}
                }
                progress = true;
            }
            let Some(event) = self.conn.poll_event() else {
                return progress;
            };
            progress = true;
            self.on_event(event);
        }
    }

    /// Takes a session's bind out of the table. A connection with none
    /// left keeps no table (0.2 KiB on each connection of a server).
    fn take_binding(&mut self, session: SessionHandle) -> Option<(BindReply, Path)> {
        let taken = self.binding.remove(&session);
        msrp_proto::spare::release_empty_table(&mut self.binding);
        taken
    }

    fn on_event(&mut self, event: Event) {
        let span = self.span.clone();
        let _entered = span.enter();
        match event {
            Event::BindRequest(request) => self.on_bind_request(&request),
            Event::SessionBound {
                session,
                remote_path,
            } => {
                debug!(target: "msrp::traffic", ?session, %remote_path, "session bound");
                self.on_bound(session, remote_path);
            }
            Event::SessionFailed {
                session,
                code,
                comment,
            } => {
                debug!(target: "msrp::traffic", ?session, code, %comment, "session failed");
                self.sessions.remove(&session);
                if code == 408 && self.conn.is_closed() {
                    // Not a timeout: the connection went (the peer closed it,
                    // or spoke something that is not MSRP) and its 408 only
                    // stands for that. Leave the bind to `Event::Closed`,
                    // already queued, which fails it with the real reason
                    // instead of "timed out waiting for the session to bind".
                    return;
                }
                if let Some((reply, _)) = self.take_binding(session) {
                    reply(Err(if code == 408 {
                        Error::Timeout(Phase::Bind)
                    } else {
                        Error::Refused { code, comment }
                    }));
                }
            }
            Event::Progress {
                message,
                confirmed,
                total,
                ..
            } => {
                if let Some((_, tx)) = self.messages.get(&message) {
                    let _ = tx.unbounded_send(MessageUpdate::Progress { confirmed, total });
                }
            }
            Event::Outcome {
                message, outcome, ..
            } => {
                debug!(target: "msrp::traffic", %message, ?outcome, "message outcome");
                if let Some((_, tx)) = self.messages.remove(&message) {
                    let _ = tx.unbounded_send(MessageUpdate::Outcome(outcome));
                }
                if let Some(queue) = self.blocked_writes.remove(&message) {
                    for (_, reply) in queue {
                        let _ = reply.send(Err(Error::Command(CommandError::UnknownMessage)));
                    }
                }
                self.check_shutdowns();
            }
            Event::Writable { message, .. } => self.retry_writes(&message),
            Event::MessageStarted {
                session,
                message,
                head,
                total,
            } => self.hold(
                session,
                Incoming::Started {
                    message,
                    head,
                    total,
                },
            ),
            Event::MessageData {
                session,
                message,
                offset,
                data,
            } => self.hold(
                session,
                Incoming::Data {
                    message,
                    offset,
                    data,
                },
            ),
            Event::MessageCompleted {
                session,
                message,
                size,
                chunks,
            } => self.hold(
                session,
                Incoming::Completed {
                    message,
                    size,
                    chunks,
                },
            ),
            Event::MessageAborted {
                session,
                message,
                received,
            } => self.hold(session, Incoming::Aborted { message, received }),
            Event::MessageReceived {
                session,
                message,
                head,
                body,
                chunks,
            } => self.hold(
                session,
                Incoming::Message(ReceivedMessage {
                    message,
                    head,
                    body,
                    chunks,
                }),
            ),
            Event::ChunkReceived { session, chunk } => self.hold(session, Incoming::Chunk(chunk)),
            Event::ChunkResponse {
                request,
                code,
                comment,
            } => {
                if let Some(tx) = self.chunk_replies.remove(&request) {
                    let _ = tx.send(ChunkResponse { code, comment });
                }
            }
            Event::NicknameResult {
                request,
                code,
                comment,
                ..
            } => self.on_nickname_result(request, code, comment),
            Event::NicknameRequest {
                session,
                request,
                nickname,
            } => self.hold(session, Incoming::Nickname { request, nickname }),
            Event::Closed { reason } => {
                debug!(target: "msrp::traffic", %reason, "connection closed");
                if let Ok(mut slot) = self.handle.shared.close_reason.lock() {
                    *slot = Some(reason.clone());
                }
                for (_, (reply, _)) in self.binding.drain() {
                    reply(Err(Error::Closed(reason.clone())));
                }
                if let Some(reply) = self.auth_reply.take() {
                    let _ = reply.send(Err(Error::Closed(reason.clone())));
                }
                for (_, reply) in self.nickname_replies.drain() {
                    let _ = reply.send(Err(Error::Closed(reason.clone())));
                }
                for (_, reply) in self.shutdowns.drain(..) {
                    let _ = reply.send(());
                }
                for (_, queue) in self.blocked_writes.drain() {
                    for (_, reply) in queue {
                        let _ = reply.send(Err(Error::Closed(reason.clone())));
                    }
                }
            }
            Event::Authenticated { use_path, expires } => {
                debug!(target: "msrp::traffic", %use_path, ?expires, "authenticated to the relay");
                if let Some(reply) = self.auth_reply.take() {
                    let _ = reply.send(Ok((use_path, expires)));
                }
            }
            Event::AuthFailed { code, comment } => {
                debug!(target: "msrp::traffic", code, %comment, "relay authentication failed");
                // A failed renewal closes the connection in the core, and
                // its sessions learn why from `Event::Closed`.
                if let Some(reply) = self.auth_reply.take() {
                    let _ = reply.send(Err(Error::Refused { code, comment }));
                }
            }
            _ => {}
        }
    }

    fn on_nickname_result(&mut self, request: RequestId, code: u16, comment: Option<String>) {
        debug!(target: "msrp::traffic", ?request, code, ?comment, "NICKNAME answered");
        if code == 408 && self.conn.is_closed() {
            // Not a timeout: the connection went, and `Event::Closed`,
            // already queued, answers with the real reason.
            return;
        }
        let Some(reply) = self.nickname_replies.remove(&request) else {
            return;
        };
        let _ = reply.send(match code {
            200 => Ok(()),
            408 => Err(Error::Timeout(Phase::Nickname)),
            _ => Err(Error::Refused {
                code,
                comment: comment.unwrap_or_default(),
            }),
        });
    }

    fn hold(&mut self, session: SessionHandle, item: Incoming) {
        // `dispatch` sends it as soon as the session's channel has room.
        self.held = Some((session, item));
    }

    fn on_bind_request(&mut self, request: &BindRequest) {
        let decision = match &self.policy {
            Some(policy) => policy.decide(request),
            None => BindDecision::Reject(481),
        };
        match decision {
            BindDecision::Accept { config, reply } => {
                let result = self.conn.accept_bind((*config).clone());
                self.track_bind(result, *config, reply);
            }
            BindDecision::Reject(code) => {
                let _ = self.conn.reject_bind(code);
            }
        }
    }

    fn on_bound(&mut self, session: SessionHandle, remote_path: Path) {
        let Some((reply, local_path)) = self.take_binding(session) else {
            return;
        };
        let Some(config) = self.conn.session_config(session).cloned() else {
            return;
        };
        let (tx, rx) = inbox(self.event_capacity, self.event_bytes);
        self.sessions.insert(
            session,
            SessionSink {
                incoming: tx,
                unflushed: false,
            },
        );
        reply(Ok(SessionParts {
            session,
            driver: self.handle.clone(),
            incoming: rx,
            local_path,
            remote_path,
            config,
        }));
    }

    // ---- I/O -----------------------------------------------------------

    fn poll_write(&mut self) -> io::Result<bool> {
        let mut progress = false;
        loop {
            let now = self.now();
            // After the peer's end of stream, only what was handed out
            // before it still goes (see `take_deferred_eof`).
            while self.out.len() < WRITE_BATCH && self.eof_deferred.is_none() {
                let Some(bytes) = self.conn.poll_transmit(now) else {
                    break;
                };
                if tracing::enabled!(target: "msrp::traffic", tracing::Level::TRACE) {
                    trace!(target: "msrp::traffic", parent: &self.span, ">>> {}", escape(&bytes));
                }
                self.out.push(bytes);
            }
            if self.out.write_once(&mut self.io, &self.writable)?.is_none() {
                break;
            }
            progress = true;
        }
        self.out.flush(&mut self.io, &self.writable)?;
        Ok(progress)
    }

    fn poll_timer(&mut self, cx: &mut Context<'_>) -> bool {
        if self.bulk_until.is_some_and(|until| until <= self.now()) {
            // The bulk stopped: a connection now quiet between chunks gives
            // back its read buffer and the blocks kept for reuse.
            self.bulk_until = None;
            if self.conn.input_idle() {
                self.conn.release_input_buffer();
            }
        }
        let conn_at = self.conn.poll_timeout();
        let deadlines = [conn_at, self.eof_deferred, self.bulk_until];
        let Some(at) = deadlines.into_iter().flatten().min() else {
            return false;
        };
        let now = self.now();
        // Compare with the clock first: a timer polled late must still fire.
        if at <= now {
            if conn_at.is_some_and(|c| c <= now) {
                self.conn.handle_timeout(now);
            }
            return true;
        }
        // The runtime's timer is moved only to an earlier instant: one set
        // for an earlier deadline fires early at worst, and is then set
        // again. The idle and keep-alive deadlines move with every read and
        // write; following them cost a reactor wake-up each on async-io.
        if self.timer_at.is_none_or(|set| set > at) {
            self.timer.reset(at);
            self.timer_at = Some(at);
        }
        if self.timer.poll_fire(cx).is_ready() {
            if self.timer_at.take() == Some(at) && conn_at == Some(at) {
                let now = self.now();
                self.conn.handle_timeout(now.max(at));
            }
            return true;
        }
        false
    }

    fn round(&mut self, cx: &mut Context<'_>) -> bool {
        let mut progress = false;
        while let Poll::Ready(Some(command)) = Pin::new(&mut self.commands).poll_next(cx) {
            progress = true;
            self.on_command(command);
        }
        let mut read = 0;
        for _ in 0..READS_PER_ROUND {
            let Some(n) = self.poll_read() else {
                break;
            };
            progress = true;
            read += n;
            if n == 0 || read >= READ_PER_ROUND {
                break;
            }
        }
        progress |= self.poll_timer(cx);
        match self.poll_write() {
            Ok(wrote) => progress |= wrote | self.take_deferred_eof(),
            Err(err) => {
                debug!(target: "msrp::traffic", parent: &self.span, %err, "write failed");
                let now = self.now();
                self.conn.handle_reset(now);
                self.out.clear();
                self.eof_deferred = None;
                progress = true;
            }
        }
        progress |= self.dispatch(cx);
        progress
    }
}

impl Future for Driver {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        this.task.register(cx.waker());
        for _ in 0..BUDGET {
            let progress = this.round(cx);
            if this.conn.is_closed() && this.held.is_none() && this.out.is_empty() {
                // Everything said: close the socket and end the task.
                if !this.io_closed {
                    match Pin::new(&mut this.io).poll_close(cx) {
                        Poll::Pending => return Poll::Pending,
                        Poll::Ready(_) => this.io_closed = true,
                    }
                }
                // Let the receivers see the end of their streams.
                this.sessions.clear();
                this.messages.clear();
                this.chunk_replies.clear();
                this.nickname_replies.clear();
                // Messages queued after the end get their outcome too.
                this.commands.close();
                while let Ok(command) = this.commands.try_recv() {
                    if let Command::Queue { updates, .. } = command {
                        let outcome = not_queued(&CommandError::Closed, &this.handle);
                        let _ = updates.unbounded_send(MessageUpdate::Outcome(outcome));
                    }
                }
                return Poll::Ready(());
            }
            if !progress {
                return Poll::Pending;
            }
        }
        // Used up the budget: let other tasks run, then continue.
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// Wire bytes for a log line: printable ASCII as is, the rest escaped.
fn escape(bytes: &[u8]) -> String {
    bytes.escape_ascii().to_string()
}

/// The outcome of a message the connection would not take (see
/// [`Session::send_message`](crate::Session::send_message)): the status
/// code a peer would have given for the same fault, and 408 with the
/// reason when the connection has ended (RFC 4975 §7.1.1 treats a lost
/// connection as a timeout).
fn not_queued(err: &CommandError, driver: &DriverHandle) -> Outcome {
    let (code, comment) = match err {
        CommandError::Closed => (408, driver.closed_error().to_string()),
        CommandError::UnknownSession | CommandError::NotBound => (481, err.to_string()),
        CommandError::TooManyMessages => (413, err.to_string()),
        _ => (400, err.to_string()),
    };
    Outcome::Failed {
        code,
        comment: format!("not sent: {comment}"),
    }
}
