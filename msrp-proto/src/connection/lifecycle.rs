//! Ending a connection — `shutdown`, `close`, failing what is under way —
//! and the timers that end transactions and keep sessions alive.

use std::time::Instant;

use bytes::Bytes;

use super::outgoing::Stop;
use super::session::SessionState;
use super::transactions::{TxId, TxKind};
use super::{
    CloseReason, Connection, Event, Lifecycle, MessageId, Outcome, SessionHandle, respond,
};

impl Connection {
    /// Finishes what is under way — queued messages are sent and their
    /// outcomes awaited — then closes with [`CloseReason::LocallyClosed`].
    /// No new sessions or messages are taken (msrplib's `shutdown`).
    pub fn shutdown(&mut self) {
        if self.lifecycle == Lifecycle::Open {
            self.lifecycle = Lifecycle::ShuttingDown;
            self.maybe_finish_shutdown();
        }
    }

    /// Closes at once: unsent output is dropped, outgoing messages end as
    /// [`Outcome::Aborted`].
    pub fn close(&mut self) {
        if !self.is_closed() {
            self.close_with(CloseReason::LocallyClosed);
        }
    }

    pub(super) fn maybe_finish_shutdown(&mut self) {
        if self.lifecycle == Lifecycle::ShuttingDown
            && self.messages.is_empty()
            && self.control.is_empty()
            && self.current.is_none()
            && self.auth.as_ref().is_none_or(|a| !a.busy())
        {
            self.close_with(CloseReason::LocallyClosed);
        }
    }

    /// Every outgoing message fails, every incoming one is aborted, every
    /// pending request ends: the peer is gone.
    pub(super) fn fail_everything(&mut self, reason: &CloseReason) {
        let comment = reason.to_string();
        let ids: Vec<MessageId> = self.messages.keys().cloned().collect();
        for id in ids {
            if let Some(msg) = self.messages.get_mut(&id) {
                // A clean close tells no more than the silence before it
                // did; a reset may have lost bytes the peer never read.
                if *reason == CloseReason::PeerClosed && msg.sent_unconfirmable() {
                    self.finish_with(&id, Outcome::Sent);
                    continue;
                }
                if msg.stop.is_none() {
                    msg.stop = Some(if *reason == CloseReason::LocallyClosed {
                        Stop::Aborted
                    } else {
                        Stop::Failed {
                            code: 408,
                            comment: comment.clone(),
                        }
                    });
                }
            }
            self.conclude(&id);
        }
        self.current = None;
        self.ready.clear();
        self.message_timers.clear();
        let kinds: Vec<TxKind> = self.transactions.drain().collect();
        for kind in kinds {
            match kind {
                TxKind::Raw(request) => self.push_event(Event::ChunkResponse {
                    request,
                    code: 408,
                    comment: Some(comment.clone()),
                }),
                TxKind::Bind(session) => self.push_event(Event::SessionFailed {
                    session,
                    code: 408,
                    comment: comment.clone(),
                }),
                TxKind::Auth => self.push_event(Event::AuthFailed {
                    code: 408,
                    comment: comment.clone(),
                }),
                TxKind::Nickname { session, request } => {
                    self.nickname_result(session, request, 408, Some(comment.clone()));
                }
                TxKind::Chunk { .. } | TxKind::Keepalive(_) => {}
            }
        }
        // Received NICKNAMEs can no longer be answered.
        self.forget_nickname_requests(None);
        self.auth = None;
        for index in 0..self.sessions.len() {
            let ids: Vec<MessageId> = self.sessions[index].incoming.keys().cloned().collect();
            for id in ids {
                self.drop_incoming(index, &id, true);
            }
        }
    }

    pub(super) fn close_with(&mut self, reason: CloseReason) {
        if self.is_closed() {
            return;
        }
        self.fail_everything(&reason);
        self.control.clear();
        self.parked = None;
        self.lifecycle = Lifecycle::Closed;
        self.push_event(Event::Closed { reason });
    }

    pub(super) fn on_transaction_expired(&mut self, kind: TxKind, timed_out: bool, now: Instant) {
        match kind {
            TxKind::Chunk { message, .. } if timed_out => {
                // §7.1.1: no response in time counts as a 408.
                self.on_chunk_response(&message, 408, Some("no response in time"), now);
            }
            TxKind::Chunk { .. } => {}
            TxKind::Bind(session) => {
                self.fail_session(session, 408, "no response to the binding request");
            }
            TxKind::Keepalive(_) => self.close_with(CloseReason::KeepaliveTimeout),
            TxKind::Raw(request) => self.push_event(Event::ChunkResponse {
                request,
                code: 408,
                comment: Some("no response in time".into()),
            }),
            TxKind::Nickname { session, request } => {
                self.nickname_result(session, request, 408, Some("no response in time".into()));
            }
            TxKind::Auth => self.on_auth_timeout(now),
        }
    }

    pub(super) fn fail_session(&mut self, session: SessionHandle, code: u16, comment: &str) {
        let stop = Stop::Failed {
            code,
            comment: comment.to_owned(),
        };
        if self.remove_session(session, &stop).is_ok() {
            self.push_event(Event::SessionFailed {
                session,
                code,
                comment: comment.to_owned(),
            });
        }
    }

    pub(super) fn send_keepalives(&mut self, now: Instant) {
        let bound: Vec<(SessionHandle, Bytes)> = self
            .sessions
            .iter()
            .filter(|s| s.state == SessionState::Bound)
            .map(|s| (s.handle, s.request_paths.clone()))
            .collect();
        for (session, paths) in bound {
            let tid = self.ids.transaction_id();
            let message_id = self.ids.message_id();
            self.push_control(respond::bodiless_send(&tid, &paths, &message_id));
            if let Some(tid) = TxId::new(tid.as_bytes()) {
                self.transactions
                    .insert(tid, TxKind::Keepalive(session), true);
                self.transactions
                    .arm(tid, now + self.config.transaction_timeout);
            }
        }
        self.last_output = now;
    }
}
