//! A set of byte ranges: which parts of a message have arrived, or have been
//! confirmed by success REPORTs.
//!
//! Chunks can arrive out of order, overlap after a resend, or be cut at other
//! places by relays (RFC 4975 §7.3.1, RFC 4976 re-chunking), so both the
//! receiver (is the message complete?) and the sender (how much did the
//! REPORTs confirm?) keep the union of 1-based inclusive ranges.

/// Disjoint, sorted, non-adjacent inclusive ranges of byte positions (1-based).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct RangeSet {
    ranges: Vec<(u64, u64)>,
}

impl RangeSet {
    /// Adds `start..=end`; empty ranges (`end < start`) are ignored.
    pub(crate) fn insert(&mut self, start: u64, end: u64) {
        if end < start {
            return;
        }
        let (mut start, mut end) = (start, end);
        // Every range that overlaps or touches the new one merges into it.
        let first = self
            .ranges
            .partition_point(|&(_, e)| e.saturating_add(1) < start);
        let mut last = first;
        while let Some(&(s, e)) = self.ranges.get(last) {
            if s > end.saturating_add(1) {
                break;
            }
            start = start.min(s);
            end = end.max(e);
            last += 1;
        }
        self.ranges.splice(first..last, [(start, end)]);
    }

    /// Whether every byte of `1..=total` is in the set.
    pub(crate) fn covers(&self, total: u64) -> bool {
        total == 0 || matches!(self.ranges.first(), Some(&(1, e)) if e >= total)
    }

    /// How many bytes, counting from byte 1, are present without a gap.
    pub(crate) fn contiguous_prefix(&self) -> u64 {
        match self.ranges.first() {
            Some(&(1, e)) => e,
            _ => 0,
        }
    }

    /// Total number of bytes in the set.
    pub(crate) fn len(&self) -> u64 {
        self.ranges.iter().map(|&(s, e)| e - s + 1).sum()
    }

    /// Number of separate ranges (bounded by how fragmented input can be).
    pub(crate) fn fragments(&self) -> usize {
        self.ranges.len()
    }

    /// The ranges, in order.
    #[cfg(test)]
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.ranges.iter().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(ranges: &[(u64, u64)]) -> RangeSet {
        let mut s = RangeSet::default();
        for &(a, b) in ranges {
            s.insert(a, b);
        }
        s
    }

    #[test]
    fn merges_overlapping_and_adjacent_ranges() {
        assert_eq!(
            set(&[(1, 5), (6, 10)]).iter().collect::<Vec<_>>(),
            [(1, 10)]
        );
        assert_eq!(
            set(&[(6, 10), (1, 5)]).iter().collect::<Vec<_>>(),
            [(1, 10)]
        );
        assert_eq!(set(&[(1, 5), (3, 8)]).iter().collect::<Vec<_>>(), [(1, 8)]);
        assert_eq!(
            set(&[(1, 2), (10, 12), (5, 6)]).iter().collect::<Vec<_>>(),
            [(1, 2), (5, 6), (10, 12)]
        );
        assert_eq!(
            set(&[(1, 2), (10, 12), (2, 11)]).iter().collect::<Vec<_>>(),
            [(1, 12)]
        );
        assert_eq!(set(&[(5, 4)]).fragments(), 0);
    }

    #[test]
    fn coverage_and_prefix() {
        let s = set(&[(1, 4), (6, 10)]);
        assert!(!s.covers(10));
        assert_eq!(s.contiguous_prefix(), 4);
        assert_eq!(s.len(), 9);
        let s = set(&[(1, 4), (6, 10), (5, 5)]);
        assert!(s.covers(10));
        assert!(!s.covers(11));
        assert!(RangeSet::default().covers(0));
        assert_eq!(set(&[(2, 3)]).contiguous_prefix(), 0);
    }

    #[test]
    fn extreme_positions_do_not_overflow() {
        let s = set(&[(u64::MAX - 1, u64::MAX), (1, 1), (u64::MAX, u64::MAX)]);
        assert_eq!(s.fragments(), 2);
    }
}
