//! A message with an announced size that the peer received completely is
//! delivered even when the peer hangs up before the writer calls `finish`
//! (as `msrp listen --count` does): `finish` still hands over the handle,
//! and its outcome is `Delivered`. (The outcome used to wait for `finish`,
//! and the connection's end failed the message with 408.)

use std::time::Duration;

use bytes::Bytes;
use msrp_tokio::{
    EndpointConfig, Incoming, Outcome, OutgoingMessage, Session, get_acceptor, get_connector,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finish_after_the_peer_hung_up() {
    let mut acceptor = get_acceptor(EndpointConfig::default(), None);
    let mut connector = get_connector(EndpointConfig::default(), None);
    let bob_path = acceptor.prepare(None).await.unwrap();
    let alice_path = connector.prepare(None).await.unwrap();
    let (alice, bob) = tokio::join!(
        connector.complete(&bob_path),
        acceptor.complete(&alice_path)
    );
    let (alice, mut bob) = (Session::new(alice.unwrap()), Session::new(bob.unwrap()));

    let size = 300_000;
    let mut writer = alice
        .begin_message(OutgoingMessage::new("application/octet-stream").size(size))
        .await
        .unwrap();
    writer
        .write(Bytes::from(vec![1u8; size as usize]))
        .await
        .unwrap();

    let outcome = tokio::time::timeout(Duration::from_secs(20), async move {
        loop {
            match bob.next_incoming().await {
                Some(Incoming::Completed { size: got, .. }) => {
                    assert_eq!(got, size);
                    break;
                }
                Some(_) => {}
                None => panic!("the session ended early"),
            }
        }
        // Bob has it all and hangs up before Alice says she is done.
        bob.shutdown().await;
        writer.finish().await.unwrap().outcome().await
    })
    .await
    .expect("bounded");
    assert_eq!(outcome, Outcome::Delivered);
}
