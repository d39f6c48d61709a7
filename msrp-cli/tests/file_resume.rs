//! Resuming with `a=file-range` after the sending process is killed in the
//! middle of a transfer, as a push (the sender re-offers from what the
//! receiver's success REPORTs confirmed) and as a pull (the receiver
//! re-offers from its partial copy); the finished file's SHA-1 must be the
//! selector's. `--max-rate` keeps the transfer slow enough to be cut.

mod common;
mod file_common;

use common::*;
use file_common::*;
use serde_json::Value;

fn s(p: &std::path::Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

const SIZE: usize = 16 << 20;

/// The first progress event with some bytes and not all of them.
fn some_progress(p: &mut Msrp) -> u64 {
    loop {
        let event = p.event();
        assert!(
            !matches!(
                event["event"].as_str(),
                Some("sent" | "received" | "failed")
            ),
            "ended before any progress: {event}"
        );
        if event["event"] == "progress" {
            let bytes = event["bytes"].as_u64().unwrap();
            if bytes > 0 && bytes < SIZE as u64 {
                return bytes;
            }
        }
    }
}

/// The `a=file-range` line of an SDP block.
fn range_line(sdp: &[String]) -> Option<&str> {
    sdp.iter().find_map(|l| l.strip_prefix("a=file-range:"))
}

/// Checks the interrupted receiver's last event and exit; the resume point.
fn interrupted(mut receive: Msrp, at_least: u64, out: &std::path::Path) -> u64 {
    let failed: Value = outcome(&mut receive);
    assert_eq!(failed["event"], "failed", "{failed}");
    let resume_from = failed["resume_from"].as_u64().expect("resumable");
    assert!(resume_from > at_least, "{failed}, progress {at_least}");
    let partial = failed["partial"].as_str().expect("a partial file");
    assert!(std::path::Path::new(partial).starts_with(out), "{partial}");
    assert_eq!(receive.finish().2, Some(1));
    let names = listing(out);
    assert_eq!(names.len(), 2, "the partial file and its record: {names:?}");
    resume_from
}

#[test]
fn a_push_resumes_where_the_receiver_confirmed_after_the_sender_was_killed() {
    let dir = TempDir::new("resume-push");
    let file = dir.path("big.bin");
    random_file(&file, SIZE);
    let digest = sha1_file(&file);
    let (out, state) = (dir.path("in"), dir.path("state"));
    std::fs::create_dir(&out).unwrap();

    let sender = |extra: &[&str]| {
        let mut args = vec!["file", "send", s(&file), "--state-dir", s(&state)];
        args.extend_from_slice(extra);
        Msrp::start(&args)
    };
    let mut send = sender(&["--max-rate", "4M"]);
    let mut receive = Msrp::start(&["file", "receive", "--out-dir", s(&out)]);
    let (offer, _) = exchange(&mut send, &mut receive, |o| o);
    assert_eq!(range_line(&offer), None, "a whole file has no range");
    let confirmed = some_progress(&mut send);
    drop(send); // killed
    interrupted(receive, confirmed, &out);

    let mut send = sender(&["--resume"]);
    let mut receive = Msrp::start(&["file", "receive", "--out-dir", s(&out)]);
    let (offer, answer) = exchange(&mut send, &mut receive, |o| o);
    let range = range_line(&offer).expect("the resumed offer has a=file-range");
    assert_eq!(range_line(&answer), Some(range), "the answer repeats it");
    let start: u64 = range.split('-').next().unwrap().parse().unwrap();
    assert!(start > confirmed, "{range} after {confirmed} confirmed");
    assert!(range.ends_with(&format!("-{SIZE}")), "{range}");
    let started = wait_for(&mut send, "started");
    assert_eq!(started["start"], start);
    assert_eq!(wait_for(&mut receive, "started")["start"], start);

    assert_eq!(outcome(&mut send)["event"], "sent");
    let received = outcome(&mut receive);
    assert_eq!(received["event"], "received", "{received}");
    assert_eq!(received["verified"], true);
    assert_eq!(received["sha1"], digest);
    assert_eq!(sha1_file(&out.join("big.bin")), digest);
    assert_eq!(listing(&out), ["big.bin"]);
    assert!(listing(&state).is_empty(), "the sender's record is gone");
}

#[test]
fn a_pull_resumes_from_the_partial_copy_after_the_sender_was_killed() {
    let dir = TempDir::new("resume-pull");
    let file = dir.path("big.bin");
    random_file(&file, SIZE);
    let digest = sha1_file(&file);
    let out = dir.path("in");
    std::fs::create_dir(&out).unwrap();

    let mut receive = Msrp::start(&["file", "receive", "--out-dir", s(&out), "--pull", &digest]);
    let mut send = Msrp::start(&["file", "send", s(&file), "--pulled", "--max-rate", "4M"]);
    exchange(&mut receive, &mut send, |o| o);
    let have = some_progress(&mut receive);
    drop(send); // killed
    let resume_from = interrupted(receive, have, &out);

    let mut receive = Msrp::start(&[
        "file",
        "receive",
        "--out-dir",
        s(&out),
        "--pull",
        &digest,
        "--resume",
    ]);
    let mut send = Msrp::start(&["file", "send", s(&file), "--pulled"]);
    let (offer, answer) = exchange(&mut receive, &mut send, |o| o);
    let want = format!("{resume_from}-*");
    assert_eq!(range_line(&offer), Some(want.as_str()), "{offer:?}");
    assert_eq!(range_line(&answer), Some(want.as_str()), "{answer:?}");
    assert_eq!(wait_for(&mut send, "started")["start"], resume_from);
    assert_eq!(wait_for(&mut receive, "started")["start"], resume_from);

    assert_eq!(outcome(&mut send)["event"], "sent");
    let received = outcome(&mut receive);
    assert_eq!(received["event"], "received", "{received}");
    assert_eq!(received["verified"], true);
    assert_eq!(received["sha1"], digest);
    assert_eq!(sha1_file(&out.join("big.bin")), digest);
    assert_eq!(listing(&out), ["big.bin"]);
}

#[test]
fn a_push_resuming_past_what_the_receiver_has_is_rejected() {
    let dir = TempDir::new("resume-refused");
    let file = dir.path("f.bin");
    random_file(&file, 100_000);
    let out = dir.path("in");
    std::fs::create_dir(&out).unwrap();
    let mut send = Msrp::start(&["file", "send", s(&file), "--resume-from", "5001"]);
    let mut receive = Msrp::start(&["file", "receive", "--out-dir", s(&out)]);
    let (_, answer) = exchange(&mut send, &mut receive, |o| o);
    assert!(
        answer.iter().any(|l| l.starts_with("m=message 0 ")),
        "{answer:?}"
    );
    let failed = outcome(&mut receive);
    assert!(
        failed["error"]
            .as_str()
            .unwrap()
            .contains("the offer resumes at byte 5001, but no partial copy"),
        "{failed}"
    );
    let failed = outcome(&mut send);
    assert!(
        failed["error"].as_str().unwrap().contains("rejected"),
        "{failed}"
    );
    assert_eq!(send.finish().2, Some(1));
    assert!(listing(&out).is_empty());
}
