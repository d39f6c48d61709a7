//! Chat streams on a real MSRP session, on any runtime of `msrp-endpoint`
//! (tokio, async-std, smol): sipsimple's stream life cycle around a
//! [`ChatSession`].
//!
//! 1. [`ChatStream::new`] with the runtime, the chat settings, the
//!    endpoint settings and, optionally, a relay.
//! 2. [`offer`](ChatStream::offer) or [`answer`](ChatStream::answer):
//!    prepares the connector or acceptor (through the relay when there is
//!    one) and gives the local SDP media description.
//! 3. [`start`](ChatStream::start) with the remote description: the side
//!    the SDP makes active connects, the other accepts; the session binds
//!    and a [`Chat`] runs it.
//! 4. [`Chat::end`], or the peer ends it.
//!
//! Who connects: an offerer is always active (`a=setup:active`, as
//! sipsimple's direct streams are), so that it never has to listen before
//! it knows the answer; an answerer is passive unless the offer says
//! `passive`.

pub(crate) mod link;
mod task;

use std::future::Future;
use std::net::SocketAddr;

use futures_channel::{mpsc, oneshot};
use futures_util::StreamExt;
use msrp_endpoint::{EndpointConfig, Error, RelaySettings, Runtime, Session};
use msrp_proto::connection::ReceiveMode;
use msrp_proto::ident::IdGenerator;
use msrp_proto::{MsrpUri, Path};

use crate::chat::{ChatConfig, ChatError, ChatEvent, ChatMessage, ChatSession, MessageId, Peer};
use crate::cpim::Address;
use crate::sdp::{LocalEndpoint, MsrpMedia, Setup, Side, answer_chat, chat_offer, negotiated_role};

use link::Link;
use task::Command;

/// Why a stream could not be set up or started.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StreamError {
    /// The MSRP side: connecting, the relay, binding.
    #[error(transparent)]
    Msrp(#[from] Error),
    /// The remote description cannot be used.
    #[error("the remote SDP: {0}")]
    Sdp(String),
    /// A call out of order (`start` before `offer` or `answer`).
    #[error("{0}")]
    Order(&'static str),
}

/// A chat stream being set up (sipsimple's `ChatStream` before it starts).
#[derive(Debug)]
pub struct ChatStream<R: Runtime> {
    rt: R,
    chat: ChatConfig,
    endpoint: EndpointConfig,
    relay: Option<RelaySettings>,
    listen: Option<SocketAddr>,
    side: Option<(Side, MsrpMedia)>,
    link: Option<Link<R>>,
    session: ChatSession,
}

impl<R: Runtime> ChatStream<R> {
    /// A stream on `rt`; `relay` routes it through an MSRP relay.
    pub fn new(
        rt: R,
        chat: ChatConfig,
        mut endpoint: EndpointConfig,
        relay: Option<RelaySettings>,
    ) -> Self {
        // Chat messages are taken whole, up to the configured size (413
        // above it): a character split between chunks is never a problem.
        endpoint.receive_mode = ReceiveMode::Assembled;
        endpoint.protocol.max_message_size = chat.max_message_size as u64;
        endpoint.accept_types = chat
            .capabilities
            .accept_types
            .iter()
            .map(|r| r.as_str().to_owned())
            .collect();
        let session = ChatSession::new(chat.clone(), msrp_endpoint_seed());
        Self {
            rt,
            chat,
            endpoint,
            relay,
            listen: None,
            side: None,
            link: None,
            session,
        }
    }

    /// Where an answering side without relay listens (default: the
    /// endpoint's local host, a free port).
    pub fn listen_on(mut self, addr: SocketAddr) -> Self {
        self.listen = Some(addr);
        self
    }

    /// Sends a message, queued until the stream starts (sipsimple queues
    /// them too); see [`ChatSession::send_message`].
    pub fn send_message(&mut self, message: ChatMessage) -> Result<MessageId, ChatError> {
        let (now, wall) = (self.rt.now(), wall_clock());
        self.session.send_message(message, now, wall)
    }

    /// Prepares the calling side and returns the SDP offer: an active
    /// endpoint that connects once it has the answer.
    pub async fn offer(&mut self) -> Result<MsrpMedia, StreamError> {
        let link = Link::connector(&self.rt, &self.endpoint, self.relay.clone()).await?;
        let mut local = LocalEndpoint::new(link.path()?);
        local.reachable = false; // a=setup:active
        let offer = chat_offer(&local, &self.chat.capabilities);
        self.side = Some((Side::Offerer, offer.clone()));
        self.link = Some(link);
        Ok(offer)
    }

    /// Prepares the answering side for `offer` and returns the SDP answer:
    /// passive (it waits for the peer to bind) unless the offer is passive.
    pub async fn answer(&mut self, offer: &MsrpMedia) -> Result<MsrpMedia, StreamError> {
        let active = offer.setup == Some(Setup::Passive);
        let link = if active {
            Link::connector(&self.rt, &self.endpoint, self.relay.clone()).await?
        } else {
            Link::acceptor(&self.rt, &self.endpoint, self.relay.clone(), self.listen).await?
        };
        let local = LocalEndpoint::new(link.path()?);
        let answer = answer_chat(offer, &local, &self.chat.capabilities)
            .map_err(|e| StreamError::Sdp(e.to_string()))?;
        let role = negotiated_role(Side::Answerer, offer.setup, answer.setup)
            .map_err(|e| StreamError::Sdp(e.to_string()))?;
        if (role == crate::sdp::Role::Active) != active {
            return Err(StreamError::Sdp(
                "the offer and this answer disagree on who connects".into(),
            ));
        }
        self.side = Some((Side::Answerer, offer.clone()));
        self.link = Some(link);
        Ok(answer)
    }

    /// Without SIP (as `msrp chat` runs): prepares to wait for any peer and
    /// returns this side's path, for the peer to call with
    /// [`start_to`](Self::start_to). The peer is assumed to take what this
    /// side takes.
    pub async fn listen(&mut self) -> Result<Vec<MsrpUri>, StreamError> {
        let link =
            Link::acceptor(&self.rt, &self.endpoint, self.relay.clone(), self.listen).await?;
        let path = link.path()?.into_vec();
        self.link = Some(link);
        self.side = Some((Side::Answerer, self.own_media(&path)));
        Ok(path)
    }

    /// Without SIP: starts the stream [`listen`](Self::listen) prepared once
    /// a peer binds; `identity` names the peer until its messages say
    /// otherwise.
    pub async fn start_any(mut self, identity: Address) -> Result<Chat, StreamError> {
        let (Some(Link::Accept(mut acceptor, _)), Some((_, media))) =
            (self.link.take(), self.side.take())
        else {
            return Err(StreamError::Order("call listen before start_any"));
        };
        let session = Session::new(acceptor.complete_any().await?);
        Ok(self.run(session, Peer::from_media(identity, &media)))
    }

    /// Without SIP: prepares to call a peer and returns this side's path
    /// (through the relay, when there is one).
    pub async fn call(&mut self) -> Result<Vec<MsrpUri>, StreamError> {
        let link = Link::connector(&self.rt, &self.endpoint, self.relay.clone()).await?;
        let path = link.path()?.into_vec();
        self.side = Some((Side::Offerer, self.own_media(&path)));
        self.link = Some(link);
        Ok(path)
    }

    /// Without SIP: calls the peer at `remote_path` (what its
    /// [`listen`](Self::listen) gave) and starts the stream. The peer is
    /// assumed to take what this side takes.
    pub async fn start_to(
        mut self,
        remote_path: &[MsrpUri],
        identity: Address,
    ) -> Result<Chat, StreamError> {
        if self.link.is_none() {
            self.call().await?;
        }
        let (Some(link @ Link::Connect(..)), Some((_, media))) =
            (self.link.take(), self.side.take())
        else {
            return Err(StreamError::Order("call, not listen, before start_to"));
        };
        let session = link.complete(remote_path).await?;
        Ok(self.run(session, Peer::from_media(identity, &media)))
    }

    /// This side's own media description, standing for a peer like it.
    fn own_media(&self, path: &[MsrpUri]) -> MsrpMedia {
        let local = LocalEndpoint::new(Path::new(path.to_vec()).unwrap_or_else(|| {
            Path::from(
                path.first()
                    .cloned()
                    .unwrap_or_else(|| "msrp://invalid;tcp".parse().expect("a URI")),
            )
        }));
        chat_offer(&local, &self.chat.capabilities)
    }

    /// Starts with the peer's description (the answer to this side's
    /// offer, or the offer this side answered) and its identity (from the
    /// SIP dialog): connects or waits for the peer, binds, and runs the
    /// chat.
    pub async fn start(
        mut self,
        remote: &MsrpMedia,
        identity: Address,
    ) -> Result<Chat, StreamError> {
        let (Some(link), Some(_)) = (self.link.take(), self.side.take()) else {
            return Err(StreamError::Order("call offer or answer before start"));
        };
        let path = remote
            .path
            .as_ref()
            .ok_or_else(|| StreamError::Sdp("no a=path in the remote description".into()))?;
        let session = link.complete(path.uris()).await?;
        Ok(self.run(session, Peer::from_media(identity, remote)))
    }

    /// Runs the chat on a bound session.
    fn run(mut self, session: Session, peer: Peer) -> Chat {
        let local_path = session.local_path().iter().cloned().collect();
        let remote_path = session.remote_path().iter().cloned().collect();
        let (now, wall) = (self.rt.now(), wall_clock());
        self.session.start(peer, now, wall);
        let (commands, command_rx) = mpsc::unbounded();
        let (event_tx, events) = mpsc::channel(EVENT_CAPACITY);
        let (done_tx, done) = oneshot::channel();
        let task = task::Task::new(self.rt.clone(), self.session, session, command_rx, event_tx);
        self.rt.spawn(Box::pin(async move {
            task.run().await;
            let _ = done_tx.send(());
        }));
        Chat {
            commands,
            ids: std::sync::Mutex::new(IdGenerator::from_seed(msrp_endpoint_seed())),
            events,
            done: Some(done),
            local_path,
            remote_path,
        }
    }
}

/// Events buffered for the application before the stream stops reading.
const EVENT_CAPACITY: usize = 64;

/// A running chat stream.
#[derive(Debug)]
pub struct Chat {
    commands: mpsc::UnboundedSender<Command>,
    /// Makes the ids of messages sent, so that sending waits for nothing.
    ids: std::sync::Mutex<IdGenerator>,
    events: mpsc::Receiver<ChatEvent>,
    done: Option<oneshot::Receiver<()>>,
    local_path: Vec<MsrpUri>,
    remote_path: Vec<MsrpUri>,
}

impl Chat {
    /// Sends a message; its fate comes later as an event.
    ///
    /// The message is queued when this is called, in call order, and its
    /// id is made here: the future is ready at once and borrows nothing, so
    /// sending never waits on the chat's task, even while the application
    /// is not reading events. A message refused later (the stream ending
    /// first, say) comes as [`ChatEvent::NotDelivered`] with code 0.
    pub fn send_message(
        &self,
        message: ChatMessage,
    ) -> impl Future<Output = Result<MessageId, ChatError>> + Send + 'static + use<> {
        let id = match self.ids.lock() {
            Ok(mut ids) => ids.message_id(),
            Err(_) => IdGenerator::from_seed(msrp_endpoint_seed()).message_id(),
        };
        let queued = self
            .commands
            .unbounded_send(Command::Send(Box::new(message), id.clone()))
            .is_ok();
        std::future::ready(if queued {
            Ok(id)
        } else {
            Err(ChatError::Ended)
        })
    }

    /// This side's full path (the MSRP session's From-Path).
    pub fn local_path(&self) -> &[MsrpUri] {
        &self.local_path
    }

    /// The peer's full path (the MSRP session's To-Path).
    pub fn remote_path(&self) -> &[MsrpUri] {
        &self.remote_path
    }

    /// The user is typing (isComposing, RFC 3994).
    pub fn typing(&self) {
        let _ = self.commands.unbounded_send(Command::Typing);
    }

    /// The user saw the message whose `imdn_message_id` is given: its
    /// sender gets the display notification it asked for.
    pub fn mark_displayed(&self, imdn_message_id: &str) {
        let _ = self
            .commands
            .unbounded_send(Command::Displayed(imdn_message_id.to_owned()));
    }

    /// Asks the chat room (the peer, a conference focus) for a nickname
    /// (RFC 7701 NICKNAME): `Ok` once granted; refused as
    /// `Error::Refused` with 424 (malformed), 425 (reserved or in use) or
    /// another code. An empty nickname drops the current one.
    pub async fn set_nickname(&self, nickname: &str) -> Result<(), Error> {
        let (reply, rx) = oneshot::channel();
        self.commands
            .unbounded_send(Command::Nickname(nickname.to_owned(), reply))
            .map_err(|_| Error::Closed(msrp_proto::connection::CloseReason::LocallyClosed))?;
        rx.await.unwrap_or(Err(Error::Closed(
            msrp_proto::connection::CloseReason::LocallyClosed,
        )))
    }

    /// The next event; `None` once the stream has ended and every event was
    /// taken.
    pub async fn next_event(&mut self) -> Option<ChatEvent> {
        self.events.next().await
    }

    /// Ends the stream: what was sent gets its outcome first, then the MSRP
    /// session closes. Returns the events that came until the end, the last
    /// being [`ChatEvent::Ended`].
    pub async fn end(mut self) -> Vec<ChatEvent> {
        let _ = self.commands.unbounded_send(Command::End);
        let mut rest = Vec::new();
        while let Some(event) = self.events.next().await {
            rest.push(event);
        }
        if let Some(done) = self.done.take() {
            let _ = done.await;
        }
        rest
    }
}

/// The wall clock, for CPIM dates: the async layer reads it so that the
/// chat logic does not have to.
fn wall_clock() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

/// A seed from the operating system for the ids a chat session makes up.
fn msrp_endpoint_seed() -> [u8; 32] {
    let mut seed = [0u8; 32];
    // The ids need to be unpredictable only as Message-IDs are; the
    // generator is seeded by the OS when it can be.
    let _ = getrandom::fill(&mut seed);
    seed
}
