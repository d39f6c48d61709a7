//! A whole Message/CPIM body: decoding, encoding and header look-ups.

use bytes::Bytes;

use super::content::{Content, ContentHeader, normalize_charset};
use super::datetime::DateTime;
use super::error::{DecodeError, DecodeErrorKind, Limits};
use super::header::{Address, CORE_NAMESPACE, Extension, Header, HeaderName, Subject};

/// A Message/CPIM message (RFC 3862): message headers in order, then a MIME
/// entity ([`Content`]).
///
/// Decoding is tolerant of what real peers send (LF line ends, sipsimple's
/// `Required:`, empty `Content-Transfer-Encoding:` and `utf8` charset
/// label, unquoted display names); encoding writes RFC 3862's spellings,
/// quoting and CRLF line ends. For any input that decodes, encoding and
/// decoding again gives an equal message.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Message {
    headers: Vec<Header>,
    content: Content,
}

impl Message {
    /// A message with no headers yet around `content`.
    pub fn new(content: Content) -> Self {
        Self {
            headers: Vec::new(),
            content,
        }
    }

    /// Adds a header after the others.
    pub fn with_header(mut self, header: Header) -> Self {
        self.headers.push(header);
        self
    }

    /// Adds a header after the others.
    pub fn push_header(&mut self, header: Header) {
        self.headers.push(header);
    }

    /// Decodes a message with the default [`Limits`].
    pub fn decode(input: &[u8]) -> Result<Self, DecodeError> {
        Self::decode_with(input, &Limits::default())
    }

    /// Decodes a message held in `Bytes`; the body is a slice of it, not a
    /// copy.
    pub fn decode_bytes(input: &Bytes, limits: &Limits) -> Result<Self, DecodeError> {
        let (headers, content_headers, body_at) = decode_heads(input, limits)?;
        Ok(Self {
            headers,
            content: Content::from_parts(content_headers, input.slice(body_at..)),
        })
    }

    /// Decodes a message within `limits`.
    pub fn decode_with(input: &[u8], limits: &Limits) -> Result<Self, DecodeError> {
        let (headers, content_headers, body_at) = decode_heads(input, limits)?;
        let body = Bytes::copy_from_slice(&input[body_at..]);
        Ok(Self {
            headers,
            content: Content::from_parts(content_headers, body),
        })
    }

    /// The message as sent: headers with CRLF, a blank line, the content
    /// headers with CRLF, a blank line, the body.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256 + self.content.body().len());
        self.encode_into(&mut out);
        out
    }

    /// Appends the message as sent to `out`.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        for header in &self.headers {
            out.extend_from_slice(header.to_string().as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"\r\n");
        for header in self.content.headers() {
            out.extend_from_slice(header.name().as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(header.value().as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(self.content.body());
    }

    /// The message headers, in order.
    pub fn headers(&self) -> &[Header] {
        &self.headers
    }

    /// The MIME entity.
    pub fn content(&self) -> &Content {
        &self.content
    }

    /// Splits the message into its headers and its MIME entity.
    pub fn into_parts(self) -> (Vec<Header>, Content) {
        (self.headers, self.content)
    }

    /// The sender (the first From header).
    pub fn from(&self) -> Option<&Address> {
        self.headers.iter().find_map(|h| match h {
            Header::From(a) => Some(a),
            _ => None,
        })
    }

    /// The recipients (To headers), in order.
    pub fn to(&self) -> impl Iterator<Item = &Address> {
        self.headers.iter().filter_map(|h| match h {
            Header::To(a) => Some(a),
            _ => None,
        })
    }

    /// The courtesy recipients (cc headers), in order.
    pub fn cc(&self) -> impl Iterator<Item = &Address> {
        self.headers.iter().filter_map(|h| match h {
            Header::Cc(a) => Some(a),
            _ => None,
        })
    }

    /// The DateTime header.
    pub fn date_time(&self) -> Option<&DateTime> {
        self.headers.iter().find_map(|h| match h {
            Header::DateTime(d) => Some(d),
            _ => None,
        })
    }

    /// The Subject headers, one per language.
    pub fn subjects(&self) -> impl Iterator<Item = &Subject> {
        self.headers.iter().filter_map(|h| match h {
            Header::Subject(s) => Some(s),
            _ => None,
        })
    }

    /// The header names listed by Require headers, each with the namespace
    /// URI its prefix had at that point (RFC 3862 §3.5: a recipient that
    /// does not understand one of them must not process the message).
    pub fn required(&self) -> Vec<(Option<&str>, &HeaderName)> {
        self.resolved()
            .zip(&self.headers)
            .filter_map(|((scope, _), h)| match h {
                Header::Require(names) => Some(names.iter().map(move |n| (scope.resolve(n), n))),
                _ => None,
            })
            .flatten()
            .collect()
    }

    /// Every header with the namespace URI of its name (`None` for a prefix
    /// that no earlier NS header declared).
    pub fn resolved_headers(&self) -> impl Iterator<Item = (Option<&str>, &Header)> {
        self.resolved().map(|(_, resolved)| resolved)
    }

    /// The extension headers called `name` in the namespace `uri`, whatever
    /// prefix the sender chose for it.
    ///
    /// ```
    /// use msrp_chat::cpim::Message;
    /// let m = Message::decode(b"NS: x <urn:ietf:params:imdn>\r\n\
    ///     x.Message-ID: 34jk324j\r\n\r\nContent-Type: text/plain\r\n\r\nHi")?;
    /// let id = m.extensions("urn:ietf:params:imdn", "Message-ID").next();
    /// assert_eq!(id.map(|h| h.value()), Some("34jk324j"));
    /// # Ok::<(), msrp_chat::cpim::DecodeError>(())
    /// ```
    pub fn extensions<'a>(
        &'a self,
        uri: &'a str,
        name: &'a str,
    ) -> impl Iterator<Item = &'a Extension> + 'a {
        self.resolved_headers().filter_map(move |(ns, h)| match h {
            Header::Extension(e) if ns == Some(uri) && e.name().name() == name => Some(e),
            _ => None,
        })
    }

    /// The prefix bound to namespace `uri` at the end of the headers, if
    /// any (`Some(None)` when it is the default namespace).
    pub fn prefix_of(&self, uri: &str) -> Option<Option<&str>> {
        let mut scope = Scope::default();
        for header in &self.headers {
            if let Header::Ns(ns) = header {
                scope.bind(ns.prefix(), ns.uri());
            }
        }
        scope.prefix_of(uri)
    }

    /// Walks the headers, tracking the NS bindings in force at each one.
    fn resolved(&self) -> impl Iterator<Item = (Scope<'_>, (Option<&str>, &Header))> {
        let mut scope = Scope::default();
        self.headers.iter().map(move |h| {
            let ns = match h {
                Header::Extension(e) => scope.resolve(e.name()),
                _ => Some(CORE_NAMESPACE),
            };
            let before = scope.clone();
            if let Header::Ns(ns) = h {
                scope.bind(ns.prefix(), ns.uri());
            }
            (before, (ns, h))
        })
    }
}

/// The namespace bindings in force at one header.
#[derive(Debug, Clone, Default)]
struct Scope<'a> {
    default: Option<&'a str>,
    prefixes: Vec<(&'a str, &'a str)>,
}

impl<'a> Scope<'a> {
    fn bind(&mut self, prefix: Option<&'a str>, uri: &'a str) {
        match prefix {
            None => self.default = Some(uri),
            Some(p) => {
                self.prefixes.retain(|(q, _)| *q != p);
                self.prefixes.push((p, uri));
            }
        }
    }

    fn resolve(&self, name: &HeaderName) -> Option<&'a str> {
        match name.prefix() {
            None => Some(self.default.unwrap_or(CORE_NAMESPACE)),
            Some(p) => self.prefixes.iter().find(|(q, _)| *q == p).map(|(_, u)| *u),
        }
    }

    fn prefix_of(&self, uri: &str) -> Option<Option<&'a str>> {
        if self.default.unwrap_or(CORE_NAMESPACE) == uri {
            return Some(None);
        }
        self.prefixes
            .iter()
            .find(|(_, u)| *u == uri)
            .map(|(p, _)| Some(*p))
    }
}

/// Lines of a header block: LF or CRLF ends, bounded length.
struct Lines<'a> {
    input: &'a [u8],
    pos: usize,
    number: usize,
}

/// One line: its number, where it starts, its bytes without the line end.
struct Line<'a> {
    number: usize,
    offset: usize,
    bytes: &'a [u8],
}

impl<'a> Lines<'a> {
    /// The next line, `None` at the end of the input.
    fn next(&mut self, limits: &Limits) -> Result<Option<Line<'a>>, DecodeError> {
        if self.pos >= self.input.len() {
            return Ok(None);
        }
        let rest = &self.input[self.pos..];
        // Search no further than the longest allowed line and its CRLF.
        let window = &rest[..rest.len().min(limits.max_line.saturating_add(2))];
        let (mut bytes, advance) = match window.iter().position(|&b| b == b'\n') {
            Some(nl) => (&rest[..nl], nl + 1),
            None if window.len() == rest.len() => (rest, rest.len()),
            None => (window, 0),
        };
        if let Some(stripped) = bytes.strip_suffix(b"\r") {
            bytes = stripped;
        }
        self.number += 1;
        let line = Line {
            number: self.number,
            offset: self.pos,
            bytes,
        };
        if bytes.len() > limits.max_line || advance == 0 {
            let max = limits.max_line;
            return Err(line.error(DecodeErrorKind::LineTooLong { max }));
        }
        self.pos += advance;
        Ok(Some(line))
    }
}

impl<'a> Line<'a> {
    fn error(&self, kind: DecodeErrorKind) -> DecodeError {
        DecodeError::new(kind, self.number, self.offset)
    }

    fn text(&self) -> Result<&'a str, DecodeError> {
        std::str::from_utf8(self.bytes).map_err(|_| self.error(DecodeErrorKind::NotUtf8))
    }
}

type Heads = (Vec<Header>, Vec<ContentHeader>, usize);

fn decode_heads(input: &[u8], limits: &Limits) -> Result<Heads, DecodeError> {
    let mut lines = Lines {
        input,
        pos: 0,
        number: 0,
    };
    let value_error =
        |line: &Line<'_>, (header, error)| line.error(DecodeErrorKind::Value { header, error });

    // Message headers (§3), up to the blank line.
    let mut headers = Vec::new();
    let mut default_is_core = true;
    loop {
        let Some(line) = lines.next(limits)? else {
            let (number, offset) = (lines.number + 1, input.len());
            return Err(DecodeError::new(
                DecodeErrorKind::MissingContent,
                number,
                offset,
            ));
        };
        if line.bytes.is_empty() {
            break;
        }
        if headers.len() == limits.max_headers {
            let max = limits.max_headers;
            return Err(line.error(DecodeErrorKind::TooManyHeaders { max }));
        }
        let text = line.text()?;
        if !text.contains(':') {
            return Err(line.error(DecodeErrorKind::MissingColon));
        }
        let header =
            Header::parse_line(text, default_is_core).map_err(|e| value_error(&line, e))?;
        if let Header::Ns(ns) = &header {
            if ns.prefix().is_none() {
                default_is_core = ns.uri() == CORE_NAMESPACE;
            }
        }
        headers.push(header);
    }

    // Content headers (MIME, RFC 2045), with folded lines joined.
    let mut raw: Vec<(Line<'_>, String, String)> = Vec::new();
    let mut count = 0;
    while let Some(line) = lines.next(limits)? {
        if line.bytes.is_empty() {
            break;
        }
        count += 1;
        if count > limits.max_headers {
            let max = limits.max_headers;
            return Err(line.error(DecodeErrorKind::TooManyHeaders { max }));
        }
        let text = line.text()?;
        if text.starts_with([' ', '\t']) {
            let Some((_, _, value)) = raw.last_mut() else {
                return Err(line.error(DecodeErrorKind::OrphanContinuation));
            };
            value.push_str(text);
            continue;
        }
        let Some((name, value)) = text.split_once(':') else {
            return Err(line.error(DecodeErrorKind::MissingColon));
        };
        raw.push((line, name.to_owned(), value.to_owned()));
    }
    let body_at = lines.pos;

    let mut content_headers = Vec::new();
    for (line, name, value) in raw {
        let value = value.trim_matches([' ', '\t']);
        // sipsimple sends an empty Content-Transfer-Encoding: it means nothing.
        if value.is_empty() && name.eq_ignore_ascii_case("Content-Transfer-Encoding") {
            continue;
        }
        let normalized = match name.eq_ignore_ascii_case("Content-Type") {
            true => normalize_charset(value),
            false => None,
        };
        let value = normalized.as_deref().unwrap_or(value);
        let header = ContentHeader::new(&name, value).map_err(|e| value_error(&line, (name, e)))?;
        content_headers.push(header);
    }
    if !content_headers
        .iter()
        .any(|h| h.name().eq_ignore_ascii_case("Content-Type"))
    {
        let offset = body_at.min(input.len());
        return Err(DecodeError::new(
            DecodeErrorKind::MissingContentType,
            lines.number,
            offset,
        ));
    }
    Ok((headers, content_headers, body_at))
}
