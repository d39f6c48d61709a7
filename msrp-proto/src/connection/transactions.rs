//! Requests sent and not yet answered (RFC 4975 §7.1.1–§7.1.2).
//!
//! A request whose sender wants a response waits here until it arrives or
//! its timer (30 s by default) runs out, which counts as a 408. Chunks sent
//! with `Failure-Report: partial` stay here too, without that 408: the peer
//! answers only errors, and an error may still arrive until the timer ends.

use std::collections::BTreeMap;
use std::time::Instant;

use super::event::{MessageId, RequestId, SessionHandle};
use super::fast_hash::FastMap;

/// What a pending transaction was for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TxKind {
    /// The binding SEND of an active session (RFC 4975 §5.4).
    Bind(SessionHandle),
    /// A keep-alive SEND.
    Keepalive(SessionHandle),
    /// A chunk of an outgoing message.
    Chunk {
        session: SessionHandle,
        message: MessageId,
    },
    /// A raw chunk from `send_chunk`.
    Raw(RequestId),
    /// A relay AUTH (RFC 4976).
    Auth,
}

#[derive(Debug)]
struct Pending {
    kind: TxKind,
    /// Whether a 200 is expected; if not, only errors can arrive and the
    /// end of the timer is not a failure.
    expects_ok: bool,
    /// Ordering key in `deadlines`, once the request is completely sent.
    deadline: Option<(Instant, u64)>,
}

/// A pending transaction that ended without a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Expired {
    pub(crate) kind: TxKind,
    /// Whether it timed out (408) rather than simply stopped waiting for
    /// errors (Failure-Report partial).
    pub(crate) timed_out: bool,
}

#[derive(Debug, Default)]
pub(crate) struct Transactions {
    pending: FastMap<String, Pending>,
    deadlines: BTreeMap<(Instant, u64), String>,
    seq: u64,
    /// Pending transactions that expect a 200: the sending window.
    expecting: usize,
}

impl Transactions {
    /// Registers a request as soon as its head is sent: an early error
    /// response (a 413 for a chunk still being sent) must find it.
    pub(crate) fn insert(&mut self, tid: String, kind: TxKind, expects_ok: bool) {
        if expects_ok {
            self.expecting += 1;
        }
        if let Some(old) = self.pending.insert(
            tid,
            Pending {
                kind,
                expects_ok,
                deadline: None,
            },
        ) {
            // Transaction ids are random; a repeat only replaces a stale entry.
            self.forget(&old);
        }
    }

    /// Starts the timer of a request once its last byte is sent.
    pub(crate) fn arm(&mut self, tid: &str, deadline: Instant) {
        let Some(pending) = self.pending.get_mut(tid) else {
            return;
        };
        if let Some(key) = pending.deadline.take() {
            self.deadlines.remove(&key);
        }
        self.seq += 1;
        let key = (deadline, self.seq);
        pending.deadline = Some(key);
        self.deadlines.insert(key, tid.to_owned());
    }

    /// Takes the transaction a response answers. `None` for an unknown tid
    /// (late, or never sent): such responses are ignored.
    pub(crate) fn take(&mut self, tid: &str) -> Option<TxKind> {
        let pending = self.pending.remove(tid)?;
        self.forget(&pending);
        Some(pending.kind)
    }

    fn forget(&mut self, pending: &Pending) {
        if pending.expects_ok {
            self.expecting -= 1;
        }
        if let Some(key) = pending.deadline {
            self.deadlines.remove(&key);
        }
    }

    /// Pending requests that expect a 200.
    pub(crate) fn expecting(&self) -> usize {
        self.expecting
    }

    /// All pending requests.
    pub(crate) fn len(&self) -> usize {
        self.pending.len()
    }

    /// The earliest timer.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.deadlines.keys().next().map(|&(at, _)| at)
    }

    /// Removes and returns one transaction whose timer has run out by `now`.
    pub(crate) fn expire_one(&mut self, now: Instant) -> Option<Expired> {
        let (&key, _) = self
            .deadlines
            .iter()
            .next()
            .filter(|((at, _), _)| *at <= now)?;
        let tid = self.deadlines.remove(&key)?;
        let pending = self.pending.remove(&tid)?;
        if pending.expects_ok {
            self.expecting -= 1;
        }
        Some(Expired {
            kind: pending.kind,
            timed_out: pending.expects_ok,
        })
    }

    /// Removes every transaction, for a closing connection.
    pub(crate) fn drain(&mut self) -> impl Iterator<Item = TxKind> + '_ {
        self.deadlines.clear();
        self.expecting = 0;
        self.pending.drain().map(|(_, p)| p.kind)
    }

    /// Forgets the transactions of a session that is gone.
    pub(crate) fn forget_session(&mut self, session: SessionHandle) {
        let gone: Vec<String> = self
            .pending
            .iter()
            .filter(|(_, p)| match &p.kind {
                TxKind::Bind(s) | TxKind::Keepalive(s) | TxKind::Chunk { session: s, .. } => {
                    *s == session
                }
                TxKind::Raw(_) | TxKind::Auth => false,
            })
            .map(|(tid, _)| tid.clone())
            .collect();
        for tid in gone {
            self.take(&tid);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[allow(clippy::disallowed_methods)] // tests take one real instant as the epoch
    fn epoch() -> Instant {
        Instant::now()
    }

    #[test]
    fn a_response_removes_its_transaction_and_timer() {
        let t0 = epoch();
        let mut tx = Transactions::default();
        tx.insert("aaaa1111".into(), TxKind::Auth, true);
        tx.arm("aaaa1111", t0 + Duration::from_secs(30));
        assert_eq!(tx.expecting(), 1);
        assert_eq!(tx.next_deadline(), Some(t0 + Duration::from_secs(30)));
        assert_eq!(tx.take("aaaa1111"), Some(TxKind::Auth));
        assert_eq!(tx.take("aaaa1111"), None);
        assert_eq!((tx.expecting(), tx.len(), tx.next_deadline()), (0, 0, None));
    }

    #[test]
    fn timers_expire_in_order_and_only_when_due() {
        let t0 = epoch();
        let mut tx = Transactions::default();
        tx.insert("late0001".into(), TxKind::Raw(RequestId(1)), true);
        tx.insert("early001".into(), TxKind::Raw(RequestId(2)), false);
        tx.insert("unarmed1".into(), TxKind::Raw(RequestId(3)), true);
        tx.arm("late0001", t0 + Duration::from_secs(20));
        tx.arm("early001", t0 + Duration::from_secs(10));
        assert_eq!(tx.expire_one(t0 + Duration::from_secs(9)), None);
        assert_eq!(
            tx.expire_one(t0 + Duration::from_secs(25)),
            Some(Expired {
                kind: TxKind::Raw(RequestId(2)),
                timed_out: false
            })
        );
        assert_eq!(
            tx.expire_one(t0 + Duration::from_secs(25)),
            Some(Expired {
                kind: TxKind::Raw(RequestId(1)),
                timed_out: true
            })
        );
        assert_eq!(tx.expire_one(t0 + Duration::from_secs(99)), None);
        // A request still being sent has no timer yet.
        assert_eq!(tx.len(), 1);
        assert_eq!(tx.expecting(), 1);
    }

    #[test]
    fn rearming_moves_the_timer() {
        let t0 = epoch();
        let mut tx = Transactions::default();
        tx.insert("abcd1234".into(), TxKind::Auth, true);
        tx.arm("abcd1234", t0 + Duration::from_secs(5));
        tx.arm("abcd1234", t0 + Duration::from_secs(50));
        assert_eq!(tx.next_deadline(), Some(t0 + Duration::from_secs(50)));
        assert_eq!(tx.expire_one(t0 + Duration::from_secs(10)), None);
    }
}
