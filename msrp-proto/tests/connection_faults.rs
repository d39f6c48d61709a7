//! Transport faults: the peer closing between chunks or in the middle of
//! one, a reader that stalls, and a peer that sends garbage. Every pending
//! message ends exactly once, and nothing is left behind.

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::*;
use msrp_proto::connection::{CloseReason, Config, Connection, Event, Outcome, OutgoingMessage};

fn text(body: &'static str) -> OutgoingMessage {
    OutgoingMessage::new("text/plain").body(Bytes::from_static(body.as_bytes()))
}

fn octets(body: Vec<u8>) -> OutgoingMessage {
    OutgoingMessage::new("application/octet-stream").body(body)
}

fn assert_nothing_pending(conn: &Connection) {
    assert_eq!(
        (
            conn.pending_messages(),
            conn.pending_transactions(),
            conn.incomplete_messages()
        ),
        (0, 0, 0)
    );
}

#[test]
fn the_peer_closing_between_chunks_still_gets_the_queued_responses() {
    let mut t = default_pair();
    let from_bob = t.bob_sends(text("are you there?"));
    let to_bob = t.alice_sends(text("last words"));
    t.pair.step(); // both SENDs are on their way
    assert!(t.pair.b.in_flight() > 0);
    // Alice closes right after her SEND: Bob reads it, then the end of the
    // stream, before he could answer it.
    t.pair.a_sends_eof();
    let towards_alice = t.pair.a.in_flight();
    t.pair.drive();

    let b = t.pair.b.take_events();
    assert_eq!(received_messages(&b), [(to_bob, b"last words".to_vec())]);
    assert_eq!(close_reasons(&b), [CloseReason::PeerClosed]);
    assert!(matches!(b.last(), Some(Event::Closed { .. })), "{b:?}");
    assert!(
        t.pair.a.in_flight() > towards_alice,
        "Bob wrote his 200 after the end of the stream"
    );
    // Bob's own message can no longer be answered.
    let outcome = one_outcome_each(&b, &[from_bob]);
    assert!(matches!(outcome[..], [Outcome::Failed { code: 408, .. }]));
    assert!(t.pair.b.conn.is_closed());
    assert_nothing_pending(&t.pair.b.conn);
}

#[test]
fn after_the_end_of_the_stream_the_owed_response_goes_out_before_closing() {
    let (mut bob, _) = Solo::passive(Config::default());
    bob.feed(&RawSend::new("last0001", "msgL0001", b"bye").bytes());
    bob.eof();
    assert!(!bob.conn.wants_input());
    assert!(!bob.conn.is_closed(), "a 200 is still owed");
    assert!(close_reasons(&bob.events).is_empty());
    let sent = bob.transmit();
    assert_eq!(sent.len(), 1);
    assert_eq!((sent[0].tid(), sent[0].code()), ("last0001", Some(200)));
    assert_eq!(close_reasons(&bob.take_events()), [CloseReason::PeerClosed]);
    assert!(bob.conn.is_closed());
}

#[test]
fn the_end_of_the_stream_inside_a_chunk_loses_the_connection_and_fails_everything_once() {
    let mut t = default_pair();
    t.pair.a.stalled = true; // Alice answers nothing: Bob's messages stay pending
    let pending: Vec<_> = ["one", "two"]
        .into_iter()
        .map(|s| t.bob_sends(OutgoingMessage::new("text/plain").body(s)))
        .collect();
    let big = t
        .pair
        .a
        .conn
        .send_message(t.alice, octets(vec![7; 1 << 20]))
        .unwrap();
    t.pair.window = 16 * 1024;
    t.pair.step(); // part of the big chunk is on its way
    t.pair.a_sends_eof();
    t.pair.drive();

    let b = t.pair.b.take_events();
    assert_eq!(close_reasons(&b), [CloseReason::ConnectionLost]);
    assert!(b.iter().any(
        |e| matches!(e, Event::MessageAborted { message, received, .. }
                if *message == big && *received > 0)
    ));
    let outcomes = one_outcome_each(&b, &pending);
    assert!(
        outcomes
            .iter()
            .all(|o| matches!(o, Outcome::Failed { code: 408, .. })),
        "{outcomes:?}"
    );
    assert_nothing_pending(&t.pair.b.conn);
}

#[test]
fn a_stalled_reader_stops_the_sender_and_everything_completes_after() {
    let mut t = default_pair();
    let window = 64 * 1024;
    t.pair.window = window;
    t.pair.max_segment = 1500;
    t.pair.b.stalled = true;
    let bodies: Vec<Vec<u8>> = (0..8u8)
        .map(|i| (0..200_000u32).map(|j| (j as u8) ^ i).collect())
        .collect();
    let ids: Vec<_> = bodies
        .iter()
        .map(|body| t.alice_sends(octets(body.clone())))
        .collect();
    t.pair.drive_for(Duration::from_secs(5));
    let queued = t.pair.b.in_flight();
    // The socket takes one more write once the window is reached: at most a
    // piece of body and a head beyond it.
    let slack = t.pair.a.conn.config().transmit_piece + 1024;
    assert!(
        (window..=window + slack).contains(&queued),
        "{queued} bytes in flight"
    );
    t.pair.drive_for(Duration::from_secs(5));
    assert_eq!(t.pair.b.in_flight(), queued, "the sender stopped producing");
    assert_eq!(t.pair.a.conn.pending_messages(), 8);
    assert!(outcomes(&t.pair.a.events).is_empty());

    t.pair.b.stalled = false;
    let limit = t.pair.b.conn.config().max_buffered_input;
    let mut most_buffered = 0;
    t.pair.drive_until(|p| {
        most_buffered = most_buffered.max(p.b.conn.buffered_input());
        false
    });
    assert!(most_buffered <= limit);
    let a = t.pair.a.take_events();
    assert!(
        one_outcome_each(&a, &ids)
            .iter()
            .all(|o| *o == Outcome::Delivered)
    );
    let got = received_messages(&t.pair.b.take_events());
    assert_eq!(got.len(), 8);
    for (id, body) in ids.iter().zip(bodies) {
        assert!(got.contains(&(id.clone(), body)));
    }
    assert_nothing_pending(&t.pair.a.conn);
    assert_nothing_pending(&t.pair.b.conn);
}

#[test]
fn garbage_from_the_peer_closes_with_a_protocol_error() {
    let (mut alice, session) = Solo::active(Config::default());
    let id = alice
        .conn
        .send_message(session, OutgoingMessage::new("text/plain").body("hi"))
        .unwrap();
    alice.transmit();
    alice.feed(b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n");
    let events = alice.take_events();
    assert!(matches!(
        one_outcome_each(&events, &[id])[..],
        [Outcome::Failed { code: 408, .. }]
    ));
    assert!(
        matches!(
            events.last(),
            Some(Event::Closed {
                reason: CloseReason::Protocol(err)
            }) if !err.framing_intact()
        ),
        "{events:?}"
    );
    assert!(alice.conn.is_closed() && !alice.conn.wants_input());
    assert!(alice.transmit().is_empty());
    assert_eq!(alice.conn.pending_messages(), 0);
}
