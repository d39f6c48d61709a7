//! Local offers for the four sipsimple stream kinds: chat, file push, file
//! pull and desktop sharing.

use super::{
    Capabilities, Direction, FileAttributes, FileRange, FileSelector, LocalEndpoint, MsrpMedia,
    NegotiationError, RfbSetup,
};

fn offer(local: &LocalEndpoint, media: &str, caps: &Capabilities) -> MsrpMedia {
    let mut m = local.media(media);
    caps.apply(&mut m);
    m.setup = Some(local.offer_setup());
    m
}

/// A chat offer (sipsimple's `ChatStream`): `m=message`, sendrecv (no
/// direction attribute), the capabilities' accept-types, `a=setup:actpass`
/// when reachable, else `active` (RFC 6135 §4.2.2).
///
/// ```
/// use msrp_chat::sdp::{chat_offer, Capabilities, LocalEndpoint};
///
/// let me = LocalEndpoint::new("msrps://192.0.2.10:2855/uVDXb3ePS2Ws;tcp".parse()?);
/// let text = chat_offer(&me, &Capabilities::chat()).render();
/// assert_eq!(text.lines().next(), Some("m=message 2855 TCP/TLS/MSRP *"));
/// assert!(text.contains("a=accept-wrapped-types:text/* image/* application/im-iscomposing+xml\r\n"));
/// assert!(text.ends_with("a=setup:actpass\r\n"));
/// # Ok::<(), msrp_proto::uri::UriError>(())
/// ```
pub fn chat_offer(local: &LocalEndpoint, caps: &Capabilities) -> MsrpMedia {
    offer(local, "message", caps)
}

/// A file push offer (RFC 5547 §8.2.1): `a=sendonly` and the file's
/// attributes. The selector needs one of `type:`, `size:` or `hash:`, and a
/// `file-transfer-id` is required (new for each transfer, e.g. 32 random
/// characters, §8.1).
pub fn file_push_offer(
    local: &LocalEndpoint,
    caps: &Capabilities,
    file: FileAttributes,
) -> Result<MsrpMedia, NegotiationError> {
    let selector = file
        .selector
        .as_ref()
        .ok_or(NegotiationError::MissingAttribute {
            attribute: "file-selector",
        })?;
    if selector.file_type.is_none() && selector.size.is_none() && selector.hashes.is_empty() {
        return Err(NegotiationError::EmptyFileSelector);
    }
    if file.transfer_id.is_none() {
        return Err(NegotiationError::MissingAttribute {
            attribute: "file-transfer-id",
        });
    }
    let mut m = offer(local, "message", caps);
    m.direction = Some(Direction::SendOnly);
    m.file = file;
    Ok(m)
}

/// A file pull offer (RFC 5547 §8.2.2): `a=recvonly`, the selector of the
/// wanted file (often only its hash), a new `file-transfer-id`, and
/// optionally the range wanted. No other file attribute, as §8.2.2
/// recommends.
pub fn file_pull_offer(
    local: &LocalEndpoint,
    caps: &Capabilities,
    selector: FileSelector,
    transfer_id: impl Into<String>,
    range: Option<FileRange>,
) -> Result<MsrpMedia, NegotiationError> {
    if selector.is_empty() {
        return Err(NegotiationError::EmptyFileSelector);
    }
    let mut m = offer(local, "message", caps);
    m.direction = Some(Direction::RecvOnly);
    m.file = FileAttributes {
        selector: Some(selector),
        transfer_id: Some(transfer_id.into()),
        range,
        ..FileAttributes::default()
    };
    Ok(m)
}

/// A desktop-sharing offer (sipsimple's `ScreenSharingStream`):
/// `m=application`, the capabilities' accept-types (`application/x-rfb`)
/// and `a=rfbsetup:active` to view the peer's desktop or `passive` to share
/// this one.
pub fn desktop_offer(local: &LocalEndpoint, caps: &Capabilities, role: RfbSetup) -> MsrpMedia {
    let mut m = offer(local, "application", caps);
    m.rfbsetup = Some(role);
    m
}
