//! [`MsrpMedia`]: one MSRP media description, typed; `read` types the
//! attributes of a parsed section, `write` turns them back into `a=` lines.

mod read;
mod write;

use super::document::{FirstLine, parse_raw};
use super::file_attrs::{FileDate, FileRange};
use super::file_selector::FileSelector;
use super::media_range::MediaRange;
use super::{Direction, Limits, Protocol, RfbSetup, SdpError, Setup};
use msrp_proto::{MsrpUri, Path};
use sdp_types::{Attribute, Bandwidth, Connection, Key, Media};
use std::fmt;

/// The RFC 5547 file-transfer attributes of a media description, plus
/// sipsimple's private `a=x-file-offset`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileAttributes {
    /// `a=file-selector`; `Some` of an empty selector is the bare
    /// attribute, a capability indication (RFC 5547 §8.5).
    pub selector: Option<FileSelector>,
    /// `a=file-transfer-id` (RFC 5547 §8.1): new for each transfer, copied
    /// by the answer.
    pub transfer_id: Option<String>,
    /// `a=file-disposition`: `render` (the default when absent) or
    /// `attachment` (RFC 5547 §7).
    pub disposition: Option<String>,
    /// `a=file-date`.
    pub date: Option<FileDate>,
    /// `a=file-icon`: a `cid:` URL naming a body part of the signalling
    /// message (RFC 5547 §8.8).
    pub icon: Option<String>,
    /// `a=file-range`; absent means the whole file.
    pub range: Option<FileRange>,
    /// sipsimple's `a=x-file-offset`: the peer understands its private
    /// `FILE_OFFSET` method. Read and kept; the offer and answer helpers
    /// never write it.
    pub x_file_offset: bool,
}

/// Where an attribute sat in the section it was read from, so that
/// rendering keeps the original order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Path,
    AcceptTypes,
    AcceptWrappedTypes,
    MaxSize,
    Setup,
    MsrpCema,
    Direction,
    Chatroom(usize),
    RfbSetup,
    FileSelector,
    FileTransferId,
    FileDisposition,
    FileDate,
    FileIcon,
    FileRange,
    XFileOffset,
    Other(usize),
}

/// The order of attributes that were not read from text (set by a builder
/// or by hand): RFC 4975/5547 example order, then the extensions.
const CANONICAL: [Slot; 15] = [
    Slot::Direction,
    Slot::AcceptTypes,
    Slot::AcceptWrappedTypes,
    Slot::MaxSize,
    Slot::Path,
    Slot::Setup,
    Slot::MsrpCema,
    Slot::RfbSetup,
    Slot::FileSelector,
    Slot::FileTransferId,
    Slot::FileDisposition,
    Slot::FileDate,
    Slot::FileIcon,
    Slot::FileRange,
    Slot::XFileOffset,
];

/// One MSRP media description (`m=message <port> TCP/MSRP *` and its
/// lines), with the MSRP attributes typed.
///
/// Fields are public; the order in which attributes were read is kept
/// privately, so rendering a parsed section writes the attributes in their
/// original order, unknown ones included. Attributes set by hand that were
/// not in the text are written after them, in RFC example order.
///
/// Rendering is canonical: `CRLF` line ends, known attribute names in lower
/// case, `a=name:value` without blanks around the value, single spaces in
/// lists, names percent-encoded and hashes in upper case in
/// `a=file-selector`, selectors in the order name, type, size, hash, and
/// `a=file-date` parameters in the order creation, modification, read. Text
/// already in that form renders byte for byte as read. Equality compares the
/// kept attribute order too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MsrpMedia {
    /// The `m=` media: `message`, or `application` for sipsimple's desktop
    /// sharing.
    pub media: String,
    /// The `m=` port; 0 rejects or disables the stream.
    pub port: u16,
    /// `m=<port>/<count>`, kept when present.
    pub num_ports: Option<u16>,
    /// The `m=` protocol.
    pub protocol: Protocol,
    /// The `m=` format list: `*` for MSRP (RFC 4975 §8.1).
    pub formats: String,
    /// `i=`: the media title (RFC 5547's examples describe the file here).
    pub title: Option<String>,
    /// The media-level `c=` line. An SDP may give it at session level
    /// instead, see [`SdpDocument::resolved_msrp`](super::SdpDocument::resolved_msrp).
    pub connection: Option<Connection>,
    /// `b=` lines, kept.
    pub bandwidths: Vec<Bandwidth>,
    /// `k=` line, kept.
    pub key: Option<Key>,
    /// `a=path`: relays first, the SDP author's own URI last (RFC 4975 §8.2,
    /// RFC 4976).
    pub path: Option<Path>,
    /// `a=accept-types`: what the SDP author accepts (RFC 4975 §8.6).
    pub accept_types: Option<Vec<MediaRange>>,
    /// `a=accept-wrapped-types`: what it accepts inside a wrapper only.
    pub accept_wrapped_types: Option<Vec<MediaRange>>,
    /// `a=max-size`: the largest message it wants, in octets (a hint).
    pub max_size: Option<u64>,
    /// `a=setup` (RFC 6135).
    pub setup: Option<Setup>,
    /// `a=msrp-cema` (RFC 6714).
    pub msrp_cema: bool,
    /// The direction attribute; absent means sendrecv.
    pub direction: Option<Direction>,
    /// The `a=chatroom` lines (RFC 7701 §8; sipsimple and SylkServer), one
    /// entry per line, each the line's space-separated tokens; an empty
    /// entry is a bare `a=chatroom` (support without nicknames or private
    /// messages).
    pub chatroom: Vec<Vec<String>>,
    /// sipsimple's `a=rfbsetup` (desktop sharing).
    pub rfbsetup: Option<RfbSetup>,
    /// The RFC 5547 file-transfer attributes.
    pub file: FileAttributes,
    /// Attributes this crate does not know, in order, as read.
    pub other_attributes: Vec<Attribute>,
    layout: Vec<Slot>,
}

impl MsrpMedia {
    /// A media description with no attributes: `m=<media> <port>
    /// <protocol> *`. The offer and answer helpers in [`super`] fill in the
    /// rest.
    pub fn new(media: impl Into<String>, port: u16, protocol: Protocol) -> Self {
        Self {
            media: media.into(),
            port,
            num_ports: None,
            protocol,
            formats: "*".to_owned(),
            title: None,
            connection: None,
            bandwidths: Vec::new(),
            key: None,
            path: None,
            accept_types: None,
            accept_wrapped_types: None,
            max_size: None,
            setup: None,
            msrp_cema: false,
            direction: None,
            chatroom: Vec::new(),
            rfbsetup: None,
            file: FileAttributes::default(),
            other_attributes: Vec::new(),
            layout: Vec::new(),
        }
    }

    /// Reads one media section: an `m=` line and the lines after it, with
    /// nothing before it (`CRLF` or `LF` line ends). Uses the default
    /// [`Limits`].
    ///
    /// ```
    /// use msrp_chat::sdp::{MsrpMedia, Protocol};
    ///
    /// let text = "m=message 7654 TCP/MSRP *\r\n\
    ///             a=accept-types:text/plain\r\n\
    ///             a=path:msrp://atlanta.example.com:7654/jshA7weztas;tcp\r\n";
    /// let media = MsrpMedia::parse_section(text)?;
    /// assert_eq!(media.protocol, Protocol::TcpMsrp);
    /// assert_eq!(media.path.as_ref().map(|p| p.last().port()), Some(Some(7654)));
    /// assert_eq!(media.render(), text);
    /// # Ok::<(), msrp_chat::sdp::SdpError>(())
    /// ```
    pub fn parse_section(text: &str) -> Result<Self, SdpError> {
        Self::parse_section_with(text, &Limits::DEFAULT)
    }

    /// [`parse_section`](Self::parse_section) with explicit caps.
    pub fn parse_section_with(text: &str, limits: &Limits) -> Result<Self, SdpError> {
        let (session, first) = parse_raw(text.as_bytes(), limits)?;
        match first {
            FirstLine::Media => {}
            FirstLine::None => return Err(SdpError::NotOneSection { found: 0 }),
            FirstLine::Session => return Err(SdpError::SessionLinesInSection),
        }
        match session.medias.as_slice() {
            [media] => Self::read(media, 0, limits),
            medias => Err(SdpError::NotOneSection {
                found: medias.len(),
            }),
        }
    }

    /// Types an `sdp-types` media description (default [`Limits`]).
    pub fn from_sdp_media(media: &Media) -> Result<Self, SdpError> {
        Self::read(media, 0, &Limits::DEFAULT)
    }

    /// The direction, sendrecv when no direction attribute is present.
    pub fn direction_or_default(&self) -> Direction {
        self.direction.unwrap_or(Direction::SendRecv)
    }

    /// Whether the stream is rejected or disabled (port 0).
    pub fn is_rejected(&self) -> bool {
        self.port == 0
    }

    /// The SDP author's own URI: the last of `a=path`.
    pub fn own_uri(&self) -> Option<&MsrpUri> {
        self.path.as_ref().map(Path::last)
    }

    /// Whether the SDP author uses relays: `a=path` has more than one URI
    /// (RFC 4975 §8.3, RFC 4976).
    pub fn uses_relay(&self) -> bool {
        self.path.as_ref().is_some_and(|p| p.len() > 1)
    }

    /// All `a=chatroom` tokens, line after line, the way sipsimple reads
    /// them (`nickname`, `private-messages`, ...).
    pub fn chatroom_capabilities(&self) -> impl Iterator<Item = &str> {
        self.chatroom.iter().flatten().map(String::as_str)
    }
}

impl fmt::Display for MsrpMedia {
    /// The same text as [`render`](MsrpMedia::render).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render())
    }
}
