//! Content-Type media types (RFC 4975 §9 `media-type`) and accept-types
//! matching (RFC 4975 §8.6).
//!
//! `media-type = type "/" subtype *( ";" gen-param )`,
//! `gen-param = pname [ "=" pval ]`, `pval = token / quoted-string`.
//! Whitespace around `;` and `=` is tolerated (`text/plain; charset=UTF-8`
//! is common on the wire).

use crate::wire::HeaderError;
use crate::wire::header::quoted::{SemicolonParams, is_token_char, scan_token};
use std::borrow::Cow;
use std::fmt;

/// A parsed media type, borrowing from the header value.
///
/// ```
/// use msrp_proto::wire::MediaType;
/// let mt = MediaType::parse("text/plain; charset=\"UTF-8\"").unwrap();
/// assert_eq!(mt.essence(), "text/plain");
/// assert_eq!(mt.param("CHARSET").as_deref(), Some("UTF-8"));
/// assert!(mt.matches("text/*"));
/// assert!(mt.matches_any(["message/cpim", "TEXT/PLAIN"]));
/// assert!(!mt.matches("text/html"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MediaType<'a> {
    raw: &'a str,
    main: &'a str,
    sub: &'a str,
    /// The `*( ";" gen-param )` tail, already validated.
    params: &'a str,
}

impl<'a> MediaType<'a> {
    /// Parses a Content-Type value.
    pub fn parse(value: &'a str) -> Result<Self, HeaderError> {
        let (main_end, main) = scan_token(value, 0).ok_or(HeaderError::MediaType)?;
        if value.as_bytes().get(main_end) != Some(&b'/') {
            return Err(HeaderError::MediaType);
        }
        let (sub_end, sub) = scan_token(value, main_end + 1).ok_or(HeaderError::MediaType)?;
        let params = value.get(sub_end..).ok_or(HeaderError::MediaType)?;
        if SemicolonParams::new(params).any(|p| p.is_err()) {
            return Err(HeaderError::MediaType);
        }
        Ok(Self {
            raw: value,
            main,
            sub,
            params,
        })
    }

    /// Whether `value` is a bare `type/subtype`, without parameters: a
    /// value [`parse`](Self::parse) accepts, checked without making a
    /// `&str` of it (benches/parse.rs, small_chunk).
    pub(crate) fn is_bare(value: &[u8]) -> bool {
        // The type of nearly every chat message, known bare at the cost of
        // one compare instead of a check per byte (benches/parse.rs,
        // small_chunk).
        if value == b"text/plain" {
            return true;
        }
        let token = |s: &[u8]| !s.is_empty() && s.iter().all(|&b| is_token_char(b));
        // '/' is no token character, so the first one splits the value.
        match value.iter().position(|&b| b == b'/') {
            Some(slash) => token(&value[..slash]) && token(&value[slash + 1..]),
            None => false,
        }
    }

    /// The whole value as written.
    pub fn as_str(&self) -> &'a str {
        self.raw
    }

    /// The type (`text` in `text/plain`), as written.
    pub fn main_type(&self) -> &'a str {
        self.main
    }

    /// The subtype (`plain` in `text/plain`), as written.
    pub fn subtype(&self) -> &'a str {
        self.sub
    }

    /// `type/subtype` without parameters, as written.
    pub fn essence(&self) -> &'a str {
        let len = self.main.len() + 1 + self.sub.len();
        self.raw.get(..len).unwrap_or(self.raw)
    }

    /// The parameters in order, with unescaped values (`None` for a
    /// parameter without `=`). Duplicates are kept.
    pub fn params(
        &self,
    ) -> impl Iterator<Item = (&'a str, Option<Cow<'a, str>>)> + Clone + use<'a> {
        SemicolonParams::new(self.params)
            .map_while(Result::ok)
            .map(|p| (p.name, p.value))
    }

    /// The value of the first parameter called `name` (ignoring ASCII case);
    /// `None` when there is none or it has no value.
    pub fn param(&self, name: &str) -> Option<Cow<'a, str>> {
        self.params()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .and_then(|(_, value)| value)
    }

    /// Whether an accept-types entry (RFC 4975 §8.6, §9 `format-entry`)
    /// covers this type: `*` matches anything, `type/*` any subtype of
    /// `type`, `type/subtype` exactly that; case-insensitive, parameters on
    /// either side ignored. `*/*` is read as `*`.
    pub fn matches(&self, pattern: &str) -> bool {
        let pattern = pattern.split_once(';').map_or(pattern, |(p, _)| p);
        let pattern = pattern.trim_matches([' ', '\t']);
        if pattern == "*" || pattern == "*/*" {
            return true;
        }
        let Some((main, sub)) = pattern.split_once('/') else {
            return false;
        };
        main.eq_ignore_ascii_case(self.main) && (sub == "*" || sub.eq_ignore_ascii_case(self.sub))
    }

    /// Whether any of the accept-types entries [matches](Self::matches).
    pub fn matches_any<I>(&self, patterns: I) -> bool
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        patterns.into_iter().any(|p| self.matches(p.as_ref()))
    }
}

impl fmt::Display for MediaType<'_> {
    /// Writes the value as received.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Params<'a> = Vec<(&'a str, Option<&'a str>)>;

    fn owned_params<'a>(mt: &MediaType<'a>) -> Vec<(&'a str, Option<String>)> {
        mt.params()
            .map(|(n, v)| (n, v.map(Cow::into_owned)))
            .collect()
    }

    proptest::proptest! {
        #[test]
        fn a_bare_type_is_one_that_parses_without_parameters(s in "[a-z!#*+./;= -]{0,12}|\\PC{0,12}") {
            let parses_bare = MediaType::parse(&s).is_ok_and(|mt| mt.params.is_empty());
            proptest::prop_assert_eq!(MediaType::is_bare(s.as_bytes()), parses_bare);
        }
    }

    #[test]
    fn valid_media_types() {
        let cases: &[(&str, &str, &str, Params<'_>)] = &[
            ("text/plain", "text", "plain", vec![]),
            ("message/cpim", "message", "cpim", vec![]),
            ("TEXT/Plain", "TEXT", "Plain", vec![]),
            (
                "text/plain;charset=utf-8",
                "text",
                "plain",
                vec![("charset", Some("utf-8"))],
            ),
            (
                "text/plain; charset=UTF-8",
                "text",
                "plain",
                vec![("charset", Some("UTF-8"))],
            ),
            (
                "text/plain ;\tcharset = \"UTF-8\" ; format=flowed",
                "text",
                "plain",
                vec![("charset", Some("UTF-8")), ("format", Some("flowed"))],
            ),
            (
                "application/x-foo;flag;name=\"a \\\"b\\\" c\"",
                "application",
                "x-foo",
                vec![("flag", None), ("name", Some("a \"b\" c"))],
            ),
            (
                "text/plain;a=1;A=2",
                "text",
                "plain",
                vec![("a", Some("1")), ("A", Some("2"))],
            ),
            (
                "text/plain;q=\"caf\u{e9}\"",
                "text",
                "plain",
                vec![("q", Some("caf\u{e9}"))],
            ),
        ];
        for (input, main, sub, params) in cases {
            let mt = MediaType::parse(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
            assert_eq!((mt.main_type(), mt.subtype()), (*main, *sub), "{input:?}");
            assert_eq!(mt.essence(), format!("{main}/{sub}"));
            let want: Vec<_> = params
                .iter()
                .map(|&(n, v)| (n, v.map(str::to_owned)))
                .collect();
            assert_eq!(owned_params(&mt), want, "{input:?}");
            // Round trip.
            let text = mt.to_string();
            assert_eq!(MediaType::parse(&text), Ok(mt));
        }
    }

    #[test]
    fn invalid_media_types() {
        for input in [
            "",
            "text",
            "text/",
            "/plain",
            "text/plain;",
            "text/plain; ",
            "text/plain;=x",
            "text/plain;a=",
            "text/plain;a=\"open",
            "text/plain;a=\"bad\\q\"",
            "text/plain;a=b c",
            "text/plain a=b",
            "text/plain,text/html",
            "text/plain ",
            " text/plain",
            "text /plain",
            "text/ plain",
            "text/pl\u{e9}in",
            "te\"xt/plain",
            "text/plain/x",
            "text/plain;;a=b",
        ] {
            assert_eq!(
                MediaType::parse(input),
                Err(HeaderError::MediaType),
                "{input:?}"
            );
        }
    }

    #[test]
    fn param_lookup() {
        let mt = MediaType::parse("text/plain;Charset=\"x\";flag;charset=y").unwrap();
        assert_eq!(mt.param("charset").as_deref(), Some("x"));
        assert!(matches!(mt.param("charset"), Some(Cow::Borrowed(_))));
        assert_eq!(mt.param("flag"), None);
        assert_eq!(mt.param("missing"), None);
    }

    #[test]
    fn accept_types_matching() {
        let mt = MediaType::parse("text/plain;charset=utf-8").unwrap();
        for (pattern, want) in [
            ("*", true),
            ("*/*", true),
            ("text/*", true),
            ("TEXT/*", true),
            ("text/plain", true),
            ("Text/Plain", true),
            ("text/plain;charset=latin1", true),
            ("text/html", false),
            ("message/*", false),
            ("text", false),
            ("*/plain", false),
            ("text/plai", false),
            ("", false),
        ] {
            assert_eq!(mt.matches(pattern), want, "{pattern:?}");
        }
        assert!(mt.matches_any(["message/cpim", "text/*"]));
        assert!(mt.matches_any(vec![String::from("text/plain")]));
        assert!(!mt.matches_any(["message/cpim"]));
        assert!(!mt.matches_any::<[&str; 0]>([]));
    }

    proptest::proptest! {
        #[test]
        fn never_panics(s in "[a-z]{1,3}/[a-z]{1,3}[;= \t\"\\\\a-b\u{e9}]{0,16}|\\PC{0,16}") {
            if let Ok(mt) = MediaType::parse(&s) {
                let _ = mt.params().count();
                let _ = mt.matches(&s);
            }
        }
    }
}
