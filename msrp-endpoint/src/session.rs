//! Bound sessions: [`Transport`] for chunk-level work (msrplib's
//! `MSRPTransport`) and [`Session`] for messages and awaited responses
//! (msrplib's `MSRPSession` and `GreenMSRPSession`).
//!
//! Both are handles on the connection's driver task: commands go in through
//! a channel, incoming data comes out through a bounded channel. Dropping
//! either closes its session; when the last session of a connection closes,
//! the connection finishes what it was sending and closes.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Mutex, PoisonError};
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_channel::{mpsc, oneshot};
use futures_core::Stream;
use futures_util::StreamExt;
use msrp_proto::connection::{
    CommandError, MessageId, Outcome, OutgoingMessage, RequestId, SessionConfig, SessionHandle,
};
use msrp_proto::ident::IdGenerator;
use msrp_proto::path::Path;
use msrp_proto::uri::MsrpUri;
use msrp_proto::wire::{ByteRange, Chunk, ChunkHead, Continuation, Method};

use crate::driver::{Command, DriverHandle};
use crate::error::{Error, gone};
use crate::inbox::Inbox;
use crate::seed;

/// Something that arrived on a session. Which kinds arrive depends on the
/// session's [`ReceiveMode`](msrp_proto::connection::ReceiveMode).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Incoming {
    /// A message started (streaming mode).
    Started {
        /// The message.
        message: MessageId,
        /// The head of its first chunk (Content-Type, MIME headers, …).
        head: ChunkHead,
        /// Its size, if the sender gave it.
        total: Option<u64>,
    },
    /// Bytes of a message at a 0-based offset (streaming mode).
    Data {
        /// The message.
        message: MessageId,
        /// Where the bytes go.
        offset: u64,
        /// The bytes.
        data: Bytes,
    },
    /// A message arrived completely (streaming mode).
    Completed {
        /// The message.
        message: MessageId,
        /// Its size.
        size: u64,
        /// How many chunks carried it.
        chunks: u32,
    },
    /// A message was abandoned by its sender or cut off (streaming mode).
    Aborted {
        /// The message.
        message: MessageId,
        /// Bytes received before.
        received: u64,
    },
    /// A whole message (assembled mode).
    Message(ReceivedMessage),
    /// A chunk as received (chunk mode).
    Chunk(Chunk),
    /// A participant asks for a nickname (RFC 7701 §7.1). Only on sessions
    /// of a chat room's focus, with [`EndpointConfig::nicknames`](crate::EndpointConfig::nicknames)
    /// on. Answer it with [`Session::answer_nickname`]: 200 to grant it,
    /// 424 if it is malformed, 425 if it is reserved or taken. An empty
    /// nickname asks to drop the current one (SylkServer's reading).
    ///
    /// Until answered it holds one of the connection's
    /// [`max_pending_nicknames`](msrp_proto::connection::Config::max_pending_nicknames)
    /// places (more are refused with 403), and the participant waits:
    /// read the session with [`Session::next_incoming`] (or as a
    /// [`Stream`]), since [`Session::receive_message`] and
    /// [`Transport::read_chunk`] skip these items unanswered.
    Nickname {
        /// The request, for the answer.
        request: RequestId,
        /// The nickname asked for, unquoted.
        nickname: String,
    },
}

/// A whole incoming message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMessage {
    /// Its Message-ID.
    pub message: MessageId,
    /// The head of its first chunk.
    pub head: ChunkHead,
    /// The body.
    pub body: Bytes,
    /// How many chunks carried it.
    pub chunks: u32,
}

impl ReceivedMessage {
    /// Its Content-Type.
    pub fn content_type(&self) -> Option<&str> {
        self.head.content_type()
    }
}

/// News about an outgoing message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MessageUpdate {
    /// A success REPORT confirmed more bytes.
    Progress {
        /// Bytes confirmed so far.
        confirmed: u64,
        /// The message size, if known.
        total: Option<u64>,
    },
    /// The message ended.
    Outcome(Outcome),
}

/// The response to a chunk sent with [`Session::send_chunk`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkResponse {
    /// The status code (a local 408 if none came in time).
    pub code: u16,
    /// The comment, if any.
    pub comment: Option<String>,
}

/// What the driver hands over when a session binds.
pub(crate) struct SessionParts {
    pub(crate) session: SessionHandle,
    pub(crate) driver: DriverHandle,
    pub(crate) incoming: Inbox,
    pub(crate) local_path: Path,
    pub(crate) remote_path: Path,
    pub(crate) config: SessionConfig,
}

/// Closes the session when the last handle on it goes.
struct CloseOnDrop {
    session: SessionHandle,
    driver: DriverHandle,
}

impl Drop for CloseOnDrop {
    fn drop(&mut self) {
        let _ = self.driver.send(Command::CloseSession {
            session: self.session,
        });
    }
}

/// A bound MSRP session, chunk by chunk (msrplib's `MSRPTransport`).
///
/// Returned by the `complete` of a connector, acceptor or
/// [`MsrpServer`](crate::MsrpServer). Turn it into a [`Session`] for the
/// message API.
pub struct Transport {
    guard: CloseOnDrop,
    incoming: Inbox,
    local_path: Path,
    remote_path: Path,
    config: SessionConfig,
    ids: IdGenerator,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("local_path", &self.local_path)
            .field("remote_path", &self.remote_path)
            .finish_non_exhaustive()
    }
}

impl Transport {
    pub(crate) fn new(parts: SessionParts) -> Self {
        Self {
            guard: CloseOnDrop {
                session: parts.session,
                driver: parts.driver,
            },
            incoming: parts.incoming,
            local_path: parts.local_path,
            remote_path: parts.remote_path,
            config: parts.config,
            ids: IdGenerator::from_seed(seed()),
        }
    }

    /// This side's full path (relays, then the local URI).
    pub fn local_path(&self) -> &Path {
        &self.local_path
    }

    /// This side's URI.
    pub fn local_uri(&self) -> &MsrpUri {
        self.config.local_uri()
    }

    /// The peer's full path.
    pub fn remote_path(&self) -> &Path {
        &self.remote_path
    }

    /// The session's configuration.
    pub fn config(&self) -> &SessionConfig {
        &self.config
    }

    /// The To-Path of requests this side sends: its relays, then the
    /// peer's path.
    fn to_path(&self) -> Path {
        let relays = self.local_path.uris().len().saturating_sub(1);
        let mut uris: Vec<MsrpUri> = self.local_path.uris()[..relays].to_vec();
        uris.extend(self.remote_path.iter().cloned());
        Path::new(uris).unwrap_or_else(|| self.remote_path.clone())
    }

    /// A SEND chunk for this session with the right paths, a fresh
    /// transaction id, and a fresh Message-ID unless one is given (msrplib's
    /// `make_chunk`). `data` is `None` for a bodiless chunk; `start` is the
    /// 1-based position of the first byte and `total` the message size
    /// (`None` for `*`). The continuation flag is `$` when the chunk ends the
    /// message, `+` otherwise.
    pub fn make_chunk(
        &mut self,
        data: Option<Bytes>,
        content_type: Option<&str>,
        start: u64,
        total: Option<u64>,
        message_id: Option<&str>,
    ) -> Result<Chunk, Error> {
        let len = data.as_ref().map_or(0, |d| d.len() as u64);
        let end = start + len - 1;
        let message_id = message_id.map_or_else(|| self.ids.message_id(), str::to_owned);
        let range =
            ByteRange::new(start, Some(end), total).map_err(|e| Error::Config(e.to_string()))?;
        let mut head = ChunkHead::request(Method::Send, self.ids.transaction_id())
            .to_path(&self.to_path())
            .from_path(&Path::from(self.local_uri().clone()))
            .message_id(&message_id)
            .byte_range(range);
        if data.is_some() {
            head = head.content_type(content_type.unwrap_or("text/plain"));
        }
        let head = head.build().map_err(|e| Error::Config(e.to_string()))?;
        let last = total.is_some_and(|t| end >= t);
        let flag = if last {
            Continuation::Complete
        } else {
            Continuation::More
        };
        Ok(Chunk::new(head, data, flag))
    }

    /// Sends a chunk as it is (msrplib's `write`), without waiting for its
    /// response.
    pub async fn write(&self, chunk: &Chunk) -> Result<(), Error> {
        let (reply, rx) = oneshot::channel();
        self.guard.driver.send(Command::SendChunk {
            chunk: chunk.clone(),
            reply,
        })?;
        rx.await
            .map_err(|_| self.guard.driver.closed_error())?
            .map(drop)
    }

    /// The next incoming chunk (msrplib's `read_chunk`; the session must be
    /// in [`ReceiveMode::Chunks`](msrp_proto::connection::ReceiveMode::Chunks)).
    /// Other incoming items are skipped. An error when the connection ends.
    pub async fn read_chunk(&mut self) -> Result<Chunk, Error> {
        loop {
            match self.incoming.next().await {
                Some(Incoming::Chunk(chunk)) => return Ok(chunk),
                Some(_) => continue,
                None => return Err(self.guard.driver.closed_error()),
            }
        }
    }

    /// The next thing that arrived, `None` once the session is over.
    pub async fn next_incoming(&mut self) -> Option<Incoming> {
        self.incoming.next().await
    }

    /// Checks the To-Path and From-Path of an incoming SEND against this
    /// session (msrplib's `check_incoming_SEND_chunk`; RFC 4975 §7.3): the
    /// To-Path must be exactly this side's URI and the From-Path this side's
    /// relays followed by the peer's path. The connection applies the same
    /// rule itself (answering 481) before anything reaches the application.
    pub fn check_incoming_send_chunk(&self, chunk: &Chunk) -> Result<(), Error> {
        let head = chunk.head();
        let refused = |what: &str| Error::Refused {
            code: 481,
            comment: format!("{what} does not match the session"),
        };
        if head.to_path().uris() != std::slice::from_ref(self.local_uri()) {
            return Err(refused("To-Path"));
        }
        if *head.from_path() != self.to_path() {
            return Err(refused("From-Path"));
        }
        Ok(())
    }

    fn session(&self) -> SessionHandle {
        self.guard.session
    }

    pub(crate) fn driver(&self) -> &DriverHandle {
        &self.guard.driver
    }
}

/// A bound MSRP session: messages out and in, and chunks with awaited
/// responses (msrplib's `MSRPSession` and `GreenMSRPSession`).
///
/// It is also a [`Stream`] of [`Incoming`] items.
#[derive(Debug)]
pub struct Session {
    transport: Transport,
    /// Message-IDs for [`send_message`](Self::send_message), made here so
    /// that queueing a message needs no answer from the connection's task.
    ids: Mutex<IdGenerator>,
}

impl Session {
    /// A session over a bound transport.
    pub fn new(transport: Transport) -> Self {
        Self {
            transport,
            ids: Mutex::new(IdGenerator::from_seed(seed())),
        }
    }

    /// The transport underneath.
    pub fn transport(&self) -> &Transport {
        &self.transport
    }

    /// This side's full path.
    pub fn local_path(&self) -> &Path {
        self.transport.local_path()
    }

    /// The peer's full path.
    pub fn remote_path(&self) -> &Path {
        self.transport.remote_path()
    }

    /// Sends a whole message; await [`OutgoingHandle::outcome`] for its fate.
    ///
    /// The message is handed to the connection's task without waiting for
    /// it, so that a sender with many messages in flight has them written
    /// together. An error here means the connection has ended; a message
    /// the connection refuses (a connection that ends meanwhile: 408, a
    /// closed session: 481, more than
    /// [`Config::max_outgoing_messages`](msrp_proto::connection::Config::max_outgoing_messages)
    /// open: 413, a malformed header: 400) ends with
    /// [`Outcome::Failed`](msrp_proto::connection::Outcome::Failed) and a
    /// comment that begins "not sent".
    pub async fn send_message(&self, message: OutgoingMessage) -> Result<OutgoingHandle, Error> {
        let id = {
            let mut ids = self.ids.lock().unwrap_or_else(PoisonError::into_inner);
            MessageId::random(&mut ids)
        };
        let (updates, rx) = mpsc::unbounded();
        let driver = self.transport.driver();
        driver.check_open()?;
        driver.send(Command::Queue {
            session: self.transport.session(),
            message,
            id: id.clone(),
            updates,
        })?;
        Ok(OutgoingHandle {
            id,
            updates: rx,
            driver: driver.clone(),
        })
    }

    /// Starts a message written piece by piece; at most the connection's
    /// send buffer waits in memory, so [`MessageWriter::write`] waits when
    /// the peer is slower than the writer.
    pub async fn begin_message(&self, message: OutgoingMessage) -> Result<MessageWriter, Error> {
        let handle = self.queue(message, true).await?;
        Ok(MessageWriter {
            driver: self.transport.driver().clone(),
            handle: Some(handle),
        })
    }

    async fn queue(&self, message: OutgoingMessage, stream: bool) -> Result<OutgoingHandle, Error> {
        let (reply, rx) = oneshot::channel();
        self.transport.driver().send(Command::Send {
            session: self.transport.session(),
            message,
            stream,
            reply,
        })?;
        let (id, updates) = rx
            .await
            .map_err(|_| self.transport.driver().closed_error())??;
        Ok(OutgoingHandle {
            id,
            updates,
            driver: self.transport.driver().clone(),
        })
    }

    /// Sends a chunk as it is and returns its response as a future
    /// (msrplib's `send_chunk` with a response callback). With
    /// `Failure-Report: no` no response comes and the future ends with an
    /// error when the connection does.
    pub async fn send_chunk(&self, chunk: Chunk) -> Result<ResponseFuture, Error> {
        let (reply, rx) = oneshot::channel();
        self.transport
            .driver()
            .send(Command::SendChunk { chunk, reply })?;
        let response = rx
            .await
            .map_err(|_| self.transport.driver().closed_error())??;
        Ok(ResponseFuture {
            rx: response,
            driver: self.transport.driver().clone(),
        })
    }

    /// Sends a chunk and waits for its response (msrplib's `deliver_chunk`):
    /// `Ok` for a 200, [`Error::Refused`] for an error status. With
    /// `Failure-Report: no` it returns at once with `None`.
    pub async fn deliver_chunk(&self, chunk: Chunk) -> Result<Option<ChunkResponse>, Error> {
        let expects = chunk.head().failure_report() != Some(msrp_proto::wire::FailureReport::No);
        let response = self.send_chunk(chunk).await?;
        if !expects {
            return Ok(None);
        }
        let response = response.await?;
        if response.code == 200 {
            Ok(Some(response))
        } else {
            Err(Error::Refused {
                code: response.code,
                comment: response.comment.unwrap_or_default(),
            })
        }
    }

    /// Asks the focus of the chat room for a nickname (RFC 7701 §7.1; the
    /// focus offers it with `a=chatroom:nickname` in its SDP) and waits for
    /// the answer: `Ok` for 200, [`Error::Refused`] for an error status —
    /// 424 malformed, 425 reserved or already in use, 501 from a peer that
    /// is no focus — and [`Error::Timeout`]`(`[`Phase::Nickname`](crate::Phase::Nickname)`)`
    /// when none comes within the transaction timeout (30 s by default).
    /// An empty nickname asks the focus to drop the current one.
    ///
    /// A nickname that cannot be sent (a control character such as CR or
    /// LF) gives [`CommandError::InvalidNickname`] at once.
    ///
    /// The request goes out when this is called; the future (which borrows
    /// nothing) waits for the answer, so a task can go on reading the
    /// session meanwhile.
    pub fn set_nickname(
        &self,
        nickname: &str,
    ) -> impl Future<Output = Result<(), Error>> + Send + 'static {
        let (reply, rx) = oneshot::channel();
        let driver = self.transport.driver().clone();
        let sent = driver.send(Command::SetNickname {
            session: self.transport.session(),
            nickname: nickname.to_owned(),
            reply,
        });
        async move {
            sent?;
            rx.await.map_err(|_| driver.closed_error())?
        }
    }

    /// Answers a NICKNAME request that arrived as [`Incoming::Nickname`]
    /// (this side is the focus): 200 grants the nickname, 424 calls it
    /// malformed, 425 reserved or already in use (RFC 7701 §7.1); any code
    /// from 200 to 999 goes. [`CommandError::UnknownRequest`] if it was
    /// already answered or its session is gone.
    pub async fn answer_nickname(&self, request: RequestId, code: u16) -> Result<(), Error> {
        let (reply, rx) = oneshot::channel();
        self.transport.driver().send(Command::AnswerNickname {
            request,
            code,
            reply,
        })?;
        rx.await
            .map_err(|_| self.transport.driver().closed_error())?
    }

    /// The next incoming chunk (msrplib's `receive_chunk`; chunk mode).
    pub async fn receive_chunk(&mut self) -> Result<Chunk, Error> {
        self.transport.read_chunk().await
    }

    /// The next whole incoming message (assembled mode); other items are
    /// skipped.
    pub async fn receive_message(&mut self) -> Result<ReceivedMessage, Error> {
        loop {
            match self.transport.next_incoming().await {
                Some(Incoming::Message(message)) => return Ok(message),
                Some(_) => continue,
                None => return Err(self.transport.driver().closed_error()),
            }
        }
    }

    /// The next thing that arrived, `None` once the session is over.
    pub async fn next_incoming(&mut self) -> Option<Incoming> {
        self.transport.next_incoming().await
    }

    /// Waits until every message already sent has its outcome, then closes
    /// the session (and the connection, if it was the last one on it). When
    /// it closes the connection, it returns once the connection has written
    /// everything and closed, so a program may exit right after it.
    pub async fn shutdown(self) {
        let (reply, rx) = oneshot::channel();
        if self
            .transport
            .driver()
            .send(Command::Shutdown {
                session: self.transport.session(),
                reply,
            })
            .is_ok()
        {
            let _ = rx.await;
        }
    }
}

impl Stream for Session {
    type Item = Incoming;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Incoming>> {
        Pin::new(&mut self.transport.incoming).poll_next(cx)
    }
}

/// The response to a chunk, as a future.
#[derive(Debug)]
pub struct ResponseFuture {
    rx: oneshot::Receiver<ChunkResponse>,
    driver: DriverHandle,
}

impl Future for ResponseFuture {
    type Output = Result<ChunkResponse, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match Pin::new(&mut self.rx).poll(cx) {
            Poll::Ready(Ok(response)) => Poll::Ready(Ok(response)),
            Poll::Ready(Err(_)) => Poll::Ready(Err(self.driver.closed_error())),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl std::fmt::Debug for DriverHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DriverHandle")
    }
}

/// An outgoing message on its way.
#[derive(Debug)]
pub struct OutgoingHandle {
    id: MessageId,
    updates: mpsc::UnboundedReceiver<MessageUpdate>,
    driver: DriverHandle,
}

impl OutgoingHandle {
    /// The Message-ID.
    pub fn id(&self) -> &MessageId {
        &self.id
    }

    /// The next update: progress from success REPORTs, then the outcome.
    pub async fn next_update(&mut self) -> Option<MessageUpdate> {
        self.updates.next().await
    }

    /// Waits for the outcome. A connection that ends first gives
    /// [`Outcome::Failed`] with 408.
    pub async fn outcome(mut self) -> Outcome {
        while let Some(update) = self.updates.next().await {
            if let MessageUpdate::Outcome(outcome) = update {
                return outcome;
            }
        }
        Outcome::Failed {
            code: 408,
            comment: self.driver.closed_error().to_string(),
        }
    }

    /// Abandons the message (the chunk in flight ends with `#`).
    pub fn abort(&self) {
        let _ = self.driver.send(Command::Abort {
            message: self.id.clone(),
        });
    }
}

/// Writes a message piece by piece.
#[derive(Debug)]
pub struct MessageWriter {
    driver: DriverHandle,
    handle: Option<OutgoingHandle>,
}

impl MessageWriter {
    /// The Message-ID.
    pub fn id(&self) -> Option<&MessageId> {
        self.handle.as_ref().map(OutgoingHandle::id)
    }

    /// The message's handle while it is being written, to take the updates
    /// that arrived so far (progress from success REPORTs) between writes.
    pub fn handle_mut(&mut self) -> Option<&mut OutgoingHandle> {
        self.handle.as_mut()
    }

    /// Appends bytes; waits while the send buffer is full.
    pub async fn write(&mut self, data: Bytes) -> Result<(), Error> {
        let Some(handle) = &self.handle else {
            return Err(gone());
        };
        let (reply, rx) = oneshot::channel();
        self.driver.send(Command::Write {
            message: handle.id.clone(),
            data,
            reply,
        })?;
        rx.await.map_err(|_| self.driver.closed_error())?
    }

    /// Ends the message; its handle gives the outcome. A message whose size
    /// was announced ends by itself once all of it is written, so its
    /// outcome may already have come, or the connection already ended: the
    /// handle is returned all the same, and its outcome tells.
    pub async fn finish(mut self) -> Result<OutgoingHandle, Error> {
        let Some(handle) = self.handle.take() else {
            return Err(gone());
        };
        let (reply, rx) = oneshot::channel();
        let result = match self.driver.send(Command::Finish {
            message: handle.id.clone(),
            reply,
        }) {
            Ok(()) => rx.await.unwrap_or_else(|_| Err(self.driver.closed_error())),
            Err(err) => Err(err),
        };
        match result {
            Ok(()) | Err(Error::Command(CommandError::UnknownMessage) | Error::Closed(_)) => {
                Ok(handle)
            }
            Err(err) => Err(err),
        }
    }

    /// Abandons the message.
    pub fn abort(mut self) -> Option<OutgoingHandle> {
        let handle = self.handle.take()?;
        handle.abort();
        Some(handle)
    }
}

impl Drop for MessageWriter {
    fn drop(&mut self) {
        // An unfinished message cannot be completed by anyone else.
        if let Some(handle) = &self.handle {
            handle.abort();
        }
    }
}
