//! Input paused by unread events must resume even when the parser holds
//! nothing but a chunk's end-line. (It resumed only with bytes buffered, so
//! when a chunk's last body bytes and its end-line came in the last read and
//! the events filled the allowance, the end-line waited for input that the
//! peer, waiting for the response, never sent: the transfer hung.)

mod common;

use std::sync::Arc;

use common::*;
use msrp_proto::connection::{Config, Connection, Event, SessionConfig};

#[test]
fn the_end_line_is_processed_once_events_are_taken() {
    let mut config = Config::default();
    config.max_pending_event_bytes = 10; // exactly the body below
    let now = epoch();
    let mut bob = Connection::new(Arc::new(config), [3; 32], now);
    bob.expect_session(SessionConfig::new(uri(BOB)).remote_path(uri(ALICE).into()))
        .unwrap();
    let chunk = format!(
        "MSRP tx0001 SEND\r\nTo-Path: {BOB}\r\nFrom-Path: {ALICE}\r\nMessage-ID: m0001\r\n\
         Byte-Range: 1-10/10\r\nContent-Type: text/plain\r\n\r\n0123456789\r\n-------tx0001$\r\n"
    );
    bob.handle_input(now, chunk.as_bytes());

    let mut events = Vec::new();
    while let Some(event) = bob.poll_event() {
        events.push(event);
    }
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::MessageCompleted { size: 10, .. })),
        "{events:?}"
    );
    let response = bob.poll_transmit(now).expect("a 200 response");
    assert!(
        response.starts_with(b"MSRP tx0001 200 OK\r\n"),
        "{response:?}"
    );
}
