//! Both ends of a chat in one process on smol, over loopback, without SIP:
//! Alice listens, Bob calls the path she got; Bob types and writes, Alice
//! answers, Bob leaves.
//!
//! ```text
//! cargo run -p msrp-chat --example chat_smol
//! ```

use futures_util::future::join;
use msrp_async_std::{AsyncIo, EndpointConfig};
use msrp_chat::chat::{ChatConfig, ChatEvent, ChatMessage};
use msrp_chat::cpim::Address;
use msrp_chat::iscomposing::State;
use msrp_chat::stream::{Chat, ChatStream};

/// The next event `pick` wants, skipping the others.
async fn next<T>(chat: &mut Chat, mut pick: impl FnMut(ChatEvent) -> Option<T>) -> Option<T> {
    while let Some(event) = chat.next_event().await {
        if let Some(found) = pick(event) {
            return Some(found);
        }
    }
    None
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    smol::block_on(async {
        let rt = AsyncIo::smol();
        let alice_id = Address::new(Some("Alice"), "sip:alice@example.com")?;
        let bob_id = Address::new(Some("Bob"), "sip:bob@example.com")?;

        let mut alice = ChatStream::new(
            rt.clone(),
            ChatConfig::new(alice_id.clone()),
            EndpointConfig::default(),
            None,
        )
        .listen_on("127.0.0.1:0".parse()?);
        let alice_path = alice.listen().await?; // what Bob must call
        let bob = ChatStream::new(
            rt.clone(),
            ChatConfig::new(bob_id.clone()),
            EndpointConfig::default(),
            None,
        );
        let (alice, bob) = join(alice.start_any(bob_id), bob.start_to(&alice_path, alice_id)).await;
        let (mut alice, mut bob) = (alice?, bob?);

        bob.typing();
        let typing = next(&mut alice, |e| match e {
            ChatEvent::Composing { sender, state, .. } => Some((sender, state)),
            _ => None,
        })
        .await;
        if let Some((sender, State::Active)) = typing {
            println!("{sender} is typing…");
        }

        let id = bob.send_message(ChatMessage::text("Hi Alice!")).await?;
        let hello = next(&mut alice, |e| match e {
            ChatEvent::MessageReceived(m) => Some(m),
            _ => None,
        })
        .await
        .ok_or("Alice got no message")?;
        println!("{}: {}", hello.sender, hello.text().unwrap_or(""));
        let delivered = next(&mut bob, |e| match e {
            ChatEvent::Delivered { id } => Some(id),
            _ => None,
        })
        .await;
        assert_eq!(delivered, Some(id));

        alice
            .send_message(ChatMessage::text("Hello Bob, good to hear from you"))
            .await?;
        let answer = next(&mut bob, |e| match e {
            ChatEvent::MessageReceived(m) => Some(m),
            _ => None,
        })
        .await
        .ok_or("Bob got no answer")?;
        println!("{}: {}", answer.sender, answer.text().unwrap_or(""));

        // Bob leaves: his session closes, and Alice's chat ends with it.
        bob.end().await;
        let ended = next(&mut alice, |e| match e {
            ChatEvent::Ended { reason } => Some(reason),
            _ => None,
        })
        .await;
        println!("Alice's chat ended: {:?}", ended.flatten());
        Ok(())
    })
}
