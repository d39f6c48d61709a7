//! `ws://` and `wss://` URLs of MSRP WebSocket servers.

use std::fmt;
use std::net::Ipv6Addr;

use msrp_proto::uri::MsrpUri;

use crate::Error;

/// Where an MSRP WebSocket server listens: `ws://host[:port][/path]` or
/// `wss://…` (WebSocket over TLS, which RFC 7977 §5.1 requires outside a
/// lab).
///
/// ```
/// use msrp_endpoint::ws::WsUrl;
/// let url: WsUrl = "wss://relay.example.com/msrp".parse()?;
/// assert!(url.is_secure());
/// assert_eq!(url.port(), 443);
/// assert_eq!(url.resource(), "/msrp");
/// assert_eq!(url.msrp_uri()?.as_str(), "msrps://relay.example.com:443;ws");
/// # Ok::<(), msrp_endpoint::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WsUrl {
    secure: bool,
    host: String,
    port: u16,
    resource: String,
}

impl WsUrl {
    /// A URL from its parts; `resource` is the path and query (`/` when
    /// empty).
    pub fn new(secure: bool, host: impl Into<String>, port: u16, resource: &str) -> Self {
        let host = host.into();
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let resource = if resource.starts_with('/') {
            resource.to_owned()
        } else {
            format!("/{resource}")
        };
        Self {
            secure,
            host,
            port,
            resource,
        }
    }

    /// `wss` (TLS) or `ws`.
    pub fn is_secure(&self) -> bool {
        self.secure
    }

    /// The host, IPv6 addresses without brackets.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port (80 for `ws`, 443 for `wss` when the URL names none).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The path and query asked for in the upgrade request.
    pub fn resource(&self) -> &str {
        &self.resource
    }

    /// The value of the `Host` header: the host, and the port unless it is
    /// the scheme's default.
    pub fn host_header(&self) -> String {
        let host = self.bracketed_host();
        if self.port == self.default_port() {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }

    /// The server's MSRP URI as a WebSocket client names it in the To-Path
    /// of AUTH (RFC 7977 §8.1): `msrps://host:port;ws`, or `msrp://…` for
    /// plain `ws`.
    pub fn msrp_uri(&self) -> Result<MsrpUri, Error> {
        MsrpUri::builder(&self.host)
            .secure(self.secure)
            .port(self.port)
            .transport("ws")
            .build()
            .map_err(|e| Error::Config(format!("WebSocket host `{}`: {e}", self.host)))
    }

    fn default_port(&self) -> u16 {
        if self.secure { 443 } else { 80 }
    }

    fn bracketed_host(&self) -> String {
        if self.host.parse::<Ipv6Addr>().is_ok() {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        }
    }
}

impl fmt::Display for WsUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.secure { "wss" } else { "ws" };
        write!(
            f,
            "{scheme}://{}:{}{}",
            self.bracketed_host(),
            self.port,
            self.resource
        )
    }
}

impl std::str::FromStr for WsUrl {
    type Err = Error;

    /// Parses `ws://host[:port][/path][?query]` or `wss://…`; the scheme is
    /// case-insensitive, a fragment is refused (RFC 6455 §3).
    fn from_str(text: &str) -> Result<Self, Error> {
        let bad =
            |why: &str| Error::Config(format!("`{text}` is not a ws:// or wss:// URL: {why}"));
        let (scheme, rest) = text.split_once("://").ok_or_else(|| bad("no scheme"))?;
        let secure = if scheme.eq_ignore_ascii_case("wss") {
            true
        } else if scheme.eq_ignore_ascii_case("ws") {
            false
        } else {
            return Err(bad("the scheme must be ws or wss"));
        };
        if rest.contains('#') {
            return Err(bad("a fragment is not allowed"));
        }
        let split = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, resource) = rest.split_at(split);
        if authority.contains('@') {
            return Err(bad("user information is not allowed"));
        }
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (host, after) = v6.split_once(']').ok_or_else(|| bad("unclosed ["))?;
            host.parse::<Ipv6Addr>()
                .map_err(|_| bad("not an IPv6 address in brackets"))?;
            let port = match after {
                "" => None,
                p => Some(p.strip_prefix(':').ok_or_else(|| bad("junk after ]"))?),
            };
            (host, port)
        } else {
            match authority.rsplit_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (authority, None),
            }
        };
        if host.is_empty()
            || host
                .chars()
                .any(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '_')))
        {
            return Err(bad("no valid host"));
        }
        let port = match port {
            None => {
                if secure {
                    443
                } else {
                    80
                }
            }
            Some(p) => p
                .parse::<u16>()
                .ok()
                .filter(|p| *p != 0)
                .ok_or_else(|| bad("the port must be 1-65535"))?,
        };
        if resource.chars().any(|c| c.is_ascii_control() || c == ' ') {
            return Err(bad("spaces or control characters in the path"));
        }
        Ok(Self::new(secure, host, port, resource))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        let url: WsUrl = "ws://127.0.0.1:8080".parse().unwrap();
        assert!(!url.is_secure());
        assert_eq!(
            (url.host(), url.port(), url.resource()),
            ("127.0.0.1", 8080, "/")
        );
        assert_eq!(url.host_header(), "127.0.0.1:8080");
        assert_eq!(url.to_string(), "ws://127.0.0.1:8080/");
        assert_eq!(url.msrp_uri().unwrap().as_str(), "msrp://127.0.0.1:8080;ws");

        let url: WsUrl = "WSS://[::1]:4443/a/b?x=1".parse().unwrap();
        assert!(url.is_secure());
        assert_eq!(
            (url.host(), url.port(), url.resource()),
            ("::1", 4443, "/a/b?x=1")
        );
        assert_eq!(url.host_header(), "[::1]:4443");
        assert_eq!(url.to_string(), "wss://[::1]:4443/a/b?x=1");

        let url: WsUrl = "wss://relay.example.com?q".parse().unwrap();
        assert_eq!((url.port(), url.resource()), (443, "/?q"));
        assert_eq!(url.host_header(), "relay.example.com");
    }

    #[test]
    fn refuses_what_is_not_a_websocket_url() {
        for bad in [
            "http://x",
            "msrps://x:1;tcp",
            "ws://",
            "ws://:80",
            "ws://x:0",
            "ws://x:99999",
            "ws://x:port",
            "ws://u@x",
            "ws://x/#frag",
            "ws://[::1/",
            "ws://x/a b",
            "x",
        ] {
            assert!(bad.parse::<WsUrl>().is_err(), "{bad}");
        }
    }
}
