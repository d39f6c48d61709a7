//! Building URIs for applications: a listening endpoint's own URI, a relay's
//! URI in AUTH, and so on.

use super::{MsrpUri, Scheme, UriError};
use std::net::Ipv6Addr;

/// Builds an [`MsrpUri`] from its components. [`build`](Self::build) formats
/// the text and parses it, so a built URI is always valid.
///
/// ```
/// use msrp_proto::MsrpUri;
///
/// let uri = MsrpUri::builder("2001:db8::1")
///     .secure(true)
///     .port(2855)
///     .session_id("abc")
///     .build()?;
/// assert_eq!(uri.as_str(), "msrps://[2001:db8::1]:2855/abc;tcp");
/// # Ok::<(), msrp_proto::uri::UriError>(())
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct MsrpUriBuilder {
    host: String,
    secure: bool,
    user: Option<String>,
    port: Option<u16>,
    session_id: Option<String>,
    transport: String,
    params: Vec<(String, Option<String>)>,
}

impl MsrpUriBuilder {
    /// A builder for `msrp://host;tcp`. An IPv6 address without brackets
    /// gets them.
    pub fn new(host: &str) -> Self {
        let host = match host.parse::<Ipv6Addr>() {
            Ok(_) => format!("[{host}]"),
            Err(_) => host.to_owned(),
        };
        Self {
            host,
            secure: false,
            user: None,
            port: None,
            session_id: None,
            transport: "tcp".to_owned(),
            params: Vec::new(),
        }
    }
    /// Uses `msrps` (TLS) when `secure`, `msrp` otherwise (the default).
    pub fn secure(mut self, secure: bool) -> Self {
        self.secure = secure;
        self
    }
    /// Sets the user part, written as given (percent-encode it yourself).
    pub fn user(mut self, user: &str) -> Self {
        self.user = Some(user.to_owned());
        self
    }
    /// Sets the port.
    pub fn port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }
    /// Sets the session id.
    pub fn session_id(mut self, id: &str) -> Self {
        self.session_id = Some(id.to_owned());
        self
    }
    /// Sets the transport (default `tcp`).
    pub fn transport(mut self, transport: &str) -> Self {
        transport.clone_into(&mut self.transport);
        self
    }
    /// Appends a URI parameter `;name` or `;name=value`.
    pub fn param(mut self, name: &str, value: Option<&str>) -> Self {
        self.params
            .push((name.to_owned(), value.map(str::to_owned)));
        self
    }
    /// Formats and parses the URI. Error offsets refer to the formatted text,
    /// `msrp[s]://[user@]host[:port][/session-id];transport[;params]`.
    pub fn build(&self) -> Result<MsrpUri, UriError> {
        let scheme = if self.secure {
            Scheme::Msrps
        } else {
            Scheme::Msrp
        };
        let user = self.user.as_ref().map(|u| format!("{u}@"));
        let port = self.port.map(|p| format!(":{p}"));
        let id = self.session_id.as_ref().map(|id| format!("/{id}"));
        let params: String = self
            .params
            .iter()
            .map(|(name, value)| match value {
                Some(value) => format!(";{name}={value}"),
                None => format!(";{name}"),
            })
            .collect();
        MsrpUri::parse(&format!(
            "{scheme}://{}{}{}{};{}{params}",
            user.unwrap_or_default(),
            self.host,
            port.unwrap_or_default(),
            id.unwrap_or_default(),
            self.transport,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::uri::UriErrorKind;

    #[test]
    fn built_uris_have_the_expected_text_and_parse_back_equal() {
        let cases = [
            (
                MsrpUri::builder("bob.example.com"),
                "msrp://bob.example.com;tcp",
            ),
            (
                MsrpUri::builder("10.0.0.1")
                    .port(2855)
                    .session_id("a/b+c==")
                    .param("foo", Some("bar"))
                    .param("baz", None),
                "msrp://10.0.0.1:2855/a/b+c==;tcp;foo=bar;baz",
            ),
            (
                MsrpUri::builder("::1")
                    .secure(true)
                    .user("alice")
                    .transport("ws"),
                "msrps://alice@[::1];ws",
            ),
            (MsrpUri::builder("[::1]").port(0), "msrp://[::1]:0;tcp"),
        ];
        for (builder, text) in cases {
            let built = builder.build().unwrap();
            assert_eq!(built.as_str(), text);
            assert_eq!(MsrpUri::parse(&built.to_string()), Ok(built));
        }
    }

    #[test]
    fn invalid_components_fail_to_build() {
        let err = MsrpUri::builder("h").session_id("a b").build().unwrap_err();
        assert_eq!(err.kind(), &UriErrorKind::SessionIdChar);
        let err = MsrpUri::builder("").build().unwrap_err();
        assert_eq!(err.kind(), &UriErrorKind::EmptyHost);
        let err = MsrpUri::builder("h").transport("").build().unwrap_err();
        assert_eq!(err.kind(), &UriErrorKind::Transport);
        let err = MsrpUri::builder("h")
            .param("a", Some(""))
            .build()
            .unwrap_err();
        assert_eq!(err.kind(), &UriErrorKind::EmptyParamValue);
    }
}
