//! `msrp bench --sessions N`: many sessions to one [`MsrpServer`] in a
//! child process (so that its memory is the server's alone), small messages
//! answered with 200s, and what it costs: set-up time, messages per second,
//! latency percentiles and resident memory on both sides.
//!
//! The child is this program again, `msrp bench --serve-sessions N`: it
//! prepares N URIs, prints them one per line and then `ready`, accepts the
//! sessions, reads every message, and answers each `report` line on its
//! standard input with one JSON line of its memory figures.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Instant;

use bytes::Bytes;
use futures_channel::mpsc;
use futures_util::stream::{self, FuturesUnordered, StreamExt};
use msrp_endpoint::{
    ConnectorDirect, ConnectorRelay, EndpointConfig, MsrpServer, RelayConnection, Runtime, Session,
    Transport,
};
use msrp_proto::MsrpUri;
use msrp_proto::connection::{Outcome, OutgoingMessage};
use serde::{Deserialize, Serialize};

use crate::bench_relay::InProcessRelay;
use crate::error::CliError;
use crate::runtime::{self, RuntimeArg};

/// Connections being set up at once (below the server's bound on
/// connections waiting to bind, so that none is dropped for it).
const SETUP_CONCURRENCY: usize = 48;
/// Sessions being bound at once over existing connections.
const REUSE_CONCURRENCY: usize = 256;

/// What `--sessions` asks for.
#[derive(Debug, Clone)]
pub(crate) struct SessionsBench {
    pub(crate) runtime: RuntimeArg,
    pub(crate) sessions: usize,
    pub(crate) connections: usize,
    pub(crate) messages: usize,
    pub(crate) window: usize,
    pub(crate) message_size: usize,
    /// Through an in-process relay of ours: the sessions' callers are
    /// behind it, on `connections` relay connections.
    pub(crate) relay: bool,
}

/// The server's memory, as the child reports it.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
struct Memory {
    rss_kib: u64,
    peak_rss_kib: u64,
}

#[derive(Debug, Serialize)]
struct Report {
    runtime: &'static str,
    sessions: usize,
    connections: usize,
    relay: bool,
    messages: usize,
    message_size: usize,
    window: usize,
    setup_seconds: f64,
    messages_per_second: f64,
    p50_us: u64,
    p99_us: u64,
    server_start_rss_kib: u64,
    server_idle_rss_kib: u64,
    server_peak_rss_kib: u64,
    server_kib_per_session: f64,
    client_peak_rss_kib: u64,
}

/// The bench's side: starts the server child, sets up the sessions, sends
/// the messages and prints the report.
pub(crate) async fn run<R: Runtime>(
    rt: R,
    bench: SessionsBench,
    json: bool,
) -> Result<(), CliError> {
    if bench.sessions == 0 || bench.connections == 0 {
        return Err(CliError::usage(
            "--sessions and --connections must be at least 1",
        ));
    }
    if bench.connections > bench.sessions {
        return Err(CliError::usage(format!(
            "--connections {} is more than --sessions {}: each connection carries at least one session",
            bench.connections, bench.sessions
        )));
    }
    let mut server = ServerChild::start(&bench)?;
    let start_memory = server.memory()?;
    let paths = server.paths.clone();

    let relay = if bench.relay {
        Some(InProcessRelay::start(&rt, None).await?)
    } else {
        None
    };
    let setup = Instant::now();
    let sessions = match &relay {
        Some(relay) => set_up_relayed(&rt, relay, &paths, bench.connections).await?,
        None => set_up(&rt, &paths, bench.connections).await?,
    };
    let setup = setup.elapsed();
    let idle_memory = server.memory()?;

    let per_session = bench.messages.div_ceil(bench.sessions);
    let body = Bytes::from(vec![b'x'; bench.message_size]);
    let started = Instant::now();
    let tasks: Vec<_> = sessions
        .into_iter()
        .map(|session| runtime::spawn(&rt, talk(session, per_session, bench.window, body.clone())))
        .collect();
    let mut latencies = Vec::with_capacity(per_session * bench.sessions);
    for task in tasks {
        let mut got = task
            .await
            .map_err(|_| CliError::failed("a session's task was lost"))?
            .map_err(CliError::failed)?;
        latencies.append(&mut got);
    }
    let elapsed = started.elapsed();
    let peak = server.memory()?;
    server.finish();
    drop(relay);

    latencies.sort_unstable();
    let percentile = |p: f64| {
        let i = ((latencies.len() as f64 - 1.0) * p).round() as usize;
        latencies.get(i).copied().unwrap_or(0)
    };
    let report = Report {
        runtime: rt.name(),
        sessions: bench.sessions,
        connections: bench.connections,
        relay: bench.relay,
        messages: latencies.len(),
        message_size: bench.message_size,
        window: bench.window,
        setup_seconds: round3(setup.as_secs_f64()),
        messages_per_second: (latencies.len() as f64 / elapsed.as_secs_f64()).round(),
        p50_us: percentile(0.50),
        p99_us: percentile(0.99),
        server_start_rss_kib: start_memory.rss_kib,
        server_idle_rss_kib: idle_memory.rss_kib,
        server_peak_rss_kib: peak.peak_rss_kib,
        server_kib_per_session: round3(
            idle_memory.rss_kib.saturating_sub(start_memory.rss_kib) as f64 / bench.sessions as f64,
        ),
        client_peak_rss_kib: own_memory().peak_rss_kib,
    };
    if json {
        println!("{}", serde_json::to_string(&report).unwrap_or_default());
    } else {
        print_table(&report);
    }
    Ok(())
}

fn print_table(r: &Report) {
    let through = if r.relay {
        " through an in-process relay"
    } else {
        ""
    };
    println!(
        "msrp bench: {} sessions on {} connections{through} to one MsrpServer ({}), {} messages of {} bytes, {} in flight per session",
        r.sessions, r.connections, r.runtime, r.messages, r.message_size, r.window
    );
    println!("set-up          {:>10.3} s", r.setup_seconds);
    println!("messages        {:>10.0} per second", r.messages_per_second);
    println!(
        "latency         {:>10} µs p50, {} µs p99",
        r.p50_us, r.p99_us
    );
    println!(
        "server memory   {:>10} KiB at start, {} KiB with the sessions idle ({:.1} KiB each), {} KiB peak",
        r.server_start_rss_kib,
        r.server_idle_rss_kib,
        r.server_kib_per_session,
        r.server_peak_rss_kib
    );
    println!("client memory   {:>10} KiB peak", r.client_peak_rss_kib);
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Binds one session to each of `paths`, over `connections` connections:
/// the first sessions each open one, the others share them round-robin.
async fn set_up<R: Runtime>(
    rt: &R,
    paths: &[MsrpUri],
    connections: usize,
) -> Result<Vec<Session>, CliError> {
    let mut config = EndpointConfig::default();
    config.protocol.max_sessions = config
        .protocol
        .max_sessions
        .max(paths.len().div_ceil(connections));
    let (first, rest) = paths.split_at(connections);
    let opened: Vec<Result<Transport, msrp_endpoint::Error>> = stream::iter(first)
        .map(|path| {
            let mut connector = ConnectorDirect::new(rt.clone(), config.clone());
            let path = [path.clone()];
            async move { connector.complete(&path).await }
        })
        .buffered(SETUP_CONCURRENCY)
        .collect()
        .await;
    let opened = opened
        .into_iter()
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| CliError::failed(format!("a session did not bind: {e}")))?;
    let shared: Vec<Result<Transport, msrp_endpoint::Error>> =
        stream::iter(rest.iter().enumerate())
            .map(|(i, path)| {
                let mut connector = ConnectorDirect::new(rt.clone(), config.clone());
                let existing = &opened[i % opened.len()];
                let path = [path.clone()];
                async move { connector.complete_on(existing, &path).await }
            })
            .buffered(REUSE_CONCURRENCY)
            .collect()
            .await;
    let shared = shared
        .into_iter()
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| {
            CliError::failed(format!(
                "a session did not bind on a shared connection: {e}"
            ))
        })?;
    Ok(opened.into_iter().chain(shared).map(Session::new).collect())
}

/// Binds one session to each of `paths` from behind `relay`, over
/// `connections` authenticated relay connections (the relay connects on to
/// the server).
async fn set_up_relayed<R: Runtime>(
    rt: &R,
    relay: &InProcessRelay<R>,
    paths: &[MsrpUri],
    connections: usize,
) -> Result<Vec<Session>, CliError> {
    let failed = |e: msrp_endpoint::Error| CliError::failed(format!("through the relay: {e}"));
    let (alice, _) = relay
        .settings(false)
        .ok_or_else(|| CliError::failed("the in-process relay has no TCP listener"))?;
    let mut config = EndpointConfig::default();
    config.protocol.max_sessions = config
        .protocol
        .max_sessions
        .max(paths.len().div_ceil(connections));
    let relays: Vec<_> = stream::iter(0..connections)
        .map(|_| RelayConnection::connect(rt.clone(), config.clone(), &alice))
        .buffered(SETUP_CONCURRENCY)
        .collect()
        .await;
    let relays = relays
        .into_iter()
        .collect::<Result<Vec<_>, _>>()
        .map_err(failed)?;
    let sessions: Vec<Result<Transport, msrp_endpoint::Error>> =
        stream::iter(paths.iter().enumerate())
            .map(|(i, path)| {
                let mut connector =
                    ConnectorRelay::with_connection(relays[i % relays.len()].clone());
                let path = [path.clone()];
                async move {
                    connector.prepare(None).await?;
                    connector.complete(&path).await
                }
            })
            .buffered(REUSE_CONCURRENCY)
            .collect()
            .await;
    let sessions = sessions
        .into_iter()
        .collect::<Result<Vec<_>, _>>()
        .map_err(failed)?;
    Ok(sessions.into_iter().map(Session::new).collect())
}

/// Sends `count` messages on `session`, `window` of them awaiting their
/// 200 at a time; the latency of each in microseconds.
async fn talk(
    session: Session,
    count: usize,
    window: usize,
    body: Bytes,
) -> Result<Vec<u64>, String> {
    let mut latencies = Vec::with_capacity(count);
    let mut in_flight = FuturesUnordered::new();
    let mut sent = 0;
    while sent < count || !in_flight.is_empty() {
        while sent < count && in_flight.len() < window {
            let started = Instant::now();
            let message = OutgoingMessage::new("text/plain").body(body.clone());
            let handle = session
                .send_message(message)
                .await
                .map_err(|e| format!("sending failed: {e}"))?;
            in_flight.push(async move { (handle.outcome().await, started.elapsed()) });
            sent += 1;
        }
        if let Some((outcome, took)) = in_flight.next().await {
            if outcome != Outcome::Delivered {
                return Err(format!("a message was not delivered: {outcome:?}"));
            }
            latencies.push(u64::try_from(took.as_micros()).unwrap_or(u64::MAX));
        }
    }
    session.shutdown().await;
    Ok(latencies)
}

/// The server process, and the pipes to it.
struct ServerChild {
    child: Child,
    input: ChildStdin,
    output: BufReader<ChildStdout>,
    paths: Vec<MsrpUri>,
}

impl ServerChild {
    fn start(bench: &SessionsBench) -> Result<Self, CliError> {
        let exe = std::env::current_exe().map_err(|e| {
            CliError::failed(format!("cannot find this program to start the server: {e}"))
        })?;
        let runtime = match bench.runtime {
            RuntimeArg::Tokio => "tokio",
            RuntimeArg::AsyncStd => "async-std",
            RuntimeArg::Smol => "smol",
        };
        let mut child = Command::new(exe)
            .args(["bench", "--runtime", runtime, "--serve-sessions"])
            .arg(bench.sessions.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| CliError::failed(format!("cannot start the server process: {e}")))?;
        let (Some(input), Some(output)) = (child.stdin.take(), child.stdout.take()) else {
            return Err(CliError::failed("the server process has no pipes"));
        };
        let mut output = BufReader::new(output);
        let mut paths = Vec::with_capacity(bench.sessions);
        let mut line = String::new();
        loop {
            line.clear();
            if output.read_line(&mut line).map_err(server_lost)? == 0 {
                return Err(CliError::failed(
                    "the server process ended before it was ready",
                ));
            }
            match line.trim() {
                "ready" => break,
                uri => paths.push(MsrpUri::parse(uri).map_err(|e| {
                    CliError::failed(format!("the server process printed {uri:?}: {e}"))
                })?),
            }
        }
        if paths.len() != bench.sessions {
            return Err(CliError::failed(format!(
                "the server prepared {} sessions, not {}",
                paths.len(),
                bench.sessions
            )));
        }
        Ok(Self {
            child,
            input,
            output,
            paths,
        })
    }

    /// Asks the server for its memory figures now.
    fn memory(&mut self) -> Result<Memory, CliError> {
        writeln!(self.input, "report").map_err(server_lost)?;
        self.input.flush().map_err(server_lost)?;
        let mut line = String::new();
        if self.output.read_line(&mut line).map_err(server_lost)? == 0 {
            return Err(CliError::failed("the server process ended early"));
        }
        serde_json::from_str(&line)
            .map_err(|e| CliError::failed(format!("the server process printed {line:?}: {e}")))
    }

    fn finish(mut self) {
        drop(self.input);
        let _ = self.child.wait();
    }
}

fn server_lost(e: std::io::Error) -> CliError {
    CliError::failed(format!("lost the server process: {e}"))
}

/// This process's resident memory now and at its peak (zeroes where
/// unknown).
fn own_memory() -> Memory {
    let (peak, rss) = crate::bench_relay::memory();
    Memory {
        rss_kib: rss.unwrap_or(0),
        peak_rss_kib: peak.unwrap_or(0),
    }
}

/// The child's side (`--serve-sessions N`): an `MsrpServer` on 127.0.0.1
/// expecting `count` sessions, whose messages it reads (each is answered
/// with a 200 by the connection); a JSON line of [`Memory`] for each
/// `report` line on standard input, until standard input ends.
pub(crate) async fn serve<R: Runtime>(rt: R, count: usize) -> Result<(), CliError> {
    let mut config = EndpointConfig::default();
    config.local_host = "127.0.0.1".into();
    // The bench opens its connections a few dozen at a time.
    config.max_unbound_connections = config.max_unbound_connections.max(SETUP_CONCURRENCY * 2);
    // However the bench spreads them over its connections.
    config.protocol.max_sessions = config.protocol.max_sessions.max(count);
    let server = MsrpServer::new(rt.clone(), config);
    let mut out = std::io::stdout().lock();
    for _ in 0..count {
        let path = server
            .prepare(None)
            .await
            .map_err(|e| CliError::failed(format!("server prepare: {e}")))?;
        writeln!(out, "{}", path[0]).map_err(stdout_failed)?;
    }
    writeln!(out, "ready").map_err(stdout_failed)?;
    out.flush().map_err(stdout_failed)?;
    drop(out);

    // Standard input is read by a thread of its own: a blocking read would
    // hold up the executor.
    let (reports, mut asked) = mpsc::unbounded();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            match line {
                Ok(line) if line.trim() == "report" => {
                    if reports.unbounded_send(()).is_err() {
                        return;
                    }
                }
                Ok(_) => {}
                Err(_) => return,
            }
        }
    });
    let accepting = {
        let rt = rt.clone();
        runtime::spawn(&rt.clone(), async move {
            for _ in 0..count {
                let Ok(transport) = server.complete_any().await else {
                    continue;
                };
                let mut session = Session::new(transport);
                rt.spawn(Box::pin(async move {
                    while session.next_incoming().await.is_some() {}
                }));
            }
            server
        })
    };
    while asked.next().await.is_some() {
        let memory = own_memory();
        let line = serde_json::to_string(&memory).unwrap_or_default();
        let mut out = std::io::stdout().lock();
        writeln!(out, "{line}").map_err(stdout_failed)?;
        out.flush().map_err(stdout_failed)?;
    }
    drop(accepting);
    Ok(())
}

/// The in-flight default: enough messages awaiting their 200 to keep one
/// connection busy, spread over the sessions.
pub(crate) fn default_window(sessions: usize) -> usize {
    (256 / sessions.max(1)).max(1)
}

fn stdout_failed(e: std::io::Error) -> CliError {
    CliError::failed(format!("cannot write to standard output: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_shrinks_with_the_sessions_but_never_to_zero() {
        assert_eq!(default_window(1), 256);
        assert_eq!(default_window(64), 4);
        assert_eq!(default_window(10_000), 1);
    }
}
