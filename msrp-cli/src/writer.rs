//! Message bodies written to `--out-dir` on a thread of their own, so that
//! a slow disk never stalls an executor thread.
//!
//! One thread fed by a bounded channel rather than the `blocking` crate's
//! pool: the writes of one listener form a single ordered stream (pieces of
//! a file in arrival order, then its finish), which one thread keeps in
//! order for free and a pool would have to serialize again; and the bounded
//! channel pushes back like the disk itself did before: when the disk falls
//! behind, the receiver stops reading, and TCP slows the peer.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::thread;

use bytes::Bytes;
use futures_channel::oneshot;
use sha2::{Digest, Sha256};

/// Pieces queued for the disk at most (each one an incoming piece, 64 KiB
/// or less with the default chunk size).
const QUEUE: usize = 16;

/// A file being written, as its caller numbers it.
pub(crate) type FileId = u64;

/// What the thread does, in the order it is asked.
enum Command {
    /// Creates (or truncates) the file of a message.
    Create { id: FileId, path: PathBuf },
    /// Writes bytes of a message at an offset.
    Write {
        id: FileId,
        offset: u64,
        data: Bytes,
    },
    /// Completes a message's file at `size` bytes; with `rehash`, replies
    /// with the hash of the file as written.
    Finish {
        id: FileId,
        size: u64,
        rehash: bool,
        done: oneshot::Sender<Option<String>>,
    },
    /// Removes a message's partial file.
    Remove {
        id: FileId,
        done: oneshot::Sender<()>,
    },
}

/// The handle on the writer thread. A failed file operation stops the
/// thread; the next request then fails with that error.
pub(crate) struct Writer {
    commands: async_channel::Sender<Command>,
    /// The error that stopped the thread (cancelled when it ends cleanly).
    stopped: oneshot::Receiver<io::Error>,
}

impl Writer {
    /// Starts the thread.
    pub(crate) fn start() -> io::Result<Self> {
        let (commands, queue) = async_channel::bounded(QUEUE);
        let (stop, stopped) = oneshot::channel();
        thread::Builder::new()
            .name("out-dir".into())
            .spawn(move || {
                if let Err(err) = serve(&queue) {
                    // Requests queued behind the failure would wait forever
                    // for replies (the handle's sender keeps the queue
                    // alive): closing refuses new ones, and draining drops
                    // the queued ones with their reply senders.
                    queue.close();
                    while queue.try_recv().is_ok() {}
                    let _ = stop.send(err);
                }
            })?;
        Ok(Self { commands, stopped })
    }

    /// Creates file `id` at `path`.
    pub(crate) async fn create(&mut self, id: FileId, path: PathBuf) -> io::Result<()> {
        self.send(Command::Create { id, path }).await
    }

    /// Writes `data` at `offset` of file `id`.
    pub(crate) async fn write(&mut self, id: FileId, offset: u64, data: Bytes) -> io::Result<()> {
        self.send(Command::Write { id, offset, data }).await
    }

    /// Completes file `id` at `size` bytes and waits until it is on
    /// disk; with `rehash`, gives the hex SHA-256 of the file.
    pub(crate) async fn finish(
        &mut self,
        id: FileId,
        size: u64,
        rehash: bool,
    ) -> io::Result<Option<String>> {
        let (done, reply) = oneshot::channel();
        self.send(Command::Finish {
            id,
            size,
            rehash,
            done,
        })
        .await?;
        match reply.await {
            Ok(hash) => Ok(hash),
            Err(_) => Err(self.failure().await),
        }
    }

    /// Removes the partial file `id` and waits until it is gone.
    pub(crate) async fn remove(&mut self, id: FileId) -> io::Result<()> {
        let (done, reply) = oneshot::channel();
        self.send(Command::Remove { id, done }).await?;
        match reply.await {
            Ok(()) => Ok(()),
            Err(_) => Err(self.failure().await),
        }
    }

    /// Lets the thread write what is queued and end; waits for that.
    pub(crate) async fn close(self) -> io::Result<()> {
        let Self { commands, stopped } = self;
        drop(commands);
        match stopped.await {
            Ok(err) => Err(err),
            Err(_) => Ok(()),
        }
    }

    async fn send(&mut self, command: Command) -> io::Result<()> {
        match self.commands.send(command).await {
            Ok(()) => Ok(()),
            Err(_) => Err(self.failure().await),
        }
    }

    /// Why the thread stopped.
    async fn failure(&mut self) -> io::Error {
        (&mut self.stopped)
            .await
            .unwrap_or_else(|_| io::Error::other("the --out-dir writer stopped"))
    }
}

/// An open file and where its cursor is (to skip a seek for pieces in
/// order).
struct Open {
    path: PathBuf,
    file: File,
    pos: u64,
}

/// The thread: runs commands until the handle is dropped or one fails.
fn serve(queue: &async_channel::Receiver<Command>) -> io::Result<()> {
    let mut files: HashMap<FileId, Open> = HashMap::new();
    while let Ok(command) = queue.recv_blocking() {
        match command {
            Command::Create { id, path } => {
                let file = File::create(&path).map_err(|e| {
                    io::Error::new(e.kind(), format!("cannot create {}: {e}", path.display()))
                })?;
                files.insert(id, Open { path, file, pos: 0 });
            }
            Command::Write { id, offset, data } => {
                let Some(open) = files.get_mut(&id) else {
                    continue;
                };
                if open.pos != offset {
                    open.file.seek(SeekFrom::Start(offset))?;
                }
                open.file.write_all(&data).map_err(|e| {
                    io::Error::new(
                        e.kind(),
                        format!("cannot write {}: {e}", open.path.display()),
                    )
                })?;
                open.pos = offset + data.len() as u64;
            }
            Command::Finish {
                id,
                size,
                rehash,
                done,
            } => {
                let hash = match files.remove(&id) {
                    Some(Open { path, mut file, .. }) => {
                        file.flush()?;
                        // The file is as long as the message even if the
                        // last bytes to arrive were not the last of it.
                        file.set_len(size)?;
                        drop(file);
                        if rehash {
                            Some(hash_file(&path)?)
                        } else {
                            None
                        }
                    }
                    None => None,
                };
                let _ = done.send(hash);
            }
            Command::Remove { id, done } => {
                if let Some(Open { path, file, .. }) = files.remove(&id) {
                    // A partial file would look like a received message.
                    drop(file);
                    let _ = std::fs::remove_file(path);
                }
                let _ = done.send(());
            }
        }
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("msrp-writer-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn pieces_in_any_order_make_the_file_and_its_hash() {
        let dir = temp_dir("order");
        let body = Bytes::from_static(b"0123456789abcdefghij");
        async_io::block_on(async {
            let mut writer = Writer::start().unwrap();
            writer.create(1, dir.join("m1")).await.unwrap();
            writer.write(1, 10, body.slice(10..20)).await.unwrap();
            writer.write(1, 0, body.slice(0..10)).await.unwrap();
            let hash = writer.finish(1, 20, true).await.unwrap();
            assert_eq!(hash.unwrap(), hex::encode(Sha256::digest(&body)));
            writer.create(2, dir.join("m2")).await.unwrap();
            writer.write(2, 0, body.slice(0..3)).await.unwrap();
            writer.remove(2).await.unwrap();
            writer.close().await.unwrap();
        });
        assert_eq!(std::fs::read(dir.join("m1")).unwrap(), body);
        assert!(!dir.join("m2").exists());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_failed_create_is_the_error_of_the_next_request() {
        let dir = temp_dir("missing");
        async_io::block_on(async {
            let mut writer = Writer::start().unwrap();
            let path = dir.join("no-such-folder").join("m1");
            writer.create(1, path).await.unwrap();
            let err = writer.finish(1, 1, false).await.unwrap_err();
            assert!(err.to_string().starts_with("cannot create "), "{err}");
        });
        let _ = std::fs::remove_dir_all(&dir);
    }
}
