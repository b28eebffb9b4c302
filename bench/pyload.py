"""Fallback load generator when wrk is not installed: an aiohttp client in its own process,
pinned to the load generator's CPU. Slower than wrk (it can become the bottleneck near 10,000
requests/s), so install wrk (`apt-get install wrk`) for the figures that count."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from dataclasses import asdict

from bench.common import PYTHON, ROOT, client_cpu, pin_preexec


def run(url: str, load, connections: int, seconds: float):
    from bench.loadgen import Result

    spec = json.dumps({"url": url, "load": asdict(load), "connections": connections, "seconds": seconds})
    proc = subprocess.run([PYTHON, "-m", "bench.pyload"], input=spec, capture_output=True, text=True,
                          cwd=ROOT, preexec_fn=pin_preexec(client_cpu()), timeout=seconds + 60)
    if proc.returncode != 0:
        raise RuntimeError(f"pyload failed: {proc.stderr[-1000:]}")
    return Result(**json.loads(proc.stdout.strip().splitlines()[-1]))


async def _main(spec: dict) -> dict:
    import aiohttp

    load, url = spec["load"], spec["url"]
    body, G, U = load["body"], max(load["groups"], 1), max(load["users"], 1)
    pool = load["headers"]
    counter = iter(range(1 << 62))
    lat: list[float] = []
    fails = sock = 0
    deadline = time.perf_counter() + spec["seconds"]

    async def worker(session):
        nonlocal fails, sock
        while time.perf_counter() < deadline:
            k = next(counter)
            data = body.replace("%G%", str(k % G)).replace("%U%", str(k // G % U))
            t0 = time.perf_counter()
            try:
                async with session.request(load["method"], url + load["path"], data=data,
                                           headers=pool[k % len(pool)]) as r:
                    text = await r.text()
                    if r.status != 200 or any(s not in text for s in load["ok"]):
                        fails += 1
            except aiohttp.ClientError:
                sock += 1
                continue
            lat.append((time.perf_counter() - t0) * 1000)

    conn = aiohttp.TCPConnector(limit=spec["connections"])
    start = time.perf_counter()
    async with aiohttp.ClientSession(connector=conn) as session:
        await asyncio.gather(*(worker(session) for _ in range(spec["connections"])))
    took = time.perf_counter() - start
    lat.sort()
    pick = (lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] if lat else 0.0)
    return {"requests": len(lat) + sock, "seconds": took, "p50_ms": pick(0.5), "p99_ms": pick(0.99),
            "failures": fails, "socket_errors": sock}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(_main(json.loads(sys.stdin.read())))))
