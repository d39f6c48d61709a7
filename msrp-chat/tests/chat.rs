//! The chat session (sipsimple's ChatStream logic) with virtual time: what
//! goes out and how, what comes in, delivery, isComposing, IMDN.

use std::time::{Duration, Instant};

use bytes::Bytes;
use msrp_chat::chat::{ChatConfig, ChatEvent, ChatMessage, ChatSession, Peer, Transmit};
use msrp_chat::cpim::{self, Address, Message};
use msrp_chat::imdn::{self, DeliveryStatus, DisplayStatus, Dispositions, Notification};
use msrp_chat::iscomposing::{self, IsComposing, State};
use msrp_chat::sdp::{Capabilities, MediaRange};
use msrp_proto::connection::Outcome;
use msrp_proto::wire::{FailureReport, SuccessReport};
use time::OffsetDateTime;
use time::macros::datetime;

const WALL: OffsetDateTime = datetime!(2026-07-10 09:47:31 UTC);

fn alice() -> Address {
    Address::new(Some("Alice"), "sip:alice@example.com").unwrap()
}

fn bob() -> Address {
    Address::new(None, "sip:bob@example.com").unwrap()
}

fn ranges(list: &[&str]) -> Vec<MediaRange> {
    list.iter().map(|s| MediaRange::parse(s).unwrap()).collect()
}

/// A peer as sipsimple's chat stream describes itself, taking notifications too.
fn chat_peer() -> Peer {
    let caps = Capabilities::chat();
    let mut wrapped = caps.accept_wrapped_types.unwrap();
    wrapped.extend(ranges(&["message/imdn+xml"]));
    Peer {
        identity: bob(),
        accept_types: caps.accept_types,
        accept_wrapped_types: wrapped,
        chatroom: vec![],
    }
}

/// A peer that takes only plain text, no CPIM.
fn plain_peer() -> Peer {
    Peer {
        identity: bob(),
        accept_types: ranges(&["text/plain"]),
        accept_wrapped_types: vec![],
        chatroom: vec![],
    }
}

struct Chat {
    session: ChatSession,
    now: Instant,
    elapsed: Duration,
}

impl Chat {
    fn new(config: ChatConfig) -> Self {
        Self {
            session: ChatSession::new(config, [3; 32]),
            now: Instant::now(),
            elapsed: Duration::ZERO,
        }
    }

    fn started(peer: Peer) -> Self {
        let mut chat = Self::new(ChatConfig::new(alice()));
        chat.session.start(peer, chat.now, WALL);
        assert_eq!(chat.events(), [ChatEvent::Started]);
        chat
    }

    fn send(&mut self, message: ChatMessage) -> String {
        self.session.send_message(message, self.now, WALL).unwrap()
    }

    fn transmits(&mut self) -> Vec<Transmit> {
        std::iter::from_fn(|| self.session.poll_transmit()).collect()
    }

    fn events(&mut self) -> Vec<ChatEvent> {
        std::iter::from_fn(|| self.session.poll_event()).collect()
    }

    fn receive(&mut self, content_type: &str, body: &[u8]) {
        self.session
            .handle_received(content_type, Bytes::copy_from_slice(body), self.now, WALL);
    }

    /// Moves both clocks on and fires what is due.
    fn advance(&mut self, d: Duration) {
        self.now += d;
        self.elapsed += d;
        self.session.handle_timeout(self.now, WALL + self.elapsed);
    }
}

fn body(t: &Transmit) -> &[u8] {
    t.message.body_bytes().map(|b| &b[..]).unwrap_or(&[])
}

fn cpim_of(t: &Transmit) -> Message {
    assert_eq!(t.message.content_type(), "message/cpim");
    Message::decode(body(t)).unwrap()
}

// ---- the stream's life cycle ------------------------------------------------

#[test]
fn messages_queued_before_the_start_go_out_when_it_starts() {
    let mut chat = Chat::new(ChatConfig::new(alice()));
    let first = chat.send(ChatMessage::text("one"));
    let second = chat.send(ChatMessage::text("two"));
    assert!(chat.transmits().is_empty());
    chat.session.start(chat_peer(), chat.now, WALL);
    let sent = chat.transmits();
    let ids: Vec<_> = sent.iter().map(|t| t.id.clone().unwrap()).collect();
    assert_eq!(ids, [first, second]);
    assert_eq!(&cpim_of(&sent[1]).content().body()[..], b"two");
}

#[test]
fn messages_not_delivered_when_the_stream_ends_first_say_why() {
    let mut chat = Chat::new(ChatConfig::new(alice()));
    let queued = chat.send(ChatMessage::text("never went"));
    chat.session.end(Some("the call was rejected".into()));
    assert_eq!(
        chat.events(),
        [
            ChatEvent::NotDelivered {
                id: queued,
                code: 0,
                reason: "the call was rejected".into()
            },
            ChatEvent::Ended {
                reason: Some("the call was rejected".into())
            }
        ]
    );
    assert!(
        chat.session
            .send_message(ChatMessage::text("late"), chat.now, WALL)
            .is_err()
    );
}

#[test]
fn a_message_in_flight_when_the_stream_ends_is_not_delivered() {
    let mut chat = Chat::started(chat_peer());
    let id = chat.send(ChatMessage::text("in flight"));
    chat.transmits();
    chat.session.end(None);
    let events = chat.events();
    assert!(
        matches!(&events[0], ChatEvent::NotDelivered { id: i, code: 0, .. } if *i == id),
        "{events:?}"
    );
}

#[test]
fn the_queue_is_bounded() {
    let mut config = ChatConfig::new(alice());
    config.max_queued = 2;
    let mut chat = Chat::new(config);
    chat.send(ChatMessage::text("1"));
    chat.send(ChatMessage::text("2"));
    let err = chat
        .session
        .send_message(ChatMessage::text("3"), chat.now, WALL)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "2 messages already wait for the stream to start"
    );
}

// ---- delivery ---------------------------------------------------------------

#[test]
fn chat_messages_ask_for_both_reports_and_their_outcome_is_reported() {
    let mut chat = Chat::started(chat_peer());
    let ok = chat.send(ChatMessage::text("fine"));
    let refused = chat.send(ChatMessage::text("refused"));
    let late = chat.send(ChatMessage::text("late"));
    for t in chat.transmits() {
        assert_eq!(
            t.message.reports(),
            (SuccessReport::Yes, FailureReport::Yes)
        );
    }
    chat.session.handle_outcome(&ok, Outcome::Delivered);
    let failed = Outcome::Failed {
        code: 415,
        comment: "Unsupported Media Type".into(),
    };
    chat.session.handle_outcome(&refused, failed);
    let timeout = Outcome::Failed {
        code: 408,
        comment: "no success report arrived".into(),
    };
    chat.session.handle_outcome(&late, timeout);
    assert_eq!(
        chat.events(),
        [
            ChatEvent::Delivered { id: ok },
            ChatEvent::NotDelivered {
                id: refused,
                code: 415,
                reason: "Unsupported Media Type".into()
            },
            ChatEvent::NotDelivered {
                id: late,
                code: 408,
                reason: "no success report arrived".into()
            },
        ]
    );
}

// ---- CPIM or not (sipsimple's rules) ------------------------------------------

#[test]
fn wrapped_in_cpim_when_both_sides_take_it_with_from_to_and_date() {
    let mut chat = Chat::started(chat_peer());
    chat.send(ChatMessage::text("Hello"));
    let sent = chat.transmits().remove(0);
    assert_eq!(
        String::from_utf8(body(&sent).to_vec()).unwrap(),
        "From: Alice <sip:alice@example.com>\r\n\
         To: <sip:bob@example.com>\r\n\
         DateTime: 2026-07-10T09:47:31Z\r\n\
         \r\n\
         Content-Type: text/plain; charset=UTF-8\r\n\
         \r\n\
         Hello"
    );
}

#[test]
fn plain_when_cpim_is_not_preferred_and_the_peer_takes_the_type() {
    let mut config = ChatConfig::new(alice());
    config.prefer_cpim = false;
    let mut chat = Chat::new(config);
    chat.session.start(chat_peer(), chat.now, WALL);
    chat.send(ChatMessage::text("plain"));
    let sent = chat.transmits().remove(0);
    assert_eq!(sent.message.content_type(), "text/plain");
    assert_eq!(body(&sent), b"plain");
}

#[test]
fn plain_to_a_peer_without_cpim() {
    let mut chat = Chat::started(plain_peer());
    chat.send(ChatMessage::text("plain"));
    assert_eq!(chat.transmits()[0].message.content_type(), "text/plain");
}

#[test]
fn what_needs_cpim_fails_at_once_without_it() {
    let mut chat = Chat::started(plain_peer());
    let carol = Address::new(None, "sip:carol@example.com").unwrap();
    let id = chat.send(ChatMessage::text("to carol").recipients([carol]));
    let image = chat.send(ChatMessage::new("image/png", vec![0x89, b'P']));
    assert!(chat.transmits().is_empty());
    let events = chat.events();
    assert!(
        matches!(&events[0], ChatEvent::NotDelivered { id: i, code: 0, reason } if *i == id && reason.contains("CPIM")),
        "{events:?}"
    );
    assert!(
        matches!(&events[1], ChatEvent::NotDelivered { id: i, code: 0, reason } if *i == image && reason.contains("image/png")),
        "{events:?}"
    );
}

#[test]
fn a_type_the_peer_takes_only_wrapped_goes_in_cpim_even_when_not_preferred() {
    let mut config = ChatConfig::new(alice());
    config.prefer_cpim = false;
    let mut chat = Chat::new(config);
    let mut peer = chat_peer();
    peer.accept_types = ranges(&["message/cpim"]);
    chat.session.start(peer, chat.now, WALL);
    chat.send(ChatMessage::text("inside"));
    let sent = chat.transmits().remove(0);
    assert_eq!(&cpim_of(&sent).content().body()[..], b"inside");
}

#[test]
fn a_private_message_needs_a_chat_room_that_takes_them() {
    let carol = Address::new(None, "sip:carol@example.com").unwrap();
    let mut room = chat_peer();
    room.chatroom = vec!["nickname".into()];
    let mut chat = Chat::started(room.clone());
    let id = chat.send(ChatMessage::text("psst").recipients([carol.clone()]));
    assert!(chat.transmits().is_empty());
    assert!(matches!(&chat.events()[0], ChatEvent::NotDelivered { id: i, .. } if *i == id));

    room.chatroom.push("private-messages".into());
    let mut chat = Chat::started(room);
    chat.send(ChatMessage::text("psst").recipients([carol.clone()]));
    let cpim = cpim_of(&chat.transmits()[0]);
    assert_eq!(cpim.to().collect::<Vec<_>>(), [&carol]);
}

// ---- receiving --------------------------------------------------------------

#[test]
fn a_plain_message_comes_from_the_peer_to_this_side() {
    let mut chat = Chat::started(chat_peer());
    chat.receive("text/plain; charset=utf-8", "Grüße".as_bytes());
    let [ChatEvent::MessageReceived(m)] = &chat.events()[..] else {
        panic!()
    };
    assert_eq!(
        (m.sender.clone(), m.recipients.clone()),
        (bob(), vec![alice()])
    );
    assert_eq!(m.text(), Some("Grüße"));
    assert!(!m.private);
}

#[test]
fn a_cpim_message_as_sipsimple_sends_it_is_unwrapped() {
    let mut chat = Chat::started(chat_peer());
    // LF line ends in the MIME part, the `utf8` label, an empty
    // Content-Transfer-Encoding (chat-files-desktop.md §1.3).
    let bytes = "From: Bob <sip:bob@example.com>\r\nTo: <sip:alice@example.com>\r\n\
                 DateTime: 2026-07-10T11:47:31.123456+02:00\r\n\r\n\
                 MIME-Version: 1.0\nContent-Type: text/plain; charset=\"utf8\"\n\
                 Content-Transfer-Encoding: \n\nHällo";
    chat.receive("message/cpim", bytes.as_bytes());
    let [ChatEvent::MessageReceived(m)] = &chat.events()[..] else {
        panic!()
    };
    assert_eq!(m.sender.display_name(), Some("Bob"));
    assert_eq!(m.timestamp.as_str(), "2026-07-10T11:47:31.123456+02:00");
    assert_eq!(m.text(), Some("Hällo"));
}

#[test]
fn a_private_message_from_a_chat_room_is_marked_so() {
    let mut room = chat_peer();
    room.identity = Address::new(None, "sip:room@conference.example.com").unwrap();
    room.chatroom = vec!["nickname".into(), "private-messages".into()];
    let mut chat = Chat::started(room);
    let bytes = b"From: Carol <sip:carol@example.com>\r\nTo: <sip:alice@example.com>\r\n\r\n\
                  Content-Type: text/plain\r\n\r\njust you";
    chat.receive("message/cpim", bytes);
    let [ChatEvent::MessageReceived(m)] = &chat.events()[..] else {
        panic!()
    };
    assert!(m.private);
}

#[test]
fn a_wrapped_type_this_side_does_not_take_is_refused() {
    let mut chat = Chat::started(chat_peer());
    let bytes = b"From: <sip:bob@example.com>\r\n\r\nContent-Type: application/zip\r\n\r\nPK";
    chat.receive("message/cpim", bytes);
    assert!(
        matches!(&chat.events()[..], [ChatEvent::Refused { reason }] if reason.contains("application/zip"))
    );
}

#[test]
fn an_unreadable_cpim_body_is_refused_not_a_panic() {
    let mut chat = Chat::started(chat_peer());
    chat.receive("message/cpim", b"\x00\xff garbage with no blank line");
    assert!(matches!(&chat.events()[..], [ChatEvent::Refused { .. }]));
}

// ---- isComposing (RFC 3994) ---------------------------------------------------

fn indication(t: &Transmit) -> IsComposing {
    let cpim = cpim_of(t);
    assert_eq!(
        cpim.content().media_type().as_deref(),
        Some(iscomposing::CONTENT_TYPE)
    );
    IsComposing::decode(cpim.content().body()).unwrap()
}

#[test]
fn typing_sends_active_then_idle_after_the_idle_timeout() {
    let mut chat = Chat::started(chat_peer());
    chat.session.handle_typing(chat.now, WALL);
    let sent = chat.transmits();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].id, None, "nobody waits for an indication's outcome");
    assert_eq!(
        sent[0].message.reports(),
        (SuccessReport::No, FailureReport::No)
    );
    assert_eq!(indication(&sent[0]).state, State::Active);
    assert!(imdn::requested(&cpim_of(&sent[0])).is_none());

    chat.advance(Duration::from_secs(14));
    assert!(chat.transmits().is_empty());
    chat.advance(Duration::from_secs(1));
    let idle = indication(&chat.transmits()[0]);
    assert_eq!(idle.state, State::Idle);
    assert_eq!(
        idle.last_active.map(|d| d.as_str().to_owned()).as_deref(),
        Some("2026-07-10T09:47:31Z"),
        "when the last key was pressed"
    );
}

#[test]
fn sending_the_message_ends_composing_without_an_idle_indication() {
    let mut chat = Chat::started(chat_peer());
    chat.session.handle_typing(chat.now, WALL);
    chat.transmits();
    chat.send(ChatMessage::text("done typing"));
    assert_eq!(chat.transmits().len(), 1, "the message only");
    chat.advance(Duration::from_secs(60));
    assert!(chat.transmits().is_empty());
}

#[test]
fn the_peers_composing_state_follows_its_indications_messages_and_timeout() {
    let mut chat = Chat::started(chat_peer());
    let active = IsComposing::new(State::Active).encode();
    chat.receive(iscomposing::CONTENT_TYPE, &active);
    assert!(
        matches!(&chat.events()[..], [ChatEvent::Composing { state: State::Active, sender, .. }] if *sender == bob())
    );
    // No refresh named: 120 s.
    chat.advance(Duration::from_secs(119));
    assert!(chat.events().is_empty());
    chat.advance(Duration::from_secs(1));
    assert!(matches!(
        &chat.events()[..],
        [ChatEvent::Composing {
            state: State::Idle,
            ..
        }]
    ));

    chat.receive(iscomposing::CONTENT_TYPE, &active);
    chat.events();
    chat.receive("text/plain", b"here it is");
    let events = chat.events();
    assert!(
        matches!(
            &events[0],
            ChatEvent::Composing {
                state: State::Idle,
                ..
            }
        ),
        "{events:?}"
    );
    assert!(matches!(&events[1], ChatEvent::MessageReceived(_)));
}

// ---- IMDN (RFC 5438) ----------------------------------------------------------

#[test]
fn a_message_can_ask_for_notifications_and_they_come_back_as_events() {
    let mut chat = Chat::started(chat_peer());
    let id = chat.send(
        ChatMessage::text("tell me")
            .notifications(Dispositions::parse("positive-delivery, display")),
    );
    let cpim = cpim_of(&chat.transmits()[0]);
    let request = imdn::requested(&cpim).expect("a request");
    assert_eq!(request.message_id(), id);

    // Bob's side answers: delivered.
    let answer = request
        .answer(
            Notification::Delivery(DeliveryStatus::Delivered),
            "bobsimdn1",
            cpim::DateTime::new(WALL).unwrap(),
        )
        .unwrap();
    chat.receive("message/cpim", &answer.encode());
    let events = chat.events();
    assert!(
        matches!(&events[..], [ChatEvent::Notification { id: i, notification: Notification::Delivery(DeliveryStatus::Delivered), .. }] if *i == id),
        "{events:?}"
    );
}

fn asking(dispositions: &str) -> Vec<u8> {
    format!(
        "From: <sip:bob@example.com>\r\nTo: <sip:alice@example.com>\r\n\
         DateTime: 2026-07-10T09:47:31Z\r\nNS: imdn <urn:ietf:params:imdn>\r\n\
         imdn.Message-ID: 34jk324j\r\nimdn.Disposition-Notification: {dispositions}\r\n\r\n\
         Content-Type: text/plain\r\n\r\nHello"
    )
    .into_bytes()
}

#[test]
fn a_delivery_request_is_answered_at_once_and_a_display_request_when_displayed() {
    let mut chat = Chat::started(chat_peer());
    chat.receive("message/cpim", &asking("positive-delivery, display"));
    let [ChatEvent::MessageReceived(m)] = &chat.events()[..] else {
        panic!()
    };
    assert_eq!(m.imdn_message_id.as_deref(), Some("34jk324j"));
    let sent = chat.transmits();
    assert_eq!(sent.len(), 1);
    let notice = cpim_of(&sent[0]);
    assert_eq!(notice.content().content_disposition(), Some("notification"));
    let doc = imdn::Document::decode(notice.content().body()).unwrap();
    assert_eq!(doc.message_id, "34jk324j");
    assert_eq!(
        doc.notification,
        Some(Notification::Delivery(DeliveryStatus::Delivered))
    );
    assert!(
        imdn::requested(&notice).is_none(),
        "a notification asks for none"
    );

    chat.session.mark_displayed("34jk324j", WALL);
    let doc = imdn::Document::decode(cpim_of(&chat.transmits()[0]).content().body()).unwrap();
    assert_eq!(
        doc.notification,
        Some(Notification::Display(DisplayStatus::Displayed))
    );
    // Once only.
    chat.session.mark_displayed("34jk324j", WALL);
    assert!(chat.transmits().is_empty());
}

#[test]
fn no_notification_goes_to_a_peer_that_does_not_take_them() {
    let mut peer = chat_peer();
    peer.accept_wrapped_types = ranges(&["text/*"]); // sipsimple's stream
    let mut chat = Chat::started(peer);
    chat.receive("message/cpim", &asking("positive-delivery"));
    assert!(chat.transmits().is_empty());
}
