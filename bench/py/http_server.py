#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""asyncio twin of demos/http_server.c: HTTP/1.1 keep-alive, `GET /` answers
"Hello, World!", written with asyncio streams (start_server, readuntil).

Usage: http_server.py [--host H] [--port N]
"""
import argparse
import asyncio
import email.utils
import signal

BODY = b"Hello, World!"


def response(status, body, keep_alive):
    head = (f"HTTP/1.1 {status}\r\nServer: asyncio\r\n"
            f"Date: {email.utils.formatdate(usegmt=True)}\r\n"
            f"Content-Type: text/plain\r\nContent-Length: {len(body)}\r\n")
    if not keep_alive:
        head += "Connection: close\r\n"
    return head.encode() + b"\r\n" + body


async def serve(reader, writer):
    try:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
                break
            lines = head.decode("latin-1").split("\r\n")
            parts = lines[0].split(" ")
            if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
                writer.write(response("400 Bad Request", b"Bad Request", False))
                break
            keep_alive = parts[2] == "HTTP/1.1"
            length = 0
            for h in lines[1:]:
                name, _, value = h.partition(":")
                name = name.strip().lower()
                if name == "connection":
                    keep_alive = "close" not in value.lower()
                elif name == "content-length":
                    length = int(value)
            if length:
                await reader.readexactly(length)
            if parts[0] in ("GET", "HEAD") and parts[1] == "/":
                writer.write(response("200 OK", BODY, keep_alive))
            else:
                writer.write(response("404 Not Found", b"Not Found", keep_alive))
            await writer.drain()
            if not keep_alive:
                break
    except ConnectionError:
        pass
    finally:
        writer.close()


async def main(host, port):
    server = await asyncio.start_server(serve, host, port, backlog=4096)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print(f"listening on {host}:{port}", flush=True)
    await stop.wait()
    server.close()


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8080)
    args = ap.parse_args()
    asyncio.run(main(args.host, args.port))
