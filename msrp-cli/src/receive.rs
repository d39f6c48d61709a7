//! Incoming messages in streaming mode: each piece is hashed and, with an
//! output folder, written at its offset as it arrives, so a message of any
//! size costs a few buffers of memory, never its whole body.

use std::collections::{BTreeMap, HashMap};
use std::io;
use std::path::PathBuf;

use bytes::Bytes;
use msrp_endpoint::Incoming;
use msrp_proto::connection::MessageId;
use sha2::{Digest, Sha256};

use crate::json::Event;
use crate::writer::{FileId, Writer};

/// Out-of-order bytes held back for hashing when there is no file to
/// re-read; past this the hash of that message is given up (null).
const MAX_HELD: usize = 16 << 20;

/// A message being received.
struct InProgress {
    content_type: Option<String>,
    /// The file its body goes to in the output folder.
    file: Option<FileId>,
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

    /// Whether the pieces gave the hash of all `size` bytes.
    fn hashed_all(&self, size: u64) -> bool {
        !self.lost_order && self.hashed == size
    }
}

/// Turns incoming items into `message` and `aborted` events.
pub(crate) struct Receiver {
    out_dir: Option<(PathBuf, Writer)>,
    messages: HashMap<MessageId, InProgress>,
    /// Files created so far (the next one's number).
    files: FileId,
}

/// What an incoming item meant.
pub(crate) enum Received {
    /// Nothing to report yet.
    Nothing,
    /// A message ended (completed or aborted).
    Event(Event),
}

impl Receiver {
    /// Writes bodies into `out_dir` when given, on a thread of its own.
    pub(crate) fn new(out_dir: Option<PathBuf>) -> io::Result<Self> {
        let out_dir = match out_dir {
            Some(dir) => Some((dir, Writer::start()?)),
            None => None,
        };
        Ok(Self {
            out_dir,
            messages: HashMap::new(),
            files: 0,
        })
    }

    /// Takes one item; file errors are reported, not ignored. An event
    /// comes once its file is complete (or removed) on disk.
    pub(crate) async fn take(&mut self, item: Incoming) -> io::Result<Received> {
        match item {
            Incoming::Started { message, head, .. } => {
                let file = match &mut self.out_dir {
                    Some((dir, writer)) => {
                        let path = dir.join(file_name(message.as_str()));
                        self.files += 1;
                        writer.create(self.files, path).await?;
                        Some(self.files)
                    }
                    None => None,
                };
                self.messages.insert(
                    message,
                    InProgress {
                        content_type: head.content_type().map(str::to_owned),
                        file,
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
                if let (Some(file), Some((_, writer))) = (msg.file, &mut self.out_dir) {
                    // A clone of `Bytes` shares the buffer: no copy.
                    writer.write(file, offset, data.clone()).await?;
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
                let in_order = msg.hashed_all(size);
                // Without the pieces in order, the hash comes from the file.
                let from_file = match (msg.file, &mut self.out_dir) {
                    (Some(file), Some((_, writer))) => writer.finish(file, size, !in_order).await?,
                    _ => None,
                };
                let sha256 = if in_order {
                    Some(hex::encode(msg.hash.finalize()))
                } else {
                    from_file
                };
                Ok(Received::Event(Event::Message {
                    message_id: message.as_str().to_owned(),
                    content_type: msg.content_type,
                    size,
                    sha256,
                    chunks,
                }))
            }
            Incoming::Aborted { message, received } => {
                let file = self.messages.remove(&message).and_then(|m| m.file);
                if let (Some(file), Some((_, writer))) = (file, &mut self.out_dir) {
                    writer.remove(file).await?;
                }
                Ok(Received::Event(Event::Aborted {
                    message_id: message.as_str().to_owned(),
                    received,
                }))
            }
            _ => Ok(Received::Nothing),
        }
    }

    /// Waits until every byte taken so far is written.
    pub(crate) async fn close(self) -> io::Result<()> {
        match self.out_dir {
            Some((_, writer)) => writer.close().await,
            None => Ok(()),
        }
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
        assert!(msg.hashed_all(20));
        assert_eq!(
            hex::encode(msg.hash.finalize()),
            hex::encode(Sha256::digest(&body))
        );
    }

    #[test]
    fn hostile_message_ids_stay_in_the_folder() {
        assert_eq!(file_name("abc.1-2"), "abc.1-2");
        assert_eq!(file_name("../etc/passwd"), ".._etc_passwd");
        assert_eq!(file_name(".."), "message-2");
        assert_eq!(file_name("a/b\\c"), "a_b_c");
    }
}
