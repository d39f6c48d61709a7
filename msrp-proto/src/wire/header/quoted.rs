//! Tokens and quoted strings (RFC 4975 §9 `token`, `quoted-string`).
//!
//! STUB: the public signatures below are fixed; the bodies are to be written.

use crate::wire::HeaderError;
use std::borrow::Cow;

/// Whether `b` is a `token` character.
pub(crate) fn is_token_char(b: u8) -> bool {
    let _ = b;
    todo!()
}

/// Parses a whole value that must be exactly one quoted string, returning
/// its unescaped content.
pub(crate) fn parse_quoted_string(value: &str) -> Result<Cow<'_, str>, HeaderError> {
    let _ = value;
    todo!()
}
