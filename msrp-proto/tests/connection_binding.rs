//! Binding a session to a connection (RFC 4975 §5.4): the active side's
//! first SEND binds it; the passive side binds on the first valid request,
//! refuses requests for sessions it does not hold (481), and a server with
//! many connections refuses a session bound elsewhere (506).

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use common::*;
use msrp_proto::connection::{
    CommandError, Config, Connection, Event, Outcome, OutgoingMessage, SessionConfig, SessionHandle,
};
use msrp_proto::sim::Pair;
use msrp_proto::wire::Continuation;

const CAROL: &str = "msrp://127.0.0.1:9999/carol777;tcp";

fn text(body: &'static str) -> OutgoingMessage {
    OutgoingMessage::new("text/plain").body(Bytes::from_static(body.as_bytes()))
}

/// Two fresh connections joined by the simulator, a with seed 1, b with seed 2.
fn pair(config_a: Config, config_b: Config) -> Pair {
    let now = epoch();
    let a = Connection::new(Arc::new(config_a), [1; 32], now);
    let b = Connection::new(Arc::new(config_b), [2; 32], now);
    Pair::new(a, b, now, 11)
}

fn bound_events(events: &[Event]) -> Vec<(SessionHandle, String)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::SessionBound {
                session,
                remote_path,
            } => Some((*session, remote_path.to_string())),
            _ => None,
        })
        .collect()
}

fn failed_events(events: &[Event]) -> Vec<(SessionHandle, u16)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::SessionFailed { session, code, .. } => Some((*session, *code)),
            _ => None,
        })
        .collect()
}

fn session_settled(events: &[Event]) -> bool {
    events.iter().any(|e| {
        matches!(
            e,
            Event::SessionBound { .. } | Event::SessionFailed { .. } | Event::Closed { .. }
        )
    })
}

#[test]
fn the_active_sides_send_binds_and_the_passive_side_reports_the_peer_path() {
    let mut p = pair(Config::default(), Config::default());
    // §5.4: the passive side need not know the peer's path in advance; it
    // learns it from the binding request's From-Path.
    let bob =
        p.b.conn
            .expect_session(SessionConfig::new(uri(BOB)))
            .unwrap();
    let alice =
        p.a.conn
            .open_session(SessionConfig::new(uri(ALICE)).remote_path(uri(BOB).into()))
            .unwrap();
    assert!(!p.a.conn.is_bound(alice) && !p.b.conn.is_bound(bob));
    assert!(p.drive_until(|p| p.a.conn.is_bound(alice) && p.b.conn.is_bound(bob)));
    assert_eq!(bound_events(&p.a.events), [(alice, BOB.to_owned())]);
    assert_eq!(bound_events(&p.b.events), [(bob, ALICE.to_owned())]);
    assert_eq!(
        p.b.conn.remote_path(bob).map(ToString::to_string),
        Some(ALICE.to_owned())
    );
    // The learnt path is used: Bob can now send to Alice.
    let id = p.b.conn.send_message(bob, text("hello Alice")).unwrap();
    p.drive();
    assert_eq!(
        received_messages(&p.a.take_events()),
        [(id, b"hello Alice".to_vec())]
    );
}

#[test]
fn crossing_binds_both_succeed() {
    // Both sides think they are active and send a binding SEND at once.
    let mut p = pair(Config::default(), Config::default());
    let alice =
        p.a.conn
            .open_session(SessionConfig::new(uri(ALICE)).remote_path(uri(BOB).into()))
            .unwrap();
    let bob =
        p.b.conn
            .open_session(SessionConfig::new(uri(BOB)).remote_path(uri(ALICE).into()))
            .unwrap();
    assert!(p.drive_until(|p| p.a.conn.is_bound(alice) && p.b.conn.is_bound(bob)));
    p.drive_for(Duration::from_millis(10));
    for (side, session, remote) in [(&p.a, alice, BOB), (&p.b, bob, ALICE)] {
        assert_eq!(bound_events(&side.events), [(session, remote.to_owned())]);
        assert!(failed_events(&side.events).is_empty());
        assert!(!side.closed);
    }
    let to_bob = p.a.conn.send_message(alice, text("one")).unwrap();
    let to_alice = p.b.conn.send_message(bob, text("two")).unwrap();
    p.drive();
    let (a, b) = (p.a.take_events(), p.b.take_events());
    assert_eq!(
        one_outcome_each(&a, std::slice::from_ref(&to_bob)),
        [Outcome::Delivered]
    );
    assert_eq!(
        one_outcome_each(&b, std::slice::from_ref(&to_alice)),
        [Outcome::Delivered]
    );
    assert_eq!(received_messages(&b), [(to_bob, b"one".to_vec())]);
    assert_eq!(received_messages(&a), [(to_alice, b"two".to_vec())]);
}

#[test]
fn a_request_for_an_unknown_session_gets_481_and_fails_the_senders_session() {
    let mut p = pair(Config::default(), Config::default());
    let bob =
        p.b.conn
            .expect_session(SessionConfig::new(uri(BOB)).remote_path(uri(ALICE).into()))
            .unwrap();
    let wrong = "msrp://127.0.0.1:8888/nosuch99;tcp";
    let alice =
        p.a.conn
            .open_session(SessionConfig::new(uri(ALICE)).remote_path(uri(wrong).into()))
            .unwrap();
    // Queued behind the bind: it fails with the bind's code.
    let queued = p.a.conn.send_message(alice, text("anyone?")).unwrap();
    assert!(p.drive_until(|p| session_settled(&p.a.events)));
    assert_eq!(failed_events(&p.a.events), [(alice, 481)]);
    let outcome = one_outcome_each(&p.a.events, &[queued]);
    assert!(matches!(outcome[..], [Outcome::Failed { code: 481, .. }]));
    assert!(p.a.conn.sessions().next().is_none(), "the session is gone");
    assert!(!p.b.conn.is_bound(bob));
    assert!(bound_events(&p.b.events).is_empty());
}

#[test]
fn a_request_from_another_path_gets_481_and_does_not_bind() {
    let mut p = pair(Config::default(), Config::default());
    let bob =
        p.b.conn
            .expect_session(SessionConfig::new(uri(BOB)).remote_path(uri(ALICE).into()))
            .unwrap();
    // Carol addresses Bob's session, but Bob expects Alice (§7.3: From-Path
    // must match the session's remote path).
    let carol =
        p.a.conn
            .open_session(SessionConfig::new(uri(CAROL)).remote_path(uri(BOB).into()))
            .unwrap();
    assert!(p.drive_until(|p| session_settled(&p.a.events)));
    assert_eq!(failed_events(&p.a.events), [(carol, 481)]);
    assert!(!p.b.conn.is_bound(bob));
    assert!(bound_events(&p.b.events).is_empty());
    // The expected session is still there for the right peer.
    let alice =
        p.a.conn
            .open_session(SessionConfig::new(uri(ALICE)).remote_path(uri(BOB).into()))
            .unwrap();
    assert!(p.drive_until(|p| p.a.conn.is_bound(alice)));
    assert!(p.b.conn.is_bound(bob));
}

/// The server's view of which connection holds which session.
type Registry = HashMap<String, usize>;

/// Runs a client/server pair, answering the server's bind requests from the
/// registry: accept if the session is free or already here, else 506.
fn serve(p: &mut Pair, registry: &mut Registry, connection: usize) {
    loop {
        p.drive_until(|p| {
            session_settled(&p.a.events)
                || p.b
                    .events
                    .iter()
                    .any(|e| matches!(e, Event::BindRequest(_)))
        });
        let requests: Vec<_> =
            p.b.events
                .iter()
                .filter_map(|e| match e {
                    Event::BindRequest(request) => Some(request.clone()),
                    _ => None,
                })
                .collect();
        p.b.events.retain(|e| !matches!(e, Event::BindRequest(_)));
        if requests.is_empty() {
            return;
        }
        for request in requests {
            assert!(
                !p.b.conn.wants_input(),
                "no input while a bind request waits"
            );
            let sid = request.local_uri.session_id().unwrap().to_owned();
            match registry.get(&sid) {
                Some(&holder) if holder != connection => p.b.conn.reject_bind(506).unwrap(),
                _ => {
                    registry.insert(sid, connection);
                    p.b.conn
                        .accept_bind(
                            SessionConfig::new(request.local_uri.clone())
                                .remote_path(request.remote_path.clone()),
                        )
                        .unwrap();
                }
            }
        }
    }
}

#[test]
fn a_session_bound_on_another_connection_is_refused_with_506() {
    let mut server = Config::default();
    server.ask_to_bind = true;
    let mut registry = Registry::new();

    // Connection 1: Alice binds Bob's session.
    let mut first = pair(Config::default(), server.clone());
    let alice = first
        .a
        .conn
        .open_session(SessionConfig::new(uri(ALICE)).remote_path(uri(BOB).into()))
        .unwrap();
    serve(&mut first, &mut registry, 1);
    assert_eq!(bound_events(&first.a.events), [(alice, BOB.to_owned())]);

    // Connection 2: Carol tries the same session (§5.4, §10: 506).
    let mut second = pair(Config::default(), server);
    let carol = second
        .a
        .conn
        .open_session(SessionConfig::new(uri(CAROL)).remote_path(uri(BOB).into()))
        .unwrap();
    serve(&mut second, &mut registry, 2);
    assert_eq!(failed_events(&second.a.events), [(carol, 506)]);
    assert!(second.b.conn.sessions().next().is_none());

    // The first binding is untouched.
    let id = first
        .a
        .conn
        .send_message(alice, text("still here"))
        .unwrap();
    first.drive();
    assert_eq!(
        received_messages(&first.b.take_events()),
        [(id, b"still here".to_vec())]
    );
}

#[test]
fn accepting_a_bind_request_processes_the_waiting_request() {
    let mut server = Config::default();
    server.ask_to_bind = true;
    let mut p = pair(Config::default(), server);
    assert_eq!(
        p.b.conn.reject_bind(481),
        Err(CommandError::UnknownBindRequest)
    );
    let alice =
        p.a.conn
            .open_session(SessionConfig::new(uri(ALICE)).remote_path(uri(BOB).into()))
            .unwrap();
    let id =
        p.a.conn
            .send_message(alice, text("after the bind"))
            .unwrap();
    assert!(p.drive_until(|p| {
        p.b.events
            .iter()
            .any(|e| matches!(e, Event::BindRequest(_)))
    }));
    let request =
        p.b.events
            .iter()
            .find_map(|e| match e {
                Event::BindRequest(r) => Some(r.clone()),
                _ => None,
            })
            .unwrap();
    assert_eq!(request.local_uri, uri(BOB));
    assert_eq!(request.remote_path.to_string(), ALICE);
    // Until the application answers, nothing more is read, and nothing is
    // answered: Alice is still binding.
    p.drive_for(Duration::from_secs(1));
    assert!(!p.b.conn.wants_input());
    assert!(!p.a.conn.is_bound(alice));

    let bob =
        p.b.conn
            .accept_bind(SessionConfig::new(request.local_uri).remote_path(request.remote_path))
            .unwrap();
    assert_eq!(
        p.b.conn.accept_bind(SessionConfig::new(uri(BOB))),
        Err(CommandError::UnknownBindRequest),
        "answered once"
    );
    p.drive();
    assert_eq!(bound_events(&p.b.events), [(bob, ALICE.to_owned())]);
    assert!(p.a.conn.is_bound(alice));
    assert_eq!(
        received_messages(&p.b.take_events()),
        [(id.clone(), b"after the bind".to_vec())]
    );
    assert_eq!(
        one_outcome_each(&p.a.take_events(), &[id]),
        [Outcome::Delivered]
    );
}

#[test]
fn the_active_side_holds_messages_until_its_bind_is_answered() {
    let (mut alice, session) = Solo::active_unbound(Config::default());
    let id = alice.conn.send_message(session, text("held")).unwrap();
    let first = alice.transmit();
    assert_eq!(first.len(), 1, "only the binding SEND goes out: {first:?}");
    let bind = &first[0];
    assert!(bind.is_send());
    assert!(!bind.head.has_body(), "§5.4: the binding SEND has no body");
    assert_eq!(bind.byte_range(), "1-0/0");
    assert_eq!(bind.flag, Some(Continuation::Complete));
    assert_ne!(bind.head.message_id(), Some(id.as_str()));
    assert_eq!(bind.head.to_path().to_string(), BOB);
    assert_eq!(bind.head.from_path().to_string(), ALICE);

    alice.advance(Duration::from_secs(10));
    assert!(alice.transmit().is_empty(), "still held");
    assert!(one_outcome_each(&alice.events, &[]).is_empty());

    alice.feed(&response_to(&bind.head, 200));
    let next = alice.transmit();
    assert_eq!(next.len(), 1);
    assert_eq!(next[0].head.message_id(), Some(id.as_str()));
    assert_eq!(next[0].byte_range(), "1-4/4");
    assert_eq!(next[0].body, b"held");
}

#[test]
fn session_id_matching_accepts_a_path_whose_host_was_rewritten() {
    // Behind an SBC (RFC 6714), Bob knows himself by a private address and
    // Alice by the address she had before the SBC rewrote it.
    let bob_private = "msrp://10.0.0.2:8888/bob56789;tcp";
    let alice_as_seen = "msrp://192.0.2.7:7777/alice1234;tcp";
    for session_id_only in [true, false] {
        let mut server = Config::default();
        server.match_session_id_only = session_id_only;
        let mut p = pair(Config::default(), server);
        let bob =
            p.b.conn
                .expect_session(
                    SessionConfig::new(uri(bob_private)).remote_path(uri(alice_as_seen).into()),
                )
                .unwrap();
        let alice =
            p.a.conn
                .open_session(SessionConfig::new(uri(ALICE)).remote_path(uri(BOB).into()))
                .unwrap();
        let id = p.a.conn.send_message(alice, text("via the SBC")).unwrap();
        assert!(p.drive_until(|p| session_settled(&p.a.events)));
        if session_id_only {
            assert!(p.b.conn.is_bound(bob));
            p.drive_until(|p| !outcomes(&p.a.events).is_empty());
            assert_eq!(
                one_outcome_each(&p.a.events, std::slice::from_ref(&id)),
                [Outcome::Delivered]
            );
            assert_eq!(
                received_messages(&p.b.events),
                [(id, b"via the SBC".to_vec())]
            );
        } else {
            // The whole-URI comparison of §6.1 refuses it.
            assert_eq!(failed_events(&p.a.events), [(alice, 481)]);
            assert!(!p.b.conn.is_bound(bob));
        }
    }
}
