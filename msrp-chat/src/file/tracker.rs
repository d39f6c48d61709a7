//! [`ReceiveTracker`]: what a receiver has of a file, and its SHA-1 over
//! the contiguous prefix, whatever order the pieces come in.

use std::ops::Range;

use sha1::{Digest, Sha1};

/// The most separate runs of received bytes a tracker keeps: a peer that
/// scatters tiny pieces over a huge file cannot make it grow without bound.
pub const MAX_RUNS: usize = 4096;

/// Why a piece or the end of a file is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReceiveError {
    /// A piece reaches past the file's announced size.
    #[error("bytes {start}-{end} lie outside the file's {size} bytes")]
    OutOfBounds {
        /// Its first byte, 1-based.
        start: u64,
        /// Its last byte, 1-based.
        end: u64,
        /// The file's size.
        size: u64,
    },
    /// Too many separate runs of bytes (see [`MAX_RUNS`]).
    #[error("the file arrived in more than {MAX_RUNS} separate runs of bytes")]
    TooFragmented,
    /// Bytes read back from disk for hashing are not the ones asked for.
    #[error(
        "bytes read back for hashing at {offset} do not continue the hashed prefix at {hashed}"
    )]
    ReadBackOutOfOrder {
        /// Where they were said to start (0-based).
        offset: u64,
        /// Where the hashed prefix ends.
        hashed: u64,
    },
    /// The file ended with bytes missing.
    #[error("the file is incomplete: {have} of its {size} bytes are here, in order")]
    Incomplete {
        /// The contiguous prefix that arrived.
        have: u64,
        /// The file's size.
        size: u64,
    },
    /// The file's SHA-1 is not the selector's: the file is not the one
    /// offered, or it was damaged on the way.
    #[error(
        "SHA-1 mismatch: the offer announced {} but the bytes received hash to {}",
        super::sha1_hex(expected),
        super::sha1_hex(actual)
    )]
    HashMismatch {
        /// The selector's digest.
        expected: [u8; 20],
        /// The received bytes' digest.
        actual: [u8; 20],
    },
}

/// How a complete file was checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    /// Its SHA-1 equals the selector's.
    Verified([u8; 20]),
    /// The selector had no `hash:sha-1` (sipsimple's peers always send one,
    /// RFC 5547 makes it optional): the digest of what arrived, unchecked.
    Unverified([u8; 20]),
}

impl Verification {
    /// The file's SHA-1.
    pub fn sha1(&self) -> [u8; 20] {
        match self {
            Self::Verified(d) | Self::Unverified(d) => *d,
        }
    }

    /// Whether it was checked against the selector.
    pub fn is_verified(&self) -> bool {
        matches!(self, Self::Verified(_))
    }
}

/// The receiving side of a file, sans-IO: which bytes are on disk and the
/// SHA-1 of the contiguous prefix.
///
/// The I/O layer writes every piece at its offset (so out-of-order and
/// re-sent pieces land in place), then tells the tracker with
/// [`piece`](Self::piece), which hashes what continues the prefix straight
/// from memory. When a piece fills a gap, the bytes after it are on disk
/// but not hashed: [`read_back`](Self::read_back) names the next range to
/// read from the file and feed to [`hash_read_back`](Self::hash_read_back),
/// a bounded block at a time. Memory stays bounded: one block, and at most
/// [`MAX_RUNS`] runs.
///
/// ```
/// use msrp_chat::file::{ReceiveTracker, sha1_of};
///
/// let file = b"0123456789abcdefghij";
/// let mut disk = vec![0u8; file.len()];
/// let mut tracker = ReceiveTracker::new(20, Some(sha1_of(file)));
/// for (offset, piece) in [(10u64, &file[10..]), (0, &file[..12])] {
///     disk[offset as usize..offset as usize + piece.len()].copy_from_slice(piece);
///     tracker.piece(offset, piece)?;
///     while let Some(range) = tracker.read_back(4) {
///         let bytes = &disk[range.start as usize..range.end as usize];
///         tracker.hash_read_back(range.start, bytes)?;
///     }
/// }
/// assert!(tracker.finish()?.is_verified());
/// # Ok::<(), msrp_chat::file::ReceiveError>(())
/// ```
#[derive(Debug, Clone)]
pub struct ReceiveTracker {
    size: u64,
    expected: Option<[u8; 20]>,
    /// Disjoint, sorted, non-adjacent half-open runs of bytes on disk.
    runs: Vec<Range<u64>>,
    hasher: Sha1,
    /// Bytes `0..hashed` went into the hasher.
    hashed: u64,
}

impl ReceiveTracker {
    /// A tracker for a file of `size` bytes whose selector's SHA-1 is
    /// `expected` (none: the file is taken unverified).
    pub fn new(size: u64, expected: Option<[u8; 20]>) -> Self {
        Self {
            size,
            expected,
            runs: Vec::new(),
            hasher: Sha1::new(),
            hashed: 0,
        }
    }

    /// A tracker for a resumed transfer: bytes `0..have` are on disk already
    /// (a partial file's contiguous prefix). They are hashed by reading them
    /// back ([`read_back`](Self::read_back) names them first).
    pub fn resumed(size: u64, expected: Option<[u8; 20]>, have: u64) -> Self {
        let mut t = Self::new(size, expected);
        let have = have.min(size);
        if have > 0 {
            t.runs.push(0..have);
        }
        t
    }

    /// The file's size.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The selector's SHA-1, if it had one.
    pub fn expected(&self) -> Option<[u8; 20]> {
        self.expected
    }

    /// The bytes on disk from the start with no gap (what a resumed
    /// transfer need not send again).
    pub fn contiguous(&self) -> u64 {
        match self.runs.first() {
            Some(r) if r.start == 0 => r.end,
            _ => 0,
        }
    }

    /// The bytes on disk, gaps aside.
    pub fn received(&self) -> u64 {
        self.runs.iter().map(|r| r.end - r.start).sum()
    }

    /// How many bytes of the prefix are hashed.
    pub fn hashed(&self) -> u64 {
        self.hashed
    }

    /// Whether every byte is on disk.
    pub fn is_complete(&self) -> bool {
        self.contiguous() == self.size
    }

    /// Records `data`, already written at the 0-based `offset`, and hashes
    /// the part of it that continues the hashed prefix.
    pub fn piece(&mut self, offset: u64, data: &[u8]) -> Result<(), ReceiveError> {
        let len = data.len() as u64;
        if len == 0 {
            return Ok(());
        }
        let end = offset.checked_add(len).filter(|e| *e <= self.size).ok_or(
            ReceiveError::OutOfBounds {
                start: offset.saturating_add(1),
                end: offset.saturating_add(len),
                size: self.size,
            },
        )?;
        self.insert(offset..end)?;
        if offset <= self.hashed && end > self.hashed {
            // Whatever lies between the old and new prefix end is this
            // piece: hash it from memory. Bytes after it wait for
            // `read_back`.
            let skip = usize::try_from(self.hashed - offset).unwrap_or(usize::MAX);
            if let Some(rest) = data.get(skip..) {
                self.hasher.update(rest);
                self.hashed = end;
            }
        }
        Ok(())
    }

    /// The next range (0-based, at most `max` bytes) that is on disk, joins
    /// the prefix and is not hashed yet: read it and give it to
    /// [`hash_read_back`](Self::hash_read_back). `None` when the hash is
    /// level with the contiguous prefix.
    pub fn read_back(&self, max: usize) -> Option<Range<u64>> {
        let contiguous = self.contiguous();
        if self.hashed >= contiguous || max == 0 {
            return None;
        }
        let end = contiguous.min(self.hashed.saturating_add(max as u64));
        Some(self.hashed..end)
    }

    /// Hashes bytes read back from disk at `offset` (which must be where the
    /// hashed prefix ends, as [`read_back`](Self::read_back) said).
    pub fn hash_read_back(&mut self, offset: u64, data: &[u8]) -> Result<(), ReceiveError> {
        if offset != self.hashed || offset + data.len() as u64 > self.contiguous() {
            return Err(ReceiveError::ReadBackOutOfOrder {
                offset,
                hashed: self.hashed,
            });
        }
        self.hasher.update(data);
        self.hashed += data.len() as u64;
        Ok(())
    }

    /// Ends the file: every byte must be here and hashed, and the SHA-1 must
    /// be the selector's when it gave one.
    pub fn finish(self) -> Result<Verification, ReceiveError> {
        if !self.is_complete() || self.hashed != self.size {
            return Err(ReceiveError::Incomplete {
                have: self.contiguous().min(self.hashed),
                size: self.size,
            });
        }
        let actual: [u8; 20] = self.hasher.finalize().into();
        match self.expected {
            Some(expected) if expected == actual => Ok(Verification::Verified(actual)),
            Some(expected) => Err(ReceiveError::HashMismatch { expected, actual }),
            None => Ok(Verification::Unverified(actual)),
        }
    }

    /// Adds a run, merging it with those it touches.
    fn insert(&mut self, new: Range<u64>) -> Result<(), ReceiveError> {
        // The first run that ends at or after the new start (touching
        // counts), and the first that starts after the new end.
        let from = self.runs.partition_point(|r| r.end < new.start);
        let to = self.runs.partition_point(|r| r.start <= new.end);
        if from == to {
            if self.runs.len() >= MAX_RUNS {
                return Err(ReceiveError::TooFragmented);
            }
            self.runs.insert(from, new);
            return Ok(());
        }
        let start = new.start.min(self.runs[from].start);
        let end = new.end.max(self.runs[to - 1].end);
        self.runs.drain(from + 1..to);
        self.runs[from] = start..end;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::sha1_of;
    use super::*;

    fn file(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i * 7 % 251) as u8).collect()
    }

    /// Writes pieces to a fake disk and drives the tracker like the I/O
    /// layer does, reading back in blocks of `block`.
    fn run(size: usize, pieces: &[(usize, usize)], block: usize) -> ReceiveTracker {
        let whole = file(size);
        let mut disk = vec![0u8; size];
        let mut t = ReceiveTracker::new(size as u64, Some(sha1_of(&whole)));
        for &(start, end) in pieces {
            disk[start..end].copy_from_slice(&whole[start..end]);
            t.piece(start as u64, &whole[start..end]).unwrap();
            while let Some(r) = t.read_back(block) {
                assert!(r.end - r.start <= block as u64);
                let (a, b) = (r.start as usize, r.end as usize);
                t.hash_read_back(r.start, &disk[a..b]).unwrap();
            }
            assert_eq!(t.hashed(), t.contiguous());
        }
        t
    }

    #[test]
    fn in_order_pieces_hash_from_memory() {
        let t = run(100, &[(0, 40), (40, 80), (80, 100)], 8);
        assert_eq!(
            t.finish().unwrap(),
            Verification::Verified(sha1_of(&file(100)))
        );
    }

    #[test]
    fn out_of_order_and_overlapping_pieces_are_placed_and_read_back() {
        let pieces = [(60, 100), (20, 50), (45, 70), (0, 10), (5, 25), (20, 30)];
        let t = run(100, &pieces, 7);
        assert_eq!(t.received(), 100);
        assert!(t.finish().unwrap().is_verified());
    }

    #[test]
    fn a_gap_leaves_the_prefix_where_it_is() {
        let t = run(100, &[(0, 10), (30, 40)], 16);
        assert_eq!((t.contiguous(), t.hashed(), t.received()), (10, 10, 20));
        assert_eq!(
            t.finish(),
            Err(ReceiveError::Incomplete {
                have: 10,
                size: 100
            })
        );
    }

    #[test]
    fn a_hash_mismatch_is_an_error_and_no_hash_is_unverified() {
        let data = file(10);
        let mut t = ReceiveTracker::new(10, Some([0; 20]));
        t.piece(0, &data).unwrap();
        assert!(matches!(
            t.finish(),
            Err(ReceiveError::HashMismatch { expected, actual }) if expected == [0; 20] && actual == sha1_of(&data)
        ));
        let mut t = ReceiveTracker::new(10, None);
        t.piece(0, &data).unwrap();
        assert_eq!(t.finish(), Ok(Verification::Unverified(sha1_of(&data))));
    }

    #[test]
    fn pieces_outside_the_file_are_refused() {
        let mut t = ReceiveTracker::new(10, None);
        assert_eq!(
            t.piece(8, b"abc"),
            Err(ReceiveError::OutOfBounds {
                start: 9,
                end: 11,
                size: 10
            })
        );
        assert!(t.piece(u64::MAX, b"a").is_err());
        assert_eq!(t.received(), 0);
    }

    #[test]
    fn a_resumed_tracker_reads_its_prefix_back_first() {
        let whole = file(50);
        let mut t = ReceiveTracker::resumed(50, Some(sha1_of(&whole)), 20);
        assert_eq!(t.read_back(100), Some(0..20));
        t.hash_read_back(0, &whole[..20]).unwrap();
        t.piece(20, &whole[20..]).unwrap();
        assert!(t.finish().unwrap().is_verified());
        // Read-back bytes must continue the prefix.
        let mut t = ReceiveTracker::resumed(50, None, 20);
        assert!(t.hash_read_back(5, &whole[5..10]).is_err());
    }

    #[test]
    fn scattered_pieces_are_bounded() {
        let mut t = ReceiveTracker::new(u64::MAX / 2, None);
        for i in 0..MAX_RUNS as u64 {
            t.piece(i * 10 + 5, b"x").unwrap();
        }
        assert_eq!(t.piece(1_000_000, b"x"), Err(ReceiveError::TooFragmented));
        // Filling a gap still works: it merges runs.
        t.piece(6, &[0u8; 9]).unwrap();
    }
}
