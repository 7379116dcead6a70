"""Relay the API server to pods: listen on the node's bridge address, connect to loopback.

    python3 apirelay.py LISTEN_HOST PORT

The API server listens on 127.0.0.1 only; the `kubernetes` Service of the cluster points at
LISTEN_HOST:PORT (the API server's advertise address), which pods reach through kube-proxy. Each
accepted connection is copied byte for byte to 127.0.0.1:PORT (TLS stays end to end).
"""

from __future__ import annotations

import asyncio
import sys


async def _copy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


async def _serve(port: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        writer.close()
        return
    await asyncio.gather(_copy(reader, upstream_writer), _copy(upstream_reader, writer))


async def main(host: str, port: int) -> None:
    server = await asyncio.start_server(lambda r, w: _serve(port, r, w), host, port)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
