//! Errors of the CPIM codec: what was wrong, and on which line.

use std::fmt;

/// A malformed value: a header value that does not match its grammar, or an
/// argument to a constructor that cannot be sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValueError {
    /// A header name is not `[Name-prefix "."] Name` (§3.6).
    #[error("`{0}` is not a header name (`[prefix.]name`, letters, digits and !#$%&'*+-^_`|~)")]
    HeaderName(String),
    /// A parameter is not `name=value` with a token, number or quoted string.
    #[error("expected `;name=value` parameters, with a token or a quoted string as value")]
    Parameter,
    /// A parameter the header does not take (only Subject takes one: `lang`).
    #[error("unexpected parameter `{0}`")]
    UnexpectedParameter(String),
    /// Not a language tag (`1*8ALPHA *("-" 1*8alphanum)`).
    #[error("`{0}` is not a language tag")]
    LanguageTag(String),
    /// Something other than a space between the parameters and the value.
    #[error("expected a space before the value")]
    MissingSpace,
    /// A control character (CR and LF included) where none may appear.
    #[error("control character {0:?} in a header value")]
    ControlCharacter(char),
    /// A value starts with white space, which the header syntax would lose.
    #[error("a value cannot start with white space")]
    LeadingWhitespace,
    /// An address is not `[display-name] <URI>` (§4.1).
    #[error("expected `[display name] <URI>`")]
    Address,
    /// A URI without a scheme, or with spaces, controls, `<`, `>` or `"`.
    #[error("`{0}` is not a URI (`scheme:...`)")]
    Uri(String),
    /// A quoted string without its closing quote.
    #[error("unterminated quoted string")]
    UnterminatedString,
    /// A backslash escape other than `\uXXXX \b \t \n \r \" \' \\` (§2.3),
    /// or a `\u` escape that is not a character.
    #[error("invalid escape: expected one of \\uXXXX \\b \\t \\n \\r \\\" \\' \\\\")]
    Escape,
    /// An NS header is not `[prefix SP] <URI>` (§4.6).
    #[error("expected `[prefix] <URI>`")]
    Namespace,
    /// A Require header without header names (§4.7).
    #[error("expected a comma-separated list of header names")]
    Require,
    /// A date and time that RFC 3339 cannot express (a year outside
    /// 0000–9999, an offset with seconds).
    #[error("the date and time cannot be written in RFC 3339 form")]
    DateTime,
    /// A value that must be a `Token` (§3.6), such as an IMDN Message-ID.
    #[error("`{0}` is not a token")]
    Token(String),
    /// A content header name with characters outside printable ASCII or a colon.
    #[error("`{0}` is not a MIME header name")]
    ContentHeaderName(String),
}

/// What was wrong with a CPIM message ([`DecodeError::kind`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeErrorKind {
    /// The message headers end without the blank line that separates them
    /// from the MIME entity.
    #[error("the message headers are not followed by a blank line and a MIME entity")]
    MissingContent,
    /// The MIME entity has no Content-Type header.
    #[error("the MIME entity has no Content-Type header")]
    MissingContentType,
    /// A header line is not UTF-8.
    #[error("a header line is not UTF-8")]
    NotUtf8,
    /// A header line without a colon.
    #[error("expected `name: value`")]
    MissingColon,
    /// A content header line starting with white space before any header.
    #[error("a continuation line without a header before it")]
    OrphanContinuation,
    /// A line longer than [`Limits::max_line`].
    #[error("line longer than {max} bytes")]
    LineTooLong {
        /// The limit.
        max: usize,
    },
    /// More header lines in one block than [`Limits::max_headers`].
    #[error("more than {max} header lines")]
    TooManyHeaders {
        /// The limit.
        max: usize,
    },
    /// A header whose value does not match its grammar.
    #[error("header `{header}`: {error}")]
    Value {
        /// The header name as written.
        header: String,
        /// What was wrong.
        error: ValueError,
    },
}

/// A CPIM message that could not be decoded: what was wrong, on which line
/// and at which byte offset of the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct DecodeError {
    kind: DecodeErrorKind,
    line: usize,
    offset: usize,
}

impl DecodeError {
    pub(crate) fn new(kind: DecodeErrorKind, line: usize, offset: usize) -> Self {
        Self { kind, line, offset }
    }

    /// What was wrong.
    pub fn kind(&self) -> &DecodeErrorKind {
        &self.kind
    }

    /// The line it was found on, counting from 1 (message headers, blank
    /// line and content headers all count).
    pub fn line(&self) -> usize {
        self.line
    }

    /// The byte offset of the start of that line in the input.
    pub fn offset(&self) -> usize {
        self.offset
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {} (byte {}): {}",
            self.line, self.offset, self.kind
        )
    }
}

/// Bounds on what [`Message::decode_with`](super::Message::decode_with)
/// accepts. The body itself is not limited here: the MSRP layer bounds the
/// whole message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Longest header line, in bytes, without its line end.
    pub max_line: usize,
    /// Most header lines in each of the two header blocks (message headers,
    /// content headers).
    pub max_headers: usize,
}

impl Default for Limits {
    /// 4096-byte lines, 64 lines per block.
    fn default() -> Self {
        Self {
            max_line: 4096,
            max_headers: 64,
        }
    }
}
