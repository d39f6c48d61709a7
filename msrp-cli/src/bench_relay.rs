//! The relay parts of `msrp bench`: an in-process relay of ours for the
//! `--relay` throughput runs, and the `--relay-sessions N` run (many
//! sessions through one relay, a message each way on each).

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Instant;

use futures_util::future::{join, join_all};
use msrp_endpoint::msrp_proto::connection::{Outcome, OutgoingMessage};
use msrp_endpoint::msrp_proto::relay::{RelayConfig, RelayStats, Users};
use msrp_endpoint::msrp_proto::wire::SuccessReport;
use msrp_endpoint::{
    AcceptorRelay, ConnectorRelay, EndpointConfig, Incoming, RelayConnection, RelayListen,
    RelayServer, RelayServerConfig, RelaySettings, Runtime, Session, TlsClient,
};
use msrp_proto::MsrpUri;
use serde::Serialize;

use crate::certs::LocalTls;
use crate::error::CliError;

/// The realm of the in-process relay.
const REALM: &str = "bench";

/// A relay of ours in this process, with users alice and bob.
pub(crate) struct InProcessRelay<R: Runtime> {
    server: RelayServer<R>,
    password: String,
}

impl<R: Runtime> InProcessRelay<R> {
    /// Listens on 127.0.0.1 (TLS and TCP, free ports) with the bench's
    /// certificate.
    pub(crate) async fn start(rt: &R, tls: Option<&LocalTls>) -> Result<Self, CliError> {
        let local = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
        let mut config = RelayServerConfig::new(RelayConfig::new("127.0.0.1", REALM));
        config.listen = vec![RelayListen::tcp(local)];
        if let Some(tls) = tls {
            config.listen.push(RelayListen::tls(local));
            config.tls_server = Some(tls.server.clone());
            config.tls_client = Some(tls.client.clone());
        }
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes).map_err(|e| CliError::failed(format!("no randomness: {e}")))?;
        let password: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let mut users = Users::new();
        for user in ["alice", "bob"] {
            users.add_password(user, REALM, &password);
        }
        let server = RelayServer::start(rt.clone(), config, users)
            .await
            .map_err(|e| CliError::failed(format!("the in-process relay: {e}")))?;
        Ok(Self { server, password })
    }

    /// Settings for alice and for bob, over TLS or TCP.
    pub(crate) fn settings(&self, tls: bool) -> Option<(RelaySettings, RelaySettings)> {
        let uri = self.server.uri(tls)?;
        Some((
            RelaySettings::from_uri(&uri, "alice", &self.password),
            RelaySettings::from_uri(&uri, "bob", &self.password),
        ))
    }

    /// The relay's figures now.
    pub(crate) fn stats(&self) -> RelayStats {
        self.server.stats()
    }
}

/// What `--relay-sessions` measured.
#[derive(Debug, Serialize)]
struct SessionsReport {
    runtime: &'static str,
    sessions: usize,
    relay_connections_per_side: usize,
    setup_ms: u128,
    messages_ms: u128,
    /// Figures of the in-process relay (absent with --relay-at).
    relay_connections: Option<usize>,
    relay_grants: Option<usize>,
    relay_peak_queued_bytes: Option<usize>,
    /// This process (endpoints, and the relay unless --relay-at).
    vm_hwm_kib: Option<u64>,
    vm_rss_kib: Option<u64>,
}

/// Where the sessions' relay is, for `--relay-sessions`.
pub(crate) struct External {
    pub(crate) uri: MsrpUri,
    pub(crate) user: String,
    pub(crate) ca: Option<PathBuf>,
}

/// What keeps the sessions of `--relay-sessions` (and the in-process
/// relay) alive: drop it to end them.
pub(crate) type Held<R> = (Vec<(Session, Session)>, Option<InProcessRelay<R>>);

/// `--relay-sessions N`.
pub(crate) async fn sessions<R: Runtime>(
    rt: R,
    count: usize,
    per_connection: usize,
    external: Option<External>,
    json: bool,
) -> Result<Held<R>, CliError> {
    let per_connection = per_connection.clamp(1, 64);
    let connections = count.div_ceil(per_connection).max(1);
    let mut config = EndpointConfig::default();
    let (relay, alice, bob) = match external {
        Some(ext) => {
            let password = std::env::var(crate::relay::PASSWORD_VAR).map_err(|_| {
                CliError::usage("--relay-at needs the password in MSRP_RELAY_PASSWORD")
            })?;
            let user = ext.user;
            if let Some(ca) = &ext.ca {
                config.tls_client = Some(
                    TlsClient::with_ca_file(ca)
                        .map_err(|e| CliError::usage(format!("--relay-ca: {e}")))?,
                );
            }
            let settings = RelaySettings::from_uri(&ext.uri, &user, &password);
            (None, settings.clone(), settings)
        }
        None => {
            let relay = InProcessRelay::start(&rt, None).await?;
            let (alice, bob) = relay
                .settings(false)
                .ok_or_else(|| CliError::failed("no TCP listener"))?;
            (Some(relay), alice, bob)
        }
    };
    let failed = |what: &str, e: msrp_endpoint::Error| CliError::failed(format!("{what}: {e}"));
    let started = Instant::now();
    let mut alices = Vec::new();
    let mut bobs = Vec::new();
    for _ in 0..connections {
        alices.push(
            RelayConnection::connect(rt.clone(), config.clone(), &alice)
                .await
                .map_err(|e| failed("alice's relay connection", e))?,
        );
        bobs.push(
            RelayConnection::connect(rt.clone(), config.clone(), &bob)
                .await
                .map_err(|e| failed("bob's relay connection", e))?,
        );
    }
    let pairs = join_all((0..count).map(|i| {
        let (a, b) = (
            alices[i % connections].clone(),
            bobs[i % connections].clone(),
        );
        async move {
            let mut bob = AcceptorRelay::with_connection(b);
            let bob_path = bob.prepare(None).await?;
            let mut alice = ConnectorRelay::with_connection(a);
            let alice_path = alice.prepare(None).await?;
            let (alice, bob) = join(alice.complete(&bob_path), bob.complete(&alice_path)).await;
            Ok::<_, msrp_endpoint::Error>((Session::new(alice?), Session::new(bob?)))
        }
    }))
    .await
    .into_iter()
    .collect::<Result<Vec<_>, _>>()
    .map_err(|e| failed("a session", e))?;
    let setup = started.elapsed();
    let started = Instant::now();
    let results = join_all(pairs.into_iter().map(|(alice, bob)| async move {
        let mut alice = alice;
        let mut bob = bob;
        exchange(&alice, &mut bob).await?;
        exchange(&bob, &mut alice).await?;
        Ok::<_, String>((alice, bob))
    }))
    .await;
    let messages = started.elapsed();
    let pairs: Vec<_> = results
        .into_iter()
        .collect::<Result<_, _>>()
        .map_err(CliError::failed)?;
    let stats = relay.as_ref().map(InProcessRelay::stats);
    let (hwm, rss) = memory();
    let report = SessionsReport {
        runtime: rt.name(),
        sessions: count,
        relay_connections_per_side: connections,
        setup_ms: setup.as_millis(),
        messages_ms: messages.as_millis(),
        relay_connections: stats.map(|s| s.connections),
        relay_grants: stats.map(|s| s.grants),
        relay_peak_queued_bytes: stats.map(|s| s.peak_queued_bytes),
        vm_hwm_kib: hwm,
        vm_rss_kib: rss,
    };
    if json {
        println!("{}", serde_json::to_string(&report).unwrap_or_default());
    } else {
        println!(
            "msrp bench --relay-sessions: {count} sessions over {connections} relay connections per side"
        );
        println!("  set-up (AUTH + bind): {} ms", report.setup_ms);
        println!("  a message each way on each: {} ms", report.messages_ms);
        if let Some(s) = stats {
            println!(
                "  relay: {} connections, {} relay URIs, at most {} bytes queued for a connection",
                s.connections, s.grants, s.peak_queued_bytes
            );
        }
        if let (Some(hwm), Some(rss)) = (hwm, rss) {
            println!("  this process: peak RSS {hwm} KiB, RSS now {rss} KiB");
        }
    }
    Ok((pairs, relay))
}

/// A text with a success REPORT from `from`, read at `to`.
async fn exchange(from: &Session, to: &mut Session) -> Result<(), String> {
    let handle = from
        .send_message(
            OutgoingMessage::new("text/plain")
                .body(&b"ping through the relay"[..])
                .success_report(SuccessReport::Yes),
        )
        .await
        .map_err(|e| e.to_string())?;
    let received = async {
        while let Some(item) = to.next_incoming().await {
            if matches!(item, Incoming::Completed { .. } | Incoming::Message(_)) {
                return true;
            }
        }
        false
    };
    let (got, outcome) = join(received, handle.outcome()).await;
    match (got, outcome) {
        (true, Outcome::Delivered) => Ok(()),
        (got, outcome) => Err(format!("message received: {got}, outcome {outcome:?}")),
    }
}

/// Peak and current resident memory of this process, from
/// `/proc/self/status` (Linux; `None` elsewhere).
pub(crate) fn memory() -> (Option<u64>, Option<u64>) {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return (None, None);
    };
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    };
    (field("VmHWM:"), field("VmRSS:"))
}
