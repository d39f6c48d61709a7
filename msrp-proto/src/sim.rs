//! A deterministic in-memory network for two [`Connection`]s, with virtual
//! time and a TCP fault model: seeded random segmentation of writes,
//! latency, a bounded send window, a reader that stalls, and abrupt reset.
//!
//! Used by this crate's tests, benchmarks and fuzz targets, and useful to
//! applications that want to test their MSRP logic without sockets. Not a
//! stable API.
//!
//! Time only moves when the pair runs out of work: it then jumps to the next
//! delivery or the next timer of either connection, so a test of a 30 s
//! timeout runs in microseconds.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::connection::{Connection, Event};

pub mod ops;
pub mod relay;
pub mod relay_ops;

/// One end of the [`Pair`].
#[derive(Debug)]
pub struct Side {
    /// The connection.
    pub conn: Connection,
    /// Events taken out of the connection, oldest first.
    pub events: Vec<Event>,
    /// Segments travelling towards this side, with their arrival time.
    inbound: VecDeque<(Instant, Bytes)>,
    /// Bytes travelling towards this side.
    in_flight: usize,
    /// While set, this side reads nothing (its receive window fills up).
    pub stalled: bool,
    /// Set once this side saw the connection end.
    pub closed: bool,
    /// Bytes this side has received in all.
    pub received: u64,
}

impl Side {
    fn new(conn: Connection) -> Self {
        Self {
            conn,
            events: Vec::new(),
            inbound: VecDeque::new(),
            in_flight: 0,
            stalled: false,
            closed: false,
            received: 0,
        }
    }

    /// Takes the events collected so far.
    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    /// Bytes sent to this side and not yet read by it.
    pub fn in_flight(&self) -> usize {
        self.in_flight
    }
}

/// Two connections joined by a simulated TCP connection.
#[derive(Debug)]
pub struct Pair {
    /// The first connection (usually the calling side).
    pub a: Side,
    /// The second connection (usually the answering side).
    pub b: Side,
    /// Virtual time.
    pub now: Instant,
    /// One-way delay of every segment.
    pub latency: Duration,
    /// Writes are cut into segments of 1 to this many bytes, at random.
    pub max_segment: usize,
    /// Bytes in flight in one direction (unread by the receiver) before the
    /// sender's socket is full and it stops writing.
    pub window: usize,
    rng: u64,
    /// Steps taken so far.
    pub steps: u64,
}

impl Pair {
    /// Joins two connections. `seed` drives the segmentation.
    pub fn new(a: Connection, b: Connection, now: Instant, seed: u64) -> Self {
        Self {
            a: Side::new(a),
            b: Side::new(b),
            now,
            latency: Duration::from_millis(1),
            max_segment: 64 * 1024,
            window: 256 * 1024,
            rng: seed | 1,
            steps: 0,
        }
    }

    fn next_random(&mut self) -> u64 {
        // xorshift64*: deterministic and dependency-free.
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Runs one round: each side writes what it can, reads what has arrived,
    /// hands out its events and fires its due timers. Returns whether
    /// anything happened.
    pub fn step(&mut self) -> bool {
        self.steps += 1;
        let now = self.now;
        let mut busy = false;
        busy |= self.transmit(true, now);
        busy |= self.transmit(false, now);
        for side in [&mut self.a, &mut self.b] {
            busy |= deliver(side, now);
            while let Some(event) = side.conn.poll_event() {
                if matches!(event, Event::Closed { .. }) {
                    side.closed = true;
                }
                side.events.push(event);
                busy = true;
            }
            if side.conn.poll_timeout().is_some_and(|t| t <= now) {
                side.conn.handle_timeout(now);
                busy = true;
            }
        }
        busy
    }

    fn transmit(&mut self, from_a: bool, now: Instant) -> bool {
        let mut busy = false;
        loop {
            let (from, to) = if from_a {
                (&mut self.a, &self.b)
            } else {
                (&mut self.b, &self.a)
            };
            if to.in_flight >= self.window || from.closed {
                return busy;
            }
            let Some(mut bytes) = from.conn.poll_transmit(now) else {
                return busy;
            };
            busy = true;
            let mut segments = Vec::new();
            while !bytes.is_empty() {
                let size = 1 + (self.next_random() % self.max_segment.max(1) as u64) as usize;
                segments.push(bytes.split_to(size.min(bytes.len())));
            }
            let arrival = now + self.latency;
            let to = if from_a { &mut self.b } else { &mut self.a };
            for segment in segments {
                to.in_flight += segment.len();
                to.inbound.push_back((arrival, segment));
            }
        }
    }

    /// When something next happens without outside help.
    pub fn next_wakeup(&self) -> Option<Instant> {
        // Segments count only for a side that will read them: not a stalled
        // one, nor one whose connection wants no input (closed, or waiting
        // for the application) — time must not stand still waiting for them.
        let arrival = |side: &Side| {
            (!side.stalled && side.conn.wants_input())
                .then(|| side.inbound.front().map(|(at, _)| *at))
                .flatten()
        };
        [
            arrival(&self.a),
            arrival(&self.b),
            self.a.conn.poll_timeout(),
            self.b.conn.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Runs until nothing more happens, letting virtual time jump to the
    /// next arrival or timer whenever the pair is idle. Stops after
    /// `max_steps` and returns `false` if it was still busy.
    pub fn drive_bounded(&mut self, max_steps: u64) -> bool {
        for _ in 0..max_steps {
            if self.step() {
                continue;
            }
            match self.next_wakeup() {
                Some(at) if at > self.now => self.now = at,
                Some(_) => {}
                None => return true,
            }
        }
        false
    }

    /// [`drive_bounded`](Self::drive_bounded) with a generous bound; panics
    /// if the pair never settles (a livelock is a bug).
    pub fn drive(&mut self) {
        assert!(self.drive_bounded(10_000_000), "the pair did not settle");
    }

    /// Runs until virtual time reaches `now + d` or nothing more happens
    /// before then; time does not jump past that point.
    pub fn drive_for(&mut self, d: Duration) {
        let until = self.now + d;
        for _ in 0..10_000_000u64 {
            if self.step() {
                continue;
            }
            match self.next_wakeup() {
                Some(at) if at <= until => self.now = self.now.max(at),
                _ => {
                    self.now = until;
                    self.step();
                    return;
                }
            }
        }
    }

    /// Runs until `done` holds for the pair, or it settles without it.
    /// Returns whether `done` held.
    pub fn drive_until(&mut self, mut done: impl FnMut(&Self) -> bool) -> bool {
        for _ in 0..10_000_000u64 {
            if done(self) {
                return true;
            }
            if self.step() {
                continue;
            }
            match self.next_wakeup() {
                Some(at) if at > self.now => self.now = at,
                Some(_) => {}
                None => return done(self),
            }
        }
        done(self)
    }

    /// The TCP connection breaks: both sides see a reset, bytes in flight
    /// are lost.
    pub fn reset(&mut self) {
        for side in [&mut self.a, &mut self.b] {
            side.inbound.clear();
            side.in_flight = 0;
            side.conn.handle_reset(self.now);
        }
    }

    /// Side `a` closes its connection after what it sent arrives: `b` sees
    /// the end of the stream once it has read everything.
    pub fn a_sends_eof(&mut self) {
        self.a.conn.close();
        let at = self
            .a
            .inbound
            .back()
            .map_or(self.now, |(t, _)| *t)
            .max(self.now + self.latency);
        // An empty segment marks the end of the stream.
        self.b.inbound.push_back((at, Bytes::new()));
    }
}

/// Hands the segments that have arrived to `side`, unless it is stalled or
/// its connection wants no input.
fn deliver(side: &mut Side, now: Instant) -> bool {
    let mut busy = false;
    while !side.stalled {
        match side.inbound.front() {
            Some((at, _)) if *at <= now => {}
            _ => break,
        }
        if !side.conn.wants_input() {
            break;
        }
        let Some((_, segment)) = side.inbound.pop_front() else {
            break;
        };
        busy = true;
        if segment.is_empty() {
            side.conn.handle_eof(now);
            continue;
        }
        side.in_flight -= segment.len();
        side.received += segment.len() as u64;
        side.conn.handle_input(now, &segment);
    }
    busy
}
