//! Sessions through a relay reached over WebSocket (RFC 7977): the second
//! Kamailio of the test suite, with its websocket module, on `ws://` and
//! `wss://` (`MSRP_TEST_RELAY_WS`, `MSRP_TEST_RELAY_WSS`; its plain MSRP
//! listeners `MSRP_TEST_RELAY_WS_TCP`, `MSRP_TEST_RELAY_WS_TLS`). Kamailio
//! takes exactly one MSRP chunk per WebSocket message and drops anything
//! else without an answer, so every transfer that completes here also shows
//! the framing.

use futures_util::future::join;
use msrp_endpoint::msrp_proto::MsrpUri;
use msrp_endpoint::msrp_proto::connection::OutgoingMessage;
use msrp_endpoint::msrp_proto::wire::SuccessReport;
use msrp_endpoint::ws::WsUrl;
use msrp_endpoint::{
    AcceptorDirect, AcceptorRelay, ConnectorRelay, Error, RelayConnection, RelaySettings, Runtime,
    Session,
};
use sha2::{Digest, Sha256};

use crate::relay_env::RelayEnv;
use crate::scenarios::direct::exchange;
use crate::support::{
    Security, TRANSFER, WAIT, acceptor_uri, all_updates, assert_delivered_with_progress,
    collect_message, pattern, within,
};

/// The file of these scenarios: 1 MiB, about a hundred relay-sized chunks.
const FILE: u64 = 1 << 20;

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!(
            "{name} is not set: the WebSocket relay scenarios need the WebSocket Kamailio of \
             scripts/relay-harness (run ./scripts/test, or start the harness by hand and export \
             its env file)"
        )
    })
}

/// The WebSocket URL of the relay: `wss` with TLS, `ws` without.
fn ws_url(security: Security) -> WsUrl {
    let (scheme, addr) = match security {
        Security::Tcp => ("ws", var("MSRP_TEST_RELAY_WS")),
        Security::Tls => ("wss", var("MSRP_TEST_RELAY_WSS")),
    };
    format!("{scheme}://{addr}/").parse().expect("a ws URL")
}

/// The same relay's plain MSRP listener (TCP or TLS), for a peer that is
/// not a WebSocket client.
fn msrp_uri(security: Security) -> MsrpUri {
    let (scheme, addr) = match security {
        Security::Tcp => ("msrp", var("MSRP_TEST_RELAY_WS_TCP")),
        Security::Tls => ("msrps", var("MSRP_TEST_RELAY_WS_TLS")),
    };
    format!("{scheme}://{addr};tcp")
        .parse()
        .expect("a relay URI")
}

fn ws_settings(env: &RelayEnv, security: Security, user: &str) -> RelaySettings {
    RelaySettings::from_ws_url(&ws_url(security), user, &env.password)
}

/// Checks the RFC 7977 shape of a WebSocket client's path: the relay's
/// TCP/TLS URI (its Use-Path), then `msrp[s]://<random>.invalid:2855/<sid>;ws`.
fn assert_ws_client_path(path: &[MsrpUri], security: Security) {
    assert_eq!(path.len(), 2, "the relay, then the client: {path:?}");
    assert_eq!(
        path[0].transport(),
        "tcp",
        "Use-Path is the relay's TCP/TLS URI"
    );
    assert_eq!(path[0].is_secure(), security == Security::Tls, "{path:?}");
    let local = &path[1];
    assert_eq!(local.transport(), "ws", "{local}");
    assert!(local.host_str().ends_with(".invalid"), "{local}");
    assert_eq!(local.port(), Some(2855), "{local}");
    assert!(local.session_id().is_some(), "{local}");
}

async fn send_file_and_check<R: Runtime>(rt: &R, from: &Session, to: &mut Session, seed: u64) {
    let body = pattern(seed, 0, FILE as usize);
    let sent = <[u8; 32]>::from(Sha256::digest(&body));
    let handle = from
        .send_message(
            OutgoingMessage::new("application/octet-stream")
                .body(body)
                .success_report(SuccessReport::Yes),
        )
        .await
        .expect("send the file");
    let (received, updates) = within(
        rt,
        TRANSFER,
        "a 1 MiB file through the WebSocket relay",
        join(collect_message(to), all_updates(handle)),
    )
    .await;
    assert_eq!(received.size, FILE);
    assert_eq!(hex::encode(received.sha256), hex::encode(sent), "SHA-256");
    assert!(
        received.chunks >= (FILE / 10240) as u32,
        "chunks of at most 10 KiB through a relay: {} chunks",
        received.chunks
    );
    // Delivered, confirmed by the success REPORT that came back through
    // the relay (over WebSocket for the WebSocket client).
    assert_delivered_with_progress(&updates, FILE);
}

/// Texts both ways, then the file each way.
async fn texts_and_files<R: Runtime>(rt: &R, alice: &mut Session, bob: &mut Session) {
    exchange(rt, alice, bob).await;
    send_file_and_check(rt, alice, bob, 21).await;
    send_file_and_check(rt, bob, alice, 22).await;
}

/// Alice, a WebSocket client of the relay, calls Bob, who listens directly.
async fn ws_caller_to_direct<R: Runtime>(rt: R, security: Security) {
    let env = RelayEnv::get();
    let config = env.config();
    let mut bob = AcceptorDirect::new(rt.clone(), config.clone());
    let bob_path = bob
        .prepare(Some(acceptor_uri(security, "bobwsdirect1")))
        .await
        .expect("acceptor prepare");
    let mut alice = ConnectorRelay::new(rt.clone(), config, ws_settings(&env, security, &env.user));
    let alice_path = within(&rt, WAIT, "AUTH over WebSocket", alice.prepare(None))
        .await
        .expect("alice authenticates over WebSocket");
    assert_ws_client_path(&alice_path, security);
    let (alice, bob) = within(
        &rt,
        WAIT,
        "binding through the WebSocket relay",
        join(alice.complete(&bob_path), bob.complete(&alice_path)),
    )
    .await;
    let (mut alice, mut bob) = (
        Session::new(alice.expect("alice binds")),
        Session::new(bob.expect("bob accepts")),
    );
    texts_and_files(&rt, &mut alice, &mut bob).await;
}

/// Alice, a WebSocket client of the relay over `ws://`, calls Bob, who
/// listens directly over TCP: texts and a 1 MiB file each way.
pub async fn relay_ws_caller_to_direct_acceptor<R: Runtime>(rt: R) {
    ws_caller_to_direct(rt, Security::Tcp).await;
}

/// [`relay_ws_caller_to_direct_acceptor`] over `wss://` (the relay's
/// certificate checked), to a TLS acceptor.
pub async fn relay_wss_caller_to_direct_acceptor<R: Runtime>(rt: R) {
    ws_caller_to_direct(rt, Security::Tls).await;
}

/// Alice, a WebSocket client of the relay, calls Bob, who is behind the same
/// relay over its plain MSRP listener (TCP, or TLS for `wss`): the relay
/// forwards to itself and then to each client's own connection.
async fn ws_caller_to_relayed_acceptor<R: Runtime>(rt: R, security: Security) {
    let env = RelayEnv::get();
    let config = env.config();
    let bob_settings = RelaySettings::from_uri(&msrp_uri(security), &env.user2, &env.password);
    let mut bob = AcceptorRelay::new(rt.clone(), config.clone(), bob_settings);
    let bob_path = bob
        .prepare(None)
        .await
        .expect("bob authenticates over MSRP");
    assert_eq!(bob_path.len(), 2, "{bob_path:?}");
    let relay = within(
        &rt,
        WAIT,
        "AUTH over WebSocket",
        RelayConnection::connect(rt.clone(), config, &ws_settings(&env, security, &env.user)),
    )
    .await
    .expect("alice authenticates over WebSocket");
    assert_eq!(relay.relay().transport(), "ws", "{}", relay.relay());
    let mut alice = ConnectorRelay::with_connection(relay);
    let alice_path = alice.prepare(None).await.expect("alice's path");
    assert_ws_client_path(&alice_path, security);
    let (alice, bob) = within(
        &rt,
        WAIT,
        "binding through the relay, WebSocket on one side",
        join(alice.complete(&bob_path), bob.complete(&alice_path)),
    )
    .await;
    let (mut alice, mut bob) = (
        Session::new(alice.expect("alice binds")),
        Session::new(bob.expect("bob accepts")),
    );
    assert_eq!(bob.remote_path().uris(), &alice_path[..]);
    texts_and_files(&rt, &mut alice, &mut bob).await;
}

/// Alice, a WebSocket client of the relay over `ws://`, calls Bob, who is
/// behind the same relay over its plain MSRP TCP listener: texts and a
/// 1 MiB file each way.
pub async fn relay_ws_caller_to_acceptor_behind_relay<R: Runtime>(rt: R) {
    ws_caller_to_relayed_acceptor(rt, Security::Tcp).await;
}

/// [`relay_ws_caller_to_acceptor_behind_relay`] with `wss://` on one side
/// and TLS on the other.
pub async fn relay_wss_caller_to_acceptor_behind_relay<R: Runtime>(rt: R) {
    ws_caller_to_relayed_acceptor(rt, Security::Tls).await;
}

/// Over WebSocket as over TCP, a wrong password is refused at once with
/// [`Error::Relay`] naming the relay (its `;ws` URI), the user and the 401,
/// and a user the relay does not allow with 403; a `wss` relay whose
/// certificate is not trusted fails in the TLS handshake, before any
/// WebSocket or MSRP byte.
pub async fn relay_ws_auth_failures<R: Runtime>(rt: R) {
    let env = RelayEnv::get();
    for security in [Security::Tcp, Security::Tls] {
        let wrong = RelaySettings::from_ws_url(&ws_url(security), &env.user, "not the password");
        let err = within(
            &rt,
            WAIT,
            "a wrong password to be refused over WebSocket",
            RelayConnection::connect(rt.clone(), env.config(), &wrong),
        )
        .await
        .expect_err("a wrong password");
        assert!(
            matches!(err, Error::Relay { code: 401, .. }),
            "{security:?}: {err:?}"
        );
        let text = err.to_string();
        let relay = ws_url(security).msrp_uri().expect("URI").to_string();
        assert!(
            text.contains(&relay) && text.contains(&env.user),
            "names the relay and the user: {text}"
        );
        let forbidden = ws_settings(&env, security, &env.forbidden_user);
        let err = within(
            &rt,
            WAIT,
            "a forbidden user to be refused over WebSocket",
            RelayConnection::connect(rt.clone(), env.config(), &forbidden),
        )
        .await
        .expect_err("a forbidden user");
        assert!(
            matches!(err, Error::Relay { code: 403, .. }),
            "{security:?}: {err:?}"
        );
    }
    // wss without the relay's CA: the certificate is refused.
    let mut untrusting = env.config();
    untrusting.tls_client = Some(crate::support::local_cert().client());
    let err = within(
        &rt,
        WAIT,
        "an untrusted wss certificate",
        RelayConnection::connect(
            rt.clone(),
            untrusting,
            &ws_settings(&env, Security::Tls, &env.user),
        ),
    )
    .await
    .expect_err("an untrusted certificate");
    let text = err.to_string();
    assert!(text.contains("TLS"), "a TLS failure: {text}");
}
