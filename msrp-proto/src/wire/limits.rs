//! Size limits applied while parsing.
//!
//! Every buffer the parser grows is bounded by one of these. The defaults follow
//! what deployed peers accept (see the project's research notes): python
//! msrplib allows 16 KiB lines and 64 header lines, Kamailio relays frames of
//! 4 KiB of headers plus 10 KiB of body, and RFC 4975 §7.1 caps the body of
//! any request other than SEND at 10240 bytes.

/// Size limits applied while parsing. Start from [`Limits::default`] and
/// change the fields you need.
///
/// ```
/// use msrp_proto::wire::Limits;
/// let mut limits = Limits::default();
/// limits.max_chunk = 1 << 20;
/// assert_eq!(limits.max_non_send_body, 10240);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Longest start line, without its CRLF. Default 1024.
    pub max_start_line: usize,
    /// Longest header line, without its CRLF. Default 8192.
    pub max_header_line: usize,
    /// Longest header block: start line and headers with their CRLFs.
    /// Default 16384.
    pub max_head: usize,
    /// Most header lines in one chunk. Default 64.
    pub max_headers: usize,
    /// Most URIs in one To-Path, From-Path or Use-Path. Default 16.
    pub max_path_uris: usize,
    /// Largest body of a request other than SEND, or of a response
    /// (RFC 4975 §7.1). Default 10240. A connection acts on such a request
    /// only once its body has ended within the limit; over it, the request
    /// is answered 413, except a REPORT, which may not be answered
    /// (§7.1.2) and is dropped unread.
    pub max_non_send_body: usize,
    /// Largest body that the whole-chunk reading mode holds in memory
    /// (msrplib's `read_chunk` default). Streaming mode has no such limit.
    /// Default 4 MiB.
    pub max_chunk: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_start_line: 1024,
            max_header_line: 8192,
            max_head: 16384,
            max_headers: 64,
            max_path_uris: 16,
            max_non_send_body: 10240,
            max_chunk: 4 << 20,
        }
    }
}
