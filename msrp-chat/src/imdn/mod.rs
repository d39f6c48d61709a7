//! Instant Message Disposition Notification (RFC 5438): "delivered" and
//! "displayed" receipts carried in CPIM.
//!
//! A sender asks with CPIM headers ([`request`]); the recipient finds the
//! request ([`requested`]) and answers with a CPIM message carrying a
//! `message/imdn+xml` [`Document`] ([`Request::answer`]). MSRP REPORTs
//! already prove delivery hop by hop; IMDN adds "displayed" and end-to-end
//! status through gateways, as RCS uses it.
//!
//! ```
//! use msrp_chat::cpim::{Address, Content, DateTime, Header, Message};
//! use msrp_chat::imdn::{self, DisplayStatus, Dispositions, Document, Notification};
//!
//! // Alice asks for delivery and display notifications.
//! let mut message = Message::new(Content::new("text/plain; charset=UTF-8", "Hello")?)
//!     .with_header(Header::From(Address::new(Some("Alice"), "sip:alice@example.com")?))
//!     .with_header(Header::To(Address::new(None, "sip:bob@example.com")?))
//!     .with_header(Header::DateTime(DateTime::parse("2026-07-10T09:47:31Z")?));
//! let wanted = Dispositions { positive_delivery: true, display: true, ..Dispositions::default() };
//! imdn::request(&mut message, "34jk324j", wanted)?;
//!
//! // Bob's side: the request, and the answer once Alice's text is shown.
//! let received = Message::decode(&message.encode())?;
//! let request = imdn::requested(&received).expect("asks for notifications");
//! let now = DateTime::parse("2026-07-10T09:47:35Z")?;
//! let answer = request.answer(Notification::Display(DisplayStatus::Displayed), "dd0e5f1c", now)?;
//! assert_eq!(answer.to().next().map(|a| a.uri()), Some("sip:alice@example.com"));
//! // An IMDN never asks for an IMDN.
//! assert!(imdn::requested(&answer).is_none());
//! let document = Document::decode(answer.content().body())?;
//! assert_eq!(document.message_id, "34jk324j");
//! assert_eq!(document.date_time.as_str(), "2026-07-10T09:47:31Z");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod document;
mod request;

pub use document::{
    CONTENT_TYPE, DeliveryStatus, DisplayStatus, Document, Notification, ProcessingStatus,
    XML_NAMESPACE,
};
pub use request::{Dispositions, ImdnError, NAMESPACE, PREFIX, Request, request, requested};
