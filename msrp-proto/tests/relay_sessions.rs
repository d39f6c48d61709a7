//! Sessions of the library's own endpoints through the relay, in virtual
//! time: both sides behind it, one side behind it and the other reached
//! over a connection the relay opens or one the far side opens; a large
//! single chunk streaming through in bounded memory; backpressure; and the
//! interruption that keeps one transfer from holding up another.

mod relay_support;

use std::time::Duration;

use bytes::Bytes;
use msrp_proto::connection::{
    Config, Event, Outcome, OutgoingMessage, ReceiveMode, SessionConfig, SessionHandle,
};
use msrp_proto::relay::RelayConfig;
use msrp_proto::sim::relay::{Listening, RelayNet};
use msrp_proto::wire::{Continuation, Method, SuccessReport};
use msrp_proto::{MsrpUri, Path};
use relay_support::*;

struct Session {
    peer: usize,
    handle: SessionHandle,
}

/// Opens alice's session to `bob_path` (she is behind the relay when
/// `alice_relays` is given), with bob's side already expecting it.
fn bind(
    net: &mut RelayNet,
    (a, alice_relays): (usize, Option<&Path>),
    (b, bob_relays): (usize, Option<&Path>),
    mode: ReceiveMode,
) -> (Session, Session) {
    let mut bob_path: Vec<MsrpUri> = bob_relays.map(|p| p.uris().to_vec()).unwrap_or_default();
    bob_path.push(uri(BOB));
    let mut bob_config = SessionConfig::new(uri(BOB)).receive_mode(mode);
    if let Some(relays) = bob_relays {
        bob_config = bob_config.local_relays(relays.uris().iter().cloned());
    }
    let bob = net.peers[b].endpoint().expect_session(bob_config).unwrap();
    let mut alice_config = SessionConfig::new(uri(ALICE))
        .remote_path(Path::new(bob_path).unwrap())
        .receive_mode(mode);
    if let Some(relays) = alice_relays {
        alice_config = alice_config.local_relays(relays.uris().iter().cloned());
    }
    let alice = net.peers[a].endpoint().open_session(alice_config).unwrap();
    let bound =
        |net: &mut RelayNet, i: usize, s: SessionHandle| net.peers[i].endpoint().is_bound(s);
    assert!(
        net.drive_until(|net| bound(net, a, alice) && bound(net, b, bob)),
        "both bind"
    );
    net.peers[a].take_events();
    net.peers[b].take_events();
    (
        Session {
            peer: a,
            handle: alice,
        },
        Session {
            peer: b,
            handle: bob,
        },
    )
}

/// Sends `body` from `from` to `to` with a success REPORT; checks it
/// arrives whole and is reported delivered.
fn message(net: &mut RelayNet, from: &Session, to: &Session, body: &[u8]) {
    let msg = OutgoingMessage::new("text/plain")
        .body(Bytes::copy_from_slice(body))
        .success_report(SuccessReport::Yes);
    let id = net.peers[from.peer]
        .endpoint()
        .send_message(from.handle, msg)
        .unwrap();
    let mut received = None;
    let mut outcome = None;
    net.drive_until(|net| {
        for event in net.peers[to.peer].take_events() {
            if let Event::MessageReceived { body, .. } = event {
                received = Some(body);
            }
        }
        for event in net.peers[from.peer].take_events() {
            if let Event::Outcome {
                message,
                outcome: o,
                ..
            } = event
            {
                if message == id {
                    outcome = Some(o);
                }
            }
        }
        received.is_some() && outcome.is_some()
    });
    assert_eq!(received.as_deref(), Some(body));
    assert_eq!(outcome, Some(Outcome::Delivered));
}

/// Both behind the relay (RFC 4976 §5.1 path algebra on both sides):
/// messages both ways, success REPORTs back through it.
#[test]
fn both_behind_the_relay() {
    let mut net = net();
    let a = net.connect(endpoint(1), TLS);
    let b = net.connect(endpoint(2), TCP);
    let (alice_relays, _) = authenticate(&mut net, a, "alice", PASSWORD, None, ALICE).unwrap();
    let (bob_relays, _) = authenticate(&mut net, b, "bob", PASSWORD, None, BOB).unwrap();
    assert_eq!(
        bob_relays.first().scheme().as_str(),
        "msrp",
        "the listener's scheme"
    );
    let (alice, bob) = bind(
        &mut net,
        (a, Some(&alice_relays)),
        (b, Some(&bob_relays)),
        ReceiveMode::Assembled,
    );
    assert_eq!(
        net.peers[b]
            .endpoint()
            .remote_path(bob.handle)
            .unwrap()
            .to_string(),
        format!("{alice_relays} {ALICE}")
    );
    message(&mut net, &alice, &bob, b"Hello Bob");
    message(&mut net, &bob, &alice, b"Hi Alice");
    message(&mut net, &alice, &bob, &[0u8, 255, 13, 10, 45, 45]);
}

/// Alice behind the relay calls Bob directly: the relay connects to Bob.
#[test]
fn caller_behind_the_relay_answerer_direct() {
    let mut net = net();
    let a = net.connect(endpoint(1), TLS);
    let (alice_relays, _) = authenticate(&mut net, a, "alice", PASSWORD, None, ALICE).unwrap();
    let mut bob_conn = endpoint(2);
    let bob_session = bob_conn
        .expect_session(SessionConfig::new(uri(BOB)).receive_mode(ReceiveMode::Assembled))
        .unwrap();
    net.listen("bob.example.com", 2855, Listening::Endpoint(bob_conn));
    let alice_handle = net.peers[a]
        .endpoint()
        .open_session(
            SessionConfig::new(uri(ALICE))
                .remote_path(uri(BOB).into())
                .local_relays(alice_relays.uris().iter().cloned())
                .receive_mode(ReceiveMode::Assembled),
        )
        .unwrap();
    assert!(net.drive_until(|net| net.peers.len() == 2 && net.peers[1].endpoint().is_bound(bob_session)));
    net.drive_until(|net| net.peers[a].endpoint().is_bound(alice_handle));
    let alice = Session {
        peer: a,
        handle: alice_handle,
    };
    let bob = Session {
        peer: 1,
        handle: bob_session,
    };
    message(&mut net, &alice, &bob, b"to a direct peer");
    message(
        &mut net,
        &bob,
        &alice,
        b"back through the connection the relay opened",
    );
}

/// Bob behind the relay; Alice, with no relay, connects to the relay
/// herself. Her URI is not reachable (she listens nowhere): Bob's messages
/// go back on her connection (connection reuse).
#[test]
fn answerer_behind_the_relay_caller_direct() {
    let mut net = net();
    let b = net.connect(endpoint(2), TLS);
    let (bob_relays, _) = authenticate(&mut net, b, "bob", PASSWORD, None, BOB).unwrap();
    let a = net.connect(endpoint(1), TLS);
    let (alice, bob) = bind(
        &mut net,
        (a, None),
        (b, Some(&bob_relays)),
        ReceiveMode::Assembled,
    );
    message(&mut net, &alice, &bob, b"from a peer without relay");
    message(&mut net, &bob, &alice, b"back on her own connection");
    // Her successful requests ended her probation: still there after 30 s.
    net.drive_for(Duration::from_secs(40));
    assert!(!net.peers[a].closed_by_relay());
}

/// A 16 MiB message in ONE chunk streams through: the relay never holds
/// more than its queue bound and a read, and the bytes arrive intact.
#[test]
fn a_single_16mib_chunk_streams_through_in_bounded_memory() {
    const SIZE: usize = 16 << 20;
    let mut config = Config::default();
    config.relay_chunk_size = SIZE;
    let mut net = net();
    let a = net.connect(endpoint_with(config, 1), TLS);
    let b = net.connect(endpoint(2), TLS);
    let (alice_relays, _) = authenticate(&mut net, a, "alice", PASSWORD, None, ALICE).unwrap();
    let (bob_relays, _) = authenticate(&mut net, b, "bob", PASSWORD, None, BOB).unwrap();
    let (alice, bob) = bind(
        &mut net,
        (a, Some(&alice_relays)),
        (b, Some(&bob_relays)),
        ReceiveMode::Stream,
    );
    let body: Vec<u8> = (0..SIZE).map(|i| (i * 7 % 251) as u8).collect();
    let msg = OutgoingMessage::new("application/octet-stream")
        .body(Bytes::from(body.clone()))
        .success_report(SuccessReport::Yes);
    net.peers[a]
        .endpoint()
        .send_message(alice.handle, msg)
        .unwrap();
    let mut got = Vec::with_capacity(SIZE);
    let mut chunks = 0;
    let mut delivered = false;
    net.drive_until(|net| {
        for event in net.peers[bob.peer].take_events() {
            match event {
                Event::MessageData { offset, data, .. } => {
                    assert_eq!(offset as usize, got.len());
                    got.extend_from_slice(&data);
                }
                Event::MessageCompleted { chunks: n, .. } => chunks = n,
                _ => {}
            }
        }
        for event in net.peers[alice.peer].take_events() {
            if let Event::Outcome { outcome, .. } = event {
                assert_eq!(outcome, Outcome::Delivered);
                delivered = true;
            }
        }
        delivered && chunks > 0
    });
    assert!(got == body, "the bytes arrive intact");
    assert_eq!(chunks, 1, "one chunk, not re-chunked");
    let bound = net.relay.config().max_queued_bytes + 2 * net.window;
    assert!(
        net.peak_held <= bound,
        "held {} bytes at most (bound {bound})",
        net.peak_held
    );
    assert!(
        net.relay.stats().peak_queued_bytes <= net.relay.config().max_queued_bytes + 256 * 1024
    );
}

/// Backpressure: while Bob reads nothing, the relay stops reading Alice
/// once Bob's queue is full, and goes on when he reads again.
#[test]
fn a_receiver_that_does_not_read_stops_the_sender() {
    let mut config = Config::default();
    config.relay_chunk_size = 4 << 20;
    let mut net = net();
    let a = net.connect(endpoint_with(config, 1), TLS);
    let b = net.connect(endpoint(2), TLS);
    let (alice_relays, _) = authenticate(&mut net, a, "alice", PASSWORD, None, ALICE).unwrap();
    let (bob_relays, _) = authenticate(&mut net, b, "bob", PASSWORD, None, BOB).unwrap();
    let (alice, bob) = bind(
        &mut net,
        (a, Some(&alice_relays)),
        (b, Some(&bob_relays)),
        ReceiveMode::Stream,
    );
    net.peers[bob.peer].stalled = true;
    let msg =
        OutgoingMessage::new("application/octet-stream").body(Bytes::from(vec![7u8; 8 << 20]));
    net.peers[a]
        .endpoint()
        .send_message(alice.handle, msg)
        .unwrap();
    net.drive_for(Duration::from_secs(2));
    let alice_conn = net.peers[a].conn;
    assert!(
        !net.relay.wants_input(alice_conn),
        "the relay stopped reading alice"
    );
    let held = net.relay.stats().queued_bytes + net.relay.stats().buffered_input;
    assert!(held <= (1 << 20) + 256 * 1024, "held {held}");
    net.peers[bob.peer].stalled = false;
    let mut done = false;
    net.drive_until(|net| {
        done |= net.peers[bob.peer]
            .take_events()
            .iter()
            .any(|e| matches!(e, Event::MessageCompleted { size, .. } if *size == 8 << 20));
        done
    });
    assert!(done);
}

/// RFC 4975 §7.1: a long chunk for Bob is interrupted (`+`) so that
/// Carol's short message, from another connection, does not wait for its
/// end; it resumes under a new transaction id from the next byte.
#[test]
fn a_long_chunk_is_interrupted_for_another_connection() {
    let mut config = RelayConfig::new(HOST, REALM);
    config.interrupt_after = 64 * 1024;
    let mut net = net_with(config);
    let mut big = Config::default();
    big.relay_chunk_size = 4 << 20;
    let a = net.connect(endpoint_with(big, 1), TLS);
    let c = net.connect(endpoint(3), TLS);
    let b = net.connect_raw(TLS);
    let (alice_relays, _) = authenticate(&mut net, a, "alice", PASSWORD, None, ALICE).unwrap();
    let (carol_relays, _) = authenticate(&mut net, c, "carol", PASSWORD, None, CAROL).unwrap();
    let bob_relay = raw_grant(&mut net, b, "bob", BOB, None);
    let open = |net: &mut RelayNet, i: usize, local: &str, relays: &Path| {
        let config = SessionConfig::new(uri(local))
            .remote_path(path(&format!("{bob_relay} {BOB}")))
            .local_relays(relays.uris().iter().cloned());
        net.peers[i].endpoint().open_session(config).unwrap()
    };
    let alice = open(&mut net, a, ALICE, &alice_relays);
    let carol = open(&mut net, c, CAROL, &carol_relays);
    // Bob answers the two binding SENDs.
    for _ in 0..2 {
        let bind = next_chunk(&mut net, b);
        raw_answer(&mut net, b, &bind, 200);
    }
    net.drive_until(|net| {
        net.peers[a].endpoint().is_bound(alice) && net.peers[c].endpoint().is_bound(carol)
    });
    net.peers[a]
        .endpoint()
        .send_message(
            alice,
            OutgoingMessage::new("application/octet-stream").body(Bytes::from(vec![1u8; 4 << 20])),
        )
        .unwrap();
    // Bob stops reading: Alice's chunk fills his queue. Then Carol writes,
    // and Bob reads again.
    net.peers[b].stalled = true;
    net.drive_until(|net| net.relay.stats().queued_bytes >= 512 * 1024);
    net.peers[c]
        .endpoint()
        .send_message(
            carol,
            OutgoingMessage::new("text/plain").body(Bytes::from_static(b"short")),
        )
        .unwrap();
    net.drive_for(Duration::from_millis(10));
    net.peers[b].stalled = false;
    let mut seen = Vec::new();
    net.drive_until(|net| {
        for chunk in net.peers[b].raw().take() {
            if chunk.head().method() == Some(&Method::Send) {
                raw_answer(net, b, &chunk, 200);
            }
            seen.push(chunk);
        }
        seen.iter()
            .filter(|c| c.head().from_path().last() == &uri(ALICE))
            .map(|c| c.body().map_or(0, |b| b.len()))
            .sum::<usize>()
            == 4 << 20
    });
    let order: Vec<(String, u64, Continuation, String)> = seen
        .iter()
        .map(|c| {
            (
                c.head().from_path().last().session_id().unwrap().to_owned(),
                c.head().byte_range().unwrap().start,
                c.continuation(),
                c.head().transaction_id().to_owned(),
            )
        })
        .collect();
    let carol_at = order
        .iter()
        .position(|o| o.0 == "carol34567")
        .expect("carol's message");
    let alice_parts: Vec<_> = order.iter().filter(|o| o.0 == "alice12345").collect();
    assert!(alice_parts.len() >= 2, "interrupted: {order:?}");
    assert!(
        order[carol_at + 1..].iter().any(|o| o.0 == "alice12345"),
        "carol's message went before the end of alice's chunk: {order:?}"
    );
    // Every part but the last ends with `+`; each resumes at the next byte
    // under a new transaction id.
    let mut next = 1;
    for (i, part) in alice_parts.iter().enumerate() {
        assert_eq!(part.1, next, "{order:?}");
        let expected = if i + 1 == alice_parts.len() {
            Continuation::Complete
        } else {
            Continuation::More
        };
        assert_eq!(part.2, expected);
        next += seen
            .iter()
            .find(|c| c.head().transaction_id() == part.3)
            .and_then(|c| c.body())
            .map_or(0, |b| b.len() as u64);
    }
    let tids: std::collections::HashSet<_> = alice_parts.iter().map(|p| &p.3).collect();
    assert_eq!(tids.len(), alice_parts.len());
}
