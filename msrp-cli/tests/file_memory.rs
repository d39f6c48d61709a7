//! Bounded memory: a large file pushed between two `msrp file` processes,
//! each reporting its peak resident memory (`max_rss_kib`, Linux VmHWM) in
//! its last event; both must stay well under 64 MiB whatever the file's
//! size.
//!
//! The size is `MSRP_FILE_TEST_MIB` MiB (default 64, enough to show that
//! memory does not grow with the file in a debug build). For 1 GiB, run it
//! in release:
//!
//! ```text
//! MSRP_FILE_TEST_MIB=1024 cargo test --release -p msrp-cli --test file_memory -- --nocapture
//! ```

mod common;
mod file_common;

use std::io::Write;

use common::*;
use file_common::*;

/// Writes `mib` MiB of pseudo-random bytes, a MiB at a time.
fn big_file(path: &std::path::Path, mib: usize) {
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut block = vec![0u8; 1 << 20];
    for _ in 0..mib {
        for b in block.iter_mut() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *b = (x >> 24) as u8;
        }
        file.write_all(&block).unwrap();
    }
    file.flush().unwrap();
}

#[test]
fn a_large_file_crosses_in_bounded_memory_on_both_sides() {
    let mib: usize = std::env::var("MSRP_FILE_TEST_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64);
    let dir = TempDir::new("file-memory");
    let file = dir.path("big.bin");
    big_file(&file, mib);
    let out = dir.path("in");
    std::fs::create_dir(&out).unwrap();
    let path = |p: &std::path::Path| p.to_str().unwrap().to_owned();

    let mut send = Msrp::start(&["file", "send", &path(&file)]);
    let mut receive = Msrp::start(&["file", "receive", "--out-dir", &path(&out)]);
    exchange(&mut send, &mut receive, |o| o);
    // Generous: a debug build under load moves a few MB/s at worst.
    let sent = outcome_within(&mut send, mib);
    let received = outcome_within(&mut receive, mib);
    assert_eq!(sent["event"], "sent", "{sent}");
    assert_eq!(received["event"], "received", "{received}");
    assert_eq!(received["verified"], true);
    let limit_kib = 64 * 1024;
    for (side, event) in [("sender", &sent), ("receiver", &received)] {
        let rss = event["max_rss_kib"].as_u64().expect("Linux reports VmHWM");
        println!(
            "{side}: {mib} MiB in {:.2} s, peak RSS {:.1} MiB",
            event["seconds"].as_f64().unwrap(),
            rss as f64 / 1024.0
        );
        assert!(rss < limit_kib, "{side} peak RSS {rss} KiB for {mib} MiB");
    }
    assert_eq!(
        std::fs::metadata(out.join("big.bin")).unwrap().len(),
        (mib as u64) << 20
    );
}

/// The final event, waiting through progress events (each within
/// [`WAIT`]), at most one per MiB plus a few.
fn outcome_within(p: &mut Msrp, mib: usize) -> serde_json::Value {
    for _ in 0..mib + 8 {
        let event = p.event();
        if matches!(
            event["event"].as_str(),
            Some("sent" | "received" | "failed")
        ) {
            return event;
        }
    }
    panic!("no final event after {mib} MiB of progress");
}
