//! The MIME entity inside a CPIM message (RFC 3862 §2.4): content headers
//! and the body bytes.

use bytes::Bytes;

use super::error::ValueError;
use super::syntax::check_value;

/// One content header (`Content-Type`, `Content-ID`, `Content-Disposition`,
/// …), with its name spelled as received and its value without the
/// surrounding white space.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ContentHeader {
    name: String,
    value: String,
}

impl ContentHeader {
    /// A header; the name must be printable ASCII without a colon, the value
    /// free of control characters and of surrounding white space.
    pub fn new(name: &str, value: &str) -> Result<Self, ValueError> {
        let name_ok = !name.is_empty() && name.bytes().all(|b| b.is_ascii_graphic() && b != b':');
        if !name_ok {
            return Err(ValueError::ContentHeaderName(name.to_owned()));
        }
        check_value(value)?;
        if value.trim_matches([' ', '\t']).len() != value.len() {
            return Err(ValueError::LeadingWhitespace);
        }
        Ok(Self {
            name: name.to_owned(),
            value: value.to_owned(),
        })
    }

    /// The name as received (`Content-type` stays `Content-type`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The value.
    pub fn value(&self) -> &str {
        &self.value
    }
}

/// The encapsulated MIME entity: content headers in order, then the body as
/// bytes (never decoded here, so binary content is safe).
///
/// ```
/// use msrp_chat::cpim::Content;
/// let content = Content::new("text/plain; charset=UTF-8", "Hello")?
///     .with_header("Content-ID", "<1234567890@foo.com>")?;
/// assert_eq!(content.media_type().as_deref(), Some("text/plain"));
/// assert_eq!(content.charset().as_deref(), Some("UTF-8"));
/// assert_eq!(content.header("content-id"), Some("<1234567890@foo.com>"));
/// assert_eq!(&content.body()[..], b"Hello");
/// # Ok::<(), msrp_chat::cpim::ValueError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Content {
    headers: Vec<ContentHeader>,
    body: Bytes,
}

impl Content {
    /// An entity with a Content-Type and a body.
    pub fn new(content_type: &str, body: impl Into<Bytes>) -> Result<Self, ValueError> {
        Ok(Self {
            headers: vec![ContentHeader::new("Content-Type", content_type)?],
            body: body.into(),
        })
    }

    /// Built by the decoder, which checks that a Content-Type is there.
    pub(crate) fn from_parts(headers: Vec<ContentHeader>, body: Bytes) -> Self {
        Self { headers, body }
    }

    /// Adds a header after the others.
    pub fn with_header(mut self, name: &str, value: &str) -> Result<Self, ValueError> {
        self.headers.push(ContentHeader::new(name, value)?);
        Ok(self)
    }

    /// The headers, in order.
    pub fn headers(&self) -> &[ContentHeader] {
        &self.headers
    }

    /// The value of the first header called `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value.as_str())
    }

    /// The Content-Type value, as written. Always present in an entity
    /// built by [`Content::new`] or decoded.
    pub fn content_type(&self) -> Option<&str> {
        self.header("Content-Type")
    }

    /// The media type without parameters, in lower case (`text/plain`).
    pub fn media_type(&self) -> Option<String> {
        let value = self.content_type()?;
        let end = value.find(';').unwrap_or(value.len());
        Some(value[..end].trim_matches([' ', '\t']).to_ascii_lowercase())
    }

    /// The `charset` parameter of the Content-Type, unquoted.
    pub fn charset(&self) -> Option<String> {
        let (_, params) = split_params(self.content_type()?)?;
        params
            .into_iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("charset"))
            .map(|(_, value)| unquote_mime(value))
    }

    /// The Content-ID value.
    pub fn content_id(&self) -> Option<&str> {
        self.header("Content-ID")
    }

    /// The Content-Disposition value.
    pub fn content_disposition(&self) -> Option<&str> {
        self.header("Content-Disposition")
    }

    /// The body.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// Takes the body out.
    pub fn into_body(self) -> Bytes {
        self.body
    }
}

/// Splits `type/subtype *(; name=value)` into the type and its parameters
/// (raw values, quotes kept). `None` when a parameter has no `=` or a quoted
/// string is not closed.
fn split_params(value: &str) -> Option<(&str, Vec<(&str, &str)>)> {
    let mut parts = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in value.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ';' if !quoted => {
                parts.push(&value[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if quoted {
        return None;
    }
    parts.push(&value[start..]);
    let media = parts[0].trim_matches([' ', '\t']);
    let params = parts[1..]
        .iter()
        .map(|p| {
            let (n, v) = p.split_once('=')?;
            Some((n.trim_matches([' ', '\t']), v.trim_matches([' ', '\t'])))
        })
        .collect::<Option<Vec<_>>>()?;
    Some((media, params))
}

fn unquote_mime(value: &str) -> String {
    match value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        Some(inner) => {
            let mut out = String::new();
            let mut chars = inner.chars();
            while let Some(c) = chars.next() {
                out.push(if c == '\\' {
                    chars.next().unwrap_or(c)
                } else {
                    c
                });
            }
            out
        }
        None => value.to_owned(),
    }
}

/// sipsimple labels UTF-8 `utf8` (Python's codec name); the IANA name is
/// `UTF-8`. Returns the Content-Type with that label replaced, or `None`
/// when there is nothing to replace.
pub(crate) fn normalize_charset(content_type: &str) -> Option<String> {
    let (media, params) = split_params(content_type)?;
    let is_utf8 = |(n, v): &(&str, &str)| {
        n.eq_ignore_ascii_case("charset") && unquote_mime(v).eq_ignore_ascii_case("utf8")
    };
    if !params.iter().any(is_utf8) {
        return None;
    }
    let mut out = media.to_owned();
    for p in &params {
        let value = if is_utf8(p) { "UTF-8" } else { p.1 };
        out.push_str(&format!("; {}={value}", p.0));
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charset_labels() {
        let c = Content::new("text/plain; charset=\"utf8\"", "").unwrap();
        assert_eq!(c.charset().as_deref(), Some("utf8"));
        assert_eq!(
            normalize_charset("text/plain; charset=\"utf8\"").as_deref(),
            Some("text/plain; charset=UTF-8")
        );
        assert_eq!(
            normalize_charset("Text/Plain;format=flowed;CHARSET=UTF8").as_deref(),
            Some("Text/Plain; format=flowed; CHARSET=UTF-8")
        );
        assert_eq!(normalize_charset("text/plain; charset=utf-8"), None);
        assert_eq!(normalize_charset("text/plain; charset=\"utf8"), None);
    }

    #[test]
    fn media_type_ignores_case_and_parameters() {
        let c = Content::new("Message/IMDN+XML ; x=\"a;b\"", "").unwrap();
        assert_eq!(c.media_type().as_deref(), Some("message/imdn+xml"));
        assert_eq!(c.charset(), None);
    }

    #[test]
    fn header_names_and_values_are_checked() {
        assert!(ContentHeader::new("Content Type", "x").is_err());
        assert!(ContentHeader::new("X:", "x").is_err());
        assert!(ContentHeader::new("X", "a\r\nb").is_err());
        assert!(ContentHeader::new("X", " a").is_err());
    }
}
