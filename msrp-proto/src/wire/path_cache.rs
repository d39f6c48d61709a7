//! The paths a stream carried lately, parsed once: every chunk of a
//! connection carries the same few, and a head shares one reference to
//! its To-Path and From-Path with the heads before it.

use std::sync::Arc;

use bytes::Bytes;

use crate::path::Path;
use crate::uri::UriError;
use crate::wire::head::PathPair;
use crate::wire::head_parse::is_printable;

/// How many distinct path values a [`PathCache`] remembers: a direct
/// connection sees two (each side's URI), one through a relay a few more.
const PATH_CACHE_SIZE: usize = 4;

/// How many pairs of To-Path and From-Path a [`PathCache`] remembers: a
/// session's requests carry one, its responses the other.
const PAIR_CACHE_SIZE: usize = 4;

/// The path values (To-Path, From-Path, Use-Path) last parsed on one stream,
/// with their parsed form. Every chunk of a connection carries the same few
/// paths, and parsing their URIs was the largest cost of a chunk head
/// (benches/connection.rs); a value seen before is cloned instead. The text
/// is copied into an allocation of its own, so that the cache does not keep
/// a receive buffer alive; a cloned path equals the one parsing would give.
#[derive(Debug, Default)]
pub(crate) struct PathCache {
    entries: [Option<CachedPath>; PATH_CACHE_SIZE],
    /// The entry replaced next.
    next: usize,
    /// The pairs that heads carried lately, shared by the heads that
    /// carry them again. A pair keeps its paths alive after their entries
    /// are replaced, so a new entry is never taken for one of its paths.
    pairs: [Option<Arc<PathPair>>; PAIR_CACHE_SIZE],
    /// The pair replaced next.
    next_pair: usize,
}

/// Names an entry of a [`PathCache`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PathEntry(u8);

/// One remembered path value.
#[derive(Debug)]
struct CachedPath {
    text: Bytes,
    path: Path,
    /// Whether `text` is printable ASCII, as the values of a plain head are.
    plain: bool,
}

impl PathCache {
    /// The path that `value` holds: a clone of the remembered one, or
    /// parsed (and remembered if valid).
    pub(crate) fn parse(&mut self, value: &[u8], max_uris: usize) -> Result<Path, UriError> {
        let mut known = self.entries.iter().flatten();
        if let Some(hit) = known.find(|c| c.text[..] == *value) {
            // Parsed under the same limits, so it is still within them.
            return Ok(hit.path.clone());
        }
        let text = Bytes::copy_from_slice(value);
        let path = Path::from_shared(&text, max_uris)?;
        let plain = is_printable(&text);
        self.entries[self.next] = Some(CachedPath {
            text,
            path: path.clone(),
            plain,
        });
        self.next = (self.next + 1) % PATH_CACHE_SIZE;
        Ok(path)
    }

    /// The remembered path that `line` starts with, as a whole value: the
    /// path and the length of its text, which a CRLF follows in `line`.
    /// Only printable values, so that a hit also proves the line plain
    /// without searching it for its end.
    ///
    /// The path is named by its entry (see [`pair_of_entries`]), so that
    /// it is not cloned on its own.
    ///
    /// [`pair_of_entries`]: Self::pair_of_entries
    pub(crate) fn line_value(&self, line: &[u8]) -> Option<(PathEntry, usize)> {
        let (entry, hit) = self.entries.iter().enumerate().find_map(|(i, c)| {
            let c = c.as_ref()?;
            let len = c.text.len();
            // The CRLF first: it rules out most other entries for less.
            let hit =
                c.plain && line.get(len..len + 2) == Some(b"\r\n") && line[..len] == c.text[..];
            hit.then_some((i, c))
        })?;
        Some((PathEntry(entry as u8), hit.text.len()))
    }

    /// The path remembered in `entry`.
    pub(crate) fn entry(&self, entry: PathEntry) -> Option<&Path> {
        Some(&self.entries.get(usize::from(entry.0))?.as_ref()?.path)
    }

    /// The pair of the paths remembered in `to` and `from`, shared with
    /// the heads that carried them before: one reference taken.
    pub(crate) fn pair_of_entries(
        &mut self,
        to: PathEntry,
        from: PathEntry,
    ) -> Option<Arc<PathPair>> {
        let (to, from) = (self.entry(to)?, self.entry(from)?);
        if let Some(pair) = self.known_pair(to, from) {
            return Some(pair);
        }
        let pair = PathPair {
            to: to.clone(),
            from: from.clone(),
        };
        Some(self.remember_pair(pair))
    }

    /// The pair of `to` and `from`, shared with the heads that carried the
    /// same two clones before.
    pub(crate) fn pair(&mut self, to: Path, from: Path) -> Arc<PathPair> {
        match self.known_pair(&to, &from) {
            Some(pair) => pair,
            None => self.remember_pair(PathPair { to, from }),
        }
    }

    /// A remembered pair of clones of `to` and `from`, if any.
    fn known_pair(&self, to: &Path, from: &Path) -> Option<Arc<PathPair>> {
        let mut known = self.pairs.iter().flatten();
        known.find(|p| p.to.same(to) && p.from.same(from)).cloned()
    }

    fn remember_pair(&mut self, pair: PathPair) -> Arc<PathPair> {
        let pair = Arc::new(pair);
        self.pairs[self.next_pair] = Some(pair.clone());
        self.next_pair = (self.next_pair + 1) % PAIR_CACHE_SIZE;
        pair
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{Event, Limits, Parser};

    fn path(i: usize) -> String {
        format!("msrp://h{i}.example.com/s{i};tcp")
    }

    fn line(path: &str) -> Vec<u8> {
        format!("{path}\r\n").into_bytes()
    }

    #[test]
    fn heads_with_the_same_paths_share_one_pair() {
        let to = "msrp://b.example.com/y;tcp";
        let from = "msrp://a.example.com/x;tcp";
        // An extension header: read the general way, not by `head_fast`.
        let chunk = |tid: &str, to: &str| {
            format!(
                "MSRP {tid} SEND\r\nTo-Path: {to}\r\nFrom-Path: {from}\r\nX-Y: z\r\n-------{tid}$\r\n"
            )
        };
        let mut parser = Parser::new(Limits::default());
        let mut pairs = Vec::new();
        for (tid, to) in [("tid1", to), ("tid2", to), ("tid3", from)] {
            parser.feed(chunk(tid, to).as_bytes());
            while let Some(event) = parser.next().unwrap() {
                if let Event::Head(head) = event {
                    pairs.push(head.data().parsed.paths.clone());
                }
            }
        }
        assert!(Arc::ptr_eq(&pairs[0], &pairs[1]));
        assert!(!Arc::ptr_eq(&pairs[1], &pairs[2]));
        assert_eq!(
            (pairs[2].to.to_string(), pairs[2].from.to_string()),
            (from.into(), from.into())
        );
        // Equal paths that are not clones of the pair's make a pair of their own.
        let mut cache = PathCache::default();
        let path = |s: &str| Path::parse(s, 4).unwrap();
        let first = cache.pair(path(to), path(from));
        let again = cache.pair(first.to.clone(), first.from.clone());
        assert!(Arc::ptr_eq(&first, &again));
        assert!(!Arc::ptr_eq(&first, &cache.pair(path(to), path(from))));
    }

    /// At most [`PATH_CACHE_SIZE`] paths: one more replaces the oldest,
    /// whose line is then parsed again.
    #[test]
    fn the_cache_remembers_so_many_paths_and_replaces_the_oldest() {
        let mut cache = PathCache::default();
        for i in 0..PATH_CACHE_SIZE {
            cache.parse(path(i).as_bytes(), 4).unwrap();
        }
        for i in 0..PATH_CACHE_SIZE {
            assert!(cache.line_value(&line(&path(i))).is_some(), "path {i}");
        }
        cache.parse(path(PATH_CACHE_SIZE).as_bytes(), 4).unwrap();
        assert!(cache.line_value(&line(&path(0))).is_none());
        for i in 1..=PATH_CACHE_SIZE {
            assert!(cache.line_value(&line(&path(i))).is_some(), "path {i}");
        }
        assert_eq!(cache.entries.iter().flatten().count(), PATH_CACHE_SIZE);
    }

    /// At most [`PAIR_CACHE_SIZE`] pairs: one more replaces the oldest, and
    /// its paths get a new pair when they come again.
    #[test]
    fn the_cache_remembers_so_many_pairs_and_replaces_the_oldest() {
        let mut cache = PathCache::default();
        let to = Path::parse(&path(0), 4).unwrap();
        let froms: Vec<Path> = (1..=PAIR_CACHE_SIZE + 1)
            .map(|i| Path::parse(&path(i), 4).unwrap())
            .collect();
        let pairs: Vec<_> = froms
            .iter()
            .map(|f| cache.pair(to.clone(), f.clone()))
            .collect();
        assert_eq!(cache.pairs.iter().flatten().count(), PAIR_CACHE_SIZE);
        for (i, from) in froms.iter().enumerate().skip(1) {
            let again = cache.pair(to.clone(), from.clone());
            assert!(Arc::ptr_eq(&again, &pairs[i]), "pair {i} is remembered");
        }
        let first = cache.pair(to.clone(), froms[0].clone());
        assert!(
            !Arc::ptr_eq(&first, &pairs[0]),
            "the oldest pair was replaced"
        );
        assert_eq!(*first, *pairs[0]);
    }
}
