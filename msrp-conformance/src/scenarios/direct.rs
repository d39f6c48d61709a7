//! Connector ↔ acceptor, over TCP and TLS: binding, messages both ways
//! with success REPORTs, a 64 MiB streamed file checked by SHA-256, and a
//! short message overtaking a large one (RFC 4975 §7.1.1).

use futures_util::FutureExt;
use futures_util::future::{join, join_all};
use msrp_endpoint::msrp_proto::connection::{Outcome, OutgoingMessage};
use msrp_endpoint::msrp_proto::wire::SuccessReport;
use msrp_endpoint::{Runtime, Session};
use sha2::{Digest, Sha256};

use crate::support::{
    Collector, Finished, Received, Security, TRANSFER, WAIT, all_updates, answer_config,
    assert_delivered_with_progress, call_config, direct_pair, direct_pair_with, pattern,
    pattern_sha256, send_text_and_check, single_outcome, text, within,
};

/// Binds a connector to an acceptor over TCP and exchanges messages both
/// ways, each confirmed by a success REPORT.
pub async fn direct_tcp_messages_both_ways<R: Runtime>(rt: R) {
    messages_both_ways(&rt, Security::Tcp).await;
}

/// [`direct_tcp_messages_both_ways`] over TLS.
pub async fn direct_tls_messages_both_ways<R: Runtime>(rt: R) {
    messages_both_ways(&rt, Security::Tls).await;
}

async fn messages_both_ways<R: Runtime>(rt: &R, security: Security) {
    let (mut alice, mut bob) = direct_pair(rt, security).await;
    exchange(rt, &mut alice, &mut bob).await;
}

/// Messages both ways on a bound pair: one each way, then several in
/// flight at once in both directions.
pub(crate) async fn exchange<R: Runtime>(rt: &R, alice: &mut Session, bob: &mut Session) {
    send_text_and_check(rt, alice, bob, "Hi, Bob").await;
    send_text_and_check(rt, bob, alice, "Hi, Alice").await;
    // Several at once, both ways: each arrives intact and in order.
    let bodies: Vec<String> = (0..5)
        .map(|i| format!("message {i} ").repeat(100 + i))
        .collect();
    let mut alice_handles = Vec::new();
    let mut bob_handles = Vec::new();
    for body in &bodies {
        alice_handles.push(alice.send_message(text(body)).await.expect("send"));
        bob_handles.push(bob.send_message(text(body)).await.expect("send"));
    }
    let (at_bob, at_alice) = within(
        rt,
        WAIT,
        "five messages each way",
        join(receive_complete(bob, 5), receive_complete(alice, 5)),
    )
    .await;
    for got in [&at_bob, &at_alice] {
        let bodies_got: Vec<&[u8]> = got
            .iter()
            .map(|r| r.body.as_deref().unwrap_or(&[]))
            .collect();
        let expected: Vec<&[u8]> = bodies.iter().map(|b| b.as_bytes()).collect();
        assert_eq!(
            bodies_got, expected,
            "messages arrive intact, in the order sent"
        );
    }
    for (handle, body) in alice_handles
        .into_iter()
        .chain(bob_handles)
        .zip(bodies.iter().cycle())
    {
        let updates = within(rt, WAIT, "an outcome", all_updates(handle)).await;
        assert_delivered_with_progress(&updates, body.len() as u64);
    }
}

/// The size of the large file.
const FILE_SIZE: u64 = 64 << 20;
/// The size of each `write`.
const WRITE_SIZE: usize = 256 * 1024;

/// Streams a 64 MiB file over TCP with `begin_message`/`write`/`finish`;
/// the receiver's SHA-256 equals the sender's, and the success REPORT
/// shows as progress, then `Delivered`.
pub async fn direct_tcp_64mib_file_arrives_intact<R: Runtime>(rt: R) {
    large_file(&rt, Security::Tcp).await;
}

/// [`direct_tcp_64mib_file_arrives_intact`] over TLS.
pub async fn direct_tls_64mib_file_arrives_intact<R: Runtime>(rt: R) {
    large_file(&rt, Security::Tls).await;
}

async fn large_file<R: Runtime>(rt: &R, security: Security) {
    let (alice, mut bob) = direct_pair(rt, security).await;
    let send = async {
        let mut writer = alice
            .begin_message(
                OutgoingMessage::new("application/octet-stream")
                    .size(FILE_SIZE)
                    .header("Content-Disposition", "attachment; filename=\"big.bin\"")
                    .success_report(SuccessReport::Yes),
            )
            .await
            .expect("begin_message");
        let mut sha = Sha256::new();
        let mut offset = 0;
        while offset < FILE_SIZE {
            let block = pattern(7, offset, WRITE_SIZE);
            sha.update(&block);
            offset += block.len() as u64;
            writer.write(block).await.expect("write");
        }
        let handle = writer.finish().await.expect("finish");
        let updates = all_updates(handle).await;
        (<[u8; 32]>::from(sha.finalize()), updates)
    };
    let ((sent, updates), received) = within(
        rt,
        TRANSFER,
        "a 64 MiB file",
        join(send, crate::support::collect_message(&mut bob)),
    )
    .await;
    assert_eq!(received.size, FILE_SIZE);
    assert_eq!(received.announced, Some(FILE_SIZE));
    assert_eq!(
        received.head.header("Content-Disposition"),
        Some("attachment; filename=\"big.bin\"")
    );
    assert!(received.chunks > 1, "a file this size takes many chunks");
    assert_eq!(
        hex::encode(received.sha256),
        hex::encode(sent),
        "SHA-256 of the file"
    );
    assert_delivered_with_progress(&updates, FILE_SIZE);
}

/// The large message of the overtaking scenarios: larger than everything
/// that can hold it on its way (both sockets' kernel buffers, which grow to
/// several MiB on loopback, and Bob's event channel, which Bob does not read
/// before both messages are queued), so most of it is still in Alice's
/// connection when the short message is queued — bytes already handed to
/// the kernel cannot be overtaken, and with 8 MiB a loaded machine could
/// hand it all over first.
const LARGE: usize = 32 << 20;

/// A short message sent after a large one arrives first (§7.1.1: the large
/// message's chunk in flight is interrupted), both for a whole large body
/// and for one being written piece by piece.
pub async fn direct_tcp_short_message_overtakes_large_one<R: Runtime>(rt: R) {
    short_overtakes_large(&rt, Security::Tcp).await;
}

/// [`direct_tcp_short_message_overtakes_large_one`] over TLS.
pub async fn direct_tls_short_message_overtakes_large_one<R: Runtime>(rt: R) {
    short_overtakes_large(&rt, Security::Tls).await;
}

async fn short_overtakes_large<R: Runtime>(rt: &R, security: Security) {
    let (alice, mut bob) = direct_pair(rt, security).await;

    // A whole 8 MiB body, then a short message: both queued at once.
    let large = OutgoingMessage::new("application/octet-stream")
        .body(pattern(1, 0, LARGE))
        .success_report(SuccessReport::Yes);
    let (large, short) = join(
        alice.send_message(large),
        alice.send_message(text("urgent")),
    )
    .await;
    let (large, short) = (large.expect("send large"), short.expect("send short"));
    let (large_id, short_id) = (large.id().clone(), short.id().clone());
    let mut collector = Collector::new();
    let mut order: Vec<Received> = Vec::new();
    within(rt, TRANSFER, "both messages", async {
        while order.len() < 2 {
            match collector.next_finished(&mut bob).await {
                Some(Finished::Completed(received)) => order.push(received),
                other => panic!("expected complete messages, got {other:?}"),
            }
        }
    })
    .await;
    assert_eq!(
        order.iter().map(|r| r.id.clone()).collect::<Vec<_>>(),
        vec![short_id, large_id],
        "the short message completes first"
    );
    assert_eq!(order[1].sha256, pattern_sha256(1, LARGE as u64));
    assert!(order[1].chunks > 1, "the large message was cut into chunks");
    for (handle, size) in [(short, 6), (large, LARGE as u64)] {
        let updates = within(rt, WAIT, "an outcome", all_updates(handle)).await;
        assert_delivered_with_progress(&updates, size);
    }

    // A message being written: a short one goes through while it is
    // unfinished, so it can only have overtaken it.
    let mut writer = alice
        .begin_message(OutgoingMessage::new("application/octet-stream"))
        .await
        .expect("begin_message");
    writer.write(pattern(2, 0, 1 << 20)).await.expect("write");
    let short = alice
        .send_message(text("meanwhile"))
        .await
        .expect("send short");
    let short_id = short.id().clone();
    let got = within(
        rt,
        WAIT,
        "the short message",
        collector.next_finished(&mut bob),
    )
    .await;
    let Some(Finished::Completed(got)) = got else {
        panic!("expected the short message complete, got {got:?}");
    };
    assert_eq!(
        got.id, short_id,
        "the short message is not held behind the stream"
    );
    assert_eq!(got.body.as_deref(), Some(&b"meanwhile"[..]));
    assert_eq!(
        single_outcome(&within(rt, WAIT, "an outcome", all_updates(short)).await),
        Outcome::Delivered
    );
    writer
        .write(pattern(2, 1 << 20, 1 << 20))
        .await
        .expect("write");
    let stream = writer.finish().await.expect("finish");
    let got = within(
        rt,
        WAIT,
        "the streamed message",
        collector.next_finished(&mut bob),
    )
    .await;
    let Some(Finished::Completed(got)) = got else {
        panic!("expected the streamed message, got {got:?}");
    };
    assert_eq!(got.size, 2 << 20);
    assert_eq!(got.announced, None, "no size was given");
    assert_eq!(got.sha256, pattern_sha256(2, 2 << 20));
    assert_eq!(
        single_outcome(&within(rt, WAIT, "an outcome", all_updates(stream)).await),
        Outcome::Delivered
    );
}

/// The next `n` messages of `session`, all complete.
async fn receive_complete(session: &mut Session, n: usize) -> Vec<Received> {
    let mut collector = Collector::new();
    let mut got = Vec::new();
    while got.len() < n {
        match collector.next_finished(session).await {
            Some(Finished::Completed(received)) => got.push(received),
            other => panic!("expected complete messages, got {other:?}"),
        }
    }
    got
}

/// `send_message` hands messages to the connection without waiting for
/// its task (each call is ready at once), so that many queued together
/// leave together; they all arrive, in order. A message beyond the
/// connection's `max_outgoing_messages` ends as "not sent" with 413
/// instead of being lost or blocking.
pub async fn messages_queue_without_waiting_for_the_connection<R: Runtime>(rt: R) {
    let mut call = call_config(Security::Tcp);
    call.protocol.max_outgoing_messages = 8;
    let (alice, mut bob) =
        direct_pair_with(&rt, call, answer_config(Security::Tcp), Security::Tcp).await;
    // Far more than the limit, queued without a pause: on a busy machine
    // the connection's task may already finish some before the rest are
    // queued, but not 56 round trips' worth.
    const QUEUED: usize = 64;
    let mut handles = Vec::new();
    for i in 0..QUEUED {
        let queued = alice
            .send_message(OutgoingMessage::new("text/plain").body(format!("message {i}")))
            .now_or_never()
            .expect("send_message does not wait for the connection's task")
            .expect("the connection is open");
        handles.push(queued);
    }
    let ids: Vec<_> = handles.iter().map(|h| h.id().clone()).collect();
    let outcomes = within(
        &rt,
        WAIT,
        "the outcomes of the messages",
        join_all(handles.into_iter().map(|h| h.outcome())),
    )
    .await;
    let mut delivered = Vec::new();
    for (i, outcome) in outcomes.iter().enumerate() {
        match outcome {
            Outcome::Delivered => delivered.push(i),
            Outcome::Failed { code: 413, comment } => {
                assert!(comment.starts_with("not sent"), "{comment}");
            }
            other => panic!("message {i}: delivered or not sent, got {other:?}"),
        }
    }
    assert!(delivered.len() >= 8, "the first eight fit: {delivered:?}");
    assert!(delivered.len() < QUEUED, "some were over the limit");
    assert_eq!(delivered[..8], [0, 1, 2, 3, 4, 5, 6, 7]);
    let mut collector = Collector::new();
    for &i in &delivered {
        let finished = within(&rt, WAIT, "a message", collector.next_finished(&mut bob)).await;
        let Some(Finished::Completed(received)) = finished else {
            panic!("message {i} arrives whole, got {finished:?}");
        };
        assert_eq!(received.id, ids[i], "in order");
        assert_eq!(
            received.body.as_deref(),
            Some(format!("message {i}").as_bytes())
        );
    }
}
