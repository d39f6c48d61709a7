//! `msrp chat` through the real Kamailio relay that `scripts/test` runs on
//! 127.0.0.1 (its `MSRP_TEST_RELAY_*` variables say where): both sides
//! behind it (TLS), only the calling side, only the answering side (TCP).

mod common;

use common::chat::{Person, conversation};
use common::relay;

#[test]
fn both_sides_behind_the_relay_over_tls() {
    let relay = relay();
    let env = [("MSRP_RELAY_PASSWORD", relay.password.as_str())];
    let alice = Person::start(
        "Alice",
        &[
            "--relay",
            &relay.tls,
            "--relay-user",
            &relay.user2,
            "--relay-ca",
            &relay.ca,
        ],
        &env,
    );
    let uris = common::words(&alice.path);
    assert_eq!(uris.len(), 2, "the relay, then Alice: {}", alice.path);
    assert!(uris[0].starts_with("msrps://"), "{}", alice.path);
    let bob = Person::start(
        "Bob",
        &[
            "--to-path",
            &alice.path,
            "--relay",
            &relay.tls,
            "--relay-user",
            &relay.user,
            "--relay-ca",
            &relay.ca,
        ],
        &env,
    );
    assert_eq!(common::words(&bob.path).len(), 2, "{}", bob.path);
    conversation(alice, bob);
}

#[test]
fn the_caller_behind_the_relay_over_tcp() {
    let relay = relay();
    let env = [("MSRP_RELAY_PASSWORD", relay.password.as_str())];
    let alice = Person::start("Alice", &["--listen", "127.0.0.1:0"], &[]);
    let bob = Person::start(
        "Bob",
        &[
            "--to-path",
            &alice.path,
            "--relay",
            &relay.tcp,
            "--relay-user",
            &relay.user,
        ],
        &env,
    );
    assert_eq!(common::words(&bob.path).len(), 2, "{}", bob.path);
    conversation(alice, bob);
}

#[test]
fn the_answering_side_behind_the_relay_over_tcp() {
    let relay = relay();
    let env = [("MSRP_RELAY_PASSWORD", relay.password.as_str())];
    let alice = Person::start(
        "Alice",
        &["--relay", &relay.tcp, "--relay-user", &relay.user2],
        &env,
    );
    assert!(alice.path.starts_with("msrp://"), "{}", alice.path);
    // Bob has no relay of his own: he connects to Alice's.
    let bob = Person::start("Bob", &["--to-path", &alice.path], &[]);
    assert_eq!(common::words(&bob.path).len(), 1, "{}", bob.path);
    conversation(alice, bob);
}

#[test]
fn a_wrong_relay_password_is_one_clear_error() {
    let relay = relay();
    let (stdout, stderr, code) = common::Msrp::start_with_env(
        &[
            "chat",
            "--relay",
            &relay.tls,
            "--relay-user",
            &relay.user,
            "--relay-ca",
            &relay.ca,
        ],
        &[("MSRP_RELAY_PASSWORD", "not the password")],
    )
    .finish();
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stdout.is_empty(), "no path without the relay: {stdout:?}");
    let want = format!(
        "msrp chat: the relay at {};tcp refused the credentials of {}: 401",
        relay.tls, relay.user
    );
    assert!(stderr.contains(&want), "{stderr}");
}
