//! [`RelayServer`]: an MSRP relay (RFC 4976) on any [`Runtime`]: the
//! listeners, one I/O task per connection, the timers and the CSPRNG seed
//! around [`msrp_proto::relay::Relay`], which makes every decision.
//!
//! ```no_run
//! # async fn run<R: msrp_endpoint::Runtime>(rt: R) -> Result<(), msrp_endpoint::Error> {
//! use msrp_endpoint::{RelayListen, RelayServer, RelayServerConfig, TlsServer};
//! use msrp_endpoint::msrp_proto::relay::{RelayConfig, Users};
//!
//! let users = Users::parse(&std::fs::read_to_string("/etc/msrp/users")?)
//!     .map_err(|e| msrp_endpoint::Error::Config(format!("users: {e}")))?;
//! let mut config = RelayServerConfig::new(RelayConfig::new("relay.example.com", "example.com"));
//! config.listen = vec![RelayListen::tls("0.0.0.0:2855".parse().unwrap())];
//! config.tls_server = Some(TlsServer::from_pem_files("cert.pem", "key.pem")?);
//! let relay = RelayServer::start(rt, config, users).await?;
//! println!("clients authenticate to {}", relay.uri(true).unwrap());
//! # Ok(()) }
//! ```
//!
//! # How it runs
//!
//! The relay core sits behind one mutex, shared by the tasks: an accept
//! loop per listener, a timer task, and a task per connection modelled on
//! the endpoint driver (reads go straight into the core's parser buffer,
//! writes are vectored, each direction of the socket has a waker of its
//! own). A task holds the lock while it reads and while it takes the bytes
//! to write, never while it writes or waits: encryption on the way out
//! happens outside. After each turn it wakes the tasks of the connections
//! the core named ([`Action::Wake`]) and starts the outbound connections
//! the core asked for ([`Action::Connect`]).
//!
//! Backpressure is the core's: a connection whose traffic has nowhere to
//! go is not read ([`Relay::wants_input`]), and TCP pushes back on its
//! peer.
//!
//! # WebSocket (RFC 7977)
//!
//! A WebSocket listener ([`RelayListen::ws`], [`RelayListen::wss`]) takes
//! browsers and other WebSocket clients. Its connection task answers the
//! HTTP upgrade (sans-IO [`ServerHandshake`](crate::ws::ServerHandshake):
//! the `msrp` subprotocol is required, `400` with the reason in the body
//! otherwise; `Origin` is echoed in `Access-Control-Allow-Origin`), then
//! runs the same I/O loop as any connection over a
//! [`WsStream`](crate::ws::WsStream), the one WebSocket implementation of
//! every runtime (sans-IO [`WsFraming`](crate::ws::WsFraming), tungstenite's
//! codec on in-memory buffers): each message received must be exactly one
//! MSRP chunk (text or binary, in any number of frames) and goes to the
//! core; what the core writes goes out one chunk per binary message. The
//! core cuts the chunks it forwards to a WebSocket client to
//! [`RelayConfig::max_ws_chunk`] (a 64 MiB chunk from a TCP sender leaves
//! as thousands of `+` parts, streamed), so every chunk fits one message.
//! A message too big, a message that is not one chunk, or broken framing
//! is answered with a close frame (1009, 1002, 1007) whose reason says
//! why. Quiet connections get a ping every
//! [`RelayServerConfig::ws_ping_interval`].
//!
//! A WebSocket client cannot be connected to: the relay URI it gets
//! (Use-Path) is the one of the relay's MSRP listener — TLS, or plain TCP
//! when there is none — through which its peers reach it (RFC 7977 §8.1),
//! and what comes for it goes over its own WebSocket connection.

mod conn;
/// Bytes one read of a relay connection may take (for `TLS_SEND_BUFFER`'s test).
#[cfg(test)]
pub(crate) use conn::READ_SIZE;

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_channel::oneshot;
use futures_util::FutureExt;
use futures_util::future::{Either, Shared, select};
use futures_util::task::AtomicWaker;
use msrp_proto::relay::{
    Action, ConnId, Listener, MIN_CHUNK_LIMIT, Relay, RelayConfig, RelayEvent, RelayStats, Users,
};
use msrp_proto::uri::MsrpUri;
use tracing::{debug, info, warn};

use crate::error::Error;
use crate::runtime::Runtime;
use crate::seed;
use crate::tls::{TlsClient, TlsServer};
use crate::ws::{WsLimits, WsUrl};

/// Where a relay listens: an address, TLS or plain TCP, MSRP itself or
/// MSRP over WebSocket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RelayListen {
    /// The address (port 0 picks a free one).
    pub addr: SocketAddr,
    /// TLS (`msrps`, RFC 4976 §9.2: mandatory for AUTH; `wss`) or plain
    /// TCP (`msrp`; `ws`).
    pub tls: bool,
    /// MSRP over WebSocket (RFC 7977).
    pub websocket: bool,
}

impl RelayListen {
    /// A TLS listener.
    pub fn tls(addr: SocketAddr) -> Self {
        Self {
            addr,
            tls: true,
            websocket: false,
        }
    }

    /// A plain TCP listener (for peers without TLS and for labs).
    pub fn tcp(addr: SocketAddr) -> Self {
        Self {
            addr,
            tls: false,
            websocket: false,
        }
    }

    /// A WebSocket listener over TLS (`wss`, RFC 7977 §5.1: required
    /// outside labs), with the relay's certificate.
    pub fn wss(addr: SocketAddr) -> Self {
        Self {
            addr,
            tls: true,
            websocket: true,
        }
    }

    /// A plain WebSocket listener (`ws`: labs, or behind a TLS proxy).
    pub fn ws(addr: SocketAddr) -> Self {
        Self {
            addr,
            tls: false,
            websocket: true,
        }
    }
}

/// Settings of a [`RelayServer`].
///
/// ```
/// use msrp_endpoint::{RelayListen, RelayServerConfig};
/// use msrp_endpoint::msrp_proto::relay::RelayConfig;
/// let mut config = RelayServerConfig::new(RelayConfig::new("relay.example.com", "example.com"));
/// config.listen.push(RelayListen::tcp("127.0.0.1:0".parse().unwrap()));
/// assert_eq!(config.connect_timeout.as_secs(), 10);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RelayServerConfig {
    /// The relay's policy and limits.
    pub relay: RelayConfig,
    /// Where to listen.
    pub listen: Vec<RelayListen>,
    /// The certificate of TLS listeners (required when there is one).
    pub tls_server: Option<TlsServer>,
    /// How to check the certificates of `msrps` peers the relay connects to
    /// (required to reach them).
    pub tls_client: Option<TlsClient>,
    /// How long a TLS handshake may take, in and out. Default 10 s.
    pub tls_handshake_timeout: Duration,
    /// How long to try to connect to a next hop. Default 10 s.
    pub connect_timeout: Duration,
    /// Limits of WebSocket connections: the largest message received (one
    /// chunk from a client; larger fails the connection with close code
    /// 1009) and the largest upgrade request. The largest message sent is
    /// [`RelayConfig::max_ws_chunk`] (`max_send_message` is ignored).
    pub ws_limits: WsLimits,
    /// A WebSocket connection that sent nothing for this long gets a ping
    /// (RFC 7977 §6: keeps NATs and proxies from dropping it); `None`: no
    /// pings. Default 30 s.
    pub ws_ping_interval: Option<Duration>,
}

impl RelayServerConfig {
    /// No listeners yet, no TLS, the default timeouts.
    pub fn new(relay: RelayConfig) -> Self {
        Self {
            relay,
            listen: Vec::new(),
            tls_server: None,
            tls_client: None,
            tls_handshake_timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(10),
            ws_limits: WsLimits::default(),
            ws_ping_interval: Some(Duration::from_secs(30)),
        }
    }
}

/// State shared by the relay's tasks.
struct Hub<R: Runtime> {
    rt: R,
    core: Mutex<Core>,
    tls_server: Option<Arc<rustls::ServerConfig>>,
    tls_client: Option<Arc<rustls::ClientConfig>>,
    handshake_timeout: Duration,
    connect_timeout: Duration,
    ws_limits: WsLimits,
    ws_ping_interval: Option<Duration>,
    timer_waker: AtomicWaker,
}

/// What the mutex guards.
struct Core {
    relay: Relay,
    /// The task of each connection.
    tasks: HashMap<ConnId, Arc<AtomicWaker>>,
    /// The deadline the timer task waits for.
    timer_at: Option<Instant>,
    stopped: bool,
}

/// What to do once the lock is released.
#[derive(Default)]
struct Work {
    wake: Vec<Arc<AtomicWaker>>,
    connect: Vec<(ConnId, Arc<AtomicWaker>, String, u16, bool)>,
    wake_timer: bool,
}

impl Core {
    /// Takes the core's actions and events: tasks to wake, connections to
    /// open, whether the timer must move.
    fn drain(&mut self) -> Work {
        let mut work = Work::default();
        while let Some(action) = self.relay.poll_action() {
            match action {
                Action::Wake(id) => {
                    if let Some(task) = self.tasks.get(&id) {
                        work.wake.push(task.clone());
                    }
                }
                Action::Connect {
                    conn,
                    host,
                    port,
                    secure,
                } => {
                    let task = Arc::new(AtomicWaker::new());
                    self.tasks.insert(conn, task.clone());
                    work.connect.push((conn, task, host, port, secure));
                }
                _ => {}
            }
        }
        while let Some(event) = self.relay.poll_event() {
            log_event(&event);
        }
        let next = self.relay.poll_timeout();
        work.wake_timer = match (next, self.timer_at) {
            (Some(next), Some(armed)) => next < armed,
            (Some(_), None) => true,
            (None, _) => false,
        };
        work
    }
}

impl Work {
    fn run<R: Runtime>(self, hub: &Arc<Hub<R>>) {
        for task in self.wake {
            task.wake();
        }
        if self.wake_timer {
            hub.timer_waker.wake();
        }
        for (conn, task, host, port, secure) in self.connect {
            let hub2 = hub.clone();
            hub.rt.spawn(Box::pin(conn::run_outbound(
                hub2, conn, task, host, port, secure,
            )));
        }
    }
}

fn log_event(event: &RelayEvent) {
    match event {
        RelayEvent::Closed { conn, reason } => {
            debug!(target: "msrp::relay", %conn, %reason, "connection closed");
        }
        RelayEvent::GrantExpired { uri } => {
            debug!(target: "msrp::relay", %uri, "relay URI expired");
        }
        RelayEvent::Reported {
            conn,
            code,
            message_id,
        } => debug!(target: "msrp::relay", %conn, code, %message_id, "failure REPORT sent"),
        // Logged by the core where they happen.
        _ => {}
    }
}

impl<R: Runtime> Hub<R> {
    fn lock(&self) -> std::sync::MutexGuard<'_, Core> {
        // A panic while holding the lock leaves the relay in an unknown
        // state; go on with it rather than take every connection down.
        self.core
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `f` on the core with the time, then does what it asked for.
    fn with_core<T>(self: &Arc<Self>, f: impl FnOnce(&mut Relay, Instant) -> T) -> T {
        let now = self.rt.now();
        let (out, work) = {
            let mut core = self.lock();
            let out = f(&mut core.relay, now);
            (out, core.drain())
        };
        work.run(self);
        out
    }
}

/// A running MSRP relay. It stops (listeners closed, connections dropped)
/// when dropped.
pub struct RelayServer<R: Runtime> {
    hub: Arc<Hub<R>>,
    listening: Vec<RelayListen>,
    host: String,
    _stop: oneshot::Sender<()>,
}

impl<R: Runtime> std::fmt::Debug for RelayServer<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RelayServer")
            .field("listening", &self.listening)
            .field("host", &self.host)
            .finish_non_exhaustive()
    }
}

impl<R: Runtime> RelayServer<R> {
    /// Binds the listeners and starts the relay. Errors: a configuration
    /// the relay cannot run with (no listener, a TLS or `wss` listener
    /// without a certificate, a WebSocket listener without an MSRP listener
    /// for its clients' relay URIs, a bad host or realm), an address that
    /// cannot be bound.
    pub async fn start(rt: R, config: RelayServerConfig, users: Users) -> Result<Self, Error> {
        if config.listen.is_empty() {
            return Err(Error::Config(
                "the relay needs at least one listener".into(),
            ));
        }
        if config.listen.iter().any(|l| l.tls) && config.tls_server.is_none() {
            return Err(Error::Config(
                "a TLS listener needs a certificate and its key".into(),
            ));
        }
        // RFC 7977: a WebSocket client's relay URI names an MSRP listener,
        // TLS if there is one.
        let msrp_listeners = || {
            config
                .listen
                .iter()
                .enumerate()
                .filter(|(_, l)| !l.websocket)
        };
        let use_path = msrp_listeners()
            .find(|(_, l)| l.tls)
            .or_else(|| msrp_listeners().next())
            .map(|(i, _)| i);
        if config.listen.iter().any(|l| l.websocket) {
            match use_path.map(|i| config.listen[i]) {
                None => {
                    return Err(Error::Config(
                        "a WebSocket listener needs an MSRP listener (TLS, or TCP) beside it: \
                         its clients' relay URI names that listener, through which their peers \
                         reach them (RFC 7977)"
                            .into(),
                    ));
                }
                Some(l) if !l.tls => warn!(
                    target: "msrp::relay",
                    addr = %l.addr,
                    "no TLS listener: WebSocket clients get a plain TCP relay URI (lab use)"
                ),
                Some(_) => {}
            }
        }
        let mut relay_config = config.relay.clone();
        let mut bound = Vec::new();
        for spec in &config.listen {
            let listener = rt
                .listen(spec.addr)
                .await
                .map_err(|e| Error::Config(format!("cannot listen on {}: {e}", spec.addr)))?;
            let addr = rt.local_addr(&listener)?;
            if !addr.ip().is_unspecified() {
                relay_config.aliases.push(addr.ip().to_string());
            }
            bound.push((listener, RelayListen { addr, ..*spec }));
        }
        let specs: Vec<Listener> = {
            let via = use_path.map(|i| {
                let l = bound[i].1;
                if l.tls {
                    Listener::tls(l.addr.port())
                } else {
                    Listener::tcp(l.addr.port())
                }
            });
            bound
                .iter()
                .map(|(_, l)| match (l.websocket, l.tls) {
                    (true, _) => Listener::websocket(
                        l.tls,
                        l.addr.port(),
                        via.unwrap_or(Listener::tls(l.addr.port())),
                    ),
                    (false, true) => Listener::tls(l.addr.port()),
                    (false, false) => Listener::tcp(l.addr.port()),
                })
                .collect()
        };
        let now = rt.now();
        let host = relay_config.host.clone();
        let mut ws_limits = config.ws_limits;
        // One chunk per message: the core cuts them to this.
        ws_limits.max_send_message = relay_config.max_ws_chunk.max(MIN_CHUNK_LIMIT);
        let mut relay = Relay::new(relay_config, users, seed(), now)
            .map_err(|e| Error::Config(format!("relay: {e}")))?;
        for spec in &specs {
            relay.add_listener(*spec);
        }
        let hub = Arc::new(Hub {
            rt: rt.clone(),
            core: Mutex::new(Core {
                relay,
                tasks: HashMap::new(),
                timer_at: None,
                stopped: false,
            }),
            tls_server: config.tls_server.map(|t| t.config().clone()),
            tls_client: config.tls_client.map(|t| t.config().clone()),
            handshake_timeout: config.tls_handshake_timeout,
            connect_timeout: config.connect_timeout,
            ws_limits,
            ws_ping_interval: config.ws_ping_interval,
            timer_waker: AtomicWaker::new(),
        });
        let (stop, stopped) = oneshot::channel::<()>();
        let stopped = stopped.shared();
        let listening = bound.iter().map(|(_, l)| *l).collect();
        for ((listener, l), spec) in bound.into_iter().zip(specs) {
            info!(target: "msrp::relay", addr = %l.addr, tls = l.tls, websocket = l.websocket, "listening");
            rt.spawn(Box::pin(accept_loop(
                hub.clone(),
                listener,
                spec,
                stopped.clone(),
            )));
        }
        rt.spawn(Box::pin(timer_task(hub.clone(), stopped)));
        Ok(Self {
            hub,
            listening,
            host,
            _stop: stop,
        })
    }

    /// The relay's name in the URIs it hands out.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The listeners, with the addresses they are bound to.
    pub fn listening(&self) -> &[RelayListen] {
        &self.listening
    }

    /// The URI clients authenticate to (the To-Path of AUTH): on the first
    /// TLS listener when `tls`, else on the first plain one, named by the
    /// relay's host. WebSocket listeners are not counted: see
    /// [`ws_url`](Self::ws_url).
    pub fn uri(&self, tls: bool) -> Option<MsrpUri> {
        let l = self
            .listening
            .iter()
            .find(|l| l.tls == tls && !l.websocket)?;
        MsrpUri::builder(&self.host)
            .secure(tls)
            .port(l.addr.port())
            .build()
            .ok()
    }

    /// The URL WebSocket clients connect to: `wss://host:port/` on the
    /// first `wss` listener when `tls`, else `ws://…` on the first `ws` one
    /// (for [`RelaySettings::from_ws_url`](crate::RelaySettings::from_ws_url);
    /// any resource path is taken).
    pub fn ws_url(&self, tls: bool) -> Option<WsUrl> {
        let l = self
            .listening
            .iter()
            .find(|l| l.tls == tls && l.websocket)?;
        Some(WsUrl::new(tls, self.host.clone(), l.addr.port(), "/"))
    }

    /// Figures about the relay now.
    pub fn stats(&self) -> RelayStats {
        self.hub.lock().relay.stats()
    }
}

impl<R: Runtime> Drop for RelayServer<R> {
    fn drop(&mut self) {
        // Every connection goes with the relay; the accept loops and the
        // timer stop on `_stop`, dropped after this.
        let now = self.hub.rt.now();
        let tasks: Vec<Arc<AtomicWaker>> = {
            let mut core = self.hub.lock();
            core.stopped = true;
            let ids: Vec<ConnId> = core.tasks.keys().copied().collect();
            for id in ids {
                core.relay.close(now, id);
            }
            let _ = core.drain();
            core.tasks.values().cloned().collect()
        };
        for task in tasks {
            task.wake();
        }
        self.hub.timer_waker.wake();
    }
}

/// Accepts connections on one listener until the relay stops.
async fn accept_loop<R: Runtime>(
    hub: Arc<Hub<R>>,
    listener: R::Listener,
    spec: Listener,
    stop: Shared<oneshot::Receiver<()>>,
) {
    loop {
        let accepted = match select(pin!(hub.rt.accept(&listener)), stop.clone()).await {
            Either::Left((accepted, _)) => accepted,
            Either::Right(_) => return,
        };
        match accepted {
            Ok((tcp, peer)) => {
                debug!(target: "msrp::relay", %peer, tls = spec.secure, websocket = spec.is_websocket(), "accepted");
                let hub2 = hub.clone();
                hub.rt
                    .spawn(Box::pin(conn::run_inbound(hub2, tcp, peer, spec)));
            }
            Err(err) => {
                // Out of file descriptors, say: wait a little rather than
                // spin on the error.
                warn!(target: "msrp::relay", %err, "accept failed");
                let _ = crate::runtime::timeout(&hub.rt, Duration::from_millis(100), stop.clone())
                    .await;
            }
        }
    }
}

/// Fires the core's timers when they are due.
async fn timer_task<R: Runtime>(hub: Arc<Hub<R>>, stop: Shared<oneshot::Receiver<()>>) {
    let mut timer = hub.rt.timer(hub.rt.now() + Duration::from_secs(3600));
    let mut armed: Option<Instant> = None;
    let mut stop = stop;
    std::future::poll_fn(move |cx: &mut Context<'_>| {
        hub.timer_waker.register(cx.waker());
        if Pin::new(&mut stop).poll(cx).is_ready() {
            return Poll::Ready(());
        }
        loop {
            let now = hub.rt.now();
            let (due, work) = {
                let mut core = hub.lock();
                if core.stopped {
                    return Poll::Ready(());
                }
                let next = core.relay.poll_timeout();
                // Compared with the clock first, so a late poll still fires.
                let due = next.is_some_and(|at| at <= now);
                if due {
                    core.relay.handle_timeout(now);
                }
                core.timer_at = core.relay.poll_timeout();
                (due, core.drain())
            };
            work.run(&hub);
            if due {
                continue;
            }
            let next = hub.lock().timer_at;
            let Some(at) = next else {
                return Poll::Pending;
            };
            if armed != Some(at) {
                timer.reset(at);
                armed = Some(at);
            }
            if timer.poll_fire(cx).is_ready() {
                armed = None;
                continue;
            }
            return Poll::Pending;
        }
    })
    .await;
}

/// Races `future` against the relay closing connection `id`.
async fn unless_closed<R: Runtime, F: Future>(
    hub: &Arc<Hub<R>>,
    id: ConnId,
    task: &Arc<AtomicWaker>,
    future: F,
) -> Option<F::Output> {
    let closed = std::future::poll_fn(|cx| {
        task.register(cx.waker());
        if hub.lock().relay.conn_state(id) == msrp_proto::relay::ConnState::Closed {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    });
    match select(pin!(future), pin!(closed)).await {
        Either::Left((out, _)) => Some(out),
        Either::Right(_) => None,
    }
}
