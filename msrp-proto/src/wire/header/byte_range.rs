//! Byte-Range (RFC 4975 §7.1.1, §9).
//!
//! STUB: the public signatures below are fixed; the bodies are to be written.

use crate::wire::HeaderError;
use std::fmt;

/// `start-end/total`: the 1-based, inclusive range of the message that a chunk
/// carries. `None` stands for `*` (unknown).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ByteRange {
    /// First byte, counting from 1.
    pub start: u64,
    /// Last byte, or `None` for `*`.
    pub end: Option<u64>,
    /// Size of the whole message, or `None` for `*`.
    pub total: Option<u64>,
}

impl ByteRange {
    /// Parses a header value.
    pub fn parse(value: &str) -> Result<Self, HeaderError> {
        let _ = value;
        todo!()
    }
}

impl fmt::Display for ByteRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let _ = f;
        todo!()
    }
}
