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
