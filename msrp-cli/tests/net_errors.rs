//! Error cases of `msrp listen` and `msrp send`: bad URIs and flags (exit
//! status 2, a message naming the flag and what it expects), a bad path on
//! standard input, nobody listening (connection refused), nobody coming.
#![forbid(unsafe_code)]

mod common;

use common::*;

/// Runs msrp and expects exit status 2 with all of `needles` on stderr.
fn usage_error(args: &[&str], needles: &[&str]) {
    let (stdout, stderr, code) = run(args);
    assert_eq!(code, Some(2), "{args:?}: {stderr}");
    assert!(stdout.is_empty(), "{args:?} printed {stdout}");
    for needle in needles {
        assert!(
            stderr.contains(needle),
            "{args:?}: {needle:?} not in {stderr}"
        );
    }
}

#[test]
fn a_bad_to_path_names_the_flag_the_shape_and_the_position() {
    usage_error(
        &["send", "--to-path", "msrp:/x", "--text", "hi"],
        &[
            "invalid value 'msrp:/x' for '--to-path <URI>",
            "expected an MSRP URI like msrp://host:port/session;tcp",
            "at character 5",
        ],
    );
    usage_error(
        &["send", "--to-path", "msrp://h:99999/s;tcp"],
        &["--to-path", "port number larger than 65535"],
    );
}

#[test]
fn bad_flags_of_send() {
    usage_error(&["send"], &["--to-path"]);
    let to = "msrp://127.0.0.1:9/x;tcp";
    usage_error(
        &["send", "--to-path", to, "--chunk-size", "0"],
        &["--chunk-size", "at least 1"],
    );
    usage_error(
        &["send", "--to-path", to, "--success-report", "maybe"],
        &["--success-report"],
    );
    usage_error(
        &["send", "--to-path", to, "--failure-report", "sometimes"],
        &["--failure-report"],
    );
    usage_error(
        &["send", "--to-path", to, "--timeout", "0"],
        &["--timeout", "seconds"],
    );
    usage_error(
        &["send", "--to-path", to, "--content-type", "nonsense"],
        &["--content-type"],
    );
    usage_error(
        &["send", "--to-path", to, "--file", "/no/such/file"],
        &["--file /no/such/file"],
    );
    usage_error(
        &["send", "--to-path", to, "--ca", "x", "--insecure"],
        &["--insecure"],
    );
    usage_error(
        &["send", "--to-path", to, "--session-id", "a b"],
        &["--session-id"],
    );
}

#[test]
fn bad_flags_of_listen() {
    usage_error(&["listen", "--bind", "localhost"], &["--bind", "HOST:PORT"]);
    usage_error(
        &["listen", "--remote-path", "msrp://x"],
        &["--remote-path", "expected an MSRP URI"],
    );
    usage_error(&["listen", "--tls"], &["--cert", "--key"]);
    usage_error(&["listen", "--count", "0"], &["--count"]);
    usage_error(&["listen", "--idle-timeout", "soon"], &["--idle-timeout"]);
    usage_error(
        &[
            "listen",
            "--bind",
            "127.0.0.1:0",
            "--out-dir",
            "/no/such/dir",
        ],
        &["--out-dir /no/such/dir"],
    );
}

#[test]
fn a_bad_path_on_standard_input() {
    let mut listen = Msrp::start(&["listen", "--bind", "127.0.0.1:0", "--remote-path", "-"]);
    let _ = listen.line();
    listen.send_line("msrp:/x");
    let (_, stderr, code) = listen.finish();
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("--remote-path -"), "{stderr}");
    assert!(stderr.contains("at character 5"), "{stderr}");
}

#[test]
fn nobody_listening_is_a_refused_connection() {
    // A port that was free a moment ago: nothing listens there now.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let to = format!("msrp://127.0.0.1:{port}/nobody;tcp");
    let (_, stderr, code) = run(&["send", "--to-path", &to, "--text", "hello?"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "cannot connect to 127.0.0.1:{port}: connection refused"
        )),
        "{stderr}"
    );
}

#[test]
fn nobody_coming_ends_listen_after_the_idle_timeout() {
    let mut listen = Msrp::start(&["listen", "--bind", "127.0.0.1:0", "--idle-timeout", "0.3"]);
    let _ = listen.line();
    let (_, stderr, code) = listen.finish();
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("no peer connected in time"), "{stderr}");
}

#[test]
fn the_port_in_use_is_reported() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let bind = taken.local_addr().unwrap().to_string();
    let (_, stderr, code) = run(&["listen", "--bind", &bind]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("cannot listen on {bind}")),
        "{stderr}"
    );
}
