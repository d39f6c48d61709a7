//! The relay's AUTH server (RFC 4976 §5.1, §6.3, §7, §9.1) in virtual time:
//! the challenge, credentials with and without `uri=`, stale nonces,
//! wrong passwords until the connection closes, 403, 423, renewal keeping
//! the URI, and expiry.

mod relay_support;

use std::time::Duration;

use msrp_proto::relay::{CloseReason, ConfigError, Relay, RelayConfig, RelayEvent, Users};
use relay_support::*;

/// RFC 4976 §5.1, §7: no credentials → 401 with a Digest challenge: realm,
/// a fresh nonce, `qop="auth"` quoted, opaque; the response retraces the
/// AUTH's From-Path and comes from the URI it was addressed to.
#[test]
fn auth_without_credentials_is_challenged() {
    let mut net = net();
    let a = net.connect_raw(TLS);
    net.send_raw(a, auth_request("tid00001", ALICE, None, None).as_bytes());
    let challenge = next_chunk(&mut net, a);
    let head = challenge.head();
    assert_eq!(head.transaction_id(), "tid00001");
    assert_eq!(head.response_code(), Some(401));
    assert_eq!(head.to_path().to_string(), ALICE);
    assert_eq!(head.from_path().to_string(), RELAY);
    let value = head.header("WWW-Authenticate").unwrap();
    assert!(
        value.starts_with(&format!("Digest realm=\"{REALM}\", nonce=\"")),
        "{value}"
    );
    assert!(value.contains(", qop=\"auth\", opaque=\""), "{value}");
    assert!(!value.contains("stale"), "{value}");
    let params = head.www_authenticate().next().unwrap();
    let nonce = params.get("nonce").unwrap();
    assert_eq!(nonce.len(), 32, "128 random bits");
    // A second challenge has a new nonce.
    net.send_raw(a, auth_request("tid00002", ALICE, None, None).as_bytes());
    let again = next_chunk(&mut net, a);
    let nonce2 = again.head().www_authenticate().next().unwrap();
    assert_ne!(nonce2.get("nonce"), Some(nonce));
}

/// Nonces come from the caller's seed (a CSPRNG the runtime seeds from the
/// operating system): another seed, other nonces.
#[test]
fn nonces_follow_the_seed() {
    let nonce_with = |seed: u8| {
        let now = epoch();
        let mut relay = Relay::new(config(), users(), [seed; 32], now).unwrap();
        relay.add_listener(TLS);
        let mut net = msrp_proto::sim::relay::RelayNet::new(relay, now);
        let a = net.connect_raw(TLS);
        net.send_raw(a, auth_request("tid00001", ALICE, None, None).as_bytes());
        let c = next_chunk(&mut net, a);
        c.head()
            .www_authenticate()
            .next()
            .unwrap()
            .get("nonce")
            .unwrap()
            .to_owned()
    };
    assert_eq!(nonce_with(1), nonce_with(1));
    assert_ne!(nonce_with(1), nonce_with(2));
}

fn grant_with(with_uri: bool) {
    let mut net = net();
    let a = net.connect_raw(TLS);
    net.send_raw(
        a,
        auth_request("tid00001", ALICE, None, Some(600)).as_bytes(),
    );
    let challenge = next_chunk(&mut net, a);
    let creds = credentials(&challenge, "alice", PASSWORD, "00000001", with_uri);
    net.send_raw(
        a,
        auth_request("tid00002", ALICE, Some(&creds), Some(600)).as_bytes(),
    );
    let ok = next_chunk(&mut net, a);
    let head = ok.head();
    assert_eq!(head.response_code(), Some(200), "{ok:?}");
    assert_eq!(head.to_path().to_string(), ALICE);
    assert_eq!(head.expires(), Some(600));
    // RFC 4976 §4.2, §6.3: the relay URI: its name, an explicit port, and a
    // session id with at least 64 random bits.
    let use_path = head.use_path().unwrap();
    assert_eq!(use_path.len(), 1);
    let granted = use_path.first();
    assert!(granted.is_secure());
    assert_eq!((granted.host_str(), granted.port()), (HOST, Some(2856)));
    let token = granted.session_id().unwrap();
    assert!(
        token.len() >= 11 && token.bytes().all(|b| b.is_ascii_alphanumeric()),
        "{token}"
    );
    // RFC 4976 §9.1: Authentication-Info on every 200: rspauth (H(A2) over
    // ":" + the digest URI), cnonce, nc and qop, the last two unquoted.
    let info = head.header("Authentication-Info").unwrap();
    assert!(
        info.contains(", qop=auth, nc=00000001, cnonce=\"0a4f113b\""),
        "{info}"
    );
    let params = head.authentication_info().unwrap();
    let nonce = challenge
        .head()
        .www_authenticate()
        .next()
        .unwrap()
        .get("nonce")
        .unwrap()
        .to_owned();
    let ha1 = md5_hex(&format!("alice:{REALM}:{PASSWORD}"));
    let ha2 = md5_hex(&format!(":{RELAY}"));
    let rspauth = md5_hex(&format!("{ha1}:{nonce}:00000001:0a4f113b:auth:{ha2}"));
    assert_eq!(params.get("rspauth"), Some(rspauth.as_str()));
    assert!(matches!(
        net.take_events().as_slice(),
        [RelayEvent::Authenticated { user, renewed: false, .. }] if user == "alice"
    ));
}

/// RFC 4976 §9.1: credentials without `uri=` (the RFC 4976 grammar) hash
/// over the AUTH To-Path URI.
#[test]
fn credentials_without_uri_are_accepted() {
    grant_with(false);
}

/// RFC 7977 §8.1.2 / RFC 2617: credentials with `uri=` naming the To-Path
/// URI are accepted too.
#[test]
fn credentials_with_uri_are_accepted() {
    grant_with(true);
}

/// A `uri=` naming another URI is malformed: 400.
#[test]
fn credentials_with_another_uri_are_refused() {
    let mut net = net();
    let a = net.connect_raw(TLS);
    net.send_raw(a, auth_request("tid00001", ALICE, None, None).as_bytes());
    let challenge = next_chunk(&mut net, a);
    let creds = credentials(&challenge, "alice", PASSWORD, "00000001", true)
        .replace(RELAY, "msrps://elsewhere.example.com:2856;tcp");
    net.send_raw(
        a,
        auth_request("tid00002", ALICE, Some(&creds), None).as_bytes(),
    );
    assert_eq!(next_chunk(&mut net, a).head().response_code(), Some(400));
}

/// RFC 2617 §3.2.1: right credentials with an expired nonce get 401 with
/// `stale=TRUE` (not counted as a failure); wrong ones with an expired
/// nonce get a plain 401.
#[test]
fn stale_nonce_gets_stale_true() {
    let mut config = config();
    config.nonce_lifetime = Duration::from_secs(5);
    let mut net = net_with(config);
    let a = net.connect_raw(TLS);
    net.send_raw(a, auth_request("tid00001", ALICE, None, None).as_bytes());
    let challenge = next_chunk(&mut net, a);
    net.drive_for(Duration::from_secs(6));
    let creds = credentials(&challenge, "alice", PASSWORD, "00000001", false);
    net.send_raw(
        a,
        auth_request("tid00002", ALICE, Some(&creds), None).as_bytes(),
    );
    let stale = next_chunk(&mut net, a);
    assert_eq!(stale.head().response_code(), Some(401));
    let params = stale.head().www_authenticate().next().unwrap();
    assert_eq!(params.get("stale"), Some("TRUE"));
    let wrong = credentials(&challenge, "alice", "wrong", "00000001", false);
    net.send_raw(
        a,
        auth_request("tid00003", ALICE, Some(&wrong), None).as_bytes(),
    );
    let plain = next_chunk(&mut net, a);
    assert_eq!(
        plain.head().www_authenticate().next().unwrap().get("stale"),
        None
    );
    // The fresh nonce works.
    let creds = credentials(&stale, "alice", PASSWORD, "00000001", false);
    net.send_raw(
        a,
        auth_request("tid00004", ALICE, Some(&creds), None).as_bytes(),
    );
    assert_eq!(next_chunk(&mut net, a).head().response_code(), Some(200));
}

/// RFC 2617 §3.2.2: a nonce count used before is a replay: 401.
#[test]
fn replayed_nonce_count_is_refused() {
    let mut net = net();
    let a = net.connect_raw(TLS);
    net.send_raw(a, auth_request("tid00001", ALICE, None, None).as_bytes());
    let challenge = next_chunk(&mut net, a);
    let creds = credentials(&challenge, "alice", PASSWORD, "00000001", false);
    net.send_raw(
        a,
        auth_request("tid00002", ALICE, Some(&creds), None).as_bytes(),
    );
    assert_eq!(next_chunk(&mut net, a).head().response_code(), Some(200));
    net.send_raw(
        a,
        auth_request("tid00003", ALICE, Some(&creds), None).as_bytes(),
    );
    assert_eq!(next_chunk(&mut net, a).head().response_code(), Some(401));
    let next = credentials(&challenge, "alice", PASSWORD, "00000002", false);
    net.send_raw(
        a,
        auth_request("tid00004", ALICE, Some(&next), None).as_bytes(),
    );
    assert_eq!(next_chunk(&mut net, a).head().response_code(), Some(200));
}

/// RFC 4976 §6.3, §10.3: a wrong password gets 401 again; after
/// `max_auth_failures` (3) the connection closes once the last 401 went
/// out.
#[test]
fn wrong_password_three_times_closes_the_connection() {
    let mut net = net();
    let a = net.connect_raw(TLS);
    net.send_raw(a, auth_request("tid00001", ALICE, None, None).as_bytes());
    let mut challenge = next_chunk(&mut net, a);
    for n in 0..3 {
        assert!(!net.peers[a].closed_by_relay(), "open after {n} failures");
        let wrong = credentials(&challenge, "alice", "wrong", "00000001", n == 1);
        net.send_raw(
            a,
            auth_request(&format!("tid1000{n}"), ALICE, Some(&wrong), None).as_bytes(),
        );
        challenge = next_chunk(&mut net, a);
        assert_eq!(challenge.head().response_code(), Some(401));
        assert_eq!(
            challenge
                .head()
                .www_authenticate()
                .next()
                .unwrap()
                .get("stale"),
            None
        );
    }
    net.drive_until(|net| net.peers[a].closed_by_relay());
    let events = net.take_events();
    let refused = events
        .iter()
        .filter(|e| matches!(e, RelayEvent::AuthRefused { code: 401, .. }))
        .count();
    assert_eq!(refused, 3, "{events:?}");
    assert!(
        matches!(
            events.last(),
            Some(RelayEvent::Closed {
                reason: CloseReason::AuthFailures,
                ..
            })
        ),
        "{events:?}"
    );
}

/// The library's client gives up on a wrong password with 401.
#[test]
fn client_with_wrong_password_fails_with_401() {
    let mut net = net();
    let a = net.connect(endpoint(1), TLS);
    assert_eq!(
        authenticate(&mut net, a, "alice", "wrong", None, ALICE),
        Err(401)
    );
}

/// Without the limit reached, a wrong password leaves the connection open
/// and the right one works afterwards.
#[test]
fn wrong_password_then_right_one() {
    let mut net = net();
    let a = net.connect_raw(TLS);
    net.send_raw(a, auth_request("tid00001", ALICE, None, None).as_bytes());
    let challenge = next_chunk(&mut net, a);
    let wrong = credentials(&challenge, "alice", "wrong", "00000001", false);
    net.send_raw(
        a,
        auth_request("tid00002", ALICE, Some(&wrong), None).as_bytes(),
    );
    let again = next_chunk(&mut net, a);
    assert_eq!(again.head().response_code(), Some(401));
    let right = credentials(&again, "alice", PASSWORD, "00000001", false);
    net.send_raw(
        a,
        auth_request("tid00003", ALICE, Some(&right), None).as_bytes(),
    );
    assert_eq!(next_chunk(&mut net, a).head().response_code(), Some(200));
    // An unknown user is a failure like a wrong password.
    let unknown = credentials(&again, "nobody", PASSWORD, "00000002", false);
    net.send_raw(
        a,
        auth_request("tid00004", ALICE, Some(&unknown), None).as_bytes(),
    );
    assert_eq!(next_chunk(&mut net, a).head().response_code(), Some(401));
}

/// RFC 4976 §6.3: a user with valid credentials that may not use the
/// relay gets 403.
#[test]
fn forbidden_user_gets_403() {
    let mut net = net();
    let a = net.connect(endpoint(1), TLS);
    assert_eq!(
        authenticate(&mut net, a, "mallory", PASSWORD, None, ALICE),
        Err(403)
    );
}

/// RFC 4976 §6.3, RFC 4975 §10.7: Expires out of bounds gets 423 with the
/// bound; the library's client retries with it and is granted.
#[test]
fn expires_out_of_bounds_gets_423_with_the_bound() {
    let mut net = net();
    let a = net.connect_raw(TLS);
    net.send_raw(a, auth_request("tid00001", ALICE, None, Some(5)).as_bytes());
    let challenge = next_chunk(&mut net, a);
    let creds = credentials(&challenge, "alice", PASSWORD, "00000001", false);
    net.send_raw(
        a,
        auth_request("tid00002", ALICE, Some(&creds), Some(5)).as_bytes(),
    );
    let low = next_chunk(&mut net, a);
    assert_eq!(low.head().response_code(), Some(423));
    assert_eq!(low.head().min_expires(), Some(10));
    assert!(
        low.head()
            .response_comment()
            .unwrap()
            .contains("Interval Out-of-Bounds")
    );
    let creds = credentials(&challenge, "alice", PASSWORD, "00000002", false);
    net.send_raw(
        a,
        auth_request("tid00003", ALICE, Some(&creds), Some(7200)).as_bytes(),
    );
    let high = next_chunk(&mut net, a);
    assert_eq!(high.head().response_code(), Some(423));
    assert_eq!(high.head().max_expires(), Some(3600));

    let b = net.connect(endpoint(2), TLS);
    let (_, expires) = authenticate(&mut net, b, "bob", PASSWORD, Some(3), BOB).unwrap();
    assert_eq!(expires, Duration::from_secs(10));
}

/// RFC 4976 §6.3 (and what clients expect): a renewal on the connection
/// that holds the URI keeps it; the library's client renews on its own.
#[test]
fn renewal_keeps_the_uri() {
    let mut net = net();
    let a = net.connect(endpoint(1), TLS);
    let (use_path, _) = authenticate(&mut net, a, "alice", PASSWORD, Some(10), ALICE).unwrap();
    net.take_events();
    net.drive_for(Duration::from_secs(35));
    let renewals: Vec<_> = net
        .take_events()
        .into_iter()
        .filter_map(|e| match e {
            RelayEvent::Authenticated { uri, renewed, .. } => Some((uri, renewed)),
            _ => None,
        })
        .collect();
    assert!(renewals.len() >= 3, "renewed every 8 s: {renewals:?}");
    for (granted, renewed) in renewals {
        assert!(renewed);
        assert_eq!(granted, *use_path.first());
    }
}

/// RFC 4976 §6.3: at its expiry a relay URI is invalid: a SEND to it gets
/// 481, a REPORT to it is dropped, and the connection stays.
#[test]
fn expired_uri_gets_481() {
    let mut net = net();
    let a = net.connect_raw(TLS);
    let granted = raw_grant(&mut net, a, "alice", ALICE, Some(10));
    let to = format!("{granted} {BOB}");
    net.drive_for(Duration::from_secs(11));
    assert!(
        net.take_events()
            .iter()
            .any(|e| matches!(e, RelayEvent::GrantExpired { .. }))
    );
    net.send_raw(
        a,
        &send_request("send0001", &to, ALICE, "msg00001", b"hi", None),
    );
    let refused = next_chunk(&mut net, a);
    assert_eq!(refused.head().response_code(), Some(481));
    assert_eq!(refused.head().to_path().to_string(), ALICE);
    assert_eq!(refused.head().from_path().first(), &granted);
    // Failure-Report no: nothing.
    net.send_raw(
        a,
        &send_request("send0002", &to, ALICE, "msg00002", b"hi", Some("no")),
    );
    let report = format!(
        "MSRP rep00001 REPORT\r\nTo-Path: {to}\r\nFrom-Path: {ALICE}\r\nMessage-ID: m1234\r\n\
         Byte-Range: 1-2/2\r\nStatus: 000 200 OK\r\n-------rep00001$\r\n"
    );
    net.send_raw(a, report.as_bytes());
    assert!(settle(&mut net, a, Duration::from_secs(1)).is_empty());
    assert!(!net.peers[a].closed_by_relay());
}

/// A URI granted on one connection is no good on another (RFC 4976 §6.3):
/// a request through it from elsewhere goes to its owner, not onwards.
#[test]
fn uri_is_bound_to_its_connection() {
    let mut net = net();
    let a = net.connect_raw(TLS);
    let granted = raw_grant(&mut net, a, "alice", ALICE, None);
    // Another connection uses alice's URI to reach a third party.
    let x = net.connect_raw(TLS);
    let to = format!("{granted} msrp://victim.example.com:9/v1234;tcp");
    net.send_raw(
        x,
        &send_request("send0001", &to, CAROL, "msg00001", b"spam", None),
    );
    // It is delivered to alice (who will refuse it), and no connection to
    // the victim is attempted.
    let delivered = next_chunk(&mut net, a);
    assert_eq!(
        delivered.head().to_path().to_string(),
        "msrp://victim.example.com:9/v1234;tcp"
    );
    assert_eq!(net.relay.stats().connections, 2);
}

#[test]
fn configurations_that_cannot_work_are_refused() {
    let bad = |f: fn(&mut RelayConfig)| {
        let mut c = config();
        f(&mut c);
        Relay::new(c, Users::new(), [0; 32], epoch()).unwrap_err()
    };
    assert_eq!(
        bad(|c| c.host = "bad host".into()),
        ConfigError::Host("bad host".into())
    );
    assert_eq!(bad(|c| c.realm = "a\r\nb".into()), ConfigError::Realm);
    assert_eq!(
        bad(|c| c.min_expires = 7200),
        ConfigError::Expires {
            min: 7200,
            max: 3600
        }
    );
    assert_eq!(
        bad(|c| c.max_auth_failures = 0),
        ConfigError::Zero("max-auth-failures")
    );
}
