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
//! A future transport (WebSocket, RFC 7977) plugs in at the connection
//! task: it turns its frames into bytes for `handle_read` and frames what
//! `poll_transmit` gives, one MSRP chunk per message at each
//! [`Transmit::end_of_chunk`](msrp_proto::relay::Transmit::end_of_chunk).

mod conn;

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
    Action, ConnId, Listener, Relay, RelayConfig, RelayEvent, RelayStats, Users,
};
use msrp_proto::uri::MsrpUri;
use tracing::{debug, info, warn};

use crate::error::Error;
use crate::runtime::Runtime;
use crate::seed;
use crate::tls::{TlsClient, TlsServer};

/// Where a relay listens: an address, TLS or plain TCP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RelayListen {
    /// The address (port 0 picks a free one).
    pub addr: SocketAddr,
    /// TLS (`msrps`, RFC 4976 §9.2: mandatory for AUTH) or plain TCP.
    pub tls: bool,
}

impl RelayListen {
    /// A TLS listener.
    pub fn tls(addr: SocketAddr) -> Self {
        Self { addr, tls: true }
    }

    /// A plain TCP listener (for peers without TLS and for labs).
    pub fn tcp(addr: SocketAddr) -> Self {
        Self { addr, tls: false }
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
    listening: Vec<(SocketAddr, bool)>,
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
    /// the relay cannot run with (no listener, a TLS listener without a
    /// certificate, a bad host or realm), an address that cannot be bound.
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
            bound.push((listener, addr, spec.tls));
        }
        let now = rt.now();
        let host = relay_config.host.clone();
        let mut relay = Relay::new(relay_config, users, seed(), now)
            .map_err(|e| Error::Config(format!("relay: {e}")))?;
        for (_, addr, tls) in &bound {
            relay.add_listener(Listener {
                secure: *tls,
                port: addr.port(),
            });
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
            timer_waker: AtomicWaker::new(),
        });
        let (stop, stopped) = oneshot::channel::<()>();
        let stopped = stopped.shared();
        let listening = bound.iter().map(|(_, addr, tls)| (*addr, *tls)).collect();
        for (listener, addr, tls) in bound {
            info!(target: "msrp::relay", %addr, tls, "listening");
            let spec = Listener {
                secure: tls,
                port: addr.port(),
            };
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

    /// The addresses it listens on, with whether each is TLS.
    pub fn listening(&self) -> &[(SocketAddr, bool)] {
        &self.listening
    }

    /// The URI clients authenticate to (the To-Path of AUTH): on the first
    /// TLS listener when `tls`, else on the first plain one, named by the
    /// relay's host.
    pub fn uri(&self, tls: bool) -> Option<MsrpUri> {
        let (addr, _) = self.listening.iter().find(|(_, t)| *t == tls)?;
        MsrpUri::builder(&self.host)
            .secure(tls)
            .port(addr.port())
            .build()
            .ok()
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
                debug!(target: "msrp::relay", %peer, tls = spec.secure, "accepted");
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
