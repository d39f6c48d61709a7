//! A chat server on tokio that answers any peer and echoes its messages
//! back, without SIP: `ChatStream::listen` gives the path to call, and
//! `start_any` waits for whoever binds it.
//!
//! Run it (the address is optional, `127.0.0.1:0` picks a free port), then
//! call the path it prints with the client example or with `msrp chat`:
//!
//! ```text
//! cargo run -p msrp-chat --example chat_server_tokio -- 127.0.0.1:2855
//! cargo run -p msrp-chat --example chat_client_tokio -- 'msrp://127.0.0.1:2855/…;tcp'
//! msrp chat --to-path 'msrp://127.0.0.1:2855/…;tcp' --name Bob
//! ```
//!
//! One peer at a time; after each chat it prints a fresh path and waits
//! for the next.

use std::net::SocketAddr;
use std::time::Duration;

use msrp_chat::chat::{ChatConfig, ChatEvent, ChatMessage};
use msrp_chat::cpim::Address;
use msrp_chat::sdp::MediaRange;
use msrp_chat::stream::ChatStream;
use msrp_tokio::{EndpointConfig, Tokio};

/// What `msrp chat` sends when it leaves (there is no SIP BYE here).
const CHAT_END: &str = "application/x-msrp-chat-end";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr: SocketAddr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:0".into())
        .parse()?;
    let me = Address::new(Some("Echo"), "sip:echo@localhost")?;
    let mut config = ChatConfig::new(me);
    // Take (and echo) anything, as `msrp chat` does.
    config.capabilities.accept_types.push(MediaRange::any());
    if let Some(wrapped) = config.capabilities.accept_wrapped_types.as_mut() {
        wrapped.push(MediaRange::any());
    }
    let mut endpoint = EndpointConfig::default();
    endpoint.bind_timeout = Duration::from_secs(3600);
    loop {
        let mut stream =
            ChatStream::new(Tokio, config.clone(), endpoint.clone(), None).listen_on(addr);
        let path = stream.listen().await?;
        let path: Vec<String> = path.iter().map(ToString::to_string).collect();
        println!("{}", path.join(" "));
        let peer = Address::new(None, "sip:peer@localhost")?;
        let mut chat = match stream.start_any(peer).await {
            Ok(chat) => chat,
            Err(err) => {
                eprintln!("no chat: {err}");
                continue;
            }
        };
        while let Some(event) = chat.next_event().await {
            match event {
                ChatEvent::MessageReceived(message) if message.content_type == CHAT_END => {
                    println!("{} left", message.sender);
                    chat.end().await;
                    break;
                }
                ChatEvent::MessageReceived(message) => {
                    let text = message.text().unwrap_or("(not text)");
                    println!("{}: {text}", message.sender);
                    let echo = ChatMessage::new(message.content_type.clone(), message.body);
                    if let Err(err) = chat.send_message(echo).await {
                        eprintln!("cannot echo: {err}");
                    }
                }
                ChatEvent::Ended { reason } => {
                    println!("ended: {}", reason.as_deref().unwrap_or("by this side"));
                    break;
                }
                _ => {}
            }
        }
    }
}
