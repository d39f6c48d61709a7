//! Random and mutated SDP never makes the parser panic, and whatever parses
//! is stable: `parse(render(x)) == x` and rendering twice gives the same
//! text.

use msrp_chat::sdp::{MsrpMedia, SdpDocument};
use proptest::prelude::*;
use std::path::PathBuf;

fn vectors() -> Vec<Vec<u8>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/sdp");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "sdp"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect()
}

/// Lines that exercise the attribute parsers at their edges.
const TRICKY: &[&str] = &[
    "a=path:",
    "a=path:msrp://a.example.com:1/s;tcp msrps://[::1]:2/t;tcp",
    "a=path:msrp://a.example.com:99999/s;tcp",
    "a=setup:actpass",
    "a=setup:HOLDCONN",
    "a=accept-types:text/plain;charset=\"a b\" */*",
    "a=accept-wrapped-types:",
    "a=file-selector:name:\"x y\" hash:sha-1:00:11",
    "a=file-selector:name:\"%FF\"",
    "a=file-selector:type:a/b;x=\"unterminated",
    "a=file-date:creation:\"x\" read:\"y\" read:\"z\"",
    "a=file-range:1-*",
    "a=file-range:18446744073709551615-18446744073709551615",
    "a=max-size:18446744073709551616",
    "a=chatroom",
    "a=sendonly",
    "a=inactive:x",
    "a=msrp-cema",
    "a=x-file-offset",
    "a=rfbsetup:passive",
    "m=message 0 TCP/MSRP *",
    "m=message 1 tcp/tls/msrp *",
    "m=application 2/2 TCP/WSS/MSRP * x",
    "m=audio 1 RTP/AVP 0",
    "c=IN IP6 ::1",
    "c=IN IP4 1.2.3.4/127",
    "v=0",
    "o=- 1 1 IN IP4 0.0.0.0",
    "s=",
    "t=0 0",
    "b=AS:64",
    "i=\u{e9}t\u{e9}",
    "a=",
    "a=:",
    "x=unknown",
    "",
];

#[derive(Debug, Clone)]
enum Mutation {
    InsertByte(usize, u8),
    DeleteByte(usize),
    ReplaceByte(usize, u8),
    DuplicateLine(usize),
    DeleteLine(usize),
    SwapLines(usize, usize),
    InsertLine(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(p, b)| Mutation::InsertByte(p, b)),
        any::<usize>().prop_map(Mutation::DeleteByte),
        (any::<usize>(), any::<u8>()).prop_map(|(p, b)| Mutation::ReplaceByte(p, b)),
        any::<usize>().prop_map(Mutation::DuplicateLine),
        any::<usize>().prop_map(Mutation::DeleteLine),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
        (any::<usize>(), any::<usize>()).prop_map(|(p, l)| Mutation::InsertLine(p, l)),
    ]
}

fn apply(mut text: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let mut lines: Vec<Vec<u8>> = text.split(|b| *b == b'\n').map(<[u8]>::to_vec).collect();
        let n = lines.len();
        match *m {
            Mutation::InsertByte(p, b) => text.insert(p % (text.len() + 1), b),
            Mutation::DeleteByte(p) if !text.is_empty() => {
                text.remove(p % text.len());
            }
            Mutation::ReplaceByte(p, b) if !text.is_empty() => {
                let i = p % text.len();
                text[i] = b;
            }
            Mutation::DuplicateLine(i) => {
                let line = lines[i % n].clone();
                lines.insert(i % n, line);
                text = lines.join(&b'\n');
            }
            Mutation::DeleteLine(i) => {
                lines.remove(i % n);
                text = lines.join(&b'\n');
            }
            Mutation::SwapLines(a, b) => {
                lines.swap(a % n, b % n);
                text = lines.join(&b'\n');
            }
            Mutation::InsertLine(p, l) => {
                lines.insert(
                    p % (n + 1),
                    format!("{}\r", TRICKY[l % TRICKY.len()]).into_bytes(),
                );
                text = lines.join(&b'\n');
            }
            _ => {}
        }
    }
    text
}

/// Parses `body` both ways; whatever parses must render stably.
fn check(body: &[u8]) {
    if let Ok(doc) = SdpDocument::parse(body) {
        let text = doc.render();
        let again = SdpDocument::parse(text.as_bytes())
            .unwrap_or_else(|e| panic!("rendered text does not parse: {e}\n{text}"));
        assert_eq!(again, doc, "parse(render(doc)) != doc\n{text}");
        assert_eq!(again.render(), text);
        for (i, _) in doc.msrp_media() {
            let _ = doc.resolved_msrp(i);
        }
    }
    if let Ok(text) = std::str::from_utf8(body) {
        match MsrpMedia::parse_section(text) {
            Ok(m) => {
                let rendered = m.render();
                let again = MsrpMedia::parse_section(&rendered)
                    .unwrap_or_else(|e| panic!("rendered section does not parse: {e}\n{rendered}"));
                assert_eq!(again, m);
                assert_eq!(again.render(), rendered);
            }
            Err(e) => {
                let _ = e.to_string();
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn mutated_vectors(which in any::<usize>(), mutations in proptest::collection::vec(mutation(), 0..6)) {
        let all = vectors();
        let body = apply(all[which % all.len()].clone(), &mutations);
        check(&body);
    }

    #[test]
    fn random_bytes(body in proptest::collection::vec(any::<u8>(), 0..512)) {
        check(&body);
    }

    #[test]
    fn random_sdp_lines(lines in proptest::collection::vec((0..TRICKY.len(), "[ -~]{0,40}"), 0..24), lf in any::<bool>()) {
        let end = if lf { "\n" } else { "\r\n" };
        let mut body = String::new();
        for (i, (line, noise)) in lines.iter().enumerate() {
            // Half the lines are known-tricky, half random text after a key.
            if i % 2 == 0 {
                body.push_str(TRICKY[*line]);
            } else {
                body.push_str(["a=", "m=", "c=", "a=file-selector:", "a=accept-types:", "a=path:"][line % 6]);
                body.push_str(noise);
            }
            body.push_str(end);
        }
        check(body.as_bytes());
    }
}
