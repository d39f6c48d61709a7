//! End-to-end tests of `msrp listen --tls` and `msrp send` over TLS (msrps)
//! on 127.0.0.1, with a certificate made by rcgen in a temporary folder:
//! trusted with `--ca`, or not checked with `--insecure`; and the failures
//! when one side speaks TLS and the other does not.
#![forbid(unsafe_code)]

mod common;

use common::*;
use serde_json::Value;

/// Starts a TLS listener; returns it and its path line.
fn tls_listener(cert: &str, key: &str, extra: &[&str]) -> (Msrp, String) {
    let mut args = vec![
        "listen",
        "--bind",
        "127.0.0.1:0",
        "--tls",
        "--cert",
        cert,
        "--key",
        key,
    ];
    args.extend(extra);
    let mut listen = Msrp::start(&args);
    let path = listen.line();
    assert!(path.starts_with("msrps://127.0.0.1:"), "{path}");
    (listen, path)
}

/// A text and a file over TLS; `trust` gets the certificate's file.
fn exchange(trust: impl FnOnce(&str) -> Vec<String>) {
    let dir = TempDir::new("tls");
    let (cert, key) = certificate(&dir);
    let trust = trust(&cert);
    let file = dir.path("doc.pdf");
    let file_sha = random_file(&file, 1 << 20);
    let (mut listen, listen_path) = tls_listener(&cert, &key, &["--count", "2"]);

    let mut args = vec!["send", "--to-path", &listen_path, "--text", "over TLS"];
    args.extend(trust.iter().map(String::as_str));
    args.extend(["--file", file.to_str().unwrap(), "--success-report", "yes"]);
    let mut send = Msrp::start(&args);
    let send_path = send.line();
    assert!(
        send_path.starts_with("msrps://"),
        "this side's URI says TLS too"
    );

    assert_eq!(listen.event()["event"], "bound");
    assert_eq!(listen.event()["sha256"], sha256(b"over TLS"));
    let message = listen.event();
    assert_eq!(message["sha256"], file_sha.as_str());
    assert_eq!(message["content_type"], "application/octet-stream");
    let (_, stderr, code) = listen.finish();
    assert_eq!(code, Some(0), "listen: {stderr}");

    let (lines, stderr, code) = send.finish();
    assert_eq!(code, Some(0), "send: {stderr}");
    let summary: Value = serde_json::from_str(lines.last().unwrap()).unwrap();
    assert_eq!(summary["ok"], true, "{lines:?}");
    assert_eq!(summary["messages"], 2);
}

#[test]
fn tls_with_the_listener_certificate_as_ca() {
    exchange(|cert| vec!["--ca".into(), cert.into()]);
}

#[test]
fn tls_insecure() {
    exchange(|_| vec!["--insecure".into()]);
}

#[test]
fn a_tls_sender_and_a_plaintext_listener_both_fail_clearly() {
    let mut listen = Msrp::start(&["listen", "--bind", "127.0.0.1:0", "--idle-timeout", "3"]);
    let listen_path = listen.line();
    let secure_path = listen_path.replacen("msrp://", "msrps://", 1);
    let (_, stderr, code) = run(&[
        "send",
        "--to-path",
        &secure_path,
        "--insecure",
        "--text",
        "hi",
        "--timeout",
        "15",
    ]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("TLS handshake with 127.0.0.1:"), "{stderr}");
    let (_, stderr, code) = listen.finish();
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("msrp listen: "), "{stderr}");
    assert!(
        stderr.contains("closed before the session was bound"),
        "{stderr}"
    );
}

#[test]
fn a_plaintext_sender_and_a_tls_listener_both_fail_clearly() {
    let dir = TempDir::new("mismatch");
    let (cert, key) = certificate(&dir);
    let (listen, listen_path) = tls_listener(&cert, &key, &["--idle-timeout", "3"]);
    let plain_path = listen_path.replacen("msrps://", "msrp://", 1);
    let (_, stderr, code) = run(&[
        "send",
        "--to-path",
        &plain_path,
        "--text",
        "hi",
        "--timeout",
        "15",
    ]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("closed before the session was bound"),
        "{stderr}"
    );
    assert!(stderr.contains("TLS"), "a hint at TLS: {stderr}");
    let (_, stderr, code) = listen.finish();
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("TLS handshake with the peer failed"),
        "{stderr}"
    );
}

#[test]
fn an_untrusted_certificate_fails_the_handshake() {
    let dir = TempDir::new("untrusted");
    let (cert, key) = certificate(&dir);
    let other = TempDir::new("other");
    let (other_cert, _) = certificate(&other);
    let (listen, listen_path) = tls_listener(&cert, &key, &["--idle-timeout", "3"]);
    let (_, stderr, code) = run(&[
        "send",
        "--to-path",
        &listen_path,
        "--ca",
        &other_cert,
        "--text",
        "hi",
        "--timeout",
        "15",
    ]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("TLS handshake with 127.0.0.1:"), "{stderr}");
    let (_, _, code) = listen.finish();
    assert_eq!(code, Some(1));
}

#[test]
fn msrps_without_ca_or_insecure_is_a_usage_error() {
    let (_, stderr, code) = run(&[
        "send",
        "--to-path",
        "msrps://127.0.0.1:9/x;tcp",
        "--text",
        "hi",
    ]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("--ca FILE"), "{stderr}");
    assert!(stderr.contains("--insecure"), "{stderr}");
}
