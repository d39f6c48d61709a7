//! Receiving (RFC 4975 §7.3): the test writes raw chunks into Bob's side
//! and reads his responses off the wire — interleaved, out-of-order,
//! overlapping, interrupted and relay-cut chunks; refusals; which requests
//! get responses at all.

mod common;

use common::*;
use msrp_proto::Path;
use msrp_proto::connection::{Config, Event, OutgoingMessage};
use msrp_proto::wire::{ChunkHead, Continuation, SuccessReport};

/// (transaction id, status code) of each response in `sent`.
fn responses(sent: &[Sent]) -> Vec<(String, u16)> {
    sent.iter()
        .map(|s| {
            let code = s.code().unwrap_or_else(|| panic!("not a response: {s:?}"));
            (s.tid().to_owned(), code)
        })
        .collect()
}

fn ok(tids: &[&str]) -> Vec<(String, u16)> {
    tids.iter().map(|t| ((*t).to_owned(), 200)).collect()
}

fn completed(events: &[Event]) -> Vec<(String, u64, u32)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::MessageCompleted {
                message,
                size,
                chunks,
                ..
            } => Some((message.to_string(), *size, *chunks)),
            _ => None,
        })
        .collect()
}

fn received(events: &[Event]) -> Vec<(String, Vec<u8>)> {
    received_messages(events)
        .into_iter()
        .map(|(id, body)| (id.to_string(), body))
        .collect()
}

fn bob() -> Solo {
    Solo::passive(Config::default()).0
}

#[test]
fn interleaved_chunks_of_two_messages_are_reassembled_separately() {
    // §7.3.1: chunks of different messages may interleave; each is placed by
    // its Message-ID and Byte-Range.
    let mut bob = bob();
    bob.feed(
        &RawSend::new("tid00001", "msgA0001", b"AAAAA")
            .range("1-5/10")
            .more()
            .bytes(),
    );
    bob.feed(
        &RawSend::new("tid00002", "msgB0001", b"BBB")
            .range("1-3/6")
            .more()
            .bytes(),
    );
    bob.feed(
        &RawSend::new("tid00003", "msgA0001", b"aaaaa")
            .range("6-10/10")
            .bytes(),
    );
    bob.feed(
        &RawSend::new("tid00004", "msgB0001", b"bbb")
            .range("4-6/6")
            .bytes(),
    );
    assert_eq!(
        responses(&bob.transmit()),
        ok(&["tid00001", "tid00002", "tid00003", "tid00004"])
    );
    let events = bob.take_events();
    assert_eq!(
        completed(&events),
        [("msgA0001".into(), 10, 2), ("msgB0001".into(), 6, 2)]
    );
    assert_eq!(
        received(&events),
        [
            ("msgA0001".into(), b"AAAAAaaaaa".to_vec()),
            ("msgB0001".into(), b"BBBbbb".to_vec())
        ]
    );
    assert_eq!(bob.conn.incomplete_messages(), 0);
}

#[test]
fn a_message_whose_second_half_arrives_first_completes_when_both_are_in() {
    let mut bob = bob();
    bob.feed(
        &RawSend::new("tid00001", "msgO0001", b"world")
            .range("7-11/11")
            .bytes(),
    );
    assert!(
        completed(&bob.take_events()).is_empty(),
        "the last chunk ($) alone does not complete it"
    );
    assert_eq!(bob.conn.incomplete_messages(), 1);
    bob.feed(
        &RawSend::new("tid00002", "msgO0001", b"hello ")
            .range("1-6/11")
            .more()
            .bytes(),
    );
    let events = bob.take_events();
    assert_eq!(completed(&events), [("msgO0001".into(), 11, 2)]);
    let data: Vec<u64> = events
        .iter()
        .filter_map(|e| match e {
            Event::MessageData { offset, .. } => Some(*offset),
            _ => None,
        })
        .collect();
    assert_eq!(data, [0], "the first half, at its offset");
    assert_eq!(responses(&bob.transmit()), ok(&["tid00001", "tid00002"]));
    assert_eq!(bob.conn.incomplete_messages(), 0);
}

#[test]
fn overlapping_chunks_of_a_resend_are_merged() {
    let mut bob = bob();
    bob.feed(
        &RawSend::new("tid00001", "msgV0001", b"abcdef")
            .range("1-6/10")
            .more()
            .bytes(),
    );
    // The sender resends from byte 4 (say, after an interruption).
    bob.feed(
        &RawSend::new("tid00002", "msgV0001", b"defghij")
            .range("4-10/10")
            .bytes(),
    );
    let events = bob.take_events();
    assert_eq!(completed(&events), [("msgV0001".into(), 10, 2)]);
    assert_eq!(
        received(&events),
        [("msgV0001".into(), b"abcdefghij".to_vec())]
    );
    assert_eq!(responses(&bob.transmit()), ok(&["tid00001", "tid00002"]));
}

#[test]
fn an_interrupted_chunk_is_completed_by_its_resumption() {
    // §7.1.1: a chunk that declared 1-10 ends early with `+` after 4 bytes;
    // the rest follows in a new chunk at the next byte.
    let mut bob = bob();
    bob.feed(
        &RawSend::new("tid00001", "msgI0001", b"abcd")
            .range("1-10/10")
            .more()
            .bytes(),
    );
    assert!(completed(&bob.events).is_empty());
    bob.feed(
        &RawSend::new("tid00002", "msgI0001", b"efghij")
            .range("5-10/10")
            .bytes(),
    );
    let events = bob.take_events();
    assert_eq!(completed(&events), [("msgI0001".into(), 10, 2)]);
    assert_eq!(
        received(&events),
        [("msgI0001".into(), b"abcdefghij".to_vec())]
    );
    assert_eq!(responses(&bob.transmit()), ok(&["tid00001", "tid00002"]));
}

#[test]
fn relay_rechunking_with_empty_continuation_chunks_is_reassembled() {
    // RFC 4976 relays may cut chunks anywhere; AG msrprelay also sends empty
    // `+` chunks that carry the original Byte-Range. They must add nothing:
    // only bytes that arrive count towards completion (§7.3.1).
    let mut bob = bob();
    let chunks = [
        RawSend::new("relay001", "msgR0001", b"")
            .range("1-10/10")
            .more(),
        RawSend::new("relay002", "msgR0001", b"abcd")
            .range("1-10/10")
            .more(),
        RawSend::new("relay003", "msgR0001", b"")
            .range("5-10/10")
            .more(),
        RawSend::new("relay004", "msgR0001", b"efghij").range("5-10/10"),
    ];
    for (i, chunk) in chunks.iter().enumerate() {
        bob.feed(&chunk.bytes());
        if i < 3 {
            assert!(completed(&bob.events).is_empty(), "not complete after {i}");
        }
    }
    let events = bob.take_events();
    assert_eq!(completed(&events), [("msgR0001".into(), 10, 4)]);
    assert_eq!(
        received(&events),
        [("msgR0001".into(), b"abcdefghij".to_vec())]
    );
    assert_eq!(
        responses(&bob.transmit()),
        ok(&["relay001", "relay002", "relay003", "relay004"])
    );
}

#[test]
fn a_message_of_unknown_size_completes_on_its_last_chunk() {
    // §7.1.1: `*` for the total while the size is unknown; `$` ends it.
    let mut bob = bob();
    bob.feed(
        &RawSend::new("tid00001", "msgS0001", b"hello")
            .range("1-*/*")
            .more()
            .bytes(),
    );
    bob.feed(
        &RawSend::new("tid00002", "msgS0001", b" world")
            .range("6-*/*")
            .bytes(),
    );
    let events = bob.take_events();
    let started = events.iter().find_map(|e| match e {
        Event::MessageStarted { total, .. } => Some(*total),
        _ => None,
    });
    assert_eq!(started, Some(None), "the size is not known at the start");
    assert_eq!(completed(&events), [("msgS0001".into(), 11, 2)]);
    assert_eq!(
        received(&events),
        [("msgS0001".into(), b"hello world".to_vec())]
    );
    assert_eq!(responses(&bob.transmit()), ok(&["tid00001", "tid00002"]));
}

#[test]
fn an_unknown_method_gets_501() {
    let mut bob = bob();
    bob.feed(
        format!(
            "MSRP unkn0001 FROB\r\nTo-Path: {BOB}\r\nFrom-Path: {ALICE}\r\n-------unkn0001$\r\n"
        )
        .as_bytes(),
    );
    let sent = bob.transmit();
    assert_eq!(responses(&sent), [("unkn0001".into(), 501)]);
    assert_eq!(sent[0].head.to_path().to_string(), ALICE);
    assert!(!bob.conn.is_closed());
}

#[test]
fn a_report_never_gets_a_response() {
    // §7.1.2: REPORT requests are never answered, not even when malformed.
    let mut bob = bob();
    let some_send = RawSend::new("tid00001", "msgX0001", b"x").bytes();
    bob.feed(&some_send);
    assert_eq!(responses(&bob.transmit()), ok(&["tid00001"]));
    // A REPORT as Alice would send it about one of Bob's messages.
    let alice_send = ChunkHead::request(msrp_proto::wire::Method::Send, "probe001")
        .to_path(&Path::from(uri(ALICE)))
        .from_path(&Path::from(uri(BOB)))
        .message_id("msgY0001")
        .build()
        .unwrap();
    bob.feed(&report_for(&alice_send, "rprt0001", "1-5/5", 200));
    bob.feed(&report_for(&alice_send, "rprt0002", "1-5/5", 413));
    bob.feed(
        format!(
            "MSRP rprt0003 REPORT\r\nTo-Path: {BOB}\r\nFrom-Path: {ALICE}\r\n\
             Message-ID: msgY0001\r\nByte-Range: 1-5/5\r\nStatus: broken\r\n-------rprt0003$\r\n"
        )
        .as_bytes(),
    );
    assert!(bob.transmit().is_empty());
    assert!(!bob.conn.is_closed());
}

/// RFC 4975 §7.1 caps the body of a request other than SEND at 10240
/// bytes (`Limits::max_non_send_body`), as `msrp parse` does: a REPORT over
/// the cap is rejected and not acted on (it may not be answered, §7.1.2);
/// one at the cap counts.
#[test]
fn a_report_whose_body_is_over_the_limit_is_not_acted_on() {
    let (mut alice, session) = Solo::active(Config::default());
    let id = alice
        .conn
        .send_message(
            session,
            OutgoingMessage::new("text/plain")
                .body("hello")
                .success_report(SuccessReport::Yes),
        )
        .unwrap();
    let send = alice.transmit().remove(0);
    alice.feed(&response_to(&send.head, 200));
    alice.feed(&report_with_body(
        &send.head,
        "big00001",
        "1-5/5",
        &[b'r'; 10241],
    ));
    assert!(alice.transmit().is_empty(), "a REPORT is never answered");
    assert!(one_outcome_each(&alice.take_events(), &[]).is_empty());
    assert!(!alice.conn.is_closed());
    alice.feed(&report_with_body(
        &send.head,
        "big00002",
        "1-5/5",
        &[b'r'; 10240],
    ));
    assert_eq!(
        one_outcome_each(&alice.take_events(), &[id]),
        [msrp_proto::connection::Outcome::Delivered]
    );
}

/// Any other request over the cap gets 413 (§7.3.1), not the answer its
/// method would get, and the connection goes on.
#[test]
fn a_request_whose_body_is_over_the_limit_gets_413() {
    let mut bob = bob();
    let frob = |tid: &str, len: usize| {
        format!(
            "MSRP {tid} FROB\r\nTo-Path: {BOB}\r\nFrom-Path: {ALICE}\r\n\
             Content-Type: text/plain\r\n\r\n{}\r\n-------{tid}$\r\n",
            "b".repeat(len)
        )
    };
    bob.feed(frob("frob0001", 10241).as_bytes());
    bob.feed(frob("frob0002", 10240).as_bytes());
    bob.feed(&RawSend::new("tid00001", "msgX0001", b"x").bytes());
    assert_eq!(
        responses(&bob.transmit()),
        [
            ("frob0001".into(), 413),
            ("frob0002".into(), 501),
            ("tid00001".into(), 200)
        ]
    );
    assert!(!bob.conn.is_closed());
}

#[test]
fn a_send_with_a_malformed_header_gets_400_and_the_next_chunk_is_processed() {
    for (name, value) in [
        ("Byte-Range", "9-3/5"),
        ("Success-Report", "perhaps"),
        ("Content-Type", "not a type"),
    ] {
        let mut bob = bob();
        let bad = format!(
            "MSRP badhead1 SEND\r\nTo-Path: {BOB}\r\nFrom-Path: {ALICE}\r\n\
             Message-ID: msgbad01\r\n{name}: {value}\r\n\r\nhello\r\n-------badhead1$\r\n"
        );
        let mut input = bad.into_bytes();
        input.extend(RawSend::new("good0001", "msgok001", b"fine").bytes());
        bob.feed(&input);
        assert_eq!(
            responses(&bob.transmit()),
            [("badhead1".into(), 400), ("good0001".into(), 200)],
            "{name}: {value}"
        );
        assert_eq!(
            received(&bob.take_events()),
            [("msgok001".into(), b"fine".to_vec())]
        );
    }
}

#[test]
fn a_send_without_message_id_gets_400() {
    let mut bob = bob();
    bob.feed(
        &RawSend::new("nomsgid1", "unused01", b"who am I")
            .without_message_id()
            .bytes(),
    );
    assert_eq!(responses(&bob.transmit()), [("nomsgid1".into(), 400)]);
    let events = bob.take_events();
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, Event::MessageStarted { .. })),
        "{events:?}"
    );
}

#[test]
fn beyond_max_incomplete_messages_a_new_message_gets_413() {
    let mut config = Config::default();
    config.max_incomplete_messages = 2;
    let (mut bob, _) = Solo::passive(config);
    bob.feed(
        &RawSend::new("tid0000a", "msgA0001", b"aaaaa")
            .range("1-5/10")
            .more()
            .bytes(),
    );
    bob.feed(
        &RawSend::new("tid0000b", "msgB0001", b"bbbbb")
            .range("1-5/10")
            .more()
            .bytes(),
    );
    bob.feed(
        &RawSend::new("tid0000c", "msgC0001", b"ccccc")
            .range("1-5/10")
            .more()
            .bytes(),
    );
    assert_eq!(bob.conn.incomplete_messages(), 2);
    // A message already started may go on; once one ends there is room.
    bob.feed(
        &RawSend::new("tid0000d", "msgA0001", b"AAAAA")
            .range("6-10/10")
            .bytes(),
    );
    bob.feed(&RawSend::new("tid0000e", "msgD0001", b"ddd").bytes());
    assert_eq!(
        responses(&bob.transmit()),
        [
            ("tid0000a".into(), 200),
            ("tid0000b".into(), 200),
            ("tid0000c".into(), 413),
            ("tid0000d".into(), 200),
            ("tid0000e".into(), 200),
        ]
    );
    let events = bob.take_events();
    assert!(!events.iter().any(
        |e| matches!(e, Event::MessageStarted { message, .. } if message.as_str() == "msgC0001")
    ));
    assert_eq!(
        completed(&events),
        [("msgA0001".into(), 10, 2), ("msgD0001".into(), 3, 1)]
    );
    assert_eq!(bob.conn.incomplete_messages(), 1);
}

#[test]
fn a_response_with_an_unknown_transaction_id_is_ignored() {
    let (mut alice, session) = Solo::active(Config::default());
    let id = alice
        .conn
        .send_message(session, OutgoingMessage::new("text/plain").body("hi"))
        .unwrap();
    let send = alice.transmit().remove(0);
    let stray = ChunkHead::response(200, Some("OK"), "nosuch01")
        .to_path(&Path::from(uri(ALICE)))
        .from_path(&Path::from(uri(BOB)))
        .build()
        .unwrap();
    alice.feed(&encode(stray, None, Continuation::Complete));
    assert!(alice.transmit().is_empty());
    assert!(
        alice.take_events().is_empty(),
        "no outcome from a stray 200"
    );
    assert_eq!(alice.conn.pending_messages(), 1);
    assert!(alice.conn.wants_input() && !alice.conn.is_closed());
    alice.feed(&response_to(&send.head, 200));
    assert_eq!(
        one_outcome_each(&alice.take_events(), &[id]),
        [msrp_proto::connection::Outcome::Delivered]
    );
}

#[test]
fn a_report_for_an_unknown_message_is_ignored() {
    let (mut alice, session) = Solo::active(Config::default());
    let id = alice
        .conn
        .send_message(
            session,
            OutgoingMessage::new("text/plain")
                .body("confirm me")
                .success_report(SuccessReport::Yes),
        )
        .unwrap();
    let send = alice.transmit().remove(0);
    alice.feed(&response_to(&send.head, 200));
    alice.feed(&report_about(
        &send.head,
        "someother1",
        "rprt0001",
        "1-10/10",
        200,
    ));
    alice.feed(&report_about(
        &send.head,
        "someother2",
        "rprt0002",
        "1-10/10",
        415,
    ));
    assert!(alice.transmit().is_empty(), "REPORTs are not answered");
    assert!(
        alice.take_events().is_empty(),
        "nothing about other messages"
    );
    assert_eq!(alice.conn.pending_messages(), 1);
    alice.feed(&report_for(&send.head, "rprt0003", "1-10/10", 200));
    assert_eq!(
        one_outcome_each(&alice.take_events(), &[id]),
        [msrp_proto::connection::Outcome::Delivered]
    );
}

#[test]
fn failure_report_no_suppresses_every_response() {
    // §7.1.1: with `Failure-Report: no` the receiver sends no response, not
    // even an error.
    let (mut bob, _) = Solo::passive_with(Config::default(), |s| s.accept_types(["text/plain"]));
    bob.feed(
        &RawSend::new("quiet001", "msgQ0001", b"fine")
            .header("Failure-Report", "no")
            .bytes(),
    );
    bob.feed(
        &RawSend::new("quiet002", "msgQ0002", b"\x89PNG")
            .content_type("image/png")
            .header("Failure-Report", "no")
            .bytes(),
    );
    bob.feed(
        &RawSend::new("quiet003", "msgQ0003", b"lost")
            .to("msrp://127.0.0.1:8888/nosuch99;tcp")
            .header("Failure-Report", "no")
            .bytes(),
    );
    assert!(bob.transmit().is_empty(), "no 200, no 415, no 481");
    assert_eq!(
        received(&bob.take_events()),
        [("msgQ0001".into(), b"fine".to_vec())]
    );
}

#[test]
fn failure_report_partial_suppresses_only_the_200() {
    let (mut bob, _) = Solo::passive_with(Config::default(), |s| s.accept_types(["text/plain"]));
    bob.feed(
        &RawSend::new("part0001", "msgP0001", b"fine")
            .header("Failure-Report", "partial")
            .bytes(),
    );
    bob.feed(
        &RawSend::new("part0002", "msgP0002", b"\x89PNG")
            .content_type("image/png")
            .header("Failure-Report", "partial")
            .bytes(),
    );
    assert_eq!(responses(&bob.transmit()), [("part0002".into(), 415)]);
    assert_eq!(
        received(&bob.take_events()),
        [("msgP0001".into(), b"fine".to_vec())]
    );
}
