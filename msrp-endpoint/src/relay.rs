//! Sessions through an MSRP relay (RFC 4976): msrplib's `ConnectorRelay`
//! and `AcceptorRelay`.
//!
//! Either side opens a connection to its relay, authenticates with digest
//! credentials, and gets a Use-Path: the relay's URI for this client. The
//! full local path for the SDP `a=path` is the Use-Path, then the local
//! URI; every chunk of the session goes out on the relay connection, whose
//! first hops are the Use-Path. Several sessions may share one relay
//! connection ([`RelayConnection`]).
//!
//! The relay may also be reached over WebSocket (RFC 7977, `ws://` or
//! `wss://`, see [`RelaySettings::from_ws_url`]): AUTH and every chunk then
//! go over the WebSocket connection, one chunk per message, and the local
//! URI is the RFC 7977 form `msrps://<random>.invalid:2855/<sid>;ws`.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use futures_channel::oneshot;
use msrp_proto::connection::{AuthConfig, SessionConfig};
use msrp_proto::path::Path;
use msrp_proto::uri::MsrpUri;

use crate::connect::{
    Binds, DEFAULT_PORT, EndpointConfig, await_bind, dial_at, reply_to, spawn_driver,
};
use crate::driver::{Command, DriverHandle};
use crate::error::{Error, Phase};
use crate::runtime::{BoxIo, Runtime, deadline};
use crate::seed;
use crate::session::{SessionParts, Transport};
use crate::srv::{self, NameServers};
use crate::ws::{WsLimits, WsStream, WsUrl};

/// Room for the headers of a chunk beside its body, when checking that a
/// relay-sized chunk fits in one WebSocket message.
const WS_HEADER_ROOM: usize = 2048;

/// Where an MSRP relay is and who this side is to it (msrplib's
/// `RelaySettings`). `Debug` never shows the password.
///
/// ```
/// use msrp_endpoint::RelaySettings;
/// let relay = RelaySettings::new("example.com", "alice", "secret")
///     .host("relay.example.com")
///     .port(2855);
/// assert_eq!(relay.uri().unwrap().to_string(), "msrps://relay.example.com:2855;tcp");
/// assert!(!format!("{relay:?}").contains("secret"));
/// ```
#[derive(Clone)]
pub struct RelaySettings {
    domain: String,
    username: String,
    password: String,
    host: Option<String>,
    port: Option<u16>,
    use_tls: bool,
    expires: Option<u32>,
    name_servers: Option<Vec<SocketAddr>>,
    /// The resource of the WebSocket upgrade, for a relay reached over
    /// WebSocket.
    ws_resource: Option<String>,
    ws_limits: WsLimits,
}

impl RelaySettings {
    /// The relay of `domain` (the digest realm, and where the relay is
    /// looked up when no host is given), with these credentials. TLS
    /// (`msrps`) by default.
    pub fn new(
        domain: impl Into<String>,
        username: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        Self {
            domain: domain.into(),
            username: username.into(),
            password: password.into(),
            host: None,
            port: None,
            use_tls: true,
            expires: None,
            name_servers: None,
            ws_resource: None,
            ws_limits: WsLimits::default(),
        }
    }

    /// The relay at `uri` (`msrps://host:port` or `msrp://host:port`, with
    /// no session id, as in the To-Path of AUTH). A URI with the `ws`
    /// transport (`msrps://host:443;ws`, RFC 7977 §8.1) is a WebSocket
    /// relay, reached at `wss://host:port/` (`ws://` for `msrp`).
    pub fn from_uri(
        uri: &MsrpUri,
        username: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        let host = uri.host_str().to_owned();
        let mut settings = Self::new(host.clone(), username, password)
            .host(host)
            .tls(uri.is_secure());
        settings.port = uri.port();
        if uri.transport().eq_ignore_ascii_case("ws") {
            settings.ws_resource = Some("/".into());
        }
        settings
    }

    /// The relay behind a WebSocket server (RFC 7977): `wss://host[:port]/path`
    /// (TLS, checked with [`EndpointConfig::tls_client`]) or `ws://…`. AUTH
    /// goes over the WebSocket connection with the To-Path
    /// `msrps://host:port;ws` (`msrp://` for `ws`), and so does every chunk,
    /// each in one WebSocket message; chunk bodies stay at
    /// [`relay_chunk_size`](msrp_proto::connection::Config::relay_chunk_size).
    /// Local URIs take the RFC 7977 §5.2 form
    /// `msrps://<random>.invalid:2855/<sid>;ws` (`msrp://` for `ws`); one
    /// given to `prepare` that is not `;ws` keeps only its session id.
    ///
    /// ```
    /// use msrp_endpoint::RelaySettings;
    /// let relay = RelaySettings::from_ws_url(&"wss://relay.example.com/msrp".parse()?, "alice", "pw");
    /// assert_eq!(relay.uri()?.as_str(), "msrps://relay.example.com:443;ws");
    /// assert_eq!(relay.ws_url().unwrap().to_string(), "wss://relay.example.com:443/msrp");
    /// # Ok::<(), msrp_endpoint::Error>(())
    /// ```
    pub fn from_ws_url(
        url: &WsUrl,
        username: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        let mut settings = Self::new(url.host(), username, password)
            .host(url.host())
            .tls(url.is_secure())
            .port(url.port());
        settings.ws_resource = Some(url.resource().to_owned());
        settings
    }

    /// Size limits of the WebSocket connection to a WebSocket relay
    /// (the largest chunk sent is [`WsLimits::max_send_message`]).
    pub fn ws_limits(mut self, limits: WsLimits) -> Self {
        self.ws_limits = limits;
        self
    }

    /// The relay's WebSocket URL, for a relay reached over WebSocket.
    pub fn ws_url(&self) -> Option<WsUrl> {
        let resource = self.ws_resource.as_deref()?;
        let host = self.host.as_deref().unwrap_or(&self.domain);
        Some(WsUrl::new(
            self.use_tls,
            host,
            self.default_port(),
            resource,
        ))
    }

    fn default_port(&self) -> u16 {
        match (&self.ws_resource, self.port) {
            (_, Some(port)) => port,
            (Some(_), None) if self.use_tls => 443,
            (Some(_), None) => 80,
            (None, None) => DEFAULT_PORT,
        }
    }

    /// The relay's host name or address.
    pub fn host(mut self, host: impl Into<String>) -> Self {
        self.host = Some(host.into());
        self
    }

    /// The relay's port (default 2855).
    pub fn port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    /// TLS (`msrps`, the default) or, with `false`, plain TCP.
    pub fn tls(mut self, use_tls: bool) -> Self {
        self.use_tls = use_tls;
        self
    }

    /// How long, in seconds, to ask the relay to keep the path (AUTH
    /// `Expires`); the relay decides without it. The path is renewed
    /// before it runs out.
    pub fn expires(mut self, seconds: u32) -> Self {
        self.expires = Some(seconds);
        self
    }

    /// The DNS servers that find the relay when no host is given; those of
    /// `/etc/resolv.conf` by default.
    pub fn name_servers(mut self, servers: impl IntoIterator<Item = SocketAddr>) -> Self {
        self.name_servers = Some(servers.into_iter().collect());
        self
    }

    /// The user this side authenticates as.
    pub fn username(&self) -> &str {
        &self.username
    }

    /// The relay's domain.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The relay's URI, the To-Path of AUTH: `msrps://host:port;tcp`, or
    /// `msrps://host:port;ws` for a WebSocket relay; with no host given, the
    /// domain's (the relay found by DNS may differ, see
    /// [`RelayConnection::connect`]).
    pub fn uri(&self) -> Result<MsrpUri, Error> {
        let host = self.host.as_deref().unwrap_or(&self.domain);
        self.uri_at(host, self.default_port())
    }

    fn uri_at(&self, host: &str, port: u16) -> Result<MsrpUri, Error> {
        let transport = if self.ws_resource.is_some() {
            "ws"
        } else {
            "tcp"
        };
        MsrpUri::builder(host)
            .secure(self.use_tls)
            .port(port)
            .transport(transport)
            .build()
            .map_err(|e| Error::Config(format!("relay host `{host}`: {e}")))
    }

    /// Where to connect, best first: the host when given, else what the
    /// DNS SRV records of the domain name (`_msrps._tcp.<domain>`, or
    /// `_msrp._tcp` for plain TCP, as msrplib looks relays up), else the
    /// domain itself on port 2855. Each with the address DNS gave along.
    async fn targets(&self, timeout: Duration) -> Result<Vec<(MsrpUri, Option<IpAddr>)>, Error> {
        // A WebSocket relay is a URL: no SRV records.
        if self.host.is_some() || self.ws_resource.is_some() {
            return Ok(vec![(self.uri()?, None)]);
        }
        let servers = match &self.name_servers {
            Some(servers) => NameServers::Only(servers.clone()),
            None => NameServers::System,
        };
        let found = srv::lookup(self.domain.clone(), self.use_tls, servers, timeout, seed())
            .await
            .map_err(|e| Error::Config(format!("cannot find the relay of {}: {e}", self.domain)))?;
        found
            .into_iter()
            .map(|target| {
                let uri = self.uri_at(&target.host, self.port.unwrap_or(target.port))?;
                Ok((uri, target.addrs.first().copied()))
            })
            .collect()
    }
}

impl fmt::Debug for RelaySettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RelaySettings")
            .field("domain", &self.domain)
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("use_tls", &self.use_tls)
            .field("expires", &self.expires)
            .field("name_servers", &self.name_servers)
            .field("ws_resource", &self.ws_resource)
            .field("ws_limits", &self.ws_limits)
            .finish()
    }
}

/// An authenticated connection to a relay, which sessions share. It stays
/// open while this value (or a clone) lives or a session uses it, and its
/// authentication is renewed before it expires; a renewal the relay refuses
/// ends it, and its sessions, with
/// [`CloseReason::AuthRenewalFailed`](msrp_proto::connection::CloseReason::AuthRenewalFailed).
#[derive(Clone)]
pub struct RelayConnection<R: Runtime> {
    inner: Arc<RelayInner<R>>,
}

struct RelayInner<R: Runtime> {
    rt: R,
    config: EndpointConfig,
    driver: DriverHandle,
    relay: MsrpUri,
    use_path: Path,
    expires: Duration,
    /// Reached over WebSocket: local URIs take the RFC 7977 form.
    websocket: bool,
}

impl<R: Runtime> Drop for RelayInner<R> {
    fn drop(&mut self) {
        let _ = self.driver.send(Command::Release);
    }
}

impl<R: Runtime> fmt::Debug for RelayConnection<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RelayConnection")
            .field("relay", &self.inner.relay)
            .field("use_path", &self.inner.use_path)
            .field("expires", &self.inner.expires)
            .finish_non_exhaustive()
    }
}

impl<R: Runtime> RelayConnection<R> {
    /// Connects to the relay (TLS unless the settings say plain TCP, with
    /// `config.tls_client` for the certificate check) and authenticates.
    /// A relay that refuses the credentials gives [`Error::Relay`], naming
    /// the relay, the user and the relay's status.
    pub async fn connect(
        rt: R,
        config: EndpointConfig,
        settings: &RelaySettings,
    ) -> Result<Self, Error> {
        let websocket = settings.ws_resource.is_some();
        if websocket {
            let needed = config.protocol.relay_chunk_size + WS_HEADER_ROOM;
            let limit = settings.ws_limits.max_send_message;
            if needed > limit {
                return Err(Error::Config(format!(
                    "relay_chunk_size {} leaves no room for the headers in WebSocket messages \
                     of at most {limit} bytes (WsLimits::max_send_message)",
                    config.protocol.relay_chunk_size
                )));
            }
        }
        let (relay, io) = reach(&rt, &config, settings).await?;
        // Through a relay, its URI and not this side's address is what
        // peers see; the local URI is only a name for this client.
        let client = make_local_uri(&config, &relay, websocket)?;
        let label = format!("{client} -> relay {relay}");
        let driver = spawn_driver(&rt, &config, io, Binds::ByCore, Some(Command::Keep), label);
        let mut auth = AuthConfig::new(
            relay.clone(),
            client,
            settings.username.clone(),
            settings.password.clone(),
        );
        if let Some(seconds) = settings.expires {
            auth = auth.expires(seconds);
        }
        let (tx, rx) = oneshot::channel();
        driver.send(Command::Authenticate {
            config: auth,
            reply: tx,
        })?;
        // The core bounds each AUTH transaction; this bounds the rounds.
        let limit = config.protocol.transaction_timeout * 4;
        let answer = deadline(&rt, rt.now() + limit, rx)
            .await
            .ok_or(Error::Timeout(Phase::Auth))?
            .map_err(|_| driver.closed_error())?;
        let (use_path, expires) = answer.map_err(|err| match err {
            Error::Refused { code, comment } => Error::Relay {
                relay: relay.to_string(),
                username: settings.username.clone(),
                code,
                comment,
            },
            other => at_relay(&relay, other),
        })?;
        tracing::debug!(target: "msrp::traffic", %relay, %use_path, ?expires, "relay path granted");
        Ok(Self {
            inner: Arc::new(RelayInner {
                rt,
                config,
                driver,
                relay,
                use_path,
                expires,
                websocket,
            }),
        })
    }

    /// The path the relay granted (AUTH's Use-Path): the head of this
    /// side's path.
    pub fn use_path(&self) -> &Path {
        &self.inner.use_path
    }

    /// The relay's URI.
    pub fn relay(&self) -> &MsrpUri {
        &self.inner.relay
    }

    /// How long the relay granted the path for (it is renewed before then).
    pub fn expires(&self) -> Duration {
        self.inner.expires
    }

    /// A fresh local URI for a session through this relay.
    fn local_uri(&self) -> Result<MsrpUri, Error> {
        make_local_uri(&self.inner.config, &self.inner.relay, self.inner.websocket)
    }

    /// The full local path for `local_uri`: the Use-Path, then the URI.
    fn full_path(&self, local_uri: &MsrpUri) -> Vec<MsrpUri> {
        let mut path = self.inner.use_path.uris().to_vec();
        path.push(local_uri.clone());
        path
    }

    fn session(&self, local_uri: MsrpUri, remote: Option<Path>) -> SessionConfig {
        let relays = self.inner.use_path.uris().iter().cloned();
        self.inner
            .config
            .session(local_uri, remote)
            .local_relays(relays)
    }
}

/// A local URI with a fresh session id for a client of `relay`: on
/// [`EndpointConfig::local_host`], or for a WebSocket client the RFC 7977
/// §5.2 / Appendix A form `msrps://<random>.invalid:2855/<sid>;ws` (a name
/// that is never resolved; `msrp` when the relay URI is).
fn make_local_uri(
    config: &EndpointConfig,
    relay: &MsrpUri,
    websocket: bool,
) -> Result<MsrpUri, Error> {
    if !websocket {
        return config.make_local_uri(relay.is_secure(), DEFAULT_PORT);
    }
    let session_id = msrp_proto::ident::IdGenerator::from_seed(seed()).session_id();
    ws_local_uri(relay, &session_id)
}

/// The RFC 7977 local URI of a WebSocket client of `relay`, with this
/// session id.
fn ws_local_uri(relay: &MsrpUri, session_id: &str) -> Result<MsrpUri, Error> {
    const ALPHABET: &[u8; 36] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let random = seed();
    let token: String = random[..12]
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect();
    MsrpUri::builder(&format!("{token}.invalid"))
        .secure(relay.is_secure())
        .port(DEFAULT_PORT)
        .session_id(session_id)
        .transport("ws")
        .build()
        .map_err(|e| Error::Config(format!("WebSocket client URI: {e}")))
}

/// Connects to the first relay target that answers; the error of the last
/// one if none does.
async fn reach<R: Runtime>(
    rt: &R,
    config: &EndpointConfig,
    settings: &RelaySettings,
) -> Result<(MsrpUri, BoxIo), Error> {
    let mut last = None;
    for (relay, addr) in settings.targets(config.connect_timeout).await? {
        let dialed = match dial_at(rt, config, &relay, addr).await {
            Ok(io) => upgrade(rt, config, settings, io).await,
            Err(err) => Err(err),
        };
        match dialed {
            Ok(io) => return Ok((relay, io)),
            Err(err) => {
                tracing::debug!(target: "msrp::traffic", %relay, %err, "relay not reached");
                last = Some(at_relay(&relay, err));
            }
        }
    }
    Err(last.unwrap_or_else(|| Error::Config("no relay to connect to".into())))
}

/// The WebSocket handshake over a connection to a WebSocket relay; the
/// connection as is for any other.
async fn upgrade<R: Runtime>(
    rt: &R,
    config: &EndpointConfig,
    settings: &RelaySettings,
    io: BoxIo,
) -> Result<BoxIo, Error> {
    let Some(url) = settings.ws_url() else {
        return Ok(io);
    };
    let stream = deadline(
        rt,
        rt.now() + config.connect_timeout,
        WsStream::connect(io, &url, settings.ws_limits),
    )
    .await
    .ok_or(Error::Timeout(Phase::Connect))?
    .map_err(|e| Error::Config(format!("WebSocket handshake with {url}: {e}")))?;
    Ok(Box::new(stream))
}

/// A relay error in the words a user needs: which relay, and what failed.
fn at_relay(relay: &MsrpUri, err: Error) -> Error {
    match err {
        Error::Config(text) => Error::Config(format!("relay {relay}: {text}")),
        other => Error::Config(format!("cannot reach the relay at {relay}: {other}")),
    }
}

fn remote(path: &[MsrpUri]) -> Result<Path, Error> {
    Path::new(path.to_vec()).ok_or_else(|| Error::Config("the remote path is empty".into()))
}

/// The relay connection of a connector or acceptor: one it opens itself
/// from settings, or one it shares.
#[derive(Debug)]
struct RelayHold<R: Runtime> {
    rt: R,
    config: EndpointConfig,
    /// Present when the connection is this side's own to open.
    settings: Option<RelaySettings>,
    relay: Option<RelayConnection<R>>,
}

impl<R: Runtime> RelayHold<R> {
    fn own(rt: R, config: EndpointConfig, settings: RelaySettings) -> Self {
        Self {
            rt,
            config,
            settings: Some(settings),
            relay: None,
        }
    }

    fn shared(relay: RelayConnection<R>) -> Self {
        Self {
            rt: relay.inner.rt.clone(),
            config: relay.inner.config.clone(),
            settings: None,
            relay: Some(relay),
        }
    }

    /// The relay connection, connected and authenticated first if need be.
    async fn get(&mut self) -> Result<&RelayConnection<R>, Error> {
        if self.relay.is_none() {
            let settings = self
                .settings
                .as_ref()
                .ok_or_else(|| Error::Config("no relay connection".into()))?;
            let relay =
                RelayConnection::connect(self.rt.clone(), self.config.clone(), settings).await?;
            self.relay = Some(relay);
        }
        self.relay
            .as_ref()
            .ok_or_else(|| Error::Config("no relay connection".into()))
    }

    /// Waits for a bind reply. Once bound, a connection this side opened is
    /// let go: the session holds it now and it closes with it, as in
    /// msrplib. A shared connection stays with whoever shares it.
    async fn bound(
        &mut self,
        rx: oneshot::Receiver<Result<SessionParts, Error>>,
    ) -> Result<Transport, Error> {
        let bound = await_bind(&self.rt, self.config.bind_timeout, rx).await;
        if self.settings.is_some() && bound.is_ok() {
            self.relay = None;
        }
        bound
    }
}

/// A fresh local URI on `relay` unless one is given. Through a WebSocket
/// relay a given URI of another transport keeps only its session id: a
/// WebSocket client's URI is `msrp[s]://<random>.invalid:2855/<sid>;ws`
/// (RFC 7977 §5.2), as it cannot be reached but through the relay.
fn local_uri_on<R: Runtime>(
    relay: &RelayConnection<R>,
    given: Option<MsrpUri>,
) -> Result<MsrpUri, Error> {
    match given {
        Some(uri) if relay.inner.websocket && !uri.transport().eq_ignore_ascii_case("ws") => {
            match uri.session_id() {
                Some(id) => ws_local_uri(&relay.inner.relay, id),
                None => relay.local_uri(),
            }
        }
        Some(uri) => Ok(uri),
        None => relay.local_uri(),
    }
}

/// The calling endpoint behind a relay (msrplib's `ConnectorRelay`).
#[derive(Debug)]
pub struct ConnectorRelay<R: Runtime> {
    hold: RelayHold<R>,
    local_uri: Option<MsrpUri>,
}

impl<R: Runtime> ConnectorRelay<R> {
    /// A connector that authenticates to the relay of `settings` in
    /// [`prepare`](Self::prepare).
    pub fn new(rt: R, config: EndpointConfig, settings: RelaySettings) -> Self {
        Self {
            hold: RelayHold::own(rt, config, settings),
            local_uri: None,
        }
    }

    /// A connector on a relay connection that is already authenticated
    /// (shared with other sessions).
    pub fn with_connection(relay: RelayConnection<R>) -> Self {
        Self {
            hold: RelayHold::shared(relay),
            local_uri: None,
        }
    }

    /// Connects and authenticates to the relay (unless already done) and
    /// returns this side's full path: the relay's Use-Path, then the local
    /// URI (`local_uri`, or a fresh one; through a WebSocket relay, a URI
    /// that is not `;ws` keeps only its session id, see
    /// [`RelaySettings::from_ws_url`]).
    pub async fn prepare(&mut self, local_uri: Option<MsrpUri>) -> Result<Vec<MsrpUri>, Error> {
        let relay = self.hold.get().await?;
        let uri = local_uri_on(relay, local_uri)?;
        let path = relay.full_path(&uri);
        self.local_uri = Some(uri);
        Ok(path)
    }

    /// Binds the session through the relay: the bodiless SEND goes out with
    /// the Use-Path ahead of `full_remote_path` in its To-Path.
    pub async fn complete(&mut self, full_remote_path: &[MsrpUri]) -> Result<Transport, Error> {
        let remote = remote(full_remote_path)?;
        if self.local_uri.is_none() {
            self.prepare(None).await?;
        }
        let (Some(relay), Some(local_uri)) = (&self.hold.relay, self.local_uri.clone()) else {
            return Err(Error::Config("call prepare before complete".into()));
        };
        let (tx, rx) = oneshot::channel();
        relay.inner.driver.send(Command::Open {
            config: relay.session(local_uri, Some(remote)),
            reply: reply_to(tx),
        })?;
        self.hold.bound(rx).await
    }

    /// Lets go of the relay connection (it closes once no session uses it).
    pub fn cleanup(&mut self) {
        self.hold.relay = None;
        self.local_uri = None;
    }
}

/// The answering endpoint behind a relay (msrplib's `AcceptorRelay`).
///
/// The session is expected on the relay connection from
/// [`prepare`](Self::prepare) on, so that a peer that binds before
/// [`complete`](Self::complete) is called is not refused.
#[derive(Debug)]
pub struct AcceptorRelay<R: Runtime> {
    hold: RelayHold<R>,
    bound: Option<oneshot::Receiver<Result<SessionParts, Error>>>,
}

impl<R: Runtime> AcceptorRelay<R> {
    /// An acceptor that authenticates to the relay of `settings` in
    /// [`prepare`](Self::prepare).
    pub fn new(rt: R, config: EndpointConfig, settings: RelaySettings) -> Self {
        Self {
            hold: RelayHold::own(rt, config, settings),
            bound: None,
        }
    }

    /// An acceptor on a relay connection that is already authenticated.
    pub fn with_connection(relay: RelayConnection<R>) -> Self {
        Self {
            hold: RelayHold::shared(relay),
            bound: None,
        }
    }

    /// Connects and authenticates to the relay (unless already done),
    /// expects the session there, and returns this side's full path.
    pub async fn prepare(&mut self, local_uri: Option<MsrpUri>) -> Result<Vec<MsrpUri>, Error> {
        let relay = self.hold.get().await?;
        let uri = local_uri_on(relay, local_uri)?;
        let (tx, rx) = oneshot::channel();
        relay.inner.driver.send(Command::Expect {
            config: relay.session(uri.clone(), None),
            reply: reply_to(tx),
        })?;
        // The path goes to the peer, who may bind at once: the expectation
        // must be in force by then, not merely on its way to the driver (a
        // busy shared relay connection could read the peer's first request
        // before it and answer 481).
        let (synced, applied) = oneshot::channel();
        relay.inner.driver.send(Command::Sync(synced))?;
        applied
            .await
            .map_err(|_| relay.inner.driver.closed_error())?;
        let path = relay.full_path(&uri);
        self.bound = Some(rx);
        Ok(path)
    }

    /// Waits for the peer's first request through the relay and returns the
    /// session, if the peer's path is `full_remote_path` (RFC 4975 §6.1
    /// comparison). Another peer's session is closed and reported as
    /// [`Error::UnexpectedPeer`].
    pub async fn complete(&mut self, full_remote_path: &[MsrpUri]) -> Result<Transport, Error> {
        let remote = remote(full_remote_path)?;
        let transport = self.complete_any().await?;
        if *transport.remote_path() != remote {
            return Err(Error::UnexpectedPeer {
                expected: remote.to_string(),
                got: transport.remote_path().to_string(),
            });
        }
        Ok(transport)
    }

    /// Like [`complete`](Self::complete), whatever the peer's path.
    pub async fn complete_any(&mut self) -> Result<Transport, Error> {
        let Some(rx) = self.bound.take() else {
            return Err(Error::Config("call prepare before complete".into()));
        };
        self.hold.bound(rx).await
    }

    /// Stops expecting the session and lets go of the relay connection.
    pub fn cleanup(&mut self) {
        self.bound = None;
        self.hold.relay = None;
    }
}
