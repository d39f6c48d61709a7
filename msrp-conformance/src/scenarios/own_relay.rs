//! Sessions through this library's own relay ([`RelayServer`](msrp_endpoint::RelayServer)),
//! started in-process on 127.0.0.1 (see [`OwnRelay`]): the client
//! scenarios the Kamailio relay runs, and what only a relay with
//! transaction state and streaming can do — a 64 MiB single chunk in
//! bounded memory, a 408 REPORT for a far side that never answers, 200
//! sessions at once, hostile connections before the real clients.

use std::time::Duration;

use futures_util::future::{join, join_all};
use msrp_endpoint::msrp_proto::MsrpUri;
use msrp_endpoint::msrp_proto::connection::{Outcome, OutgoingMessage};
use msrp_endpoint::msrp_proto::wire::SuccessReport;
use msrp_endpoint::{
    AcceptorRelay, ConnectorRelay, Error, RelayConnection, RelaySettings, Runtime, Session,
};

use crate::own_relay::OwnRelay;
use crate::scenarios::hostile::{all_dropped, hostile_crowd};
use crate::scenarios::relay::{Sides, bind_to_direct, relayed_pair, texts_and_files};
use crate::support::{
    FaultPeer, Security, TRANSFER, WAIT, all_updates, collect_message, local_listener, pattern,
    pattern_sha256, send_text_and_check, single_outcome, text, within,
};

async fn through_our_relay<R: Runtime>(rt: R, security: Security, sides: Sides) {
    let relay = OwnRelay::start(&rt, |_| {}).await;
    let settings = (
        relay.settings(security, "alice"),
        relay.settings(security, "bob"),
    );
    let (mut alice, mut bob) = relayed_pair(&rt, relay.config(), settings, security, sides).await;
    texts_and_files(&rt, &mut alice, &mut bob).await;
}

/// Alice behind our relay calls Bob directly, over TCP: the relay opens
/// the connection to Bob.
pub async fn own_relay_tcp_caller_behind_relay<R: Runtime>(rt: R) {
    through_our_relay(rt, Security::Tcp, Sides::CallerBehindRelay).await;
}

/// [`own_relay_tcp_caller_behind_relay`] over TLS.
pub async fn own_relay_tls_caller_behind_relay<R: Runtime>(rt: R) {
    through_our_relay(rt, Security::Tls, Sides::CallerBehindRelay).await;
}

/// Alice calls Bob, who is behind our relay, over TCP: her connection to
/// the relay carries both directions.
pub async fn own_relay_tcp_answerer_behind_relay<R: Runtime>(rt: R) {
    through_our_relay(rt, Security::Tcp, Sides::AnswererBehindRelay).await;
}

/// [`own_relay_tcp_answerer_behind_relay`] over TLS.
pub async fn own_relay_tls_answerer_behind_relay<R: Runtime>(rt: R) {
    through_our_relay(rt, Security::Tls, Sides::AnswererBehindRelay).await;
}

/// Both behind our relay, over TCP (RFC 4976 §5.1 path algebra through
/// two URIs of one relay).
pub async fn own_relay_tcp_both_behind_relay<R: Runtime>(rt: R) {
    through_our_relay(rt, Security::Tcp, Sides::Both).await;
}

/// [`own_relay_tcp_both_behind_relay`] over TLS.
pub async fn own_relay_tls_both_behind_relay<R: Runtime>(rt: R) {
    through_our_relay(rt, Security::Tls, Sides::Both).await;
}

/// A wrong password (401), a user the relay does not allow (403), and an
/// Expires below the minimum (423, then the minimum granted), over TCP and
/// TLS.
pub async fn own_relay_auth_failures_and_423<R: Runtime>(rt: R) {
    let relay = OwnRelay::start(&rt, |_| {}).await;
    for security in [Security::Tcp, Security::Tls] {
        let uri = relay.uri(security);
        let wrong = RelaySettings::from_uri(&uri, "alice", "not the password");
        let err = within(
            &rt,
            WAIT,
            "a wrong password to be refused",
            RelayConnection::connect(rt.clone(), relay.config(), &wrong),
        )
        .await
        .expect_err("a wrong password");
        assert!(
            matches!(err, Error::Relay { code: 401, .. }),
            "{security:?}: {err:?}"
        );
        assert!(err.to_string().contains(&uri.to_string()), "{err}");

        let forbidden = relay.settings(security, "mallory");
        let err = RelayConnection::connect(rt.clone(), relay.config(), &forbidden)
            .await
            .expect_err("a forbidden user");
        assert!(
            matches!(err, Error::Relay { code: 403, .. }),
            "{security:?}: {err:?}"
        );

        let short = relay.settings(security, "alice").expires(1);
        let granted = RelayConnection::connect(rt.clone(), relay.config(), &short)
            .await
            .expect("granted after the 423");
        assert_eq!(granted.expires(), Duration::from_secs(2));
    }
}

/// With Expires 2 s, the URI is renewed on the same connection again and
/// again while messages keep flowing through it.
pub async fn own_relay_auth_renewed_during_transfer<R: Runtime>(rt: R) {
    let relay = OwnRelay::start(&rt, |_| {}).await;
    let settings = relay.settings(Security::Tcp, "alice").expires(2);
    let connection = RelayConnection::connect(rt.clone(), relay.config(), &settings)
        .await
        .expect("authenticated");
    let alice = ConnectorRelay::with_connection(connection.clone());
    let (alice, mut bob) =
        bind_to_direct(&rt, relay.config(), alice, Security::Tcp, "bobrenewal02").await;
    let until = rt.now() + Duration::from_secs(5);
    let mut sent = 0;
    while rt.now() < until {
        send_text_and_check(&rt, &alice, &mut bob, &format!("message {sent}")).await;
        sent += 1;
    }
    assert!(sent > 3, "messages kept flowing: {sent}");
    assert_eq!(relay.server.stats().grants, 1, "the same URI, renewed");
    drop(connection);
}

/// 64 MiB in ONE chunk (the sender's relay chunk size raised) through our
/// relay: it streams through, the bytes arrive intact, and the relay never
/// queues more than its bound (Kamailio drops frames over 11 KiB).
pub async fn own_relay_64mib_single_chunk_in_bounded_memory<R: Runtime>(rt: R) {
    const SIZE: u64 = 64 << 20;
    let relay = OwnRelay::start(&rt, |_| {}).await;
    let mut config = relay.config();
    config.protocol.relay_chunk_size = SIZE as usize;
    let settings = (
        relay.settings(Security::Tcp, "alice"),
        relay.settings(Security::Tcp, "bob"),
    );
    let (alice, mut bob) = relayed_pair(&rt, config, settings, Security::Tcp, Sides::Both).await;
    let handle = alice
        .send_message(
            OutgoingMessage::new("application/octet-stream")
                .body(pattern(64, 0, SIZE as usize))
                .success_report(SuccessReport::Yes),
        )
        .await
        .expect("send");
    let (received, updates) = within(
        &rt,
        TRANSFER,
        "64 MiB through our relay",
        join(collect_message(&mut bob), all_updates(handle)),
    )
    .await;
    assert_eq!(received.size, SIZE);
    assert_eq!(received.sha256, pattern_sha256(64, SIZE), "SHA-256");
    assert_eq!(single_outcome(&updates), Outcome::Delivered);
    let stats = relay.server.stats();
    let bound = (1 << 20) + 512 * 1024;
    assert!(
        stats.peak_queued_bytes <= bound,
        "the relay queued at most {} bytes for a connection (bound {bound})",
        stats.peak_queued_bytes
    );
}

/// The far side takes the session and then never answers: our relay's
/// transaction timer (RFC 4976 §6.4.1, here 1 s instead of 30) sends a
/// REPORT 408, and the message fails with it at the sender.
pub async fn own_relay_silent_far_side_gets_408<R: Runtime>(rt: R) {
    let relay = OwnRelay::start(&rt, |c| {
        c.relay.transaction_timeout = Duration::from_secs(1);
    })
    .await;
    let (listener, port) = local_listener(&rt).await;
    let far: MsrpUri = format!("msrp://127.0.0.1:{port}/silent00001;tcp")
        .parse()
        .expect("URI");
    let settings = relay.settings(Security::Tcp, "alice");
    let mut alice = ConnectorRelay::new(rt.clone(), relay.config(), settings);
    alice.prepare(None).await.expect("alice authenticates");
    let far_side = async {
        let mut peer = FaultPeer::accept(&rt, &listener, "silent00001").await;
        // The binding SEND and the message: read, never answered.
        let _bind = peer.read_chunk(&rt).await;
        let message = peer.read_chunk(&rt).await;
        (peer, message)
    };
    let sender = async {
        let alice = Session::new(
            alice
                .complete(std::slice::from_ref(&far))
                .await
                .expect("bound via the relay"),
        );
        let handle = alice.send_message(text("hello?")).await.expect("send");
        let updates = all_updates(handle).await;
        (alice, updates)
    };
    let ((_peer, message), (_alice, updates)) = within(
        &rt,
        WAIT,
        "a REPORT 408 from the relay",
        join(far_side, sender),
    )
    .await;
    assert_eq!(message.body().map(|b| &b[..]), Some(&b"hello?"[..]));
    match single_outcome(&updates) {
        Outcome::Failed { code, .. } => assert_eq!(code, 408),
        other => panic!("expected 408 from the relay, got {other:?}"),
    }
}

/// 200 sessions at once through our relay, 50 on each of four relay
/// connections per side, each with a message both ways.
pub async fn own_relay_200_concurrent_sessions<R: Runtime>(rt: R) {
    const SESSIONS: usize = 200;
    const CONNECTIONS: usize = 4;
    let relay = OwnRelay::start(&rt, |_| {}).await;
    let mut alices = Vec::new();
    let mut bobs = Vec::new();
    for _ in 0..CONNECTIONS {
        let a = relay.settings(Security::Tcp, "alice");
        let b = relay.settings(Security::Tcp, "bob");
        alices.push(
            RelayConnection::connect(rt.clone(), relay.config(), &a)
                .await
                .expect("alice"),
        );
        bobs.push(
            RelayConnection::connect(rt.clone(), relay.config(), &b)
                .await
                .expect("bob"),
        );
    }
    let pairs = join_all((0..SESSIONS).map(|i| {
        let (a, b) = (
            alices[i % CONNECTIONS].clone(),
            bobs[i % CONNECTIONS].clone(),
        );
        let rt = rt.clone();
        async move {
            let mut bob = AcceptorRelay::with_connection(b);
            let bob_path = bob.prepare(None).await.expect("bob's path");
            let mut alice = ConnectorRelay::with_connection(a);
            let alice_path = alice.prepare(None).await.expect("alice's path");
            let (alice, bob) = within(
                &rt,
                WAIT,
                "a session among 200",
                join(alice.complete(&bob_path), bob.complete(&alice_path)),
            )
            .await;
            (
                Session::new(alice.expect("alice binds")),
                Session::new(bob.expect("bob accepts")),
            )
        }
    }))
    .await;
    within(
        &rt,
        TRANSFER,
        "a message each way on 200 sessions",
        join_all(pairs.into_iter().enumerate().map(|(i, (alice, mut bob))| {
            let rt = rt.clone();
            async move {
                send_text_and_check(&rt, &alice, &mut bob, &format!("to bob {i}")).await;
                let mut alice = alice;
                send_text_and_check(&rt, &bob, &mut alice, &format!("to alice {i}")).await;
            }
        })),
    )
    .await;
    let stats = relay.server.stats();
    assert_eq!(stats.grants, 2 * CONNECTIONS);
}

/// Hostile connections (slowloris, garbage, a huge line, a TLS hello on
/// the TCP port, silent sockets, a request for an unknown URI) come first;
/// the real clients still authenticate and talk, and the probation (here
/// 2 s) drops every hostile connection.
pub async fn own_relay_outlives_hostile_connections<R: Runtime>(rt: R) {
    let relay = OwnRelay::start(&rt, |c| {
        c.relay.probation = Duration::from_secs(2);
    })
    .await;
    let mut crowd = Vec::new();
    for security in [Security::Tcp, Security::Tls] {
        let uri = relay.uri(security);
        let port = uri.port().expect("a port");
        let expected = uri.with_session_id("somesession1").expect("URI");
        crowd.extend(hostile_crowd(&rt, port, &expected).await);
    }
    let settings = (
        relay.settings(Security::Tls, "alice"),
        relay.settings(Security::Tls, "bob"),
    );
    let (alice, mut bob) =
        relayed_pair(&rt, relay.config(), settings, Security::Tls, Sides::Both).await;
    send_text_and_check(&rt, &alice, &mut bob, "through the crowd").await;
    all_dropped(&rt, crowd).await;
}
