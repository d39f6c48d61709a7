//! Unit tests of the output scheduler: interruption, order, abort, and the
//! end-line that must not appear in a body (RFC 4975 §7.1).

use super::*;
use crate::relay::frames::HeadTemplate;
use crate::wire::{ChunkHead, Event, Limits, Parser};

const TO: &str = "msrp://b.example.com:1/b1234;tcp";
const FROM: &str = "msrp://r.example.com:2/r1234;tcp msrp://a.example.com:3/a1234;tcp";

fn template(range: &str) -> HeadTemplate {
    let wire = format!(
        "MSRP orig1234 SEND\r\nTo-Path: {TO}\r\nFrom-Path: {FROM}\r\nMessage-ID: m1234\r\n\
         Byte-Range: {range}\r\nContent-Type: text/plain\r\n\r\nx\r\n-------orig1234$\r\n"
    );
    let mut parser = Parser::new(Limits::default());
    parser.feed(wire.as_bytes());
    let Ok(Some(Event::Head(head))) = parser.next() else {
        panic!("a head");
    };
    let to: Vec<MsrpUri> = vec![TO.parse().unwrap()];
    let from: Vec<MsrpUri> = head.from_path().uris().to_vec();
    let to: Vec<&MsrpUri> = to.iter().collect();
    let from: Vec<&MsrpUri> = from.iter().collect();
    HeadTemplate::new(&head, &to, &from)
}

fn stream(upstream: u64, total: u64) -> Stream {
    Stream::new(
        ConnId(upstream),
        template(&format!("1-{total}/{total}")),
        true,
        (1, Some(total), Some(total)),
        None,
    )
}

/// Everything `out` sends, parsed back: (tid, byte-range start, flag,
/// body) per chunk, and whole frames as `("frame", 0, $, bytes)`.
fn drain(out: &mut Output, ids: &mut IdGenerator) -> Vec<(String, u64, Continuation, Vec<u8>)> {
    let mut wire = Vec::new();
    while let Some(t) = out.poll(ids, 64 * 1024, 64 * 1024) {
        wire.extend_from_slice(&t.data);
    }
    let mut parser = Parser::new(Limits::default());
    parser.feed(&wire);
    let mut chunks = Vec::new();
    let mut current: Option<(String, u64, Vec<u8>)> = None;
    loop {
        match parser.next().expect("what the relay writes parses") {
            Some(Event::Head(head)) => {
                let start = head.byte_range().map_or(0, |r| r.start);
                current = Some((head.transaction_id().to_owned(), start, Vec::new()));
            }
            Some(Event::Body(data)) => current.as_mut().unwrap().2.extend_from_slice(&data),
            Some(Event::End(flag)) => {
                let (tid, start, body) = current.take().unwrap();
                chunks.push((tid, start, flag, body));
            }
            None => break,
        }
    }
    chunks
}

#[test]
fn a_body_holding_the_end_line_is_cut_before_it_and_resumed() {
    // The first transaction id this seed gives is the one the part gets.
    let tid = IdGenerator::from_seed([9; 32]).transaction_id();
    let mut body = b"before".to_vec();
    body.extend_from_slice(format!("\r\n-------{tid}$\r\nafter").as_bytes());
    let mut out = Output::default();
    out.open(1, stream(1, body.len() as u64));
    // Split where the end-line straddles two pieces.
    let split = 10;
    out.push_body(1, Bytes::copy_from_slice(&body[..split]));
    out.push_body(1, Bytes::copy_from_slice(&body[split..]));
    out.end(1, Continuation::Complete);
    let chunks = drain(&mut out, &mut IdGenerator::from_seed([9; 32]));
    assert_eq!(chunks.len(), 2, "{chunks:?}");
    assert_eq!(chunks[0].0, tid);
    assert_eq!(chunks[0].2, Continuation::More);
    assert_ne!(chunks[1].0, tid);
    assert_eq!(
        chunks[1].1,
        chunks[0].3.len() as u64 + 1,
        "resumes at the next byte"
    );
    let whole = [chunks[0].3.clone(), chunks[1].3.clone()].concat();
    assert_eq!(whole, body);
}

#[test]
fn a_body_starting_with_the_end_line_goes_in_a_new_part() {
    let tid = IdGenerator::from_seed([9; 32]).transaction_id();
    let body = format!("-------{tid}$ tricky").into_bytes();
    let mut out = Output::default();
    out.open(1, stream(1, body.len() as u64));
    out.push_body(1, Bytes::from(body.clone()));
    out.end(1, Continuation::Complete);
    let chunks = drain(&mut out, &mut IdGenerator::from_seed([9; 32]));
    let whole: Vec<u8> = chunks.iter().flat_map(|c| c.3.clone()).collect();
    assert_eq!(whole, body);
    assert!(
        chunks.iter().all(|c| c.0 != tid || c.3.is_empty()),
        "{chunks:?}"
    );
}

#[test]
fn a_waiting_frame_interrupts_a_long_part() {
    let mut ids = IdGenerator::from_seed([1; 32]);
    let mut out = Output::default();
    out.open(1, stream(1, 100_000));
    out.push_body(1, Bytes::from(vec![b'a'; 4096]));
    // Head, then the first piece.
    assert!(out.poll(&mut ids, 64 * 1024, 64 * 1024).is_some());
    assert!(out.poll(&mut ids, 64 * 1024, 64 * 1024).is_some());
    out.push_body(1, Bytes::from(vec![b'b'; 4096]));
    out.push_frame(Bytes::from_static(
        b"MSRP resp1234 200 OK\r\nTo-Path: x\r\n-------resp1234$\r\n",
    ));
    let end = out.poll(&mut ids, 64 * 1024, 64 * 1024).unwrap();
    assert!(end.data.ends_with(b"+\r\n"), "{:?}", end.data);
    assert!(end.end_of_chunk);
    let frame = out.poll(&mut ids, 64 * 1024, 64 * 1024).unwrap();
    assert!(frame.data.starts_with(b"MSRP resp1234 200"));
    let resumed = out.poll(&mut ids, 64 * 1024, 64 * 1024).unwrap();
    assert!(
        String::from_utf8_lossy(&resumed.data).contains("Byte-Range: 4097-100000/100000"),
        "{:?}",
        resumed.data
    );
}

#[test]
fn chunks_of_one_upstream_keep_their_order() {
    let mut ids = IdGenerator::from_seed([1; 32]);
    let mut out = Output::default();
    out.open(1, stream(7, 10));
    out.open(2, stream(7, 10));
    // The second chunk has all its data first; it still waits.
    out.push_body(2, Bytes::from_static(b"0123456789"));
    out.end(2, Continuation::Complete);
    assert!(out.poll(&mut ids, 16, 16).is_none());
    out.push_body(1, Bytes::from_static(b"abcdefghij"));
    out.end(1, Continuation::More);
    let chunks = drain(&mut out, &mut ids);
    assert_eq!(chunks.len(), 2);
    assert_eq!(chunks[0].3, b"abcdefghij");
    assert_eq!(chunks[1].3, b"0123456789");
}

#[test]
fn an_aborted_stream_ends_with_hash_or_vanishes() {
    let mut ids = IdGenerator::from_seed([1; 32]);
    let mut out = Output::default();
    out.open(1, stream(1, 100));
    out.push_body(1, Bytes::from_static(b"partial"));
    assert!(out.poll(&mut ids, 1024, 1024).is_some());
    assert!(out.poll(&mut ids, 1024, 1024).is_some());
    out.push_body(1, Bytes::from_static(b"never sent"));
    out.abort(1);
    let end = out.poll(&mut ids, 1024, 1024).unwrap();
    assert!(end.data.ends_with(b"#\r\n"));
    assert!(out.is_empty());
    assert_eq!(out.queued(), 0);
    // Nothing of it sent: it goes without a trace.
    out.open(2, stream(1, 100));
    out.push_body(2, Bytes::from_static(b"queued"));
    out.abort(2);
    assert!(out.poll(&mut ids, 1024, 1024).is_none());
    assert!(out.is_empty());
}

/// The chunks `out` writes, as whole messages cut at `end_of_chunk`:
/// each must be exactly one chunk (what a WebSocket peer gets).
fn messages(out: &mut Output, ids: &mut IdGenerator) -> Vec<Vec<u8>> {
    let mut messages = Vec::new();
    let mut current = Vec::new();
    while let Some(t) = out.poll(ids, 64 * 1024, 64 * 1024) {
        current.extend_from_slice(&t.data);
        if t.end_of_chunk {
            messages.push(std::mem::take(&mut current));
        }
    }
    assert!(current.is_empty(), "bytes after the last end of chunk");
    messages
}

#[test]
fn a_chunk_limit_rechunks_whole_chunks_within_it() {
    const LIMIT: usize = 2048;
    let body: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
    let mut ids = IdGenerator::from_seed([1; 32]);
    let mut out = Output {
        max_chunk: Some(LIMIT),
        ..Output::default()
    };
    out.open(1, stream(1, body.len() as u64));
    // In odd pieces, larger than a part.
    for piece in body.chunks(3000) {
        out.push_body(1, Bytes::copy_from_slice(piece));
    }
    out.end(1, Continuation::Complete);
    let messages = messages(&mut out, &mut ids);
    let mut next = 1;
    let mut got = Vec::new();
    for (i, message) in messages.iter().enumerate() {
        assert!(
            message.len() <= LIMIT,
            "message {i}: {} bytes",
            message.len()
        );
        let mut parser = Parser::new(Limits::default());
        parser.feed(message);
        let Ok(Some(Event::Head(head))) = parser.next() else {
            panic!("message {i} starts with a head");
        };
        let range = head.byte_range().expect("a Byte-Range");
        assert_eq!(range.start, next, "message {i} continues at the next byte");
        assert_eq!(range.total, Some(body.len() as u64));
        let mut flag = None;
        while let Ok(Some(event)) = parser.next() {
            match event {
                Event::Body(data) => got.extend_from_slice(&data),
                Event::End(f) => flag = Some(f),
                Event::Head(_) => panic!("two chunks in message {i}"),
            }
        }
        let last = i == messages.len() - 1;
        let want = if last {
            Continuation::Complete
        } else {
            Continuation::More
        };
        assert_eq!(flag, Some(want), "message {i}");
        assert_eq!(parser.buffered(), 0, "message {i} is one whole chunk");
        next = got.len() as u64 + 1;
        if !last {
            // Full: no byte more would have fitted.
            assert!(message.len() > LIMIT - 64, "message {i}: {}", message.len());
        }
    }
    assert_eq!(got, body);
    assert!(messages.len() > body.len() / LIMIT);
    assert!(out.is_empty());
    assert_eq!(out.queued(), 0);
}

#[test]
fn a_chunk_exactly_filling_its_last_part_ends_there() {
    // Find the body size that fills the first part exactly: then the chunk
    // ends with `$` in that part, with no empty part after it.
    let mut ids = IdGenerator::from_seed([2; 32]);
    let mut probe = Output {
        max_chunk: Some(2048),
        ..Output::default()
    };
    probe.open(1, stream(1, 100_000));
    probe.push_body(1, Bytes::from(vec![b'~'; 100_000]));
    probe.end(1, Continuation::Complete);
    let first = messages(&mut probe, &mut ids).remove(0);
    let room = first.iter().filter(|&&b| b == b'~').count();
    assert!(room > 1500, "{room}");
    // The same head length: a total with as many digits.
    let size = room as u64;
    let mut ids = IdGenerator::from_seed([2; 32]);
    let mut out = Output {
        max_chunk: Some(2048 - (100_000u64.to_string().len() - size.to_string().len()) * 2),
        ..Output::default()
    };
    out.open(1, stream(1, size));
    out.push_body(1, Bytes::from(vec![b'y'; room]));
    out.end(1, Continuation::Complete);
    let all = messages(&mut out, &mut ids);
    let sizes: Vec<usize> = all.iter().map(Vec::len).collect();
    assert_eq!(all.len(), 1, "one chunk: {sizes:?}");
    assert!(all[0].ends_with(b"$\r\n"));
}

#[test]
fn a_head_without_byte_range_gets_one() {
    let head = ChunkHead::request(crate::wire::Method::Send, "abcd1234")
        .to_path(&TO.parse().unwrap())
        .from_path(&FROM.parse().unwrap())
        .message_id("m1234")
        .content_type("text/plain")
        .build()
        .unwrap();
    let to: MsrpUri = TO.parse().unwrap();
    let t = HeadTemplate::new(&head, &[&to], &[&to]);
    let text = String::from_utf8(t.render("t1234567", 5, None, None).to_vec()).unwrap();
    assert_eq!(
        text,
        format!(
            "MSRP t1234567 SEND\r\nTo-Path: {TO}\r\nFrom-Path: {TO}\r\nByte-Range: 5-*/*\r\nMessage-ID: m1234\r\nContent-Type: text/plain\r\n"
        )
    );
}
