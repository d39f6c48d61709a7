//! Requests sent and not yet answered (RFC 4975 §7.1.1–§7.1.2).
//!
//! A request whose sender wants a response waits here until it arrives or
//! its timer (30 s by default) runs out, which counts as a 408. Chunks sent
//! with `Failure-Report: partial` stay here too, without that 408: the peer
//! answers only errors, and an error may still arrive until the timer ends.

use std::collections::VecDeque;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::time::Instant;

use crate::ident::{IDENT_MAX_LEN, IdGenerator};

use super::event::{MessageId, RequestId, SessionHandle};
use super::fast_hash::FastMap;

/// A transaction id, held inline. Every transaction id is an `ident` of at
/// most 32 characters (RFC 4975 §9), generated here or parsed, so it fits;
/// a `String` instead cost three allocations per chunk sent (the chunk's
/// own, the table's key, the timer's) in benches/connection.rs, small.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct TxId {
    len: u8,
    bytes: [u8; IDENT_MAX_LEN],
}

impl TxId {
    /// The id `tid`; `None` if it is longer than any `ident`.
    pub(crate) fn new(tid: &[u8]) -> Option<Self> {
        let mut bytes = [0; IDENT_MAX_LEN];
        bytes.get_mut(..tid.len())?.copy_from_slice(tid);
        Some(Self {
            len: tid.len() as u8,
            bytes,
        })
    }

    /// A random id of `len` alphanumerics (at most 32), after `prefix`.
    pub(crate) fn random(prefix: &[u8], len: usize, ids: &mut IdGenerator) -> Self {
        let len = len.min(IDENT_MAX_LEN);
        let prefix = &prefix[..prefix.len().min(len)];
        let mut bytes = [0; IDENT_MAX_LEN];
        bytes[..prefix.len()].copy_from_slice(prefix);
        ids.fill_alphanumeric(&mut bytes[prefix.len()..len]);
        Self {
            len: len as u8,
            bytes,
        }
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
}

impl Hash for TxId {
    /// Hashed as the `str` it stands for, so that the tables iterate in
    /// the order they did when keyed by `String`.
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write(self.as_bytes());
        state.write_u8(0xff);
    }
}

impl fmt::Debug for TxId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TxId({})", String::from_utf8_lossy(self.as_bytes()))
    }
}

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
    /// A NICKNAME request (RFC 7701 §7.1).
    Nickname {
        session: SessionHandle,
        request: RequestId,
    },
    /// A relay AUTH (RFC 4976).
    Auth,
}

/// Ordering key of a timer: its deadline, then the order of arming.
type TimerKey = (Instant, u64);

#[derive(Debug)]
struct Pending {
    kind: TxKind,
    /// Whether a 200 is expected; if not, only errors can arrive and the
    /// end of the timer is not a failure.
    expects_ok: bool,
    /// Key of its entry in `timers`, once the request is completely sent.
    deadline: Option<TimerKey>,
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
    pending: FastMap<TxId, Pending>,
    /// Timers in key order. Every timer lasts the same transaction timeout,
    /// so a new one nearly always goes at the back and responses mostly
    /// take the front: a queue, where a `BTreeMap` cost an insertion and a
    /// removal in a tree per chunk (benches/connection.rs, small). An entry
    /// whose transaction ended or was re-armed stays (stale: its key is no
    /// longer its transaction's) until it reaches the front, which is always
    /// a live entry, or until stale entries outnumber live ones.
    timers: VecDeque<(TimerKey, TxId)>,
    seq: u64,
    /// Pending transactions that expect a 200: the sending window.
    expecting: usize,
}

impl Transactions {
    /// Registers a request as soon as its head is sent: an early error
    /// response (a 413 for a chunk still being sent) must find it.
    pub(crate) fn insert(&mut self, tid: TxId, kind: TxKind, expects_ok: bool) {
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
    pub(crate) fn arm(&mut self, tid: TxId, deadline: Instant) {
        let Some(pending) = self.pending.get_mut(&tid) else {
            return;
        };
        self.seq += 1;
        let key = (deadline, self.seq);
        // A timer armed before stays behind, stale.
        let rearmed = pending.deadline.replace(key).is_some();
        if self.timers.back().is_none_or(|(last, _)| *last <= key) {
            self.timers.push_back((key, tid));
        } else {
            // An earlier deadline than the last (the clock given went back).
            let at = self.timers.partition_point(|(k, _)| *k < key);
            self.timers.insert(at, (key, tid));
        }
        if rearmed {
            self.drop_stale_front();
        }
        if self.timers.len() > 2 * self.pending.len() + 64 {
            // Stale entries behind a long-lived front: bounded by the live.
            let pending = &self.pending;
            self.timers.retain(|(key, tid)| is_live(pending, *key, tid));
        }
    }

    /// Takes the transaction a response answers. `None` for an unknown tid
    /// (late, or never sent): such responses are ignored.
    pub(crate) fn take(&mut self, tid: &[u8]) -> Option<TxKind> {
        let pending = self.pending.remove(&TxId::new(tid)?)?;
        self.forget(&pending);
        Some(pending.kind)
    }

    fn forget(&mut self, pending: &Pending) {
        if pending.expects_ok {
            self.expecting -= 1;
        }
        if let Some(key) = pending.deadline {
            if self.timers.front().is_some_and(|(front, _)| *front == key) {
                self.timers.pop_front();
                self.drop_stale_front();
            }
        }
    }

    /// Pops stale timers off the front, so that the front is the next
    /// deadline.
    fn drop_stale_front(&mut self) {
        while let Some((key, tid)) = self.timers.front() {
            if is_live(&self.pending, *key, tid) {
                break;
            }
            self.timers.pop_front();
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
        self.timers.front().map(|&((at, _), _)| at)
    }

    /// Removes and returns one transaction whose timer has run out by `now`.
    pub(crate) fn expire_one(&mut self, now: Instant) -> Option<Expired> {
        let &((at, _), tid) = self.timers.front()?;
        if at > now {
            return None;
        }
        let pending = self.pending.remove(&tid)?;
        self.forget(&pending);
        Some(Expired {
            kind: pending.kind,
            timed_out: pending.expects_ok,
        })
    }

    /// Removes every transaction, for a closing connection.
    pub(crate) fn drain(&mut self) -> impl Iterator<Item = TxKind> + '_ {
        self.timers.clear();
        self.expecting = 0;
        self.pending.drain().map(|(_, p)| p.kind)
    }

    /// Forgets the transactions of a session that is gone, returning them.
    pub(crate) fn forget_session(&mut self, session: SessionHandle) -> Vec<TxKind> {
        let gone: Vec<TxId> = self
            .pending
            .iter()
            .filter(|(_, p)| match &p.kind {
                TxKind::Bind(s)
                | TxKind::Keepalive(s)
                | TxKind::Chunk { session: s, .. }
                | TxKind::Nickname { session: s, .. } => *s == session,
                TxKind::Raw(_) | TxKind::Auth => false,
            })
            .map(|(tid, _)| *tid)
            .collect();
        gone.into_iter()
            .filter_map(|tid| self.take(tid.as_bytes()))
            .collect()
    }
}

/// Whether a timer entry is its transaction's current timer.
fn is_live(pending: &FastMap<TxId, Pending>, key: TimerKey, tid: &TxId) -> bool {
    pending.get(tid).is_some_and(|p| p.deadline == Some(key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[allow(clippy::disallowed_methods)] // tests take one real instant as the epoch
    fn epoch() -> Instant {
        Instant::now()
    }

    fn id(tid: &str) -> TxId {
        TxId::new(tid.as_bytes()).unwrap()
    }

    #[test]
    fn a_response_removes_its_transaction_and_timer() {
        let t0 = epoch();
        let mut tx = Transactions::default();
        tx.insert(id("aaaa1111"), TxKind::Auth, true);
        tx.arm(id("aaaa1111"), t0 + Duration::from_secs(30));
        assert_eq!(tx.expecting(), 1);
        assert_eq!(tx.next_deadline(), Some(t0 + Duration::from_secs(30)));
        assert_eq!(tx.take(b"aaaa1111"), Some(TxKind::Auth));
        assert_eq!(tx.take(b"aaaa1111"), None);
        assert_eq!((tx.expecting(), tx.len(), tx.next_deadline()), (0, 0, None));
    }

    #[test]
    fn timers_expire_in_order_and_only_when_due() {
        let t0 = epoch();
        let mut tx = Transactions::default();
        tx.insert(id("late0001"), TxKind::Raw(RequestId(1)), true);
        tx.insert(id("early001"), TxKind::Raw(RequestId(2)), false);
        tx.insert(id("unarmed1"), TxKind::Raw(RequestId(3)), true);
        tx.arm(id("late0001"), t0 + Duration::from_secs(20));
        tx.arm(id("early001"), t0 + Duration::from_secs(10));
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
        tx.insert(id("abcd1234"), TxKind::Auth, true);
        tx.arm(id("abcd1234"), t0 + Duration::from_secs(5));
        tx.arm(id("abcd1234"), t0 + Duration::from_secs(50));
        assert_eq!(tx.next_deadline(), Some(t0 + Duration::from_secs(50)));
        assert_eq!(tx.expire_one(t0 + Duration::from_secs(10)), None);
    }

    #[test]
    fn the_next_deadline_stays_exact_when_responses_come_out_of_order() {
        let t0 = epoch();
        let mut tx = Transactions::default();
        for (i, tid) in ["first001", "second01", "third001"].into_iter().enumerate() {
            tx.insert(id(tid), TxKind::Auth, true);
            tx.arm(id(tid), t0 + Duration::from_secs(i as u64 + 1));
        }
        assert_eq!(tx.take(b"second01"), Some(TxKind::Auth));
        assert_eq!(tx.next_deadline(), Some(t0 + Duration::from_secs(1)));
        assert_eq!(tx.take(b"first001"), Some(TxKind::Auth));
        // The stale entry of the second went with the first.
        assert_eq!(tx.next_deadline(), Some(t0 + Duration::from_secs(3)));
        assert_eq!(tx.timers.len(), 1);
    }

    #[test]
    fn an_earlier_deadline_armed_later_expires_first() {
        let t0 = epoch();
        let mut tx = Transactions::default();
        tx.insert(id("late0001"), TxKind::Raw(RequestId(1)), true);
        tx.insert(id("early001"), TxKind::Raw(RequestId(2)), true);
        tx.arm(id("late0001"), t0 + Duration::from_secs(10));
        tx.arm(id("early001"), t0 + Duration::from_secs(5));
        assert_eq!(tx.next_deadline(), Some(t0 + Duration::from_secs(5)));
        let expired = tx.expire_one(t0 + Duration::from_secs(6));
        assert_eq!(expired.map(|e| e.kind), Some(TxKind::Raw(RequestId(2))));
        assert_eq!(tx.next_deadline(), Some(t0 + Duration::from_secs(10)));
    }

    #[test]
    fn stale_timers_behind_a_long_wait_stay_bounded() {
        let t0 = epoch();
        let mut tx = Transactions::default();
        tx.insert(id("waiting1"), TxKind::Auth, true);
        tx.arm(id("waiting1"), t0 + Duration::from_secs(1));
        for i in 0..10_000u32 {
            let tid = id(&format!("tid{i:05}"));
            tx.insert(tid, TxKind::Raw(RequestId(u64::from(i))), true);
            tx.arm(tid, t0 + Duration::from_secs(2));
            assert!(tx.take(tid.as_bytes()).is_some());
            // Two live at most (the waiting one and this one).
            assert!(tx.timers.len() <= 2 * 2 + 65);
        }
        assert_eq!(tx.next_deadline(), Some(t0 + Duration::from_secs(1)));
        assert_eq!(
            tx.expire_one(t0 + Duration::from_secs(3)).map(|e| e.kind),
            Some(TxKind::Auth)
        );
        assert_eq!((tx.len(), tx.next_deadline()), (0, None));
    }
}
