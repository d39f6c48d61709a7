//! Paths: the lists of URIs in To-Path, From-Path, Use-Path and SDP `a=path`.
//!
//! STUB: the public signatures below are fixed; the bodies are to be written.

use crate::uri::{MsrpUri, UriError};
use bytes::Bytes;
use std::fmt;

/// A non-empty list of MSRP URIs, first hop first.
#[derive(Clone, PartialEq, Eq)]
pub struct Path {
    uris: Vec<MsrpUri>,
}

impl Path {
    /// Parses a space-separated list of URIs (copies the text), allowing at
    /// most `max_uris` of them.
    pub fn parse(s: &str, max_uris: usize) -> Result<Self, UriError> {
        Self::from_shared(&Bytes::copy_from_slice(s.as_bytes()), max_uris)
    }
    /// Parses a path that is exactly the bytes of `raw`, without copying.
    pub fn from_shared(raw: &Bytes, max_uris: usize) -> Result<Self, UriError> {
        let _ = (raw, max_uris);
        todo!()
    }
    /// The URIs, first hop first.
    pub fn uris(&self) -> &[MsrpUri] {
        &self.uris
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
        f.debug_list().entries(&self.uris).finish()
    }
}
