//! What a relay sends on one connection: whole frames (its responses and
//! REPORTs, forwarded responses and small requests) and forwarded SEND
//! chunks whose bodies stream through as they arrive.
//!
//! A forwarded chunk goes out as one or more *parts*, each a chunk of its
//! own with a transaction id and Byte-Range. A part is interrupted (ended
//! with `+`, RFC 4975 §7.1) when a frame waits — a response must not sit
//! behind megabytes of someone else's file — when a chunk of another
//! connection waits and this one has had its turn (`interrupt_after`
//! bytes) or has nothing to send, or when the body holds this part's own
//! end-line. The rest of the chunk goes later as a new part starting at the
//! next byte. Chunks from one upstream connection leave in the order they
//! came, so a message's byte ranges never overtake each other.
//!
//! On a connection with a chunk size limit (a WebSocket client, RFC 7977
//! §5.1: one chunk per message, and the peer's message limit) a part also
//! ends, with `+`, once it is as large as the limit allows with its head
//! and end-line: a chunk of any size from a TCP sender is re-chunked
//! (RFC 4976 §6.4.1) into parts that fit.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;

use bytes::Bytes;
use memchr::memmem::Finder;

use crate::ident::IdGenerator;
use crate::uri::MsrpUri;
use crate::wire::{Continuation, FailureReport, end_line};

use super::conn::ConnId;
use super::frames::HeadTemplate;

/// RFC 4975 §7.1.1: chunks over 2048 bytes must be interruptible; a frame
/// waiting for this connection interrupts a part once it carried this much.
const MIN_PART: u64 = 2048;

/// `\r\n-------`: what precedes the transaction id in an end-line.
const END_LINE_PREFIX: &[u8] = b"\r\n-------";

/// Bytes to hand to a connection's socket, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Transmit {
    /// The bytes.
    pub data: Bytes,
    /// Whether a chunk (or a whole frame) ends with these bytes: a
    /// message-oriented transport such as WebSocket (RFC 7977 §5.1, one
    /// chunk per message) frames at these points.
    pub end_of_chunk: bool,
}

/// Who gets a failure REPORT for a forwarded SEND, and what it says
/// (RFC 4976 §6.4.1).
#[derive(Debug, Clone)]
pub(crate) struct ReportTarget {
    /// The connection the SEND came from.
    pub(crate) upstream: ConnId,
    /// The SEND's From-Path as received: the REPORT's To-Path.
    pub(crate) to: Vec<MsrpUri>,
    /// This relay's URI the SEND was addressed to: the REPORT's From-Path.
    pub(crate) from: MsrpUri,
    pub(crate) message_id: String,
    pub(crate) failure_report: FailureReport,
}

/// What [`Output::poll`] did that the relay must know about.
#[derive(Debug, Clone)]
pub(crate) enum Note {
    /// A part's head went out under `tid`, covering bytes from `start`.
    PartStarted {
        tid: String,
        start: u64,
        total: Option<u64>,
        report: Option<Arc<ReportTarget>>,
    },
    /// A part's end-line went out: it carried `start..=last` (`last` is
    /// `start - 1` for an empty part).
    PartEnded {
        tid: String,
        last: u64,
        flag: Continuation,
    },
}

/// A forwarded SEND chunk on its way out.
#[derive(Debug)]
pub(crate) struct Stream {
    pub(crate) upstream: ConnId,
    template: HeadTemplate,
    has_body: bool,
    /// Position (1-based) of the next body byte to send.
    next: u64,
    /// Whether any part went out yet.
    started: bool,
    end: Option<u64>,
    total: Option<u64>,
    pending: VecDeque<Bytes>,
    pending_len: usize,
    ended: Option<Continuation>,
    part: Option<Part>,
    /// Whether it is in the ready queue.
    queued: bool,
    pub(crate) report: Option<Arc<ReportTarget>>,
}

/// The part of a stream on the wire.
#[derive(Debug)]
struct Part {
    tid: String,
    start: u64,
    sent: u64,
    /// The last body bytes sent (fewer than an end-line), to find an
    /// end-line split across two pieces; starts as the CRLF before the body.
    tail: Vec<u8>,
    /// Most body bytes it may carry (the chunk size limit less its head
    /// and end-line); `None`: no limit.
    room: Option<u64>,
}

impl Stream {
    pub(crate) fn new(
        upstream: ConnId,
        template: HeadTemplate,
        has_body: bool,
        range: (u64, Option<u64>, Option<u64>),
        report: Option<Arc<ReportTarget>>,
    ) -> Self {
        Self {
            upstream,
            template,
            has_body,
            next: range.0,
            started: false,
            end: range.1,
            total: range.2,
            pending: VecDeque::new(),
            pending_len: 0,
            ended: None,
            part: None,
            queued: false,
            report,
        }
    }

    fn ready(&self) -> bool {
        !self.pending.is_empty() || self.ended.is_some()
    }

    /// The part of the chunk not sent yet: `next-end/total`.
    pub(crate) fn unsent_range(&self) -> (u64, Option<u64>, Option<u64>) {
        (self.next, self.end, self.total)
    }
}

/// The output of one connection.
#[derive(Debug)]
pub(crate) struct Output {
    control: VecDeque<Bytes>,
    /// By id: ids grow, so this is creation order.
    streams: BTreeMap<u64, Stream>,
    /// The ids of `streams` by upstream connection, oldest first: only the
    /// oldest of an upstream may go (scanning `streams` for an older one
    /// made many chunks in flight cost quadratic time).
    by_upstream: HashMap<ConnId, VecDeque<u64>>,
    /// How many of `streams` have not started.
    unstarted: usize,
    ready: VecDeque<u64>,
    current: Option<u64>,
    /// Body bytes of the current stream since it became current.
    since_switch: usize,
    /// Frame bytes and body bytes waiting.
    queued: usize,
    pub(crate) notes: Vec<Note>,
    /// Most bytes of one chunk written here, start line to end-line (a
    /// WebSocket peer's message limit); `None`: no limit.
    pub(crate) max_chunk: Option<usize>,
    finder: Finder<'static>,
}

impl Default for Output {
    fn default() -> Self {
        Self {
            control: VecDeque::new(),
            streams: BTreeMap::new(),
            by_upstream: HashMap::new(),
            unstarted: 0,
            ready: VecDeque::new(),
            current: None,
            since_switch: 0,
            queued: 0,
            notes: Vec::new(),
            max_chunk: None,
            finder: Finder::new(END_LINE_PREFIX),
        }
    }
}

impl Output {
    /// Bytes waiting to be sent.
    pub(crate) fn queued(&self) -> usize {
        self.queued
    }

    /// Whether nothing at all is left to send.
    pub(crate) fn is_empty(&self) -> bool {
        self.control.is_empty() && self.streams.is_empty()
    }

    /// Forwarded chunks none of which went out yet (those that did are
    /// counted by their transactions).
    pub(crate) fn unstarted(&self) -> usize {
        self.unstarted
    }

    pub(crate) fn push_frame(&mut self, frame: Bytes) {
        self.queued += frame.len();
        self.control.push_back(frame);
    }

    pub(crate) fn open(&mut self, id: u64, stream: Stream) {
        if !stream.started {
            self.unstarted += 1;
        }
        self.by_upstream
            .entry(stream.upstream)
            .or_default()
            .push_back(id);
        if let Some(old) = self.streams.insert(id, stream) {
            // Ids are never reused; should one be, forget the old stream.
            self.forget(id, &old);
        }
    }

    /// Takes stream `id` out of every index.
    fn remove_stream(&mut self, id: u64) -> Option<Stream> {
        let stream = self.streams.remove(&id)?;
        self.forget(id, &stream);
        Some(stream)
    }

    fn forget(&mut self, id: u64, stream: &Stream) {
        if !stream.started {
            self.unstarted -= 1;
        }
        if let Some(ids) = self.by_upstream.get_mut(&stream.upstream) {
            if let Some(at) = ids.iter().position(|&i| i == id) {
                ids.remove(at);
            }
            if ids.is_empty() {
                self.by_upstream.remove(&stream.upstream);
            }
        }
        if stream.queued {
            self.ready.retain(|&r| r != id);
        }
    }

    pub(crate) fn has_stream(&self, id: u64) -> bool {
        self.streams.contains_key(&id)
    }

    pub(crate) fn push_body(&mut self, id: u64, data: Bytes) {
        if let Some(s) = self.streams.get_mut(&id) {
            if s.ended.is_none() && !data.is_empty() {
                self.queued += data.len();
                s.pending_len += data.len();
                s.pending.push_back(data);
                self.mark_ready(id);
            }
        }
    }

    pub(crate) fn end(&mut self, id: u64, flag: Continuation) {
        if let Some(s) = self.streams.get_mut(&id) {
            if s.ended.is_none() {
                s.ended = Some(flag);
                self.mark_ready(id);
            }
        }
    }

    /// The upstream connection went away in the middle of the chunk: what
    /// already went out ends with `#` (RFC 4975 §7.1: the sender abandoned
    /// the message); a chunk nothing of which went out is dropped.
    pub(crate) fn abort(&mut self, id: u64) {
        let Some(s) = self.streams.get_mut(&id) else {
            return;
        };
        self.queued -= s.pending_len;
        s.pending.clear();
        s.pending_len = 0;
        if !s.started {
            self.remove_stream(id);
            return;
        }
        s.ended = Some(Continuation::Aborted);
        self.mark_ready(id);
    }

    /// Streams still here (for reports when the connection goes).
    pub(crate) fn streams(&self) -> impl Iterator<Item = (u64, &Stream)> {
        self.streams.iter().map(|(id, s)| (*id, s))
    }

    /// The tid and range of the part of `id` on the wire now, if any.
    pub(crate) fn open_part(&self, id: u64) -> Option<(String, u64, u64)> {
        let s = self.streams.get(&id)?;
        s.part.as_ref().map(|p| (p.tid.clone(), p.start, p.sent))
    }

    fn mark_ready(&mut self, id: u64) {
        if self.current == Some(id) {
            return;
        }
        if let Some(s) = self.streams.get_mut(&id) {
            if !s.queued && s.ready() {
                s.queued = true;
                self.ready.push_back(id);
            }
        }
    }

    /// Whether `id` may go now: no older stream from its upstream is left
    /// (chunks of one connection keep their order).
    fn eligible(&self, id: u64) -> bool {
        let Some(s) = self.streams.get(&id) else {
            return false;
        };
        self.by_upstream.get(&s.upstream).and_then(VecDeque::front) == Some(&id)
    }

    /// Whether a stream from an upstream other than `upstream` waits.
    fn others_ready(&self, upstream: ConnId) -> bool {
        self.ready.iter().any(|&id| {
            self.streams
                .get(&id)
                .is_some_and(|s| s.upstream != upstream && s.ready())
                && self.eligible(id)
        })
    }

    fn pop_ready(&mut self) -> Option<u64> {
        let at = self.ready.iter().position(|&id| {
            self.streams.get(&id).is_some_and(Stream::ready) && self.eligible(id)
        })?;
        let id = self.ready.remove(at)?;
        if let Some(s) = self.streams.get_mut(&id) {
            s.queued = false;
        }
        Some(id)
    }

    /// The next bytes to send, if any. `quantum` is `interrupt_after`,
    /// `max_piece` the largest body piece.
    pub(crate) fn poll(
        &mut self,
        ids: &mut IdGenerator,
        quantum: usize,
        max_piece: usize,
    ) -> Option<Transmit> {
        if let Some(current) = self.current {
            return self.poll_current(current, quantum, max_piece);
        }
        if let Some(frame) = self.control.pop_front() {
            self.queued -= frame.len();
            return Some(Transmit {
                data: frame,
                end_of_chunk: true,
            });
        }
        let next = self.pop_ready()?;
        self.current = Some(next);
        self.since_switch = 0;
        self.start_part(next, ids)
    }

    fn poll_current(&mut self, id: u64, quantum: usize, max_piece: usize) -> Option<Transmit> {
        let (upstream, stalled, sent, room, done) = {
            let s = self.streams.get(&id)?;
            let (sent, room) = s.part.as_ref().map_or((0, None), |p| (p.sent, p.room));
            let done = s.pending.is_empty() && s.ended.is_some();
            (s.upstream, !s.ready(), sent, room, done)
        };
        let full = room.is_some_and(|r| sent >= r);
        if full && done {
            // Exactly full with the chunk's last byte: it ends here, with
            // its own flag, not with `+` and an empty part after.
            let flag = self.streams.get(&id)?.ended?;
            return Some(self.finish(id, flag));
        }
        let frame_waits = !self.control.is_empty();
        // Whether other streams wait is asked only when it matters (it
        // looks at every ready stream).
        let cut = sent > 0
            && (full
                || (frame_waits && (sent >= MIN_PART || stalled))
                || ((stalled || self.since_switch >= quantum)
                    && (frame_waits || self.others_ready(upstream))));
        if cut {
            return Some(self.interrupt(id));
        }
        let limit = room
            .map_or(max_piece, |r| max_piece.min((r - sent.min(r)) as usize))
            .max(1);
        let s = self.streams.get_mut(&id)?;
        let Some(part) = s.part.as_mut() else {
            // Not reachable: a current stream has a part on the wire.
            self.current = None;
            return None;
        };
        let Some(mut piece) = s.pending.pop_front() else {
            let flag = s.ended?;
            return Some(self.finish(id, flag));
        };
        if piece.len() > limit {
            let rest = piece.split_off(limit);
            s.pending.push_front(rest);
        }
        // RFC 4975 §7.1: the body must not contain the chunk's end-line.
        match end_line_in(&self.finder, &part.tail, &piece, &part.tid) {
            Collision::None => {}
            Collision::Before => {
                s.pending.push_front(piece);
                return Some(self.interrupt(id));
            }
            Collision::At(at) => {
                let rest = piece.split_off(at);
                s.pending.push_front(rest);
            }
        }
        let n = piece.len();
        s.pending_len -= n;
        self.queued -= n;
        s.next += n as u64;
        part.sent += n as u64;
        self.since_switch += n;
        let keep = END_LINE_PREFIX.len() + part.tid.len() - 1;
        part.tail
            .extend_from_slice(&piece[n.saturating_sub(keep)..]);
        let excess = part.tail.len().saturating_sub(keep);
        part.tail.drain(..excess);
        Some(Transmit {
            data: piece,
            end_of_chunk: false,
        })
    }

    /// Starts a part of stream `id`: its head (and, for a bodiless chunk,
    /// its end-line).
    fn start_part(&mut self, id: u64, ids: &mut IdGenerator) -> Option<Transmit> {
        let tid = ids.transaction_id();
        let s = self.streams.get_mut(&id)?;
        if !s.started {
            s.started = true;
            self.unstarted -= 1;
        }
        self.notes.push(Note::PartStarted {
            tid: tid.clone(),
            start: s.next,
            total: s.total,
            report: s.report.clone(),
        });
        let head = s.template.render(&tid, s.next, s.end, s.total);
        // The body bytes that fit with the head and the end-line
        // (`\r\n-------<tid>+\r\n`); at least one, so that the part moves
        // on (the relay refuses heads that leave too little room).
        let room = self.max_chunk.map(|max| {
            let overhead = head.len() + END_LINE_PREFIX.len() + tid.len() + 3;
            max.saturating_sub(overhead).max(1) as u64
        });
        if !s.has_body {
            let flag = s.ended.unwrap_or(Continuation::Complete);
            let mut frame = head.to_vec();
            frame.extend_from_slice(&end_line(tid.as_bytes(), flag, false));
            self.notes.push(Note::PartEnded {
                tid,
                last: s.next.saturating_sub(1),
                flag,
            });
            self.remove_stream(id);
            self.current = None;
            return Some(Transmit {
                data: Bytes::from(frame),
                end_of_chunk: true,
            });
        }
        s.part = Some(Part {
            tid,
            start: s.next,
            sent: 0,
            tail: b"\r\n".to_vec(),
            room,
        });
        Some(Transmit {
            data: head,
            end_of_chunk: false,
        })
    }

    /// Ends the current part with `+`; the stream waits for its next turn.
    fn interrupt(&mut self, id: u64) -> Transmit {
        self.current = None;
        self.since_switch = 0;
        let Some(part) = self.streams.get_mut(&id).and_then(|s| s.part.take()) else {
            return Transmit {
                data: Bytes::new(),
                end_of_chunk: false,
            };
        };
        self.notes.push(Note::PartEnded {
            tid: part.tid.clone(),
            last: (part.start + part.sent).saturating_sub(1),
            flag: Continuation::More,
        });
        self.mark_ready(id);
        Transmit {
            data: end_line(part.tid.as_bytes(), Continuation::More, true),
            end_of_chunk: true,
        }
    }

    /// Ends the current part, and the stream, with the chunk's own flag.
    fn finish(&mut self, id: u64, flag: Continuation) -> Transmit {
        self.current = None;
        self.since_switch = 0;
        let part = self.remove_stream(id).and_then(|s| s.part);
        let Some(part) = part else {
            return Transmit {
                data: Bytes::new(),
                end_of_chunk: false,
            };
        };
        self.notes.push(Note::PartEnded {
            tid: part.tid.clone(),
            last: (part.start + part.sent).saturating_sub(1),
            flag,
        });
        Transmit {
            data: end_line(part.tid.as_bytes(), flag, true),
            end_of_chunk: true,
        }
    }
}

/// Where this part's end-line would appear if `piece` were sent.
#[derive(Debug, PartialEq, Eq)]
enum Collision {
    None,
    /// It starts in bytes already sent: end the part before `piece`.
    Before,
    /// It starts at this offset of `piece`.
    At(usize),
}

fn end_line_in(finder: &Finder<'_>, tail: &[u8], piece: &[u8], tid: &str) -> Collision {
    let line = END_LINE_PREFIX.len() + tid.len();
    let mut probe = Vec::with_capacity(tail.len() + line);
    probe.extend_from_slice(tail);
    probe.extend_from_slice(&piece[..piece.len().min(line - 1)]);
    if let Some(at) = find(finder, &probe, tid.as_bytes()) {
        if at < tail.len() {
            return Collision::Before;
        }
    }
    match find(finder, piece, tid.as_bytes()) {
        Some(0) => Collision::Before,
        Some(at) => Collision::At(at),
        None => Collision::None,
    }
}

/// The first `\r\n-------<tid>` in `body`.
fn find(finder: &Finder<'_>, body: &[u8], tid: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = finder.find(&body[from..]) {
        let at = from + i;
        if body[at + END_LINE_PREFIX.len()..].starts_with(tid) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

#[cfg(test)]
mod tests;
