//! Relay authentication, client side (RFC 4976 §5): AUTH, the 401 digest
//! challenge, AUTH with credentials, 200 with Use-Path and Expires; 423 and
//! renewal before expiry.
//!
//! STUB: the interface below is fixed; the implementation is to be written.

use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::ident::IdGenerator;
use crate::path::Path;
use crate::uri::MsrpUri;
use crate::wire::ChunkHead;

use super::config::Ratio;

/// Credentials and settings for authenticating to a relay (RFC 4976 §5).
#[derive(Debug, Clone, PartialEq, Eq)]
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

    /// Ask for the relay path to last this many seconds.
    pub fn expires(mut self, seconds: u32) -> Self {
        self.expires = Some(seconds);
        self
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

/// The client side of RFC 4976 authentication.
#[derive(Debug)]
pub(crate) struct AuthClient {
    config: AuthConfig,
}

impl AuthClient {
    pub(crate) fn new(config: AuthConfig, max_attempts: u32, refresh: Ratio) -> Self {
        let _ = (max_attempts, refresh);
        Self { config }
    }

    /// The first AUTH request (without credentials).
    pub(crate) fn start(&mut self, now: Instant, ids: &mut IdGenerator) -> AuthStep {
        let _ = (now, ids, &self.config);
        todo!()
    }

    /// A response to the outstanding AUTH request.
    pub(crate) fn on_response(
        &mut self,
        head: &ChunkHead,
        now: Instant,
        ids: &mut IdGenerator,
    ) -> AuthStep {
        let _ = (head, now, ids);
        todo!()
    }

    /// The outstanding AUTH request got no response in time.
    pub(crate) fn on_timeout(&mut self, now: Instant) -> AuthStep {
        let _ = now;
        todo!()
    }

    /// When [`on_deadline`](Self::on_deadline) must be called: the renewal time.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        todo!()
    }

    /// The renewal time came.
    pub(crate) fn on_deadline(&mut self, now: Instant, ids: &mut IdGenerator) -> AuthStep {
        let _ = (now, ids);
        todo!()
    }

    /// Whether an AUTH request is outstanding.
    pub(crate) fn busy(&self) -> bool {
        todo!()
    }
}
