//! `a=file-selector` (RFC 5547 §5, §6): the name, type, size and hash that
//! describe one file.

use super::lex::{is_token, is_token_char, percent_decode, percent_encode_name, words};
use std::fmt;

/// The file selector of RFC 5547: the selectors of `a=file-selector`.
///
/// An empty selector (`a=file-selector` without a value) only says that the
/// endpoint supports RFC 5547 (§8.5). Names are kept decoded and written
/// percent-encoded; hashes are kept as bytes and written as upper-case hex
/// pairs (§6).
///
/// ```
/// use msrp_chat::sdp::FileSelector;
///
/// let s = FileSelector::parse(
///     r#"name:"My cool picture.jpg" type:image/jpeg size:32349 hash:sha-1:72:24:5F:E8:65:3D:DA:F3:71:36:2F:86:D4:71:91:3E:E4:A2:CE:2E"#,
/// )?;
/// assert_eq!(s.name.as_deref(), Some("My cool picture.jpg"));
/// assert_eq!(s.size, Some(32349));
/// assert_eq!(s.sha1().map(|h| h[0]), Some(0x72));
/// # Ok::<(), msrp_chat::sdp::InvalidFileSelector>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileSelector {
    /// `name:"..."`, decoded (UTF-8, RFC 5547 §6).
    pub name: Option<String>,
    /// `type:type/subtype;param="value"`.
    pub file_type: Option<FileType>,
    /// `size:N`, in octets.
    pub size: Option<u64>,
    /// `hash:algorithm:HH:...`; RFC 5547 §6 asks readers to take several.
    pub hashes: Vec<FileHash>,
    /// Selectors this crate does not know, kept as written.
    pub extensions: Vec<String>,
}

/// The `type:` selector: a media type and its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileType {
    /// `type/subtype` as written.
    pub media_type: String,
    /// The parameters, values decoded; written as `;name="value"`.
    pub params: Vec<(String, String)>,
}

/// The `hash:` selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileHash {
    /// The algorithm as written; `sha-1` is the only one RFC 5547 defines
    /// (sipsimple once wrote `sha1`).
    pub algorithm: String,
    /// The digest.
    pub value: Vec<u8>,
}

/// The most octets a `hash:` digest may have (SHA-512 has 64).
pub const MAX_HASH_LEN: usize = 64;

impl FileHash {
    /// A `sha-1` hash.
    pub fn sha1(digest: [u8; 20]) -> Self {
        Self {
            algorithm: "sha-1".to_owned(),
            value: digest.to_vec(),
        }
    }

    /// Whether the algorithm is SHA-1 (`sha-1`, or sipsimple's old `sha1`).
    pub fn is_sha1(&self) -> bool {
        self.algorithm.eq_ignore_ascii_case("sha-1") || self.algorithm.eq_ignore_ascii_case("sha1")
    }
}

impl fmt::Display for FileHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.algorithm)?;
        for b in &self.value {
            write!(f, ":{b:02X}")?;
        }
        Ok(())
    }
}

impl fmt::Display for FileType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.media_type)?;
        for (name, value) in &self.params {
            write!(f, ";{name}=\"{}\"", percent_encode_name(value))?;
        }
        Ok(())
    }
}

/// Why a text is not a file selector: where (a byte offset from 0) and what
/// was expected there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid file selector at character {}: expected {expected}", .at + 1)]
pub struct InvalidFileSelector {
    /// Where the problem is.
    pub at: usize,
    /// What was expected there.
    pub expected: &'static str,
}

fn fail<T>(at: usize, expected: &'static str) -> Result<T, InvalidFileSelector> {
    Err(InvalidFileSelector { at, expected })
}

/// Strips an ASCII-case-insensitive prefix.
fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// Reads `"..."` that must fill `s` exactly; returns the inside.
fn quoted(s: &str, at: usize) -> Result<&str, InvalidFileSelector> {
    let Some(inner) = s.strip_prefix('"') else {
        return fail(at, "a double quote");
    };
    match inner.find('"') {
        Some(end) if end + 1 == inner.len() => Ok(&inner[..end]),
        Some(end) => fail(at + 1 + end + 1, "a space after the closing double quote"),
        None => fail(at + s.len(), "a closing double quote"),
    }
}

fn parse_type(s: &str, at: usize) -> Result<FileType, InvalidFileSelector> {
    const EXPECTED: &str = "`type/subtype` followed by `;name=\"value\"` parameters";
    let (essence, mut rest) = match s.find(';') {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, ""),
    };
    match essence.split_once('/') {
        Some((t, st)) if is_token(t) && is_token(st) => {}
        _ => return fail(at, EXPECTED),
    }
    let mut params = Vec::new();
    let mut pos = at + essence.len();
    while let Some(after) = rest.strip_prefix(';') {
        let name_len = after
            .find(|c: char| !is_token_char(c))
            .unwrap_or(after.len());
        let (name, tail) = after.split_at(name_len);
        let Some(tail) = tail.strip_prefix('=').filter(|_| !name.is_empty()) else {
            return fail(pos + 1, EXPECTED);
        };
        let value_at = pos + 1 + name_len + 1;
        let (raw, consumed) = if let Some(inner) = tail.strip_prefix('"') {
            match inner.find('"') {
                Some(end) => (&inner[..end], end + 2),
                None => return fail(value_at + tail.len(), "a closing double quote"),
            }
        } else {
            // Lenient: an unquoted token value.
            let len = tail.find(|c: char| !is_token_char(c)).unwrap_or(tail.len());
            if len == 0 {
                return fail(value_at, EXPECTED);
            }
            (&tail[..len], len)
        };
        let Some(value) = percent_decode(raw) else {
            return fail(value_at, "a UTF-8 parameter value");
        };
        params.push((name.to_owned(), value));
        rest = &tail[consumed..];
        pos = value_at + consumed;
    }
    if !rest.is_empty() {
        return fail(pos, EXPECTED);
    }
    Ok(FileType {
        media_type: essence.to_owned(),
        params,
    })
}

fn parse_hash(s: &str, at: usize) -> Result<FileHash, InvalidFileSelector> {
    const EXPECTED: &str = "`algorithm:HH:HH:...` with pairs of hexadecimal digits";
    let Some((algorithm, hex)) = s.split_once(':').filter(|(a, _)| is_token(a)) else {
        return fail(at, EXPECTED);
    };
    let mut value = Vec::new();
    let mut pos = at + algorithm.len() + 1;
    for pair in hex.split(':') {
        let b = pair.as_bytes();
        let digits = b.len() == 2 && b.iter().all(u8::is_ascii_hexdigit);
        let Some(byte) = digits.then(|| u8::from_str_radix(pair, 16).ok()).flatten() else {
            return fail(pos, EXPECTED);
        };
        if value.len() == MAX_HASH_LEN {
            return fail(pos, "at most 64 octets of digest");
        }
        value.push(byte);
        pos += 3;
    }
    let hash = FileHash {
        algorithm: algorithm.to_owned(),
        value,
    };
    if hash.is_sha1() && hash.value.len() != 20 {
        return fail(at, "a SHA-1 digest of 20 hexadecimal pairs");
    }
    Ok(hash)
}

impl FileSelector {
    /// Reads the value of `a=file-selector` (RFC 5547 §6). Unknown selectors
    /// are kept in [`extensions`](Self::extensions); a `%` not followed by
    /// two hex digits in a name stays a literal `%` (sipsimple writes names
    /// unencoded).
    pub fn parse(value: &str) -> Result<Self, InvalidFileSelector> {
        let mut out = Self::default();
        for word in words(value, false) {
            let (at, w) = (word.at, word.text);
            if let Some(rest) = strip_prefix_ci(w, "name:") {
                if out.name.is_some() {
                    return fail(at, "one name: selector at most");
                }
                let raw = quoted(rest, at + 5)?;
                if raw.is_empty() {
                    return fail(at + 6, "a non-empty file name");
                }
                let Some(name) = percent_decode(raw) else {
                    return fail(at + 6, "a UTF-8 file name");
                };
                out.name = Some(name);
            } else if let Some(rest) = strip_prefix_ci(w, "type:") {
                if out.file_type.is_some() {
                    return fail(at, "one type: selector at most");
                }
                out.file_type = Some(parse_type(rest, at + 5)?);
            } else if let Some(rest) = strip_prefix_ci(w, "size:") {
                if out.size.is_some() {
                    return fail(at, "one size: selector at most");
                }
                let digits = !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit());
                let Some(size) = digits.then(|| rest.parse().ok()).flatten() else {
                    return fail(at + 5, "a size in decimal digits that fits 64 bits");
                };
                out.size = Some(size);
            } else if let Some(rest) = strip_prefix_ci(w, "hash:") {
                out.hashes.push(parse_hash(rest, at + 5)?);
            } else {
                out.extensions.push(w.to_owned());
            }
        }
        Ok(out)
    }

    /// Whether no selector is present (a capability indication, RFC 5547
    /// §8.5).
    pub fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.file_type.is_none()
            && self.size.is_none()
            && self.hashes.is_empty()
            && self.extensions.is_empty()
    }

    /// The SHA-1 digest, if a `hash:sha-1:` selector is present.
    pub fn sha1(&self) -> Option<[u8; 20]> {
        self.hashes
            .iter()
            .find(|h| h.is_sha1())
            .and_then(|h| h.value.as_slice().try_into().ok())
    }

    /// Whether `file` is a file this (offered) selector selects (RFC 5547
    /// §8.3.2): every selector present here must be present and equal in
    /// `file` — the name exactly, the type's `type/subtype` ignoring ASCII
    /// case, the size, and each hash whose algorithm `file` also has (a hash
    /// `file` cannot confirm does not match).
    pub fn selects(&self, file: &Self) -> bool {
        let name = self.name.is_none() || self.name == file.name;
        let file_type = match (&self.file_type, &file.file_type) {
            (None, _) => true,
            (Some(a), Some(b)) => a.media_type.eq_ignore_ascii_case(&b.media_type),
            (Some(_), None) => false,
        };
        let size = self.size.is_none() || self.size == file.size;
        let hashes = self.hashes.iter().all(|h| {
            file.hashes.iter().any(|f| {
                (f.algorithm.eq_ignore_ascii_case(&h.algorithm) || (f.is_sha1() && h.is_sha1()))
                    && f.value == h.value
            })
        });
        name && file_type && size && hashes
    }
}

impl fmt::Display for FileSelector {
    /// The canonical value: `name:"..." type:... size:... hash:...`, then
    /// unknown selectors, separated by single spaces.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut sep = "";
        let mut item = |f: &mut fmt::Formatter<'_>, args: fmt::Arguments<'_>| {
            let r = f.write_str(sep).and_then(|()| f.write_fmt(args));
            sep = " ";
            r
        };
        if let Some(name) = &self.name {
            item(f, format_args!("name:\"{}\"", percent_encode_name(name)))?;
        }
        if let Some(t) = &self.file_type {
            item(f, format_args!("type:{t}"))?;
        }
        if let Some(size) = self.size {
            item(f, format_args!("size:{size}"))?;
        }
        for h in &self.hashes {
            item(f, format_args!("hash:{h}"))?;
        }
        for e in &self.extensions {
            item(f, format_args!("{e}"))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA1: &str = "72:24:5F:E8:65:3D:DA:F3:71:36:2F:86:D4:71:91:3E:E4:A2:CE:2E";

    #[test]
    fn reads_and_writes_the_rfc_example() {
        let text =
            format!(r#"name:"My cool picture.jpg" type:image/jpeg size:32349 hash:sha-1:{SHA1}"#);
        let s = FileSelector::parse(&text).unwrap();
        assert_eq!(
            s.file_type.as_ref().map(|t| t.media_type.as_str()),
            Some("image/jpeg")
        );
        assert_eq!(s.to_string(), text);
    }

    #[test]
    fn names_are_percent_decoded_and_encoded() {
        let s = FileSelector::parse(r#"name:"a%22b%2Fc d%e2%82%ac""#).unwrap();
        assert_eq!(s.name.as_deref(), Some("a\"b/c d€"));
        assert_eq!(s.to_string(), r#"name:"a%22b%2Fc d€""#);
        let sipsimple = FileSelector::parse(r#"name:"100% done.txt""#).unwrap();
        assert_eq!(sipsimple.name.as_deref(), Some("100% done.txt"));
    }

    #[test]
    fn type_parameters() {
        let s = FileSelector::parse(r#"type:text/plain;charset="utf-8";x=y"#).unwrap();
        let t = s.file_type.unwrap();
        assert_eq!(
            t.params,
            [("charset".into(), "utf-8".into()), ("x".into(), "y".into())]
        );
        assert_eq!(t.to_string(), r#"text/plain;charset="utf-8";x="y""#);
    }

    #[test]
    fn errors_say_where() {
        let bad = |s: &str| FileSelector::parse(s).unwrap_err();
        assert_eq!(bad(r#"name:"x"#).at, 7);
        assert_eq!(bad("size:12a").at, 5);
        assert_eq!(
            bad("hash:sha-1:72:24").expected,
            "a SHA-1 digest of 20 hexadecimal pairs"
        );
        assert_eq!(bad("hash:md5:7G").at, 9);
        assert_eq!(bad("type:image").at, 5);
        assert_eq!(bad("size:1 size:2").at, 7);
        assert_eq!(bad(r#"name:"""#).expected, "a non-empty file name");
    }

    #[test]
    fn selection() {
        let offered = FileSelector::parse(&format!("hash:sha-1:{SHA1}")).unwrap();
        let mut local =
            FileSelector::parse(&format!(r#"name:"x" type:image/jpeg hash:sha-1:{SHA1}"#)).unwrap();
        assert!(offered.selects(&local));
        local.hashes.clear();
        assert!(!offered.selects(&local));
        assert!(FileSelector::default().selects(&local));
    }
}
