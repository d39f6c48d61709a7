//! `msrp listen`: the answering endpoint (an `AcceptorDirect`).

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use futures_channel::oneshot;
use msrp_endpoint::{
    DEFAULT_PORT, EndpointConfig, Error, Runtime, Session, TlsServer, Transport, get_acceptor,
};
use msrp_proto::MsrpUri;
use msrp_proto::connection::CloseReason;

use crate::args::{self, HostPort, PathSource};
use crate::error::{CliError, Side, setup_error};
use crate::json::{self, Event, Out};
use crate::receive::{Received, Receiver};
use crate::relay::RelayArgs;
use crate::runtime::{Job, RuntimeArg, RuntimeFlag};

/// Answer one MSRP session and print what arrives.
///
/// Line 1 is this side's full path (the SDP `a=path` value, URIs separated by
/// spaces), printed before waiting for the peer: give it to the calling side
/// (`msrp send --to-path`). Then one JSON object per line:
///
///   {"event":"bound","local_path":[..],"remote_path":[..]}
///   {"event":"message","message_id":"..","content_type":"..","size":N,"sha256":"HEX","chunks":N}
///   {"event":"aborted","message_id":"..","received":N}
///   {"event":"closed","reason":".."}
///
/// The library answers as RFC 4975 says: 200 responses, success REPORTs
/// when asked, 415 for types outside --accept-types. Exit status 0 after
/// --count messages or, without --count, when the peer closes cleanly; 1 on
/// errors (nobody came in time, a TLS failure, the connection lost, the
/// session ending before --count messages); 2 for bad arguments.
#[derive(Debug, Args)]
#[command(
    verbatim_doc_comment,
    about = "Answer one MSRP session and print what arrives (JSON lines)"
)]
pub(crate) struct ListenArgs {
    /// Address to listen on; port 0 picks a free port (line 1 shows it).
    /// Not with --relay: the peer then comes through the relay.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:2855", value_parser = args::host_port, conflicts_with = "relay")]
    bind: HostPort,

    /// Session id of this side's URI [default: a fresh random id].
    #[arg(long, value_name = "ID", value_parser = args::session_id)]
    session_id: Option<String>,

    /// The peer's full path (its From-Path): one or more URIs, or `-` to read
    /// them from one line of standard input (after line 1 is printed).
    /// Without it, any peer that binds to this side's URI is accepted.
    #[arg(long, value_name = "URI", num_args = 1.., value_parser = args::path_source)]
    remote_path: Vec<PathSource>,

    /// Use TLS (msrps): needs --cert and --key.
    #[arg(long, requires_all = ["cert", "key"], conflicts_with = "relay")]
    tls: bool,

    /// PEM certificate chain for --tls.
    #[arg(long, value_name = "FILE", requires = "tls")]
    cert: Option<PathBuf>,

    /// PEM private key for --tls.
    #[arg(long, value_name = "FILE", requires = "tls")]
    key: Option<PathBuf>,

    /// Content types to accept, comma-separated (`*` or `type/*` allowed);
    /// others are refused with 415.
    #[arg(long, value_name = "T,...", value_delimiter = ',', default_value = "*")]
    accept_types: Vec<String>,

    /// Write each message's body to DIR/MESSAGE-ID as it arrives (an
    /// aborted message's partial file is removed).
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,

    /// Exit after N complete messages.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    count: Option<u64>,

    /// Give up when nothing happens for this long: no peer connecting and
    /// binding, or once bound, no byte arriving. 0 waits forever.
    #[arg(long, value_name = "SECONDS", default_value = "60", value_parser = args::seconds_or_never)]
    idle_timeout: Duration,

    #[command(flatten)]
    relay: RelayArgs,

    /// For an msrps relay: accept any certificate (tests only: no
    /// protection against an attacker in the path).
    #[arg(long, requires = "relay", conflicts_with = "relay_ca")]
    insecure: bool,

    #[command(flatten)]
    runtime: RuntimeFlag,
}

impl Job for ListenArgs {
    fn runtime(&self) -> RuntimeArg {
        self.runtime.runtime
    }

    async fn run<R: Runtime>(self, rt: R) -> Result<(), CliError> {
        run(rt, self, &Out).await
    }
}

/// "Forever", for the library's timeouts (which need a duration).
const FOREVER: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

async fn run<R: Runtime>(rt: R, args: ListenArgs, out: &Out) -> Result<(), CliError> {
    let remote = args::join_path_sources(args.remote_path)
        .map_err(|e| CliError::usage(format!("invalid value for '--remote-path <URI>': {e}")))?;
    let remote = (!matches!(&remote, PathSource::Uris(u) if u.is_empty())).then_some(remote);

    let idle = (!args.idle_timeout.is_zero()).then_some(args.idle_timeout);
    let mut config = EndpointConfig::default();
    config.accept_types = args.accept_types;
    config.bind_timeout = idle.unwrap_or(FOREVER);
    config.protocol.idle_timeout = idle;
    if args.tls {
        let (Some(cert), Some(key)) = (&args.cert, &args.key) else {
            return Err(CliError::usage("--tls needs --cert FILE and --key FILE"));
        };
        let tls =
            TlsServer::from_pem_files(cert, key).map_err(|e| CliError::usage(e.to_string()))?;
        config.tls_server = Some(tls);
    }
    if let Some(dir) = &args.out_dir {
        if !dir.is_dir() {
            return Err(CliError::usage(format!(
                "--out-dir {}: not a folder (create it first)",
                dir.display()
            )));
        }
    }

    let relay = args.relay.relay(args.insecure)?;
    let session_id = args.session_id.unwrap_or_else(args::random_session_id);
    let local_path = match relay {
        Some(relay) => {
            config.tls_client = relay.tls;
            // Behind a relay the local URI is only a name: the relay's URI
            // is what the peer reaches.
            let local_uri = MsrpUri::builder(&config.local_host)
                .secure(relay.settings.uri().is_ok_and(|u| u.is_secure()))
                .port(DEFAULT_PORT)
                .session_id(&session_id)
                .build()
                .map_err(|e| CliError::usage(e.to_string()))?;
            let mut acceptor = get_acceptor(rt.clone(), config, Some(relay.settings));
            let path = acceptor
                .prepare(Some(local_uri))
                .await
                .map_err(|e| CliError::failed(e.to_string()))?;
            (acceptor, path)
        }
        None => {
            let local_uri = MsrpUri::builder(&args.bind.host)
                .secure(args.tls)
                .port(args.bind.port)
                .session_id(&session_id)
                .build()
                .map_err(|e| CliError::usage(format!("--bind {}: {e}", args.bind.host)))?;
            let mut acceptor = get_acceptor(rt.clone(), config, None);
            let path = acceptor.prepare(Some(local_uri)).await.map_err(|e| {
                CliError::failed(format!(
                    "cannot listen on {}:{}: {}",
                    args.bind.host,
                    args.bind.port,
                    match e {
                        Error::Io(io) => io.to_string(),
                        other => other.to_string(),
                    }
                ))
            })?;
            (acceptor, path)
        }
    };
    let (mut acceptor, local_path) = local_path;
    out.line(&json::path_line(&local_path));

    let transport = match remote {
        None => acceptor.complete_any().await,
        Some(PathSource::Uris(uris)) => acceptor.complete(&uris).await,
        Some(PathSource::Stdin) => {
            let uris = read_path_line(&rt, idle).await?;
            acceptor.complete(&uris).await
        }
    }
    .map_err(|e| setup_error(&e, Side::Accepting, "the peer"))?;
    receive(transport, args.out_dir, args.count, out).await
}

/// Reads the peer's path from one line of standard input. A thread, not a
/// runtime task, so that a reader still blocked at exit cannot hold the
/// process up.
async fn read_path_line<R: Runtime>(
    rt: &R,
    timeout: Option<Duration>,
) -> Result<Vec<MsrpUri>, CliError> {
    let (tx, rx) = oneshot::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = tx.send(std::io::stdin().read_line(&mut line).map(|n| (n, line)));
    });
    let waited = match timeout {
        Some(t) => msrp_endpoint::timeout(rt, t, rx).await.ok_or_else(|| {
            CliError::failed("no path arrived on standard input in time (--remote-path -)")
        })?,
        None => rx.await,
    };
    match waited {
        Ok(Ok((0, _))) => Err(CliError::usage(
            "--remote-path -: standard input ended before a path line",
        )),
        Ok(Ok((_, line))) => args::path_line(&line).map_err(|e| {
            CliError::usage(format!(
                "invalid value '{}' on standard input for '--remote-path -': {e}",
                line.trim()
            ))
        }),
        Ok(Err(e)) => Err(CliError::failed(format!("cannot read standard input: {e}"))),
        Err(_) => Err(CliError::failed("cannot read standard input")),
    }
}

/// Prints what arrives until --count messages or the end of the session.
async fn receive(
    transport: Transport,
    out_dir: Option<PathBuf>,
    count: Option<u64>,
    out: &Out,
) -> Result<(), CliError> {
    out.event(&Event::Bound {
        local_path: json::uris(transport.local_path()),
        remote_path: json::uris(transport.remote_path()),
    });
    let file_error = |e: std::io::Error| CliError::failed(e.to_string());
    let mut session = Session::new(transport);
    let mut receiver = Receiver::new(out_dir).map_err(file_error)?;
    let mut messages = 0u64;
    while let Some(item) = session.next_incoming().await {
        let received = receiver.take(item).await.map_err(file_error)?;
        if let Received::Event(event) = received {
            let complete = matches!(event, Event::Message { .. });
            out.event(&event);
            messages += u64::from(complete);
            if count.is_some_and(|n| messages >= n) {
                receiver.close().await.map_err(file_error)?;
                // Waits until the connection has sent every response and
                // REPORT it owes and closed.
                session.shutdown().await;
                out.event(&Event::Closed {
                    reason: CloseReason::LocallyClosed.to_string(),
                });
                return Ok(());
            }
        }
    }
    // Bytes of a message cut off by the end are on disk before the end is
    // reported, as they were when each piece was written at once.
    receiver.close().await.map_err(file_error)?;
    // The session is over: the error the session gives now is the reason.
    let reason = match session.receive_message().await {
        Err(Error::Closed(reason)) => reason,
        _ => CloseReason::PeerClosed,
    };
    out.event(&Event::Closed {
        reason: reason.to_string(),
    });
    match (reason, count) {
        (CloseReason::PeerClosed, None) => Ok(()),
        // A script asking for N messages must not mistake fewer for success.
        (reason, Some(n)) => Err(CliError::failed(format!(
            "the session ended after {messages} of {n} messages: {reason}"
        ))),
        (reason, None) => Err(CliError::failed(format!(
            "the session ended badly: {reason}"
        ))),
    }
}
