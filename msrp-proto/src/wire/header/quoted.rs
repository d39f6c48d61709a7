//! Tokens, quoted strings and parameters (RFC 4975 §9 `token`,
//! `quoted-string`, `utf8text`, `gen-param`): the one copy of these rules that
//! every header parser shares.
//!
//! Scanners work on the bytes of a `&str` and only ever slice it next to an
//! ASCII delimiter (through `str::get`), so no input can split a UTF-8
//! character or panic.

use crate::wire::HeaderError;
use std::borrow::Cow;

/// Whether `b` is a `token` character (RFC 4975 §9):
/// `%x21 / %x23-27 / %x2A-2B / %x2D-2E / %x30-39 / %x41-5A / %x5E-7E`.
pub(crate) fn is_token_char(b: u8) -> bool {
    TOKEN_CHARS[usize::from(b)]
}

/// [`is_token_char`] as a table: one load per byte instead of a chain of
/// range tests, in the loops that check every header name.
static TOKEN_CHARS: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = matches!(
            b as u8,
            0x21 | 0x23..=0x27 | 0x2A..=0x2B | 0x2D..=0x2E | 0x30..=0x39 | 0x41..=0x5A | 0x5E..=0x7E
        );
        b += 1;
    }
    table
};

/// Whether `s` is one whole `token`.
pub(crate) fn is_token(s: &str) -> bool {
    scan_token(s, 0).is_some_and(|(end, _)| end == s.len())
}

/// Whether `s` is `utf8text` (RFC 4975 §9): HTAB, printable ASCII or
/// non-ASCII, no other control character. The same set is what a
/// quoted-string can carry once `\` and `"` are escaped.
pub(crate) fn is_utf8text(s: &str) -> bool {
    // A &str is valid UTF-8, so every byte >= 0x80 belongs to a UTF8-NONASCII
    // sequence.
    s.bytes()
        .all(|b| b == b'\t' || (0x20..=0x7E).contains(&b) || b >= 0x80)
}

/// The position after any SP / HTAB starting at `pos`.
pub(crate) fn skip_ows(bytes: &[u8], pos: usize) -> usize {
    let run = bytes.get(pos..).map_or(0, |rest| {
        rest.iter()
            .take_while(|&&b| b == b' ' || b == b'\t')
            .count()
    });
    pos + run
}

/// Scans a non-empty token starting at `pos`: its end and its text.
pub(crate) fn scan_token(s: &str, pos: usize) -> Option<(usize, &str)> {
    let run = s
        .as_bytes()
        .get(pos..)?
        .iter()
        .take_while(|&&b| is_token_char(b))
        .count();
    if run == 0 {
        return None;
    }
    let end = pos + run;
    Some((end, s.get(pos..end)?))
}

/// Scans a `quoted-string` whose opening DQUOTE is at `pos`: the position
/// after the closing DQUOTE and the unescaped content (borrowed when there
/// was nothing to unescape).
///
/// `qdtext = SP / HTAB / %x21 / %x23-5B / %x5D-7E / UTF8-NONASCII` and
/// `qd-esc = "\" ("\" / DQUOTE)`; any other escape, a control character or a
/// missing closing DQUOTE fails.
pub(crate) fn scan_quoted(s: &str, pos: usize) -> Option<(usize, Cow<'_, str>)> {
    let bytes = s.as_bytes();
    if bytes.get(pos) != Some(&b'"') {
        return None;
    }
    let mut owned: Option<String> = None;
    // Start of the text not yet copied into `owned`.
    let mut seg = pos + 1;
    let mut i = pos + 1;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'"' => {
                let tail = s.get(seg..i)?;
                let value = match owned {
                    Some(mut buf) => {
                        buf.push_str(tail);
                        Cow::Owned(buf)
                    }
                    None => Cow::Borrowed(tail),
                };
                return Some((i + 1, value));
            }
            b'\\' => {
                if !matches!(bytes.get(i + 1), Some(b'\\' | b'"')) {
                    return None;
                }
                owned
                    .get_or_insert_with(String::new)
                    .push_str(s.get(seg..i)?);
                // The escaped character starts the next segment.
                seg = i + 1;
                i += 2;
            }
            b'\t' | 0x20..=0x7E | 0x80..=0xFF => i += 1,
            _ => return None,
        }
    }
    None
}

/// Parses a whole value that must be exactly one quoted string, returning
/// its unescaped content.
pub(crate) fn parse_quoted_string(value: &str) -> Result<Cow<'_, str>, HeaderError> {
    match scan_quoted(value, 0) {
        Some((end, content)) if end == value.len() => Ok(content),
        _ => Err(HeaderError::QuotedString),
    }
}

/// Encodes `s` as a quoted-string, escaping `\` and `"`. The result is only
/// valid when [`is_utf8text`] holds for `s`.
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// One `name [OWS "=" OWS (token / quoted-string)]` parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Param<'a> {
    pub(crate) name: &'a str,
    /// Unescaped value, `None` when there is no `=`.
    pub(crate) value: Option<Cow<'a, str>>,
    /// Whether the value was a quoted-string.
    pub(crate) quoted: bool,
    /// Position after the parameter.
    pub(crate) end: usize,
}

/// Scans a parameter at `pos`. Whitespace around `=` is tolerated because
/// real peers send it, though RFC 4975 and RFC 2617 have none.
pub(crate) fn scan_param(s: &str, pos: usize) -> Option<Param<'_>> {
    let (name_end, name) = scan_token(s, pos)?;
    let bytes = s.as_bytes();
    let eq = skip_ows(bytes, name_end);
    if bytes.get(eq) != Some(&b'=') {
        return Some(Param {
            name,
            value: None,
            quoted: false,
            end: name_end,
        });
    }
    let at = skip_ows(bytes, eq + 1);
    let (end, value, quoted) = if bytes.get(at) == Some(&b'"') {
        let (end, value) = scan_quoted(s, at)?;
        (end, value, true)
    } else {
        let (end, value) = scan_token(s, at)?;
        (end, Cow::Borrowed(value), false)
    };
    Some(Param {
        name,
        value: Some(value),
        quoted,
        end,
    })
}

/// The `*( OWS ";" OWS param )` tail of a media type or disposition.
///
/// Yields `Err(())` once and stops at the first defect; trailing whitespace
/// is a defect (header values arrive trimmed). Each step consumes a `;`, so
/// iteration is bounded by the input length.
#[derive(Debug, Clone)]
pub(crate) struct SemicolonParams<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> SemicolonParams<'a> {
    /// Iterates over the parameters of `tail`, which is empty or starts with
    /// optional whitespace and a `;`.
    pub(crate) fn new(tail: &'a str) -> Self {
        Self { s: tail, pos: 0 }
    }
}

impl<'a> Iterator for SemicolonParams<'a> {
    type Item = Result<Param<'a>, ()>;

    fn next(&mut self) -> Option<Self::Item> {
        let bytes = self.s.as_bytes();
        if self.pos >= bytes.len() {
            return None;
        }
        let semi = skip_ows(bytes, self.pos);
        let param = if bytes.get(semi) == Some(&b';') {
            scan_param(self.s, skip_ows(bytes, semi + 1))
        } else {
            None
        };
        match param {
            Some(param) => {
                self.pos = param.end;
                Some(Ok(param))
            }
            None => {
                self.pos = bytes.len();
                Some(Err(()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_chars_follow_rfc_4975() {
        let token: Vec<u8> = (0u8..=255).filter(|&b| is_token_char(b)).collect();
        let mut want: Vec<u8> = vec![0x21];
        want.extend(0x23..=0x27);
        want.extend(0x2A..=0x2B);
        want.extend(0x2D..=0x2E);
        want.extend(0x30..=0x39);
        want.extend(0x41..=0x5A);
        want.extend(0x5E..=0x7E);
        assert_eq!(token, want);
        for b in [
            b' ', b'"', b'(', b')', b',', b'/', b':', b';', b'=', b'@', b'[',
        ] {
            assert!(!is_token_char(b), "{:?}", b as char);
        }
        assert!(is_token("a-b.c+d!~"));
        assert!(!is_token(""));
        assert!(!is_token("a b"));
        assert!(!is_token("é"));
    }

    #[test]
    fn quoted_strings() {
        let ok: &[(&str, &str, bool)] = &[
            (r#""""#, "", false),
            (r#""Alice""#, "Alice", false),
            ("\"a b\tc!#[]~\"", "a b\tc!#[]~", false),
            ("\"caf\u{e9} \u{1F600}\"", "caf\u{e9} \u{1F600}", false),
            (r#""say \"hi\"""#, r#"say "hi""#, true),
            (r#""back\\slash""#, r"back\slash", true),
            (r#""\\\"""#, r#"\""#, true),
        ];
        for &(input, want, owned) in ok {
            let got = parse_quoted_string(input).unwrap();
            assert_eq!(got, want, "{input:?}");
            assert_eq!(matches!(got, Cow::Owned(_)), owned, "{input:?}");
        }
        let bad = [
            "",
            "\"",
            "\"unterminated",
            r#""ends in escape\""#,
            r#""bad \n escape""#,
            "\"ctl \r\n\"",
            "\"del \x7f\"",
            r#""a" "#,
            r#" "a""#,
            r#""a"b"#,
            "plain",
        ];
        for input in bad {
            assert_eq!(
                parse_quoted_string(input),
                Err(HeaderError::QuotedString),
                "{input:?}"
            );
        }
    }

    #[test]
    fn quote_round_trips() {
        for s in [
            "",
            "plain",
            r#"a "quoted" \ word"#,
            "tab\there",
            "caf\u{e9}",
        ] {
            let encoded = quote(s);
            assert_eq!(parse_quoted_string(&encoded).unwrap(), s);
        }
        assert_eq!(quote(r#"a"b\c"#), r#""a\"b\\c""#);
    }

    #[test]
    fn utf8text() {
        assert!(is_utf8text("OK \t caf\u{e9} ~"));
        assert!(is_utf8text(""));
        for bad in ["a\r", "a\nb", "\0", "\x7f", "\x1b[0m"] {
            assert!(!is_utf8text(bad), "{bad:?}");
        }
    }

    #[test]
    fn params() {
        let p = scan_param("a = \"x y\" rest", 0).unwrap();
        assert_eq!(
            (p.name, p.value.as_deref(), p.quoted, p.end),
            ("a", Some("x y"), true, 9)
        );
        let p = scan_param("flag;b", 0).unwrap();
        assert_eq!((p.name, p.value, p.end), ("flag", None, 4));
        assert!(scan_param("=x", 0).is_none());
        assert!(scan_param("a=", 0).is_none());
        assert!(scan_param("a=\"open", 0).is_none());

        let all: Result<Vec<_>, ()> = SemicolonParams::new(" ; a=1 ;b;c=\"d\"").collect();
        let names: Vec<_> = all.unwrap().into_iter().map(|p| p.name).collect();
        assert_eq!(names, ["a", "b", "c"]);
        for bad in [";", "; ", ";a ", "a", ";a b", ";;a", ";a=", ";=x"] {
            let got: Result<Vec<_>, ()> = SemicolonParams::new(bad).collect();
            assert!(got.is_err(), "{bad:?}");
        }
        assert_eq!(SemicolonParams::new("").count(), 0);
    }

    proptest::proptest! {
        #[test]
        fn quote_then_parse_is_identity(s in "[ -~\t\u{80}-\u{10FFFF}]{0,16}") {
            let encoded = quote(&s);
            proptest::prop_assert_eq!(parse_quoted_string(&encoded), Ok(Cow::Borrowed(s.as_str())));
        }

        #[test]
        fn scanners_never_panic(s in "[\"\\\\a; =\t\u{e9}]{0,16}|\\PC{0,16}", pos in 0usize..20) {
            let _ = parse_quoted_string(&s);
            let _ = scan_quoted(&s, pos);
            let _ = scan_param(&s, pos);
            let _ = SemicolonParams::new(&s).count();
        }
    }
}
