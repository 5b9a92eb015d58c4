#!/usr/bin/env python3
"""Time for one chat message to reach N open SSE streams.

Opens N connections to /events (raw asyncio sockets, standard library only), waits until all are
subscribed, posts one chat message through the normal HTTP form, and reports how long each stream took
to receive the `chat-task-<id>` event: min, p50, p99, max and the time until the last one.

usage: sse_fanout.py BASE_URL COOKIE CSRF TASK_ID [N] [FIELD]
"""
import asyncio
import statistics
import sys
import time
import urllib.parse
import urllib.request

BASE, COOKIE, CSRF, TASK = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
N = int(sys.argv[5]) if len(sys.argv) > 5 else 1000
FIELD = sys.argv[6] if len(sys.argv) > 6 else "body"
HOST, PORT = urllib.parse.urlparse(BASE).hostname, urllib.parse.urlparse(BASE).port or 80
EVENT = f"event: chat-task-{TASK}".encode()


async def stream(ready, go, arrived):
    reader, writer = await asyncio.open_connection(HOST, PORT)
    writer.write(
        f"GET /events HTTP/1.1\r\nHost: {HOST}:{PORT}\r\nAccept: text/event-stream\r\nCookie: {COOKIE}\r\n\r\n".encode()
    )
    await writer.drain()
    status = await reader.readline()
    if b" 200 " not in status:
        raise SystemExit(f"stream refused: {status!r}")
    ready.release()
    await go.wait()
    while True:
        line = await reader.readline()
        if not line:
            raise SystemExit("stream closed early")
        if line.startswith(EVENT):
            arrived.append(time.perf_counter())
            writer.close()
            return


def post_message():
    data = urllib.parse.urlencode({FIELD: "Fan-out benchmark message", "csrf_token": CSRF}).encode()
    req = urllib.request.Request(
        f"{BASE}/tasks/{TASK}/chat",
        data=data,
        headers={"Cookie": COOKIE, "Origin": BASE, "X-CSRF-Token": CSRF, "HX-Request": "true",
                 "Content-Type": "application/x-www-form-urlencoded"},
    )
    with urllib.request.urlopen(req) as r:
        if r.status >= 400:
            raise SystemExit(f"posting failed: {r.status}")


async def main():
    ready, go, arrived = asyncio.Semaphore(0), asyncio.Event(), []
    tasks = [asyncio.create_task(stream(ready, go, arrived)) for _ in range(N)]
    for _ in range(N):
        await ready.acquire()
    await asyncio.sleep(0.5)
    go.set()
    t0 = time.perf_counter()
    await asyncio.get_running_loop().run_in_executor(None, post_message)
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=30)
    ms = sorted((t - t0) * 1000 for t in arrived)
    p99 = ms[int(len(ms) * 0.99) - 1]
    print(f"sse fan-out: {len(ms)} streams; first {ms[0]:.1f} ms, p50 {statistics.median(ms):.1f} ms, "
          f"p99 {p99:.1f} ms, last {ms[-1]:.1f} ms (from the POST to each stream's event)")


asyncio.run(main())
