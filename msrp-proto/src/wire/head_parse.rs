//! Turning the lines of a complete header block into a [`ChunkHead`].
//!
//! The streaming parser finds line boundaries and enforces the size limits;
//! this module gives the lines their meaning: the start line (RFC 4975 §9
//! `req-start` / `resp-start`), `Name: value` header lines, and the typed
//! values of the headers this crate knows.

use std::sync::Arc;

use bytes::Bytes;

use crate::ident::{IDENT_MAX_LEN, IDENT_MIN_LEN, is_ident, is_ident_char};
use crate::path::Path;
use crate::wire::head::{HeadData, Line, OptionalHeaders, Parsed, PathPair, Span};
use crate::wire::header::number::parse_decimal;
use crate::wire::header::quoted::{is_token_char, parse_quoted_string};
use crate::wire::path_cache::PathCache;
use crate::wire::{
    ByteRange, ChunkHead, DigestParams, Disposition, FailureReport, HeaderError, HeaderName,
    Limits, MediaType, Method, ParseError, ParseErrorKind, RejectedChunk, Status, SuccessReport,
};

pub(crate) const PROTOCOL_PREFIX: &[u8] = b"MSRP ";

/// A fault found at an offset relative to the start of the head.
pub(crate) type Fault = (ParseErrorKind, usize);

/// Checks the first bytes of a chunk against `MSRP ` as soon as they arrive,
/// so that garbage (a TLS ClientHello on a plain port, say) is refused at once
/// instead of after a whole line. Returns the offset of the first wrong byte.
pub(crate) fn check_prefix(buf: &[u8]) -> Result<(), usize> {
    match buf
        .iter()
        .zip(PROTOCOL_PREFIX)
        .position(|(got, want)| got != want)
    {
        Some(i) => Err(i),
        None => Ok(()),
    }
}

/// Parses a start line (without its CRLF) into the transaction id's position
/// and the request or response it opens.
pub(crate) fn parse_start_line(line: &[u8]) -> Result<(Span, Line), Fault> {
    let rest = line
        .strip_prefix(PROTOCOL_PREFIX)
        .ok_or((ParseErrorKind::NotMsrp, 0))?;
    let tid_start = PROTOCOL_PREFIX.len();
    // One pass finds the end of the id and checks its characters: the
    // space after it is no `ident-char`, and an id that stops at any other
    // byte is no `ident`.
    let tid_len = rest
        .iter()
        .position(|&b| !is_ident_char(b))
        .unwrap_or(rest.len());
    let tid_ok = rest.get(tid_len).is_none_or(|&b| b == b' ')
        && (IDENT_MIN_LEN..=IDENT_MAX_LEN).contains(&tid_len)
        && rest[0].is_ascii_alphanumeric();
    if !tid_ok {
        return Err((ParseErrorKind::TransactionId, tid_start));
    }
    let tid = Span::new(tid_start, tid_start + tid_len);
    let after = tid_start + tid_len + 1;
    let Some(word) = line.get(after..).filter(|_| tid_len < rest.len()) else {
        return Err((ParseErrorKind::StartLine, line.len()));
    };
    let is_digit = |b: &u8| b.is_ascii_digit();
    if word.first().is_some_and(is_digit) {
        // resp-start = pMSRP SP transact-id SP status-code [SP comment]
        let code_ok = word.len() >= 3 && word[..3].iter().all(is_digit);
        let comment = match word.get(3) {
            _ if !code_ok => return Err((ParseErrorKind::StartLine, after)),
            None => None,
            Some(b' ') => Some(Span::new(after + 4, line.len())),
            Some(_) => return Err((ParseErrorKind::StartLine, after + 3)),
        };
        let code = word[..3]
            .iter()
            .fold(0u16, |n, d| n * 10 + u16::from(d - b'0'));
        Ok((tid, Line::Response { code, comment }))
    } else {
        // req-start = pMSRP SP transact-id SP method; method = 1*UPALPHA
        let method = Method::from_bytes(word).ok_or((ParseErrorKind::StartLine, after))?;
        Ok((tid, Line::Request(method)))
    }
}

/// Whether `line` is printable ASCII only (0x20 to 0x7E): nothing for
/// [`find_control`] to find. One subtraction and compare per byte, which
/// vectorises even on a line as short as a start line, where the search
/// does not (benches/parse.rs, small_chunk).
pub(crate) fn is_printable(line: &[u8]) -> bool {
    line.iter()
        .fold(true, |ok, &b| ok & (b.wrapping_sub(0x20) < 0x5f))
}

/// The high bit of each byte of `x` that is not printable ASCII (0x20 to
/// 0x7E), and no other bit. No carry crosses a byte: the low seven bits
/// plus 0x60 or 0x01 stay below 0x100.
fn special_bytes(x: u64) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let low = x & LOW7;
    // Below 0x20: adding 0x60 leaves the high bit clear.
    let control = !(low + 0x6060_6060_6060_6060);
    // 0x7F: adding 1 sets it.
    let del = low + 0x0101_0101_0101_0101;
    (x | control | del) & HIGH
}

/// The offset of the first byte of `buf` at or after `from` that is not
/// printable ASCII, sixteen bytes at a time in two `u64`s. On the few
/// short lines of a head this costs a third of a `memchr` per line, whose
/// set-up is made for longer runs (benches/parse.rs, small_chunk).
pub(crate) fn find_special(buf: &[u8], from: usize) -> Option<usize> {
    let word = |b: &[u8]| {
        let mut bytes = [0; 8];
        bytes.copy_from_slice(b);
        u64::from_le_bytes(bytes)
    };
    let mut blocks = buf.get(from..)?.chunks_exact(16);
    let mut at = from;
    for block in &mut blocks {
        let low = special_bytes(word(&block[..8]));
        let high = special_bytes(word(&block[8..]));
        if low | high != 0 {
            let first = if low != 0 {
                low.trailing_zeros()
            } else {
                64 + high.trailing_zeros()
            };
            return Some(at + first as usize / 8);
        }
        at += 16;
    }
    let tail = blocks.remainder();
    tail.iter()
        .position(|&b| b.wrapping_sub(0x20) >= 0x5f)
        .map(|i| at + i)
}

/// The CR that ends the line starting at `line`, if the line is printable
/// ASCII from `from` on, ends in CRLF and is at most `max` long. The search
/// stops at the limit, so a line that is too long costs no more than the
/// limit.
pub(crate) fn plain_line_end(buf: &[u8], line: usize, from: usize, max: usize) -> Option<usize> {
    let window = &buf[..buf.len().min(line.saturating_add(max).saturating_add(2))];
    let cr = find_special(window, from)?;
    (window.get(cr..cr + 2)? == b"\r\n").then_some(cr)
}

/// A head found whole by [`scan_plain_head`].
pub(crate) struct PlainHead {
    pub(crate) transaction_id: Span,
    pub(crate) line: Line,
    /// Where the line that ends the head starts (blank, or a bodiless
    /// chunk's end-line): the length of the head.
    pub(crate) head_len: usize,
    /// The CR of the line that ends the head.
    pub(crate) end_cr: usize,
}

/// Reads a head that lies whole at the start of `buf`, when it is plain:
/// printable ASCII with CRLF line ends, within every limit, and a valid
/// start line. The line-by-line reading would then find the same lines
/// (pushed to `lines`) and no fault, and the head is known to be
/// [`HeadText::Plain`]. `None` for anything else (including a head not yet
/// whole), which the line-by-line reading then handles, faults and all.
///
/// One pass finds the bytes that are not printable ASCII: in a plain
/// head, the CR and LF that end each line, and nothing else. The search
/// for each line stops at its limit, so a failed attempt costs no more
/// than the line-by-line reading does.
pub(crate) fn scan_plain_head(
    buf: &[u8],
    limits: &Limits,
    lines: &mut Vec<Span>,
) -> Option<PlainHead> {
    let line_end = |from: usize, max: usize| plain_line_end(buf, from, from, max);
    let cr = line_end(0, limits.max_start_line)?;
    let (transaction_id, line) = parse_start_line(&buf[..cr]).ok()?;
    lines.clear();
    let mut next_line = cr + 2;
    loop {
        let cr = line_end(next_line, limits.max_header_line)?;
        let text = &buf[next_line..cr];
        if text.is_empty() || text.starts_with(b"-------") {
            return Some(PlainHead {
                transaction_id,
                line,
                head_len: next_line,
                end_cr: cr,
            });
        }
        lines.push(Span::new(next_line, cr));
        next_line = cr + 2;
        if lines.len() > limits.max_headers || next_line > limits.max_head {
            return None;
        }
    }
}

/// Finds the first byte of a line that is not allowed in a header block:
/// controls other than HTAB (RFC 4975 §9 `utf8text`), and DEL.
pub(crate) fn find_control(line: &[u8]) -> Option<usize> {
    // Branch-free test per byte so the common (clean) case vectorises.
    let dirty = line.iter().fold(false, |acc, &b| {
        acc | ((b < 0x20 && b != b'\t') | (b == 0x7f))
    });
    if dirty {
        line.iter()
            .position(|&b| (b < 0x20 && b != b'\t') || b == 0x7f)
    } else {
        None
    }
}

/// A head's bytes, checked to be UTF-8.
enum HeadText<'a> {
    /// Printable ASCII and the CRLF of each line only: UTF-8, and free of
    /// control bytes, as nearly every head is.
    Plain(&'a [u8]),
    /// Anything else, checked as a whole.
    Utf8(&'a str),
}

impl<'a> HeadText<'a> {
    /// Checks `block`, whole lines each ending in CRLF (its only LF); the
    /// error is the offset of the first byte that is not UTF-8.
    fn check(block: &'a [u8], lines: usize) -> Result<Self, usize> {
        // Counting is far cheaper than `str::from_utf8` and the search for
        // controls that it spares (benches/parse.rs, small_chunk).
        if count_special(block) == 2 * lines {
            return Ok(Self::Plain(block));
        }
        match std::str::from_utf8(block) {
            Ok(text) => Ok(Self::Utf8(text)),
            Err(_) => Err(block.utf8_chunks().next().map_or(0, |c| c.valid().len())),
        }
    }

    /// The text at `span`, which falls on ASCII delimiters (so on character
    /// boundaries).
    fn get(&self, span: Span) -> &'a str {
        match self {
            // ASCII: never falls back.
            Self::Plain(bytes) => bytes
                .get(span.range())
                .and_then(|b| std::str::from_utf8(b).ok())
                .unwrap_or(""),
            Self::Utf8(text) => text.get(span.range()).unwrap_or(""),
        }
    }
}

/// How many bytes of `block` are not printable ASCII (0x20 to 0x7E). In a
/// block of whole lines, each holding one LF at its end, that count is two
/// per line exactly when the CRLFs are all there is.
fn count_special(block: &[u8]) -> usize {
    // One add and one signed compare per byte (0x00-0x1F, 0x7F and
    // 0x80-0xFF all land below 0x21), which vectorises; counted in bytes,
    // 255 at a time, as in `only_line_ends`.
    block
        .chunks(255)
        .map(|c| {
            usize::from(
                c.iter()
                    .fold(0u8, |n, &b| n + u8::from((b.wrapping_add(1) as i8) < 0x21)),
            )
        })
        .sum()
}

/// Whether `block` (whole lines with their CRLFs) holds no control byte
/// but the CR and LF of its `lines` line ends.
fn only_line_ends(block: &[u8], lines: usize) -> bool {
    // Branch-free per byte, as in `find_control`, so that it vectorises; a
    // stray CR inside a line shows in the count of CRs.
    let other = block.iter().fold(false, |acc, &b| {
        acc | ((b < 0x20) & (b != b'\t') & (b != b'\r') & (b != b'\n') | (b == 0x7f))
    });
    // Counted in bytes, 255 at a time, which vectorises where a wider sum
    // does not.
    let crs: usize = block
        .chunks(255)
        .map(|c| usize::from(c.iter().fold(0u8, |n, &b| n + u8::from(b == b'\r'))))
        .sum();
    !other && crs == lines
}

/// One header line: name and value, as positions in the head, while the
/// head is being read (a head keeps no list of them: see
/// `head::HeaderLines`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Field {
    pub(crate) name: Span,
    pub(crate) value: Span,
    pub(crate) known: Option<HeaderName>,
}

/// Where a header line's name ends (its first colon) and where its value
/// starts and ends: the value without the spaces and tabs around it (RFC
/// 4975 §9 asks for exactly one SP after the colon; peers that send none
/// or several are accepted). Positions are relative to the line; a line
/// without a colon, which no parsed head holds, is all name.
pub(crate) fn split_line(line: &[u8]) -> (usize, usize, usize) {
    let Some(colon) = find_byte(line, b':') else {
        return (line.len(), line.len(), line.len());
    };
    let mut value = &line[colon + 1..];
    while let [b' ' | b'\t', rest @ ..] = value {
        value = rest;
    }
    let start = line.len() - value.len();
    while let [rest @ .., b' ' | b'\t'] = value {
        value = rest;
    }
    (colon, start, start + value.len())
}

/// Splits `Name: value` into spans, as [`split_line`] does (which reads
/// the lines of a head again), and checks the name.
fn split_header_line(line: &[u8], at: usize) -> Result<(Span, Span, Option<HeaderName>), Fault> {
    let bad = || (ParseErrorKind::HeaderLine, at);
    let (colon, start, end) = split_line(line);
    if colon == line.len() {
        return Err(bad());
    }
    let name = &line[..colon];
    // hname = ALPHA *token. A known name is one, so only the others need
    // their characters checked.
    let known = HeaderName::lookup_bytes(name);
    if known.is_none()
        && !(name.first().is_some_and(u8::is_ascii_alphabetic)
            && name.iter().all(|&b| is_token_char(b)))
    {
        return Err(bad());
    }
    Ok((
        Span::new(at, at + colon),
        Span::new(at + start, at + end),
        known,
    ))
}

/// Eight bytes of a header line as a word, for [`split_common`].
const fn word(bytes: &[u8; 8]) -> u64 {
    u64::from_le_bytes(*bytes)
}

/// The last eight bytes of `name` followed by `: `, as a word: with the
/// first eight bytes of the line, they cover the name (at most fourteen
/// bytes), the colon and the space.
const fn tail_word(name: &str) -> u64 {
    let name = name.as_bytes();
    let len = name.len() + 2;
    let mut bytes = [b' '; 8];
    let mut i = 0;
    while i < 8 {
        let j = len - 8 + i;
        if j < name.len() {
            bytes[i] = name[j];
        } else if j == name.len() {
            bytes[i] = b':';
        }
        i += 1;
    }
    u64::from_le_bytes(bytes)
}

/// The header that `line` starts with, when it is one that nearly every
/// chunk carries written as RFC 4975 writes it: the canonical name, a
/// colon and one space. Two compares of eight bytes, where the general way
/// searches for the colon and looks the name up (a sixth of a small
/// chunk's head; benches/parse.rs, small_chunk).
#[inline]
pub(crate) fn common_name(line: &[u8]) -> Option<HeaderName> {
    use HeaderName::*;
    // (first eight bytes, last eight up to the space) of each line.
    const TO_PATH: (u64, u64) = (word(b"To-Path:"), tail_word("To-Path"));
    const FROM_PATH: (u64, u64) = (word(b"From-Pat"), tail_word("From-Path"));
    const MESSAGE_ID: (u64, u64) = (word(b"Message-"), tail_word("Message-ID"));
    const BYTE_RANGE: (u64, u64) = (word(b"Byte-Ran"), tail_word("Byte-Range"));
    const CONTENT_TYPE: (u64, u64) = (word(b"Content-"), tail_word("Content-Type"));
    const SUCCESS_REPORT: (u64, u64) = (word(b"Success-"), tail_word("Success-Report"));
    const FAILURE_REPORT: (u64, u64) = (word(b"Failure-"), tail_word("Failure-Report"));
    const STATUS: (u64, u64) = (word(b"Status: "), tail_word("Status"));
    let first = word(line.first_chunk::<8>()?);
    let (name, tail) = match first {
        _ if first == TO_PATH.0 => (ToPath, TO_PATH.1),
        _ if first == FROM_PATH.0 => (FromPath, FROM_PATH.1),
        _ if first == MESSAGE_ID.0 => (MessageId, MESSAGE_ID.1),
        _ if first == BYTE_RANGE.0 => (ByteRange, BYTE_RANGE.1),
        _ if first == CONTENT_TYPE.0 => (ContentType, CONTENT_TYPE.1),
        _ if first == SUCCESS_REPORT.0 => (SuccessReport, SUCCESS_REPORT.1),
        _ if first == FAILURE_REPORT.0 => (FailureReport, FAILURE_REPORT.1),
        _ if first == STATUS.0 => (Status, STATUS.1),
        _ => return None,
    };
    let colon = name.as_str().len();
    (word(line.get(colon - 6..)?.first_chunk::<8>()?) == tail).then_some(name)
}

/// [`split_header_line`] for the lines [`common_name`] knows, when the value
/// has no whitespace around it. `None` for any other line, which the
/// general way then reads: both give the same answer on every line this
/// one accepts.
#[inline]
fn split_common(line: &[u8], at: usize) -> Option<(Span, Span, Option<HeaderName>)> {
    let name = common_name(line)?;
    let colon = name.as_str().len();
    let value = line.get(colon + 2..)?;
    let plain = |b: Option<&u8>| !matches!(b, Some(b' ' | b'\t'));
    (plain(value.first()) && plain(value.last())).then(|| {
        (
            Span::new(at, at + colon),
            Span::new(at + colon + 2, at + line.len()),
            Some(name),
        )
    })
}

/// The position of the first `needle` in `haystack`, eight bytes at a time
/// in a `u64`: on the few bytes of a header name this costs half as much as
/// `memchr`, whose set-up is made for longer runs (benches/parse.rs,
/// small_chunk).
pub(crate) fn find_byte(haystack: &[u8], needle: u8) -> Option<usize> {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let pattern = u64::from_le_bytes([needle; 8]);
    let mut words = haystack.chunks_exact(8);
    let mut at = 0;
    for word in &mut words {
        let mut bytes = [0; 8];
        bytes.copy_from_slice(word);
        let x = u64::from_le_bytes(bytes) ^ pattern;
        // The high bit of each byte of `x` that is zero, and no other bit:
        // adding 0x7f to the low seven bits sets it for the others, and no
        // carry crosses a byte.
        let zero = !(((x & LOW7) + LOW7) | x | LOW7);
        if zero != 0 {
            return Some(at + zero.trailing_zeros() as usize / 8);
        }
        at += 8;
    }
    let tail = words.remainder();
    tail.iter().position(|&b| b == needle).map(|i| at + i)
}

/// What [`assemble`] needs besides the bytes.
pub(crate) struct HeadParts<'a> {
    pub(crate) transaction_id: Span,
    pub(crate) line: Line,
    /// Offset of the first header line.
    pub(crate) headers_start: usize,
    /// Header lines, without their CRLF.
    pub(crate) lines: &'a [Span],
    pub(crate) has_body: bool,
    /// Whether the bytes are known to be printable ASCII and CRLFs only
    /// (see [`scan_plain_head`]), which spares checking them again.
    pub(crate) plain: bool,
    /// Where path values are parsed.
    pub(crate) paths: PathSource<'a>,
}

/// How [`assemble`] makes the paths of a head.
pub(crate) enum PathSource<'a> {
    /// Parsed through the stream's cache of recent paths, which copies
    /// what it parses: the head's bytes are only borrowed.
    Cache(&'a mut PathCache),
    /// Parsed as slices of these bytes, which the paths then share: the
    /// same bytes as `assemble`'s `raw` (a built head's own).
    Shared(&'a Bytes),
}

/// Builds a [`ChunkHead`] from a complete header block, which it copies.
/// `raw` holds the start line and the header lines with their CRLFs;
/// `offset` is the stream offset of its first byte, for error positions.
///
/// A malformed header line breaks the framing; a malformed value does not:
/// the chunk is then rejected with what is known of it, so that the caller
/// can answer it (RFC 4975 §7.3: 400).
pub(crate) fn assemble(
    raw: &[u8],
    mut parts: HeadParts<'_>,
    limits: &Limits,
    offset: u64,
) -> Result<ChunkHead, ParseError> {
    let at = |kind, pos: usize| ParseError::new(kind, offset + pos as u64);
    if let PathSource::Shared(bytes) = &parts.paths {
        debug_assert_eq!(&bytes[..], raw, "paths are sliced from the head's bytes");
    }
    let text = if parts.plain {
        HeadText::Plain(raw)
    } else {
        HeadText::check(raw, 1 + parts.lines.len())
            .map_err(|bad| at(ParseErrorKind::HeaderCharacter, bad))?
    };
    // Every line ends in CRLF; any other control byte is a fault. One pass
    // over the whole block is cheaper than one search per line, which only
    // runs when that pass says there is something to find.
    let clean = match text {
        HeadText::Plain(_) => true,
        HeadText::Utf8(_) => only_line_ends(raw, 1 + parts.lines.len()),
    };
    let mut typed = TypedHeaders::default();
    let mut first_fault: Option<Fault> = None;
    for span in parts.lines {
        let line = &raw[span.range()];
        if let Some(i) = (!clean).then(|| find_control(line)).flatten() {
            return Err(at(ParseErrorKind::HeaderCharacter, span.start as usize + i));
        }
        let start = span.start as usize;
        let (name, value, known) = match split_common(line, start) {
            Some(split) => split,
            None => split_header_line(line, start).map_err(|(k, p)| at(k, p))?,
        };
        let field = Field { name, value, known };
        // A malformed line breaks the framing, whatever values before it
        // were: that error comes first, the first bad value after it.
        if let Err(fault) = typed.take(raw, &text, &field, limits, &mut parts.paths) {
            first_fault.get_or_insert(fault);
        }
    }
    let (to_path, from_path) = match (first_fault, typed.to_path.take(), typed.from_path.take()) {
        (None, Some(to_path), Some(from_path)) => (to_path, from_path),
        (fault, to_path, from_path) => {
            let missing = if to_path.is_none() {
                HeaderName::ToPath
            } else {
                HeaderName::FromPath
            };
            let (kind, pos) = fault.unwrap_or((
                ParseErrorKind::MissingHeader {
                    name: missing.as_str(),
                },
                raw.len(),
            ));
            let rejected = RejectedChunk {
                transaction_id: String::from_utf8_lossy(&raw[parts.transaction_id.range()])
                    .into_owned(),
                method: match &parts.line {
                    Line::Request(m) => Some(m.clone()),
                    Line::Response { .. } => None,
                },
                to_path,
                from_path,
            };
            return Err(at(kind, pos).with_rejected(rejected));
        }
    };
    Ok(ChunkHead::new(
        HeadData {
            transaction_id: parts.transaction_id,
            headers_start: u32::try_from(parts.headers_start).unwrap_or(u32::MAX),
            line: parts.line,
            // Bounded by `Limits::max_headers`.
            header_count: u32::try_from(parts.lines.len()).unwrap_or(u32::MAX),
            parsed: typed.into_parsed(match parts.paths {
                PathSource::Cache(cache) => cache.pair(to_path, from_path),
                PathSource::Shared(_) => Arc::new(PathPair {
                    to: to_path,
                    from: from_path,
                }),
            }),
            has_body: parts.has_body,
        },
        raw,
    ))
}

/// The typed values collected while walking the header lines (here, and
/// in the one-pass reading of `head_fast`).
#[derive(Default)]
pub(crate) struct TypedHeaders {
    /// The headers seen, a bit per [`HeaderName`].
    pub(crate) seen: u32,
    pub(crate) to_path: Option<Path>,
    pub(crate) from_path: Option<Path>,
    pub(crate) rest: OptionalHeaders,
}

impl TypedHeaders {
    /// The values a head keeps, with the two paths every chunk has.
    pub(crate) fn into_parsed(self, paths: Arc<PathPair>) -> Parsed {
        Parsed {
            paths,
            rest: self.rest,
        }
    }

    /// Validates one header (`text` is its value) and keeps the value if
    /// the protocol needs it.
    fn take(
        &mut self,
        raw: &[u8],
        head: &HeadText<'_>,
        field: &Field,
        limits: &Limits,
        paths: &mut PathSource<'_>,
    ) -> Result<(), Fault> {
        let Some(name) = field.known else {
            return Ok(());
        };
        let bit = 1u32 << (name as u32);
        if self.seen & bit != 0 && !name.repeatable() {
            return Err((
                ParseErrorKind::DuplicateHeader {
                    name: name.as_str(),
                },
                field.name.start as usize,
            ));
        }
        self.seen |= bit;
        let value_at = field.value.start as usize;
        let invalid = |error: HeaderError| {
            let pos = match &error {
                HeaderError::Path(e) => value_at + e.offset(),
                _ => value_at,
            };
            (
                ParseErrorKind::InvalidHeader {
                    name: name.as_str(),
                    error,
                },
                pos,
            )
        };
        let value = &raw[field.value.range()];
        if let Some(slot) = match name {
            HeaderName::ToPath => Some(&mut self.to_path),
            HeaderName::FromPath => Some(&mut self.from_path),
            HeaderName::UsePath => Some(&mut self.rest.use_path),
            _ => None,
        } {
            let path = match paths {
                PathSource::Cache(cache) => cache.parse(value, limits.max_path_uris),
                PathSource::Shared(bytes) => {
                    Path::from_shared(&bytes.slice(field.value.range()), limits.max_path_uris)
                }
            };
            *slot = Some(path.map_err(|e| invalid(e.into()))?);
            return Ok(());
        }
        // Made only for the values parsed as text.
        let text = || head.get(field.value);
        let seconds = || parse_decimal(text(), u64::from(u32::MAX)).map(|n| n as u32);
        match name {
            // Read above.
            HeaderName::ToPath | HeaderName::FromPath | HeaderName::UsePath => {}
            HeaderName::MessageId if is_ident(value) => {
                self.rest.message_id = Some(field.value);
            }
            HeaderName::MessageId => return Err(invalid(HeaderError::Ident)),
            HeaderName::ByteRange => {
                self.rest.byte_range = Some(ByteRange::parse_bytes(value).map_err(invalid)?);
            }
            HeaderName::SuccessReport => {
                self.rest.success_report = Some(SuccessReport::parse(text()).map_err(invalid)?);
            }
            HeaderName::FailureReport => {
                self.rest.failure_report = Some(FailureReport::parse(text()).map_err(invalid)?);
            }
            HeaderName::Status => {
                self.rest.status = Some(Box::new(Status::parse(text()).map_err(invalid)?));
            }
            // Checked only: read again from the field when asked for.
            HeaderName::Expires | HeaderName::MinExpires | HeaderName::MaxExpires => {
                seconds().map_err(invalid)?;
            }
            HeaderName::ContentType => {
                if !MediaType::is_bare(value) {
                    MediaType::parse(text()).map_err(invalid)?;
                }
                self.rest.content_type = Some(field.value);
            }
            HeaderName::ContentDisposition => {
                Disposition::parse(text()).map_err(invalid)?;
            }
            HeaderName::WwwAuthenticate | HeaderName::Authorization => {
                DigestParams::parse_with_scheme(text()).map_err(invalid)?;
            }
            HeaderName::AuthenticationInfo => {
                DigestParams::parse_list(text()).map_err(invalid)?;
            }
            HeaderName::UseNickname => {
                parse_quoted_string(text()).map_err(invalid)?;
            }
            // Free text (RFC 2045): the line was already checked for controls.
            HeaderName::ContentId | HeaderName::ContentDescription => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start(line: &str) -> Result<(String, Line), (ParseErrorKind, usize)> {
        parse_start_line(line.as_bytes()).map(|(tid, l)| (line[tid.range()].to_owned(), l))
    }

    #[test]
    fn start_lines_of_requests_and_responses() {
        assert_eq!(
            start("MSRP a786hjs2 SEND").unwrap(),
            ("a786hjs2".into(), Line::Request(Method::Send))
        );
        assert_eq!(
            start("MSRP a786hjs2 FOO").unwrap().1,
            Line::Request(Method::Other("FOO".into()))
        );
        let (_, line) = start("MSRP a786hjs2 200 OK").unwrap();
        assert_eq!(
            line,
            Line::Response {
                code: 200,
                comment: Some(Span::new(18, 20))
            }
        );
        let (_, line) = start("MSRP a786hjs2 408").unwrap();
        assert_eq!(
            line,
            Line::Response {
                code: 408,
                comment: None
            }
        );
    }

    #[test]
    fn malformed_start_lines_point_at_the_fault() {
        assert_eq!(
            start("MSRP x SEND").unwrap_err(),
            (ParseErrorKind::TransactionId, 5)
        );
        assert_eq!(
            start("MSRP abc SEND").unwrap_err(),
            (ParseErrorKind::TransactionId, 5)
        );
        let tid33 = format!("MSRP {} SEND", "a".repeat(33));
        assert_eq!(
            start(&tid33).unwrap_err(),
            (ParseErrorKind::TransactionId, 5)
        );
        assert_eq!(
            start("MSRP  SEND").unwrap_err(),
            (ParseErrorKind::TransactionId, 5)
        );
        assert_eq!(
            start("MSRP abcd send").unwrap_err(),
            (ParseErrorKind::StartLine, 10)
        );
        assert_eq!(
            start("MSRP abcd").unwrap_err(),
            (ParseErrorKind::StartLine, 9)
        );
        assert_eq!(
            start("MSRP abcd ").unwrap_err(),
            (ParseErrorKind::StartLine, 10)
        );
        assert_eq!(
            start("MSRP abcd 20").unwrap_err(),
            (ParseErrorKind::StartLine, 10)
        );
        assert_eq!(
            start("MSRP abcd 2000").unwrap_err(),
            (ParseErrorKind::StartLine, 13)
        );
        assert_eq!(
            start("MSRP abcd SEND ").unwrap_err(),
            (ParseErrorKind::StartLine, 10)
        );
        assert_eq!(
            start("msrp abcd SEND").unwrap_err().0,
            ParseErrorKind::NotMsrp
        );
    }

    #[test]
    fn prefix_check_fails_on_the_first_wrong_byte() {
        assert_eq!(check_prefix(b""), Ok(()));
        assert_eq!(check_prefix(b"MS"), Ok(()));
        assert_eq!(check_prefix(b"MSRP abcd"), Ok(()));
        assert_eq!(check_prefix(b"\x16\x03\x01"), Err(0));
        assert_eq!(check_prefix(b"MSRQ"), Err(3));
    }

    #[test]
    fn header_lines_are_split_and_trimmed() {
        let (n, v, known) = split_header_line(b"Message-ID:  87652491 \t", 100).unwrap();
        assert_eq!((n, v), (Span::new(100, 110), Span::new(113, 121)));
        assert_eq!(known, Some(HeaderName::MessageId));
        let (_, v, known) = split_header_line(b"X-Empty:", 0).unwrap();
        assert_eq!(known, None);
        assert_eq!(v.start, v.end);
        assert!(split_header_line(b"no colon here", 0).is_err());
        assert!(split_header_line(b": value", 0).is_err());
        assert!(split_header_line(b"1abc: value", 0).is_err());
        assert!(split_header_line(b"a b: value", 0).is_err());
    }

    #[test]
    fn common_headers_split_as_any_header_does() {
        let lines: [&[u8]; 12] = [
            b"To-Path: msrp://a.example.com/x;tcp",
            b"From-Path: msrp://b.example.com/y;tcp",
            b"Message-ID: 87652491",
            b"Byte-Range: 1-38/38",
            b"Content-Type: text/plain",
            b"Success-Report: yes",
            b"Failure-Report: no",
            b"Status: 000 200 OK",
            b"Status: ",
            b"To-Path: ",
            b"Content-Type: x",
            b"Message-ID: a",
        ];
        for line in lines {
            let common = split_common(line, 7);
            assert!(common.is_some(), "{}", String::from_utf8_lossy(line));
            assert_eq!(common.ok_or(()), split_header_line(line, 7).map_err(|_| ()));
        }
        // Left to the general way: other spellings, spacing, other names.
        for line in [
            &b"to-path: x"[..],
            b"To-Path:x",
            b"To-Path:  x",
            b"To-Path: x ",
            b"To-Path: x\t",
            b"Content-ID: x",
            b"Content-Typo: x",
            b"From-Pat: x",
            b"Status:",
            b"Message",
        ] {
            assert_eq!(
                split_common(line, 0),
                None,
                "{}",
                String::from_utf8_lossy(line)
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn common_headers_split_as_any_header_does_for_any_value(
            name in proptest::sample::select(vec!["To-Path", "From-Path", "Message-ID", "Byte-Range", "Content-Type", "Success-Report", "Failure-Report", "Status", "To-PatH", "Status-X", "Content-Typ"]),
            sep in proptest::sample::select(vec![":", ": ", ":  ", ":\t", " : "]),
            value in proptest::collection::vec(proptest::sample::select(b"a :\t/".to_vec()), 0..8),
        ) {
            let line = [name.as_bytes(), sep.as_bytes(), &value].concat();
            if let Some(common) = split_common(&line, 3) {
                proptest::prop_assert_eq!(Ok(common), split_header_line(&line, 3).map_err(|_| ()));
            }
        }

        #[test]
        fn find_byte_finds_the_first(
            // The needles in use: a header's colon, and a CR in a small
            // body (end_line.rs); their neighbours and high-bit twins.
            needle in proptest::sample::select(b":\r".to_vec()),
            hay in proptest::collection::vec(
                proptest::sample::select(b":;9\r\x0c\x0e\x8d\xbaa\x00\xff".to_vec()),
                0..40,
            ),
        ) {
            proptest::prop_assert_eq!(find_byte(&hay, needle), hay.iter().position(|&b| b == needle));
        }

        #[test]
        fn find_special_finds_the_first(hay in proptest::collection::vec(proptest::sample::select(b"ab~\r\n\t\x7f\x80\xff ".to_vec()), 0..80), from in 0usize..90) {
            let want = hay.get(from..).and_then(|rest| rest.iter().position(|b| !(0x20..=0x7e).contains(b)).map(|i| from + i));
            proptest::prop_assert_eq!(find_special(&hay, from), want);
        }

        #[test]
        fn special_bytes_are_those_outside_printable_ascii(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..600)) {
            let want = bytes.iter().filter(|&&b| !(0x20..=0x7e).contains(&b)).count();
            proptest::prop_assert_eq!(count_special(&bytes), want);
        }
    }

    #[test]
    fn special_bytes_are_those_outside_printable_ascii_in_any_lane() {
        for b in 0..=255u8 {
            let special = !(0x20..=0x7e).contains(&b);
            for lane in 0..8 {
                let mut word = [b'a'; 8];
                word[lane] = b;
                let mask = special_bytes(u64::from_le_bytes(word));
                let want = if special { 0x80u64 << (8 * lane) } else { 0 };
                assert_eq!(mask, want, "{b:#x} in lane {lane}");
            }
        }
    }

    #[test]
    fn a_plain_head_is_read_in_one_pass_and_others_are_left_alone() {
        let head = b"MSRP abcd SEND\r\nTo-Path: x\r\nFrom-Path: y\r\n\r\nbody";
        let mut lines = Vec::new();
        let found = scan_plain_head(head, &Limits::default(), &mut lines).unwrap();
        assert_eq!((found.head_len, found.end_cr), (42, 42));
        assert_eq!(lines, [Span::new(16, 26), Span::new(28, 40)]);
        let bodiless = b"MSRP abcd 200 OK\r\nTo-Path: x\r\n-------abcd$\r\n";
        let found = scan_plain_head(bodiless, &Limits::default(), &mut lines).unwrap();
        assert_eq!((found.head_len, found.end_cr), (30, 42));
        // Not whole yet, a tab, a bare LF, a bad start line, over a limit.
        for other in [
            &b"MSRP abcd SEND\r\nTo-Path: x\r\n"[..],
            b"MSRP abcd SEND\r\nTo-Path:\tx\r\n\r\n",
            b"MSRP abcd SEND\r\nTo-Path: x\n\r\n",
            b"MSRP abc SEND\r\nTo-Path: x\r\n\r\n",
            b"MSRP abcd SEND\r\nTo-Path: x\r",
        ] {
            assert!(scan_plain_head(other, &Limits::default(), &mut lines).is_none());
        }
        let mut limits = Limits {
            max_header_line: 9,
            ..Limits::default()
        };
        assert!(scan_plain_head(head, &limits, &mut lines).is_none());
        limits.max_header_line = 10;
        assert!(scan_plain_head(head, &limits, &mut lines).is_none());
        limits.max_header_line = 12;
        assert!(scan_plain_head(head, &limits, &mut lines).is_some());
        limits.max_headers = 1;
        assert!(scan_plain_head(head, &limits, &mut lines).is_none());
    }

    #[test]
    fn plain_heads_skip_the_utf8_check_and_others_do_not() {
        let plain = b"MSRP abcd SEND\r\nTo-Path: x\r\n";
        assert!(matches!(HeadText::check(plain, 2), Ok(HeadText::Plain(_))));
        let tab = b"MSRP abcd SEND\r\nTo-Path:\tx\r\n";
        assert!(matches!(HeadText::check(tab, 2), Ok(HeadText::Utf8(_))));
        let utf8 = "MSRP abcd SEND\r\nX: \u{e9}\r\n".as_bytes();
        assert!(matches!(HeadText::check(utf8, 2), Ok(HeadText::Utf8(_))));
        let bad = b"MSRP abcd SEND\r\nX: \xe9\r\n";
        assert!(matches!(HeadText::check(bad, 2), Err(19)));
    }

    #[test]
    fn printable_is_space_to_tilde() {
        let all: Vec<u8> = (0..=255).collect();
        for &b in &all {
            assert_eq!(
                is_printable(&[b'a', b]),
                (0x20..=0x7e).contains(&b),
                "{b:#x}"
            );
        }
        assert!(is_printable(b""));
        assert!(is_printable(&all[0x20..0x7f]));
    }

    #[test]
    fn controls_other_than_tab_are_found() {
        assert_eq!(find_control(b"plain\ttext"), None);
        assert_eq!(find_control(b"bell\x07"), Some(4));
        assert_eq!(find_control(b"del\x7f"), Some(3));
        assert_eq!(find_control("é ok".as_bytes()), None);
    }
}
