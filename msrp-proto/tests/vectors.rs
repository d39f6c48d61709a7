//! Golden vectors: every `tests/vectors/*.msrp` file at the workspace root,
//! parsed by the streaming [`Parser`] and the [`ChunkReader`].
//!
//! Each file is reduced to a normalized trace (one entry per chunk: head,
//! concatenated body or `None` when bodiless, continuation flag; adjacent
//! `Body` events merged, as h11's test suite does). The trace must not depend
//! on how the bytes arrive: whole, split in two at every offset, one byte at
//! a time, or followed by another chunk. The [`ChunkReader`] must agree with
//! it in whole-chunk mode and, once its virtual chunks are put back together,
//! in segmented mode. The `vector!` tests at the end pin down what specific
//! files contain.
#![forbid(unsafe_code)]

use std::fmt;
use std::net::Ipv6Addr;
use std::path::PathBuf;

use msrp_proto::uri::Host;
use msrp_proto::wire::{
    ByteRange, Chunk, ChunkHead, ChunkReader, Continuation, Event, Limits, Method, ParseError,
    Parser, StartLine, SuccessReport,
};

/// The directory of golden byte streams.
fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors")
}

/// Every `*.msrp` file, by name, listed at test time so that a new file is
/// covered without touching this test.
fn all_vectors() -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(vectors_dir())
        .expect("tests/vectors exists")
        .map(|entry| entry.expect("readable directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "msrp"))
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let bytes = std::fs::read(&path).expect("readable vector");
            (name, bytes)
        })
        .collect();
    files.sort();
    assert!(
        files.len() >= 20,
        "expected at least 20 vectors in {}, found {}",
        vectors_dir().display(),
        files.len()
    );
    files
}

fn read_vector(name: &str) -> Vec<u8> {
    std::fs::read(vectors_dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// One chunk of a normalized trace.
#[derive(Clone, PartialEq, Eq)]
struct TraceChunk {
    head: ChunkHead,
    /// `None` for a bodiless chunk, `Some` (maybe empty) otherwise.
    body: Option<Vec<u8>>,
    flag: Continuation,
}

impl TraceChunk {
    fn body(&self) -> &[u8] {
        self.body.as_deref().expect("chunk has a body")
    }

    fn body_str(&self) -> &str {
        std::str::from_utf8(self.body()).expect("UTF-8 body")
    }
}

impl fmt::Debug for TraceChunk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Bodies can be kilobytes of binary: show their length and a prefix.
        let body = self.body.as_ref().map(|b| {
            let shown = &b[..b.len().min(48)];
            format!("{} bytes: {:?}", b.len(), shown.escape_ascii().to_string())
        });
        f.debug_struct("TraceChunk")
            .field("head", &self.head)
            .field("body", &body)
            .field("flag", &self.flag)
            .finish()
    }
}

/// Builds a trace from parser events.
#[derive(Default)]
struct Collector {
    chunks: Vec<TraceChunk>,
    open: Option<(ChunkHead, Vec<u8>)>,
}

impl Collector {
    fn take(&mut self, event: Event) {
        match event {
            Event::Head(head) => {
                assert!(self.open.is_none(), "Head inside an open chunk: {head:?}");
                self.open = Some((head, Vec::new()));
            }
            Event::Body(data) => {
                let (head, body) = self.open.as_mut().expect("Body outside a chunk");
                assert!(head.has_body(), "Body event for a bodiless head");
                assert!(!data.is_empty(), "empty Body event");
                body.extend_from_slice(&data);
            }
            Event::End(flag) => {
                let (head, body) = self.open.take().expect("End outside a chunk");
                let body = head.has_body().then_some(body);
                self.chunks.push(TraceChunk { head, body, flag });
            }
        }
    }

    /// Takes every event the parser can produce from what it was fed.
    fn drain(&mut self, parser: &mut Parser) -> Result<(), ParseError> {
        while let Some(event) = parser.next()? {
            self.take(event);
        }
        Ok(())
    }
}

/// The trace of a stream delivered in `pieces`. Checks that the stream ends
/// between chunks: `finish()` succeeds and every byte was consumed.
fn trace_of_pieces<'a>(
    pieces: impl IntoIterator<Item = &'a [u8]>,
) -> Result<Vec<TraceChunk>, ParseError> {
    let mut parser = Parser::new(Limits::default());
    let mut collector = Collector::default();
    let mut fed = 0u64;
    for piece in pieces {
        parser.feed(piece);
        fed += piece.len() as u64;
        collector.drain(&mut parser)?;
    }
    parser.finish()?;
    assert!(collector.open.is_none(), "a chunk was left open");
    assert!(parser.is_idle(), "parser not idle at the end");
    assert_eq!(parser.offset(), fed, "not every byte was consumed");
    Ok(collector.chunks)
}

fn trace_whole(data: &[u8]) -> Vec<TraceChunk> {
    trace_of_pieces([data]).unwrap_or_else(|e| panic!("fed whole: {e}"))
}

/// The reference trace of a vector (fed whole).
fn vector_trace(name: &str) -> Vec<TraceChunk> {
    trace_whole(&read_vector(name))
}

/// Compares two traces chunk by chunk, including the raw head bytes, with a
/// readable message on failure.
fn assert_same_trace(name: &str, how: &str, got: &[TraceChunk], want: &[TraceChunk]) {
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert_eq!(g, w, "{name}, {how}: chunk {i} differs");
        assert_eq!(
            g.head.as_bytes(),
            w.head.as_bytes(),
            "{name}, {how}: raw head of chunk {i} differs"
        );
    }
    assert_eq!(
        got.len(),
        want.len(),
        "{name}, {how}: different number of chunks"
    );
}

/// Stream offsets where each chunk ends.
fn chunk_ends(data: &[u8]) -> Vec<usize> {
    let mut parser = Parser::new(Limits::default());
    parser.feed(data);
    let mut ends = Vec::new();
    while let Some(event) = parser.next().expect("valid vector") {
        if matches!(event, Event::End(_)) {
            ends.push(parser.offset() as usize);
        }
    }
    ends
}

#[test]
fn every_vector_parses_whole_and_is_nonempty() {
    for (name, data) in all_vectors() {
        let trace = trace_of_pieces([&data[..]]).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!trace.is_empty(), "{name}: no chunk");
    }
}

#[test]
fn splitting_in_two_at_any_offset_gives_the_same_trace() {
    for (name, data) in all_vectors() {
        let want = trace_whole(&data);
        // Every offset, the 8.6 KB rfc4975-s4-chunked.msrp included: about
        // one second in a debug build.
        for i in 0..=data.len() {
            let (a, b) = data.split_at(i);
            let got =
                trace_of_pieces([a, b]).unwrap_or_else(|e| panic!("{name}, split at {i}: {e}"));
            assert_same_trace(&name, &format!("split at {i}"), &got, &want);
        }
    }
}

#[test]
fn one_byte_at_a_time_gives_the_same_trace() {
    for (name, data) in all_vectors() {
        let want = trace_whole(&data);
        let got = trace_of_pieces(data.chunks(1)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_same_trace(&name, "one byte at a time", &got, &want);
    }
}

/// Every vector read straight into the parser's buffer with
/// [`Parser::read_into`], in reads of varied sizes and windows, while body
/// pieces handed out stay alive (so the buffer cannot simply be reused):
/// the same trace as feeding it whole, and every read offered a window of
/// exactly the size asked for, whatever earlier reads left unfilled.
#[test]
fn reading_into_the_parser_gives_the_same_trace() {
    for (name, data) in all_vectors() {
        let want = trace_whole(&data);
        for (window, block) in [
            (1usize, 1usize),
            (7, 16),
            (64, 64),
            (100, 4096),
            (4096, 4096),
        ] {
            let mut parser = Parser::new(Limits::default());
            let mut collector = Collector::default();
            let mut kept = Vec::new();
            let mut at = 0;
            let mut step = 0usize;
            while at < data.len() {
                step += 1;
                // Reads fill all, part or none of the window, in turn.
                let want_len = match step % 3 {
                    0 => window,
                    1 => window.div_ceil(3),
                    _ => 0,
                };
                let n = parser.read_into(window, block, |buf| {
                    assert_eq!(buf.len(), window, "{name}: window size");
                    let n = want_len.min(data.len() - at);
                    buf[..n].copy_from_slice(&data[at..at + n]);
                    (n, n)
                });
                at += n;
                while let Some(event) = parser.next().unwrap_or_else(|e| panic!("{name}: {e}")) {
                    if let Event::Body(data) = &event {
                        kept.push(data.clone());
                    }
                    collector.take(event);
                }
            }
            parser.finish().unwrap_or_else(|e| panic!("{name}: {e}"));
            let how = format!("read into windows of {window} in blocks of {block}");
            assert_same_trace(&name, &how, &collector.chunks, &want);
            let kept_len: usize = kept.iter().map(|b| b.len()).sum();
            let want_len: usize = want
                .iter()
                .filter_map(|c| c.body.as_ref())
                .map(Vec::len)
                .sum();
            assert_eq!(kept_len, want_len, "{name}, {how}: body pieces");
        }
    }
}

/// The bytes of the first chunk of `rfc4975-s4-send.msrp`.
fn first_send_chunk() -> Vec<u8> {
    let data = read_vector("rfc4975-s4-send.msrp");
    let end = chunk_ends(&data)[0];
    data[..end].to_vec()
}

#[test]
fn a_chunk_following_the_vector_comes_out_too() {
    let trailer = first_send_chunk();
    let trailer_trace = trace_whole(&trailer);
    assert_eq!(trailer_trace.len(), 1);
    for (name, data) in all_vectors() {
        let mut want = trace_whole(&data);
        want.extend(trailer_trace.iter().cloned());
        let joined = [&data[..], &trailer[..]].concat();
        let whole = trace_of_pieces([&joined[..]]).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_same_trace(&name, "followed by a SEND, whole", &whole, &want);
        let bytewise = trace_of_pieces(joined.chunks(1)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_same_trace(&name, "followed by a SEND, bytewise", &bytewise, &want);
    }
}

/// Every chunk a reader yields once fed `pieces`.
fn read_chunks<'a>(
    mut reader: ChunkReader,
    pieces: impl IntoIterator<Item = &'a [u8]>,
) -> Result<Vec<Chunk>, ParseError> {
    let mut chunks = Vec::new();
    for piece in pieces {
        reader.feed(piece);
        while let Some(chunk) = reader.next_chunk()? {
            chunks.push(chunk);
        }
    }
    reader.finish()?;
    Ok(chunks)
}

fn assert_chunk_matches(name: &str, how: &str, i: usize, got: &Chunk, want: &TraceChunk) {
    assert_eq!(got.head(), &want.head, "{name}, {how}: head of chunk {i}");
    assert_eq!(
        got.body().map(|b| b.to_vec()),
        want.body,
        "{name}, {how}: body of chunk {i}"
    );
    assert_eq!(
        got.continuation(),
        want.flag,
        "{name}, {how}: flag of chunk {i}"
    );
    assert_eq!(got.segment(), None, "{name}, {how}: chunk {i} is a segment");
    assert_eq!(
        got.byte_range(),
        want.head.byte_range(),
        "{name}, {how}: byte range of chunk {i}"
    );
}

#[test]
fn chunk_reader_in_whole_mode_yields_the_trace() {
    for (name, data) in all_vectors() {
        let want = trace_whole(&data);
        let feeds: [(&str, Vec<&[u8]>); 2] = [
            ("whole", vec![&data[..]]),
            ("one byte at a time", data.chunks(1).collect()),
        ];
        for (how, pieces) in feeds {
            let got = read_chunks(ChunkReader::new(Limits::default()), pieces)
                .unwrap_or_else(|e| panic!("{name}, {how}: {e}"));
            assert_eq!(got.len(), want.len(), "{name}, {how}: number of chunks");
            for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                assert_chunk_matches(&name, how, i, g, w);
            }
        }
    }
}

/// Puts virtual chunks back together: an unnumbered chunk stands alone,
/// segment 1 opens a group and the following segments join it.
fn regroup(name: &str, chunks: Vec<Chunk>) -> Vec<Vec<Chunk>> {
    let mut groups: Vec<Vec<Chunk>> = Vec::new();
    let mut in_group = false;
    for chunk in chunks {
        match chunk.segment() {
            None => {
                groups.push(vec![chunk]);
                in_group = false;
            }
            Some(1) => {
                groups.push(vec![chunk]);
                in_group = true;
            }
            Some(n) => {
                assert!(in_group, "{name}: segment {n} without segment 1");
                let group = groups.last_mut().unwrap();
                let prev = group.last().unwrap().segment();
                assert_eq!(prev, Some(n - 1), "{name}: segments out of order");
                group.push(chunk);
            }
        }
    }
    groups
}

/// Checks one reassembled group of virtual chunks against the chunk it came from.
fn check_segments(ctx: &str, group: &[Chunk], want: &TraceChunk, segment_size: usize) {
    let last = group.len() - 1;
    let mut body = Vec::new();
    let head_range = want.head.byte_range_or_default();
    let mut next_start = head_range.start;
    for (i, seg) in group.iter().enumerate() {
        assert_eq!(seg.head(), &want.head, "{ctx}: head of segment {i}");
        assert_eq!(seg.segment(), Some(i as u32 + 1), "{ctx}: numbering");
        let data = seg.body().expect("a segment has a body");
        if i < last {
            assert_eq!(seg.continuation(), Continuation::More, "{ctx}: flag of {i}");
            assert!(
                data.len() >= segment_size.max(1),
                "{ctx}: segment {i} has {} bytes, less than {segment_size}",
                data.len()
            );
        } else {
            assert_eq!(seg.continuation(), want.flag, "{ctx}: flag of the last");
        }
        let range = seg.byte_range().expect("a segment has a byte range");
        let len = data.len() as u64;
        let want_range = ByteRange {
            start: next_start,
            end: Some(next_start + len - 1),
            total: head_range.total,
        };
        assert_eq!(range, want_range, "{ctx}: byte range of segment {i}");
        next_start += len;
        body.extend_from_slice(data);
    }
    assert_eq!(Some(body), want.body, "{ctx}: concatenated segments");
}

#[test]
fn chunk_reader_segments_put_back_together_give_the_trace() {
    let mut split_somewhere = [false; 3];
    for (name, data) in all_vectors() {
        let want = trace_whole(&data);
        for (s, segment_size) in [1usize, 7, 4096].into_iter().enumerate() {
            let feeds: [(&str, Vec<&[u8]>); 3] = [
                ("whole", vec![&data[..]]),
                ("one byte at a time", data.chunks(1).collect()),
                ("in 100-byte pieces", data.chunks(100).collect()),
            ];
            for (how, pieces) in feeds {
                let ctx = format!("{name}, segment size {segment_size}, {how}");
                let reader = ChunkReader::with_segment_size(Limits::default(), segment_size);
                let chunks = read_chunks(reader, pieces).unwrap_or_else(|e| panic!("{ctx}: {e}"));
                let groups = regroup(&ctx, chunks);
                assert_eq!(groups.len(), want.len(), "{ctx}: number of chunks");
                for (i, (group, w)) in groups.iter().zip(&want).enumerate() {
                    let ctx = format!("{ctx}, chunk {i}");
                    if group[0].segment().is_none() {
                        assert_chunk_matches(&name, &ctx, i, &group[0], w);
                    } else {
                        split_somewhere[s] = true;
                        check_segments(&ctx, group, w, segment_size);
                    }
                }
            }
        }
    }
    // Sizes 1 and 7 must really have cut something, or the checks above
    // checked nothing.
    assert!(split_somewhere[0], "segment size 1 never split a chunk");
    assert!(split_somewhere[1], "segment size 7 never split a chunk");
}

/// The vectors this project wrote (not the RFC examples, which keep the
/// RFC's text and its miscounted Byte-Range values, such as a 23-byte body
/// under `1-25/25` in RFC 4975 §4).
#[test]
fn send_bodies_agree_with_their_byte_range() {
    for (name, data) in all_vectors() {
        if name.starts_with("rfc") {
            continue;
        }
        for (i, chunk) in trace_whole(&data).iter().enumerate() {
            let is_send = chunk.head.method() == Some(&Method::Send);
            let range = chunk.head.byte_range();
            if let (true, Some(body), Some(range)) = (is_send, &chunk.body, range) {
                if let Some(len) = range.len() {
                    assert_eq!(body.len() as u64, len, "{name}: chunk {i} vs {range}");
                }
            }
        }
    }
}

// ---- What specific vectors contain. ----

/// `vector!(test_name, "file.msrp", |chunks| { ... })` defines a test that
/// parses the file (whole) and runs the block with its trace, a
/// `Vec<TraceChunk>`.
macro_rules! vector {
    ($test:ident, $file:literal, |$chunks:ident| $body:block) => {
        #[test]
        fn $test() {
            let $chunks: Vec<TraceChunk> = vector_trace($file);
            $body
        }
    };
}

fn range(s: &str) -> Option<ByteRange> {
    Some(s.parse().unwrap())
}

fn response_code(chunk: &TraceChunk) -> Option<(u16, Option<&str>)> {
    match chunk.head.start_line() {
        StartLine::Response { code, comment } => Some((code, comment)),
        StartLine::Request { .. } => None,
    }
}

vector!(bodiless_bind_has_no_body, "bodiless-bind.msrp", |chunks| {
    assert_eq!(chunks.len(), 1);
    let c = &chunks[0];
    assert!(!c.head.has_body());
    assert_eq!(c.body, None);
    assert_eq!(c.flag, Continuation::Complete);
    assert_eq!(c.head.byte_range(), range("1-0/0"));
    assert_eq!(c.head.content_type(), None);
});

vector!(empty_body_has_an_empty_body, "empty-body.msrp", |chunks| {
    assert_eq!(chunks.len(), 1);
    assert!(chunks[0].head.has_body());
    assert_eq!(chunks[0].body, Some(Vec::new()));
    assert_eq!(chunks[0].head.content_type(), Some("text/plain"));
});

vector!(
    near_misses_stay_in_the_body,
    "near-miss-end-lines.msrp",
    |chunks| {
        assert_eq!(chunks.len(), 1);
        let body = chunks[0].body();
        assert_eq!(body.len(), 166);
        assert_eq!(chunks[0].head.byte_range(), range("1-166/166"));
        let near_misses: [&[u8]; 7] = [
            b"near misses:\r\n-------nearmiss$ without CR LF before it\r\n",
            b"\r\n-------nearmis5$\r\n",
            b"\r\n-------nearmissX\r\n",
            b"\r\n-------nearmissX$\r\n",
            b"\r\n------nearmiss$\r\n",
            b"\r\n-------nearmis\r\n",
            b"\r\n--------nearmiss$\r\n",
        ];
        for miss in near_misses {
            assert!(
                body.windows(miss.len()).any(|w| w == miss),
                "body lacks {:?}",
                miss.escape_ascii().to_string()
            );
        }
        assert!(body.ends_with(b"\r\nend"));
    }
);

vector!(
    rfc4976_auth_challenge_and_answer,
    "rfc4976-auth.msrp",
    |chunks| {
        assert_eq!(chunks.len(), 4);
        assert_eq!(chunks[0].head.method(), Some(&Method::Auth));
        assert_eq!(response_code(&chunks[1]), Some((401, Some("Unauthorized"))));
        let challenges: Vec<_> = chunks[1].head.www_authenticate().collect();
        assert_eq!(challenges.len(), 1);
        assert_eq!(challenges[0].get("realm"), Some("intra.example.com"));
        assert_eq!(challenges[0].get("qop"), Some("auth"));
        let credentials = chunks[2].head.authorization().expect("Authorization");
        assert_eq!(credentials.get("username"), Some("Alice"));
        assert_eq!(credentials.get("nc"), Some("00000001"));
        assert_eq!(response_code(&chunks[3]), Some((200, Some("OK"))));
        let use_path = chunks[3].head.use_path().expect("Use-Path");
        assert_eq!(use_path.first().host_str(), "intra.example.com");
        assert_eq!(use_path.first().session_id(), Some("jui787s2f"));
        assert_eq!(chunks[3].head.expires(), Some(900));
        assert!(chunks.iter().all(|c| c.body.is_none()));
    }
);

vector!(
    rfc4976_interval_too_brief,
    "rfc4976-auth-423.msrp",
    |chunks| {
        assert_eq!(chunks.len(), 1);
        assert_eq!(
            response_code(&chunks[0]),
            Some((423, Some("Interval Out-of-Bounds")))
        );
        assert_eq!(chunks[0].head.min_expires(), Some(60));
        assert_eq!(chunks[0].head.max_expires(), Some(3600));
    }
);

vector!(pipelined_chunks_all_come_out, "pipelined.msrp", |chunks| {
    assert_eq!(chunks.len(), 5);
    let tids: Vec<&str> = chunks.iter().map(|c| c.head.transaction_id()).collect();
    assert_eq!(
        tids,
        ["pipe0001", "pipe0002", "pipe0003", "pipe0001", "pipe0004"]
    );
    let bodies: Vec<Option<&[u8]>> = chunks.iter().map(|c| c.body.as_deref()).collect();
    assert_eq!(
        bodies,
        [Some(&b"one"[..]), Some(b"two"), None, None, Some(b"three")]
    );
    assert_eq!(chunks[0].head.success_report(), Some(SuccessReport::Yes));
    assert_eq!(chunks[1].head.failure_report().unwrap().as_str(), "partial");
    assert_eq!(chunks[2].head.method(), Some(&Method::Report));
    assert_eq!(chunks[2].head.status().unwrap().code, 200);
    assert_eq!(response_code(&chunks[3]), Some((200, Some("OK"))));
});

vector!(
    ipv6_hosts_and_base64_session_ids,
    "ipv6-and-base64-uris.msrp",
    |chunks| {
        assert_eq!(chunks.len(), 1);
        let head = &chunks[0].head;
        let to = head.to_path().first();
        assert_eq!(to.session_id(), Some("kjh+d37/s2s="));
        assert_eq!(
            to.host(),
            Host::Ipv6("2001:db8::1".parse::<Ipv6Addr>().unwrap())
        );
        assert_eq!(to.port(), Some(2855));
        let from = head.from_path().first();
        assert_eq!(from.session_id(), Some("aBc/dEf+ghI="));
        assert_eq!(from.host(), Host::Ipv6(Ipv6Addr::LOCALHOST));
        assert!(from.is_secure());
        assert_eq!(from.param("x"), Some(Some("y")));
        assert_eq!(chunks[0].body_str(), "v6");
    }
);

vector!(
    binary_body_holds_every_byte_value,
    "binary-body.msrp",
    |chunks| {
        assert_eq!(chunks.len(), 1);
        let body = chunks[0].body();
        assert_eq!(body.len(), 525);
        let mut seen = [false; 256];
        for &b in body {
            seen[usize::from(b)] = true;
        }
        assert!(seen.iter().all(|&s| s), "some byte value is missing");
        // Ends in a bare `-------` line: an end-line prefix without a tid.
        assert!(body.ends_with(b"\xff\r\n\r\n-------\r\n"));
    }
);

vector!(
    rfc4975_chunked_message_reassembles,
    "rfc4975-s4-chunked.msrp",
    |chunks| {
        assert_eq!(chunks.len(), 2);
        assert_eq!(chunks[0].flag, Continuation::More);
        assert_eq!(chunks[1].flag, Continuation::Complete);
        assert_eq!(chunks[0].head.byte_range(), range("1-*/8191"));
        let first_len = chunks[0].body().len() as u64;
        let second = chunks[1].head.byte_range().unwrap();
        assert_eq!(second.start, first_len + 1);
        assert_eq!(first_len + chunks[1].body().len() as u64, 8191);
        let ids: Vec<_> = chunks.iter().map(|c| c.head.message_id()).collect();
        assert_eq!(ids, [Some("4564dpWd"), Some("4564dpWd")]);
    }
);

vector!(rfc4975_simple_send, "rfc4975-s4-send.msrp", |chunks| {
    assert_eq!(chunks.len(), 1);
    assert_eq!(chunks[0].body_str(), "Hey Bob, are you there?");
    // Verbatim from the RFC, which counts 25 bytes for this 23-byte body.
    assert_eq!(chunks[0].head.byte_range(), range("1-25/25"));
    assert_eq!(chunks[0].head.message_id(), Some("87652491"));
});

vector!(more_then_abort_flags, "more-then-abort.msrp", |chunks| {
    let flags: Vec<_> = chunks.iter().map(|c| c.flag).collect();
    assert_eq!(flags, [Continuation::More, Continuation::Aborted]);
    assert_eq!(chunks[0].body_str(), "first twenty bytes..");
    assert_eq!(chunks[1].body_str(), "then abort");
});

vector!(
    relayed_empty_more_chunk,
    "relay-empty-more-chunk.msrp",
    |chunks| {
        assert_eq!(chunks.len(), 2);
        assert_eq!(chunks[0].body, Some(Vec::new()));
        assert_eq!(chunks[0].flag, Continuation::More);
        assert_eq!(chunks[1].body_str(), "hello relay");
    }
);

vector!(
    responses_with_and_without_comments,
    "responses.msrp",
    |chunks| {
        let lines: Vec<_> = chunks.iter().map(response_code).collect();
        assert_eq!(
            lines,
            [
                Some((200, Some("OK"))),
                Some((200, None)),
                Some((481, Some("Session does not exist"))),
                Some((413, Some("Message too large; stop sending"))),
            ]
        );
        assert!(chunks.iter().all(|c| c.body.is_none()));
    }
);

vector!(unknown_method_is_kept, "unknown-method.msrp", |chunks| {
    assert_eq!(chunks.len(), 1);
    assert_eq!(chunks[0].head.method().unwrap().as_str(), "FOOBAR");
    assert_eq!(chunks[0].head.header("x-whatever"), Some("1"));
    assert_eq!(chunks[0].body, None);
});

vector!(nickname_request, "nickname.msrp", |chunks| {
    assert_eq!(chunks[0].head.method(), Some(&Method::Nickname));
    assert_eq!(
        chunks[0].head.use_nickname().as_deref(),
        Some("Alice the Great")
    );
});

vector!(
    header_names_ignore_case,
    "header-case-and-extensions.msrp",
    |chunks| {
        let head = &chunks[0].head;
        assert_eq!(head.to_path().first().session_id(), Some("s1"));
        assert_eq!(head.message_id(), Some("casemsg1"));
        assert_eq!(head.byte_range(), range("1-4/4"));
        assert_eq!(head.content_type(), Some("text/plain; charset=UTF-8"));
        assert_eq!(head.header("X-CUSTOM-HEADER"), Some("some value"));
        assert_eq!(head.content_description(), Some("a note"));
        let disposition = head.content_disposition().unwrap();
        assert_eq!(disposition.filename().as_deref(), Some("a b.txt"));
        // Names are kept as written.
        let names: Vec<&str> = head.headers().map(|(n, _)| n).collect();
        assert_eq!(names[0], "to-path");
        assert_eq!(names[1], "FROM-PATH");
        assert_eq!(chunks[0].body_str(), "case");
    }
);

vector!(
    relayed_send_has_multi_hop_paths,
    "rfc4976-send-via-relays.msrp",
    |chunks| {
        assert_eq!(chunks.len(), 3);
        assert_eq!(chunks[0].head.to_path().len(), 3);
        assert_eq!(
            chunks[0].head.to_path().last().host_str(),
            "bob.example.net"
        );
        assert_eq!(chunks[2].head.from_path().len(), 2);
        assert_eq!(chunks[0].head.byte_range(), range("1-*/*"));
        assert_eq!(chunks[0].body, chunks[2].body);
    }
);

vector!(
    unknown_length_stream_continues,
    "unknown-length-stream.msrp",
    |chunks| {
        assert_eq!(chunks.len(), 1);
        assert_eq!(chunks[0].flag, Continuation::More);
        assert_eq!(chunks[0].head.byte_range(), range("1-*/*"));
    }
);

vector!(
    interrupted_message_resumes,
    "interrupted-and-resumed.msrp",
    |chunks| {
        let bodies: Vec<&str> = chunks.iter().map(TraceChunk::body_str).collect();
        assert_eq!(bodies.concat(), "abcdefghijklmnopqrst");
        assert_eq!(chunks[1].head.byte_range(), range("6-20/20"));
    }
);

vector!(
    rfc4975_report_is_bodiless,
    "rfc4975-s11.5-report.msrp",
    |chunks| {
        let status = chunks[0].head.status().unwrap();
        assert_eq!((status.namespace, status.code), (0, 200));
        assert_eq!(status.comment.as_deref(), Some("OK"));
        assert_eq!(chunks[0].body, None);
    }
);

vector!(
    rfc4975_failure_report_status,
    "rfc4975-failure-report.msrp",
    |chunks| {
        let status = chunks[0].head.status().unwrap();
        assert_eq!(status.code, 408);
        assert_eq!(status.comment.as_deref(), Some("Request Timeout"));
    }
);
