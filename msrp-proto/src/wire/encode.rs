//! Chunks to wire bytes, without copying bodies.
//!
//! An [`EncodedChunk`] is three byte strings — start line and headers, body,
//! end-line — meant for a vectored write, so a body is never copied on its
//! way to the socket.
//!
//! RFC 4975 §7.1: the sender must make sure the end-line does not occur in
//! the body. The encoder looks for `\r\n-------<tid>` in the body and, when
//! it is there, sends the chunk under a fresh transaction id instead.

use std::io::IoSlice;

use bytes::{BufMut, Bytes, BytesMut};
use memchr::memmem::Finder;

use crate::ident::IdGenerator;
use crate::wire::end_line::{END_LINE_PREFIX, find_in_body};
use crate::wire::head::Line;
use crate::wire::{Chunk, ChunkHead, Continuation};

/// How many fresh transaction ids to try before giving up. A 16-character
/// random id collides with a given body with negligible probability; the
/// bound only guarantees termination.
const MAX_TID_ATTEMPTS: usize = 16;

/// A chunk's wire bytes in three parts, for a vectored write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedChunk {
    transaction_id: String,
    head: Bytes,
    body: Bytes,
    end: Bytes,
}

impl EncodedChunk {
    /// The transaction id the chunk was sent under: the head's own, unless
    /// the body contained its end-line.
    pub fn transaction_id(&self) -> &str {
        &self.transaction_id
    }

    /// Start line, headers and (if a body follows) the blank line.
    pub fn head(&self) -> &Bytes {
        &self.head
    }

    /// The body, shared with the chunk (not copied).
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// The end-line, with the CRLF that ends the body if there is one.
    pub fn end(&self) -> &Bytes {
        &self.end
    }

    /// The three parts, for `write_vectored`.
    pub fn io_slices(&self) -> [IoSlice<'_>; 3] {
        [
            IoSlice::new(&self.head),
            IoSlice::new(&self.body),
            IoSlice::new(&self.end),
        ]
    }

    /// Total length on the wire.
    pub fn len(&self) -> usize {
        self.head.len() + self.body.len() + self.end.len()
    }

    /// Whether the encoding is empty (never true for a real chunk).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The whole chunk as one buffer (copies).
    pub fn to_vec(&self) -> Vec<u8> {
        [&self.head[..], &self.body[..], &self.end[..]].concat()
    }
}

/// Why a chunk could not be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// Every transaction id tried occurs in the body as an end-line.
    #[error("no transaction id found that does not occur in the body")]
    TransactionIdCollision,
}

/// Writes chunks to wire bytes.
///
/// ```
/// use bytes::Bytes;
/// use msrp_proto::ident::IdGenerator;
/// use msrp_proto::wire::{Chunk, ChunkHead, Continuation, Encoder, Method};
/// let head = ChunkHead::request(Method::Send, "abcd")
///     .to_path(&"msrp://b.example.com:1/s;tcp".parse()?)
///     .from_path(&"msrp://a.example.com:2/t;tcp".parse()?)
///     .message_id("m123")
///     .content_type("text/plain")
///     .build()?;
/// // A body that contains this chunk's own end-line...
/// let body = Bytes::from_static(b"quote:\r\n-------abcd$\r\n");
/// let chunk = Chunk::new(head, Some(body), Continuation::Complete);
/// let mut ids = IdGenerator::from_seed([0; 32]);
/// let wire = Encoder::new().encode(&chunk, &mut ids)?;
/// // ...is sent under another transaction id.
/// assert_ne!(wire.transaction_id(), "abcd");
/// assert!(wire.head().starts_with(format!("MSRP {} SEND\r\n", wire.transaction_id()).as_bytes()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Encoder {
    finder: Finder<'static>,
}

impl Default for Encoder {
    fn default() -> Self {
        Self::new()
    }
}

impl Encoder {
    /// A new encoder.
    pub fn new() -> Self {
        Self {
            finder: Finder::new(END_LINE_PREFIX),
        }
    }

    /// Encodes a chunk. The body is shared, not copied. `ids` supplies a
    /// fresh transaction id if the body contains the chunk's end-line.
    pub fn encode(
        &self,
        chunk: &Chunk,
        ids: &mut IdGenerator,
    ) -> Result<EncodedChunk, EncodeError> {
        let head = chunk.head();
        let body = chunk.body();
        let mut tid = head.transaction_id().to_owned();
        if let Some(body) = body {
            let mut attempts = 0;
            while self.collides(body, &tid) {
                attempts += 1;
                if attempts > MAX_TID_ATTEMPTS {
                    return Err(EncodeError::TransactionIdCollision);
                }
                tid = ids.transaction_id();
            }
        }
        let mut head_bytes = BytesMut::with_capacity(head.as_bytes().len() + 40);
        write_start_line(&mut head_bytes, &tid, head);
        head_bytes.put_slice(head.header_bytes());
        if body.is_some() {
            head_bytes.put_slice(b"\r\n");
        }
        let end = end_line(tid.as_bytes(), chunk.continuation(), body.is_some());
        Ok(EncodedChunk {
            transaction_id: tid,
            head: head_bytes.freeze(),
            body: body.cloned().unwrap_or_default(),
            end,
        })
    }

    /// Whether `body` contains `\r\n-------<tid>`.
    pub fn collides(&self, body: &[u8], tid: &str) -> bool {
        find_in_body(body, tid.as_bytes(), &self.finder).is_some()
    }
}

/// `MSRP <tid> <METHOD>` or `MSRP <tid> <code> [comment]`, with CRLF.
pub(crate) fn write_start_line(out: &mut BytesMut, tid: &str, head: &ChunkHead) {
    out.put_slice(b"MSRP ");
    out.put_slice(tid.as_bytes());
    out.put_u8(b' ');
    match head.line() {
        Line::Request(method) => out.put_slice(method.as_str().as_bytes()),
        Line::Response { code, .. } => {
            let code = *code;
            out.put_slice(&[
                b'0' + (code / 100 % 10) as u8,
                b'0' + (code / 10 % 10) as u8,
                b'0' + (code % 10) as u8,
            ]);
            if let Some(comment) = head.response_comment() {
                out.put_u8(b' ');
                out.put_slice(comment.as_bytes());
            }
        }
    }
    out.put_slice(b"\r\n");
}

/// Writes `n` in decimal, as `write!(out, "{n}")` does, without the
/// formatting machinery: the connection writes up to three numbers in every
/// chunk head, and `write!` was a tenth of the cost of sending a small
/// message (benches/connection.rs).
pub(crate) fn put_decimal(out: &mut impl BufMut, mut n: u64) {
    let mut digits = [0u8; 20]; // u64::MAX has 20 digits
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.put_slice(&digits[at..]);
}

/// The end-line: `-------<tid><flag>` and CRLF, preceded by the CRLF that
/// ends the body when there is one.
pub(crate) fn write_end_line(
    out: &mut impl BufMut,
    tid: &[u8],
    flag: Continuation,
    after_body: bool,
) {
    if after_body {
        out.put_slice(END_LINE_PREFIX);
    } else {
        out.put_slice(&END_LINE_PREFIX[2..]);
    }
    out.put_slice(tid);
    out.put_u8(flag.as_byte());
    out.put_slice(b"\r\n");
}

/// [`write_end_line`] into a buffer of its own, of exactly its size: a
/// buffer with room to spare costs a second allocation when frozen into
/// `Bytes` (benches/connection.rs, small: one end-line per chunk).
pub(crate) fn end_line(tid: &[u8], flag: Continuation, after_body: bool) -> Bytes {
    let prefix = if after_body { 9 } else { 7 };
    let mut out = Vec::with_capacity(prefix + tid.len() + 3);
    write_end_line(&mut out, tid, flag, after_body);
    Bytes::from(out)
}
