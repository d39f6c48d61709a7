//! isComposing (RFC 3994): "is typing" indications.
//!
//! A [`Composer`] turns the local user's input into `active` and `idle`
//! documents to send; a [`Receiver`] turns the peer's documents and messages
//! into state changes. Both are sans-IO: time comes in as `Instant`s and
//! deadlines go out through `poll_timeout`.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use msrp_chat::iscomposing::{
//!     Composer, ComposerConfig, ComposerOutput, IsComposing, Receiver, ReceiverEvent, State,
//! };
//!
//! let t0 = Instant::now(); // virtual time: only differences matter
//! let mut alice = Composer::new(ComposerConfig::default());
//! let mut bob = Receiver::new();
//!
//! alice.handle_input(t0);
//! while let Some(ComposerOutput::Send { document, .. }) = alice.poll_output() {
//!     // On the wire: an MSRP SEND of `application/im-iscomposing+xml`.
//!     let bytes = document.encode();
//!     bob.handle_indication(t0, &IsComposing::decode(&bytes)?);
//! }
//! assert_eq!(bob.state(), State::Active);
//! assert!(matches!(bob.poll_event(), Some(ReceiverEvent::Active { .. })));
//!
//! // Alice sends her message: she goes idle silently, Bob on receiving it.
//! alice.handle_message_sent(t0 + Duration::from_secs(3));
//! bob.handle_message(t0 + Duration::from_secs(3));
//! assert_eq!((alice.poll_output(), bob.state()), (None, State::Idle));
//! # Ok::<(), msrp_chat::DocumentError>(())
//! ```

mod composer;
mod document;
mod receiver;

pub use composer::{Composer, ComposerConfig, ComposerOutput, DEFAULT_IDLE_TIMEOUT, MIN_REFRESH};
pub use document::{CONTENT_TYPE, IsComposing, NAMESPACE, State};
pub use receiver::{DEFAULT_REFRESH, IdleReason, Receiver, ReceiverEvent};
