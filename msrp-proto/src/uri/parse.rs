//! The MSRP URI parser (RFC 4975 §9, with the RFC 3986 authority).
//!
//! Each step takes the offset where its component starts and returns the
//! offset just past it, having checked that what follows may follow it, so an
//! error points at the first byte that cannot belong where it is.

use super::{Scheme, UriError, UriErrorKind};
use crate::wire::header::quoted::is_token_char;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::ops::Range;

/// Where a component lies in the raw text. `u32` keeps an `MsrpUri` small;
/// parsing refuses text whose offsets would not fit.
#[derive(Debug, Clone, Copy)]
pub(super) struct Span {
    start: u32,
    end: u32,
}

impl Span {
    fn new(r: Range<usize>) -> Self {
        let fit = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Self {
            start: fit(r.start),
            end: fit(r.end),
        }
    }
    pub(super) fn range(self) -> Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// Everything parsing learns about a URI, apart from its text.
#[derive(Debug, Clone, Copy)]
pub(super) struct Parts {
    pub(super) scheme: Scheme,
    pub(super) userinfo: Option<Span>,
    pub(super) host: Span,
    /// The parsed address when the host is an IP literal, so that comparing
    /// and hashing need not parse it again.
    pub(super) ip: Option<IpAddr>,
    pub(super) port: Option<u16>,
    pub(super) session_id: Option<Span>,
    pub(super) transport: Span,
}

/// Parses the whole of `b` as an MSRP URI.
pub(super) fn parse_parts(b: &[u8]) -> Result<Parts, UriError> {
    if let Some(at) = b.iter().position(|c| !c.is_ascii()) {
        return Err(UriError::new(UriErrorKind::NonAscii, at));
    }
    if u32::try_from(b.len()).is_err() {
        let limit = u32::MAX as usize;
        return Err(UriError::new(UriErrorKind::TooLong { limit }, limit));
    }
    let (scheme, p) = parse_scheme(b)?;
    let (userinfo, p) = parse_userinfo(b, p)?;
    let (host, ip, p) = parse_host(b, p)?;
    let (port, p) = parse_port(b, p)?;
    let (session_id, p) = parse_session_id(b, p)?;
    let (transport, p) = parse_transport(b, p)?;
    check_params(b, p)?;
    Ok(Parts {
        scheme,
        userinfo,
        host,
        ip,
        port,
        session_id,
        transport,
    })
}

fn parse_scheme(b: &[u8]) -> Result<(Scheme, usize), UriError> {
    let end = scan(b, 0, |c| {
        c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.')
    });
    let name = b.get(..end).unwrap_or_default();
    let scheme = if name.eq_ignore_ascii_case(b"msrp") {
        Scheme::Msrp
    } else if name.eq_ignore_ascii_case(b"msrps") {
        Scheme::Msrps
    } else {
        return Err(UriError::new(UriErrorKind::UnknownScheme, 0));
    };
    match b.get(end..end + 3) {
        Some(b"://") => Ok((scheme, end + 3)),
        _ => Err(UriError::new(UriErrorKind::MissingSeparator, end)),
    }
}

/// `[userinfo "@"]`: userinfo may hold `;` and `:`, so only an `@` after a
/// run of userinfo characters tells it apart from the host.
fn parse_userinfo(b: &[u8], p: usize) -> Result<(Option<Span>, usize), UriError> {
    let end = scan(b, p, |c| {
        is_unreserved(c) || is_sub_delim(c) || matches!(c, b':' | b'%')
    });
    if b.get(end) != Some(&b'@') {
        return Ok((None, p));
    }
    check_percent(b, p..end)?;
    Ok((Some(Span::new(p..end)), end + 1))
}

fn parse_host(b: &[u8], p: usize) -> Result<(Span, Option<IpAddr>, usize), UriError> {
    let (end, ip) = if b.get(p) == Some(&b'[') {
        let (end, ip) = parse_ipv6_literal(b, p)?;
        (end, Some(IpAddr::V6(ip)))
    } else {
        // `;` is a sub-delim, but in MSRP it ends the host.
        let end = scan(b, p, |c| {
            (is_unreserved(c) || is_sub_delim(c) || c == b'%') && c != b';'
        });
        if end == p {
            return Err(UriError::new(UriErrorKind::EmptyHost, p));
        }
        check_percent(b, p..end)?;
        let ip = ascii(b, p..end).parse::<Ipv4Addr>().ok().map(IpAddr::V4);
        (end, ip)
    };
    match b.get(end) {
        None | Some(b':' | b'/' | b';') => Ok((Span::new(p..end), ip, end)),
        Some(_) => Err(UriError::new(UriErrorKind::HostChar, end)),
    }
}

/// `"[" IPv6address "]"` starting at `p`; returns the offset past `]`.
fn parse_ipv6_literal(b: &[u8], p: usize) -> Result<(usize, Ipv6Addr), UriError> {
    let bad = || UriError::new(UriErrorKind::Ipv6Literal, p);
    let close = scan(b, p + 1, |c| c != b']');
    if b.get(close) != Some(&b']') {
        return Err(bad());
    }
    let ip = ascii(b, p + 1..close).parse().map_err(|_| bad())?;
    Ok((close + 1, ip))
}

fn parse_port(b: &[u8], p: usize) -> Result<(Option<u16>, usize), UriError> {
    if b.get(p) != Some(&b':') {
        return Ok((None, p));
    }
    let start = p + 1;
    let end = scan(b, start, |c| c.is_ascii_digit());
    if end == start {
        return Err(UriError::new(UriErrorKind::Port, start));
    }
    if b.get(end).is_some_and(|c| !matches!(c, b'/' | b';')) {
        return Err(UriError::new(UriErrorKind::Port, end));
    }
    let digits = b.get(start..end).unwrap_or_default();
    let port = digits.iter().try_fold(0u16, |acc, d| {
        acc.checked_mul(10)?.checked_add(u16::from(d - b'0'))
    });
    match port {
        Some(port) => Ok((Some(port), end)),
        None => Err(UriError::new(UriErrorKind::PortRange, start)),
    }
}

fn parse_session_id(b: &[u8], p: usize) -> Result<(Option<Span>, usize), UriError> {
    if b.get(p) != Some(&b'/') {
        return Ok((None, p));
    }
    let start = p + 1;
    let end = scan(b, start, |c| {
        is_unreserved(c) || matches!(c, b'+' | b'=' | b'/')
    });
    match b.get(end) {
        None | Some(b';') if end == start => {
            Err(UriError::new(UriErrorKind::EmptySessionId, start))
        }
        None | Some(b';') => Ok((Some(Span::new(start..end)), end)),
        Some(_) => Err(UriError::new(UriErrorKind::SessionIdChar, end)),
    }
}

fn parse_transport(b: &[u8], p: usize) -> Result<(Span, usize), UriError> {
    if b.get(p) != Some(&b';') {
        return Err(UriError::new(UriErrorKind::MissingTransport, p));
    }
    let start = p + 1;
    let end = scan(b, start, |c| c.is_ascii_alphanumeric());
    match b.get(end) {
        None | Some(b';') if end > start => Ok((Span::new(start..end), end)),
        _ => Err(UriError::new(UriErrorKind::Transport, end)),
    }
}

/// `*( ";" token ["=" token] )` up to the end of the text.
fn check_params(b: &[u8], mut p: usize) -> Result<(), UriError> {
    while p < b.len() {
        let name = p + 1;
        p = scan(b, name, is_token_char);
        if p == name {
            return Err(UriError::new(UriErrorKind::EmptyParam, name));
        }
        if b.get(p) == Some(&b'=') {
            let value = p + 1;
            p = scan(b, value, is_token_char);
            if p == value {
                return Err(UriError::new(UriErrorKind::EmptyParamValue, value));
            }
        }
        match b.get(p) {
            None | Some(b';') => {}
            Some(_) => return Err(UriError::new(UriErrorKind::ParamChar, p)),
        }
    }
    Ok(())
}

/// Rejects a `%` not followed by two hex digits within `r`.
fn check_percent(b: &[u8], r: Range<usize>) -> Result<(), UriError> {
    let s = b.get(r.clone()).unwrap_or_default();
    for (i, _) in s.iter().enumerate().filter(|(_, c)| **c == b'%') {
        let hex = s.get(i + 1..i + 3);
        if !hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
            return Err(UriError::new(UriErrorKind::PercentEncoding, r.start + i));
        }
    }
    Ok(())
}

/// Offset of the first byte at or after `from` that `pred` rejects.
fn scan(b: &[u8], from: usize, pred: impl Fn(u8) -> bool) -> usize {
    let rest = b.get(from..).unwrap_or_default();
    from + rest.iter().position(|&c| !pred(c)).unwrap_or(rest.len())
}

/// `b[r]` as text; parsing has checked that the whole URI is ASCII.
fn ascii(b: &[u8], r: Range<usize>) -> &str {
    b.get(r)
        .and_then(|s| std::str::from_utf8(s).ok())
        .unwrap_or("")
}

fn is_unreserved(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~')
}

fn is_sub_delim(c: u8) -> bool {
    matches!(
        c,
        b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'='
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MsrpUri;
    use UriErrorKind::*;
    use proptest::test_runner::TestCaseError;

    const INVALID: &[(&str, UriErrorKind, usize)] = &[
        ("", UnknownScheme, 0),
        ("sip:alice@example.com", UnknownScheme, 0),
        ("msrpx://h;tcp", UnknownScheme, 0),
        ("msrp:/h;tcp", MissingSeparator, 4),
        ("msrp//h;tcp", MissingSeparator, 4),
        ("msrp://;tcp", EmptyHost, 7),
        ("msrp://u@;tcp", EmptyHost, 9),
        ("msrp://:2855;tcp", EmptyHost, 7),
        ("msrp://[2001:db8::g]:1/s;tcp", Ipv6Literal, 7),
        ("msrp://[::1;tcp", Ipv6Literal, 7),
        ("msrp://[::1]x;tcp", HostChar, 12),
        ("msrp://ho st;tcp", HostChar, 9),
        ("msrp://h%4;tcp", PercentEncoding, 8),
        ("msrp://a%g0@h;tcp", PercentEncoding, 8),
        ("msrp://h:/s;tcp", Port, 9),
        ("msrp://h:http/s;tcp", Port, 9),
        ("msrp://h:12a/s;tcp", Port, 11),
        ("msrp://h:65536/s;tcp", PortRange, 9),
        ("msrp://h:99999999999/s;tcp", PortRange, 9),
        ("msrp://h/;tcp", EmptySessionId, 9),
        ("msrp://h/", EmptySessionId, 9),
        ("msrp://h/a b;tcp", SessionIdChar, 10),
        ("msrp://h/a%20;tcp", SessionIdChar, 10),
        ("msrp://h/a?;tcp", SessionIdChar, 10),
        ("msrp://h", MissingTransport, 8),
        ("msrp://h:1/s", MissingTransport, 12),
        ("msrp://h/s;", Transport, 11),
        ("msrp://h/s;t-p", Transport, 12),
        ("msrp://h/s;tcp;", EmptyParam, 15),
        ("msrp://h/s;tcp;;a", EmptyParam, 15),
        ("msrp://h/s;tcp;=v", EmptyParam, 15),
        ("msrp://h/s;tcp;a=", EmptyParamValue, 17),
        ("msrp://h/s;tcp;a b", ParamChar, 16),
        ("msrp://h/s;tcp;a=b=c", ParamChar, 18),
        ("msrp://h/s;tcp;a@b", ParamChar, 16),
        ("msrp://hé/s;tcp", NonAscii, 8),
        ("msrp://h/s;tcp;x=é", NonAscii, 17),
    ];

    #[test]
    fn invalid_uris_report_kind_and_offset() {
        for (s, kind, offset) in INVALID {
            let err = parse_parts(s.as_bytes()).expect_err(s);
            assert_eq!((err.kind(), err.offset()), (kind, *offset), "{s}");
        }
    }

    #[test]
    fn spans_cover_each_component() {
        let s = b"msrps://u@h:1/id;tcp;p";
        let parts = parse_parts(s).unwrap();
        let text = |span: Option<Span>| span.and_then(|sp| s.get(sp.range()));
        assert_eq!(parts.scheme, Scheme::Msrps);
        assert_eq!(text(parts.userinfo), Some(&b"u"[..]));
        assert_eq!(text(Some(parts.host)), Some(&b"h"[..]));
        assert_eq!(parts.port, Some(1));
        assert_eq!(text(parts.session_id), Some(&b"id"[..]));
        assert_eq!(text(Some(parts.transport)), Some(&b"tcp"[..]));
    }

    proptest::proptest! {
        /// Arbitrary text, and text shaped like a URI: never a panic, and any
        /// URI accepted prints back exactly and survives `with_port`.
        #[test]
        fn any_text_parses_or_errors_without_panic(
            s in "\\PC{0,40}|(msrps?|MSRP)://([a-z%:;]{0,3}@)?(\\[::[0-9a-f:]{0,3}\\]|[a-zA-Z0-9.%-]{0,6})(:[0-9]{0,6})?(/[a-z+=/%? ]{0,4})?;[a-z0-9-]{0,3}(;[a-z=]{0,3}){0,2}"
        ) {
            if let Ok(uri) = MsrpUri::parse(&s) {
                proptest::prop_assert_eq!(uri.as_str(), s.as_str());
                proptest::prop_assert_eq!(uri.with_port(7).port(), Some(7));
            }
        }

        /// Text assembled from valid components always parses back into
        /// exactly those components.
        #[test]
        fn grammatical_uris_parse_into_their_components(
            secure: bool,
            user in proptest::option::of("(%[0-9A-F]{2}|[a-z0-9;:=!~])*"),
            host in "[a-z0-9-]{1,8}(\\.[a-z0-9-]{1,8}){0,2}|\\[::[0-9a-f]{1,4}\\]",
            port: Option<u16>,
            id in proptest::option::of("[a-zA-Z0-9+=/._~-]{1,12}"),
            transport in "[a-zA-Z0-9]{1,5}",
            params in "(;[a-z]{1,3}(=[a-z0-9]{1,3})?){0,3}",
        ) {
            let text = format!(
                "{}://{}{host}{}{};{transport}{params}",
                if secure { "msrps" } else { "msrp" },
                user.as_ref().map(|u| format!("{u}@")).unwrap_or_default(),
                port.map(|p| format!(":{p}")).unwrap_or_default(),
                id.as_ref().map(|id| format!("/{id}")).unwrap_or_default(),
            );
            let uri = MsrpUri::parse(&text)
                .map_err(|e| TestCaseError::fail(format!("{text}: {e} at {}", e.offset())))?;
            proptest::prop_assert_eq!(uri.is_secure(), secure);
            proptest::prop_assert_eq!(uri.userinfo(), user.as_deref());
            proptest::prop_assert_eq!(uri.host_str(), host.as_str());
            proptest::prop_assert_eq!(uri.port(), port);
            proptest::prop_assert_eq!(uri.session_id(), id.as_deref());
            proptest::prop_assert_eq!(uri.transport(), transport.as_str());
            proptest::prop_assert_eq!(uri.as_str(), text.as_str());
        }
    }
}
