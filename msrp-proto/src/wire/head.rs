//! [`ChunkHead`]: a chunk's start line and headers, validated and owned.
//!
//! The head keeps a copy of the bytes it was parsed from, in the same
//! allocation as its parsed values, and a few offsets into them. The
//! headers the protocol consults on every chunk are parsed once, when the
//! head completes; the others were validated then, and their lines are
//! split and parsed again on access, which cannot fail.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use crate::path::Path;
use crate::wire::head_parse::split_line;
use crate::wire::header::number::parse_decimal;
use crate::wire::header::quoted::parse_quoted_string;
use crate::wire::{
    ByteRange, DigestParams, Disposition, FailureReport, HeaderName, MediaType, Method, Status,
    SuccessReport,
};

/// A byte range inside [`ChunkHead::as_bytes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Span {
    pub(crate) start: u32,
    pub(crate) end: u32,
}

impl Span {
    pub(crate) fn new(start: usize, end: usize) -> Self {
        // Heads are bounded by `Limits::max_head`, far below 4 GiB.
        Self {
            start: u32::try_from(start).unwrap_or(u32::MAX),
            end: u32::try_from(end).unwrap_or(u32::MAX),
        }
    }

    pub(crate) fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// The header lines of a head, split again on each walk: the head was
/// checked when it was read (every line a header line ending in CRLF, no
/// other CR or LF), so this cannot fail, and [`split_line`] finds what the
/// reading found. Keeping every line's position instead made each head 168 bytes
/// larger, to be zeroed, filled and copied for every chunk while few heads
/// are ever asked for their other headers (benches/parse.rs, small_chunk).
#[derive(Clone)]
pub(crate) struct HeaderLines<'a> {
    rest: &'a [u8],
    left: usize,
}

impl<'a> Iterator for HeaderLines<'a> {
    /// Name and value.
    type Item = (&'a [u8], &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        self.left = self.left.checked_sub(1)?;
        let lf = memchr::memchr(b'\n', self.rest)?;
        let line = &self.rest[..lf.saturating_sub(1)];
        self.rest = &self.rest[lf + 1..];
        let (colon, start, end) = split_line(line);
        Some((&line[..colon], &line[start..end]))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for HeaderLines<'_> {}

/// Request or response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Line {
    Request(Method),
    Response { code: u16, comment: Option<Span> },
}

/// The headers that are parsed once, when the head completes. The
/// Expires headers of RFC 4976, rare, are read again from their field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Parsed {
    pub(crate) paths: Arc<PathPair>,
    pub(crate) rest: OptionalHeaders,
}

/// A head's To-Path and From-Path, shared by the heads that carry the same
/// two (see `path_cache::PathCache::pair`): a head then takes and gives
/// back one reference, where two paths of its own cost two of each. Each
/// is an atomic operation, and they were a sixth of a small chunk's time
/// (perf, benches/parse.rs, small_chunk).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct PathPair {
    pub(crate) to: Path,
    pub(crate) from: Path,
}

/// The parsed headers that a chunk may lack: one list for the head and for
/// both readings that collect it (`head_parse::TypedHeaders`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct OptionalHeaders {
    pub(crate) message_id: Option<Span>,
    pub(crate) byte_range: Option<ByteRange>,
    pub(crate) success_report: Option<SuccessReport>,
    pub(crate) failure_report: Option<FailureReport>,
    /// Boxed: only REPORT requests carry it, and every head is moved a
    /// few times as it is built, at about one instruction per byte
    /// (benches/parse.rs, small_chunk).
    pub(crate) status: Option<Box<Status>>,
    pub(crate) content_type: Option<Span>,
    pub(crate) use_path: Option<Path>,
}

/// Request or response, as seen through [`ChunkHead::start_line`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartLine<'a> {
    /// `MSRP <tid> <METHOD>`.
    Request {
        /// The method.
        method: &'a Method,
    },
    /// `MSRP <tid> <code> [comment]`.
    Response {
        /// The three-digit status code.
        code: u16,
        /// The comment after the code, if any.
        comment: Option<&'a str>,
    },
}

/// The start line and headers of a chunk, validated.
///
/// Every chunk the [`Parser`](crate::wire::Parser) yields starts with one; a
/// [`HeadBuilder`](crate::wire::HeadBuilder) makes new ones. Cloning is cheap
/// (the bytes are shared), and the head owns its data, so it can cross
/// threads.
///
/// ```
/// use msrp_proto::wire::{Event, Limits, Parser};
/// let mut parser = Parser::new(Limits::default());
/// parser.feed(b"MSRP a786hjs2 200 OK\r\n\
///     To-Path: msrp://alice.example.com:7654/jshA7weztas;tcp\r\n\
///     From-Path: msrp://bob.example.com:12763/kjhd37s2s20w2a;tcp\r\n\
///     -------a786hjs2$\r\n");
/// let Some(Event::Head(head)) = parser.next()? else { panic!() };
/// assert_eq!(head.transaction_id(), "a786hjs2");
/// assert_eq!(head.response_code(), Some(200));
/// assert_eq!(head.to_path().to_string(), "msrp://alice.example.com:7654/jshA7weztas;tcp");
/// assert!(!head.has_body());
/// # Ok::<(), msrp_proto::wire::ParseError>(())
/// ```
#[derive(Clone)]
pub struct ChunkHead(pub(crate) triomphe::ThinArc<HeadData, u8>);

/// What a [`ChunkHead`] holds besides its bytes, which follow it in the
/// same allocation. Shared behind an `Arc`: a head travels in several
/// events and states per chunk, and cloning or moving it then costs a
/// reference count instead of copying a few hundred bytes and
/// re-allocating its vectors (benches/connection.rs). triomphe's `Arc`
/// keeps no weak count, and so drops the last reference with one atomic
/// operation where std's takes two (perf, benches/parse.rs, small_chunk).
///
/// The bytes are copied, not a slice of the receive buffer. A slice takes
/// a reference on the buffer and gives it back with the head: two atomic
/// operations, which cost about what copying a small head does. With the
/// small body copied too (`head_fast::WholeBody`), a small chunk leaves no
/// reference on the buffer at all, which took a third off `small_chunk`
/// (benches/parse.rs); and a head that the application keeps does not keep
/// the whole receive block alive.
#[derive(Debug, Clone)]
pub(crate) struct HeadData {
    pub(crate) transaction_id: Span,
    /// Where the header lines start (just after the start line's CRLF).
    pub(crate) headers_start: u32,
    pub(crate) line: Line,
    /// How many header lines there are (see [`HeaderLines`]).
    pub(crate) header_count: u32,
    pub(crate) parsed: Parsed,
    pub(crate) has_body: bool,
}

impl ChunkHead {
    /// A head of these values and bytes.
    #[inline(always)]
    pub(crate) fn new(data: HeadData, raw: &[u8]) -> Self {
        Self(triomphe::ThinArc::from_header_and_slice(data, raw))
    }

    pub(crate) fn data(&self) -> &HeadData {
        &self.0.header.header
    }

    fn raw(&self) -> &[u8] {
        &self.0.slice
    }

    pub(crate) fn line(&self) -> &Line {
        &self.data().line
    }

    /// Marks whether a body follows (a head built for sending learns it
    /// from the chunk it goes into).
    pub(crate) fn set_has_body(&mut self, has_body: bool) {
        if self.data().has_body == has_body {
            return;
        }
        // In place when no one else holds this head (a head just built),
        // else in a copy of its own.
        let in_place = self.0.with_arc_mut(|arc| {
            triomphe::Arc::get_mut(arc).map(|inner| inner.header_mut().has_body = has_body)
        });
        if in_place.is_none() {
            let data = HeadData {
                has_body,
                ..self.data().clone()
            };
            *self = Self::new(data, self.raw());
        }
    }

    fn text(&self, span: Span) -> &str {
        text(self.raw().get(span.range()).unwrap_or(&[]))
    }

    /// The transaction id.
    pub fn transaction_id(&self) -> &str {
        self.text(self.data().transaction_id)
    }

    /// The transaction id's bytes, without the UTF-8 check of
    /// [`transaction_id`](Self::transaction_id) (for lookups and copies).
    pub(crate) fn transaction_id_bytes(&self) -> &[u8] {
        self.raw()
            .get(self.data().transaction_id.range())
            .unwrap_or(&[])
    }

    /// Request or response.
    pub fn start_line(&self) -> StartLine<'_> {
        match &self.data().line {
            Line::Request(method) => StartLine::Request { method },
            Line::Response { code, comment } => StartLine::Response {
                code: *code,
                comment: comment.map(|c| self.text(c)),
            },
        }
    }

    /// The method, for a request.
    pub fn method(&self) -> Option<&Method> {
        match &self.data().line {
            Line::Request(method) => Some(method),
            Line::Response { .. } => None,
        }
    }

    /// Whether this is a request.
    pub fn is_request(&self) -> bool {
        matches!(self.data().line, Line::Request(_))
    }

    /// The status code, for a response.
    pub fn response_code(&self) -> Option<u16> {
        match self.data().line {
            Line::Response { code, .. } => Some(code),
            Line::Request(_) => None,
        }
    }

    /// The comment after the status code, for a response that has one.
    pub fn response_comment(&self) -> Option<&str> {
        match self.data().line {
            Line::Response { comment, .. } => comment.map(|c| self.text(c)),
            Line::Request(_) => None,
        }
    }

    /// Whether a body follows the headers (a blank line ended them). A
    /// bodiless chunk (end-line right after the headers) differs from a chunk
    /// with an empty body.
    pub fn has_body(&self) -> bool {
        self.data().has_body
    }

    /// Every header, in the order received, unknown ones included.
    pub fn headers(&self) -> impl ExactSizeIterator<Item = (&str, &str)> + '_ {
        self.header_lines()
            .map(|(name, value)| (text(name), text(value)))
    }

    /// The value of the first header with this name (ignoring ASCII case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.header_lines()
            .find(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
            .map(|(_, value)| text(value))
    }

    fn header_lines(&self) -> HeaderLines<'_> {
        HeaderLines {
            rest: self
                .raw()
                .get(self.data().headers_start as usize..)
                .unwrap_or(&[]),
            left: self.data().header_count as usize,
        }
    }

    /// The values of the headers of this name, in order.
    fn all_known(&self, name: HeaderName) -> impl Iterator<Item = &str> + '_ {
        self.header_lines()
            .filter(move |(n, _)| HeaderName::lookup_bytes(n) == Some(name))
            .map(|(_, value)| text(value))
    }

    fn known(&self, name: HeaderName) -> Option<&str> {
        self.all_known(name).next()
    }

    /// To-Path: where the chunk goes, next hop first.
    pub fn to_path(&self) -> &Path {
        &self.data().parsed.paths.to
    }

    /// From-Path: where the chunk came from, previous hop first.
    pub fn from_path(&self) -> &Path {
        &self.data().parsed.paths.from
    }

    /// Message-ID.
    pub fn message_id(&self) -> Option<&str> {
        self.data().parsed.rest.message_id.map(|s| self.text(s))
    }

    /// Byte-Range, if present. RFC 4975 §7.1.1: an absent Byte-Range means
    /// `1-*/*`; see [`ChunkHead::byte_range_or_default`].
    pub fn byte_range(&self) -> Option<ByteRange> {
        self.data().parsed.rest.byte_range
    }

    /// Byte-Range, or `1-*/*` when absent (RFC 4975 §7.1.1).
    pub fn byte_range_or_default(&self) -> ByteRange {
        self.data().parsed.rest.byte_range.unwrap_or(ByteRange {
            start: 1,
            end: None,
            total: None,
        })
    }

    /// Success-Report, if present (absent means `no`).
    pub fn success_report(&self) -> Option<SuccessReport> {
        self.data().parsed.rest.success_report
    }

    /// Failure-Report, if present (absent means `yes`).
    pub fn failure_report(&self) -> Option<FailureReport> {
        self.data().parsed.rest.failure_report
    }

    /// Status (REPORT requests).
    pub fn status(&self) -> Option<&Status> {
        self.data().parsed.rest.status.as_deref()
    }

    /// Content-Type, as written.
    pub fn content_type(&self) -> Option<&str> {
        self.data().parsed.rest.content_type.map(|s| self.text(s))
    }

    /// Content-Type, parsed.
    pub fn media_type(&self) -> Option<MediaType<'_>> {
        self.content_type().and_then(|v| MediaType::parse(v).ok())
    }

    /// Content-ID, as written.
    pub fn content_id(&self) -> Option<&str> {
        self.known(HeaderName::ContentId)
    }

    /// Content-Description, as written.
    pub fn content_description(&self) -> Option<&str> {
        self.known(HeaderName::ContentDescription)
    }

    /// Content-Disposition, parsed.
    pub fn content_disposition(&self) -> Option<Disposition<'_>> {
        self.known(HeaderName::ContentDisposition)
            .and_then(|v| Disposition::parse(v).ok())
    }

    /// Expires, in seconds (RFC 4976).
    pub fn expires(&self) -> Option<u32> {
        self.seconds(HeaderName::Expires)
    }

    /// Min-Expires, in seconds (RFC 4976).
    pub fn min_expires(&self) -> Option<u32> {
        self.seconds(HeaderName::MinExpires)
    }

    /// Max-Expires, in seconds (RFC 4976).
    pub fn max_expires(&self) -> Option<u32> {
        self.seconds(HeaderName::MaxExpires)
    }

    /// A header of seconds, checked when the head was parsed (so this
    /// cannot fail).
    fn seconds(&self, name: HeaderName) -> Option<u32> {
        let value = self.known(name)?;
        parse_decimal(value, u64::from(u32::MAX))
            .ok()
            .and_then(|n| u32::try_from(n).ok())
    }

    /// Use-Path (RFC 4976): the relay path granted by a successful AUTH.
    pub fn use_path(&self) -> Option<&Path> {
        self.data().parsed.rest.use_path.as_ref()
    }

    /// The digest challenges of every WWW-Authenticate header (RFC 4976).
    pub fn www_authenticate(&self) -> impl Iterator<Item = DigestParams> + '_ {
        self.all_known(HeaderName::WwwAuthenticate)
            .filter_map(|v| DigestParams::parse_with_scheme(v).ok())
    }

    /// The digest credentials of the Authorization header (RFC 4976).
    pub fn authorization(&self) -> Option<DigestParams> {
        self.known(HeaderName::Authorization)
            .and_then(|v| DigestParams::parse_with_scheme(v).ok())
    }

    /// The parameters of the Authentication-Info header (RFC 4976).
    pub fn authentication_info(&self) -> Option<DigestParams> {
        self.known(HeaderName::AuthenticationInfo)
            .and_then(|v| DigestParams::parse_list(v).ok())
    }

    /// The nickname asked for by a NICKNAME request (RFC 7701), unquoted.
    pub fn use_nickname(&self) -> Option<Cow<'_, str>> {
        self.known(HeaderName::UseNickname)
            .and_then(|v| parse_quoted_string(v).ok())
    }

    /// The head's bytes: start line and header lines, each ending in CRLF.
    pub fn as_bytes(&self) -> &[u8] {
        self.raw()
    }

    /// The header lines only, each ending in CRLF (what follows the start line).
    pub(crate) fn header_bytes(&self) -> &[u8] {
        self.raw()
            .get(self.data().headers_start as usize..)
            .unwrap_or(&[])
    }
}

/// Part of a head as text. The whole head was checked to be UTF-8, and
/// every part ends on ASCII delimiters, so this never falls back.
fn text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap_or("")
}

impl PartialEq for ChunkHead {
    /// Two heads are equal when they have the same start line, the same
    /// headers in the same order (names ignoring ASCII case, values exactly)
    /// and the same body presence.
    fn eq(&self, other: &Self) -> bool {
        self.transaction_id() == other.transaction_id()
            && self.start_line() == other.start_line()
            && self.data().has_body == other.data().has_body
            && self.data().header_count == other.data().header_count
            && self
                .headers()
                .zip(other.headers())
                .all(|((n1, v1), (n2, v2))| n1.eq_ignore_ascii_case(n2) && v1 == v2)
    }
}

impl Eq for ChunkHead {}

impl fmt::Debug for ChunkHead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("ChunkHead");
        d.field("transaction_id", &self.transaction_id());
        match self.start_line() {
            StartLine::Request { method } => d.field("method", method),
            StartLine::Response { code, comment } => {
                d.field("code", &code).field("comment", &comment)
            }
        };
        d.field("headers", &self.headers().collect::<Vec<_>>())
            .field("has_body", &self.data().has_body)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use crate::wire::{Event, Limits, Parser};

    use super::*;

    /// The head of `chunk`, read whole and read byte by byte.
    fn heads(chunk: &[u8]) -> [ChunkHead; 2] {
        let read = |step: usize| {
            let mut parser = Parser::new(Limits::default());
            for piece in chunk.chunks(step) {
                parser.feed(piece);
                while let Some(event) = parser.next().unwrap() {
                    if let Event::Head(head) = event {
                        return head;
                    }
                }
            }
            panic!("no head in {chunk:?}")
        };
        [read(chunk.len()), read(1)]
    }

    #[test]
    fn header_lines_are_split_again_as_they_were_read() {
        let chunk = "MSRP tid1 SEND\r\n\
            To-Path: msrp://b.example.com/y;tcp\r\n\
            From-Path:msrp://a.example.com/x;tcp\r\n\
            X-Spaced: \t two  words \t\r\n\
            X-Empty:\r\n\
            X-Colons: a:b: c\r\n\
            X-Utf8: h\u{e9}llo \u{263a}\r\n\
            Content-ID: <a@b>\r\n\
            x-spaced: again\r\n\
            \r\n\
            -------tid1$\r\n";
        let expected = [
            ("To-Path", "msrp://b.example.com/y;tcp"),
            ("From-Path", "msrp://a.example.com/x;tcp"),
            ("X-Spaced", "two  words"),
            ("X-Empty", ""),
            ("X-Colons", "a:b: c"),
            ("X-Utf8", "h\u{e9}llo \u{263a}"),
            ("Content-ID", "<a@b>"),
            ("x-spaced", "again"),
        ];
        for head in heads(chunk.as_bytes()) {
            assert_eq!(head.headers().len(), expected.len());
            assert!(head.headers().eq(expected), "{head:?}");
            assert_eq!(head.header("x-spaced"), Some("two  words"));
            assert_eq!(head.header("X-Missing"), None);
            assert_eq!(head.content_id(), Some("<a@b>"));
            assert_eq!(head.from_path().to_string(), "msrp://a.example.com/x;tcp");
        }
    }

    #[test]
    fn a_common_head_lists_its_headers_too() {
        // Read in one pass when whole (see head_fast.rs), which keeps
        // nothing of its lines either.
        let chunk = b"MSRP tid2 SEND\r\n\
            To-Path: msrp://b.example.com/y;tcp\r\n\
            From-Path: msrp://a.example.com/x;tcp\r\n\
            Message-ID: mid1\r\n\
            Byte-Range: 1-2/2\r\n\
            Content-Type: text/plain\r\n\
            \r\n\
            hi\r\n\
            -------tid2$\r\n";
        for head in heads(chunk) {
            let names: Vec<&str> = head.headers().map(|(name, _)| name).collect();
            let want = [
                "To-Path",
                "From-Path",
                "Message-ID",
                "Byte-Range",
                "Content-Type",
            ];
            assert_eq!(names, want);
            assert_eq!(head.header("byte-range"), Some("1-2/2"));
            assert_eq!(head.headers().len(), 5);
        }
    }
}
