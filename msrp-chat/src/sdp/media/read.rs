//! Typing the `a=` lines of one media section.

use super::{MsrpMedia, Slot};
use crate::sdp::file_attrs::{FileDate, FileRange};
use crate::sdp::file_selector::FileSelector;
use crate::sdp::lex::{is_token, is_token_char, trim_sp, words_capped};
use crate::sdp::media_range::{EXPECTED_MEDIA_RANGES, MediaRange};
use crate::sdp::{Direction, Limits, Protocol, RfbSetup, SdpError, Setup};
use msrp_proto::Path;
use sdp_types::{Attribute, Media};

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
            let at = value.find(|c| !is_token_char(c));
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
}
