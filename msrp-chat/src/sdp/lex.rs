//! Small lexical helpers shared by the attribute parsers: tokens, words that
//! respect double quotes, and the percent-encoding of RFC 5547 names.

/// RFC 4566 / RFC 4975 §9 `token` characters: visible ASCII except
/// `"(),/:;<=>?@[\]{}` and DEL.
pub(crate) fn is_token_char(c: char) -> bool {
    matches!(c,
        '\x21' | '\x23'..='\x27' | '\x2a'..='\x2b' | '\x2d'..='\x2e'
        | '\x30'..='\x39' | '\x41'..='\x5a' | '\x5e'..='\x7e')
}

/// Whether `s` is a non-empty `token`.
pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty() && s.chars().all(is_token_char)
}

/// A space-separated word of an attribute value and where it starts (byte
/// offset in the value).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Word<'a> {
    pub(crate) at: usize,
    pub(crate) text: &'a str,
}

/// Splits `value` at runs of spaces and tabs that are outside double quotes.
/// With `escapes`, a backslash inside quotes escapes the next character (RFC
/// 4975 `quoted-string`); without, it is an ordinary character (RFC 5547
/// quoted names and dates). An unterminated quote runs to the end of the
/// value.
pub(crate) fn words(value: &str, escapes: bool) -> Vec<Word<'_>> {
    Words {
        value,
        pos: 0,
        escapes,
    }
    .collect()
}

/// Like [`words`], but stops with `Err(limit)` as soon as a word beyond
/// `limit` is found, so an oversized list costs at most `limit + 1` words.
pub(crate) fn words_capped(
    value: &str,
    escapes: bool,
    limit: usize,
) -> Result<Vec<Word<'_>>, usize> {
    let mut out = Vec::new();
    for w in (Words {
        value,
        pos: 0,
        escapes,
    }) {
        if out.len() == limit {
            return Err(limit);
        }
        out.push(w);
    }
    Ok(out)
}

struct Words<'a> {
    value: &'a str,
    pos: usize,
    escapes: bool,
}

impl<'a> Iterator for Words<'a> {
    type Item = Word<'a>;

    fn next(&mut self) -> Option<Word<'a>> {
        let rest = self.value.get(self.pos..)?;
        let skip = rest.find(|c| c != ' ' && c != '\t')?;
        let start = self.pos + skip;
        let mut quoted = false;
        let mut escaped = false;
        let mut end = self.value.len();
        for (i, c) in self.value.get(start..)?.char_indices() {
            if quoted {
                if escaped {
                    escaped = false;
                } else if self.escapes && c == '\\' {
                    escaped = true;
                } else if c == '"' {
                    quoted = false;
                }
            } else if c == ' ' || c == '\t' {
                end = start + i;
                break;
            } else if c == '"' {
                quoted = true;
            }
        }
        self.pos = end;
        Some(Word {
            at: start,
            text: self.value.get(start..end)?,
        })
    }
}

/// Trims the spaces and tabs that sloppy writers put around a value.
pub(crate) fn trim_sp(s: &str) -> &str {
    s.trim_matches(|c| c == ' ' || c == '\t')
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes `%HH` escapes (RFC 5547 `percent-encoded`). A `%` that is not
/// followed by two hexadecimal digits is kept as a literal `%`: sipsimple
/// writes names without encoding them. Returns `None` when the decoded
/// octets are not UTF-8.
pub(crate) fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let hi = bytes.get(i + 1).copied().and_then(hex_value);
            let lo = bytes.get(i + 2).copied().and_then(hex_value);
            if let (Some(hi), Some(lo)) = (hi, lo) {
                out.push(hi << 4 | lo);
                i += 3;
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// Percent-encodes what RFC 5547 `filename-char` does not allow (NUL, CR,
/// LF, `"` and `%`) and the directory separators `/` and `\` (RFC 5547 §6:
/// characters that could be read as directory structure MUST be encoded).
/// Hex digits are upper case.
pub(crate) fn percent_encode_name(s: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '\0' | '\r' | '\n' | '"' | '%' | '/' | '\\') {
            // All of these are ASCII, so one octet each.
            let b = c as u8;
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(v: &str) -> Vec<&str> {
        words(v, true).into_iter().map(|w| w.text).collect()
    }

    #[test]
    fn words_respect_quotes_and_runs_of_blanks() {
        assert_eq!(texts("  a\t b  "), ["a", "b"]);
        assert_eq!(
            texts(r#"name:"My cool picture.jpg" size:1"#),
            [r#"name:"My cool picture.jpg""#, "size:1"]
        );
        assert_eq!(texts(r#"a:"x \" y" b"#), [r#"a:"x \" y""#, "b"]);
        assert_eq!(texts(r#"a:"open ended"#), [r#"a:"open ended"#]);
        assert_eq!(words(" ab cd", true)[1].at, 4);
        let plain: Vec<&str> = words(r#"n:"a\" b"#, false)
            .into_iter()
            .map(|w| w.text)
            .collect();
        assert_eq!(plain, [r#"n:"a\""#, "b"]);
        assert!(texts("").is_empty());
    }

    #[test]
    fn percent_round_trip() {
        assert_eq!(percent_decode("a%2Fb%22").as_deref(), Some("a/b\""));
        assert_eq!(percent_decode("100% done").as_deref(), Some("100% done"));
        assert_eq!(percent_decode("%e2%82%ac").as_deref(), Some("€"));
        assert_eq!(percent_decode("%ff"), None);
        assert_eq!(percent_encode_name("a/b\"c%d\\e€"), "a%2Fb%22c%25d%5Ce€");
    }

    #[test]
    fn tokens() {
        assert!(is_token("text"));
        assert!(is_token("*"));
        assert!(!is_token("a/b"));
        assert!(!is_token(""));
        assert!(!is_token("é"));
    }
}
