//! `msrp chat` between two processes in JSON mode on 127.0.0.1: over TCP
//! and over TLS (a certificate made by rcgen); and the arguments it
//! refuses.

mod common;

use common::chat::{Person, conversation};
use common::*;

#[test]
fn a_chat_over_tcp() {
    let alice = Person::start("Alice", &["--listen", "127.0.0.1:0"], &[]);
    assert!(
        alice.path.starts_with("msrp://127.0.0.1:"),
        "{}",
        alice.path
    );
    let bob = Person::start("Bob", &["--to-path", &alice.path], &[]);
    conversation(alice, bob);
}

#[test]
fn a_chat_between_async_std_and_smol() {
    let alice = Person::start(
        "Alice",
        &["--listen", "127.0.0.1:0", "--runtime", "async-std"],
        &[],
    );
    let bob = Person::start("Bob", &["--to-path", &alice.path, "--runtime", "smol"], &[]);
    conversation(alice, bob);
}

#[test]
fn a_chat_over_tls() {
    let dir = TempDir::new("chat-tls");
    let (cert, key) = certificate(&dir);
    let alice = Person::start(
        "Alice",
        &[
            "--listen",
            "127.0.0.1:0",
            "--tls",
            "--cert",
            &cert,
            "--key",
            &key,
        ],
        &[],
    );
    assert!(
        alice.path.starts_with("msrps://127.0.0.1:"),
        "{}",
        alice.path
    );
    let bob = Person::start("Bob", &["--to-path", &alice.path, "--ca", &cert], &[]);
    assert!(bob.path.starts_with("msrps://"), "{}", bob.path);
    conversation(alice, bob);
}

#[test]
fn listen_and_to_path_together_are_refused() {
    let (_, stderr, code) = run(&[
        "chat",
        "--listen",
        "127.0.0.1:0",
        "--to-path",
        "msrp://127.0.0.1:9/x1;tcp",
    ]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("--listen <HOST:PORT>"), "{stderr}");
    assert!(stderr.contains("cannot be used with"), "{stderr}");
}

#[test]
fn neither_listen_nor_to_path_is_refused() {
    let (_, stderr, code) = run(&["chat", "--name", "Alice"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.starts_with("msrp chat: say how to meet the peer"),
        "{stderr}"
    );
    for flag in ["--listen HOST:PORT", "--to-path URI", "--relay URI"] {
        assert!(stderr.contains(flag), "{flag}: {stderr}");
    }
}

#[test]
fn an_msrps_path_needs_ca_or_insecure() {
    let (_, stderr, code) = run(&["chat", "--to-path", "msrps://127.0.0.1:9/x1;tcp"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("uses TLS (msrps)"), "{stderr}");
    assert!(stderr.contains("--ca FILE"), "{stderr}");
    assert!(stderr.contains("--insecure"), "{stderr}");
}

#[test]
fn other_bad_arguments_say_what_is_expected() {
    for (args, want) in [
        (
            vec!["--tls", "--to-path", "msrp://127.0.0.1:9/x1;tcp"],
            "--listen",
        ),
        (vec!["--listen", "127.0.0.1"], "expected HOST:PORT"),
        (vec!["--to-path", "msrp:/x"], "expected an MSRP URI"),
        (
            vec!["--listen", "127.0.0.1:0", "--out-dir", "/nonexistent/dir"],
            "not a folder",
        ),
        (
            vec!["--listen", "127.0.0.1:0", "--max-size", "1G"],
            "expected 4K to 64M",
        ),
        (
            vec!["--listen", "127.0.0.1:0", "--identity", "alice"],
            "expected a URI",
        ),
    ] {
        let mut all = vec!["chat"];
        all.extend(&args);
        let (_, stderr, code) = run(&all);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(want), "{args:?}: {want}: {stderr}");
    }
}

#[test]
fn nobody_coming_is_an_error() {
    let mut alice = Msrp::start(&["chat", "--listen", "127.0.0.1:0", "--idle-timeout", "1"]);
    assert!(alice.line().starts_with("msrp://"));
    let (lines, stderr, code) = alice.finish();
    assert_eq!(code, Some(1), "{stderr}");
    assert!(lines.is_empty(), "{lines:?}");
    assert!(
        stderr.contains("msrp chat: no peer connected in time"),
        "{stderr}"
    );
}

#[test]
fn nobody_listening_is_an_error() {
    // A port that was free a moment ago: nobody listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let path = format!("msrp://127.0.0.1:{port}/nobody1;tcp");
    let (stdout, stderr, code) = run(&["chat", "--to-path", &path]);
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(stdout.lines().count(), 1, "only line 1: {stdout}");
    assert!(
        stderr.contains("connection refused (is `msrp chat --listen` running there?)"),
        "{stderr}"
    );
}
