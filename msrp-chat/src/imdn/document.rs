//! The `message/imdn+xml` document (RFC 5438 §7.2, schema §9).

use crate::cpim::DateTime;
use crate::xml::{self, DECLARATION, DocumentError, Element, text_element, trim};

/// The XML namespace of the document.
pub const XML_NAMESPACE: &str = "urn:ietf:params:xml:ns:imdn";

/// The media type of the document.
pub const CONTENT_TYPE: &str = "message/imdn+xml";

/// The status in a `<delivery-notification>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliveryStatus {
    /// `<delivered/>`.
    Delivered,
    /// `<failed/>`.
    Failed,
    /// `<forbidden/>`: the recipient refuses to say.
    Forbidden,
    /// `<error/>`.
    Error,
}

/// The status in a `<display-notification>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DisplayStatus {
    /// `<displayed/>`.
    Displayed,
    /// `<forbidden/>`.
    Forbidden,
    /// `<error/>`.
    Error,
}

/// The status in a `<processing-notification>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProcessingStatus {
    /// `<processed/>`.
    Processed,
    /// `<stored/>`.
    Stored,
    /// `<forbidden/>`.
    Forbidden,
    /// `<error/>`.
    Error,
}

/// The notification a document carries (the schema's choice of one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Notification {
    /// `<delivery-notification>`.
    Delivery(DeliveryStatus),
    /// `<display-notification>`.
    Display(DisplayStatus),
    /// `<processing-notification>`.
    Processing(ProcessingStatus),
}

impl Notification {
    /// The element name (`delivery-notification`, …).
    fn element(self) -> &'static str {
        match self {
            Self::Delivery(_) => "delivery-notification",
            Self::Display(_) => "display-notification",
            Self::Processing(_) => "processing-notification",
        }
    }

    /// The status element name (`delivered`, …).
    fn status(self) -> &'static str {
        use {DeliveryStatus as De, DisplayStatus as Di, ProcessingStatus as Pr};
        match self {
            Self::Delivery(De::Delivered) => "delivered",
            Self::Delivery(De::Failed) => "failed",
            Self::Display(Di::Displayed) => "displayed",
            Self::Processing(Pr::Processed) => "processed",
            Self::Processing(Pr::Stored) => "stored",
            Self::Delivery(De::Forbidden)
            | Self::Display(Di::Forbidden)
            | Self::Processing(Pr::Forbidden) => "forbidden",
            Self::Delivery(De::Error) | Self::Display(Di::Error) | Self::Processing(Pr::Error) => {
                "error"
            }
        }
    }

    fn from_names(element: &str, status: &str) -> Option<Self> {
        use {DeliveryStatus as De, DisplayStatus as Di, ProcessingStatus as Pr};
        Some(match (element, status) {
            ("delivery-notification", "delivered") => Self::Delivery(De::Delivered),
            ("delivery-notification", "failed") => Self::Delivery(De::Failed),
            ("delivery-notification", "forbidden") => Self::Delivery(De::Forbidden),
            ("delivery-notification", "error") => Self::Delivery(De::Error),
            ("display-notification", "displayed") => Self::Display(Di::Displayed),
            ("display-notification", "forbidden") => Self::Display(Di::Forbidden),
            ("display-notification", "error") => Self::Display(Di::Error),
            ("processing-notification", "processed") => Self::Processing(Pr::Processed),
            ("processing-notification", "stored") => Self::Processing(Pr::Stored),
            ("processing-notification", "forbidden") => Self::Processing(Pr::Forbidden),
            ("processing-notification", "error") => Self::Processing(Pr::Error),
            _ => return None,
        })
    }
}

/// A disposition notification document.
///
/// Written in the schema's element order: `message-id`, `datetime`,
/// `recipient-uri`, `original-recipient-uri`, `subject`, then the
/// notification. Read in any order; elements of other namespaces
/// (extensions) are ignored.
///
/// ```
/// use msrp_chat::imdn::{DeliveryStatus, Document, Notification};
/// let doc = Document::decode(
///     br#"<?xml version="1.0" encoding="UTF-8"?>
///     <imdn xmlns="urn:ietf:params:xml:ns:imdn">
///       <message-id>34jk324j</message-id>
///       <datetime>2008-04-04T12:16:49-05:00</datetime>
///       <delivery-notification><status><delivered/></status></delivery-notification>
///     </imdn>"#,
/// )?;
/// assert_eq!(doc.message_id, "34jk324j");
/// assert_eq!(doc.notification, Some(Notification::Delivery(DeliveryStatus::Delivered)));
/// # Ok::<(), msrp_chat::DocumentError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Document {
    /// `<message-id>`: the `imdn.Message-ID` of the message notified about.
    pub message_id: String,
    /// `<datetime>`: that message's `DateTime`, verbatim.
    pub date_time: DateTime,
    /// `<recipient-uri>`: the recipient that sends the notification.
    pub recipient_uri: Option<String>,
    /// `<original-recipient-uri>`: the recipient the message was sent to.
    pub original_recipient_uri: Option<String>,
    /// `<subject>`: the message's subject.
    pub subject: Option<String>,
    /// The notification and its status.
    pub notification: Option<Notification>,
}

impl Document {
    /// Reads a document.
    pub fn decode(input: &[u8]) -> Result<Self, DocumentError> {
        let root = xml::read(input, XML_NAMESPACE, "imdn")?;
        let text = |name| -> Result<Option<&str>, DocumentError> {
            Ok(root.child(XML_NAMESPACE, name)?.map(|e| e.text.as_str()))
        };
        let message_id = text("message-id")?
            .ok_or(DocumentError::Missing("message-id"))
            .map(|id| trim(id).to_owned())?;
        let date_time = text("datetime")?.ok_or(DocumentError::Missing("datetime"))?;
        let date_time = DateTime::parse(trim(date_time)).map_err(|_| DocumentError::Value {
            element: "datetime",
            reason: "control characters in a date",
        })?;
        let mut notification = None;
        for element in root.children_in(XML_NAMESPACE) {
            if element.name.ends_with("-notification") {
                if notification.is_some() {
                    return Err(DocumentError::Duplicate("notification"));
                }
                notification = Some(read_notification(element)?);
            }
        }
        Ok(Self {
            message_id,
            date_time,
            recipient_uri: text("recipient-uri")?.map(|u| trim(u).to_owned()),
            original_recipient_uri: text("original-recipient-uri")?.map(|u| trim(u).to_owned()),
            subject: text("subject")?.map(str::to_owned),
            notification,
        })
    }

    /// The document as sent: an XML declaration and the root element on
    /// one line.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = String::from(DECLARATION);
        out.push_str(r#"<imdn xmlns=""#);
        out.push_str(XML_NAMESPACE);
        out.push_str(r#"">"#);
        text_element("message-id", &self.message_id, &mut out);
        text_element("datetime", self.date_time.as_str(), &mut out);
        for (name, value) in [
            ("recipient-uri", &self.recipient_uri),
            ("original-recipient-uri", &self.original_recipient_uri),
            ("subject", &self.subject),
        ] {
            if let Some(value) = value {
                text_element(name, value, &mut out);
            }
        }
        if let Some(n) = self.notification {
            let (element, status) = (n.element(), n.status());
            out.push_str(&format!(
                "<{element}><status><{status}/></status></{element}>"
            ));
        }
        out.push_str("</imdn>");
        out.into_bytes()
    }
}

fn read_notification(element: &Element) -> Result<Notification, DocumentError> {
    const STATUS: DocumentError = DocumentError::Value {
        element: "status",
        reason: "expected one status this notification allows",
    };
    let status = element
        .child(XML_NAMESPACE, "status")?
        .ok_or(DocumentError::Missing("status"))?;
    let mut found = None;
    for s in status.children_in(XML_NAMESPACE) {
        let n = Notification::from_names(&element.name, &s.name).ok_or(STATUS)?;
        if found.replace(n).is_some() {
            return Err(STATUS);
        }
    }
    found.ok_or(STATUS)
}
