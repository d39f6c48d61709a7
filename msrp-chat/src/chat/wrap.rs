//! Whether a message travels in Message/CPIM: sipsimple's rules, fixed
//! where they are wrong.

use crate::cpim;

use super::config::{ChatConfig, Peer};
use super::message::ChatMessage;

/// How a message travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    /// As its own content type.
    Plain,
    /// Wrapped in Message/CPIM (RFC 3862).
    Cpim,
}

/// How `message` goes to `peer`, or why it cannot.
///
/// CPIM is needed when the message names recipients other than the peer
/// or carries headers only CPIM has, or when the peer does not take its
/// type unwrapped; it then needs both sides to take `message/cpim` and the
/// peer to take the type inside it, and a private message to a chat room
/// needs the room's `private-messages`. Otherwise CPIM is used when both
/// sides allow it and [`ChatConfig::prefer_cpim`] is set.
pub(crate) fn frame(
    message: &ChatMessage,
    config: &ChatConfig,
    peer: &Peer,
) -> Result<Framing, String> {
    let content_type = message.content_type.as_str();
    let both_cpim =
        peer.accepts(cpim::CONTENT_TYPE) && super::accepts_local(config, cpim::CONTENT_TYPE);
    let wrappable = both_cpim && peer.accepts_wrapped(content_type);
    let needs = message.needs_cpim() || !peer.accepts(content_type);
    if !needs {
        let wrap = config.prefer_cpim && wrappable;
        return Ok(if wrap { Framing::Cpim } else { Framing::Plain });
    }
    if !both_cpim {
        return Err(if peer.accepts(content_type) {
            "the message needs Message/CPIM (recipients or CPIM headers), which the peer or \
             this side does not accept"
                .to_owned()
        } else {
            format!("the peer does not accept {content_type}")
        });
    }
    if !peer.accepts_wrapped(content_type) {
        return Err(format!(
            "the peer does not accept {content_type} inside Message/CPIM"
        ));
    }
    let private = !message.recipients.is_empty()
        && message
            .recipients
            .iter()
            .any(|r| r.uri() != peer.identity.uri());
    if private && peer.is_focus() && !peer.chatroom.iter().any(|c| c == "private-messages") {
        return Err("the chat room does not take private messages".to_owned());
    }
    Ok(Framing::Cpim)
}
