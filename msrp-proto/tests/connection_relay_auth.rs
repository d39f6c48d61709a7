//! Relay authentication (RFC 4976 §5) as a connection performs it, with the
//! test playing the relay: it challenges, checks the digest credentials
//! itself (RFC 2617, computed here independently of the library), and grants
//! a path. Covers the happy path, a 423 for an Expires out of bounds, a wrong
//! password, and the granted Use-Path heading the path of the sessions
//! opened afterwards.

mod common;

use std::time::Duration;

use common::*;
use md5::{Digest, Md5};
use msrp_proto::connection::{AuthConfig, Config, Event, SessionConfig};
use msrp_proto::wire::{ChunkHead, Continuation, Method};
use msrp_proto::{MsrpUri, Path};

const RELAY: &str = "msrps://relay.example.com:2856;tcp";
const GRANTED: &str = "msrps://relay.example.com:2856/granted1;tcp";
const REALM: &str = "relay.example.com";
const PASSWORD: &str = "secret";

fn md5_hex(text: &str) -> String {
    hex::encode(Md5::digest(text.as_bytes()))
}

/// A connection that authenticates to [`RELAY`] as alice.
fn alice(password: &str, expires: u32) -> Solo {
    let mut alice = Solo::new(Config::default(), [5; 32]);
    let config = AuthConfig::new(uri(RELAY), uri(ALICE), "alice", password).expires(expires);
    alice.conn.authenticate(config).unwrap();
    alice
}

/// The one AUTH request the connection sent since the last call.
fn next_auth(conn: &mut Solo) -> ChunkHead {
    let sent = conn.transmit();
    assert_eq!(sent.len(), 1, "one request at a time: {sent:?}");
    let head = sent[0].head.clone();
    assert_eq!(head.method(), Some(&Method::Auth));
    assert_eq!(
        head.to_path().to_string(),
        RELAY,
        "§5: AUTH goes to the relay's URI"
    );
    assert_eq!(head.from_path().to_string(), ALICE);
    head
}

/// The relay's answer to `request`: the whole From-Path back (§7.2 for
/// requests other than SEND), with extra headers.
fn answer(request: &ChunkHead, code: u16, headers: &[(&str, String)]) -> Vec<u8> {
    let mut head = ChunkHead::response(code, Some("relay"), request.transaction_id())
        .to_path(request.from_path())
        .from_path(&Path::from(request.to_path().first().clone()));
    for (name, value) in headers {
        head = head.header(name, value);
    }
    encode(head.build().unwrap(), None, Continuation::Complete)
}

fn challenge(request: &ChunkHead, nonce: &str) -> Vec<u8> {
    let value = format!("Digest realm=\"{REALM}\", nonce=\"{nonce}\", qop=\"auth\"");
    answer(request, 401, &[("WWW-Authenticate", value)])
}

/// The relay's check of the credentials (RFC 2617 §3.2.2, qop=auth), over
/// the AUTH To-Path URI whether or not `uri` names it (RFC 4976 §9.1), as
/// the Kamailio configuration of the relay tests does.
fn credentials_valid(request: &ChunkHead, nonce: &str) -> bool {
    let Some(auth) = request.authorization() else {
        return false;
    };
    let get = |name: &str| auth.get(name).unwrap_or_default().to_owned();
    let uri = auth.get("uri").unwrap_or(RELAY).to_owned();
    assert_eq!(uri, RELAY, "the digest-uri is the AUTH To-Path URI");
    assert_eq!(get("nonce"), nonce);
    assert_eq!(get("qop"), "auth");
    let ha1 = md5_hex(&format!("{}:{REALM}:{PASSWORD}", get("username")));
    let ha2 = md5_hex(&format!("AUTH:{uri}"));
    let expected = md5_hex(&format!(
        "{ha1}:{nonce}:{}:{}:auth:{ha2}",
        get("nc"),
        get("cnonce")
    ));
    get("response") == expected
}

fn grant(request: &ChunkHead, expires: u32) -> Vec<u8> {
    answer(
        request,
        200,
        &[
            ("Use-Path", GRANTED.to_owned()),
            ("Expires", expires.to_string()),
        ],
    )
}

#[test]
fn the_digest_exchange_grants_a_path_that_heads_new_sessions() {
    let mut alice = alice(PASSWORD, 600);
    let first = next_auth(&mut alice);
    assert!(
        first.authorization().is_none(),
        "the first AUTH carries no credentials"
    );
    assert_eq!(first.expires(), Some(600));
    alice.feed(&challenge(&first, "nonce-1"));

    let second = next_auth(&mut alice);
    assert!(credentials_valid(&second, "nonce-1"), "{second:?}");
    alice.feed(&grant(&second, 600));

    let events = alice.take_events();
    assert!(events.iter().any(|e| matches!(e,
        Event::Authenticated { use_path, expires }
            if use_path.to_string() == GRANTED && *expires == Duration::from_secs(600))));
    assert_eq!(
        alice.conn.relay_path().map(Path::to_string).as_deref(),
        Some(GRANTED)
    );

    // §5: the granted path heads this side's path. A session opened now
    // binds through the relay: To-Path = the relay's path, then the peer's.
    let bob: MsrpUri = "msrps://bob.example.net:8145/bob1;tcp".parse().unwrap();
    let session = alice
        .conn
        .open_session(SessionConfig::new(uri(ALICE)).remote_path(bob.clone().into()))
        .unwrap();
    let bind = alice.transmit();
    assert_eq!(bind.len(), 1);
    assert_eq!(
        bind[0].head.to_path().to_string(),
        format!("{GRANTED} {bob}")
    );
    assert_eq!(bind[0].head.from_path().to_string(), ALICE);
    let local_path = alice.conn.session_config(session).unwrap().local_path();
    assert_eq!(
        local_path.to_string(),
        format!("{GRANTED} {ALICE}"),
        "what goes in a=path"
    );
}

#[test]
fn an_expires_out_of_bounds_is_corrected_after_a_423() {
    let mut alice = alice(PASSWORD, 600);
    let first = next_auth(&mut alice);
    alice.feed(&challenge(&first, "nonce-2"));
    let second = next_auth(&mut alice);
    assert!(credentials_valid(&second, "nonce-2"));
    // The relay wants at least 900 seconds.
    alice.feed(&answer(
        &second,
        423,
        &[
            ("Min-Expires", "900".into()),
            ("Max-Expires", "3600".into()),
        ],
    ));
    let third = next_auth(&mut alice);
    assert_eq!(
        third.expires(),
        Some(900),
        "clamped into [Min-Expires, Max-Expires]"
    );
    assert!(
        credentials_valid(&third, "nonce-2"),
        "the same challenge, nc counting on"
    );
    assert_ne!(
        third.authorization().unwrap().get("nc"),
        second.authorization().unwrap().get("nc")
    );
    alice.feed(&grant(&third, 900));
    assert!(
        alice
            .take_events()
            .iter()
            .any(|e| matches!(e, Event::Authenticated { .. }))
    );
}

#[test]
fn a_wrong_password_fails_once_refused_with_and_without_uri() {
    let mut alice = alice("not the password", 600);
    let first = next_auth(&mut alice);
    let mut nonce = String::from("nonce-0");
    alice.feed(&challenge(&first, &nonce));
    let mut attempts = 0;
    loop {
        let sent = alice.transmit();
        let Some(request) = sent.first() else {
            break;
        };
        attempts += 1;
        assert!(
            attempts <= 2,
            "no more than two attempts with credentials: without uri, then with it"
        );
        assert!(
            !credentials_valid(&request.head, &nonce),
            "the relay must refuse"
        );
        // The relay refuses and challenges again, with a fresh nonce.
        nonce = format!("nonce-{attempts}");
        alice.feed(&challenge(&request.head, &nonce));
    }
    assert_eq!(attempts, 2);
    let events = alice.take_events();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::AuthFailed { code: 401, .. })),
        "{events:?}"
    );
    assert!(alice.conn.relay_path().is_none());
}

/// A renewal the relay refuses (RFC 4976 §5.1) leaves no valid path: the
/// connection closes, and its sessions with it, saying why.
#[test]
fn a_refused_renewal_closes_the_connection_with_the_reason() {
    let mut alice = alice(PASSWORD, 100);
    let first = next_auth(&mut alice);
    alice.feed(&challenge(&first, "nonce-r"));
    let second = next_auth(&mut alice);
    alice.feed(&grant(&second, 100));
    alice.take_events();
    // Renewed at 80 % of Expires; the relay now forbids the user.
    alice.advance(Duration::from_secs(80));
    let renewal = next_auth(&mut alice);
    alice.feed(&answer(&renewal, 403, &[]));
    let events = alice.take_events();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::AuthFailed { code: 403, .. })),
        "{events:?}"
    );
    let reasons = close_reasons(&events);
    assert!(
        matches!(
            reasons[..],
            [msrp_proto::connection::CloseReason::AuthRenewalFailed { code: 403, .. }]
        ),
        "{reasons:?}"
    );
    assert!(alice.conn.is_closed());
}

/// A relay may answer for the far side with a failure REPORT (408 when the
/// next hop timed out, say): the message fails with the relay's code. Its
/// 200 is only the first hop's (RFC 4976: responses are hop by hop), so
/// the message asks for a success report, which alone speaks for the far
/// end.
#[test]
fn a_failure_report_from_the_relay_fails_the_message() {
    let mut alice = alice(PASSWORD, 600);
    let first = next_auth(&mut alice);
    alice.feed(&challenge(&first, "nonce-f"));
    let second = next_auth(&mut alice);
    alice.feed(&grant(&second, 600));
    let bob: MsrpUri = "msrps://bob.example.net:8145/bob1;tcp".parse().unwrap();
    let session = alice
        .conn
        .open_session(
            SessionConfig::new(uri(ALICE))
                .local_relays([uri(GRANTED)])
                .remote_path(bob.into()),
        )
        .unwrap();
    let bind = alice.transmit().remove(0);
    alice.feed(&answer(&bind.head, 200, &[]));
    alice.take_events();
    let id = alice
        .conn
        .send_message(
            session,
            msrp_proto::connection::OutgoingMessage::new("text/plain")
                .body("hello")
                .success_report(msrp_proto::wire::SuccessReport::Yes),
        )
        .unwrap();
    let send = alice.transmit().remove(0);
    alice.feed(&answer(&send.head, 200, &[]));
    // The REPORT comes from the relay itself: its URI alone in From-Path.
    let report = ChunkHead::request(Method::Report, "relayrep1")
        .to_path(&Path::from(uri(ALICE)))
        .from_path(&Path::from(uri(GRANTED)))
        .message_id(id.as_str())
        .byte_range(msrp_proto::wire::ByteRange::parse("1-5/5").unwrap())
        .status(&msrp_proto::wire::Status::new(408, Some("Request Timeout")))
        .build()
        .unwrap();
    alice.feed(&encode(report, None, Continuation::Complete));
    let outcomes = one_outcome_each(&alice.take_events(), &[id]);
    assert!(
        matches!(
            outcomes[..],
            [msrp_proto::connection::Outcome::Failed { code: 408, .. }]
        ),
        "{outcomes:?}"
    );
}
