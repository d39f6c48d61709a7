//! Accepted connections that have not bound a session yet, and the bound on
//! how many there may be.
//!
//! Acceptors and servers admit every accepted connection here. At the
//! bound, the oldest is dropped to make room for the newest. Refusing the
//! newest instead would let whoever holds the bound — silent sockets cost an
//! attacker nothing — lock every legitimate peer out until the bind timeout,
//! which `msrp listen --idle-timeout 0` sets to never. Dropping the oldest
//! turns that into a race an attacker loses: a real peer sends its binding
//! request as soon as it is connected, one round trip, and is bound long
//! before the connections opened after it could push it out.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll};

use futures_channel::oneshot;

#[derive(Debug)]
struct Waiting {
    limit: usize,
    next: u64,
    /// Oldest first: a ticket's number and the sender that evicts it.
    tickets: VecDeque<(u64, oneshot::Sender<()>)>,
}

/// The connections admitted and not bound yet. Dropping it evicts them all.
#[derive(Debug)]
pub(crate) struct Unbound {
    waiting: Arc<Mutex<Waiting>>,
}

/// A connection's place among the unbound ones: dropping it (once bound, or
/// when the connection is gone) gives the place up.
#[derive(Debug)]
pub(crate) struct Ticket {
    number: u64,
    waiting: Weak<Mutex<Waiting>>,
}

/// Resolves to `true` when the connection was evicted, `false` once its
/// [`Ticket`] is dropped.
#[derive(Debug)]
pub(crate) struct Evicted(oneshot::Receiver<()>);

impl Unbound {
    /// At most `limit` connections (at least 1) wait to bind at a time.
    pub(crate) fn new(limit: usize) -> Self {
        Self {
            waiting: Arc::new(Mutex::new(Waiting {
                limit: limit.max(1),
                next: 0,
                tickets: VecDeque::new(),
            })),
        }
    }

    /// Admits a connection, evicting the oldest one waiting if the bound is
    /// reached.
    pub(crate) fn admit(&self) -> (Ticket, Evicted) {
        let (evict, evicted) = oneshot::channel();
        let Ok(mut waiting) = self.waiting.lock() else {
            // Poisoned: nothing is tracked any more; the connection is let
            // in and lives by its own timeouts.
            return (
                Ticket {
                    number: u64::MAX,
                    waiting: Weak::new(),
                },
                Evicted(evicted),
            );
        };
        while waiting.tickets.len() >= waiting.limit {
            if let Some((_, oldest)) = waiting.tickets.pop_front() {
                let _ = oldest.send(());
            }
        }
        let number = waiting.next;
        waiting.next += 1;
        waiting.tickets.push_back((number, evict));
        let ticket = Ticket {
            number,
            waiting: Arc::downgrade(&self.waiting),
        };
        (ticket, Evicted(evicted))
    }

    /// How many connections are waiting to bind.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.waiting.lock().map_or(0, |w| w.tickets.len())
    }
}

impl Drop for Unbound {
    fn drop(&mut self) {
        if let Ok(mut waiting) = self.waiting.lock() {
            for (_, evict) in waiting.tickets.drain(..) {
                let _ = evict.send(());
            }
        }
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let Some(waiting) = self.waiting.upgrade() else {
            return;
        };
        if let Ok(mut waiting) = waiting.lock() {
            // Dropping its sender tells the connection it is not evicted.
            waiting.tickets.retain(|(number, _)| *number != self.number);
        }
    }
}

impl Future for Evicted {
    type Output = bool;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<bool> {
        Pin::new(&mut self.0).poll(cx).map(|sent| sent.is_ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::FutureExt;

    #[test]
    fn the_oldest_is_evicted_at_the_bound_and_a_dropped_ticket_frees_its_place() {
        let unbound = Unbound::new(2);
        let (first, mut first_evicted) = unbound.admit();
        let (second, mut second_evicted) = unbound.admit();
        assert_eq!(unbound.len(), 2);
        assert_eq!((&mut first_evicted).now_or_never(), None);

        let (_third, _) = unbound.admit();
        assert_eq!((&mut first_evicted).now_or_never(), Some(true));
        assert_eq!(unbound.len(), 2);
        drop(first);

        // Bound (or gone): its place is free, and it learns it was not evicted.
        drop(second);
        assert_eq!((&mut second_evicted).now_or_never(), Some(false));
        assert_eq!(unbound.len(), 1);
    }

    #[test]
    fn dropping_the_tracker_evicts_every_connection_still_waiting() {
        let unbound = Unbound::new(8);
        let (_a, mut a) = unbound.admit();
        let (_b, mut b) = unbound.admit();
        drop(unbound);
        assert_eq!((&mut a).now_or_never(), Some(true));
        assert_eq!((&mut b).now_or_never(), Some(true));
    }
}
