//! Answers to a remote offer (RFC 3264, RFC 4975 §8, RFC 5547 §8.3, RFC 6135
//! §4.2.2, RFC 6714 §4.3) and rejections.

use super::media_range::join;
use super::{
    Capabilities, Direction, FileAttributes, FileSelector, LocalEndpoint, MsrpMedia,
    NegotiationError, RfbSetup, Setup,
};

/// The answer's `a=setup` for the offered one (RFC 4145 §4.1, RFC 6135
/// §4.2): `actpass` → `passive` when this side is reachable (RFC 6135: it
/// SHOULD be, when not behind a NAT), else `active`; `passive` → `active`;
/// `active`, `holdconn` (read as absent, RFC 6135 §4.2.1) and absent (RFC
/// 4975 §5.4: the offerer connects) → `passive`.
fn answer_setup(offered: Option<Setup>, reachable: bool) -> Setup {
    match offered {
        Some(Setup::ActPass) if reachable => Setup::Passive,
        Some(Setup::ActPass | Setup::Passive) => Setup::Active,
        Some(Setup::Active | Setup::HoldConn) | None => Setup::Passive,
    }
}

/// The checks every MSRP answer makes, and the answer's common part.
fn answer(
    offer: &MsrpMedia,
    local: &LocalEndpoint,
    caps: &Capabilities,
    media: &'static str,
) -> Result<MsrpMedia, NegotiationError> {
    if !offer.media.eq_ignore_ascii_case(media) {
        return Err(NegotiationError::Media {
            expected: media,
            found: offer.media.clone(),
        });
    }
    if offer.formats.trim() != "*" {
        return Err(NegotiationError::Formats {
            found: offer.formats.clone(),
        });
    }
    if offer.protocol.is_tls() != local.protocol().is_tls() {
        return Err(NegotiationError::TransportMismatch {
            offered: offer.protocol,
            local: local.protocol(),
        });
    }
    if offer.path.is_none() {
        return Err(NegotiationError::MissingAttribute { attribute: "path" });
    }
    let offered = offer
        .accept_types
        .as_deref()
        .ok_or(NegotiationError::MissingAttribute {
            attribute: "accept-types",
        })?;
    // sipsimple's rule: at least one offered entry is acceptable here.
    if !offered
        .iter()
        .any(|o| caps.accept_types.iter().any(|l| l.overlaps(o)))
    {
        return Err(NegotiationError::NoCommonMediaType {
            offered: join(offered),
            local: join(&caps.accept_types),
        });
    }
    let mut m = local.media(media);
    caps.apply(&mut m);
    let mut setup = answer_setup(offer.setup, local.reachable);
    // RFC 6714 §4.1, §4.5: CEMA cannot work when an offerer behind a relay
    // becomes active, so to an actpass offer from one this side answers
    // active when it wants CEMA (and has no relay of its own).
    let wants_cema = local.cema && offer.msrp_cema;
    if wants_cema
        && offer.uses_relay()
        && !local.uses_relay()
        && offer.setup == Some(Setup::ActPass)
    {
        setup = Setup::Active;
    }
    m.setup = Some(setup);
    // RFC 6714 §4.3: no CEMA when both sides use relays, when the offerer
    // uses a relay and becomes active, or when this side uses a relay and
    // cannot be passive.
    let offerer_active = setup == Setup::Passive;
    let fallback = (offer.uses_relay() && local.uses_relay())
        || (offer.uses_relay() && offerer_active)
        || (local.uses_relay() && setup == Setup::Active);
    m.msrp_cema = wants_cema && !fallback;
    Ok(m)
}

/// The answer to a chat offer: the offer must be `m=message`, `*`,
/// sendrecv, on the local transport (TLS or not), with an `a=path` and at
/// least one accept-types entry the capabilities accept (sipsimple's rules).
/// The answer lists the local capabilities, takes the `a=setup` of RFC 6135
/// §4.2.2 and stays sendrecv. An offer with port 0 gets [`reject`].
pub fn answer_chat(
    offer: &MsrpMedia,
    local: &LocalEndpoint,
    caps: &Capabilities,
) -> Result<MsrpMedia, NegotiationError> {
    if offer.is_rejected() {
        return Ok(reject(offer));
    }
    let found = offer.direction_or_default();
    if found != Direction::SendRecv {
        return Err(NegotiationError::Direction {
            expected: "sendrecv",
            found,
        });
    }
    answer(offer, local, caps, "message")
}

/// The answer to a file offer (RFC 5547 §8.3).
///
/// - A push (`a=sendonly`, §8.3.1): this side receives. The answer is
///   `a=recvonly` and copies the offered selector, `file-transfer-id` and
///   `file-range`; it never carries `file-icon`, `file-disposition` or
///   `file-date`.
/// - A pull (`a=recvonly`, §8.3.2): this side sends `local_file`, which the
///   offered selector must select. The answer is `a=sendonly`, copies the
///   `file-transfer-id` and `file-range`, and describes the file by its type
///   and hash (name and size go in the MSRP Content-Disposition, as §8.3.2
///   recommends; when the local file has neither type nor hash, its whole
///   selector).
///
/// An offer with port 0 gets [`reject`].
pub fn answer_file(
    offer: &MsrpMedia,
    local: &LocalEndpoint,
    caps: &Capabilities,
    local_file: Option<&FileSelector>,
) -> Result<MsrpMedia, NegotiationError> {
    if offer.is_rejected() {
        return Ok(reject(offer));
    }
    let offered = offer
        .file
        .selector
        .as_ref()
        .ok_or(NegotiationError::MissingAttribute {
            attribute: "file-selector",
        })?;
    if offered.is_empty() {
        return Err(NegotiationError::EmptyFileSelector);
    }
    let direction = offer.direction_or_default();
    let selector = match direction {
        Direction::SendOnly => offered.clone(),
        Direction::RecvOnly => {
            let file = local_file.ok_or(NegotiationError::MissingLocalFile)?;
            if !offered.selects(file) {
                return Err(NegotiationError::FileMismatch {
                    offered: offered.to_string(),
                });
            }
            let brief = FileSelector {
                file_type: file.file_type.clone(),
                hashes: file.hashes.clone(),
                ..FileSelector::default()
            };
            if brief.is_empty() {
                file.clone()
            } else {
                brief
            }
        }
        found => {
            return Err(NegotiationError::Direction {
                expected: "sendonly (push) or recvonly (pull)",
                found,
            });
        }
    };
    let mut m = answer(offer, local, caps, "message")?;
    m.direction = Some(direction.mirrored());
    m.file = FileAttributes {
        selector: Some(selector),
        transfer_id: offer.file.transfer_id.clone(),
        range: offer.file.range,
        ..FileAttributes::default()
    };
    Ok(m)
}

/// The answer to a desktop-sharing offer (sipsimple's
/// `ScreenSharingStream`): `m=application` with an accept-types entry the
/// capabilities accept (`application/x-rfb`), and `a=rfbsetup` opposite to
/// the offered one (absent counts as `active`: the offerer views, this side
/// serves). An offer with port 0 gets [`reject`].
pub fn answer_desktop(
    offer: &MsrpMedia,
    local: &LocalEndpoint,
    caps: &Capabilities,
) -> Result<MsrpMedia, NegotiationError> {
    if offer.is_rejected() {
        return Ok(reject(offer));
    }
    let mut m = answer(offer, local, caps, "application")?;
    m.rfbsetup = Some(offer.rfbsetup.unwrap_or(RfbSetup::Active).opposite());
    Ok(m)
}

/// Declines an offered stream (RFC 3264 §6): the same `m=` media, protocol
/// and formats with port 0. As RFC 5547 §8.3 requires, the offered
/// `file-selector` and `file-transfer-id` are mirrored; nothing else is
/// written.
pub fn reject(offer: &MsrpMedia) -> MsrpMedia {
    let mut m = MsrpMedia::new(offer.media.clone(), 0, offer.protocol);
    m.formats.clone_from(&offer.formats);
    m.file.selector.clone_from(&offer.file.selector);
    m.file.transfer_id.clone_from(&offer.file.transfer_id);
    m
}
