//! Writing the small chunks a connection sends on its own: responses,
//! REPORTs, and bodiless SENDs (binding, keep-alive).

use std::fmt::Write as _;

use bytes::{BufMut, Bytes, BytesMut};

use crate::path::Path;
use crate::uri::MsrpUri;
use crate::wire::{ByteRange, ChunkHead, Continuation};

/// The comment that goes with a status code (RFC 4975 §10, RFC 4976 §5,
/// and the codes RFC 7701 registers in the IANA MSRP status code registry).
pub(crate) fn reason_phrase(code: u16) -> &'static str {
    match code {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Failure to resolve recipient's URI",
        408 => "Request Timeout",
        413 => "Message Too Large",
        415 => "Unsupported Media Type",
        423 => "Interval Out-of-Bounds",
        424 => "Malformed nickname",
        425 => "Nickname reserved or already in use",
        428 => "Private messages not supported",
        481 => "Session Does Not Exist",
        501 => "Not Implemented",
        506 => "Session Already Bound",
        _ => "Error",
    }
}

fn put_path(out: &mut BytesMut, name: &str, uris: &[MsrpUri]) {
    out.put_slice(name.as_bytes());
    out.put_slice(b": ");
    for (i, uri) in uris.iter().enumerate() {
        if i > 0 {
            out.put_u8(b' ');
        }
        out.put_slice(uri.as_str().as_bytes());
    }
    out.put_slice(b"\r\n");
}

/// The response to `request` (RFC 4975 §7.2): a response to SEND goes back
/// one hop only (To-Path: the first URI of the request's From-Path;
/// From-Path: the URI the request was addressed to); any other response
/// carries the request's whole From-Path.
#[cfg(test)]
pub(crate) fn response(request: &ChunkHead, code: u16) -> Bytes {
    response_parts(
        request.transaction_id(),
        request.method() == Some(&crate::wire::Method::Send),
        request.to_path(),
        request.from_path(),
        code,
    )
}

/// [`response`] from the parts of a request, for requests that were
/// rejected before a head could be built.
pub(crate) fn response_parts(tid: &str, is_send: bool, to: &Path, from: &Path, code: u16) -> Bytes {
    response_with_paths(tid.as_bytes(), code, &response_paths(is_send, to, from))
}

/// The To-Path and From-Path lines of a response (RFC 4975 §7.2): to one
/// hop back for SEND, to the whole From-Path otherwise. Cached by the
/// connection, since a session's responses repeat them.
pub(crate) fn response_paths(is_send: bool, to: &Path, from: &Path) -> Bytes {
    let back = if is_send {
        std::slice::from_ref(from.first())
    } else {
        from.uris()
    };
    let local = std::slice::from_ref(to.first());
    let len: usize = back.iter().chain(local).map(|u| u.as_str().len() + 1).sum();
    let mut out = BytesMut::with_capacity(len + 24);
    put_path(&mut out, "To-Path", back);
    put_path(&mut out, "From-Path", local);
    out.freeze()
}

/// A response: start line, the given path lines, end-line.
pub(crate) fn response_with_paths(tid: &[u8], code: u16, paths: &[u8]) -> Bytes {
    let reason = reason_phrase(code);
    let digits = match code {
        0..1000 => 3, // zero-padded, as the grammar wants
        1000..10000 => 4,
        _ => 5,
    };
    // Exactly its size: a buffer with room to spare costs a second
    // allocation when frozen into `Bytes`, and a `Vec` inlines the small
    // copies that `BytesMut` makes calls for (benches/connection.rs, small).
    let len = 5 + tid.len() + 1 + digits + 1 + reason.len() + 2 + paths.len() + 7 + tid.len() + 3;
    let mut out = Vec::with_capacity(len);
    // `MSRP <tid> <code:03> <reason>`, written piece by piece: `write!` was
    // a third of the cost of a response (benches/connection.rs).
    out.extend_from_slice(b"MSRP ");
    out.extend_from_slice(tid);
    out.push(b' ');
    if code < 1000 {
        out.extend_from_slice(&[
            b'0' + (code / 100) as u8,
            b'0' + (code / 10 % 10) as u8,
            b'0' + (code % 10) as u8,
        ]);
    } else {
        crate::wire::put_decimal(&mut out, u64::from(code));
    }
    out.push(b' ');
    out.extend_from_slice(reason.as_bytes());
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(paths);
    crate::wire::write_end_line(&mut out, tid, Continuation::Complete, false);
    debug_assert_eq!(out.len(), len);
    Bytes::from(out)
}

/// A REPORT about a message (RFC 4975 §7.1.2): sent back along the SEND's
/// From-Path, with the range it covers and a status.
pub(crate) fn report(
    tid: &str,
    send: &ChunkHead,
    local: &MsrpUri,
    range: ByteRange,
    code: u16,
) -> Bytes {
    let mut out = BytesMut::with_capacity(256);
    let _ = write!(out, "MSRP {tid} REPORT\r\n");
    put_path(&mut out, "To-Path", send.from_path().uris());
    put_path(&mut out, "From-Path", std::slice::from_ref(local));
    if let Some(id) = send.message_id() {
        let _ = write!(out, "Message-ID: {id}\r\n");
    }
    let _ = write!(
        out,
        "Byte-Range: {range}\r\nStatus: 000 {code:03} {}\r\n",
        reason_phrase(code)
    );
    crate::wire::write_end_line(&mut out, tid.as_bytes(), Continuation::Complete, false);
    out.freeze()
}

/// A bodiless SEND (`Byte-Range: 1-0/0`): the binding request of RFC 4975
/// §5.4, also used as a keep-alive.
pub(crate) fn bodiless_send(tid: &str, request_paths: &[u8], message_id: &str) -> Bytes {
    let mut out = BytesMut::with_capacity(96 + request_paths.len());
    let _ = write!(out, "MSRP {tid} SEND\r\n");
    out.put_slice(request_paths);
    let _ = write!(out, "Message-ID: {message_id}\r\nByte-Range: 1-0/0\r\n");
    crate::wire::write_end_line(&mut out, tid.as_bytes(), Continuation::Complete, false);
    out.freeze()
}

/// A NICKNAME request (RFC 7701 §7.1): the session's paths and a
/// Use-Nickname header, already quoted; no Message-ID, no report headers,
/// no body.
pub(crate) fn nickname_request(tid: &str, request_paths: &[u8], quoted: &str) -> Bytes {
    let mut out = BytesMut::with_capacity(64 + request_paths.len() + quoted.len());
    let _ = write!(out, "MSRP {tid} NICKNAME\r\n");
    out.put_slice(request_paths);
    let _ = write!(out, "Use-Nickname: {quoted}\r\n");
    crate::wire::write_end_line(&mut out, tid.as_bytes(), Continuation::Complete, false);
    out.freeze()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{Event, Limits, Method, Parser};

    fn parse_one(bytes: &[u8]) -> ChunkHead {
        let mut parser = Parser::new(Limits::default());
        parser.feed(bytes);
        match parser.next() {
            Ok(Some(Event::Head(head))) => head,
            other => panic!("expected a head, got {other:?}"),
        }
    }

    fn send_head() -> ChunkHead {
        ChunkHead::request(Method::Send, "tid00001")
            .to_path(
                &"msrp://relay.example.com:2855/r1;tcp msrp://b.example.com:2855/b;tcp"
                    .parse()
                    .unwrap(),
            )
            .from_path(
                &"msrp://relay2.example.com:2855/r2;tcp msrp://a.example.com:2855/a;tcp"
                    .parse()
                    .unwrap(),
            )
            .message_id("msg00001")
            .build()
            .unwrap()
    }

    #[test]
    fn a_send_response_goes_back_one_hop() {
        let head = parse_one(&response(&send_head(), 200));
        assert_eq!(head.transaction_id(), "tid00001");
        assert_eq!(head.response_code(), Some(200));
        assert_eq!(head.response_comment(), Some("OK"));
        assert_eq!(
            head.to_path().to_string(),
            "msrp://relay2.example.com:2855/r2;tcp"
        );
        assert_eq!(
            head.from_path().to_string(),
            "msrp://relay.example.com:2855/r1;tcp"
        );
    }

    #[test]
    fn other_responses_carry_the_whole_from_path() {
        let auth = ChunkHead::request(Method::Auth, "tid00002")
            .to_path(&"msrps://relay.example.com:2855;tcp".parse().unwrap())
            .from_path(
                &"msrps://relay2.example.com:2855/r2;tcp msrps://a.example.com:2855/a;tcp"
                    .parse()
                    .unwrap(),
            )
            .build()
            .unwrap();
        let head = parse_one(&response(&auth, 501));
        assert_eq!(head.to_path().len(), 2);
        assert_eq!(head.response_comment(), Some("Not Implemented"));
    }

    #[test]
    fn a_report_retraces_the_from_path() {
        let local: MsrpUri = "msrp://b.example.com:2855/b;tcp".parse().unwrap();
        let range = ByteRange::new(1, Some(10), Some(10)).unwrap();
        let head = parse_one(&report("tid00003", &send_head(), &local, range, 200));
        assert_eq!(head.method(), Some(&Method::Report));
        assert_eq!(head.to_path(), send_head().from_path());
        assert_eq!(head.message_id(), Some("msg00001"));
        assert_eq!(head.byte_range(), Some(range));
        assert_eq!(head.status().map(|s| s.code), Some(200));
    }

    #[test]
    fn a_bodiless_send_has_no_body() {
        let paths = b"To-Path: msrp://b.example.com:2855/b;tcp\r\nFrom-Path: msrp://a.example.com:2855/a;tcp\r\n";
        let head = parse_one(&bodiless_send("tid00004", paths, "msg00004"));
        assert!(!head.has_body());
        assert_eq!(
            head.byte_range(),
            Some(ByteRange::new(1, Some(0), Some(0)).unwrap())
        );
    }

    #[test]
    fn numbers_are_written_as_write_would() {
        for n in [
            0,
            7,
            10,
            99,
            100,
            999,
            1000,
            65_535,
            u64::from(u32::MAX),
            u64::MAX,
        ] {
            let mut out = BytesMut::new();
            crate::wire::put_decimal(&mut out, n);
            assert_eq!(&out[..], n.to_string().as_bytes());
        }
        let paths = send_head();
        for code in [0u16, 7, 42, 200, 999, 1234, u16::MAX] {
            let bytes = response_parts("tid00001", true, paths.to_path(), paths.from_path(), code);
            let start = format!("MSRP tid00001 {code:03} {}\r\n", reason_phrase(code));
            assert!(bytes.starts_with(start.as_bytes()), "{code}");
        }
    }
}
