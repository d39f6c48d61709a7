//! Helpers for the end-to-end tests of `msrp listen` and `msrp send`: child
//! processes that are killed if a test fails, line reads with a deadline,
//! temporary folders, certificates made with rcgen.
#![allow(dead_code, unreachable_pub)] // each test file uses a different part

pub mod chat;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::Duration;

use serde_json::Value;
use sha2::{Digest, Sha256};

pub const BIN: &str = env!("CARGO_BIN_EXE_msrp");

/// The longest any single wait may take; far above what a passing run
/// needs, so only a hang reaches it.
pub const WAIT: Duration = Duration::from_secs(20);

/// A running `msrp` whose stdout lines arrive through a channel. Killed on
/// drop, so a failing test leaves no process behind.
pub struct Msrp {
    child: Option<Child>,
    pub stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    stderr: Receiver<String>,
    exit: Option<ExitStatus>,
}

impl Msrp {
    /// Starts `msrp ARGS` with piped stdin, stdout and stderr.
    pub fn start(args: &[&str]) -> Self {
        Self::start_with_env(args, &[])
    }

    /// [`start`](Self::start) with extra environment variables.
    pub fn start_with_env(args: &[&str], env: &[(&str, &str)]) -> Self {
        let mut child = Command::new(BIN)
            .args(args)
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("msrp starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut stderr_pipe = child.stderr.take().expect("stderr");
        let (tx, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let (etx, stderr) = mpsc::channel();
        thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr_pipe.read_to_string(&mut text);
            let _ = etx.send(text);
        });
        Self {
            stdin: child.stdin.take(),
            child: Some(child),
            lines,
            stderr,
            exit: None,
        }
    }

    /// The next stdout line, or a panic after [`WAIT`].
    pub fn line(&mut self) -> String {
        match self.lines.recv_timeout(WAIT) {
            Ok(line) => line,
            Err(_) => {
                let err = self.kill_and_stderr();
                panic!("no line from msrp within {WAIT:?}; stderr:\n{err}");
            }
        }
    }

    /// The next stdout line as JSON.
    pub fn event(&mut self) -> Value {
        let line = self.line();
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))
    }

    /// Writes a line to its standard input.
    pub fn send_line(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin is open");
        writeln!(stdin, "{line}").expect("write to stdin");
        stdin.flush().expect("flush stdin");
    }

    /// Waits for it to exit (at most [`WAIT`]); the rest of stdout as
    /// lines, stderr, and the exit code.
    pub fn finish(mut self) -> (Vec<String>, String, Option<i32>) {
        drop(self.stdin.take());
        let mut child = self.child.take().expect("running");
        // The stdout reader ends when the process does; its channel then
        // disconnects, which bounds this loop by WAIT.
        let mut rest = Vec::new();
        loop {
            match self.lines.recv_timeout(WAIT) {
                Ok(line) => rest.push(line),
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    let err = self.stderr.recv_timeout(WAIT).unwrap_or_default();
                    panic!("msrp did not exit within {WAIT:?}; stdout {rest:?}; stderr:\n{err}");
                }
            }
        }
        let status = child.wait().expect("wait");
        self.exit = Some(status);
        let stderr = self.stderr.recv_timeout(WAIT).unwrap_or_default();
        (rest, stderr, status.code())
    }

    fn kill_and_stderr(&mut self) -> String {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        self.stderr.recv_timeout(WAIT).unwrap_or_default()
    }
}

impl Drop for Msrp {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Runs `msrp ARGS` to the end (at most [`WAIT`]): stdout, stderr, code.
pub fn run(args: &[&str]) -> (String, String, Option<i32>) {
    let (lines, stderr, code) = Msrp::start(args).finish();
    (lines.join("\n"), stderr, code)
}

/// Splits a path line into its URIs.
pub fn words(line: &str) -> Vec<&str> {
    line.split_whitespace().collect()
}

/// A fresh empty folder under the system's temporary folder, removed on
/// drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("msrp-cli-test-{}-{name}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        Self(dir)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    pub fn str(&self, name: &str) -> String {
        self.path(name).to_string_lossy().into_owned()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Writes `size` pseudo-random bytes to `path`; returns their SHA-256.
pub fn random_file(path: &Path, size: usize) -> String {
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let data: Vec<u8> = (0..size)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect();
    std::fs::write(path, &data).expect("write file");
    sha256(&data)
}

pub fn sha256(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// A self-signed certificate for 127.0.0.1 in `dir`: (cert.pem, key.pem).
pub fn certificate(dir: &TempDir) -> (String, String) {
    let certified =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()])
            .expect("certificate");
    std::fs::write(dir.path("cert.pem"), certified.cert.pem()).expect("write cert");
    std::fs::write(dir.path("key.pem"), certified.signing_key.serialize_pem()).expect("key");
    (dir.str("cert.pem"), dir.str("key.pem"))
}

/// Reads one `message` event from `listen` per expected `(sha256, size)`,
/// in order, checking both; the events, for further checks.
pub fn expect_received(listen: &mut Msrp, expected: &[(String, u64)]) -> Vec<Value> {
    expected
        .iter()
        .map(|(sha, size)| {
            let message = listen.event();
            assert_eq!(message["event"], "message", "{message}");
            assert_eq!(message["sha256"], *sha, "{message}");
            assert_eq!(message["size"], *size, "{message}");
            message
        })
        .collect()
}

/// Reads one `sent` event from `send` per message that `listen` received
/// (`received`, from [`expect_received`]): the same Message-ID, hash and
/// size, delivered. The events, for further checks.
pub fn expect_delivered(send: &mut Msrp, received: &[Value]) -> Vec<Value> {
    received
        .iter()
        .map(|message| {
            let sent = send.event();
            assert_eq!(sent["event"], "sent", "{sent}");
            for key in ["message_id", "sha256", "size"] {
                assert_eq!(sent[key], message[key], "{key}: {sent} against {message}");
            }
            assert_eq!(sent["outcome"], "delivered", "{sent}");
            sent
        })
        .collect()
}

/// The Message-ID of a `message` event.
pub fn message_id(message: &Value) -> &str {
    message["message_id"].as_str().expect("a message_id")
}

// ---- the Kamailio relay of the test suite -----------------------------------

/// A `MSRP_TEST_RELAY_*` variable of the relay `scripts/test` runs; fails,
/// saying how to get one, when there is none.
pub fn relay_var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!(
            "{name} is not set: the relay tests need the Kamailio relay of the test suite; \
             run ./scripts/test, or `scripts/relay-harness start /tmp/relay` and \
             `set -a; . /tmp/relay/env; set +a` before cargo test"
        )
    })
}

/// The relay's URIs and test accounts.
pub struct Relay {
    pub tls: String,
    pub tcp: String,
    pub ca: String,
    pub user: String,
    pub user2: String,
    pub password: String,
}

/// The relay of the environment.
pub fn relay() -> Relay {
    Relay {
        tls: format!("msrps://{}", relay_var("MSRP_TEST_RELAY_TLS")),
        tcp: format!("msrp://{}", relay_var("MSRP_TEST_RELAY_TCP")),
        ca: relay_var("MSRP_TEST_RELAY_CA"),
        user: relay_var("MSRP_TEST_RELAY_USER"),
        user2: relay_var("MSRP_TEST_RELAY_USER2"),
        password: relay_var("MSRP_TEST_RELAY_PASSWORD"),
    }
}

/// The CPU figures of `msrp bench --json` (on Linux, where the tests run),
/// in the order they are printed, last in the report.
pub const BENCH_CPU_KEYS: [&str; 6] = [
    "tcp_cpu_ratio",
    "tls_cpu_ratio",
    "raw_tcp_cpu_s_per_gib",
    "msrp_tcp_cpu_s_per_gib",
    "raw_tls_cpu_s_per_gib",
    "msrp_tls_cpu_s_per_gib",
];
