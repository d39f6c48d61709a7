//! Messages written piece by piece end properly however `finish` and the
//! sending interleave. With its size announced, a message ends once that
//! many bytes are written: the chunk with the last byte says `$`, and the
//! outcome comes without waiting for `finish` (which is then harmless).
//! Without it, the last byte waits for `finish`, so that the last chunk can
//! say `$`. (The last chunk used to end with `+` when its bytes went out
//! before the writer called `finish`; nothing was sent after it, so the
//! outcome never came. And an outcome that had to wait for `finish` was
//! lost when the peer, having everything, closed the connection first.)

mod common;

use bytes::Bytes;
use common::*;
use msrp_proto::connection::{CommandError, Event, Outcome, OutgoingMessage};
use msrp_proto::wire::SuccessReport;

fn all_sent_before_finish(success_report: SuccessReport) {
    let mut t = default_pair();
    let body: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let message = OutgoingMessage::new("application/octet-stream")
        .size(body.len() as u64)
        .success_report(success_report);
    let id = t.pair.a.conn.begin_message(t.alice, message).unwrap();
    for piece in body.chunks(50_000) {
        t.pair
            .a
            .conn
            .write(&id, Bytes::copy_from_slice(piece))
            .unwrap();
        t.pair.drive();
    }
    // Every byte arrived, the receiver has the whole message, and the
    // sender has the outcome, without `finish`.
    let b = t.pair.b.take_events();
    assert_eq!(received_messages(&b), [(id.clone(), body)]);
    let a = t.pair.a.take_events();
    assert_eq!(outcomes(&a), [(id.clone(), Outcome::Delivered)]);

    // Finishing now changes nothing (the message is gone: it ended).
    assert_eq!(t.pair.a.conn.finish(&id), Err(CommandError::UnknownMessage));
    t.pair.drive();
    assert!(
        !t.pair
            .b
            .take_events()
            .iter()
            .any(|e| matches!(e, Event::MessageStarted { .. })),
        "no further chunk"
    );
}

#[test]
fn delivered_without_finish_and_without_success_report() {
    all_sent_before_finish(SuccessReport::No);
}

#[test]
fn delivered_without_finish_with_a_success_report() {
    all_sent_before_finish(SuccessReport::Yes);
}

#[test]
fn finish_before_the_last_bytes_go_out_is_fine_too() {
    let mut t = default_pair();
    let message = OutgoingMessage::new("text/plain").size(10);
    let id = t.pair.a.conn.begin_message(t.alice, message).unwrap();
    t.pair
        .a
        .conn
        .write(&id, Bytes::from_static(b"0123456789"))
        .unwrap();
    t.pair.a.conn.finish(&id).unwrap();
    t.pair.drive();
    assert_eq!(
        outcomes(&t.pair.a.take_events()),
        [(id.clone(), Outcome::Delivered)]
    );
    assert_eq!(
        received_messages(&t.pair.b.take_events()),
        [(id, b"0123456789".to_vec())]
    );
}

#[test]
fn a_message_of_unknown_size_ends_with_finish_even_when_everything_was_sent() {
    let mut t = default_pair();
    let body = vec![b'x'; 5000];
    let message = OutgoingMessage::new("text/plain");
    let id = t.pair.a.conn.begin_message(t.alice, message).unwrap();
    t.pair.a.conn.write(&id, Bytes::from(body.clone())).unwrap();
    t.pair.drive();
    // Not complete yet: the size is unknown until `finish`.
    assert!(received_messages(&t.pair.b.events).is_empty());
    assert!(outcomes(&t.pair.a.take_events()).is_empty());

    t.pair.a.conn.finish(&id).unwrap();
    t.pair.drive();
    assert_eq!(
        outcomes(&t.pair.a.take_events()),
        [(id.clone(), Outcome::Delivered)]
    );
    assert_eq!(received_messages(&t.pair.b.take_events()), [(id, body)]);
}
