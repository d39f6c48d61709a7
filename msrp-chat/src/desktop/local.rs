//! The local end of a desktop-sharing stream, through the runtime's
//! sockets: the VNC server the serving side connects to (sipsimple's
//! `ExternalVNCServerHandler`) and the listening socket where the viewing
//! side takes one local VNC viewer (`ExternalVNCViewerHandler`).

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use msrp_endpoint::{BoxIo, Runtime, timeout};

/// Connects to a VNC server at `host:port` (a name is resolved) within
/// `limit`, as the serving side does once its peer is there.
///
/// Fails with the socket's error ([`io::ErrorKind::ConnectionRefused`] when
/// nothing listens) or [`io::ErrorKind::TimedOut`].
pub async fn connect_vnc_server<R: Runtime>(
    rt: &R,
    host: &str,
    port: u16,
    limit: Duration,
) -> io::Result<BoxIo> {
    let tcp = timeout(rt, limit, rt.connect(host, port))
        .await
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::TimedOut,
                format!("no connection within {} s", limit.as_secs_f64()),
            )
        })??;
    Ok(rt.plain(tcp))
}

/// A listening socket for one local VNC viewer.
///
/// ```
/// # use msrp_chat::desktop::ViewerListener;
/// # async fn run<R: msrp_endpoint::Runtime>(rt: R) -> std::io::Result<()> {
/// let listener = ViewerListener::bind(rt, "127.0.0.1:0".parse().unwrap()).await?;
/// println!("point the VNC viewer at {}", listener.local_addr());
/// let (socket, from) = listener.accept().await?;
/// # let _ = (socket, from);
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct ViewerListener<R: Runtime> {
    rt: R,
    listener: R::Listener,
    addr: SocketAddr,
}

impl<R: Runtime> ViewerListener<R> {
    /// Listens on `addr` (port 0 picks a free port).
    pub async fn bind(rt: R, addr: SocketAddr) -> io::Result<Self> {
        let listener = rt.listen(addr).await?;
        let addr = rt.local_addr(&listener)?;
        Ok(Self { rt, listener, addr })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Takes the first viewer that connects, and stops listening.
    pub async fn accept(self) -> io::Result<(BoxIo, SocketAddr)> {
        let (tcp, from) = self.rt.accept(&self.listener).await?;
        Ok((self.rt.plain(tcp), from))
    }
}
