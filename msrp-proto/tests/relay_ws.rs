//! The relay toward WebSocket clients (RFC 7977), in virtual time: their
//! relay URI is the one of the relay's TLS listener, what comes for them
//! goes over their own connection, one whole chunk per message within the
//! message limit, however large the chunk the sender wrote (a 64 MiB single
//! chunk from a TCP sender is re-chunked, streamed, in bounded memory).

mod relay_support;

use msrp_proto::relay::{Listener, RelayConfig};
use msrp_proto::sim::relay::RelayNet;
use msrp_proto::wire::{Chunk, Continuation};
use relay_support::*;
use sha2::{Digest, Sha256};

/// The relay's `wss` listener, whose clients get URIs of [`TLS`].
const WSS: Listener = Listener::websocket(true, 443, TLS);

/// A WebSocket client's own URI (RFC 7977 Appendix A form).
const ALICE_WS: &str = "msrps://df7jal23ls0d.invalid:2855/alicews0001;ws";

fn ws_net(config: RelayConfig) -> RelayNet {
    let mut net = net_with(config);
    net.relay.add_listener(WSS);
    net
}

/// Alice over WebSocket, Bob over TCP, each with a relay URI: (alice, bob,
/// alice's relay URI, bob's relay URI).
fn two_clients(net: &mut RelayNet) -> (usize, usize, String, String) {
    let a = net.connect_raw(WSS);
    let b = net.connect_raw(TCP);
    let alice = raw_grant(net, a, "alice", ALICE_WS, None);
    let bob = raw_grant(net, b, "bob", BOB, None);
    (a, b, alice.to_string(), bob.to_string())
}

/// The head of a SEND from Bob to Alice through both relay URIs.
fn send_head(tid: &str, alice: &str, bob: &str, range: &str, extra: &str) -> String {
    format!(
        "MSRP {tid} SEND\r\nTo-Path: {bob} {alice} {ALICE_WS}\r\nFrom-Path: {BOB}\r\n\
         Message-ID: big0001\r\n{extra}Byte-Range: {range}\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
}

#[test]
fn a_websocket_client_gets_the_tls_listeners_uri_and_its_traffic() {
    let mut net = ws_net(config());
    let (a, b, alice, bob) = two_clients(&mut net);
    // RFC 7977 §8.1: the Use-Path of a WebSocket client names the relay's
    // TCP/TLS listener, not the WebSocket one.
    assert!(
        alice.starts_with("msrps://relay.example.com:2856/") && alice.ends_with(";tcp"),
        "{alice}"
    );
    // Bob's SEND for Alice goes over her WebSocket connection, as one
    // message; her 200 goes back to the relay, which answered Bob already.
    let mut send = send_head("bob00001", &alice, &bob, "1-5/5", "").into_bytes();
    send.extend_from_slice(b"hello\r\n-------bob00001$\r\n");
    net.send_raw(b, &send);
    let got = next_chunk(&mut net, a);
    assert_eq!(got.body().map(|b| &b[..]), Some(&b"hello"[..]));
    assert_eq!(got.head().to_path().to_string(), ALICE_WS);
    // The 401 and the 200 of her AUTH, then this chunk: a message each.
    assert_eq!(
        got.head().from_path().to_string(),
        format!("{alice} {bob} {BOB}")
    );
    assert_eq!(net.peers[a].raw().messages, 3);
    let ok = next_chunk(&mut net, b);
    assert_eq!(ok.head().response_code(), Some(200));
    raw_answer(&mut net, a, &got, 200);
    // And back: Alice's SEND over WebSocket reaches Bob over TCP.
    let back = format!(
        "MSRP alice001 SEND\r\nTo-Path: {alice} {bob} {BOB}\r\nFrom-Path: {ALICE_WS}\r\n\
         Message-ID: back0001\r\nByte-Range: 1-4/4\r\nContent-Type: text/plain\r\n\r\n\
         back\r\n-------alice001$\r\n"
    );
    net.send_raw(a, back.as_bytes());
    let got = next_chunk(&mut net, b);
    assert_eq!(got.body().map(|b| &b[..]), Some(&b"back"[..]));
    assert_eq!(got.head().to_path().to_string(), BOB);
    let ok = next_chunk(&mut net, a);
    assert_eq!(ok.head().response_code(), Some(200));
    assert_eq!(net.peers[a].raw().messages, 4);
}

/// 64 MiB in ONE chunk from a TCP sender: the WebSocket client gets it in
/// chunks of at most the message limit (16 320 bytes, each one message),
/// every one but the last ending with `+`, their Byte-Ranges following
/// each other, the bytes intact; the relay holds no more than its queue
/// bound and the windows meanwhile.
#[test]
fn a_64mib_single_chunk_is_rechunked_for_a_websocket_client() {
    const SIZE: usize = 64 << 20;
    const PIECE: usize = 256 << 10;
    let mut net = ws_net(config());
    let (a, b, alice, bob) = two_clients(&mut net);
    let limit = net.relay.config().max_ws_chunk;
    let auth_messages = net.peers[a].raw().messages;
    let pattern = |at: usize| (at * 7 % 251) as u8;
    let mut sent = Sha256::new();
    let mut received = Sha256::new();
    net.send_raw(
        b,
        send_head("huge0001", &alice, &bob, &format!("1-{SIZE}/{SIZE}"), "").as_bytes(),
    );
    let mut offset = 0;
    let mut next = 1u64;
    let mut parts = 0u64;
    let mut last: Option<Continuation> = None;
    let mut ok_for_bob = false;
    let done = net.drive_until(|net| {
        // The sender writes as the relay reads.
        while offset < SIZE && net.peers[b].queued_to_relay() < 2 * PIECE {
            let n = PIECE.min(SIZE - offset);
            let piece: Vec<u8> = (offset..offset + n).map(pattern).collect();
            sent.update(&piece);
            net.send_raw(b, &piece);
            offset += n;
            if offset == SIZE {
                net.send_raw(b, b"\r\n-------huge0001$\r\n");
            }
        }
        for chunk in net.peers[a].raw().take() {
            let head = chunk.head();
            let range = head.byte_range().expect("a Byte-Range");
            assert_eq!(range.start, next, "part {parts} continues at the next byte");
            assert_eq!(range.total, Some(SIZE as u64));
            assert_eq!(head.message_id(), Some("big0001"));
            let body = chunk.body().map_or(&[][..], |b| &b[..]);
            received.update(body);
            next += body.len() as u64;
            parts += 1;
            assert!(
                last != Some(Continuation::Complete),
                "nothing after the last part"
            );
            last = Some(chunk.continuation());
            raw_answer(net, a, &chunk, 200);
        }
        for chunk in net.peers[b].raw().take() {
            assert_eq!(chunk.head().response_code(), Some(200), "{chunk:?}");
            ok_for_bob = true;
        }
        last == Some(Continuation::Complete) && ok_for_bob
    });
    assert!(
        done,
        "the whole chunk went through ({} of {SIZE} bytes)",
        next - 1
    );
    assert_eq!(next - 1, SIZE as u64);
    assert_eq!(
        hex::encode(received.finalize()),
        hex::encode(sent.finalize()),
        "SHA-256"
    );
    let raw = net.peers[a].raw();
    assert_eq!(raw.messages - auth_messages, parts, "one message per chunk");
    assert!(raw.largest_message <= limit, "{}", raw.largest_message);
    assert!(
        raw.largest_message > limit - 64,
        "parts are full: {}",
        raw.largest_message
    );
    assert!(parts >= (SIZE / limit) as u64, "{parts} parts");
    let bound = net.relay.config().max_queued_bytes + 2 * net.window;
    assert!(
        net.peak_held <= bound,
        "held {} bytes at most (bound {bound})",
        net.peak_held
    );
    // Every part was answered: no transaction left behind.
    assert!(
        net.take_events()
            .iter()
            .all(|e| !matches!(e, msrp_proto::relay::RelayEvent::Reported { .. }))
    );
}

/// A SEND whose head alone would leave no useful room in a WebSocket
/// message is refused with 413 (not written in pieces of a few bytes, nor
/// as an oversize message); so is another request too large for one.
#[test]
fn requests_that_cannot_fit_a_websocket_message_get_413() {
    let mut config = config();
    config.max_ws_chunk = 4096;
    let mut net = ws_net(config);
    let (a, b, alice, bob) = two_clients(&mut net);
    let filler = format!("X-Padding: {}\r\n", "p".repeat(3500));
    let mut send = send_head("pad00001", &alice, &bob, "1-2/2", &filler).into_bytes();
    send.extend_from_slice(b"hi\r\n-------pad00001$\r\n");
    net.send_raw(b, &send);
    let answer = next_chunk(&mut net, b);
    assert_eq!(answer.head().response_code(), Some(413), "{answer:?}");
    // A NICKNAME-like request whose body does not fit either.
    let other = format!(
        "MSRP oth00001 OTHER\r\nTo-Path: {bob} {alice} {ALICE_WS}\r\nFrom-Path: {BOB}\r\n\
         Content-Type: text/plain\r\n\r\n{}\r\n-------oth00001$\r\n",
        "b".repeat(5000)
    );
    net.send_raw(b, other.as_bytes());
    let answer = next_chunk(&mut net, b);
    assert_eq!(answer.head().response_code(), Some(413), "{answer:?}");
    let at_alice: Vec<Chunk> = settle(&mut net, a, std::time::Duration::from_secs(1));
    assert!(at_alice.is_empty(), "{at_alice:?}");
    // A small one still goes.
    let mut send = send_head("small001", &alice, &bob, "1-2/2", "").into_bytes();
    send.extend_from_slice(b"ok\r\n-------small001$\r\n");
    net.send_raw(b, &send);
    assert_eq!(
        next_chunk(&mut net, a).body().map(|b| &b[..]),
        Some(&b"ok"[..])
    );
}
