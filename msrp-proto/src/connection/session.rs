//! Sessions: who this side is, who the peer is, and how a request is matched
//! to a session (RFC 4975 §5.4, §7.3; RFC 6714 for session-id matching).

use bytes::{BufMut, Bytes, BytesMut};

use crate::path::Path;
use crate::uri::MsrpUri;
use crate::wire::ChunkHead;

use super::event::{MessageId, SessionHandle};
use super::fast_hash::FastMap;
use super::incoming::InMessage;

/// How a session hands incoming messages to the application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ReceiveMode {
    /// Bytes as they arrive: [`MessageStarted`](super::Event::MessageStarted),
    /// [`MessageData`](super::Event::MessageData) with offsets,
    /// [`MessageCompleted`](super::Event::MessageCompleted). Any size, in
    /// constant memory.
    #[default]
    Stream,
    /// Whole messages: [`MessageReceived`](super::Event::MessageReceived), up
    /// to [`Config::max_message_size`](super::Config::max_message_size);
    /// larger ones are refused with 413.
    Assembled,
    /// Chunks as they arrive, with no reassembly
    /// ([`ChunkReceived`](super::Event::ChunkReceived)): msrplib's
    /// `MSRPSession` model, for applications that do their own. Responses and
    /// success REPORTs (one per chunk, as msrplib sends them) are still
    /// automatic.
    Chunks,
}

/// What a session is: the local URI, the relays in front of this side, the
/// peer's path, and what this side accepts.
///
/// ```
/// use msrp_proto::connection::{ReceiveMode, SessionConfig};
/// let session = SessionConfig::new("msrp://127.0.0.1:2855/local1;tcp".parse()?)
///     .remote_path("msrp://127.0.0.1:2856/remote1;tcp".parse()?)
///     .accept_types(["text/plain", "message/cpim"])
///     .receive_mode(ReceiveMode::Assembled);
/// assert_eq!(session.local_uri().session_id(), Some("local1"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionConfig {
    pub(crate) local_uri: MsrpUri,
    pub(crate) local_relays: Vec<MsrpUri>,
    pub(crate) remote_path: Option<Path>,
    pub(crate) accept_types: Vec<String>,
    pub(crate) receive_mode: ReceiveMode,
    pub(crate) chunk_size: Option<usize>,
    pub(crate) nicknames: bool,
}

impl SessionConfig {
    /// A session whose local URI is `local_uri`, accepting any content type
    /// and any peer until [`remote_path`](Self::remote_path) is set.
    pub fn new(local_uri: MsrpUri) -> Self {
        Self {
            local_uri,
            local_relays: Vec::new(),
            remote_path: None,
            accept_types: vec!["*".to_owned()],
            receive_mode: ReceiveMode::default(),
            chunk_size: None,
            nicknames: false,
        }
    }

    /// The peer's full path, first hop first (its SDP `a=path`). Required to
    /// open a session; for an expected one, requests from any other path
    /// are refused with 481.
    pub fn remote_path(mut self, path: Path) -> Self {
        self.remote_path = Some(path);
        self
    }

    /// The relays in front of this side (the Use-Path a relay granted),
    /// first hop first. Chunks go out through them, and the chunk size
    /// drops to [`Config::relay_chunk_size`](super::Config::relay_chunk_size)
    /// (as it does when the peer's path shows a relay).
    pub fn local_relays(mut self, relays: impl IntoIterator<Item = MsrpUri>) -> Self {
        self.local_relays = relays.into_iter().collect();
        self
    }

    /// Content types this side accepts (SDP `a=accept-types`): `*`,
    /// `type/*` or `type/subtype`. Others are refused with 415.
    pub fn accept_types<S: Into<String>>(mut self, types: impl IntoIterator<Item = S>) -> Self {
        self.accept_types = types.into_iter().map(Into::into).collect();
        self
    }

    /// How incoming messages are handed out.
    pub fn receive_mode(mut self, mode: ReceiveMode) -> Self {
        self.receive_mode = mode;
        self
    }

    /// The largest chunk body this session sends, overriding the
    /// connection's default.
    pub fn chunk_size(mut self, size: usize) -> Self {
        self.chunk_size = Some(size.max(1));
        self
    }

    /// Take NICKNAME requests (RFC 7701 §7.1) as
    /// [`Event::NicknameRequest`](super::Event::NicknameRequest), to be
    /// answered with [`Connection::answer_nickname`](super::Connection::answer_nickname):
    /// for an application that is a chat room's focus. Off by default: a
    /// participant does not implement the method and answers 501
    /// (RFC 4975 §10.9), as NICKNAME only goes from participants to the
    /// focus.
    pub fn nicknames(mut self, on: bool) -> Self {
        self.nicknames = on;
        self
    }

    /// The local URI.
    pub fn local_uri(&self) -> &MsrpUri {
        &self.local_uri
    }

    /// This side's full path as the peer must see it (SDP `a=path`): the
    /// relays, then the local URI.
    pub fn local_path(&self) -> Path {
        let mut uris = self.local_relays.clone();
        uris.push(self.local_uri.clone());
        Path::new(uris).unwrap_or_else(|| Path::from(self.local_uri.clone()))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SessionState {
    /// Active side: the binding SEND is out, its response not yet in.
    Binding,
    /// Passive side: waiting for the peer's first request.
    Expected,
    Bound,
}

#[derive(Debug)]
pub(crate) struct Session {
    pub(crate) handle: SessionHandle,
    pub(crate) config: SessionConfig,
    pub(crate) state: SessionState,
    /// The peer's full path, once known.
    pub(crate) remote_path: Option<Path>,
    /// `To-Path: …\r\nFrom-Path: …\r\n` for requests this side sends.
    pub(crate) request_paths: Bytes,
    pub(crate) chunk_size: usize,
    /// The chunk sizes to pick from: direct, and with a relay in the path.
    chunk_sizes: (usize, usize),
    pub(crate) incoming: FastMap<MessageId, InMessage>,
}

impl Session {
    pub(crate) fn new(
        handle: SessionHandle,
        config: SessionConfig,
        state: SessionState,
        default_chunk: usize,
        relay_chunk: usize,
    ) -> Self {
        let remote_path = config.remote_path.clone();
        let mut session = Self {
            handle,
            config,
            state,
            remote_path,
            request_paths: Bytes::new(),
            chunk_size: default_chunk,
            chunk_sizes: (default_chunk, relay_chunk),
            incoming: FastMap::default(),
        };
        session.render_paths();
        session
    }

    /// The chunk size for the path as known now: the relay size when a
    /// relay is on either side (this side's relays, or a peer path of more
    /// than one URI), since relays cap what they forward (Kamailio drops
    /// frames over about 11 KB).
    fn pick_chunk_size(&mut self) {
        let relayed = !self.config.local_relays.is_empty()
            || self.remote_path.as_ref().is_some_and(|p| p.len() > 1);
        let (direct, relay) = self.chunk_sizes;
        let size = self
            .config
            .chunk_size
            .unwrap_or(if relayed { relay } else { direct });
        self.chunk_size = size.max(1);
    }

    /// Caches the path headers of outgoing requests (they are on every
    /// chunk), and the chunk size that goes with the path.
    fn render_paths(&mut self) {
        self.pick_chunk_size();
        let mut out = BytesMut::with_capacity(128);
        out.put_slice(b"To-Path: ");
        let mut first = true;
        let remote = self.remote_path.iter().flat_map(|p| p.uris());
        for uri in self.config.local_relays.iter().chain(remote) {
            if !first {
                out.put_u8(b' ');
            }
            first = false;
            out.put_slice(uri.as_str().as_bytes());
        }
        out.put_slice(b"\r\nFrom-Path: ");
        out.put_slice(self.config.local_uri.as_str().as_bytes());
        out.put_slice(b"\r\n");
        self.request_paths = out.freeze();
    }

    /// Records the peer's path learnt from its first request.
    pub(crate) fn learn_remote_path(&mut self, from_path: &Path) {
        let relays = self.config.local_relays.len();
        let uris = from_path.uris().get(relays..).unwrap_or_default().to_vec();
        self.remote_path = Path::new(uris);
        self.render_paths();
    }

    /// Whether the first URI of a To-Path addresses this session.
    pub(crate) fn addressed_by(&self, uri: &MsrpUri, session_id_only: bool) -> bool {
        if session_id_only {
            uri.session_id().is_some() && uri.session_id() == self.config.local_uri.session_id()
        } else {
            *uri == self.config.local_uri
        }
    }

    /// RFC 4975 §7.3 (msrplib's `check_incoming_SEND_chunk`): a request for
    /// this session must carry exactly this session's URI in To-Path, and
    /// the peer's path behind this side's relays in From-Path.
    pub(crate) fn paths_match(&self, head: &ChunkHead, session_id_only: bool) -> bool {
        let to = head.to_path().uris();
        if to.len() != 1 || !self.addressed_by(&to[0], session_id_only) {
            return false;
        }
        let Some(remote) = &self.remote_path else {
            // An expected session without a remote path accepts any peer
            // behind this side's relays.
            let from = head.from_path().uris();
            return from.len() > self.config.local_relays.len()
                && from
                    .iter()
                    .zip(&self.config.local_relays)
                    .all(|(a, b)| a == b);
        };
        let from = head.from_path().uris();
        let relays = &self.config.local_relays;
        if from.len() != relays.len() + remote.len() {
            return false;
        }
        if session_id_only {
            // Behind an SBC only the session ids are reliable (RFC 6714).
            return from.last().map(MsrpUri::session_id)
                == remote.uris().last().map(MsrpUri::session_id);
        }
        from.iter()
            .zip(relays.iter().chain(remote.uris()))
            .all(|(a, b)| a == b)
    }
}
