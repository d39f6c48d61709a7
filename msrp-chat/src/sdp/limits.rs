//! The caps that bound what the parser accepts from the network.

use msrp_proto::path::DEFAULT_MAX_URIS;

/// Caps on an SDP body read from the network. Every cap has a defined
/// answer: [`SdpError`](super::SdpError) names the cap that was hit.
///
/// The defaults are generous for SIP (a whole INVITE over UDP is about
/// 1300 bytes) and keep the work per body small and bounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The largest body, in bytes. Default: 65 536.
    pub max_body_len: usize,
    /// The most lines in a body. Checked before the lines are parsed, so it
    /// also bounds the number of `a=` lines in a document. Default: 1024.
    pub max_lines: usize,
    /// The most `m=` sections in a document. Default: 32.
    pub max_media: usize,
    /// The most `a=` lines in one `m=` section. Default: 128.
    pub max_attributes: usize,
    /// The most URIs in one `a=path`. Default: 16, the same as
    /// [`msrp_proto::path::DEFAULT_MAX_URIS`].
    pub max_path_uris: usize,
    /// The most entries in one list-valued attribute: `a=accept-types`,
    /// `a=accept-wrapped-types`, `a=chatroom`, the selectors of one
    /// `a=file-selector`, the parameters of `a=file-date`. Default: 64.
    pub max_list_entries: usize,
}

impl Limits {
    /// The default caps (see each field).
    pub const DEFAULT: Self = Self {
        max_body_len: 65_536,
        max_lines: 1024,
        max_media: 32,
        max_attributes: 128,
        max_path_uris: DEFAULT_MAX_URIS,
        max_list_entries: 64,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}
