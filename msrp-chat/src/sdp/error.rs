//! The three error types of the SDP layer: reading SDP ([`SdpError`]),
//! building an answer or an offer ([`NegotiationError`]) and deciding who
//! opens the connection ([`ConnectionError`]).

use super::{Direction, Protocol, Setup};
use msrp_proto::uri::UriError;

/// What was wrong with an SDP body or media section read from the network.
///
/// Every message says where (`m= section N` counts every `m=` line of the
/// body from 0), what was found and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SdpError {
    /// The body is over [`Limits::max_body_len`](super::Limits::max_body_len).
    #[error("SDP body of {len} bytes: expected at most {limit} bytes")]
    BodyTooLarge {
        /// The body's length.
        len: usize,
        /// The cap.
        limit: usize,
    },
    /// The body is over [`Limits::max_lines`](super::Limits::max_lines).
    #[error("SDP body of more than {limit} lines: expected at most {limit}")]
    TooManyLines {
        /// The cap.
        limit: usize,
    },
    /// The body is over [`Limits::max_media`](super::Limits::max_media).
    #[error("SDP body with more than {limit} m= sections: expected at most {limit}")]
    TooManyMedia {
        /// The cap.
        limit: usize,
    },
    /// A media section is over
    /// [`Limits::max_attributes`](super::Limits::max_attributes).
    #[error("m= section {media}: more than {limit} a= lines: expected at most {limit}")]
    TooManyAttributes {
        /// The `m=` section, counted from 0.
        media: usize,
        /// The cap.
        limit: usize,
    },
    /// The line structure is broken (reported by `sdp-types`): a line that is
    /// not `x=value`, a missing `v=0`, a malformed `m=` or `c=` line, ...
    #[error("SDP syntax{}: {message}", line.map(|l| format!(" (line {l})")).unwrap_or_default())]
    Syntax {
        /// The line, counted from 1 in the text given, when known.
        line: Option<usize>,
        /// What is wrong.
        message: String,
    },
    /// [`MsrpMedia::parse_section`](super::MsrpMedia::parse_section) was
    /// given no `m=` line or several.
    #[error("expected exactly one m= section, found {found}")]
    NotOneSection {
        /// How many `m=` lines there were.
        found: usize,
    },
    /// [`MsrpMedia::parse_section`](super::MsrpMedia::parse_section) was
    /// given session-level lines before the `m=` line.
    #[error(
        "expected a media section that starts with its m= line, found session-level lines before it"
    )]
    SessionLinesInSection,
    /// The `m=` protocol is not one of MSRP's.
    #[error(
        "m= section {media}: protocol `{proto}`: expected `TCP/MSRP`, `TCP/TLS/MSRP`, `TCP/WS/MSRP` or `TCP/WSS/MSRP`"
    )]
    NotMsrp {
        /// The `m=` section, counted from 0.
        media: usize,
        /// The protocol found.
        proto: String,
    },
    /// More than one `c=` line in one MSRP media section.
    #[error("m= section {media}: more than one c= line: expected at most one")]
    DuplicateConnection {
        /// The `m=` section, counted from 0.
        media: usize,
    },
    /// An attribute that may appear once appears again.
    #[error("m= section {media}: a second a={attribute}: expected it at most once")]
    DuplicateAttribute {
        /// The `m=` section, counted from 0.
        media: usize,
        /// The attribute's name (for the direction attributes, `direction`).
        attribute: String,
    },
    /// An attribute that needs a value has none.
    #[error("m= section {media}: a={attribute} without a value: expected a={attribute}:{expected}")]
    MissingValue {
        /// The `m=` section, counted from 0.
        media: usize,
        /// The attribute's name.
        attribute: &'static str,
        /// What the value should look like.
        expected: &'static str,
    },
    /// A flag attribute (`a=sendonly`, `a=msrp-cema`, ...) has a value.
    #[error("m= section {media}: a={attribute}:{value}: expected a={attribute} without a value")]
    UnexpectedValue {
        /// The `m=` section, counted from 0.
        media: usize,
        /// The attribute's name.
        attribute: &'static str,
        /// The value found.
        value: String,
    },
    /// An `a=path` URI does not parse (or there are too many of them).
    #[error(
        "m= section {media}: a=path:{value}: invalid MSRP URI at character {}: {source}",
        .source.offset() + 1
    )]
    Path {
        /// The `m=` section, counted from 0.
        media: usize,
        /// The path as found (without surrounding blanks).
        value: String,
        /// What `msrp-proto` found wrong; its offset counts from 0 in `value`.
        source: UriError,
    },
    /// An attribute value does not follow its grammar.
    #[error(
        "m= section {media}: a={attribute}:{value}: expected {expected}{}",
        .at.map(|a| format!(" (at character {})", a + 1)).unwrap_or_default()
    )]
    InvalidValue {
        /// The `m=` section, counted from 0.
        media: usize,
        /// The attribute's name.
        attribute: &'static str,
        /// The value found (without surrounding blanks).
        value: String,
        /// What was expected.
        expected: &'static str,
        /// Where in `value` (a byte offset from 0), when known.
        at: Option<usize>,
    },
    /// A list-valued attribute is over
    /// [`Limits::max_list_entries`](super::Limits::max_list_entries).
    #[error(
        "m= section {media}: a={attribute} with more than {limit} entries: expected at most {limit}"
    )]
    TooManyEntries {
        /// The `m=` section, counted from 0.
        media: usize,
        /// The attribute's name.
        attribute: &'static str,
        /// The cap.
        limit: usize,
    },
}

/// Why an offer cannot be answered (or a local offer cannot be built).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NegotiationError {
    /// The offered `m=` media is not the one this stream uses.
    #[error("offered m= media `{found}`: expected `{expected}`")]
    Media {
        /// What this stream uses.
        expected: &'static str,
        /// What was offered.
        found: String,
    },
    /// The offered format list is not `*` (RFC 4975 §8.1).
    #[error("offered m= format list `{found}`: expected `*` (RFC 4975 §8.1)")]
    Formats {
        /// What was offered.
        found: String,
    },
    /// The offered direction does not fit this stream.
    #[error("offered direction {found}: expected {expected}")]
    Direction {
        /// What fits.
        expected: &'static str,
        /// What was offered.
        found: Direction,
    },
    /// A mandatory attribute is missing from the offer.
    #[error("the offer has no a={attribute}: expected one (RFC 4975 §8, RFC 5547 §5)")]
    MissingAttribute {
        /// The attribute's name.
        attribute: &'static str,
    },
    /// None of the offered accept-types is acceptable locally.
    #[error(
        "no offered accept-types entry is acceptable: offered `{offered}`, expected one of `{local}`"
    )]
    NoCommonMediaType {
        /// The offered list.
        offered: String,
        /// The local list.
        local: String,
    },
    /// The offered protocol uses TLS and the local URI does not, or the
    /// other way round.
    #[error("offered protocol {offered}: expected {local}, the protocol of the local URI")]
    TransportMismatch {
        /// What was offered.
        offered: Protocol,
        /// What the local URI uses.
        local: Protocol,
    },
    /// A file offer names no selector that describes the file.
    #[error(
        "a=file-selector with no selector: expected at least one of name:, type:, size: or hash: (RFC 5547 §6)"
    )]
    EmptyFileSelector,
    /// A pull offer (RFC 5547 §8.2.2) was answered without a local file.
    #[error("the offer asks for a file (a=recvonly) but no local file was given to send")]
    MissingLocalFile,
    /// The local file does not match what the pull offer selects.
    #[error(
        "the local file does not match the offered a=file-selector:{offered} (RFC 5547 §8.3.2)"
    )]
    FileMismatch {
        /// The offered selector.
        offered: String,
    },
    /// The offered `a=rfbsetup` names no role this side can take.
    #[error(
        "offered a=rfbsetup:{found}: expected active (the offerer views) or passive (the offerer serves)"
    )]
    RfbSetup {
        /// What was offered.
        found: String,
    },
}

fn shown(setup: &Option<Setup>) -> &'static str {
    setup.map_or("(none)", Setup::as_str)
}

/// Why no side, or both, would open the transport connection.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectionError {
    /// A media description has port 0: the stream was rejected.
    #[error("the {sdp} has m= port 0: the stream is rejected, so no connection is made")]
    Rejected {
        /// `"offer"` or `"answer"`.
        sdp: &'static str,
    },
    /// A media description has no `a=path` (RFC 4975 §8.2 makes it mandatory).
    #[error("the {sdp} has no a=path: expected one (RFC 4975 §8.2)")]
    MissingPath {
        /// `"offer"` or `"answer"`.
        sdp: &'static str,
    },
    /// Both sides would connect and neither would listen.
    #[error(
        "offer a=setup:{} and answer a=setup:{} make both sides active: expected the answer to be passive (RFC 4145 §4.1)",
        shown(.offer), shown(.answer)
    )]
    BothActive {
        /// The offer's `a=setup` (holdconn read as absent).
        offer: Option<Setup>,
        /// The answer's `a=setup` (holdconn read as absent).
        answer: Option<Setup>,
    },
    /// Both sides would listen and neither would connect.
    #[error(
        "offer a=setup:{} and answer a=setup:{} make both sides passive: expected the answer to be active (RFC 4145 §4.1)",
        shown(.offer), shown(.answer)
    )]
    BothPassive {
        /// The offer's `a=setup` (holdconn read as absent).
        offer: Option<Setup>,
        /// The answer's `a=setup` (holdconn read as absent).
        answer: Option<Setup>,
    },
    /// The answer says `actpass`, which only an offer may say.
    #[error(
        "answer a=setup:actpass: expected active or passive, an answer must choose (RFC 4145 §4.1)"
    )]
    ActpassInAnswer,
    /// CEMA was negotiated and this side connects, but the remote media
    /// description has no `c=` address to connect to.
    #[error(
        "a=msrp-cema on both sides but the remote media description has no c= line: expected one (RFC 6714 §4.4)"
    )]
    MissingConnectionAddress,
}
