//! The partial file a receiver writes into, and its sidecar record: enough
//! to resume the transfer in a later run and to verify the result.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::sha1_hex;

/// The first line of every record (its format version).
const MAGIC: &str = "msrp-rs partial file 1";

/// What a receiver keeps about a file it has part of, next to the partial
/// file itself (`DIR/.msrp-<sha1>.part` and `DIR/.msrp-<sha1>.part.info`).
///
/// Only files whose selector had a SHA-1 get a record: the hash is what
/// ties a later offer to these bytes, and what proves the result.
///
/// ```
/// use msrp_chat::file::PartialRecord;
///
/// let record = PartialRecord {
///     sha1: [0xab; 20],
///     size: 1000,
///     contiguous: 400,
///     name: "report.pdf".into(),
///     media_type: Some("application/pdf".into()),
/// };
/// assert_eq!(PartialRecord::parse(&record.to_text()), Some(record.clone()));
/// // Resuming asks for the first byte it lacks (RFC 5547 file-range, 1-based).
/// assert_eq!(record.resume_start(), Some(401));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartialRecord {
    /// The selector's SHA-1.
    pub sha1: [u8; 20],
    /// The file's size.
    pub size: u64,
    /// Bytes on disk from the start with no gap, as last recorded (the
    /// file may hold more).
    pub contiguous: u64,
    /// The (safe) name the file will get.
    pub name: String,
    /// The file's media type, if known.
    pub media_type: Option<String>,
}

impl PartialRecord {
    /// The record as text: `key: value` lines after a version line.
    pub fn to_text(&self) -> String {
        let mut text = format!(
            "{MAGIC}\nsha1: {}\nsize: {}\ncontiguous: {}\nname: {}\n",
            sha1_hex(&self.sha1),
            self.size,
            self.contiguous,
            self.name.replace(['\n', '\r'], "_"),
        );
        if let Some(t) = &self.media_type {
            text.push_str(&format!("type: {}\n", t.replace(['\n', '\r'], "")));
        }
        text
    }

    /// Reads [`to_text`](Self::to_text)'s output; `None` if it is not a
    /// record.
    pub fn parse(text: &str) -> Option<Self> {
        let mut lines = text.lines();
        if lines.next()? != MAGIC {
            return None;
        }
        let (mut sha1, mut size, mut contiguous, mut name, mut media_type) =
            (None, None, None, None, None);
        for line in lines {
            let (key, value) = line.split_once(": ")?;
            match key {
                "sha1" => sha1 = super::parse_sha1_hex(value),
                "size" => size = value.parse().ok(),
                "contiguous" => contiguous = value.parse().ok(),
                "name" => name = Some(value.to_owned()),
                "type" => media_type = Some(value.to_owned()),
                _ => {}
            }
        }
        let (size, contiguous) = (size?, contiguous?);
        Some(Self {
            sha1: sha1?,
            size,
            contiguous: u64::min(contiguous, size),
            name: name?,
            media_type,
        })
    }

    /// The partial file of the file with this SHA-1 in `dir`.
    pub fn partial_path(dir: &Path, sha1: &[u8; 20]) -> PathBuf {
        dir.join(format!(".msrp-{}.part", sha1_hex(sha1)))
    }

    /// Its record's path.
    pub fn record_path(dir: &Path, sha1: &[u8; 20]) -> PathBuf {
        dir.join(format!(".msrp-{}.part.info", sha1_hex(sha1)))
    }

    /// The 1-based position a resumed transfer starts at (RFC 5547
    /// `a=file-range` start): the first byte not here; `None` when all of
    /// it is.
    pub fn resume_start(&self) -> Option<u64> {
        (self.contiguous < self.size).then_some(self.contiguous + 1)
    }

    /// Whether an offer to resume at the 1-based `start` can be taken: the
    /// bytes before it are all here.
    pub fn can_resume_at(&self, start: u64) -> bool {
        start >= 1 && start - 1 <= self.contiguous && start <= self.size.max(1)
    }

    /// Writes the record next to the partial file in `dir` (replacing it
    /// whole: written aside, then renamed).
    pub fn save(&self, dir: &Path) -> io::Result<()> {
        let path = Self::record_path(dir, &self.sha1);
        let tmp = path.with_extension("info.tmp");
        let mut file = File::create(&tmp)?;
        file.write_all(self.to_text().as_bytes())?;
        drop(file);
        std::fs::rename(&tmp, &path)
    }

    /// The record for the file with this SHA-1 in `dir`, if there is one and
    /// its partial file is there; the contiguous prefix is capped at the
    /// partial file's length.
    pub fn load(dir: &Path, sha1: &[u8; 20]) -> io::Result<Option<Self>> {
        let text = match std::fs::read_to_string(Self::record_path(dir, sha1)) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let Some(mut record) = Self::parse(&text).filter(|r| r.sha1 == *sha1) else {
            return Ok(None);
        };
        match std::fs::metadata(Self::partial_path(dir, sha1)) {
            Ok(meta) => {
                record.contiguous = record.contiguous.min(meta.len());
                Ok(Some(record))
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Every record in `dir` whose partial file is there.
    pub fn all(dir: &Path) -> io::Result<Vec<Self>> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir)? {
            let name = entry?.file_name();
            let Some(hex) = name
                .to_str()
                .and_then(|n| n.strip_prefix(".msrp-"))
                .and_then(|n| n.strip_suffix(".part.info"))
            else {
                continue;
            };
            if let Some(sha1) = super::parse_sha1_hex(hex) {
                if let Some(record) = Self::load(dir, &sha1)? {
                    out.push(record);
                }
            }
        }
        Ok(out)
    }

    /// Removes the partial file and its record (what is not there is fine).
    pub fn remove(dir: &Path, sha1: &[u8; 20]) -> io::Result<()> {
        for path in [Self::partial_path(dir, sha1), Self::record_path(dir, sha1)] {
            match std::fs::remove_file(path) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(contiguous: u64) -> PartialRecord {
        PartialRecord {
            sha1: [7; 20],
            size: 100,
            contiguous,
            name: "a.bin".into(),
            media_type: None,
        }
    }

    #[test]
    fn resume_start_is_the_first_missing_byte() {
        assert_eq!(record(0).resume_start(), Some(1));
        assert_eq!(record(99).resume_start(), Some(100));
        assert_eq!(record(100).resume_start(), None);
        assert!(record(40).can_resume_at(41));
        assert!(record(40).can_resume_at(10), "re-sent bytes are fine");
        assert!(!record(40).can_resume_at(42), "a gap is not");
        assert!(!record(40).can_resume_at(0));
    }

    #[test]
    fn records_round_trip_on_disk_and_are_capped_by_the_partial_file() {
        let dir = std::env::temp_dir().join(format!("msrp-chat-partial-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let r = record(60);
        r.save(&dir).unwrap();
        assert_eq!(
            PartialRecord::load(&dir, &r.sha1).unwrap(),
            None,
            "no partial file"
        );
        std::fs::write(PartialRecord::partial_path(&dir, &r.sha1), [0u8; 50]).unwrap();
        let loaded = PartialRecord::load(&dir, &r.sha1).unwrap().unwrap();
        assert_eq!(loaded.contiguous, 50);
        assert_eq!(PartialRecord::all(&dir).unwrap(), vec![loaded]);
        PartialRecord::remove(&dir, &r.sha1).unwrap();
        assert!(PartialRecord::all(&dir).unwrap().is_empty());
        assert!(PartialRecord::parse("not a record").is_none());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
