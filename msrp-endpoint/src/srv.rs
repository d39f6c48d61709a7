//! Relay discovery: where to connect when an MSRP relay is known by its
//! domain only (an `msrps://example.com` relay URI with no port).
//!
//! RFC 4976 (§8, "Finding MSRP Relays") has a client look up DNS SRV records
//! with service `msrps` and protocol `tcp`, i.e. `_msrps._tcp.<domain>`, as
//! AG Projects' msrplib and SIP SIMPLE client do. For a relay reached over
//! plain TCP this module asks for `_msrp._tcp.<domain>` by the same rule.
//! Without any SRV record the relay is the domain itself on port 2855,
//! msrplib's fallback.
//!
//! The lookup speaks DNS itself — hickory-proto builds and reads the
//! messages, `std::net` carries them — because the crate is written over a
//! [`Runtime`](crate::Runtime) that has no UDP socket and no blocking-task
//! primitive, and must not depend on a particular async runtime. It is a
//! rare call (once per relay connection), so [`lookup`] simply runs
//! [`lookup_blocking`] on a thread of its own.
//!
//! The transport follows the usual stub resolver: one UDP datagram per
//! attempt (EDNS0, up to [`UDP_PAYLOAD`] bytes), each name server tried in
//! turn and then once more, and the query repeated over TCP (RFC 7766) when
//! the UDP answer comes back truncated. Not done: DNSSEC validation, search
//! domains, resolv.conf `options` (the caller's timeout governs), a retry
//! without EDNS for the very old servers that answer FORMERR to it, and
//! falling back on the records of a truncated UDP answer when TCP fails.

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream, UdpSocket};
use std::time::{Duration, Instant};

use futures_channel::oneshot;
use hickory_proto::op::{Edns, Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::rdata::SRV;
use hickory_proto::rr::{Name, RData, RecordType};
use rand_chacha::ChaCha12Rng;
use rand_core::{Rng, SeedableRng};

use crate::connect::DEFAULT_PORT;

/// The largest UDP answer accepted, advertised to the server with EDNS0
/// (RFC 6891); anything longer is not read.
pub(crate) const UDP_PAYLOAD: u16 = 4096;

/// At most this many SRV records of an answer are used: a relay domain has a
/// handful, and the RFC 2782 selection is quadratic in their number.
pub(crate) const MAX_SRV_RECORDS: usize = 64;

/// At most this many CNAMEs are followed from the SRV name (resolvers
/// commonly stop around 8–16; a relay domain needs none or one).
const MAX_CNAME_CHAIN: usize = 8;

/// Each name server is asked once and then retried once (RFC 1035 §4.2.1
/// leaves the count to the resolver; glibc's default is two attempts).
const ATTEMPTS_PER_SERVER: usize = 2;

/// The longest a lookup waits, whatever timeout it is given.
const MAX_TIMEOUT: Duration = Duration::from_secs(3600);

/// The DNS port, for the servers named in resolv.conf.
const DNS_PORT: u16 = 53;

/// Where the system's name servers are listed.
const RESOLV_CONF: &str = "/etc/resolv.conf";

/// resolv.conf is a few lines; reading stops here whatever the file holds.
const MAX_RESOLV_CONF: u64 = 64 * 1024;

/// One place to connect to for the relay, in the order to try.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RelayTarget {
    /// The host name (from the SRV target, without its trailing dot) or, in
    /// the fallback, the relay's domain as given.
    pub(crate) host: String,
    /// The TCP port.
    pub(crate) port: u16,
    /// Addresses of `host` that came with the answer (its additional
    /// section's A and AAAA records), so that the connection needs no other
    /// lookup, which the system resolver might not answer the same way;
    /// empty when there were none: resolve `host` then.
    pub(crate) addrs: Vec<IpAddr>,
}

impl fmt::Display for RelayTarget {
    /// `host:port`, for logs and messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.host, self.port)
    }
}

/// Which name servers to ask.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NameServers {
    /// The `nameserver` lines of `/etc/resolv.conf`, on port 53.
    System,
    /// These servers, in this order (tests name a local dnsmasq).
    Only(Vec<SocketAddr>),
}

impl NameServers {
    /// The addresses to ask, reading resolv.conf for [`NameServers::System`].
    fn addresses(&self) -> Vec<SocketAddr> {
        match self {
            Self::System => system_name_servers(),
            Self::Only(servers) => servers.clone(),
        }
    }
}

/// Why relay discovery failed. Each message names what was looked up and,
/// where one was asked, the name server.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SrvError {
    /// The relay's domain is not a DNS name.
    #[error("cannot look up the MSRP relay of {domain:?}: not a valid domain name ({reason})")]
    InvalidDomain {
        /// The domain as given.
        domain: String,
        /// What is wrong with it.
        reason: String,
    },
    /// There was no name server to ask.
    #[error("SRV lookup of {name}: no name server to ask")]
    NoNameServer {
        /// The SRV name (`_msrps._tcp.<domain>`).
        name: String,
    },
    /// No name server answered in time.
    #[error("SRV lookup of {name}: no answer from {servers} within {waited:?}")]
    Timeout {
        /// The SRV name.
        name: String,
        /// The servers asked, comma-separated.
        servers: String,
        /// The time allowed for the whole lookup.
        waited: Duration,
    },
    /// A socket error talking to a name server (e.g. connection refused:
    /// nothing listens there).
    #[error("SRV lookup of {name} at {server}: {source}")]
    Io {
        /// The SRV name.
        name: String,
        /// The name server.
        server: SocketAddr,
        /// The socket error.
        #[source]
        source: io::Error,
    },
    /// The name server's answer could not be read.
    #[error("SRV lookup of {name} at {server}: malformed answer: {reason}")]
    Malformed {
        /// The SRV name.
        name: String,
        /// The name server.
        server: SocketAddr,
        /// What was wrong with it.
        reason: String,
    },
    /// The name server answered with an error RCODE other than NXDOMAIN
    /// (SERVFAIL, REFUSED, …).
    #[error("SRV lookup of {name} at {server}: the server answered {rcode} (RCODE {})", u16::from(*.rcode))]
    ServerFailure {
        /// The SRV name.
        name: String,
        /// The name server.
        server: SocketAddr,
        /// Its response code.
        rcode: ResponseCode,
    },
    /// The domain publishes that it has no MSRP relay (RFC 2782: an SRV
    /// target of "." means the service is decidedly not available there).
    #[error(
        "SRV lookup of {name} at {server}: the domain says the service is not available there (SRV target \".\")"
    )]
    Unavailable {
        /// The SRV name.
        name: String,
        /// The name server.
        server: SocketAddr,
    },
    /// The lookup thread could not be started or ended without an answer.
    #[error("SRV lookup of {name}: {reason}")]
    Thread {
        /// The SRV name.
        name: String,
        /// What happened to the thread.
        reason: String,
    },
}

/// Looks up the relay of `domain` without blocking the caller's runtime: the
/// blocking lookup runs on a thread of its own and the answer comes back
/// through a oneshot channel, so this works on any executor.
///
/// The thread ends by itself within about `timeout` even if this future is
/// dropped first.
pub(crate) async fn lookup(
    domain: String,
    tls: bool,
    servers: NameServers,
    timeout: Duration,
    seed: [u8; 32],
) -> Result<Vec<RelayTarget>, SrvError> {
    let name = service_label(&domain, tls);
    let (tx, rx) = oneshot::channel();
    let spawned = std::thread::Builder::new()
        .name("msrp-srv-lookup".into())
        .spawn(move || {
            let servers = servers.addresses();
            // An error here means the caller stopped waiting: nothing to do.
            let _ = tx.send(lookup_blocking(&domain, tls, &servers, timeout, seed));
        });
    if let Err(e) = spawned {
        return Err(SrvError::Thread {
            name,
            reason: format!("cannot start the lookup thread: {e}"),
        });
    }
    rx.await.unwrap_or_else(|_| {
        Err(SrvError::Thread {
            name,
            reason: "the lookup thread ended without an answer".into(),
        })
    })
}

/// Looks up the relay of `domain`: the SRV records of `_msrps._tcp.<domain>`
/// (`tls`) or `_msrp._tcp.<domain>`, asked of `servers` in turn, all within
/// `timeout`.
///
/// The targets come in RFC 2782 order: priority ascending, and within one
/// priority a weighted random order drawn from `seed` (the same seed gives
/// the same order). NXDOMAIN or no SRV record gives the fallback,
/// `domain:2855`; an IP address is its own fallback, without a query.
pub(crate) fn lookup_blocking(
    domain: &str,
    tls: bool,
    servers: &[SocketAddr],
    timeout: Duration,
    seed: [u8; 32],
) -> Result<Vec<RelayTarget>, SrvError> {
    let domain = domain.strip_suffix('.').unwrap_or(domain);
    if domain.parse::<IpAddr>().is_ok() {
        return Ok(fallback(domain));
    }
    let name = srv_name(domain, tls)?;
    let mut rng = ChaCha12Rng::from_seed(seed);
    let (server, answer) = ask_servers(&name, servers, timeout, &mut rng)?;
    if answer.records.is_empty() {
        return Ok(fallback(domain));
    }
    let mut targets = relay_targets(rfc2782_order(answer.records, &mut rng)).ok_or_else(|| {
        SrvError::Unavailable {
            name: bare_name(&name),
            server,
        }
    })?;
    for target in &mut targets {
        target.addrs = answer
            .glue
            .iter()
            .filter(|(owner, _)| bare_name(owner).eq_ignore_ascii_case(&target.host))
            .map(|(_, addr)| *addr)
            .collect();
    }
    Ok(targets)
}

/// The SRV label for `domain`, for messages (`_msrps._tcp.<domain>`).
fn service_label(domain: &str, tls: bool) -> String {
    let service = if tls { "_msrps" } else { "_msrp" };
    format!(
        "{service}._tcp.{}",
        domain.strip_suffix('.').unwrap_or(domain)
    )
}

/// The fully qualified SRV name to query for `domain`.
fn srv_name(domain: &str, tls: bool) -> Result<Name, SrvError> {
    let invalid = |reason: String| SrvError::InvalidDomain {
        domain: domain.to_owned(),
        reason,
    };
    if domain.is_empty() {
        return Err(invalid("empty".into()));
    }
    // from_utf8 applies IDNA, so an internationalized domain is asked for in
    // its punycode form; the service labels are plain ASCII.
    let domain_name = Name::from_utf8(domain).map_err(|e| invalid(e.to_string()))?;
    let service = if tls { "_msrps._tcp" } else { "_msrp._tcp" };
    let mut name = Name::from_ascii(service)
        .and_then(|service| service.append_domain(&domain_name))
        .map_err(|e| invalid(e.to_string()))?;
    // Fully qualified: no search domain may be appended to it.
    name.set_fqdn(true);
    Ok(name)
}

/// The relay when the domain publishes no SRV record: the domain itself on
/// the default MSRP port (msrplib's fallback).
fn fallback(domain: &str) -> Vec<RelayTarget> {
    vec![RelayTarget {
        host: domain.to_owned(),
        port: DEFAULT_PORT,
        addrs: Vec::new(),
    }]
}

/// Asks `servers` in turn (each twice) until one answers NOERROR or
/// NXDOMAIN; returns that server and the SRV records (none for NXDOMAIN or
/// an empty answer).
///
/// `timeout` bounds the whole walk: each attempt gets an equal share of what
/// is left, so a silent first server leaves time for the others.
fn ask_servers(
    name: &Name,
    servers: &[SocketAddr],
    timeout: Duration,
    rng: &mut ChaCha12Rng,
) -> Result<(SocketAddr, Answer), SrvError> {
    if servers.is_empty() {
        return Err(SrvError::NoNameServer {
            name: bare_name(name),
        });
    }
    let deadline = deadline_after(timeout);
    let attempts: Vec<SocketAddr> = (0..ATTEMPTS_PER_SERVER)
        .flat_map(|_| servers.iter().copied())
        .collect();
    let mut last_failure = None;
    for (done, &server) in attempts.iter().enumerate() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        let share = left / u32::try_from(attempts.len() - done).unwrap_or(u32::MAX);
        let id = rng.next_u32() as u16;
        match ask(server, name, id, Instant::now() + share, deadline) {
            Ok(answer) => return Ok((server, answer)),
            Err(Failure::Timeout) => {
                tracing::debug!(%server, %name, "SRV lookup: no answer in time");
            }
            Err(failure) => {
                tracing::debug!(%server, %name, ?failure, "SRV lookup failed");
                last_failure = Some((server, failure));
            }
        }
    }
    // A server that said something tells more than the silence of another.
    Err(match last_failure {
        Some((server, failure)) => failure.into_error(name, server),
        None => SrvError::Timeout {
            name: bare_name(name),
            servers: server_list(servers),
            waited: timeout,
        },
    })
}

/// The instant `timeout` from now, clamped to [`MAX_TIMEOUT`] so that no
/// timeout, however large, overflows the clock (`Instant + Duration` panics).
fn deadline_after(timeout: Duration) -> Instant {
    Instant::now() + timeout.min(MAX_TIMEOUT)
}

/// `servers` as "a, b, c" for messages.
fn server_list(servers: &[SocketAddr]) -> String {
    servers
        .iter()
        .map(SocketAddr::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Why one attempt at one server failed (the caller adds the name and the
/// server to make an [`SrvError`]).
#[derive(Debug)]
enum Failure {
    /// No acceptable answer before the attempt's deadline.
    Timeout,
    /// A socket error.
    Io(io::Error),
    /// An answer that could not be read.
    Malformed(String),
    /// An error RCODE other than NXDOMAIN.
    Rcode(ResponseCode),
}

impl Failure {
    /// The error to report for this failure of `server` on `name` (timeouts
    /// are reported for the whole lookup, by the caller).
    fn into_error(self, name: &Name, server: SocketAddr) -> SrvError {
        let name = bare_name(name);
        match self {
            Self::Timeout => SrvError::Io {
                name,
                server,
                source: io::ErrorKind::TimedOut.into(),
            },
            Self::Io(source) => SrvError::Io {
                name,
                server,
                source,
            },
            Self::Malformed(reason) => SrvError::Malformed {
                name,
                server,
                reason,
            },
            Self::Rcode(rcode) => SrvError::ServerFailure {
                name,
                server,
                rcode,
            },
        }
    }
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        // A read timeout shows as WouldBlock on Unix and TimedOut on Windows.
        match e.kind() {
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => Self::Timeout,
            _ => Self::Io(e),
        }
    }
}

/// One attempt: the query over UDP until `udp_deadline`, and over TCP until
/// `tcp_deadline` if the UDP answer was truncated. The TCP exchange may use
/// the rest of the whole lookup's time: the server has shown it is alive.
fn ask(
    server: SocketAddr,
    name: &Name,
    id: u16,
    udp_deadline: Instant,
    tcp_deadline: Instant,
) -> Result<Answer, Failure> {
    let request = query_bytes(name, id)?;
    let response = match ask_udp(server, &request, name, id, udp_deadline)? {
        Reply::Complete(response) => response,
        Reply::Truncated(_) => ask_tcp(server, &request, name, id, tcp_deadline)?,
    };
    Ok(Answer {
        records: answer_records(&response, name)?,
        glue: glue(&response),
    })
}

/// The SRV records that answer a query, and the addresses that came with
/// them.
#[derive(Debug)]
struct Answer {
    records: Vec<SRV>,
    glue: Vec<(Name, IpAddr)>,
}

/// The A and AAAA records of a response's additional and answer sections:
/// the addresses of the SRV targets, when the server sent them along. At
/// most [`MAX_SRV_RECORDS`] of them.
fn glue(response: &Message) -> Vec<(Name, IpAddr)> {
    response
        .additionals()
        .iter()
        .chain(response.answers())
        .filter_map(|record| match record.data() {
            RData::A(a) => Some((record.name().clone(), IpAddr::V4(a.0))),
            RData::AAAA(aaaa) => Some((record.name().clone(), IpAddr::V6(aaaa.0))),
            _ => None,
        })
        .take(MAX_SRV_RECORDS)
        .collect()
}

/// The encoded SRV query for `name` with message id `id`: recursion
/// desired, and EDNS0 advertising a [`UDP_PAYLOAD`]-byte answer so that a
/// relay domain's records fit one datagram.
fn query_bytes(name: &Name, id: u16) -> Result<Vec<u8>, Failure> {
    let mut message = Message::new();
    message
        .set_id(id)
        .set_message_type(MessageType::Query)
        .set_op_code(OpCode::Query)
        .set_recursion_desired(true)
        .add_query(Query::query(name.clone(), RecordType::SRV));
    let mut edns = Edns::new();
    edns.set_max_payload(UDP_PAYLOAD);
    message.set_edns(edns);
    // Only a name longer than DNS allows fails here, and srv_name has
    // already refused those; report it rather than panic all the same.
    message
        .to_vec()
        .map_err(|e| Failure::Malformed(format!("cannot encode the query: {e}")))
}

/// What a datagram from the server amounts to.
#[derive(Debug)]
enum Reply {
    /// The answer to the query.
    Complete(Message),
    /// The answer to the query, cut short (TC bit): ask again over TCP.
    Truncated(Message),
}

/// Sends the query in one datagram and waits until `deadline` for the
/// answer, skipping datagrams that answer something else (a late answer to
/// an earlier attempt, a spoofing attempt).
fn ask_udp(
    server: SocketAddr,
    request: &[u8],
    name: &Name,
    id: u16,
    deadline: Instant,
) -> Result<Reply, Failure> {
    let local: SocketAddr = if server.is_ipv4() {
        (Ipv4Addr::UNSPECIFIED, 0).into()
    } else {
        (Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let socket = UdpSocket::bind(local)?;
    // Connected: the kernel drops datagrams from any other address, and an
    // ICMP "port unreachable" comes back as ConnectionRefused.
    socket.connect(server)?;
    socket.send(request)?;
    // One byte more than accepted, to tell an oversized datagram (which the
    // kernel would silently cut) from one that fits exactly.
    let mut buffer = vec![0u8; usize::from(UDP_PAYLOAD) + 1];
    loop {
        socket.set_read_timeout(Some(time_left(deadline)?))?;
        let len = socket.recv(&mut buffer)?;
        if len > usize::from(UDP_PAYLOAD) {
            return Err(Failure::Malformed(format!(
                "a UDP answer longer than the {UDP_PAYLOAD} bytes asked for"
            )));
        }
        if let Some(reply) = check_reply(&buffer[..len], name, id)? {
            return Ok(reply);
        }
    }
}

/// Sends the query over TCP (RFC 1035 §4.2.2: each message preceded by its
/// length in two bytes) and reads the answer, all before `deadline`.
fn ask_tcp(
    server: SocketAddr,
    request: &[u8],
    name: &Name,
    id: u16,
    deadline: Instant,
) -> Result<Message, Failure> {
    let mut stream = TcpStream::connect_timeout(&server, time_left(deadline)?)?;
    let len = u16::try_from(request.len())
        .map_err(|_| Failure::Malformed("the query is too long for TCP".into()))?;
    stream.set_write_timeout(Some(time_left(deadline)?))?;
    let mut framed = Vec::with_capacity(request.len() + 2);
    framed.extend_from_slice(&len.to_be_bytes());
    framed.extend_from_slice(request);
    stream.write_all(&framed)?;
    let mut prefix = [0u8; 2];
    read_exact_before(&mut stream, &mut prefix, deadline)?;
    // The two-byte length bounds the answer at 64 KiB.
    let mut answer = vec![0u8; usize::from(u16::from_be_bytes(prefix))];
    read_exact_before(&mut stream, &mut answer, deadline)?;
    match check_reply(&answer, name, id)? {
        // Nothing more can be had than a truncated TCP answer: take it.
        Some(Reply::Complete(message) | Reply::Truncated(message)) => Ok(message),
        None => Err(Failure::Malformed(
            "the TCP answer is for another query".into(),
        )),
    }
}

/// Fills `buf` from `stream`, giving up at `deadline` even if the server
/// trickles bytes (a plain read timeout would restart with each byte).
fn read_exact_before(
    stream: &mut TcpStream,
    buf: &mut [u8],
    deadline: Instant,
) -> Result<(), Failure> {
    let mut filled = 0;
    while filled < buf.len() {
        stream.set_read_timeout(Some(time_left(deadline)?))?;
        match stream.read(&mut buf[filled..]) {
            Ok(0) => {
                return Err(Failure::Malformed(
                    "the server closed the TCP connection mid-answer".into(),
                ));
            }
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// The time until `deadline`, or a timeout if it has passed (a zero socket
/// timeout would mean "wait forever" to some APIs and is refused by others).
fn time_left(deadline: Instant) -> Result<Duration, Failure> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        Err(Failure::Timeout)
    } else {
        Ok(left)
    }
}

/// Reads a message from the server: `None` if it answers something else
/// than query `id` for `name` (to be ignored), the answer otherwise.
fn check_reply(bytes: &[u8], name: &Name, id: u16) -> Result<Option<Reply>, Failure> {
    let message = Message::from_vec(bytes).map_err(malformed)?;
    if message.id() != id || message.message_type() != MessageType::Response {
        return Ok(None);
    }
    // RFC 5452 §9.1: the question must be ours. Some servers leave it out of
    // error answers; those are taken by their id.
    let ours = message
        .queries()
        .iter()
        .all(|q| q.name() == name && q.query_type() == RecordType::SRV);
    if !ours || message.queries().len() > 1 {
        return Ok(None);
    }
    if message.truncated() {
        return Ok(Some(Reply::Truncated(message)));
    }
    Ok(Some(Reply::Complete(message)))
}

/// A decoding error as a [`Failure`].
fn malformed(e: hickory_proto::ProtoError) -> Failure {
    Failure::Malformed(e.to_string())
}

/// The SRV records that answer `name` in `response`, following CNAMEs;
/// none for NXDOMAIN; a failure for any other error RCODE.
fn answer_records(response: &Message, name: &Name) -> Result<Vec<SRV>, Failure> {
    match response.response_code() {
        ResponseCode::NoError => Ok(srv_records(response, name)),
        ResponseCode::NXDomain => Ok(Vec::new()),
        rcode => Err(Failure::Rcode(rcode)),
    }
}

/// The first [`MAX_SRV_RECORDS`] SRV records of the answer section owned by
/// `name` or by a name it is a CNAME of (a recursive server puts the chain
/// in the answer). Records about other names are not ours and are skipped.
fn srv_records(response: &Message, name: &Name) -> Vec<SRV> {
    let owners = cname_chain(response, name);
    response
        .answers()
        .iter()
        .filter(|record| owners.contains(record.name()))
        .filter_map(|record| match record.data() {
            RData::SRV(srv) => Some(srv.clone()),
            _ => None,
        })
        .take(MAX_SRV_RECORDS)
        .collect()
}

/// `name` and the names it is a CNAME of, in the answer section, whatever
/// the order of the CNAME records; at most [`MAX_CNAME_CHAIN`] links, which
/// also bounds the work a hostile answer can cause.
fn cname_chain(response: &Message, name: &Name) -> Vec<Name> {
    let mut chain = vec![name.clone()];
    let mut tail = name.clone();
    for _ in 0..MAX_CNAME_CHAIN {
        let next = response
            .answers()
            .iter()
            .find_map(|record| match record.data() {
                RData::CNAME(target) if record.name() == &tail && !chain.contains(&target.0) => {
                    Some(target.0.clone())
                }
                _ => None,
            });
        let Some(next) = next else { break };
        chain.push(next.clone());
        tail = next;
    }
    chain
}

/// Orders SRV records as RFC 2782 asks: by priority, lowest first; within a
/// priority, the weighted random selection of the RFC ("Usage rules"),
/// drawing from `rng`.
fn rfc2782_order(mut records: Vec<SRV>, rng: &mut impl Rng) -> Vec<SRV> {
    // Stable: records of one priority keep the answer's order going into
    // the selection, so a given seed always gives the same result.
    records.sort_by_key(SRV::priority);
    let mut ordered = Vec::with_capacity(records.len());
    for group in records.chunk_by(|a, b| a.priority() == b.priority()) {
        ordered.extend(weighted_order(group.to_vec(), rng));
    }
    ordered
}

/// RFC 2782's selection within one priority: put the weight-0 records
/// first, draw a number from 0 to the sum of the weights, take the first
/// record whose running sum reaches it; repeat with those left. A weight-0
/// record is thus picked only when the draw is 0, "a very small chance".
fn weighted_order(mut group: Vec<SRV>, rng: &mut impl Rng) -> Vec<SRV> {
    group.sort_by_key(|srv| srv.weight() != 0);
    let mut ordered = Vec::with_capacity(group.len());
    while !group.is_empty() {
        // At most MAX_SRV_RECORDS × 65535 < 2^23: no overflow, and the
        // modulo bias of a 32-bit draw is below one in 500.
        let total: u32 = group.iter().map(|srv| u32::from(srv.weight())).sum();
        let draw = rng.next_u32() % (total + 1);
        let mut running = 0;
        let index = group
            .iter()
            .position(|srv| {
                running += u32::from(srv.weight());
                running >= draw
            })
            .unwrap_or(0);
        ordered.push(group.remove(index));
    }
    ordered
}

/// The records as places to connect to, or `None` if the domain says the
/// service is not available (every target is "."). A "." among real targets
/// is dropped.
fn relay_targets(records: Vec<SRV>) -> Option<Vec<RelayTarget>> {
    let targets: Vec<RelayTarget> = records
        .into_iter()
        .filter(|srv| !srv.target().is_root())
        .map(|srv| RelayTarget {
            host: bare_name(srv.target()),
            port: srv.port(),
            addrs: Vec::new(),
        })
        .collect();
    (!targets.is_empty()).then_some(targets)
}

/// A name as a host to connect to or to show: ASCII (punycode), without
/// the trailing dot of the fully qualified form.
fn bare_name(name: &Name) -> String {
    let host = name.to_ascii();
    match host.strip_suffix('.') {
        Some(bare) => bare.to_owned(),
        None => host,
    }
}

/// The name servers of `/etc/resolv.conf`, as glibc reads them: port 53,
/// unparseable lines skipped, and the local host when none is listed or the
/// file cannot be read.
fn system_name_servers() -> Vec<SocketAddr> {
    let mut text = Vec::new();
    let read = std::fs::File::open(RESOLV_CONF)
        .and_then(|file| file.take(MAX_RESOLV_CONF).read_to_end(&mut text));
    if let Err(e) = read {
        tracing::debug!("cannot read {RESOLV_CONF} ({e}); asking the local host");
    }
    servers_from_resolv_conf(&text)
}

/// The `nameserver` addresses of a resolv.conf text, on port 53; the local
/// host (glibc's default) when there are none.
fn servers_from_resolv_conf(text: &[u8]) -> Vec<SocketAddr> {
    let (config, errors) = resolv_conf::Config::parse_with_errors(text);
    for error in errors {
        tracing::debug!("{RESOLV_CONF}: skipping a line: {error}");
    }
    let servers: Vec<SocketAddr> = config
        .nameservers
        .iter()
        .map(|ip| SocketAddr::new(IpAddr::from(ip), DNS_PORT))
        .collect();
    if servers.is_empty() {
        vec![SocketAddr::new(Ipv4Addr::LOCALHOST.into(), DNS_PORT)]
    } else {
        servers
    }
}

#[cfg(test)]
mod tests {
    //! Unit tests on hand-built hickory-proto messages, then the whole lookup
    //! against a real dnsmasq on 127.0.0.1 (never any other server).

    use std::future::Future;
    use std::net::TcpListener;
    use std::path::Path;
    use std::pin::pin;
    use std::process::{Child, Command, Stdio};
    use std::sync::Arc;
    use std::task::{Context, Poll, Wake, Waker};

    use hickory_proto::rr::Record;
    use hickory_proto::rr::rdata::CNAME;

    use super::*;

    /// The seed of every test: orders must not depend on ambient randomness.
    const SEED: [u8; 32] = [7; 32];

    fn name(text: &str) -> Name {
        Name::from_ascii(text).unwrap()
    }

    fn srv(priority: u16, weight: u16, port: u16, target: &str) -> SRV {
        SRV::new(priority, weight, port, name(target))
    }

    fn srv_record(owner: &str, srv: SRV) -> Record {
        Record::from_rdata(name(owner), 300, RData::SRV(srv))
    }

    /// A response to query `id` for `qname` with `answers`.
    fn response(id: u16, qname: &Name, rcode: ResponseCode, answers: Vec<Record>) -> Message {
        let mut message = Message::new();
        message
            .set_id(id)
            .set_message_type(MessageType::Response)
            .set_op_code(OpCode::Query)
            .set_response_code(rcode)
            .add_query(Query::query(qname.clone(), RecordType::SRV));
        for answer in answers {
            message.add_answer(answer);
        }
        message
    }

    fn ports(records: &[SRV]) -> Vec<u16> {
        records.iter().map(SRV::port).collect()
    }

    fn rng(seed: [u8; 32]) -> ChaCha12Rng {
        ChaCha12Rng::from_seed(seed)
    }

    // ---- names and the query ----

    #[test]
    fn srv_names_for_tls_and_tcp() {
        assert_eq!(
            srv_name("relay.test", true).unwrap(),
            name("_msrps._tcp.relay.test.")
        );
        assert_eq!(
            srv_name("relay.test.", false).unwrap(),
            name("_msrp._tcp.relay.test.")
        );
        assert_eq!(service_label("relay.test.", true), "_msrps._tcp.relay.test");
    }

    #[test]
    fn invalid_domains_are_refused_before_any_query() {
        for domain in ["", "a..b", &"x".repeat(64)] {
            let err = lookup_blocking(domain, true, &[], Duration::from_secs(1), SEED).unwrap_err();
            assert!(
                matches!(err, SrvError::InvalidDomain { .. }),
                "{domain:?}: {err}"
            );
            assert!(err.to_string().contains("not a valid domain name"), "{err}");
        }
    }

    #[test]
    fn an_ip_address_is_its_own_relay() {
        let targets = lookup_blocking("192.0.2.7", true, &[], Duration::ZERO, SEED).unwrap();
        assert_eq!(
            targets,
            [RelayTarget {
                host: "192.0.2.7".into(),
                port: 2855,
                addrs: vec![]
            }]
        );
    }

    #[test]
    fn no_name_server_is_an_error() {
        let err =
            lookup_blocking("relay.test", true, &[], Duration::from_secs(1), SEED).unwrap_err();
        assert!(matches!(err, SrvError::NoNameServer { .. }), "{err}");
        assert_eq!(
            err.to_string(),
            "SRV lookup of _msrps._tcp.relay.test: no name server to ask"
        );
    }

    #[test]
    fn the_query_asks_for_srv_with_recursion_and_edns() {
        let qname = name("_msrps._tcp.relay.test.");
        let bytes = query_bytes(&qname, 0x1234).unwrap();
        let query = Message::from_vec(&bytes).unwrap();
        assert_eq!(query.id(), 0x1234);
        assert_eq!(query.message_type(), MessageType::Query);
        assert!(query.recursion_desired());
        assert_eq!(query.queries().len(), 1);
        assert_eq!(query.queries()[0].name(), &qname);
        assert_eq!(query.queries()[0].query_type(), RecordType::SRV);
        assert_eq!(query.max_payload(), UDP_PAYLOAD);
    }

    // ---- reading answers ----

    #[test]
    fn an_answer_is_read_and_targets_lose_their_dot() {
        let qname = name("_msrps._tcp.relay.test.");
        let answer = response(
            9,
            &qname,
            ResponseCode::NoError,
            vec![srv_record(
                "_msrps._tcp.relay.test.",
                srv(0, 0, 2856, "kamailio.relay.test."),
            )],
        );
        let Some(Reply::Complete(message)) =
            check_reply(&answer.to_vec().unwrap(), &qname, 9).unwrap()
        else {
            panic!("not read as a complete answer");
        };
        let records = answer_records(&message, &qname).unwrap();
        assert_eq!(
            relay_targets(records).unwrap(),
            [RelayTarget {
                host: "kamailio.relay.test".into(),
                port: 2856,
                addrs: vec![]
            }]
        );
    }

    #[test]
    fn answers_to_something_else_are_ignored() {
        let qname = name("_msrps._tcp.relay.test.");
        let other = name("_msrps._tcp.other.test.");
        let wrong_id = response(8, &qname, ResponseCode::NoError, vec![]);
        let wrong_question = response(9, &other, ResponseCode::NoError, vec![]);
        let mut not_a_response = response(9, &qname, ResponseCode::NoError, vec![]);
        not_a_response.set_message_type(MessageType::Query);
        for message in [wrong_id, wrong_question, not_a_response] {
            let reply = check_reply(&message.to_vec().unwrap(), &qname, 9).unwrap();
            assert!(reply.is_none(), "{reply:?}");
        }
    }

    #[test]
    fn a_truncated_answer_asks_for_tcp() {
        let qname = name("_msrps._tcp.relay.test.");
        let mut message = response(9, &qname, ResponseCode::NoError, vec![]);
        message.set_truncated(true);
        let reply = check_reply(&message.to_vec().unwrap(), &qname, 9).unwrap();
        assert!(matches!(reply, Some(Reply::Truncated(_))), "{reply:?}");
    }

    #[test]
    fn rcodes_nxdomain_is_no_record_others_fail() {
        let qname = name("_msrps._tcp.relay.test.");
        let nx = response(1, &qname, ResponseCode::NXDomain, vec![]);
        assert!(answer_records(&nx, &qname).unwrap().is_empty());
        let servfail = response(1, &qname, ResponseCode::ServFail, vec![]);
        let failure = answer_records(&servfail, &qname).unwrap_err();
        let server: SocketAddr = "127.0.0.1:53".parse().unwrap();
        let err = failure.into_error(&qname, server);
        assert_eq!(
            err.to_string(),
            "SRV lookup of _msrps._tcp.relay.test at 127.0.0.1:53: the server answered Server Failure (RCODE 2)"
        );
    }

    #[test]
    fn garbage_is_malformed_and_never_panics() {
        let qname = name("_msrps._tcp.relay.test.");
        let good = response(
            9,
            &qname,
            ResponseCode::NoError,
            vec![srv_record(
                "_msrps._tcp.relay.test.",
                srv(0, 0, 2856, "kamailio.relay.test."),
            )],
        )
        .to_vec()
        .unwrap();
        // Every cut of a good answer, and seeded random bytes: errors, no panic.
        for len in 0..good.len() {
            let _ = check_reply(&good[..len], &qname, 9).map(|r| r.map(|_| ()));
        }
        let mut rng = rng(SEED);
        for _ in 0..2000 {
            let mut bytes = vec![0u8; (rng.next_u32() % 600) as usize];
            rng.fill_bytes(&mut bytes);
            if let Ok(Some(Reply::Complete(message))) = check_reply(&bytes, &qname, 9) {
                let _ = answer_records(&message, &qname)
                    .map(|r| relay_targets(rfc2782_order(r, &mut rng.clone())));
            }
        }
        let err = check_reply(b"\x00\x09", &qname, 9).unwrap_err();
        assert!(matches!(err, Failure::Malformed(_)), "{err:?}");
    }

    #[test]
    fn only_records_of_the_name_or_its_cname_chain_count() {
        let qname = name("_msrps._tcp.relay.test.");
        let cname = |from: &str, to: &str| {
            Record::from_rdata(name(from), 300, RData::CNAME(CNAME(name(to))))
        };
        let answers = vec![
            // The chain's records out of order, and a loop back to the start.
            cname("_msrps._tcp.middle.test.", "_msrps._tcp.end.test."),
            cname("_msrps._tcp.end.test.", "_msrps._tcp.relay.test."),
            cname("_msrps._tcp.relay.test.", "_msrps._tcp.middle.test."),
            srv_record("_msrps._tcp.end.test.", srv(0, 0, 1001, "a.end.test.")),
            srv_record(
                "_msrps._tcp.unrelated.test.",
                srv(0, 0, 1002, "b.unrelated.test."),
            ),
            // Names compare without regard to case.
            srv_record("_MSRPS._tcp.Relay.Test.", srv(0, 0, 1003, "c.relay.test.")),
        ];
        let message = response(1, &qname, ResponseCode::NoError, answers);
        assert_eq!(ports(&srv_records(&message, &qname)), [1001, 1003]);
    }

    #[test]
    fn cname_chains_are_followed_a_bounded_way() {
        let qname = name("_msrps._tcp.relay.test.");
        let link = |i: usize| name(&format!("l{i}.relay.test."));
        let mut answers = vec![Record::from_rdata(
            qname.clone(),
            300,
            RData::CNAME(CNAME(link(0))),
        )];
        for i in 0..20 {
            answers.push(Record::from_rdata(
                link(i),
                300,
                RData::CNAME(CNAME(link(i + 1))),
            ));
        }
        let message = response(1, &qname, ResponseCode::NoError, answers);
        assert_eq!(cname_chain(&message, &qname).len(), 1 + MAX_CNAME_CHAIN);
    }

    #[test]
    fn at_most_max_srv_records_are_used() {
        let qname = name("_msrps._tcp.relay.test.");
        let answers = (0..200)
            .map(|i| {
                srv_record(
                    "_msrps._tcp.relay.test.",
                    srv(i, 0, 1000 + i, "r.relay.test."),
                )
            })
            .collect();
        let message = response(1, &qname, ResponseCode::NoError, answers);
        let records = srv_records(&message, &qname);
        assert_eq!(records.len(), MAX_SRV_RECORDS);
        assert_eq!(records[0].port(), 1000);
    }

    #[test]
    fn a_dot_target_means_unavailable_unless_others_exist() {
        assert_eq!(relay_targets(vec![srv(0, 0, 1, ".")]), None);
        assert_eq!(
            relay_targets(vec![srv(0, 0, 1, "."), srv(1, 0, 2855, "r.test.")]).unwrap(),
            [RelayTarget {
                host: "r.test".into(),
                port: 2855,
                addrs: vec![]
            }]
        );
    }

    // ---- RFC 2782 order ----

    #[test]
    fn priorities_come_lowest_first() {
        let records = vec![
            srv(20, 5, 1, "c."),
            srv(10, 0, 2, "a."),
            srv(30, 9, 3, "d."),
            srv(10, 0, 4, "b."),
        ];
        // Weight 0 throughout priority 10: the answer's order is kept.
        assert_eq!(ports(&rfc2782_order(records, &mut rng(SEED))), [2, 4, 1, 3]);
    }

    #[test]
    fn weighted_order_is_reproducible_from_the_seed() {
        let records = vec![
            srv(0, 10, 1, "a."),
            srv(0, 20, 2, "b."),
            srv(0, 30, 3, "c."),
            srv(0, 40, 4, "d."),
        ];
        let first = rfc2782_order(records.clone(), &mut rng(SEED));
        assert_eq!(first, rfc2782_order(records.clone(), &mut rng(SEED)));
        let mut sorted = ports(&first);
        sorted.sort_unstable();
        assert_eq!(sorted, [1, 2, 3, 4], "every record once");
    }

    #[test]
    fn heavier_records_come_first_more_often() {
        // Weights 90 and 10: the heavy one leads about 90 times in 100.
        let records = vec![srv(0, 10, 1, "light."), srv(0, 90, 2, "heavy.")];
        let heavy_first = (0..1000u32)
            .filter(|i| {
                let mut seed = [0u8; 32];
                seed[..4].copy_from_slice(&i.to_le_bytes());
                rfc2782_order(records.clone(), &mut rng(seed))[0].port() == 2
            })
            .count();
        assert!((850..=950).contains(&heavy_first), "{heavy_first} of 1000");
    }

    #[test]
    fn zero_weight_records_are_rarely_first() {
        // RFC 2782: weight 0 has "a very small chance of being selected".
        let records = vec![srv(0, 0, 1, "zero."), srv(0, 100, 2, "hundred.")];
        let zero_first = (0..1000u32)
            .filter(|i| {
                let mut seed = [0u8; 32];
                seed[..4].copy_from_slice(&i.to_le_bytes());
                rfc2782_order(records.clone(), &mut rng(seed))[0].port() == 1
            })
            .count();
        assert!(zero_first < 40, "{zero_first} of 1000");
    }

    #[test]
    fn no_timeout_overflows_the_clock() {
        let before = Instant::now();
        let deadline = deadline_after(Duration::MAX);
        assert!(deadline >= before + MAX_TIMEOUT && deadline <= Instant::now() + MAX_TIMEOUT);
    }

    // ---- resolv.conf ----

    #[test]
    fn resolv_conf_name_servers_on_port_53() {
        let text = b"# comment\nsearch example.org\nnameserver 192.0.2.1\nnameserver 2001:db8::1\nbogus line\noptions timeout:1\n";
        assert_eq!(
            servers_from_resolv_conf(text),
            [
                "192.0.2.1:53".parse::<SocketAddr>().unwrap(),
                "[2001:db8::1]:53".parse().unwrap()
            ]
        );
    }

    #[test]
    fn resolv_conf_without_servers_means_the_local_host() {
        assert_eq!(
            servers_from_resolv_conf(b""),
            ["127.0.0.1:53".parse::<SocketAddr>().unwrap()]
        );
    }

    #[test]
    fn system_name_servers_are_read_from_resolv_conf() {
        // Reads the file only: no query goes to the machine's servers.
        let servers = NameServers::System.addresses();
        assert!(!servers.is_empty());
        assert!(
            servers.iter().all(|server| server.port() == 53),
            "{servers:?}"
        );
    }

    // ---- against a real dnsmasq on 127.0.0.1 ----

    const DNSMASQ: &str = "/usr/sbin/dnsmasq";

    /// A dnsmasq serving the test zone on 127.0.0.1, killed on drop.
    struct Dnsmasq {
        child: Child,
        addr: SocketAddr,
    }

    impl Dnsmasq {
        /// Starts dnsmasq on a free port and waits (at most 5 s) until it
        /// answers. The zone `test.` is local: names it does not hold get
        /// NXDOMAIN; names outside it get REFUSED (there is no upstream).
        fn start() -> Self {
            assert!(
                Path::new(DNSMASQ).exists(),
                "{DNSMASQ} is missing; the relay discovery tests need a real DNS server: apt-get install dnsmasq"
            );
            let mut last_error = String::new();
            // A port found free can be taken by a parallel test before
            // dnsmasq binds it: then try another.
            for _ in 0..5 {
                let port = free_port();
                let mut child = Command::new(DNSMASQ)
                    .args(dnsmasq_args(port))
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap_or_else(|e| panic!("cannot run {DNSMASQ}: {e}"));
                let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
                match wait_until_answering(&mut child, addr) {
                    Ok(()) => return Self { child, addr },
                    Err(e) => last_error = e,
                }
            }
            panic!("dnsmasq did not start: {last_error}");
        }
    }

    impl Drop for Dnsmasq {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    /// The test zone.
    fn dnsmasq_args(port: u16) -> Vec<String> {
        let mut args: Vec<String> = [
            "--keep-in-foreground",
            "--no-daemon",
            "--conf-file=/dev/null",
            "--no-resolv",
            "--no-hosts",
            "--listen-address=127.0.0.1",
            "--bind-interfaces",
            "--local=/test/",
            // Small UDP answers, so that many.test needs TCP.
            "--edns-packet-max=512",
            "--srv-host=_msrps._tcp.relay.test,kamailio.relay.test,2856,0,0",
            "--srv-host=_msrp._tcp.relay.test,plain.relay.test,2857,0,0",
            "--host-record=kamailio.relay.test,127.0.0.1",
            "--srv-host=_msrps._tcp.two.test,backup.two.test,2861,20,0",
            "--srv-host=_msrps._tcp.two.test,primary.two.test,2860,10,0",
            "--srv-host=_msrps._tcp.gone.test",
            "--host-record=nosrv.test,127.0.0.1",
        ]
        .map(String::from)
        .into();
        args.push(format!("--port={port}"));
        for i in 0..40u16 {
            args.push(format!(
                "--srv-host=_msrps._tcp.many.test,relay{i}.many.test,{},{i},0",
                3000 + i
            ));
        }
        args
    }

    /// A port free for both UDP and TCP on 127.0.0.1 right now.
    fn free_port() -> u16 {
        loop {
            let udp = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
            let port = udp.local_addr().unwrap().port();
            if TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_ok() {
                return port;
            }
        }
    }

    /// Polls dnsmasq with real lookups until it answers, it exits, or 5 s pass.
    fn wait_until_answering(child: &mut Child, addr: SocketAddr) -> Result<(), String> {
        let give_up = Instant::now() + Duration::from_secs(5);
        while Instant::now() < give_up {
            if let Some(status) = child.try_wait().unwrap() {
                let mut stderr = String::new();
                if let Some(mut pipe) = child.stderr.take() {
                    let _ = pipe.read_to_string(&mut stderr);
                }
                return Err(format!("it exited ({status}): {}", stderr.trim()));
            }
            if lookup_blocking(
                "relay.test",
                true,
                &[addr],
                Duration::from_millis(200),
                SEED,
            )
            .is_ok()
            {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
        Err(format!("no answer at {addr} within 5 s"))
    }

    /// The targets found, as (host, port): the addresses that came with
    /// them are checked apart.
    fn lookup_at(dns: &Dnsmasq, domain: &str, tls: bool) -> Result<Vec<(String, u16)>, SrvError> {
        let targets = lookup_blocking(domain, tls, &[dns.addr], Duration::from_secs(2), SEED)?;
        Ok(targets.into_iter().map(|t| (t.host, t.port)).collect())
    }

    fn target(host: &str, port: u16) -> (String, u16) {
        (host.into(), port)
    }

    #[test]
    fn dnsmasq_sends_the_targets_address_along() {
        let dns = Dnsmasq::start();
        let targets = lookup_blocking(
            "relay.test",
            true,
            &[dns.addr],
            Duration::from_secs(2),
            SEED,
        )
        .unwrap();
        assert_eq!(targets[0].addrs, [IpAddr::from([127, 0, 0, 1])]);
    }

    #[test]
    fn dnsmasq_tls_relay_is_found() {
        let dns = Dnsmasq::start();
        assert_eq!(
            lookup_at(&dns, "relay.test", true).unwrap(),
            [target("kamailio.relay.test", 2856)]
        );
    }

    #[test]
    fn dnsmasq_tcp_relay_is_found_under_msrp() {
        let dns = Dnsmasq::start();
        assert_eq!(
            lookup_at(&dns, "relay.test.", false).unwrap(),
            [target("plain.relay.test", 2857)]
        );
    }

    #[test]
    fn dnsmasq_two_priorities_are_ordered() {
        let dns = Dnsmasq::start();
        assert_eq!(
            lookup_at(&dns, "two.test", true).unwrap(),
            [
                target("primary.two.test", 2860),
                target("backup.two.test", 2861)
            ]
        );
    }

    #[test]
    fn dnsmasq_no_srv_record_falls_back_to_the_domain() {
        let dns = Dnsmasq::start();
        // NXDOMAIN for the SRV name, though the domain itself exists.
        assert_eq!(
            lookup_at(&dns, "nosrv.test", true).unwrap(),
            [target("nosrv.test", 2855)]
        );
        // No _msrp._tcp record where only _msrps._tcp exists.
        assert_eq!(
            lookup_at(&dns, "two.test", false).unwrap(),
            [target("two.test", 2855)]
        );
    }

    #[test]
    fn dnsmasq_dot_target_is_unavailable() {
        let dns = Dnsmasq::start();
        let err = lookup_at(&dns, "gone.test", true).unwrap_err();
        assert!(matches!(err, SrvError::Unavailable { .. }), "{err}");
        assert_eq!(
            err.to_string(),
            format!(
                "SRV lookup of _msrps._tcp.gone.test at {}: the domain says the service is not available there (SRV target \".\")",
                dns.addr
            )
        );
    }

    #[test]
    fn dnsmasq_refused_is_a_server_failure() {
        let dns = Dnsmasq::start();
        let err = lookup_at(&dns, "outside.invalid", true).unwrap_err();
        assert!(
            matches!(
                err,
                SrvError::ServerFailure {
                    rcode: ResponseCode::Refused,
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("(RCODE 5)"), "{err}");
    }

    #[test]
    fn dnsmasq_truncated_answer_is_asked_again_over_tcp() {
        let dns = Dnsmasq::start();
        let targets = lookup_at(&dns, "many.test", true).unwrap();
        let expected: Vec<(String, u16)> = (0..40u16)
            .map(|i| target(&format!("relay{i}.many.test"), 3000 + i))
            .collect();
        assert_eq!(targets, expected);
    }

    #[test]
    fn dnsmasq_answers_after_a_silent_server() {
        let dns = Dnsmasq::start();
        let silent = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let servers = [silent.local_addr().unwrap(), dns.addr];
        let targets =
            lookup_blocking("relay.test", true, &servers, Duration::from_secs(2), SEED).unwrap();
        assert_eq!(targets[0].host, "kamailio.relay.test");
        assert_eq!(targets[0].port, 2856);
    }

    #[test]
    fn dnsmasq_async_lookup_from_any_executor() {
        let dns = Dnsmasq::start();
        let servers = NameServers::Only(vec![dns.addr]);
        let found = block_on(lookup(
            "two.test".into(),
            true,
            servers,
            Duration::from_secs(2),
            SEED,
        ));
        let found: Vec<(String, u16)> = found
            .unwrap()
            .into_iter()
            .map(|t| (t.host, t.port))
            .collect();
        assert_eq!(
            found,
            [
                target("primary.two.test", 2860),
                target("backup.two.test", 2861)
            ]
        );
    }

    #[test]
    fn silent_server_times_out_within_the_timeout() {
        // Bound and never read: the query goes unanswered.
        let silent = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let server = silent.local_addr().unwrap();
        let timeout = Duration::from_millis(300);
        let start = Instant::now();
        let err = lookup_blocking("relay.test", true, &[server], timeout, SEED).unwrap_err();
        let took = start.elapsed();
        assert!(matches!(err, SrvError::Timeout { .. }), "{err}");
        assert!(took < timeout + Duration::from_millis(150), "took {took:?}");
        assert_eq!(
            err.to_string(),
            format!("SRV lookup of _msrps._tcp.relay.test: no answer from {server} within 300ms")
        );
    }

    #[test]
    fn closed_port_fails_fast_with_the_socket_error() {
        // Nothing listens there: the ICMP "port unreachable" comes back.
        let server = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))
            .unwrap()
            .local_addr()
            .unwrap();
        let start = Instant::now();
        let err = lookup_blocking("relay.test", true, &[server], Duration::from_secs(5), SEED)
            .unwrap_err();
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "took {:?}",
            start.elapsed()
        );
        assert!(matches!(err, SrvError::Io { .. }), "{err}");
        assert!(
            err.to_string().starts_with(&format!(
                "SRV lookup of _msrps._tcp.relay.test at {server}: "
            )),
            "{err}"
        );
    }

    /// Runs a future on this thread: enough to show that [`lookup`] needs
    /// no particular runtime.
    fn block_on<F: Future>(future: F) -> F::Output {
        struct Unpark(std::thread::Thread);
        impl Wake for Unpark {
            fn wake(self: Arc<Self>) {
                self.0.unpark();
            }
        }
        let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
        let mut cx = Context::from_waker(&waker);
        let mut future = pin!(future);
        loop {
            if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
                return output;
            }
            std::thread::park();
        }
    }
}
