//! Dates and times as the chat formats carry them: the text as received,
//! and the RFC 3339 value when the text is one.

use std::fmt;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::error::ValueError;
use super::syntax::check_value;

/// A date and time as written in a CPIM `DateTime` header (RFC 3862 §4.4),
/// an IMDN `<datetime>` (RFC 5438) or an isComposing `<lastactive>`
/// (RFC 3994): the original text, kept verbatim because IMDN echoes it back
/// unchanged, and its RFC 3339 value when it parses as one.
///
/// ```
/// use msrp_chat::cpim::DateTime;
/// use time::macros::datetime;
///
/// let dt = DateTime::parse("2000-12-13T13:40:00-08:00")?;
/// assert_eq!(dt.value(), Some(datetime!(2000-12-13 13:40:00 -08:00)));
/// // A sloppy peer's text is kept; it only has no value.
/// assert_eq!(DateTime::parse("2012-06-07T17:40:31")?.value(), None);
/// # Ok::<(), msrp_chat::cpim::ValueError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DateTime {
    text: String,
    value: Option<OffsetDateTime>,
}

impl DateTime {
    /// Formats `value` in RFC 3339 form (`2026-07-10T09:47:31Z`, with
    /// fractional seconds only when there are any). Fails for offsets with
    /// seconds, which RFC 3339 cannot write.
    pub fn new(value: OffsetDateTime) -> Result<Self, ValueError> {
        let text = value.format(&Rfc3339).map_err(|_| ValueError::DateTime)?;
        Ok(Self {
            text,
            value: Some(value),
        })
    }

    /// Takes a date and time as received. Surrounding white space is
    /// dropped; the text must not contain control characters. Text that is
    /// not RFC 3339 is accepted, with no [`value`](Self::value).
    pub fn parse(text: &str) -> Result<Self, ValueError> {
        let text = text.trim_matches([' ', '\t']);
        check_value(text)?;
        Ok(Self {
            text: text.to_owned(),
            value: OffsetDateTime::parse(text, &Rfc3339).ok(),
        })
    }

    /// The text, as received or as formatted.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The RFC 3339 value, if the text is one.
    pub fn value(&self) -> Option<OffsetDateTime> {
        self.value
    }
}

impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn formats_and_parses_rfc_3339() {
        let dt = DateTime::new(datetime!(2026-07-10 09:47:31 UTC)).unwrap();
        assert_eq!(dt.as_str(), "2026-07-10T09:47:31Z");
        let dt = DateTime::new(datetime!(2026-07-10 11:47:31.123456 +02:00)).unwrap();
        assert_eq!(dt.as_str(), "2026-07-10T11:47:31.123456+02:00");
        assert_eq!(DateTime::parse(dt.as_str()).unwrap(), dt);
    }

    #[test]
    fn keeps_text_it_cannot_read() {
        let dt = DateTime::parse(" 2012-06-07T17:40:31 ").unwrap();
        assert_eq!((dt.as_str(), dt.value()), ("2012-06-07T17:40:31", None));
        assert!(DateTime::parse("2012\r\n").is_err());
    }

    #[test]
    fn refuses_what_rfc_3339_cannot_write() {
        let odd_offset = time::UtcOffset::from_hms(1, 0, 30).unwrap();
        let value = datetime!(2026-07-10 09:47:31 UTC).to_offset(odd_offset);
        assert_eq!(DateTime::new(value), Err(ValueError::DateTime));
    }
}
