//! Success-Report and Failure-Report (RFC 4975 §7.1.1, §9).
//!
//! STUB: the public signatures below are fixed; the bodies are to be written.

use crate::wire::HeaderError;

/// Success-Report: whether the sender wants a REPORT on successful delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SuccessReport {
    /// `yes`.
    Yes,
    /// `no` (the default when the header is absent).
    #[default]
    No,
}

/// Failure-Report: which failures the sender wants to hear about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum FailureReport {
    /// `yes` (the default when absent): responses to every chunk, REPORTs on failure.
    #[default]
    Yes,
    /// `no`: no responses and no failure REPORTs.
    No,
    /// `partial`: only error responses and failure REPORTs, no 200.
    Partial,
}

impl SuccessReport {
    /// Parses a header value.
    pub fn parse(value: &str) -> Result<Self, HeaderError> {
        let _ = value;
        todo!()
    }
}

impl FailureReport {
    /// Parses a header value.
    pub fn parse(value: &str) -> Result<Self, HeaderError> {
        let _ = value;
        todo!()
    }
}
