//! Sessions through a real MSRP relay (RFC 4976): Kamailio's msrp module,
//! started by the test suite (see [`RelayEnv`]). One side behind the relay
//! or both, over TCP and TLS; AUTH failures, 423, renewal during a
//! transfer, a relay lost mid-transfer, and sessions sharing one relay
//! connection.

use std::time::Duration;

use futures_util::future::join;
use msrp_endpoint::msrp_proto::MsrpUri;
use msrp_endpoint::msrp_proto::connection::{Outcome, OutgoingMessage};
use msrp_endpoint::msrp_proto::wire::SuccessReport;
use msrp_endpoint::{
    AcceptorDirect, AcceptorRelay, ConnectorDirect, ConnectorRelay, EndpointConfig, Error,
    RelayConnection, RelaySettings, Runtime, Session, Transport,
};
use sha2::{Digest, Sha256};

use crate::relay_env::RelayEnv;
use crate::scenarios::direct::exchange;
use crate::support::{
    Security, TRANSFER, WAIT, acceptor_uri, all_updates, assert_delivered_with_progress,
    collect_message, pattern, send_text_and_check, single_outcome, text, within,
};

/// Which sides go through the relay.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Sides {
    CallerBehindRelay,
    AnswererBehindRelay,
    Both,
}

/// A bound pair: alice called, bob answered, as `sides` says; each side
/// behind the relay authenticates with its settings.
pub(crate) async fn relayed_pair<R: Runtime>(
    rt: &R,
    config: EndpointConfig,
    (alice_settings, bob_settings): (RelaySettings, RelaySettings),
    security: Security,
    sides: Sides,
) -> (Session, Session) {
    let caller_relayed = matches!(sides, Sides::CallerBehindRelay | Sides::Both);
    let answerer_relayed = matches!(sides, Sides::AnswererBehindRelay | Sides::Both);

    let mut bob_relay = None;
    let mut bob_direct = None;
    let bob_path = if answerer_relayed {
        let mut acceptor = AcceptorRelay::new(rt.clone(), config.clone(), bob_settings);
        let path = acceptor.prepare(None).await.expect("bob authenticates");
        bob_relay = Some(acceptor);
        path
    } else {
        let mut acceptor = AcceptorDirect::new(rt.clone(), config.clone());
        let path = acceptor
            .prepare(Some(acceptor_uri(security, "bobrelayed01")))
            .await
            .expect("acceptor prepare");
        bob_direct = Some(acceptor);
        path
    };
    let (alice_path, alice) = if caller_relayed {
        let mut connector = ConnectorRelay::new(rt.clone(), config.clone(), alice_settings);
        let path = connector.prepare(None).await.expect("alice authenticates");
        (path, Caller::Relay(connector))
    } else {
        let mut connector = ConnectorDirect::new(rt.clone(), config.clone());
        let uri = acceptor_uri(security, "alicedirect1").with_port(2855);
        let path = connector
            .prepare(Some(uri))
            .await
            .expect("connector prepare");
        (path, Caller::Direct(connector))
    };
    if caller_relayed {
        assert_eq!(alice_path.len(), 2, "alice's path: the relay, then alice");
    }
    if answerer_relayed {
        assert_eq!(bob_path.len(), 2, "bob's path: the relay, then bob");
    }
    let answer = async {
        match (&mut bob_relay, &mut bob_direct) {
            (Some(a), _) => a.complete(&alice_path).await,
            (_, Some(a)) => a.complete(&alice_path).await,
            _ => unreachable!("one acceptor"),
        }
    };
    let (alice, bob) = within(
        rt,
        WAIT,
        "both sides to bind through the relay",
        join(alice.complete(&bob_path), answer),
    )
    .await;
    let (alice, bob) = (
        alice.expect("alice binds"),
        bob.expect("bob sees alice bind"),
    );
    assert_eq!(alice.remote_path().uris(), &bob_path[..]);
    assert_eq!(bob.remote_path().uris(), &alice_path[..]);
    (Session::new(alice), Session::new(bob))
}

enum Caller<R: Runtime> {
    Direct(ConnectorDirect<R>),
    Relay(ConnectorRelay<R>),
}

impl<R: Runtime> Caller<R> {
    async fn complete(mut self, path: &[MsrpUri]) -> Result<Transport, Error> {
        match &mut self {
            Self::Direct(c) => c.complete(path).await,
            Self::Relay(c) => c.complete(path).await,
        }
    }
}

/// Binds `alice`, behind the relay, to a direct acceptor (Bob) over
/// `security`.
pub(crate) async fn bind_to_direct<R: Runtime>(
    rt: &R,
    config: EndpointConfig,
    mut alice: ConnectorRelay<R>,
    security: Security,
    session_id: &str,
) -> (Session, Session) {
    let mut bob = AcceptorDirect::new(rt.clone(), config);
    let bob_path = bob
        .prepare(Some(acceptor_uri(security, session_id)))
        .await
        .expect("acceptor prepare");
    let alice_path = alice.prepare(None).await.expect("alice's path");
    let (alice, bob) = within(
        rt,
        WAIT,
        "binding through the relay",
        join(alice.complete(&bob_path), bob.complete(&alice_path)),
    )
    .await;
    (
        Session::new(alice.expect("alice binds")),
        Session::new(bob.expect("bob accepts")),
    )
}

/// The binary file of the relay scenarios: 1 MiB, so about a hundred
/// relay-sized chunks.
const FILE: u64 = 1 << 20;

/// Texts both ways, then a binary file each way, SHA-256 checked, each
/// confirmed by success REPORTs that come back through the relay.
pub(crate) async fn texts_and_files<R: Runtime>(rt: &R, alice: &mut Session, bob: &mut Session) {
    exchange(rt, alice, bob).await;
    send_file_and_check(rt, alice, bob, 3).await;
    send_file_and_check(rt, bob, alice, 4).await;
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
        "a 1 MiB file through the relay",
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
    assert_delivered_with_progress(&updates, FILE);
}

async fn through_relay<R: Runtime>(rt: R, security: Security, sides: Sides) {
    let env = RelayEnv::get();
    let settings = (
        env.settings(security, &env.user),
        env.settings(security, &env.user2),
    );
    let (mut alice, mut bob) = relayed_pair(&rt, env.config(), settings, security, sides).await;
    texts_and_files(&rt, &mut alice, &mut bob).await;
}

/// Alice behind the relay calls Bob directly, over TCP.
pub async fn relay_tcp_caller_behind_relay<R: Runtime>(rt: R) {
    through_relay(rt, Security::Tcp, Sides::CallerBehindRelay).await;
}

/// [`relay_tcp_caller_behind_relay`] over TLS.
pub async fn relay_tls_caller_behind_relay<R: Runtime>(rt: R) {
    through_relay(rt, Security::Tls, Sides::CallerBehindRelay).await;
}

/// Alice calls Bob, who is behind the relay, over TCP.
pub async fn relay_tcp_answerer_behind_relay<R: Runtime>(rt: R) {
    through_relay(rt, Security::Tcp, Sides::AnswererBehindRelay).await;
}

/// [`relay_tcp_answerer_behind_relay`] over TLS.
pub async fn relay_tls_answerer_behind_relay<R: Runtime>(rt: R) {
    through_relay(rt, Security::Tls, Sides::AnswererBehindRelay).await;
}

/// Both behind the relay (two AUTHs), over TCP.
pub async fn relay_tcp_both_behind_relay<R: Runtime>(rt: R) {
    through_relay(rt, Security::Tcp, Sides::Both).await;
}

/// [`relay_tcp_both_behind_relay`] over TLS.
pub async fn relay_tls_both_behind_relay<R: Runtime>(rt: R) {
    through_relay(rt, Security::Tls, Sides::Both).await;
}

/// A wrong password and a user the relay does not allow each fail at once
/// with one clear error naming the relay, the user and the status; an
/// Expires below the relay's minimum is corrected after its 423.
pub async fn relay_auth_failures_and_423<R: Runtime>(rt: R) {
    let env = RelayEnv::get();
    for security in [Security::Tcp, Security::Tls] {
        let relay = env.uri(security);
        let wrong = RelaySettings::from_uri(&relay, &env.user, "not the password");
        let err = within(
            &rt,
            WAIT,
            "a wrong password to be refused",
            RelayConnection::connect(rt.clone(), env.config(), &wrong),
        )
        .await
        .expect_err("a wrong password");
        let text = err.to_string();
        assert!(
            matches!(err, Error::Relay { code: 401, .. }),
            "{security:?}: {err:?}"
        );
        assert!(
            text.contains(&relay.to_string()) && text.contains(&env.user),
            "names the relay and the user: {text}"
        );

        let forbidden = env.settings(security, &env.forbidden_user);
        let err = RelayConnection::connect(rt.clone(), env.config(), &forbidden)
            .await
            .expect_err("a forbidden user");
        assert!(
            matches!(err, Error::Relay { code: 403, .. }),
            "{security:?}: {err:?}"
        );
        assert!(err.to_string().contains(": 403"), "{err}");

        // One second below the minimum: 423, then the minimum is granted.
        let short = env
            .settings(security, &env.user)
            .expires(env.min_expires.saturating_sub(1));
        let relay = RelayConnection::connect(rt.clone(), env.config(), &short)
            .await
            .expect("granted after the 423");
        assert_eq!(
            relay.expires(),
            Duration::from_secs(u64::from(env.min_expires))
        );
    }
}

/// With the shortest Expires the relay allows, the authentication is
/// renewed several times while messages keep flowing through the relay,
/// whose path stays valid throughout.
pub async fn relay_auth_renewed_during_transfer<R: Runtime>(rt: R) {
    let env = RelayEnv::get();
    let mut config = env.config();
    config.bind_timeout = WAIT;
    let settings = env
        .settings(Security::Tcp, &env.user)
        .expires(env.min_expires);
    let relay = RelayConnection::connect(rt.clone(), config.clone(), &settings)
        .await
        .expect("authenticated");
    let alice = ConnectorRelay::with_connection(relay.clone());
    let (alice, mut bob) = bind_to_direct(&rt, config, alice, Security::Tcp, "bobrenewal01").await;
    // Past three lifetimes of the relay path, one message after the other.
    let until = rt.now() + Duration::from_secs(u64::from(env.min_expires) * 3 + 1);
    let mut sent = 0;
    while rt.now() < until {
        send_text_and_check(&rt, &alice, &mut bob, &format!("message {sent}")).await;
        sent += 1;
    }
    assert!(sent > 3, "messages kept flowing: {sent}");
    drop(relay);
}

/// Two sessions share one authenticated relay connection on each side.
pub async fn relay_sessions_share_one_relay_connection<R: Runtime>(rt: R) {
    let env = RelayEnv::get();
    let config = env.config();
    let alice_relay = RelayConnection::connect(
        rt.clone(),
        config.clone(),
        &env.settings(Security::Tls, &env.user),
    )
    .await
    .expect("alice authenticates");
    let bob_relay = RelayConnection::connect(
        rt.clone(),
        config.clone(),
        &env.settings(Security::Tls, &env.user2),
    )
    .await
    .expect("bob authenticates");
    let mut pairs = Vec::new();
    for _ in 0..2 {
        let mut bob = AcceptorRelay::with_connection(bob_relay.clone());
        let bob_path = bob.prepare(None).await.expect("bob's path");
        let mut alice = ConnectorRelay::with_connection(alice_relay.clone());
        let alice_path = alice.prepare(None).await.expect("alice's path");
        assert_eq!(alice_path[0], alice_relay.use_path().uris()[0]);
        let (alice, bob) = within(
            &rt,
            WAIT,
            "a session on the shared relay connections",
            join(alice.complete(&bob_path), bob.complete(&alice_path)),
        )
        .await;
        pairs.push((
            Session::new(alice.expect("alice binds")),
            Session::new(bob.expect("bob accepts")),
        ));
    }
    for (i, (alice, bob)) in pairs.iter_mut().enumerate() {
        send_text_and_check(&rt, alice, bob, &format!("on session {i}")).await;
        send_text_and_check(&rt, bob, alice, &format!("back on session {i}")).await;
    }
}

/// The relay goes away in the middle of a transfer (a proxy in front of it
/// is cut): every message still pending fails exactly once, with a reason
/// (408, as RFC 4975 §7.1.1 treats a lost connection).
pub async fn relay_lost_mid_transfer_fails_pending_messages_once<R: Runtime>(rt: R) {
    let env = RelayEnv::get();
    let proxy = crate::support::CutProxy::start(&rt, &env.tcp).await;
    let relay_uri: MsrpUri = format!("msrp://127.0.0.1:{};tcp", proxy.port())
        .parse()
        .expect("URI");
    let settings = RelaySettings::from_uri(&relay_uri, &env.user, &env.password);
    let alice = ConnectorRelay::new(rt.clone(), env.config(), settings);
    let (alice, _bob) =
        bind_to_direct(&rt, env.config(), alice, Security::Tcp, "boblost00001").await;
    // A large message in flight and a few small ones queued behind it.
    let mut handles = Vec::new();
    let big = OutgoingMessage::new("application/octet-stream")
        .body(pattern(9, 0, 8 << 20))
        .success_report(SuccessReport::Yes);
    handles.push(alice.send_message(big).await.expect("send"));
    for i in 0..3 {
        handles.push(
            alice
                .send_message(text(&format!("queued {i}")))
                .await
                .expect("send"),
        );
    }
    proxy.cut();
    // Each message has exactly one outcome: short ones may have overtaken
    // the large one and been delivered before the cut; the large one
    // cannot have been.
    for (i, handle) in handles.into_iter().enumerate() {
        let updates = within(&rt, WAIT, "an outcome after the cut", all_updates(handle)).await;
        match single_outcome(&updates) {
            Outcome::Failed { code, comment } => {
                assert_eq!(code, 408, "{comment}");
                assert!(!comment.is_empty(), "a reason");
            }
            Outcome::Delivered if i > 0 => {}
            other => panic!("message {i}: expected a failure after the relay went, got {other:?}"),
        }
    }
}

/// Settings that name only the domain find the relay by DNS SRV
/// (`_msrps._tcp.<domain>`, as msrplib looks relays up), here from a DNS
/// server on 127.0.0.1 that the test suite runs: the connection goes to the
/// SRV target and checks the relay's certificate against its name.
pub async fn relay_found_by_dns_srv<R: Runtime>(rt: R) {
    let env = RelayEnv::get();
    let dns: std::net::SocketAddr = env.dns.parse().expect("the DNS server's address");
    for security in [Security::Tls, Security::Tcp] {
        let settings = RelaySettings::new(&env.domain, &env.user, &env.password)
            .tls(security == Security::Tls)
            .name_servers([dns]);
        let relay = within(
            &rt,
            WAIT,
            "the relay found by SRV",
            RelayConnection::connect(rt.clone(), env.config(), &settings),
        )
        .await
        .expect("authenticated at the relay the SRV record names");
        assert_eq!(relay.relay().host_str(), env.host, "{security:?}");
        let wanted = match security {
            Security::Tls => &env.tls,
            Security::Tcp => &env.tcp,
        };
        assert_eq!(
            relay.relay().port().map(|p| p.to_string()),
            wanted.rsplit_once(':').map(|(_, p)| p.to_owned())
        );
        let alice = ConnectorRelay::with_connection(relay);
        let (alice, mut bob) =
            bind_to_direct(&rt, env.config(), alice, security, "bobsrvfound1").await;
        send_text_and_check(&rt, &alice, &mut bob, "found by SRV").await;
    }
}
