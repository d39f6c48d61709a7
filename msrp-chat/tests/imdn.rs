//! IMDN (RFC 5438): requests in CPIM headers, the notification document,
//! and the answer a recipient builds.

use msrp_chat::DocumentError;
use msrp_chat::cpim::{Address, Content, DateTime, Header, Message, ValueError};
use msrp_chat::imdn::{
    self, DeliveryStatus, DisplayStatus, Dispositions, Document, ImdnError, Notification,
    ProcessingStatus,
};

/// The chat message asking for IMDN of the project notes
/// (chat-files-desktop.md §2): the CPIM body of its SEND.
const NOTES_REQUEST: &[u8] = b"From: Alice <sip:alice@example.com>\r\n\
To: <sip:bob@example.com>\r\n\
DateTime: 2026-07-10T09:47:31Z\r\n\
NS: imdn <urn:ietf:params:imdn>\r\n\
imdn.Message-ID: 34jk324j\r\n\
imdn.Disposition-Notification: positive-delivery, display\r\n\
\r\n\
Content-Type: text/plain; charset=UTF-8\r\n\
\r\n\
Hello";

fn hello() -> Message {
    let alice = Address::new(Some("Alice"), "sip:alice@example.com").unwrap();
    let bob = Address::new(None, "sip:bob@example.com").unwrap();
    Message::new(Content::new("text/plain; charset=UTF-8", "Hello").unwrap())
        .with_header(Header::From(alice))
        .with_header(Header::To(bob))
        .with_header(Header::DateTime(
            DateTime::parse("2026-07-10T09:47:31Z").unwrap(),
        ))
}

const DELIVERY_AND_DISPLAY: Dispositions = Dispositions {
    positive_delivery: true,
    negative_delivery: false,
    display: true,
    processing: false,
};

#[test]
fn request_builds_the_notes_example_byte_for_byte() {
    let mut m = hello();
    imdn::request(&mut m, "34jk324j", DELIVERY_AND_DISPLAY).unwrap();
    assert_eq!(
        String::from_utf8(m.encode()).unwrap(),
        String::from_utf8(NOTES_REQUEST.to_vec()).unwrap()
    );
}

#[test]
fn requested_reads_the_notes_example() {
    let m = Message::decode(NOTES_REQUEST).unwrap();
    let r = imdn::requested(&m).unwrap();
    assert_eq!(r.message_id(), "34jk324j");
    assert_eq!(r.date_time().as_str(), "2026-07-10T09:47:31Z");
    assert_eq!(r.dispositions(), DELIVERY_AND_DISPLAY);
}

/// RFC 5438 §5's request (From/To/NS/imdn.Message-ID/DateTime/
/// imdn.Disposition-Notification), with another prefix: receivers match the
/// namespace URI.
#[test]
fn requested_matches_the_namespace_not_the_prefix() {
    let m = Message::decode(
        b"From: Alice <im:alice@example.com>\r\n\
          To: Bob <im:bob@example.com>\r\n\
          NS: x <urn:ietf:params:imdn>\r\n\
          x.Message-ID: 34jk324j\r\n\
          DateTime: 2006-04-04T12:16:49-05:00\r\n\
          x.Disposition-Notification: positive-delivery, negative-delivery, processing, bogus\r\n\
          \r\n\
          Content-type: text/plain\r\n\
          \r\n\
          Hello World",
    )
    .unwrap();
    let r = imdn::requested(&m).unwrap();
    let all_but_display = Dispositions {
        display: false,
        ..Dispositions::parse("positive-delivery,negative-delivery,display,processing")
    };
    assert_eq!(r.dispositions(), all_but_display);
    // The same names under an undeclared prefix are not IMDN headers.
    let m = Message::decode(
        b"DateTime: 2006-04-04T12:16:49-05:00\r\nimdn.Message-ID: a\r\n\
          imdn.Disposition-Notification: display\r\n\r\nContent-Type: text/plain\r\n\r\n",
    )
    .unwrap();
    assert_eq!(imdn::requested(&m), None);
}

#[test]
fn no_imdn_for_an_imdn_or_an_iscomposing_message() {
    for media in ["message/imdn+xml", "application/im-iscomposing+xml"] {
        let m = Message::new(Content::new(media, "<x/>").unwrap()).with_header(Header::DateTime(
            DateTime::parse("2026-07-10T09:47:31Z").unwrap(),
        ));
        let mut asking = m.clone();
        assert_eq!(
            imdn::request(&mut asking, "abcd1234", DELIVERY_AND_DISPLAY),
            Err(ImdnError::NotRequestable(media.into()))
        );
        // Even if a peer asks anyway, it is not answered.
        let mut bytes = b"DateTime: 2026-07-10T09:47:31Z\r\nNS: imdn <urn:ietf:params:imdn>\r\n\
            imdn.Message-ID: a1\r\nimdn.Disposition-Notification: display\r\n"
            .to_vec();
        bytes.extend_from_slice(&m.encode()[b"DateTime: 2026-07-10T09:47:31Z\r\n".len()..]);
        let received = Message::decode(&bytes).unwrap();
        assert_eq!(received.content().media_type().as_deref(), Some(media));
        assert_eq!(imdn::requested(&received), None);
    }
}

#[test]
fn request_needs_a_date_and_something_to_ask() {
    let mut m = Message::new(Content::new("text/plain", "x").unwrap());
    assert_eq!(
        imdn::request(&mut m, "abcd1234", DELIVERY_AND_DISPLAY),
        Err(ImdnError::MissingDateTime)
    );
    let mut m = hello();
    assert_eq!(
        imdn::request(&mut m, "abcd1234", Dispositions::default()),
        Err(ImdnError::NothingRequested)
    );
    assert_eq!(
        imdn::request(&mut m, "two words", DELIVERY_AND_DISPLAY),
        Err(ImdnError::Value(ValueError::Token("two words".into())))
    );
    assert_eq!(m, hello(), "nothing added on failure");
}

/// What Bob sends back for the notes' example once Alice's text is shown.
const DISPLAYED_ANSWER: &[u8] = b"From: <sip:bob@example.com>\r\n\
To: Alice <sip:alice@example.com>\r\n\
DateTime: 2026-07-10T09:47:35Z\r\n\
NS: imdn <urn:ietf:params:imdn>\r\n\
imdn.Message-ID: dd0e5f1c\r\n\
\r\n\
Content-Type: message/imdn+xml\r\n\
Content-Disposition: notification\r\n\
\r\n\
<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
<imdn xmlns=\"urn:ietf:params:xml:ns:imdn\">\
<message-id>34jk324j</message-id>\
<datetime>2026-07-10T09:47:31Z</datetime>\
<recipient-uri>sip:bob@example.com</recipient-uri>\
<original-recipient-uri>sip:bob@example.com</original-recipient-uri>\
<display-notification><status><displayed/></status></display-notification>\
</imdn>";

#[test]
fn answer_builds_the_notification() {
    let m = Message::decode(NOTES_REQUEST).unwrap();
    let r = imdn::requested(&m).unwrap();
    let now = DateTime::parse("2026-07-10T09:47:35Z").unwrap();
    let answer = r
        .answer(
            Notification::Display(DisplayStatus::Displayed),
            "dd0e5f1c",
            now.clone(),
        )
        .unwrap();
    assert_eq!(
        String::from_utf8(answer.encode()).unwrap(),
        String::from_utf8(DISPLAYED_ANSWER.to_vec()).unwrap()
    );
    assert_eq!(imdn::requested(&answer), None);
    // Only what was asked for.
    for n in [
        Notification::Delivery(DeliveryStatus::Failed),
        Notification::Processing(ProcessingStatus::Stored),
    ] {
        assert_eq!(r.answer(n, "x", now.clone()), Err(ImdnError::NotRequested));
    }
    let delivered = Notification::Delivery(DeliveryStatus::Delivered);
    assert!(r.answer(delivered, "x", now).is_ok());
}

/// RFC 5438's delivery notification example (§7.2.1.1), pretty-printed as
/// there, with the tag of `original-recipient-uri` broken across lines.
const RFC5438_DELIVERED: &[u8] = br#"<?xml version="1.0" encoding="UTF-8"?>
   <imdn xmlns="urn:ietf:params:xml:ns:imdn">
      <message-id>34jk324j</message-id>
      <datetime>2008-04-04T12:16:49-05:00</datetime>
      <recipient-uri>im:bob@example.com</recipient-uri>
      <original-recipient-uri
         >im:bob@example.com</original-recipient-uri>
      <delivery-notification>
         <status>
            <delivered/>
         </status>
      </delivery-notification>
   </imdn>"#;

#[test]
fn rfc5438_examples_decode() {
    let doc = Document::decode(RFC5438_DELIVERED).unwrap();
    assert_eq!(
        doc,
        Document {
            message_id: "34jk324j".into(),
            date_time: DateTime::parse("2008-04-04T12:16:49-05:00").unwrap(),
            recipient_uri: Some("im:bob@example.com".into()),
            original_recipient_uri: Some("im:bob@example.com".into()),
            subject: None,
            notification: Some(Notification::Delivery(DeliveryStatus::Delivered)),
        }
    );
    assert!(doc.date_time.value().is_some());
    let text = String::from_utf8(RFC5438_DELIVERED.to_vec()).unwrap();
    for (from, to, expected) in [
        (
            "<delivery-notification>",
            "<display-notification>",
            Notification::Display(DisplayStatus::Displayed),
        ),
        (
            "<delivery-notification>",
            "<processing-notification>",
            Notification::Processing(ProcessingStatus::Processed),
        ),
    ] {
        let end_from = from.replace('<', "</");
        let end_to = to.replace('<', "</");
        let status = match expected {
            Notification::Display(_) => "<displayed/>",
            _ => "<processed/>",
        };
        let other = text
            .replace(from, to)
            .replace(&end_from, &end_to)
            .replace("<delivered/>", status);
        let doc = Document::decode(other.as_bytes()).unwrap();
        assert_eq!(doc.notification, Some(expected));
    }
}

#[test]
fn documents_are_written_in_schema_order() {
    let doc = Document {
        message_id: "34jk324j".into(),
        date_time: DateTime::parse("2008-04-04T12:16:49-05:00").unwrap(),
        recipient_uri: Some("im:bob@example.com".into()),
        original_recipient_uri: Some("im:bob@example.com".into()),
        subject: Some("Pi & <friends>".into()),
        notification: Some(Notification::Processing(ProcessingStatus::Stored)),
    };
    let bytes = doc.encode();
    assert_eq!(
        String::from_utf8(bytes.clone()).unwrap(),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
         <imdn xmlns=\"urn:ietf:params:xml:ns:imdn\">\
         <message-id>34jk324j</message-id>\
         <datetime>2008-04-04T12:16:49-05:00</datetime>\
         <recipient-uri>im:bob@example.com</recipient-uri>\
         <original-recipient-uri>im:bob@example.com</original-recipient-uri>\
         <subject>Pi &amp; &lt;friends&gt;</subject>\
         <processing-notification><status><stored/></status></processing-notification>\
         </imdn>"
    );
    assert_eq!(Document::decode(&bytes), Ok(doc));
}

#[test]
fn document_errors() {
    let wrap = |inner: &str| format!("<imdn xmlns=\"urn:ietf:params:xml:ns:imdn\">{inner}</imdn>");
    let id_and_date = "<message-id>a</message-id><datetime>2008-04-04T12:16:49Z</datetime>";
    let bad_status = DocumentError::Value {
        element: "status",
        reason: "expected one status this notification allows",
    };
    let cases = [
        (
            wrap("<datetime>x</datetime>"),
            DocumentError::Missing("message-id"),
        ),
        (
            wrap("<message-id>a</message-id>"),
            DocumentError::Missing("datetime"),
        ),
        (
            wrap(&format!(
                "{id_and_date}<display-notification><status><delivered/></status></display-notification>"
            )),
            bad_status.clone(),
        ),
        (
            wrap(&format!(
                "{id_and_date}<delivery-notification><status/></delivery-notification>"
            )),
            bad_status,
        ),
        (
            wrap(&format!("{id_and_date}<delivery-notification/>")),
            DocumentError::Missing("status"),
        ),
        (
            wrap(&format!(
                "{id_and_date}<delivery-notification><status><failed/></status></delivery-notification>\
                 <display-notification><status><error/></status></display-notification>"
            )),
            DocumentError::Duplicate("notification"),
        ),
    ];
    for (doc, error) in cases {
        assert_eq!(Document::decode(doc.as_bytes()), Err(error), "{doc}");
    }
}

/// Found by fuzzing: white space after the Message-ID token is not part of
/// it, in the request as in the notification document.
#[test]
fn message_id_is_trimmed_like_the_document_trims_it() {
    let m = Message::decode(
        b"DateTime: 2026-07-10T09:47:31Z \r\nNS: imdn <urn:ietf:params:imdn>\r\n\
          imdn.Message-ID: 34jk324j\t\r\nimdn.Disposition-Notification: display\r\n\
          \r\nContent-Type: text/plain\r\n\r\nHi",
    )
    .unwrap();
    let r = imdn::requested(&m).unwrap();
    assert_eq!(r.message_id(), "34jk324j");
    let n = Notification::Display(DisplayStatus::Displayed);
    let answer = r
        .answer(
            n,
            "a1b2c3d4",
            DateTime::parse("2026-07-10T09:48:00Z").unwrap(),
        )
        .unwrap();
    let doc = Document::decode(answer.content().body()).unwrap();
    assert_eq!(
        (doc.message_id.as_str(), doc.date_time.as_str()),
        ("34jk324j", "2026-07-10T09:47:31Z")
    );
    // Other Unicode spaces are content, on both sides.
    let m = Message::decode(
        "DateTime: 2026-07-10T09:47:31Z\u{3000}\r\nNS: imdn <urn:ietf:params:imdn>\r\n\
         imdn.Message-ID: x\u{3000}\r\nimdn.Disposition-Notification: display\r\n\
         \r\nContent-Type: text/plain\r\n\r\nHi"
            .as_bytes(),
    )
    .unwrap();
    let r = imdn::requested(&m).unwrap();
    let answer = r
        .answer(
            n,
            "a1b2c3d4",
            DateTime::parse("2026-07-10T09:48:00Z").unwrap(),
        )
        .unwrap();
    let doc = Document::decode(answer.content().body()).unwrap();
    assert_eq!(doc.message_id, "x\u{3000}");
    assert_eq!(&doc.date_time, r.date_time());
    // What XML cannot carry cannot be answered.
    let m = Message::decode(
        "DateTime: 2026-07-10T09:47:31Z\r\nNS: imdn <urn:ietf:params:imdn>\r\n\
         imdn.Message-ID: x\u{ffff}\r\nimdn.Disposition-Notification: display\r\n\
         \r\nContent-Type: text/plain\r\n\r\nHi"
            .as_bytes(),
    )
    .unwrap();
    let r = imdn::requested(&m).unwrap();
    let now = DateTime::parse("2026-07-10T09:48:00Z").unwrap();
    assert_eq!(r.answer(n, "a1b2c3d4", now), Err(ImdnError::NotXml));
}
