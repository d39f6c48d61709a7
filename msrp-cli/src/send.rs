//! `msrp send`: the calling endpoint (a `ConnectorDirect`).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use bytes::Bytes;
use clap::Args;
use futures_channel::oneshot;
use msrp_endpoint::{EndpointConfig, OutgoingHandle, Runtime, Session, TlsClient, get_connector};
use msrp_proto::MsrpUri;
use msrp_proto::connection::{Outcome, OutgoingMessage};
use sha2::{Digest, Sha256};

use crate::args::{self, FailureArg, SuccessArg, Uris};
use crate::error::{CliError, Side, setup_error};
use crate::file_source;
use crate::json::{self, Event, Out};
use crate::progress;
use crate::relay::RelayArgs;
use crate::runtime::{self, Job, RuntimeArg, RuntimeFlag};

/// Send text messages and a file to an MSRP peer.
///
/// Line 1 is this side's full path: the peer expects it as From-Path (give
/// it to `msrp listen --remote-path`). Then one JSON object per line:
///
///   {"event":"bound","local_path":[..],"remote_path":[..]}
///   {"event":"sent","message_id":"..","size":N,"sha256":"HEX","outcome":"delivered"|"sent"|"failed","code":N,"comment":"..","seconds":F}
///   {"event":"summary","messages":N,"bytes":N,"seconds":F,"ok":true|false}
///
/// One "sent" line per message: the texts in order, then the file. "seconds"
/// runs from queueing the message to its outcome. A message is "delivered"
/// (code 200, comment "OK") when the peer confirmed it as the report settings
/// ask (a 200 for every chunk, and with --success-report yes a REPORT). With
/// --failure-report no or partial and --success-report no the peer confirms
/// nothing: such a message is "sent" (code 200, comment "OK") once every byte
/// was written and no error came back — with partial, no error response
/// within --linger, or before the peer closed the connection cleanly.
/// Anything else is "failed" with the peer's status (408 for a timeout or a
/// lost connection, 0 for a file read error); a file that was not read to
/// the end has an empty "sha256".
///
/// The session uses TLS when the first URI of --to-path is msrps. Exit status
/// 0 only if every message reached the outcome its report settings allow
/// ("delivered", or "sent" where nothing is confirmed); 1 otherwise or on
/// errors (nobody listening, TLS failure, --timeout); 2 for bad arguments.
#[derive(Debug, Args)]
#[command(
    verbatim_doc_comment,
    about = "Send text messages and a file to an MSRP peer (JSON lines)"
)]
pub(crate) struct SendArgs {
    /// The peer's full path (what `msrp listen` prints first): one or more
    /// URIs, as separate words or as one quoted line.
    #[arg(long, value_name = "URI", num_args = 1.., required = true, value_parser = args::uri_list)]
    to_path: Vec<Uris>,

    /// Session id of this side's URI [default: a fresh random id].
    #[arg(long, value_name = "ID", value_parser = args::session_id)]
    session_id: Option<String>,

    /// A text/plain message; repeat for several (sent in order, before --file).
    #[arg(long, value_name = "TEXT")]
    text: Vec<String>,

    /// A file to send as one message, streamed in pieces of --chunk-size
    /// (never read whole into memory).
    #[arg(long, value_name = "PATH")]
    file: Option<PathBuf>,

    /// Content-Type of --file.
    #[arg(long, value_name = "T", default_value = "application/octet-stream", value_parser = args::content_type)]
    content_type: String,

    /// Largest chunk body in bytes (K, M suffixes allowed) [default: 65536,
    /// or 10240 when a relay is in the path: relays drop larger frames].
    #[arg(long, value_name = "N", value_parser = args::chunk_size)]
    chunk_size: Option<usize>,

    /// Ask the peer to confirm each message with a success REPORT.
    #[arg(long, value_name = "yes|no", value_enum, default_value = "no")]
    success_report: SuccessArg,

    /// Which chunks the peer answers: all (yes), none (no), errors only.
    #[arg(long, value_name = "yes|no|partial", value_enum, default_value = "yes")]
    failure_report: FailureArg,

    /// For msrps: trust the certificates in this PEM file (the listener's
    /// self-signed certificate, or its CA).
    #[arg(long, value_name = "FILE", conflicts_with = "insecure")]
    ca: Option<PathBuf>,

    /// For msrps (the peer's or the relay's): accept any certificate
    /// (tests only: no protection against an attacker in the path).
    #[arg(long)]
    insecure: bool,

    #[command(flatten)]
    relay: RelayArgs,

    /// With --failure-report partial, how long to wait after a message's
    /// last byte for an error response before reporting it "sent" (the peer
    /// answers only errors; the RFC's transaction timeout is 30 s). 0 reports
    /// it as soon as its last byte is written.
    #[arg(long, value_name = "SECONDS", default_value = "0", value_parser = args::seconds_or_zero)]
    linger: Duration,

    /// Give up when the whole run (connecting, sending, confirmations) takes
    /// longer than this [default: no limit beyond the protocol's own 30 s
    /// timeouts for connecting, binding and each response].
    #[arg(long, value_name = "SECONDS", value_parser = args::seconds)]
    timeout: Option<Duration>,

    #[command(flatten)]
    runtime: RuntimeFlag,
}

impl Job for SendArgs {
    fn runtime(&self) -> RuntimeArg {
        self.runtime.runtime
    }

    async fn run<R: Runtime>(self, rt: R) -> Result<(), CliError> {
        run(rt, self, &Out).await
    }
}

/// The default MSRP port (RFC 4975 §15.5): this side's URI carries it, as
/// msrplib's does; the peer matches the URI against the SDP, never against
/// the socket.
const MSRP_PORT: u16 = 2855;

async fn run<R: Runtime>(rt: R, args: SendArgs, out: &Out) -> Result<(), CliError> {
    match args.timeout {
        Some(limit) => msrp_endpoint::timeout(&rt, limit, send(rt.clone(), args, out))
            .await
            .ok_or_else(|| {
                CliError::failed(format!(
                    "gave up after {} s (--timeout)",
                    limit.as_secs_f64()
                ))
            })?,
        None => send(rt, args, out).await,
    }
}

/// A message on its way: what the "sent" line needs.
struct Pending {
    id: String,
    size: u64,
    sha256: String,
    /// The outcome and when it came, from a task, so that the time is taken
    /// when the outcome arrives, not when this side gets round to asking.
    outcome: oneshot::Receiver<(Outcome, Instant)>,
    started: Instant,
}

fn track<R: Runtime>(
    rt: &R,
    handle: OutgoingHandle,
    size: u64,
    sha256: String,
    started: Instant,
) -> Pending {
    let id = handle.id().as_str().to_owned();
    Pending {
        id,
        size,
        sha256,
        outcome: runtime::spawn(rt, async move { (handle.outcome().await, Instant::now()) }),
        started,
    }
}

async fn send<R: Runtime>(rt: R, args: SendArgs, out: &Out) -> Result<(), CliError> {
    let to_path: Vec<MsrpUri> = args.to_path.into_iter().flat_map(|u| u.0).collect();
    let first = to_path
        .first()
        .cloned()
        .ok_or_else(|| CliError::usage("--to-path needs a URI"))?;
    let mut config = EndpointConfig::default();
    if let Some(size) = args.chunk_size {
        config.protocol.chunk_size = size;
        config.protocol.relay_chunk_size = size;
    }
    let chunk_size = config.protocol.chunk_size;
    config.protocol.partial_report_wait = args.linger;
    let relay = args.relay.relay(args.insecure)?;
    if let Some(relay) = &relay {
        // The peer is reached through the relay: TLS is the relay's.
        config.tls_client = relay.tls.clone();
    } else if first.is_secure() {
        config.tls_client = Some(match (&args.ca, args.insecure) {
            (Some(ca), _) => {
                TlsClient::with_ca_file(ca).map_err(|e| CliError::usage(format!("--ca: {e}")))?
            }
            (None, true) => TlsClient::insecure(),
            (None, false) => {
                return Err(CliError::usage(format!(
                    "{first} uses TLS (msrps): give --ca FILE with the certificate to trust, \
                     or --insecure to trust any"
                )));
            }
        });
    }
    // Open the file first: a typo should not cost a connection.
    let file = match &args.file {
        Some(path) => Some(
            file_source::open(path)
                .map(|(f, size)| (path.clone(), f, size))
                .map_err(|e| CliError::usage(format!("--file {}: {e}", path.display())))?,
        ),
        None => None,
    };

    let session_id = args.session_id.unwrap_or_else(args::random_session_id);
    let secure = match &relay {
        Some(relay) => relay.settings.uri().is_ok_and(|u| u.is_secure()),
        None => first.is_secure(),
    };
    let local_uri = MsrpUri::builder(&config.local_host)
        .secure(secure)
        .port(MSRP_PORT)
        .session_id(&session_id)
        .build()
        .map_err(|e| CliError::usage(e.to_string()))?;
    let mut connector = get_connector(rt.clone(), config, relay.map(|r| r.settings));
    let local_path = connector
        .prepare(Some(local_uri))
        .await
        .map_err(|e| CliError::failed(e.to_string()))?;
    out.line(&json::path_line(&local_path));

    let peer = format!("{}:{}", first.host_str(), first.port().unwrap_or(MSRP_PORT));
    let transport = connector
        .complete(&to_path)
        .await
        .map_err(|e| setup_error(&e, Side::Connecting, &peer))?;
    out.event(&Event::Bound {
        local_path: json::uris(transport.local_path()),
        remote_path: json::uris(transport.remote_path()),
    });
    let session = Session::new(transport);
    let began = Instant::now();
    let report = |m: OutgoingMessage| {
        m.success_report(args.success_report.into())
            .failure_report(args.failure_report.into())
    };

    let mut pending = Vec::new();
    for text in args.text {
        let body = Bytes::from(text);
        let sha256 = hex::encode(Sha256::digest(&body));
        let size = body.len() as u64;
        let started = Instant::now();
        let handle = session
            .send_message(report(OutgoingMessage::new("text/plain").body(body)))
            .await
            .map_err(|e| CliError::failed(format!("cannot send a text: {e}")))?;
        pending.push(track(&rt, handle, size, sha256, started));
    }
    let mut file_error = None;
    if let Some((path, file, size)) = file {
        let mut message = report(OutgoingMessage::new(args.content_type.clone()).size(size));
        if let Some(name) = attachment_name(&path) {
            message = message.header(
                "Content-Disposition",
                format!("attachment; filename=\"{name}\""),
            );
        }
        let (item, error) = send_file(&rt, &session, message, file, size, chunk_size).await?;
        pending.push(item);
        file_error = error.map(|e| format!("cannot read {}: {e}", path.display()));
    }

    let mut ok = true;
    let mut bytes = 0;
    let messages = pending.len();
    for item in pending {
        let (outcome, at) = item.outcome.await.unwrap_or((
            Outcome::Failed {
                code: 0,
                comment: "lost".into(),
            },
            Instant::now(),
        ));
        let (word, code, comment) = match outcome {
            Outcome::Delivered => ("delivered", 200, "OK".to_owned()),
            // Only given when the report settings ask for no confirmation.
            Outcome::Sent => ("sent", 200, "OK".to_owned()),
            Outcome::Failed { code, comment } => ("failed", code, comment),
            _ => (
                "failed",
                0,
                file_error
                    .take()
                    .unwrap_or_else(|| "aborted by this side".into()),
            ),
        };
        ok &= code == 200;
        bytes += item.size;
        out.event(&Event::Sent {
            message_id: item.id,
            size: item.size,
            sha256: item.sha256,
            outcome: word,
            code,
            comment,
            seconds: at.duration_since(item.started).as_secs_f64(),
        });
    }
    out.event(&Event::Summary {
        messages,
        bytes,
        seconds: began.elapsed().as_secs_f64(),
        ok,
    });
    // Returns once the connection has written everything and closed (TLS
    // close_notify included), so the peer sees a clean end.
    session.shutdown().await;
    if ok {
        Ok(())
    } else {
        Err(CliError::failed("not every message was delivered"))
    }
}

/// Streams a file as one message; gives its tracking and, if reading the
/// file failed, why (the message is then aborted).
async fn send_file<R: Runtime>(
    rt: &R,
    session: &Session,
    message: OutgoingMessage,
    file: std::fs::File,
    size: u64,
    piece: usize,
) -> Result<(Pending, Option<std::io::Error>), CliError> {
    let started = Instant::now();
    let mut writer = session
        .begin_message(message)
        .await
        .map_err(|e| CliError::failed(format!("cannot send the file: {e}")))?;
    let bar = progress::bytes(size, "sending");
    let file_source::FileSource { pieces, sha256 } = file_source::read(file, size, piece);
    let mut read_error = None;
    let mut refused = false;
    while let Ok(piece) = pieces.recv().await {
        match piece {
            Ok(data) => {
                let n = data.len() as u64;
                // An error here means the message already has its outcome
                // (the peer refused it, or the connection went): stop and
                // report that outcome.
                if writer.write(data).await.is_err() {
                    refused = true;
                    break;
                }
                bar.inc(n);
            }
            Err(e) => {
                read_error = Some(e);
                break;
            }
        }
    }
    bar.finish_and_clear();
    // Stops the reader if the message ended early (it then gives no hash).
    drop(pieces);
    let handle = if read_error.is_some() || refused {
        writer.abort()
    } else {
        Some(
            writer
                .finish()
                .await
                .map_err(|e| CliError::failed(format!("cannot finish the file: {e}")))?,
        )
    };
    let handle = handle.ok_or_else(|| CliError::failed("the file's message vanished"))?;
    let sha256 = sha256.await.unwrap_or_default();
    Ok((track(rt, handle, size, sha256, started), read_error))
}

/// The file name for Content-Disposition, when it needs no quoting.
fn attachment_name(path: &std::path::Path) -> Option<String> {
    let name = path.file_name()?.to_str()?;
    let plain = name
        .chars()
        .all(|c| c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ');
    plain.then(|| name.to_owned())
}
