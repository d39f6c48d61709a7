//! A message sent from a byte position on (RFC 5547 `a=file-range`: a
//! transfer resumed where the receiver's copy ends): its chunks say where
//! they are in the whole, the receiver completes it from the bytes it
//! lacked, and success reports need only cover those.

mod common;

use common::*;
use msrp_proto::connection::{CommandError, Config, Event, Outcome, OutgoingMessage};
use msrp_proto::wire::SuccessReport;

fn whole() -> Vec<u8> {
    (0..2000u32).map(|i| (i % 251) as u8).collect()
}

#[test]
fn a_resumed_message_goes_from_its_start_and_completes_at_the_receiver() {
    let mut config = Config::default();
    config.chunk_size = 300;
    let mut bound = bound_pair(config, Config::default(), |s| s.incoming_from(1001));
    let file = whole();
    let rest = file[1000..].to_vec();
    let id = bound.alice_sends(
        OutgoingMessage::new("application/octet-stream")
            .body(rest.clone())
            .starting_at(1001)
            .success_report(SuccessReport::Yes),
    );
    bound.pair.drive();
    let events = bound.pair.b.take_events();
    let starts: Vec<u64> = events
        .iter()
        .filter_map(|e| match e {
            Event::MessageData { offset, .. } => Some(*offset),
            _ => None,
        })
        .collect();
    assert_eq!(
        starts.first(),
        Some(&1000),
        "the first byte sent is byte 1001"
    );
    let received = received_messages(&events);
    assert_eq!(received.len(), 1);
    assert_eq!(&received[0].1[1000..], &rest[..]);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::MessageCompleted { size: 2000, .. })),
        "complete with the bytes it lacked: {events:?}"
    );
    let outcomes = outcomes(&bound.pair.a.take_events());
    assert_eq!(outcomes, [(id, Outcome::Delivered)]);
}

#[test]
fn a_start_outside_the_message_is_refused() {
    let mut bound = default_pair();
    let message = |start| {
        OutgoingMessage::new("application/octet-stream")
            .size(10)
            .starting_at(start)
    };
    let err = bound
        .pair
        .a
        .conn
        .begin_message(bound.alice, message(0))
        .unwrap_err();
    assert_eq!(
        err,
        CommandError::BadStart {
            start: 0,
            total: 10
        }
    );
    let err = bound
        .pair
        .a
        .conn
        .begin_message(bound.alice, message(11))
        .unwrap_err();
    assert_eq!(
        err,
        CommandError::BadStart {
            start: 11,
            total: 10
        }
    );
    assert!(
        bound
            .pair
            .a
            .conn
            .begin_message(bound.alice, message(10))
            .is_ok()
    );
}

#[test]
fn without_incoming_from_a_message_missing_its_start_stays_incomplete() {
    let mut bound = default_pair();
    bound.alice_sends(
        OutgoingMessage::new("application/octet-stream")
            .body(vec![1u8; 100])
            .starting_at(901),
    );
    bound.pair.drive();
    let events = bound.pair.b.take_events();
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, Event::MessageCompleted { .. })),
        "{events:?}"
    );
}
