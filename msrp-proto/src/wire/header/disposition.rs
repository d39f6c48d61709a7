//! Content-Disposition (RFC 2183), as carried by MSRP chunks.
//!
//! STUB: the public signatures below are fixed; the bodies are to be written.

use crate::wire::HeaderError;

/// A parsed Content-Disposition value, borrowing from the header value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disposition<'a> {
    raw: &'a str,
}

impl<'a> Disposition<'a> {
    /// Parses a Content-Disposition value.
    pub fn parse(value: &'a str) -> Result<Self, HeaderError> {
        let _ = value;
        todo!()
    }
}
