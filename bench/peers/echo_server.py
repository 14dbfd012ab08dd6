"""Echo server peer for bench/echo.c (asyncio streams; uvloop with BENCH_LOOP=uvloop).
Prints its port on the first line, then serves until killed; bench/echo.c is the client."""
import asyncio
import os
import sys


async def handle(reader, writer):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    writer.close()


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=1024)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    if os.environ.get("BENCH_LOOP") == "uvloop":
        import uvloop
        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    sys.stdout.reconfigure(line_buffering=True)
    asyncio.run(main())
