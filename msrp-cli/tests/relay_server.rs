//! `msrp relay` as a process, with `msrp listen --relay` and `msrp send
//! --relay` through it over TLS (both behind it, a 1 MiB file), the sender
//! also as a WebSocket client (`--wss-bind`, `--ws-bind`), and its
//! start-up errors.

mod common;

use common::*;

const REALM: &str = "relay.test";
const PASSWORD: &str = "relay-password";

/// A users file with alice and bob (htdigest lines: the hash only).
fn users_file(dir: &TempDir) -> String {
    let line = |user: &str| msrp_proto::relay::Users::htdigest_line(user, REALM, PASSWORD);
    let path = dir.str("users");
    let text = format!("# test users\n{}\n{}\n", line("alice"), line("bob"));
    std::fs::write(&path, text).unwrap();
    path
}

/// Starts `msrp relay` with `binds` and the test certificate; returns the
/// process, one line per listener (its URI or URL first), and the
/// certificate file.
fn start_relay(dir: &TempDir, binds: &[&str], listeners: usize) -> (Msrp, Vec<String>, String) {
    let users = users_file(dir);
    let (cert, key) = certificate(dir);
    let mut args = vec!["relay"];
    args.extend_from_slice(binds);
    args.extend_from_slice(&[
        "--cert", &cert, "--key", &key, "--users", &users, "--realm", REALM,
    ]);
    let mut relay = Msrp::start(&args);
    let lines = (0..listeners).map(|_| relay.line()).collect();
    (relay, lines, cert)
}

/// `msrp listen` (bob) behind the relay at `listen_relay`, `msrp send`
/// (alice) with a 1 MiB file behind the relay at `send_relay`: the file
/// arrives intact, delivered.
fn file_through_our_relay(dir: &TempDir, cert: &str, listen_relay: &str, send_relay: &str) {
    let file = dir.path("data.bin");
    random_file(&file, 1 << 20);
    let out = dir.path("out");
    std::fs::create_dir(&out).unwrap();
    let env = [("MSRP_RELAY_PASSWORD", PASSWORD)];
    let mut listen = Msrp::start_with_env(
        &[
            "listen",
            "--relay",
            listen_relay,
            "--relay-user",
            "bob",
            "--relay-ca",
            cert,
            "--count",
            "1",
            "--out-dir",
            out.to_str().unwrap(),
        ],
        &env,
    );
    let listen_path = listen.line();
    assert_eq!(words(&listen_path).len(), 2, "{listen_path}");
    let mut send = Msrp::start_with_env(
        &[
            "send",
            "--to-path",
            &listen_path,
            "--relay",
            send_relay,
            "--relay-user",
            "alice",
            "--relay-ca",
            cert,
            "--file",
            file.to_str().unwrap(),
            "--success-report",
            "yes",
        ],
        &env,
    );
    let _ = send.line();
    assert_eq!(send.event()["event"], "bound");
    assert_eq!(listen.event()["event"], "bound");
    let received = listen.event();
    assert_eq!(received["sha256"], sha256(&std::fs::read(&file).unwrap()));
    expect_delivered(&mut send, &[received]);
    let (_, stderr, code) = listen.finish();
    assert_eq!(code, Some(0), "listen: {stderr}");
}

#[test]
fn send_and_listen_through_our_relay_over_tls() {
    let dir = TempDir::new("ourrelay");
    let (relay, lines, cert) = start_relay(&dir, &["--tls-bind", "127.0.0.1:0"], 1);
    let uri = words(&lines[0])[0].to_owned();
    assert!(uri.starts_with("msrps://127.0.0.1:"), "{}", lines[0]);
    file_through_our_relay(&dir, &cert, &uri, &uri);
    drop(relay);
}

/// `msrp relay --wss-bind` and `--ws-bind` beside `--tls-bind`: the sender
/// is a WebSocket client of our relay (wss, the certificate checked; then
/// ws), the listener is behind it over TLS.
#[test]
fn send_over_websocket_through_our_relay() {
    let dir = TempDir::new("ourrelayws");
    let binds = [
        "--tls-bind",
        "127.0.0.1:0",
        "--wss-bind",
        "127.0.0.1:0",
        "--ws-bind",
        "127.0.0.1:0",
    ];
    let (relay, lines, cert) = start_relay(&dir, &binds, 3);
    let uri = words(&lines[0])[0].to_owned();
    let wss = words(&lines[1])[0].to_owned();
    let ws = words(&lines[2])[0].to_owned();
    assert!(uri.starts_with("msrps://127.0.0.1:"), "{lines:?}");
    assert!(
        wss.starts_with("wss://127.0.0.1:") && wss.ends_with('/'),
        "{lines:?}"
    );
    assert!(ws.starts_with("ws://127.0.0.1:"), "{lines:?}");
    file_through_our_relay(&dir, &cert, &uri, &wss);
    // A fresh directory for the second file's output.
    let again = TempDir::new("ourrelayws2");
    file_through_our_relay(&again, &cert, &uri, &ws);
    drop(relay);
}

#[test]
fn start_up_errors_are_clear() {
    let dir = TempDir::new("relayerrors");
    let bad = dir.str("bad");
    std::fs::write(&bad, "alice:relay.test:secret\n").unwrap();
    let (_, stderr, code) = run(&["relay", "--tcp-bind", "127.0.0.1:0", "--users", &bad]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("line 1: HA1 must be 32 hexadecimal digits"),
        "{stderr}"
    );
    let users = users_file(&dir);
    let refused = |bind: &str, realm: &str, expected: &str| {
        let args = [
            "relay",
            bind,
            "127.0.0.1:0",
            "--users",
            &users,
            "--realm",
            realm,
        ];
        let (_, stderr, code) = run(&args);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    };
    refused("--tls-bind", REALM, "--cert");
    refused("--tcp-bind", "other", "no user in the realm \"other\"");
    refused("--ws-bind", REALM, "--tls-bind (or --tcp-bind)");
}
