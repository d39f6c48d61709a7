//! Golden vectors for the CPIM codec: RFC 3862 §5.1, sipsimple's bytes and
//! the IMDN-requesting chat message of the project notes.

use msrp_chat::cpim::{
    Address, Content, DateTime, DecodeErrorKind, Extension, Header, HeaderName, Limits, Message,
    Namespace, Subject, ValueError,
};
use time::macros::datetime;

/// RFC 3862 §5.1, the `h:`/`e:` lines without their labels, CRLF line ends
/// (the body's three lines joined by CRLF). The outer `Content-type:
/// Message/CPIM` (`m:`) is MSRP's, not part of the body.
const RFC3862_5_1: &[u8] = b"From: MR SANDERS <im:piglet@100akerwood.com>\r\n\
To: Depressed Donkey <im:eeyore@100akerwood.com>\r\n\
DateTime: 2000-12-13T13:40:00-08:00\r\n\
Subject: the weather will be fine today\r\n\
Subject:;lang=fr beau temps prevu pour aujourd'hui\r\n\
NS: MyFeatures <mid:MessageFeatures@id.foo.com>\r\n\
Require: MyFeatures.VitalMessageOption\r\n\
MyFeatures.VitalMessageOption: Confirmation-requested\r\n\
MyFeatures.WackyMessageOption: Use-silly-font\r\n\
\r\n\
Content-type: text/xml; charset=utf-8\r\n\
Content-ID: <1234567890@foo.com>\r\n\
\r\n\
<body>\r\n\
Here is the text of my message.\r\n\
</body>";

#[test]
fn rfc3862_example_round_trips_byte_for_byte() {
    let m = Message::decode(RFC3862_5_1).unwrap();
    assert_eq!(m.encode(), RFC3862_5_1);
}

#[test]
fn rfc3862_example_typed_fields() {
    let m = Message::decode(RFC3862_5_1).unwrap();
    let from = m.from().unwrap();
    assert_eq!(from.display_name(), Some("MR SANDERS"));
    assert_eq!(from.uri(), "im:piglet@100akerwood.com");
    let to: Vec<_> = m.to().map(|a| (a.display_name(), a.uri())).collect();
    assert_eq!(
        to,
        [(Some("Depressed Donkey"), "im:eeyore@100akerwood.com")]
    );
    let dt = m.date_time().unwrap();
    assert_eq!(dt.as_str(), "2000-12-13T13:40:00-08:00");
    assert_eq!(dt.value(), Some(datetime!(2000-12-13 13:40:00 -08:00)));
    let subjects: Vec<_> = m.subjects().map(|s| (s.lang(), s.text())).collect();
    assert_eq!(
        subjects,
        [
            (None, "the weather will be fine today"),
            (Some("fr"), "beau temps prevu pour aujourd'hui")
        ]
    );
    let features = "mid:MessageFeatures@id.foo.com";
    assert_eq!(m.prefix_of(features), Some(Some("MyFeatures")));
    let required: Vec<_> = m
        .required()
        .into_iter()
        .map(|(ns, n)| (ns, n.name()))
        .collect();
    assert_eq!(required, [(Some(features), "VitalMessageOption")]);
    let vital: Vec<_> = m
        .extensions(features, "VitalMessageOption")
        .map(Extension::value)
        .collect();
    assert_eq!(vital, ["Confirmation-requested"]);
    assert_eq!(m.extensions(features, "WackyMessageOption").count(), 1);
    assert_eq!(m.headers().len(), 9);

    let content = m.content();
    assert_eq!(content.headers()[0].name(), "Content-type");
    assert_eq!(content.media_type().as_deref(), Some("text/xml"));
    assert_eq!(content.charset().as_deref(), Some("utf-8"));
    assert_eq!(content.content_id(), Some("<1234567890@foo.com>"));
    assert!(content.body().starts_with(b"<body>\r\nHere"));
}

#[test]
fn rfc3862_example_built_from_parts() {
    let features = "mid:MessageFeatures@id.foo.com";
    let ext = |name: &str, value: &str| {
        let name = HeaderName::prefixed("MyFeatures", name).unwrap();
        Header::Extension(Extension::new(name, value).unwrap())
    };
    let body = "<body>\r\nHere is the text of my message.\r\n</body>";
    let content = Content::new("text/xml; charset=utf-8", body)
        .unwrap()
        .with_header("Content-ID", "<1234567890@foo.com>")
        .unwrap();
    let piglet = Address::new(Some("MR SANDERS"), "im:piglet@100akerwood.com").unwrap();
    let eeyore = Address::new(Some("Depressed Donkey"), "im:eeyore@100akerwood.com").unwrap();
    let vital = HeaderName::parse("MyFeatures.VitalMessageOption").unwrap();
    let m = Message::new(content)
        .with_header(Header::From(piglet))
        .with_header(Header::To(eeyore))
        .with_header(Header::DateTime(
            DateTime::new(datetime!(2000-12-13 13:40:00 -08:00)).unwrap(),
        ))
        .with_header(Header::Subject(
            Subject::new("the weather will be fine today", None).unwrap(),
        ))
        .with_header(Header::Subject(
            Subject::new("beau temps prevu pour aujourd'hui", Some("fr")).unwrap(),
        ))
        .with_header(Header::Ns(
            Namespace::new(Some("MyFeatures"), features).unwrap(),
        ))
        .with_header(Header::require(vec![vital]).unwrap())
        .with_header(ext("VitalMessageOption", "Confirmation-requested"))
        .with_header(ext("WackyMessageOption", "Use-silly-font"));
    // Our own spelling of the content header: `Content-Type`.
    let expected = String::from_utf8(RFC3862_5_1.to_vec())
        .unwrap()
        .replace("Content-type", "Content-Type");
    assert_eq!(String::from_utf8(m.encode()).unwrap(), expected);
}

/// What sipsimple's `CPIMPayload.encode` gives for a text message, as
/// reproduced with the same Python 3.11 stdlib `EmailMessage` calls: CRLF
/// CPIM headers, display name unquoted, DateTime in local time with
/// microseconds, then a MIME part with LF-only lines and the charset label
/// `utf8`.
const SIPSIMPLE: &[u8] = b"From: Alice <sip:alice@example.com>\r\n\
To: <sip:bob@example.com>\r\n\
DateTime: 2026-07-10T11:47:31.123456+02:00\r\n\
\r\n\
MIME-Version: 1.0\n\
Content-Type: text/plain; charset=\"utf8\"\n\
\n\
Hello";

/// The same as the project notes describe it (chat-files-desktop.md §1.3):
/// with an empty Content-Transfer-Encoding header; plus sipsimple's
/// `Required:` spelling.
const SIPSIMPLE_NOTES: &[u8] = b"From: Alice <sip:alice@example.com>\r\n\
To: <sip:bob@example.com>\r\n\
DateTime: 2026-07-10T11:47:31.123456+02:00\r\n\
Required: x.Foo,Bar\r\n\
\r\n\
MIME-Version: 1.0\n\
Content-Type: text/plain; charset=\"utf8\"\n\
Content-Transfer-Encoding: \n\
\n\
Hello";

#[test]
fn sipsimple_bytes_decode() {
    for input in [SIPSIMPLE, SIPSIMPLE_NOTES] {
        let m = Message::decode(input).unwrap();
        let from = m.from().unwrap();
        assert_eq!(
            (from.display_name(), from.uri()),
            (Some("Alice"), "sip:alice@example.com")
        );
        assert_eq!(m.to().next().unwrap().uri(), "sip:bob@example.com");
        assert_eq!(
            m.date_time().unwrap().value(),
            Some(datetime!(2026-07-10 11:47:31.123456 +02:00))
        );
        let c = m.content();
        assert_eq!(c.content_type(), Some("text/plain; charset=UTF-8"));
        assert_eq!(c.header("MIME-Version"), Some("1.0"));
        assert_eq!(c.header("Content-Transfer-Encoding"), None);
        assert_eq!(&c.body()[..], b"Hello");
    }
}

#[test]
fn sipsimple_bytes_are_answered_in_rfc_spelling() {
    let m = Message::decode(SIPSIMPLE_NOTES).unwrap();
    let out = String::from_utf8(m.encode()).unwrap();
    assert_eq!(
        out,
        "From: Alice <sip:alice@example.com>\r\n\
         To: <sip:bob@example.com>\r\n\
         DateTime: 2026-07-10T11:47:31.123456+02:00\r\n\
         Require: x.Foo,Bar\r\n\
         \r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=UTF-8\r\n\
         \r\n\
         Hello"
    );
}

/// The chat message asking for IMDN of the project notes (§2): the CPIM
/// body of its SEND.
const IMDN_REQUEST: &[u8] = b"From: Alice <sip:alice@example.com>\r\n\
To: <sip:bob@example.com>\r\n\
DateTime: 2026-07-10T09:47:31Z\r\n\
NS: imdn <urn:ietf:params:imdn>\r\n\
imdn.Message-ID: 34jk324j\r\n\
imdn.Disposition-Notification: positive-delivery, display\r\n\
\r\n\
Content-Type: text/plain; charset=UTF-8\r\n\
\r\n\
Hello";

#[test]
fn imdn_requesting_message_round_trips() {
    let m = Message::decode(IMDN_REQUEST).unwrap();
    assert_eq!(m.encode(), IMDN_REQUEST);
    let id: Vec<_> = m
        .extensions("urn:ietf:params:imdn", "Message-ID")
        .map(Extension::value)
        .collect();
    assert_eq!(id, ["34jk324j"]);
    assert_eq!(m.prefix_of("urn:ietf:params:imdn"), Some(Some("imdn")));
}

#[test]
fn binary_bodies_are_kept_as_bytes() {
    let body: Vec<u8> = (0..=255).chain([b'\r', b'\n', b'\r', b'\n']).collect();
    let m = Message::new(Content::new("image/png", body.clone()).unwrap());
    let wire = m.encode();
    let back = Message::decode(&wire).unwrap();
    assert_eq!(&back.content().body()[..], &body[..]);
    let shared = bytes::Bytes::from(wire);
    let zero_copy = Message::decode_bytes(&shared, &Limits::default()).unwrap();
    assert_eq!(zero_copy, back);
}

#[test]
fn errors_say_what_and_where() {
    let value = |header: &str, error| DecodeErrorKind::Value {
        header: header.into(),
        error,
    };
    let cases: [(&[u8], DecodeErrorKind, usize); 7] = [
        (b"From: <sip:a@b>\r\n", DecodeErrorKind::MissingContent, 2),
        (
            b"From: <sip:a@b>\r\n\r\nContent-ID: x\r\n\r\n",
            DecodeErrorKind::MissingContentType,
            4,
        ),
        (b"From <alice>\r\n\r\n", DecodeErrorKind::MissingColon, 1),
        (
            b"To: <sip:a@b>\r\nX: \xff\r\n\r\n",
            DecodeErrorKind::NotUtf8,
            2,
        ),
        (
            b"\r\n Content-Type: x\r\n\r\n",
            DecodeErrorKind::OrphanContinuation,
            2,
        ),
        (
            b"To: <sip:a@b>\r\nFrom: bob\r\n\r\n",
            value("From", ValueError::Address),
            2,
        ),
        (
            b"\r\nContent-Type: a\r\nContent-ID: <\x01>\r\n\r\n",
            value("Content-ID", ValueError::ControlCharacter('\u{1}')),
            3,
        ),
    ];
    for (input, kind, line) in cases {
        let err = Message::decode(input).unwrap_err();
        let shown = String::from_utf8_lossy(input);
        assert_eq!((err.kind(), err.line()), (&kind, line), "{shown}");
    }
    let err = Message::decode(b"To: <sip:a@b>\r\nFrom: bob\r\n\r\n").unwrap_err();
    assert_eq!(err.offset(), 15);
    assert_eq!(
        err.to_string(),
        "line 2 (byte 15): header `From`: expected `[display name] <URI>`"
    );
}

#[test]
fn limits_bound_lines_and_headers() {
    let limits = Limits {
        max_line: 20,
        max_headers: 2,
    };
    let long = b"X: 0123456789abcdefghij\r\n\r\nContent-Type: a\r\n\r\n";
    assert_eq!(
        Message::decode_with(long, &limits).unwrap_err().kind(),
        &DecodeErrorKind::LineTooLong { max: 20 }
    );
    let many = b"A: 1\r\nB: 2\r\nC: 3\r\n\r\nContent-Type: a\r\n\r\n";
    assert_eq!(
        Message::decode_with(many, &limits).unwrap_err().kind(),
        &DecodeErrorKind::TooManyHeaders { max: 2 }
    );
    let folded = b"\r\nContent-Type: a\r\n ;b=c\r\n\t;d=e\r\n\r\n";
    assert_eq!(
        Message::decode_with(folded, &limits).unwrap_err().kind(),
        &DecodeErrorKind::TooManyHeaders { max: 2 }
    );
    let m = Message::decode(folded).unwrap();
    assert_eq!(m.content().content_type(), Some("a ;b=c\t;d=e"));
}

#[test]
fn namespaces_follow_ns_headers_in_order() {
    let input = b"a.X: before\r\nNS: a <urn:one>\r\na.X: one\r\nNS: a <urn:two>\r\na.X: two\r\n\
        NS: <urn:default>\r\nFrom: not typed\r\n\r\nContent-Type: t\r\n\r\n";
    let m = Message::decode(input).unwrap();
    let core = Some("urn:ietf:params:cpim-headers:");
    let uris: Vec<_> = m.resolved_headers().map(|(ns, _)| ns).collect();
    let expected = [
        None,
        core,
        Some("urn:one"),
        core,
        Some("urn:two"),
        core,
        Some("urn:default"),
    ];
    assert_eq!(uris, expected);
    assert_eq!(m.extensions("urn:default", "From").count(), 1);
    assert_eq!(m.from(), None);
    assert_eq!(m.encode(), input);
}
