# SPDX-License-Identifier: MIT
"""The asyncio peer of the proxy benchmark (bench/bulk.c): for each
connection, opens the upstream and copies both ways.

    python3 proxy.py --port N --upstream HOST:PORT
"""
import argparse
import asyncio
import signal


async def pipe(reader, writer):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except (ConnectionError, OSError):
        pass


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=8888)
    ap.add_argument("--upstream", default="127.0.0.1:8080")
    args = ap.parse_args()
    host, port = args.upstream.rsplit(":", 1)

    async def handle(cr, cw):
        try:
            ur, uw = await asyncio.open_connection(host, int(port))
        except OSError:
            cw.close()
            return
        await asyncio.gather(pipe(cr, uw), pipe(ur, cw))
        cw.close()
        uw.close()

    srv = await asyncio.start_server(handle, "127.0.0.1", args.port)
    print(f"listening on 127.0.0.1:{args.port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for s in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(s, stop.set)
    await stop.wait()
    srv.close()


asyncio.run(main())
