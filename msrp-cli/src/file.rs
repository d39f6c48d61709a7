//! `msrp file send` and `msrp file receive`: RFC 5547 file transfer, push
//! and pull, with resume, over `msrp_chat::file`.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::{Args, Subcommand};
use futures_util::FutureExt;
use msrp_chat::file::{
    FileInfo, FileReceiver, FileSender, PartialRecord, ReceiveOptions, Transfer, TransferError,
    TransferEvent, Verification, parse_sha1_hex, sha1_hex,
};
use msrp_chat::sdp::{FileHash, FileSelector, reject};
use msrp_endpoint::{EndpointConfig, RelaySettings, Runtime, TlsClient, TlsServer};
use serde::Serialize;

use crate::args::{self, HostPort};
use crate::error::CliError;
use crate::file_sdp::{self, SendRecord};
use crate::progress;
use crate::relay::RelayArgs;
use crate::runtime::{self, Job, RuntimeArg, RuntimeFlag};

/// Send and receive files (RFC 5547), exchanging SDP like a SIP stack.
///
/// Two processes play the two SIP user agents. The offerer prints its SDP
/// offer and reads the answer; the answerer reads the offer and prints its
/// answer. Each SDP body goes to standard output (ended by an empty line)
/// or to --offer/--answer FILE, and comes from standard input (up to an
/// empty line) or from that FILE once it exists.
///
///   push: msrp file send PATH                     (offers sendonly)
///         msrp file receive --out-dir DIR         (answers recvonly)
///   pull: msrp file receive --out-dir DIR --pull NAME|SHA1   (offers recvonly)
///         msrp file send PATH --pulled            (answers sendonly)
///
/// For example, with two shells and two files for the SDP:
///
///   msrp file receive --out-dir in --offer o.sdp --answer a.sdp
///   msrp file send big.iso --offer o.sdp --answer a.sdp
#[derive(Debug, Args)]
#[command(
    verbatim_doc_comment,
    about = "Send and receive files (RFC 5547), push and pull, with resume"
)]
pub(crate) struct FileArgs {
    #[command(subcommand)]
    command: FileCommand,
}

#[derive(Debug, Subcommand)]
enum FileCommand {
    Send(SendArgs),
    Receive(ReceiveArgs),
}

impl FileArgs {
    /// Runs the subcommand on its runtime.
    pub(crate) fn run(self) -> Result<(), CliError> {
        match self.command {
            FileCommand::Send(args) => runtime::block_on(args),
            FileCommand::Receive(args) => runtime::block_on(args),
        }
    }
}

/// What both subcommands take: the SDP exchange, the transport, limits.
#[derive(Debug, Args)]
struct Common {
    /// The SDP offer's file: the offerer writes it, the answerer reads it
    /// (waiting for it to appear) [default: standard output / input].
    #[arg(long, value_name = "FILE")]
    offer: Option<PathBuf>,

    /// The SDP answer's file: the answerer writes it, the offerer reads it
    /// (waiting for it to appear) [default: standard output / input].
    #[arg(long, value_name = "FILE")]
    answer: Option<PathBuf>,

    /// How long to wait for the peer's SDP.
    #[arg(long, value_name = "SECONDS", default_value = "60", value_parser = args::seconds)]
    sdp_timeout: Duration,

    /// As the answerer (which listens, unless --relay): the address to
    /// listen on [default: 127.0.0.1, a free port].
    #[arg(long, value_name = "HOST:PORT", value_parser = args::host_port, conflicts_with = "relay")]
    bind: Option<HostPort>,

    /// Use TLS (msrps). The answerer needs --cert and --key; the offerer
    /// (which connects) --ca, or --insecure.
    #[arg(long, conflicts_with = "relay")]
    tls: bool,

    /// PEM certificate chain, for a TLS answerer.
    #[arg(long, value_name = "FILE", requires = "tls")]
    cert: Option<PathBuf>,

    /// PEM private key, for a TLS answerer.
    #[arg(long, value_name = "FILE", requires = "tls")]
    key: Option<PathBuf>,

    /// For a TLS offerer: trust the certificates in this PEM file.
    #[arg(long, value_name = "FILE", conflicts_with = "insecure")]
    ca: Option<PathBuf>,

    /// For TLS (the peer's or the relay's): accept any certificate (tests
    /// only: no protection against an attacker in the path).
    #[arg(long)]
    insecure: bool,

    #[command(flatten)]
    relay: RelayArgs,

    /// Largest chunk body in bytes (K, M suffixes allowed) [default: 65536,
    /// 10240 towards a relay].
    #[arg(long, value_name = "N", value_parser = args::chunk_size)]
    chunk_size: Option<usize>,

    /// Give up after this long in all; a receiver keeps the partial file
    /// for --resume (unless --discard-partial).
    #[arg(long, value_name = "SECONDS", value_parser = args::seconds)]
    timeout: Option<Duration>,

    #[command(flatten)]
    runtime: RuntimeFlag,
}

/// Send a file: offer it (push), or answer a pull offer for it (--pulled).
///
/// Before the offer the file is read once for its SHA-1 (the selector
/// always carries it). The bytes then go as one MSRP message, read from
/// disk a piece at a time. Standard output, when it is not a terminal,
/// gets one JSON object per line (on a terminal: plain lines, and a
/// progress bar on stderr):
///
///   {"event":"bound","local_path":[..],"remote_path":[..]}
///   {"event":"started","name":"..","size":N,"sha1":"HEX","start":N}
///   {"event":"progress","bytes":N,"size":N}     (confirmed by the receiver)
///   {"event":"sent","size":N,"sha1":"HEX","seconds":F,"max_rss_kib":N}
///   {"event":"failed","error":"..","resume_from":N|null,"max_rss_kib":N}
///
/// Resuming a push: the sender records what the receiver confirmed with
/// success REPORTs in --state-dir (send-SHA1.json, updated at each
/// progress event); `--resume` offers the rest of the file from there with
/// a=file-range (a new transfer id), or `--resume-from N` from byte N. A
/// pull is resumed by the receiver (`msrp file receive --resume`).
///
/// Exit status 0 when the receiver confirmed the whole file; 1 otherwise;
/// 2 for bad arguments.
#[derive(Debug, Args)]
#[command(
    verbatim_doc_comment,
    about = "Send a file (push, or answer a pull with --pulled)"
)]
pub(crate) struct SendArgs {
    /// The file.
    path: PathBuf,

    /// Answer a pull offer (recvonly) for this file instead of offering it.
    #[arg(long)]
    pulled: bool,

    /// Resume a push from what the receiver confirmed before (see
    /// --state-dir).
    #[arg(long, conflicts_with = "pulled")]
    resume: bool,

    /// Resume a push from this 1-based byte (RFC 5547 a=file-range start).
    #[arg(long, value_name = "N", conflicts_with_all = ["pulled", "resume"], value_parser = clap::value_parser!(u64).range(1..))]
    resume_from: Option<u64>,

    /// Where the sender records confirmed bytes for --resume [default:
    /// $XDG_STATE_HOME/msrp or ~/.local/state/msrp].
    #[arg(long, value_name = "DIR")]
    state_dir: Option<PathBuf>,

    /// The file's media type [default: from its extension, none if unknown].
    #[arg(long = "type", value_name = "TYPE", value_parser = args::content_type)]
    media_type: Option<String>,

    /// a=file-disposition: render or attachment.
    #[arg(long, value_name = "WORD")]
    disposition: Option<String>,

    /// a=file-icon: a cid: URL of an icon the signalling carries (passed
    /// through as given).
    #[arg(long, value_name = "CID")]
    icon: Option<String>,

    /// Send at most N bytes a second (K, M, G suffixes allowed).
    #[arg(long, value_name = "N", value_parser = args::size)]
    max_rate: Option<u64>,

    #[command(flatten)]
    common: Common,
}

/// Receive a file into a folder: answer a push, or offer a pull (--pull).
///
/// The bytes go by Byte-Range into DIR/.msrp-SHA1.part (out-of-order and
/// re-sent pieces land in place), hashed as they come; at the end the
/// SHA-1 must be the selector's (a selector without one is accepted and
/// reported unverified), and the file is renamed to its name, or NAME-1.EXT,
/// NAME-2.EXT… if that exists: no file already there is ever touched. On a
/// failure the partial file and its record (.part.info) stay for a resume
/// (unless --discard-partial); on a hash mismatch they are removed.
/// Standard output, when it is not a terminal, gets JSON lines:
///
///   {"event":"bound","local_path":[..],"remote_path":[..]}
///   {"event":"started","name":"..","size":N,"sha1":"HEX"|null,"start":N}
///   {"event":"progress","bytes":N,"size":N}     (contiguous bytes on disk)
///   {"event":"received","path":"..","size":N,"sha1":"HEX","verified":true|false,"seconds":F,"max_rss_kib":N}
///   {"event":"failed","error":"..","resume_from":N|null,"partial":".."|null,"max_rss_kib":N}
///
/// A push that resumes (a=file-range) is taken when the partial copy here
/// has every byte before its start, and rejected (port 0) otherwise. A
/// pull resumes with --resume: the offer asks for the rest from the first
/// byte missing here.
///
/// Exit status 0 when the file is in place (verified, or unverified
/// without a hash); 1 otherwise; 2 for bad arguments.
#[derive(Debug, Args)]
#[command(
    verbatim_doc_comment,
    about = "Receive a file (answer a push, or --pull one)"
)]
pub(crate) struct ReceiveArgs {
    /// The folder for the file (it must exist).
    #[arg(long, value_name = "DIR")]
    out_dir: PathBuf,

    /// Offer to pull the file with this SHA-1 (40 hex digits, `:` allowed)
    /// or this name.
    #[arg(long, value_name = "SHA1|NAME")]
    pull: Option<String>,

    /// With --pull: resume from the partial copy in DIR (found by SHA-1,
    /// or by name).
    #[arg(long, requires = "pull")]
    resume: bool,

    /// On failure, remove the partial file instead of keeping it.
    #[arg(long)]
    discard_partial: bool,

    #[command(flatten)]
    common: Common,
}

impl Job for SendArgs {
    fn runtime(&self) -> RuntimeArg {
        self.common.runtime.runtime
    }

    async fn run<R: Runtime>(self, rt: R) -> Result<(), CliError> {
        send(rt, self).await
    }
}

impl Job for ReceiveArgs {
    fn runtime(&self) -> RuntimeArg {
        self.common.runtime.runtime
    }

    async fn run<R: Runtime>(self, rt: R) -> Result<(), CliError> {
        receive(rt, self).await
    }
}

/// One line of output.
#[derive(Debug, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
enum Event {
    Bound {
        local_path: Vec<String>,
        remote_path: Vec<String>,
    },
    Started {
        name: Option<String>,
        size: u64,
        sha1: Option<String>,
        start: u64,
    },
    Progress {
        bytes: u64,
        size: u64,
    },
    Sent {
        size: u64,
        sha1: String,
        seconds: f64,
        max_rss_kib: Option<u64>,
    },
    Received {
        path: String,
        size: u64,
        sha1: String,
        verified: bool,
        seconds: f64,
        max_rss_kib: Option<u64>,
    },
    Failed {
        error: String,
        resume_from: Option<u64>,
        partial: Option<String>,
        max_rss_kib: Option<u64>,
    },
}

/// JSON lines, or plain lines on a terminal.
struct Output {
    json: bool,
}

impl Output {
    fn new() -> Self {
        Self {
            json: !std::io::stdout().is_terminal(),
        }
    }

    fn event(&self, event: &Event) {
        use std::io::Write;
        let text = if self.json {
            serde_json::to_string(event).unwrap_or_default()
        } else {
            match event {
                Event::Bound { remote_path, .. } => {
                    format!("connected to {}", remote_path.join(" "))
                }
                Event::Started { size, start, .. } if *start > 1 => {
                    format!("resuming at byte {start} of {size}")
                }
                Event::Started { size, .. } => format!("transferring {size} bytes"),
                Event::Progress { .. } => return,
                Event::Sent { size, seconds, .. } => {
                    format!("sent {size} bytes in {seconds:.1} s; the receiver confirmed them all")
                }
                Event::Received {
                    path,
                    verified,
                    seconds,
                    ..
                } => format!(
                    "saved {path} in {seconds:.1} s ({})",
                    if *verified {
                        "SHA-1 verified"
                    } else {
                        "no SHA-1 in the offer: unverified"
                    }
                ),
                Event::Failed {
                    error, resume_from, ..
                } => match resume_from {
                    Some(n) => format!("failed: {error} (resumable from byte {n})"),
                    None => format!("failed: {error}"),
                },
            }
        };
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{text}").and_then(|()| out.flush());
    }
}

/// The endpoint settings and relay for one side.
fn endpoint(
    common: &Common,
    offerer: bool,
) -> Result<(EndpointConfig, Option<RelaySettings>, Option<SocketAddr>), CliError> {
    let mut config = EndpointConfig::default();
    if let Some(size) = common.chunk_size {
        config.protocol.chunk_size = size;
        config.protocol.relay_chunk_size = size;
    }
    let relay = common.relay.relay(common.insecure)?;
    let relay = match relay {
        Some(relay) => {
            config.tls_client = relay.tls.clone();
            Some(relay.settings)
        }
        None => None,
    };
    if common.tls {
        if offerer {
            config.tls_client = Some(match (&common.ca, common.insecure) {
                (Some(ca), _) => TlsClient::with_ca_file(ca)
                    .map_err(|e| CliError::usage(format!("--ca: {e}")))?,
                (None, true) => TlsClient::insecure(),
                (None, false) => {
                    return Err(CliError::usage(
                        "--tls as the offerer (it connects): give --ca FILE with the certificate \
                         to trust, or --insecure",
                    ));
                }
            });
        } else {
            let (Some(cert), Some(key)) = (&common.cert, &common.key) else {
                return Err(CliError::usage(
                    "--tls as the answerer (it listens): give --cert FILE and --key FILE",
                ));
            };
            config.tls_server = Some(
                TlsServer::from_pem_files(cert, key).map_err(|e| CliError::usage(e.to_string()))?,
            );
        }
    }
    let listen = match &common.bind {
        Some(HostPort { host, port }) => Some(
            format!(
                "{}:{port}",
                if host.contains(':') {
                    format!("[{host}]")
                } else {
                    host.clone()
                }
            )
            .parse::<SocketAddr>()
            .map_err(|_| CliError::usage(format!("--bind: {host} is not an IP address")))?,
        ),
        None => None,
    };
    Ok((config, relay, listen))
}

fn setup_failed(e: &TransferError) -> CliError {
    CliError::failed(e.to_string())
}

/// Prints the `failed` event of a transfer that could not start.
fn start_failed(out: &Output, e: &TransferError) -> CliError {
    out.event(&Event::Failed {
        error: e.to_string(),
        resume_from: None,
        partial: None,
        max_rss_kib: file_sdp::max_rss_kib(),
    });
    setup_failed(e)
}

async fn send<R: Runtime>(rt: R, args: SendArgs) -> Result<(), CliError> {
    let out = Output::new();
    let path = args.path.clone();
    // The SHA-1 first: the selector needs it (a thread: it reads the file).
    let (tx, rx) = futures_channel::oneshot::channel();
    let p = path.clone();
    std::thread::spawn(move || {
        let _ = tx.send(FileInfo::from_path(&p));
    });
    let mut info = rx
        .await
        .map_err(|_| CliError::failed("hashing the file stopped"))?
        .map_err(|e| CliError::usage(format!("{}: {e}", path.display())))?;
    if let Some(t) = &args.media_type {
        info.media_type = Some(t.clone());
    }
    info.disposition.clone_from(&args.disposition);
    info.icon.clone_from(&args.icon);
    let sha1 = sha1_hex(&info.sha1);
    let state_dir = args
        .state_dir
        .clone()
        .unwrap_or_else(file_sdp::default_state_dir);

    let (config, relay, listen) = endpoint(&args.common, !args.pulled)?;
    let mut sender = FileSender::new(rt.clone(), config, relay, path.clone(), info.clone());
    if let Some(addr) = listen {
        sender = sender.listen_on(addr);
    }
    if let Some(rate) = args.max_rate {
        sender = sender.max_rate(rate);
    }
    let common = &args.common;
    let remote = if args.pulled {
        let offer = file_sdp::read(&rt, common.offer.as_deref(), common.sdp_timeout).await?;
        match sender.answer(&offer).await {
            Ok(answer) => {
                file_sdp::write(&answer, common.answer.as_deref())?;
                offer
            }
            Err(e) => {
                file_sdp::write(&reject(&offer), common.answer.as_deref())?;
                return Err(setup_failed(&e));
            }
        }
    } else {
        let start = match (args.resume_from, args.resume) {
            (Some(n), _) => n,
            (None, true) => SendRecord::load(&state_dir, &sha1)
                .filter(|r| r.size == info.size)
                .and_then(|r| msrp_chat::file::resume_start(r.confirmed, r.size))
                .unwrap_or(1),
            (None, false) => 1,
        };
        let offer = sender.offer(start).await.map_err(|e| setup_failed(&e))?;
        file_sdp::write(&offer, common.offer.as_deref())?;
        file_sdp::read(&rt, common.answer.as_deref(), common.sdp_timeout).await?
    };
    let transfer = sender
        .start(&remote)
        .await
        .map_err(|e| start_failed(&out, &e))?;
    let record = |confirmed| SendRecord {
        sha1: sha1.clone(),
        size: info.size,
        path: path.display().to_string(),
        confirmed,
    };
    let name = Some(info.name.clone());
    let result = follow(
        &rt,
        transfer,
        &out,
        common.timeout,
        "sending",
        |event| match event {
            Tick::Started(size, start) => Some(Event::Started {
                name: name.clone(),
                size,
                sha1: Some(sha1.clone()),
                start,
            }),
            Tick::Progress(bytes) => {
                // What the receiver confirmed is all a resume may rely on.
                if !args.pulled && record(bytes).save(&state_dir).is_err() {
                    eprintln!(
                        "msrp file send: cannot write the resume record in {}",
                        state_dir.display()
                    );
                }
                None
            }
        },
    )
    .await;
    match result {
        Ok(Done::Sent(size, seconds)) => {
            SendRecord::remove(&state_dir, &sha1);
            out.event(&Event::Sent {
                size,
                sha1: sha1.clone(),
                seconds,
                max_rss_kib: file_sdp::max_rss_kib(),
            });
            Ok(())
        }
        Ok(Done::Received(..)) => Err(CliError::failed("the transfer went the wrong way")),
        Err((error, resume_from, _)) => {
            out.event(&Event::Failed {
                error: error.clone(),
                resume_from,
                partial: None,
                max_rss_kib: file_sdp::max_rss_kib(),
            });
            Err(CliError::failed(error))
        }
    }
}

/// The selector for `--pull`: a SHA-1, or a name (completed by the
/// partial record of that name when resuming).
fn wanted(value: &str, out_dir: &Path, resume: bool) -> Result<FileSelector, CliError> {
    if let Some(sha1) = parse_sha1_hex(value.trim()) {
        return Ok(FileSelector {
            hashes: vec![FileHash::sha1(sha1)],
            ..FileSelector::default()
        });
    }
    let mut selector = FileSelector {
        name: Some(value.to_owned()),
        ..FileSelector::default()
    };
    if resume {
        let records = PartialRecord::all(out_dir)
            .map_err(|e| CliError::failed(format!("{}: {e}", out_dir.display())))?;
        if let Some(r) = records.into_iter().find(|r| r.name == value) {
            selector.hashes = vec![FileHash::sha1(r.sha1)];
            selector.size = Some(r.size);
        }
    }
    Ok(selector)
}

async fn receive<R: Runtime>(rt: R, args: ReceiveArgs) -> Result<(), CliError> {
    let out = Output::new();
    if !args.out_dir.is_dir() {
        return Err(CliError::usage(format!(
            "--out-dir {}: not a folder (create it first)",
            args.out_dir.display()
        )));
    }
    let pull = args.pull.is_some();
    let (config, relay, listen) = endpoint(&args.common, pull)?;
    let mut options = ReceiveOptions::new(args.out_dir.clone());
    options.keep_partial = !args.discard_partial;
    let mut receiver = FileReceiver::new(rt.clone(), config, relay, options);
    if let Some(addr) = listen {
        receiver = receiver.listen_on(addr);
    }
    let common = &args.common;
    let (remote, selector) = match &args.pull {
        Some(value) => {
            let wanted = wanted(value, &args.out_dir, args.resume)?;
            let offer = receiver
                .offer(wanted.clone(), args.resume)
                .await
                .map_err(|e| setup_failed(&e))?;
            file_sdp::write(&offer, common.offer.as_deref())?;
            let answer = file_sdp::read(&rt, common.answer.as_deref(), common.sdp_timeout).await?;
            (answer, wanted)
        }
        None => {
            let offer = file_sdp::read(&rt, common.offer.as_deref(), common.sdp_timeout).await?;
            match receiver.answer(&offer).await {
                Ok(answer) => file_sdp::write(&answer, common.answer.as_deref())?,
                Err(e) => {
                    // The peer learns it from the rejected stream (port 0).
                    file_sdp::write(&reject(&offer), common.answer.as_deref())?;
                    out.event(&Event::Failed {
                        error: e.to_string(),
                        resume_from: None,
                        partial: None,
                        max_rss_kib: file_sdp::max_rss_kib(),
                    });
                    return Err(setup_failed(&e));
                }
            }
            let selector = offer.file.selector.clone().unwrap_or_default();
            (offer, selector)
        }
    };
    let mut selector = selector;
    if let Some(theirs) = remote.file.selector.as_ref() {
        if selector.sha1().is_none() {
            selector.hashes.clone_from(&theirs.hashes);
        }
        if selector.name.is_none() {
            selector.name.clone_from(&theirs.name);
        }
    }
    let transfer = receiver
        .start(&remote)
        .await
        .map_err(|e| start_failed(&out, &e))?;
    let result = follow(
        &rt,
        transfer,
        &out,
        common.timeout,
        "receiving",
        |event| match event {
            Tick::Started(size, start) => Some(Event::Started {
                name: selector.name.clone(),
                size,
                sha1: selector.sha1().map(|d| sha1_hex(&d)),
                start,
            }),
            Tick::Progress(..) => None,
        },
    )
    .await;
    match result {
        Ok(Done::Received(path, size, verification, seconds)) => {
            out.event(&Event::Received {
                path: path.display().to_string(),
                size,
                sha1: sha1_hex(&verification.sha1()),
                verified: verification.is_verified(),
                seconds,
                max_rss_kib: file_sdp::max_rss_kib(),
            });
            Ok(())
        }
        Ok(Done::Sent(..)) => Err(CliError::failed("the transfer went the wrong way")),
        Err((error, resume_from, partial)) => {
            out.event(&Event::Failed {
                error: error.clone(),
                resume_from,
                partial: partial.map(|p| p.display().to_string()),
                max_rss_kib: file_sdp::max_rss_kib(),
            });
            Err(CliError::failed(error))
        }
    }
}

/// What [`follow`] hands the subcommand to add its own details to.
enum Tick {
    /// Size and start.
    Started(u64, u64),
    /// Bytes confirmed.
    Progress(u64),
}

/// How a transfer ended well.
enum Done {
    Sent(u64, f64),
    Received(PathBuf, u64, Verification, f64),
}

type Failure = (String, Option<u64>, Option<PathBuf>);

/// Prints a transfer's events until its end; `--timeout` cancels it (and
/// still waits for its last event, so a receiver's partial file is saved).
async fn follow<R: Runtime>(
    rt: &R,
    mut transfer: Transfer,
    out: &Output,
    limit: Option<Duration>,
    label: &str,
    mut on: impl FnMut(Tick) -> Option<Event>,
) -> Result<Done, Failure> {
    let began = Instant::now();
    let deadline = limit.map(|l| rt.now() + l);
    let mut bar = None;
    let mut timed_out = false;
    loop {
        let event = match deadline.filter(|_| !timed_out) {
            Some(at) => {
                let mut timer = rt.timer(at);
                let fire = std::future::poll_fn(|cx| timer.poll_fire(cx));
                futures_util::select! {
                    e = transfer.next_event().fuse() => e,
                    () = fire.fuse() => {
                        timed_out = true;
                        transfer.cancel();
                        continue;
                    }
                }
            }
            None => transfer.next_event().await,
        };
        let Some(event) = event else {
            return Err(("the transfer ended without a result".into(), None, None));
        };
        match event {
            TransferEvent::Connected {
                local_path,
                remote_path,
            } => out.event(&Event::Bound {
                local_path: local_path.iter().map(ToString::to_string).collect(),
                remote_path: remote_path.iter().map(ToString::to_string).collect(),
            }),
            TransferEvent::Started { size, start, .. } => {
                let b = progress::bytes(size, label);
                b.set_position(start - 1);
                bar = Some(b);
                if let Some(e) = on(Tick::Started(size, start)) {
                    out.event(&e);
                }
            }
            TransferEvent::Progress { bytes, size } => {
                if let Some(b) = &bar {
                    b.set_position(bytes);
                }
                if let Some(e) = on(Tick::Progress(bytes)) {
                    out.event(&e);
                }
                out.event(&Event::Progress { bytes, size });
            }
            TransferEvent::Sent { size } => {
                finish_bar(bar.take());
                return Ok(Done::Sent(size, began.elapsed().as_secs_f64()));
            }
            TransferEvent::Received {
                path,
                size,
                verification,
            } => {
                finish_bar(bar.take());
                return Ok(Done::Received(
                    path,
                    size,
                    verification,
                    began.elapsed().as_secs_f64(),
                ));
            }
            TransferEvent::Failed {
                error,
                resume_from,
                partial,
            } => {
                finish_bar(bar.take());
                let error = if timed_out {
                    format!(
                        "gave up after {} s (--timeout)",
                        limit.unwrap_or_default().as_secs_f64()
                    )
                } else {
                    error.to_string()
                };
                return Err((error, resume_from, partial));
            }
            _ => {}
        }
    }
}

fn finish_bar(bar: Option<indicatif::ProgressBar>) {
    if let Some(b) = bar {
        b.finish_and_clear();
    }
}
