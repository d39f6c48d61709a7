//! Message/CPIM (RFC 3862): the wrapper that carries sender, recipients,
//! date and extension headers around a chat message.
//!
//! ```
//! use msrp_chat::cpim::{Address, Content, DateTime, Header, Message};
//!
//! // What an MSRP SEND with `Content-Type: message/cpim` carries.
//! let message = Message::new(Content::new("text/plain; charset=UTF-8", "Hello")?)
//!     .with_header(Header::From(Address::new(Some("Alice"), "sip:alice@example.com")?))
//!     .with_header(Header::To(Address::new(None, "sip:bob@example.com")?))
//!     .with_header(Header::DateTime(DateTime::parse("2026-07-10T09:47:31Z")?));
//! let bytes = message.encode();
//! assert_eq!(
//!     bytes,
//!     b"From: Alice <sip:alice@example.com>\r\n\
//!       To: <sip:bob@example.com>\r\n\
//!       DateTime: 2026-07-10T09:47:31Z\r\n\
//!       \r\n\
//!       Content-Type: text/plain; charset=UTF-8\r\n\
//!       \r\n\
//!       Hello"
//! );
//!
//! // sipsimple's bytes: LF in the MIME part, `utf8` label, `Required:`.
//! let received = Message::decode(
//!     b"From: Alice <sip:alice@example.com>\r\nRequired: x\r\n\r\n\
//!       MIME-Version: 1.0\nContent-Type: text/plain; charset=\"utf8\"\n\nHi",
//! )?;
//! assert_eq!(received.from().and_then(|a| a.display_name()), Some("Alice"));
//! assert_eq!(received.content().charset().as_deref(), Some("UTF-8"));
//! assert_eq!(&received.content().body()[..], b"Hi");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # What is checked
//!
//! - Header lines follow §3.6: `Name[;param=value]* SP value`, names of
//!   `NAMECHAR`s with an optional namespace prefix, no control characters.
//!   From, To and cc are `[display name] <URI>` with a URI of any scheme;
//!   display names are unquoted words of tokens or a quoted `String` with
//!   the escapes of §2.3.
//! - NS headers bind prefixes (§3.4): [`Message::extensions`] finds an
//!   extension header by namespace URI and name, whatever prefix it uses.
//! - The MIME entity must have a Content-Type. Folded content header lines
//!   are joined; an empty Content-Transfer-Encoding is dropped; the charset
//!   label `utf8` becomes `UTF-8`.
//! - Every header block is bounded by [`Limits`] (line length, line count);
//!   errors say what was wrong, on which line. No input makes the decoder
//!   panic (it is fuzzed: `fuzz/fuzz_targets/cpim.rs`).

mod content;
mod datetime;
mod error;
mod header;
mod message;
pub(crate) mod syntax;

pub use content::{Content, ContentHeader};
pub use datetime::DateTime;
pub use error::{DecodeError, DecodeErrorKind, Limits, ValueError};
pub use header::{
    Address, CORE_NAMESPACE, Extension, Header, HeaderName, Namespace, Param, Subject,
};
pub use message::Message;

/// The media type of a CPIM message, as MSRP's Content-Type carries it.
pub const CONTENT_TYPE: &str = "message/cpim";
