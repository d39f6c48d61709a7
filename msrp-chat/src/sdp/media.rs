//! [`MsrpMedia`]: one MSRP media description, typed.

use super::document::{FirstLine, parse_raw};
use super::file_attrs::{FileDate, FileRange};
use super::file_selector::FileSelector;
use super::lex::{is_token, trim_sp, words_capped};
use super::media_range::{EXPECTED_MEDIA_RANGES, MediaRange, join};
use super::{Direction, Limits, Protocol, RfbSetup, SdpError, Setup};
use msrp_proto::{MsrpUri, Path};
use sdp_types::{Attribute, Bandwidth, Connection, Key, Media, Session};
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

/// The attribute names this module reads, and the slot each fills.
fn known(name: &str) -> Option<(Slot, &'static str)> {
    const NAMES: [(&str, Slot); 19] = [
        ("path", Slot::Path),
        ("accept-types", Slot::AcceptTypes),
        ("accept-wrapped-types", Slot::AcceptWrappedTypes),
        ("max-size", Slot::MaxSize),
        ("setup", Slot::Setup),
        ("msrp-cema", Slot::MsrpCema),
        ("sendrecv", Slot::Direction),
        ("sendonly", Slot::Direction),
        ("recvonly", Slot::Direction),
        ("inactive", Slot::Direction),
        ("chatroom", Slot::Chatroom(0)),
        ("rfbsetup", Slot::RfbSetup),
        ("file-selector", Slot::FileSelector),
        ("file-transfer-id", Slot::FileTransferId),
        ("file-disposition", Slot::FileDisposition),
        ("file-date", Slot::FileDate),
        ("file-icon", Slot::FileIcon),
        ("file-range", Slot::FileRange),
        ("x-file-offset", Slot::XFileOffset),
    ];
    NAMES
        .into_iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(n, s)| (s, n))
}

const EXPECTED_TOKEN: &str = "a token (letters, digits and !#$%&'*+-.^_`{|}~)";

/// Reads one media section's attributes; `media` is its index for errors.
struct Reader<'l> {
    media: usize,
    limits: &'l Limits,
}

impl Reader<'_> {
    fn value<'a>(
        &self,
        a: &'a Attribute,
        name: &'static str,
        expected: &'static str,
    ) -> Result<&'a str, SdpError> {
        match a.value.as_deref().map(trim_sp) {
            Some(v) if !v.is_empty() => Ok(v),
            _ => Err(SdpError::MissingValue {
                media: self.media,
                attribute: name,
                expected,
            }),
        }
    }

    fn flag(&self, a: &Attribute, name: &'static str) -> Result<(), SdpError> {
        match a.value.as_deref().map(trim_sp) {
            None | Some("") => Ok(()),
            Some(v) => Err(SdpError::UnexpectedValue {
                media: self.media,
                attribute: name,
                value: v.to_owned(),
            }),
        }
    }

    fn invalid(
        &self,
        name: &'static str,
        value: &str,
        expected: &'static str,
        at: Option<usize>,
    ) -> SdpError {
        SdpError::InvalidValue {
            media: self.media,
            attribute: name,
            value: value.to_owned(),
            expected,
            at,
        }
    }

    fn count(&self, name: &'static str, value: &str, escapes: bool) -> Result<(), SdpError> {
        words_capped(value, escapes, self.limits.max_list_entries)
            .map(drop)
            .map_err(|limit| SdpError::TooManyEntries {
                media: self.media,
                attribute: name,
                limit,
            })
    }

    fn ranges(&self, name: &'static str, value: &str) -> Result<Vec<MediaRange>, SdpError> {
        let words = words_capped(value, true, self.limits.max_list_entries).map_err(|limit| {
            SdpError::TooManyEntries {
                media: self.media,
                attribute: name,
                limit,
            }
        })?;
        words
            .iter()
            .map(|w| {
                MediaRange::parse(w.text).map_err(|e| {
                    self.invalid(name, value, EXPECTED_MEDIA_RANGES, Some(w.at + e.at))
                })
            })
            .collect()
    }

    fn number(
        &self,
        name: &'static str,
        value: &str,
        expected: &'static str,
    ) -> Result<u64, SdpError> {
        let digits = value.bytes().all(|b| b.is_ascii_digit());
        digits
            .then(|| value.parse().ok())
            .flatten()
            .ok_or_else(|| self.invalid(name, value, expected, None))
    }

    fn token(&self, name: &'static str, value: &str) -> Result<String, SdpError> {
        if is_token(value) {
            Ok(value.to_owned())
        } else {
            let at = value.find(|c| !super::lex::is_token_char(c));
            Err(self.invalid(name, value, EXPECTED_TOKEN, at))
        }
    }
}

fn duplicate(media: usize, name: &str) -> SdpError {
    SdpError::DuplicateAttribute {
        media,
        attribute: name.to_owned(),
    }
}

/// Sets `slot` once, or reports a duplicate attribute.
fn set_once<T>(slot: &mut Option<T>, value: T, media: usize, name: &str) -> Result<(), SdpError> {
    if slot.is_some() {
        return Err(duplicate(media, name));
    }
    *slot = Some(value);
    Ok(())
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

    /// Types the `index`-th `m=` section of a body; errors name `index`.
    pub(crate) fn read(m: &Media, index: usize, limits: &Limits) -> Result<Self, SdpError> {
        let Some(protocol) = Protocol::parse(&m.proto) else {
            return Err(SdpError::NotMsrp {
                media: index,
                proto: m.proto.clone(),
            });
        };
        if m.connections.len() > 1 {
            return Err(SdpError::DuplicateConnection { media: index });
        }
        if m.attributes.len() > limits.max_attributes {
            return Err(SdpError::TooManyAttributes {
                media: index,
                limit: limits.max_attributes,
            });
        }
        let mut out = Self::new(m.media.clone(), m.port, protocol);
        out.num_ports = m.num_ports;
        out.formats = m.fmt.clone();
        out.title = m.media_title.clone();
        out.connection = m.connections.first().cloned();
        out.bandwidths = m.bandwidths.clone();
        out.key = m.key.clone();
        let r = Reader {
            media: index,
            limits,
        };
        for a in &m.attributes {
            let slot = out.read_attribute(&r, a)?;
            out.layout.push(slot);
        }
        Ok(out)
    }

    fn read_attribute(&mut self, r: &Reader<'_>, a: &Attribute) -> Result<Slot, SdpError> {
        let media = r.media;
        let Some((slot, name)) = known(&a.attribute) else {
            self.other_attributes.push(a.clone());
            return Ok(Slot::Other(self.other_attributes.len() - 1));
        };
        match slot {
            Slot::Path => {
                let v = r.value(a, name, "msrp://host:port/session;tcp [more URIs]")?;
                let path =
                    Path::parse(v, r.limits.max_path_uris).map_err(|source| SdpError::Path {
                        media,
                        value: v.to_owned(),
                        source,
                    })?;
                set_once(&mut self.path, path, media, name)?;
            }
            Slot::AcceptTypes | Slot::AcceptWrappedTypes => {
                let v = r.value(a, name, EXPECTED_MEDIA_RANGES)?;
                let list = r.ranges(name, v)?;
                let target = if slot == Slot::AcceptTypes {
                    &mut self.accept_types
                } else {
                    &mut self.accept_wrapped_types
                };
                set_once(target, list, media, name)?;
            }
            Slot::MaxSize => {
                const EXPECTED: &str = "a size in octets (decimal digits)";
                let v = r.value(a, name, EXPECTED)?;
                let n = r.number(name, v, EXPECTED)?;
                set_once(&mut self.max_size, n, media, name)?;
            }
            Slot::Setup => {
                const EXPECTED: &str = "`active`, `passive`, `actpass` or `holdconn`";
                let v = r.value(a, name, EXPECTED)?;
                let s = Setup::parse(v).ok_or_else(|| r.invalid(name, v, EXPECTED, None))?;
                set_once(&mut self.setup, s, media, name)?;
            }
            Slot::MsrpCema => {
                r.flag(a, name)?;
                if self.msrp_cema {
                    return Err(duplicate(media, name));
                }
                self.msrp_cema = true;
            }
            Slot::Direction => {
                r.flag(a, name)?;
                let d = Direction::parse(name).unwrap_or(Direction::SendRecv);
                set_once(&mut self.direction, d, media, "direction")?;
            }
            Slot::Chatroom(_) => {
                let v = a.value.as_deref().map(trim_sp).unwrap_or("");
                let words = words_capped(v, false, r.limits.max_list_entries).map_err(|limit| {
                    SdpError::TooManyEntries {
                        media,
                        attribute: name,
                        limit,
                    }
                })?;
                let tokens = words
                    .iter()
                    .map(|w| r.token(name, w.text))
                    .collect::<Result<_, _>>()?;
                if self.chatroom.len() == r.limits.max_list_entries {
                    return Err(SdpError::TooManyEntries {
                        media,
                        attribute: name,
                        limit: r.limits.max_list_entries,
                    });
                }
                self.chatroom.push(tokens);
                return Ok(Slot::Chatroom(self.chatroom.len() - 1));
            }
            Slot::RfbSetup => {
                const EXPECTED: &str = "`active` (viewer) or `passive` (server)";
                let v = r.value(a, name, EXPECTED)?;
                let s = RfbSetup::parse(v).ok_or_else(|| r.invalid(name, v, EXPECTED, None))?;
                set_once(&mut self.rfbsetup, s, media, name)?;
            }
            Slot::FileSelector => {
                let v = a.value.as_deref().map(trim_sp).unwrap_or("");
                r.count(name, v, false)?;
                let s = FileSelector::parse(v)
                    .map_err(|e| r.invalid(name, v, e.expected, Some(e.at)))?;
                set_once(&mut self.file.selector, s, media, name)?;
            }
            Slot::FileTransferId | Slot::FileDisposition => {
                let v = r.value(a, name, EXPECTED_TOKEN)?;
                let t = r.token(name, v)?;
                let target = if slot == Slot::FileTransferId {
                    &mut self.file.transfer_id
                } else {
                    &mut self.file.disposition
                };
                set_once(target, t, media, name)?;
            }
            Slot::FileDate => {
                const EXPECTED: &str = "creation:\"date\" modification:\"date\" read:\"date\"";
                let v = r.value(a, name, EXPECTED)?;
                r.count(name, v, false)?;
                let d =
                    FileDate::parse(v).map_err(|e| r.invalid(name, v, e.expected, Some(e.at)))?;
                set_once(&mut self.file.date, d, media, name)?;
            }
            Slot::FileIcon => {
                const EXPECTED: &str = "a `cid:` URL (RFC 2392) without blanks";
                let v = r.value(a, name, EXPECTED)?;
                let cid = v.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("cid:"));
                if !cid || v.len() == 4 || v.contains([' ', '\t']) {
                    return Err(r.invalid(name, v, EXPECTED, None));
                }
                set_once(&mut self.file.icon, v.to_owned(), media, name)?;
            }
            Slot::FileRange => {
                let v = r.value(a, name, "start-stop")?;
                let range =
                    FileRange::parse(v).map_err(|e| r.invalid(name, v, e.expected, Some(e.at)))?;
                set_once(&mut self.file.range, range, media, name)?;
            }
            Slot::XFileOffset => {
                r.flag(a, name)?;
                if self.file.x_file_offset {
                    return Err(duplicate(media, name));
                }
                self.file.x_file_offset = true;
            }
            Slot::Other(_) => {
                // `known` never names this slot; kept as an unknown attribute.
                self.other_attributes.push(a.clone());
                return Ok(Slot::Other(self.other_attributes.len() - 1));
            }
        }
        Ok(slot)
    }

    /// The attribute for a slot, if that field is set.
    fn attribute_for(&self, slot: Slot) -> Option<Attribute> {
        let with = |name: &str, value: String| Some(Attribute::with_value(name, value));
        let flag = |name: &str, set: bool| set.then(|| Attribute::new(name));
        match slot {
            Slot::Path => with("path", self.path.as_ref()?.to_string()),
            Slot::AcceptTypes => with("accept-types", join(self.accept_types.as_deref()?)),
            Slot::AcceptWrappedTypes => with(
                "accept-wrapped-types",
                join(self.accept_wrapped_types.as_deref()?),
            ),
            Slot::MaxSize => with("max-size", self.max_size?.to_string()),
            Slot::Setup => with("setup", self.setup?.to_string()),
            Slot::MsrpCema => flag("msrp-cema", self.msrp_cema),
            Slot::Direction => Some(Attribute::new(self.direction?.as_str())),
            Slot::Chatroom(i) => {
                let tokens = self.chatroom.get(i)?;
                if tokens.is_empty() {
                    Some(Attribute::new("chatroom"))
                } else {
                    with("chatroom", tokens.join(" "))
                }
            }
            Slot::RfbSetup => with("rfbsetup", self.rfbsetup?.to_string()),
            Slot::FileSelector => {
                let s = self.file.selector.as_ref()?;
                if s.is_empty() {
                    Some(Attribute::new("file-selector"))
                } else {
                    with("file-selector", s.to_string())
                }
            }
            Slot::FileTransferId => with("file-transfer-id", self.file.transfer_id.clone()?),
            Slot::FileDisposition => with("file-disposition", self.file.disposition.clone()?),
            Slot::FileDate => with("file-date", self.file.date.as_ref()?.to_string()),
            Slot::FileIcon => with("file-icon", self.file.icon.clone()?),
            Slot::FileRange => with("file-range", self.file.range?.to_string()),
            Slot::XFileOffset => flag("x-file-offset", self.file.x_file_offset),
            Slot::Other(i) => self.other_attributes.get(i).cloned(),
        }
    }

    /// The `a=` lines as they will be written: the kept order first, then
    /// fields set since, in RFC example order, then extra `a=chatroom` lines
    /// and unknown attributes.
    pub fn attributes(&self) -> Vec<Attribute> {
        let mut out = Vec::new();
        let mut chatroom_done = vec![false; self.chatroom.len()];
        let mut other_done = vec![false; self.other_attributes.len()];
        let mut known_done: Vec<Slot> = Vec::new();
        let mut emit = |slot: Slot, out: &mut Vec<Attribute>| {
            let done = match slot {
                Slot::Chatroom(i) => chatroom_done.get_mut(i).map(|d| std::mem::replace(d, true)),
                Slot::Other(i) => other_done.get_mut(i).map(|d| std::mem::replace(d, true)),
                known if known_done.contains(&known) => Some(true),
                known => {
                    known_done.push(known);
                    Some(false)
                }
            };
            if done == Some(false) {
                out.extend(self.attribute_for(slot));
            }
        };
        for slot in &self.layout {
            emit(*slot, &mut out);
        }
        for slot in CANONICAL {
            emit(slot, &mut out);
            if slot == Slot::MsrpCema {
                for i in 0..self.chatroom.len() {
                    emit(Slot::Chatroom(i), &mut out);
                }
            }
        }
        for i in 0..self.other_attributes.len() {
            emit(Slot::Other(i), &mut out);
        }
        out
    }

    /// The `sdp-types` media description, for use in a larger document.
    pub fn to_sdp_media(&self) -> Media {
        Media {
            media: self.media.clone(),
            port: self.port,
            num_ports: self.num_ports,
            proto: self.protocol.as_str().to_owned(),
            fmt: self.formats.clone(),
            media_title: self.title.clone(),
            connections: self.connection.iter().cloned().collect(),
            bandwidths: self.bandwidths.clone(),
            key: self.key.clone(),
            attributes: self.attributes(),
        }
    }

    /// The media section as SDP text: the `m=` line and its lines, `CRLF`
    /// after each.
    pub fn render(&self) -> String {
        let mut session = Session::new(
            sdp_types::Origin::with_ip_addr("0", 0, std::net::Ipv4Addr::UNSPECIFIED),
            "",
        );
        session.medias.push(self.to_sdp_media());
        let text = session.to_string();
        // `sdp-types` writes the session lines first; the media section
        // starts at the first line that is an m= line.
        match text.find("\r\nm=") {
            Some(i) => text[i + 2..].to_owned(),
            None => text,
        }
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
