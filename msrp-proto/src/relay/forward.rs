//! Forwarding (RFC 4976 §6.4): which requests a relay takes, where they
//! go, how their paths are rewritten, and what goes back — hop-by-hop
//! responses, end-to-end responses, failure REPORTs.

use std::sync::Arc;

use bytes::{Bytes, BytesMut};

use crate::uri::MsrpUri;
use crate::wire::{
    ChunkHead, Continuation, Event, FailureReport, Method, ParseError, find_end_line_in_body,
};

use super::conn::{ConnState, Incoming, Pending, PendingKind, Role, Target, WholeRequest};
use super::frames;
use super::output::{ReportTarget, Stream};
use super::timers::TimerKey;
use super::{Action, CloseReason, ConnId, Relay, RelayEvent};

/// The default MSRP port (RFC 4975 §15.5).
const DEFAULT_PORT: u16 = 2855;

/// Body bytes a part toward a connection with a chunk size limit must have
/// room for beside its head; a SEND whose head leaves less is refused.
const MIN_BODY_ROOM: usize = 1024;

/// What a URI is to this relay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Addressed {
    /// One of its live relay URIs, by session id.
    Grant(String),
    /// The relay itself, without a session id (the To-Path of AUTH).
    Bare,
    /// Its name and port, with a session id it does not know (any more).
    Unknown,
    /// Someone else.
    Foreign,
}

impl Relay {
    /// What `uri` is to this relay. `first`: the first URI of a To-Path,
    /// where a URI without session id can only mean this relay — the peer
    /// connected here (the AUTH To-Path may name the relay by a domain
    /// whose SRV record led here).
    pub(crate) fn classify(&self, uri: &MsrpUri, first: bool) -> Addressed {
        if let Some(id) = uri.session_id() {
            if self.grants.get(id).is_some_and(|g| g.expires > self.now) {
                return Addressed::Grant(id.to_owned());
            }
        } else if first {
            return Addressed::Bare;
        }
        let port = uri.port().unwrap_or(DEFAULT_PORT);
        let ours = self.config.is_own_host(uri.host_str())
            && self
                .listeners
                .iter()
                .any(|l| l.port == port && l.secure == uri.is_secure());
        match (ours, uri.session_id()) {
            (true, Some(_)) => Addressed::Unknown,
            (true, None) => Addressed::Bare,
            (false, _) => Addressed::Foreign,
        }
    }

    pub(crate) fn on_wire_event(&mut self, id: ConnId, event: Event) {
        match event {
            Event::Head(head) if head.is_request() => self.on_request(id, head),
            Event::Head(head) => self.on_response(id, &head),
            Event::Body(data) => self.on_body(id, data),
            Event::End(flag) => self.on_end(id, flag),
        }
    }

    /// A chunk the parser refused with its framing intact: the request is
    /// answered with the parser's code (400, 413) when it can be (RFC 4975
    /// §7.2), never a REPORT (§7.1.2) or a response.
    pub(crate) fn on_rejected(&mut self, id: ConnId, err: &ParseError) {
        if let Some(c) = self.conns.get_mut(&id) {
            c.incoming = Incoming::Idle;
        }
        let Some(rejected) = err.rejected() else {
            return;
        };
        let (Some(method), Some(to), Some(from)) =
            (&rejected.method, &rejected.to_path, &rejected.from_path)
        else {
            return;
        };
        if self.classify(to.first(), true) == Addressed::Foreign {
            // RFC 4976 §6.2: not addressed to this relay.
            self.finish_close(id, CloseReason::ForeignUri);
            return;
        }
        if *method == Method::Report {
            return;
        }
        let reply: Vec<&MsrpUri> = if *method == Method::Send {
            vec![from.first()]
        } else {
            from.iter().collect()
        };
        let frame = frames::response(
            &rejected.transaction_id,
            err.status_code(),
            &reply,
            to.first(),
            &[],
        );
        self.push_frame(id, frame);
    }

    fn on_request(&mut self, id: ConnId, head: ChunkHead) {
        if let Some(c) = self.conns.get_mut(&id) {
            c.incoming = Incoming::Skip { ok: None };
        }
        let method = head.method().cloned();
        match self.classify(head.to_path().first(), true) {
            Addressed::Foreign => {
                // RFC 4976 §6.2: a request whose first To-Path URI is not
                // this relay's drops the connection at once.
                tracing::debug!(target: "msrp::relay", conn = %id, to = %head.to_path(), "foreign URI");
                self.finish_close(id, CloseReason::ForeignUri);
            }
            Addressed::Bare if method == Some(Method::Auth) && head.to_path().len() == 1 => {
                self.on_auth(id, &head);
            }
            Addressed::Bare | Addressed::Unknown => {
                // RFC 4976 §6.3: an unknown or expired relay URI.
                self.refuse(id, &head, 481);
            }
            Addressed::Grant(_) => self.forward(id, head),
        }
    }

    /// Answers a request with an error, unless it is a REPORT or a SEND
    /// that wants no failure reports (RFC 4975 §7.1.2, §7.2).
    pub(crate) fn refuse(&mut self, id: ConnId, head: &ChunkHead, code: u16) {
        let method = head.method();
        let silent = match method {
            Some(Method::Report) | None => true,
            Some(Method::Send) => head.failure_report() == Some(FailureReport::No),
            Some(_) => false,
        };
        tracing::debug!(target: "msrp::relay", conn = %id, code, tid = head.transaction_id(), silent, "request refused");
        if silent {
            return;
        }
        // RFC 4975 §7.2: the response to SEND goes to the previous hop
        // only; other responses retrace the whole From-Path.
        let reply: Vec<&MsrpUri> = if method == Some(&Method::Send) {
            vec![head.from_path().first()]
        } else {
            head.from_path().iter().collect()
        };
        let frame = frames::response(
            head.transaction_id(),
            code,
            &reply,
            head.to_path().first(),
            &[],
        );
        self.push_frame(id, frame);
    }

    /// A request whose first To-Path URI is a live relay URI of ours.
    fn forward(&mut self, id: ConnId, head: ChunkHead) {
        let mut to: Vec<MsrpUri> = head.to_path().uris().to_vec();
        let mut popped: Vec<MsrpUri> = Vec::new();
        // The connection the request came from, while it is the previous
        // hop; `None` once the request went through one of our own URIs.
        let mut previous = Some(id);
        let down = loop {
            let uri = to.remove(0);
            let owner = uri
                .session_id()
                .and_then(|s| self.grants.get(s))
                .map(|g| g.owner);
            popped.push(uri);
            let Some(owner) = owner else {
                return self.refuse(id, &head, 481);
            };
            if previous != Some(owner) {
                // RFC 4976 §6.4: a request through a client's URI that does
                // not come from that client goes to that client, and
                // nowhere else (no open relaying).
                break owner;
            }
            // From the client that obtained the URI: on to the next hop.
            let Some(next) = to.first() else {
                return self.refuse(id, &head, 481);
            };
            match self.classify(next, false) {
                Addressed::Grant(_) => previous = None,
                Addressed::Bare | Addressed::Unknown => return self.refuse(id, &head, 481),
                Addressed::Foreign => match self.route_to(next) {
                    Ok(down) => break down,
                    Err(code) => return self.refuse(id, &head, code),
                },
            }
        };
        if to.is_empty() {
            return self.refuse(id, &head, 481);
        }
        // Each hop adds one URI to From-Path: a path past the limit would
        // be refused further on (and a loop through relays grows it).
        if popped.len() + head.from_path().len() > self.config.limits.max_path_uris {
            return self.refuse(id, &head, 400);
        }
        if let Err(code) = self.learn_route(id, head.from_path().first()) {
            return self.refuse(id, &head, code);
        }
        if let Some(c) = self.conns.get_mut(&id) {
            // RFC 4976 §6.1: a successful request ends the probation.
            c.proven = true;
        }
        let to_refs: Vec<&MsrpUri> = to.iter().collect();
        let from: Vec<&MsrpUri> = popped.iter().rev().chain(head.from_path().iter()).collect();
        match head.method() {
            Some(Method::Send) => {
                self.start_stream(id, down, &head, &to_refs, &from, popped[0].clone());
            }
            _ => {
                let answered = head.method() != Some(&Method::Report);
                let whole = WholeRequest {
                    down,
                    to: to.clone(),
                    from: from.into_iter().cloned().collect(),
                    body: head.has_body().then(BytesMut::new),
                    head,
                    answered,
                };
                if let Some(c) = self.conns.get_mut(&id) {
                    c.incoming = Incoming::Whole(Box::new(whole));
                }
            }
        }
    }

    /// Opens the stream of a forwarded SEND chunk on `down`.
    fn start_stream(
        &mut self,
        id: ConnId,
        down: ConnId,
        head: &ChunkHead,
        to: &[&MsrpUri],
        from: &[&MsrpUri],
        via: MsrpUri,
    ) {
        let Some(message_id) = head.message_id() else {
            // RFC 4975 §7.1: every SEND carries a Message-ID.
            return self.refuse(id, head, 400);
        };
        let fr = head.failure_report().unwrap_or_default();
        let report = (fr != FailureReport::No).then(|| {
            Arc::new(ReportTarget {
                upstream: id,
                to: head.from_path().uris().to_vec(),
                from: via.clone(),
                message_id: message_id.to_owned(),
                failure_report: fr,
            })
        });
        let range = head.byte_range_or_default();
        let template = frames::HeadTemplate::new(head, to, from);
        if let Some(max) = self.conns.get(&down).and_then(|d| d.out.max_chunk) {
            if template.max_len() + MIN_BODY_ROOM > max {
                // Its parts could not carry a useful body within the next
                // hop's chunk size (a WebSocket client's message limit).
                return self.refuse(id, head, 413);
            }
        }
        self.next_stream += 1;
        let stream = self.next_stream;
        let Some(d) = self.conns.get_mut(&down) else {
            return self.refuse(id, head, 481);
        };
        d.out.open(
            stream,
            Stream::new(
                id,
                template,
                head.has_body(),
                (range.start, range.end, range.total),
                report,
            ),
        );
        // RFC 4976 §6.4.1: Failure-Report yes (or absent) gets a 200 from
        // this hop once the chunk is in; `partial` and `no` get none.
        let ok = (fr == FailureReport::Yes).then(|| {
            frames::response(
                head.transaction_id(),
                200,
                &[head.from_path().first()],
                &via,
                &[],
            )
        });
        if let Some(c) = self.conns.get_mut(&id) {
            c.incoming = Incoming::Stream { down, stream, ok };
        }
    }

    /// Where a URI that is not ours is reached: the connection its traffic
    /// came from (connection reuse), an open connection to its host and
    /// port, or a new one.
    fn route_to(&mut self, uri: &MsrpUri) -> Result<ConnId, u16> {
        if let Some(&conn) = self.routes.get(uri) {
            if self.conns.contains_key(&conn) {
                return Ok(conn);
            }
        }
        if !uri.transport().eq_ignore_ascii_case("tcp") {
            // A WebSocket (`ws`) or data-channel client is reachable only
            // over the connection it opened.
            return Err(481);
        }
        let host = uri
            .host_str()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase();
        let target = Target {
            secure: uri.is_secure(),
            host,
            port: uri.port().unwrap_or(DEFAULT_PORT),
        };
        if let Some(&conn) = self.outbound.get(&target) {
            if self.conns.contains_key(&conn) {
                return Ok(conn);
            }
        }
        if self.conns.len() >= self.config.max_connections {
            return Err(481);
        }
        let conn = self.new_conn_outbound(target.clone());
        self.outbound.insert(target.clone(), conn);
        tracing::debug!(target: "msrp::relay", %conn, host = %target.host, port = target.port, secure = target.secure, "connecting");
        self.actions.push_back(Action::Connect {
            conn,
            host: target.host,
            port: target.port,
            secure: target.secure,
        });
        Ok(conn)
    }

    fn new_conn_outbound(&mut self, target: Target) -> ConnId {
        self.next_conn += 1;
        let id = ConnId(self.next_conn);
        let conn = super::conn::Conn::new(
            Role::Outbound(target),
            ConnState::Connecting,
            &self.config.limits,
            self.now,
        );
        self.conns.insert(id, conn);
        id
    }

    /// Remembers that `previous` (a request's first From-Path URI) is
    /// reached over `id`: the sessions of a connection. First come keeps
    /// it, so no one can take over another peer's route.
    fn learn_route(&mut self, id: ConnId, previous: &MsrpUri) -> Result<(), u16> {
        let max = self.config.max_sessions_per_connection;
        let Some(c) = self.conns.get_mut(&id) else {
            return Err(481);
        };
        if c.sessions.contains(previous) {
            return Ok(());
        }
        if c.sessions.len() >= max {
            return Err(403);
        }
        c.sessions.insert(previous.clone());
        let live = self
            .routes
            .get(previous)
            .is_some_and(|conn| self.conns.contains_key(conn));
        if !live {
            self.routes.insert(previous.clone(), id);
        }
        Ok(())
    }

    fn on_body(&mut self, id: ConnId, data: Bytes) {
        let Some(c) = self.conns.get_mut(&id) else {
            return;
        };
        let (down, stream) = match &mut c.incoming {
            Incoming::Stream { down, stream, .. } => (*down, *stream),
            Incoming::Whole(whole) => {
                if let Some(body) = &mut whole.body {
                    // Bounded by the parser: bodies of requests other than
                    // SEND stop at `max_non_send_body`.
                    body.extend_from_slice(&data);
                }
                return;
            }
            Incoming::Idle | Incoming::Skip { .. } => return,
        };
        match self.conns.get_mut(&down) {
            Some(d) if d.out.has_stream(stream) => {
                d.out.push_body(stream, data);
                self.note_queued(down);
                self.wake(down);
            }
            _ => self.stream_gone(id, stream),
        }
    }

    fn on_end(&mut self, id: ConnId, flag: Continuation) {
        let Some(c) = self.conns.get_mut(&id) else {
            return;
        };
        match std::mem::take(&mut c.incoming) {
            Incoming::Stream { down, stream, ok } => {
                if let Some(d) = self.conns.get_mut(&down) {
                    d.out.end(stream, flag);
                    self.wake(down);
                }
                if let Some(ok) = ok {
                    self.push_frame(id, ok);
                }
            }
            Incoming::Whole(whole) => self.send_whole(id, *whole, flag),
            Incoming::Skip { ok: Some(ok) } => self.push_frame(id, ok),
            Incoming::Skip { ok: None } | Incoming::Idle => {}
        }
    }

    /// Forwards a request other than SEND, now that its body is in.
    fn send_whole(&mut self, id: ConnId, whole: WholeRequest, flag: Continuation) {
        if !self.conns.contains_key(&whole.down) {
            if whole.answered {
                self.refuse(id, &whole.head, 481);
            }
            return;
        }
        let body = whole.body.as_deref();
        // RFC 4975 §7.1: the body must not hold the end-line.
        let mut tid = self.ids.transaction_id();
        let finder = memchr::memmem::Finder::new(b"\r\n-------");
        while body.is_some_and(|b| find_end_line_in_body(b, tid.as_bytes(), &finder).is_some()) {
            tid = self.ids.transaction_id();
        }
        let to: Vec<&MsrpUri> = whole.to.iter().collect();
        let from: Vec<&MsrpUri> = whole.from.iter().collect();
        let frame = frames::forwarded_request(&whole.head, &tid, &to, &from, body, flag);
        let max = self.conns.get(&whole.down).and_then(|d| d.out.max_chunk);
        if max.is_some_and(|max| frame.len() > max) {
            // Not cut: only SEND chunks are (RFC 4975 §7.1).
            if whole.answered {
                self.refuse(id, &whole.head, 413);
            }
            return;
        }
        if whole.answered {
            let serial = self.next_serial();
            let deadline = self.now + self.config.transaction_timeout;
            if let Some(d) = self.conns.get_mut(&whole.down) {
                d.pending.insert(
                    tid.clone(),
                    Pending {
                        serial,
                        kind: PendingKind::EndToEnd {
                            upstream: id,
                            tid: whole.head.transaction_id().to_owned(),
                        },
                    },
                );
            }
            self.timers.arm(
                deadline,
                TimerKey::Transaction {
                    conn: whole.down,
                    tid,
                    serial,
                },
            );
        }
        self.push_frame(whole.down, frame);
    }

    /// A response from the next hop (RFC 4976 §6.4.3).
    fn on_response(&mut self, id: ConnId, head: &ChunkHead) {
        if let Some(c) = self.conns.get_mut(&id) {
            c.incoming = Incoming::Skip { ok: None };
        }
        let first = head.to_path().first();
        if self.classify(first, true) == Addressed::Foreign {
            // Not for this relay: dropped.
            return;
        }
        let Some(c) = self.conns.get_mut(&id) else {
            return;
        };
        let Some(pending) = c.pending.remove(head.transaction_id()) else {
            return;
        };
        let code = head.response_code().unwrap_or(200);
        match pending.kind {
            PendingKind::Part {
                report,
                start,
                last,
                total,
            } => {
                // The next hop's own error goes back to the sender as a
                // REPORT; a 200 is this hop's business only.
                if code != 200 {
                    self.send_report(&report, (start, last, total), code);
                }
            }
            PendingKind::EndToEnd { upstream, tid } => {
                // Off the front of To-Path go this relay's URIs that the
                // request went through (more than one when it went from a
                // client of this relay to another), onto From-Path.
                let uris = head.to_path().uris();
                let ours = 1 + uris[1..]
                    .iter()
                    .take_while(|u| matches!(self.classify(u, false), Addressed::Grant(_)))
                    .count();
                let to: Vec<&MsrpUri> = uris[ours..].iter().collect();
                if !to.is_empty() {
                    let from: Vec<&MsrpUri> = uris[..ours]
                        .iter()
                        .rev()
                        .chain(head.from_path().iter())
                        .collect();
                    let frame = frames::forwarded_response(head, &tid, &to, &from);
                    self.push_frame(upstream, frame);
                }
            }
        }
        if let Some(c) = self.conns.get(&id) {
            if c.pending.len() < self.config.max_pending_transactions && !c.blocked.is_empty() {
                self.unblock_pending(id);
            }
        }
    }

    fn unblock_pending(&mut self, id: ConnId) {
        if let Some(c) = self.conns.get_mut(&id) {
            for up in std::mem::take(&mut c.blocked) {
                self.runnable.push_back(up);
                self.wake(up);
            }
        }
    }

    /// A failure REPORT to the sender of a forwarded SEND, as its
    /// Failure-Report asks (RFC 4976 §6.4.1, RFC 4975 §7.1.2), on the
    /// connection the SEND came from.
    pub(crate) fn send_report(
        &mut self,
        target: &ReportTarget,
        range: (u64, Option<u64>, Option<u64>),
        code: u16,
    ) {
        if target.failure_report == FailureReport::No || code == 200 {
            return;
        }
        if !self
            .conns
            .get(&target.upstream)
            .is_some_and(|c| matches!(c.state, ConnState::Open | ConnState::Draining))
        {
            return;
        }
        let (start, last, total) = range;
        let end = last.filter(|&l| l + 1 >= start);
        let tid = self.ids.transaction_id();
        let to: Vec<&MsrpUri> = target.to.iter().collect();
        let frame = frames::report(
            &tid,
            &to,
            &target.from,
            &target.message_id,
            (start, end, total),
            code,
        );
        tracing::debug!(target: "msrp::relay", conn = %target.upstream, code, message_id = %target.message_id, "failure REPORT");
        self.push_frame(target.upstream, frame);
        self.push_event(RelayEvent::Reported {
            conn: target.upstream,
            code,
            message_id: target.message_id.clone(),
        });
    }
}
