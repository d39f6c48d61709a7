//! Content-Type media types (RFC 4975 §9 `media-type`) and accept-types matching.
//!
//! STUB: the public signatures below are fixed; the bodies are to be written.

use crate::wire::HeaderError;

/// A parsed media type, borrowing from the header value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaType<'a> {
    raw: &'a str,
}

impl<'a> MediaType<'a> {
    /// Parses a Content-Type value.
    pub fn parse(value: &'a str) -> Result<Self, HeaderError> {
        let _ = value;
        todo!()
    }
}
