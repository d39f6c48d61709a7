//! File transfer over MSRP (RFC 5547): what sipsimple calls
//! `FileTransferStream`, without its bugs.
//!
//! ```
//! use msrp_chat::file::{accept_answer, answer_push, push_offer, FileInfo, ReceiveTracker, sha1_of};
//! use msrp_chat::sdp::LocalEndpoint;
//!
//! // Alice pushes a file: her offer describes it, hash included.
//! let data = b"the file's bytes, in any order".to_vec();
//! let file = FileInfo::new("notes.txt", data.len() as u64, sha1_of(&data)).with_type("text/plain");
//! let alice = LocalEndpoint::new("msrp://192.0.2.10:2855/alice1;tcp".parse()?);
//! let offer = push_offer(&alice, &file, "vBnG916bdberum2fFEABR1FR3ExZMUrd", 1)?;
//!
//! // Bob answers recvonly; both now agree on the file and the start.
//! let bob = LocalEndpoint::new("msrp://192.0.2.20:7777/bob1;tcp".parse()?);
//! let (answer, receiving) = answer_push(&offer, &bob, None)?;
//! let sending = accept_answer(&offer, &answer)?;
//! assert_eq!((sending.start, receiving.sha1()), (1, Some(file.sha1)));
//!
//! // Bob's side places pieces by Byte-Range (here out of order) and
//! // checks the SHA-1 at the end.
//! let mut disk = vec![0u8; data.len()];
//! let mut tracker = ReceiveTracker::new(data.len() as u64, receiving.sha1());
//! for (at, end) in [(10, data.len()), (0, 10)] {
//!     disk[at..end].copy_from_slice(&data[at..end]);
//!     tracker.piece(at as u64, &data[at..end])?;
//!     while let Some(r) = tracker.read_back(64 * 1024) {
//!         tracker.hash_read_back(r.start, &disk[r.start as usize..r.end as usize])?;
//!     }
//! }
//! assert!(tracker.finish()?.is_verified());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # What is here
//!
//! - Sans-IO decisions: [`push_offer`] (the sender offers `sendonly`,
//!   RFC 5547 §8.2.1), [`pull_offer`] (the receiver offers `recvonly`,
//!   §8.2.2), [`answer_push`], [`answer_pull`] (§8.3), [`accept_answer`]
//!   and the resulting [`Agreement`]; [`ReceiveTracker`], which places
//!   pieces by Byte-Range and hashes the contiguous prefix, reading back
//!   from disk what a filled gap joins to it; [`PartialRecord`], the
//!   sidecar of a partial file; [`safe_file_name`], [`numbered_name`].
//! - Blocking helpers: [`FileInfo::from_path`] (the SHA-1 before the
//!   offer), [`place_without_overwrite`].
//! - The async layer on any runtime of `msrp-endpoint`: [`FileSender`],
//!   [`FileReceiver`], [`Transfer`] and its [`TransferEvent`]s. Disk I/O
//!   runs on threads of its own; memory stays bounded whatever the file's
//!   size (a few pieces read ahead, a few queued for the disk).
//!
//! # Rules kept (RFC 5547)
//!
//! - The selector always has `hash:sha-1` (sipsimple deletes files whose
//!   selector has none); a peer's selector without one is accepted and the
//!   file reported as unverified.
//! - A fresh `a=file-transfer-id` per offer (§8.1); the answer repeats the
//!   selector, the id and `a=file-range` (§8.3), and an offer that resumed
//!   is taken as resumed only when the answer repeats its range.
//! - `a=file-range` counts octets of the file from 1, the stop inclusive or
//!   `*` (§6). File-range is about the file and Byte-Range about the MSRP
//!   message: a resumed range goes as a message of its own counted from 1
//!   (as RCS stacks send it), whose octet n the receiver writes at file
//!   octet start+n-1; only ranges that run to the end are supported.
//! - Resuming: a push is re-offered by the sender from the first byte the
//!   receiver's success REPORTs did not confirm ([`resume_start`]) and
//!   taken only if the receiver's partial copy has every byte before it; a
//!   pull is re-offered by the receiver from its partial copy's contiguous
//!   prefix ([`PartialRecord::resume_start`]). Either way the finished
//!   file's SHA-1 must be the selector's.
//! - The receiver sends success REPORTs for the contiguous bytes it holds
//!   at each checkpoint (RFC 4975 §7.1.2 allows reports for parts of a
//!   message), which is what the sender's progress and resume point come
//!   from.

mod disk;
mod info;
mod naming;
mod negotiate;
mod partial;
mod tracker;
mod transfer;

pub use info::{FileInfo, media_type_for, parse_sha1_hex, sha1_hex, sha1_of, sha1_reader};
pub use naming::{MAX_NUMBERED, numbered_name, place_without_overwrite, safe_file_name};
pub use negotiate::{
    Agreement, FileOfferError, FileRole, accept_answer, answer_pull, answer_push, new_transfer_id,
    pull_offer, push_offer, resume_start,
};
pub use partial::PartialRecord;
pub use tracker::{MAX_RUNS, ReceiveError, ReceiveTracker, Verification};
pub use transfer::{
    FileReceiver, FileSender, ReceiveOptions, Transfer, TransferError, TransferEvent,
};
