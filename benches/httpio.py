"""The small HTTP/1.1 client part the Python benchmarks share (benches/intake_flood.py, paced.py,
intake_paced.py): read one response from an asyncio stream."""
import asyncio


async def read_response(reader: asyncio.StreamReader):
    """Reads one response; returns (status, whether the server closes the connection)."""
    line = await reader.readline()
    if not line:
        raise ConnectionError("closed")
    status = int(line.split()[1])
    length, close = 0, False
    while True:
        h = await reader.readline()
        if h in (b"\r\n", b""):
            break
        k, _, v = h.decode("latin-1").partition(":")
        if k.lower() == "content-length":
            length = int(v.strip())
        if k.lower() == "connection" and "close" in v.lower():
            close = True
    if length:
        await reader.readexactly(length)
    return status, close
