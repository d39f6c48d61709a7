//! Errors of the wire layer: what was wrong, at which byte, and whether the
//! framing survived.
//!
//! RFC 4975 §10 answers a malformed request whose framing is intact with an
//! error response (400, 413, …) and carries on; input that breaks the framing
//! leaves no way to find the next chunk, so the connection must close. Every
//! [`ParseError`] says which case it is through [`ParseError::framing_intact`].

use std::fmt;

use crate::path::Path;
use crate::uri::UriError;
use crate::wire::Method;

/// A malformed header value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HeaderError {
    /// Byte-Range is not `start-end/total`.
    #[error("expected `start-end/total`, where end and total are a number or `*`")]
    ByteRangeSyntax,
    /// Byte-Range start is 0; ranges are 1-based.
    #[error("the range start must be at least 1")]
    ByteRangeStartZero,
    /// Byte-Range end lies before start − 1.
    #[error("the range end {end} lies before its start {start}")]
    ByteRangeEndBeforeStart {
        /// First byte of the range.
        start: u64,
        /// Last byte of the range.
        end: u64,
    },
    /// Byte-Range end lies past the total.
    #[error("the range end {end} lies past the total {total}")]
    ByteRangeEndPastTotal {
        /// Last byte of the range.
        end: u64,
        /// Size of the whole message.
        total: u64,
    },
    /// Byte-Range start lies past total + 1.
    #[error("the range start {start} lies past the total {total}")]
    ByteRangeStartPastTotal {
        /// First byte of the range.
        start: u64,
        /// Size of the whole message.
        total: u64,
    },
    /// A number has more than 20 digits or does not fit its type.
    #[error("number too large: at most {max} is allowed")]
    NumberTooLarge {
        /// The largest value accepted.
        max: u64,
    },
    /// A number was expected.
    #[error("expected a decimal number")]
    NotANumber,
    /// Status is not `NNN NNN [comment]`.
    #[error("expected `000 NNN [comment]` (namespace, status code, optional comment)")]
    StatusSyntax,
    /// Success-Report is neither yes nor no.
    #[error("expected `yes` or `no`")]
    SuccessReportValue,
    /// Failure-Report is not yes, no or partial.
    #[error("expected `yes`, `no` or `partial`")]
    FailureReportValue,
    /// Not an `ident` (Message-ID).
    #[error("expected 4 to 32 characters of [A-Za-z0-9.+%=-] starting with a letter or digit")]
    Ident,
    /// Not a media type (Content-Type).
    #[error("expected a media type `type/subtype` with optional `;name=value` parameters")]
    MediaType,
    /// Not a disposition (Content-Disposition).
    #[error("expected a disposition type with optional `;name=value` parameters")]
    Disposition,
    /// Not a digest parameter list (WWW-Authenticate, Authorization, Authentication-Info).
    #[error("expected a comma-separated list of `name=value` digest parameters")]
    DigestParams,
    /// A challenge or credentials header without the `Digest` scheme.
    #[error("expected the `Digest` authentication scheme")]
    DigestScheme,
    /// Not a quoted string (Use-Nickname).
    #[error("expected a quoted string")]
    QuotedString,
    /// A path (To-Path, From-Path, Use-Path) is empty, too long, or holds a
    /// malformed URI.
    #[error("{0}")]
    Path(#[from] UriError),
}

/// What was wrong with the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseErrorKind {
    // ---- Framing broken: the connection must close. ----
    /// The stream does not start a chunk with `MSRP `.
    #[error("expected a chunk starting with \"MSRP \"")]
    NotMsrp,
    /// The transaction id does not follow the `ident` grammar.
    #[error(
        "bad transaction id: expected 4 to 32 characters of [A-Za-z0-9.+%=-] starting with a letter or digit"
    )]
    TransactionId,
    /// The start line is neither `MSRP tid METHOD` nor `MSRP tid NNN [comment]`.
    #[error("bad start line: expected `MSRP <tid> <METHOD>` or `MSRP <tid> <code> [comment]`")]
    StartLine,
    /// The start line is longer than the limit.
    #[error("start line longer than {limit} bytes")]
    StartLineTooLong {
        /// The configured limit.
        limit: usize,
    },
    /// A header line is longer than the limit.
    #[error("header line longer than {limit} bytes")]
    HeaderLineTooLong {
        /// The configured limit.
        limit: usize,
    },
    /// The start line and headers together are longer than the limit.
    #[error("header block longer than {limit} bytes")]
    HeadTooLong {
        /// The configured limit.
        limit: usize,
    },
    /// More header lines than the limit.
    #[error("more than {limit} header lines")]
    TooManyHeaders {
        /// The configured limit.
        limit: usize,
    },
    /// A line ends in a bare LF, or holds a bare CR.
    #[error("line not terminated by CRLF")]
    BareLineEnding,
    /// A header line is not `Name: value`.
    #[error("bad header line: expected `Name: value`")]
    HeaderLine,
    /// A control character or invalid UTF-8 in the start line or a header.
    #[error("control character or invalid UTF-8 in the header block")]
    HeaderCharacter,
    /// A line starting with `-------` that is not this chunk's end-line.
    #[error("bad end-line: expected `-------<tid>` followed by `$`, `+` or `#` and CRLF")]
    EndLine,
    /// The stream ended inside a chunk.
    #[error("stream ended inside a chunk")]
    UnexpectedEof,

    // ---- Framing intact: the chunk is skipped and may be answered. ----
    /// A header value is malformed.
    #[error("bad {name} header: {error}")]
    InvalidHeader {
        /// The header's canonical name.
        name: &'static str,
        /// What is wrong with its value.
        error: HeaderError,
    },
    /// A header that may appear once appears twice.
    #[error("duplicate {name} header")]
    DuplicateHeader {
        /// The header's canonical name.
        name: &'static str,
    },
    /// To-Path or From-Path is missing.
    #[error("missing {name} header")]
    MissingHeader {
        /// The header's canonical name.
        name: &'static str,
    },
    /// The body of a request other than SEND, or of a response, is over the
    /// limit (RFC 4975 §7.1: 10240 bytes).
    #[error("body of a non-SEND chunk longer than {limit} bytes")]
    BodyTooLarge {
        /// The configured limit.
        limit: usize,
    },
    /// A response carries a body; RFC 4975 §9 gives responses none.
    #[error("a response cannot carry a body")]
    ResponseWithBody,
    /// A whole chunk is larger than the limit of the buffered reading mode.
    #[error("chunk body longer than {limit} bytes")]
    ChunkTooLarge {
        /// The configured limit.
        limit: usize,
    },
}

impl ParseErrorKind {
    /// Whether the parser could still find the end of the offending chunk and
    /// go on with the next one.
    pub fn framing_intact(&self) -> bool {
        matches!(
            self,
            Self::InvalidHeader { .. }
                | Self::DuplicateHeader { .. }
                | Self::MissingHeader { .. }
                | Self::BodyTooLarge { .. }
                | Self::ChunkTooLarge { .. }
                | Self::ResponseWithBody
        )
    }

    /// The MSRP status code that answers a request with this defect
    /// (RFC 4975 §10): 413 for oversized bodies, 400 for everything else.
    pub fn status_code(&self) -> u16 {
        match self {
            Self::BodyTooLarge { .. } | Self::ChunkTooLarge { .. } => 413,
            _ => 400,
        }
    }
}

/// What the parser knows about a chunk it rejected with intact framing:
/// enough to answer a request with an error response.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RejectedChunk {
    /// The chunk's transaction id.
    pub transaction_id: String,
    /// The request method, or `None` for a response.
    pub method: Option<Method>,
    /// The To-Path, when it was present and well-formed.
    pub to_path: Option<Path>,
    /// The From-Path, when it was present and well-formed.
    pub from_path: Option<Path>,
}

/// A malformed input: what was wrong, the stream offset of the offending
/// byte, and — when the framing survived — the chunk that was skipped.
///
/// ```
/// use msrp_proto::wire::{Limits, Parser};
/// let mut parser = Parser::new(Limits::default());
/// parser.feed(b"MSRP x SEND\r\n");
/// let err = parser.next().unwrap_err();
/// assert!(!err.framing_intact());
/// assert_eq!(err.offset(), 5);
/// ```
#[derive(Clone, PartialEq, Eq)]
// Boxed: every step of the parser returns a `Result` with this error in
// it, moved a few times per chunk; a pointer keeps those results small
// (benches/parse.rs, small_chunk). Errors are rare enough to allocate.
pub struct ParseError(Box<ErrorData>);

#[derive(Clone, PartialEq, Eq)]
struct ErrorData {
    kind: ParseErrorKind,
    offset: u64,
    rejected: Option<RejectedChunk>,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at byte {})", self.0.kind, self.0.offset)
    }
}

impl fmt::Debug for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ParseError")
            .field("kind", &self.0.kind)
            .field("offset", &self.0.offset)
            .field("rejected", &self.0.rejected)
            .finish()
    }
}

impl std::error::Error for ParseError {}

impl ParseError {
    pub(crate) fn new(kind: ParseErrorKind, offset: u64) -> Self {
        Self(Box::new(ErrorData {
            kind,
            offset,
            rejected: None,
        }))
    }

    pub(crate) fn with_rejected(mut self, rejected: RejectedChunk) -> Self {
        self.0.rejected = Some(rejected);
        self
    }

    /// What was wrong.
    pub fn kind(&self) -> &ParseErrorKind {
        &self.0.kind
    }

    /// Offset in the stream (counting from the first byte ever fed) of the
    /// byte where the problem was found.
    pub fn offset(&self) -> u64 {
        self.0.offset
    }

    /// Whether the parser skipped the offending chunk and can go on; if not,
    /// the connection must close.
    pub fn framing_intact(&self) -> bool {
        self.0.kind.framing_intact()
    }

    /// The MSRP status code with which to answer the offending request
    /// (RFC 4975 §10), when the framing is intact.
    pub fn status_code(&self) -> u16 {
        self.0.kind.status_code()
    }

    /// The chunk that was skipped, when the framing is intact.
    pub fn rejected(&self) -> Option<&RejectedChunk> {
        self.0.rejected.as_ref()
    }
}
