//! A tokio endpoint and a smol endpoint talking over loopback: the two
//! adapters interoperate on the wire, each on its own runtime and thread.

#![forbid(unsafe_code)]

use std::time::Duration;

use bytes::Bytes;
use futures_channel::oneshot;
use msrp_async_std::{AsyncIo, EndpointConfig, Incoming, Outcome, OutgoingMessage, Session};
use msrp_proto::MsrpUri;
use sha2::{Digest, Sha256};

const LIMIT: Duration = Duration::from_secs(60);
const FILE_SIZE: usize = 4 << 20;

fn file() -> Vec<u8> {
    (0..FILE_SIZE).map(|i| (i * 31 % 251) as u8).collect()
}

/// Receives until one message completes; returns its size and SHA-256.
async fn next_message(session: &mut Session) -> (u64, String) {
    let mut hash = Sha256::new();
    let mut got = 0u64;
    let mut expected = 0u64;
    while let Some(item) = session.next_incoming().await {
        match item {
            Incoming::Data { offset, data, .. } => {
                assert_eq!(offset, got, "pieces arrive in order on one connection");
                got += data.len() as u64;
                hash.update(&data);
            }
            Incoming::Completed { size, .. } => {
                expected = size;
                break;
            }
            _ => {}
        }
    }
    assert_eq!(got, expected);
    (got, hex::encode(hash.finalize()))
}

#[test]
fn a_tokio_acceptor_and_a_smol_connector_exchange_messages_and_a_file() {
    let (path_tx, path_rx) = oneshot::channel::<Vec<MsrpUri>>();
    let (alice_tx, alice_rx) = oneshot::channel::<Vec<MsrpUri>>();

    // Bob on tokio, in his own thread.
    let bob = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime");
        rt.block_on(async move {
            tokio::time::timeout(LIMIT, async move {
                let mut acceptor = msrp_tokio::get_acceptor(EndpointConfig::default(), None);
                let local = "msrp://127.0.0.1:0/tokiobob1;tcp".parse().ok();
                let path = acceptor.prepare(local).await.expect("listens");
                path_tx.send(path).expect("alice waits");
                let alice = alice_rx.await.expect("alice's path");
                let mut session = Session::new(acceptor.complete(&alice).await.expect("binds"));
                let (size, sha) = next_message(&mut session).await;
                assert_eq!(size, 11, "the chat line");
                let (size, file_sha) = next_message(&mut session).await;
                assert_eq!(size as usize, FILE_SIZE);
                let reply = OutgoingMessage::new("text/plain").body(format!("{sha} {file_sha}"));
                let sent = session.send_message(reply).await.expect("queued");
                assert_eq!(sent.outcome().await, Outcome::Delivered);
                session.shutdown().await;
            })
            .await
            .expect("bob finished in time");
        });
    });

    // Alice on smol.
    smol::block_on(async move {
        let work = async move {
            let rt = AsyncIo::smol();
            let bob_path = path_rx.await.expect("bob's path");
            let mut connector = rt.connector(EndpointConfig::default(), None);
            alice_tx
                .send(connector.prepare(None).await.expect("a path"))
                .expect("bob waits");
            let mut session = Session::new(connector.complete(&bob_path).await.expect("binds"));
            let line = session
                .send_message(OutgoingMessage::new("text/plain").body("hello tokio"))
                .await
                .expect("queued");
            assert_eq!(line.outcome().await, Outcome::Delivered);
            let data = file();
            let mut writer = session
                .begin_message(
                    OutgoingMessage::new("application/octet-stream").size(FILE_SIZE as u64),
                )
                .await
                .expect("begins");
            for piece in data.chunks(64 * 1024) {
                writer
                    .write(Bytes::copy_from_slice(piece))
                    .await
                    .expect("writes");
            }
            let sent = writer.finish().await.expect("finishes");
            assert_eq!(sent.outcome().await, Outcome::Delivered);
            // The reply may arrive in several pieces: collect to the end.
            let mut reply = Vec::new();
            loop {
                match session.next_incoming().await.expect("bob replies") {
                    Incoming::Data { offset, data, .. } => {
                        assert_eq!(offset as usize, reply.len());
                        reply.extend_from_slice(&data);
                    }
                    Incoming::Completed { .. } => break,
                    _ => {}
                }
            }
            let expected = format!(
                "{} {}",
                hex::encode(Sha256::digest(b"hello tokio")),
                hex::encode(Sha256::digest(&data))
            );
            assert_eq!(
                reply,
                expected.as_bytes(),
                "bob saw exactly what alice sent"
            );
        };
        let deadline = async {
            smol::Timer::after(LIMIT).await;
            panic!("alice did not finish in time");
        };
        smol::future::or(work, deadline).await;
    });
    bob.join().expect("bob's thread");
}
