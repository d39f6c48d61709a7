//! The one-pass reading of common heads (`wire/head_fast.rs`) against the
//! line-by-line reading: a head fed whole takes the first when it can, fed
//! a byte at a time always the second, and both must give the same events,
//! errors (kind and offset), head contents and stream positions. The inputs
//! are the golden vectors and variations of a common SEND chunk: valid and
//! invalid, near every limit, and mutated at random.
#![forbid(unsafe_code)]

use std::path::PathBuf;

use msrp_proto::wire::{BodyMode, Event, Limits, ParseError, Parser};
use proptest::prelude::*;

/// The chunk of `benches/parse.rs`, `small_chunk`: the common case.
const SEND: &str = "MSRP a786hjs2 SEND\r\n\
To-Path: msrp://bob.example.com:8888/9di4eae923wzd;tcp\r\n\
From-Path: msrp://alicepc.example.com:7777/iau39soe2843z;tcp\r\n\
Message-ID: 87652491\r\n\
Byte-Range: 1-38/38\r\n\
Content-Type: text/plain\r\n\
\r\n\
Hey Bob, are you there? Lunch at noon?\r\n\
-------a786hjs2$\r\n";

/// Everything observable about one step: the event with every typed value
/// of a head spelled out and the stream offset after it, or the error.
fn describe(event: &Result<Option<Event>, ParseError>, offset: u64) -> String {
    let what = match event {
        Ok(Some(Event::Head(head))) => format!(
            "head {head:?} raw={:?} to={} from={} id={:?} range={:?} sr={:?} fr={:?} \
             status={:?} ct={:?} use={:?} expires={:?}",
            head.as_bytes(),
            head.to_path(),
            head.from_path(),
            head.message_id(),
            head.byte_range(),
            head.success_report(),
            head.failure_report(),
            head.status(),
            head.content_type(),
            head.use_path(),
            head.expires(),
        ),
        // In hex, so that the pieces of one body join as its bytes do.
        Ok(Some(Event::Body(data))) => {
            return data
                .iter()
                .fold("body ".to_owned(), |s, b| s + &format!("{b:02x}"));
        }
        // Where the stream stands after an error depends on how much of
        // the rejected body was handed out, and so on how it arrived.
        Err(err) => return format!("{err:?}"),
        other => format!("{other:?}"),
    };
    format!("{what} @{offset}")
}

/// The steps of parsing the concatenation of `pieces` fed one piece at a
/// time, adjacent body pieces merged (how a body is cut depends on how it
/// arrives).
fn trace<'a>(pieces: impl IntoIterator<Item = &'a [u8]>, limits: &Limits) -> Vec<String> {
    trace_in(pieces, limits, BodyMode::Stream)
}

/// [`trace`] with the parser's body mode set to `mode`.
fn trace_in<'a>(
    pieces: impl IntoIterator<Item = &'a [u8]>,
    limits: &Limits,
    mode: BodyMode,
) -> Vec<String> {
    let mut parser = Parser::new(limits.clone());
    parser.set_body_mode(mode);
    let mut steps: Vec<String> = Vec::new();
    'feed: for piece in pieces {
        parser.feed(piece);
        loop {
            let event = parser.next();
            if matches!(event, Ok(None)) {
                break;
            }
            let fatal = matches!(&event, Err(e) if !e.framing_intact());
            if event.is_err() && steps.last().is_some_and(|s| s.starts_with("body ")) {
                // The part of a rejected body handed out before the error
                // depends on how it arrived (as in `fuzzing::parse_stream`).
                steps.pop();
            }
            let step = describe(&event, parser.offset());
            match (steps.last_mut(), step.strip_prefix("body ")) {
                (Some(last), Some(more)) if last.starts_with("body ") => last.push_str(more),
                _ => steps.push(step),
            }
            if fatal {
                break 'feed;
            }
        }
    }
    steps.push(format!("finish {:?}", parser.finish()));
    steps
}

/// Whole, byte by byte and in two at `split`: the same trace.
fn assert_same(input: &[u8], limits: &Limits, split: usize) {
    let whole = trace([input], limits);
    let text = String::from_utf8_lossy(input);
    assert_eq!(whole, trace(input.chunks(1), limits), "{text}");
    let (a, b) = input.split_at(split.min(input.len()));
    assert_eq!(whole, trace([a, b], limits), "{text}");
}

/// The common chunk with its header lines replaced by `headers`.
fn send_with(start: &str, headers: &[&str], rest: &str) -> Vec<u8> {
    let mut out = format!("{start}\r\n");
    for h in headers {
        out.push_str(h);
        out.push_str("\r\n");
    }
    out.push_str(rest);
    out.into_bytes()
}

const TO: &str = "To-Path: msrp://bob.example.com:8888/9di4eae923wzd;tcp";
const FROM: &str = "From-Path: msrp://alicepc.example.com:7777/iau39soe2843z;tcp";
const BODY: &str = "\r\nHey Bob, are you there? Lunch at noon?\r\n-------a786hjs2$\r\n";

/// Heads the one-pass reading takes, and many it must leave alone.
fn variants() -> Vec<Vec<u8>> {
    let start = "MSRP a786hjs2 SEND";
    let end = "-------a786hjs2$\r\n";
    let mut out = vec![SEND.as_bytes().to_vec(), SEND.repeat(3).into_bytes()];
    let header_sets: &[&[&str]] = &[
        &[TO, FROM],
        &[FROM, TO, "Message-ID: abcd", "Byte-Range: 1-38/38"],
        &[TO, FROM, "Byte-Range: 1-*/*"],
        &[TO, FROM, "Byte-Range: 1-38/*"],
        &[TO, FROM, "Byte-Range: 01-038/0038"],
        &[TO, FROM, "Byte-Range: 0-38/38"],
        &[TO, FROM, "Byte-Range: 5-3/38"],
        &[TO, FROM, "Byte-Range: 1-38/37"],
        &[TO, FROM, "Byte-Range: 1-99999999999999999999/*"],
        &[
            TO,
            FROM,
            "Byte-Range: 1-9999999999999999999/9999999999999999999",
        ],
        &[TO, FROM, "Byte-Range: 1-38/38x"],
        &[TO, FROM, "Byte-Range: 1 -38/38"],
        &[TO, FROM, "Byte-Range: -38/38"],
        &[TO, FROM, "Byte-Range: "],
        &[TO, FROM, "Byte-Range:1-38/38"],
        &[TO, FROM, "Byte-Range:  1-38/38"],
        &[TO, FROM, "Byte-Range: 1-38/38 "],
        &[TO, FROM, "Byte-Range: 1-38/38\t"],
        &[TO, FROM, "Message-ID: abc"],
        &[TO, FROM, "Message-ID: .abc"],
        &[TO, FROM, "Message-ID: abcdefghijabcdefghijabcdefghijab"],
        &[TO, FROM, "Message-ID: abcdefghijabcdefghijabcdefghijabc"],
        &[TO, FROM, "Message-ID: ab cd"],
        &[TO, FROM, "Message-ID: abcd "],
        &[TO, FROM, "Message-ID: abcd;"],
        &[TO, FROM, "Message-ID: 1", "Message-ID: 2"],
        &[TO, FROM, "Message-ID: abcd", "Message-ID: abcd"],
        &[TO, TO, FROM],
        &[TO],
        &[FROM],
        &[],
        &[
            "To-Path: msrp://a.example.com/x;tcp msrp://b.example.com/y;tcp",
            FROM,
        ],
        &[
            "To-Path: msrp://a.example.com/x;tcp  msrp://b.example.com/y;tcp",
            FROM,
        ],
        &[
            "To-Path: msrp://a.example.com/x;tcp\tmsrp://b.example.com/y;tcp",
            FROM,
        ],
        &["To-Path: msrp://a.example.com/x;tcp ", FROM],
        &["To-Path:  msrp://a.example.com/x;tcp", FROM],
        &["To-Path: msrp://a.example.com/x;udp", FROM],
        &["To-Path: http://a.example.com/x;tcp", FROM],
        &["To-Path: ", FROM],
        &["to-path: msrp://a.example.com/x;tcp", FROM],
        &["To-Path : msrp://a.example.com/x;tcp", FROM],
        &[TO, FROM, "Content-Type: text/html"],
        &[TO, FROM, "Content-Type: text/plain; charset=utf-8"],
        &[TO, FROM, "Content-Type: text/plain;"],
        &[TO, FROM, "Content-Type: text"],
        &[TO, FROM, "Content-Type: text/plain "],
        &[TO, FROM, "Content-Type: text/plai\u{e9}"],
        &[
            TO,
            FROM,
            "Content-Type: text/plain",
            "Content-Type: text/plain",
        ],
        &[TO, FROM, "Success-Report: yes", "Failure-Report: partial"],
        &[TO, FROM, "Success-Report: YES", "Failure-Report: No"],
        &[TO, FROM, "Success-Report: partial"],
        &[TO, FROM, "Failure-Report: maybe"],
        &[TO, FROM, "Status: 000 200 OK"],
        &[TO, FROM, "Status: 000 2000"],
        &[TO, FROM, "Status: "],
        &[TO, FROM, "Status: 000 200 OK "],
        &[TO, FROM, "Content-ID: <x@y>"],
        &[TO, FROM, "Expires: 30"],
        &[TO, FROM, "X-Extension: value"],
        &[TO, FROM, "Use-Path: msrp://a.example.com/x;tcp"],
        &[TO, FROM, "Message-ID: a\u{0}cd"],
        &[TO, FROM, "Message-ID: a\x7fcd"],
        &[TO, FROM, "Message-ID: abcd\r"],
        &[TO, FROM, "Message-ID: abcd\n"],
        &[TO, FROM, "Byte-Range: 1-38/38", "Byte-Range: 1-38/38"],
        &[
            TO,
            FROM,
            "Message-ID: abcd",
            "Byte-Range: 1-38/38",
            "Content-Type: text/plain",
            "Success-Report: no",
            "Failure-Report: yes",
            "Status: 000 200 OK",
        ],
    ];
    for headers in header_sets {
        out.push(send_with(start, headers, BODY));
        out.push(send_with(start, headers, end));
        out.push(send_with("MSRP a786hjs2 200 OK", headers, end));
        out.push(send_with("MSRP a786hjs2 REPORT", headers, end));
    }
    for start in [
        "MSRP a786hjs2 REPORT",
        "MSRP a786hjs2 AUTH",
        "MSRP a786hjs2 FOO",
        "MSRP a786hjs2 send",
        "MSRP a786hjs2 SEND ",
        "MSRP a786hjs2  SEND",
        "MSRP a78 SEND",
        "MSRP .786hjs2 SEND",
        "MSRP abcdefghijabcdefghijabcdefghijab SEND",
        "MSRP abcdefghijabcdefghijabcdefghijabc SEND",
        "MSRP a786hjs2 200",
        "MSRP a786hjs2 200 OK",
        "MSRP a786hjs2 20",
        "MSRP a786hjs2 SENDX",
        "MSRQ a786hjs2 SEND",
        "MSRP a786hjs2\tSEND",
    ] {
        out.push(send_with(start, &[TO, FROM], BODY));
        out.push(send_with(start, &[TO, FROM], end));
    }
    for end in [
        "-------a786hjs2+\r\n",
        "-------a786hjs2#\r\n",
        "-------a786hjs2\r\n",
        "-------a786hjs3$\r\n",
        "-------a786hjs2$x\r\n",
        "-------a786hjs2$\n",
        "------a786hjs2$\r\n",
        "\n",
        "\r",
        "",
    ] {
        out.push(send_with(start, &[TO, FROM], end));
        out.push(send_with("MSRP a786hjs2 200 OK", &[TO, FROM], end));
    }
    // A bare LF, a stray CR, a NUL at every place in the head.
    let head_len = SEND.find("\r\n\r\n").unwrap_or(0) + 2;
    for at in 0..head_len {
        for byte in [b'\n', b'\r', 0, b'\t', 0x7f, 0xc3] {
            let mut chunk = SEND.as_bytes().to_vec();
            chunk[at] = byte;
            out.push(chunk);
        }
    }
    out
}

/// Limits at, around and below what the common chunk needs.
fn limit_sets() -> Vec<Limits> {
    let head = SEND.find("\r\n\r\n").unwrap_or(0) + 2;
    let longest = SEND[..head].split("\r\n").map(str::len).max().unwrap_or(0);
    let mut sets = vec![Limits::default()];
    for d in [0, 1, 2] {
        let mut l = Limits::default();
        l.max_start_line = 18 + 1 - d;
        sets.push(l);
        let mut l = Limits::default();
        l.max_header_line = longest + 1 - d;
        sets.push(l);
        let mut l = Limits::default();
        l.max_head = head + 1 - d;
        sets.push(l);
        let mut l = Limits::default();
        l.max_head = head - 2 + 1 - d;
        sets.push(l);
        let mut l = Limits::default();
        l.max_headers = 5 + 1 - d;
        sets.push(l);
    }
    let mut l = Limits::default();
    l.max_path_uris = 1;
    sets.push(l);
    let mut l = Limits::default();
    l.max_non_send_body = 3;
    sets.push(l);
    sets
}

#[test]
fn varied_heads_give_the_same_events_whole_and_byte_by_byte() {
    let limits = limit_sets();
    for input in variants() {
        for l in &limits {
            assert_same(&input, l, input.len() / 2);
        }
    }
}

#[test]
fn golden_vectors_give_the_same_events_whole_and_byte_by_byte() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).expect("vectors directory") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "msrp") {
            let input = std::fs::read(&path).expect("vector");
            for l in limit_sets() {
                assert_same(&input, &l, input.len() / 3);
            }
            seen += 1;
        }
    }
    assert!(seen > 10, "only {seen} vectors");
}

/// Chunks whose small body the one-pass reading may take with the head
/// (it lies whole behind it, where Byte-Range says it ends), and many whose
/// body it must leave to the body step: one that holds a CR (an end-line
/// could start there), one that ends elsewhere, one too long to be looked
/// for where it should end, one that the limits or the body mode reject.
fn body_variants() -> Vec<(Vec<u8>, usize)> {
    let chunk = |start: &str, range: &str, body: &[u8]| {
        let mut out = send_with(start, &[TO, FROM, range], "\r\n");
        out.extend_from_slice(body);
        out.extend_from_slice(b"\r\n-------a786hjs2$\r\n");
        out
    };
    let full = |len: usize| format!("Byte-Range: 1-{len}/{len}");
    let mut out = Vec::new();
    for start in [
        "MSRP a786hjs2 SEND",
        "MSRP a786hjs2 REPORT",
        "MSRP a786hjs2 200 OK",
    ] {
        for len in [1, 2, 7, 8, 9, 38, 1023, 1024, 1025] {
            let body: Vec<u8> = (0..len).map(|i| b"abcdefgh-\n"[i % 10]).collect();
            out.push((chunk(start, &full(len), &body), len));
            out.push((chunk(start, &format!("Byte-Range: 1-{len}/*"), &body), len));
            out.push((chunk(start, &full(len + 1), &body), len));
            out.push((chunk(start, &full(len - 1), &body), len));
            // A CR at each end, and in the middle.
            for at in [0, len / 2, len - 1] {
                let mut with_cr = body.clone();
                with_cr[at] = b'\r';
                out.push((chunk(start, &full(len), &with_cr), len));
            }
        }
        out.push((chunk(start, "Byte-Range: 1-0/0", b""), 0));
        // This chunk's end-line inside the body that Byte-Range declares,
        // and another transaction's.
        let early = b"abc\r\n-------a786hjs2$\r\nxyz";
        out.push((chunk(start, &full(early.len()), early), early.len()));
        let other = b"abc\r\n-------b786hjs2$\r\nxyz";
        out.push((chunk(start, &full(other.len()), other), other.len()));
    }
    out
}

#[test]
fn small_bodies_give_the_same_events_whole_and_byte_by_byte() {
    for (input, len) in body_variants() {
        let text = String::from_utf8_lossy(&input);
        // Each limit that holds a body: at its length, and one below.
        let mut sets = vec![(Limits::default(), BodyMode::Stream)];
        for max in [len, len.saturating_sub(1)] {
            let mut l = Limits::default();
            l.max_non_send_body = max;
            sets.push((l.clone(), BodyMode::Stream));
            sets.push((l, BodyMode::Segments(max.max(1))));
            let mut l = Limits::default();
            l.max_chunk = max;
            sets.push((l, BodyMode::Whole));
        }
        for (limits, mode) in sets {
            let whole = trace_in([&input[..]], &limits, mode);
            let bytes = trace_in(input.chunks(1), &limits, mode);
            assert_eq!(whole, bytes, "{mode:?} {limits:?}\n{text}");
            let split = input.len() - len - 10;
            let (a, b) = input.split_at(split);
            assert_eq!(whole, trace_in([a, b], &limits, mode), "{mode:?}\n{text}");
        }
    }
}

/// Bytes that make a head uncommon, invalid, or end it early.
const MUTATIONS: &[u8] = b"\r\n\t \x00\x7f\xc3-:/*$+#0a";

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn mutated_common_chunks_give_the_same_events_whole_and_byte_by_byte(
        edits in proptest::collection::vec(
            (any::<proptest::sample::Index>(), proptest::sample::select(MUTATIONS), 0u8..3),
            1..4,
        ),
        copies in 1usize..3,
        limits in proptest::sample::select(limit_sets()),
        split in any::<proptest::sample::Index>(),
    ) {
        let mut input = SEND.repeat(copies).into_bytes();
        for (at, byte, how) in edits {
            let at = at.index(input.len());
            match how {
                0 => input[at] = byte,
                1 => input.insert(at, byte),
                _ => { input.remove(at); }
            }
        }
        let split = split.index(input.len() + 1);
        assert_same(&input, &limits, split);
    }
}
