//! A session's incoming items, from its connection's driver to the
//! application: a bounded queue that wakes its reader once per batch.
//!
//! A channel that wakes its reader on every item (as `futures` mpsc does)
//! cost one cross-thread wake-up per body piece when the reader was faster
//! than the connection, as a reader that only stores or sums the bytes is:
//! on async-io executors (async-std, smol) each such wake-up is a system
//! call and a task hand-over to the other thread. The driver pushes what
//! one round of reading brought and then calls [`InboxSender::flush`]: one
//! wake-up for up to a few hundred KiB.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_core::Stream;
use futures_util::task::AtomicWaker;

use crate::session::Incoming;

struct Shared {
    state: Mutex<State>,
    /// The application's task, woken by `flush` and when the sender goes.
    reader: AtomicWaker,
    /// The driver's task, woken when a full queue gets room.
    writer: AtomicWaker,
}

struct State {
    items: VecDeque<Incoming>,
    capacity: usize,
    /// Body bytes in `items`, and their bound.
    bytes: usize,
    max_bytes: usize,
    /// Items were pushed since the last `flush`.
    unflushed: bool,
    sender_gone: bool,
    receiver_gone: bool,
}

impl State {
    fn full(&self) -> bool {
        self.items.len() >= self.capacity
            || (self.bytes >= self.max_bytes && !self.items.is_empty())
    }
}

/// The body bytes an item holds: what the bound in bytes counts. Kept small,
/// the bound keeps what the reader is handed still in the CPU's caches, and
/// keeps few read blocks referenced, so the connection can reuse them.
fn weight(item: &Incoming) -> usize {
    match item {
        Incoming::Data { data, .. } => data.len(),
        Incoming::Message(message) => message.body.len(),
        Incoming::Chunk(chunk) => chunk.body().map_or(0, Bytes::len),
        _ => 0,
    }
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the queue torn: every
        // change under it is a single push, pop or flag.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A queue of at most `capacity` items (at least one) that stops taking
/// more once it holds `max_bytes` of body bytes (one item always fits).
pub(crate) fn inbox(capacity: usize, max_bytes: usize) -> (InboxSender, Inbox) {
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            items: VecDeque::new(),
            capacity: capacity.max(1),
            bytes: 0,
            max_bytes,
            unflushed: false,
            sender_gone: false,
            receiver_gone: false,
        }),
        reader: AtomicWaker::new(),
        writer: AtomicWaker::new(),
    });
    (
        InboxSender {
            shared: shared.clone(),
        },
        Inbox { shared },
    )
}

/// The application dropped its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ReceiverGone;

/// The driver's end.
pub(crate) struct InboxSender {
    shared: Arc<Shared>,
}

impl InboxSender {
    /// Ready when one more item fits; pending (with a wake-up registered
    /// for when the reader makes room) when the queue is full.
    pub(crate) fn poll_ready(&self, cx: &mut Context<'_>) -> Poll<Result<(), ReceiverGone>> {
        let room = |state: &State| {
            if state.receiver_gone {
                Some(Err(ReceiverGone))
            } else if !state.full() {
                Some(Ok(()))
            } else {
                None
            }
        };
        if let Some(ready) = room(&self.shared.state()) {
            return Poll::Ready(ready);
        }
        self.shared.writer.register(cx.waker());
        // Again, now that a pop from here on wakes us.
        room(&self.shared.state()).map_or(Poll::Pending, Poll::Ready)
    }

    /// Queues an item after `poll_ready` said it fits. The reader is not
    /// woken until [`flush`](Self::flush).
    pub(crate) fn push(&self, item: Incoming) {
        let mut state = self.shared.state();
        state.bytes += weight(&item);
        state.items.push_back(item);
        state.unflushed = true;
    }

    /// Wakes the reader if anything was pushed since the last flush.
    pub(crate) fn flush(&self) {
        let pushed = std::mem::take(&mut self.shared.state().unflushed);
        if pushed {
            self.shared.reader.wake();
        }
    }
}

impl Drop for InboxSender {
    fn drop(&mut self) {
        self.shared.state().sender_gone = true;
        self.shared.reader.wake();
    }
}

/// The application's end: the items in order, then `None` once the driver
/// let go of the session and everything queued was taken.
pub(crate) struct Inbox {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Inbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inbox").finish_non_exhaustive()
    }
}

impl Inbox {
    /// The next item if one is flushed or the end if the sender is gone;
    /// `None` if the reader must wait.
    fn take(&self) -> Option<Option<Incoming>> {
        let mut state = self.shared.state();
        // Items pushed but not yet flushed are taken too: the flush that
        // follows costs only a wake-up that finds nothing.
        let was_full = state.full();
        match state.items.pop_front() {
            Some(item) => {
                state.bytes -= weight(&item);
                drop(state);
                if was_full {
                    self.shared.writer.wake();
                }
                Some(Some(item))
            }
            None if state.sender_gone => Some(None),
            None => {
                // The reader waits: a session with a message at a time
                // keeps no queue (0.5 KiB on each session of a server).
                msrp_proto::spare::release_drained_queue(&mut state.items);
                None
            }
        }
    }
}

impl Stream for Inbox {
    type Item = Incoming;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Incoming>> {
        if let Some(next) = self.take() {
            return Poll::Ready(next);
        }
        self.shared.reader.register(cx.waker());
        // Again, now that a flush from here on wakes us.
        self.take().map_or(Poll::Pending, Poll::Ready)
    }
}

impl Drop for Inbox {
    fn drop(&mut self) {
        let mut state = self.shared.state();
        state.receiver_gone = true;
        // What was queued goes with the reader (bodies can be large).
        state.items.clear();
        state.bytes = 0;
        drop(state);
        self.shared.writer.wake();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::{Wake, Waker};

    use msrp_proto::connection::MessageId;
    use msrp_proto::ident::IdGenerator;

    use super::*;

    #[derive(Default)]
    struct CountingWaker(AtomicUsize);

    impl Wake for CountingWaker {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn counter() -> (Arc<CountingWaker>, Waker) {
        let count = Arc::new(CountingWaker::default());
        (count.clone(), Waker::from(count))
    }

    fn data(offset: u64) -> Incoming {
        sized(offset, 1)
    }

    fn sized(offset: u64, len: usize) -> Incoming {
        Incoming::Data {
            message: MessageId::random(&mut IdGenerator::from_seed([1; 32])),
            offset,
            data: Bytes::from(vec![b'x'; len]),
        }
    }

    fn offset(item: Poll<Option<Incoming>>) -> Option<u64> {
        match item {
            Poll::Ready(Some(Incoming::Data { offset, .. })) => Some(offset),
            _ => None,
        }
    }

    #[test]
    fn the_reader_is_woken_once_per_flush_not_per_item() {
        let (tx, mut rx) = inbox(8, usize::MAX);
        let (woken, waker) = counter();
        let mut cx = Context::from_waker(&waker);
        assert!(Pin::new(&mut rx).poll_next(&mut cx).is_pending());
        for i in 0..5 {
            assert_eq!(tx.poll_ready(&mut cx), Poll::Ready(Ok(())));
            tx.push(data(i));
        }
        assert_eq!(woken.0.load(Ordering::SeqCst), 0);
        tx.flush();
        assert_eq!(woken.0.load(Ordering::SeqCst), 1);
        for i in 0..5 {
            assert_eq!(offset(Pin::new(&mut rx).poll_next(&mut cx)), Some(i));
        }
        assert!(Pin::new(&mut rx).poll_next(&mut cx).is_pending());
        // Nothing pushed since: a flush wakes nobody.
        tx.flush();
        assert_eq!(woken.0.load(Ordering::SeqCst), 1);
    }

    /// A reader that has taken everything and waits leaves no queue
    /// memory behind; the next items come as before.
    #[test]
    fn a_waiting_reader_keeps_no_queue() {
        let (tx, mut rx) = inbox(8, usize::MAX);
        let (_, waker) = counter();
        let mut cx = Context::from_waker(&waker);
        for i in 0..3 {
            tx.push(data(i));
        }
        tx.flush();
        for i in 0..3 {
            assert_eq!(offset(Pin::new(&mut rx).poll_next(&mut cx)), Some(i));
        }
        assert!(tx.shared.state().items.capacity() > 0);
        assert!(Pin::new(&mut rx).poll_next(&mut cx).is_pending());
        assert_eq!(tx.shared.state().items.capacity(), 0);
        tx.push(data(3));
        tx.flush();
        assert_eq!(offset(Pin::new(&mut rx).poll_next(&mut cx)), Some(3));
        // A queue that grew past its first allocation is kept.
        for i in 4..10 {
            tx.push(data(i));
        }
        tx.flush();
        for i in 4..10 {
            assert_eq!(offset(Pin::new(&mut rx).poll_next(&mut cx)), Some(i));
        }
        assert!(Pin::new(&mut rx).poll_next(&mut cx).is_pending());
        assert!(tx.shared.state().items.capacity() > msrp_proto::spare::FIRST_QUEUE_ALLOCATION);
    }

    #[test]
    fn a_full_queue_holds_the_sender_until_the_reader_takes_one() {
        let (tx, mut rx) = inbox(2, usize::MAX);
        let (sender_woken, sender_waker) = counter();
        let mut sender_cx = Context::from_waker(&sender_waker);
        tx.push(data(0));
        tx.push(data(1));
        assert!(tx.poll_ready(&mut sender_cx).is_pending());
        let (_, reader_waker) = counter();
        let mut reader_cx = Context::from_waker(&reader_waker);
        assert_eq!(offset(Pin::new(&mut rx).poll_next(&mut reader_cx)), Some(0));
        assert_eq!(sender_woken.0.load(Ordering::SeqCst), 1);
        assert_eq!(tx.poll_ready(&mut sender_cx), Poll::Ready(Ok(())));
    }

    #[test]
    fn body_bytes_over_the_bound_hold_the_sender_but_one_item_always_fits() {
        let (tx, mut rx) = inbox(64, 1000);
        let (woken, waker) = counter();
        let mut cx = Context::from_waker(&waker);
        // Alone, an item larger than the bound goes.
        assert_eq!(tx.poll_ready(&mut cx), Poll::Ready(Ok(())));
        tx.push(sized(0, 5000));
        assert!(tx.poll_ready(&mut cx).is_pending());
        assert_eq!(offset(Pin::new(&mut rx).poll_next(&mut cx)), Some(0));
        assert_eq!(woken.0.load(Ordering::SeqCst), 1);
        // Below the bound, more go; at it, no more.
        tx.push(sized(1, 600));
        assert_eq!(tx.poll_ready(&mut cx), Poll::Ready(Ok(())));
        tx.push(sized(2, 400));
        assert!(tx.poll_ready(&mut cx).is_pending());
        assert_eq!(offset(Pin::new(&mut rx).poll_next(&mut cx)), Some(1));
        assert_eq!(tx.poll_ready(&mut cx), Poll::Ready(Ok(())));
    }

    #[test]
    fn the_reader_gets_what_was_queued_then_the_end() {
        let (tx, mut rx) = inbox(4, usize::MAX);
        let (woken, waker) = counter();
        let mut cx = Context::from_waker(&waker);
        tx.push(data(7));
        drop(tx);
        assert_eq!(woken.0.load(Ordering::SeqCst), 0, "nobody was waiting yet");
        assert_eq!(offset(Pin::new(&mut rx).poll_next(&mut cx)), Some(7));
        assert!(matches!(
            Pin::new(&mut rx).poll_next(&mut cx),
            Poll::Ready(None)
        ));
    }

    #[test]
    fn a_waiting_reader_learns_that_the_sender_went() {
        let (tx, mut rx) = inbox(4, usize::MAX);
        let (woken, waker) = counter();
        let mut cx = Context::from_waker(&waker);
        assert!(Pin::new(&mut rx).poll_next(&mut cx).is_pending());
        drop(tx);
        assert_eq!(woken.0.load(Ordering::SeqCst), 1);
        assert!(matches!(
            Pin::new(&mut rx).poll_next(&mut cx),
            Poll::Ready(None)
        ));
    }

    #[test]
    fn the_sender_learns_that_the_reader_went() {
        let (tx, rx) = inbox(1, usize::MAX);
        let (woken, waker) = counter();
        let mut cx = Context::from_waker(&waker);
        tx.push(data(0));
        assert!(tx.poll_ready(&mut cx).is_pending());
        drop(rx);
        assert_eq!(woken.0.load(Ordering::SeqCst), 1);
        assert_eq!(tx.poll_ready(&mut cx), Poll::Ready(Err(ReceiverGone)));
    }
}
