//! Relay authentication as the connection runs it: the glue between
//! [`AuthClient`](super::auth::AuthClient) and the connection's transactions,
//! output and events.

use std::time::Instant;

use crate::wire::ChunkHead;

use super::auth::{AuthClient, AuthConfig, AuthStep};
use super::event::Event;
use super::transactions::{TxId, TxKind};
use super::{CloseReason, CommandError, Connection};

impl Connection {
    /// Authenticates to a relay (RFC 4976 §5): sends AUTH, answers the
    /// digest challenge, and reports [`Event::Authenticated`] with the
    /// granted Use-Path — which then heads this side's path, see
    /// [`relay_path`](Self::relay_path) — or [`Event::AuthFailed`]. The
    /// path is renewed before it expires.
    pub fn authenticate(&mut self, config: AuthConfig) -> Result<(), CommandError> {
        if self.closing() {
            return Err(CommandError::Closed);
        }
        if self.auth.as_ref().is_some_and(AuthClient::busy) {
            return Err(CommandError::AuthInProgress);
        }
        let mut client = AuthClient::new(
            config,
            self.config.max_auth_attempts,
            self.config.auth_refresh_ratio,
        );
        let step = client.start(self.now, &mut self.ids);
        self.auth = Some(client);
        self.apply_auth_step(step);
        Ok(())
    }

    pub(crate) fn on_auth_response(&mut self, head: &ChunkHead, now: Instant) {
        let Some(client) = self.auth.as_mut() else {
            return;
        };
        let step = client.on_response(head, now, &mut self.ids);
        self.apply_auth_step(step);
    }

    pub(crate) fn on_auth_timeout(&mut self, now: Instant) {
        let Some(client) = self.auth.as_mut() else {
            return;
        };
        let step = client.on_timeout(now);
        self.apply_auth_step(step);
    }

    /// Renews the relay path when its time comes.
    pub(crate) fn auth_timer(&mut self, now: Instant) {
        let due = self
            .auth
            .as_ref()
            .and_then(AuthClient::deadline)
            .is_some_and(|at| at <= now);
        if let (true, Some(client)) = (due, self.auth.as_mut()) {
            let step = client.on_deadline(now, &mut self.ids);
            self.apply_auth_step(step);
        }
    }

    fn apply_auth_step(&mut self, step: AuthStep) {
        match step {
            AuthStep::Send { tid, bytes } => {
                self.push_control(bytes);
                if let Some(tid) = TxId::new(tid.as_bytes()) {
                    self.transactions.insert(tid, TxKind::Auth, true);
                    let deadline = self.now + self.config.transaction_timeout;
                    self.transactions.arm(tid, deadline);
                }
            }
            AuthStep::Authenticated { use_path, expires } => {
                self.relay_path = Some(use_path.clone());
                self.push_event(Event::Authenticated { use_path, expires });
            }
            AuthStep::Failed { code, comment } => {
                self.auth = None;
                let renewal = self.relay_path.take().is_some();
                self.push_event(Event::AuthFailed {
                    code,
                    comment: comment.clone(),
                });
                if renewal {
                    // A failed renewal leaves no usable path behind: the
                    // sessions through it cannot go on.
                    self.close_with(CloseReason::AuthRenewalFailed { code, comment });
                }
            }
            AuthStep::Wait => {}
        }
    }
}
