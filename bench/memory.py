"""(3) Memory: resident memory with 10,000 groups x 100 members per provider, bytes per membership.

Each provider is measured in its own fresh process (`python -m bench.memory --child P`): the
emulator runs in-process with only that provider and journal size 1; the tenant starts with a
pool of 10,000 users (registered where the provider needs it) and no groups; the groups are then
built through the provider's own HTTP API, signed (so every id string is parsed from a request
body, as in real use): group g holds users (100*g + j) mod 10,000, so each user is in 100 groups.
RSS (VmRSS from /proc/self/status, after gc + malloc_trim) is read before and after.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time

from bench import clients
from bench.common import PYTHON, ROOT, rss_bytes, table, trim, verdict

TARGET = 300
POOL = 10_000


def _members(g: int, m: int) -> list[str]:
    return [f"bu{(g * m + j) % POOL}" for j in range(m)]


async def _build(provider: str, signed, n_groups: int, m: int) -> int:
    bad = 0
    for g in range(n_groups):
        ids = _members(g, m)
        owner, rest = ids[0], ids[1:]
        gid = f"mg{g}"
        if provider == "tencent":   # create_group takes the owner + up to 100 members
            r = await signed.tencent("create_group", {
                "Owner_Account": owner, "Type": "Public", "GroupId": gid, "Name": gid,
                "MemberList": [{"Member_Account": u} for u in rest]})
            bad += r.get("ActionStatus") != "OK"
        elif provider == "openim":
            r = await signed.openim("/group/create_group", {
                "memberUserIDs": rest, "adminUserIDs": [], "ownerUserID": owner,
                "groupInfo": {"groupID": gid, "groupName": gid, "groupType": 2}})
            bad += r.get("errCode") != 0
        else:   # entrust create takes up to 30 userIds, join up to 100
            r = await signed.rongcloud("/entrust/group/create.json", {
                "groupId": gid, "name": gid, "owner": owner, "userIds": ",".join(rest[:29])})
            bad += r.get("code") != 200
            if rest[29:]:
                r = await signed.rongcloud("/entrust/group/join.json", {
                    "groupId": gid, "userIds": ",".join(rest[29:])})
                bad += r.get("code") != 200
    return bad


async def _child(provider: str, n_groups: int, m: int) -> dict:
    from bench.inproc import app_client

    doc = clients.scenario([provider], POOL, 0)
    async with app_client([provider], doc, journal_size=1) as (client, rt, signed):
        backend = rt.providers[provider].backend
        # one warm-up request so the signing and parsing paths have allocated their caches
        await _build(provider, signed, 1, m)
        backend.reset()
        signed._openim_token = None   # a reset drops issued tokens (OpenIM): fetch a new one
        trim()
        before = rss_bytes()
        t0 = time.perf_counter()
        bad = await _build(provider, signed, n_groups, m)
        took = time.perf_counter() - t0
        trim()
        after = rss_bytes()
        problems = rt.check_invariants()[provider]
        return {"before": before, "after": after, "bad": bad, "seconds": took,
                "problems": len(problems)}


def run(providers: list[str], n_groups: int = 10_000, m: int = 100) -> str:
    rows = []
    for p in providers:
        proc = subprocess.run([PYTHON, "-m", "bench.memory", "--child", p, "--groups", str(n_groups),
                               "--members", str(m)], capture_output=True, text=True, cwd=ROOT)
        if proc.returncode != 0:
            rows.append([p, "failed", proc.stderr.strip().splitlines()[-1][:80] if proc.stderr else "",
                         "", "", "", ""])
            continue
        d = json.loads(proc.stdout.strip().splitlines()[-1])
        delta = d["after"] - d["before"]
        per = delta / (n_groups * m)
        rows.append([p, f"{d['before'] / 2**20:.0f}", f"{d['after'] / 2**20:.0f}",
                     f"{delta / 2**20:.0f}", f"{per:.0f}", f"<= {TARGET}", verdict(per <= TARGET),
                     f"{d['bad']} failed, {d['problems']} invariant problems, built in {d['seconds']:.0f} s"])
    return table(f"Memory: {n_groups:,} groups x {m} members per provider ({n_groups * m:,} memberships)",
                 ["provider", "RSS before MB", "RSS after MB", "delta MB", "bytes/membership",
                  "target", "verdict", "build"], rows,
                 f"RSS before = tenant with {POOL:,} users and no groups; bytes/membership = delta / "
                 "memberships, so it includes group records and the user -> groups index.")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--child", required=True)
    ap.add_argument("--groups", type=int, default=10_000)
    ap.add_argument("--members", type=int, default=100)
    a = ap.parse_args()
    print(json.dumps(asyncio.run(_child(a.child, a.groups, a.members))))


if __name__ == "__main__":
    sys.exit(main())
