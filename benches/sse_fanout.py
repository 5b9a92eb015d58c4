#!/usr/bin/env python3
"""Time for one chat message to reach N open SSE streams.

Opens N connections to /events (plain non-blocking sockets and one `selectors` loop, standard library
only, so the client adds as little as possible to the figure), waits until every stream answered
200, posts one chat message through the normal HTTP form (field `body`, CSRF token as form field and
`X-CSRF-Token` header, `Origin` equal to the base URL) from a second thread, and reports how long each
stream took to receive the `chat-task-<id>` event, counted from the start of the POST: first, p50,
p99 and the time until the last one; also how long the POST itself took to answer.

usage: sse_fanout.py BASE_URL COOKIE CSRF TASK_ID [N] [FIELD]
"""
import re
import selectors
import socket
import statistics
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

BASE, COOKIE, CSRF, TASK = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
N = int(sys.argv[5]) if len(sys.argv) > 5 else 1000
FIELD = sys.argv[6] if len(sys.argv) > 6 else "body"
URL = urllib.parse.urlparse(BASE)
HOST, PORT = URL.hostname, URL.port or 80
# The whole `event:` line, so that chat-task-1 does not also match chat-task-12.
EVENT = re.compile(rb"(^|\n)event: chat-task-%d\r?\n" % TASK)
CONNECT_TIMEOUT, DELIVERY_TIMEOUT = 60.0, 30.0


def open_streams():
    request = (
        f"GET /events HTTP/1.1\r\nHost: {HOST}:{PORT}\r\nAccept: text/event-stream\r\n"
        f"Cookie: {COOKIE}\r\n\r\n"
    ).encode()
    sel = selectors.DefaultSelector()
    socks = []
    for i in range(N):
        s = socket.create_connection((HOST, PORT), timeout=10)
        s.sendall(request)
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, i)
        socks.append(s)
    return sel, socks


def main():
    t_open = time.perf_counter()
    sel, socks = open_streams()
    bufs = [b""] * N
    ok = [False] * N
    deadline = time.perf_counter() + CONNECT_TIMEOUT
    while not all(ok):
        if time.perf_counter() > deadline:
            raise SystemExit(f"only {sum(ok)} of {N} streams answered within {CONNECT_TIMEOUT:.0f} s")
        for key, _ in sel.select(timeout=1):
            i = key.data
            chunk = key.fileobj.recv(65536)
            if not chunk:
                raise SystemExit(f"stream {i} closed before answering: {bufs[i][:200]!r}")
            bufs[i] += chunk
            if not ok[i] and b"\r\n" in bufs[i]:
                status = bufs[i].split(b"\r\n", 1)[0]
                if b" 200 " not in status + b" ":
                    raise SystemExit(f"stream refused: {status!r}")
                ok[i] = True
    opened_ms = (time.perf_counter() - t_open) * 1000
    time.sleep(0.5)

    arrived = [None] * N
    posted = {}

    def post_message():
        data = urllib.parse.urlencode({FIELD: "Fan-out benchmark message", "csrf_token": CSRF}).encode()
        req = urllib.request.Request(
            f"{BASE}/tasks/{TASK}/chat",
            data=data,
            headers={"Cookie": COOKIE, "Origin": BASE, "X-CSRF-Token": CSRF, "HX-Request": "true",
                     "Content-Type": "application/x-www-form-urlencoded"},
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                posted["status"] = r.status
        except urllib.error.HTTPError as e:
            posted["status"] = e.code
            posted["body"] = e.read()[:300]
        posted["t"] = time.perf_counter()

    poster = threading.Thread(target=post_message)
    t0 = time.perf_counter()
    poster.start()
    deadline = t0 + DELIVERY_TIMEOUT
    waiting = N
    while waiting and time.perf_counter() < deadline:
        if "status" in posted and posted["status"] >= 400:
            raise SystemExit(f"posting failed: {posted['status']} {posted.get('body', b'')!r}")
        for key, _ in sel.select(timeout=0.2):
            i = key.data
            try:
                chunk = key.fileobj.recv(65536)
            except BlockingIOError:
                continue
            now = time.perf_counter()
            if not chunk:
                sel.unregister(key.fileobj)
                if arrived[i] is None:
                    waiting -= 1
                continue
            bufs[i] = bufs[i][-200:] + chunk
            if arrived[i] is None and EVENT.search(bufs[i]):
                arrived[i] = now
                waiting -= 1
                sel.unregister(key.fileobj)
    poster.join(timeout=30)
    for s in socks:
        s.close()
    ms = sorted((t - t0) * 1000 for t in arrived if t is not None)
    post_ms = (posted["t"] - t0) * 1000 if "t" in posted else float("nan")
    if not ms:
        raise SystemExit(f"no stream received the event (POST answered {posted.get('status')} in {post_ms:.1f} ms)")
    p99 = ms[max(0, -(-len(ms) * 99 // 100) - 1)]
    print(f"sse fan-out: {len(ms)} of {N} streams received the message; first {ms[0]:.1f} ms, "
          f"p50 {statistics.median(ms):.1f} ms, p99 {p99:.1f} ms, last {ms[-1]:.1f} ms "
          f"(from the start of the POST to each stream's event); the POST answered {posted.get('status')} "
          f"in {post_ms:.1f} ms; opening the {N} streams took {opened_ms:.0f} ms")


main()
