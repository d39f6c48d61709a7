//! `Connection::handle_read` (bytes read straight into the parser's buffer,
//! as the endpoint driver does) gives what `handle_input` (bytes copied in)
//! gives — the same messages, the same responses — whatever the read sizes,
//! and reads that fill nothing change nothing.

mod common;

use std::sync::Arc;

use common::*;
use msrp_proto::connection::{Config, Connection, MessageId, SessionConfig};

fn bob() -> Connection {
    let mut bob = Connection::new(Arc::new(Config::default()), [4; 32], epoch());
    bob.expect_session(SessionConfig::new(uri(BOB)).remote_path(uri(ALICE).into()))
        .unwrap();
    bob
}

fn stream() -> Vec<u8> {
    let mut out = Vec::new();
    for (i, body) in [&b"Hello"[..], &[0x0d; 3000][..], b"\r\n-------"]
        .iter()
        .enumerate()
    {
        out.extend_from_slice(
            format!(
                "MSRP tx000{i} SEND\r\nTo-Path: {BOB}\r\nFrom-Path: {ALICE}\r\n\
                 Message-ID: m000{i}\r\nByte-Range: 1-{}/{}\r\nContent-Type: text/plain\r\n\r\n",
                body.len(),
                body.len()
            )
            .as_bytes(),
        );
        out.extend_from_slice(body);
        out.extend_from_slice(format!("\r\n-------tx000{i}$\r\n").as_bytes());
    }
    out
}

/// The messages received and the bytes to send back.
fn drain(conn: &mut Connection) -> (Vec<(MessageId, Vec<u8>)>, Vec<u8>) {
    let mut events = Vec::new();
    while let Some(e) = conn.poll_event() {
        events.push(e);
    }
    let events = received_messages(&events);
    let mut out = Vec::new();
    while let Some(b) = conn.poll_transmit(epoch()) {
        out.extend_from_slice(&b);
    }
    (events, out)
}

#[test]
fn reading_in_place_equals_copying_in() {
    let data = stream();
    let mut copied = bob();
    copied.handle_input(epoch(), &data);
    let expected = drain(&mut copied);
    assert_eq!(expected.0.len(), 3);

    for size in [1, 7, 100, 4096, 1 << 20] {
        let mut read = bob();
        let mut rest = &data[..];
        while !rest.is_empty() {
            // An empty read first: as when the socket has nothing yet.
            read.handle_read(epoch(), size, 64, |_| (0, ()));
            read.handle_read(epoch(), size, 64, |buf| {
                let n = buf.len().min(rest.len());
                buf[..n].copy_from_slice(&rest[..n]);
                rest = &rest[n..];
                (n, ())
            });
        }
        assert!(drain(&mut read) == expected, "reads of {size} differ");
    }
}

/// A block that `Parser::read_into` moved on from while body pieces cut
/// from it were still alive is reused once they are dropped, instead of
/// new memory (which costs a page fault per page in a bulk transfer).
#[test]
fn a_block_is_reused_once_its_pieces_are_dropped() {
    use msrp_proto::wire::{Event, Limits, Parser};

    const BLOCK: usize = 4096;
    const WINDOW: usize = 1024;
    let data = one_send("tx0001", 8 * BLOCK);

    let mut parser = Parser::new(Limits::default());
    let mut rest = &data[..];
    let mut pieces = Vec::new();
    // Reads one window; where it went.
    let mut read = |parser: &mut Parser, pieces: &mut Vec<bytes::Bytes>| {
        let at = parser.read_into(WINDOW, BLOCK, |buf| {
            let n = buf.len().min(rest.len());
            buf[..n].copy_from_slice(&rest[..n]);
            rest = &rest[n..];
            (n, buf.as_ptr() as usize)
        });
        while let Some(event) = parser.next().unwrap() {
            if let Event::Body(piece) = event {
                pieces.push(piece);
            }
        }
        at
    };
    let first = read(&mut parser, &mut pieces);
    let in_block = |start: usize, at: usize| (start..start + BLOCK).contains(&at);
    // The pieces of the first block are all alive when the parser moves on.
    let second = loop {
        let at = read(&mut parser, &mut pieces);
        if !in_block(first, at) {
            break at;
        }
    };
    pieces.clear();
    // Memory the allocator might hand out again, were the block freed.
    let hog: Vec<u8> = Vec::with_capacity(BLOCK);
    // The pieces of the second block are alive when the parser moves on
    // from it: the first block serves.
    let third = loop {
        let at = read(&mut parser, &mut pieces);
        if !in_block(second, at) {
            break at;
        }
    };
    assert!(in_block(first, third), "a new block instead of the first");
    drop(hog);
}

/// A block whose pieces are gone is reused even while the blocks filled
/// after it are still held: the parser keeps several filled blocks
/// (`SPARE_BLOCKS`), not only the last, which in a bulk transfer is rarely
/// free yet.
#[test]
fn a_freed_block_is_reused_while_later_ones_are_still_held() {
    use msrp_proto::wire::{Event, Limits, Parser};

    const BLOCK: usize = 4096;
    const WINDOW: usize = 1024;
    let data = one_send("tx0002", 16 * BLOCK);

    let mut parser = Parser::new(Limits::default());
    let mut rest = &data[..];
    let in_block = |start: usize, at: usize| (start..start + BLOCK).contains(&at);
    // Reads one window; where it went, and the body pieces it brought.
    let mut read = |parser: &mut Parser| {
        let at = parser.read_into(WINDOW, BLOCK, |buf| {
            let n = buf.len().min(rest.len());
            buf[..n].copy_from_slice(&rest[..n]);
            rest = &rest[n..];
            (n, buf.as_ptr() as usize)
        });
        let mut pieces = Vec::new();
        while let Some(event) = parser.next().unwrap() {
            if let Event::Body(piece) = event {
                pieces.push(piece);
            }
        }
        (at, pieces)
    };
    // Four blocks filled, each block's pieces held.
    let mut blocks: Vec<(usize, Vec<bytes::Bytes>)> = Vec::new();
    while blocks.len() < 4 {
        let (at, pieces) = read(&mut parser);
        match blocks.last_mut() {
            Some((start, held)) if in_block(*start, at) => held.extend(pieces),
            _ => blocks.push((at, pieces)),
        }
    }
    // Only the first block's pieces go.
    let first = blocks[0].0;
    blocks[0].1.clear();
    let fourth = blocks[3].0;
    let next = loop {
        let (at, pieces) = read(&mut parser);
        blocks[3].1.extend(pieces);
        if !in_block(fourth, at) {
            break at;
        }
    };
    assert!(
        in_block(first, next),
        "the freed first block serves, not a new one: {first:#x}, then {next:#x}"
    );
}

/// A small chunk read whole keeps nothing of the receive block alive: its
/// head and body are copies, so the next read fills the same block again
/// while the application still holds them. As slices, each held chunk
/// kept a whole block alive (up to 64 KiB for a few hundred bytes), and
/// each new read needed a block of its own. Heads read the general way
/// (here for an extension header) are copies too.
#[test]
fn a_small_chunk_read_whole_leaves_the_block_free() {
    use msrp_proto::wire::{Event, Limits, Parser};

    let bodiless = format!(
        "MSRP tx0007 SEND\r\nTo-Path: {BOB}\r\nFrom-Path: {ALICE}\r\n\
         Message-ID: mtx0007\r\nX-Extension: yes\r\n-------tx0007$\r\n"
    );
    for (data, events) in [(one_send("tx0006", 100), 3), (bodiless.into_bytes(), 2)] {
        let mut parser = Parser::new(Limits::default());
        let mut held = Vec::new();
        let mut blocks = Vec::new();
        for round in 0..3 {
            // A block just the chunk's size: each read starts a block.
            let at = parser.read_into(data.len(), data.len(), |buf| {
                buf.copy_from_slice(&data);
                (data.len(), buf.as_ptr() as usize)
            });
            blocks.push(at);
            let before = held.len();
            while let Some(event) = parser.next().unwrap() {
                if let Event::Body(body) = &event {
                    assert_eq!(&body[..], &[b'x'; 100][..], "round {round}");
                }
                held.push(event);
            }
            assert_eq!(held.len() - before, events, "round {round}");
        }
        assert!(
            blocks.iter().all(|&at| at == blocks[0]),
            "held chunks kept their blocks ({events} events each): {blocks:x?}"
        );
    }
}

/// The copy has a limit: a body of up to 1 KiB that comes whole with its
/// head is copied, and its block is free again; one byte more is a slice
/// of the block, as every larger body is, and keeps it alive while held.
#[test]
fn bodies_are_copied_up_to_1_kib_and_sliced_above() {
    use msrp_proto::wire::{Event, Limits, Parser};

    for (len, copied) in [(1024, true), (1025, false)] {
        let data = one_send("tx0008", len);
        let mut parser = Parser::new(Limits::default());
        let mut held = Vec::new();
        let mut blocks = Vec::new();
        for _ in 0..2 {
            blocks.push(parser.read_into(data.len(), data.len(), |buf| {
                buf.copy_from_slice(&data);
                (data.len(), buf.as_ptr() as usize)
            }));
            let mut body = 0;
            while let Some(event) = parser.next().unwrap() {
                if let Event::Body(piece) = &event {
                    body += piece.len();
                }
                held.push(event);
            }
            assert_eq!(body, len);
        }
        assert_eq!(blocks[0] == blocks[1], copied, "a body of {len} bytes");
    }
}

/// One SEND chunk whose body is `len` bytes of `x`.
fn one_send(tid: &str, len: usize) -> Vec<u8> {
    let mut data = format!(
        "MSRP {tid} SEND\r\nTo-Path: {BOB}\r\nFrom-Path: {ALICE}\r\nMessage-ID: m{tid}\r\n\
         Byte-Range: 1-{len}/{len}\r\nContent-Type: text/plain\r\n\r\n"
    )
    .into_bytes();
    data.extend(std::iter::repeat_n(b'x', len));
    data.extend_from_slice(format!("\r\n-------{tid}$\r\n").as_bytes());
    data
}

/// Mid-chunk the parser cannot give its buffer back; between chunks it
/// gives back the buffer and every block kept for reuse, and then holds
/// no buffer memory at all.
#[test]
fn an_idle_parser_gives_back_every_block() {
    use msrp_proto::wire::{Limits, Parser};

    const BLOCK: usize = 4096;
    let data = one_send("tx0003", 6 * BLOCK);
    let mut parser = Parser::new(Limits::default());
    assert!(!parser.holds_buffer(), "nothing before the first read");
    let mut pieces = Vec::new();
    for (i, read) in data.chunks(1000).enumerate() {
        parser.read_into(read.len(), BLOCK, |buf| {
            buf.copy_from_slice(read);
            (read.len(), ())
        });
        while let Some(event) = parser.next().unwrap() {
            pieces.push(event);
        }
        if i == 10 {
            assert!(
                !parser.release_idle_buffer(),
                "not in the middle of a chunk"
            );
            assert!(parser.holds_buffer());
        }
    }
    drop(pieces);
    assert!(parser.holds_buffer(), "blocks kept for reuse");
    assert!(parser.release_idle_buffer());
    assert!(!parser.holds_buffer(), "all given back");
}

/// A message fed to a parser that holds no buffer (new, or after it gave
/// its buffer back) gets an allocation of its own size: what the
/// application keeps of it keeps nothing more alive. A server with a
/// message in flight on each of 10 000 connections otherwise held a
/// 4 KiB block for each. The body is 2000 bytes, more than the parser
/// copies out (see `a_small_chunk_read_whole_leaves_the_block_free`), so
/// that it is a slice of what was fed.
#[test]
fn a_message_after_a_quiet_spell_keeps_no_more_than_itself_alive() {
    use msrp_proto::wire::{Event, Limits, Parser};

    let mut parser = Parser::new(Limits::default());
    for (round, tid) in ["tx0004", "tx0005"].into_iter().enumerate() {
        let data = one_send(tid, 2000);
        parser.feed(&data);
        let mut body = None;
        while let Some(event) = parser.next().unwrap() {
            if let Event::Body(piece) = event {
                body = Some(piece);
            }
        }
        assert!(parser.release_idle_buffer(), "round {round}");
        let body = body
            .expect("a body")
            .try_into_mut()
            .expect("held by nothing else");
        // The body's own bytes and its end-line, not the rest of a block.
        assert!(
            body.capacity() <= 2000 + "\r\n-------tx0004$\r\n".len(),
            "round {round}: {} bytes kept alive",
            body.capacity()
        );
    }
}
