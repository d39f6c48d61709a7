//! WebSocket messages carrying MSRP chunks, sans-IO: one chunk per message
//! out (RFC 7977 §5.1), message payloads concatenated in.
//!
//! ```
//! use msrp_endpoint::ws::{WsFraming, WsLimits};
//! let mut client = WsFraming::client(WsLimits::default());
//! let mut server = WsFraming::server(WsLimits::default());
//! // Two chunks written in odd pieces go out as two messages...
//! let stream = b"MSRP a1 SEND\r\nTo-Path: msrp://b:1/s;tcp\r\n\r\nhi\r\n-------a1$\r\n\
//!                MSRP a2 SEND\r\nTo-Path: msrp://b:1/s;tcp\r\n\r\nho\r\n-------a2$\r\n";
//! client.send_stream(&stream[..10])?;
//! client.send_stream(&stream[10..])?;
//! assert_eq!(client.messages_sent(), 2);
//! // ... and come out at the other end as the same byte stream.
//! let wire = client.take_output();
//! server.handle_input(&wire)?;
//! assert_eq!(server.messages_received(), 2);
//! let mut got = vec![0; 200];
//! let n = server.read_stream(&mut got);
//! assert_eq!(&got[..n], &stream[..]);
//! # Ok::<(), msrp_endpoint::ws::WsError>(())
//! ```

use std::collections::VecDeque;
use std::io::{self, Read, Write};

use bytes::{Buf, Bytes, BytesMut};
use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::protocol::{CloseFrame, Role, WebSocketConfig, WebSocketContext};
use tungstenite::{Message, error::CapacityError};

use super::{WsError, WsLimits};

/// Longest MSRP start line looked at (`MSRP <tid> <method or status>`).
const MAX_START_LINE: usize = 512;

/// Longest transaction id (RFC 4975 §9: 4 to 32 characters; some slack).
const MAX_TID: usize = 64;

/// Cuts a byte stream of MSRP chunks into whole chunks, each at most
/// `limit` bytes: a chunk ends at its end-line `-------<tid><flag>\r\n`,
/// found after its start line `MSRP <tid> …\r\n` (RFC 4975 §7.1; the body
/// never holds the end-line, the sender makes sure of that).
///
/// Bytes may arrive in any pieces; memory stays below `limit` plus one
/// piece.
///
/// ```
/// use msrp_endpoint::ws::ChunkCutter;
/// let mut cutter = ChunkCutter::new(1000);
/// let mut chunks = Vec::new();
/// cutter.push(b"MSRP x1 SEND\r\n\r\n-------x1$\r\nMSRP x2 SE", |c| chunks.push(c))?;
/// cutter.push(b"ND\r\n\r\n-------x2+\r\n", |c| chunks.push(c))?;
/// assert_eq!(chunks.len(), 2);
/// assert_eq!(&chunks[1][..], b"MSRP x2 SEND\r\n\r\n-------x2+\r\n");
/// assert_eq!(cutter.pending(), 0);
/// # Ok::<(), msrp_endpoint::ws::WsError>(())
/// ```
#[derive(Debug)]
pub struct ChunkCutter {
    buf: BytesMut,
    limit: usize,
    /// The current chunk's end-line prefix, `\r\n-------<tid>`, once its
    /// start line is in.
    end_marker: Option<Vec<u8>>,
    /// Where the search for the end-line goes on.
    scan_from: usize,
}

impl ChunkCutter {
    /// A cutter for chunks of at most `limit` bytes.
    pub fn new(limit: usize) -> Self {
        Self {
            buf: BytesMut::new(),
            limit,
            end_marker: None,
            scan_from: 0,
        }
    }

    /// Bytes of an unfinished chunk held.
    pub fn pending(&self) -> usize {
        self.buf.len()
    }

    /// Takes the next bytes of the stream and hands every chunk they
    /// complete to `out`. An error leaves the cutter unusable (the stream
    /// is broken from there on).
    pub fn push(&mut self, mut data: &[u8], mut out: impl FnMut(Bytes)) -> Result<(), WsError> {
        while !data.is_empty() {
            let room = self.limit.saturating_sub(self.buf.len());
            if room == 0 {
                return Err(WsError::ChunkTooLarge { limit: self.limit });
            }
            let take = room.min(data.len());
            self.buf.extend_from_slice(&data[..take]);
            data = &data[take..];
            while let Some(end) = self.find_end()? {
                out(self.buf.split_to(end).freeze());
                self.end_marker = None;
                self.scan_from = 0;
            }
        }
        if self.buf.len() >= self.limit {
            // Full and still no end-line: the chunk can only grow.
            return Err(WsError::ChunkTooLarge { limit: self.limit });
        }
        Ok(())
    }

    /// The length of the first chunk in the buffer, once it is complete.
    fn find_end(&mut self) -> Result<Option<usize>, WsError> {
        if self.buf.is_empty() {
            return Ok(None);
        }
        if self.end_marker.is_none() {
            let checked = self.buf.len().min(5);
            if self.buf[..checked] != b"MSRP "[..checked] {
                return Err(WsError::NotMsrp("the stream does not start with `MSRP `"));
            }
            let Some(line_end) = memchr::memmem::find(&self.buf, b"\r\n") else {
                if self.buf.len() > MAX_START_LINE {
                    return Err(WsError::NotMsrp("start line too long"));
                }
                return Ok(None);
            };
            if line_end > MAX_START_LINE {
                return Err(WsError::NotMsrp("start line too long"));
            }
            let line = &self.buf[5..line_end];
            let tid_len = line.iter().position(|&b| b == b' ').unwrap_or(line.len());
            let tid = &line[..tid_len];
            if tid.is_empty()
                || tid.len() > MAX_TID
                || !tid.iter().all(u8::is_ascii_graphic)
                || tid_len == line.len()
            {
                return Err(WsError::NotMsrp("no transaction id in the start line"));
            }
            let mut marker = b"\r\n-------".to_vec();
            marker.extend_from_slice(tid);
            // The end-line may follow the start line's own CRLF.
            self.scan_from = line_end;
            self.end_marker = Some(marker);
        }
        let Some(marker) = self.end_marker.as_deref() else {
            return Ok(None);
        };
        loop {
            let Some(found) = memchr::memmem::find(&self.buf[self.scan_from..], marker) else {
                // Keep the tail that may hold the start of the marker.
                self.scan_from = self
                    .scan_from
                    .max(self.buf.len().saturating_sub(marker.len() - 1));
                return Ok(None);
            };
            let at = self.scan_from + found;
            let flag = at + marker.len();
            if self.buf.len() < flag + 3 {
                // The flag and CRLF are still to come.
                self.scan_from = at;
                return Ok(None);
            }
            if matches!(self.buf[flag], b'$' | b'+' | b'#')
                && self.buf[flag + 1..flag + 3] == *b"\r\n"
            {
                return Ok(Some(flag + 3));
            }
            // The tid followed by something else: not the end-line.
            self.scan_from = at + 1;
        }
    }
}

/// The in-memory socket tungstenite reads and writes: what came from the
/// network, and what is to go to it. Reads of an empty input would block.
#[derive(Debug, Default)]
struct Buffers {
    input: VecDeque<Bytes>,
    output: BytesMut,
    eof: bool,
}

impl Read for Buffers {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let Some(front) = self.input.front_mut() else {
            return if self.eof {
                Ok(0)
            } else {
                Err(io::ErrorKind::WouldBlock.into())
            };
        };
        let n = front.len().min(buf.len());
        buf[..n].copy_from_slice(&front[..n]);
        front.advance(n);
        if front.is_empty() {
            self.input.pop_front();
        }
        Ok(n)
    }
}

impl Write for Buffers {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.output.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// One side of a WebSocket connection carrying MSRP, without I/O: the
/// socket's bytes go in through [`handle_input`](Self::handle_input) and
/// come out of [`take_output`](Self::take_output); the MSRP byte stream
/// goes in through [`send_stream`](Self::send_stream) and comes out of
/// [`read_stream`](Self::read_stream).
///
/// Outgoing, every MSRP chunk becomes one binary message. Incoming, text
/// and binary messages are taken alike (RFC 7977 §4.2), a message in
/// several frames is put together, pings are answered, and a close frame is
/// answered and ends the stream. Use it after the handshake, on either side
/// ([`client`](Self::client) masks its frames, [`server`](Self::server)
/// requires masked ones).
///
/// A sender that knows where its chunks end (a relay, from
/// [`Transmit::end_of_chunk`](msrp_proto::relay::Transmit::end_of_chunk))
/// hands each whole chunk to [`send_chunk`](Self::send_chunk) instead of
/// [`send_stream`](Self::send_stream): nothing is scanned for end-lines.
/// [`one_chunk_per_message`](Self::one_chunk_per_message) makes the
/// receiving side check that every message is one whole chunk, as RFC 7977
/// §5.1 requires of the sender; a failure is answered with a close frame
/// whose code says why ([`fail`](Self::fail), [`WsError::close_code`]).
pub struct WsFraming {
    ctx: WebSocketContext,
    role: Role,
    /// Whether each incoming message must be exactly one MSRP chunk.
    strict: bool,
    io: Buffers,
    cutter: ChunkCutter,
    received: BytesMut,
    limits: WsLimits,
    peer_closed: bool,
    close_sent: bool,
    messages_sent: u64,
    messages_received: u64,
    largest_sent: usize,
}

impl std::fmt::Debug for WsFraming {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WsFraming")
            .field("limits", &self.limits)
            .field("pending_chunk", &self.cutter.pending())
            .field("received", &self.received.len())
            .field("output", &self.io.output.len())
            .field("peer_closed", &self.peer_closed)
            .field("close_sent", &self.close_sent)
            .field("messages_sent", &self.messages_sent)
            .field("messages_received", &self.messages_received)
            .finish()
    }
}

impl WsFraming {
    /// The client side of a connection whose handshake is done.
    pub fn client(limits: WsLimits) -> Self {
        Self::new(Role::Client, limits)
    }

    /// The server side of a connection whose handshake is done.
    pub fn server(limits: WsLimits) -> Self {
        Self::new(Role::Server, limits)
    }

    fn new(role: Role, limits: WsLimits) -> Self {
        let config = WebSocketConfig::default()
            .read_buffer_size(16 << 10)
            // Every message straight into the output buffer.
            .write_buffer_size(0)
            .max_message_size(Some(limits.max_receive_message))
            .max_frame_size(Some(limits.max_receive_message))
            .accept_unmasked_frames(false);
        Self {
            ctx: WebSocketContext::new(role, Some(config)),
            role,
            strict: false,
            io: Buffers::default(),
            cutter: ChunkCutter::new(limits.max_send_message),
            received: BytesMut::new(),
            limits,
            peer_closed: false,
            close_sent: false,
            messages_sent: 0,
            messages_received: 0,
            largest_sent: 0,
        }
    }

    /// This framing, checking (when `yes`) that every message received is
    /// exactly one whole MSRP chunk (RFC 7977 §5.1): anything else fails
    /// the input with [`WsError::NotOneChunk`] (or [`WsError::NotMsrp`]).
    /// Empty messages are let through. Off by default.
    pub fn one_chunk_per_message(mut self, yes: bool) -> Self {
        self.strict = yes;
        self
    }

    /// Its size limits.
    pub fn limits(&self) -> WsLimits {
        self.limits
    }

    /// This framing with `bytes` already received (what followed the
    /// handshake in the same read).
    pub fn with_input(mut self, bytes: &[u8]) -> Result<Self, WsError> {
        if !bytes.is_empty() {
            self.handle_input(bytes)?;
        }
        Ok(self)
    }

    /// Takes bytes read from the socket and decodes every whole message
    /// they complete. Call it only while [`wants_input`](Self::wants_input)
    /// says so, which bounds the bytes held.
    pub fn handle_input(&mut self, bytes: &[u8]) -> Result<(), WsError> {
        if self.peer_closed {
            return Ok(());
        }
        self.io.input.push_back(Bytes::copy_from_slice(bytes));
        self.decode()
    }

    /// The socket reached its end. A close frame came first or not, the
    /// stream ends here; whatever was mid-message is dropped.
    pub fn handle_eof(&mut self) {
        self.io.eof = true;
        let _ = self.decode();
        self.peer_closed = true;
    }

    fn decode(&mut self) -> Result<(), WsError> {
        loop {
            match self.ctx.read(&mut self.io) {
                Ok(Message::Binary(payload)) => self.take_message(&payload)?,
                Ok(Message::Text(payload)) => self.take_message(payload.as_bytes())?,
                // Answered by the codec (flushed below).
                Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_)) => {}
                Ok(Message::Close(_)) => self.peer_closed = true,
                Err(tungstenite::Error::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed) => {
                    self.peer_closed = true;
                    break;
                }
                Err(err) => {
                    self.peer_closed = true;
                    return Err(self.map_error(err));
                }
            }
        }
        self.flush_codec()
    }

    /// A data message received: its payload joins the MSRP stream.
    fn take_message(&mut self, payload: &[u8]) -> Result<(), WsError> {
        self.messages_received += 1;
        if self.strict && !payload.is_empty() {
            let mut cutter = ChunkCutter::new(payload.len());
            let mut chunks = 0;
            let cut = cutter.push(payload, |_| chunks += 1);
            let whole = match cut {
                Ok(()) => chunks == 1 && cutter.pending() == 0,
                // Full at its own length without an end-line: a chunk cut
                // short, or not a chunk at all.
                Err(WsError::ChunkTooLarge { .. }) => false,
                Err(err) => {
                    self.peer_closed = true;
                    return Err(err);
                }
            };
            if !whole {
                self.peer_closed = true;
                return Err(WsError::NotOneChunk {
                    chunks,
                    rest: cutter.pending(),
                });
            }
        }
        self.received.extend_from_slice(payload);
        Ok(())
    }

    fn flush_codec(&mut self) -> Result<(), WsError> {
        match self.ctx.flush(&mut self.io) {
            Ok(())
            | Err(tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed) => {
                Ok(())
            }
            Err(err) => Err(self.map_error(err)),
        }
    }

    fn map_error(&self, err: tungstenite::Error) -> WsError {
        match err {
            tungstenite::Error::Capacity(
                CapacityError::MessageTooLong { .. } | CapacityError::TooManyHeaders,
            ) => WsError::MessageTooLarge {
                limit: self.limits.max_receive_message,
            },
            tungstenite::Error::Io(e) => WsError::Io(e),
            tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed => {
                WsError::Closed
            }
            tungstenite::Error::Utf8(reason) => WsError::NotUtf8(reason),
            other => WsError::Protocol(other.to_string()),
        }
    }

    /// Whether more socket input may be taken: the MSRP bytes received and
    /// not yet read are below one receive message.
    pub fn wants_input(&self) -> bool {
        !self.peer_closed && self.received.len() < self.limits.max_receive_message
    }

    /// Copies received MSRP bytes into `buf`; how many.
    pub fn read_stream(&mut self, buf: &mut [u8]) -> usize {
        let n = self.received.len().min(buf.len());
        buf[..n].copy_from_slice(&self.received[..n]);
        self.received.advance(n);
        n
    }

    /// Received MSRP bytes not yet read.
    pub fn received_len(&self) -> usize {
        self.received.len()
    }

    /// The peer closed (a close frame, the end of the socket, or a broken
    /// protocol): once [`received_len`](Self::received_len) is 0, the
    /// stream is at its end.
    pub fn peer_closed(&self) -> bool {
        self.peer_closed
    }

    /// Takes the next bytes of the MSRP stream; every chunk they complete
    /// goes out as one message. Fails on a chunk larger than
    /// [`WsLimits::max_send_message`], on bytes that are not MSRP chunks,
    /// and after a close.
    pub fn send_stream(&mut self, bytes: &[u8]) -> Result<(), WsError> {
        if self.close_sent || self.peer_closed {
            return Err(WsError::Closed);
        }
        let mut chunks = Vec::new();
        self.cutter.push(bytes, |chunk| chunks.push(chunk))?;
        for chunk in chunks {
            self.largest_sent = self.largest_sent.max(chunk.len());
            self.ctx
                .write(&mut self.io, Message::Binary(chunk))
                .map_err(|e| self.map_error(e))?;
            self.messages_sent += 1;
        }
        self.flush_codec()
    }

    /// Sends one whole MSRP chunk, given in pieces, as one binary message:
    /// for a caller that knows where its chunks end, so that nothing is
    /// scanned or held here. Fails on a chunk larger than
    /// [`WsLimits::max_send_message`] (nothing of it sent), after a close,
    /// and (through [`send_stream`](Self::send_stream)'s cutter) when an
    /// unfinished chunk of the stream is pending.
    pub fn send_chunk(&mut self, pieces: &[Bytes]) -> Result<(), WsError> {
        if self.close_sent || self.peer_closed {
            return Err(WsError::Closed);
        }
        if self.cutter.pending() > 0 {
            return Err(WsError::NotMsrp("a chunk in the middle of a stream chunk"));
        }
        let len: usize = pieces.iter().map(Bytes::len).sum();
        if len > self.limits.max_send_message {
            return Err(WsError::ChunkTooLarge {
                limit: self.limits.max_send_message,
            });
        }
        if self.role == Role::Server {
            // Unmasked (RFC 6455 §5.1): the header, then the pieces as they
            // are, without the codec's copy of the payload. The codec has
            // flushed everything it had (writes go straight through), so
            // frames do not interleave.
            let out = &mut self.io.output;
            out.reserve(len + 10);
            out.extend_from_slice(&[0x82]);
            match len {
                n if n < 126 => out.extend_from_slice(&[n as u8]),
                n if n <= 0xffff => {
                    out.extend_from_slice(&[126]);
                    out.extend_from_slice(&(n as u16).to_be_bytes());
                }
                n => {
                    out.extend_from_slice(&[127]);
                    out.extend_from_slice(&(n as u64).to_be_bytes());
                }
            }
            for piece in pieces {
                out.extend_from_slice(piece);
            }
        } else {
            let mut message = BytesMut::with_capacity(len);
            for piece in pieces {
                message.extend_from_slice(piece);
            }
            self.ctx
                .write(&mut self.io, Message::Binary(message.freeze()))
                .map_err(|e| self.map_error(e))?;
        }
        self.messages_sent += 1;
        self.largest_sent = self.largest_sent.max(len);
        self.flush_codec()
    }

    /// Queues a ping (keepalive, RFC 7977 §6) with `payload` (at most 125
    /// bytes); the peer answers with a pong.
    pub fn ping(&mut self, payload: &[u8]) -> Result<(), WsError> {
        if self.close_sent || self.peer_closed {
            return Err(WsError::Closed);
        }
        let payload = Bytes::copy_from_slice(&payload[..payload.len().min(125)]);
        self.ctx
            .write(&mut self.io, Message::Ping(payload))
            .map_err(|e| self.map_error(e))?;
        self.flush_codec()
    }

    /// Bytes of an unfinished outgoing chunk, waiting for its end.
    pub fn pending_chunk(&self) -> usize {
        self.cutter.pending()
    }

    /// Queues a close frame (status 1000); nothing can be sent after it.
    pub fn close(&mut self) -> Result<(), WsError> {
        self.close_with(1000, "")
    }

    /// Queues a close frame with `code` (RFC 6455 §7.4: 1000 normal, 1002
    /// protocol error, 1009 message too big, …) and `reason` (cut to fit
    /// a control frame); nothing can be sent after it.
    pub fn close_with(&mut self, code: u16, reason: &str) -> Result<(), WsError> {
        if self.close_sent {
            return Ok(());
        }
        self.close_sent = true;
        let mut end = reason.len().min(123);
        while !reason.is_char_boundary(end) {
            end -= 1;
        }
        let frame = CloseFrame {
            code: CloseCode::from(code),
            reason: reason[..end].to_owned().into(),
        };
        match self.ctx.close(&mut self.io, Some(frame)) {
            Ok(())
            | Err(tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed) => {
                Ok(())
            }
            Err(err) => Err(self.map_error(err)),
        }
    }

    /// Answers a failure of the input (an error of
    /// [`handle_input`](Self::handle_input)) with a close frame that says
    /// why: [`WsError::close_code`] and the error's text. The connection is
    /// to be closed once the output is written.
    pub fn fail(&mut self, err: &WsError) {
        let _ = self.close_with(err.close_code(), &err.to_string());
    }

    /// Bytes for the socket.
    pub fn output(&self) -> &[u8] {
        &self.io.output
    }

    /// `n` bytes of [`output`](Self::output) were written.
    pub fn consume_output(&mut self, n: usize) {
        self.io.output.advance(n.min(self.io.output.len()));
    }

    /// Takes all the bytes for the socket.
    pub fn take_output(&mut self) -> Bytes {
        self.io.output.split().freeze()
    }

    /// WebSocket messages sent: one per MSRP chunk.
    pub fn messages_sent(&self) -> u64 {
        self.messages_sent
    }

    /// WebSocket data messages received.
    pub fn messages_received(&self) -> u64 {
        self.messages_received
    }

    /// The largest message sent so far.
    pub fn largest_sent(&self) -> usize {
        self.largest_sent
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(tid: &str, body: &[u8], flag: char) -> Vec<u8> {
        let mut c = format!(
            "MSRP {tid} SEND\r\nTo-Path: msrp://b.example:2855/s;tcp\r\nFrom-Path: msrp://a.example:2855/t;tcp\r\n\
             Message-ID: m1\r\nByte-Range: 1-{}/*\r\nContent-Type: application/octet-stream\r\n\r\n",
            body.len()
        )
        .into_bytes();
        c.extend_from_slice(body);
        c.extend_from_slice(format!("\r\n-------{tid}{flag}\r\n").as_bytes());
        c
    }

    fn cut(limit: usize, pieces: &[&[u8]]) -> Result<Vec<Bytes>, WsError> {
        let mut cutter = ChunkCutter::new(limit);
        let mut out = Vec::new();
        for piece in pieces {
            cutter.push(piece, |c| out.push(c))?;
        }
        Ok(out)
    }

    /// A body that holds near-misses of the end-line.
    fn tricky_body() -> Vec<u8> {
        let mut body =
            b"-------abc12$\r\n\r\n-------abc1 \r\n-------abc1x\r\n-------abc1$\r".to_vec();
        body.extend((0..=255u8).cycle().take(3000));
        body
    }

    #[test]
    fn cuts_at_every_split_point() {
        let a = chunk("abc1", &tricky_body(), '+');
        let b = chunk("zz99", b"", '$');
        let mut stream = a.clone();
        stream.extend_from_slice(&b);
        for split in 0..stream.len() {
            let got = cut(10_000, &[&stream[..split], &stream[split..]]).unwrap();
            assert_eq!(
                got,
                vec![Bytes::from(a.clone()), Bytes::from(b.clone())],
                "split at {split}"
            );
        }
    }

    #[test]
    fn cuts_two_chunks_in_one_write_and_one_chunk_over_many() {
        let a = chunk("t1xx", b"hello", '$');
        let b = chunk("t2xx", b"world", '#');
        let mut both = a.clone();
        both.extend_from_slice(&b);
        assert_eq!(
            cut(1000, &[&both]).unwrap(),
            vec![Bytes::from(a.clone()), Bytes::from(b)]
        );
        let big = chunk("manypieces", &tricky_body(), '$');
        let pieces: Vec<&[u8]> = big.chunks(7).collect();
        assert_eq!(
            cut(10_000, &pieces).unwrap(),
            vec![Bytes::from(big.clone())]
        );
        let bytes: Vec<&[u8]> = big.chunks(1).collect();
        assert_eq!(cut(10_000, &bytes).unwrap(), vec![Bytes::from(big)]);
    }

    #[test]
    fn a_chunk_exactly_at_the_limit_passes_one_more_byte_fails() {
        let c = chunk("lim1", &[b'x'; 500], '$');
        assert_eq!(cut(c.len(), &[&c]).unwrap().len(), 1);
        let err = cut(c.len() - 1, &[&c]).unwrap_err();
        assert!(matches!(err, WsError::ChunkTooLarge { .. }), "{err:?}");
        // also when it arrives in pieces and the end never shows up
        let err = cut(100, &[&c[..60], &c[60..]]).unwrap_err();
        assert!(matches!(err, WsError::ChunkTooLarge { limit: 100 }));
    }

    #[test]
    fn refuses_what_is_not_msrp() {
        for bad in [
            &b"HTTP/1.1 200 OK\r\n"[..],
            b"MSRX",
            b"MSRP \r\n",
            b"MSRP abc\r\n",
        ] {
            let err = cut(1000, &[bad]).unwrap_err();
            assert!(
                matches!(err, WsError::NotMsrp(_)),
                "{}: {err:?}",
                bad.escape_ascii()
            );
        }
        let long = [b'a'; 600];
        let mut line = b"MSRP ".to_vec();
        line.extend_from_slice(&long);
        assert!(matches!(cut(10_000, &[&line]), Err(WsError::NotMsrp(_))));
    }

    fn pair() -> (WsFraming, WsFraming) {
        (
            WsFraming::client(WsLimits::default()),
            WsFraming::server(WsLimits::default()),
        )
    }

    fn drain(to: &mut WsFraming) -> Vec<u8> {
        let mut out = vec![0; to.received_len()];
        let n = to.read_stream(&mut out);
        out.truncate(n);
        out
    }

    /// Decodes every frame of `wire`, as `role` sees them: (opcode, fin,
    /// payload).
    fn frames(wire: &[u8], masked: bool) -> Vec<(u8, bool, Vec<u8>)> {
        let mut frames = Vec::new();
        let mut rest = wire;
        while !rest.is_empty() {
            let fin = rest[0] & 0x80 != 0;
            let opcode = rest[0] & 0x0f;
            assert_eq!(rest[1] & 0x80 != 0, masked, "mask bit");
            let (len, mut at) = match rest[1] & 0x7f {
                126 => (usize::from(u16::from_be_bytes([rest[2], rest[3]])), 4),
                127 => (
                    usize::try_from(u64::from_be_bytes(rest[2..10].try_into().unwrap())).unwrap(),
                    10,
                ),
                n => (usize::from(n), 2),
            };
            let mask = if masked {
                let m = [rest[at], rest[at + 1], rest[at + 2], rest[at + 3]];
                at += 4;
                Some(m)
            } else {
                None
            };
            let mut payload = rest[at..at + len].to_vec();
            if let Some(m) = mask {
                for (i, b) in payload.iter_mut().enumerate() {
                    *b ^= m[i % 4];
                }
            }
            frames.push((opcode, fin, payload));
            rest = &rest[at + len..];
        }
        frames
    }

    #[test]
    fn one_binary_message_per_chunk_whatever_the_writes() {
        let (mut client, mut server) = pair();
        let a = chunk("w1aa", &tricky_body(), '+');
        let b = chunk("w2bb", b"second", '$');
        let c = chunk("w3cc", b"", '$');
        let mut stream = a.clone();
        stream.extend_from_slice(&b);
        stream.extend_from_slice(&c);
        // odd writes: across chunk boundaries
        for piece in stream.chunks(333) {
            client.send_stream(piece).unwrap();
        }
        assert_eq!(client.pending_chunk(), 0);
        let wire = client.take_output();
        let got = frames(&wire, true);
        assert_eq!(
            got,
            vec![
                (2, true, a.clone()),
                (2, true, b.clone()),
                (2, true, c.clone())
            ],
            "one final binary frame per chunk, masked"
        );
        assert_eq!(client.messages_sent(), 3);
        assert_eq!(client.largest_sent(), a.len());
        // the server gets the stream back, fed in any pieces
        for piece in wire.chunks(50) {
            server.handle_input(piece).unwrap();
        }
        assert_eq!(server.messages_received(), 3);
        assert_eq!(drain(&mut server), stream);
        // and the server's own frames are unmasked
        server.send_stream(&b).unwrap();
        let back = server.take_output();
        assert_eq!(frames(&back, false), vec![(2, true, b.clone())]);
        client.handle_input(&back).unwrap();
        assert_eq!(drain(&mut client), b);
    }

    #[test]
    fn oversize_chunk_is_an_error_not_a_split() {
        let mut client = WsFraming::client(WsLimits::default().max_send_message(200));
        let err = client
            .send_stream(&chunk("big1", &[b'x'; 300], '$'))
            .unwrap_err();
        assert!(matches!(err, WsError::ChunkTooLarge { limit: 200 }));
        assert!(client.output().is_empty(), "nothing of it went out");
        let io: io::Error = err.into();
        assert_eq!(io.kind(), io::ErrorKind::InvalidInput);
    }

    /// A server frame (unmasked).
    fn frame(opcode: u8, fin: bool, payload: &[u8]) -> Vec<u8> {
        let mut f = vec![if fin { 0x80 } else { 0 } | opcode];
        match payload.len() {
            n if n < 126 => f.push(n as u8),
            n if n <= 0xffff => {
                f.push(126);
                f.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                f.push(127);
                f.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        f.extend_from_slice(payload);
        f
    }

    #[test]
    fn fragmented_and_text_messages_are_taken_as_bytes() {
        let (mut client, _) = pair();
        let c = chunk("frag", b"\xff\xfe binary", '$');
        let (x, y) = c.split_at(20);
        let (y, z) = y.split_at(30);
        let mut wire = frame(2, false, x);
        wire.extend(frame(0, false, y));
        // a ping between the fragments is allowed (RFC 6455 §5.4)
        wire.extend(frame(9, true, b"p"));
        wire.extend(frame(0, true, z));
        let text = chunk("text", "héllo".as_bytes(), '$');
        wire.extend(frame(1, true, &text));
        client.handle_input(&wire).unwrap();
        assert_eq!(client.messages_received(), 2);
        let mut expected = c.clone();
        expected.extend_from_slice(&text);
        assert_eq!(drain(&mut client), expected);
        // the ping was answered
        assert_eq!(
            frames(&client.take_output(), true),
            vec![(10, true, b"p".to_vec())]
        );
    }

    #[test]
    fn ping_is_answered_with_pong() {
        let (mut client, _) = pair();
        client.handle_input(&frame(9, true, b"keepalive")).unwrap();
        assert_eq!(
            frames(&client.take_output(), true),
            vec![(10, true, b"keepalive".to_vec())]
        );
        assert_eq!(client.received_len(), 0);
        assert!(!client.peer_closed());
    }

    #[test]
    fn close_frame_is_answered_and_ends_the_stream() {
        let (mut client, _) = pair();
        let c = chunk("last", b"bye", '$');
        let mut wire = frame(2, true, &c);
        wire.extend(frame(8, true, &1000u16.to_be_bytes()));
        client.handle_input(&wire).unwrap();
        assert!(client.peer_closed());
        assert!(!client.wants_input());
        assert_eq!(
            drain(&mut client),
            c,
            "what came before the close is delivered"
        );
        let answer = frames(&client.take_output(), true);
        assert_eq!(answer.len(), 1);
        assert_eq!(answer[0].0, 8, "a close frame back");
        assert!(matches!(client.send_stream(&c), Err(WsError::Closed)));
    }

    #[test]
    fn our_close_goes_out_once() {
        let (mut client, mut server) = pair();
        client.close().unwrap();
        client.close().unwrap();
        let wire = client.take_output();
        assert_eq!(frames(&wire, true).len(), 1);
        server.handle_input(&wire).unwrap();
        assert!(server.peer_closed());
        assert!(matches!(
            client.send_stream(b"MSRP x"),
            Err(WsError::Closed)
        ));
    }

    #[test]
    fn end_of_socket_ends_the_stream() {
        let (mut client, _) = pair();
        client.handle_input(&frame(2, false, b"MSRP half")).unwrap();
        client.handle_eof();
        assert!(client.peer_closed());
        assert_eq!(client.received_len(), 0, "a message cut short is dropped");
    }

    #[test]
    fn hostile_input_is_an_error_not_a_panic() {
        // masked frame from a server, reserved bits, oversize, unknown opcodes,
        // a continuation without a start, a long control frame
        let mut masked = frame(2, true, b"x");
        masked[1] |= 0x80;
        masked.splice(2..2, [1, 2, 3, 4]);
        let mut rsv = frame(2, true, b"x");
        rsv[0] |= 0x40;
        let cases = [
            masked,
            rsv,
            frame(2, true, &vec![b'x'; 3000]),
            frame(3, true, b"x"),
            frame(0, true, b"x"),
            frame(9, true, &[0; 126]),
            frame(9, false, b"x"),
            frame(1, true, b"\xff"),
        ];
        for (i, case) in cases.iter().enumerate() {
            let mut client = WsFraming::client(WsLimits::default().max_receive_message(2000));
            let result = client.handle_input(case);
            assert!(result.is_err(), "case {i}: {result:?}");
            assert!(client.peer_closed(), "case {i}");
        }
        let mut client = WsFraming::client(WsLimits::default().max_receive_message(2000));
        let err = client
            .handle_input(&frame(2, true, &vec![b'x'; 3000]))
            .unwrap_err();
        assert!(
            matches!(err, WsError::MessageTooLarge { limit: 2000 }),
            "{err:?}"
        );
        // and a server refuses unmasked frames
        let mut server = WsFraming::server(WsLimits::default());
        assert!(server.handle_input(&frame(2, true, b"x")).is_err());
    }

    /// A client frame (masked, as a server requires).
    fn client_frame(opcode: u8, fin: bool, payload: &[u8]) -> Vec<u8> {
        let mask = [0x37, 0xfa, 0x21, 0x3d];
        let mut f = vec![if fin { 0x80 } else { 0 } | opcode];
        match payload.len() {
            n if n < 126 => f.push(0x80 | n as u8),
            n if n <= 0xffff => {
                f.push(0x80 | 126);
                f.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                f.push(0x80 | 127);
                f.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        f.extend_from_slice(&mask);
        f.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        f
    }

    fn strict_server() -> WsFraming {
        WsFraming::server(WsLimits::default()).one_chunk_per_message(true)
    }

    /// The close frame in `wire`: its code and reason.
    fn close_of(wire: &[u8]) -> (u16, String) {
        let frames = frames(wire, false);
        let (opcode, _, payload) = frames.last().expect("a frame");
        assert_eq!(*opcode, 8, "a close frame");
        (
            u16::from_be_bytes([payload[0], payload[1]]),
            String::from_utf8_lossy(&payload[2..]).into_owned(),
        )
    }

    #[test]
    fn strict_input_takes_one_chunk_per_message_in_any_frames() {
        let mut server = strict_server();
        let a = chunk("one1", &tricky_body(), '+');
        let b = chunk("two2", "texte é".as_bytes(), '$');
        // One chunk in three fragments, then one chunk as a text message.
        let (x, rest) = a.split_at(100);
        let (y, z) = rest.split_at(1000);
        let mut wire = client_frame(2, false, x);
        wire.extend(client_frame(0, false, y));
        wire.extend(client_frame(0, true, z));
        wire.extend(client_frame(1, true, &b));
        // An empty message is let through.
        wire.extend(client_frame(2, true, b""));
        server.handle_input(&wire).unwrap();
        assert_eq!(server.messages_received(), 3);
        let mut expected = a.clone();
        expected.extend_from_slice(&b);
        assert_eq!(drain(&mut server), expected);
    }

    #[test]
    fn two_chunks_or_half_a_chunk_in_a_message_fail_with_1002() {
        let a = chunk("aaa1", b"first", '$');
        let b = chunk("bbb2", b"second", '$');
        let mut two = a.clone();
        two.extend_from_slice(&b);
        for (name, payload) in [
            ("two chunks", two.clone()),
            ("half a chunk", a[..a.len() / 2].to_vec()),
            ("a chunk and a half", two[..a.len() + 10].to_vec()),
        ] {
            let mut server = strict_server();
            // A whole chunk first: it is delivered before the failure.
            let mut wire = client_frame(2, true, &a);
            wire.extend(client_frame(2, true, &payload));
            let err = server.handle_input(&wire).unwrap_err();
            assert!(
                matches!(err, WsError::NotOneChunk { .. }),
                "{name}: {err:?}"
            );
            assert_eq!(err.close_code(), 1002, "{name}");
            assert!(server.peer_closed(), "{name}");
            assert_eq!(drain(&mut server), a, "{name}");
            server.fail(&err);
            let (code, reason) = close_of(&server.take_output());
            assert_eq!(code, 1002, "{name}");
            assert!(reason.contains("RFC 7977"), "{name}: {reason}");
        }
        // Not MSRP at all.
        let mut server = strict_server();
        let err = server
            .handle_input(&client_frame(2, true, b"GET / HTTP/1.1\r\n\r\n"))
            .unwrap_err();
        assert!(matches!(err, WsError::NotMsrp(_)), "{err:?}");
        assert_eq!(err.close_code(), 1002);
    }

    #[test]
    fn an_oversize_message_fails_with_1009_and_bad_utf8_with_1007() {
        let mut server = WsFraming::server(WsLimits::default().max_receive_message(1000));
        let err = server
            .handle_input(&client_frame(2, true, &[b'x'; 2000]))
            .unwrap_err();
        assert!(
            matches!(err, WsError::MessageTooLarge { limit: 1000 }),
            "{err:?}"
        );
        server.fail(&err);
        assert_eq!(close_of(&server.take_output()).0, 1009);
        // Also when the message comes in fragments, each below the limit.
        let mut server = WsFraming::server(WsLimits::default().max_receive_message(1000));
        let mut wire = client_frame(2, false, &[b'x'; 600]);
        wire.extend(client_frame(0, true, &[b'x'; 600]));
        let err = server.handle_input(&wire).unwrap_err();
        assert_eq!(err.close_code(), 1009, "{err:?}");
        let mut server = WsFraming::server(WsLimits::default());
        let err = server
            .handle_input(&client_frame(1, true, b"MSRP \xff"))
            .unwrap_err();
        assert!(matches!(err, WsError::NotUtf8(_)), "{err:?}");
        server.fail(&err);
        assert_eq!(close_of(&server.take_output()).0, 1007);
    }

    #[test]
    fn send_chunk_makes_one_message_of_the_pieces() {
        let mut server = WsFraming::server(WsLimits::default().max_send_message(70_000));
        let mut client = WsFraming::client(WsLimits::default());
        for size in [10, 200, 66_000] {
            let c = chunk("pcs1", &vec![b'z'; size], '$');
            let pieces: Vec<Bytes> = c.chunks(97).map(Bytes::copy_from_slice).collect();
            server.send_chunk(&pieces).unwrap();
            let wire = server.take_output();
            assert_eq!(frames(&wire, false), vec![(2, true, c.clone())], "{size}");
            client.handle_input(&wire).unwrap();
            assert_eq!(drain(&mut client), c);
        }
        assert_eq!(server.messages_sent(), 3);
        // And from a client (masked).
        let c = chunk("cli1", b"masked", '$');
        client.send_chunk(&[Bytes::from(c.clone())]).unwrap();
        let mut back = WsFraming::server(WsLimits::default());
        back.handle_input(&client.take_output()).unwrap();
        assert_eq!(drain(&mut back), c);
        // Above the limit: an error, nothing sent.
        let big = chunk("big2", &[b'x'; 80_000], '$');
        let err = server.send_chunk(&[Bytes::from(big)]).unwrap_err();
        assert!(matches!(err, WsError::ChunkTooLarge { limit: 70_000 }));
        assert!(server.output().is_empty());
        // A ping goes out between messages; after a close, nothing does.
        server.ping(b"ka").unwrap();
        assert_eq!(
            frames(&server.take_output(), false),
            vec![(9, true, b"ka".to_vec())]
        );
        server.close_with(1001, "going away").unwrap();
        assert_eq!(close_of(&server.take_output()), (1001, "going away".into()));
        assert!(matches!(server.send_chunk(&[]), Err(WsError::Closed)));
    }

    #[test]
    fn input_comes_back_after_the_handshake() {
        let (mut client, _) = pair();
        let c = chunk("left", b"over", '$');
        client = client.with_input(&frame(2, true, &c)).unwrap();
        assert_eq!(drain(&mut client), c);
    }
}
