//! Bytes on their way to a socket, for the connection driver and the relay
//! server's connection task alike: gathered from the protocol core, written
//! with vectored writes (a chunk's head, body pieces and end-line in one
//! system call), and flushed once written (a TLS stream may hold the last
//! record back until then).

use std::collections::VecDeque;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_io::AsyncWrite;

use crate::driver::Direction;
use crate::runtime::BoxIo;

/// Buffers one vectored write takes at most (Linux's `IOV_MAX` is 1024;
/// more buffers than this rarely add bytes).
const SLICES_PER_WRITE: usize = 64;

/// Bytes the driver and the relay connection task gather from their core
/// before writing; they stop taking more once the queue holds this much.
pub(crate) const WRITE_BATCH: usize = 256 * 1024;

/// Bytes queued for one socket, in order.
#[derive(Default)]
pub(crate) struct OutQueue {
    bufs: VecDeque<Bytes>,
    len: usize,
    needs_flush: bool,
}

impl OutQueue {
    /// Queues bytes behind the others.
    pub(crate) fn push(&mut self, bytes: Bytes) {
        self.len += bytes.len();
        self.bufs.push_back(bytes);
    }

    /// Bytes queued and not yet written.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing waits to be written (a flush may still be due).
    pub(crate) fn is_empty(&self) -> bool {
        self.bufs.is_empty()
    }

    /// Whether everything queued was written and flushed.
    pub(crate) fn is_drained(&self) -> bool {
        self.bufs.is_empty() && !self.needs_flush
    }

    /// Forgets what is queued: the socket failed.
    pub(crate) fn clear(&mut self) {
        self.bufs.clear();
        self.len = 0;
        self.needs_flush = false;
    }

    /// One vectored write of what is queued, when `writable` says the
    /// socket may take some: `Some(bytes written)`, or `None` when it may
    /// not or would block (its waker is then registered).
    pub(crate) fn write_once(
        &mut self,
        io: &mut BoxIo,
        writable: &Direction,
    ) -> io::Result<Option<usize>> {
        if self.bufs.is_empty() || !writable.take() {
            return Ok(None);
        }
        let mut cx = Context::from_waker(&writable.waker);
        let slices: Vec<IoSlice<'_>> = self
            .bufs
            .iter()
            .take(SLICES_PER_WRITE)
            .map(|b| IoSlice::new(b))
            .collect();
        match Pin::new(io).poll_write_vectored(&mut cx, &slices) {
            Poll::Ready(Ok(0)) => Err(io::ErrorKind::WriteZero.into()),
            Poll::Ready(Ok(written)) => {
                writable.set();
                self.needs_flush = true;
                self.len -= written;
                let mut n = written;
                while n > 0 {
                    let Some(front) = self.bufs.front_mut() else {
                        break;
                    };
                    if front.len() <= n {
                        n -= front.len();
                        self.bufs.pop_front();
                    } else {
                        let _ = front.split_to(n);
                        n = 0;
                    }
                }
                Ok(Some(written))
            }
            Poll::Ready(Err(err)) => Err(err),
            Poll::Pending => Ok(None),
        }
    }

    /// Flushes the socket once everything is written, if it was written to
    /// since the last flush and `writable` says it may get somewhere.
    pub(crate) fn flush(&mut self, io: &mut BoxIo, writable: &Direction) -> io::Result<()> {
        if !self.bufs.is_empty() || !self.needs_flush || !writable.take() {
            return Ok(());
        }
        let mut cx = Context::from_waker(&writable.waker);
        match Pin::new(io).poll_flush(&mut cx) {
            Poll::Ready(Ok(())) => {
                self.needs_flush = false;
                writable.set();
                Ok(())
            }
            Poll::Ready(Err(err)) => Err(err),
            Poll::Pending => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use futures_util::task::AtomicWaker;

    use super::*;

    /// A socket that takes at most 5 bytes per write.
    #[derive(Clone, Default)]
    struct Narrow(Arc<Mutex<Vec<u8>>>);

    impl futures_io::AsyncRead for Narrow {
        fn poll_read(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
            _: &mut [u8],
        ) -> Poll<io::Result<usize>> {
            Poll::Pending
        }
    }

    impl AsyncWrite for Narrow {
        fn poll_write(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            let n = buf.len().min(5);
            self.0.lock().unwrap().extend_from_slice(&buf[..n]);
            Poll::Ready(Ok(n))
        }

        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }

        fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }

    /// Writes that take part of a buffer go on from where they stopped, in
    /// order, and the queue counts what is left; it is drained only once
    /// flushed.
    #[test]
    fn partial_writes_go_on_where_they_stopped() {
        let socket = Narrow::default();
        let mut io: BoxIo = Box::new(socket.clone());
        let writable = Direction::new(&Arc::new(AtomicWaker::new()));
        let mut out = OutQueue::default();
        for piece in ["MSRP ", "a1 200", " OK\r\n"] {
            out.push(Bytes::from(piece));
        }
        assert_eq!(out.len(), 16);
        let mut writes = Vec::new();
        while let Some(n) = out.write_once(&mut io, &writable).unwrap() {
            writes.push(n);
            assert_eq!(out.len(), 16 - writes.iter().sum::<usize>());
        }
        // The default vectored write takes from the first buffer only.
        assert_eq!(writes, [5, 5, 1, 5]);
        assert_eq!(&socket.0.lock().unwrap()[..], b"MSRP a1 200 OK\r\n");
        assert!(out.is_empty() && !out.is_drained(), "a flush is due");
        out.flush(&mut io, &writable).unwrap();
        assert!(out.is_drained());
    }
}
