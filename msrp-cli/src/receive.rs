//! Incoming messages in streaming mode: each piece is hashed and, with an
//! output folder, written at its offset as it arrives, so a message of any
//! size costs a few buffers of memory, never its whole body.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use bytes::Bytes;
use msrp_tokio::Incoming;
use msrp_tokio::msrp_proto::connection::MessageId;
use sha2::{Digest, Sha256};

use crate::json::Event;

/// Out-of-order bytes held back for hashing when there is no file to
/// re-read; past this the hash of that message is given up (null).
const MAX_HELD: usize = 16 << 20;

/// A message being received.
struct InProgress {
    content_type: Option<String>,
    file: Option<(PathBuf, File)>,
    /// Where the file's cursor is, to skip a seek for in-order pieces.
    file_pos: u64,
    hash: Sha256,
    /// Bytes `0..hashed` went into `hash`.
    hashed: u64,
    /// Pieces past `hashed`, until the gap before them fills.
    held: BTreeMap<u64, Bytes>,
    held_bytes: usize,
    /// The hash cannot be computed from the pieces (see [`MAX_HELD`]).
    lost_order: bool,
}

impl InProgress {
    /// Hashes what can be hashed in order; keeps the rest for later.
    fn hash_piece(&mut self, offset: u64, data: Bytes) {
        if self.lost_order {
            return;
        }
        self.take_in_order(offset, data);
        while let Some(entry) = self.held.first_entry() {
            if *entry.key() > self.hashed {
                break;
            }
            let (offset, data) = entry.remove_entry();
            self.held_bytes -= data.len();
            self.take_in_order(offset, data);
        }
    }

    fn take_in_order(&mut self, offset: u64, data: Bytes) {
        let end = offset + data.len() as u64;
        if end <= self.hashed {
            return; // a resent piece: already hashed
        }
        if offset > self.hashed {
            self.held_bytes += data.len();
            if self.held_bytes > MAX_HELD {
                self.lost_order = true;
                self.held.clear();
                return;
            }
            self.held.insert(offset, data);
            return;
        }
        // `offset <= hashed < end`: the new part starts inside the piece.
        let skip = usize::try_from(self.hashed - offset).unwrap_or(0);
        self.hash.update(&data[skip..]);
        self.hashed = end;
    }
}

/// Turns incoming items into `message` and `aborted` events.
pub(crate) struct Receiver {
    out_dir: Option<PathBuf>,
    messages: HashMap<MessageId, InProgress>,
}

/// What an incoming item meant.
pub(crate) enum Received {
    /// Nothing to report yet.
    Nothing,
    /// A message ended (completed or aborted).
    Event(Event),
}

impl Receiver {
    /// Writes bodies into `out_dir` when given.
    pub(crate) fn new(out_dir: Option<PathBuf>) -> Self {
        Self {
            out_dir,
            messages: HashMap::new(),
        }
    }

    /// Takes one item; file errors are reported, not ignored.
    pub(crate) fn take(&mut self, item: Incoming) -> io::Result<Received> {
        match item {
            Incoming::Started { message, head, .. } => {
                let file = match &self.out_dir {
                    Some(dir) => {
                        let path = dir.join(file_name(message.as_str()));
                        let file = File::create(&path).map_err(|e| {
                            io::Error::new(
                                e.kind(),
                                format!("cannot create {}: {e}", path.display()),
                            )
                        })?;
                        Some((path, file))
                    }
                    None => None,
                };
                self.messages.insert(
                    message,
                    InProgress {
                        content_type: head.content_type().map(str::to_owned),
                        file,
                        file_pos: 0,
                        hash: Sha256::new(),
                        hashed: 0,
                        held: BTreeMap::new(),
                        held_bytes: 0,
                        lost_order: false,
                    },
                );
                Ok(Received::Nothing)
            }
            Incoming::Data {
                message,
                offset,
                data,
            } => {
                let Some(msg) = self.messages.get_mut(&message) else {
                    return Ok(Received::Nothing);
                };
                if let Some((path, file)) = &mut msg.file {
                    if msg.file_pos != offset {
                        file.seek(SeekFrom::Start(offset))?;
                    }
                    file.write_all(&data).map_err(|e| {
                        io::Error::new(e.kind(), format!("cannot write {}: {e}", path.display()))
                    })?;
                    msg.file_pos = offset + data.len() as u64;
                }
                msg.hash_piece(offset, data);
                Ok(Received::Nothing)
            }
            Incoming::Completed {
                message,
                size,
                chunks,
            } => {
                let Some(msg) = self.messages.remove(&message) else {
                    return Ok(Received::Nothing);
                };
                let content_type = msg.content_type.clone();
                let sha256 = finish_hash(msg, size)?;
                Ok(Received::Event(Event::Message {
                    message_id: message.as_str().to_owned(),
                    content_type,
                    size,
                    sha256,
                    chunks,
                }))
            }
            Incoming::Aborted { message, received } => {
                if let Some(InProgress {
                    file: Some((path, file)),
                    ..
                }) = self.messages.remove(&message)
                {
                    // A partial file would look like a received message.
                    drop(file);
                    let _ = std::fs::remove_file(path);
                }
                Ok(Received::Event(Event::Aborted {
                    message_id: message.as_str().to_owned(),
                    received,
                }))
            }
            _ => Ok(Received::Nothing),
        }
    }
}

/// The hash of a completed message: from the pieces when they arrived in
/// order (or close enough), else by re-reading the file.
fn finish_hash(msg: InProgress, size: u64) -> io::Result<Option<String>> {
    let InProgress {
        file,
        hash,
        hashed,
        lost_order,
        ..
    } = msg;
    if let Some((path, mut file)) = file {
        file.flush()?;
        // The file is as long as the message even if the last bytes to
        // arrive were not the last of the message.
        file.set_len(size)?;
        if lost_order || hashed != size {
            drop(file);
            return hash_file(&path).map(Some);
        }
    }
    if lost_order || hashed != size {
        return Ok(None);
    }
    Ok(Some(hex::encode(hash.finalize())))
}

fn hash_file(path: &Path) -> io::Result<String> {
    let mut file = File::open(path)?;
    let mut hash = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok(hex::encode(hash.finalize()));
        }
        hash.update(&buf[..n]);
    }
}

/// A file name for a Message-ID. RFC 4975 ids are letters, digits and
/// `.-+%=`, but the id comes from the peer: anything else becomes `_`, and
/// a name of dots only cannot climb out of the folder.
pub(crate) fn file_name(message_id: &str) -> String {
    let name: String = message_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-+%=".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.is_empty() || name.chars().all(|c| c == '.') {
        format!("message-{}", name.len())
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn progress() -> InProgress {
        InProgress {
            content_type: None,
            file: None,
            file_pos: 0,
            hash: Sha256::new(),
            hashed: 0,
            held: BTreeMap::new(),
            held_bytes: 0,
            lost_order: false,
        }
    }

    #[test]
    fn pieces_out_of_order_and_overlapping_hash_like_the_whole() {
        let body = Bytes::from_static(b"0123456789abcdefghij");
        let mut msg = progress();
        msg.hash_piece(10, body.slice(10..15));
        msg.hash_piece(0, body.slice(0..6));
        msg.hash_piece(4, body.slice(4..12)); // overlaps both
        msg.hash_piece(15, body.slice(15..20));
        let hash = finish_hash(msg, 20).unwrap().unwrap();
        assert_eq!(hash, hex::encode(Sha256::digest(&body)));
    }

    #[test]
    fn hostile_message_ids_stay_in_the_folder() {
        assert_eq!(file_name("abc.1-2"), "abc.1-2");
        assert_eq!(file_name("../etc/passwd"), ".._etc_passwd");
        assert_eq!(file_name(".."), "message-2");
        assert_eq!(file_name("a/b\\c"), "a_b_c");
    }
}
