//! Sending messages: chunking, interruption, aborts, and the outcome of each
//! message (RFC 4975 §5.1, §7.1.1, §7.1.2).
//!
//! A message is cut into chunks of at most the session's chunk size. A chunk
//! longer than 2048 bytes declares its end as `*`, which makes it
//! interruptible (§7.1.1): when a response, a REPORT or another message is
//! waiting, the chunk in flight ends early with `+` and the message resumes
//! later in a new chunk, under a new transaction id, at the next byte. So a
//! large file never holds up a short chat message.
//!
//! A chunk only ever covers bytes that are already buffered when it starts,
//! so the whole body of every chunk is known before its head goes out and
//! the transaction id can be checked against it (§7.1: the end-line must not
//! occur in the body).

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::time::Instant;

use bytes::{BufMut, Bytes, BytesMut};

use crate::wire::header::wire_rank;
use crate::wire::{
    ChunkHead, Continuation, FailureReport, HeaderName, MediaType, Method, SuccessReport,
    put_decimal,
};

use super::event::{Event, MessageId, Outcome, SessionHandle};
use super::ranges::RangeSet;
use super::session::SessionState;
use super::transactions::{TxId, TxKind};
use super::{CommandError, Connection};

/// Chunks up to this size need not be interruptible (RFC 4975 §7.1.1), so
/// they declare their exact end.
const MAX_UNINTERRUPTIBLE: usize = 2048;

/// A message to send: its content type, body (or announced size, for a
/// message written piece by piece), report settings and MIME headers.
///
/// ```
/// use bytes::Bytes;
/// use msrp_proto::connection::OutgoingMessage;
/// use msrp_proto::wire::{FailureReport, SuccessReport};
/// let chat = OutgoingMessage::new("text/plain").body(Bytes::from_static(b"Hi!"));
/// let file = OutgoingMessage::new("application/pdf")
///     .size(1 << 20)
///     .header("Content-Disposition", "attachment; filename=\"report.pdf\"")
///     .success_report(SuccessReport::Yes)
///     .failure_report(FailureReport::Partial);
/// # let _ = (chat, file);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct OutgoingMessage {
    pub(crate) content_type: String,
    pub(crate) body: Option<Bytes>,
    pub(crate) size: Option<u64>,
    pub(crate) success_report: SuccessReport,
    pub(crate) failure_report: FailureReport,
    pub(crate) headers: Vec<(String, String)>,
}

impl OutgoingMessage {
    /// A message of this content type, with the default reports
    /// (Success-Report `no`, Failure-Report `yes`).
    pub fn new(content_type: impl Into<String>) -> Self {
        Self {
            content_type: content_type.into(),
            body: None,
            size: None,
            success_report: SuccessReport::No,
            failure_report: FailureReport::Yes,
            headers: Vec::new(),
        }
    }

    /// The whole body, for [`send_message`](super::Connection::send_message).
    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        let body = body.into();
        self.size = Some(body.len() as u64);
        self.body = Some(body);
        self
    }

    /// The size of a message written piece by piece with
    /// [`begin_message`](super::Connection::begin_message); without it the
    /// size is sent as `*` until the end.
    pub fn size(mut self, size: u64) -> Self {
        self.size = Some(size);
        self
    }

    /// Whether the receiver should confirm delivery with a REPORT.
    pub fn success_report(mut self, value: SuccessReport) -> Self {
        self.success_report = value;
        self
    }

    /// Which failures the receiver should report.
    pub fn failure_report(mut self, value: FailureReport) -> Self {
        self.failure_report = value;
        self
    }

    /// Adds a MIME header (Content-Disposition, Content-ID,
    /// Content-Description, …) sent on every chunk.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Its Content-Type.
    pub fn content_type(&self) -> &str {
        &self.content_type
    }

    /// Its body, when given whole with [`body`](Self::body).
    pub fn body_bytes(&self) -> Option<&Bytes> {
        self.body.as_ref()
    }

    /// Its Success-Report and Failure-Report settings.
    pub fn reports(&self) -> (SuccessReport, FailureReport) {
        (self.success_report, self.failure_report)
    }
}

/// Why a message stopped before it was all sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Stop {
    Aborted,
    Failed { code: u16, comment: String },
}

impl Stop {
    fn outcome(&self) -> Outcome {
        match self {
            Self::Aborted => Outcome::Aborted,
            Self::Failed { code, comment } => Outcome::Failed {
                code: *code,
                comment: comment.clone(),
            },
        }
    }
}

/// An outgoing message whose outcome is not known yet.
#[derive(Debug)]
pub(crate) struct OutMessage {
    pub(crate) session: SessionHandle,
    /// Report headers, MIME headers and Content-Type, ready to go on each chunk.
    mime: Bytes,
    success_report: bool,
    failure_report: FailureReport,
    pub(crate) total: Option<u64>,
    data: VecDeque<Bytes>,
    buffered: usize,
    finished: bool,
    /// 1-based position of the next byte to send.
    next: u64,
    pub(crate) stop: Option<Stop>,
    /// Chunks sent and not yet answered 200.
    unacked: u32,
    confirmed: RangeSet,
    all_sent: bool,
    /// Whether a `#` chunk must still go out to abandon it on the wire.
    owes_abort_chunk: bool,
    /// Whether it is begun and not ended on the wire (counted in
    /// `Connection::open_messages`).
    open: bool,
    waiting_timer: bool,
    blocked: bool,
    /// Random start of every transaction id of this message's chunks: an
    /// error response to a `Failure-Report: partial` chunk finds its message
    /// by it, so such chunks need no record of their own (their number would
    /// otherwise grow with the sending rate).
    tid_prefix: [u8; TID_PREFIX_LEN],
    /// Whether its id is in `Connection::ready`. Kept so that `make_ready`,
    /// `conclude` and `finish_with` need not scan that queue, which holds
    /// every queued message (benches/connection.rs: the scan in
    /// `finish_with` was the largest cost of sending small messages).
    queued: bool,
}

impl OutMessage {
    /// Whether every byte of the message went out and the peer owes no
    /// confirmation of it: only an error could still come (Failure-Report
    /// `partial`) or nothing at all (`no`), with Success-Report `no`. When
    /// the peer then closes cleanly, the message was sent as far as this
    /// side can ever know.
    pub(crate) fn sent_unconfirmable(&self) -> bool {
        self.stop.is_none()
            && self.all_sent
            && self.finished
            && self.unacked == 0
            && !self.success_report
            && self.failure_report != FailureReport::Yes
    }
}

/// Length of [`OutMessage::tid_prefix`]; the rest of a chunk's transaction id
/// is as long again, so each id keeps 71 random bits of its own.
const TID_PREFIX_LEN: usize = 12;

/// The chunk being sent.
#[derive(Debug)]
pub(crate) struct CurrentChunk {
    message: MessageId,
    tid: TxId,
    /// Body bytes of this chunk still to hand out.
    remaining: usize,
    /// Body bytes of this chunk handed out.
    sent: usize,
    interruptible: bool,
}

/// Headers an application may add to a message: the MIME headers of
/// RFC 4975 §9 (`Other-Mime-header`) and extensions. The others belong to
/// the connection.
fn is_reserved(name: &str) -> bool {
    HeaderName::lookup(name).is_some_and(|known| {
        !matches!(
            known,
            HeaderName::ContentId | HeaderName::ContentDescription | HeaderName::ContentDisposition
        )
    })
}

/// Validates the content type and headers of a message and writes the
/// headers that go on each of its chunks: reports, MIME headers, and
/// Content-Type last (§9).
fn render_mime(msg: &OutgoingMessage) -> Result<Bytes, CommandError> {
    if let Some((name, _)) = msg.headers.iter().find(|(name, _)| is_reserved(name)) {
        return Err(CommandError::ReservedHeader(name.clone()));
    }
    if !msg.headers.is_empty() || MediaType::parse(&msg.content_type).is_err() {
        // The parser's own rules decide, with its errors.
        let placeholder = "msrp://placeholder.invalid:1/s;tcp";
        let mut probe = ChunkHead::request(Method::Send, "abcd")
            .header("To-Path", placeholder)
            .header("From-Path", placeholder)
            .content_type(&msg.content_type);
        for (name, value) in &msg.headers {
            probe = probe.header(name, value);
        }
        probe.build().map_err(CommandError::InvalidHeader)?;
    }
    let mut extra: Vec<&(String, String)> = msg.headers.iter().collect();
    extra.sort_by_key(|(name, _)| wire_rank(name));
    let mut out = BytesMut::new();
    if msg.success_report == SuccessReport::Yes {
        out.put_slice(b"Success-Report: yes\r\n");
    }
    if msg.failure_report != FailureReport::Yes {
        let _ = write!(out, "Failure-Report: {}\r\n", msg.failure_report.as_str());
    }
    for (name, value) in extra {
        let _ = write!(out, "{name}: {value}\r\n");
    }
    let _ = write!(out, "Content-Type: {}\r\n", msg.content_type);
    Ok(out.freeze())
}

impl Connection {
    /// Queues a message whose whole body is given.
    pub(crate) fn queue_message(
        &mut self,
        session: SessionHandle,
        msg: OutgoingMessage,
        finished: bool,
        id: Option<MessageId>,
    ) -> Result<MessageId, CommandError> {
        if self.closing() {
            return Err(CommandError::Closed);
        }
        let Some(s) = self.session(session) else {
            return Err(CommandError::UnknownSession);
        };
        let bound = s.state == SessionState::Bound;
        // A session never has more messages than the connection, so the
        // per-session count (a scan of every message) is only needed near
        // the limit; counting on every call made queueing n messages O(n²).
        let limit = self.config.max_outgoing_messages;
        if self.messages.len() >= limit
            && self
                .messages
                .values()
                .filter(|m| m.session == session)
                .count()
                >= limit
        {
            return Err(CommandError::TooManyMessages);
        }
        if id.as_ref().is_some_and(|id| self.messages.contains_key(id)) {
            return Err(CommandError::DuplicateMessage);
        }
        let mime = self.mime_for(&msg)?;
        let id = id.unwrap_or_else(|| MessageId::random(&mut self.ids));
        let mut data = VecDeque::new();
        let mut buffered = 0;
        if let Some(body) = msg.body.filter(|b| !b.is_empty()) {
            buffered = body.len();
            data.push_back(body);
        }
        self.messages.insert(
            id.clone(),
            OutMessage {
                session,
                mime,
                success_report: msg.success_report == SuccessReport::Yes,
                failure_report: msg.failure_report,
                total: msg.size,
                data,
                buffered,
                finished,
                next: 1,
                stop: None,
                unacked: 0,
                confirmed: RangeSet::default(),
                all_sent: false,
                owes_abort_chunk: false,
                open: false,
                waiting_timer: false,
                blocked: false,
                tid_prefix: {
                    let mut prefix = [0; TID_PREFIX_LEN];
                    self.ids.fill_alphanumeric(&mut prefix);
                    prefix
                },
                queued: bound,
            },
        );
        if bound {
            self.ready.push_back(id.clone());
        }
        Ok(id)
    }

    /// The per-chunk headers of a message; a chat sends the same content
    /// type and reports again and again, so the last rendering is reused.
    fn mime_for(&mut self, msg: &OutgoingMessage) -> Result<Bytes, CommandError> {
        if !msg.headers.is_empty() {
            return render_mime(msg);
        }
        let key = (
            msg.content_type.as_str(),
            msg.success_report,
            msg.failure_report,
        );
        if let Some((content_type, sr, fr, mime)) = &self.last_mime {
            if (content_type.as_str(), *sr, *fr) == key {
                return Ok(mime.clone());
            }
        }
        let mime = render_mime(msg)?;
        self.last_mime = Some((
            msg.content_type.clone(),
            msg.success_report,
            msg.failure_report,
            mime.clone(),
        ));
        Ok(mime)
    }

    /// Appends bytes to a message being written piece by piece.
    pub(crate) fn write_message(
        &mut self,
        id: &MessageId,
        data: Bytes,
    ) -> Result<(), CommandError> {
        let limit = self.config.send_buffer;
        let Some(msg) = self.messages.get_mut(id) else {
            return Err(CommandError::UnknownMessage);
        };
        if msg.stop.is_some() {
            return Err(CommandError::UnknownMessage);
        }
        let written = msg.next - 1 + msg.buffered as u64 + data.len() as u64;
        if msg.total.is_some_and(|total| written > total) {
            // Past the announced size (also once it was all written).
            return Err(CommandError::TooLong);
        }
        if msg.finished {
            return Err(CommandError::Finished);
        }
        // A write is refused only while earlier bytes wait that will drain.
        // The last byte of a message of unknown size waits for `finish`
        // (see `chunk_head`), so it does not count: refusing the next write
        // because of it would wait for a `Writable` that never comes.
        let draining = if msg.total.is_none() {
            msg.buffered.saturating_sub(1)
        } else {
            msg.buffered
        };
        if draining > 0 && msg.buffered + data.len() > limit {
            msg.blocked = true;
            return Err(CommandError::Blocked);
        }
        if data.is_empty() {
            return Ok(());
        }
        msg.buffered += data.len();
        msg.data.push_back(data);
        if msg.total == Some(written) {
            // Every announced byte is written: the message is complete, and
            // its last chunk says so (`$`) without waiting for `finish`. Its
            // outcome must not wait for `finish` either, or a peer that
            // closes once it has everything would turn it into a failure.
            msg.finished = true;
        }
        self.make_ready(id);
        Ok(())
    }

    /// Marks a message written piece by piece as complete.
    pub(crate) fn finish_message(&mut self, id: &MessageId) -> Result<(), CommandError> {
        let Some(msg) = self.messages.get_mut(id) else {
            return Err(CommandError::UnknownMessage);
        };
        if msg.finished {
            // Already complete (every announced byte was written): finishing
            // it anyway is harmless.
            return Ok(());
        }
        if msg.stop.is_some() {
            // Aborted or failed, its `#` not yet sent: ended for the
            // application, as `write` already answers.
            return Err(CommandError::UnknownMessage);
        }
        let written = msg.next - 1 + msg.buffered as u64;
        if msg.total.is_some_and(|total| written < total) {
            return Err(CommandError::TooShort);
        }
        msg.finished = true;
        msg.total = Some(written);
        if msg.all_sent {
            // Its last chunk already went out: the outcome may be known.
            let now = self.now;
            self.settle(id, now);
        } else {
            self.make_ready(id);
        }
        Ok(())
    }

    /// Abandons a message: the chunk in flight ends with `#`, or a `#` chunk
    /// goes out if some of it was already sent.
    pub(crate) fn abort_message(&mut self, id: &MessageId) -> Result<(), CommandError> {
        self.stop_message(id, Stop::Aborted);
        Ok(())
    }

    fn make_ready(&mut self, id: &MessageId) {
        let in_flight = self.current.as_ref().is_some_and(|c| &c.message == id);
        let Some(msg) = self.messages.get(id) else {
            return;
        };
        let bound = self
            .session(msg.session)
            .is_some_and(|s| s.state == SessionState::Bound);
        if bound && !in_flight && !msg.queued {
            if let Some(msg) = self.messages.get_mut(id) {
                msg.queued = true;
            }
            self.ready.push_back(id.clone());
        }
    }

    /// The outgoing messages of a session.
    pub(crate) fn messages_of(&self, session: SessionHandle) -> Vec<MessageId> {
        self.messages
            .iter()
            .filter(|(_, m)| m.session == session)
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// Queues every message of a session that just got bound.
    pub(crate) fn release_messages(&mut self, session: SessionHandle) {
        for id in self.messages_of(session) {
            self.make_ready(&id);
        }
    }

    /// Stops a message: no more of it is sent, and it ends with `stop` as
    /// its outcome once the wire agrees.
    pub(crate) fn stop_message(&mut self, id: &MessageId, stop: Stop) {
        let in_flight = self.current.as_ref().is_some_and(|c| &c.message == id);
        let Some(msg) = self.messages.get_mut(id) else {
            return;
        };
        if msg.stop.is_some() {
            return;
        }
        msg.data.clear();
        msg.buffered = 0;
        let started = msg.next > 1;
        msg.stop = Some(stop);
        if in_flight {
            // The chunk in flight ends with `#` at the next transmit.
            return;
        }
        if started && !msg.all_sent {
            msg.owes_abort_chunk = true;
            if msg.queued {
                self.ready.retain(|m| m != id);
            }
            msg.queued = true;
            self.ready.push_front(id.clone());
        } else {
            self.conclude(id);
        }
    }

    /// Whether a chunk of `id` is being sent.
    pub(crate) fn is_in_flight(&self, id: &MessageId) -> bool {
        self.current.as_ref().is_some_and(|c| &c.message == id)
    }

    /// Emits the outcome of a stopped or finished message and forgets it.
    pub(crate) fn conclude(&mut self, id: &MessageId) {
        if let Some(msg) = self.messages.get(id) {
            let outcome = msg.stop.as_ref().map_or(Outcome::Delivered, Stop::outcome);
            self.finish_with(id, outcome);
        }
    }

    pub(crate) fn finish_with(&mut self, id: &MessageId, outcome: Outcome) {
        self.mark_closed(id);
        if let Some(msg) = self.messages.remove(id) {
            if msg.queued {
                self.ready.retain(|m| m != id);
            }
            self.push_event(Event::Outcome {
                session: msg.session,
                message: id.clone(),
                outcome,
            });
        }
    }

    /// Decides the outcome of a message that may be done, or starts the
    /// timer that will (RFC 4975 §7.1.1, §7.1.2: which confirmations the
    /// report settings ask for).
    fn settle(&mut self, id: &MessageId, now: Instant) {
        let Some(msg) = self.messages.get_mut(id) else {
            return;
        };
        // The outcome waits for `finish` too: until then the application
        // may still call it (and its message must still exist).
        if !msg.all_sent || !msg.finished || msg.unacked > 0 || msg.stop.is_some() {
            return;
        }
        let size = msg.next - 1;
        if msg.success_report {
            if msg.confirmed.covers(size) {
                self.finish_with(id, Outcome::Delivered);
            } else if !msg.waiting_timer {
                msg.waiting_timer = true;
                let at = now + self.config.report_timeout;
                self.arm_message_timer(id.clone(), at);
            }
            return;
        }
        match msg.failure_report {
            FailureReport::Yes => self.finish_with(id, Outcome::Delivered),
            FailureReport::No => self.finish_with(id, Outcome::Sent),
            FailureReport::Partial if self.config.partial_report_wait.is_zero() => {
                self.finish_with(id, Outcome::Sent);
            }
            FailureReport::Partial if !msg.waiting_timer => {
                // No news is good news, but only after an error had its
                // chance to arrive.
                msg.waiting_timer = true;
                let at = now + self.config.partial_report_wait;
                self.arm_message_timer(id.clone(), at);
            }
            FailureReport::Partial => {}
        }
    }

    /// A message timer ran out: the success REPORT never came, or no error
    /// came for a `partial` message.
    pub(crate) fn on_message_timer(&mut self, id: &MessageId) {
        let Some(msg) = self.messages.get(id) else {
            return;
        };
        let outcome = if msg.success_report {
            Outcome::Failed {
                code: 408,
                comment: "no success report arrived".into(),
            }
        } else {
            Outcome::Sent
        };
        self.finish_with(id, outcome);
    }

    /// The response to a chunk of a message.
    pub(crate) fn on_chunk_response(
        &mut self,
        id: &MessageId,
        code: u16,
        comment: Option<&str>,
        now: Instant,
    ) {
        let Some(msg) = self.messages.get_mut(id) else {
            return;
        };
        if code == 200 {
            if msg.failure_report == FailureReport::Yes {
                msg.unacked = msg.unacked.saturating_sub(1);
            }
            self.settle(id, now);
        } else {
            // §10: 413 asks to stop sending the message; any other error
            // fails it just as surely.
            let comment = comment.unwrap_or("").to_owned();
            self.stop_message(id, Stop::Failed { code, comment });
        }
    }

    /// A REPORT for an outgoing message (§7.1.2, §7.3.2).
    pub(crate) fn on_report(
        &mut self,
        id: &MessageId,
        code: u16,
        comment: Option<&str>,
        range: (u64, Option<u64>),
        now: Instant,
    ) {
        let Some(msg) = self.messages.get_mut(id) else {
            return;
        };
        if code != 200 {
            let comment = comment.unwrap_or("").to_owned();
            self.stop_message(id, Stop::Failed { code, comment });
            return;
        }
        let (start, end) = range;
        let end = end.or(msg.total).unwrap_or(msg.next - 1);
        msg.confirmed.insert(start, end);
        let (session, confirmed, total) = (msg.session, msg.confirmed.len(), msg.total);
        self.push_event(Event::Progress {
            session,
            message: id.clone(),
            confirmed,
            total,
        });
        let msg = self.messages.get_mut(id);
        if let Some(msg) = msg {
            let size = msg.total.unwrap_or(msg.next - 1);
            if msg.all_sent
                && msg.finished
                && msg.stop.is_none()
                && msg.confirmed.covers(size)
                && msg.success_report
            {
                self.finish_with(id, Outcome::Delivered);
                return;
            }
        }
        self.settle(id, now);
    }

    /// The next piece of a message to transmit, if any.
    pub(crate) fn transmit_message(&mut self, now: Instant) -> Option<Bytes> {
        if self.current.is_some() {
            return self.continue_chunk(now);
        }
        if let Some(control) = self.pop_control() {
            return Some(control);
        }
        self.start_chunk()
    }

    fn continue_chunk(&mut self, now: Instant) -> Option<Bytes> {
        let others_waiting = self.has_control() || !self.ready.is_empty();
        let cur = self.current.as_mut()?;
        let Some(msg) = self.messages.get_mut(&cur.message) else {
            return Some(self.end_chunk(Continuation::Aborted, now));
        };
        if msg.stop.is_some() {
            return Some(self.end_chunk(Continuation::Aborted, now));
        }
        if cur.remaining == 0 {
            // The last chunk ends with `$` (RFC 4975 §7.1.1). With a size
            // announced up front, the chunk that carries its last byte is
            // the last, even before `finish`: a later empty `$` chunk would
            // reach a receiver that already completed the message.
            let all_written = msg.total == Some(msg.next - 1);
            let complete = msg.buffered == 0 && (msg.finished || all_written);
            let flag = if complete {
                Continuation::Complete
            } else {
                Continuation::More
            };
            return Some(self.end_chunk(flag, now));
        }
        if cur.interruptible && cur.sent > 0 && others_waiting {
            return Some(self.end_chunk(Continuation::More, now));
        }
        let want = cur.remaining.min(self.config.transmit_piece.max(1));
        let front = msg.data.front_mut()?;
        let piece = if front.len() <= want {
            msg.data.pop_front()?
        } else {
            front.split_to(want)
        };
        let len = piece.len();
        msg.buffered -= len;
        msg.next += len as u64;
        cur.sent += len;
        cur.remaining -= len;
        if msg.blocked && msg.buffered < self.config.send_buffer {
            msg.blocked = false;
            let event = Event::Writable {
                session: msg.session,
                message: cur.message.clone(),
            };
            self.push_event(event);
        }
        Some(piece)
    }

    fn end_chunk(&mut self, flag: Continuation, now: Instant) -> Bytes {
        let Some(cur) = self.current.take() else {
            return Bytes::new();
        };
        let end = crate::wire::end_line(cur.tid.as_bytes(), flag, true);
        self.transactions
            .arm(cur.tid, now + self.config.transaction_timeout);
        match flag {
            Continuation::Complete => {
                self.mark_closed(&cur.message);
                if let Some(msg) = self.messages.get_mut(&cur.message) {
                    msg.all_sent = true;
                }
                self.settle(&cur.message, now);
            }
            Continuation::More => self.make_ready(&cur.message),
            Continuation::Aborted => {
                self.mark_closed(&cur.message);
                if let Some(msg) = self.messages.get_mut(&cur.message) {
                    msg.owes_abort_chunk = false;
                }
                self.conclude(&cur.message);
            }
        }
        end
    }

    /// Starts the next chunk of the next message that has bytes to send;
    /// a message not begun yet waits while `max_open_messages` are.
    fn start_chunk(&mut self) -> Option<Bytes> {
        if self.transactions.expecting() >= self.config.max_pending_transactions {
            return None;
        }
        let mut waiting = Vec::new();
        let mut started = None;
        while let Some(id) = self.ready.pop_front() {
            let Some(msg) = self.messages.get_mut(&id) else {
                continue;
            };
            if !msg.open && self.open_messages >= self.config.max_open_messages.max(1) {
                waiting.push(id);
                continue;
            }
            msg.queued = false;
            if let Some(head) = self.chunk_head(&id) {
                started = Some(head);
                break;
            }
        }
        // Those that wait keep their place, ahead of the rest.
        for id in waiting.into_iter().rev() {
            self.ready.push_front(id);
        }
        started
    }

    /// The message's first chunk goes out: it is open until its last.
    fn mark_open(&mut self, id: &MessageId) {
        if let Some(msg) = self.messages.get_mut(id) {
            if !msg.open {
                msg.open = true;
                self.open_messages += 1;
            }
        }
    }

    /// The message's last chunk (or its `#`) went out, or it is gone.
    pub(crate) fn mark_closed(&mut self, id: &MessageId) {
        if let Some(msg) = self.messages.get_mut(id) {
            if msg.open {
                msg.open = false;
                self.open_messages = self.open_messages.saturating_sub(1);
            }
        }
    }

    /// Writes the head of the next chunk of `id`, or `None` if it has
    /// nothing to send right now.
    fn chunk_head(&mut self, id: &MessageId) -> Option<Bytes> {
        let msg = self.messages.get(id)?;
        let session = self.sessions.iter().find(|s| s.handle == msg.session)?;
        let aborting = msg.owes_abort_chunk;
        if msg.stop.is_some() && !aborting {
            return None;
        }
        let remaining_total = msg.total.map(|t| t.saturating_sub(msg.next - 1));
        let mut len = if aborting {
            0
        } else {
            msg.buffered.min(session.chunk_size)
        };
        if let Some(rest) = remaining_total {
            len = len.min(usize::try_from(rest).unwrap_or(usize::MAX));
        } else if !msg.finished {
            // Of a message of unknown size, the last byte written waits for
            // `finish`: the chunk that carries it can then end the message
            // (`$`). Were every byte sent, nothing would be left to end it.
            len = len.min(msg.buffered.saturating_sub(1));
        }
        // A finished message with no bytes left still owes the chunk that
        // ends it with `$` (RFC 4975 §7.1.1): an empty message, or one written
        // piece by piece whose last bytes went out (ending `+`) before
        // `finish` told its size. That chunk has an empty body.
        let closing = msg.finished && msg.buffered == 0 && !msg.all_sent;
        if len == 0 && !aborting && !closing {
            return None;
        }
        self.mark_open(id);
        let tid = self.fresh_tid(id, len);
        let msg = self.messages.get(id)?;
        let session = self.sessions.iter().find(|s| s.handle == msg.session)?;
        let interruptible = len > MAX_UNINTERRUPTIBLE;
        let start = msg.next;
        // Written into a reused buffer and copied out at its exact size: a
        // buffer with room to spare costs a second allocation when frozen
        // into `Bytes`, and writing a `Vec` inlines what `BytesMut` calls
        // (benches/connection.rs, small). Piece by piece: `write!` cost
        // more than the rest of the head together.
        let head = &mut self.scratch;
        head.clear();
        head.extend_from_slice(b"MSRP ");
        head.extend_from_slice(tid.as_bytes());
        head.extend_from_slice(b" SEND\r\n");
        head.extend_from_slice(&session.request_paths);
        head.extend_from_slice(b"Message-ID: ");
        head.extend_from_slice(id.as_str().as_bytes());
        head.extend_from_slice(b"\r\nByte-Range: ");
        put_decimal(head, start);
        head.push(b'-');
        if interruptible {
            head.push(b'*');
        } else {
            put_decimal(head, start + len as u64 - 1);
        }
        match msg.total {
            Some(total) => {
                head.push(b'/');
                put_decimal(head, total);
                head.extend_from_slice(b"\r\n");
            }
            None => head.extend_from_slice(b"/*\r\n"),
        }
        head.extend_from_slice(&msg.mime);
        head.extend_from_slice(b"\r\n");
        let head = Bytes::copy_from_slice(head);
        let expects_ok = msg.failure_report == FailureReport::Yes;
        // Partial chunks are found by their tid prefix instead of a record.
        if !aborting && expects_ok {
            self.transactions.insert(
                tid,
                TxKind::Chunk {
                    session: msg.session,
                    message: id.clone(),
                },
                expects_ok,
            );
            if expects_ok {
                if let Some(msg) = self.messages.get_mut(id) {
                    msg.unacked += 1;
                }
            }
        }
        self.current = Some(CurrentChunk {
            message: id.clone(),
            tid,
            remaining: len,
            sent: 0,
            interruptible,
        });
        Some(head)
    }

    /// A transaction id that does not occur as an end-line in the next
    /// `len` buffered bytes of the message (RFC 4975 §7.1).
    fn fresh_tid(&mut self, id: &MessageId, len: usize) -> TxId {
        let prefix = match self.messages.get(id) {
            Some(msg) => msg.tid_prefix,
            None => {
                let mut prefix = [0; TID_PREFIX_LEN];
                self.ids.fill_alphanumeric(&mut prefix);
                prefix
            }
        };
        let mut tid = TxId::random(&prefix, 2 * TID_PREFIX_LEN, &mut self.ids);
        // Sixteen tries in all; the last is kept whatever it is.
        for _ in 1..16 {
            let collides = self
                .messages
                .get(id)
                .is_some_and(|msg| self.body_collides(msg.data.iter(), len, &tid));
            if !collides {
                break;
            }
            tid = TxId::random(&prefix, 2 * TID_PREFIX_LEN, &mut self.ids);
        }
        tid
    }

    /// The `Failure-Report: partial` message whose chunk an unknown
    /// transaction id belongs to, if any (see [`OutMessage::tid_prefix`]).
    pub(crate) fn partial_message_of(&self, tid: &str) -> Option<MessageId> {
        let prefix = tid.as_bytes().get(..TID_PREFIX_LEN)?;
        self.messages
            .iter()
            .find(|(_, m)| m.failure_report == FailureReport::Partial && m.tid_prefix == prefix)
            .map(|(id, _)| id.clone())
    }
}
