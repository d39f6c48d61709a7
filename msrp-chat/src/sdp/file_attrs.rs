//! The other RFC 5547 attributes with a structured value: `a=file-date` and
//! `a=file-range`.

use super::lex::words;
use std::fmt;

/// `a=file-date` (RFC 5547 §6): when the file was created, modified and last
/// read. The dates are kept as written between the quotes (RFC 5322
/// `date-time` with a numeric zone, e.g. `Mon, 15 May 2006 15:01:31 +0300`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileDate {
    /// `creation:"..."`.
    pub creation: Option<String>,
    /// `modification:"..."`.
    pub modification: Option<String>,
    /// `read:"..."`.
    pub read: Option<String>,
}

/// Why a text is not an `a=file-date` or `a=file-range` value: where (a
/// byte offset from 0) and what was expected there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("at character {}: expected {expected}", .at + 1)]
pub struct InvalidFileAttribute {
    /// Where the problem is.
    pub at: usize,
    /// What was expected there.
    pub expected: &'static str,
}

impl FileDate {
    /// Reads the value of `a=file-date`: `creation:"…"`, `modification:"…"`
    /// and `read:"…"`, each at most once (RFC 5547 §6), in any order.
    pub fn parse(value: &str) -> Result<Self, InvalidFileAttribute> {
        const EXPECTED: &str =
            "`creation:\"date\"`, `modification:\"date\"` or `read:\"date\"`, each at most once";
        let mut out = Self::default();
        for w in words(value, false) {
            let Some((name, rest)) = w.text.split_once(':') else {
                return Err(InvalidFileAttribute {
                    at: w.at,
                    expected: EXPECTED,
                });
            };
            let slot = if name.eq_ignore_ascii_case("creation") {
                &mut out.creation
            } else if name.eq_ignore_ascii_case("modification") {
                &mut out.modification
            } else if name.eq_ignore_ascii_case("read") {
                &mut out.read
            } else {
                return Err(InvalidFileAttribute {
                    at: w.at,
                    expected: EXPECTED,
                });
            };
            let inner = rest.strip_prefix('"').and_then(|r| r.strip_suffix('"'));
            let value_at = w.at + name.len() + 1;
            match inner {
                Some(date) if !date.is_empty() && !date.contains('"') && slot.is_none() => {
                    *slot = Some(date.to_owned());
                }
                _ => {
                    return Err(InvalidFileAttribute {
                        at: value_at,
                        expected: EXPECTED,
                    });
                }
            }
        }
        if out == Self::default() {
            return Err(InvalidFileAttribute {
                at: 0,
                expected: EXPECTED,
            });
        }
        Ok(out)
    }
}

impl fmt::Display for FileDate {
    /// The canonical value: creation, modification, read, separated by
    /// single spaces.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut sep = "";
        for (name, value) in [
            ("creation", &self.creation),
            ("modification", &self.modification),
            ("read", &self.read),
        ] {
            if let Some(v) = value {
                write!(f, "{sep}{name}:\"{v}\"")?;
                sep = " ";
            }
        }
        Ok(())
    }
}

/// `a=file-range` (RFC 5547 §6): the octets of the file to transfer, from 1,
/// both ends inclusive. Absent means the whole file (`1-*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileRange {
    /// The first octet, from 1.
    pub start: u64,
    /// The last octet, or `None` for `*` (size unknown).
    pub stop: Option<u64>,
}

impl FileRange {
    /// Reads `start-stop` or `start-*`, with `1 <= start <= stop`.
    pub fn parse(value: &str) -> Result<Self, InvalidFileAttribute> {
        const EXPECTED: &str = "`start-stop` or `start-*` with 1 <= start <= stop";
        let err = |at| {
            Err(InvalidFileAttribute {
                at,
                expected: EXPECTED,
            })
        };
        let number = |s: &str| -> Option<u64> {
            (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| s.parse().ok())
                .flatten()
        };
        let Some((start, stop)) = value.split_once('-') else {
            return err(value.len());
        };
        let Some(start_n) = number(start).filter(|n| *n >= 1) else {
            return err(0);
        };
        let stop_n = if stop == "*" {
            None
        } else {
            match number(stop) {
                Some(n) if n >= start_n => Some(n),
                _ => return err(start.len() + 1),
            }
        };
        Ok(Self {
            start: start_n,
            stop: stop_n,
        })
    }
}

impl fmt::Display for FileRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.stop {
            Some(stop) => write!(f, "{}-{stop}", self.start),
            None => write!(f, "{}-*", self.start),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        let d = FileDate::parse(r#"creation:"Mon, 15 May 2006 15:01:31 +0300""#).unwrap();
        assert_eq!(
            d.creation.as_deref(),
            Some("Mon, 15 May 2006 15:01:31 +0300")
        );
        assert_eq!(
            d.to_string(),
            r#"creation:"Mon, 15 May 2006 15:01:31 +0300""#
        );
        let all = r#"creation:"a" modification:"b" read:"c""#;
        assert_eq!(FileDate::parse(all).unwrap().to_string(), all);
        assert_eq!(
            FileDate::parse(r#"creation:"a" creation:"b""#)
                .unwrap_err()
                .at,
            22
        );
        assert!(FileDate::parse("birth:\"x\"").is_err());
        assert!(FileDate::parse("").is_err());
    }

    #[test]
    fn ranges() {
        assert_eq!(
            FileRange::parse("1-32349"),
            Ok(FileRange {
                start: 1,
                stop: Some(32349)
            })
        );
        assert_eq!(
            FileRange::parse("10-*").map(|r| r.to_string()).as_deref(),
            Ok("10-*")
        );
        assert_eq!(FileRange::parse("0-5").unwrap_err().at, 0);
        assert_eq!(FileRange::parse("5-4").unwrap_err().at, 2);
        assert!(FileRange::parse("5").is_err());
        assert!(FileRange::parse("99999999999999999999-*").is_err());
    }
}
