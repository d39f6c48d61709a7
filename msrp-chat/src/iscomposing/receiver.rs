//! The receiver side of RFC 3994 (§3.3): what the peer's indications mean.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::document::{IsComposing, State};
use crate::cpim::DateTime;

/// How long an `active` indication without `refresh` lasts (RFC 3994 §3.3:
/// 120 seconds).
pub const DEFAULT_REFRESH: Duration = Duration::from_secs(120);

/// Why the peer is now idle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdleReason {
    /// It sent an `idle` indication.
    Indication,
    /// It sent a message (the one it was composing).
    Message,
    /// No refresh of `active` came in time.
    Timeout,
}

/// A change of the peer's composing state.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReceiverEvent {
    /// The peer started composing.
    Active {
        /// What it composes, as its indication said.
        content_type: Option<String>,
    },
    /// The peer stopped composing.
    Idle {
        /// Why.
        reason: IdleReason,
        /// When it was last active, if its `idle` indication said.
        last_active: Option<DateTime>,
    },
}

/// The peer's composing state, from its indications, its messages and the
/// time passed in (sans-IO: it never reads a clock).
///
/// ```
/// use std::time::{Duration, Instant};
/// use msrp_chat::iscomposing::{IdleReason, IsComposing, Receiver, ReceiverEvent, State};
///
/// let start = Instant::now(); // any instant: only differences matter
/// let mut receiver = Receiver::new();
/// receiver.handle_indication(start, &IsComposing::new(State::Active));
/// assert!(matches!(receiver.poll_event(), Some(ReceiverEvent::Active { .. })));
///
/// // No refresh within 120 s: idle.
/// assert_eq!(receiver.poll_timeout(), Some(start + Duration::from_secs(120)));
/// receiver.handle_timeout(start + Duration::from_secs(120));
/// assert!(matches!(
///     receiver.poll_event(),
///     Some(ReceiverEvent::Idle { reason: IdleReason::Timeout, .. })
/// ));
/// ```
#[derive(Debug, Clone)]
pub struct Receiver {
    state: State,
    expires: Option<Instant>,
    default_refresh: Duration,
    events: VecDeque<ReceiverEvent>,
}

impl Default for Receiver {
    fn default() -> Self {
        Self::new()
    }
}

impl Receiver {
    /// A receiver that sees the peer idle, with the RFC's 120 s default
    /// refresh.
    pub fn new() -> Self {
        Self::with_default_refresh(DEFAULT_REFRESH)
    }

    /// A receiver with another default for indications without `refresh`.
    pub fn with_default_refresh(default_refresh: Duration) -> Self {
        Self {
            state: State::Idle,
            expires: None,
            default_refresh,
            events: VecDeque::new(),
        }
    }

    /// The peer's current state.
    pub fn state(&self) -> State {
        self.state
    }

    /// An isComposing indication arrived at `now` (§3.3): `active` (re)starts
    /// the refresh timer, `idle` ends the active state.
    pub fn handle_indication(&mut self, now: Instant, indication: &IsComposing) {
        match indication.state {
            State::Active => {
                let refresh = indication.refresh.map_or(self.default_refresh, |r| {
                    Duration::from_secs(u64::from(r.get()))
                });
                self.expires = Some(now + refresh);
                if self.state == State::Idle {
                    self.state = State::Active;
                    self.events.push_back(ReceiverEvent::Active {
                        content_type: indication.content_type.clone(),
                    });
                }
            }
            State::Idle => self.go_idle(IdleReason::Indication, indication.last_active.clone()),
        }
    }

    /// A message (content, not an indication) arrived from the peer: it is
    /// no longer composing it (§3.3).
    pub fn handle_message(&mut self, _now: Instant) {
        self.go_idle(IdleReason::Message, None);
    }

    /// When [`handle_timeout`](Self::handle_timeout) should next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.expires
    }

    /// Lets time pass up to `now`: an `active` state not refreshed in time
    /// becomes idle (§3.3).
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.expires.is_some_and(|t| now >= t) {
            self.go_idle(IdleReason::Timeout, None);
        }
    }

    /// The next state change, if any.
    pub fn poll_event(&mut self) -> Option<ReceiverEvent> {
        self.events.pop_front()
    }

    fn go_idle(&mut self, reason: IdleReason, last_active: Option<DateTime>) {
        self.expires = None;
        if self.state == State::Active {
            self.state = State::Idle;
            self.events.push_back(ReceiverEvent::Idle {
                reason,
                last_active,
            });
        }
    }
}
