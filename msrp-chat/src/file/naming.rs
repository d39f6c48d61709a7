//! Where a received file goes: a name from the peer made safe, and the
//! first free one of `name.ext`, `name-1.ext`, `name-2.ext`… so that an
//! existing file is never overwritten.

use std::fs::OpenOptions;
use std::io;
use std::path::{Path, PathBuf};

/// The longest name kept, in bytes (file systems allow 255).
const MAX_NAME: usize = 200;

/// How many numbered names [`place_without_overwrite`] tries.
pub const MAX_NUMBERED: u32 = 9999;

/// A file name from the peer (the selector's `name:`, or the MSRP
/// Content-Disposition `filename`) made safe to create in a folder: only
/// its last path component, no control characters, not hidden, not `.` or
/// `..`, at most 200 bytes. Empty or nothing left gives `fallback`.
///
/// ```
/// use msrp_chat::file::safe_file_name;
///
/// assert_eq!(safe_file_name(Some("../../etc/passwd"), "file"), "passwd");
/// assert_eq!(safe_file_name(Some("C:\\Users\\me\\photo.jpg"), "file"), "photo.jpg");
/// assert_eq!(safe_file_name(Some(".bashrc"), "file"), "_bashrc");
/// assert_eq!(safe_file_name(Some(".."), "file"), "file");
/// assert_eq!(safe_file_name(None, "file"), "file");
/// ```
pub fn safe_file_name(offered: Option<&str>, fallback: &str) -> String {
    let last = offered
        .unwrap_or("")
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or("");
    let mut name: String = last
        .chars()
        .map(|c| if c.is_control() || c == ':' { '_' } else { c })
        .collect();
    name = name.trim().to_owned();
    if name.chars().all(|c| c == '.') {
        return fallback.to_owned();
    }
    if name.starts_with('.') {
        name.replace_range(..1, "_");
    }
    if name.len() > MAX_NAME {
        // Keep the extension when there is a short one.
        let ext = name
            .rfind('.')
            .filter(|i| name.len() - i <= 16)
            .map(|i| name[i..].to_owned())
            .unwrap_or_default();
        let mut cut = MAX_NAME - ext.len();
        while !name.is_char_boundary(cut) {
            cut -= 1;
        }
        name = format!("{}{ext}", &name[..cut]);
    }
    name
}

/// The `n`-th alternative to `name`: `photo.jpg` → `photo-1.jpg`,
/// `archive.tar.gz` → `archive.tar-1.gz`, `README` → `README-1`. `n == 0`
/// is the name itself.
///
/// ```
/// use msrp_chat::file::numbered_name;
///
/// assert_eq!(numbered_name("photo.jpg", 0), "photo.jpg");
/// assert_eq!(numbered_name("photo.jpg", 2), "photo-2.jpg");
/// assert_eq!(numbered_name("README", 1), "README-1");
/// assert_eq!(numbered_name("_env", 1), "_env-1");
/// ```
pub fn numbered_name(name: &str, n: u32) -> String {
    if n == 0 {
        return name.to_owned();
    }
    match name.rfind('.').filter(|i| *i > 0) {
        Some(i) => format!("{}-{n}{}", &name[..i], &name[i..]),
        None => format!("{name}-{n}"),
    }
}

/// Moves the finished file `from` into `dir` as `name`, or the first of
/// `name-1.ext`, `name-2.ext`… that does not exist; never replaces a file.
/// Each candidate is claimed by creating it exclusively (so a file that
/// appears meanwhile is not overwritten either), then `from` is renamed
/// over the empty claim. Returns where the file went.
pub fn place_without_overwrite(from: &Path, dir: &Path, name: &str) -> io::Result<PathBuf> {
    for n in 0..=MAX_NUMBERED {
        let candidate = dir.join(numbered_name(name, n));
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&candidate)
        {
            Ok(claim) => {
                drop(claim);
                if let Err(err) = std::fs::rename(from, &candidate) {
                    let _ = std::fs::remove_file(&candidate);
                    return Err(err);
                }
                return Ok(candidate);
            }
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists => {}
            Err(err) => return Err(err),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        format!(
            "{} and {MAX_NUMBERED} numbered names after it exist in {}",
            name,
            dir.display()
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_made_safe() {
        assert_eq!(safe_file_name(Some("a\u{0}b\nc.txt"), "f"), "a_b_c.txt");
        assert_eq!(safe_file_name(Some("dir/"), "f"), "f");
        assert_eq!(safe_file_name(Some("  "), "f"), "f");
        assert_eq!(safe_file_name(Some("x:y"), "f"), "x_y");
        let long = format!("{}.jpeg", "é".repeat(200));
        let safe = safe_file_name(Some(&long), "f");
        assert!(safe.len() <= MAX_NAME && safe.ends_with(".jpeg"), "{safe}");
    }

    #[test]
    fn collisions_get_numbered_names_and_nothing_is_overwritten() {
        let dir = std::env::temp_dir().join(format!("msrp-chat-naming-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("a.txt"), "mine").unwrap();
        std::fs::write(dir.join("a-1.txt"), "mine too").unwrap();
        for (content, want) in [("new", "a-2.txt"), ("newer", "a-3.txt")] {
            let part = dir.join(".part");
            std::fs::write(&part, content).unwrap();
            let placed = place_without_overwrite(&part, &dir, "a.txt").unwrap();
            assert_eq!(placed, dir.join(want));
            assert_eq!(std::fs::read_to_string(&placed).unwrap(), content);
            assert!(!part.exists());
        }
        assert_eq!(std::fs::read_to_string(dir.join("a.txt")).unwrap(), "mine");
        assert_eq!(
            std::fs::read_to_string(dir.join("a-1.txt")).unwrap(),
            "mine too"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
