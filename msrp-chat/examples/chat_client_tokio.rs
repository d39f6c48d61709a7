//! A chat client on tokio: calls the path given as arguments (what the
//! server example or `msrp chat --listen` prints), sends each line of
//! standard input as a message and prints what comes back. The end of
//! input ends the chat.
//!
//! ```text
//! cargo run -p msrp-chat --example chat_server_tokio
//! cargo run -p msrp-chat --example chat_client_tokio -- 'msrp://127.0.0.1:40123/…;tcp'
//! ```
//!
//! Plain `msrp://` paths only: for `msrps://`, set
//! `EndpointConfig::tls_client` to the certificates to trust.

use msrp_chat::chat::{ChatConfig, ChatEvent, ChatMessage};
use msrp_chat::cpim::Address;
use msrp_chat::stream::ChatStream;
use msrp_tokio::msrp_proto::MsrpUri;
use msrp_tokio::{EndpointConfig, Tokio};
use tokio::io::{AsyncBufReadExt, BufReader};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The path as one quoted argument or as several.
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = args
        .iter()
        .flat_map(|a| a.split_whitespace())
        .map(str::parse)
        .collect::<Result<Vec<MsrpUri>, _>>()?;
    if path.is_empty() {
        return Err("give the server's path: chat_client_tokio 'msrp://HOST:PORT/ID;tcp'".into());
    }
    let me = Address::new(Some("Client"), "sip:client@localhost")?;
    let stream = ChatStream::new(Tokio, ChatConfig::new(me), EndpointConfig::default(), None);
    let server = Address::new(None, "sip:server@localhost")?;
    let mut chat = stream.start_to(&path, server).await?;
    println!("connected; type lines to send them");

    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    loop {
        tokio::select! {
            line = lines.next_line() => match line? {
                Some(line) if line.is_empty() => {}
                Some(line) => {
                    chat.send_message(ChatMessage::text(&line)).await?;
                }
                None => break,
            },
            event = chat.next_event() => match event {
                Some(ChatEvent::MessageReceived(message)) => {
                    println!("{}: {}", message.sender, message.text().unwrap_or("(not text)"));
                }
                Some(ChatEvent::Delivered { id }) => println!("({id} delivered)"),
                Some(ChatEvent::NotDelivered { id, code, reason }) => {
                    println!("({id} not delivered: {code} {reason})");
                }
                Some(ChatEvent::Ended { reason }) => {
                    println!("ended: {}", reason.as_deref().unwrap_or("by this side"));
                    return Ok(());
                }
                Some(_) => {}
                None => return Ok(()),
            },
        }
    }
    // Outcomes of what was sent come before the end.
    for event in chat.end().await {
        if let ChatEvent::Delivered { id } = event {
            println!("({id} delivered)");
        }
    }
    Ok(())
}
