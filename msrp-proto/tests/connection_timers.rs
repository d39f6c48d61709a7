//! Timers, in virtual time: keep-alive SENDs after silence and their
//! timeout, the idle timeout, and the bind timeout of a connection nobody
//! binds.

mod common;

use std::time::Duration;

use common::*;
use msrp_proto::connection::{CloseReason, Config, Event, Outcome, OutgoingMessage};
use msrp_proto::wire::Continuation;

const MS: Duration = Duration::from_millis(1);

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn assert_keepalive(chunk: &Sent) {
    assert!(chunk.is_send());
    assert!(!chunk.head.has_body(), "a keep-alive is a bodiless SEND");
    assert_eq!(chunk.byte_range(), "1-0/0");
    assert_eq!(chunk.flag, Some(Continuation::Complete));
    assert_eq!(chunk.head.to_path().to_string(), BOB);
    assert_eq!(chunk.head.from_path().to_string(), ALICE);
}

#[test]
fn keepalives_are_sent_after_an_interval_of_silence() {
    let mut config = Config::default();
    config.keepalive_interval = Some(secs(10));
    let (mut alice, session) = Solo::active(config);
    let t0 = alice.now; // the binding SEND was the last thing sent
    assert_eq!(alice.conn.poll_timeout(), Some(t0 + secs(10)));

    alice.advance_to(t0 + secs(10) - MS);
    assert!(alice.transmit().is_empty());
    alice.advance_to(t0 + secs(10));
    let sent = alice.transmit();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_keepalive(&sent[0]);
    alice.feed(&response_to(&sent[0].head, 200));
    assert_eq!(alice.conn.pending_transactions(), 0);

    // Sending anything restarts the silence.
    alice.advance_to(t0 + secs(15));
    let id = alice
        .conn
        .send_message(session, OutgoingMessage::new("text/plain").body("hi"))
        .unwrap();
    let message = alice.transmit();
    alice.feed(&response_to(&message[0].head, 200));
    alice.advance_to(t0 + secs(25) - MS);
    assert!(alice.transmit().is_empty());
    alice.advance_to(t0 + secs(25));
    let sent = alice.transmit();
    assert_eq!(sent.len(), 1);
    assert_keepalive(&sent[0]);
    assert!(!alice.conn.is_closed());
    let events = alice.take_events();
    assert!(close_reasons(&events).is_empty());
    assert_eq!(one_outcome_each(&events, &[id]), [Outcome::Delivered]);
}

#[test]
fn a_keepalive_without_an_answer_closes_the_connection() {
    let mut config = Config::default();
    config.keepalive_interval = Some(secs(10));
    let (mut alice, _) = Solo::active(config);
    let t0 = alice.now;
    alice.advance_to(t0 + secs(10));
    assert_eq!(alice.transmit().len(), 1);
    // The peer is silent: more keep-alives, no answers.
    alice.advance_to(t0 + secs(20));
    assert_eq!(alice.transmit().len(), 1);
    alice.advance_to(t0 + secs(40) - MS);
    assert!(!alice.conn.is_closed());
    // §7.1.1: no response within the transaction timeout counts as one.
    alice.advance_to(t0 + secs(40));
    assert_eq!(
        close_reasons(&alice.take_events()),
        [CloseReason::KeepaliveTimeout]
    );
    assert!(alice.conn.is_closed());
    assert_eq!(alice.conn.pending_transactions(), 0);
    assert_eq!(alice.conn.poll_timeout(), None);
}

#[test]
fn the_idle_timeout_closes_a_connection_that_receives_nothing() {
    let mut config = Config::default();
    config.idle_timeout = Some(secs(20));
    let (mut alice, _) = Solo::active(config);
    let t0 = alice.now; // the binding 200 was the last thing received
    alice.advance_to(t0 + secs(10));
    // Anything received restarts it: here Bob's keep-alive.
    alice.feed(
        &RawSend::bodiless("keep0001", "msgK0001")
            .to(ALICE)
            .from(BOB)
            .bytes(),
    );
    assert_eq!(alice.transmit()[0].code(), Some(200));
    alice.advance_to(t0 + secs(30) - MS);
    assert!(!alice.conn.is_closed());
    alice.advance_to(t0 + secs(30));
    assert_eq!(
        close_reasons(&alice.take_events()),
        [CloseReason::IdleTimeout]
    );
    assert!(alice.conn.is_closed());
}

#[test]
fn the_bind_timeout_closes_a_connection_nobody_binds() {
    let mut config = Config::default();
    config.bind_timeout = secs(5);
    let (mut bob, _) = Solo::passive(config.clone());
    let t0 = bob.now;
    assert_eq!(bob.conn.poll_timeout(), Some(t0 + secs(5)));
    bob.advance_to(t0 + secs(5) - MS);
    assert!(!bob.conn.is_closed());
    bob.advance_to(t0 + secs(5));
    assert_eq!(
        bob.take_events(),
        [Event::Closed {
            reason: CloseReason::BindTimeout
        }]
    );

    // Once a session is bound, the timer is gone.
    let (mut bound, session) = Solo::passive(config);
    bound.advance(secs(1));
    bound.feed(&RawSend::new("tid00001", "msgB0001", b"hi").bytes());
    assert!(bound.conn.is_bound(session));
    bound.advance(secs(60));
    assert!(!bound.conn.is_closed());
    assert!(close_reasons(&bound.take_events()).is_empty());
}
