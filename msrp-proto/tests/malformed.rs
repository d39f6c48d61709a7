//! Malformed input: one test per limit and per error of the wire parser.
//!
//! Every case is fed whole and one byte at a time, and both must give the
//! same chunks and the same errors. Each test checks the exact
//! [`ParseErrorKind`], the stream offset, and whether the framing survived;
//! where it did, also the status code, what [`ParseError::rejected`] tells
//! about the skipped chunk, and that the next chunk in the same buffer parses.
//! Fatal cases are also run behind a valid chunk, so that offsets are checked
//! to count from the start of the stream. Each limit also has a boundary
//! test: input exactly at the limit parses.
#![forbid(unsafe_code)]

use msrp_proto::uri::UriErrorKind;
use msrp_proto::wire::{
    BodyMode, ChunkHead, ChunkReader, Continuation, Event, HeaderError, Limits, Method, ParseError,
    ParseErrorKind, Parser,
};

const TO_PATH: &str = "msrp://bob.example.com:8888/9di4eae923wzd;tcp";
const FROM_PATH: &str = "msrp://alice.example.com:7777/iau39soe2843z;tcp";

// ---- Building input. ----

/// A chunk: `start_line`, the header lines (without CRLF), and a body or
/// (`None`) an end-line right after the headers. The transaction id for the
/// end-line is the start line's second word.
fn chunk(start_line: &str, headers: &[&str], body: Option<&[u8]>) -> Vec<u8> {
    let tid = start_line.split(' ').nth(1).unwrap_or("");
    let mut out = format!("{start_line}\r\n").into_bytes();
    for header in headers {
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    if let Some(body) = body {
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(body);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("-------{tid}$\r\n").as_bytes());
    out
}

fn to_path() -> String {
    format!("To-Path: {TO_PATH}")
}

fn from_path() -> String {
    format!("From-Path: {FROM_PATH}")
}

/// A SEND with To-Path, From-Path, then `extra` header lines.
fn send(tid: &str, extra: &[&str], body: Option<&[u8]>) -> Vec<u8> {
    let (to, from) = (to_path(), from_path());
    let mut headers = vec![to.as_str(), from.as_str()];
    headers.extend_from_slice(extra);
    chunk(&format!("MSRP {tid} SEND"), &headers, body)
}

/// A well-formed chunk to follow a rejected one.
fn next_chunk() -> Vec<u8> {
    send(
        "next0001",
        &["Message-ID: nextmsg1", "Content-Type: text/plain"],
        Some(b"after"),
    )
}

fn concat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// Offset of the first occurrence of `needle` in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> u64 {
    hay.windows(needle.len())
        .position(|w| w == needle)
        .unwrap_or_else(|| panic!("{:?} not found", needle.escape_ascii().to_string())) as u64
}

fn limits_with(change: impl FnOnce(&mut Limits)) -> Limits {
    let mut limits = Limits::default();
    change(&mut limits);
    limits
}

// ---- Running the parser. ----

/// What came out of a stream: complete chunks and rejections, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(clippy::large_enum_variant)] // a handful per test
enum Item {
    Chunk {
        head: ChunkHead,
        body: Option<Vec<u8>>,
        flag: Continuation,
    },
    /// An error with intact framing; the chunk it interrupted is dropped.
    Rejected(ParseError),
}

#[derive(Debug)]
struct Run {
    items: Vec<Item>,
    fatal: Option<ParseError>,
    /// Bytes fed when each error (rejection or fatal) came out.
    fed_at: Vec<u64>,
    /// Body bytes of the interrupted chunk handed out before each rejection.
    handed_out: Vec<usize>,
    finish: Result<(), ParseError>,
}

impl Run {
    fn chunks(&self) -> Vec<(&ChunkHead, Option<&[u8]>)> {
        self.items
            .iter()
            .filter_map(|item| match item {
                Item::Chunk { head, body, .. } => Some((head, body.as_deref())),
                Item::Rejected(_) => None,
            })
            .collect()
    }

    fn rejections(&self) -> Vec<&ParseError> {
        self.items
            .iter()
            .filter_map(|item| match item {
                Item::Rejected(err) => Some(err),
                Item::Chunk { .. } => None,
            })
            .collect()
    }
}

/// Feeds `input` in pieces of `piece` bytes to a parser in body mode `mode`
/// and records what comes out. After a fatal error it checks that `next`
/// and `finish` keep returning it, even when more (valid) bytes arrive.
fn run(input: &[u8], limits: &Limits, mode: BodyMode, piece: usize) -> Run {
    let mut parser = Parser::new(limits.clone());
    parser.set_body_mode(mode);
    let mut out = Run {
        items: Vec::new(),
        fatal: None,
        fed_at: Vec::new(),
        handed_out: Vec::new(),
        finish: Ok(()),
    };
    let mut open: Option<(ChunkHead, Vec<u8>)> = None;
    let mut fed = 0u64;
    'feed: for data in input.chunks(piece.max(1)) {
        parser.feed(data);
        fed += data.len() as u64;
        loop {
            match parser.next() {
                Ok(None) => break,
                Ok(Some(Event::Head(head))) => open = Some((head, Vec::new())),
                Ok(Some(Event::Body(data))) => open.as_mut().unwrap().1.extend_from_slice(&data),
                Ok(Some(Event::End(flag))) => {
                    let (head, body) = open.take().unwrap();
                    let body = head.has_body().then_some(body);
                    out.items.push(Item::Chunk { head, body, flag });
                }
                Err(err) if err.framing_intact() => {
                    out.handed_out
                        .push(open.take().map_or(0, |(_, body)| body.len()));
                    out.fed_at.push(fed);
                    out.items.push(Item::Rejected(err));
                }
                Err(err) => {
                    out.fed_at.push(fed);
                    out.fatal = Some(err);
                    break 'feed;
                }
            }
        }
    }
    out.finish = parser.finish();
    if let Some(fatal) = &out.fatal {
        assert_eq!(
            out.finish.as_ref(),
            Err(fatal),
            "finish after a fatal error"
        );
        assert_eq!(
            parser.next().as_ref(),
            Err(fatal),
            "next after a fatal error"
        );
        parser.feed(&next_chunk());
        assert_eq!(parser.next().as_ref(), Err(fatal), "next after more bytes");
        assert_eq!(parser.next().as_ref(), Err(fatal), "next, once more");
    }
    out
}

/// Runs `input` whole and one byte at a time; both must agree. Returns both.
fn check_with(input: &[u8], limits: &Limits, mode: BodyMode) -> (Run, Run) {
    let whole = run(input, limits, mode, input.len());
    let bytewise = run(input, limits, mode, 1);
    assert_eq!(whole.items, bytewise.items, "whole vs bytewise: items");
    assert_eq!(
        whole.fatal, bytewise.fatal,
        "whole vs bytewise: fatal error"
    );
    assert_eq!(whole.finish, bytewise.finish, "whole vs bytewise: finish");
    (whole, bytewise)
}

fn check(input: &[u8], limits: &Limits) -> (Run, Run) {
    check_with(input, limits, BodyMode::Stream)
}

/// Input that must fail with a fatal error of `kind` at `offset`. Also run
/// behind a valid chunk, where the offset moves by that chunk's length.
/// Returns the bytewise run (for `fed_at`).
fn expect_fatal(input: &[u8], limits: &Limits, kind: ParseErrorKind, offset: u64) -> Run {
    let (whole, bytewise) = check(input, limits);
    let err = whole.fatal.as_ref().unwrap_or_else(|| {
        panic!(
            "no fatal error for {:?}; got {:?}",
            String::from_utf8_lossy(&input[..input.len().min(200)]),
            whole.items
        )
    });
    assert_eq!(err.kind(), &kind);
    assert_eq!(err.offset(), offset, "offset of {kind:?}");
    assert!(!err.framing_intact(), "{kind:?} must break the framing");
    assert!(err.rejected().is_none());
    assert!(
        whole.items.is_empty(),
        "items before the error: {:?}",
        whole.items
    );

    let prefix = next_chunk();
    let (behind, _) = check(&concat(&[&prefix, input]), limits);
    assert_eq!(behind.chunks().len(), 1, "the valid chunk before the error");
    let err = behind.fatal.expect("fatal error behind a valid chunk");
    assert_eq!(err.kind(), &kind);
    assert_eq!(
        err.offset(),
        offset + prefix.len() as u64,
        "offset behind a chunk"
    );
    bytewise
}

/// Input that must parse into exactly `n` chunks, with no error.
fn expect_ok(input: &[u8], limits: &Limits, n: usize) -> Run {
    let (whole, _) = check(input, limits);
    assert_eq!(whole.fatal, None);
    assert_eq!(whole.rejections(), Vec::<&ParseError>::new());
    assert_eq!(whole.finish, Ok(()));
    assert_eq!(whole.chunks().len(), n);
    whole
}

/// The one rejection of a run whose rejected chunk is followed by
/// [`next_chunk`], which must parse.
fn single_rejection(run: &Run) -> ParseError {
    assert_eq!(run.fatal, None, "fatal error");
    assert_eq!(run.finish, Ok(()), "finish");
    let rejections = run.rejections();
    assert_eq!(rejections.len(), 1, "rejections: {rejections:?}");
    let chunks = run.chunks();
    assert_eq!(chunks.len(), 1, "the chunk after the rejected one");
    assert_eq!(chunks[0].0.transaction_id(), "next0001");
    assert_eq!(chunks[0].1, Some(&b"after"[..]));
    assert!(
        matches!(run.items[0], Item::Rejected(_)),
        "rejection comes first"
    );
    rejections[0].clone()
}

/// The To-Path and From-Path a rejected chunk reports, as text.
type Paths<'a> = (Option<&'a str>, Option<&'a str>);

/// Checks an error with intact framing and what it says about the chunk.
fn assert_rejected(
    err: &ParseError,
    kind: &ParseErrorKind,
    offset: u64,
    status: u16,
    (tid, method): (&str, Option<Method>),
    (to, from): Paths<'_>,
) {
    assert_eq!(err.kind(), kind);
    assert_eq!(err.offset(), offset, "offset of {kind:?}");
    assert!(err.framing_intact(), "{kind:?} keeps the framing");
    assert_eq!(err.status_code(), status);
    let rejected = err.rejected().expect("rejected chunk");
    assert_eq!(rejected.transaction_id, tid);
    assert_eq!(rejected.method, method);
    let text = |p: &Option<msrp_proto::Path>| p.as_ref().map(ToString::to_string);
    assert_eq!(text(&rejected.to_path).as_deref(), to, "rejected To-Path");
    assert_eq!(
        text(&rejected.from_path).as_deref(),
        from,
        "rejected From-Path"
    );
}

// ---- Start line. ----

#[test]
fn malformed_start_lines_break_the_framing() {
    let tid33 = format!("MSRP {} SEND", "a".repeat(33));
    let cases: &[(&str, &str, ParseErrorKind, u64)] = &[
        (
            "tid of 3 characters",
            "MSRP abc SEND",
            ParseErrorKind::TransactionId,
            5,
        ),
        (
            "tid of 33 characters",
            &tid33,
            ParseErrorKind::TransactionId,
            5,
        ),
        (
            "tid of 1 character",
            "MSRP x SEND",
            ParseErrorKind::TransactionId,
            5,
        ),
        ("empty tid", "MSRP  SEND", ParseErrorKind::TransactionId, 5),
        (
            "tid starting with a dot",
            "MSRP .abc SEND",
            ParseErrorKind::TransactionId,
            5,
        ),
        (
            "lower-case method",
            "MSRP abcd send",
            ParseErrorKind::StartLine,
            10,
        ),
        ("no method", "MSRP abcd", ParseErrorKind::StartLine, 9),
        (
            "four-digit status",
            "MSRP abcd 2000",
            ParseErrorKind::StartLine,
            13,
        ),
        (
            "two-digit status",
            "MSRP abcd 20",
            ParseErrorKind::StartLine,
            10,
        ),
        (
            "method and trailing space",
            "MSRP abcd SEND ",
            ParseErrorKind::StartLine,
            10,
        ),
        (
            "control character",
            "MSRP ab\x01d SEND",
            ParseErrorKind::HeaderCharacter,
            7,
        ),
        (
            "lower-case protocol",
            "msrp abcd SEND",
            ParseErrorKind::NotMsrp,
            0,
        ),
    ];
    for (what, line, kind, offset) in cases {
        eprintln!("case: {what}");
        let input = chunk(line, &[&to_path(), &from_path()], None);
        expect_fatal(&input, &Limits::default(), kind.clone(), *offset);
    }
}

#[test]
fn transaction_ids_of_4_and_32_characters_pass() {
    for tid in ["abcd", &"a".repeat(32), "0a.-+%="] {
        let run = expect_ok(&send(tid, &[], None), &Limits::default(), 1);
        assert_eq!(run.chunks()[0].0.transaction_id(), tid);
    }
}

#[test]
fn a_tls_client_hello_fails_at_its_first_byte() {
    // A TLS 1.2 ClientHello record header and the start of the handshake:
    // no CRLF anywhere, so the parser must not wait for one.
    let hello: &[u8] = b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\x8a\x9b\x11\x22\x33";
    let run = expect_fatal(hello, &Limits::default(), ParseErrorKind::NotMsrp, 0);
    assert_eq!(run.fed_at, [1], "refused on the first byte");
    // A wrong byte later in the prefix is found as soon as it arrives too.
    let run = expect_fatal(
        b"MSRQ abcd SEND",
        &Limits::default(),
        ParseErrorKind::NotMsrp,
        3,
    );
    assert_eq!(run.fed_at, [4]);
}

#[test]
fn an_over_long_start_line_fails_before_its_end() {
    // "MSRP abcd " and a 2000-letter method, never terminated.
    let line = format!("MSRP abcd {}", "A".repeat(2000));
    let kind = ParseErrorKind::StartLineTooLong { limit: 1024 };
    let run = expect_fatal(line.as_bytes(), &Limits::default(), kind, 1024);
    // Raised with the 1025th byte, which is not the CR of a CRLF.
    assert_eq!(run.fed_at, [1025]);
}

#[test]
fn a_start_line_of_1025_bytes_fails_and_1024_passes() {
    let line = |len: usize| format!("MSRP abcd {}", "A".repeat(len - 10));
    let input = chunk(&line(1025), &[&to_path(), &from_path()], None);
    let kind = ParseErrorKind::StartLineTooLong { limit: 1024 };
    expect_fatal(&input, &Limits::default(), kind, 1024);

    let input = chunk(&line(1024), &[&to_path(), &from_path()], None);
    let run = expect_ok(&input, &Limits::default(), 1);
    assert_eq!(run.chunks()[0].0.method().unwrap().as_str().len(), 1014);
}

#[test]
fn a_custom_start_line_limit_is_enforced() {
    let limits = limits_with(|l| l.max_start_line = 18);
    expect_ok(&send("abcdefgh", &[], None), &limits, 1); // 18 bytes
    let kind = ParseErrorKind::StartLineTooLong { limit: 18 };
    expect_fatal(&send("abcdefghi", &[], None), &limits, kind, 18);
}

/// Regression (fuzz, `parse_stream`): a line whose byte past the limit is
/// not a CR, with a bare LF right after it. Fed whole, the LF used to be
/// found first (bare line ending at the limit + 1); byte by byte, the byte
/// past the limit came first (too long at the limit). The line is too long
/// either way, and says so at the limit.
#[test]
fn a_bare_lf_just_past_the_limit_is_a_too_long_line_however_it_arrives() {
    // 18 bytes: room for the valid chunk `expect_fatal` puts in front.
    let limits = limits_with(|l| l.max_start_line = 18);
    // 19 bytes before the LF, with a bare CR among them.
    let input = b"MSRP 49fi A\x8fH\rToTab\nmore";
    let kind = ParseErrorKind::StartLineTooLong { limit: 18 };
    let run = expect_fatal(input, &limits, kind.clone(), 18);
    assert_eq!(run.fed_at, [19]);
    // One byte shorter, the LF is inside the window: a bare line ending.
    let input = b"MSRP 49fi A\x8fH\rToTa\nmore";
    expect_fatal(input, &limits, ParseErrorKind::BareLineEnding, 18);
    // Split right before the LF, and right after it.
    for split in [18, 19, 20] {
        let input = b"MSRP 49fi A\x8fH\rToTab\nmore";
        let mut parser = Parser::new(limits.clone());
        parser.feed(&input[..split]);
        let first = parser.next();
        parser.feed(&input[split..]);
        let err = first.and_then(|_| parser.next()).unwrap_err();
        assert_eq!((err.kind(), err.offset()), (&kind, 18), "split at {split}");
    }
}

// ---- Header lines. ----

const START: &str = "MSRP abcd SEND\r\n";

#[test]
fn an_over_long_header_line_fails_before_its_end() {
    // 8193 bytes of header line and no CRLF at all.
    let line = format!("X-Long: {}", "a".repeat(8193 - 8));
    let input = concat(&[START.as_bytes(), line.as_bytes()]);
    let at = START.len() as u64;
    let kind = ParseErrorKind::HeaderLineTooLong { limit: 8192 };
    let run = expect_fatal(&input, &Limits::default(), kind, at + 8192);
    assert_eq!(
        run.fed_at,
        [at + 8193],
        "raised with the first byte too many"
    );
}

/// Regression: the parser used to wait for one more byte after a line had
/// passed its limit, in case it was a CR (`parser.rs`, `line_end`). A CR
/// right after the limit still waits for its LF.
#[test]
fn a_line_at_the_limit_waits_for_its_lf_only_after_a_cr() {
    let line = format!("{START}X-Long: {}", "a".repeat(8192 - 8));
    let mut parser = Parser::new(Limits::default());
    parser.feed(line.as_bytes());
    assert_eq!(parser.next(), Ok(None));
    parser.feed(b"\r");
    assert_eq!(parser.next(), Ok(None), "the CR may start the CRLF");
    parser.feed(b"\n");
    assert_eq!(parser.next(), Ok(None), "the next line is still to come");

    let mut parser = Parser::new(Limits::default());
    parser.feed(line.as_bytes());
    parser.feed(b"a");
    let err = parser.next().unwrap_err();
    assert_eq!(
        err.kind(),
        &ParseErrorKind::HeaderLineTooLong { limit: 8192 }
    );
    assert_eq!(err.offset(), (START.len() + 8192) as u64);
}

#[test]
fn a_header_line_of_8193_bytes_fails_and_8192_passes() {
    let long = |len: usize| format!("X-Long: {}", "a".repeat(len - 8));
    let line = long(8193);
    let input = send("abcd", &[&line], None);
    let at = find(&input, b"X-Long");
    let kind = ParseErrorKind::HeaderLineTooLong { limit: 8192 };
    expect_fatal(&input, &Limits::default(), kind, at + 8192);

    let line = long(8192);
    let run = expect_ok(&send("abcd", &[&line], None), &Limits::default(), 1);
    assert_eq!(run.chunks()[0].0.header("x-long").unwrap().len(), 8184);
}

/// A To-Path of `n` short URIs (13 bytes each with the space).
fn long_to_path(n: usize) -> String {
    let uris: Vec<&str> = std::iter::repeat_n("msrp://h;tcp", n).collect();
    format!("To-Path: {}", uris.join(" "))
}

#[test]
fn a_to_path_of_1000_uris_trips_the_header_line_limit() {
    let to = long_to_path(1000);
    let input = chunk("MSRP abcd SEND", &[&to, &from_path()], None);
    let kind = ParseErrorKind::HeaderLineTooLong { limit: 8192 };
    expect_fatal(&input, &Limits::default(), kind, START.len() as u64 + 8192);
}

#[test]
fn a_to_path_of_1000_uris_trips_the_uri_limit_when_lines_may_be_longer() {
    let limits = limits_with(|l| l.max_header_line = 16000);
    let to = long_to_path(1000);
    let from = from_path();
    let input = concat(&[
        &chunk("MSRP abcd SEND", &[&to, &from], Some(b"skipped")),
        &next_chunk(),
    ]);
    let (whole, _) = check(&input, &limits);
    let err = single_rejection(&whole);
    let ParseErrorKind::InvalidHeader {
        name: "To-Path",
        error: HeaderError::Path(uri_error),
    } = err.kind()
    else {
        panic!("expected an invalid To-Path, got {err:?}");
    };
    assert_eq!(uri_error.kind(), &UriErrorKind::TooManyUris { limit: 16 });
    // The 17th URI is where the limit was passed.
    assert_eq!(uri_error.offset(), 16 * 13);
    let value_at = find(&input, b"msrp://h;tcp");
    assert_rejected(
        &err,
        &err.kind().clone(),
        value_at + 16 * 13,
        400,
        ("abcd", Some(Method::Send)),
        (None, Some(FROM_PATH)),
    );
}

#[test]
fn a_path_of_16_uris_passes() {
    let to = long_to_path(16);
    let input = chunk("MSRP abcd SEND", &[&to, &from_path()], None);
    let run = expect_ok(&input, &Limits::default(), 1);
    assert_eq!(run.chunks()[0].0.to_path().len(), 16);
}

#[test]
fn more_than_64_header_lines_fail() {
    let extra: Vec<String> = (0..62).map(|i| format!("X-H{i}: {i}")).collect();
    let mut lines: Vec<&str> = extra.iter().map(String::as_str).collect();
    // 2 paths + 62 = 64 lines: at the limit.
    let run = expect_ok(&send("abcd", &lines, None), &Limits::default(), 1);
    assert_eq!(run.chunks()[0].0.headers().len(), 64);

    lines.push("X-One-Too-Many: 1");
    let input = send("abcd", &lines, None);
    let kind = ParseErrorKind::TooManyHeaders { limit: 64 };
    expect_fatal(
        &input,
        &Limits::default(),
        kind,
        find(&input, b"X-One-Too-Many"),
    );
}

/// A bodiless SEND whose head (start line and header lines with their
/// CRLFs, not the end-line) is exactly `len` bytes.
fn send_with_head_len(len: usize) -> Vec<u8> {
    let base = send("abcd", &[], None);
    let base_head = base.len() - "-------abcd$\r\n".len();
    let mut pad = len - base_head;
    let mut lines = Vec::new();
    while pad > 0 {
        // "X-Pad: " + value + CRLF; values of at most 8000 bytes.
        let value = (pad - 9).min(8000);
        lines.push(format!("X-Pad: {}", "p".repeat(value)));
        pad -= value + 9;
    }
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    let input = send("abcd", &lines, None);
    assert_eq!(input.len() - "-------abcd$\r\n".len(), len);
    input
}

#[test]
fn a_head_over_16384_bytes_fails_and_16384_passes() {
    let run = expect_ok(&send_with_head_len(16384), &Limits::default(), 1);
    assert_eq!(run.chunks()[0].0.as_bytes().len(), 16384);
    let kind = ParseErrorKind::HeadTooLong { limit: 16384 };
    expect_fatal(&send_with_head_len(16385), &Limits::default(), kind, 16384);
}

#[test]
fn bare_line_feeds_break_the_framing() {
    let cases: &[(&str, &[u8])] = &[
        ("start line", b"MSRP abcd SEND\nTo-Path: x\r\n"),
        ("header line", b"MSRP abcd SEND\r\nTo-Path: msrp://h;tcp\n"),
        ("blank line", b"MSRP abcd SEND\r\nX-A: b\r\n\n"),
    ];
    for (what, input) in cases {
        eprintln!("case: {what}");
        let at = (0..input.len())
            .find(|&i| input[i] == b'\n' && (i == 0 || input[i - 1] != b'\r'))
            .unwrap() as u64;
        expect_fatal(
            input,
            &Limits::default(),
            ParseErrorKind::BareLineEnding,
            at,
        );
    }
}

#[test]
fn malformed_header_lines_break_the_framing() {
    let cases: &[(&str, &str, &[u8], ParseErrorKind)] = &[
        (
            "no colon",
            "No colon here",
            b"No colon",
            ParseErrorKind::HeaderLine,
        ),
        (
            "empty name",
            ": value",
            b": value",
            ParseErrorKind::HeaderLine,
        ),
        (
            "name with a space",
            "X A: b",
            b"X A",
            ParseErrorKind::HeaderLine,
        ),
        (
            "name starting with a digit",
            "1X: b",
            b"1X",
            ParseErrorKind::HeaderLine,
        ),
        (
            "control character",
            "Message-ID: ab\x07cdef",
            b"\x07",
            ParseErrorKind::HeaderCharacter,
        ),
        (
            "bare CR",
            "X-A: b\rc",
            b"\rc",
            ParseErrorKind::HeaderCharacter,
        ),
        ("DEL", "X-A: \x7f", b"\x7f", ParseErrorKind::HeaderCharacter),
    ];
    for (what, line, marker, kind) in cases {
        eprintln!("case: {what}");
        let input = send("abcd", &[line], Some(b"body"));
        expect_fatal(
            &input,
            &Limits::default(),
            kind.clone(),
            find(&input, marker),
        );
    }
}

#[test]
fn invalid_utf8_in_a_header_breaks_the_framing() {
    let mut input = send("abcd", &["X-A: b?c"], None);
    let at = find(&input, b"?");
    input[at as usize] = 0xff;
    expect_fatal(
        &input,
        &Limits::default(),
        ParseErrorKind::HeaderCharacter,
        at,
    );
}

#[test]
fn a_wrong_end_line_after_the_headers_breaks_the_framing() {
    for end in [
        "-------wxyz$",
        "-------abcd!",
        "-------abcd",
        "-------abcd$x",
    ] {
        let (to, from) = (to_path(), from_path());
        let mut input = chunk("MSRP abcd SEND", &[&to, &from], None);
        input.truncate(input.len() - "-------abcd$\r\n".len());
        input.extend_from_slice(format!("{end}\r\n").as_bytes());
        let at = find(&input, b"-------");
        expect_fatal(&input, &Limits::default(), ParseErrorKind::EndLine, at);
    }
}

// ---- Header values: the chunk is rejected, the next one parses. ----

/// A SEND with `lines` (after the paths) and a body, followed by [`next_chunk`].
fn rejected_send(lines: &[&str]) -> Vec<u8> {
    concat(&[
        &send("abcd", lines, Some(b"to be skipped\r\n-------next0001$")),
        &next_chunk(),
    ])
}

#[test]
fn malformed_byte_ranges_reject_the_chunk() {
    let br = |error| ParseErrorKind::InvalidHeader {
        name: "Byte-Range",
        error,
    };
    let cases: Vec<(&str, ParseErrorKind)> = vec![
        ("0-5/10", br(HeaderError::ByteRangeStartZero)),
        (
            "5-3/10",
            br(HeaderError::ByteRangeEndBeforeStart { start: 5, end: 3 }),
        ),
        (
            "1-20/10",
            br(HeaderError::ByteRangeEndPastTotal { end: 20, total: 10 }),
        ),
        (
            "1-1234567890123456789012345/*",
            br(HeaderError::NumberTooLarge { max: u64::MAX }),
        ),
        ("a-b/c", br(HeaderError::ByteRangeSyntax)),
    ];
    for (value, kind) in cases {
        eprintln!("case: Byte-Range: {value}");
        let line = format!("Byte-Range: {value}");
        let input = rejected_send(&[&line]);
        let (whole, _) = check(&input, &Limits::default());
        let err = single_rejection(&whole);
        assert_rejected(
            &err,
            &kind,
            find(&input, line.as_bytes()) + 12,
            400,
            ("abcd", Some(Method::Send)),
            (Some(TO_PATH), Some(FROM_PATH)),
        );
    }
}

#[test]
fn two_byte_ranges_reject_the_chunk() {
    let input = rejected_send(&["Byte-Range: 1-4/4", "Byte-Range: 1-4/4"]);
    let (whole, _) = check(&input, &Limits::default());
    let err = single_rejection(&whole);
    let second = find(&input, b"Byte-Range: 1-4/4\r\nByte-Range") + 19;
    assert_rejected(
        &err,
        &ParseErrorKind::DuplicateHeader { name: "Byte-Range" },
        second,
        400,
        ("abcd", Some(Method::Send)),
        (Some(TO_PATH), Some(FROM_PATH)),
    );
}

#[test]
fn other_malformed_values_reject_the_chunk() {
    let invalid = |name, error| ParseErrorKind::InvalidHeader { name, error };
    let cases: Vec<(&str, &str, ParseErrorKind)> = vec![
        (
            "Message-ID: abc",
            "abc",
            invalid("Message-ID", HeaderError::Ident),
        ),
        (
            "Success-Report: maybe",
            "maybe",
            invalid("Success-Report", HeaderError::SuccessReportValue),
        ),
        (
            "Failure-Report: always",
            "always",
            invalid("Failure-Report", HeaderError::FailureReportValue),
        ),
        (
            "Status: 200 OK",
            "200 OK",
            invalid("Status", HeaderError::StatusSyntax),
        ),
        (
            "Expires: soon",
            "soon",
            invalid("Expires", HeaderError::NotANumber),
        ),
        (
            "Content-Type: text",
            "text",
            invalid("Content-Type", HeaderError::MediaType),
        ),
    ];
    for (line, value, kind) in cases {
        eprintln!("case: {line}");
        let input = rejected_send(&[line]);
        let (whole, _) = check(&input, &Limits::default());
        let err = single_rejection(&whole);
        let value_at = find(&input, line.as_bytes()) + (line.len() - value.len()) as u64;
        assert_rejected(
            &err,
            &kind,
            value_at,
            400,
            ("abcd", Some(Method::Send)),
            (Some(TO_PATH), Some(FROM_PATH)),
        );
    }
}

#[test]
fn a_malformed_from_path_is_reported_with_the_uri_offset() {
    let input = concat(&[
        &chunk(
            "MSRP abcd SEND",
            &[&to_path(), "From-Path: msrp://a.example.com:99999/s;tcp"],
            Some(b"x"),
        ),
        &next_chunk(),
    ]);
    let (whole, _) = check(&input, &Limits::default());
    let err = single_rejection(&whole);
    let ParseErrorKind::InvalidHeader {
        name: "From-Path",
        error: HeaderError::Path(uri_error),
    } = err.kind()
    else {
        panic!("expected an invalid From-Path, got {err:?}");
    };
    assert_eq!(uri_error.kind(), &UriErrorKind::PortRange);
    let value_at = find(&input, b"msrp://a.example.com");
    assert_eq!(err.offset(), value_at + uri_error.offset() as u64);
    assert_rejected(
        &err,
        &err.kind().clone(),
        err.offset(),
        400,
        ("abcd", Some(Method::Send)),
        (Some(TO_PATH), None),
    );
}

#[test]
fn a_missing_to_path_or_from_path_rejects_only_that_chunk() {
    let (to, from) = (to_path(), from_path());
    let cases: [(&str, &str, Paths<'_>); 2] = [
        (&from, "To-Path", (None, Some(FROM_PATH))),
        (&to, "From-Path", (Some(TO_PATH), None)),
    ];
    for (present, missing, paths) in cases {
        eprintln!("case: missing {missing}");
        let rejected = chunk(
            "MSRP abcd SEND",
            &[present, "Message-ID: msg12345", "Content-Type: text/plain"],
            Some(b"skipped body\r\n-------abcd"),
        );
        let input = concat(&[&rejected, &next_chunk()]);
        let (whole, _) = check(&input, &Limits::default());
        let err = single_rejection(&whole);
        // Found when the head is complete: the offset is the blank line.
        let head_end = find(&input, b"\r\n\r\n") + 2;
        assert_rejected(
            &err,
            &ParseErrorKind::MissingHeader { name: missing },
            head_end,
            400,
            ("abcd", Some(Method::Send)),
            paths,
        );
    }
}

#[test]
fn a_bodiless_chunk_missing_its_to_path_is_rejected_too() {
    let rejected = chunk("MSRP abcd REPORT", &[&from_path()], None);
    let input = concat(&[&rejected, &next_chunk()]);
    let (whole, _) = check(&input, &Limits::default());
    let err = single_rejection(&whole);
    assert_rejected(
        &err,
        &ParseErrorKind::MissingHeader { name: "To-Path" },
        find(&input, b"-------abcd$"),
        400,
        ("abcd", Some(Method::Report)),
        (None, Some(FROM_PATH)),
    );
}

// ---- Bodies. ----

fn report_with_body(len: usize) -> Vec<u8> {
    let (to, from) = (to_path(), from_path());
    let body = vec![b'r'; len];
    chunk(
        "MSRP abcd REPORT",
        &[
            &to,
            &from,
            "Message-ID: msg12345",
            "Status: 000 200 OK",
            "Content-Type: text/plain",
        ],
        Some(&body),
    )
}

#[test]
fn a_report_body_of_10241_bytes_is_too_large() {
    let input = concat(&[&report_with_body(10241), &next_chunk()]);
    let body_at = find(&input, b"\r\n\r\nrrr") + 4;
    let (whole, bytewise) = check(&input, &Limits::default());
    let err = single_rejection(&whole);
    assert_eq!(err.kind(), &ParseErrorKind::BodyTooLarge { limit: 10240 });
    assert_eq!(
        err.offset(),
        body_at + 10240,
        "the first byte past the limit"
    );
    assert!(err.framing_intact());
    assert_eq!(err.status_code(), 413);
    // The streaming parser handed the head out already, and at most the
    // limit of body before it gave up.
    assert!(bytewise.handed_out[0] <= 10240, "{:?}", bytewise.handed_out);
    assert_eq!(whole.handed_out, [0]);
}

#[test]
fn a_report_body_of_10240_bytes_is_accepted() {
    let run = expect_ok(&report_with_body(10240), &Limits::default(), 1);
    assert_eq!(run.chunks()[0].1.unwrap().len(), 10240);
}

#[test]
fn a_send_body_has_no_such_limit() {
    let body = vec![b's'; 20000];
    let run = expect_ok(&send("abcd", &[], Some(&body)), &Limits::default(), 1);
    assert_eq!(run.chunks()[0].1.unwrap().len(), 20000);
}

#[test]
fn a_response_with_a_body_is_rejected() {
    let (to, from) = (to_path(), from_path());
    let response = chunk("MSRP abcd 200 OK", &[&to, &from], Some(b"not allowed"));
    let input = concat(&[&response, &next_chunk()]);
    let (whole, _) = check(&input, &Limits::default());
    let err = single_rejection(&whole);
    assert_rejected(
        &err,
        &ParseErrorKind::ResponseWithBody,
        find(&input, b"\r\n\r\n") + 2,
        400,
        ("abcd", None),
        (Some(TO_PATH), Some(FROM_PATH)),
    );
}

#[test]
fn a_bodiless_response_is_fine() {
    let (to, from) = (to_path(), from_path());
    let input = chunk("MSRP abcd 200 OK", &[&to, &from], None);
    let run = expect_ok(&input, &Limits::default(), 1);
    assert_eq!(run.chunks()[0].0.response_code(), Some(200));
}

/// Reads whole chunks in `pieces` of a size; framing-intact errors are kept
/// in order with the chunks.
fn read_whole_chunks(
    input: &[u8],
    limits: &Limits,
    piece: usize,
) -> Vec<Result<Vec<u8>, ParseError>> {
    let mut reader = ChunkReader::new(limits.clone());
    let mut out = Vec::new();
    for data in input.chunks(piece) {
        reader.feed(data);
        loop {
            match reader.next_chunk() {
                Ok(Some(chunk)) => {
                    out.push(Ok(chunk.body().map(|b| b.to_vec()).unwrap_or_default()));
                }
                Ok(None) => break,
                Err(err) => {
                    assert!(err.framing_intact(), "fatal: {err}");
                    out.push(Err(err));
                }
            }
        }
    }
    reader.finish().expect("ends between chunks");
    out
}

#[test]
fn whole_chunk_mode_rejects_a_chunk_over_max_chunk_then_goes_on() {
    let limits = limits_with(|l| l.max_chunk = 1000);
    let big = send("abcd", &["Message-ID: msg12345"], Some(&[b'b'; 1001]));
    let input = concat(&[&big, &next_chunk()]);
    let body_at = find(&input, b"\r\n\r\nbbb") + 4;
    let whole = read_whole_chunks(&input, &limits, input.len());
    let bytewise = read_whole_chunks(&input, &limits, 1);
    assert_eq!(whole, bytewise, "whole vs bytewise");
    assert_eq!(whole.len(), 2);
    let err = whole[0].as_ref().unwrap_err();
    assert_rejected(
        err,
        &ParseErrorKind::ChunkTooLarge { limit: 1000 },
        body_at + 1000,
        413,
        ("abcd", Some(Method::Send)),
        (Some(TO_PATH), Some(FROM_PATH)),
    );
    assert_eq!(whole[1].as_deref(), Ok(&b"after"[..]));
}

#[test]
fn whole_chunk_mode_accepts_a_chunk_of_exactly_max_chunk() {
    let limits = limits_with(|l| l.max_chunk = 1000);
    let input = send("abcd", &[], Some(&[b'b'; 1000]));
    let got = read_whole_chunks(&input, &limits, 1);
    assert_eq!(got, [Ok(vec![b'b'; 1000])]);
}

#[test]
fn whole_chunk_mode_rejects_a_large_report_with_body_too_large() {
    // Both limits apply; the smaller one (non-SEND body) decides.
    let input = concat(&[&report_with_body(10241), &next_chunk()]);
    let got = read_whole_chunks(&input, &Limits::default(), 4096);
    assert_eq!(got.len(), 2);
    let err = got[0].as_ref().unwrap_err();
    assert_eq!(err.kind(), &ParseErrorKind::BodyTooLarge { limit: 10240 });
    assert_eq!(err.status_code(), 413);
    let rejected = err.rejected().expect("rejected chunk");
    assert_eq!(rejected.method, Some(Method::Report));
}

#[test]
fn segmented_mode_names_the_chunk_it_gives_up_on() {
    let input = concat(&[&report_with_body(10241), &next_chunk()]);
    let mut reader = ChunkReader::with_segment_size(Limits::default(), 1024);
    let (mut segments, mut errors, mut after) = (0, Vec::new(), Vec::new());
    for piece in input.chunks(512) {
        reader.feed(piece);
        loop {
            match reader.next_chunk() {
                Ok(Some(c)) if c.head().transaction_id() == "abcd" => segments += 1,
                Ok(Some(c)) => after.push(c.body().unwrap().to_vec()),
                Ok(None) => break,
                Err(err) => errors.push(err),
            }
        }
    }
    reader.finish().expect("ends between chunks");
    assert!(segments > 0, "segments before the limit was passed");
    assert_eq!(errors.len(), 1);
    assert_eq!(
        errors[0].kind(),
        &ParseErrorKind::BodyTooLarge { limit: 10240 }
    );
    let rejected = errors[0].rejected().expect("rejected chunk");
    assert_eq!(rejected.transaction_id, "abcd");
    assert_eq!(rejected.method, Some(Method::Report));
    assert_eq!(after, [b"after".to_vec()]);
}

#[test]
fn the_parser_in_whole_mode_agrees() {
    let limits = limits_with(|l| l.max_chunk = 1000);
    let big = send("abcd", &[], Some(&[b'b'; 1001]));
    let input = concat(&[&big, &next_chunk()]);
    let (whole, bytewise) = check_with(&input, &limits, BodyMode::Whole);
    let err = single_rejection(&whole);
    assert_eq!(err.kind(), &ParseErrorKind::ChunkTooLarge { limit: 1000 });
    assert_eq!(err.offset(), find(&input, b"\r\n\r\nbbb") + 4 + 1000);
    // Whole mode hands out nothing of a chunk it then rejects.
    assert_eq!(bytewise.handed_out, [0]);
}

// ---- End of stream. ----

#[test]
fn the_stream_ending_inside_a_chunk_is_an_error() {
    let full = send("abcd", &["Message-ID: msg12345"], Some(b"some body"));
    let cut_points = [
        ("mid start line", 7),
        ("mid head", find(&full, b"From-Path") as usize + 4),
        (
            "before the blank line",
            find(&full, b"\r\n\r\n") as usize + 2,
        ),
        ("mid body", find(&full, b"some") as usize + 2),
        ("mid end-line", full.len() - 4),
        ("all but the last LF", full.len() - 1),
    ];
    for (what, cut) in cut_points {
        eprintln!("case: {what}");
        let input = &full[..cut];
        let (whole, _) = check(input, &Limits::default());
        assert_eq!(whole.fatal, None);
        let err = whole.finish.as_ref().unwrap_err();
        assert_eq!(err.kind(), &ParseErrorKind::UnexpectedEof);
        assert_eq!(err.offset(), cut as u64, "offset: bytes received");
        assert!(!err.framing_intact());
    }
}

#[test]
fn after_unexpected_eof_the_parser_stays_failed() {
    let mut parser = Parser::new(Limits::default());
    parser.feed(b"MSRP abcd SEND\r\nTo-Pa");
    assert_eq!(parser.next(), Ok(None));
    let err = parser.finish().unwrap_err();
    assert_eq!(err.kind(), &ParseErrorKind::UnexpectedEof);
    assert_eq!(parser.next().as_ref(), Err(&err));
    assert_eq!(parser.finish().as_ref(), Err(&err));
}

#[test]
fn the_stream_ending_between_chunks_is_fine() {
    let (whole, _) = check(&concat(&[&next_chunk(), &next_chunk()]), &Limits::default());
    assert_eq!(whole.finish, Ok(()));
    assert_eq!(whole.chunks().len(), 2);
    let mut parser = Parser::new(Limits::default());
    assert_eq!(parser.finish(), Ok(()), "an empty stream");
}

#[test]
fn a_fatal_error_is_returned_again_and_again() {
    let mut parser = Parser::new(Limits::default());
    parser.feed(b"MSRP abc SEND\r\n");
    let err = parser.next().unwrap_err();
    assert_eq!(err.kind(), &ParseErrorKind::TransactionId);
    for _ in 0..3 {
        parser.feed(&next_chunk());
        assert_eq!(parser.next().as_ref(), Err(&err));
    }
    assert_eq!(parser.finish().as_ref(), Err(&err));
}
