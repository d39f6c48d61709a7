//! The connection decision, one test per row of the tables in
//! `msrp_chat::sdp::connect` (see `connection`'s documentation).

use msrp_chat::sdp::{
    ConnectTarget, Connection, ConnectionError, MsrpMedia, Role, Setup, Side, connection,
    negotiated_role,
};

use ConnectionError::{ActpassInAnswer, BothActive, BothPassive};
use Role::{Active, Passive};
use Setup::{ActPass, HoldConn};

const ABSENT: Option<Setup> = None;
const ACTIVE: Option<Setup> = Some(Setup::Active);
const PASSIVE: Option<Setup> = Some(Setup::Passive);

/// The offerer's role for each answer column, in the order absent,
/// active, passive, actpass, holdconn.
fn row(offer: Option<Setup>) -> [Result<Role, ConnectionError>; 5] {
    [ABSENT, ACTIVE, PASSIVE, Some(ActPass), Some(HoldConn)].map(|answer| {
        let offerer = negotiated_role(Side::Offerer, offer, answer);
        let answerer = negotiated_role(Side::Answerer, offer, answer);
        // The two sides always agree: exactly one is active, or both fail.
        match (&offerer, &answerer) {
            (Ok(o), Ok(a)) => assert_ne!(o, a, "offer {offer:?}, answer {answer:?}"),
            _ => assert_eq!(offerer, answerer),
        }
        offerer
    })
}

fn both_active(offer: Option<Setup>) -> Result<Role, ConnectionError> {
    Err(BothActive {
        offer: offer.filter(|s| *s != HoldConn),
        answer: ACTIVE,
    })
}

fn both_passive(answer: Option<Setup>) -> Result<Role, ConnectionError> {
    Err(BothPassive {
        offer: PASSIVE,
        answer: answer.filter(|s| *s != HoldConn),
    })
}

// Row "absent": RFC 4975 §5.4 and §8.5 (the offerer connects) and RFC 4145
// §4.1 (the default is active in an offer, passive in an answer). An answer
// that says active against it leaves nobody listening; an answer may never
// say actpass (RFC 4145 §4.1 table); holdconn is read as absent (RFC 6135
// §4.2.1).
#[test]
fn offer_without_setup() {
    assert_eq!(
        row(ABSENT),
        [
            Ok(Active),
            both_active(ABSENT),
            Ok(Active),
            Err(ActpassInAnswer),
            Ok(Active)
        ]
    );
}

// Row "active": RFC 4145 §4.1: an active offer takes a passive answer.
#[test]
fn offer_active() {
    assert_eq!(
        row(ACTIVE),
        [
            Ok(Active),
            both_active(ACTIVE),
            Ok(Active),
            Err(ActpassInAnswer),
            Ok(Active)
        ]
    );
}

// Row "actpass": RFC 6135 §4.2.2 and RFC 4145 §4.1: the answer chooses;
// an answer without a=setup comes from an RFC 4975 peer, so the offerer
// connects (sipsimple: "becoming active if the answer says passive or has
// no a=setup").
#[test]
fn offer_actpass() {
    assert_eq!(
        row(Some(ActPass)),
        [
            Ok(Active),
            Ok(Passive),
            Ok(Active),
            Err(ActpassInAnswer),
            Ok(Active)
        ]
    );
}

// Row "passive": forbidden in offers by RFC 6135 §4.2.2 but allowed by RFC
// 4145 §4.1, which then needs an active answer; absent, passive and
// holdconn answers leave both sides listening.
#[test]
fn offer_passive() {
    assert_eq!(
        row(PASSIVE),
        [
            both_passive(ABSENT),
            Ok(Passive),
            both_passive(PASSIVE),
            Err(ActpassInAnswer),
            both_passive(Some(HoldConn))
        ]
    );
}

// Row "holdconn": RFC 6135 §4.2.1: received holdconn is processed as if
// there were no a=setup.
#[test]
fn offer_holdconn_reads_as_absent() {
    assert_eq!(row(Some(HoldConn)), row(ABSENT));
}

fn media(path: &str, extra: &[&str]) -> MsrpMedia {
    let mut text =
        format!("m=message 7654 TCP/MSRP *\r\nc=IN IP4 203.0.113.5\r\na=path:{path}\r\n");
    for line in extra {
        text.push_str(line);
        text.push_str("\r\n");
    }
    MsrpMedia::parse_section(&text).unwrap()
}

const ALICE: &str = "msrp://alice.example.com:7654/a1;tcp";
const BOB: &str = "msrp://bob.example.com:8888/b2;tcp";
const BOB_RELAYED: &str =
    "msrps://relay.example.net:9000/r9;tcp msrps://bob.example.com:8888/b2;tcp";

fn connect(target: ConnectTarget, send_first: bool) -> Result<Connection, ConnectionError> {
    Ok(Connection::Connect { target, send_first })
}

fn peer(uri: &str) -> ConnectTarget {
    ConnectTarget::PeerPath(uri.parse().unwrap())
}

fn relay(uri: &str) -> ConnectTarget {
    ConnectTarget::OwnRelay(uri.parse().unwrap())
}

// Transport row 1: a side that uses a relay always connects to its own
// relay, "no matter what value [it] has provided in the a=setup attribute"
// (RFC 6135 §4.5; RFC 4976 §3: a client first opens a connection to its
// relay), and sends the first SEND only when active.
#[test]
fn relay_user_connects_to_its_relay_whatever_its_role() {
    let offer = media(ALICE, &["a=setup:actpass"]);
    let active_bob = media(BOB_RELAYED, &["a=setup:active"]);
    let passive_bob = media(BOB_RELAYED, &["a=setup:passive"]);
    let bobs_relay = "msrps://relay.example.net:9000/r9;tcp";
    assert_eq!(
        connection(Side::Answerer, &offer, &active_bob),
        connect(relay(bobs_relay), true)
    );
    assert_eq!(
        connection(Side::Answerer, &offer, &passive_bob),
        connect(relay(bobs_relay), false)
    );
    // With several relays, the own relay is the one next to the own URI
    // (the first hop of the relay's Use-Path, RFC 4976 §5.1).
    let chained = media(
        &format!("msrps://far.example.org:9000/f1;tcp {BOB_RELAYED}"),
        &["a=setup:passive"],
    );
    assert_eq!(
        connection(Side::Answerer, &offer, &chained),
        connect(relay(bobs_relay), false)
    );
}

// Transport row 2: an active side without relays connects to the first URI
// of the peer's a=path (RFC 4975 §5.4, §8.3: "only the first entry is
// relevant ... as it describes the first adjacent hop").
#[test]
fn active_side_connects_to_the_first_uri_of_the_peer_path() {
    let offer = media(ALICE, &[]);
    assert_eq!(
        connection(Side::Offerer, &offer, &media(BOB, &[])),
        connect(peer(BOB), true)
    );
    // The peer's relay is that first URI (RFC 4976 §11's example).
    let relayed = media(BOB_RELAYED, &[]);
    assert_eq!(
        connection(Side::Offerer, &offer, &relayed),
        connect(peer("msrps://relay.example.net:9000/r9;tcp"), true)
    );
    // RFC 6135: an answerer that chose active connects to the offerer.
    let answer = media(BOB, &["a=setup:active"]);
    let actpass = media(ALICE, &["a=setup:actpass"]);
    assert_eq!(
        connection(Side::Answerer, &actpass, &answer),
        connect(peer(ALICE), true)
    );
}

// Transport row 3: with a=msrp-cema on both sides, the active side
// connects to the peer's c= address and m= port (RFC 6714 §4.2 for the
// offerer, §4.3 for the answerer); with it on one side only, RFC 4975 rules.
#[test]
fn cema_connects_to_the_media_line() {
    let offer = media(ALICE, &["a=setup:actpass", "a=msrp-cema"]);
    let answer = media(BOB, &["a=setup:passive", "a=msrp-cema"]);
    let anchor = ConnectTarget::MediaLine {
        address: "203.0.113.5".into(),
        port: 7654,
    };
    assert_eq!(
        connection(Side::Offerer, &offer, &answer),
        connect(anchor, true)
    );
    let plain = media(BOB, &["a=setup:passive"]);
    assert_eq!(
        connection(Side::Offerer, &offer, &plain),
        connect(peer(BOB), true)
    );
    let mut no_c = answer.clone();
    no_c.connection = None;
    assert_eq!(
        connection(Side::Offerer, &offer, &no_c),
        Err(ConnectionError::MissingConnectionAddress)
    );
}

// Transport row 4: a passive side without relays listens (RFC 4975 §5.4:
// the passive endpoint waits for the first SEND to bind the connection).
#[test]
fn passive_side_listens() {
    let offer = media(ALICE, &[]);
    assert_eq!(
        connection(Side::Answerer, &offer, &media(BOB, &[])),
        Ok(Connection::Listen)
    );
    let actpass = media(ALICE, &["a=setup:actpass"]);
    assert_eq!(
        connection(Side::Offerer, &actpass, &media(BOB, &["a=setup:active"])),
        Ok(Connection::Listen)
    );
}

// A rejected stream (port 0, RFC 3264 §6) and a missing a=path (mandatory,
// RFC 4975 §8.2) leave nothing to decide.
#[test]
fn rejected_or_pathless_streams_are_errors() {
    let offer = media(ALICE, &[]);
    let mut rejected = media(BOB, &[]);
    rejected.port = 0;
    assert_eq!(
        connection(Side::Offerer, &offer, &rejected),
        Err(ConnectionError::Rejected { sdp: "answer" })
    );
    let mut pathless = media(BOB, &[]);
    pathless.path = None;
    assert_eq!(
        connection(Side::Answerer, &offer, &pathless),
        Err(ConnectionError::MissingPath { sdp: "answer" })
    );
}

// The errors say what was found and what was expected.
#[test]
fn error_messages() {
    let e = negotiated_role(Side::Offerer, ABSENT, ACTIVE).unwrap_err();
    assert_eq!(
        e.to_string(),
        "offer a=setup:(none) and answer a=setup:active make both sides active: expected the answer to be passive (RFC 4145 §4.1)"
    );
    assert!(
        ActpassInAnswer
            .to_string()
            .contains("expected active or passive")
    );
}
