//! The bridge on real MSRP sessions and sockets over loopback, on tokio and
//! smol: roles from the SDP, backpressure both ways, and the end from
//! either socket.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures_channel::oneshot;
use futures_util::io::{AsyncReadExt, AsyncWriteExt};
use msrp_endpoint::{BoxIo, EndpointConfig, Runtime, timeout};
use msrp_proto::connection::CloseReason;

use super::*;

const WAIT: Duration = Duration::from_secs(20);

fn on_tokio<F: Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
        .block_on(f)
}

async fn within<F: Future>(rt: &impl Runtime, what: &str, f: F) -> F::Output {
    timeout(rt, WAIT, f)
        .await
        .unwrap_or_else(|| panic!("timed out: {what}"))
}

fn stream<R: Runtime>(rt: &R, config: DesktopConfig) -> DesktopStream<R> {
    DesktopStream::new(rt.clone(), config, EndpointConfig::default(), None)
}

/// The viewing side listens, the serving side calls: both bound.
async fn pair<R: Runtime>(rt: &R, config: DesktopConfig) -> (DesktopSession<R>, DesktopSession<R>) {
    let mut viewing = stream(rt, config.clone());
    let mut serving = stream(rt, config);
    let path = viewing.listen(DesktopRole::Viewer).await.expect("listen");
    serving.call(DesktopRole::Server).await.expect("call");
    let (viewer, server) =
        futures_util::future::join(viewing.start_any(), serving.start_to(&path)).await;
    (viewer.expect("viewer binds"), server.expect("server binds"))
}

/// Two connected loopback sockets from the runtime: the application's end
/// (the VNC server or viewer) and the bridge's.
async fn sockets<R: Runtime>(rt: &R) -> (BoxIo, BoxIo) {
    let listener = rt
        .listen("127.0.0.1:0".parse().expect("an address"))
        .await
        .expect("listen");
    let port = rt.local_addr(&listener).expect("address").port();
    let (connected, accepted) =
        futures_util::future::join(rt.connect("127.0.0.1", port), rt.accept(&listener)).await;
    (
        rt.plain(connected.expect("connect")),
        rt.plain(accepted.expect("accept").0),
    )
}

fn spawn<R: Runtime, T: Send + 'static>(
    rt: &R,
    f: impl Future<Output = T> + Send + 'static,
) -> oneshot::Receiver<T> {
    let (tx, rx) = oneshot::channel();
    rt.spawn(Box::pin(async move {
        let _ = tx.send(f.await);
    }));
    rx
}

/// The byte at offset `i` of the test stream: no period near a message
/// size, so a lost, doubled or reordered piece shows.
fn pattern(i: u64) -> u8 {
    ((i.wrapping_mul(2_654_435_761) >> 13) ^ (i >> 16)) as u8
}

async fn offer_answer_start<R: Runtime>(rt: R) {
    let mut viewing = stream(&rt, DesktopConfig::default());
    let mut serving = stream(&rt, DesktopConfig::default());
    let offer = viewing.offer(DesktopRole::Viewer).await.expect("offer");
    let text = offer.render();
    assert!(text.starts_with("m=application "), "{text}");
    assert!(
        text.contains("a=accept-types:application/x-rfb\r\n"),
        "{text}"
    );
    assert!(text.contains("a=rfbsetup:active\r\n"), "{text}");
    let answer = serving.answer(&offer).await.expect("answer");
    assert_eq!(answer.rfbsetup, Some(RfbSetup::Passive));
    assert_eq!(serving.role(), Some(DesktopRole::Server));
    let (viewer, server) =
        futures_util::future::join(viewing.start(&answer), serving.start(&offer)).await;
    let (viewer, server) = (
        viewer.expect("viewer starts"),
        server.expect("server starts"),
    );
    assert_eq!(
        (viewer.role(), server.role()),
        (DesktopRole::Viewer, DesktopRole::Server)
    );
    assert_eq!(viewer.remote_path(), server.local_path());

    // An answer that wants the offerer's own role is refused.
    let mut viewing = stream(&rt, DesktopConfig::default());
    let offer = viewing.offer(DesktopRole::Viewer).await.expect("offer");
    let mut wrong = offer.clone();
    wrong.rfbsetup = Some(RfbSetup::Active);
    let err = viewing.start(&wrong).await.expect_err("both viewers");
    assert!(err.to_string().contains("one must view"), "{err}");
}

#[test]
fn offer_answer_and_start_give_the_sipsimple_roles() {
    on_tokio(offer_answer_start(msrp_tokio::Tokio));
}

/// The VNC server writes all it can, the viewer reads nothing (or, with
/// `viewer_writes`, the other way round): the writer's socket stops being
/// read with the bridges' buffers within their bounds, and once the reader
/// reads, everything arrives in order.
async fn backpressure<R: Runtime>(rt: R, viewer_writes: bool) {
    let config = DesktopConfig::default();
    let (viewer, server) = pair(&rt, config.clone()).await;
    let (vnc, vnc_end) = sockets(&rt).await;
    let (viewer_app, viewer_end) = sockets(&rt).await;
    let server_bridge = server.spawn(vnc_end);
    let viewer_bridge = viewer.spawn(viewer_end);
    let (mut vnc, server_bridge, mut viewer_app, viewer_bridge) = if viewer_writes {
        (viewer_app, viewer_bridge, vnc, server_bridge)
    } else {
        (vnc, server_bridge, viewer_app, viewer_bridge)
    };

    // Far more than every buffer on the way, kernel ones included.
    const TOTAL: u64 = 256 << 20;
    let written = Arc::new(AtomicU64::new(0));
    let counter = written.clone();
    let writer = spawn(&rt, async move {
        let mut at = 0u64;
        while at < TOTAL {
            let piece: Vec<u8> = (at..at + 65536).map(pattern).collect();
            if vnc.write_all(&piece).await.is_err() {
                break;
            }
            at += piece.len() as u64;
            counter.store(at, Ordering::SeqCst);
        }
        vnc
    });

    // Wait until the VNC server cannot write any more.
    let mut last = u64::MAX;
    within(&rt, "the VNC server to be stopped", async {
        loop {
            let now = written.load(Ordering::SeqCst);
            if now == last && now > 0 {
                break;
            }
            last = now;
            sleep(&rt, Duration::from_millis(1000)).await;
        }
    })
    .await;
    let stalled = written.load(Ordering::SeqCst);
    let read = server_bridge.stats().bytes_to_peer;
    sleep(&rt, Duration::from_millis(500)).await;
    let (server_stats, viewer_stats) = (server_bridge.stats(), viewer_bridge.stats());
    eprintln!(
        "{} ({}): the writer stopped after {stalled} bytes; its bridge read \
         {read} (peak in flight {}), the other wrote {} (peak held {})",
        rt.name(),
        if viewer_writes {
            "viewer writes"
        } else {
            "server writes"
        },
        server_stats.peak_in_flight,
        viewer_stats.bytes_from_peer,
        viewer_stats.peak_to_socket
    );
    assert!(stalled < TOTAL / 2, "the VNC server wrote {stalled} bytes");
    assert_eq!(
        server_stats.bytes_to_peer, read,
        "the VNC server's socket is still read"
    );
    assert_eq!(written.load(Ordering::SeqCst), stalled);
    assert!(
        server_stats.peak_in_flight <= config.send_window as u64,
        "{server_stats:?}"
    );
    assert!(
        viewer_stats.peak_to_socket <= config.max_message as u64,
        "{viewer_stats:?}"
    );
    assert!(viewer_stats.bytes_from_peer < stalled, "{viewer_stats:?}");

    // The viewer reads: what it gets is the stream, in order, and the VNC
    // server can write again.
    let mut got = vec![0u8; 16 << 20];
    within(&rt, "the viewer's read", viewer_app.read_exact(&mut got))
        .await
        .expect("the viewer reads");
    if let Some(bad) = (0..got.len()).find(|&i| got[i] != pattern(i as u64)) {
        panic!("byte {bad} differs");
    }
    within(&rt, "the VNC server to write again", async {
        while written.load(Ordering::SeqCst) == stalled {
            sleep(&rt, Duration::from_millis(50)).await;
        }
    })
    .await;

    // The viewer quits: both ends close.
    drop(viewer_app);
    let viewer_report = within(&rt, "the viewer's bridge", viewer_bridge.wait()).await;
    let server_report = within(&rt, "the server's bridge", server_bridge.wait()).await;
    assert_eq!(viewer_report.end, BridgeEnd::LocalClosed);
    // The VNC server never stops sending here: the viewer side closes
    // with bytes unread after its linger, which may reset the connection.
    assert!(
        matches!(
            server_report.end,
            BridgeEnd::SessionEnded(CloseReason::PeerClosed | CloseReason::ConnectionLost)
        ),
        "{:?}",
        server_report.end
    );
    let _vnc = within(&rt, "the VNC server's writes to fail", writer)
        .await
        .expect("the writer");
    assert!(server_report.stats.peak_in_flight <= config.send_window as u64);
}

#[test]
fn a_viewer_that_does_not_read_stops_the_vnc_server_being_read_on_tokio() {
    on_tokio(backpressure(msrp_tokio::Tokio, false));
}

#[test]
fn a_vnc_server_that_does_not_read_stops_the_viewer_being_read_on_tokio() {
    on_tokio(backpressure(msrp_tokio::Tokio, true));
}

#[test]
fn a_viewer_that_does_not_read_stops_the_vnc_server_being_read_on_smol() {
    smol::block_on(backpressure(msrp_async_std::AsyncIo::smol(), false));
}

/// The viewer closes: the VNC server's socket is closed too.
async fn viewer_quits<R: Runtime>(rt: R) {
    let (viewer, server) = pair(&rt, DesktopConfig::default()).await;
    let (mut vnc, vnc_end) = sockets(&rt).await;
    let (mut viewer_app, viewer_end) = sockets(&rt).await;
    let server_bridge = server.spawn(vnc_end);
    let viewer_bridge = viewer.spawn(viewer_end);

    vnc.write_all(b"RFB 003.008\n").await.expect("greet");
    let mut version = [0u8; 12];
    within(&rt, "the greeting", viewer_app.read_exact(&mut version))
        .await
        .expect("read");
    assert_eq!(&version, b"RFB 003.008\n");
    viewer_app.write_all(&version).await.expect("answer");
    within(&rt, "the answer", vnc.read_exact(&mut version))
        .await
        .expect("read");
    viewer_app.close().await.expect("close");
    drop(viewer_app);

    let mut rest = Vec::new();
    let n = within(&rt, "the VNC socket to close", vnc.read_to_end(&mut rest)).await;
    assert_eq!(n.expect("a clean end"), 0);
    let viewer_report = within(&rt, "the viewer's bridge", viewer_bridge.wait()).await;
    let server_report = within(&rt, "the server's bridge", server_bridge.wait()).await;
    assert_eq!(viewer_report.end, BridgeEnd::LocalClosed);
    assert_eq!(
        server_report.end,
        BridgeEnd::SessionEnded(CloseReason::PeerClosed)
    );
    assert!(viewer_report.end.is_clean() && server_report.end.is_clean());
    let (v, s) = (viewer_report.stats, server_report.stats);
    assert_eq!((v.bytes_to_peer, v.bytes_from_peer), (12, 12));
    assert_eq!((s.bytes_to_peer, s.bytes_from_peer), (12, 12));
    assert_eq!((v.messages_to_peer, v.messages_from_peer), (1, 1));
}

#[test]
fn the_viewer_quitting_closes_the_vnc_socket_on_tokio() {
    on_tokio(viewer_quits(msrp_tokio::Tokio));
}

#[test]
fn the_viewer_quitting_closes_the_vnc_socket_on_smol() {
    smol::block_on(viewer_quits(msrp_async_std::AsyncIo::smol()));
}

/// The VNC server hangs up after a last word: the viewer gets it, then the
/// end.
async fn server_hangs_up<R: Runtime>(rt: R) {
    let (viewer, server) = pair(&rt, DesktopConfig::default()).await;
    let (mut vnc, vnc_end) = sockets(&rt).await;
    let (mut viewer_app, viewer_end) = sockets(&rt).await;
    let server_bridge = server.spawn(vnc_end);
    let viewer_bridge = viewer.spawn(viewer_end);

    let last: Vec<u8> = (0..100_000).map(pattern).collect();
    vnc.write_all(&last).await.expect("write");
    vnc.close().await.expect("close");
    drop(vnc);
    let mut got = Vec::new();
    within(
        &rt,
        "the viewer's socket to close",
        viewer_app.read_to_end(&mut got),
    )
    .await
    .expect("a clean end");
    assert!(
        got == last,
        "{} bytes, not the {} sent",
        got.len(),
        last.len()
    );
    let viewer_report = within(&rt, "the viewer's bridge", viewer_bridge.wait()).await;
    let server_report = within(&rt, "the server's bridge", server_bridge.wait()).await;
    assert_eq!(server_report.end, BridgeEnd::LocalClosed);
    assert_eq!(
        viewer_report.end,
        BridgeEnd::SessionEnded(CloseReason::PeerClosed)
    );
    assert_eq!(viewer_report.stats.bytes_from_peer, 100_000);
    // A message per read of at most 8 KiB.
    assert!(server_report.stats.messages_to_peer >= 13);
    assert!(viewer_report.stats.largest_from_peer <= 8192);
}

#[test]
fn the_vnc_server_hanging_up_closes_the_viewer_on_tokio() {
    on_tokio(server_hangs_up(msrp_tokio::Tokio));
}

#[test]
fn the_vnc_server_hanging_up_closes_the_viewer_on_smol() {
    smol::block_on(server_hangs_up(msrp_async_std::AsyncIo::smol()));
}

/// `Bridge::stop` ends both sides.
async fn stopped<R: Runtime>(rt: R) {
    let (viewer, server) = pair(&rt, DesktopConfig::default()).await;
    let (mut vnc, vnc_end) = sockets(&rt).await;
    let (mut viewer_app, viewer_end) = sockets(&rt).await;
    let mut server_bridge = server.spawn(vnc_end);
    let viewer_bridge = viewer.spawn(viewer_end);
    server_bridge.stop();
    let mut rest = Vec::new();
    within(&rt, "the VNC socket to close", vnc.read_to_end(&mut rest))
        .await
        .expect("a clean end");
    within(
        &rt,
        "the viewer socket to close",
        viewer_app.read_to_end(&mut rest),
    )
    .await
    .expect("a clean end");
    assert_eq!(
        within(&rt, "the server's bridge", server_bridge.wait())
            .await
            .end,
        BridgeEnd::Stopped
    );
    assert_eq!(
        within(&rt, "the viewer's bridge", viewer_bridge.wait())
            .await
            .end,
        BridgeEnd::SessionEnded(CloseReason::PeerClosed)
    );
}

#[test]
fn stopping_a_bridge_ends_both_sides() {
    on_tokio(stopped(msrp_tokio::Tokio));
}

async fn sleep<R: Runtime>(rt: &R, d: Duration) {
    let _ = timeout(rt, d, std::future::pending::<()>()).await;
}
