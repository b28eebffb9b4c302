"""The journal is bounded in bytes (issue 17): each body keeps a prefix with its full length and
a truncated mark, and the whole journal stays under a byte bound as well as an entry bound."""

from __future__ import annotations

import tracemalloc

from emulator.app import RUNTIME, create_app
from emulator.core.journal import ENTRY_OVERHEAD, Journal
from emulator.settings import Settings


async def test_big_unauthenticated_bodies_keep_only_a_prefix_and_the_journal_stays_under_its_bound(
        aiohttp_client):
    limit, bound = 1024, 40_000
    client = await aiohttp_client(create_app(Settings(port=0, journal_body_bytes=limit,
                                                      journal_max_bytes=bound)))
    rt = client.app[RUNTIME]
    await client.delete("/_emulator/journal")
    body = b'{"groupIDs":["' + b"x" * 300_000 + b'"]}'
    tracemalloc.start()
    try:
        for _ in range(30):   # 9 MB sent, no credentials
            resp = await client.post("/group/get_groups_info", data=body,
                                     headers={"operationID": "op", "Content-Type": "application/json"})
            assert resp.status == 200 and (await resp.json())["errCode"] != 0
        kept = rt.journal.bytes
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert kept <= bound
    assert peak < 4 * len(body) + 2 * bound          # not 30 bodies held at once
    j = await (await client.get("/_emulator/journal")).json()
    assert j["body_limit"] == limit and j["max_bytes"] == bound and j["bytes"] == kept
    assert j["dropped"] > 0 and j["count"] + j["dropped"] == 30
    entry = j["entries"][-1]["request"]["body"]
    assert entry["truncated"] is True and entry["length"] == len(body)
    assert entry["prefix"] == body[:limit].decode()


def test_a_response_over_the_limit_is_cut_and_marked():
    j = Journal(size=10, body_limit=16, max_bytes=10_000)
    j.record(1.0, "openim", "t", "api", "POST", "/p", "", [], b'{"a":1}', 200, b'{"data":"' + b"y" * 50 + b'"}', 0.1)
    e = j.render(j.entries()[0])
    assert e["request"]["body"] == {"a": 1}                       # under the limit: as before
    assert e["response"]["body"] == {"truncated": True, "length": 61, "prefix": '{"data":"yyyyyyy'}
    assert j.truncated == 1 and j.bytes == 7 + 16 + ENTRY_OVERHEAD


def test_entry_and_byte_bounds_both_hold_and_drops_are_counted():
    j = Journal(size=5, body_limit=100, max_bytes=3 * (200 + ENTRY_OVERHEAD))
    for k in range(20):
        j.record(k, "p", None, "a", "POST", "/", "", [], b"q" * 100, 200, b"r" * 100, 0)
    assert len(j) == 3 and j.dropped == 17 and j.bytes == 3 * (200 + ENTRY_OVERHEAD)
    j2 = Journal(size=5, body_limit=100, max_bytes=10**9)
    for k in range(20):
        j2.record(k, "p", None, "a", "GET", "/", "", [], b"", 200, b"", 0)
    assert len(j2) == 5 and j2.dropped == 15 and [e.seq for e in j2.entries()] == [16, 17, 18, 19, 20]
    j2.clear()
    assert j2.bytes == 0 and len(j2) == 0
    # one entry bigger than the byte bound is still kept (the latest exchange is always visible)
    j3 = Journal(size=5, body_limit=1000, max_bytes=100)
    j3.record(0, "p", None, "a", "POST", "/", "", [], b"z" * 1000, 200, b"", 0)
    assert len(j3) == 1
