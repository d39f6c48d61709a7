//! MSRP URIs (RFC 4975 §6, §9) and their comparison rules (§6.1).
//!
//! An [`MsrpUri`] keeps the exact text it was parsed from in a [`Bytes`] and
//! records where each component lies, so parsing a received header copies
//! nothing and [`Display`](fmt::Display) gives back the original text.
//! [`MsrpUriBuilder`] makes URIs for applications.

use bytes::Bytes;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::ops::Range;
use std::str::FromStr;

mod builder;
mod parse;

pub use builder::MsrpUriBuilder;
use parse::{Parts, parse_parts};

/// `msrp` or `msrps`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// `msrp://`: plain TCP (or another transport without TLS).
    Msrp,
    /// `msrps://`: TLS.
    Msrps,
}

impl Scheme {
    /// The scheme name in lower case, without `://`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Msrp => "msrp",
            Self::Msrps => "msrps",
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The host part of a URI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Host<'a> {
    /// A registered name such as `bob.example.com`.
    Domain(&'a str),
    /// An IPv4 address.
    Ipv4(Ipv4Addr),
    /// An IPv6 address (written in brackets in the URI).
    Ipv6(Ipv6Addr),
}

/// What is wrong with a URI or a path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UriErrorKind {
    /// A path holds no URI.
    #[error("a path needs at least one URI")]
    EmptyPath,
    /// A path holds more URIs than the limit allows.
    #[error("more than {limit} URIs in one path")]
    TooManyUris {
        /// The limit.
        limit: usize,
    },
    /// A byte outside US-ASCII.
    #[error("non-ASCII byte: MSRP URIs are ASCII only")]
    NonAscii,
    /// The text is too long for the offsets an [`MsrpUri`] stores.
    #[error("URI longer than {limit} bytes")]
    TooLong {
        /// The longest URI accepted.
        limit: usize,
    },
    /// The scheme is neither `msrp` nor `msrps`.
    #[error("expected the scheme `msrp` or `msrps`")]
    UnknownScheme,
    /// The scheme is not followed by `://`.
    #[error("expected `://` after the scheme")]
    MissingSeparator,
    /// A `%` in the user part or host is not followed by two hex digits.
    #[error("expected two hexadecimal digits after `%`")]
    PercentEncoding,
    /// Nothing where the host should be.
    #[error("expected a host: a name, an IPv4 address or a bracketed IPv6 address")]
    EmptyHost,
    /// A `[...]` host that is not an IPv6 address.
    #[error("expected an IPv6 address between `[` and `]`")]
    Ipv6Literal,
    /// A character that cannot appear in or after the host.
    #[error(
        "illegal character in the host: expected `:port`, `/session-id` or `;transport` after it"
    )]
    HostChar,
    /// `:` without a port number, or a port with non-digits in it.
    #[error("expected a port number (decimal digits) after `:`")]
    Port,
    /// A port number larger than 65535.
    #[error("port number larger than 65535")]
    PortRange,
    /// `/` without a session id after it.
    #[error("expected a session id after `/`")]
    EmptySessionId,
    /// A character that cannot appear in a session id.
    #[error("illegal character in the session id: expected letters, digits or `-._~+=/`")]
    SessionIdChar,
    /// The URI ends without `;transport`.
    #[error("expected `;tcp` or another transport after the authority and session id")]
    MissingTransport,
    /// The transport is empty or not alphanumeric.
    #[error("expected a transport name (letters and digits) such as `tcp` after `;`")]
    Transport,
    /// `;` without a parameter name after it.
    #[error("expected a parameter name after `;`")]
    EmptyParam,
    /// `=` without a parameter value after it.
    #[error("expected a parameter value after `=`")]
    EmptyParamValue,
    /// A character that cannot appear in a URI parameter.
    #[error(
        "illegal character in a URI parameter: expected `;name` or `;name=value` of token characters"
    )]
    ParamChar,
}

/// A malformed URI or path, with the offset (in bytes, from the start of the
/// text given to the parser) where the problem was found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}")]
pub struct UriError {
    kind: UriErrorKind,
    offset: usize,
}

impl UriError {
    pub(crate) fn new(kind: UriErrorKind, offset: usize) -> Self {
        Self { kind, offset }
    }
    /// What is wrong.
    pub fn kind(&self) -> &UriErrorKind {
        &self.kind
    }
    /// Byte offset of the problem in the parsed text.
    pub fn offset(&self) -> usize {
        self.offset
    }
    /// The same error with its offset moved by `by` bytes.
    pub(crate) fn shifted(mut self, by: usize) -> Self {
        self.offset += by;
        self
    }
}

/// An MSRP URI: `msrp[s]://[user@]host[:port][/session-id];transport[;params]`.
///
/// The exact text is kept (see [`as_str`](Self::as_str)); equality and
/// hashing follow RFC 4975 §6.1 (see the [`PartialEq`] impl).
///
/// ```
/// use msrp_proto::MsrpUri;
/// use msrp_proto::uri::Host;
///
/// let uri: MsrpUri = "msrp://bob@biloxi.example.com:12763/kjhd37s2s20w2a;tcp".parse()?;
/// assert_eq!(uri.host(), Host::Domain("biloxi.example.com"));
/// assert_eq!(uri.port(), Some(12763));
/// assert_eq!(uri.session_id(), Some("kjhd37s2s20w2a"));
/// // The user part is ignored; host and transport are compared ignoring case.
/// assert_eq!(uri, "MSRP://Biloxi.Example.COM:12763/kjhd37s2s20w2a;TCP".parse()?);
/// # Ok::<(), msrp_proto::uri::UriError>(())
/// ```
#[derive(Clone)]
pub struct MsrpUri {
    raw: Bytes,
    parts: Parts,
}

impl MsrpUri {
    /// Parses a URI from text (copies it).
    pub fn parse(s: &str) -> Result<Self, UriError> {
        Self::from_shared(Bytes::copy_from_slice(s.as_bytes()))
    }
    /// Parses a URI that is exactly the bytes of `raw`, without copying them.
    pub fn from_shared(raw: Bytes) -> Result<Self, UriError> {
        let parts = parse_parts(&raw)?;
        Ok(Self { raw, parts })
    }
    /// Starts building a URI for `host`: a name, an IPv4 address, or an IPv6
    /// address with or without brackets. See [`MsrpUriBuilder`].
    pub fn builder(host: &str) -> MsrpUriBuilder {
        MsrpUriBuilder::new(host)
    }
    /// The URI as text, exactly as parsed.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.raw).unwrap_or("")
    }
    /// The scheme.
    pub fn scheme(&self) -> Scheme {
        self.parts.scheme
    }
    /// Whether the scheme is `msrps` (TLS).
    pub fn is_secure(&self) -> bool {
        self.parts.scheme == Scheme::Msrps
    }
    /// The user part before `@`, if any, as written (still percent-encoded).
    pub fn userinfo(&self) -> Option<&str> {
        self.parts.userinfo.map(|s| self.text(s.range()))
    }
    /// The session id, if any.
    pub fn session_id(&self) -> Option<&str> {
        self.parts.session_id.map(|s| self.text(s.range()))
    }
    /// The host as written, with brackets around an IPv6 address.
    pub fn host_str(&self) -> &str {
        self.text(self.parts.host.range())
    }
    /// The host.
    pub fn host(&self) -> Host<'_> {
        match self.parts.ip {
            Some(IpAddr::V4(ip)) => Host::Ipv4(ip),
            Some(IpAddr::V6(ip)) => Host::Ipv6(ip),
            None => Host::Domain(self.host_str()),
        }
    }
    /// The port, if any.
    pub fn port(&self) -> Option<u16> {
        self.parts.port
    }
    /// The transport parameter.
    pub fn transport(&self) -> &str {
        self.text(self.parts.transport.range())
    }
    /// The URI parameters after the transport, in order, as `(name, value)`.
    pub fn params(&self) -> impl Iterator<Item = (&str, Option<&str>)> {
        let rest = self.text(self.parts.transport.range().end..self.raw.len());
        rest.split(';').skip(1).map(|p| match p.split_once('=') {
            Some((name, value)) => (name, Some(value)),
            None => (p, None),
        })
    }
    /// The first parameter named `name` (ignoring ASCII case): `None` when
    /// absent, `Some(None)` when present without a value.
    pub fn param(&self, name: &str) -> Option<Option<&str>> {
        self.params()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }
    /// The same URI with its port set to `port` (added if it had none), for
    /// an endpoint that learns its real port after binding port 0.
    pub fn with_port(&self, port: u16) -> Self {
        let head = self.text(0..self.parts.host.range().end);
        let tail = self.text(self.authority_end()..self.raw.len());
        // A valid URI with a new decimal port is still valid, so this only
        // fails if the text outgrew u32 offsets; keep the URI unchanged then.
        Self::parse(&format!("{head}:{port}{tail}")).unwrap_or_else(|_| self.clone())
    }
    /// The same URI with its session id set to `id` (added if it had none).
    /// Fails if `id` is not a valid session id; the error offset is then
    /// relative to the new URI text.
    pub fn with_session_id(&self, id: &str) -> Result<Self, UriError> {
        let head = self.text(0..self.authority_end());
        let tail = self.text(self.transport_start()..self.raw.len());
        Self::parse(&format!("{head}/{id}{tail}"))
    }

    fn text(&self, r: Range<usize>) -> &str {
        self.raw
            .get(r)
            .and_then(|b| std::str::from_utf8(b).ok())
            .unwrap_or("")
    }
    /// Offset of the `;` before the transport.
    fn transport_start(&self) -> usize {
        self.parts.transport.range().start.saturating_sub(1)
    }
    /// Offset just past the port, or past the host when there is no port.
    fn authority_end(&self) -> usize {
        match self.parts.session_id {
            Some(s) => s.range().start.saturating_sub(1),
            None => self.transport_start(),
        }
    }
    fn same_host(&self, other: &Self) -> bool {
        match (self.parts.ip, other.parts.ip) {
            (Some(a), Some(b)) => a == b,
            (None, None) => self.host_str().eq_ignore_ascii_case(other.host_str()),
            _ => false,
        }
    }
}

impl FromStr for MsrpUri {
    type Err = UriError;
    fn from_str(s: &str) -> Result<Self, UriError> {
        Self::parse(s)
    }
}

impl fmt::Display for MsrpUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for MsrpUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MsrpUri({})", self.as_str())
    }
}

/// RFC 4975 §6.1: scheme and host compare ignoring case, ports compare as
/// given (an explicit 2855 differs from no port), session ids compare exactly,
/// the transport ignoring case; the user part and other parameters are
/// ignored. Two IP-literal hosts compare as addresses, so `[::1]` equals
/// `[0:0::1]`; an IPv4 address never equals an IPv6 one.
impl PartialEq for MsrpUri {
    fn eq(&self, other: &Self) -> bool {
        // Identical text means identical components. Peers echo URIs byte for
        // byte, so this settles nearly every comparison of session matching
        // without looking at the parts.
        if self.raw == other.raw {
            return true;
        }
        self.parts.scheme == other.parts.scheme
            && self.same_host(other)
            && self.parts.port == other.parts.port
            && self.session_id() == other.session_id()
            && self.transport().eq_ignore_ascii_case(other.transport())
    }
}
impl Eq for MsrpUri {}

/// Hashes exactly what [`PartialEq`] compares, case-folded the same way.
impl Hash for MsrpUri {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.parts.scheme.hash(state);
        match self.parts.ip {
            Some(ip) => ip.hash(state),
            None => hash_ignoring_case(self.host_str(), state),
        }
        self.parts.port.hash(state);
        self.session_id().hash(state);
        hash_ignoring_case(self.transport(), state);
    }
}

fn hash_ignoring_case<H: Hasher>(s: &str, state: &mut H) {
    for b in s.bytes() {
        state.write_u8(b.to_ascii_lowercase());
    }
    // The length keeps adjacent fields from running into each other.
    state.write_usize(s.len());
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use std::hash::BuildHasher;

    fn uri(s: &str) -> MsrpUri {
        MsrpUri::parse(s).unwrap_or_else(|e| panic!("{s}: {e} at {}", e.offset()))
    }

    /// Every component in one line, `-` for an absent one:
    /// `scheme userinfo host port session-id transport`.
    fn components(u: &MsrpUri) -> String {
        let port = u.port().map(|p| p.to_string());
        format!(
            "{} {} {} {} {} {}",
            u.scheme(),
            u.userinfo().unwrap_or("-"),
            u.host_str(),
            port.as_deref().unwrap_or("-"),
            u.session_id().unwrap_or("-"),
            u.transport(),
        )
    }

    const VALID: &[(&str, &str)] = &[
        (
            "msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp",
            "msrp - biloxi.example.com 12763 kjhd37s2s20w2a tcp",
        ),
        (
            "msrps://alice@intra.example.com;tcp",
            "msrps alice intra.example.com - - tcp",
        ),
        (
            "msrp://[2001:db8::1]:2855/abc;tcp",
            "msrp - [2001:db8::1] 2855 abc tcp",
        ),
        (
            "MSRP://Host.Example.COM:1/x;TCP",
            "msrp - Host.Example.COM 1 x TCP",
        ),
        (
            "msrp://10.0.0.1:2855/iau39/+a=;tcp;foo=bar;baz",
            "msrp - 10.0.0.1 2855 iau39/+a= tcp",
        ),
        ("msrp://h:2855/s;ws", "msrp - h 2855 s ws"),
        (
            "msrp://a%20b;c:d@h:0/a/b+c==;tcp",
            "msrp a%20b;c:d h 0 a/b+c== tcp",
        ),
        (
            "msrps://@h-1.x_y~z:65535;tcp",
            "msrps  h-1.x_y~z 65535 - tcp",
        ),
    ];

    #[test]
    fn valid_uris_parse_into_components() {
        for &(s, expected) in VALID {
            assert_eq!(components(&uri(s)), expected, "{s}");
        }
        assert!(uri("MSRPS://h;tcp").is_secure());
        assert!(!uri("msrp://h;tcp").is_secure());
    }

    #[test]
    fn display_and_as_str_give_back_the_exact_text() {
        for &(s, _) in VALID {
            assert_eq!(uri(s).to_string(), s);
            assert_eq!(
                s.parse::<MsrpUri>().map(|u| u.as_str().to_owned()),
                Ok(s.to_owned())
            );
        }
        assert_eq!(
            format!("{:?}", uri("msrp://h;tcp")),
            "MsrpUri(msrp://h;tcp)"
        );
    }

    #[test]
    fn from_shared_does_not_copy() {
        let block = Bytes::from_static(b"To-Path: msrp://h:1/s;tcp\r\n");
        let slice = block.slice(9..25);
        let u = MsrpUri::from_shared(slice.clone()).unwrap();
        assert_eq!(u.as_str().as_ptr(), slice.as_ptr());
        assert_eq!(
            u.session_id().map(str::as_ptr),
            slice.get(11..).map(<[u8]>::as_ptr)
        );
    }

    #[test]
    fn host_kinds() {
        assert_eq!(
            uri("msrp://Bob.EXAMPLE;tcp").host(),
            Host::Domain("Bob.EXAMPLE")
        );
        assert_eq!(
            uri("msrp://10.1.2.3;tcp").host(),
            Host::Ipv4(Ipv4Addr::new(10, 1, 2, 3))
        );
        assert_eq!(
            uri("msrp://[::1];tcp").host(),
            Host::Ipv6(Ipv6Addr::LOCALHOST)
        );
        // Syntactically a reg-name, not an address.
        assert_eq!(
            uri("msrp://999.1.1.1;tcp").host(),
            Host::Domain("999.1.1.1")
        );
    }

    #[test]
    fn params_exclude_the_transport() {
        let u = uri("msrp://h/s;tcp;foo=bar;baz;Q=1");
        let params: Vec<_> = u.params().collect();
        assert_eq!(
            params,
            [("foo", Some("bar")), ("baz", None), ("Q", Some("1"))]
        );
        assert_eq!(u.param("FOO"), Some(Some("bar")));
        assert_eq!(u.param("baz"), Some(None));
        assert_eq!(u.param("tcp"), None);
        assert_eq!(uri("msrp://h;tcp").params().count(), 0);
    }

    /// One or two rows per RFC 4975 §6.1 rule: (a, b, equal).
    const EQUALITY: &[(&str, &str, bool)] = &[
        // Scheme compares ignoring case, but msrp and msrps differ.
        ("MSRP://h/s;tcp", "msrp://h/s;tcp", true),
        ("msrps://h/s;tcp", "msrp://h/s;tcp", false),
        // Host compares ignoring ASCII case.
        ("msrp://EXAMPLE.com/s;tcp", "msrp://example.COM/s;tcp", true),
        ("msrp://a.com/s;tcp", "msrp://b.com/s;tcp", false),
        // IP literals compare as addresses.
        ("msrp://[::1]/s;tcp", "msrp://[0:0::1]/s;tcp", true),
        (
            "msrp://[2001:DB8::1]/s;tcp",
            "msrp://[2001:db8:0::1]/s;tcp",
            true,
        ),
        (
            "msrp://[::ffff:10.0.0.1]/s;tcp",
            "msrp://10.0.0.1/s;tcp",
            false,
        ),
        // Port compares as Option<u16>: explicit 2855 is not the same as none.
        ("msrp://h:2855/s;tcp", "msrp://h/s;tcp", false),
        ("msrp://h:2855/s;tcp", "msrp://h:02855/s;tcp", true),
        ("msrp://h:1/s;tcp", "msrp://h:2/s;tcp", false),
        // Session id compares exactly; absent equals only absent.
        ("msrp://h/abc;tcp", "msrp://h/ABC;tcp", false),
        ("msrp://h/abc;tcp", "msrp://h;tcp", false),
        ("msrp://h;tcp", "msrp://h;tcp", true),
        // Transport compares ignoring case.
        ("msrp://h/s;TCP", "msrp://h/s;tcp", true),
        ("msrp://h/s;ws", "msrp://h/s;tcp", false),
        // Userinfo and other parameters are ignored.
        ("msrp://alice@h/s;tcp", "msrp://bob@h/s;tcp", true),
        ("msrp://h/s;tcp;a=1", "msrp://h/s;tcp;b", true),
    ];

    #[test]
    fn equality_follows_rfc4975_section_6_1() {
        let hasher = std::hash::RandomState::new();
        for &(a, b, equal) in EQUALITY {
            let (a, b) = (uri(a), uri(b));
            assert_eq!(a == b, equal, "{a} vs {b}");
            assert_eq!(b == a, equal, "{b} vs {a}");
            if equal {
                assert_eq!(hasher.hash_one(&a), hasher.hash_one(&b), "{a} vs {b}");
            }
        }
    }

    #[test]
    fn hash_set_merges_equal_uris() {
        let set: HashSet<MsrpUri> = [
            "msrp://Alice@H.example:7/s;TCP",
            "msrp://h.EXAMPLE:7/s;tcp;x=y",
            "msrp://[::1]:7/s;tcp",
            "msrp://[0::1]:7/s;tcp",
            "msrp://h.example/s;tcp",
            "msrp://h.example:7/S;tcp",
        ]
        .into_iter()
        .map(uri)
        .collect();
        assert_eq!(set.len(), 4);
        assert!(set.contains(&uri("msrp://H.EXAMPLE:7/s;Tcp")));
        assert!(!set.contains(&uri("msrps://h.example:7/s;tcp")));
    }

    #[test]
    fn with_port_and_with_session_id_replace_one_component() {
        let u = uri("msrp://alice@h:0/s;tcp;x");
        let text = |r: Result<MsrpUri, UriError>| r.map(|u| u.to_string());
        assert_eq!(u.with_port(40123).as_str(), "msrp://alice@h:40123/s;tcp;x");
        assert_eq!(uri("msrp://h;tcp").with_port(1).as_str(), "msrp://h:1;tcp");
        assert_eq!(
            uri("msrp://[::1]/s;tcp").with_port(9).as_str(),
            "msrp://[::1]:9/s;tcp"
        );
        assert_eq!(
            text(u.with_session_id("t/u=")),
            Ok("msrp://alice@h:0/t/u=;tcp;x".into())
        );
        assert_eq!(
            text(uri("msrp://h:5;tcp").with_session_id("n")),
            Ok("msrp://h:5/n;tcp".into())
        );
        let err = u.with_session_id("").unwrap_err();
        assert_eq!(err.kind(), &UriErrorKind::EmptySessionId);
    }

    #[test]
    fn builder_output_round_trips_for_every_valid_example() {
        for &(s, _) in VALID {
            let u = uri(s);
            let mut b = MsrpUri::builder(u.host_str())
                .secure(u.is_secure())
                .transport(u.transport());
            if let Some(user) = u.userinfo() {
                b = b.user(user);
            }
            if let Some(port) = u.port() {
                b = b.port(port);
            }
            if let Some(id) = u.session_id() {
                b = b.session_id(id);
            }
            for (name, value) in u.params() {
                b = b.param(name, value);
            }
            let built = b.build().unwrap();
            assert_eq!(built, u, "{s}");
            assert!(built.params().eq(u.params()), "{s}");
            assert_eq!(built.userinfo(), u.userinfo(), "{s}");
        }
    }

    #[test]
    fn error_text_names_the_expectation_without_an_offset() {
        let err = MsrpUri::parse("msrp://h:1/s").unwrap_err();
        assert_eq!(
            err.to_string(),
            "expected `;tcp` or another transport after the authority and session id"
        );
        assert_eq!(err.clone().shifted(5).offset(), err.offset() + 5);
        assert_eq!(Scheme::Msrp.to_string(), "msrp");
        assert_eq!(Scheme::Msrps.as_str(), "msrps");
    }
}
