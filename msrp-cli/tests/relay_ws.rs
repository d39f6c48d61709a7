//! `msrp send --relay wss://…` and `--relay ws://…` as processes, through the
//! WebSocket-enabled Kamailio that `scripts/relay-harness` runs beside the
//! plain one (`MSRP_TEST_RELAY_WS`, `MSRP_TEST_RELAY_WSS`, and its MSRP
//! listeners `MSRP_TEST_RELAY_WS_TCP`, `MSRP_TEST_RELAY_WS_TLS`).

mod common;

use common::*;
use serde_json::Value;

/// The sender is a WebSocket client of the relay (wss, the relay's
/// certificate checked), the listener is behind the same relay over TLS:
/// a text and a 1 MiB file arrive intact, with success reports back.
#[test]
fn send_over_wss_to_a_listener_behind_the_same_relay() {
    let relay = relay();
    let wss = format!("wss://{}/", relay_var("MSRP_TEST_RELAY_WSS"));
    let msrps = format!("msrps://{}", relay_var("MSRP_TEST_RELAY_WS_TLS"));
    let dir = TempDir::new("relayed-ws");
    let file = dir.path("data.bin");
    random_file(&file, 1 << 20);
    let out = dir.path("out");
    std::fs::create_dir(&out).unwrap();
    let password = [("MSRP_RELAY_PASSWORD", relay.password.as_str())];

    let mut listen = Msrp::start_with_env(
        &[
            "listen",
            "--relay",
            &msrps,
            "--relay-user",
            &relay.user2,
            "--relay-ca",
            &relay.ca,
            "--count",
            "2",
            "--out-dir",
            out.to_str().unwrap(),
        ],
        &password,
    );
    let listen_path = listen.line();
    assert_eq!(words(&listen_path).len(), 2, "{listen_path}");

    let mut send = Msrp::start_with_env(
        &[
            "send",
            "--to-path",
            &listen_path,
            "--relay",
            &wss,
            "--relay-user",
            &relay.user,
            "--relay-ca",
            &relay.ca,
            "--text",
            "through the relay, over WebSocket",
            "--file",
            file.to_str().unwrap(),
            "--success-report",
            "yes",
        ],
        &password,
    );
    let send_path = send.line();
    let uris = words(&send_path);
    assert_eq!(uris.len(), 2, "the relay, then this side: {send_path}");
    assert!(
        uris[0].starts_with("msrps://") && uris[0].ends_with(";tcp"),
        "{send_path}"
    );
    assert!(
        uris[1].starts_with("msrps://")
            && uris[1].contains(".invalid:2855/")
            && uris[1].ends_with(";ws"),
        "an RFC 7977 WebSocket client URI: {send_path}"
    );
    assert_eq!(send.event()["event"], "bound");
    let received = [listen.event(), listen.event(), listen.event()];
    assert_eq!(received[0]["event"], "bound");
    let messages: Vec<Value> = received[1..].to_vec();
    expect_delivered(&mut send, &messages);
    assert_eq!(
        messages[1]["sha256"],
        sha256(&std::fs::read(&file).unwrap())
    );
    assert!(
        messages[1]["chunks"].as_u64().unwrap() >= 100,
        "relay-sized chunks: {}",
        messages[1]
    );
    let (_, stderr, code) = send.finish();
    assert_eq!(code, Some(0), "send: {stderr}");
    let (_, stderr, code) = listen.finish();
    assert_eq!(code, Some(0), "listen: {stderr}");
}

/// Plain `ws://` to a direct listener; a wrong password is one clear error.
#[test]
fn send_over_ws_to_a_direct_listener_and_a_wrong_password() {
    let relay = relay();
    let ws = format!("ws://{}", relay_var("MSRP_TEST_RELAY_WS"));
    let mut listen = Msrp::start(&["listen", "--bind", "127.0.0.1:0", "--count", "1"]);
    let listen_path = listen.line();
    let (stdout, stderr, code) = Msrp::start_with_env(
        &[
            "send",
            "--to-path",
            &listen_path,
            "--relay",
            &ws,
            "--relay-user",
            &relay.user,
            "--text",
            "over ws",
        ],
        &[("MSRP_RELAY_PASSWORD", &relay.password)],
    )
    .finish();
    assert_eq!(code, Some(0), "send: {stderr}");
    let sent: Value = serde_json::from_str(&stdout[2]).unwrap();
    assert_eq!(sent["outcome"], "delivered", "{sent}");
    assert_eq!(listen.event()["event"], "bound");
    assert_eq!(listen.event()["sha256"], sha256(b"over ws"));
    let (_, stderr, code) = listen.finish();
    assert_eq!(code, Some(0), "listen: {stderr}");

    let (_, stderr, code) = Msrp::start_with_env(
        &[
            "send",
            "--to-path",
            "msrp://127.0.0.1:9/nobody1;tcp",
            "--relay",
            &ws,
            "--relay-user",
            &relay.user,
            "--text",
            "x",
        ],
        &[("MSRP_RELAY_PASSWORD", "not the password")],
    )
    .finish();
    assert_eq!(code, Some(1), "{stderr}");
    let want = format!(
        "the relay at msrp://{};ws refused the credentials of {}: 401",
        relay_var("MSRP_TEST_RELAY_WS"),
        relay.user
    );
    assert!(stderr.contains(&want), "{stderr}");
}

#[test]
fn websocket_relay_urls_are_checked_before_anything_is_sent() {
    for (relay, want) in [
        ("wss://relay.example.com/msrp", "uses TLS: give --relay-ca"),
        ("ws://relay.example.com:0/", "not a ws:// or wss:// URL"),
        ("wss://relay.example.com/#x", "not a ws:// or wss:// URL"),
    ] {
        let (_, stderr, code) = Msrp::start_with_env(
            &[
                "send",
                "--to-path",
                "msrp://127.0.0.1:9/nobody1;tcp",
                "--text",
                "x",
                "--relay",
                relay,
                "--relay-user",
                "alice",
            ],
            &[("MSRP_RELAY_PASSWORD", "pw")],
        )
        .finish();
        assert_eq!(code, Some(2), "{relay}: {stderr}");
        assert!(stderr.contains(want), "{relay}: {want}: {stderr}");
    }
}
