//! What a chat session reports.

use crate::cpim::{Address, DateTime};
use crate::imdn::Notification;
use crate::iscomposing::State;

use super::message::ReceivedMessage;

/// A chat message's id: what `send_message` returns, and the
/// `imdn.Message-ID` when notifications are asked for. (The MSRP
/// Message-ID is the transport's own.)
pub type MessageId = String;

/// What a chat session reports.
// A received message is the largest variant and the most common one:
// boxing it would cost an allocation per message to save a few hundred
// bytes in a short queue.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChatEvent {
    /// The stream started: queued messages go out now.
    Started,
    /// A message arrived.
    MessageReceived(ReceivedMessage),
    /// The peer confirmed a message as its report settings asked.
    Delivered {
        /// The message.
        id: MessageId,
    },
    /// The peer confirmed part of a large message (success REPORTs as it
    /// arrives).
    Progress {
        /// The message.
        id: MessageId,
        /// Bytes confirmed.
        confirmed: u64,
        /// The message's size.
        total: Option<u64>,
    },
    /// A message will not be delivered.
    NotDelivered {
        /// The message.
        id: MessageId,
        /// The MSRP status (408 for a timeout or a lost connection), or 0
        /// for a local reason (sipsimple's convention).
        code: u16,
        /// Why.
        reason: String,
    },
    /// The peer's composing state changed (RFC 3994).
    Composing {
        /// Who composes (CPIM `From`, or the peer).
        sender: Address,
        /// Active or idle.
        state: State,
        /// For idle: when the sender was last active, if it said.
        last_active: Option<DateTime>,
    },
    /// A disposition notification arrived (RFC 5438) for a message of this
    /// side.
    Notification {
        /// The message it is about (this side's id).
        id: MessageId,
        /// Who sends it.
        from: Address,
        /// What happened to the message.
        notification: Notification,
    },
    /// An incoming message was dropped: it could not be read, or its type is
    /// not one this side accepts inside CPIM.
    Refused {
        /// Why.
        reason: String,
    },
    /// The stream ended.
    Ended {
        /// Why, if not by this side's choice.
        reason: Option<String>,
    },
}
