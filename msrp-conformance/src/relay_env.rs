//! The real MSRP relay the relay scenarios run against: Kamailio's msrp
//! module on 127.0.0.1, started by `scripts/relay-harness` (which
//! `scripts/test` runs), described by the `MSRP_TEST_RELAY_*` variables of
//! its `env` file.

use std::path::PathBuf;

use msrp_endpoint::msrp_proto::MsrpUri;
use msrp_endpoint::tls::load_certs;
use msrp_endpoint::{EndpointConfig, RelaySettings, TlsClient};

use crate::support::{Security, config, local_cert};

/// How to get the relay, for the message of a scenario that has none.
const HOW: &str = "the relay scenarios need the Kamailio relay of the test suite: run \
    ./scripts/test, or start it by hand with `scripts/relay-harness start /tmp/relay` \
    and export its variables (`set -a; . /tmp/relay/env; set +a`) before `cargo test`";

/// The relay's addresses and test accounts.
#[derive(Debug, Clone)]
pub struct RelayEnv {
    /// `host:port` of the plain TCP listener.
    pub tcp: String,
    /// `host:port` of the TLS listener.
    pub tls: String,
    /// The CA that issued the relay's certificate.
    pub ca: PathBuf,
    /// A user the relay lets in.
    pub user: String,
    /// Another user the relay lets in.
    pub user2: String,
    /// The password of both.
    pub password: String,
    /// A user the relay refuses (403) with the right password.
    pub forbidden_user: String,
    /// The relay's smallest Expires.
    pub min_expires: u32,
    /// The relay's name in DNS and in its certificate.
    pub host: String,
    /// The domain whose SRV records name the relay.
    pub domain: String,
    /// `host:port` of the DNS server that serves those records.
    pub dns: String,
}

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set: {HOW}"))
}

impl RelayEnv {
    /// The relay of the environment; panics, saying how to get one, when
    /// there is none.
    pub fn get() -> Self {
        Self {
            tcp: var("MSRP_TEST_RELAY_TCP"),
            tls: var("MSRP_TEST_RELAY_TLS"),
            ca: var("MSRP_TEST_RELAY_CA").into(),
            user: var("MSRP_TEST_RELAY_USER"),
            user2: var("MSRP_TEST_RELAY_USER2"),
            password: var("MSRP_TEST_RELAY_PASSWORD"),
            forbidden_user: var("MSRP_TEST_RELAY_FORBIDDEN_USER"),
            min_expires: var("MSRP_TEST_RELAY_MIN_EXPIRES")
                .parse()
                .expect("MSRP_TEST_RELAY_MIN_EXPIRES is a number"),
            host: var("MSRP_TEST_RELAY_HOST"),
            domain: var("MSRP_TEST_RELAY_DOMAIN"),
            dns: var("MSRP_TEST_DNS"),
        }
    }

    /// The relay's URI for `security`, as in the To-Path of AUTH.
    pub fn uri(&self, security: Security) -> MsrpUri {
        let (scheme, addr) = match security {
            Security::Tcp => ("msrp", &self.tcp),
            Security::Tls => ("msrps", &self.tls),
        };
        format!("{scheme}://{addr};tcp")
            .parse()
            .expect("a relay URI")
    }

    /// Settings for `user` at the relay over `security`.
    pub fn settings(&self, security: Security, user: &str) -> RelaySettings {
        RelaySettings::from_uri(&self.uri(security), user, &self.password)
    }

    /// Endpoint settings that trust the relay's certificate and the test
    /// certificate of direct peers, and present the latter when they listen.
    pub fn config(&self) -> EndpointConfig {
        let mut config = config();
        let mut roots = load_certs(&self.ca).expect("the relay's CA");
        roots.push(local_cert().cert.clone());
        config.tls_client = Some(TlsClient::with_ca_certs(roots).expect("TLS client settings"));
        config.tls_server = Some(local_cert().server());
        config
    }
}
