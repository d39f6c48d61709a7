//! Random operation sequences against a [`Relay`], checked against the
//! invariants every run must keep. The fuzz target `relay_ops` and the
//! corpus replay feed it bytes.
//!
//! Two clients (alice and bob) authenticate first, as a real client would;
//! a third connection is anybody. The bytes then choose operations: raw
//! bytes on any connection, well-formed SENDs from one client to the other
//! (bodies from the input, so end-lines and their prefixes appear in them,
//! fed in several pieces, any Failure-Report), answers with any status
//! code, REPORTs and NICKNAMEs, reading or not reading a connection's
//! output, time passing, ends of stream and resets. [`run`] checks:
//!
//! - nothing panics, and time always moves forward (`poll_timeout` is
//!   never in the past after `handle_timeout`);
//! - everything the relay writes on every connection is well-formed MSRP:
//!   a parser reading it never fails (interrupted and resumed chunks,
//!   end-lines cut out of bodies, REPORTs and responses included);
//! - memory stays within the configuration: what is queued for a
//!   connection stays under four times `max_queued_bytes` plus a frame,
//!   and the relay never holds the body of a chunk whole.

use std::time::{Duration, Instant};

use crate::connection::digest::{QopAuth, format_nc, ha1, ha2, request_digest};
use crate::relay::{ConnId, ConnState, Listener, Relay, RelayConfig, Users};
use crate::wire::{ChunkHead, Event, Limits, Parser};

const REALM: &str = "fuzz.example";
const RELAY: &str = "msrps://relay.fuzz.example:2856;tcp";
const LISTENER: Listener = Listener::tls(2856);

struct Input<'a>(&'a [u8]);

impl Input<'_> {
    fn byte(&mut self) -> u8 {
        let (&b, rest) = self.0.split_first().unwrap_or((&0, &[]));
        self.0 = rest;
        b
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        let n = n.min(self.0.len());
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        head.to_vec()
    }
}

/// One connection as the test sees it.
struct Side {
    conn: ConnId,
    /// This side's own URI.
    uri: String,
    /// Its relay URI, once granted.
    relay_uri: Option<String>,
    /// Reads what the relay writes, to check it.
    reader: Parser,
    /// Heads of requests received, to answer.
    requests: Vec<ChunkHead>,
    stalled: bool,
    written: usize,
}

impl Side {
    fn new(conn: ConnId, uri: &str) -> Self {
        // What the relay forwards may be as large as what it reads.
        let limits = Limits {
            max_non_send_body: usize::MAX / 2,
            ..Limits::default()
        };
        Self {
            conn,
            uri: uri.to_owned(),
            relay_uri: None,
            reader: Parser::new(limits),
            requests: Vec::new(),
            stalled: false,
            written: 0,
        }
    }
}

struct World {
    relay: Relay,
    now: Instant,
    sides: Vec<Side>,
    tid: u32,
    bound: usize,
}

impl World {
    fn tid(&mut self) -> String {
        self.tid += 1;
        format!("fz{:06}", self.tid)
    }

    /// Takes what the relay writes on side `i` (unless it is stalled, or
    /// `force`) and checks it parses; returns the heads that came.
    fn drain(&mut self, i: usize, force: bool) -> Result<Vec<ChunkHead>, String> {
        let side = &mut self.sides[i];
        let mut heads = Vec::new();
        if side.stalled && !force {
            return Ok(heads);
        }
        for _ in 0..10_000 {
            let Some(t) = self.relay.poll_transmit(self.now, side.conn) else {
                break;
            };
            side.written += t.data.len();
            side.reader.feed(&t.data);
            loop {
                match side.reader.next() {
                    Ok(Some(Event::Head(head))) => heads.push(head),
                    Ok(Some(_)) => {}
                    Ok(None) => break,
                    Err(err) => {
                        return Err(format!("the relay wrote invalid MSRP on side {i}: {err}"));
                    }
                }
            }
        }
        for head in &heads {
            if head.is_request() {
                side.requests.push(head.clone());
                if side.requests.len() > 64 {
                    side.requests.remove(0);
                }
            }
        }
        Ok(heads)
    }

    fn check(&mut self) -> Result<(), String> {
        let stats = self.relay.stats();
        let limit = self.bound;
        if stats.peak_queued_bytes > limit {
            return Err(format!(
                "{} bytes queued for one connection (bound {limit})",
                stats.peak_queued_bytes
            ));
        }
        if let Some(at) = self.relay.poll_timeout() {
            if at <= self.now {
                self.relay.handle_timeout(self.now);
                if self.relay.poll_timeout().is_some_and(|t| t <= self.now) {
                    return Err("a timer stays due after handle_timeout".into());
                }
            }
        }
        while self.relay.poll_action().is_some() {}
        while self.relay.poll_event().is_some() {}
        Ok(())
    }

    fn feed(&mut self, i: usize, data: &[u8]) {
        let conn = self.sides[i].conn;
        // The glue reads only when asked to.
        if self.relay.wants_input(conn) {
            self.relay.handle_input(self.now, conn, data);
        }
    }

    /// Side `i` authenticates as `user` (digest computed here).
    fn authenticate(&mut self, i: usize, user: &str) -> Result<(), String> {
        let from = self.sides[i].uri.clone();
        let tid = self.tid();
        let bare = format!(
            "MSRP {tid} AUTH\r\nTo-Path: {RELAY}\r\nFrom-Path: {from}\r\n-------{tid}$\r\n"
        );
        self.feed(i, bare.as_bytes());
        let heads = self.drain(i, true)?;
        let challenge = heads
            .iter()
            .find_map(|h| h.www_authenticate().next())
            .ok_or("no challenge")?;
        let nonce = challenge.get("nonce").ok_or("no nonce")?.to_owned();
        let qop = QopAuth {
            nc: 1,
            cnonce: "c0ffee42",
        };
        let secret = ha1(user, REALM, "pw");
        let response = request_digest(&secret, &nonce, Some(qop), &ha2("AUTH", RELAY));
        let tid = self.tid();
        let creds = format!(
            "MSRP {tid} AUTH\r\nTo-Path: {RELAY}\r\nFrom-Path: {from}\r\nAuthorization: Digest \
             username=\"{user}\", realm=\"{REALM}\", nonce=\"{nonce}\", qop=auth, nc={}, \
             cnonce=\"c0ffee42\", response=\"{response}\"\r\nExpires: 3600\r\n-------{tid}$\r\n",
            format_nc(1)
        );
        self.feed(i, creds.as_bytes());
        let heads = self.drain(i, true)?;
        let granted = heads
            .iter()
            .find_map(|h| h.use_path().map(|p| p.last().to_string()))
            .ok_or("no Use-Path")?;
        self.sides[i].relay_uri = Some(granted);
        Ok(())
    }

    /// A SEND from side `from` to side `to` through both relay URIs, in
    /// pieces.
    fn send(&mut self, from: usize, to: usize, input: &mut Input<'_>) {
        let (Some(ra), Some(rb)) = (
            self.sides[from].relay_uri.clone(),
            self.sides[to].relay_uri.clone(),
        ) else {
            return;
        };
        // Up to 10 KiB of body, made from a seed byte (so that short inputs
        // still make large chunks).
        let len = usize::from(input.byte()) * 40 + usize::from(input.byte() % 40);
        let seed = input.byte();
        let mut body: Vec<u8> = (0..len)
            .map(|k| (k as u8).wrapping_mul(31).wrapping_add(seed))
            .collect();
        // End-line look-alikes in the body: the relay's own tids are
        // unknown here, so any `-------` run tests the search.
        if input.byte() % 4 == 0 && !body.is_empty() {
            let at = usize::from(input.byte()) % body.len();
            body.splice(at..at, b"\r\n-------fz".iter().copied());
        }
        let fr = ["yes", "no", "partial", ""][usize::from(input.byte() % 4)];
        let tid = self.tid();
        let mut wire = format!(
            "MSRP {tid} SEND\r\nTo-Path: {ra} {rb} {}\r\nFrom-Path: {}\r\nMessage-ID: m{tid}\r\n",
            self.sides[to].uri, self.sides[from].uri
        );
        if !fr.is_empty() {
            wire.push_str(&format!("Failure-Report: {fr}\r\n"));
        }
        wire.push_str(&format!(
            "Byte-Range: 1-{n}/{n}\r\nContent-Type: application/octet-stream\r\n\r\n",
            n = body.len()
        ));
        let mut bytes = wire.into_bytes();
        bytes.extend_from_slice(&body);
        let flag = ["$", "+", "#"][usize::from(input.byte() % 3)];
        bytes.extend_from_slice(format!("\r\n-------{tid}{flag}\r\n").as_bytes());
        let pieces = 1 + usize::from(input.byte() % 4);
        let size = bytes.len().div_ceil(pieces);
        for piece in bytes.chunks(size.max(1)) {
            self.feed(from, piece);
            self.drain(to, false).ok();
        }
    }

    /// Side `i` answers its oldest request with a code from the input.
    fn answer(&mut self, i: usize, input: &mut Input<'_>) {
        if self.sides[i].requests.is_empty() {
            return;
        }
        let head = self.sides[i].requests.remove(0);
        let code = [200, 400, 413, 481, 415, 408][usize::from(input.byte() % 6)];
        let tid = head.transaction_id().to_owned();
        let to = if head.method().is_some_and(|m| m.as_str() == "SEND") {
            head.from_path().first().to_string()
        } else {
            head.from_path().to_string()
        };
        let text = format!(
            "MSRP {tid} {code} x\r\nTo-Path: {to}\r\nFrom-Path: {}\r\n-------{tid}$\r\n",
            head.to_path().first()
        );
        self.feed(i, text.as_bytes());
    }
}

/// Runs the operations `data` encodes; `Err` names the invariant broken.
pub fn run(data: &[u8], start: Instant) -> Result<(), String> {
    let mut input = Input(data);
    let mut config = RelayConfig::new("relay.fuzz.example", REALM);
    config.min_expires = 10;
    config.max_queued_bytes = 4096 + usize::from(input.byte()) * 64;
    config.interrupt_after = 256 + usize::from(input.byte()) * 16;
    config.max_piece = 128 + usize::from(input.byte()) * 8;
    config.max_pending_transactions = 1 + usize::from(input.byte() % 16);
    config.limits.max_non_send_body = 2048;
    // A connection's own answers may pile up to four times the bound, and
    // one more frame (a forwarded request of at most a head and a small
    // body) may come on top.
    let bound = 4 * config.max_queued_bytes + 3 * 16 * 1024 + 2048;
    let mut users = Users::new();
    users.add_password("alice", REALM, "pw");
    users.add_password("bob", REALM, "pw");
    let mut relay = Relay::new(config, users, [7; 32], start).map_err(|e| e.to_string())?;
    relay.add_listener(LISTENER);
    let mut world = World {
        relay,
        now: start,
        sides: Vec::new(),
        tid: 0,
        bound,
    };
    for uri in [
        "msrps://alice.fuzz.example:2855/alice1234;tcp",
        "msrps://bob.fuzz.example:2855/bob567890;tcp",
        "msrps://anyone.fuzz.example:2855/anyone123;tcp",
    ] {
        let conn = world
            .relay
            .handle_accept(start, LISTENER)
            .map_err(|e| e.to_string())?;
        world.sides.push(Side::new(conn, uri));
    }
    world.authenticate(0, "alice")?;
    world.authenticate(1, "bob")?;
    while !input.0.is_empty() {
        let op = input.byte();
        let i = usize::from(input.byte() % 3);
        match op % 10 {
            0 => {
                let n = usize::from(input.byte());
                let bytes = input.bytes(n);
                world.feed(i, &bytes);
            }
            1 | 2 => world.send(0, 1, &mut input),
            3 => world.send(1, 0, &mut input),
            4 => {
                world.drain(i, true)?;
            }
            5 => world.answer(i, &mut input),
            6 => {
                world.now += Duration::from_millis(u64::from(input.byte()) * 250);
                world.relay.handle_timeout(world.now);
            }
            7 => world.sides[i].stalled = !world.sides[i].stalled,
            8 if input.byte() % 8 == 0 => {
                let conn = world.sides[i].conn;
                if input.byte() % 2 == 0 {
                    world.relay.handle_eof(world.now, conn);
                } else {
                    world.relay.handle_reset(world.now, conn);
                }
            }
            _ => {
                for j in 0..world.sides.len() {
                    world.drain(j, false)?;
                }
            }
        }
        world.check()?;
    }

    // Everything settles: every side reads, time passes, every timer fires.
    for _ in 0..200 {
        for j in 0..world.sides.len() {
            world.sides[j].stalled = false;
            world.drain(j, true)?;
        }
        world.now += Duration::from_secs(30);
        world.relay.handle_timeout(world.now);
        world.check()?;
    }
    for side in &world.sides {
        if world.relay.conn_state(side.conn) != ConnState::Closed
            && world.relay.wants_input(side.conn)
        {
            // Open and reading: nothing may be stuck in its queue.
            let stats = world.relay.stats();
            if stats.queued_bytes > 0 {
                return Err(format!("{} bytes stuck after settling", stats.queued_bytes));
            }
        }
    }
    Ok(())
}
