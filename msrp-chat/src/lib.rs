//! Chat, file transfer and desktop sharing over MSRP: the layer AG Projects'
//! sipsimple calls `MSRPChat`, `MSRPFileTransfer` and `MSRPDesktopSharing`.
//!
//! Like `msrp-proto`, everything here is sans-IO: formats and state
//! machines driven by explicit calls, with the time passed in.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod sdp;
