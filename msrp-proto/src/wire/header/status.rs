//! Status (RFC 4975 §9): `namespace SP status-code [SP text-reason]`, where
//! namespace and status code are three digits each and `text-reason` is
//! `utf8text`.

use crate::wire::HeaderError;
use crate::wire::header::number::parse_decimal;
use crate::wire::header::quoted::is_utf8text;
use std::fmt;
use std::str::FromStr;

/// The value of a Status header.
///
/// ```
/// use msrp_proto::wire::Status;
/// let status = Status::parse("000 408 Request Timeout").unwrap();
/// assert_eq!((status.namespace, status.code), (0, 408));
/// assert_eq!(status.comment.as_deref(), Some("Request Timeout"));
/// assert_eq!(Status::new(200, Some("OK")).to_string(), "000 200 OK");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Status {
    /// Namespace, `000` for all codes of RFC 4975.
    pub namespace: u16,
    /// Three-digit status code.
    pub code: u16,
    /// Optional text.
    pub comment: Option<String>,
}

impl Status {
    /// A status in namespace `000`. Not checked: see [`Status::validate`].
    pub fn new(code: u16, comment: Option<&str>) -> Self {
        Self {
            namespace: 0,
            code,
            comment: comment.map(str::to_owned),
        }
    }

    /// Parses a header value.
    ///
    /// An empty comment (`000 200 `) is allowed by the grammar and read as
    /// no comment.
    pub fn parse(value: &str) -> Result<Self, HeaderError> {
        let bytes = value.as_bytes();
        let namespace = three_digits(value.get(0..3))?;
        if bytes.get(3) != Some(&b' ') {
            return Err(HeaderError::StatusSyntax);
        }
        let code = three_digits(value.get(4..7))?;
        let comment = match bytes.get(7) {
            None => None,
            Some(b' ') => {
                // Byte 7 is ASCII, so 8 is a character boundary.
                let text = value.get(8..).ok_or(HeaderError::StatusSyntax)?;
                if !is_utf8text(text) {
                    return Err(HeaderError::StatusSyntax);
                }
                (!text.is_empty()).then(|| text.to_owned())
            }
            Some(_) => return Err(HeaderError::StatusSyntax),
        };
        Ok(Self {
            namespace,
            code,
            comment,
        })
    }

    /// Checks that the status can be encoded: namespace and code at most
    /// 999, and a comment without control characters (CR or LF would break
    /// the framing).
    pub fn validate(&self) -> Result<(), HeaderError> {
        let comment_ok = self.comment.as_deref().is_none_or(is_utf8text);
        if self.namespace > 999 || self.code > 999 || !comment_ok {
            return Err(HeaderError::StatusSyntax);
        }
        Ok(())
    }
}

/// Exactly three digits (`3DIGIT`).
fn three_digits(digits: Option<&str>) -> Result<u16, HeaderError> {
    digits
        .and_then(|d| parse_decimal(d, 999).ok())
        .and_then(|n| u16::try_from(n).ok())
        .ok_or(HeaderError::StatusSyntax)
}

impl FromStr for Status {
    type Err = HeaderError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:03} {:03}", self.namespace, self.code)?;
        match self.comment.as_deref() {
            Some(comment) if !comment.is_empty() => write!(f, " {comment}"),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_statuses() {
        let cases: &[(&str, u16, u16, Option<&str>)] = &[
            ("000 200", 0, 200, None),
            ("000 200 OK", 0, 200, Some("OK")),
            ("000 408 Request Timeout", 0, 408, Some("Request Timeout")),
            ("000 413", 0, 413, None),
            ("123 999", 123, 999, None),
            ("000 000", 0, 0, None),
            ("000 200 ", 0, 200, None),
            ("000 200  two spaces", 0, 200, Some(" two spaces")),
            ("000 481 caf\u{e9}\tok", 0, 481, Some("caf\u{e9}\tok")),
        ];
        for &(input, namespace, code, comment) in cases {
            let want = Status {
                namespace,
                code,
                comment: comment.map(str::to_owned),
            };
            assert_eq!(Status::parse(input).as_ref(), Ok(&want), "{input:?}");
            assert_eq!(
                want.to_string().parse::<Status>(),
                Ok(want.clone()),
                "{input:?}"
            );
        }
    }

    #[test]
    fn invalid_statuses() {
        for input in [
            "",
            "Status: 000 200",
            "000 2000",
            "00 200",
            "0000 200",
            "000 20",
            "000  200",
            "000\t200",
            " 000 200",
            "000 200\tOK",
            "000 200OK",
            "000 20x",
            "00a 200",
            "000 200 bad\r\nX: y",
            "000 200 del\x7f",
            "\u{e9}00 200",
            "000 2\u{e9}",
        ] {
            assert_eq!(
                Status::parse(input),
                Err(HeaderError::StatusSyntax),
                "{input:?}"
            );
        }
    }

    #[test]
    fn new_display_and_validate() {
        assert_eq!(Status::new(413, None).to_string(), "000 413");
        assert_eq!(Status::new(7, Some("x")).to_string(), "000 007 x");
        assert!(Status::new(200, Some("OK")).validate().is_ok());
        assert!(Status::new(1000, None).validate().is_err());
        assert!(Status::new(200, Some("a\r\nb")).validate().is_err());
        let ns = Status {
            namespace: 1000,
            ..Status::new(200, None)
        };
        assert!(ns.validate().is_err());
    }

    proptest::proptest! {
        #[test]
        fn never_panics_and_round_trips(s in "[0-9]{3} [0-9]{3}( \\PC{0,8})?|\\PC{0,12}") {
            if let Ok(status) = Status::parse(&s) {
                proptest::prop_assert!(status.validate().is_ok());
                proptest::prop_assert_eq!(status.to_string().parse::<Status>(), Ok(status));
            }
        }
    }
}
