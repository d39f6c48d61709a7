//! Properties of random operation sequences over the simulated pair. The
//! driver, `msrp_proto::sim::ops`, interprets bytes as operations (send
//! from either side, stream, abort, step, drive, let time pass, change
//! segmentation and window, stall a reader, reset) and checks the
//! invariants itself; here proptest feeds it, deterministically, and the
//! delivered bytes are compared once more by SHA-256.

mod common;

use common::epoch;
use msrp_proto::connection::Outcome;
use msrp_proto::sim::ops::{self, Report};
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, RngSeed};
use sha2::{Digest, Sha256};

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn config(cases: u32, seed: u64) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(seed),
        ..ProptestConfig::default()
    }
}

/// What every run must show, faults or not.
fn check(report: &Report) -> Result<(), TestCaseError> {
    for m in &report.messages {
        prop_assert_eq!(m.outcomes.len(), 1, "{}", m.id);
        if let Some(received) = &m.received {
            // Whatever the receiver completed is what was sent.
            prop_assert_eq!(sha256(received), sha256(&m.body), "{}", m.id);
        }
        if !report.faulted() {
            prop_assert_eq!(&m.outcomes[0], &m.expected_outcome(), "{}", m.id);
            prop_assert!(
                matches!(m.outcomes[0], Outcome::Delivered | Outcome::Sent),
                "{}",
                m.id
            );
            prop_assert_eq!(
                m.received.as_deref().map(sha256),
                Some(sha256(&m.body)),
                "{}",
                m.id
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(64, 4975))]

    #[test]
    fn random_operations_with_faults_keep_every_invariant(
        ops in prop::collection::vec(any::<u8>(), 0..240)
    ) {
        let report = ops::run(&ops, epoch()).map_err(TestCaseError::fail)?;
        check(&report)?;
    }
}

proptest! {
    #![proptest_config(config(64, 4976))]

    #[test]
    fn without_faults_every_message_arrives_intact(
        ops in prop::collection::vec(any::<u8>(), 0..240)
    ) {
        let report = ops::run_without_faults(&ops, epoch()).map_err(TestCaseError::fail)?;
        prop_assert!(!report.faulted());
        check(&report)?;
    }
}

/// The driver must actually exercise what the properties claim: many
/// messages, of every kind, through stalls and faults, and NICKNAMEs.
#[test]
fn the_driver_explores_messages_stalls_and_faults() {
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed as u8
    };
    let mut reports = Vec::new();
    for _ in 0..40 {
        let ops: Vec<u8> = (0..200).map(|_| next()).collect();
        let report = ops::run(&ops, epoch()).unwrap_or_else(|e| panic!("{e}\nops: {ops:?}"));
        check(&report).unwrap();
        reports.push(report);
    }
    let messages: Vec<_> = reports.iter().flat_map(|r| &r.messages).collect();
    assert!(messages.len() >= 100, "{} messages", messages.len());
    assert!(messages.iter().filter(|m| m.received.is_some()).count() >= 80);
    assert!(messages.iter().any(|m| m.streamed && m.received.is_some()));
    assert!(
        messages
            .iter()
            .any(|m| m.body.len() > 20_000 && m.received.is_some())
    );
    assert!(messages.iter().any(|m| m.from_a) && messages.iter().any(|m| !m.from_a));
    for outcome in [Outcome::Delivered, Outcome::Sent, Outcome::Aborted] {
        assert!(
            messages.iter().any(|m| m.outcomes == [outcome.clone()]),
            "no {outcome:?}"
        );
    }
    assert!(reports.iter().any(|r| r.stalls > 0));
    assert!(reports.iter().any(|r| r.reset));
    assert!(reports.iter().any(|r| r.aborts > 0 && !r.reset));
    // NICKNAME: granted and refused by a focus, 501 from a side that is none.
    let nicknames: Vec<_> = reports.iter().flat_map(|r| &r.nicknames).collect();
    for code in [200, 424, 425, 501] {
        assert!(
            nicknames.iter().any(|n| n.answers == [code]),
            "no NICKNAME answered {code}"
        );
    }
}
