#!/usr/bin/env python3
"""A staff member's page at a steady pace, for benches/intake: USERS clients each ask for PATH every
1/PACE seconds for SECONDS (an open loop: a slow answer does not slow the schedule), with the
session cookie; prints the answers' latency percentiles.

usage: paced.py BASE PATH COOKIE [USERS] [PACE] [SECONDS]
"""
import asyncio
import sys
import time
import urllib.parse

from httpio import read_response

BASE, PATH, COOKIE = sys.argv[1], sys.argv[2], sys.argv[3]
USERS = int(sys.argv[4]) if len(sys.argv) > 4 else 8
PACE = float(sys.argv[5]) if len(sys.argv) > 5 else 10.0
SECONDS = float(sys.argv[6]) if len(sys.argv) > 6 else 5.0
HOST, PORT = urllib.parse.urlsplit(BASE).hostname, urllib.parse.urlsplit(BASE).port
latencies, failures = [], []


async def user(n):
    reader, writer = await asyncio.open_connection(HOST, PORT)
    head = ("GET %s HTTP/1.1\r\nHost: %s:%d\r\nCookie: %s\r\n\r\n" % (PATH, HOST, PORT, COOKIE)).encode()
    start = time.time() + n / (USERS * PACE)  # users spread over the first period
    i = 0
    while True:
        due = start + i / PACE
        if due > START + SECONDS:
            break
        wait = due - time.time()
        if wait > 0:
            await asyncio.sleep(wait)
        t = time.perf_counter()
        writer.write(head)
        await writer.drain()
        status, _ = await read_response(reader)
        latencies.append((time.perf_counter() - t) * 1000)
        if status != 200:
            failures.append(status)
        i += 1
    writer.close()


START = time.time()


async def main():
    await asyncio.gather(*(user(n) for n in range(USERS)))
    lat = sorted(latencies)
    pick = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
    print("%d answers (%.0f/s), p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, non-200 %d" % (
        len(lat), len(lat) / SECONDS, pick(0.5), pick(0.9), pick(0.99), len(failures)))


asyncio.run(main())
