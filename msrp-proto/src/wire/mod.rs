//! The wire layer: chunk heads, the streaming parser and the encoder
//! (RFC 4975 §§5–9).
//!
//! A chunk on the wire is a start line, headers, an optional body and an
//! end-line:
//!
//! ```text
//! MSRP a786hjs2 SEND                      start line: transaction id, method
//! To-Path: msrp://bob.example.com:8888/9di4eae923wzd;tcp
//! From-Path: msrp://alicepc.example.com:7777/iau39soe2843z;tcp
//! Message-ID: 87652491
//! Byte-Range: 1-25/25
//! Content-Type: text/plain
//!                                         blank line: a body follows
//! Hey Bob, are you there?
//! -------a786hjs2$                        end-line: tid and continuation flag
//! ```

mod builder;
mod chunk;
mod continuation;
mod encode;
pub(crate) mod end_line;
mod error;
mod head;
mod head_fast;
mod head_parse;
pub(crate) mod header;
mod limits;
mod method;
mod parser;
mod path_cache;

pub use builder::HeadBuilder;
pub use chunk::{Chunk, ChunkReader};
pub use continuation::Continuation;
pub use encode::{EncodeError, EncodedChunk, Encoder};
pub(crate) use encode::{end_line, put_decimal, write_end_line};
pub(crate) use end_line::find_in_body as find_end_line_in_body;
pub use error::{HeaderError, ParseError, ParseErrorKind, RejectedChunk};
pub use head::{ChunkHead, StartLine};
pub use header::{
    ByteRange, DigestParams, Disposition, FailureReport, HeaderName, MediaType, Status,
    SuccessReport,
};
pub use limits::Limits;
pub use method::Method;
pub use parser::{BodyMode, Event, Parser};
