"""The bare aiohttp server the emulator is compared with: the same paths, the same body parsing
(JSON for Tencent and OpenIM, a form for RongCloud), then a fixed JSON reply. No auth, no state.

`python -m bench.bare [--port 0] [--loop asyncio|uvloop]` prints "listening on http://HOST:PORT" like the emulator.
"""

from __future__ import annotations

import argparse
import asyncio
import signal

import orjson
from aiohttp import web

TENCENT_OK = orjson.dumps({"ActionStatus": "OK", "ErrorInfo": "", "ErrorCode": 0})
OPENIM_OK = orjson.dumps({"errCode": 0, "errMsg": "", "errDlt": "", "data": {}})
RONGCLOUD_OK = orjson.dumps({"code": 200})


def _reply(body: bytes) -> web.Response:
    return web.Response(body=body, content_type="application/json", charset="utf-8")


async def tencent(request: web.Request) -> web.Response:
    orjson.loads(await request.read())
    return _reply(TENCENT_OK)


async def openim(request: web.Request) -> web.Response:
    orjson.loads(await request.read())
    return _reply(OPENIM_OK)


async def rongcloud(request: web.Request) -> web.Response:
    await request.post()
    return _reply(RONGCLOUD_OK)


def make_app() -> web.Application:
    app = web.Application()
    app.router.add_post("/v4/{service}/{command}", tencent)
    app.router.add_post("/group/{command}", openim)
    app.router.add_post("/msg/{command}", openim)              # OpenIM send_msg (message rows)
    app.router.add_post("/entrust/{tail:.*}", rongcloud)
    app.router.add_post("/message/{tail:.*}", rongcloud)       # RongCloud message/group/publish
    return app


async def serve(host: str, port: int, backlog: int = 128) -> None:
    runner = web.AppRunner(make_app(), access_log=None, handle_signals=False, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, host, port, reuse_address=True, backlog=backlog)
    await site.start()
    real = site._server.sockets[0].getsockname()[1]
    print(f"bare aiohttp listening on http://{host}:{real}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio",
                   help="the event loop (the emulator's --loop); asyncio unless a figure says otherwise")
    p.add_argument("--backlog", type=int, default=128, help="listen backlog (aiohttp's default 128)")
    a = p.parse_args()
    factory = None
    if a.loop == "uvloop":
        import uvloop
        factory = uvloop.new_event_loop
    with asyncio.Runner(loop_factory=factory) as runner:
        runner.run(serve(a.host, a.port, a.backlog))


if __name__ == "__main__":
    main()
