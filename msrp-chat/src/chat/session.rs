//! [`ChatSession`]: the chat logic of one MSRP session, sans-IO.

use std::collections::{HashSet, VecDeque};
use std::time::Instant;

use bytes::Bytes;
use msrp_proto::connection::{Outcome, OutgoingMessage};
use msrp_proto::ident::IdGenerator;
use msrp_proto::wire::{FailureReport, SuccessReport};
use time::OffsetDateTime;

use crate::cpim::{self, Address, Content, DateTime, Header, Message};
use crate::imdn::{self, DeliveryStatus, DisplayStatus, Document, Notification};
use crate::iscomposing::{
    self, Composer, ComposerOutput, IsComposing, Receiver, ReceiverEvent, State,
};

use super::config::{ChatConfig, Peer};
use super::event::{ChatEvent, MessageId};
use super::message::{ChatMessage, ReceivedMessage};
use super::wrap::{Framing, frame};

/// Something for the transport to send: an MSRP message, and the chat
/// message it carries when its outcome is to be reported back with
/// [`ChatSession::handle_outcome`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// The chat message, or `None` for what the session sends on its own
    /// (isComposing indications, notifications), whose outcome nobody waits
    /// for.
    pub id: Option<MessageId>,
    /// The MSRP message.
    pub message: OutgoingMessage,
}

/// Why a message cannot be sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChatError {
    /// The stream has ended.
    #[error("the chat stream has ended")]
    Ended,
    /// Too many messages wait for the stream to start.
    #[error("{0} messages already wait for the stream to start")]
    QueueFull(usize),
    /// A CPIM header cannot be written (a display name or URI with
    /// characters CPIM cannot carry).
    #[error("cannot write the message: {0}")]
    Unencodable(String),
}

#[derive(Debug)]
enum Stage {
    Waiting,
    Started(Box<Peer>),
    Ended,
}

/// The chat logic of one MSRP session (sipsimple's `ChatStream` without its
/// I/O): which messages go wrapped in Message/CPIM, what arrives, the
/// delivery of each message, isComposing both ways with their timers,
/// disposition notifications (IMDN).
///
/// Driven by calls with the time passed in (`Instant` for timers, a wall
/// clock `OffsetDateTime` for CPIM dates); it hands out [`Transmit`]s for
/// the MSRP session and [`ChatEvent`]s for the application.
///
/// ```
/// use std::time::Instant;
/// use msrp_chat::chat::{ChatConfig, ChatEvent, ChatMessage, ChatSession, Peer};
/// use msrp_chat::cpim::Address;
/// use msrp_chat::sdp::{Capabilities};
/// use time::OffsetDateTime;
///
/// let alice = Address::new(Some("Alice"), "sip:alice@example.com")?;
/// let bob = Address::new(None, "sip:bob@example.com")?;
/// let (now, wall) = (Instant::now(), OffsetDateTime::UNIX_EPOCH);
/// let mut chat = ChatSession::new(ChatConfig::new(alice), [7; 32]);
///
/// // Queued until the stream starts.
/// let id = chat.send_message(ChatMessage::text("Hi, Bob"), now, wall)?;
/// assert!(chat.poll_transmit().is_none());
///
/// let caps = Capabilities::chat();
/// let peer = Peer {
///     identity: bob,
///     accept_types: caps.accept_types,
///     accept_wrapped_types: caps.accept_wrapped_types.unwrap_or_default(),
///     chatroom: vec![],
/// };
/// chat.start(peer, now, wall);
/// let transmit = chat.poll_transmit().expect("the queued message");
/// assert_eq!(transmit.id.as_ref(), Some(&id));
/// assert_eq!(transmit.message.content_type(), "message/cpim"); // both accept CPIM
///
/// chat.handle_outcome(&id, msrp_proto::connection::Outcome::Delivered);
/// assert_eq!(chat.poll_event(), Some(ChatEvent::Started));
/// assert_eq!(chat.poll_event(), Some(ChatEvent::Delivered { id }));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct ChatSession {
    config: ChatConfig,
    ids: IdGenerator,
    stage: Stage,
    /// Messages waiting for the stream to start, with when they were sent.
    queue: VecDeque<(MessageId, ChatMessage, OffsetDateTime)>,
    in_flight: HashSet<MessageId>,
    transmits: VecDeque<Transmit>,
    events: VecDeque<ChatEvent>,
    composer: Composer,
    receiver: Receiver,
    /// Who composes, as the last indication said.
    composing_sender: Option<Address>,
    /// Received messages whose sender asked to hear when they are
    /// displayed, by their `imdn.Message-ID`, oldest first.
    displays: VecDeque<(String, Message)>,
    /// Wall clock minus monotonic clock, at the last call that gave both:
    /// turns the composer's `Instant`s into CPIM dates.
    wall_at: Option<(Instant, OffsetDateTime)>,
}

impl ChatSession {
    /// A session not started yet; `seed` seeds the ids it makes up.
    pub fn new(config: ChatConfig, seed: [u8; 32]) -> Self {
        let composer = Composer::new(config.composer.clone());
        let receiver = Receiver::with_default_refresh(config.composing_default_refresh);
        Self {
            config,
            ids: IdGenerator::from_seed(seed),
            stage: Stage::Waiting,
            queue: VecDeque::new(),
            in_flight: HashSet::new(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            composer,
            receiver,
            composing_sender: None,
            displays: VecDeque::new(),
            wall_at: None,
        }
    }

    /// This side's settings.
    pub fn config(&self) -> &ChatConfig {
        &self.config
    }

    /// Whether the stream has started and not ended.
    pub fn is_started(&self) -> bool {
        matches!(self.stage, Stage::Started(_))
    }

    /// The stream started with `peer` (its SDP was negotiated and the MSRP
    /// session bound): queued messages go out.
    pub fn start(&mut self, peer: Peer, now: Instant, wall: OffsetDateTime) {
        if !matches!(self.stage, Stage::Waiting) {
            return;
        }
        self.wall_at = Some((now, wall));
        self.stage = Stage::Started(Box::new(peer));
        self.events.push_back(ChatEvent::Started);
        for (id, message, sent_at) in std::mem::take(&mut self.queue) {
            self.transmit_message(id, message, sent_at);
        }
    }

    /// Ends the stream: messages that have not gone out, or whose outcome
    /// is not known, are not delivered.
    pub fn end(&mut self, reason: Option<String>) {
        if matches!(self.stage, Stage::Ended) {
            return;
        }
        let why = reason
            .clone()
            .unwrap_or_else(|| "the chat stream ended".to_owned());
        let waiting: Vec<MessageId> = self.queue.drain(..).map(|(id, ..)| id).collect();
        let unconfirmed: Vec<MessageId> = self.in_flight.drain().collect();
        for id in waiting.into_iter().chain(unconfirmed) {
            self.events.push_back(ChatEvent::NotDelivered {
                id,
                code: 0,
                reason: why.clone(),
            });
        }
        self.transmits.clear();
        self.stage = Stage::Ended;
        self.events.push_back(ChatEvent::Ended { reason });
    }

    /// Sends a message, or queues it until the stream starts; returns its
    /// id. Its fate comes as [`ChatEvent::Delivered`] or
    /// [`ChatEvent::NotDelivered`].
    ///
    /// `wall` dates it (CPIM `DateTime`) unless it has a timestamp of its
    /// own: the time it was sent, not the time it goes out.
    pub fn send_message(
        &mut self,
        message: ChatMessage,
        now: Instant,
        wall: OffsetDateTime,
    ) -> Result<MessageId, ChatError> {
        let id = self.ids.message_id();
        self.send_message_as(id.clone(), message, now, wall)?;
        Ok(id)
    }

    /// [`send_message`](Self::send_message) under an id the caller chose
    /// (unique, like those [`IdGenerator::message_id`] makes): for callers
    /// that must hand the id out before this session sees the message.
    pub fn send_message_as(
        &mut self,
        id: MessageId,
        message: ChatMessage,
        now: Instant,
        wall: OffsetDateTime,
    ) -> Result<(), ChatError> {
        self.wall_at = Some((now, wall));
        match self.stage {
            Stage::Ended => return Err(ChatError::Ended),
            Stage::Waiting if self.queue.len() >= self.config.max_queued => {
                return Err(ChatError::QueueFull(self.queue.len()));
            }
            Stage::Waiting => self.queue.push_back((id, message, wall)),
            Stage::Started(_) => self.transmit_message(id, message, wall),
        }
        // RFC 3994 §3.2: sending the message ends composing, silently.
        self.composer.handle_message_sent(now);
        Ok(())
    }

    /// Reports a message that could not even be queued as not delivered
    /// (code 0, this side's reason).
    pub fn refuse_message(&mut self, id: MessageId, err: &ChatError) {
        self.events.push_back(ChatEvent::NotDelivered {
            id,
            code: 0,
            reason: err.to_string(),
        });
    }

    /// The MSRP outcome of a message handed out by
    /// [`poll_transmit`](Self::poll_transmit).
    pub fn handle_outcome(&mut self, id: &MessageId, outcome: Outcome) {
        if !self.in_flight.remove(id) {
            return;
        }
        let event = match outcome {
            Outcome::Delivered | Outcome::Sent => ChatEvent::Delivered { id: id.clone() },
            Outcome::Failed { code, comment } => ChatEvent::NotDelivered {
                id: id.clone(),
                code,
                reason: comment,
            },
            _ => ChatEvent::NotDelivered {
                id: id.clone(),
                code: 0,
                reason: "abandoned by this side".into(),
            },
        };
        self.events.push_back(event);
    }

    /// The peer confirmed `confirmed` bytes of a message so far.
    pub fn handle_progress(&mut self, id: &MessageId, confirmed: u64, total: Option<u64>) {
        if self.in_flight.contains(id) {
            self.events.push_back(ChatEvent::Progress {
                id: id.clone(),
                confirmed,
                total,
            });
        }
    }

    /// The local user typed: isComposing `active` goes out (and is
    /// refreshed), then `idle` after the idle timeout (RFC 3994 §3.2).
    pub fn handle_typing(&mut self, now: Instant, wall: OffsetDateTime) {
        self.wall_at = Some((now, wall));
        self.composer.handle_input(now);
        self.drain_composer();
    }

    /// A whole message arrived (its MSRP Content-Type and body).
    pub fn handle_received(
        &mut self,
        content_type: &str,
        body: Bytes,
        now: Instant,
        wall: OffsetDateTime,
    ) {
        self.handle_received_message(None, content_type, body, now, wall);
    }

    /// [`handle_received`](Self::handle_received) with the message's MSRP
    /// Message-ID, which [`ReceivedMessage::id`] then carries.
    pub fn handle_received_message(
        &mut self,
        id: Option<&str>,
        content_type: &str,
        body: Bytes,
        now: Instant,
        wall: OffsetDateTime,
    ) {
        self.wall_at = Some((now, wall));
        let Stage::Started(peer) = &self.stage else {
            return;
        };
        let peer = peer.as_ref().clone();
        let media = media_type(content_type);
        let id = id.map(str::to_owned);
        if media == cpim::CONTENT_TYPE {
            self.received_cpim(&peer, id, &body, now, wall);
        } else {
            self.received_plain(&peer, id, content_type, body, now, wall);
        }
        self.drain_receiver();
    }

    /// The user saw a received message: its sender gets the display
    /// notification it asked for (RFC 5438), if it asked.
    pub fn mark_displayed(&mut self, imdn_message_id: &str, wall: OffsetDateTime) {
        let Some(at) = self
            .displays
            .iter()
            .position(|(id, _)| id == imdn_message_id)
        else {
            return;
        };
        if let Some((_, original)) = self.displays.remove(at) {
            self.notify(
                &original,
                Notification::Display(DisplayStatus::Displayed),
                wall,
            );
        }
    }

    /// When [`handle_timeout`](Self::handle_timeout) is next due.
    pub fn poll_timeout(&self) -> Option<Instant> {
        [self.composer.poll_timeout(), self.receiver.poll_timeout()]
            .into_iter()
            .flatten()
            .min()
    }

    /// Fires the composing timers that are due.
    pub fn handle_timeout(&mut self, now: Instant, wall: OffsetDateTime) {
        self.wall_at = Some((now, wall));
        self.composer.handle_timeout(now);
        self.receiver.handle_timeout(now);
        self.drain_composer();
        self.drain_receiver();
    }

    /// The next thing to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next event for the application.
    pub fn poll_event(&mut self) -> Option<ChatEvent> {
        self.events.pop_front()
    }

    // ---- sending -------------------------------------------------------

    fn transmit_message(&mut self, id: MessageId, message: ChatMessage, wall: OffsetDateTime) {
        let Stage::Started(peer) = &self.stage else {
            return;
        };
        let framed = frame(&message, &self.config, peer).and_then(|framing| match framing {
            Framing::Plain => {
                Ok(OutgoingMessage::new(message.content_type.clone()).body(message.body.clone()))
            }
            Framing::Cpim => self
                .cpim(&message, peer, Some(&id), wall)
                .map(|m| OutgoingMessage::new(cpim::CONTENT_TYPE).body(m.encode())),
        });
        match framed {
            Ok(outgoing) => {
                // sipsimple's chat messages: both reports, so that delivery
                // is confirmed end to end even through relays.
                let outgoing = outgoing
                    .success_report(SuccessReport::Yes)
                    .failure_report(FailureReport::Yes);
                self.in_flight.insert(id.clone());
                self.transmits.push_back(Transmit {
                    id: Some(id),
                    message: outgoing,
                });
            }
            Err(reason) => self.events.push_back(ChatEvent::NotDelivered {
                id,
                code: 0,
                reason,
            }),
        }
    }

    /// The CPIM wrapper of `message`: from this side, to its recipients or
    /// the peer, dated, with its headers and (for a chat message, `id`) the
    /// IMDN request.
    fn cpim(
        &self,
        message: &ChatMessage,
        peer: &Peer,
        id: Option<&MessageId>,
        wall: OffsetDateTime,
    ) -> Result<Message, String> {
        let content_type = with_charset(&message.content_type);
        let content =
            Content::new(&content_type, message.body.clone()).map_err(|e| e.to_string())?;
        let mut cpim =
            Message::new(content).with_header(Header::From(self.config.identity.clone()));
        if message.recipients.is_empty() {
            cpim.push_header(Header::To(peer.identity.clone()));
        }
        for to in &message.recipients {
            cpim.push_header(Header::To(to.clone()));
        }
        for cc in &message.courtesy_recipients {
            cpim.push_header(Header::Cc(cc.clone()));
        }
        let date = match &message.timestamp {
            Some(date) => date.clone(),
            None => DateTime::new(wall).map_err(|e| e.to_string())?,
        };
        cpim.push_header(Header::DateTime(date));
        if let Some(subject) = &message.subject {
            cpim.push_header(Header::Subject(subject.clone()));
        }
        for header in &message.extra_headers {
            cpim.push_header(header.clone());
        }
        if let (Some(dispositions), Some(id)) = (message.notifications, id) {
            imdn::request(&mut cpim, id, dispositions).map_err(|e| e.to_string())?;
        }
        Ok(cpim)
    }

    fn drain_composer(&mut self) {
        while let Some(ComposerOutput::Send {
            mut document,
            last_active,
        }) = self.composer.poll_output()
        {
            if let (Some(at), Some((now, wall))) = (last_active, self.wall_at) {
                let ago = now.saturating_duration_since(at);
                document.last_active = DateTime::new(wall - ago).ok();
            }
            self.send_indication(&document);
        }
    }

    /// An isComposing document, as the peer takes it; nobody waits for its
    /// outcome (RFC 3994: no success report) and none asks for an IMDN.
    fn send_indication(&mut self, document: &IsComposing) {
        let (Stage::Started(_), Some((_, wall))) = (&self.stage, self.wall_at) else {
            return;
        };
        let message = ChatMessage::new(iscomposing::CONTENT_TYPE, document.encode());
        self.send_internal(message, wall, FailureReport::No);
    }

    /// Sends something the session makes up itself (an indication, a
    /// notification), framed as the peer takes it; dropped if it cannot be.
    fn send_internal(
        &mut self,
        message: ChatMessage,
        wall: OffsetDateTime,
        failure: FailureReport,
    ) {
        let Stage::Started(peer) = &self.stage else {
            return;
        };
        let outgoing = match frame(&message, &self.config, peer) {
            Ok(Framing::Plain) => {
                OutgoingMessage::new(message.content_type.clone()).body(message.body.clone())
            }
            Ok(Framing::Cpim) => match self.cpim(&message, peer, None, wall) {
                Ok(cpim) => OutgoingMessage::new(cpim::CONTENT_TYPE).body(cpim.encode()),
                Err(_) => return,
            },
            Err(_) => return,
        };
        self.transmits.push_back(Transmit {
            id: None,
            message: outgoing
                .success_report(SuccessReport::No)
                .failure_report(failure),
        });
    }

    /// Answers a request for notifications in `original` with
    /// `notification`, if the peer takes notifications (inside CPIM).
    fn notify(&mut self, original: &Message, notification: Notification, wall: OffsetDateTime) {
        let Stage::Started(peer) = &self.stage else {
            return;
        };
        if !peer.accepts_wrapped(imdn::CONTENT_TYPE) {
            return;
        }
        let Some(request) = imdn::requested(original) else {
            return;
        };
        let own_id = self.ids.message_id();
        let Ok(date) = DateTime::new(wall) else {
            return;
        };
        if let Ok(answer) = request.answer(notification, &own_id, date) {
            self.transmits.push_back(Transmit {
                id: None,
                message: OutgoingMessage::new(cpim::CONTENT_TYPE)
                    .body(answer.encode())
                    .success_report(SuccessReport::No)
                    .failure_report(FailureReport::Yes),
            });
        }
    }

    // ---- receiving -----------------------------------------------------

    fn received_plain(
        &mut self,
        peer: &Peer,
        id: Option<String>,
        content_type: &str,
        body: Bytes,
        now: Instant,
        wall: OffsetDateTime,
    ) {
        if media_type(content_type) == iscomposing::CONTENT_TYPE {
            self.received_indication(&peer.identity, &body, now);
            return;
        }
        if !super::accepts_local(&self.config, content_type) {
            self.refuse(format!(
                "a message of type {content_type}, which this side does not accept"
            ));
            return;
        }
        // The peer stops composing with its message, and says so first.
        self.receiver.handle_message(now);
        self.drain_receiver();
        self.events
            .push_back(ChatEvent::MessageReceived(ReceivedMessage {
                id,
                sender: peer.identity.clone(),
                recipients: vec![self.config.identity.clone()],
                courtesy_recipients: Vec::new(),
                timestamp: DateTime::new(wall)
                    .unwrap_or_else(|_| DateTime::new(OffsetDateTime::UNIX_EPOCH).expect("a date")),
                subject: None,
                content_type: content_type.to_owned(),
                body,
                private: false,
                imdn_message_id: None,
            }));
    }

    fn received_cpim(
        &mut self,
        peer: &Peer,
        id: Option<String>,
        body: &Bytes,
        now: Instant,
        wall: OffsetDateTime,
    ) {
        let limits = cpim::Limits::default();
        let message = match Message::decode_bytes(body, &limits) {
            Ok(message) => message,
            Err(err) => {
                self.refuse(format!("a Message/CPIM body that cannot be read: {err}"));
                return;
            }
        };
        let inner = message
            .content()
            .content_type()
            .unwrap_or("text/plain")
            .to_owned();
        let sender = message
            .from()
            .cloned()
            .unwrap_or_else(|| peer.identity.clone());
        let media = media_type(&inner);
        if !super::accepts_local_wrapped(&self.config, &inner) {
            self.refuse(format!(
                "a wrapped message of type {inner}, which this side does not accept"
            ));
            return;
        }
        if media == iscomposing::CONTENT_TYPE {
            self.received_indication(&sender, message.content().body(), now);
            return;
        }
        if media == imdn::CONTENT_TYPE {
            match Document::decode(message.content().body()) {
                Ok(document) => {
                    if let Some(notification) = document.notification {
                        self.events.push_back(ChatEvent::Notification {
                            id: document.message_id,
                            from: sender,
                            notification,
                        });
                    }
                }
                Err(err) => self.refuse(format!("a notification that cannot be read: {err}")),
            }
            return;
        }
        self.receiver.handle_message(now);
        self.drain_receiver();
        let recipients: Vec<Address> = message.to().cloned().collect();
        // A chat room relays everyone's messages; one sent to this side
        // alone names it as the only To (sipsimple's `private`).
        let private =
            peer.is_focus() && recipients.len() == 1 && recipients[0].uri() != peer.identity.uri();
        let request = imdn::requested(&message);
        let imdn_message_id = request.as_ref().map(|r| r.message_id().to_owned());
        let dispositions = request.as_ref().map(imdn::Request::dispositions);
        let received = ReceivedMessage {
            id,
            sender,
            recipients: if recipients.is_empty() {
                vec![self.config.identity.clone()]
            } else {
                recipients
            },
            courtesy_recipients: message.cc().cloned().collect(),
            timestamp: message.date_time().cloned().unwrap_or_else(|| {
                DateTime::new(wall)
                    .unwrap_or_else(|_| DateTime::new(OffsetDateTime::UNIX_EPOCH).expect("a date"))
            }),
            subject: message.subjects().next().cloned(),
            content_type: inner,
            body: message.content().body().clone(),
            private,
            imdn_message_id: imdn_message_id.clone(),
        };
        self.events.push_back(ChatEvent::MessageReceived(received));
        if let (Some(dispositions), Some(id)) = (dispositions, imdn_message_id) {
            if dispositions.positive_delivery {
                let delivered = Notification::Delivery(DeliveryStatus::Delivered);
                self.notify(&message, delivered, wall);
            }
            if dispositions.display {
                if self.displays.len() >= self.config.max_pending_notifications {
                    self.displays.pop_front();
                }
                self.displays.push_back((id, message));
            }
        }
    }

    fn received_indication(&mut self, sender: &Address, body: &[u8], now: Instant) {
        match IsComposing::decode(body) {
            Ok(document) => {
                self.composing_sender = Some(sender.clone());
                self.receiver.handle_indication(now, &document);
            }
            Err(err) => self.refuse(format!(
                "an isComposing document that cannot be read: {err}"
            )),
        }
    }

    fn drain_receiver(&mut self) {
        while let Some(event) = self.receiver.poll_event() {
            let Some(sender) = self.composing_sender.clone() else {
                continue;
            };
            let (state, last_active) = match event {
                ReceiverEvent::Active { .. } => (State::Active, None),
                ReceiverEvent::Idle { last_active, .. } => (State::Idle, last_active),
            };
            self.events.push_back(ChatEvent::Composing {
                sender,
                state,
                last_active,
            });
        }
    }

    fn refuse(&mut self, reason: String) {
        self.events.push_back(ChatEvent::Refused { reason });
    }
}

/// The media type of a Content-Type value, lower case, without parameters.
pub(super) fn media_type(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// A text type with its charset named (UTF-8 unless one is given), as the
/// MIME part of CPIM should say.
fn with_charset(content_type: &str) -> String {
    let text = media_type(content_type).starts_with("text/");
    if text && !content_type.to_ascii_lowercase().contains("charset=") {
        format!("{content_type}; charset=UTF-8")
    } else {
        content_type.to_owned()
    }
}
