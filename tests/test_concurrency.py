"""50 concurrent clients, 2,000 mixed add/remove/modify operations on a few groups, per provider.

After the run: every request got an answer and a journal entry (nothing lost), the state
invariants hold (so no cap was exceeded), and replaying the journal serially, in the order the
server executed the requests, against a fresh emulator on the same frozen clock gives exactly the
same state. That holds only if each request took effect whole, with no interleaving inside it.
"""

from __future__ import annotations

import asyncio
import random

import orjson
import pytest

from emulator.app import RUNTIME, create_app
from emulator.settings import Settings

CLIENTS = 50
OPERATIONS = 2000
FROZEN_AT = 1_760_000_000
SKIP_HEADERS = {"host", "content-length", "user-agent", "accept", "accept-encoding", "connection"}


async def run_concurrently(client, requests: list[dict]) -> list[tuple[int, bytes]]:
    queue: asyncio.Queue = asyncio.Queue()
    for i, req in enumerate(requests):
        queue.put_nowait((i, req))
    results: list = [None] * len(requests)

    async def worker():
        while True:
            try:
                i, req = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            resp = await client.request(req["method"], req["path"], params=req.get("params"),
                                        headers=req.get("headers"), data=req.get("data"))
            results[i] = (resp.status, await resp.read())

    await asyncio.gather(*(worker() for _ in range(CLIENTS)))
    return results


async def freeze(client) -> None:
    """Freeze the clock, then rebuild the seed state so its timestamps are the frozen time too."""
    await client.post("/_emulator/clock", json={"freeze_at": FROZEN_AT})
    await client.post("/_emulator/reset")
    await client.delete("/_emulator/journal")


async def replay(aiohttp_client, settings: Settings, entries) -> dict:
    client = await aiohttp_client(create_app(settings))
    await freeze(client)
    for e in entries:
        headers = {k: v for k, v in e.headers if k.lower() not in SKIP_HEADERS}
        resp = await client.request(e.method, e.path + (f"?{e.query}" if e.query else ""),
                                    headers=headers, data=e.request_body)
        assert resp.status == e.status, (e.path, resp.status, e.status)
        assert await resp.read() == e.response_body, e.path
    return client.app[RUNTIME].dump_state()


async def check_run(aiohttp_client, provider: str, setup, make_ops):
    settings = Settings(port=0, journal_size=10_000)
    client = await aiohttp_client(create_app(settings))
    rt = client.app[RUNTIME]
    await freeze(client)
    ctx = await setup(client)
    ops = make_ops(ctx, random.Random(20261121))
    assert len(ops) == OPERATIONS
    results = await run_concurrently(client, ops)
    assert all(r is not None for r in results)
    assert all(status < 500 for status, _ in results)
    oks = sum(1 for _, body in results if ctx["is_ok"](orjson.loads(body)))
    assert oks > OPERATIONS // 10, f"only {oks} successes: the mix does not exercise the state"
    problems = rt.check_invariants()
    assert not any(problems.values()), problems
    final = rt.dump_state()
    entries = rt.journal.entries()
    assert {e.provider for e in entries} == {provider}
    assert len(entries) == len(ops) + ctx["setup_calls"]   # nothing lost: every call journaled
    assert await replay(aiohttp_client, settings, entries) == final


# --- OpenIM ----------------------------------------------------------------------------------

async def openim_setup(client) -> dict:
    from tests.openim_support import get_admin_token, openim_call
    token = await get_admin_token(client)
    users = [f"u{i:02d}" for i in range(40)]
    status, body = await openim_call(client, "/user/user_register", {
        "users": [{"userID": u, "nickname": u.upper()} for u in users]}, token=token)
    assert body["errCode"] == 0, body
    groups = ["g1", "g2", "g3"]
    for gid in groups:
        status, body = await openim_call(client, "/group/create_group", {
            "ownerUserID": "leckie", "memberUserIDs": ["bob"], "adminUserIDs": [],
            "groupInfo": {"groupID": gid, "groupName": gid, "groupType": 2}}, token=token)
        assert body["errCode"] == 0, body
    return {"token": token, "users": users, "groups": groups, "setup_calls": 2 + len(groups),
            "is_ok": lambda b: b.get("errCode") == 0}


def openim_ops(ctx, rng: random.Random) -> list[dict]:
    ops = []
    for n in range(OPERATIONS):
        gid, uid = rng.choice(ctx["groups"]), rng.choice(ctx["users"])
        kind = rng.random()
        if kind < 0.45:
            path, body = "/group/invite_user_to_group", {"groupID": gid, "invitedUserIDs": [uid], "reason": ""}
        elif kind < 0.75:
            path, body = "/group/kick_group", {"groupID": gid, "kickedUserIDs": [uid], "reason": ""}
        elif kind < 0.9:
            path, body = "/group/set_group_member_info", {
                "members": [{"groupID": gid, "userID": uid, "nickname": f"n{n}"}]}
        else:
            path, body = "/group/set_group_info_ex", {"groupID": gid, "introduction": f"intro {n}"}
        ops.append({"method": "POST", "path": path, "data": orjson.dumps(body),
                    "headers": {"operationID": f"op{n}", "token": ctx["token"]}})
    return ops


async def test_openim_concurrent_mix_equals_serial_replay(aiohttp_client):
    await check_run(aiohttp_client, "openim", openim_setup, openim_ops)
