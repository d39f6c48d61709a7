//! How `msrp file` exchanges SDP bodies the way a SIP stack would carry
//! them: through standard input and output (an SDP block ended by an empty
//! line) or through files (written aside and renamed, so that a reader
//! never sees half of one); and the sender's resume record.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use futures_channel::oneshot;
use msrp_chat::sdp::{MsrpMedia, SdpDocument};
use msrp_endpoint::Runtime;
use msrp_proto::uri::Host;
use serde::{Deserialize, Serialize};

use crate::error::CliError;

/// The whole SDP body for one MSRP media description: `v=`, `o=`, `s=`,
/// `c=` (this side's host) and `t=` lines, then the media section.
pub(crate) fn body(media: &MsrpMedia) -> String {
    let (kind, host) = match media.own_uri().map(|u| u.host()) {
        Some(Host::Ipv6(ip)) => ("IP6", ip.to_string()),
        Some(Host::Ipv4(ip)) => ("IP4", ip.to_string()),
        Some(Host::Domain(name)) => ("IP4", name.to_owned()),
        None => ("IP4", "0.0.0.0".to_owned()),
    };
    let version = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() + 2_208_988_800); // NTP seconds
    format!(
        "v=0\r\no=- {version} {version} IN {kind} {host}\r\ns=-\r\nc=IN {kind} {host}\r\nt=0 0\r\n{}",
        media.render()
    )
}

/// The first MSRP media description of an SDP body, with what the session
/// level says filled in.
pub(crate) fn first_msrp(text: &str) -> Result<MsrpMedia, CliError> {
    let doc = SdpDocument::parse(text.as_bytes())
        .map_err(|e| CliError::failed(format!("the peer's SDP: {e}")))?;
    let index = doc
        .msrp_media()
        .next()
        .map(|(i, _)| i)
        .ok_or_else(|| CliError::failed("the peer's SDP has no MSRP media (m=message)"))?;
    doc.resolved_msrp(index)
        .ok_or_else(|| CliError::failed("the peer's SDP has no MSRP media"))
}

/// Writes this side's SDP: to `file` (aside, then renamed) or, without one,
/// to standard output followed by an empty line.
pub(crate) fn write(media: &MsrpMedia, file: Option<&Path>) -> Result<(), CliError> {
    let text = body(media);
    match file {
        Some(path) => {
            let tmp = path.with_extension("sdp-tmp");
            std::fs::write(&tmp, &text)
                .and_then(|()| std::fs::rename(&tmp, path))
                .map_err(|e| CliError::failed(format!("cannot write {}: {e}", path.display())))
        }
        None => {
            let mut out = std::io::stdout().lock();
            // A reader that went away sees nothing more; the exit status
            // still tells.
            let _ = write!(out, "{text}\r\n").and_then(|()| out.flush());
            Ok(())
        }
    }
}

/// Reads the peer's SDP: from `file` once it exists, or from standard
/// input up to an empty line; at most `limit`.
pub(crate) async fn read<R: Runtime>(
    rt: &R,
    file: Option<&Path>,
    limit: Duration,
) -> Result<MsrpMedia, CliError> {
    let (tx, rx) = oneshot::channel();
    let file = file.map(Path::to_path_buf);
    std::thread::spawn(move || {
        let _ = tx.send(match file {
            Some(path) => read_file(&path, limit),
            None => read_stdin(),
        });
    });
    let text = msrp_endpoint::timeout(rt, limit, rx)
        .await
        .ok_or_else(|| {
            CliError::failed(format!(
                "no SDP from the peer within {} s (--sdp-timeout)",
                limit.as_secs_f64()
            ))
        })?
        .map_err(|_| CliError::failed("the SDP reader stopped"))??;
    first_msrp(&text)
}

/// Waits (bounded) for `path` to appear, then reads it.
fn read_file(path: &Path, limit: Duration) -> Result<String, CliError> {
    let until = Instant::now() + limit;
    loop {
        match std::fs::read_to_string(path) {
            Ok(text) => return Ok(text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && Instant::now() < until => {
                // Polling a file the peer writes: the only wait it has.
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => {
                return Err(CliError::failed(format!(
                    "cannot read {}: {e}",
                    path.display()
                )));
            }
        }
    }
}

/// Lines of standard input up to the first empty one after some text.
fn read_stdin() -> Result<String, CliError> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprintln!("paste the peer's SDP, then an empty line:");
    }
    let mut text = String::new();
    for line in stdin.lock().lines() {
        let line = line.map_err(|e| CliError::failed(format!("reading the SDP: {e}")))?;
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            if text.is_empty() {
                continue;
            }
            return Ok(text);
        }
        text.push_str(line);
        text.push_str("\r\n");
    }
    if text.is_empty() {
        return Err(CliError::failed(
            "standard input ended before the peer's SDP came",
        ));
    }
    Ok(text)
}

/// What a sender remembers of a push for `--resume`: how much of the file
/// the receiver confirmed with success REPORTs (nothing it does not know).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct SendRecord {
    pub(crate) sha1: String,
    pub(crate) size: u64,
    pub(crate) path: String,
    pub(crate) confirmed: u64,
}

impl SendRecord {
    /// The record's file in `dir`.
    pub(crate) fn path_in(dir: &Path, sha1: &str) -> PathBuf {
        dir.join(format!("send-{sha1}.json"))
    }

    /// The record of the file with this SHA-1, if any.
    pub(crate) fn load(dir: &Path, sha1: &str) -> Option<Self> {
        let text = std::fs::read_to_string(Self::path_in(dir, sha1)).ok()?;
        serde_json::from_str::<Self>(&text)
            .ok()
            .filter(|r| r.sha1 == sha1)
    }

    /// Saves it (aside, then renamed).
    pub(crate) fn save(&self, dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        let path = Self::path_in(dir, &self.sha1);
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, serde_json::to_string(self).unwrap_or_default())?;
        std::fs::rename(tmp, path)
    }

    /// Forgets it.
    pub(crate) fn remove(dir: &Path, sha1: &str) {
        let _ = std::fs::remove_file(Self::path_in(dir, sha1));
    }
}

/// The default folder for sender records: `$XDG_STATE_HOME/msrp`, else
/// `~/.local/state/msrp`, else the system's temporary folder.
pub(crate) fn default_state_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("XDG_STATE_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir).join("msrp");
    }
    if let Some(home) = std::env::var_os("HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(home).join(".local/state/msrp");
    }
    std::env::temp_dir().join("msrp-state")
}

/// This process's peak resident memory in KiB (Linux `VmHWM`), if known.
pub(crate) fn max_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use msrp_chat::file::{FileInfo, push_offer};
    use msrp_chat::sdp::LocalEndpoint;

    #[test]
    fn a_body_reads_back_as_the_same_media() {
        let me = LocalEndpoint::new("msrp://127.0.0.1:2855/abc123;tcp".parse().unwrap());
        let offer = push_offer(&me, &FileInfo::new("a b.txt", 5, [3; 20]), "t1", 1).unwrap();
        let text = body(&offer);
        assert!(text.starts_with("v=0\r\no=- "), "{text}");
        assert!(text.contains("c=IN IP4 127.0.0.1\r\n"), "{text}");
        let back = first_msrp(&text).unwrap();
        assert_eq!(back.file, offer.file);
        assert!(first_msrp("v=0\r\n").is_err());
    }

    #[test]
    fn send_records_round_trip() {
        let dir = std::env::temp_dir().join(format!("msrp-cli-state-{}", std::process::id()));
        let r = SendRecord {
            sha1: "ab".repeat(20),
            size: 10,
            path: "/x".into(),
            confirmed: 4,
        };
        r.save(&dir).unwrap();
        assert_eq!(SendRecord::load(&dir, &r.sha1), Some(r.clone()));
        SendRecord::remove(&dir, &r.sha1);
        assert_eq!(SendRecord::load(&dir, &r.sha1), None);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
