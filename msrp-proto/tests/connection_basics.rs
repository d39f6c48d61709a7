//! Scenarios of RFC 4975 run through the in-memory pair: binding, sending,
//! reports, timeouts, aborts, refusals.

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::*;
use msrp_proto::connection::{Config, Event, Outcome, OutgoingMessage, ReceiveMode};
use msrp_proto::wire::{FailureReport, SuccessReport};

fn text(body: &'static str) -> OutgoingMessage {
    OutgoingMessage::new("text/plain").body(Bytes::from_static(body.as_bytes()))
}

#[test]
fn a_message_each_way_is_delivered() {
    let mut t = default_pair();
    let to_bob = t.alice_sends(text("Hi, I'm Alice!"));
    let to_alice = t.bob_sends(text("Hi, Al"));
    t.pair.drive();
    let a = t.pair.a.take_events();
    let b = t.pair.b.take_events();
    assert_eq!(outcomes(&a), [(to_bob.clone(), Outcome::Delivered)]);
    assert_eq!(outcomes(&b), [(to_alice.clone(), Outcome::Delivered)]);
    assert_eq!(
        received_messages(&b),
        [(to_bob, b"Hi, I'm Alice!".to_vec())]
    );
    assert_eq!(received_messages(&a), [(to_alice, b"Hi, Al".to_vec())]);
}

#[test]
fn a_large_message_arrives_intact_in_chunks_of_the_configured_size() {
    let mut config = Config::default();
    config.chunk_size = 10_000;
    let mut t = bound_pair(config, Config::default(), |s| s);
    let body: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let id = t.alice_sends(OutgoingMessage::new("application/octet-stream").body(body.clone()));
    t.pair.drive();
    let b = t.pair.b.take_events();
    assert_eq!(received_messages(&b), [(id.clone(), body)]);
    let chunks = b.iter().find_map(|e| match e {
        Event::MessageCompleted { chunks, .. } => Some(*chunks),
        _ => None,
    });
    assert_eq!(chunks, Some(30));
    assert_eq!(
        outcomes(&t.pair.a.take_events()),
        [(id, Outcome::Delivered)]
    );
}

#[test]
fn a_short_message_overtakes_a_large_one() {
    let mut t = default_pair();
    let big: Vec<u8> = vec![b'x'; 1 << 20];
    let big_id = t.alice_sends(OutgoingMessage::new("application/octet-stream").body(big.clone()));
    // Let the big message get going, then queue a chat line behind it.
    t.pair.window = 64 * 1024;
    for _ in 0..3 {
        t.pair.step();
    }
    let chat_id = t.alice_sends(text("urgent"));
    t.pair.drive();
    let b = t.pair.b.take_events();
    let completed: Vec<_> = b
        .iter()
        .filter_map(|e| match e {
            Event::MessageCompleted { message, .. } => Some(message.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        completed,
        [chat_id.clone(), big_id.clone()],
        "the chat line completes first"
    );
    let got = received_messages(&b);
    assert!(got.contains(&(big_id, big)) && got.contains(&(chat_id, b"urgent".to_vec())));
}

#[test]
fn success_reports_confirm_delivery_and_report_progress() {
    let mut t = default_pair();
    let id = t.alice_sends(text("please confirm").success_report(SuccessReport::Yes));
    t.pair.drive();
    let a = t.pair.a.take_events();
    assert!(a.iter().any(|e| matches!(
        e,
        Event::Progress {
            confirmed: 14,
            total: Some(14),
            ..
        }
    )));
    assert_eq!(outcomes(&a), [(id, Outcome::Delivered)]);
}

#[test]
fn no_response_in_30_seconds_fails_the_message_with_408() {
    let mut t = default_pair();
    t.pair.b.stalled = true; // Bob never reads
    let start = t.pair.now;
    let id = t.alice_sends(text("hello?"));
    t.pair.drive_for(Duration::from_secs(29));
    assert!(
        outcomes(&t.pair.a.events).is_empty(),
        "no outcome before 30 s"
    );
    t.pair.drive_for(Duration::from_secs(2));
    let a = t.pair.a.take_events();
    assert!(matches!(&outcomes(&a)[..], [(m, Outcome::Failed { code: 408, .. })] if *m == id));
    assert!(t.pair.now >= start + Duration::from_secs(30));
}

#[test]
fn failure_report_partial_never_times_out() {
    let mut t = default_pair();
    let id = t.alice_sends(text("fire and forget").failure_report(FailureReport::Partial));
    t.pair.drive();
    let a = t.pair.a.take_events();
    assert_eq!(
        outcomes(&a),
        [(id, Outcome::Sent)],
        "no 408 and no spurious failure"
    );
    assert_eq!(t.pair.a.conn.pending_transactions(), 0);
}

#[test]
fn failure_report_no_is_sent_at_once_and_gets_no_response() {
    let mut t = default_pair();
    let id = t.alice_sends(text("quiet").failure_report(FailureReport::No));
    t.pair.drive();
    assert_eq!(
        outcomes(&t.pair.a.take_events()),
        [(id.clone(), Outcome::Sent)]
    );
    assert_eq!(
        received_messages(&t.pair.b.take_events()),
        [(id, b"quiet".to_vec())]
    );
}

#[test]
fn an_unacceptable_content_type_is_refused_with_415() {
    let mut t = bound_pair(Config::default(), Config::default(), |s| {
        s.accept_types(["text/*"])
    });
    let id = t.alice_sends(OutgoingMessage::new("image/png").body(&b"\x89PNG"[..]));
    t.pair.drive();
    assert!(
        matches!(&outcomes(&t.pair.a.take_events())[..], [(m, Outcome::Failed { code: 415, .. })] if *m == id)
    );
    assert!(received_messages(&t.pair.b.take_events()).is_empty());
}

#[test]
fn a_message_over_the_assembled_limit_is_refused_with_413() {
    let mut config_b = Config::default();
    config_b.max_message_size = 1000;
    let mut t = bound_pair(Config::default(), config_b, |s| {
        s.receive_mode(ReceiveMode::Assembled)
    });
    let id = t
        .pair
        .a
        .conn
        .send_message(
            t.alice,
            OutgoingMessage::new("text/plain").body(vec![b'a'; 5000]),
        )
        .unwrap();
    t.pair.drive();
    assert!(
        matches!(&outcomes(&t.pair.a.take_events())[..], [(m, Outcome::Failed { code: 413, .. })] if *m == id)
    );
    let b = t.pair.b.take_events();
    assert!(!b.iter().any(|e| matches!(e, Event::MessageReceived { .. })));
}

#[test]
fn assembled_mode_hands_out_whole_messages() {
    let mut t = bound_pair(Config::default(), Config::default(), |s| {
        s.receive_mode(ReceiveMode::Assembled)
    });
    let body: Vec<u8> = (0..200_000u32).map(|i| i as u8).collect();
    let id = t.alice_sends(OutgoingMessage::new("application/octet-stream").body(body.clone()));
    t.pair.drive();
    let b = t.pair.b.take_events();
    let got: Vec<_> = b
        .iter()
        .filter_map(|e| match e {
            Event::MessageReceived { message, body, .. } => Some((message.clone(), body.to_vec())),
            _ => None,
        })
        .collect();
    assert_eq!(got, [(id, body)]);
}

#[test]
fn abort_ends_the_chunk_in_flight_with_a_hash() {
    let mut t = default_pair();
    let id = t
        .pair
        .a
        .conn
        .send_message(
            t.alice,
            OutgoingMessage::new("application/octet-stream").body(vec![0u8; 1 << 20]),
        )
        .unwrap();
    t.pair.window = 32 * 1024;
    for _ in 0..4 {
        t.pair.step();
    }
    t.pair.a.conn.abort(&id).unwrap();
    t.pair.drive();
    assert_eq!(
        outcomes(&t.pair.a.take_events()),
        [(id.clone(), Outcome::Aborted)]
    );
    let b = t.pair.b.take_events();
    assert!(
        b.iter()
            .any(|e| matches!(e, Event::MessageAborted { message, .. } if *message == id))
    );
    assert!(
        !b.iter()
            .any(|e| matches!(e, Event::MessageCompleted { .. }))
    );
    assert_eq!(
        t.pair.b.conn.incomplete_messages(),
        0,
        "the receiver freed the message"
    );
}

#[test]
fn a_reset_mid_chunk_fails_each_pending_message_exactly_once_and_frees_everything() {
    let mut t = default_pair();
    let ids: Vec<_> = (0..3)
        .map(|i| {
            t.pair
                .a
                .conn
                .send_message(
                    t.alice,
                    OutgoingMessage::new("application/octet-stream").body(vec![i; 300_000]),
                )
                .unwrap()
        })
        .collect();
    t.pair.window = 50_000;
    for _ in 0..5 {
        t.pair.step();
    }
    t.pair.reset();
    t.pair.drive();
    let a = t.pair.a.take_events();
    let failed = outcomes(&a);
    assert_eq!(failed.len(), 3);
    for id in &ids {
        assert_eq!(failed.iter().filter(|(m, _)| m == id).count(), 1);
    }
    assert!(
        failed
            .iter()
            .all(|(_, o)| matches!(o, Outcome::Failed { code: 408, .. }))
    );
    assert!(a.iter().any(|e| matches!(e, Event::Closed { .. })));
    for conn in [&t.pair.a.conn, &t.pair.b.conn] {
        assert_eq!(
            (
                conn.pending_messages(),
                conn.pending_transactions(),
                conn.incomplete_messages()
            ),
            (0, 0, 0)
        );
        assert!(conn.is_closed());
    }
}

#[test]
fn a_header_block_trickled_slower_than_the_head_timeout_closes_the_connection() {
    let mut t = default_pair();
    let start = t.pair.now;
    // A slowloris: a few bytes of a chunk head, then nothing.
    t.pair
        .b
        .conn
        .handle_input(start, b"MSRP slow1234 SEND\r\nTo-Pa");
    t.pair.drive_for(Duration::from_secs(9));
    assert!(
        !t.pair.b.conn.is_closed(),
        "still within the 10 s head timeout"
    );
    t.pair.drive_for(Duration::from_secs(2));
    let b = t.pair.b.take_events();
    assert!(b.iter().any(|e| matches!(
        e,
        Event::Closed {
            reason: msrp_proto::connection::CloseReason::HeadTimeout
        }
    )));
}

/// §7.1.1: with `Failure-Report: partial` the receiver still sends error
/// responses, and they still fail the message — found by the chunk's
/// transaction id although partial chunks keep no transaction record.
#[test]
fn an_error_response_still_fails_a_partial_message() {
    let mut t = bound_pair(Config::default(), Config::default(), |s| {
        s.accept_types(["text/*"])
    });
    let id = t.alice_sends(
        OutgoingMessage::new("image/png")
            .body(&b"\x89PNG"[..])
            .failure_report(FailureReport::Partial),
    );
    t.pair.drive();
    assert!(
        matches!(&outcomes(&t.pair.a.take_events())[..], [(m, Outcome::Failed { code: 415, .. })] if *m == id)
    );
}
