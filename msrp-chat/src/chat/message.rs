//! Chat messages: what this side sends, and what it receives.

use bytes::Bytes;

use crate::cpim::{Address, DateTime, Header, Subject};
use crate::imdn::Dispositions;

/// A chat message to send (sipsimple's `send_message` arguments).
///
/// ```
/// use msrp_chat::chat::ChatMessage;
/// let hello = ChatMessage::text("Hello");
/// assert_eq!(hello.content_type(), "text/plain");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatMessage {
    pub(crate) content_type: String,
    pub(crate) body: Bytes,
    pub(crate) recipients: Vec<Address>,
    pub(crate) courtesy_recipients: Vec<Address>,
    pub(crate) subject: Option<Subject>,
    pub(crate) timestamp: Option<DateTime>,
    pub(crate) extra_headers: Vec<Header>,
    pub(crate) notifications: Option<Dispositions>,
}

impl ChatMessage {
    /// A message of `content_type` carrying `body`.
    pub fn new(content_type: impl Into<String>, body: impl Into<Bytes>) -> Self {
        Self {
            content_type: content_type.into(),
            body: body.into(),
            recipients: Vec::new(),
            courtesy_recipients: Vec::new(),
            subject: None,
            timestamp: None,
            extra_headers: Vec::new(),
            notifications: None,
        }
    }

    /// A `text/plain` message (UTF-8).
    pub fn text(text: &str) -> Self {
        Self::new("text/plain", Bytes::copy_from_slice(text.as_bytes()))
    }

    /// Recipients other than the peer (CPIM `To`): in a chat room, one
    /// participant makes it a private message.
    pub fn recipients(mut self, recipients: impl IntoIterator<Item = Address>) -> Self {
        self.recipients = recipients.into_iter().collect();
        self
    }

    /// Courtesy recipients (CPIM `cc`).
    pub fn courtesy_recipients(mut self, cc: impl IntoIterator<Item = Address>) -> Self {
        self.courtesy_recipients = cc.into_iter().collect();
        self
    }

    /// A subject (CPIM `Subject`).
    pub fn subject(mut self, subject: Subject) -> Self {
        self.subject = Some(subject);
        self
    }

    /// The time to show (CPIM `DateTime`); the time it is queued otherwise.
    pub fn timestamp(mut self, timestamp: DateTime) -> Self {
        self.timestamp = Some(timestamp);
        self
    }

    /// Another CPIM header (`NS`, `Require`, extensions).
    pub fn header(mut self, header: Header) -> Self {
        self.extra_headers.push(header);
        self
    }

    /// Ask the peer for disposition notifications (RFC 5438 IMDN):
    /// delivery, display, processing.
    pub fn notifications(mut self, dispositions: Dispositions) -> Self {
        self.notifications = Some(dispositions);
        self
    }

    /// The content type.
    pub fn content_type(&self) -> &str {
        &self.content_type
    }

    /// The body.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// Whether only Message/CPIM can carry this message: it names someone
    /// other than the peer, or carries headers only CPIM has (sipsimple's
    /// rule).
    pub(crate) fn needs_cpim(&self) -> bool {
        !self.recipients.is_empty()
            || !self.courtesy_recipients.is_empty()
            || self.subject.is_some()
            || self.timestamp.is_some()
            || !self.extra_headers.is_empty()
            || self.notifications.is_some()
    }
}

/// A message the peer sent.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReceivedMessage {
    /// Its MSRP Message-ID, when the transport passed it in
    /// ([`ChatSession::handle_received_message`](super::ChatSession::handle_received_message);
    /// the stream layer does). Not the id the sender's `send_message` gave:
    /// only an IMDN request carries that ([`imdn_message_id`](Self::imdn_message_id)).
    pub id: Option<String>,
    /// Who sent it: CPIM `From`, or the peer when it came unwrapped.
    pub sender: Address,
    /// Whom it is for: CPIM `To`, or this side.
    pub recipients: Vec<Address>,
    /// Courtesy recipients (CPIM `cc`).
    pub courtesy_recipients: Vec<Address>,
    /// When it was written: CPIM `DateTime`, or when it arrived.
    pub timestamp: DateTime,
    /// Its subject, if any.
    pub subject: Option<Subject>,
    /// Its content type (the wrapped one for CPIM).
    pub content_type: String,
    /// Its bytes.
    pub body: Bytes,
    /// A message from a chat room sent to this side alone (the peer is a
    /// focus and the one CPIM `To` is not the room).
    pub private: bool,
    /// The sender's `imdn.Message-ID`, when it asked for notifications
    /// (answer a display request with `ChatSession::mark_displayed`).
    pub imdn_message_id: Option<String>,
}

impl ReceivedMessage {
    /// The body as text, for `text/*` in UTF-8 (the default) or US-ASCII;
    /// `None` for other types or bytes that are not valid in the charset.
    pub fn text(&self) -> Option<&str> {
        let media = self.content_type.split(';').next()?.trim();
        if !media.to_ascii_lowercase().starts_with("text/") {
            return None;
        }
        let charset = self
            .content_type
            .split(';')
            .skip(1)
            .filter_map(|p| p.split_once('='))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case("charset"))
            .map(|(_, v)| v.trim().trim_matches('"').to_ascii_lowercase());
        match charset.as_deref() {
            None | Some("utf-8" | "utf8" | "us-ascii") => std::str::from_utf8(&self.body).ok(),
            Some(_) => None,
        }
    }
}
