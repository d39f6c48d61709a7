//! Byte-Range (RFC 4975 §7.1.1, §9):
//! `range-start "-" range-end "/" total`, where `range-start = 1*DIGIT`,
//! `range-end = 1*DIGIT / "*"` and `total = 1*DIGIT / "*"`.

use crate::wire::HeaderError;
use crate::wire::header::number::parse_decimal_bytes;
use std::fmt;
use std::str::FromStr;

/// `start-end/total`: the 1-based, inclusive range of the message that a chunk
/// carries. `None` stands for `*` (unknown).
///
/// ```
/// use msrp_proto::wire::ByteRange;
/// let range = ByteRange::parse("1-25/*").unwrap();
/// assert_eq!((range.start, range.end, range.total), (1, Some(25), None));
/// assert_eq!(range.len(), Some(25));
/// assert_eq!(range.to_string(), "1-25/*");
/// assert!(ByteRange::parse("5-3/10").is_err()); // end before start
/// ```
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
    /// Builds a range, checking it as [`ByteRange::parse`] does (so the
    /// result always encodes to a value that parses back).
    ///
    /// ```
    /// use msrp_proto::wire::ByteRange;
    /// assert!(ByteRange::new(1, Some(0), Some(0)).is_ok()); // bodiless SEND
    /// assert!(ByteRange::new(0, None, None).is_err());
    /// ```
    pub fn new(start: u64, end: Option<u64>, total: Option<u64>) -> Result<Self, HeaderError> {
        let range = Self { start, end, total };
        range.validate()?;
        Ok(range)
    }

    /// Parses a header value.
    pub fn parse(value: &str) -> Result<Self, HeaderError> {
        Self::parse_bytes(value.as_bytes())
    }

    /// [`parse`](Self::parse) on bytes: the parser takes the value from the
    /// head without making a `&str` of it, which would cost more than this
    /// (benches/parse.rs, small_chunk).
    pub(crate) fn parse_bytes(value: &[u8]) -> Result<Self, HeaderError> {
        match all_digits(value) {
            Some([start, end, total]) => Self::new(start, Some(end), Some(total)),
            None => Self::parse_split(value),
        }
    }

    /// The general way: split at the separators, then read each part.
    fn parse_split(value: &[u8]) -> Result<Self, HeaderError> {
        // Split by hand: `split_once` costs more than the whole parse on
        // values this short.
        fn split(s: &[u8], sep: u8) -> Option<(&[u8], &[u8])> {
            let at = s.iter().position(|&b| b == sep)?;
            Some((&s[..at], &s[at + 1..]))
        }
        let (start, rest) = split(value, b'-').ok_or(HeaderError::ByteRangeSyntax)?;
        let (end, total) = split(rest, b'/').ok_or(HeaderError::ByteRangeSyntax)?;
        Self::new(number(start)?, star_or_number(end)?, star_or_number(total)?)
    }

    /// Checks the consistency rules: start ≥ 1; end ≥ start − 1 (`1-0/0`
    /// marks a SEND without body, `5-4/10` is empty); end ≤ total; start ≤
    /// total + 1. The fields are public, so a hand-built range may need this
    /// before it is encoded.
    pub fn validate(&self) -> Result<(), HeaderError> {
        let start = self.start;
        if start == 0 {
            return Err(HeaderError::ByteRangeStartZero);
        }
        // `start - 1` cannot underflow from here on.
        if let Some(end) = self.end {
            if end < start - 1 {
                return Err(HeaderError::ByteRangeEndBeforeStart { start, end });
            }
        }
        if let Some(total) = self.total {
            if let Some(end) = self.end.filter(|&end| end > total) {
                return Err(HeaderError::ByteRangeEndPastTotal { end, total });
            }
            if start - 1 > total {
                return Err(HeaderError::ByteRangeStartPastTotal { start, total });
            }
        }
        Ok(())
    }

    /// Number of bytes in the range (`end − start + 1`), when the end is
    /// known. Saturates instead of overflowing on a hand-built invalid range.
    #[allow(clippy::len_without_is_empty)] // "empty" is ambiguous with an unknown end.
    pub fn len(&self) -> Option<u64> {
        self.end
            .map(|end| end.saturating_sub(self.start.saturating_sub(1)))
    }
}

/// `start-end/total` all in digits, as nearly every chunk has it, read in
/// one pass: a third of the cost of splitting and parsing each number
/// (benches/parse.rs, small_chunk). `None` for any other form, including
/// numbers of more than 19 digits (which could overflow), which
/// [`ByteRange::parse_bytes`] then reads the general way.
fn all_digits(value: &[u8]) -> Option<[u64; 3]> {
    let (start, rest) = leading_number(value)?;
    let (end, rest) = leading_number(rest.strip_prefix(b"-")?)?;
    let (total, rest) = leading_number(rest.strip_prefix(b"/")?)?;
    rest.is_empty().then_some([start, end, total])
}

/// The number that `s` starts with, of 1 to 19 digits, and what follows it.
fn leading_number(s: &[u8]) -> Option<(u64, &[u8])> {
    let mut n = 0u64;
    let mut len = 0;
    while let Some(&d) = s.get(len).filter(|d| d.is_ascii_digit()) {
        n = n.wrapping_mul(10).wrapping_add(u64::from(d - b'0'));
        len += 1;
    }
    // 19 digits always fit in a u64; the general path reads longer numbers.
    (1..=19).contains(&len).then(|| (n, &s[len..]))
}

/// `1*DIGIT`; a malformed number is a Byte-Range syntax error, an oversized
/// one keeps its own error.
fn number(digits: &[u8]) -> Result<u64, HeaderError> {
    parse_decimal_bytes(digits, u64::MAX).map_err(|e| match e {
        HeaderError::NotANumber => HeaderError::ByteRangeSyntax,
        other => other,
    })
}

fn star_or_number(s: &[u8]) -> Result<Option<u64>, HeaderError> {
    if s == b"*" {
        Ok(None)
    } else {
        number(s).map(Some)
    }
}

impl FromStr for ByteRange {
    type Err = HeaderError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for ByteRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-", self.start)?;
        match self.end {
            Some(end) => write!(f, "{end}/")?,
            None => f.write_str("*/")?,
        }
        match self.total {
            Some(total) => write!(f, "{total}"),
            None => f.write_str("*"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_ranges() {
        let cases: &[(&str, u64, Option<u64>, Option<u64>)] = &[
            ("1-25/25", 1, Some(25), Some(25)),
            ("1-0/0", 1, Some(0), Some(0)),
            ("5-4/10", 5, Some(4), Some(10)),
            ("11-10/10", 11, Some(10), Some(10)),
            ("1-*/*", 1, None, None),
            ("1-*/100", 1, None, Some(100)),
            ("1-25/*", 1, Some(25), None),
            ("101-*/100", 101, None, Some(100)),
            ("0001-2/3", 1, Some(2), Some(3)),
            (
                "1-18446744073709551615/18446744073709551615",
                1,
                Some(u64::MAX),
                Some(u64::MAX),
            ),
        ];
        for &(input, start, end, total) in cases {
            let want = ByteRange { start, end, total };
            assert_eq!(ByteRange::parse(input), Ok(want), "{input:?}");
            // Round trip through the canonical form.
            assert_eq!(want.to_string().parse::<ByteRange>(), Ok(want), "{input:?}");
        }
        assert_eq!(ByteRange::parse("0001-2/3").unwrap().to_string(), "1-2/3");
    }

    #[test]
    fn invalid_ranges() {
        use HeaderError::*;
        let cases: &[(&str, HeaderError)] = &[
            ("0-5/10", ByteRangeStartZero),
            ("0-*/*", ByteRangeStartZero),
            ("5-3/10", ByteRangeEndBeforeStart { start: 5, end: 3 }),
            ("1-20/10", ByteRangeEndPastTotal { end: 20, total: 10 }),
            (
                "12-*/10",
                ByteRangeStartPastTotal {
                    start: 12,
                    total: 10,
                },
            ),
            ("12-11/10", ByteRangeEndPastTotal { end: 11, total: 10 }),
            (
                "1-1234567890123456789012345/*",
                NumberTooLarge { max: u64::MAX },
            ),
            ("", ByteRangeSyntax),
            ("1-2/", ByteRangeSyntax),
            ("1-/3", ByteRangeSyntax),
            ("-2/3", ByteRangeSyntax),
            ("1-2", ByteRangeSyntax),
            ("a-b/c", ByteRangeSyntax),
            (" 1-2/3", ByteRangeSyntax),
            ("1-2/3 ", ByteRangeSyntax),
            ("1 -2/3", ByteRangeSyntax),
            ("*-2/3", ByteRangeSyntax),
            ("1-2/3/4", ByteRangeSyntax),
            ("1--2/3", ByteRangeSyntax),
            ("+1-2/3", ByteRangeSyntax),
            ("1-**/3", ByteRangeSyntax),
            ("1-\u{e9}/3", ByteRangeSyntax),
        ];
        for (input, want) in cases {
            assert_eq!(ByteRange::parse(input).as_ref(), Err(want), "{input:?}");
        }
    }

    #[test]
    fn len_and_new() {
        assert_eq!(ByteRange::parse("1-25/25").unwrap().len(), Some(25));
        assert_eq!(ByteRange::parse("5-4/10").unwrap().len(), Some(0));
        assert_eq!(ByteRange::parse("1-*/*").unwrap().len(), None);
        let max = ByteRange::new(1, Some(u64::MAX), None).unwrap();
        assert_eq!(max.len(), Some(u64::MAX));
        assert_eq!(
            ByteRange::new(3, Some(1), None),
            Err(HeaderError::ByteRangeEndBeforeStart { start: 3, end: 1 })
        );
        // A hand-built invalid range does not panic.
        let bad = ByteRange {
            start: 0,
            end: Some(u64::MAX),
            total: None,
        };
        assert!(bad.validate().is_err());
        assert_eq!(bad.len(), Some(u64::MAX));
    }

    proptest::proptest! {
        #[test]
        fn the_digits_only_path_agrees_with_the_general_one(s in "[0-9]{0,21}[-/]?[0-9]{0,21}[-/*]?[0-9]{0,21}") {
            let fast = all_digits(s.as_bytes()).map(|[a, b, c]| ByteRange::new(a, Some(b), Some(c)));
            if let Some(fast) = fast {
                proptest::prop_assert_eq!(fast, ByteRange::parse_split(s.as_bytes()));
            }
            proptest::prop_assert_eq!(ByteRange::parse(&s), ByteRange::parse_split(s.as_bytes()));
        }

        #[test]
        fn never_panics_and_round_trips(s in "[0-9*/-]{0,24}|\\PC{0,24}") {
            if let Ok(range) = ByteRange::parse(&s) {
                proptest::prop_assert_eq!(range.to_string().parse::<ByteRange>(), Ok(range));
            }
        }
    }
}
