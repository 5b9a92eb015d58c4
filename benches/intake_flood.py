#!/usr/bin/env python3
"""A flood of bad submissions for benches/intake: honeypot-filled web forms (each from a new
address), posts from one address far over its limit, and oversized bodies; cycled until TOTAL
requests were answered. Prints a count per status and the rate.

usage: intake_flood.py BASE TOKEN TOTAL [CONNECTIONS] [RATE]
RATE: requests a second at most (0: as fast as the connections go).
"""
import asyncio
import random
import sys
import time
import urllib.parse

from httpio import read_response

BASE, TOKEN, TOTAL = sys.argv[1], sys.argv[2], int(sys.argv[3])
CONNS = int(sys.argv[4]) if len(sys.argv) > 4 else 32
RATE = float(sys.argv[5]) if len(sys.argv) > 5 else 0.0
HOST, PORT = urllib.parse.urlsplit(BASE).hostname, urllib.parse.urlsplit(BASE).port
done = 0
statuses = {}


def request(i):
    kind = i % 3
    ip = "%d.%d.%d.%d" % (random.randint(1, 223), random.randint(0, 255), random.randint(0, 255), random.randint(1, 254))
    if kind == 0:  # a bot: fills the honeypot (a new address each time, so the address limit does not stop it)
        body = urllib.parse.urlencode({"name": "Bot", "email": "bot@x.example", "phone": "1", "company": "B",
                                       "subject": "Hi", "message": "spam", "homepage": "http://bot.example",
                                       "form_ts": "1.0"}).encode()
        path = "/contact-form/%s/" % TOKEN
    elif kind == 1:  # one address, far over its limit
        ip = "198.51.100.7"
        body = urllib.parse.urlencode({"leadsource_token": TOKEN, "name": "Flood"}).encode()
        path = "/add-request/"
    else:  # oversized: refused by its Content-Length
        body = b"message=" + b"x" * 40000
        path = "/add-request/"
    head = ("POST %s HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            "Content-Length: %d\r\nX-Forwarded-For: %s\r\n\r\n" % (path, HOST, PORT, len(body), ip)).encode()
    return head + body


async def worker():
    global done
    reader = writer = None
    while done < TOTAL:
        if writer is None:
            reader, writer = await asyncio.open_connection(HOST, PORT)
        i = done
        done += 1
        if RATE > 0:
            # Request i is due at start + i / RATE (an open-loop schedule shared by the workers).
            wait = START + i / RATE - time.time()
            if wait > 0:
                await asyncio.sleep(wait)
        try:
            writer.write(request(i))
            await writer.drain()
            status, close = await read_response(reader)
            statuses[status] = statuses.get(status, 0) + 1
            # A refused body may be left unread: the server may close the connection after it.
            close = close or status == 413
        except (ConnectionError, asyncio.IncompleteReadError, OSError):
            statuses["reset"] = statuses.get("reset", 0) + 1
            close = True
        if close:
            writer.close()
            writer = None


START = time.time()


async def main():
    t0 = time.time()
    await asyncio.gather(*(worker() for _ in range(CONNS)))
    dt = time.time() - t0
    print("flood: %d requests in %.1f s (%.0f/s); answers: %s" % (done, dt, done / dt,
          ", ".join("%s × %d" % (k, v) for k, v in sorted(statuses.items(), key=str))))


asyncio.run(main())
