//! The isComposing state machines (RFC 3994 §3.2, §3.3) in virtual time:
//! every transition, with the deadlines they announce.

use std::num::NonZeroU32;
use std::time::{Duration, Instant};

use msrp_chat::cpim::DateTime;
use msrp_chat::iscomposing::{
    Composer, ComposerConfig, ComposerOutput, IdleReason, IsComposing, Receiver, ReceiverEvent,
    State,
};

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// Everything the composer wants sent, as (state, refresh, last_active).
fn sent(composer: &mut Composer) -> Vec<(State, Option<u32>, Option<Instant>)> {
    std::iter::from_fn(|| composer.poll_output())
        .map(|output| match output {
            ComposerOutput::Send {
                document,
                last_active,
            } => (
                document.state,
                document.refresh.map(NonZeroU32::get),
                last_active,
            ),
            other => panic!("unexpected {other:?}"),
        })
        .collect()
}

fn text_composer() -> Composer {
    Composer::new(ComposerConfig {
        content_type: Some("text".into()),
        ..ComposerConfig::default()
    })
}

#[test]
fn first_input_sends_active_with_refresh() {
    let t0 = Instant::now();
    let mut c = text_composer();
    assert_eq!((c.state(), c.poll_timeout()), (State::Idle, None));
    c.handle_input(t0);
    let Some(ComposerOutput::Send { document, .. }) = c.poll_output() else {
        panic!("nothing sent");
    };
    assert_eq!(document.state, State::Active);
    assert_eq!(document.content_type.as_deref(), Some("text"));
    assert_eq!(document.refresh, NonZeroU32::new(60));
    assert_eq!(c.state(), State::Active);
    assert_eq!(c.poll_timeout(), Some(t0 + secs(15)));
}

#[test]
fn more_input_only_moves_the_idle_deadline() {
    let t0 = Instant::now();
    let mut c = text_composer();
    c.handle_input(t0);
    sent(&mut c);
    c.handle_input(t0 + secs(10));
    assert_eq!(sent(&mut c), []);
    assert_eq!(c.poll_timeout(), Some(t0 + secs(25)));
    // Nothing happens before a deadline.
    c.handle_timeout(t0 + secs(24));
    assert_eq!((sent(&mut c), c.state()), (vec![], State::Active));
}

#[test]
fn idle_timeout_sends_idle_with_last_input() {
    let t0 = Instant::now();
    let mut c = text_composer();
    c.handle_input(t0);
    c.handle_input(t0 + secs(4));
    sent(&mut c);
    c.handle_timeout(t0 + secs(19));
    assert_eq!(sent(&mut c), [(State::Idle, None, Some(t0 + secs(4)))]);
    assert_eq!((c.state(), c.poll_timeout()), (State::Idle, None));
}

#[test]
fn active_is_refreshed_every_refresh_interval() {
    let t0 = Instant::now();
    let mut c = text_composer();
    c.handle_input(t0);
    sent(&mut c);
    // The user keeps typing every 10 s for over two minutes.
    let mut refreshes = Vec::new();
    for i in 1..=13 {
        let now = t0 + secs(10 * i);
        while let Some(deadline) = c.poll_timeout().filter(|&d| d <= now) {
            c.handle_timeout(deadline);
            for (state, refresh, _) in sent(&mut c) {
                assert_eq!((state, refresh), (State::Active, Some(60)));
                refreshes.push(deadline - t0);
            }
        }
        c.handle_input(now);
    }
    assert_eq!(refreshes, [secs(60), secs(120)]);
    assert_eq!(c.poll_timeout(), Some(t0 + secs(145)));
}

#[test]
fn sending_the_message_goes_idle_silently() {
    let t0 = Instant::now();
    let mut c = text_composer();
    c.handle_input(t0);
    sent(&mut c);
    c.handle_message_sent(t0 + secs(5));
    assert_eq!(sent(&mut c), []);
    assert_eq!((c.state(), c.poll_timeout()), (State::Idle, None));
    c.handle_timeout(t0 + secs(100));
    assert_eq!(sent(&mut c), []);
    // Typing again starts a new active period.
    c.handle_input(t0 + secs(6));
    assert_eq!(sent(&mut c), [(State::Active, Some(60), None)]);
}

#[test]
fn stopping_sends_idle_at_once() {
    let t0 = Instant::now();
    let mut c = text_composer();
    c.handle_stop(t0);
    assert_eq!(sent(&mut c), []);
    c.handle_input(t0);
    sent(&mut c);
    c.handle_stop(t0 + secs(2));
    assert_eq!(sent(&mut c), [(State::Idle, None, Some(t0))]);
    assert_eq!(c.state(), State::Idle);
}

#[test]
fn refresh_is_never_under_60_seconds_and_may_be_left_out() {
    let t0 = Instant::now();
    let mut c = Composer::new(ComposerConfig {
        refresh: Some(secs(5)),
        ..ComposerConfig::default()
    });
    c.handle_input(t0);
    assert_eq!(sent(&mut c), [(State::Active, Some(60), None)]);

    let mut c = Composer::new(ComposerConfig {
        refresh: None,
        idle_timeout: secs(30),
        content_type: None,
    });
    c.handle_input(t0);
    assert_eq!(sent(&mut c), [(State::Active, None, None)]);
    assert_eq!(c.poll_timeout(), Some(t0 + secs(30)));
}

fn active(refresh: Option<u32>) -> IsComposing {
    IsComposing {
        content_type: Some("text/plain".into()),
        refresh: refresh.and_then(NonZeroU32::new),
        ..IsComposing::new(State::Active)
    }
}

fn events(r: &mut Receiver) -> Vec<ReceiverEvent> {
    std::iter::from_fn(|| r.poll_event()).collect()
}

#[test]
fn receiver_goes_active_and_times_out_after_refresh() {
    let t0 = Instant::now();
    let mut r = Receiver::new();
    assert_eq!((r.state(), r.poll_timeout()), (State::Idle, None));
    r.handle_indication(t0, &active(Some(90)));
    let started = ReceiverEvent::Active {
        content_type: Some("text/plain".into()),
    };
    assert_eq!(events(&mut r), [started]);
    assert_eq!(r.poll_timeout(), Some(t0 + secs(90)));
    r.handle_timeout(t0 + secs(89));
    assert_eq!((events(&mut r), r.state()), (vec![], State::Active));
    r.handle_timeout(t0 + secs(90));
    let idle = ReceiverEvent::Idle {
        reason: IdleReason::Timeout,
        last_active: None,
    };
    assert_eq!(events(&mut r), [idle]);
    assert_eq!((r.state(), r.poll_timeout()), (State::Idle, None));
}

#[test]
fn receiver_assumes_120_seconds_without_refresh() {
    let t0 = Instant::now();
    let mut r = Receiver::new();
    r.handle_indication(t0, &active(None));
    assert_eq!(r.poll_timeout(), Some(t0 + secs(120)));
    let mut r = Receiver::with_default_refresh(secs(30));
    r.handle_indication(t0, &active(None));
    assert_eq!(r.poll_timeout(), Some(t0 + secs(30)));
}

#[test]
fn receiver_refresh_extends_without_an_event() {
    let t0 = Instant::now();
    let mut r = Receiver::new();
    r.handle_indication(t0, &active(Some(60)));
    events(&mut r);
    r.handle_indication(t0 + secs(50), &active(Some(60)));
    assert_eq!(events(&mut r), []);
    assert_eq!(r.poll_timeout(), Some(t0 + secs(110)));
    r.handle_timeout(t0 + secs(60));
    assert_eq!(r.state(), State::Active);
}

#[test]
fn receiver_goes_idle_on_idle_indication() {
    let t0 = Instant::now();
    let mut r = Receiver::new();
    // Idle while idle: nothing to report.
    r.handle_indication(t0, &IsComposing::new(State::Idle));
    assert_eq!(events(&mut r), []);
    r.handle_indication(t0, &active(None));
    events(&mut r);
    let last = DateTime::parse("2026-07-10T09:47:31Z").unwrap();
    let idle = IsComposing {
        last_active: Some(last.clone()),
        ..IsComposing::new(State::Idle)
    };
    r.handle_indication(t0 + secs(20), &idle);
    let expected = ReceiverEvent::Idle {
        reason: IdleReason::Indication,
        last_active: Some(last),
    };
    assert_eq!(events(&mut r), [expected]);
    assert_eq!((r.state(), r.poll_timeout()), (State::Idle, None));
}

#[test]
fn receiver_goes_idle_on_a_message() {
    let t0 = Instant::now();
    let mut r = Receiver::new();
    r.handle_message(t0);
    assert_eq!(events(&mut r), []);
    r.handle_indication(t0, &active(Some(60)));
    events(&mut r);
    r.handle_message(t0 + secs(3));
    let expected = ReceiverEvent::Idle {
        reason: IdleReason::Message,
        last_active: None,
    };
    assert_eq!(events(&mut r), [expected]);
    assert_eq!(r.poll_timeout(), None);
}
