//! Decimal numbers in header values, bounded so no input can overflow.

use crate::wire::HeaderError;

/// Most digits accepted: `u64::MAX` has 20, so anything longer cannot fit
/// and is refused before any arithmetic.
const MAX_DIGITS: usize = 20;

/// Parses `1*DIGIT` into a number no larger than `max`.
///
/// No sign, no whitespace, no empty input ([`HeaderError::NotANumber`]);
/// more than 20 digits or a value above `max` gives
/// [`HeaderError::NumberTooLarge`]. Leading zeros are DIGITs and accepted.
pub(crate) fn parse_decimal(digits: &str, max: u64) -> Result<u64, HeaderError> {
    parse_decimal_bytes(digits.as_bytes(), max)
}

/// [`parse_decimal`] on bytes.
pub(crate) fn parse_decimal_bytes(bytes: &[u8], max: u64) -> Result<u64, HeaderError> {
    if bytes.is_empty() || !bytes.iter().all(u8::is_ascii_digit) {
        return Err(HeaderError::NotANumber);
    }
    let too_large = || HeaderError::NumberTooLarge { max };
    if bytes.len() > MAX_DIGITS {
        return Err(too_large());
    }
    let mut value: u64 = 0;
    for &b in bytes {
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(b - b'0')))
            .ok_or_else(too_large)?;
    }
    if value > max {
        Err(too_large())
    } else {
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_digits_up_to_max() {
        let cases: &[(&str, u64, u64)] = &[
            ("0", 10, 0),
            ("7", 10, 7),
            ("10", 10, 10),
            ("0001", 10, 1),
            ("18446744073709551615", u64::MAX, u64::MAX),
            ("00000000000000000001", u64::MAX, 1),
        ];
        for &(input, max, want) in cases {
            assert_eq!(parse_decimal(input, max), Ok(want), "{input:?}");
        }
    }

    #[test]
    fn rejects_non_numbers() {
        for input in ["", "+1", "-1", " 1", "1 ", "1a", "a", "1_000", "١", "0x10"] {
            assert_eq!(
                parse_decimal(input, u64::MAX),
                Err(HeaderError::NotANumber),
                "{input:?}"
            );
        }
    }

    #[test]
    fn rejects_numbers_too_large_without_overflow() {
        let too_large = |max| Err(HeaderError::NumberTooLarge { max });
        assert_eq!(parse_decimal("11", 10), too_large(10));
        // One past u64::MAX: 20 digits, caught by checked arithmetic.
        assert_eq!(
            parse_decimal("18446744073709551616", u64::MAX),
            too_large(u64::MAX)
        );
        assert_eq!(
            parse_decimal("99999999999999999999", u64::MAX),
            too_large(u64::MAX)
        );
        // 25 digits and 21 digits: refused by length, never parsed.
        assert_eq!(
            parse_decimal("1234567890123456789012345", u64::MAX),
            too_large(u64::MAX)
        );
        assert_eq!(
            parse_decimal("000000000000000000001", u64::MAX),
            too_large(u64::MAX)
        );
    }

    proptest::proptest! {
        #[test]
        fn agrees_with_std(s in "[0-9]{1,25}|\\PC{0,25}", max: u64) {
            let digits = !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
            let want = match s.parse::<u64>() {
                _ if !digits => Err(HeaderError::NotANumber),
                Ok(n) if n <= max && s.len() <= MAX_DIGITS => Ok(n),
                _ => Err(HeaderError::NumberTooLarge { max }),
            };
            proptest::prop_assert_eq!(parse_decimal(&s, max), want);
        }
    }
}
