//! NICKNAME (RFC 7701 §7.1): a participant asks a chat room's focus for a
//! nickname; the focus answers 200, 424 (malformed nickname), 425 (reserved
//! or already in use), or another code.
//!
//! As a participant, a connection sends the request — the session's paths
//! and a quoted `Use-Nickname`, nothing else — and reports exactly one
//! answer per request: the peer's code, or 408 (timeout, session or
//! connection gone). As an endpoint it answers an incoming NICKNAME 501
//! (RFC 4975 §10.9) unless the application is a focus
//! (`SessionConfig::nicknames`); then each well-formed one is an event for
//! the application to answer, at most `Config::max_pending_nicknames` at a
//! time.

mod common;

use std::time::Duration;

use common::*;
use msrp_proto::Path;
use msrp_proto::connection::{
    CommandError, Config, Event, RequestId, SessionConfig, SessionHandle,
};
use msrp_proto::wire::{ChunkHead, Continuation, Method};

const RELAY_A: &str = "msrps://127.0.0.1:2856/relaya1;tcp";
const RELAY_B: &str = "msrps://127.0.0.1:2857/relayb1;tcp";

/// (session, request, code, comment) of each `NicknameResult` in `events`.
fn results(events: &[Event]) -> Vec<(SessionHandle, RequestId, u16, Option<String>)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::NicknameResult {
                session,
                request,
                code,
                comment,
            } => Some((*session, *request, *code, comment.clone())),
            _ => None,
        })
        .collect()
}

/// (session, request, nickname) of each `NicknameRequest` in `events`.
fn requests(events: &[Event]) -> Vec<(SessionHandle, RequestId, String)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::NicknameRequest {
                session,
                request,
                nickname,
            } => Some((*session, *request, nickname.clone())),
            _ => None,
        })
        .collect()
}

/// Alice, bound, sends a NICKNAME; returns the request id and the request
/// as its peer parsed it.
fn alice_asks(alice: &mut Solo, session: SessionHandle, nickname: &str) -> (RequestId, Sent) {
    let request = alice.conn.set_nickname(session, nickname).unwrap();
    let mut sent = alice.transmit();
    assert_eq!(sent.len(), 1, "one request");
    (request, sent.remove(0))
}

/// A NICKNAME to Bob from `from`, with `headers` after the paths and an
/// optional text body.
fn nickname_to_bob(
    tid: &str,
    from: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> Vec<u8> {
    let mut head = ChunkHead::request(Method::Nickname, tid)
        .header("To-Path", BOB)
        .header("From-Path", from);
    for (name, value) in headers {
        head = head.header(name, value);
    }
    if body.is_some() {
        head = head.content_type("text/plain");
    }
    encode(head.build().unwrap(), body, Continuation::Complete)
}

/// Bob (passive) with `session` applied to his session configuration,
/// bound by Alice's bodiless SEND from `from`; his 200 is taken off.
fn bob_bound(
    config: Config,
    from: &str,
    session: impl FnOnce(SessionConfig) -> SessionConfig,
) -> (Solo, SessionHandle) {
    let (mut bob, handle) = Solo::passive_with(config, session);
    bob.feed(&RawSend::bodiless("bind0001", "msgB0001").from(from).bytes());
    assert!(bob.conn.is_bound(handle));
    assert_eq!(bob.transmit().len(), 1, "the binding SEND's 200");
    bob.take_events();
    (bob, handle)
}

/// A focus: Bob with nicknames on, bound by Alice.
fn focus(config: Config) -> (Solo, SessionHandle) {
    bob_bound(config, ALICE, |s| s.nicknames(true))
}

/// The one response Bob sent: (code, To-Path, From-Path).
fn one_response(bob: &mut Solo) -> (u16, String, String) {
    let sent = bob.transmit();
    assert_eq!(sent.len(), 1, "one response: {sent:?}");
    let head = &sent[0].head;
    (
        head.response_code().expect("a response"),
        head.to_path().to_string(),
        head.from_path().to_string(),
    )
}

// ---- sending ---------------------------------------------------------

/// RFC 7701 §7.1: the session's To-Path and From-Path, `Use-Nickname` as a
/// quoted-string, and nothing else: no Message-ID, Byte-Range or report
/// headers, no body.
#[test]
fn the_request_on_the_wire() {
    let (mut alice, session) = Solo::active(Config::default());
    alice.conn.set_nickname(session, "alice").unwrap();
    let bytes = alice.transmit_once().expect("the request");
    assert!(alice.transmit_once().is_none(), "one piece");
    let tid = alice.log.last().unwrap().tid().to_owned();
    let expected = format!(
        "MSRP {tid} NICKNAME\r\nTo-Path: {BOB}\r\nFrom-Path: {ALICE}\r\n\
         Use-Nickname: \"alice\"\r\n-------{tid}$\r\n"
    );
    assert_eq!(std::str::from_utf8(&bytes).unwrap(), expected);
    let sent = alice.unsent_log().remove(0);
    assert_eq!(sent.head.method(), Some(&Method::Nickname));
    assert!(!sent.head.has_body());
    let names: Vec<&str> = sent.head.headers().map(|(name, _)| name).collect();
    assert_eq!(names, ["To-Path", "From-Path", "Use-Nickname"]);
    assert_eq!(sent.head.use_nickname().as_deref(), Some("alice"));
    assert_eq!(alice.conn.pending_transactions(), 1);
}

/// Behind relays the request goes out with the session's paths like any
/// request: this side's relays, then the peer's path (RFC 4976 §5.1).
#[test]
fn through_relays_the_request_follows_the_session_paths() {
    let mut alice = Solo::new(Config::default(), [3; 32]);
    let remote = Path::new(vec![uri(RELAY_B), uri(BOB)]).unwrap();
    let session = alice
        .conn
        .open_session(
            SessionConfig::new(uri(ALICE))
                .local_relays([uri(RELAY_A)])
                .remote_path(remote),
        )
        .unwrap();
    let bind = alice.transmit().remove(0);
    alice.feed(&response_to(&bind.head, 200));
    let (request, sent) = alice_asks(&mut alice, session, "alice");
    assert_eq!(
        sent.head.to_path().to_string(),
        format!("{RELAY_A} {RELAY_B} {BOB}")
    );
    assert_eq!(sent.head.from_path().to_string(), ALICE);
    // The answer comes back from the first relay, under the request's tid.
    alice.feed(&response_to(&sent.head, 200));
    assert_eq!(
        results(&alice.take_events()),
        [(session, request, 200, Some("test".into()))]
    );
}

/// Whatever code the focus answers is reported, once, with its comment:
/// 200, RFC 7701's 424 and 425, 428, a non-focus's 501, and others.
#[test]
fn every_answer_is_reported_once() {
    let (mut alice, session) = Solo::active(Config::default());
    for code in [200, 424, 425, 428, 400, 403, 481, 501] {
        let (request, sent) = alice_asks(&mut alice, session, "alice");
        alice.feed(&response_to(&sent.head, code));
        assert_eq!(
            results(&alice.take_events()),
            [(session, request, code, Some("test".into()))],
            "{code}"
        );
        // A repeated response finds nothing.
        alice.feed(&response_to(&sent.head, 200));
        assert!(results(&alice.take_events()).is_empty());
        assert_eq!(alice.conn.pending_transactions(), 0);
    }
}

/// RFC 4975 §7.1.1: no response within the transaction timeout counts as
/// 408; a late response is then ignored.
#[test]
fn no_answer_is_a_408_after_the_transaction_timeout() {
    let mut config = Config::default();
    config.transaction_timeout = Duration::from_secs(30);
    let (mut alice, session) = Solo::active(config);
    let start = alice.now;
    let (request, sent) = alice_asks(&mut alice, session, "alice");
    assert_eq!(
        alice.conn.poll_timeout(),
        Some(start + Duration::from_secs(30))
    );
    alice.advance(Duration::from_millis(29_999));
    assert!(results(&alice.take_events()).is_empty());
    alice.advance(Duration::from_millis(1));
    assert_eq!(
        results(&alice.take_events()),
        [(session, request, 408, Some("no response in time".into()))]
    );
    alice.feed(&response_to(&sent.head, 200));
    assert!(results(&alice.take_events()).is_empty());
    assert!(
        !alice.conn.is_closed(),
        "a NICKNAME timeout ends nothing else"
    );
}

/// The session or connection going first is a 408 too: every request gets
/// exactly one answer.
#[test]
fn a_session_or_connection_ending_first_answers_408() {
    let (mut alice, session) = Solo::active(Config::default());
    let (first, _) = alice_asks(&mut alice, session, "alice");
    alice.conn.close_session(session).unwrap();
    let got = results(&alice.take_events());
    assert_eq!(got.len(), 1);
    assert_eq!((got[0].1, got[0].2), (first, 408));

    let (mut alice, session) = Solo::active(Config::default());
    let (second, _) = alice_asks(&mut alice, session, "alice");
    alice.eof();
    let got = results(&alice.take_events());
    assert_eq!(got.len(), 1);
    assert_eq!((got[0].1, got[0].2), (second, 408));
}

/// Only on a bound session, and only while the connection is open.
#[test]
fn only_a_bound_session_can_ask() {
    let (mut alice, session) = Solo::active_unbound(Config::default());
    assert_eq!(
        alice.conn.set_nickname(session, "alice"),
        Err(CommandError::NotBound)
    );
    let (mut alice, session) = Solo::active(Config::default());
    alice.conn.close_session(session).unwrap();
    assert_eq!(
        alice.conn.set_nickname(session, "alice"),
        Err(CommandError::UnknownSession)
    );
    let (mut alice, session) = Solo::active(Config::default());
    alice.conn.shutdown();
    assert_eq!(
        alice.conn.set_nickname(session, "alice"),
        Err(CommandError::Closed)
    );
}

/// RFC 4975 §9 `quoted-string`: `"` and `\` are escaped with `\`; HTAB,
/// spaces and non-ASCII go as they are; an empty nickname is `""`.
#[test]
fn quotes_and_backslashes_are_escaped() {
    let (mut alice, session) = Solo::active(Config::default());
    for (nickname, on_the_wire) in [
        (r#"say "hi""#, r#""say \"hi\"""#),
        (r"back\slash", r#""back\\slash""#),
        (r#"\""#, r#""\\\"""#),
        ("Zoë 🦀\tthe crab", "\"Zoë 🦀\tthe crab\""),
        ("", "\"\""),
    ] {
        let (_, sent) = alice_asks(&mut alice, session, nickname);
        assert_eq!(sent.head.header("Use-Nickname"), Some(on_the_wire));
        assert_eq!(sent.head.use_nickname().as_deref(), Some(nickname));
    }
}

/// What a quoted-string cannot carry is refused before anything is sent:
/// CR and LF would end the header line (and smuggle in another), other
/// controls are not `qdtext`; a value longer than a header line may be is
/// refused too.
#[test]
fn a_nickname_that_cannot_be_encoded_is_refused() {
    let (mut alice, session) = Solo::active(Config::default());
    let too_long = "n".repeat(Config::default().limits.max_header_line);
    for nickname in [
        "alice\r\nMessage-ID: x",
        "a\rb",
        "a\nb",
        "nul\0",
        "esc\x1b",
        "del\x7f",
        too_long.as_str(),
    ] {
        assert_eq!(
            alice.conn.set_nickname(session, nickname),
            Err(CommandError::InvalidNickname),
            "{nickname:?}"
        );
    }
    assert!(alice.transmit().is_empty());
    assert_eq!(alice.conn.pending_transactions(), 0);
    // The longest that fits still goes.
    let longest = "n".repeat(Config::default().limits.max_header_line - 16);
    assert!(alice.conn.set_nickname(session, &longest).is_ok());
}

/// At most `max_pending_nicknames` wait for an answer.
#[test]
fn requests_waiting_for_an_answer_are_bounded() {
    let mut config = Config::default();
    config.max_pending_nicknames = 2;
    let (mut alice, session) = Solo::active(config);
    let (_, first) = alice_asks(&mut alice, session, "one");
    alice_asks(&mut alice, session, "two");
    assert_eq!(
        alice.conn.set_nickname(session, "three"),
        Err(CommandError::TooManyRequests)
    );
    alice.feed(&response_to(&first.head, 425));
    assert!(alice.conn.set_nickname(session, "three").is_ok());
}

// ---- receiving as a participant ---------------------------------------

/// RFC 7701 §7.1 sends NICKNAME to a focus only; an endpoint that is no
/// focus does not implement the method: 501 (RFC 4975 §10.9). Like any
/// response to a request other than SEND, it goes back along the whole
/// From-Path (RFC 4975 §7.2), here through Alice's relay.
#[test]
fn a_participant_answers_501_along_the_whole_from_path() {
    let from = format!("{RELAY_A} {ALICE}");
    let (mut bob, _) = bob_bound(Config::default(), &from, |s| {
        s.remote_path(Path::new(vec![uri(RELAY_A), uri(ALICE)]).unwrap())
    });
    bob.feed(&nickname_to_bob(
        "nick0001",
        &from,
        &[("Use-Nickname", "\"alice\"")],
        None,
    ));
    assert_eq!(one_response(&mut bob), (501, from, BOB.to_owned()));
    assert!(requests(&bob.take_events()).is_empty());
    assert!(!bob.conn.is_closed());
}

/// RFC 4975 §7.3: a request for no session on this connection, from
/// another path than the session's, or for a session not bound yet gets
/// 481 — with nicknames on or off.
#[test]
fn a_nickname_for_no_bound_session_gets_481() {
    let nickname = [("Use-Nickname", "\"alice\"")];
    for nicknames in [false, true] {
        let (mut bob, _) = bob_bound(Config::default(), ALICE, |s| s.nicknames(nicknames));
        let stranger = "msrp://127.0.0.1:9999/stranger1;tcp";
        bob.feed(&nickname_to_bob("nick0001", stranger, &nickname, None));
        assert_eq!(one_response(&mut bob).0, 481);
        let mut other = ChunkHead::request(Method::Nickname, "nick0002")
            .header("To-Path", "msrp://127.0.0.1:8888/other123;tcp")
            .header("From-Path", ALICE)
            .header("Use-Nickname", "\"alice\"");
        other = other.header("Failure-Report", "no");
        bob.feed(&encode(
            other.build().unwrap(),
            None,
            Continuation::Complete,
        ));
        assert_eq!(
            one_response(&mut bob).0,
            481,
            "no Failure-Report for NICKNAME"
        );
        assert!(requests(&bob.take_events()).is_empty());

        let (mut unbound, _) = Solo::passive_with(Config::default(), |s| s.nicknames(nicknames));
        unbound.feed(&nickname_to_bob("nick0003", ALICE, &nickname, None));
        assert_eq!(one_response(&mut unbound).0, 481);
        assert!(
            !unbound
                .conn
                .is_bound(unbound.conn.sessions().next().unwrap())
        );
    }
}

// ---- receiving as a focus ---------------------------------------------

/// With `nicknames` on, a NICKNAME is the application's to answer; the
/// answer goes back along the whole From-Path.
#[test]
fn a_focus_gets_the_request_and_answers_it() {
    let (mut bob, session) = focus(Config::default());
    bob.feed(&nickname_to_bob(
        "nick0001",
        ALICE,
        &[("Use-Nickname", r#""Alice \"the\" \\ Great""#)],
        None,
    ));
    assert!(bob.transmit().is_empty(), "no automatic answer");
    let got = requests(&bob.take_events());
    assert_eq!(got.len(), 1);
    let (s, request, nickname) = got[0].clone();
    assert_eq!((s, nickname.as_str()), (session, r#"Alice "the" \ Great"#));
    assert_eq!(bob.conn.unanswered_nicknames(), 1);
    bob.conn.answer_nickname(request, 425).unwrap();
    assert_eq!(
        one_response(&mut bob),
        (425, ALICE.to_owned(), BOB.to_owned())
    );
    let sent = bob.log.last().unwrap();
    assert_eq!(sent.tid(), "nick0001");
    assert_eq!(
        sent.head.response_comment(),
        Some("Nickname reserved or already in use")
    );
    assert_eq!(bob.conn.unanswered_nicknames(), 0);
    assert_eq!(
        bob.conn.answer_nickname(request, 200),
        Err(CommandError::UnknownRequest),
        "answered once"
    );
}

/// An empty nickname is a request like any other (SylkServer drops the
/// participant's nickname on it); a Message-ID changes nothing.
#[test]
fn a_focus_takes_an_empty_nickname_and_ignores_a_message_id() {
    let (mut bob, session) = focus(Config::default());
    bob.feed(&nickname_to_bob(
        "nick0001",
        ALICE,
        &[("Use-Nickname", "\"\""), ("Message-ID", "msg00001")],
        None,
    ));
    let got = requests(&bob.take_events());
    assert_eq!(got.len(), 1);
    assert_eq!((got[0].0, got[0].2.as_str()), (session, ""));
    bob.conn.answer_nickname(got[0].1, 200).unwrap();
    assert_eq!(one_response(&mut bob).0, 200);
}

/// RFC 7701 §7.1: exactly a Use-Nickname, no report headers, no body.
/// Anything else is unintelligible: 400 (RFC 4975 §10.2), as msrplib
/// answers it; a Use-Nickname that is no quoted-string fails the parser's
/// check of the header, with the same 400.
#[test]
fn a_focus_answers_a_malformed_nickname_400() {
    type Case<'a> = (&'a [(&'a str, &'a str)], Option<&'a [u8]>);
    let cases: [Case<'_>; 4] = [
        (&[], None),
        (
            &[("Use-Nickname", "\"alice\""), ("Success-Report", "no")],
            None,
        ),
        (
            &[("Use-Nickname", "\"alice\""), ("Failure-Report", "yes")],
            None,
        ),
        (&[("Use-Nickname", "\"alice\"")], Some(b"a body")),
    ];
    let (mut bob, _) = focus(Config::default());
    for (i, (headers, body)) in cases.into_iter().enumerate() {
        let tid = format!("bad{i:05}");
        bob.feed(&nickname_to_bob(&tid, ALICE, headers, body));
        let (code, to, _) = one_response(&mut bob);
        assert_eq!((code, to.as_str()), (400, ALICE), "{headers:?} {body:?}");
        assert_eq!(bob.log.last().unwrap().tid(), tid);
    }
    // Unquoted, as msrplib writes it: the parser refuses the header.
    bob.feed(
        format!(
            "MSRP unquoted NICKNAME\r\nTo-Path: {BOB}\r\nFrom-Path: {ALICE}\r\n\
             Use-Nickname: alice\r\n-------unquoted$\r\n"
        )
        .as_bytes(),
    );
    assert_eq!(
        one_response(&mut bob),
        (400, ALICE.to_owned(), BOB.to_owned())
    );
    assert!(requests(&bob.take_events()).is_empty());
    assert_eq!(bob.conn.unanswered_nicknames(), 0);
    assert!(!bob.conn.is_closed());
}

/// At most `max_pending_nicknames` wait for the application; more are
/// refused with 403 at once, never held without bound.
#[test]
fn a_focus_holds_a_bounded_number_of_unanswered_requests() {
    let mut config = Config::default();
    config.max_pending_nicknames = 2;
    let (mut bob, _) = focus(config);
    let nickname = [("Use-Nickname", "\"alice\"")];
    bob.feed(&nickname_to_bob("nick0001", ALICE, &nickname, None));
    bob.feed(&nickname_to_bob("nick0002", ALICE, &nickname, None));
    assert!(bob.transmit().is_empty());
    bob.feed(&nickname_to_bob("nick0003", ALICE, &nickname, None));
    assert_eq!(one_response(&mut bob).0, 403);
    let got = requests(&bob.take_events());
    assert_eq!(got.len(), 2);
    bob.conn.answer_nickname(got[0].1, 200).unwrap();
    assert_eq!(one_response(&mut bob).0, 200);
    bob.feed(&nickname_to_bob("nick0004", ALICE, &nickname, None));
    assert!(bob.transmit().is_empty(), "room again");
    assert_eq!(requests(&bob.take_events()).len(), 1);
}

/// Requests of a session that is gone can no longer be answered; a status
/// code a response cannot carry is refused.
#[test]
fn a_focus_cannot_answer_what_is_gone_or_with_a_bad_code() {
    let (mut bob, session) = focus(Config::default());
    bob.feed(&nickname_to_bob(
        "nick0001",
        ALICE,
        &[("Use-Nickname", "\"alice\"")],
        None,
    ));
    let request = requests(&bob.take_events())[0].1;
    for code in [0, 99, 199, 1000] {
        assert_eq!(
            bob.conn.answer_nickname(request, code),
            Err(CommandError::InvalidStatusCode(code))
        );
    }
    bob.conn.close_session(session).unwrap();
    assert_eq!(bob.conn.unanswered_nicknames(), 0);
    assert_eq!(
        bob.conn.answer_nickname(request, 200),
        Err(CommandError::UnknownRequest)
    );
    bob.conn.close();
    assert_eq!(
        bob.conn.answer_nickname(request, 200),
        Err(CommandError::Closed)
    );
}

// ---- both sides ---------------------------------------------------------

/// A participant and a focus, end to end: the focus grants "alice" and
/// refuses a name it has given out with 425; a participant without the
/// option answers 501.
#[test]
fn participant_and_focus_end_to_end() {
    let (mut alice, a) = Solo::active_unbound(Config::default());
    let (mut bob, b) = Solo::passive_with(Config::default(), |s| s.nicknames(true));
    shuttle(&mut alice, &mut bob);
    assert!(alice.conn.is_bound(a) && bob.conn.is_bound(b));
    alice.take_events();
    bob.take_events();

    let mut taken = Vec::new();
    for (nickname, code) in [("alice", 200), ("alice", 425)] {
        let request = alice.conn.set_nickname(a, nickname).unwrap();
        shuttle(&mut alice, &mut bob);
        for (session, incoming, name) in requests(&bob.take_events()) {
            assert_eq!(session, b);
            let answer = if taken.contains(&name) { 425 } else { 200 };
            taken.push(name);
            bob.conn.answer_nickname(incoming, answer).unwrap();
        }
        shuttle(&mut alice, &mut bob);
        let got = results(&alice.take_events());
        assert_eq!(got.len(), 1);
        assert_eq!((got[0].0, got[0].1, got[0].2), (a, request, code));
    }

    // Bob asks Alice, who is no focus.
    let request = bob.conn.set_nickname(b, "bob").unwrap();
    shuttle(&mut alice, &mut bob);
    assert!(requests(&alice.take_events()).is_empty());
    let got = results(&bob.take_events());
    assert_eq!((got[0].1, got[0].2), (request, 501));
    for solo in [&alice, &bob] {
        assert_eq!(solo.conn.pending_transactions(), 0);
        assert_eq!(solo.conn.unanswered_nicknames(), 0);
    }
}
