//! Offers and answers for a file transfer (RFC 5547 §8), sans-IO: push
//! (the sender offers `sendonly`) and pull (the receiver offers
//! `recvonly`), each with `a=file-range` to resume, and what both sides
//! agreed on.

use crate::sdp::{
    Capabilities, Direction, FileAttributes, FileRange, FileSelector, LocalEndpoint, MsrpMedia,
    NegotiationError, answer_file, file_pull_offer, file_push_offer,
};

use super::{FileInfo, PartialRecord};

/// Why an offer or answer for a file transfer cannot be made or used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FileOfferError {
    /// The SDP layer refused it.
    #[error(transparent)]
    Sdp(#[from] NegotiationError),
    /// The peer rejected the stream (port 0).
    #[error("the peer rejected the file transfer (port 0 in its answer)")]
    Rejected,
    /// An empty file: MSRP cannot carry a message of no bytes as a
    /// transfer (sipsimple refuses them too).
    #[error("the file is empty")]
    EmptyFile,
    /// A resume position outside the file.
    #[error("cannot start at byte {start} of a file of {size} bytes")]
    BadStart {
        /// The 1-based position.
        start: u64,
        /// The file's size.
        size: u64,
    },
    /// A file-range that does not run to the end of the file: this
    /// implementation sends and takes only ranges that do.
    #[error(
        "a=file-range:{0} does not run to the end of the file (only `start-*` or `start-size` ranges are supported)"
    )]
    UnsupportedRange(FileRange),
    /// A push offer resuming at a byte this side has not got all the bytes
    /// before.
    #[error("the offer resumes at byte {start}, but {}", match .have {
        Some(have) => format!("only the first {have} bytes are here"),
        None => "no partial copy of this file is here (its SHA-1 names none)".to_owned(),
    })]
    CannotResume {
        /// The offered start.
        start: u64,
        /// The contiguous bytes here, if a partial copy is.
        have: Option<u64>,
    },
    /// An offer that resumed was answered without repeating its
    /// `a=file-range`: the peer would take the rest for the whole file.
    #[error(
        "the answer does not repeat a=file-range:{0}: the peer does not support resuming (RFC 5547 §8)"
    )]
    RangeNotConfirmed(FileRange),
    /// The answer's `a=file-transfer-id` is not the offer's.
    #[error("the answer's a=file-transfer-id {answered} is not the offer's {offered}")]
    TransferIdMismatch {
        /// The offer's.
        offered: String,
        /// The answer's.
        answered: String,
    },
    /// The answer describes another file than the offer asked for.
    #[error(
        "the answer's a=file-selector:{answered} is not the file offered (a=file-selector:{offered})"
    )]
    SelectorMismatch {
        /// The offer's selector.
        offered: String,
        /// The answer's.
        answered: String,
    },
    /// The answer's direction does not mirror the offer's.
    #[error("the answer is {found}, but the offer was {offered}")]
    Direction {
        /// The offer's direction.
        offered: Direction,
        /// The answer's.
        found: Direction,
    },
}

/// Which side of the transfer this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileRole {
    /// It sends the file.
    Sender,
    /// It receives the file.
    Receiver,
}

/// What an offer and its answer settled: the file, from where, and which
/// side sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agreement {
    /// This side's part.
    pub role: FileRole,
    /// Whether the sender offered (push) or the receiver (pull).
    pub push: bool,
    /// `a=file-transfer-id`.
    pub transfer_id: Option<String>,
    /// What is known of the file: the offer's selector, completed by the
    /// answer's (a pull's answer adds the type and hash).
    pub selector: FileSelector,
    /// The 1-based position of the first byte to transfer (1 unless
    /// resumed with `a=file-range`).
    pub start: u64,
}

impl Agreement {
    /// The file's SHA-1, if a selector gave it.
    pub fn sha1(&self) -> Option<[u8; 20]> {
        self.selector.sha1()
    }

    /// The file's size, if the selector gave it (otherwise the MSRP
    /// Byte-Range total will).
    pub fn size(&self) -> Option<u64> {
        self.selector.size
    }
}

/// A fresh `a=file-transfer-id`: 32 random letters and digits (RFC 5547
/// §8.1 wants it new for each transfer and hard to guess; the RFC's own
/// example has 32 characters).
pub fn new_transfer_id() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut bytes = [0u8; 32];
    if getrandom::fill(&mut bytes).is_err() {
        // No OS randomness: the clock still makes a fresh id per transfer.
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = (t >> ((i % 16) * 8)) as u8 ^ (i as u8).wrapping_mul(31);
        }
    }
    bytes
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect()
}

/// The offer to send `file` (push, RFC 5547 §8.2.1): `a=sendonly`, the
/// selector with name, type, size and SHA-1, `file-transfer-id`,
/// `file-disposition`, `file-date`, `file-icon` as `file` has them, and,
/// when resuming (`start > 1`), `a=file-range:<start>-<size>` (the first
/// byte is 1, the last inclusive: §6).
///
/// ```
/// use msrp_chat::file::{push_offer, FileInfo};
/// use msrp_chat::sdp::LocalEndpoint;
///
/// let me = LocalEndpoint::new("msrp://192.0.2.10:2855/s1d;tcp".parse()?);
/// let file = FileInfo::new("a.pdf", 1000, [1; 20]).with_type("application/pdf");
/// let offer = push_offer(&me, &file, "tid42", 401)?.render();
/// assert!(offer.contains("a=sendonly\r\n"));
/// assert!(offer.contains("a=file-transfer-id:tid42\r\n"));
/// assert!(offer.contains("a=file-range:401-1000\r\n"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn push_offer(
    local: &LocalEndpoint,
    file: &FileInfo,
    transfer_id: &str,
    start: u64,
) -> Result<MsrpMedia, FileOfferError> {
    if file.size == 0 {
        return Err(FileOfferError::EmptyFile);
    }
    if start == 0 || start > file.size {
        return Err(FileOfferError::BadStart {
            start,
            size: file.size,
        });
    }
    let attributes = FileAttributes {
        selector: Some(file.selector()),
        transfer_id: Some(transfer_id.to_owned()),
        disposition: file.disposition.clone(),
        date: file.date.clone(),
        icon: file.icon.clone(),
        range: (start > 1).then_some(FileRange {
            start,
            stop: Some(file.size),
        }),
        x_file_offset: false,
    };
    let mut local = local.clone();
    // The offerer connects once it has the answer (RFC 6135 a=setup:active).
    local.reachable = false;
    Ok(file_push_offer(
        &local,
        &Capabilities::file_transfer(),
        attributes,
    )?)
}

/// The offer to fetch a file (pull, RFC 5547 §8.2.2): `a=recvonly`, the
/// selector of the wanted file (a hash alone is enough), a
/// `file-transfer-id` and, to resume, `a=file-range:<start>-*` with the
/// first byte this side lacks.
///
/// ```
/// use msrp_chat::file::{pull_offer, PartialRecord};
/// use msrp_chat::sdp::{FileHash, FileSelector, LocalEndpoint};
///
/// let me = LocalEndpoint::new("msrp://192.0.2.10:2855/s1d;tcp".parse()?);
/// let partial = PartialRecord { sha1: [9; 20], size: 1000, contiguous: 250, name: "a.bin".into(), media_type: None };
/// let wanted = FileSelector { hashes: vec![FileHash::sha1(partial.sha1)], ..FileSelector::default() };
/// let offer = pull_offer(&me, wanted, "tid43", partial.resume_start())?.render();
/// assert!(offer.contains("a=recvonly\r\n"));
/// assert!(offer.contains("a=file-range:251-*\r\n"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn pull_offer(
    local: &LocalEndpoint,
    wanted: FileSelector,
    transfer_id: &str,
    start: Option<u64>,
) -> Result<MsrpMedia, FileOfferError> {
    let range = match start {
        None | Some(1) => None,
        Some(0) => return Err(FileOfferError::BadStart { start: 0, size: 0 }),
        Some(start) => Some(FileRange {
            start,
            stop: wanted.size,
        }),
    };
    let mut local = local.clone();
    local.reachable = false;
    Ok(file_pull_offer(
        &local,
        &Capabilities::file_transfer(),
        wanted,
        transfer_id,
        range,
    )?)
}

/// Checks that a range runs to the end of a file of `size` bytes (when
/// known) and gives its start.
fn range_start(range: Option<FileRange>, size: Option<u64>) -> Result<u64, FileOfferError> {
    let Some(range) = range else {
        return Ok(1);
    };
    match (range.stop, size) {
        (Some(stop), Some(size)) if stop != size => Err(FileOfferError::UnsupportedRange(range)),
        (_, Some(size)) if range.start > size => Err(FileOfferError::BadStart {
            start: range.start,
            size,
        }),
        _ => Ok(range.start),
    }
}

/// Answers a push offer (RFC 5547 §8.3.1): `a=recvonly`, the offered
/// selector, `file-transfer-id` and `file-range` repeated.
///
/// An offer that resumes (`a=file-range` starting past 1) is taken only if
/// `partial`, this side's record of the same file (same SHA-1 and size),
/// has every byte before the start; otherwise the caller should reject the
/// stream ([`reject`](crate::sdp::reject)): taking the rest without the
/// beginning would leave a file that can never be completed.
///
/// ```
/// use msrp_chat::file::{answer_push, push_offer, FileInfo, FileOfferError, PartialRecord};
/// use msrp_chat::sdp::LocalEndpoint;
///
/// let alice = LocalEndpoint::new("msrp://192.0.2.10:2855/alice1;tcp".parse()?);
/// let bob = LocalEndpoint::new("msrp://192.0.2.20:7777/bob1;tcp".parse()?);
/// let file = FileInfo::new("a.bin", 1000, [5; 20]);
/// let offer = push_offer(&alice, &file, "t1", 601)?;
/// // Bob has only 500 bytes: he cannot take the rest from 601 on.
/// let mut partial = PartialRecord { sha1: [5; 20], size: 1000, contiguous: 500, name: "a.bin".into(), media_type: None };
/// assert_eq!(
///     answer_push(&offer, &bob, Some(&partial)).unwrap_err(),
///     FileOfferError::CannotResume { start: 601, have: Some(500) }
/// );
/// partial.contiguous = 700;
/// let (answer, agreed) = answer_push(&offer, &bob, Some(&partial))?;
/// assert!(answer.render().contains("a=file-range:601-1000\r\n"));
/// assert_eq!(agreed.start, 601);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn answer_push(
    offer: &MsrpMedia,
    local: &LocalEndpoint,
    partial: Option<&PartialRecord>,
) -> Result<(MsrpMedia, Agreement), FileOfferError> {
    let found = offer.direction_or_default();
    if found != Direction::SendOnly {
        return Err(FileOfferError::Direction {
            offered: Direction::SendOnly,
            found,
        });
    }
    let answer = answer_file(offer, local, &Capabilities::file_transfer(), None)?;
    let selector = offer.file.selector.clone().unwrap_or_default();
    let start = range_start(offer.file.range, selector.size)?;
    if start > 1 {
        let fits = partial.filter(|p| {
            Some(p.sha1) == selector.sha1()
                && selector.size.is_none_or(|s| s == p.size)
                && p.can_resume_at(start)
        });
        if fits.is_none() {
            return Err(FileOfferError::CannotResume {
                start,
                have: partial
                    .filter(|p| Some(p.sha1) == selector.sha1())
                    .map(|p| p.contiguous),
            });
        }
    }
    Ok((
        answer,
        Agreement {
            role: FileRole::Receiver,
            push: true,
            transfer_id: offer.file.transfer_id.clone(),
            selector,
            start,
        },
    ))
}

/// Answers a pull offer (RFC 5547 §8.3.2) with the local `file`, which
/// the offered selector must select: `a=sendonly`, the file's type and
/// SHA-1, the offered `file-transfer-id` and `file-range` repeated. The
/// transfer starts where the range says.
pub fn answer_pull(
    offer: &MsrpMedia,
    local: &LocalEndpoint,
    file: &FileInfo,
) -> Result<(MsrpMedia, Agreement), FileOfferError> {
    let found = offer.direction_or_default();
    if found != Direction::RecvOnly {
        return Err(FileOfferError::Direction {
            offered: Direction::RecvOnly,
            found,
        });
    }
    if file.size == 0 {
        return Err(FileOfferError::EmptyFile);
    }
    let ours = file.selector();
    let answer = answer_file(offer, local, &Capabilities::file_transfer(), Some(&ours))?;
    let start = range_start(offer.file.range, Some(file.size))?;
    Ok((
        answer,
        Agreement {
            role: FileRole::Sender,
            push: false,
            transfer_id: offer.file.transfer_id.clone(),
            selector: ours,
            start,
        },
    ))
}

/// What the offerer learns from the answer to its file offer: that it was
/// accepted (port not 0), mirrored (`recvonly` for a push, `sendonly` for
/// a pull), for the same transfer, for the same file, and — when the offer
/// resumed — with `a=file-range` repeated (a peer that leaves it out does
/// not support resuming and would take the rest for the whole file).
///
/// ```
/// use msrp_chat::file::{accept_answer, answer_push, push_offer, FileInfo, FileRole};
/// use msrp_chat::sdp::LocalEndpoint;
///
/// let alice = LocalEndpoint::new("msrp://192.0.2.10:2855/alice1;tcp".parse()?);
/// let bob = LocalEndpoint::new("msrp://192.0.2.20:7777/bob1;tcp".parse()?);
/// let offer = push_offer(&alice, &FileInfo::new("a.bin", 10, [5; 20]), "t1", 1)?;
/// let (answer, _) = answer_push(&offer, &bob, None)?;
/// let agreed = accept_answer(&offer, &answer)?;
/// assert_eq!((agreed.role, agreed.start, agreed.size()), (FileRole::Sender, 1, Some(10)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn accept_answer(offer: &MsrpMedia, answer: &MsrpMedia) -> Result<Agreement, FileOfferError> {
    if answer.is_rejected() {
        return Err(FileOfferError::Rejected);
    }
    let offered = offer.direction_or_default();
    let found = answer.direction_or_default();
    if found != offered.mirrored() {
        return Err(FileOfferError::Direction { offered, found });
    }
    let push = offered == Direction::SendOnly;
    if let (Some(o), Some(a)) = (&offer.file.transfer_id, &answer.file.transfer_id) {
        if o != a {
            return Err(FileOfferError::TransferIdMismatch {
                offered: o.clone(),
                answered: a.clone(),
            });
        }
    }
    let mut selector = offer.file.selector.clone().unwrap_or_default();
    if let Some(theirs) = &answer.file.selector {
        if let (Some(o), Some(a)) = (selector.sha1(), theirs.sha1()) {
            if o != a {
                return Err(FileOfferError::SelectorMismatch {
                    offered: selector.to_string(),
                    answered: theirs.to_string(),
                });
            }
        }
        if !push {
            // A pull's answer describes the file (§8.3.2): what it adds
            // completes what the offer asked for.
            if selector.file_type.is_none() {
                selector.file_type.clone_from(&theirs.file_type);
            }
            if selector.size.is_none() {
                selector.size = theirs.size;
            }
            if selector.name.is_none() {
                selector.name.clone_from(&theirs.name);
            }
            if selector.sha1().is_none() {
                selector.hashes.clone_from(&theirs.hashes);
            }
        }
    }
    let start = match offer.file.range {
        Some(range) if range.start > 1 => {
            if answer.file.range.map(|r| r.start) != Some(range.start) {
                return Err(FileOfferError::RangeNotConfirmed(range));
            }
            range.start
        }
        _ => 1,
    };
    Ok(Agreement {
        role: if push {
            FileRole::Sender
        } else {
            FileRole::Receiver
        },
        push,
        transfer_id: offer.file.transfer_id.clone(),
        selector,
        start,
    })
}

/// Where a push resumes after an interruption: the first byte the receiver
/// has not confirmed. `confirmed` is what the sender's success REPORTs
/// covered from the start of the file (a receiver sends them only for
/// bytes it holds). `None`: the receiver has it all.
///
/// ```
/// use msrp_chat::file::resume_start;
///
/// assert_eq!(resume_start(0, 100), Some(1));
/// assert_eq!(resume_start(64, 100), Some(65));
/// assert_eq!(resume_start(100, 100), None);
/// ```
pub fn resume_start(confirmed: u64, size: u64) -> Option<u64> {
    (confirmed < size).then_some(confirmed + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sdp::{FileHash, Setup};

    fn alice() -> LocalEndpoint {
        LocalEndpoint::new("msrp://192.0.2.10:2855/alice1;tcp".parse().unwrap())
    }

    fn bob() -> LocalEndpoint {
        LocalEndpoint::new("msrp://192.0.2.20:7777/bob1;tcp".parse().unwrap())
    }

    fn file() -> FileInfo {
        let mut f = FileInfo::new("My cool picture.jpg", 32349, [0x72; 20]).with_type("image/jpeg");
        f.disposition = Some("attachment".into());
        f.icon = Some("cid:id2@alicepc.example.com".into());
        f.date = Some(crate::sdp::FileDate {
            creation: Some("Mon, 15 May 2006 15:01:31 +0300".into()),
            ..Default::default()
        });
        f
    }

    #[test]
    fn a_push_offer_carries_every_attribute_and_the_hash() {
        let offer = push_offer(&alice(), &file(), "vBnG916bdberum2fFEABR1FR3ExZMUrd", 1).unwrap();
        let text = offer.render();
        for line in [
            "a=sendonly",
            "a=accept-types:*",
            "a=file-selector:name:\"My cool picture.jpg\" type:image/jpeg size:32349 hash:sha-1:72:72",
            "a=file-transfer-id:vBnG916bdberum2fFEABR1FR3ExZMUrd",
            "a=file-disposition:attachment",
            "a=file-date:creation:\"Mon, 15 May 2006 15:01:31 +0300\"",
            "a=file-icon:cid:id2@alicepc.example.com",
            "a=setup:active",
        ] {
            assert!(text.contains(line), "{line} in\n{text}");
        }
        assert!(!text.contains("file-range"), "the whole file: no range");
        assert_eq!(
            push_offer(&alice(), &file(), "t", 32350),
            Err(FileOfferError::BadStart {
                start: 32350,
                size: 32349
            })
        );
        assert_eq!(
            push_offer(&alice(), &FileInfo::new("e", 0, [0; 20]), "t", 1),
            Err(FileOfferError::EmptyFile)
        );
    }

    #[test]
    fn a_push_is_answered_recvonly_with_selector_id_and_range_repeated() {
        let offer = push_offer(&alice(), &file(), "t1", 1).unwrap();
        let (answer, agreed) = answer_push(&offer, &bob(), None).unwrap();
        let text = answer.render();
        assert!(text.contains("a=recvonly"), "{text}");
        assert!(text.contains("a=file-transfer-id:t1"), "{text}");
        assert!(text.contains("hash:sha-1:72:"), "{text}");
        assert!(!text.contains("file-icon") && !text.contains("file-date"));
        assert_eq!(answer.setup, Some(Setup::Passive));
        assert_eq!(
            (agreed.role, agreed.push, agreed.start),
            (FileRole::Receiver, true, 1)
        );
        let sent = accept_answer(&offer, &answer).unwrap();
        assert_eq!(sent.role, FileRole::Sender);
        assert_eq!(sent.sha1(), Some([0x72; 20]));
    }

    #[test]
    fn a_pull_asks_by_hash_and_the_answer_completes_the_selector() {
        let wanted = FileSelector {
            hashes: vec![FileHash::sha1([0x72; 20])],
            ..FileSelector::default()
        };
        let offer = pull_offer(&bob(), wanted, "t2", None).unwrap();
        assert!(offer.render().contains("a=recvonly"));
        let (answer, sending) = answer_pull(&offer, &alice(), &file()).unwrap();
        assert!(answer.render().contains("a=sendonly"));
        assert_eq!(
            (sending.role, sending.push, sending.start),
            (FileRole::Sender, false, 1)
        );
        let receiving = accept_answer(&offer, &answer).unwrap();
        assert_eq!(receiving.role, FileRole::Receiver);
        assert_eq!(
            receiving.selector.file_type.map(|t| t.media_type),
            Some("image/jpeg".into())
        );
        // Another file does not answer it.
        let other = FileInfo::new("x", 3, [1; 20]);
        assert!(matches!(
            answer_pull(&offer, &alice(), &other),
            Err(FileOfferError::Sdp(NegotiationError::FileMismatch { .. }))
        ));
    }

    #[test]
    fn a_resumed_pull_starts_where_the_receiver_lacks_bytes() {
        let wanted = FileSelector {
            hashes: vec![FileHash::sha1([0x72; 20])],
            ..FileSelector::default()
        };
        let offer = pull_offer(&bob(), wanted.clone(), "t3", Some(20001)).unwrap();
        assert!(offer.render().contains("a=file-range:20001-*"));
        let (answer, sending) = answer_pull(&offer, &alice(), &file()).unwrap();
        assert!(answer.render().contains("a=file-range:20001-*"));
        assert_eq!(sending.start, 20001);
        assert_eq!(accept_answer(&offer, &answer).unwrap().start, 20001);
        // Past the end, or stopping short of it: refused.
        let past = pull_offer(&bob(), wanted.clone(), "t4", Some(40000)).unwrap();
        assert!(matches!(
            answer_pull(&past, &alice(), &file()),
            Err(FileOfferError::BadStart { start: 40000, .. })
        ));
        let mut short = offer;
        short.file.range = Some(FileRange {
            start: 5,
            stop: Some(10),
        });
        assert!(matches!(
            answer_pull(&short, &alice(), &file()),
            Err(FileOfferError::UnsupportedRange(_))
        ));
    }

    #[test]
    fn a_resumed_push_needs_the_bytes_before_it_and_a_confirming_answer() {
        let offer = push_offer(&alice(), &file(), "t5", 10001).unwrap();
        assert_eq!(
            answer_push(&offer, &bob(), None).unwrap_err(),
            FileOfferError::CannotResume {
                start: 10001,
                have: None
            }
        );
        let mut partial = PartialRecord {
            sha1: [0x72; 20],
            size: 32349,
            contiguous: 12000,
            name: "x".into(),
            media_type: None,
        };
        let (mut answer, agreed) = answer_push(&offer, &bob(), Some(&partial)).unwrap();
        assert_eq!(agreed.start, 10001);
        assert_eq!(accept_answer(&offer, &answer).unwrap().start, 10001);
        // A peer that drops the range does not support it.
        answer.file.range = None;
        assert!(matches!(
            accept_answer(&offer, &answer),
            Err(FileOfferError::RangeNotConfirmed(_))
        ));
        // Another file's partial copy does not count.
        partial.sha1 = [1; 20];
        assert!(answer_push(&offer, &bob(), Some(&partial)).is_err());
    }

    #[test]
    fn answers_that_do_not_fit_are_refused() {
        let offer = push_offer(&alice(), &file(), "t6", 1).unwrap();
        let (answer, _) = answer_push(&offer, &bob(), None).unwrap();
        let mut rejected = answer.clone();
        rejected.port = 0;
        assert_eq!(
            accept_answer(&offer, &rejected),
            Err(FileOfferError::Rejected)
        );
        let mut other_id = answer.clone();
        other_id.file.transfer_id = Some("other".into());
        assert!(matches!(
            accept_answer(&offer, &other_id),
            Err(FileOfferError::TransferIdMismatch { .. })
        ));
        let mut sendrecv = answer;
        sendrecv.direction = None;
        assert!(matches!(
            accept_answer(&offer, &sendrecv),
            Err(FileOfferError::Direction { .. })
        ));
    }

    #[test]
    fn transfer_ids_are_fresh() {
        let (a, b) = (new_transfer_id(), new_transfer_id());
        assert_eq!(a.len(), 32);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(a, b);
    }
}
