//! The relay's timers: one heap of deadlines for every connection, pending
//! transaction and relay URI, so that [`poll_timeout`](super::Relay::poll_timeout)
//! is a look at the top.
//!
//! Entries are never removed early: a deadline that moves later, or whose
//! owner went away, stays in the heap, and its owner checks what is really
//! due when it fires. That keeps arming a timer O(log n) and cancelling
//! free; a stale entry costs at most one early wake-up.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Instant;

use super::conn::ConnId;

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
