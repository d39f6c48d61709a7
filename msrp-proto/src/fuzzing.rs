//! Fuzz-harness entry points: the oracles behind the cargo-fuzz targets in
//! `fuzz/` and the corpus replay test `tests/fuzz_corpus.rs`.
//!
//! This module is compiled in every build on purpose — no feature, no `cfg`,
//! no extra dependency — so that the harness is type-checked by `cargo build`
//! and exercised by `cargo test` on stable, not only under nightly
//! libFuzzer. It is not part of the API and may change at any time.
//!
//! Each function accepts any bytes. It panics only when an invariant of the
//! library is violated; that panic is what the fuzzer reports.

use std::borrow::Cow;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use bytes::Bytes;

use crate::ident::IdGenerator;
use crate::wire::header::quoted::{is_token, parse_quoted_string, quote};
use crate::wire::{
    BodyMode, ByteRange, Chunk, ChunkHead, ChunkReader, Continuation, DigestParams, Disposition,
    Encoder, Event, FailureReport, Limits, MediaType, Method, ParseError, ParseErrorKind, Parser,
    Status, SuccessReport,
};
use crate::{MsrpUri, Path};

/// Parameter bytes that [`parse_stream`] reads before the stream itself.
pub const STREAM_PARAMS: usize = 4;

/// Reads parameters off the front of the input; zeros once it runs out, so
/// every input is usable.
struct Input<'a>(&'a [u8]);

impl<'a> Input<'a> {
    fn byte(&mut self) -> u8 {
        let (&b, rest) = self.0.split_first().unwrap_or((&0, &[]));
        self.0 = rest;
        b
    }

    fn take(&mut self, n: usize) -> &'a [u8] {
        let (taken, rest) = self.0.split_at(n.min(self.0.len()));
        self.0 = rest;
        taken
    }

    /// A string of 0 to `max` characters drawn from `alphabet`.
    fn word(&mut self, alphabet: &[u8], max: u8) -> String {
        let len = self.byte() % (max + 1);
        (0..len)
            .map(|_| char::from(alphabet[usize::from(self.byte()) % alphabet.len()]))
            .collect()
    }
}

/// Read sizes from a seed (xorshift), 1 to 2^k bytes each for a seeded k.
fn read_sizes(seed: u8) -> impl Iterator<Item = usize> {
    let max = 1usize << (seed % 10);
    let mut x = u32::from(seed).wrapping_mul(0x9E37_79B9) | 1;
    std::iter::repeat_with(move || {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        1 + x as usize % max
    })
}

/// Small limits scaled by `k`, so that every limit can be hit by short inputs.
fn small_limits(k: u8) -> Limits {
    let k = usize::from(k);
    Limits {
        max_start_line: 16 + k % 48,
        max_header_line: 24 + 2 * k,
        max_head: 64 + 8 * k,
        max_headers: 2 + k % 8,
        max_path_uris: 1 + k % 3,
        max_non_send_body: k % 50,
        max_chunk: k % 90,
    }
}

/// One entry of a normalized event trace: each chunk's body pieces merged
/// into one, and the pieces of a chunk that never ended dropped (how much of
/// such a body was handed out depends on how the bytes arrived).
#[derive(Debug, Clone, PartialEq, Eq)]
// A trace is built once per run; boxing heads would only add noise.
#[allow(clippy::large_enum_variant)]
enum Item {
    Head(ChunkHead, Bytes),
    Body(Vec<u8>),
    End(Continuation),
    Error(ParseError),
    Finished,
}

/// The chunk being read: where its body starts, what was handed out, and
/// its transaction id's length (which sets the end-line's).
struct Open {
    body_start: usize,
    body: Vec<u8>,
    has_body: bool,
    tid_len: usize,
}

/// Feeds `stream` in pieces of the given sizes (the rest in one piece when
/// they run out), draining events after each, and checks every event
/// against the input. Returns the normalized trace.
fn drive(
    stream: &[u8],
    limits: &Limits,
    mode: BodyMode,
    mut sizes: impl Iterator<Item = usize>,
) -> Vec<Item> {
    let mut parser = Parser::new(limits.clone());
    parser.set_body_mode(mode);
    // Bytes a parser may hold while waiting for more: a partial start line,
    // a head and a partial header line, or the body it may keep plus a
    // partial end-line (`\r\n-------`, a 32-byte tid, flag, CR: 43 bytes).
    let hold = match mode {
        BodyMode::Stream => 0,
        BodyMode::Segments(n) => n.max(1) - 1,
        BodyMode::Whole => limits.max_chunk,
    };
    let max_buffered = (limits.max_start_line + 1)
        .max(limits.max_head.max(limits.max_start_line + 2) + limits.max_header_line + 1)
        .max(hold + 43);
    let (mut trace, mut open, mut fed, mut calls, mut pieces) = (Vec::new(), None, 0, 0, 0);
    while fed < stream.len() {
        let n = sizes.next().unwrap_or(usize::MAX).min(stream.len() - fed);
        parser.feed(&stream[fed..fed + n]);
        fed += n;
        pieces += 1;
        loop {
            calls += 1;
            // Every event but End consumes bytes, and End follows one that
            // did: a parser that repeats itself fails this.
            assert!(calls <= 3 * fed + pieces, "parser does not progress");
            let before = parser.offset() as usize;
            let event = parser.next();
            let after = parser.offset() as usize;
            match event {
                Ok(None) => {
                    assert!(parser.buffered() <= fed, "holds bytes never fed");
                    assert!(parser.buffered() <= max_buffered, "holds too much");
                    assert_eq!(after + parser.buffered(), fed);
                    break;
                }
                Ok(Some(Event::Head(head))) => {
                    assert!(open.is_none(), "head inside a chunk");
                    let tid_len = head.transaction_id().len();
                    let raw = Bytes::copy_from_slice(head.as_bytes());
                    // A body follows a blank line; a bodiless chunk's
                    // end-line (`-------<tid><flag>CRLF`) was consumed too.
                    let gap = if head.has_body() { 2 } else { tid_len + 10 };
                    let start = after - gap - raw.len();
                    assert!(start >= before);
                    assert_eq!(&stream[start..start + raw.len()], &raw[..]);
                    open = Some(Open {
                        body_start: after,
                        body: Vec::new(),
                        has_body: head.has_body(),
                        tid_len,
                    });
                    trace.push(Item::Head(head, raw));
                }
                Ok(Some(Event::Body(data))) => {
                    let chunk = open.as_mut().expect("body outside a chunk");
                    assert!(chunk.has_body && !data.is_empty());
                    // Pieces are the input's bytes, in order, without gaps
                    // (the last one's end-line is consumed with it).
                    assert_eq!(before, chunk.body_start + chunk.body.len());
                    assert_eq!(&stream[before..before + data.len()], &data[..]);
                    assert!(after == before + data.len() || after >= before + data.len() + 16);
                    chunk.body.extend_from_slice(&data);
                }
                Ok(Some(Event::End(flag))) => {
                    let chunk = open.take().expect("end outside a chunk");
                    assert_eq!(&stream[after - 3..after], &[flag.as_byte(), b'\r', b'\n']);
                    if chunk.has_body {
                        let end_line = chunk.tid_len + 12;
                        assert_eq!(chunk.body_start + chunk.body.len() + end_line, after);
                        trace.push(Item::Body(chunk.body));
                    } else {
                        assert_eq!(after, chunk.body_start);
                    }
                    trace.push(Item::End(flag));
                }
                Err(err) => {
                    open = None;
                    assert!(err.offset() <= fed as u64);
                    trace.push(Item::Error(err.clone()));
                    if !err.framing_intact() {
                        // Final: the same error from then on.
                        assert_eq!(parser.next(), Err(err.clone()));
                        assert_eq!(parser.finish(), Err(err));
                        return trace;
                    }
                }
            }
        }
    }
    match parser.finish() {
        Ok(()) => {
            assert!(open.is_none() && parser.is_idle());
            trace.push(Item::Finished);
        }
        Err(err) => {
            assert_eq!(err.offset(), stream.len() as u64);
            trace.push(Item::Error(err));
        }
    }
    trace
}

/// Reads `stream` with a [`ChunkReader`], in pieces of the given sizes,
/// up to the first error.
fn read_chunks(
    mut reader: ChunkReader,
    stream: &[u8],
    mut sizes: impl Iterator<Item = usize>,
) -> Result<Vec<Chunk>, ParseError> {
    let (mut chunks, mut fed) = (Vec::new(), 0);
    while fed < stream.len() {
        let n = sizes.next().unwrap_or(usize::MAX).min(stream.len() - fed);
        reader.feed(&stream[fed..fed + n]);
        fed += n;
        // A chunk or virtual chunk takes at least one new byte, and one more
        // may complete with the old ones.
        let mut left = n + 1;
        while let Some(chunk) = reader.next_chunk()? {
            chunks.push(chunk);
            left = left.checked_sub(1).expect("reader does not progress");
        }
    }
    reader.finish()?;
    Ok(chunks)
}

/// The stream parser on any input: the same normalized events (errors
/// included) however the input is split, body pieces that are exactly the
/// input's bytes, bounded buffering and progress, and whole-chunk and
/// segmented readers that agree with the stream.
///
/// The first [`STREAM_PARAMS`] bytes choose the body mode, the limits and
/// the read sizes; the rest is the stream.
pub fn parse_stream(data: &[u8]) {
    let mut input = Input(data);
    let (flags, segment, seed, scale) = (input.byte(), input.byte(), input.byte(), input.byte());
    let stream = input.0;
    let segment = usize::from(segment);
    let limits = if flags & 4 != 0 {
        small_limits(scale)
    } else {
        Limits::default()
    };
    let mode = match flags & 3 {
        0 | 1 => BodyMode::Stream,
        2 => BodyMode::Segments(segment),
        _ => BodyMode::Whole,
    };
    let whole = drive(stream, &limits, mode, std::iter::empty());
    let at = stream.len() * usize::from(seed) / 255;
    let splits: [&mut dyn Iterator<Item = usize>; 3] = [
        &mut std::iter::repeat(1),
        &mut [at].into_iter(),
        &mut read_sizes(seed),
    ];
    for sizes in splits {
        assert_eq!(drive(stream, &limits, mode, sizes), whole);
    }

    // Whole chunks and virtual chunks against the stream's chunks, when the
    // stream is free of errors.
    let reference = match mode {
        BodyMode::Stream => whole,
        _ => drive(stream, &limits, BodyMode::Stream, std::iter::empty()),
    };
    if reference.iter().any(|i| matches!(i, Item::Error(_))) {
        return;
    }
    let expected = chunks_of(reference);
    match read_chunks(ChunkReader::new(limits.clone()), stream, read_sizes(seed)) {
        Ok(chunks) => {
            assert!(chunks.iter().all(|c| c.segment().is_none()));
            assert_eq!(reassemble(chunks), expected);
        }
        // Whole chunks are held in memory, up to a limit of their own.
        Err(err) => assert!(matches!(err.kind(), ParseErrorKind::ChunkTooLarge { .. })),
    }
    let reader = ChunkReader::with_segment_size(limits, segment);
    let chunks = read_chunks(reader, stream, read_sizes(seed)).expect("segments read");
    assert_eq!(reassemble(chunks), expected);
}

/// A chunk as head, body (`None` when bodiless) and flag.
type Whole = (ChunkHead, Option<Vec<u8>>, Continuation);

/// The chunks of an error-free normalized trace.
fn chunks_of(trace: Vec<Item>) -> Vec<Whole> {
    let mut chunks = Vec::new();
    let mut items = trace.into_iter().peekable();
    while let Some(Item::Head(head, _)) = items.next() {
        let body = match items.next_if(|i| matches!(i, Item::Body(_))) {
            Some(Item::Body(body)) => Some(body),
            _ => None,
        };
        let Some(Item::End(flag)) = items.next() else {
            unreachable!("`drive` checks that every chunk ends");
        };
        chunks.push((head, body, flag));
    }
    chunks
}

/// Joins virtual chunks back into the chunks they were cut from, checking
/// their numbers, flags and Byte-Ranges.
fn reassemble(chunks: Vec<Chunk>) -> Vec<Whole> {
    let mut whole: Vec<Whole> = Vec::new();
    let (mut segment, mut start) = (0, 0u64);
    for chunk in chunks {
        let (head, body, flag) = (chunk.head(), chunk.body(), chunk.continuation());
        let len = body.map_or(0, |b| b.len() as u64);
        match chunk.segment() {
            None => assert_eq!(chunk.byte_range(), head.byte_range()),
            Some(1) => start = head.byte_range_or_default().start,
            Some(n) => {
                let last = whole.pop().expect("a segment after the first");
                // All but the last segment are flagged `+`.
                assert_eq!(
                    (n, &last.0, last.2),
                    (segment + 1, head, Continuation::More)
                );
                let mut joined = last.1.expect("segments have bodies");
                joined.extend_from_slice(body.expect("segments have bodies"));
                whole.push((last.0, Some(joined), flag));
            }
        }
        if let Some(n) = chunk.segment() {
            // A virtual chunk's Byte-Range covers exactly its bytes.
            let range = ByteRange {
                start,
                end: Some(start.saturating_sub(1).saturating_add(len)),
                total: head.byte_range_or_default().total,
            };
            assert_eq!(chunk.byte_range(), Some(range));
            (segment, start) = (n, start.saturating_add(len));
        }
        if chunk.segment().is_none_or(|n| n == 1) {
            whole.push((head.clone(), body.map(|b| b.to_vec()), flag));
        }
    }
    whole
}

/// MSRP URIs and paths: no panic on any text; whatever parses prints back
/// exactly (paths with their separators normalized to one space) and parses
/// again to an equal value with an equal hash.
pub fn uri(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(uri) = MsrpUri::parse(text) {
        assert_eq!(uri.to_string(), text);
        let again = MsrpUri::parse(&uri.to_string()).expect("printed URI parses");
        assert_eq!((&again, hash(&again)), (&uri, hash(&uri)));
        // RFC 4975 §6.1 equality ignores case in places: whenever another
        // spelling compares equal, it must hash equal too.
        for other in [text.to_ascii_uppercase(), text.to_ascii_lowercase()] {
            if let Ok(other) = MsrpUri::parse(&other) {
                if other == uri {
                    assert_eq!(hash(&other), hash(&uri));
                }
            }
        }
        let _ = (uri.host(), uri.params().count(), uri.param("x"));
        let port = data.len() as u16;
        let moved = uri.with_port(port);
        assert_eq!(moved.port(), Some(port));
        assert_eq!(
            (moved.host(), moved.session_id(), moved.transport()),
            (uri.host(), uri.session_id(), uri.transport())
        );
        if let Ok(renamed) = uri.with_session_id("fuzz0") {
            assert_eq!(
                (renamed.session_id(), renamed.port()),
                (Some("fuzz0"), uri.port())
            );
        }
    }
    if let Ok(path) = Path::parse(text, 4) {
        let words: Vec<&str> = text.split([' ', '\t']).filter(|w| !w.is_empty()).collect();
        assert_eq!(path.to_string(), words.join(" "));
        assert!(path.iter().map(MsrpUri::as_str).eq(words));
        let again = Path::parse(&path.to_string(), 4).expect("printed path parses");
        assert_eq!((&again, hash(&again)), (&path, hash(&path)));
    }
}

fn hash<T: Hash>(value: &T) -> u64 {
    let mut hasher = DefaultHasher::new();
    value.hash(&mut hasher);
    hasher.finish()
}

/// Parameters as owned `(name, value)` pairs (`None`: no `=`).
type Params = Vec<(String, Option<String>)>;

/// `;name[=value]` for each parameter in its canonical spelling: a token
/// value as is, anything else as a quoted-string.
fn canonical(params: &Params) -> String {
    params
        .iter()
        .map(|(name, value)| match value {
            Some(v) if is_token(v) => format!(";{name}={v}"),
            Some(v) => format!(";{name}={}", quote(v)),
            None => format!(";{name}"),
        })
        .collect()
}

fn media_params(media: &MediaType<'_>) -> Params {
    let params = media.params();
    params
        .map(|(n, v)| (n.to_owned(), v.map(Cow::into_owned)))
        .collect()
}

fn disposition_params(disposition: &Disposition<'_>) -> Params {
    let params = disposition.params();
    params
        .map(|(n, v)| (n.to_owned(), Some(v.into_owned())))
        .collect()
}

/// Every typed header-value parser on the same text: whatever parses, its
/// canonical encoding parses back to the same value.
pub fn header_values(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(range) = ByteRange::parse(text) {
        assert_eq!(range.validate(), Ok(()));
        assert_eq!(ByteRange::parse(&range.to_string()), Ok(range));
    }
    if let Ok(status) = Status::parse(text) {
        assert_eq!(status.validate(), Ok(()));
        assert_eq!(Status::parse(&status.to_string()), Ok(status));
    }
    if let Ok(report) = SuccessReport::parse(text) {
        assert_eq!(SuccessReport::parse(report.as_str()), Ok(report));
    }
    if let Ok(report) = FailureReport::parse(text) {
        assert_eq!(FailureReport::parse(report.as_str()), Ok(report));
    }
    // Media types and dispositions print as received; rebuilt from their
    // parts in canonical form, they must parse back to the same parts.
    if let Ok(media) = MediaType::parse(text) {
        let (kind, params) = (media.essence(), media_params(&media));
        let again = format!(
            "{}/{}{}",
            media.main_type(),
            media.subtype(),
            canonical(&params)
        );
        let again = MediaType::parse(&again).expect("canonical media type parses");
        assert_eq!((again.essence(), media_params(&again)), (kind, params));
        let _ = media.matches(text);
    }
    if let Ok(disposition) = Disposition::parse(text) {
        let (kind, params) = (disposition.kind(), disposition_params(&disposition));
        let again = format!("{kind}{}", canonical(&params));
        let again = Disposition::parse(&again).expect("canonical disposition parses");
        assert_eq!((again.kind(), disposition_params(&again)), (kind, params));
    }
    if let Ok(digest) = DigestParams::parse_with_scheme(text) {
        let encoded = digest.to_header_value_with_scheme();
        assert_eq!(DigestParams::parse_with_scheme(&encoded), Ok(digest));
    }
    if let Ok(digest) = DigestParams::parse_list(text) {
        assert_eq!(
            DigestParams::parse_list(&digest.to_header_value()),
            Ok(digest)
        );
    }
    if let Ok(content) = parse_quoted_string(text) {
        assert_eq!(
            parse_quoted_string(&quote(&content)).as_deref(),
            Ok(&*content)
        );
    }
}

/// Characters of transaction ids and Message-IDs (RFC 4975 §9 `ident`).
const IDENT: &[u8] = b"abcXYZ019.-+%=";
/// Characters of session ids, with a space to make some invalid.
const SESSION: &[u8] = b"abcXYZ019-._~+=/ ";
/// Bytes for free text: a comment, a header value.
const TEXT: &[u8] = b"aZ9 \t;=\"\\/.-\xc3\xa9\r";

fn fuzz_uri(input: &mut Input<'_>) -> String {
    let b = input.byte();
    let host = [
        "bob.example.com",
        "10.0.0.1",
        "[2001:db8::1]",
        "Relay-1.example.NET",
    ];
    let mut uri = format!(
        "{}://{}{}",
        if b & 1 == 0 { "msrp" } else { "msrps" },
        if b & 64 != 0 { "alice@" } else { "" },
        host[usize::from(b >> 1) & 3],
    );
    if b & 8 != 0 {
        uri += &format!(":{}", u16::from_le_bytes([input.byte(), input.byte()]));
    }
    if b & 16 != 0 {
        uri += &format!("/s{}", input.word(SESSION, 20));
    }
    uri += if b & 32 != 0 { ";tcp" } else { ";ws" };
    if b & 128 != 0 {
        uri += ";foo=bar";
    }
    uri
}

fn fuzz_path(input: &mut Input<'_>) -> Option<Path> {
    let uris: Vec<String> = (0..=input.byte() % 3).map(|_| fuzz_uri(input)).collect();
    Path::parse(&uris.join(" "), 16).ok()
}

/// Builds a chunk from the input (skipping inputs the builder rejects),
/// encodes it, parses it back, and checks that the same chunk comes out:
/// the same head under the transaction id it was sent with, body and flag.
pub fn roundtrip(data: &[u8]) {
    let mut input = Input(data);
    let tid = format!("t{}", input.word(IDENT, 40));
    let kind = input.byte();
    let builder = if kind & 1 == 0 {
        let methods = [Method::Send, Method::Report, Method::Auth, Method::Nickname];
        let method = match methods.get(usize::from(kind >> 1) % 5) {
            Some(method) => method.clone(),
            None => Method::Other(input.word(b"ABCXYZ", 6)),
        };
        ChunkHead::request(method, &tid)
    } else {
        let code = u16::from_le_bytes([input.byte(), input.byte()]) % 1000;
        let comment = (kind & 2 != 0).then(|| input.word(TEXT, 12));
        ChunkHead::response(code, comment.as_deref(), &tid)
    };
    let (Some(to), Some(from)) = (fuzz_path(&mut input), fuzz_path(&mut input)) else {
        return;
    };
    let mut builder = builder.to_path(&to).from_path(&from);
    let optional = u16::from_le_bytes([input.byte(), input.byte()]);
    if optional & 1 != 0 {
        builder = builder.message_id(&format!("m{}", input.word(IDENT, 40)));
    }
    if optional & 2 != 0 {
        let n = |input: &mut Input<'_>| u64::from(input.byte());
        let end = (optional & 4 != 0).then(|| n(&mut input));
        let total = (optional & 8 != 0).then(|| n(&mut input));
        builder = builder.byte_range(ByteRange {
            start: n(&mut input),
            end,
            total,
        });
    }
    if optional & 16 != 0 {
        builder = builder.success_report(SuccessReport::Yes);
    }
    if optional & 32 != 0 {
        builder = builder.failure_report(FailureReport::Partial);
    }
    if optional & 64 != 0 {
        let code = u16::from(input.byte()) * 4;
        builder = builder.status(&Status::new(code, Some(&input.word(TEXT, 8))));
    }
    if optional & 128 != 0 {
        let types = [
            "text/plain",
            "message/cpim",
            "text/plain; charset=\"UTF-8\"",
            "a/b;c",
        ];
        builder = builder.content_type(types[usize::from(input.byte()) % types.len()]);
    }
    if optional & 256 != 0 {
        builder = builder.expires(u32::from_le_bytes([input.byte(), input.byte(), 0, 1]));
    }
    if optional & 512 != 0 {
        if let Some(path) = fuzz_path(&mut input) {
            builder = builder.use_path(&path);
        }
    }
    if optional & 1024 != 0 {
        builder = builder.header("X-Fuzz", &input.word(TEXT, 16));
    }
    let Ok(head) = builder.build() else {
        return;
    };
    let flag = [
        Continuation::Complete,
        Continuation::More,
        Continuation::Aborted,
    ][usize::from(input.byte()) % 3];
    // Only requests carry bodies (RFC 4975 §7.1), and only SEND large ones.
    let body = (head.is_request() && optional & 2048 != 0).then(|| {
        let len = usize::from(input.byte()) * 8;
        let mut body = input.take(len).to_vec();
        if optional & 4096 != 0 {
            // The chunk's own end-line inside the body: the encoder must
            // send it under another transaction id.
            let at = usize::from(input.byte()).min(body.len());
            let line = format!("\r\n-------{tid}{}\r\n", char::from(input.byte()));
            body.splice(at..at, line.into_bytes());
        }
        if head.method() != Some(&Method::Send) {
            body.truncate(Limits::default().max_non_send_body);
        }
        Bytes::from(body)
    });
    let chunk = Chunk::new(head, body.clone(), flag);
    let seed = [input.byte(); 32];
    let encoder = Encoder::new();
    let Ok(wire) = encoder.encode(&chunk, &mut IdGenerator::from_seed(seed)) else {
        // Every one of the fresh ids collided: needs a body built for it.
        return;
    };
    let collides = body.as_deref().is_some_and(|b| encoder.collides(b, &tid));
    assert_eq!(wire.transaction_id() != tid, collides);
    if let Some(body) = body.as_ref().filter(|b| !b.is_empty()) {
        assert_eq!(wire.body().as_ptr(), body.as_ptr(), "body copied");
    }

    // Parse it as a vectored write delivers it: head, body, end-line.
    let mut parser = Parser::new(Limits::default());
    let mut events = Vec::new();
    for part in [wire.head(), wire.body(), wire.end()] {
        parser.feed(part);
        while let Some(event) = parser.next().expect("encoded chunk parses") {
            events.push(event);
        }
    }
    assert_eq!(parser.finish(), Ok(()));
    let Some(Event::Head(parsed)) = events.first() else {
        panic!("no head: {events:?}");
    };
    let original = chunk.head();
    assert_eq!(parsed.transaction_id(), wire.transaction_id());
    assert_eq!(parsed.start_line(), original.start_line());
    assert!(parsed.headers().eq(original.headers()));
    assert_eq!(parsed.has_body(), body.is_some());
    let received: Vec<u8> = events
        .iter()
        .filter_map(|e| match e {
            Event::Body(piece) => Some(piece.to_vec()),
            _ => None,
        })
        .flatten()
        .collect();
    assert_eq!(received, body.as_deref().unwrap_or_default());
    assert_eq!(events.last(), Some(&Event::End(flag)));

    let mut reader = ChunkReader::new(Limits::default());
    reader.feed(&wire.to_vec());
    let read = reader
        .next_chunk()
        .expect("encoded chunk reads")
        .expect("one chunk");
    assert_eq!(read.body(), body.as_ref());
    assert_eq!((read.continuation(), read.head()), (flag, parsed));
}

/// Two connections joined by the simulated network run the operations that
/// `data` encodes (sending, streaming, aborting, stepping, letting virtual
/// time pass, stalling, resetting; see [`crate::sim::ops`]), and every
/// invariant of [`crate::sim::ops::run`] must hold: one outcome per
/// message, intact delivery without faults, memory within the limits,
/// nothing left pending at the end.
pub fn connection_ops(data: &[u8]) {
    // The epoch only anchors virtual time; nothing reads the clock later.
    #[allow(clippy::disallowed_methods)]
    let start = std::time::Instant::now();
    if let Err(violation) = crate::sim::ops::run(data, start) {
        panic!("connection invariant violated: {violation}");
    }
}

/// A relay with two authenticated clients and a stranger runs the
/// operations `data` encodes (raw bytes, SENDs in pieces with end-line
/// look-alikes in their bodies, answers with any code, reading or not,
/// time passing, ends of stream; see [`crate::sim::relay_ops`]), and every
/// invariant of [`crate::sim::relay_ops::run`] must hold: no panic, time
/// moving forward, well-formed MSRP on every connection, memory within the
/// configuration.
pub fn relay_ops(data: &[u8]) {
    // The epoch only anchors virtual time; nothing reads the clock later.
    #[allow(clippy::disallowed_methods)]
    let start = std::time::Instant::now();
    if let Err(violation) = crate::sim::relay_ops::run(data, start) {
        panic!("relay invariant violated: {violation}");
    }
}
