//! `msrp bench`: this library's MSRP throughput against raw sockets moving
//! the same bytes in the same process and runtime, on any runtime.

use std::io::IsTerminal;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use bytes::Bytes;
use clap::Args;
use futures_util::future::join;
use futures_util::{AsyncReadExt, AsyncWriteExt};
use msrp_endpoint::{
    BoxIo, EndpointConfig, Incoming, Runtime, Session, get_acceptor, get_connector,
};
use msrp_proto::connection::{Outcome, OutgoingMessage};
use rustls_pki_types::ServerName;
use serde::Serialize;

use crate::args;
use crate::bench_relay;
use crate::bench_sessions;
use crate::certs::{self, LocalTls};
use crate::error::CliError;
use crate::runtime::{self, Job, RuntimeArg, RuntimeFlag};

/// Measure MSRP throughput against raw TCP and raw TLS over loopback.
///
/// In one process and one run, on the runtime --runtime names: raw TCP
/// moving --bytes (256 MiB by default), then the same bytes as ONE MSRP
/// message through this library (connector to acceptor, streaming receive
/// mode), then both again over TLS with a self-signed certificate made at
/// run time. The receiver touches every byte (sums it) in both cases.
///
/// The baselines are fair: the runtime's own sockets and TLS, exactly the
/// streams the MSRP driver reads and writes on it (tokio: tokio's TcpStream
/// and tokio-rustls; async-std and smol: async-net and futures-rustls), the
/// same executor, TCP_NODELAY on every socket, writes of --chunk-size bytes
/// from one shared buffer, reads of 64 KiB (the MSRP driver's read size), the
/// same rustls settings (ring, TLS 1.3, the send buffer limit). Raw and
/// MSRP runs alternate in --repeat rounds (31 by default; raw goes first
/// in one round, MSRP in the next), and medians count: a ratio is the
/// median of the rounds' own ratios, shown with its lowest and highest,
/// and each kind's spread ((slowest − fastest) / median) tells whether the
/// machine or the library varied. Single rounds on a shared machine vary
/// by half or more, so many short rounds hold a median better than a few
/// long ones: on a 2-vCPU VM the defaults held each ratio within ±8 % of
/// its midpoint from one invocation to the next, on every runtime (±9 %
/// on a noisier day, 8 invocations each), where 5 rounds of 1 GiB moved
/// the TCP ratio by up to ±25 %. Connection set-up is not timed.
/// Figures are in Gbit/s; a ratio is MSRP over raw.
/// On Linux each run's CPU time (all threads of this process) gives CPU
/// seconds per GiB and a CPU ratio (raw's CPU over MSRP's): the extra work
/// MSRP does for the same bytes. Time spent waiting does not count in it,
/// so it tells work from waiting; a busy machine still moves it (caches,
/// frequency).
///
/// With --relay, the same message also goes through an in-process relay
/// of ours (`msrp relay`) with both endpoints behind it (their relay chunk
/// size set to --chunk-size), and the relayed figures come with their
/// ratio to direct MSRP ("relay_*" in JSON).
///
/// With --relay-sessions N, instead: N sessions through the relay (shared
/// relay connections, --sessions-per-connection each), a message each
/// way on every one; it reports the set-up and message times, the relay's
/// figures and this process's memory. --relay URI (with --relay-user and
/// the password as for `msrp send`) uses a relay running elsewhere instead
/// of an in-process one, so that its own memory can be watched.
///
/// With --sessions N, instead: N sessions to one MsrpServer that runs in a
/// child process (so that its memory is the server's alone), on
/// --connections M connections (default N: one each; more sessions share
/// one by RFC 4975 §5.4 connection reuse), --messages small messages in
/// all with --window of them awaiting their 200 per session. It reports
/// set-up time, messages per second, p50/p99 latency (from sending to the
/// 200) and resident memory: the server's at start, with the sessions idle
/// and at its peak, and this process's peak. With --relay, the callers
/// are behind an in-process relay of ours (in this process), on M relay
/// connections, and the relay connects on to the server. --json prints
/// one object:
///   {"runtime":…,"sessions":N,"connections":M,"relay":B,"messages":N,"message_size":N,
///    "window":N,"setup_seconds":F,"messages_per_second":F,"p50_us":N,
///    "p99_us":N,"server_start_rss_kib":N,"server_idle_rss_kib":N,
///    "server_peak_rss_kib":N,"server_kib_per_session":F,"client_peak_rss_kib":N}
///
/// --json (throughput) prints exactly one object:
///   {"runtime":"tokio","bytes":N,"chunk_size":N,"raw_tcp_gbps":F,"msrp_tcp_gbps":F,
///    "tcp_ratio":F,"raw_tls_gbps":F,"msrp_tls_gbps":F,"tls_ratio":F,"runs":N,
///    "tcp_ratio_min":F,"tcp_ratio_max":F,"tls_ratio_min":F,"tls_ratio_max":F,
///    "raw_tcp_spread":F,"msrp_tcp_spread":F,"raw_tls_spread":F,"msrp_tls_spread":F}
#[derive(Debug, Args)]
#[command(
    verbatim_doc_comment,
    about = "Measure MSRP throughput against raw TCP and raw TLS over loopback"
)]
pub(crate) struct BenchArgs {
    /// Bytes to move per run (K, M, G suffixes allowed).
    #[arg(long, value_name = "N", default_value = "268435456", value_parser = args::size)]
    bytes: u64,

    /// Chunk body size of the MSRP message, and write size of the raw runs.
    #[arg(long, value_name = "N", default_value = "65536", value_parser = args::chunk_size)]
    chunk_size: usize,

    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,

    /// Rounds of measurements: each round runs every kind once, in turn,
    /// and the figures are the medians over the rounds; a ratio is the
    /// median of the rounds' own ratios (raw and MSRP of one round ran side
    /// by side, so that a slow moment of the machine counts against both).
    #[arg(long, value_name = "N", default_value_t = 31, value_parser = clap::value_parser!(u32).range(1..=100))]
    repeat: u32,

    /// Also through an in-process relay of ours, both endpoints behind it
    /// (with --sessions: the callers behind it).
    #[arg(long)]
    relay: bool,

    /// Instead of throughput: this many sessions through a relay.
    #[arg(long, value_name = "N")]
    relay_sessions: Option<usize>,

    /// With --relay-sessions: sessions per relay connection (at most 64,
    /// the sessions a connection carries by default).
    #[arg(long, value_name = "N", default_value_t = 50)]
    sessions_per_connection: usize,

    /// With --relay-sessions: use the relay at this URI (msrp://HOST:PORT
    /// or msrps://…) instead of an in-process one; the password comes from
    /// MSRP_RELAY_PASSWORD.
    #[arg(long, value_name = "URI", requires = "relay_sessions")]
    relay_at: Option<msrp_proto::MsrpUri>,

    /// With --relay-at: the user both sides authenticate as.
    #[arg(long, value_name = "NAME", requires = "relay_at")]
    relay_user: Option<String>,

    /// With --relay-at and an msrps relay: its CA (PEM).
    #[arg(long, value_name = "FILE", requires = "relay_at")]
    relay_ca: Option<std::path::PathBuf>,

    /// Instead of throughput: this many sessions to one MsrpServer running in
    /// a child process, small messages answered with 200s; reports set-up
    /// time, messages per second, latency percentiles and memory.
    #[arg(long, value_name = "N", conflicts_with = "relay_sessions")]
    sessions: Option<usize>,

    /// With --sessions: the connections they share (default: one each).
    #[arg(long, value_name = "M", requires = "sessions")]
    connections: Option<usize>,

    /// With --sessions: messages in all, spread evenly over the sessions.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 200_000,
        requires = "sessions"
    )]
    messages: usize,

    /// With --sessions: messages awaiting their 200 at a time, per session
    /// (default: 256 spread over the sessions, at least 1 each).
    #[arg(long, value_name = "N", requires = "sessions", value_parser = clap::value_parser!(u32).range(1..))]
    window: Option<u32>,

    /// With --sessions: the body size of each message.
    #[arg(long, value_name = "N", default_value = "100", requires = "sessions", value_parser = args::size)]
    message_size: u64,

    /// The server side of --sessions (run by the bench itself).
    #[arg(long, value_name = "N", hide = true)]
    serve_sessions: Option<usize>,

    /// With --relay-sessions: keep the sessions open this many seconds
    /// after the report (to look at the relay's memory meanwhile).
    #[arg(long, value_name = "S", requires = "relay_sessions", value_parser = args::seconds)]
    hold: Option<Duration>,

    #[command(flatten)]
    runtime: RuntimeFlag,
}

impl Job for BenchArgs {
    fn runtime(&self) -> RuntimeArg {
        self.runtime.runtime
    }

    async fn run<R: Runtime>(self, rt: R) -> Result<(), CliError> {
        run(rt, self).await
    }
}

/// Read buffer of the raw receivers: the MSRP driver reads 64 KiB at once.
const READ_SIZE: usize = 64 * 1024;

#[derive(Debug, Serialize)]
struct Report {
    runtime: &'static str,
    bytes: u64,
    chunk_size: usize,
    raw_tcp_gbps: f64,
    msrp_tcp_gbps: f64,
    tcp_ratio: f64,
    raw_tls_gbps: f64,
    msrp_tls_gbps: f64,
    tls_ratio: f64,
    /// Rounds measured.
    runs: u32,
    /// The lowest and highest of the rounds' own ratios.
    tcp_ratio_min: f64,
    tcp_ratio_max: f64,
    tls_ratio_min: f64,
    tls_ratio_max: f64,
    /// How much each kind varied over the rounds: (slowest − fastest) /
    /// median. Raw runs varying as much as MSRP runs put the noise in the
    /// machine, not in the library.
    raw_tcp_spread: f64,
    msrp_tcp_spread: f64,
    raw_tls_spread: f64,
    msrp_tls_spread: f64,
    /// Through the in-process relay (`--relay`), and over direct MSRP.
    #[serde(skip_serializing_if = "Option::is_none")]
    relay_tcp_gbps: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    relay_tcp_ratio: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    relay_tls_gbps: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    relay_tls_ratio: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    relay_peak_queued_bytes: Option<usize>,
    /// CPU time of this process (all its threads, Linux only) per round:
    /// raw's over MSRP's, the median of the rounds: how much more work MSRP
    /// does for the same bytes, waiting left out.
    #[serde(skip_serializing_if = "Option::is_none")]
    tcp_cpu_ratio: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tls_cpu_ratio: Option<f64>,
    /// CPU seconds per GiB moved, medians.
    #[serde(skip_serializing_if = "Option::is_none")]
    raw_tcp_cpu_s_per_gib: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    msrp_tcp_cpu_s_per_gib: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    raw_tls_cpu_s_per_gib: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    msrp_tls_cpu_s_per_gib: Option<f64>,
}

async fn run<R: Runtime>(rt: R, args: BenchArgs) -> Result<(), CliError> {
    if let Some(count) = args.serve_sessions {
        return bench_sessions::serve(rt, count).await;
    }
    if let Some(sessions) = args.sessions {
        let bench = bench_sessions::SessionsBench {
            runtime: args.runtime.runtime,
            sessions,
            connections: args.connections.unwrap_or(sessions),
            messages: args.messages,
            window: args
                .window
                .map_or_else(|| bench_sessions::default_window(sessions), |w| w as usize),
            message_size: usize::try_from(args.message_size)
                .map_err(|_| CliError::usage("--message-size is too large"))?,
            relay: args.relay,
        };
        return bench_sessions::run(rt, bench, args.json).await;
    }
    if let Some(count) = args.relay_sessions {
        let external = match (&args.relay_at, &args.relay_user) {
            (Some(uri), Some(user)) => Some(bench_relay::External {
                uri: uri.clone(),
                user: user.clone(),
                ca: args.relay_ca.clone(),
            }),
            (Some(_), None) => return Err(CliError::usage("--relay-at needs --relay-user NAME")),
            _ => None,
        };
        let hold = args.hold;
        let held = bench_relay::sessions(
            rt.clone(),
            count,
            args.sessions_per_connection,
            external,
            args.json,
        )
        .await?;
        if let Some(hold) = hold {
            let _ = msrp_endpoint::timeout(&rt, hold, std::future::pending::<()>()).await;
        }
        drop(held);
        return Ok(());
    }
    let tls = certs::local().map_err(CliError::failed)?;
    let relay = if args.relay {
        Some(bench_relay::InProcessRelay::start(&rt, Some(&tls)).await?)
    } else {
        None
    };
    // One buffer that every write takes its bytes from (MSRP writes are
    // zero-copy slices of it, raw writes borrow it).
    let block = Bytes::from(pattern(args.chunk_size));
    let verbose = !args.json && std::io::stderr().is_terminal();
    let gbps = |d: Duration| args.bytes as f64 * 8.0 / d.as_secs_f64() / 1e9;

    let runs = args.repeat;
    let mut results = [Vec::new(), Vec::new(), Vec::new(), Vec::new()];
    let mut cpu: [Vec<Option<Duration>>; 4] = Default::default();
    let mut relayed = [Vec::new(), Vec::new()];
    for run in 0..runs {
        if verbose {
            eprintln!("round {} of {runs}...", run + 1);
        }
        let (n, c) = (args.bytes, args.chunk_size);
        let mut record = |kind: usize, (time, used): (Duration, Option<Duration>)| {
            results[kind].push(time);
            cpu[kind].push(used);
        };
        for (transport, tls) in [None, Some(&tls)].into_iter().enumerate() {
            // Kinds 0 and 1 are raw and MSRP over TCP, 2 and 3 over TLS.
            let (raw_kind, msrp_kind) = (2 * transport, 2 * transport + 1);
            for msrp_turn in turns(run) {
                if msrp_turn {
                    record(
                        msrp_kind,
                        with_cpu(msrp(&rt, tls, n, &block, c, None)).await?,
                    );
                } else {
                    record(raw_kind, with_cpu(raw(&rt, tls, n, &block)).await?);
                }
            }
            if let Some(relay) = &relay {
                relayed[transport].push(msrp(&rt, tls, n, &block, c, Some(relay)).await?);
            }
        }
    }
    // Each round's ratio: raw over MSRP time is MSRP over raw throughput.
    let ratios = |raw: &[Duration], msrp: &[Duration]| -> Vec<f64> {
        raw.iter()
            .zip(msrp)
            .map(|(r, m)| r.as_secs_f64() / m.as_secs_f64())
            .collect()
    };
    let tcp_ratios = Spread::of(ratios(&results[0], &results[1]));
    let tls_ratios = Spread::of(ratios(&results[2], &results[3]));
    let [raw_tcp, msrp_tcp, raw_tls, msrp_tls] =
        results.map(|r| Spread::of(r.iter().map(|d| gbps(*d)).collect()));
    // CPU: every round's figure, or none (not on Linux).
    let cpu: [Option<Vec<Duration>>; 4] = cpu.map(|c| c.into_iter().collect());
    let gib = args.bytes as f64 / f64::from(1 << 30);
    let [raw_tcp_cpu, msrp_tcp_cpu, raw_tls_cpu, msrp_tls_cpu] = cpu.clone().map(|c| {
        c.map(|c| round(Spread::of(c.iter().map(|d| d.as_secs_f64() / gib).collect()).median))
    });
    let cpu_ratio = |raw: &Option<Vec<Duration>>, msrp: &Option<Vec<Duration>>| {
        Some(round(
            Spread::of(ratios(raw.as_ref()?, msrp.as_ref()?)).median,
        ))
    };
    let [
        raw_cpu_tcp_all,
        msrp_cpu_tcp_all,
        raw_cpu_tls_all,
        msrp_cpu_tls_all,
    ] = cpu;
    let [relay_tcp, relay_tls] = relayed.map(|r| (!r.is_empty()).then(|| gbps(median(r))));
    let report = Report {
        runtime: rt.name(),
        bytes: args.bytes,
        chunk_size: args.chunk_size,
        raw_tcp_gbps: round(raw_tcp.median),
        msrp_tcp_gbps: round(msrp_tcp.median),
        tcp_ratio: round(tcp_ratios.median),
        raw_tls_gbps: round(raw_tls.median),
        msrp_tls_gbps: round(msrp_tls.median),
        tls_ratio: round(tls_ratios.median),
        runs,
        tcp_ratio_min: round(tcp_ratios.min),
        tcp_ratio_max: round(tcp_ratios.max),
        tls_ratio_min: round(tls_ratios.min),
        tls_ratio_max: round(tls_ratios.max),
        raw_tcp_spread: round(raw_tcp.relative()),
        msrp_tcp_spread: round(msrp_tcp.relative()),
        raw_tls_spread: round(raw_tls.relative()),
        msrp_tls_spread: round(msrp_tls.relative()),
        relay_tcp_gbps: relay_tcp.map(round),
        relay_tcp_ratio: relay_tcp.map(|r| round(r / msrp_tcp.median)),
        relay_tls_gbps: relay_tls.map(round),
        relay_tls_ratio: relay_tls.map(|r| round(r / msrp_tls.median)),
        relay_peak_queued_bytes: relay.as_ref().map(|r| r.stats().peak_queued_bytes),
        tcp_cpu_ratio: cpu_ratio(&raw_cpu_tcp_all, &msrp_cpu_tcp_all),
        tls_cpu_ratio: cpu_ratio(&raw_cpu_tls_all, &msrp_cpu_tls_all),
        raw_tcp_cpu_s_per_gib: raw_tcp_cpu,
        msrp_tcp_cpu_s_per_gib: msrp_tcp_cpu,
        raw_tls_cpu_s_per_gib: raw_tls_cpu,
        msrp_tls_cpu_s_per_gib: msrp_tls_cpu,
    };
    if args.json {
        println!("{}", serde_json::to_string(&report).unwrap_or_default());
    } else {
        print_table(&report);
    }
    Ok(())
}

fn print_table(r: &Report) {
    println!(
        "msrp bench: {} in one message, {} chunks, median of {} rounds (Gbit/s)",
        human_bytes(r.bytes),
        human_bytes(r.chunk_size as u64),
        r.runs
    );
    println!(
        "       {:>9} {:>9} {:>7}   {:>11}   {:>6} {:>6}",
        "raw", "MSRP", "ratio", "ratio range", "spread", "(raw, MSRP)"
    );
    println!(
        "TCP    {:>9.2} {:>9.2} {:>7.2}   {:>5.2}–{:<5.2}   {:>6.2} {:>6.2}",
        r.raw_tcp_gbps,
        r.msrp_tcp_gbps,
        r.tcp_ratio,
        r.tcp_ratio_min,
        r.tcp_ratio_max,
        r.raw_tcp_spread,
        r.msrp_tcp_spread
    );
    println!(
        "TLS    {:>9.2} {:>9.2} {:>7.2}   {:>5.2}–{:<5.2}   {:>6.2} {:>6.2}",
        r.raw_tls_gbps,
        r.msrp_tls_gbps,
        r.tls_ratio,
        r.tls_ratio_min,
        r.tls_ratio_max,
        r.raw_tls_spread,
        r.msrp_tls_spread
    );
    if let (Some(raw_tcp), Some(msrp_tcp), Some(tcp), Some(raw_tls), Some(msrp_tls), Some(tls)) = (
        r.raw_tcp_cpu_s_per_gib,
        r.msrp_tcp_cpu_s_per_gib,
        r.tcp_cpu_ratio,
        r.raw_tls_cpu_s_per_gib,
        r.msrp_tls_cpu_s_per_gib,
        r.tls_cpu_ratio,
    ) {
        println!("CPU seconds per GiB, all threads (ratio: raw over MSRP):");
        println!("TCP    {raw_tcp:>9.2} {msrp_tcp:>9.2} {tcp:>7.2}");
        println!("TLS    {raw_tls:>9.2} {msrp_tls:>9.2} {tls:>7.2}");
    }
    if let (Some(tcp), Some(tcp_ratio), Some(tls), Some(tls_ratio)) = (
        r.relay_tcp_gbps,
        r.relay_tcp_ratio,
        r.relay_tls_gbps,
        r.relay_tls_ratio,
    ) {
        println!("through the in-process relay (both endpoints behind it), ratio to direct MSRP:");
        println!("TCP    {:>9} {tcp:>9.2} {tcp_ratio:>7.2}", "");
        println!("TLS    {:>9} {tls:>9.2} {tls_ratio:>7.2}", "");
        if let Some(peak) = r.relay_peak_queued_bytes {
            println!(
                "the relay queued at most {} for a connection",
                human_bytes(peak as u64)
            );
        }
    }
}

/// `n` bytes as KiB, MiB or GiB.
pub(crate) fn human_bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 30 && n % (1 << 30) == 0 => format!("{} GiB", n >> 30),
        n if n >= 1 << 20 => format!("{:.0} MiB", n as f64 / f64::from(1 << 20)),
        n if n >= 1 << 10 => format!("{:.0} KiB", n as f64 / 1024.0),
        n => format!("{n} B"),
    }
}

fn round(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// The median, lowest and highest of a set of figures.
struct Spread {
    median: f64,
    min: f64,
    max: f64,
}

impl Spread {
    fn of(mut values: Vec<f64>) -> Self {
        values.sort_by(f64::total_cmp);
        let n = values.len();
        let median = match n {
            0 => 0.0,
            n if n % 2 == 1 => values[n / 2],
            n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
        };
        Self {
            median,
            min: values.first().copied().unwrap_or(0.0),
            max: values.last().copied().unwrap_or(0.0),
        }
    }

    /// (highest − lowest) / median.
    fn relative(&self) -> f64 {
        if self.median > 0.0 {
            (self.max - self.min) / self.median
        } else {
            0.0
        }
    }
}

/// CPU time used by this process's threads so far (Linux's per-thread
/// scheduler statistics, in nanoseconds); `None` where there are none.
fn process_cpu() -> Option<Duration> {
    let mut total = 0u64;
    for entry in std::fs::read_dir("/proc/self/task").ok()? {
        // A thread that ended meanwhile has no file any more.
        let Ok(text) = std::fs::read_to_string(entry.ok()?.path().join("schedstat")) else {
            continue;
        };
        total += text.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(Duration::from_nanos(total))
}

/// A run's own result with the CPU time the process used meanwhile.
async fn with_cpu(
    run: impl Future<Output = Result<Duration, CliError>>,
) -> Result<(Duration, Option<Duration>), CliError> {
    let before = process_cpu();
    let time = run.await?;
    let used = process_cpu()
        .zip(before)
        .map(|(after, before)| after.saturating_sub(before));
    Ok((time, used))
}

/// Whether MSRP runs (`true`) or raw runs (`false`) first in round
/// `round`, in turn: a machine that speeds up or slows down in the course of
/// a round then favours neither side over the rounds, where a fixed order
/// would favour one every time.
fn turns(round: u32) -> [bool; 2] {
    let msrp_first = round % 2 == 1;
    [msrp_first, !msrp_first]
}

fn median(mut runs: Vec<Duration>) -> Duration {
    runs.sort();
    runs[runs.len() / 2]
}

/// Bytes that are not all zero (so nothing can shortcut them).
pub(crate) fn pattern(len: usize) -> Vec<u8> {
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// What a receiver does with each byte: sums it, so that the data is read.
pub(crate) fn touch(data: &[u8]) -> u64 {
    let mut words = data.chunks_exact(8);
    let mut sum = words
        .by_ref()
        .map(|w| u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]))
        .fold(0u64, u64::wrapping_add);
    for &b in words.remainder() {
        sum = sum.wrapping_add(u64::from(b));
    }
    sum
}

/// A connected loopback pair on `rt`'s own sockets (TCP_NODELAY set, as
/// for MSRP), with a TLS handshake done on each end when `tls` is given:
/// the byte streams the MSRP driver itself reads and writes on `rt`, so that
/// a ratio measures what MSRP adds and nothing else, by the same code on
/// every runtime.
///
/// On tokio these are tokio's `TcpStream` and tokio-rustls behind
/// msrp-tokio's forwarding adapter. Against those streams used directly (the
/// baseline before `--runtime`), alternating in the same runs (1 GiB, 64 KiB,
/// 2 vCPUs), the two agreed within noise: TCP 23.7–30.4 Gbit/s here against
/// 24.3–27.2 direct, TLS 18.6–19.6 against 18.9–19.3.
async fn connected<R: Runtime>(rt: &R, tls: Option<&LocalTls>) -> std::io::Result<(BoxIo, BoxIo)> {
    let listener = rt
        .listen(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
        .await?;
    let port = rt.local_addr(&listener)?.port();
    let (client, accepted) = join(rt.connect("127.0.0.1", port), rt.accept(&listener)).await;
    let (client, (server, _)) = (client?, accepted?);
    let Some(tls) = tls else {
        return Ok((rt.plain(client), rt.plain(server)));
    };
    let name = ServerName::try_from("127.0.0.1").map_err(std::io::Error::other)?;
    let (client, server) = join(
        rt.tls_connect(client, tls.client.config().clone(), name),
        rt.tls_accept(server, tls.server.config().clone()),
    )
    .await;
    Ok((client?, server?))
}

/// Raw bytes from a writer task to a reader task; the time until the reader
/// has them all.
async fn raw<R: Runtime>(
    rt: &R,
    tls: Option<&LocalTls>,
    bytes: u64,
    block: &Bytes,
) -> Result<Duration, CliError> {
    let failed = |e: String| CliError::failed(format!("raw baseline: {e}"));
    let (mut writer, mut reader) = connected(rt, tls)
        .await
        .map_err(|e| failed(e.to_string()))?;
    let block = block.clone();
    let start = Instant::now();
    let send = runtime::spawn(rt, async move {
        let mut left = bytes;
        while left > 0 {
            let n = usize::try_from(left).map_or(block.len(), |l| l.min(block.len()));
            writer.write_all(&block[..n]).await?;
            left -= n as u64;
        }
        writer.flush().await?;
        writer.close().await?;
        Ok::<_, std::io::Error>(writer)
    });
    let receive = runtime::spawn(rt, async move {
        let mut buf = vec![0u8; READ_SIZE];
        let mut got = 0u64;
        let mut sum = 0u64;
        while got < bytes {
            let n = reader.read(&mut buf).await?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            sum = sum.wrapping_add(touch(&buf[..n]));
            got += n as u64;
        }
        std::hint::black_box(sum);
        Ok::<_, std::io::Error>((Instant::now(), reader))
    });
    let (done, _reader) = receive
        .await
        .map_err(|e| failed(e.to_string()))?
        .map_err(|e| failed(e.to_string()))?;
    send.await
        .map_err(|e| failed(e.to_string()))?
        .map_err(|e| failed(e.to_string()))?;
    Ok(done - start)
}

/// One MSRP message of `bytes` bytes from a connector to an acceptor; the
/// time until the receiving application has every byte.
async fn msrp<R: Runtime>(
    rt: &R,
    tls: Option<&LocalTls>,
    bytes: u64,
    block: &Bytes,
    chunk_size: usize,
    relay: Option<&bench_relay::InProcessRelay<R>>,
) -> Result<Duration, CliError> {
    let failed = |e: msrp_endpoint::Error| CliError::failed(format!("MSRP run: {e}"));
    let mut config = EndpointConfig::default();
    config.protocol.chunk_size = chunk_size;
    // Through the relay, chunks of the same size as direct.
    config.protocol.relay_chunk_size = chunk_size;
    config.tls_server = tls.map(|t| t.server.clone());
    config.tls_client = tls.map(|t| t.client.clone());
    let (alice_relay, bob_relay) = match relay.and_then(|r| r.settings(tls.is_some())) {
        Some((alice, bob)) => (Some(alice), Some(bob)),
        None => (None, None),
    };
    let mut acceptor = get_acceptor(rt.clone(), config.clone(), bob_relay);
    let mut connector = get_connector(rt.clone(), config, alice_relay);
    let bob_path = acceptor.prepare(None).await.map_err(failed)?;
    let alice_path = connector.prepare(None).await.map_err(failed)?;
    let (alice, bob) = join(
        connector.complete(&bob_path),
        acceptor.complete(&alice_path),
    )
    .await;
    let (alice, mut bob) = (
        Session::new(alice.map_err(failed)?),
        Session::new(bob.map_err(failed)?),
    );

    let start = Instant::now();
    let receive = runtime::spawn(rt, async move {
        let mut sum = 0u64;
        while let Some(item) = bob.next_incoming().await {
            match item {
                Incoming::Data { data, .. } => sum = sum.wrapping_add(touch(&data)),
                Incoming::Completed { size, .. } => {
                    std::hint::black_box(sum);
                    return Ok((Instant::now(), size, bob));
                }
                Incoming::Aborted { .. } => return Err("the message was aborted".to_owned()),
                _ => {}
            }
        }
        Err("the session ended early".to_owned())
    });
    let block = block.clone();
    let send = runtime::spawn(rt, async move {
        let message = OutgoingMessage::new("application/octet-stream").size(bytes);
        let mut writer = alice.begin_message(message).await?;
        let mut left = bytes;
        while left > 0 {
            let n = usize::try_from(left).map_or(block.len(), |l| l.min(block.len()));
            writer.write(block.slice(..n)).await?;
            left -= n as u64;
        }
        let outcome = writer.finish().await?.outcome().await;
        Ok::<_, msrp_endpoint::Error>((outcome, alice))
    });
    let lost = |_| CliError::failed("MSRP run: a task was lost");
    let (done, size, bob) = receive
        .await
        .map_err(lost)?
        .map_err(|e| CliError::failed(format!("MSRP run: {e}")))?;
    let (outcome, alice) = send.await.map_err(lost)?.map_err(failed)?;
    if outcome != Outcome::Delivered || size != bytes {
        return Err(CliError::failed(format!(
            "MSRP run: {size} of {bytes} bytes, outcome {outcome:?}"
        )));
    }
    alice.shutdown().await;
    drop(bob);
    Ok(done - start)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn process_cpu_counts_work_done() {
        let before = process_cpu().expect("Linux's /proc/self/task/*/schedstat");
        let start = Instant::now();
        let mut x = 1u64;
        // Work until 10 ms of CPU show, however busy the machine is.
        while process_cpu().unwrap().saturating_sub(before) < Duration::from_millis(10) {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "no CPU time counted"
            );
            for _ in 0..100_000 {
                x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
            }
        }
    }

    #[test]
    fn touch_sums_every_byte() {
        let data: Vec<u8> = (1..=10).collect();
        // Words are little-endian, so the sum of words differs from the sum
        // of bytes; what matters is that every byte changes it.
        let base = touch(&data);
        for i in 0..data.len() {
            let mut changed = data.clone();
            changed[i] ^= 1;
            assert_ne!(touch(&changed), base, "byte {i}");
        }
    }

    #[test]
    fn spread_takes_the_middle_and_the_ends() {
        let odd = Spread::of(vec![3.0, 1.0, 2.0]);
        assert_eq!((odd.median, odd.min, odd.max), (2.0, 1.0, 3.0));
        assert!((odd.relative() - 1.0).abs() < 1e-9);
        let even = Spread::of(vec![4.0, 1.0, 2.0, 3.0]);
        assert_eq!(even.median, 2.5);
        assert_eq!(Spread::of(vec![5.0]).relative(), 0.0);
    }

    /// `--repeat` takes 1 to 100 rounds; outside, an error names the flag
    /// and the range.
    #[test]
    fn repeat_is_held_to_its_range() {
        #[derive(clap::Parser)]
        struct Cli {
            #[command(flatten)]
            bench: BenchArgs,
        }
        let parse = |n: &str| <Cli as clap::Parser>::try_parse_from(["msrp", "--repeat", n]);
        for n in ["1", "100"] {
            let cli = parse(n).unwrap_or_else(|e| panic!("--repeat {n}: {e}"));
            assert_eq!(cli.bench.repeat.to_string(), n);
        }
        for n in ["0", "101"] {
            let err = parse(n).err().expect("refused").to_string();
            assert!(
                err.contains("--repeat") && err.contains("1..=100"),
                "--repeat {n}: {err}"
            );
        }
    }

    #[test]
    fn rounds_take_turns_at_going_first() {
        let order: Vec<[bool; 2]> = (0..4).map(turns).collect();
        assert_eq!(
            order,
            [[false, true], [true, false], [false, true], [true, false]]
        );
    }

    #[test]
    fn sizes_read_well() {
        assert_eq!(human_bytes(1 << 30), "1 GiB");
        assert_eq!(human_bytes(64 << 20), "64 MiB");
        assert_eq!(human_bytes(65536), "64 KiB");
    }
}
