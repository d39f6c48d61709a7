//! Fuzz-harness entry points: the oracle behind the cargo-fuzz target
//! `fuzz/fuzz_targets/cpim.rs` and the corpus replay test
//! `tests/fuzz_corpus.rs`.
//!
//! Like `msrp_proto::fuzzing`, this module is compiled in every build on
//! purpose, so that the harness is type-checked by `cargo build` and run by
//! `cargo test` on stable. It is not part of the API.
//!
//! Each function accepts any bytes and panics only when an invariant of the
//! library is violated.

use std::time::Instant;

use bytes::Bytes;

use crate::cpim::{DateTime, Limits, Message};
use crate::imdn::{
    self, DeliveryStatus, DisplayStatus, Document, ImdnError, Notification, ProcessingStatus,
};
use crate::iscomposing::{self, IsComposing};

/// No limit: what re-decoding an encoded message uses, since encoding may
/// lengthen a line (quoting) or join folded ones.
const UNLIMITED: Limits = Limits {
    max_line: usize::MAX,
    max_headers: usize::MAX,
};

/// CPIM and the documents it carries, on any input:
///
/// - decoding never panics, with the default limits or small ones; what
///   decodes within small limits decodes the same within the default ones;
/// - for any input that decodes, encoding and decoding again gives an equal
///   message, and encoding that gives the same bytes;
/// - `decode_bytes` (zero-copy body) agrees with `decode`;
/// - IMDN requests found in it can be answered, and the answers are
///   well-formed CPIM that asks for nothing;
/// - an isComposing or IMDN document (the body of such a message, or the
///   input itself) that decodes round-trips the same way.
pub fn cpim(data: &[u8]) {
    let small = Limits {
        max_line: 16 + data.len() % 64,
        max_headers: 1 + data.len() % 8,
    };
    let decoded = Message::decode(data);
    if let Ok(m) = Message::decode_with(data, &small) {
        assert_eq!(
            decoded.as_ref(),
            Ok(&m),
            "a larger limit changes the result"
        );
    }
    let shared = Bytes::copy_from_slice(data);
    assert_eq!(Message::decode_bytes(&shared, &Limits::default()), decoded);
    if let Ok(message) = decoded {
        round_trip(&message);
        check_imdn(&message);
        let body = message.content().body();
        match message.content().media_type().as_deref() {
            Some(iscomposing::CONTENT_TYPE) => iscomposing_document(body),
            Some(imdn::CONTENT_TYPE) => imdn_document(body),
            _ => {}
        }
    }
    iscomposing_document(data);
    imdn_document(data);
}

/// Encodes, decodes, re-encodes: the same message and the same bytes.
fn round_trip(message: &Message) {
    let wire = message.encode();
    let again = match Message::decode_with(&wire, &UNLIMITED) {
        Ok(again) => again,
        Err(e) => panic!("encoded message does not decode: {e}\n{message:?}"),
    };
    assert_eq!(&again, message, "decode(encode(m)) != m");
    assert_eq!(again.encode(), wire, "encoding is not stable");
    // The look-ups walk the same headers without panicking.
    let _ = (message.required(), message.resolved_headers().count());
    for h in message.headers() {
        let _ = h.to_string();
    }
    if let Some(dt) = message.date_time() {
        assert_eq!(DateTime::parse(dt.as_str()).as_ref(), Ok(dt));
    }
}

fn check_imdn(message: &Message) {
    let Some(request) = imdn::requested(message) else {
        return;
    };
    let media = message.content().media_type();
    assert!(media.as_deref() != Some(imdn::CONTENT_TYPE));
    assert!(media.as_deref() != Some(iscomposing::CONTENT_TYPE));
    let now = DateTime::parse("2026-07-10T09:47:35Z").expect("a valid date");
    for n in [
        Notification::Delivery(DeliveryStatus::Delivered),
        Notification::Delivery(DeliveryStatus::Failed),
        Notification::Display(DisplayStatus::Displayed),
        Notification::Processing(ProcessingStatus::Stored),
    ] {
        let answer = match request.answer(n, "fuzz0001", now.clone()) {
            Ok(answer) => answer,
            Err(ImdnError::NotRequested) => {
                assert!(!request.dispositions().allows(n));
                continue;
            }
            Err(ImdnError::NotXml) => continue,
            Err(e) => panic!("cannot answer {n:?}: {e}"),
        };
        assert!(request.dispositions().allows(n));
        round_trip(&answer);
        assert!(
            imdn::requested(&answer).is_none(),
            "an IMDN asks for an IMDN"
        );
        let document = Document::decode(answer.content().body()).expect("answer document decodes");
        assert_eq!(document.message_id, request.message_id());
        assert_eq!(&document.date_time, request.date_time());
        assert_eq!(document.notification, Some(n));
    }
}

fn iscomposing_document(data: &[u8]) {
    if let Ok(doc) = IsComposing::decode(data) {
        let wire = doc.encode();
        assert_eq!(
            IsComposing::decode(&wire).as_ref(),
            Ok(&doc),
            "isComposing round trip"
        );
        // The receiver takes any document.
        let mut receiver = iscomposing::Receiver::new();
        receiver.handle_indication(Instant::now(), &doc);
        let _ = receiver.poll_event();
    }
}

fn imdn_document(data: &[u8]) {
    if let Ok(doc) = Document::decode(data) {
        let wire = doc.encode();
        assert_eq!(
            Document::decode(&wire).as_ref(),
            Ok(&doc),
            "IMDN round trip"
        );
    }
}
