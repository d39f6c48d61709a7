//! What the sender learns of each message, by report settings and by how
//! the connection ends (RFC 4975 §7.1.1, §7.1.2): delivered when confirmed
//! as asked, sent when nothing could be confirmed and nothing went wrong,
//! failed otherwise.
#![forbid(unsafe_code)]

mod common;

use std::time::Duration;

use common::*;
use msrp_proto::connection::{Config, MessageId, Outcome, OutgoingMessage};
use msrp_proto::wire::{FailureReport, SuccessReport};

fn text(failure: FailureReport, success: SuccessReport) -> OutgoingMessage {
    OutgoingMessage::new("text/plain")
        .body("x")
        .failure_report(failure)
        .success_report(success)
}

/// Alice, bound, with one message sent whole (every byte out).
fn sent_whole(config: Config, message: OutgoingMessage) -> (Solo, MessageId, Sent) {
    let (mut alice, session) = Solo::active(config);
    let id = alice.conn.send_message(session, message).unwrap();
    let mut sends = alice.transmit();
    assert_eq!(sends.len(), 1);
    (alice, id, sends.remove(0))
}

fn outcome_of(alice: &mut Solo, id: &MessageId) -> Vec<Outcome> {
    one_outcome_each(&alice.take_events(), std::slice::from_ref(id))
}

#[test]
fn a_partial_message_is_sent_when_the_peer_closes_cleanly_after_its_last_byte() {
    let message = text(FailureReport::Partial, SuccessReport::No);
    let (mut alice, id, _) = sent_whole(Config::default(), message);
    assert!(one_outcome_each(&alice.take_events(), &[]).is_empty());
    alice.eof();
    assert_eq!(outcome_of(&mut alice, &id), [Outcome::Sent]);
}

#[test]
fn a_partial_message_fails_when_the_connection_is_reset() {
    let message = text(FailureReport::Partial, SuccessReport::No);
    let (mut alice, id, _) = sent_whole(Config::default(), message);
    let now = alice.now;
    alice.conn.handle_reset(now);
    alice.collect();
    let outcome = outcome_of(&mut alice, &id);
    assert!(matches!(outcome[..], [Outcome::Failed { code: 408, .. }]));
}

#[test]
fn a_partial_message_fails_when_the_peer_closes_before_its_last_byte_left() {
    let mut config = Config::default();
    config.chunk_size = 1000;
    let (mut alice, session) = Solo::active(config);
    let message = OutgoingMessage::new("application/octet-stream")
        .body(vec![7u8; 5000])
        .failure_report(FailureReport::Partial);
    let id = alice.conn.send_message(session, message).unwrap();
    // Two chunks out, three still to go.
    alice.transmit_once();
    alice.transmit_once();
    alice.eof();
    let outcome = outcome_of(&mut alice, &id);
    assert!(matches!(outcome[..], [Outcome::Failed { code: 408, .. }]));
}

#[test]
fn a_partial_message_fails_with_the_error_that_came_before_a_clean_close() {
    let message = text(FailureReport::Partial, SuccessReport::No);
    let (mut alice, id, send) = sent_whole(Config::default(), message);
    alice.feed(&response_to(&send.head, 415));
    alice.eof();
    let outcome = outcome_of(&mut alice, &id);
    assert!(matches!(outcome[..], [Outcome::Failed { code: 415, .. }]));
}

#[test]
fn a_message_that_asked_for_a_200_fails_when_the_peer_closes_without_it() {
    let message = text(FailureReport::Yes, SuccessReport::No);
    let (mut alice, id, _) = sent_whole(Config::default(), message);
    alice.eof();
    let outcome = outcome_of(&mut alice, &id);
    assert!(matches!(outcome[..], [Outcome::Failed { code: 408, .. }]));
}

#[test]
fn a_message_that_asked_for_a_success_report_fails_when_the_peer_closes_without_it() {
    let message = text(FailureReport::Partial, SuccessReport::Yes);
    let (mut alice, id, _) = sent_whole(Config::default(), message);
    alice.eof();
    let outcome = outcome_of(&mut alice, &id);
    assert!(matches!(outcome[..], [Outcome::Failed { code: 408, .. }]));
}

#[test]
fn a_message_with_failure_report_no_is_sent_with_its_last_byte() {
    let message = text(FailureReport::No, SuccessReport::No);
    let (mut alice, id, _) = sent_whole(Config::default(), message);
    assert_eq!(outcome_of(&mut alice, &id), [Outcome::Sent]);
}

#[test]
fn a_partial_message_is_sent_after_the_configured_wait_without_an_error() {
    let mut config = Config::default();
    config.partial_report_wait = Duration::from_secs(2);
    let message = text(FailureReport::Partial, SuccessReport::No);
    let (mut alice, id, _) = sent_whole(config, message);
    alice.advance(Duration::from_millis(1999));
    assert!(one_outcome_each(&alice.take_events(), &[]).is_empty());
    alice.advance(Duration::from_millis(1));
    assert_eq!(outcome_of(&mut alice, &id), [Outcome::Sent]);
}

#[test]
fn a_partial_message_is_sent_with_its_last_byte_when_no_wait_is_configured() {
    let mut config = Config::default();
    config.partial_report_wait = Duration::ZERO;
    let message = text(FailureReport::Partial, SuccessReport::No);
    let (mut alice, id, _) = sent_whole(config, message);
    assert_eq!(outcome_of(&mut alice, &id), [Outcome::Sent]);
    assert_eq!(alice.conn.poll_timeout(), None, "no timer left behind");
}
