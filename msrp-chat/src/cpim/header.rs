//! Message headers (RFC 3862 §3, §4): names, parameters and the typed
//! values of From, To, cc, DateTime, Subject, NS and Require.

use std::fmt::{self, Write};

use super::datetime::DateTime;
use super::error::ValueError;
use super::syntax::{check_uri, check_value, is_name, is_token, is_token_char, quote, unquote};

/// The default namespace of header names (RFC 3862 §3.4): unprefixed names
/// belong to it until an `NS: <URI>` header without prefix rebinds it.
pub const CORE_NAMESPACE: &str = "urn:ietf:params:cpim-headers:";

/// A header name: `[Name-prefix "."] Name` (§3.6). The prefix refers to a
/// namespace bound by an earlier [`Namespace`] header.
///
/// ```
/// use msrp_chat::cpim::HeaderName;
/// let name = HeaderName::parse("imdn.Message-ID")?;
/// assert_eq!((name.prefix(), name.name()), (Some("imdn"), "Message-ID"));
/// assert_eq!(name.to_string(), "imdn.Message-ID");
/// # Ok::<(), msrp_chat::cpim::ValueError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HeaderName {
    prefix: Option<String>,
    name: String,
}

impl HeaderName {
    /// An unprefixed name.
    pub fn new(name: &str) -> Result<Self, ValueError> {
        Self::build(None, name)
    }

    /// A name under a namespace prefix.
    pub fn prefixed(prefix: &str, name: &str) -> Result<Self, ValueError> {
        Self::build(Some(prefix), name)
    }

    fn build(prefix: Option<&str>, name: &str) -> Result<Self, ValueError> {
        if is_name(name) && prefix.is_none_or(is_name) {
            Ok(Self {
                prefix: prefix.map(str::to_owned),
                name: name.to_owned(),
            })
        } else {
            let full = prefix.map_or(name.to_owned(), |p| format!("{p}.{name}"));
            Err(ValueError::HeaderName(full))
        }
    }

    /// Parses `name` or `prefix.name`.
    pub fn parse(s: &str) -> Result<Self, ValueError> {
        match s.split_once('.') {
            Some((prefix, name)) => Self::prefixed(prefix, name),
            None => Self::new(s),
        }
    }

    /// The namespace prefix, if any.
    pub fn prefix(&self) -> Option<&str> {
        self.prefix.as_deref()
    }

    /// The name within its namespace.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl fmt::Display for HeaderName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(prefix) = &self.prefix {
            write!(f, "{prefix}.")?;
        }
        f.write_str(&self.name)
    }
}

/// A header parameter, `;name=value` between the colon and the value
/// (§3.6). The value is kept unquoted; it is written as a token when it is
/// one and as a quoted string otherwise.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Param {
    name: String,
    value: String,
}

impl Param {
    /// A parameter; `name` must be a `Name`, `value` any text.
    pub fn new(name: &str, value: &str) -> Result<Self, ValueError> {
        if !is_name(name) {
            return Err(ValueError::Parameter);
        }
        Ok(Self {
            name: name.to_owned(),
            value: value.to_owned(),
        })
    }

    /// The parameter name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The value, unquoted.
    pub fn value(&self) -> &str {
        &self.value
    }
}

impl fmt::Display for Param {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, ";{}=", self.name)?;
        if is_token(&self.value) {
            f.write_str(&self.value)
        } else {
            let mut quoted = String::new();
            quote(&self.value, &mut quoted);
            f.write_str(&quoted)
        }
    }
}

/// A sender or recipient: `[Formal-name] <URI>` (From, To and cc, §4.1–4.3).
/// The URI may have any scheme (`sip:`, `sips:`, `im:`, `tel:`, …).
///
/// The display name is written unquoted when it is words of `Token`
/// characters separated by single spaces, and as a quoted `String` with
/// escapes otherwise (§3.6 `Formal-name`).
///
/// ```
/// use msrp_chat::cpim::Address;
/// let alice = Address::new(Some("Alice"), "sip:alice@example.com")?;
/// assert_eq!(alice.to_string(), "Alice <sip:alice@example.com>");
/// let odd = Address::new(Some("Bob \"the\" Builder"), "im:bob@example.com")?;
/// assert_eq!(odd.to_string(), r#""Bob \"the\" Builder"<im:bob@example.com>"#);
/// assert_eq!(Address::parse(&odd.to_string())?, odd);
/// # Ok::<(), msrp_chat::cpim::ValueError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Address {
    display_name: Option<String>,
    uri: String,
}

impl Address {
    /// An address; an empty display name counts as none.
    pub fn new(display_name: Option<&str>, uri: &str) -> Result<Self, ValueError> {
        check_uri(uri)?;
        Ok(Self {
            display_name: display_name.filter(|d| !d.is_empty()).map(str::to_owned),
            uri: uri.to_owned(),
        })
    }

    /// Parses a header value: `<URI>`, `Name Words <URI>` or
    /// `"Quoted name" <URI>`. Tolerates what peers send: any text before the
    /// `<` as an unquoted display name (sipsimple never quotes), spaces or
    /// none between a quoted name and `<`, and spaces after `>`.
    pub fn parse(value: &str) -> Result<Self, ValueError> {
        let value = value.trim_matches([' ', '\t']);
        let (display_name, rest) = if value.starts_with('"') {
            let (name, rest) = unquote(value)?;
            (Some(name), rest.trim_start_matches([' ', '\t']))
        } else {
            let at = value.find('<').ok_or(ValueError::Address)?;
            let name = value[..at].trim_end_matches([' ', '\t']);
            (Some(name.to_owned()), &value[at..])
        };
        let uri = rest
            .strip_prefix('<')
            .and_then(|r| r.strip_suffix('>'))
            .ok_or(ValueError::Address)?;
        Self::new(display_name.as_deref(), uri)
    }

    /// The display name, if any.
    pub fn display_name(&self) -> Option<&str> {
        self.display_name.as_deref()
    }

    /// The URI, without the angle brackets.
    pub fn uri(&self) -> &str {
        &self.uri
    }

    /// The URI scheme (`sip`, `im`, `tel`, …).
    pub fn scheme(&self) -> &str {
        self.uri.split_once(':').map_or("", |(s, _)| s)
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.display_name {
            None => {}
            Some(name) if is_words(name) => write!(f, "{name} ")?,
            Some(name) => {
                let mut quoted = String::new();
                quote(name, &mut quoted);
                f.write_str(&quoted)?;
            }
        }
        write!(f, "<{}>", self.uri)
    }
}

/// `1*( Token SP )` without the last space: words of token characters
/// separated by single spaces.
fn is_words(s: &str) -> bool {
    s.split(' ').all(is_token)
}

/// A Subject header (§4.5): text, optionally tagged with a language
/// (`Subject:;lang=fr beau temps`). A message may carry one per language.
/// The text is kept as written.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Subject {
    lang: Option<String>,
    text: String,
}

impl Subject {
    /// A subject; `text` must not contain control characters or start with
    /// white space, `lang` must be a language tag.
    pub fn new(text: &str, lang: Option<&str>) -> Result<Self, ValueError> {
        check_free_text(text)?;
        if let Some(lang) = lang {
            check_language_tag(lang)?;
        }
        Ok(Self {
            lang: lang.map(str::to_owned),
            text: text.to_owned(),
        })
    }

    /// The language tag, if any.
    pub fn lang(&self) -> Option<&str> {
        self.lang.as_deref()
    }

    /// The text.
    pub fn text(&self) -> &str {
        &self.text
    }
}

/// `Language-tag` as RFC 3066 (cited by §3.3) has it: `1*8ALPHA *("-"
/// 1*8alphanum)`.
fn check_language_tag(tag: &str) -> Result<(), ValueError> {
    let mut parts = tag.split('-');
    let primary = parts.next().unwrap_or_default();
    let ok = (1..=8).contains(&primary.len())
        && primary.chars().all(|c| c.is_ascii_alphabetic())
        && parts
            .all(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()));
    if ok {
        Ok(())
    } else {
        Err(ValueError::LanguageTag(tag.to_owned()))
    }
}

fn check_free_text(text: &str) -> Result<(), ValueError> {
    check_value(text)?;
    if text.starts_with([' ', '\t']) {
        return Err(ValueError::LeadingWhitespace);
    }
    Ok(())
}

/// An NS header (§4.6): binds `prefix` to a namespace URI for the headers
/// that follow it; without a prefix it rebinds the default namespace.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Namespace {
    prefix: Option<String>,
    uri: String,
}

impl Namespace {
    /// A namespace declaration; `prefix` must be a `Name`.
    pub fn new(prefix: Option<&str>, uri: &str) -> Result<Self, ValueError> {
        if prefix.is_some_and(|p| !is_name(p)) {
            return Err(ValueError::Namespace);
        }
        check_uri(uri)?;
        Ok(Self {
            prefix: prefix.map(str::to_owned),
            uri: uri.to_owned(),
        })
    }

    /// Parses `[prefix SP] <URI>`.
    pub fn parse(value: &str) -> Result<Self, ValueError> {
        let value = value.trim_matches([' ', '\t']);
        let (prefix, rest) = match value.find('<') {
            Some(0) => (None, value),
            Some(at) => (
                Some(value[..at].trim_end_matches([' ', '\t'])),
                &value[at..],
            ),
            None => return Err(ValueError::Namespace),
        };
        let uri = rest
            .strip_prefix('<')
            .and_then(|r| r.strip_suffix('>'))
            .ok_or(ValueError::Namespace)?;
        Self::new(prefix, uri)
    }

    /// The prefix, or `None` for the default namespace.
    pub fn prefix(&self) -> Option<&str> {
        self.prefix.as_deref()
    }

    /// The namespace URI.
    pub fn uri(&self) -> &str {
        &self.uri
    }
}

/// A header outside the typed set: prefixed (`imdn.Message-ID`), unknown, or
/// in a namespace other than the default. Kept in order, with its
/// parameters and its value as written.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Extension {
    name: HeaderName,
    params: Vec<Param>,
    value: String,
}

impl Extension {
    /// An extension header; `value` must not contain control characters or
    /// start with white space.
    pub fn new(name: HeaderName, value: &str) -> Result<Self, ValueError> {
        check_free_text(value)?;
        Ok(Self {
            name,
            params: Vec::new(),
            value: value.to_owned(),
        })
    }

    /// Adds a parameter.
    pub fn with_param(mut self, param: Param) -> Self {
        self.params.push(param);
        self
    }

    /// The header name.
    pub fn name(&self) -> &HeaderName {
        &self.name
    }

    /// The parameters, in order.
    pub fn params(&self) -> &[Param] {
        &self.params
    }

    /// The value as written.
    pub fn value(&self) -> &str {
        &self.value
    }
}

/// One message header, typed where RFC 3862 defines it.
///
/// The typed variants are recognised only in the default namespace
/// ([`CORE_NAMESPACE`], unprefixed names); the same names elsewhere are
/// [`Header::Extension`]s. Names are matched regardless of case and written
/// exactly as RFC 3862 spells them, and sipsimple's `Required` is read as
/// `Require`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Header {
    /// `From` (§4.1).
    From(Address),
    /// `To` (§4.2), one per recipient.
    To(Address),
    /// `cc` (§4.3), one per courtesy recipient.
    Cc(Address),
    /// `DateTime` (§4.4).
    DateTime(DateTime),
    /// `Subject` (§4.5), one per language.
    Subject(Subject),
    /// `NS` (§4.6).
    Ns(Namespace),
    /// `Require` (§4.7): headers the recipient must understand.
    Require(Vec<HeaderName>),
    /// Any other header.
    Extension(Extension),
}

impl Header {
    /// A `Require` header; fails on an empty list.
    pub fn require(names: Vec<HeaderName>) -> Result<Self, ValueError> {
        if names.is_empty() {
            return Err(ValueError::Require);
        }
        Ok(Self::Require(names))
    }

    /// Parses one header line (without its line end, with a colon).
    /// `default_is_core` says whether unprefixed names are in
    /// [`CORE_NAMESPACE`] at this point. Errors carry the header name.
    pub(crate) fn parse_line(
        line: &str,
        default_is_core: bool,
    ) -> Result<Self, (String, ValueError)> {
        let (raw_name, mut rest) = line.split_once(':').unwrap_or((line, ""));
        let fail = |e| (raw_name.to_owned(), e);
        let name = HeaderName::parse(raw_name).map_err(fail)?;
        let mut params = Vec::new();
        while let Some(after) = rest.strip_prefix(';') {
            let (param, after) = parse_param(after).map_err(fail)?;
            params.push(param);
            rest = after;
        }
        let value = rest.trim_start_matches([' ', '\t']);
        if !params.is_empty() && value.len() == rest.len() && !rest.is_empty() {
            return Err(fail(ValueError::MissingSpace));
        }
        check_value(value).map_err(fail)?;
        let typed =
            name.prefix().is_none() && (default_is_core || name.name().eq_ignore_ascii_case("NS"));
        let kind = if typed {
            name.name().to_ascii_lowercase()
        } else {
            String::new()
        };
        let no_params = |h: Self| {
            if let Some(p) = params.first() {
                Err(ValueError::UnexpectedParameter(p.name().to_owned()))
            } else {
                Ok(h)
            }
        };
        let header = match kind.as_str() {
            "from" => Address::parse(value).map(Header::From).and_then(no_params),
            "to" => Address::parse(value).map(Header::To).and_then(no_params),
            "cc" => Address::parse(value).map(Header::Cc).and_then(no_params),
            "datetime" => DateTime::parse(value)
                .map(Header::DateTime)
                .and_then(no_params),
            "ns" => Namespace::parse(value).map(Header::Ns).and_then(no_params),
            "require" | "required" => parse_require(value).and_then(no_params),
            "subject" => parse_subject(value, &params),
            _ => Ok(Self::Extension(Extension {
                name,
                params,
                value: value.to_owned(),
            })),
        };
        header.map_err(fail)
    }

    fn write_to(&self, out: &mut String) {
        // Writing to a String cannot fail.
        let _ = match self {
            Self::From(a) => write!(out, "From: {a}"),
            Self::To(a) => write!(out, "To: {a}"),
            Self::Cc(a) => write!(out, "cc: {a}"),
            Self::DateTime(d) => write!(out, "DateTime: {d}"),
            Self::Subject(s) => match &s.lang {
                Some(lang) => write!(out, "Subject:;lang={lang} {}", s.text),
                None => write!(out, "Subject: {}", s.text),
            },
            Self::Ns(ns) => match &ns.prefix {
                Some(prefix) => write!(out, "NS: {prefix} <{}>", ns.uri),
                None => write!(out, "NS: <{}>", ns.uri),
            },
            Self::Require(names) => {
                out.push_str("Require: ");
                for (i, name) in names.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    let _ = write!(out, "{name}");
                }
                Ok(())
            }
            Self::Extension(e) => {
                let _ = write!(out, "{}:", e.name);
                for p in &e.params {
                    let _ = write!(out, "{p}");
                }
                write!(out, " {}", e.value)
            }
        };
    }
}

impl fmt::Display for Header {
    /// The header line as sent, without its line end.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut line = String::new();
        self.write_to(&mut line);
        f.write_str(&line)
    }
}

/// `Param-name "=" (Token / Number / String)`, after the `;`.
fn parse_param(s: &str) -> Result<(Param, &str), ValueError> {
    let (name, rest) = s.split_once('=').ok_or(ValueError::Parameter)?;
    if !is_name(name) {
        return Err(ValueError::Parameter);
    }
    let (value, rest) = if rest.starts_with('"') {
        unquote(rest)?
    } else {
        let end = rest.find(|c| !is_token_char(c)).unwrap_or(rest.len());
        if end == 0 {
            return Err(ValueError::Parameter);
        }
        (rest[..end].to_owned(), &rest[end..])
    };
    Ok((
        Param {
            name: name.to_owned(),
            value,
        },
        rest,
    ))
}

fn parse_subject(value: &str, params: &[Param]) -> Result<Header, ValueError> {
    let mut lang = None;
    for p in params {
        if p.name().eq_ignore_ascii_case("lang") && lang.is_none() {
            lang = Some(p.value());
        } else {
            return Err(ValueError::UnexpectedParameter(p.name().to_owned()));
        }
    }
    Subject::new(value, lang).map(Header::Subject)
}

fn parse_require(value: &str) -> Result<Header, ValueError> {
    let names = value
        .split(',')
        .map(|n| HeaderName::parse(n.trim_matches([' ', '\t'])))
        .collect::<Result<Vec<_>, _>>()?;
    Header::require(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<Header, (String, ValueError)> {
        Header::parse_line(line, true)
    }

    #[test]
    fn typed_headers_print_as_parsed() {
        for line in [
            "From: MR SANDERS <im:piglet@100akerwood.com>",
            "To: <sip:bob@example.com>",
            "cc: \"Winnie the Pooh (bear)\"<im:pooh@100akerwood.com>",
            "DateTime: 2000-12-13T13:40:00-08:00",
            "Subject: the weather will be fine today",
            "Subject:;lang=fr beau temps prevu pour aujourd'hui",
            "NS: MyFeatures <mid:MessageFeatures@id.foo.com>",
            "NS: <urn:example:other>",
            "Require: MyFeatures.VitalMessageOption,Other",
            "MyFeatures.WackyMessageOption: Use-silly-font",
            "X-Unknown:;a=b;c=\"d e\" value",
        ] {
            assert_eq!(parse(line).unwrap().to_string(), line);
        }
    }

    #[test]
    fn tolerates_what_peers_send() {
        let cases = [
            ("Required: a,b", "Require: a,b"),
            ("Require: a , b", "Require: a,b"),
            (
                "From: Alice (home) <sip:alice@example.com>",
                "From: \"Alice (home)\"<sip:alice@example.com>",
            ),
            ("from:<sip:a@b>  ", "From: <sip:a@b>"),
            ("To: \"Bob\" <tel:+15551234>", "To: Bob <tel:+15551234>"),
            ("CC: \"\" <im:x@y>", "cc: <im:x@y>"),
            ("Subject:;LANG=en-GB  hello", "Subject:;lang=en-GB hello"),
        ];
        for (line, printed) in cases {
            assert_eq!(parse(line).unwrap().to_string(), printed, "{line}");
        }
        let h = parse("From: Zoë Ĳssel <im:zoe@example.com>").unwrap();
        let Header::From(a) = h else { panic!() };
        assert_eq!(a.display_name(), Some("Zoë Ĳssel"));
        assert_eq!(a.scheme(), "im");
    }

    #[test]
    fn typed_names_only_in_the_default_namespace() {
        let h = Header::parse_line("From: not an address", false).unwrap();
        assert!(matches!(h, Header::Extension(_)));
        let h = Header::parse_line("NS: p <urn:x>", false).unwrap();
        assert!(matches!(h, Header::Ns(_)));
        assert!(matches!(parse("p.From: x"), Ok(Header::Extension(_))));
    }

    #[test]
    fn says_what_is_wrong() {
        let cases: [(&str, ValueError); 9] = [
            ("From: sip:a@b", ValueError::Address),
            ("To: Bob <bob>", ValueError::Uri("bob".into())),
            ("a.b.c: x", ValueError::HeaderName("a.b.c".into())),
            ("Sub ject: x", ValueError::HeaderName("Sub ject".into())),
            ("Subject:;lang=f_r x", ValueError::LanguageTag("f_r".into())),
            ("Subject:;lang x", ValueError::Parameter),
            (
                "From:;x=y <sip:a@b>",
                ValueError::UnexpectedParameter("x".into()),
            ),
            ("X:;a=bc\"d", ValueError::MissingSpace),
            ("Require: ", ValueError::HeaderName(String::new())),
        ];
        for (line, error) in cases {
            assert_eq!(parse(line).map_err(|e| e.1), Err(error), "{line}");
        }
        assert_eq!(
            parse("X: a\u{7}b").map_err(|e| e.1),
            Err(ValueError::ControlCharacter('\u{7}'))
        );
    }

    #[test]
    fn constructors_refuse_what_cannot_be_sent() {
        assert!(Extension::new(HeaderName::new("X").unwrap(), " x").is_err());
        assert!(Subject::new("a\nb", None).is_err());
        assert!(Header::require(vec![]).is_err());
        assert!(Namespace::new(Some("a b"), "urn:x").is_err());
        // Any display name can be sent: what is not words is quoted.
        let a = Address::new(Some(" line\nbreak "), "sip:a@b").unwrap();
        assert_eq!(Address::parse(&a.to_string()).unwrap(), a);
    }
}
