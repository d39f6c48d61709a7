//! How `msrp desktop` ends: the viewer quitting, the VNC server hanging up,
//! a VNC server that is not there, nobody coming, and bad arguments. The
//! VNC server here is a stand-in (a socket that greets like one), so that
//! the test can watch its socket close.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread;

use common::*;
use serde_json::Value;

const GREETING: &[u8] = b"RFB 003.008\n";

/// A stand-in VNC server on a free port: it accepts one connection, greets,
/// and hands the socket to `then`.
fn fake_vnc<T: Send + 'static>(
    then: impl FnOnce(TcpStream) -> T + Send + 'static,
) -> (String, mpsc::Receiver<T>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("listen");
    let addr = listener.local_addr().expect("address").to_string();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let (mut socket, _) = listener.accept().expect("accept");
        socket.set_read_timeout(Some(WAIT)).expect("timeout");
        socket.write_all(GREETING).expect("greet");
        let _ = tx.send(then(socket));
    });
    (addr, rx)
}

fn until(p: &mut Msrp, event: &str) -> Value {
    loop {
        let line = p.event();
        if line["event"] == event {
            return line;
        }
    }
}

/// The end of a run: its "closed" line, stderr, exit code.
fn end(p: Msrp) -> (Value, String, Option<i32>) {
    let (rest, stderr, code) = p.finish();
    let closed = rest
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|v| v["event"] == "closed")
        .unwrap_or(Value::Null);
    (closed, stderr, code)
}

/// `view` answering on a free port; its path and where the viewer goes.
fn view(args: &[&str]) -> (Msrp, String, String) {
    let mut all = vec!["desktop", "view", "--bind", "127.0.0.1:0"];
    all.extend_from_slice(args);
    let mut view = Msrp::start(&all);
    let path = view.line();
    let listening = until(&mut view, "listening");
    let at = listening["address"].as_str().expect("address").to_owned();
    (view, path, at)
}

#[test]
fn the_viewer_quitting_closes_the_vnc_servers_socket_and_both_exit_0() {
    // The stand-in reads the viewer's version, then waits for the end.
    let (vnc, vnc_end) = fake_vnc(|mut socket| {
        let mut version = [0u8; 12];
        socket
            .read_exact(&mut version)
            .expect("the viewer's version");
        let mut rest = Vec::new();
        (version, socket.read_to_end(&mut rest).map(|_| rest.len()))
    });
    let (view, path, viewer_at) = view(&[]);
    let mut serve = Msrp::start(&[
        "desktop",
        "serve",
        "--vnc",
        &vnc,
        "--to-path",
        &path,
        "--runtime",
        "async-std",
    ]);
    serve.line();
    assert_eq!(until(&mut serve, "started")["local"], vnc);

    let mut viewer = TcpStream::connect(&viewer_at).expect("connect the viewer");
    viewer.set_read_timeout(Some(WAIT)).expect("timeout");
    let mut greeting = [0u8; 12];
    viewer.read_exact(&mut greeting).expect("the greeting");
    assert_eq!(greeting, GREETING);
    viewer.write_all(&greeting).expect("answer");
    // The viewer quits once its answer is through.
    let mut nothing = [0u8; 1];
    viewer
        .set_read_timeout(Some(std::time::Duration::from_millis(300)))
        .expect("timeout");
    assert!(viewer.read(&mut nothing).is_err(), "nothing more comes");
    drop(viewer);
    let (version, rest) = vnc_end.recv_timeout(WAIT).expect("the VNC socket ends");
    assert_eq!(version, *GREETING);
    // Closed by the tunnel: a clean end of stream, nothing more.
    assert_eq!(rest.expect("a clean end"), 0);

    let (closed, stderr, code) = end(view);
    assert_eq!(code, Some(0), "view: {closed} {stderr}");
    assert_eq!(closed["reason"], "the local socket closed");
    let (closed, stderr, code) = end(serve);
    assert_eq!(code, Some(0), "serve: {closed} {stderr}");
    assert_eq!(closed["reason"], "the peer ended the session");
    assert_eq!(
        (
            closed["bytes_to_peer"].as_u64(),
            closed["bytes_from_peer"].as_u64()
        ),
        (Some(12), Some(12))
    );
}

#[test]
fn the_vnc_server_hanging_up_closes_the_viewer_and_both_exit_0() {
    let last: Vec<u8> = (0..300_000u32).map(|i| (i * 7 + i / 251) as u8).collect();
    let sent = last.clone();
    let (vnc, _) = fake_vnc(move |mut socket| {
        socket.write_all(&sent).expect("write");
        // Dropping the socket closes it.
    });
    let (view, path, viewer_at) = view(&["--runtime", "smol"]);
    let serve = Msrp::start(&["desktop", "serve", "--vnc", &vnc, "--to-path", &path]);

    let mut viewer = TcpStream::connect(&viewer_at).expect("connect the viewer");
    viewer.set_read_timeout(Some(WAIT)).expect("timeout");
    let mut got = Vec::new();
    viewer
        .read_to_end(&mut got)
        .expect("the viewer's socket ends cleanly");
    assert_eq!(&got[..12], GREETING);
    assert!(got[12..] == last[..], "{} bytes", got.len());

    let (closed, stderr, code) = end(serve);
    assert_eq!(code, Some(0), "serve: {closed} {stderr}");
    assert_eq!(closed["reason"], "the local socket closed");
    let (closed, stderr, code) = end(view);
    assert_eq!(code, Some(0), "view: {closed} {stderr}");
    assert_eq!(closed["reason"], "the peer ended the session");
    assert_eq!(closed["bytes_from_peer"].as_u64(), Some(300_012));
}

#[test]
fn an_unreachable_vnc_server_is_an_error_and_the_viewer_is_let_go() {
    let nobody = TcpListener::bind("127.0.0.1:0").expect("a port");
    let port = nobody.local_addr().expect("address").port();
    drop(nobody);
    let vnc = format!("127.0.0.1:{port}");
    let (view, path, viewer_at) = view(&[]);
    let serve = Msrp::start(&["desktop", "serve", "--vnc", &vnc, "--to-path", &path]);
    let (closed, stderr, code) = end(serve);
    assert_eq!(code, Some(1), "{closed} {stderr}");
    assert!(
        stderr.contains(&format!("cannot connect to the VNC server at {vnc}"))
            && stderr.contains("is the VNC server running"),
        "{stderr}"
    );
    assert_eq!(closed["clean"], false, "{closed}");

    // The viewing side lets its viewer go, and ends in order.
    let mut viewer = TcpStream::connect(&viewer_at).expect("connect the viewer");
    viewer.set_read_timeout(Some(WAIT)).expect("timeout");
    let mut got = Vec::new();
    viewer.read_to_end(&mut got).expect("closed");
    assert!(got.is_empty());
    let (closed, stderr, code) = end(view);
    assert_eq!(code, Some(0), "view: {closed} {stderr}");
    assert_eq!(closed["reason"], "the peer ended the session");
}

#[test]
fn nobody_coming_in_time_is_an_error() {
    let (view, _, _) = view(&["--timeout", "1"]);
    let (_, stderr, code) = end(view);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("no peer connected in time"), "{stderr}");
}

#[test]
fn a_viewer_port_in_use_is_an_error() {
    let taken = TcpListener::bind("127.0.0.1:0").expect("a port");
    let at = taken.local_addr().expect("address").to_string();
    let (_, stderr, code) = run(&["desktop", "view", "--listen", &at, "--bind", "127.0.0.1:0"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("cannot listen on {at} for the VNC viewer")),
        "{stderr}"
    );
}

#[test]
fn bad_arguments_say_what_is_expected() {
    let cases: &[(&[&str], &str)] = &[
        (&["desktop"], "Usage"),
        (&["desktop", "serve", "--vnc", "127.0.0.1"], "HOST:PORT"),
        (&["desktop", "serve", "--vnc", "127.0.0.1:0"], "port 0"),
        (&["desktop", "view", "--listen", "here"], "HOST:PORT"),
        (
            &["desktop", "view", "--to-path", "msrp:/x"],
            "expected an MSRP URI",
        ),
        (
            &[
                "desktop",
                "view",
                "--to-path",
                "msrp://127.0.0.1:9/x;tcp",
                "--tls",
                "--cert",
                "c.pem",
                "--key",
                "k.pem",
            ],
            "cannot be used with",
        ),
        (
            &["desktop", "serve", "--to-path", "msrps://127.0.0.1:9/x;tcp"],
            "give --ca FILE",
        ),
        (
            &["desktop", "view", "--relay", "msrp://127.0.0.1:9"],
            "--relay-user",
        ),
    ];
    for (args, expected) in cases {
        let (_, stderr, code) = run(args);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
}
