//! Helpers for the `msrp file` process tests: the SDP exchange between two
//! processes (stdout block → stdin), events by name, file digests.
#![allow(dead_code, unreachable_pub)] // each test file uses a different part

use serde_json::Value;
use sha1::{Digest, Sha1};

use crate::common::Msrp;

/// The SDP block a process printed (lines up to the empty one).
pub fn sdp_block(from: &mut Msrp) -> Vec<String> {
    let mut lines = Vec::new();
    loop {
        let line = from.line();
        if line.is_empty() {
            if lines.is_empty() {
                continue;
            }
            return lines;
        }
        assert!(
            !line.starts_with('{'),
            "expected an SDP line, got an event: {line} (after {lines:?})"
        );
        lines.push(line);
    }
}

/// Gives an SDP block to a process's standard input.
pub fn give_sdp(to: &mut Msrp, lines: &[String]) {
    for line in lines {
        to.send_line(line);
    }
    to.send_line("");
}

/// Passes the offerer's SDP to the answerer and the answer back; returns
/// both blocks, after `edit` changed the offer on its way.
pub fn exchange(
    offerer: &mut Msrp,
    answerer: &mut Msrp,
    edit: impl FnOnce(Vec<String>) -> Vec<String>,
) -> (Vec<String>, Vec<String>) {
    let offer = edit(sdp_block(offerer));
    give_sdp(answerer, &offer);
    let answer = sdp_block(answerer);
    give_sdp(offerer, &answer);
    (offer, answer)
}

/// The next event named `name`, skipping others (progress and the like).
pub fn wait_for(p: &mut Msrp, name: &str) -> Value {
    loop {
        let event = p.event();
        if event["event"] == name {
            return event;
        }
        assert_ne!(event["event"], "failed", "waiting for {name}: {event}");
    }
}

/// The final event: `sent`, `received` or `failed`.
pub fn outcome(p: &mut Msrp) -> Value {
    loop {
        let event = p.event();
        if matches!(
            event["event"].as_str(),
            Some("sent" | "received" | "failed")
        ) {
            return event;
        }
    }
}

/// Lower-case hex SHA-1 of a file.
pub fn sha1_file(path: &std::path::Path) -> String {
    let data = std::fs::read(path).expect("read file");
    hex::encode(Sha1::digest(&data))
}

/// Files in a folder, hidden ones included, sorted.
pub fn listing(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}
