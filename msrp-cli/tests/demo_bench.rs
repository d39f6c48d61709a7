//! `msrp demo` and `msrp bench` run to the end: the demo exits 0 with its
//! summary line, and a small bench prints one JSON object with every field.
#![forbid(unsafe_code)]

mod common;

use common::*;
use serde_json::Value;

#[test]
fn demo_exchanges_chat_and_a_file_and_sums_up() {
    let (stdout, stderr, code) = run(&["demo"]);
    assert_eq!(code, Some(0), "{stderr}");
    let summary = stdout
        .lines()
        .find(|l| l.starts_with("summary: "))
        .unwrap_or_else(|| panic!("no summary line in {stdout}"));
    assert!(summary.contains("64 MiB file delivered"), "{summary}");
    assert!(summary.contains("sha256 match"), "{summary}");
    assert!(stdout.contains("Alice > "), "{stdout}");
    assert!(stdout.contains("Bob   > "), "{stdout}");
}

#[test]
fn bench_json_has_every_field() {
    let (stdout, stderr, code) = run(&["bench", "--bytes", "8388608", "--json"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let keys = [
        "runtime",
        "bytes",
        "chunk_size",
        "raw_tcp_gbps",
        "msrp_tcp_gbps",
        "tcp_ratio",
        "raw_tls_gbps",
        "msrp_tls_gbps",
        "tls_ratio",
    ];
    assert_eq!(report.as_object().unwrap().len(), keys.len(), "{stdout}");
    // Exactly these keys, in this order, in the printed text.
    let positions: Vec<usize> = keys
        .iter()
        .map(|k| {
            stdout
                .find(&format!("\"{k}\":"))
                .unwrap_or_else(|| panic!("{k}"))
        })
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{stdout}");
    assert_eq!(report["runtime"], "tokio");
    assert_eq!(report["bytes"], 8_388_608);
    assert_eq!(report["chunk_size"], 65536);
    for key in &keys[3..] {
        let value = report[key].as_f64().unwrap();
        assert!(value > 0.0, "{key} = {value}");
    }
}
