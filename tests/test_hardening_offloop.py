"""Heavy control-plane work does not stall the event loop (issue 17): a big scenario and the
invariant check at large state run in a thread while requests keep being answered."""

from __future__ import annotations

import asyncio
import gc
import time

import orjson

from emulator.app import RUNTIME


async def ping_while(client, work) -> tuple[float, float, int, object]:
    """Run ``work`` while pinging /_emulator/health; (work seconds, longest gap between two
    answered pings, pings, work's result). The gap counts the pauses between pings too, so a
    stall is seen whenever it starts."""
    worst, pings, done = 0.0, 0, False

    async def pinger():
        nonlocal worst, pings
        last = time.perf_counter()
        while not done:
            assert (await client.get("/_emulator/health")).status == 200
            now = time.perf_counter()
            worst = max(worst, now - last)
            last = now
            pings += 1
            await asyncio.sleep(0.005)

    # The collector's own pauses (a long test session's heap) are another matter (gctune, tested
    # apart): keep them out of this measurement.
    gc.disable()
    try:
        task = asyncio.create_task(pinger())
        await asyncio.sleep(0.05)
        t0 = time.perf_counter()
        result = await work()
        took = time.perf_counter() - t0
        done = True
        await task
    finally:
        gc.enable()
    return took, worst, pings, result


def big_scenario(groups: int) -> bytes:
    lines = ["rongcloud:", "  apps:", "    - app_key: big", "      app_secret: s", "      groups:"]
    for i in range(groups):
        lines.append(f"        - {{groupId: g{i}, name: n{i}, owner: u{i % 50}, members: [a{i % 7}, b{i % 11}]}}")
    return "\n".join(lines).encode()


async def test_a_big_scenario_is_built_off_the_loop(client):
    doc = big_scenario(8_000)

    async def work():
        resp = await client.post("/_emulator/scenario?mode=merge", data=doc)
        assert resp.status == 200, await resp.text()
        return await resp.json()

    took, worst, pings, body = await ping_while(client, work)
    assert "big" in body["tenants"]["rongcloud"]
    assert len(client.app[RUNTIME].providers["rongcloud"].backend.tenants["big"].groups) == 8_000
    assert took > 0.3, took              # heavy enough that a stall would show
    assert worst < max(0.25, took / 3), (took, worst, pings)
    assert pings >= 5


async def test_state_check_at_large_state_runs_off_the_loop(client, monkeypatch):
    resp = await client.post("/_emulator/scenario?mode=merge", data=big_scenario(2_000))
    assert resp.status == 200
    rt = client.app[RUNTIME]
    real = rt.check_invariants

    def slow_check():   # stands in for 1.5M groups: ~0.6 s of pure-Python work, GIL held
        end = time.perf_counter() + 0.6
        while time.perf_counter() < end:
            sum(range(1000))
        return real()
    monkeypatch.setattr(rt, "check_invariants", slow_check)

    async def work():
        resp = await client.get("/_emulator/state/check")
        return resp.status, await resp.json()

    took, worst, pings, (status, body) = await ping_while(client, work)
    assert status == 200 and body["ok"] is True
    assert took >= 0.6 and worst < 0.3, (took, worst, pings)


async def test_a_problem_is_still_reported(client):
    rt = client.app[RUNTIME]
    t = next(iter(rt.providers["rongcloud"].backend.tenants.values()))
    resp = await client.post("/entrust/group/create.json")   # nothing: just keep the loop busy
    assert resp.status in (200, 400, 401)
    t.user_groups.setdefault("ghost", {})["nowhere"] = None   # a broken index
    resp = await client.get("/_emulator/state/check")
    body = await resp.json()
    assert resp.status == 409 and body["ok"] is False and body["problems"]["rongcloud"]


async def test_many_faults_are_validated_off_the_loop_and_taken_whole(client):
    specs = [{"provider": "tencent", "api": "group_open_http_svc/get_group_info", "after": 10 ** 9,
              "error": 1}] * 5000
    resp = await client.post("/_emulator/faults", data=orjson.dumps(specs))
    assert resp.status == 201 and len((await resp.json())["faults"]) == 5000
    bad = specs[:10] + [{"provider": "tencent", "api": "x", "error": "not a code"}]
    resp = await client.post("/_emulator/faults", data=orjson.dumps(bad))
    assert resp.status == 400
    assert len((await (await client.get("/_emulator/faults")).json())["faults"]) == 5000
