//! What a chat session knows of both sides: this side's settings and the
//! peer's capabilities from its SDP.

use std::time::Duration;

use crate::cpim::Address;
use crate::iscomposing::ComposerConfig;
use crate::sdp::{Capabilities, MediaRange, MsrpMedia, accepts};

/// This side's chat settings.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChatConfig {
    /// Who this side is: the CPIM `From` of its messages.
    pub identity: Address,
    /// What this side accepts (its SDP `accept-types` and
    /// `accept-wrapped-types`). Default: sipsimple's chat stream, plus
    /// `message/imdn+xml` among the wrapped types.
    pub capabilities: Capabilities,
    /// Wrap every message in Message/CPIM when both sides allow it, as
    /// sipsimple does (`prefer_cpim`). Default true.
    pub prefer_cpim: bool,
    /// The largest message taken whole (bigger ones are refused with 413 by
    /// the transport). Default 1 MiB.
    pub max_message_size: usize,
    /// How this side's typing turns into isComposing indications.
    pub composer: ComposerConfig,
    /// Messages queued before the stream starts, at most; more are refused.
    /// Default 1000.
    pub max_queued: usize,
    /// Notifications the peer requested (IMDN display) and this side has
    /// not answered yet, at most: the oldest are forgotten. Default 1000.
    pub max_pending_notifications: usize,
    /// How long the peer's `active` composing state lasts without refresh
    /// when its indication names no refresh (RFC 3994 §3.3). Default 120 s.
    pub composing_default_refresh: Duration,
}

impl ChatConfig {
    /// Settings for `identity`, the rest at their defaults.
    pub fn new(identity: Address) -> Self {
        let mut capabilities = Capabilities::chat();
        if let Some(wrapped) = capabilities.accept_wrapped_types.as_mut() {
            wrapped.push(MediaRange::known(crate::imdn::CONTENT_TYPE));
        }
        Self {
            identity,
            capabilities,
            prefer_cpim: true,
            max_message_size: 1 << 20,
            composer: ComposerConfig::default(),
            max_queued: 1000,
            max_pending_notifications: 1000,
            composing_default_refresh: crate::iscomposing::DEFAULT_REFRESH,
        }
    }
}

/// What the peer said about itself: its SDP media description, and who it
/// is (the SIP dialog's remote identity, which SDP does not carry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peer {
    /// The peer's identity: the default `To` of this side's messages and
    /// the sender of plain (non-CPIM) messages it sends.
    pub identity: Address,
    /// Its `accept-types`.
    pub accept_types: Vec<MediaRange>,
    /// Its `accept-wrapped-types`.
    pub accept_wrapped_types: Vec<MediaRange>,
    /// Its `a=chatroom` tokens: not empty when it is a conference focus.
    pub chatroom: Vec<String>,
}

impl Peer {
    /// The peer of a remote media description.
    pub fn from_media(identity: Address, media: &MsrpMedia) -> Self {
        Self {
            identity,
            accept_types: media.accept_types.clone().unwrap_or_default(),
            accept_wrapped_types: media.accept_wrapped_types.clone().unwrap_or_default(),
            chatroom: media.chatroom_capabilities().map(str::to_owned).collect(),
        }
    }

    /// Whether the peer is a conference focus (it announces `a=chatroom`).
    pub fn is_focus(&self) -> bool {
        !self.chatroom.is_empty()
    }

    /// Whether the peer takes `content_type` unwrapped.
    pub fn accepts(&self, content_type: &str) -> bool {
        accepts(&self.accept_types, content_type)
    }

    /// Whether the peer takes `content_type` inside Message/CPIM.
    pub fn accepts_wrapped(&self, content_type: &str) -> bool {
        accepts(&self.accept_wrapped_types, content_type)
    }
}
