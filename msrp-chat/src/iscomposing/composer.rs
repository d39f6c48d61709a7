//! The composer side of RFC 3994 (§3.2): when to send `active` and `idle`.

use std::collections::VecDeque;
use std::num::NonZeroU32;
use std::time::{Duration, Instant};

use super::document::{IsComposing, State};

/// The shortest refresh interval a composer may ask for (RFC 3994 §3.2:
/// not under 60 seconds).
pub const MIN_REFRESH: Duration = Duration::from_secs(60);

/// The idle timeout RFC 3994 §3.2 suggests: 15 seconds without input.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(15);

/// How a [`Composer`] behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComposerConfig {
    /// Time without input after which the composer goes idle and says so
    /// (§3.2; default 15 s).
    pub idle_timeout: Duration,
    /// The refresh interval sent in `active` indications, which are then
    /// re-sent that often while the user is active. Raised to
    /// [`MIN_REFRESH`] if lower; `None` sends no refresh (the receiver then
    /// assumes 120 s). Default: 60 s.
    pub refresh: Option<Duration>,
    /// The `contenttype` to send (`text`, `audio`, a MIME type), if any.
    pub content_type: Option<String>,
}

impl Default for ComposerConfig {
    fn default() -> Self {
        Self {
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            refresh: Some(MIN_REFRESH),
            content_type: None,
        }
    }
}

/// What a [`Composer`] asks its owner to do.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ComposerOutput {
    /// Send this isComposing document to the peer (RFC 3994 suggests
    /// `Success-Report: no`; never request an IMDN for it).
    Send {
        /// The document.
        document: IsComposing,
        /// For an `idle` indication, when the last input was: the composer
        /// knows no wall-clock time, so its owner may fill
        /// [`IsComposing::last_active`] from it.
        last_active: Option<Instant>,
    },
}

/// The local user's composing state, driven by input events and the time
/// passed in (sans-IO: it never reads a clock).
///
/// ```
/// use std::time::{Duration, Instant};
/// use msrp_chat::iscomposing::{Composer, ComposerConfig, ComposerOutput, State};
///
/// let start = Instant::now(); // any instant: only differences matter
/// let mut composer = Composer::new(ComposerConfig::default());
/// composer.handle_input(start); // first keystroke: `active`
/// let Some(ComposerOutput::Send { document, .. }) = composer.poll_output() else { panic!() };
/// assert_eq!(document.state, State::Active);
///
/// // 15 s without input: `idle`.
/// let deadline = composer.poll_timeout().unwrap();
/// assert_eq!(deadline, start + Duration::from_secs(15));
/// composer.handle_timeout(deadline);
/// let Some(ComposerOutput::Send { document, .. }) = composer.poll_output() else { panic!() };
/// assert_eq!(document.state, State::Idle);
/// ```
#[derive(Debug, Clone)]
pub struct Composer {
    config: ComposerConfig,
    state: State,
    last_input: Option<Instant>,
    next_refresh: Option<Instant>,
    outputs: VecDeque<ComposerOutput>,
}

impl Composer {
    /// An idle composer.
    pub fn new(mut config: ComposerConfig) -> Self {
        config.refresh = config.refresh.map(|r| r.max(MIN_REFRESH));
        Self {
            config,
            state: State::Idle,
            last_input: None,
            next_refresh: None,
            outputs: VecDeque::new(),
        }
    }

    /// The current state.
    pub fn state(&self) -> State {
        self.state
    }

    /// The user typed (or otherwise composed) at `now`. From idle this
    /// sends `active` (§3.2); while active it only restarts the idle timer.
    pub fn handle_input(&mut self, now: Instant) {
        self.last_input = Some(now);
        if self.state == State::Idle {
            self.state = State::Active;
            self.send_active(now);
        }
    }

    /// The message being composed was sent: the composer goes idle without
    /// an indication, since the message itself tells the receiver (§3.2,
    /// §3.3).
    pub fn handle_message_sent(&mut self, _now: Instant) {
        self.go_idle();
    }

    /// The user stopped composing without sending (cleared the input, left
    /// the conversation): go idle now and say so.
    pub fn handle_stop(&mut self, _now: Instant) {
        if self.state == State::Active {
            self.go_idle();
            self.send_idle();
        }
    }

    /// When [`handle_timeout`](Self::handle_timeout) should next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.state == State::Idle {
            return None;
        }
        let idle_at = self.last_input.map(|t| t + self.config.idle_timeout);
        match (idle_at, self.next_refresh) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Lets time pass up to `now`: `idle` after the idle timeout (§3.2),
    /// else a refresh of `active` when it is due.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.state == State::Idle {
            return;
        }
        let idle_at = self.last_input.map(|t| t + self.config.idle_timeout);
        if idle_at.is_some_and(|t| now >= t) {
            self.go_idle();
            self.send_idle();
        } else if self.next_refresh.is_some_and(|t| now >= t) {
            self.send_active(now);
        }
    }

    /// The next thing to send, if any.
    pub fn poll_output(&mut self) -> Option<ComposerOutput> {
        self.outputs.pop_front()
    }

    fn go_idle(&mut self) {
        self.state = State::Idle;
        self.next_refresh = None;
    }

    fn send_active(&mut self, now: Instant) {
        self.next_refresh = self.config.refresh.map(|r| now + r);
        let refresh = self
            .config
            .refresh
            .and_then(|r| NonZeroU32::new(u32::try_from(r.as_secs()).unwrap_or(u32::MAX)));
        let document = IsComposing {
            content_type: self.config.content_type.clone(),
            refresh,
            ..IsComposing::new(State::Active)
        };
        self.outputs.push_back(ComposerOutput::Send {
            document,
            last_active: None,
        });
    }

    fn send_idle(&mut self) {
        let document = IsComposing {
            content_type: self.config.content_type.clone(),
            ..IsComposing::new(State::Idle)
        };
        self.outputs.push_back(ComposerOutput::Send {
            document,
            last_active: self.last_input,
        });
    }
}
