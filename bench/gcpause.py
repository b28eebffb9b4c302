"""GC pauses at large state (issue 17): the longest garbage-collector pause while requests run
against a tenant holding many groups, with the collector as Python ships it and as the
emulator tunes it (emulator/core/gctune.py).

`python -m bench.gcpause [groups] [requests]`; each configuration runs in a fresh process.
"""

from __future__ import annotations

import asyncio
import gc
import json
import subprocess
import sys
import time

from bench.common import table


def _measure(mode: str, groups: int, requests: int) -> dict:
    from bench import clients
    from bench.inproc import app_client
    from emulator.core import gctune

    pauses: list[tuple[int, float]] = []
    started: list[float] = [0.0]

    def cb(phase, info):
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            pauses.append((info["generation"], time.perf_counter() - started[0]))

    async def run() -> dict:
        doc = clients.scenario(["rongcloud"], 10, 0)
        async with app_client(["rongcloud"], doc) as (client, rt, signed):
            tenant = next(iter(rt.providers["rongcloud"].backend.tenants.values()))
            from emulator.providers.rongcloud.models_legacy import join
            tenant.settings.max_groups = 10 ** 9    # the cap is not what is measured here
            t0 = time.perf_counter()
            for i in range(groups):      # legacy join: a group of three members each
                join(tenant, [f"u{i % 1000}", f"v{i % 777}", f"w{i}"], f"g{i}", "n", 0)
            build_s = time.perf_counter() - t0
            if mode != "default":
                gctune.tune(refreeze=(mode == "freeze+refreeze"))
            gc.callbacks.append(cb)
            t0 = time.perf_counter()
            for k in range(requests):    # writes that keep the state growing
                await signed.rongcloud("/entrust/group/create.json", {
                    "groupId": f"new{k}", "name": "n", "owner": "u1", "userIds": "v1"})
            run_s = time.perf_counter() - t0
            gc.callbacks.remove(cb)
            full = [p for g, p in pauses if g == 2]
            return {"mode": mode, "build_s": build_s, "run_s": run_s,
                    "max_ms": max((p for _, p in pauses), default=0) * 1000,
                    "full": len(full), "full_max_ms": max(full, default=0) * 1000,
                    "total_ms": sum(p for _, p in pauses) * 1000, "collections": len(pauses)}

    return asyncio.run(run())


def run(groups: int = 300_000, requests: int = 20_000) -> str:
    rows = []
    for mode in ("default", "freeze", "freeze+refreeze"):
        out = subprocess.run([sys.executable, "-m", "bench.gcpause", "--one", mode, str(groups),
                              str(requests)], capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append([mode, f"{r['collections']:,}", f"{r['full']:,}", f"{r['full_max_ms']:.0f}",
                     f"{r['max_ms']:.0f}", f"{r['total_ms']:.0f}", f"{r['run_s']:.1f}"])
    return table(f"GC pauses: {requests:,} writes on a RongCloud tenant of {groups:,} groups "
                 "(3 members each), in-process",
                 ["collector", "collections", "full (gen 2)", "longest full ms", "longest any ms",
                  "all pauses ms", "run s"], rows)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--one"]:
        print(json.dumps(_measure(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))))
    else:
        print(run(*(int(a) for a in sys.argv[1:3])))
