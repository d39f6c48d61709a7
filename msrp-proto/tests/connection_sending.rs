//! Sending (RFC 4975 §7.1): streamed messages of unknown size, the send
//! buffer, refusals that stop a sender, success REPORTs early, late and
//! missing, Byte-Range ends, transaction ids that never occur in a body,
//! and closing gracefully or per session.

mod common;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use common::*;
use msrp_proto::connection::{
    CloseReason, CommandError, Config, Connection, Event, MessageId, Outcome, OutgoingMessage,
    SessionConfig,
};
use msrp_proto::ident::IdGenerator;
use msrp_proto::sim::Pair;
use msrp_proto::wire::{Continuation, SuccessReport};

fn octets(body: impl Into<Bytes>) -> OutgoingMessage {
    OutgoingMessage::new("application/octet-stream").body(body)
}

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

fn sends(log: &[Sent]) -> Vec<&Sent> {
    log.iter().filter(|s| s.is_send()).collect()
}

/// Alice begins `message` and writes "hello " and then "world" into it,
/// each write carried over to Bob before the next; no `finish` yet.
fn stream_hello_world(l: &mut Linked, message: OutgoingMessage) -> MessageId {
    let id = l.alice.conn.begin_message(l.a, message).unwrap();
    for piece in [&b"hello "[..], b"world"] {
        l.alice.conn.write(&id, Bytes::from_static(piece)).unwrap();
        shuttle(&mut l.alice, &mut l.bob);
    }
    id
}

#[test]
fn a_message_of_unknown_size_is_sent_with_star_totals_until_it_is_finished() {
    let mut l = linked(Config::default(), Config::default());
    let id = stream_hello_world(&mut l, OutgoingMessage::new("text/plain"));
    assert!(one_outcome_each(&l.alice.events, &[]).is_empty());
    l.alice.conn.finish(&id).unwrap();
    shuttle(&mut l.alice, &mut l.bob);

    let log = l.alice.unsent_log();
    let chunks = sends(&log);
    let (last, before) = chunks.split_last().unwrap();
    // The last byte written waits for `finish`, so that the chunk carrying
    // it can end the message: no empty closing chunk is needed.
    assert_eq!(
        before.iter().map(|c| c.byte_range()).collect::<Vec<_>>(),
        ["1-5/*", "6-10/*"],
        "§7.1.1: `*` while the size is unknown"
    );
    assert!(before.iter().all(|c| c.flag == Some(Continuation::More)));
    assert_eq!(last.flag, Some(Continuation::Complete), "`$` ends it");
    assert_eq!(last.byte_range(), "11-11/11");
    assert_eq!(last.body, b"d");
    let body: Vec<u8> = chunks.iter().flat_map(|c| c.body.clone()).collect();
    assert_eq!(body, b"hello world");

    assert_eq!(
        received_messages(&l.bob.events),
        [(id.clone(), b"hello world".to_vec())]
    );
    assert_eq!(
        one_outcome_each(&l.alice.events, &[id]),
        [Outcome::Delivered]
    );
}

#[test]
fn a_streamed_message_of_announced_size_ends_with_the_chunk_of_its_last_byte() {
    let mut l = linked(Config::default(), Config::default());
    let id = stream_hello_world(&mut l, OutgoingMessage::new("text/plain").size(11));
    let log = l.alice.unsent_log();
    let chunks: Vec<(&str, Option<Continuation>)> = sends(&log)
        .iter()
        .map(|c| (c.byte_range(), c.flag))
        .collect();
    // §7.1.1: the chunk that carries the last byte is the last chunk.
    assert_eq!(
        chunks,
        [
            ("1-6/11", Some(Continuation::More)),
            ("7-11/11", Some(Continuation::Complete))
        ]
    );
    assert_eq!(
        received_messages(&l.bob.events),
        [(id.clone(), b"hello world".to_vec())]
    );
    // Complete once its announced size is written: the outcome does not
    // wait for `finish`, which then finds the message ended.
    assert_eq!(l.alice.conn.finish(&id), Err(CommandError::UnknownMessage));
    shuttle(&mut l.alice, &mut l.bob);
    assert!(
        sends(&l.alice.unsent_log()).is_empty(),
        "nothing more to send"
    );
    assert_eq!(
        one_outcome_each(&l.alice.events, &[id]),
        [Outcome::Delivered]
    );
    assert_eq!(l.bob.conn.incomplete_messages(), 0);
}

#[test]
fn an_aborted_streamed_message_takes_no_more_writes() {
    let (mut alice, session) = Solo::active(Config::default());
    let id = alice
        .conn
        .begin_message(session, OutgoingMessage::new("text/plain").size(10))
        .unwrap();
    alice.conn.write(&id, Bytes::from_static(b"hello")).unwrap();
    let first = alice.transmit();
    assert_eq!(
        (first[0].byte_range(), first[0].flag),
        ("1-5/10", Some(Continuation::More))
    );
    // §7.1.1: a message interrupted between chunks is abandoned with `#`.
    alice.conn.abort(&id).unwrap();
    assert_eq!(
        alice.conn.write(&id, Bytes::from_static(b"world")),
        Err(CommandError::UnknownMessage)
    );
    assert_eq!(alice.conn.finish(&id), Err(CommandError::UnknownMessage));
    let rest = alice.transmit();
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0].head.message_id(), Some(id.as_str()));
    assert_eq!(rest[0].flag, Some(Continuation::Aborted));
    assert!(rest[0].body.is_empty());
    assert_eq!(
        one_outcome_each(&alice.take_events(), &[id]),
        [Outcome::Aborted]
    );
}

/// Chunks sent with `Failure-Report: partial` keep no record each: an error
/// for one finds its message by its transaction id's prefix, so their number
/// cannot grow with the sending rate.
#[test]
fn chunks_sent_with_failure_report_partial_stay_within_the_transaction_window() {
    let mut config = Config::default();
    config.chunk_size = 1000;
    config.max_pending_transactions = 4;
    let (mut alice, session) = Solo::active(config);
    alice
        .conn
        .send_message(
            session,
            octets(pattern(20_000, 4)).failure_report(msrp_proto::wire::FailureReport::Partial),
        )
        .unwrap();
    alice.transmit();
    assert!(
        alice.conn.pending_transactions() <= 4 + 1,
        "{} pending transactions",
        alice.conn.pending_transactions()
    );
}

#[test]
fn write_blocks_when_the_send_buffer_is_full_until_writable() {
    let mut config = Config::default();
    config.send_buffer = 1000;
    let mut l = linked(config, Config::default());
    let body = pattern(2000, 3);
    let id = l
        .alice
        .conn
        .begin_message(
            l.a,
            OutgoingMessage::new("application/octet-stream").size(2000),
        )
        .unwrap();
    l.alice
        .conn
        .write(&id, body[..800].to_vec().into())
        .unwrap();
    assert_eq!(
        l.alice.conn.write(&id, body[800..1100].to_vec().into()),
        Err(CommandError::Blocked)
    );
    let writable = |events: &[Event]| {
        events
            .iter()
            .filter(|e| matches!(e, Event::Writable { message, .. } if *message == id))
            .count()
    };
    assert_eq!(writable(&l.alice.take_events()), 0);
    shuttle(&mut l.alice, &mut l.bob);
    assert_eq!(writable(&l.alice.take_events()), 1);
    l.alice
        .conn
        .write(&id, body[800..1100].to_vec().into())
        .unwrap();
    assert_eq!(
        l.alice.conn.write(&id, body[1100..].to_vec().into()),
        Err(CommandError::Blocked)
    );
    shuttle(&mut l.alice, &mut l.bob);
    assert_eq!(writable(&l.alice.events), 1);
    l.alice
        .conn
        .write(&id, body[1100..].to_vec().into())
        .unwrap();
    assert_eq!(
        l.alice.conn.write(&id, Bytes::from_static(b"x")),
        Err(CommandError::TooLong)
    );
    l.alice.conn.finish(&id).unwrap();
    shuttle(&mut l.alice, &mut l.bob);
    assert_eq!(received_messages(&l.bob.events), [(id.clone(), body)]);
    assert_eq!(
        one_outcome_each(&l.alice.events, &[id]),
        [Outcome::Delivered]
    );
}

#[test]
fn a_413_stops_the_sender_and_ends_the_chunk_in_flight_with_a_hash() {
    let mut config = Config::default();
    config.transmit_piece = 1024;
    let (mut alice, session) = Solo::active(config);
    let id = alice
        .conn
        .send_message(session, octets(pattern(10_000, 1)))
        .unwrap();
    for _ in 0..3 {
        alice.transmit_once().unwrap(); // the head, then two pieces of body
    }
    let head = alice.in_progress().expect("a chunk in flight").head.clone();
    // §7.3.1, §10: 413 asks the sender to stop sending the message.
    alice.feed(&response_to(&head, 413));
    let rest = alice.transmit();
    assert_eq!(
        rest.len(),
        1,
        "only the end of the interrupted chunk: {rest:?}"
    );
    assert_eq!(rest[0].tid(), head.transaction_id());
    assert_eq!(rest[0].flag, Some(Continuation::Aborted));
    assert_eq!(rest[0].body.len(), 2048);
    let outcome = one_outcome_each(&alice.take_events(), &[id]);
    assert!(matches!(outcome[..], [Outcome::Failed { code: 413, .. }]));
    assert_eq!(alice.conn.pending_messages(), 0);
    assert_eq!(alice.conn.pending_transactions(), 0);
    alice.advance(Duration::from_secs(60));
    assert!(alice.transmit().is_empty());
    assert!(one_outcome_each(&alice.take_events(), &[]).is_empty());
}

#[test]
fn a_late_success_report_still_delivers_the_message() {
    let (mut alice, session) = Solo::active(Config::default());
    let id = alice
        .conn
        .send_message(
            session,
            octets(pattern(100, 2)).success_report(SuccessReport::Yes),
        )
        .unwrap();
    let send = alice.transmit().remove(0);
    alice.feed(&response_to(&send.head, 200));
    alice.advance(Duration::from_secs(20));
    assert!(
        one_outcome_each(&alice.events, &[]).is_empty(),
        "the 200 alone does not deliver a message that asked for a REPORT"
    );
    alice.feed(&report_for(&send.head, "late0001", "1-100/100", 200));
    let events = alice.take_events();
    assert!(events.iter().any(|e| matches!(
        e,
        Event::Progress {
            confirmed: 100,
            total: Some(100),
            ..
        }
    )));
    assert_eq!(one_outcome_each(&events, &[id]), [Outcome::Delivered]);
    alice.advance(Duration::from_secs(60));
    assert!(one_outcome_each(&alice.take_events(), &[]).is_empty());
}

#[test]
fn without_a_success_report_the_message_fails_with_408_after_the_report_timeout() {
    let mut config = Config::default();
    config.report_timeout = Duration::from_secs(5);
    let (mut alice, session) = Solo::active(config);
    let id = alice
        .conn
        .send_message(
            session,
            octets(pattern(100, 2)).success_report(SuccessReport::Yes),
        )
        .unwrap();
    let send = alice.transmit().remove(0);
    alice.feed(&response_to(&send.head, 200));
    let answered = alice.now;
    assert_eq!(
        alice.conn.poll_timeout(),
        Some(answered + Duration::from_secs(5))
    );
    alice.advance(Duration::from_millis(4999));
    assert!(one_outcome_each(&alice.events, &[]).is_empty());
    alice.advance(Duration::from_millis(1));
    let outcome = one_outcome_each(&alice.take_events(), &[id]);
    assert!(matches!(outcome[..], [Outcome::Failed { code: 408, .. }]));
    // A REPORT after the verdict changes nothing.
    alice.feed(&report_for(&send.head, "late0001", "1-100/100", 200));
    assert!(one_outcome_each(&alice.take_events(), &[]).is_empty());
}

#[test]
fn chunks_longer_than_2048_bytes_declare_star_as_their_end() {
    // §7.1.1: a chunk of more than 2048 bytes must be interruptible, so its
    // end is `*`; shorter ones may give it.
    let mut config = Config::default();
    config.chunk_size = 3000;
    let (mut alice, session) = Solo::active(config);
    for size in [2048, 2049, 5000] {
        alice
            .conn
            .send_message(session, octets(pattern(size, 0)))
            .unwrap();
    }
    let ranges: Vec<String> = alice
        .transmit()
        .iter()
        .map(|c| c.byte_range().to_owned())
        .collect();
    assert_eq!(
        ranges,
        ["1-2048/2048", "1-*/2049", "1-*/5000", "3001-5000/5000"]
    );
}

/// Sends `body` from Alice to Bob through hand-driven connections; returns
/// the SEND chunks Alice wrote and what Bob received.
fn send_through(write: impl FnOnce(&mut Linked) -> MessageId) -> (Vec<Sent>, Vec<u8>, Outcome) {
    let mut l = linked(Config::default(), Config::default());
    let id = write(&mut l);
    shuttle(&mut l.alice, &mut l.bob);
    let log: Vec<Sent> = l
        .alice
        .unsent_log()
        .into_iter()
        .filter(Sent::is_send)
        .collect();
    let received = received_messages(&l.bob.events);
    assert_eq!(received.len(), 1, "{:?}", l.bob.events);
    let outcome = one_outcome_each(&l.alice.events, std::slice::from_ref(&id));
    (log, received[0].1.clone(), outcome[0].clone())
}

/// The transaction ids Alice's connection (seed 1) is likely to give her
/// chunks: a message's chunk ids are a 12-character prefix drawn with the
/// message followed by 12 characters drawn per chunk, so any two
/// consecutive draws of the generator make a candidate.
fn likely_tids() -> Vec<String> {
    let mut ids = IdGenerator::from_seed([1; 32]);
    let draws: Vec<String> = (0..14).map(|_| ids.alphanumeric(12)).collect();
    draws
        .windows(2)
        .map(|w| format!("{}{}", w[0], w[1]))
        .collect()
}

fn assert_no_chunk_holds_its_end_line(log: &[Sent]) {
    for chunk in log {
        let needle = format!("\r\n-------{}", chunk.tid());
        assert!(
            !chunk
                .body
                .windows(needle.len())
                .any(|w| w == needle.as_bytes()),
            "§7.1: the body of chunk {} holds its own end-line",
            chunk.tid()
        );
    }
}

#[test]
fn the_end_line_never_occurs_in_a_body() {
    // With a body free of end-lines, the chunk goes out under the first id.
    let (plain, _, _) = send_through(|l| {
        l.alice
            .conn
            .send_message(l.a, octets(vec![b'x'; 1000]))
            .unwrap()
    });
    let naive = plain[0].tid().to_owned();
    let likely = likely_tids();
    assert!(likely.contains(&naive), "the test knows the likely ids");

    // The same commands, with a body quoting every likely end-line.
    let mut body = Vec::new();
    for tid in &likely {
        body.extend_from_slice(format!("\r\n-------{tid}$\r\nMSRP {tid} 200 OK\r\n").as_bytes());
        body.extend_from_slice(format!("\r\n-------{tid}+\r\n\r\n-------{tid}#").as_bytes());
    }
    let (log, received, outcome) = send_through(|l| {
        l.alice
            .conn
            .send_message(l.a, octets(body.clone()))
            .unwrap()
    });
    assert!(
        log.iter().all(|c| c.tid() != naive),
        "another id was chosen"
    );
    assert_no_chunk_holds_its_end_line(&log);
    assert_eq!(received, body);
    assert_eq!(outcome, Outcome::Delivered);
}

#[test]
fn an_end_line_split_across_written_pieces_is_found() {
    let stream = |l: &mut Linked, pieces: &[Vec<u8>]| {
        let id = l
            .alice
            .conn
            .begin_message(l.a, OutgoingMessage::new("text/plain"))
            .unwrap();
        for piece in pieces {
            l.alice.conn.write(&id, piece.clone().into()).unwrap();
        }
        l.alice.conn.finish(&id).unwrap();
        id
    };
    let filler = vec![
        vec![b'a'; 3],
        vec![b'b'; 2],
        vec![b'c'; 7],
        vec![b'd'; 16],
        vec![b'e'; 5],
    ];
    let (plain, _, _) = send_through(|l| stream(l, &filler));
    let naive = plain[0].tid().to_owned();
    // `\r\n` | `-------` | tid | `$\r\n`, each written on its own: the
    // end-line spans four pieces.
    let pieces = vec![
        b"abc".to_vec(),
        b"\r\n".to_vec(),
        b"-------".to_vec(),
        naive.as_bytes().to_vec(),
        b"$\r\n".to_vec(),
    ];
    let whole: Vec<u8> = pieces.concat();
    let (log, received, outcome) = send_through(|l| stream(l, &pieces));
    assert_ne!(log[0].tid(), naive);
    assert_no_chunk_holds_its_end_line(&log);
    assert_eq!(received, whole);
    assert_eq!(outcome, Outcome::Delivered);
}

#[test]
fn shutdown_sends_what_is_queued_waits_for_outcomes_then_closes() {
    let mut t = default_pair();
    let bodies = [pattern(10, 1), pattern(300_000, 2), pattern(500, 3)];
    let ids: Vec<MessageId> = bodies
        .iter()
        .enumerate()
        .map(|(i, body)| {
            let report = if i == 2 {
                SuccessReport::Yes
            } else {
                SuccessReport::No
            };
            t.alice_sends(octets(body.clone()).success_report(report))
        })
        .collect();
    t.pair.a.conn.shutdown();
    assert_eq!(
        t.pair.a.conn.send_message(t.alice, octets(vec![1])),
        Err(CommandError::Closed),
        "no new messages"
    );
    assert!(!t.pair.a.conn.is_closed(), "not before the work is done");
    t.pair.drive();
    let a = t.pair.a.take_events();
    assert_eq!(
        one_outcome_each(&a, &ids),
        [Outcome::Delivered, Outcome::Delivered, Outcome::Delivered]
    );
    assert_eq!(
        a.last(),
        Some(&Event::Closed {
            reason: CloseReason::LocallyClosed
        }),
        "closed last: {a:?}"
    );
    assert_eq!(
        a.iter()
            .filter(|e| matches!(e, Event::Closed { .. }))
            .count(),
        1
    );
    let got = received_messages(&t.pair.b.take_events());
    for (id, body) in ids.iter().zip(&bodies) {
        assert!(got.contains(&(id.clone(), body.clone())));
    }
}

#[test]
fn closing_a_session_aborts_its_messages_and_spares_the_others() {
    let alice2 = "msrp://127.0.0.1:7777/alice2222;tcp";
    let bob2 = "msrp://127.0.0.1:8888/bob22222;tcp";
    let now = epoch();
    let mut a = Connection::new(Arc::new(Config::default()), [1; 32], now);
    let mut b = Connection::new(Arc::new(Config::default()), [2; 32], now);
    for (local, remote) in [(BOB, ALICE), (bob2, alice2)] {
        b.expect_session(SessionConfig::new(uri(local)).remote_path(uri(remote).into()))
            .unwrap();
    }
    let s1 = a
        .open_session(SessionConfig::new(uri(ALICE)).remote_path(uri(BOB).into()))
        .unwrap();
    let s2 = a
        .open_session(SessionConfig::new(uri(alice2)).remote_path(uri(bob2).into()))
        .unwrap();
    let mut p = Pair::new(a, b, now, 5);
    assert!(p.drive_until(|p| p.a.conn.is_bound(s1) && p.a.conn.is_bound(s2)));
    p.a.take_events();
    p.b.take_events();

    let m1 =
        p.a.conn
            .send_message(s1, octets(pattern(1 << 20, 1)))
            .unwrap();
    let m2 =
        p.a.conn
            .send_message(s1, octets(pattern(1 << 20, 2)))
            .unwrap();
    let m3 =
        p.a.conn
            .send_message(s2, octets(pattern(300_000, 3)))
            .unwrap();
    p.window = 32 * 1024;
    let started = |p: &Pair, id: &MessageId| {
        p.b.events
            .iter()
            .any(|e| matches!(e, Event::MessageStarted { message, .. } if message == id))
    };
    assert!(p.drive_until(|p| started(p, &m1) && started(p, &m2)));

    p.a.conn.close_session(s1).unwrap();
    assert!(!p.a.conn.sessions().any(|s| s == s1));
    assert_eq!(
        p.a.conn.send_message(s1, octets(vec![1])),
        Err(CommandError::UnknownSession)
    );
    p.drive();
    let events = p.a.take_events();
    assert_eq!(
        one_outcome_each(&events, &[m1, m2, m3.clone()]),
        [Outcome::Aborted, Outcome::Aborted, Outcome::Delivered]
    );
    assert_eq!(p.a.conn.pending_messages(), 0);
    assert!(received_messages(&p.b.take_events()).contains(&(m3, pattern(300_000, 3))));
}

/// The last byte of a stream of unknown size waits for `finish` (so that its
/// chunk can end the message with `$`); it must not make the next write
/// wait for room that will never come.
#[test]
fn a_held_back_last_byte_does_not_block_the_next_write() {
    let mut config = Config::default();
    config.send_buffer = 1000;
    let mut l = linked(config, Config::default());
    let id = l
        .alice
        .conn
        .begin_message(l.a, OutgoingMessage::new("application/octet-stream"))
        .unwrap();
    l.alice
        .conn
        .write(&id, Bytes::from(vec![1u8; 1000]))
        .unwrap();
    shuttle(&mut l.alice, &mut l.bob);
    // All but the held-back byte went out; a full-size write is taken.
    l.alice
        .conn
        .write(&id, Bytes::from(vec![2u8; 1000]))
        .unwrap();
    l.alice.conn.finish(&id).unwrap();
    shuttle(&mut l.alice, &mut l.bob);
    let received = received_messages(&l.bob.events);
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].1.len(), 2000);
}

/// Chunks of several messages may interleave (RFC 4975 §7.1.1), but a
/// receiver holds only so many incomplete messages (413 beyond): no more
/// than `max_open_messages` are begun and not ended at once, and the rest
/// wait their turn instead of being refused.
#[test]
fn at_most_max_open_messages_are_interleaved() {
    let mut config = Config::default();
    config.chunk_size = 10;
    config.max_open_messages = 4;
    let mut bound = bound_pair(config, Config::default(), |s| s);
    let ids: Vec<MessageId> = (0..40u8)
        .map(|i| bound.alice_sends(octets(pattern(100, i))))
        .collect();
    bound.pair.drive();
    let events = bound.pair.b.take_events();
    let mut open = 0usize;
    let mut most = 0;
    for event in &events {
        match event {
            Event::MessageStarted { .. } => {
                open += 1;
                most = most.max(open);
            }
            Event::MessageCompleted { .. } => open -= 1,
            _ => {}
        }
    }
    assert_eq!(most, 4, "interleaved, but at most 4 at once");
    assert_eq!(received_messages(&events).len(), 40);
    let outcomes = one_outcome_each(&bound.pair.a.take_events(), &ids);
    assert!(
        outcomes.iter().all(|o| *o == Outcome::Delivered),
        "{outcomes:?}"
    );
}

/// A Message-ID made by the caller goes on the wire as given, and a second
/// message with the id of one still open is refused, leaving the first
/// untouched.
#[test]
fn send_message_as_uses_the_callers_message_id_and_refuses_an_open_one() {
    let mut l = linked(Config::default(), Config::default());
    let id = MessageId::random(&mut IdGenerator::from_seed([9; 32]));
    l.alice
        .conn
        .send_message_as(l.a, octets("first"), id.clone())
        .unwrap();
    assert_eq!(
        l.alice
            .conn
            .send_message_as(l.a, octets("second"), id.clone()),
        Err(CommandError::DuplicateMessage)
    );
    shuttle(&mut l.alice, &mut l.bob);
    let log = l.alice.unsent_log();
    let chunks = sends(&log);
    assert_eq!(chunks.len(), 1, "only the first message is sent");
    assert_eq!(chunks[0].head.message_id(), Some(id.as_str()));
    assert_eq!(chunks[0].body, b"first");
    assert_eq!(
        one_outcome_each(&l.alice.events, &[id]),
        [Outcome::Delivered]
    );
}
