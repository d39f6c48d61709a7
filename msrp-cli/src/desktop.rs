//! `msrp desktop serve|view`: desktop sharing (sipsimple's
//! `MSRPDesktopSharing`), a VNC connection tunnelled through an MSRP
//! session by `msrp_chat::desktop`.

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::{Args, Subcommand};
use msrp_chat::desktop::{
    BridgeReport, DesktopConfig, DesktopRole, DesktopSession, DesktopStream, ViewerListener,
    connect_vnc_server,
};
use msrp_chat::stream::StreamError;
use msrp_endpoint::{BoxIo, EndpointConfig, Runtime, TlsClient, TlsServer};
use msrp_proto::MsrpUri;
use serde::Serialize;

use crate::args::{self, HostPort, Uris};
use crate::error::{CliError, Side, setup_error};
use crate::json::{self, Out};
use crate::relay::RelayArgs;
use crate::runtime::{self, Job, RuntimeArg, RuntimeFlag};

/// Share a desktop: tunnel a VNC (RFB) connection through an MSRP session.
///
/// On the machine with the VNC server, `msrp desktop serve --vnc HOST:PORT`;
/// on the viewer's, `msrp desktop view --listen HOST:PORT`, then point a VNC
/// viewer at that address. The SDP roles are sipsimple's: the viewing side
/// is a=rfbsetup:active, the serving side passive.
///
/// Who answers: the side without --to-path answers (it listens on --bind, or
/// waits at its --relay) and prints its path as line 1; the side with
/// --to-path calls that path, and prints its own path as line 1 too. Either
/// subcommand may take either part:
///
///   msrp desktop serve --vnc 127.0.0.1:5900 --bind 127.0.0.1:0     # line 1: PATH
///   msrp desktop view --listen 127.0.0.1:5999 --to-path "PATH"
///
/// Then one JSON object per line on stdout:
///
///   {"event":"listening","address":"HOST:PORT"}     (view: where the VNC viewer connects)
///   {"event":"bound","local_path":[..],"remote_path":[..]}
///   {"event":"started","role":"server"|"viewer","local":"HOST:PORT"}
///   {"event":"closed","reason":"..","clean":true|false,"bytes_to_peer":N,"bytes_from_peer":N,
///    "messages_to_peer":N,"messages_from_peer":N,"largest_from_peer":N,"seconds":F}
///
/// "serve" connects to the VNC server once the peer is there; "view" takes
/// one VNC viewer once the session is bound (the peer's first bytes wait
/// for it). Each read of the local socket (at most 8 KiB) goes out as one
/// application/x-rfb message with Success-Report no and Failure-Report
/// partial; at most 128 KiB read and not yet sent, and the local socket is
/// not read while the peer does not take more. When either local socket
/// closes, the session ends and the other side closes its own.
///
/// Through relays: a relay does not pass on the end of the peer's
/// connection. The side still running learns it from its next keep-alive
/// (--keepalive), which the relay next to the gone peer refuses, when that
/// relay is its own first hop (one side behind a relay). With both sides
/// behind relays that answer hop by hop and send no REPORTs (Kamailio's
/// msrp module), it does not: it ends when its own local socket closes, or
/// by signalling outside this command (SIP's BYE).
///
/// Exit status 0 when the tunnel ended in order (a local socket closed, or
/// the peer ended the session); 1 on errors (the VNC server unreachable,
/// nobody coming in time, the connection lost); 2 for bad arguments.
#[derive(Debug, Args)]
#[command(verbatim_doc_comment, about = "Share a desktop: VNC through MSRP")]
pub(crate) struct DesktopArgs {
    #[command(subcommand)]
    command: DesktopCommand,
}

#[derive(Debug, Subcommand)]
enum DesktopCommand {
    Serve(ServeArgs),
    View(ViewArgs),
}

/// Runs `msrp desktop serve` or `msrp desktop view`.
pub(crate) fn run(args: DesktopArgs) -> Result<(), CliError> {
    match args.command {
        DesktopCommand::Serve(args) => runtime::block_on(args),
        DesktopCommand::View(args) => runtime::block_on(args),
    }
}

/// The side with the VNC server (a=rfbsetup:passive): it connects to the
/// VNC server once the peer is there and tunnels it.
///
/// Without --to-path it answers: line 1 is its path, for the viewing side's
/// --to-path. See `msrp desktop --help` for the JSON lines.
#[derive(Debug, Args)]
#[command(
    verbatim_doc_comment,
    about = "The side with the VNC server: tunnel it to the peer (JSON lines)"
)]
pub(crate) struct ServeArgs {
    /// The VNC server to share, connected to when the peer arrives.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:5900", value_parser = vnc_address)]
    vnc: HostPort,

    #[command(flatten)]
    common: CommonArgs,
}

/// The viewing side (a=rfbsetup:active): it takes one local VNC viewer on
/// --listen and tunnels it to the peer's VNC server.
///
/// Without --to-path it answers: line 1 is its path, for the serving side's
/// --to-path. See `msrp desktop --help` for the JSON lines.
#[derive(Debug, Args)]
#[command(
    verbatim_doc_comment,
    about = "The viewing side: tunnel one local VNC viewer to the peer (JSON lines)"
)]
pub(crate) struct ViewArgs {
    /// Where the local VNC viewer connects; port 0 picks a free port (the
    /// "listening" line shows it).
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:0", value_parser = args::host_port)]
    listen: HostPort,

    #[command(flatten)]
    common: CommonArgs,
}

/// The MSRP session settings both subcommands take.
#[derive(Debug, Args)]
struct CommonArgs {
    /// Call the peer at this path (line 1 of the answering side): one or
    /// more URIs, as separate words or as one quoted line. Without it, this
    /// side answers.
    #[arg(long, value_name = "URI", num_args = 1.., value_parser = args::uri_list)]
    to_path: Vec<Uris>,

    /// When answering, the address to listen on for the peer; port 0 picks
    /// a free port (line 1 shows it). Not with --to-path or --relay.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:2855", value_parser = args::host_port, conflicts_with_all = ["to_path", "relay"])]
    bind: HostPort,

    /// When answering, use TLS (msrps): needs --cert and --key.
    #[arg(long, requires_all = ["cert", "key"], conflicts_with_all = ["to_path", "relay"])]
    tls: bool,

    /// PEM certificate chain for --tls.
    #[arg(long, value_name = "FILE", requires = "tls")]
    cert: Option<PathBuf>,

    /// PEM private key for --tls.
    #[arg(long, value_name = "FILE", requires = "tls")]
    key: Option<PathBuf>,

    /// When calling an msrps path: trust the certificates in this PEM file
    /// (the answering side's certificate, or its CA).
    #[arg(
        long,
        value_name = "FILE",
        requires = "to_path",
        conflicts_with = "insecure"
    )]
    ca: Option<PathBuf>,

    /// For msrps (the peer's or the relay's): accept any certificate
    /// (tests only: no protection against an attacker in the path).
    #[arg(long)]
    insecure: bool,

    #[command(flatten)]
    relay: RelayArgs,

    /// Send a keep-alive (a bodiless SEND) after this long without sending
    /// anything; 0 never. A relay does not pass on the end of the peer's
    /// connection, but refuses the next keep-alive once the peer is gone,
    /// which ends the tunnel [default: 5 with --relay, else never (the
    /// peer's end closes the connection)].
    #[arg(long, value_name = "SECONDS", value_parser = args::seconds_or_never)]
    keepalive: Option<Duration>,

    /// How long to wait for the peer to bind the session and, on the
    /// viewing side, for the local VNC viewer. 0 waits forever.
    #[arg(long, value_name = "SECONDS", default_value = "60", value_parser = args::seconds_or_never)]
    timeout: Duration,

    #[command(flatten)]
    runtime: RuntimeFlag,
}

impl Job for ServeArgs {
    fn runtime(&self) -> RuntimeArg {
        self.common.runtime.runtime
    }

    async fn run<R: Runtime>(self, rt: R) -> Result<(), CliError> {
        tunnel(rt, self.common, Local::Vnc(self.vnc), &Out).await
    }
}

impl Job for ViewArgs {
    fn runtime(&self) -> RuntimeArg {
        self.common.runtime.runtime
    }

    async fn run<R: Runtime>(self, rt: R) -> Result<(), CliError> {
        tunnel(rt, self.common, Local::Viewer(self.listen), &Out).await
    }
}

/// A VNC server address: [`args::host_port`] with a port to connect to.
fn vnc_address(value: &str) -> Result<HostPort, String> {
    let address = args::host_port(value)?;
    if address.port == 0 {
        return Err(
            "expected HOST:PORT of a VNC server such as 127.0.0.1:5900 (port 0 \
                    cannot be connected to)"
                .into(),
        );
    }
    Ok(address)
}

/// The lines after line 1.
#[derive(Debug, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
enum Event {
    /// Where the local VNC viewer connects (view).
    Listening { address: String },
    /// The MSRP session is bound.
    Bound {
        local_path: Vec<String>,
        remote_path: Vec<String>,
    },
    /// The local socket is there: the VNC server connected, or the viewer
    /// accepted.
    Started { role: &'static str, local: String },
    /// The tunnel ended.
    Closed {
        reason: String,
        clean: bool,
        bytes_to_peer: u64,
        bytes_from_peer: u64,
        messages_to_peer: u64,
        messages_from_peer: u64,
        largest_from_peer: u64,
        seconds: f64,
    },
}

impl Event {
    fn closed(reason: String, report: Option<&BridgeReport>, since: Instant) -> Self {
        let stats = report.map(|r| r.stats).unwrap_or_default();
        Self::Closed {
            reason,
            clean: report.is_some_and(|r| r.end.is_clean()),
            bytes_to_peer: stats.bytes_to_peer,
            bytes_from_peer: stats.bytes_from_peer,
            messages_to_peer: stats.messages_to_peer,
            messages_from_peer: stats.messages_from_peer,
            largest_from_peer: stats.largest_from_peer,
            seconds: since.elapsed().as_secs_f64(),
        }
    }

    fn print(&self, out: &Out) {
        // Serializing these plain structs cannot fail.
        out.line(&serde_json::to_string(self).unwrap_or_default());
    }
}

/// This side's local end.
enum Local {
    /// Connect to the VNC server at this address (serve).
    Vnc(HostPort),
    /// Take one viewer on this address (view).
    Viewer(HostPort),
}

/// "Forever", for the library's timeouts (which need a duration).
const FOREVER: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

/// The keep-alive interval through a relay, unless --keepalive says.
const RELAY_KEEPALIVE: Duration = Duration::from_secs(5);

/// How long connecting to the VNC server may take (sipsimple: 5 s).
const VNC_CONNECT: Duration = Duration::from_secs(10);

async fn tunnel<R: Runtime>(
    rt: R,
    args: CommonArgs,
    local: Local,
    out: &Out,
) -> Result<(), CliError> {
    let to_path: Vec<MsrpUri> = args.to_path.into_iter().flat_map(|u| u.0).collect();
    let calling = !to_path.is_empty();
    let wait = (!args.timeout.is_zero()).then_some(args.timeout);
    let mut endpoint = EndpointConfig::default();
    endpoint.bind_timeout = wait.unwrap_or(FOREVER);
    let relay = args.relay.relay(args.insecure)?;
    let keepalive = match args.keepalive {
        Some(every) => Some(every).filter(|d| !d.is_zero()),
        None => relay.as_ref().map(|_| RELAY_KEEPALIVE),
    };
    endpoint.protocol.keepalive_interval = keepalive;
    if let Some(relay) = &relay {
        // The peer is reached through the relay: TLS is the relay's.
        endpoint.tls_client = relay.tls.clone();
    } else if let Some(first) = to_path.first().filter(|u| u.is_secure()) {
        endpoint.tls_client = Some(match (&args.ca, args.insecure) {
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
    if args.tls {
        let (Some(cert), Some(key)) = (&args.cert, &args.key) else {
            return Err(CliError::usage("--tls needs --cert FILE and --key FILE"));
        };
        endpoint.tls_server =
            Some(TlsServer::from_pem_files(cert, key).map_err(|e| CliError::usage(e.to_string()))?);
    }

    // The viewer's socket first: a port in use should not cost a session.
    let viewers = match &local {
        Local::Viewer(at) => {
            let addr = resolve(at, "--listen")?;
            let listener = ViewerListener::bind(rt.clone(), addr).await.map_err(|e| {
                CliError::failed(format!("cannot listen on {} for the VNC viewer: {e}", addr))
            })?;
            Some(listener)
        }
        Local::Vnc(_) => None,
    };
    let role = match local {
        Local::Vnc(_) => DesktopRole::Server,
        Local::Viewer(_) => DesktopRole::Viewer,
    };

    let has_relay = relay.is_some();
    let mut stream = DesktopStream::new(
        rt.clone(),
        DesktopConfig::default(),
        endpoint,
        relay.map(|r| r.settings),
    );
    let local_path = if calling {
        stream.call(role).await
    } else {
        if !has_relay {
            stream = stream.listen_on(resolve(&args.bind, "--bind")?);
        }
        stream.listen(role).await
    }
    .map_err(|e| match e {
        StreamError::Msrp(msrp_endpoint::Error::Io(io)) if !calling => CliError::failed(format!(
            "cannot listen on {}:{}: {io}",
            args.bind.host, args.bind.port
        )),
        other => CliError::failed(other.to_string()),
    })?;
    out.line(&json::path_line(&local_path));
    if let Some(listener) = &viewers {
        Event::Listening {
            address: listener.local_addr().to_string(),
        }
        .print(out);
    }

    let session = if calling {
        let first = &to_path[0];
        let peer = format!("{}:{}", first.host_str(), first.port().unwrap_or(2855));
        stream
            .start_to(&to_path)
            .await
            .map_err(|e| stream_error(e, Side::Connecting, &peer))?
    } else {
        stream
            .start_any()
            .await
            .map_err(|e| stream_error(e, Side::Accepting, "the peer"))?
    };
    Event::Bound {
        local_path: json::uris(session.local_path()),
        remote_path: json::uris(session.remote_path()),
    }
    .print(out);

    let since = Instant::now();
    let (socket, local_name) = match open_local(&rt, &local, viewers, wait).await {
        Ok(opened) => opened,
        Err(err) => {
            session.end().await;
            Event::closed(err.to_string(), None, since).print(out);
            return Err(err);
        }
    };
    Event::Started {
        role: match role {
            DesktopRole::Server => "server",
            DesktopRole::Viewer => "viewer",
        },
        local: local_name,
    }
    .print(out);
    finish(session, socket, since, out).await
}

/// Connects to the VNC server, or takes the viewer.
async fn open_local<R: Runtime>(
    rt: &R,
    local: &Local,
    viewers: Option<ViewerListener<R>>,
    wait: Option<Duration>,
) -> Result<(BoxIo, String), CliError> {
    match (local, viewers) {
        (Local::Vnc(vnc), _) => {
            let name = format!("{}:{}", vnc.host, vnc.port);
            let socket = connect_vnc_server(rt, &vnc.host, vnc.port, VNC_CONNECT)
                .await
                .map_err(|e| {
                    let hint = if e.kind() == std::io::ErrorKind::ConnectionRefused {
                        " (is the VNC server running and listening there?)"
                    } else {
                        ""
                    };
                    CliError::failed(format!(
                        "cannot connect to the VNC server at {name}: {e}{hint}"
                    ))
                })?;
            Ok((socket, name))
        }
        (Local::Viewer(_), Some(listener)) => {
            let addr = listener.local_addr();
            let accepted = match wait {
                Some(limit) => msrp_endpoint::timeout(rt, limit, listener.accept())
                    .await
                    .ok_or_else(|| {
                        CliError::failed(format!("no VNC viewer connected to {addr} in time"))
                    })?,
                None => listener.accept().await,
            };
            let (socket, from) = accepted.map_err(|e| {
                CliError::failed(format!("cannot accept the VNC viewer on {addr}: {e}"))
            })?;
            Ok((socket, from.to_string()))
        }
        (Local::Viewer(_), None) => Err(CliError::failed("no viewer socket")),
    }
}

/// Runs the tunnel to its end and says how it went.
async fn finish<R: Runtime>(
    session: DesktopSession<R>,
    socket: BoxIo,
    since: Instant,
    out: &Out,
) -> Result<(), CliError> {
    let report = session.run(socket).await;
    let reason = report.end.to_string();
    Event::closed(reason.clone(), Some(&report), since).print(out);
    if report.end.is_clean() {
        Ok(())
    } else {
        Err(CliError::failed(reason))
    }
}

/// The socket address for `HOST:PORT` (a name is resolved here).
fn resolve(at: &HostPort, flag: &str) -> Result<SocketAddr, CliError> {
    (at.host.as_str(), at.port)
        .to_socket_addrs()
        .ok()
        .and_then(|mut addrs| addrs.next())
        .ok_or_else(|| {
            CliError::usage(format!(
                "{flag} {}:{}: `{}` does not resolve to an address here",
                at.host, at.port, at.host
            ))
        })
}

/// Explains a set-up failure as `msrp listen` and `msrp send` do.
fn stream_error(err: StreamError, side: Side, peer: &str) -> CliError {
    match err {
        StreamError::Msrp(err) => setup_error(&err, side, peer),
        other => CliError::failed(other.to_string()),
    }
}
