//! Sans-IO MSRP: the Message Session Relay Protocol (RFC 4975) and its relay
//! extension (RFC 4976), with no sockets, no clock and no ambient randomness.
//!
//! ```
//! use msrp_proto::wire::{Event, Limits, Parser};
//!
//! // Bytes as a socket might deliver them: a SEND and, in the same read,
//! // the start of the next chunk.
//! let mut parser = Parser::new(Limits::default());
//! parser.feed(b"MSRP d93kswow SEND\r\n\
//!     To-Path: msrp://bob.example.com:8888/9di4eae923wzd;tcp\r\n\
//!     From-Path: msrp://alicepc.example.com:7777/iau39soe2843z;tcp\r\n\
//!     Message-ID: 12339sdqwer\r\n\
//!     Byte-Range: 1-14/14\r\n\
//!     Content-Type: text/plain\r\n\
//!     \r\n\
//!     Hi, I'm Alice!\r\n\
//!     -------d93kswow$\r\n\
//!     MSRP dkei38sd SE");
//!
//! let Some(Event::Head(head)) = parser.next()? else { unreachable!() };
//! assert_eq!(head.message_id(), Some("12339sdqwer"));
//! assert_eq!(head.to_path().first().session_id(), Some("9di4eae923wzd"));
//! assert_eq!(parser.next()?, Some(Event::Body("Hi, I'm Alice!".into())));
//! assert!(matches!(parser.next()?, Some(Event::End(_))));
//! assert_eq!(parser.next()?, None); // the next chunk is not complete yet
//! # Ok::<(), msrp_proto::wire::ParseError>(())
//! ```
//!
//! # What is here
//!
//! - [`wire`]: the chunk format of RFC 4975 §§5–9. A streaming
//!   [`Parser`](wire::Parser) that takes byte slices of any size, hands out
//!   bodies as [`Bytes`](bytes::Bytes) pieces of the receive buffer, without
//!   copying (a small body that arrives whole with its head is copied, so
//!   that it keeps no receive block alive), and never scans a body byte
//!   twice; a [`ChunkReader`](wire::ChunkReader) for whole chunks
//!   or msrplib-style "virtual chunks"; [`ChunkHead`](wire::ChunkHead) with
//!   typed access to every header; a [`HeadBuilder`](wire::HeadBuilder) and
//!   an [`Encoder`](wire::Encoder) whose output is ready for a vectored write.
//! - [`uri`] and [`path`]: MSRP URIs with the comparison rules of §6.1, and
//!   the URI lists of To-Path, From-Path, Use-Path and SDP `a=path`.
//! - [`ident`]: transaction ids, Message-IDs and session ids from a seeded
//!   generator.
//! - [`relay`]: an RFC 4976 relay for many connections — AUTH server,
//!   forwarding with bodies streamed through, failure REPORTs, limits —
//!   driven by `handle_*`/`poll_*` calls like [`connection`].
//!
//! # Guarantees
//!
//! - **Deterministic.** Nothing here reads the clock or an ambient random
//!   source: randomness comes from an [`IdGenerator`](ident::IdGenerator)
//!   seeded by the caller, so a test can replay any run exactly.
//! - **Bounded.** Every buffer has a limit in [`Limits`](wire::Limits), and
//!   hitting it gives a typed error that says whether the chunk can be
//!   answered (400, 413, … per §10) or the connection must close.
//! - **Binary-safe and panic-free.** Bodies are bytes, never text; no input
//!   from the network can make the parser panic, loop or grow without bound.
//!   The parser is fuzzed (see the repository's `fuzz/` folder).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod connection;
// The fuzz oracles: compiled in every build so the harness is type-checked
// and run by `cargo test` on stable (see the module docs).
#[doc(hidden)]
pub mod fuzzing;
pub mod ident;
pub mod path;
pub mod relay;
#[doc(hidden)]
pub mod sim;
pub mod spare;
pub mod uri;
pub mod wire;

pub use path::Path;
pub use uri::{MsrpUri, Scheme};
