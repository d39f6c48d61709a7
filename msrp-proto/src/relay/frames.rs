//! The bytes a relay writes: its own responses and REPORTs, and requests
//! and responses it forwards with their paths rewritten (RFC 4976 §6.4.1:
//! its URI moves from the front of To-Path to the front of From-Path) and
//! a transaction id of its own.
//!
//! Every value written here comes from a head the parser validated, from
//! this relay's configuration, or from numbers, so no header can smuggle a
//! line break in.

use bytes::{BufMut, Bytes, BytesMut};

use crate::connection::respond::reason_phrase;
use crate::uri::MsrpUri;
use crate::wire::{ByteRange, ChunkHead, Continuation, StartLine, end_line, put_decimal};

/// Writes `Name: uri uri ...` and CRLF.
fn put_path(out: &mut BytesMut, name: &str, uris: &[&MsrpUri]) {
    out.put_slice(name.as_bytes());
    out.put_slice(b": ");
    for (i, uri) in uris.iter().enumerate() {
        if i > 0 {
            out.put_u8(b' ');
        }
        out.put_slice(uri.as_str().as_bytes());
    }
    out.put_slice(b"\r\n");
}

fn put_header(out: &mut BytesMut, name: &str, value: &str) {
    out.put_slice(name.as_bytes());
    out.put_slice(b": ");
    out.put_slice(value.as_bytes());
    out.put_slice(b"\r\n");
}

/// A range that is always valid (RFC 4975 §9): a sender may have sent more
/// body than its Byte-Range said, so positions past its end or total are
/// written with `*` rather than as a range the next hop would refuse.
fn valid_range(
    start: u64,
    end: Option<u64>,
    total: Option<u64>,
) -> (u64, Option<u64>, Option<u64>) {
    let start = start.max(1);
    [(end, total), (None, total), (None, None)]
        .into_iter()
        .find(|&(e, t)| ByteRange::new(start, e, t).is_ok())
        .map_or((start, None, None), |(e, t)| (start, e, t))
}

/// `start-end/total`, `*` for an unknown end or total.
pub(crate) fn put_range(out: &mut impl BufMut, start: u64, end: Option<u64>, total: Option<u64>) {
    let (start, end, total) = valid_range(start, end, total);
    put_decimal(out, start);
    out.put_u8(b'-');
    match end {
        Some(end) => put_decimal(out, end),
        None => out.put_u8(b'*'),
    }
    out.put_u8(b'/');
    match total {
        Some(total) => put_decimal(out, total),
        None => out.put_u8(b'*'),
    }
}

fn start_line(out: &mut BytesMut, tid: &str, rest: &str) {
    out.put_slice(b"MSRP ");
    out.put_slice(tid.as_bytes());
    out.put_u8(b' ');
    out.put_slice(rest.as_bytes());
    out.put_slice(b"\r\n");
}

fn is_path_header(name: &str) -> bool {
    name.eq_ignore_ascii_case("To-Path") || name.eq_ignore_ascii_case("From-Path")
}

/// A response of this relay: `code` with its usual reason phrase, To-Path
/// `to`, From-Path `from` (the URI the request was addressed to), then
/// `extra` headers in order, bodiless.
pub(crate) fn response(
    tid: &str,
    code: u16,
    to: &[&MsrpUri],
    from: &MsrpUri,
    extra: &[(&str, &str)],
) -> Bytes {
    let mut out = BytesMut::with_capacity(256);
    start_line(&mut out, tid, &format!("{code:03} {}", reason_phrase(code)));
    put_path(&mut out, "To-Path", to);
    put_path(&mut out, "From-Path", &[from]);
    for (name, value) in extra {
        put_header(&mut out, name, value);
    }
    out.put_slice(&end_line(tid.as_bytes(), Continuation::Complete, false));
    out.freeze()
}

/// A failure REPORT of this relay (RFC 4975 §7.1.2, RFC 4976 §6.4.1): to
/// the sender along `to` (the SEND's From-Path), from `from` (this relay's
/// URI that the SEND went through), for `range` of message `message_id`.
pub(crate) fn report(
    tid: &str,
    to: &[&MsrpUri],
    from: &MsrpUri,
    message_id: &str,
    range: (u64, Option<u64>, Option<u64>),
    code: u16,
) -> Bytes {
    let mut out = BytesMut::with_capacity(320);
    start_line(&mut out, tid, "REPORT");
    put_path(&mut out, "To-Path", to);
    put_path(&mut out, "From-Path", &[from]);
    put_header(&mut out, "Message-ID", message_id);
    out.put_slice(b"Byte-Range: ");
    put_range(&mut out, range.0, range.1, range.2);
    out.put_slice(b"\r\nStatus: 000 ");
    put_decimal(&mut out, u64::from(code));
    out.put_u8(b' ');
    out.put_slice(reason_phrase(code).as_bytes());
    out.put_slice(b"\r\n");
    out.put_slice(&end_line(tid.as_bytes(), Continuation::Complete, false));
    out.freeze()
}

/// A request forwarded whole (not SEND: REPORT, NICKNAME, a chained AUTH,
/// unknown methods, whose bodies are small), with new paths and `tid`.
pub(crate) fn forwarded_request(
    head: &ChunkHead,
    tid: &str,
    to: &[&MsrpUri],
    from: &[&MsrpUri],
    body: Option<&[u8]>,
    flag: Continuation,
) -> Bytes {
    let method = match head.start_line() {
        StartLine::Request { method } => method.as_str().to_owned(),
        StartLine::Response { .. } => String::new(),
    };
    let len = head.as_bytes().len() + body.map_or(0, <[u8]>::len) + 64;
    let mut out = BytesMut::with_capacity(len);
    start_line(&mut out, tid, &method);
    put_path(&mut out, "To-Path", to);
    put_path(&mut out, "From-Path", from);
    for (name, value) in head.headers().filter(|(n, _)| !is_path_header(n)) {
        put_header(&mut out, name, value);
    }
    if let Some(body) = body {
        out.put_slice(b"\r\n");
        out.put_slice(body);
    }
    out.put_slice(&end_line(tid.as_bytes(), flag, body.is_some()));
    out.freeze()
}

/// A response forwarded back (end to end: AUTH, NICKNAME, other non-SEND
/// requests), with new paths and the transaction id of the hop before.
pub(crate) fn forwarded_response(
    head: &ChunkHead,
    tid: &str,
    to: &[&MsrpUri],
    from: &[&MsrpUri],
) -> Bytes {
    let mut out = BytesMut::with_capacity(head.as_bytes().len() + 64);
    let line = match head.start_line() {
        StartLine::Response {
            code,
            comment: Some(comment),
        } => format!("{code:03} {comment}"),
        StartLine::Response { code, .. } => format!("{code:03}"),
        StartLine::Request { .. } => String::new(),
    };
    start_line(&mut out, tid, &line);
    put_path(&mut out, "To-Path", to);
    put_path(&mut out, "From-Path", from);
    for (name, value) in head.headers().filter(|(n, _)| !is_path_header(n)) {
        put_header(&mut out, name, value);
    }
    out.put_slice(&end_line(tid.as_bytes(), Continuation::Complete, false));
    out.freeze()
}

/// The head of a forwarded SEND chunk, made once and written for every
/// part the chunk goes out in (each has a transaction id and Byte-Range of
/// its own): To-Path and From-Path rewritten, the other headers as they
/// came, in their order.
#[derive(Debug, Clone)]
pub(crate) struct HeadTemplate {
    /// Headers up to where Byte-Range goes, each with its CRLF.
    before_range: Bytes,
    /// Headers after Byte-Range, then the blank line if a body follows.
    after_range: Bytes,
}

impl HeadTemplate {
    pub(crate) fn new(head: &ChunkHead, to: &[&MsrpUri], from: &[&MsrpUri]) -> Self {
        let mut before = BytesMut::with_capacity(head.as_bytes().len() + 64);
        put_path(&mut before, "To-Path", to);
        put_path(&mut before, "From-Path", from);
        let mut after = BytesMut::with_capacity(head.as_bytes().len());
        // Byte-Range where it was; without one (1-*/* implied, RFC 4975
        // §7.1.1), right after the paths, since resumed parts need one.
        let mut seen_range = head.byte_range().is_none();
        for (name, value) in head.headers().filter(|(n, _)| !is_path_header(n)) {
            if name.eq_ignore_ascii_case("Byte-Range") {
                seen_range = true;
                continue;
            }
            let out = if seen_range { &mut after } else { &mut before };
            put_header(out, name, value);
        }
        if head.has_body() {
            after.put_slice(b"\r\n");
        }
        Self {
            before_range: before.freeze(),
            after_range: after.freeze(),
        }
    }

    /// The most bytes [`render`](Self::render) can write: the longest
    /// transaction id (32, RFC 4975 §9) and Byte-Range.
    pub(crate) fn max_len(&self) -> usize {
        // "MSRP " tid " SEND\r\n" "Byte-Range: " a-b/c "\r\n"
        self.before_range.len() + self.after_range.len() + 5 + 32 + 7 + 12 + 3 * 20 + 2 + 2
    }

    /// The start line and headers of one part.
    pub(crate) fn render(
        &self,
        tid: &str,
        start: u64,
        end: Option<u64>,
        total: Option<u64>,
    ) -> Bytes {
        let mut out = BytesMut::with_capacity(
            self.before_range.len() + self.after_range.len() + tid.len() + 64,
        );
        start_line(&mut out, tid, "SEND");
        out.put_slice(&self.before_range);
        out.put_slice(b"Byte-Range: ");
        put_range(&mut out, start, end, total);
        out.put_slice(b"\r\n");
        out.put_slice(&self.after_range);
        out.freeze()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(start: u64, end: Option<u64>, total: Option<u64>) -> String {
        let mut out = Vec::new();
        put_range(&mut out, start, end, total);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn ranges_written_are_always_valid() {
        assert_eq!(range(1, Some(10), Some(10)), "1-10/10");
        assert_eq!(range(5, None, Some(10)), "5-*/10");
        // A body longer than its Byte-Range said: past the end, past the total.
        assert_eq!(range(3, Some(12400), Some(3415)), "3-*/3415");
        assert_eq!(range(5000, Some(10), Some(3415)), "5000-*/*");
        assert_eq!(range(0, Some(0), Some(0)), "1-0/0");
    }
}
