//! `msrp relay`: an MSRP relay (RFC 4976) — digest AUTH, forwarding with
//! streamed bodies, failure REPORTs — over TLS and TCP, and for WebSocket
//! clients over `ws`/`wss` (RFC 7977), on any runtime.

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use msrp_endpoint::msrp_proto::MsrpUri;
use msrp_endpoint::msrp_proto::relay::{RelayConfig, Users};
use msrp_endpoint::ws::WsUrl;
use msrp_endpoint::{RelayListen, RelayServer, RelayServerConfig, Runtime, TlsClient, TlsServer};

use crate::args;
use crate::error::CliError;
use crate::runtime::{Job, RuntimeArg, RuntimeFlag};

/// Run an MSRP relay (RFC 4976): clients authenticate with HTTP Digest and
/// get a relay URI; chunks are forwarded as they stream in.
///
/// Listens with TLS (msrps, RFC 4976 §9.2: AUTH must run on TLS) on every
/// --tls-bind, and with plain TCP on every --tcp-bind (for peers without
/// TLS and for labs). Without either: TLS on 0.0.0.0:2855.
///
/// WebSocket clients (browsers, RFC 7977) connect to --wss-bind (TLS, with
/// the same --cert/--key) or --ws-bind (plain, for labs or behind a TLS
/// proxy): the HTTP upgrade must offer the `msrp` subprotocol (else HTTP
/// 400 saying so), each WebSocket message carries one MSRP chunk (a
/// message over 1 MiB + 16 KiB closes the connection with 1009), and
/// chunks toward a WebSocket client are cut to 16 320-byte messages. A
/// WebSocket client's relay URI (Use-Path) names the TLS listener (or the
/// TCP one when there is none), through which its peers reach it; so a
/// WebSocket listener needs a --tls-bind or --tcp-bind beside it.
///
/// Users come from --users, an htdigest-style file of lines
/// `user:realm:HA1` where HA1 = MD5(user:realm:password) (`htdigest`
/// writes them); a fourth field `deny` refuses a user (403). Passwords are
/// never stored.
///
/// Prints the URIs clients authenticate to and the ws:// / wss:// URLs of
/// the WebSocket listeners (one line per listener); logs to stderr (RUST_LOG=msrp::relay=debug for more; =trace shows
/// every byte). Runs until stopped (Ctrl-C).
#[derive(Debug, Args)]
#[command(
    verbatim_doc_comment,
    about = "Run an MSRP relay (RFC 4976) over TLS, TCP and WebSocket (RFC 7977)"
)]
pub(crate) struct RelayArgs {
    /// Listen with TLS on this address (repeatable).
    #[arg(long, value_name = "HOST:PORT", value_parser = bind_addr)]
    tls_bind: Vec<SocketAddr>,

    /// Listen with plain TCP on this address (repeatable).
    #[arg(long, value_name = "HOST:PORT", value_parser = bind_addr)]
    tcp_bind: Vec<SocketAddr>,

    /// Listen for WebSocket clients over TLS (wss) on this address
    /// (repeatable).
    #[arg(long, value_name = "HOST:PORT", value_parser = bind_addr)]
    wss_bind: Vec<SocketAddr>,

    /// Listen for WebSocket clients over plain TCP (ws) on this address
    /// (repeatable).
    #[arg(long, value_name = "HOST:PORT", value_parser = bind_addr)]
    ws_bind: Vec<SocketAddr>,

    /// The certificate chain of the TLS and wss listeners (PEM).
    #[arg(long, value_name = "FILE")]
    cert: Option<PathBuf>,

    /// The private key of the certificate (PEM).
    #[arg(long, value_name = "FILE")]
    key: Option<PathBuf>,

    /// The users file (htdigest format: `user:realm:HA1`, or with `:deny`).
    #[arg(long, value_name = "FILE")]
    users: PathBuf,

    /// The digest realm of the challenges [default: --host].
    #[arg(long, value_name = "REALM")]
    realm: Option<String>,

    /// The relay's name in the URIs it hands out (Use-Path): its FQDN, as
    /// in its certificate (RFC 4976 §4.2) [default: the address of the
    /// first listener, when it is not a wildcard].
    #[arg(long, value_name = "NAME")]
    host: Option<String>,

    /// Trust the certificates in this PEM file when connecting to msrps
    /// next hops (peers that are not clients of this relay). Without it
    /// such hops cannot be reached.
    #[arg(long, value_name = "FILE")]
    peer_ca: Option<PathBuf>,

    /// Shortest Expires granted; less gets 423 with Min-Expires.
    #[arg(long, value_name = "S", default_value_t = 60)]
    min_expires: u32,

    /// Longest Expires granted; more gets 423 with Max-Expires.
    #[arg(long, value_name = "S", default_value_t = 3600)]
    max_expires: u32,

    /// Expires granted when the AUTH names none.
    #[arg(long, value_name = "S", default_value_t = 600)]
    default_expires: u32,

    /// Connections at once; beyond, the oldest unauthenticated one goes.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    max_connections: usize,

    /// Failed AUTH attempts before the connection is closed.
    #[arg(long, value_name = "N", default_value_t = 3)]
    max_auth_failures: u32,

    /// Seconds a connection may go without a successful request.
    #[arg(long, value_name = "S", default_value = "30", value_parser = args::seconds)]
    probation: Duration,

    /// Seconds to wait for the next hop's response before a 408 REPORT.
    #[arg(long, value_name = "S", default_value = "30", value_parser = args::seconds)]
    transaction_timeout: Duration,

    /// Bytes queued for one connection before the connections feeding it
    /// are not read any more (backpressure).
    #[arg(long, value_name = "N", default_value = "1M", value_parser = args::size)]
    max_queued_bytes: u64,

    /// Sessions (distinct previous hops) one connection may carry.
    #[arg(long, value_name = "N", default_value_t = 1024)]
    max_sessions_per_connection: usize,

    #[command(flatten)]
    runtime: RuntimeFlag,
}

/// `HOST:PORT`, the host an address or a name resolved now.
fn bind_addr(value: &str) -> Result<SocketAddr, String> {
    if let Ok(addr) = value.parse::<SocketAddr>() {
        return Ok(addr);
    }
    let spec = args::host_port(value)?;
    (spec.host.as_str(), spec.port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve `{}`: {e}", spec.host))?
        .next()
        .ok_or_else(|| format!("`{}` has no address", spec.host))
}

impl Job for RelayArgs {
    fn runtime(&self) -> RuntimeArg {
        self.runtime.runtime
    }

    async fn run<R: Runtime>(self, rt: R) -> Result<(), CliError> {
        let server = start(rt, self).await?;
        for l in server.listening() {
            let port = l.addr.port();
            let line = match (l.websocket, l.tls) {
                (false, tls) => MsrpUri::builder(server.host())
                    .secure(tls)
                    .port(port)
                    .build()
                    .map(|uri| format!("{uri} ({} on {})", if tls { "TLS" } else { "TCP" }, l.addr))
                    .map_err(|e| CliError::usage(format!("--host: {e}")))?,
                (true, tls) => {
                    let url = WsUrl::new(tls, server.host(), port, "/");
                    let kind = if tls { "wss" } else { "ws" };
                    format!("{url} (WebSocket, {kind} on {})", l.addr)
                }
            };
            println!("{line}");
        }
        // Serves until the process is stopped.
        std::future::pending::<()>().await;
        drop(server);
        Ok(())
    }
}

/// Reads the files, checks the settings, binds the listeners.
async fn start<R: Runtime>(rt: R, args: RelayArgs) -> Result<RelayServer<R>, CliError> {
    let mut listen: Vec<RelayListen> = args.tls_bind.iter().map(|a| RelayListen::tls(*a)).collect();
    listen.extend(args.tcp_bind.iter().map(|a| RelayListen::tcp(*a)));
    let websocket = args.wss_bind.iter().map(|a| RelayListen::wss(*a));
    let websocket = websocket.chain(args.ws_bind.iter().map(|a| RelayListen::ws(*a)));
    if listen.is_empty() && (!args.ws_bind.is_empty() || !args.wss_bind.is_empty()) {
        return Err(CliError::usage(
            "WebSocket listeners need a --tls-bind (or --tcp-bind) beside them: their clients' \
             relay URI names that listener, through which their peers reach them (RFC 7977)",
        ));
    }
    listen.extend(websocket);
    if listen.is_empty() {
        listen.push(RelayListen::tls(SocketAddr::from(([0, 0, 0, 0], 2855))));
    }
    let host = match (&args.host, listen.first()) {
        (Some(host), _) => host.clone(),
        (None, Some(first)) if !first.addr.ip().is_unspecified() => first.addr.ip().to_string(),
        _ => {
            return Err(CliError::usage(
                "give --host NAME: the relay's name (in its certificate) for the URIs it hands out",
            ));
        }
    };
    let realm = args.realm.clone().unwrap_or_else(|| host.clone());
    let users = read_users(&args.users, &realm)?;
    let tls_server = if listen.iter().any(|l| l.tls) {
        let (Some(cert), Some(key)) = (&args.cert, &args.key) else {
            return Err(CliError::usage(
                "TLS and wss listeners need --cert FILE and --key FILE (or use --tcp-bind and \
                 --ws-bind only)",
            ));
        };
        Some(TlsServer::from_pem_files(cert, key).map_err(|e| CliError::usage(e.to_string()))?)
    } else {
        None
    };
    let tls_client = match &args.peer_ca {
        Some(file) => Some(
            TlsClient::with_ca_file(file)
                .map_err(|e| CliError::usage(format!("--peer-ca: {e}")))?,
        ),
        None => None,
    };
    let mut relay = RelayConfig::new(host, realm);
    relay.min_expires = args.min_expires;
    relay.max_expires = args.max_expires;
    relay.default_expires = args.default_expires;
    relay.max_connections = args.max_connections;
    relay.max_auth_failures = args.max_auth_failures;
    relay.probation = args.probation;
    relay.transaction_timeout = args.transaction_timeout;
    relay.max_queued_bytes = usize::try_from(args.max_queued_bytes).unwrap_or(usize::MAX);
    relay.max_sessions_per_connection = args.max_sessions_per_connection;
    let mut config = RelayServerConfig::new(relay);
    config.listen = listen;
    config.tls_server = tls_server;
    config.tls_client = tls_client;
    RelayServer::start(rt, config, users)
        .await
        .map_err(|e| CliError::usage(e.to_string()))
}

/// The users file: readable, well-formed, with someone in `realm`.
fn read_users(path: &PathBuf, realm: &str) -> Result<Users, CliError> {
    let shown = path.display();
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::usage(format!("cannot read the users file {shown}: {e}")))?;
    let users = Users::parse(&text).map_err(|e| CliError::usage(format!("{shown}: {e}")))?;
    if users.count_in_realm(realm) == 0 {
        return Err(CliError::usage(format!(
            "{shown} has no user in the realm {realm:?} (lines are user:realm:HA1; see --realm)"
        )));
    }
    Ok(users)
}
