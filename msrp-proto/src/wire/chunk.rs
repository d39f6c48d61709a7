//! Whole chunks: [`Chunk`] and the [`ChunkReader`] that assembles them.
//!
//! The streaming [`Parser`] hands out body pieces as they arrive; a
//! [`ChunkReader`] gives whole chunks instead, like msrplib's
//! `read_chunk(size)`. In its default mode it holds each body in the receive
//! buffer until the end-line arrives and hands it out as one piece (copied
//! once, from the socket's slice into the buffer), up to
//! [`Limits::max_chunk`]. With a segment size it cuts very large chunks into
//! "virtual chunks": each carries the bytes read so far, a Byte-Range
//! rewritten to match them, the flag `+`, and a segment number.

use bytes::Bytes;

use crate::wire::parser::{BodyMode, Event, Parser};
use crate::wire::{ByteRange, ChunkHead, Continuation, Limits, ParseError, RejectedChunk};

/// A chunk: head, body and continuation flag.
///
/// ```
/// use bytes::Bytes;
/// use msrp_proto::wire::{ByteRange, Chunk, ChunkHead, Continuation, Method};
/// use msrp_proto::Path;
/// let head = ChunkHead::request(Method::Send, "a786hjs2")
///     .to_path(&"msrp://bob.example.com:8888/9di4eae923wzd;tcp".parse::<Path>()?)
///     .from_path(&"msrp://alicepc.example.com:7777/iau39soe2843z;tcp".parse::<Path>()?)
///     .message_id("87652491")
///     .byte_range(ByteRange { start: 1, end: Some(2), total: Some(2) })
///     .content_type("text/plain")
///     .build()?;
/// let chunk = Chunk::new(head, Some(Bytes::from_static(b"Hi")), Continuation::Complete);
/// assert_eq!(chunk.body().map(|b| &b[..]), Some(&b"Hi"[..]));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    head: ChunkHead,
    body: Option<Bytes>,
    continuation: Continuation,
    segment: Option<u32>,
    byte_range: Option<ByteRange>,
}

impl Chunk {
    /// A chunk from its parts. `body` is `None` for a bodiless chunk (the
    /// end-line follows the headers) and `Some` — possibly empty — otherwise.
    pub fn new(mut head: ChunkHead, body: Option<Bytes>, continuation: Continuation) -> Self {
        head.set_has_body(body.is_some());
        let byte_range = head.byte_range();
        Self {
            head,
            body,
            continuation,
            segment: None,
            byte_range,
        }
    }

    /// The start line and headers.
    pub fn head(&self) -> &ChunkHead {
        &self.head
    }

    /// The body, or `None` for a bodiless chunk.
    pub fn body(&self) -> Option<&Bytes> {
        self.body.as_ref()
    }

    /// The continuation flag of the end-line.
    pub fn continuation(&self) -> Continuation {
        self.continuation
    }

    /// For a virtual chunk, its segment number, counting from 1.
    pub fn segment(&self) -> Option<u32> {
        self.segment
    }

    /// The Byte-Range of the bytes this chunk carries: the head's, or for a
    /// virtual chunk the part of it that this segment covers.
    pub fn byte_range(&self) -> Option<ByteRange> {
        self.byte_range
    }

    /// Splits the chunk into its parts.
    pub fn into_parts(self) -> (ChunkHead, Option<Bytes>, Continuation) {
        (self.head, self.body, self.continuation)
    }
}

/// Reads whole chunks (or virtual chunks) from a byte stream.
///
/// ```
/// use msrp_proto::wire::{ChunkReader, Continuation, Limits};
/// let mut reader = ChunkReader::new(Limits::default());
/// reader.feed(b"MSRP abcd SEND\r\nTo-Path: msrp://b.example.com:1/s;tcp\r\n\
///     From-Path: msrp://a.example.com:2/t;tcp\r\nMessage-ID: m123\r\n\
///     Byte-Range: 1-10/10\r\nContent-Type: text/plain\r\n\r\n0123456789\r\n-------abcd$\r\n");
/// let chunk = reader.next_chunk()?.unwrap();
/// assert_eq!(&chunk.body().unwrap()[..], b"0123456789");
/// assert_eq!(chunk.continuation(), Continuation::Complete);
/// assert_eq!(chunk.segment(), None);
/// # Ok::<(), msrp_proto::wire::ParseError>(())
/// ```
#[derive(Debug)]
pub struct ChunkReader {
    parser: Parser,
    head: Option<ChunkHead>,
    /// Segments handed out of the current chunk, and their bytes.
    segments: u32,
    delivered: u64,
    lookahead: Option<Event>,
}

impl ChunkReader {
    /// Reads whole chunks, each body at most [`Limits::max_chunk`] bytes;
    /// larger chunks are rejected with a 413-class error and skipped.
    pub fn new(limits: Limits) -> Self {
        let mut parser = Parser::new(limits);
        parser.set_body_mode(BodyMode::Whole);
        Self::with_parser(parser)
    }

    /// Reads chunks whole when they are small, and cuts the body of larger
    /// ones into virtual chunks of at least `segment_size` bytes (msrplib's
    /// `read_chunk(size)`; `0` hands out whatever has arrived).
    pub fn with_segment_size(limits: Limits, segment_size: usize) -> Self {
        let mut parser = Parser::new(limits);
        parser.set_body_mode(BodyMode::Segments(segment_size));
        Self::with_parser(parser)
    }

    fn with_parser(parser: Parser) -> Self {
        Self {
            parser,
            head: None,
            segments: 0,
            delivered: 0,
            lookahead: None,
        }
    }

    /// Appends received bytes.
    pub fn feed(&mut self, data: &[u8]) {
        self.parser.feed(data);
    }

    /// Tells the reader that the stream ended; an error if inside a chunk.
    pub fn finish(&mut self) -> Result<(), ParseError> {
        self.parser.finish()
    }

    /// The underlying parser.
    pub fn parser(&self) -> &Parser {
        &self.parser
    }

    /// The next chunk, `Ok(None)` when more bytes are needed. Errors are
    /// those of [`Parser::next`].
    pub fn next_chunk(&mut self) -> Result<Option<Chunk>, ParseError> {
        loop {
            let event = match self.lookahead.take() {
                Some(event) => event,
                None => match self.next_event()? {
                    Some(event) => event,
                    None => return Ok(None),
                },
            };
            match event {
                Event::Head(head) => {
                    self.head = Some(head);
                    self.segments = 0;
                    self.delivered = 0;
                }
                Event::Body(data) => match self.next_event()? {
                    Some(Event::End(flag)) => return Ok(self.emit(Some(data), flag, true)),
                    // A piece handed out before its end-line (segmented mode).
                    other => {
                        self.lookahead = other;
                        return Ok(self.emit(Some(data), Continuation::More, false));
                    }
                },
                Event::End(flag) => return Ok(self.emit(None, flag, true)),
            }
        }
    }

    fn next_event(&mut self) -> Result<Option<Event>, ParseError> {
        self.parser.next().map_err(|err| match self.head.take() {
            // A body over a limit is found after the parser handed out the
            // head, which only this reader has seen: put what the caller
            // needs to answer the chunk (413) into the error.
            Some(head) if err.framing_intact() && err.rejected().is_none() => {
                err.with_rejected(RejectedChunk {
                    transaction_id: head.transaction_id().to_owned(),
                    method: head.method().cloned(),
                    to_path: Some(head.to_path().clone()),
                    from_path: Some(head.from_path().clone()),
                })
            }
            _ => err,
        })
    }

    /// Builds the chunk for `data`. A piece that is not the last of its
    /// chunk, or that follows such a piece, is a virtual chunk: numbered, and
    /// with a Byte-Range covering just its bytes.
    fn emit(&mut self, data: Option<Bytes>, flag: Continuation, last: bool) -> Option<Chunk> {
        let head = if last {
            self.head.take()?
        } else {
            self.head.clone()?
        };
        let body = match data {
            Some(data) => Some(data),
            None if head.has_body() => Some(Bytes::new()),
            None => None,
        };
        let len = body.as_ref().map_or(0, |b| b.len() as u64);
        let mut chunk = Chunk::new(head, body, flag);
        if self.segments > 0 || !last {
            self.segments += 1;
            let range = chunk.head.byte_range_or_default();
            let start = range.start.saturating_add(self.delivered);
            chunk.segment = Some(self.segments);
            // `start + len - 1`, clamped: a peer may send any start up to
            // u64::MAX (`18446744073709551615-*/*` is a valid Byte-Range).
            // `start` is at least 1, as every parsed Byte-Range's is.
            chunk.byte_range = Some(ByteRange {
                start,
                end: Some((start - 1).saturating_add(len)),
                total: range.total,
            });
        }
        self.delivered += len;
        Some(chunk)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::Method;

    /// Found by the `parse_stream` fuzz oracle: a virtual chunk of a chunk
    /// whose Byte-Range starts at u64::MAX overflowed computing its end.
    #[test]
    fn virtual_chunks_of_a_range_starting_at_u64_max() {
        let mut reader = ChunkReader::with_segment_size(Limits::default(), 4);
        reader.feed(
            b"MSRP abcd SEND\r\nTo-Path: msrp://b:1/s;tcp\r\nFrom-Path: msrp://a:2/t;tcp\r\n\
              Byte-Range: 18446744073709551615-*/*\r\n\r\n0123456789abcdef",
        );
        let chunk = reader.next_chunk().unwrap().unwrap();
        assert_eq!(chunk.segment(), Some(1));
        let range = ByteRange {
            start: u64::MAX,
            end: Some(u64::MAX),
            total: None,
        };
        assert_eq!(chunk.byte_range(), Some(range));
        reader.feed(b"\r\n-------abcd$\r\n");
        let last = reader.next_chunk().unwrap().unwrap();
        assert_eq!(last.segment(), Some(2));
        assert_eq!(last.byte_range(), Some(range));
        assert_eq!(last.continuation(), Continuation::Complete);
    }

    /// A chunk marks its head as having a body. A head that only the chunk
    /// holds (as one just built) is changed in place, without a copy of
    /// its bytes; a head held elsewhere too is copied, and the other
    /// holder's head stays as it was.
    #[test]
    fn a_chunk_marks_its_head_in_place_unless_the_head_is_shared() {
        let head = || {
            ChunkHead::request(Method::Send, "abcd")
                .to_path(&"msrp://b:1/s;tcp".parse().unwrap())
                .from_path(&"msrp://a:2/t;tcp".parse().unwrap())
                .build()
                .unwrap()
        };
        let body = || Some(Bytes::from_static(b"Hi"));

        let alone = head();
        let bytes_at = alone.as_bytes().as_ptr();
        let chunk = Chunk::new(alone, body(), Continuation::Complete);
        assert!(chunk.head().has_body());
        assert_eq!(chunk.head().as_bytes().as_ptr(), bytes_at, "copied");

        let shared = head();
        let chunk = Chunk::new(shared.clone(), body(), Continuation::Complete);
        assert!(chunk.head().has_body());
        assert!(!shared.has_body(), "the other holder's head changed");
        assert_eq!(chunk.head().as_bytes(), shared.as_bytes());
    }
}
