//! WebSocket clients (RFC 7977) through this library's own relay, started
//! in-process with `ws` and `wss` listeners beside its TCP and TLS ones
//! (see [`OwnRelay::start_ws`]): AUTH over WebSocket, messages between a
//! WebSocket client and a TCP or TLS client, large binary messages whose
//! 1 MiB chunks the relay cuts to fit WebSocket messages, two WebSocket
//! clients talking through the relay, and the refusals: a message over the
//! limit closes with 1009, an upgrade without the `msrp` subprotocol gets
//! an HTTP 400 that says why.

use futures_util::future::join;
use futures_util::{AsyncReadExt, AsyncWriteExt};
use msrp_endpoint::msrp_proto::MsrpUri;
use msrp_endpoint::msrp_proto::connection::OutgoingMessage;
use msrp_endpoint::msrp_proto::wire::SuccessReport;
use msrp_endpoint::ws::{ClientHandshake, WsLimits};
use msrp_endpoint::{
    AcceptorRelay, BoxIo, ConnectorRelay, EndpointConfig, RelaySettings, Runtime, Session,
};
use rustls_pki_types::ServerName;

use crate::own_relay::OwnRelay;
use crate::scenarios::direct::exchange;
use crate::support::{
    KEEP_BODY, Security, TRANSFER, WAIT, all_updates, assert_delivered_with_progress,
    collect_message, local_cert, pattern, pattern_sha256, within,
};

/// The large message of these scenarios: 6 MiB, in 1 MiB chunks from a
/// TCP/TLS sender (cut by the relay for a WebSocket receiver).
const LARGE: usize = 6 << 20;

/// The chunk size of the TCP/TLS clients here: far above what fits one
/// WebSocket message toward a WebSocket client (16 320 bytes by default).
const BIG_CHUNK: usize = 1 << 20;

/// Checks the RFC 7977 shape of a WebSocket client's path through our
/// relay: its Use-Path is the relay's TLS URI (§8.1: peers reach the
/// WebSocket client through the relay's MSRP listener), then the client's
/// own `msrps://<random>.invalid:2855/<sid>;ws` URI.
fn assert_ws_client_path<R: Runtime>(relay: &OwnRelay<R>, path: &[MsrpUri]) {
    assert_eq!(path.len(), 2, "the relay, then the client: {path:?}");
    let tls = relay.uri(Security::Tls);
    assert!(path[0].is_secure(), "Use-Path is the TLS URI: {path:?}");
    assert_eq!(path[0].transport(), "tcp", "{path:?}");
    assert_eq!(path[0].host_str(), tls.host_str(), "{path:?}");
    assert_eq!(
        path[0].port(),
        tls.port(),
        "the TLS listener's port: {path:?}"
    );
    assert!(path[0].session_id().is_some(), "a relay session: {path:?}");
    let local = &path[1];
    assert_eq!(local.transport(), "ws", "{local}");
    assert!(local.host_str().ends_with(".invalid"), "{local}");
    assert!(local.session_id().is_some(), "{local}");
}

/// Alice, a WebSocket client of our relay, calls Bob, who is behind it too
/// (over `bob`'s settings and `bob_config`): both authenticate, Alice's
/// path has the RFC 7977 shape, the session binds.
async fn ws_pair<R: Runtime>(
    rt: &R,
    relay: &OwnRelay<R>,
    alice: RelaySettings,
    (bob, bob_config): (RelaySettings, EndpointConfig),
) -> (Session, Session) {
    let mut bob = AcceptorRelay::new(rt.clone(), bob_config, bob);
    let bob_path = within(rt, WAIT, "bob's AUTH", bob.prepare(None))
        .await
        .expect("bob authenticates");
    let mut alice = ConnectorRelay::new(rt.clone(), relay.config(), alice);
    let alice_path = within(rt, WAIT, "AUTH over WebSocket", alice.prepare(None))
        .await
        .expect("alice authenticates over WebSocket");
    assert_ws_client_path(relay, &alice_path);
    let (alice, bob) = within(
        rt,
        WAIT,
        "binding through our relay, WebSocket on one side",
        join(alice.complete(&bob_path), bob.complete(&alice_path)),
    )
    .await;
    let (alice, bob) = (alice.expect("alice binds"), bob.expect("bob accepts"));
    assert_eq!(bob.remote_path().uris(), &alice_path[..]);
    assert_eq!(alice.remote_path().uris(), &bob_path[..]);
    (Session::new(alice), Session::new(bob))
}

/// Sends `size` binary bytes (every byte value, pseudo-random) from `from`
/// to `to` and checks them: byte for byte up to 1 MiB, by SHA-256 above;
/// delivered, with the success REPORT back through the relay. When `to` is
/// a WebSocket client, the chunks it got are at most one WebSocket message
/// each, so there are at least `size / 16 320` of them.
async fn send_binary<R: Runtime>(
    rt: &R,
    from: &Session,
    to: &mut Session,
    size: usize,
    seed: u64,
    to_websocket: bool,
) {
    let body = pattern(seed, 0, size);
    let handle = from
        .send_message(
            OutgoingMessage::new("application/octet-stream")
                .body(body.clone())
                .success_report(SuccessReport::Yes),
        )
        .await
        .expect("send");
    let (received, updates) = within(
        rt,
        TRANSFER,
        "a binary message through our relay, WebSocket on one side",
        join(collect_message(to), all_updates(handle)),
    )
    .await;
    assert_eq!(received.size, size as u64);
    if size <= KEEP_BODY {
        assert!(
            received.body.as_deref() == Some(&body[..]),
            "the body arrives byte for byte"
        );
    }
    assert_eq!(
        hex::encode(received.sha256),
        hex::encode(pattern_sha256(seed, size as u64)),
        "SHA-256"
    );
    if to_websocket {
        let most = WsLimits::default().max_send_message;
        assert!(
            received.chunks as usize >= size / most,
            "the relay cut the chunks to WebSocket messages: {} chunks for {size} bytes",
            received.chunks
        );
    }
    assert_delivered_with_progress(&updates, size as u64);
}

/// A WebSocket client and a TCP (`ws`) or TLS (`wss`) client through our
/// relay: texts both ways, then 1 MiB (byte for byte) and 6 MiB each way,
/// the TCP/TLS side sending 1 MiB chunks.
async fn ws_and_msrp_client<R: Runtime>(rt: R, security: Security) {
    let relay = OwnRelay::start_ws(&rt, |_| {}).await;
    let mut big = relay.config();
    big.protocol.relay_chunk_size = BIG_CHUNK;
    let (mut alice, mut bob) = ws_pair(
        &rt,
        &relay,
        relay.ws_settings(security, "alice"),
        (relay.settings(security, "bob"), big),
    )
    .await;
    exchange(&rt, &mut alice, &mut bob).await;
    send_binary(&rt, &bob, &mut alice, KEEP_BODY, 31, true).await;
    send_binary(&rt, &alice, &mut bob, KEEP_BODY, 32, false).await;
    send_binary(&rt, &bob, &mut alice, LARGE, 33, true).await;
    send_binary(&rt, &alice, &mut bob, LARGE, 34, false).await;
}

/// Alice over `ws://` to our relay, Bob over its plain TCP listener:
/// AUTH over WebSocket (Use-Path = the relay's TLS URI), texts both ways,
/// binary messages of 1 MiB and 6 MiB each way, Bob's 1 MiB chunks cut by
/// the relay into WebSocket-sized ones.
pub async fn own_relay_ws_client_and_tcp_client<R: Runtime>(rt: R) {
    ws_and_msrp_client(rt, Security::Tcp).await;
}

/// [`own_relay_ws_client_and_tcp_client`] with `wss://` (the relay's
/// certificate checked) and Bob over TLS.
pub async fn own_relay_wss_client_and_tls_client<R: Runtime>(rt: R) {
    ws_and_msrp_client(rt, Security::Tls).await;
}

/// Two WebSocket clients, one on `ws://`, one on `wss://`: both get the
/// relay's TLS URI as Use-Path, so the path goes through the same relay
/// twice (RFC 7977 §8.3.2), delivered on each client's own WebSocket
/// connection. Texts and 1 MiB both ways.
pub async fn own_relay_ws_clients_on_both_sides<R: Runtime>(rt: R) {
    let relay = OwnRelay::start_ws(&rt, |_| {}).await;
    let (mut alice, mut bob) = ws_pair(
        &rt,
        &relay,
        relay.ws_settings(Security::Tcp, "alice"),
        (relay.ws_settings(Security::Tls, "bob"), relay.config()),
    )
    .await;
    exchange(&rt, &mut alice, &mut bob).await;
    send_binary(&rt, &alice, &mut bob, KEEP_BODY, 41, true).await;
    send_binary(&rt, &bob, &mut alice, KEEP_BODY, 42, true).await;
}

/// A raw connection to the relay's `ws` (TCP) or `wss` (TLS) listener.
async fn raw_connection<R: Runtime>(rt: &R, relay: &OwnRelay<R>, security: Security) -> BoxIo {
    let port = relay.ws_url(security).port();
    let tcp = within(
        rt,
        WAIT,
        "a connection to the relay",
        rt.connect("127.0.0.1", port),
    )
    .await
    .expect("connect");
    match security {
        Security::Tcp => rt.plain(tcp),
        Security::Tls => {
            let name = ServerName::try_from("127.0.0.1").expect("a name");
            let config = local_cert().client().config().clone();
            within(
                rt,
                WAIT,
                "a TLS handshake",
                rt.tls_connect(tcp, config, name),
            )
            .await
            .expect("TLS")
        }
    }
}

/// Everything the relay sends until it closes the connection.
async fn read_to_end<R: Runtime>(rt: &R, io: &mut BoxIo, what: &str) -> Vec<u8> {
    within(rt, WAIT, what, async {
        let mut all = Vec::new();
        let mut buf = vec![0u8; 16 << 10];
        loop {
            match io.read(&mut buf).await {
                Ok(0) | Err(_) => return all,
                Ok(n) => all.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await
}

/// A client sends a WebSocket message above the relay's receive limit
/// (here 64 KiB; the frame header alone says so): the relay answers with
/// close code 1009 (RFC 6455 §7.4.1) and a reason, and drops the
/// connection, over `ws` and `wss`.
pub async fn own_relay_ws_oversize_message_closed_with_1009<R: Runtime>(rt: R) {
    const LIMIT: usize = 64 << 10;
    let relay = OwnRelay::start_ws(&rt, |c| {
        c.ws_limits = WsLimits::default().max_receive_message(LIMIT);
    })
    .await;
    for security in [Security::Tcp, Security::Tls] {
        let mut io = raw_connection(&rt, &relay, security).await;
        let url = relay.ws_url(security);
        let mut handshake = ClientHandshake::new(&url, [7; 16], WsLimits::default());
        io.write_all(&handshake.request()).await.expect("write");
        let mut buf = vec![0u8; 4096];
        let rest = within(&rt, WAIT, "the 101 answer", async {
            loop {
                let n = io.read(&mut buf).await.expect("read");
                assert!(n > 0, "the relay closed during the upgrade");
                if let Some(rest) = handshake.feed(&buf[..n]).expect("a 101 with msrp") {
                    return rest;
                }
            }
        })
        .await;
        assert!(rest.is_empty(), "nothing before the first message");
        // A masked binary frame of twice the limit: its header only.
        let mut frame = vec![0x82, 0x80 | 127];
        frame.extend_from_slice(&(2 * LIMIT as u64).to_be_bytes());
        frame.extend_from_slice(&[1, 2, 3, 4]);
        frame.extend_from_slice(b"MSRP");
        io.write_all(&frame).await.expect("write");
        io.flush().await.expect("flush");
        let answer = read_to_end(&rt, &mut io, "the relay to close the connection").await;
        assert!(
            answer.len() >= 4,
            "{security:?}: a close frame, got {answer:?}"
        );
        assert_eq!(
            answer[0], 0x88,
            "{security:?}: a close frame first: {answer:?}"
        );
        let len = usize::from(answer[1] & 0x7f);
        assert!(len >= 2 && answer.len() >= 2 + len, "{answer:?}");
        let code = u16::from_be_bytes([answer[2], answer[3]]);
        let reason = String::from_utf8_lossy(&answer[4..2 + len]);
        assert_eq!(code, 1009, "{security:?}: {reason}");
        assert!(reason.contains("longer than"), "{security:?}: {reason}");
    }
}

/// An upgrade that offers another subprotocol, or none, is refused with an
/// HTTP 400 whose body says that `msrp` is required (RFC 7977 §4.1), over
/// `ws` and `wss`; the relay goes on serving WebSocket clients.
pub async fn own_relay_ws_refuses_other_subprotocols<R: Runtime>(rt: R) {
    let relay = OwnRelay::start_ws(&rt, |_| {}).await;
    for security in [Security::Tcp, Security::Tls] {
        for offer in ["Sec-WebSocket-Protocol: sip\r\n", ""] {
            let mut io = raw_connection(&rt, &relay, security).await;
            let request = format!(
                "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n\
                 Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
                 Sec-WebSocket-Version: 13\r\n{offer}\r\n"
            );
            io.write_all(request.as_bytes()).await.expect("write");
            io.flush().await.expect("flush");
            let answer = read_to_end(&rt, &mut io, "the refusal").await;
            let answer = String::from_utf8_lossy(&answer);
            assert!(
                answer.starts_with("HTTP/1.1 400 "),
                "{security:?} {offer:?}: {answer}"
            );
            let (_, body) = answer.split_once("\r\n\r\n").expect("a head and a body");
            assert!(
                body.contains("msrp subprotocol"),
                "{security:?} {offer:?}: the reason in the body: {body}"
            );
        }
    }
    // A real client still gets in.
    let settings = relay.ws_settings(Security::Tls, "alice");
    let connection = within(
        &rt,
        WAIT,
        "AUTH over wss after the refusals",
        msrp_endpoint::RelayConnection::connect(rt.clone(), relay.config(), &settings),
    )
    .await
    .expect("alice authenticates");
    assert_eq!(connection.relay().transport(), "ws");
}
