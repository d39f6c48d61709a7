//! End-to-end tests of `msrp parse`: the built binary, run as a process.
//!
//! For every `tests/vectors/NAME.msrp` at the workspace root, the output
//! must equal the committed golden file `tests/vectors/NAME.jsonl`, whatever
//! `--read-size` and whether the bytes come from a file or standard input.
//! The goldens are also checked against the vectors with a deliberately
//! naive, independent chunk splitter (transaction ids, body lengths and
//! hashes, flags), and a few lines are pinned field by field.
//!
//! To rewrite the goldens after an intended change of the output format:
//!
//! ```text
//! MSRP_BLESS=1 cargo test -p msrp-cli --test parse
//! ```
//!
//! then review the diff of `tests/vectors/*.jsonl` before committing.
#![forbid(unsafe_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const BIN: &str = env!("CARGO_BIN_EXE_msrp");

fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors")
}

/// Every `*.msrp` vector, sorted.
fn vectors() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(vectors_dir())
        .expect("tests/vectors exists")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "msrp"))
        .collect();
    files.sort();
    assert!(files.len() >= 20, "expected at least 20 vectors");
    files
}

fn golden_path(vector: &Path) -> PathBuf {
    vector.with_extension("jsonl")
}

fn name(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

struct Output {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs `msrp` with `args`, and `stdin` as its standard input if given.
fn msrp(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("msrp runs");
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().unwrap();
        let input = input.to_vec();
        // A thread, so that a large input cannot deadlock against the output.
        std::thread::spawn(move || {
            // The process may stop reading early (on an error): ignore EPIPE.
            let _ = pipe.write_all(&input);
        });
    }
    let out = child.wait_with_output().expect("msrp finishes");
    Output {
        code: out.status.code(),
        stdout: String::from_utf8(out.stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8(out.stderr).expect("UTF-8 stderr"),
    }
}

/// `msrp parse FILE`, which must succeed silently.
fn parse_ok(args: &[&str], stdin: Option<&[u8]>) -> String {
    let out = msrp(args, stdin);
    assert_eq!(out.code, Some(0), "{args:?}: stderr {}", out.stderr);
    assert_eq!(out.stderr, "", "{args:?}");
    out.stdout
}

fn blessing() -> bool {
    std::env::var_os("MSRP_BLESS").is_some_and(|v| v == "1")
}

#[test]
fn every_vector_prints_its_golden_file() {
    for vector in vectors() {
        let path = vector.to_str().unwrap();
        let got = parse_ok(&["parse", path], None);
        let golden = golden_path(&vector);
        if blessing() {
            std::fs::write(&golden, &got).expect("golden written");
            continue;
        }
        let want = std::fs::read_to_string(&golden).unwrap_or_else(|e| {
            panic!(
                "{}: {e}; run MSRP_BLESS=1 cargo test -p msrp-cli --test parse",
                golden.display()
            )
        });
        assert_eq!(got, want, "{} differs from its golden file", name(&vector));
    }
}

#[test]
fn every_golden_file_has_a_vector() {
    for entry in std::fs::read_dir(vectors_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "jsonl") {
            assert!(
                path.with_extension("msrp").exists(),
                "{} has no vector",
                path.display()
            );
        }
    }
}

#[test]
fn output_does_not_depend_on_read_size_or_input() {
    for vector in vectors() {
        let path = vector.to_str().unwrap();
        let want = parse_ok(&["parse", path], None);
        let bytes = std::fs::read(&vector).unwrap();
        for size in ["1", "7", "65536"] {
            let got = parse_ok(&["parse", "--read-size", size, path], None);
            assert_eq!(got, want, "{}: --read-size {size}", name(&vector));
        }
        let got = parse_ok(&["parse", "-"], Some(&bytes));
        assert_eq!(got, want, "{}: from standard input", name(&vector));
        let got = parse_ok(&["parse", "--read-size", "7"], Some(&bytes));
        assert_eq!(
            got,
            want,
            "{}: from standard input by default",
            name(&vector)
        );
    }
}

// ---- The goldens are right. ----

/// What a naive reading of a (valid) vector finds in each chunk: the start
/// line's words, the body (`None` when bodiless) and the flag. Independent of
/// msrp-proto: plain searches for CRLF and `CRLF -------tid<flag>CRLF`.
struct NaiveChunk {
    tid: String,
    word: String,
    body: Option<Vec<u8>>,
    flag: char,
}

fn find_from(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| i + from)
}

fn naive_chunks(data: &[u8]) -> Vec<NaiveChunk> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < data.len() {
        let eol = find_from(data, b"\r\n", pos).unwrap();
        let start = String::from_utf8(data[pos..eol].to_vec()).unwrap();
        let words: Vec<&str> = start.split(' ').collect();
        let (tid, word) = (words[1].to_owned(), words[2].to_owned());
        let end_marker = format!("-------{tid}");
        // Header lines until a blank line (body follows) or the end-line.
        let mut line = eol + 2;
        let body_start = loop {
            let eol = find_from(data, b"\r\n", line).unwrap();
            if eol == line {
                break Some(eol + 2);
            }
            if data[line..eol].starts_with(end_marker.as_bytes()) {
                break None;
            }
            line = eol + 2;
        };
        match body_start {
            None => {
                let flag = char::from(data[line + end_marker.len()]);
                out.push(NaiveChunk {
                    tid,
                    word,
                    body: None,
                    flag,
                });
                pos = find_from(data, b"\r\n", line).unwrap() + 2;
            }
            Some(body_start) => {
                let needle = format!("\r\n{end_marker}");
                let mut from = body_start;
                loop {
                    let at = find_from(data, needle.as_bytes(), from).expect("an end-line");
                    let after = at + needle.len();
                    let flag = data[after];
                    if b"$+#".contains(&flag) && data.get(after + 1..after + 3) == Some(b"\r\n") {
                        let body = Some(data[body_start..at].to_vec());
                        out.push(NaiveChunk {
                            tid,
                            word,
                            body,
                            flag: char::from(flag),
                        });
                        pos = after + 3;
                        break;
                    }
                    from = at + 3;
                }
            }
        }
    }
    out
}

fn golden_lines(vector: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(golden_path(vector)).expect("golden exists");
    assert!(
        text.ends_with('\n'),
        "{}: last line unterminated",
        name(vector)
    );
    text.lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect()
}

#[test]
fn goldens_agree_with_a_naive_reading_of_the_vectors() {
    for vector in vectors() {
        let data = std::fs::read(&vector).unwrap();
        let chunks = naive_chunks(&data);
        let lines = golden_lines(&vector);
        let n = name(&vector);
        assert_eq!(lines.len(), chunks.len(), "{n}: one line per chunk");
        for (i, (line, chunk)) in lines.iter().zip(&chunks).enumerate() {
            let ctx = format!("{n}, chunk {i}");
            assert_eq!(line["transaction_id"], json!(chunk.tid), "{ctx}");
            assert_eq!(line["continuation"], json!(chunk.flag.to_string()), "{ctx}");
            let is_response = chunk.word.as_bytes()[0].is_ascii_digit();
            if is_response {
                assert_eq!(line["kind"], "response", "{ctx}");
                assert_eq!(
                    line["code"],
                    json!(chunk.word.parse::<u16>().unwrap()),
                    "{ctx}"
                );
                assert!(chunk.body.is_none(), "{ctx}: responses are bodiless");
                assert!(line.get("body_len").is_none(), "{ctx}");
                continue;
            }
            assert_eq!(line["kind"], "request", "{ctx}");
            assert_eq!(line["method"], json!(chunk.word), "{ctx}");
            match &chunk.body {
                None => {
                    assert_eq!(line["body_len"], Value::Null, "{ctx}");
                    assert_eq!(line["body_sha256"], Value::Null, "{ctx}");
                }
                Some(body) => {
                    assert_eq!(line["body_len"], json!(body.len()), "{ctx}");
                    let sha = hex::encode(Sha256::digest(body));
                    assert_eq!(line["body_sha256"], json!(sha), "{ctx}");
                }
            }
            // Every request key is present, absent headers as null.
            for key in [
                "message_id",
                "byte_range",
                "success_report",
                "failure_report",
                "status",
                "content_type",
            ] {
                assert!(line.get(key).is_some(), "{ctx}: key {key} missing");
            }
        }
    }
}

fn golden(file: &str) -> Vec<Value> {
    golden_lines(&vectors_dir().join(file))
}

#[test]
fn golden_lines_checked_field_by_field() {
    let send = golden("rfc4975-s4-send.msrp");
    assert_eq!(
        send[0],
        json!({
            "kind": "request",
            "method": "SEND",
            "transaction_id": "a786hjs2",
            "to_path": ["msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp"],
            "from_path": ["msrp://atlanta.example.com:7654/jshA7weztas;tcp"],
            "message_id": "87652491",
            "byte_range": {"start": 1, "end": 25, "total": 25},
            "success_report": null,
            "failure_report": null,
            "status": null,
            "content_type": "text/plain",
            "headers": [
                ["To-Path", "msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp"],
                ["From-Path", "msrp://atlanta.example.com:7654/jshA7weztas;tcp"],
                ["Message-ID", "87652491"],
                ["Byte-Range", "1-25/25"],
                ["Content-Type", "text/plain"]
            ],
            "body_len": 23,
            "body_sha256": hex::encode(Sha256::digest(b"Hey Bob, are you there?")),
            "continuation": "$"
        })
    );

    let bind = &golden("bodiless-bind.msrp")[0];
    assert_eq!(bind["body_len"], Value::Null);
    assert_eq!(bind["body_sha256"], Value::Null);
    assert_eq!(bind["content_type"], Value::Null);
    assert_eq!(
        bind["byte_range"],
        json!({"start": 1, "end": 0, "total": 0})
    );

    let empty = &golden("empty-body.msrp")[0];
    assert_eq!(empty["body_len"], 0);
    assert_eq!(
        empty["body_sha256"],
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );

    let responses = golden("responses.msrp");
    let lines: Vec<(Value, Value)> = responses
        .iter()
        .map(|l| (l["code"].clone(), l["comment"].clone()))
        .collect();
    assert_eq!(
        lines,
        [
            (json!(200), json!("OK")),
            (json!(200), Value::Null),
            (json!(481), json!("Session does not exist")),
            (json!(413), json!("Message too large; stop sending")),
        ]
    );
    assert_eq!(
        responses[0],
        json!({
            "kind": "response",
            "transaction_id": "resp0001",
            "code": 200,
            "comment": "OK",
            "to_path": ["msrp://127.0.0.1:2856/s2;tcp"],
            "from_path": ["msrp://127.0.0.1:2855/s1;tcp"],
            "headers": [
                ["To-Path", "msrp://127.0.0.1:2856/s2;tcp"],
                ["From-Path", "msrp://127.0.0.1:2855/s1;tcp"]
            ],
            "continuation": "$"
        })
    );

    let pipelined = golden("pipelined.msrp");
    assert_eq!(pipelined.len(), 5);
    assert_eq!(pipelined[0]["success_report"], "yes");
    assert_eq!(pipelined[1]["failure_report"], "partial");
    assert_eq!(
        pipelined[2]["status"],
        json!({"code": 200, "comment": "OK"})
    );
    assert_eq!(pipelined[2]["body_len"], Value::Null);

    let flags: Vec<Value> = golden("more-then-abort.msrp")
        .iter()
        .map(|l| l["continuation"].clone())
        .collect();
    assert_eq!(flags, [json!("+"), json!("#")]);

    let stream = &golden("unknown-length-stream.msrp")[0];
    assert_eq!(
        stream["byte_range"],
        json!({"start": 1, "end": null, "total": null})
    );
    assert_eq!(stream["continuation"], "+");

    let relays = &golden("rfc4976-send-via-relays.msrp")[0];
    assert_eq!(relays["to_path"].as_array().unwrap().len(), 3);

    let near = &golden("near-miss-end-lines.msrp")[0];
    assert_eq!(near["body_len"], 166);

    let binary = &golden("binary-body.msrp")[0];
    assert_eq!(binary["body_len"], 525);
}

// ---- Errors. ----

/// A valid chunk, for input that goes wrong after it.
const VALID: &[u8] = b"MSRP a786hjs2 SEND\r\n\
To-Path: msrp://b.example.com:1/s;tcp\r\n\
From-Path: msrp://a.example.com:2/t;tcp\r\n\
Message-ID: m1234567\r\n\
Content-Type: text/plain\r\n\
\r\n\
hi\r\n\
-------a786hjs2$\r\n";

/// Runs `msrp parse` on `input` (through a file and standard input, whole
/// and byte by byte), expects exit status 1, and returns the stdout lines,
/// which must be the same every way.
fn parse_failing(input: &[u8]) -> (Vec<Value>, String) {
    let file = std::env::temp_dir().join(format!(
        "msrp-cli-test-{}-{}.msrp",
        std::process::id(),
        hex::encode(&Sha256::digest(input)[..8])
    ));
    std::fs::write(&file, input).unwrap();
    let file = file.to_str().unwrap();
    let runs = [
        msrp(&["parse", file], None),
        msrp(&["parse", "--read-size", "1", file], None),
        msrp(&["parse", "-"], Some(input)),
    ];
    let _ = std::fs::remove_file(file);
    let first = &runs[0];
    for run in &runs {
        assert_eq!(run.code, Some(1), "exit status; stderr {}", run.stderr);
        assert_eq!(run.stdout, first.stdout, "stdout differs between runs");
        assert_eq!(run.stderr, first.stderr, "stderr differs between runs");
        assert_eq!(
            run.stderr.lines().count(),
            1,
            "one line on stderr: {:?}",
            run.stderr
        );
        assert!(run.stderr.starts_with("msrp parse: "), "{:?}", run.stderr);
    }
    let lines: Vec<Value> = first
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    (lines, first.stderr.clone())
}

#[test]
fn malformed_input_prints_one_error_line_and_exits_1() {
    let cases: &[(&str, &[u8], u64, &str)] = &[
        (
            "short transaction id",
            b"MSRP abc SEND\r\n",
            5,
            "bad transaction id",
        ),
        (
            "lower-case method",
            b"MSRP abcd send\r\n",
            10,
            "bad start line",
        ),
        (
            "TLS ClientHello",
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
            0,
            "expected a chunk starting with \"MSRP \"",
        ),
        (
            "bare LF",
            b"MSRP abcd SEND\n",
            14,
            "line not terminated by CRLF",
        ),
        (
            "stream ends mid head",
            b"MSRP abcd SEND\r\nTo-Path: msrp://b",
            33,
            "stream ended inside a chunk",
        ),
    ];
    for (what, input, offset, message) in cases {
        let (lines, stderr) = parse_failing(input);
        assert_eq!(lines.len(), 1, "{what}: {lines:?}");
        let line = &lines[0];
        assert_eq!(line["kind"], "error", "{what}");
        assert_eq!(line["offset"], json!(offset), "{what}");
        let error = line["error"].as_str().unwrap();
        assert!(error.starts_with(message), "{what}: {error:?}");
        assert_eq!(
            line.as_object().unwrap().len(),
            3,
            "{what}: kind, offset, error"
        );
        assert_eq!(
            stderr,
            format!("msrp parse: malformed MSRP at byte {offset}: {error}\n"),
            "{what}"
        );
    }
}

#[test]
fn chunks_before_the_error_are_printed_and_offsets_count_from_the_start() {
    let input = [VALID, b"MSRP abc SEND\r\n"].concat();
    let (lines, stderr) = parse_failing(&input);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["transaction_id"], "a786hjs2");
    assert_eq!(lines[0]["body_len"], 2);
    let offset = VALID.len() + 5;
    assert_eq!(lines[1]["kind"], "error");
    assert_eq!(lines[1]["offset"], json!(offset));
    assert!(stderr.contains(&format!("at byte {offset}:")), "{stderr}");
}

#[test]
fn a_chunk_rejected_with_intact_framing_still_fails_the_command() {
    // A REPORT whose body is over the 10240-byte limit for non-SEND bodies.
    let mut input = b"MSRP rep00001 REPORT\r\n\
To-Path: msrp://b.example.com:1/s;tcp\r\n\
From-Path: msrp://a.example.com:2/t;tcp\r\n\
\r\n"
        .to_vec();
    let body_at = input.len();
    input.extend(std::iter::repeat_n(b'x', 10241));
    input.extend_from_slice(b"\r\n-------rep00001$\r\n");
    let (lines, _) = parse_failing(&input);
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["offset"], json!(body_at + 10240));
    assert_eq!(
        lines[0]["error"],
        "body of a non-SEND chunk longer than 10240 bytes"
    );
}

#[test]
fn a_bad_read_size_is_a_usage_error() {
    // (`--read-size -1` would be read as an unknown flag `-1`; the `=`
    // form reaches the value parser.)
    let cases: [(&[&str], &str); 3] = [
        (&["--read-size", "0"], "must be at least 1"),
        (
            &["--read-size", "abc"],
            "`abc` is not a whole number of bytes",
        ),
        (&["--read-size=-1"], "`-1` is not a whole number of bytes"),
    ];
    for (args, reason) in cases {
        let args = [&["parse"], args, &["-"]].concat();
        let out = msrp(&args, Some(VALID));
        assert_eq!(out.code, Some(2), "{args:?}");
        assert_eq!(out.stdout, "", "{args:?}");
        assert!(
            out.stderr.contains("'--read-size <N>'"),
            "{args:?}: {}",
            out.stderr
        );
        assert!(out.stderr.contains(reason), "{args:?}: {}", out.stderr);
    }
}

#[test]
fn a_missing_file_is_a_clear_error() {
    let missing = vectors_dir().join("no-such-vector.msrp");
    let missing = missing.to_str().unwrap();
    let out = msrp(&["parse", missing], None);
    assert_eq!(out.code, Some(2));
    assert_eq!(out.stdout, "");
    assert!(
        out.stderr.starts_with("msrp parse: cannot open "),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("no-such-vector.msrp"), "{}", out.stderr);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
}

#[test]
fn an_empty_input_prints_nothing_and_succeeds() {
    assert_eq!(parse_ok(&["parse", "-"], Some(b"")), "");
}
