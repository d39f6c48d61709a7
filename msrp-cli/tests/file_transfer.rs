//! `msrp file send` and `msrp file receive` as two processes exchanging SDP
//! through their standard input and output, as SIP user agents would: push
//! and pull over TCP and TLS, SHA-1 checked, a hash mismatch that leaves an
//! existing file alone, a selector without hash, and SDP through files.

mod common;
mod file_common;

use common::*;
use file_common::*;

fn s(p: &std::path::Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

#[test]
fn a_push_over_tcp_arrives_whole_with_its_sha1() {
    let dir = TempDir::new("file-push");
    let file = dir.path("data.bin");
    random_file(&file, 3 << 20);
    let out = dir.path("in");
    std::fs::create_dir(&out).unwrap();

    let mut send = Msrp::start(&["file", "send", s(&file)]);
    let mut receive = Msrp::start(&["file", "receive", "--out-dir", s(&out)]);
    let (offer, answer) = exchange(&mut send, &mut receive, |o| o);
    let digest = sha1_file(&file);
    let colon_hex = digest
        .as_bytes()
        .chunks(2)
        .map(|p| std::str::from_utf8(p).unwrap().to_uppercase())
        .collect::<Vec<_>>()
        .join(":");
    assert!(offer.contains(&"a=sendonly".to_owned()), "{offer:?}");
    assert!(
        offer
            .iter()
            .any(|l| l.starts_with("a=file-selector:name:\"data.bin\"")
                && l.ends_with(&format!("size:{} hash:sha-1:{colon_hex}", 3 << 20))),
        "{offer:?}"
    );
    assert!(offer.iter().any(|l| l.starts_with("a=file-transfer-id:")));
    assert!(answer.contains(&"a=recvonly".to_owned()), "{answer:?}");

    let sent = outcome(&mut send);
    assert_eq!(sent["event"], "sent", "{sent}");
    assert_eq!(sent["sha1"], digest);
    let received = outcome(&mut receive);
    assert_eq!(received["event"], "received", "{received}");
    assert_eq!(received["verified"], true);
    assert_eq!(received["sha1"], digest);
    assert_eq!(received["path"], s(&out.join("data.bin")));
    assert_eq!(sha1_file(&out.join("data.bin")), digest);
    assert_eq!(listing(&out), ["data.bin"], "no partial file is left");
    assert_eq!(send.finish().2, Some(0));
    assert_eq!(receive.finish().2, Some(0));
}

#[test]
fn a_pull_over_tls_asks_by_hash_and_gets_the_file() {
    let dir = TempDir::new("file-pull-tls");
    let (cert, key) = certificate(&dir);
    let file = dir.path("report.pdf");
    random_file(&file, 1 << 20);
    let digest = sha1_file(&file);
    let out = dir.path("in");
    std::fs::create_dir(&out).unwrap();

    let mut receive = Msrp::start(&[
        "file",
        "receive",
        "--out-dir",
        s(&out),
        "--pull",
        &digest,
        "--tls",
        "--ca",
        &cert,
    ]);
    let mut send = Msrp::start(&[
        "file",
        "send",
        s(&file),
        "--pulled",
        "--tls",
        "--cert",
        &cert,
        "--key",
        &key,
    ]);
    let (offer, answer) = exchange(&mut receive, &mut send, |o| o);
    assert!(offer.contains(&"a=recvonly".to_owned()), "{offer:?}");
    assert!(
        offer
            .iter()
            .any(|l| l.starts_with("m=message") && l.contains("TCP/TLS/MSRP"))
    );
    assert!(answer.contains(&"a=sendonly".to_owned()), "{answer:?}");
    assert!(
        answer.iter().any(|l| l.starts_with("a=path:msrps://")),
        "{answer:?}"
    );

    assert_eq!(outcome(&mut send)["event"], "sent");
    let received = outcome(&mut receive);
    assert_eq!(received["event"], "received", "{received}");
    assert_eq!(received["verified"], true);
    // The name came with the message (Content-Disposition).
    assert_eq!(sha1_file(&out.join("report.pdf")), digest);
    assert_eq!(receive.finish().2, Some(0));
}

#[test]
fn a_push_over_tls_with_sdp_in_files() {
    let dir = TempDir::new("file-push-tls");
    let (cert, key) = certificate(&dir);
    let file = dir.path("a b.txt");
    random_file(&file, 200_000);
    let out = dir.path("in");
    std::fs::create_dir(&out).unwrap();
    let (offer, answer) = (dir.str("offer.sdp"), dir.str("answer.sdp"));
    let mut receive = Msrp::start(&[
        "file",
        "receive",
        "--out-dir",
        s(&out),
        "--offer",
        &offer,
        "--answer",
        &answer,
        "--tls",
        "--cert",
        &cert,
        "--key",
        &key,
    ]);
    let mut send = Msrp::start(&[
        "file",
        "send",
        s(&file),
        "--offer",
        &offer,
        "--answer",
        &answer,
        "--tls",
        "--ca",
        &cert,
    ]);
    assert_eq!(outcome(&mut send)["event"], "sent");
    let received = outcome(&mut receive);
    assert_eq!(received["event"], "received", "{received}");
    assert_eq!(sha1_file(&out.join("a b.txt")), sha1_file(&file));
    assert!(
        std::fs::read_to_string(&offer)
            .unwrap()
            .contains("a=sendonly")
    );
}

#[test]
fn a_hash_mismatch_never_touches_an_existing_file_of_that_name() {
    let dir = TempDir::new("file-mismatch");
    let file = dir.path("data.bin");
    random_file(&file, 1 << 20);
    let out = dir.path("in");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("data.bin"), b"mine, not to be touched").unwrap();

    let mut send = Msrp::start(&["file", "send", s(&file)]);
    let offer = sdp_block(&mut send);
    // The file changes after its SHA-1 went into the offer: the bytes
    // that arrive are not the ones the selector describes.
    let mut changed = std::fs::read(&file).unwrap();
    changed[1000] ^= 0xff;
    std::fs::write(&file, &changed).unwrap();
    let mut receive = Msrp::start(&["file", "receive", "--out-dir", s(&out)]);
    give_sdp(&mut receive, &offer);
    let answer = sdp_block(&mut receive);
    give_sdp(&mut send, &answer);

    let failed = outcome(&mut receive);
    assert_eq!(failed["event"], "failed", "{failed}");
    let error = failed["error"].as_str().unwrap();
    assert!(error.starts_with("SHA-1 mismatch"), "{error}");
    assert_eq!(failed["resume_from"], serde_json::Value::Null);
    let (_, stderr, code) = receive.finish();
    assert_eq!(code, Some(1));
    assert!(stderr.contains("SHA-1 mismatch"), "{stderr}");
    assert_eq!(
        std::fs::read(out.join("data.bin")).unwrap(),
        b"mine, not to be touched"
    );
    assert_eq!(listing(&out), ["data.bin"], "no new file, no partial left");
}

#[test]
fn a_selector_without_hash_is_taken_unverified_and_names_never_collide() {
    let dir = TempDir::new("file-nohash");
    let file = dir.path("data.bin");
    random_file(&file, 100_000);
    let out = dir.path("in");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("data.bin"), b"older").unwrap();

    let mut send = Msrp::start(&["file", "send", s(&file)]);
    let mut receive = Msrp::start(&["file", "receive", "--out-dir", s(&out)]);
    // A peer that sends no hash (RFC 5547 makes it optional).
    exchange(&mut send, &mut receive, |offer| {
        offer
            .into_iter()
            .map(|l| match l.find(" hash:sha-1:") {
                Some(i) if l.starts_with("a=file-selector:") => l[..i].to_owned(),
                _ => l,
            })
            .collect()
    });
    assert_eq!(outcome(&mut send)["event"], "sent");
    let received = outcome(&mut receive);
    assert_eq!(received["event"], "received", "{received}");
    assert_eq!(received["verified"], false);
    assert_eq!(received["path"], s(&out.join("data-1.bin")));
    assert_eq!(sha1_file(&out.join("data-1.bin")), sha1_file(&file));
    assert_eq!(std::fs::read(out.join("data.bin")).unwrap(), b"older");
}
