#!/usr/bin/env python3
"""Valid web-form submissions at a set rate, for benches/intake: an open loop (request i is due at
start + i / RATE whatever the answers do), so the latency is what a visitor sees at that rate and a
slow answer cannot hide the ones queued behind it (each latency counts from its due time). Each
submission comes from its own address (X-Forwarded-For; the server trusts 127.0.0.1 as its proxy)
and every other one carries an existing contact's email and phone (PEOPLE, tab-separated), as in
intake_post.lua. Connections are reused and opened as needed.

usage: intake_paced.py BASE TOKEN PEOPLE RATE SECONDS
"""
import asyncio
import random
import sys
import time
import urllib.parse

from httpio import read_response

BASE, TOKEN, PEOPLE = sys.argv[1], sys.argv[2], sys.argv[3]
RATE, SECONDS = float(sys.argv[4]), float(sys.argv[5])
HOST, PORT = urllib.parse.urlsplit(BASE).hostname, urllib.parse.urlsplit(BASE).port
people = [line.rstrip("\n").split("\t") for line in open(PEOPLE) if "\t" in line]
idle = []
latencies, statuses = [], {}


def body(n):
    email, phone = "visitor%d@mail.example" % random.randint(1, 10**9), "+1 555 %d" % random.randint(10**6, 10**7 - 1)
    if people and n % 2 == 0:
        email, phone = random.choice(people)[:2]
    fields = {
        "leadsource_token": TOKEN, "name": "Mr. Visitor Number%d" % n, "email": email, "phone": phone,
        "company": "Company %d" % random.randint(1, 50000), "subject": "Quote request %d" % n,
        "message": "Please send a quote for item %d" % n, "country": "Germany", "city": "Berlin",
    }
    return urllib.parse.urlencode(fields).encode()


async def submit(n, due):
    conn = idle.pop() if idle else await asyncio.open_connection(HOST, PORT)
    reader, writer = conn
    b = body(n)
    ip = "%d.%d.%d.%d" % (random.randint(1, 223), random.randint(0, 255), random.randint(0, 255), random.randint(1, 254))
    head = ("POST /add-request/ HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            "Content-Length: %d\r\nX-Forwarded-For: %s\r\n\r\n" % (HOST, PORT, len(b), ip)).encode()
    try:
        writer.write(head + b)
        await writer.drain()
        status, _ = await read_response(reader)
        idle.append(conn)
    except (ConnectionError, asyncio.IncompleteReadError, OSError):
        status = "reset"
        writer.close()
    latencies.append((time.time() - due) * 1000)
    statuses[status] = statuses.get(status, 0) + 1


async def main():
    start = time.time()
    tasks, n = [], 0
    while True:
        due = start + n / RATE
        if due > start + SECONDS:
            break
        wait = due - time.time()
        if wait > 0:
            await asyncio.sleep(wait)
        tasks.append(asyncio.create_task(submit(n, due)))
        n += 1
    await asyncio.gather(*tasks)
    took = time.time() - start
    lat = sorted(latencies)
    pick = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
    print("%d submissions asked at %.0f/s, answered at %.0f/s: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms; answers: %s" % (
        n, RATE, n / took, pick(0.5), pick(0.9), pick(0.99), lat[-1],
        ", ".join("%s × %d" % (k, v) for k, v in sorted(statuses.items(), key=str))))


asyncio.run(main())
