#!/usr/bin/env python3
"""Hand-driven probe of the harness relay (Kamailio msrp module, RFC 4976).

Standard library only.  Talks raw MSRP to the relay that
`scripts/relay-harness start DIR` started and prints every frame the relay
sends, so that its behaviour can be read off the output:

    scripts/relay-harness start /tmp/relay
    python3 tests/relay/probe.py /tmp/relay/env            # all checks
    python3 tests/relay/probe.py /tmp/relay/env auth send  # some of them
    python3 tests/relay/probe.py --list

Each check prints PASS/FAIL lines for what it expects and INFO lines for
what it only observes; the exit code is 1 if any check failed.
"""

import hashlib
import os
import random
import socket
import ssl
import string
import struct
import sys
import threading
import time

TIMEOUT = 3.0
VERBOSE = True
FAILED = []


# ----------------------------------------------------------------- output


def info(msg):
    print(f"  INFO {msg}")


def check(ok, msg):
    print(f"  {'PASS' if ok else 'FAIL'} {msg}")
    if not ok:
        FAILED.append(msg)
    return ok


def show(label, frame):
    """Print a frame as it was on the wire (body abbreviated)."""
    if not VERBOSE or frame is None:
        return
    print(f"  --- {label}")
    for line in frame.head_lines():
        print(f"  | {line}")
    if frame.body:
        print(f"  | <body: {len(frame.body)} bytes>")
    print(f"  | {frame.endline}")


def rand_id(n=12):
    return "".join(random.choice(string.ascii_letters + string.digits) for _ in range(n))


# ----------------------------------------------------------------- frames


class Frame:
    def __init__(self, tid, method=None, code=None, reason="", headers=None,
                 body=b"", flag="$"):
        self.tid = tid
        self.method = method
        self.code = code
        self.reason = reason
        self.headers = headers or []  # [(name, value)] in wire order
        self.body = body
        self.flag = flag

    def header(self, name):
        for n, v in self.headers:
            if n.lower() == name.lower():
                return v
        return None

    def start_line(self):
        if self.method:
            return f"MSRP {self.tid} {self.method}"
        return f"MSRP {self.tid} {self.code}" + (f" {self.reason}" if self.reason else "")

    def head_lines(self):
        return [self.start_line()] + [f"{n}: {v}" for n, v in self.headers]

    @property
    def endline(self):
        return f"-------{self.tid}{self.flag}"

    def encode(self):
        head = "\r\n".join(self.head_lines()) + "\r\n"
        out = head.encode()
        if self.body:
            out += b"\r\n" + self.body + b"\r\n"
        return out + self.endline.encode() + b"\r\n"

    def __repr__(self):
        return self.start_line()


def request(method, to_path, from_path, headers=(), body=b"", flag="$", tid=None):
    hs = [("To-Path", " ".join(to_path)), ("From-Path", " ".join(from_path))]
    hs += list(headers)
    return Frame(tid or rand_id(10), method=method, headers=hs, body=body, flag=flag)


class Conn:
    """One MSRP connection (TCP or TLS) with a frame reader."""

    def __init__(self, name, addr, tls=None):
        self.name = name
        host, port = addr.rsplit(":", 1)
        raw = socket.create_connection((host, int(port)), timeout=TIMEOUT)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if tls:
            ctx, sni = tls
            self.sock = ctx.wrap_socket(raw, server_hostname=sni)
        else:
            self.sock = raw
        self.buf = b""
        self.scheme = "msrps" if tls else "msrp"
        # like msrplib: a made-up port, never the real source port
        self.uri = f"{self.scheme}://127.0.0.1:2855/{rand_id()};tcp"
        self.closed = False

    def send(self, frame):
        self.sock.sendall(frame.encode() if isinstance(frame, Frame) else frame)

    def _fill(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            raise socket.timeout()
        self.sock.settimeout(left)
        data = self.sock.recv(262144)
        if not data:
            self.closed = True
            raise ConnectionError(f"{self.name}: connection closed by the relay")
        self.buf += data

    def recv(self, timeout=TIMEOUT):
        """Next frame, or None on timeout.  Raises ConnectionError on EOF."""
        deadline = time.monotonic() + timeout
        try:
            while b"\r\n" not in self.buf:
                self._fill(deadline)
            first, _, _ = self.buf.partition(b"\r\n")
            parts = first.decode("latin-1").split(" ", 3)
            if len(parts) < 3 or parts[0] != "MSRP":
                raise ValueError(f"{self.name}: bad start line {first!r}")
            tid = parts[1]
            frame = Frame(tid)
            if parts[2].isdigit():
                frame.code = int(parts[2])
                frame.reason = parts[3] if len(parts) > 3 else ""
            else:
                frame.method = parts[2]
            end = b"-------" + tid.encode()
            pos = len(first) + 2
            while True:  # header lines
                while self.buf.find(b"\r\n", pos) < 0:
                    self._fill(deadline)
                eol = self.buf.find(b"\r\n", pos)
                line = self.buf[pos:eol]
                pos = eol + 2
                if line.startswith(end) and len(line) == len(end) + 1:
                    frame.flag = chr(line[-1])
                    self.buf = self.buf[pos:]
                    return frame
                if line == b"":
                    break
                name, _, value = line.decode("latin-1").partition(":")
                frame.headers.append((name, value.strip()))
            marker = b"\r\n" + end
            while True:  # body up to CRLF end-line
                i = self.buf.find(marker, pos)
                if i >= 0 and len(self.buf) >= i + len(marker) + 3:
                    frame.body = self.buf[pos:i]
                    frame.flag = chr(self.buf[i + len(marker)])
                    self.buf = self.buf[i + len(marker) + 3:]
                    return frame
                self._fill(deadline)
        except (socket.timeout, TimeoutError, ssl.SSLError) as e:
            if isinstance(e, ssl.SSLError) and "timed out" not in str(e):
                raise
            return None

    def recv_all(self, timeout=0.5):
        out = []
        while True:
            try:
                f = self.recv(timeout)
            except ConnectionError:
                break
            if f is None:
                break
            out.append(f)
        return out

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


# ----------------------------------------------------------------- relay client


class Env:
    def __init__(self, path):
        vals = {}
        if path:
            for line in open(path):
                line = line.strip()
                if line and not line.startswith("#") and "=" in line:
                    k, v = line.split("=", 1)
                    vals[k] = v
        get = lambda k: vals.get(k) or os.environ[k]
        self.tcp = get("MSRP_TEST_RELAY_TCP")
        self.tls = get("MSRP_TEST_RELAY_TLS")
        self.ca = get("MSRP_TEST_RELAY_CA")
        self.user = get("MSRP_TEST_RELAY_USER")
        self.password = get("MSRP_TEST_RELAY_PASSWORD")
        self.forbidden = get("MSRP_TEST_RELAY_FORBIDDEN_USER")
        self.realm = get("MSRP_TEST_RELAY_REALM")
        self.min_expires = int(get("MSRP_TEST_RELAY_MIN_EXPIRES"))
        self.max_expires = int(get("MSRP_TEST_RELAY_MAX_EXPIRES"))
        self.host = get("MSRP_TEST_RELAY_HOST")
        self.domain = get("MSRP_TEST_RELAY_DOMAIN")
        self.dns = get("MSRP_TEST_DNS")
        ctx = ssl.create_default_context(cafile=self.ca)
        self.tls_ctx = (ctx, self.host)

    def connect(self, name, tls):
        if tls:
            return Conn(name, self.tls, self.tls_ctx)
        return Conn(name, self.tcp)

    def auth_uri(self, tls):
        # the AUTH To-Path URI: the relay's address, no session part
        return f"msrps://{self.tls};tcp" if tls else f"msrp://{self.tcp};tcp"


def parse_challenge(value):
    """'Digest realm="x", nonce="y", qop="auth"' -> dict (quotes removed)."""
    assert value.startswith("Digest ")
    out = {}
    for item in value[7:].split(","):
        k, _, v = item.strip().partition("=")
        out[k] = v.strip('"')
    return out


def md5(s):
    return hashlib.md5(s.encode()).hexdigest()


def authorization(chal, user, password, uri, with_uri, nc="00000001", cnonce=None):
    """RFC 4976 sec. 9.1 / RFC 2617 digest with qop=auth.  H(A2) always uses
    the AUTH To-Path URI; with_uri adds it as uri= (RFC 2617 / RFC 7977 form)."""
    cnonce = cnonce or rand_id(16)
    ha1 = md5(f"{user}:{chal['realm']}:{password}")
    ha2 = md5(f"AUTH:{uri}")
    resp = md5(f"{ha1}:{chal['nonce']}:{nc}:{cnonce}:auth:{ha2}")
    parts = [f'username="{user}"', f'realm="{chal["realm"]}"', f'nonce="{chal["nonce"]}"']
    if with_uri:
        parts.append(f'uri="{uri}"')
    parts += ["qop=auth", f"nc={nc}", f'cnonce="{cnonce}"', f'response="{resp}"']
    if "opaque" in chal:
        parts.append(f'opaque="{chal["opaque"]}"')
    return "Digest " + ", ".join(parts)


def auth_exchange(env, conn, tls, user=None, password=None, expires=None,
                  with_uri=False, label="", quiet=False):
    """AUTH, answer the 401, return (final response frame, challenge dict)."""
    user = user or env.user
    password = password if password is not None else env.password
    uri = env.auth_uri(tls)
    extra = [("Expires", str(expires))] if expires is not None else []
    req = request("AUTH", [uri], [conn.uri], extra)
    conn.send(req)
    r401 = conn.recv()
    if not quiet:
        show(f"{label}AUTH (no credentials) ->", r401)
    if r401 is None or r401.code != 401:
        return r401, None
    chal = parse_challenge(r401.header("WWW-Authenticate"))
    req2 = request("AUTH", [uri], [conn.uri],
                   [("Authorization", authorization(chal, user, password, uri, with_uri))] + extra)
    if not quiet:
        show(f"{label}AUTH with credentials <-", req2)
    conn.send(req2)
    final = conn.recv()
    if not quiet:
        show(f"{label}answer ->", final)
    return final, chal


def relay_client(env, name, tls, expires=None, with_uri=False):
    """Connected, authenticated client: (conn, relay_uri)."""
    c = env.connect(name, tls)
    r, _ = auth_exchange(env, c, tls, expires=expires, with_uri=with_uri, quiet=True)
    if r is None or r.code != 200:
        raise RuntimeError(f"{name}: AUTH failed: {r}")
    return c, r.header("Use-Path")


def send_req(a, to_path, body=b"", msgid=None, byte_range=None, extra=(), flag="$", tid=None):
    msgid = msgid or rand_id()
    hs = [("Message-ID", msgid)]
    if byte_range is None:
        byte_range = f"1-{len(body)}/{len(body)}"
    hs.append(("Byte-Range", byte_range))
    hs += list(extra)
    if body:
        hs.append(("Content-Type", "application/octet-stream"))
    return request("SEND", to_path, [a.uri], hs, body, flag, tid)


def ok_response(frame, me, code=200, reason="OK"):
    """Transaction response: To-Path = the previous hop only (RFC 4975 7.2)."""
    prev = frame.header("From-Path").split()[0]
    return Frame(frame.tid, code=code, reason=reason,
                 headers=[("To-Path", prev), ("From-Path", me.uri)])


def pair(env, a_tls=True, b_tls=False):
    """A and B, each authenticated on its own relay connection; returns
    (A, relayA, B, relayB, To-Path for A->B, To-Path for B->A)."""
    a, ra = relay_client(env, "A", a_tls)
    b, rb = relay_client(env, "B", b_tls)
    # RFC 4976 sec. 5.1: To-Path = own Use-Path ++ peer's SDP path, where the
    # peer's path = reverse(its Use-Path) ++ its own URI.
    return a, ra, b, rb, [ra, rb, b.uri], [rb, ra, a.uri]


# ----------------------------------------------------------------- checks


def c_auth(env):
    """401 challenge, 200 with and without uri=, over TCP and TLS."""
    for tls in (False, True):
        for with_uri in (False, True):
            t = "TLS" if tls else "TCP"
            print(f" [{t}, Authorization {'with' if with_uri else 'without'} uri=]")
            c = env.connect("C", tls)
            r, chal = auth_exchange(env, c, tls, expires=600, with_uri=with_uri)
            check(chal is not None, f"{t}: first AUTH answered 401 with WWW-Authenticate")
            if chal:
                check(chal.get("qop") == "auth" and chal.get("realm") == env.realm,
                      f"{t}: challenge realm={chal.get('realm')} qop={chal.get('qop')} "
                      f"opaque={'opaque' in chal} params={sorted(chal)}")
            if check(r is not None and r.code == 200, f"{t}: AUTH with credentials -> {r}"):
                up = r.header("Use-Path")
                check(up and up.startswith(f"{c.scheme}://{env.tls if tls else env.tcp}/"),
                      f"{t}: Use-Path {up}")
                check(r.header("Expires") == "600", f"{t}: Expires {r.header('Expires')}")
                info(f"{t}: 200 headers: {[n for n, _ in r.headers]}; "
                     f"Authentication-Info present: {r.header('Authentication-Info') is not None}")
                check(r.header("To-Path") == c.uri, f"{t}: 200 To-Path is the client URI")
            c.close()
    print(" [no Expires header]")
    c = env.connect("C", False)
    r, _ = auth_exchange(env, c, False, quiet=True)
    check(r is not None and r.code == 200, f"AUTH without Expires -> {r}, Expires: {r and r.header('Expires')}")
    c.close()
    print(" [AUTH To-Path by domain name, as after SRV discovery]")
    c = env.connect("C", True)
    uri = f"msrps://{env.domain};tcp"
    c.send(request("AUTH", [uri], [c.uri]))
    r = c.recv()
    if r and r.code == 401:
        chal = parse_challenge(r.header("WWW-Authenticate"))
        c.send(request("AUTH", [uri], [c.uri],
                       [("Authorization", authorization(chal, env.user, env.password, uri, False))]))
        r = c.recv()
    check(r is not None and r.code == 200, f"AUTH To-Path {uri} -> {r}; Use-Path {r and r.header('Use-Path')}")
    c.close()


def c_refused(env):
    """Expires out of bounds, wrong password, forbidden user, nonce reuse."""
    for tls in (False, True):
        t = "TLS" if tls else "TCP"
        c = env.connect("C", tls)
        r, _ = auth_exchange(env, c, tls, expires=env.min_expires - 1, label=f"{t} Expires too small: ")
        check(r is not None and r.code == 423 and r.header("Min-Expires") == str(env.min_expires),
              f"{t}: Expires {env.min_expires - 1} -> {r}, Min-Expires {r and r.header('Min-Expires')}")
        r, _ = auth_exchange(env, c, tls, expires=env.max_expires + 1, label=f"{t} Expires too large: ")
        check(r is not None and r.code == 423 and r.header("Max-Expires") == str(env.max_expires),
              f"{t}: Expires {env.max_expires + 1} -> {r}, Max-Expires {r and r.header('Max-Expires')}")
        r, _ = auth_exchange(env, c, tls, expires=env.min_expires, quiet=True)
        check(r is not None and r.code == 200, f"{t}: Expires {env.min_expires} (the minimum) -> {r}")
        c.close()
    for with_uri in (False, True):
        w = "with" if with_uri else "without"
        c = env.connect("C", True)
        r, first = auth_exchange(env, c, True, password="wrong", with_uri=with_uri,
                                 label=f"wrong password, {w} uri=: ")
        check(r is not None and r.code in (401, 403), f"wrong password ({w} uri=) -> {r}")
        if r is not None and r.code == 401:
            ch = parse_challenge(r.header("WWW-Authenticate"))
            info(f"second 401: stale={ch.get('stale')}, nonce same as the first 401's: "
                 f"{ch.get('nonce') == first.get('nonce')} (nonces are time-based)")
        try:
            r2, _ = auth_exchange(env, c, True, quiet=True)
            info(f"same connection after the failure: a correct AUTH -> {r2}")
        except ConnectionError as e:
            info(f"same connection after the failure: {e}")
        c.close()
        c = env.connect("C", True)
        r, _ = auth_exchange(env, c, True, user=env.forbidden, with_uri=with_uri,
                             label=f"forbidden user, {w} uri=: ")
        check(r is not None and r.code == 403, f"user {env.forbidden} with the right password ({w} uri=) -> {r}")
        c.close()
    print(" [nonce reuse]")
    for with_uri in (False, True):
        c = env.connect("C", True)
        uri = env.auth_uri(True)
        c.send(request("AUTH", [uri], [c.uri]))
        chal = parse_challenge(c.recv().header("WWW-Authenticate"))
        res = []
        for nc in ("00000001", "00000002"):
            c.send(request("AUTH", [uri], [c.uri],
                           [("Authorization", authorization(chal, env.user, env.password, uri, with_uri, nc=nc))]))
            res.append(c.recv())
        info(f"{'with' if with_uri else 'without'} uri=: the same nonce twice (nc 1, 2) -> {res}")
        c.close()


def c_send(env):
    """Bodiless SEND through the relay A->B, the responses, the path rewrite."""
    for a_tls, b_tls in ((True, False), (False, True), (True, True), (False, False)):
        t = f"A {'TLS' if a_tls else 'TCP'} -> B {'TLS' if b_tls else 'TCP'}"
        print(f" [{t}]")
        a, ra, b, rb, ab, ba = pair(env, a_tls, b_tls)
        info(f"relay URIs: A {ra}  B {rb}")
        req = send_req(a, ab, b"", byte_range="1-0/0")
        show("A sends", req)
        a.send(req)
        got = b.recv()
        show("B receives", got)
        if not check(got is not None and got.method == "SEND", f"{t}: bodiless SEND reaches B"):
            a.close(); b.close(); continue
        check(got.header("To-Path") == b.uri, f"{t}: To-Path at B = B's URI only")
        check(got.header("From-Path") == f"{rb} {ra} {a.uri}",
              f"{t}: From-Path at B = relayB relayA A ({got.header('From-Path')})")
        info(f"{t}: tid A {req.tid} -> at B {got.tid} (same: {req.tid == got.tid})")
        check(got.header("Message-ID") == req.header("Message-ID"), f"{t}: Message-ID kept")
        info(f"{t}: header order at B: {[n for n, _ in got.headers]}")
        resp = ok_response(got, b)
        show("B answers", resp)
        b.send(resp)
        r = a.recv()
        show("A receives", r)
        check(r is not None and r.code == 200 and r.tid == req.tid, f"{t}: A gets 200 for its tid")
        more = a.recv_all(0.7)
        info(f"{t}: A gets further frames: {more} (B's own 200 is consumed by the relay when empty)")
        for f in more:
            show("A also receives", f)
        # and back: B -> A
        req = send_req(b, ba, b"hello A", extra=[("Success-Report", "no")])
        b.send(req)
        got = a.recv()
        check(got is not None and got.body == b"hello A" and got.header("To-Path") == a.uri
              and got.header("From-Path") == f"{ra} {rb} {b.uri}",
              f"{t}: B -> A SEND arrives with To-Path A, From-Path relayA relayB B ({got and got.header('From-Path')})")
        r = b.recv()
        check(r is not None and r.code == 200, f"{t}: B gets 200 -> {r}")
        if got is not None:
            a.send(ok_response(got, a))
        a.close(); b.close()


def c_body(env):
    """10 KiB binary body, 1 MiB in 10 KiB chunks, Success-Report REPORT back."""
    a, ra, b, rb, ab, ba = pair(env, True, False)
    body = os.urandom(10240)
    req = send_req(a, ab, body)
    a.send(req)
    got = b.recv()
    check(got is not None and got.body == body, f"10 KiB binary body arrives intact ({got and len(got.body)} bytes)")
    if got is not None:
        b.send(ok_response(got, b))
        info(f"frame size A sent: {len(req.encode())} bytes; tid kept: {got.tid == req.tid}; "
             f"Byte-Range at B {got.header('Byte-Range')}")
    r = a.recv()
    check(r is not None and r.code == 200, f"A gets 200 -> {r}")
    a.recv_all(0.3)

    print(" [1 MiB as 10 KiB chunks, pipelined, Success-Report: yes]")
    total = 1 << 20
    data = os.urandom(total)
    msgid = rand_id()
    chunk = 10240
    frames = []
    for start in range(0, total, chunk):
        part = data[start:start + chunk]
        end = start + len(part)
        frames.append(send_req(a, ab, part, msgid=msgid, byte_range=f"{start + 1}-{end}/{total}",
                               extra=[("Success-Report", "yes")],
                               flag="$" if end == total else "+"))
    t0 = time.monotonic()
    sender = threading.Thread(target=lambda: [a.send(f) for f in frames])
    sender.start()
    recvd = bytearray(total)
    covered = 0
    tids = set()
    n = 0
    while covered < total:
        f = b.recv(10)
        if f is None:
            break
        n += 1
        lo, hi = f.header("Byte-Range").split("/")[0].split("-")
        lo = int(lo)
        recvd[lo - 1:lo - 1 + len(f.body)] = f.body
        covered += len(f.body)
        tids.add(f.tid)
        b.send(ok_response(f, b))
    sender.join()
    dt = time.monotonic() - t0
    check(bytes(recvd) == data and covered == total,
          f"1 MiB arrives byte-exact in {n} frames ({len(frames)} sent), {dt:.2f} s")
    check(tids == {f.tid for f in frames}, "every chunk keeps its tid (no re-chunking, no new tids)")
    oks = [f for f in a.recv_all(1.0)]
    check(len([f for f in oks if f.code == 200]) == len(frames),
          f"A gets one 200 per chunk ({len([f for f in oks if f.code == 200])}), others: "
          f"{[f for f in oks if f.code != 200]}")
    rep = request("REPORT", ba, [b.uri], [("Message-ID", msgid), ("Byte-Range", f"1-{total}/{total}"),
                                          ("Status", "000 200 OK")])
    show("B sends", rep)
    b.send(rep)
    got = a.recv()
    show("A receives", got)
    check(got is not None and got.method == "REPORT" and got.header("Status") == "000 200 OK"
          and got.header("Message-ID") == msgid, "Success REPORT reaches A")
    info(f"REPORT answered by anyone? B gets {b.recv_all(0.7)}")
    a.close(); b.close()


def c_big(env):
    """Chunks of 11 to 16 KiB: where the relay stops relaying, and how."""
    # whole frame sizes around the limits in the module source (see README)
    cases = [("frame", 11238), ("frame", 11239), ("body", 12288), ("body", 16384)]
    for tls in (True, False):
        for kind, size in cases:
            a, ra, b, rb, ab, ba = pair(env, tls, False)
            overhead = len(send_req(a, ab, b"x" * 10000).encode()) - 10000
            n = size - overhead if kind == "frame" else size
            body = os.urandom(n)
            req = send_req(a, ab, body)
            flen = len(req.encode())
            a.send(req)
            try:
                got = b.recv(3)
            except ConnectionError as e:
                got = e
            try:
                back = a.recv_all(1.5)
            except ConnectionError as e:
                back = [e]
            # is A's connection still usable?
            try:
                a.send(send_req(a, ab, b"", byte_range="1-0/0"))
                g2 = b.recv(2)
                alive = f"next SEND on it reaches B: {g2 is not None}"
                if g2 is not None:
                    b.send(ok_response(g2, b))
            except (ConnectionError, OSError) as e:
                alive = f"A's connection: {type(e).__name__} {e}"
            ok = isinstance(got, Frame) and got.body == body
            info(f"A over {'TLS' if tls else 'TCP'}: body {n} B, frame {flen} B: relayed intact: {ok}; "
                 f"A receives {back}; A closed by relay: {a.closed}; {alive}")
            a.close(); b.close()


def c_report(env):
    """Failure-Report values and hop-by-hop responses."""
    a, ra, b, rb, ab, ba = pair(env, True, False)
    for fr in ("yes", "partial", "no"):
        req = send_req(a, ab, b"x", extra=[("Failure-Report", fr)])
        a.send(req)
        got = b.recv()
        info(f"Failure-Report: {fr}: reaches B: {got is not None}; tid kept: {got is not None and got.tid == req.tid}")
        if got is not None:
            b.send(ok_response(got, b, 200))
        r = a.recv_all(0.7)
        info(f"Failure-Report: {fr}: A receives {r}")
    # B answers non-200
    req = send_req(a, ab, b"x")
    a.send(req)
    got = b.recv()
    if got is not None:
        b.send(ok_response(got, b, 413, "Stop sending"))
    info(f"B answers 413 to an FR-yes SEND: A receives {a.recv_all(0.7)} (no REPORT is made from it)")
    # NICKNAME-like unknown method
    req = request("FOO", ab, [a.uri], [("Message-ID", rand_id())])
    a.send(req)
    got = b.recv()
    info(f"unknown method FOO: reaches B: {got}; A receives {a.recv_all(0.5)}")
    a.close(); b.close()


def c_bad_path(env):
    """Requests to URIs that are not (or no longer) sessions of the relay."""
    a, ra, b, rb, ab, ba = pair(env, True, False)
    fake = ra.rsplit("/", 1)[0] + "/sdoesnotexist0000000;tcp"
    req = send_req(a, [fake, b.uri], b"x")
    a.send(req)
    r = a.recv_all(0.7)
    info(f"SEND whose first To-Path URI is an unknown session: A receives {r}, closed={a.closed}")
    if r:
        show("A receives", r[0])
    # next hop unreachable: relayA then a URI nobody listens on
    req = send_req(a, [ra, "msrp://127.0.0.1:9/deadbeef;tcp"], b"x")
    a.send(req)
    r = a.recv_all(1.5)
    info(f"SEND via relay to an unreachable next hop (127.0.0.1:9): A receives {r}")
    if r:
        show("A receives", r[0])
    a.close(); b.close()


def c_gone(env):
    """Far side's connection gone: what does the sender get?"""
    print(" [both via the relay (loop through itself): B disconnects]")
    a, ra, b, rb, ab, ba = pair(env, True, False)
    a.send(send_req(a, ab, b"", byte_range="1-0/0"))
    g = b.recv()
    b.send(ok_response(g, b))
    a.recv_all(0.5)
    b.close()
    time.sleep(0.5)
    req = send_req(a, ab, b"are you there", extra=[("Failure-Report", "yes")])
    a.send(req)
    r = a.recv_all(2.0)
    info(f"after B closed: A's SEND (FR yes) -> A receives {r}")
    for f in r:
        show("A receives", f)
    a.close()

    print(" [D without relay connects to the relay and talks to A]")
    a, ra = relay_client(env, "A", True)
    d = env.connect("D", False)
    req = send_req(d, [ra, a.uri], b"", byte_range="1-0/0")
    d.send(req)
    g = a.recv()
    show("A receives from D", g)
    check(g is not None and g.header("From-Path") == f"{ra} {d.uri}", "D -> relay -> A: From-Path relayA D")
    r = d.recv()
    check(r is not None and r.code == 200, f"D gets 200 from the relay: {r}")
    a.send(ok_response(g, a))
    info(f"D also receives {d.recv_all(0.5)}")
    req = send_req(a, [ra, d.uri], b"to D")
    a.send(req)
    g = d.recv()
    check(g is not None and g.body == b"to D", "A -> relay -> D over D's own connection")
    if g is not None:
        show("D receives", g)
        d.send(ok_response(g, d))
    a.recv_all(0.5)
    a.close()
    time.sleep(0.5)
    req = send_req(d, [ra, a.uri], b"are you there", extra=[("Failure-Report", "yes")])
    d.send(req)
    r = d.recv_all(2.0)
    info(f"after A (owner) closed: D's SEND (FR yes) -> D receives {r}")
    for f in r:
        show("D receives", f)
    req = send_req(d, [ra, a.uri], b"are you there", extra=[("Failure-Report", "no")])
    d.send(req)
    info(f"after A closed: D's SEND (FR no) -> D receives {d.recv_all(1.0)}")
    d.close()


def c_expiry(env):
    """Short Expires: refresh on the same connection, use after expiry."""
    e = env.min_expires
    a, ra = relay_client(env, "A", True, expires=e)
    info(f"AUTH Expires {e}: Use-Path {ra}")
    time.sleep(max(e / 2, 0.5))
    r, _ = auth_exchange(env, a, True, expires=e, quiet=True)
    check(r is not None and r.code == 200, f"refresh AUTH on the same connection before expiry -> {r}")
    ra2 = r.header("Use-Path") if r else None
    info(f"refresh: Use-Path {ra2} (same URI: {ra2 == ra}), Expires {r and r.header('Expires')}")
    d = env.connect("D", False)
    # probe how long the URI stays usable after the last AUTH
    t0 = time.monotonic()
    last_ok = None
    first_fail = None
    while time.monotonic() - t0 < e + 3:
        req = send_req(d, [ra2, a.uri], b"", byte_range="1-0/0")
        d.send(req)
        resp = d.recv(1.0)
        g = a.recv(0.2)
        if g is not None:
            a.send(ok_response(g, a))
        now = time.monotonic() - t0
        if resp is not None and resp.code == 200:
            last_ok = now
        elif first_fail is None:
            first_fail = (now, resp)
            break
        time.sleep(0.2)
    info(f"after the refresh AUTH: SENDs to the URI answered 200 until t={last_ok and round(last_ok, 2)} s; "
         f"first refusal at t={first_fail and round(first_fail[0], 2)} s: {first_fail and first_fail[1]}")
    if first_fail and first_fail[1] is not None:
        show("refused SEND answer", first_fail[1])
    r, _ = auth_exchange(env, a, True, expires=e, quiet=True)
    ra3 = r.header("Use-Path") if r else None
    info(f"AUTH on the same connection after expiry -> {r}; Use-Path {ra3} (same as before: {ra3 == ra2})")
    a2, ra4 = relay_client(env, "A2", True, expires=e)
    info(f"AUTH on another connection while A's URI is live -> Use-Path {ra4} (same as A's: {ra4 == ra3})")
    a2.close()
    a.close()
    d.close()


def dns_query(server, name, qtype):
    """Minimal DNS client (UDP): returns a list of answer RRs as tuples."""
    host, port = server.rsplit(":", 1)
    qid = random.randrange(65536)
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\0" + struct.pack(">HH", qtype, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(TIMEOUT)
    s.sendto(q, (host, int(port)))
    resp, _ = s.recvfrom(4096)
    s.close()

    def read_name(off):
        labels = []
        while True:
            n = resp[off]
            if n & 0xC0 == 0xC0:
                ptr = struct.unpack(">H", resp[off:off + 2])[0] & 0x3FFF
                labels.append(read_name(ptr)[0])
                return ".".join(labels), off + 2
            off += 1
            if n == 0:
                return ".".join(labels), off
            labels.append(resp[off:off + n].decode())
            off += n

    rid, flags, qd, an, ns, ar = struct.unpack(">HHHHHH", resp[:12])
    assert rid == qid
    off = 12
    for _ in range(qd):
        _, off = read_name(off)
        off += 4
    out = []
    for _ in range(an + ns + ar):
        rname, off = read_name(off)
        rtype, _, ttl, rdlen = struct.unpack(">HHIH", resp[off:off + 10])
        off += 10
        rdata = resp[off:off + rdlen]
        if rtype == 33:
            prio, weight, port = struct.unpack(">HHH", rdata[:6])
            out.append((rname, "SRV", prio, weight, port, read_name(off + 6)[0]))
        elif rtype == 1:
            out.append((rname, "A", socket.inet_ntoa(rdata)))
        off += rdlen
    return flags & 0xF, out


def c_dns(env):
    """SRV records of the test domain through the harness dnsmasq."""
    for svc, want in (("_msrps._tcp", env.tls), ("_msrp._tcp", env.tcp)):
        rcode, rrs = dns_query(env.dns, f"{svc}.{env.domain}", 33)
        srv = [r for r in rrs if r[1] == "SRV"]
        info(f"{svc}.{env.domain} SRV -> rcode {rcode}, {rrs}")
        ok = len(srv) == 1 and srv[0][5] == env.host and f"127.0.0.1:{srv[0][4]}" == want
        if ok:
            rcode, arr = dns_query(env.dns, env.host, 1)
            ok = ("A" in [r[1] for r in arr]) and arr[0][2] == "127.0.0.1"
        check(ok, f"{svc}.{env.domain} -> {env.host} -> {want}")
    rcode, _ = dns_query(env.dns, f"nothere.{env.domain}", 1)
    check(rcode == 3, f"unknown name in {env.domain} -> NXDOMAIN (rcode {rcode})")
    # the TLS cert must verify for the SRV target name
    c = env.connect("C", True)
    info(f"TLS to {env.tls} verified for {env.host}: {c.sock.version()}, {c.sock.cipher()[0]}")
    c.close()


CHECKS = [
    ("dns", c_dns), ("auth", c_auth), ("refused", c_refused), ("send", c_send),
    ("body", c_body), ("report", c_report), ("badpath", c_bad_path),
    ("gone", c_gone), ("expiry", c_expiry), ("big", c_big),
]


def main(argv):
    global VERBOSE
    if "--list" in argv:
        for name, fn in CHECKS:
            print(f"{name:8} {fn.__doc__.strip().splitlines()[0]}")
        return 0
    if "-q" in argv:
        VERBOSE = False
        argv = [a for a in argv if a != "-q"]
    envfile = argv[0] if argv and os.path.isfile(argv[0]) else None
    wanted = argv[1:] if envfile else argv
    env = Env(envfile)
    for name, fn in CHECKS:
        if wanted and name not in wanted:
            continue
        print(f"== {name}: {fn.__doc__.strip().splitlines()[0]}")
        try:
            fn(env)
        except Exception as e:  # keep going: report and continue
            check(False, f"{name}: {type(e).__name__}: {e}")
    print(f"\n{len(FAILED)} failed" + ("" if not FAILED else ":\n  " + "\n  ".join(FAILED)))
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
