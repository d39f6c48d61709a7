//! Success-Report and Failure-Report (RFC 4975 §7.1.1, §9).
//!
//! The values are ABNF quoted literals, which RFC 5234 §2.3 makes
//! case-insensitive: `YES` is as good as `yes`.

use crate::wire::HeaderError;
use std::fmt;
use std::str::FromStr;

/// Success-Report: whether the sender wants a REPORT on successful delivery.
///
/// ```
/// use msrp_proto::wire::SuccessReport;
/// assert_eq!(SuccessReport::parse("YES"), Ok(SuccessReport::Yes));
/// assert_eq!(SuccessReport::Yes.as_str(), "yes");
/// assert_eq!(SuccessReport::default(), SuccessReport::No);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SuccessReport {
    /// `yes`.
    Yes,
    /// `no` (the default when the header is absent).
    #[default]
    No,
}

/// Failure-Report: which failures the sender wants to hear about.
///
/// ```
/// use msrp_proto::wire::FailureReport;
/// assert_eq!("partial".parse(), Ok(FailureReport::Partial));
/// assert_eq!(FailureReport::No.to_string(), "no");
/// assert_eq!(FailureReport::default(), FailureReport::Yes);
/// ```
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
    /// Parses a header value, ignoring ASCII case.
    pub fn parse(value: &str) -> Result<Self, HeaderError> {
        [Self::Yes, Self::No]
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(value))
            .ok_or(HeaderError::SuccessReportValue)
    }

    /// The canonical (lower-case) spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Yes => "yes",
            Self::No => "no",
        }
    }
}

impl FailureReport {
    /// Parses a header value, ignoring ASCII case.
    pub fn parse(value: &str) -> Result<Self, HeaderError> {
        [Self::Yes, Self::No, Self::Partial]
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(value))
            .ok_or(HeaderError::FailureReportValue)
    }

    /// The canonical (lower-case) spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Yes => "yes",
            Self::No => "no",
            Self::Partial => "partial",
        }
    }
}

impl FromStr for SuccessReport {
    type Err = HeaderError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl FromStr for FailureReport {
    type Err = HeaderError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for SuccessReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for FailureReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn success_report() {
        use SuccessReport::*;
        for (input, want) in [("yes", Yes), ("no", No), ("YES", Yes), ("No", No)] {
            assert_eq!(SuccessReport::parse(input), Ok(want), "{input:?}");
        }
        for input in ["", "partial", "y", "yes ", " no", "true", "ye\u{17f}"] {
            assert_eq!(
                SuccessReport::parse(input),
                Err(HeaderError::SuccessReportValue),
                "{input:?}"
            );
        }
        for v in [Yes, No] {
            assert_eq!(v.to_string().parse(), Ok(v));
        }
    }

    #[test]
    fn failure_report() {
        use FailureReport::*;
        for (input, want) in [
            ("yes", Yes),
            ("no", No),
            ("partial", Partial),
            ("PARTIAL", Partial),
            ("yEs", Yes),
        ] {
            assert_eq!(FailureReport::parse(input), Ok(want), "{input:?}");
        }
        for input in ["", "part", "partial ", "maybe"] {
            assert_eq!(
                FailureReport::parse(input),
                Err(HeaderError::FailureReportValue),
                "{input:?}"
            );
        }
        for v in [Yes, No, Partial] {
            assert_eq!(v.to_string().parse(), Ok(v));
        }
    }
}
