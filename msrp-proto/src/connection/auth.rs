//! Relay authentication, client side (RFC 4976 §5.1): AUTH, the 401 digest
//! challenge, AUTH with credentials, 200 with Use-Path and Expires; 423 and
//! renewal before expiry.
//!
//! One *round* is the exchange that ends in a granted path or a failure:
//!
//! ```text
//! AUTH (no credentials)            ->
//!                                  <- 401 WWW-Authenticate: Digest realm, nonce, qop="auth"
//! AUTH Authorization: Digest ...   ->
//!                                  <- 200 Use-Path, Expires [, Authentication-Info: rspauth]
//! ```
//!
//! A 401 after credentials (a wrong password, or a nonce the relay no longer
//! accepts) is answered again with the new challenge, up to
//! `max_attempts` credentialed requests per round. A 423 (RFC 4976 §5.1:
//! the Expires asked for is out of the relay's bounds) is retried once with
//! Expires moved into `[Min-Expires, Max-Expires]`. Once granted, a new round
//! starts at `refresh` × Expires, from a bare AUTH: the relay's nonce may be
//! stale by then, and a bare AUTH costs one round trip at most.

use std::fmt;
use std::time::{Duration, Instant};

use bytes::{BufMut, Bytes, BytesMut};

use crate::ident::IdGenerator;
use crate::path::Path;
use crate::uri::MsrpUri;
use crate::wire::{Chunk, ChunkHead, Continuation, Encoder, HeaderName, Method};

use super::config::Ratio;
use super::digest::{Challenge, DigestError, QopAuth, hex};
use super::respond::reason_phrase;

/// The lifetime assumed for a granted path when the relay's 200 carries no
/// Expires and none was asked for: RFC 4976 §5.1 makes Expires mandatory in
/// the 200, so this only covers relays that leave it out. 600 s is the
/// default lifetime of the relays in use (`auth_expires` in OpenSIPS).
pub(crate) const DEFAULT_EXPIRES: u32 = 600;

/// Random bytes in a client nonce: 128 bits, sent as 32 hex digits. RFC 2617
/// §3.2.2 leaves the form to the client; it must be unpredictable, and 128
/// bits are well above the 64 that RFC 4975 §7.1 asks of random identifiers.
const CNONCE_BYTES: usize = 16;

/// The earliest a renewal runs after a grant, so that a relay granting a
/// tiny Expires (or 0) cannot make the client loop on AUTH.
const MIN_RENEWAL_DELAY: Duration = Duration::from_secs(1);

/// Credentials and settings for authenticating to a relay (RFC 4976 §5).
///
/// `Debug` shows everything but the password.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthConfig {
    pub(crate) relay: MsrpUri,
    pub(crate) local_uri: MsrpUri,
    pub(crate) username: String,
    pub(crate) password: String,
    pub(crate) expires: Option<u32>,
}

impl AuthConfig {
    /// Authenticate as `username` to the relay at `relay` (an `msrps` URI
    /// without session id, the To-Path of the AUTH request), from `local_uri`.
    pub fn new(
        relay: MsrpUri,
        local_uri: MsrpUri,
        username: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        Self {
            relay,
            local_uri,
            username: username.into(),
            password: password.into(),
            expires: None,
        }
    }

    /// Ask for the relay path to last this many seconds. Without it no
    /// Expires is sent and the relay picks; if its 200 then names none
    /// either, 600 s is assumed.
    pub fn expires(mut self, seconds: u32) -> Self {
        self.expires = Some(seconds);
        self
    }

    /// The relay's URI: the To-Path of the AUTH requests and the `uri` of
    /// their digest credentials.
    pub fn relay(&self) -> &MsrpUri {
        &self.relay
    }

    /// This side's URI: the From-Path of the AUTH requests.
    pub fn local_uri(&self) -> &MsrpUri {
        &self.local_uri
    }

    /// The username of the digest credentials.
    pub fn username(&self) -> &str {
        &self.username
    }

    /// The lifetime asked for with [`expires`](Self::expires), if any.
    pub fn requested_expires(&self) -> Option<u32> {
        self.expires
    }
}

impl fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The password must not end up in logs.
        f.debug_struct("AuthConfig")
            .field("relay", &self.relay)
            .field("local_uri", &self.local_uri)
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("expires", &self.expires)
            .finish()
    }
}

/// What the connection must do next for the authentication.
#[derive(Debug)]
pub(crate) enum AuthStep {
    /// Send this AUTH request, under this transaction id.
    Send { tid: String, bytes: Bytes },
    /// The relay granted a path.
    Authenticated { use_path: Path, expires: Duration },
    /// The authentication failed for good.
    Failed { code: u16, comment: String },
    /// Nothing to do.
    Wait,
}

/// The challenge answered in this round, and how many requests used its
/// nonce (the `nc` of RFC 2617 §3.2.2).
#[derive(Debug)]
struct NonceState {
    challenge: Challenge,
    nc: u32,
}

/// The AUTH request waiting for its response.
#[derive(Debug)]
struct Outstanding {
    tid: String,
    /// The Expires it asked for.
    expires: Option<u32>,
    /// The `rspauth` that proves the relay knows the password, when the
    /// request carried credentials.
    expected_rspauth: Option<String>,
}

/// The client side of RFC 4976 authentication.
#[derive(Debug)]
pub(crate) struct AuthClient {
    config: AuthConfig,
    /// Most credentialed AUTH requests in one round.
    max_attempts: u32,
    /// When to renew, as a fraction of the granted lifetime.
    refresh: Ratio,
    /// The Expires to ask for: the configured one, or the one a 423 taught
    /// (kept for renewals, which would be refused the same way).
    expires: Option<u32>,
    /// The challenge of this round, once the relay sent one.
    nonce: Option<NonceState>,
    /// Credentialed AUTH requests sent in this round.
    attempts: u32,
    /// Whether this round already retried after a 423.
    interval_retried: bool,
    /// Whether credentials carry the `uri` parameter: not at first (RFC
    /// 4976 §7's grammar has none), and from the first credentialed
    /// request refused without `stale` on (RFC 2617 requires it, and
    /// Kamailio's auth module does). Kept for renewals.
    send_uri: bool,
    outstanding: Option<Outstanding>,
    /// When the granted path is to be renewed.
    renew_at: Option<Instant>,
}

impl AuthClient {
    pub(crate) fn new(config: AuthConfig, max_attempts: u32, refresh: Ratio) -> Self {
        Self {
            expires: config.expires,
            config,
            max_attempts,
            refresh,
            nonce: None,
            attempts: 0,
            interval_retried: false,
            send_uri: false,
            outstanding: None,
            renew_at: None,
        }
    }

    /// The first AUTH request (without credentials).
    ///
    /// Starts a new round; a request still outstanding is forgotten (its
    /// response will not match).
    pub(crate) fn start(&mut self, now: Instant, ids: &mut IdGenerator) -> AuthStep {
        let _ = now; // Nothing is timed until a response arrives.
        self.nonce = None;
        self.attempts = 0;
        self.interval_retried = false;
        self.renew_at = None;
        self.send(ids)
    }

    /// A response to the outstanding AUTH request.
    pub(crate) fn on_response(
        &mut self,
        head: &ChunkHead,
        now: Instant,
        ids: &mut IdGenerator,
    ) -> AuthStep {
        let Some(code) = head.response_code() else {
            return AuthStep::Wait;
        };
        let tid = head.transaction_id();
        let Some(sent) = self.outstanding.take_if(|o| o.tid == tid) else {
            // Late, or for a round that was restarted.
            return AuthStep::Wait;
        };
        match code {
            200 => self.on_granted(head, &sent, now),
            401 => self.on_challenge(head, &sent, ids),
            423 => self.on_interval(head, &sent, ids),
            _ => {
                let comment = head.response_comment().unwrap_or(reason_phrase(code));
                self.fail(code, format!("relay refused AUTH: {code} {comment}"))
            }
        }
    }

    /// The outstanding AUTH request got no response in time.
    pub(crate) fn on_timeout(&mut self, now: Instant) -> AuthStep {
        let _ = now;
        if self.outstanding.is_none() {
            return AuthStep::Wait;
        }
        self.fail(408, "no response to AUTH in time".into())
    }

    /// When [`on_deadline`](Self::on_deadline) must be called: the renewal time.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        if self.outstanding.is_some() {
            return None;
        }
        self.renew_at
    }

    /// The renewal time came.
    pub(crate) fn on_deadline(&mut self, now: Instant, ids: &mut IdGenerator) -> AuthStep {
        match self.deadline() {
            Some(at) if at <= now => self.start(now, ids),
            _ => AuthStep::Wait,
        }
    }

    /// Whether an AUTH request is outstanding.
    pub(crate) fn busy(&self) -> bool {
        self.outstanding.is_some()
    }

    // ---- responses -------------------------------------------------------

    /// 200: the relay granted a path (RFC 4976 §5.1).
    fn on_granted(&mut self, head: &ChunkHead, sent: &Outstanding, now: Instant) -> AuthStep {
        let Some(use_path) = head.use_path().cloned() else {
            return self.fail(
                400,
                "relay answered AUTH with 200 but no Use-Path (RFC 4976 §5.1)".into(),
            );
        };
        // Mutual authentication (RFC 2617 §3.2.3): checked when the relay
        // offers it. Without credentials sent there is nothing to check it
        // against: the relay let this client in without a challenge.
        let rspauth = head
            .authentication_info()
            .and_then(|info| info.get("rspauth").map(str::to_owned));
        if let (Some(expected), Some(got)) = (&sent.expected_rspauth, rspauth) {
            if !got.eq_ignore_ascii_case(expected) {
                return self.fail(
                    401,
                    "relay failed mutual authentication: wrong rspauth in Authentication-Info"
                        .into(),
                );
            }
        }
        let seconds = head.expires().or(sent.expires).unwrap_or(DEFAULT_EXPIRES);
        let expires = Duration::from_secs(u64::from(seconds));
        let delay = self.refresh.of(expires).max(MIN_RENEWAL_DELAY);
        // An overflowing Instant means "never" in practice.
        self.renew_at = now.checked_add(delay);
        self.nonce = None;
        AuthStep::Authenticated { use_path, expires }
    }

    /// 401: answer the challenge (RFC 4976 §5.1, RFC 2617 §3.2.2).
    ///
    /// A 401 to credentials is a refusal unless the challenge says the
    /// nonce was only `stale`. A refusal of credentials without `uri` is
    /// retried once with it, which some relays need; a refusal of
    /// credentials with it is final: retrying the same password cannot
    /// help (Kamailio answers a wrong password with 401 forever).
    fn on_challenge(
        &mut self,
        head: &ChunkHead,
        sent: &Outstanding,
        ids: &mut IdGenerator,
    ) -> AuthStep {
        if self.attempts >= self.max_attempts {
            return self.refused();
        }
        // The first Digest challenge this client can answer; if none, the
        // reason the first one was refused.
        let mut refusal: Option<DigestError> = None;
        let chosen =
            head.www_authenticate()
                .find_map(|params| match Challenge::from_params(&params) {
                    Ok(challenge) => Some(challenge),
                    Err(err) => {
                        refusal.get_or_insert(err);
                        None
                    }
                });
        let Some(challenge) = chosen else {
            let comment = match refusal {
                Some(err) => format!("relay offers no usable digest challenge: {err}"),
                None => "401 to AUTH without a Digest WWW-Authenticate".to_owned(),
            };
            return self.fail(401, comment);
        };
        let had_credentials = sent.expected_rspauth.is_some();
        if had_credentials && !challenge.stale {
            if self.send_uri {
                return self.refused();
            }
            self.send_uri = true;
        }
        // nc counts the requests sent with one nonce; a new nonce starts over.
        let nc = match &self.nonce {
            Some(state) if state.challenge.nonce == challenge.nonce => state.nc,
            _ => 0,
        };
        self.nonce = Some(NonceState { challenge, nc });
        self.send(ids)
    }

    /// 423: the Expires asked for is out of bounds; retry once inside them.
    fn on_interval(
        &mut self,
        head: &ChunkHead,
        sent: &Outstanding,
        ids: &mut IdGenerator,
    ) -> AuthStep {
        if self.interval_retried {
            return self.fail(423, "relay refused the Expires interval twice".into());
        }
        let (min, max) = (head.min_expires(), head.max_expires());
        if min.is_none() && max.is_none() {
            return self.fail(423, "423 to AUTH without Min-Expires or Max-Expires".into());
        }
        let (low, high) = (min.unwrap_or(0), max.unwrap_or(u32::MAX));
        if low > high {
            return self.fail(
                423,
                format!("relay's Expires bounds are empty: Min-Expires {low} > Max-Expires {high}"),
            );
        }
        let credentials = self.nonce.is_some();
        if credentials && self.attempts >= self.max_attempts {
            return self.fail(
                423,
                format!(
                    "relay refused the Expires interval and no attempt is left ({} sent)",
                    self.attempts
                ),
            );
        }
        self.interval_retried = true;
        self.expires = Some(sent.expires.unwrap_or(DEFAULT_EXPIRES).clamp(low, high));
        // Same challenge, same nonce: nc goes on counting.
        self.send(ids)
    }

    /// The relay refused the credentials for good.
    fn refused(&mut self) -> AuthStep {
        let attempts = self.attempts;
        self.fail(
            401,
            format!("relay refused the credentials ({attempts} attempts)"),
        )
    }

    fn fail(&mut self, code: u16, comment: String) -> AuthStep {
        self.outstanding = None;
        self.renew_at = None;
        self.nonce = None;
        AuthStep::Failed { code, comment }
    }

    // ---- requests --------------------------------------------------------

    /// An AUTH request (RFC 4976 §5.1): `To-Path` the relay, `From-Path`
    /// this side, `Expires` if one is asked for, and digest credentials when
    /// the round has a challenge to answer.
    fn send(&mut self, ids: &mut IdGenerator) -> AuthStep {
        let tid = ids.transaction_id();
        let mut builder = ChunkHead::request(Method::Auth, tid)
            .to_path(&Path::from(self.config.relay.clone()))
            .from_path(&Path::from(self.config.local_uri.clone()));
        if let Some(seconds) = self.expires {
            builder = builder.expires(seconds);
        }
        let mut expected_rspauth = None;
        if let Some(state) = self.nonce.as_mut() {
            state.nc = state.nc.saturating_add(1);
            let mut random = [0u8; CNONCE_BYTES];
            ids.fill_bytes(&mut random);
            let cnonce = hex(&random);
            let qop = QopAuth {
                nc: state.nc,
                cnonce: &cnonce,
            };
            // The digest-uri is the relay's URI exactly as in To-Path (RFC
            // 4976 §9.1), whether or not it is sent.
            let answer = match state.challenge.answer(
                &self.config.username,
                &self.config.password,
                Method::Auth.as_str(),
                (self.config.relay.as_str(), self.send_uri),
                qop,
            ) {
                Ok(answer) => answer,
                Err(err) => return self.fail(401, format!("cannot answer the challenge: {err}")),
            };
            builder = builder.header(
                HeaderName::Authorization.as_str(),
                &answer.authorization.to_header_value_with_scheme(),
            );
            expected_rspauth = Some(answer.expected_rspauth);
            self.attempts += 1;
        }
        // The builder refuses what the parser would (a username too long for
        // a header line, say); a bodiless chunk always encodes.
        let encoded = builder.build().map_err(|e| e.to_string()).and_then(|head| {
            let chunk = Chunk::new(head, None, Continuation::Complete);
            Encoder::new()
                .encode(&chunk, ids)
                .map_err(|e| e.to_string())
        });
        let encoded = match encoded {
            Ok(encoded) => encoded,
            Err(err) => return self.fail(400, format!("cannot build the AUTH request: {err}")),
        };
        let mut bytes = BytesMut::with_capacity(encoded.len());
        bytes.put_slice(encoded.head());
        bytes.put_slice(encoded.end());
        let tid = encoded.transaction_id().to_owned();
        self.outstanding = Some(Outstanding {
            tid: tid.clone(),
            expires: self.expires,
            expected_rspauth,
        });
        AuthStep::Send {
            tid,
            bytes: bytes.freeze(),
        }
    }
}

#[cfg(test)]
mod tests;
