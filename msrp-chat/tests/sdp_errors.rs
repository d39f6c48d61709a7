//! Malformed SDP: every error says where, what was found and what was
//! expected; every cap of `Limits` has its error.

use msrp_chat::sdp::{Limits, MsrpMedia, SdpDocument, SdpError};
use msrp_proto::uri::UriErrorKind;

const M: &str = "m=message 7654 TCP/MSRP *\r\n";
const PATH: &str = "a=path:msrp://atlanta.example.com:7654/jshA7weztas;tcp\r\n";

fn section(attrs: &str) -> Result<MsrpMedia, SdpError> {
    MsrpMedia::parse_section(&format!("{M}{attrs}"))
}

fn message(attrs: &str) -> String {
    section(attrs).unwrap_err().to_string()
}

#[test]
fn path_errors_point_at_the_character() {
    let e = section("a=path:msrp://a.example.com:76x4/s;tcp\r\n").unwrap_err();
    let SdpError::Path { ref source, .. } = e else {
        panic!("{e:?}")
    };
    assert_eq!(source.offset(), 23);
    assert_eq!(
        e.to_string(),
        "m= section 0: a=path:msrp://a.example.com:76x4/s;tcp: invalid MSRP URI at character 24: expected a port number (decimal digits) after `:`"
    );
    // The second URI's error counts from the start of the value.
    let e = section("a=path:msrp://r.example.com:1/r;tcp http://b/x\r\n").unwrap_err();
    assert!(
        matches!(e, SdpError::Path { ref source, .. } if source.offset() == 29),
        "{e}"
    );
    // Blanks around the value are not part of it.
    assert!(
        section(&format!(
            "a=path:  {}  \r\n",
            "msrp://a.example.com:1/s;tcp"
        ))
        .is_ok()
    );
}

#[test]
fn path_uri_cap() {
    let uris: Vec<String> = (0..17)
        .map(|i| format!("msrp://r{i}.example.com:1/s;tcp"))
        .collect();
    let e = section(&format!("a=path:{}\r\n", uris.join(" "))).unwrap_err();
    let SdpError::Path { source, .. } = e else {
        panic!()
    };
    assert_eq!(*source.kind(), UriErrorKind::TooManyUris { limit: 16 });
}

#[test]
fn values_that_break_their_grammar() {
    assert_eq!(
        message("a=setup:sideways\r\n"),
        "m= section 0: a=setup:sideways: expected `active`, `passive`, `actpass` or `holdconn`"
    );
    assert_eq!(
        message("a=accept-types:text/plain bogus\r\n"),
        "m= section 0: a=accept-types:text/plain bogus: expected a space-separated list of `*`, `type/*` or `type/subtype` entries with optional `;name=value` parameters (at character 17)"
    );
    assert_eq!(
        message("a=max-size:12k\r\n"),
        "m= section 0: a=max-size:12k: expected a size in octets (decimal digits)"
    );
    assert_eq!(
        message("a=file-selector:size:12k\r\n"),
        "m= section 0: a=file-selector:size:12k: expected a size in decimal digits that fits 64 bits (at character 6)"
    );
    assert_eq!(
        message("a=file-range:0-7\r\n"),
        "m= section 0: a=file-range:0-7: expected `start-stop` or `start-*` with 1 <= start <= stop (at character 1)"
    );
    assert!(message("a=file-transfer-id:a b\r\n").contains("expected a token"));
    assert!(message("a=file-icon:http://x\r\n").contains("expected a `cid:` URL"));
    assert!(
        message("a=rfbsetup:both\r\n").contains("expected `active` (viewer) or `passive` (server)")
    );
    assert!(message("a=file-date:creation:Mon\r\n").contains("a=file-date:creation:Mon: expected"));
    assert!(message("a=chatroom:nick/name\r\n").contains("expected a token"));
}

#[test]
fn values_missing_or_unexpected() {
    assert_eq!(
        message("a=path\r\n"),
        "m= section 0: a=path without a value: expected a=path:msrp://host:port/session;tcp [more URIs]"
    );
    assert_eq!(
        message("a=setup: \r\n").split(':').nth(1),
        Some(" a=setup without a value")
    );
    assert_eq!(
        message("a=sendonly:yes\r\n"),
        "m= section 0: a=sendonly:yes: expected a=sendonly without a value"
    );
    assert!(
        section("a=msrp-cema:\r\n").is_ok_and(|m| m.msrp_cema),
        "an empty value is no value"
    );
}

#[test]
fn duplicates() {
    assert_eq!(
        message(&format!("{PATH}{PATH}")),
        "m= section 0: a second a=path: expected it at most once"
    );
    assert_eq!(
        message("a=sendonly\r\na=recvonly\r\n"),
        "m= section 0: a second a=direction: expected it at most once"
    );
    assert!(matches!(
        section("a=x-file-offset\r\na=x-file-offset\r\n"),
        Err(SdpError::DuplicateAttribute { .. })
    ));
    assert!(matches!(
        section("c=IN IP4 a\r\nc=IN IP4 b\r\n"),
        Err(SdpError::DuplicateConnection { media: 0 })
    ));
    // Several a=chatroom lines are allowed; unknown attributes may repeat.
    let m = section("a=chatroom:nickname\r\na=chatroom:private-messages\r\na=x:1\r\na=x:1\r\n")
        .unwrap();
    assert_eq!((m.chatroom.len(), m.other_attributes.len()), (2, 2));
}

#[test]
fn sections_and_documents() {
    assert_eq!(
        MsrpMedia::parse_section("m=audio 49170 RTP/AVP 0\r\n")
            .unwrap_err()
            .to_string(),
        "m= section 0: protocol `RTP/AVP`: expected `TCP/MSRP`, `TCP/TLS/MSRP`, `TCP/WS/MSRP` or `TCP/WSS/MSRP`"
    );
    assert_eq!(
        MsrpMedia::parse_section(&format!("c=IN IP4 a\r\n{M}")),
        Err(SdpError::SessionLinesInSection)
    );
    assert_eq!(
        MsrpMedia::parse_section(&format!("{M}{M}")),
        Err(SdpError::NotOneSection { found: 2 })
    );
    assert_eq!(
        MsrpMedia::parse_section(""),
        Err(SdpError::NotOneSection { found: 0 })
    );
    // Errors in a document name the m= section among all of them.
    let body = format!("v=0\r\nm=audio 1 RTP/AVP 0\r\n{M}a=setup:x\r\n");
    assert!(
        SdpDocument::parse(body.as_bytes())
            .unwrap_err()
            .to_string()
            .starts_with("m= section 1: a=setup:x")
    );
}

#[test]
fn syntax_errors_count_lines_of_the_given_text() {
    let fragment = format!("c=IN IP4 a\r\n{M}broken\r\n");
    assert_eq!(
        SdpDocument::parse(fragment.as_bytes()),
        Err(SdpError::Syntax {
            line: Some(3),
            message: "Line not in key=value format: expected `<letter>=<value>`".into()
        })
    );
    assert_eq!(
        SdpDocument::parse(b"v=0\r\nm=message x TCP/MSRP *\r\n")
            .unwrap_err()
            .to_string(),
        "SDP syntax (line 2): malformed Media port"
    );
    assert!(
        SdpDocument::parse(b"v=0\r\nc=IN IP4 a\r\nc=IN IP4 b\r\n")
            .unwrap_err()
            .to_string()
            .contains("second session c=")
    );
}

#[test]
fn line_ends_and_canonical_form() {
    let lf = "m=message 7654 TCP/MSRP *\na=accept-types:  text/plain   text/html \na=PATH:msrp://a.example.com:1/s;tcp\n";
    let m = MsrpMedia::parse_section(lf).unwrap();
    assert_eq!(
        m.render(),
        "m=message 7654 TCP/MSRP *\r\na=accept-types:text/plain text/html\r\na=path:msrp://a.example.com:1/s;tcp\r\n"
    );
    assert_eq!(MsrpMedia::parse_section(&m.render()).unwrap(), m);
}

#[test]
fn every_cap_has_its_error() {
    let small = |f: fn(&mut Limits)| {
        let mut l = Limits::DEFAULT;
        f(&mut l);
        l
    };
    let body = format!("{M}{PATH}a=accept-types:a/b c/d e/f\r\n");
    let parse = |l: &Limits| SdpDocument::parse_with(body.as_bytes(), l);
    assert_eq!(
        parse(&small(|l| l.max_body_len = 10)),
        Err(SdpError::BodyTooLarge {
            len: body.len(),
            limit: 10
        })
    );
    assert_eq!(
        parse(&small(|l| l.max_lines = 2)),
        Err(SdpError::TooManyLines { limit: 2 })
    );
    assert_eq!(
        parse(&small(|l| l.max_media = 0)),
        Err(SdpError::TooManyMedia { limit: 0 })
    );
    assert_eq!(
        parse(&small(|l| l.max_attributes = 1)),
        Err(SdpError::TooManyAttributes { media: 0, limit: 1 })
    );
    assert_eq!(
        parse(&small(|l| l.max_list_entries = 2)),
        Err(SdpError::TooManyEntries {
            media: 0,
            attribute: "accept-types",
            limit: 2
        })
    );
    assert!(matches!(
        parse(&small(|l| l.max_path_uris = 0)),
        Err(SdpError::Path { .. })
    ));
    assert!(parse(&Limits::default()).is_ok());
}
