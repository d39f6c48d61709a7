//! Chat as sipsimple's `ChatStream` (its seed's `MSRPChat`) does it, without
//! I/O: [`ChatSession`] decides what goes out and how (plain or in
//! Message/CPIM), reads what comes in, follows each message's delivery,
//! runs isComposing (RFC 3994) both ways with its timers and answers
//! disposition notification requests (RFC 5438).
//!
//! The transport is an MSRP session: the caller hands each [`Transmit`] to
//! it, feeds back the outcome of chat messages and every whole message that
//! arrives, and passes the time in. `msrp_chat::stream` does that on any
//! runtime of `msrp-endpoint`.
//!
//! What sipsimple gets wrong and this does not: a message that arrives in
//! several chunks, even with a UTF-8 character split between them, is read
//! whole (the transport reassembles it, up to
//! [`ChatConfig::max_message_size`]); isComposing has its timers; `Require`
//! is written as RFC 3862 spells it; notifications are answered.

mod config;
mod event;
mod message;
mod session;
mod wrap;

pub use config::{ChatConfig, Peer};
pub use event::{ChatEvent, MessageId};
pub use message::{ChatMessage, ReceivedMessage};
pub use session::{ChatError, ChatSession, Transmit};

use crate::sdp::accepts;

/// Whether this side takes `content_type` unwrapped.
pub(crate) fn accepts_local(config: &ChatConfig, content_type: &str) -> bool {
    accepts(&config.capabilities.accept_types, content_type)
}

/// Whether this side takes `content_type` inside Message/CPIM.
pub(crate) fn accepts_local_wrapped(config: &ChatConfig, content_type: &str) -> bool {
    config
        .capabilities
        .accept_wrapped_types
        .as_deref()
        .is_some_and(|list| accepts(list, content_type))
}
