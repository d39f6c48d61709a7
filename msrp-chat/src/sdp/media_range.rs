//! The entries of `a=accept-types` and `a=accept-wrapped-types` (RFC 4975
//! §8.6) and how they match content types.

use super::lex::is_token_char;
use std::fmt;
use std::str::FromStr;

/// One `format-entry` of `a=accept-types` or `a=accept-wrapped-types`:
/// `*`, `type/*` or `type/subtype`, each with optional `;name=value`
/// parameters (RFC 4975 §8.6).
///
/// The text is kept as written. Matching ignores ASCII case and parameters:
/// "a format-entry with one or more parameters is assumed to match the same
/// format-entry with no parameters" (§8.6), the rule msrplib's
/// `contains_mime_type` applies too.
///
/// ```
/// use msrp_chat::sdp::MediaRange;
///
/// let text: MediaRange = "text/*".parse()?;
/// assert!(text.accepts("Text/Plain; charset=utf-8"));
/// assert!(!text.accepts("image/png"));
/// assert!(MediaRange::any().accepts("application/x-rfb"));
/// # Ok::<(), msrp_chat::sdp::InvalidMediaRange>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MediaRange(String);

/// Why a text is not a media range, and where (a byte offset from 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid media type at character {}: expected `*`, `type/*` or `type/subtype` with optional `;name=value` parameters",
    .at + 1
)]
pub struct InvalidMediaRange {
    /// Where the problem is.
    pub at: usize,
}

/// What [`MediaRange::parse`]'s grammar expects, for error messages.
pub(crate) const EXPECTED_MEDIA_RANGES: &str = "a space-separated list of `*`, `type/*` or `type/subtype` entries with optional `;name=value` parameters";

fn token_end(s: &[u8], from: usize) -> usize {
    let mut i = from;
    while i < s.len() && is_token_char(char::from(s[i])) && s[i].is_ascii() {
        i += 1;
    }
    i
}

impl MediaRange {
    /// Checks `s` against the `format-entry` grammar of RFC 4975 §8.6.
    pub fn parse(s: &str) -> Result<Self, InvalidMediaRange> {
        let b = s.as_bytes();
        if s == "*" {
            return Ok(Self(s.to_owned()));
        }
        let err = |at| Err(InvalidMediaRange { at });
        let type_end = token_end(b, 0);
        if type_end == 0 {
            return err(0);
        }
        if b.get(type_end) != Some(&b'/') {
            return err(type_end);
        }
        let sub_end = token_end(b, type_end + 1);
        if sub_end == type_end + 1 {
            return err(sub_end);
        }
        let mut i = sub_end;
        while i < b.len() {
            if b[i] != b';' {
                return err(i);
            }
            let name_end = token_end(b, i + 1);
            if name_end == i + 1 {
                return err(name_end);
            }
            if b.get(name_end) != Some(&b'=') {
                return err(name_end);
            }
            i = name_end + 1;
            if b.get(i) == Some(&b'"') {
                i += 1;
                loop {
                    match b.get(i) {
                        None => return err(i),
                        Some(b'"') => break,
                        Some(b'\\') if i + 1 < b.len() => i += 2,
                        Some(c) if *c < 0x20 || *c == 0x7f => return err(i),
                        Some(_) => i += 1,
                    }
                }
                i += 1;
            } else {
                let value_end = token_end(b, i);
                if value_end == i {
                    return err(i);
                }
                i = value_end;
            }
        }
        Ok(Self(s.to_owned()))
    }

    /// A range from text known to follow the grammar (the built-in lists).
    pub(crate) fn known(s: &str) -> Self {
        debug_assert!(Self::parse(s).is_ok(), "{s}");
        Self(s.to_owned())
    }

    /// `*`: any media type.
    pub fn any() -> Self {
        Self("*".to_owned())
    }

    /// The entry as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is `*`.
    pub fn is_any(&self) -> bool {
        self.0 == "*"
    }

    /// The entry without its parameters (`text/plain` for
    /// `text/plain;charset=utf-8`).
    pub fn essence(&self) -> &str {
        self.0.split(';').next().unwrap_or("")
    }

    /// The type (`*` for `*`).
    pub fn type_(&self) -> &str {
        self.essence().split('/').next().unwrap_or("*")
    }

    /// The subtype (`*` for `*` and for `type/*`).
    pub fn subtype(&self) -> &str {
        self.essence().split('/').nth(1).unwrap_or("*")
    }

    /// Whether a message of `content_type` (a `Content-Type` value, with or
    /// without parameters) falls in this range. ASCII case and parameters
    /// are ignored.
    pub fn accepts(&self, content_type: &str) -> bool {
        if self.is_any() {
            return true;
        }
        let essence = content_type.split(';').next().unwrap_or("").trim();
        let (t, s) = essence.split_once('/').unwrap_or((essence, ""));
        self.type_().eq_ignore_ascii_case(t.trim())
            && (self.subtype() == "*" || self.subtype().eq_ignore_ascii_case(s.trim()))
    }

    /// Whether some media type is in both ranges.
    pub fn overlaps(&self, other: &Self) -> bool {
        if self.is_any() || other.is_any() {
            return true;
        }
        self.type_().eq_ignore_ascii_case(other.type_())
            && (self.subtype() == "*"
                || other.subtype() == "*"
                || self.subtype().eq_ignore_ascii_case(other.subtype()))
    }

    /// Whether every media type in `self` is also in `other`.
    fn within(&self, other: &Self) -> bool {
        other.is_any()
            || (!self.is_any()
                && self.type_().eq_ignore_ascii_case(other.type_())
                && (other.subtype() == "*" || self.subtype().eq_ignore_ascii_case(other.subtype())))
    }
}

impl FromStr for MediaRange {
    type Err = InvalidMediaRange;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for MediaRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether a list of ranges accepts `content_type` (RFC 4975 §8.6; msrplib's
/// `contains_mime_type`).
pub fn accepts(list: &[MediaRange], content_type: &str) -> bool {
    list.iter().any(|r| r.accepts(content_type))
}

/// The media types both lists accept: for each overlapping pair the
/// narrower of the two entries, without repeats, in `a`'s order.
///
/// ```
/// use msrp_chat::sdp::{common_media_ranges, MediaRange};
///
/// let list = |s: &str| s.split(' ').map(|t| t.parse().unwrap()).collect::<Vec<MediaRange>>();
/// let common = common_media_ranges(&list("message/cpim text/* image/*"), &list("text/plain *"));
/// let common: Vec<&str> = common.iter().map(MediaRange::as_str).collect();
/// assert_eq!(common, ["message/cpim", "text/plain", "text/*", "image/*"]);
/// ```
pub fn common_media_ranges(a: &[MediaRange], b: &[MediaRange]) -> Vec<MediaRange> {
    let mut out: Vec<MediaRange> = Vec::new();
    for x in a {
        for y in b {
            if !x.overlaps(y) {
                continue;
            }
            let narrower = if x.within(y) { x } else { y };
            if !out
                .iter()
                .any(|o| o.as_str().eq_ignore_ascii_case(narrower.as_str()))
            {
                out.push(narrower.clone());
            }
        }
    }
    out
}

/// Writes a list as the value of `a=accept-types`: entries separated by one
/// space.
pub(crate) fn join(list: &[MediaRange]) -> String {
    let mut out = String::new();
    for (i, r) in list.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(r.as_str());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grammar() {
        for ok in [
            "*",
            "text/plain",
            "text/*",
            "message/cpim",
            "text/plain;charset=utf-8",
            r#"a/b;x="y z";q=1"#,
        ] {
            assert!(MediaRange::parse(ok).is_ok(), "{ok}");
        }
        for (bad, at) in [
            ("", 0),
            ("text", 4),
            ("text/", 5),
            ("/plain", 0),
            ("text/plain;", 11),
            ("a/b;x", 5),
            ("a/b;x=", 6),
            (r#"a/b;x="y"#, 8),
            ("a/b c", 3),
        ] {
            assert_eq!(
                MediaRange::parse(bad),
                Err(InvalidMediaRange { at }),
                "{bad}"
            );
        }
    }

    #[test]
    fn matching() {
        let r = |s: &str| MediaRange::parse(s).unwrap();
        assert!(r("text/plain;charset=x").accepts("TEXT/PLAIN"));
        assert!(!r("text/plain").accepts("text/html"));
        assert!(r("text/*").overlaps(&r("text/html")));
        assert!(!r("text/*").overlaps(&r("image/*")));
        assert!(r("*").overlaps(&r("image/*")));
        assert!(r("text/html").within(&r("text/*")));
        assert!(!r("text/*").within(&r("text/html")));
    }
}
