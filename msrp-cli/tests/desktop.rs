//! `msrp desktop view` and `msrp desktop serve` as processes around a real
//! VNC server, Debian's Xtigervnc (headless, on 127.0.0.1): an RFB 3.8
//! client written here reads the handshake and a whole framebuffer update
//! once straight from Xtigervnc and once through view ↔ MSRP ↔ serve, and
//! the bytes must be the same. Over TCP, over TLS, and through the Kamailio
//! relay that `scripts/test` runs (its `MSRP_TEST_RELAY_*` variables).
//!
//! Xtigervnc comes from `tigervnc-standalone-server`, which
//! `scripts/vnc-harness install` installs; without it these tests fail.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;

/// A headless Xtigervnc on 127.0.0.1, killed on drop.
struct Xvnc {
    child: Option<Child>,
    port: u16,
    /// Its log.
    _dir: TempDir,
}

/// Width, height and depth of the test desktop: a raw update is
/// 640 × 480 × 4 bytes plus headers.
const GEOMETRY: &str = "640x480";

fn xtigervnc() -> PathBuf {
    let found = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .chain([PathBuf::from("/usr/bin")])
        .map(|dir| dir.join("Xtigervnc"))
        .find(|bin| bin.is_file());
    found.unwrap_or_else(|| {
        panic!(
            "Xtigervnc is not installed, and the desktop-sharing tests need a real VNC server: \
             apt-get install tigervnc-standalone-server (scripts/vnc-harness install does it)"
        )
    })
}

/// A port nothing listens on right now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

impl Xvnc {
    fn start() -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let bin = xtigervnc();
        let dir = TempDir::new("xvnc");
        for _ in 0..20 {
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let display = 300 + (std::process::id() % 400) * 16 + n % 16;
            if std::path::Path::new(&format!("/tmp/.X{display}-lock")).exists()
                || std::path::Path::new(&format!("/tmp/.X11-unix/X{display}")).exists()
            {
                continue;
            }
            let port = free_port();
            let log = dir.path(&format!("xvnc-{display}.log"));
            let out = std::fs::File::create(&log).expect("log file");
            let child = Command::new(&bin)
                .arg(format!(":{display}"))
                .args(["-geometry", GEOMETRY, "-depth", "24"])
                .args(["-SecurityTypes", "None", "-localhost=1", "-nolisten", "tcp"])
                .args(["-desktop", "msrp-test", "-rfbport", &port.to_string()])
                .stdin(Stdio::null())
                .stdout(out.try_clone().expect("log"))
                .stderr(out)
                .spawn()
                .expect("Xtigervnc starts");
            let mut child = child;
            let ready = Instant::now() + Duration::from_secs(15);
            let mut listening = false;
            while Instant::now() < ready {
                let text = std::fs::read_to_string(&log).unwrap_or_default();
                if text.contains("Listening for VNC connections") {
                    listening = true;
                    break;
                }
                if child.try_wait().ok().flatten().is_some() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            if listening {
                return Self {
                    child: Some(child),
                    port,
                    _dir: dir,
                };
            }
            let _ = child.kill();
            let _ = child.wait();
            // It died or never listened (a display or port taken meanwhile):
            // next display, next port.
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            eprintln!("Xtigervnc :{display} on port {port} did not start:\n{text}");
        }
        panic!("Xtigervnc did not start on any display (see the logs above)");
    }

    fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Stops it (as a crash or a shutdown of the VNC server would).
    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                if child.try_wait().ok().flatten().is_some() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Xvnc {
    fn drop(&mut self) {
        self.stop();
    }
}

/// An RFB 3.8 client (RFC 6143): version, security type None, ClientInit
/// (shared), ServerInit, one non-incremental FramebufferUpdateRequest for
/// the whole screen, and the whole raw update. Returns every byte the
/// server sent, in order.
fn rfb_probe(addr: &str) -> Vec<u8> {
    let mut socket = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect {addr}: {e}"));
    socket.set_read_timeout(Some(WAIT)).expect("timeout");
    let mut got = Vec::new();
    let mut read = |socket: &mut TcpStream, n: usize| -> Vec<u8> {
        let mut buf = vec![0; n];
        socket
            .read_exact(&mut buf)
            .unwrap_or_else(|e| panic!("reading {n} bytes after {}: {e}", got.len()));
        got.extend_from_slice(&buf);
        buf
    };
    let version = read(&mut socket, 12);
    assert_eq!(version, b"RFB 003.008\n");
    socket.write_all(&version).expect("version");
    let count = read(&mut socket, 1)[0] as usize;
    assert!(count > 0, "the server refused the connection");
    let types = read(&mut socket, count);
    assert!(types.contains(&1), "no security type None in {types:?}");
    socket.write_all(&[1]).expect("security type");
    assert_eq!(read(&mut socket, 4), [0, 0, 0, 0], "SecurityResult");
    socket.write_all(&[1]).expect("ClientInit");
    let init = read(&mut socket, 24);
    let (width, height) = (
        u16::from_be_bytes([init[0], init[1]]),
        u16::from_be_bytes([init[2], init[3]]),
    );
    let bits_per_pixel = init[4] as usize;
    let name_len = u32::from_be_bytes([init[20], init[21], init[22], init[23]]) as usize;
    read(&mut socket, name_len);
    let mut request = vec![3, 0, 0, 0, 0, 0];
    request.extend_from_slice(&width.to_be_bytes());
    request.extend_from_slice(&height.to_be_bytes());
    socket
        .write_all(&request)
        .expect("FramebufferUpdateRequest");
    let head = read(&mut socket, 4);
    assert_eq!(head[0], 0, "FramebufferUpdate");
    let rects = u16::from_be_bytes([head[2], head[3]]);
    let mut pixels = 0usize;
    for _ in 0..rects {
        let rect = read(&mut socket, 12);
        let (w, h) = (
            u16::from_be_bytes([rect[4], rect[5]]) as usize,
            u16::from_be_bytes([rect[6], rect[7]]) as usize,
        );
        let encoding = i32::from_be_bytes([rect[8], rect[9], rect[10], rect[11]]);
        assert_eq!(encoding, 0, "only Raw was offered");
        read(&mut socket, w * h * bits_per_pixel / 8);
        pixels += w * h;
    }
    assert_eq!(pixels, width as usize * height as usize, "a whole screen");
    got
}

/// Compares two byte streams, saying where they first differ.
fn assert_same(direct: &[u8], tunnelled: &[u8]) {
    if direct != tunnelled {
        let at = direct
            .iter()
            .zip(tunnelled)
            .position(|(a, b)| a != b)
            .unwrap_or(direct.len().min(tunnelled.len()));
        panic!(
            "the tunnel changed the RFB stream: {} bytes direct, {} through it, first \
             difference at byte {at}",
            direct.len(),
            tunnelled.len()
        );
    }
}

/// Reads the JSON lines up to the one of kind `event`.
fn until(p: &mut Msrp, event: &str) -> Value {
    loop {
        let line = p.event();
        if line["event"] == event {
            return line;
        }
    }
}

/// The address in view's "listening" line.
fn listening(view: &mut Msrp) -> String {
    let line = until(view, "listening");
    line["address"].as_str().expect("an address").to_owned()
}

/// Checks a "closed" line and the exit of a side that ended in order.
fn expect_clean_end(p: Msrp, name: &str) -> Value {
    let (rest, stderr, code) = p.finish();
    let closed: Value = rest
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|v| v["event"] == "closed")
        .unwrap_or_else(|| panic!("{name}: no closed line in {rest:?}; stderr:\n{stderr}"));
    assert_eq!(code, Some(0), "{name}: {closed}; stderr:\n{stderr}");
    assert_eq!(closed["clean"], true, "{name}: {closed}");
    closed
}

/// The size of the probe's stream: the handshake and a raw 640x480x32
/// update (1,228,864 bytes).
fn check_size(bytes: &[u8]) {
    let update = 640 * 480 * 4;
    assert!(
        bytes.len() > update + 4 && bytes.len() < update + 4096,
        "{} bytes",
        bytes.len()
    );
}

#[test]
fn rfb_through_view_and_serve_over_tcp_is_byte_for_byte_direct_rfb() {
    let xvnc = Xvnc::start();
    let direct = rfb_probe(&xvnc.addr());
    check_size(&direct);

    // view answers, serve calls.
    let mut view = Msrp::start(&[
        "desktop",
        "view",
        "--listen",
        "127.0.0.1:0",
        "--bind",
        "127.0.0.1:0",
    ]);
    let view_path = view.line();
    let viewer_at = listening(&mut view);
    let mut serve = Msrp::start(&[
        "desktop",
        "serve",
        "--vnc",
        &xvnc.addr(),
        "--to-path",
        &view_path,
    ]);
    let serve_path = serve.line();
    assert_eq!(until(&mut serve, "bound")["remote_path"][0], view_path);
    let bound = until(&mut view, "bound");
    assert_eq!(bound["remote_path"][0], serve_path);

    let tunnelled = rfb_probe(&viewer_at);
    assert_same(&direct, &tunnelled);
    // The probe has closed its socket: view ends, and so does serve.
    let view_closed = expect_clean_end(view, "view");
    let serve_closed = expect_clean_end(serve, "serve");
    assert_eq!(view_closed["reason"], "the local socket closed");
    assert_eq!(serve_closed["reason"], "the peer ended the session");
    assert_eq!(view_closed["bytes_from_peer"], direct.len());
    assert_eq!(serve_closed["bytes_to_peer"], direct.len());
    assert_eq!(
        view_closed["bytes_to_peer"],
        serve_closed["bytes_from_peer"]
    );
    // A message per read of at most 8 KiB: a full update is ~150 of them.
    assert!(view_closed["messages_from_peer"].as_u64().unwrap() >= 150);
    assert!(view_closed["largest_from_peer"].as_u64().unwrap() <= 8192);
}

#[test]
fn rfb_through_serve_and_view_over_tls_is_byte_for_byte_direct_rfb() {
    let xvnc = Xvnc::start();
    let dir = TempDir::new("desktop-tls");
    let (cert, key) = certificate(&dir);
    let direct = rfb_probe(&xvnc.addr());

    // serve answers with TLS, view calls; on smol.
    let mut serve = Msrp::start(&[
        "desktop",
        "serve",
        "--vnc",
        &xvnc.addr(),
        "--bind",
        "127.0.0.1:0",
        "--tls",
        "--cert",
        &cert,
        "--key",
        &key,
        "--runtime",
        "smol",
    ]);
    let serve_path = serve.line();
    assert!(serve_path.starts_with("msrps://"), "{serve_path}");
    let mut view = Msrp::start(&[
        "desktop",
        "view",
        "--to-path",
        &serve_path,
        "--ca",
        &cert,
        "--runtime",
        "smol",
    ]);
    let view_path = view.line();
    assert!(view_path.starts_with("msrps://"), "{view_path}");
    let viewer_at = listening(&mut view);
    until(&mut view, "bound");
    assert_eq!(until(&mut serve, "started")["role"], "server");

    let tunnelled = rfb_probe(&viewer_at);
    assert_same(&direct, &tunnelled);
    let view_closed = expect_clean_end(view, "view");
    let serve_closed = expect_clean_end(serve, "serve");
    assert_eq!(view_closed["bytes_from_peer"], direct.len());
    assert_eq!(serve_closed["bytes_to_peer"], direct.len());
}

/// The viewing side behind the relay (TLS), the serving side calling its
/// path through the relay: every chunk is one Kamailio frame of at most
/// 10 KiB, and when the viewer quits, serve learns it from the relay (its
/// keep-alive is refused) and ends too.
#[test]
fn rfb_through_the_relay_is_byte_for_byte_direct_rfb() {
    let xvnc = Xvnc::start();
    let direct = rfb_probe(&xvnc.addr());
    let relay_tls = format!("msrps://{}", relay_var("MSRP_TEST_RELAY_TLS"));
    let ca = relay_var("MSRP_TEST_RELAY_CA");
    let password = relay_var("MSRP_TEST_RELAY_PASSWORD");

    let mut view = Msrp::start_with_env(
        &[
            "desktop",
            "view",
            "--relay",
            &relay_tls,
            "--relay-user",
            &relay_var("MSRP_TEST_RELAY_USER2"),
            "--relay-ca",
            &ca,
            "--runtime",
            "async-std",
        ],
        &[("MSRP_RELAY_PASSWORD", &password)],
    );
    let view_path = view.line();
    assert_eq!(
        words(&view_path).len(),
        2,
        "the relay, then view: {view_path}"
    );
    let viewer_at = listening(&mut view);
    let mut serve = Msrp::start(&[
        "desktop",
        "serve",
        "--vnc",
        &xvnc.addr(),
        "--to-path",
        &view_path,
        "--ca",
        &ca,
        "--keepalive",
        "1",
        "--runtime",
        "async-std",
    ]);
    serve.line();
    until(&mut serve, "bound");
    until(&mut view, "bound");

    let tunnelled = rfb_probe(&viewer_at);
    assert_same(&direct, &tunnelled);
    let view_closed = expect_clean_end(view, "view");
    let serve_closed = expect_clean_end(serve, "serve");
    assert_eq!(view_closed["bytes_from_peer"], direct.len());
    for closed in [&view_closed, &serve_closed] {
        let largest = closed["largest_from_peer"].as_u64().unwrap();
        assert!(
            largest <= 10240,
            "a chunk too large for the relay: {closed}"
        );
    }
}

/// Both sides behind the relay (view over TLS, serve over TCP): the bytes
/// arrive the same. Kamailio passes no end on between two of its sessions
/// (a refused keep-alive never comes back), so serve ends when its VNC
/// server does.
#[test]
fn rfb_with_both_sides_behind_the_relay_is_byte_for_byte_direct_rfb() {
    let mut xvnc = Xvnc::start();
    let direct = rfb_probe(&xvnc.addr());
    let password = relay_var("MSRP_TEST_RELAY_PASSWORD");
    let env = [("MSRP_RELAY_PASSWORD", password.as_str())];

    let mut view = Msrp::start_with_env(
        &[
            "desktop",
            "view",
            "--relay",
            &format!("msrps://{}", relay_var("MSRP_TEST_RELAY_TLS")),
            "--relay-user",
            &relay_var("MSRP_TEST_RELAY_USER2"),
            "--relay-ca",
            &relay_var("MSRP_TEST_RELAY_CA"),
        ],
        &env,
    );
    let view_path = view.line();
    let viewer_at = listening(&mut view);
    let mut serve = Msrp::start_with_env(
        &[
            "desktop",
            "serve",
            "--vnc",
            &xvnc.addr(),
            "--to-path",
            &view_path,
            "--relay",
            &format!("msrp://{}", relay_var("MSRP_TEST_RELAY_TCP")),
            "--relay-user",
            &relay_var("MSRP_TEST_RELAY_USER"),
        ],
        &env,
    );
    assert_eq!(words(&serve.line()).len(), 2);
    until(&mut serve, "bound");
    until(&mut view, "bound");

    let tunnelled = rfb_probe(&viewer_at);
    assert_same(&direct, &tunnelled);
    let view_closed = expect_clean_end(view, "view");
    assert!(view_closed["largest_from_peer"].as_u64().unwrap() <= 10240);
    // The VNC server goes away: serve ends in order.
    xvnc.stop();
    let serve_closed = expect_clean_end(serve, "serve");
    assert_eq!(serve_closed["reason"], "the local socket closed");
    assert_eq!(serve_closed["bytes_to_peer"], direct.len());
}
