//! isComposing (RFC 3994).
