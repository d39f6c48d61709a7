//! [`MsrpServer`]: one listening socket shared by many sessions (msrplib's
//! `MSRPServer`).
//!
//! `prepare` registers a local URI as expected (opening a listener for its
//! address if there is none yet); a peer's first request to that URI, on any
//! accepted connection, binds it (RFC 4975 §5.4). `complete` waits for the
//! session whose peer has the given path. A request for a URI nobody expects
//! gets 481; one for a URI already bound, on this or another connection,
//! gets 506. Connections that bind nothing are closed after the bind
//! timeout, and at most [`EndpointConfig::max_unbound_connections`] wait
//! at a time: beyond that the oldest is dropped.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, Weak};

use futures_channel::oneshot;
use futures_util::future::{Either, select};
use msrp_proto::connection::{BindRequest, Config};
use msrp_proto::ident::IdGenerator;
use msrp_proto::path::Path;
use msrp_proto::uri::MsrpUri;

use crate::accepted::{Accepted, StartDriver, run_accepted};
use crate::connect::{Binds, EndpointConfig, await_bind, listen_addr, spawn_driver};
use crate::driver::{BindDecision, BindPolicy};
use crate::error::Error;
use crate::runtime::Runtime;
use crate::seed;
use crate::session::{SessionParts, Transport};
use crate::unbound::{Ticket, Unbound};

/// Where an expected URI is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expected {
    Waiting,
    Bound,
}

type Waiter = oneshot::Sender<Result<SessionParts, Error>>;

#[derive(Default)]
struct Registry {
    expected: HashMap<MsrpUri, Expected>,
    /// `complete` calls waiting, by the peer path they expect (`None`: any).
    waiters: Vec<(Option<Path>, Waiter)>,
    /// Sessions bound before anyone called `complete` for them.
    unclaimed: Vec<SessionParts>,
}

struct Listening {
    addr: SocketAddr,
    secure: bool,
    _stop: oneshot::Sender<()>,
}

struct State {
    registry: Mutex<Registry>,
    listeners: Mutex<Vec<Listening>>,
    unbound: Unbound,
    config: EndpointConfig,
    /// The protocol settings that every connection's core shares.
    protocol: Arc<Config>,
}

/// Decides binds for one connection of a server.
struct Policy {
    state: Weak<State>,
    /// The connection's place among the unbound ones, given up by its
    /// first bind.
    ticket: Mutex<Option<Ticket>>,
}

impl BindPolicy for Policy {
    fn decide(&self, request: &BindRequest) -> BindDecision {
        let Some(state) = self.state.upgrade() else {
            return BindDecision::Reject(481);
        };
        let Ok(mut registry) = state.registry.lock() else {
            return BindDecision::Reject(481);
        };
        let local = request.local_uri.clone();
        match registry.expected.get(&local) {
            None => return BindDecision::Reject(481),
            // RFC 4975 §5.4: a session binds to one connection only.
            Some(Expected::Bound) => return BindDecision::Reject(506),
            Some(Expected::Waiting) => {}
        }
        registry.expected.insert(local.clone(), Expected::Bound);
        // The peer's path is checked now if `complete` already named it;
        // otherwise it is learnt here and checked when `complete` comes.
        let named = registry
            .waiters
            .iter()
            .any(|(path, _)| path.as_ref() == Some(&request.remote_path))
            .then(|| request.remote_path.clone());
        let config = state.config.session(local.clone(), named);
        if let Ok(mut ticket) = self.ticket.lock() {
            ticket.take();
        }
        let weak = self.state.clone();
        BindDecision::Accept {
            config: Box::new(config),
            reply: Box::new(move |result| deliver(&weak, &local, result)),
        }
    }
}

/// Hands a bound session to the `complete` waiting for its peer, or keeps it
/// for the `complete` to come.
fn deliver(state: &Weak<State>, local: &MsrpUri, result: Result<SessionParts, Error>) {
    let Some(state) = state.upgrade() else {
        return;
    };
    let Ok(mut registry) = state.registry.lock() else {
        return;
    };
    match result {
        Ok(parts) => {
            if let Some(i) = registry
                .waiters
                .iter()
                .position(|(p, _)| p.as_ref().is_none_or(|p| *p == parts.remote_path))
            {
                let (_, waiter) = registry.waiters.swap_remove(i);
                if let Err(Ok(parts)) = waiter.send(Ok(parts)) {
                    registry.unclaimed.push(parts);
                }
            } else {
                registry.unclaimed.push(parts);
            }
        }
        Err(_) => {
            if let Some(entry) = registry.expected.get_mut(local) {
                *entry = Expected::Waiting;
            }
        }
    }
}

/// One listening socket per address, shared by many sessions (msrplib's
/// `MSRPServer`).
pub struct MsrpServer<R: Runtime> {
    rt: R,
    state: Arc<State>,
}

impl<R: Runtime> std::fmt::Debug for MsrpServer<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MsrpServer")
            .field("runtime", &self.rt)
            .finish_non_exhaustive()
    }
}

impl<R: Runtime> MsrpServer<R> {
    /// A server on runtime `rt`; it listens once [`prepare`](Self::prepare)
    /// is called.
    pub fn new(rt: R, config: EndpointConfig) -> Self {
        Self {
            rt,
            state: Arc::new(State {
                registry: Mutex::new(Registry::default()),
                listeners: Mutex::new(Vec::new()),
                unbound: Unbound::new(config.max_unbound_connections),
                protocol: config.driver_protocol(true),
                config,
            }),
        }
    }

    /// Expects a session on `local_uri` and returns this side's full path.
    /// A listener is opened for the URI's address unless one is already
    /// open there (port 0 reuses any listener on that host, or opens one on
    /// a free port). A URI without session id gets a fresh one; without a
    /// URI one is made up on [`EndpointConfig::local_host`].
    pub async fn prepare(&self, local_uri: Option<MsrpUri>) -> Result<Vec<MsrpUri>, Error> {
        let config = &self.state.config;
        let secure_default = config.tls_server.is_some();
        let mut uri = match local_uri {
            Some(uri) => uri,
            None => config.make_local_uri(secure_default, 0)?,
        };
        if uri.session_id().is_none() {
            let id = IdGenerator::from_seed(seed()).session_id();
            uri = uri
                .with_session_id(&id)
                .map_err(|e| Error::Config(e.to_string()))?;
        }
        let wanted = listen_addr(&uri)?;
        let port = match self.find_listener(wanted, uri.is_secure()) {
            Some(port) => port,
            None => self.listen(wanted, uri.is_secure()).await?,
        };
        let uri = uri.with_port(port);
        let Ok(mut registry) = self.state.registry.lock() else {
            return Err(Error::Config("server state poisoned".into()));
        };
        if registry.expected.contains_key(&uri) {
            return Err(Error::Config(format!("{uri} is already expected")));
        }
        registry.expected.insert(uri.clone(), Expected::Waiting);
        Ok(vec![uri])
    }

    fn find_listener(&self, wanted: SocketAddr, secure: bool) -> Option<u16> {
        let listeners = self.state.listeners.lock().ok()?;
        listeners
            .iter()
            .find(|l| {
                l.secure == secure
                    && l.addr.ip() == wanted.ip()
                    && (wanted.port() == 0 || l.addr.port() == wanted.port())
            })
            .map(|l| l.addr.port())
    }

    async fn listen(&self, addr: SocketAddr, secure: bool) -> Result<u16, Error> {
        let listener = self.rt.listen(addr).await?;
        let addr = self.rt.local_addr(&listener)?;
        let (stop, stopped) = oneshot::channel();
        if let Ok(mut listeners) = self.state.listeners.lock() {
            listeners.push(Listening {
                addr,
                secure,
                _stop: stop,
            });
        }
        let rt = self.rt.clone();
        let state = Arc::downgrade(&self.state);
        self.rt
            .spawn(Box::pin(accept_loop(rt, listener, secure, state, stopped)));
        Ok(addr.port())
    }

    /// Waits until a peer whose full path is `full_remote_path` binds one of
    /// the expected URIs, and returns the session; [`Error::Timeout`] with
    /// [`Phase::Bind`](crate::Phase::Bind) after the bind timeout (msrplib's
    /// `MSRPBindSessionTimeout`).
    pub async fn complete(&self, full_remote_path: &[MsrpUri]) -> Result<Transport, Error> {
        let remote = Path::new(full_remote_path.to_vec())
            .ok_or_else(|| Error::Config("the remote path is empty".into()))?;
        self.wait(Some(remote)).await
    }

    /// Like [`complete`](Self::complete), but takes the next session bound
    /// by any peer.
    pub async fn complete_any(&self) -> Result<Transport, Error> {
        self.wait(None).await
    }

    async fn wait(&self, remote: Option<Path>) -> Result<Transport, Error> {
        let (tx, rx) = oneshot::channel();
        {
            let Ok(mut registry) = self.state.registry.lock() else {
                return Err(Error::Config("server state poisoned".into()));
            };
            if let Some(i) = registry
                .unclaimed
                .iter()
                .position(|p| remote.as_ref().is_none_or(|r| *r == p.remote_path))
            {
                return Ok(Transport::new(registry.unclaimed.swap_remove(i)));
            }
            registry.waiters.push((remote.clone(), tx));
        }
        let result = await_bind(&self.rt, self.state.config.bind_timeout, rx).await;
        if result.is_err() {
            if let Ok(mut registry) = self.state.registry.lock() {
                registry
                    .waiters
                    .retain(|(p, w)| !(*p == remote && w.is_canceled()));
            }
        }
        result
    }

    /// Stops expecting `local_uri` (a session already bound to it stays).
    pub fn cleanup(&self, local_uri: &MsrpUri) {
        if let Ok(mut registry) = self.state.registry.lock() {
            registry.expected.remove(local_uri);
        }
    }

    /// How many of the server's connections share its protocol settings
    /// (one copy for all, not one each): every one accepted and not yet
    /// closed, those still in their TLS handshake included. For tests.
    #[doc(hidden)]
    pub fn connections_sharing_settings(&self) -> usize {
        Arc::strong_count(&self.state.protocol) - 1
    }

    /// The addresses the server listens on.
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.state
            .listeners
            .lock()
            .map(|l| l.iter().map(|l| l.addr).collect())
            .unwrap_or_default()
    }

    /// Stops listening. Sessions already bound go on.
    pub fn close(&self) {
        if let Ok(mut listeners) = self.state.listeners.lock() {
            listeners.clear();
        }
    }
}

/// Accepts connections until the server goes away, each with a driver that
/// asks the server's registry about every bind.
async fn accept_loop<R: Runtime>(
    rt: R,
    listener: R::Listener,
    secure: bool,
    state: Weak<State>,
    mut stopped: oneshot::Receiver<()>,
) {
    loop {
        let accepted = match select(std::pin::pin!(rt.accept(&listener)), &mut stopped).await {
            Either::Left((accepted, _)) => accepted,
            Either::Right(_) => return,
        };
        let Some(live) = state.upgrade() else {
            return;
        };
        let Ok((tcp, peer)) = accepted else {
            continue;
        };
        let (ticket, evicted) = live.unbound.admit();
        let accepted = Accepted {
            tcp,
            peer,
            secure,
            ticket,
            evicted,
        };
        let (config, protocol) = (live.config.clone(), live.protocol.clone());
        let (rt2, weak) = (rt.clone(), state.clone());
        let start: StartDriver = Box::new(move |io, ticket| {
            let policy = Arc::new(Policy {
                state: weak,
                ticket: Mutex::new(Some(ticket)),
            });
            let label = format!("server <- {peer}");
            let binds = Binds::ByServer { policy, protocol };
            spawn_driver(&rt2, &config, io, binds, None, label)
        });
        // A failed handshake is traced; the server goes on.
        let run = run_accepted(rt.clone(), live.config.clone(), accepted, start, |_| {});
        drop(live);
        rt.spawn(Box::pin(run));
    }
}
