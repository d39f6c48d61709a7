//! Forwarding through the relay (RFC 4976 §6.4) in virtual time, with raw
//! clients that see every byte: the path algebra, a new transaction id per
//! hop, hop-by-hop 200s, Failure-Report `partial`/`no`, the next hop's
//! errors and silence as REPORTs, unknown and foreign URIs, an unreachable
//! far side, end-to-end responses, and REPORTs forwarded.

mod relay_support;

use std::time::Duration;

use msrp_proto::relay::{CloseReason, RelayEvent};
use msrp_proto::sim::relay::{Listening, RelayNet};
use msrp_proto::wire::{Chunk, Continuation, Method};
use relay_support::*;

/// Alice and Bob, raw, both behind the relay: their relay URIs.
struct Two {
    net: RelayNet,
    a: usize,
    b: usize,
    relay_a: String,
    relay_b: String,
}

fn two() -> Two {
    let mut net = net();
    let a = net.connect_raw(TLS);
    let b = net.connect_raw(TLS);
    let relay_a = raw_grant(&mut net, a, "alice", ALICE, None).to_string();
    let relay_b = raw_grant(&mut net, b, "bob", BOB, None).to_string();
    net.take_events();
    Two {
        net,
        a,
        b,
        relay_a,
        relay_b,
    }
}

impl Two {
    /// Alice's To-Path to Bob: her relay URI, his, then him (RFC 4976 §5.1).
    fn to_bob(&self) -> String {
        format!("{} {} {BOB}", self.relay_a, self.relay_b)
    }

    fn alice_sends(&mut self, tid: &str, body: &[u8], fr: Option<&str>) {
        let to = self.to_bob();
        self.net
            .send_raw(self.a, &send_request(tid, &to, ALICE, "msg00001", body, fr));
    }
}

/// RFC 4976 §6.4.1: each hop takes its URI off the front of To-Path and
/// puts it at the front of From-Path, so Bob sees `relayB relayA alice`;
/// the chunk goes under a transaction id of the relay's (§6.4), with every
/// other header and the body as they were. Alice gets this hop's 200.
#[test]
fn path_algebra_and_a_new_transaction_id() {
    let mut t = two();
    t.alice_sends("alicetid1", b"Hello, Bob! \x00\xff binary", None);
    let ok = next_chunk(&mut t.net, t.a);
    assert_eq!(ok.head().transaction_id(), "alicetid1");
    assert_eq!(ok.head().response_code(), Some(200));
    assert_eq!(
        ok.head().to_path().to_string(),
        ALICE,
        "§7.2: previous hop only"
    );
    assert_eq!(ok.head().from_path().to_string(), t.relay_a);

    let got = next_chunk(&mut t.net, t.b);
    let head = got.head();
    assert_eq!(head.method(), Some(&Method::Send));
    assert_ne!(
        head.transaction_id(),
        "alicetid1",
        "§6.4: a new tid per hop"
    );
    assert_eq!(head.to_path().to_string(), BOB);
    assert_eq!(
        head.from_path().to_string(),
        format!("{} {} {ALICE}", t.relay_b, t.relay_a)
    );
    assert_eq!(head.message_id(), Some("msg00001"));
    assert_eq!(head.byte_range().unwrap().to_string(), "1-21/21");
    assert_eq!(head.content_type(), Some("application/octet-stream"));
    assert_eq!(got.body().unwrap().as_ref(), b"Hello, Bob! \x00\xff binary");
    assert_eq!(got.continuation(), Continuation::Complete);
}

/// RFC 4976 §6.4.1: a 200 from this hop only for Failure-Report yes (or
/// absent); none for `partial` or `no`.
#[test]
fn hop_by_hop_200_only_for_failure_report_yes() {
    for (fr, answered) in [
        (None, true),
        (Some("yes"), true),
        (Some("partial"), false),
        (Some("no"), false),
    ] {
        let mut t = two();
        t.alice_sends("alicetid1", b"x", fr);
        let _ = next_chunk(&mut t.net, t.b);
        let back = settle(&mut t.net, t.a, Duration::from_secs(1));
        assert_eq!(back.len(), usize::from(answered), "{fr:?}: {back:?}");
    }
}

fn reports(chunks: &[Chunk]) -> Vec<&Chunk> {
    chunks
        .iter()
        .filter(|c| c.head().method() == Some(&Method::Report))
        .collect()
}

/// RFC 4976 §6.4.1, §6.4.3: the next hop's error becomes a REPORT to the
/// sender (To-Path: the SEND's From-Path; From-Path: the relay URI; the
/// Message-ID and range), for Failure-Report yes and partial; the error
/// response itself goes no further.
#[test]
fn downstream_error_becomes_a_report() {
    for fr in [None, Some("partial")] {
        let mut t = two();
        t.alice_sends("alicetid1", b"too large", fr);
        let got = next_chunk(&mut t.net, t.b);
        raw_answer(&mut t.net, t.b, &got, 413);
        let back = settle(&mut t.net, t.a, Duration::from_secs(1));
        let reports = reports(&back);
        assert_eq!(reports.len(), 1, "{fr:?}: {back:?}");
        let head = reports[0].head();
        assert_eq!(head.to_path().to_string(), ALICE);
        assert_eq!(head.from_path().to_string(), t.relay_a);
        assert_eq!(head.message_id(), Some("msg00001"));
        assert_eq!(head.status().unwrap().code, 413);
        assert_eq!(head.byte_range().unwrap().to_string(), "1-9/9");
        assert!(back.iter().all(|c| c.head().response_code() != Some(413)));
    }
    // Failure-Report no: nothing, whatever Bob says.
    let mut t = two();
    t.alice_sends("alicetid1", b"x", Some("no"));
    let got = next_chunk(&mut t.net, t.b);
    raw_answer(&mut t.net, t.b, &got, 413);
    assert!(settle(&mut t.net, t.a, Duration::from_secs(1)).is_empty());
}

/// RFC 4976 §6.4.1: no response within 30 s of the last byte → REPORT 408
/// (Failure-Report yes); `partial` means silence is success.
#[test]
fn downstream_silence_for_30s_becomes_408() {
    let mut t = two();
    t.alice_sends("alicetid1", b"anyone there?", None);
    let _ = next_chunk(&mut t.net, t.b);
    let ok = next_chunk(&mut t.net, t.a);
    assert_eq!(ok.head().response_code(), Some(200));
    assert!(settle(&mut t.net, t.a, Duration::from_secs(29)).is_empty());
    let late = settle(&mut t.net, t.a, Duration::from_secs(2));
    let reports = reports(&late);
    assert_eq!(reports.len(), 1, "{late:?}");
    assert_eq!(reports[0].head().status().unwrap().code, 408);

    let mut t = two();
    t.alice_sends("alicetid1", b"anyone there?", Some("partial"));
    let _ = next_chunk(&mut t.net, t.b);
    assert!(settle(&mut t.net, t.a, Duration::from_secs(40)).is_empty());
}

/// A 200 from the next hop settles the transaction: no 408 later.
#[test]
fn downstream_200_stops_the_timer() {
    let mut t = two();
    t.alice_sends("alicetid1", b"hi", None);
    let got = next_chunk(&mut t.net, t.b);
    raw_answer(&mut t.net, t.b, &got, 200);
    let back = settle(&mut t.net, t.a, Duration::from_secs(40));
    assert_eq!(back.len(), 1, "only the hop's 200: {back:?}");
}

/// RFC 4976 §6.3: a URI of this relay it does not know gets 481 (unless
/// Failure-Report is `no`); a REPORT to it is dropped; the connection
/// stays.
#[test]
fn unknown_relay_uri_gets_481() {
    let mut net = net();
    let a = net.connect_raw(TLS);
    let unknown = "msrps://relay.example.com:2856/nosuchsession;tcp";
    let to = format!("{unknown} {BOB}");
    net.send_raw(
        a,
        &send_request("send0001", &to, ALICE, "msg00001", b"hi", None),
    );
    let refused = next_chunk(&mut net, a);
    assert_eq!(refused.head().response_code(), Some(481));
    assert_eq!(refused.head().from_path().to_string(), unknown);
    net.send_raw(
        a,
        &send_request("send0002", &to, ALICE, "msg00002", b"hi", Some("no")),
    );
    assert!(settle(&mut net, a, Duration::from_secs(1)).is_empty());
    assert!(!net.peers[a].closed_by_relay());
}

/// RFC 4976 §6.2: a request whose first To-Path URI is not this relay's
/// drops the connection at once, without an answer.
#[test]
fn foreign_first_uri_drops_the_connection() {
    let mut net = net();
    let a = net.connect_raw(TLS);
    let to = format!("msrps://elsewhere.example.com:2855/x1234;tcp {BOB}");
    net.send_raw(
        a,
        &send_request("send0001", &to, ALICE, "msg00001", b"hi", None),
    );
    net.drive_until(|net| net.peers[a].closed_by_relay());
    assert!(net.peers[a].raw().take().is_empty());
    assert!(net.take_events().iter().any(|e| matches!(
        e,
        RelayEvent::Closed {
            reason: CloseReason::ForeignUri,
            ..
        }
    )));
}

/// The next hop cannot be reached: a REPORT 481 to the sender.
#[test]
fn unreachable_far_side_gets_a_report() {
    let mut t = two();
    let to = format!("{} msrp://nowhere.example.com:7777/n1234;tcp", t.relay_a);
    t.net.send_raw(
        t.a,
        &send_request("send0001", &to, ALICE, "msg00001", b"hi", None),
    );
    let back = settle(&mut t.net, t.a, Duration::from_secs(1));
    let reports = reports(&back);
    assert_eq!(reports.len(), 1, "{back:?}");
    assert_eq!(reports[0].head().status().unwrap().code, 481);
}

/// A far side that is no relay client is reached over a connection the
/// relay opens, and answers come back over it (connection reuse): the
/// SEND arrives with the relay URI in its From-Path, and the far side's
/// SEND back reaches Alice.
#[test]
fn far_side_reached_over_a_new_connection() {
    let mut t = two();
    t.net.listen("direct.example.com", 9000, Listening::Raw);
    let far = "msrp://direct.example.com:9000/far12345;tcp";
    let to = format!("{} {far}", t.relay_a);
    t.net.send_raw(
        t.a,
        &send_request("send0001", &to, ALICE, "msg00001", b"hi", None),
    );
    t.net.drive_until(|net| net.peers.len() == 3);
    let f = 2;
    let got = next_chunk(&mut t.net, f);
    assert_eq!(got.head().to_path().to_string(), far);
    assert_eq!(
        got.head().from_path().to_string(),
        format!("{} {ALICE}", t.relay_a)
    );
    raw_answer(&mut t.net, f, &got, 200);
    let back = format!("{} {ALICE}", t.relay_a);
    t.net.send_raw(
        f,
        &send_request("farsend1", &back, far, "msg00002", b"back", None),
    );
    let ok = next_chunk(&mut t.net, f);
    assert_eq!(ok.head().response_code(), Some(200));
    let chunks = settle(&mut t.net, t.a, Duration::from_secs(1));
    let delivered: Vec<_> = chunks
        .iter()
        .filter(|c| c.head().method() == Some(&Method::Send))
        .collect();
    assert_eq!(delivered.len(), 1, "{chunks:?}");
    assert_eq!(delivered[0].head().to_path().to_string(), ALICE);
    assert_eq!(
        delivered[0].head().from_path().to_string(),
        format!("{} {far}", t.relay_a)
    );
}

/// RFC 4976 §6.4.2, §6.4.3: a request other than SEND is forwarded the
/// same way, and its response comes back end to end under the original
/// transaction id with the path algebra applied once more.
#[test]
fn non_send_requests_get_end_to_end_responses() {
    let mut t = two();
    let nick = format!(
        "MSRP nick0001 NICKNAME\r\nTo-Path: {}\r\nFrom-Path: {ALICE}\r\nUse-Nickname: \"al\"\r\n-------nick0001$\r\n",
        t.to_bob()
    );
    t.net.send_raw(t.a, nick.as_bytes());
    let got = next_chunk(&mut t.net, t.b);
    assert_eq!(got.head().method(), Some(&Method::Nickname));
    assert_ne!(got.head().transaction_id(), "nick0001");
    assert_eq!(got.head().header("Use-Nickname"), Some("\"al\""));
    // Bob answers along the whole From-Path (RFC 4975 §7.2).
    let tid = got.head().transaction_id();
    let answer = format!(
        "MSRP {tid} 425 Taken\r\nTo-Path: {}\r\nFrom-Path: {BOB}\r\n-------{tid}$\r\n",
        got.head().from_path()
    );
    t.net.send_raw(t.b, answer.as_bytes());
    let back = next_chunk(&mut t.net, t.a);
    assert_eq!(back.head().transaction_id(), "nick0001");
    assert_eq!(back.head().response_code(), Some(425));
    assert_eq!(back.head().response_comment(), Some("Taken"));
    assert_eq!(back.head().to_path().to_string(), ALICE);
    assert_eq!(
        back.head().from_path().to_string(),
        format!("{} {} {BOB}", t.relay_a, t.relay_b)
    );
}

/// REPORTs are forwarded like other requests and never answered
/// (RFC 4975 §7.1.2).
#[test]
fn reports_are_forwarded_and_not_answered() {
    let mut t = two();
    let report = format!(
        "MSRP rep00001 REPORT\r\nTo-Path: {}\r\nFrom-Path: {ALICE}\r\nMessage-ID: m1234\r\n\
         Byte-Range: 1-2/2\r\nStatus: 000 200 OK\r\n-------rep00001$\r\n",
        t.to_bob()
    );
    t.net.send_raw(t.a, report.as_bytes());
    let got = next_chunk(&mut t.net, t.b);
    assert_eq!(got.head().method(), Some(&Method::Report));
    assert_eq!(got.head().status().unwrap().code, 200);
    assert!(settle(&mut t.net, t.a, Duration::from_secs(1)).is_empty());
}

/// A SEND without Message-ID is refused 400 (RFC 4975 §7.1).
#[test]
fn send_without_message_id_is_refused() {
    let mut t = two();
    let text = format!(
        "MSRP send0001 SEND\r\nTo-Path: {}\r\nFrom-Path: {ALICE}\r\nByte-Range: 1-2/2\r\n\
         Content-Type: text/plain\r\n\r\nhi\r\n-------send0001$\r\n",
        t.to_bob()
    );
    t.net.send_raw(t.a, text.as_bytes());
    assert_eq!(
        next_chunk(&mut t.net, t.a).head().response_code(),
        Some(400)
    );
    assert!(settle(&mut t.net, t.b, Duration::from_secs(1)).is_empty());
}
