//! `--runtime tokio|async-std|smol`: `msrp listen` and `msrp send` on
//! different runtimes talk to each other (texts and a file, over TCP and
//! TLS) exactly as on tokio, and `msrp bench` runs on each one; the flag is
//! documented, and a bad value is refused naming the choices.
#![forbid(unsafe_code)]

mod common;

use common::*;
use serde_json::Value;

/// TLS material for a listener and the sender's trust in it.
struct Tls {
    cert: String,
    key: String,
}

/// `listen --runtime LISTEN` and `send --runtime SEND` exchange two texts
/// and a file; both sides report the same SHA-256 values and the file in
/// --out-dir has the sent bytes. The sender's path reaches the listener on
/// its standard input, as in an SDP exchange.
fn exchange(listen_rt: &str, send_rt: &str, tls: bool) {
    let dir = TempDir::new(&format!("rt-{listen_rt}-{send_rt}"));
    let tls = tls.then(|| {
        let (cert, key) = certificate(&dir);
        Tls { cert, key }
    });
    let file = dir.path("data.bin");
    let file_sha = random_file(&file, 2 << 20);
    let out_dir = dir.path("out");
    std::fs::create_dir(&out_dir).unwrap();

    let mut args = vec![
        "listen",
        "--runtime",
        listen_rt,
        "--bind",
        "127.0.0.1:0",
        "--remote-path",
        "-",
        "--out-dir",
        out_dir.to_str().unwrap(),
        "--count",
        "3",
    ];
    if let Some(tls) = &tls {
        args.extend(["--tls", "--cert", &tls.cert, "--key", &tls.key]);
    }
    let mut listen = Msrp::start(&args);
    let listen_path = listen.line();
    let scheme = if tls.is_some() { "msrps://" } else { "msrp://" };
    assert!(listen_path.starts_with(scheme), "{listen_path}");

    let mut args = vec!["send", "--runtime", send_rt, "--to-path", &listen_path];
    if let Some(tls) = &tls {
        args.extend(["--ca", &tls.cert]);
    }
    args.extend([
        "--text",
        "Hello, Bob",
        "--text",
        "second line",
        "--file",
        file.to_str().unwrap(),
        "--success-report",
        "yes",
        "--chunk-size",
        "32K",
        "--timeout",
        "15",
    ]);
    let mut send = Msrp::start(&args);
    let send_path = send.line();
    assert!(send_path.starts_with(scheme), "{send_path}");
    listen.send_line(&send_path);

    assert_eq!(listen.event()["event"], "bound");
    assert_eq!(send.event()["event"], "bound");
    let expected = [
        (sha256(b"Hello, Bob"), 10),
        (sha256(b"second line"), 11),
        (file_sha.clone(), 2 << 20),
    ];
    let received = expect_received(&mut listen, &expected);
    let ids: Vec<_> = received.iter().map(message_id).collect();
    let (rest, stderr, code) = listen.finish();
    assert_eq!(code, Some(0), "listen on {listen_rt}: {stderr}");
    let closed: Value = serde_json::from_str(&rest[0]).unwrap();
    assert_eq!(closed["event"], "closed");

    expect_delivered(&mut send, &received);
    let summary = send.event();
    assert_eq!(summary["ok"], true, "{summary}");
    assert_eq!(summary["messages"], 3);
    let (_, stderr, code) = send.finish();
    assert_eq!(code, Some(0), "send on {send_rt}: {stderr}");

    // The file the listener wrote is the file that was sent.
    let written = std::fs::read(out_dir.join(ids[2])).unwrap();
    assert_eq!(sha256(&written), file_sha);
    assert_eq!(std::fs::read(out_dir.join(ids[0])).unwrap(), b"Hello, Bob");
}

#[test]
fn tokio_listen_and_smol_send() {
    exchange("tokio", "smol", false);
}

#[test]
fn async_std_listen_and_tokio_send() {
    exchange("async-std", "tokio", false);
}

#[test]
fn smol_listen_and_smol_send_over_tls() {
    exchange("smol", "smol", true);
}

#[test]
fn async_std_listen_and_async_std_send_over_tls() {
    exchange("async-std", "async-std", true);
}

/// `msrp bench --runtime RT` on 8 MiB, three rounds: one JSON object
/// naming the runtime first, then the same 24 keys as on tokio (the CPU
/// figures on Linux), every figure above zero.
fn bench(runtime: &str) {
    let (stdout, stderr, code) = run(&[
        "bench",
        "--runtime",
        runtime,
        "--bytes",
        "8388608",
        "--repeat",
        "3",
        "--json",
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert!(
        stdout.starts_with(&format!("{{\"runtime\":\"{runtime}\",\"bytes\":8388608,")),
        "{stdout}"
    );
    assert_eq!(report.as_object().unwrap().len(), 24, "{stdout}");
    for key in [
        "raw_tcp_gbps",
        "msrp_tcp_gbps",
        "tcp_ratio",
        "raw_tls_gbps",
        "msrp_tls_gbps",
        "tls_ratio",
    ]
    .into_iter()
    .chain(BENCH_CPU_KEYS)
    {
        let value = report[key].as_f64().unwrap_or(0.0);
        assert!(value > 0.0, "{key} = {value} in {stdout}");
    }
}

#[test]
fn bench_on_smol() {
    bench("smol");
}

#[test]
fn bench_on_async_std() {
    bench("async-std");
}

#[test]
fn the_runtime_flag_is_documented_and_checked() {
    for command in ["listen", "send", "bench"] {
        let (stdout, stderr, code) = run(&[command, "--help"]);
        assert_eq!(code, Some(0), "{stderr}");
        assert!(
            stdout.contains("--runtime <RUNTIME>"),
            "{command}: {stdout}"
        );
        for value in ["tokio", "async-std", "smol", "[default: tokio]"] {
            assert!(stdout.contains(value), "{command}: {value} in {stdout}");
        }
    }
    let (stdout, stderr, code) = run(&["bench", "--runtime", "glommio"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        stderr.contains("invalid value 'glommio' for '--runtime <RUNTIME>'"),
        "{stderr}"
    );
    assert!(
        stderr.contains("[possible values: tokio, async-std, smol]"),
        "{stderr}"
    );
}

#[test]
fn idle_timeouts_fire_on_every_runtime() {
    for runtime in ["async-std", "smol"] {
        // Nobody connects, and no path comes on standard input: the
        // runtime's timers end the wait.
        let mut listen = Msrp::start(&[
            "listen",
            "--runtime",
            runtime,
            "--bind",
            "127.0.0.1:0",
            "--remote-path",
            "-",
            "--idle-timeout",
            "0.3",
        ]);
        let _ = listen.line();
        // Standard input stays open: its end would be an error of its own.
        let stdin = listen.stdin.take();
        let (_, stderr, code) = listen.finish();
        drop(stdin);
        assert_eq!(code, Some(1), "{runtime}: {stderr}");
        assert!(
            stderr.contains("no path arrived on standard input in time"),
            "{runtime}: {stderr}"
        );
    }
}
