//! `msrp chat`: an interactive chat between two processes over a
//! `msrp_chat::stream::ChatStream` without SIP: one answers (`--listen`, or
//! through a relay), one calls (`--to-path`), the paths exchanged by hand as
//! `msrp listen` and `msrp send` do. A person at a terminal gets a chat
//! screen (`term.rs`); a script gets JSON lines.

mod files;
mod term;

use std::future::Future;
use std::io::{BufRead, IsTerminal};
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::time::Duration;

use clap::Args;
use futures_util::stream::FuturesUnordered;
use futures_util::{FutureExt, StreamExt, pin_mut, select_biased};
use msrp_chat::chat::{ChatConfig, ChatError, ChatEvent, ChatMessage, MessageId, ReceivedMessage};
use msrp_chat::cpim::Address;
use msrp_chat::iscomposing::State;
use msrp_chat::sdp::MediaRange;
use msrp_chat::stream::{Chat, ChatStream, StreamError};
use msrp_endpoint::{EndpointConfig, Error, Runtime, TlsClient, TlsServer};
use msrp_proto::MsrpUri;
use msrp_proto::connection::CloseReason;
use serde::Serialize;
use time::{OffsetDateTime, UtcOffset};

use crate::args::{self, HostPort, Uris};
use crate::error::{CliError, Side, setup_error};
use crate::json::{self, Out};
use crate::relay::RelayArgs;
use crate::runtime::{Job, RuntimeArg, RuntimeFlag};

/// Chat with a peer: a person at the terminal, or JSON lines for scripts.
///
/// One side answers, the other calls; line 1 of each is its full path (the
/// SDP `a=path` value, URIs separated by spaces), printed before anything
/// else. Give the answering side's line 1 to the calling side:
///
///   msrp chat --listen 127.0.0.1:0 --name Alice        # prints its path
///   msrp chat --to-path 'PATH' --name Bob              # calls it
///
/// With --relay the answering side needs no --listen: it is reached through
/// the relay (RFC 4976), and either side may use one.
///
/// When standard input is a terminal, a person chats: type a line and Enter
/// to send it (an empty line sends nothing); keystrokes tell the peer you
/// are typing (isComposing, RFC 3994: "active" at most once a second while
/// you type, "idle" after 10 s without). Incoming messages show as
/// `[14:02] Bob: hello`, "Bob is typing…" on the status line while the peer
/// types; ✓ marks your line once the peer confirmed it, ✗ with the reason
/// if it could not be delivered. `/file PATH` sends a file as one message
/// (its type from the extension, application/octet-stream otherwise; at
/// most --max-size), with a progress bar; files that arrive are saved into
/// --out-dir. `/quit`, Ctrl-D on an empty line, or Ctrl-C leaves.
///
/// Otherwise it reads lines from standard input: a line is sent as a text
/// message, except `/file PATH` (send a file), `/typing` (a keystroke for
/// isComposing), `/quit` (leave); `//text` sends `/text`; empty lines are
/// skipped. The end of input ends the chat once every message sent has its
/// outcome. After line 1 it prints one JSON object per line:
///
///   {"event":"started","remote_path":[..]}
///   {"event":"message","id":"..","from":"..","content_type":"..","text":".."|null,"size":N,"saved":"PATH"|null,"timestamp":".."}
///   {"event":"sent","id":"..","size":N}
///   {"event":"delivered","id":".."}
///   {"event":"not_delivered","id":"..","code":N,"reason":".."}
///   {"event":"composing","from":"..","state":"active"|"idle"}
///   {"event":"progress","id":"..","confirmed":N,"total":N|null}
///   {"event":"ended","reason":".."|null}
///
/// "message" is a message that arrived: "id" is its MSRP Message-ID (the
/// sender's "sent" ids are its own chat ids, which the wire does not
/// carry), "from" its CPIM From, "timestamp" its CPIM DateTime; a text has
/// its "text", a file (a message that is not text, or names a file) is
/// saved into --out-dir, never over an existing file (name-1.ext,
/// name-2.ext, …), and "saved" is where. "sent" comes when a message is
/// queued, then "delivered" once the peer confirmed it (success REPORT), or
/// "not_delivered" with the MSRP status (0 for a local reason). "progress"
/// counts the bytes of the MSRP message (CPIM wrapper included) that the
/// peer confirmed. "composing" is the peer's isComposing state. "ended"
/// comes last: "reason" is null when this side left, why otherwise.
/// Problems with a command (a file that cannot be read, an unknown command)
/// go to stderr, and the chat goes on.
///
/// Without SIP there is no BYE: the side that leaves sends a message of
/// type application/x-msrp-chat-end before it closes, so that the other
/// side ends too, also through relays, which keep its connection open.
/// Messages are wrapped in Message/CPIM (From, To, DateTime); the peer is
/// assumed to take what this side takes (there is no SDP to say).
///
/// Exit status 0 after a clean end (either side left); 1 on errors (no
/// peer came within --idle-timeout, TLS, the relay refused, the connection
/// was lost); 2 for bad arguments.
#[derive(Debug, Args)]
#[command(
    verbatim_doc_comment,
    about = "Chat with a peer: a person at the terminal, or JSON lines for scripts"
)]
pub(crate) struct ChatArgs {
    /// Answer: listen on this address (port 0 picks a free port; line 1
    /// shows it) and wait for a peer. Not with --relay: the peer then comes
    /// through the relay.
    #[arg(long, value_name = "HOST:PORT", value_parser = args::host_port, conflicts_with_all = ["to_path", "relay"])]
    listen: Option<HostPort>,

    /// Call: the peer's full path (line 1 of the answering `msrp chat`), one
    /// or more URIs, as separate words or as one quoted line.
    #[arg(long, value_name = "URI", num_args = 1.., value_parser = args::uri_list)]
    to_path: Vec<Uris>,

    /// Answer over TLS (msrps): needs --listen, --cert and --key.
    #[arg(long, requires_all = ["listen", "cert", "key"])]
    tls: bool,

    /// PEM certificate chain for --tls.
    #[arg(long, value_name = "FILE", requires = "tls")]
    cert: Option<PathBuf>,

    /// PEM private key for --tls.
    #[arg(long, value_name = "FILE", requires = "tls")]
    key: Option<PathBuf>,

    /// For an msrps --to-path: trust the certificates in this PEM file (the
    /// answering side's self-signed certificate, or its CA).
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with = "insecure",
        requires = "to_path"
    )]
    ca: Option<PathBuf>,

    /// For an msrps peer or relay: accept any certificate (tests only: no
    /// protection against an attacker in the path).
    #[arg(long)]
    insecure: bool,

    #[command(flatten)]
    relay: RelayArgs,

    /// Your name as the peer sees it (the display name of CPIM From).
    #[arg(long, value_name = "NAME")]
    name: Option<String>,

    /// Your address, the URI of CPIM From. Default: sip:USER@localhost, with
    /// USER from the environment.
    #[arg(long, value_name = "URI")]
    identity: Option<String>,

    /// Folder where received files are saved.
    #[arg(long, value_name = "DIR", default_value = ".")]
    out_dir: PathBuf,

    /// Largest message this side takes (larger ones are refused with 413),
    /// and the largest it sends: the peer is assumed to take as much
    /// (K, M suffixes allowed; at most 64M).
    #[arg(long, value_name = "N", default_value = "1M", value_parser = args::size)]
    max_size: u64,

    /// Give up when no peer comes (connects and binds) within this long;
    /// once the chat runs, end it when nothing arrives for this long (both
    /// sides send keep-alives every third of it, so only a peer that
    /// vanished is noticed; a relay answers them itself, so behind one it
    /// goes unnoticed). 0 waits forever.
    #[arg(long, value_name = "SECONDS", default_value = "60", value_parser = args::seconds_or_never)]
    idle_timeout: Duration,

    #[command(flatten)]
    runtime: RuntimeFlag,

    /// The local time zone, read in `main` before any thread starts (the
    /// only time the `time` crate can read it safely).
    #[arg(skip)]
    pub(crate) local_offset: Option<UtcOffset>,
}

impl Job for ChatArgs {
    fn runtime(&self) -> RuntimeArg {
        self.runtime.runtime
    }

    async fn run<R: Runtime>(self, rt: R) -> Result<(), CliError> {
        run(rt, self).await
    }
}

/// The local time zone, if it can be read (call before threads start).
pub(crate) fn local_offset() -> Option<UtcOffset> {
    UtcOffset::current_local_offset().ok()
}

/// The content type of the message that says "this side leaves".
const END_TYPE: &str = "application/x-msrp-chat-end";

/// Room for the Message/CPIM wrapper around a file, within --max-size.
const CPIM_HEADROOM: u64 = 1024;

/// The largest --max-size: messages are held whole in memory.
const MAX_MAX_SIZE: u64 = 64 << 20;

/// "Forever", for the library's timeouts (which need a duration).
const FOREVER: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

/// Keep-alives at least this often (msrplib's interval).
const KEEPALIVE: Duration = Duration::from_secs(60);

/// How long leaving may wait for the outcomes of what was sent.
const END_WAIT: Duration = Duration::from_secs(15);

/// Who the peer is until its messages say (no SIP dialog tells).
const PEER_URI: &str = "sip:peer@localhost";

/// How this side meets the peer.
enum Role {
    /// Waits for the peer: listening here, or through the relay.
    Answer(Option<SocketAddr>),
    /// Calls the peer at this path.
    Call(Vec<MsrpUri>),
}

/// What the conversation needs besides the chat.
pub(crate) struct Context {
    out_dir: PathBuf,
    /// The largest file this side sends.
    file_limit: u64,
    /// What --max-size says, for messages.
    max_size: u64,
    pub(crate) local_offset: UtcOffset,
    /// This side, as its own lines show it.
    pub(crate) me: Address,
}

async fn run<R: Runtime>(rt: R, args: ChatArgs) -> Result<(), CliError> {
    let to_path: Vec<MsrpUri> = args.to_path.into_iter().flat_map(|u| u.0).collect();
    let relay = args.relay.relay(args.insecure)?;
    let role = match (&args.listen, to_path.first(), &relay) {
        (Some(listen), _, _) => Role::Answer(Some(resolve(listen)?)),
        (None, Some(_), _) => Role::Call(to_path.clone()),
        (None, None, Some(_)) => Role::Answer(None),
        (None, None, None) => {
            return Err(CliError::usage(
                "say how to meet the peer: --listen HOST:PORT to answer, --to-path URI... to \
                 call (the path the answering side printed), or --relay URI to answer through \
                 a relay",
            ));
        }
    };
    if args.max_size > MAX_MAX_SIZE || args.max_size < 4 * CPIM_HEADROOM {
        return Err(CliError::usage(format!(
            "invalid value for '--max-size <N>': expected 4K to 64M (messages are held whole \
             in memory), got {}",
            args.max_size
        )));
    }
    if !args.out_dir.is_dir() {
        return Err(CliError::usage(format!(
            "--out-dir {}: not a folder (create it first)",
            args.out_dir.display()
        )));
    }
    let me = identity(args.name.as_deref(), args.identity.as_deref())?;

    let idle = (!args.idle_timeout.is_zero()).then_some(args.idle_timeout);
    let mut endpoint = EndpointConfig::default();
    endpoint.bind_timeout = idle.unwrap_or(FOREVER);
    endpoint.protocol.idle_timeout = idle;
    endpoint.protocol.keepalive_interval = Some(idle.map_or(KEEPALIVE, |i| (i / 3).min(KEEPALIVE)));
    if args.tls {
        let (Some(cert), Some(key)) = (&args.cert, &args.key) else {
            return Err(CliError::usage("--tls needs --cert FILE and --key FILE"));
        };
        let tls =
            TlsServer::from_pem_files(cert, key).map_err(|e| CliError::usage(e.to_string()))?;
        endpoint.tls_server = Some(tls);
    }
    match (&relay, &role) {
        // The peer is reached through the relay: TLS is the relay's.
        (Some(relay), _) => endpoint.tls_client = relay.tls.clone(),
        (None, Role::Call(path)) if path.first().is_some_and(MsrpUri::is_secure) => {
            endpoint.tls_client = Some(match (&args.ca, args.insecure) {
                (Some(ca), _) => TlsClient::with_ca_file(ca)
                    .map_err(|e| CliError::usage(format!("--ca: {e}")))?,
                (None, true) => TlsClient::insecure(),
                (None, false) => {
                    return Err(CliError::usage(format!(
                        "{} uses TLS (msrps): give --ca FILE with the certificate to trust, \
                         or --insecure to trust any",
                        path[0]
                    )));
                }
            });
        }
        _ => {}
    }

    let mut config = ChatConfig::new(me.clone());
    // Files of any type, inside CPIM or not.
    config.capabilities.accept_types.push(MediaRange::any());
    if let Some(wrapped) = config.capabilities.accept_wrapped_types.as_mut() {
        wrapped.push(MediaRange::any());
    }
    config.max_message_size = usize::try_from(args.max_size).unwrap_or(usize::MAX);
    // Blink's rule: idle after 10 s without a keystroke.
    config.composer.idle_timeout = Duration::from_secs(10);
    let peer = Address::new(None, PEER_URI).map_err(|e| CliError::failed(e.to_string()))?;
    let interactive = std::io::stdin().is_terminal();
    let context = Context {
        out_dir: args.out_dir,
        file_limit: args.max_size - CPIM_HEADROOM,
        max_size: args.max_size,
        local_offset: args.local_offset.unwrap_or(UtcOffset::UTC),
        me,
    };

    let mut stream = ChatStream::new(rt.clone(), config, endpoint, relay.map(|r| r.settings));
    let chat = match role {
        Role::Answer(addr) => {
            if let Some(addr) = addr {
                stream = stream.listen_on(addr);
            }
            let path = stream.listen().await.map_err(|e| match (e, addr) {
                (StreamError::Msrp(Error::Io(io)), Some(addr)) => {
                    CliError::failed(format!("cannot listen on {addr}: {io}"))
                }
                (e, _) => CliError::failed(e.to_string()),
            })?;
            Out.line(&json::path_line(&path));
            if interactive {
                term::note("Waiting for the peer: give it the path above (msrp chat --to-path …).");
            }
            stream
                .start_any(peer)
                .await
                .map_err(|e| stream_error(e, Side::Accepting, "the peer"))?
        }
        Role::Call(path) => {
            let local = stream
                .call()
                .await
                .map_err(|e| CliError::failed(e.to_string()))?;
            Out.line(&json::path_line(&local));
            let first = &path[0];
            let target = format!("{}:{}", first.host_str(), first.port().unwrap_or(2855));
            if interactive {
                term::note(&format!("Calling {target}…"));
            }
            stream
                .start_to(&path, peer)
                .await
                .map_err(|e| stream_error(e, Side::Connecting, &target))?
        }
    };
    if interactive {
        let mut view = term::TermView::new(&context)?;
        converse(&rt, chat, &mut view, &context).await
    } else {
        let mut view = JsonView::new();
        converse(&rt, chat, &mut view, &context).await
    }
}

/// The address of `--listen`, resolved.
fn resolve(listen: &HostPort) -> Result<SocketAddr, CliError> {
    (listen.host.as_str(), listen.port)
        .to_socket_addrs()
        .map_err(|e| CliError::usage(format!("--listen {}: {e}", listen.host)))?
        .next()
        .ok_or_else(|| {
            CliError::usage(format!(
                "--listen {}: the name has no address here",
                listen.host
            ))
        })
}

/// This side's CPIM From, from --name and --identity.
fn identity(name: Option<&str>, uri: Option<&str>) -> Result<Address, CliError> {
    let uri = match uri {
        Some(uri) => uri.to_owned(),
        None => {
            let user: String = std::env::var("USER")
                .or_else(|_| std::env::var("LOGNAME"))
                .unwrap_or_default()
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || "-_.!~*'()".contains(*c))
                .collect();
            let user = if user.is_empty() { "user".into() } else { user };
            format!("sip:{user}@localhost")
        }
    };
    if !uri.contains(':') {
        return Err(CliError::usage(format!(
            "invalid value '{uri}' for '--identity <URI>': expected a URI such as \
             sip:alice@example.com"
        )));
    }
    Address::new(name, &uri).map_err(|e| {
        CliError::usage(format!(
            "--name/--identity: {e} (expected a name and a URI such as sip:alice@example.com, \
             without control characters or angle brackets)"
        ))
    })
}

/// An error met while waiting for the peer or calling it.
fn stream_error(err: StreamError, side: Side, peer: &str) -> CliError {
    match err {
        StreamError::Msrp(e) => {
            let err = setup_error(&e, side, peer);
            CliError::failed(
                err.to_string()
                    .replace("`msrp listen`", "`msrp chat --listen`"),
            )
        }
        other => CliError::failed(other.to_string()),
    }
}

/// How a person or a script names a user: the display name, or the user
/// part of the URI.
pub(crate) fn label(address: &Address) -> String {
    if let Some(name) = address.display_name() {
        return name.to_owned();
    }
    let uri = address.uri();
    let rest = uri.split_once(':').map_or(uri, |(_, r)| r);
    let user = rest.split(['@', ';', '?']).next().unwrap_or(rest);
    if user.is_empty() {
        uri.to_owned()
    } else {
        user.to_owned()
    }
}

/// What the person or the script asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Command {
    Text(String),
    File(PathBuf),
    Typing,
    Quit,
}

/// Reads a command line (JSON mode, and the terminal's Enter): `Ok(None)`
/// for nothing to do, `Err` for a line that is not a command.
pub(crate) fn parse_line(line: &str) -> Result<Option<Command>, String> {
    let line = line.trim_end_matches(['\r', '\n']);
    if line.trim().is_empty() {
        return Ok(None);
    }
    if let Some(text) = line.strip_prefix("//") {
        return Ok(Some(Command::Text(format!("/{text}"))));
    }
    let Some(command) = line.strip_prefix('/') else {
        return Ok(Some(Command::Text(line.to_owned())));
    };
    let (word, rest) = command.split_once(' ').unwrap_or((command, ""));
    match (word, rest.trim()) {
        ("quit", _) => Ok(Some(Command::Quit)),
        ("typing", _) => Ok(Some(Command::Typing)),
        ("file", "") => Err("/file needs a path: /file PATH".into()),
        ("file", path) => Ok(Some(Command::File(PathBuf::from(path)))),
        _ => Err(format!(
            "unknown command /{word}: the commands are /file PATH and /quit (and /typing for \
             scripts); start a text with // to send it with one /"
        )),
    }
}

/// A message this side sends, as the views show it.
#[derive(Debug, Clone)]
pub(crate) struct Outgoing {
    /// Local order, known before the id.
    pub(crate) seq: u64,
    /// Body size.
    pub(crate) size: u64,
    pub(crate) what: What,
}

#[derive(Debug, Clone)]
pub(crate) enum What {
    Text(String),
    File {
        name: String,
    },
    /// The message that says this side leaves.
    End,
}

/// What a conversation shows: the terminal screen, or JSON lines.
pub(crate) trait View {
    /// The next command; `None` at the end of input.
    fn next_command(&mut self) -> impl Future<Output = Option<Command>>;
    fn started(&mut self, remote_path: &[MsrpUri]);
    /// A message was handed to the chat; its id comes with `sent`.
    fn sending(&mut self, message: &Outgoing);
    fn sent(&mut self, message: &Outgoing, id: &str);
    /// The chat refused to take a message.
    fn not_sent(&mut self, message: &Outgoing, reason: &str);
    /// A message arrived; `saved` is where a file went, or why it did not.
    fn received(&mut self, message: &ReceivedMessage, saved: Option<Result<PathBuf, String>>);
    fn delivered(&mut self, id: &str);
    fn not_delivered(&mut self, id: &str, code: u16, reason: &str);
    fn progress(&mut self, id: &str, confirmed: u64, total: Option<u64>);
    fn composing(&mut self, from: &Address, active: bool);
    /// Something the user should know that is no event (stderr in JSON).
    fn notice(&mut self, text: &str);
    fn ended(&mut self, reason: Option<&str>);
}

/// Who ends the chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Leave {
    Mine,
    Peer,
}

type Queued = Pin<Box<dyn Future<Output = (Outgoing, Result<MessageId, ChatError>)> + Send>>;

// One at a time, moved once: its size does not matter.
#[allow(clippy::large_enum_variant)]
enum Step {
    Nothing,
    Queued((Outgoing, Result<MessageId, ChatError>)),
    Event(Option<ChatEvent>),
    Command(Option<Command>),
}

/// Runs a started chat with `view` until one side leaves or the session
/// ends.
async fn converse<R: Runtime, V: View>(
    rt: &R,
    mut chat: Chat,
    view: &mut V,
    context: &Context,
) -> Result<(), CliError> {
    let mut queued: FuturesUnordered<Queued> = FuturesUnordered::new();
    let mut seq = 0u64;
    let mut leave: Option<Leave> = None;
    // Commands are read once "started" is out: nothing is said before it.
    let mut started = false;
    // The end message's id: its outcome is nobody's business.
    let mut end_id: Option<MessageId> = None;
    let mut send = |chat: &Chat, view: &mut V, message: ChatMessage, what: What| {
        seq += 1;
        let outgoing = Outgoing {
            seq,
            size: message.body().len() as u64,
            what,
        };
        view.sending(&outgoing);
        let reply = chat.send_message(message);
        let item: Queued = Box::pin(async move { (outgoing, reply.await) });
        item
    };
    loop {
        if leave.is_some() && queued.is_empty() {
            break;
        }
        let step = {
            let reading = started && leave.is_none();
            let event = chat.next_event().fuse();
            let command = async {
                if reading {
                    view.next_command().await
                } else {
                    std::future::pending().await
                }
            }
            .fuse();
            let reply = async {
                if queued.is_empty() {
                    std::future::pending().await
                } else {
                    queued.next().await
                }
            }
            .fuse();
            pin_mut!(event, command, reply);
            // Replies first: a message's "sent" before its outcome.
            select_biased! {
                r = reply => r.map_or(Step::Nothing, Step::Queued),
                e = event => Step::Event(e),
                c = command => Step::Command(c),
            }
        };
        match step {
            Step::Nothing => {}
            Step::Queued((outgoing, result)) => match (&outgoing.what, result) {
                (What::End, Ok(id)) => end_id = Some(id),
                (What::End, Err(_)) => {}
                (_, Ok(id)) => view.sent(&outgoing, &id),
                (_, Err(e)) => view.not_sent(&outgoing, &e.to_string()),
            },
            Step::Command(None | Some(Command::Quit)) => {
                leave = Some(Leave::Mine);
                let bye = ChatMessage::new(END_TYPE, "bye");
                queued.push(send(&chat, view, bye, What::End));
            }
            Step::Command(Some(Command::Typing)) => chat.typing(),
            Step::Command(Some(Command::Text(text))) => {
                let message = ChatMessage::text(&text);
                queued.push(send(&chat, view, message, What::Text(text)));
            }
            Step::Command(Some(Command::File(path))) => match load_file(&path, context) {
                Ok((message, name)) => queued.push(send(&chat, view, message, What::File { name })),
                Err(why) => view.notice(&why),
            },
            Step::Event(None) => {
                let reason = "the chat stream stopped";
                view.ended(Some(reason));
                return Err(CliError::failed(reason));
            }
            Step::Event(Some(ChatEvent::Started)) => {
                started = true;
                view.started(chat.remote_path());
            }
            Step::Event(Some(ChatEvent::Ended { reason })) => {
                return finish(view, leave, reason);
            }
            Step::Event(Some(event)) => {
                if let Some(who) = show(event, view, context, end_id.as_deref()) {
                    leave.get_or_insert(who);
                }
            }
        }
    }
    // Every message has been handed over: end once their outcomes are in.
    let rest = msrp_endpoint::timeout(rt, END_WAIT, chat.end()).await;
    let Some(rest) = rest else {
        let reason = "the peer did not confirm the last messages in time";
        view.ended(Some(reason));
        return Err(CliError::failed(reason));
    };
    for event in rest {
        if !matches!(event, ChatEvent::Ended { .. }) {
            show(event, view, context, end_id.as_deref());
        }
    }
    finish(view, leave, None)
}

/// The last word: `ended`, and the exit status.
fn finish<V: View>(
    view: &mut V,
    leave: Option<Leave>,
    reason: Option<String>,
) -> Result<(), CliError> {
    match leave {
        Some(Leave::Mine) => {
            view.ended(None);
            Ok(())
        }
        Some(Leave::Peer) => {
            view.ended(Some("the peer ended the chat"));
            Ok(())
        }
        None => {
            view.ended(reason.as_deref());
            let clean = Error::Closed(CloseReason::PeerClosed).to_string();
            match reason {
                None => Ok(()),
                Some(r) if r == clean => Ok(()),
                Some(r) => Err(CliError::failed(format!("the chat ended: {r}"))),
            }
        }
    }
}

/// Shows one event; `Some(Leave::Peer)` if the peer said it leaves.
fn show<V: View>(
    event: ChatEvent,
    view: &mut V,
    context: &Context,
    end_id: Option<&str>,
) -> Option<Leave> {
    let is_end = |id: &str| end_id == Some(id);
    match event {
        ChatEvent::Started => {}
        ChatEvent::MessageReceived(message) => {
            let media = message.content_type.split(';').next().unwrap_or("").trim();
            if media.eq_ignore_ascii_case(END_TYPE) {
                return Some(Leave::Peer);
            }
            let saved = files::is_file(&message).then(|| {
                let name = files::file_name_for(&message);
                files::save_new(&context.out_dir, &name, &message.body).map_err(|e| {
                    format!("cannot save {name} into {}: {e}", context.out_dir.display())
                })
            });
            view.received(&message, saved);
        }
        ChatEvent::Delivered { id } if !is_end(&id) => view.delivered(&id),
        ChatEvent::NotDelivered { id, code, reason } if !is_end(&id) => {
            view.not_delivered(&id, code, &reason);
        }
        ChatEvent::Progress {
            id,
            confirmed,
            total,
        } if !is_end(&id) => view.progress(&id, confirmed, total),
        ChatEvent::Composing { sender, state, .. } => {
            view.composing(&sender, state == State::Active);
        }
        ChatEvent::Refused { reason } => {
            view.notice(&format!("an incoming message was dropped: {reason}"));
        }
        _ => {}
    }
    None
}

/// Reads a file for `/file`: the message and the file's name.
fn load_file(path: &Path, context: &Context) -> Result<(ChatMessage, String), String> {
    let shown = path.display();
    let meta = std::fs::metadata(path).map_err(|e| format!("/file {shown}: {e}"))?;
    if !meta.is_file() {
        return Err(format!("/file {shown}: not a file"));
    }
    let too_big = |size: u64| {
        format!(
            "/file {shown}: {} is more than the peer takes in one message ({} with the CPIM \
             wrapper, --max-size {})",
            files::human_size(size),
            files::human_size(context.file_limit),
            context.max_size
        )
    };
    if meta.len() > context.file_limit {
        return Err(too_big(meta.len()));
    }
    let body = std::fs::read(path).map_err(|e| format!("/file {shown}: {e}"))?;
    if body.len() as u64 > context.file_limit {
        return Err(too_big(body.len() as u64));
    }
    let name = path
        .file_name()
        .map_or_else(|| shown.to_string(), |n| n.to_string_lossy().into_owned());
    let message = ChatMessage::new(files::content_type_for(path), body);
    Ok((message, name))
}

/// One JSON line of `msrp chat`. Field order is the documented order.
#[derive(Debug, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
enum ChatOut<'a> {
    Started {
        remote_path: Vec<String>,
    },
    Message {
        id: &'a str,
        from: String,
        content_type: &'a str,
        text: Option<&'a str>,
        size: u64,
        saved: Option<String>,
        timestamp: &'a str,
    },
    Sent {
        id: &'a str,
        size: u64,
    },
    Delivered {
        id: &'a str,
    },
    NotDelivered {
        id: &'a str,
        code: u16,
        reason: &'a str,
    },
    Composing {
        from: String,
        state: &'static str,
    },
    Progress {
        id: &'a str,
        confirmed: u64,
        total: Option<u64>,
    },
    Ended {
        reason: Option<&'a str>,
    },
}

/// JSON lines for scripts: commands from standard input, events on stdout.
struct JsonView {
    lines: Option<async_channel::Receiver<std::io::Result<String>>>,
}

impl JsonView {
    fn new() -> Self {
        Self { lines: None }
    }

    /// Lines of standard input, read by a thread (a blocked read must not
    /// hold the runtime, nor the exit, up).
    fn lines(&mut self) -> async_channel::Receiver<std::io::Result<String>> {
        self.lines
            .get_or_insert_with(|| {
                let (tx, rx) = async_channel::bounded(16);
                std::thread::spawn(move || {
                    let mut stdin = std::io::stdin().lock();
                    let mut line = Vec::new();
                    loop {
                        line.clear();
                        let item = match stdin.read_until(b'\n', &mut line) {
                            Ok(0) => break,
                            Ok(_) => Ok(String::from_utf8_lossy(&line).into_owned()),
                            Err(e) => Err(e),
                        };
                        let failed = item.is_err();
                        if tx.send_blocking(item).is_err() || failed {
                            break;
                        }
                    }
                });
                rx
            })
            .clone()
    }
}

impl View for JsonView {
    async fn next_command(&mut self) -> Option<Command> {
        let lines = self.lines();
        loop {
            match lines.recv().await {
                Ok(Ok(line)) => match parse_line(&line) {
                    Ok(Some(command)) => return Some(command),
                    Ok(None) => {}
                    Err(why) => self.notice(&why),
                },
                Ok(Err(e)) => {
                    self.notice(&format!("cannot read standard input: {e}"));
                    return None;
                }
                Err(_) => return None,
            }
        }
    }

    fn started(&mut self, remote_path: &[MsrpUri]) {
        Out.event(&ChatOut::Started {
            remote_path: remote_path.iter().map(ToString::to_string).collect(),
        });
    }

    fn sending(&mut self, _: &Outgoing) {}

    fn sent(&mut self, message: &Outgoing, id: &str) {
        Out.event(&ChatOut::Sent {
            id,
            size: message.size,
        });
    }

    fn not_sent(&mut self, _: &Outgoing, reason: &str) {
        self.notice(&format!("cannot send: {reason}"));
    }

    fn received(&mut self, message: &ReceivedMessage, saved: Option<Result<PathBuf, String>>) {
        let saved = match saved {
            Some(Ok(path)) => Some(path.display().to_string()),
            Some(Err(why)) => {
                self.notice(&why);
                None
            }
            None => None,
        };
        let is_file = files::is_file(message);
        Out.event(&ChatOut::Message {
            id: message.id.as_deref().unwrap_or(""),
            from: message.sender.to_string(),
            content_type: &message.content_type,
            text: if is_file { None } else { message.text() },
            size: message.body.len() as u64,
            saved,
            timestamp: message.timestamp.as_str(),
        });
    }

    fn delivered(&mut self, id: &str) {
        Out.event(&ChatOut::Delivered { id });
    }

    fn not_delivered(&mut self, id: &str, code: u16, reason: &str) {
        Out.event(&ChatOut::NotDelivered { id, code, reason });
    }

    fn progress(&mut self, id: &str, confirmed: u64, total: Option<u64>) {
        Out.event(&ChatOut::Progress {
            id,
            confirmed,
            total,
        });
    }

    fn composing(&mut self, from: &Address, active: bool) {
        Out.event(&ChatOut::Composing {
            from: from.to_string(),
            state: if active { "active" } else { "idle" },
        });
    }

    fn notice(&mut self, text: &str) {
        eprintln!("msrp chat: {text}");
    }

    fn ended(&mut self, reason: Option<&str>) {
        Out.event(&ChatOut::Ended { reason });
    }
}

/// `[14:02]`: a time in the local zone.
pub(crate) fn clock(at: OffsetDateTime, local: UtcOffset) -> String {
    let t = at.to_offset(local);
    format!("[{:02}:{:02}]", t.hour(), t.minute())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_lines() {
        assert_eq!(
            parse_line("hello\n"),
            Ok(Some(Command::Text("hello".into())))
        );
        assert_eq!(parse_line("  \r\n"), Ok(None));
        assert_eq!(parse_line("/quit"), Ok(Some(Command::Quit)));
        assert_eq!(parse_line("/typing"), Ok(Some(Command::Typing)));
        assert_eq!(
            parse_line("/file a b.txt"),
            Ok(Some(Command::File("a b.txt".into())))
        );
        assert_eq!(parse_line("//me"), Ok(Some(Command::Text("/me".into()))));
        assert!(parse_line("/file").is_err());
        assert!(
            parse_line("/frobnicate")
                .unwrap_err()
                .contains("/frobnicate")
        );
    }

    #[test]
    fn labels() {
        let bob = Address::new(Some("Bob"), "sip:bob@example.com").unwrap();
        assert_eq!(label(&bob), "Bob");
        let anon = Address::new(None, "sip:carol@example.com;x=y").unwrap();
        assert_eq!(label(&anon), "carol");
        let tel = Address::new(None, "tel:+123").unwrap();
        assert_eq!(label(&tel), "+123");
    }

    #[test]
    fn events_have_the_documented_shape() {
        let message = ChatOut::Message {
            id: "m1",
            from: "Bob <sip:bob@localhost>".into(),
            content_type: "text/plain",
            text: Some("hi"),
            size: 2,
            saved: None,
            timestamp: "2026-07-10T09:47:31Z",
        };
        assert_eq!(
            serde_json::to_string(&message).unwrap(),
            r#"{"event":"message","id":"m1","from":"Bob <sip:bob@localhost>","content_type":"text/plain","text":"hi","size":2,"saved":null,"timestamp":"2026-07-10T09:47:31Z"}"#
        );
        let not = ChatOut::NotDelivered {
            id: "m2",
            code: 413,
            reason: "too big",
        };
        assert_eq!(
            serde_json::to_string(&not).unwrap(),
            r#"{"event":"not_delivered","id":"m2","code":413,"reason":"too big"}"#
        );
        let ended = ChatOut::Ended { reason: None };
        assert_eq!(
            serde_json::to_string(&ended).unwrap(),
            r#"{"event":"ended","reason":null}"#
        );
    }
}
