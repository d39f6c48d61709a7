//! The character classes and the quoted `String` of RFC 3862 §3.6 and §2.3.

use super::error::ValueError;

/// `NAMECHAR` (§3.6): printable ASCII except SP and `"(),./:;<=>?@[\]{}`.
pub(crate) fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(c, '!' | '#'..='\'' | '*' | '+' | '-' | '^'..='`' | '|' | '~')
}

/// `TOKENCHAR` (§3.6): a `NAMECHAR`, `.` or any non-ASCII character.
pub(crate) fn is_token_char(c: char) -> bool {
    is_name_char(c) || c == '.' || !c.is_ascii()
}

/// `Name = 1*NAMECHAR`.
pub(crate) fn is_name(s: &str) -> bool {
    !s.is_empty() && s.chars().all(is_name_char)
}

/// `Token = 1*TOKENCHAR`.
pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty() && s.chars().all(is_token_char)
}

/// A character allowed in a header value as sent: anything but the ASCII
/// controls (HTAB is tolerated, as in MIME).
pub(crate) fn is_value_char(c: char) -> bool {
    c == '\t' || !(c.is_ascii_control())
}

/// Checks a header value: no line breaks or other controls.
pub(crate) fn check_value(s: &str) -> Result<(), ValueError> {
    match s.chars().find(|&c| !is_value_char(c)) {
        Some(c) => Err(ValueError::ControlCharacter(c)),
        None => Ok(()),
    }
}

/// Checks a URI as written between `<` and `>`: a scheme (RFC 3986
/// `ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )`), a colon and at least one
/// more character, none of them a space, a control, `<`, `>` or `"`.
pub(crate) fn check_uri(s: &str) -> Result<(), ValueError> {
    let Some((scheme, rest)) = s.split_once(':') else {
        return Err(ValueError::Uri(s.to_owned()));
    };
    let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    let rest_ok = !rest.is_empty()
        && rest
            .chars()
            .all(|c| !c.is_whitespace() && !c.is_control() && !matches!(c, '<' | '>' | '"'));
    if scheme_ok && rest_ok {
        Ok(())
    } else {
        Err(ValueError::Uri(s.to_owned()))
    }
}

/// Appends `s` as a `String` (§3.6): in double quotes, with `"` and `\`
/// escaped, controls as `\b \t \n \r` or `\uXXXX` (§2.3); other characters,
/// non-ASCII included, as they are.
pub(crate) fn quote(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c.is_ascii_control() => {
                out.push_str(&format!("\\u{:04X}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Reads a `String` at the start of `s` (which starts with `"`): returns its
/// unescaped content and the text after the closing quote. `\uXXXX` pairs
/// that form a UTF-16 surrogate pair are joined; a lone surrogate is an error.
pub(crate) fn unquote(s: &str) -> Result<(String, &str), ValueError> {
    let mut chars = s.char_indices();
    if chars.next().map(|(_, c)| c) != Some('"') {
        return Err(ValueError::UnterminatedString);
    }
    let mut out = String::new();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((out, &s[i + 1..])),
            '\\' => {
                let Some((_, e)) = chars.next() else { break };
                match e {
                    'b' => out.push('\u{8}'),
                    't' => out.push('\t'),
                    'n' => out.push('\n'),
                    'r' => out.push('\r'),
                    '"' | '\'' | '\\' => out.push(e),
                    'u' => {
                        let hi = hex4(&mut chars)?;
                        let c = if (0xD800..0xDC00).contains(&hi) {
                            // A high surrogate must be followed by `\u` and a low one.
                            let low = match (chars.next(), chars.next()) {
                                (Some((_, '\\')), Some((_, 'u'))) => hex4(&mut chars)?,
                                _ => return Err(ValueError::Escape),
                            };
                            if !(0xDC00..0xE000).contains(&low) {
                                return Err(ValueError::Escape);
                            }
                            0x10000 + ((hi - 0xD800) << 10) + (low - 0xDC00)
                        } else {
                            hi
                        };
                        out.push(char::from_u32(c).ok_or(ValueError::Escape)?);
                    }
                    _ => return Err(ValueError::Escape),
                }
            }
            c if c.is_ascii_control() && c != '\t' => {
                return Err(ValueError::ControlCharacter(c));
            }
            c => out.push(c),
        }
    }
    Err(ValueError::UnterminatedString)
}

fn hex4(chars: &mut std::str::CharIndices<'_>) -> Result<u32, ValueError> {
    let mut n = 0;
    for _ in 0..4 {
        let d = chars
            .next()
            .and_then(|(_, c)| c.to_digit(16))
            .ok_or(ValueError::Escape)?;
        n = n * 16 + d;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quoted(s: &str) -> String {
        let mut out = String::new();
        quote(s, &mut out);
        out
    }

    #[test]
    fn name_and_token_characters() {
        assert!(is_name("MyFeatures"));
        assert!(is_name("a!#$%&'*+-^_`|~9"));
        for bad in ["", "a.b", "a b", "a:b", "a\"", "é"] {
            assert!(!is_name(bad), "{bad:?}");
        }
        assert!(is_token("J.R."));
        assert!(is_token("Zoë"));
        assert!(!is_token("a,b"));
    }

    #[test]
    fn every_escape_of_section_2_3_round_trips() {
        let text = "a\"b\\c\u{8}\t\n\r\u{1}\u{7f}'é😀";
        let q = quoted(text);
        assert_eq!(q, "\"a\\\"b\\\\c\\b\\t\\n\\r\\u0001\\u007F'é😀\"");
        assert_eq!(unquote(&q), Ok((text.to_owned(), "")));
    }

    #[test]
    fn unquote_reads_escapes_written_by_others() {
        assert_eq!(
            unquote(r#""it\'s \u00e9\uD83D\uDE00" <x>"#),
            Ok(("it's é😀".to_owned(), " <x>"))
        );
        for bad in [
            r#""a"#,
            r#""\x""#,
            r#""\u12""#,
            r#""\uD800""#,
            r#""\uDC00""#,
            "\"\u{1}\"",
        ] {
            assert!(unquote(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn uris_of_any_scheme() {
        for ok in [
            "sip:a@b",
            "sips:a@b",
            "im:piglet@100akerwood.com",
            "tel:+1555",
            "urn:ietf:params:imdn",
        ] {
            assert_eq!(check_uri(ok), Ok(()), "{ok}");
        }
        for bad in ["", "sip", ":x", "1x:y", "sip:", "sip:a b", "sip:<a>"] {
            assert!(check_uri(bad).is_err(), "{bad}");
        }
    }
}
