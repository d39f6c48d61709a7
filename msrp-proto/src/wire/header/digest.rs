//! Digest parameter lists of WWW-Authenticate, Authorization and
//! Authentication-Info (RFC 4976 §5, RFC 2617 §3.2).
//!
//! `challenge = "Digest" 1*WSP param *(OWS "," OWS param)` and
//! `auth-param = token "=" ( token / quoted-string )`. Whitespace around `,`
//! and `=` is tolerated; empty list elements are not.

use crate::wire::HeaderError;
use crate::wire::header::quoted::{is_token, is_utf8text, quote, scan_param, scan_token, skip_ows};

/// An ordered list of digest parameters: name, unescaped value, and whether
/// the value was (or is to be) a quoted-string. Duplicates are kept in
/// order.
///
/// ```
/// use msrp_proto::wire::DigestParams;
/// let p = DigestParams::parse_with_scheme(r#"Digest realm="example.com", qop=auth"#).unwrap();
/// assert_eq!(p.get("REALM"), Some("example.com"));
/// assert_eq!(p.to_header_value_with_scheme(), r#"Digest realm="example.com", qop=auth"#);
///
/// let mut info = DigestParams::new();
/// info.push("rspauth", "1ff1a9e5", true).unwrap();
/// info.push("nc", "00000001", false).unwrap();
/// assert_eq!(info.to_header_value(), r#"rspauth="1ff1a9e5", nc=00000001"#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DigestParams {
    params: Vec<(String, String, bool)>,
}

impl DigestParams {
    /// An empty list, to be filled with [`push`](Self::push).
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses `Digest name=value, ...` (WWW-Authenticate, Authorization).
    ///
    /// The scheme matches ignoring ASCII case; another scheme gives
    /// [`HeaderError::DigestScheme`], no parameters
    /// [`HeaderError::DigestParams`].
    pub fn parse_with_scheme(value: &str) -> Result<Self, HeaderError> {
        let scheme_end = match scan_token(value, 0) {
            Some((end, scheme)) if scheme.eq_ignore_ascii_case("Digest") => end,
            _ => return Err(HeaderError::DigestScheme),
        };
        let params_start = skip_ows(value.as_bytes(), scheme_end);
        if params_start == scheme_end {
            // Not separated from what follows: `Digest` alone, or not a scheme.
            return Err(if scheme_end == value.len() {
                HeaderError::DigestParams
            } else {
                HeaderError::DigestScheme
            });
        }
        Self::parse_from(value, params_start)
    }

    /// Parses `name=value, ...` (Authentication-Info).
    pub fn parse_list(value: &str) -> Result<Self, HeaderError> {
        Self::parse_from(value, 0)
    }

    fn parse_from(value: &str, mut pos: usize) -> Result<Self, HeaderError> {
        let bytes = value.as_bytes();
        let mut params = Vec::new();
        // Each round consumes a parameter and a comma, so it ends.
        loop {
            let param = scan_param(value, pos).ok_or(HeaderError::DigestParams)?;
            let param_value = param.value.ok_or(HeaderError::DigestParams)?;
            params.push((
                param.name.to_owned(),
                param_value.into_owned(),
                param.quoted,
            ));
            if param.end == bytes.len() {
                return Ok(Self { params });
            }
            let comma = skip_ows(bytes, param.end);
            if bytes.get(comma) != Some(&b',') {
                return Err(HeaderError::DigestParams);
            }
            pos = skip_ows(bytes, comma + 1);
        }
    }

    /// Appends a parameter. `name` must be a token; `value` must be a
    /// non-empty token when `quoted` is false, and free of control
    /// characters (HTAB aside) when it is true. Otherwise nothing is added
    /// and [`HeaderError::DigestParams`] is returned, so every list encodes
    /// to a value that parses back to it.
    pub fn push(
        &mut self,
        name: impl Into<String>,
        value: impl Into<String>,
        quoted: bool,
    ) -> Result<(), HeaderError> {
        let (name, value) = (name.into(), value.into());
        let value_ok = if quoted {
            is_utf8text(&value)
        } else {
            is_token(&value)
        };
        if !is_token(&name) || !value_ok {
            return Err(HeaderError::DigestParams);
        }
        self.params.push((name, value, quoted));
        Ok(())
    }

    /// The (unescaped) value of the first parameter called `name`, ignoring
    /// ASCII case.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, value, _)| value.as_str())
    }

    /// The parameters in order: name, unescaped value, whether quoted.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &str, bool)> {
        self.params
            .iter()
            .map(|(name, value, quoted)| (name.as_str(), value.as_str(), *quoted))
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.params.is_empty()
    }

    /// Number of parameters.
    pub fn len(&self) -> usize {
        self.params.len()
    }

    /// Encodes `Digest name=value, ...` (WWW-Authenticate, Authorization).
    /// An empty list encodes to `Digest`, which does not parse.
    pub fn to_header_value_with_scheme(&self) -> String {
        let list = self.to_header_value();
        if list.is_empty() {
            "Digest".to_owned()
        } else {
            format!("Digest {list}")
        }
    }

    /// Encodes `name=value, ...` (Authentication-Info), quoting and escaping
    /// the values flagged as quoted.
    pub fn to_header_value(&self) -> String {
        let mut out = String::new();
        for (i, (name, value, quoted)) in self.params.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            out.push_str(name);
            out.push('=');
            if *quoted {
                out.push_str(&quote(value));
            } else {
                out.push_str(value);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHALLENGE: &str = r#"Digest realm="intra.example.com", qop="auth", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093""#;
    const CREDENTIALS: &str = r#"Digest username="Alice", realm="intra.example.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", qop=auth, nc=00000001, cnonce="0a4f113b", response="6629fae49393a05397450978507c4ef1""#;
    const INFO: &str =
        r#"rspauth="1ff1a9e5a8b8a7f6e5d4c3b2a1f0e9d8", qop=auth, cnonce="0a4f113b", nc=00000001"#;

    fn list(p: &DigestParams) -> Vec<(&str, &str, bool)> {
        p.iter().collect()
    }

    #[test]
    fn rfc_examples() {
        let p = DigestParams::parse_with_scheme(CHALLENGE).unwrap();
        assert_eq!(
            list(&p),
            [
                ("realm", "intra.example.com", true),
                ("qop", "auth", true),
                ("nonce", "dcd98b7102dd2f0e8b11d0f600bfb0c093", true),
            ]
        );
        assert_eq!(p.to_header_value_with_scheme(), CHALLENGE);

        let p = DigestParams::parse_with_scheme(CREDENTIALS).unwrap();
        assert_eq!(p.len(), 7);
        assert_eq!(p.get("username"), Some("Alice"));
        assert_eq!(p.get("QOP"), Some("auth"));
        assert_eq!(p.get("nc"), Some("00000001"));
        assert_eq!(p.get("response"), Some("6629fae49393a05397450978507c4ef1"));
        assert_eq!(p.get("opaque"), None);
        assert_eq!(p.to_header_value_with_scheme(), CREDENTIALS);

        let p = DigestParams::parse_list(INFO).unwrap();
        assert_eq!(
            list(&p),
            [
                ("rspauth", "1ff1a9e5a8b8a7f6e5d4c3b2a1f0e9d8", true),
                ("qop", "auth", false),
                ("cnonce", "0a4f113b", true),
                ("nc", "00000001", false),
            ]
        );
        assert_eq!(p.to_header_value(), INFO);
    }

    #[test]
    fn liberal_whitespace_and_case() {
        let p = DigestParams::parse_with_scheme("digest \t a = \"x\" ,b=y,\tc =z").unwrap();
        assert_eq!(
            list(&p),
            [("a", "x", true), ("b", "y", false), ("c", "z", false)]
        );
        let p = DigestParams::parse_with_scheme("DIGEST a=b").unwrap();
        assert_eq!(p.get("A"), Some("b"));
    }

    #[test]
    fn escapes_duplicates_and_round_trip() {
        let input = r#"Digest realm="a \"b\" \\ c", realm=second, empty="""#;
        let p = DigestParams::parse_with_scheme(input).unwrap();
        assert_eq!(p.get("realm"), Some(r#"a "b" \ c"#));
        assert_eq!(p.get("empty"), Some(""));
        assert_eq!(p.iter().filter(|(n, _, _)| *n == "realm").count(), 2);
        let encoded = p.to_header_value_with_scheme();
        assert_eq!(encoded, input);
        assert_eq!(DigestParams::parse_with_scheme(&encoded), Ok(p.clone()));
        assert_eq!(DigestParams::parse_list(&p.to_header_value()), Ok(p));
    }

    #[test]
    fn errors() {
        use HeaderError::{DigestParams as Params, DigestScheme as Scheme};
        for (input, want) in [
            ("", Scheme),
            ("Basic realm=\"x\"", Scheme),
            ("realm=\"x\"", Scheme),
            ("Digestive a=b", Scheme),
            ("Digest=a", Scheme),
            (" Digest a=b", Scheme),
            ("Digest", Params),
            ("Digest ", Params),
            ("Digest a", Params),
            ("Digest a=", Params),
            ("Digest =b", Params),
            ("Digest a=b,", Params),
            ("Digest a=b, ", Params),
            ("Digest a=b,,c=d", Params),
            ("Digest a=b c=d", Params),
            ("Digest a=b ", Params),
            ("Digest a=\"open", Params),
            ("Digest a=\"bad\\x\"", Params),
            ("Digest a=b;c=d", Params),
            ("Digest a=caf\u{e9}", Params),
        ] {
            assert_eq!(
                DigestParams::parse_with_scheme(input),
                Err(want),
                "{input:?}"
            );
        }
        for input in ["", " a=b", "a", "a=b,", "Digest a=b"] {
            assert_eq!(DigestParams::parse_list(input), Err(Params), "{input:?}");
        }
    }

    #[test]
    fn push_validates() {
        let mut p = DigestParams::new();
        assert!(p.is_empty());
        assert_eq!(p.to_header_value_with_scheme(), "Digest");
        p.push("realm", "a \"b\"", true).unwrap();
        p.push(String::from("algorithm"), "MD5", false).unwrap();
        p.push("empty", "", true).unwrap();
        for (name, value, quoted) in [
            ("bad name", "x", false),
            ("", "x", false),
            ("a", "", false),
            ("a", "two words", false),
            ("a", "crlf\r\nX: y", true),
        ] {
            assert_eq!(p.push(name, value, quoted), Err(HeaderError::DigestParams));
        }
        assert_eq!(p.len(), 3);
        let encoded = p.to_header_value_with_scheme();
        assert_eq!(
            encoded,
            r#"Digest realm="a \"b\"", algorithm=MD5, empty="""#
        );
        assert_eq!(DigestParams::parse_with_scheme(&encoded), Ok(p));
    }

    proptest::proptest! {
        #[test]
        fn parse_encode_parse_is_identity(s in "(Digest )?[a-c=, \t\"\\\\\u{e9}]{0,24}|\\PC{0,24}") {
            if let Ok(p) = DigestParams::parse_with_scheme(&s) {
                let again = DigestParams::parse_with_scheme(&p.to_header_value_with_scheme());
                proptest::prop_assert_eq!(again, Ok(p));
            }
            if let Ok(p) = DigestParams::parse_list(&s) {
                proptest::prop_assert_eq!(DigestParams::parse_list(&p.to_header_value()), Ok(p));
            }
        }
    }
}
