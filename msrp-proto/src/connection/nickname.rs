//! NICKNAME (RFC 7701 §7.1): a participant of a chat room asks the room's
//! focus for a nickname, and the focus answers 200, 424 (malformed
//! nickname), 425 (reserved or already in use) or another code.
//!
//! The request carries the session's To-Path and From-Path and one
//! Use-Nickname header whose value is a quoted-string (RFC 4975 §9: `\` and
//! `"` escaped, no control character but HTAB); no Message-ID, no report
//! headers, no body. Its response, like that of any request but SEND, goes
//! back along the whole From-Path (RFC 4975 §7.2), which
//! [`respond`](Connection::respond) already does.
//!
//! This side is an endpoint. As a participant it sends NICKNAME
//! ([`set_nickname`](Connection::set_nickname)) and reports the answer. It
//! answers an incoming one 501 (RFC 4975 §10.9: it does not implement the
//! method; NICKNAME only goes to a focus) unless the application is the
//! focus and turned [`SessionConfig::nicknames`](super::SessionConfig::nicknames)
//! on: then a well-formed request becomes an event, answered with
//! [`answer_nickname`](Connection::answer_nickname).

use crate::wire::ChunkHead;
use crate::wire::header::quoted::{is_utf8text, quote};

use super::event::{Event, RequestId, SessionHandle};
use super::respond;
use super::session::SessionState;
use super::transactions::{TxId, TxKind};
use super::{CommandError, Connection};

/// A NICKNAME request received and not yet answered by the application.
#[derive(Debug)]
pub(crate) struct Unanswered {
    request: RequestId,
    session: SessionHandle,
    /// Kept to address the response (RFC 4975 §7.2).
    head: ChunkHead,
}

impl Connection {
    /// Asks the focus of a chat room for a nickname (RFC 7701 §7.1): sends
    /// `NICKNAME` with the session's paths and `Use-Nickname: "<nickname>"`.
    /// The answer arrives as [`Event::NicknameResult`] — the focus's code,
    /// or 408 when none comes within
    /// [`Config::transaction_timeout`](super::Config::transaction_timeout).
    ///
    /// The session must be bound. An empty nickname is sent as `""`
    /// (SylkServer drops the participant's nickname on it). A nickname that
    /// a quoted-string cannot carry (a control character other than HTAB)
    /// gives [`CommandError::InvalidNickname`]; nothing else about it is
    /// checked here, since which nicknames a room takes is the focus's
    /// call (424).
    pub fn set_nickname(
        &mut self,
        session: SessionHandle,
        nickname: &str,
    ) -> Result<RequestId, CommandError> {
        if self.closing() {
            return Err(CommandError::Closed);
        }
        let paths = match self.session(session) {
            None => return Err(CommandError::UnknownSession),
            Some(s) if s.state != SessionState::Bound => return Err(CommandError::NotBound),
            Some(s) => s.request_paths.clone(),
        };
        // The value is a quoted-string (RFC 7701 §7.1, RFC 4975 §9): CR and
        // LF would end the header line, and other controls are not qdtext.
        if !is_utf8text(nickname) {
            return Err(CommandError::InvalidNickname);
        }
        let quoted = quote(nickname);
        if "Use-Nickname: ".len() + quoted.len() > self.config.limits.max_header_line {
            // A peer with limits like this side's would refuse the line.
            return Err(CommandError::InvalidNickname);
        }
        if self.nicknames_sent >= self.config.max_pending_nicknames {
            return Err(CommandError::TooManyRequests);
        }
        let tid = self.ids.transaction_id();
        let bytes = respond::nickname_request(&tid, &paths, &quoted);
        let request = RequestId(self.next_request);
        self.next_request += 1;
        self.push_control(bytes);
        if let Some(tid) = TxId::new(tid.as_bytes()) {
            let kind = TxKind::Nickname { session, request };
            self.transactions.insert(tid, kind, true);
            let deadline = self.now + self.config.transaction_timeout;
            self.transactions.arm(tid, deadline);
        }
        self.nicknames_sent += 1;
        Ok(request)
    }

    /// Answers an [`Event::NicknameRequest`] with a status code: 200 to
    /// grant the nickname, 424 if it is malformed, 425 if it is reserved or
    /// taken (RFC 7701 §7.1), or another error. The response goes back along
    /// the request's whole From-Path (RFC 4975 §7.2).
    pub fn answer_nickname(&mut self, request: RequestId, code: u16) -> Result<(), CommandError> {
        if !(200..=999).contains(&code) {
            return Err(CommandError::InvalidStatusCode(code));
        }
        let Some(index) = self.unanswered.iter().position(|u| u.request == request) else {
            return Err(if self.is_closed() {
                CommandError::Closed
            } else {
                CommandError::UnknownRequest
            });
        };
        let pending = self.unanswered.remove(index);
        self.respond(&pending.head, code);
        Ok(())
    }

    /// NICKNAME requests received and not yet answered by the application.
    pub fn unanswered_nicknames(&self) -> usize {
        self.unanswered.len()
    }

    /// A NICKNAME request arrived, its body (if any) gone by.
    pub(crate) fn on_nickname(&mut self, head: &ChunkHead) {
        let by_sid = self.config.match_session_id_only;
        // RFC 4975 §7.3: a request for no session here, or from another
        // path than the session's, gets 481. A session binds on SEND only.
        let Some(session) = self
            .sessions
            .iter()
            .find(|s| s.state == SessionState::Bound && s.paths_match(head, by_sid))
        else {
            self.respond(head, 481);
            return;
        };
        let handle = session.handle;
        if !session.config.nicknames {
            // A participant does not implement NICKNAME (RFC 7701 §7.1
            // sends it to the focus only): RFC 4975 §10.9, 501.
            self.respond(head, 501);
            return;
        }
        // RFC 7701 §7.1: one Use-Nickname, no report headers, no body.
        // Anything else is unintelligible (RFC 4975 §10.2), as msrplib
        // answers it. A Message-ID is tolerated: it changes nothing.
        let malformed =
            head.has_body() || head.success_report().is_some() || head.failure_report().is_some();
        let nickname = head.use_nickname().map(|n| n.into_owned());
        let Some(nickname) = nickname.filter(|_| !malformed) else {
            self.respond(head, 400);
            return;
        };
        if self.unanswered.len() >= self.config.max_pending_nicknames {
            // The application is not keeping up: refuse rather than hold
            // without bound. 403 (RFC 4975 §10.3) is "not allowed now".
            self.respond(head, 403);
            return;
        }
        let request = RequestId(self.next_request);
        self.next_request += 1;
        self.unanswered.push(Unanswered {
            request,
            session: handle,
            head: head.clone(),
        });
        self.push_event(Event::NicknameRequest {
            session: handle,
            request,
            nickname,
        });
    }

    /// The answer to one of this side's NICKNAME requests: the peer's, or a
    /// local 408. Every request gets exactly one.
    pub(crate) fn nickname_result(
        &mut self,
        session: SessionHandle,
        request: RequestId,
        code: u16,
        comment: Option<String>,
    ) {
        self.nicknames_sent = self.nicknames_sent.saturating_sub(1);
        self.push_event(Event::NicknameResult {
            session,
            request,
            code,
            comment,
        });
    }

    /// Forgets the unanswered requests of a session that is gone (`None`:
    /// of every session); their answers can no longer be addressed.
    pub(crate) fn forget_nickname_requests(&mut self, session: Option<SessionHandle>) {
        self.unanswered
            .retain(|u| session.is_some_and(|s| s != u.session));
    }
}
