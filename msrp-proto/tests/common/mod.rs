//! Shared set-up for the connection scenario tests.
#![allow(dead_code, unreachable_pub)] // each test file uses a different part

use std::sync::Arc;
use std::time::Instant;

use msrp_proto::MsrpUri;
use msrp_proto::connection::{
    CloseReason, Config, Connection, Event, MessageId, Outcome, OutgoingMessage, SessionConfig,
    SessionHandle,
};
use msrp_proto::sim::Pair;

mod solo;
#[allow(unused_imports)] // not every test file uses the hand-driven side
pub use solo::*;

pub const ALICE: &str = "msrp://127.0.0.1:7777/alice1234;tcp";
pub const BOB: &str = "msrp://127.0.0.1:8888/bob56789;tcp";

pub fn uri(s: &str) -> MsrpUri {
    s.parse().unwrap()
}

/// The start of virtual time.
#[allow(clippy::disallowed_methods)] // tests take one real instant as the epoch
pub fn epoch() -> Instant {
    Instant::now()
}

/// Alice (a, active) and Bob (b, passive) with one bound session.
pub struct Bound {
    pub pair: Pair,
    pub alice: SessionHandle,
    pub bob: SessionHandle,
}

impl Bound {
    /// Alice sends `message` on her session.
    pub fn alice_sends(&mut self, message: OutgoingMessage) -> MessageId {
        self.pair.a.conn.send_message(self.alice, message).unwrap()
    }

    /// Bob sends `message` on his session.
    pub fn bob_sends(&mut self, message: OutgoingMessage) -> MessageId {
        self.pair.b.conn.send_message(self.bob, message).unwrap()
    }
}

pub fn bound_pair(
    config_a: Config,
    config_b: Config,
    session_b: impl FnOnce(SessionConfig) -> SessionConfig,
) -> Bound {
    let now = epoch();
    let mut a = Connection::new(Arc::new(config_a), [1; 32], now);
    let mut b = Connection::new(Arc::new(config_b), [2; 32], now);
    let bob = b
        .expect_session(session_b(
            SessionConfig::new(uri(BOB)).remote_path(uri(ALICE).into()),
        ))
        .unwrap();
    let alice = a
        .open_session(SessionConfig::new(uri(ALICE)).remote_path(uri(BOB).into()))
        .unwrap();
    let mut pair = Pair::new(a, b, now, 7);
    pair.drive();
    assert!(pair.a.conn.is_bound(alice), "alice bound");
    assert!(pair.b.conn.is_bound(bob), "bob bound");
    pair.a.take_events();
    pair.b.take_events();
    Bound { pair, alice, bob }
}

pub fn default_pair() -> Bound {
    bound_pair(Config::default(), Config::default(), |s| s)
}

/// Why the connection closed, for each `Closed` among `events`.
pub fn close_reasons(events: &[Event]) -> Vec<CloseReason> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Closed { reason } => Some(reason.clone()),
            _ => None,
        })
        .collect()
}

/// The outcomes among `events`, by message.
pub fn outcomes(events: &[Event]) -> Vec<(MessageId, Outcome)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Outcome {
                message, outcome, ..
            } => Some((message.clone(), outcome.clone())),
            _ => None,
        })
        .collect()
}

/// The bodies of messages received in streaming mode, reassembled by offset.
pub fn received_messages(events: &[Event]) -> Vec<(MessageId, Vec<u8>)> {
    let mut bodies: Vec<(MessageId, Vec<u8>, bool)> = Vec::new();
    for event in events {
        match event {
            Event::MessageStarted { message, .. } => {
                bodies.push((message.clone(), Vec::new(), false));
            }
            Event::MessageData {
                message,
                offset,
                data,
                ..
            } => {
                if let Some((_, body, _)) = bodies.iter_mut().find(|(m, _, _)| m == message) {
                    let end = *offset as usize + data.len();
                    if body.len() < end {
                        body.resize(end, 0);
                    }
                    body[*offset as usize..end].copy_from_slice(data);
                }
            }
            Event::MessageCompleted { message, .. } => {
                if let Some((_, _, done)) = bodies.iter_mut().find(|(m, _, _)| m == message) {
                    *done = true;
                }
            }
            _ => {}
        }
    }
    bodies
        .into_iter()
        .filter(|(_, _, done)| *done)
        .map(|(m, b, _)| (m, b))
        .collect()
}
