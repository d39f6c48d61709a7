//! Hostile connections against the answering side: slow, silent, garbled,
//! wrongly addressed or wrongly encrypted peers open their connections
//! before the real peer does. Each costs the acceptor or server only itself:
//! the real peer still binds and its message arrives, and the connections
//! waiting to bind never exceed `EndpointConfig::max_unbound_connections`
//! (the oldest goes first).

use futures_util::future::join;
use msrp_endpoint::msrp_proto::MsrpUri;
use msrp_endpoint::{
    AcceptorDirect, ConnectorDirect, EndpointConfig, MsrpServer, Runtime, Session,
};

use crate::scenarios::server::server_pair;
use crate::support::{
    FaultPeer, ReadEnd, Security, WAIT, acceptor_uri, answer_config, call_config,
    send_text_and_check, within,
};

/// A 40-character transaction id: RFC 4975 §9 allows 4 to 32.
const LONG_TID: &str = "MSRP aaaaaaaaaabbbbbbbbbbccccccccccdddddddddd SEND\r\n";

/// The start of a TLS ClientHello (record type 22, TLS 1.0 record version).
const CLIENT_HELLO: &[u8] = b"\x16\x03\x01\x00\xc8\x01\x00\x00\xc4\x03\x03\
    \x5a\x5a\x5a\x5a\x5a\x5a\x5a\x5a\x5a\x5a\x5a\x5a\x5a\x5a\x5a\x5a";

/// Opens the hostile connections to `port` (whose expected session is
/// `expected`), each misbehaving in its own way, and returns them still
/// open from this side.
pub(crate) async fn hostile_crowd<R: Runtime>(
    rt: &R,
    port: u16,
    expected: &MsrpUri,
) -> Vec<FaultPeer> {
    let mut crowd = Vec::new();
    // Slowloris: half a head, then nothing.
    let mut peer = FaultPeer::connect(rt, port, "slowloris99").await;
    let _ = peer.send(b"MSRP abcd SEND\r\nTo-Pa").await;
    crowd.push(peer);
    // Not MSRP at all.
    let mut peer = FaultPeer::connect(rt, port, "garbage0001").await;
    let _ = peer
        .send(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await;
    crowd.push(peer);
    // A well-formed bind for a session nobody expects (481).
    let mut peer = FaultPeer::connect(rt, port, "wrongsess01").await;
    let other = expected
        .with_session_id("notyours0001")
        .expect("a session id");
    let (_, request) = peer.bind_request(&other);
    let _ = peer.send(&request).await;
    crowd.push(peer);
    // A transaction id too long to be one.
    let mut peer = FaultPeer::connect(rt, port, "longtid0001").await;
    let _ = peer.send(LONG_TID.as_bytes()).await;
    crowd.push(peer);
    // A header line of 1 MiB; the other side may close before it is all
    // written, so the write's result does not matter.
    let mut peer = FaultPeer::connect(rt, port, "hugeline001").await;
    let mut huge = b"MSRP abcd SEND\r\nX-Huge: ".to_vec();
    huge.resize(1 << 20, b'a');
    let _ = within(
        rt,
        WAIT,
        "the huge line to be written or refused",
        peer.send(&huge),
    )
    .await;
    crowd.push(peer);
    // TLS on whatever the port speaks.
    let mut peer = FaultPeer::connect(rt, port, "clienthello").await;
    let _ = peer.send(CLIENT_HELLO).await;
    crowd.push(peer);
    // Silent sockets.
    for id in ["silent00001", "silent00002"] {
        crowd.push(FaultPeer::connect(rt, port, id).await);
    }
    crowd
}

fn hostile_config(security: Security) -> EndpointConfig {
    let mut config = answer_config(security);
    config.max_unbound_connections = 16;
    config
}

/// Waits until the other side has closed every connection of `crowd`.
pub(crate) async fn all_dropped<R: Runtime>(rt: &R, crowd: Vec<FaultPeer>) {
    for mut peer in crowd {
        let end = peer.read_until_closed(rt, WAIT).await;
        assert!(
            matches!(end, ReadEnd::Eof | ReadEnd::Error(_)),
            "{peer:?}: {end:?}"
        );
    }
}

async fn acceptor_outlives_hostile_connections<R: Runtime>(rt: R, security: Security) {
    let mut acceptor = AcceptorDirect::new(rt.clone(), hostile_config(security));
    let bob_path = acceptor
        .prepare(Some(acceptor_uri(security, "hostile0001")))
        .await
        .expect("acceptor prepare");
    let port = bob_path[0].port().expect("a port");
    let mut connector = ConnectorDirect::new(rt.clone(), call_config(security));
    let alice_path = connector.prepare(None).await.expect("connector prepare");
    let crowd_then_call = async {
        let crowd = hostile_crowd(&rt, port, &bob_path[0]).await;
        (crowd, connector.complete(&bob_path).await)
    };
    let (bob, (crowd, alice)) = within(
        &rt,
        WAIT,
        "the real peer to bind among hostile ones",
        join(acceptor.complete(&alice_path), crowd_then_call),
    )
    .await;
    let (alice, mut bob) = (
        Session::new(alice.expect("connector complete")),
        Session::new(bob.expect("the acceptor outlives the hostile connections")),
    );
    send_text_and_check(&rt, &alice, &mut bob, "through the crowd").await;
    // Once the session is bound, the acceptor lets the others go.
    all_dropped(&rt, crowd).await;
}

/// Hostile connections, then a real peer, on a plaintext acceptor.
pub async fn acceptor_tcp_outlives_hostile_connections<R: Runtime>(rt: R) {
    acceptor_outlives_hostile_connections(rt, Security::Tcp).await;
}

/// The same on a TLS acceptor: every hostile connection fails its handshake
/// or never finishes it.
pub async fn acceptor_tls_outlives_hostile_connections<R: Runtime>(rt: R) {
    acceptor_outlives_hostile_connections(rt, Security::Tls).await;
}

/// Hostile connections, then real peers, on an `MsrpServer`.
pub async fn server_outlives_hostile_connections<R: Runtime>(rt: R) {
    for security in [Security::Tcp, Security::Tls] {
        let server = MsrpServer::new(rt.clone(), hostile_config(security));
        let path = server.prepare(None).await.expect("server prepare");
        let crowd = hostile_crowd(&rt, path[0].port().expect("a port"), &path[0]).await;
        let (alice, mut bob) = server_pair(&rt, &server, &path, security).await;
        send_text_and_check(&rt, &alice, &mut bob, "the server still serves").await;
        drop(server);
        // Unbound connections go with their server.
        all_dropped(&rt, crowd).await;
    }
}

/// `limit + 2` silent connections, one after the other: the two oldest are
/// dropped, the newest still gets answers, and the real peer that comes
/// last binds.
async fn oldest_unbound_dropped(
    limit: usize,
    connect: impl AsyncFnMut(&str) -> FaultPeer,
    expected: &MsrpUri,
    rt: &impl Runtime,
) -> Vec<FaultPeer> {
    let mut connect = connect;
    let mut silent = Vec::new();
    for i in 0..limit + 2 {
        silent.push(connect(&format!("silent{i:05}")).await);
    }
    for peer in &mut silent[..2] {
        let end = peer.read_until_closed(rt, WAIT).await;
        assert!(matches!(end, ReadEnd::Eof | ReadEnd::Error(_)), "{end:?}");
    }
    // The newest is still served: an unknown session is answered 481.
    let newest = silent.last_mut().expect("a connection");
    let other = expected
        .with_session_id("notyours0002")
        .expect("a session id");
    assert_eq!(newest.bind(rt, &other).await, 481);
    silent.split_off(2)
}

/// An acceptor at its bound of connections waiting to bind drops the
/// oldest, never the newest.
pub async fn acceptor_drops_oldest_unbound_connection_at_the_limit<R: Runtime>(rt: R) {
    const LIMIT: usize = 3;
    let mut config = answer_config(Security::Tcp);
    config.max_unbound_connections = LIMIT;
    let mut acceptor = AcceptorDirect::new(rt.clone(), config);
    let bob_path = acceptor
        .prepare(Some(acceptor_uri(Security::Tcp, "bounded0001")))
        .await
        .expect("acceptor prepare");
    let port = bob_path[0].port().expect("a port");
    let mut connector = ConnectorDirect::new(rt.clone(), call_config(Security::Tcp));
    let alice_path = connector.prepare(None).await.expect("connector prepare");
    let flood_then_call = async {
        let connect = async |id: &str| FaultPeer::connect(&rt, port, id).await;
        let rest = oldest_unbound_dropped(LIMIT, connect, &bob_path[0], &rt).await;
        (rest, connector.complete(&bob_path).await)
    };
    let (bob, (rest, alice)) = within(
        &rt,
        WAIT,
        "the real peer to bind after the flood",
        join(acceptor.complete(&alice_path), flood_then_call),
    )
    .await;
    let (alice, mut bob) = (
        Session::new(alice.expect("connector complete")),
        Session::new(bob.expect("acceptor complete")),
    );
    send_text_and_check(&rt, &alice, &mut bob, "after the flood").await;
    all_dropped(&rt, rest).await;
}

/// The same bound on an `MsrpServer`.
pub async fn server_drops_oldest_unbound_connection_at_the_limit<R: Runtime>(rt: R) {
    const LIMIT: usize = 3;
    let mut config = answer_config(Security::Tcp);
    config.max_unbound_connections = LIMIT;
    let server = MsrpServer::new(rt.clone(), config);
    let path = server.prepare(None).await.expect("server prepare");
    let port = path[0].port().expect("a port");
    let connect = async |id: &str| FaultPeer::connect(&rt, port, id).await;
    let _rest = oldest_unbound_dropped(LIMIT, connect, &path[0], &rt).await;
    let (alice, mut bob) = server_pair(&rt, &server, &path, Security::Tcp).await;
    send_text_and_check(&rt, &alice, &mut bob, "after the flood").await;
}
