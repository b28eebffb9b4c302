"""(5) The journal: process memory after 1,000,000 requests stays within 10% of after 10,000.

Real signed requests go through the whole pipeline first (in-process app, default journal size);
their recorded entries then serve as templates for direct Journal.record calls with fresh bytes
and strings per call (what the pipeline hands over), up to 10,000 and then 1,000,000 requests,
with a batch of real requests again at the end.
"""

from __future__ import annotations

import asyncio
import time

from bench import clients
from bench.common import rss_bytes, table, trim, verdict
from bench.inproc import app_client

TARGET = 0.10


async def _real(providers: list[str], signed, n: int) -> int:
    done = 0
    per = max(1, n // (2 * len(providers)))
    for p in providers:
        for k in range(per):
            g, u = k % 50, k // 50
            if p == "tencent":
                await signed.tencent("get_group_info", {"GroupIdList": ["br"]})
                await signed.tencent("add_group_member", {"GroupId": f"bg{g}", "MemberList": [
                    {"Member_Account": f"bu{u}"}]})
            elif p == "openim":
                await signed.openim("/group/get_groups_info", {"groupIDs": ["br"]})
                await signed.openim("/group/invite_user_to_group", {
                    "groupID": f"bg{g}", "reason": "", "invitedUserIDs": [f"bu{u}"]})
            else:
                await signed.rongcloud("/entrust/group/profile/query.json", {"groupIds": "br"})
                await signed.rongcloud("/entrust/group/join.json", {"groupId": f"bg{g}", "userIds": f"bu{u}"})
            done += 2
    return done


def _fill(journal, templates: list, start: int, stop: int) -> None:
    n = len(templates)
    for k in range(start, stop):
        (_, _, provider, tenant, api, method, path, query, headers, req, status, resp, _) = templates[k % n]
        tag = str(k)
        journal.record(1.7e9 + k, provider, tenant, api, method, path, query,
                       [*headers, ("X-Request-ID", tag)], req + tag.encode(), status,
                       resp + tag.encode(), 0.1)


def _templates(journal) -> list:
    from dataclasses import astuple
    return [astuple(e) for e in journal.entries()]


async def _run(providers: list[str], total: int, real: int) -> list:
    async with app_client(providers, clients.scenario(providers, 400, 60)) as (client, rt, signed):
        journal = rt.journal
        t0 = time.perf_counter()
        n = await _real(providers, signed, real)
        real_s = time.perf_counter() - t0
        templates = _templates(journal)
        # Both readings are taken right after the same batch of real requests, so the journal
        # holds the same kind of entries at each and only the requests in between differ.
        _fill(journal, templates, n, 10_000 - n)
        await _real(providers, signed, real)          # the same n requests again: 10,000 in all
        trim()
        rss_10k = rss_bytes()
        t0 = time.perf_counter()
        _fill(journal, templates, 10_000, total - n)
        fill_s = time.perf_counter() - t0
        await _real(providers, signed, real)          # and again: `total` in all
        count = total
        trim()
        rss_end = rss_bytes()
        growth = (rss_end - rss_10k) / rss_10k
        return [
            ["requests recorded", "10,000", f"{count:,}", ""],
            ["journal entries kept", f"{journal.size:,}", f"{len(journal):,}", ""],
            ["process RSS MB", f"{rss_10k / 2**20:.1f}", f"{rss_end / 2**20:.1f}",
             f"{growth * 100:+.1f}% (target within {TARGET * 100:.0f}%: {verdict(abs(growth) <= TARGET)})"],
            ["record() cost", "", f"{fill_s / max(1, total - n - 10_000) * 1e6:.2f} us/request", ""],
            ["real requests through the pipeline", "", f"{3 * n:,} (each batch of {n:,}: {real_s:.1f} s)", ""],
        ]


def run(providers: list[str], total: int = 1_000_000, real: int = 2_000) -> str:
    rows = asyncio.run(_run(providers, total, real))
    return table(f"Journal memory ({total:,} requests; in-process, journal size default)",
                 ["measure", "after 10,000", "after all", "growth"], rows)
