//! The disk side of a transfer, on threads of their own so that no
//! executor thread ever waits for a disk: the sender's reader (pieces read
//! ahead into a small bounded queue) and the receiver's writer (positioned
//! writes, the [`ReceiveTracker`] and its read-backs, the partial record,
//! the final rename).

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::thread;

use bytes::{Bytes, BytesMut};
use futures_channel::oneshot;

use super::transfer::TransferError;
use super::{PartialRecord, ReceiveError, ReceiveTracker, Verification, place_without_overwrite};

/// Pieces read ahead of the sender.
const READ_AHEAD: usize = 4;

/// Commands queued for the writer thread at most: with 64 KiB pieces, 1 MiB.
const WRITE_QUEUE: usize = 16;

/// The block size of read-backs (bytes hashed again after a gap filled).
const READ_BACK: usize = 256 * 1024;

/// Reads bytes `start..=size` (1-based) of `path` in pieces of `piece`
/// bytes on a thread; the queue holds a few pieces, so memory stays
/// bounded whatever the file's size. An error ends the stream.
pub(crate) fn read_pieces(
    path: PathBuf,
    start: u64,
    size: u64,
    piece: usize,
) -> async_channel::Receiver<io::Result<Bytes>> {
    let (tx, rx) = async_channel::bounded(READ_AHEAD);
    let spawned = thread::Builder::new()
        .name("msrp-file-read".into())
        .spawn(move || {
            let open = || -> io::Result<File> {
                let mut file = File::open(&path)?;
                file.seek(SeekFrom::Start(start.saturating_sub(1)))?;
                Ok(file)
            };
            let mut file = match open() {
                Ok(f) => f,
                Err(e) => {
                    let _ = tx.send_blocking(Err(e));
                    return;
                }
            };
            let mut left = size.saturating_sub(start.saturating_sub(1));
            while left > 0 {
                let want = usize::try_from(left).map_or(piece, |l| l.min(piece));
                let mut buf = BytesMut::zeroed(want);
                let result = file.read_exact(&mut buf).map(|()| buf.freeze());
                let result = result.map_err(|e| match e.kind() {
                    io::ErrorKind::UnexpectedEof => {
                        io::Error::new(e.kind(), "the file became shorter while it was being sent")
                    }
                    _ => e,
                });
                let failed = result.is_err();
                left -= result.as_ref().map_or(0, |b| b.len() as u64);
                if tx.send_blocking(result).is_err() || failed {
                    return;
                }
            }
        });
    if let Err(e) = spawned {
        let (tx, rx) = async_channel::bounded(1);
        let _ = tx.try_send(Err(e));
        return rx;
    }
    rx
}

/// What the receiver's writer is asked, in order.
pub(crate) enum DiskCommand {
    /// Opens the partial file for a file of `size` bytes, starting at the
    /// 1-based `start` (past 1: the partial file holds the bytes before).
    Begin {
        size: u64,
        expected: Option<[u8; 20]>,
        start: u64,
        /// The partial file's path.
        partial: PathBuf,
        /// The final name.
        name: String,
        media_type: Option<String>,
        reply: oneshot::Sender<Result<(), TransferError>>,
    },
    /// Bytes at a 0-based offset.
    Data { offset: u64, data: Bytes },
    /// The message completed: verify, and place the file.
    Finish {
        reply: oneshot::Sender<Result<(PathBuf, Verification), TransferError>>,
    },
    /// The transfer stopped: keep the partial file (and its record) for a
    /// resume, or remove it. Replies with the first byte missing when kept.
    Stop {
        keep: bool,
        reply: oneshot::Sender<Option<u64>>,
    },
}

/// What the writer tells the transfer task on its own.
#[derive(Debug)]
pub(crate) enum DiskNote {
    /// The contiguous prefix on disk grew to this many bytes (and the
    /// partial record says so).
    Checkpoint(u64),
    /// Writing failed; later data is dropped.
    Failed(TransferError),
}

/// The handle on the writer thread.
pub(crate) struct Disk {
    pub(crate) commands: async_channel::Sender<DiskCommand>,
    pub(crate) notes: async_channel::Receiver<DiskNote>,
}

impl Disk {
    /// Starts the writer for files in `dir`; a checkpoint note (and a saved
    /// record) each time the contiguous prefix grows by `checkpoint` bytes.
    pub(crate) fn start(dir: PathBuf, checkpoint: u64) -> io::Result<Self> {
        let (commands, queue) = async_channel::bounded(WRITE_QUEUE);
        // Unbounded, yet small: one note per checkpoint. Bounded, the writer
        // could wait on the task while the task waits on the writer.
        let (note_tx, notes) = async_channel::unbounded();
        thread::Builder::new()
            .name("msrp-file-write".into())
            .spawn(move || {
                let mut writer = Writer {
                    dir,
                    checkpoint: checkpoint.max(1),
                    open: None,
                    failed: false,
                    notes: note_tx,
                    buf: Vec::new(),
                };
                while let Ok(command) = queue.recv_blocking() {
                    writer.command(command);
                }
            })?;
        Ok(Self { commands, notes })
    }
}

/// The file being received.
struct Open {
    path: PathBuf,
    file: File,
    /// Where the file's cursor is.
    pos: u64,
    tracker: ReceiveTracker,
    record: Option<PartialRecord>,
    name: String,
    last_checkpoint: u64,
}

struct Writer {
    dir: PathBuf,
    checkpoint: u64,
    open: Option<Open>,
    failed: bool,
    notes: async_channel::Sender<DiskNote>,
    buf: Vec<u8>,
}

impl Writer {
    fn command(&mut self, command: DiskCommand) {
        match command {
            DiskCommand::Begin {
                size,
                expected,
                start,
                partial,
                name,
                media_type,
                reply,
            } => {
                let result = self.begin(size, expected, start, partial, name, media_type);
                let _ = reply.send(result);
            }
            DiskCommand::Data { offset, data } => {
                if self.failed {
                    return;
                }
                if let Err(err) = self.data(offset, &data) {
                    self.failed = true;
                    let _ = self.notes.try_send(DiskNote::Failed(err));
                }
            }
            DiskCommand::Finish { reply } => {
                let _ = reply.send(self.finish());
            }
            DiskCommand::Stop { keep, reply } => {
                let _ = reply.send(self.stop(keep));
            }
        }
    }

    fn begin(
        &mut self,
        size: u64,
        expected: Option<[u8; 20]>,
        start: u64,
        path: PathBuf,
        name: String,
        media_type: Option<String>,
    ) -> Result<(), TransferError> {
        let io_err = |what: &str, path: &Path, e: io::Error| {
            TransferError::Io(io::Error::new(
                e.kind(),
                format!("{what} {}: {e}", path.display()),
            ))
        };
        let (file, tracker) = if start > 1 {
            let have = expected
                .and_then(|sha1| PartialRecord::load(&self.dir, &sha1).ok().flatten())
                .map_or(0, |r| r.contiguous);
            if have < start - 1 {
                return Err(TransferError::Negotiation(
                    super::FileOfferError::CannotResume {
                        start,
                        have: Some(have),
                    },
                ));
            }
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .open(&path)
                .map_err(|e| io_err("cannot open the partial file", &path, e))?;
            (file, ReceiveTracker::resumed(size, expected, have))
        } else {
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(true)
                .open(&path)
                .map_err(|e| io_err("cannot create", &path, e))?;
            (file, ReceiveTracker::new(size, expected))
        };
        let record = expected.map(|sha1| PartialRecord {
            sha1,
            size,
            contiguous: tracker.contiguous(),
            name: name.clone(),
            media_type,
        });
        let mut open = Open {
            path,
            file,
            pos: 0,
            tracker,
            record,
            name,
            last_checkpoint: 0,
        };
        // The bytes already here are hashed again before new ones come.
        read_back(&mut open, &mut self.buf)?;
        open.last_checkpoint = open.tracker.contiguous();
        if let Some(record) = &open.record {
            record
                .save(&self.dir)
                .map_err(|e| io_err("cannot write the partial record in", &self.dir, e))?;
        }
        self.open = Some(open);
        self.failed = false;
        Ok(())
    }

    fn data(&mut self, offset: u64, data: &[u8]) -> Result<(), TransferError> {
        let Some(open) = self.open.as_mut() else {
            return Ok(());
        };
        // Checked before writing: nothing lands outside the file.
        if offset.saturating_add(data.len() as u64) > open.tracker.size() {
            return Err(TransferError::Receive(ReceiveError::OutOfBounds {
                start: offset + 1,
                end: offset.saturating_add(data.len() as u64),
                size: open.tracker.size(),
            }));
        }
        if open.pos != offset {
            open.file.seek(SeekFrom::Start(offset))?;
        }
        open.file.write_all(data).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("cannot write {}: {e}", open.path.display()),
            )
        })?;
        open.pos = offset + data.len() as u64;
        open.tracker.piece(offset, data)?;
        read_back(open, &mut self.buf)?;
        let contiguous = open.tracker.contiguous();
        if contiguous >= open.last_checkpoint + self.checkpoint && contiguous < open.tracker.size()
        {
            open.last_checkpoint = contiguous;
            if let Some(record) = open.record.as_mut() {
                record.contiguous = contiguous;
                record.save(&self.dir)?;
            }
            let _ = self.notes.try_send(DiskNote::Checkpoint(contiguous));
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<(PathBuf, Verification), TransferError> {
        let Some(mut open) = self.open.take() else {
            return Err(TransferError::Order("no file was being received"));
        };
        if self.failed {
            // The error was reported; keep what is there for a resume.
            let _ = save_record(&self.dir, &mut open);
            return Err(TransferError::Order("writing the file had failed"));
        }
        read_back(&mut open, &mut self.buf)?;
        open.file.flush()?;
        let Open {
            path,
            file,
            tracker,
            mut record,
            name,
            ..
        } = open;
        drop(file);
        let contiguous = tracker.contiguous();
        match tracker.finish() {
            Ok(verification) => {
                let placed = place_without_overwrite(&path, &self.dir, &name)?;
                if let Some(record) = &record {
                    let _ =
                        std::fs::remove_file(PartialRecord::record_path(&self.dir, &record.sha1));
                }
                Ok((placed, verification))
            }
            Err(err @ ReceiveError::HashMismatch { .. }) => {
                // These bytes are not the file: nothing to resume from.
                let _ = std::fs::remove_file(&path);
                if let Some(record) = &record {
                    let _ =
                        std::fs::remove_file(PartialRecord::record_path(&self.dir, &record.sha1));
                }
                Err(err.into())
            }
            Err(err) => {
                if let Some(record) = record.as_mut() {
                    record.contiguous = contiguous;
                    let _ = record.save(&self.dir);
                }
                Err(err.into())
            }
        }
    }

    fn stop(&mut self, keep: bool) -> Option<u64> {
        let mut open = self.open.take()?;
        let _ = open.file.flush();
        if keep && open.record.is_some() {
            // What is hashed is certainly on disk and checked so far.
            let _ = read_back(&mut open, &mut self.buf);
            let contiguous = open.tracker.contiguous();
            if save_record(&self.dir, &mut open).is_ok() {
                return (contiguous < open.tracker.size()).then_some(contiguous + 1);
            }
        }
        drop(open.file);
        let _ = std::fs::remove_file(&open.path);
        if let Some(record) = &open.record {
            let _ = std::fs::remove_file(PartialRecord::record_path(&self.dir, &record.sha1));
        }
        None
    }
}

fn save_record(dir: &Path, open: &mut Open) -> io::Result<()> {
    let contiguous = open.tracker.contiguous();
    match open.record.as_mut() {
        Some(record) => {
            record.contiguous = contiguous;
            record.save(dir)
        }
        None => Ok(()),
    }
}

/// Hashes what the tracker asks to read back, a block at a time.
fn read_back(open: &mut Open, buf: &mut Vec<u8>) -> Result<(), TransferError> {
    while let Some(range) = open.tracker.read_back(READ_BACK) {
        let len = usize::try_from(range.end - range.start).unwrap_or(READ_BACK);
        buf.resize(len, 0);
        open.file.seek(SeekFrom::Start(range.start))?;
        open.file.read_exact(&mut buf[..len])?;
        open.pos = range.end;
        open.tracker.hash_read_back(range.start, &buf[..len])?;
    }
    Ok(())
}
