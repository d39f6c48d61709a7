//! `msrp file` through the real Kamailio relay of the test suite (its
//! `MSRP_TEST_RELAY_*` variables say where): a push and a pull, each side
//! reaching its own relay over TLS as RFC 4976 has it. The relay re-chunks
//! at its frame size; the bytes still land by Byte-Range and the SHA-1 is
//! checked.

mod common;
mod file_common;

use common::*;
use file_common::*;

fn s(p: &std::path::Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

/// `--relay` flags for `user` on the relay at `uri`.
fn relay_args(uri: &str, user: &str, ca: &str) -> Vec<String> {
    let mut args = vec![
        "--relay".to_owned(),
        uri.to_owned(),
        "--relay-user".to_owned(),
        user.to_owned(),
    ];
    if uri.starts_with("msrps") {
        args.extend(["--relay-ca".to_owned(), ca.to_owned()]);
    }
    args
}

fn start(args: &[&str], relay: &[String], password: &str) -> Msrp {
    let mut all: Vec<&str> = args.to_vec();
    all.extend(relay.iter().map(String::as_str));
    Msrp::start_with_env(&all, &[("MSRP_RELAY_PASSWORD", password)])
}

#[test]
fn push_and_pull_through_the_relay() {
    let tls = format!("msrps://{}", relay_var("MSRP_TEST_RELAY_TLS"));
    let ca = relay_var("MSRP_TEST_RELAY_CA");
    let (alice, bob) = (
        relay_var("MSRP_TEST_RELAY_USER"),
        relay_var("MSRP_TEST_RELAY_USER2"),
    );
    let password = relay_var("MSRP_TEST_RELAY_PASSWORD");
    let dir = TempDir::new("file-relay");
    let file = dir.path("photo.jpg");
    random_file(&file, 2 << 20);
    let digest = sha1_file(&file);

    // Push: Alice offers, Bob answers; each through the relay.
    let out = dir.path("push");
    std::fs::create_dir(&out).unwrap();
    let mut send = start(
        &["file", "send", s(&file)],
        &relay_args(&tls, &alice, &ca),
        &password,
    );
    let mut receive = start(
        &["file", "receive", "--out-dir", s(&out)],
        &relay_args(&tls, &bob, &ca),
        &password,
    );
    let (offer, answer) = exchange(&mut send, &mut receive, |o| o);
    for sdp in [&offer, &answer] {
        let path = sdp.iter().find(|l| l.starts_with("a=path:")).unwrap();
        assert_eq!(
            path.split(' ').count(),
            2,
            "the relay, then the side: {path}"
        );
        assert!(sdp.iter().any(|l| l.contains("TCP/TLS/MSRP")), "{sdp:?}");
    }
    assert_eq!(outcome(&mut send)["event"], "sent");
    let received = outcome(&mut receive);
    assert_eq!(received["event"], "received", "{received}");
    assert_eq!(received["verified"], true);
    assert_eq!(sha1_file(&out.join("photo.jpg")), digest);

    // Pull: Bob offers recvonly by hash, Alice answers sendonly.
    let out = dir.path("pull");
    std::fs::create_dir(&out).unwrap();
    let mut receive = start(
        &["file", "receive", "--out-dir", s(&out), "--pull", &digest],
        &relay_args(&tls, &bob, &ca),
        &password,
    );
    let mut send = start(
        &["file", "send", s(&file), "--pulled"],
        &relay_args(&tls, &alice, &ca),
        &password,
    );
    exchange(&mut receive, &mut send, |o| o);
    assert_eq!(outcome(&mut send)["event"], "sent");
    let received = outcome(&mut receive);
    assert_eq!(received["event"], "received", "{received}");
    assert_eq!(received["verified"], true);
    assert_eq!(sha1_file(&out.join("photo.jpg")), digest);
}
