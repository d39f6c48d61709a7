//! Connector ↔ [`MsrpServer`], over TCP and TLS: binding and messages,
//! several sessions on one port at once, the registry's refusals (481,
//! 506), and the bind timeout on both `complete` and idle connections.

use std::time::Duration;

use futures_util::future::{join, join_all};
use msrp_endpoint::msrp_proto::MsrpUri;
use msrp_endpoint::{ConnectorDirect, Error, MsrpServer, Phase, Runtime, Session};

use crate::scenarios::direct::exchange;
use crate::support::{
    FaultPeer, ReadEnd, Security, WAIT, answer_config, call_config, elapsed, send_text_and_check,
    within,
};

/// A connector bound to `path` on `server`, with both sessions.
pub(crate) async fn server_pair<R: Runtime>(
    rt: &R,
    server: &MsrpServer<R>,
    path: &[MsrpUri],
    security: Security,
) -> (Session, Session) {
    let mut connector = ConnectorDirect::new(rt.clone(), call_config(security));
    let alice_path = connector.prepare(None).await.expect("connector prepare");
    let (alice, bob) = within(
        rt,
        WAIT,
        "a connector to bind on the server",
        join(connector.complete(path), server.complete(&alice_path)),
    )
    .await;
    let (alice, bob) = (
        alice.expect("connector complete"),
        bob.expect("server complete"),
    );
    assert_eq!(
        bob.local_uri(),
        &path[0],
        "the server hands out the session bound to its URI"
    );
    assert_eq!(bob.remote_path().uris(), &alice_path[..]);
    assert_eq!(alice.remote_path().uris(), path);
    (Session::new(alice), Session::new(bob))
}

/// A connector binds a session on an `MsrpServer` over TCP; messages flow
/// both ways with success REPORTs.
pub async fn server_tcp_messages_both_ways<R: Runtime>(rt: R) {
    server_messages(&rt, Security::Tcp).await;
}

/// [`server_tcp_messages_both_ways`] over TLS.
pub async fn server_tls_messages_both_ways<R: Runtime>(rt: R) {
    server_messages(&rt, Security::Tls).await;
}

async fn server_messages<R: Runtime>(rt: &R, security: Security) {
    let server = MsrpServer::new(rt.clone(), answer_config(security));
    let path = server.prepare(None).await.expect("server prepare");
    assert_eq!(path[0].is_secure(), security == Security::Tls);
    let (mut alice, mut bob) = server_pair(rt, &server, &path, security).await;
    exchange(rt, &mut alice, &mut bob).await;
}

/// Five connectors bind five expected URIs of one server port at the same
/// time; each session reaches its own peer. The five connections share
/// one copy of the server's protocol settings.
pub async fn server_tcp_five_sessions_on_one_port<R: Runtime>(rt: R) {
    five_sessions(&rt, Security::Tcp).await;
}

/// [`server_tcp_five_sessions_on_one_port`] over TLS.
pub async fn server_tls_five_sessions_on_one_port<R: Runtime>(rt: R) {
    five_sessions(&rt, Security::Tls).await;
}

async fn five_sessions<R: Runtime>(rt: &R, security: Security) {
    let server = MsrpServer::new(rt.clone(), answer_config(security));
    let mut paths = Vec::new();
    for _ in 0..5 {
        paths.push(server.prepare(None).await.expect("server prepare"));
    }
    let port = paths[0][0].port();
    assert!(
        paths.iter().all(|p| p[0].port() == port),
        "expected URIs share one listener: {paths:?}"
    );
    assert_eq!(server.local_addrs().len(), 1, "one listening socket");

    let mut connectors = Vec::new();
    let mut alice_paths = Vec::new();
    for _ in 0..5 {
        let mut connector = ConnectorDirect::new(rt.clone(), call_config(security));
        alice_paths.push(connector.prepare(None).await.expect("connector prepare"));
        connectors.push(connector);
    }
    // Every connector and every `complete` at once.
    let calls = join_all(
        connectors
            .iter_mut()
            .zip(&paths)
            .map(|(connector, path)| connector.complete(path)),
    );
    let answers = join_all(alice_paths.iter().map(|path| server.complete(path)));
    let (calls, answers) = within(rt, WAIT, "five sessions to bind", join(calls, answers)).await;
    let mut pairs = Vec::new();
    for (i, (alice, bob)) in calls.into_iter().zip(answers).enumerate() {
        let (alice, bob) = (
            alice.expect("connector complete"),
            bob.expect("server complete"),
        );
        assert_eq!(
            bob.local_uri(),
            &paths[i][0],
            "session {i} is bound to its own URI"
        );
        assert_eq!(
            bob.remote_path().uris(),
            &alice_paths[i][..],
            "session {i} has its own peer"
        );
        assert_eq!(alice.remote_path().uris(), &paths[i][..]);
        pairs.push((Session::new(alice), Session::new(bob)));
    }
    assert_eq!(
        server.connections_sharing_settings(),
        5,
        "the five connections share one copy of the server's settings"
    );
    // Each pair talks, all at the same time; messages name their session.
    let talks = pairs
        .iter_mut()
        .enumerate()
        .map(|(i, (alice, bob))| async move {
            send_text_and_check(rt, alice, bob, &format!("to bob {i}")).await;
            send_text_and_check(rt, bob, alice, &format!("to alice {i}")).await;
        });
    within(rt, WAIT, "five sessions to talk", join_all(talks)).await;
}

/// Three sessions to one server share the connection of the first
/// (`ConnectorDirect::complete_on`, RFC 4975 §5.4): they still bind and
/// talk after the server has stopped listening, which a new connection
/// could not, and each keeps its own peer. A first hop other than the
/// connection's is refused.
pub async fn server_sessions_share_one_connection<R: Runtime>(rt: R) {
    let server = MsrpServer::new(rt.clone(), answer_config(Security::Tcp));
    let mut paths = Vec::new();
    for _ in 0..3 {
        paths.push(server.prepare(None).await.expect("server prepare"));
    }
    let (first, mut first_bob) = server_pair(&rt, &server, &paths[0], Security::Tcp).await;
    server.close();
    let mut pairs = Vec::new();
    for path in &paths[1..] {
        let mut connector = ConnectorDirect::new(rt.clone(), call_config(Security::Tcp));
        let alice_path = connector.prepare(None).await.expect("connector prepare");
        let (alice, bob) = within(
            &rt,
            WAIT,
            "a session to bind on the existing connection",
            join(
                connector.complete_on(first.transport(), path),
                server.complete(&alice_path),
            ),
        )
        .await;
        let (alice, bob) = (
            alice.expect("complete_on binds over the existing connection"),
            bob.expect("server complete"),
        );
        assert_eq!(bob.local_uri(), &path[0]);
        assert_eq!(bob.remote_path().uris(), &alice_path[..]);
        pairs.push((Session::new(alice), Session::new(bob)));
    }
    for (i, (alice, bob)) in pairs.iter_mut().enumerate() {
        send_text_and_check(&rt, alice, bob, &format!("to bob {i}")).await;
        send_text_and_check(&rt, bob, alice, &format!("to alice {i}")).await;
    }
    send_text_and_check(&rt, &first, &mut first_bob, "first still talks").await;

    let elsewhere = MsrpUri::parse("msrp://127.0.0.1:9/abcdefghij;tcp").expect("uri");
    let mut connector = ConnectorDirect::new(rt.clone(), call_config(Security::Tcp));
    match connector.complete_on(first.transport(), &[elsewhere]).await {
        Err(Error::Config(reason)) => assert!(reason.contains("existing connection"), "{reason}"),
        other => panic!("another first hop must be refused, got {other:?}"),
    }
}

/// A bind for a URI nobody expects gets 481; a second bind of a URI
/// already bound (from another connection) gets 506 (RFC 4975 §5.4).
pub async fn server_refuses_unknown_and_already_bound_uris<R: Runtime>(rt: R) {
    let server = MsrpServer::new(rt.clone(), answer_config(Security::Tcp));
    let path = server.prepare(None).await.expect("server prepare");
    let port = path[0].port().expect("a port");

    let mut stranger = FaultPeer::connect(&rt, port, "stranger01").await;
    let unknown = path[0]
        .with_session_id("nobodyexpectsthis")
        .expect("a session id");
    assert_eq!(stranger.bind(&rt, &unknown).await, 481, "an unknown URI");

    let mut first = FaultPeer::connect(&rt, port, "first01").await;
    assert_eq!(
        first.bind(&rt, &path[0]).await,
        200,
        "the expected URI binds"
    );
    let mut second = FaultPeer::connect(&rt, port, "second01").await;
    assert_eq!(
        second.bind(&rt, &path[0]).await,
        506,
        "a URI bound on another connection"
    );
    let bob = within(&rt, WAIT, "the bound session", server.complete_any())
        .await
        .expect("server complete_any");
    assert_eq!(
        bob.remote_path().first(),
        &first.uri,
        "the first peer holds the session"
    );
}

/// `complete` for a session that never binds fails with
/// `Error::Timeout(Phase::Bind)` after the configured bind timeout.
pub async fn server_complete_times_out_when_session_never_binds<R: Runtime>(rt: R) {
    let bind_timeout = Duration::from_millis(300);
    let mut config = answer_config(Security::Tcp);
    config.bind_timeout = bind_timeout;
    let server = MsrpServer::new(rt.clone(), config);
    server.prepare(None).await.expect("server prepare");
    let peer: Vec<MsrpUri> = vec!["msrp://127.0.0.1:9/neverbinds;tcp".parse().expect("URI")];
    let start = rt.now();
    let result = within(&rt, WAIT, "complete to give up", server.complete(&peer)).await;
    let took = elapsed(&rt, start);
    let err = result.expect_err("nobody binds");
    assert!(matches!(err, Error::Timeout(Phase::Bind)), "{err:?}");
    assert_eq!(err.to_string(), "timed out waiting for the session to bind");
    assert!(
        took >= bind_timeout,
        "gave up after {took:?}, before the bind timeout"
    );
    assert!(took < bind_timeout * 10, "gave up only after {took:?}");
}

/// A connection on which nothing binds is closed by the server after the
/// bind timeout.
pub async fn server_drops_connection_that_never_binds<R: Runtime>(rt: R) {
    let bind_timeout = Duration::from_millis(300);
    let mut config = answer_config(Security::Tcp);
    config.bind_timeout = bind_timeout;
    let server = MsrpServer::new(rt.clone(), config);
    let path = server.prepare(None).await.expect("server prepare");
    let port = path[0].port().expect("a port");
    let start = rt.now();
    let mut idle = FaultPeer::connect(&rt, port, "idle0001").await;
    let end = idle.read_until_closed(&rt, WAIT).await;
    let took = elapsed(&rt, start);
    assert!(
        matches!(end, ReadEnd::Eof | ReadEnd::Error(_)),
        "the server closes the connection: {end:?}"
    );
    assert!(
        took >= bind_timeout - Duration::from_millis(50),
        "closed after {took:?}, before the bind timeout"
    );
    assert!(took < bind_timeout * 10, "closed only after {took:?}");
}
