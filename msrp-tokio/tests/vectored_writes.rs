//! The streams msrp-tokio hands the driver forward vectored writes: the
//! head, body pieces and end-line of a chunk leave in one system call.
//! (tokio-util's `Compat` wrapper, used before, wrote only the first
//! buffer of each vectored write, which made sending a 64 KiB chunk cost
//! six system calls instead of one.)

use std::io::IoSlice;

use futures_util::io::AsyncWriteExt;
use msrp_endpoint::Runtime;
use msrp_tokio::Tokio;

#[tokio::test]
async fn one_vectored_write_takes_every_buffer() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (client, accepted) = tokio::join!(tokio::net::TcpStream::connect(addr), listener.accept());
    let (_server, _) = accepted.unwrap();
    let mut io = Tokio.plain(client.unwrap());
    let (head, body, end) = (b"MSRP x SEND\r\n\r\n", [7u8; 1000], b"\r\n-------x$\r\n");
    let bufs = [IoSlice::new(head), IoSlice::new(&body), IoSlice::new(end)];
    let written = io.write_vectored(&bufs).await.unwrap();
    assert_eq!(written, head.len() + body.len() + end.len());
}
