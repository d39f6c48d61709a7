//! The task that runs a started chat: it moves messages between the MSRP
//! session and the [`ChatSession`], outcomes back into it, and its events
//! out, and fires its timers. Every decision stays in the chat session.

use std::future::Future;
use std::pin::Pin;
use std::time::Instant;

use futures_channel::{mpsc, oneshot};
use futures_util::stream::FuturesUnordered;
use futures_util::{FutureExt, StreamExt};
use msrp_endpoint::{Incoming, MessageUpdate, OutgoingHandle, Runtime, Session};
use msrp_proto::connection::Outcome;

use crate::chat::{ChatEvent, ChatMessage, ChatSession, MessageId};

use super::wall_clock;

/// What the [`Chat`](super::Chat) handle asks of the task.
pub(super) enum Command {
    Send(Box<ChatMessage>, MessageId),
    Typing,
    Displayed(String),
    Nickname(String, oneshot::Sender<Result<(), msrp_endpoint::Error>>),
    End,
}

/// The next update of a message being sent: progress (with the handle,
/// to wait for more) or its outcome.
type UpdateFuture = Pin<Box<dyn Future<Output = (MessageId, Update)> + Send>>;

enum Update {
    Progress(u64, Option<u64>, OutgoingHandle),
    Outcome(Outcome),
}

fn next_update(id: MessageId, mut handle: OutgoingHandle) -> UpdateFuture {
    Box::pin(async move {
        let update = match handle.next_update().await {
            Some(MessageUpdate::Progress { confirmed, total }) => {
                Update::Progress(confirmed, total, handle)
            }
            Some(MessageUpdate::Outcome(outcome)) => Update::Outcome(outcome),
            // Nothing more will come: the connection is gone.
            _ => Update::Outcome(Outcome::Failed {
                code: 408,
                comment: "the MSRP session ended".into(),
            }),
        };
        (id, update)
    })
}

pub(super) struct Task<R: Runtime> {
    rt: R,
    chat: ChatSession,
    session: Option<Session>,
    commands: mpsc::UnboundedReceiver<Command>,
    events: mpsc::Sender<ChatEvent>,
    outcomes: FuturesUnordered<UpdateFuture>,
}

impl<R: Runtime> Task<R> {
    pub(super) fn new(
        rt: R,
        chat: ChatSession,
        session: Session,
        commands: mpsc::UnboundedReceiver<Command>,
        events: mpsc::Sender<ChatEvent>,
    ) -> Self {
        Self {
            rt,
            chat,
            session: Some(session),
            commands,
            events,
            outcomes: FuturesUnordered::new(),
        }
    }

    pub(super) async fn run(mut self) {
        loop {
            self.flush().await;
            if !self.chat.is_started() {
                break;
            }
            let Some(session) = self.session.as_mut() else {
                break;
            };
            let timer = timer_at(&self.rt, self.chat.poll_timeout());
            futures_util::select! {
                item = session.next().fuse() => match item {
                    Some(Incoming::Message(message)) => {
                        let content_type = message.content_type().unwrap_or("text/plain").to_owned();
                        let id = message.message.as_str().to_owned();
                        self.chat.handle_received_message(Some(&id), &content_type, message.body, self.rt.now(), wall_clock());
                    }
                    Some(_) => {}
                    None => {
                        let reason = match session.receive_message().await {
                            Err(err) => err.to_string(),
                            Ok(_) => "the MSRP session ended".to_owned(),
                        };
                        self.chat.end(Some(reason));
                    }
                },
                command = self.commands.next() => match command {
                    Some(Command::Send(message, id)) => {
                        let (now, wall) = (self.rt.now(), wall_clock());
                        if let Err(err) = self.chat.send_message_as(id.clone(), *message, now, wall) {
                            self.chat.refuse_message(id, &err);
                        }
                    }
                    Some(Command::Typing) => self.chat.handle_typing(self.rt.now(), wall_clock()),
                    Some(Command::Displayed(id)) => self.chat.mark_displayed(&id, wall_clock()),
                    Some(Command::Nickname(nickname, reply)) => {
                        // The answer is awaited apart: the chat goes on meanwhile.
                        let answer = session.set_nickname(&nickname);
                        self.rt.spawn(Box::pin(async move {
                            let _ = reply.send(answer.await);
                        }));
                    }
                    Some(Command::End) | None => {
                        self.end().await;
                    }
                },
                update = self.outcomes.next() => {
                    if let Some((id, update)) = update {
                        self.on_update(id, update);
                    }
                },
                () = timer.fuse() => self.chat.handle_timeout(self.rt.now(), wall_clock()),
                complete => break,
            }
        }
        self.flush().await;
    }

    /// Hands what the chat session wants sent to the MSRP session, and its
    /// events to the application.
    async fn flush(&mut self) {
        while let Some(transmit) = self.chat.poll_transmit() {
            let Some(session) = self.session.as_ref() else {
                break;
            };
            match (session.send_message(transmit.message).await, transmit.id) {
                (Ok(handle), Some(id)) => self.outcomes.push(next_update(id, handle)),
                (Ok(_), None) => {}
                (Err(err), Some(id)) => {
                    let failed = Outcome::Failed {
                        code: err.status_code().unwrap_or(0),
                        comment: err.to_string(),
                    };
                    self.chat.handle_outcome(&id, failed);
                }
                (Err(_), None) => {}
            }
        }
        while let Some(event) = self.chat.poll_event() {
            // Waits for room: an application that does not read events
            // stops the chat from reading, and TCP pushes back on the peer.
            if send(&mut self.events, event).await.is_err() {
                // Nobody listens any more: end quietly.
                self.chat.end(None);
            }
        }
    }

    fn on_update(&mut self, id: MessageId, update: Update) {
        match update {
            Update::Progress(confirmed, total, handle) => {
                self.chat.handle_progress(&id, confirmed, total);
                self.outcomes.push(next_update(id, handle));
            }
            Update::Outcome(outcome) => self.chat.handle_outcome(&id, outcome),
        }
    }

    /// Ends the chat: outcomes of what was sent first, then the session.
    async fn end(&mut self) {
        while let Some((id, update)) = self.outcomes.next().await {
            self.on_update(id, update);
        }
        self.chat.end(None);
        if let Some(session) = self.session.take() {
            session.shutdown().await;
        }
    }
}

/// Sends `item` once the channel has room.
async fn send<T>(to: &mut mpsc::Sender<T>, item: T) -> Result<(), mpsc::SendError> {
    std::future::poll_fn(|cx| to.poll_ready(cx)).await?;
    to.start_send(item)
}

/// A future that fires at `at` on `rt`'s timers, or never.
fn timer_at<R: Runtime>(rt: &R, at: Option<Instant>) -> impl Future<Output = ()> + use<R> {
    let timer = at.map(|at| rt.timer(at));
    async move {
        match timer {
            Some(mut timer) => std::future::poll_fn(|cx| timer.poll_fire(cx)).await,
            None => std::future::pending().await,
        }
    }
}
