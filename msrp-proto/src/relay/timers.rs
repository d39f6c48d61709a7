//! The relay's timers: one heap of deadlines for every connection, pending
//! transaction and relay URI, so that [`poll_timeout`](super::Relay::poll_timeout)
//! is a look at the top; and what the relay does when one fires.
//!
//! Entries are never removed early: a deadline that moves later, or whose
//! owner went away, stays in the heap, and its owner checks what is really
//! due when it fires. That keeps arming a timer O(log n) and cancelling
//! free; a stale entry costs at most one early wake-up.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::{Duration, Instant};

use super::conn::{ConnId, ConnState, PendingKind};
use super::{CloseReason, RELEASE_AFTER, Relay, RelayEvent};

/// What a deadline belongs to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum TimerKey {
    /// A connection's own deadlines: probation, head, idle.
    Conn(ConnId),
    /// A forwarded transaction waiting on connection `conn`, under the
    /// transaction id it was sent with there (`serial` tells apart a later
    /// transaction that reuses an id).
    Transaction {
        conn: ConnId,
        tid: String,
        serial: u64,
    },
    /// A relay URI, by its session id.
    Grant(String),
}

/// Deadlines, earliest first.
#[derive(Debug, Default)]
pub(crate) struct Timers {
    heap: BinaryHeap<Reverse<(Instant, u64, TimerKey)>>,
    /// Breaks ties in insertion order.
    next: u64,
}

impl Timers {
    pub(crate) fn arm(&mut self, at: Instant, key: TimerKey) {
        self.next += 1;
        self.heap.push(Reverse((at, self.next, key)));
    }

    /// The earliest deadline (possibly a stale one: see the module docs).
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.heap.peek().map(|Reverse((at, _, _))| *at)
    }

    /// Takes the earliest entry due by `now`.
    pub(crate) fn pop_due(&mut self, now: Instant) -> Option<TimerKey> {
        match self.heap.peek() {
            Some(Reverse((at, _, _))) if *at <= now => self.heap.pop().map(|Reverse((_, _, k))| k),
            _ => None,
        }
    }

    /// Entries held, stale ones included.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.heap.len()
    }
}

impl Relay {
    /// The earliest of `id`'s own deadlines.
    pub(crate) fn conn_deadline(&self, id: ConnId) -> Option<Instant> {
        let c = self.conns.get(&id)?;
        let probation = (c.is_inbound() && !c.proven).then(|| c.created + self.config.probation);
        let head = self
            .config
            .head_timeout
            .zip(c.head_started)
            .map(|(d, at)| at + d);
        let idle = self
            .config
            .idle_timeout
            .filter(|_| c.grants.is_empty())
            .map(|d| c.last_input.max(c.busy_at) + d);
        let release = (!c.released).then_some(c.last_input + RELEASE_AFTER);
        [probation, head, idle, release].into_iter().flatten().min()
    }

    pub(crate) fn arm_conn_timer(&mut self, id: ConnId) {
        let Some(at) = self.conn_deadline(id) else {
            return;
        };
        let Some(c) = self.conns.get_mut(&id) else {
            return;
        };
        // Never in the past: a deadline that passed without its action
        // (see `conn_timer`) would fire again at once, for ever.
        let at = at.max(self.now + Duration::from_millis(1));
        if c.timer_at.is_none_or(|armed| at < armed) {
            c.timer_at = Some(at);
            self.timers.arm(at, TimerKey::Conn(id));
        }
    }

    pub(crate) fn conn_timer(&mut self, id: ConnId) {
        let now = self.now;
        let Some(c) = self.conns.get_mut(&id) else {
            return;
        };
        c.timer_at = None;
        if matches!(c.state, ConnState::Draining | ConnState::Closed) {
            return;
        }
        if !c.released && now >= c.last_input + RELEASE_AFTER {
            // Given back only between chunks: a peer quiet in the middle of
            // one keeps its buffer until it sends again.
            c.parser.release_idle_buffer();
            c.released = true;
        }
        if c.is_inbound() && !c.proven && now >= c.created + self.config.probation {
            // RFC 4976 §6.1: no successful request within 30 s.
            self.close_after_output(id, CloseReason::Probation);
            return;
        }
        if let (Some(limit), Some(at)) = (self.config.head_timeout, c.head_started) {
            if now >= at + limit {
                self.finish_close(id, CloseReason::HeadTimeout);
                return;
            }
        }
        if let Some(limit) = self.config.idle_timeout {
            if c.grants.is_empty() && now >= c.last_input.max(c.busy_at) + limit {
                if c.out.is_empty() && c.pending.is_empty() {
                    self.close_after_output(id, CloseReason::Idle);
                    return;
                }
                // Quiet, but traffic for it is still on its way: not idle.
                c.busy_at = now;
            }
        }
        self.arm_conn_timer(id);
    }

    pub(crate) fn transaction_timer(&mut self, id: ConnId, tid: &str, serial: u64) {
        let Some(c) = self.conns.get_mut(&id) else {
            return;
        };
        if c.pending.get(tid).is_none_or(|p| p.serial != serial) {
            return;
        }
        let Some(pending) = c.pending.remove(tid) else {
            return;
        };
        if let PendingKind::Part {
            report,
            start,
            last,
            total,
        } = pending.kind
        {
            // RFC 4976 §6.4.1: no response within 30 s of the last byte:
            // 408 to the sender — only for Failure-Report yes (with
            // `partial` the next hop answers errors only, so silence is
            // success).
            if report.failure_report == crate::wire::FailureReport::Yes {
                self.send_report(&report, (start, last, total), 408);
            }
        }
        // Room for another transaction: whoever waited for it may go on.
        self.unblock(id);
    }

    pub(crate) fn grant_timer(&mut self, token: &str) {
        let Some(grant) = self.grants.get(token) else {
            return;
        };
        if grant.expires > self.now {
            let at = grant.expires;
            self.timers.arm(at, TimerKey::Grant(token.to_owned()));
            return;
        }
        // RFC 4976 §6.3: the URI is invalid from its expiry on.
        if let Some(grant) = self.grants.remove(token) {
            if let Some(c) = self.conns.get_mut(&grant.owner) {
                c.grants.retain(|t| t != token);
            }
            self.arm_conn_timer(grant.owner);
            self.push_event(RelayEvent::GrantExpired { uri: grant.uri });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    #[allow(clippy::disallowed_methods)] // the test takes one real instant as its epoch
    fn earliest_first_and_only_when_due() {
        let t0 = Instant::now();
        let mut timers = Timers::default();
        assert_eq!(timers.next_deadline(), None);
        timers.arm(t0 + Duration::from_secs(2), TimerKey::Grant("b".into()));
        timers.arm(t0 + Duration::from_secs(1), TimerKey::Grant("a".into()));
        timers.arm(t0 + Duration::from_secs(1), TimerKey::Conn(ConnId(7)));
        assert_eq!(timers.next_deadline(), Some(t0 + Duration::from_secs(1)));
        assert_eq!(timers.pop_due(t0), None);
        let due = t0 + Duration::from_secs(1);
        assert_eq!(timers.pop_due(due), Some(TimerKey::Grant("a".into())));
        assert_eq!(timers.pop_due(due), Some(TimerKey::Conn(ConnId(7))));
        assert_eq!(timers.pop_due(due), None);
        assert_eq!(timers.len(), 1);
    }
}
