//! The streaming chunk parser.
//!
//! Feed it byte slices of any size as they arrive; take [`Event`]s out until
//! it answers `Ok(None)` (needs more bytes). Each chunk comes out as a
//! [`Event::Head`], zero or more [`Event::Body`] pieces and an
//! [`Event::End`]. Body pieces are slices of the receive buffer handed out
//! without copying, and no body byte is scanned twice: the parser resumes its
//! end-line search where the previous read stopped (see `end_line.rs`).
//! Heads, and small bodies that arrive whole with their head, are copies
//! instead (see `head.rs` and `head_fast.rs`): a slice takes a reference on
//! the receive block and gives it back when dropped, two atomic operations
//! that cost about as much as copying a few hundred bytes, and a small
//! message that the application keeps would keep a whole block alive.

use std::collections::VecDeque;

use bytes::{Buf, Bytes, BytesMut};

use crate::wire::end_line::{EndLineScanner, Scan, Tid, end_line_finder, end_line_flag};
use crate::wire::head::{Line, Span};
use crate::wire::head_fast;
use crate::wire::head_parse::{self, HeadParts, PathSource};
use crate::wire::path_cache::PathCache;
use crate::wire::{
    ChunkHead, Continuation, Limits, Method, ParseError, ParseErrorKind, RejectedChunk,
};

/// The least the receive buffer grows by when it must (see [`Parser::feed`]).
const FEED_BLOCK: usize = 4096;
/// Filled read blocks kept for reuse (see `Parser::spares`).
const SPARE_BLOCKS: usize = 8;

/// What the parser found.
#[derive(Debug, Clone, PartialEq, Eq)]
// A head is moved once per chunk; boxing it would cost an allocation instead.
#[allow(clippy::large_enum_variant)]
// A word-sized tag puts every variant's data at offset 8: with the one-byte
// tag, a flag at offset 1 made each move of an event out of its `Result`
// copy from offset 1, across the parser's eight-byte stores, which the CPU
// cannot forward (a tenth of `small_chunk/one_267_bytes`, perf). The size
// stays 40 bytes, with or without `Option` and `Result` around it.
#[repr(u64)]
pub enum Event {
    /// The start line and headers of a new chunk.
    Head(ChunkHead),
    /// A piece of the current chunk's body, in order.
    Body(Bytes),
    /// The end-line of the current chunk, with its continuation flag.
    End(Continuation),
}

/// When body bytes are handed out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BodyMode {
    /// As soon as they are known to be body (the default).
    #[default]
    Stream,
    /// In pieces of at least this many bytes, and the rest at the end of the
    /// chunk: msrplib's "virtual chunks" for very large chunks.
    Segments(usize),
    /// All at once at the end of the chunk, as one piece, up to
    /// [`Limits::max_chunk`] bytes; a larger chunk is rejected (413).
    Whole,
}

#[derive(Debug)]
enum State {
    /// Expecting a start line.
    Start,
    /// Start line parsed; reading header lines.
    Head {
        tid: Span,
        line: Line,
        /// Offset in the buffer where the next unread line starts.
        next_line: usize,
    },
    /// Reading a body, handing it out.
    Body(BodyState),
    /// Reading the body of a rejected chunk, dropping it.
    Skip(BodyState),
}

#[derive(Debug)]
struct BodyState {
    scanner: EndLineScanner,
    /// Body bytes of this chunk handed out (or dropped) so far.
    done: u64,
    /// Whether the body is held to [`Limits::max_non_send_body`]. Only
    /// the flag: the state moves at every step, and the limit and its
    /// error tripled its size.
    non_send: bool,
}

/// A streaming MSRP chunk parser: bytes in, [`Event`]s out.
///
/// ```
/// use msrp_proto::wire::{Continuation, Event, Limits, Parser};
/// let wire = b"MSRP a786hjs2 SEND\r\n\
///     To-Path: msrp://bob.example.com:8888/9di4eae923wzd;tcp\r\n\
///     From-Path: msrp://alicepc.example.com:7777/iau39soe2843z;tcp\r\n\
///     Message-ID: 87652491\r\n\
///     Byte-Range: 1-5/5\r\n\
///     Content-Type: text/plain\r\n\
///     \r\n\
///     Hello\r\n\
///     -------a786hjs2$\r\n";
/// let mut parser = Parser::new(Limits::default());
/// let mut body = Vec::new();
/// // Feed it in pieces of 7 bytes, as a socket might deliver them.
/// for piece in wire.chunks(7) {
///     parser.feed(piece);
///     while let Some(event) = parser.next()? {
///         match event {
///             Event::Head(head) => assert_eq!(head.message_id(), Some("87652491")),
///             Event::Body(data) => body.extend_from_slice(&data),
///             Event::End(flag) => assert_eq!(flag, Continuation::Complete),
///         }
///     }
/// }
/// assert_eq!(body, b"Hello");
/// parser.finish()?; // the stream ended between chunks
/// # Ok::<(), msrp_proto::wire::ParseError>(())
/// ```
#[derive(Debug)]
pub struct Parser {
    limits: Limits,
    mode: BodyMode,
    buf: BytesMut,
    /// The part of the buffer that the last `read_into` did not fill.
    scratch: Option<BytesMut>,
    /// Blocks `read_into` filled before the current one, oldest first, kept
    /// to be reused once nothing handed out refers to them any more: in a
    /// bulk transfer the allocator tends to hand back fresh memory for each
    /// new block, and fresh memory costs a page fault per page (a tenth of
    /// the receiver's time in `msrp bench` over TLS). The block filled just
    /// before is rarely free yet (its pieces are on their way to the
    /// application), the ones before it often are: in `msrp bench` (2 GiB
    /// received), one spare left about 25 000 blocks fresh allocations,
    /// [`SPARE_BLOCKS`] a few thousand to 20 000, by how far the reader lags.
    /// They go with [`release_idle_buffer`](Self::release_idle_buffer).
    spares: VecDeque<BytesMut>,
    /// Stream offset of `buf[0]`.
    offset: u64,
    state: State,
    /// Header line positions of the head being read (kept to reuse the allocation).
    lines: Vec<Span>,
    /// An end-line found together with the last body piece.
    pending_end: Option<Continuation>,
    /// A small body taken off the buffer with its head (see
    /// [`head_fast::WholeBody`]), handed out next. Its bytes still count as
    /// buffered and not yet consumed, as if it were read the usual way.
    pending_body: Option<head_fast::WholeBody>,
    failed: Option<ParseError>,
    /// What `advance` found other than a head, taken by `next` at once (so
    /// always empty between calls).
    other: Option<Result<Option<Event>, ParseError>>,
    /// Paths of recent heads, to skip parsing the same ones again.
    paths: PathCache,
    /// No buffer since the parser was made or gave its buffer back: the
    /// next [`feed`](Self::feed) allocates just what it brings. A quiet
    /// connection's next message mostly comes whole in one read, and the
    /// body pieces handed out keep their allocation alive until the
    /// application drops them: a [`FEED_BLOCK`] for each message in flight
    /// made a server with 10 000 sessions peak above 100 MiB (`msrp bench
    /// --sessions 10000`), before small bodies were copied out; larger ones
    /// still are slices. Kept, not derived from an empty buffer: a block
    /// used up by a busy stream is empty too, and its next feed should take
    /// a block again, not one allocation per feed.
    fit_next_feed: bool,
}

/// What [`Parser::advance`] found: two words, so that it comes back in
/// registers.
enum Advanced {
    Head(ChunkHead),
    /// Another event, or an error, in `Parser::other`.
    Other,
    Nothing,
}

impl Parser {
    /// A parser with these limits, handing out body bytes as they arrive.
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
            mode: BodyMode::Stream,
            buf: BytesMut::new(),
            scratch: None,
            spares: VecDeque::new(),
            offset: 0,
            state: State::Start,
            lines: Vec::new(),
            pending_end: None,
            pending_body: None,
            failed: None,
            other: None,
            paths: PathCache::default(),
            fit_next_feed: true,
        }
    }

    /// Changes when body bytes are handed out; takes effect at once for
    /// the bytes not yet read. A small body that arrived whole with its
    /// head is read with it, under the mode in force then.
    pub fn set_body_mode(&mut self, mode: BodyMode) {
        self.mode = mode;
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Appends received bytes (copying them into the parser's buffer).
    pub fn feed(&mut self, data: &[u8]) {
        self.scratch = None;
        // Body pieces handed out share the buffer's allocation (heads and
        // small bodies that came whole are copies), so while one is alive
        // the next feed cannot reuse it and allocates anew, by default just
        // enough for `data`. Reserving a block at a time lets the next small
        // feeds (heads, responses) land in the same allocation: one
        // allocation per block instead of one per feed.
        let fit = std::mem::take(&mut self.fit_next_feed);
        if self.buf.capacity() - self.buf.len() < data.len() {
            let block = if fit { 0 } else { FEED_BLOCK };
            self.buf.reserve(data.len().max(block));
        }
        self.buf.extend_from_slice(data);
    }

    /// Appends received bytes the caller owns. When the parser holds nothing
    /// (between chunks, or after a read that ended on a piece boundary) it
    /// takes the buffer over instead of copying it, and body pieces are then
    /// handed out as slices of the caller's own allocation.
    pub fn feed_bytes(&mut self, data: BytesMut) {
        self.scratch = None;
        self.fit_next_feed = false;
        if self.buf.is_empty() {
            self.buf = data;
        } else {
            self.buf.extend_from_slice(&data);
        }
    }

    /// Lets `read` put received bytes straight into the parser's buffer,
    /// saving the copy [`feed`](Self::feed) makes: `read` gets a slice of at
    /// most `max` initialised bytes (zeroes, or bytes of an earlier read: it
    /// is only written to) and returns how many it filled (0 for none) with a
    /// value that is passed back. The buffer grows by `block` bytes at a
    /// time, so that several reads share one allocation and body pieces
    /// handed out are slices of it.
    pub fn read_into<T>(
        &mut self,
        max: usize,
        block: usize,
        read: impl FnOnce(&mut [u8]) -> (usize, T),
    ) -> T {
        let len = self.buf.len();
        self.fit_next_feed = false;
        self.attach_scratch();
        if self.buf.len() < len + max {
            if self.buf.capacity() - len < max {
                self.buf.truncate(len);
                self.next_block(block.saturating_sub(len).max(max));
            }
            // Zeroes only what was never initialised.
            self.buf.resize(len + max, 0);
        }
        let (filled, out) = read(&mut self.buf[len..len + max]);
        // What the read left unfilled is kept aside, still initialised, for
        // the next read: zeroing `max` bytes before every attempt, including
        // those that find nothing to read, cost several percent of a bulk
        // transfer (`msrp bench`).
        self.scratch = Some(self.buf.split_off(len + filled.min(max)));
        out
    }

    /// Makes room for `additional` bytes behind the buffered ones (a few
    /// bytes, as a rule, which move along): in the current block when
    /// nothing handed out still refers to it, else in a spare block under
    /// the same condition, else in a new block. The scratch bytes need not
    /// move along.
    fn next_block(&mut self, additional: usize) {
        if self.buf.try_reclaim(additional) {
            return;
        }
        let len = self.buf.len();
        let free = self
            .spares
            .iter_mut()
            .position(|spare| spare.try_reclaim(len + additional));
        let mut next = free
            .and_then(|i| self.spares.remove(i))
            // Allocations of one size are what allocators recycle best.
            .unwrap_or_else(|| BytesMut::with_capacity(len + additional));
        next.extend_from_slice(&self.buf);
        let mut previous = std::mem::replace(&mut self.buf, next);
        previous.clear();
        if self.spares.len() == SPARE_BLOCKS {
            self.spares.pop_front();
        }
        self.spares.push_back(previous);
    }

    /// Puts the bytes kept aside by the last [`read_into`](Self::read_into)
    /// back behind the buffered ones when they follow them in memory (the
    /// same allocation); drops them otherwise.
    fn attach_scratch(&mut self) {
        let Some(scratch) = self.scratch.take() else {
            return;
        };
        let follows = self.buf.as_ptr().wrapping_add(self.buf.len()) == scratch.as_ptr();
        if follows || self.buf.is_empty() {
            // Contiguous halves of one allocation are joined without a copy.
            self.buf.unsplit(scratch);
        }
    }

    /// Gives back the receive buffer's memory when the parser holds nothing
    /// (between chunks, nothing buffered); the next read allocates anew.
    /// For connections that went quiet: a relay or server with many idle
    /// connections would otherwise keep a read block for each. Returns
    /// whether it did.
    pub fn release_idle_buffer(&mut self) -> bool {
        if !self.is_idle() {
            return false;
        }
        self.buf = BytesMut::new();
        self.scratch = None;
        self.spares = VecDeque::new();
        self.fit_next_feed = true;
        true
    }

    /// Whether the parser holds receive-buffer memory: a buffer, the part
    /// of one kept aside for the next read, or blocks kept for reuse. False
    /// before the first read and after [`release_idle_buffer`](Self::release_idle_buffer).
    pub fn holds_buffer(&self) -> bool {
        self.buf.capacity() > 0
            || self.scratch.is_some()
            || !self.spares.is_empty()
            || self.pending_body.is_some()
    }

    /// Bytes received and not yet handed out.
    pub fn buffered(&self) -> usize {
        self.buf.len() + self.pending_body.as_ref().map_or(0, |body| body.consumed)
    }

    /// Stream offset (bytes fed since creation) of the first byte not yet
    /// consumed.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Whether the parser holds part of a chunk's start line or headers:
    /// a head has begun and not ended.
    pub fn in_head(&self) -> bool {
        match self.state {
            State::Start => !self.buf.is_empty() && self.pending_body.is_none(),
            State::Head { .. } => true,
            State::Body(_) | State::Skip(_) => false,
        }
    }

    /// Whether the parser sits between two chunks with nothing buffered.
    pub fn is_idle(&self) -> bool {
        matches!(self.state, State::Start)
            && self.buf.is_empty()
            && self.pending_end.is_none()
            && self.pending_body.is_none()
    }

    /// Tells the parser that the stream ended. An error if it ended inside
    /// a chunk.
    pub fn finish(&mut self) -> Result<(), ParseError> {
        if let Some(err) = &self.failed {
            return Err(err.clone());
        }
        if self.is_idle() {
            return Ok(());
        }
        let err = ParseError::new(
            ParseErrorKind::UnexpectedEof,
            self.offset + self.buffered() as u64,
        );
        self.failed = Some(err.clone());
        Err(err)
    }

    /// The next event, `Ok(None)` when more bytes are needed.
    ///
    /// An error whose [`framing_intact`](ParseError::framing_intact) is true
    /// rejects one chunk, which the parser skips; call `next` again to go on.
    /// Any other error is final: the parser returns it from then on, and the
    /// connection must close.
    #[allow(clippy::should_implement_trait)] // fallible and resumable, unlike Iterator::next
    #[inline(always)]
    pub fn next(&mut self) -> Result<Option<Event>, ParseError> {
        if let Some(err) = &self.failed {
            return Err(err.clone());
        }
        if let Some(body) = self.pending_body.take() {
            self.offset += body.consumed as u64;
            return Ok(Some(Event::Body(body.data)));
        }
        if let Some(flag) = self.pending_end.take() {
            return Ok(Some(Event::End(flag)));
        }
        // Between chunks with nothing buffered, as after every last event
        // of a read: answered without entering the parser's large frame
        // (benches/parse.rs, small_chunk).
        if self.buf.is_empty() && matches!(self.state, State::Start) {
            return Ok(None);
        }
        match self.advance() {
            Advanced::Head(head) => Ok(Some(Event::Head(head))),
            Advanced::Nothing => Ok(None),
            Advanced::Other => self.other.take().unwrap_or(Ok(None)),
        }
    }

    /// [`next`](Self::next) once there is something to parse. A head, the
    /// usual find, comes back in registers; anything else through
    /// `self.other`. Returned whole, the event went through memory, and
    /// the caller's first move of it read back in wide loads what had just
    /// been stored in narrow ones, and stalled: a tenth of a small chunk's
    /// time (perf, benches/parse.rs, small_chunk).
    #[inline(never)]
    fn advance(&mut self) -> Advanced {
        debug_assert!(self.other.is_none(), "`next` takes it at once");
        match self.step() {
            Ok(Some(Event::Head(head))) => Advanced::Head(head),
            Ok(None) => Advanced::Nothing,
            other => {
                if let Err(err) = &other {
                    if !err.framing_intact() {
                        self.failed = Some(err.clone());
                    }
                }
                self.other = Some(other);
                Advanced::Other
            }
        }
    }

    fn step(&mut self) -> Result<Option<Event>, ParseError> {
        loop {
            let progressed = match std::mem::replace(&mut self.state, State::Start) {
                State::Start => {
                    if let Some(event) = self.read_fast_head() {
                        return event;
                    }
                    match self.read_plain_head() {
                        Some(event) => return event,
                        None => self.read_start_line()?,
                    }
                }
                State::Head {
                    tid,
                    line,
                    next_line,
                } => return self.read_headers(tid, line, next_line),
                State::Body(body) => return self.read_body(body),
                State::Skip(body) => self.skip_body(body)?,
            };
            if !progressed {
                return Ok(None);
            }
        }
    }

    fn error_at(&self, kind: ParseErrorKind, pos: usize) -> ParseError {
        ParseError::new(kind, self.offset + pos as u64)
    }

    fn consume(&mut self, n: usize) -> Bytes {
        self.offset += n as u64;
        self.buf.split_to(n).freeze()
    }

    fn discard(&mut self, n: usize) {
        self.offset += n as u64;
        self.buf.advance(n);
    }

    /// Finds the end of a line starting at `from` and no longer than `max`,
    /// returning the offset of its CR. `Ok(None)`: not complete yet.
    fn line_end(
        &self,
        from: usize,
        max: usize,
        too_long: ParseErrorKind,
    ) -> Result<Option<usize>, ParseError> {
        let rest = &self.buf[from..];
        let window = &rest[..rest.len().min(max + 2)];
        // The error is the one that the fewest bytes reveal, so that it does
        // not depend on how the reads split the line: a line whose byte
        // past the limit is not the CR of its CRLF is too long as soon as
        // that byte arrives, even if an LF right after it shows up in the
        // same read.
        let too_long_at_limit = window.len() > max && window[max] != b'\r';
        match memchr::memchr(b'\n', window) {
            Some(lf) if lf > 0 && rest[lf - 1] == b'\r' => Ok(Some(from + lf - 1)),
            Some(lf) if lf <= max => Err(self.error_at(ParseErrorKind::BareLineEnding, from + lf)),
            // Past the limit: the CR is there but no LF follows it, or the
            // byte at the limit is no CR.
            _ if too_long_at_limit || window.len() > max + 1 => {
                Err(self.error_at(too_long, from + max))
            }
            _ => Ok(None),
        }
    }

    /// The head, when it lies whole in the buffer and is common (see
    /// [`head_fast::read_head`]), read in one pass and built as the other
    /// ways would. `None` leaves it to them, with nothing changed: that
    /// includes the heads they would reject (a bad end-line, a response
    /// with a body), so that every error comes from one place.
    fn read_fast_head(&mut self) -> Option<Result<Option<Event>, ParseError>> {
        let (limits, mode) = (&self.limits, self.mode);
        let may_hold = |non_send, len| {
            hold_limit(limits, mode, non_send).is_none_or(|(max, _)| len as u64 <= max)
        };
        let body = &mut self.pending_body;
        let fast = head_fast::read_head(&mut self.buf, limits, &mut self.paths, may_hold, body)?;
        self.offset += u64::from(fast.consumed);
        if self.pending_body.is_some() {
            self.pending_end = fast.flag;
            return Some(Ok(Some(Event::Head(fast.head))));
        }
        let tid = Tid::new(fast.head.transaction_id_bytes());
        let non_send = fast.head.method() != Some(&Method::Send);
        Some(self.start_body(Ok(fast.head), tid, non_send, fast.flag))
    }

    /// The head, when it lies whole in the buffer and is plain (see
    /// [`head_parse::scan_plain_head`]): one pass over it instead of a
    /// search per line and checks after. `None` leaves the head to the
    /// line-by-line reading, which sees the same bytes and finds any fault.
    fn read_plain_head(&mut self) -> Option<Result<Option<Event>, ParseError>> {
        let head = head_parse::scan_plain_head(&self.buf, &self.limits, &mut self.lines)?;
        let flag = if self.buf[head.head_len..head.end_cr].is_empty() {
            None
        } else {
            match self.bodiless_end(&head.transaction_id, head.head_len, head.end_cr) {
                Ok(flag) => Some(flag),
                Err(err) => return Some(Err(err)),
            }
        };
        Some(self.complete_head(
            head.transaction_id,
            head.line,
            head.head_len,
            head.end_cr + 2,
            flag,
            true,
        ))
    }

    fn read_start_line(&mut self) -> Result<bool, ParseError> {
        if self.buf.is_empty() {
            return Ok(false);
        }
        if let Err(pos) = head_parse::check_prefix(&self.buf) {
            return Err(self.error_at(ParseErrorKind::NotMsrp, pos));
        }
        let max = self.limits.max_start_line;
        let Some(cr) = self.line_end(0, max, ParseErrorKind::StartLineTooLong { limit: max })?
        else {
            return Ok(false);
        };
        let line = &self.buf[..cr];
        let clean = head_parse::is_printable(line);
        if let Some(pos) = (!clean).then(|| head_parse::find_control(line)).flatten() {
            return Err(self.error_at(ParseErrorKind::HeaderCharacter, pos));
        }
        let (tid, line) =
            head_parse::parse_start_line(line).map_err(|(kind, pos)| self.error_at(kind, pos))?;
        self.lines.clear();
        self.state = State::Head {
            tid,
            line,
            next_line: cr + 2,
        };
        Ok(true)
    }

    fn read_headers(
        &mut self,
        tid: Span,
        line: Line,
        mut next_line: usize,
    ) -> Result<Option<Event>, ParseError> {
        let max = self.limits.max_header_line;
        loop {
            let Some(cr) = self.line_end(
                next_line,
                max,
                ParseErrorKind::HeaderLineTooLong { limit: max },
            )?
            else {
                self.state = State::Head {
                    tid,
                    line,
                    next_line,
                };
                return Ok(None);
            };
            let text = &self.buf[next_line..cr];
            let ends_head = text.is_empty() || text.starts_with(b"-------");
            if ends_head {
                let flag = if text.is_empty() {
                    None
                } else {
                    Some(self.bodiless_end(&tid, next_line, cr)?)
                };
                return self.complete_head(tid, line, next_line, cr + 2, flag, false);
            }
            self.lines.push(Span::new(next_line, cr));
            if self.lines.len() > self.limits.max_headers {
                return Err(self.error_at(
                    ParseErrorKind::TooManyHeaders {
                        limit: self.limits.max_headers,
                    },
                    next_line,
                ));
            }
            next_line = cr + 2;
            if next_line > self.limits.max_head {
                return Err(self.error_at(
                    ParseErrorKind::HeadTooLong {
                        limit: self.limits.max_head,
                    },
                    self.limits.max_head,
                ));
            }
        }
    }

    /// Checks that a header-block line starting with `-------` is this
    /// chunk's end-line: the chunk has no body.
    fn bodiless_end(
        &self,
        tid: &Span,
        start: usize,
        cr: usize,
    ) -> Result<Continuation, ParseError> {
        end_line_flag(&self.buf[start..cr], &self.buf[tid.range()])
            .ok_or_else(|| self.error_at(ParseErrorKind::EndLine, start))
    }

    fn complete_head(
        &mut self,
        tid_span: Span,
        line: Line,
        head_len: usize,
        chunk_or_body_start: usize,
        bodiless_flag: Option<Continuation>,
        plain: bool,
    ) -> Result<Option<Event>, ParseError> {
        let tid = Tid::new(&self.buf[tid_span.range()]);
        let non_send = !matches!(line, Line::Request(Method::Send));
        let start_line_len = self.lines.first().map_or(head_len, |s| s.start as usize);
        let head_offset = self.offset;
        let parts = HeadParts {
            transaction_id: tid_span,
            line,
            headers_start: start_line_len,
            lines: &self.lines,
            has_body: bodiless_flag.is_none(),
            plain,
            paths: PathSource::Cache(&mut self.paths),
        };
        let raw = &self.buf[..head_len];
        let head = head_parse::assemble(raw, parts, &self.limits, head_offset).and_then(|head| {
            if head.is_request() || !head.has_body() {
                return Ok(head);
            }
            let rejected = RejectedChunk {
                transaction_id: head.transaction_id().to_owned(),
                method: None,
                to_path: Some(head.to_path().clone()),
                from_path: Some(head.from_path().clone()),
            };
            let at = head_offset + head_len as u64;
            Err(ParseError::new(ParseErrorKind::ResponseWithBody, at).with_rejected(rejected))
        });
        // The head and the line after it (blank, or a bodiless chunk's
        // end-line); the head copied what it keeps.
        self.discard(chunk_or_body_start);
        self.start_body(head, tid, non_send, bodiless_flag)
    }

    /// Goes on after a head: to its body, its end-line (bodiless), or the
    /// body of the chunk it rejects.
    fn start_body(
        &mut self,
        head: Result<ChunkHead, ParseError>,
        tid: Tid,
        non_send: bool,
        bodiless_flag: Option<Continuation>,
    ) -> Result<Option<Event>, ParseError> {
        let mut scanner = EndLineScanner::new(tid);
        if let Some(len) = head.as_ref().ok().and_then(|h| h.byte_range()?.len()) {
            scanner.expect(len);
        }
        let body = BodyState {
            scanner,
            done: 0,
            non_send,
        };
        match (head, bodiless_flag) {
            (Ok(head), Some(flag)) => {
                self.pending_end = Some(flag);
                Ok(Some(Event::Head(head)))
            }
            (Ok(head), None) => {
                self.state = State::Body(body);
                Ok(Some(Event::Head(head)))
            }
            (Err(err), flag) => {
                if flag.is_none() {
                    self.state = State::Skip(body);
                }
                Err(err)
            }
        }
    }

    /// The most body bytes that may be held before the chunk is rejected.
    fn hold_limit(&self, body: &BodyState) -> Option<(u64, ParseErrorKind)> {
        hold_limit(&self.limits, self.mode, body.non_send)
    }

    fn read_body(&mut self, mut body: BodyState) -> Result<Option<Event>, ParseError> {
        let scan = body.scanner.scan(&self.buf, end_line_finder());
        let held = match scan {
            Scan::Found { body_len, .. } => body_len,
            Scan::Pending { safe } => safe,
        };
        if let Some((max, kind)) = self.hold_limit(&body) {
            if body.done + held as u64 > max {
                let at = (max - body.done) as usize;
                let err = self.error_at(kind, at);
                self.state = State::Skip(body);
                return Err(err);
            }
        }
        match scan {
            Scan::Found {
                body_len,
                line_len,
                flag,
            } => {
                // As for the head: one split, the end-line cut off after.
                let mut data = self.consume(body_len + line_len);
                data.truncate(body_len);
                if data.is_empty() {
                    Ok(Some(Event::End(flag)))
                } else {
                    self.pending_end = Some(flag);
                    Ok(Some(Event::Body(data)))
                }
            }
            _ => {
                let release = match self.mode {
                    BodyMode::Stream => held > 0,
                    BodyMode::Segments(size) => held >= size.max(1),
                    BodyMode::Whole => false,
                };
                if !release {
                    self.state = State::Body(body);
                    return Ok(None);
                }
                let data = self.consume(held);
                body.scanner.advance(held);
                body.done += held as u64;
                self.state = State::Body(body);
                Ok(Some(Event::Body(data)))
            }
        }
    }

    /// Drops the body of a rejected chunk; `Ok(true)` once its end-line is gone.
    fn skip_body(&mut self, mut body: BodyState) -> Result<bool, ParseError> {
        match body.scanner.scan(&self.buf, end_line_finder()) {
            Scan::Found {
                body_len, line_len, ..
            } => {
                self.discard(body_len + line_len);
                Ok(true)
            }
            Scan::Pending { safe } => {
                self.discard(safe);
                body.scanner.advance(safe);
                self.state = State::Skip(body);
                Ok(false)
            }
        }
    }
}

/// The most body bytes of a chunk that may be held before it is rejected,
/// and the error then: a non-SEND body is held to
/// [`Limits::max_non_send_body`], and [`BodyMode::Whole`] holds every body
/// to [`Limits::max_chunk`].
fn hold_limit(limits: &Limits, mode: BodyMode, non_send: bool) -> Option<(u64, ParseErrorKind)> {
    let non_send_max = limits.max_non_send_body;
    let whole = limits.max_chunk;
    let whole_limit = || (whole as u64, ParseErrorKind::ChunkTooLarge { limit: whole });
    match (non_send, mode == BodyMode::Whole) {
        (true, true) if whole < non_send_max => Some(whole_limit()),
        (true, _) => Some((
            non_send_max as u64,
            ParseErrorKind::BodyTooLarge {
                limit: non_send_max,
            },
        )),
        (false, true) => Some(whole_limit()),
        (false, false) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_is_five_words_with_or_without_its_result() {
        // The word-sized tag must not cost a word more: `Option` and
        // `Result` find their tags in its unused values.
        let size = size_of::<Event>();
        assert_eq!(size, 40);
        assert_eq!(size_of::<Option<Event>>(), size);
        assert_eq!(size_of::<Result<Option<Event>, ParseError>>(), size);
    }

    #[test]
    fn a_body_mode_set_after_the_head_applies_to_bytes_not_yet_read() {
        let chunk = |tid: &str| {
            format!(
                "MSRP {tid} SEND\r\nTo-Path: msrp://b.example.com/y;tcp\r\n\
                 From-Path: msrp://a.example.com/x;tcp\r\nByte-Range: 1-5/5\r\n\r\n\
                 Hello\r\n-------{tid}$\r\n"
            )
        };
        let limits = Limits {
            max_chunk: 4,
            ..Limits::default()
        };
        // Whole behind its head: read with it, so the body mode set after
        // the head (Whole, at most 4 bytes) no longer applies to it.
        let mut parser = Parser::new(limits.clone());
        parser.feed(chunk("abcd").as_bytes());
        assert!(matches!(parser.next(), Ok(Some(Event::Head(_)))));
        parser.set_body_mode(BodyMode::Whole);
        assert_eq!(
            parser.next(),
            Ok(Some(Event::Body(Bytes::from_static(b"Hello"))))
        );
        // Arriving after its head: read under the new mode, and rejected.
        let mut parser = Parser::new(limits);
        let whole = chunk("abcd");
        let (head, body) = whole.split_at(whole.len() - 21);
        parser.feed(head.as_bytes());
        assert!(matches!(parser.next(), Ok(Some(Event::Head(_)))));
        parser.set_body_mode(BodyMode::Whole);
        parser.feed(body.as_bytes());
        let err = parser.next().expect_err("too large for Whole");
        assert_eq!(err.kind(), &ParseErrorKind::ChunkTooLarge { limit: 4 });
    }
}
