//! Value parsers shared by the networking subcommands, so that every bad
//! value gets a message naming what is expected (clap adds the flag).

use std::net::SocketAddr;
use std::time::Duration;

use msrp_proto::MsrpUri;
use msrp_proto::ident::IdGenerator;
use msrp_proto::path::{DEFAULT_MAX_URIS, Path};
use msrp_proto::uri::UriError;
use msrp_proto::wire::{FailureReport, MediaType, SuccessReport};

/// What every URI error says is expected.
const URI_SHAPE: &str = "an MSRP URI like msrp://host:port/session;tcp";

/// Explains a URI error with its (1-based) position in the value.
fn uri_error(err: &UriError) -> String {
    format!(
        "expected {URI_SHAPE} ({err}, at character {})",
        err.offset() + 1
    )
}

/// One value of a path flag: a URI, or several separated by spaces (so the
/// first line `msrp listen` and `msrp send` print can be passed as one
/// quoted argument as well as word by word).
pub(crate) fn uris(value: &str) -> Result<Vec<MsrpUri>, String> {
    Path::parse(value, DEFAULT_MAX_URIS)
        .map(Path::into_vec)
        .map_err(|e| uri_error(&e))
}

/// One value of `--to-path`: one or more URIs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Uris(pub(crate) Vec<MsrpUri>);

pub(crate) fn uri_list(value: &str) -> Result<Uris, String> {
    uris(value).map(Uris)
}

/// A value of `--remote-path`: URIs, or `-` to read them from standard input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PathSource {
    /// One line of standard input.
    Stdin,
    /// These URIs.
    Uris(Vec<MsrpUri>),
}

pub(crate) fn path_source(value: &str) -> Result<PathSource, String> {
    if value == "-" {
        return Ok(PathSource::Stdin);
    }
    uris(value).map(PathSource::Uris)
}

/// Joins repeated path values into one path; `-` must stand alone.
pub(crate) fn join_path_sources(values: Vec<PathSource>) -> Result<PathSource, String> {
    let mut all = Vec::new();
    let count = values.len();
    for value in values {
        match value {
            PathSource::Stdin if count == 1 => return Ok(PathSource::Stdin),
            PathSource::Stdin => {
                return Err(
                    "`-` (read the path from standard input) cannot be combined \
                     with URIs"
                        .into(),
                );
            }
            PathSource::Uris(uris) => all.extend(uris),
        }
    }
    if all.len() > DEFAULT_MAX_URIS {
        return Err(format!("more than {DEFAULT_MAX_URIS} URIs in one path"));
    }
    Ok(PathSource::Uris(all))
}

/// Parses a path read from a line of text (standard input).
pub(crate) fn path_line(line: &str) -> Result<Vec<MsrpUri>, String> {
    uris(line.trim())
}

/// `HOST:PORT` to listen on: an IPv4 address, `[IPv6]`, or a name that
/// resolves here; port 0 picks a free port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HostPort {
    /// The host as written (without IPv6 brackets), for the URI.
    pub(crate) host: String,
    pub(crate) port: u16,
}

pub(crate) fn host_port(value: &str) -> Result<HostPort, String> {
    let expected = "expected HOST:PORT such as 127.0.0.1:2855, [::1]:0 or localhost:2855";
    if let Ok(addr) = value.parse::<SocketAddr>() {
        return Ok(HostPort {
            host: addr.ip().to_string(),
            port: addr.port(),
        });
    }
    let Some((host, port)) = value.rsplit_once(':') else {
        return Err(format!("{expected} (no `:PORT`)"));
    };
    let port = port
        .parse::<u16>()
        .map_err(|_| format!("{expected} (`{port}` is not a port number 0-65535)"))?;
    if host.is_empty() || host.contains([':', '[', ']', '/', ';', ' ']) {
        return Err(format!("{expected} (`{host}` is not a host)"));
    }
    Ok(HostPort {
        host: host.to_owned(),
        port,
    })
}

/// A session id for this side's URI (RFC 4975 §9: letters, digits and
/// `-._~+=/`); checked by building a URI with it.
pub(crate) fn session_id(value: &str) -> Result<String, String> {
    MsrpUri::builder("127.0.0.1")
        .session_id(value)
        .build()
        .map(|_| value.to_owned())
        .map_err(|e| format!("expected letters, digits or `-._~+=/` ({e})"))
}

/// A positive number of seconds, fractions allowed.
pub(crate) fn seconds(value: &str) -> Result<Duration, String> {
    match value.parse::<f64>() {
        Ok(s) if s.is_finite() && s > 0.0 && s < 1e9 => Ok(Duration::from_secs_f64(s)),
        _ => Err("expected a positive number of seconds such as 30 or 2.5".into()),
    }
}

/// A number of seconds where 0 means "never" (given as [`Duration::ZERO`]:
/// clap cannot hand out an `Option` from a value parser).
pub(crate) fn seconds_or_never(value: &str) -> Result<Duration, String> {
    if value.trim() == "0" {
        return Ok(Duration::ZERO);
    }
    seconds(value)
        .map_err(|_| "expected a number of seconds such as 60 or 2.5, or 0 for never".into())
}

/// A number of seconds, 0 included (no wait at all).
pub(crate) fn seconds_or_zero(value: &str) -> Result<Duration, String> {
    if value.trim() == "0" {
        return Ok(Duration::ZERO);
    }
    seconds(value).map_err(|_| "expected a number of seconds such as 5 or 2.5, or 0".into())
}

/// A size in bytes, at least 1; `K`, `M`, `G` (powers of 1024) allowed.
pub(crate) fn size(value: &str) -> Result<u64, String> {
    let err = || "expected a number of bytes of at least 1, such as 65536 or 64K".to_owned();
    let (digits, unit) = match value.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => value.split_at(i),
        None => (value, ""),
    };
    let shift = match unit {
        "" => 0,
        "K" | "k" | "KiB" => 10,
        "M" | "m" | "MiB" => 20,
        "G" | "g" | "GiB" => 30,
        _ => return Err(err()),
    };
    let n: u64 = digits.parse().map_err(|_| err())?;
    match n.checked_mul(1 << shift) {
        Some(n) if n > 0 => Ok(n),
        _ => Err(err()),
    }
}

/// A chunk size: [`size`] that fits in memory comfortably.
pub(crate) fn chunk_size(value: &str) -> Result<usize, String> {
    let n = size(value)?;
    if n > 64 << 20 {
        return Err("expected a chunk size of at most 64M".into());
    }
    usize::try_from(n).map_err(|_| "too large".into())
}

/// A Content-Type value (`type/subtype` with optional parameters).
pub(crate) fn content_type(value: &str) -> Result<String, String> {
    MediaType::parse(value)
        .map(|_| value.to_owned())
        .map_err(|e| format!("expected a media type such as application/pdf ({e})"))
}

/// `--success-report yes|no`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum SuccessArg {
    /// Ask the receiver to confirm delivery with a REPORT.
    Yes,
    /// No confirmation REPORT (the RFC 4975 default).
    No,
}

impl From<SuccessArg> for SuccessReport {
    fn from(value: SuccessArg) -> Self {
        match value {
            SuccessArg::Yes => Self::Yes,
            SuccessArg::No => Self::No,
        }
    }
}

/// `--failure-report yes|no|partial`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum FailureArg {
    /// A response to every chunk (the RFC 4975 default).
    Yes,
    /// No responses at all.
    No,
    /// Error responses only.
    Partial,
}

impl From<FailureArg> for FailureReport {
    fn from(value: FailureArg) -> Self {
        match value {
            FailureArg::Yes => Self::Yes,
            FailureArg::No => Self::No,
            FailureArg::Partial => Self::Partial,
        }
    }
}

/// A fresh session id with 80 random bits or more (RFC 4975 §14.1).
pub(crate) fn random_session_id() -> String {
    let mut seed = [0u8; 32];
    // Without OS randomness the id is still unique enough for a CLI run:
    // fall back to the clock and the process id.
    if getrandom::fill(&mut seed).is_err() {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        seed[..16].copy_from_slice(&t.to_le_bytes());
        seed[16..20].copy_from_slice(&std::process::id().to_le_bytes());
    }
    IdGenerator::from_seed(seed).session_id()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_errors_name_the_shape_and_position() {
        let err = uris("msrp:/x").unwrap_err();
        assert!(err.starts_with("expected an MSRP URI like msrp://host:port/session;tcp"));
        assert!(err.ends_with("at character 5)"), "{err}");
    }

    #[test]
    fn paths_take_one_or_several_uris_per_value() {
        let two = uris("msrp://a:1/x;tcp msrp://b:2/y;tcp").unwrap();
        assert_eq!(two.len(), 2);
        let joined = join_path_sources(vec![
            PathSource::Uris(two.clone()),
            path_source("msrp://c/z;tcp").unwrap(),
        ])
        .unwrap();
        assert!(matches!(joined, PathSource::Uris(u) if u.len() == 3));
        assert!(join_path_sources(vec![PathSource::Stdin, PathSource::Uris(two)]).is_err());
    }

    #[test]
    fn host_ports() {
        assert_eq!(host_port("127.0.0.1:0").unwrap().port, 0);
        assert_eq!(host_port("[::1]:2855").unwrap().host, "::1");
        assert_eq!(host_port("localhost:9").unwrap().host, "localhost");
        assert!(host_port("127.0.0.1").is_err());
        assert!(host_port("127.0.0.1:70000").is_err());
    }

    #[test]
    fn sizes() {
        assert_eq!(size("64K").unwrap(), 65536);
        assert_eq!(size("1G").unwrap(), 1 << 30);
        assert_eq!(size("12").unwrap(), 12);
        assert!(size("0").is_err());
        assert!(size("1T").is_err());
        assert!(chunk_size("128M").is_err());
    }

    #[test]
    fn timeouts() {
        assert_eq!(seconds_or_never("0").unwrap(), Duration::ZERO);
        assert_eq!(seconds("2.5").unwrap(), Duration::from_millis(2500));
        assert!(seconds("-1").is_err());
        assert!(seconds("soon").is_err());
    }
}
