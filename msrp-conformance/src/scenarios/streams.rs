//! The runtime's own byte streams, as the connection driver uses them.

use std::future::poll_fn;
use std::io::IoSlice;
use std::net::{Ipv4Addr, SocketAddr};
use std::pin::Pin;

use futures_util::future::join;
use futures_util::{AsyncReadExt, AsyncWrite, AsyncWriteExt};
use msrp_endpoint::{BoxIo, Runtime, TLS_SEND_BUFFER};
use rustls_pki_types::ServerName;

use crate::support::{WAIT, local_cert, within};

/// A TLS stream takes in one write as much as the driver offers in one,
/// and no more: here five default chunks (a head, 64 KiB of body and an
/// end-line each) topped up to exactly [`TLS_SEND_BUFFER`], and one KiB
/// beyond it, which the stream leaves for the next write. Under rustls's
/// default limit (64 KiB) the write stopped 64 KiB in, and a lone chunk
/// went out in two system calls, the second a record of a few hundred
/// bytes; with no limit, a peer that stops reading could make rustls hold
/// without bound. Both ends of the stream are checked, and the bytes must
/// arrive intact and in order.
pub async fn tls_stream_takes_a_whole_driver_write<R: Runtime>(rt: R) {
    let (mut client, mut server) = tls_pair(&rt).await;
    one_write_takes_the_limit(&rt, &mut client, &mut server, "client").await;
    one_write_takes_the_limit(&rt, &mut server, &mut client, "server").await;
}

async fn one_write_takes_the_limit<R: Runtime>(
    rt: &R,
    writer: &mut BoxIo,
    reader: &mut BoxIo,
    side: &str,
) {
    let head = [b'h'; 300];
    let body: Vec<u8> = (0..64 * 1024).map(|i| (i % 251) as u8).collect();
    let end_line = [b'-'; 50];
    let beyond = [b'b'; 1024];
    let mut pieces: Vec<&[u8]> = (0..5)
        .flat_map(|_| [&head[..], &body[..], &end_line[..]])
        .collect();
    let chunks: usize = pieces.iter().map(|p| p.len()).sum();
    let filler = vec![
        b'f';
        TLS_SEND_BUFFER
            .checked_sub(chunks)
            .expect("five default chunks fit TLS_SEND_BUFFER")
    ];
    pieces.extend([&filler[..], &beyond[..]]);
    let slices: Vec<IoSlice<'_>> = pieces.iter().map(|p| IoSlice::new(p)).collect();

    let taken = within(
        rt,
        WAIT,
        "one vectored write",
        poll_fn(|cx| Pin::new(&mut *writer).poll_write_vectored(cx, &slices)),
    )
    .await
    .expect("a write on a fresh TLS stream");
    assert_eq!(
        taken, TLS_SEND_BUFFER,
        "the {side}'s write took {taken} bytes: rustls's send buffer limit is not TLS_SEND_BUFFER"
    );

    let mut received = vec![0u8; taken];
    let (flushed, read) = within(
        rt,
        WAIT,
        "the written bytes at the other end",
        join(writer.flush(), reader.read_exact(&mut received)),
    )
    .await;
    flushed.expect("flush");
    read.expect("read");
    assert!(
        received[..] == pieces.concat()[..taken],
        "the {side}'s bytes arrived changed"
    );
}

/// A client and a server TLS stream on loopback, through the runtime's own
/// connect, accept and handshakes, with [`local_cert`].
async fn tls_pair<R: Runtime>(rt: &R) -> (BoxIo, BoxIo) {
    let listener = rt
        .listen(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
        .await
        .expect("listen on loopback");
    let port = rt.local_addr(&listener).expect("the port").port();
    let (client, accepted) = within(
        rt,
        WAIT,
        "a loopback connection",
        join(rt.connect("127.0.0.1", port), rt.accept(&listener)),
    )
    .await;
    let (client, (server, _)) = (client.expect("connect"), accepted.expect("accept"));
    let name = ServerName::try_from("127.0.0.1").expect("a server name");
    let cert = local_cert();
    let (client, server) = within(
        rt,
        WAIT,
        "the TLS handshakes",
        join(
            rt.tls_connect(client, cert.client().config().clone(), name),
            rt.tls_accept(server, cert.server().config().clone()),
        ),
    )
    .await;
    (
        client.expect("TLS client handshake"),
        server.expect("TLS server handshake"),
    )
}
