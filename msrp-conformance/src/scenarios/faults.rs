//! Faulty peers: a connection cut in the middle of a chunk, readers that
//! stop reading (backpressure, not unbounded memory), TLS mismatches and
//! wrong certificates, and a slowloris peer trickling a chunk head.

use std::pin::pin;
use std::time::Duration;

use futures_channel::oneshot;
use futures_util::future::join;
use msrp_endpoint::msrp_proto::MsrpUri;
use msrp_endpoint::msrp_proto::connection::{CloseReason, Outcome, OutgoingMessage};
use msrp_endpoint::{
    AcceptorDirect, ConnectorDirect, EndpointConfig, Error, MessageWriter, MsrpServer, Phase,
    Runtime, Session, Transport,
};
use sha2::{Digest, Sha256};

use crate::scenarios::server::server_pair;
use crate::support::{
    Collector, FaultPeer, Finished, ReadEnd, Security, TestCert, WAIT, acceptor_uri, all_updates,
    answer_config, call_config, collect_message, direct_pair, elapsed, local_cert, local_listener,
    pattern, send_text_and_check, single_outcome, text, timeout, within, wrong_name_cert,
};

// ---- a peer that closes in the middle of a chunk --------------------------

/// A peer binds properly, then sends half a chunk and closes: the session
/// reports the message aborted and its stream ends; the message this side
/// had sent fails, exactly once; nothing more can be sent.
pub async fn peer_closing_mid_chunk_aborts_incoming_and_fails_outgoing_once<R: Runtime>(rt: R) {
    let mut acceptor = AcceptorDirect::new(rt.clone(), answer_config(Security::Tcp));
    let bob_path = acceptor
        .prepare(Some(acceptor_uri(Security::Tcp, "bobmidchunk1")))
        .await
        .expect("acceptor prepare");
    let port = bob_path[0].port().expect("a port");
    let mut fault = FaultPeer::connect(&rt, port, "halfchunk01").await;
    let fault_path = vec![fault.uri.clone()];
    let (bob, code) = within(
        &rt,
        WAIT,
        "the fault peer to bind",
        join(
            acceptor.complete(&fault_path),
            fault.bind(&rt, &bob_path[0]),
        ),
    )
    .await;
    assert_eq!(code, 200, "the bind is answered 200");
    mid_chunk(
        &rt,
        Session::new(bob.expect("acceptor complete")),
        fault,
        &bob_path[0],
    )
    .await;
}

/// [`peer_closing_mid_chunk_aborts_incoming_and_fails_outgoing_once`] on a
/// session of an `MsrpServer`.
pub async fn peer_closing_mid_chunk_on_server<R: Runtime>(rt: R) {
    let server = MsrpServer::new(rt.clone(), answer_config(Security::Tcp));
    let path = server.prepare(None).await.expect("server prepare");
    let mut fault = FaultPeer::connect(&rt, path[0].port().expect("a port"), "halfchunk02").await;
    assert_eq!(
        fault.bind(&rt, &path[0]).await,
        200,
        "the bind is answered 200"
    );
    let bob = within(
        &rt,
        WAIT,
        "the bound session",
        server.complete(&[fault.uri.clone()]),
    )
    .await
    .expect("server complete");
    mid_chunk(&rt, Session::new(bob), fault, &path[0]).await;
}

async fn mid_chunk<R: Runtime>(rt: &R, mut bob: Session, mut fault: FaultPeer, bob_uri: &MsrpUri) {
    // Bob sends a message the peer reads and never answers.
    let outgoing = bob
        .send_message(text("are you there?"))
        .await
        .expect("send");
    let seen = fault.read_chunk(rt).await;
    assert_eq!(seen.head().message_id(), Some(outgoing.id().as_str()));

    // Half of a 1000-byte chunk, then the connection closes.
    let (_, head) = fault.send_head(bob_uri, "cutoff0001", 1000);
    fault.send(&head).await.expect("fault peer write");
    fault.send(&[b'x'; 500]).await.expect("fault peer write");
    fault.close().await;

    let mut collector = Collector::new();
    let finished = within(
        rt,
        WAIT,
        "the cut message to end",
        collector.next_finished(&mut bob),
    )
    .await;
    let Some(Finished::Aborted { id, received, data }) = finished else {
        panic!("a message cut off mid-chunk is aborted, got {finished:?}");
    };
    assert_eq!(id.as_str(), "cutoff0001");
    assert!(received <= 500, "at most the bytes sent: {received}");
    assert_eq!(received, data, "the abort counts the bytes handed out");
    let end = within(rt, WAIT, "the session's stream to end", bob.next_incoming()).await;
    assert_eq!(end, None, "nothing after the connection is gone");

    let updates = within(rt, WAIT, "the outcome", all_updates(outgoing)).await;
    let outcome = single_outcome(&updates);
    assert!(
        matches!(outcome, Outcome::Failed { code: 408, .. }),
        "a lost connection fails the message with 408: {outcome:?}"
    );
    let err = bob
        .send_message(text("too late"))
        .await
        .expect_err("the connection is gone");
    assert!(
        matches!(err, Error::Closed(CloseReason::ConnectionLost)),
        "a send after the loss says why: {err:?}"
    );
    assert!(
        err.to_string().contains("lost in the middle of a chunk"),
        "{err}"
    );
}

// ---- backpressure -----------------------------------------------------------

/// At most this much may be accepted by `write` while nobody reads: the
/// send buffer (1 MiB by default), the receiver's pending-event and input
/// limits (1 + 4 MiB) and its session channel, and the kernel's socket
/// buffers on both ends (a few MiB each on loopback), with room to spare.
/// Without backpressure a writer would go on without limit.
const BACKPRESSURE_BOUND: u64 = 32 << 20;
/// A `write` that has not completed after this long counts as held back.
const STALL: Duration = Duration::from_secs(1);
/// The size of each `write`.
const BLOCK: usize = 64 * 1024;

/// Writes pattern `seed` (hashing it into `sha`) until a write stays
/// unanswered for [`STALL`], asserting that happens within
/// [`BACKPRESSURE_BOUND`], then calls `on_stall`.
///
/// With `after_stall > 0` it waits for the held-back write, writes
/// `after_stall` more bytes and returns `(held back at, total written)`.
/// With `after_stall == 0` it returns `(held back at, 0)` at once, dropping
/// the held-back write's future (its bytes stay queued in the connection).
async fn write_until_held_back<R: Runtime>(
    rt: &R,
    writer: &mut MessageWriter,
    seed: u64,
    sha: &mut Sha256,
    on_stall: impl FnOnce(),
    after_stall: u64,
) -> (u64, u64) {
    let mut offset = 0u64;
    let mut stalled_at = None;
    let mut on_stall = Some(on_stall);
    loop {
        let block = pattern(seed, offset, BLOCK);
        sha.update(&block);
        let n = block.len() as u64;
        let mut write = pin!(writer.write(block));
        if stalled_at.is_none() {
            if let Some(result) = timeout(rt, STALL, write.as_mut()).await {
                result.expect("write");
                assert!(
                    offset + n <= BACKPRESSURE_BOUND,
                    "write accepted {} bytes nobody reads: no backpressure",
                    offset + n
                );
            } else {
                stalled_at = Some(offset);
                if let Some(f) = on_stall.take() {
                    f();
                }
                if after_stall == 0 {
                    return (offset, 0);
                }
                within(rt, WAIT, "the held-back write to go on", write)
                    .await
                    .expect("write");
            }
        } else {
            within(rt, WAIT, "a write", write).await.expect("write");
        }
        offset += n;
        if stalled_at.is_some_and(|at| offset >= at + after_stall) {
            return (stalled_at.unwrap_or_default(), offset);
        }
    }
}

/// A session that does not poll `next_incoming` pushes back on the
/// sender: `write` stops completing after a bounded amount; once it reads,
/// everything arrives intact.
pub async fn session_that_never_reads_pushes_back_on_writer<R: Runtime>(rt: R) {
    let (alice, mut bob) = direct_pair(&rt, Security::Tcp).await;
    let (start, started) = oneshot::channel::<()>();
    let send = async {
        let mut writer = alice
            .begin_message(OutgoingMessage::new("application/octet-stream"))
            .await
            .expect("begin_message");
        let mut sha = Sha256::new();
        let (stalled_at, total) = write_until_held_back(
            &rt,
            &mut writer,
            4,
            &mut sha,
            move || {
                let _ = start.send(());
            },
            2 << 20,
        )
        .await;
        let handle = writer.finish().await.expect("finish");
        let updates = within(&rt, WAIT, "the outcome", all_updates(handle)).await;
        (stalled_at, total, <[u8; 32]>::from(sha.finalize()), updates)
    };
    let receive = async {
        // Bob reads nothing until the writer is held back.
        started
            .await
            .expect("the writer is held back before the bound");
        collect_message(&mut bob).await
    };
    let ((stalled_at, total, sent, updates), received) = within(
        &rt,
        crate::support::TRANSFER,
        "the held-back transfer",
        join(send, receive),
    )
    .await;
    eprintln!("backpressure: write held back after {stalled_at} bytes nobody read");
    assert!(
        stalled_at >= 1 << 20,
        "the send buffer takes at least 1 MiB before pushing back, took {stalled_at}"
    );
    assert_eq!(received.size, total);
    assert_eq!(
        received.sha256, sent,
        "everything arrives once the reader reads"
    );
    assert_eq!(single_outcome(&updates), Outcome::Delivered);
}

/// A peer whose socket is never read pushes back on the sender: `write`
/// stops completing after a bounded amount. When the peer goes, the
/// held-back write fails and the message fails, exactly once.
pub async fn peer_that_never_reads_pushes_back_on_writer<R: Runtime>(rt: R) {
    let (listener, port) = local_listener(&rt).await;
    let mut connector = ConnectorDirect::new(rt.clone(), call_config(Security::Tcp));
    let path: Vec<MsrpUri> = vec![
        format!("msrp://127.0.0.1:{port}/deafpeer01;tcp")
            .parse()
            .expect("URI"),
    ];
    let (alice, fault) = within(
        &rt,
        WAIT,
        "the connector to bind on the fault peer",
        join(connector.complete(&path), async {
            let mut fault = FaultPeer::accept(&rt, &listener, "deafpeer01").await;
            fault.answer_bind(&rt).await;
            fault
        }),
    )
    .await;
    let alice = Session::new(alice.expect("connector complete"));
    let mut writer = alice
        .begin_message(OutgoingMessage::new("application/octet-stream"))
        .await
        .expect("begin_message");
    let mut sha = Sha256::new();
    let (accepted, _) = write_until_held_back(&rt, &mut writer, 5, &mut sha, || {}, 0).await;
    eprintln!("backpressure: write held back after {accepted} bytes nobody read");
    assert!(
        accepted >= 1 << 20,
        "the send buffer takes at least 1 MiB, took {accepted}"
    );

    // The held-back write fails once the peer is gone.
    let held = writer.write(pattern(5, accepted, BLOCK));
    drop(fault);
    let result = within(&rt, WAIT, "the held-back write to fail", held).await;
    // The first held-back write (from the loop) was dropped unanswered, so
    // this one queues behind it; both end when the connection does.
    let err = result.expect_err("the peer is gone");
    assert!(
        matches!(err, Error::Closed(_) | Error::Command(_)),
        "a write to a lost connection fails: {err:?}"
    );
    let handle = writer.abort().expect("the writer's handle");
    let updates = within(&rt, WAIT, "the outcome", all_updates(handle)).await;
    let outcome = single_outcome(&updates);
    assert!(
        matches!(outcome, Outcome::Failed { code: 408, .. }),
        "the message fails when the peer goes: {outcome:?}"
    );
}

// ---- TLS mismatches ---------------------------------------------------------

fn short_timeouts(mut config: EndpointConfig) -> EndpointConfig {
    config.bind_timeout = Duration::from_secs(2);
    config.tls_handshake_timeout = Duration::from_secs(2);
    config
}

/// The connection closed, saying so; or a timeout, but only one that
/// really took its time (the short timeouts of [`short_timeouts`]), not a
/// closed connection reported as a timeout.
fn assert_closed_or_real_timeout(err: &Error, took: Duration, side: &str) {
    let text = err.to_string();
    match err {
        Error::Closed(_) => assert!(
            text.starts_with("the connection closed: "),
            "{side}: {text}"
        ),
        Error::Timeout(_) => assert!(
            took >= Duration::from_secs(2),
            "{side}: reported {text:?} after only {took:?}: the connection closed, it did not time out"
        ),
        other => panic!("{side}: expected the connection to close (or time out), got {other:?}"),
    }
}

/// An acceptor's wait that ran out after connections failed: why the last
/// one did.
fn last_failure<'a>(err: &'a Error, side: &str) -> &'a Error {
    match err {
        Error::NotBound { failed, last } => {
            assert!(*failed >= 1, "{side}: {err}");
            assert!(
                err.to_string().ends_with(&last.to_string()),
                "{side}: the error says why the last connection failed: {err}"
            );
            last
        }
        other => panic!("{side}: expected NotBound with the last failure, got {other:?}"),
    }
}

fn assert_tls_error(err: &Error, side: &str) {
    assert!(
        matches!(err, Error::Tls(_)),
        "{side}: expected a TLS error, got {err:?}"
    );
    let text = err.to_string();
    assert!(text.starts_with("TLS handshake failed: "), "{side}: {text}");
    assert!(
        text.len() > "TLS handshake failed: ".len() + 5,
        "{side}: says why: {text}"
    );
}

/// An acceptor on `answer` security and a connector of the other kind,
/// pointed at the acceptor's port with `scheme`: both complete (or give up)
/// within [`WAIT`]. Their results, and how long it took.
async fn mismatched_pair<R: Runtime>(
    rt: &R,
    answer: Security,
    call: Security,
    scheme: &str,
    session: &str,
) -> (Result<Transport, Error>, Result<Transport, Error>, Duration) {
    let mut acceptor = AcceptorDirect::new(rt.clone(), short_timeouts(answer_config(answer)));
    let bob_path = acceptor
        .prepare(Some(acceptor_uri(answer, session)))
        .await
        .expect("acceptor prepare");
    let wrong_path = vec![
        format!(
            "{scheme}://127.0.0.1:{}/{session};tcp",
            bob_path[0].port().expect("a port")
        )
        .parse::<MsrpUri>()
        .expect("URI"),
    ];
    let mut connector = ConnectorDirect::new(rt.clone(), short_timeouts(call_config(call)));
    let alice_path = connector.prepare(None).await.expect("connector prepare");
    let start = rt.now();
    let (alice, bob) = within(
        rt,
        WAIT,
        "both sides to give up",
        join(
            connector.complete(&wrong_path),
            acceptor.complete(&alice_path),
        ),
    )
    .await;
    (alice, bob, elapsed(rt, start))
}

/// A plaintext MSRP connection to a TLS port: the answering side fails
/// with `Error::Tls`, the calling side with the connection closing (or a
/// timeout), never a hang; an `MsrpServer` drops such connections and goes
/// on serving.
pub async fn plaintext_to_tls_port_fails_cleanly<R: Runtime>(rt: R) {
    // Same port, but `msrp:`: the connector speaks plaintext.
    let (alice, bob, took) =
        mismatched_pair(&rt, Security::Tls, Security::Tcp, "msrp", "tlsonly0001").await;
    let err = bob.expect_err("plaintext on a TLS port");
    eprintln!("plaintext to TLS, acceptor: {err}");
    assert_tls_error(last_failure(&err, "acceptor"), "acceptor");
    let err = alice.expect_err("a TLS port does not speak plaintext MSRP");
    eprintln!("plaintext to TLS, connector: {err}");
    assert_closed_or_real_timeout(&err, took, "connector");

    // A server on a TLS port drops a plaintext peer and serves the next.
    let server = MsrpServer::new(rt.clone(), short_timeouts(answer_config(Security::Tls)));
    let path = server.prepare(None).await.expect("server prepare");
    let mut fault = FaultPeer::connect(&rt, path[0].port().expect("a port"), "plainpeer01").await;
    let (_, request) = fault.bind_request(&path[0]);
    fault.send(&request).await.expect("fault peer write");
    let end = fault.read_until_closed(&rt, WAIT).await;
    assert!(matches!(end, ReadEnd::Eof | ReadEnd::Error(_)), "{end:?}");
    let (alice, mut bob) = server_pair(&rt, &server, &path, Security::Tls).await;
    send_text_and_check(&rt, &alice, &mut bob, "the server still serves TLS").await;
}

/// A TLS client on a plaintext port: the calling side fails with
/// `Error::Tls` (or a handshake timeout), the answering side with the
/// connection closing (or a bind timeout), never a hang.
pub async fn tls_to_plaintext_port_fails_cleanly<R: Runtime>(rt: R) {
    let (alice, bob, took) =
        mismatched_pair(&rt, Security::Tcp, Security::Tls, "msrps", "plainonly01").await;
    let err = alice.expect_err("a plaintext port does not do TLS");
    eprintln!("TLS to plaintext, connector: {err}");
    if !matches!(err, Error::Timeout(Phase::TlsHandshake)) {
        assert_tls_error(&err, "connector");
    }
    let err = bob.expect_err("a TLS ClientHello is not MSRP");
    eprintln!("TLS to plaintext, acceptor: {err}");
    assert_closed_or_real_timeout(last_failure(&err, "acceptor"), took, "acceptor");

    // The same against a plaintext server.
    let server = MsrpServer::new(rt.clone(), short_timeouts(answer_config(Security::Tcp)));
    let path = server.prepare(None).await.expect("server prepare");
    let tls_path = vec![
        format!(
            "msrps://127.0.0.1:{}/whatever01;tcp",
            path[0].port().expect("a port")
        )
        .parse::<MsrpUri>()
        .expect("URI"),
    ];
    let mut connector =
        ConnectorDirect::new(rt.clone(), short_timeouts(call_config(Security::Tls)));
    let err = within(
        &rt,
        WAIT,
        "the connector to give up",
        connector.complete(&tls_path),
    )
    .await
    .expect_err("a plaintext server does not do TLS");
    if !matches!(err, Error::Timeout(Phase::TlsHandshake)) {
        assert_tls_error(&err, "connector to server");
    }
}

/// A certificate for another name, or from an issuer the client does not
/// trust, fails the handshake with `Error::Tls` saying so, on both sides.
pub async fn tls_wrong_certificate_name_is_refused<R: Runtime>(rt: R) {
    for (server_cert, trusted, expect) in [
        // Trusted, but issued for another name.
        (wrong_name_cert(), wrong_name_cert(), "not valid for name"),
        // The right name, but nobody the client trusts vouches for it.
        (local_cert(), wrong_name_cert(), "UnknownIssuer"),
    ] {
        refused_certificate(&rt, server_cert, trusted, expect).await;
    }
}

async fn refused_certificate<R: Runtime>(
    rt: &R,
    server_cert: &TestCert,
    trusted: &TestCert,
    expect: &str,
) {
    let mut answer = short_timeouts(answer_config(Security::Tcp));
    answer.tls_server = Some(server_cert.server());
    let mut call = short_timeouts(call_config(Security::Tcp));
    call.tls_client = Some(trusted.client());
    let mut acceptor = AcceptorDirect::new(rt.clone(), answer);
    let bob_path = acceptor
        .prepare(Some(acceptor_uri(Security::Tls, "certcheck01")))
        .await
        .expect("acceptor prepare");
    let mut connector = ConnectorDirect::new(rt.clone(), call);
    let alice_path = connector.prepare(None).await.expect("connector prepare");
    let (alice, bob) = within(
        rt,
        WAIT,
        "the handshake to fail",
        join(
            connector.complete(&bob_path),
            acceptor.complete(&alice_path),
        ),
    )
    .await;
    let err = alice.expect_err("the certificate is refused");
    eprintln!("refused certificate, connector: {err}");
    assert_tls_error(&err, "connector");
    let text = err.to_string();
    assert!(
        text.contains("certificate"),
        "the error mentions the certificate: {text}"
    );
    assert!(
        text.contains(expect),
        "the error says what is wrong ({expect}): {text}"
    );
    if expect.contains("name") {
        assert!(
            text.contains("127.0.0.1"),
            "the error names the name: {text}"
        );
    }
    let err = bob.expect_err("the client refused the handshake");
    eprintln!("refused certificate, acceptor: {err}");
    assert_tls_error(last_failure(&err, "acceptor"), "acceptor");
}

// ---- slowloris ----------------------------------------------------------------

const HEAD_TIMEOUT: Duration = Duration::from_millis(300);
const SLOWLORIS: &[u8] = b"MSRP abcd SEND\r\nTo-Pa";

fn slowloris_config() -> EndpointConfig {
    let mut config = answer_config(Security::Tcp);
    config.protocol.head_timeout = Some(HEAD_TIMEOUT);
    config
}

/// A peer that sends the start of a chunk head and then nothing is dropped
/// by an acceptor after the head timeout, well before the bind timeout; the
/// acceptor goes on waiting, and a real peer that comes next binds.
pub async fn slowloris_peer_dropped_by_acceptor_after_head_timeout<R: Runtime>(rt: R) {
    let mut acceptor = AcceptorDirect::new(rt.clone(), slowloris_config());
    let bob_path = acceptor
        .prepare(Some(acceptor_uri(Security::Tcp, "slowloris01")))
        .await
        .expect("acceptor prepare");
    let port = bob_path[0].port().expect("a port");
    let mut connector = ConnectorDirect::new(rt.clone(), call_config(Security::Tcp));
    let alice_path = connector.prepare(None).await.expect("connector prepare");
    let trickle_then_call = async {
        let mut fault = FaultPeer::connect(&rt, port, "slowpeer01").await;
        fault.send(SLOWLORIS).await.expect("fault peer write");
        let sent = rt.now();
        let end = fault.read_until_closed(&rt, WAIT).await;
        let took = elapsed(&rt, sent);
        (end, took, connector.complete(&bob_path).await)
    };
    let (bob, (end, took, alice)) = within(
        &rt,
        WAIT,
        "the real peer to bind after the slow one",
        join(acceptor.complete(&alice_path), trickle_then_call),
    )
    .await;
    assert_slowloris_dropped(&end, took);
    let (alice, mut bob) = (
        Session::new(alice.expect("connector complete")),
        Session::new(bob.expect("the acceptor outlives the slow peer")),
    );
    send_text_and_check(&rt, &alice, &mut bob, "not slow").await;
}

/// [`slowloris_peer_dropped_by_acceptor_after_head_timeout`] against an
/// `MsrpServer`, which goes on serving.
pub async fn slowloris_peer_dropped_by_server_after_head_timeout<R: Runtime>(rt: R) {
    let server = MsrpServer::new(rt.clone(), slowloris_config());
    let path = server.prepare(None).await.expect("server prepare");
    let mut fault = FaultPeer::connect(&rt, path[0].port().expect("a port"), "slowpeer02").await;
    fault.send(SLOWLORIS).await.expect("fault peer write");
    let sent = rt.now();
    let end = fault.read_until_closed(&rt, WAIT).await;
    assert_slowloris_dropped(&end, elapsed(&rt, sent));
    let (alice, mut bob) = server_pair(&rt, &server, &path, Security::Tcp).await;
    send_text_and_check(&rt, &alice, &mut bob, "not slow").await;
}

fn assert_slowloris_dropped(end: &ReadEnd, took: Duration) {
    assert!(matches!(end, ReadEnd::Eof | ReadEnd::Error(_)), "{end:?}");
    assert!(
        took >= HEAD_TIMEOUT - Duration::from_millis(50),
        "dropped after {took:?}, before the head timeout"
    );
    assert!(
        took < Duration::from_secs(5),
        "dropped after {took:?}: the head timeout did not act (the bind timeout is 10 s)"
    );
}
