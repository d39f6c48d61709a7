//! Receiving: routing each request to its session, binding, checking,
//! reassembling, answering and reporting (RFC 4975 §5.4, §7.2, §7.3).
//!
//! Messages are reassembled by Message-ID and placed by Byte-Range, so
//! chunks of several messages may interleave, arrive out of order, overlap,
//! be interrupted (`+` before the declared end), or be cut at other places by
//! relays (which also send empty `+` chunks). A message is complete when the
//! bytes received cover it.

use bytes::{Bytes, BytesMut};

use crate::wire::{
    ByteRange, Chunk, ChunkHead, Continuation, FailureReport, Method, ParseError, SuccessReport,
};

use super::Connection;
use super::event::{BindRequest, Event, MessageId, SessionHandle};
use super::ranges::RangeSet;
use super::respond;
use super::session::{ReceiveMode, SessionState};

/// The most separate byte ranges one incoming message may be in; a peer
/// scattering tiny chunks could otherwise grow the range set without bound.
const MAX_FRAGMENTS: usize = 4096;

/// An incoming message that has started and not ended.
#[derive(Debug)]
pub(crate) struct InMessage {
    /// The head of the first chunk that arrived.
    head: ChunkHead,
    total: Option<u64>,
    received: RangeSet,
    chunks: u32,
    /// Assembled mode: the pieces and their offsets, joined at the end.
    parts: Vec<(u64, Bytes)>,
}

/// What happens to the body of the chunk being received.
#[derive(Debug, Default)]
pub(crate) enum Inbound {
    /// Between chunks.
    #[default]
    Idle,
    /// Bytes go to a message.
    Deliver {
        session: SessionHandle,
        message: MessageId,
        head: ChunkHead,
        /// 0-based offset of the next byte.
        next: u64,
        /// An error response already went out for this chunk.
        failed: bool,
    },
    /// A bodiless SEND (binding, keep-alive, or a bare `#`).
    Bodiless {
        session: SessionHandle,
        head: ChunkHead,
    },
    /// The chunk is kept whole (chunk mode).
    Collect {
        session: SessionHandle,
        head: ChunkHead,
        pieces: Vec<Bytes>,
        len: usize,
    },
    /// A request other than SEND with a body: acted on only once its
    /// end-line shows the body within `Limits::max_non_send_body` (RFC 4975
    /// §7.1), as the parser would reject it otherwise. Its body is dropped.
    HoldRequest { head: ChunkHead },
    /// The body is dropped.
    Discard,
}

impl Connection {
    /// A chunk head arrived.
    pub(crate) fn on_head(&mut self, head: ChunkHead) {
        let request_with_body = head.is_request() && head.method() != Some(&Method::Send);
        if request_with_body && head.has_body() {
            self.inbound = Inbound::HoldRequest { head };
            return;
        }
        self.on_whole_head(head);
    }

    /// A chunk head whose chunk may be acted on now.
    fn on_whole_head(&mut self, head: ChunkHead) {
        self.inbound = match head.method() {
            None => {
                self.on_response(&head);
                Inbound::Discard
            }
            Some(Method::Send) => self.route_send(head),
            Some(Method::Report) => self.on_incoming_report(head),
            Some(Method::Nickname) => {
                // Its body, if any, has gone by: it was held (see `on_head`).
                self.on_nickname(&head);
                Inbound::Discard
            }
            Some(_) => {
                // §12: an unknown method gets 501. So does AUTH (this is an
                // endpoint, not a relay).
                self.respond(&head, 501);
                Inbound::Discard
            }
        };
    }

    /// Answers a request, honouring its Failure-Report (§7.1.1: `no` means no
    /// responses at all, `partial` only error responses). Through relays, an
    /// error is also reported with a failure REPORT (§7.1.4), because the
    /// response only reaches the previous hop.
    pub(crate) fn respond(&mut self, head: &ChunkHead, code: u16) {
        if head.method() == Some(&Method::Report) {
            return; // §7.1.2: REPORTs never get responses.
        }
        let is_send = head.method() == Some(&Method::Send);
        let policy = if is_send {
            head.failure_report().unwrap_or_default()
        } else {
            FailureReport::Yes
        };
        let wanted = match policy {
            FailureReport::Yes => true,
            FailureReport::Partial => code != 200,
            FailureReport::No => false,
        };
        if !wanted {
            return;
        }
        let paths = self.response_paths(head, is_send);
        self.push_control(respond::response_with_paths(
            head.transaction_id_bytes(),
            code,
            &paths,
        ));
        if is_send && code != 200 && head.from_path().len() > 1 {
            if let Some(local) = self.session_uri_for(head) {
                let tid = self.ids.transaction_id();
                let range = head.byte_range_or_default();
                let range = ByteRange {
                    start: range.start,
                    end: range.end.or(range.total),
                    total: range.total,
                };
                self.push_control(respond::report(&tid, head, &local, range, code));
            }
        }
    }

    /// The path lines of a response to `head`; those of SEND responses are
    /// the same for every chunk of a session, so the last ones are kept.
    fn response_paths(&mut self, head: &ChunkHead, is_send: bool) -> Bytes {
        if !is_send {
            return respond::response_paths(false, head.to_path(), head.from_path());
        }
        let (back, local) = (head.from_path().first(), head.to_path().first());
        if let Some((b, l, paths)) = &self.last_response_paths {
            if b == back && l == local {
                return paths.clone();
            }
        }
        let paths = respond::response_paths(true, head.to_path(), head.from_path());
        self.last_response_paths = Some((back.clone(), local.clone(), paths.clone()));
        paths
    }

    fn session_uri_for(&self, head: &ChunkHead) -> Option<crate::uri::MsrpUri> {
        let to = head.to_path().first();
        let by_sid = self.config.match_session_id_only;
        self.sessions
            .iter()
            .find(|s| s.addressed_by(to, by_sid))
            .map(|s| s.config.local_uri.clone())
    }

    /// A request the parser rejected with its framing intact: answer it if
    /// it can be answered (§7.3: 400, or 413 for an oversized body). A
    /// REPORT cannot be (§7.1.2): it is dropped without being acted on.
    pub(crate) fn on_rejected(&mut self, err: &ParseError) {
        if let Inbound::HoldRequest { head } = std::mem::take(&mut self.inbound) {
            // The body of a request other than SEND ran over its limit.
            tracing::debug!(target: "msrp::traffic", %err, tid = head.transaction_id(), "request refused");
            self.respond(&head, err.status_code());
            return;
        }
        let Some(rejected) = err.rejected() else {
            return;
        };
        let (Some(method), Some(to), Some(from)) =
            (&rejected.method, &rejected.to_path, &rejected.from_path)
        else {
            return;
        };
        if *method == Method::Report {
            return;
        }
        let bytes = respond::response_parts(
            &rejected.transaction_id,
            *method == Method::Send,
            to,
            from,
            err.status_code(),
        );
        self.push_control(bytes);
    }

    /// Decides where a SEND goes: its session (binding it if this is the
    /// first request of an expected session), or a refusal.
    pub(crate) fn route_send(&mut self, head: ChunkHead) -> Inbound {
        let by_sid = self.config.match_session_id_only;
        let to = head.to_path().first();
        let Some(index) = self
            .sessions
            .iter()
            .position(|s| s.addressed_by(to, by_sid))
        else {
            if self.config.ask_to_bind && self.parked.is_none() {
                let request = BindRequest {
                    local_uri: to.clone(),
                    remote_path: head.from_path().clone(),
                };
                self.parked = Some(head);
                self.push_event(Event::BindRequest(request));
                return Inbound::Discard;
            }
            self.respond(&head, 481);
            return Inbound::Discard;
        };
        let session = &mut self.sessions[index];
        if !session.paths_match(&head, by_sid) {
            self.respond(&head, 481);
            return Inbound::Discard;
        }
        let handle = session.handle;
        if session.state == SessionState::Expected {
            // §5.4: the first valid request binds the session to this
            // connection.
            session.state = SessionState::Bound;
            if session.remote_path.is_none() {
                session.learn_remote_path(head.from_path());
            }
            let remote_path = session
                .remote_path
                .clone()
                .unwrap_or_else(|| head.from_path().clone());
            self.ever_bound = true;
            self.push_event(Event::SessionBound {
                session: handle,
                remote_path,
            });
            self.release_messages(handle);
        }
        self.accept_send(index, head)
    }

    /// Checks a SEND for a session and prepares to take its body.
    fn accept_send(&mut self, index: usize, head: ChunkHead) -> Inbound {
        let session = &self.sessions[index];
        let handle = session.handle;
        let Some(id) = head.message_id().map(MessageId::new) else {
            self.respond(&head, 400); // §7.1: every SEND has a Message-ID.
            return Inbound::Discard;
        };
        if !head.has_body() {
            return Inbound::Bodiless {
                session: handle,
                head,
            };
        }
        let acceptable = match head.media_type() {
            Some(media) => media.matches_any(&session.config.accept_types),
            None => true,
        };
        if !acceptable {
            self.respond(&head, 415); // §7.3.1, §8.6
            return Inbound::Discard;
        }
        let mode = session.config.receive_mode;
        if mode == ReceiveMode::Chunks {
            return Inbound::Collect {
                session: handle,
                head,
                pieces: Vec::new(),
                len: 0,
            };
        }
        let range = head.byte_range_or_default();
        let refusal = match session.incoming.get(&id) {
            Some(msg)
                if range.total.is_some() && msg.total.is_some() && range.total != msg.total =>
            {
                Some(400)
            }
            Some(_) => None,
            None if session.incoming.len() >= self.config.max_incomplete_messages => Some(413),
            None if mode == ReceiveMode::Assembled
                && range
                    .total
                    .is_some_and(|t| t > self.config.max_message_size) =>
            {
                Some(413) // §7.3.1: too large to hold.
            }
            None => None,
        };
        if let Some(code) = refusal {
            self.respond(&head, code);
            return Inbound::Discard;
        }
        let session = &mut self.sessions[index];
        if !session.incoming.contains_key(&id) {
            session.incoming.insert(
                id.clone(),
                InMessage {
                    head: head.clone(),
                    total: range.total,
                    received: RangeSet::default(),
                    chunks: 0,
                    parts: Vec::new(),
                },
            );
            if mode == ReceiveMode::Stream {
                self.push_event(Event::MessageStarted {
                    session: handle,
                    message: id.clone(),
                    head: head.clone(),
                    total: range.total,
                });
            }
        } else if let Some(msg) = session.incoming.get_mut(&id) {
            msg.total = msg.total.or(range.total);
        }
        Inbound::Deliver {
            session: handle,
            message: id,
            next: range.start - 1,
            head,
            failed: false,
        }
    }

    /// Body bytes of the chunk being received.
    pub(crate) fn on_body(&mut self, data: Bytes) {
        self.inbound = match std::mem::take(&mut self.inbound) {
            Inbound::Deliver {
                session,
                message,
                head,
                next,
                failed: false,
            } => self.deliver(session, message, head, next, data),
            Inbound::Collect {
                session,
                head,
                mut pieces,
                len,
            } => {
                let len = len + data.len();
                if len > self.config.limits.max_chunk {
                    self.respond(&head, 413);
                    Inbound::Discard
                } else {
                    pieces.push(data);
                    Inbound::Collect {
                        session,
                        head,
                        pieces,
                        len,
                    }
                }
            }
            other => other,
        };
    }

    /// Hands body bytes at `offset` to their message (streaming mode) or
    /// keeps them for it (assembled mode).
    fn deliver(
        &mut self,
        session: SessionHandle,
        message: MessageId,
        head: ChunkHead,
        offset: u64,
        data: Bytes,
    ) -> Inbound {
        let max_message = self.config.max_message_size;
        let Some(index) = self.session_index(session) else {
            return Inbound::Discard;
        };
        let mode = self.sessions[index].config.receive_mode;
        let Some(msg) = self.sessions[index].incoming.get_mut(&message) else {
            return Inbound::Discard;
        };
        let end = offset.saturating_add(data.len() as u64);
        let past_total = msg.total.is_some_and(|t| end > t);
        let too_big = mode == ReceiveMode::Assembled && end > max_message;
        msg.received.insert(offset + 1, end);
        if past_total || too_big || msg.received.fragments() > MAX_FRAGMENTS {
            // More bytes than the message has, or than this side holds:
            // refuse the message (§7.3.1: a 413 stops the sender).
            let code = if past_total { 400 } else { 413 };
            self.drop_incoming(index, &message, true);
            self.respond(&head, code);
            return Inbound::Deliver {
                session,
                message,
                head,
                next: end,
                failed: true,
            };
        }
        match mode {
            ReceiveMode::Assembled => msg.parts.push((offset, data)),
            _ => self.push_event(Event::MessageData {
                session,
                message: message.clone(),
                offset,
                data,
            }),
        }
        Inbound::Deliver {
            session,
            message,
            head,
            next: end,
            failed: false,
        }
    }

    /// The end-line of the chunk being received.
    pub(crate) fn on_end(&mut self, flag: Continuation) {
        match std::mem::take(&mut self.inbound) {
            Inbound::HoldRequest { head } => {
                self.on_whole_head(head);
                // Its body, if any was wanted, has gone by.
                self.inbound = Inbound::Idle;
            }
            Inbound::Deliver {
                session,
                message,
                head,
                failed,
                ..
            } => {
                if !failed {
                    self.respond(&head, 200);
                    self.end_of_message_chunk(session, &message, &head, flag);
                }
            }
            Inbound::Bodiless { session, head } => {
                self.respond(&head, 200);
                if flag == Continuation::Aborted {
                    if let (Some(index), Some(id)) =
                        (self.session_index(session), head.message_id())
                    {
                        self.drop_incoming(index, &MessageId::new(id), true);
                    }
                }
            }
            Inbound::Collect {
                session,
                head,
                pieces,
                ..
            } => {
                self.respond(&head, 200);
                let body = join(pieces);
                let range = head.byte_range_or_default();
                if head.success_report() == Some(SuccessReport::Yes) {
                    // msrplib's per-chunk REPORT, with this chunk's range.
                    let end = range.start + body.len() as u64 - 1;
                    self.send_report(session, &head, range.start, end, range.total);
                }
                let chunk = Chunk::new(head, Some(body), flag);
                self.push_event(Event::ChunkReceived { session, chunk });
            }
            Inbound::Idle | Inbound::Discard => {}
        }
    }

    /// Accounts for a finished chunk of a message; emits the message when it
    /// is complete (and REPORTs success if asked, §7.1.3), or drops it on `#`.
    fn end_of_message_chunk(
        &mut self,
        session: SessionHandle,
        id: &MessageId,
        head: &ChunkHead,
        flag: Continuation,
    ) {
        let Some(index) = self.session_index(session) else {
            return;
        };
        if flag == Continuation::Aborted {
            self.drop_incoming(index, id, true);
            return;
        }
        let Some(msg) = self.sessions[index].incoming.get_mut(id) else {
            return;
        };
        msg.chunks += 1;
        if flag == Continuation::Complete && msg.total.is_none() {
            // `*` total: the last chunk tells where the message ends.
            let range = head.byte_range_or_default();
            msg.total = Some(
                range
                    .end
                    .unwrap_or(msg.received.contiguous_prefix())
                    .max(range.start - 1),
            );
        }
        let Some(total) = msg.total.filter(|&t| msg.received.covers(t)) else {
            return;
        };
        let Some(msg) = self.take_incoming(index, id) else {
            return;
        };
        let mode = self.sessions[index].config.receive_mode;
        let event = match mode {
            ReceiveMode::Assembled => Event::MessageReceived {
                session,
                message: id.clone(),
                head: msg.head,
                body: assemble(msg.parts, total),
                chunks: msg.chunks,
            },
            _ => Event::MessageCompleted {
                session,
                message: id.clone(),
                size: total,
                chunks: msg.chunks,
            },
        };
        self.push_event(event);
        if head.success_report() == Some(SuccessReport::Yes) && total > 0 {
            self.send_report(session, head, 1, total, Some(total));
        }
    }

    /// Queues a REPORT with status 200 for bytes `start..=end` of a message.
    fn send_report(
        &mut self,
        session: SessionHandle,
        head: &ChunkHead,
        start: u64,
        end: u64,
        total: Option<u64>,
    ) {
        let Some(index) = self.session_index(session) else {
            return;
        };
        let local = self.sessions[index].config.local_uri.clone();
        let tid = self.ids.transaction_id();
        let range = ByteRange {
            start,
            end: Some(end),
            total,
        };
        self.push_control(respond::report(&tid, head, &local, range, 200));
    }

    /// Takes an incoming message out of its session's table. A session
    /// between messages keeps no table (0.4 KiB on each session that ever
    /// received a message).
    fn take_incoming(&mut self, index: usize, id: &MessageId) -> Option<InMessage> {
        let incoming = &mut self.sessions[index].incoming;
        let msg = incoming.remove(id);
        crate::spare::release_empty_table(incoming);
        msg
    }

    /// Forgets an incoming message; `aborted` reports it to the application.
    pub(crate) fn drop_incoming(&mut self, index: usize, id: &MessageId, aborted: bool) {
        let session = self.sessions[index].handle;
        let mode = self.sessions[index].config.receive_mode;
        if let Some(msg) = self.take_incoming(index, id) {
            if aborted && mode == ReceiveMode::Stream {
                self.push_event(Event::MessageAborted {
                    session,
                    message: id.clone(),
                    received: msg.received.len(),
                });
            }
        }
    }

    /// A REPORT arrived: the outcome of one of this side's messages moves on.
    fn on_incoming_report(&mut self, head: ChunkHead) -> Inbound {
        let by_sid = self.config.match_session_id_only;
        let to = head.to_path().first();
        let Some(session) = self.sessions.iter().find(|s| s.addressed_by(to, by_sid)) else {
            return Inbound::Discard; // §7.3.2: never answered, so just ignored.
        };
        let handle = session.handle;
        let chunk_mode = session.config.receive_mode == ReceiveMode::Chunks;
        if let (Some(id), Some(status)) = (head.message_id(), head.status()) {
            let range = head.byte_range_or_default();
            let now = self.now;
            self.on_report(
                &MessageId::new(id),
                status.code,
                status.comment.as_deref(),
                (range.start, range.end),
                now,
            );
        }
        if chunk_mode {
            let chunk = Chunk::new(head, None, Continuation::Complete);
            self.push_event(Event::ChunkReceived {
                session: handle,
                chunk,
            });
        }
        Inbound::Discard
    }
}

/// Joins body pieces, without copying when there is only one.
fn join(pieces: Vec<Bytes>) -> Bytes {
    match pieces.len() {
        0 => Bytes::new(),
        1 => pieces.into_iter().next().unwrap_or_default(),
        _ => {
            let mut out = BytesMut::with_capacity(pieces.iter().map(Bytes::len).sum());
            for piece in pieces {
                out.extend_from_slice(&piece);
            }
            out.freeze()
        }
    }
}

/// Places the pieces of a message at their offsets. A message that arrived
/// in one piece is handed out as is.
fn assemble(mut parts: Vec<(u64, Bytes)>, total: u64) -> Bytes {
    if let [(0, only)] = parts.as_slice() {
        if only.len() as u64 == total {
            return only.clone();
        }
    }
    let Ok(size) = usize::try_from(total) else {
        return Bytes::new();
    };
    let mut out = BytesMut::zeroed(size);
    parts.sort_by_key(|(offset, _)| *offset);
    for (offset, data) in parts {
        let Ok(start) = usize::try_from(offset) else {
            continue;
        };
        let end = (start + data.len()).min(size);
        if start < end {
            out[start..end].copy_from_slice(&data[..end - start]);
        }
    }
    out.freeze()
}
