//! Content-Disposition (RFC 2183), as carried by MSRP chunks (for example in
//! file transfer, RFC 5547).
//!
//! `disposition-type *( ";" parameter )`, `parameter = attribute "=" value`
//! with a token or quoted-string value (RFC 2183 §2, RFC 2045 §5.1). Tokens
//! follow RFC 4975 §9, and whitespace around `;` and `=` is tolerated.

use crate::wire::HeaderError;
use crate::wire::header::quoted::{SemicolonParams, scan_token};
use std::borrow::Cow;
use std::fmt;

/// A parsed Content-Disposition value, borrowing from the header value.
///
/// ```
/// use msrp_proto::wire::Disposition;
/// let d = Disposition::parse("attachment; filename=\"My Photo.jpg\"; size=1024").unwrap();
/// assert_eq!(d.kind(), "attachment");
/// assert_eq!(d.filename().as_deref(), Some("My Photo.jpg"));
/// assert_eq!(d.param("SIZE").as_deref(), Some("1024"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Disposition<'a> {
    raw: &'a str,
    kind: &'a str,
    /// The `*( ";" parameter )` tail, already validated.
    params: &'a str,
}

impl<'a> Disposition<'a> {
    /// Parses a Content-Disposition value.
    pub fn parse(value: &'a str) -> Result<Self, HeaderError> {
        let (kind_end, kind) = scan_token(value, 0).ok_or(HeaderError::Disposition)?;
        let params = value.get(kind_end..).ok_or(HeaderError::Disposition)?;
        // RFC 2183 parameters always carry a value.
        let valid = SemicolonParams::new(params).all(|p| p.is_ok_and(|p| p.value.is_some()));
        if !valid {
            return Err(HeaderError::Disposition);
        }
        Ok(Self {
            raw: value,
            kind,
            params,
        })
    }

    /// The whole value as written.
    pub fn as_str(&self) -> &'a str {
        self.raw
    }

    /// The disposition type as written: `inline`, `attachment`, `render` or
    /// an extension token. Compare it ignoring ASCII case.
    pub fn kind(&self) -> &'a str {
        self.kind
    }

    /// The parameters in order, with unescaped values. Duplicates are kept.
    pub fn params(&self) -> impl Iterator<Item = (&'a str, Cow<'a, str>)> + Clone + use<'a> {
        SemicolonParams::new(self.params)
            .map_while(Result::ok)
            .filter_map(|p| Some((p.name, p.value?)))
    }

    /// The value of the first parameter called `name` (ignoring ASCII case).
    pub fn param(&self, name: &str) -> Option<Cow<'a, str>> {
        self.params()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, value)| value)
    }

    /// The `filename` parameter (RFC 2183 §2.3).
    pub fn filename(&self) -> Option<Cow<'a, str>> {
        self.param("filename")
    }
}

impl fmt::Display for Disposition<'_> {
    /// Writes the value as received.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Input, expected kind, expected parameters.
    type Case = (
        &'static str,
        &'static str,
        &'static [(&'static str, &'static str)],
    );

    #[test]
    fn valid_dispositions() {
        let cases: &[Case] = &[
            ("inline", "inline", &[]),
            ("render", "render", &[]),
            ("x-ext", "x-ext", &[]),
            ("ATTACHMENT", "ATTACHMENT", &[]),
            (
                "attachment; filename=\"file.jpg\"",
                "attachment",
                &[("filename", "file.jpg")],
            ),
            (
                "inline;filename=a.txt ;\tsize = 10",
                "inline",
                &[("filename", "a.txt"), ("size", "10")],
            ),
            (
                "attachment; filename=\"a \\\"quoted\\\" name\"",
                "attachment",
                &[("filename", "a \"quoted\" name")],
            ),
            (
                "attachment; filename=\"caf\u{e9}.txt\"; filename=other",
                "attachment",
                &[("filename", "caf\u{e9}.txt"), ("filename", "other")],
            ),
        ];
        for &(input, kind, params) in cases {
            let d = Disposition::parse(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
            assert_eq!(d.kind(), kind, "{input:?}");
            let got: Vec<_> = d.params().map(|(n, v)| (n, v.into_owned())).collect();
            let want: Vec<_> = params.iter().map(|&(n, v)| (n, v.to_owned())).collect();
            assert_eq!(got, want, "{input:?}");
            // Round trip.
            let text = d.to_string();
            assert_eq!(Disposition::parse(&text), Ok(d));
        }
    }

    #[test]
    fn invalid_dispositions() {
        for input in [
            "",
            " inline",
            "inline ",
            "inline;",
            "inline; ",
            "inline;filename",
            "inline;filename=",
            "inline;=x",
            "inline;filename=\"open",
            "inline;filename=a b",
            "inline filename=a",
            "in/line",
            "\"inline\"",
            "inl\u{e9}ne",
        ] {
            assert_eq!(
                Disposition::parse(input),
                Err(HeaderError::Disposition),
                "{input:?}"
            );
        }
    }

    #[test]
    fn param_lookup() {
        let d = Disposition::parse("attachment;FileName=\"a\";filename=b").unwrap();
        assert_eq!(d.filename().as_deref(), Some("a"));
        assert_eq!(d.param("missing"), None);
        assert_eq!(Disposition::parse("inline").unwrap().filename(), None);
    }

    proptest::proptest! {
        #[test]
        fn never_panics(s in "[a-z]{1,3}[;= \t\"\\\\a-b\u{e9}]{0,16}|\\PC{0,16}") {
            if let Ok(d) = Disposition::parse(&s) {
                proptest::prop_assert!(d.params().all(|(n, _)| !n.is_empty()));
            }
        }
    }
}
