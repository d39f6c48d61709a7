//! Helpers of the scenarios: deadlines from the runtime's timers, test
//! certificates, endpoint pairs, deterministic payloads with SHA-256, a
//! collector of streamed incoming messages, and a raw "fault peer" that
//! speaks bytes through the runtime's own sockets.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::OnceLock;
use std::time::Duration;

use bytes::Bytes;
use std::pin::pin;

use futures_util::FutureExt;
use futures_util::future::{Either, join, select};
use futures_util::io::{AsyncReadExt, AsyncWriteExt};
use msrp_endpoint::msrp_proto::MsrpUri;
use msrp_endpoint::msrp_proto::connection::{MessageId, Outcome, OutgoingMessage};
use msrp_endpoint::msrp_proto::wire::{Chunk, ChunkHead, ChunkReader, Limits, SuccessReport};
use msrp_endpoint::{
    AcceptorDirect, BoxIo, ConnectorDirect, EndpointConfig, Incoming, MessageUpdate,
    OutgoingHandle, Runtime, Session, TlsClient, TlsServer,
};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use sha2::{Digest, Sha256};

/// How long a scenario waits for one expected event.
pub const WAIT: Duration = Duration::from_secs(10);
/// How long a scenario waits for a bulk transfer.
pub const TRANSFER: Duration = Duration::from_secs(90);

// ---- deadlines --------------------------------------------------------------

/// Runs `future` until `limit` passes on the runtime's clock; `None` if the
/// limit came first (the future is then dropped).
pub use msrp_endpoint::timeout;

/// Awaits an expected event: its output, or a panic naming `what` once
/// `limit` passed.
pub async fn within<R: Runtime, F: Future>(
    rt: &R,
    limit: Duration,
    what: &str,
    future: F,
) -> F::Output {
    match timeout(rt, limit, future).await {
        Some(out) => out,
        None => panic!("timed out after {limit:?} waiting for {what}"),
    }
}

/// Waits `d` on the runtime's timers. Only for retry loops that poll for a
/// condition with a bounded number of attempts, never as a fixed delay
/// standing in for an event.
pub async fn pause<R: Runtime>(rt: &R, d: Duration) {
    let mut timer = rt.timer(rt.now() + d);
    std::future::poll_fn(move |cx| timer.poll_fire(cx)).await;
}

/// Time since `since` on the runtime's clock.
pub fn elapsed<R: Runtime>(rt: &R, since: std::time::Instant) -> Duration {
    rt.now().saturating_duration_since(since)
}

// ---- certificates -----------------------------------------------------------

/// A self-signed certificate and its PKCS#8 key.
#[derive(Debug)]
pub struct TestCert {
    /// The certificate.
    pub cert: CertificateDer<'static>,
    key: Vec<u8>,
}

impl TestCert {
    fn new(names: &[&str]) -> Self {
        let names: Vec<String> = names.iter().map(|&n| n.to_owned()).collect();
        let mut params = rcgen::CertificateParams::new(names.clone()).expect("certificate names");
        // A subject of its own: certificates must not look like each
        // other's issuer.
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, names[0].clone());
        let key = rcgen::KeyPair::generate().expect("a key pair");
        let cert = params.self_signed(&key).expect("a self-signed certificate");
        Self {
            cert: cert.der().clone(),
            key: key.serialize_der(),
        }
    }

    /// The private key.
    pub fn key(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key.clone()))
    }

    /// Server settings presenting this certificate.
    pub fn server(&self) -> TlsServer {
        TlsServer::from_der(vec![self.cert.clone()], self.key()).expect("TLS server settings")
    }

    /// Client settings trusting this certificate (and only it), verifying
    /// server names.
    pub fn client(&self) -> TlsClient {
        TlsClient::with_ca_certs(vec![self.cert.clone()]).expect("TLS client settings")
    }
}

/// A certificate for `127.0.0.1` and `localhost`.
pub fn local_cert() -> &'static TestCert {
    static CERT: OnceLock<TestCert> = OnceLock::new();
    CERT.get_or_init(|| TestCert::new(&["127.0.0.1", "localhost"]))
}

/// A certificate for a name that is not this host's.
pub fn wrong_name_cert() -> &'static TestCert {
    static CERT: OnceLock<TestCert> = OnceLock::new();
    CERT.get_or_init(|| TestCert::new(&["wrong-name.invalid"]))
}

// ---- endpoints --------------------------------------------------------------

/// Plain TCP (`msrp`) or TLS (`msrps`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// `msrp://`.
    Tcp,
    /// `msrps://`, with [`local_cert`].
    Tls,
}

/// Test settings: timeouts short enough that a failure shows quickly, long
/// enough for a loaded debug build.
pub fn config() -> EndpointConfig {
    let mut config = EndpointConfig::default();
    config.connect_timeout = Duration::from_secs(5);
    config.tls_handshake_timeout = Duration::from_secs(5);
    config.bind_timeout = Duration::from_secs(10);
    config
}

/// Settings of the answering side (acceptor or server).
pub fn answer_config(security: Security) -> EndpointConfig {
    let mut config = config();
    if security == Security::Tls {
        config.tls_server = Some(local_cert().server());
    }
    config
}

/// Settings of the calling side.
pub fn call_config(security: Security) -> EndpointConfig {
    let mut config = config();
    if security == Security::Tls {
        config.tls_client = Some(local_cert().client());
    }
    config
}

/// An unused local URI for an acceptor, port 0.
pub fn acceptor_uri(security: Security, session_id: &str) -> MsrpUri {
    let scheme = match security {
        Security::Tcp => "msrp",
        Security::Tls => "msrps",
    };
    format!("{scheme}://127.0.0.1:0/{session_id};tcp")
        .parse()
        .expect("a valid URI")
}

/// A connector (alice) and an acceptor (bob) with bound sessions.
pub async fn direct_pair<R: Runtime>(rt: &R, security: Security) -> (Session, Session) {
    direct_pair_with(rt, call_config(security), answer_config(security), security).await
}

/// [`direct_pair`] with given settings.
pub async fn direct_pair_with<R: Runtime>(
    rt: &R,
    call: EndpointConfig,
    answer: EndpointConfig,
    security: Security,
) -> (Session, Session) {
    let mut acceptor = AcceptorDirect::new(rt.clone(), answer);
    let bob_path = acceptor
        .prepare(Some(acceptor_uri(security, "bob0123456789")))
        .await
        .expect("acceptor prepare");
    let mut connector = ConnectorDirect::new(rt.clone(), call);
    let alice_path = connector.prepare(None).await.expect("connector prepare");
    assert_eq!(
        alice_path[0].is_secure(),
        security == Security::Tls,
        "the connector's made-up URI follows its TLS settings"
    );
    let (alice, bob) = within(
        rt,
        WAIT,
        "connector and acceptor to bind",
        join(
            connector.complete(&bob_path),
            acceptor.complete(&alice_path),
        ),
    )
    .await;
    let (alice, bob) = (
        alice.expect("connector complete"),
        bob.expect("acceptor complete"),
    );
    assert_eq!(alice.remote_path().uris(), &bob_path[..]);
    assert_eq!(bob.remote_path().uris(), &alice_path[..]);
    assert_eq!(alice.local_uri(), &alice_path[0]);
    assert_eq!(bob.local_uri(), &bob_path[0]);
    (Session::new(alice), Session::new(bob))
}

/// A listener on 127.0.0.1 with a free port.
pub async fn local_listener<R: Runtime>(rt: &R) -> (R::Listener, u16) {
    let listener = rt
        .listen(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
        .await
        .expect("listen on 127.0.0.1");
    let port = rt.local_addr(&listener).expect("local address").port();
    (listener, port)
}

/// Whether a new listener can take `port` now (it is free again).
pub async fn port_is_free<R: Runtime>(rt: &R, port: u16) -> bool {
    rt.listen(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
        .await
        .is_ok()
}

/// Polls until `port` can be listened on again, for at most [`WAIT`]
/// (releasing may happen on a background task).
pub async fn wait_port_free<R: Runtime>(rt: &R, port: u16, what: &str) {
    let start = rt.now();
    while !port_is_free(rt, port).await {
        assert!(
            elapsed(rt, start) < WAIT,
            "port {port} still taken {WAIT:?} after {what}"
        );
        pause(rt, Duration::from_millis(10)).await;
    }
}

// ---- messages ---------------------------------------------------------------

/// `len` bytes of a deterministic pseudo-random stream `seed`, from
/// `offset` on: any byte out of place changes the SHA-256.
pub fn pattern(seed: u64, offset: u64, len: usize) -> Bytes {
    let mut out = Vec::with_capacity(len + 16);
    let mut word = offset / 8;
    let skip = (offset % 8) as usize;
    while out.len() < len + skip {
        out.extend_from_slice(
            &splitmix(seed ^ word.wrapping_mul(0x9E37_79B9_7F4A_7C15)).to_le_bytes(),
        );
        word += 1;
    }
    Bytes::from(out).slice(skip..skip + len)
}

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// SHA-256 of [`pattern`] `seed` over `0..size`.
pub fn pattern_sha256(seed: u64, size: u64) -> [u8; 32] {
    let mut sha = Sha256::new();
    let mut offset = 0;
    while offset < size {
        let n = (size - offset).min(1 << 20);
        sha.update(pattern(seed, offset, n as usize));
        offset += n;
    }
    sha.finalize().into()
}

/// A text message asking for a success REPORT.
pub fn text(body: &str) -> OutgoingMessage {
    OutgoingMessage::new("text/plain")
        .body(Bytes::from(body.to_owned()))
        .success_report(SuccessReport::Yes)
}

/// Every update of an outgoing message until its channel ends.
pub async fn all_updates(mut handle: OutgoingHandle) -> Vec<MessageUpdate> {
    let mut updates = Vec::new();
    while let Some(update) = handle.next_update().await {
        updates.push(update);
    }
    updates
}

/// The one outcome among `updates`, checking it came exactly once and last.
pub fn single_outcome(updates: &[MessageUpdate]) -> Outcome {
    let outcomes: Vec<&Outcome> = updates
        .iter()
        .filter_map(|u| match u {
            MessageUpdate::Outcome(o) => Some(o),
            _ => None,
        })
        .collect();
    assert_eq!(
        outcomes.len(),
        1,
        "exactly one outcome per message: {updates:?}"
    );
    assert!(
        matches!(updates.last(), Some(MessageUpdate::Outcome(_))),
        "the outcome is the last update: {updates:?}"
    );
    outcomes[0].clone()
}

/// Checks a message with Success-Report yes of `size` bytes: progress up to
/// the whole size was reported, then exactly one `Delivered`.
pub fn assert_delivered_with_progress(updates: &[MessageUpdate], size: u64) {
    assert_eq!(single_outcome(updates), Outcome::Delivered, "{updates:?}");
    let progress: Vec<(u64, Option<u64>)> = updates
        .iter()
        .filter_map(|u| match u {
            MessageUpdate::Progress { confirmed, total } => Some((*confirmed, *total)),
            _ => None,
        })
        .collect();
    assert!(
        !progress.is_empty(),
        "a success REPORT shows as progress: {updates:?}"
    );
    assert!(
        progress.windows(2).all(|w| w[0].0 <= w[1].0),
        "progress never goes back: {progress:?}"
    );
    assert_eq!(
        progress.last().copied(),
        Some((size, Some(size))),
        "the last progress covers the whole message"
    );
}

/// A streamed incoming message, received completely.
#[derive(Debug, Clone)]
pub struct Received {
    /// Its Message-ID.
    pub id: MessageId,
    /// The head of its first chunk.
    pub head: ChunkHead,
    /// The size announced in its first chunk, if any.
    pub announced: Option<u64>,
    /// Its size.
    pub size: u64,
    /// SHA-256 of its bytes in order.
    pub sha256: [u8; 32],
    /// How many chunks carried it.
    pub chunks: u32,
    /// Its bytes, when at most [`KEEP_BODY`] long.
    pub body: Option<Vec<u8>>,
}

/// Bodies up to this size are kept by the [`Collector`].
pub const KEEP_BODY: usize = 1 << 20;

/// How a streamed incoming message ended.
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)] // a handful per scenario; boxing buys nothing
pub enum Finished {
    /// Every byte arrived.
    Completed(Received),
    /// The message was aborted or cut off.
    Aborted {
        /// Its Message-ID.
        id: MessageId,
        /// Bytes received, as the session reported.
        received: u64,
        /// Bytes that arrived as [`Incoming::Data`].
        data: u64,
    },
}

struct InProgress {
    head: ChunkHead,
    announced: Option<u64>,
    sha: Sha256,
    next: u64,
    /// Pieces that arrived ahead of `next`.
    ahead: BTreeMap<u64, Bytes>,
    data: u64,
    body: Option<Vec<u8>>,
}

/// Follows the streamed incoming messages of a session, hashing each one
/// in byte order (pieces ahead of the next offset wait their turn).
#[derive(Default)]
pub struct Collector {
    messages: HashMap<MessageId, InProgress>,
}

impl std::fmt::Debug for Collector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Collector")
            .field("in_progress", &self.messages.len())
            .finish()
    }
}

impl Collector {
    /// A collector with nothing in progress.
    pub fn new() -> Self {
        Self::default()
    }

    /// Messages started and not yet ended.
    pub fn in_progress(&self) -> usize {
        self.messages.len()
    }

    /// Takes one incoming item; a message that ended comes out.
    pub fn feed(&mut self, item: Incoming) -> Option<Finished> {
        match item {
            Incoming::Started {
                message,
                head,
                total,
            } => {
                let fresh = InProgress {
                    head,
                    announced: total,
                    sha: Sha256::new(),
                    next: 0,
                    ahead: BTreeMap::new(),
                    data: 0,
                    body: Some(Vec::new()),
                };
                let previous = self.messages.insert(message.clone(), fresh);
                assert!(previous.is_none(), "{message} started twice");
                None
            }
            Incoming::Data {
                message,
                offset,
                data,
            } => {
                let msg = self
                    .messages
                    .get_mut(&message)
                    .unwrap_or_else(|| panic!("data for {message}, which never started"));
                msg.data += data.len() as u64;
                assert!(
                    offset >= msg.next && !msg.ahead.contains_key(&offset),
                    "{message}: bytes at offset {offset} arrived twice"
                );
                msg.ahead.insert(offset, data);
                while let Some(entry) = msg.ahead.first_entry() {
                    if *entry.key() != msg.next {
                        break;
                    }
                    let piece = entry.remove();
                    msg.sha.update(&piece);
                    msg.next += piece.len() as u64;
                    if let Some(body) = &mut msg.body {
                        if body.len() + piece.len() <= KEEP_BODY {
                            body.extend_from_slice(&piece);
                        } else {
                            msg.body = None;
                        }
                    }
                }
                None
            }
            Incoming::Completed {
                message,
                size,
                chunks,
            } => {
                let msg = self
                    .messages
                    .remove(&message)
                    .unwrap_or_else(|| panic!("{message} completed without starting"));
                assert!(
                    msg.ahead.is_empty() && msg.next == size,
                    "{message} completed at {size} bytes with a gap: {} in order, {} more ahead",
                    msg.next,
                    msg.ahead.len()
                );
                Some(Finished::Completed(Received {
                    id: message,
                    head: msg.head,
                    announced: msg.announced,
                    size,
                    sha256: msg.sha.finalize().into(),
                    chunks,
                    body: msg.body,
                }))
            }
            Incoming::Aborted { message, received } => {
                let msg = self.messages.remove(&message);
                Some(Finished::Aborted {
                    id: message,
                    received,
                    data: msg.map_or(0, |m| m.data),
                })
            }
            other => panic!("a streaming session gave {other:?}"),
        }
    }

    /// The next message to end on `session`; `None` when the session's
    /// stream ended first.
    pub async fn next_finished(&mut self, session: &mut Session) -> Option<Finished> {
        loop {
            let item = session.next_incoming().await?;
            if let Some(finished) = self.feed(item) {
                return Some(finished);
            }
        }
    }
}

/// Collects the next streamed incoming message of `session` into its size
/// and SHA-256 (and body, when small); panics if it is aborted or the
/// stream ends.
pub async fn collect_message(session: &mut Session) -> Received {
    match Collector::new().next_finished(session).await {
        Some(Finished::Completed(received)) => received,
        other => panic!("expected a complete message, got {other:?}"),
    }
}

/// Sends `body` as text with a success REPORT from `from` to `to`, and
/// checks that it arrives intact and is reported delivered.
pub async fn send_text_and_check<R: Runtime>(rt: &R, from: &Session, to: &mut Session, body: &str) {
    let handle = within(rt, WAIT, "send_message", from.send_message(text(body)))
        .await
        .expect("send_message");
    let id = handle.id().clone();
    let (received, updates) = within(
        rt,
        WAIT,
        "a text message and its outcome",
        join(collect_message(to), all_updates(handle)),
    )
    .await;
    assert_eq!(received.id, id);
    assert_eq!(received.head.content_type(), Some("text/plain"));
    assert_eq!(received.announced, Some(body.len() as u64));
    assert_eq!(received.body.as_deref(), Some(body.as_bytes()));
    assert_eq!(received.sha256, sha256(body.as_bytes()));
    assert_delivered_with_progress(&updates, body.len() as u64);
}

// ---- the fault peer ---------------------------------------------------------

/// A raw MSRP peer: bytes in and out through the runtime's own sockets,
/// for behaviour no well-behaved endpoint shows (half chunks, trickled
/// heads, never reading).
pub struct FaultPeer {
    io: BoxIo,
    reader: ChunkReader,
    /// The URI this peer claims in its From-Path.
    pub uri: MsrpUri,
    tid: u32,
}

impl std::fmt::Debug for FaultPeer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaultPeer").field("uri", &self.uri).finish()
    }
}

/// How a read from the fault peer's socket ended.
#[derive(Debug)]
pub enum ReadEnd {
    /// The other side closed (EOF).
    Eof,
    /// The socket failed (reset).
    Error(io::Error),
}

impl FaultPeer {
    fn new(io: BoxIo, session_id: &str) -> Self {
        Self {
            io,
            reader: ChunkReader::new(Limits::default()),
            uri: format!("msrp://127.0.0.1:9/{session_id};tcp")
                .parse()
                .expect("a valid URI"),
            tid: 0,
        }
    }

    /// Connects to `127.0.0.1:port`, plain TCP.
    pub async fn connect<R: Runtime>(rt: &R, port: u16, session_id: &str) -> Self {
        let tcp = within(
            rt,
            WAIT,
            "the fault peer to connect",
            rt.connect("127.0.0.1", port),
        )
        .await
        .expect("fault peer connect");
        Self::new(rt.plain(tcp), session_id)
    }

    /// Accepts one connection on `listener`, plain TCP.
    pub async fn accept<R: Runtime>(rt: &R, listener: &R::Listener, session_id: &str) -> Self {
        let (tcp, _) = within(
            rt,
            WAIT,
            "a connection to the fault peer",
            rt.accept(listener),
        )
        .await
        .expect("fault peer accept");
        Self::new(rt.plain(tcp), session_id)
    }

    /// A fresh transaction id.
    pub fn next_tid(&mut self) -> String {
        self.tid += 1;
        format!("fault{:04}", self.tid)
    }

    /// Writes bytes as they are.
    pub async fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.io.write_all(bytes).await?;
        self.io.flush().await
    }

    /// Reads the next whole chunk; panics on EOF, error or timeout.
    pub async fn read_chunk<R: Runtime>(&mut self, rt: &R) -> Chunk {
        within(rt, WAIT, "a chunk at the fault peer", async {
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                if let Some(chunk) = self.reader.next_chunk().expect("a well-formed chunk") {
                    return chunk;
                }
                let n = self.io.read(&mut buf).await.expect("fault peer read");
                assert!(n > 0, "the connection closed before a whole chunk arrived");
                self.reader.feed(&buf[..n]);
            }
        })
        .await
    }

    /// Reads and discards until the other side closes, for at most `limit`;
    /// panics if it stays open.
    pub async fn read_until_closed<R: Runtime>(&mut self, rt: &R, limit: Duration) -> ReadEnd {
        within(
            rt,
            limit,
            "the other side to drop the fault peer's connection",
            async {
                let mut buf = vec![0u8; 64 * 1024];
                loop {
                    match self.io.read(&mut buf).await {
                        Ok(0) => return ReadEnd::Eof,
                        Ok(_) => {}
                        Err(err) => return ReadEnd::Error(err),
                    }
                }
            },
        )
        .await
    }

    /// A bodiless SEND to `to` (RFC 4975 §5.4), as the active side binds.
    pub fn bind_request(&mut self, to: &MsrpUri) -> (String, Vec<u8>) {
        let tid = self.next_tid();
        let bytes = format!(
            "MSRP {tid} SEND\r\nTo-Path: {to}\r\nFrom-Path: {from}\r\nMessage-ID: bind{tid}\r\n\
             Byte-Range: 1-0/0\r\n-------{tid}$\r\n",
            from = self.uri
        );
        (tid, bytes.into_bytes())
    }

    /// Binds a session on `to` and returns the response code.
    pub async fn bind<R: Runtime>(&mut self, rt: &R, to: &MsrpUri) -> u16 {
        let (tid, bytes) = self.bind_request(to);
        self.send(&bytes).await.expect("fault peer write");
        let response = self.read_chunk(rt).await;
        assert_eq!(
            response.head().transaction_id(),
            tid,
            "the response to the bind"
        );
        response.head().response_code().expect("a response")
    }

    /// Reads the peer's binding SEND and answers it 200, as a passive side.
    pub async fn answer_bind<R: Runtime>(&mut self, rt: &R) -> Chunk {
        let request = self.read_chunk(rt).await;
        self.answer(&request, 200).await;
        request
    }

    /// Answers a request with a status code.
    pub async fn answer(&mut self, request: &Chunk, code: u16) {
        let head = request.head();
        let tid = head.transaction_id();
        let bytes = format!(
            "MSRP {tid} {code} OK\r\nTo-Path: {to}\r\nFrom-Path: {from}\r\n-------{tid}$\r\n",
            to = head.from_path().first(),
            from = head.to_path().first(),
        );
        self.send(bytes.as_bytes()).await.expect("fault peer write");
    }

    /// The head of a SEND with a body of `total` bytes to `to`, as one
    /// chunk carrying it all.
    pub fn send_head(&mut self, to: &MsrpUri, message_id: &str, total: usize) -> (String, Vec<u8>) {
        let tid = self.next_tid();
        let bytes = format!(
            "MSRP {tid} SEND\r\nTo-Path: {to}\r\nFrom-Path: {from}\r\nMessage-ID: {message_id}\r\n\
             Byte-Range: 1-{total}/{total}\r\nContent-Type: text/plain\r\n\r\n",
            from = self.uri
        );
        (tid, bytes.into_bytes())
    }

    /// Closes the connection (sends FIN).
    pub async fn close(mut self) {
        let _ = self.io.close().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use msrp_endpoint::msrp_proto::wire::{ByteRange, Method};

    #[test]
    fn pattern_is_the_same_stream_from_any_offset() {
        let whole = pattern(3, 0, 1000);
        for offset in [0, 1, 7, 8, 9, 500, 999] {
            let tail = pattern(3, offset, 1000 - offset as usize);
            assert_eq!(tail[..], whole[offset as usize..], "offset {offset}");
        }
        assert_ne!(pattern(3, 0, 64), pattern(4, 0, 64), "seeds differ");
        assert_eq!(pattern_sha256(3, 1000), sha256(&whole));
    }

    fn head(id: &str) -> ChunkHead {
        let uri: MsrpUri = "msrp://127.0.0.1:1/abc;tcp".parse().expect("URI");
        ChunkHead::request(Method::Send, "tid1")
            .to_path(&uri.clone().into())
            .from_path(&uri.into())
            .message_id(id)
            .byte_range(ByteRange::new(1, None, Some(10)).expect("range"))
            .content_type("text/plain")
            .build()
            .expect("head")
    }

    /// A Message-ID, from the only place that makes them: a connection.
    fn some_message_id() -> MessageId {
        use msrp_endpoint::msrp_proto::connection::{Config, Connection, SessionConfig};
        let uri: MsrpUri = "msrp://127.0.0.1:1/abc;tcp".parse().expect("URI");
        let mut conn = Connection::new(
            std::sync::Arc::new(Config::default()),
            [0; 32],
            std::time::Instant::now(),
        );
        let session = conn
            .open_session(SessionConfig::new(uri.clone()).remote_path(uri.into()))
            .expect("session");
        conn.begin_message(session, OutgoingMessage::new("text/plain"))
            .expect("message")
    }

    #[test]
    fn collector_hashes_pieces_in_offset_order() {
        let data = pattern(5, 0, 10);
        let mut collector = Collector::new();
        let message = some_message_id();
        let started = Incoming::Started {
            message: message.clone(),
            head: head(message.as_str()),
            total: Some(10),
        };
        assert!(collector.feed(started).is_none());
        for (offset, range) in [(6, 6..10), (0, 0..6)] {
            let item = Incoming::Data {
                message: message.clone(),
                offset,
                data: data.slice(range),
            };
            assert!(collector.feed(item).is_none());
        }
        let done = collector.feed(Incoming::Completed {
            message,
            size: 10,
            chunks: 2,
        });
        let Some(Finished::Completed(received)) = done else {
            panic!("{done:?}");
        };
        assert_eq!(received.sha256, sha256(&data));
        assert_eq!(received.body.as_deref(), Some(&data[..]));
    }
}

// ---- a proxy that can be cut ---------------------------------------------

/// A TCP proxy on 127.0.0.1 in front of `target`: what goes through it
/// stands for a relay that can be made to vanish ([`cut`](Self::cut)) in
/// the middle of a transfer without stopping the real one, which other
/// scenarios share.
#[derive(Debug)]
pub struct CutProxy {
    port: u16,
    cut: futures_channel::oneshot::Sender<()>,
}

impl CutProxy {
    /// Listens on a free port and forwards every connection to `target`
    /// (`host:port`) until cut.
    pub async fn start<R: Runtime>(rt: &R, target: &str) -> Self {
        let (listener, port) = local_listener(rt).await;
        let (host, target_port) = target.rsplit_once(':').expect("host:port");
        let (host, target_port) = (host.to_owned(), target_port.parse::<u16>().expect("a port"));
        let (cut, cut_rx) = futures_channel::oneshot::channel::<()>();
        let cut_rx = cut_rx.shared();
        let rt2 = rt.clone();
        rt.spawn(Box::pin(async move {
            loop {
                let accepted = match select(pin!(rt2.accept(&listener)), cut_rx.clone()).await {
                    Either::Left((accepted, _)) => accepted,
                    Either::Right(_) => return,
                };
                let Ok((tcp, _)) = accepted else {
                    return;
                };
                let Ok(upstream) = rt2.connect(&host, target_port).await else {
                    continue;
                };
                let (client, server) = (rt2.plain(tcp), rt2.plain(upstream));
                let (client_read, client_write) = client.split();
                let (server_read, server_write) = server.split();
                let pump = join(
                    pipe(client_read, server_write),
                    pipe(server_read, client_write),
                );
                let stop = cut_rx.clone();
                rt2.spawn(Box::pin(async move {
                    // Dropping both sockets is the relay vanishing.
                    let _ = select(pin!(pump), stop).await;
                }));
            }
        }));
        Self { port, cut }
    }

    /// The port to connect to.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Closes every connection through the proxy, and the proxy.
    pub fn cut(self) {
        let _ = self.cut.send(());
    }
}

/// Copies until the end of `from`, then closes `to`.
async fn pipe(
    from: impl futures_util::AsyncRead + Unpin,
    mut to: impl futures_util::AsyncWrite + Unpin,
) {
    let _ = futures_util::io::copy(from, &mut to).await;
    let _ = to.close().await;
}
