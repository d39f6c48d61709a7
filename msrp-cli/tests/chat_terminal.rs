//! `msrp chat` as a person uses it: Bob's side runs in a pseudo-terminal
//! (rexpect) where the test types and reads the screen; Alice's side is a
//! JSON-mode process. Every wait is for expected output, with a deadline.

mod common;

use std::process::Command;

use common::chat::{Person, is, until};
use common::*;
use rexpect::process::WaitStatus;
use rexpect::session::{Options, PtySession};

/// What rexpect's reader makes of `text`: it turns each byte into a char,
/// so non-ASCII text is searched for byte by byte.
fn as_read(text: &str) -> String {
    text.bytes().map(char::from).collect()
}

/// Waits for `text` on the terminal (escape sequences left out).
fn expect(term: &mut PtySession, text: &str) {
    if let Err(e) = term.exp_string(&as_read(text)) {
        panic!("the terminal did not show {text:?} in time: {e}");
    }
}

fn type_keys(term: &mut PtySession, keys: &str) {
    term.send(keys).expect("type");
    term.flush().expect("flush");
}

#[test]
fn a_person_chats_in_a_terminal() {
    let mut alice = Person::start("Alice", &["--listen", "127.0.0.1:0"], &[]);
    let dir = TempDir::new("chat-terminal");
    let mut command = Command::new(BIN);
    command
        .args(["chat", "--name", "Bob", "--to-path", &alice.path])
        .arg("--out-dir")
        .arg(&dir.0)
        .env("TERM", "xterm");
    let options = Options::new()
        .timeout_ms(Some(WAIT.as_millis() as u64))
        .strip_ansi_escape_codes(true);
    let mut term = rexpect::spawn_with_options(command, options).expect("a terminal");

    expect(&mut term, "Connected to msrp://127.0.0.1:");
    until(&mut alice.msrp, "the start", |e| is(e, "started"));

    // Keystrokes tell Alice that Bob is typing, Enter sends the line.
    type_keys(&mut term, "hel");
    let composing = until(&mut alice.msrp, "Bob typing", |e| is(e, "composing"));
    assert_eq!(composing["state"], "active", "{composing}");
    assert!(composing["from"].as_str().unwrap().starts_with("Bob <sip:"));
    type_keys(&mut term, "lo Alice ☺\r");
    alice.hears("hello Alice ☺", "Bob");
    expect(&mut term, "Bob: hello Alice ☺");
    // Her side confirmed it: the mark on his line.
    expect(&mut term, " ✓");

    // Alice types (the status line says so), then writes.
    alice.msrp.send_line("/typing");
    expect(&mut term, "Alice is typing…");
    alice.say("hi Bob, nice to see you");
    expect(&mut term, "] Alice: hi Bob, nice to see you");

    // A file from Alice lands in Bob's folder.
    let file = alice.dir.path("notes.pdf");
    let sha = random_file(&file, 50_000);
    alice.msrp.send_line(&format!("/file {}", file.display()));
    expect(
        &mut term,
        "Alice sent the file notes.pdf (48.8 KiB, application/pdf)",
    );
    expect(&mut term, "saved as ");
    assert_eq!(sha256(&std::fs::read(dir.path("notes.pdf")).unwrap()), sha);

    // An empty line sends nothing; Ctrl-D leaves.
    type_keys(&mut term, "\r");
    term.send_control('d').expect("Ctrl-D");
    expect(&mut term, "You left the chat.");
    term.exp_eof().expect("the terminal closes");
    match term.process().wait() {
        Ok(WaitStatus::Exited(_, code)) => assert_eq!(code, 0),
        other => panic!("msrp chat did not exit cleanly: {other:?}"),
    }

    let ended = until(&mut alice.msrp, "the end", |e| {
        assert!(!is(e, "message"), "the empty line was sent: {e}");
        is(e, "ended")
    });
    assert_eq!(ended["reason"], "the peer ended the chat");
    let (_, stderr, code) = alice.msrp.finish();
    assert_eq!(code, Some(0), "Alice: {stderr}");
}

#[test]
fn ctrl_c_leaves_too() {
    let mut alice = Person::start("Alice", &["--listen", "127.0.0.1:0"], &[]);
    let mut command = Command::new(BIN);
    command.args(["chat", "--name", "Bob", "--to-path", &alice.path]);
    let options = Options::new()
        .timeout_ms(Some(WAIT.as_millis() as u64))
        .strip_ansi_escape_codes(true);
    let mut term = rexpect::spawn_with_options(command, options).expect("a terminal");
    expect(&mut term, "Connected to ");
    type_keys(&mut term, "unsent words");
    term.send_control('c').expect("Ctrl-C");
    expect(&mut term, "You left the chat.");
    term.exp_eof().expect("the terminal closes");
    match term.process().wait() {
        Ok(WaitStatus::Exited(_, code)) => assert_eq!(code, 0),
        other => panic!("msrp chat did not exit cleanly: {other:?}"),
    }
    let ended = until(&mut alice.msrp, "the end", |e| {
        assert!(!is(e, "message"), "the half-typed line was sent: {e}");
        is(e, "ended")
    });
    assert_eq!(ended["reason"], "the peer ended the chat");
}
