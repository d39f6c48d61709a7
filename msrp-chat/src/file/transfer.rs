//! File transfers on a real MSRP session, on any runtime of
//! `msrp-endpoint`: [`FileSender`] and [`FileReceiver`] prepare the
//! connector or acceptor (direct or through a relay) and make the SDP,
//! then run the transfer in a task of its own and report through a
//! [`Transfer`] handle. Every decision is the sans-IO part's
//! ([`negotiate`](super::push_offer), [`ReceiveTracker`](super::ReceiveTracker)).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use bytes::Bytes;
use futures_channel::{mpsc, oneshot};
use futures_util::{FutureExt, StreamExt};
use msrp_endpoint::{
    EndpointConfig, Incoming, MessageUpdate, OutgoingHandle, RelaySettings, Runtime, Session,
};
use msrp_proto::connection::{MessageId, Outcome, OutgoingMessage, ReceiveMode};
use msrp_proto::ident::IdGenerator;
use msrp_proto::wire::{
    ByteRange, Chunk, ChunkHead, Continuation, FailureReport, Method, Status, SuccessReport,
};
use msrp_proto::{MsrpUri, Path};

use super::disk::{Disk, DiskCommand, DiskNote, read_pieces};
use super::{
    Agreement, FileInfo, FileOfferError, PartialRecord, ReceiveError, Verification, accept_answer,
    answer_pull, answer_push, new_transfer_id, pull_offer, push_offer, resume_start,
    safe_file_name, sha1_hex,
};
use crate::sdp::{FileSelector, LocalEndpoint, MsrpMedia, Role, Setup, Side, negotiated_role};
use crate::stream::StreamError;
use crate::stream::link::Link;

/// Why a transfer could not be set up, or stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransferError {
    /// Setting up the MSRP session: connecting, the relay, binding.
    #[error(transparent)]
    Stream(#[from] StreamError),
    /// The offer or answer.
    #[error(transparent)]
    Negotiation(#[from] FileOfferError),
    /// Reading or writing a file.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// What arrived is not the file (hash mismatch, incomplete, out of
    /// bounds).
    #[error(transparent)]
    Receive(#[from] ReceiveError),
    /// The MSRP session refused or lost the message (the peer's status, or
    /// 408 for a timeout or a lost connection).
    #[error("the file was not delivered: {code} {comment}")]
    NotDelivered {
        /// The status.
        code: u16,
        /// Its text.
        comment: String,
    },
    /// The transfer stopped before the file was complete.
    #[error("{0}")]
    Interrupted(String),
    /// This side cancelled it.
    #[error("cancelled")]
    Cancelled,
    /// A call out of order.
    #[error("{0}")]
    Order(&'static str),
}

impl From<msrp_endpoint::Error> for TransferError {
    fn from(e: msrp_endpoint::Error) -> Self {
        Self::Stream(StreamError::Msrp(e))
    }
}

/// News from a running transfer, in order; the last is
/// [`Sent`](Self::Sent), [`Received`](Self::Received) or
/// [`Failed`](Self::Failed).
#[derive(Debug)]
#[non_exhaustive]
pub enum TransferEvent {
    /// The MSRP session is bound.
    Connected {
        /// This side's full path.
        local_path: Vec<MsrpUri>,
        /// The peer's.
        remote_path: Vec<MsrpUri>,
    },
    /// The file's bytes started to flow.
    Started {
        /// The file's size.
        size: u64,
        /// The 1-based position of the first byte sent (past 1: resumed).
        start: u64,
        /// Where the bytes go (receiver): the partial file.
        partial: Option<PathBuf>,
    },
    /// More of the file is safely across: for the sender, what success
    /// REPORTs confirmed (bytes before a resumed start count as
    /// confirmed); for the receiver, the contiguous bytes on its disk.
    Progress {
        /// Bytes from the start of the file.
        bytes: u64,
        /// The file's size.
        size: u64,
    },
    /// The sender's end: the receiver confirmed every byte.
    Sent {
        /// The file's size.
        size: u64,
    },
    /// The receiver's end: the file is complete, checked and in place.
    Received {
        /// Where it is (never a file that was there before).
        path: PathBuf,
        /// Its size.
        size: u64,
        /// How it was checked against the selector's SHA-1.
        verification: Verification,
    },
    /// The transfer stopped.
    Failed {
        /// Why.
        error: TransferError,
        /// Where a new offer with `a=file-range` would resume (1-based),
        /// when some bytes are safely across and kept.
        resume_from: Option<u64>,
        /// The partial file kept for the resume (receiver).
        partial: Option<PathBuf>,
    },
}

/// Events buffered for the application before the transfer waits.
const EVENT_CAPACITY: usize = 64;

/// A running transfer.
#[derive(Debug)]
pub struct Transfer {
    cancel: mpsc::UnboundedSender<()>,
    events: mpsc::Receiver<TransferEvent>,
}

impl Transfer {
    /// The next event; `None` after the last.
    pub async fn next_event(&mut self) -> Option<TransferEvent> {
        self.events.next().await
    }

    /// Stops the transfer: the sender abandons its message (the chunk in
    /// flight ends with `#`), the receiver closes the session; a
    /// [`Failed`](TransferEvent::Failed) event with
    /// [`TransferError::Cancelled`] follows.
    pub fn cancel(&self) {
        let _ = self.cancel.unbounded_send(());
    }
}

/// Where each side stands before [`start`](FileSender::start).
#[derive(Debug)]
struct Prepared<R: Runtime> {
    link: Link<R>,
    /// This side's offer (offerer) or the agreement (answerer).
    offer: Option<MsrpMedia>,
    agreed: Option<Agreement>,
}

impl<R: Runtime> Prepared<R> {
    /// The link and what was agreed, for `start`: from the peer's answer
    /// to this side's offer, or from the answer this side gave.
    fn agree(
        prepared: Option<Self>,
        remote: &MsrpMedia,
    ) -> Result<(Link<R>, Agreement), TransferError> {
        let Some(prepared) = prepared else {
            return Err(TransferError::Order("call offer or answer before start"));
        };
        let agreed = match (&prepared.offer, prepared.agreed) {
            (Some(offer), _) => accept_answer(offer, remote)?,
            (None, Some(agreed)) => agreed,
            (None, None) => return Err(TransferError::Order("nothing was offered or answered")),
        };
        Ok((prepared.link, agreed))
    }
}

/// Prepares the link for an offer: this side connects once it has the
/// answer (`a=setup:active`).
async fn offer_link<R: Runtime>(
    rt: &R,
    endpoint: &EndpointConfig,
    relay: Option<RelaySettings>,
) -> Result<(Link<R>, LocalEndpoint), TransferError> {
    let link = Link::connector(rt, endpoint, relay).await?;
    let local = LocalEndpoint::new(link.path()?);
    Ok((link, local))
}

/// Prepares the link for an answer: passive unless the offer is.
async fn answer_link<R: Runtime>(
    rt: &R,
    endpoint: &EndpointConfig,
    relay: Option<RelaySettings>,
    listen: Option<SocketAddr>,
    offer: &MsrpMedia,
) -> Result<(Link<R>, LocalEndpoint), TransferError> {
    let active = offer.setup == Some(Setup::Passive);
    let link = if active {
        Link::connector(rt, endpoint, relay).await?
    } else {
        Link::acceptor(rt, endpoint, relay, listen).await?
    };
    let local = LocalEndpoint::new(link.path()?);
    Ok((link, local))
}

/// Checks that the answer's `a=setup` agrees with how the link was made.
fn check_role(offer: &MsrpMedia, answer: &MsrpMedia) -> Result<(), TransferError> {
    let role = negotiated_role(Side::Answerer, offer.setup, answer.setup)
        .map_err(|e| StreamError::Sdp(e.to_string()))?;
    if (role == Role::Active) != (offer.setup == Some(Setup::Passive)) {
        return Err(
            StreamError::Sdp("the offer and this answer disagree on who connects".into()).into(),
        );
    }
    Ok(())
}

/// Completes the link with the peer's description: connects or waits, and
/// binds.
async fn complete<R: Runtime>(link: Link<R>, remote: &MsrpMedia) -> Result<Session, TransferError> {
    let path = remote
        .path
        .as_ref()
        .ok_or_else(|| StreamError::Sdp("no a=path in the remote description".into()))?;
    Ok(link.complete(path.uris()).await?)
}

/// Spawns a transfer task and gives its handle.
fn spawn<R: Runtime, F, Fut>(rt: &R, task: F) -> Transfer
where
    F: FnOnce(mpsc::UnboundedReceiver<()>, mpsc::Sender<TransferEvent>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let (cancel, cancel_rx) = mpsc::unbounded();
    let (event_tx, events) = mpsc::channel(EVENT_CAPACITY);
    rt.spawn(Box::pin(task(cancel_rx, event_tx)));
    Transfer { cancel, events }
}

/// Sends `event` once the channel has room; `false` if nobody listens.
async fn emit(to: &mut mpsc::Sender<TransferEvent>, event: TransferEvent) -> bool {
    if std::future::poll_fn(|cx| to.poll_ready(cx)).await.is_err() {
        return false;
    }
    to.start_send(event).is_ok()
}

/// The sending side of a file transfer: a push offerer or a pull answerer.
///
/// ```no_run
/// # async fn demo<R: msrp_endpoint::Runtime>(rt: R, answer: msrp_chat::sdp::MsrpMedia) -> Result<(), Box<dyn std::error::Error>> {
/// use msrp_chat::file::{FileInfo, FileSender, TransferEvent};
/// use msrp_endpoint::EndpointConfig;
///
/// let path = std::path::PathBuf::from("report.pdf");
/// let info = FileInfo::from_path(&path)?; // reads the file once for its SHA-1
/// let mut sender = FileSender::new(rt, EndpointConfig::default(), None, path, info);
/// let offer = sender.offer(1).await?; // into the INVITE's SDP
/// // ... the answer comes back in the 200 OK ...
/// let mut transfer = sender.start(&answer).await?;
/// while let Some(event) = transfer.next_event().await {
///     if let TransferEvent::Progress { bytes, size } = event {
///         println!("{bytes}/{size}");
///     }
/// }
/// # let _ = offer; Ok(()) }
/// ```
#[derive(Debug)]
pub struct FileSender<R: Runtime> {
    rt: R,
    endpoint: EndpointConfig,
    relay: Option<RelaySettings>,
    listen: Option<SocketAddr>,
    path: PathBuf,
    info: FileInfo,
    max_rate: Option<u64>,
    prepared: Option<Prepared<R>>,
}

impl<R: Runtime> FileSender<R> {
    /// A sender of the file at `path`, which `info` describes (see
    /// [`FileInfo::from_path`]), on `rt`; `relay` routes it through an
    /// MSRP relay.
    pub fn new(
        rt: R,
        endpoint: EndpointConfig,
        relay: Option<RelaySettings>,
        path: PathBuf,
        info: FileInfo,
    ) -> Self {
        Self {
            rt,
            endpoint,
            relay,
            listen: None,
            path,
            info,
            max_rate: None,
            prepared: None,
        }
    }

    /// Where an answering side without relay listens (default: the
    /// endpoint's local host, a free port).
    pub fn listen_on(mut self, addr: SocketAddr) -> Self {
        self.listen = Some(addr);
        self
    }

    /// Sends at most this many bytes a second (default: as fast as the
    /// peer takes them).
    pub fn max_rate(mut self, bytes_per_second: u64) -> Self {
        self.max_rate = Some(bytes_per_second.max(1));
        self
    }

    /// The file's description.
    pub fn info(&self) -> &FileInfo {
        &self.info
    }

    /// A push: prepares this side (it connects once it has the answer) and
    /// returns the `sendonly` offer for the file from the 1-based `start`
    /// (1 for the whole file; past 1 resumes with `a=file-range`, see
    /// [`resume_start`]). A fresh `file-transfer-id` each time.
    pub async fn offer(&mut self, start: u64) -> Result<MsrpMedia, TransferError> {
        let (link, local) = offer_link(&self.rt, &self.endpoint, self.relay.clone()).await?;
        let offer = push_offer(&local, &self.info, &new_transfer_id(), start)?;
        self.prepared = Some(Prepared {
            link,
            offer: Some(offer.clone()),
            agreed: None,
        });
        Ok(offer)
    }

    /// A pull: answers the peer's `recvonly` offer, which must select this
    /// file; the transfer starts where its `a=file-range` says.
    pub async fn answer(&mut self, offer: &MsrpMedia) -> Result<MsrpMedia, TransferError> {
        let (link, local) = answer_link(
            &self.rt,
            &self.endpoint,
            self.relay.clone(),
            self.listen,
            offer,
        )
        .await?;
        let (answer, agreed) = answer_pull(offer, &local, &self.info)?;
        check_role(offer, &answer)?;
        self.prepared = Some(Prepared {
            link,
            offer: None,
            agreed: Some(agreed),
        });
        Ok(answer)
    }

    /// Starts with the peer's description (the answer to this side's offer,
    /// or the offer this side answered): connects or waits, binds, and
    /// sends the file in a task of its own.
    pub async fn start(self, remote: &MsrpMedia) -> Result<Transfer, TransferError> {
        let (link, agreed) = Prepared::agree(self.prepared, remote)?;
        let session = complete(link, remote).await?;
        let plan = SendPlan {
            path: self.path,
            info: self.info,
            start: agreed.start,
            piece: self.endpoint.protocol.chunk_size.max(1024),
            max_rate: self.max_rate,
        };
        let rt = self.rt.clone();
        Ok(spawn(&self.rt, move |cancel, events| {
            send_task(rt, session, plan, cancel, events)
        }))
    }
}

struct SendPlan {
    path: PathBuf,
    info: FileInfo,
    start: u64,
    piece: usize,
    max_rate: Option<u64>,
}

fn paths(session: &Session) -> TransferEvent {
    TransferEvent::Connected {
        local_path: session.local_path().uris().to_vec(),
        remote_path: session.remote_path().uris().to_vec(),
    }
}

/// A file name for Content-Disposition, when it needs no escaping.
fn disposition_name(name: &str) -> Option<&str> {
    name.chars()
        .all(|c| (c.is_ascii_graphic() && c != '"' && c != '\\') || c == ' ')
        .then_some(name)
}

/// Takes the updates that already arrived; an outcome ends the message.
fn drain(
    handle: &mut OutgoingHandle,
    base: &u64,
    confirmed: &mut u64,
    progress: &mut Vec<u64>,
) -> Option<Outcome> {
    while let Some(Some(update)) = handle.next_update().now_or_never() {
        match update {
            MessageUpdate::Progress { confirmed: c, .. } => {
                // The message's bytes, after the file's first start-1.
                *confirmed = *base + c;
                progress.push(*confirmed);
            }
            MessageUpdate::Outcome(outcome) => return Some(outcome),
            _ => {}
        }
    }
    None
}

fn not_delivered(outcome: Outcome) -> TransferError {
    match outcome {
        Outcome::Failed { code, comment } => TransferError::NotDelivered { code, comment },
        _ => TransferError::Interrupted("the message was abandoned".into()),
    }
}

async fn send_task<R: Runtime>(
    rt: R,
    session: Session,
    plan: SendPlan,
    mut cancel: mpsc::UnboundedReceiver<()>,
    mut events: mpsc::Sender<TransferEvent>,
) {
    let size = plan.info.size;
    let start = plan.start;
    emit(&mut events, paths(&session)).await;
    emit(
        &mut events,
        TransferEvent::Started {
            size,
            start,
            partial: None,
        },
    )
    .await;
    let content_type = plan
        .info
        .media_type
        .clone()
        .unwrap_or_else(|| "application/octet-stream".into());
    // RFC 5547 §6: file-range is about the file, Byte-Range about the MSRP
    // message. A resumed range goes as a message of its own, counted from
    // 1 (as RCS stacks send it): octet n of it is octet start+n-1 of the
    // file.
    let mut message = OutgoingMessage::new(content_type)
        .size(size - (start - 1))
        .success_report(SuccessReport::Yes)
        .failure_report(FailureReport::Yes);
    if let Some(name) = disposition_name(&plan.info.name) {
        // RFC 5547 §8.3.2 suggests the name travels in Content-Disposition.
        message = message.header(
            "Content-Disposition",
            format!("attachment; filename=\"{name}\""),
        );
    }
    let mut confirmed = start - 1;
    let result = send_body(
        &rt,
        &session,
        message,
        &plan,
        &mut cancel,
        &mut events,
        &mut confirmed,
    )
    .await;
    let event = match result {
        Ok(()) => TransferEvent::Sent { size },
        Err(error) => TransferEvent::Failed {
            error,
            resume_from: resume_start(confirmed, size).filter(|s| *s > 1),
            partial: None,
        },
    };
    let ok = matches!(event, TransferEvent::Sent { .. });
    emit(&mut events, event).await;
    if ok {
        session.shutdown().await;
    }
}

async fn send_body<R: Runtime>(
    rt: &R,
    session: &Session,
    message: OutgoingMessage,
    plan: &SendPlan,
    cancel: &mut mpsc::UnboundedReceiver<()>,
    events: &mut mpsc::Sender<TransferEvent>,
    confirmed: &mut u64,
) -> Result<(), TransferError> {
    let size = plan.info.size;
    // Bytes of the file before the message's first (a resumed range).
    let base = plan.start - 1;
    let mut writer = session.begin_message(message).await?;
    let pieces = read_pieces(plan.path.clone(), plan.start, size, plan.piece);
    let began = rt.now();
    let mut written = 0u64;
    let mut progress = Vec::new();
    let mut cancelled = false;
    let mut failed = None;
    loop {
        let piece = futures_util::select! {
            piece = pieces.recv().fuse() => piece,
            _ = cancel.next() => { cancelled = true; break; }
        };
        let data: Bytes = match piece {
            Ok(Ok(data)) => data,
            Ok(Err(e)) => {
                failed = Some(TransferError::Io(e));
                break;
            }
            Err(_) => break, // every piece was read
        };
        written += data.len() as u64;
        if writer.write(data).await.is_err() {
            // The message already has its outcome: the handle tells.
            break;
        }
        let early = writer
            .handle_mut()
            .and_then(|h| drain(h, &base, confirmed, &mut progress));
        for bytes in progress.drain(..) {
            emit(events, TransferEvent::Progress { bytes, size }).await;
        }
        if let Some(outcome) = early {
            return match outcome {
                Outcome::Delivered | Outcome::Sent => Ok(()),
                other => Err(not_delivered(other)),
            };
        }
        if let Some(rate) = plan.max_rate {
            let due = began + Duration::from_secs_f64(written as f64 / rate as f64);
            if due > rt.now() {
                let mut timer = rt.timer(due);
                let wait = std::future::poll_fn(|cx| timer.poll_fire(cx));
                futures_util::select! {
                    () = wait.fuse() => {},
                    _ = cancel.next() => { cancelled = true; break; }
                }
            }
        }
    }
    if cancelled || failed.is_some() {
        if let Some(handle) = writer.abort() {
            drop(handle);
        }
        return Err(failed.unwrap_or(TransferError::Cancelled));
    }
    let mut handle = writer.finish().await?;
    loop {
        futures_util::select! {
            update = handle.next_update().fuse() => match update {
                Some(MessageUpdate::Progress { confirmed: c, .. }) => {
                    *confirmed = base + c;
                    emit(events, TransferEvent::Progress { bytes: *confirmed, size }).await;
                }
                Some(MessageUpdate::Outcome(Outcome::Delivered | Outcome::Sent)) => return Ok(()),
                Some(MessageUpdate::Outcome(other)) => return Err(not_delivered(other)),
                Some(_) => {}
                None => {
                    return Err(TransferError::NotDelivered {
                        code: 408,
                        comment: "the MSRP session ended".into(),
                    });
                }
            },
            _ = cancel.next() => {
                handle.abort();
                return Err(TransferError::Cancelled);
            }
        }
    }
}

/// Where and how a receiver keeps the file.
#[derive(Debug, Clone)]
pub struct ReceiveOptions {
    /// The folder the file goes to (it must exist).
    pub out_dir: PathBuf,
    /// On failure or cancel, keep the partial file and its record so that
    /// a later transfer resumes (default), or remove them.
    pub keep_partial: bool,
    /// How many more contiguous bytes make a checkpoint: the partial record
    /// is saved, a progress event comes, and the sender gets a success
    /// REPORT for the bytes so far (RFC 4975 §7.1.2 lets a receiver report
    /// parts of a message; msrplib reports every chunk). Default 1 MiB.
    pub checkpoint: u64,
}

impl ReceiveOptions {
    /// Files go to `out_dir`; partial files are kept; 1 MiB checkpoints.
    pub fn new(out_dir: impl Into<PathBuf>) -> Self {
        Self {
            out_dir: out_dir.into(),
            keep_partial: true,
            checkpoint: 1 << 20,
        }
    }
}

/// The receiving side of a file transfer: a push answerer or a pull
/// offerer. The file is written by Byte-Range into a partial file in the
/// folder (`.msrp-<sha1>.part`, with a `.part.info` record to resume
/// from), hashed as it comes, checked against the selector's SHA-1 and
/// then renamed to its name — or `name-1.ext`, `name-2.ext`…: an existing
/// file is never overwritten.
#[derive(Debug)]
pub struct FileReceiver<R: Runtime> {
    rt: R,
    endpoint: EndpointConfig,
    relay: Option<RelaySettings>,
    listen: Option<SocketAddr>,
    options: ReceiveOptions,
    prepared: Option<Prepared<R>>,
}

impl<R: Runtime> FileReceiver<R> {
    /// A receiver on `rt` keeping files as `options` says; `relay` routes
    /// it through an MSRP relay.
    pub fn new(
        rt: R,
        mut endpoint: EndpointConfig,
        relay: Option<RelaySettings>,
        options: ReceiveOptions,
    ) -> Self {
        // Pieces as they come, never the whole file in memory; any size.
        endpoint.receive_mode = ReceiveMode::Stream;
        endpoint.protocol.max_message_size = u64::MAX;
        endpoint.accept_types = vec!["*".into()];
        Self {
            rt,
            endpoint,
            relay,
            listen: None,
            options,
            prepared: None,
        }
    }

    /// Where an answering side without relay listens (default: the
    /// endpoint's local host, a free port).
    pub fn listen_on(mut self, addr: SocketAddr) -> Self {
        self.listen = Some(addr);
        self
    }

    /// A pull: prepares this side and returns the `recvonly` offer for the
    /// file `wanted` selects (a hash alone will do). With `resume`, and a
    /// partial copy of that file (by its SHA-1) in the folder, the offer
    /// carries `a=file-range` from the first byte missing.
    pub async fn offer(
        &mut self,
        wanted: FileSelector,
        resume: bool,
    ) -> Result<MsrpMedia, TransferError> {
        let start = match (resume, wanted.sha1()) {
            (true, Some(sha1)) => PartialRecord::load(&self.options.out_dir, &sha1)?
                .map(|r| r.resume_start().unwrap_or(r.size.max(1))),
            _ => None,
        };
        let endpoint = self.endpoint.clone();
        let (link, local) = offer_link(&self.rt, &endpoint, self.relay.clone()).await?;
        let offer = pull_offer(&local, wanted, &new_transfer_id(), start)?;
        self.prepared = Some(Prepared {
            link,
            offer: Some(offer.clone()),
            agreed: None,
        });
        Ok(offer)
    }

    /// A push: answers the peer's `sendonly` offer. An offer resuming with
    /// `a=file-range` is taken only if the partial copy here has the bytes
    /// before it; otherwise this fails with
    /// [`FileOfferError::CannotResume`] and the caller rejects the stream
    /// ([`reject`](crate::sdp::reject)).
    pub async fn answer(&mut self, offer: &MsrpMedia) -> Result<MsrpMedia, TransferError> {
        let selector = offer.file.selector.clone().unwrap_or_default();
        let partial = match selector.sha1() {
            Some(sha1) => PartialRecord::load(&self.options.out_dir, &sha1)?,
            None => None,
        };
        // Checked before any socket is opened.
        let scheme = if offer.protocol.is_tls() {
            "msrps"
        } else {
            "msrp"
        };
        let probe = LocalEndpoint::new(Path::from(
            format!("{scheme}://127.0.0.1:2855/probe;tcp")
                .parse::<MsrpUri>()
                .map_err(|e| StreamError::Sdp(e.to_string()))?,
        ));
        answer_push(offer, &probe, partial.as_ref())?;
        let endpoint = self.endpoint.clone();
        let (link, local) =
            answer_link(&self.rt, &endpoint, self.relay.clone(), self.listen, offer).await?;
        let (answer, agreed) = answer_push(offer, &local, partial.as_ref())?;
        check_role(offer, &answer)?;
        self.prepared = Some(Prepared {
            link,
            offer: None,
            agreed: Some(agreed),
        });
        Ok(answer)
    }

    /// Starts with the peer's description (the answer to this side's
    /// offer, or the offer this side answered): connects or waits, binds,
    /// and receives the file in a task of its own.
    pub async fn start(self, remote: &MsrpMedia) -> Result<Transfer, TransferError> {
        let (link, agreed) = Prepared::agree(self.prepared, remote)?;
        let disk = Disk::start(self.options.out_dir.clone(), self.options.checkpoint)?;
        let session = complete(link, remote).await?;
        let plan = ReceivePlan {
            options: self.options,
            agreed,
        };
        Ok(spawn(&self.rt, move |cancel, events| {
            receive_task(session, plan, disk, cancel, events)
        }))
    }
}

struct ReceivePlan {
    options: ReceiveOptions,
    agreed: Agreement,
}

impl ReceivePlan {
    /// The partial file: by SHA-1 when known (so a later run finds it),
    /// else by transfer id.
    fn partial_path(&self) -> PathBuf {
        match self.agreed.sha1() {
            Some(sha1) => PartialRecord::partial_path(&self.options.out_dir, &sha1),
            None => {
                let id: String = self
                    .agreed
                    .transfer_id
                    .as_deref()
                    .unwrap_or("transfer")
                    .chars()
                    .filter(char::is_ascii_alphanumeric)
                    .take(64)
                    .collect();
                self.options.out_dir.join(format!(".msrp-{id}.part"))
            }
        }
    }

    /// The final name: the selector's, else the MSRP Content-Disposition
    /// filename, else the SHA-1.
    fn name(&self, head: &ChunkHead) -> String {
        let from_head = head
            .content_disposition()
            .and_then(|d| d.filename().map(|f| f.into_owned()));
        let fallback = match self.agreed.sha1() {
            Some(sha1) => format!("{}.bin", sha1_hex(&sha1)),
            None => "received-file".to_owned(),
        };
        let offered = self.agreed.selector.name.clone().or(from_head);
        safe_file_name(offered.as_deref(), &fallback)
    }
}

/// The message being received.
struct Current {
    id: MessageId,
    head: ChunkHead,
    size: u64,
}

/// A success REPORT for the message's bytes up to the file's `end` (RFC
/// 4975 §7.1.2): the sender learns what this side holds, and so where to
/// resume. `base` is how much of the file came before the message.
fn partial_report(
    session: &Session,
    ids: &mut IdGenerator,
    current: &Current,
    base: u64,
    end: u64,
) -> Option<Chunk> {
    let end = end.checked_sub(base).filter(|e| *e > 0)?;
    let range = ByteRange::new(1, Some(end), Some(current.size - base)).ok()?;
    let head = ChunkHead::request(Method::Report, ids.transaction_id())
        .to_path(current.head.from_path())
        .from_path(&Path::from(session.transport().local_uri().clone()))
        .message_id(current.id.as_str())
        .byte_range(range)
        .status(&Status::new(200, Some("OK")))
        .build()
        .ok()?;
    Some(Chunk::new(head, None, Continuation::Complete))
}

async fn receive_task(
    mut session: Session,
    plan: ReceivePlan,
    disk: Disk,
    mut cancel: mpsc::UnboundedReceiver<()>,
    mut events: mpsc::Sender<TransferEvent>,
) {
    let mut listening = emit(&mut events, paths(&session)).await;
    let mut ids = IdGenerator::from_seed(seed());
    let mut current: Option<Current> = None;
    let partial = plan.partial_path();
    // Ok: the file is in place; Err: why not (the partial file is then
    // kept or removed).
    let result: Result<(PathBuf, u64, Verification), TransferError> = loop {
        if !listening {
            break Err(TransferError::Cancelled);
        }
        futures_util::select! {
            item = session.next().fuse() => match item {
                Some(Incoming::Started { message, head, total }) => {
                    if current.is_some() {
                        continue; // one file per stream: later messages are not it
                    }
                    // The message carries the file from the agreed start
                    // on, counted from 1 (RFC 5547 §6: Byte-Range is about
                    // the message, file-range about the file).
                    let base = plan.agreed.start - 1;
                    let size = match (total, plan.agreed.size()) {
                        (Some(t), Some(s)) if base + t != s => break Err(TransferError::Interrupted(format!(
                            "the message is {t} bytes from byte {}, but the selector said {s} in all",
                            base + 1
                        ))),
                        (Some(t), _) => base + t,
                        (None, Some(s)) => s,
                        (None, None) => break Err(TransferError::Interrupted(
                            "neither the selector nor the message gives the file's size".into(),
                        )),
                    };
                    let (reply, done) = oneshot::channel();
                    let begin = DiskCommand::Begin {
                        size,
                        expected: plan.agreed.sha1(),
                        start: plan.agreed.start,
                        partial: partial.clone(),
                        name: plan.name(&head),
                        media_type: head.content_type().map(str::to_owned),
                        reply,
                    };
                    if disk.commands.send(begin).await.is_err() {
                        break Err(TransferError::Order("the file writer stopped"));
                    }
                    match done.await {
                        Ok(Ok(())) => {}
                        Ok(Err(e)) => break Err(e),
                        Err(_) => break Err(TransferError::Order("the file writer stopped")),
                    }
                    current = Some(Current { id: message, head, size });
                    listening = emit(&mut events, TransferEvent::Started {
                        size,
                        start: plan.agreed.start,
                        partial: Some(partial.clone()),
                    }).await;
                }
                Some(Incoming::Data { message, offset, data }) => {
                    if current.as_ref().is_some_and(|c| c.id == message) {
                        // Waits while the disk is behind: this side stops
                        // reading, and TCP slows the peer.
                        let offset = offset + plan.agreed.start - 1;
                        if disk.commands.send(DiskCommand::Data { offset, data }).await.is_err() {
                            break Err(TransferError::Order("the file writer stopped"));
                        }
                    }
                }
                Some(Incoming::Completed { message, .. }) => {
                    if let Some(size) = current.as_ref().filter(|c| c.id == message).map(|c| c.size) {
                        let (reply, done) = oneshot::channel();
                        if disk.commands.send(DiskCommand::Finish { reply }).await.is_err() {
                            break Err(TransferError::Order("the file writer stopped"));
                        }
                        break match done.await {
                            Ok(Ok((path, verification))) => Ok((path, size, verification)),
                            Ok(Err(e)) => Err(e),
                            Err(_) => Err(TransferError::Order("the file writer stopped")),
                        };
                    }
                }
                Some(Incoming::Aborted { message, received }) => {
                    if current.as_ref().is_some_and(|c| c.id == message) {
                        break Err(TransferError::Interrupted(format!(
                            "the sender abandoned the file after {received} bytes"
                        )));
                    }
                }
                Some(_) => {}
                None => break Err(TransferError::Interrupted(
                    "the MSRP session ended before the file was complete".into(),
                )),
            },
            note = disk.notes.recv().fuse() => match note {
                Ok(DiskNote::Checkpoint(bytes)) => {
                    if let Some(c) = &current {
                        listening = emit(&mut events, TransferEvent::Progress { bytes, size: c.size }).await;
                        if c.head.success_report() == Some(SuccessReport::Yes) {
                            let base = plan.agreed.start - 1;
                            let report = partial_report(&session, &mut ids, c, base, bytes);
                            if let Some(report) = report {
                                // REPORTs get no response: nothing to wait for.
                                let _ = session.send_chunk(report).await;
                            }
                        }
                    }
                }
                Ok(DiskNote::Failed(e)) => break Err(e),
                Err(_) => break Err(TransferError::Order("the file writer stopped")),
            },
            c = cancel.next() => {
                // `None`: the handle is gone, but its events may still be
                // read; the ended stream is not polled again.
                if c.is_some() {
                    break Err(TransferError::Cancelled);
                }
            },
        }
    };
    let event = match result {
        Ok((path, size, verification)) => TransferEvent::Received {
            path,
            size,
            verification,
        },
        Err(error) => {
            // The session goes first: the sender sees the end at once.
            drop(session);
            let (reply, done) = oneshot::channel();
            let keep = plan.options.keep_partial;
            let sent = disk.commands.send(DiskCommand::Stop { keep, reply }).await;
            let resume_from = if sent.is_ok() {
                done.await.ok().flatten()
            } else {
                None
            };
            let kept = resume_from.is_some();
            emit(
                &mut events,
                TransferEvent::Failed {
                    error,
                    resume_from,
                    partial: kept.then_some(partial),
                },
            )
            .await;
            return;
        }
    };
    emit(&mut events, event).await;
    session.shutdown().await;
}

/// A seed from the operating system for the transaction ids of REPORTs.
fn seed() -> [u8; 32] {
    let mut seed = [0u8; 32];
    let _ = getrandom::fill(&mut seed);
    seed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sdp::{FileHash, FileSelector};
    use msrp_async_std::AsyncIo;

    fn temp(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("msrp-chat-transfer-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("in")).unwrap();
        dir
    }

    fn data(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i * 31 % 253) as u8).collect()
    }

    async fn last(transfer: &mut Transfer) -> TransferEvent {
        let mut last = None;
        while let Some(event) = transfer.next_event().await {
            last = Some(event);
        }
        last.expect("a final event")
    }

    #[test]
    fn a_push_on_smol_then_a_cancelled_pull_resumed() {
        let dir = temp("smol");
        let (path, out) = (dir.join("f.bin"), dir.join("in"));
        let bytes = data(3 << 20);
        std::fs::write(&path, &bytes).unwrap();
        let info = FileInfo::from_path(&path).unwrap();
        let rt = AsyncIo::smol();
        smol::block_on(async {
            // A push, whole.
            let mut sender = FileSender::new(
                rt.clone(),
                EndpointConfig::default(),
                None,
                path.clone(),
                info.clone(),
            );
            let mut receiver = FileReceiver::new(
                rt.clone(),
                EndpointConfig::default(),
                None,
                ReceiveOptions::new(&out),
            );
            let offer = sender.offer(1).await.unwrap();
            let answer = receiver.answer(&offer).await.unwrap();
            let (s, r) = futures_util::join!(sender.start(&answer), receiver.start(&offer));
            let (mut s, mut r) = (s.unwrap(), r.unwrap());
            let (sent, received) = futures_util::join!(last(&mut s), last(&mut r));
            assert!(
                matches!(sent, TransferEvent::Sent { size } if size == 3 << 20),
                "{sent:?}"
            );
            let TransferEvent::Received {
                path: got,
                verification,
                ..
            } = received
            else {
                panic!("{received:?}");
            };
            assert!(verification.is_verified());
            assert_eq!(std::fs::read(&got).unwrap(), bytes);
            std::fs::remove_file(&got).unwrap();

            // A pull the receiver cancels after a checkpoint: the partial
            // file stays, and a second pull resumes from it.
            let wanted = FileSelector {
                hashes: vec![FileHash::sha1(info.sha1)],
                ..FileSelector::default()
            };
            let mut receiver = FileReceiver::new(
                rt.clone(),
                EndpointConfig::default(),
                None,
                ReceiveOptions::new(&out),
            );
            let sender = FileSender::new(
                rt.clone(),
                EndpointConfig::default(),
                None,
                path.clone(),
                info.clone(),
            );
            let mut sender = sender.max_rate(4 << 20);
            let offer = receiver.offer(wanted.clone(), true).await.unwrap();
            let answer = sender.answer(&offer).await.unwrap();
            let (s, r) = futures_util::join!(sender.start(&offer), receiver.start(&answer));
            let (mut s, mut r) = (s.unwrap(), r.unwrap());
            loop {
                match r.next_event().await.expect("events") {
                    TransferEvent::Progress { bytes, .. } if bytes > 0 => break,
                    TransferEvent::Received { .. } | TransferEvent::Failed { .. } => {
                        panic!("ended early")
                    }
                    _ => {}
                }
            }
            r.cancel();
            let (sent, cancelled) = futures_util::join!(last(&mut s), last(&mut r));
            assert!(matches!(sent, TransferEvent::Failed { .. }), "{sent:?}");
            let TransferEvent::Failed {
                error: TransferError::Cancelled,
                resume_from: Some(from),
                partial: Some(partial),
            } = cancelled
            else {
                panic!("{cancelled:?}");
            };
            assert!(from > 1 && partial.exists());

            let mut receiver = FileReceiver::new(
                rt.clone(),
                EndpointConfig::default(),
                None,
                ReceiveOptions::new(&out),
            );
            let mut sender = FileSender::new(
                rt.clone(),
                EndpointConfig::default(),
                None,
                path.clone(),
                info.clone(),
            );
            let offer = receiver.offer(wanted, true).await.unwrap();
            assert_eq!(offer.file.range.map(|r| r.start), Some(from));
            let answer = sender.answer(&offer).await.unwrap();
            let (s, r) = futures_util::join!(sender.start(&offer), receiver.start(&answer));
            let (mut s, mut r) = (s.unwrap(), r.unwrap());
            let (sent, received) = futures_util::join!(last(&mut s), last(&mut r));
            assert!(matches!(sent, TransferEvent::Sent { .. }), "{sent:?}");
            let TransferEvent::Received {
                path: got,
                verification,
                ..
            } = received
            else {
                panic!("{received:?}");
            };
            assert!(verification.is_verified());
            assert_eq!(std::fs::read(&got).unwrap(), bytes);
            assert!(!partial.exists());
        });
        let _ = std::fs::remove_dir_all(&dir);
    }
}
