//! `msrp listen --relay` and `msrp send --relay` as processes, through the
//! real Kamailio relay that `scripts/test` runs on 127.0.0.1 (its
//! `MSRP_TEST_RELAY_*` variables say where).

mod common;

use common::*;
use serde_json::Value;

#[test]
fn send_and_listen_both_through_the_relay_over_tls() {
    let relay = relay();
    let dir = TempDir::new("relayed");
    let password_file = dir.path("password");
    std::fs::write(&password_file, format!("{}\n", relay.password)).unwrap();
    let file = dir.path("data.bin");
    random_file(&file, 1 << 20);
    let out = dir.path("out");
    std::fs::create_dir(&out).unwrap();

    // The password from the environment on one side, from a file on the other.
    let mut listen = Msrp::start_with_env(
        &[
            "listen",
            "--relay",
            &relay.tls,
            "--relay-user",
            &relay.user2,
            "--relay-ca",
            &relay.ca,
            "--count",
            "2",
            "--out-dir",
            out.to_str().unwrap(),
        ],
        &[("MSRP_RELAY_PASSWORD", &relay.password)],
    );
    let listen_path = listen.line();
    let uris = words(&listen_path);
    assert_eq!(uris.len(), 2, "the relay, then this side: {listen_path}");
    assert!(uris[0].starts_with("msrps://"), "{listen_path}");

    let mut send = Msrp::start(&[
        "send",
        "--to-path",
        &listen_path,
        "--relay",
        &relay.tls,
        "--relay-user",
        &relay.user,
        "--relay-password-file",
        password_file.to_str().unwrap(),
        "--relay-ca",
        &relay.ca,
        "--text",
        "through the relay",
        "--file",
        file.to_str().unwrap(),
        "--success-report",
        "yes",
    ]);
    let send_path = send.line();
    assert_eq!(words(&send_path).len(), 2, "{send_path}");
    assert_eq!(send.event()["event"], "bound");
    let received = [listen.event(), listen.event(), listen.event()];
    assert_eq!(received[0]["event"], "bound");
    let messages: Vec<Value> = received[1..].to_vec();
    expect_delivered(&mut send, &messages);
    let file_message = &messages[1];
    assert_eq!(
        file_message["sha256"],
        sha256(&std::fs::read(&file).unwrap())
    );
    assert!(
        file_message["chunks"].as_u64().unwrap() >= 100,
        "relay-sized chunks: {file_message}"
    );
    let (_, stderr, code) = listen.finish();
    assert_eq!(code, Some(0), "listen: {stderr}");
}

#[test]
fn send_through_the_relay_to_a_direct_listener_over_tcp() {
    let relay = relay();
    let mut listen = Msrp::start(&["listen", "--bind", "127.0.0.1:0", "--count", "1"]);
    let listen_path = listen.line();
    let (stdout, stderr, code) = Msrp::start_with_env(
        &[
            "send",
            "--to-path",
            &listen_path,
            "--relay",
            &relay.tcp,
            "--relay-user",
            &relay.user,
            "--text",
            "relayed one way",
        ],
        &[("MSRP_RELAY_PASSWORD", &relay.password)],
    )
    .finish();
    assert_eq!(code, Some(0), "send: {stderr}");
    let sent: Value = serde_json::from_str(&stdout[2]).unwrap();
    assert_eq!(sent["outcome"], "delivered", "{sent}");
    assert_eq!(listen.event()["event"], "bound");
    assert_eq!(listen.event()["sha256"], sha256(b"relayed one way"));
    let (_, stderr, code) = listen.finish();
    assert_eq!(code, Some(0), "listen: {stderr}");
}

#[test]
fn a_wrong_relay_password_is_one_clear_error() {
    let relay = relay();
    let (_, stderr, code) = Msrp::start_with_env(
        &[
            "send",
            "--to-path",
            "msrp://127.0.0.1:9/nobody1;tcp",
            "--relay",
            &relay.tls,
            "--relay-user",
            &relay.user,
            "--relay-ca",
            &relay.ca,
            "--text",
            "x",
        ],
        &[("MSRP_RELAY_PASSWORD", "not the password")],
    )
    .finish();
    assert_eq!(code, Some(1), "{stderr}");
    let want = format!(
        "the relay at {};tcp refused the credentials of {}: 401",
        relay.tls, relay.user
    );
    assert!(stderr.contains(&want), "{stderr}");
    assert!(!stderr.contains("not the password"), "{stderr}");
}

#[test]
fn relay_flags_are_checked_before_anything_is_sent() {
    let relay = relay();
    for (args, want) in [
        (
            vec!["--relay", relay.tls.as_str(), "--relay-user", "alice"],
            "--relay needs a password",
        ),
        (
            vec!["--relay", relay.tls.as_str()],
            "--relay needs --relay-user NAME",
        ),
        (
            vec!["--relay", "msrps://relay.example.com:2855/sid1234;tcp"],
            "without a session id",
        ),
    ] {
        let mut all = vec![
            "send",
            "--to-path",
            "msrp://127.0.0.1:9/nobody1;tcp",
            "--text",
            "x",
        ];
        all.extend(args);
        let (_, stderr, code) = Msrp::start_with_env(&all, &[("MSRP_RELAY_PASSWORD", "")]).finish();
        assert_eq!(code, Some(2), "{stderr}");
        assert!(stderr.contains(want), "{want}: {stderr}");
    }
}
