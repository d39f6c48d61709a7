//! The WebSocket opening handshake (RFC 6455 §4) for the `msrp`
//! subprotocol, sans-IO: bytes in, bytes out, nothing read or written here.
//!
//! Client:
//!
//! ```
//! use msrp_endpoint::ws::{ClientHandshake, ServerHandshake, WsLimits, WsUrl};
//! let url: WsUrl = "ws://relay.example.com:8080/".parse()?;
//! let mut client = ClientHandshake::new(&url, [7; 16], WsLimits::default());
//! let request = client.request();
//!
//! // ... the server side, as a relay's WebSocket listener runs it:
//! let mut server = ServerHandshake::new(WsLimits::default());
//! let upgrade = server.feed(&request).expect("a valid upgrade").expect("complete");
//! assert_eq!(upgrade.resource(), "/");
//! let response = upgrade.accept();
//!
//! // ... and back at the client: done, nothing left over.
//! let leftover = client.feed(&response).expect("msrp selected").expect("complete");
//! assert!(leftover.is_empty());
//! # Ok::<(), msrp_endpoint::Error>(())
//! ```

use sha1::{Digest, Sha1};

use super::{SUBPROTOCOL, WsError, WsLimits, WsUrl, base64};

/// RFC 6455 §1.3: appended to the key before hashing.
const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// Most headers in an upgrade request or response.
const MAX_HEADERS: usize = 48;

/// `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key`.
pub fn accept_key(key: &str) -> String {
    let mut sha = Sha1::new();
    sha.update(key.as_bytes());
    sha.update(GUID.as_bytes());
    base64(&sha.finalize())
}

/// Whether a comma-separated header value holds `token` (ASCII case
/// ignored).
fn has_token(value: &str, token: &str) -> bool {
    value
        .split(',')
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}

/// The client side: the upgrade request, then the check of the server's
/// answer.
#[derive(Debug)]
pub struct ClientHandshake {
    request: Vec<u8>,
    accept: String,
    buf: Vec<u8>,
    limit: usize,
}

impl ClientHandshake {
    /// The handshake for `url`, with `nonce` as the 16 random bytes of
    /// `Sec-WebSocket-Key` (take them from a CSPRNG).
    pub fn new(url: &WsUrl, nonce: [u8; 16], limits: WsLimits) -> Self {
        let key = base64(&nonce);
        let request = format!(
            "GET {} HTTP/1.1\r\n\
             Host: {}\r\n\
             Upgrade: websocket\r\n\
             Connection: Upgrade\r\n\
             Sec-WebSocket-Key: {key}\r\n\
             Sec-WebSocket-Version: 13\r\n\
             Sec-WebSocket-Protocol: {SUBPROTOCOL}\r\n\
             \r\n",
            url.resource(),
            url.host_header(),
        );
        Self {
            request: request.into_bytes(),
            accept: accept_key(&key),
            buf: Vec::new(),
            limit: limits.max_handshake,
        }
    }

    /// The HTTP upgrade request to send.
    pub fn request(&self) -> Vec<u8> {
        self.request.clone()
    }

    /// Takes bytes of the server's answer. `Ok(None)`: more needed.
    /// `Ok(Some(rest))`: the server accepted and selected `msrp`; `rest` is
    /// what followed the answer (the first WebSocket frames). An error: the
    /// server refused, did not select `msrp`, or answered something that is
    /// not a valid upgrade.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<Option<Vec<u8>>, WsError> {
        // Bounded: a head not complete within the limit is an error, so the
        // buffer holds at most the limit and one more piece.
        self.buf.extend_from_slice(bytes);
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut response = httparse::Response::new(&mut headers);
        let Some(len) = head_len(response.parse(&self.buf), self.buf.len(), self.limit)? else {
            return Ok(None);
        };
        let status = response.code.unwrap_or(0);
        if status != 101 {
            return Err(WsError::Refused {
                status,
                reason: response.reason.unwrap_or("").to_owned(),
            });
        }
        let header = |name: &str| {
            response
                .headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case(name))
                .and_then(|h| std::str::from_utf8(h.value).ok())
                .map(str::trim)
        };
        if !header("Upgrade").is_some_and(|v| has_token(v, "websocket")) {
            return Err(WsError::NotUpgrade("no `Upgrade: websocket` in the answer"));
        }
        if !header("Connection").is_some_and(|v| has_token(v, "upgrade")) {
            return Err(WsError::NotUpgrade(
                "no `Connection: Upgrade` in the answer",
            ));
        }
        if header("Sec-WebSocket-Accept") != Some(self.accept.as_str()) {
            return Err(WsError::NotUpgrade("wrong Sec-WebSocket-Accept"));
        }
        if header("Sec-WebSocket-Extensions").is_some_and(|v| !v.is_empty()) {
            return Err(WsError::NotUpgrade("an extension this side did not offer"));
        }
        // RFC 6455 §4.1: a subprotocol the client did not offer, or (for
        // MSRP, RFC 7977 §4.1) none at all, fails the connection.
        match header("Sec-WebSocket-Protocol") {
            Some(SUBPROTOCOL) => {}
            other => return Err(WsError::Subprotocol(other.map(str::to_owned))),
        }
        let rest = self.buf.split_off(len);
        self.buf.clear();
        Ok(Some(rest))
    }
}

/// The server side: reads a client's upgrade request and checks it.
#[derive(Debug)]
pub struct ServerHandshake {
    buf: Vec<u8>,
    limit: usize,
}

impl ServerHandshake {
    /// A server handshake waiting for the request.
    pub fn new(limits: WsLimits) -> Self {
        Self {
            buf: Vec::new(),
            limit: limits.max_handshake,
        }
    }

    /// Takes bytes of the client's request. `Ok(None)`: more needed.
    /// `Ok(Some(request))`: a valid WebSocket upgrade that offers `msrp`,
    /// to be answered with [`UpgradeRequest::accept`] (or refused with
    /// [`refusal`] after checks of the server's own, say of `Origin`). An
    /// error: answer it with [`refusal`] and close.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<Option<UpgradeRequest>, WsError> {
        // Bounded: a head not complete within the limit is an error, so the
        // buffer holds at most the limit and one more piece.
        self.buf.extend_from_slice(bytes);
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut request = httparse::Request::new(&mut headers);
        let Some(len) = head_len(request.parse(&self.buf), self.buf.len(), self.limit)? else {
            return Ok(None);
        };
        if request.method != Some("GET") {
            return Err(WsError::NotUpgrade("the method is not GET"));
        }
        if request.version != Some(1) {
            return Err(WsError::NotUpgrade("not HTTP/1.1"));
        }
        let headers: Vec<(String, String)> = request
            .headers
            .iter()
            .map(|h| {
                (
                    h.name.to_owned(),
                    String::from_utf8_lossy(h.value).trim().to_owned(),
                )
            })
            .collect();
        let upgrade = UpgradeRequest {
            resource: request.path.unwrap_or("/").to_owned(),
            headers,
            leftover: Vec::new(),
        };
        if !upgrade
            .header("Upgrade")
            .is_some_and(|v| has_token(v, "websocket"))
        {
            return Err(WsError::NotUpgrade("no `Upgrade: websocket`"));
        }
        if !upgrade
            .header("Connection")
            .is_some_and(|v| has_token(v, "upgrade"))
        {
            return Err(WsError::NotUpgrade("no `Connection: Upgrade`"));
        }
        if upgrade.header("Host").is_none() {
            return Err(WsError::NotUpgrade("no Host"));
        }
        match upgrade.header("Sec-WebSocket-Version") {
            Some("13") => {}
            other => return Err(WsError::Version(other.map(str::to_owned))),
        }
        // 16 bytes in base64: 24 characters ending in "==".
        if !upgrade
            .header("Sec-WebSocket-Key")
            .is_some_and(|k| k.len() == 24 && k.ends_with("=="))
        {
            return Err(WsError::NotUpgrade("no valid Sec-WebSocket-Key"));
        }
        if !upgrade
            .header("Sec-WebSocket-Protocol")
            .is_some_and(|v| v.split(',').any(|p| p.trim() == SUBPROTOCOL))
        {
            return Err(WsError::Subprotocol(
                upgrade.header("Sec-WebSocket-Protocol").map(str::to_owned),
            ));
        }
        let leftover = self.buf.split_off(len);
        self.buf.clear();
        Ok(Some(UpgradeRequest {
            leftover,
            ..upgrade
        }))
    }
}

/// A valid upgrade request offering `msrp`, as a server received it.
#[derive(Debug, Clone)]
pub struct UpgradeRequest {
    resource: String,
    headers: Vec<(String, String)>,
    leftover: Vec<u8>,
}

impl UpgradeRequest {
    /// The path and query asked for.
    pub fn resource(&self) -> &str {
        &self.resource
    }

    /// The first header named `name` (ASCII case ignored), trimmed.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every header, in order.
    pub fn headers(&self) -> impl Iterator<Item = (&str, &str)> {
        self.headers.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// Bytes the client sent after its request (its first frames), for
    /// [`WsFraming::with_input`](super::WsFraming::with_input).
    pub fn leftover(&self) -> &[u8] {
        &self.leftover
    }

    /// The 101 answer that selects `msrp`; with an `Origin` in the request,
    /// it is echoed in `Access-Control-Allow-Origin` (RFC 7977 §7).
    pub fn accept(&self) -> Vec<u8> {
        let key = self.header("Sec-WebSocket-Key").unwrap_or_default();
        let mut response = format!(
            "HTTP/1.1 101 Switching Protocols\r\n\
             Upgrade: websocket\r\n\
             Connection: Upgrade\r\n\
             Sec-WebSocket-Accept: {}\r\n\
             Sec-WebSocket-Protocol: {SUBPROTOCOL}\r\n",
            accept_key(key)
        );
        if let Some(origin) = self.header("Origin") {
            if origin.chars().all(|c| !c.is_ascii_control()) {
                response.push_str(&format!("Access-Control-Allow-Origin: {origin}\r\n"));
            }
        }
        response.push_str("\r\n");
        response.into_bytes()
    }
}

/// An HTTP answer refusing an upgrade with `status` (400, 403, 426, …);
/// 426 names the supported version (RFC 6455 §4.4). The connection is to
/// be closed after it.
pub fn refusal(status: u16) -> Vec<u8> {
    let reason = match status {
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        426 => "Upgrade Required",
        431 => "Request Header Fields Too Large",
        _ => "Refused",
    };
    let version = if status == 426 {
        "Sec-WebSocket-Version: 13\r\n"
    } else {
        ""
    };
    format!("HTTP/1.1 {status} {reason}\r\n{version}Content-Length: 0\r\nConnection: close\r\n\r\n")
        .into_bytes()
}

/// The HTTP answer refusing an upgrade that failed with `err`: its status
/// ([`WsError::http_status`]) and the error's text as a plain-text body,
/// so that whoever looks at the exchange (a browser's console) learns why,
/// say that the `msrp` subprotocol is required (RFC 7977 §4.1).
pub fn refusal_for(err: &WsError) -> Vec<u8> {
    let mut answer = refusal(err.http_status());
    let body = format!("{err}\n");
    let head = String::from_utf8_lossy(&answer).replace(
        "Content-Length: 0\r\n",
        &format!(
            "Content-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\n",
            body.len()
        ),
    );
    answer = head.into_bytes();
    answer.extend_from_slice(body.as_bytes());
    answer
}

/// The length of a complete HTTP head within `limit` bytes; `None` while
/// more is needed; an error for a head over the limit (complete or not)
/// or one that is not HTTP.
fn head_len(
    parsed: Result<httparse::Status<usize>, httparse::Error>,
    buffered: usize,
    limit: usize,
) -> Result<Option<usize>, WsError> {
    match parsed {
        Ok(httparse::Status::Complete(len)) if len <= limit => Ok(Some(len)),
        Ok(httparse::Status::Partial) if buffered < limit => Ok(None),
        Ok(_) => Err(WsError::HandshakeTooLarge(limit)),
        Err(e) => Err(WsError::Malformed(e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url() -> WsUrl {
        "ws://relay.test:8080/msrp".parse().unwrap()
    }

    fn limits() -> WsLimits {
        WsLimits::default()
    }

    #[test]
    fn accept_key_matches_rfc_6455_example() {
        assert_eq!(
            accept_key("dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn request_offers_msrp() {
        let client = ClientHandshake::new(&url(), *b"the sample nonce", limits());
        let text = String::from_utf8(client.request()).unwrap();
        assert!(text.starts_with("GET /msrp HTTP/1.1\r\n"), "{text}");
        assert!(text.contains("\r\nHost: relay.test:8080\r\n"), "{text}");
        assert!(text.contains("\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"));
        assert!(text.contains("\r\nSec-WebSocket-Protocol: msrp\r\n"));
        assert!(text.contains("\r\nSec-WebSocket-Version: 13\r\n"));
        assert!(text.ends_with("\r\n\r\n"));
    }

    fn answer(extra: &str) -> Vec<u8> {
        format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: WebSocket\r\nConnection: upgrade\r\n\
             Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n{extra}\r\n"
        )
        .into_bytes()
    }

    fn client() -> ClientHandshake {
        ClientHandshake::new(&url(), *b"the sample nonce", limits())
    }

    #[test]
    fn client_accepts_msrp_byte_by_byte_and_keeps_what_follows() {
        let mut client = client();
        let mut bytes = answer("Sec-WebSocket-Protocol: msrp\r\n");
        bytes.extend_from_slice(b"\x82\x01x");
        let (last, head) = bytes.split_last().unwrap();
        for b in head {
            // The head ends before the frame: complete once it is in.
            if let Some(rest) = client.feed(&[*b]).unwrap() {
                assert!(rest.is_empty());
                return;
            }
        }
        panic!("never completed ({last})");
    }

    #[test]
    fn client_returns_frames_sent_with_the_answer() {
        let mut client = client();
        let mut bytes = answer("Sec-WebSocket-Protocol: msrp\r\n");
        bytes.extend_from_slice(b"\x82\x01x");
        assert_eq!(client.feed(&bytes).unwrap().unwrap(), b"\x82\x01x");
    }

    #[test]
    fn client_refuses_a_server_without_msrp() {
        let err = client().feed(&answer("")).unwrap_err();
        assert!(matches!(err, WsError::Subprotocol(None)), "{err:?}");
        let err = client()
            .feed(&answer("Sec-WebSocket-Protocol: sip\r\n"))
            .unwrap_err();
        assert!(
            matches!(err, WsError::Subprotocol(Some(ref p)) if p == "sip"),
            "{err:?}"
        );
    }

    #[test]
    fn client_refuses_other_statuses_and_bad_answers() {
        let err = client()
            .feed(b"HTTP/1.1 404 Not found\r\nContent-Length: 0\r\n\r\n")
            .unwrap_err();
        assert!(
            matches!(err, WsError::Refused { status: 404, ref reason } if reason == "Not found")
        );
        let wrong = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                      Sec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\nSec-WebSocket-Protocol: msrp\r\n\r\n";
        assert!(matches!(client().feed(wrong), Err(WsError::NotUpgrade(_))));
        let ext = answer(
            "Sec-WebSocket-Protocol: msrp\r\nSec-WebSocket-Extensions: permessage-deflate\r\n",
        );
        assert!(matches!(client().feed(&ext), Err(WsError::NotUpgrade(_))));
        assert!(matches!(
            client().feed(b"MSRP abc 200 OK\r\n\r\n"),
            Err(WsError::Malformed(_))
        ));
    }

    #[test]
    fn client_bounds_the_answer() {
        let mut client = ClientHandshake::new(
            &url(),
            [0; 16],
            WsLimits {
                max_handshake: 64,
                ..limits()
            },
        );
        let mut result = client.feed(b"HTTP/1.1 101 Switching Protocols\r\n");
        for _ in 0..10 {
            result = client.feed(b"X-Long: aaaaaaaaaaaaaaaa\r\n");
            if result.is_err() {
                break;
            }
        }
        assert!(
            matches!(result, Err(WsError::HandshakeTooLarge(64))),
            "{result:?}"
        );
    }

    /// A head of exactly the limit is taken; one byte more is refused,
    /// whether it is complete or still partial at the limit.
    #[test]
    fn a_head_at_the_limit_is_taken_and_one_byte_more_is_not() {
        let head = b"HTTP/1.1 200 OK\r\n\r\n";
        let limit = head.len();
        let parse = |bytes: &[u8]| {
            let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
            httparse::Response::new(&mut headers).parse(bytes)
        };
        assert!(matches!(head_len(parse(head), limit, limit), Ok(Some(n)) if n == limit));
        assert!(matches!(
            head_len(parse(head), limit, limit - 1),
            Err(WsError::HandshakeTooLarge(_))
        ));
        let partial = &head[..limit - 2];
        assert!(matches!(
            head_len(parse(partial), partial.len(), limit),
            Ok(None)
        ));
        assert!(matches!(
            head_len(parse(partial), partial.len(), partial.len()),
            Err(WsError::HandshakeTooLarge(_))
        ));
        assert!(matches!(
            head_len(parse(b"\x00garbage\r\n\r\n"), 12, limit),
            Err(WsError::Malformed(_))
        ));
    }

    fn request(protocols: Option<&str>, version: &str) -> Vec<u8> {
        let protocol = protocols
            .map(|p| format!("Sec-WebSocket-Protocol: {p}\r\n"))
            .unwrap_or_default();
        format!(
            "GET /chat?x=1 HTTP/1.1\r\nHost: relay.test\r\nUpgrade: websocket\r\n\
             Connection: keep-alive, Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
             Origin: https://app.test\r\nSec-WebSocket-Version: {version}\r\n{protocol}\r\n"
        )
        .into_bytes()
    }

    #[test]
    fn server_accepts_msrp_among_several_and_answers_with_it() {
        let mut server = ServerHandshake::new(limits());
        let mut bytes = request(Some("sip, msrp"), "13");
        let frame = b"\x82\x81abcdx";
        bytes.extend_from_slice(frame);
        let upgrade = server.feed(&bytes).unwrap().unwrap();
        assert_eq!(upgrade.resource(), "/chat?x=1");
        assert_eq!(upgrade.header("origin"), Some("https://app.test"));
        assert_eq!(upgrade.leftover(), frame);
        let answer = String::from_utf8(upgrade.accept()).unwrap();
        assert!(answer.starts_with("HTTP/1.1 101 "), "{answer}");
        assert!(answer.contains("\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"));
        assert!(answer.contains("\r\nSec-WebSocket-Protocol: msrp\r\n"));
        assert!(answer.contains("\r\nAccess-Control-Allow-Origin: https://app.test\r\n"));
        // and a client takes it
        assert!(client().feed(answer.as_bytes()).unwrap().is_some());
    }

    #[test]
    fn server_needs_the_whole_head() {
        let mut server = ServerHandshake::new(limits());
        let bytes = request(Some("msrp"), "13");
        let (head, last) = bytes.split_at(bytes.len() - 1);
        assert!(server.feed(head).unwrap().is_none());
        assert!(server.feed(last).unwrap().is_some());
    }

    #[test]
    fn server_refuses_without_msrp_or_with_another_version() {
        let err = ServerHandshake::new(limits())
            .feed(&request(None, "13"))
            .unwrap_err();
        assert!(matches!(err, WsError::Subprotocol(None)));
        assert_eq!(err.http_status(), 400);
        let err = ServerHandshake::new(limits())
            .feed(&request(Some("sip"), "13"))
            .unwrap_err();
        assert!(matches!(err, WsError::Subprotocol(Some(_))));
        let err = ServerHandshake::new(limits())
            .feed(&request(Some("msrp"), "8"))
            .unwrap_err();
        assert!(matches!(err, WsError::Version(Some(ref v)) if v == "8"));
        assert_eq!(err.http_status(), 426);
        let answer = String::from_utf8(refusal(426)).unwrap();
        assert!(answer.starts_with("HTTP/1.1 426 Upgrade Required\r\n"));
        assert!(answer.contains("Sec-WebSocket-Version: 13\r\n"));
        // With the reason in the body.
        let err = WsError::Subprotocol(Some("sip".into()));
        let answer = String::from_utf8(refusal_for(&err)).unwrap();
        let (head, body) = answer.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{head}");
        assert!(
            head.contains(&format!("Content-Length: {}", body.len())),
            "{head}"
        );
        assert!(body.contains("msrp subprotocol"), "{body}");
    }

    #[test]
    fn server_refuses_what_is_not_an_upgrade() {
        for bad in [
            &b"POST / HTTP/1.1\r\nHost: x\r\n\r\n"[..],
            b"GET / HTTP/1.0\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
              Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: msrp\r\n\r\n",
            b"MSRP a1 SEND\r\nTo-Path: msrp://x:1/a;tcp\r\n\r\n",
        ] {
            assert!(
                ServerHandshake::new(limits()).feed(bad).is_err(),
                "{}",
                bad.escape_ascii()
            );
        }
        let mut server = ServerHandshake::new(WsLimits {
            max_handshake: 100,
            ..limits()
        });
        let err = server.feed(&request(Some("msrp"), "13")).unwrap_err();
        assert!(matches!(err, WsError::HandshakeTooLarge(100)));
        assert_eq!(err.http_status(), 431);
    }
}
