//! Files in `msrp chat`: the content type a file goes out with (from its
//! extension, with its name as a MIME `name` parameter, RFC 2046 §4.5.1),
//! which received messages are files, and where they are saved (never over
//! an existing file).

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use msrp_chat::chat::ReceivedMessage;

/// Media types by file extension (lower case), both ways.
const TYPES: &[(&str, &str)] = &[
    ("txt", "text/plain"),
    ("md", "text/markdown"),
    ("html", "text/html"),
    ("htm", "text/html"),
    ("csv", "text/csv"),
    ("json", "application/json"),
    ("xml", "application/xml"),
    ("pdf", "application/pdf"),
    ("zip", "application/zip"),
    ("gz", "application/gzip"),
    ("tar", "application/x-tar"),
    ("png", "image/png"),
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("gif", "image/gif"),
    ("webp", "image/webp"),
    ("svg", "image/svg+xml"),
    ("bmp", "image/bmp"),
    ("mp3", "audio/mpeg"),
    ("ogg", "audio/ogg"),
    ("wav", "audio/wav"),
    ("mp4", "video/mp4"),
    ("webm", "video/webm"),
];

/// The content type `path` goes out with: its extension's media type
/// (`application/octet-stream` for others), with the file's name.
pub(crate) fn content_type_for(path: &Path) -> String {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let media = TYPES
        .iter()
        .find(|(e, _)| *e == ext)
        .map_or("application/octet-stream", |(_, t)| t);
    match path.file_name().and_then(|n| n.to_str()).map(quotable) {
        Some(name) if !name.is_empty() => format!("{media}; name=\"{name}\""),
        _ => media.to_owned(),
    }
}

/// A name that fits in a MIME quoted string without escapes: printable
/// ASCII but `"` and `\`, others replaced by `_`.
fn quotable(name: &str) -> String {
    name.chars()
        .map(|c| {
            if (c.is_ascii_graphic() || c == ' ') && c != '"' && c != '\\' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The `name` parameter of a Content-Type value, unquoted.
pub(crate) fn name_param(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|param| {
        let (key, value) = param.split_once('=')?;
        if !key.trim().eq_ignore_ascii_case("name") {
            return None;
        }
        let value = value.trim();
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(value);
        let mut out = String::new();
        let mut chars = value.chars();
        while let Some(c) = chars.next() {
            out.push(if c == '\\' {
                chars.next().unwrap_or(c)
            } else {
                c
            });
        }
        Some(out)
    })
}

/// Whether a received message is a file to save rather than a text to
/// show: it names a file, or it is not text.
pub(crate) fn is_file(message: &ReceivedMessage) -> bool {
    name_param(&message.content_type).is_some() || message.text().is_none()
}

/// A file name from a peer made safe to create in the output folder: its
/// last path component, without control characters, leading dots or
/// spaces, at most 120 characters; `None` if nothing is left.
pub(crate) fn safe_name(name: &str) -> Option<String> {
    let last = name.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = last.chars().filter(|c| !c.is_control()).take(120).collect();
    let clean = clean.trim_start_matches(['.', ' ']).trim_end();
    (!clean.is_empty()).then(|| clean.to_owned())
}

/// The name a received file is saved under (before numbering): its own,
/// or `received` with the extension of its type.
pub(crate) fn file_name_for(message: &ReceivedMessage) -> String {
    if let Some(name) = name_param(&message.content_type)
        .as_deref()
        .and_then(safe_name)
    {
        return name;
    }
    let media = message
        .content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let ext = TYPES
        .iter()
        .find(|(_, t)| *t == media)
        .map_or("bin", |(e, _)| e);
    format!("received.{ext}")
}

/// Writes `body` to a new file `name` in `dir`, or `stem-1.ext`,
/// `stem-2.ext`, … if that exists: an existing file is never touched.
pub(crate) fn save_new(dir: &Path, name: &str, body: &[u8]) -> io::Result<PathBuf> {
    let (stem, ext) = match name.rfind('.') {
        Some(at) if at > 0 => name.split_at(at),
        _ => (name, ""),
    };
    for n in 0..10_000u32 {
        let candidate = if n == 0 {
            name.to_owned()
        } else {
            format!("{stem}-{n}{ext}")
        };
        let path = dir.join(candidate);
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(mut file) => {
                return match file.write_all(body).and_then(|()| file.sync_all()) {
                    Ok(()) => Ok(path),
                    Err(e) => {
                        let _ = std::fs::remove_file(&path);
                        Err(e)
                    }
                };
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other(format!(
        "{name} and 10000 numbered variants exist already"
    )))
}

/// A size for people: `512 B`, `12.5 KiB`, `3.0 MiB`.
pub(crate) fn human_size(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_from_extensions_with_the_name() {
        assert_eq!(
            content_type_for(Path::new("/tmp/Report.PDF")),
            "application/pdf; name=\"Report.PDF\""
        );
        assert_eq!(
            content_type_for(Path::new("a/b/data")),
            "application/octet-stream; name=\"data\""
        );
        assert_eq!(
            content_type_for(Path::new("x/\"odd\\name\".png")),
            "image/png; name=\"_odd_name_.png\""
        );
    }

    #[test]
    fn name_parameters() {
        assert_eq!(
            name_param("image/png; name=\"a b.png\"").as_deref(),
            Some("a b.png")
        );
        assert_eq!(
            name_param("text/plain;charset=utf-8; NAME=x.txt").as_deref(),
            Some("x.txt")
        );
        assert_eq!(name_param("text/plain; charset=utf-8"), None);
        assert_eq!(name_param("a/b; name=\"q\\\"x\"").as_deref(), Some("q\"x"));
    }

    #[test]
    fn peer_names_cannot_leave_the_folder() {
        assert_eq!(safe_name("../../etc/passwd").as_deref(), Some("passwd"));
        assert_eq!(safe_name("..").as_deref(), None);
        assert_eq!(safe_name("C:\\x\\.bashrc").as_deref(), Some("bashrc"));
        assert_eq!(safe_name("a\u{1b}[2Jb.txt").as_deref(), Some("a[2Jb.txt"));
        assert_eq!(safe_name("  ").as_deref(), None);
    }

    #[test]
    fn saving_never_overwrites() {
        let dir = std::env::temp_dir().join(format!("msrp-chat-files-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let a = save_new(&dir, "x.txt", b"1").unwrap();
        let b = save_new(&dir, "x.txt", b"2").unwrap();
        let c = save_new(&dir, "x.txt", b"3").unwrap();
        let d = save_new(&dir, "noext", b"4").unwrap();
        let e = save_new(&dir, "noext", b"5").unwrap();
        assert_eq!(a.file_name().unwrap(), "x.txt");
        assert_eq!(b.file_name().unwrap(), "x-1.txt");
        assert_eq!(c.file_name().unwrap(), "x-2.txt");
        assert_eq!(e.file_name().unwrap(), "noext-1");
        assert_eq!(std::fs::read(&a).unwrap(), b"1");
        assert_eq!(std::fs::read(&d).unwrap(), b"4");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn sizes() {
        assert_eq!(human_size(12), "12 B");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(3 << 20), "3.0 MiB");
    }
}
