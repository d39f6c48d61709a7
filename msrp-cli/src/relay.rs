//! `--relay` and its companions, shared by `msrp listen` and `msrp send`:
//! the session goes through an MSRP relay (RFC 4976) that this side
//! authenticates to, over TCP, TLS or WebSocket (RFC 7977).

use std::path::PathBuf;

use clap::Args;
use msrp_endpoint::ws::WsUrl;
use msrp_endpoint::{RelaySettings, TlsClient};
use msrp_proto::MsrpUri;

use crate::error::CliError;

/// The environment variable that may hold the relay password (never a
/// plain argument, so that it stays out of `ps`).
pub(crate) const PASSWORD_VAR: &str = "MSRP_RELAY_PASSWORD";

/// Options for going through a relay.
#[derive(Debug, Args)]
pub(crate) struct RelayArgs {
    /// Go through this MSRP relay (RFC 4976): msrps://HOST:PORT (TLS, the
    /// usual) or msrp://HOST:PORT, with no session id; or a relay reached
    /// over WebSocket (RFC 7977): wss://HOST:PORT/PATH (TLS; port and path
    /// optional) or ws://…. Line 1 is then the full path through the relay.
    #[arg(long, value_name = "URI", value_parser = relay_target)]
    relay: Option<RelayTarget>,

    /// The user to authenticate to the relay as.
    #[arg(long, value_name = "NAME", requires = "relay")]
    relay_user: Option<String>,

    /// A file whose first line is the relay password [default: the
    /// MSRP_RELAY_PASSWORD environment variable].
    #[arg(long, value_name = "FILE", requires = "relay")]
    relay_password_file: Option<PathBuf>,

    /// For an msrps or wss relay: trust the certificates in this PEM file (the
    /// relay's CA).
    #[arg(long, value_name = "FILE", requires = "relay")]
    relay_ca: Option<PathBuf>,
}

/// A relay given to `--relay`: its MSRP URI, or its WebSocket URL.
#[derive(Debug, Clone)]
enum RelayTarget {
    Msrp(MsrpUri),
    Ws(WsUrl),
}

impl RelayTarget {
    fn is_secure(&self) -> bool {
        match self {
            Self::Msrp(uri) => uri.is_secure(),
            Self::Ws(url) => url.is_secure(),
        }
    }
}

impl std::fmt::Display for RelayTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Msrp(uri) => uri.fmt(f),
            Self::Ws(url) => url.fmt(f),
        }
    }
}

/// `ws://…` and `wss://…` are WebSocket relays; anything else an MSRP URI.
fn relay_target(value: &str) -> Result<RelayTarget, String> {
    let scheme = value.split_once("://").map_or("", |(s, _)| s);
    if scheme.eq_ignore_ascii_case("ws") || scheme.eq_ignore_ascii_case("wss") {
        return value
            .parse::<WsUrl>()
            .map(RelayTarget::Ws)
            .map_err(|e| e.to_string());
    }
    relay_uri(value).map(RelayTarget::Msrp)
}

/// A relay given to `--relay`: `msrp(s)://host[:port]`, `;tcp` optional.
fn relay_uri(value: &str) -> Result<MsrpUri, String> {
    let shape = "expected a relay URI like msrps://relay.example.com:2855 or a WebSocket URL \
                 like wss://relay.example.com/msrp";
    let text = if value.contains(';') {
        value.to_owned()
    } else {
        format!("{value};tcp")
    };
    let uri: MsrpUri = text.parse().map_err(|e| format!("{shape} ({e})"))?;
    if uri.session_id().is_some() {
        return Err(format!(
            "{shape}, without a session id (the relay gives this side its path)"
        ));
    }
    Ok(uri)
}

/// A relay to go through, ready for the endpoint settings.
pub(crate) struct Relay {
    pub(crate) settings: RelaySettings,
    /// How to check the relay's certificate, for an msrps relay.
    pub(crate) tls: Option<TlsClient>,
}

impl RelayArgs {
    /// The relay settings, if `--relay` was given; `insecure` is the
    /// subcommand's `--insecure`.
    pub(crate) fn relay(&self, insecure: bool) -> Result<Option<Relay>, CliError> {
        let Some(target) = &self.relay else {
            return Ok(None);
        };
        let user = self.relay_user.as_deref().ok_or_else(|| {
            CliError::usage("--relay needs --relay-user NAME (the user to authenticate as)")
        })?;
        let password = self.password()?;
        let tls = match (target.is_secure(), &self.relay_ca, insecure) {
            (false, _, _) => None,
            (true, Some(ca), _) => Some(
                TlsClient::with_ca_file(ca)
                    .map_err(|e| CliError::usage(format!("--relay-ca: {e}")))?,
            ),
            (true, None, true) => Some(TlsClient::insecure()),
            (true, None, false) => {
                return Err(CliError::usage(format!(
                    "{target} uses TLS: give --relay-ca FILE with the relay's CA, or \
                     --insecure to trust any certificate"
                )));
            }
        };
        let settings = match target {
            RelayTarget::Msrp(uri) => RelaySettings::from_uri(uri, user, password),
            RelayTarget::Ws(url) => RelaySettings::from_ws_url(url, user, password),
        };
        Ok(Some(Relay { settings, tls }))
    }

    fn password(&self) -> Result<String, CliError> {
        if let Some(file) = &self.relay_password_file {
            let text = std::fs::read_to_string(file).map_err(|e| {
                CliError::usage(format!("--relay-password-file {}: {e}", file.display()))
            })?;
            let line = text.lines().next().unwrap_or("");
            if line.is_empty() {
                return Err(CliError::usage(format!(
                    "--relay-password-file {}: the first line is empty (expected the password)",
                    file.display()
                )));
            }
            return Ok(line.to_owned());
        }
        std::env::var(PASSWORD_VAR)
            .ok()
            .filter(|p| !p.is_empty())
            .ok_or_else(|| {
                CliError::usage(format!(
                    "--relay needs a password: --relay-password-file FILE, or the {PASSWORD_VAR} \
                 environment variable"
                ))
            })
    }
}
