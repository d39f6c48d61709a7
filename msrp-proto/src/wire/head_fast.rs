//! One pass over the head of a common chunk.
//!
//! The line-by-line reading finds each line's end, checks it against the
//! limits and keeps its position; `assemble` then walks the lines again to
//! split them, look their names up and parse their values. Nearly every
//! chunk carries the same few headers, written the same way, and doing all
//! of that in one walk costs a fraction (benches/parse.rs, small_chunk).
//!
//! [`read_head`] only answers when the other ways would build the same
//! head and find no fault, so it needs no error paths of its own: on
//! anything else it gives up before anything has changed, and they then
//! read the same bytes, faults and all.
//!
//! When the chunk's small body lies whole behind the head too, ended where
//! its Byte-Range says, [`read_head`] takes it at once, as a copy: the body
//! step would set up an end-line scan (a fifth of the time of a small
//! chunk), and a slice of the receive buffer costs two atomic reference
//! counts, more than the copy (benches/parse.rs, small_chunk).
//!
//! So the rules of the wire format (RFC 4975 §9's grammar, the limits, the
//! errors) live in `head_parse.rs`; this file only recognises the heads
//! that obey them in the usual way. `tests/fast_head.rs` holds the two
//! readings to the same answers.

use bytes::{Buf, Bytes, BytesMut};

use crate::ident::{IDENT_MAX_LEN, IDENT_MIN_LEN, is_ident, is_ident_char};
use crate::wire::end_line::{EXPECTED_MAX, end_line_at, end_line_flag};
use crate::wire::head::{HeadData, Line, Span};
use crate::wire::head_parse::{TypedHeaders, common_name, parse_start_line, plain_line_end};
use crate::wire::path_cache::{PathCache, PathEntry};
use crate::wire::{
    ByteRange, ChunkHead, Continuation, FailureReport, HeaderName, Limits, MediaType, Method,
    Status, SuccessReport,
};

/// A head taken off the buffer by [`read_head`]. Sixteen bytes, so that it
/// comes back in registers: through memory, the caller's wide loads of
/// what `read_head` had just stored narrowly stalled (perf, small_chunk).
pub(crate) struct FastHead {
    pub(crate) head: ChunkHead,
    /// Bytes taken for the head: the head and the line that ends it
    /// (shorter than the buffer, which is under 4 GiB).
    pub(crate) consumed: u32,
    /// The chunk's flag when its end-line was taken too: a bodiless
    /// chunk's (its end-line ended the head), or that of a body taken whole.
    pub(crate) flag: Option<Continuation>,
}

/// A small body that lay whole behind its head, where Byte-Range says it
/// ends, taken off the buffer with it and copied: no search, where the
/// body step would set up a scan, and no reference on the receive buffer
/// (benches/parse.rs, small_chunk).
#[derive(Debug)]
pub(crate) struct WholeBody {
    /// The body, never empty.
    pub(crate) data: Bytes,
    /// Bytes taken for it: the body and its end-line.
    pub(crate) consumed: usize,
}

/// What the walk over the header lines collects.
#[derive(Default)]
struct Values {
    count: usize,
    typed: TypedHeaders,
    /// The cache entries that To-Path and From-Path were found in, taken
    /// as a pair at the end (`PathCache::pair_of_entries`). A path is
    /// either here or parsed into `typed`, never both: a parse first moves
    /// the ones found here into `typed` (`own_cached_paths`).
    cached: [Option<PathEntry>; 2],
}

/// Takes the head off the front of `buf` when it lies there whole and is
/// common: printable ASCII with CRLF line ends, within every limit, a valid
/// start line, headers that [`common_name`] knows, each once, with a
/// valid value and no whitespace around it, and a blank line after them (a
/// request's) or a valid end-line. `None` for
/// anything else, having changed nothing but `paths` (which only remembers
/// valid paths, and answers as parsing would).
///
/// A body of up to [`EXPECTED_MAX`] bytes that follows whole, ended where
/// its Byte-Range says, with no CR in it (so that no end-line can be in
/// it), is taken too if `may_hold(non_send, len)` allows holding it, and
/// a copy put in `body`: the body step would find the same bytes.
pub(crate) fn read_head(
    buf: &mut BytesMut,
    limits: &Limits,
    paths: &mut PathCache,
    may_hold: impl FnOnce(bool, usize) -> bool,
    body: &mut Option<WholeBody>,
) -> Option<FastHead> {
    let bytes = &buf[..];
    // So that every offset fits the `u32` of a `Span` (see `span`).
    u32::try_from(bytes.len()).ok()?;
    let (transaction_id, line, headers_start) = start_line(bytes, limits.max_start_line)?;
    let mut values = Values::default();
    let mut at = headers_start;
    let (head_len, end_cr, flag) = loop {
        let rest = &bytes[at..];
        if rest.starts_with(b"\r\n") {
            // A response has no body; the general way says so.
            matches!(line, Line::Request(_)).then_some(())?;
            break (at, at, None);
        }
        if rest.starts_with(b"-------") {
            let cr = plain_line_end(bytes, at, at, limits.max_header_line)?;
            let flag = end_line_flag(&bytes[at..cr], &bytes[transaction_id.range()])?;
            break (at, cr, Some(flag));
        }
        let name = common_name(rest)?;
        let bit = 1u32 << (name as u32);
        // None of these may repeat.
        if values.typed.seen & bit != 0 || values.count == limits.max_headers {
            return None;
        }
        values.typed.seen |= bit;
        let value_at = at + name.as_str().len() + 2;
        let cr = values.take(name, bytes, value_at, limits, paths)?;
        if cr - at > limits.max_header_line {
            return None;
        }
        values.count += 1;
        at = cr + 2;
        if at > limits.max_head {
            return None;
        }
    };
    let pair = match (values.cached, &mut values.typed) {
        ([Some(to), Some(from)], _) => paths.pair_of_entries(to, from)?,
        ([to, from], typed) => {
            let cached = |entry: Option<PathEntry>| Some(paths.entry(entry?)?.clone());
            let to = typed.to_path.take().or_else(|| cached(to))?;
            let from = typed.from_path.take().or_else(|| cached(from))?;
            paths.pair(to, from)
        }
    };
    let consumed = end_cr + 2;
    let whole = match (flag, values.typed.rest.byte_range.and_then(|r| r.len())) {
        (None, Some(len @ 1..)) if len <= EXPECTED_MAX as u64 => {
            let len = len as usize;
            let tid = &bytes[transaction_id.range()];
            let non_send = !matches!(line, Line::Request(Method::Send));
            match end_line_at(&bytes[consumed..], len, tid) {
                Some((line_len, flag)) if may_hold(non_send, len) => Some((len, line_len, flag)),
                _ => None,
            }
        }
        _ => None,
    };
    let head = ChunkHead::new(
        HeadData {
            transaction_id,
            headers_start: u32::try_from(headers_start).unwrap_or(u32::MAX),
            line,
            // At most one of each common name.
            header_count: values.count as u32,
            parsed: values.typed.into_parsed(pair),
            has_body: flag.is_none(),
        },
        &bytes[..head_len],
    );
    if let Some((len, line_len, _)) = whole {
        let data = Bytes::copy_from_slice(&bytes[consumed..consumed + len]);
        *body = Some(WholeBody {
            data,
            consumed: len + line_len,
        });
    }
    buf.advance(consumed + whole.map_or(0, |(len, line_len, _)| len + line_len));
    Some(FastHead {
        head,
        // Checked against the buffer's length above.
        consumed: consumed as u32,
        flag: flag.or(whole.map(|(.., flag)| flag)),
    })
}

/// The start line's transaction id, request or response, and where the
/// next line starts. A SEND or REPORT is read here; other start lines the
/// general way, once their end is found.
fn start_line(buf: &[u8], max: usize) -> Option<(Span, Line, usize)> {
    const TID: usize = b"MSRP ".len();
    let tid_end = ident_at(buf.strip_prefix(b"MSRP ")?, 0)? + TID;
    let after = &buf[tid_end..];
    let method = if after.starts_with(b" SEND\r\n") {
        Method::Send
    } else if after.starts_with(b" REPORT\r\n") {
        Method::Report
    } else {
        let cr = plain_line_end(buf, 0, 0, max)?;
        let (tid, line) = parse_start_line(&buf[..cr]).ok()?;
        return Some((tid, line, cr + 2));
    };
    let cr = tid_end + 1 + method.as_str().len();
    (cr <= max).then_some(())?;
    Some((span(TID, tid_end), Line::Request(method), cr + 2))
}

/// A span in a buffer that [`read_head`] checked to be shorter than 4 GiB:
/// `Span::new`'s check of each offset cost a tenth of the walk.
fn span(start: usize, end: usize) -> Span {
    Span {
        start: start as u32,
        end: end as u32,
    }
}

/// Where the `ident` (a transaction id or Message-ID) at `at` ends. A
/// loop of its own: `position` over `take` cost twice as much per byte.
fn ident_at(buf: &[u8], at: usize) -> Option<usize> {
    let limit = buf.len().min(at + IDENT_MAX_LEN + 1);
    let mut end = at;
    // Four bytes a step while all four are ident-chars, then one a step.
    while let Some(four) = buf.get(end..end + 4).filter(|_| end + 4 <= limit) {
        if !four.iter().fold(true, |ok, &b| ok & is_ident_char(b)) {
            break;
        }
        end += 4;
    }
    while end < limit && is_ident_char(buf[end]) {
        end += 1;
    }
    // Every byte is an ident-char: `is_ident` less the check of each.
    let ok = end < limit && end - at >= IDENT_MIN_LEN && buf[at].is_ascii_alphanumeric();
    ok.then_some(end)
}

/// The number of 1 to 19 digits (which cannot overflow) at `at`, and
/// where it ends. Always inline, as `crlf_at`: left to the compiler, both
/// stayed calls, 60 instructions of a small chunk's 2 068 (callgrind,
/// small_chunk).
#[inline(always)]
fn number(buf: &[u8], at: usize) -> Option<(u64, usize)> {
    let mut n = 0u64;
    let mut end = at;
    while let Some(&d) = buf.get(end).filter(|d| d.is_ascii_digit()) {
        if end - at == 19 {
            return None;
        }
        n = n * 10 + u64::from(d - b'0');
        end += 1;
    }
    (end > at).then_some((n, end))
}

/// A Byte-Range value of three numbers at `at` and the CR after it, read
/// as `ByteRange::parse_bytes` reads it.
fn byte_range(buf: &[u8], at: usize) -> Option<(ByteRange, usize)> {
    let after = |at: usize, b: u8| (buf.get(at) == Some(&b)).then_some(at + 1);
    let (start, at) = number(buf, at)?;
    let (end, at) = number(buf, after(at, b'-')?)?;
    let (total, at) = number(buf, after(at, b'/')?)?;
    let range = ByteRange::new(start, Some(end), Some(total)).ok()?;
    Some((range, crlf_at(buf, at)?))
}

/// The CR of the CRLF at `at`.
#[inline(always)]
fn crlf_at(buf: &[u8], at: usize) -> Option<usize> {
    (buf.get(at..at + 2) == Some(b"\r\n")).then_some(at)
}

impl Values {
    /// Clones the paths found in the cache, before a parse that may
    /// replace the entries they were found in with another path.
    fn own_cached_paths(&mut self, paths: &PathCache) -> Option<()> {
        let slots = [&mut self.typed.to_path, &mut self.typed.from_path];
        for (entry, slot) in self.cached.iter_mut().zip(slots) {
            if let Some(entry) = entry.take() {
                *slot = Some(paths.entry(entry)?.clone());
            }
        }
        Some(())
    }

    /// Reads and keeps the value that starts at `at`, of a header line
    /// of `name`; returns the CR that ends the line. The usual values are
    /// read where they stand, the others once the line's end is found.
    fn take(
        &mut self,
        name: HeaderName,
        buf: &[u8],
        at: usize,
        limits: &Limits,
        paths: &mut PathCache,
    ) -> Option<usize> {
        let path_slot = match name {
            HeaderName::ToPath => Some(&mut self.cached[0]),
            HeaderName::FromPath => Some(&mut self.cached[1]),
            _ => None,
        };
        if let Some(slot) = path_slot {
            // A path seen before is found, and the line's end with it.
            if let Some((entry, len)) = paths.line_value(&buf[at..]) {
                *slot = Some(entry);
                return Some(at + len);
            }
        }
        let direct = match name {
            HeaderName::MessageId => ident_at(buf, at)
                .and_then(|end| crlf_at(buf, end))
                .inspect(|&cr| self.typed.rest.message_id = Some(span(at, cr))),
            HeaderName::ByteRange => byte_range(buf, at).map(|(range, cr)| {
                self.typed.rest.byte_range = Some(range);
                cr
            }),
            HeaderName::ContentType if buf[at..].starts_with(b"text/plain\r\n") => {
                self.typed.rest.content_type = Some(span(at, at + 10));
                Some(at + 10)
            }
            _ => None,
        };
        if direct.is_some() {
            return direct;
        }
        let cr = plain_line_end(buf, at, at, limits.max_header_line)?;
        let value = &buf[at..cr];
        // Trimmed by the general way, and so left to it (and kept out of
        // the path cache, whose values are all trimmed).
        if matches!(value.first(), None | Some(b' ')) || value.last() == Some(&b' ') {
            return None;
        }
        // Printable ASCII, so always text.
        let text = || std::str::from_utf8(value).ok();
        let span = span(at, cr);
        let max_uris = limits.max_path_uris;
        if matches!(name, HeaderName::ToPath | HeaderName::FromPath) {
            self.own_cached_paths(paths)?;
        }
        match name {
            HeaderName::ToPath => self.typed.to_path = Some(paths.parse(value, max_uris).ok()?),
            HeaderName::FromPath => self.typed.from_path = Some(paths.parse(value, max_uris).ok()?),
            HeaderName::MessageId => {
                self.typed.rest.message_id = Some(is_ident(value).then_some(span)?);
            }
            HeaderName::ByteRange => {
                self.typed.rest.byte_range = Some(ByteRange::parse_bytes(value).ok()?);
            }
            HeaderName::ContentType => {
                let bare = MediaType::is_bare(value);
                (bare || MediaType::parse(text()?).is_ok()).then_some(())?;
                self.typed.rest.content_type = Some(span);
            }
            HeaderName::SuccessReport => {
                self.typed.rest.success_report = Some(SuccessReport::parse(text()?).ok()?);
            }
            HeaderName::FailureReport => {
                self.typed.rest.failure_report = Some(FailureReport::parse(text()?).ok()?);
            }
            HeaderName::Status => {
                self.typed.rest.status = Some(Box::new(Status::parse(text()?).ok()?));
            }
            _ => return None,
        }
        Some(cr)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn read(head: &str) -> Option<FastHead> {
        read_with_body(head, |_, _| true).map(|(fast, _)| fast)
    }

    fn read_with_body(
        head: &str,
        may_hold: impl FnOnce(bool, usize) -> bool,
    ) -> Option<(FastHead, Option<WholeBody>)> {
        let mut buf = BytesMut::from(head.as_bytes());
        let mut body = None;
        let limits = Limits::default();
        let fast = read_head(
            &mut buf,
            &limits,
            &mut PathCache::default(),
            may_hold,
            &mut body,
        );
        fast.map(|fast| (fast, body))
    }

    const TO: &str = "To-Path: msrp://b.example.com/y;tcp\r\n";
    const FROM: &str = "From-Path: msrp://a.example.com/x;tcp\r\n";

    #[test]
    fn a_small_body_that_lies_whole_behind_its_head_is_taken_with_it() {
        let send = format!("MSRP abcd SEND\r\n{TO}{FROM}Byte-Range: 1-5/5\r\n\r\n");
        let chunk = format!("{send}Hello\r\n-------abcd+\r\nMSRP");
        let (fast, body) = read_with_body(&chunk, |_, _| true).unwrap();
        let body = body.unwrap();
        let flag = Some(Continuation::More);
        assert_eq!((fast.consumed as usize, fast.flag), (send.len(), flag));
        assert_eq!((&body.data[..], body.consumed), (&b"Hello"[..], 5 + 16));
        assert!(fast.head.has_body());
        // Not all there, or not ended where Byte-Range says: the head alone.
        for other in [&chunk[..chunk.len() - 7], &chunk.replace("1-5/5", "1-4/5")] {
            let (fast, body) = read_with_body(other, |_, _| true).unwrap();
            assert!(body.is_none() && fast.flag.is_none(), "{other}");
        }
        // Nor when the caller may not hold it.
        let refuse = |non_send: bool, len: usize| !non_send && len < 5;
        assert!(read_with_body(&chunk, refuse).unwrap().1.is_none());
    }

    #[test]
    fn a_path_found_in_the_cache_survives_the_parse_of_the_other() {
        let limits = Limits::default();
        let mut paths = PathCache::default();
        let known: Vec<String> = (0..4)
            .map(|i| format!("msrp://h{i}.example.com/s{i};tcp"))
            .collect();
        for path in &known {
            paths.parse(path.as_bytes(), limits.max_path_uris).unwrap();
        }
        // To-Path is the entry that parsing From-Path, new, replaces.
        let new = "msrp://new.example.com/n;tcp";
        let send = format!(
            "MSRP abcd SEND\r\nTo-Path: {}\r\nFrom-Path: {new}\r\n\r\n",
            known[0]
        );
        let mut buf = BytesMut::from(send.as_bytes());
        let fast = read_head(&mut buf, &limits, &mut paths, |_, _| true, &mut None).unwrap();
        assert_eq!(fast.head.to_path().to_string(), known[0]);
        assert_eq!(fast.head.from_path().to_string(), new);
        // Once both are known, the heads that carry them share one pair.
        let mut read_again = || {
            let mut buf = BytesMut::from(send.as_bytes());
            let fast = read_head(&mut buf, &limits, &mut paths, |_, _| true, &mut None).unwrap();
            fast.head.data().parsed.paths.clone()
        };
        let (second, third) = (read_again(), read_again());
        assert!(Arc::ptr_eq(&second, &third));
        assert_eq!(*second, *fast.head.data().parsed.paths);
    }

    #[test]
    fn idents_end_where_the_byte_by_byte_reading_ends_them() {
        // What `ident_at` must answer: `is_ident` on the longest run.
        let reference = |buf: &[u8], at: usize| {
            let run = buf[at..].iter().take_while(|&&b| is_ident_char(b)).count();
            let end = at + run;
            (end < buf.len() && is_ident(&buf[at..end])).then_some(end)
        };
        for len in 0..40 {
            for at in [0, 3] {
                let ident: Vec<u8> = (0..at + len).map(|i| b"a1.-+%="[i % 7]).collect();
                for stop in [&b"\r\n"[..], b" ", b"", b";"] {
                    let buf = [&ident[..], stop].concat();
                    assert_eq!(ident_at(&buf, at), reference(&buf, at), "{len} {stop:?}");
                    for bad in at..buf.len() {
                        let mut broken = buf.clone();
                        broken[bad] = b'/';
                        assert_eq!(ident_at(&broken, at), reference(&broken, at), "{len} {bad}");
                    }
                }
            }
        }
    }

    #[test]
    fn numbers_of_up_to_19_digits_are_read_and_longer_ones_left_alone() {
        let max = b"9999999999999999999-";
        assert_eq!(number(max, 0), Some((9_999_999_999_999_999_999, 19)));
        assert_eq!(number(b"99999999999999999999-", 0), None);
        assert_eq!(number(b"x7-", 1), Some((7, 2)));
        assert_eq!(number(b"-", 0), None);
        assert_eq!(number(b"12", 2), None);
    }

    #[test]
    fn common_heads_are_read_and_others_left_alone() {
        let send = format!("MSRP abcd SEND\r\n{TO}{FROM}Message-ID: m123\r\n\r\nbody");
        let fast = read(&send).unwrap();
        assert_eq!((fast.consumed as usize, fast.flag), (send.len() - 4, None));
        assert_eq!(fast.head.message_id(), Some("m123"));
        // The head keeps only how many lines it has, and splits them again.
        let to = ("To-Path", "msrp://b.example.com/y;tcp");
        let from = ("From-Path", "msrp://a.example.com/x;tcp");
        let lines = [to, from, ("Message-ID", "m123")];
        assert_eq!(fast.head.headers().len(), lines.len());
        assert!(fast.head.headers().eq(lines));
        let ok = format!("MSRP abcd 200 OK\r\n{TO}{FROM}-------abcd$\r\n");
        assert_eq!(read(&ok).unwrap().flag, Some(Continuation::Complete));
        for other in [
            // Not whole, a response with a body, an extension header, a
            // bad end-line, spacing the general way trims.
            format!("MSRP abcd SEND\r\n{TO}{FROM}"),
            format!("MSRP abcd 200 OK\r\n{TO}{FROM}\r\n"),
            format!("MSRP abcd SEND\r\n{TO}{FROM}X-Y: z\r\n\r\n"),
            format!("MSRP abcd 200 OK\r\n{TO}{FROM}-------abce$\r\n"),
            format!("MSRP abcd SEND\r\n{TO}{FROM}Message-ID:  m123\r\n\r\n"),
        ] {
            assert!(read(&other).is_none(), "{other}");
        }
    }
}
