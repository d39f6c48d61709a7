//! HTTP Digest (RFC 2617) as RFC 4976 uses it: MD5, `qop=auth`.
//!
//! STUB: to be written.
