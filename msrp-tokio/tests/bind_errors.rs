//! A connection that ends while the session is binding fails `complete`
//! with the reason it ended, not with a bind timeout. (The connection
//! fails a pending binding request with 408, as RFC 4975 treats a lost
//! connection; the endpoint reported that as "timed out waiting for the
//! session to bind", which sent users looking for a slow peer instead of,
//! say, a TLS listener that hung up on plaintext.)

use std::time::Duration;

use msrp_tokio::{EndpointConfig, Error, get_connector};
use tokio::io::AsyncReadExt;

#[tokio::test]
async fn a_peer_hanging_up_during_the_bind_is_a_closed_connection() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let peer = tokio::spawn(async move {
        let (mut tcp, _) = listener.accept().await.unwrap();
        // Take the binding request, then hang up without answering.
        let mut buf = [0u8; 4096];
        let n = tcp.read(&mut buf).await.unwrap();
        assert!(buf[..n].starts_with(b"MSRP "));
    });
    let mut connector = get_connector(EndpointConfig::default(), None);
    let to = format!("msrp://127.0.0.1:{port}/hangup;tcp")
        .parse()
        .unwrap();
    let result = tokio::time::timeout(Duration::from_secs(20), connector.complete(&[to]))
        .await
        .expect("bounded");
    peer.await.unwrap();
    match result {
        Err(Error::Closed(_)) => {}
        other => panic!("expected a closed connection, got {other:?}"),
    }
}
