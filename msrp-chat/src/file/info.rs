//! [`FileInfo`]: what an offer says about a file, and how to learn it from
//! a file on disk (its SHA-1 read in bounded blocks).

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use sha1::{Digest, Sha1};

use crate::sdp::{FileDate, FileHash, FileSelector, FileType};

/// The block size for reading a file to hash it.
const BLOCK: usize = 256 * 1024;

/// A file as an RFC 5547 offer describes it (§6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileInfo {
    /// Its name, without folders (`name:` selector).
    pub name: String,
    /// Its media type `type/subtype` (`type:` selector), if known.
    pub media_type: Option<String>,
    /// Its size in octets (`size:` selector).
    pub size: u64,
    /// Its SHA-1 (`hash:sha-1:` selector, always sent: sipsimple deletes
    /// files whose selector has none).
    pub sha1: [u8; 20],
    /// `a=file-date`, if any (RFC 5322 dates).
    pub date: Option<FileDate>,
    /// `a=file-disposition`: `render` (the default) or `attachment`.
    pub disposition: Option<String>,
    /// `a=file-icon`: a `cid:` URL of a body part the signalling carries,
    /// passed through as given.
    pub icon: Option<String>,
}

impl FileInfo {
    /// The selector: name, type, size and SHA-1.
    ///
    /// ```
    /// use msrp_chat::file::FileInfo;
    ///
    /// let info = FileInfo::new("My cool picture.jpg", 32349, [0x72; 20]).with_type("image/jpeg");
    /// assert_eq!(
    ///     info.selector().to_string(),
    ///     format!("name:\"My cool picture.jpg\" type:image/jpeg size:32349 hash:sha-1:{}", ["72"; 20].join(":"))
    /// );
    /// ```
    pub fn selector(&self) -> FileSelector {
        FileSelector {
            name: Some(self.name.clone()),
            file_type: self.media_type.as_ref().map(|t| FileType {
                media_type: t.clone(),
                params: Vec::new(),
            }),
            size: Some(self.size),
            hashes: vec![FileHash::sha1(self.sha1)],
            extensions: Vec::new(),
        }
    }

    /// A description with only the required parts.
    pub fn new(name: impl Into<String>, size: u64, sha1: [u8; 20]) -> Self {
        Self {
            name: name.into(),
            media_type: None,
            size,
            sha1,
            date: None,
            disposition: None,
            icon: None,
        }
    }

    /// The same with a media type.
    pub fn with_type(mut self, media_type: impl Into<String>) -> Self {
        self.media_type = Some(media_type.into());
        self
    }

    /// Reads a file: name from the path, type from the extension, size,
    /// SHA-1 (the whole file read once, in 256 KiB blocks: this takes as
    /// long as reading it) and modification date. Blocking: call it from a
    /// thread that may block.
    pub fn from_path(path: &Path) -> io::Result<Self> {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .map(str::to_owned)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no UTF-8 file name"))?;
        let file = File::open(path)?;
        let meta = file.metadata()?;
        if !meta.is_file() {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "not a file"));
        }
        let (size, sha1) = sha1_reader(file)?;
        let date = meta
            .modified()
            .ok()
            .and_then(rfc5322_date)
            .map(|d| FileDate {
                modification: Some(d),
                ..FileDate::default()
            });
        Ok(Self {
            media_type: media_type_for(&name).map(str::to_owned),
            name,
            size,
            sha1,
            date,
            disposition: None,
            icon: None,
        })
    }
}

/// The SHA-1 of `data`.
pub fn sha1_of(data: &[u8]) -> [u8; 20] {
    Sha1::digest(data).into()
}

/// Reads `reader` to its end in bounded blocks: its length and SHA-1.
pub fn sha1_reader(mut reader: impl Read) -> io::Result<(u64, [u8; 20])> {
    let mut hasher = Sha1::new();
    let mut buf = vec![0u8; BLOCK];
    let mut len = 0u64;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => return Ok((len, hasher.finalize().into())),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buf[..n]);
        len += n as u64;
    }
}

/// A SHA-1 as 40 lower-case hex digits.
pub fn sha1_hex(digest: &[u8; 20]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads 40 hex digits (either case), with or without the `:` separators
/// of a selector.
///
/// ```
/// use msrp_chat::file::{parse_sha1_hex, sha1_hex};
///
/// let d = parse_sha1_hex("72:24:5F:E8:65:3D:DA:F3:71:36:2F:86:D4:71:91:3E:E4:A2:CE:2E").unwrap();
/// assert_eq!(sha1_hex(&d), "72245fe8653ddaf371362f86d471913ee4a2ce2e");
/// assert_eq!(parse_sha1_hex(&sha1_hex(&d)), Some(d));
/// assert_eq!(parse_sha1_hex("72:24"), None);
/// ```
pub fn parse_sha1_hex(text: &str) -> Option<[u8; 20]> {
    let digits: Vec<u8> = text.bytes().filter(|b| *b != b':').collect();
    if digits.len() != 40 {
        return None;
    }
    let mut out = [0u8; 20];
    for (i, pair) in digits.chunks(2).enumerate() {
        let s = std::str::from_utf8(pair).ok()?;
        out[i] = u8::from_str_radix(s, 16).ok()?;
    }
    Some(out)
}

/// A time as an RFC 5322 date with a numeric zone (UTC), as `a=file-date`
/// wants it (RFC 5547 §6).
fn rfc5322_date(t: std::time::SystemTime) -> Option<String> {
    time::OffsetDateTime::from(t)
        .format(&time::format_description::well_known::Rfc2822)
        .ok()
}

/// A media type for common file name extensions; `None` for others (the
/// offer then has no `type:` selector and the MSRP message says
/// `application/octet-stream`).
pub fn media_type_for(name: &str) -> Option<&'static str> {
    let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match ext.as_str() {
        "txt" => "text/plain",
        "html" | "htm" => "text/html",
        "csv" => "text/csv",
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "svg" => "image/svg+xml",
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        "gz" => "application/gzip",
        "json" => "application/json",
        "xml" => "application/xml",
        "mp3" => "audio/mpeg",
        "ogg" => "audio/ogg",
        "wav" => "audio/wav",
        "mp4" => "video/mp4",
        "webm" => "video/webm",
        "bin" => "application/octet-stream",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_on_disk_is_described_with_its_hash() {
        let path = std::env::temp_dir().join(format!("msrp-chat-info-{}.txt", std::process::id()));
        std::fs::write(&path, b"hello world").unwrap();
        let info = FileInfo::from_path(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(info.size, 11);
        assert_eq!(
            sha1_hex(&info.sha1),
            "2aae6c35c94fcfb415dbe95f408b9ce91ee846ed"
        );
        assert_eq!(info.media_type.as_deref(), Some("text/plain"));
        let date = info.date.clone().and_then(|d| d.modification).unwrap();
        assert!(date.ends_with("+0000"), "{date}");
        assert_eq!(info.selector().sha1(), Some(info.sha1));
    }

    #[test]
    fn types_by_extension() {
        assert_eq!(media_type_for("a.JPG"), Some("image/jpeg"));
        assert_eq!(media_type_for("noext"), None);
        assert_eq!(media_type_for("x.unknownext"), None);
    }
}
