//! The AUTH server (RFC 4976 §5.1, §6.3, §7, §9.1): digest challenges with
//! nonces from the relay's CSPRNG that expire, credentials checked with or
//! without `uri=`, 401/403/423/200 answers, and the relay URI a client
//! gets.

use std::time::Duration;

use crate::connection::digest::{QopAuth, format_nc, ha2, hex, request_digest};
use crate::uri::MsrpUri;
use crate::wire::{ChunkHead, DigestParams};

use super::conn::{Nonce, Role};
use super::frames;
use super::timers::TimerKey;
use super::{CloseReason, ConnId, Grant, Relay, RelayEvent};

/// Random bytes of a nonce and of an opaque value: 128 bits each.
const NONCE_BYTES: usize = 16;
/// Challenges remembered per connection; a client answers the latest.
const NONCES_KEPT: usize = 4;

/// What a client's credentials are worth.
enum Verdict {
    /// Not a usable Authorization: 400.
    Malformed,
    /// Wrong, unknown or replayed: 401 with a fresh nonce.
    Invalid { user: Option<String> },
    /// Right, with an expired nonce: 401 with `stale=TRUE` (RFC 2617
    /// §3.2.1), so the client answers again without asking its user.
    Stale { user: String },
    /// Right.
    Valid(Proof),
}

/// What a 200 needs from valid credentials.
struct Proof {
    user: String,
    ha1: String,
    nonce: String,
    nc: u32,
    cnonce: String,
    digest_uri: String,
    allowed: bool,
}

impl Relay {
    /// An AUTH addressed to this relay (To-Path: its bare URI).
    pub(crate) fn on_auth(&mut self, id: ConnId, head: &ChunkHead) {
        let Some(listener) = self.conns.get(&id).and_then(|c| c.listener()) else {
            // Only clients authenticate, on connections they opened.
            return self.auth_refused(id, head, 403, None, false);
        };
        if head.header("Authorization").is_none() {
            return self.challenge(id, head, false);
        }
        match self.verify(id, head) {
            Verdict::Malformed => self.auth_refused(id, head, 400, None, true),
            Verdict::Invalid { user } => {
                self.emit_refused(id, user, 401);
                self.challenge(id, head, false);
                self.count_failure(id);
            }
            Verdict::Stale { user } => {
                tracing::debug!(target: "msrp::relay", conn = %id, %user, "stale nonce");
                self.challenge(id, head, true);
            }
            Verdict::Valid(proof) if !proof.allowed => {
                // RFC 4976 §6.3: authenticated, and not allowed to use
                // this relay.
                self.auth_refused(id, head, 403, Some(proof.user), true);
            }
            Verdict::Valid(proof) => match self.config.grant_expires(head.expires()) {
                // RFC 4976 §6.3, RFC 4975 §10.7: Expires out of bounds.
                Err((header, bound)) => {
                    let bound = bound.to_string();
                    self.emit_refused(id, Some(proof.user), 423);
                    self.reply(id, head, 423, &[(header, &bound)]);
                }
                Ok(expires) => self.grant(id, head, listener, &proof, expires),
            },
        }
    }

    fn verify(&mut self, id: ConnId, head: &ChunkHead) -> Verdict {
        let Some(creds) = head.authorization() else {
            return Verdict::Malformed;
        };
        let field = |name: &str| creds.get(name).map(str::to_owned);
        let (
            Some(user),
            Some(realm),
            Some(nonce),
            Some(response),
            Some(qop),
            Some(nc),
            Some(cnonce),
        ) = (
            field("username"),
            field("realm"),
            field("nonce"),
            field("response"),
            field("qop"),
            field("nc"),
            field("cnonce"),
        )
        else {
            // RFC 4976 §9.1: clients must send qop, nc and cnonce.
            return Verdict::Malformed;
        };
        if !qop.eq_ignore_ascii_case("auth")
            || creds
                .get("algorithm")
                .is_some_and(|a| !a.eq_ignore_ascii_case("MD5"))
        {
            // RFC 4976 §9.1: MD5 and qop=auth only.
            return Verdict::Malformed;
        }
        let Some(nc) = (nc.len() == 8)
            .then(|| u32::from_str_radix(&nc, 16).ok())
            .flatten()
        else {
            return Verdict::Malformed;
        };
        // RFC 4976 §9.1: H(A2) is over the rightmost To-Path URI; a `uri`
        // parameter (RFC 2617, RFC 7977 §8.1.2) must name that URI.
        let to_uri = head.to_path().last();
        let digest_uri = match creds.get("uri") {
            Some(given) => match MsrpUri::parse(given) {
                Ok(parsed) if parsed == *to_uri => given.to_owned(),
                _ => return Verdict::Malformed,
            },
            None => to_uri.as_str().to_owned(),
        };
        let user_name = Some(user.clone());
        if realm != self.config.realm {
            return Verdict::Invalid { user: user_name };
        }
        let Some(entry) = self.users.get(&user, &realm).cloned() else {
            return Verdict::Invalid { user: user_name };
        };
        let now = self.now;
        let Some(c) = self.conns.get_mut(&id) else {
            return Verdict::Invalid { user: user_name };
        };
        // Nonces are bound to the connection that was challenged.
        let Some(stored) = c.nonces.iter_mut().find(|n| n.value == nonce) else {
            return Verdict::Invalid { user: user_name };
        };
        if creds.get("opaque").is_some_and(|o| o != stored.opaque) {
            return Verdict::Invalid { user: user_name };
        }
        let qop = QopAuth {
            nc,
            cnonce: &cnonce,
        };
        let expected = request_digest(&entry.ha1, &nonce, Some(qop), &ha2("AUTH", &digest_uri));
        if !same(&expected, &response.to_ascii_lowercase()) {
            return Verdict::Invalid { user: user_name };
        }
        if stored.expires <= now {
            return Verdict::Stale { user };
        }
        if nc <= stored.last_nc {
            // RFC 2617 §3.2.2: a nonce count seen before is a replay.
            return Verdict::Invalid { user: user_name };
        }
        stored.last_nc = nc;
        Verdict::Valid(Proof {
            user,
            ha1: entry.ha1,
            nonce,
            nc,
            cnonce,
            digest_uri,
            allowed: entry.allowed,
        })
    }

    /// 401 with a fresh challenge (RFC 4976 §5.1, §7: `qop` quoted here).
    fn challenge(&mut self, id: ConnId, head: &ChunkHead, stale: bool) {
        let nonce = self.random_hex();
        let opaque = self.random_hex();
        let expires = self.now + self.config.nonce_lifetime;
        if let Some(c) = self.conns.get_mut(&id) {
            if c.nonces.len() >= NONCES_KEPT {
                c.nonces.pop_front();
            }
            c.nonces.push_back(Nonce {
                value: nonce.clone(),
                opaque: opaque.clone(),
                expires,
                last_nc: 0,
            });
        }
        let mut params = DigestParams::new();
        // Only values checked at start-up or made of hex digits: the pushes
        // cannot fail.
        let _ = params.push("realm", self.config.realm.clone(), true);
        let _ = params.push("nonce", nonce, true);
        let _ = params.push("qop", "auth", true);
        let _ = params.push("opaque", opaque, true);
        if stale {
            let _ = params.push("stale", "TRUE", false);
        }
        let value = params.to_header_value_with_scheme();
        self.reply(id, head, 401, &[("WWW-Authenticate", &value)]);
    }

    /// 200: the relay URI (new, or the same one renewed on the connection
    /// that holds it), Expires, and Authentication-Info with `rspauth`
    /// (RFC 4976 §9.1: also `qop`, `nc`, `cnonce`, on every 200).
    fn grant(
        &mut self,
        id: ConnId,
        head: &ChunkHead,
        listener: super::Listener,
        proof: &Proof,
        expires: u32,
    ) {
        let now = self.now;
        let held = self.conns.get(&id).and_then(|c| {
            c.grants
                .iter()
                .find(|t| self.grants.get(*t).is_some_and(|g| g.user == proof.user))
                .cloned()
        });
        let renewed = held.is_some();
        let token = match held {
            Some(token) => token,
            None => {
                let count = self.conns.get(&id).map_or(0, |c| c.grants.len());
                if count >= self.config.max_grants_per_connection {
                    return self.auth_refused(id, head, 403, Some(proof.user.clone()), false);
                }
                // RFC 4976 §6.3: at least 64 bits of cryptographically random
                // material (20 alphanumerics from ChaCha12: about 119).
                self.ids.session_id()
            }
        };
        // A WebSocket client gets a URI of the relay's MSRP listener: peers
        // reach it through that (RFC 7977 §8.1).
        let (secure, port) = listener.use_path();
        let Ok(uri) = MsrpUri::builder(&self.config.host)
            .secure(secure)
            .port(port)
            .session_id(&token)
            .build()
        else {
            return self.auth_refused(id, head, 403, Some(proof.user.clone()), false);
        };
        let until = now + Duration::from_secs(u64::from(expires));
        self.grants.insert(
            token.clone(),
            Grant {
                uri: uri.clone(),
                owner: id,
                user: proof.user.clone(),
                expires: until,
            },
        );
        self.timers.arm(until, TimerKey::Grant(token.clone()));
        if let Some(c) = self.conns.get_mut(&id) {
            if !renewed {
                c.grants.push(token);
            }
            c.proven = true;
        }
        // RFC 4976 §5.1: Use-Path lists the relays in the order the client
        // puts them in To-Path: those the AUTH came through (its From-Path
        // but the client, reversed), then this one.
        let from = head.from_path().uris();
        let mut use_path: Vec<&MsrpUri> = from[..from.len() - 1].iter().rev().collect();
        use_path.push(&uri);
        let use_path = use_path
            .iter()
            .map(|u| u.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        let qop = QopAuth {
            nc: proof.nc,
            cnonce: &proof.cnonce,
        };
        let rspauth = request_digest(
            &proof.ha1,
            &proof.nonce,
            Some(qop),
            &ha2("", &proof.digest_uri),
        );
        let mut info = DigestParams::new();
        let _ = info.push("rspauth", rspauth, true);
        // RFC 4976 §7: qop and nc unquoted in Authentication-Info.
        let _ = info.push("qop", "auth", false);
        let _ = info.push("nc", format_nc(proof.nc), false);
        let _ = info.push("cnonce", proof.cnonce.clone(), true);
        let info = info.to_header_value();
        let expires_text = expires.to_string();
        self.reply(
            id,
            head,
            200,
            &[
                ("Use-Path", &use_path),
                ("Expires", &expires_text),
                ("Authentication-Info", &info),
            ],
        );
        tracing::info!(target: "msrp::relay", conn = %id, user = %proof.user, %uri, expires, renewed, "relay URI granted");
        self.push_event(RelayEvent::Authenticated {
            conn: id,
            user: proof.user.clone(),
            uri,
            expires: Duration::from_secs(u64::from(expires)),
            renewed,
        });
        self.arm_conn_timer(id);
    }

    /// A response to AUTH: end to end, along the whole From-Path, from the
    /// URI it was addressed to.
    fn reply(&mut self, id: ConnId, head: &ChunkHead, code: u16, extra: &[(&str, &str)]) {
        let to: Vec<&MsrpUri> = head.from_path().iter().collect();
        let frame = frames::response(
            head.transaction_id(),
            code,
            &to,
            head.to_path().first(),
            extra,
        );
        self.push_frame(id, frame);
    }

    fn auth_refused(
        &mut self,
        id: ConnId,
        head: &ChunkHead,
        code: u16,
        user: Option<String>,
        failure: bool,
    ) {
        self.emit_refused(id, user, code);
        self.reply(id, head, code, &[]);
        if failure {
            self.count_failure(id);
        }
    }

    fn emit_refused(&mut self, id: ConnId, user: Option<String>, code: u16) {
        tracing::info!(target: "msrp::relay", conn = %id, ?user, code, "AUTH refused");
        self.push_event(RelayEvent::AuthRefused {
            conn: id,
            user,
            code,
        });
    }

    /// One more failed AUTH; at the limit the connection closes once its
    /// answer went out (RFC 4976 §6.3).
    fn count_failure(&mut self, id: ConnId) {
        let max = self.config.max_auth_failures;
        let Some(c) = self.conns.get_mut(&id) else {
            return;
        };
        c.auth_failures += 1;
        if c.auth_failures >= max && matches!(c.role, Role::Inbound(_)) {
            self.close_after_output(id, CloseReason::AuthFailures);
        }
    }

    fn random_hex(&mut self) -> String {
        let mut bytes = [0u8; NONCE_BYTES];
        self.ids.fill_bytes(&mut bytes);
        hex(&bytes)
    }
}

/// Compares two digests without stopping at the first difference.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}
