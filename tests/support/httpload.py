"""A cheap HTTP load client for the casting benchmarks and fault tests.

Client work runs in separate processes (``python -m tests.support.httpload SPEC``)
so it never competes with the server for a GIL.  Each process runs one thread
per connection; a connection is a raw keep-alive HTTP/1.1 socket that sends
pre-built request bytes (the ballots were signed before the timed phase) and
parses only the status line and ``Content-Length``.

Protocol with the parent: the process connects its sockets, prints ``ready``,
waits for a line on stdin, runs, and prints one JSON line with its results and
the CPU seconds it used after ``go``.

Modes:

* ``cast``  — send each lane's ballots in order, once; any answer but 201 is an error;
* ``retry`` — fault runs: on a broken connection, 502/503/504 or 429, wait and send
  the *same* signed ballot again (until ``deadline``).  A 409 ``seq_conflict``
  whose ``next_seq`` is past the ballot's number means an earlier attempt was
  committed without its answer reaching us ("in doubt, committed");
* ``get``   — ``GET path`` ``count`` times per connection (the baseline).
"""

from __future__ import annotations

import json
import resource
import socket
import sys
import threading
import time
from typing import Any

RETRY_STATUSES = (429, 502, 503, 504)
_LOCK = threading.Lock()


class Broken(Exception):
    """The connection failed or closed before a whole response arrived."""


class Conn:
    def __init__(self, host: str, port: int, timeout: float = 30.0) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.sock: socket.socket | None = None
        self.buf = b""

    def connect(self) -> None:
        self.close()
        self.sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def close(self) -> None:
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass
        self.sock = None

    def _fill(self) -> None:
        assert self.sock is not None
        try:
            chunk = self.sock.recv(65536)
        except OSError as exc:
            raise Broken(str(exc)) from None
        if not chunk:
            raise Broken("connection closed")
        self.buf += chunk

    def request(self, raw: bytes) -> tuple[int, dict[str, str], bytes]:
        if self.sock is None:
            try:
                self.connect()
            except OSError as exc:
                raise Broken(str(exc)) from None
        try:
            self.sock.sendall(raw)  # type: ignore[union-attr]
        except OSError as exc:
            self.close()
            raise Broken(str(exc)) from None
        try:
            return self._response()
        except Broken:
            self.close()
            raise

    def _response(self) -> tuple[int, dict[str, str], bytes]:
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            n = int(headers["content-length"])
            while len(self.buf) < n:
                self._fill()
            body, self.buf = self.buf[:n], self.buf[n:]
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            body = self._chunked()
        else:  # body until the server closes
            try:
                while True:
                    self._fill()
            except Broken:
                pass
            body, self.buf = self.buf, b""
            self.close()
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, headers, body

    def _chunked(self) -> bytes:
        out = b""
        while True:
            while b"\r\n" not in self.buf:
                self._fill()
            size_line, self.buf = self.buf.split(b"\r\n", 1)
            size = int(size_line.split(b";")[0], 16)
            while len(self.buf) < size + 2:
                self._fill()
            out, self.buf = out + self.buf[:size], self.buf[size + 2:]
            if size == 0:
                return out


def post_bytes(host: str, port: int, path: str, body: bytes) -> bytes:
    return (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


def get_bytes(host: str, port: int, path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode()


def _cast_lane(spec: dict, lane: list, out: list, retry: bool) -> None:
    host, port, path = spec["host"], spec["port"], spec["path"]
    deadline = spec.get("deadline", time.time() + 600)
    conn = Conn(host, port)
    for head, bodies in lane:
        for seq, body in enumerate(bodies, start=1):
            raw = post_bytes(host, port, path, body.encode())
            attempts, pause, outcome = 0, 0.05, None
            t0 = time.perf_counter()
            while outcome is None:
                attempts += 1
                try:
                    status, headers, text = conn.request(raw)
                except Broken as exc:
                    status, headers, text = 0, {}, str(exc).encode()
                if status == 201:
                    outcome = ("acknowledged", 201, text.decode())
                elif retry and status == 409 and b"seq_conflict" in text:
                    nxt = json.loads(text).get("next_seq", 0)
                    outcome = (("committed_unacked" if nxt > seq else "gap"), status,
                               text.decode()[:300])
                elif retry and (status == 0 or status in RETRY_STATUSES) \
                        and time.time() < deadline:
                    with _LOCK:
                        seen = spec.setdefault("_seen", {})
                        seen[status] = seen.get(status, 0) + 1
                        if status == 503:
                            _check_retry_shape(headers, text, spec)
                    wait = float(headers.get("retry-after", pause)) if status == 429 else pause
                    time.sleep(min(wait, 1.0))
                    pause = min(pause * 2, 0.5)
                else:
                    outcome = ("refused", status, text.decode(errors="replace")[:300])
            ms = (time.perf_counter() - t0) * 1000
            kind, status, text = outcome
            out.append([head, seq, kind, status, round(ms, 3), attempts,
                        text if kind == "acknowledged" else None,
                        None if kind == "acknowledged" else text])
    conn.close()


def _check_retry_shape(headers: dict, text: bytes, spec: dict) -> None:
    """A 503 must say ``Retry-After`` and ``{"error": "retry", "message": ...}``."""
    bad = spec.setdefault("_bad_503", [])
    try:
        body = json.loads(text)
        ok = (body.get("error") == "retry" and isinstance(body.get("message"), str)
              and body["message"] and headers.get("retry-after", "").isdigit())
    except ValueError:
        ok = False
    if not ok and len(bad) < 5:
        bad.append({"headers": headers, "body": text.decode(errors="replace")[:200]})


def _get_lane(spec: dict, count: int, out: list) -> None:
    conn = Conn(spec["host"], spec["port"])
    raw = get_bytes(spec["host"], spec["port"], spec["path"])
    for _ in range(count):
        t0 = time.perf_counter()
        try:
            status, _h, _b = conn.request(raw)
        except Broken:
            status = 0
        out.append([None, 0, "get", status, round((time.perf_counter() - t0) * 1000, 3), 1,
                    None, None])
    conn.close()


def _warm(spec: dict, n: int) -> None:
    """Open the sockets' worth of connections once, so the timed phase does not connect."""
    raw = get_bytes(spec["host"], spec["port"], "/healthz")
    for _ in range(n):
        c = Conn(spec["host"], spec["port"])
        try:
            c.request(raw)
        except Broken:
            pass
        c.close()


def main(spec_path: str) -> None:
    with open(spec_path, encoding="utf-8") as fh:
        spec: dict[str, Any] = json.load(fh)
    lanes = spec["lanes"]
    results: list[list] = [[] for _ in lanes]
    _warm(spec, 1)
    print("ready", flush=True)
    sys.stdin.readline()
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    t_start = time.time()
    threads = []
    for i, lane in enumerate(lanes):
        if spec["mode"] == "get":
            target, args = _get_lane, (spec, lane, results[i])
        else:
            target, args = _cast_lane, (spec, lane, results[i], spec["mode"] == "retry")
        threads.append(threading.Thread(target=target, args=args, daemon=True))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    t_end = time.time()
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    print(json.dumps({"results": [r for lane in results for r in lane], "start": t_start,
                      "end": t_end, "cpu": cpu, "seen": spec.get("_seen", {}),
                      "bad_503": spec.get("_bad_503", [])}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
