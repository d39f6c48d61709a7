//! `msrp relay` as a process, with `msrp listen --relay` and `msrp send
//! --relay` through it over TLS (both behind it, a 1 MiB file), and its
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

#[test]
fn send_and_listen_through_our_relay_over_tls() {
    let dir = TempDir::new("ourrelay");
    let users = users_file(&dir);
    let (cert, key) = certificate(&dir);
    let mut relay = Msrp::start(&[
        "relay",
        "--tls-bind",
        "127.0.0.1:0",
        "--cert",
        &cert,
        "--key",
        &key,
        "--users",
        &users,
        "--realm",
        REALM,
    ]);
    let line = relay.line();
    let uri = words(&line)[0].to_owned();
    assert!(uri.starts_with("msrps://127.0.0.1:"), "{line}");
    let file = dir.path("data.bin");
    random_file(&file, 1 << 20);
    let out = dir.path("out");
    std::fs::create_dir(&out).unwrap();
    let env = [("MSRP_RELAY_PASSWORD", PASSWORD)];
    let mut listen = Msrp::start_with_env(
        &[
            "listen",
            "--relay",
            &uri,
            "--relay-user",
            "bob",
            "--relay-ca",
            &cert,
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
            &uri,
            "--relay-user",
            "alice",
            "--relay-ca",
            &cert,
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
    let (_, stderr, code) = run(&[
        "relay",
        "--tls-bind",
        "127.0.0.1:0",
        "--users",
        &users,
        "--realm",
        REALM,
    ]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("--cert"), "{stderr}");
    let (_, stderr, code) = run(&[
        "relay",
        "--tcp-bind",
        "127.0.0.1:0",
        "--users",
        &users,
        "--realm",
        "other",
    ]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("no user in the realm \"other\""),
        "{stderr}"
    );
}
