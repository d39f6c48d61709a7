//! Establishing sessions the msrplib way: `prepare` gives this side's full
//! path for the SDP `a=path`, `complete` takes the peer's and returns a
//! bound [`Transport`], `cleanup` releases what `prepare` took.
//!
//! - [`ConnectorDirect`]: the calling (active) endpoint connects and binds
//!   with a bodiless SEND (RFC 4975 §5.4).
//! - [`AcceptorDirect`]: the answering (passive) endpoint listens for one
//!   connection and waits for the peer to bind.
//! - [`MsrpServer`](crate::MsrpServer): one listening socket shared by many
//!   sessions.

use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use std::pin::pin;

use futures_channel::{mpsc, oneshot};
use futures_util::StreamExt;
use futures_util::future::{Either, select};
use msrp_proto::connection::{CloseReason, Config, Connection, ReceiveMode, SessionConfig};
use msrp_proto::ident::IdGenerator;
use msrp_proto::path::Path;
use msrp_proto::uri::{Host, MsrpUri};

use crate::accepted::{Accepted, StartDriver, run_accepted};
use crate::driver::{BindPolicy, BindReply, Command, Driver, DriverHandle, DriverSetup};
use crate::error::{Error, Phase};
use crate::runtime::{BoxIo, Runtime, deadline};
use crate::seed;
use crate::session::{SessionParts, Transport};
use crate::tls::{TlsClient, TlsServer, server_name};
use crate::unbound::Unbound;

/// The default MSRP port (RFC 4975 §15.5).
pub const DEFAULT_PORT: u16 = 2855;

/// Settings shared by connectors, acceptors and servers.
///
/// ```
/// use std::time::Duration;
/// use msrp_endpoint::EndpointConfig;
/// use msrp_proto::connection::ReceiveMode;
/// let mut config = EndpointConfig::default();
/// config.connect_timeout = Duration::from_secs(5);
/// config.receive_mode = ReceiveMode::Assembled;
/// config.accept_types = vec!["text/plain".into(), "message/cpim".into()];
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct EndpointConfig {
    /// The protocol settings of each connection (chunk size, limits, timers).
    pub protocol: Config,
    /// How long to try to connect. Default 30 s (msrplib).
    pub connect_timeout: Duration,
    /// How long a TLS handshake may take. Default 10 s.
    pub tls_handshake_timeout: Duration,
    /// How long to wait for a session to bind, in either direction
    /// (msrplib's `MSRPBindSessionTimeout`); also how long a connection that
    /// no session binds stays open. Default 30 s.
    pub bind_timeout: Duration,
    /// TLS settings for `msrps` connections this side opens.
    pub tls_client: Option<TlsClient>,
    /// TLS settings for `msrps` connections this side accepts.
    pub tls_server: Option<TlsServer>,
    /// Content types this side accepts (SDP `a=accept-types`). Default `*`.
    pub accept_types: Vec<String>,
    /// How sessions hand out incoming messages. Default streaming.
    pub receive_mode: ReceiveMode,
    /// Take NICKNAME requests (RFC 7701 §7.1) as [`Incoming::Nickname`](crate::Incoming::Nickname)
    /// items, answered with [`Session::answer_nickname`](crate::Session::answer_nickname):
    /// for an application that is a chat room's focus. Default off: a
    /// participant answers NICKNAME 501 (RFC 4975 §10.9). See
    /// [`SessionConfig::nicknames`].
    pub nicknames: bool,
    /// Incoming items buffered per session before the connection stops
    /// reading. Default 64.
    pub event_capacity: usize,
    /// Body bytes buffered per session (in [`Incoming`](crate::Incoming)
    /// items not yet taken) before the connection stops reading; a single
    /// item always goes. Default 256 KiB: a reader that keeps up takes the
    /// bytes while they are still in the CPU's caches, and the connection
    /// can reuse its read buffers.
    pub event_bytes: usize,
    /// The host of local URIs this side makes up when none is given.
    /// Default `127.0.0.1`.
    pub local_host: String,
    /// Accepted connections that may wait to bind a session at a time, per
    /// acceptor or server (TLS handshakes included). At the bound the
    /// oldest is dropped, never the newest: silent sockets cannot lock a
    /// real peer out, who binds within a round trip of connecting. Default
    /// 64.
    pub max_unbound_connections: usize,
}

impl Default for EndpointConfig {
    fn default() -> Self {
        Self {
            protocol: Config::default(),
            connect_timeout: Duration::from_secs(30),
            tls_handshake_timeout: Duration::from_secs(10),
            bind_timeout: Duration::from_secs(30),
            tls_client: None,
            tls_server: None,
            accept_types: vec!["*".into()],
            receive_mode: ReceiveMode::Stream,
            nicknames: false,
            event_capacity: 64,
            event_bytes: 256 * 1024,
            local_host: "127.0.0.1".into(),
            max_unbound_connections: 64,
        }
    }
}

impl EndpointConfig {
    pub(crate) fn session(&self, local_uri: MsrpUri, remote_path: Option<Path>) -> SessionConfig {
        let session = SessionConfig::new(local_uri)
            .accept_types(self.accept_types.clone())
            .receive_mode(self.receive_mode)
            .nicknames(self.nicknames);
        match remote_path {
            Some(path) => session.remote_path(path),
            None => session,
        }
    }

    /// A local URI with a fresh session id (RFC 4975 §14.1: at least 80
    /// random bits).
    pub(crate) fn make_local_uri(&self, secure: bool, port: u16) -> Result<MsrpUri, Error> {
        let session_id = IdGenerator::from_seed(seed()).session_id();
        MsrpUri::builder(&self.local_host)
            .secure(secure)
            .port(port)
            .session_id(&session_id)
            .build()
            .map_err(|e| Error::Config(format!("local host `{}`: {e}", self.local_host)))
    }

    /// The protocol settings of a connection's core: those of `protocol`,
    /// with this endpoint's bind timeout, asking the driver about every
    /// bind if `asks_to_bind` (a server's connections, whose policy
    /// decides). A server makes them once and shares them among its
    /// connections: a copy each was a tenth of an idle connection's
    /// memory (`msrp bench --sessions`).
    pub(crate) fn driver_protocol(&self, asks_to_bind: bool) -> Arc<Config> {
        let mut protocol = self.protocol.clone();
        protocol.bind_timeout = self.bind_timeout;
        protocol.ask_to_bind = asks_to_bind;
        Arc::new(protocol)
    }
}

/// Who decides the binds on a connection.
pub(crate) enum Binds {
    /// The core, by the sessions it expects (connectors, acceptors, relay
    /// clients): settings of the connection's own.
    ByCore,
    /// A server's policy, asked about every bind, with the settings that
    /// all the server's connections share (from
    /// [`EndpointConfig::driver_protocol`], asking to bind).
    ByServer {
        policy: Arc<dyn BindPolicy>,
        protocol: Arc<Config>,
    },
}

/// Starts a driver task for a connection, with its first command applied
/// before it reads anything (so that a peer's bind cannot overtake it).
pub(crate) fn spawn_driver<R: Runtime>(
    rt: &R,
    config: &EndpointConfig,
    io: BoxIo,
    binds: Binds,
    first: Option<Command>,
    label: String,
) -> DriverHandle {
    let (protocol, policy) = match binds {
        Binds::ByCore => (config.driver_protocol(false), None),
        Binds::ByServer { policy, protocol } => {
            debug_assert!(protocol.ask_to_bind, "a server's policy must be asked");
            (protocol, Some(policy))
        }
    };
    let now = rt.now();
    let clock_rt = rt.clone();
    let (mut driver, handle) = Driver::new(DriverSetup {
        conn: Connection::new(protocol, seed(), now),
        io,
        timer: rt.timer(now + Duration::from_secs(3600)),
        clock: Box::new(move || clock_rt.now()),
        policy,
        event_capacity: config.event_capacity,
        event_bytes: config.event_bytes,
        label,
    });
    if let Some(command) = first {
        driver.command(command);
    }
    rt.spawn(Box::pin(driver));
    handle
}

/// A bind reply that completes a oneshot.
pub(crate) fn reply_to(tx: oneshot::Sender<Result<SessionParts, Error>>) -> BindReply {
    Box::new(move |result| {
        if let Err(Ok(parts)) = tx.send(result) {
            // Nobody waits any more (`complete` was dropped or gave up on the
            // bind timeout): close the session rather than leave it, and its
            // connection, open with no owner.
            drop(Transport::new(parts));
        }
    })
}

/// Waits for a session to bind within the bind timeout.
pub(crate) async fn await_bind<R: Runtime>(
    rt: &R,
    timeout: Duration,
    rx: oneshot::Receiver<Result<SessionParts, Error>>,
) -> Result<Transport, Error> {
    let parts = deadline(rt, rt.now() + timeout, rx)
        .await
        .ok_or(Error::Timeout(Phase::Bind))?
        .map_err(|_| Error::Timeout(Phase::Bind))??;
    Ok(Transport::new(parts))
}

/// Host and port to open a socket to for a URI (the default port when it
/// has none); IPv6 literals lose their brackets.
pub(crate) fn host_port(uri: &MsrpUri) -> (String, u16) {
    let host = match uri.host() {
        Host::Ipv6(ip) => ip.to_string(),
        Host::Ipv4(ip) => ip.to_string(),
        Host::Domain(name) => name.to_owned(),
    };
    (host, uri.port().unwrap_or(DEFAULT_PORT))
}

/// The socket address to listen on for a local URI.
pub(crate) fn listen_addr(uri: &MsrpUri) -> Result<SocketAddr, Error> {
    let port = uri.port().unwrap_or(DEFAULT_PORT);
    match uri.host() {
        Host::Ipv4(ip) => Ok(SocketAddr::new(IpAddr::V4(ip), port)),
        Host::Ipv6(ip) => Ok(SocketAddr::new(IpAddr::V6(ip), port)),
        Host::Domain(name) => (name, port)
            .to_socket_addrs()
            .ok()
            .and_then(|mut addrs| addrs.next())
            .ok_or_else(|| {
                Error::Config(format!(
                    "cannot listen on `{name}`: not an address that resolves here"
                ))
            }),
    }
}

/// Opens TCP, then TLS when the URI says `msrps`.
pub(crate) async fn dial<R: Runtime>(
    rt: &R,
    config: &EndpointConfig,
    first_hop: &MsrpUri,
) -> Result<BoxIo, Error> {
    dial_at(rt, config, first_hop, None).await
}

/// [`dial`], connecting to `addr` when given (an address DNS already gave
/// for the URI's host) while TLS still checks the certificate against the
/// host's name.
pub(crate) async fn dial_at<R: Runtime>(
    rt: &R,
    config: &EndpointConfig,
    first_hop: &MsrpUri,
    addr: Option<IpAddr>,
) -> Result<BoxIo, Error> {
    let (host, port) = host_port(first_hop);
    let connect_to = addr.map_or_else(|| host.clone(), |ip| ip.to_string());
    let tcp = deadline(
        rt,
        rt.now() + config.connect_timeout,
        rt.connect(&connect_to, port),
    )
    .await
    .ok_or(Error::Timeout(Phase::Connect))??;
    if !first_hop.is_secure() {
        return Ok(rt.plain(tcp));
    }
    let tls = config.tls_client.as_ref().ok_or_else(|| {
        Error::Config(format!(
            "{first_hop} needs TLS, but no TLS client settings were given"
        ))
    })?;
    let name = server_name(&host)?;
    deadline(
        rt,
        rt.now() + config.tls_handshake_timeout,
        rt.tls_connect(tcp, tls.config.clone(), name),
    )
    .await
    .ok_or(Error::Timeout(Phase::TlsHandshake))?
    .map_err(Error::Tls)
}

/// Runs the server side of TLS when the local URI says `msrps`.
pub(crate) async fn secure_accepted<R: Runtime>(
    rt: &R,
    config: &EndpointConfig,
    secure: bool,
    tcp: R::Tcp,
) -> Result<BoxIo, Error> {
    if !secure {
        return Ok(rt.plain(tcp));
    }
    let tls = config.tls_server.as_ref().ok_or_else(|| {
        Error::Config("an msrps URI needs TLS server settings (certificate and key)".into())
    })?;
    deadline(
        rt,
        rt.now() + config.tls_handshake_timeout,
        rt.tls_accept(tcp, tls.config.clone()),
    )
    .await
    .ok_or(Error::Timeout(Phase::TlsHandshake))?
    .map_err(Error::Tls)
}

fn remote(path: &[MsrpUri]) -> Result<Path, Error> {
    Path::new(path.to_vec()).ok_or_else(|| Error::Config("the remote path is empty".into()))
}

/// The calling endpoint without a relay (msrplib's `ConnectorDirect`).
#[derive(Debug)]
pub struct ConnectorDirect<R: Runtime> {
    rt: R,
    config: EndpointConfig,
    local_uri: Option<MsrpUri>,
}

impl<R: Runtime> ConnectorDirect<R> {
    /// A connector on runtime `rt`.
    pub fn new(rt: R, config: EndpointConfig) -> Self {
        Self {
            rt,
            config,
            local_uri: None,
        }
    }

    /// This side's full path, for the SDP `a=path`. Without a URI one is
    /// made up on [`EndpointConfig::local_host`] with port 2855 (the peer
    /// matches it against the SDP, never against the socket's real port) and
    /// a fresh session id; `msrps` when TLS client settings are present.
    pub async fn prepare(&mut self, local_uri: Option<MsrpUri>) -> Result<Vec<MsrpUri>, Error> {
        let uri = match local_uri {
            Some(uri) => uri,
            None => self
                .config
                .make_local_uri(self.config.tls_client.is_some(), DEFAULT_PORT)?,
        };
        self.local_uri = Some(uri.clone());
        Ok(vec![uri])
    }

    /// Connects to the first hop of the peer's path (TLS for `msrps`), binds
    /// the session and returns it.
    pub async fn complete(&mut self, full_remote_path: &[MsrpUri]) -> Result<Transport, Error> {
        let remote = remote(full_remote_path)?;
        let local_uri = match &self.local_uri {
            Some(uri) => uri.clone(),
            None => self.prepare(None).await?.remove(0),
        };
        let io = dial(&self.rt, &self.config, remote.first()).await?;
        let (tx, rx) = oneshot::channel();
        let command = Command::Open {
            config: self.config.session(local_uri.clone(), Some(remote.clone())),
            reply: reply_to(tx),
        };
        let label = format!("{local_uri} -> {}", remote.first());
        spawn_driver(
            &self.rt,
            &self.config,
            io,
            Binds::ByCore,
            Some(command),
            label,
        );
        await_bind(&self.rt, self.config.bind_timeout, rx).await
    }

    /// Like [`complete`](Self::complete), but binds the session over the
    /// connection that `existing` already runs on instead of opening a new
    /// one (RFC 4975 §5.4: sessions whose first hop is at the same address
    /// may share a connection). The first hop of `full_remote_path` must
    /// have the scheme, host and port `existing` connects to;
    /// [`Error::Config`] otherwise, and
    /// [`Error::Closed`] if that connection has ended.
    pub async fn complete_on(
        &mut self,
        existing: &Transport,
        full_remote_path: &[MsrpUri],
    ) -> Result<Transport, Error> {
        let remote = remote(full_remote_path)?;
        let (hop, theirs) = (remote.first(), existing.remote_path().first());
        if host_port(hop) != host_port(theirs) || hop.is_secure() != theirs.is_secure() {
            return Err(Error::Config(format!(
                "{hop} is not reached over the existing connection (to {theirs})"
            )));
        }
        let local_uri = match &self.local_uri {
            Some(uri) => uri.clone(),
            None => self.prepare(None).await?.remove(0),
        };
        let (tx, rx) = oneshot::channel();
        existing.driver().send(Command::Open {
            config: self.config.session(local_uri, Some(remote)),
            reply: reply_to(tx),
        })?;
        await_bind(&self.rt, self.config.bind_timeout, rx).await
    }

    /// Nothing to release for a connector; here for symmetry with msrplib.
    pub fn cleanup(&mut self) {
        self.local_uri = None;
    }
}

/// The answering endpoint without a relay (msrplib's `AcceptorDirect`):
/// listens until a connection binds the session, then closes the listening
/// socket.
///
/// Unlike msrplib's, it is not ended by the first connection that fails:
/// garbage, a slow or silent peer, a wrong session or a failed TLS handshake
/// costs only that connection, and the wait goes on until the bind timeout.
/// At most [`EndpointConfig::max_unbound_connections`] wait at a time.
#[derive(Debug)]
pub struct AcceptorDirect<R: Runtime> {
    rt: R,
    config: EndpointConfig,
    listener: Option<R::Listener>,
    local_uri: Option<MsrpUri>,
}

impl<R: Runtime> AcceptorDirect<R> {
    /// An acceptor on runtime `rt`.
    pub fn new(rt: R, config: EndpointConfig) -> Self {
        Self {
            rt,
            config,
            listener: None,
            local_uri: None,
        }
    }

    /// Starts listening and returns this side's full path. The URI's port
    /// may be 0: the path then carries the port actually bound. Without a
    /// URI, one is made up on [`EndpointConfig::local_host`], port 0.
    pub async fn prepare(&mut self, local_uri: Option<MsrpUri>) -> Result<Vec<MsrpUri>, Error> {
        let uri = match local_uri {
            Some(uri) => uri,
            None => self
                .config
                .make_local_uri(self.config.tls_server.is_some(), 0)?,
        };
        let listener = self.rt.listen(listen_addr(&uri)?).await?;
        let port = self.rt.local_addr(&listener)?.port();
        let uri = uri.with_port(port);
        self.listener = Some(listener);
        self.local_uri = Some(uri.clone());
        Ok(vec![uri])
    }

    /// Accepts connections until one binds the session with
    /// `full_remote_path` as its From-Path, and returns it. Gives up after
    /// [`EndpointConfig::bind_timeout`]: with [`Error::NotBound`] if
    /// connections came and failed (saying why the last one did), otherwise
    /// with [`Error::Timeout`].
    pub async fn complete(&mut self, full_remote_path: &[MsrpUri]) -> Result<Transport, Error> {
        let remote = remote(full_remote_path)?;
        self.accept(Some(remote)).await
    }

    /// Like [`complete`](Self::complete), but accepts whichever peer binds
    /// the session first, whatever its path (for when the peer's path is not
    /// known, as in `msrp listen` without `--remote-path`).
    pub async fn complete_any(&mut self) -> Result<Transport, Error> {
        self.accept(None).await
    }

    async fn accept(&mut self, remote: Option<Path>) -> Result<Transport, Error> {
        let (Some(listener), Some(local_uri)) = (self.listener.take(), self.local_uri.clone())
        else {
            return Err(Error::Config("call prepare before complete".into()));
        };
        let rt = &self.rt;
        let at = rt.now() + self.config.bind_timeout;
        // Every connection is a candidate until one binds the session; one
        // that fails (malformed framing, 481, timeouts, TLS) is dropped and
        // the wait goes on (msrplib gives up on the first).
        let unbound = Unbound::new(self.config.max_unbound_connections);
        let (results, mut outcomes) = mpsc::unbounded::<Result<SessionParts, Error>>();
        let mut waits = Waits::default();
        loop {
            let next = {
                let accepting = pin!(rt.accept(&listener));
                let either = deadline(rt, at, select(accepting, outcomes.next())).await;
                either.map(|e| match e {
                    Either::Left((accepted, _)) => Either::Left(accepted),
                    Either::Right((outcome, _)) => Either::Right(outcome),
                })
            };
            match next {
                None => return Err(waits.timed_out()),
                Some(Either::Left(Ok((tcp, peer)))) => {
                    waits.accepted += 1;
                    let (ticket, evicted) = unbound.admit();
                    let accepted = Accepted {
                        tcp,
                        peer,
                        secure: local_uri.is_secure(),
                        ticket,
                        evicted,
                    };
                    let (config, session) = (self.config.clone(), self.config.clone());
                    let session = session.session(local_uri.clone(), remote.clone());
                    let label = format!("{local_uri} <- {peer}");
                    let (rt2, bound, failed) = (rt.clone(), results.clone(), results.clone());
                    let start: StartDriver = Box::new(move |io, ticket| {
                        let command = Command::Expect {
                            config: session,
                            reply: Box::new(move |result| {
                                drop(ticket);
                                hand_over(&bound, result);
                            }),
                        };
                        spawn_driver(&rt2, &config, io, Binds::ByCore, Some(command), label)
                    });
                    let failed = move |err| hand_over(&failed, Err(err));
                    rt.spawn(Box::pin(run_accepted(
                        rt.clone(),
                        self.config.clone(),
                        accepted,
                        start,
                        failed,
                    )));
                }
                Some(Either::Left(Err(err))) => {
                    // A connection that failed before it was accepted
                    // (aborted, or out of descriptors): try the next one,
                    // unless accepting itself keeps failing.
                    tracing::debug!(target: "msrp::traffic", %err, "accept failed");
                    waits.accept_errors += 1;
                    if waits.accept_errors > MAX_ACCEPT_ERRORS {
                        return Err(err.into());
                    }
                }
                Some(Either::Right(Some(Ok(parts)))) => {
                    drop(listener);
                    // The others go, and so does any session that bound at
                    // the same moment.
                    drop(unbound);
                    outcomes.close();
                    while let Ok(Ok(other)) = outcomes.try_recv() {
                        drop(Transport::new(other));
                    }
                    return Ok(Transport::new(parts));
                }
                Some(Either::Right(Some(Err(err)))) => waits.failed(err),
                Some(Either::Right(None)) => {}
            }
        }
    }

    /// Stops listening, if `complete` was never called.
    pub fn cleanup(&mut self) {
        self.listener = None;
        self.local_uri = None;
    }
}

/// Accept errors in a row after which an acceptor gives up.
const MAX_ACCEPT_ERRORS: usize = 64;

/// What an acceptor saw while it waited for its session.
#[derive(Default)]
struct Waits {
    accepted: usize,
    accept_errors: usize,
    failed: usize,
    last_failure: Option<Error>,
}

impl Waits {
    fn failed(&mut self, err: Error) {
        // Closed by this side: evicted to make room, which is not the
        // peer's doing.
        if matches!(err, Error::Closed(CloseReason::LocallyClosed)) {
            return;
        }
        tracing::debug!(target: "msrp::traffic", %err, "incoming connection failed before binding");
        self.failed += 1;
        self.last_failure = Some(err);
    }

    /// The error for a wait that ran out: what went wrong last, if anything.
    fn timed_out(self) -> Error {
        match self.last_failure {
            Some(last) => Error::NotBound {
                failed: self.failed,
                last: Box::new(last),
            },
            None if self.accepted == 0 => Error::Timeout(Phase::Accept),
            None => Error::Timeout(Phase::Bind),
        }
    }
}

/// Gives a connection's bind result to the acceptor; a session that binds
/// after the acceptor stopped waiting is closed.
fn hand_over(
    to: &mpsc::UnboundedSender<Result<SessionParts, Error>>,
    result: Result<SessionParts, Error>,
) {
    if let Err(unsent) = to.unbounded_send(result) {
        if let Ok(parts) = unsent.into_inner() {
            drop(Transport::new(parts));
        }
    }
}
