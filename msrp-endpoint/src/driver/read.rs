//! The driver's read side: from the socket into the connection, into the
//! thread's scratch buffer while the connection is quiet and straight into
//! the parser's buffer while data flows (bulk), with the end of stream or
//! error a read meets after some bytes kept for the next read.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_io::AsyncRead;
use tracing::{debug, trace};

use super::{Driver, escape};

/// Bytes one read may take (64 KiB reads measured best on loopback).
pub(super) const READ_SIZE: usize = 64 * 1024;
thread_local! {
    /// Where reads between chunks land (see `Driver::poll_read`): one
    /// buffer per thread instead of one per connection.
    static READ_SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Reads go straight into the parser's buffer, which grows by this much at
/// a time: several reads share an allocation, and the body pieces handed
/// out are slices of it. Small enough that a piece an application keeps
/// does not keep much more memory alive than the piece itself plus a read.
const READ_BLOCK: usize = 128 * 1024;
/// A read at least this large means bulk data is flowing: for a while
/// (`BULK_LINGER`), reads between chunks go straight into the connection's
/// buffer instead of through the thread's scratch buffer, and the buffer is
/// kept between chunks.
const BULK_READ: usize = 16 * 1024;
/// How long a connection counts as in bulk after its last large read.
pub(super) const BULK_LINGER: Duration = Duration::from_millis(200);
/// The most plaintext one TLS record carries (RFC 8446 §5.1).
const RECORD_PLAINTEXT: usize = 16 * 1024;
/// How long what the connection handed out before the peer's end of stream
/// may take to be written before the end is taken in anyway: a peer that
/// closed its side and stopped reading must not keep the connection open.
const EOF_FLUSH_LIMIT: Duration = Duration::from_secs(10);
impl Driver {
    /// One read; how many bytes it brought, `None` if it was pending or
    /// not wanted.
    pub(super) fn poll_read(&mut self) -> Option<usize> {
        if self.read_done || !self.conn.wants_input() || !self.readable.take() {
            return None;
        }
        let mut read_pending = false;
        let polled = match self.read_stash.take() {
            Some(stashed) => stashed,
            None => self.poll_socket(&mut read_pending),
        };
        let now = self.now();
        if let Poll::Ready(Ok(n)) = polled {
            if n >= BULK_READ {
                self.bulk_until = Some(now + BULK_LINGER);
            }
        }
        if self.conn.input_idle() && !self.in_bulk(now) {
            // Between chunks and no bulk data flowing: a connection that
            // waits holds no read buffer. In bulk, not at every chunk's end:
            // the blocks it keeps for reuse would go too, and each new one
            // is fresh memory (see `Parser::spares`); `poll_timer` gives
            // them back once the bulk stops.
            self.conn.release_input_buffer();
        }
        if polled.is_ready() && !read_pending {
            self.readable.set();
        }
        match polled {
            Poll::Ready(Ok(0)) => {
                self.read_done = true;
                trace!(target: "msrp::traffic", parent: &self.span, "<<< end of stream");
                // What the connection already handed out goes to the socket
                // first: a message counts as sent on a clean close only if
                // its last byte left before the close was taken in.
                self.eof_deferred = Some(self.now() + EOF_FLUSH_LIMIT);
                self.take_deferred_eof();
                Some(0)
            }
            Poll::Ready(Ok(n)) => Some(n),
            Poll::Ready(Err(err)) => {
                debug!(target: "msrp::traffic", parent: &self.span, %err, "read failed");
                self.read_done = true;
                let now = self.now();
                self.conn.handle_reset(now);
                Some(0)
            }
            Poll::Pending => None,
        }
    }

    /// One read from the socket into the connection (see `poll_read`);
    /// `read_pending` is set when the socket said "would block" after
    /// giving some bytes.
    fn poll_socket(&mut self, read_pending: &mut bool) -> Poll<io::Result<usize>> {
        let now = self.now();
        let in_bulk = self.in_bulk(now);
        let io = &mut self.io;
        let conn = &mut self.conn;
        let span = &self.span;
        let mut cx = Context::from_waker(&self.readable.waker);
        let trace_read = |buf: &[u8]| {
            if !buf.is_empty() && tracing::enabled!(target: "msrp::traffic", tracing::Level::TRACE)
            {
                trace!(target: "msrp::traffic", parent: span, "<<< {}", escape(buf));
            }
        };
        if conn.input_idle() && !in_bulk {
            // Quiet until now: into this thread's scratch buffer, and what
            // came is copied into the connection. An idle connection then
            // holds no read buffer of its own (64 KiB each made 10 000 idle
            // connections cost over 600 MiB), and a small message costs a
            // small copy. In bulk, the connection keeps its buffer (see
            // `poll_read`) and reads on into it.
            READ_SCRATCH.with(|scratch| {
                let mut scratch = scratch.borrow_mut();
                if scratch.len() < READ_SIZE {
                    scratch.resize(READ_SIZE, 0);
                }
                let polled = Pin::new(io).poll_read(&mut cx, &mut scratch[..READ_SIZE]);
                if let Poll::Ready(Ok(n)) = polled {
                    trace_read(&scratch[..n]);
                    if n > 0 {
                        conn.handle_input(now, &scratch[..n]);
                    }
                }
                polled
            })
        } else {
            // Data flowing: straight into the parser's buffer, with no copy
            // of what is read. A TLS stream
            // gives one record (16 KiB at most) per read: reading on until
            // the window is full makes one body piece of several records,
            // and a quarter of the pieces, events and wake-ups downstream.
            let stashed = &mut self.read_stash;
            conn.handle_read(now, READ_SIZE, READ_BLOCK, |buf| {
                let mut filled = 0;
                let out = loop {
                    match Pin::new(&mut *io).poll_read(&mut cx, &mut buf[filled..]) {
                        Poll::Ready(Ok(n)) if n > 0 => {
                            trace_read(&buf[filled..filled + n]);
                            filled += n;
                            if filled == buf.len() || n > RECORD_PLAINTEXT {
                                // Full, or not a record-sized read (plain
                                // TCP): another read would most likely
                                // just say "would block".
                                break Poll::Ready(Ok(filled));
                            }
                        }
                        other if filled == 0 => break other,
                        Poll::Pending => {
                            *read_pending = true;
                            break Poll::Ready(Ok(filled));
                        }
                        // The end or an error after some bytes: the bytes
                        // now, the rest on the next read.
                        end => {
                            *stashed = Some(end);
                            break Poll::Ready(Ok(filled));
                        }
                    }
                };
                (filled, out)
            })
        }
    }

    /// Gives the connection the peer's end of stream once the bytes it had
    /// handed out before are written.
    pub(super) fn take_deferred_eof(&mut self) -> bool {
        let Some(limit) = self.eof_deferred else {
            return false;
        };
        let now = self.now();
        let written = self.out.is_drained();
        if !written && now < limit {
            return false;
        }
        self.eof_deferred = None;
        self.conn.handle_eof(now);
        true
    }

    /// Whether large reads came lately (see `BULK_READ`).
    pub(super) fn in_bulk(&self, now: Instant) -> bool {
        self.bulk_until.is_some_and(|until| now < until)
    }
}
