//! Writing the typed attributes back as `a=` lines, in the order read.

use super::{CANONICAL, MsrpMedia, Slot};
use crate::sdp::media_range::join;
use sdp_types::{Attribute, Media, Session};

impl MsrpMedia {
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
}
