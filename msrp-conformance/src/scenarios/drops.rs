//! Dropping is always safe: connectors, acceptors, servers, sessions,
//! writers and pending futures can go at any point without a hang, a panic
//! or a leaked connection, and `cleanup`/`close` give ports back.

use futures_util::future::{Either, select};
use futures_util::poll;
use msrp_endpoint::msrp_proto::MsrpUri;
use msrp_endpoint::msrp_proto::connection::{Outcome, OutgoingMessage};
use msrp_endpoint::{AcceptorDirect, ConnectorDirect, Error, Incoming, MsrpServer, Runtime};

use crate::scenarios::server::server_pair;
use crate::support::{
    Collector, FaultPeer, Finished, ReadEnd, Security, WAIT, acceptor_uri, all_updates,
    answer_config, call_config, direct_pair, local_listener, pattern, port_is_free,
    send_text_and_check, single_outcome, wait_port_free, within,
};

fn peer() -> Vec<MsrpUri> {
    vec!["msrp://127.0.0.1:9/somepeer01;tcp".parse().expect("URI")]
}

/// `cleanup` after `prepare` frees the acceptor's port at once, and so do
/// dropping a prepared acceptor and dropping its pending `complete`.
pub async fn acceptor_cleanup_and_drop_release_the_port<R: Runtime>(rt: R) {
    // cleanup
    let mut acceptor = AcceptorDirect::new(rt.clone(), answer_config(Security::Tcp));
    let path = acceptor
        .prepare(Some(acceptor_uri(Security::Tcp, "cleanup0001")))
        .await
        .expect("acceptor prepare");
    let port = path[0].port().expect("a port");
    assert!(
        !port_is_free(&rt, port).await,
        "a prepared acceptor holds its port"
    );
    acceptor.cleanup();
    assert!(port_is_free(&rt, port).await, "cleanup releases the port");
    let err = acceptor
        .complete(&peer())
        .await
        .expect_err("nothing prepared");
    assert!(
        matches!(err, Error::Config(_)),
        "complete after cleanup: {err:?}"
    );

    // drop
    let mut acceptor = AcceptorDirect::new(rt.clone(), answer_config(Security::Tls));
    let path = acceptor
        .prepare(Some(acceptor_uri(Security::Tls, "dropped0001")))
        .await
        .expect("acceptor prepare");
    drop(acceptor);
    assert!(
        port_is_free(&rt, path[0].port().expect("a port")).await,
        "dropping a prepared acceptor releases the port"
    );

    // a pending complete, dropped
    let mut acceptor = AcceptorDirect::new(rt.clone(), answer_config(Security::Tcp));
    let path = acceptor
        .prepare(Some(acceptor_uri(Security::Tcp, "pending0001")))
        .await
        .expect("acceptor prepare");
    let peer = peer();
    let mut complete = Box::pin(acceptor.complete(&peer));
    assert!(
        poll!(complete.as_mut()).is_pending(),
        "nobody connected yet"
    );
    drop(complete);
    assert!(
        port_is_free(&rt, path[0].port().expect("a port")).await,
        "dropping a pending complete releases the port"
    );
    acceptor.cleanup();
}

/// On an `MsrpServer`: `cleanup` stops expecting a URI (a bind gets 481),
/// `close` frees the port, sessions already bound outlive both and the
/// server itself, and a dropped server frees its port and refuses binds on
/// connections it had accepted.
pub async fn server_cleanup_close_and_drop<R: Runtime>(rt: R) {
    let server = MsrpServer::new(rt.clone(), answer_config(Security::Tcp));
    let gone = server.prepare(None).await.expect("server prepare");
    let kept = server.prepare(None).await.expect("server prepare");
    let port = gone[0].port().expect("a port");
    server.cleanup(&gone[0]);
    let mut fault = FaultPeer::connect(&rt, port, "latecomer01").await;
    assert_eq!(
        fault.bind(&rt, &gone[0]).await,
        481,
        "a cleaned-up URI is not expected"
    );

    let (mut alice, mut bob) = server_pair(&rt, &server, &kept, Security::Tcp).await;
    server.close();
    wait_port_free(&rt, port, "close").await;
    drop(server);
    send_text_and_check(&rt, &alice, &mut bob, "after close and drop").await;
    send_text_and_check(&rt, &bob, &mut alice, "still bound").await;

    // A server dropped with a pending complete and an accepted connection.
    let server = MsrpServer::new(rt.clone(), answer_config(Security::Tcp));
    let path = server.prepare(None).await.expect("server prepare");
    let port = path[0].port().expect("a port");
    let mut fault = FaultPeer::connect(&rt, port, "orphan0001").await;
    let unknown = path[0]
        .with_session_id("notexpected01")
        .expect("a session id");
    // An answer shows the connection was accepted and has its driver.
    assert_eq!(fault.bind(&rt, &unknown).await, 481);
    let peer = peer();
    let mut complete = Box::pin(server.complete(&peer));
    assert!(poll!(complete.as_mut()).is_pending(), "nobody bound yet");
    drop(complete);
    drop(server);
    wait_port_free(&rt, port, "dropping the server").await;
    // A connection that bound nothing goes with its server.
    let end = fault.read_until_closed(&rt, WAIT).await;
    assert!(matches!(end, ReadEnd::Eof | ReadEnd::Error(_)), "{end:?}");
}

/// Dropping a connector's `complete` while its bind is in flight: when the
/// bind succeeds after all, nobody owns the session, so the connection
/// closes instead of staying open forever.
pub async fn dropping_connector_complete_mid_bind_closes_connection<R: Runtime>(rt: R) {
    let (listener, port) = local_listener(&rt).await;
    let mut connector = ConnectorDirect::new(rt.clone(), call_config(Security::Tcp));
    let path: Vec<MsrpUri> = vec![
        format!("msrp://127.0.0.1:{port}/midbind0001;tcp")
            .parse()
            .expect("URI"),
    ];
    let mut complete = Box::pin(connector.complete(&path));
    let accept = Box::pin(async {
        let mut fault = FaultPeer::accept(&rt, &listener, "midbind0001").await;
        let request = fault.read_chunk(&rt).await;
        (fault, request)
    });
    let (mut fault, request) = match within(
        &rt,
        WAIT,
        "the bind request",
        select(complete.as_mut(), accept),
    )
    .await
    {
        Either::Right((peer, _)) => peer,
        Either::Left((result, _)) => {
            panic!("complete ended before its bind was answered: {result:?}")
        }
    };
    drop(complete);
    fault.answer(&request, 200).await;
    let end = fault.read_until_closed(&rt, WAIT).await;
    assert!(matches!(end, ReadEnd::Eof | ReadEnd::Error(_)), "{end:?}");
    connector.cleanup();
}

/// Dropping a server's pending `complete` loses nothing: the session that
/// binds afterwards waits for the next `complete` for its peer.
pub async fn dropping_server_complete_keeps_session_for_later<R: Runtime>(rt: R) {
    let server = MsrpServer::new(rt.clone(), answer_config(Security::Tcp));
    let path = server.prepare(None).await.expect("server prepare");
    let mut connector = ConnectorDirect::new(rt.clone(), call_config(Security::Tcp));
    let alice_path = connector.prepare(None).await.expect("connector prepare");
    let mut complete = Box::pin(server.complete(&alice_path));
    assert!(poll!(complete.as_mut()).is_pending(), "nobody bound yet");
    drop(complete);
    let alice = within(
        &rt,
        WAIT,
        "the connector to bind",
        connector.complete(&path),
    )
    .await
    .expect("connector complete");
    let bob = within(&rt, WAIT, "the kept session", server.complete(&alice_path))
        .await
        .expect("server complete");
    let (mut alice, mut bob) = (
        msrp_endpoint::Session::new(alice),
        msrp_endpoint::Session::new(bob),
    );
    send_text_and_check(&rt, &alice, &mut bob, "kept").await;
    send_text_and_check(&rt, &bob, &mut alice, "for later").await;
}

/// Dropping a `MessageWriter` mid-message aborts that message at the
/// receiver; the session goes on.
pub async fn dropping_message_writer_aborts_only_that_message<R: Runtime>(rt: R) {
    let (mut alice, mut bob) = direct_pair(&rt, Security::Tcp).await;
    let mut writer = alice
        .begin_message(OutgoingMessage::new("application/octet-stream").size(1 << 20))
        .await
        .expect("begin_message");
    writer
        .write(pattern(8, 0, 256 * 1024))
        .await
        .expect("write");
    let id = writer.id().cloned().expect("an id");
    let mut collector = Collector::new();
    within(&rt, WAIT, "the message to start", async {
        loop {
            let item = bob.next_incoming().await.expect("the session is open");
            let started = matches!(&item, Incoming::Started { message, .. } if *message == id);
            assert!(collector.feed(item).is_none());
            if started {
                return;
            }
        }
    })
    .await;
    drop(writer);
    let finished = within(&rt, WAIT, "the abort", collector.next_finished(&mut bob)).await;
    let Some(Finished::Aborted { id: aborted, .. }) = finished else {
        panic!("a dropped writer aborts its message, got {finished:?}");
    };
    assert_eq!(aborted, id);
    send_text_and_check(&rt, &alice, &mut bob, "the session goes on").await;
    send_text_and_check(&rt, &bob, &mut alice, "both ways").await;
}

/// Dropping the receiving session mid-message: the sender's message fails
/// (once), its writes fail instead of hanging, and its session ends.
pub async fn dropping_receiving_session_fails_senders_message<R: Runtime>(rt: R) {
    const SIZE: u64 = 8 << 20;
    const BLOCK: usize = 256 * 1024;
    let (mut alice, mut bob) = direct_pair(&rt, Security::Tcp).await;
    let mut writer = alice
        .begin_message(OutgoingMessage::new("application/octet-stream").size(SIZE))
        .await
        .expect("begin_message");
    writer.write(pattern(9, 0, BLOCK)).await.expect("write");
    let first = within(&rt, WAIT, "the message to start", bob.next_incoming()).await;
    assert!(matches!(first, Some(Incoming::Started { .. })), "{first:?}");
    drop(bob);

    let mut offset = BLOCK as u64;
    let mut failed = None;
    while offset < SIZE {
        match within(
            &rt,
            WAIT,
            "a write",
            writer.write(pattern(9, offset, BLOCK)),
        )
        .await
        {
            Ok(()) => offset += BLOCK as u64,
            Err(err) => {
                failed = Some(err);
                break;
            }
        }
    }
    let updates = match failed {
        Some(err) => {
            assert!(
                matches!(err, Error::Closed(_) | Error::Command(_)),
                "a write after the receiver went: {err:?}"
            );
            let handle = writer.abort().expect("the writer's handle");
            within(&rt, WAIT, "the outcome", all_updates(handle)).await
        }
        None => match within(&rt, WAIT, "finish", writer.finish()).await {
            Ok(handle) => within(&rt, WAIT, "the outcome", all_updates(handle)).await,
            Err(_) => Vec::new(),
        },
    };
    if !updates.is_empty() {
        let outcome = single_outcome(&updates);
        assert!(
            matches!(outcome, Outcome::Failed { .. }),
            "a message whose receiver went is not delivered: {outcome:?}"
        );
    }
    let end = within(&rt, WAIT, "alice's session to end", alice.next_incoming()).await;
    assert_eq!(end, None, "the connection closes with its last session");
}

/// Everything dropped in the middle of transfers both ways, on TLS and on
/// a server: no hang, no panic in a background task; messages still in
/// flight get an outcome; the runtime goes on working.
pub async fn dropping_everything_mid_transfer_is_quiet<R: Runtime>(rt: R) {
    let (alice, mut bob) = direct_pair(&rt, Security::Tls).await;
    let server = MsrpServer::new(rt.clone(), answer_config(Security::Tcp));
    let path = server.prepare(None).await.expect("server prepare");
    let (carol, dave) = server_pair(&rt, &server, &path, Security::Tcp).await;
    // Expected, never bound, when the server goes.
    let _never_bound = server.prepare(None).await.expect("server prepare");
    let mut idle_acceptor = AcceptorDirect::new(rt.clone(), answer_config(Security::Tcp));
    idle_acceptor
        .prepare(Some(acceptor_uri(Security::Tcp, "idleaccept01")))
        .await
        .expect("acceptor prepare");

    // Transfers under way in every direction.
    let mut alice_writer = alice
        .begin_message(OutgoingMessage::new("application/octet-stream").size(8 << 20))
        .await
        .expect("begin_message");
    alice_writer
        .write(pattern(10, 0, 1 << 20))
        .await
        .expect("write");
    let bob_message = bob
        .send_message(
            OutgoingMessage::new("application/octet-stream").body(pattern(11, 0, 4 << 20)),
        )
        .await
        .expect("send");
    let carol_message = carol
        .send_message(
            OutgoingMessage::new("application/octet-stream").body(pattern(12, 0, 4 << 20)),
        )
        .await
        .expect("send");
    let dave_message = dave
        .send_message(
            OutgoingMessage::new("application/octet-stream").body(pattern(13, 0, 4 << 20)),
        )
        .await
        .expect("send");
    let first = within(&rt, WAIT, "bob to see alice's message", bob.next_incoming()).await;
    assert!(matches!(first, Some(Incoming::Started { .. })), "{first:?}");

    // Everything goes, in an awkward order.
    drop(server);
    drop(bob);
    drop(alice_writer);
    drop(carol);
    drop(idle_acceptor);
    drop(alice);
    drop(dave);

    // Handles of messages in flight still resolve, none as delivered.
    for handle in [bob_message, carol_message, dave_message] {
        let updates = within(&rt, WAIT, "an outcome after the drop", all_updates(handle)).await;
        let outcome = single_outcome(&updates);
        assert!(
            matches!(outcome, Outcome::Aborted | Outcome::Failed { .. }),
            "a message whose session went: {outcome:?}"
        );
    }

    // The runtime is fine.
    let (alice, mut bob) = direct_pair(&rt, Security::Tcp).await;
    send_text_and_check(&rt, &alice, &mut bob, "all good").await;
}
