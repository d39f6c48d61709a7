//! `msrp listen` outlives hostile connections: slow, silent, garbled,
//! wrongly addressed and TLS peers connect first, and the real `msrp send`
//! that comes next is served.

mod common;

use std::io::Write;
use std::net::TcpStream;

use common::*;
use serde_json::Value;

/// The address part of a path line's first URI (`127.0.0.1:PORT`).
fn address(path_line: &str) -> String {
    let uri = words(path_line)[0];
    let rest = uri.split("://").nth(1).expect("a scheme");
    rest.split('/').next().expect("an authority").to_owned()
}

#[test]
fn listen_survives_hostile_connections_and_then_serves_send() {
    let mut listen = Msrp::start(&[
        "listen",
        "--bind",
        "127.0.0.1:0",
        "--count",
        "1",
        "--idle-timeout",
        "0",
    ]);
    let listen_path = listen.line();
    let addr = address(&listen_path);
    let session = listen_path
        .rsplit('/')
        .next()
        .unwrap()
        .trim_end_matches(";tcp");
    let other = listen_path.replace(session, "notyours0001");

    let mut crowd = Vec::new();
    let mut hostile = |bytes: &[u8]| {
        let mut stream = TcpStream::connect(&addr).expect("connect");
        // The listener may drop the connection before it has read it all.
        let _ = stream.write_all(bytes);
        crowd.push(stream);
    };
    hostile(b"MSRP abcd SEND\r\nTo-Pa"); // slowloris
    hostile(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    hostile(b"\x16\x03\x01\x00\xc8\x01\x00\x00\xc4\x03\x03ZZZZZZZZZZZZZZZZ"); // ClientHello
    hostile(b"MSRP aaaaaaaaaabbbbbbbbbbccccccccccdddddddddd SEND\r\n"); // 40-char tid
    hostile(
        format!(
            "MSRP wrong001 SEND\r\nTo-Path: {other}\r\nFrom-Path: msrp://127.0.0.1:9/x1234;tcp\r\n\
             Message-ID: m1\r\nByte-Range: 1-0/0\r\n-------wrong001$\r\n"
        )
        .as_bytes(),
    );
    let mut huge = b"MSRP abcd SEND\r\nX-Huge: ".to_vec();
    huge.resize(1 << 20, b'a');
    hostile(&huge);
    hostile(b""); // silent
    hostile(b""); // silent

    let (stdout, stderr, code) = run(&["send", "--to-path", &listen_path, "--text", "still here"]);
    assert_eq!(code, Some(0), "send: {stderr}");
    let sent: Value = serde_json::from_str(stdout.lines().nth(2).unwrap()).unwrap();
    assert_eq!(sent["outcome"], "delivered", "{sent}");

    assert_eq!(listen.event()["event"], "bound");
    let message = listen.event();
    assert_eq!(message["sha256"], sha256(b"still here"));
    let (_, stderr, code) = listen.finish();
    assert_eq!(code, Some(0), "listen: {stderr}");
    drop(crowd);
}
