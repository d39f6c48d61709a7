//! The CPIM side of RFC 5438: asking for notifications (§5, §6) and
//! answering such a request (§7).

use std::fmt;

use crate::cpim::syntax::is_token;
use crate::cpim::{
    Address, Content, DateTime, Extension, Header, HeaderName, Message, Namespace, ValueError,
};
use crate::iscomposing;
use crate::xml::is_xml_text;

use super::document::{CONTENT_TYPE, DeliveryStatus, Document, Notification};

/// The CPIM header namespace of RFC 5438 (`NS: imdn <urn:ietf:params:imdn>`).
pub const NAMESPACE: &str = "urn:ietf:params:imdn";

/// The prefix this crate binds to [`NAMESPACE`] (the one every example and
/// stack uses; receivers match the URI, not the prefix).
pub const PREFIX: &str = "imdn";

/// The notifications a sender asks for, as listed by
/// `imdn.Disposition-Notification` (RFC 5438 §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Dispositions {
    /// `positive-delivery`: tell me when it is delivered.
    pub positive_delivery: bool,
    /// `negative-delivery`: tell me if delivery fails.
    pub negative_delivery: bool,
    /// `display`: tell me when it is shown to the user.
    pub display: bool,
    /// `processing`: tell me when an intermediary processed or stored it.
    pub processing: bool,
}

impl Dispositions {
    /// Reads the header value: a comma-separated list, any case, unknown
    /// values ignored.
    pub fn parse(value: &str) -> Self {
        let mut d = Self::default();
        for item in value.split(',').map(|i| i.trim().to_ascii_lowercase()) {
            match item.as_str() {
                "positive-delivery" => d.positive_delivery = true,
                "negative-delivery" => d.negative_delivery = true,
                "display" => d.display = true,
                "processing" => d.processing = true,
                _ => {}
            }
        }
        d
    }

    /// Whether nothing is asked for.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// Whether a notification with this status answers something asked for:
    /// delivered needs positive-delivery, failed negative-delivery, a
    /// delivery forbidden or error either of them, display and processing
    /// notifications their own request.
    pub fn allows(&self, notification: Notification) -> bool {
        match notification {
            Notification::Delivery(DeliveryStatus::Delivered) => self.positive_delivery,
            Notification::Delivery(DeliveryStatus::Failed) => self.negative_delivery,
            Notification::Delivery(_) => self.positive_delivery || self.negative_delivery,
            Notification::Display(_) => self.display,
            Notification::Processing(_) => self.processing,
        }
    }
}

impl fmt::Display for Dispositions {
    /// `positive-delivery, display` (the RFC's own spelling and order).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let items = [
            (self.positive_delivery, "positive-delivery"),
            (self.negative_delivery, "negative-delivery"),
            (self.display, "display"),
            (self.processing, "processing"),
        ];
        let mut first = true;
        for (_, name) in items.iter().filter(|(on, _)| *on) {
            if !first {
                f.write_str(", ")?;
            }
            f.write_str(name)?;
            first = false;
        }
        Ok(())
    }
}

/// Why a request or an answer could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ImdnError {
    /// Notifications are never asked for IMDNs or isComposing messages.
    #[error("no notification may be requested for a {0} message")]
    NotRequestable(String),
    /// The message has no DateTime header, which a request needs (§6) and
    /// the notification echoes.
    #[error("a message requesting notifications needs a DateTime header")]
    MissingDateTime,
    /// Nothing to ask for.
    #[error("no disposition requested")]
    NothingRequested,
    /// The Message-ID, DateTime or recipient URI holds characters that an
    /// XML document cannot carry (controls, U+FFFE, U+FFFF).
    #[error("the request holds characters an XML document cannot carry")]
    NotXml,
    /// The notification answers nothing the sender asked for.
    #[error("the sender did not ask for this notification")]
    NotRequested,
    /// A Message-ID or header value that cannot be sent.
    #[error(transparent)]
    Value(#[from] ValueError),
}

/// Adds the headers that ask for `dispositions` to an outgoing message:
/// `NS: imdn <urn:ietf:params:imdn>` (unless the namespace is already
/// bound), `imdn.Message-ID` and `imdn.Disposition-Notification` (RFC 5438
/// §5, §6). The message must already carry a DateTime, and must not be an
/// IMDN or an isComposing message.
///
/// `message_id` must be unique for the sender, with at least 32 bits of
/// randomness (§6.3): take it from a seeded generator such as
/// `msrp_proto::ident::IdGenerator`.
pub fn request(
    message: &mut Message,
    message_id: &str,
    dispositions: Dispositions,
) -> Result<(), ImdnError> {
    if let Some(kind) = unrequestable(message) {
        return Err(ImdnError::NotRequestable(kind));
    }
    if message.date_time().is_none() {
        return Err(ImdnError::MissingDateTime);
    }
    if dispositions.is_empty() {
        return Err(ImdnError::NothingRequested);
    }
    check_message_id(message_id)?;
    let prefix = bind(message)?;
    push(message, &prefix, "Message-ID", message_id)?;
    push(
        message,
        &prefix,
        "Disposition-Notification",
        &dispositions.to_string(),
    )?;
    Ok(())
}

/// `imdn.Message-ID: Token` (RFC 5438 §6.3).
fn check_message_id(id: &str) -> Result<(), ValueError> {
    if is_token(id) {
        Ok(())
    } else {
        Err(ValueError::Token(id.to_owned()))
    }
}

/// The IMDN and isComposing media types, which never ask for notifications.
fn unrequestable(message: &Message) -> Option<String> {
    let media = message.content().media_type()?;
    (media == CONTENT_TYPE || media == iscomposing::CONTENT_TYPE).then_some(media)
}

/// The prefix bound to [`NAMESPACE`], binding [`PREFIX`] if there is none.
fn bind(message: &mut Message) -> Result<String, ValueError> {
    if let Some(Some(prefix)) = message.prefix_of(NAMESPACE) {
        return Ok(prefix.to_owned());
    }
    message.push_header(Header::Ns(Namespace::new(Some(PREFIX), NAMESPACE)?));
    Ok(PREFIX.to_owned())
}

fn push(message: &mut Message, prefix: &str, name: &str, value: &str) -> Result<(), ValueError> {
    let name = HeaderName::prefixed(prefix, name)?;
    message.push_header(Header::Extension(Extension::new(name, value)?));
    Ok(())
}

/// What a received message asks for: see [`requested`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request<'a> {
    message: &'a Message,
    message_id: &'a str,
    date_time: &'a DateTime,
    dispositions: Dispositions,
}

/// Says whether a received message asks for notifications, and which.
///
/// `None` when it asks for none: no `imdn.Message-ID` or
/// `imdn.Disposition-Notification` (found by namespace URI, whatever the
/// prefix), no disposition known to RFC 5438, no DateTime (the notification
/// must echo it), or a message that is itself an IMDN or an isComposing
/// indication (those are never answered with an IMDN).
///
/// ```
/// use msrp_chat::cpim::Message;
/// use msrp_chat::imdn;
/// let m = Message::decode(b"From: Alice <sip:alice@example.com>\r\n\
///     DateTime: 2026-07-10T09:47:31Z\r\n\
///     NS: i <urn:ietf:params:imdn>\r\n\
///     i.Message-ID: 34jk324j\r\n\
///     i.Disposition-Notification: positive-delivery, display\r\n\
///     \r\nContent-Type: text/plain\r\n\r\nHello")?;
/// let request = imdn::requested(&m).unwrap();
/// assert_eq!(request.message_id(), "34jk324j");
/// assert!(request.dispositions().positive_delivery && request.dispositions().display);
/// # Ok::<(), msrp_chat::cpim::DecodeError>(())
/// ```
pub fn requested(message: &Message) -> Option<Request<'_>> {
    if unrequestable(message).is_some() {
        return None;
    }
    let message_id = message.extensions(NAMESPACE, "Message-ID").next()?.value();
    // A Token: white space around it is not part of it.
    let message_id = Some(message_id.trim_matches([' ', '\t'])).filter(|id| !id.is_empty())?;
    let dispositions = message
        .extensions(NAMESPACE, "Disposition-Notification")
        .map(|h| Dispositions::parse(h.value()))
        .next()
        .filter(|d| !d.is_empty())?;
    Some(Request {
        message,
        message_id,
        date_time: message.date_time()?,
        dispositions,
    })
}

impl<'a> Request<'a> {
    /// The message asking.
    pub fn message(&self) -> &'a Message {
        self.message
    }

    /// Its `imdn.Message-ID`.
    pub fn message_id(&self) -> &'a str {
        self.message_id
    }

    /// Its DateTime, as received.
    pub fn date_time(&self) -> &'a DateTime {
        self.date_time
    }

    /// What it asks for.
    pub fn dispositions(&self) -> Dispositions {
        self.dispositions
    }

    /// The notification document answering with `notification`: the
    /// original Message-ID and DateTime, and the first To as both
    /// recipient-uri and original-recipient-uri. Fails if the sender did not
    /// ask for it, or if those values cannot be written in XML.
    pub fn document(&self, notification: Notification) -> Result<Document, ImdnError> {
        if !self.dispositions.allows(notification) {
            return Err(ImdnError::NotRequested);
        }
        let recipient = self.message.to().next().map(|a| a.uri().to_owned());
        let texts = [
            Some(self.message_id),
            Some(self.date_time.as_str()),
            recipient.as_deref(),
        ];
        if !texts.into_iter().flatten().all(is_xml_text) {
            return Err(ImdnError::NotXml);
        }
        Ok(Document {
            message_id: self.message_id.to_owned(),
            date_time: self.date_time.clone(),
            recipient_uri: recipient.clone(),
            original_recipient_uri: recipient,
            subject: None,
            notification: Some(notification),
        })
    }

    /// The CPIM message answering with `notification` (RFC 5438 §7): from
    /// the original recipient (first To) to the original sender (From),
    /// dated `date_time`, with its own `imdn.Message-ID` (`message_id`) and
    /// no disposition request, carrying a `message/imdn+xml` document with
    /// `Content-Disposition: notification`.
    pub fn answer(
        &self,
        notification: Notification,
        message_id: &str,
        date_time: DateTime,
    ) -> Result<Message, ImdnError> {
        let document = self.document(notification)?;
        check_message_id(message_id)?;
        let content = Content::new(CONTENT_TYPE, document.encode())?
            .with_header("Content-Disposition", "notification")?;
        let mut answer = Message::new(content);
        if let Some(to) = self.message.to().next() {
            answer.push_header(Header::From(to.clone()));
        }
        if let Some(from) = self.message.from() {
            answer.push_header(Header::To(Address::clone(from)));
        }
        answer.push_header(Header::DateTime(date_time));
        let prefix = bind(&mut answer)?;
        push(&mut answer, &prefix, "Message-ID", message_id)?;
        Ok(answer)
    }
}
