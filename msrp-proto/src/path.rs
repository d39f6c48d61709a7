//! Paths: the lists of URIs in To-Path, From-Path, Use-Path and SDP `a=path`.
//!
//! RFC 4975 §9 separates the URIs of a path with single spaces; received
//! paths are read leniently (runs of spaces or tabs, whitespace around the
//! list) so that a sloppy peer or SDP line does not fail a whole request.

use crate::uri::{MsrpUri, UriError, UriErrorKind};
use bytes::Bytes;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

/// The URI limit [`FromStr`] applies, the same as the parser's default
/// [`Limits::max_path_uris`](crate::wire::Limits::max_path_uris).
pub const DEFAULT_MAX_URIS: usize = 16;

/// A non-empty list of MSRP URIs, first hop first.
///
/// Two paths are equal when they hold the same number of URIs and each pair
/// is equal under RFC 4975 §6.1 (see [`MsrpUri`]).
///
/// ```
/// use msrp_proto::Path;
///
/// let path = Path::parse("msrp://relay.example.com:2855/r1;tcp  msrp://bob.example.com/b2;tcp", 16)?;
/// assert_eq!(path.len(), 2);
/// assert_eq!(path.first().host_str(), "relay.example.com");
/// assert_eq!(path.last().session_id(), Some("b2"));
/// assert_eq!(path.to_string(), "msrp://relay.example.com:2855/r1;tcp msrp://bob.example.com/b2;tcp");
/// # Ok::<(), msrp_proto::uri::UriError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Path {
    /// Never empty: every constructor rejects an empty list.
    // Shared: a path is immutable, and the same path travels in every head
    // and response of a session, so a clone should not allocate.
    uris: Arc<[MsrpUri]>,
}

#[allow(clippy::len_without_is_empty, reason = "a Path is never empty")]
impl Path {
    /// Parses a space-separated list of URIs (copies the text), allowing at
    /// most `max_uris` of them.
    pub fn parse(s: &str, max_uris: usize) -> Result<Self, UriError> {
        Self::from_shared(&Bytes::copy_from_slice(s.as_bytes()), max_uris)
    }

    /// Whether `other` is a clone of this path (the same shared list), not
    /// merely an equal one: a check without reading the URIs.
    pub(crate) fn same(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.uris, &other.uris)
    }

    /// Parses a path that is exactly the bytes of `raw`, without copying:
    /// each URI keeps a slice of `raw`. Error offsets count from the start of
    /// `raw`.
    pub fn from_shared(raw: &Bytes, max_uris: usize) -> Result<Self, UriError> {
        let mut uris = Vec::new();
        for word in words(raw) {
            // Checked before parsing, so an oversized path costs no more than
            // `max_uris` URIs of work.
            if uris.len() == max_uris {
                let kind = UriErrorKind::TooManyUris { limit: max_uris };
                return Err(UriError::new(kind, word.start));
            }
            let uri = MsrpUri::from_shared(raw.slice(word.clone()));
            uris.push(uri.map_err(|e| e.shifted(word.start))?);
        }
        Self::new(uris).ok_or_else(|| UriError::new(UriErrorKind::EmptyPath, 0))
    }
    /// A path of `uris`, or `None` if the list is empty.
    pub fn new(uris: Vec<MsrpUri>) -> Option<Self> {
        (!uris.is_empty()).then(|| Self { uris: uris.into() })
    }
    /// The URIs, first hop first.
    pub fn uris(&self) -> &[MsrpUri] {
        &self.uris
    }
    /// The first hop: where a request goes next.
    pub fn first(&self) -> &MsrpUri {
        // In bounds: a Path is never empty.
        &self.uris[0]
    }
    /// The last URI: the final destination (To-Path) or the sender
    /// (From-Path).
    pub fn last(&self) -> &MsrpUri {
        // In bounds: a Path is never empty.
        &self.uris[self.uris.len() - 1]
    }
    /// The number of URIs, at least 1.
    pub fn len(&self) -> usize {
        self.uris.len()
    }
    /// Iterates over the URIs, first hop first.
    pub fn iter(&self) -> std::slice::Iter<'_, MsrpUri> {
        self.uris.iter()
    }
    /// The URIs, first hop first.
    pub fn into_vec(self) -> Vec<MsrpUri> {
        self.uris.to_vec()
    }
}

/// Byte ranges of the runs of non-whitespace in `raw`.
fn words(raw: &[u8]) -> impl Iterator<Item = std::ops::Range<usize>> {
    let is_space = |c: &u8| matches!(c, b' ' | b'\t');
    let mut pos = 0;
    std::iter::from_fn(move || {
        let rest = raw.get(pos..)?;
        let start = pos + rest.iter().position(|c| !is_space(c))?;
        let len = raw.get(start..)?.iter().position(is_space);
        let end = len.map_or(raw.len(), |len| start + len);
        pos = end;
        Some(start..end)
    })
}

impl From<MsrpUri> for Path {
    /// A single-hop path.
    fn from(uri: MsrpUri) -> Self {
        Self {
            uris: Arc::from([uri]),
        }
    }
}

impl FromStr for Path {
    type Err = UriError;
    /// Parses with at most [`DEFAULT_MAX_URIS`] URIs.
    fn from_str(s: &str) -> Result<Self, UriError> {
        Self::parse(s, DEFAULT_MAX_URIS)
    }
}

impl<'a> IntoIterator for &'a Path {
    type Item = &'a MsrpUri;
    type IntoIter = std::slice::Iter<'a, MsrpUri>;
    fn into_iter(self) -> Self::IntoIter {
        self.uris.iter()
    }
}

impl IntoIterator for Path {
    type Item = MsrpUri;
    type IntoIter = std::vec::IntoIter<MsrpUri>;
    fn into_iter(self) -> Self::IntoIter {
        self.into_vec().into_iter()
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, uri) in self.uris.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            fmt::Display::fmt(uri, f)?;
        }
        Ok(())
    }
}

impl fmt::Debug for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.uris.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "msrp://a.example.com:2855/x1;tcp";
    const B: &str = "msrps://relay.example.net;tcp";
    const C: &str = "msrp://[::1]:9/c/+=;ws";

    fn path(s: &str) -> Path {
        s.parse()
            .unwrap_or_else(|e: UriError| panic!("{s}: {e} at {}", e.offset()))
    }

    #[test]
    fn separators_and_surrounding_whitespace_are_tolerated() {
        let expected = [A, B, C].map(|s| MsrpUri::parse(s).unwrap());
        for text in [
            format!("{A} {B} {C}"),
            format!("  {A}\t{B}  \t {C} \t"),
            format!("{A}   {B}\t\t{C}"),
        ] {
            let p = path(&text);
            assert_eq!(p.uris(), expected, "{text:?}");
            assert_eq!(p.to_string(), format!("{A} {B} {C}"));
        }
    }

    #[test]
    fn single_space_paths_round_trip_exactly() {
        for text in [A.to_owned(), format!("{A} {B}"), format!("{C} {B} {A}")] {
            assert_eq!(path(&text).to_string(), text);
        }
    }

    #[test]
    fn empty_paths_are_refused() {
        for text in ["", " ", "\t \t"] {
            let err = Path::parse(text, 16).unwrap_err();
            assert_eq!(err.kind(), &UriErrorKind::EmptyPath, "{text:?}");
        }
        assert_eq!(Path::new(Vec::new()), None);
    }

    #[test]
    fn too_many_uris_fail_before_parsing_the_rest() {
        // URIs beyond the limit are malformed: reaching them would report a
        // URI error instead of the limit.
        let text = format!("{}{}", format!("{A} ").repeat(16), "bogus ".repeat(984));
        let err = Path::parse(&text, 16).unwrap_err();
        assert_eq!(err.kind(), &UriErrorKind::TooManyUris { limit: 16 });
        assert_eq!(err.offset(), 16 * (A.len() + 1));
        assert_eq!(path(&format!("{A} ").repeat(16)).len(), 16);
        let err = Path::parse(A, 0).unwrap_err();
        assert_eq!(err.kind(), &UriErrorKind::TooManyUris { limit: 0 });
    }

    #[test]
    fn uri_errors_point_into_the_path_text() {
        let text = format!(" {A}  msrp://h:99999/s;tcp");
        let err = Path::parse(&text, 16).unwrap_err();
        assert_eq!(err.kind(), &UriErrorKind::PortRange);
        assert_eq!(err.offset(), 1 + A.len() + 2 + "msrp://h:".len());
        assert_eq!(text.get(err.offset()..err.offset() + 5), Some("99999"));
    }

    #[test]
    fn from_shared_slices_without_copying() {
        let raw = Bytes::from(format!("{A} {B}"));
        let p = Path::from_shared(&raw, 16).unwrap();
        assert_eq!(p.first().as_str().as_ptr(), raw.as_ptr());
        assert_eq!(p.last().as_str().as_ptr(), raw[A.len() + 1..].as_ptr());
    }

    #[test]
    fn accessors_and_conversions() {
        let p = path(&format!("{A} {B} {C}"));
        assert_eq!((p.first().as_str(), p.last().as_str(), p.len()), (A, C, 3));
        let by_ref: Vec<&str> = (&p).into_iter().map(MsrpUri::as_str).collect();
        assert_eq!(by_ref, [A, B, C]);
        assert!(p.iter().map(MsrpUri::as_str).eq([A, B, C]));
        assert_eq!(p.clone().into_vec(), p.uris());
        assert_eq!(p.clone().into_iter().count(), 3);
        let single = Path::from(MsrpUri::parse(B).unwrap());
        assert_eq!(
            (single.len(), single.first(), single.last()),
            (1, &p.uris()[1], &p.uris()[1])
        );
        assert_eq!(Path::new(p.clone().into_vec()), Some(p.clone()));
        assert_eq!(format!("{single:?}"), format!("[MsrpUri({B})]"));
    }

    #[test]
    fn equality_is_element_wise_uri_equality() {
        // Equal URIs written differently (RFC 4975 §6.1) make equal paths.
        let upper = path("MSRP://A.EXAMPLE.COM:2855/x1;TCP msrps://bob@relay.example.net;tcp");
        assert_eq!(upper, path(&format!("{A} {B}")));
        // Order and length matter.
        assert_ne!(path(&format!("{B} {A}")), path(&format!("{A} {B}")));
        assert_ne!(path(A), path(&format!("{A} {A}")));
    }
}
