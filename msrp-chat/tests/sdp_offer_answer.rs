//! Offers and answers: the builders reproduce the RFC and sipsimple vectors
//! (apart from the `c=` and `a=setup` lines RFC 4975 §8.1 and RFC 6135
//! §4.2.1 make them add), and answers follow RFC 5547 §8.3, RFC 6135 §4.2.2
//! and RFC 6714 §4.3.

use msrp_chat::sdp::{
    Capabilities, Connection, Direction, FileAttributes, FileSelector, LocalEndpoint, MediaRange,
    MsrpMedia, NegotiationError, Protocol, RfbSetup, SdpDocument, Setup, Side, answer_chat,
    answer_desktop, answer_file, chat_offer, connection, desktop_offer, file_pull_offer,
    file_push_offer, reject, sdp_types,
};
use std::path::PathBuf;

fn read(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors/sdp")
        .join(name);
    std::fs::read_to_string(path).unwrap()
}

/// The media section of a vector, as text from its m= line on.
fn section_text(name: &str) -> String {
    let text = read(name);
    let at = text.find("m=").unwrap();
    text[at..].to_owned()
}

fn vector(name: &str) -> MsrpMedia {
    let doc = SdpDocument::parse(read(name).as_bytes()).unwrap();
    doc.resolved_msrp(doc.msrp_media().next().unwrap().0)
        .unwrap()
}

/// A rendering without the lines the RFC examples do not have.
fn without_c_and_setup(m: &MsrpMedia) -> String {
    m.render()
        .split_inclusive("\r\n")
        .filter(|l| !l.starts_with("c=") && !l.starts_with("a=setup:"))
        .collect()
}

fn endpoint(path: &str) -> LocalEndpoint {
    LocalEndpoint::new(path.parse().unwrap())
}

fn ranges(list: &[&str]) -> Vec<MediaRange> {
    list.iter().map(|s| s.parse().unwrap()).collect()
}

/// RFC 5547's examples accept `message/cpim` wrapping anything.
fn rfc5547_caps() -> Capabilities {
    Capabilities {
        accept_types: ranges(&["message/cpim"]),
        accept_wrapped_types: Some(ranges(&["*"])),
        ..Capabilities::file_transfer()
    }
}

fn sorted_lines(text: &str) -> Vec<&str> {
    let mut lines: Vec<&str> = text.lines().collect();
    lines.sort_unstable();
    lines
}

const SHA1: &str = "72:24:5F:E8:65:3D:DA:F3:71:36:2F:86:D4:71:91:3E:E4:A2:CE:2E";

#[test]
fn chat_offer_has_sipsimple_lines() {
    let me = endpoint("msrps://192.0.2.10:2855/uVDXb3ePS2Ws;tcp");
    let offer = chat_offer(&me, &Capabilities::chat());
    let expected = section_text("sipsimple-chat-offer.sdp");
    assert_eq!(sorted_lines(&offer.render()), sorted_lines(&expected));
    // RFC 6135 §4.2.2: actpass when reachable, active when not; never passive.
    let behind_nat = LocalEndpoint {
        reachable: false,
        ..me
    };
    assert_eq!(
        chat_offer(&behind_nat, &Capabilities::chat()).setup,
        Some(Setup::Active)
    );
}

#[test]
fn desktop_offer_has_sipsimple_lines() {
    let me = endpoint("msrps://192.0.2.10:2855/ksR3yQ5cPzWe;tcp");
    let offer = desktop_offer(&me, &Capabilities::desktop_sharing(), RfbSetup::Active);
    assert_eq!(
        sorted_lines(&offer.render()),
        sorted_lines(&section_text("sipsimple-desktop-viewer-offer.sdp"))
    );
}

// RFC 5547 §6 Figure 2, built: the push offer writes the attributes in the
// RFC's order.
#[test]
fn file_push_offer_reproduces_rfc5547_figure2() {
    let figure = vector("rfc5547-s6-figure2.sdp");
    let alice = endpoint("msrp://atlanta.example.com:7654/jshA7we;tcp");
    let mut offer = file_push_offer(&alice, &rfc5547_caps(), figure.file.clone()).unwrap();
    offer.title = Some("This is my latest picture".to_owned());
    assert_eq!(
        without_c_and_setup(&offer),
        section_text("rfc5547-s6-figure2.sdp")
    );
    assert_eq!(offer.direction, Some(Direction::SendOnly));

    // §8.2.1: a type, size or hash selector and a file-transfer-id.
    let name_only = FileAttributes {
        selector: Some(FileSelector {
            name: Some("x".into()),
            ..FileSelector::default()
        }),
        transfer_id: Some("t".into()),
        ..FileAttributes::default()
    };
    assert_eq!(
        file_push_offer(&alice, &rfc5547_caps(), name_only).unwrap_err(),
        NegotiationError::EmptyFileSelector
    );
    let no_id = FileAttributes {
        transfer_id: None,
        ..figure.file
    };
    assert_eq!(
        file_push_offer(&alice, &rfc5547_caps(), no_id).unwrap_err(),
        NegotiationError::MissingAttribute {
            attribute: "file-transfer-id"
        }
    );
}

// RFC 5547 §9.2 Figure 15, built.
#[test]
fn file_pull_offer_reproduces_rfc5547_figure15() {
    let alice = endpoint("msrp://alicepc.example.com:7654/jshA7we;tcp");
    let selector = FileSelector::parse(&format!("hash:sha-1:{SHA1}")).unwrap();
    let offer = file_pull_offer(
        &alice,
        &rfc5547_caps(),
        selector,
        "aCQYuBRVoUPGVsFZkCK98vzcX2FXDIk2",
        None,
    )
    .unwrap();
    assert_eq!(
        without_c_and_setup(&offer),
        section_text("rfc5547-s9.2-pull-offer.sdp")
    );
    let empty = file_pull_offer(&alice, &rfc5547_caps(), FileSelector::default(), "x", None);
    assert_eq!(empty.unwrap_err(), NegotiationError::EmptyFileSelector);
}

// RFC 5547 §8.3.1 and §9.1 Figure 9: the receiver copies the selector and
// the transfer id, answers recvonly, and drops icon, disposition and date.
#[test]
fn push_answer_reproduces_rfc5547_figure9() {
    let offer = vector("rfc5547-s9.1-push-offer.sdp");
    let bob = endpoint("msrp://bobpc.example.com:8888/9di4ea;tcp");
    let answer = answer_file(&offer, &bob, &rfc5547_caps(), None).unwrap();
    assert_eq!(
        without_c_and_setup(&answer),
        section_text("rfc5547-s9.1-push-answer.sdp")
    );
    // The offer had no a=setup: RFC 4975's offerer connects.
    assert_eq!(answer.setup, Some(Setup::Passive));
    assert_eq!(
        connection(Side::Answerer, &offer, &answer),
        Ok(Connection::Listen)
    );

    // §8.3.1: an accepted file-range is copied.
    let mut ranged = vector("rfc5547-s6-figure2.sdp");
    ranged.path = offer.path.clone();
    let answer = answer_file(&ranged, &bob, &rfc5547_caps(), None).unwrap();
    assert_eq!(answer.file.range, ranged.file.range);
    assert_eq!(
        (answer.file.icon, answer.file.disposition, answer.file.date),
        (None, None, None)
    );
}

// RFC 5547 §8.3.2 and §9.2 Figure 16: the sender checks the selector,
// answers sendonly and describes the file by type and hash.
#[test]
fn pull_answer_reproduces_rfc5547_figure16() {
    let offer = vector("rfc5547-s9.2-pull-offer.sdp");
    let bob = endpoint("msrp://bobpc.example.com:8888/9di4ea;tcp");
    let file = FileSelector::parse(&format!(
        r#"name:"My cool photo.jpg" type:image/jpeg size:1931 hash:sha-1:{SHA1}"#
    ))
    .unwrap();
    let answer = answer_file(&offer, &bob, &rfc5547_caps(), Some(&file)).unwrap();
    assert_eq!(
        without_c_and_setup(&answer),
        section_text("rfc5547-s9.2-pull-answer.sdp")
    );

    assert_eq!(
        answer_file(&offer, &bob, &rfc5547_caps(), None).unwrap_err(),
        NegotiationError::MissingLocalFile
    );
    let other = FileSelector::parse(
        r#"type:image/jpeg hash:sha-1:00:24:5F:E8:65:3D:DA:F3:71:36:2F:86:D4:71:91:3E:E4:A2:CE:2E"#,
    )
    .unwrap();
    assert!(matches!(
        answer_file(&offer, &bob, &rfc5547_caps(), Some(&other)),
        Err(NegotiationError::FileMismatch { .. })
    ));
}

// RFC 5547 §8.3: a rejection mirrors file-selector and file-transfer-id.
#[test]
fn reject_mirrors_the_file_identity() {
    let offer = vector("rfc5547-s9.1-push-offer.sdp");
    let no = reject(&offer);
    assert_eq!(
        no.render(),
        format!(
            "m=message 0 TCP/MSRP *\r\na=file-selector:name:\"My cool picture.jpg\" type:image/jpeg size:4092 hash:sha-1:{SHA1}\r\na=file-transfer-id:Q6LMoGymJdh0IKIgD6wD0jkcfgva4xvE\r\n"
        )
    );
    // RFC 3264 §6: an offered port 0 is answered with port 0.
    let mut disabled = vector("rfc4975-s11.1-offer.sdp");
    disabled.port = 0;
    let bob = endpoint("msrp://bob.example.com:8888/9di4eae923wzd;tcp");
    assert!(
        answer_chat(&disabled, &bob, &Capabilities::chat())
            .unwrap()
            .is_rejected()
    );
}

#[test]
fn file_answer_needs_a_push_or_a_pull() {
    let mut offer = vector("rfc5547-s9.1-push-offer.sdp");
    let bob = endpoint("msrp://bobpc.example.com:8888/9di4ea;tcp");
    offer.direction = None;
    assert_eq!(
        answer_file(&offer, &bob, &rfc5547_caps(), None).unwrap_err(),
        NegotiationError::Direction {
            expected: "sendonly (push) or recvonly (pull)",
            found: Direction::SendRecv
        }
    );
    offer.file.selector = None;
    assert_eq!(
        answer_file(&offer, &bob, &rfc5547_caps(), None).unwrap_err(),
        NegotiationError::MissingAttribute {
            attribute: "file-selector"
        }
    );
}

// sipsimple's checks on an incoming chat offer, and RFC 6135 §4.2.2 for the
// answer's a=setup.
#[test]
fn chat_answer() {
    let offer = vector("sipsimple-chat-offer.sdp");
    let bob = endpoint("msrps://198.51.100.7:2855/kjhd37s2s20w;tcp");
    let answer = answer_chat(&offer, &bob, &Capabilities::chat()).unwrap();
    assert_eq!(answer.setup, Some(Setup::Passive));
    assert_eq!(answer.direction, None);
    assert_eq!(answer.protocol, Protocol::TcpTlsMsrp);
    assert_eq!(answer.accept_types, Some(Capabilities::chat().accept_types));
    assert_eq!(
        connection(Side::Offerer, &offer, &answer).unwrap(),
        Connection::Connect {
            target: msrp_chat::sdp::ConnectTarget::PeerPath(
                "msrps://198.51.100.7:2855/kjhd37s2s20w;tcp"
                    .parse()
                    .unwrap()
            ),
            send_first: true,
        }
    );

    // Behind a NAT without a relay: answer active (RFC 6135 §4.2.2).
    let natted = LocalEndpoint {
        reachable: false,
        ..bob.clone()
    };
    let answer = answer_chat(&offer, &natted, &Capabilities::chat()).unwrap();
    assert_eq!(answer.setup, Some(Setup::Active));
    assert!(matches!(
        connection(Side::Answerer, &offer, &answer),
        Ok(Connection::Connect {
            send_first: true,
            ..
        })
    ));

    // A TLS offer to a TCP endpoint.
    let tcp_bob = endpoint("msrp://198.51.100.7:2855/kjhd37s2s20w;tcp");
    assert_eq!(
        answer_chat(&offer, &tcp_bob, &Capabilities::chat()).unwrap_err(),
        NegotiationError::TransportMismatch {
            offered: Protocol::TcpTlsMsrp,
            local: Protocol::TcpMsrp
        }
    );

    // No acceptable type.
    let only_video = Capabilities {
        accept_types: ranges(&["video/*"]),
        ..Capabilities::chat()
    };
    assert_eq!(
        answer_chat(&offer, &bob, &only_video)
            .unwrap_err()
            .to_string(),
        "no offered accept-types entry is acceptable: offered `message/cpim text/* image/* application/im-iscomposing+xml`, expected one of `video/*`"
    );

    // A chat must be sendrecv.
    let mut one_way = offer.clone();
    one_way.direction = Some(Direction::SendOnly);
    assert_eq!(
        answer_chat(&one_way, &bob, &Capabilities::chat()).unwrap_err(),
        NegotiationError::Direction {
            expected: "sendrecv",
            found: Direction::SendOnly
        }
    );

    // A passive offer (RFC 6135 forbids it, sipsimple tolerates it): answer active.
    let mut passive = offer.clone();
    passive.setup = Some(Setup::Passive);
    assert_eq!(
        answer_chat(&passive, &bob, &Capabilities::chat())
            .unwrap()
            .setup,
        Some(Setup::Active)
    );

    // A conference focus announces its chatroom capabilities.
    let focus = Capabilities {
        chatroom: vec!["nickname".into(), "private-messages".into()],
        ..Capabilities::chat()
    };
    let answer = answer_chat(&offer, &bob, &focus).unwrap();
    assert!(
        answer
            .render()
            .contains("a=chatroom:nickname private-messages\r\n")
    );
}

// sipsimple: the offer's rfbsetup (absent = active) decides, the answer
// takes the other role.
#[test]
fn desktop_answer() {
    let offer = vector("sipsimple-desktop-viewer-offer.sdp");
    let me = endpoint("msrps://198.51.100.7:2855/vnc1;tcp");
    let answer = answer_desktop(&offer, &me, &Capabilities::desktop_sharing()).unwrap();
    assert_eq!(
        (answer.media.as_str(), answer.rfbsetup),
        ("application", Some(RfbSetup::Passive))
    );
    let mut server = offer.clone();
    server.rfbsetup = Some(RfbSetup::Passive);
    assert_eq!(
        answer_desktop(&server, &me, &Capabilities::desktop_sharing())
            .unwrap()
            .rfbsetup,
        Some(RfbSetup::Active)
    );
    server.rfbsetup = None;
    assert_eq!(
        answer_desktop(&server, &me, &Capabilities::desktop_sharing())
            .unwrap()
            .rfbsetup,
        Some(RfbSetup::Passive)
    );
    let chat = vector("sipsimple-chat-offer.sdp");
    assert_eq!(
        answer_desktop(&chat, &me, &Capabilities::desktop_sharing()).unwrap_err(),
        NegotiationError::Media {
            expected: "application",
            found: "message".into()
        }
    );
}

// RFC 6714 §4.2 and §4.3: CEMA is answered only when it can work; with a
// relay, c= and m= carry the relay's address.
#[test]
fn cema_offer_and_answer() {
    let alice = LocalEndpoint {
        cema: true,
        ..endpoint("msrp://192.0.2.10:7654/a1;tcp")
    };
    let offer = chat_offer(&alice, &Capabilities::chat());
    assert!(offer.msrp_cema);
    let bob = LocalEndpoint {
        cema: true,
        ..endpoint("msrp://198.51.100.7:8888/b2;tcp")
    };
    let answer = answer_chat(&offer, &bob, &Capabilities::chat()).unwrap();
    assert!(answer.msrp_cema);
    let plain_bob = endpoint("msrp://198.51.100.7:8888/b2;tcp");
    assert!(
        !answer_chat(&offer, &plain_bob, &Capabilities::chat())
            .unwrap()
            .msrp_cema
    );

    // §4.2 item 3: a CEMA offerer behind a relay puts the relay in c=/m=.
    let relayed = LocalEndpoint {
        cema: true,
        ..endpoint("msrps://relay.example.net:9000/r9;tcp msrps://alice.example.com:7654/a1;tcp")
    };
    let offer = chat_offer(&relayed, &Capabilities::chat());
    assert_eq!(offer.port, 9000);
    assert_eq!(
        offer
            .connection
            .as_ref()
            .map(|c| c.connection_address.as_str()),
        Some("relay.example.net")
    );
    // §4.3 item 2: an offerer with a relay that becomes active: no CEMA.
    let mut active_relayed = offer.clone();
    active_relayed.setup = Some(Setup::Active);
    let tls_bob = LocalEndpoint {
        cema: true,
        ..endpoint("msrps://198.51.100.7:8888/b2;tcp")
    };
    // §4.5: to keep CEMA, Bob answers an actpass offerer behind a relay as
    // the active side, and connects to the relay's c=/m= address.
    let answer = answer_chat(&offer, &tls_bob, &Capabilities::chat()).unwrap();
    assert_eq!(
        (answer.msrp_cema, answer.setup),
        (true, Some(Setup::Active))
    );
    let anchor = msrp_chat::sdp::ConnectTarget::MediaLine {
        address: "relay.example.net".into(),
        port: 9000,
    };
    assert_eq!(
        connection(Side::Answerer, &offer, &answer),
        Ok(Connection::Connect {
            target: anchor,
            send_first: true
        })
    );
    assert!(
        !answer_chat(&active_relayed, &tls_bob, &Capabilities::chat())
            .unwrap()
            .msrp_cema
    );
}

// A whole body built from scratch renders, parses back and has IPv6 in c=.
#[test]
fn document_from_scratch() {
    let origin = sdp_types::Origin::with_ip_addr("3912345678", 1, std::net::Ipv6Addr::LOCALHOST);
    let mut doc = SdpDocument::new(origin, "-");
    let me = endpoint("msrp://[2001:db8::7]:2855/x1;tcp");
    doc.push_msrp(chat_offer(&me, &Capabilities::chat()));
    let text = doc.render();
    assert!(text.starts_with("v=0\r\no=- 3912345678 1 IN IP6 ::1\r\ns=-\r\nt=0 0\r\nm=message 2855 TCP/MSRP *\r\nc=IN IP6 2001:db8::7\r\n"));
    assert_eq!(SdpDocument::parse(text.as_bytes()).unwrap().render(), text);
}
