"""OpenIM get_groups (issue 17): the unfiltered first page costs the same at any group count,
and its total stays right through dismiss, mute and reload."""

from __future__ import annotations

import dataclasses
import time

from emulator.app import RUNTIME
from emulator.providers.openim.models_groups import get_groups
from tests.openim_support import create_group, openim_call, openim_tenant

PAGE = {"pageNumber": 1, "showNumber": 20}


async def listing(client, token, name=""):
    _, body = await openim_call(client, "/group/get_groups",
                                {"groupName": name, "groupID": "", "pagination": PAGE}, token=token)
    assert body["errCode"] == 0, body
    return body["data"]["total"], [g["groupInfo"]["groupID"] for g in body["data"]["groups"] or []]


async def test_total_follows_dismiss_mute_and_reload(client, openim_admin_token):
    tok = openim_admin_token
    total0, _ = await listing(client, tok)
    named0, _ = await listing(client, tok, name="^g$")
    a = await create_group(client, tok)
    b = await create_group(client, tok)
    total, page = await listing(client, tok)
    assert total == total0 + 2 and page[:2] == [b, a]
    _, r = await openim_call(client, "/group/dismiss_group", {"groupID": a, "deleteMember": False}, token=tok)
    assert r["errCode"] == 0
    total, page = await listing(client, tok)
    assert total == total0 + 1 and a not in page
    _, r = await openim_call(client, "/group/mute_group", {"groupID": a}, token=tok)   # 2 -> 3
    assert r["errCode"] == 0
    assert (await listing(client, tok))[0] == total0 + 2
    assert (await listing(client, tok, name="^g$"))[0] == named0 + 2     # a search still scans
    st = await (await client.get("/_emulator/state")).json()
    assert (await client.put("/_emulator/state", json=st)).status == 200
    assert (await listing(client, tok))[0] == total0 + 2
    assert (await client.get("/_emulator/state/check")).status == 200


async def test_first_page_is_flat_in_the_group_count(client, openim_admin_token):
    gid = await create_group(client, openim_admin_token)
    t = openim_tenant(client.app[RUNTIME])
    template = t.groups[gid]
    req = {"groupID": "", "groupName": "", "pagination": PAGE}

    def per_call() -> float:
        t0 = time.perf_counter()
        for _ in range(200):
            out = get_groups(t, "imAdmin", req, 0)
        assert len(out["groups"]) == min(20, out["total"])
        return (time.perf_counter() - t0) / 200

    small = per_call()
    for i in range(200_000):
        gid = f"bulk{i}"
        t.groups[gid] = dataclasses.replace(template, groupID=gid, members={})
    t.recount_dismissed()
    large = per_call()
    assert get_groups(t, "imAdmin", req, 0)["total"] == len(t.groups) - t.dismissed_count
    assert large < 3 * small + 100e-6, (small, large)
