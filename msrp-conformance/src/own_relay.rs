//! This library's own relay ([`RelayServer`]) started in-process on
//! 127.0.0.1 for a scenario: a TLS and a TCP listener on free ports (and
//! `ws`/`wss` ones with [`OwnRelay::start_ws`]), the test certificate, users `alice` and `bob` (and `mallory`, whose right
//! password is refused 403), and endpoint settings that trust it.

use std::net::{Ipv4Addr, SocketAddr};

use msrp_endpoint::msrp_proto::MsrpUri;
use msrp_endpoint::msrp_proto::relay::{RelayConfig, Users};
use msrp_endpoint::ws::WsUrl;
use msrp_endpoint::{
    EndpointConfig, RelayListen, RelayServer, RelayServerConfig, RelaySettings, Runtime,
};

use crate::support::{Security, config, local_cert};

/// The realm of the relay's challenges.
pub const REALM: &str = "relay.test";
/// The password of every test user.
pub const PASSWORD: &str = "relay-password";

/// A running relay of ours.
#[derive(Debug)]
pub struct OwnRelay<R: Runtime> {
    /// The relay.
    pub server: RelayServer<R>,
}

impl<R: Runtime> OwnRelay<R> {
    /// Starts a relay with the default policy, changed by `tweak`.
    pub async fn start(rt: &R, tweak: impl FnOnce(&mut RelayServerConfig)) -> Self {
        let local = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
        // The host of the relay URIs peers connect to: the address itself,
        // which the test certificate names (a real relay uses its FQDN).
        let mut relay = RelayConfig::new("127.0.0.1", REALM);
        relay.min_expires = 2;
        let mut config = RelayServerConfig::new(relay);
        config.listen = vec![RelayListen::tls(local), RelayListen::tcp(local)];
        config.tls_server = Some(local_cert().server());
        config.tls_client = Some(local_cert().client());
        tweak(&mut config);
        let mut users = Users::new();
        for user in ["alice", "bob"] {
            users.add_password(user, REALM, PASSWORD);
        }
        users.add_denied("mallory", REALM, PASSWORD);
        let server = RelayServer::start(rt.clone(), config, users)
            .await
            .expect("our relay starts");
        Self { server }
    }

    /// [`start`](Self::start) with WebSocket listeners too, `ws` and `wss`
    /// (RFC 7977), on free ports.
    pub async fn start_ws(rt: &R, tweak: impl FnOnce(&mut RelayServerConfig)) -> Self {
        Self::start(rt, |config| {
            let local = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
            config.listen.push(RelayListen::ws(local));
            config.listen.push(RelayListen::wss(local));
            tweak(config);
        })
        .await
    }

    /// The URL WebSocket clients connect to: `wss` over TLS, else `ws`.
    pub fn ws_url(&self, security: Security) -> WsUrl {
        self.server
            .ws_url(security == Security::Tls)
            .expect("a WebSocket listener for that security")
    }

    /// Settings for `user` as a WebSocket client, `wss` over TLS.
    pub fn ws_settings(&self, security: Security, user: &str) -> RelaySettings {
        RelaySettings::from_ws_url(&self.ws_url(security), user, PASSWORD)
    }

    /// The URI clients authenticate to over `security`.
    pub fn uri(&self, security: Security) -> MsrpUri {
        self.server
            .uri(security == Security::Tls)
            .expect("a listener for that security")
    }

    /// Settings for `user` over `security`.
    pub fn settings(&self, security: Security, user: &str) -> RelaySettings {
        RelaySettings::from_uri(&self.uri(security), user, PASSWORD)
    }

    /// Endpoint settings that trust the relay and the direct peers (both
    /// present the test certificate) and present it when they listen.
    pub fn config(&self) -> EndpointConfig {
        let mut config = config();
        config.tls_client = Some(local_cert().client());
        config.tls_server = Some(local_cert().server());
        config
    }
}
