//! End-to-end tests of `msrp listen` and `msrp send` over plain TCP: two
//! processes of the built binary on 127.0.0.1, each given the other's path
//! as an SDP exchange would (listen's first line to `send --to-path`,
//! send's first line to listen's standard input with `--remote-path -`, or
//! no remote path at all). Texts and a file, success reports, `--count`,
//! `--out-dir`, and the JSON lines of both sides.
#![forbid(unsafe_code)]

mod common;

use common::*;
use serde_json::Value;

/// The `bound` event's path of `key` as a list of strings.
fn path(event: &Value, key: &str) -> Vec<String> {
    event[key]
        .as_array()
        .unwrap_or_else(|| panic!("{key} in {event}"))
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn texts_and_a_file_arrive_intact_with_the_path_on_stdin() {
    let dir = TempDir::new("stdin");
    let file = dir.path("photo.bin");
    let file_sha = random_file(&file, 3 << 20);
    let out_dir = dir.path("out");
    std::fs::create_dir(&out_dir).unwrap();

    let mut listen = Msrp::start(&[
        "listen",
        "--bind",
        "127.0.0.1:0",
        "--remote-path",
        "-",
        "--out-dir",
        out_dir.to_str().unwrap(),
        "--count",
        "3",
    ]);
    let listen_path = listen.line();
    assert!(
        listen_path.starts_with("msrp://127.0.0.1:"),
        "{listen_path}"
    );
    assert!(
        !listen_path.starts_with("msrp://127.0.0.1:0/"),
        "the real port is shown"
    );

    let mut args = vec!["send", "--to-path"];
    args.extend(words(&listen_path));
    args.extend([
        "--text",
        "Hello, Bob",
        "--text",
        "second line",
        "--file",
        file.to_str().unwrap(),
        "--content-type",
        "image/png",
        "--success-report",
        "yes",
        "--chunk-size",
        "32K",
    ]);
    let mut send = Msrp::start(&args);
    let send_path = send.line();
    listen.send_line(&send_path);

    let bound = listen.event();
    assert_eq!(bound["event"], "bound");
    assert_eq!(path(&bound, "local_path"), words(&listen_path));
    assert_eq!(path(&bound, "remote_path"), words(&send_path));
    let bound = send.event();
    assert_eq!(bound["event"], "bound");
    assert_eq!(path(&bound, "remote_path"), words(&listen_path));

    let expected = [
        (sha256(b"Hello, Bob"), 10),
        (sha256(b"second line"), 11),
        (file_sha.clone(), 3 << 20),
    ];
    let received = expect_received(&mut listen, &expected);
    let content_types: Vec<_> = received.iter().map(|m| &m["content_type"]).collect();
    assert_eq!(content_types, ["text/plain", "text/plain", "image/png"]);
    let ids: Vec<_> = received.iter().map(message_id).collect();
    // 3 MiB in chunks of at most 32 KiB.
    let (rest, stderr, code) = listen.finish();
    assert_eq!(code, Some(0), "listen: {stderr}");
    let closed: Value = serde_json::from_str(&rest[0]).unwrap();
    assert_eq!(closed["event"], "closed");

    for sent in expect_delivered(&mut send, &received) {
        assert_eq!(sent["code"], 200);
        assert_eq!(sent["comment"], "OK");
        assert!(sent["seconds"].as_f64().unwrap() >= 0.0);
    }
    let summary = send.event();
    assert_eq!(summary["event"], "summary");
    assert_eq!(summary["messages"], 3);
    assert_eq!(summary["bytes"], 21 + (3 << 20));
    assert_eq!(summary["ok"], true);
    let (_, stderr, code) = send.finish();
    assert_eq!(code, Some(0), "send: {stderr}");
    assert!(
        stderr.is_empty(),
        "no progress bar when stderr is no terminal: {stderr}"
    );

    // The bodies in --out-dir, one file per Message-ID.
    let file_body = std::fs::read(out_dir.join(ids[2])).unwrap();
    assert_eq!(sha256(&file_body), file_sha);
    assert_eq!(std::fs::read(out_dir.join(ids[0])).unwrap(), b"Hello, Bob");
}

#[test]
fn any_peer_is_accepted_without_a_remote_path_and_a_clean_close_ends_listen() {
    let mut listen = Msrp::start(&["listen", "--bind", "127.0.0.1:0", "--session-id", "bob1234"]);
    let listen_path = listen.line();
    assert!(listen_path.ends_with("/bob1234;tcp"), "{listen_path}");
    // The whole path as one argument works too.
    let mut send = Msrp::start(&[
        "send",
        "--to-path",
        &listen_path,
        "--session-id",
        "alice99",
        "--text",
        "no responses, please",
        "--failure-report",
        "no",
    ]);
    let send_path = send.line();
    assert!(send_path.ends_with("/alice99;tcp"), "{send_path}");

    let bound = listen.event();
    assert_eq!(path(&bound, "remote_path"), words(&send_path));
    let message = listen.event();
    assert_eq!(message["event"], "message");
    assert_eq!(message["sha256"], sha256(b"no responses, please"));
    assert_eq!(message["chunks"], 1);

    let (lines, stderr, code) = send.finish();
    assert_eq!(code, Some(0), "send: {stderr}");
    let sent: Value = serde_json::from_str(&lines[1]).unwrap();
    // Nothing confirms a Failure-Report: no message: it was sent, and no
    // more can be known.
    assert_eq!(sent["outcome"], "sent", "{sent}");
    assert_eq!(sent["code"], 200, "{sent}");
    let summary: Value = serde_json::from_str(&lines[2]).unwrap();
    assert_eq!(summary["ok"], true);

    let (rest, stderr, code) = listen.finish();
    assert_eq!(code, Some(0), "listen: {stderr}");
    let closed: Value = serde_json::from_str(&rest[0]).unwrap();
    assert_eq!(closed["event"], "closed");
    assert_eq!(closed["reason"], "the peer closed the connection");
}

#[test]
fn a_peer_with_another_path_is_refused_when_the_remote_path_is_given() {
    let mut listen = Msrp::start(&[
        "listen",
        "--bind",
        "127.0.0.1:0",
        "--remote-path",
        "msrp://127.0.0.1:2855/somebodyelse;tcp",
        "--idle-timeout",
        "5",
    ]);
    let listen_path = listen.line();
    let mut args = vec!["send", "--to-path"];
    args.extend(words(&listen_path));
    args.extend(["--text", "hi", "--timeout", "15"]);
    let (_, stderr, code) = run(&args);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("refused the session: 481"), "{stderr}");
    let (_, stderr, code) = listen.finish();
    assert_eq!(code, Some(1), "{stderr}");
}

#[test]
fn a_refused_file_is_reported_failed_with_the_peer_status() {
    let dir = TempDir::new("refused");
    let file = dir.path("picture.png");
    random_file(&file, 1 << 20);
    let mut listen = Msrp::start(&[
        "listen",
        "--bind",
        "127.0.0.1:0",
        "--accept-types",
        "text/plain",
    ]);
    let listen_path = listen.line();
    let mut args = vec!["send", "--to-path", &listen_path, "--text", "fine"];
    args.extend([
        "--file",
        file.to_str().unwrap(),
        "--content-type",
        "image/png",
    ]);
    let (stdout, stderr, code) = run(&args);
    assert_eq!(code, Some(1), "{stderr}");
    let lines: Vec<Value> = stdout
        .lines()
        .skip(1)
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[1]["outcome"], "delivered");
    assert_eq!(lines[2]["outcome"], "failed", "{stdout}");
    assert_eq!(lines[2]["code"], 415);
    assert_eq!(lines[3]["ok"], false);
    assert!(
        stderr.contains("not every message was delivered"),
        "{stderr}"
    );

    let message = listen.event();
    assert_eq!(message["event"], "bound");
    assert_eq!(listen.event()["content_type"], "text/plain");
    let (rest, _, code) = listen.finish();
    assert_eq!(code, Some(0), "{rest:?}");
}

#[test]
fn a_message_its_sender_abandons_is_reported_aborted() {
    use std::io::Write;
    let dir = TempDir::new("aborted");
    let mut listen = Msrp::start(&[
        "listen",
        "--bind",
        "127.0.0.1:0",
        "--out-dir",
        dir.0.to_str().unwrap(),
    ]);
    let listen_path = listen.line();
    let port: u16 = listen_path
        .split(':')
        .nth(2)
        .and_then(|p| p.split('/').next())
        .and_then(|p| p.parse().ok())
        .unwrap();
    // A peer speaking MSRP by hand: 3 bytes of a 10-byte message, then `#`.
    let mut peer = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let chunk = format!(
        "MSRP a1b2c3 SEND\r\nTo-Path: {listen_path}\r\nFrom-Path: msrp://127.0.0.1:9/byhand;tcp\r\n\
         Message-ID: half1\r\nByte-Range: 1-3/10\r\nContent-Type: text/plain\r\n\r\nabc\r\n-------a1b2c3#\r\n"
    );
    peer.write_all(chunk.as_bytes()).unwrap();

    let bound = listen.event();
    assert_eq!(
        path(&bound, "remote_path"),
        ["msrp://127.0.0.1:9/byhand;tcp"]
    );
    let aborted = listen.event();
    assert_eq!(aborted["event"], "aborted", "{aborted}");
    assert_eq!(aborted["message_id"], "half1");
    assert_eq!(aborted["received"], 3);
    assert!(!dir.path("half1").exists(), "the partial file is removed");
    // Take the 200 before hanging up: unread bytes would turn the close
    // into a reset.
    use std::io::Read;
    peer.set_read_timeout(Some(WAIT)).unwrap();
    let mut response = [0u8; 512];
    let n = peer.read(&mut response).unwrap();
    assert!(response[..n].starts_with(b"MSRP a1b2c3 200 OK\r\n"));
    peer.shutdown(std::net::Shutdown::Write).unwrap();
    let (rest, stderr, code) = listen.finish();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(rest[0].contains("\"closed\""), "{rest:?}");
}

/// With Failure-Report `partial` the peer answers only errors. A peer that
/// closes cleanly after the message (as msrplib's acceptor does at the end
/// of a session) leaves it sent, not failed, and `send` does not sit out
/// --linger once the connection is gone.
#[test]
fn a_partial_message_is_sent_when_the_peer_closes_cleanly_before_the_linger_ends() {
    let mut listen = Msrp::start(&["listen", "--bind", "127.0.0.1:0", "--count", "1"]);
    let listen_path = listen.line();
    // Longer than any wait of the test helpers: waiting it out fails.
    let (stdout, stderr, code) = run(&[
        "send",
        "--to-path",
        &listen_path,
        "--text",
        "x",
        "--failure-report",
        "partial",
        "--linger",
        "60",
    ]);
    assert_eq!(code, Some(0), "send: {stderr}");
    let sent: Value = serde_json::from_str(stdout.lines().nth(2).unwrap()).unwrap();
    assert_eq!(sent["outcome"], "sent", "{sent}");
    assert_eq!(sent["code"], 200, "{sent}");
    let (_, stderr, code) = listen.finish();
    assert_eq!(code, Some(0), "listen: {stderr}");
}
