//! Chat, file transfer and desktop sharing over MSRP: the layer AG Projects'
//! sipsimple calls `MSRPChat`, `MSRPFileTransfer` and `MSRPDesktopSharing`.
//!
//! Like `msrp-proto`, everything here is sans-IO: formats and state
//! machines driven by explicit calls, with the time passed in.
//!
//! - [`cpim`]: the Message/CPIM wrapper (RFC 3862).
//! - [`file`](mod@file): file transfer (RFC 5547): offers and answers for push and
//!   pull, resuming with `a=file-range`, receiving by Byte-Range with the
//!   SHA-1 checked, and the async layer that runs a transfer.
//! - [`imdn`]: disposition notifications (RFC 5438): the CPIM headers that
//!   request them and the `message/imdn+xml` document that answers.
//! - [`iscomposing`]: "is typing" indications (RFC 3994): the
//!   `application/im-iscomposing+xml` document and the composer and
//!   receiver state machines.
//! - [`sdp`]: the MSRP media description (RFC 4975 §8, RFC 6135, RFC 6714,
//!   RFC 5547), offers and answers, and who connects.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod chat;
pub mod cpim;
pub mod desktop;
pub mod file;
// The fuzz oracles: compiled in every build so the harness is type-checked
// and run by `cargo test` on stable (see the module docs).
#[doc(hidden)]
pub mod fuzzing;
pub mod imdn;
pub mod iscomposing;
pub mod sdp;
pub mod stream;
mod xml;

pub use xml::DocumentError;
