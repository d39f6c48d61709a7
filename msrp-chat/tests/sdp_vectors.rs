//! Golden SDP vectors (`tests/vectors/sdp/`, see its README): each parses,
//! renders back byte for byte (or to its `.canonical.sdp` twin), parses again
//! to the same value, and has its typed fields checked.

use msrp_chat::sdp::{
    Direction, FileHash, MediaSection, MsrpMedia, Protocol, RfbSetup, SdpDocument, Setup,
};
use std::path::PathBuf;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/sdp")
}

fn read(name: &str) -> String {
    let path = dir().join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Parses a vector as a document, checks the round trip and returns it.
fn document(name: &str) -> SdpDocument {
    let text = read(&format!("{name}.sdp"));
    let doc = SdpDocument::parse(text.as_bytes()).unwrap_or_else(|e| panic!("{name}: {e}"));
    let canonical = dir().join(format!("{name}.canonical.sdp"));
    let expected = if canonical.exists() {
        read(&format!("{name}.canonical.sdp"))
    } else {
        text
    };
    let rendered = doc.render();
    assert_eq!(rendered, expected, "{name}: render");
    let again = SdpDocument::parse(rendered.as_bytes()).unwrap();
    assert_eq!(again, doc, "{name}: parse(render(doc)) == doc");
    assert_eq!(again.render(), rendered, "{name}: render is stable");
    doc
}

/// The only MSRP section of a vector.
fn msrp(name: &str) -> MsrpMedia {
    let doc = document(name);
    let mut all = doc.msrp_media();
    let (_, m) = all
        .next()
        .unwrap_or_else(|| panic!("{name}: no MSRP section"));
    assert!(all.next().is_none(), "{name}: one MSRP section");
    m.clone()
}

/// A vector that is one media section, read both ways.
fn section(name: &str) -> MsrpMedia {
    let text = read(&format!("{name}.sdp"));
    let m = MsrpMedia::parse_section(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(m.render(), text, "{name}: section render");
    assert_eq!(MsrpMedia::parse_section(&m.render()).unwrap(), m);
    assert_eq!(msrp(name), m);
    m
}

fn path(m: &MsrpMedia) -> Vec<String> {
    m.path
        .as_ref()
        .expect("a=path")
        .iter()
        .map(|u| u.to_string())
        .collect()
}

fn types(list: &Option<Vec<msrp_chat::sdp::MediaRange>>) -> Vec<&str> {
    list.as_deref()
        .unwrap_or_default()
        .iter()
        .map(|r| r.as_str())
        .collect()
}

fn address(m: &MsrpMedia) -> Option<&str> {
    m.connection.as_ref().map(|c| c.connection_address.as_str())
}

const SHA1_PICTURE: &str = "72:24:5F:E8:65:3D:DA:F3:71:36:2F:86:D4:71:91:3E:E4:A2:CE:2E";

fn sha1(hex: &str) -> FileHash {
    let bytes: Vec<u8> = hex
        .split(':')
        .map(|p| u8::from_str_radix(p, 16).unwrap())
        .collect();
    FileHash::sha1(bytes.try_into().unwrap())
}

// RFC 4975 §4, Figure 1: Alice's offer and Bob's answer, as fragments.
#[test]
fn rfc4975_s4_offer_and_answer() {
    let doc = document("rfc4975-s4-offer");
    assert_eq!(
        doc.session()
            .connection
            .as_ref()
            .map(|c| c.connection_address.as_str()),
        Some("atlanta.example.com")
    );
    let offer = msrp("rfc4975-s4-offer");
    assert_eq!(
        (offer.media.as_str(), offer.port, offer.protocol),
        ("message", 7654, Protocol::TcpMsrp)
    );
    assert_eq!(offer.formats, "*");
    assert_eq!(types(&offer.accept_types), ["text/plain"]);
    assert_eq!(
        path(&offer),
        ["msrp://atlanta.example.com:7654/jshA7weztas;tcp"]
    );
    assert_eq!(offer.connection, None, "c= is at session level");
    assert_eq!(
        address(&doc.resolved_msrp(0).unwrap()),
        Some("atlanta.example.com")
    );
    assert_eq!(
        (offer.setup, offer.direction, offer.uses_relay()),
        (None, None, false)
    );

    let answer = msrp("rfc4975-s4-answer");
    assert_eq!(answer.port, 12763);
    assert_eq!(
        path(&answer),
        ["msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp"]
    );
}

// RFC 4975 §8.2, Figure 7: a whole SDP with one path URI.
#[test]
fn rfc4975_s8_2_path() {
    let doc = document("rfc4975-s8.2-path");
    assert_eq!(doc.session().session_name, " -");
    assert_eq!(doc.session().origin.username.as_deref(), Some("alice"));
    let m = msrp("rfc4975-s8.2-path");
    assert_eq!(m.own_uri().and_then(|u| u.session_id()), Some("2s93i9ek2a"));
    assert_eq!(m.port, 7394);
}

// RFC 4975 §8.7, Figures 9 and 10.
#[test]
fn rfc4975_s8_7_exchange() {
    let offer = msrp("rfc4975-s8.7-offer");
    assert_eq!(
        types(&offer.accept_types),
        ["message/cpim", "text/plain", "text/html"]
    );
    assert_eq!(
        path(&offer),
        ["msrp://alice.example.com:7394/2s93i93idj;tcp"]
    );
    let answer = msrp("rfc4975-s8.7-answer");
    assert_eq!(types(&answer.accept_types), ["message/cpim", "text/plain"]);
    assert_eq!(answer.port, 8493);
}

// RFC 4975 §11.1, messages 1 and 2.
#[test]
fn rfc4975_s11_1_basic_session() {
    let offer = msrp("rfc4975-s11.1-offer");
    assert_eq!(
        path(&offer),
        ["msrp://alicepc.example.com:7777/iau39soe2843z;tcp"]
    );
    let answer = msrp("rfc4975-s11.1-answer");
    assert_eq!(
        path(&answer),
        ["msrp://bob.example.com:8888/9di4eae923wzd;tcp"]
    );
    assert_eq!(
        address(&document("rfc4975-s11.1-answer").resolved_msrp(0).unwrap()),
        Some("bob.example.com")
    );
}

// RFC 4976 §11: Bob answers through a relay (a two-URI a=path). The RFC
// writes `a=accept-types: ...` with a blank after the colon; it is read and
// written without it.
#[test]
fn rfc4976_s11_relay() {
    let offer = msrp("rfc4976-s11-offer");
    assert_eq!(
        types(&offer.accept_types),
        ["message/cpim", "text/plain", "text/html"]
    );
    assert!(!offer.uses_relay());
    let answer = msrp("rfc4976-s11-answer");
    assert_eq!(answer.protocol, Protocol::TcpTlsMsrp);
    assert_eq!(
        path(&answer),
        [
            "msrps://relay.example.com:9000/hjdhfha;tcp",
            "msrps://bob.example.com:1234/fuige;tcp"
        ]
    );
    assert!(answer.uses_relay());
    assert_eq!(
        answer.own_uri().map(|u| u.host_str()),
        Some("bob.example.com")
    );
}

// RFC 5547 §6, Figure 2: every file attribute.
#[test]
fn rfc5547_s6_figure2() {
    let m = msrp("rfc5547-s6-figure2");
    assert_eq!(m.title.as_deref(), Some("This is my latest picture"));
    assert_eq!(m.direction, Some(Direction::SendOnly));
    assert_eq!(types(&m.accept_types), ["message/cpim"]);
    assert_eq!(types(&m.accept_wrapped_types), ["*"]);
    let s = m.file.selector.as_ref().unwrap();
    assert_eq!(s.name.as_deref(), Some("My cool picture.jpg"));
    assert_eq!(
        s.file_type.as_ref().map(|t| t.media_type.as_str()),
        Some("image/jpeg")
    );
    assert_eq!(s.size, Some(32349));
    assert_eq!(s.hashes, [sha1(SHA1_PICTURE)]);
    assert_eq!(
        m.file.transfer_id.as_deref(),
        Some("vBnG916bdberum2fFEABR1FR3ExZMUrd")
    );
    assert_eq!(m.file.disposition.as_deref(), Some("attachment"));
    let date = m.file.date.as_ref().unwrap();
    assert_eq!(
        date.creation.as_deref(),
        Some("Mon, 15 May 2006 15:01:31 +0300")
    );
    assert_eq!(
        (date.modification.as_deref(), date.read.as_deref()),
        (None, None)
    );
    assert_eq!(m.file.icon.as_deref(), Some("cid:id2@alicepc.example.com"));
    let range = m.file.range.unwrap();
    assert_eq!((range.start, range.stop), (1, Some(32349)));
}

// RFC 5547 §9.1, Figures 8 and 9: push offer and answer.
#[test]
fn rfc5547_s9_1_push() {
    let offer = msrp("rfc5547-s9.1-push-offer");
    assert_eq!(offer.direction, Some(Direction::SendOnly));
    assert_eq!(
        offer.file.selector.as_ref().and_then(|s| s.size),
        Some(4092)
    );
    assert_eq!(offer.file.disposition.as_deref(), Some("render"));
    assert_eq!(offer.file.range, None);
    let answer = msrp("rfc5547-s9.1-push-answer");
    assert_eq!(answer.direction, Some(Direction::RecvOnly));
    assert_eq!(
        answer.file.selector, offer.file.selector,
        "the answer copies the selector"
    );
    assert_eq!(answer.file.transfer_id, offer.file.transfer_id);
    assert_eq!(
        (answer.file.icon.as_ref(), answer.file.date.as_ref()),
        (None, None)
    );
}

// RFC 5547 §9.2, Figures 15, 16, 19 and 20: pull by hash, then a second
// transfer on the reused m= line.
#[test]
fn rfc5547_s9_2_pull_and_reuse() {
    let offer = msrp("rfc5547-s9.2-pull-offer");
    assert_eq!(offer.direction, Some(Direction::RecvOnly));
    let s = offer.file.selector.as_ref().unwrap();
    assert_eq!(
        (s.name.as_ref(), s.file_type.as_ref(), s.size),
        (None, None, None)
    );
    assert_eq!(s.sha1(), sha1(SHA1_PICTURE).value.try_into().ok());
    let answer = msrp("rfc5547-s9.2-pull-answer");
    assert_eq!(answer.direction, Some(Direction::SendOnly));
    let a = answer.file.selector.as_ref().unwrap();
    assert_eq!(
        a.file_type.as_ref().map(|t| t.media_type.as_str()),
        Some("image/jpeg")
    );
    assert_eq!(
        answer.file.transfer_id.as_deref(),
        Some("aCQYuBRVoUPGVsFZkCK98vzcX2FXDIk2")
    );

    let reuse = msrp("rfc5547-s9.2-reuse-offer");
    assert_eq!(
        reuse.file.selector.as_ref().and_then(|s| s.name.as_deref()),
        Some("sunset.jpg")
    );
    assert_eq!(
        reuse.file.transfer_id.as_deref(),
        Some("ZVE8MfI9mhAdZ8GyiNMzNN5dpqgzQlCO")
    );
    let reuse_answer = msrp("rfc5547-s9.2-reuse-answer");
    assert_eq!(reuse_answer.file.disposition.as_deref(), Some("render"));
    assert_eq!(
        path(&reuse_answer),
        ["msrp://bobpc.example.com:8888/eh10dsk;tcp"]
    );
}

// RFC 5547 §9.3, Figure 24: a capability indication (port 0, bare
// a=file-selector, a=max-size, no a=path).
#[test]
fn rfc5547_s9_3_capability() {
    let m = msrp("rfc5547-s9.3-capability");
    assert!(m.is_rejected());
    assert_eq!(m.max_size, Some(20000));
    assert!(m.file.selector.as_ref().is_some_and(|s| s.is_empty()));
    assert_eq!(m.path, None);
}

// RFC 7701 §9.1: a participant and a chat room focus announce their
// chatroom capabilities (§8); the bodies have no t= line and keep none.
#[test]
fn rfc7701_s9_1_chatroom() {
    let offer = msrp("rfc7701-s9.1-offer");
    assert_eq!(
        offer.chatroom,
        [vec!["nickname".to_owned(), "private-messages".to_owned()]]
    );
    let answer = msrp("rfc7701-s9.1-answer");
    assert_eq!(types(&answer.accept_types), ["message/cpim"]);
    assert_eq!(
        types(&answer.accept_wrapped_types),
        ["text/plain", "text/html", "*"]
    );
    assert_eq!(
        answer.chatroom_capabilities().collect::<Vec<_>>(),
        ["nickname", "private-messages"]
    );
    assert!(document("rfc7701-s9.1-answer").session().times.is_empty());
}

// RFC 6135 has no SDP example; this pair follows its §4.2.2 (constructed).
#[test]
fn rfc6135_constructed_actpass_active() {
    assert_eq!(
        msrp("rfc6135-constructed-offer").setup,
        Some(Setup::ActPass)
    );
    let answer = msrp("rfc6135-constructed-answer");
    assert_eq!((answer.setup, answer.port), (Some(Setup::Active), 9));
}

// sipsimple's ChatStream offer (constructed from `_create_local_media`).
#[test]
fn sipsimple_chat_offer() {
    let m = section("sipsimple-chat-offer");
    assert_eq!(m.protocol, Protocol::TcpTlsMsrp);
    assert_eq!(address(&m), Some("192.0.2.10"));
    assert_eq!(
        types(&m.accept_types),
        [
            "message/cpim",
            "text/*",
            "image/*",
            "application/im-iscomposing+xml"
        ]
    );
    assert_eq!(
        types(&m.accept_wrapped_types),
        ["text/*", "image/*", "application/im-iscomposing+xml"]
    );
    assert_eq!(m.setup, Some(Setup::ActPass));
    assert_eq!(m.direction_or_default(), Direction::SendRecv);
}

// sipsimple's ScreenSharingStream offer from the viewer (constructed).
#[test]
fn sipsimple_desktop_offer() {
    let m = section("sipsimple-desktop-viewer-offer");
    assert_eq!(m.media, "application");
    assert_eq!(types(&m.accept_types), ["application/x-rfb"]);
    assert_eq!(m.rfbsetup, Some(RfbSetup::Active));
    assert_eq!(m.accept_wrapped_types, None);
}

// sipsimple's FileTransferStream push offer, with its private
// a=x-file-offset (constructed).
#[test]
fn sipsimple_file_offer() {
    let m = section("sipsimple-file-push-offer");
    assert!(m.file.x_file_offset);
    assert_eq!(types(&m.accept_types), ["*"]);
    let s = m.file.selector.as_ref().unwrap();
    assert_eq!(s.name.as_deref(), Some("report 2026.pdf"));
    assert_eq!(s.size, Some(48213));
    assert_eq!(
        m.file.transfer_id.as_deref(),
        Some("6f1c2e7a-3b4d-4e5f-8a9b-0c1d2e3f4a5b")
    );
}

// A body with an audio stream, session attributes and unknown MSRP
// attributes between known ones: everything survives, in order.
#[test]
fn mixed_document_keeps_everything() {
    let doc = document("mixed-audio-and-chat");
    assert!(matches!(doc.sections()[0], MediaSection::Other(_)));
    assert_eq!(doc.session().attributes.len(), 1);
    let (index, m) = doc.msrp_media().next().unwrap();
    assert_eq!(index, 1);
    assert!(m.msrp_cema);
    assert_eq!(m.max_size, Some(65536));
    assert_eq!(
        m.chatroom_capabilities().collect::<Vec<_>>(),
        [
            "nickname",
            "private-messages",
            "com.ag-projects.screen-sharing"
        ]
    );
    let unknown: Vec<&str> = m
        .other_attributes
        .iter()
        .map(|a| a.attribute.as_str())
        .collect();
    assert_eq!(
        unknown,
        ["fingerprint", "connection", "x-vendor-flag", "x-last"]
    );
    assert_eq!(m.other_attributes[3].value.as_deref(), Some(" kept as is"));
}

// Every vector file is covered by a test above.
#[test]
fn every_vector_is_checked() {
    let mut names: Vec<String> = std::fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".sdp") && !n.ends_with(".canonical.sdp"))
        .collect();
    names.sort();
    for name in &names {
        document(name.trim_end_matches(".sdp"));
    }
    assert_eq!(names.len(), 25);
}
