//! Sessions through relays (RFC 4976 §5.1): the To-Path a sender uses is
//! its own relays, then the peer's path; chunks are cut to the relay size
//! whenever a relay is on either side, since relays cap the frames they
//! forward (Kamailio drops frames over about 11 KB).

mod common;

use common::*;
use msrp_proto::connection::{Config, OutgoingMessage, SessionConfig};

const RELAY_A: &str = "msrps://127.0.0.1:2856/relaya1;tcp";
const RELAY_B: &str = "msrps://127.0.0.1:2856/relayb1;tcp";

fn config() -> Config {
    let mut config = Config::default();
    config.chunk_size = 64 * 1024;
    config.relay_chunk_size = 10240;
    config
}

/// Opens Alice's session with `session`, answers its bind, sends a 100 KB
/// message and returns the body sizes of its chunks and their To-Path.
fn chunks_sent(session: SessionConfig) -> (Vec<usize>, String) {
    let mut alice = Solo::new(config(), [3; 32]);
    let handle = alice.conn.open_session(session).unwrap();
    let bind = alice.transmit().remove(0);
    alice.feed(&response_to(&bind.head, 200));
    assert!(alice.conn.is_bound(handle));
    let message = OutgoingMessage::new("application/octet-stream").body(vec![1u8; 100_000]);
    alice.conn.send_message(handle, message).unwrap();
    let sends = alice.transmit();
    let to_path = sends[0].head.to_path().to_string();
    (sends.iter().map(|s| s.body.len()).collect(), to_path)
}

fn largest(sizes: &[usize]) -> usize {
    sizes.iter().copied().max().unwrap_or(0)
}

#[test]
fn a_direct_session_uses_the_direct_chunk_size() {
    let (sizes, to) = chunks_sent(SessionConfig::new(uri(ALICE)).remote_path(uri(BOB).into()));
    assert_eq!(largest(&sizes), 64 * 1024);
    assert_eq!(to, BOB);
}

#[test]
fn behind_a_relay_chunks_are_relay_sized_and_go_through_it() {
    let session = SessionConfig::new(uri(ALICE))
        .local_relays([uri(RELAY_A)])
        .remote_path(uri(BOB).into());
    let (sizes, to) = chunks_sent(session);
    assert_eq!(largest(&sizes), 10240);
    assert_eq!(to, format!("{RELAY_A} {BOB}"), "§5.1: own relays first");
}

/// The peer's path names its relay: this side has none, and still must not
/// send frames the peer's relay drops.
#[test]
fn a_peer_behind_a_relay_gets_relay_sized_chunks() {
    let remote = msrp_proto::Path::new(vec![uri(RELAY_B), uri(BOB)]).unwrap();
    let (sizes, to) = chunks_sent(SessionConfig::new(uri(ALICE)).remote_path(remote));
    assert_eq!(largest(&sizes), 10240);
    assert_eq!(to, format!("{RELAY_B} {BOB}"));
}

#[test]
fn a_chunk_size_set_for_the_session_wins() {
    let remote = msrp_proto::Path::new(vec![uri(RELAY_B), uri(BOB)]).unwrap();
    let session = SessionConfig::new(uri(ALICE))
        .remote_path(remote)
        .chunk_size(4096);
    let (sizes, _) = chunks_sent(session);
    assert_eq!(largest(&sizes), 4096);
}

/// The answering side learns the peer's path from its first request: a
/// From-Path of a relay and the peer makes its chunks relay-sized.
#[test]
fn a_path_learnt_from_a_relayed_peer_makes_chunks_relay_sized() {
    let mut bob = Solo::new(config(), [4; 32]);
    let handle = bob
        .conn
        .expect_session(SessionConfig::new(uri(BOB)))
        .unwrap();
    let from = format!("{RELAY_A} {ALICE}");
    bob.feed(
        &RawSend::bodiless("bind0001", "bind0001")
            .from(&from)
            .bytes(),
    );
    assert!(bob.conn.is_bound(handle));
    bob.transmit();
    let message = OutgoingMessage::new("application/octet-stream").body(vec![2u8; 50_000]);
    bob.conn.send_message(handle, message).unwrap();
    let sends = bob.transmit();
    let sizes: Vec<usize> = sends.iter().map(|s| s.body.len()).collect();
    assert_eq!(largest(&sizes), 10240);
    assert_eq!(sends[0].head.to_path().to_string(), from);
}
