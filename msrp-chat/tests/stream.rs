//! Chat streams on real MSRP sessions over loopback, on tokio and on smol:
//! offer and answer, start, messages both ways with their delivery,
//! isComposing, a message in many chunks with a character split between
//! them, a message over the size limit, the end.

use std::future::Future;
use std::time::Duration;

use msrp_chat::chat::{ChatConfig, ChatEvent, ChatMessage};
use msrp_chat::cpim::Address;
use msrp_chat::iscomposing::State;
use msrp_chat::stream::{Chat, ChatStream};
use msrp_endpoint::{EndpointConfig, Runtime, timeout};

const WAIT: Duration = Duration::from_secs(20);

fn alice_id() -> Address {
    Address::new(Some("Alice"), "sip:alice@example.com").unwrap()
}

fn bob_id() -> Address {
    Address::new(Some("Bob"), "sip:bob@example.com").unwrap()
}

/// Alice offers, Bob answers, both start: the two running chats.
async fn pair<R: Runtime>(
    rt: &R,
    alice_endpoint: EndpointConfig,
    bob_chat: ChatConfig,
) -> (Chat, Chat) {
    let mut alice_stream = ChatStream::new(
        rt.clone(),
        ChatConfig::new(alice_id()),
        alice_endpoint,
        None,
    );
    let mut bob_stream = ChatStream::new(rt.clone(), bob_chat, EndpointConfig::default(), None);
    let offer = alice_stream.offer().await.expect("offer");
    let answer = bob_stream.answer(&offer).await.expect("answer");
    let (a, b) = futures_util::future::join(
        alice_stream.start(&answer, bob_id()),
        bob_stream.start(&offer, alice_id()),
    )
    .await;
    (a.expect("alice starts"), b.expect("bob starts"))
}

/// The next event that `want` picks out, skipping others, within [`WAIT`].
async fn wait_for<R: Runtime, T>(
    rt: &R,
    chat: &mut Chat,
    what: &str,
    mut want: impl FnMut(&ChatEvent) -> Option<T>,
) -> T {
    let found = timeout(rt, WAIT, async {
        while let Some(event) = chat.next_event().await {
            if let Some(found) = want(&event) {
                return Some(found);
            }
        }
        None
    })
    .await;
    found
        .unwrap_or_else(|| panic!("timed out waiting for {what}"))
        .unwrap_or_else(|| panic!("the chat ended before {what}"))
}

async fn scenario<R: Runtime>(rt: R) {
    // Chunks of 7 bytes: every character of the text below that takes more
    // than one byte is split somewhere (sipsimple fails on that).
    let mut small_chunks = EndpointConfig::default();
    small_chunks.protocol.chunk_size = 7;
    let mut bob_config = ChatConfig::new(bob_id());
    bob_config.max_message_size = 4096;
    let (mut alice, mut bob) = pair(&rt, small_chunks, bob_config).await;
    for chat in [&mut alice, &mut bob] {
        wait_for(&rt, chat, "the start", |e| {
            matches!(e, ChatEvent::Started).then_some(())
        })
        .await;
    }

    let text = "Grüße aus Köln — ☕ and 🦀 for everyone";
    let id = alice
        .send_message(ChatMessage::text(text))
        .await
        .expect("send");
    let received = wait_for(&rt, &mut bob, "the message", |e| match e {
        ChatEvent::MessageReceived(m) => Some(m.clone()),
        _ => None,
    })
    .await;
    assert_eq!(received.text(), Some(text));
    assert_eq!(received.sender, alice_id());
    assert!(received.id.is_some(), "the MSRP Message-ID comes along");
    // Each side knows the other's path: its own, seen from across.
    assert_eq!(alice.remote_path(), bob.local_path());
    assert_eq!(bob.remote_path(), alice.local_path());
    let delivered = wait_for(&rt, &mut alice, "its delivery", |e| match e {
        ChatEvent::Delivered { id } => Some(id.clone()),
        ChatEvent::NotDelivered { reason, .. } => panic!("not delivered: {reason}"),
        _ => None,
    })
    .await;
    assert_eq!(delivered, id);

    // Typing shows on the other side.
    bob.typing();
    let state = wait_for(&rt, &mut alice, "Bob typing", |e| match e {
        ChatEvent::Composing { state, sender, .. } if *sender == bob_id() => Some(*state),
        _ => None,
    })
    .await;
    assert_eq!(state, State::Active);
    bob.send_message(ChatMessage::text("hi"))
        .await
        .expect("send");
    let idle = wait_for(&rt, &mut alice, "Bob idle with his message", |e| match e {
        ChatEvent::Composing {
            state: State::Idle, ..
        } => Some(true),
        ChatEvent::MessageReceived(_) => Some(false),
        _ => None,
    })
    .await;
    assert!(idle, "idle comes before the message");

    // Over Bob's limit: refused (413), and Alice is told.
    let big = ChatMessage::text(&"x".repeat(5000));
    let big_id = alice.send_message(big).await.expect("send");
    let (code, failed) = wait_for(&rt, &mut alice, "the refusal", |e| match e {
        ChatEvent::NotDelivered { id, code, .. } => Some((*code, id.clone())),
        ChatEvent::Delivered { .. } => panic!("a message over the limit was delivered"),
        _ => None,
    })
    .await;
    assert_eq!((code, failed), (413, big_id));

    // Many more messages than the event queue holds, sent without reading
    // events in between: sending never waits on the chat's task.
    let ids: Vec<_> = futures_util::future::join_all(
        (0..200).map(|i| alice.send_message(ChatMessage::text(&format!("burst {i}")))),
    )
    .await
    .into_iter()
    .map(|id| id.expect("queued"))
    .collect();
    let mut delivered = 0;
    while delivered < ids.len() {
        wait_for(&rt, &mut alice, "the burst's deliveries", |e| match e {
            ChatEvent::Delivered { id } if ids.contains(id) => Some(()),
            ChatEvent::NotDelivered { reason, .. } => panic!("not delivered: {reason}"),
            _ => None,
        })
        .await;
        delivered += 1;
    }

    // Bob is a participant, not a chat room: NICKNAME is not his to grant
    // (RFC 7701), and Alice is told so.
    match timeout(&rt, WAIT, alice.set_nickname("alice")).await {
        Some(Err(msrp_endpoint::Error::Refused { code, .. })) => assert_eq!(code, 501),
        other => panic!("expected a refusal, got {other:?}"),
    }

    let rest = alice.end().await;
    assert!(
        matches!(rest.last(), Some(ChatEvent::Ended { .. })),
        "{rest:?}"
    );
    wait_for(&rt, &mut bob, "the end", |e| {
        matches!(e, ChatEvent::Ended { .. }).then_some(())
    })
    .await;
}

fn on_tokio<F: Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
        .block_on(f)
}

#[test]
fn a_chat_on_tokio() {
    on_tokio(scenario(msrp_tokio::Tokio));
}

#[test]
fn a_chat_on_smol() {
    smol::block_on(scenario(msrp_async_std::AsyncIo::smol()));
}
