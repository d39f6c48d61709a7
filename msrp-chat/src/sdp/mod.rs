//! SDP for MSRP media (RFC 4975 §8, RFC 4976, RFC 5547, RFC 6135, RFC 6714)
//! and sipsimple's extensions, on top of the `sdp-types` crate.
//!
//! ```
//! use msrp_chat::sdp::{answer_chat, connection, Capabilities, Connection, LocalEndpoint, SdpDocument, Side};
//!
//! // Alice's INVITE carries this offer (a sipsimple chat stream).
//! let offer_body = "v=0\r\n\
//!     o=- 3912345678 3912345678 IN IP4 192.0.2.10\r\n\
//!     s=Blink\r\n\
//!     t=0 0\r\n\
//!     m=message 2855 TCP/MSRP *\r\n\
//!     c=IN IP4 192.0.2.10\r\n\
//!     a=path:msrp://192.0.2.10:2855/uVDXb3ePS2Ws;tcp\r\n\
//!     a=accept-types:message/cpim text/* image/* application/im-iscomposing+xml\r\n\
//!     a=accept-wrapped-types:text/* image/* application/im-iscomposing+xml\r\n\
//!     a=setup:actpass\r\n";
//! let offer_doc = SdpDocument::parse(offer_body.as_bytes())?;
//! let (index, offer) = offer_doc.msrp_media().next().expect("an MSRP stream");
//!
//! // Bob answers from his own URI; he can accept connections.
//! let bob = LocalEndpoint::new("msrp://198.51.100.7:7777/kjhd37s2s20w;tcp".parse()?);
//! let answer = answer_chat(offer, &bob, &Capabilities::chat())?;
//! assert_eq!(answer.render().lines().last(), Some("a=setup:passive"));
//!
//! // Passive Bob listens; Alice, active, connects to the first URI of his path.
//! assert_eq!(connection(Side::Answerer, offer, &answer)?, Connection::Listen);
//! match connection(Side::Offerer, offer, &answer)? {
//!     Connection::Connect { target, send_first } => {
//!         assert_eq!(target.to_string(), "msrp://198.51.100.7:7777/kjhd37s2s20w;tcp");
//!         assert!(send_first);
//!     }
//!     Connection::Listen => unreachable!(),
//! }
//! # let _ = index;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # What is here
//!
//! - [`MsrpMedia`]: one MSRP media description, every MSRP attribute typed
//!   and unknown ones kept in order; [`SdpDocument`]: a whole body (or an
//!   RFC-style fragment of `c=`/`m=`/`a=` lines) with its MSRP sections
//!   typed. Both render back to `CRLF` text; a parsed section renders its
//!   attributes in the order read.
//! - The attribute values: [`Protocol`], [`Direction`], [`Setup`],
//!   [`RfbSetup`], [`MediaRange`] (accept-types entries and their matching),
//!   [`FileSelector`], [`FileDate`], [`FileRange`].
//! - Offers for the four sipsimple stream kinds ([`chat_offer`],
//!   [`file_push_offer`], [`file_pull_offer`], [`desktop_offer`]), answers
//!   ([`answer_chat`], [`answer_file`], [`answer_desktop`]) and [`reject`].
//! - [`connection`]: who opens the transport connection, and to where.
//!
//! # Limits
//!
//! Everything read from the network is bounded by [`Limits`]: body size
//! (64 KiB), lines (1024), `m=` sections (32), `a=` lines per section
//! (128), URIs per `a=path` (16), entries per list-valued attribute (64),
//! and 64 octets per `hash:` digest. Malformed input gives an [`SdpError`],
//! never a panic.
//!
//! # What sdp-types does and does not do
//!
//! `sdp-types` splits the text into lines and fields, keeps `m=` protocols
//! it does not know (`TCP/MSRP`, `TCP/WSS/MSRP`) and attribute values as
//! raw strings, accepts `LF`-only bodies and writes `CRLF`. It needs a
//! `v=0` line first (fragments get one put in front and taken out again),
//! always writes `o=`, `s=` and `t=` lines, and cannot write one media
//! section on its own; this module covers those three points. It also
//! drops lines whose letter it does not know (`x=...`) and writes the
//! session lines in RFC 8866 order, so such bodies come back in that
//! canonical form. Known MSRP attribute names are matched ignoring ASCII
//! case and written in lower case.

mod answer;
mod connect;
mod direction;
mod document;
mod error;
mod file_attrs;
mod file_selector;
mod lex;
mod limits;
mod local;
mod media;
mod media_range;
mod offer;
mod protocol;
mod setup;

pub use answer::{answer_chat, answer_desktop, answer_file, reject};
pub use connect::{ConnectTarget, Connection, Role, Side, connection, negotiated_role};
pub use direction::Direction;
pub use document::{MediaSection, SdpDocument};
pub use error::{ConnectionError, NegotiationError, SdpError};
pub use file_attrs::{FileDate, FileRange, InvalidFileAttribute};
pub use file_selector::{FileHash, FileSelector, FileType, InvalidFileSelector, MAX_HASH_LEN};
pub use limits::Limits;
pub use local::{Capabilities, LocalEndpoint};
pub use media::{FileAttributes, MsrpMedia};
pub use media_range::{InvalidMediaRange, MediaRange, accepts, common_media_ranges};
pub use offer::{chat_offer, desktop_offer, file_pull_offer, file_push_offer};
pub use protocol::{NotMsrpProtocol, Protocol};
pub use setup::{RfbSetup, Setup};

/// The `sdp-types` crate this module builds on, for its `Session`,
/// `Media`, `Connection` and `Attribute` types.
pub use sdp_types;
