//! Throughput of the connection state machine: two [`Connection`]s joined
//! back to back, every `Bytes` from one side's `poll_transmit` handed whole
//! to the other side's `handle_input` (no segmentation, no latency, time
//! standing still), with a bound session, the default [`Config`] and the
//! streaming receive mode.
//!
//! - `bulk`: one 64 MiB message from Alice to Bob, until Alice sees it
//!   `Delivered`; Bob's `MessageData` is summed, so every byte is read on
//!   both sides. Measured in bytes/s against `bulk/memcpy`, a plain copy of
//!   the same 64 MiB into a reused buffer. `msrp-64KiB` is the default
//!   chunk size; `16KiB` and `1MiB` set [`Config::chunk_size`].
//! - `small`: 1000 messages of 20 bytes queued at once, then everything
//!   pumped until all 1000 outcomes are `Delivered` (each chunk answered
//!   200). Measured in messages/s.
//!
//! ```text
//! cargo bench -p msrp-proto --bench connection
//! ```
//!
//! To profile the same loops without criterion around them, set
//! `MSRP_BENCH_PROFILE` to `bulk` (one 64 MiB message, default chunk size)
//! or `small` (ten batches of 1000), optionally with `MSRP_BENCH_ROUNDS`
//! (messages or batches) and, for `bulk`, `MSRP_BENCH_CHUNK` (chunk size):
//!
//! ```text
//! cargo bench -p msrp-proto --bench connection --no-run
//! MSRP_BENCH_PROFILE=small valgrind --tool=callgrind target/release/deps/connection-<hash>
//! ```

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{BenchmarkId, Criterion, Throughput};
use msrp_proto::MsrpUri;
use msrp_proto::connection::{
    Config, Connection, Event, MessageId, Outcome, OutgoingMessage, SessionConfig, SessionHandle,
};

const BULK_SIZE: usize = 64 << 20;
const SMALL_BATCH: usize = 1000;
const SMALL_BODY: &[u8] = b"Hello, Bob! How are?";

/// Two connections with a bound session from Alice to Bob, and a clock
/// that never moves (nothing here waits for a timer).
struct Link {
    alice: Connection,
    bob: Connection,
    now: Instant,
    session: SessionHandle,
    /// Wrapping sum of every body byte Bob received.
    sum: u64,
    /// Body bytes Bob received.
    received: u64,
    /// Messages Bob saw complete.
    completed: u64,
    /// Outcomes Alice saw, and how many of them were `Delivered`.
    outcomes: u64,
    delivered: u64,
}

impl Link {
    fn new(config: Config) -> Self {
        let config = Arc::new(config);
        #[allow(clippy::disallowed_methods)] // one real instant as the epoch
        let now = Instant::now();
        let alice_uri: MsrpUri = "msrp://127.0.0.1:7777/alice1234;tcp".parse().unwrap();
        let bob_uri: MsrpUri = "msrp://127.0.0.1:8888/bob56789;tcp".parse().unwrap();
        let mut bob = Connection::new(config.clone(), [2; 32], now);
        bob.expect_session(
            SessionConfig::new(bob_uri.clone()).remote_path(alice_uri.clone().into()),
        )
        .unwrap();
        let mut alice = Connection::new(config, [1; 32], now);
        let session = alice
            .open_session(SessionConfig::new(alice_uri).remote_path(bob_uri.into()))
            .unwrap();
        let mut link = Self {
            alice,
            bob,
            now,
            session,
            sum: 0,
            received: 0,
            completed: 0,
            outcomes: 0,
            delivered: 0,
        };
        link.pump();
        assert!(link.alice.is_bound(session), "the session did not bind");
        link
    }

    /// Moves bytes both ways and takes every event until nothing moves.
    /// Bob's events are taken after each input, as an application reading
    /// the socket would, so his receive backpressure never engages.
    fn pump(&mut self) {
        let now = self.now;
        loop {
            let mut moved = false;
            while let Some(bytes) = self.alice.poll_transmit(now) {
                self.bob.handle_input(now, &bytes);
                self.take_bob_events();
                moved = true;
            }
            while let Some(bytes) = self.bob.poll_transmit(now) {
                self.alice.handle_input(now, &bytes);
                moved = true;
            }
            self.take_bob_events();
            self.take_alice_events();
            if !moved {
                break;
            }
        }
    }

    fn take_bob_events(&mut self) {
        while let Some(event) = self.bob.poll_event() {
            match event {
                Event::MessageData { data, .. } => {
                    self.received += data.len() as u64;
                    self.sum = self.sum.wrapping_add(checksum(&data));
                }
                Event::MessageCompleted { .. } => self.completed += 1,
                Event::MessageStarted { .. } | Event::SessionBound { .. } => {}
                other => panic!("Bob: unexpected {other:?}"),
            }
        }
    }

    fn take_alice_events(&mut self) {
        while let Some(event) = self.alice.poll_event() {
            match event {
                Event::Outcome { outcome, .. } => {
                    self.outcomes += 1;
                    if outcome == Outcome::Delivered {
                        self.delivered += 1;
                    }
                }
                Event::SessionBound { .. } => {}
                other => panic!("Alice: unexpected {other:?}"),
            }
        }
    }

    /// Sends one message and pumps until its outcome is known.
    fn send_one(&mut self, body: &Bytes) -> MessageId {
        let before = (self.delivered, self.received, self.completed);
        let id = self
            .alice
            .send_message(
                self.session,
                OutgoingMessage::new("application/octet-stream").body(body.clone()),
            )
            .unwrap();
        self.pump();
        assert_eq!(
            self.delivered,
            before.0 + 1,
            "the message was not delivered"
        );
        assert_eq!(self.received, before.1 + body.len() as u64);
        assert_eq!(self.completed, before.2 + 1);
        id
    }

    /// Queues `count` messages, then pumps until every outcome is known.
    fn send_batch(&mut self, count: usize, body: &Bytes) {
        let before = (self.delivered, self.completed);
        for _ in 0..count {
            self.alice
                .send_message(
                    self.session,
                    OutgoingMessage::new("text/plain").body(body.clone()),
                )
                .unwrap();
        }
        self.pump();
        assert_eq!(self.delivered, before.0 + count as u64, "not all delivered");
        assert_eq!(self.completed, before.1 + count as u64);
        assert_eq!(self.alice.pending_messages(), 0);
    }
}

/// A cheap sum of every byte, eight at a time (it vectorises), so that the
/// received data is really read.
fn checksum(data: &[u8]) -> u64 {
    let mut words = data.chunks_exact(8);
    let mut sum = 0u64;
    for word in &mut words {
        let mut w = [0; 8];
        w.copy_from_slice(word);
        sum = sum.wrapping_add(u64::from_le_bytes(w) & 0x00ff_00ff_00ff_00ff);
        sum = sum.wrapping_add((u64::from_le_bytes(w) >> 8) & 0x00ff_00ff_00ff_00ff);
    }
    words
        .remainder()
        .iter()
        .fold(sum, |s, &b| s.wrapping_add(u64::from(b)))
}

/// 64 MiB of bytes that are not all alike (and contain CRLFs and dashes,
/// so the end-line search has candidates to reject).
fn bulk_body() -> Bytes {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut body = Vec::with_capacity(BULK_SIZE);
    while body.len() < BULK_SIZE {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        body.extend_from_slice(&state.to_le_bytes());
    }
    body.truncate(BULK_SIZE);
    Bytes::from(body)
}

fn config_with_chunk(chunk_size: usize) -> Config {
    let mut config = Config::default();
    config.chunk_size = chunk_size;
    config
}

fn bulk(c: &mut Criterion) {
    let body = bulk_body();
    let mut group = c.benchmark_group("bulk");
    group.throughput(Throughput::Bytes(BULK_SIZE as u64));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(8));
    group.warm_up_time(Duration::from_secs(2));

    let mut target = vec![0u8; BULK_SIZE];
    group.bench_function("memcpy", |b| {
        b.iter(|| {
            target.copy_from_slice(black_box(&body));
            black_box(&mut target);
        });
    });
    drop(target);

    for (label, chunk_size) in [
        ("16KiB", 16 << 10),
        ("64KiB", Config::default().chunk_size),
        ("1MiB", 1 << 20),
    ] {
        let mut link = Link::new(config_with_chunk(chunk_size));
        group.bench_with_input(BenchmarkId::new("msrp", label), &body, |b, body| {
            b.iter(|| link.send_one(body));
        });
    }
    group.finish();
}

fn small(c: &mut Criterion) {
    let body = Bytes::from_static(SMALL_BODY);
    let mut group = c.benchmark_group("small");
    group.throughput(Throughput::Elements(SMALL_BATCH as u64));
    let mut link = Link::new(Config::default());
    group.bench_function("batch-1000", |b| {
        b.iter(|| link.send_batch(SMALL_BATCH, &body));
    });
    group.finish();
}

/// Runs one loop without criterion, for a profiler.
fn profile(which: &str) {
    let env = |name: &str| std::env::var(name).ok().and_then(|v| v.parse().ok());
    let rounds: usize = env("MSRP_BENCH_ROUNDS").unwrap_or(if which == "bulk" { 1 } else { 10 });
    match which {
        "bulk" => {
            let body = bulk_body();
            let chunk_size = env("MSRP_BENCH_CHUNK").unwrap_or(Config::default().chunk_size);
            let mut link = Link::new(config_with_chunk(chunk_size));
            for _ in 0..rounds {
                black_box(link.send_one(&body));
            }
            black_box(link.sum);
        }
        "small" => {
            let body = Bytes::from_static(SMALL_BODY);
            let mut link = Link::new(Config::default());
            for _ in 0..rounds {
                link.send_batch(SMALL_BATCH, &body);
            }
        }
        other => panic!("MSRP_BENCH_PROFILE: unknown loop {other:?} (bulk or small)"),
    }
}

fn main() {
    if let Ok(which) = std::env::var("MSRP_BENCH_PROFILE") {
        profile(&which);
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    bulk(&mut c);
    small(&mut c);
    c.final_summary();
}
