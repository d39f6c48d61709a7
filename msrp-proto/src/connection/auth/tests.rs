//! Relay AUTH (RFC 4976 §5): the client against scripted relay responses.

use std::sync::Arc;

use super::*;
use crate::connection::digest::md5_hex;
use crate::connection::{CommandError, Config, Connection, Event as ConnectionEvent};
use crate::wire::{DigestParams, Event, HeadBuilder, Limits, Parser};

const RELAY: &str = "msrps://relay.example.com:2855;tcp";
const LOCAL: &str = "msrps://alice.example.com:3456/iau39soe2843z;tcp";
const GRANTED: &str = "msrps://relay.example.com:2855/hjdhfsdjs;tcp";
const RENEWED: &str = "msrps://relay.example.com:2855/k39s9dkd2;tcp";
const USER: &str = "alice@example.com";
const PASSWORD: &str = "correct horse";
const REALM: &str = "example.com";
const NONCE: &str = "dcd98b7102dd2f0e8b11d0f600bfb0c093";
const NONCE2: &str = "a9c1e2f40b5d6c7e8f90a1b2c3d4e5f6";
const NONCE3: &str = "0badc0de0badc0de0badc0de0badc0de";

/// The start of a fake clock, only ever moved forward by adding Durations.
#[allow(clippy::disallowed_methods)] // Tests need some Instant to start from.
fn clock() -> Instant {
    Instant::now()
}

fn config() -> AuthConfig {
    AuthConfig::new(
        RELAY.parse().unwrap(),
        LOCAL.parse().unwrap(),
        USER,
        PASSWORD,
    )
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// An [`AuthClient`] with a seeded generator and a fake clock.
struct Harness {
    client: AuthClient,
    ids: IdGenerator,
    t0: Instant,
}

impl Harness {
    fn new(config: AuthConfig) -> Self {
        Self::with_attempts(config, 3)
    }

    fn with_attempts(config: AuthConfig, max_attempts: u32) -> Self {
        Self {
            client: AuthClient::new(config, max_attempts, Ratio::per_mille(800)),
            ids: IdGenerator::from_seed([7; 32]),
            t0: clock(),
        }
    }

    /// `start`, which must send a bare AUTH.
    fn start(&mut self) -> ChunkHead {
        let request = sent(self.client.start(self.t0, &mut self.ids));
        assert!(request.authorization().is_none());
        assert!(self.client.busy());
        assert_eq!(self.client.deadline(), None);
        request
    }

    /// A response arriving `at` seconds after the start.
    fn on(&mut self, response: &ChunkHead, at: u64) -> AuthStep {
        self.client
            .on_response(response, self.t0 + secs(at), &mut self.ids)
    }
}

/// Parses the bytes of one bodiless chunk, checking nothing else is there.
fn parse(bytes: &[u8]) -> ChunkHead {
    let mut parser = Parser::new(Limits::default());
    parser.feed(bytes);
    let head = match parser.next() {
        Ok(Some(Event::Head(head))) => head,
        other => panic!("expected a head, got {other:?}"),
    };
    assert!(!head.has_body());
    assert_eq!(parser.next(), Ok(Some(Event::End(Continuation::Complete))));
    assert_eq!(parser.next(), Ok(None));
    assert_eq!(parser.buffered(), 0);
    head
}

/// The AUTH request a step sends, parsed, with its paths checked.
fn sent(step: AuthStep) -> ChunkHead {
    let AuthStep::Send { tid, bytes } = step else {
        panic!("expected an AUTH request, got {step:?}");
    };
    let head = parse(&bytes);
    assert_eq!(head.transaction_id(), tid);
    assert_eq!(head.method(), Some(&Method::Auth));
    assert_eq!(head.to_path().to_string(), RELAY);
    assert_eq!(head.from_path().to_string(), LOCAL);
    head
}

fn failed(step: AuthStep) -> (u16, String) {
    match step {
        AuthStep::Failed { code, comment } => (code, comment),
        other => panic!("expected a failure, got {other:?}"),
    }
}

fn authenticated(step: AuthStep) -> (Path, Duration) {
    match step {
        AuthStep::Authenticated { use_path, expires } => (use_path, expires),
        other => panic!("expected Authenticated, got {other:?}"),
    }
}

/// The relay's response to `request`, as RFC 4975 §7.2 addresses it.
fn response(request: &ChunkHead, code: u16) -> HeadBuilder {
    ChunkHead::response(code, Some(reason_phrase(code)), request.transaction_id())
        .to_path(request.from_path())
        .from_path(request.to_path())
}

fn challenge_with(request: &ChunkHead, value: &str) -> ChunkHead {
    response(request, 401)
        .header("WWW-Authenticate", value)
        .build()
        .unwrap()
}

/// A 401 as Kamailio's and OpenSIPS's relays send it.
fn challenge(request: &ChunkHead, nonce: &str) -> ChunkHead {
    challenge_with(
        request,
        &format!(r#"Digest realm="{REALM}", nonce="{nonce}", qop="auth", opaque="op4que""#),
    )
}

fn granted(request: &ChunkHead, path: &str, expires: Option<u32>) -> HeadBuilder {
    let builder = response(request, 200).use_path(&path.parse().unwrap());
    match expires {
        Some(seconds) => builder.expires(seconds),
        None => builder,
    }
}

/// RFC 2617 §3.2.2 written out again with nothing but MD5, independently
/// of the digest module's composition.
fn digest(nonce: &str, nc: u32, cnonce: &str, method: &str) -> String {
    let ha1 = md5_hex(format!("{USER}:{REALM}:{PASSWORD}").as_bytes());
    let ha2 = md5_hex(format!("{method}:{RELAY}").as_bytes());
    md5_hex(format!("{ha1}:{nonce}:{nc:08x}:{cnonce}:auth:{ha2}").as_bytes())
}

/// Checks the Authorization of a credentialed AUTH request in its first
/// form, without `uri` (RFC 4976 §7): every parameter, and the digest
/// recomputed.
fn credentials(request: &ChunkHead, nonce: &str, nc: u32) -> DigestParams {
    credentials_in_form(request, nonce, nc, false)
}

/// [`credentials`] in the form with `uri` (RFC 2617 §3.2.2).
fn credentials_with_uri(request: &ChunkHead, nonce: &str, nc: u32) -> DigestParams {
    credentials_in_form(request, nonce, nc, true)
}

fn credentials_in_form(request: &ChunkHead, nonce: &str, nc: u32, uri: bool) -> DigestParams {
    let p = request.authorization().expect("an Authorization header");
    let names: Vec<&str> = p.iter().map(|(name, _, _)| name).collect();
    let mut want = vec!["username", "realm", "nonce"];
    if uri {
        want.push("uri");
    }
    want.extend(["qop", "nc", "cnonce", "response", "opaque"]);
    assert_eq!(names, want);
    assert_eq!(p.get("username"), Some(USER));
    assert_eq!(p.get("realm"), Some(REALM));
    assert_eq!(p.get("nonce"), Some(nonce));
    assert_eq!(p.get("uri"), uri.then_some(RELAY));
    assert_eq!(p.get("qop"), Some("auth"));
    assert_eq!(p.get("nc"), Some(format!("{nc:08x}").as_str()));
    assert_eq!(p.get("opaque"), Some("op4que"));
    let cnonce = p.get("cnonce").unwrap();
    // At least 64 random bits: 16 hex digits or more.
    assert!(cnonce.len() >= 16 && cnonce.bytes().all(|b| b.is_ascii_hexdigit()));
    let want = digest(nonce, nc, cnonce, "AUTH");
    assert_eq!(p.get("response"), Some(want.as_str()));
    p
}

/// The rspauth a relay that knows the password sends for `request`.
fn rspauth(request: &ChunkHead) -> String {
    let p = request.authorization().unwrap();
    let nc = u32::from_str_radix(p.get("nc").unwrap(), 16).unwrap();
    digest(p.get("nonce").unwrap(), nc, p.get("cnonce").unwrap(), "")
}

#[test]
fn happy_path() {
    let mut h = Harness::new(config().expires(900));
    let first = h.start();
    assert_eq!(first.expires(), Some(900));
    let second = sent(h.on(&challenge(&first, NONCE), 1));
    assert_ne!(second.transaction_id(), first.transaction_id());
    assert_eq!(second.expires(), Some(900));
    credentials(&second, NONCE, 1);
    assert!(h.client.busy());

    let (use_path, expires) =
        authenticated(h.on(&granted(&second, GRANTED, Some(900)).build().unwrap(), 2));
    assert_eq!(use_path.to_string(), GRANTED);
    assert_eq!(expires, secs(900));
    assert!(!h.client.busy());
    // Renewal at 80 % of the lifetime, counted from the 200.
    assert_eq!(h.client.deadline(), Some(h.t0 + secs(2 + 720)));

    // A repeated response finds no request: ignored.
    assert!(matches!(h.on(&challenge(&first, NONCE), 3), AuthStep::Wait));
    assert_eq!(h.client.deadline(), Some(h.t0 + secs(722)));
}

#[test]
fn cnonces_are_fresh_and_seeded() {
    let run = || {
        let mut h = Harness::new(config());
        let first = h.start();
        let second = sent(h.on(&challenge(&first, NONCE), 1));
        let third = sent(h.on(&challenge(&second, NONCE2), 2));
        let cnonce = |r: &ChunkHead| r.authorization().unwrap().get("cnonce").unwrap().to_owned();
        (cnonce(&second), cnonce(&third))
    };
    let (a, b) = run();
    assert_ne!(a, b);
    assert_eq!(a.len(), 32);
    assert_eq!(run(), (a, b), "the seed decides everything");
}

#[test]
fn expires_when_none_is_asked_or_granted() {
    // Nothing asked, nothing granted: the documented default.
    let mut h = Harness::new(config());
    let first = h.start();
    assert_eq!(first.expires(), None);
    let second = sent(h.on(&challenge(&first, NONCE), 0));
    assert_eq!(second.expires(), None);
    let (_, expires) = authenticated(h.on(&granted(&second, GRANTED, None).build().unwrap(), 0));
    assert_eq!(expires, secs(u64::from(DEFAULT_EXPIRES)));
    assert_eq!(h.client.deadline(), Some(h.t0 + secs(480)));

    // Asked but not echoed: what was asked.
    let mut h = Harness::new(config().expires(300));
    let first = h.start();
    let second = sent(h.on(&challenge(&first, NONCE), 0));
    let (_, expires) = authenticated(h.on(&granted(&second, GRANTED, None).build().unwrap(), 0));
    assert_eq!(expires, secs(300));

    // The relay's value wins over the one asked.
    let mut h = Harness::new(config().expires(300));
    let first = h.start();
    let second = sent(h.on(&challenge(&first, NONCE), 0));
    let (_, expires) =
        authenticated(h.on(&granted(&second, GRANTED, Some(120)).build().unwrap(), 0));
    assert_eq!(expires, secs(120));
}

#[test]
fn a_relay_that_grants_without_a_challenge() {
    let mut h = Harness::new(config());
    let first = h.start();
    // rspauth cannot be checked without credentials sent: ignored.
    let ok = granted(&first, GRANTED, Some(60))
        .header(
            "Authentication-Info",
            r#"rspauth="00000000000000000000000000000000""#,
        )
        .build()
        .unwrap();
    let (use_path, expires) = authenticated(h.on(&ok, 0));
    assert_eq!(
        (use_path.to_string().as_str(), expires),
        (GRANTED, secs(60))
    );
}

#[test]
fn interval_out_of_bounds_then_success() {
    let mut h = Harness::new(config().expires(30));
    let first = h.start();
    let second = sent(h.on(&challenge(&first, NONCE), 1));
    credentials(&second, NONCE, 1);
    let too_short = response(&second, 423)
        .header("Min-Expires", "60")
        .header("Max-Expires", "3600")
        .build()
        .unwrap();
    let third = sent(h.on(&too_short, 2));
    // Clamped into the bounds; same challenge, so nc goes on.
    assert_eq!(third.expires(), Some(60));
    let p = credentials(&third, NONCE, 2);
    assert_ne!(
        p.get("cnonce"),
        second.authorization().unwrap().get("cnonce")
    );
    let (_, expires) = authenticated(h.on(&granted(&third, GRANTED, Some(60)).build().unwrap(), 3));
    assert_eq!(expires, secs(60));

    // The clamped value is kept for the renewal, which would be
    // refused the same way.
    let renewal = sent(h.client.on_deadline(h.t0 + secs(3 + 48), &mut h.ids));
    assert_eq!(renewal.expires(), Some(60));
    assert!(renewal.authorization().is_none());
}

#[test]
fn interval_too_long_is_clamped_to_max() {
    let mut h = Harness::new(config().expires(100_000));
    let first = h.start();
    // A 423 to the bare request: retried bare.
    let too_long = response(&first, 423)
        .header("Max-Expires", "3600")
        .build()
        .unwrap();
    let second = sent(h.on(&too_long, 1));
    assert_eq!(second.expires(), Some(3600));
    assert!(second.authorization().is_none());
    let third = sent(h.on(&challenge(&second, NONCE), 2));
    credentials(&third, NONCE, 1);
    assert_eq!(third.expires(), Some(3600));
    let (_, expires) =
        authenticated(h.on(&granted(&third, GRANTED, Some(3600)).build().unwrap(), 3));
    assert_eq!(expires, secs(3600));
}

#[test]
fn interval_refusals() {
    // A second 423 in the same round.
    let mut h = Harness::new(config().expires(30));
    let first = h.start();
    let second = sent(h.on(&challenge(&first, NONCE), 1));
    let bounds = response(&second, 423).header("Min-Expires", "60");
    let third = sent(h.on(&bounds.build().unwrap(), 2));
    let again = response(&third, 423)
        .header("Min-Expires", "90")
        .build()
        .unwrap();
    let (code, comment) = failed(h.on(&again, 3));
    assert_eq!(code, 423);
    assert!(comment.contains("twice"), "{comment}");
    assert!(!h.client.busy() && h.client.deadline().is_none());

    // No bounds to move into.
    let mut h = Harness::new(config().expires(30));
    let first = h.start();
    let (code, comment) = failed(h.on(&response(&first, 423).build().unwrap(), 1));
    assert_eq!(code, 423);
    assert!(comment.contains("Min-Expires"), "{comment}");

    // Empty bounds.
    let mut h = Harness::new(config().expires(30));
    let first = h.start();
    let empty = response(&first, 423)
        .header("Min-Expires", "600")
        .header("Max-Expires", "60")
        .build()
        .unwrap();
    let (code, comment) = failed(h.on(&empty, 1));
    assert_eq!(code, 423);
    assert!(comment.contains("empty"), "{comment}");

    // No credentialed attempt left for the retry.
    let mut h = Harness::with_attempts(config().expires(30), 1);
    let first = h.start();
    let second = sent(h.on(&challenge(&first, NONCE), 1));
    let bounds = response(&second, 423)
        .header("Min-Expires", "60")
        .build()
        .unwrap();
    let (code, comment) = failed(h.on(&bounds, 2));
    assert_eq!(code, 423);
    assert!(comment.contains("no attempt is left"), "{comment}");
}

#[test]
fn wrong_password_gives_up_after_three_attempts() {
    // A relay that never says its nonces are stale and keeps refusing:
    // without uri, then with it, then for good.
    let mut h = Harness::new(config());
    let first = h.start();
    let second = sent(h.on(&challenge(&first, NONCE), 1));
    credentials(&second, NONCE, 1);
    let third = sent(h.on(&challenge(&second, NONCE2), 1));
    credentials_with_uri(&third, NONCE2, 1);
    let (code, comment) = failed(h.on(&challenge(&third, NONCE3), 2));
    assert_eq!(code, 401);
    assert!(
        comment.contains("refused the credentials (2 attempts)"),
        "{comment}"
    );
    assert!(!h.client.busy() && h.client.deadline().is_none());
}

fn stale(request: &ChunkHead, nonce: &str) -> ChunkHead {
    challenge_with(
        request,
        &format!(
            r#"Digest realm="{REALM}", nonce="{nonce}", qop="auth", opaque="op4que", stale=TRUE"#
        ),
    )
}

#[test]
fn stale_nonces_are_answered_again_up_to_the_attempt_limit() {
    // stale=TRUE: the password was right, the nonce old (RFC 2617 §3.2.1);
    // the same form again, with the new nonce.
    let mut h = Harness::new(config());
    let mut request = h.start();
    request = sent(h.on(&challenge(&request, NONCE), 1));
    for nonce in [NONCE2, NONCE3] {
        request = sent(h.on(&stale(&request, nonce), 1));
        credentials(&request, nonce, 1);
    }
    let (code, comment) = failed(h.on(&stale(&request, NONCE), 2));
    assert_eq!(code, 401);
    assert!(comment.contains("3 attempts"), "{comment}");
}

/// RFC 4976 §7 has no `uri` in its grammar and AG msrprelay never answers
/// credentials that carry it; Kamailio's auth module refuses credentials
/// without it. The first answer leaves it out; a refusal brings it in, and
/// it stays for the renewals.
#[test]
fn credentials_refused_without_uri_are_sent_again_with_it() {
    let mut h = Harness::new(config());
    let first = h.start();
    let second = sent(h.on(&challenge(&first, NONCE), 1));
    credentials(&second, NONCE, 1);
    let third = sent(h.on(&challenge(&second, NONCE), 1));
    credentials_with_uri(&third, NONCE, 2);
    authenticated(h.on(&granted(&third, GRANTED, Some(100)).build().unwrap(), 1));
    let renewal = sent(h.client.on_deadline(h.t0 + secs(81), &mut h.ids));
    let renewed = sent(h.on(&challenge(&renewal, NONCE2), 81));
    credentials_with_uri(&renewed, NONCE2, 1);
}

#[test]
fn a_repeated_nonce_counts_on() {
    // The relay challenges again with the same nonce (stale=false: refused
    // without uri): nc is 2 the second time.
    let mut h = Harness::new(config());
    let first = h.start();
    let second = sent(h.on(&challenge(&first, NONCE), 1));
    credentials(&second, NONCE, 1);
    let third = sent(h.on(&challenge(&second, NONCE), 2));
    credentials_with_uri(&third, NONCE, 2);
}

#[test]
fn no_attempts_allowed() {
    let mut h = Harness::with_attempts(config(), 0);
    let first = h.start();
    let (code, comment) = failed(h.on(&challenge(&first, NONCE), 1));
    assert_eq!(code, 401);
    assert!(comment.contains("0 attempts"), "{comment}");
}

#[test]
fn forbidden_fails_at_once() {
    let mut h = Harness::new(config());
    let first = h.start();
    let second = sent(h.on(&challenge(&first, NONCE), 1));
    let (code, comment) = failed(h.on(&response(&second, 403).build().unwrap(), 2));
    assert_eq!(code, 403);
    assert!(comment.contains("403 Forbidden"), "{comment}");
    assert!(!h.client.busy() && h.client.deadline().is_none());
}

#[test]
fn other_codes_fail_with_their_code() {
    let mut h = Harness::new(config());
    let first = h.start();
    let odd = ChunkHead::response(500, None, first.transaction_id())
        .to_path(first.from_path())
        .from_path(first.to_path())
        .build()
        .unwrap();
    let (code, comment) = failed(h.on(&odd, 1));
    assert_eq!(code, 500);
    // No comment on the wire: the generic phrase.
    assert!(comment.contains("500 Error"), "{comment}");
}

#[test]
fn timeout() {
    let mut h = Harness::new(config());
    // Nothing outstanding: nothing to time out.
    assert!(matches!(h.client.on_timeout(h.t0), AuthStep::Wait));
    h.start();
    let (code, comment) = failed(h.client.on_timeout(h.t0 + secs(30)));
    assert_eq!(code, 408);
    assert!(comment.contains("no response"), "{comment}");
    assert!(!h.client.busy() && h.client.deadline().is_none());
}

#[test]
fn a_grant_without_use_path_fails() {
    let mut h = Harness::new(config());
    let first = h.start();
    let second = sent(h.on(&challenge(&first, NONCE), 1));
    let bare_ok = response(&second, 200).expires(600).build().unwrap();
    let (code, comment) = failed(h.on(&bare_ok, 2));
    assert_eq!(code, 400);
    assert!(comment.contains("Use-Path"), "{comment}");
    assert!(h.client.deadline().is_none());
}

#[test]
fn rspauth_good() {
    let mut h = Harness::new(config());
    let first = h.start();
    let second = sent(h.on(&challenge(&first, NONCE), 1));
    let p = second.authorization().unwrap();
    let info = format!(
        r#"rspauth="{}", qop=auth, cnonce="{}", nc={}"#,
        rspauth(&second).to_uppercase(), // hex compares ignoring case
        p.get("cnonce").unwrap(),
        p.get("nc").unwrap()
    );
    let ok = granted(&second, GRANTED, Some(600))
        .header("Authentication-Info", &info)
        .build()
        .unwrap();
    let (use_path, _) = authenticated(h.on(&ok, 2));
    assert_eq!(use_path.to_string(), GRANTED);
}

#[test]
fn rspauth_bad() {
    let mut h = Harness::new(config());
    let first = h.start();
    let second = sent(h.on(&challenge(&first, NONCE), 1));
    // The client's own response digest is not the rspauth (HA2 differs).
    let p = second.authorization().unwrap();
    let info = format!(r#"rspauth="{}", qop=auth"#, p.get("response").unwrap());
    let forged = granted(&second, GRANTED, Some(600))
        .header("Authentication-Info", &info)
        .build()
        .unwrap();
    let (code, comment) = failed(h.on(&forged, 2));
    assert_eq!(code, 401);
    assert!(
        comment.contains("relay failed mutual authentication"),
        "{comment}"
    );
    assert!(h.client.deadline().is_none());

    // Authentication-Info without rspauth: accepted.
    let mut h = Harness::new(config());
    let first = h.start();
    let second = sent(h.on(&challenge(&first, NONCE), 1));
    let ok = granted(&second, GRANTED, Some(600))
        .header("Authentication-Info", r#"nextnonce="abc""#)
        .build()
        .unwrap();
    authenticated(h.on(&ok, 2));
}

#[test]
fn renewal_at_eighty_percent() {
    let mut h = Harness::new(config().expires(600));
    let first = h.start();
    let second = sent(h.on(&challenge(&first, NONCE), 0));
    authenticated(h.on(&granted(&second, GRANTED, Some(600)).build().unwrap(), 0));
    let due = h.t0 + secs(480);
    assert_eq!(h.client.deadline(), Some(due));

    // Too early: nothing.
    assert!(matches!(
        h.client.on_deadline(due - secs(1), &mut h.ids),
        AuthStep::Wait
    ));
    // Due: a bare AUTH, as at the start (the old nonce may be stale).
    let renewal = sent(h.client.on_deadline(due, &mut h.ids));
    assert!(renewal.authorization().is_none());
    assert_eq!(renewal.expires(), Some(600));
    assert!(h.client.busy());
    assert_eq!(h.client.deadline(), None);
    assert!(matches!(
        h.client.on_deadline(due + secs(1), &mut h.ids),
        AuthStep::Wait
    ));

    // A new round: a new nonce, nc 1 again, a new path.
    let creds = sent(h.on(&challenge(&renewal, NONCE2), 481));
    credentials(&creds, NONCE2, 1);
    let (use_path, expires) =
        authenticated(h.on(&granted(&creds, RENEWED, Some(300)).build().unwrap(), 482));
    assert_eq!(use_path.to_string(), RENEWED);
    assert_eq!(expires, secs(300));
    assert_eq!(h.client.deadline(), Some(h.t0 + secs(482 + 240)));
}

#[test]
fn a_renewal_round_has_its_own_attempts() {
    let mut h = Harness::new(config());
    let mut request = h.start();
    request = sent(h.on(&challenge(&request, NONCE), 0));
    request = sent(h.on(&stale(&request, NONCE2), 0));
    authenticated(h.on(&granted(&request, GRANTED, Some(100)).build().unwrap(), 0));
    let mut request = sent(h.client.on_deadline(h.t0 + secs(80), &mut h.ids));
    request = sent(h.on(&challenge(&request, NONCE), 81));
    for nonce in [NONCE2, NONCE3] {
        request = sent(h.on(&stale(&request, nonce), 81));
    }
    assert_eq!(failed(h.on(&stale(&request, NONCE), 82)).0, 401);
}

#[test]
fn a_tiny_grant_does_not_loop() {
    let mut h = Harness::new(config());
    let first = h.start();
    authenticated(h.on(&granted(&first, GRANTED, Some(0)).build().unwrap(), 5));
    assert_eq!(
        h.client.deadline(),
        Some(h.t0 + secs(5) + MIN_RENEWAL_DELAY)
    );
}

#[test]
fn first_supported_challenge_is_used() {
    let mut h = Harness::new(config());
    let first = h.start();
    // (A Basic challenge cannot be among them: the parser refuses a
    // WWW-Authenticate of another scheme, RFC 4976 defines only Digest.)
    let offers = response(&first, 401)
        .header(
            "WWW-Authenticate",
            &format!(r#"Digest realm="{REALM}", nonce="sha", qop="auth", algorithm=SHA-256"#),
        )
        .header(
            "WWW-Authenticate",
            &format!(r#"Digest realm="{REALM}", nonce="{NONCE}", qop="auth", algorithm=MD5"#),
        )
        .header(
            "WWW-Authenticate",
            &format!(r#"Digest realm="{REALM}", nonce="{NONCE2}", qop="auth""#),
        )
        .build()
        .unwrap();
    assert_eq!(offers.www_authenticate().count(), 3);
    let second = sent(h.on(&offers, 1));
    let p = second.authorization().unwrap();
    assert_eq!(p.get("nonce"), Some(NONCE));
    assert_eq!(p.iter().last(), Some(("algorithm", "MD5", false)));
    let cnonce = p.get("cnonce").unwrap();
    assert_eq!(
        p.get("response"),
        Some(digest(NONCE, 1, cnonce, "AUTH").as_str())
    );
}

#[test]
fn unusable_challenges() {
    for (value, want) in [
        (
            r#"Digest realm="example.com", nonce="n", qop="auth", algorithm=SHA-256"#,
            "unsupported digest algorithm \"SHA-256\"",
        ),
        (
            r#"Digest realm="example.com", nonce="n", algorithm=MD5-sess"#,
            "unsupported digest algorithm \"MD5-sess\"",
        ),
        (
            r#"Digest realm="example.com", nonce="n", qop="auth-int""#,
            "qop",
        ),
        (r#"Digest realm="example.com""#, "without nonce"),
    ] {
        let mut h = Harness::new(config());
        let first = h.start();
        let (code, comment) = failed(h.on(&challenge_with(&first, value), 1));
        assert_eq!(code, 401, "{value}");
        assert!(comment.contains(want), "{value}: {comment}");
    }
    // No challenge at all.
    let mut h = Harness::new(config());
    let first = h.start();
    let (code, comment) = failed(h.on(&response(&first, 401).build().unwrap(), 1));
    assert_eq!(code, 401);
    assert!(comment.contains("without a Digest"), "{comment}");
}

#[test]
fn rfc2069_challenge() {
    let mut h = Harness::new(config());
    let first = h.start();
    let value = format!(r#"Digest realm="{REALM}", nonce="{NONCE}""#);
    let second = sent(h.on(&challenge_with(&first, &value), 1));
    let p = second.authorization().unwrap();
    let names: Vec<&str> = p.iter().map(|(name, _, _)| name).collect();
    assert_eq!(names, ["username", "realm", "nonce", "response"]);
    let ha1 = md5_hex(format!("{USER}:{REALM}:{PASSWORD}").as_bytes());
    let ha2 = md5_hex(format!("AUTH:{RELAY}").as_bytes());
    let want = md5_hex(format!("{ha1}:{NONCE}:{ha2}").as_bytes());
    assert_eq!(p.get("response"), Some(want.as_str()));
    // rspauth in the same form.
    let rsp =
        md5_hex(format!("{ha1}:{NONCE}:{}", md5_hex(format!(":{RELAY}").as_bytes())).as_bytes());
    let ok = granted(&second, GRANTED, Some(60))
        .header("Authentication-Info", &format!(r#"rspauth="{rsp}""#))
        .build()
        .unwrap();
    authenticated(h.on(&ok, 2));
}

#[test]
fn unencodable_username_fails() {
    let config = AuthConfig::new(
        RELAY.parse().unwrap(),
        LOCAL.parse().unwrap(),
        "bad\r\nname",
        PASSWORD,
    );
    let mut h = Harness::new(config);
    let first = h.start();
    let (code, comment) = failed(h.on(&challenge(&first, NONCE), 1));
    assert_eq!(code, 401);
    assert!(comment.contains("username"), "{comment}");
    assert!(!h.client.busy());
}

#[test]
fn an_unbuildable_request_fails() {
    // A username longer than a header line may be.
    let long = "a".repeat(Limits::default().max_header_line);
    let config = AuthConfig::new(
        RELAY.parse().unwrap(),
        LOCAL.parse().unwrap(),
        long,
        PASSWORD,
    );
    let mut h = Harness::new(config);
    let first = h.start();
    let (code, comment) = failed(h.on(&challenge(&first, NONCE), 1));
    assert_eq!(code, 400);
    assert!(
        comment.contains("cannot build the AUTH request"),
        "{comment}"
    );
    assert!(!h.client.busy());
}

#[test]
fn stray_input_is_ignored() {
    let mut h = Harness::new(config());
    let first = h.start();
    // A request, and a response to another transaction.
    let request = ChunkHead::request(Method::Auth, first.transaction_id())
        .to_path(first.to_path())
        .from_path(first.from_path())
        .build()
        .unwrap();
    assert!(matches!(h.on(&request, 1), AuthStep::Wait));
    let stranger = ChunkHead::response(200, Some("OK"), "other123")
        .to_path(first.from_path())
        .from_path(first.to_path())
        .use_path(&GRANTED.parse().unwrap())
        .build()
        .unwrap();
    assert!(matches!(h.on(&stranger, 1), AuthStep::Wait));
    assert!(h.client.busy());
    // Nothing scheduled yet, so no renewal either.
    assert!(matches!(
        h.client.on_deadline(h.t0 + secs(9999), &mut h.ids),
        AuthStep::Wait
    ));
    // The real response still counts.
    sent(h.on(&challenge(&first, NONCE), 2));
}

#[test]
fn restarting_forgets_the_old_request() {
    let mut h = Harness::new(config());
    let first = h.start();
    let again = h.start();
    assert_ne!(first.transaction_id(), again.transaction_id());
    assert!(matches!(h.on(&challenge(&first, NONCE), 1), AuthStep::Wait));
    credentials(&sent(h.on(&challenge(&again, NONCE), 1)), NONCE, 1);
}

#[test]
fn config_accessors_and_debug() {
    let c = config().expires(42);
    assert_eq!(c.relay().as_str(), RELAY);
    assert_eq!(c.local_uri().as_str(), LOCAL);
    assert_eq!(c.username(), USER);
    assert_eq!(c.requested_expires(), Some(42));
    assert_eq!(config().requested_expires(), None);
    let debug = format!("{c:?}");
    assert!(debug.contains(USER) && !debug.contains(PASSWORD), "{debug}");
    let client = format!("{:?}", AuthClient::new(c, 3, Ratio::per_mille(800)));
    assert!(!client.contains(PASSWORD), "{client}");
}

// ---- through the connection ------------------------------------------

/// A response head as the relay puts it on the wire.
fn wire(head: ChunkHead) -> Vec<u8> {
    let chunk = Chunk::new(head, None, Continuation::Complete);
    Encoder::new()
        .encode(&chunk, &mut IdGenerator::from_seed([0; 32]))
        .unwrap()
        .to_vec()
}

fn connection(t0: Instant) -> Connection {
    let config = Config {
        // A connection only authenticating has no session to bind.
        bind_timeout: secs(3600),
        ..Config::default()
    };
    Connection::new(Arc::new(config), [5; 32], t0)
}

#[test]
fn end_to_end_through_the_connection() {
    let t0 = clock();
    let mut conn = connection(t0);
    conn.authenticate(config().expires(600)).unwrap();
    assert_eq!(
        conn.authenticate(config()),
        Err(CommandError::AuthInProgress)
    );
    let first = sent_by(&mut conn, t0);
    assert!(first.authorization().is_none());
    assert_eq!(conn.pending_transactions(), 1);

    conn.handle_input(t0 + secs(1), &wire(challenge(&first, NONCE)));
    let second = sent_by(&mut conn, t0 + secs(1));
    credentials(&second, NONCE, 1);
    let info = format!(r#"rspauth="{}""#, rspauth(&second));
    let ok = granted(&second, GRANTED, Some(600))
        .header("Authentication-Info", &info)
        .build()
        .unwrap();
    conn.handle_input(t0 + secs(2), &wire(ok));
    assert_eq!(conn.pending_transactions(), 0);
    match conn.poll_event() {
        Some(ConnectionEvent::Authenticated { use_path, expires }) => {
            assert_eq!(use_path.to_string(), GRANTED);
            assert_eq!(expires, secs(600));
        }
        other => panic!("expected Authenticated, got {other:?}"),
    }
    assert_eq!(
        conn.relay_path().map(ToString::to_string).as_deref(),
        Some(GRANTED)
    );

    // Renewal: the connection's timer is the client's deadline.
    let due = t0 + secs(2 + 480);
    assert_eq!(conn.poll_timeout(), Some(due));
    conn.handle_timeout(due);
    let renewal = sent_by(&mut conn, due);
    assert!(renewal.authorization().is_none());
    conn.handle_input(due, &wire(challenge(&renewal, NONCE2)));
    let creds = sent_by(&mut conn, due);
    credentials(&creds, NONCE2, 1);
    conn.handle_input(
        due,
        &wire(granted(&creds, RENEWED, Some(600)).build().unwrap()),
    );
    assert!(matches!(
        conn.poll_event(),
        Some(ConnectionEvent::Authenticated { .. })
    ));
    assert_eq!(
        conn.relay_path().map(ToString::to_string).as_deref(),
        Some(RENEWED)
    );
}

#[test]
fn end_to_end_failures() {
    let t0 = clock();
    let mut conn = connection(t0);
    conn.authenticate(config()).unwrap();
    let first = sent_by(&mut conn, t0);
    conn.handle_input(t0, &wire(response(&first, 403).build().unwrap()));
    assert!(matches!(
        conn.poll_event(),
        Some(ConnectionEvent::AuthFailed { code: 403, .. })
    ));
    assert_eq!(conn.relay_path(), None);

    // No response: the transaction timer ends it with 408.
    conn.authenticate(config()).unwrap();
    sent_by(&mut conn, t0);
    let timeout = conn.poll_timeout().unwrap();
    assert_eq!(timeout, t0 + conn.config().transaction_timeout);
    conn.handle_timeout(timeout);
    assert!(matches!(
        conn.poll_event(),
        Some(ConnectionEvent::AuthFailed { code: 408, .. })
    ));
}

/// The one AUTH request the connection has to send now.
fn sent_by(conn: &mut Connection, now: Instant) -> ChunkHead {
    let bytes = conn.poll_transmit(now).expect("an AUTH request");
    assert_eq!(conn.poll_transmit(now), None);
    let head = parse(&bytes);
    assert_eq!(head.method(), Some(&Method::Auth));
    assert_eq!(head.to_path().to_string(), RELAY);
    head
}
