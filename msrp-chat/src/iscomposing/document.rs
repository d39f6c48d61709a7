//! The `application/im-iscomposing+xml` document (RFC 3994 §4, §5).

use std::num::NonZeroU32;

use crate::cpim::DateTime;
use crate::xml::{self, DECLARATION, DocumentError, text_element, trim};

/// The XML namespace of the document.
pub const NAMESPACE: &str = "urn:ietf:params:xml:ns:im-iscomposing";

/// The media type of the document.
pub const CONTENT_TYPE: &str = "application/im-iscomposing+xml";

/// Whether the sender is composing (RFC 3994 §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// Composing.
    Active,
    /// Not composing.
    Idle,
}

impl State {
    /// `active` or `idle`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Idle => "idle",
        }
    }
}

/// An isComposing status message.
///
/// Elements are written in the schema's order (`state`, `lastactive`,
/// `contenttype`, `refresh`); when reading, their order does not matter
/// and elements of other namespaces (extensions) are ignored.
///
/// ```
/// use msrp_chat::iscomposing::{IsComposing, State};
/// let doc = IsComposing::decode(
///     b"<?xml version='1.0' encoding='UTF-8'?>\n\
///       <isComposing xmlns=\"urn:ietf:params:xml:ns:im-iscomposing\">\
///       <state>active</state><refresh>60</refresh></isComposing>",
/// )?;
/// assert_eq!(doc.state, State::Active);
/// assert_eq!(doc.refresh.map(|r| r.get()), Some(60));
/// # Ok::<(), msrp_chat::DocumentError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IsComposing {
    /// `<state>`: required.
    pub state: State,
    /// `<lastactive>`: when the sender was last active (useful with `idle`).
    pub last_active: Option<DateTime>,
    /// `<contenttype>`: what is being composed (`text`, `audio`, or a MIME
    /// type).
    pub content_type: Option<String>,
    /// `<refresh>`: seconds until the receiver may assume `idle` if no new
    /// indication arrives (§3.3; 120 when absent).
    pub refresh: Option<NonZeroU32>,
}

impl IsComposing {
    /// A document with only a state.
    pub fn new(state: State) -> Self {
        Self {
            state,
            last_active: None,
            content_type: None,
            refresh: None,
        }
    }

    /// Reads a document.
    pub fn decode(input: &[u8]) -> Result<Self, DocumentError> {
        let root = xml::read(input, NAMESPACE, "isComposing")?;
        let text = |name| -> Result<Option<&str>, DocumentError> {
            Ok(root.child(NAMESPACE, name)?.map(|e| e.text.as_str()))
        };
        let state = match text("state")?.map(trim) {
            Some("active") => State::Active,
            Some("idle") => State::Idle,
            Some(_) => {
                return Err(DocumentError::Value {
                    element: "state",
                    reason: "expected `active` or `idle`",
                });
            }
            None => return Err(DocumentError::Missing("state")),
        };
        let last_active = text("lastactive")?
            .map(|t| DateTime::parse(trim(t)))
            .transpose()
            .map_err(|_| DocumentError::Value {
                element: "lastactive",
                reason: "control characters in a date",
            })?;
        let refresh = text("refresh")?
            .map(|r| trim(r).parse::<NonZeroU32>())
            .transpose()
            .map_err(|_| DocumentError::Value {
                element: "refresh",
                reason: "expected a positive number of seconds",
            })?;
        Ok(Self {
            state,
            last_active,
            content_type: text("contenttype")?.map(|t| trim(t).to_owned()),
            refresh,
        })
    }

    /// The document as sent: an XML declaration and the root element on
    /// one line.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = String::from(DECLARATION);
        out.push_str(r#"<isComposing xmlns=""#);
        out.push_str(NAMESPACE);
        out.push_str(r#"">"#);
        text_element("state", self.state.as_str(), &mut out);
        if let Some(last_active) = &self.last_active {
            text_element("lastactive", last_active.as_str(), &mut out);
        }
        if let Some(content_type) = &self.content_type {
            text_element("contenttype", content_type, &mut out);
        }
        if let Some(refresh) = self.refresh {
            text_element("refresh", &refresh.to_string(), &mut out);
        }
        out.push_str("</isComposing>");
        out.into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the project notes (chat-files-desktop.md §3).
    const NOTES: &[u8] = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
<isComposing xmlns=\"urn:ietf:params:xml:ns:im-iscomposing\"><state>active</state>\
<contenttype>text/plain</contenttype><refresh>60</refresh></isComposing>";

    #[test]
    fn golden_bytes_of_the_notes() {
        let doc = IsComposing {
            content_type: Some("text/plain".into()),
            refresh: NonZeroU32::new(60),
            ..IsComposing::new(State::Active)
        };
        assert_eq!(doc.encode(), NOTES);
        assert_eq!(IsComposing::decode(NOTES), Ok(doc));
    }

    /// The two documents of RFC 3994 §6 (as pretty-printed there, with
    /// `xsi:schemaLocation`), and sipsimple's lxml output (single-quoted
    /// declaration, prefixed namespace).
    #[test]
    fn reads_rfc_and_sipsimple_documents() {
        let idle = br#"<?xml version="1.0" encoding="UTF-8"?>
   <isComposing xmlns="urn:ietf:params:xml:ns:im-iscomposing"
     xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
     xsi:schemaLocation="urn:ietf:params:xml:ns:im-composing
       iscomposing.xsd">
     <state>idle</state>
     <lastactive>2003-01-27T10:43:00Z</lastactive>
     <contenttype>audio</contenttype>
   </isComposing>"#;
        let doc = IsComposing::decode(idle).unwrap();
        assert_eq!(doc.state, State::Idle);
        assert_eq!(doc.last_active.unwrap().as_str(), "2003-01-27T10:43:00Z");
        assert_eq!(doc.content_type.as_deref(), Some("audio"));
        assert_eq!(doc.refresh, None);

        let active = br#"<?xml version="1.0" encoding="UTF-8"?>
   <isComposing xmlns="urn:ietf:params:xml:ns:im-iscomposing"
     xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
     xsi:schemaLocation="urn:ietf:params:xml:ns:im-composing
       iscomposing.xsd">
     <state>active</state>
     <contenttype>text/html</contenttype>
     <refresh>90</refresh>
   </isComposing>"#;
        let doc = IsComposing::decode(active).unwrap();
        assert_eq!(
            (doc.state, doc.refresh),
            (State::Active, NonZeroU32::new(90))
        );

        let lxml = b"<?xml version='1.0' encoding='UTF-8'?>\n<ns0:isComposing \
            xmlns:ns0=\"urn:ietf:params:xml:ns:im-iscomposing\"><ns0:state>idle</ns0:state>\
            <ns0:contenttype>text</ns0:contenttype><x:ext xmlns:x=\"urn:x\">1</x:ext>\
            </ns0:isComposing>";
        let doc = IsComposing::decode(lxml).unwrap();
        assert_eq!(
            (doc.state, doc.content_type.as_deref()),
            (State::Idle, Some("text"))
        );
    }

    #[test]
    fn says_what_is_wrong() {
        let wrap = |inner: &str| {
            format!(
                "<isComposing xmlns=\"urn:ietf:params:xml:ns:im-iscomposing\">{inner}</isComposing>"
            )
        };
        let cases = [
            (wrap(""), DocumentError::Missing("state")),
            (
                wrap("<state>typing</state>"),
                DocumentError::Value {
                    element: "state",
                    reason: "expected `active` or `idle`",
                },
            ),
            (
                wrap("<state>idle</state><state>idle</state>"),
                DocumentError::Duplicate("state"),
            ),
            (
                wrap("<state>active</state><refresh>0</refresh>"),
                DocumentError::Value {
                    element: "refresh",
                    reason: "expected a positive number of seconds",
                },
            ),
            (
                "<isComposing><state>idle</state></isComposing>".to_owned(),
                DocumentError::Root {
                    name: "isComposing",
                    namespace: NAMESPACE,
                },
            ),
        ];
        for (doc, error) in cases {
            assert_eq!(IsComposing::decode(doc.as_bytes()), Err(error), "{doc}");
        }
    }
}
