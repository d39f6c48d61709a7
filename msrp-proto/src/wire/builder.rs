//! [`HeadBuilder`]: new chunk heads, in the header order of RFC 4975 §9 and
//! validated by the same code that validates received ones.

use std::fmt::Write as _;

use bytes::{BufMut, BytesMut};

use crate::path::Path;
use crate::wire::head::{Line, Span};
use crate::wire::head_parse::{self, HeadParts, PathSource};
use crate::wire::header::wire_rank;
use crate::wire::{
    ByteRange, ChunkHead, FailureReport, HeaderName, Limits, Method, ParseError, ParseErrorKind,
    Status, SuccessReport,
};

/// Builds a [`ChunkHead`]. Start with [`ChunkHead::request`] or
/// [`ChunkHead::response`].
///
/// Headers may be set in any order; [`build`](HeadBuilder::build) writes them
/// in the order of RFC 4975 §9 (To-Path, From-Path, the others, the MIME
/// headers, Content-Type last) and validates the result with the parser's own
/// rules, so a built head is always one the parser accepts.
///
/// ```
/// use msrp_proto::wire::{ChunkHead, Method};
/// let head = ChunkHead::request(Method::Send, "a786hjs2")
///     .content_type("text/plain")
///     .to_path(&"msrp://bob.example.com:8888/9di4eae923wzd;tcp".parse()?)
///     .from_path(&"msrp://alicepc.example.com:7777/iau39soe2843z;tcp".parse()?)
///     .message_id("87652491")
///     .build()?;
/// let names: Vec<&str> = head.headers().map(|(name, _)| name).collect();
/// assert_eq!(names, ["To-Path", "From-Path", "Message-ID", "Content-Type"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct HeadBuilder {
    transaction_id: String,
    line: Line,
    comment: Option<String>,
    headers: Vec<(String, String)>,
}

impl ChunkHead {
    /// Starts building a request head.
    pub fn request(method: Method, transaction_id: impl Into<String>) -> HeadBuilder {
        HeadBuilder {
            transaction_id: transaction_id.into(),
            line: Line::Request(method),
            comment: None,
            headers: Vec::new(),
        }
    }

    /// Starts building a response head: a three-digit status code and an
    /// optional comment (`MSRP <tid> 200 OK`).
    pub fn response(
        code: u16,
        comment: Option<&str>,
        transaction_id: impl Into<String>,
    ) -> HeadBuilder {
        HeadBuilder {
            transaction_id: transaction_id.into(),
            line: Line::Response {
                code,
                comment: None,
            },
            comment: comment.map(str::to_owned),
            headers: Vec::new(),
        }
    }
}

impl HeadBuilder {
    /// Sets a header this crate knows, replacing an earlier value.
    fn set(mut self, name: HeaderName, value: String) -> Self {
        self.headers
            .retain(|(n, _)| !n.eq_ignore_ascii_case(name.as_str()));
        self.headers.push((name.as_str().to_owned(), value));
        self
    }

    /// Sets To-Path.
    pub fn to_path(self, path: &Path) -> Self {
        self.set(HeaderName::ToPath, path.to_string())
    }

    /// Sets From-Path.
    pub fn from_path(self, path: &Path) -> Self {
        self.set(HeaderName::FromPath, path.to_string())
    }

    /// Sets Message-ID.
    pub fn message_id(self, id: &str) -> Self {
        self.set(HeaderName::MessageId, id.to_owned())
    }

    /// Sets Byte-Range.
    pub fn byte_range(self, range: ByteRange) -> Self {
        self.set(HeaderName::ByteRange, range.to_string())
    }

    /// Sets Success-Report.
    pub fn success_report(self, value: SuccessReport) -> Self {
        self.set(HeaderName::SuccessReport, value.as_str().to_owned())
    }

    /// Sets Failure-Report.
    pub fn failure_report(self, value: FailureReport) -> Self {
        self.set(HeaderName::FailureReport, value.as_str().to_owned())
    }

    /// Sets Status (REPORT requests).
    pub fn status(self, status: &Status) -> Self {
        self.set(HeaderName::Status, status.to_string())
    }

    /// Sets Content-Type.
    pub fn content_type(self, media_type: &str) -> Self {
        self.set(HeaderName::ContentType, media_type.to_owned())
    }

    /// Sets Expires, in seconds (RFC 4976).
    pub fn expires(self, seconds: u32) -> Self {
        self.set(HeaderName::Expires, seconds.to_string())
    }

    /// Sets Use-Path (RFC 4976).
    pub fn use_path(self, path: &Path) -> Self {
        self.set(HeaderName::UsePath, path.to_string())
    }

    /// Adds any header, after those already added. Known headers are
    /// validated by [`build`](Self::build) like received ones.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Writes and validates the head with the default [`Limits`].
    pub fn build(self) -> Result<ChunkHead, ParseError> {
        self.build_with_limits(&Limits::default())
    }

    /// Writes and validates the head. Errors are those the parser would
    /// report for the same bytes, with offsets into them.
    pub fn build_with_limits(mut self, limits: &Limits) -> Result<ChunkHead, ParseError> {
        self.headers.sort_by_key(|(name, _)| wire_rank(name));
        let mut raw = BytesMut::with_capacity(
            32 + self
                .headers
                .iter()
                .map(|(n, v)| n.len() + v.len() + 4)
                .sum::<usize>(),
        );
        raw.put_slice(b"MSRP ");
        raw.put_slice(self.transaction_id.as_bytes());
        raw.put_u8(b' ');
        let mut start_line = String::new();
        match &self.line {
            Line::Request(method) => start_line.push_str(method.as_str()),
            Line::Response { code, .. } => {
                let _ = write!(start_line, "{code:03}");
                if let Some(comment) = &self.comment {
                    start_line.push(' ');
                    start_line.push_str(comment);
                }
            }
        }
        raw.put_slice(start_line.as_bytes());
        let start_line_len = raw.len();
        let fault = |kind, pos: usize| ParseError::new(kind, pos as u64);
        if let Some(pos) = head_parse::find_control(&raw) {
            return Err(fault(ParseErrorKind::HeaderCharacter, pos));
        }
        let (transaction_id, line) =
            head_parse::parse_start_line(&raw).map_err(|(kind, pos)| fault(kind, pos))?;
        raw.put_slice(b"\r\n");
        let mut lines = Vec::with_capacity(self.headers.len());
        for (name, value) in &self.headers {
            let start = raw.len();
            raw.put_slice(name.as_bytes());
            raw.put_slice(b": ");
            raw.put_slice(value.as_bytes());
            lines.push(Span::new(start, raw.len()));
            raw.put_slice(b"\r\n");
        }
        if let Some(pos) = lines
            .iter()
            .find_map(|s| head_parse::find_control(&raw[s.range()]).map(|i| s.start as usize + i))
        {
            // A CR or LF in a value would smuggle in another header.
            return Err(fault(ParseErrorKind::HeaderCharacter, pos));
        }
        check_sizes(limits, &raw, start_line_len, &lines)?;
        let raw = raw.freeze();
        let parts = HeadParts {
            transaction_id,
            line,
            headers_start: start_line_len + 2,
            lines: &lines,
            has_body: false,
            plain: false,
            paths: PathSource::Shared(&raw),
        };
        head_parse::assemble(&raw, parts, limits, 0)
    }
}

/// Applies the parser's size limits to a built head.
fn check_sizes(
    limits: &Limits,
    raw: &[u8],
    start_line_len: usize,
    lines: &[Span],
) -> Result<(), ParseError> {
    let kind = if start_line_len > limits.max_start_line {
        Some((
            ParseErrorKind::StartLineTooLong {
                limit: limits.max_start_line,
            },
            limits.max_start_line,
        ))
    } else if lines.len() > limits.max_headers {
        Some((
            ParseErrorKind::TooManyHeaders {
                limit: limits.max_headers,
            },
            0,
        ))
    } else if let Some(long) = lines
        .iter()
        .find(|s| s.range().len() > limits.max_header_line)
    {
        Some((
            ParseErrorKind::HeaderLineTooLong {
                limit: limits.max_header_line,
            },
            long.start as usize + limits.max_header_line,
        ))
    } else if raw.len() > limits.max_head {
        Some((
            ParseErrorKind::HeadTooLong {
                limit: limits.max_head,
            },
            limits.max_head,
        ))
    } else {
        None
    };
    match kind {
        Some((kind, pos)) => Err(ParseError::new(kind, pos as u64)),
        None => Ok(()),
    }
}
