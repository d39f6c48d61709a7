//! What the offer and answer helpers need to know about this side:
//! [`LocalEndpoint`] (where it is reachable) and [`Capabilities`] (what it
//! accepts).

use super::media_range::MediaRange;
use super::{MsrpMedia, Protocol, Setup};
use msrp_proto::uri::Host;
use msrp_proto::{MsrpUri, Path};
use sdp_types::{AddrType, Connection, NetType};

/// This side of an MSRP session: its `a=path` and whether the peer can
/// connect to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalEndpoint {
    /// The local `a=path`: the relays the peer goes through first (RFC
    /// 4976: the reverse of the relay's Use-Path), this side's own URI last.
    pub path: Path,
    /// Whether a peer can open a connection to this side: it listens at its
    /// own URI, or it uses a relay (RFC 6135 §4.2.2 counts both as "globally
    /// reachable"). An endpoint behind a NAT without a relay is not.
    pub reachable: bool,
    /// Whether to offer or accept RFC 6714 CEMA (`a=msrp-cema`).
    pub cema: bool,
}

impl LocalEndpoint {
    /// A reachable endpoint without CEMA.
    pub fn new(path: Path) -> Self {
        Self {
            path,
            reachable: true,
            cema: false,
        }
    }

    /// This side's own URI: the last of the path.
    pub fn own_uri(&self) -> &MsrpUri {
        self.path.last()
    }

    /// Whether the path goes through relays.
    pub fn uses_relay(&self) -> bool {
        self.path.len() > 1
    }

    /// The `m=` protocol for the own URI (RFC 4975 §8.1).
    pub fn protocol(&self) -> Protocol {
        Protocol::for_uri(self.own_uri())
    }

    /// What an offer says in `a=setup` (RFC 6135 §4.2.2): `actpass` when the
    /// peer can connect to this side, else `active`; never `passive`.
    pub fn offer_setup(&self) -> Setup {
        if self.reachable {
            Setup::ActPass
        } else {
            Setup::Active
        }
    }

    /// The URI whose host and port go in `c=` and `m=`: the own URI (RFC
    /// 4975 §8.1), or with CEMA and a relay the first relay (RFC 6714 §4.2,
    /// §4.3).
    fn address_uri(&self) -> &MsrpUri {
        if self.cema && self.uses_relay() {
            self.path.first()
        } else {
            self.own_uri()
        }
    }

    /// A media description with `m=`, `c=` and `a=path` filled in (and
    /// `a=msrp-cema` when CEMA is on). The port is the URI's, or 9 (the
    /// discard port RFC 4145 §4.1 suggests for an endpoint that does not
    /// listen) when the URI has none.
    pub(crate) fn media(&self, media: &str) -> MsrpMedia {
        let uri = self.address_uri();
        let mut m = MsrpMedia::new(media, uri.port().unwrap_or(9), self.protocol());
        let (addrtype, address) = match uri.host() {
            Host::Ipv6(ip) => (AddrType::Ip6, ip.to_string()),
            Host::Ipv4(ip) => (AddrType::Ip4, ip.to_string()),
            Host::Domain(name) => (AddrType::Ip4, name.to_owned()),
        };
        m.connection = Some(Connection::new(NetType::In, addrtype, address));
        m.path = Some(self.path.clone());
        m.msrp_cema = self.cema;
        m
    }
}

/// What this side accepts on a stream: the lists that go in its offers and
/// answers and that offers are checked against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capabilities {
    /// `a=accept-types` (RFC 4975 §8.6).
    pub accept_types: Vec<MediaRange>,
    /// `a=accept-wrapped-types`, if any.
    pub accept_wrapped_types: Option<Vec<MediaRange>>,
    /// `a=max-size`, if any.
    pub max_size: Option<u64>,
    /// `a=chatroom` tokens to announce (a conference focus writes
    /// `nickname private-messages ...`), none if empty.
    pub chatroom: Vec<String>,
}

fn ranges(list: &[&str]) -> Vec<MediaRange> {
    list.iter().map(|s| MediaRange::known(s)).collect()
}

impl Capabilities {
    /// sipsimple's `ChatStream`: `message/cpim text/* image/*
    /// application/im-iscomposing+xml`, wrapped `text/* image/*
    /// application/im-iscomposing+xml`.
    pub fn chat() -> Self {
        Self {
            accept_types: ranges(&[
                "message/cpim",
                "text/*",
                "image/*",
                "application/im-iscomposing+xml",
            ]),
            accept_wrapped_types: Some(ranges(&[
                "text/*",
                "image/*",
                "application/im-iscomposing+xml",
            ])),
            max_size: None,
            chatroom: Vec::new(),
        }
    }

    /// sipsimple's `FileTransferStream`: `*`.
    pub fn file_transfer() -> Self {
        Self {
            accept_types: vec![MediaRange::any()],
            accept_wrapped_types: None,
            max_size: None,
            chatroom: Vec::new(),
        }
    }

    /// sipsimple's `ScreenSharingStream`: `application/x-rfb`.
    pub fn desktop_sharing() -> Self {
        Self {
            accept_types: ranges(&["application/x-rfb"]),
            accept_wrapped_types: None,
            max_size: None,
            chatroom: Vec::new(),
        }
    }

    /// Copies the lists into a media description.
    pub(crate) fn apply(&self, m: &mut MsrpMedia) {
        m.accept_types = Some(self.accept_types.clone());
        m.accept_wrapped_types
            .clone_from(&self.accept_wrapped_types);
        m.max_size = self.max_size;
        if !self.chatroom.is_empty() {
            m.chatroom.push(self.chatroom.clone());
        }
    }
}
