//! A file read piece by piece on its own thread and hashed as it is read:
//! disk reads and hashing overlap with sending, and at most a few pieces
//! are in memory at once, whatever the file's size.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;
use std::thread;

use bytes::{Bytes, BytesMut};
use futures_channel::oneshot;
use sha2::{Digest, Sha256};

/// Pieces read ahead of the sender.
const READ_AHEAD: usize = 4;

/// The pieces of an open file, then its SHA-256.
pub(crate) struct FileSource {
    /// Pieces in order; an error ends the stream.
    pub(crate) pieces: async_channel::Receiver<io::Result<Bytes>>,
    /// The hex SHA-256 once every piece is read.
    pub(crate) sha256: oneshot::Receiver<String>,
}

/// Opens `path` and returns it with its size (so that a missing file is
/// reported before any connection is made).
pub(crate) fn open(path: &Path) -> io::Result<(File, u64)> {
    let file = File::open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "not a file"));
    }
    Ok((file, meta.len()))
}

/// Reads exactly `size` bytes of `file` in pieces of `piece` bytes.
pub(crate) fn read(mut file: File, size: u64, piece: usize) -> FileSource {
    let (tx, pieces) = async_channel::bounded(READ_AHEAD);
    let (hash_tx, sha256) = oneshot::channel();
    thread::spawn(move || {
        let mut hash = Sha256::new();
        let mut left = size;
        while left > 0 {
            let want = usize::try_from(left).map_or(piece, |l| l.min(piece));
            let mut buf = BytesMut::zeroed(want);
            let result = file.read_exact(&mut buf).map(|()| buf.freeze());
            let failed = result.is_err();
            if let Ok(bytes) = &result {
                hash.update(bytes);
                left -= bytes.len() as u64;
            }
            let result = result.map_err(|e| match e.kind() {
                io::ErrorKind::UnexpectedEof => {
                    io::Error::new(e.kind(), "the file became shorter while it was being sent")
                }
                _ => e,
            });
            if tx.send_blocking(result).is_err() || failed {
                return; // the sender gave up, or there is nothing more
            }
        }
        let _ = hash_tx.send(hex::encode(hash.finalize()));
    });
    FileSource { pieces, sha256 }
}
