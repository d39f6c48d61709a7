//! Finding the end of a body: `CRLF "-------" transact-id flag CRLF`
//! (RFC 4975 §9 `end-line`), resumably, so no body byte is scanned twice.
//!
//! The search runs over the receive buffer with one SIMD substring finder for
//! the fixed part `\r\n-------` (built once per parser), then compares the
//! transaction id and the flag at each candidate. Only the bytes that could
//! still begin an end-line are held back between reads; everything before
//! them is body and can be handed out.

use memchr::memmem::Finder;

use crate::wire::Continuation;
use crate::wire::head_parse::find_byte;

/// The fixed part of every end-line, including the CRLF that ends the body.
pub(crate) const END_LINE_PREFIX: &[u8] = b"\r\n-------";

/// One searcher for [`END_LINE_PREFIX`] shared by every connection (each
/// of its own cost some 300 bytes per connection).
pub(crate) fn end_line_finder() -> &'static Finder<'static> {
    static FINDER: std::sync::LazyLock<Finder<'static>> =
        std::sync::LazyLock::new(|| Finder::new(END_LINE_PREFIX));
    &FINDER
}

/// A transaction id held inline (it is at most 32 bytes), so that entering a
/// body allocates nothing.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tid {
    bytes: [u8; 32],
    len: u8,
}

impl Tid {
    pub(crate) fn new(tid: &[u8]) -> Self {
        let mut bytes = [0; 32];
        let len = tid.len().min(32);
        bytes[..len].copy_from_slice(&tid[..len]);
        Self {
            bytes,
            len: len as u8,
        }
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
}

/// The outcome of one scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scan {
    /// No end-line yet. The first `safe` bytes of the buffer are body.
    Pending { safe: usize },
    /// The body is the first `body_len` bytes; the end-line follows and is
    /// `line_len` bytes long, CRLFs included.
    Found {
        body_len: usize,
        line_len: usize,
        flag: Continuation,
    },
}

/// Bodies up to this size are first looked for where their Byte-Range
/// says they end (see [`EndLineScanner::expect`]). Above it the search
/// costs little next to the body, and a body read twice would cost more.
pub(crate) const EXPECTED_MAX: usize = 1024;

/// Resumable search for the end-line of one chunk.
#[derive(Debug, Clone)]
pub(crate) struct EndLineScanner {
    tid: Tid,
    /// Offset in the buffer before which no end-line can start.
    resume: usize,
    /// The body length the head declares, tried on the first scan only.
    expected: Option<usize>,
}

impl EndLineScanner {
    pub(crate) fn new(tid: Tid) -> Self {
        Self {
            tid,
            resume: 0,
            expected: None,
        }
    }

    /// Tells the scanner how long the body should be (from Byte-Range),
    /// before its first scan. Only a shortcut: the first scan checks for
    /// the end-line there before searching, and the outcome is the same.
    pub(crate) fn expect(&mut self, body_len: u64) {
        self.expected = usize::try_from(body_len)
            .ok()
            .filter(|&len| len <= EXPECTED_MAX);
    }

    /// Scans `buf` (the body bytes received and not yet handed out) from
    /// where the last scan stopped.
    pub(crate) fn scan(&mut self, buf: &[u8], finder: &Finder<'_>) -> Scan {
        if let Some(len) = self.expected.take() {
            debug_assert_eq!(self.resume, 0, "only before the first scan");
            if let Some((line_len, flag)) = end_line_at(buf, len, self.tid.as_bytes()) {
                return Scan::Found {
                    body_len: len,
                    line_len,
                    flag,
                };
            }
        }
        let tid = self.tid.as_bytes();
        loop {
            let from = self.resume.min(buf.len());
            let Some(i) = finder.find(&buf[from..]) else {
                // A partial `\r\n-------` may sit at the very end; keep it.
                self.resume = from.max(buf.len().saturating_sub(END_LINE_PREFIX.len() - 1));
                return Scan::Pending { safe: self.resume };
            };
            let at = from + i;
            let tid_at = at + END_LINE_PREFIX.len();
            let after_tid = tid_at + tid.len();
            let seen = &buf[tid_at.min(buf.len())..buf.len().min(after_tid)];
            if !tid.starts_with(seen) {
                // Another transaction's end-line, or none: body data.
                self.resume = at + 1;
                continue;
            }
            let (Some(&flag), Some(crlf)) =
                (buf.get(after_tid), buf.get(after_tid + 1..after_tid + 3))
            else {
                // Could still be ours: wait for more bytes.
                self.resume = at;
                return Scan::Pending { safe: at };
            };
            let flag = match Continuation::from_byte(flag) {
                Some(flag) if crlf == b"\r\n" => flag,
                // The end-line is `-------<tid><flag>CRLF` (RFC 4975 §9), and
                // only the whole of it is kept out of bodies (§7.1): anything
                // less is body data.
                _ => {
                    self.resume = at + 1;
                    continue;
                }
            };
            return Scan::Found {
                body_len: at,
                line_len: after_tid + 3 - at,
                flag,
            };
        }
    }

    /// The caller removed `n` bytes from the front of the buffer.
    pub(crate) fn advance(&mut self, n: usize) {
        self.resume = self.resume.saturating_sub(n);
    }
}

/// The end-line of the chunk with transaction id `tid` at `body_len` in
/// `buf` (the body's first byte at 0), if it is there whole and nothing
/// before it can start one (no CR in the body): its length with CRLFs, and
/// its flag. The search would then find the same; checking costs a fifth
/// of setting it up for a small body (benches/parse.rs, small_chunk).
pub(crate) fn end_line_at(
    buf: &[u8],
    body_len: usize,
    tid: &[u8],
) -> Option<(usize, Continuation)> {
    let rest = buf
        .get(body_len..)?
        .strip_prefix(END_LINE_PREFIX)?
        .strip_prefix(tid)?;
    let flag = match rest {
        [flag, b'\r', b'\n', ..] => Continuation::from_byte(*flag)?,
        _ => return None,
    };
    find_byte(&buf[..body_len], b'\r')
        .is_none()
        .then_some((END_LINE_PREFIX.len() + tid.len() + 3, flag))
}

/// The flag of `line` (without its CRLF) when it is the end-line of the
/// chunk with transaction id `tid`.
pub(crate) fn end_line_flag(line: &[u8], tid: &[u8]) -> Option<Continuation> {
    match line.strip_prefix(b"-------")?.strip_prefix(tid) {
        Some([flag]) => Continuation::from_byte(*flag),
        _ => None,
    }
}

/// Where `\r\n-------<tid>` occurs in `body`, if anywhere: sending `body`
/// under `tid` could then end the chunk early, so the sender must choose
/// another transaction id (RFC 4975 §7.1). Deliberately stricter than the
/// receiver, which reads such a place as body unless a flag and CRLF follow.
pub(crate) fn find_in_body(body: &[u8], tid: &[u8], finder: &Finder<'_>) -> Option<usize> {
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
mod tests {
    use super::*;

    fn scan_all(buf: &[u8], tid: &str) -> Scan {
        let finder = Finder::new(END_LINE_PREFIX);
        EndLineScanner::new(Tid::new(tid.as_bytes())).scan(buf, &finder)
    }

    #[test]
    fn finds_the_end_line_and_its_flag() {
        assert_eq!(
            scan_all(b"hello\r\n-------abcd$\r\nMSRP", "abcd"),
            Scan::Found {
                body_len: 5,
                line_len: 16,
                flag: Continuation::Complete
            }
        );
        assert_eq!(
            scan_all(b"\r\n-------abcd+\r\n", "abcd"),
            Scan::Found {
                body_len: 0,
                line_len: 16,
                flag: Continuation::More
            }
        );
        assert_eq!(
            scan_all(b"x\r\n-------abcd#\r\n", "abcd"),
            Scan::Found {
                body_len: 1,
                line_len: 16,
                flag: Continuation::Aborted
            }
        );
    }

    #[test]
    fn near_misses_are_body() {
        // Another tid, this tid followed by a non-flag byte, a longer tid.
        let body = b"a\r\n-------wxyz$\r\nb\r\n-------abcdX\r\nc\r\n-------abcde$\r\n";
        let mut buf = body.to_vec();
        buf.extend_from_slice(b"\r\n-------abcd$\r\n");
        assert_eq!(
            scan_all(&buf, "abcd"),
            Scan::Found {
                body_len: body.len(),
                line_len: 16,
                flag: Continuation::Complete
            }
        );
    }

    #[test]
    fn holds_back_only_what_could_start_an_end_line() {
        assert_eq!(scan_all(b"hello world", "abcd"), Scan::Pending { safe: 3 });
        assert_eq!(scan_all(b"hello\r\n---", "abcd"), Scan::Pending { safe: 2 });
        assert_eq!(
            scan_all(b"hello\r\n-------ab", "abcd"),
            Scan::Pending { safe: 5 }
        );
        assert_eq!(
            scan_all(b"hello\r\n-------abcd$\r", "abcd"),
            Scan::Pending { safe: 5 }
        );
        // A candidate whose tid already differs is not held.
        assert_eq!(
            scan_all(b"hello\r\n-------x", "abcd"),
            Scan::Pending { safe: 7 }
        );
    }

    #[test]
    fn a_flag_without_crlf_is_body() {
        assert_eq!(
            scan_all(b"\r\n-------abcd$xx", "abcd"),
            Scan::Pending { safe: 8 }
        );
        assert_eq!(
            scan_all(b"\r\n-------abcd$\rx", "abcd"),
            Scan::Pending { safe: 8 }
        );
    }

    #[test]
    fn the_declared_length_is_only_a_shortcut() {
        let finder = Finder::new(END_LINE_PREFIX);
        let scan = |buf: &[u8], declared: u64| {
            let mut scanner = EndLineScanner::new(Tid::new(b"abcd"));
            scanner.expect(declared);
            scanner.scan(buf, &finder)
        };
        let found = |body_len| Scan::Found {
            body_len,
            line_len: 16,
            flag: Continuation::Complete,
        };
        assert_eq!(scan(b"hello\r\n-------abcd$\r\n", 5), found(5));
        // The body is shorter or longer than declared.
        assert_eq!(scan(b"hel\r\n-------abcd$\r\nlo", 5), found(3));
        assert_eq!(scan(b"hello!\r\n-------abcd$\r\n", 5), found(6));
        // An end-line inside the declared body comes first.
        let early = b"he\r\n-------abcd$\r\nl\r\n-------abcd$\r\n";
        assert_eq!(scan(early, 19), found(2));
        // A near miss where the body should end is body.
        let near = b"hello\r\n-------abcdX\r\n\r\n-------abcd+\r\n";
        assert_eq!(
            scan(near, 5),
            Scan::Found {
                body_len: 21,
                line_len: 16,
                flag: Continuation::More
            }
        );
        // Not all there yet.
        assert_eq!(
            scan(b"hello\r\n-------abcd$\r", 5),
            Scan::Pending { safe: 5 }
        );
    }

    #[test]
    fn resumes_without_rescanning() {
        let finder = Finder::new(END_LINE_PREFIX);
        let mut scanner = EndLineScanner::new(Tid::new(b"abcd"));
        let mut buf = b"0123456789".to_vec();
        assert_eq!(scanner.scan(&buf, &finder), Scan::Pending { safe: 2 });
        buf.drain(..2);
        scanner.advance(2);
        buf.extend_from_slice(b"\r\n-------abcd$\r\n");
        assert_eq!(
            scanner.scan(&buf, &finder),
            Scan::Found {
                body_len: 8,
                line_len: 16,
                flag: Continuation::Complete
            }
        );
    }

    #[test]
    fn collisions_in_outgoing_bodies_are_found() {
        let finder = Finder::new(END_LINE_PREFIX);
        assert_eq!(find_in_body(b"plain", b"abcd", &finder), None);
        assert_eq!(
            find_in_body(b"x\r\n-------abcd$\r\n", b"abcd", &finder),
            Some(1)
        );
        assert_eq!(
            find_in_body(b"x\r\n-------abcdZ", b"abcd", &finder),
            Some(1)
        );
        // A partial tid at the very end is followed by the real end-line's CR.
        assert_eq!(find_in_body(b"x\r\n-------ab", b"abcd", &finder), None);
        assert_eq!(find_in_body(b"x\r\n-------wxyz$", b"abcd", &finder), None);
        // A body that starts with the end-line text without its CRLF is safe.
        assert_eq!(find_in_body(b"-------abcd$\r\n", b"abcd", &finder), None);
    }
}
