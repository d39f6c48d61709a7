//! What a chat costs.
//!
//! - `sans_io/cpim_message`: one text message from Alice's [`ChatSession`]
//!   to Bob's: wrapped in Message/CPIM, encoded, decoded, unwrapped into a
//!   `MessageReceived` (no transport). Per message.
//! - `loopback/round_trip`: Alice's [`Chat`] on tokio sends a message to
//!   Bob's over a real TCP connection on 127.0.0.1 and waits until it is
//!   delivered (Bob's success REPORT back): the latency a user sees.
//! - `loopback/1000_messages`: 1000 messages sent at once on one session,
//!   until all are delivered: messages per second on one session.
//!
//! ```text
//! cargo bench -p msrp-chat --bench chat
//! ```

use std::hint::black_box;
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{Criterion, Throughput};
use msrp_chat::chat::{ChatConfig, ChatEvent, ChatMessage, ChatSession, Peer};
use msrp_chat::cpim::Address;
use msrp_chat::sdp::Capabilities;
use msrp_chat::stream::{Chat, ChatStream};
use msrp_endpoint::EndpointConfig;
use time::OffsetDateTime;

fn identity(user: &str) -> Address {
    Address::new(None, &format!("sip:{user}@example.com")).expect("an address")
}

fn peer(user: &str) -> Peer {
    let caps = Capabilities::chat();
    Peer {
        identity: identity(user),
        accept_types: caps.accept_types,
        accept_wrapped_types: caps.accept_wrapped_types.unwrap_or_default(),
        chatroom: vec![],
    }
}

fn sans_io(c: &mut Criterion) {
    let (now, wall) = (Instant::now(), OffsetDateTime::UNIX_EPOCH);
    let mut alice = ChatSession::new(ChatConfig::new(identity("alice")), [1; 32]);
    let mut bob = ChatSession::new(ChatConfig::new(identity("bob")), [2; 32]);
    alice.start(peer("bob"), now, wall);
    bob.start(peer("alice"), now, wall);
    while alice.poll_event().is_some() || bob.poll_event().is_some() {}
    let mut group = c.benchmark_group("sans_io");
    group.throughput(Throughput::Elements(1));
    group.bench_function("cpim_message", |b| {
        b.iter(|| {
            let id = alice
                .send_message(ChatMessage::text("Hello, how are you today?"), now, wall)
                .expect("sent");
            let transmit = alice.poll_transmit().expect("a transmit");
            let body = transmit
                .message
                .body_bytes()
                .cloned()
                .unwrap_or_else(Bytes::new);
            bob.handle_received(transmit.message.content_type(), body, now, wall);
            let received = bob.poll_event();
            alice.handle_outcome(&id, msrp_proto::connection::Outcome::Delivered);
            black_box((alice.poll_event(), received))
        });
    });
    group.finish();
}

async fn pair() -> (Chat, Chat) {
    let rt = msrp_tokio::Tokio;
    let mut a = ChatStream::new(
        rt,
        ChatConfig::new(identity("alice")),
        EndpointConfig::default(),
        None,
    );
    let mut b = ChatStream::new(
        rt,
        ChatConfig::new(identity("bob")),
        EndpointConfig::default(),
        None,
    );
    let offer = a.offer().await.expect("offer");
    let answer = b.answer(&offer).await.expect("answer");
    let (alice, bob) = tokio::join!(
        a.start(&answer, identity("bob")),
        b.start(&offer, identity("alice"))
    );
    (alice.expect("alice"), bob.expect("bob"))
}

/// Sends `n` messages at once and waits until all are delivered.
async fn send_and_confirm(alice: &mut Chat, n: usize) {
    for i in 0..n {
        alice
            .send_message(ChatMessage::text(&format!("message {i}")))
            .await
            .expect("send");
    }
    let mut delivered = 0;
    while delivered < n {
        match alice.next_event().await {
            Some(ChatEvent::Delivered { .. }) => delivered += 1,
            Some(ChatEvent::NotDelivered { reason, .. }) => panic!("not delivered: {reason}"),
            Some(_) => {}
            None => panic!("the chat ended"),
        }
    }
}

fn loopback(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let (mut alice, mut bob) = runtime.block_on(pair());
    // Bob's side is read in the background, as an application would.
    runtime.spawn(async move { while bob.next_event().await.is_some() {} });
    let mut group = c.benchmark_group("loopback");
    group.measurement_time(Duration::from_secs(10));
    group.throughput(Throughput::Elements(1));
    group.bench_function("round_trip", |b| {
        b.iter_custom(|iters| {
            runtime.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    send_and_confirm(&mut alice, 1).await;
                }
                start.elapsed()
            })
        });
    });
    group.throughput(Throughput::Elements(1000));
    group.sample_size(10);
    group.bench_function("1000_messages", |b| {
        b.iter_custom(|iters| {
            runtime.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    send_and_confirm(&mut alice, 1000).await;
                }
                start.elapsed()
            })
        });
    });
    group.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    sans_io(&mut c);
    loopback(&mut c);
    c.final_summary();
}
