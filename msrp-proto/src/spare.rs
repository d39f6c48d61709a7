//! Spare memory that a quiet connection gives back: the allocations of its
//! queues and tables once they are empty. Each would otherwise stay on
//! every connection that ever carried a message (with 10 000 sessions, one
//! per connection, they made up 2 KiB of each; `msrp bench --sessions
//! 10000`). The protocol core and the runtimes' drivers use the same rule.
//!
//! ```
//! use std::collections::VecDeque;
//! use msrp_proto::spare::release_drained_queue;
//!
//! let mut queue = VecDeque::new();
//! queue.push_back("a message");
//! queue.pop_front();
//! release_drained_queue(&mut queue);
//! assert_eq!(queue.capacity(), 0);
//! ```

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, Hash};

/// The capacity a `VecDeque` gets from its first push (of items larger than
/// one byte): what a queue that held a message at a time has.
pub const FIRST_QUEUE_ALLOCATION: usize = 4;

/// Gives back the allocation of an empty `queue` that never grew past its
/// first one. A queue that grew serves a busy connection, which would only
/// grow it again, copying what it holds at each step: dropping it at every
/// drain cost a busy connection about 6 % of its messages per second
/// (`msrp bench --sessions 1 --window 256`). Does nothing to a queue that
/// holds items.
pub fn release_drained_queue<T>(queue: &mut VecDeque<T>) {
    if queue.is_empty() && (1..=FIRST_QUEUE_ALLOCATION).contains(&queue.capacity()) {
        *queue = VecDeque::new();
    }
}

/// Gives back the allocation of `table` if it is empty. A table emptied
/// one entry at a time is small (growing it again costs one allocation),
/// so any empty table goes.
pub fn release_empty_table<K: Eq + Hash, V, S: BuildHasher>(table: &mut HashMap<K, V, S>) {
    if table.is_empty() {
        table.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What "a queue's first allocation" means, as std has it.
    #[test]
    fn a_queue_first_makes_room_for_four() {
        let mut queue = VecDeque::new();
        queue.push_back([0u64; 4]);
        assert_eq!(queue.capacity(), FIRST_QUEUE_ALLOCATION);
    }

    #[test]
    fn a_drained_small_queue_is_given_back_and_a_grown_one_kept() {
        let mut small: VecDeque<u32> = (0..3).collect();
        release_drained_queue(&mut small);
        assert!(small.capacity() > 0, "items are still in it");
        small.clear();
        release_drained_queue(&mut small);
        assert_eq!(small.capacity(), 0);

        let mut grown: VecDeque<u32> = VecDeque::new();
        grown.extend(0..10);
        grown.clear();
        let capacity = grown.capacity();
        release_drained_queue(&mut grown);
        assert_eq!(grown.capacity(), capacity);
    }

    #[test]
    fn an_empty_table_is_given_back_and_a_full_one_kept() {
        let mut table: HashMap<u32, u32> = (0..3).map(|i| (i, i)).collect();
        table.remove(&0);
        release_empty_table(&mut table);
        assert!(table.capacity() >= 2);
        table.clear();
        release_empty_table(&mut table);
        assert_eq!(table.capacity(), 0);
    }
}
