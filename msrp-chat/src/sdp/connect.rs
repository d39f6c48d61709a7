//! Who opens the transport connection of an MSRP session, and to where:
//! [`negotiated_role`] and [`connection`], whose documentation holds the
//! decision tables (tests: `tests/sdp_connect.rs`, one per row).

use super::{ConnectionError, MsrpMedia, Setup};
use msrp_proto::MsrpUri;
use std::fmt;

/// Which side of the offer/answer exchange this endpoint is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// It sent the offer.
    Offerer,
    /// It sent the answer.
    Answerer,
}

/// The negotiated COMEDIA role (RFC 6135): the active side sends the first
/// SEND request at once (RFC 4975 §5.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Sends the first request (and opens the connection to the peer unless
    /// it uses a relay).
    Active,
    /// Waits for the peer's first request.
    Passive,
}

/// Where to open the transport connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectTarget {
    /// The first URI of the peer's `a=path`: the peer itself, or the first
    /// relay of its path (RFC 4975 §8.3).
    PeerPath(MsrpUri),
    /// This side's own relay: the URI just before its own in its `a=path`,
    /// the first hop of the relay's Use-Path (RFC 4976).
    OwnRelay(MsrpUri),
    /// The peer's `c=` address and `m=` port, where a middlebox anchors the
    /// media under RFC 6714 CEMA. The URIs of `a=path` still go in To-Path.
    MediaLine {
        /// The `c=` address (an IP address or a name).
        address: String,
        /// The `m=` port.
        port: u16,
    },
}

impl fmt::Display for ConnectTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::PeerPath(uri) | Self::OwnRelay(uri) => fmt::Display::fmt(uri, f),
            Self::MediaLine { address, port } if address.contains(':') => {
                write!(f, "[{address}]:{port}")
            }
            Self::MediaLine { address, port } => write!(f, "{address}:{port}"),
        }
    }
}

/// What this side does about the transport connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Connection {
    /// Open a connection to `target`.
    Connect {
        /// Where to connect.
        target: ConnectTarget,
        /// Whether this side is active and sends the first SEND at once
        /// (RFC 4975 §5.4). False only when connecting to its own relay
        /// while passive (RFC 6135 §4.5 note).
        send_first: bool,
    },
    /// Accept the peer's connection at the own URI and wait for its first
    /// request.
    Listen,
}

/// `holdconn` is read as if there were no `a=setup` (RFC 6135 §4.2.1).
fn effective(setup: Option<Setup>) -> Option<Setup> {
    setup.filter(|s| *s != Setup::HoldConn)
}

/// The role of `side` from the offered and answered `a=setup`.
///
/// `holdconn` counts as absent (RFC 6135 §4.2.1). Absent means `active` in
/// an offer and `passive` in an answer (the RFC 4145 §4.1 defaults), which
/// is RFC 4975's model: the offerer connects (§5.4, §8.5). Who is active:
///
/// | offer \ answer      | absent, `holdconn`  | `active`           | `passive`           | `actpass`                |
/// |---------------------|---------------------|--------------------|---------------------|--------------------------|
/// | absent, `holdconn`  | offerer             | error: both active | offerer             | error: actpass in answer |
/// | `active`            | offerer             | error: both active | offerer             | error: actpass in answer |
/// | `actpass`           | offerer             | answerer           | offerer             | error: actpass in answer |
/// | `passive`           | error: both passive | answerer           | error: both passive | error: actpass in answer |
///
/// An offered `passive` is forbidden by RFC 6135 §4.2.2 but allowed by RFC
/// 4145 §4.1; it is read (sipsimple does the same). An `actpass` answer is
/// never valid (RFC 4145 §4.1).
pub fn negotiated_role(
    side: Side,
    offer: Option<Setup>,
    answer: Option<Setup>,
) -> Result<Role, ConnectionError> {
    let (offer, answer) = (effective(offer), effective(answer));
    // RFC 4145 §4.1: the answer chooses; its default is passive.
    let offerer_active = match answer {
        Some(Setup::ActPass) => return Err(ConnectionError::ActpassInAnswer),
        Some(Setup::Active) => match offer {
            Some(Setup::ActPass | Setup::Passive) => false,
            // The offer's default is active (RFC 4145 §4.1; RFC 4975 §5.4).
            _ => return Err(ConnectionError::BothActive { offer, answer }),
        },
        _ => match offer {
            Some(Setup::Passive) => return Err(ConnectionError::BothPassive { offer, answer }),
            _ => true,
        },
    };
    let active = offerer_active == (side == Side::Offerer);
    Ok(if active { Role::Active } else { Role::Passive })
}

fn address(m: &MsrpMedia) -> Option<String> {
    let c = m.connection.as_ref()?;
    // Drop a multicast `/ttl` suffix; MSRP addresses never have one.
    let a = c.connection_address.split('/').next().unwrap_or("");
    (!a.is_empty()).then(|| a.to_owned())
}

/// What `side` does about the transport connection, given the offer and
/// the answer: first who is active ([`negotiated_role`]), then where the
/// transport goes:
///
/// | this side uses a relay | role    | CEMA on both sides | result |
/// |------------------------|---------|--------------------|--------|
/// | yes                    | any     | any                | connect to the own relay; send the first SEND only if active (RFC 6135 §4.5, RFC 4976 §3) |
/// | no                     | active  | no                 | connect to the first URI of the peer's `a=path` (RFC 4975 §5.4, §8.3) and send at once |
/// | no                     | active  | yes                | connect to the peer's `c=` address and `m=` port (RFC 6714 §4.2, §4.3) and send at once |
/// | no                     | passive | any                | listen (RFC 4975 §5.4) |
///
/// A port-0 (rejected) media description and a missing `a=path` are
/// errors. If the SDP gave `c=` or `a=setup` at session level, pass
/// [`SdpDocument::resolved_msrp`](super::SdpDocument::resolved_msrp).
pub fn connection(
    side: Side,
    offer: &MsrpMedia,
    answer: &MsrpMedia,
) -> Result<Connection, ConnectionError> {
    for (m, sdp) in [(offer, "offer"), (answer, "answer")] {
        if m.is_rejected() {
            return Err(ConnectionError::Rejected { sdp });
        }
        if m.path.is_none() {
            return Err(ConnectionError::MissingPath { sdp });
        }
    }
    let role = negotiated_role(side, offer.setup, answer.setup)?;
    let (local, remote) = match side {
        Side::Offerer => (offer, answer),
        Side::Answerer => (answer, offer),
    };
    let send_first = role == Role::Active;
    if let Some(path) = local.path.as_ref().filter(|p| p.len() > 1) {
        let relay = path.uris()[path.len() - 2].clone();
        return Ok(Connection::Connect {
            target: ConnectTarget::OwnRelay(relay),
            send_first,
        });
    }
    if role == Role::Passive {
        return Ok(Connection::Listen);
    }
    let target = if offer.msrp_cema && answer.msrp_cema {
        let address = address(remote).ok_or(ConnectionError::MissingConnectionAddress)?;
        ConnectTarget::MediaLine {
            address,
            port: remote.port,
        }
    } else {
        let Some(path) = remote.path.as_ref() else {
            return Err(ConnectionError::MissingPath {
                sdp: if side == Side::Offerer {
                    "answer"
                } else {
                    "offer"
                },
            });
        };
        ConnectTarget::PeerPath(path.first().clone())
    };
    Ok(Connection::Connect { target, send_first })
}
