//! One connection driven by hand: the test plays the peer, writing raw
//! chunks into it and reading what it sends with the wire parser.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use msrp_proto::Path;
use msrp_proto::connection::{
    Config, Connection, Event, MessageId, Outcome, SessionConfig, SessionHandle,
};
use msrp_proto::ident::IdGenerator;
use msrp_proto::wire::{
    ByteRange, Chunk, ChunkHead, Continuation, Encoder, Event as WireEvent, Limits, Method, Parser,
    Status,
};

use super::{ALICE, BOB, epoch, uri};

/// A chunk a connection sent, as its peer parsed it.
#[derive(Debug, Clone)]
pub struct Sent {
    pub head: ChunkHead,
    pub body: Vec<u8>,
    /// `None` while the chunk is still being sent.
    pub flag: Option<Continuation>,
}

impl Sent {
    pub fn tid(&self) -> &str {
        self.head.transaction_id()
    }

    /// The Byte-Range header as written on the wire.
    pub fn byte_range(&self) -> &str {
        self.head.header("Byte-Range").unwrap_or("")
    }

    pub fn is_send(&self) -> bool {
        self.head.method() == Some(&Method::Send)
    }

    pub fn is_report(&self) -> bool {
        self.head.method() == Some(&Method::Report)
    }

    /// The status code of a response.
    pub fn code(&self) -> Option<u16> {
        self.head.response_code()
    }
}

/// A connection whose peer is the test.
pub struct Solo {
    pub conn: Connection,
    pub now: Instant,
    pub events: Vec<Event>,
    /// Every chunk the connection sent, complete ones only, in order.
    pub log: Vec<Sent>,
    tap: Parser,
    open: Option<Sent>,
    unread: usize,
}

impl Solo {
    pub fn new(config: Config, seed: [u8; 32]) -> Self {
        let now = epoch();
        Self {
            conn: Connection::new(Arc::new(config), seed, now),
            now,
            events: Vec::new(),
            log: Vec::new(),
            tap: Parser::new(Limits::default()),
            open: None,
            unread: 0,
        }
    }

    /// Bob's side: expects Alice's session (its first request binds it).
    pub fn passive(config: Config) -> (Self, SessionHandle) {
        Self::passive_with(config, |s| s)
    }

    pub fn passive_with(
        config: Config,
        session: impl FnOnce(SessionConfig) -> SessionConfig,
    ) -> (Self, SessionHandle) {
        let mut solo = Self::new(config, [2; 32]);
        let handle = solo
            .conn
            .expect_session(session(
                SessionConfig::new(uri(BOB)).remote_path(uri(ALICE).into()),
            ))
            .unwrap();
        (solo, handle)
    }

    /// Alice's side, bound: its binding SEND was answered 200 by the test.
    pub fn active(config: Config) -> (Self, SessionHandle) {
        let (mut solo, handle) = Self::active_unbound(config);
        let bind = solo.transmit();
        assert_eq!(bind.len(), 1, "one binding SEND");
        solo.feed(&response_to(&bind[0].head, 200));
        assert!(solo.conn.is_bound(handle));
        solo.take_events();
        (solo, handle)
    }

    /// Alice's side with its binding SEND queued, not yet sent.
    pub fn active_unbound(config: Config) -> (Self, SessionHandle) {
        let mut solo = Self::new(config, [1; 32]);
        let handle = solo
            .conn
            .open_session(SessionConfig::new(uri(ALICE)).remote_path(uri(BOB).into()))
            .unwrap();
        (solo, handle)
    }

    /// Bytes from the peer.
    pub fn feed(&mut self, bytes: &[u8]) {
        self.conn.handle_input(self.now, bytes);
        self.collect();
    }

    /// The peer closed its side.
    pub fn eof(&mut self) {
        self.conn.handle_eof(self.now);
        self.collect();
    }

    /// Moves virtual time on and fires the timers that are due.
    pub fn advance(&mut self, d: Duration) {
        self.now += d;
        self.conn.handle_timeout(self.now);
        self.collect();
    }

    /// Moves virtual time to `at` (not backwards) and fires due timers.
    pub fn advance_to(&mut self, at: Instant) {
        self.now = self.now.max(at);
        self.conn.handle_timeout(self.now);
        self.collect();
    }

    /// One `poll_transmit`: the bytes, also parsed into [`log`](Self::log).
    pub fn transmit_once(&mut self) -> Option<Bytes> {
        let bytes = self.conn.poll_transmit(self.now)?;
        self.tap.feed(&bytes);
        loop {
            match self.tap.next() {
                Ok(Some(WireEvent::Head(head))) => {
                    self.open = Some(Sent {
                        head,
                        body: Vec::new(),
                        flag: None,
                    });
                }
                Ok(Some(WireEvent::Body(data))) => {
                    if let Some(open) = self.open.as_mut() {
                        open.body.extend_from_slice(&data);
                    }
                }
                Ok(Some(WireEvent::End(flag))) => {
                    let mut done = self.open.take().expect("an end-line ends a chunk");
                    done.flag = Some(flag);
                    self.log.push(done);
                }
                Ok(None) => break,
                Err(err) => panic!("the connection sent bytes its peer cannot parse: {err}"),
            }
        }
        self.collect();
        Some(bytes)
    }

    /// Everything the connection wants to send now; returns the chunks
    /// completed since the last call.
    pub fn transmit(&mut self) -> Vec<Sent> {
        while self.transmit_once().is_some() {}
        self.unsent_log()
    }

    /// The chunks logged since the last call of this or [`transmit`](Self::transmit).
    pub fn unsent_log(&mut self) -> Vec<Sent> {
        let new = self.log[self.unread..].to_vec();
        self.unread = self.log.len();
        new
    }

    /// The chunk being sent, if one is open.
    pub fn in_progress(&self) -> Option<&Sent> {
        self.open.as_ref()
    }

    /// Moves the connection's events into [`events`](Self::events).
    pub fn collect(&mut self) {
        while let Some(event) = self.conn.poll_event() {
            self.events.push(event);
        }
    }

    pub fn take_events(&mut self) -> Vec<Event> {
        self.collect();
        std::mem::take(&mut self.events)
    }
}

/// Moves bytes between two hand-driven connections until neither has
/// anything to send; each logs what it sent. Time does not move.
pub fn shuttle(a: &mut Solo, b: &mut Solo) {
    let now = a.now.max(b.now);
    a.now = now;
    b.now = now;
    loop {
        let mut moved = false;
        while let Some(bytes) = a.transmit_once() {
            b.feed(&bytes);
            moved = true;
        }
        while let Some(bytes) = b.transmit_once() {
            a.feed(&bytes);
            moved = true;
        }
        if !moved {
            break;
        }
    }
    a.collect();
    b.collect();
}

/// Encodes a chunk, checking that it went out under its own transaction id.
pub fn encode(head: ChunkHead, body: Option<&[u8]>, flag: Continuation) -> Vec<u8> {
    let tid = head.transaction_id().to_owned();
    let chunk = Chunk::new(head, body.map(Bytes::copy_from_slice), flag);
    let encoded = Encoder::new()
        .encode(&chunk, &mut IdGenerator::from_seed([9; 32]))
        .unwrap();
    assert_eq!(encoded.transaction_id(), tid, "test bodies avoid end-lines");
    encoded.to_vec()
}

/// The response a peer sends to `request` (RFC 4975 §7.2: back one hop).
pub fn response_to(request: &ChunkHead, code: u16) -> Vec<u8> {
    let head = ChunkHead::response(code, Some("test"), request.transaction_id())
        .to_path(&Path::from(request.from_path().first().clone()))
        .from_path(&Path::from(request.to_path().first().clone()))
        .build()
        .unwrap();
    encode(head, None, Continuation::Complete)
}

/// A REPORT about the message `send` belongs to, as its receiver sends it.
pub fn report_for(send: &ChunkHead, tid: &str, range: &str, code: u16) -> Vec<u8> {
    report_about(send, send.message_id().unwrap(), tid, range, code)
}

/// A REPORT back along `send`'s path about the message `message_id`.
pub fn report_about(
    send: &ChunkHead,
    message_id: &str,
    tid: &str,
    range: &str,
    code: u16,
) -> Vec<u8> {
    report_head(send, message_id, tid, range, code)
}

/// [`report_for`], with a body (which RFC 4975 §7.1 caps at 10240 bytes).
pub fn report_with_body(send: &ChunkHead, tid: &str, range: &str, body: &[u8]) -> Vec<u8> {
    let mut bytes = report_for(send, tid, range, 200);
    // Between the head and the end-line: a blank line, the body, its CRLF.
    let end_line = bytes.len() - format!("-------{tid}$\r\n").len();
    let body = [b"\r\n", body, b"\r\n"].concat();
    bytes.splice(end_line..end_line, body);
    bytes
}

fn report_head(send: &ChunkHead, message_id: &str, tid: &str, range: &str, code: u16) -> Vec<u8> {
    let head = ChunkHead::request(Method::Report, tid)
        .to_path(send.from_path())
        .from_path(&Path::from(send.to_path().first().clone()))
        .message_id(message_id)
        .byte_range(ByteRange::parse(range).unwrap())
        .status(&Status::new(code, None))
        .build()
        .unwrap();
    encode(head, None, Continuation::Complete)
}

/// A SEND from Alice to Bob, as raw bytes.
#[derive(Debug, Clone)]
pub struct RawSend {
    tid: String,
    to: String,
    from: String,
    message_id: Option<String>,
    range: Option<String>,
    content_type: Option<String>,
    headers: Vec<(String, String)>,
    body: Option<Vec<u8>>,
    flag: Continuation,
}

impl RawSend {
    /// A complete one-chunk text message with this body.
    pub fn new(tid: &str, message_id: &str, body: &[u8]) -> Self {
        Self {
            tid: tid.to_owned(),
            to: BOB.to_owned(),
            from: ALICE.to_owned(),
            message_id: Some(message_id.to_owned()),
            range: Some(format!("1-{0}/{0}", body.len())),
            content_type: Some("text/plain".to_owned()),
            headers: Vec::new(),
            body: Some(body.to_vec()),
            flag: Continuation::Complete,
        }
    }

    /// A bodiless SEND (`1-0/0`, no Content-Type).
    pub fn bodiless(tid: &str, message_id: &str) -> Self {
        Self {
            range: Some("1-0/0".to_owned()),
            content_type: None,
            body: None,
            ..Self::new(tid, message_id, b"")
        }
    }

    pub fn range(mut self, range: &str) -> Self {
        self.range = Some(range.to_owned());
        self
    }

    pub fn flag(mut self, flag: Continuation) -> Self {
        self.flag = flag;
        self
    }

    pub fn more(self) -> Self {
        self.flag(Continuation::More)
    }

    pub fn content_type(mut self, media_type: &str) -> Self {
        self.content_type = Some(media_type.to_owned());
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn to(mut self, to: &str) -> Self {
        self.to = to.to_owned();
        self
    }

    pub fn from(mut self, from: &str) -> Self {
        self.from = from.to_owned();
        self
    }

    pub fn without_message_id(mut self) -> Self {
        self.message_id = None;
        self
    }

    pub fn bytes(&self) -> Vec<u8> {
        let mut head = ChunkHead::request(Method::Send, self.tid.as_str())
            .header("To-Path", &self.to)
            .header("From-Path", &self.from);
        if let Some(id) = &self.message_id {
            head = head.message_id(id);
        }
        if let Some(range) = &self.range {
            head = head.header("Byte-Range", range);
        }
        for (name, value) in &self.headers {
            head = head.header(name, value);
        }
        if let Some(media_type) = &self.content_type {
            head = head.content_type(media_type);
        }
        encode(head.build().unwrap(), self.body.as_deref(), self.flag)
    }
}

/// The outcomes in `events`, checking that each of `ids` has exactly one
/// and that no other message has any; returned in the order of `ids`.
pub fn one_outcome_each(events: &[Event], ids: &[MessageId]) -> Vec<Outcome> {
    let all = super::outcomes(events);
    for (id, _) in &all {
        assert!(ids.contains(id), "an outcome for an unknown message {id}");
    }
    ids.iter()
        .map(|id| {
            let mine: Vec<&Outcome> = all
                .iter()
                .filter(|(m, _)| m == id)
                .map(|(_, o)| o)
                .collect();
            assert_eq!(mine.len(), 1, "exactly one outcome for {id}: {mine:?}");
            mine[0].clone()
        })
        .collect()
}

/// Alice (active) and Bob (passive), both driven by hand and bound to each
/// other through [`shuttle`]; logs and events are cleared.
pub struct Linked {
    pub alice: Solo,
    pub bob: Solo,
    pub a: SessionHandle,
    pub b: SessionHandle,
}

pub fn linked(config_a: Config, config_b: Config) -> Linked {
    let (mut alice, a) = Solo::active_unbound(config_a);
    let (mut bob, b) = Solo::passive(config_b);
    shuttle(&mut alice, &mut bob);
    assert!(alice.conn.is_bound(a) && bob.conn.is_bound(b));
    for solo in [&mut alice, &mut bob] {
        solo.take_events();
        solo.unsent_log();
    }
    Linked { alice, bob, a, b }
}
