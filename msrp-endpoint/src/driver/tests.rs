//! The driver's read side, driven by hand: a scripted socket, a clock and a
//! timer the test moves, and polls from the test itself, so that every
//! read, every instant and every timer firing is the test's choice.

use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use futures_io::{AsyncRead, AsyncWrite};
use msrp_proto::connection::{Config, Connection};

use super::read::BULK_LINGER;
use super::{Driver, DriverHandle, DriverSetup};
use crate::runtime::Timer;

/// What the scripted socket gives and got.
#[derive(Default)]
struct Script {
    /// Each read's result in turn: bytes (at most the reader's buffer; the
    /// rest stays for the next read), `Ok(empty)` for the end of stream,
    /// or an error. Nothing left: the read is pending.
    reads: VecDeque<io::Result<Vec<u8>>>,
    written: Vec<u8>,
    closed: bool,
    reader: Option<Waker>,
}

#[derive(Clone, Default)]
struct ScriptedIo(Arc<Mutex<Script>>);

impl ScriptedIo {
    fn push(&self, read: io::Result<Vec<u8>>) {
        let mut script = self.0.lock().unwrap();
        script.reads.push_back(read);
        if let Some(waker) = script.reader.take() {
            waker.wake();
        }
    }

    fn written(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap().written).into_owned()
    }

    fn closed(&self) -> bool {
        self.0.lock().unwrap().closed
    }
}

impl AsyncRead for ScriptedIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let mut script = self.0.lock().unwrap();
        match script.reads.pop_front() {
            None => {
                script.reader = Some(cx.waker().clone());
                Poll::Pending
            }
            Some(Ok(mut bytes)) => {
                let n = bytes.len().min(buf.len());
                buf[..n].copy_from_slice(&bytes[..n]);
                if n < bytes.len() {
                    script.reads.push_front(Ok(bytes.split_off(n)));
                }
                Poll::Ready(Ok(n))
            }
            Some(Err(err)) => Poll::Ready(Err(err)),
        }
    }
}

impl AsyncWrite for ScriptedIo {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.0.lock().unwrap().written.extend_from_slice(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.0.lock().unwrap().closed = true;
        Poll::Ready(Ok(()))
    }
}

/// A clock that moves only when the test says.
#[derive(Clone)]
struct TestClock(Arc<Mutex<Instant>>);

impl TestClock {
    fn now(&self) -> Instant {
        *self.0.lock().unwrap()
    }

    fn advance(&self, by: Duration) {
        *self.0.lock().unwrap() += by;
    }
}

/// A timer on the test's clock; the instant it was set to is visible.
struct TestTimer {
    clock: TestClock,
    at: Arc<Mutex<Instant>>,
}

impl Timer for TestTimer {
    fn reset(&mut self, at: Instant) {
        *self.at.lock().unwrap() = at;
    }

    fn poll_fire(&mut self, _: &mut Context<'_>) -> Poll<()> {
        if *self.at.lock().unwrap() <= self.clock.now() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

struct Rig {
    driver: Driver,
    _handle: DriverHandle,
    io: ScriptedIo,
    clock: TestClock,
    timer_at: Arc<Mutex<Instant>>,
}

impl Rig {
    fn new() -> Self {
        let start = Instant::now();
        let clock = TestClock(Arc::new(Mutex::new(start)));
        let timer_at = Arc::new(Mutex::new(start + Duration::from_secs(3600)));
        let io = ScriptedIo::default();
        let clock_fn = clock.clone();
        let (driver, handle) = Driver::new(DriverSetup {
            conn: Connection::new(Arc::new(Config::default()), [7; 32], start),
            io: Box::new(io.clone()),
            timer: Box::new(TestTimer {
                clock: clock.clone(),
                at: timer_at.clone(),
            }),
            clock: Box::new(move || clock_fn.now()),
            policy: None,
            event_capacity: 64,
            event_bytes: 256 << 10,
            label: "test".into(),
        });
        Self {
            driver,
            _handle: handle,
            io,
            clock,
            timer_at,
        }
    }

    /// Polls the driver once; whether it ended.
    fn poll(&mut self) -> bool {
        let mut cx = Context::from_waker(Waker::noop());
        Pin::new(&mut self.driver).poll(&mut cx).is_ready()
    }
}

/// A SEND chunk of `len` body bytes to a session nobody opened (answered
/// 481, its body read and dropped), in pieces of at most `piece` bytes.
fn send_in_pieces(tid: &str, len: usize, piece: usize) -> Vec<Vec<u8>> {
    let mut bytes = format!(
        "MSRP {tid} SEND\r\nTo-Path: msrp://127.0.0.1:2855/nobody;tcp\r\n\
         From-Path: msrp://127.0.0.1:9/peer;tcp\r\nMessage-ID: m{tid}\r\n\
         Byte-Range: 1-{len}/{len}\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    bytes.extend(std::iter::repeat_n(b'x', len));
    bytes.extend_from_slice(format!("\r\n-------{tid}$\r\n").as_bytes());
    bytes.chunks(piece).map(<[u8]>::to_vec).collect()
}

/// The end of stream met by a read that already had bytes (the driver reads
/// on within a chunk until its window is full) comes on the next read: the
/// bytes are taken in and answered, and the connection then ends. Dropped,
/// the driver would wait for a read that never comes.
#[test]
fn an_end_of_stream_after_bytes_in_one_read_still_ends_the_connection() {
    let mut rig = Rig::new();
    // 16 KiB reads (TLS record size) make the read loop go on.
    for piece in send_in_pieces("eof1", 40_000, 16 * 1024) {
        rig.io.push(Ok(piece));
    }
    rig.io.push(Ok(Vec::new()));
    let mut ended = false;
    for _ in 0..8 {
        if rig.poll() {
            ended = true;
            break;
        }
    }
    assert!(
        rig.io.written().contains("MSRP eof1 481"),
        "{}",
        rig.io.written()
    );
    assert!(ended, "the driver ends after the end of stream");
    assert!(rig.io.closed(), "and closes the socket");
}

/// The same for an error met after bytes: the connection is reset instead
/// of waiting for ever.
#[test]
fn an_error_after_bytes_in_one_read_still_ends_the_connection() {
    let mut rig = Rig::new();
    let pieces = send_in_pieces("err1", 40_000, 16 * 1024);
    let cut = pieces.len() - 1;
    for piece in pieces.into_iter().take(cut) {
        rig.io.push(Ok(piece));
    }
    rig.io
        .push(Err(io::Error::from(io::ErrorKind::ConnectionReset)));
    let ended = (0..8).any(|_| rig.poll());
    assert!(ended, "the driver ends after the error");
}

/// Between the chunks of a bulk transfer the connection keeps its read
/// buffer (and the blocks kept for reuse); once the bulk stops, its timer
/// gives them back.
#[test]
fn a_bulk_connection_gives_back_its_buffer_once_the_bulk_stops() {
    let mut rig = Rig::new();
    for piece in send_in_pieces("bulk1", 60_000, 16 * 1024) {
        rig.io.push(Ok(piece));
    }
    assert!(!rig.poll());
    assert!(rig.io.written().contains("MSRP bulk1 481"));
    assert!(rig.driver.conn.input_idle(), "between chunks");
    assert!(
        rig.driver.conn.holds_input_buffer(),
        "in bulk, the buffer stays between chunks"
    );
    let timer_at = *rig.timer_at.lock().unwrap();
    assert!(
        timer_at <= rig.clock.now() + BULK_LINGER,
        "the driver's timer is set for the end of the bulk"
    );
    rig.clock.advance(BULK_LINGER);
    assert!(!rig.poll());
    assert!(
        !rig.driver.conn.holds_input_buffer(),
        "the bulk over, the buffer is given back"
    );
}

/// Small reads are no bulk: between chunks the connection holds no buffer
/// at once.
#[test]
fn a_quiet_connection_holds_no_buffer_between_chunks() {
    let mut rig = Rig::new();
    for piece in send_in_pieces("small1", 3000, 1000) {
        rig.io.push(Ok(piece));
    }
    assert!(!rig.poll());
    assert!(rig.io.written().contains("MSRP small1 481"));
    assert!(rig.driver.conn.input_idle());
    assert!(!rig.driver.conn.holds_input_buffer());
}

/// Once its only session is bound, a connection keeps no table of binds
/// waiting: its allocation would stay on every connection of a server.
#[test]
fn a_bound_connection_keeps_no_table_of_binds() {
    use std::sync::atomic::{AtomicBool, Ordering};

    use msrp_proto::connection::SessionConfig;

    let mut rig = Rig::new();
    let (bob, alice) = (
        "msrp://127.0.0.1:2855/bob1;tcp",
        "msrp://127.0.0.1:9/alice1;tcp",
    );
    let bound = Arc::new(AtomicBool::new(false));
    let flag = bound.clone();
    rig.driver.command(super::Command::Expect {
        config: SessionConfig::new(bob.parse().unwrap()),
        reply: Box::new(move |result| flag.store(result.is_ok(), Ordering::SeqCst)),
    });
    assert_eq!(rig.driver.binding.len(), 1);
    rig.io.push(Ok(format!(
        "MSRP bind1 SEND\r\nTo-Path: {bob}\r\nFrom-Path: {alice}\r\n\
         Message-ID: mbind1\r\nByte-Range: 1-0/0\r\n-------bind1$\r\n"
    )
    .into_bytes()));
    assert!(!rig.poll());
    assert!(bound.load(Ordering::SeqCst), "the session bound");
    assert!(rig.io.written().contains("MSRP bind1 200"));
    assert_eq!(rig.driver.binding.capacity(), 0);
}
