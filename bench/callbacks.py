"""(6) Callbacks: what a configured callback costs a write.

- A write (Tencent create_group) with Group.CallbackAfterCreateGroup configured, the receiver in
  its own process on this machine, against the same write without callbacks: target >= 0.8 of
  the throughput. The after-callbacks are delivered while the writes run (they compete for the
  same CPU); the table also says how long the queue took to drain after the last write.
- A before-callback (Group.CallbackBeforeCreateGroup, answered at once): p50 of the write with it
  minus p50 without it, against the receiver's own p50 latency measured from the same process:
  target <= receiver latency + 1 ms.

The emulator runs in this process (aiohttp TestServer); `python -m bench.callbacks --serve` is
the receiver (prints "listening on http://HOST:PORT").
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time

import orjson

from bench import clients
from bench.common import Server, median, table, verdict
from bench.inproc import app_client

THROUGHPUT_TARGET, LATENCY_SLACK_MS = 0.8, 1.0
ROUNDS = 3
ACCEPT = orjson.dumps({"ActionStatus": "OK", "ErrorInfo": "", "ErrorCode": 0})


async def _serve(host: str, port: int) -> None:
    from aiohttp import web

    async def handle(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(body=ACCEPT, content_type="application/json")

    app = web.Application()
    app.router.add_post("/{tail:.*}", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    print(f"receiver listening on http://{host}:{site._server.sockets[0].getsockname()[1]}", flush=True)
    await asyncio.Event().wait()


async def _writes(signed, n: int, concurrency: int, tag: str) -> float:
    """Seconds for n create_group calls from ``concurrency`` workers."""
    todo = iter(range(n))

    async def worker():
        for k in todo:
            r = await signed.tencent("create_group", {"Type": "Public", "Name": f"{tag}{k}"})
            assert r["ErrorCode"] == 0, r
    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - t0


async def _latencies(signed, n: int, tag: str) -> list[float]:
    out = []
    for k in range(n):
        t0 = time.perf_counter()
        r = await signed.tencent("create_group", {"Type": "Public", "Name": f"{tag}{k}"})
        out.append((time.perf_counter() - t0) * 1000)
        assert r["ErrorCode"] == 0, r
    return out


async def _run(receiver_url: str, n: int, lat_n: int) -> list[list]:
    sdk = str(clients.TENCENT_APP)
    async with app_client(["tencent"], clients.scenario(["tencent"], 400, 60)) as (client, rt, signed):
        engine = rt.callbacks
        await _latencies(signed, 200, "warm")
        after_cfg = engine.validate({"provider": "tencent", "tenant": sdk, "url": receiver_url,
                                     "commands": ["Group.CallbackAfterCreateGroup"], "queue_size": n * 2})
        base, with_ = [], []
        drain_s = 0.0
        for r in range(ROUNDS):      # alternate, so a busy moment of the machine hits both sides
            engine.remove_config("tencent", sdk)
            base.append(await _writes(signed, n, 16, f"a{r}-"))
            engine.set_config(after_cfg)
            with_.append(await _writes(signed, n, 16, f"b{r}-"))
            t0 = time.perf_counter()
            while engine.stats()["queued"]:
                await asyncio.sleep(0.005)
            drain_s = max(drain_s, time.perf_counter() - t0)
        base_s, with_s = median(base), median(with_)
        delivered = len(engine.list(command="Group.CallbackAfterCreateGroup", outcome="delivered"))
        engine.clear()

        engine.remove_config("tencent", sdk)
        without = _latencies(signed, lat_n, "c")
        without = await without
        engine.set_config(engine.validate({"provider": "tencent", "tenant": sdk, "url": receiver_url,
                                           "commands": ["Group.CallbackBeforeCreateGroup"]}))
        with_before = await _latencies(signed, lat_n, "d")
        session = await engine.session()
        direct = []
        body = orjson.dumps({"CallbackCommand": "Group.CallbackBeforeCreateGroup", "Operator_Account": "x",
                             "Owner_Account": "", "Type": "Public", "Name": "d0", "MemberList": []})
        for _ in range(lat_n):
            t0 = time.perf_counter()
            async with session.post(receiver_url, data=body, headers={"Content-Type": "application/json"}) as r:
                await r.read()
            direct.append((time.perf_counter() - t0) * 1000)
        engine.remove_config("tencent", sdk)

    ratio = base_s / with_s
    p_without, p_with, p_recv = median(without), median(with_before), median(direct)
    overhead = p_with - p_without
    return [
        ["create_group/s, no callbacks", f"{n / base_s:,.0f}", ""],
        ["create_group/s, after-callback to the receiver", f"{n / with_s:,.0f}",
         f"ratio {ratio:.2f} (target >= {THROUGHPUT_TARGET}: {verdict(ratio >= THROUGHPUT_TARGET)})"],
        ["after-callbacks delivered / longest drain after a burst", f"{delivered:,} / {drain_s * 1000:.0f} ms", ""],
        ["create_group p50 ms, no callbacks", f"{p_without:.2f}", ""],
        ["create_group p50 ms, before-callback", f"{p_with:.2f}", f"overhead {overhead:.2f} ms"],
        ["receiver's own p50 ms (direct POST)", f"{p_recv:.2f}",
         f"overhead - receiver = {overhead - p_recv:+.2f} ms (target <= {LATENCY_SLACK_MS:g}: "
         f"{verdict(overhead - p_recv <= LATENCY_SLACK_MS)})"],
    ]


def run(n: int = 3000, lat_n: int = 500) -> str:
    with Server([sys.executable, "-m", "bench.callbacks", "--serve"]) as receiver:
        rows = asyncio.run(_run(receiver.url + "/cb", n, lat_n))
    return table(f"Callbacks (Tencent create_group: {n:,} writes from 16 workers, median of {ROUNDS} alternating "
                 f"rounds; p50 of {lat_n} sequential)",
                 ["measure", "value", "against target"], rows)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--serve", action="store_true", help="run the receiver")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    if a.serve:
        asyncio.run(_serve("127.0.0.1", a.port))
    else:
        print(run(1000, 200) if a.quick else run())


if __name__ == "__main__":
    main()
