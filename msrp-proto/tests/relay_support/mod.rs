//! Shared set-up for the relay tests: a relay in a simulated network, its
//! users, endpoint clients, and raw clients that write requests by hand and
//! compute digests independently of the library (RFC 2617).
#![allow(dead_code, unreachable_pub)] // each test file uses a different part

use std::sync::Arc;
use std::time::{Duration, Instant};

use md5::{Digest, Md5};
use msrp_proto::connection::{AuthConfig, Config, Connection, Event};
use msrp_proto::relay::{Listener, Relay, RelayConfig, Users};
use msrp_proto::sim::relay::RelayNet;
use msrp_proto::wire::Chunk;
use msrp_proto::{MsrpUri, Path};

pub const HOST: &str = "relay.example.com";
pub const REALM: &str = "example.com";
pub const PASSWORD: &str = "secret";
pub const TLS: Listener = Listener::tls(2856);
pub const TCP: Listener = Listener::tcp(2855);
/// The relay's AUTH URI over TLS.
pub const RELAY: &str = "msrps://relay.example.com:2856;tcp";

pub const ALICE: &str = "msrps://alice.example.com:2855/alice12345;tcp";
pub const BOB: &str = "msrps://bob.example.com:2855/bob6789012;tcp";
pub const CAROL: &str = "msrps://carol.example.com:2855/carol34567;tcp";

pub fn uri(s: &str) -> MsrpUri {
    s.parse().unwrap()
}

pub fn path(s: &str) -> Path {
    s.parse().unwrap()
}

/// The start of virtual time.
#[allow(clippy::disallowed_methods)] // tests take one real instant as the epoch
pub fn epoch() -> Instant {
    Instant::now()
}

/// Short bounds so tests see them: Expires 10..=3600.
pub fn config() -> RelayConfig {
    let mut config = RelayConfig::new(HOST, REALM);
    config.min_expires = 10;
    config.max_expires = 3600;
    config
}

/// alice, bob and carol with password `secret`; mallory (right password)
/// may not use the relay.
pub fn users() -> Users {
    let mut users = Users::new();
    for user in ["alice", "bob", "carol"] {
        users.add_password(user, REALM, PASSWORD);
    }
    users.add_denied("mallory", REALM, PASSWORD);
    users
}

pub fn net_with(config: RelayConfig) -> RelayNet {
    let now = epoch();
    let mut relay = Relay::new(config, users(), [42; 32], now).unwrap();
    relay.add_listener(TLS);
    relay.add_listener(TCP);
    RelayNet::new(relay, now)
}

pub fn net() -> RelayNet {
    net_with(config())
}

pub fn endpoint_with(config: Config, seed: u8) -> Connection {
    Connection::new(Arc::new(config), [seed; 32], epoch())
}

pub fn endpoint(seed: u8) -> Connection {
    endpoint_with(Config::default(), seed)
}

/// Endpoint peer `i` authenticates as `user`; the granted Use-Path, or the
/// failure code.
pub fn authenticate(
    net: &mut RelayNet,
    i: usize,
    user: &str,
    password: &str,
    expires: Option<u32>,
    local: &str,
) -> Result<(Path, Duration), u16> {
    let mut config = AuthConfig::new(uri(RELAY), uri(local), user, password);
    if let Some(e) = expires {
        config = config.expires(e);
    }
    net.peers[i].endpoint().authenticate(config).unwrap();
    let mut result = None;
    net.drive_until(|net| {
        for event in net.peers[i].take_events() {
            match event {
                Event::Authenticated { use_path, expires } => {
                    result = Some(Ok((use_path, expires)));
                }
                Event::AuthFailed { code, .. } => result = Some(Err(code)),
                _ => {}
            }
        }
        result.is_some()
    });
    result.expect("an AUTH outcome")
}

// ---- raw clients -------------------------------------------------------------

pub fn md5_hex(text: &str) -> String {
    hex::encode(Md5::digest(text.as_bytes()))
}

/// RFC 2617 §3.2.2.1 with qop=auth, method AUTH.
pub fn digest(
    user: &str,
    password: &str,
    nonce: &str,
    nc: &str,
    cnonce: &str,
    uri: &str,
) -> String {
    let ha1 = md5_hex(&format!("{user}:{REALM}:{password}"));
    let ha2 = md5_hex(&format!("AUTH:{uri}"));
    md5_hex(&format!("{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}"))
}

/// An AUTH request to [`RELAY`] from `from`.
pub fn auth_request(
    tid: &str,
    from: &str,
    authorization: Option<&str>,
    expires: Option<u32>,
) -> String {
    let mut text = format!("MSRP {tid} AUTH\r\nTo-Path: {RELAY}\r\nFrom-Path: {from}\r\n");
    if let Some(a) = authorization {
        text.push_str(&format!("Authorization: {a}\r\n"));
    }
    if let Some(e) = expires {
        text.push_str(&format!("Expires: {e}\r\n"));
    }
    text.push_str(&format!("-------{tid}$\r\n"));
    text
}

/// Credentials answering `challenge` (a 401) as `user`, with or without the
/// `uri` parameter.
pub fn credentials(
    challenge: &Chunk,
    user: &str,
    password: &str,
    nc: &str,
    with_uri: bool,
) -> String {
    let params = challenge
        .head()
        .www_authenticate()
        .next()
        .expect("a challenge");
    let nonce = params.get("nonce").unwrap().to_owned();
    let opaque = params.get("opaque").unwrap().to_owned();
    let cnonce = "0a4f113b";
    let response = digest(user, password, &nonce, nc, cnonce, RELAY);
    let uri = if with_uri {
        format!("uri=\"{RELAY}\", ")
    } else {
        String::new()
    };
    format!(
        "Digest username=\"{user}\", realm=\"{REALM}\", nonce=\"{nonce}\", {uri}qop=auth, nc={nc}, \
         cnonce=\"{cnonce}\", response=\"{response}\", opaque=\"{opaque}\""
    )
}

/// The next chunk raw peer `i` receives (driving until one comes).
pub fn next_chunk(net: &mut RelayNet, i: usize) -> Chunk {
    let mut got = None;
    net.drive_until(|net| {
        let raw = net.peers[i].raw();
        if !raw.chunks.is_empty() {
            got = Some(raw.chunks.remove(0));
        }
        got.is_some()
    });
    got.unwrap_or_else(|| panic!("peer {i} received no chunk"))
}

/// Runs until nothing happens for `d` of virtual time, then returns what
/// raw peer `i` received.
pub fn settle(net: &mut RelayNet, i: usize, d: Duration) -> Vec<Chunk> {
    net.drive_for(d);
    net.peers[i].raw().take()
}

/// Raw peer `i` (whose URI is `local`) authenticates as `user`; the relay
/// URI granted.
pub fn raw_grant(
    net: &mut RelayNet,
    i: usize,
    user: &str,
    local: &str,
    expires: Option<u32>,
) -> MsrpUri {
    net.send_raw(i, auth_request("auth0001", local, None, expires).as_bytes());
    let challenge = next_chunk(net, i);
    assert_eq!(challenge.head().response_code(), Some(401));
    let creds = credentials(&challenge, user, PASSWORD, "00000001", false);
    net.send_raw(
        i,
        auth_request("auth0002", local, Some(&creds), expires).as_bytes(),
    );
    let granted = next_chunk(net, i);
    assert_eq!(granted.head().response_code(), Some(200), "{granted:?}");
    granted.head().use_path().expect("Use-Path").last().clone()
}

/// A SEND with a body, as one chunk.
pub fn send_request(
    tid: &str,
    to: &str,
    from: &str,
    message_id: &str,
    body: &[u8],
    failure_report: Option<&str>,
) -> Vec<u8> {
    let mut text = format!(
        "MSRP {tid} SEND\r\nTo-Path: {to}\r\nFrom-Path: {from}\r\nMessage-ID: {message_id}\r\n"
    );
    if let Some(fr) = failure_report {
        text.push_str(&format!("Failure-Report: {fr}\r\n"));
    }
    text.push_str(&format!(
        "Byte-Range: 1-{len}/{len}\r\nContent-Type: application/octet-stream\r\n\r\n",
        len = body.len()
    ));
    let mut bytes = text.into_bytes();
    bytes.extend_from_slice(body);
    bytes.extend_from_slice(format!("\r\n-------{tid}$\r\n").as_bytes());
    bytes
}

/// A response from raw peer `i` to `request` with `code` (To-Path: the
/// previous hop only, as for SEND).
pub fn raw_answer(net: &mut RelayNet, i: usize, request: &Chunk, code: u16) {
    let head = request.head();
    let tid = head.transaction_id();
    let text = format!(
        "MSRP {tid} {code} Whatever\r\nTo-Path: {to}\r\nFrom-Path: {from}\r\n-------{tid}$\r\n",
        to = head.from_path().first(),
        from = head.to_path().first(),
    );
    net.send_raw(i, text.as_bytes());
}
